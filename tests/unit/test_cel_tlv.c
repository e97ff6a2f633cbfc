// SPDX-License-Identifier: MIT
/*
 * CEL-TLV (src/eventlog/cel_tlv.h): the writer against bytes laid out here by hand, the
 * parser on them, on every truncation and corruption, and on each kind of malformed record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <tss2/tss2_tpm2_types.h>

#include "byte_builder.h"
#include "eventlog/cel_tlv.h"

static void hb_tlv(struct hb *h, uint8_t type, const void *v, uint32_t len)
{
	hb_u8(h, type);
	hb_be32(h, len);
	hb_put(h, v, len);
}

/*
 * Two records laid out by hand: recnum 7 (8 bytes), CCMR 3, a sha384 digest of 0x44, content
 * 0x4e "INIT x"; recnum 8, PCR 9, sha1 0x11 and sha256 0x22, content type 5 "ab".
 * Record boundaries in bounds[0..1], the end in bounds[2].
 */
static void hand_cel(struct hb *h, size_t bounds[3])
{
	uint8_t rn[8] = { 0, 0, 0, 0, 0, 0, 0, 7 }, d[64];
	struct hb dg = { .n = 0 };

	h->n = 0;
	bounds[0] = 0;
	hb_tlv(h, 0, rn, 8);
	hb_tlv(h, 108, "\x03", 1);
	memset(d, 0x44, sizeof(d));
	hb_tlv(&dg, TPM2_ALG_SHA384, d, 48);
	hb_tlv(h, 3, dg.b, (uint32_t)dg.n);
	hb_tlv(h, 0x4e, "INIT x", 6);
	bounds[1] = h->n;
	rn[7] = 8;
	hb_tlv(h, 0, rn, 8);
	hb_tlv(h, 1, "\x09", 1);
	dg.n = 0;
	memset(d, 0x11, sizeof(d));
	hb_tlv(&dg, TPM2_ALG_SHA1, d, 20);
	memset(d, 0x22, sizeof(d));
	hb_tlv(&dg, TPM2_ALG_SHA256, d, 32);
	hb_tlv(h, 3, dg.b, (uint32_t)dg.n);
	hb_tlv(h, 5, "ab", 2);
	bounds[2] = h->n;
}

static void test_write_equals_hand_layout(void **state)
{
	uint8_t d44[48], d11[20], d22[32];
	struct cel_tlv_record r1 = {
		.recnum = 7, .index_type = CEL_TLV_CCMR, .index = 3, .ndigests = 1,
		.content_type = CEL_TLV_CONTENT_NELR, .content_size = 6,
		.content = (const uint8_t *)"INIT x",
	};
	struct cel_tlv_record r2 = {
		.recnum = 8, .index_type = CEL_TLV_PCR, .index = 9, .ndigests = 2,
		.content_type = 5, .content_size = 2, .content = (const uint8_t *)"ab",
	};
	struct bytebuf b = { 0 };
	size_t bounds[3];
	struct hb h;

	(void)state;
	memset(d44, 0x44, sizeof(d44));
	memset(d11, 0x11, sizeof(d11));
	memset(d22, 0x22, sizeof(d22));
	r1.digests[0] = (struct cel_tlv_digest){ .alg_id = TPM2_ALG_SHA384, .size = 48, .d = d44 };
	r2.digests[0] = (struct cel_tlv_digest){ .alg_id = TPM2_ALG_SHA1, .size = 20, .d = d11 };
	r2.digests[1] = (struct cel_tlv_digest){ .alg_id = TPM2_ALG_SHA256, .size = 32, .d = d22 };
	hand_cel(&h, bounds);
	assert_int_equal(cel_tlv_write_record(&b, &r1), 0);
	assert_int_equal(b.len, bounds[1]);
	assert_int_equal(cel_tlv_write_record(&b, &r2), 0);
	assert_int_equal(b.len, h.n);
	assert_memory_equal(b.data, h.b, h.n);

	/* invalid records write nothing */
	r2.content_type = CEL_TLV_DIGESTS;
	assert_int_equal(cel_tlv_write_record(&b, &r2), -1);
	r2.content_type = 5;
	r2.ndigests = 0;
	assert_int_equal(cel_tlv_write_record(&b, &r2), -1);
	r2.ndigests = 2;
	r2.index_type = 7;
	assert_int_equal(cel_tlv_write_record(&b, &r2), -1);
	r2.index_type = CEL_TLV_PCR;
	r2.index_len = 1;
	r2.index = 300;
	assert_int_equal(cel_tlv_write_record(&b, &r2), -1);
	assert_int_equal(b.len, h.n);
	bytebuf_free(&b);
}

struct seen {
	size_t n;
	struct cel_tlv_record rec[4];
};

static int collect(void *ctx, const struct cel_tlv_record *rec, char *err, size_t errlen)
{
	struct seen *s = ctx;

	(void)err;
	(void)errlen;
	if (s->n < 4)
		s->rec[s->n++] = *rec;
	return 0;
}

static void test_parse_hand_layout(void **state)
{
	struct seen s = { 0 };
	size_t bounds[3], n = 0;
	struct bytebuf b = { 0 };
	char err[256];
	struct hb h;

	(void)state;
	hand_cel(&h, bounds);
	assert_int_equal(cel_tlv_parse(h.b, h.n, collect, &s, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s.rec[0].offset, 0);
	assert_int_equal(s.rec[0].size, bounds[1]);
	assert_int_equal(s.rec[0].recnum, 7);
	assert_int_equal(s.rec[0].index_type, CEL_TLV_CCMR);
	assert_int_equal(s.rec[0].index, 3);
	assert_int_equal(s.rec[0].ndigests, 1);
	assert_ptr_equal(s.rec[0].digests[0].alg, hash_alg_by_name("sha384"));
	assert_int_equal(s.rec[0].content_type, CEL_TLV_CONTENT_NELR);
	assert_int_equal(s.rec[0].content_size, 6);
	assert_memory_equal(s.rec[0].content, "INIT x", 6);
	assert_int_equal(s.rec[1].offset, bounds[1]);
	assert_int_equal(s.rec[1].recnum, 8);
	assert_int_equal(s.rec[1].index_type, CEL_TLV_PCR);
	assert_int_equal(s.rec[1].ndigests, 2);
	assert_int_equal(s.rec[1].digests[1].d[31], 0x22);
	/* what was parsed writes back to the same bytes */
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(cel_tlv_write_record(&b, &s.rec[i]), 0);
	assert_int_equal(b.len, h.n);
	assert_memory_equal(b.data, h.b, h.n);
	bytebuf_free(&b);
	assert_int_equal(cel_tlv_parse(NULL, 0, NULL, NULL, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
}

static void assert_offset_error(const char *err, size_t limit)
{
	unsigned long off;

	if (sscanf(err, "offset %lu", &off) != 1)
		fail_msg("error without offset: '%s'", err);
	if (off > limit)
		fail_msg("offset %lu beyond %zu: '%s'", off, limit, err);
}

static void test_parse_every_truncation_and_corruption(void **state)
{
	static const uint8_t values[] = { 0x00, 0x01, 0x6c, 0x80, 0xff };
	size_t bounds[3];
	char err[256];
	struct hb h;

	(void)state;
	hand_cel(&h, bounds);
	for (size_t len = 0; len < h.n; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		int r;

		assert_non_null(copy);
		memcpy(copy, h.b, len);
		r = cel_tlv_parse(copy, len, NULL, NULL, NULL, err, sizeof(err));
		if (len == 0 || len == bounds[1]) {
			assert_int_equal(r, 0);
		} else {
			if (r != -1)
				fail_msg("cut at %zu parsed", len);
			assert_offset_error(err, len);
		}
		free(copy);
	}
	for (size_t i = 0; i < h.n; i++)
		for (size_t v = 0; v < sizeof(values); v++) {
			uint8_t *copy = malloc(h.n);

			assert_non_null(copy);
			memcpy(copy, h.b, h.n);
			copy[i] = values[v];
			if (cel_tlv_parse(copy, h.n, NULL, NULL, NULL, err, sizeof(err)) < 0)
				assert_offset_error(err, h.n);
			free(copy);
		}
}

/* h with byte off set to v: the parse fails with want in its message. */
static void expect_error(const struct hb *h, size_t off, uint8_t v, const char *want)
{
	struct hb c = *h;
	char err[256] = "";

	c.b[off] = v;
	assert_int_equal(cel_tlv_parse(c.b, c.n, NULL, NULL, NULL, err, sizeof(err)), -1);
	assert_has(err, want);
}

static void test_parse_errors(void **state)
{
	size_t bounds[3], r2;
	char want[128];
	struct hb h, c;

	(void)state;
	hand_cel(&h, bounds);
	r2 = bounds[1];
	/* record 0: recnum TLV at 0, index at 13, digests at 19 (its digest TLV at 24), content 77 */
	expect_error(&h, 0, 1, "offset 0 (record 0): expected a recnum TLV (type 0), found type 1");
	expect_error(&h, 4, 9, "offset 1 (record 0): recnum value of 9 bytes (1..8 allowed)");
	expect_error(&h, 13, 4, "offset 13 (record 0): expected an index TLV (type 1, 2 or 108)");
	expect_error(&h, 17, 5, "offset 14 (record 0): index value of 5 bytes (1..4 allowed)");
	expect_error(&h, 19, 0x4e, "offset 19 (record 0): expected a digests TLV (type 3)");
	expect_error(&h, 24, 0x0b, "offset 25 (record 0): digest of algorithm 0x0b has 48 bytes");
	expect_error(&h, 77, 108, "offset 77 (record 0): content TLV of type 108, a field type");
	snprintf(want, sizeof(want), "offset %zu (record 1): recnum 9 does not follow 7", r2 + 5);
	expect_error(&h, r2 + 12, 9, want);
	/* record 1's digests both of an unknown algorithm 0x77 */
	c = h;
	c.b[r2 + 24] = 0x77;
	snprintf(want, sizeof(want), "offset %zu (record 1): digest algorithm 0x77 given twice",
		 r2 + 49);
	expect_error(&c, r2 + 49, 0x77, want);
	/* the content claims one byte more than is left */
	snprintf(want, sizeof(want), "offset %zu (record 1): content TLV length 3 runs past",
		 h.n - 6);
	expect_error(&h, h.n - 3, 3, want);
}

static void test_parse_unknown_and_empty_digests(void **state)
{
	uint8_t rn[8] = { 0 }, d[70];
	struct hb h = { .n = 0 }, dg = { .n = 0 };
	struct seen s = { 0 };
	char err[256];

	(void)state;
	memset(d, 0x5a, sizeof(d));
	hb_tlv(&h, 0, rn, 8);
	hb_tlv(&h, 2, "\x01\x80\x00\x01", 4);
	hb_tlv(&dg, 0x77, d, 64);
	hb_tlv(&h, 3, dg.b, (uint32_t)dg.n);
	hb_tlv(&h, 200, "", 0);
	assert_int_equal(cel_tlv_parse(h.b, h.n, collect, &s, NULL, err, sizeof(err)), 0);
	assert_int_equal(s.rec[0].index_type, CEL_TLV_NV_INDEX);
	assert_int_equal(s.rec[0].index, 0x01800001);
	assert_null(s.rec[0].digests[0].alg);
	assert_int_equal(s.rec[0].digests[0].size, 64);
	assert_int_equal(s.rec[0].content_size, 0);
	/* an unknown algorithm with 65 bytes, and no digest at all */
	h.n = 0;
	dg.n = 0;
	hb_tlv(&h, 0, rn, 8);
	hb_tlv(&h, 1, "\x01", 1);
	hb_tlv(&dg, 0x77, d, 65);
	hb_tlv(&h, 3, dg.b, (uint32_t)dg.n);
	hb_tlv(&h, 200, "", 0);
	assert_int_equal(cel_tlv_parse(h.b, h.n, NULL, NULL, NULL, err, sizeof(err)), -1);
	assert_has(err, "offset 25 (record 0): digest of algorithm 0x77 has 65 bytes");
	h.n = 0;
	hb_tlv(&h, 0, rn, 8);
	hb_tlv(&h, 1, "\x01", 1);
	hb_tlv(&h, 3, "", 0);
	hb_tlv(&h, 200, "", 0);
	assert_int_equal(cel_tlv_parse(h.b, h.n, NULL, NULL, NULL, err, sizeof(err)), -1);
	assert_has(err, "offset 20 (record 0): no digest");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_equals_hand_layout),
		cmocka_unit_test(test_parse_hand_layout),
		cmocka_unit_test(test_parse_every_truncation_and_corruption),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_unknown_and_empty_digests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
