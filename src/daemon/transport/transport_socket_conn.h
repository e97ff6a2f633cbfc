/* SPDX-License-Identifier: MIT */
/* The socket transport's connections: a fixed table of slots, each with its input and output
 * buffer, and the framing of both channels (raw TPM commands; control messages). Used by the
 * two event loops; knows nothing of them. */
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
	int fd;       /* -1: a free slot */
	bool ctrl;    /* the control channel, else the data channel */
	size_t len;
	uint8_t *buf; /* input: CONN_BUF bytes once the connection has sent something */
	uint8_t *out; /* the response being sent: CONN_BUF bytes, allocated with buf */
};

struct conn_table {
	struct conn conn[MAX_CONNS];
};

void conn_table_init(struct conn_table *t);
/* Close every connection and free its buffers. */
void conn_table_close(struct conn_table *t);

enum conn_step {
	CONN_NEED_MORE,   /* no whole message is buffered */
	CONN_REPLY,       /* one message answered into out */
	CONN_REPLY_CLOSE, /* a malformed frame answered into out: close after sending it */
};

/* A free slot for an accepted fd (closed, with a warning, when there is none). */
struct conn *conn_claim(struct conn_table *t, int fd, bool ctrl);
int conn_buffers(struct conn *c);
void conn_close(struct conn *c);
/* The whole of buf, blocking (5 s per stall) on a full socket. 0 or -1. */
int conn_send(struct conn *c, const uint8_t *buf, size_t len);
/* Takes one whole message off buf and answers it into out (*olen bytes). */
enum conn_step conn_step(struct conn *c, struct service *svc, size_t *olen, bool *terminate);
bool conn_has_message(const struct conn *c);

#endif
