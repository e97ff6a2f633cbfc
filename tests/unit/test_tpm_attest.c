// SPDX-License-Identifier: MIT
/*
 * Unit tests: what `vtpm-rtmr attest` sends and what `verify` checks of the result, on a real
 * libtpms: the AK made from its template passes tpm_ak_public_check() and forged public areas
 * (each attribute wrong, trailing or missing bytes) do not; TPM2_Quote and TPM2_PCR_Read built
 * by src/tpm_cmds/tpm_quote_cmds.c, their responses parsed, the quote verified with the AK and
 * its pcrDigest recomputed from the values read; every truncated response refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <tss2/tss2_mu.h>

#include "attest/tpm_quote.h"
#include "common/log.h"
#include "common/openssl_util.h"
#include "tpm_cmds/tpm_ek.h"
#include "tpm_cmds/tpm_frame.h"
#include "tpm_cmds/tpm_quote_cmds.h"
#include "tpm_fixture.h"

static struct tpm_fixture fx;
static uint8_t ak_pub[EK_MAX_PUBLIC];
static size_t ak_len;
static uint32_t ak_handle;

/* One command; RETRY answered again, as a TPM client does (libtpms asks for it on the first
 * use of a signing key's algorithm, while it tests it). */
static size_t run(const uint8_t *cmd, size_t len, uint8_t *rsp)
{
	size_t rlen = 0;
	uint32_t rc;
	int tries = 0;

	assert_true(len > 0);
	do
		rc = engine_run_simple(cmd, len, rsp, TPM_MAX_COMMAND_SIZE, &rlen);
	while (rc == TPM2_RC_RETRY && ++tries < 10);
	assert_int_equal(rc, 0);
	return rlen;
}

static int setup(void **state)
{
	uint8_t cmd[1024], rsp[TPM_MAX_COMMAND_SIZE];
	TPMT_PUBLIC tmpl;
	size_t rlen;

	(void)state;
	log_set_level(LOG_LVL_ERROR);
	if (tpm_fixture_up(&fx) < 0)
		return -1;
	ak_template(EK_RSA2048, &tmpl);
	rlen = run(cmd, tpm_build_create_primary(cmd, sizeof(cmd), TPM2_RH_ENDORSEMENT, &tmpl), rsp);
	return tpm_parse_create_primary(rsp, rlen, &ak_handle, ak_pub, sizeof(ak_pub), &ak_len);
}

static int teardown(void **state)
{
	(void)state;
	tpm_fixture_down(&fx);
	return 0;
}

/* The attributes word of a TPMT_PUBLIC: after type and nameAlg. */
static void set_attrs(uint8_t *pub, uint32_t set, uint32_t clear)
{
	uint32_t a = (uint32_t)pub[4] << 24 | pub[5] << 16 | pub[6] << 8 | pub[7];
	size_t off = 4;

	a = (a | set) & ~clear;
	Tss2_MU_UINT32_Marshal(a, pub, 8, &off);
}

static void test_ak_public_check(void **state)
{
	static const struct {
		uint32_t set, clear;
		const char *named;
	} forged[] = {
		{ 0, TPMA_OBJECT_RESTRICTED, "lacks restricted" },
		{ 0, TPMA_OBJECT_SIGN_ENCRYPT, "lacks sign" },
		{ 0, TPMA_OBJECT_FIXEDTPM, "lacks fixedTPM" },
		{ 0, TPMA_OBJECT_FIXEDPARENT, "lacks fixedParent" },
		{ 0, TPMA_OBJECT_SENSITIVEDATAORIGIN, "lacks sensitiveDataOrigin" },
		{ TPMA_OBJECT_DECRYPT, 0, "has decrypt" },
	};
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	uint8_t pub[EK_MAX_PUBLIC + 1];
	char err[256];

	(void)state;
	assert_int_equal(tpm_ak_public_check(ak_pub, ak_len, &key, err, sizeof(err)), 0);
	assert_non_null(key);
	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		memcpy(pub, ak_pub, ak_len);
		set_attrs(pub, forged[i].set, forged[i].clear);
		err[0] = '\0';
		assert_int_equal(tpm_ak_public_check(pub, ak_len, NULL, err, sizeof(err)), -1);
		if (!strstr(err, forged[i].named))
			fail_msg("'%s' does not say '%s'", err, forged[i].named);
	}
	memcpy(pub, ak_pub, ak_len);
	pub[ak_len] = 0;
	assert_int_equal(tpm_ak_public_check(pub, ak_len + 1, NULL, err, sizeof(err)), -1);
	for (size_t n = 0; n < ak_len; n++)
		assert_int_equal(tpm_ak_public_check(ak_pub, n, NULL, err, sizeof(err)), -1);
}

static void select_all(TPML_PCR_SELECTION *sel)
{
	static const uint16_t banks[] = { TPM2_ALG_SHA1, TPM2_ALG_SHA256, TPM2_ALG_SHA384,
					  TPM2_ALG_SHA512 };

	memset(sel, 0, sizeof(*sel));
	sel->count = 4;
	for (unsigned i = 0; i < 4; i++) {
		sel->pcrSelections[i].hash = banks[i];
		sel->pcrSelections[i].sizeofSelect = 3;
		memset(sel->pcrSelections[i].pcrSelect, 0xff, 3);
	}
}

/* Read every selected PCR through as many PCR_Read calls as it takes. */
static size_t read_all(const TPML_PCR_SELECTION *sel, struct tpm_pcr_value *out)
{
	uint8_t cmd[256], rsp[TPM_MAX_COMMAND_SIZE];
	TPML_PCR_SELECTION want = *sel, got;
	TPML_DIGEST d;
	size_t n = 0, calls = 0;

	for (;;) {
		bool left = false;
		uint32_t k = 0;

		for (uint32_t i = 0; i < want.count; i++)
			left |= want.pcrSelections[i].pcrSelect[0] | want.pcrSelections[i].pcrSelect[1] |
				want.pcrSelections[i].pcrSelect[2];
		if (!left)
			break;
		size_t rlen = run(cmd, tpm_build_pcr_read(cmd, sizeof(cmd), &want), rsp);

		assert_int_equal(tpm_parse_pcr_read(rsp, rlen, &got, &d), 0);
		assert_true(d.count > 0 && d.count <= 8);
		calls++;
		for (uint32_t i = 0; i < got.count; i++)
			for (unsigned p = 0; p < 24; p++) {
				if (!(got.pcrSelections[i].pcrSelect[p / 8] & (1u << p % 8)))
					continue;
				out[n] = (struct tpm_pcr_value){ .alg = got.pcrSelections[i].hash,
								 .pcr = (uint8_t)p,
								 .len = (uint8_t)d.digests[k].size };
				memcpy(out[n++].value, d.digests[k].buffer, d.digests[k].size);
				k++;
				for (uint32_t j = 0; j < want.count; j++)
					if (want.pcrSelections[j].hash == got.pcrSelections[i].hash)
						want.pcrSelections[j].pcrSelect[p / 8] &=
							(uint8_t)~(1u << p % 8);
			}
		assert_int_equal(k, d.count);
	}
	assert_true(calls >= 12); /* 96 values, at most 8 a call */
	return n;
}

static int value_of(void *ctx, uint16_t alg, unsigned pcr, uint8_t *out, size_t *len)
{
	const struct tpm_pcr_value *v = ctx;

	for (size_t i = 0; i < 96; i++)
		if (v[i].alg == alg && v[i].pcr == pcr) {
			memcpy(out, v[i].value, v[i].len);
			*len = v[i].len;
			return 0;
		}
	return -1;
}

static void test_quote_and_read(void **state)
{
	static const uint8_t nonce[] = "verifier's nonce";
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	uint8_t cmd[512], rsp[TPM_MAX_COMMAND_SIZE], attest[1024], sig[1024], digest[64];
	struct tpm_pcr_value values[96];
	struct tpm_quote_info info;
	TPML_PCR_SELECTION sel;
	size_t rlen, alen, slen, dlen;
	char err[256];

	(void)state;
	select_all(&sel);
	rlen = run(cmd, tpm_build_quote(cmd, sizeof(cmd), ak_handle, nonce, sizeof(nonce), &sel),
		   rsp);
	assert_int_equal(tpm_parse_quote(rsp, rlen, attest, sizeof(attest), &alen, sig, sizeof(sig),
					 &slen), 0);
	assert_int_equal(read_all(&sel, values), 96);
	assert_int_equal(tpm_ak_public_check(ak_pub, ak_len, &key, err, sizeof(err)), 0);
	assert_int_equal(tpm_quote_check(attest, alen, sig, slen, key, &info, err, sizeof(err)), 0);
	assert_int_equal(info.nonce_len, sizeof(nonce));
	assert_memory_equal(info.nonce, nonce, sizeof(nonce));
	assert_true(tpm_pcr_selection_equal(&info.sel, &sel));
	assert_int_equal(tpm_pcr_digest(&info.sel, info.sig_hash, value_of, values, digest, &dlen,
					err, sizeof(err)), 0);
	assert_int_equal(dlen, info.pcr_digest_len);
	assert_memory_equal(digest, info.pcr_digest, dlen);
	/* no room, a short buffer, every truncation of the responses: refused */
	assert_int_equal(tpm_parse_quote(rsp, rlen, attest, alen - 1, &alen, sig, sizeof(sig),
					 &slen), -1);
	for (size_t n = 0; n < rlen; n++) {
		uint8_t cut[TPM_MAX_COMMAND_SIZE];

		memcpy(cut, rsp, n);
		if (n >= 6) /* also with the size field agreeing */
			cut[2] = 0, cut[3] = 0, cut[4] = (uint8_t)(n >> 8), cut[5] = (uint8_t)n;
		assert_int_equal(tpm_parse_quote(cut, n, attest, sizeof(attest), &alen, sig,
						 sizeof(sig), &slen), -1);
	}
	/* qualifying data longer than a TPM2B_DATA holds: not built */
	assert_int_equal(tpm_build_quote(cmd, sizeof(cmd), ak_handle, attest, 67, &sel), 0);
}

static void test_pcr_read_errors(void **state)
{
	static const uint8_t error_rsp[] = { 0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x01 };
	uint8_t cmd[256], rsp[TPM_MAX_COMMAND_SIZE];
	TPML_PCR_SELECTION sel, got;
	TPML_DIGEST d;
	size_t rlen;

	(void)state;
	select_all(&sel);
	rlen = run(cmd, tpm_build_pcr_read(cmd, sizeof(cmd), &sel), rsp);
	assert_int_equal(tpm_parse_pcr_read(rsp, rlen, &got, &d), 0);
	assert_int_equal(tpm_parse_pcr_read(error_rsp, sizeof(error_rsp), &got, &d), -1);
	for (size_t n = 0; n < rlen; n++)
		assert_int_equal(tpm_parse_pcr_read(rsp, n, &got, &d), -1);
	assert_int_equal(tpm_build_pcr_read(cmd, 12, &sel), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ak_public_check),
		cmocka_unit_test(test_quote_and_read),
		cmocka_unit_test(test_pcr_read_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
