// SPDX-License-Identifier: MIT
/*
 * vtpm-rtmr verify: the logs against the TEE quote's RTMRs. Every RTMR not at its initial
 * value must be explained by its log (a prefix replays to it), each log's INIT must be zero or
 * the firmware CCEL's final value, SYNC records break the chain, the map/ek/ak group must be
 * where the daemon writes it (after `vtpm restart`: the group before it, repeated), and the
 * last group must name the evidence's EK.
 */
#include <json-c/json.h>
#include <string.h>

#include "common/hash_alg.h"
#include "common/util.h"
#include "eventlog/tcg2.h"
#include "tool/tool_verify.h"

#define CCEL_MRS (VERIFY_RTMRS + 1) /* MR index 0 = MRTD, RTMR N = N + 1 */

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- which prefix the TEE quote covers ---- */

struct cover_ctx {
	const uint8_t *want;
	size_t size;
	size_t match;   /* records after which the replay equals want; SIZE_MAX: none */
	uint8_t init[HASH_MAX_SIZE];
};

static int find_cover(void *ctx, const struct evlog_entry *e)
{
	struct cover_ctx *c = ctx;

	if (e->recnum == 1) {
		memcpy(c->init, e->rec->value, c->size);
		if (memcmp(c->init, c->want, c->size) == 0)
			c->match = 0; /* the quote predates the log's first record */
	}
	if (c->match == SIZE_MAX && memcmp(e->rtmr_after, c->want, c->size) == 0)
		c->match = e->recnum;
	return 0;
}

/* The covered prefix of l for the quoted value; false with why when there is none. */
static bool cover(struct vlog *l, const uint8_t *quoted, uint8_t *init, char *why, size_t cap)
{
	struct cover_ctx c = { .want = quoted, .size = l->log->alg->size, .match = SIZE_MAX };
	struct evlog_replay rp;
	char err[400];

	evlog_replay_init(&rp, l->log->alg);
	if (evlog_replay_text(&rp, l->log->text, l->log->len, "log", find_cover, &c, err,
			      sizeof(err)) < 0) {
		snprintf(why, cap, "%s", err);
		return false;
	}
	l->records = rp.records;
	if (!rp.started) {
		snprintf(why, cap, "the log has no INIT record");
		return false;
	}
	memcpy(init, c.init, c.size);
	if (c.match == SIZE_MAX) {
		snprintf(why, cap, "the quoted value matches no prefix of its log (the register "
			 "was extended outside the log, or the log was altered)");
		return false;
	}
	l->covered = c.match;
	return true;
}

/* ---- the covered prefix: groups and SYNC ---- */

struct prefix_ctx {
	const struct evlog_replay *rp;
	struct vlog *l;
	size_t last_group; /* rp->group.record seen before this record */
};

static int scan_prefix(void *ctx, const struct evlog_entry *e)
{
	struct prefix_ctx *p = ctx;

	if (p->rp->group.record != p->last_group) {
		p->l->group_done = e->recnum;
		p->last_group = p->rp->group.record;
	}
	return e->recnum >= p->l->covered;
}

static void scan(struct vlog *l)
{
	struct evlog_replay rp;
	struct prefix_ctx p = { .rp = &rp, .l = l };
	char err[256];

	if (!l->covered)
		return;
	evlog_replay_init(&rp, l->log->alg);
	if (evlog_replay_text(&rp, l->log->text, l->log->len, "log", scan_prefix, &p, err,
			      sizeof(err)) < 0)
		return; /* cover() replayed the whole log: cannot happen */
	l->syncs = rp.sync_records;
	l->group = rp.group;
	l->group_error = rp.group_error;
	l->group_error_what = rp.group_error_what;
	l->restart_error = rp.restart_error;
	l->restart_error_what = rp.restart_error_what;
}

/* ---- the checks ---- */

static const struct evidence_log *log_of(const struct evidence *e, unsigned rtmr, bool *twice)
{
	const struct evidence_log *found = NULL;

	*twice = false;
	for (size_t i = 0; i < e->nlogs; i++) {
		if (e->logs[i].rtmr != rtmr)
			continue;
		*twice |= found != NULL;
		found = &e->logs[i];
	}
	return found;
}

static void append(char *detail, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void append(char *detail, const char *fmt, ...)
{
	size_t n = strlen(detail);
	va_list ap;

	if (n && n < VERIFY_DETAIL - 2) {
		memcpy(detail + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(detail + n, VERIFY_DETAIL - n, fmt, ap);
	va_end(ap);
}

/* One RTMR: explained or initial; INIT into init (zero when there is no log). */
static bool explain_rtmr(struct verify_ctx *c, unsigned i, uint8_t *init, char *detail)
{
	struct vlog *l = &c->rtmr[i];
	const uint8_t *quoted = c->q.rtmr[i];
	char why[512];
	bool twice;

	memset(init, 0, TDX_MR_SIZE);
	l->log = log_of(c->e, i, &twice);
	l->have_log = l->log != NULL;
	if (twice) {
		append(detail, "rtmr%u: two logs in the evidence", i);
		return false;
	}
	if (!l->have_log) {
		if (all_zero(quoted, TDX_MR_SIZE)) {
			append(detail, "rtmr%u: at its initial value, no log", i);
			return true;
		}
		append(detail, "rtmr%u: not at its initial value and the evidence has no log "
		       "for it", i);
		return false;
	}
	if (l->log->alg->size != TDX_MR_SIZE) {
		append(detail, "rtmr%u: its log is of %s, not sha384", i, l->log->alg->name);
		return false;
	}
	if (!cover(l, quoted, init, why, sizeof(why))) {
		append(detail, "rtmr%u: %s", i, why);
		return false;
	}
	append(detail, "rtmr%u: the quote covers records 1-%zu of %zu", i, l->covered,
	       l->records);
	return true;
}

static void check_rtmrs(struct verdict *v, struct verify_ctx *c,
			uint8_t init[VERIFY_RTMRS][TDX_MR_SIZE])
{
	char detail[VERIFY_DETAIL] = "";
	bool ok = true;

	for (size_t k = 0; k < c->e->nlogs; k++)
		if (c->e->logs[k].rtmr >= VERIFY_RTMRS) {
			append(detail, "a log for rtmr%u, which TDX does not have", c->e->logs[k].rtmr);
			ok = false;
		}
	for (unsigned i = 0; i < VERIFY_RTMRS; i++) {
		c->rtmr[i].explained = c->quote_parsed && explain_rtmr(c, i, init[i], detail);
		ok &= c->rtmr[i].explained;
		if (c->rtmr[i].explained)
			scan(&c->rtmr[i]);
	}
	if (!c->quote_parsed)
		snprintf(detail, sizeof(detail), "the TEE quote could not be parsed");
	verdict_add(v, "rtmr-explained", ok, "%s", detail);
}

/* A log's INIT: zero, or what the firmware left in that RTMR (its CCEL replayed). */
static void check_init(struct verdict *v, struct verify_ctx *c,
		       uint8_t init[VERIFY_RTMRS][TDX_MR_SIZE])
{
	uint8_t mr[CCEL_MRS][HASH_MAX_SIZE];
	char detail[VERIFY_DETAIL] = "", err[300] = "";
	bool ok = true, ccel_ok = false;

	if (c->e->ccel)
		ccel_ok = tcg2_replay_mr(c->e->ccel, c->e->ccel_len, hash_alg_by_name("sha384"), mr,
					 CCEL_MRS, NULL, err, sizeof(err)) == 0;
	for (unsigned i = 0; i < VERIFY_RTMRS; i++) {
		if (!c->rtmr[i].explained || !c->rtmr[i].have_log)
			continue;
		if (all_zero(init[i], TDX_MR_SIZE)) {
			append(detail, "rtmr%u: INIT is zero", i);
		} else if (!c->e->ccel) {
			append(detail, "rtmr%u: INIT is not zero and the evidence carries no CCEL "
			       "to explain it", i);
			ok = false;
		} else if (!ccel_ok) {
			append(detail, "rtmr%u: INIT is not zero and the CCEL is malformed: %s", i,
			       err);
			ok = false;
		} else if (memcmp(mr[i + 1], init[i], TDX_MR_SIZE) != 0) {
			append(detail, "rtmr%u: INIT is not the CCEL's final value of MR %u", i, i + 1);
			ok = false;
		} else {
			append(detail, "rtmr%u: INIT is the CCEL's final value of MR %u", i, i + 1);
		}
	}
	verdict_add(v, "init-anchored", ok, "%s", *detail ? detail : "no log to anchor");
}

static void check_sync(struct verdict *v, struct verify_ctx *c)
{
	struct json_object *warnings = json_object_new_array();
	char detail[VERIFY_DETAIL] = "", w[200];
	size_t total = 0;

	for (unsigned i = 0; i < VERIFY_RTMRS; i++) {
		if (!c->rtmr[i].syncs)
			continue;
		total += c->rtmr[i].syncs;
		snprintf(w, sizeof(w), "rtmr%u: %zu SYNC record(s): the register was extended "
			 "outside the log; records before it are not anchored", i,
			 c->rtmr[i].syncs);
		json_object_array_add(warnings, json_object_new_string(w));
	}
	if (!total) {
		json_object_put(warnings);
		verdict_add(v, "sync", true, "no SYNC record in the covered logs");
		return;
	}
	snprintf(detail, sizeof(detail), "%zu SYNC record(s) in the covered logs%s", total,
		 c->opts->allow_sync ? ": accepted (--allow-sync); no PCR that depends on "
		 "records before one is verified" : "; --allow-sync accepts them for the RTMR "
		 "replay only");
	verdict_add_warned(v, "sync", c->opts->allow_sync, warnings, "%s", detail);
}

static void check_groups(struct verdict *v, struct verify_ctx *c)
{
	char detail[VERIFY_DETAIL] = "";
	bool ok = true;

	for (unsigned i = 0; i < VERIFY_RTMRS; i++) {
		const struct vlog *l = &c->rtmr[i];

		if (!l->explained || !l->have_log || !l->covered)
			continue;
		if (l->group_error && l->group_error <= l->covered) {
			append(detail, "rtmr%u: record %zu: %s", i, l->group_error,
			       l->group_error_what);
			ok = false;
		} else if (l->restart_error) {
			/* PCR values carried across a restart from another TPM or map */
			append(detail, "rtmr%u: record %zu: %s", i, l->restart_error,
			       l->restart_error_what);
			ok = false;
		} else if (!l->group_done) {
			append(detail, "rtmr%u: no complete vtpm map, ek, ak group in the covered "
			       "records", i);
			ok = false;
		} else {
			append(detail, "rtmr%u: the last group ends at record %zu", i, l->group_done);
		}
	}
	verdict_add(v, "log-groups", ok, "%s", *detail ? detail : "no covered log");
}

static void check_ek(struct verdict *v, struct verify_ctx *c)
{
	uint8_t ek[32];
	char detail[VERIFY_DETAIL] = "";
	bool ok = true, any = false;

	if (hash_digest(hash_alg_by_name("sha256"), c->e->ek_pub, c->e->ek_pub_len, ek) < 0) {
		verdict_add(v, "ek-identity", false, "cannot hash the evidence's EK");
		return;
	}
	for (unsigned i = 0; i < VERIFY_RTMRS; i++) {
		const struct vlog *l = &c->rtmr[i];

		if (!l->explained || !l->group_done)
			continue;
		any = true;
		if (l->group.ek.alg == hash_alg_by_name("sha256") && all_zero(l->group.ek.d, 32)) {
			append(detail, "rtmr%u: its last group names no EK (all zero: the daemon could "
			       "not establish its identity)", i);
			ok = false;
		} else if (l->group.ek.alg != hash_alg_by_name("sha256") ||
			   memcmp(l->group.ek.d, ek, 32)) {
			append(detail, "rtmr%u: its last group names another EK", i);
			ok = false;
		}
	}
	if (!any)
		verdict_add(v, "ek-identity", false, "no covered log names an EK");
	else
		verdict_add(v, "ek-identity", ok, "%s", ok ? "every log's last group names the "
			    "evidence's EK (sha256 of its TPMT_PUBLIC)" : detail);
}

void verify_logs(struct verdict *v, struct verify_ctx *c)
{
	uint8_t init[VERIFY_RTMRS][TDX_MR_SIZE];

	check_rtmrs(v, c, init);
	check_init(v, c, init);
	check_sync(v, c);
	check_groups(v, c);
	check_ek(v, c);
}
