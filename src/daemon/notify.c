// SPDX-License-Identifier: MIT
/*
 * sd_notify from libsystemd, loaded only when systemd asks for notifications (NOTIFY_SOCKET
 * is set): a daemon started by hand, by tests or by benchmarks never maps libsystemd and the
 * libraries it pulls in. systemd loads its own optional libraries the same way.
 */
#include "daemon/notify.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "common/log.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
typedef typeof(sd_notify) sd_notify_fn;
typedef typeof(sd_pid_notify_with_fds) sd_pid_notify_with_fds_fn;
#else
/* sd-daemon.h's prototypes (a stable ABI of libsystemd.so.0), for builds without its headers */
typedef int sd_notify_fn(int unset_environment, const char *state);
typedef int sd_pid_notify_with_fds_fn(pid_t pid, int unset_environment, const char *state,
				      const int *fds, unsigned n_fds);
#endif

#define LIBSYSTEMD_SONAME "libsystemd.so.0"

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static sd_notify_fn *sd_notify_p;
static sd_pid_notify_with_fds_fn *sd_pid_notify_with_fds_p;

static void load_sd_notify(void)
{
	void *lib = dlopen(LIBSYSTEMD_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		log_warn("NOTIFY_SOCKET is set but libsystemd cannot be loaded (%s); "
			 "not notifying systemd", dlerror());
		return;
	}
	/* the library stays loaded: STOPPING=1 still has to be sent at exit */
	sd_pid_notify_with_fds_p = (sd_pid_notify_with_fds_fn *)dlsym(lib,
								       "sd_pid_notify_with_fds");
	sd_notify_p = (sd_notify_fn *)dlsym(lib, "sd_notify");
	if (!sd_notify_p) {
		log_warn("%s has no sd_notify (%s); not notifying systemd", LIBSYSTEMD_SONAME,
			 dlerror());
		dlclose(lib);
	}
}

void notify_prepare(void)
{
	if (getenv("NOTIFY_SOCKET"))
		pthread_once(&load_once, load_sd_notify);
}

static void notify(const char *state)
{
	if (!getenv("NOTIFY_SOCKET"))
		return;
	pthread_once(&load_once, load_sd_notify);
	if (sd_notify_p)
		sd_notify_p(0, state);
}

static void notify_fmt(const char *prefix, const char *status)
{
	char *state;

	if (!getenv("NOTIFY_SOCKET"))
		return;
	if (asprintf(&state, "%sSTATUS=%s", prefix, status) < 0) {
		if (*prefix)
			notify(prefix); /* READY=1 matters more than the status line */
		return;
	}
	notify(state);
	free(state);
}

void notify_ready(const char *status)
{
	notify_fmt("READY=1\n", status);
}

void notify_status(const char *status)
{
	notify_fmt("", status);
}

void notify_stopping(void)
{
	notify("STOPPING=1");
}

int notify_fdstore(int fd, const char *name)
{
	char state[320];
	int r;

	if (!getenv("NOTIFY_SOCKET"))
		return -1;
	pthread_once(&load_once, load_sd_notify);
	if (!sd_pid_notify_with_fds_p)
		return -1;
	snprintf(state, sizeof(state), "FDSTORE=1\nFDNAME=%s", name);
	r = sd_pid_notify_with_fds_p(0, 0, state, &fd, 1);
	return r > 0 ? 0 : -1;
}

void notify_fdstore_remove(const char *name)
{
	char state[320];

	snprintf(state, sizeof(state), "FDSTOREREMOVE=1\nFDNAME=%s", name);
	notify(state);
}
