/* SPDX-License-Identifier: MIT */
/*
 * vtpm-rtmr verify, inside: the verdict its checks add to, and what the log checks
 * (tool_verify_logs.c) hand to the PCR checks (tool_verify_pcrs.c). DESIGN.md, "Attestation",
 * lists what may be called verified; each rule there is one named check here.
 */
#ifndef VTPM_TOOL_VERIFY_H
#define VTPM_TOOL_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest/evidence.h"
#include "attest/tdx_quote.h"
#include "eventlog/eventlog.h"
#include "tool/tool_log_cmds.h"

#define VERIFY_RTMRS 4
#define VERIFY_DETAIL 2048

struct json_object;

struct verdict {
	struct json_object *checks;
	struct json_object *pcrs;
	bool all_pass;
};

/* Add a named check: pass or fail, with a detail (printf format). */
void verdict_add(struct verdict *v, const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same with warnings (a JSON array, consumed; may be NULL). */
void verdict_add_warned(struct verdict *v, const char *name, bool ok,
			struct json_object *warnings, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* One RTMR and its log as the TEE quote anchors them. */
struct vlog {
	bool have_log;
	const struct evidence_log *log;
	bool explained;              /* the quoted RTMR is the replay of a prefix, INIT anchored */
	size_t covered;              /* records the TEE quote covers (the prefix) */
	size_t records;              /* records in the log */
	size_t syncs;                /* SYNC records in the covered prefix */
	size_t group_done;           /* the record that completes the last group; 0: none */
	struct evlog_group group;    /* the last complete group of the covered prefix */
	size_t group_error;          /* the first record (covered) breaking the group rule */
	const char *group_error_what;
	size_t restart_error;        /* the first (covered) vtpm restart not repeating its group */
	const char *restart_error_what;
};

struct verify_ctx {
	const struct tool_options *opts;
	const struct evidence *e;
	const uint8_t *nonce;
	size_t nonce_len;
	struct tdx_quote q;
	bool quote_parsed;
	struct vlog rtmr[VERIFY_RTMRS];
};

/* tool_verify_logs.c: rtmr-explained, init-anchored, sync, log-groups, ek-identity. */
void verify_logs(struct verdict *v, struct verify_ctx *c);

/* tool_verify_pcrs.c: ak-identity, tpm-quote-signature, qualifying-data, pcr-digest, pcrs;
 * and an external TPM quote (--tpm-quote ...), which needs a proof this verifier does not
 * take. */
void verify_pcrs(struct verdict *v, struct verify_ctx *c);
void verify_external_quote(struct verdict *v, const struct verify_ctx *c);

#endif
