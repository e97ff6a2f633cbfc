/* SPDX-License-Identifier: MIT */
/* vtpm-rtmr attest and vtpm-rtmr verify */
#ifndef VTPM_TOOL_ATTEST_H
#define VTPM_TOOL_ATTEST_H

#include "tool/tool_log_cmds.h"

/* 0 evidence written, 2 error. */
int tool_attest(const struct tool_options *o);
/* 0 every check passed, 1 a check failed, 2 error. */
int tool_verify(const struct tool_options *o);

/* The nonce from --nonce HEX or --nonce-file FILE (raw bytes). 0 or -1 (message printed). */
int tool_read_nonce(const struct tool_options *o, uint8_t *nonce, size_t cap, size_t *len);

#endif
