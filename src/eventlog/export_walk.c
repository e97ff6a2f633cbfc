// SPDX-License-Identifier: MIT
/* Replay logs and visit every record (shared by the binary exports). */
#include "eventlog/export_walk.h"

#include <string.h>

#include "common/util.h"

struct walk {
	const struct evlog_export_log *log;
	const struct evlog_replay *r;
	export_visit_fn visit;
	void *ctx;
	bool failed;
	char what[256];
};

/* Stops the replay (a positive return) when the visitor fails. */
static int on_record(void *ctx, const struct evlog_entry *e)
{
	struct walk *w = ctx;
	struct export_record r = { .log = w->log, .line = e->line, .len = e->len, .rec = e->rec,
				   .digest = w->r->last_digest };

	if (w->visit(w->ctx, &r, w->what, sizeof(w->what)) != 0) {
		w->failed = true;
		return 1;
	}
	return 0;
}

static int check_unique(const struct evlog_export_log *logs, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (logs[i].rtmr == logs[j].rtmr)
				return set_error(err, errlen, "two logs for RTMR %u (%s, %s)",
						 logs[i].rtmr, logs[j].name ? logs[j].name : "log",
						 logs[i].name ? logs[i].name : "log");
	return 0;
}

static int walk_one(struct walk *w, const struct hash_alg *alg, struct evlog_export_stats *st,
		    char *err, size_t errlen)
{
	const char *name = w->log->name ? w->log->name : "log";
	struct evlog_replay r;

	evlog_replay_init(&r, alg);
	w->r = &r;
	if (evlog_replay_text(&r, w->log->text, w->log->len, name, on_record, w, err, errlen) < 0)
		return -1;
	if (w->failed)
		return set_error(err, errlen, "%s: %s", name, w->what);
	if (!r.started)
		return set_error(err, errlen, "%s: no records (a log starts with an INIT record)",
				 name);
	if (st) {
		st->records += r.records;
		st->sync_records += r.sync_records;
	}
	return 0;
}

int export_walk(const struct evlog_export_log *logs, size_t nlogs, const struct hash_alg *alg,
		bool unique_rtmrs, export_visit_fn visit, void *ctx,
		struct evlog_export_stats *stats, char *err, size_t errlen)
{
	struct walk w = { .visit = visit, .ctx = ctx };

	if (!alg)
		return set_error(err, errlen, "no RTMR hash algorithm");
	if (unique_rtmrs && check_unique(logs, nlogs, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < nlogs; i++) {
		w.log = &logs[i];
		if (walk_one(&w, alg, stats, err, errlen) < 0)
			return -1;
	}
	return 0;
}
