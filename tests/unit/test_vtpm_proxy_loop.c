// SPDX-License-Identifier: MIT
/* The vtpm_proxy fd loop against a SOCK_SEQPACKET socketpair that behaves like the proxy
 * fd: one read = one command, one write = one response. The real driver is exercised in
 * the VM tests. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/service.h"
#include "tpm_cmds/tpm_frame.h"
#include "tpm_fixture.h"
#include "daemon/transport/transport_vtpm_proxy.h"

static struct tpm_fixture fx;

struct loop {
	int kernel_fd;  /* the "kernel" side */
	int proxy_fd;   /* served by vtpm_proxy_serve */
	int stop[2];
	pthread_t thread;
	int result;
	struct vtpm_proxy_ready ready;
	char node[96];
	int published;
};

static void on_ready(void *ctx)
{
	((struct loop *)ctx)->published++;
}

static void *serve_thread(void *arg)
{
	struct loop *l = arg;

	l->result = vtpm_proxy_serve(l->proxy_fd, fx.svc, l->stop[0], &l->ready);
	return NULL;
}

static void loop_start(struct loop *l)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(pipe(l->stop), 0);
	l->kernel_fd = sv[0];
	l->proxy_fd = sv[1];
	l->result = -99;
	l->published = 0;
	/* a path that appears while serving stands in for the device node */
	snprintf(l->node, sizeof(l->node), "%s/tpmrm0", fx.dir);
	l->ready = (struct vtpm_proxy_ready){ .path = l->node, .cb = on_ready, .ctx = l };
	assert_int_equal(pthread_create(&l->thread, NULL, serve_thread, l), 0);
}

static void loop_join(struct loop *l)
{
	pthread_join(l->thread, NULL);
	close(l->kernel_fd);
	close(l->proxy_fd);
	close(l->stop[0]);
	close(l->stop[1]);
}

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

/* One command out, one whole response back in a single read. */
static ssize_t transact(struct loop *l, const uint8_t *cmd, size_t len, uint8_t *rsp)
{
	assert_int_equal(write(l->kernel_fd, cmd, len), (ssize_t)len);
	return read(l->kernel_fd, rsp, 8192);
}

static void test_commands_and_locality(void **state)
{
	static const uint8_t setloc3[] = { 0x80, 0x02, 0, 0, 0, 11, 0x20, 0x00, 0x10, 0x00, 3 };
	static const uint8_t setloc5[] = { 0x80, 0x02, 0, 0, 0, 11, 0x20, 0x00, 0x10, 0x00, 5 };
	static const uint8_t getrandom[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 32 };
	static const uint8_t bad_size[] = { 0x80, 0x01, 0, 0, 0, 40, 0, 0, 0x01, 0x7b, 0, 32 };
	uint8_t rsp[8192];
	struct loop l;
	ssize_t n;

	(void)state;
	loop_start(&l);
	n = transact(&l, setloc3, sizeof(setloc3), rsp);
	assert_int_equal(n, 10);
	/* not published before the device node exists; published once it does */
	assert_int_equal(l.published, 0);
	close(open(l.node, O_CREAT | O_WRONLY, 0600));
	for (int i = 0; i < 100 && !l.published; i++)
		usleep(10000);
	assert_int_equal(l.published, 1);
	assert_int_equal(tpm_response_rc(rsp, (size_t)n), TPM2_RC_SUCCESS);
	assert_int_equal(service_locality(fx.svc), 3);
	n = transact(&l, setloc5, sizeof(setloc5), rsp);
	assert_int_equal(tpm_response_rc(rsp, (size_t)n), TPM2_RC_LOCALITY);
	assert_int_equal(service_locality(fx.svc), 3);
	service_ctrl_set_locality(fx.svc, 0);
	/* a whole 44-byte response arrives in one read: it was one write */
	n = transact(&l, getrandom, sizeof(getrandom), rsp);
	assert_int_equal(n, 10 + 2 + 32);
	assert_int_equal(tpm_response_rc(rsp, (size_t)n), TPM2_RC_SUCCESS);
	/* a frame whose size field disagrees with the read: an error, and the loop goes on */
	n = transact(&l, bad_size, sizeof(bad_size), rsp);
	assert_int_equal(n, 10);
	assert_int_equal(tpm_response_rc(rsp, (size_t)n), TPM2_RC_COMMAND_SIZE);
	n = transact(&l, getrandom, sizeof(getrandom), rsp);
	assert_int_equal(n, 44);
	/* the stop fd ends the loop with 0 */
	assert_int_equal(write(l.stop[1], "x", 1), 1);
	loop_join(&l);
	assert_int_equal(l.result, 0);
}

/* The kernel's locality command, then Startup: refused with TPM_RC_LOCALITY before libtpms
 * (which would set PCR 0 to 00..03 at locality 3); at locality 0 it goes through. */
static void test_startup_at_locality_refused(void **state)
{
	static const uint8_t setloc[2][11] = {
		{ 0x80, 0x02, 0, 0, 0, 11, 0x20, 0x00, 0x10, 0x00, 3 },
		{ 0x80, 0x02, 0, 0, 0, 11, 0x20, 0x00, 0x10, 0x00, 0 },
	};
	static const uint8_t startup_clear[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };
	static const uint8_t pcr_read0[] = { 0x80, 0x01, 0, 0, 0, 20, 0, 0, 0x01, 0x7e,
					     0, 0, 0, 1, 0, 0x0b, 3, 1, 0, 0 };
	static const uint8_t zero[32];
	uint8_t rsp[8192];
	struct loop l;
	ssize_t n;

	(void)state;
	assert_int_equal(service_ctrl_init(fx.svc, false), 0); /* libtpms wants a Startup */
	loop_start(&l);
	n = transact(&l, setloc[0], sizeof(setloc[0]), rsp);
	assert_int_equal(tpm_response_rc(rsp, (size_t)n), TPM2_RC_SUCCESS);
	n = transact(&l, startup_clear, sizeof(startup_clear), rsp);
	assert_int_equal(n, 10);
	assert_int_equal(tpm_response_rc(rsp, (size_t)n), TPM2_RC_LOCALITY);
	n = transact(&l, setloc[1], sizeof(setloc[1]), rsp);
	assert_int_equal(tpm_response_rc(rsp, (size_t)n), TPM2_RC_SUCCESS);
	n = transact(&l, startup_clear, sizeof(startup_clear), rsp);
	assert_int_equal(tpm_response_rc(rsp, (size_t)n), TPM2_RC_SUCCESS);
	n = transact(&l, pcr_read0, sizeof(pcr_read0), rsp);
	assert_int_equal(tpm_response_rc(rsp, (size_t)n), TPM2_RC_SUCCESS);
	assert_memory_equal(rsp + n - 32, zero, 32); /* PCR 0 sha256, not 00..03 */
	assert_int_equal(write(l.stop[1], "x", 1), 1);
	loop_join(&l);
	assert_int_equal(l.result, 0);
}

static void test_oversized_and_hangup(void **state)
{
	static uint8_t big[5000];
	uint8_t rsp[8192];
	struct loop l;
	ssize_t n;

	(void)state;
	big[0] = 0x80;
	big[1] = 0x01;
	big[4] = 0x13;
	big[5] = 0x88; /* size 5000 */
	big[9] = 0x7b;
	loop_start(&l);
	n = transact(&l, big, sizeof(big), rsp);
	assert_int_equal(n, 10);
	assert_int_equal(tpm_response_rc(rsp, (size_t)n), TPM2_RC_COMMAND_SIZE);
	/* the kernel side closing (device removed) ends the loop with 0 */
	shutdown(l.kernel_fd, SHUT_RDWR);
	loop_join(&l);
	assert_int_equal(l.result, 0);
}

static void test_create_without_vtpmx(void **state)
{
	struct vtpm_proxy_dev dev;
	char err[256];

	(void)state;
	assert_int_equal(vtpm_proxy_create("/nonexistent/vtpmx", &dev, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "modprobe tpm_vtpm_proxy"));
	/* a file that is not the proxy device: the ioctl fails with a clear message */
	assert_int_equal(vtpm_proxy_create("/dev/null", &dev, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "VTPM_PROXY_IOC_NEW_DEV"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands_and_locality),
		cmocka_unit_test(test_startup_at_locality_refused),
		cmocka_unit_test(test_oversized_and_hangup),
		cmocka_unit_test(test_create_without_vtpmx),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
