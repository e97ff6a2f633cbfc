/* SPDX-License-Identifier: MIT */
/* The PCR mirror: every PCR change libtpms accepted for a mapped PCR becomes a record in the
 * RTMR's event log and an extend of that RTMR, before the response is released
 * (DESIGN.md "Ordering and failure"). Callers serialize (the service lock). */
#ifndef VTPM_MIRROR_H
#define VTPM_MIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtmr_map/rtmr_map.h"
#include "tpm_cmds/pcr_cmds.h"

struct rtmr_backend;
struct mirror;

struct mirror_op {
	bool active;           /* the command may change a mirrored PCR */
	struct pcr_change chg;
};

struct mirror_stats {
	unsigned long records;       /* records appended by this process */
	unsigned long syncs;         /* SYNC records written */
	unsigned long roll_forwards; /* records re-extended at start */
};

/* Open (create) the log of every mapped RTMR in runtime_dir and reconcile it with its
 * register: continue, roll forward, or SYNC; a new log starts with INIT. */
int mirror_open(struct mirror **out, const struct rtmr_map *map, struct rtmr_backend *backend,
		const char *runtime_dir, char *err, size_t errlen);
void mirror_close(struct mirror *m);

/* The identity every new instance is recorded with: the sha256 digests of the TPMT_PUBLIC of
 * the EK bound in attestation and of the daemon's AK (all zero: unknown). Set once, at start,
 * before the first mirror_new_instance. */
void mirror_set_identity(struct mirror *m, const uint8_t ek_sha256[32],
			 const uint8_t ak_sha256[32]);
/* Record a new TPM instance: in every log, with nothing between them (a SYNC aside),
 * "vtpm startup clear", "vtpm map <the PCRs of that log's RTMR>", "vtpm ek sha256/<hex>",
 * "vtpm ak sha256/<hex>". -1 with err set if the identity was never set. */
int mirror_new_instance(struct mirror *m, char *err, size_t errlen);
/* From now on records come from client commands (the crash test hook counts these:
 * VTPM_RTMR_TEST_CRASH_AFTER_APPEND=N kills the daemon after the Nth such append, before
 * its extend, to test roll-forward). */
void mirror_start_serving(struct mirror *m);

/* Before execution: classify the command. m may be NULL (nothing mirrored). -1 if the
 * command is a malformed PCR-changing one (op->active is then false). */
int mirror_prepare(struct mirror *m, const uint8_t *cmd, size_t len, struct mirror_op *op);
/* After execution: if the change took effect, log and extend; an extend record carries the
 * digests of exactly the banks in which the TPM has the PCR allocated (the TPM ignores the
 * others). 0, or -1 with why set: the change could not be mirrored and must not be reported
 * as a success. */
int mirror_commit(struct mirror *m, struct mirror_op *op, const uint8_t *rsp, size_t rlen,
		  const struct pcr_banks *banks, char *why, size_t whylen);

/* Whether a Startup(STATE) now could be recorded: false when a mapped PCR is one of 17-22,
 * which Startup(STATE) puts back to all 0xFF, a value no record can say. */
bool mirror_resume_recordable(const struct mirror *m);

void mirror_get_stats(const struct mirror *m, struct mirror_stats *st);

#endif
