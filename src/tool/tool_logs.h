/* SPDX-License-Identifier: MIT */
/* Finding and loading the event logs the tool works on. */
#ifndef VTPM_TOOL_LOGS_H
#define VTPM_TOOL_LOGS_H

#include <stddef.h>

#include "common/hash_alg.h"

#define TOOL_MAX_LOGS 8

struct tool_log {
	char *path;
	int rtmr;                    /* from the name rtmr<N>.log; -1 if it has another name */
	char *text;
	size_t len;
	const struct hash_alg *alg;  /* from the INIT record; sha384 if there is none */
};

struct tool_logs {
	size_t n;
	struct tool_log log[TOOL_MAX_LOGS];
};

/* Load the files given, or every rtmr<N>.log in runtime_dir when nfiles == 0 (sorted by N). */
int tool_logs_load(struct tool_logs *logs, const char *runtime_dir, char **files, size_t nfiles,
		   char *err, size_t errlen);
void tool_logs_free(struct tool_logs *logs);

#endif
