/* SPDX-License-Identifier: MIT */
/*
 * --runas USER: after setup (the vtpm_proxy device made, the RTMR backend, the state directory
 * and the logs open) the daemon becomes USER, with no supplementary groups, no capabilities
 * in any set (bounding included, where it may drop them) and no_new_privs. What it does later
 * goes through the descriptors it holds, or into directories it gave to USER before.
 * A daemon started as an unprivileged user with capabilities (systemd's User= and
 * AmbientCapabilities=) drops them at the same point, --runas or not.
 */
#ifndef VTPM_RTMR_PRIVILEGES_H
#define VTPM_RTMR_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct runas {
	bool set;
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* Look USER up (at start, while /etc is readable); an unknown user, or one the process cannot
 * become (not root), is an error. NULL user: nothing to do (ra->set false). */
int privileges_resolve(const char *user, struct runas *ra, char *err, size_t errlen);

/* Root: become ra's user and drop every capability (nothing when !ra->set: root stays root).
 * Not root (already the user, e.g. the unit's User=): drop every capability it was started
 * with, and set no_new_privs. */
int privileges_drop(const struct runas *ra, char *err, size_t errlen);

/* Capabilities are a thread's own: a thread started before privileges_drop() (the IMA
 * bridge's) calls this first. Not root: empty this thread's capability sets (root: a --runas
 * switch later changes every thread). */
void privileges_drop_thread_capabilities(void);

#endif
