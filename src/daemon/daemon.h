/* SPDX-License-Identifier: MIT */
/* vtpm-rtmrd: bring the pieces up in order, serve, and take them down. */
#ifndef VTPM_DAEMON_H
#define VTPM_DAEMON_H

struct daemon_options;

/* Exit codes */
#define EXIT_USAGE 2   /* bad command line or config */
#define EXIT_SETUP 1   /* could not start (device, state, backend, ...) */

int daemon_run(const struct daemon_options *opts);

#endif
