/* SPDX-License-Identifier: MIT */
/* The swtpm socket transport: a data channel carrying raw TPM commands and a control
 * channel (port+1, or PATH.ctrl), so tpm2-tss's swtpm TCTI works unchanged. */
#ifndef VTPM_TRANSPORT_SOCKET_H
#define VTPM_TRANSPORT_SOCKET_H

#include <stddef.h>

struct service;
struct socket_transport;

struct socket_transport_config {
	const char *bind_addr;  /* TCP: address to bind; default 127.0.0.1 */
	unsigned port;          /* TCP data port; control is port+1 */
	const char *unix_path;  /* if set: UNIX data socket PATH and control PATH.ctrl */
	unsigned first_ms;      /* a connection that has sent nothing is closed after (0: 5 s) */
	unsigned message_ms;    /* one that began a message and did not finish it (0: 30 s) */
};

int socket_transport_open(const struct socket_transport_config *cfg,
			  struct socket_transport **out, char *err, size_t errlen);
/* Serve until stop_fd is readable or a client sends CMD_SHUTDOWN. 0 on orderly stop. */
int socket_transport_run(struct socket_transport *t, struct service *svc, int stop_fd);
void socket_transport_close(struct socket_transport *t);
/* The TCTI string a tpm2-tss client uses, e.g. "swtpm:host=127.0.0.1,port=2321". */
const char *socket_transport_tcti(const struct socket_transport *t);

#endif
