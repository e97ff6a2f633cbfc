// SPDX-License-Identifier: MIT
/*
 * The socket transport's io_uring loop (VTPM_RTMR_SOCKET_LOOP=uring; the default is the epoll
 * loop, transport_socket_epoll.c).
 *
 * With epoll, a command over an open connection costs epoll_wait, recv and send, plus the
 * event log's write when it changes a mirrored PCR. Here a response's send and the
 * connection's next receive go to the kernel linked (the receive starts only once the whole
 * response is sent), in the io_uring_enter that then waits for the next completion: one
 * system call per command besides the log write. A TCTI's connection-per-command gets the
 * same, with the accept and the first receive also in the ring. That pays where a system call
 * is dear (a kernel with page-table isolation); where it is cheap, the ring's task work costs
 * more, and its wake-ups are not synchronous ones, so the scheduler does not move the daemon
 * to its client's CPU (bench/README.md).
 *
 * What does not change: a response is sent only after service_command() returned, so the
 * fail-closed order (execute, append, extend, then respond) is the epoll loop's. The rare
 * cases (control messages, a malformed frame, pipelined commands) are answered with a
 * blocking send.
 *
 * Every receive and accept in the ring has a buffer or slot that stays valid until its
 * completion arrives; a connection is closed only when none of its requests is pending.
 * A tick every TICK_MS closes connections past their deadline (transport_socket_conn.h) and
 * cancels a response whose send has waited more than CONN_SEND_BUDGET_MS (a client that does
 * not read): shutdown() ends what of theirs is in the ring, and the slot comes free when the
 * completions are in. A new connection that must wait for such a slot waits in `incoming`.
 */
#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "daemon/transport/transport_socket_conn.h"
#include "daemon/transport/transport_socket_loop.h"

/* Submissions go in batches (a full queue is submitted before more are added); completions
 * wait in the larger completion queue: a receive per connection, stop, two accepts. */
#define SQ_ENTRIES 16
#define CQ_ENTRIES (2 * MAX_CONNS + 16)
#define TICK_MS 500
#define MAX_INCOMING 8

enum op {
	OP_STOP = 1, OP_ACCEPT_DATA, OP_ACCEPT_CTRL, OP_RECV, OP_SEND, OP_CANCEL, OP_TICK,
	OP_CANCEL_SEND,
};

#define UD(op, slot) ((uint64_t)(op) | ((uint64_t)(slot) << 8))
#define UD_OP(ud) ((enum op)((ud) & 0xff))
#define UD_SLOT(ud) ((size_t)((ud) >> 8))

/* What the ring holds of a connection slot. */
struct uring_slot {
	unsigned pending;    /* requests in the ring that will post a completion */
	uint64_t send_since; /* a response's send was queued then, not known done; 0: none */
};

/* An accepted connection waiting for the slot of one being closed to its room. */
struct incoming {
	int fd;
	bool ctrl;
};

struct uring_loop {
	struct io_uring ring;
	const struct socket_listeners *l;
	struct conn_table *t;
	struct uring_slot slot[MAX_CONNS];
	struct incoming incoming[MAX_INCOMING];
	size_t nincoming;
	struct __kernel_timespec tick;
	struct service *svc;
	int stop_fd;
	unsigned pending; /* receives, accepts, the stop poll, cancels: each ends in one
			   * completion (a linked send's failure stands for its receive) */
	bool stop_armed;
	bool tick_armed;
	bool accept_armed[2];
	bool stop;
	bool terminate;
	bool draining; /* shutting down: answer nothing more, re-arm nothing */
};

/* Room for n more requests, so that a linked pair is never split across two submissions. */
static void sq_room(struct uring_loop *u, unsigned n)
{
	if (io_uring_sq_space_left(&u->ring) < n)
		io_uring_submit(&u->ring);
}

static struct io_uring_sqe *sqe_get(struct uring_loop *u)
{
	sq_room(u, 1);
	return io_uring_get_sqe(&u->ring);
}

static size_t slot_of(struct uring_loop *u, const struct conn *c)
{
	return (size_t)(c - u->t->conn);
}

static struct uring_slot *slot(struct uring_loop *u, const struct conn *c)
{
	return &u->slot[slot_of(u, c)];
}

static void arm_stop(struct uring_loop *u)
{
	struct io_uring_sqe *sqe = sqe_get(u);

	io_uring_prep_poll_add(sqe, u->stop_fd, POLLIN);
	io_uring_sqe_set_data64(sqe, UD(OP_STOP, 0));
	u->pending++;
	u->stop_armed = true;
}

static void arm_tick(struct uring_loop *u)
{
	struct io_uring_sqe *sqe = sqe_get(u);

	u->tick = (struct __kernel_timespec){ .tv_nsec = TICK_MS * 1000000L };
	io_uring_prep_timeout(sqe, &u->tick, 0, 0);
	io_uring_sqe_set_data64(sqe, UD(OP_TICK, 0));
	u->pending++;
	u->tick_armed = true;
}

static void arm_accept(struct uring_loop *u, bool ctrl)
{
	struct io_uring_sqe *sqe = sqe_get(u);

	io_uring_prep_accept(sqe, ctrl ? u->l->ctrl : u->l->data, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
	io_uring_sqe_set_data64(sqe, UD(ctrl ? OP_ACCEPT_CTRL : OP_ACCEPT_DATA, 0));
	u->pending++;
	u->accept_armed[ctrl] = true;
}

static void arm_recv(struct uring_loop *u, struct conn *c)
{
	struct io_uring_sqe *sqe = sqe_get(u);

	io_uring_prep_recv(sqe, c->fd, c->buf + c->len, CONN_BUF - c->len, 0);
	io_uring_sqe_set_data64(sqe, UD(OP_RECV, slot_of(u, c)));
	slot(u, c)->pending++;
	u->pending++;
}

/* The response in out, then (linked) the next receive. A successful send posts nothing; a
 * failed one posts for both (see OP_SEND in handle()). */
static void send_then_recv(struct uring_loop *u, struct conn *c, size_t olen)
{
	struct io_uring_sqe *sqe;

	sq_room(u, 2);
	sqe = io_uring_get_sqe(&u->ring);
	io_uring_prep_send(sqe, c->fd, c->out, olen, MSG_NOSIGNAL | MSG_WAITALL);
	io_uring_sqe_set_data64(sqe, UD(OP_SEND, slot_of(u, c)));
	sqe->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
	slot(u, c)->send_since = now_ms();
	arm_recv(u, c);
}

static void retire(struct uring_loop *u, struct conn *c)
{
	struct uring_slot *s = slot(u, c);

	c->going = true;
	if (s->pending == 0) {
		conn_close(c);
		*s = (struct uring_slot){ 0 };
	}
}

/* Close a connection that has requests in the ring: shutdown() ends them at once. */
static void kick(struct uring_loop *u, struct conn *c)
{
	shutdown(c->fd, SHUT_RDWR);
	retire(u, c);
}

static void kick_expired(void *ctx, struct conn *c)
{
	kick(ctx, c);
}

/* New input in c->buf: answer it, then wait for more. */
static void answer(struct uring_loop *u, struct conn *c)
{
	for (;;) {
		size_t olen = 0;
		enum conn_step step = conn_step(c, u->svc, &olen, &u->terminate);

		if (step == CONN_NEED_MORE)
			break;
		if (step == CONN_REPLY && !c->ctrl && !u->terminate && !conn_has_message(c)) {
			send_then_recv(u, c, olen);
			return;
		}
		if (conn_send(c, c->out, olen) < 0 || step == CONN_REPLY_CLOSE) {
			retire(u, c);
			return;
		}
	}
	if (c->len == CONN_BUF) { /* cannot happen for well-formed input: frames are checked */
		retire(u, c);
		return;
	}
	arm_recv(u, c);
}

static void received(struct uring_loop *u, struct conn *c, int res)
{
	slot(u, c)->pending--;
	slot(u, c)->send_since = 0; /* a receive ran: the send linked before it is done */
	if (c->going || u->draining || res == 0) {
		retire(u, c);
		return;
	}
	if (res == -EINTR || res == -EAGAIN) {
		arm_recv(u, c);
		return;
	}
	if (res < 0) {
		if (res != -ECONNRESET)
			log_debug("receive from a client failed: %s", strerror(-res));
		retire(u, c);
		return;
	}
	conn_received(c, (size_t)res, now_ms());
	answer(u, c);
}

/* A slot for fd, made by closing the class's longest idle connection if need be: that one
 * leaves the ring first, so the new one waits in `incoming` meanwhile. */
static void place(struct uring_loop *u, int fd, bool ctrl)
{
	struct conn *c, *evict;

	c = conn_claim(u->t, fd, ctrl, &evict);
	if (!c && evict && u->nincoming < MAX_INCOMING) {
		conn_evicted(u->t, evict);
		kick(u, evict);
		c = conn_claim(u->t, fd, ctrl, &evict);
		if (!c) {
			u->incoming[u->nincoming++] = (struct incoming){ .fd = fd, .ctrl = ctrl };
			return;
		}
	}
	if (!c) {
		conn_refuse(u->t, fd, ctrl);
		return;
	}
	if (conn_buffers(c) < 0) {
		log_warn("out of memory for a client connection; closing it");
		conn_close(c);
		return;
	}
	/* a TCTI sends its command right after connecting: this receive usually finds it */
	arm_recv(u, c);
}

/* Connections that waited for a slot: now that completions came in, there may be one. */
static void place_incoming(struct uring_loop *u)
{
	size_t n = u->nincoming;

	u->nincoming = 0;
	for (size_t i = 0; i < n; i++) {
		struct conn *evict;
		struct conn *c = conn_claim(u->t, u->incoming[i].fd, u->incoming[i].ctrl, &evict);

		if (!c) {
			u->incoming[u->nincoming++] = u->incoming[i];
			continue;
		}
		if (conn_buffers(c) < 0) {
			conn_close(c);
			continue;
		}
		arm_recv(u, c);
	}
}

static void accepted(struct uring_loop *u, int res, bool ctrl)
{
	u->accept_armed[ctrl] = false;
	if (res >= 0 && u->draining)
		close(res);
	if (!u->draining)
		arm_accept(u, ctrl);
	if (res < 0) {
		if (res != -ECANCELED && res != -EINTR && res != -ECONNABORTED)
			log_debug("accept failed: %s", strerror(-res));
		return;
	}
	if (!u->draining)
		place(u, res, ctrl);
}

/* A send queued longer than the budget: cancel it (the client does not read). */
static void cancel_send(struct uring_loop *u, size_t i)
{
	struct io_uring_sqe *sqe = sqe_get(u);

	io_uring_prep_cancel64(sqe, UD(OP_SEND, i), 0);
	io_uring_sqe_set_data64(sqe, UD(OP_CANCEL_SEND, i));
	u->pending++;
	u->slot[i].send_since = 0;
}

static void ticked(struct uring_loop *u)
{
	uint64_t now = now_ms();

	u->tick_armed = false;
	if (u->draining)
		return;
	conn_expire(u->t, now, kick_expired, u);
	for (size_t i = 0; i < MAX_CONNS; i++)
		if (u->slot[i].send_since && now - u->slot[i].send_since > CONN_SEND_BUDGET_MS &&
		    !u->t->conn[i].going)
			cancel_send(u, i);
	arm_tick(u);
}

static void handle(struct uring_loop *u, const struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	struct conn *c = &u->t->conn[UD_SLOT(ud) % MAX_CONNS];

	if (UD_OP(ud) != OP_SEND)
		u->pending--;
	switch (UD_OP(ud)) {
	case OP_STOP:
		u->stop_armed = false;
		u->stop = cqe->res != -ECANCELED;
		break;
	case OP_ACCEPT_DATA:
	case OP_ACCEPT_CTRL:
		accepted(u, cqe->res, UD_OP(ud) == OP_ACCEPT_CTRL);
		break;
	case OP_RECV:
		received(u, c, cqe->res);
		break;
	case OP_SEND:
		/* Only a failed send posts. Its linked receive never ran, and posts nothing
		 * either: the kernel skips the completions of the links of a failed
		 * IOSQE_CQE_SKIP_SUCCESS request. It counted as pending: no longer. */
		if (cqe->res != -EPIPE && cqe->res != -ECONNRESET && cqe->res != -ECANCELED)
			log_debug("send to a client failed: %s", strerror(-cqe->res));
		slot(u, c)->pending--;
		u->pending--;
		retire(u, c);
		break;
	case OP_CANCEL:
		break;
	case OP_TICK:
		ticked(u);
		break;
	case OP_CANCEL_SEND:
		/* 0: cancelled, the send's failure completes and closes it; -ENOENT: it was done */
		if (cqe->res == 0 || cqe->res == -EALREADY)
			log_ratelimited(&u->t->timed_out, LOG_LVL_WARN, "closing a data connection "
					"that does not read its responses");
		break;
	}
}

static unsigned reap(struct uring_loop *u)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&u->ring, head, cqe) {
		handle(u, cqe);
		n++;
	}
	io_uring_cq_advance(&u->ring, n);
	return n;
}

static void cancel(struct uring_loop *u, uint64_t ud)
{
	struct io_uring_sqe *sqe = sqe_get(u);

	io_uring_prep_cancel64(sqe, ud, 0);
	io_uring_sqe_set_data64(sqe, UD(OP_CANCEL, 0));
	u->pending++;
}

/* Cancel what is still in the ring and wait for it: the kernel must be done with every
 * receive buffer before the connections are freed. */
static void drain(struct uring_loop *u)
{
	struct __kernel_timespec ts = { .tv_sec = 5 };
	struct io_uring_cqe *cqe;

	u->draining = true;
	if (u->stop_armed)
		cancel(u, UD(OP_STOP, 0));
	if (u->tick_armed)
		cancel(u, UD(OP_TICK, 0));
	for (size_t i = 0; i < u->nincoming; i++)
		close(u->incoming[i].fd);
	u->nincoming = 0;
	for (int ctrl = 0; ctrl < 2; ctrl++)
		if (u->accept_armed[ctrl])
			cancel(u, UD(ctrl ? OP_ACCEPT_CTRL : OP_ACCEPT_DATA, 0));
	for (size_t i = 0; i < MAX_CONNS; i++) {
		if (!u->slot[i].pending)
			continue;
		/* a send still waiting for room (a client that does not read) holds its linked
		 * receive back: cancelling the send cancels both */
		cancel(u, UD(OP_SEND, i));
		cancel(u, UD(OP_RECV, i));
	}
	while (u->pending > 0) {
		int r;

		/* explicitly: the wait below returns a completion already there without
		 * submitting what is queued */
		io_uring_submit(&u->ring);
		r = io_uring_wait_cqe_timeout(&u->ring, &cqe, &ts);

		if (r < 0 && r != -EINTR) {
			log_warn("io_uring: %u requests did not finish at shutdown (%s)", u->pending,
				 strerror(-r));
			break;
		}
		reap(u);
	}
	/* A buffer the kernel may still hold is leaked rather than freed (never seen). */
	for (size_t i = 0; i < MAX_CONNS; i++) {
		if (u->slot[i].pending) {
			u->t->conn[i].buf = NULL;
			u->t->conn[i].out = NULL;
		}
	}
}

static int ring_open(struct uring_loop *u)
{
	struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE, .cq_entries = CQ_ENTRIES };
	int r = io_uring_queue_init_params(SQ_ENTRIES, &u->ring, &p);

	if (r < 0) {
		log_info("io_uring is not available (%s): serving with epoll", strerror(-r));
		return -1;
	}
	/* 5.7: a receive waits in the ring without a worker thread; 5.17: skipped completions */
	if (!(p.features & IORING_FEAT_FAST_POLL) || !(p.features & IORING_FEAT_CQE_SKIP)) {
		log_info("this kernel's io_uring lacks fast poll or completion skipping: serving "
			 "with epoll");
		io_uring_queue_exit(&u->ring);
		return -1;
	}
	return 0;
}

int socket_loop_uring(const struct socket_listeners *l, struct conn_table *t, struct service *svc,
		      int stop_fd)
{
	struct uring_loop u = { .l = l, .t = t, .svc = svc, .stop_fd = stop_fd };
	int ret = 0;

	if (ring_open(&u) < 0)
		return SOCKET_URING_UNAVAILABLE;
	log_debug("socket transport: io_uring loop");
	arm_stop(&u);
	arm_tick(&u);
	arm_accept(&u, false);
	arm_accept(&u, true);
	while (!u.stop && !u.terminate) {
		int r = io_uring_submit_and_wait(&u.ring, 1);

		if (r < 0 && r != -EINTR) {
			log_error("io_uring_enter: %s", strerror(-r));
			ret = -1;
			break;
		}
		reap(&u);
		if (u.nincoming)
			place_incoming(&u);
	}
	drain(&u);
	io_uring_queue_exit(&u.ring);
	if (u.terminate)
		log_info("control channel asked to shut down");
	return ret;
}
