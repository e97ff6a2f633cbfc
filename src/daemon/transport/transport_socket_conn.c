// SPDX-License-Identifier: MIT
/* The socket transport's connections: the slot table, buffers, framing of both channels. */
#include "daemon/transport/transport_socket_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "daemon/service.h"
#include "daemon/transport/ctrl_channel.h"
#include "tpm_cmds/tpm_frame.h"

/* Counts the moments connections become idle (accepted, or a message answered): the order in
 * which they did, which since_ms (a millisecond clock) cannot tell apart in a burst of
 * connects. The socket loop runs in one thread. */
static uint64_t idle_events;

static void conn_idle_now(struct conn *c)
{
	c->since_ms = now_ms();
	c->idle_order = ++idle_events;
}

void conn_close(struct conn *c)
{
	if (c->len)
		log_debug("client left with %zu bytes of an incomplete %s message", c->len,
			  c->ctrl ? "control" : "command");
	close(c->fd);
	c->fd = -1;
	c->len = 0;
	free(c->buf);
	c->buf = NULL;
	free(c->out);
	c->out = NULL;
}

int conn_send(struct conn *c, const uint8_t *buf, size_t len)
{
	static struct log_ratelimit unread; /* the loop's only thread sends */
	uint64_t end = now_ms() + CONN_SEND_BUDGET_MS;
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(c->fd, buf + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = c->fd, .events = POLLOUT };
			uint64_t now = now_ms();

			if (now >= end || poll(&p, 1, (int)(end - now)) <= 0) {
				log_ratelimited(&unread, LOG_LVL_WARN, "closing a connection that "
						"does not read its responses");
				return -1;
			}
			continue;
		}
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

void conn_table_init(struct conn_table *t, const struct conn_limits *limits)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < MAX_CONNS; i++)
		t->conn[i] = (struct conn){ .fd = -1 };
	t->limits = *limits;
	if (!t->limits.first_ms)
		t->limits.first_ms = CONN_FIRST_MS_DEFAULT;
	if (!t->limits.message_ms)
		t->limits.message_ms = CONN_MESSAGE_MS_DEFAULT;
}

void conn_table_close(struct conn_table *t)
{
	for (size_t i = 0; i < MAX_CONNS; i++) {
		if (t->conn[i].fd >= 0)
			close(t->conn[i].fd);
		free(t->conn[i].buf);
		free(t->conn[i].out);
		t->conn[i] = (struct conn){ .fd = -1 };
	}
}

static const char *class_name(bool ctrl)
{
	return ctrl ? "control" : "data";
}

struct conn *conn_claim(struct conn_table *t, int fd, bool ctrl, struct conn **evict)
{
	struct conn *free_slot = NULL, *oldest = NULL;
	size_t used = 0;

	*evict = NULL;
	for (size_t i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &t->conn[i];

		if (c->fd < 0) {
			free_slot = free_slot ? free_slot : c;
			continue;
		}
		if (c->ctrl != ctrl)
			continue;
		used++;
		if (!c->going && c->len == 0 && (!oldest || c->idle_order < oldest->idle_order))
			oldest = c;
	}
	if (used < (ctrl ? MAX_CTRL_CONNS : MAX_DATA_CONNS) && free_slot) {
		*free_slot = (struct conn){ .fd = fd, .ctrl = ctrl };
		conn_idle_now(free_slot);
		return free_slot;
	}
	*evict = oldest;
	return NULL;
}

void conn_evicted(struct conn_table *t, struct conn *c)
{
	log_ratelimited(&t->evicted[c->ctrl], LOG_LVL_WARN, "all %d %s connections in use: closing the "
			"one idle the longest for a new client",
			c->ctrl ? MAX_CTRL_CONNS : MAX_DATA_CONNS, class_name(c->ctrl));
}

void conn_refuse(struct conn_table *t, int fd, bool ctrl)
{
	log_ratelimited(&t->refused[ctrl], LOG_LVL_WARN, "all %d %s connections are in the middle of "
			"a message: refusing a new client", ctrl ? MAX_CTRL_CONNS : MAX_DATA_CONNS,
			class_name(ctrl));
	close(fd);
}

uint64_t conn_deadline(const struct conn_table *t, const struct conn *c)
{
	if (c->fd < 0 || c->going)
		return UINT64_MAX;
	if (c->len)
		return c->since_ms + t->limits.message_ms;
	if (!c->spoke)
		return c->since_ms + t->limits.first_ms;
	return UINT64_MAX; /* idle between messages: evicted when room is needed */
}

size_t conn_expire(struct conn_table *t, uint64_t now, void (*close_fn)(void *ctx, struct conn *c),
		   void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &t->conn[i];

		if (conn_deadline(t, c) > now)
			continue;
		log_ratelimited(&t->timed_out, LOG_LVL_WARN, "closing a %s connection that %s",
				class_name(c->ctrl), c->len ? "began a message and did not finish it"
				: "sent nothing");
		close_fn(ctx, c);
		n++;
	}
	return n;
}

int conn_next_timeout(const struct conn_table *t, uint64_t now)
{
	uint64_t first = UINT64_MAX;

	for (size_t i = 0; i < MAX_CONNS; i++) {
		uint64_t d = conn_deadline(t, &t->conn[i]);

		if (d < first)
			first = d;
	}
	if (first == UINT64_MAX)
		return -1;
	return first <= now ? 0 : (int)(first - now < INT32_MAX ? first - now : INT32_MAX);
}

void conn_received(struct conn *c, size_t n, uint64_t now)
{
	if (c->len == 0 && n)
		c->since_ms = now;
	c->len += n;
}

/* Allocated on first input: MAX_CONNS idle pairs of buffers would cost 256 kB of RSS. */
int conn_buffers(struct conn *c)
{
	if (!c->buf && !(c->buf = malloc(CONN_BUF)))
		return -1;
	if (!c->out && !(c->out = malloc(CONN_BUF)))
		return -1;
	return 0;
}

static enum conn_step data_step(struct conn *c, struct service *svc, size_t *olen)
{
	struct tpm_header hdr;
	uint32_t rc;

	if (c->len < TPM_HEADER_SIZE)
		return CONN_NEED_MORE;
	tpm_header_parse(c->buf, c->len, &hdr);
	rc = tpm_frame_check(c->buf, hdr.size <= c->len ? hdr.size : c->len, TPM_MAX_COMMAND_SIZE);
	if (rc == TPM2_RC_BAD_TAG || hdr.size < TPM_HEADER_SIZE || hdr.size > TPM_MAX_COMMAND_SIZE) {
		log_warn("malformed command (tag 0x%04x, size %u): answered 0x%x, connection closed",
			 hdr.tag, hdr.size, rc);
		*olen = tpm_build_error_response(c->out, CONN_BUF, rc);
		return CONN_REPLY_CLOSE;
	}
	if (c->len < hdr.size)
		return CONN_NEED_MORE;
	*olen = service_command(svc, c->buf, hdr.size, c->out, CONN_BUF, 0);
	memmove(c->buf, c->buf + hdr.size, c->len - hdr.size);
	c->len -= hdr.size;
	c->spoke = true;
	conn_idle_now(c); /* idle since, or the next message's clock */
	return CONN_REPLY;
}

static enum conn_step ctrl_step(struct conn *c, struct service *svc, size_t *olen,
				bool *terminate)
{
	size_t need = ctrl_request_size(c->buf, c->len);
	unsigned actions;

	if (need == 0 || c->len < need)
		return CONN_NEED_MORE;
	*olen = ctrl_handle(svc, c->buf, c->len, c->out, CONN_BUF, &actions);
	c->len = 0;
	c->spoke = true;
	conn_idle_now(c);
	if (actions & CTRL_ACTION_TERMINATE)
		*terminate = true;
	return CONN_REPLY;
}

enum conn_step conn_step(struct conn *c, struct service *svc, size_t *olen, bool *terminate)
{
	return c->ctrl ? ctrl_step(c, svc, olen, terminate) : data_step(c, svc, olen);
}

bool conn_has_message(const struct conn *c)
{
	struct tpm_header hdr;

	if (c->ctrl) {
		size_t need = ctrl_request_size(c->buf, c->len);

		return need != 0 && c->len >= need;
	}
	return tpm_header_parse(c->buf, c->len, &hdr) == 0 && c->len >= hdr.size;
}
