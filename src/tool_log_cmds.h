/* SPDX-License-Identifier: MIT */
/* vtpm-rtmr log show|replay|verify|export */
#ifndef VTPM_TOOL_LOG_CMDS_H
#define VTPM_TOOL_LOG_CMDS_H

#include "rtmr_map/rtmr_backend.h"

struct tool_options {
	const char *runtime_dir;
	enum rtmr_backend_kind backend;
	const char *rtmr_dir;
	const char *format;   /* text|json (replay), cel-json (export) */
	const char *out;      /* export: output file, NULL = stdout */
};

/* Each returns the process exit code: 0 success, 1 verification failure, 2 error. */
int tool_log_show(const struct tool_options *o, char **files, int nfiles);
int tool_log_replay(const struct tool_options *o, char **files, int nfiles);
int tool_log_verify(const struct tool_options *o);
int tool_log_export(const struct tool_options *o, char **files, int nfiles);

#endif
