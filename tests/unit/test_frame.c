// SPDX-License-Identifier: MIT
/* TPM command framing and the commands the daemon builds for itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tpm_cmds/tpm_build.h"
#include "tpm_cmds/tpm_frame.h"

static const uint8_t getrandom8[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8 };

static void test_header_parse(void **state)
{
	struct tpm_header h;

	(void)state;
	assert_int_equal(tpm_header_parse(getrandom8, sizeof(getrandom8), &h), 0);
	assert_int_equal(h.tag, 0x8001);
	assert_int_equal(h.size, 12);
	assert_int_equal(h.code, 0x17b);
	assert_int_equal(tpm_header_parse(getrandom8, 9, &h), -1);
}

static void test_frame_check(void **state)
{
	uint8_t buf[16];

	(void)state;
	assert_int_equal(tpm_frame_check(getrandom8, sizeof(getrandom8), 4096), TPM2_RC_SUCCESS);
	/* shorter than the size field says */
	assert_int_equal(tpm_frame_check(getrandom8, 11, 4096), TPM2_RC_COMMAND_SIZE);
	/* truncated header */
	assert_int_equal(tpm_frame_check(getrandom8, 5, 4096), TPM2_RC_COMMAND_SIZE);
	/* over the maximum */
	assert_int_equal(tpm_frame_check(getrandom8, sizeof(getrandom8), 11), TPM2_RC_COMMAND_SIZE);
	memcpy(buf, getrandom8, sizeof(getrandom8));
	buf[0] = 0x12;
	assert_int_equal(tpm_frame_check(buf, sizeof(getrandom8), 4096), TPM2_RC_BAD_TAG);
	memcpy(buf, getrandom8, sizeof(getrandom8));
	buf[5] = 4; /* size 4 < header */
	assert_int_equal(tpm_frame_check(buf, 4, 4096), TPM2_RC_COMMAND_SIZE);
}

static void test_build_su(void **state)
{
	static const uint8_t startup_clear[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };
	static const uint8_t shutdown_state[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x45, 0, 1 };
	uint8_t buf[32];

	(void)state;
	assert_int_equal(tpm_build_startup(buf, sizeof(buf), TPM2_SU_CLEAR), 12);
	assert_memory_equal(buf, startup_clear, 12);
	assert_int_equal(tpm_build_shutdown(buf, sizeof(buf), TPM2_SU_STATE), 12);
	assert_memory_equal(buf, shutdown_state, 12);
	assert_int_equal(tpm_build_startup(buf, 11, TPM2_SU_CLEAR), 0);
}

/* tpm_parse_su: only a well-formed Startup or Shutdown of the code asked for. */
static void test_parse_su(void **state)
{
	static const uint8_t shutdown_state[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x45, 0, 1 };
	uint8_t buf[16];
	uint16_t su = 0xffff;

	(void)state;
	assert_int_equal(tpm_parse_su(shutdown_state, 12, TPM2_CC_Shutdown, &su), 0);
	assert_int_equal(su, TPM2_SU_STATE);
	assert_int_equal(tpm_parse_su(shutdown_state, 12, TPM2_CC_Startup, &su), -1);
	assert_int_equal(tpm_parse_su(shutdown_state, 11, TPM2_CC_Shutdown, &su), -1);
	memcpy(buf, shutdown_state, 12);
	buf[1] = 0x02; /* sessions */
	assert_int_equal(tpm_parse_su(buf, 12, TPM2_CC_Shutdown, &su), -1);
	memcpy(buf, shutdown_state, 12);
	buf[5] = 13; /* size field says more */
	buf[12] = 0;
	assert_int_equal(tpm_parse_su(buf, 13, TPM2_CC_Shutdown, &su), -1);
	assert_int_equal(tpm_build_startup(buf, sizeof(buf), TPM2_SU_CLEAR), 12);
	assert_int_equal(tpm_parse_su(buf, 12, TPM2_CC_Startup, &su), 0);
	assert_int_equal(su, TPM2_SU_CLEAR);
}

static void test_error_response(void **state)
{
	static const uint8_t failure[] = { 0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x01 };
	uint8_t buf[16];

	(void)state;
	assert_int_equal(tpm_build_error_response(buf, sizeof(buf), TPM2_RC_FAILURE), 10);
	assert_memory_equal(buf, failure, 10);
	assert_int_equal(tpm_response_rc(buf, 10), TPM2_RC_FAILURE);
	assert_int_equal(tpm_response_rc(buf, 9), TPM2_RC_FAILURE);
	assert_int_equal(tpm_build_error_response(buf, 9, 0), 0);
}

static void test_pcr_allocate(void **state)
{
	/* Expected bytes written out by hand from TPM 2.0 Part 3, TPM2_PCR_Allocate */
	static const uint8_t expect[] = {
		0x80, 0x02, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x01, 0x2b, /* header, 43 */
		0x40, 0x00, 0x00, 0x0c,                                     /* TPM_RH_PLATFORM */
		0x00, 0x00, 0x00, 0x09,                                     /* auth size */
		0x40, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00,       /* TPM_RS_PW, empty */
		0x00, 0x00, 0x00, 0x02,                                     /* count */
		0x00, 0x04, 0x03, 0xff, 0xff, 0xff,                         /* sha1: all 24 */
		0x00, 0x0b, 0x03, 0xff, 0xff, 0xff,                         /* sha256 */
	};
	const uint16_t algs[] = { 0x0004, 0x000b };
	uint8_t buf[128];

	(void)state;
	assert_int_equal(tpm_build_pcr_allocate(buf, sizeof(buf), algs, 2), sizeof(expect));
	assert_memory_equal(buf, expect, sizeof(expect));
}

static void test_get_pcrs_roundtrip(void **state)
{
	static const uint8_t expect_cmd[] = { 0x80, 0x01, 0, 0, 0, 22, 0, 0, 0x01, 0x7a,
					      0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1 };
	/* response: no more data, TPM_CAP_PCRS, 2 banks; sha1 PCR 0-23, sha256 none */
	static const uint8_t rsp[] = {
		0x80, 0x01, 0, 0, 0, 0x23, 0, 0, 0, 0, 0x00, 0, 0, 0, 5, 0, 0, 0, 2,
		0x00, 0x04, 0x03, 0xff, 0xff, 0xff, 0x00, 0x0b, 0x03, 0x00, 0x00, 0x00,
		0, 0, 0, 0,
	};
	const uint16_t sha1[] = { 0x0004 }, both[] = { 0x0004, 0x000b };
	TPML_PCR_SELECTION sel;
	uint8_t buf[64];

	(void)state;
	assert_int_equal(tpm_build_get_pcrs(buf, sizeof(buf)), sizeof(expect_cmd));
	assert_memory_equal(buf, expect_cmd, sizeof(expect_cmd));
	assert_int_equal(tpm_parse_get_pcrs(rsp, sizeof(rsp) - 4, &sel), -1); /* size mismatch */
	{
		uint8_t fixed[sizeof(rsp)];

		memcpy(fixed, rsp, sizeof(rsp));
		fixed[5] = sizeof(rsp) - 4;
		assert_int_equal(tpm_parse_get_pcrs(fixed, sizeof(rsp) - 4, &sel), 0);
	}
	assert_int_equal(sel.count, 2);
	assert_true(tpm_pcrs_all_active(&sel, sha1, 1));
	assert_false(tpm_pcrs_all_active(&sel, both, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_parse),   cmocka_unit_test(test_frame_check),
		cmocka_unit_test(test_build_su),       cmocka_unit_test(test_error_response),
		cmocka_unit_test(test_pcr_allocate),   cmocka_unit_test(test_get_pcrs_roundtrip),
		cmocka_unit_test(test_parse_su),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
