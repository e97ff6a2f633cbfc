// SPDX-License-Identifier: MIT
/* TDX DCAP quotes: sim quotes (v4, v5 types 2 and 3) through the parser at the right offsets,
 * verification and which check fails for which tampering, parser rejections (every truncation,
 * wrong lengths, trailing bytes, versions, TEE types), the sim CA's files, and two real Intel
 * quotes (tests/unit/data/tdx_quote/README.md) against the Intel SGX Root CA. */
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/tdx_quote.h"
#include "attest/tdx_sim_ca.h"
#include "common/util.h"

/* v4 quote offsets (header 48 + body 584 + u32 signature data length). */
#define V4_REPORTDATA 568
#define V4_RTMR0 376
#define V4_MRTD 184
#define V4_SIG_LEN 632
#define V4_SIG 636
#define V4_ATTEST_KEY 700
#define V4_CERT_TYPE 764
#define V4_QE_REPORT 770
#define V4_QE_AUTH_LEN 1218
#define V4_PCK_CHAIN 1258

struct env {
	char root[256];
	struct tdx_sim_ca *ca;     /* root/ca */
	struct tdx_sim_ca *other;  /* root/other: a different root CA */
	uint8_t rd[64];
	uint8_t rtmr[4][48];
};

/* ---- helpers ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void subdir(const struct env *e, const char *name, char *out, size_t outlen)
{
	assert_true(snprintf(out, outlen, "%s/%s", e->root, name) < (int)outlen);
}

static int group_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	const char *tmp = getenv("TMPDIR");
	char dir[320], err[256];

	if (!e)
		return -1;
	snprintf(e->root, sizeof(e->root), "%s/test_tdx_quote.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(e->root))
		return -1;
	for (size_t i = 0; i < sizeof(e->rd); i++)
		e->rd[i] = (uint8_t)(0xa0 ^ i);
	for (int r = 0; r < 4; r++)
		for (int i = 0; i < 48; i++)
			e->rtmr[r][i] = (uint8_t)(0x10 * (r + 1) + i);
	snprintf(dir, sizeof(dir), "%s/ca", e->root);
	if (tdx_sim_ca_open(dir, &e->ca, err, sizeof(err))) {
		fprintf(stderr, "sim CA: %s\n", err);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/other", e->root);
	if (tdx_sim_ca_open(dir, &e->other, err, sizeof(err))) {
		fprintf(stderr, "sim CA: %s\n", err);
		return -1;
	}
	*state = e;
	return 0;
}

static int group_teardown(void **state)
{
	struct env *e = *state;

	if (!e)
		return 0;
	tdx_sim_ca_close(e->ca);
	tdx_sim_ca_close(e->other);
	nftw(e->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(e);
	return 0;
}

/* version 4, or 5 with body type 2/3. */
static uint8_t *sim(const struct env *e, int version, uint16_t body_type, size_t *len)
{
	uint8_t *quote = NULL;
	char err[256] = "";
	int r = version == 4 ? tdx_sim_quote(e->ca, e->rd, e->rtmr, &quote, len, err, sizeof(err))
			     : tdx_sim_quote_v5(e->ca, body_type, e->rd, e->rtmr, &quote, len, err,
						sizeof(err));

	if (r)
		fail_msg("sim quote: %s", err);
	return quote;
}

static void parse_ok(const uint8_t *buf, size_t len, struct tdx_quote *q)
{
	char err[256] = "";

	if (tdx_quote_parse(buf, len, q, err, sizeof(err)))
		fail_msg("parse: %s", err);
}

/* Parse a private exact-size copy (so ASan sees any over-read); expect failure naming want. */
static void parse_fails(const uint8_t *buf, size_t len, const char *want)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct tdx_quote q;
	char err[256] = "";

	assert_non_null(copy);
	if (len)
		memcpy(copy, buf, len);
	if (tdx_quote_parse(copy, len, &q, err, sizeof(err)) != -1)
		fail_msg("parse of %zu bytes succeeded, want \"%s\"", len, want);
	free(copy);
	if (!strstr(err, want))
		fail_msg("parse error \"%s\" does not contain \"%s\"", err, want);
	assert_null(q.header);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void set_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void set_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* Flip one byte at off, re-parse, verify against root; return the result. */
static int verify_flipped(uint8_t *buf, size_t len, size_t off, X509 *root,
			  struct tdx_quote_checks *ck)
{
	struct tdx_quote q;
	int rc;

	buf[off] ^= 0x01;
	parse_ok(buf, len, &q);
	rc = tdx_quote_verify(&q, root, ck);
	buf[off] ^= 0x01;
	return rc;
}

static void assert_checks(const struct tdx_quote_checks *ck, bool quote_sig, bool qe_sig,
			  bool binding, bool chain)
{
	if (ck->structure_ok && ck->quote_sig_ok == quote_sig && ck->qe_report_sig_ok == qe_sig &&
	    ck->qe_binding_ok == binding && ck->chain_ok == chain)
		return;
	fail_msg("checks struct=%d quote_sig=%d qe_sig=%d binding=%d chain=%d "
		 "(want %d %d %d %d): %s",
		 ck->structure_ok, ck->quote_sig_ok, ck->qe_report_sig_ok, ck->qe_binding_ok,
		 ck->chain_ok, quote_sig, qe_sig, binding, chain, ck->detail);
}

static void assert_detail(const struct tdx_quote_checks *ck, const char *want)
{
	if (!strstr(ck->detail, want))
		fail_msg("detail \"%s\" does not contain \"%s\"", ck->detail, want);
}

/* ---- layout round trips ---- */

static void test_v4_layout(void **state)
{
	struct env *e = *state;
	size_t len;
	_cleanup_free_ uint8_t *buf = sim(e, 4, 0, &len);
	struct tdx_quote q;

	parse_ok(buf, len, &q);
	assert_int_equal(q.version, 4);
	assert_int_equal(q.att_key_type, 2);
	assert_int_equal(q.tee_type, 0x81);
	assert_int_equal(q.body_type, 2);
	assert_ptr_equal(q.header, buf);
	assert_ptr_equal(q.body, buf + 48);
	assert_int_equal(q.body_len, 584);
	assert_ptr_equal(q.signed_data, buf);
	assert_int_equal(q.signed_len, 632);
	assert_ptr_equal(q.reportdata, buf + V4_REPORTDATA);
	assert_memory_equal(buf + V4_REPORTDATA, e->rd, 64);
	for (int i = 0; i < 4; i++) {
		assert_ptr_equal(q.rtmr[i], buf + V4_RTMR0 + 48 * i);
		assert_memory_equal(buf + V4_RTMR0 + 48 * i, e->rtmr[i], 48);
	}
	assert_ptr_equal(q.mrtd, buf + V4_MRTD);
	assert_memory_not_equal(q.mrtd, (uint8_t[48]){ 0 }, 48);  /* a fixed sim value */
	assert_memory_equal(buf + 12, TDX_SIM_QE_VENDOR_ID, 16);
	assert_int_equal(get_u32(buf + V4_SIG_LEN), len - V4_SIG);
	assert_ptr_equal(q.sig, buf + V4_SIG);
	assert_ptr_equal(q.attest_key, buf + V4_ATTEST_KEY);
	assert_int_equal(q.cert_type, 6);
	assert_int_equal(buf[V4_CERT_TYPE], 6);
	assert_ptr_equal(q.qe_report, buf + V4_QE_REPORT);
	assert_ptr_equal(q.qe_report_sig, buf + V4_QE_REPORT + 384);
	assert_int_equal(buf[V4_QE_AUTH_LEN], 32);
	assert_int_equal(q.qe_auth_len, 32);
	assert_ptr_equal(q.qe_auth, buf + V4_QE_AUTH_LEN + 2);
	assert_int_equal(q.pck_cert_type, 5);
	assert_ptr_equal(q.pck_chain, buf + V4_PCK_CHAIN);
	assert_int_equal(q.pck_chain_len, len - V4_PCK_CHAIN);
	assert_int_equal(q.pck_chain[q.pck_chain_len - 1], '\0');
	assert_int_equal(strncmp((const char *)q.pck_chain, "-----BEGIN CERTIFICATE-----", 27), 0);
}

static void check_v5_layout(const struct env *e, uint16_t type, size_t body_len)
{
	size_t len;
	_cleanup_free_ uint8_t *buf = sim(e, 5, type, &len);
	struct tdx_quote q;

	parse_ok(buf, len, &q);
	assert_int_equal(q.version, 5);
	assert_int_equal(q.body_type, type);
	assert_int_equal(buf[48] | buf[49] << 8, type);
	assert_int_equal(get_u32(buf + 50), body_len);
	assert_ptr_equal(q.body, buf + 54);
	assert_int_equal(q.body_len, body_len);
	assert_int_equal(q.signed_len, 54 + body_len);
	assert_ptr_equal(q.reportdata, buf + 574);
	assert_memory_equal(buf + 574, e->rd, 64);
	for (int i = 0; i < 4; i++) {
		assert_ptr_equal(q.rtmr[i], buf + 54 + 328 + 48 * i);
		assert_memory_equal(q.rtmr[i], e->rtmr[i], 48);
	}
	assert_int_equal(get_u32(buf + 54 + body_len), len - (54 + body_len + 4));
	assert_ptr_equal(q.sig, buf + 54 + body_len + 4);
	assert_int_equal(q.qe_auth_len, 32);
	assert_ptr_equal(q.pck_chain + q.pck_chain_len, buf + len);
}

static void test_v5_layout(void **state)
{
	check_v5_layout(*state, 2, 584);
	check_v5_layout(*state, 3, 648);
}

/* ---- verification ---- */

static void test_verify_ok(void **state)
{
	struct env *e = *state;
	const int kinds[][2] = { { 4, 0 }, { 5, 2 }, { 5, 3 } };

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		size_t len;
		_cleanup_free_ uint8_t *buf = sim(e, kinds[k][0], (uint16_t)kinds[k][1], &len);
		struct tdx_quote_checks ck;
		struct tdx_quote q;

		parse_ok(buf, len, &q);
		assert_int_equal(tdx_quote_verify(&q, tdx_sim_ca_root(e->ca), &ck), 0);
		assert_checks(&ck, true, true, true, true);
		assert_string_equal(ck.detail, "");
	}
}

static void test_verify_body_flipped(void **state)
{
	struct env *e = *state;
	const int kinds[][2] = { { 4, 0 }, { 5, 2 }, { 5, 3 } };

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		size_t len, body = kinds[k][0] == 4 ? 48 : 54;
		_cleanup_free_ uint8_t *buf = sim(e, kinds[k][0], (uint16_t)kinds[k][1], &len);
		/* an RTMR2 byte, a REPORTDATA byte, an MRTD byte, a header user_data byte */
		const size_t offs[] = { body + 328 + 2 * 48 + 7, body + 520 + 63, body + 136, 40 };
		struct tdx_quote_checks ck;

		for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
			assert_int_equal(verify_flipped(buf, len, offs[i],
							tdx_sim_ca_root(e->ca), &ck), 1);
			assert_checks(&ck, false, true, true, true);
			assert_detail(&ck, "quote signature");
		}
	}
}

static void test_verify_qe_report_flipped(void **state)
{
	struct env *e = *state;
	size_t len;
	_cleanup_free_ uint8_t *buf = sim(e, 4, 0, &len);
	struct tdx_quote_checks ck;

	assert_int_equal(verify_flipped(buf, len, V4_QE_REPORT + 17, tdx_sim_ca_root(e->ca), &ck),
			 1);
	assert_checks(&ck, true, false, true, true);
	assert_detail(&ck, "QE report signature");
	/* REPORTDATA's second half, which must be zero: signature and binding both break */
	assert_int_equal(verify_flipped(buf, len, V4_QE_REPORT + 320 + 40, tdx_sim_ca_root(e->ca),
					&ck), 1);
	assert_checks(&ck, true, false, false, true);
	/* the QE report signature itself */
	assert_int_equal(verify_flipped(buf, len, V4_QE_REPORT + 384 + 40, tdx_sim_ca_root(e->ca),
					&ck), 1);
	assert_checks(&ck, true, false, true, true);
}

static void test_verify_qe_auth_changed(void **state)
{
	struct env *e = *state;
	size_t len;
	_cleanup_free_ uint8_t *buf = sim(e, 4, 0, &len);
	struct tdx_quote_checks ck;

	assert_int_equal(verify_flipped(buf, len, V4_QE_AUTH_LEN + 2 + 31, tdx_sim_ca_root(e->ca),
					&ck), 1);
	assert_checks(&ck, true, true, false, true);
	assert_detail(&ck, "REPORTDATA");
}

static void test_verify_other_root(void **state)
{
	struct env *e = *state;
	size_t len;
	_cleanup_free_ uint8_t *buf = sim(e, 5, 3, &len);
	struct tdx_quote_checks ck;
	struct tdx_quote q;

	parse_ok(buf, len, &q);
	assert_int_equal(tdx_quote_verify(&q, tdx_sim_ca_root(e->other), &ck), 1);
	assert_checks(&ck, true, true, true, false);
	assert_detail(&ck, "PCK chain");
}

/* Another attestation key in the quote: the quote signature and the QE binding both fail,
 * and the detail names the first. */
static void test_verify_swapped_attest_key(void **state)
{
	struct env *e = *state;
	size_t len, olen;
	_cleanup_free_ uint8_t *buf = sim(e, 4, 0, &len);
	_cleanup_free_ uint8_t *other = NULL;
	struct tdx_quote_checks ck;
	struct tdx_quote q;
	char err[256];

	assert_int_equal(tdx_sim_quote(e->other, e->rd, e->rtmr, &other, &olen, err, sizeof(err)),
			 0);
	memcpy(buf + V4_ATTEST_KEY, other + V4_ATTEST_KEY, 64);
	parse_ok(buf, len, &q);
	assert_int_equal(tdx_quote_verify(&q, tdx_sim_ca_root(e->ca), &ck), 1);
	assert_checks(&ck, false, true, false, true);
	assert_detail(&ck, "quote signature");
	/* not a curve point at all */
	memset(buf + V4_ATTEST_KEY, 0x11, 64);
	parse_ok(buf, len, &q);
	assert_int_equal(tdx_quote_verify(&q, tdx_sim_ca_root(e->ca), &ck), 1);
	assert_checks(&ck, false, true, false, true);
	assert_detail(&ck, "not a P-256 point");
}

/* A PCK chain that is no PEM: the QE report signature and the chain both fail. */
static void test_verify_garbled_chain(void **state)
{
	struct env *e = *state;
	size_t len;
	_cleanup_free_ uint8_t *buf = sim(e, 4, 0, &len);
	struct tdx_quote_checks ck;
	struct tdx_quote q;

	for (uint8_t *p = buf + V4_PCK_CHAIN; (p = memmem(p, len - (size_t)(p - buf), "BEGIN", 5));)
		*p = 'X';
	parse_ok(buf, len, &q);
	assert_int_equal(tdx_quote_verify(&q, tdx_sim_ca_root(e->ca), &ck), 1);
	assert_checks(&ck, true, false, true, false);
	assert_detail(&ck, "no PEM certificate");
	assert_int_equal(tdx_quote_verify(NULL, tdx_sim_ca_root(e->ca), &ck), -1);
	assert_int_equal(tdx_quote_verify(&q, NULL, &ck), -1);
}

/* ---- parser rejections ---- */

static void test_parse_every_truncation(void **state)
{
	struct env *e = *state;
	const int kinds[][2] = { { 4, 0 }, { 5, 3 } };

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		size_t len;
		_cleanup_free_ uint8_t *buf = sim(e, kinds[k][0], (uint16_t)kinds[k][1], &len);

		for (size_t n = 0; n < len; n++)
			parse_fails(buf, n, "truncated");
	}
	parse_fails(NULL, 0, "truncated at offset 0");
}

/* Signature data cut short with the signature data length (and from 134 bytes on the
 * certification data size) made to agree: every inner field's own bound must catch it. */
static void test_parse_short_sig_data(void **state)
{
	struct env *e = *state;
	size_t len;
	_cleanup_free_ uint8_t *buf = sim(e, 4, 0, &len);
	uint32_t full = get_u32(buf + V4_SIG_LEN);

	for (uint32_t n = 0; n < full; n++) {
		set_u32(buf + V4_SIG_LEN, n);
		if (n >= 134)
			set_u32(buf + V4_CERT_TYPE + 2, n - 134);
		parse_fails(buf, V4_SIG + n, "truncated");
	}
}

static void test_parse_sig_len_wrong(void **state)
{
	struct env *e = *state;
	size_t len;
	_cleanup_free_ uint8_t *buf = sim(e, 4, 0, &len);
	uint32_t sig_len = get_u32(buf + V4_SIG_LEN);
	struct tdx_quote q;
	char want[128];

	set_u32(buf + V4_SIG_LEN, sig_len + 1);
	snprintf(want, sizeof(want),
		 "truncated at offset %zu (signature data length at 632 says %u", len, sig_len + 1);
	parse_fails(buf, len, want);
	set_u32(buf + V4_SIG_LEN, 0xffffffff);
	parse_fails(buf, len, "signature data length at 632 says 4294967295");
	set_u32(buf + V4_SIG_LEN, sig_len - 1);
	parse_fails(buf, len, "trailing data: signature data length");
	set_u32(buf + V4_SIG_LEN, sig_len);
	parse_ok(buf, len, &q);
}

static void test_parse_trailing_bytes(void **state)
{
	struct env *e = *state;
	size_t len;
	_cleanup_free_ uint8_t *buf = sim(e, 5, 2, &len);
	_cleanup_free_ uint8_t *big = calloc(1, len + 70);

	assert_non_null(big);
	memcpy(big, buf, len);
	parse_fails(big, len + 1, "trailing data");
	parse_fails(big, len + 70, "trailing data");
}

static void test_parse_v5_body_size(void **state)
{
	struct env *e = *state;
	size_t len2, len3;
	_cleanup_free_ uint8_t *t2 = sim(e, 5, 2, &len2);
	_cleanup_free_ uint8_t *t3 = sim(e, 5, 3, &len3);

	set_u32(t2 + 50, 648);
	parse_fails(t2, len2, "body size 648 does not match type 2");
	set_u32(t2 + 50, 600);
	parse_fails(t2, len2, "body size 600 does not match type 2");
	set_u32(t3 + 50, 584);
	parse_fails(t3, len3, "body size 584 does not match type 3");
	set_u32(t2 + 50, 584);
	set_u16(t2 + 48, 3);  /* a 1.0-sized body labelled 1.5 */
	parse_fails(t2, len2, "body size 584 does not match type 3");
	set_u16(t2 + 48, 1);  /* SGX enclave report */
	parse_fails(t2, len2, "unsupported body type 1");
}

static void test_parse_header_fields(void **state)
{
	struct env *e = *state;
	size_t len;
	_cleanup_free_ uint8_t *buf = sim(e, 4, 0, &len);

	set_u16(buf, 3);
	parse_fails(buf, len, "unsupported quote version 3");
	set_u16(buf, 6);
	parse_fails(buf, len, "unsupported quote version 6");
	set_u16(buf, 4);
	set_u32(buf + 4, 0);
	parse_fails(buf, len, "unsupported TEE type 0x0");
	set_u32(buf + 4, 0x81);
	set_u16(buf + 2, 3);
	parse_fails(buf, len, "unsupported attestation key type 3");
}

static void test_parse_inner_lengths(void **state)
{
	struct env *e = *state;
	size_t len;
	_cleanup_free_ uint8_t *buf = sim(e, 4, 0, &len);
	uint8_t *chain_len = buf + V4_PCK_CHAIN - 4, *cert_len = buf + V4_CERT_TYPE + 2;
	uint32_t chain = get_u32(chain_len), cert = get_u32(cert_len);

	set_u32(chain_len, chain + 1);
	parse_fails(buf, len, "truncated at offset");
	parse_fails(buf, len, "PCK certification data size");
	set_u32(chain_len, 0x7fffffff);
	parse_fails(buf, len, "PCK certification data size");
	set_u32(chain_len, chain - 1);
	parse_fails(buf, len, "trailing data: PCK certification data size");
	set_u32(chain_len, chain);
	set_u32(cert_len, cert + 1);
	parse_fails(buf, len, "certification data size at 766 says");
	set_u32(cert_len, cert);
	set_u16(buf + V4_QE_AUTH_LEN, 0xffff);
	parse_fails(buf, len, "QE auth data needs 65535 bytes");
	set_u16(buf + V4_QE_AUTH_LEN, 32);
	set_u16(buf + V4_CERT_TYPE, 5);
	parse_fails(buf, len, "unsupported certification data type 5");
	set_u16(buf + V4_CERT_TYPE, 6);
	set_u16(buf + V4_PCK_CHAIN - 6, 4);
	parse_fails(buf, len, "unsupported PCK certification data type 4");
}

/* ---- the sim CA's files ---- */

static void assert_mode(const char *dir, const char *name, mode_t want)
{
	char path[400];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(stat(path, &st), 0);
	if ((st.st_mode & 0777 & ~want) != 0)
		fail_msg("%s: mode %o, want at most %o", path, st.st_mode & 0777, want);
}

static void test_sim_ca_reopen(void **state)
{
	struct env *e = *state;
	struct tdx_sim_ca *again = NULL;
	char dir[320], err[256];
	uint8_t *quote = NULL;
	struct tdx_quote_checks ck;
	struct tdx_quote q;
	char name[512];
	size_t len;

	subdir(e, "ca", dir, sizeof(dir));
	assert_mode(e->root, "ca", 0700);
	assert_mode(dir, "pck-key.pem", 0600);
	assert_mode(dir, "attest-key.pem", 0600);
	assert_int_equal(tdx_sim_ca_open(dir, &again, err, sizeof(err)), 0);
	assert_int_equal(X509_cmp(tdx_sim_ca_root(again), tdx_sim_ca_root(e->ca)), 0);
	assert_int_equal(tdx_sim_quote(again, e->rd, e->rtmr, &quote, &len, err, sizeof(err)), 0);
	parse_ok(quote, len, &q);
	/* same keys: the reloaded CA's quote verifies against the first one's root */
	assert_int_equal(tdx_quote_verify(&q, tdx_sim_ca_root(e->ca), &ck), 0);
	free(quote);
	tdx_sim_ca_close(again);
	X509_NAME_oneline(X509_get_subject_name(tdx_sim_ca_root(e->ca)), name, sizeof(name));
	if (!strstr(name, "NOT Intel, NO SECURITY"))
		fail_msg("root subject %s", name);
}

static void test_sim_ca_partial(void **state)
{
	struct env *e = *state;
	struct tdx_sim_ca *ca = NULL, *ca2 = NULL;
	char dir[320], path[400], err[256] = "";
	uint8_t *quote = NULL;
	size_t len;

	subdir(e, "partial/nested", dir, sizeof(dir));
	assert_int_equal(tdx_sim_ca_open(dir, &ca, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/pck-key.pem", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(tdx_sim_ca_open(dir, &ca2, err, sizeof(err)), -1);
	assert_null(ca2);
	if (!strstr(err, "pck-key.pem"))
		fail_msg("err %s", err);
	/* without root-ca.pem everything is made anew: a new root */
	snprintf(path, sizeof(path), "%s/root-ca.pem", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(tdx_sim_ca_open(dir, &ca2, err, sizeof(err)), 0);
	assert_int_not_equal(X509_cmp(tdx_sim_ca_root(ca), tdx_sim_ca_root(ca2)), 0);
	tdx_sim_ca_close(ca);
	tdx_sim_ca_close(ca2);
	/* a v5 body type the sim cannot build */
	assert_int_equal(tdx_sim_quote_v5(e->ca, 1, e->rd, e->rtmr, &quote, &len, err, sizeof(err)),
			 -1);
	assert_null(quote);
}

/* Child of test_sim_ca_concurrent: open (maybe create) the CA in dir, write a quote to path. */
static void concurrent_child(const struct env *e, const char *dir, const char *path)
{
	struct tdx_sim_ca *ca = NULL;
	uint8_t *quote = NULL;
	char err[256];
	size_t len;

	if (tdx_sim_ca_open(dir, &ca, err, sizeof(err)) ||
	    tdx_sim_quote(ca, e->rd, e->rtmr, &quote, &len, err, sizeof(err)) ||
	    write_file_atomic(path, quote, len, 0600)) {
		fprintf(stderr, "child: %s\n", err);
		_exit(1);
	}
	free(quote);
	tdx_sim_ca_close(ca);
	_exit(0);
}

/* Processes racing to create the same CA all end up with the one root on disk. */
static void test_sim_ca_concurrent(void **state)
{
	struct env *e = *state;
	struct tdx_sim_ca *ca = NULL;
	char dir[320], path[4][400], err[256];
	struct tdx_quote_checks ck;
	struct tdx_quote q;
	int status;

	subdir(e, "race", dir, sizeof(dir));
	for (int i = 0; i < 4; i++) {
		pid_t pid;

		snprintf(path[i], sizeof(path[i]), "%s.quote%d", dir, i);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			concurrent_child(e, dir, path[i]);
	}
	for (int i = 0; i < 4; i++) {
		assert_true(wait(&status) > 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	assert_int_equal(tdx_sim_ca_open(dir, &ca, err, sizeof(err)), 0);
	for (int i = 0; i < 4; i++) {
		char *quote = NULL;
		size_t len;

		assert_int_equal(read_file_all(path[i], &quote, &len, 1 << 20), 0);
		parse_ok((uint8_t *)quote, len, &q);
		if (tdx_quote_verify(&q, tdx_sim_ca_root(ca), &ck) != 0)
			fail_msg("quote %d: %s", i, ck.detail);
		free(quote);
	}
	tdx_sim_ca_close(ca);
}

/* ---- real Intel quotes ---- */

static char *src_path(const char *rel)
{
	_cleanup_free_ char *file = strdup(__FILE__);
	char *out = NULL;

	assert_non_null(file);
	assert_true(asprintf(&out, "%s/%s", dirname(file), rel) > 0);
	return out;
}

static uint8_t *load(const char *rel, size_t *len)
{
	_cleanup_free_ char *path = src_path(rel);
	char *text = NULL;
	int r = read_file_all(path, &text, len, 1 << 20);

	if (r < 0)
		fail_msg("%s: %s", path, strerror(-r));
	return (uint8_t *)text;
}

/* Whether the first certificate of the quote's PCK chain is still within its validity. */
static bool leaf_current(const struct tdx_quote *q)
{
	BIO *bio = BIO_new_mem_buf(q->pck_chain, (int)q->pck_chain_len);
	X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	bool ok;

	assert_non_null(leaf);
	ok = X509_cmp_current_time(X509_get0_notBefore(leaf)) < 0 &&
	     X509_cmp_current_time(X509_get0_notAfter(leaf)) > 0;
	X509_free(leaf);
	BIO_free(bio);
	return ok;
}

static void check_intel(const char *rel, uint16_t version, uint16_t type, size_t rd_off,
			X509 *intel, X509 *sim_root)
{
	size_t len;
	_cleanup_free_ uint8_t *buf = load(rel, &len);
	struct tdx_quote_checks ck;
	struct tdx_quote q;
	bool current;

	parse_ok(buf, len, &q);
	assert_int_equal(q.version, version);
	assert_int_equal(q.body_type, type);
	assert_ptr_equal(q.reportdata, buf + rd_off);
	assert_int_equal(q.qe_auth_len, 32);
	assert_int_equal(tdx_quote_verify(&q, sim_root, &ck), 1);
	assert_checks(&ck, true, true, true, false);
	/* chain_ok only while the PCK leaf is valid (until Feb 2030 / Mar 2031) */
	current = leaf_current(&q);
	assert_int_equal(tdx_quote_verify(&q, intel, &ck), current ? 0 : 1);
	assert_checks(&ck, true, true, true, current);
	/* one byte of REPORTDATA: the attestation key's signature breaks */
	buf[rd_off] ^= 0x80;
	parse_ok(buf, len, &q);
	assert_int_equal(tdx_quote_verify(&q, intel, &ck), 1);
	assert_checks(&ck, false, true, true, current);
}

static void test_intel_quotes(void **state)
{
	struct env *e = *state;
	_cleanup_free_ char *root_path = src_path("../../src/attest/intel_sgx_root_ca.pem");
	X509 *intel = NULL;
	char err[256] = "", name[256];
	struct tdx_quote_checks ck;
	uint8_t *buf = NULL;
	struct tdx_quote q;
	size_t len;

	if (tdx_load_cert_pem(root_path, &intel, err, sizeof(err)))
		fail_msg("%s", err);
	X509_NAME_oneline(X509_get_subject_name(intel), name, sizeof(name));
	assert_string_equal(name,
			    "/CN=Intel SGX Root CA/O=Intel Corporation/L=Santa Clara/ST=CA/C=US");
	check_intel("data/tdx_quote/intel_v4_td10.dat", 4, 2, 568, intel, tdx_sim_ca_root(e->ca));
	check_intel("data/tdx_quote/intel_v5_td15.dat", 5, 3, 574, intel, tdx_sim_ca_root(e->ca));

	/* a sim quote does not chain to Intel */
	buf = sim(e, 4, 0, &len);
	parse_ok(buf, len, &q);
	assert_int_equal(tdx_quote_verify(&q, intel, &ck), 1);
	assert_checks(&ck, true, true, true, false);
	free(buf);
	X509_free(intel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_layout),
		cmocka_unit_test(test_v5_layout),
		cmocka_unit_test(test_verify_ok),
		cmocka_unit_test(test_verify_body_flipped),
		cmocka_unit_test(test_verify_qe_report_flipped),
		cmocka_unit_test(test_verify_qe_auth_changed),
		cmocka_unit_test(test_verify_other_root),
		cmocka_unit_test(test_verify_swapped_attest_key),
		cmocka_unit_test(test_verify_garbled_chain),
		cmocka_unit_test(test_parse_every_truncation),
		cmocka_unit_test(test_parse_short_sig_data),
		cmocka_unit_test(test_parse_sig_len_wrong),
		cmocka_unit_test(test_parse_trailing_bytes),
		cmocka_unit_test(test_parse_v5_body_size),
		cmocka_unit_test(test_parse_header_fields),
		cmocka_unit_test(test_parse_inner_lengths),
		cmocka_unit_test(test_sim_ca_reopen),
		cmocka_unit_test(test_sim_ca_partial),
		cmocka_unit_test(test_sim_ca_concurrent),
		cmocka_unit_test(test_intel_quotes),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
