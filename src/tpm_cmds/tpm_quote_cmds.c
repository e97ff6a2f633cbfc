// SPDX-License-Identifier: MIT
#include "tpm_cmds/tpm_quote_cmds.h"

#include <string.h>
#include <tss2/tss2_mu.h>

#include "tpm_cmds/tpm_frame.h"
#include "tpm_cmds/tpm_marshal.h"

size_t tpm_build_quote(uint8_t *out, size_t cap, uint32_t key, const uint8_t *qualifying,
		       size_t qlen, const TPML_PCR_SELECTION *sel)
{
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_DATA data = { .size = (uint16_t)qlen };
	size_t off = 0;

	if (qlen > sizeof(data.buffer))
		return 0;
	memcpy(data.buffer, qualifying, qlen);
	if (tpm_marshal_header(out, cap, &off, TPM2_ST_SESSIONS, TPM2_CC_Quote) ||
	    Tss2_MU_UINT32_Marshal(key, out, cap, &off) || tpm_marshal_pw_auth(out, cap, &off) ||
	    Tss2_MU_TPM2B_DATA_Marshal(&data, out, cap, &off) ||
	    Tss2_MU_TPMT_SIG_SCHEME_Marshal(&scheme, out, cap, &off) ||
	    Tss2_MU_TPML_PCR_SELECTION_Marshal(sel, out, cap, &off))
		return 0;
	return tpm_marshal_finish(out, cap, off);
}

/* A success response: *off at its parameters, *end after them; with sessions, what follows
 * the parameters must be whole authorization areas. */
static int session_params(const uint8_t *rsp, size_t len, size_t *off, size_t *end)
{
	uint32_t psize;
	uint16_t tag;
	size_t auth;

	if (tpm_unmarshal_response(rsp, len, off, &tag) < 0)
		return -1;
	*end = len;
	if (tag != TPM2_ST_SESSIONS)
		return 0;
	if (Tss2_MU_UINT32_Unmarshal(rsp, len, off, &psize) || psize > len - *off)
		return -1;
	*end = *off + psize;
	for (auth = *end; auth < len;) {
		TPMS_AUTH_RESPONSE a;

		if (Tss2_MU_TPMS_AUTH_RESPONSE_Unmarshal(rsp, len, &auth, &a))
			return -1;
	}
	return *end == len ? -1 : 0; /* a command with a session has a response auth area */
}

int tpm_parse_quote(const uint8_t *rsp, size_t len, uint8_t *attest, size_t attest_cap,
		    size_t *attest_len, uint8_t *sig, size_t sig_cap, size_t *sig_len)
{
	TPM2B_ATTEST quoted;
	TPMT_SIGNATURE signature;
	size_t off, end, sig_start;

	if (session_params(rsp, len, &off, &end) < 0 ||
	    Tss2_MU_TPM2B_ATTEST_Unmarshal(rsp, end, &off, &quoted))
		return -1;
	sig_start = off;
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(rsp, end, &off, &signature) || off != end ||
	    quoted.size > attest_cap || off - sig_start > sig_cap)
		return -1;
	memcpy(attest, quoted.attestationData, quoted.size);
	*attest_len = quoted.size;
	memcpy(sig, rsp + sig_start, off - sig_start);
	*sig_len = off - sig_start;
	return 0;
}

size_t tpm_build_pcr_read(uint8_t *out, size_t cap, const TPML_PCR_SELECTION *sel)
{
	size_t off = 0;

	if (tpm_marshal_header(out, cap, &off, TPM2_ST_NO_SESSIONS, TPM2_CC_PCR_Read) ||
	    Tss2_MU_TPML_PCR_SELECTION_Marshal(sel, out, cap, &off))
		return 0;
	return tpm_marshal_finish(out, cap, off);
}

int tpm_parse_pcr_read(const uint8_t *rsp, size_t len, TPML_PCR_SELECTION *read,
		       TPML_DIGEST *values)
{
	uint32_t update_counter;
	size_t off, end;

	if (session_params(rsp, len, &off, &end) < 0 ||
	    Tss2_MU_UINT32_Unmarshal(rsp, end, &off, &update_counter) ||
	    Tss2_MU_TPML_PCR_SELECTION_Unmarshal(rsp, end, &off, read) ||
	    Tss2_MU_TPML_DIGEST_Unmarshal(rsp, end, &off, values) || off != end)
		return -1;
	return 0;
}
