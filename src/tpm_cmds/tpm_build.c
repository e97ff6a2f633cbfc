// SPDX-License-Identifier: MIT
#include "tpm_cmds/tpm_build.h"

#include <string.h>
#include <tss2/tss2_mu.h>

#include "tpm_cmds/tpm_frame.h"
#include "tpm_cmds/tpm_marshal.h"

size_t tpm_build_self_test(uint8_t *out, size_t cap, bool full)
{
	size_t off = 0;

	if (tpm_marshal_header(out, cap, &off, TPM2_ST_NO_SESSIONS, TPM2_CC_SelfTest) ||
	    Tss2_MU_BYTE_Marshal(full ? TPM2_YES : TPM2_NO, out, cap, &off))
		return 0;
	return tpm_marshal_finish(out, cap, off);
}

size_t tpm_build_get_pcrs(uint8_t *out, size_t cap)
{
	size_t off = 0;

	if (tpm_marshal_header(out, cap, &off, TPM2_ST_NO_SESSIONS, TPM2_CC_GetCapability) ||
	    Tss2_MU_UINT32_Marshal(TPM2_CAP_PCRS, out, cap, &off) ||
	    Tss2_MU_UINT32_Marshal(0, out, cap, &off) ||
	    Tss2_MU_UINT32_Marshal(1, out, cap, &off))
		return 0;
	return tpm_marshal_finish(out, cap, off);
}

/* A success response of a command without handles: *off at its parameters. */
static int response_body(const uint8_t *rsp, size_t len, size_t *off)
{
	uint16_t tag;

	if (tpm_unmarshal_response(rsp, len, off, &tag) < 0)
		return -1;
	if (tag == TPM2_ST_SESSIONS) {
		uint32_t param_size;

		if (Tss2_MU_UINT32_Unmarshal(rsp, len, off, &param_size))
			return -1;
	}
	return 0;
}

int tpm_parse_get_pcrs(const uint8_t *rsp, size_t len, TPML_PCR_SELECTION *sel)
{
	TPMS_CAPABILITY_DATA data;
	uint8_t more;
	size_t off;

	if (response_body(rsp, len, &off) < 0 ||
	    Tss2_MU_BYTE_Unmarshal(rsp, len, &off, &more) ||
	    Tss2_MU_TPMS_CAPABILITY_DATA_Unmarshal(rsp, len, &off, &data) ||
	    data.capability != TPM2_CAP_PCRS)
		return -1;
	*sel = data.data.assignedPCR;
	return 0;
}

size_t tpm_build_pcr_extend(uint8_t *out, size_t cap, uint32_t pcr, const TPML_DIGEST_VALUES *d)
{
	size_t off = 0;

	if (tpm_marshal_header(out, cap, &off, TPM2_ST_SESSIONS, TPM2_CC_PCR_Extend) ||
	    Tss2_MU_UINT32_Marshal(pcr, out, cap, &off) || tpm_marshal_pw_auth(out, cap, &off) ||
	    Tss2_MU_TPML_DIGEST_VALUES_Marshal(d, out, cap, &off))
		return 0;
	return tpm_marshal_finish(out, cap, off);
}

size_t tpm_build_pcr_reset(uint8_t *out, size_t cap, uint32_t pcr)
{
	size_t off = 0;

	if (tpm_marshal_header(out, cap, &off, TPM2_ST_SESSIONS, TPM2_CC_PCR_Reset) ||
	    Tss2_MU_UINT32_Marshal(pcr, out, cap, &off) || tpm_marshal_pw_auth(out, cap, &off))
		return 0;
	return tpm_marshal_finish(out, cap, off);
}

size_t tpm_build_pcr_allocate(uint8_t *out, size_t cap, const uint16_t *algs, size_t nalgs)
{
	TPML_PCR_SELECTION sel = { 0 };
	size_t off = 0;

	if (nalgs > TPM2_NUM_PCR_BANKS)
		return 0;
	sel.count = (uint32_t)nalgs;
	for (size_t i = 0; i < nalgs; i++) {
		sel.pcrSelections[i].hash = algs[i];
		sel.pcrSelections[i].sizeofSelect = 3;
		memset(sel.pcrSelections[i].pcrSelect, 0xff, 3);
	}
	if (tpm_marshal_header(out, cap, &off, TPM2_ST_SESSIONS, TPM2_CC_PCR_Allocate) ||
	    Tss2_MU_UINT32_Marshal(TPM2_RH_PLATFORM, out, cap, &off) ||
	    tpm_marshal_pw_auth(out, cap, &off) ||
	    Tss2_MU_TPML_PCR_SELECTION_Marshal(&sel, out, cap, &off))
		return 0;
	return tpm_marshal_finish(out, cap, off);
}

int tpm_parse_pcr_allocate(const uint8_t *rsp, size_t len)
{
	uint8_t success;
	size_t off;

	if (response_body(rsp, len, &off) < 0 || Tss2_MU_BYTE_Unmarshal(rsp, len, &off, &success))
		return -1;
	return success ? 0 : -1;
}

int tpm_pcrs_all_active(const TPML_PCR_SELECTION *sel, const uint16_t *algs, size_t nalgs)
{
	for (size_t a = 0; a < nalgs; a++) {
		int found = 0;

		for (uint32_t i = 0; i < sel->count && i < TPM2_NUM_PCR_BANKS; i++) {
			const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];

			if (s->hash != algs[a])
				continue;
			found = s->sizeofSelect >= 3 && s->pcrSelect[0] == 0xff &&
				s->pcrSelect[1] == 0xff && s->pcrSelect[2] == 0xff;
		}
		if (!found)
			return 0;
	}
	return 1;
}
