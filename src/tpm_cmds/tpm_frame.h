/* SPDX-License-Identifier: MIT */
/* TPM 2.0 command/response framing: the 10-byte header, and the commands the daemon sends. */
#ifndef VTPM_TPM_FRAME_H
#define VTPM_TPM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define TPM_HEADER_SIZE 10
#define TPM_MAX_COMMAND_SIZE 4096 /* the vtpm_proxy driver's TPM_BUFSIZE */

#define TPM_ST_NO_SESSIONS 0x8001
#define TPM_ST_SESSIONS 0x8002
#define TPM_SU_CLEAR 0x0000
#define TPM_SU_STATE 0x0001

#define TPM_CC_STARTUP 0x00000144
#define TPM_CC_SHUTDOWN 0x00000145
#define TPM_CC_PCR_EXTEND 0x00000182
#define TPM_CC_PCR_EVENT 0x0000013c
#define TPM_CC_PCR_RESET 0x0000013d
#define TPM_CC_EVENT_SEQUENCE_COMPLETE 0x00000185
#define TPM_CC_GET_CAPABILITY 0x0000017a
#define TPM_CC_PCR_ALLOCATE 0x0000012b
#define TPM_CC_SET_LOCALITY 0x20001000 /* vtpm_proxy vendor command */

#define TPM_RC_SUCCESS 0x000
#define TPM_RC_BAD_TAG 0x01e
#define TPM_RC_INITIALIZE 0x100
#define TPM_RC_FAILURE 0x101
#define TPM_RC_COMMAND_SIZE 0x142
#define TPM_RC_LOCALITY 0x907
#define TPM_RC_INSUFFICIENT 0x09a
#define TPM_RC_SIZE 0x095

struct tpm_header {
	uint16_t tag;
	uint32_t size;
	uint32_t code; /* command code or response code */
};

/* Parse the header of a command or response. Returns 0, or -1 if len < 10. Does not
 * check the size field against len: see tpm_frame_check(). */
int tpm_header_parse(const uint8_t *buf, size_t len, struct tpm_header *hdr);

/* Validate a complete command frame of len bytes: known tag, 10 <= size == len <= max.
 * Returns TPM_RC_SUCCESS or the TPM response code to answer with. */
uint32_t tpm_frame_check(const uint8_t *buf, size_t len, size_t max);

/* Write a 10-byte error response with rc; returns its size (10) or 0 if cap < 10. */
size_t tpm_build_error_response(uint8_t *out, size_t cap, uint32_t rc);
/* TPM2_Startup(su) / TPM2_Shutdown(su): 12-byte commands. Returns size or 0. */
size_t tpm_build_startup(uint8_t *out, size_t cap, uint16_t su);
size_t tpm_build_shutdown(uint8_t *out, size_t cap, uint16_t su);

/* Response code of a response (TPM_RC_FAILURE if it is too short to have one). */
uint32_t tpm_response_rc(const uint8_t *rsp, size_t len);

#endif
