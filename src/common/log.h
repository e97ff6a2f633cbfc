/* SPDX-License-Identifier: MIT */
/* Logging to stderr; under systemd (JOURNAL_STREAM set) lines carry <N> priority prefixes. */
#ifndef VTPM_LOG_H
#define VTPM_LOG_H

#include "common/string_table.h"

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* "error", "warn", "info", "debug" */
DECLARE_STRING_TABLE_LOOKUP(log_level, enum log_level);
void log_set_ident(const char *ident);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A message that a client can make the daemon say again and again (a refused connection): at
 * most once per LOG_RATELIMIT_MS per limiter, the next one saying how many were held back.
 */
#define LOG_RATELIMIT_MS 10000
struct log_ratelimit {
	unsigned long long last_ms; /* when one was last said; 0: never */
	unsigned suppressed;
};
void log_ratelimited(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
