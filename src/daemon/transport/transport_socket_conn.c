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
#include "daemon/service.h"
#include "daemon/transport/ctrl_channel.h"
#include "tpm_cmds/tpm_frame.h"

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
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(c->fd, buf + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd p = { .fd = c->fd, .events = POLLOUT };

			if (poll(&p, 1, 5000) <= 0)
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

void conn_table_init(struct conn_table *t)
{
	for (size_t i = 0; i < MAX_CONNS; i++)
		t->conn[i] = (struct conn){ .fd = -1 };
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

struct conn *conn_claim(struct conn_table *t, int fd, bool ctrl)
{
	for (size_t i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &t->conn[i];

		if (c->fd < 0) {
			c->fd = fd;
			c->ctrl = ctrl;
			c->len = 0;
			return c;
		}
	}
	log_warn("too many client connections (%d); refusing one", MAX_CONNS);
	close(fd);
	return NULL;
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
