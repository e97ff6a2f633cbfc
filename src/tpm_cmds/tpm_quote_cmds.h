/* SPDX-License-Identifier: MIT */
/* The commands `vtpm-rtmr attest` sends to make a TPM quote: TPM2_Quote and TPM2_PCR_Read. */
#ifndef VTPM_TPM_QUOTE_CMDS_H
#define VTPM_TPM_QUOTE_CMDS_H

#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

/*
 * TPM2_Quote(signHandle = key with an empty password, qualifyingData, inScheme = TPM_ALG_NULL
 * (the key's own scheme), PCRselect). qualifying is at most sizeof(TPMU_HA) bytes. Returns the
 * command size, or 0 (no room, qualifying data too long).
 */
size_t tpm_build_quote(uint8_t *out, size_t cap, uint32_t key, const uint8_t *qualifying,
		       size_t qlen, const TPML_PCR_SELECTION *sel);
/* Its response: the TPMS_ATTEST bytes (inside TPM2B_ATTEST) and the TPMT_SIGNATURE bytes, both
 * exactly as the TPM marshalled them. 0, or -1 (an error response, malformed, no room). */
int tpm_parse_quote(const uint8_t *rsp, size_t len, uint8_t *attest, size_t attest_cap,
		    size_t *attest_len, uint8_t *sig, size_t sig_cap, size_t *sig_len);

/* TPM2_PCR_Read(sel). Returns the command size or 0. */
size_t tpm_build_pcr_read(uint8_t *out, size_t cap, const TPML_PCR_SELECTION *sel);
/* Its response: the selection the TPM answered (it may be less than asked: at most 8 digests a
 * call) and the values in selection order. 0, or -1. */
int tpm_parse_pcr_read(const uint8_t *rsp, size_t len, TPML_PCR_SELECTION *read,
		       TPML_DIGEST *values);

#endif
