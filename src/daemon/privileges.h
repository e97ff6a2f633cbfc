/* SPDX-License-Identifier: MIT */
/*
 * --runas USER: after setup (the vtpm_proxy device made, the RTMR backend, the state directory
 * and the logs open) the daemon becomes USER, with no supplementary groups, no capabilities
 * in any set (bounding included, where it may drop them) and no_new_privs. What it does later
 * goes through the descriptors it holds, or into directories it gave to USER before.
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

/* Become ra's user and drop every capability; nothing when !ra->set. */
int privileges_drop(const struct runas *ra, char *err, size_t errlen);

#endif
