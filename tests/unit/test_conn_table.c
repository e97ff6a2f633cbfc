// SPDX-License-Identifier: MIT
/* The socket transport's connection table: which connection makes room for a new client. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/transport/transport_socket_conn.h"

static int devnull(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

/* Fill one class, then claim one more: the connection it makes room by closing. */
static struct conn *full_then_claim(struct conn_table *t, bool ctrl, int *fd)
{
	struct conn *evict = NULL;

	*fd = devnull();
	assert_null(conn_claim(t, *fd, ctrl, &evict));
	assert_non_null(evict);
	return evict;
}

/*
 * A burst of connects lands in one millisecond, and the slot a new client gets is the one just
 * freed. The next client must still close the connection idle the longest, not the newest
 * (the millisecond clock alone called them equal and took the lowest slot: the newest).
 */
static void test_longest_idle_goes_first(void **state)
{
	struct conn_limits limits = { .first_ms = 5000, .message_ms = 30000 };
	struct conn_table t;
	int fds[MAX_DATA_CONNS], fd;
	struct conn *c, *evict, *newest;

	(void)state;
	conn_table_init(&t, &limits);
	for (size_t i = 0; i < MAX_DATA_CONNS; i++) {
		fds[i] = devnull();
		assert_non_null(conn_claim(&t, fds[i], false, &evict));
	}
	evict = full_then_claim(&t, false, &fd);
	assert_int_equal(evict->fd, fds[0]);
	conn_close(evict);
	newest = conn_claim(&t, fd, false, &evict);
	assert_non_null(newest);
	for (size_t i = 1; i < 4; i++) {
		evict = full_then_claim(&t, false, &fd);
		assert_ptr_not_equal(evict, newest);
		assert_int_equal(evict->fd, fds[i]);
		conn_close(evict);
		assert_non_null(conn_claim(&t, fd, false, &evict));
	}
	/* the control class is counted and ordered apart */
	c = conn_claim(&t, devnull(), true, &evict);
	assert_non_null(c);
	assert_null(evict);
	conn_table_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longest_idle_goes_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
