// SPDX-License-Identifier: MIT
/* IMA list entries: parsing, template digests as IMA computes them, malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "daemon/ima_list.h"

static size_t put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	return 4;
}

/* ima-ng template data for name with an all-zero (or 0x11) sha256 file digest */
static size_t ng_data(uint8_t *p, const char *name, uint8_t fill)
{
	size_t off = 0, nl = strlen(name) + 1;

	off += put32(p + off, 8 + 32);
	memcpy(p + off, "sha256:", 8);
	memset(p + off + 8, fill, 32);
	off += 40;
	off += put32(p + off, (uint32_t)nl);
	memcpy(p + off, name, nl);
	return off + nl;
}

static size_t ng_entry(uint8_t *p, const char *name, uint8_t fill, bool violation)
{
	uint8_t data[512];
	size_t dl = ng_data(data, name, fill), off = 0;
	unsigned int n;

	off += put32(p, 10);
	if (violation)
		memset(p + off, 0, 20);
	else
		EVP_Digest(data, dl, p + off, &n, EVP_sha1(), NULL);
	off += 20;
	off += put32(p + off, 6);
	memcpy(p + off, "ima-ng", 6);
	off += 6;
	off += put32(p + off, (uint32_t)dl);
	memcpy(p + off, data, dl);
	return off + dl;
}

static void test_ima_ng(void **state)
{
	uint8_t buf[512], data[512], got[64], want[64];
	size_t len = ng_entry(buf, "/usr/bin/true", 0x11, false);
	size_t dl = ng_data(data, "/usr/bin/true", 0x11);
	struct ima_entry e;
	unsigned int n;
	char err[128];

	(void)state;
	assert_int_equal(ima_entry_parse(buf, len, &e, err, sizeof(err)), (long)len);
	assert_int_equal(e.pcr, 10);
	assert_string_equal(e.name, "ima-ng");
	assert_false(e.violation);
	assert_false(ima_entry_is_zero_boot_aggregate(&e));
	assert_int_equal(ima_template_digest(&e, hash_alg_by_name("sha256"), got, err,
					     sizeof(err)), 0);
	EVP_Digest(data, dl, want, &n, EVP_sha256(), NULL);
	assert_memory_equal(got, want, 32);
	/* the SHA-1 template digest equals the listed one */
	assert_int_equal(ima_template_digest(&e, hash_alg_by_name("sha1"), got, err,
					     sizeof(err)), 0);
	assert_memory_equal(got, buf + 4, 20);
	/* every truncation asks for more, never fails */
	for (size_t i = 0; i < len; i++)
		assert_int_equal(ima_entry_parse(buf, i, &e, err, sizeof(err)), 0);
}

static void test_violation_and_boot_aggregate(void **state)
{
	uint8_t buf[512], got[64], ff[64];
	size_t len = ng_entry(buf, "/etc/shadow", 0x22, true);
	struct ima_entry e;
	char err[128];

	(void)state;
	memset(ff, 0xff, sizeof(ff));
	assert_int_equal(ima_entry_parse(buf, len, &e, err, sizeof(err)), (long)len);
	assert_true(e.violation);
	assert_int_equal(ima_template_digest(&e, hash_alg_by_name("sha384"), got, err,
					     sizeof(err)), 0);
	assert_memory_equal(got, ff, 48);
	len = ng_entry(buf, "boot_aggregate", 0, false);
	assert_int_equal(ima_entry_parse(buf, len, &e, err, sizeof(err)), (long)len);
	assert_true(ima_entry_is_zero_boot_aggregate(&e));
	len = ng_entry(buf, "boot_aggregate", 0x33, false);
	assert_int_equal(ima_entry_parse(buf, len, &e, err, sizeof(err)), (long)len);
	assert_false(ima_entry_is_zero_boot_aggregate(&e));
}

static void test_ima_template(void **state)
{
	static const char name[] = "/sbin/init";
	uint8_t buf[512], padded[20 + 256] = { 0 }, got[64], want[64];
	struct ima_entry e;
	size_t off = 0;
	unsigned int n;
	char err[128];

	(void)state;
	off += put32(buf, 10);
	memset(buf + off, 0x5a, 20); /* listed SHA-1, not checked by the parser */
	off += 20;
	off += put32(buf + off, 3);
	memcpy(buf + off, "ima", 3);
	off += 3;
	memset(buf + off, 0x44, 20); /* d: file digest */
	memset(padded, 0x44, 20);
	off += 20;
	off += put32(buf + off, sizeof(name) - 1);
	memcpy(buf + off, name, sizeof(name) - 1);
	memcpy(padded + 20, name, sizeof(name) - 1);
	off += sizeof(name) - 1;
	assert_int_equal(ima_entry_parse(buf, off, &e, err, sizeof(err)), (long)off);
	assert_int_equal(ima_template_digest(&e, hash_alg_by_name("sha256"), got, err,
					     sizeof(err)), 0);
	EVP_Digest(padded, sizeof(padded), want, &n, EVP_sha256(), NULL);
	assert_memory_equal(got, want, 32);
}

static void expect_malformed(uint8_t *buf, size_t len, const char *what)
{
	struct ima_entry e;
	char err[128] = "";

	assert_int_equal(ima_entry_parse(buf, len, &e, err, sizeof(err)), -1);
	if (!strstr(err, what))
		fail_msg("error '%s' does not mention '%s'", err, what);
}

static void test_malformed(void **state)
{
	uint8_t buf[512], got[64];
	size_t len;
	struct ima_entry e;
	char err[128];

	(void)state;
	len = ng_entry(buf, "/x", 1, false);
	put32(buf, 99);
	expect_malformed(buf, len, "PCR 99");
	len = ng_entry(buf, "/x", 1, false);
	put32(buf + 24, 0);
	expect_malformed(buf, len, "name length 0");
	len = ng_entry(buf, "/x", 1, false);
	put32(buf + 34, 0);
	expect_malformed(buf, len, "template data of 0 bytes");
	len = ng_entry(buf, "/x", 1, false);
	put32(buf + 34, 1u << 30);
	expect_malformed(buf, len, "template data of");
	/* a field that overruns the template data: parsed, but no digest */
	len = ng_entry(buf, "/x", 1, false);
	put32(buf + 38, 1000);
	assert_int_equal(ima_entry_parse(buf, len, &e, err, sizeof(err)), (long)len);
	assert_int_equal(ima_template_digest(&e, hash_alg_by_name("sha256"), got, err,
					     sizeof(err)), -1);
	assert_non_null(strstr(err, "overruns"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ima_ng),
		cmocka_unit_test(test_violation_and_boot_aggregate),
		cmocka_unit_test(test_ima_template),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
