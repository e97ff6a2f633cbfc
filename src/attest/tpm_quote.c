// SPDX-License-Identifier: MIT
/* TPM 2.0 quotes from tpm2-tools: AK public keys, quote signatures, pcrDigest, PCR files. */
#include "attest/tpm_quote.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "common/hash_alg.h"
#include "common/openssl_util.h"
#include "common/util.h"

#define AK_FILE_MAX (64 * 1024)

/* tpm2-tools 5.4 "serialized" PCR file layout (see tpm_quote.h). */
#define PCRF_SEL_SIZE 132
#define PCRF_SEL_ENTRY 8
#define PCRF_LIST_SIZE 532
#define PCRF_LIST_DIGESTS 8
#define PCRF_DIGEST_SIZE 66
#define PCRF_MAX_LISTS TPM2_MAX_PCRS
#define PCRF_FILE_MAX (PCRF_SEL_SIZE + 4 + PCRF_MAX_LISTS * PCRF_LIST_SIZE)

/* The signature does not verify: return 1 (see tpm_quote_check). */
static __attribute__((format(printf, 3, 4))) int mismatch(char *err, size_t errlen,
							  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_errorv(err, errlen, fmt, ap);
	va_end(ap);
	return 1;
}

static bool pcr_selected(const TPMS_PCR_SELECTION *s, unsigned pcr)
{
	return pcr / 8 < s->sizeofSelect && (s->pcrSelect[pcr / 8] >> (pcr % 8)) & 1;
}

/* Selection sanity shared by pcrDigest and PCR files: bank count, sizeofSelect, known algs. */
static int check_selection(const TPML_PCR_SELECTION *sel, char *err, size_t errlen)
{
	if (sel->count > TPM2_NUM_PCR_BANKS)
		return set_error(err, errlen, "PCR selection has %u banks (at most %u)", sel->count,
				 TPM2_NUM_PCR_BANKS);
	for (uint32_t i = 0; i < sel->count; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];

		if (s->sizeofSelect > TPM2_PCR_SELECT_MAX)
			return set_error(err, errlen, "PCR selection: sizeofSelect %u (at most %u)",
					 s->sizeofSelect, TPM2_PCR_SELECT_MAX);
		if (!hash_alg_by_tpm(s->hash))
			return set_error(err, errlen,
					 "PCR selection: unknown bank algorithm 0x%04x", s->hash);
	}
	return 0;
}

/* ---- AK public keys ---- */

static int ak_from_params(const char *type, OSSL_PARAM_BLD *bld, EVP_PKEY **out, char *err,
			  size_t errlen)
{
	_cleanup_(OSSL_PARAM_freep) OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *ctx =
		EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	_cleanup_(EVP_PKEY_CTX_freep) EVP_PKEY_CTX *check = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;

	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		return set_error(err, errlen, "cannot build the %s public key", type);
	check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!check || EVP_PKEY_public_check(check) <= 0)
		return set_error(err, errlen, "the %s public key is invalid", type);
	*out = TAKE_PTR(pkey);
	return 0;
}

static int ak_from_rsa(const TPMT_PUBLIC *pub, EVP_PKEY **out, char *err, size_t errlen)
{
	_cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	_cleanup_(BN_freep) BIGNUM *n = NULL, *e = NULL;
	uint32_t exp = pub->parameters.rsaDetail.exponent;

	if (exp == 0) /* the TPM's way of saying the default, 2^16 + 1 */
		exp = 65537;
	if (pub->unique.rsa.size == 0)
		return set_error(err, errlen, "RSA public key without modulus");
	n = BN_bin2bn(pub->unique.rsa.buffer, pub->unique.rsa.size, NULL);
	e = BN_new();
	if (!bld || !n || !e || !BN_set_word(e, exp) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		return set_error(err, errlen, "out of memory");
	return ak_from_params("RSA", bld, out, err, errlen);
}

static const char *ecc_group(uint16_t curve, size_t *coord)
{
	switch (curve) {
	case TPM2_ECC_NIST_P256:
		*coord = 32;
		return "P-256";
	case TPM2_ECC_NIST_P384:
		*coord = 48;
		return "P-384";
	case TPM2_ECC_NIST_P521:
		*coord = 66;
		return "P-521";
	default:
		return NULL;
	}
}

/* Left-pad a coordinate to the field size. */
static int put_coord(uint8_t *dst, size_t coord, const TPM2B_ECC_PARAMETER *p)
{
	if (p->size == 0 || p->size > coord)
		return -1;
	memset(dst, 0, coord - p->size);
	memcpy(dst + coord - p->size, p->buffer, p->size);
	return 0;
}

static int ak_from_ecc(const TPMT_PUBLIC *pub, EVP_PKEY **out, char *err, size_t errlen)
{
	_cleanup_(OSSL_PARAM_BLD_freep) OSSL_PARAM_BLD *bld = NULL;
	uint8_t point[1 + 2 * 66];
	size_t coord = 0;
	const char *group = ecc_group(pub->parameters.eccDetail.curveID, &coord);

	if (!group)
		return set_error(err, errlen, "unsupported ECC curve 0x%04x",
				 pub->parameters.eccDetail.curveID);
	point[0] = 0x04; /* uncompressed */
	if (put_coord(point + 1, coord, &pub->unique.ecc.x) ||
	    put_coord(point + 1 + coord, coord, &pub->unique.ecc.y))
		return set_error(err, errlen, "ECC public point does not fit %s", group);
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * coord))
		return set_error(err, errlen, "out of memory");
	return ak_from_params("EC", bld, out, err, errlen);
}

static int ak_from_tpmt(const TPMT_PUBLIC *pub, EVP_PKEY **out, char *err, size_t errlen)
{
	switch (pub->type) {
	case TPM2_ALG_RSA:
		return ak_from_rsa(pub, out, err, errlen);
	case TPM2_ALG_ECC:
		return ak_from_ecc(pub, out, err, errlen);
	default:
		return set_error(err, errlen, "unsupported key type 0x%04x", pub->type);
	}
}

/* TPM2B_PUBLIC, then TPMT_PUBLIC; each must fill the buffer exactly. 1 if neither parses. */
static int ak_from_tss(const uint8_t *buf, size_t len, EVP_PKEY **out, char *err,
		       size_t errlen)
{
	TPM2B_PUBLIC pub2b;
	TPMT_PUBLIC pubt;
	size_t off = 0;

	memset(&pub2b, 0, sizeof(pub2b));
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf, len, &off, &pub2b) == TSS2_RC_SUCCESS &&
	    off == len)
		return ak_from_tpmt(&pub2b.publicArea, out, err, errlen);
	memset(&pubt, 0, sizeof(pubt));
	off = 0;
	if (Tss2_MU_TPMT_PUBLIC_Unmarshal(buf, len, &off, &pubt) == TSS2_RC_SUCCESS && off == len)
		return ak_from_tpmt(&pubt, out, err, errlen);
	return 1;
}

static int ak_from_openssl(const char *buf, size_t len, EVP_PKEY **out)
{
	_cleanup_(BIO_freep) BIO *bio = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	const unsigned char *p = (const unsigned char *)buf;

	if (memmem(buf, len, "-----BEGIN", 10)) {
		bio = BIO_new_mem_buf(buf, (int)len);
		pkey = bio ? PEM_read_bio_PUBKEY_ex(bio, NULL, NULL, NULL, NULL, NULL) : NULL;
	} else {
		pkey = d2i_PUBKEY_ex(NULL, &p, (long)len, NULL, NULL);
		if (p != (const unsigned char *)buf + len)
			return -1;
	}
	if (!pkey)
		return -1;
	*out = TAKE_PTR(pkey);
	return 0;
}

int tpm_public_to_evp(const uint8_t *buf, size_t len, EVP_PKEY **out, char *err, size_t errlen)
{
	int r;

	*out = NULL;
	r = ak_from_tss(buf, len, out, err, errlen);
	ERR_clear_error();
	if (r > 0)
		return set_error(err, errlen, "not a TPM2B_PUBLIC or TPMT_PUBLIC");
	return r;
}

int tpm_ak_public_check(const uint8_t *buf, size_t len, EVP_PKEY **key, char *err,
			size_t errlen)
{
	static const struct {
		TPMA_OBJECT bit;
		bool want;
		const char *name;
	} rules[] = {
		{ TPMA_OBJECT_RESTRICTED, true, "restricted" },
		{ TPMA_OBJECT_SIGN_ENCRYPT, true, "sign" },
		{ TPMA_OBJECT_FIXEDTPM, true, "fixedTPM" },
		{ TPMA_OBJECT_FIXEDPARENT, true, "fixedParent" },
		{ TPMA_OBJECT_SENSITIVEDATAORIGIN, true, "sensitiveDataOrigin" },
		{ TPMA_OBJECT_DECRYPT, false, "decrypt" },
	};
	TPMT_PUBLIC pub;
	size_t off = 0;
	int r;

	memset(&pub, 0, sizeof(pub));
	if (Tss2_MU_TPMT_PUBLIC_Unmarshal(buf, len, &off, &pub) != TSS2_RC_SUCCESS || off != len)
		return set_error(err, errlen, "the AK is not one TPMT_PUBLIC");
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (!!(pub.objectAttributes & rules[i].bit) != rules[i].want)
			return set_error(err, errlen, "the AK %s %s (attributes 0x%08x)",
					 rules[i].want ? "lacks" : "has", rules[i].name,
					 pub.objectAttributes);
	if (!key)
		return 0;
	r = ak_from_tpmt(&pub, key, err, errlen);
	ERR_clear_error();
	return r;
}

int tpm_ak_load(const char *path, EVP_PKEY **out, char *err, size_t errlen)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	char why[160];
	size_t len = 0;
	int r = read_file_all(path, &buf, &len, AK_FILE_MAX);

	*out = NULL;
	if (r < 0)
		return set_error(err, errlen, "%s: %s", path,
				 r == -EFBIG ? "too large for a public key" : strerror(-r));
	r = ak_from_tss((const uint8_t *)buf, len, &pkey, why, sizeof(why));
	ERR_clear_error();
	if (r < 0)
		return set_error(err, errlen, "%s: %s", path, why);
	if (r > 0 && ak_from_openssl(buf, len, &pkey) < 0) {
		ERR_clear_error();
		return set_error(err, errlen,
				 "%s: not a PEM/DER public key, TPM2B_PUBLIC or TPMT_PUBLIC", path);
	}
	if (!EVP_PKEY_is_a(pkey, "RSA") && !EVP_PKEY_is_a(pkey, "EC"))
		return set_error(err, errlen, "%s: the key is neither RSA nor EC", path);
	*out = TAKE_PTR(pkey);
	return 0;
}

/* ---- quotes ---- */

/* The TPMS_ATTEST bytes of msg: raw, or inside a TPM2B_ATTEST. */
static void attest_bytes(const uint8_t *msg, size_t len, const uint8_t **body, size_t *blen)
{
	*body = msg;
	*blen = len;
	if (len >= 6 && load_be32(msg) != TPM2_GENERATED_VALUE &&
	    load_be32(msg + 2) == TPM2_GENERATED_VALUE && ((size_t)msg[0] << 8 | msg[1]) == len - 2) {
		*body = msg + 2;
		*blen = len - 2;
	}
}

static int parse_attest(const uint8_t *body, size_t blen, struct tpm_quote_info *info,
			char *err, size_t errlen)
{
	TPMS_ATTEST a;
	const TPMS_QUOTE_INFO *q = &a.attested.quote;
	size_t off = 0;

	memset(&a, 0, sizeof(a));
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(body, blen, &off, &a) != TSS2_RC_SUCCESS)
		return set_error(err, errlen, "quote message: not a TPMS_ATTEST");
	if (off != blen)
		return set_error(err, errlen, "quote message: %zu bytes of trailing data",
				 blen - off);
	if (a.magic != TPM2_GENERATED_VALUE)
		return set_error(err, errlen,
				 "quote message: magic 0x%08x is not TPM_GENERATED_VALUE", a.magic);
	if (a.type != TPM2_ST_ATTEST_QUOTE)
		return set_error(err, errlen,
				 "quote message: type 0x%04x is not TPM_ST_ATTEST_QUOTE", a.type);
	if (q->pcrSelect.count > TPM2_NUM_PCR_BANKS || q->pcrDigest.size > 64 ||
	    a.extraData.size > 64)
		return set_error(err, errlen, "quote message: oversized field");
	info->sel = q->pcrSelect;
	memcpy(info->pcr_digest, q->pcrDigest.buffer, q->pcrDigest.size);
	info->pcr_digest_len = q->pcrDigest.size;
	memcpy(info->nonce, a.extraData.buffer, a.extraData.size);
	info->nonce_len = a.extraData.size;
	return 0;
}

static int parse_signature(const uint8_t *sig, size_t siglen, TPMT_SIGNATURE *s, char *err,
			   size_t errlen)
{
	size_t off = 0;

	memset(s, 0, sizeof(*s));
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig, siglen, &off, s) != TSS2_RC_SUCCESS)
		return set_error(err, errlen, "quote signature: not a TPMT_SIGNATURE");
	if (off != siglen)
		return set_error(err, errlen, "quote signature: %zu bytes of trailing data",
				 siglen - off);
	switch (s->sigAlg) {
	case TPM2_ALG_RSASSA:
	case TPM2_ALG_RSAPSS:
	case TPM2_ALG_ECDSA:
		return 0;
	default:
		return set_error(err, errlen, "quote signature: unsupported algorithm 0x%04x",
				 s->sigAlg);
	}
}

/* The hash of an RSASSA, RSAPSS or ECDSA signature (they share the layout). */
static uint16_t sig_hash_alg(const TPMT_SIGNATURE *s)
{
	return s->sigAlg == TPM2_ALG_ECDSA ? s->signature.ecdsa.hash : s->signature.rsassa.hash;
}

/* DER ECDSA-Sig-Value from the TPM's r and s; its length, or -1. */
static int ecdsa_der(const TPMS_SIGNATURE_ECC *e, unsigned char **der)
{
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *es = ECDSA_SIG_new();
	_cleanup_(BN_freep) BIGNUM *r = BN_bin2bn(e->signatureR.buffer, e->signatureR.size, NULL);
	_cleanup_(BN_freep) BIGNUM *s = BN_bin2bn(e->signatureS.buffer, e->signatureS.size, NULL);

	if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s))
		return -1;
	TAKE_PTR(r); /* es owns r and s now */
	TAKE_PTR(s);
	*der = NULL;
	return i2d_ECDSA_SIG(es, der);
}

/* 1 if the signature verifies, 0 if not, -1 on an internal error. */
static int verify_sig(const TPMT_SIGNATURE *s, const struct hash_alg *h, EVP_PKEY *ak,
		      const uint8_t *body, size_t blen)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	_cleanup_(OPENSSL_freep) unsigned char *der = NULL;
	EVP_PKEY_CTX *pctx = NULL; /* owned by mctx */
	const unsigned char *sigp = s->signature.rsassa.sig.buffer;
	size_t sigl = s->signature.rsassa.sig.size;
	int r;

	if (!mctx || EVP_DigestVerifyInit_ex(mctx, &pctx, h->evp, NULL, NULL, ak, NULL) <= 0)
		return -1;
	if (s->sigAlg == TPM2_ALG_RSAPSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) <= 0))
		return -1;
	if (s->sigAlg == TPM2_ALG_ECDSA) {
		r = ecdsa_der(&s->signature.ecdsa, &der);
		if (r <= 0)
			return -1;
		sigp = der;
		sigl = (size_t)r;
	}
	return EVP_DigestVerify(mctx, sigp, sigl, body, blen) == 1 ? 1 : 0;
}

static int check_signature(const TPMT_SIGNATURE *s, EVP_PKEY *ak, const uint8_t *body,
			   size_t blen, char *err, size_t errlen)
{
	const struct hash_alg *h = hash_alg_by_tpm(sig_hash_alg(s));
	const char *want = s->sigAlg == TPM2_ALG_ECDSA ? "EC" : "RSA";
	int r;

	if (!h)
		return set_error(err, errlen, "quote signature: unknown hash 0x%04x",
				 sig_hash_alg(s));
	if (!EVP_PKEY_is_a(ak, want))
		return mismatch(err, errlen, "quote signature is %s but the AK is not an %s key",
				s->sigAlg == TPM2_ALG_ECDSA ? "ECDSA" : "RSA", want);
	r = verify_sig(s, h, ak, body, blen);
	ERR_clear_error();
	if (r < 0)
		return set_error(err, errlen, "quote signature: cannot verify with %s", h->name);
	if (r == 0)
		return mismatch(err, errlen, "quote signature does not verify with the AK");
	return 0;
}

int tpm_quote_check(const uint8_t *msg, size_t msglen, const uint8_t *sig, size_t siglen,
		    EVP_PKEY *ak, struct tpm_quote_info *info, char *err, size_t errlen)
{
	struct tpm_quote_info tmp;
	TPMT_SIGNATURE s;
	const uint8_t *body;
	size_t blen;

	if (!info)
		info = &tmp;
	memset(info, 0, sizeof(*info));
	if (!msg || !sig || !ak)
		return set_error(err, errlen, "quote: missing message, signature or key");
	attest_bytes(msg, msglen, &body, &blen);
	if (parse_attest(body, blen, info, err, errlen) < 0)
		return -1;
	if (parse_signature(sig, siglen, &s, err, errlen) < 0)
		return -1;
	info->sig_hash = sig_hash_alg(&s);
	return check_signature(&s, ak, body, blen, err, errlen);
}

/* ---- pcrDigest ---- */

static int digest_bank(EVP_MD_CTX *mctx, const TPMS_PCR_SELECTION *s, tpm_pcr_value_fn fn,
		       void *ctx, char *err, size_t errlen)
{
	const struct hash_alg *alg = hash_alg_by_tpm(s->hash);

	for (unsigned pcr = 0; pcr < s->sizeofSelect * 8u; pcr++) {
		uint8_t v[HASH_MAX_SIZE];
		size_t len = 0;

		if (!pcr_selected(s, pcr))
			continue;
		if (fn(ctx, s->hash, pcr, v, &len) < 0)
			return set_error(err, errlen, "no value for PCR %s:%u", alg->name, pcr);
		if (len != alg->size)
			return set_error(err, errlen, "PCR %s:%u value has %zu bytes, not %zu",
					 alg->name, pcr, len, alg->size);
		if (EVP_DigestUpdate(mctx, v, len) <= 0)
			return set_error(err, errlen, "digest failure");
	}
	return 0;
}

int tpm_pcr_digest(const TPML_PCR_SELECTION *sel, uint16_t digest_alg, tpm_pcr_value_fn fn,
		   void *ctx, uint8_t *out, size_t *outlen, char *err, size_t errlen)
{
	const struct hash_alg *h = hash_alg_by_tpm(digest_alg);
	_cleanup_(EVP_MD_freep) EVP_MD *md = NULL;
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *mctx = NULL;
	unsigned int n = 0;

	if (!h)
		return set_error(err, errlen, "pcrDigest: unknown hash 0x%04x", digest_alg);
	if (check_selection(sel, err, errlen) < 0)
		return -1;
	md = EVP_MD_fetch(NULL, h->evp, NULL);
	mctx = EVP_MD_CTX_new();
	if (!md || !mctx || EVP_DigestInit_ex2(mctx, md, NULL) <= 0)
		return set_error(err, errlen, "pcrDigest: %s unavailable", h->name);
	for (uint32_t i = 0; i < sel->count; i++)
		if (digest_bank(mctx, &sel->pcrSelections[i], fn, ctx, err, errlen) < 0)
			return -1;
	if (EVP_DigestFinal_ex(mctx, out, &n) <= 0)
		return set_error(err, errlen, "pcrDigest: digest failure");
	*outlen = n;
	return 0;
}

bool tpm_pcr_selection_equal(const TPML_PCR_SELECTION *a, const TPML_PCR_SELECTION *b)
{
	if (a->count != b->count || a->count > TPM2_NUM_PCR_BANKS)
		return false;
	for (uint32_t i = 0; i < a->count; i++) {
		const TPMS_PCR_SELECTION *x = &a->pcrSelections[i], *y = &b->pcrSelections[i];

		if (x->hash != y->hash)
			return false;
		for (unsigned pcr = 0; pcr < TPM2_MAX_PCRS; pcr++)
			if (pcr_selected(x, pcr) != pcr_selected(y, pcr))
				return false;
	}
	return true;
}

/* ---- tpm2-tools PCR files ---- */

static int pcrf_selection(const uint8_t *buf, TPML_PCR_SELECTION *sel, char *err,
			  size_t errlen)
{
	memset(sel, 0, sizeof(*sel));
	sel->count = load_le32(buf);
	if (sel->count > TPM2_NUM_PCR_BANKS)
		return set_error(err, errlen, "selection has %u banks (at most %u)", sel->count,
				 TPM2_NUM_PCR_BANKS);
	for (uint32_t i = 0; i < sel->count; i++) {
		const uint8_t *e = buf + 4 + i * PCRF_SEL_ENTRY;
		TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];

		s->hash = load_le16(e);
		s->sizeofSelect = e[2];
		if (s->sizeofSelect > TPM2_PCR_SELECT_MAX)
			return set_error(err, errlen, "sizeofSelect %u (at most %u)",
					 s->sizeofSelect, TPM2_PCR_SELECT_MAX);
		memcpy(s->pcrSelect, e + 3, s->sizeofSelect);
		for (uint32_t j = 0; j < i; j++)
			if (sel->pcrSelections[j].hash == s->hash)
				return set_error(err, errlen, "bank 0x%04x selected twice",
						 s->hash);
	}
	return check_selection(sel, err, errlen);
}

/* The digests of all lists, in order, into out->values (alg and pcr filled in later). */
static int pcrf_digests(const uint8_t *lists, uint32_t nlists, struct tpm_pcr_file *out,
			char *err, size_t errlen)
{
	out->nvalues = 0;
	for (uint32_t j = 0; j < nlists; j++) {
		const uint8_t *l = lists + (size_t)j * PCRF_LIST_SIZE;
		uint32_t cnt = load_le32(l);

		if (cnt > PCRF_LIST_DIGESTS)
			return set_error(err, errlen, "digest list %u has %u digests (at most %u)",
					 j, cnt, PCRF_LIST_DIGESTS);
		for (uint32_t k = 0; k < cnt; k++) {
			const uint8_t *d = l + 4 + k * PCRF_DIGEST_SIZE;
			struct tpm_pcr_value *v = &out->values[out->nvalues++];

			if (load_le16(d) > sizeof(v->value))
				return set_error(err, errlen, "digest %u of list %u has size %u", k,
						 j, load_le16(d));
			v->len = (uint8_t)load_le16(d);
			memcpy(v->value, d + 2, v->len);
		}
	}
	return 0;
}

/* Give every digest its bank and PCR, walking the selection; sizes must match. */
static int pcrf_assign(struct tpm_pcr_file *out, char *err, size_t errlen)
{
	size_t idx = 0;

	for (uint32_t i = 0; i < out->sel.count; i++) {
		const TPMS_PCR_SELECTION *s = &out->sel.pcrSelections[i];
		const struct hash_alg *alg = hash_alg_by_tpm(s->hash);

		for (unsigned pcr = 0; pcr < s->sizeofSelect * 8u; pcr++) {
			struct tpm_pcr_value *v;

			if (!pcr_selected(s, pcr))
				continue;
			if (idx >= out->nvalues)
				return set_error(err, errlen, "no value for PCR %s:%u", alg->name,
						 pcr);
			v = &out->values[idx++];
			if (v->len != alg->size)
				return set_error(err, errlen,
						 "PCR %s:%u value has %u bytes, not %zu", alg->name,
						 pcr, v->len, alg->size);
			v->alg = s->hash;
			v->pcr = (uint8_t)pcr;
		}
	}
	if (idx != out->nvalues)
		return set_error(err, errlen, "%zu values for %zu selected PCRs", out->nvalues,
				 idx);
	return 0;
}

static int pcrf_parse(const uint8_t *buf, size_t len, struct tpm_pcr_file *out, char *err,
		      size_t errlen)
{
	uint32_t nlists;

	if (len < PCRF_SEL_SIZE + 4)
		return set_error(err, errlen, "truncated (%zu bytes)", len);
	if (pcrf_selection(buf, &out->sel, err, errlen) < 0)
		return -1;
	nlists = load_le32(buf + PCRF_SEL_SIZE);
	if (nlists > PCRF_MAX_LISTS)
		return set_error(err, errlen, "%u digest lists (at most %u)", nlists,
				 PCRF_MAX_LISTS);
	if (len != PCRF_SEL_SIZE + 4 + (size_t)nlists * PCRF_LIST_SIZE)
		return set_error(err, errlen, "%zu bytes, expected %zu for %u digest lists", len,
				 PCRF_SEL_SIZE + 4 + (size_t)nlists * PCRF_LIST_SIZE, nlists);
	if (pcrf_digests(buf + PCRF_SEL_SIZE + 4, nlists, out, err, errlen) < 0)
		return -1;
	return pcrf_assign(out, err, errlen);
}

int tpm_pcr_file_parse(const uint8_t *buf, size_t len, const char *source,
		       struct tpm_pcr_file *out, char *err, size_t errlen)
{
	char why[200];

	memset(out, 0, sizeof(*out));
	if (pcrf_parse(buf, len, out, why, sizeof(why)) == 0)
		return 0;
	memset(out, 0, sizeof(*out));
	return set_error(err, errlen, "%s: PCR file: %s", source, why);
}

int tpm_pcr_file_load(const char *path, struct tpm_pcr_file *out, char *err, size_t errlen)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file_all(path, &buf, &len, PCRF_FILE_MAX);

	if (r < 0) {
		memset(out, 0, sizeof(*out));
		return set_error(err, errlen, "%s: %s", path,
				 r == -EFBIG ? "too large for a PCR file" : strerror(-r));
	}
	return tpm_pcr_file_parse((const uint8_t *)buf, len, path, out, err, errlen);
}

int tpm_pcr_file_value(void *ctx, uint16_t alg, unsigned pcr, uint8_t *out, size_t *len)
{
	const struct tpm_pcr_file *f = ctx;

	for (size_t i = 0; i < f->nvalues; i++) {
		const struct tpm_pcr_value *v = &f->values[i];

		if (v->alg == alg && v->pcr == pcr) {
			memcpy(out, v->value, v->len);
			*len = v->len;
			return 0;
		}
	}
	return -1;
}
