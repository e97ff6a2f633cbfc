/* SPDX-License-Identifier: MIT */
/* Commands the daemon sends to its own TPM at start: PCR bank query and allocation. */
#ifndef VTPM_TPM_BUILD_H
#define VTPM_TPM_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

/* TPM2_SelfTest(fullTest). Returns the command size, or 0 if cap is too small. */
size_t tpm_build_self_test(uint8_t *out, size_t cap, bool full);

/* TPM2_GetCapability(TPM_CAP_PCRS). Returns the command size, or 0 if cap is too small. */
size_t tpm_build_get_pcrs(uint8_t *out, size_t cap);
/* Parse its response into sel. 0, or -1 if malformed or rc != 0. */
int tpm_parse_get_pcrs(const uint8_t *rsp, size_t len, TPML_PCR_SELECTION *sel);

/* TPM2_PCR_Allocate(TPM_RH_PLATFORM, empty password) selecting all 24 PCRs in each of the
 * nalgs banks given. Returns the command size or 0. */
size_t tpm_build_pcr_allocate(uint8_t *out, size_t cap, const uint16_t *algs, size_t nalgs);
/* Parse its response: 0 if allocationSuccess is YES, -1 otherwise. */
int tpm_parse_pcr_allocate(const uint8_t *rsp, size_t len);

/* TPM2_PCR_Extend(pcr, empty password) with the digests given. Returns the size or 0. */
size_t tpm_build_pcr_extend(uint8_t *out, size_t cap, uint32_t pcr, const TPML_DIGEST_VALUES *d);

/* TPM2_PCR_Reset(pcr, empty password). Returns the size or 0. */
size_t tpm_build_pcr_reset(uint8_t *out, size_t cap, uint32_t pcr);

/* True if every alg in algs has all 24 PCRs selected in sel. */
int tpm_pcrs_all_active(const TPML_PCR_SELECTION *sel, const uint16_t *algs, size_t nalgs);

#endif
