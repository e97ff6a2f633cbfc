// SPDX-License-Identifier: MIT
/*
 * The socket transport's epoll loop: the default (the io_uring loop is an option,
 * VTPM_RTMR_SOCKET_LOOP=uring).
 *
 * The daemon waits in epoll_wait() on the sockets themselves. A client's send then wakes it
 * as a synchronous wake-up (the waker is about to wait for the answer), and the scheduler
 * runs the daemon on the client's CPU; a receive armed in io_uring wakes the daemon through
 * task work, an ordinary wake-up, and the daemon stays on the CPU it last ran on. Unpinned on
 * a 2-CPU VM a TCTI command took ~48 µs that way, against ~22 µs for swtpm, which waits in
 * poll(). Where a system call costs ~0.1 µs the three per command here (epoll_wait, recv,
 * send) also cost less than the ring's task work and linked requests (bench/README.md).
 *
 * A response goes out without blocking. What the socket does not take waits for EPOLLOUT,
 * and the connection is not read meanwhile (as the io_uring loop's receive is linked behind
 * its send); one not sent within CONN_SEND_BUDGET_MS closes the connection (a client that
 * does not read), and the others are served meanwhile. Limits and deadlines are
 * transport_socket_conn.c's, as for the other loop.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "daemon/transport/transport_socket_conn.h"
#include "daemon/transport/transport_socket_loop.h"

#define MAX_EVENTS 16
/* Connections taken off a listener's queue per wake-up: a burst of clients must not wait for
 * one loop round each (the queue holds 16; a full one drops handshakes, which clients retry
 * only a second later). */
#define MAX_ACCEPTS 16

enum tag { TAG_STOP = 1, TAG_ACCEPT_DATA, TAG_ACCEPT_CTRL, TAG_CONN };

/* An event names its tag, the connection's slot and its fd (a slot closed and taken again
 * within one batch of events is not mistaken for the new connection). */
#define EV(tag, slot, fd) ((uint64_t)(tag) | (uint64_t)(slot) << 8 | (uint64_t)(uint32_t)(fd) << 32)
#define EV_TAG(v) ((enum tag)((v) & 0xff))
#define EV_SLOT(v) ((size_t)(((v) >> 8) & 0xffffff))
#define EV_FD(v) ((int)(uint32_t)((v) >> 32))

/* The response of a connection still being sent. */
struct outgoing {
	size_t off, len;
	uint64_t since;    /* queued then; 0: nothing waiting */
	bool close_after;  /* a malformed frame's answer: close once it is sent */
};

struct epoll_loop {
	int ep;
	const struct socket_listeners *l;
	struct conn_table *t;
	struct service *svc;
	struct outgoing out[MAX_CONNS];
	uint64_t now; /* ms, when the batch of events being handled came in */
	uint64_t due; /* no deadline falls before this (UINT64_MAX: none) */
	bool terminate;
};

static size_t slot_of(const struct epoll_loop *u, const struct conn *c)
{
	return (size_t)(c - u->t->conn);
}

static int watch(struct epoll_loop *u, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(u->ep, op, fd, &ev);
}

static int watch_conn(struct epoll_loop *u, int op, struct conn *c, uint32_t events)
{
	return watch(u, op, c->fd, events, EV(TAG_CONN, slot_of(u, c), c->fd));
}

/* Close a connection (closing its fd takes it out of the epoll set). */
static void drop(struct epoll_loop *u, struct conn *c)
{
	u->out[slot_of(u, c)] = (struct outgoing){ 0 };
	conn_close(c);
}

static void drop_cb(void *ctx, struct conn *c)
{
	drop(ctx, c);
}

/* Send what the socket takes of the waiting response: 1 all sent, 0 the rest waits, -1 the
 * connection failed. */
static int flush(struct epoll_loop *u, struct conn *c)
{
	struct outgoing *o = &u->out[slot_of(u, c)];

	while (o->off < o->len) {
		ssize_t n = send(c->fd, c->out + o->off, o->len - o->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1;
		o->off += (size_t)n;
	}
	*o = (struct outgoing){ 0 };
	return 1;
}

enum sent { SENT, WAITING, CLOSED };

/* Send the response in c->out; what does not fit waits for EPOLLOUT. */
static enum sent reply(struct epoll_loop *u, struct conn *c, size_t olen, bool close_after)
{
	struct outgoing *o = &u->out[slot_of(u, c)];
	int r;

	*o = (struct outgoing){ .len = olen, .since = u->now, .close_after = close_after };
	r = flush(u, c);
	if (r > 0 && !close_after)
		return SENT;
	if (r < 0 || (r > 0 && close_after)) {
		drop(u, c);
		return CLOSED;
	}
	if (watch_conn(u, EPOLL_CTL_MOD, c, EPOLLOUT) < 0) {
		drop(u, c);
		return CLOSED;
	}
	return WAITING;
}

/* Answer every whole message buffered, in order, while the responses go out at once. */
static void answer(struct epoll_loop *u, struct conn *c)
{
	for (;;) {
		size_t olen = 0;
		enum conn_step step = conn_step(c, u->svc, &olen, &u->terminate);

		if (step == CONN_NEED_MORE) {
			if (c->len == CONN_BUF) /* cannot happen: frames are checked */
				drop(u, c);
			return;
		}
		if (reply(u, c, olen, step == CONN_REPLY_CLOSE) != SENT)
			return;
	}
}

static void readable(struct epoll_loop *u, struct conn *c)
{
	ssize_t n;

	if (conn_buffers(c) < 0) {
		log_warn("out of memory for a client connection; closing it");
		drop(u, c);
		return;
	}
	n = recv(c->fd, c->buf + c->len, CONN_BUF - c->len, 0);
	if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		if (n < 0 && errno != ECONNRESET)
			log_debug("receive from a client failed: %s", strerror(errno));
		drop(u, c);
		return;
	}
	conn_received(c, (size_t)n, u->now);
	answer(u, c);
}

/* The waiting response went out: read the connection again, and answer what it sent
 * meanwhile. */
static void writable(struct epoll_loop *u, struct conn *c)
{
	struct outgoing *o = &u->out[slot_of(u, c)];
	bool close_after = o->close_after;
	int r = flush(u, c);

	if (r == 0)
		return;
	if (r < 0 || close_after || watch_conn(u, EPOLL_CTL_MOD, c, EPOLLIN) < 0) {
		drop(u, c);
		return;
	}
	answer(u, c);
}

/* A slot for a new connection, made by closing the class's longest idle one if need be.
 * false when the listener's queue is empty. */
static bool accept_one(struct epoll_loop *u, bool ctrl)
{
	int fd = accept4(ctrl ? u->l->ctrl : u->l->data, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct conn *c, *evict;

	if (fd < 0)
		return errno == EINTR || errno == ECONNABORTED;
	c = conn_claim(u->t, fd, ctrl, &evict);
	if (!c && evict) {
		conn_evicted(u->t, evict);
		drop(u, evict);
		c = conn_claim(u->t, fd, ctrl, &evict);
	}
	if (!c) {
		conn_refuse(u->t, fd, ctrl);
		return true;
	}
	if (watch_conn(u, EPOLL_CTL_ADD, c, EPOLLIN) < 0) {
		log_warn("epoll_ctl: %s; closing a new client connection", strerror(errno));
		drop(u, c);
		return true;
	}
	/* a TCTI sends its command right after connecting: this receive usually finds it */
	if (!ctrl)
		readable(u, c);
	return true;
}

static void accept_all(struct epoll_loop *u, bool ctrl)
{
	for (int i = 0; i < MAX_ACCEPTS && !u->terminate && accept_one(u, ctrl); i++)
		;
}

/* Deadlines: silence and stalled messages (transport_socket_conn.c), and responses that have
 * waited longer than the send budget (a client that does not read). */
static void expire(struct epoll_loop *u, uint64_t now)
{
	conn_expire(u->t, now, drop_cb, u);
	for (size_t i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &u->t->conn[i];

		if (c->fd < 0 || !u->out[i].since || now - u->out[i].since <= CONN_SEND_BUDGET_MS)
			continue;
		log_ratelimited(&u->t->timed_out, LOG_LVL_WARN, "closing a %s connection that does "
				"not read its responses", c->ctrl ? "control" : "data");
		drop(u, c);
	}
}

/* ms until the next deadline, or -1; remembers when that is. A deadline set while a batch
 * is handled is at least a second away (the limits' minimum): the next call sees it. */
static int next_timeout(struct epoll_loop *u, uint64_t now)
{
	int ms = conn_next_timeout(u->t, now);

	for (size_t i = 0; i < MAX_CONNS; i++) {
		uint64_t end = u->out[i].since + CONN_SEND_BUDGET_MS + 1;
		int left;

		if (!u->out[i].since)
			continue;
		left = end <= now ? 0 : (int)(end - now);
		if (ms < 0 || left < ms)
			ms = left;
	}
	u->due = ms < 0 ? UINT64_MAX : now + (uint64_t)ms;
	return ms;
}

static void conn_event(struct epoll_loop *u, const struct epoll_event *ev)
{
	struct conn *c = &u->t->conn[EV_SLOT(ev->data.u64) % MAX_CONNS];

	if (c->fd < 0 || c->fd != EV_FD(ev->data.u64))
		return; /* closed earlier in this batch */
	if (u->out[slot_of(u, c)].since)
		writable(u, c); /* EPOLLOUT, or an error the send will report */
	else
		readable(u, c);
}

/* One batch of events: the stop signal first, then the connections, then the listeners (a
 * slot freed above may be taken by an accept below). */
static bool dispatch(struct epoll_loop *u, const struct epoll_event *ev, int n)
{
	for (int i = 0; i < n; i++)
		if (EV_TAG(ev[i].data.u64) == TAG_STOP)
			return false;
	u->now = now_ms();
	if (u->now >= u->due)
		expire(u, u->now);
	for (int i = 0; i < n && !u->terminate; i++)
		if (EV_TAG(ev[i].data.u64) == TAG_CONN)
			conn_event(u, &ev[i]);
	for (int i = 0; i < n && !u->terminate; i++) {
		if (EV_TAG(ev[i].data.u64) == TAG_ACCEPT_DATA)
			accept_all(u, false);
		else if (EV_TAG(ev[i].data.u64) == TAG_ACCEPT_CTRL)
			accept_all(u, true);
	}
	return true;
}

static int loop_open(struct epoll_loop *u, int stop_fd)
{
	u->ep = epoll_create1(EPOLL_CLOEXEC);
	if (u->ep < 0 || watch(u, EPOLL_CTL_ADD, stop_fd, EPOLLIN, EV(TAG_STOP, 0, stop_fd)) < 0 ||
	    watch(u, EPOLL_CTL_ADD, u->l->data, EPOLLIN, EV(TAG_ACCEPT_DATA, 0, u->l->data)) < 0 ||
	    watch(u, EPOLL_CTL_ADD, u->l->ctrl, EPOLLIN, EV(TAG_ACCEPT_CTRL, 0, u->l->ctrl)) < 0) {
		log_error("epoll: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int socket_loop_epoll(const struct socket_listeners *l, struct conn_table *t, struct service *svc,
		      int stop_fd)
{
	struct epoll_loop u = { .ep = -1, .l = l, .t = t, .svc = svc, .due = UINT64_MAX };
	struct epoll_event ev[MAX_EVENTS];
	int ret = 0;

	if (loop_open(&u, stop_fd) < 0) {
		if (u.ep >= 0)
			close(u.ep);
		return -1;
	}
	log_debug("socket transport: epoll loop");
	while (!u.terminate) {
		int n = epoll_wait(u.ep, ev, MAX_EVENTS, next_timeout(&u, now_ms()));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("epoll_wait: %s", strerror(errno));
			ret = -1;
			break;
		}
		if (!dispatch(&u, ev, n))
			break;
	}
	close(u.ep);
	if (u.terminate)
		log_info("control channel asked to shut down");
	return ret;
}
