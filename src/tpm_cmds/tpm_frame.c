// SPDX-License-Identifier: MIT
#include "tpm_cmds/tpm_frame.h"

#include <tss2/tss2_mu.h>

/* Read directly: every command's header is parsed several times on its way (transport,
 * service, classifier, response), and tss2-mu's integer functions cost 200-400 instructions
 * each, most of them its debug logging's checks (bench/README.md, "Where the time goes"). */
int tpm_header_parse(const uint8_t *buf, size_t len, struct tpm_header *hdr)
{
	if (len < TPM_HEADER_SIZE)
		return -1;
	hdr->tag = tpm_be16(buf);
	hdr->size = tpm_be32(buf + 2);
	hdr->code = tpm_be32(buf + 6);
	return 0;
}

uint32_t tpm_frame_check(const uint8_t *buf, size_t len, size_t max)
{
	struct tpm_header hdr;

	if (tpm_header_parse(buf, len, &hdr) < 0)
		return TPM2_RC_COMMAND_SIZE;
	if (hdr.tag != TPM2_ST_NO_SESSIONS && hdr.tag != TPM2_ST_SESSIONS)
		return TPM2_RC_BAD_TAG;
	if (hdr.size < TPM_HEADER_SIZE || hdr.size != len || hdr.size > max)
		return TPM2_RC_COMMAND_SIZE;
	return TPM2_RC_SUCCESS;
}

static size_t build_header(uint8_t *out, size_t cap, uint16_t tag, uint32_t size, uint32_t code)
{
	size_t off = 0;

	if (cap < size ||
	    Tss2_MU_UINT16_Marshal(tag, out, cap, &off) ||
	    Tss2_MU_UINT32_Marshal(size, out, cap, &off) ||
	    Tss2_MU_UINT32_Marshal(code, out, cap, &off))
		return 0;
	return off;
}

size_t tpm_build_error_response(uint8_t *out, size_t cap, uint32_t rc)
{
	return build_header(out, cap, TPM2_ST_NO_SESSIONS, TPM_HEADER_SIZE, rc);
}

static size_t build_su_command(uint8_t *out, size_t cap, uint32_t cc, uint16_t su)
{
	size_t off = build_header(out, cap, TPM2_ST_NO_SESSIONS, TPM_HEADER_SIZE + 2, cc);

	if (off == 0 || Tss2_MU_UINT16_Marshal(su, out, cap, &off))
		return 0;
	return off;
}

size_t tpm_build_startup(uint8_t *out, size_t cap, uint16_t su)
{
	return build_su_command(out, cap, TPM2_CC_Startup, su);
}

size_t tpm_build_shutdown(uint8_t *out, size_t cap, uint16_t su)
{
	return build_su_command(out, cap, TPM2_CC_Shutdown, su);
}

int tpm_parse_su(const uint8_t *cmd, size_t len, uint32_t cc, uint16_t *su)
{
	struct tpm_header hdr;
	size_t off = TPM_HEADER_SIZE;

	if (len != TPM_HEADER_SIZE + 2 || tpm_header_parse(cmd, len, &hdr) < 0 ||
	    hdr.tag != TPM2_ST_NO_SESSIONS || hdr.size != len || hdr.code != cc ||
	    Tss2_MU_UINT16_Unmarshal(cmd, len, &off, su))
		return -1;
	return 0;
}

uint32_t tpm_response_rc(const uint8_t *rsp, size_t len)
{
	struct tpm_header hdr;

	if (tpm_header_parse(rsp, len, &hdr) < 0)
		return TPM2_RC_FAILURE;
	return hdr.code;
}
