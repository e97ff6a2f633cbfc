// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: src/eventlog/eventlog.h.
 *
 * The input, and its first line, are parsed as one record (evlog_parse_record), replayed as a whole SHA-384 log
 * (evlog_replay_text, and again line by line with evlog_replay_line) and exported as CEL-JSON
 * (evlog_export_cel_json) and in the binary formats (src/eventlog/export_bin.h). Properties
 * checked besides memory safety:
 *  - a parsed INIT/SYNC/vtpm record is canonical: the evlog_fmt_* builder of what was parsed
 *    gives back exactly the line;
 *  - evlog_replay_line leaves the replay unchanged on error;
 *  - replaying the text whole or line by line gives the same state;
 *  - a log that replays from an INIT exports, with one JSON record per log record (its content
 *    the line) and the replayed register value;
 *  - its ccel and cel-tlv exports read back with one event per record, the ccel replay (from
 *    an INIT of zeros) is the register value; if its tcg2 export succeeds, that log's replay
 *    gives the PCRs the text's replay implies (PCRs 17-22 aside: they start at all-ones).
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog/eventlog.h"
#include "eventlog/cel_tlv.h"
#include "eventlog/export_bin.h"
#include "eventlog/tcg2.h"
#include "fuzz_common.h"
#include "common/hash_alg.h"
#include "common/util.h"

#define MAX_TRACKED 512

static void check_canonical(const char *line, size_t len, const struct evlog_record *rec)
{
	char buf[EVLOG_MAX_LINE + 1];
	int n = -2;

	switch (rec->kind) {
	case EVLOG_INIT:
		n = evlog_fmt_init(buf, sizeof(buf), rec->alg, rec->value);
		break;
	case EVLOG_SYNC:
		n = evlog_fmt_sync(buf, sizeof(buf), rec->alg, rec->value);
		break;
	case EVLOG_STARTUP_CLEAR:
		n = evlog_fmt_startup_clear(buf, sizeof(buf));
		break;
	case EVLOG_EK:
		FUZZ_CHECK(rec->ndigests == 1 && rec->digests[0].alg);
		/* The builder only makes sha256 EK records; the parser takes any alg (see README). */
		if (rec->digests[0].alg != hash_alg_by_name("sha256"))
			return;
		n = evlog_fmt_ek(buf, sizeof(buf), rec->digests[0].d);
		break;
	case EVLOG_EXTEND:
		FUZZ_CHECK(rec->pcr < EVLOG_PCRS);
		FUZZ_CHECK(rec->ndigests >= 1 && rec->ndigests <= EVLOG_MAX_DIGESTS);
		n = evlog_fmt_extend(buf, sizeof(buf), rec->pcr, rec->digests, rec->ndigests);
		break;
	case EVLOG_RESET:
		FUZZ_CHECK(rec->pcr < EVLOG_PCRS);
		n = evlog_fmt_reset(buf, sizeof(buf), rec->pcr);
		break;
	case EVLOG_AK:
		FUZZ_CHECK(rec->ndigests == 1 && rec->digests[0].alg);
		if (rec->digests[0].alg != hash_alg_by_name("sha256"))
			return;
		n = evlog_fmt_ak(buf, sizeof(buf), rec->digests[0].d);
		break;
	case EVLOG_MAP:
		FUZZ_CHECK(rec->pcr_mask >> EVLOG_PCRS == 0);
		n = evlog_fmt_map(buf, sizeof(buf), rec->pcr_mask);
		break;
	case EVLOG_RESTART:
		n = evlog_fmt_restart(buf, sizeof(buf));
		break;
	case EVLOG_OTHER:
	case EVLOG_COMMENT:
		return;
	}
	FUZZ_CHECK(n >= 0);
	FUZZ_CHECK((size_t)n == len && memcmp(buf, line, len) == 0);
}

static void parse_one(const char *line, size_t len)
{
	struct evlog_record rec;
	char err[256], tiny[8];

	if (evlog_parse_record(line, len, &rec, err, sizeof(err)) == 0) {
		FUZZ_CHECK(!evlog_line_is_comment(line, len));
		FUZZ_CHECK(evlog_check_line(line, len, NULL, 0) == 0);
		check_canonical(line, len, &rec);
	} else {
		fuzz_check_err(err, sizeof(err));
	}
	/* A short error buffer truncates; no buffer at all is allowed too. */
	if (evlog_parse_record(line, len, &rec, tiny, sizeof(tiny)) < 0)
		fuzz_check_err(tiny, sizeof(tiny));
	(void)evlog_parse_record(line, len, &rec, NULL, 0);
}

struct seen {
	size_t n;
	size_t off[MAX_TRACKED];
	size_t len[MAX_TRACKED];
	const char *text;
	size_t records;
};

static int on_record(void *ctx, const struct evlog_entry *e)
{
	struct seen *s = ctx;
	struct evlog_record rec;
	char err[256];

	FUZZ_CHECK(e->recnum == ++s->records);
	FUZZ_CHECK(e->lineno >= e->recnum);
	/* the record handed over is the line parsed */
	FUZZ_CHECK(evlog_parse_record(e->line, e->len, &rec, err, sizeof(err)) == 0);
	FUZZ_CHECK(rec.kind == e->rec->kind && rec.pcr == e->rec->pcr);
	if (s->n < MAX_TRACKED) {
		s->off[s->n] = (size_t)(e->line - s->text);
		s->len[s->n++] = e->len;
	}
	return 0;
}

/* Replay line by line; 0 if every line replayed (and the text ends with LF). */
static int replay_lines(struct evlog_replay *r, const char *text, size_t len)
{
	size_t pos = 0;
	char err[256];

	while (pos < len) {
		const char *lf = memchr(text + pos, '\n', len - pos);
		size_t n = lf ? (size_t)(lf - (text + pos)) : len - pos;
		struct evlog_replay before = *r;

		if (!lf)
			return -1;
		if (evlog_replay_line(r, text + pos, n, NULL, err, sizeof(err)) < 0) {
			fuzz_check_err(err, sizeof(err));
			FUZZ_CHECK(memcmp(&before, r, sizeof(before)) == 0);
			return -1;
		}
		pos += n + 1;
	}
	return 0;
}

static const char *str_at(struct json_object *o, const char *key)
{
	struct json_object *v = json_object_object_get(o, key);

	FUZZ_CHECK(v && json_object_is_type(v, json_type_string));
	return json_object_get_string(v);
}

static void check_export(const char *text, size_t len, const struct hash_alg *alg,
			 const struct evlog_replay *r, const struct seen *s)
{
	static const unsigned idx[] = { 2 };
	const char *const sources[] = { "fuzz.log" };
	struct json_object *doc = NULL, *records, *regs;
	char err[256], hex[2 * HASH_MAX_SIZE + 1];
	int rc;

	rc = evlog_export_cel_json(&text, &len, idx, sources, 1, alg, &doc, err, sizeof(err));
	if (!r->started) {
		/* nothing to export: a log starts with INIT */
		FUZZ_CHECK(rc < 0);
		fuzz_check_err(err, sizeof(err));
		return;
	}
	FUZZ_CHECK(rc == 0 && doc);
	records = json_object_object_get(doc, "records");
	regs = json_object_object_get(doc, "registers");
	FUZZ_CHECK(records && json_object_array_length(records) == r->records);
	FUZZ_CHECK(regs && json_object_array_length(regs) == 1);
	hex_encode(r->rtmr, alg->size, hex);
	FUZZ_CHECK(strcmp(str_at(json_object_array_get_idx(regs, 0), "value"), hex) == 0);
	for (size_t i = 0; i < s->n && i < r->records; i++) {
		struct json_object *rec = json_object_array_get_idx(records, i);
		struct json_object *c = json_object_object_get(rec, "content");

		FUZZ_CHECK(c && (size_t)json_object_get_string_len(c) == s->len[i]);
		FUZZ_CHECK(memcmp(json_object_get_string(c), text + s->off[i], s->len[i]) == 0);
	}
	json_object_put(doc);

	/* The same log twice for one RTMR is an error; for two RTMRs it doubles the records. */
	{
		const char *texts[] = { text, text };
		const size_t lens[] = { len, len };
		const unsigned same[] = { 1, 1 }, two[] = { 1, 2 };

		doc = NULL;
		FUZZ_CHECK(evlog_export_cel_json(texts, lens, same, NULL, 2, alg, &doc, err,
						 sizeof(err)) < 0);
		FUZZ_CHECK(evlog_export_cel_json(texts, lens, two, NULL, 2, alg, &doc, err,
						 sizeof(err)) == 0);
		records = json_object_object_get(doc, "records");
		FUZZ_CHECK(json_object_array_length(records) == 2 * r->records);
		json_object_put(doc);
	}
}

static void check_tcg2_pcrs(const struct tcg2_replay *t, const struct evlog_replay *r)
{
	static const uint8_t zero[HASH_MAX_SIZE];
	size_t nalgs;
	const struct hash_alg *algs = hash_alg_all(&nalgs);

	for (size_t a = 0; a < nalgs; a++) {
		const struct evlog_pcr_bank *b = evlog_replay_bank(r, &algs[a]);

		for (unsigned p = 0; p < EVLOG_PCRS; p = p == 16 ? 23 : p + 1) {
			const uint8_t *got = tcg2_replay_value(t, &algs[a], p);

			FUZZ_CHECK(memcmp(got ? got : zero, b ? b->value[p] : zero,
					  algs[a].size) == 0);
		}
	}
}

/* The first record is INIT with an all-zero value. */
static bool init_is_zero(const char *text, size_t len)
{
	static const uint8_t zero[HASH_MAX_SIZE];
	struct evlog_record rec;
	size_t pos = 0;

	while (pos < len) {
		const char *lf = memchr(text + pos, '\n', len - pos);
		size_t n = lf ? (size_t)(lf - (text + pos)) : len - pos;

		if (!evlog_line_is_comment(text + pos, n))
			return evlog_parse_record(text + pos, n, &rec, NULL, 0) == 0 &&
			       rec.kind == EVLOG_INIT && memcmp(rec.value, zero, rec.alg->size) == 0;
		pos += n + 1;
	}
	return false;
}

static void check_binary_exports(const char *text, size_t len, const struct hash_alg *alg,
				 const struct evlog_replay *r)
{
	struct evlog_export_log log = { .text = text, .len = len, .rtmr = 2, .name = "fuzz.log" };
	uint8_t values[4][HASH_MAX_SIZE];
	struct evlog_export_stats st;
	struct tcg2_log_info info;
	struct tcg2_replay *t = malloc(sizeof(*t));
	struct bytebuf b = { 0 };
	size_t n = 0;
	char err[256];

	if (!t)
		abort();
	FUZZ_CHECK(evlog_export_ccel(&log, 1, alg, false, &b, &st, err, sizeof(err)) == 0);
	FUZZ_CHECK(st.events == r->records && st.records == r->records);
	FUZZ_CHECK(tcg2_replay_mr(b.data, b.len, alg, values, 4, NULL, err, sizeof(err)) == 0);
	FUZZ_CHECK(tcg2_log_parse(b.data, b.len, NULL, NULL, &info, err, sizeof(err)) == 0);
	FUZZ_CHECK(info.events == r->records && info.padding == 0 && !info.has_spec_id);
	if (r->sync_records == 0 && init_is_zero(text, len))
		FUZZ_CHECK(memcmp(values[3], r->rtmr, alg->size) == 0);
	bytebuf_free(&b);
	FUZZ_CHECK(evlog_export_cel_tlv(&log, 1, alg, &b, &st, err, sizeof(err)) == 0);
	FUZZ_CHECK(cel_tlv_parse(b.data, b.len, NULL, NULL, &n, err, sizeof(err)) == 0);
	FUZZ_CHECK(n == r->records);
	bytebuf_free(&b);
	if (evlog_export_tcg2(&log, 1, alg, &b, NULL, err, sizeof(err)) == 0) {
		FUZZ_CHECK(tcg2_replay_log(t, b.data, b.len, NULL, err, sizeof(err)) == 0);
		check_tcg2_pcrs(t, r);
	} else {
		fuzz_check_err(err, sizeof(err));
	}
	bytebuf_free(&b);
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct hash_alg *alg = hash_alg_by_name("sha384");
	const char *text = (const char *)data;
	struct evlog_replay *whole, *bylines;
	struct seen *s;
	char err[256];
	int rc;

	parse_one(text, size);
	if (memchr(text, '\n', size)) {
		/* the first line alone, from its own buffer (a log's first line is a record too) */
		size_t n = (size_t)((const char *)memchr(text, '\n', size) - text);
		char *first = fuzz_dup(text, n);

		parse_one(first, n);
		free(first);
	}

	whole = malloc(sizeof(*whole));
	bylines = malloc(sizeof(*bylines));
	s = calloc(1, sizeof(*s));
	if (!whole || !bylines || !s)
		abort();
	s->text = text;
	evlog_replay_init(whole, alg);
	rc = evlog_replay_text(whole, text, size, "fuzz.log", on_record, s, err, sizeof(err));
	if (rc < 0)
		fuzz_check_err(err, sizeof(err));
	else
		FUZZ_CHECK(s->records == whole->records);

	evlog_replay_init(bylines, alg);
	FUZZ_CHECK(replay_lines(bylines, text, size) == rc);
	if (rc == 0) {
		FUZZ_CHECK(memcmp(whole, bylines, sizeof(*whole)) == 0);
		check_export(text, size, alg, whole, s);
		if (whole->started)
			check_binary_exports(text, size, alg, whole);
	}
	free(whole);
	free(bylines);
	free(s);
	return 0;
}
