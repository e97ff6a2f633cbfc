// SPDX-License-Identifier: MIT
/*
 * vtpm-rtmr verify: the TPM quote of the evidence. It must be signed by the AK every covered
 * log's last group names (a restricted signing key that never leaves the TPM), carry the
 * nonce, and its pcrDigest must be the digest of the PCR values listed beside it. A PCR is
 * then verified only when, at one point of its log's covered records after the last group,
 * every quoted value of that log's PCRs equals what the records imply, and nothing it depends
 * on comes before a SYNC. The verdict lists every PCR with its state.
 */
#include <json-c/json.h>
#include <string.h>

#include "attest/tpm_quote.h"
#include "common/hash_alg.h"
#include "common/openssl_util.h"
#include "common/util.h"
#include "tool/tool_verify.h"
#include "tpm_cmds/pcr_cmds.h"

#define NPCRS EVLOG_PCRS

enum pcr_state { PCR_NOT_MAPPED, PCR_INITIAL, PCR_VERIFIED, PCR_UNVERIFIABLE };

static const char *const pcr_state_table[] = {
	[PCR_NOT_MAPPED] = "not-mapped",
	[PCR_INITIAL] = "initial",
	[PCR_VERIFIED] = "verified",
	[PCR_UNVERIFIABLE] = "unverifiable",
};

struct pcr_verdict {
	enum pcr_state state;
	int rtmr;          /* the log that maps it; -1 */
	char why[160];
};

/* A quoted value, or NULL. */
static const struct tpm_pcr_value *quoted(const struct evidence_tpm_quote *q, uint16_t alg,
					  unsigned pcr)
{
	for (size_t i = 0; i < q->nvalues; i++)
		if (q->values[i].alg == alg && q->values[i].pcr == pcr)
			return &q->values[i];
	return NULL;
}

static bool pcr_quoted(const struct evidence_tpm_quote *q, unsigned pcr)
{
	for (size_t i = 0; i < q->nvalues; i++)
		if (q->values[i].pcr == pcr)
			return true;
	return false;
}

/* ---- the quote itself ---- */

static bool check_ak(struct verdict *v, struct verify_ctx *c, EVP_PKEY **ak, char *failed,
		     size_t cap)
{
	uint8_t digest[32];
	char err[300];
	bool any = false;

	if (tpm_ak_public_check(c->e->ak_pub, c->e->ak_pub_len, ak, err, sizeof(err)) < 0 ||
	    hash_digest(hash_alg_by_name("sha256"), c->e->ak_pub, c->e->ak_pub_len, digest) < 0) {
		snprintf(failed, cap, "ak-identity");
		verdict_add(v, "ak-identity", false, "%s", err);
		return false;
	}
	for (unsigned i = 0; i < VERIFY_RTMRS; i++) {
		const struct vlog *l = &c->rtmr[i];

		if (!l->explained || !l->group_done)
			continue;
		any = true;
		if (l->group.ak.alg != hash_alg_by_name("sha256") ||
		    memcmp(l->group.ak.d, digest, sizeof(digest)) != 0) {
			static const uint8_t zero[32];
			bool none = memcmp(l->group.ak.d, zero, sizeof(zero)) == 0;

			snprintf(failed, cap, "ak-identity");
			verdict_add(v, "ak-identity", false, "rtmr%u: its last group names %s", i,
				    none ? "no AK (all zero: the daemon could not establish its "
					   "identity)"
					 : "another AK than the one that signed the TPM quote");
			return false;
		}
	}
	if (!any) {
		snprintf(failed, cap, "ak-identity");
		verdict_add(v, "ak-identity", false, "no covered log names an AK");
		return false;
	}
	verdict_add(v, "ak-identity", true, "the TPM quote's key is the AK every log's last group "
		    "names: restricted, sign, fixedTPM, fixedParent, sensitiveDataOrigin");
	return true;
}

static int listed_value(void *ctx, uint16_t alg, unsigned pcr, uint8_t *out, size_t *len)
{
	const struct tpm_pcr_value *p = quoted(ctx, alg, pcr);

	if (!p)
		return -1;
	memcpy(out, p->value, p->len);
	*len = p->len;
	return 0;
}

/* The listed values: exactly the quote's selection, in its order. */
static bool values_are_selection(const struct evidence_tpm_quote *q,
				 const TPML_PCR_SELECTION *sel)
{
	size_t k = 0;

	for (uint32_t i = 0; i < sel->count; i++)
		for (unsigned pcr = 0; pcr < TPM2_MAX_PCRS; pcr++) {
			const TPMS_PCR_SELECTION *s = &sel->pcrSelections[i];

			if (pcr / 8 >= s->sizeofSelect || !(s->pcrSelect[pcr / 8] & (1u << pcr % 8)))
				continue;
			if (k >= q->nvalues || q->values[k].alg != s->hash || q->values[k].pcr != pcr)
				return false;
			k++;
		}
	return k == q->nvalues;
}

static bool check_quote(struct verdict *v, struct verify_ctx *c, EVP_PKEY *ak, char *failed,
			size_t cap)
{
	const struct evidence_tpm_quote *q = &c->e->tpm;
	struct tpm_quote_info info;
	uint8_t digest[HASH_MAX_SIZE];
	char err[400];
	size_t dlen;

	if (tpm_quote_check(q->attest, q->attest_len, q->sig, q->sig_len, ak, &info, err,
			    sizeof(err)) != 0) {
		snprintf(failed, cap, "tpm-quote-signature");
		verdict_add(v, "tpm-quote-signature", false, "%s", err);
		return false;
	}
	verdict_add(v, "tpm-quote-signature", true, "a TPMS_ATTEST of type ATTEST_QUOTE, signed "
		    "by the AK");
	if (info.nonce_len != c->nonce_len || memcmp(info.nonce, c->nonce, c->nonce_len) != 0) {
		snprintf(failed, cap, "qualifying-data");
		verdict_add(v, "qualifying-data", false, "the TPM quote's qualifying data is not "
			    "the nonce");
		return false;
	}
	verdict_add(v, "qualifying-data", true, "the TPM quote's qualifying data is the nonce");
	if (!values_are_selection(q, &info.sel) ||
	    tpm_pcr_digest(&info.sel, info.sig_hash, listed_value, (void *)q, digest, &dlen, err,
			   sizeof(err)) < 0 ||
	    dlen != info.pcr_digest_len || memcmp(digest, info.pcr_digest, dlen) != 0) {
		snprintf(failed, cap, "pcr-digest");
		verdict_add(v, "pcr-digest", false, "the PCR values listed in the evidence are not "
			    "the quoted ones (selection or pcrDigest differ)");
		return false;
	}
	verdict_add(v, "pcr-digest", true, "the %zu PCR values listed are the quoted selection and "
		    "hash to its pcrDigest", q->nvalues);
	return true;
}

/* ---- one point of a log that explains every quoted value of its PCRs ---- */

struct point_ctx {
	const struct evlog_replay *rp;
	const struct vlog *l;
	const struct evidence_tpm_quote *q;
	uint32_t tainted;        /* PCRs whose value depends on records before a SYNC */
	uint32_t changed;        /* PCRs extended or reset since the last startup clear */
	uint8_t banks[NPCRS];    /* per PCR: bit b = bank hash_alg_all()[b] extended since */
	bool found;
	uint32_t found_tainted, found_changed;
	uint8_t found_banks[NPCRS];
};

static size_t bank_index(const struct hash_alg *alg)
{
	size_t n;

	return (size_t)(alg - hash_alg_all(&n));
}

static void track(struct point_ctx *p, const struct evlog_record *rec)
{
	switch (rec->kind) {
	case EVLOG_SYNC:
		p->tainted = ~0u;
		break;
	case EVLOG_STARTUP_CLEAR:
		p->tainted = p->changed = 0;
		memset(p->banks, 0, sizeof(p->banks));
		break;
	case EVLOG_RESET:
		p->tainted &= ~(1u << rec->pcr);
		p->changed |= 1u << rec->pcr;
		p->banks[rec->pcr] = 0;
		break;
	case EVLOG_EXTEND:
		p->changed |= 1u << rec->pcr;
		for (size_t i = 0; i < rec->ndigests; i++)
			p->banks[rec->pcr] |= (uint8_t)(1u << bank_index(rec->digests[i].alg));
		break;
	default:
		break;
	}
}

/* The replay's value of a PCR in a bank. */
static void replay_value(const struct evlog_replay *rp, const struct hash_alg *alg,
			 unsigned pcr, uint8_t *out)
{
	const struct evlog_pcr_bank *b = evlog_replay_bank(rp, alg);

	if (b)
		memcpy(out, b->value[pcr], alg->size);
	else
		memset(out, rp->pcr_base[pcr], alg->size);
}

static bool explains(const struct point_ctx *p)
{
	uint8_t want[HASH_MAX_SIZE];

	for (size_t i = 0; i < p->q->nvalues; i++) {
		const struct tpm_pcr_value *v = &p->q->values[i];
		const struct hash_alg *alg = hash_alg_by_tpm(v->alg);

		if (!(p->l->group.map & (1u << v->pcr)))
			continue;
		if (!alg || alg->size != v->len)
			return false;
		replay_value(p->rp, alg, v->pcr, want);
		if (memcmp(want, v->value, v->len) != 0)
			return false;
	}
	return true;
}

static int at_record(void *ctx, const struct evlog_entry *e)
{
	struct point_ctx *p = ctx;

	track(p, e->rec);
	if (e->recnum >= p->l->group_done && explains(p)) {
		p->found = true;
		p->found_tainted = p->tainted;
		p->found_changed = p->changed;
		memcpy(p->found_banks, p->banks, sizeof(p->banks));
	}
	return e->recnum >= p->l->covered;
}

static void find_point(const struct vlog *l, const struct evidence_tpm_quote *q,
		       struct point_ctx *p)
{
	struct evlog_replay rp;
	char err[256];

	memset(p, 0, sizeof(*p));
	p->rp = &rp;
	p->l = l;
	p->q = q;
	evlog_replay_init(&rp, l->log->alg);
	if (evlog_replay_text(&rp, l->log->text, l->log->len, "log", at_record, p, err,
			      sizeof(err)) < 0)
		p->found = false;
}

/* ---- every PCR's state ---- */

static void judge(struct pcr_verdict *pv, const struct point_ctx *p, unsigned pcr,
		  const struct evidence_tpm_quote *q)
{
	size_t nalgs;
	const struct hash_alg *algs = hash_alg_all(&nalgs);

	if (!p->found) {
		snprintf(pv->why, sizeof(pv->why), "the quoted values of rtmr%d's PCRs match no one "
			 "point of its covered log after its last group", pv->rtmr);
		return;
	}
	if (p->found_tainted & (1u << pcr)) {
		snprintf(pv->why, sizeof(pv->why), "its value depends on records before a SYNC");
		return;
	}
	for (size_t b = 0; b < nalgs && b < 8; b++) {
		if ((p->found_banks[pcr] & (1u << b)) && !quoted(q, algs[b].tpm_alg, pcr)) {
			snprintf(pv->why, sizeof(pv->why), "its %s bank was extended but is not "
				 "quoted", algs[b].name);
			return;
		}
	}
	pv->state = p->found_changed & (1u << pcr) ? PCR_VERIFIED : PCR_INITIAL;
}

static void judge_all(struct verify_ctx *c, bool quote_ok, const char *failed,
		      struct pcr_verdict pv[NPCRS])
{
	const struct evidence_tpm_quote *q = &c->e->tpm;
	struct point_ctx points[VERIFY_RTMRS];
	bool done[VERIFY_RTMRS] = { false };

	for (unsigned pcr = 0; pcr < NPCRS; pcr++) {
		pv[pcr] = (struct pcr_verdict){ .state = PCR_NOT_MAPPED, .rtmr = -1 };
		for (unsigned i = 0; i < VERIFY_RTMRS; i++) {
			const struct vlog *l = &c->rtmr[i];

			if (!l->explained || !l->group_done || !(l->group.map & (1u << pcr)))
				continue;
			if (pv[pcr].rtmr >= 0) {
				pv[pcr].state = PCR_UNVERIFIABLE;
				snprintf(pv[pcr].why, sizeof(pv[pcr].why), "mapped by two logs");
				break;
			}
			pv[pcr].rtmr = (int)i;
		}
		if (pv[pcr].state != PCR_NOT_MAPPED || pv[pcr].rtmr < 0)
			continue;
		pv[pcr].state = PCR_UNVERIFIABLE;
		if (!quote_ok) {
			snprintf(pv[pcr].why, sizeof(pv[pcr].why), "the TPM quote is not proven (%s "
				 "failed)", failed);
			continue;
		}
		if (!pcr_quoted(q, pcr)) {
			snprintf(pv[pcr].why, sizeof(pv[pcr].why), "not in the TPM quote");
			continue;
		}
		if (!done[pv[pcr].rtmr]) {
			find_point(&c->rtmr[pv[pcr].rtmr], q, &points[pv[pcr].rtmr]);
			done[pv[pcr].rtmr] = true;
		}
		judge(&pv[pcr], &points[pv[pcr].rtmr], pcr, q);
	}
}

/* --require-pcrs: "none", or a list such as "0,1,7,8-15"; NULL: every PCR the logs map. */
static int required(const struct verify_ctx *c, uint32_t *mask)
{
	const char *s = c->opts->require_pcrs;
	uint32_t m = 0;

	*mask = 0;
	if (!s) {
		for (unsigned i = 0; i < VERIFY_RTMRS; i++)
			if (c->rtmr[i].explained && c->rtmr[i].group_done)
				*mask |= c->rtmr[i].group.map;
		return 0;
	}
	if (!strcmp(s, "none"))
		return 0;
	while (*s) {
		unsigned long a, b;
		char *end;

		a = b = strtoul(s, &end, 10);
		if (end == s)
			return -1;
		if (*end == '-') {
			s = end + 1;
			b = strtoul(s, &end, 10);
			if (end == s)
				return -1;
		}
		if (a > b || b >= NPCRS || (*end && *end != ','))
			return -1;
		for (unsigned long p = a; p <= b; p++)
			m |= 1u << p;
		s = *end ? end + 1 : end;
	}
	*mask = m;
	return 0;
}

static void list_pcrs(struct verdict *v, const struct pcr_verdict pv[NPCRS], uint32_t req)
{
	for (unsigned pcr = 0; pcr < NPCRS; pcr++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "pcr", json_object_new_int((int)pcr));
		json_object_object_add(o, "state",
				       json_object_new_string(pcr_state_table[pv[pcr].state]));
		if (pv[pcr].rtmr >= 0)
			json_object_object_add(o, "rtmr", json_object_new_int(pv[pcr].rtmr));
		json_object_object_add(o, "required", json_object_new_boolean(req >> pcr & 1));
		if (pv[pcr].why[0])
			json_object_object_add(o, "why", json_object_new_string(pv[pcr].why));
		json_object_array_add(v->pcrs, o);
	}
}

static void check_required(struct verdict *v, const struct pcr_verdict pv[NPCRS], uint32_t req)
{
	char detail[VERIFY_DETAIL] = "";
	unsigned verified = 0, failed = 0;

	for (unsigned pcr = 0; pcr < NPCRS; pcr++) {
		size_t n = strlen(detail);

		if (!(req >> pcr & 1))
			continue;
		if (pv[pcr].state == PCR_VERIFIED || pv[pcr].state == PCR_INITIAL) {
			verified++;
			continue;
		}
		failed++;
		snprintf(detail + n, sizeof(detail) - n, "%sPCR %u: %s", n ? "; " : "", pcr,
			 pv[pcr].state == PCR_NOT_MAPPED ? "mapped by no log" : pv[pcr].why);
	}
	if (!req)
		verdict_add(v, "pcrs", true, "no PCR required (--require-pcrs none)");
	else if (failed)
		verdict_add(v, "pcrs", false, "%s", detail);
	else
		verdict_add(v, "pcrs", true, "all %u required PCRs are verified (or at their "
			    "initial value, as the log says)", verified);
}

void verify_pcrs(struct verdict *v, struct verify_ctx *c)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *ak = NULL;
	struct pcr_verdict pv[NPCRS];
	char failed[32] = "";
	bool ok;
	uint32_t req;

	ok = check_ak(v, c, &ak, failed, sizeof(failed)) &&
	     check_quote(v, c, ak, failed, sizeof(failed));
	judge_all(c, ok, failed, pv);
	if (required(c, &req) < 0) {
		verdict_add(v, "pcrs", false, "--require-pcrs: '%s' is not 'none' or a list such "
			    "as 0,1,7,8-15", c->opts->require_pcrs);
		return;
	}
	list_pcrs(v, pv, req);
	check_required(v, pv, req);
}

void verify_external_quote(struct verdict *v, const struct verify_ctx *c)
{
	(void)c;
	verdict_add(v, "tpm-quote-external", false, "a TPM quote made with another key than the "
		    "daemon's AK (--tpm-quote) proves nothing about this TPM without a proof that "
		    "binds that key to the EK (credential activation), which this verifier does "
		    "not take; use the TPM quote in the evidence (vtpm-rtmr attest makes it)");
}
