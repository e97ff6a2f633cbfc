/* SPDX-License-Identifier: MIT */
/* sd_notify when run under systemd (NOTIFY_SOCKET set): libsystemd is loaded then, at the
 * first notification; a no-op otherwise. Also the file descriptor store. */
#ifndef VTPM_NOTIFY_H
#define VTPM_NOTIFY_H

/* Load libsystemd now if systemd asks for notifications (else the first notification does):
 * before the system call filter, which lets nothing be loaded. */
void notify_prepare(void);
void notify_ready(const char *status);
void notify_status(const char *status);
void notify_stopping(void);
/* FDSTORE=1 with FDNAME=name: systemd keeps fd (a dup) across restarts of the service
 * (FileDescriptorStoreMax=) and passes it back in LISTEN_FDS (daemon/listen_fds.h). 0 if
 * sent, -1 if not under systemd or libsystemd lacks sd_pid_notify_with_fds. */
int notify_fdstore(int fd, const char *name);
/* FDSTOREREMOVE=1 with FDNAME=name: systemd closes what it keeps under that name. */
void notify_fdstore_remove(const char *name);

#endif
