// SPDX-License-Identifier: MIT
/*
 * TCG2 export of the PCRs: one event per `vtpm extend` record of the TPM's current instance
 * (export_bin.h). Pass 1 walks the logs and keeps, per log, where the extend records that
 * still count are; pass 2 checks them and writes the log.
 */
#include "eventlog/export_bin.h"

#include <stdlib.h>
#include <string.h>

#include "eventlog/eventlog.h"
#include "eventlog/export_walk.h"
#include "eventlog/tcg2.h"
#include "common/util.h"

struct pcr_rec {
	size_t off;     /* of the line in its log's text */
	size_t len;
	unsigned pcr;
};

/* What counts of one log after pass 1. */
struct log_state {
	struct pcr_rec *recs;
	size_t n, cap;
	uint8_t base[EVLOG_PCRS];  /* 0xff: the PCR starts at all-ones (17..22 after startup) */
};

struct tcg2_ctx {
	struct log_state *states;  /* one per log */
	const struct evlog_export_log *logs;
	bool banks[TCG2_MAX_ALGS]; /* by index in hash_alg_all(): a record carries that bank */
};

static void startup_clear(struct log_state *s)
{
	s->n = 0;
	for (unsigned p = 0; p < EVLOG_PCRS; p++)
		s->base[p] = (p >= 17 && p <= 22) ? 0xff : 0x00;
}

static void pcr_reset(struct log_state *s, unsigned pcr)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->recs[i].pcr != pcr)
			s->recs[k++] = s->recs[i];
	s->n = k;
	s->base[pcr] = 0;
}

static int add_rec(struct log_state *s, size_t off, size_t len, unsigned pcr)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct pcr_rec *p = reallocarray(s->recs, cap, sizeof(*p));

		if (!p)
			return -1;
		s->recs = p;
		s->cap = cap;
	}
	s->recs[s->n++] = (struct pcr_rec){ .off = off, .len = len, .pcr = pcr };
	return 0;
}

static void note_banks(struct tcg2_ctx *c, const struct evlog_record *rec)
{
	size_t nalgs;
	const struct hash_alg *algs = hash_alg_all(&nalgs);

	for (size_t i = 0; i < rec->ndigests; i++)
		for (size_t a = 0; a < nalgs && a < TCG2_MAX_ALGS; a++)
			if (rec->digests[i].alg == &algs[a])
				c->banks[a] = true;
}

static int collect(void *ctx, const struct export_record *r, char *err, size_t errlen)
{
	struct tcg2_ctx *c = ctx;
	struct log_state *s = &c->states[r->log - c->logs];

	switch (r->rec->kind) {
	case EVLOG_STARTUP_CLEAR:
		startup_clear(s);
		return 0;
	case EVLOG_RESET:
		pcr_reset(s, r->rec->pcr);
		return 0;
	case EVLOG_EXTEND:
		note_banks(c, r->rec);
		if (add_rec(s, (size_t)(r->line - r->log->text), r->len, r->rec->pcr) < 0)
			return set_error(err, errlen, "out of memory");
		return 0;
	default:
		return 0; /* changes no PCR */
	}
}

static uint32_t pcr_mask(const struct log_state *s)
{
	uint32_t m = 0;

	for (size_t i = 0; i < s->n; i++)
		m |= 1u << s->recs[i].pcr;
	return m;
}

static const char *name_of(const struct evlog_export_log *l)
{
	return l->name ? l->name : "log";
}

/* A PCR in two logs, or one that starts at all-ones: not expressible. */
static int check_pcrs(const struct tcg2_ctx *c, size_t nlogs, char *err, size_t errlen)
{
	for (size_t i = 0; i < nlogs; i++) {
		uint32_t mi = pcr_mask(&c->states[i]);

		for (unsigned p = 0; p < EVLOG_PCRS; p++)
			if ((mi & (1u << p)) && c->states[i].base[p] == 0xff)
				return set_error(err, errlen,
						 "%s: PCR %u is extended, and it starts at all-ones "
						 "after Startup(CLEAR): a TCG2 log replays from zero "
						 "and cannot express that", name_of(&c->logs[i]), p);
		for (size_t j = 0; j < i; j++) {
			uint32_t both = mi & pcr_mask(&c->states[j]);

			for (unsigned p = 0; both && p < EVLOG_PCRS; p++)
				if (both & (1u << p))
					return set_error(err, errlen,
							 "PCR %u has records in %s and in %s: "
							 "their order is not defined", p,
							 name_of(&c->logs[j]), name_of(&c->logs[i]));
		}
	}
	return 0;
}

static int write_header(const struct tcg2_ctx *c, struct bytebuf *out)
{
	const struct hash_alg *sel[TCG2_MAX_ALGS];
	size_t nalgs, n = 0;
	const struct hash_alg *algs = hash_alg_all(&nalgs);
	struct tcg2_spec_id spec;

	for (size_t a = 0; a < nalgs && a < TCG2_MAX_ALGS; a++)
		if (c->banks[a])
			sel[n++] = &algs[a];
	if (n == 0)
		sel[n++] = hash_alg_by_name("sha256");
	tcg2_spec_id_init(&spec, sel, n);
	return tcg2_write_spec_id(out, &spec);
}

static int write_event(const struct evlog_export_log *log, const struct pcr_rec *pr,
		       struct bytebuf *out, char *err, size_t errlen)
{
	const char *line = log->text + pr->off;
	struct tcg2_digest d[EVLOG_MAX_DIGESTS];
	struct evlog_record rec;

	if (evlog_parse_record(line, pr->len, &rec, err, errlen) < 0)
		return -1;
	if (rec.ndigests > TCG2_MAX_ALGS)
		return set_error(err, errlen, "%s: a record with %zu digests", name_of(log),
				 rec.ndigests);
	for (size_t i = 0; i < rec.ndigests; i++)
		d[i] = tcg2_digest_of(rec.digests[i].alg, rec.digests[i].d);
	if (tcg2_write_tagged_event(out, pr->pcr, d, rec.ndigests, TCG2_TAG_NELR, line,
				    pr->len) < 0)
		return set_error(err, errlen, "out of memory");
	return 0;
}

static int write_log(const struct tcg2_ctx *c, size_t nlogs, struct bytebuf *out,
		     size_t *events, char *err, size_t errlen)
{
	if (write_header(c, out) < 0)
		return set_error(err, errlen, "out of memory");
	for (size_t i = 0; i < nlogs; i++)
		for (size_t k = 0; k < c->states[i].n; k++) {
			if (write_event(&c->logs[i], &c->states[i].recs[k], out, err, errlen) < 0)
				return -1;
			(*events)++;
		}
	return 0;
}

static void free_states(struct log_state *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i].recs);
	free(s);
}

int evlog_export_tcg2(const struct evlog_export_log *logs, size_t nlogs,
		      const struct hash_alg *alg, struct bytebuf *out,
		      struct evlog_export_stats *stats, char *err, size_t errlen)
{
	struct tcg2_ctx c = { .logs = logs };
	struct evlog_export_stats st = { 0 };
	int r = -1;

	c.states = calloc(nlogs ? nlogs : 1, sizeof(*c.states));
	if (!c.states)
		return set_error(err, errlen, "out of memory");
	for (size_t i = 0; i < nlogs; i++)
		startup_clear(&c.states[i]);
	if (export_walk(logs, nlogs, alg, true, collect, &c, &st, err, errlen) == 0 &&
	    check_pcrs(&c, nlogs, err, errlen) == 0 &&
	    write_log(&c, nlogs, out, &st.events, err, errlen) == 0)
		r = 0;
	free_states(c.states, nlogs);
	st.sync_records = 0;
	if (r == 0 && stats)
		*stats = st;
	return r;
}
