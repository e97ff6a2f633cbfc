// SPDX-License-Identifier: MIT
/* swtpm control channel: request framing and every supported command, on a real libtpms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/transport/ctrl_channel.h"
#include "daemon/service.h"
#include "tpm_cmds/tpm_frame.h"
#include "tpm_fixture.h"

static struct tpm_fixture fx;

static int setup(void **state)
{
	(void)state;
	return tpm_fixture_up(&fx);
}

static int teardown(void **state)
{
	(void)state;
	tpm_fixture_down(&fx);
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t run(const uint8_t *req, size_t len, uint8_t *out, unsigned *actions)
{
	return ctrl_handle(fx.svc, req, len, out, CTRL_MAX_RESPONSE, actions);
}

static void test_request_size(void **state)
{
	static const uint8_t init[] = { 0, 0, 0, 2 }, loc[] = { 0, 0, 0, 5 },
			     info[] = { 0, 0, 0, 0x12 }, unknown[] = { 0, 0, 0, 0x77 };

	(void)state;
	assert_int_equal(ctrl_request_size(init, 3), 0);
	assert_int_equal(ctrl_request_size(init, 4), 8);
	assert_int_equal(ctrl_request_size(loc, 4), 5);
	assert_int_equal(ctrl_request_size(info, 4), 20);
	assert_int_equal(ctrl_request_size(unknown, 4), 4);
}

static void test_capability(void **state)
{
	static const uint8_t req[] = { 0, 0, 0, 1 };
	uint8_t out[CTRL_MAX_RESPONSE];
	unsigned actions;

	(void)state;
	assert_int_equal(run(req, sizeof(req), out, &actions), 8);
	/* INIT, SHUTDOWN, SET_LOCALITY, STOP, GET_INFO bits */
	assert_true(out[7] & 0x01);
	assert_true(out[7] & 0x02);
	assert_true(out[7] & 0x08);
	assert_true(out[6] & 0x04);
	assert_true(out[6] & 0x40);
	assert_int_equal(actions, 0);
}

static void test_unknown_and_bad_size(void **state)
{
	static const uint8_t unknown[] = { 0, 0, 0, 0x77 };
	static const uint8_t short_init[] = { 0, 0, 0, 2, 0, 0 };
	static const uint8_t long_loc[] = { 0, 0, 0, 5, 0, 0 };
	uint8_t out[CTRL_MAX_RESPONSE];
	unsigned actions;

	(void)state;
	assert_int_equal(run(unknown, sizeof(unknown), out, &actions), 4);
	assert_int_equal(be32(out), PTM_BAD_ORDINAL);
	assert_int_equal(run(short_init, sizeof(short_init), out, &actions), 4);
	assert_int_equal(be32(out), PTM_BAD_PARAMETER);
	assert_int_equal(run(long_loc, sizeof(long_loc), out, &actions), 4);
	assert_int_equal(be32(out), PTM_BAD_PARAMETER);
	assert_int_equal(run(unknown, 2, out, &actions), 4);
	assert_int_equal(be32(out), PTM_BAD_PARAMETER);
}

static void test_locality(void **state)
{
	static const uint8_t loc3[] = { 0, 0, 0, 5, 3 }, loc5[] = { 0, 0, 0, 5, 5 },
			     loc0[] = { 0, 0, 0, 5, 0 };
	uint8_t out[CTRL_MAX_RESPONSE];
	unsigned actions;

	(void)state;
	assert_int_equal(run(loc3, sizeof(loc3), out, &actions), 4);
	assert_int_equal(be32(out), PTM_SUCCESS);
	assert_int_equal(service_locality(fx.svc), 3);
	assert_int_equal(run(loc5, sizeof(loc5), out, &actions), 4);
	assert_int_equal(be32(out), PTM_BAD_LOCALITY);
	assert_int_equal(service_locality(fx.svc), 3);
	run(loc0, sizeof(loc0), out, &actions);
	assert_int_equal(service_locality(fx.svc), 0);
}

static void test_stop_init(void **state)
{
	static const uint8_t stop[] = { 0, 0, 0, 0x0e }, init[] = { 0, 0, 0, 2, 0, 0, 0, 1 };
	static const uint8_t getrandom[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8 };
	uint8_t out[CTRL_MAX_RESPONSE], rsp[TPM_MAX_COMMAND_SIZE], cmd[16];
	unsigned actions;
	size_t len;

	(void)state;
	assert_int_equal(run(stop, sizeof(stop), out, &actions), 4);
	assert_int_equal(be32(out), PTM_SUCCESS);
	assert_false(service_tpm_running(fx.svc));
	len = service_command(fx.svc, getrandom, sizeof(getrandom), rsp, sizeof(rsp), 0);
	assert_int_equal(tpm_response_rc(rsp, len), TPM2_RC_FAILURE);
	assert_int_equal(run(init, sizeof(init), out, &actions), 4);
	assert_int_equal(be32(out), PTM_SUCCESS);
	assert_true(service_tpm_running(fx.svc));
	len = service_command(fx.svc, getrandom, sizeof(getrandom), rsp, sizeof(rsp), 0);
	assert_int_equal(tpm_response_rc(rsp, len), TPM2_RC_INITIALIZE);
	len = tpm_build_startup(cmd, sizeof(cmd), TPM2_SU_CLEAR);
	len = service_command(fx.svc, cmd, len, rsp, sizeof(rsp), 0);
	assert_int_equal(tpm_response_rc(rsp, len), TPM2_RC_SUCCESS);
	len = service_command(fx.svc, getrandom, sizeof(getrandom), rsp, sizeof(rsp), 0);
	assert_int_equal(len, 20);
	assert_int_equal(tpm_response_rc(rsp, len), TPM2_RC_SUCCESS);
}

static void test_buffersize_info(void **state)
{
	static const uint8_t query[] = { 0, 0, 0, 0x11, 0, 0, 0, 0 };
	static const uint8_t set[] = { 0, 0, 0, 0x11, 0, 0, 0x08, 0 };
	static const uint8_t info[] = { 0, 0, 0, 0x12, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
					0, 0, 0, 0 };
	uint8_t out[CTRL_MAX_RESPONSE];
	unsigned actions;
	size_t len;

	(void)state;
	assert_int_equal(run(query, sizeof(query), out, &actions), 16);
	assert_int_equal(be32(out), PTM_SUCCESS);
	assert_true(be32(out + 4) >= be32(out + 8));
	assert_true(be32(out + 12) <= TPM_MAX_COMMAND_SIZE);
	/* changing the size while the TPM runs is refused, as swtpm does */
	run(set, sizeof(set), out, &actions);
	assert_int_equal(be32(out), PTM_BAD_PARAMETER);
	len = run(info, sizeof(info), out, &actions);
	assert_true(len > 12);
	assert_int_equal(be32(out), PTM_SUCCESS);
	assert_int_equal(be32(out + 8), len - 12);
	assert_non_null(memmem(out + 12, len - 12, "TPMSpecification", 16));
}

static void test_established_and_shutdown(void **state)
{
	static const uint8_t est[] = { 0, 0, 0, 4 }, reset[] = { 0, 0, 0, 0x0b, 3 },
			     shutdown[] = { 0, 0, 0, 3 };
	uint8_t out[CTRL_MAX_RESPONSE];
	unsigned actions;

	(void)state;
	assert_int_equal(run(est, sizeof(est), out, &actions), 8);
	assert_int_equal(be32(out), PTM_SUCCESS);
	assert_int_equal(run(reset, sizeof(reset), out, &actions), 4);
	assert_int_equal(be32(out), PTM_SUCCESS);
	assert_int_equal(run(shutdown, sizeof(shutdown), out, &actions), 4);
	assert_int_equal(be32(out), PTM_SUCCESS);
	assert_int_equal(actions, CTRL_ACTION_TERMINATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_size),
		cmocka_unit_test(test_capability),
		cmocka_unit_test(test_unknown_and_bad_size),
		cmocka_unit_test(test_locality),
		cmocka_unit_test(test_stop_init),
		cmocka_unit_test(test_buffersize_info),
		cmocka_unit_test(test_established_and_shutdown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
