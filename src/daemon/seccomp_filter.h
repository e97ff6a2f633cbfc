/* SPDX-License-Identifier: MIT */
/*
 * The daemon's system call allow-list (libseccomp), installed once set-up is done: what the
 * serving loops, the IMA bridge, the event logs, the RTMR backends, the state store and the
 * teardown call, and nothing else (no exec, no new sockets but AF_UNIX, no ioctl but the RTMR
 * backends').
 */
#ifndef VTPM_SECCOMP_FILTER_H
#define VTPM_SECCOMP_FILTER_H

#include <stddef.h>

enum seccomp_mode {
	SECCOMP_MODE_OFF,  /* no filter */
	SECCOMP_MODE_LOG,  /* a call off the list is allowed and logged by the kernel (audit) */
	SECCOMP_MODE_KILL, /* a call off the list kills the process with SIGSYS (the default) */
};

/*
 * Install the filter on every thread of the process (and set no_new_privs, which a process
 * without CAP_SYS_ADMIN needs for it). Where the kernel cannot filter (no seccomp, or none of
 * the actions "log" and "kill process": before Linux 4.14) it warns and returns 0: the filter
 * is defence in depth, and the TPM matters more. Any other failure: -1 with err set.
 */
int seccomp_filter_install(enum seccomp_mode mode, char *err, size_t errlen);

/* A test hook: make one system call the filter forbids (see VTPM_RTMR_TEST_SECCOMP_VIOLATION
 * in vtpm-rtmrd(8)), and say whether it came back. */
void seccomp_filter_test_violation(void);

#endif
