// SPDX-License-Identifier: MIT
/* The evidence document: binding, JSON round trip, malformed documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "attest/evidence.h"

static void test_report_data(void **state)
{
	const uint8_t nonce[] = { 1, 2, 3 }, ek[] = { 9, 8, 7, 6 }, cat[] = { 1, 2, 3, 9, 8, 7, 6 };
	uint8_t got[64], want[64];
	unsigned int n;

	(void)state;
	assert_int_equal(evidence_report_data(nonce, 3, ek, 4, got), 0);
	EVP_Digest(cat, sizeof(cat), want, &n, EVP_sha512(), NULL);
	assert_memory_equal(got, want, 64);
}

static void test_base64(void **state)
{
	const uint8_t data[] = { 0xff, 0x00, 0x10, 0x20, 0x30 };
	uint8_t *out;
	size_t len;

	(void)state;
	for (size_t l = 0; l <= sizeof(data); l++) {
		char *b = base64_encode(data, l);

		assert_int_equal(base64_decode(b, &out, &len), 0);
		assert_int_equal(len, l);
		assert_memory_equal(out, data, l);
		free(out);
		free(b);
	}
	assert_int_equal(base64_decode("abc", &out, &len), -1);
	assert_int_equal(base64_decode("a*c=", &out, &len), -1);
}

static void test_roundtrip(void **state)
{
	static struct evidence e = { .version = EVIDENCE_VERSION, .nonce_len = 2,
				     .nonce = { 0xab, 0xcd } }, back;
	uint8_t ek[] = { 0, 1, 2, 3 }, quote[] = { 4, 5, 6 }, ak[] = { 7, 8 }, ccel[] = { 9 };
	char text[] = "INIT sha384/00\nvtpm startup clear\n", err[256];
	json_object *doc;

	(void)state;
	strcpy(e.provider, "sim");
	strcpy(e.ek_type, "rsa2048");
	strcpy(e.time, "2026-01-01T00:00:00Z");
	e.ek_pub = ek;
	e.ek_pub_len = sizeof(ek);
	e.quote = quote;
	e.quote_len = sizeof(quote);
	memset(e.report_data, 0x5a, 64);
	e.nlogs = 1;
	e.logs[0].rtmr = 2;
	e.logs[0].alg = hash_alg_by_name("sha384");
	e.logs[0].text = text;
	e.logs[0].len = strlen(text);
	e.ak_pub = ak;
	e.ak_pub_len = sizeof(ak);
	e.ccel = ccel;
	e.ccel_len = sizeof(ccel);
	memset(e.tpm.attest, 0x11, 100);
	e.tpm.attest_len = 100;
	memset(e.tpm.sig, 0x22, 50);
	e.tpm.sig_len = 50;
	e.tpm.nvalues = 2;
	e.tpm.values[0] = (struct tpm_pcr_value){ .alg = 0x000b, .pcr = 8, .len = 32 };
	e.tpm.values[1] = (struct tpm_pcr_value){ .alg = 0x000c, .pcr = 23, .len = 48 };
	memset(e.tpm.values[1].value, 0xee, 48);
	assert_int_equal(evidence_to_json(&e, &doc), 0);
	assert_int_equal(evidence_from_json(json_object_to_json_string(doc), &back, err,
					    sizeof(err)), 0);
	json_object_put(doc);
	assert_string_equal(back.provider, "sim");
	assert_int_equal(back.nonce_len, 2);
	assert_memory_equal(back.nonce, e.nonce, 2);
	assert_int_equal(back.ek_pub_len, sizeof(ek));
	assert_memory_equal(back.ek_pub, ek, sizeof(ek));
	assert_int_equal(back.quote_len, sizeof(quote));
	assert_memory_equal(back.report_data, e.report_data, 64);
	assert_int_equal(back.nlogs, 1);
	assert_int_equal(back.logs[0].rtmr, 2);
	assert_string_equal(back.logs[0].text, text);
	assert_int_equal(back.ak_pub_len, sizeof(ak));
	assert_memory_equal(back.ak_pub, ak, sizeof(ak));
	assert_int_equal(back.ccel_len, sizeof(ccel));
	assert_int_equal(back.tpm.attest_len, 100);
	assert_memory_equal(back.tpm.attest, e.tpm.attest, 100);
	assert_int_equal(back.tpm.sig_len, 50);
	assert_int_equal(back.tpm.nvalues, 2);
	assert_memory_equal(&back.tpm.values[1], &e.tpm.values[1], sizeof(e.tpm.values[1]));
	assert_int_equal(back.tpm.values[0].pcr, 8);
	evidence_free(&back);
	/* without a CCEL the document has none, and parses back without one */
	e.ccel = NULL;
	assert_int_equal(evidence_to_json(&e, &doc), 0);
	assert_null(json_object_object_get(doc, "ccel"));
	assert_int_equal(evidence_from_json(json_object_to_json_string(doc), &back, err,
					    sizeof(err)), 0);
	json_object_put(doc);
	assert_null(back.ccel);
	evidence_free(&back);
}

static void expect_bad(const char *json, const char *what)
{
	struct evidence e;
	char err[256] = "";

	assert_int_equal(evidence_from_json(json, &e, err, sizeof(err)), -1);
	if (!strstr(err, what))
		fail_msg("error '%s' does not mention '%s'", err, what);
}

static void test_malformed(void **state)
{
	static const char base[] =
		"{\"version\":2,\"provider\":\"sim\",\"nonce\":\"00\",\"ekType\":\"x\","
		"\"ekPublic\":\"AAAA\",\"reportData\":\"%s\",\"quote\":\"%s\",\"logs\":%s,"
		"\"time\":\"t\",\"akPublic\":\"AAAA\",\"tpmQuote\":%s%s}";
	static const char tq[] = "{\"attest\":\"AAAA\",\"signature\":\"AAAA\",\"pcrs\":%s}";
	char rd[129], doc[2048], q[512];

	(void)state;
	memset(rd, 'a', 128);
	rd[128] = '\0';
	expect_bad("not json", "not valid JSON");
	expect_bad("[1,2]", "not a JSON object");
	expect_bad("{\"version\":1}", "version");
	expect_bad("{\"version\":3}", "version");
	snprintf(q, sizeof(q), tq, "[]");
	snprintf(doc, sizeof(doc), base, "00", "AAAA", "[]", q, "");
	expect_bad(doc, "'reportData' must be 64 bytes");
	snprintf(doc, sizeof(doc), base, rd, "A*AA", "[]", q, "");
	expect_bad(doc, "'quote' is not base64");
	snprintf(doc, sizeof(doc), base, rd, "AAAA", "{}", q, "");
	expect_bad(doc, "'logs' missing or not an array");
	snprintf(doc, sizeof(doc), base, rd, "AAAA", "[{\"rtmr\":9,\"hashAlg\":\"sha384\"}]", q, "");
	expect_bad(doc, "'rtmr' is missing or out of range");
	snprintf(doc, sizeof(doc), base, rd, "AAAA",
		 "[{\"rtmr\":1,\"hashAlg\":\"md5\",\"log\":\"\"}]", q, "");
	expect_bad(doc, "unknown log hashAlg");
	snprintf(doc, sizeof(doc), base, rd, "AAAA", "[]", "[]", "");
	expect_bad(doc, "'tpmQuote' missing or not an object");
	snprintf(q, sizeof(q), tq, "{}");
	snprintf(doc, sizeof(doc), base, rd, "AAAA", "[]", q, "");
	expect_bad(doc, "'tpmQuote.pcrs' missing");
	snprintf(q, sizeof(q), tq, "[{\"pcr\":24,\"hashAlg\":\"sha1\",\"value\":\"00\"}]");
	snprintf(doc, sizeof(doc), base, rd, "AAAA", "[]", q, "");
	expect_bad(doc, "'pcr' is missing or out of range");
	snprintf(q, sizeof(q), tq, "[{\"pcr\":2,\"hashAlg\":\"md5\",\"value\":\"00\"}]");
	snprintf(doc, sizeof(doc), base, rd, "AAAA", "[]", q, "");
	expect_bad(doc, "unknown quoted PCR hashAlg");
	snprintf(q, sizeof(q), tq, "[{\"pcr\":2,\"hashAlg\":\"sha1\",\"value\":\"00\"}]");
	snprintf(doc, sizeof(doc), base, rd, "AAAA", "[]", q, "");
	expect_bad(doc, "is 1 bytes, not 20");
	snprintf(q, sizeof(q), tq, "[]");
	snprintf(doc, sizeof(doc), base, rd, "AAAA", "[]", q, ",\"ccel\":\"!!\"");
	expect_bad(doc, "'ccel' is not base64");
	{
		struct evidence *e = malloc(sizeof(*e));
		char err[256];

		snprintf(doc, sizeof(doc), base, rd, "AAAA", "[]", q, "");
		assert_int_equal(evidence_from_json(doc, e, err, sizeof(err)), 0);
		evidence_free(e);
		free(e);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_data),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
