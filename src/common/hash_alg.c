// SPDX-License-Identifier: MIT
#include "common/hash_alg.h"

/* SHA-1 and SHA-2 go through OpenSSL's low-level functions (deprecated in 3.0, not gone):
 * see digest_direct(). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <tss2/tss2_tpm2_types.h>

/* Sorted by TPM_ALG_ID. */
static const struct hash_alg algs[] = {
	{ "sha1", TPM2_ALG_SHA1, 20, "SHA1" },
	{ "sha256", TPM2_ALG_SHA256, 32, "SHA256" },
	{ "sha384", TPM2_ALG_SHA384, 48, "SHA384" },
	{ "sha512", TPM2_ALG_SHA512, 64, "SHA512" },
	{ "sm3_256", TPM2_ALG_SM3_256, 32, "SM3" },
	{ "sha3_256", TPM2_ALG_SHA3_256, 32, "SHA3-256" },
	{ "sha3_384", TPM2_ALG_SHA3_384, 48, "SHA3-384" },
	{ "sha3_512", TPM2_ALG_SHA3_512, 64, "SHA3-512" },
};

const struct hash_alg *hash_alg_all(size_t *count)
{
	*count = sizeof(algs) / sizeof(algs[0]);
	return algs;
}

const struct hash_alg *hash_alg_by_name_n(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strlen(algs[i].name) == len && memcmp(algs[i].name, name, len) == 0)
			return &algs[i];
	return NULL;
}

const struct hash_alg *hash_alg_by_name(const char *name)
{
	return hash_alg_by_name_n(name, strlen(name));
}

const struct hash_alg *hash_alg_by_tpm(uint16_t tpm_alg)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].tpm_alg == tpm_alg)
			return &algs[i];
	return NULL;
}

#define NALGS (sizeof(algs) / sizeof(algs[0]))

/* Fetched once, when first used: an implicit fetch on every digest costs more than the
 * hashing itself, and fetching every algorithm up front costs memory for ones never used. */
static _Atomic(EVP_MD *) fetched[NALGS];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
/* One reusable context per thread (transports and the IMA bridge run in threads), freed
 * when the thread ends. */
static pthread_key_t ctx_key;

static void free_ctx(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void make_key(void)
{
	pthread_key_create(&ctx_key, free_ctx);
}

static EVP_MD_CTX *thread_ctx(void)
{
	EVP_MD_CTX *ctx;

	pthread_once(&key_once, make_key);
	ctx = pthread_getspecific(ctx_key);
	if (!ctx) {
		ctx = EVP_MD_CTX_new();
		if (ctx && pthread_setspecific(ctx_key, ctx) != 0) {
			EVP_MD_CTX_free(ctx);
			ctx = NULL;
		}
	}
	return ctx;
}

static const EVP_MD *md_of(const struct hash_alg *alg)
{
	_Atomic(EVP_MD *) *slot = &fetched[alg - algs];
	EVP_MD *md = atomic_load_explicit(slot, memory_order_acquire), *none = NULL;

	if (md)
		return md;
	md = EVP_MD_fetch(NULL, alg->evp, NULL);
	/* two threads may race to the first use: one fetch is kept, the other freed */
	if (md && !atomic_compare_exchange_strong(slot, &none, md)) {
		EVP_MD_free(md);
		md = none;
	}
	return md;
}

static int digest_evp(const struct hash_alg *alg, const void *a, size_t alen, const void *b,
		      size_t blen, uint8_t *out)
{
	const EVP_MD *md = md_of(alg);
	EVP_MD_CTX *ctx = thread_ctx();
	unsigned int outlen = 0;

	return md && ctx && EVP_DigestInit_ex2(ctx, md, NULL) && EVP_DigestUpdate(ctx, a, alen) &&
	       (blen == 0 || EVP_DigestUpdate(ctx, b, blen)) &&
	       EVP_DigestFinal_ex(ctx, out, &outlen) && outlen == alg->size ? 0 : -1;
}

#ifndef OPENSSL_NO_DEPRECATED_3_0
#define DIGEST_DIRECT(ctx_type, init, update, final)                                             \
	do {                                                                                     \
		ctx_type c;                                                                      \
		int ok = init(&c) && update(&c, a, alen) && (blen == 0 || update(&c, b, blen)); \
		return final(out, &c) && ok ? 0 : -1;                                            \
	} while (0)

/*
 * The low-level functions where OpenSSL still has them: the daemon's first EVP digest fetch
 * builds OpenSSL's method store, ~0.65 ms of every start (libtpms itself never fetches a
 * digest), and every EVP digest allocates and frees a context. 1: not one of these.
 */
static int digest_direct(const struct hash_alg *alg, const void *a, size_t alen, const void *b,
			 size_t blen, uint8_t *out)
{
	switch (alg->tpm_alg) {
	case TPM2_ALG_SHA1:
		DIGEST_DIRECT(SHA_CTX, SHA1_Init, SHA1_Update, SHA1_Final);
	case TPM2_ALG_SHA256:
		DIGEST_DIRECT(SHA256_CTX, SHA256_Init, SHA256_Update, SHA256_Final);
	case TPM2_ALG_SHA384:
		DIGEST_DIRECT(SHA512_CTX, SHA384_Init, SHA384_Update, SHA384_Final);
	case TPM2_ALG_SHA512:
		DIGEST_DIRECT(SHA512_CTX, SHA512_Init, SHA512_Update, SHA512_Final);
	}
	return 1;
}
#else
static int digest_direct(const struct hash_alg *alg, const void *a, size_t alen, const void *b,
			 size_t blen, uint8_t *out)
{
	(void)alg, (void)a, (void)alen, (void)b, (void)blen, (void)out;
	return 1;
}
#endif

static int digest_parts(const struct hash_alg *alg, const void *a, size_t alen, const void *b,
			size_t blen, uint8_t *out)
{
	int r = digest_direct(alg, a, alen, b, blen, out);

	if (r <= 0)
		return r;
	return digest_evp(alg, a, alen, b, blen, out);
}

int hash_digest(const struct hash_alg *alg, const void *data, size_t len, uint8_t *out)
{
	return digest_parts(alg, data, len, NULL, 0, out);
}

int hash_extend(const struct hash_alg *alg, uint8_t *reg, const uint8_t *digest, size_t digest_len)
{
	uint8_t tmp[HASH_MAX_SIZE];

	if (digest_parts(alg, reg, alg->size, digest, digest_len, tmp) < 0)
		return -1;
	memcpy(reg, tmp, alg->size);
	return 0;
}
