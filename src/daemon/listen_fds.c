// SPDX-License-Identifier: MIT
#include "daemon/listen_fds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

/* A decimal of the environment; -1 if absent or not one. */
static long env_number(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	return errno || *end || n < 0 ? -1 : n;
}

/* The i-th ':'-separated name of LISTEN_FDNAMES into name; "" when there is none. */
static void nth_name(const char *names, long i, char *name, size_t cap)
{
	const char *p = names ? names : "";

	for (long k = 0; k < i && p; k++) {
		p = strchr(p, ':');
		if (p)
			p++;
	}
	snprintf(name, cap, "%.*s", p ? (int)strcspn(p, ":") : 0, p ? p : "");
}

int listen_fds_take(const char *prefix, char *name, size_t cap)
{
	long pid = env_number("LISTEN_PID"), n = env_number("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	char this[256];
	int found = -1;

	if (pid != (long)getpid() || n <= 0)
		return -1;
	for (long i = 0; i < n && i < 64; i++) {
		int fd = (int)(LISTEN_FDS_START + i);

		nth_name(names, i, this, sizeof(this));
		if (found < 0 && !strncmp(this, prefix, strlen(prefix))) {
			fcntl(fd, F_SETFD, FD_CLOEXEC);
			snprintf(name, cap, "%s", this);
			found = fd;
			continue;
		}
		log_warn("closing a file descriptor systemd passed that is not ours (name '%s')",
			 this);
		close(fd);
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return found;
}
