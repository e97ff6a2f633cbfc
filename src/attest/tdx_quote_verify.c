// SPDX-License-Identifier: MIT
/* TDX DCAP quote verification: the attestation key's signature over the quote, the PCK leaf's
 * signature over the QE report, the QE report's binding of the attestation key, and the PCK
 * chain up to a caller-chosen root. OpenSSL 3 EVP/X509 only. */
#include "attest/tdx_quote.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <string.h>

#include "common/openssl_util.h"
#include "common/util.h"

/* The first failure is the one the detail names. */
static __attribute__((format(printf, 2, 3))) void failed(struct tdx_quote_checks *ck,
							   const char *fmt, ...)
{
	va_list ap;

	if (ck->detail[0])
		return;
	va_start(ap, fmt);
	set_errorv(ck->detail, sizeof(ck->detail), fmt, ap);
	va_end(ap);
}

/* A P-256 public key from raw x||y; NULL if the point is not on the curve. */
static EVP_PKEY *p256_from_raw(const uint8_t xy[TDX_ECDSA_KEY_SIZE])
{
	uint8_t pt[1 + TDX_ECDSA_KEY_SIZE] = { 0x04 };
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)),
		OSSL_PARAM_END,
	};
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *pctx =
		EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;

	memcpy(pt + 1, xy, TDX_ECDSA_KEY_SIZE);
	if (!pctx || EVP_PKEY_fromdata_init(pctx) <= 0 ||
	    EVP_PKEY_fromdata(pctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		return NULL;
	return TAKE_PTR(pkey);
}

/* 1 valid, 0 invalid (or r/s out of range), -1 error. sig is raw big-endian r||s. */
static int ecdsa_verify(EVP_PKEY *key, const uint8_t *data, size_t len,
			const uint8_t sig[TDX_ECDSA_SIG_SIZE])
{
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *es = ECDSA_SIG_new();
	_cleanup_(BN_freep) BIGNUM *r = BN_bin2bn(sig, 32, NULL);
	_cleanup_(BN_freep) BIGNUM *s = BN_bin2bn(sig + 32, 32, NULL);
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
	_cleanup_(OPENSSL_freep) unsigned char *der = NULL;
	int der_len;

	if (!es || !r || !s || !md || !ECDSA_SIG_set0(es, r, s))
		return -1;
	TAKE_PTR(r); /* es owns r and s now */
	TAKE_PTR(s);
	der_len = i2d_ECDSA_SIG(es, &der);
	if (der_len <= 0 || EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) <= 0)
		return -1;
	return EVP_DigestVerify(md, der, (size_t)der_len, data, len) == 1 ? 1 : 0;
}

/* ecdsa_verify, leaving OpenSSL's error queue empty. */
static int ecdsa_verify_raw(EVP_PKEY *key, const uint8_t *data, size_t len,
			    const uint8_t sig[TDX_ECDSA_SIG_SIZE])
{
	int rc = ecdsa_verify(key, data, len, sig);

	ERR_clear_error();
	return rc;
}

static int check_quote_sig(const struct tdx_quote *q, struct tdx_quote_checks *ck)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = p256_from_raw(q->attest_key);
	int rc;

	if (!key) {
		ERR_clear_error();
		failed(ck, "quote signature: attestation key is not a P-256 point");
		return 0;
	}
	rc = ecdsa_verify_raw(key, q->signed_data, q->signed_len, q->sig);
	ck->quote_sig_ok = rc == 1;
	if (rc == 0)
		failed(ck, "quote signature over header and TD report (%zu bytes) does not verify "
			   "with the attestation key", q->signed_len);
	return rc < 0 ? -1 : 0;
}

static int check_qe_binding(const struct tdx_quote *q, struct tdx_quote_checks *ck)
{
	static const uint8_t zero[32];
	const uint8_t *rd = q->qe_report + TDX_QE_REPORTDATA;
	uint8_t want[32];
	unsigned int n = 0;
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, q->attest_key, TDX_ECDSA_KEY_SIZE) ||
	    !EVP_DigestUpdate(md, q->qe_auth, q->qe_auth_len) ||
	    !EVP_DigestFinal_ex(md, want, &n) || n != sizeof(want))
		return -1;
	ck->qe_binding_ok = !memcmp(rd, want, 32) && !memcmp(rd + 32, zero, 32);
	if (!ck->qe_binding_ok)
		failed(ck, "QE report REPORTDATA is not SHA-256(attestation key || QE auth data "
			   "(%zu bytes)) || 32 zero bytes", q->qe_auth_len);
	return 0;
}

/* The PEM certificates of the chain, leaf first. Trailing NULs/whitespace are allowed.
 * 0 with *out set; 1 if there is none (why says so); -1 out of memory. */
static int read_chain(const struct tdx_quote *q, STACK_OF(X509) **out, char *why, size_t whylen)
{
	_cleanup_(sk_X509_pop_freep) STACK_OF(X509) *sk = sk_X509_new_null();
	_cleanup_(BIO_freep) BIO *bio = q->pck_chain_len <= INT32_MAX
			? BIO_new_mem_buf(q->pck_chain, (int)q->pck_chain_len) : NULL;

	if (!sk || !bio)
		return -1;
	for (;;) {
		_cleanup_(X509_freep) X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

		if (!x)
			break;
		if (!sk_X509_push(sk, x))
			return -1;
		TAKE_PTR(x); /* sk owns it now */
	}
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		set_error(why, whylen, "no PEM certificate in the PCK chain (%zu bytes)",
			  q->pck_chain_len);
		return 1;
	}
	*out = TAKE_PTR(sk);
	return 0;
}

static int check_qe_report_sig(const struct tdx_quote *q, X509 *leaf, struct tdx_quote_checks *ck)
{
	EVP_PKEY *key = X509_get0_pubkey(leaf);
	int rc;

	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
		failed(ck, "QE report signature: the PCK leaf has no EC public key");
		return 0;
	}
	rc = ecdsa_verify_raw(key, q->qe_report, TDX_QE_REPORT_SIZE, q->qe_report_sig);
	ck->qe_report_sig_ok = rc == 1;
	if (rc == 0)
		failed(ck, "QE report signature does not verify with the PCK leaf certificate key");
	return rc < 0 ? -1 : 0;
}

static int verify_chain(STACK_OF(X509) *chain, X509 *anchor, struct tdx_quote_checks *ck)
{
	_cleanup_(X509_STORE_freep) X509_STORE *store = X509_STORE_new();
	_cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int err;

	if (!store || !ctx || !X509_STORE_add_cert(store, anchor) ||
	    !X509_STORE_CTX_init(ctx, store, sk_X509_value(chain, 0), chain))
		return -1;
	ck->chain_ok = X509_verify_cert(ctx) == 1;
	if (!ck->chain_ok) {
		err = X509_STORE_CTX_get_error(ctx);
		failed(ck, "PCK chain does not verify to the trust anchor: %s (depth %d)",
		       X509_verify_cert_error_string(err), X509_STORE_CTX_get_error_depth(ctx));
	}
	return 0;
}

/* verify_chain, leaving OpenSSL's error queue empty. */
static int check_chain(STACK_OF(X509) *chain, X509 *anchor, struct tdx_quote_checks *ck)
{
	int rc = verify_chain(chain, anchor, ck);

	ERR_clear_error();
	return rc;
}

static int verify_checks(const struct tdx_quote *q, X509 *anchor, struct tdx_quote_checks *ck)
{
	_cleanup_(sk_X509_pop_freep) STACK_OF(X509) *chain = NULL;
	char why[160] = "";
	int rc = read_chain(q, &chain, why, sizeof(why));

	if (rc < 0)
		return -1;
	rc = check_quote_sig(q, ck);
	if (!rc && chain)
		rc = check_qe_report_sig(q, sk_X509_value(chain, 0), ck);
	else if (!rc)
		failed(ck, "QE report signature and PCK chain: %s", why);
	if (!rc)
		rc = check_qe_binding(q, ck);
	if (!rc && chain)
		rc = check_chain(chain, anchor, ck);
	return rc;
}

static bool have_parts(const struct tdx_quote *q)
{
	return q->header && q->signed_data && q->sig && q->attest_key && q->qe_report &&
	       q->qe_report_sig && (q->qe_auth || !q->qe_auth_len) && q->pck_chain;
}

int tdx_quote_verify(const struct tdx_quote *q, X509 *trust_anchor,
		     struct tdx_quote_checks *checks)
{
	if (!checks)
		return -1;
	memset(checks, 0, sizeof(*checks));
	if (!q || !trust_anchor || !have_parts(q))
		return set_error(checks->detail, sizeof(checks->detail),
				 "no parsed quote or trust anchor");
	checks->structure_ok = true;
	if (verify_checks(q, trust_anchor, checks))
		return set_error(checks->detail, sizeof(checks->detail),
				 "internal error (OpenSSL)");
	if (checks->quote_sig_ok && checks->qe_report_sig_ok && checks->qe_binding_ok &&
	    checks->chain_ok)
		return 0;
	return 1;
}

int tdx_load_cert_pem(const char *path, X509 **out, char *err, size_t errlen)
{
	_cleanup_(BIO_freep) BIO *bio = BIO_new_file(path, "r");

	*out = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	ERR_clear_error();
	if (*out)
		return 0;
	return set_error(err, errlen, "%s: %s", path, bio ? "no PEM certificate" : "cannot open");
}
