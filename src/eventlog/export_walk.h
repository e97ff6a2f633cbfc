/* SPDX-License-Identifier: MIT */
/* Internal to the binary exports: replay logs and visit every record with its digest. */
#ifndef VTPM_EVENTLOG_EXPORT_WALK_H
#define VTPM_EVENTLOG_EXPORT_WALK_H

#include "eventlog/eventlog.h"
#include "eventlog/export_bin.h"

/* One record as the walk hands it over. */
struct export_record {
	const struct evlog_export_log *log;
	const char *line;                /* without its LF */
	size_t len;
	const struct evlog_record *rec;  /* the record parsed */
	const uint8_t *digest;           /* H(line) in the walk's alg: what was extended */
};

/* Called for every record; a non-zero return stops the walk, with the message in err. */
typedef int (*export_visit_fn)(void *ctx, const struct export_record *r, char *err,
			       size_t errlen);

/*
 * Replay every log (in order) with alg, visiting each record. Errors: no alg, an RTMR given
 * twice (if unique_rtmrs), a log that does not replay or does not start with INIT. Counts
 * records and SYNC records into stats (if not NULL). 0 or -1 with err set.
 */
int export_walk(const struct evlog_export_log *logs, size_t nlogs, const struct hash_alg *alg,
		bool unique_rtmrs, export_visit_fn visit, void *ctx,
		struct evlog_export_stats *stats, char *err, size_t errlen);

#endif
