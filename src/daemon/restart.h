/* SPDX-License-Identifier: MIT */
/*
 * A start of the daemon (DESIGN.md "Restart"), decided from the registers and the logs:
 *
 * - the first start of this boot (every mapped RTMR at its boot value): a new instance,
 *   `vtpm startup clear` and its group, as always;
 * - a restart whose logs replay to their registers, name this TPM (EK) and this map, and
 *   whose records give the PCR banks the TPM has: the PCRs are restored — by the TPM's own
 *   Startup(STATE) when the last daemon saved the state at its stop (and no mapped PCR is
 *   one of 17-22, which Startup(STATE) sets to all 0xFF), else by replaying into the TPM the
 *   `vtpm extend` and `vtpm reset` records after each log's last `vtpm startup clear` — then
 *   checked, in every allocated bank, against the replay of the logs, and `vtpm restart` and
 *   its group go to every log;
 * - any other restart: a new instance as on the first start, then every mapped PCR is
 *   extended, in every bank it has, with the "restart, not restored" marker (a mirrored
 *   `vtpm extend`), so no PCR ever gets a value a fresh start could reach, and why is said
 *   at warning level and in a comment in the logs.
 *
 * The marker of a PCR in bank H is H("vtpm-rtmr restart, not restored" || R), R the value
 * (raw bytes) of the PCR's RTMR after the `vtpm ak` record of this start (evlog_marker_digest):
 * a value no earlier start of this boot had, so no sequence of extends after one restart
 * reaches a value another restart gave.
 *
 * Runs engine commands: tpm_setup.c calls it under the service's lock.
 */
#ifndef VTPM_RESTART_H
#define VTPM_RESTART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpm_cmds/pcr_cmds.h"

struct identity;
struct nvstore;
struct tpm_setup_config;

enum restart_kind {
	RESTART_FIRST,   /* the first start of this boot */
	RESTART_RESTORE, /* the logs can restore the PCRs */
	RESTART_MARKER,  /* they cannot: a new instance and the marker */
};

struct restart_plan {
	enum restart_kind kind;
	bool try_state;          /* RESTORE: Startup(STATE) may do it */
	uint8_t ek[32], ak[32];  /* RESTORE: the EK and AK the logs name */
	char why[600];           /* MARKER: why the PCRs cannot be restored */
	size_t restored;         /* records replayed into the TPM */
	bool resumed;            /* the PCRs 0-15 came from Startup(STATE) */
};

/* Decide from the registers as the mirror found them and from the logs. */
void restart_plan(const struct tpm_setup_config *cfg, struct restart_plan *p);

/*
 * The TPM is started (with Startup(STATE) when resumed) and its identity known: restore the
 * PCRs and write `vtpm restart`, or record a new instance (and the markers). *banks is the
 * TPM's allocation, read again when the TPM is started again. 0, or -1 with err set: the
 * daemon must not serve.
 */
int restart_finish(const struct tpm_setup_config *cfg, struct restart_plan *p,
		   const struct identity *id, bool resumed, struct pcr_banks *banks, char *err,
		   size_t errlen);

/*
 * The PCR banks the TPM serves with are kept in the state directory (blob "pcr-banks"),
 * written when they change (at start, at a client's Startup that changed them): a restart
 * whose TPM has other banks (a PCR_Allocate took effect at its _TPM_Init) does not restore.
 * 0 or -errno (restart_kept_banks: -ENOENT when none is kept).
 */
#define RESTART_BANKS_BLOB "pcr-banks"
int restart_keep_banks(struct nvstore *store, const struct pcr_banks *banks);
int restart_kept_banks(struct nvstore *store, struct pcr_banks *banks);

#endif
