// SPDX-License-Identifier: MIT
/*
 * Unit tests: does systemd extend the RTMRs itself? The cc-measure.log reader against the
 * record format of systemd's runtime-measure (RFC 7464 JSON-SEQ, {"rtmr","mapped_pcr",
 * "digests",...}), what is not such a log (tpm2-measure.log's PCR records, junk), the decision
 * from the machine's facts, and the map that leaves systemd's PCRs out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/systemd_cc.h"

#define RS "\x1e"
#define D384 "\"digest\":\"0000000000000000000000000000000000000000000000000000000000000000" \
	     "00000000000000000000000000000000\""
/* two records as systemd writes them (content trimmed) */
#define REC(rtmr, pcr)                                                                             \
	RS "{\"rtmr\":" #rtmr ",\"mapped_pcr\":" #pcr ",\"digests\":[{\"hashAlg\":\"sha384\"," D384 \
	"}],\"content_type\":\"systemd\",\"content\":{\"string\":\"sysinit\",\"eventType\":"       \
	"\"phase\"}}\n"

static int count(const char *text)
{
	return systemd_cc_count_records(text, strlen(text));
}

static void test_count_records(void **state)
{
	(void)state;
	assert_int_equal(count(REC(2, 11)), 1);
	assert_int_equal(count(REC(2, 11) REC(0, 1) REC(2, 15)), 3);
	/* the last record cut short: being appended right now */
	assert_int_equal(count(REC(2, 11) RS "{\"rtmr\":2,"), 1);
	/* a record without its trailing newline, as a writer interrupted after the object */
	assert_int_equal(count(REC(2, 11) RS "{\"rtmr\":1,\"mapped_pcr\":4,\"digests\":[{}]}"), 2);
	/* tpm2-measure.log's TPM records are not RTMR records */
	assert_int_equal(count(RS "{\"pcr\":11,\"digests\":[{\"hashAlg\":\"sha256\"}]}\n"), 0);
}

static void test_not_a_cc_log(void **state)
{
	(void)state;
	assert_int_equal(count(""), -1);
	assert_int_equal(count("{\"rtmr\":2,\"mapped_pcr\":11,\"digests\":[{}]}\n"), -1); /* no RS */
	assert_int_equal(count(RS "{\"rtmr\":2,"), -1);              /* nothing but a cut record */
	assert_int_equal(count(REC(2, 11) RS "not json\n" REC(2, 11)), -1);
	assert_int_equal(count(RS "{} trailing\n"), -1);
	/* forged values: an RTMR or PCR out of range, no digests, a string for a number */
	assert_int_equal(count(RS "{\"rtmr\":4,\"mapped_pcr\":11,\"digests\":[{}]}"), 0);
	assert_int_equal(count(RS "{\"rtmr\":2,\"mapped_pcr\":24,\"digests\":[{}]}"), 0);
	assert_int_equal(count(RS "{\"rtmr\":2,\"mapped_pcr\":11,\"digests\":[]}"), 0);
	assert_int_equal(count(RS "{\"rtmr\":\"2\",\"mapped_pcr\":11,\"digests\":[{}]}"), 0);
}

static bool decide(struct systemd_cc_facts f, const char *want_why)
{
	char why[256];
	bool r = systemd_cc_decide(&f, why, sizeof(why));

	if (!strstr(why, want_why))
		fail_msg("'%s' does not say '%s'", why, want_why);
	return r;
}

static void test_decide(void **state)
{
	struct systemd_cc_facts none = { .cc_records = -1, .tdx_backend = true };
	struct systemd_cc_facts f;

	(void)state;
	assert_false(decide(none, "no sign"));
	f = none, f.cc_log = true, f.cc_records = 3;
	assert_true(decide(f, "holds 3 of its records"));
	f.tdx_backend = false; /* the sim registers are nobody else's */
	assert_false(decide(f, "its own"));
	f = none, f.cc_log = true, f.cc_records = 0; /* an empty log: nothing measured yet */
	assert_false(decide(f, "no sign"));
	f = none, f.cc_log = true, f.cc_records = -1;
	assert_false(decide(f, "not a systemd CC measurement log"));
	f = none, f.stub_measured = true;
	assert_true(decide(f, "systemd-stub measured"));
	f.firmware_tpm = true; /* the stub measured into the firmware TPM, not the CC registers */
	assert_false(decide(f, "no sign"));
}

static void test_map_default(void **state)
{
	struct rtmr_map m;
	char desc[128];

	(void)state;
	rtmr_map_default(&m);
	systemd_cc_map(&m, false);
	rtmr_map_describe(&m, desc, sizeof(desc));
	assert_string_equal(desc, "PCR 0,10 -> RTMR3");
	assert_int_equal(systemd_cc_shared_rtmr(&m), -1);
}

static void test_map_custom(void **state)
{
	const char *text = "pcr 16 -> rtmr 3\npcr 23 -> rtmr 1\n";
	struct rtmr_map m;
	char desc[128], err[128];

	(void)state;
	assert_int_equal(rtmr_map_parse(text, strlen(text), "t", &m, err, sizeof(err)), 0);
	systemd_cc_map(&m, true);
	rtmr_map_describe(&m, desc, sizeof(desc));
	/* systemd's PCRs gone, the rest where the administrator put them */
	assert_string_equal(desc, "PCR 0 -> RTMR0; PCR 23 -> RTMR1; PCR 10 -> RTMR2; "
				  "PCR 16 -> RTMR3");
	assert_int_equal(systemd_cc_shared_rtmr(&m), 0);
}

static void test_mode_names(void **state)
{
	enum systemd_cc_mode mode;

	(void)state;
	assert_int_equal(systemd_cc_mode_parse("on", &mode), 0);
	assert_int_equal(mode, SYSTEMD_CC_ON);
	assert_int_equal(systemd_cc_mode_parse("yes", &mode), -1);
	assert_string_equal(systemd_cc_mode_name(SYSTEMD_CC_AUTO), "auto");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count_records),
		cmocka_unit_test(test_not_a_cc_log),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_map_default),
		cmocka_unit_test(test_map_custom),
		cmocka_unit_test(test_mode_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
