// SPDX-License-Identifier: MIT
/*
 * How a server's way of waiting for its client changes a small command's round trip: one
 * server process per loop style, each on its own socketpair, with --work-ns of busy work per
 * command (a stand-in for libtpms and the mirror); the client sends a 60-byte command, reads a
 * 30-byte response (a 10-byte header, then the rest, as tpm_client does), and alternates the
 * servers in blocks of 200 commands, so that the machine's noise falls on all alike. Prints
 * the median of each style's per-block µs per round trip, and its quartiles.
 *
 *   loop_bench [--n N] [--server-cpu C] [--client-cpu C] [--work-ns NS] STYLE...
 *
 * STYLE: block (recv/send), poll, epoll, uring (send and next receive linked, one
 * io_uring_enter per command: the io_uring loop), epoll-log (epoll with a 190-byte append to a
 * tmpfs file before the send), uring-chain (the append, a 48-byte register-file write and the
 * send linked in the ring: issue 17's suggested chain). CPU -1: unpinned.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CMD_SIZE 60
#define RSP_SIZE 30
#define BLOCK 200
#define MAX_STYLES 8

static long work_ns = 1500;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void work(void)
{
	double end = now_us() + (double)work_ns / 1e3;

	while (now_us() < end)
		;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* The log and register files of the styles that write: on tmpfs, unlinked at once. */
struct files {
	int log, reg;
	char record[190];
	char value[48];
};

static void files_open(struct files *f)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/shm/loop_bench.%d.log", (int)getpid());
	f->log = open(path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0600);
	unlink(path);
	snprintf(path, sizeof(path), "/dev/shm/loop_bench.%d.reg", (int)getpid());
	f->reg = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	unlink(path);
	memset(f->record, 'r', sizeof(f->record) - 1);
	f->record[sizeof(f->record) - 1] = '\n';
	memset(f->value, 0, sizeof(f->value));
	if (f->log < 0 || f->reg < 0) {
		perror("loop_bench: /dev/shm");
		exit(1);
	}
}

static void serve_block(int fd)
{
	char b[4096];

	while (recv(fd, b, sizeof(b), 0) > 0) {
		work();
		send(fd, b, RSP_SIZE, MSG_NOSIGNAL);
	}
}

static void serve_poll(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b[4096];

	while (poll(&p, 1, -1) >= 0 && recv(fd, b, sizeof(b), 0) > 0) {
		work();
		send(fd, b, RSP_SIZE, MSG_NOSIGNAL);
	}
}

static void serve_epoll(int fd, bool log)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct files f;
	char b[4096];

	if (log)
		files_open(&f);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	while (epoll_wait(ep, &ev, 1, -1) >= 0 && recv(fd, b, sizeof(b), 0) > 0) {
		work();
		if (log && write(f.log, f.record, sizeof(f.record)) != sizeof(f.record))
			exit(3);
		send(fd, b, RSP_SIZE, MSG_NOSIGNAL);
	}
}

/* After io_uring_prep_*(), which clears the flags. */
static void mark(struct io_uring_sqe *sqe, unsigned flags, uint64_t data)
{
	sqe->flags |= flags;
	io_uring_sqe_set_data64(sqe, data);
}

/* Completions: the receive's result (-1: none came), or exit when a link failed (the daemon
 * would answer TPM_RC_FAILURE). */
static int reap(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	int n = -1;

	io_uring_for_each_cqe(ring, head, cqe) {
		if (cqe->user_data == 1)
			n = cqe->res;
		else if (cqe->res < 0)
			exit(4);
		seen++;
	}
	io_uring_cq_advance(ring, seen);
	return n;
}

/* The io_uring loop's way: the response's send, then (linked) the next receive, submitted by
 * the io_uring_enter that waits; chain: the log append and the register write first. */
static void serve_uring(int fd, bool chain)
{
	static char b[4096], out[RSP_SIZE];
	unsigned link = IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
	struct io_uring_sqe *sqe;
	struct io_uring ring;
	struct files f;

	if (io_uring_queue_init(16, &ring, 0) < 0)
		exit(2);
	if (chain)
		files_open(&f);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_recv(sqe, fd, b, sizeof(b), 0);
	mark(sqe, 0, 1);
	for (;;) {
		int n;

		io_uring_submit_and_wait(&ring, 1);
		n = reap(&ring);
		if (n < 0)
			continue;
		if (n == 0)
			return;
		work();
		if (chain) {
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_write(sqe, f.log, f.record, sizeof(f.record), -1);
			mark(sqe, link, 2);
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_write(sqe, f.reg, f.value, sizeof(f.value), 0);
			mark(sqe, link, 3);
		}
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_send(sqe, fd, out, RSP_SIZE, MSG_NOSIGNAL);
		mark(sqe, link, 4);
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_recv(sqe, fd, b, sizeof(b), 0);
		mark(sqe, 0, 1);
	}
}

static int serve(const char *style, int fd)
{
	if (!strcmp(style, "block"))
		serve_block(fd);
	else if (!strcmp(style, "poll"))
		serve_poll(fd);
	else if (!strcmp(style, "epoll"))
		serve_epoll(fd, false);
	else if (!strcmp(style, "epoll-log"))
		serve_epoll(fd, true);
	else if (!strcmp(style, "uring"))
		serve_uring(fd, false);
	else if (!strcmp(style, "uring-chain"))
		serve_uring(fd, true);
	else
		return -1;
	return 0;
}

static int read_all(int fd, char *b, size_t n)
{
	while (n) {
		ssize_t r = read(fd, b, n);

		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int round_trip(int fd)
{
	char cmd[CMD_SIZE] = { 0 }, rsp[RSP_SIZE];

	if (write(fd, cmd, sizeof(cmd)) != sizeof(cmd) || read_all(fd, rsp, 10) < 0 ||
	    read_all(fd, rsp + 10, RSP_SIZE - 10) < 0)
		return -1;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr, "usage: loop_bench [--n N] [--server-cpu C] [--client-cpu C] "
			"[--work-ns NS] block|poll|epoll|uring|epoll-log|uring-chain...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int fds[MAX_STYLES], scpu = -1, ccpu = -1, i, ns = 0;
	pid_t pids[MAX_STYLES];
	double *rates[MAX_STYLES];
	long n = 200000, nb;

	for (i = 1; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		if (!strcmp(argv[i], "--n"))
			n = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--server-cpu"))
			scpu = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--client-cpu"))
			ccpu = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--work-ns"))
			work_ns = atol(argv[i + 1]);
		else
			usage();
	}
	nb = n / BLOCK;
	if (i >= argc || argc - i > MAX_STYLES || nb < 1)
		usage();
	for (; i < argc; i++, ns++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return 1;
		pids[ns] = fork();
		if (pids[ns] == 0) {
			/* only its own socket: the client's ends must close when the client does */
			for (int j = 0; j < ns; j++)
				close(fds[j]);
			close(sv[0]);
			pin(scpu);
			_exit(serve(argv[i], sv[1]) < 0 ? 2 : 0);
		}
		close(sv[1]);
		fds[ns] = sv[0];
		rates[ns] = calloc((size_t)nb, sizeof(double));
	}
	pin(ccpu);
	for (int s = 0; s < ns; s++) {
		for (int k = 0; k < 500; k++) {
			if (round_trip(fds[s]) < 0) {
				fprintf(stderr, "loop_bench: %s failed\n", argv[argc - ns + s]);
				return 1;
			}
		}
	}
	for (long b = 0; b < nb; b++) {
		for (int j = 0; j < ns; j++) {
			int s = (int)((j + b) % ns);
			double t0 = now_us();

			for (int k = 0; k < BLOCK; k++)
				if (round_trip(fds[s]) < 0)
					return 1;
			rates[s][b] = (now_us() - t0) / BLOCK;
		}
	}
	for (int s = 0; s < ns; s++) {
		close(fds[s]);
		waitpid(pids[s], NULL, 0);
		qsort(rates[s], (size_t)nb, sizeof(double), cmp_double);
		printf("%-12s server CPU %2d, client CPU %2d, work %ld ns: %.2f µs per round trip "
		       "(quartiles %.2f-%.2f)\n", argv[argc - ns + s], scpu, ccpu, work_ns,
		       rates[s][nb / 2], rates[s][nb / 4], rates[s][3 * nb / 4]);
	}
	return 0;
}
