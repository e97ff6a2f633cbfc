/* SPDX-License-Identifier: MIT */
/*
 * File descriptors systemd passes at start (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES, from fd 3
 * on): here, the vtpm_proxy device a previous instance of the service kept in the file
 * descriptor store (daemon/notify.h). Read from the environment alone: no libsystemd.
 */
#ifndef VTPM_LISTEN_FDS_H
#define VTPM_LISTEN_FDS_H

#include <stddef.h>

#define LISTEN_FDS_START 3

/*
 * The first passed descriptor whose name starts with prefix: returned (close-on-exec set),
 * its whole name in name (cap bytes). Every other passed descriptor is closed, and the
 * variables are unset, so nothing is taken twice. -1 when none was passed for us.
 */
int listen_fds_take(const char *prefix, char *name, size_t cap);

#endif
