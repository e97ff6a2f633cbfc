// SPDX-License-Identifier: MIT
#include "tpm_cmds/tpm_marshal.h"

#include <tss2/tss2_mu.h>

#include "tpm_cmds/tpm_frame.h"

int tpm_marshal_header(uint8_t *out, size_t cap, size_t *off, uint16_t tag, uint32_t cc)
{
	return Tss2_MU_UINT16_Marshal(tag, out, cap, off) ||
	       Tss2_MU_UINT32_Marshal(0, out, cap, off) ||
	       Tss2_MU_UINT32_Marshal(cc, out, cap, off) ? -1 : 0;
}

size_t tpm_marshal_finish(uint8_t *out, size_t cap, size_t len)
{
	size_t off = 2;

	return Tss2_MU_UINT32_Marshal((uint32_t)len, out, cap, &off) ? 0 : len;
}

int tpm_marshal_pw_auth(uint8_t *out, size_t cap, size_t *off)
{
	TPMS_AUTH_COMMAND auth = { .sessionHandle = TPM2_RS_PW };
	size_t size_off = *off;

	if (Tss2_MU_UINT32_Marshal(0, out, cap, off) ||
	    Tss2_MU_TPMS_AUTH_COMMAND_Marshal(&auth, out, cap, off))
		return -1;
	return Tss2_MU_UINT32_Marshal((uint32_t)(*off - size_off - 4), out, cap, &size_off) ? -1
											      : 0;
}

int tpm_unmarshal_response(const uint8_t *rsp, size_t len, size_t *off, uint16_t *tag)
{
	struct tpm_header hdr;

	if (tpm_header_parse(rsp, len, &hdr) < 0 || hdr.code != TPM2_RC_SUCCESS ||
	    hdr.size != len)
		return -1;
	if (tag)
		*tag = hdr.tag;
	*off = TPM_HEADER_SIZE;
	return 0;
}
