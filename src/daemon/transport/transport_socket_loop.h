/* SPDX-License-Identifier: MIT */
/* The socket transport's two event loops; transport_socket.c runs one of them: epoll by
 * default, io_uring with VTPM_RTMR_SOCKET_LOOP=uring (bench/README.md says why). */
#ifndef VTPM_TRANSPORT_SOCKET_LOOP_H
#define VTPM_TRANSPORT_SOCKET_LOOP_H

struct conn_table;
struct service;

struct socket_listeners {
	int data; /* the data channel's listening socket */
	int ctrl; /* the control channel's */
};

/* Serve until stop_fd is readable or a client sends CMD_SHUTDOWN. 0 on an orderly stop. */
int socket_loop_epoll(const struct socket_listeners *l, struct conn_table *t, struct service *svc,
		      int stop_fd);

#define SOCKET_URING_UNAVAILABLE 1
/* The same through io_uring; SOCKET_URING_UNAVAILABLE (before serving anything) when the kernel
 * or a sandbox refuses io_uring, so that the caller serves with the epoll loop instead. */
int socket_loop_uring(const struct socket_listeners *l, struct conn_table *t, struct service *svc,
		      int stop_fd);

#endif
