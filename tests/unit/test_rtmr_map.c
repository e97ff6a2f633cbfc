// SPDX-License-Identifier: MIT
/* Unit tests: PCR-to-RTMR map defaults, map-file parsing, errors with line numbers, summary. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rtmr_map/rtmr_map.h"

#define DEFAULT_DESC "PCR 0,1,7 -> RTMR0; PCR 2-6 -> RTMR1; PCR 8-15 -> RTMR2"

static int parse_str(const char *text, struct rtmr_map *m, char *err, size_t errlen)
{
	return rtmr_map_parse(text, strlen(text), "t.conf", m, err, errlen);
}

static void test_default(void **state)
{
	static const int expect[RTMR_MAP_PCRS] = {
		0, 0, 1, 1, 1, 1, 1, 0, 2, 2, 2, 2, 2, 2, 2, 2, -1, -1, -1, -1, -1, -1, -1, -1,
	};
	struct rtmr_map m;
	char desc[256];

	(void)state;
	memset(&m, 0x55, sizeof(m));
	rtmr_map_default(&m);
	for (unsigned pcr = 0; pcr < RTMR_MAP_PCRS; pcr++)
		assert_int_equal(rtmr_map_rtmr_of(&m, pcr), expect[pcr]);
	assert_int_equal(rtmr_map_rtmr_of(&m, 24), -1);
	assert_int_equal(rtmr_map_rtmr_of(&m, 1000), -1);
	assert_true(rtmr_map_rtmr_used(&m, 0));
	assert_true(rtmr_map_rtmr_used(&m, 1));
	assert_true(rtmr_map_rtmr_used(&m, 2));
	assert_false(rtmr_map_rtmr_used(&m, 3));
	assert_false(rtmr_map_rtmr_used(&m, 7));
	assert_false(rtmr_map_rtmr_used(&m, 8));
	rtmr_map_describe(&m, desc, sizeof(desc));
	assert_string_equal(desc, DEFAULT_DESC);
}

static void test_empty_and_comments_only_give_default(void **state)
{
	struct rtmr_map m, def;
	char err[256] = "";

	(void)state;
	rtmr_map_default(&def);
	memset(&m, 0x55, sizeof(m));
	assert_int_equal(rtmr_map_parse("", 0, "t.conf", &m, err, sizeof(err)), 0);
	assert_memory_equal(&m, &def, sizeof(m));
	memset(&m, 0x55, sizeof(m));
	assert_int_equal(parse_str("# only a comment\n\n   \t\n#pcr 1 -> rtmr 3\n", &m, err,
				   sizeof(err)),
			 0);
	assert_memory_equal(&m, &def, sizeof(m));
}

static void test_good_file(void **state)
{
	static const char text[] = "# vtpm-rtmr map\n"
				   "pcr 16-18,20 -> rtmr 3   # Keylime's PCR 16 too\n"
				   "\n"
				   "   pcr 0 -> none\n"
				   "pcr 8-9 , 14->rtmr 1\n"
				   "\tpcr 23 -> rtmr 7\n"
				   "pcr 21-21 -> rtmr 4\n";
	static const int expect[RTMR_MAP_PCRS] = {
		-1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 2, 2, 2, 2, 1, 2, 3, 3, 3, -1, 3, 4, -1, 7,
	};
	struct rtmr_map m;
	char err[256] = "", desc[256];

	(void)state;
	assert_int_equal(parse_str(text, &m, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	for (unsigned pcr = 0; pcr < RTMR_MAP_PCRS; pcr++)
		assert_int_equal(rtmr_map_rtmr_of(&m, pcr), expect[pcr]);
	assert_true(rtmr_map_rtmr_used(&m, 3));
	assert_true(rtmr_map_rtmr_used(&m, 4));
	assert_false(rtmr_map_rtmr_used(&m, 5));
	assert_true(rtmr_map_rtmr_used(&m, 7));
	rtmr_map_describe(&m, desc, sizeof(desc));
	assert_string_equal(desc, "PCR 1,7 -> RTMR0; PCR 2-6,8,9,14 -> RTMR1; PCR 10-13,15 -> "
				  "RTMR2; PCR 16-18,20 -> RTMR3; PCR 21 -> RTMR4; PCR 23 -> RTMR7");
}

static void test_crlf_and_no_final_newline(void **state)
{
	struct rtmr_map m;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse_str("pcr 1 -> none\r\npcr 16 -> rtmr 2", &m, err, sizeof(err)), 0);
	assert_int_equal(rtmr_map_rtmr_of(&m, 1), -1);
	assert_int_equal(rtmr_map_rtmr_of(&m, 16), 2);
	assert_int_equal(rtmr_map_rtmr_of(&m, 7), 0);
}

static void test_all_none(void **state)
{
	struct rtmr_map m;
	char err[256] = "", desc[64];

	(void)state;
	assert_int_equal(parse_str("pcr 0-23 -> none\n", &m, err, sizeof(err)), 0);
	for (unsigned r = 0; r < RTMR_MAX; r++)
		assert_false(rtmr_map_rtmr_used(&m, r));
	rtmr_map_describe(&m, desc, sizeof(desc));
	assert_string_equal(desc, "no PCR mapped");
}

static void test_describe_truncates(void **state)
{
	struct rtmr_map m;
	char desc[11];

	(void)state;
	rtmr_map_default(&m);
	memset(desc, 'X', sizeof(desc));
	rtmr_map_describe(&m, desc, sizeof(desc));
	assert_int_equal(strlen(desc), sizeof(desc) - 1);
	assert_memory_equal(desc, DEFAULT_DESC, sizeof(desc) - 1);
	desc[0] = 'X';
	rtmr_map_describe(&m, desc, 1);
	assert_int_equal(desc[0], '\0');
	rtmr_map_describe(&m, NULL, 0); /* must not touch the buffer */
}

struct bad_case {
	const char *text;
	const char *err;
};

static const struct bad_case bad_cases[] = {
	{ "pcr 1 -> rtmr 0\n# c\npcr 0-2 -> rtmr 1\n", "t.conf:3: PCR 1 already mapped on line 1" },
	{ "pcr 16 -> rtmr 3\npcr 9 -> rtmr 2\n\npcr 8-10 -> none\n",
	  "t.conf:4: PCR 9 already mapped on line 2" },
	{ "pcr 3,1-4 -> rtmr 0\n", "t.conf:1: PCR 3 named twice" },
	{ "\npcr 24 -> rtmr 0\n", "t.conf:2: PCR 24 out of range (0-23)" },
	{ "pcr 20-24 -> none\n", "t.conf:1: PCR 24 out of range (0-23)" },
	{ "pcr 99999999999 -> none\n", "t.conf:1: PCR 99999999999 out of range (0-23)" },
	{ "pcr 1 -> rtmr 0\npcr 2 -> rtmr 8\n", "t.conf:2: RTMR 8 out of range (0-7)" },
	{ "# x\n\npcr 9-3 -> rtmr 2\n", "t.conf:3: reversed range 9-3" },
	{ "pcr 1 -> rtmr 0\nhello world\n",
	  "t.conf:2: expected 'pcr <list> -> rtmr <N>|none', got 'hello'" },
	{ "pcr 1 -> rtmr 0\n\n\npcr 2 rtmr 0\n", "t.conf:4: expected '->' after the PCR list" },
	{ "pcr 1 => rtmr 0\n", "t.conf:1: expected '->' after the PCR list" },
	{ "pcr 1 - rtmr 0\n", "t.conf:1: expected a PCR number, got 'rtmr'" },
	{ "pcr -> rtmr 0\n", "t.conf:1: expected a PCR number, got '->'" },
	{ "pcr 1, -> rtmr 0\n", "t.conf:1: expected a PCR number, got '->'" },
	{ "pcr 1 -> rtmr 0 extra\n", "t.conf:1: unexpected 'extra' after the rule" },
	{ "pcr 1 -> rtmr\n", "t.conf:1: expected an RTMR number, got end of line" },
	{ "pcr 1 -> tpm 0\n", "t.conf:1: expected 'rtmr <N>' or 'none' after '->', got 'tpm'" },
	{ "pcr 1 -> nonesuch\n",
	  "t.conf:1: expected 'rtmr <N>' or 'none' after '->', got 'nonesuch'" },
	{ "pcrs 1 -> none\n", "t.conf:1: expected 'pcr <list> -> rtmr <N>|none', got 'pcrs'" },
};

static void test_bad_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct rtmr_map m, before;
		char err[256] = "";

		memset(&m, 0x33, sizeof(m));
		before = m;
		print_message("case %zu: %s\n", i, bad_cases[i].err);
		assert_int_equal(parse_str(bad_cases[i].text, &m, err, sizeof(err)), -1);
		assert_string_equal(err, bad_cases[i].err);
		/* A failed parse leaves the caller's map alone. */
		assert_memory_equal(&m, &before, sizeof(m));
	}
}

static void test_error_buffer_limits(void **state)
{
	struct rtmr_map m;
	char err[12];

	(void)state;
	assert_int_equal(rtmr_map_parse("garbage", 7, NULL, &m, err, sizeof(err)), -1);
	assert_string_equal(err, "<map>:1: ex"); /* truncated, NUL-terminated */
	assert_int_equal(rtmr_map_parse("garbage", 7, NULL, &m, NULL, 0), -1);
}

static void test_load(void **state)
{
	char path[] = "/tmp/test_rtmr_map.XXXXXX";
	char err[512] = "";
	struct rtmr_map m;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "pcr 16 -> rtmr 3\npcr 7 -> rtmr 9\n", 33), 33);
	close(fd);
	assert_int_equal(rtmr_map_load(path, &m, err, sizeof(err)), -1);
	{
		char expect[600];

		snprintf(expect, sizeof(expect), "%s:2: RTMR 9 out of range (0-7)", path);
		assert_string_equal(err, expect);
	}
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "pcr 16 -> rtmr 3\n", 17), 17);
	close(fd);
	assert_int_equal(rtmr_map_load(path, &m, err, sizeof(err)), 0);
	assert_int_equal(rtmr_map_rtmr_of(&m, 16), 3);
	assert_int_equal(rtmr_map_rtmr_of(&m, 2), 1);
	unlink(path);
	assert_int_equal(rtmr_map_load(path, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_empty_and_comments_only_give_default),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_crlf_and_no_final_newline),
		cmocka_unit_test(test_all_none),
		cmocka_unit_test(test_describe_truncates),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_error_buffer_limits),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
