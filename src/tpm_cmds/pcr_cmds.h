/* SPDX-License-Identifier: MIT */
/* Recognise the TPM 2.0 commands that change a PCR, and read what their responses changed.
 * Pure and bounds-checked: no I/O, no logging, never reads past the given length. */
#ifndef VTPM_PCR_CMDS_H
#define VTPM_PCR_CMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

#include "common/string_table.h"

#define PCR_CMDS_PCR_COUNT 24 /* PCR handles 0x00000000..0x00000017 */

/*
 * The value a PCR holds after Startup(CLEAR), as a fill byte (PC Client platform TPM profile):
 * all zero for PCRs 0-16 and 23, all 0xFF for the DRTM PCRs 17-22. Startup(STATE) restores PCRs
 * 0-15 and puts 16-23 back to these values.
 */
#define PCR_FIRST_NOT_SAVED 16
static inline uint8_t pcr_initial_byte(unsigned pcr)
{
	return (pcr >= 17 && pcr <= 22) ? 0xff : 0x00;
}

/* The TPM's active PCR banks: the TPM_ALG_ID of every bank with at least one PCR allocated,
 * in the order the TPM lists them, and per bank the PCRs it does not have (PCR_Allocate may
 * allocate part of a bank; zero, as in an initializer that names only algs: all 24). */
#define PCR_BANKS_MAX 8
struct pcr_banks {
	size_t n;
	uint16_t alg[PCR_BANKS_MAX];
	uint32_t missing[PCR_BANKS_MAX]; /* bit n: PCR n is not allocated in bank alg[i] */
};

void pcr_banks_from_selection(const TPML_PCR_SELECTION *sel, struct pcr_banks *banks);
/* Whether bank alg is active (has at least one PCR). */
bool pcr_banks_has(const struct pcr_banks *banks, uint16_t alg);
/* Whether PCR pcr is allocated in bank alg: an extend of that bank changes it. */
bool pcr_banks_has_pcr(const struct pcr_banks *banks, uint16_t alg, unsigned pcr);
/* The same banks with the same PCRs, in the same order. */
bool pcr_banks_equal(const struct pcr_banks *a, const struct pcr_banks *b);
/* A byte string of the banks (count, then per bank alg and missing, big endian): the size
 * written, or 0 if cap is too small (PCR_BANKS_ENCODED_MAX always suffices). */
#define PCR_BANKS_ENCODED_MAX (1 + 6 * PCR_BANKS_MAX)
size_t pcr_banks_encode(const struct pcr_banks *b, uint8_t *out, size_t cap);
/* Its inverse: 0, or -1 if in is not such a string. */
int pcr_banks_decode(const uint8_t *in, size_t len, struct pcr_banks *b);

enum pcr_change_kind {
	PCR_CHANGE_NONE = 0,          /* command does not change a PCR */
	PCR_CHANGE_EXTEND,            /* TPM2_PCR_Extend */
	PCR_CHANGE_EVENT,             /* TPM2_PCR_Event */
	PCR_CHANGE_SEQUENCE_COMPLETE, /* TPM2_EventSequenceComplete */
	PCR_CHANGE_RESET,             /* TPM2_PCR_Reset */
	PCR_CHANGE_STARTUP_CLEAR,     /* TPM2_Startup(TPM2_SU_CLEAR) */
	PCR_CHANGE_STARTUP_STATE,     /* TPM2_Startup(TPM2_SU_STATE) */
};

struct pcr_change {
	enum pcr_change_kind kind;
	uint32_t pcr;                /* PCR index 0..23 for EXTEND/EVENT/SEQUENCE_COMPLETE/RESET */
	/* EXTEND: from the command; EVENT/SEQUENCE_COMPLETE: from the response */
	TPML_DIGEST_VALUES digests;
};

/* "PCR_Extend", "PCR_Event", ...; "none" for PCR_CHANGE_NONE, "unknown" outside the enum. */
DECLARE_STRING_TABLE_LOOKUP(pcr_change_kind, enum pcr_change_kind);

/* Classify a complete command frame (header included, len = its size).
 * 0: *chg filled (kind NONE for anything that does not change a PCR, including PCR handles
 *    outside 0..23 such as TPM_RH_NULL 0x40000007 for EventSequenceComplete, and frames
 *    shorter than a header, whose command code is unknown);
 * -1: the command code is a PCR-changing one but the frame is malformed (truncated, bad
 *    authorization-area size, count > TPM2_NUM_PCR_BANKS, unknown hash alg in the digest list,
 *    trailing garbage...). The caller will then not mirror; libtpms rejects such frames itself.
 * The digest list of an EXTEND is kept exactly as sent: in wire order, duplicates and all,
 * possibly with count 0; every hashAlg is one hash_alg_by_tpm() knows. */
int pcr_cmd_classify(const uint8_t *cmd, size_t len, struct pcr_change *chg);

/* Given the response to a classified command:
 *  1: the change took effect (response code 0; for EVENT/SEQUENCE_COMPLETE the response's
 *     TPML_DIGEST_VALUES was parsed into chg->digests);
 *  0: the command failed (response code != 0): no PCR changed;
 * -1: the response is malformed (then the caller treats it as a failure to mirror).
 * chg->digests is changed only when 1 is returned. */
int pcr_rsp_apply(const uint8_t *rsp, size_t len, struct pcr_change *chg);

#endif
