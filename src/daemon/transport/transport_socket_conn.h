/* SPDX-License-Identifier: MIT */
/* The socket transport's connections: a fixed table of slots, each with its input and output
 * buffer, and the framing of both channels (raw TPM commands; control messages). Used by the
 * two event loops; knows nothing of them. */
#ifndef VTPM_TRANSPORT_SOCKET_CONN_H
#define VTPM_TRANSPORT_SOCKET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "tpm_cmds/tpm_frame.h"

/*
 * Limits (README, "Connections"): at most MAX_DATA_CONNS data and MAX_CTRL_CONNS control
 * connections, so that the control channel can always be reached; when a class is full, its
 * oldest idle connection (no message begun) makes room for a new one. A connection that has
 * sent nothing for limits.first_ms, or has begun a message and not finished it for
 * limits.message_ms, is closed; so is one whose response could not be sent in
 * CONN_SEND_BUDGET_MS (a client that does not read what it asked for).
 */
#define MAX_DATA_CONNS 32
#define MAX_CTRL_CONNS 8
#define MAX_CONNS (MAX_DATA_CONNS + MAX_CTRL_CONNS)
#define CONN_BUF TPM_MAX_COMMAND_SIZE
#define CONN_SEND_BUDGET_MS 2000
#define CONN_FIRST_MS_DEFAULT 5000
#define CONN_MESSAGE_MS_DEFAULT 30000

struct service;

struct conn {
	int fd;       /* -1: a free slot */
	bool ctrl;    /* the control channel, else the data channel */
	bool spoke;   /* it has sent a whole message */
	bool going;   /* being closed by its loop: neither claimed nor made room for again */
	size_t len;
	uint64_t since_ms; /* accepted, or the first byte of the message being received came */
	uint64_t idle_order; /* when it last became idle, as a count of such events: the oldest
			      * idle connection is evicted first, also within one millisecond */
	uint8_t *buf; /* input: CONN_BUF bytes once the connection has sent something */
	uint8_t *out; /* the response being sent: CONN_BUF bytes, allocated with buf */
};

struct conn_limits {
	unsigned first_ms;   /* a connection that has sent nothing */
	unsigned message_ms; /* a message begun, not finished */
};

struct conn_table {
	struct conn conn[MAX_CONNS];
	struct conn_limits limits;
	struct log_ratelimit refused[2], evicted[2], timed_out; /* [ctrl]: one limit per class */
};

void conn_table_init(struct conn_table *t, const struct conn_limits *limits);
/* Close every connection and free its buffers. */
void conn_table_close(struct conn_table *t);

enum conn_step {
	CONN_NEED_MORE,   /* no whole message is buffered */
	CONN_REPLY,       /* one message answered into out */
	CONN_REPLY_CLOSE, /* a malformed frame answered into out: close after sending it */
};

/*
 * A free slot of its class for an accepted fd. When the class is full: NULL, and *evict is
 * its oldest idle connection, which the caller closes (its own way) to try again; when none
 * is idle either, *evict is NULL and the caller refuses the fd (conn_refuse).
 */
struct conn *conn_claim(struct conn_table *t, int fd, bool ctrl, struct conn **evict);
/* Close a connection made room for (a rate-limited warning) or refused (ditto). */
void conn_evicted(struct conn_table *t, struct conn *c);
void conn_refuse(struct conn_table *t, int fd, bool ctrl);
/* When c must be closed for silence or a stalled message; UINT64_MAX: never. */
uint64_t conn_deadline(const struct conn_table *t, const struct conn *c);
/* Close, with a rate-limited warning, every connection past its deadline at now; the closing
 * is the caller's (close), e.g. conn_close. Returns how many. */
size_t conn_expire(struct conn_table *t, uint64_t now, void (*close)(void *ctx, struct conn *c),
		   void *ctx);
/* ms from now to the earliest deadline, or -1. */
int conn_next_timeout(const struct conn_table *t, uint64_t now);
/* Bytes came in: the clock of a message starts at its first byte. */
void conn_received(struct conn *c, size_t n, uint64_t now);
int conn_buffers(struct conn *c);
void conn_close(struct conn *c);
/* The whole of buf, blocking on a full socket for CONN_SEND_BUDGET_MS in all. 0 or -1. */
int conn_send(struct conn *c, const uint8_t *buf, size_t len);
/* Takes one whole message off buf and answers it into out (*olen bytes). */
enum conn_step conn_step(struct conn *c, struct service *svc, size_t *olen, bool *terminate);
bool conn_has_message(const struct conn *c);

#endif
