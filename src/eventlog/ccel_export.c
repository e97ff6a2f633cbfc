// SPDX-License-Identifier: MIT
/* CCEL continuation export: every record as a TCG2 event of MR index RTMR + 1 (export_bin.h). */
#include "eventlog/export_bin.h"

#include "eventlog/export_walk.h"
#include "eventlog/tcg2.h"
#include "common/util.h"

struct ccel_ctx {
	const struct hash_alg *alg;
	struct bytebuf *out;
	size_t events;
};

static int ccel_record(void *ctx, const struct export_record *r, char *err, size_t errlen)
{
	struct ccel_ctx *c = ctx;
	struct tcg2_digest d = tcg2_digest_of(c->alg, r->digest);

	if (tcg2_write_tagged_event(c->out, r->log->rtmr + 1, &d, 1, TCG2_TAG_NELR, r->line,
				    r->len) < 0)
		return set_error(err, errlen, "out of memory");
	c->events++;
	return 0;
}

int evlog_export_ccel(const struct evlog_export_log *logs, size_t nlogs,
		      const struct hash_alg *alg, bool standalone, struct bytebuf *out,
		      struct evlog_export_stats *stats, char *err, size_t errlen)
{
	struct ccel_ctx c = { .alg = alg, .out = out };
	struct evlog_export_stats st = { 0 };
	struct tcg2_spec_id spec;

	if (!alg)
		return set_error(err, errlen, "no RTMR hash algorithm");
	if (standalone) {
		tcg2_spec_id_init(&spec, &alg, 1);
		if (tcg2_write_spec_id(out, &spec) < 0)
			return set_error(err, errlen, "out of memory");
	}
	if (export_walk(logs, nlogs, alg, true, ccel_record, &c, &st, err, errlen) < 0)
		return -1;
	st.events = c.events;
	if (stats)
		*stats = st;
	return 0;
}
