// SPDX-License-Identifier: MIT
/*
 * TCG2 crypto-agile event log (src/eventlog/tcg2.h): the writer against bytes laid out here
 * by hand, the parser on them and on every truncation and corruption, padding, logs without
 * header, the replay against chains computed here with OpenSSL EVP, safe rendering.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <tss2/tss2_tpm2_types.h>
#include <openssl/evp.h>

#include "byte_builder.h"
#include "eventlog/tcg2.h"

/* ---- independent helpers (no code under test) ---- */

static void md(const char *name, const void *data, size_t len, uint8_t *out)
{
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(data, len, out, &n, EVP_get_digestbyname(name), NULL), 1);
}

/* reg = H(reg || d), both of the hash's size */
static void md_extend(const char *name, uint8_t *reg, const uint8_t *d)
{
	size_t n = (size_t)EVP_MD_get_size(EVP_get_digestbyname(name));
	uint8_t buf[128];

	memcpy(buf, reg, n);
	memcpy(buf + n, d, n);
	md(name, buf, 2 * n, reg);
}

static const struct hash_alg *alg(const char *name)
{
	const struct hash_alg *a = hash_alg_by_name(name);

	assert_non_null(a);
	return a;
}

/*
 * A firmware-like log laid out by hand: Spec ID header (sha256, sha384; vendor info "ab"),
 * then an EV_IPL event of PCR 8 with both digests (0x11.., 0x22..) and data "hi", an
 * EV_NO_ACTION event, and an EV_EVENT_TAG event of PCR 9 with the sha384 digest 0x33.. only
 * and tagged data {0x4e454c52, "vtpm"}. Event boundaries in *bounds (4 values).
 */
static void hand_log(struct hb *h, size_t bounds[4])
{
	h->n = 0;
	hb_le32(h, 0);
	hb_le32(h, 3);
	hb_fill(h, 0, 20);
	hb_le32(h, 16 + 4 + 4 + 4 + 8 + 1 + 2);
	hb_put(h, "Spec ID Event03", 16);
	hb_le32(h, 0);           /* platform class */
	hb_u8(h, 0);             /* minor */
	hb_u8(h, 2);             /* major */
	hb_u8(h, 0);             /* errata */
	hb_u8(h, 2);             /* uintn */
	hb_le32(h, 2);
	hb_le16(h, TPM2_ALG_SHA256);
	hb_le16(h, 32);
	hb_le16(h, TPM2_ALG_SHA384);
	hb_le16(h, 48);
	hb_u8(h, 2);
	hb_put(h, "ab", 2);
	bounds[0] = h->n;
	hb_le32(h, 8);
	hb_le32(h, 0x0d);
	hb_le32(h, 2);
	hb_le16(h, TPM2_ALG_SHA256);
	hb_fill(h, 0x11, 32);
	hb_le16(h, TPM2_ALG_SHA384);
	hb_fill(h, 0x22, 48);
	hb_le32(h, 2);
	hb_put(h, "hi", 2);
	bounds[1] = h->n;
	hb_le32(h, 0);
	hb_le32(h, 3);
	hb_le32(h, 0);
	hb_le32(h, 17);
	hb_put(h, "StartupLocality", 16);
	hb_u8(h, 3);
	bounds[2] = h->n;
	hb_le32(h, 9);
	hb_le32(h, 6);
	hb_le32(h, 1);
	hb_le16(h, TPM2_ALG_SHA384);
	hb_fill(h, 0x33, 48);
	hb_le32(h, 12);
	hb_le32(h, 0x4e454c52);
	hb_le32(h, 4);
	hb_put(h, "vtpm", 4);
	bounds[3] = h->n;
}

/* ---- writer ---- */

static void test_write_equals_hand_layout(void **state)
{
	const struct hash_alg *algs[] = { alg("sha256"), alg("sha384") };
	uint8_t d1[32], d2[48], d3[48], loc[17];
	struct tcg2_digest two[2] = { tcg2_digest_of(algs[0], d1), tcg2_digest_of(algs[1], d2) };
	struct tcg2_digest one = tcg2_digest_of(algs[1], d3);
	struct bytebuf b = { 0 };
	struct tcg2_spec_id s;
	size_t bounds[4];
	struct hb h;

	(void)state;
	memset(d1, 0x11, sizeof(d1));
	memset(d2, 0x22, sizeof(d2));
	memset(d3, 0x33, sizeof(d3));
	memcpy(loc, "StartupLocality", 16);
	loc[16] = 3;
	hand_log(&h, bounds);
	tcg2_spec_id_init(&s, algs, 2);
	s.vendor_info_size = 2;
	s.vendor_info = (const uint8_t *)"ab";
	assert_int_equal(tcg2_write_spec_id(&b, &s), 0);
	assert_int_equal(b.len, bounds[0]);
	assert_int_equal(tcg2_write_event(&b, 8, 0x0d, two, 2, "hi", 2), 0);
	assert_int_equal(tcg2_write_event(&b, 0, TCG2_EV_NO_ACTION, NULL, 0, loc, 17), 0);
	assert_int_equal(tcg2_write_tagged_event(&b, 9, &one, 1, TCG2_TAG_NELR, "vtpm", 4), 0);
	assert_int_equal(b.len, h.n);
	assert_memory_equal(b.data, h.b, h.n);
	bytebuf_free(&b);
}

static void test_write_rejects(void **state)
{
	uint8_t d[32] = { 0 };
	struct tcg2_digest many[TCG2_MAX_ALGS + 1];
	struct tcg2_digest bad = { .alg_id = TPM2_ALG_SHA256, .size = 0, .d = d };
	struct bytebuf b = { 0 };
	struct tcg2_spec_id s;

	(void)state;
	for (size_t i = 0; i < TCG2_MAX_ALGS + 1; i++)
		many[i] = tcg2_digest_of(alg("sha256"), d);
	tcg2_spec_id_init(&s, NULL, 0);
	assert_int_equal(tcg2_write_spec_id(&b, &s), -1);
	assert_int_equal(tcg2_write_event(&b, 0, 1, many, TCG2_MAX_ALGS + 1, NULL, 0), -1);
	assert_int_equal(tcg2_write_event(&b, 0, 1, &bad, 1, NULL, 0), -1);
	assert_int_equal(tcg2_write_event(&b, 0, 1, many, 1, NULL, 5), -1);
	assert_int_equal(tcg2_write_tagged_event(&b, 0, many, 1, 1, NULL, 5), -1);
	assert_int_equal(b.len, 0);
	bytebuf_free(&b);
}

/* ---- parser ---- */

struct seen {
	size_t n;
	struct tcg2_event ev[8];
	int fail_at; /* the callback fails on this event number (-1: never) */
};

static int collect(void *ctx, const struct tcg2_event *ev, char *err, size_t errlen)
{
	struct seen *s = ctx;

	if ((int)ev->number == s->fail_at) {
		snprintf(err, errlen, "stop here");
		return -1;
	}
	if (s->n < 8)
		s->ev[s->n++] = *ev;
	return 0;
}

static void test_parse_hand_layout(void **state)
{
	struct seen s = { .fail_at = -1 };
	struct tcg2_log_info info;
	const uint8_t *data;
	size_t bounds[4];
	uint32_t tag, size;
	char err[256], want[128];
	struct hb h;

	(void)state;
	hand_log(&h, bounds);
	assert_int_equal(tcg2_log_parse(h.b, h.n, collect, &s, &info, err, sizeof(err)), 0);
	assert_true(info.has_spec_id);
	assert_int_equal(info.spec_id_size, bounds[0]);
	assert_int_equal(info.spec_id.nalgs, 2);
	assert_int_equal(info.spec_id.algs[1].alg_id, TPM2_ALG_SHA384);
	assert_int_equal(info.spec_id.algs[1].size, 48);
	assert_int_equal(info.spec_id.version_major, 2);
	assert_int_equal(info.spec_id.uintn_size, 2);
	assert_int_equal(info.spec_id.vendor_info_size, 2);
	assert_memory_equal(info.spec_id.vendor_info, "ab", 2);
	assert_int_equal(info.events, 3);
	assert_int_equal(info.end, h.n);
	assert_int_equal(info.padding, 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ev[0].offset, bounds[0]);
	assert_int_equal(s.ev[0].size, bounds[1] - bounds[0]);
	assert_int_equal(s.ev[0].index, 8);
	assert_int_equal(s.ev[0].type, 0x0d);
	assert_int_equal(s.ev[0].ndigests, 2);
	assert_ptr_equal(s.ev[0].digests[0].alg, alg("sha256"));
	assert_int_equal(s.ev[0].digests[1].size, 48);
	assert_int_equal(s.ev[0].digests[1].d[47], 0x22);
	assert_int_equal(s.ev[0].data_size, 2);
	assert_memory_equal(s.ev[0].data, "hi", 2);
	assert_false(tcg2_tagged_event(&s.ev[0], &tag, &data, &size));
	assert_int_equal(s.ev[1].number, 1);
	assert_int_equal(s.ev[1].type, TCG2_EV_NO_ACTION);
	assert_int_equal(s.ev[1].ndigests, 0);
	assert_int_equal(s.ev[2].offset, bounds[2]);
	assert_true(tcg2_tagged_event(&s.ev[2], &tag, &data, &size));
	assert_int_equal(tag, TCG2_TAG_NELR);
	assert_int_equal(size, 4);
	assert_memory_equal(data, "vtpm", 4);

	/* the header alone */
	assert_int_equal(tcg2_parse_spec_id(h.b, h.n, &info, err, sizeof(err)), 0);
	assert_true(info.has_spec_id);
	assert_int_equal(info.events, 0);

	/* a callback's error stops the parse and names the event */
	s = (struct seen){ .fail_at = 2 };
	assert_int_equal(tcg2_log_parse(h.b, h.n, collect, &s, &info, err, sizeof(err)), -1);
	assert_int_equal(s.n, 2);
	snprintf(want, sizeof(want), "offset %zu (event 2): stop here", bounds[2]);
	assert_string_equal(err, want);
}

/* "offset N..." with N <= limit */
static void assert_offset_error(const char *err, size_t limit)
{
	unsigned long off;

	if (sscanf(err, "offset %lu", &off) != 1)
		fail_msg("error without offset: '%s'", err);
	if (off > limit)
		fail_msg("offset %lu beyond %zu: '%s'", off, limit, err);
}

/* The last event boundary at or before len (0 counts as one). */
static size_t boundary_before(const size_t bounds[4], size_t len)
{
	size_t b = 0;

	for (size_t i = 0; i < 4; i++)
		if (bounds[i] <= len)
			b = bounds[i];
	return b;
}

/* Every byte of [from, to) is 0x00, or every one is 0xff. */
static bool all_padding(const uint8_t *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (p[i] != p[from] || (p[i] != 0x00 && p[i] != 0xff))
			return false;
	return true;
}

/*
 * Cut anywhere: a cut at an event boundary is a shorter valid log; so is one whose cut-off
 * event begins with zero bytes only (the rest reads as zero padding: "00 00 00 00" of an
 * index-0 event); every other cut is an error naming an offset inside the buffer.
 */
static void test_parse_every_truncation(void **state)
{
	size_t bounds[4];
	char err[256];
	struct hb h;

	(void)state;
	hand_log(&h, bounds);
	for (size_t len = 0; len < h.n; len++) {
		struct tcg2_log_info info;
		uint8_t *copy = malloc(len ? len : 1);   /* exactly len bytes: ASan sees overreads */
		size_t b = boundary_before(bounds, len);
		int r;

		assert_non_null(copy);
		memcpy(copy, h.b, len);
		r = tcg2_log_parse(copy, len, NULL, NULL, &info, err, sizeof(err));
		if (all_padding(h.b, b, len)) {
			if (r != 0)
				fail_msg("cut at %zu: %s", len, err);
			assert_int_equal(info.has_spec_id, b >= bounds[0]);
			assert_int_equal(info.end, b);
			assert_int_equal(info.padding, len - b);
		} else {
			if (r != -1)
				fail_msg("cut at %zu parsed", len);
			assert_offset_error(err, len);
		}
		free(copy);
	}
}

static void test_parse_every_byte_corrupted(void **state)
{
	static const uint8_t values[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
	size_t bounds[4];
	char err[256];
	struct hb h;

	(void)state;
	hand_log(&h, bounds);
	for (size_t i = 0; i < h.n; i++)
		for (size_t v = 0; v < sizeof(values); v++) {
			struct seen s = { .fail_at = -1 };
			struct tcg2_replay r;
			uint8_t *copy = malloc(h.n);

			assert_non_null(copy);
			memcpy(copy, h.b, h.n);
			copy[i] = values[v];
			if (tcg2_log_parse(copy, h.n, collect, &s, NULL, err, sizeof(err)) < 0)
				assert_offset_error(err, h.n);
			if (tcg2_replay_log(&r, copy, h.n, NULL, err, sizeof(err)) < 0)
				assert_offset_error(err, h.n);
			free(copy);
		}
}

/* Parse h with byte at off replaced by the little-endian u32 v; the error must contain want. */
static void expect_error_le32(const struct hb *h, size_t off, uint32_t v, const char *want)
{
	struct hb c = *h;
	char err[256] = "";

	c.b[off] = (uint8_t)v;
	c.b[off + 1] = (uint8_t)(v >> 8);
	c.b[off + 2] = (uint8_t)(v >> 16);
	c.b[off + 3] = (uint8_t)(v >> 24);
	assert_int_equal(tcg2_log_parse(c.b, c.n, NULL, NULL, NULL, err, sizeof(err)), -1);
	assert_has(err, want);
}

static void test_parse_header_errors(void **state)
{
	size_t bounds[4];
	struct hb h, c;
	char err[256];

	(void)state;
	hand_log(&h, bounds);
	c = h;
	memcpy(c.b + 32, "Spec ID Event00", 16);
	assert_int_equal(tcg2_log_parse(c.b, c.n, NULL, NULL, NULL, err, sizeof(err)), -1);
	assert_has(err, "offset 32: a TCG 1.2 SHA-1 log");
	c = h;
	c.b[40] = 'X';
	assert_int_equal(tcg2_log_parse(c.b, c.n, NULL, NULL, NULL, err, sizeof(err)), -1);
	assert_has(err, "not a \"Spec ID Event03\" header");
	c = h;
	c.b[10] = 1;
	assert_int_equal(tcg2_log_parse(c.b, c.n, NULL, NULL, NULL, err, sizeof(err)), -1);
	assert_has(err, "offset 8: Spec ID header digest is not zero");
	expect_error_le32(&h, 56, 0, "offset 56: Spec ID header names 0 algorithms");
	expect_error_le32(&h, 56, 17, "names 17 algorithms");
	expect_error_le32(&h, 28, 100000, "offset 28: Spec ID event size 100000 runs past");
	expect_error_le32(&h, 28, 30, "offset 28: Spec ID event size 30 is too small for 2");
	expect_error_le32(&h, 28, 40, "offset 28: Spec ID event size 40, but its contents take 39");
	/* sha256 (0x000b) given the size 20, then named twice */
	expect_error_le32(&h, 60, 0x0014000b, "offset 62: Spec ID header gives algorithm 0x000b "
					      "the digest size 20");
	expect_error_le32(&h, 64, 0x0020000b, "offset 64: Spec ID header names algorithm 0x000b "
					      "twice");
	/* an unknown algorithm with a size of 65 */
	expect_error_le32(&h, 64, 0x00410777, "the digest size 65");
}

static void test_parse_event_errors(void **state)
{
	size_t bounds[4], e0, e2;
	struct hb h;
	char msg[128];

	(void)state;
	hand_log(&h, bounds);
	e0 = bounds[0];
	e2 = bounds[2];
	snprintf(msg, sizeof(msg), "offset %zu (event 0): digest count 3 is more than the 2", e0 + 8);
	expect_error_le32(&h, e0 + 8, 3, msg);
	/* the first digest's algorithm: sha1, not in the header */
	snprintf(msg, sizeof(msg), "offset %zu (event 0): digest algorithm 0x0004 is not in the",
		 e0 + 12);
	expect_error_le32(&h, e0 + 12, 0x11110004, msg);
	/* the second digest's algorithm: sha256 again */
	snprintf(msg, sizeof(msg), "offset %zu (event 0): digest algorithm 0x000b given twice",
		 e0 + 12 + 34);
	expect_error_le32(&h, e0 + 12 + 34, 0x2222000b, msg);
	snprintf(msg, sizeof(msg), "offset %zu (event 2): event size 13 runs past the end of the "
		 "log (12 bytes left)", e2 + 62);
	expect_error_le32(&h, e2 + 62, 13, msg);
}

static void test_padding(void **state)
{
	struct tcg2_log_info info;
	size_t bounds[4];
	char err[256], want[128];
	struct hb h, c;

	(void)state;
	hand_log(&h, bounds);
	c = h;
	hb_fill(&c, 0xff, 1000);
	assert_int_equal(tcg2_log_parse(c.b, c.n, NULL, NULL, &info, err, sizeof(err)), 0);
	assert_int_equal(info.events, 3);
	assert_int_equal(info.end, h.n);
	assert_int_equal(info.padding, 1000);
	c = h;
	hb_fill(&c, 0x00, 7);
	assert_int_equal(tcg2_log_parse(c.b, c.n, NULL, NULL, &info, err, sizeof(err)), 0);
	assert_int_equal(info.padding, 7);
	/* padding that is not all one byte is an event, and a broken one */
	c = h;
	hb_fill(&c, 0xff, 20);
	hb_u8(&c, 0x01);
	assert_int_equal(tcg2_log_parse(c.b, c.n, NULL, NULL, &info, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "offset %zu (event 3): digest count", h.n + 8);
	assert_has(err, want);
	/* a log appended after its padding is refused where the padding starts */
	c = h;
	hb_fill(&c, 0xff, 16);
	hb_put(&c, h.b + bounds[2], bounds[3] - bounds[2]);
	assert_int_equal(tcg2_log_parse(c.b, c.n, NULL, NULL, &info, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "offset %zu (event 3)", h.n + 8);
	assert_has(err, want);
}

static void test_headerless(void **state)
{
	struct seen s = { .fail_at = -1 };
	struct tcg2_log_info info;
	size_t bounds[4];
	char err[256];
	struct hb h, c;

	(void)state;
	hand_log(&h, bounds);
	/* the events alone (from the EV_IPL one): digest sizes come from the known algorithms */
	c.n = 0;
	hb_put(&c, h.b + bounds[0], h.n - bounds[0]);
	assert_int_equal(tcg2_log_parse(c.b, c.n, collect, &s, &info, err, sizeof(err)), 0);
	assert_false(info.has_spec_id);
	assert_int_equal(info.events, 3);
	assert_int_equal(s.ev[2].offset, bounds[2] - bounds[0]);
	/* an unknown algorithm cannot be skipped without a header */
	c.b[12] = 0x77;
	c.b[13] = 0x07;
	assert_int_equal(tcg2_log_parse(c.b, c.n, NULL, NULL, &info, err, sizeof(err)), -1);
	assert_string_equal(err, "offset 12 (event 0): unknown digest algorithm 0x0777 (a log "
				 "without Spec ID header may only use known ones)");
	assert_int_equal(tcg2_log_parse(NULL, 0, NULL, NULL, &info, err, sizeof(err)), 0);
	assert_int_equal(info.events, 0);
}

/* ---- replay ---- */

static void test_replay(void **state)
{
	uint8_t want256[32] = { 0 }, want384[48] = { 0 }, want9[48] = { 0 }, d1[32], d2[48];
	struct tcg2_log_info info;
	struct tcg2_replay r;
	size_t bounds[4];
	char err[256];
	struct hb h;

	(void)state;
	hand_log(&h, bounds);
	memset(d1, 0x11, sizeof(d1));
	memset(d2, 0x22, sizeof(d2));
	md_extend("SHA256", want256, d1);
	md_extend("SHA384", want384, d2);
	memset(d2, 0x33, sizeof(d2));
	md_extend("SHA384", want9, d2);
	assert_int_equal(tcg2_replay_log(&r, h.b, h.n, &info, err, sizeof(err)), 0);
	assert_int_equal(r.events, 3);
	assert_memory_equal(tcg2_replay_value(&r, alg("sha256"), 8), want256, 32);
	assert_memory_equal(tcg2_replay_value(&r, alg("sha384"), 8), want384, 48);
	assert_memory_equal(tcg2_replay_value(&r, alg("sha384"), 9), want9, 48);
	assert_null(tcg2_replay_value(&r, alg("sha256"), 9));
	assert_null(tcg2_replay_value(&r, alg("sha1"), 8));
	/* the StartupLocality event set nothing it was not asked to, and was not extended */
	assert_true(r.locality_set);
	assert_int_equal(r.locality, 3);
	assert_null(tcg2_replay_value(&r, alg("sha384"), 0));
}

static void test_replay_locality_and_range(void **state)
{
	uint8_t d[32], loc[17], want[32] = { 0 };
	struct tcg2_digest dg = tcg2_digest_of(alg("sha256"), d);
	struct tcg2_replay r;
	struct bytebuf b = { 0 };
	struct tcg2_spec_id s;
	char err[256];

	(void)state;
	memset(d, 0x5a, sizeof(d));
	memcpy(loc, "StartupLocality", 16);
	loc[16] = 3;
	/* (without the header, an EV_NO_ACTION event of index 0 first would be read as one) */
	tcg2_spec_id_init(&s, (const struct hash_alg *[]){ alg("sha256") }, 1);
	assert_int_equal(tcg2_write_spec_id(&b, &s), 0);
	assert_int_equal(tcg2_write_event(&b, 0, TCG2_EV_NO_ACTION, NULL, 0, loc, 17), 0);
	assert_int_equal(tcg2_write_event(&b, 0, 8, &dg, 1, NULL, 0), 0);
	assert_int_equal(tcg2_replay_log(&r, b.data, b.len, NULL, err, sizeof(err)), 0);
	want[31] = 3; /* PCR 0 starts at the locality */
	md_extend("SHA256", want, d);
	assert_memory_equal(tcg2_replay_value(&r, alg("sha256"), 0), want, 32);
	assert_int_equal(tcg2_write_event(&b, 32, 8, &dg, 1, NULL, 0), 0);
	assert_int_equal(tcg2_replay_log(&r, b.data, b.len, NULL, err, sizeof(err)), -1);
	assert_has(err, "(event 2): index 32 is out of range 0..31");
	bytebuf_free(&b);
}

/* A CCEL-like log: sha384 events of MR 1..3, one with a sha256 digest too, and EV_NO_ACTION. */
static void test_replay_mr(void **state)
{
	const struct hash_alg *a384 = alg("sha384");
	uint8_t d[3][48], d256[32], want[5][48], values[5][HASH_MAX_SIZE];
	struct tcg2_digest two[2];
	struct bytebuf b = { 0 };
	struct tcg2_spec_id s;
	uint32_t mask = 0;
	char err[256];

	(void)state;
	tcg2_spec_id_init(&s, (const struct hash_alg *[]){ alg("sha256"), a384 }, 2);
	assert_int_equal(tcg2_write_spec_id(&b, &s), 0);
	memset(want, 0, sizeof(want));
	memset(d256, 0x99, sizeof(d256));
	for (unsigned i = 0; i < 3; i++) {
		struct tcg2_digest dg = tcg2_digest_of(a384, d[i]);

		memset(d[i], 0x40 + i, 48);
		assert_int_equal(tcg2_write_event(&b, i + 1, 0x80000007, &dg, 1, "x", 1), 0);
		md_extend("SHA384", want[i + 1], d[i]);
	}
	two[0] = tcg2_digest_of(alg("sha256"), d256);
	two[1] = tcg2_digest_of(a384, d[0]);
	assert_int_equal(tcg2_write_event(&b, 3, 0x4, two, 2, NULL, 0), 0);
	md_extend("SHA384", want[3], d[0]);
	assert_int_equal(tcg2_write_event(&b, 7, TCG2_EV_NO_ACTION, NULL, 0, NULL, 0), 0);
	/* an index beyond n is fine while it is not extended in the alg asked for */
	assert_int_equal(tcg2_write_event(&b, 9, 0x4, two, 1, NULL, 0), 0);
	assert_int_equal(tcg2_replay_mr(b.data, b.len, a384, values, 5, &mask, err, sizeof(err)),
			 0);
	assert_int_equal(mask, 0x0e);
	for (unsigned i = 0; i < 5; i++)
		assert_memory_equal(values[i], want[i], 48);
	assert_int_equal(tcg2_write_event(&b, 5, 0x4, &two[1], 1, NULL, 0), 0);
	assert_int_equal(tcg2_replay_mr(b.data, b.len, a384, values, 5, &mask, err, sizeof(err)),
			 -1);
	assert_has(err, "(event 6): sha384 index 5 is out of range 0..4");
	bytebuf_free(&b);
}

/* ---- showing ---- */

static const char *render(const void *data, size_t n, uint32_t type, char *out, size_t cap)
{
	struct tcg2_event ev = { .type = type, .data = data, .data_size = (uint32_t)n };

	return tcg2_render_data(&ev, out, cap);
}

static void test_render(void **state)
{
	uint8_t tagged[8 + 5] = { 0x52, 0x4c, 0x45, 0x4e, 5, 0, 0, 0, 'a', '"', 'b', '\\', 0x07 };
	char out[256], small[40];
	uint8_t big[600];

	(void)state;
	assert_string_equal(render("Exit Boot Services", 18, 5, out, sizeof(out)),
			    "\"Exit Boot Services\"");
	assert_string_equal(render("name\0", 5, 5, out, sizeof(out)), "\"name\\x00\"");
	assert_string_equal(render("\x01\x02\xff", 3, 5, out, sizeof(out)), "hex 0102ff");
	assert_string_equal(render(tagged, sizeof(tagged), TCG2_EV_EVENT_TAG, out, sizeof(out)),
			    "tag 0x4e454c52 (\"NELR\") hex 6122625c07");
	tagged[12] = 'c';
	assert_string_equal(render(tagged, sizeof(tagged), TCG2_EV_EVENT_TAG, out, sizeof(out)),
			    "tag 0x4e454c52 (\"NELR\") \"a\\\"b\\\\c\"");
	assert_string_equal(render("", 0, 5, out, sizeof(out)), "(empty)");
	memset(big, 'x', sizeof(big));
	render(big, sizeof(big), 5, out, sizeof(out));
	assert_true(strlen(out) < sizeof(out));
	assert_has(out, "...\" (600 bytes)");
	render(big, sizeof(big), 5, small, sizeof(small));
	assert_true(strlen(small) < sizeof(small));
	assert_has(small, "(600 bytes)");
	big[0] = 0x01;
	render(big, sizeof(big), 5, out, sizeof(out));
	assert_has(out, "hex 0178");
	assert_has(out, "... (600 bytes)");
	for (size_t cap = 1; cap < 48; cap++) {
		char *o = malloc(cap);

		assert_non_null(o);
		render(big, sizeof(big), 5, o, cap);
		assert_true(strlen(o) < cap);
		free(o);
	}
	assert_string_equal(tcg2_event_type_name(TCG2_EV_EVENT_TAG), "EV_EVENT_TAG");
	assert_string_equal(tcg2_event_type_name(0x80000007), "EV_EFI_ACTION");
	assert_null(tcg2_event_type_name(0x7777));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_equals_hand_layout),
		cmocka_unit_test(test_write_rejects),
		cmocka_unit_test(test_parse_hand_layout),
		cmocka_unit_test(test_parse_every_truncation),
		cmocka_unit_test(test_parse_every_byte_corrupted),
		cmocka_unit_test(test_parse_header_errors),
		cmocka_unit_test(test_parse_event_errors),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_headerless),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replay_locality_and_range),
		cmocka_unit_test(test_replay_mr),
		cmocka_unit_test(test_render),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
