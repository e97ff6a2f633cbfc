/* SPDX-License-Identifier: MIT */
/* The swtpm control channel protocol (CMD_* requests, big-endian), as tpm2-tss's swtpm
 * TCTI and swtpm_ioctl speak it. */
#ifndef VTPM_CTRL_CHANNEL_H
#define VTPM_CTRL_CHANNEL_H

#include <libtpms/tpm_error.h>
#include <stddef.h>
#include <stdint.h>

struct service;

enum ctrl_cmd {
	CTRL_GET_CAPABILITY = 0x01,
	CTRL_INIT = 0x02,
	CTRL_SHUTDOWN = 0x03,
	CTRL_GET_TPMESTABLISHED = 0x04,
	CTRL_SET_LOCALITY = 0x05,
	CTRL_HASH_START = 0x06,
	CTRL_HASH_DATA = 0x07,
	CTRL_HASH_END = 0x08,
	CTRL_CANCEL_TPM_CMD = 0x09,
	CTRL_STORE_VOLATILE = 0x0a,
	CTRL_RESET_TPMESTABLISHED = 0x0b,
	CTRL_GET_STATEBLOB = 0x0c,
	CTRL_SET_STATEBLOB = 0x0d,
	CTRL_STOP = 0x0e,
	CTRL_GET_CONFIG = 0x0f,
	CTRL_SET_DATAFD = 0x10,
	CTRL_SET_BUFFERSIZE = 0x11,
	CTRL_GET_INFO = 0x12,
};

/* swtpm's result codes on the control channel: TPM 1.2's, as libtpms names them */
#define PTM_SUCCESS TPM_SUCCESS
#define PTM_BAD_PARAMETER TPM_BAD_PARAMETER
#define PTM_FAIL TPM_FAIL
#define PTM_BAD_ORDINAL TPM_BAD_ORDINAL
#define PTM_BAD_LOCALITY TPM_BAD_LOCALITY

#define PTM_INIT_FLAG_DELETE_VOLATILE 0x1
#define CTRL_MAX_REQUEST 64
#define CTRL_MAX_RESPONSE (12 + 3072)

/* Actions the transport must take after sending the response. */
#define CTRL_ACTION_TERMINATE 0x1 /* CMD_SHUTDOWN: stop the daemon */

/* How many bytes a request starting with buf needs before it can be handled: 0 if not yet
 * known (fewer than 4 bytes), else 4 + the payload of a known command (4 for unknown ones).
 * A transport handles everything received once this many bytes are there. */
size_t ctrl_request_size(const uint8_t *buf, size_t len);

/* Handle one complete request; writes the response into out (cap >= CTRL_MAX_RESPONSE) and
 * returns its size; *actions gets CTRL_ACTION_* bits. */
size_t ctrl_handle(struct service *svc, const uint8_t *req, size_t len, uint8_t *out, size_t cap,
		   unsigned *actions);

#endif
