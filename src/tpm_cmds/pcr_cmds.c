// SPDX-License-Identifier: MIT
/* The PCR-changing TPM 2.0 commands (TPM 2.0 Part 3) and their responses. Every read is
 * bounded by the frame's length (structures through libtss2-mu, integers directly); no length
 * field is trusted. */
#include "tpm_cmds/pcr_cmds.h"

#include <stdbool.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "common/hash_alg.h"
#include "tpm_cmds/tpm_frame.h"

#define AUTH_SESSION_MIN_SIZE 9 /* handle u32, empty nonce u16, attributes u8, empty hmac u16 */
#define MAX_SESSIONS 3

/* Bytes [0, len) of a command or response, read from off on. */
struct frame {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

/* Integers are read directly (tpm_frame.h): tss2-mu's cost more than the rest of the
 * classification. Structures go through tss2-mu. */
static int get_u16(struct frame *f, uint16_t *v)
{
	if (f->off > f->len || f->len - f->off < 2)
		return -1;
	*v = tpm_be16(f->buf + f->off);
	f->off += 2;
	return 0;
}

static int get_u32(struct frame *f, uint32_t *v)
{
	if (f->off > f->len || f->len - f->off < 4)
		return -1;
	*v = tpm_be32(f->buf + f->off);
	f->off += 4;
	return 0;
}

/* A TPML_DIGEST_VALUES whose every hashAlg is a known hash (never TPM_ALG_NULL). */
static int get_digest_list(struct frame *f, TPML_DIGEST_VALUES *out)
{
	struct frame peek = *f;
	uint32_t count;

	/* Refuse an oversized count before tss2-mu sees it: it would log a warning. */
	if (get_u32(&peek, &count) < 0 || count > TPM2_NUM_PCR_BANKS)
		return -1;
	if (Tss2_MU_TPML_DIGEST_VALUES_Unmarshal(f->buf, f->len, &f->off, out))
		return -1;
	for (uint32_t i = 0; i < out->count; i++)
		if (!hash_alg_by_tpm(out->digests[i].hashAlg))
			return -1;
	return 0;
}

/* The handle area (n handles, the first of them the PCR) and the authorization area, which
 * every PCR-changing command but Startup has; the area is skipped by its size. */
static int get_handles_auth(struct frame *f, uint16_t tag, uint32_t *pcr, unsigned int n)
{
	uint32_t handle, size;

	if (tag != TPM2_ST_SESSIONS)
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		if (get_u32(f, &handle) < 0)
			return -1;
		if (i == 0)
			*pcr = handle;
	}
	if (get_u32(f, &size) < 0 || size < AUTH_SESSION_MIN_SIZE || size > f->len - f->off)
		return -1;
	f->off += size;
	return 0;
}

static int parse_extend(struct frame *f, uint16_t tag, struct pcr_change *chg)
{
	chg->kind = PCR_CHANGE_EXTEND;
	if (get_handles_auth(f, tag, &chg->pcr, 1) < 0)
		return -1;
	/* The digests come from this list only, which a session cannot encrypt (not a TPM2B). */
	return get_digest_list(f, &chg->digests);
}

static int parse_event(struct frame *f, uint16_t tag, struct pcr_change *chg)
{
	TPM2B_EVENT data;

	chg->kind = PCR_CHANGE_EVENT;
	if (get_handles_auth(f, tag, &chg->pcr, 1) < 0 ||
	    Tss2_MU_TPM2B_EVENT_Unmarshal(f->buf, f->len, &f->off, &data))
		return -1;
	return 0;
}

static int parse_sequence_complete(struct frame *f, uint16_t tag, struct pcr_change *chg)
{
	TPM2B_MAX_BUFFER data;

	chg->kind = PCR_CHANGE_SEQUENCE_COMPLETE;
	/* Handles: pcrHandle, sequenceHandle. */
	if (get_handles_auth(f, tag, &chg->pcr, 2) < 0 ||
	    Tss2_MU_TPM2B_MAX_BUFFER_Unmarshal(f->buf, f->len, &f->off, &data))
		return -1;
	return 0;
}

static int parse_reset(struct frame *f, uint16_t tag, struct pcr_change *chg)
{
	chg->kind = PCR_CHANGE_RESET;
	return get_handles_auth(f, tag, &chg->pcr, 1);
}

static int parse_startup(struct frame *f, uint16_t tag, struct pcr_change *chg)
{
	uint16_t su;

	if (tag != TPM2_ST_NO_SESSIONS || get_u16(f, &su) < 0)
		return -1;
	if (su == TPM2_SU_CLEAR)
		chg->kind = PCR_CHANGE_STARTUP_CLEAR;
	else if (su == TPM2_SU_STATE)
		chg->kind = PCR_CHANGE_STARTUP_STATE;
	else
		return -1;
	return 0;
}

typedef int (*cmd_parser)(struct frame *f, uint16_t tag, struct pcr_change *chg);

static cmd_parser parser_for(uint32_t cc)
{
	switch (cc) {
	case TPM2_CC_PCR_Extend:
		return parse_extend;
	case TPM2_CC_PCR_Event:
		return parse_event;
	case TPM2_CC_EventSequenceComplete:
		return parse_sequence_complete;
	case TPM2_CC_PCR_Reset:
		return parse_reset;
	case TPM2_CC_Startup:
		return parse_startup;
	default:
		return NULL;
	}
}

static bool kind_has_pcr(enum pcr_change_kind k)
{
	return k == PCR_CHANGE_EXTEND || k == PCR_CHANGE_EVENT ||
	       k == PCR_CHANGE_SEQUENCE_COMPLETE || k == PCR_CHANGE_RESET;
}

int pcr_cmd_classify(const uint8_t *cmd, size_t len, struct pcr_change *chg)
{
	struct frame f = { cmd, len, TPM_HEADER_SIZE };
	struct tpm_header hdr;
	cmd_parser parse;

	if (!chg)
		return -1;
	memset(chg, 0, sizeof(*chg));
	/* Shorter than a header: no command code, so not a PCR-changing command. */
	if (tpm_header_parse(cmd, len, &hdr) < 0)
		return 0;
	parse = parser_for(hdr.code);
	if (!parse)
		return 0;
	if (hdr.size != len || parse(&f, hdr.tag, chg) < 0 || f.off != len) {
		memset(chg, 0, sizeof(*chg));
		return -1;
	}
	/* TPM_RH_NULL (PCR_Extend, PCR_Event, EventSequenceComplete) changes nothing; other
	 * handles are not PCRs and the TPM refuses them. */
	if (kind_has_pcr(chg->kind) && chg->pcr >= PCR_CMDS_PCR_COUNT)
		memset(chg, 0, sizeof(*chg));
	return 0;
}

/* The response authorization area from off to len: 1 to MAX_SESSIONS TPMS_AUTH_RESPONSE. */
static int check_rsp_auth(const uint8_t *buf, size_t len, size_t off)
{
	TPMS_AUTH_RESPONSE auth;
	int n;

	for (n = 0; off < len; n++) {
		if (n == MAX_SESSIONS)
			return -1;
		if (Tss2_MU_TPMS_AUTH_RESPONSE_Unmarshal(buf, len, &off, &auth))
			return -1;
	}
	return n > 0 ? 0 : -1;
}

/* The parameter area of a successful response (none of these commands returns handles):
 * sets f->off to its start and *plen to its size, and checks what follows it. */
static int rsp_params(struct frame *f, uint16_t tag, size_t *plen)
{
	uint32_t size;

	if (tag == TPM2_ST_NO_SESSIONS) {
		*plen = f->len - f->off;
		return 0;
	}
	if (get_u32(f, &size) < 0 || size > f->len - f->off)
		return -1;
	*plen = size;
	return check_rsp_auth(f->buf, f->len, f->off + size);
}

/* EVENT and SEQUENCE_COMPLETE: the parameters are exactly one TPML_DIGEST_VALUES. */
static int rsp_digests(const struct frame *f, size_t plen, TPML_DIGEST_VALUES *out)
{
	struct frame p = { f->buf, f->off + plen, f->off };

	if (get_digest_list(&p, out) < 0 || p.off != p.len)
		return -1;
	return 0;
}

int pcr_rsp_apply(const uint8_t *rsp, size_t len, struct pcr_change *chg)
{
	struct frame f = { rsp, len, TPM_HEADER_SIZE };
	struct tpm_header hdr;
	TPML_DIGEST_VALUES digests;
	size_t plen;

	if (!chg || tpm_header_parse(rsp, len, &hdr) < 0 || hdr.size != len ||
	    (hdr.tag != TPM2_ST_NO_SESSIONS && hdr.tag != TPM2_ST_SESSIONS))
		return -1;
	if (hdr.code != TPM2_RC_SUCCESS)
		return 0;
	switch (chg->kind) {
	case PCR_CHANGE_NONE:
		return 1;
	case PCR_CHANGE_EVENT:
	case PCR_CHANGE_SEQUENCE_COMPLETE:
		if (rsp_params(&f, hdr.tag, &plen) < 0 || rsp_digests(&f, plen, &digests) < 0)
			return -1;
		chg->digests = digests;
		return 1;
	case PCR_CHANGE_EXTEND:
	case PCR_CHANGE_RESET:
	case PCR_CHANGE_STARTUP_CLEAR:
	case PCR_CHANGE_STARTUP_STATE:
		if (rsp_params(&f, hdr.tag, &plen) < 0 || plen != 0)
			return -1;
		return 1;
	}
	return -1;
}

void pcr_banks_from_selection(const TPML_PCR_SELECTION *sel, struct pcr_banks *banks)
{
	memset(banks, 0, sizeof(*banks));
	for (uint32_t i = 0; i < sel->count && i < TPM2_NUM_PCR_BANKS; i++) {
		const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];
		uint32_t have = 0;

		for (unsigned b = 0; b < s->sizeofSelect && b < sizeof(s->pcrSelect); b++)
			have |= (uint32_t)s->pcrSelect[b] << (8 * b);
		have &= (1u << PCR_CMDS_PCR_COUNT) - 1;
		if (have && banks->n < PCR_BANKS_MAX) {
			banks->missing[banks->n] = ~have & ((1u << PCR_CMDS_PCR_COUNT) - 1);
			banks->alg[banks->n++] = s->hash;
		}
	}
}

static int bank_index(const struct pcr_banks *banks, uint16_t alg)
{
	for (size_t i = 0; i < banks->n && i < PCR_BANKS_MAX; i++)
		if (banks->alg[i] == alg)
			return (int)i;
	return -1;
}

bool pcr_banks_has(const struct pcr_banks *banks, uint16_t alg)
{
	return bank_index(banks, alg) >= 0;
}

bool pcr_banks_has_pcr(const struct pcr_banks *banks, uint16_t alg, unsigned pcr)
{
	int i = bank_index(banks, alg);

	return i >= 0 && pcr < PCR_CMDS_PCR_COUNT && !(banks->missing[i] & (1u << pcr));
}

bool pcr_banks_equal(const struct pcr_banks *a, const struct pcr_banks *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n && i < PCR_BANKS_MAX; i++)
		if (a->alg[i] != b->alg[i] || a->missing[i] != b->missing[i])
			return false;
	return true;
}

size_t pcr_banks_encode(const struct pcr_banks *b, uint8_t *out, size_t cap)
{
	size_t len = 1 + 6 * b->n;

	if (b->n > PCR_BANKS_MAX || cap < len)
		return 0;
	out[0] = (uint8_t)b->n;
	for (size_t i = 0; i < b->n; i++) {
		uint8_t *p = out + 1 + 6 * i;

		p[0] = (uint8_t)(b->alg[i] >> 8);
		p[1] = (uint8_t)b->alg[i];
		p[2] = (uint8_t)(b->missing[i] >> 24);
		p[3] = (uint8_t)(b->missing[i] >> 16);
		p[4] = (uint8_t)(b->missing[i] >> 8);
		p[5] = (uint8_t)b->missing[i];
	}
	return len;
}

int pcr_banks_decode(const uint8_t *in, size_t len, struct pcr_banks *b)
{
	memset(b, 0, sizeof(*b));
	if (len < 1 || in[0] > PCR_BANKS_MAX || len != 1 + 6 * (size_t)in[0])
		return -1;
	b->n = in[0];
	for (size_t i = 0; i < b->n; i++) {
		const uint8_t *p = in + 1 + 6 * i;

		b->alg[i] = (uint16_t)(p[0] << 8 | p[1]);
		b->missing[i] = (uint32_t)p[2] << 24 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 8 |
				p[5];
	}
	return 0;
}

static const char *const pcr_change_kind_table[] = {
	[PCR_CHANGE_NONE] = "none",
	[PCR_CHANGE_EXTEND] = "PCR_Extend",
	[PCR_CHANGE_EVENT] = "PCR_Event",
	[PCR_CHANGE_SEQUENCE_COMPLETE] = "EventSequenceComplete",
	[PCR_CHANGE_RESET] = "PCR_Reset",
	[PCR_CHANGE_STARTUP_CLEAR] = "Startup(CLEAR)",
	[PCR_CHANGE_STARTUP_STATE] = "Startup(STATE)",
};

DEFINE_STRING_TABLE_LOOKUP(pcr_change_kind, enum pcr_change_kind)
