/* SPDX-License-Identifier: MIT */
/* TPM 2.0 command/response framing: the 10-byte header, and the commands the daemon sends.
 * TPM constants are tss2's TPM2_* names everywhere in the project. */
#ifndef VTPM_TPM_FRAME_H
#define VTPM_TPM_FRAME_H

#include <linux/vtpm_proxy.h> /* TPM2_CC_SET_LOCALITY, the vtpm_proxy vendor command */
#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h> /* every other TPM2_* constant */

#define TPM_HEADER_SIZE 10
#define TPM_MAX_COMMAND_SIZE 4096 /* the vtpm_proxy driver's TPM_BUFSIZE */

struct tpm_header {
	uint16_t tag;
	uint32_t size;
	uint32_t code; /* command code or response code */
};

/* Big-endian integers at b (the caller checked the length). */
static inline uint16_t tpm_be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t tpm_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Parse the header of a command or response. Returns 0, or -1 if len < 10. Does not
 * check the size field against len: see tpm_frame_check(). */
int tpm_header_parse(const uint8_t *buf, size_t len, struct tpm_header *hdr);

/* Validate a complete command frame of len bytes: known tag, 10 <= size == len <= max.
 * Returns TPM2_RC_SUCCESS or the TPM response code to answer with. */
uint32_t tpm_frame_check(const uint8_t *buf, size_t len, size_t max);

/* Write a 10-byte error response with rc; returns its size (10) or 0 if cap < 10. */
size_t tpm_build_error_response(uint8_t *out, size_t cap, uint32_t rc);
/* TPM2_Startup(su) / TPM2_Shutdown(su): 12-byte commands. Returns size or 0. */
size_t tpm_build_startup(uint8_t *out, size_t cap, uint16_t su);
size_t tpm_build_shutdown(uint8_t *out, size_t cap, uint16_t su);
/* The su of a well-formed TPM2_Startup or TPM2_Shutdown frame (12 bytes, no sessions) whose
 * command code is cc. 0, or -1 for anything else. */
int tpm_parse_su(const uint8_t *cmd, size_t len, uint32_t cc, uint16_t *su);

/* Response code of a response (TPM2_RC_FAILURE if it is too short to have one). */
uint32_t tpm_response_rc(const uint8_t *rsp, size_t len);

#endif
