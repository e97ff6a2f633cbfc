/* SPDX-License-Identifier: MIT */
/*
 * Cleanup helpers for OpenSSL objects, as systemd's openssl-util.h does them: every OpenSSL
 * object the project holds is declared
 *
 *	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
 *
 * and freed when it goes out of scope; TAKE_PTR() hands it on. One way, everywhere.
 */
#ifndef VTPM_OPENSSL_UTIL_H
#define VTPM_OPENSSL_UTIL_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/util.h"

#define _cleanup_(f) __attribute__((cleanup(f)))

#define DEFINE_OPENSSL_CLEANUP(type, free_fn)                                                      \
	static inline void free_fn##p(type **p)                                                    \
	{                                                                                          \
		if (*p)                                                                            \
			free_fn(*p);                                                               \
		*p = NULL;                                                                         \
	}

DEFINE_OPENSSL_CLEANUP(EVP_PKEY, EVP_PKEY_free)
DEFINE_OPENSSL_CLEANUP(EVP_PKEY_CTX, EVP_PKEY_CTX_free)
DEFINE_OPENSSL_CLEANUP(EVP_MD_CTX, EVP_MD_CTX_free)
DEFINE_OPENSSL_CLEANUP(EVP_MD, EVP_MD_free)
DEFINE_OPENSSL_CLEANUP(BIO, BIO_free)
DEFINE_OPENSSL_CLEANUP(BIGNUM, BN_free)
DEFINE_OPENSSL_CLEANUP(ECDSA_SIG, ECDSA_SIG_free)
DEFINE_OPENSSL_CLEANUP(OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
DEFINE_OPENSSL_CLEANUP(OSSL_PARAM, OSSL_PARAM_free)
DEFINE_OPENSSL_CLEANUP(X509, X509_free)
DEFINE_OPENSSL_CLEANUP(X509_STORE, X509_STORE_free)
DEFINE_OPENSSL_CLEANUP(X509_STORE_CTX, X509_STORE_CTX_free)
DEFINE_OPENSSL_CLEANUP(X509_EXTENSION, X509_EXTENSION_free)
DEFINE_OPENSSL_CLEANUP(X509_NAME, X509_NAME_free)

/* A stack of certificates, with the certificates in it. */
static inline void sk_X509_pop_freep(STACK_OF(X509) **p)
{
	if (*p)
		sk_X509_pop_free(*p, X509_free);
	*p = NULL;
}

/* Bytes OpenSSL allocated (i2d_*, BN_bn2hex ...). */
static inline void OPENSSL_freep(void *p)
{
	OPENSSL_free(*(void **)p);
}

#endif
