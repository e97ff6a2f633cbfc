// SPDX-License-Identifier: MIT
#include "tool/tool_tpm_quote.h"

#include <string.h>

#include "attest/tpm_quote.h"
#include "common/hash_alg.h"
#include "common/openssl_util.h"
#include "tool/tool_tpm.h"
#include "tpm_cmds/pcr_cmds.h"
#include "tpm_cmds/tpm_build.h"
#include "tpm_cmds/tpm_ek.h"
#include "tpm_cmds/tpm_frame.h"
#include "tpm_cmds/tpm_quote_cmds.h"

#define QUOTE_TRIES 5
#define RETRIES 10 /* a TPM may ask for a command again (RETRY, YIELDED, TESTING), as tpm2-tss does */

/* One command; its response in rsp. 0, or -1 with err set (I/O or a TPM error). */
static int run(struct tool_tpm *t, const uint8_t *cmd, size_t len, const char *what,
	       uint8_t *rsp, size_t *rlen, char *err, size_t errlen)
{
	uint32_t rc;

	if (!len)
		return set_error(err, errlen, "cannot build %s", what);
	for (int i = 0; i < RETRIES; i++) {
		if (tool_tpm_transact(t, cmd, len, rsp, TPM_MAX_COMMAND_SIZE, rlen, err,
				      errlen) < 0)
			return -1;
		rc = tpm_response_rc(rsp, *rlen);
		if (rc != TPM2_RC_RETRY && rc != TPM2_RC_YIELDED && rc != TPM2_RC_TESTING)
			break;
	}
	if (rc != TPM2_RC_SUCCESS)
		return set_error(err, errlen, "%s answered 0x%03x", what, rc);
	return 0;
}

/* The key at the AK's handle must be the AK the logs name. */
static int check_ak(struct tool_tpm *t, const uint8_t *ak_pub, size_t ak_len, char *err,
		    size_t errlen)
{
	uint8_t cmd[64], rsp[TPM_MAX_COMMAND_SIZE], pub[EK_MAX_PUBLIC];
	uint32_t handle = ak_persistent_handle();
	size_t rlen, publen;
	char why[256];

	if (run(t, cmd, tpm_build_read_public(cmd, sizeof(cmd), handle), "ReadPublic of the AK",
		rsp, &rlen, why, sizeof(why)) < 0)
		return set_error(err, errlen, "no AK at 0x%08x (%s): vtpm-rtmrd makes it when it "
				 "starts; see its log", handle, why);
	if (tpm_parse_read_public(rsp, rlen, pub, sizeof(pub), &publen) < 0)
		return set_error(err, errlen, "malformed ReadPublic response for 0x%08x", handle);
	if (publen != ak_len || memcmp(pub, ak_pub, ak_len) != 0)
		return set_error(err, errlen, "the key at 0x%08x is not the AK the logs name "
				 "(ak.tpmt): refusing to quote with it", handle);
	return 0;
}

static int active_banks(struct tool_tpm *t, struct pcr_banks *banks, char *err, size_t errlen)
{
	uint8_t cmd[64], rsp[TPM_MAX_COMMAND_SIZE];
	TPML_PCR_SELECTION sel;
	size_t rlen;

	if (run(t, cmd, tpm_build_get_pcrs(cmd, sizeof(cmd)), "GetCapability(PCRS)", rsp, &rlen,
		err, errlen) < 0)
		return -1;
	if (tpm_parse_get_pcrs(rsp, rlen, &sel) < 0)
		return set_error(err, errlen, "malformed GetCapability(PCRS) response");
	pcr_banks_from_selection(&sel, banks);
	return 0;
}

static void select_pcrs(const struct pcr_banks *banks, uint32_t mask, TPML_PCR_SELECTION *sel)
{
	memset(sel, 0, sizeof(*sel));
	for (size_t i = 0; i < banks->n && i < TPM2_NUM_PCR_BANKS; i++) {
		TPMS_PCR_SELECTION *s = &sel->pcrSelections[sel->count++];

		s->hash = banks->alg[i];
		s->sizeofSelect = 3;
		for (unsigned b = 0; b < 3; b++)
			s->pcrSelect[b] = (uint8_t)(mask >> (8 * b));
	}
}

static bool selected(const TPMS_PCR_SELECTION *s, unsigned pcr)
{
	return pcr / 8 < s->sizeofSelect && (s->pcrSelect[pcr / 8] & (1u << (pcr % 8)));
}

/* Store what one PCR_Read answered, in the order of want; clear it from want. */
static int take_values(const TPML_PCR_SELECTION *read, const TPML_DIGEST *d,
		       TPML_PCR_SELECTION *want, struct evidence_tpm_quote *q)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < read->count; i++) {
		const TPMS_PCR_SELECTION *r = &read->pcrSelections[i];

		for (unsigned pcr = 0; pcr < TPM2_MAX_PCRS; pcr++) {
			struct tpm_pcr_value *v;

			if (!selected(r, pcr))
				continue;
			if (k >= d->count || q->nvalues >= TPM_PCR_FILE_MAX_VALUES ||
			    d->digests[k].size > sizeof(v->value))
				return -1;
			v = &q->values[q->nvalues++];
			v->alg = r->hash;
			v->pcr = (uint8_t)pcr;
			v->len = (uint8_t)d->digests[k].size;
			memcpy(v->value, d->digests[k++].buffer, v->len);
			for (uint32_t j = 0; j < want->count; j++)
				if (want->pcrSelections[j].hash == r->hash)
					want->pcrSelections[j].pcrSelect[pcr / 8] &=
						(uint8_t)~(1u << (pcr % 8));
		}
	}
	return k == d->count ? 0 : -1;
}

static bool selection_empty(const TPML_PCR_SELECTION *sel)
{
	for (uint32_t i = 0; i < sel->count; i++)
		for (unsigned b = 0; b < sel->pcrSelections[i].sizeofSelect; b++)
			if (sel->pcrSelections[i].pcrSelect[b])
				return false;
	return true;
}

/* PCR_Read answers at most 8 digests a call: ask again for what is left. */
static int read_pcrs(struct tool_tpm *t, const TPML_PCR_SELECTION *sel,
		     struct evidence_tpm_quote *q, char *err, size_t errlen)
{
	uint8_t cmd[256], rsp[TPM_MAX_COMMAND_SIZE];
	TPML_PCR_SELECTION want = *sel, read;
	TPML_DIGEST values;
	size_t rlen;

	q->nvalues = 0;
	for (unsigned round = 0; !selection_empty(&want); round++) {
		if (round > TPM2_MAX_PCRS * TPM2_NUM_PCR_BANKS)
			return set_error(err, errlen, "PCR_Read answers no PCR that was asked for");
		if (run(t, cmd, tpm_build_pcr_read(cmd, sizeof(cmd), &want), "PCR_Read", rsp, &rlen,
			err, errlen) < 0)
			return -1;
		if (tpm_parse_pcr_read(rsp, rlen, &read, &values) < 0 || values.count == 0 ||
		    take_values(&read, &values, &want, q) < 0)
			return set_error(err, errlen, "malformed PCR_Read response");
	}
	return 0;
}

/* The values read, in the quote's selection order (banks as listed, PCRs ascending). */
static int sort_values(const TPML_PCR_SELECTION *sel, struct evidence_tpm_quote *q)
{
	struct tpm_pcr_value sorted[TPM_PCR_FILE_MAX_VALUES];
	size_t n = 0;

	for (uint32_t i = 0; i < sel->count; i++)
		for (unsigned pcr = 0; pcr < TPM2_MAX_PCRS; pcr++) {
			size_t k;

			if (!selected(&sel->pcrSelections[i], pcr))
				continue;
			for (k = 0; k < q->nvalues; k++)
				if (q->values[k].alg == sel->pcrSelections[i].hash &&
				    q->values[k].pcr == pcr)
					break;
			if (k == q->nvalues || n == TPM_PCR_FILE_MAX_VALUES)
				return -1;
			sorted[n++] = q->values[k];
		}
	memcpy(q->values, sorted, n * sizeof(sorted[0]));
	q->nvalues = n;
	return 0;
}

static int quoted_value(void *ctx, uint16_t alg, unsigned pcr, uint8_t *out, size_t *len)
{
	const struct evidence_tpm_quote *q = ctx;

	for (size_t i = 0; i < q->nvalues; i++) {
		if (q->values[i].alg == alg && q->values[i].pcr == pcr) {
			memcpy(out, q->values[i].value, q->values[i].len);
			*len = q->values[i].len;
			return 0;
		}
	}
	return -1;
}

/* 1 if the values read are the ones quoted, 0 if a PCR changed in between, -1 on error. */
static int values_match(const struct evidence_tpm_quote *q, EVP_PKEY *ak, char *err,
			size_t errlen)
{
	struct tpm_quote_info info;
	uint8_t digest[HASH_MAX_SIZE];
	size_t dlen;

	if (tpm_quote_check(q->attest, q->attest_len, q->sig, q->sig_len, ak, &info, err,
			    errlen) != 0)
		return -1;
	if (tpm_pcr_digest(&info.sel, info.sig_hash, quoted_value, (void *)q, digest, &dlen, err,
			   errlen) < 0)
		return -1;
	return dlen == info.pcr_digest_len && memcmp(digest, info.pcr_digest, dlen) == 0;
}

static int quote_once(struct tool_tpm *t, const TPML_PCR_SELECTION *sel, const uint8_t *nonce,
		      size_t nonce_len, struct evidence_tpm_quote *q, char *err, size_t errlen)
{
	uint8_t cmd[512], rsp[TPM_MAX_COMMAND_SIZE];
	size_t rlen;

	if (run(t, cmd, tpm_build_quote(cmd, sizeof(cmd), ak_persistent_handle(), nonce,
					nonce_len, sel),
		"Quote", rsp, &rlen, err, errlen) < 0)
		return -1;
	if (tpm_parse_quote(rsp, rlen, q->attest, sizeof(q->attest), &q->attest_len, q->sig,
			    sizeof(q->sig), &q->sig_len) < 0)
		return set_error(err, errlen, "malformed Quote response");
	if (read_pcrs(t, sel, q, err, errlen) < 0 || sort_values(sel, q) < 0)
		return -1;
	return 0;
}

int tool_make_tpm_quote(struct tool_tpm *t, const uint8_t *ak_pub, size_t ak_len,
			uint32_t pcr_mask, const uint8_t *nonce, size_t nonce_len,
			struct evidence_tpm_quote *q, char *err, size_t errlen)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *ak = NULL;
	TPML_PCR_SELECTION sel;
	struct pcr_banks banks;

	if (nonce_len > sizeof(TPMU_HA))
		return set_error(err, errlen, "a nonce of %zu bytes cannot be a TPM quote's "
				 "qualifying data (at most %zu)", nonce_len, sizeof(TPMU_HA));
	if (!pcr_mask)
		return set_error(err, errlen, "the logs map no PCR: nothing to quote");
	if (tpm_public_to_evp(ak_pub, ak_len, &ak, err, errlen) < 0 ||
	    check_ak(t, ak_pub, ak_len, err, errlen) < 0 || active_banks(t, &banks, err, errlen) < 0)
		return -1;
	select_pcrs(&banks, pcr_mask, &sel);
	for (int i = 0; i < QUOTE_TRIES; i++) {
		int r;

		if (quote_once(t, &sel, nonce, nonce_len, q, err, errlen) < 0)
			return -1;
		r = values_match(q, ak, err, errlen);
		if (r != 0)
			return r > 0 ? 0 : -1;
	}
	return set_error(err, errlen, "the PCRs changed between the quote and reading them, %d "
			 "times in a row", QUOTE_TRIES);
}
