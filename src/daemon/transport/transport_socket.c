// SPDX-License-Identifier: MIT
#include "daemon/transport/transport_socket.h"
#include "daemon/transport/transport_socket_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/transport/ctrl_channel.h"
#include "common/log.h"
#include "daemon/service.h"
#include "tpm_cmds/tpm_frame.h"
#include "common/util.h"

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int listen_tcp(const char *addr, unsigned port, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	char portstr[16];
	int fd = -1, one = 1, r;

	snprintf(portstr, sizeof(portstr), "%u", port);
	r = getaddrinfo(addr, portstr, &hints, &res);
	if (r != 0) {
		snprintf(err, errlen, "cannot resolve bind address '%s': %s", addr, gai_strerror(r));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		if (errno == EADDRINUSE)
			snprintf(err, errlen, "port %u on %s is already in use (another vtpm-rtmrd "
				 "or swtpm?); choose another with --port", port, addr);
		else
			snprintf(err, errlen, "cannot listen on %s port %u: %s", addr, port,
				 strerror(errno));
		close(fd);
		fd = -1;
		goto out;
	}
	set_nonblock_cloexec(fd);
out:
	freeaddrinfo(res);
	return fd;
}

/* A socket file left by a daemon that died is removed; one that answers is in use. */
static int claim_unix_path(const struct sockaddr_un *sa, char *err, size_t errlen)
{
	_cleanup_close_ int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (access(sa->sun_path, F_OK) != 0)
		return 0;
	if (probe >= 0 && connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
		snprintf(err, errlen, "UNIX socket %s is in use by another server", sa->sun_path);
		return -1;
	}
	unlink(sa->sun_path);
	return 0;
}

static int listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "UNIX socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (claim_unix_path(&sa, err, errlen) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "cannot listen on UNIX socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	set_nonblock_cloexec(fd);
	return fd;
}

/* A path is ours to remove at close only once we listen on it: a path found in use by
 * another server must survive our failed start. */
static int open_unix(struct socket_transport *t, const char *path, char *err, size_t errlen)
{
	_cleanup_free_ char *ctrl = NULL;

	if (asprintf(&ctrl, "%s.ctrl", path) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->data_listen = listen_unix(path, err, errlen);
	if (t->data_listen < 0)
		return -1;
	t->unix_path = strdup(path);
	if (!t->unix_path) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->ctrl_listen = listen_unix(ctrl, err, errlen);
	if (t->ctrl_listen < 0)
		return -1;
	t->unix_ctrl_path = TAKE_PTR(ctrl);
	snprintf(t->tcti, sizeof(t->tcti), "swtpm:path=%s", path);
	return 0;
}

static int open_tcp(struct socket_transport *t, const struct socket_transport_config *cfg,
		    char *err, size_t errlen)
{
	const char *addr = cfg->bind_addr ? cfg->bind_addr : "127.0.0.1";

	if (cfg->port == 0 || cfg->port > 65534) {
		snprintf(err, errlen, "invalid port %u (1..65534; control uses port+1)", cfg->port);
		return -1;
	}
	t->data_listen = listen_tcp(addr, cfg->port, err, errlen);
	if (t->data_listen < 0)
		return -1;
	t->ctrl_listen = listen_tcp(addr, cfg->port + 1, err, errlen);
	if (t->ctrl_listen < 0)
		return -1;
	snprintf(t->tcti, sizeof(t->tcti), "swtpm:host=%s,port=%u", addr, cfg->port);
	return 0;
}

int socket_transport_open(const struct socket_transport_config *cfg,
			  struct socket_transport **out, char *err, size_t errlen)
{
	struct socket_transport *t = calloc(1, sizeof(*t));
	int r;

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->data_listen = t->ctrl_listen = -1;
	for (size_t i = 0; i < MAX_CONNS; i++)
		t->conns[i].fd = -1;
	r = cfg->unix_path ? open_unix(t, cfg->unix_path, err, errlen) :
			     open_tcp(t, cfg, err, errlen);
	if (r < 0) {
		socket_transport_close(t);
		return -1;
	}
	*out = t;
	return 0;
}

const char *socket_transport_tcti(const struct socket_transport *t)
{
	return t->tcti;
}

void socket_transport_close(struct socket_transport *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < MAX_CONNS; i++) {
		if (t->conns[i].fd >= 0)
			close(t->conns[i].fd);
		free(t->conns[i].buf);
		free(t->conns[i].out);
	}
	if (t->data_listen >= 0)
		close(t->data_listen);
	if (t->ctrl_listen >= 0)
		close(t->ctrl_listen);
	if (t->unix_path)
		unlink(t->unix_path);
	if (t->unix_ctrl_path)
		unlink(t->unix_ctrl_path);
	free(t->unix_path);
	free(t->unix_ctrl_path);
	free(t);
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

struct conn *conn_claim(struct socket_transport *t, int fd, bool ctrl)
{
	for (size_t i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &t->conns[i];

		if (c->fd < 0 && c->pending == 0) {
			c->fd = fd;
			c->ctrl = ctrl;
			c->len = 0;
			c->closing = false;
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

/* ---- the poll() loop: where io_uring is not available (transport_socket_uring.c) ---- */

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
	c->len += (size_t)n;
	return conn_answer_buffered(c, svc, terminate);
}

static struct conn *accept_conn(struct socket_transport *t, int lfd, bool ctrl)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	return fd < 0 ? NULL : conn_claim(t, fd, ctrl);
}

/*
 * A TCTI connects for every command and sends it at once: read it right after accept4()
 * rather than after another round through poll() (nothing there yet: recv says EAGAIN).
 */
static void accept_data(struct socket_transport *t, struct service *svc, bool *terminate)
{
	struct conn *c = accept_conn(t, t->data_listen, false);

	if (c && !conn_readable(c, svc, terminate))
		conn_close(c);
}

/* The stop pipe, both listeners, then the open connections only (conn[k] is the slot of
 * p[k]): poll() looks at every entry it is given on every wake-up. */
static size_t fill_pollfds(struct socket_transport *t, struct pollfd *p, size_t *conn,
			   int stop_fd)
{
	size_t n = 0;

	p[n++] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = t->data_listen, .events = POLLIN };
	p[n++] = (struct pollfd){ .fd = t->ctrl_listen, .events = POLLIN };
	for (size_t i = 0; i < MAX_CONNS; i++) {
		if (t->conns[i].fd < 0)
			continue;
		conn[n] = i;
		p[n++] = (struct pollfd){ .fd = t->conns[i].fd, .events = POLLIN };
	}
	return n;
}

static int socket_transport_run_poll(struct socket_transport *t, struct service *svc,
				     int stop_fd)
{
	struct pollfd p[3 + MAX_CONNS];
	size_t conn[3 + MAX_CONNS];
	bool terminate = false;

	while (!terminate) {
		size_t n = fill_pollfds(t, p, conn, stop_fd);

		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			return -1;
		}
		if (p[0].revents)
			break;
		/* connections first: a slot freed here may be reused by an accept below */
		for (size_t k = 3; k < n; k++) {
			struct conn *c = &t->conns[conn[k]];

			if (p[k].revents && !conn_readable(c, svc, &terminate))
				conn_close(c);
		}
		if (p[1].revents & POLLIN)
			accept_data(t, svc, &terminate);
		if (p[2].revents & POLLIN)
			accept_conn(t, t->ctrl_listen, true);
	}
	if (terminate)
		log_info("control channel asked to shut down");
	return 0;
}

int socket_transport_run(struct socket_transport *t, struct service *svc, int stop_fd)
{
	const char *loop = getenv("VTPM_RTMR_SOCKET_LOOP");
	int r;

	if (loop && strcmp(loop, "poll") == 0) {
		log_debug("socket transport: poll() loop (VTPM_RTMR_SOCKET_LOOP=poll)");
		return socket_transport_run_poll(t, svc, stop_fd);
	}
	r = socket_transport_run_uring(t, svc, stop_fd);
	if (r != SOCKET_URING_UNAVAILABLE)
		return r;
	return socket_transport_run_poll(t, svc, stop_fd);
}
