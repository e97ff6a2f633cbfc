/* SPDX-License-Identifier: MIT */
/* vtpm-rtmr log show|export in the binary formats: tcg2, ccel, cel-tlv. */
#ifndef VTPM_TOOL_LOG_FORMATS_H
#define VTPM_TOOL_LOG_FORMATS_H

#include <stdbool.h>

#include "tool/tool_log_cmds.h"

/* tcg2, ccel or cel-tlv. */
bool tool_log_format_is_binary(const char *format);

/* log show --format tcg2|ccel|cel-tlv FILE...: the events of binary logs. Exit code. */
int tool_log_show_binary(const struct tool_options *o, char **files, int nfiles);

/* log export --format tcg2|ccel|cel-tlv [--standalone] [--out FILE] [FILE...]. Exit code. */
int tool_log_export_binary(const struct tool_options *o, char **files, int nfiles);

#endif
