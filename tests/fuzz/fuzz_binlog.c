// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the binary log readers, src/eventlog/tcg2.h and src/eventlog/cel_tlv.h.
 *
 * The input is parsed as a TCG2 crypto-agile log (tcg2_log_parse; header only, whole,
 * replayed, per-index SHA-384 replay, every event rendered for `log show`) and as a CEL-TLV
 * log (cel_tlv_parse). Properties checked besides memory safety:
 *  - an error is a NUL-terminated "offset N..." message with N inside the input;
 *  - a TCG2 log that parses writes back (tcg2_write_spec_id, tcg2_write_event) to exactly
 *    its bytes up to info.end, and the rest is all 0x00 or all 0xff padding;
 *  - a CEL-TLV log that parses writes back (cel_tlv_write_record) to exactly the input;
 *  - rendered event data fits its buffer, also a tiny one.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog/cel_tlv.h"
#include "eventlog/tcg2.h"
#include "fuzz_common.h"

static void check_err(const char *err, size_t errlen, size_t len)
{
	unsigned long off;

	fuzz_check_err(err, errlen);
	FUZZ_CHECK(sscanf(err, "offset %lu", &off) == 1);
	FUZZ_CHECK(off <= len);
}

static int rewrite_event(void *ctx, const struct tcg2_event *ev, char *err, size_t errlen)
{
	struct bytebuf *b = ctx;
	char small[12], big[1024];

	(void)err;
	(void)errlen;
	FUZZ_CHECK(ev->offset == b->len);
	FUZZ_CHECK(tcg2_write_event(b, ev->index, ev->type, ev->digests, ev->ndigests, ev->data,
				    ev->data_size) == 0);
	FUZZ_CHECK(b->len == ev->offset + ev->size);
	tcg2_render_data(ev, small, sizeof(small));
	FUZZ_CHECK(memchr(small, '\0', sizeof(small)) != NULL);
	tcg2_render_data(ev, big, sizeof(big));
	FUZZ_CHECK(memchr(big, '\0', sizeof(big)) != NULL);
	(void)tcg2_event_type_name(ev->type);
	return 0;
}

static void fuzz_tcg2(const uint8_t *data, size_t size)
{
	uint8_t values[5][HASH_MAX_SIZE];
	struct bytebuf b = { 0 };
	struct tcg2_log_info info, head;
	struct tcg2_replay *r = malloc(sizeof(*r));
	char err[256];
	int rc, hrc;

	if (!r)
		abort();
	hrc = tcg2_parse_spec_id(data, size, &head, err, sizeof(err));
	if (hrc < 0)
		check_err(err, sizeof(err), size);
	rc = tcg2_log_parse(data, size, NULL, NULL, &info, err, sizeof(err));
	if (rc < 0) {
		check_err(err, sizeof(err), size);
	} else {
		/* the header is parsed the same on its own */
		FUZZ_CHECK(hrc == 0 && head.has_spec_id == info.has_spec_id);
		FUZZ_CHECK(info.end + info.padding == size);
		for (size_t i = info.end; i < size; i++)
			FUZZ_CHECK(data[i] == data[info.end] &&
				   (data[i] == 0x00 || data[i] == 0xff));
		if (info.has_spec_id)
			FUZZ_CHECK(tcg2_write_spec_id(&b, &info.spec_id) == 0 &&
				   b.len == info.spec_id_size);
		FUZZ_CHECK(tcg2_log_parse(data, size, rewrite_event, &b, NULL, err, sizeof(err)) ==
			   0);
		FUZZ_CHECK(b.len == info.end && (b.len == 0 || memcmp(b.data, data, b.len) == 0));
	}
	if (tcg2_replay_log(r, data, size, NULL, err, sizeof(err)) < 0)
		check_err(err, sizeof(err), size);
	else
		FUZZ_CHECK(rc == 0 && r->events == info.events);
	if (tcg2_replay_mr(data, size, hash_alg_by_name("sha384"), values, 5, NULL, err,
			   sizeof(err)) < 0)
		check_err(err, sizeof(err), size);
	bytebuf_free(&b);
	free(r);
}

static int rewrite_record(void *ctx, const struct cel_tlv_record *rec, char *err, size_t errlen)
{
	struct bytebuf *b = ctx;

	(void)err;
	(void)errlen;
	FUZZ_CHECK(rec->offset == b->len);
	FUZZ_CHECK(cel_tlv_write_record(b, rec) == 0);
	FUZZ_CHECK(b->len == rec->offset + rec->size);
	return 0;
}

static void fuzz_cel_tlv(const uint8_t *data, size_t size)
{
	struct bytebuf b = { 0 };
	size_t n = 0;
	char err[256], tiny[8];

	if (cel_tlv_parse(data, size, rewrite_record, &b, &n, err, sizeof(err)) < 0) {
		check_err(err, sizeof(err), size);
		if (cel_tlv_parse(data, size, NULL, NULL, NULL, tiny, sizeof(tiny)) == 0)
			abort(); /* the same input must fail without a callback too */
		fuzz_check_err(tiny, sizeof(tiny));
	} else {
		FUZZ_CHECK(b.len == size && (size == 0 || memcmp(b.data, data, size) == 0));
	}
	bytebuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so that ASan sees any read past the end */
	uint8_t *copy = (uint8_t *)fuzz_dup(data, size);

	fuzz_tcg2(copy, size);
	fuzz_cel_tlv(copy, size);
	free(copy);
	return 0;
}
