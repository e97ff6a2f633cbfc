/* SPDX-License-Identifier: MIT */
/* sd_notify when built with libsystemd and run under systemd; a no-op otherwise. */
#ifndef VTPM_NOTIFY_H
#define VTPM_NOTIFY_H

void notify_ready(const char *status);
void notify_status(const char *status);
void notify_stopping(void);

#endif
