/* SPDX-License-Identifier: MIT */
/* sd_notify when run under systemd (NOTIFY_SOCKET set): libsystemd is loaded then, at the
 * first notification; a no-op otherwise. */
#ifndef VTPM_NOTIFY_H
#define VTPM_NOTIFY_H

/* Load libsystemd now if systemd asks for notifications (else the first notification does):
 * before the system call filter, which lets nothing be loaded. */
void notify_prepare(void);
void notify_ready(const char *status);
void notify_status(const char *status);
void notify_stopping(void);

#endif
