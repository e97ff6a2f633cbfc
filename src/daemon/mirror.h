/* SPDX-License-Identifier: MIT */
/* The PCR mirror: every PCR change libtpms accepted for a mapped PCR becomes a record in the
 * RTMR's event log and an extend of that RTMR, before the response is released
 * (DESIGN.md "Ordering and failure"). Callers serialize (the service lock). */
#ifndef VTPM_MIRROR_H
#define VTPM_MIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hash_alg.h"
#include "eventlog/eventlog.h"
#include "rtmr_map/rtmr_map.h"
#include "tpm_cmds/pcr_cmds.h"

struct rtmr_backend;
struct mirror;

struct mirror_op {
	bool active;           /* the command may change a mirrored PCR */
	struct pcr_change chg;
};

/* What mirror_open found in a log (DESIGN.md "Restart"). */
enum mirror_log_found {
	MIRROR_LOG_NEW,       /* none (or empty, or unreadable and set aside): begun with INIT */
	MIRROR_LOG_CONTINUED, /* it replays to its register */
	MIRROR_LOG_ROLLED,    /* it did after its last record was rolled forward */
	MIRROR_LOG_SYNCED,    /* it did not: a SYNC record was written */
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

/* ---- a restart (mirror_restart.c, DESIGN.md "Restart") ---- */

/* Whether every mapped RTMR held its boot value (boot[idx]; NULL: zero) when mirror_open
 * read it, before writing anything: the first start of this boot. */
bool mirror_found_at_boot(const struct mirror *m, const uint8_t (*boot)[HASH_MAX_SIZE]);
/* Whether the logs can restore the PCRs: every log replayed to its register (after a
 * roll-forward of anything but a reset), has a `vtpm startup clear` group with no SYNC after
 * it that was a first start (right after an INIT of the boot value boot[idx]; boot NULL:
 * unknown) or is followed by the marker of every PCR it maps, keeps the group rules after it,
 * ends with a group naming the PCRs this start maps to its RTMR (or with the unfinished group
 * of a killed restart: mirror_finish_groups), and all name the same EK and AK (ek, ak set:
 * the sha256 of their TPMT_PUBLIC). 0, or -1 with why set: they cannot. */
int mirror_restorable(const struct mirror *m, const uint8_t (*boot)[HASH_MAX_SIZE],
		      uint8_t ek[32], uint8_t ak[32], char *why, size_t whylen);
/* Finish the unfinished group of a killed restart at the end of a log (the group before it,
 * repeated), before anything else is written. 0, or -1 with err set. */
int mirror_finish_groups(struct mirror *m, char *err, size_t errlen);
/* The `vtpm extend` and `vtpm reset` records after each log's last `vtpm startup clear`, in
 * log order (a PCR's records are in one log), to cb; cb returning non-zero stops the walk
 * and is returned. -1 with err set if a log cannot be read again. */
typedef int (*mirror_record_cb)(void *ctx, const struct evlog_record *rec);
int mirror_walk_restorable(struct mirror *m, mirror_record_cb cb, void *ctx, char *err,
			   size_t errlen);
/* The value the logs give mapped PCR pcr in bank alg. 0, or -1 if it is not mapped. */
int mirror_logged_pcr(const struct mirror *m, unsigned pcr, const struct hash_alg *alg,
		      uint8_t *out);
/* In every log, "vtpm restart" and the group (map, ek, ak) after it. */
int mirror_restart_instance(struct mirror *m, char *err, size_t errlen);
/* A comment line ("# <text>") in every log: not hashed, not extended. */
void mirror_note(struct mirror *m, const char *text);
/* The register value the log of pcr's RTMR implies now, in *alg's size. -1 if unmapped. */
int mirror_rtmr_of_pcr(const struct mirror *m, unsigned pcr, uint8_t *value,
		       const struct hash_alg **alg);
/* What the restart needed of the logs is no longer needed: free it. */
void mirror_restart_done(struct mirror *m);

#endif
