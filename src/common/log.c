// SPDX-License-Identifier: MIT
#include "common/log.h"
#include "common/util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum log_level current_level = LOG_LVL_INFO;
static const char *ident = "vtpm-rtmr";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

void log_set_ident(const char *name)
{
	ident = name;
}

static const char *const log_level_table[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

DEFINE_STRING_TABLE_LOOKUP(log_level, enum log_level)

/* syslog priorities: err=3 warning=4 info=6 debug=7 */
static int level_priority(enum log_level level)
{
	static const int prio[] = { 3, 4, 6, 7 };

	return prio[level];
}

static const char *level_word(enum log_level level)
{
	static const char *const words[] = { "error: ", "warning: ", "", "debug: " };

	return words[level];
}

static void log_vmsg(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	static int journal = -1;

	if (level > current_level)
		return;
	if (journal < 0)
		journal = getenv("JOURNAL_STREAM") != NULL;
	pthread_mutex_lock(&log_lock);
	if (journal)
		fprintf(stderr, "<%d>", level_priority(level));
	else
		fprintf(stderr, "%s: ", ident);
	fputs(level_word(level), stderr);
	vfprintf(stderr, fmt, ap);
	fputs(suffix, stderr);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

void log_ratelimited(struct log_ratelimit *rl, enum log_level level, const char *fmt, ...)
{
	uint64_t now = now_ms();
	char more[64] = "";
	va_list ap;

	if (rl->last_ms && now - rl->last_ms < LOG_RATELIMIT_MS) {
		rl->suppressed++;
		return;
	}
	if (rl->suppressed)
		snprintf(more, sizeof(more), " (and %u more like it since the last)", rl->suppressed);
	rl->last_ms = now ? now : 1;
	rl->suppressed = 0;
	va_start(ap, fmt);
	log_vmsg(level, more, fmt, ap);
	va_end(ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, "", fmt, ap);
	va_end(ap);
}
