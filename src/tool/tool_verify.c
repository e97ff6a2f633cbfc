// SPDX-License-Identifier: MIT
/* vtpm-rtmr verify: check evidence from vtpm-rtmr attest — the TDX quote and its chain, the
 * EK binding, the RTMR replay — and optionally a TPM quote against the PCRs the log implies. */
#include <json-c/json.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evidence.h"
#include "attest/tdx_quote.h"
#include "attest/tpm_quote.h"
#include "attest/trust_anchor.h"
#include "eventlog/eventlog.h"
#include "tpm_cmds/pcr_cmds.h"
#include "tool/tool_attest.h"
#include "common/util.h"

struct verdict {
	json_object *checks;
	bool all_pass;
};

static void add_check(struct verdict *v, const char *name, bool ok, const char *detail,
		      json_object *warnings)
{
	json_object *c = json_object_new_object();

	json_object_object_add(c, "name", json_object_new_string(name));
	json_object_object_add(c, "result", json_object_new_string(ok ? "pass" : "fail"));
	json_object_object_add(c, "detail", json_object_new_string(detail));
	if (warnings)
		json_object_object_add(c, "warnings", warnings);
	json_object_array_add(v->checks, c);
	v->all_pass &= ok;
}

/* --- a: quote structure, b: signature chain ------------------------------------------ */

static X509 *load_anchor(const char *path, char *err, size_t errlen)
{
	_cleanup_fclose_ FILE *f = NULL;
	X509 *x;

	if (!path)
		return trust_anchor_intel_sgx_root();
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open trust anchor %s", path);
		return NULL;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	if (!x)
		snprintf(err, errlen, "%s holds no PEM certificate", path);
	return x;
}

static void check_quote(struct verdict *v, const struct evidence *e, const char *anchor_path,
			struct tdx_quote *q, bool *parsed)
{
	struct tdx_quote_checks qc;
	char err[512], detail[600];
	X509 *anchor;

	*parsed = tdx_quote_parse(e->quote, e->quote_len, q, err, sizeof(err)) == 0;
	if (*parsed)
		snprintf(detail, sizeof(detail), "TDX quote v%u, TD report body %s", q->version,
			 q->body_type == 3 ? "1.5" : "1.0");
	add_check(v, "quote-structure", *parsed, *parsed ? detail : err, NULL);
	if (!*parsed) {
		add_check(v, "quote-signature-chain", false, "quote could not be parsed", NULL);
		return;
	}
	anchor = load_anchor(anchor_path, err, sizeof(err));
	if (!anchor) {
		add_check(v, "quote-signature-chain", false, err, NULL);
		return;
	}
	if (tdx_quote_verify(q, anchor, &qc) == 0)
		add_check(v, "quote-signature-chain", true,
			  "quote signed by the attestation key; QE report signed by the PCK key "
			  "and binding the attestation key; PCK chain verifies to the trust anchor",
			  NULL);
	else
		add_check(v, "quote-signature-chain", false, qc.detail, NULL);
	X509_free(anchor);
}

/* --- c: the EK binding -------------------------------------------------------------- */

static void check_binding(struct verdict *v, const struct evidence *e, const uint8_t *nonce,
			  size_t nonce_len, const struct tdx_quote *q, bool parsed)
{
	uint8_t want[64];

	if (nonce_len != e->nonce_len || memcmp(nonce, e->nonce, nonce_len) != 0) {
		add_check(v, "report-data-binding", false,
			  "the evidence was made for another nonce", NULL);
		return;
	}
	if (!parsed) {
		add_check(v, "report-data-binding", false, "the quote could not be parsed", NULL);
		return;
	}
	evidence_report_data(nonce, nonce_len, e->ek_pub, e->ek_pub_len, want);
	if (memcmp(q->reportdata, want, 64) != 0) {
		add_check(v, "report-data-binding", false,
			  "quote REPORTDATA != SHA-512(nonce || TPMT_PUBLIC(EK))", NULL);
		return;
	}
	add_check(v, "report-data-binding", true,
		  "quote REPORTDATA == SHA-512(nonce || TPMT_PUBLIC(EK))", NULL);
}

/* --- d: RTMR replay ------------------------------------------------------------------ */

struct covered {
	bool have;
	struct evlog_replay rp; /* replay of the covered prefix */
	uint32_t touched;       /* PCRs named by vtpm records of that prefix */
};

struct prefix_ctx {
	const uint8_t *want;
	size_t size;
	size_t match;           /* first record after which the replay equals want */
	json_object *warnings;
	unsigned rtmr;
};

static int find_prefix(void *ctx, const struct evlog_entry *e)
{
	struct prefix_ctx *p = ctx;
	char w[160];

	if (e->rec->kind == EVLOG_SYNC) {
		snprintf(w, sizeof(w), "rtmr%u: SYNC record at line %zu: the register was "
			 "extended outside the log before it", p->rtmr, e->lineno);
		json_object_array_add(p->warnings, json_object_new_string(w));
	}
	if (!p->match && memcmp(e->rtmr_after, p->want, p->size) == 0)
		p->match = e->recnum;
	return 0;
}

static int stop_at(void *ctx, const struct evlog_entry *e)
{
	return e->recnum >= *(size_t *)ctx;
}

/* Replay the first `records` records of a log; note the PCRs they name. */
static int replay_prefix(const struct evidence_log *l, size_t records, struct covered *c)
{
	char err[256];

	evlog_replay_init(&c->rp, l->alg);
	if (evlog_replay_text(&c->rp, l->text, l->len, "log", stop_at, &records, err,
			      sizeof(err)) < 0)
		return -1;
	c->touched = c->rp.pcrs_named;
	c->have = true;
	return 0;
}

static bool check_one_rtmr(const struct evidence_log *l, const uint8_t *quoted,
			   struct covered *c, json_object *warnings, char *msg, size_t cap)
{
	struct prefix_ctx ctx = { .want = quoted, .size = l->alg->size, .warnings = warnings,
				  .rtmr = l->rtmr };
	struct evlog_replay rp;
	char err[400];

	evlog_replay_init(&rp, l->alg);
	if (evlog_replay_text(&rp, l->text, l->len, "log", find_prefix, &ctx, err,
			      sizeof(err)) < 0) {
		snprintf(msg, cap, "rtmr%u: %s", l->rtmr, err);
		return false;
	}
	if (!rp.started) {
		snprintf(msg, cap, "rtmr%u: the log has no INIT record", l->rtmr);
		return false;
	}
	if (!ctx.match) {
		snprintf(msg, cap, "rtmr%u: the quoted value matches no prefix of its log", l->rtmr);
		return false;
	}
	snprintf(msg, cap, "rtmr%u: quote covers records 1-%zu of %zu", l->rtmr, ctx.match,
		 rp.records);
	return replay_prefix(l, ctx.match, c) == 0;
}

static void check_rtmrs(struct verdict *v, const struct evidence *e, const struct tdx_quote *q,
			bool parsed, struct covered *cov)
{
	json_object *warnings = json_object_new_array();
	char detail[2048] = "", msg[512];
	bool ok = parsed && e->nlogs > 0;

	for (size_t i = 0; ok && i < e->nlogs; i++) {
		const struct evidence_log *l = &e->logs[i];

		if (l->rtmr >= TDX_RTMRS || l->alg->size != TDX_MR_SIZE || cov[l->rtmr].have) {
			snprintf(msg, sizeof(msg), "rtmr%u: not a TDX RTMR log (or given twice)",
				 l->rtmr);
			ok = false;
		} else {
			ok = check_one_rtmr(l, q->rtmr[l->rtmr], &cov[l->rtmr], warnings, msg,
					    sizeof(msg));
		}
		snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), "%s%s",
			 *detail ? "; " : "", msg);
	}
	if (!parsed)
		snprintf(detail, sizeof(detail), "quote could not be parsed");
	else if (e->nlogs == 0)
		snprintf(detail, sizeof(detail), "the evidence holds no logs");
	add_check(v, "rtmr-replay", ok, detail, warnings);
}

/* --- e: expected EK ------------------------------------------------------------------ */

static void check_expect_ek(struct verdict *v, const struct evidence *e, const char *path)
{
	EVP_PKEY *want = NULL, *have = NULL;
	char err[512];
	bool ok = false;

	if (tpm_ak_load(path, &want, err, sizeof(err)) < 0) {
		add_check(v, "expected-ek", false, err, NULL);
		return;
	}
	if (tpm_public_to_evp(e->ek_pub, e->ek_pub_len, &have, err, sizeof(err)) == 0)
		ok = EVP_PKEY_eq(want, have) == 1;
	add_check(v, "expected-ek", ok, ok ? "the evidence's EK is the expected key" :
		  "the evidence's EK is not the expected key", NULL);
	EVP_PKEY_free(want);
	EVP_PKEY_free(have);
}

/* --- f: a TPM quote against the PCRs the covered log prefix implies ------------------- */

static const uint8_t *pcr_of(const struct covered *cov, uint16_t alg_id, unsigned pcr,
			     size_t *size, uint8_t *scratch)
{
	const struct hash_alg *alg = hash_alg_by_tpm(alg_id);

	if (!alg)
		return NULL;
	*size = alg->size;
	for (unsigned r = 0; r < TDX_RTMRS; r++) {
		const struct evlog_pcr_bank *b;

		if (!cov[r].have || !(cov[r].touched & (1u << pcr)))
			continue;
		b = evlog_replay_bank(&cov[r].rp, alg);
		if (b)
			return b->value[pcr];
		memset(scratch, cov[r].rp.pcr_base[pcr], alg->size);
		return scratch;
	}
	/* never named by a covered record: the value after startup */
	memset(scratch, pcr_initial_byte(pcr), alg->size);
	return scratch;
}

static int implied_pcr(void *ctx, uint16_t alg, unsigned pcr, uint8_t *out, size_t *len)
{
	uint8_t scratch[HASH_MAX_SIZE];
	const uint8_t *v = pcr_of(ctx, alg, pcr, len, scratch);

	if (!v || pcr >= EVLOG_PCRS)
		return -1;
	memcpy(out, v, *len);
	return 0;
}

static int read_blob(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
	int r = read_file_all(path, data, len, 1 << 20);

	if (r < 0)
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-r));
	return r;
}

/* With tpm2_quote's -o file: name the quoted PCRs whose values the log does not explain. */
static void explain_pcrs(const char *path, const struct tpm_quote_info *info,
			 struct covered *cov, char *msg, size_t cap)
{
	_cleanup_free_ struct tpm_pcr_file *f = malloc(sizeof(*f));
	uint8_t digest[HASH_MAX_SIZE], want[HASH_MAX_SIZE];
	size_t dlen, n;
	char err[256];

	if (!f || tpm_pcr_file_load(path, f, err, sizeof(err)) < 0) {
		snprintf(msg + strlen(msg), cap - strlen(msg), "; %s", f ? err : "out of memory");
		return;
	}
	if (!tpm_pcr_selection_equal(&f->sel, &info->sel) ||
	    tpm_pcr_digest(&f->sel, info->sig_hash, tpm_pcr_file_value, f, digest, &dlen, err,
			   sizeof(err)) < 0 ||
	    dlen != info->pcr_digest_len || memcmp(digest, info->pcr_digest, dlen) != 0) {
		snprintf(msg + strlen(msg), cap - strlen(msg), "; %s does not match the quote",
			 path);
		return;
	}
	for (size_t i = 0; i < f->nvalues; i++) {
		const struct tpm_pcr_value *v = &f->values[i];

		if (implied_pcr(cov, v->alg, v->pcr, want, &n) == 0 && n == v->len &&
		    memcmp(want, v->value, n) == 0)
			continue;
		snprintf(msg + strlen(msg), cap - strlen(msg), "; PCR %u (%s) is not what the "
			 "log implies", v->pcr, hash_alg_by_tpm(v->alg) ?
			 hash_alg_by_tpm(v->alg)->name : "?");
	}
}

static void check_tpm_quote(struct verdict *v, const struct tool_options *o,
			    const uint8_t *nonce, size_t nonce_len, struct covered *cov)
{
	_cleanup_free_ char *msg = NULL, *sig = NULL;
	struct tpm_quote_info info;
	uint8_t digest[HASH_MAX_SIZE];
	size_t msglen, siglen, dlen;
	EVP_PKEY *ak = NULL;
	char err[512] = "";
	bool ok = false;

	if (read_blob(o->tpm_quote, &msg, &msglen, err, sizeof(err)) < 0 ||
	    read_blob(o->tpm_signature, &sig, &siglen, err, sizeof(err)) < 0 ||
	    tpm_ak_load(o->ak_public, &ak, err, sizeof(err)) < 0)
		goto out;
	if (tpm_quote_check((uint8_t *)msg, msglen, (uint8_t *)sig, siglen, ak, &info, err,
			    sizeof(err)) != 0)
		goto out;
	if (info.nonce_len != nonce_len || memcmp(info.nonce, nonce, nonce_len) != 0) {
		snprintf(err, sizeof(err), "the TPM quote's qualifying data is not the nonce");
		goto out;
	}
	if (tpm_pcr_digest(&info.sel, info.sig_hash, implied_pcr, cov, digest, &dlen, err,
			   sizeof(err)) < 0)
		goto out;
	if (dlen != info.pcr_digest_len || memcmp(digest, info.pcr_digest, dlen) != 0) {
		snprintf(err, sizeof(err), "the TPM quote's PCR digest differs from the PCR values "
			 "the covered log records imply");
		if (o->tpm_pcrs)
			explain_pcrs(o->tpm_pcrs, &info, cov, err, sizeof(err));
		goto out;
	}
	ok = true;
out:
	add_check(v, "tpm-quote", ok, ok ? "signed by the AK, qualified by the nonce, PCR "
		  "digest equals the PCR values implied by the covered log" : err, NULL);
	EVP_PKEY_free(ak);
}

/* --------------------------------------------------------------------------------- */

static int load_evidence(const char *path, struct evidence *e)
{
	_cleanup_free_ char *text = NULL;
	char err[512];
	int r = read_file_all(path, &text, NULL, 64u << 20);

	if (r < 0) {
		fprintf(stderr, "vtpm-rtmr: cannot read %s: %s\n", path, strerror(-r));
		return -1;
	}
	if (evidence_from_json(text, e, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

static bool tpm_quote_args(const struct tool_options *o, bool *given)
{
	int n = !!o->tpm_quote + !!o->tpm_signature + !!o->ak_public;

	*given = n > 0;
	if (n != 0 && n != 3) {
		fprintf(stderr, "vtpm-rtmr: --tpm-quote, --tpm-signature and --ak-public go "
			"together\n");
		return false;
	}
	return true;
}

static void print_verdict(struct verdict *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "verdict", json_object_new_string(v->all_pass ? "pass" : "fail"));
	json_object_object_add(o, "checks", v->checks);
	json_object_object_add(o, "notChecked", json_object_new_string(
		"TCB status and collateral (PCK CRLs, TCB info, QE identity) need Intel's "
		"provisioning service over the network: not checked"));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int tool_verify(const struct tool_options *o)
{
	struct verdict v = { .checks = json_object_new_array(), .all_pass = true };
	struct covered cov[TDX_RTMRS] = { 0 };
	uint8_t nonce[EVIDENCE_MAX_NONCE];
	struct evidence e;
	struct tdx_quote q;
	size_t nonce_len;
	bool parsed, tpm;

	if (!o->evidence || tool_read_nonce(o, nonce, sizeof(nonce), &nonce_len) < 0 ||
	    !tpm_quote_args(o, &tpm) || load_evidence(o->evidence, &e) < 0) {
		if (!o->evidence)
			fprintf(stderr, "vtpm-rtmr: verify needs --evidence FILE\n");
		json_object_put(v.checks);
		return 2;
	}
	check_quote(&v, &e, o->trust_anchor, &q, &parsed);
	check_binding(&v, &e, nonce, nonce_len, &q, parsed);
	check_rtmrs(&v, &e, &q, parsed, cov);
	if (o->expect_ek)
		check_expect_ek(&v, &e, o->expect_ek);
	if (tpm)
		check_tpm_quote(&v, o, nonce, nonce_len, cov);
	print_verdict(&v);
	evidence_free(&e);
	return v.all_pass ? 0 : 1;
}
