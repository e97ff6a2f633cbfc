// SPDX-License-Identifier: MIT
#include "tool/tool_log_cmds.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog/eventlog.h"
#include "tool/tool_log_formats.h"
#include "tool/tool_logs.h"
#include "common/util.h"

#define HEXBUF (2 * HASH_MAX_SIZE + 1)

static int load(const struct tool_options *o, struct tool_logs *logs, char **files, int nfiles)
{
	char err[512];

	if (tool_logs_load(logs, o->runtime_dir, files, (size_t)nfiles, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: %s\n", err);
		tool_logs_free(logs);
		return -1;
	}
	return 0;
}

struct show_ctx {
	const struct tool_log *log;
};

static int show_record(void *ctx, const struct evlog_entry *e)
{
	const struct tool_log *l = ((struct show_ctx *)ctx)->log;
	uint8_t digest[HASH_MAX_SIZE];
	char hex[HEXBUF];

	hash_digest(l->alg, e->line, e->len, digest);
	hex_encode(digest, l->alg->size, hex);
	printf("%5zu  rtmr%-2d %s/%s  %.*s\n", e->recnum, l->rtmr, l->alg->name, hex, (int)e->len,
	       e->line);
	return 0;
}

static int replay_log(const struct tool_log *l, struct evlog_replay *rp, evlog_record_cb cb,
		      void *ctx)
{
	char err[512];

	evlog_replay_init(rp, l->alg);
	if (evlog_replay_text(rp, l->text, l->len, l->path, cb, ctx, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: %s\n", err);
		return -1;
	}
	if (!rp->started) {
		fprintf(stderr, "vtpm-rtmr: %s: no INIT record\n", l->path);
		return -1;
	}
	return 0;
}

int tool_log_show(const struct tool_options *o, char **files, int nfiles)
{
	struct tool_logs logs;
	struct evlog_replay rp;
	int rc = 0;

	if (tool_log_format_is_binary(o->format))
		return tool_log_show_binary(o, files, nfiles);
	if (load(o, &logs, files, nfiles) < 0)
		return 2;
	printf("%5s  %-6s %-104s %s\n", "REC", "RTMR", "DIGEST", "RECORD");
	for (size_t i = 0; i < logs.n; i++) {
		struct show_ctx ctx = { .log = &logs.log[i] };

		if (replay_log(&logs.log[i], &rp, show_record, &ctx) < 0)
			rc = 2;
	}
	tool_logs_free(&logs);
	return rc;
}

static json_object *replay_json(const struct tool_log *l, const struct evlog_replay *rp,
				uint32_t pcrs)
{
	json_object *o = json_object_new_object(), *banks = json_object_new_object();
	char hex[HEXBUF];

	json_object_object_add(o, "file", json_object_new_string(l->path));
	json_object_object_add(o, "rtmr", json_object_new_int(l->rtmr));
	json_object_object_add(o, "hashAlg", json_object_new_string(l->alg->name));
	hex_encode(rp->rtmr, l->alg->size, hex);
	json_object_object_add(o, "value", json_object_new_string(hex));
	json_object_object_add(o, "records", json_object_new_int64((int64_t)rp->records));
	json_object_object_add(o, "syncRecords", json_object_new_int64((int64_t)rp->sync_records));
	for (size_t b = 0; b < EVLOG_BANKS; b++) {
		const struct evlog_pcr_bank *bank = &rp->banks[b];
		json_object *vals;

		if (!bank->used)
			continue;
		vals = json_object_new_object();
		for (unsigned p = 0; p < EVLOG_PCRS; p++) {
			char key[8];

			if (!(pcrs & (1u << p)))
				continue;
			snprintf(key, sizeof(key), "%u", p);
			hex_encode(bank->value[p], bank->alg->size, hex);
			json_object_object_add(vals, key, json_object_new_string(hex));
		}
		json_object_object_add(banks, bank->alg->name, vals);
	}
	json_object_object_add(o, "pcrs", banks);
	return o;
}

static void replay_text(const struct tool_log *l, const struct evlog_replay *rp, uint32_t pcrs)
{
	char hex[HEXBUF];

	hex_encode(rp->rtmr, l->alg->size, hex);
	printf("%s: rtmr%d %s/%s (%zu records, %zu SYNC)\n", l->path, l->rtmr, l->alg->name, hex,
	       rp->records, rp->sync_records);
	for (size_t b = 0; b < EVLOG_BANKS; b++) {
		const struct evlog_pcr_bank *bank = &rp->banks[b];

		for (unsigned p = 0; bank->used && p < EVLOG_PCRS; p++) {
			if (!(pcrs & (1u << p)))
				continue;
			hex_encode(bank->value[p], bank->alg->size, hex);
			printf("  pcr %2u %s/%s\n", p, bank->alg->name, hex);
		}
	}
}

int tool_log_replay(const struct tool_options *o, char **files, int nfiles)
{
	bool json = o->format && strcmp(o->format, "json") == 0;
	json_object *arr = json_object_new_array();
	struct tool_logs logs;
	struct evlog_replay rp;
	int rc = 0;

	if (load(o, &logs, files, nfiles) < 0) {
		json_object_put(arr);
		return 2;
	}
	for (size_t i = 0; i < logs.n; i++) {
		if (replay_log(&logs.log[i], &rp, NULL, NULL) < 0) {
			rc = 2;
			continue;
		}
		if (json)
			json_object_array_add(arr, replay_json(&logs.log[i], &rp, rp.pcrs_named));
		else
			replay_text(&logs.log[i], &rp, rp.pcrs_named);
	}
	if (json && rc == 0)
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY));
	json_object_put(arr);
	tool_logs_free(&logs);
	return rc;
}

struct part_ctx {
	const uint8_t *live;
	size_t size;
	size_t match_rec;   /* last record after which the replay equals the register */
	size_t match_line;
};

static int find_match(void *ctx, const struct evlog_entry *e)
{
	struct part_ctx *p = ctx;

	if (memcmp(e->rtmr_after, p->live, p->size) == 0) {
		p->match_rec = e->recnum;
		p->match_line = e->lineno;
	}
	return 0;
}

static int verify_one(struct rtmr_backend *b, const struct tool_log *l)
{
	uint8_t live[HASH_MAX_SIZE];
	struct part_ctx ctx = { .live = live };
	struct evlog_replay rp;
	char hl[HEXBUF], hr[HEXBUF];
	int r;

	if (l->rtmr < 0 || !rtmr_backend_has(b, (unsigned)l->rtmr) ||
	    rtmr_backend_alg(b, (unsigned)l->rtmr) != l->alg) {
		fprintf(stderr, "vtpm-rtmr: %s: backend %s has no %s register rtmr%d\n", l->path,
			rtmr_backend_name(b), l->alg->name, l->rtmr);
		return 2;
	}
	r = rtmr_backend_read(b, (unsigned)l->rtmr, live);
	if (r < 0) {
		fprintf(stderr, "vtpm-rtmr: reading rtmr%d: %s\n", l->rtmr, strerror(-r));
		return 2;
	}
	ctx.size = l->alg->size;
	if (replay_log(l, &rp, find_match, &ctx) < 0)
		return 2;
	hex_encode(live, l->alg->size, hl);
	hex_encode(rp.rtmr, l->alg->size, hr);
	if (memcmp(live, rp.rtmr, l->alg->size) == 0) {
		printf("rtmr%d: OK  %s (%zu records replayed from %s)\n", l->rtmr, hl, rp.records,
		       l->path);
		return 0;
	}
	printf("rtmr%d: MISMATCH  register %s, log replays to %s\n", l->rtmr, hl, hr);
	if (ctx.match_rec)
		printf("rtmr%d: they part after record %zu (line %zu of %s)\n", l->rtmr,
		       ctx.match_rec, ctx.match_line, l->path);
	else
		printf("rtmr%d: no prefix of %s matches the register: it was extended outside "
		       "the log, or the log was altered (they part at or before the last record)\n",
		       l->rtmr, l->path);
	return 1;
}

int tool_log_verify(const struct tool_options *o)
{
	struct rtmr_backend_config cfg = { .kind = o->backend, .rtmr_dir = o->rtmr_dir,
					   .runtime_dir = o->runtime_dir, .read_only = true };
	struct rtmr_backend *b = NULL;
	struct tool_logs logs;
	char err[512];
	int rc = 0;

	if (load(o, &logs, NULL, 0) < 0)
		return 2;
	if (rtmr_backend_open(&cfg, &b, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: %s\n", err);
		tool_logs_free(&logs);
		return 2;
	}
	for (size_t i = 0; i < logs.n; i++) {
		int r = verify_one(b, &logs.log[i]);

		if (r > rc)
			rc = r;
	}
	rtmr_backend_close(b);
	tool_logs_free(&logs);
	return rc;
}

int tool_log_export(const struct tool_options *o, char **files, int nfiles)
{
	const char *texts[TOOL_MAX_LOGS], *sources[TOOL_MAX_LOGS];
	size_t lens[TOOL_MAX_LOGS];
	unsigned idx[TOOL_MAX_LOGS];
	json_object *doc = NULL;
	struct tool_logs logs;
	char err[512];
	int rc = 0;

	if (tool_log_format_is_binary(o->format))
		return tool_log_export_binary(o, files, nfiles);
	if (o->format && strcmp(o->format, "cel-json") != 0) {
		fprintf(stderr, "vtpm-rtmr: unknown export format '%s' (cel-json, tcg2, ccel, "
				"cel-tlv)\n", o->format);
		return 2;
	}
	if (load(o, &logs, files, nfiles) < 0)
		return 2;
	for (size_t i = 0; i < logs.n; i++) {
		texts[i] = logs.log[i].text;
		lens[i] = logs.log[i].len;
		sources[i] = logs.log[i].path;
		idx[i] = logs.log[i].rtmr < 0 ? 0 : (unsigned)logs.log[i].rtmr;
	}
	if (evlog_export_cel_json(texts, lens, idx, sources, logs.n, logs.log[0].alg, &doc, err,
				  sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: %s\n", err);
		rc = 2;
	} else if (o->out) {
		if (json_object_to_file_ext(o->out, doc, JSON_C_TO_STRING_PRETTY) < 0) {
			fprintf(stderr, "vtpm-rtmr: cannot write %s: %s\n", o->out,
				json_util_get_last_err());
			rc = 2;
		}
	} else {
		printf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY));
	}
	json_object_put(doc);
	tool_logs_free(&logs);
	return rc;
}
