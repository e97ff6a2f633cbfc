// SPDX-License-Identifier: MIT
/* Event-log replay: the RTMR value a log implies, and the PCR values its vtpm records imply. */
#include "eventlog/eventlog.h"
#include "common/util.h"
#include "tpm_cmds/pcr_cmds.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void evlog_replay_init(struct evlog_replay *r, const struct hash_alg *rtmr_alg)
{
	size_t nalgs;
	const struct hash_alg *algs = hash_alg_all(&nalgs);

	memset(r, 0, sizeof(*r));
	r->alg = rtmr_alg;
	for (size_t i = 0; i < nalgs && i < EVLOG_BANKS; i++)
		r->banks[i].alg = &algs[i];
	for (unsigned p = 0; p < EVLOG_PCRS; p++)
		r->pcr_base[p] = pcr_initial_byte(p);
}

static struct evlog_pcr_bank *bank_slot(struct evlog_replay *r, const struct hash_alg *alg)
{
	for (size_t i = 0; i < EVLOG_BANKS; i++)
		if (r->banks[i].alg == alg)
			return &r->banks[i];
	return NULL;
}

const struct evlog_pcr_bank *evlog_replay_bank(const struct evlog_replay *r,
					       const struct hash_alg *alg)
{
	for (size_t i = 0; i < EVLOG_BANKS; i++)
		if (r->banks[i].alg == alg && r->banks[i].used)
			return &r->banks[i];
	return NULL;
}

static void startup_clear(struct evlog_replay *r)
{
	for (unsigned p = 0; p < EVLOG_PCRS; p++)
		r->pcr_base[p] = pcr_initial_byte(p);
	for (size_t i = 0; i < EVLOG_BANKS; i++)
		for (unsigned p = 0; p < EVLOG_PCRS; p++)
			memset(r->banks[i].value[p], r->pcr_base[p], sizeof(r->banks[i].value[p]));
}

static void pcr_reset(struct evlog_replay *r, unsigned pcr)
{
	r->pcr_base[pcr] = 0;
	for (size_t i = 0; i < EVLOG_BANKS; i++)
		memset(r->banks[i].value[pcr], 0, sizeof(r->banks[i].value[pcr]));
}

/* A bank first seen holds, for every PCR, the value since its last startup clear or reset. */
static void bank_use(struct evlog_replay *r, struct evlog_pcr_bank *b)
{
	if (b->used)
		return;
	for (unsigned p = 0; p < EVLOG_PCRS; p++)
		memset(b->value[p], r->pcr_base[p], sizeof(b->value[p]));
	b->used = true;
}

/* Extend every listed bank; nothing changes unless every hash succeeds. */
static int pcr_extend(struct evlog_replay *r, const struct evlog_record *rec)
{
	uint8_t next[EVLOG_MAX_DIGESTS][HASH_MAX_SIZE];
	struct evlog_pcr_bank *b[EVLOG_MAX_DIGESTS];

	for (size_t i = 0; i < rec->ndigests; i++) {
		const struct hash_alg *alg = rec->digests[i].alg;

		b[i] = bank_slot(r, alg);
		if (!b[i])
			return -1;
		if (b[i]->used)
			memcpy(next[i], b[i]->value[rec->pcr], alg->size);
		else
			memset(next[i], r->pcr_base[rec->pcr], alg->size);
		if (hash_extend(alg, next[i], rec->digests[i].d, alg->size) < 0)
			return -1;
	}
	for (size_t i = 0; i < rec->ndigests; i++) {
		bank_use(r, b[i]);
		memcpy(b[i]->value[rec->pcr], next[i], rec->digests[i].alg->size);
	}
	return 0;
}

static int apply_pcrs(struct evlog_replay *r, const struct evlog_record *rec)
{
	switch (rec->kind) {
	case EVLOG_STARTUP_CLEAR:
		startup_clear(r);
		return 0;
	case EVLOG_RESET:
		pcr_reset(r, rec->pcr);
		return 0;
	case EVLOG_EXTEND:
		return pcr_extend(r, rec);
	default:
		return 0;
	}
}

/* INIT first and only first; INIT and SYNC values of the RTMR's hash. */
static int check_order(const struct evlog_replay *r, const struct evlog_record *rec, char *err,
		       size_t errlen)
{
	const char *what = rec->kind == EVLOG_INIT ? "INIT" : "SYNC";

	if (!r->started && rec->kind != EVLOG_INIT)
		return set_error(err, errlen, "first record is not INIT");
	if (r->started && rec->kind == EVLOG_INIT)
		return set_error(err, errlen, "INIT record after the first record");
	if ((rec->kind == EVLOG_INIT || rec->kind == EVLOG_SYNC) && rec->alg != r->alg)
		return set_error(err, errlen, "%s value is %s but the RTMR's hash is %s", what,
			    rec->alg->name, r->alg->name);
	return 0;
}

static bool same_digest(const struct evlog_digest *a, const struct evlog_digest *b)
{
	return a->alg == b->alg && a->alg && memcmp(a->d, b->d, a->alg->size) == 0;
}

/* A complete group after `vtpm restart`: the one before it, repeated. */
static void check_restart(struct evlog_replay *r)
{
	const struct evlog_group *was = &r->group, *now = &r->open;
	const char *what = NULL;

	if (!was->record)
		what = "a vtpm restart with no vtpm startup clear group before it";
	else if (was->map != now->map)
		what = "a vtpm restart whose vtpm map differs from the group before it";
	else if (!same_digest(&was->ek, &now->ek) || !same_digest(&was->ak, &now->ak))
		what = "a vtpm restart whose EK or AK differs from the group before it";
	if (what)
		r->restart_error_last = now->record;
	if (what && !r->restart_error) {
		r->restart_error = now->record;
		r->restart_error_what = what;
	}
}

static void group_broken(struct evlog_replay *r, const char *what)
{
	r->group_error_last = r->records;
	if (!r->group_error) {
		r->group_error = r->records;
		r->group_error_what = what;
	}
	r->group_step = 0;
}

/* The group rule, for the record just counted (r->records). */
static void track_group(struct evlog_replay *r, const struct evlog_record *rec)
{
	static const enum evlog_kind next[] = { 0, EVLOG_MAP, EVLOG_EK, EVLOG_AK };

	switch (rec->kind) {
	case EVLOG_STARTUP_CLEAR:
	case EVLOG_RESTART:
		if (r->group_step)
			group_broken(r, "a group not finished before the next startup or restart");
		r->open = (struct evlog_group){ .record = r->records };
		r->open_restart = rec->kind == EVLOG_RESTART;
		r->group_step = 1;
		if (rec->kind == EVLOG_STARTUP_CLEAR)
			r->last_startup = r->records;
		return;
	case EVLOG_MAP:
	case EVLOG_EK:
	case EVLOG_AK:
		if (!r->group_step || rec->kind != next[r->group_step]) {
			group_broken(r, "a vtpm map, ek or ak record out of its place after "
				     "startup or restart");
			return;
		}
		if (rec->kind == EVLOG_MAP)
			r->open.map = rec->pcr_mask;
		else if (rec->kind == EVLOG_EK)
			r->open.ek = rec->digests[0];
		else
			r->open.ak = rec->digests[0];
		if (++r->group_step == ARRAY_SIZE(next)) {
			if (r->open_restart)
				check_restart(r);
			r->group = r->open;
			r->group_step = 0;
		}
		return;
	case EVLOG_SYNC:
		r->last_sync = r->records;
		return;
	default:
		if (r->group_step)
			group_broken(r, "a record inside the map, ek, ak group after startup or "
				     "restart");
		return;
	}
}

static void commit(struct evlog_replay *r, const struct evlog_record *rec, const uint8_t *before,
		   const uint8_t *after, const uint8_t *digest)
{
	size_t n = r->alg->size;

	memcpy(r->rtmr_before_last, before, n);
	memcpy(r->rtmr, after, n);
	memcpy(r->last_digest, digest, n);
	r->started = true;
	r->records++;
	if (rec->kind == EVLOG_SYNC)
		r->sync_records++;
	if (rec->kind == EVLOG_EXTEND || rec->kind == EVLOG_RESET)
		r->pcrs_named |= 1u << rec->pcr;
	track_group(r, rec);
}

int evlog_marker_digest(const struct hash_alg *alg, const uint8_t *rtmr, size_t rtmr_len,
			uint8_t *out)
{
	uint8_t msg[sizeof(EVLOG_MARKER_TEXT) - 1 + HASH_MAX_SIZE];
	size_t n = sizeof(EVLOG_MARKER_TEXT) - 1;

	if (rtmr_len > HASH_MAX_SIZE)
		return -1;
	memcpy(msg, EVLOG_MARKER_TEXT, n);
	memcpy(msg + n, rtmr, rtmr_len);
	return hash_digest(alg, msg, n + rtmr_len, out);
}

int evlog_replay_line(struct evlog_replay *r, const char *line, size_t len,
		      struct evlog_record *out, char *err, size_t errlen)
{
	uint8_t digest[HASH_MAX_SIZE], before[HASH_MAX_SIZE], after[HASH_MAX_SIZE];
	struct evlog_record tmp, *rec = out ? out : &tmp;

	if (!r->alg)
		return set_error(err, errlen, "no RTMR hash algorithm");
	if (evlog_check_line(line, len, err, errlen) < 0)
		return -1;
	if (evlog_line_is_comment(line, len)) {
		rec->kind = EVLOG_COMMENT;
		return 0;
	}
	if (evlog_parse_record(line, len, rec, err, errlen) < 0 ||
	    check_order(r, rec, err, errlen) < 0)
		return -1;
	/* INIT and SYNC state the register value before them. */
	memcpy(before, rec->kind == EVLOG_INIT || rec->kind == EVLOG_SYNC ? rec->value : r->rtmr,
	       r->alg->size);
	memcpy(after, before, r->alg->size);
	if (hash_digest(r->alg, line, len, digest) < 0 ||
	    hash_extend(r->alg, after, digest, r->alg->size) < 0 || apply_pcrs(r, rec) < 0)
		return set_error(err, errlen, "hash computation failed");
	commit(r, rec, before, after, digest);
	return 0;
}

static int fail_at(char *err, size_t errlen, const char *source, size_t lineno, const char *what)
{
	return set_error(err, errlen, "%s:%zu: %s", source ? source : "log", lineno, what);
}

int evlog_replay_text(struct evlog_replay *r, const char *text, size_t len, const char *source,
		      evlog_record_cb cb, void *ctx, char *err, size_t errlen)
{
	size_t pos = 0, lineno = 0;
	struct evlog_record rec;
	char what[256];

	while (pos < len) {
		const char *line = text + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t n = lf ? (size_t)(lf - line) : len - pos;
		struct evlog_entry e = { .lineno = ++lineno, .line = line, .len = n, .rec = &rec };
		int stop;

		if (!lf)
			return fail_at(err, errlen, source, lineno,
				       "truncated last record (no LF at the end)");
		if (evlog_replay_line(r, line, n, &rec, what, sizeof(what)) < 0)
			return fail_at(err, errlen, source, lineno, what);
		pos += n + 1;
		if (!cb || rec.kind == EVLOG_COMMENT)
			continue;
		e.recnum = r->records;
		e.rtmr_after = r->rtmr;
		stop = cb(ctx, &e);
		if (stop > 0)
			return stop;
	}
	return 0;
}
