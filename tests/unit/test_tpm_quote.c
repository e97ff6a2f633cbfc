// SPDX-License-Identifier: MIT
/*
 * TPM quotes: AK loading, quote signatures, pcrDigest and tpm2-tools PCR files, on real
 * fixtures made with swtpm + tpm2-tools 5.4 (tests/unit/data/tpm_quote/README.txt). Expected
 * PCR values and digests are computed here with OpenSSL EVP, independently of the code
 * under test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include "attest/tpm_quote.h"
#include "common/util.h"

#define DEFAULT_DATA_DIR "tests/unit/data/tpm_quote"

struct fixture {
	const char *quote; /* <quote>.msg, .sig, .pcrs */
	const char *ak;    /* <ak>.pub (TPM2B_PUBLIC), <ak>.pem */
	const char *nonce_hex;
	uint16_t sig_alg;
	uint16_t sig_hash;
	size_t nvalues;
};

static const struct fixture fixtures[] = {
	{ "quote_rsa", "ak_rsa", "00112233445566778899aabbccddeeff", TPM2_ALG_RSASSA,
	  TPM2_ALG_SHA256, 3 },
	{ "quote_ecc", "ak_ecc", "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
	  TPM2_ALG_ECDSA, TPM2_ALG_SHA384, 6 },
	{ "quote_pss", "ak_pss", "cafe", TPM2_ALG_RSAPSS, TPM2_ALG_SHA256, 1 },
};

static const char *data_dir;
static char tmp_dir[] = "/tmp/test_tpm_quote.XXXXXX";

/* ---- helpers ---- */

static const char *path_of(const char *dir, const char *name, const char *ext)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	return path;
}

struct blob {
	uint8_t *p;
	size_t len;
};

static struct blob load(const char *name, const char *ext)
{
	struct blob b = { 0 };
	char *buf = NULL;
	const char *path = path_of(data_dir, name, ext);

	if (read_file_all(path, &buf, &b.len, 1 << 20) < 0)
		fail_msg("cannot read %s (run from the source root or set TPM_QUOTE_DATA)", path);
	b.p = (uint8_t *)buf;
	return b;
}

static void write_tmp(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(path_of(tmp_dir, name, ""), "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static EVP_PKEY *ak_load(const char *name, const char *ext)
{
	EVP_PKEY *k = NULL;
	char err[256] = "";

	if (tpm_ak_load(path_of(data_dir, name, ext), &k, err, sizeof(err)) != 0)
		fail_msg("tpm_ak_load %s%s: %s", name, ext, err);
	assert_non_null(k);
	return k;
}

/* tpm_quote_check(); a failure must come with a message. */
static int check(const struct blob *msg, const struct blob *sig, EVP_PKEY *ak,
		 struct tpm_quote_info *info)
{
	char err[256] = "";
	int r = tpm_quote_check(msg->p, msg->len, sig->p, sig->len, ak, info, err, sizeof(err));

	if (r != 0)
		assert_true(err[0] != '\0');
	return r;
}

static void md(const char *name, const void *a, size_t alen, const void *b, size_t blen,
	       uint8_t *out)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = 0;

	assert_non_null(c);
	assert_int_equal(EVP_DigestInit_ex(c, EVP_get_digestbyname(name), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(c, a, alen), 1);
	if (blen)
		assert_int_equal(EVP_DigestUpdate(c, b, blen), 1);
	assert_int_equal(EVP_DigestFinal_ex(c, out, &n), 1);
	EVP_MD_CTX_free(c);
}

/*
 * What generate.sh did: PCR 8 extended with H("a") in sha1 and sha256, PCR 9 with H("b") in
 * sha256, PCR 16 with H("c") in sha1; everything else all zero.
 */
static int expected_value(void *ctx, uint16_t alg, unsigned pcr, uint8_t *out, size_t *len)
{
	const char *name = alg == TPM2_ALG_SHA1 ? "SHA1" : "SHA256";
	size_t n = alg == TPM2_ALG_SHA1 ? 20 : 32;
	const char *data = NULL;
	uint8_t d[32];

	(void)ctx;
	if (alg != TPM2_ALG_SHA1 && alg != TPM2_ALG_SHA256)
		return -1;
	memset(out, 0, n);
	*len = n;
	if (pcr == 8)
		data = "a";
	else if (pcr == 9 && alg == TPM2_ALG_SHA256)
		data = "b";
	else if (pcr == 16 && alg == TPM2_ALG_SHA1)
		data = "c";
	if (data) {
		md(name, data, 1, NULL, 0, d);
		md(name, out, n, d, n, out);
	}
	return 0;
}

static void nonce_of(const struct fixture *fx, uint8_t *out, size_t *len)
{
	assert_int_equal(hex_decode(fx->nonce_hex, strlen(fx->nonce_hex), out, 64, len), 0);
}

/* ---- AK loading ---- */

static void test_ak_forms(void **state)
{
	EVP_PKEY *a, *b;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		EVP_PKEY *tss = ak_load(fixtures[i].ak, ".pub");
		EVP_PKEY *pem = ak_load(fixtures[i].ak, ".pem");
		EVP_PKEY *tpmt = NULL, *der = NULL;
		struct blob pub = load(fixtures[i].ak, ".pub");
		unsigned char *d = NULL;
		int dlen = i2d_PUBKEY(pem, &d);

		assert_int_equal(EVP_PKEY_eq(tss, pem), 1);
		assert_true(EVP_PKEY_is_a(pem, i == 1 ? "EC" : "RSA"));
		/* TPMT_PUBLIC: the TPM2B_PUBLIC without its size */
		write_tmp("ak.tpmt", pub.p + 2, pub.len - 2);
		assert_int_equal(tpm_ak_load(path_of(tmp_dir, "ak.tpmt", ""), &tpmt, NULL, 0), 0);
		assert_int_equal(EVP_PKEY_eq(tpmt, pem), 1);
		assert_true(dlen > 0);
		write_tmp("ak.der", d, (size_t)dlen);
		assert_int_equal(tpm_ak_load(path_of(tmp_dir, "ak.der", ""), &der, NULL, 0), 0);
		assert_int_equal(EVP_PKEY_eq(der, pem), 1);
		OPENSSL_free(d);
		free(pub.p);
		EVP_PKEY_free(tss);
		EVP_PKEY_free(pem);
		EVP_PKEY_free(tpmt);
		EVP_PKEY_free(der);
	}
	/* different keys are different */
	a = ak_load("ak_rsa", ".pub");
	b = ak_load("ak_pss", ".pub");

	assert_int_not_equal(EVP_PKEY_eq(a, b), 1);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

static void expect_ak_rejected(const char *file, const void *data, size_t len)
{
	EVP_PKEY *k = (EVP_PKEY *)1;
	char err[256] = "";

	write_tmp(file, data, len);
	if (tpm_ak_load(path_of(tmp_dir, file, ""), &k, err, sizeof(err)) != -1)
		fail_msg("%s of %zu bytes accepted", file, len);
	assert_null(k);
	assert_true(err[0] != '\0');
}

/* An EC P-256 key whose x has a leading zero byte, which the TPM form carries short. */
static EVP_PKEY *ec_key_short_x(BIGNUM **x, BIGNUM **y)
{
	for (int tries = 0; tries < 20000; tries++) {
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

		assert_non_null(k);
		*x = *y = NULL;
		assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, x), 1);
		assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, y), 1);
		if (BN_num_bytes(*x) < 32 && BN_num_bytes(*y) == 32)
			return k;
		BN_free(*x);
		BN_free(*y);
		EVP_PKEY_free(k);
	}
	fail_msg("no P-256 key with a short x");
	return NULL;
}

static void test_ak_ecc_short_coordinate(void **state)
{
	BIGNUM *x, *y;
	EVP_PKEY *k = ec_key_short_x(&x, &y), *loaded = NULL;
	TPMT_PUBLIC pub = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_RESTRICTED,
	};
	TPMS_ECC_PARMS *e = &pub.parameters.eccDetail;
	uint8_t buf[sizeof(TPMT_PUBLIC)];
	size_t off = 0;
	char err[256] = "";

	(void)state;
	e->symmetric.algorithm = TPM2_ALG_NULL;
	e->scheme.scheme = TPM2_ALG_ECDSA;
	e->scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	e->curveID = TPM2_ECC_NIST_P256;
	e->kdf.scheme = TPM2_ALG_NULL;
	pub.unique.ecc.x.size = (UINT16)BN_bn2bin(x, pub.unique.ecc.x.buffer);
	pub.unique.ecc.y.size = (UINT16)BN_bn2bin(y, pub.unique.ecc.y.buffer);
	assert_true(pub.unique.ecc.x.size < 32);
	assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(&pub, buf, sizeof(buf), &off), 0);
	write_tmp("ak.tpmt", buf, off);
	if (tpm_ak_load(path_of(tmp_dir, "ak.tpmt", ""), &loaded, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(EVP_PKEY_eq(loaded, k), 1);
	EVP_PKEY_free(loaded);
	/* a point off the curve is rejected */
	pub.unique.ecc.y.buffer[31] ^= 0x01;
	off = 0;
	assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(&pub, buf, sizeof(buf), &off), 0);
	expect_ak_rejected("ak.tpmt", buf, off);
	BN_free(x);
	BN_free(y);
	EVP_PKEY_free(k);
}

static void test_ak_rejects(void **state)
{
	EVP_PKEY *k = NULL;
	char err[256] = "";

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		struct blob pub = load(fixtures[i].ak, ".pub"), pem = load(fixtures[i].ak, ".pem");

		for (size_t n = 0; n < pub.len; n++)
			expect_ak_rejected("ak.pub", pub.p, n);
		for (size_t n = 0; n < pem.len - 1; n++) /* the last byte is the final LF */
			expect_ak_rejected("ak.pem", pem.p, n);
		pub.p = realloc(pub.p, pub.len + 1);
		assert_non_null(pub.p);
		pub.p[pub.len] = 0;
		expect_ak_rejected("ak.pub", pub.p, pub.len + 1); /* trailing byte */
		free(pub.p);
		free(pem.p);
	}
	assert_int_equal(tpm_ak_load(path_of(tmp_dir, "does-not-exist", ""), &k, err,
				     sizeof(err)), -1);
	assert_non_null(strstr(err, "does-not-exist"));
}

/* ---- quotes ---- */

static void test_quote_verifies(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		struct blob msg = load(fx->quote, ".msg"), sig = load(fx->quote, ".sig");
		EVP_PKEY *tss = ak_load(fx->ak, ".pub"), *pem = ak_load(fx->ak, ".pem");
		struct tpm_quote_info info;

		/* the fixture really is of the kind it claims: TPMT_SIGNATURE.sigAlg, .hash */
		assert_int_equal(sig.p[0] << 8 | sig.p[1], fx->sig_alg);
		assert_int_equal(sig.p[2] << 8 | sig.p[3], fx->sig_hash);
		assert_int_equal(check(&msg, &sig, tss, &info), 0);
		assert_int_equal(info.sig_hash, fx->sig_hash);
		assert_int_equal(check(&msg, &sig, pem, NULL), 0);
		free(msg.p);
		free(sig.p);
		EVP_PKEY_free(tss);
		EVP_PKEY_free(pem);
	}
}

static void test_quote_tpm2b_message(void **state)
{
	const struct fixture *fx = &fixtures[0];
	struct blob msg = load(fx->quote, ".msg"), sig = load(fx->quote, ".sig");
	struct blob wrapped = { malloc(msg.len + 2), msg.len + 2 };
	EVP_PKEY *ak = ak_load(fx->ak, ".pub");

	(void)state;
	assert_non_null(wrapped.p);
	wrapped.p[0] = (uint8_t)(msg.len >> 8);
	wrapped.p[1] = (uint8_t)msg.len;
	memcpy(wrapped.p + 2, msg.p, msg.len);
	assert_int_equal(check(&wrapped, &sig, ak, NULL), 0);
	wrapped.p[1]++; /* size prefix wrong: neither form */
	assert_int_equal(check(&wrapped, &sig, ak, NULL), -1);
	free(wrapped.p);
	free(msg.p);
	free(sig.p);
	EVP_PKEY_free(ak);
}

static void test_quote_other_ak(void **state)
{
	EVP_PKEY *other_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *other_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	(void)state;
	assert_non_null(other_ec);
	assert_non_null(other_rsa);
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		struct blob msg = load(fx->quote, ".msg"), sig = load(fx->quote, ".sig");
		struct tpm_quote_info info;

		for (size_t j = 0; j < ARRAY_SIZE(fixtures); j++) {
			EVP_PKEY *ak = ak_load(fixtures[j].ak, ".pub");

			assert_int_equal(check(&msg, &sig, ak, &info), i == j ? 0 : 1);
			EVP_PKEY_free(ak);
		}
		assert_int_equal(check(&msg, &sig, other_ec, &info), 1);
		assert_int_equal(check(&msg, &sig, other_rsa, &info), 1);
		/* info is still filled */
		assert_int_equal(info.sig_hash, fx->sig_hash);
		assert_int_equal(info.sel.count, i == 1 ? 2 : 1);
		free(msg.p);
		free(sig.p);
	}
	EVP_PKEY_free(other_ec);
	EVP_PKEY_free(other_rsa);
}

/* Every single-byte change of msg or sig, anywhere, must stop the quote from verifying. */
static void test_quote_flipped_bytes(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		struct blob msg = load(fx->quote, ".msg"), sig = load(fx->quote, ".sig");
		EVP_PKEY *ak = ak_load(fx->ak, ".pub");
		struct tpm_quote_info info;
		size_t nonce_at = 4 + 2 + 2 + 34 + 2; /* magic, type, TPM2B_NAME (sha256), size */

		for (size_t k = 0; k < msg.len; k++) {
			msg.p[k] ^= 0x01;
			if (check(&msg, &sig, ak, NULL) == 0)
				fail_msg("%s.msg: byte %zu flipped still verifies", fx->quote, k);
			msg.p[k] ^= 0x01;
		}
		for (size_t k = 0; k < sig.len; k++) {
			sig.p[k] ^= 0x01;
			if (check(&msg, &sig, ak, NULL) == 0)
				fail_msg("%s.sig: byte %zu flipped still verifies", fx->quote, k);
			sig.p[k] ^= 0x01;
		}
		/* a changed nonce parses but is caught by the signature */
		msg.p[nonce_at] ^= 0x80;
		assert_int_equal(check(&msg, &sig, ak, &info), 1);
		assert_int_equal(info.nonce[0], msg.p[nonce_at]);
		msg.p[nonce_at] ^= 0x80;
		assert_int_equal(check(&msg, &sig, ak, NULL), 0);
		free(msg.p);
		free(sig.p);
		EVP_PKEY_free(ak);
	}
}

static void test_quote_magic_and_type(void **state)
{
	const struct fixture *fx = &fixtures[0];
	struct blob msg = load(fx->quote, ".msg"), sig = load(fx->quote, ".sig");
	EVP_PKEY *ak = ak_load(fx->ak, ".pub");
	char err[256] = "";

	(void)state;
	msg.p[3] = 0x48; /* TCH */
	assert_int_equal(tpm_quote_check(msg.p, msg.len, sig.p, sig.len, ak, NULL, err,
					 sizeof(err)), -1);
	assert_non_null(strstr(err, "TPM_GENERATED_VALUE"));
	msg.p[3] = 0x47;
	msg.p[5] = 0x17; /* TPM_ST_ATTEST_CERTIFY */
	assert_int_equal(tpm_quote_check(msg.p, msg.len, sig.p, sig.len, ak, NULL, err,
					 sizeof(err)), -1);
	msg.p[5] = 0x18;
	assert_int_equal(tpm_quote_check(msg.p, msg.len, sig.p, sig.len, ak, NULL, err,
					 sizeof(err)), 0);
	free(msg.p);
	free(sig.p);
	EVP_PKEY_free(ak);
}

/* A well-formed TPMS_ATTEST of another type (made here with libtss2-mu) is not a quote. */
static void test_quote_other_type(void **state)
{
	const struct fixture *fx = &fixtures[0];
	struct blob msg = load(fx->quote, ".msg"), sig = load(fx->quote, ".sig");
	EVP_PKEY *ak = ak_load(fx->ak, ".pub");
	uint8_t buf[sizeof(TPMS_ATTEST)];
	TPMS_ATTEST a;
	size_t off = 0;
	char err[256] = "";

	(void)state;
	memset(&a, 0, sizeof(a));
	assert_int_equal(Tss2_MU_TPMS_ATTEST_Unmarshal(msg.p, msg.len, &off, &a), 0);
	a.type = TPM2_ST_ATTEST_CERTIFY;
	memset(&a.attested, 0, sizeof(a.attested));
	off = 0;
	assert_int_equal(Tss2_MU_TPMS_ATTEST_Marshal(&a, buf, sizeof(buf), &off), 0);
	assert_int_equal(tpm_quote_check(buf, off, sig.p, sig.len, ak, NULL, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "TPM_ST_ATTEST_QUOTE"));
	free(msg.p);
	free(sig.p);
	EVP_PKEY_free(ak);
}

/* extraData of 65 bytes: no quote has it, and info.nonce must not overflow. */
static void test_quote_oversized_nonce(void **state)
{
	const struct fixture *fx = &fixtures[0]; /* 16-byte nonce at 44, its size at 42 */
	struct blob msg = load(fx->quote, ".msg"), sig = load(fx->quote, ".sig");
	struct blob big = { malloc(msg.len + 49), msg.len + 49 };
	EVP_PKEY *ak = ak_load(fx->ak, ".pub");
	struct tpm_quote_info info;

	(void)state;
	assert_non_null(big.p);
	assert_int_equal(msg.p[42] << 8 | msg.p[43], 16);
	memcpy(big.p, msg.p, 42);
	big.p[42] = 0;
	big.p[43] = 65;
	memset(big.p + 44, 0xaa, 65);
	memcpy(big.p + 44 + 65, msg.p + 44 + 16, msg.len - 44 - 16);
	assert_int_equal(check(&big, &sig, ak, &info), -1);
	assert_int_equal(info.nonce_len, 0);
	big.p[43] = 64; /* with 64 bytes it parses (one byte is left over) */
	assert_int_equal(check(&big, &sig, ak, &info), -1);
	big.p[43] = 65;
	memmove(big.p + 44 + 64, big.p + 44 + 65, big.len - 44 - 65);
	big.len--;
	big.p[43] = 64;
	assert_int_equal(check(&big, &sig, ak, &info), 1);
	assert_int_equal(info.nonce_len, 64);
	free(big.p);
	free(msg.p);
	free(sig.p);
	EVP_PKEY_free(ak);
}

/* An HMAC "signature" (well-formed TPMT_SIGNATURE) is not supported. */
static void test_quote_hmac_signature(void **state)
{
	const struct fixture *fx = &fixtures[0];
	struct blob msg = load(fx->quote, ".msg");
	EVP_PKEY *ak = ak_load(fx->ak, ".pub");
	TPMT_SIGNATURE s = { .sigAlg = TPM2_ALG_HMAC };
	uint8_t buf[sizeof(TPMT_SIGNATURE)];
	size_t off = 0;
	char err[256] = "";

	(void)state;
	s.signature.hmac.hashAlg = TPM2_ALG_SHA256;
	assert_int_equal(Tss2_MU_TPMT_SIGNATURE_Marshal(&s, buf, sizeof(buf), &off), 0);
	assert_int_equal(tpm_quote_check(msg.p, msg.len, buf, off, ak, NULL, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "unsupported"));
	free(msg.p);
	EVP_PKEY_free(ak);
}

static struct blob plus_one(const struct blob *b)
{
	struct blob r = { malloc(b->len + 1), b->len + 1 };

	assert_non_null(r.p);
	memcpy(r.p, b->p, b->len);
	r.p[b->len] = 0;
	return r;
}

static void test_quote_trailing_bytes(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		struct blob msg = load(fx->quote, ".msg"), sig = load(fx->quote, ".sig");
		struct blob msg1 = plus_one(&msg), sig1 = plus_one(&sig);
		EVP_PKEY *ak = ak_load(fx->ak, ".pub");
		char err[256] = "";

		assert_int_equal(tpm_quote_check(msg1.p, msg1.len, sig.p, sig.len, ak, NULL, err,
						 sizeof(err)), -1);
		assert_non_null(strstr(err, "trailing"));
		assert_int_equal(tpm_quote_check(msg.p, msg.len, sig1.p, sig1.len, ak, NULL, err,
						 sizeof(err)), -1);
		assert_non_null(strstr(err, "trailing"));
		free(msg.p);
		free(sig.p);
		free(msg1.p);
		free(sig1.p);
		EVP_PKEY_free(ak);
	}
}

static void test_quote_nonce(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		struct blob msg = load(fx->quote, ".msg"), sig = load(fx->quote, ".sig");
		EVP_PKEY *ak = ak_load(fx->ak, ".pem");
		struct tpm_quote_info info;
		uint8_t nonce[64];
		size_t nlen = 0;

		nonce_of(fx, nonce, &nlen);
		assert_int_equal(check(&msg, &sig, ak, &info), 0);
		assert_int_equal(info.nonce_len, nlen);
		assert_memory_equal(info.nonce, nonce, nlen);
		free(msg.p);
		free(sig.p);
		EVP_PKEY_free(ak);
	}
}

/* Every truncation of msg and of sig is malformed (-1), with the other part intact. */
static void test_quote_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		struct blob msg = load(fx->quote, ".msg"), sig = load(fx->quote, ".sig");
		EVP_PKEY *ak = ak_load(fx->ak, ".pub");

		for (size_t n = 0; n < msg.len; n++) {
			/* a fresh, exactly-sized copy so ASan sees any over-read */
			struct blob t = { malloc(n ? n : 1), n };

			memcpy(t.p, msg.p, n);
			if (check(&t, &sig, ak, NULL) != -1)
				fail_msg("%s.msg truncated to %zu not rejected", fx->quote, n);
			free(t.p);
		}
		for (size_t n = 0; n < sig.len; n++) {
			struct blob t = { malloc(n ? n : 1), n };

			memcpy(t.p, sig.p, n);
			if (check(&msg, &t, ak, NULL) != -1)
				fail_msg("%s.sig truncated to %zu not rejected", fx->quote, n);
			free(t.p);
		}
		free(msg.p);
		free(sig.p);
		EVP_PKEY_free(ak);
	}
}

/* ---- pcrDigest and PCR files ---- */

static void test_pcr_file_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		struct tpm_pcr_file *f = calloc(1, sizeof(*f));
		char err[256] = "";

		assert_non_null(f);
		if (tpm_pcr_file_load(path_of(data_dir, fx->quote, ".pcrs"), f, err, sizeof(err)))
			fail_msg("%s", err);
		assert_int_equal(f->nvalues, fx->nvalues);
		for (size_t k = 0; k < f->nvalues; k++) {
			uint8_t want[64];
			size_t wlen = 0;

			assert_int_equal(expected_value(NULL, f->values[k].alg, f->values[k].pcr,
							want, &wlen), 0);
			assert_int_equal(f->values[k].len, wlen);
			assert_memory_equal(f->values[k].value, want, wlen);
		}
		free(f);
	}
}

struct changed {
	struct tpm_pcr_file *f;
	uint16_t alg;
	unsigned pcr;
};

/* The file's values, with one PCR's value altered. */
static int changed_value(void *ctx, uint16_t alg, unsigned pcr, uint8_t *out, size_t *len)
{
	struct changed *c = ctx;
	int r = tpm_pcr_file_value(c->f, alg, pcr, out, len);

	if (r == 0 && alg == c->alg && pcr == c->pcr)
		out[*len - 1] ^= 0x01;
	return r;
}

static int short_value(void *ctx, uint16_t alg, unsigned pcr, uint8_t *out, size_t *len)
{
	int r = tpm_pcr_file_value(ctx, alg, pcr, out, len);

	if (r == 0)
		(*len)--;
	return r;
}

static void pcr_digest_ok(const struct tpm_quote_info *info, tpm_pcr_value_fn fn, void *ctx,
			  uint8_t *out, size_t *len)
{
	char err[256] = "";

	if (tpm_pcr_digest(&info->sel, info->sig_hash, fn, ctx, out, len, err, sizeof(err)))
		fail_msg("tpm_pcr_digest: %s", err);
}

static void quote_info(const struct fixture *fx, struct tpm_quote_info *info)
{
	struct blob msg = load(fx->quote, ".msg"), sig = load(fx->quote, ".sig");
	EVP_PKEY *ak = ak_load(fx->ak, ".pub");

	assert_int_equal(check(&msg, &sig, ak, info), 0);
	free(msg.p);
	free(sig.p);
	EVP_PKEY_free(ak);
}

/* H(values in selection order), computed here from the expected values. */
static void independent_digest(const struct tpm_quote_info *info, uint8_t *out)
{
	const char *name = info->sig_hash == TPM2_ALG_SHA384 ? "SHA384" : "SHA256";
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = 0;

	assert_int_equal(EVP_DigestInit_ex(c, EVP_get_digestbyname(name), NULL), 1);
	for (uint32_t b = 0; b < info->sel.count; b++) {
		const TPMS_PCR_SELECTION *s = &info->sel.pcrSelections[b];

		for (unsigned pcr = 0; pcr < s->sizeofSelect * 8u; pcr++) {
			uint8_t v[64];
			size_t len = 0;

			if (!(s->pcrSelect[pcr / 8] & (1u << (pcr % 8))))
				continue;
			assert_int_equal(expected_value(NULL, s->hash, pcr, v, &len), 0);
			assert_int_equal(EVP_DigestUpdate(c, v, len), 1);
		}
	}
	assert_int_equal(EVP_DigestFinal_ex(c, out, &n), 1);
	assert_int_equal(n, info->pcr_digest_len);
	EVP_MD_CTX_free(c);
}

static void test_pcr_digest_matches(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		struct tpm_pcr_file *f = calloc(1, sizeof(*f));
		struct tpm_quote_info info;
		uint8_t d[64], indep[64];
		size_t dlen = 0;

		assert_non_null(f);
		quote_info(fx, &info);
		assert_int_equal(
			tpm_pcr_file_load(path_of(data_dir, fx->quote, ".pcrs"), f, NULL, 0), 0);
		assert_true(tpm_pcr_selection_equal(&f->sel, &info.sel));
		pcr_digest_ok(&info, tpm_pcr_file_value, f, d, &dlen);
		assert_int_equal(dlen, info.pcr_digest_len);
		assert_memory_equal(d, info.pcr_digest, dlen);
		independent_digest(&info, indep);
		assert_memory_equal(indep, info.pcr_digest, dlen);
		pcr_digest_ok(&info, expected_value, NULL, d, &dlen);
		assert_memory_equal(d, info.pcr_digest, dlen);
		free(f);
	}
}

static void test_pcr_digest_mismatch(void **state)
{
	char err[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		const struct fixture *fx = &fixtures[i];
		struct changed c = { calloc(1, sizeof(*c.f)), 0, 0 };
		struct tpm_quote_info info;
		uint8_t d[64];
		size_t dlen = 0;

		assert_non_null(c.f);
		quote_info(fx, &info);
		assert_int_equal(tpm_pcr_file_load(path_of(data_dir, fx->quote, ".pcrs"), c.f,
						   NULL, 0), 0);
		for (size_t k = 0; k < c.f->nvalues; k++) {
			c.alg = c.f->values[k].alg;
			c.pcr = c.f->values[k].pcr;
			pcr_digest_ok(&info, changed_value, &c, d, &dlen);
			assert_int_equal(dlen, info.pcr_digest_len);
			assert_memory_not_equal(d, info.pcr_digest, dlen);
		}
		/* a missing value and a value of the wrong size are errors */
		c.pcr = c.f->values[0].pcr;
		c.f->values[0].pcr = 30;
		assert_int_equal(tpm_pcr_digest(&info.sel, info.sig_hash, tpm_pcr_file_value, c.f,
						d, &dlen, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "no value"));
		c.f->values[0].pcr = (uint8_t)c.pcr;
		assert_int_equal(tpm_pcr_digest(&info.sel, info.sig_hash, short_value, c.f, d,
						&dlen, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "bytes, not"));
		assert_int_equal(tpm_pcr_digest(&info.sel, 0x7777, tpm_pcr_file_value, c.f, d,
						&dlen, err, sizeof(err)), -1);
		free(c.f);
	}
}

static void test_pcr_digest_order(void **state)
{
	const struct fixture *fx = &fixtures[1]; /* sha1 + sha256 banks */
	struct tpm_quote_info info;
	TPML_PCR_SELECTION swapped;
	uint8_t d[64];
	size_t dlen = 0;

	(void)state;
	quote_info(fx, &info);
	swapped = info.sel;
	swapped.pcrSelections[0] = info.sel.pcrSelections[1];
	swapped.pcrSelections[1] = info.sel.pcrSelections[0];
	assert_false(tpm_pcr_selection_equal(&swapped, &info.sel));
	assert_int_equal(tpm_pcr_digest(&swapped, info.sig_hash, expected_value, NULL, d, &dlen,
					NULL, 0), 0);
	assert_memory_not_equal(d, info.pcr_digest, dlen);
}

static void test_selection_equal(void **state)
{
	TPML_PCR_SELECTION a = { .count = 1 }, b;

	(void)state;
	a.pcrSelections[0] = (TPMS_PCR_SELECTION){ TPM2_ALG_SHA256, 3, { 0x01, 0x03, 0x00 } };
	b = a;
	b.pcrSelections[0].sizeofSelect = 4;
	assert_true(tpm_pcr_selection_equal(&a, &b));
	b.pcrSelections[0].pcrSelect[3] = 0x80;
	assert_false(tpm_pcr_selection_equal(&a, &b));
	b = a;
	b.pcrSelections[0].hash = TPM2_ALG_SHA1;
	assert_false(tpm_pcr_selection_equal(&a, &b));
	b = a;
	b.pcrSelections[0].pcrSelect[1] = 0x01;
	assert_false(tpm_pcr_selection_equal(&a, &b));
	b = a;
	b.count = 2;
	assert_false(tpm_pcr_selection_equal(&a, &b));
}

/* what: for the failure message; want: a substring the error must contain. */
static void expect_pcrs_rejected(const uint8_t *p, size_t len, const char *what,
				 const char *want)
{
	struct tpm_pcr_file *f = calloc(1, sizeof(*f));
	/* an exactly-sized copy so ASan sees any over-read */
	uint8_t *copy = malloc(len ? len : 1);
	char err[256] = "";

	assert_non_null(f);
	assert_non_null(copy);
	memcpy(copy, p, len);
	if (tpm_pcr_file_parse(copy, len, "t", f, err, sizeof(err)) != -1)
		fail_msg("PCR file %s (%zu bytes) accepted", what, len);
	assert_int_equal(f->nvalues, 0);
	assert_non_null(strstr(err, "t: PCR file: "));
	if (want && !strstr(err, want))
		fail_msg("PCR file %s: error \"%s\" lacks \"%s\"", what, err, want);
	free(copy);
	free(f);
}

static void test_pcr_file_truncated(void **state)
{
	struct tpm_pcr_file *f = calloc(1, sizeof(*f));

	(void)state;
	assert_non_null(f);
	for (size_t i = 0; i < ARRAY_SIZE(fixtures); i++) {
		struct blob b = load(fixtures[i].quote, ".pcrs");

		assert_int_equal(tpm_pcr_file_parse(b.p, b.len, "t", f, NULL, 0), 0);
		for (size_t n = 0; n < b.len; n++)
			expect_pcrs_rejected(b.p, n, "truncated", NULL);
		b.p = realloc(b.p, b.len + 1);
		assert_non_null(b.p);
		b.p[b.len] = 0;
		expect_pcrs_rejected(b.p, b.len + 1, "with a trailing byte", "expected");
		/* and through the file loader */
		write_tmp("short.pcrs", b.p, b.len - 1);
		assert_int_equal(tpm_pcr_file_load(path_of(tmp_dir, "short.pcrs", ""), f, NULL, 0),
				 -1);
		free(b.p);
	}
	free(f);
}

/* Offsets in the tpm2-tools layout (see tpm_quote.h). */
#define SEL_HASH(i) (4 + 8 * (i))
#define SEL_SIZEOF(i) (4 + 8 * (i) + 2)
#define SEL_BITS(i) (4 + 8 * (i) + 3)
#define NLISTS 132
#define LIST0 136
#define DIGEST0_SIZE (LIST0 + 4)

static void test_pcr_file_strict(void **state)
{
	struct blob b = load("quote_ecc", ".pcrs"); /* sha1:0,8,16 + sha256:0,8,9 */
	struct tpm_pcr_file *f = calloc(1, sizeof(*f));
	uint8_t *p = b.p;

	(void)state;
	assert_non_null(f);
	p[SEL_HASH(1)] = 0x77;
	expect_pcrs_rejected(p, b.len, "with an unknown bank", "unknown bank");
	p[SEL_HASH(1)] = TPM2_ALG_SHA256;
	p[SEL_SIZEOF(0)] = 5;
	expect_pcrs_rejected(p, b.len, "with sizeofSelect 5", "sizeofSelect");
	p[SEL_SIZEOF(0)] = 3;
	p[SEL_BITS(1) + 1] = 0x07; /* sha256 PCR 10 too: one more PCR selected than values */
	expect_pcrs_rejected(p, b.len, "with too few values", "no value for PCR sha256:10");
	p[SEL_BITS(1) + 1] = 0x01; /* sha256 PCR 9 dropped: one value too many */
	expect_pcrs_rejected(p, b.len, "with too many values", "6 values for 5");
	p[SEL_BITS(1) + 1] = 0x03;
	p[SEL_BITS(0)] ^= 0x01; /* sha1 PCR 0 dropped: the values shift into the wrong bank */
	expect_pcrs_rejected(p, b.len, "with shifted values", "bytes, not");
	p[SEL_BITS(0)] ^= 0x01;
	p[DIGEST0_SIZE] = 32; /* a sha1 value of sha256 size */
	expect_pcrs_rejected(p, b.len, "with a wrong digest size", "bytes, not");
	p[DIGEST0_SIZE] = 65;
	expect_pcrs_rejected(p, b.len, "with a 65-byte digest", "size 65");
	p[DIGEST0_SIZE] = 20;
	p[LIST0] = 9;
	expect_pcrs_rejected(p, b.len, "with 9 digests in a list", "9 digests");
	p[LIST0] = 6;
	p[NLISTS + 3] = 0x80;
	expect_pcrs_rejected(p, b.len, "with a huge list count", "(at most 32)");
	p[NLISTS + 3] = 0;
	p[0] = 17;
	expect_pcrs_rejected(p, b.len, "with 17 banks", "17 banks");
	p[0] = 2;
	assert_int_equal(tpm_pcr_file_parse(p, b.len, "t", f, NULL, 0), 0);
	free(f);
	free(b.p);
}

/* 33 digest lists of exactly the right size, each full: more than tpm2-tools can write. */
static void test_pcr_file_too_many_lists(void **state)
{
	size_t len = 136 + 33 * 532;
	uint8_t *p = calloc(1, len);

	(void)state;
	assert_non_null(p);
	p[0] = 1;
	p[SEL_HASH(0)] = TPM2_ALG_SHA1;
	p[SEL_SIZEOF(0)] = 4;
	p[NLISTS] = 33;
	for (size_t j = 0; j < 33; j++) {
		uint8_t *l = p + LIST0 + j * 532;

		l[0] = 8;
		for (size_t k = 0; k < 8; k++)
			l[4 + k * 66] = 20;
	}
	expect_pcrs_rejected(p, len, "with 33 lists", "(at most 32)");
	free(p);
}

/* quote_rsa.pcrs (sha256:0,8,9) with its bank and its values twice. */
static void test_pcr_file_bank_twice(void **state)
{
	struct blob b = load("quote_rsa", ".pcrs");
	struct tpm_pcr_file *f = calloc(1, sizeof(*f));
	uint8_t *p = b.p;

	(void)state;
	assert_non_null(f);
	assert_int_equal(p[LIST0], 3);
	p[0] = 2;
	memcpy(p + SEL_HASH(1), p + SEL_HASH(0), 8);
	p[LIST0] = 6;
	memcpy(p + DIGEST0_SIZE + 3 * 66, p + DIGEST0_SIZE, 3 * 66);
	expect_pcrs_rejected(p, b.len, "with a bank twice", "twice");
	p[SEL_HASH(1)] = TPM2_ALG_SHA3_256; /* a different bank of the same size is fine */
	assert_int_equal(tpm_pcr_file_parse(p, b.len, "t", f, NULL, 0), 0);
	assert_int_equal(f->nvalues, 6);
	free(f);
	free(b.p);
}

static int group_setup(void **state)
{
	(void)state;
	/* libtss2-mu logs every malformed input it is fed; the tests feed thousands */
	setenv("TSS2_LOG", "marshal+none", 0);
	data_dir = getenv("TPM_QUOTE_DATA");
	if (!data_dir)
		data_dir = DEFAULT_DATA_DIR;
	return mkdtemp(tmp_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	static const char *const files[] = { "ak.pub", "ak.pem", "ak.tpmt", "ak.der",
					     "short.pcrs" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		unlink(path_of(tmp_dir, files[i], ""));
	return rmdir(tmp_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ak_forms),
		cmocka_unit_test(test_ak_rejects),
		cmocka_unit_test(test_ak_ecc_short_coordinate),
		cmocka_unit_test(test_quote_verifies),
		cmocka_unit_test(test_quote_tpm2b_message),
		cmocka_unit_test(test_quote_other_ak),
		cmocka_unit_test(test_quote_flipped_bytes),
		cmocka_unit_test(test_quote_magic_and_type),
		cmocka_unit_test(test_quote_other_type),
		cmocka_unit_test(test_quote_trailing_bytes),
		cmocka_unit_test(test_quote_oversized_nonce),
		cmocka_unit_test(test_quote_hmac_signature),
		cmocka_unit_test(test_quote_nonce),
		cmocka_unit_test(test_quote_truncated),
		cmocka_unit_test(test_pcr_file_values),
		cmocka_unit_test(test_pcr_digest_matches),
		cmocka_unit_test(test_pcr_digest_mismatch),
		cmocka_unit_test(test_pcr_digest_order),
		cmocka_unit_test(test_selection_equal),
		cmocka_unit_test(test_pcr_file_truncated),
		cmocka_unit_test(test_pcr_file_strict),
		cmocka_unit_test(test_pcr_file_bank_twice),
		cmocka_unit_test(test_pcr_file_too_many_lists),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
