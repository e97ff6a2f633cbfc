// SPDX-License-Identifier: MIT
/* The socket transport's poll() loop: where io_uring is not available. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/util.h"
#include "daemon/transport/transport_socket_conn.h"
#include "daemon/transport/transport_socket_loop.h"

/* Answers every whole message buffered, in order; false when the connection must close. */
static bool conn_answer_buffered(struct conn *c, struct service *svc, bool *terminate)
{
	for (;;) {
		size_t olen = 0;
		enum conn_step step = conn_step(c, svc, &olen, terminate);

		if (step == CONN_NEED_MORE)
			return c->len < CONN_BUF; /* a full buffer cannot happen: frames are checked */
		if (conn_send(c, c->out, olen) < 0 || step == CONN_REPLY_CLOSE)
			return false;
	}
}

static bool conn_readable(struct conn *c, struct service *svc, bool *terminate)
{
	ssize_t n;

	if (conn_buffers(c) < 0)
		return false;
	n = recv(c->fd, c->buf + c->len, CONN_BUF - c->len, 0);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK;
	if (n == 0)
		return false;
	conn_received(c, (size_t)n, now_ms());
	return conn_answer_buffered(c, svc, terminate);
}

/* A slot for a new connection, made by closing the class's longest idle one if need be. */
static struct conn *accept_conn(struct conn_table *t, int lfd, bool ctrl)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct conn *c, *evict;

	if (fd < 0)
		return NULL;
	c = conn_claim(t, fd, ctrl, &evict);
	if (!c && evict) {
		conn_evicted(t, evict);
		conn_close(evict);
		c = conn_claim(t, fd, ctrl, &evict);
	}
	if (!c)
		conn_refuse(t, fd, ctrl);
	return c;
}

static void close_expired(void *ctx, struct conn *c)
{
	(void)ctx;
	conn_close(c);
}

/*
 * A TCTI connects for every command and sends it at once: read it right after accept4()
 * rather than after another round through poll() (nothing there yet: recv says EAGAIN).
 */
static void accept_data(const struct socket_listeners *l, struct conn_table *t, struct service *svc,
			bool *terminate)
{
	struct conn *c = accept_conn(t, l->data, false);

	if (c && !conn_readable(c, svc, terminate))
		conn_close(c);
}

/* The stop pipe, both listeners, then the open connections only (conn[k] is the slot of
 * p[k]): poll() looks at every entry it is given on every wake-up. */
static size_t fill_pollfds(const struct socket_listeners *l, const struct conn_table *t,
			   struct pollfd *p, size_t *conn, int stop_fd)
{
	size_t n = 0;

	p[n++] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = l->data, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = l->ctrl, .events = POLLIN };
	for (size_t i = 0; i < MAX_CONNS; i++) {
		if (t->conn[i].fd < 0)
			continue;
		conn[n] = i;
		p[n++] = (struct pollfd){ .fd = t->conn[i].fd, .events = POLLIN };
	}
	return n;
}

int socket_loop_poll(const struct socket_listeners *l, struct conn_table *t, struct service *svc,
		     int stop_fd)
{
	struct pollfd p[3 + MAX_CONNS];
	size_t conn[3 + MAX_CONNS];
	bool terminate = false;

	while (!terminate) {
		size_t n = fill_pollfds(l, t, p, conn, stop_fd);

		if (poll(p, n, conn_next_timeout(t, now_ms())) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			return -1;
		}
		if (p[0].revents)
			break;
		conn_expire(t, now_ms(), close_expired, NULL);
		/* connections first: a slot freed here may be reused by an accept below */
		for (size_t k = 3; k < n; k++) {
			struct conn *c = &t->conn[conn[k]];

			if (p[k].revents && !conn_readable(c, svc, &terminate))
				conn_close(c);
		}
		if (p[1].revents & POLLIN)
			accept_data(l, t, svc, &terminate);
		if (p[2].revents & POLLIN)
			accept_conn(t, l->ctrl, true);
	}
	if (terminate)
		log_info("control channel asked to shut down");
	return 0;
}
