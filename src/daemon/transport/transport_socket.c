// SPDX-License-Identifier: MIT
/*
 * The socket transport: its listeners and connection table. Serving is the loops' job
 * (transport_socket_epoll.c, transport_socket_uring.c), framing the connections'
 * (transport_socket_conn.c); neither calls back into this file.
 */
#include "daemon/transport/transport_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "daemon/transport/transport_socket_conn.h"
#include "daemon/transport/transport_socket_loop.h"

/* Connections the kernel completes before the daemon accepts them. A client that connects
 * many times without waiting (the daemon, woken on the client's CPU, runs only once the
 * client waits) must not overflow it: a dropped handshake is retried a second later. More
 * than the connection table holds (MAX_CONNS). */
#define LISTEN_BACKLOG 128

struct socket_transport {
	struct socket_listeners listen;
	char *unix_path;
	char *unix_ctrl_path;
	char tcti[300];
	struct conn_table conns;
};

#define BIND_WAIT_MS 2000 /* a port a killed daemon still holds is released within this */

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/*
 * bind(), waiting up to BIND_WAIT_MS while the address is in use: a daemon that was just
 * killed may hold its listening socket a little longer than its process (the kernel ends its
 * io_uring requests first), and a restart should not fail for that.
 */
static int bind_waiting(int fd, const struct sockaddr *sa, socklen_t len, unsigned port)
{
	uint64_t end = now_ms() + BIND_WAIT_MS;

	for (bool said = false;; said = true) {
		if (bind(fd, sa, len) == 0)
			return 0;
		if (errno != EADDRINUSE || now_ms() >= end)
			return -1;
		if (!said)
			log_info("port %u is in use; waiting up to %u s for it to be released", port,
				 BIND_WAIT_MS / 1000);
		usleep(100 * 1000);
	}
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
	if (r != 0)
		return set_error(err, errlen, "cannot resolve bind address '%s': %s", addr,
				 gai_strerror(r));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_error(err, errlen, "socket: %s", strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind_waiting(fd, res->ai_addr, res->ai_addrlen, port) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		if (errno == EADDRINUSE)
			set_error(err, errlen, "port %u on %s is already in use (another vtpm-rtmrd "
				  "or swtpm?); choose another with --port", port, addr);
		else
			set_error(err, errlen, "cannot listen on %s port %u: %s", addr, port,
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
	if (probe >= 0 && connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return set_error(err, errlen, "UNIX socket %s is in use by another server",
				 sa->sun_path);
	unlink(sa->sun_path);
	return 0;
}

static int listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return set_error(err, errlen, "UNIX socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	if (claim_unix_path(&sa, err, errlen) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		set_error(err, errlen, "cannot listen on UNIX socket %s: %s", path, strerror(errno));
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

	if (asprintf(&ctrl, "%s.ctrl", path) < 0)
		return set_error(err, errlen, "out of memory");
	t->listen.data = listen_unix(path, err, errlen);
	if (t->listen.data < 0)
		return -1;
	t->unix_path = strdup(path);
	if (!t->unix_path)
		return set_error(err, errlen, "out of memory");
	t->listen.ctrl = listen_unix(ctrl, err, errlen);
	if (t->listen.ctrl < 0)
		return -1;
	t->unix_ctrl_path = TAKE_PTR(ctrl);
	snprintf(t->tcti, sizeof(t->tcti), "swtpm:path=%s", path);
	return 0;
}

static int open_tcp(struct socket_transport *t, const struct socket_transport_config *cfg,
		    char *err, size_t errlen)
{
	const char *addr = cfg->bind_addr ? cfg->bind_addr : "127.0.0.1";

	if (cfg->port == 0 || cfg->port > 65534)
		return set_error(err, errlen, "invalid port %u (1..65534; control uses port+1)",
				 cfg->port);
	t->listen.data = listen_tcp(addr, cfg->port, err, errlen);
	if (t->listen.data < 0)
		return -1;
	t->listen.ctrl = listen_tcp(addr, cfg->port + 1, err, errlen);
	if (t->listen.ctrl < 0)
		return -1;
	snprintf(t->tcti, sizeof(t->tcti), "swtpm:host=%s,port=%u", addr, cfg->port);
	return 0;
}

int socket_transport_open(const struct socket_transport_config *cfg,
			  struct socket_transport **out, char *err, size_t errlen)
{
	struct socket_transport *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return set_error(err, errlen, "out of memory");
	t->listen.data = t->listen.ctrl = -1;
	conn_table_init(&t->conns, &(struct conn_limits){ .first_ms = cfg->first_ms,
							  .message_ms = cfg->message_ms });
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
	conn_table_close(&t->conns);
	if (t->listen.data >= 0)
		close(t->listen.data);
	if (t->listen.ctrl >= 0)
		close(t->listen.ctrl);
	if (t->unix_path)
		unlink(t->unix_path);
	if (t->unix_ctrl_path)
		unlink(t->unix_ctrl_path);
	free(t->unix_path);
	free(t->unix_ctrl_path);
	free(t);
}

/* The epoll loop; the io_uring loop with VTPM_RTMR_SOCKET_LOOP=uring, where the kernel allows
 * it. */
int socket_transport_run(struct socket_transport *t, struct service *svc, int stop_fd)
{
	const char *loop = getenv("VTPM_RTMR_SOCKET_LOOP");
	int r;

	if (loop && strcmp(loop, "uring") == 0) {
		r = socket_loop_uring(&t->listen, &t->conns, svc, stop_fd);
		if (r != SOCKET_URING_UNAVAILABLE)
			return r;
	} else if (loop && *loop && strcmp(loop, "epoll") != 0) {
		log_warn("VTPM_RTMR_SOCKET_LOOP=%s: unknown (epoll or uring); serving with epoll",
			 loop);
	}
	return socket_loop_epoll(&t->listen, &t->conns, svc, stop_fd);
}
