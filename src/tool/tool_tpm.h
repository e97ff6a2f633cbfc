/* SPDX-License-Identifier: MIT */
/*
 * The tool's way to a TPM, as other TPM clients reach vtpm-rtmrd: a TPM character device
 * (/dev/tpmrmN, the kernel's resource manager) or the swtpm socket protocol's data channel.
 * Addresses are written as tpm2-tss TCTI strings:
 *
 *	device:/dev/tpmrm0        (or just /dev/tpmrm0)
 *	swtpm:host=127.0.0.1,port=2321   (host defaults to 127.0.0.1, port to 2321)
 *	swtpm:path=/run/vtpm.sock
 */
#ifndef VTPM_TOOL_TPM_H
#define VTPM_TOOL_TPM_H

#include <stddef.h>
#include <stdint.h>

struct tool_tpm;

/*
 * The address to use: spec if given, else the running daemon's, from its runtime directory
 * (the resource-manager node of `device`, or `tcti` for the socket transport), else
 * TPM2TOOLS_TCTI. Into buf; 0, or -1 with err set.
 */
int tool_tpm_address(const char *spec, const char *runtime_dir, char *buf, size_t cap,
		     char *err, size_t errlen);

int tool_tpm_open(const char *address, struct tool_tpm **out, char *err, size_t errlen);
void tool_tpm_close(struct tool_tpm *t);

/* Send one command and read its whole response (at most cap bytes). 0 with *rlen set, or -1
 * with err set (I/O, a short or oversized response). The TPM's response code is the caller's. */
int tool_tpm_transact(struct tool_tpm *t, const uint8_t *cmd, size_t len, uint8_t *rsp,
		      size_t cap, size_t *rlen, char *err, size_t errlen);

#endif
