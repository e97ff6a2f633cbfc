/* SPDX-License-Identifier: MIT */
/* vtpm-rtmr log show|replay|verify|export */
#ifndef VTPM_TOOL_LOG_CMDS_H
#define VTPM_TOOL_LOG_CMDS_H

#include <stdbool.h>

#include "rtmr_map/rtmr_backend.h"

struct tool_options {
	const char *runtime_dir;
	enum rtmr_backend_kind backend;
	const char *rtmr_dir;
	const char *format;   /* text|json (replay), cel-json|tcg2|ccel|cel-tlv (export, show) */
	bool standalone;      /* export --format ccel: with a Spec ID header */
	const char *out;      /* export, attest: output file, NULL = stdout */
	/* attest */
	const char *nonce_hex;
	const char *nonce_file;
	const char *quote_provider;  /* auto|configfs-tsm|sim */
	const char *configfs_dir;
	const char *tpm;             /* the TPM's address (tool_tpm.h); NULL: the daemon's */
	const char *ccel;            /* the firmware's CC event log; NULL: the ACPI table */
	/* verify */
	const char *evidence;
	const char *trust_anchor;
	const char *expect_ek;
	const char *tpm_quote;
	const char *tpm_signature;
	const char *ak_public;
	const char *require_pcrs;    /* "8,9,10", "none"; NULL: every PCR the logs map */
	bool allow_sync;             /* accept SYNC records for the RTMR replay */
};

/* Each returns the process exit code: 0 success, 1 verification failure, 2 error. */
int tool_log_show(const struct tool_options *o, char **files, int nfiles);
int tool_log_replay(const struct tool_options *o, char **files, int nfiles);
int tool_log_verify(const struct tool_options *o);
int tool_log_export(const struct tool_options *o, char **files, int nfiles);

#endif
