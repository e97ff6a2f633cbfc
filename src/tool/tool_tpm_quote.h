/* SPDX-License-Identifier: MIT */
/* `vtpm-rtmr attest`'s TPM quote: made with the daemon's AK over the mapped PCRs of every
 * active bank, with the nonce as qualifying data, and the quoted PCR values read back. */
#ifndef VTPM_TOOL_TPM_QUOTE_H
#define VTPM_TOOL_TPM_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#include "attest/evidence.h"

struct tool_tpm;

/*
 * Quote with the key at the AK's persistent handle, which must be exactly ak_pub (the AK the
 * logs name); pcr_mask (bit n = PCR n) in every active bank; qualifying data = the nonce
 * (at most 64 bytes). The PCR values are read back until they hash to the quote's pcrDigest
 * (a PCR may change between the quote and the read: then both are made again). Fills
 * q's attest, signature and values. 0, or -1 with err set.
 */
int tool_make_tpm_quote(struct tool_tpm *t, const uint8_t *ak_pub, size_t ak_len,
			uint32_t pcr_mask, const uint8_t *nonce, size_t nonce_len,
			struct evidence_tpm_quote *q, char *err, size_t errlen);

#endif
