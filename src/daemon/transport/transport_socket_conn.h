/* SPDX-License-Identifier: MIT */
/* The socket transport's connections, shared by its two event loops: poll()
 * (transport_socket.c) and io_uring (transport_socket_uring.c). Private to those files. */
#ifndef VTPM_TRANSPORT_SOCKET_CONN_H
#define VTPM_TRANSPORT_SOCKET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpm_cmds/tpm_frame.h"

#define MAX_CONNS 32
#define CONN_BUF TPM_MAX_COMMAND_SIZE

struct service;

struct conn {
	int fd;
	bool ctrl;
	bool closing;     /* io_uring: close once no request of this connection is pending */
	unsigned pending; /* io_uring: requests in the ring that will post a completion */
	size_t len;
	uint8_t *buf; /* input: CONN_BUF bytes once the connection has sent something */
	uint8_t *out; /* the response being sent: CONN_BUF bytes, allocated with buf */
};

struct socket_transport {
	int data_listen;
	int ctrl_listen;
	char *unix_path;
	char *unix_ctrl_path;
	char tcti[300];
	struct conn conns[MAX_CONNS];
};

enum conn_step {
	CONN_NEED_MORE,   /* no whole message is buffered */
	CONN_REPLY,       /* one message answered into out */
	CONN_REPLY_CLOSE, /* a malformed frame answered into out: close after sending it */
};

/* A free slot for an accepted fd (closed, with a warning, when there is none). */
struct conn *conn_claim(struct socket_transport *t, int fd, bool ctrl);
int conn_buffers(struct conn *c);
void conn_close(struct conn *c);
/* The whole of buf, blocking (5 s per stall) on a full socket. 0 or -1. */
int conn_send(struct conn *c, const uint8_t *buf, size_t len);
/* Takes one whole message off buf and answers it into out (*olen bytes). */
enum conn_step conn_step(struct conn *c, struct service *svc, size_t *olen, bool *terminate);
bool conn_has_message(const struct conn *c);

#define SOCKET_URING_UNAVAILABLE 1
/* The io_uring loop; SOCKET_URING_UNAVAILABLE (before serving anything) when the kernel or a
 * sandbox refuses io_uring, so that the caller serves with the poll() loop instead. */
int socket_transport_run_uring(struct socket_transport *t, struct service *svc, int stop_fd);

#endif
