// SPDX-License-Identifier: MIT
/* CEL-TLV export: every record with recnum, CCMR index RTMR + 1, H(line), the line. */
#include "eventlog/export_bin.h"

#include "eventlog/cel_tlv.h"
#include "eventlog/export_walk.h"
#include "common/util.h"

struct cel_ctx {
	const struct hash_alg *alg;
	struct bytebuf *out;
	uint64_t recnum;
};

static int cel_record(void *ctx, const struct export_record *er, char *err, size_t errlen)
{
	struct cel_ctx *c = ctx;
	struct cel_tlv_record r = {
		.recnum = c->recnum,
		.index_type = CEL_TLV_CCMR,
		.index = er->log->rtmr + 1,
		.ndigests = 1,
		.content_type = CEL_TLV_CONTENT_NELR,
		.content_size = (uint32_t)er->len,
		.content = (const uint8_t *)er->line,
	};

	r.digests[0] = (struct cel_tlv_digest){
		.alg_id = (uint8_t)c->alg->tpm_alg, .alg = c->alg, .size = (uint32_t)c->alg->size,
		.d = er->digest,
	};
	if (cel_tlv_write_record(c->out, &r) < 0)
		return set_error(err, errlen, "out of memory");
	c->recnum++;
	return 0;
}

int evlog_export_cel_tlv(const struct evlog_export_log *logs, size_t nlogs,
			 const struct hash_alg *alg, struct bytebuf *out,
			 struct evlog_export_stats *stats, char *err, size_t errlen)
{
	struct cel_ctx c = { .alg = alg, .out = out };
	struct evlog_export_stats st = { 0 };

	if (!alg || alg->tpm_alg > 0xff)
		return set_error(err, errlen, "no RTMR hash algorithm, or one CEL-TLV cannot name");
	if (export_walk(logs, nlogs, alg, true, cel_record, &c, &st, err, errlen) < 0)
		return -1;
	st.events = (size_t)c.recnum;
	if (stats)
		*stats = st;
	return 0;
}
