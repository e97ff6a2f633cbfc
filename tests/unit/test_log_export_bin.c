// SPDX-License-Identifier: MIT
/*
 * Binary exports of NELR logs (src/eventlog/export_bin.h): the TCG2 PCR log (what it leaves
 * out, and that its replay is the PCRs the NELR replay implies), the CCEL continuation (on
 * its own and after a firmware log), CEL-TLV (round trip through the project's reader and
 * replay, and against the CEL-JSON export of the same logs).
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
#include <json-c/json.h>
#include <openssl/evp.h>

#include "byte_builder.h"
#include "eventlog/eventlog.h"
#include "eventlog/cel_tlv.h"
#include "eventlog/export_bin.h"
#include "eventlog/tcg2.h"

#define ZERO48 "000000000000000000000000000000000000000000000000" \
	       "000000000000000000000000000000000000000000000000"

static const struct hash_alg *alg(const char *name)
{
	const struct hash_alg *a = hash_alg_by_name(name);

	assert_non_null(a);
	return a;
}

static void sha384(const void *data, size_t len, uint8_t out[48])
{
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(data, len, out, &n, EVP_sha384(), NULL), 1);
}

/* "<alg>/<hex of n bytes of fill>" into a ring of buffers */
static const char *dg(const char *name, uint8_t fill)
{
	static char ring[16][200];
	static unsigned next;
	char *out = ring[next++ % 16];
	size_t n = alg(name)->size;
	int k = snprintf(out, 200, "%s/", name);

	for (size_t i = 0; i < n; i++)
		k += snprintf(out + k, 200 - (size_t)k, "%02x", fill);
	return out;
}

/* A log text from lines (each gets its LF); the caller frees it. */
static char *text_of(const char *const *lines)
{
	size_t len = 1;
	char *t;

	for (size_t i = 0; lines[i]; i++)
		len += strlen(lines[i]) + 1;
	t = calloc(1, len);
	assert_non_null(t);
	for (size_t i = 0; lines[i]; i++) {
		strcat(t, lines[i]);
		strcat(t, "\n");
	}
	return t;
}

static struct evlog_export_log mklog(const char *text, unsigned rtmr, const char *name)
{
	return (struct evlog_export_log){ .text = text, .len = strlen(text), .rtmr = rtmr,
					  .name = name };
}

static void replay(const struct evlog_export_log *l, struct evlog_replay *r)
{
	char err[256];

	evlog_replay_init(r, alg("sha384"));
	if (evlog_replay_text(r, l->text, l->len, l->name, NULL, NULL, err, sizeof(err)) < 0)
		fail_msg("%s", err);
}

/* ---- tcg2 ---- */

struct events {
	size_t n;
	struct tcg2_event ev[16];
};

static int collect(void *ctx, const struct tcg2_event *ev, char *err, size_t errlen)
{
	struct events *e = ctx;

	(void)err;
	(void)errlen;
	assert_true(e->n < 16);
	e->ev[e->n++] = *ev;
	return 0;
}

static void assert_event_line(const struct tcg2_event *ev, uint32_t index, const char *line)
{
	const uint8_t *data;
	uint32_t tag, size;

	assert_int_equal(ev->index, index);
	assert_int_equal(ev->type, TCG2_EV_EVENT_TAG);
	assert_true(tcg2_tagged_event(ev, &tag, &data, &size));
	assert_int_equal(tag, TCG2_TAG_NELR);
	assert_int_equal(size, strlen(line));
	assert_memory_equal(data, line, size);
}

/*
 * Every PCR of every bank (but 17..22, which start at all-ones and are not exported): the
 * TCG2 replay equals the NELR replay of the log it is in.
 */
static void assert_pcrs_equal(const struct tcg2_replay *t, const struct evlog_replay *nelr,
			      size_t n)
{
	size_t nalgs;
	const struct hash_alg *algs = hash_alg_all(&nalgs);
	static const uint8_t zero[HASH_MAX_SIZE];

	for (size_t a = 0; a < nalgs; a++)
		for (unsigned p = 0; p < EVLOG_PCRS; p = p == 16 ? 23 : p + 1) {
			const uint8_t *got = tcg2_replay_value(t, &algs[a], p);
			const uint8_t *want = zero;

			for (size_t i = 0; i < n; i++) {
				const struct evlog_pcr_bank *b = evlog_replay_bank(&nelr[i], &algs[a]);

				if (b && memcmp(b->value[p], zero, algs[a].size) != 0)
					want = b->value[p];
			}
			if (memcmp(got ? got : zero, want, algs[a].size) != 0)
				fail_msg("PCR %u %s differs", p, algs[a].name);
		}
}

static void test_tcg2_export(void **state)
{
	const char *l0[] = { "INIT sha384/" ZERO48, "vtpm startup clear", NULL, NULL, NULL };
	char ext1[128], ext8a[128], ext8[128], ext9a[512], ext9[512], ext16a[128], ext16[128];
	const char *l2[16];
	char *t0, *t2;
	struct evlog_export_log logs[2];
	struct evlog_replay nelr[2];
	struct evlog_export_stats st;
	struct tcg2_log_info info;
	struct events e = { 0 };
	struct bytebuf b = { 0 };
	struct tcg2_replay r;
	char err[256];
	size_t k = 0;

	(void)state;
	snprintf(ext1, sizeof(ext1), "vtpm extend 1 %s", dg("sha1", 1));
	l0[2] = ext1;
	snprintf(ext8a, sizeof(ext8a), "vtpm extend 8 %s", dg("sha256", 0x80));
	snprintf(ext9a, sizeof(ext9a), "vtpm extend 9 %s %s %s %s", dg("sha1", 0x91),
		 dg("sha256", 0x92), dg("sha384", 0x93), dg("sha512", 0x94));
	snprintf(ext8, sizeof(ext8), "vtpm extend 8 %s", dg("sha1", 0x81));
	snprintf(ext9, sizeof(ext9), "vtpm extend 9 %s %s", dg("sha256", 0x95), dg("sha384", 0x96));
	snprintf(ext16a, sizeof(ext16a), "vtpm extend 16 %s", dg("sha256", 0x16));
	snprintf(ext16, sizeof(ext16), "vtpm extend 16 %s", dg("sha384", 0x17));
	l2[k++] = "INIT sha384/" ZERO48;
	l2[k++] = "vtpm startup clear";
	l2[k++] = ext8a;                      /* before the last startup clear: left out */
	l2[k++] = ext9a;
	l2[k++] = "# a comment";
	l2[k++] = "vtpm startup clear";
	l2[k++] = ext8;
	l2[k++] = "SYNC sha384/" ZERO48;      /* no PCR change */
	l2[k++] = ext9;
	l2[k++] = ext16a;                     /* before the reset of PCR 16: left out */
	l2[k++] = "acme measured something";  /* another domain: no PCR change */
	l2[k++] = "vtpm reset 16";
	l2[k++] = ext16;
	l2[k++] = NULL;
	t0 = text_of(l0);
	t2 = text_of(l2);
	logs[0] = mklog(t0, 0, "rtmr0.log");
	logs[1] = mklog(t2, 2, "rtmr2.log");
	assert_int_equal(evlog_export_tcg2(logs, 2, alg("sha384"), &b, &st, err, sizeof(err)), 0);
	assert_int_equal(st.records, 3 + 12);
	assert_int_equal(st.events, 4);
	assert_int_equal(tcg2_log_parse(b.data, b.len, collect, &e, &info, err, sizeof(err)), 0);
	/* every bank any record carried, those before the startup clear too */
	assert_true(info.has_spec_id);
	assert_int_equal(info.spec_id.nalgs, 4);
	assert_int_equal(info.spec_id.algs[0].alg_id, TPM2_ALG_SHA1);
	assert_int_equal(info.spec_id.algs[3].alg_id, TPM2_ALG_SHA512);
	assert_int_equal(info.spec_id.algs[3].size, 64);
	assert_int_equal(e.n, 4);
	assert_event_line(&e.ev[0], 1, ext1);
	assert_event_line(&e.ev[1], 8, ext8);
	assert_event_line(&e.ev[2], 9, ext9);
	assert_event_line(&e.ev[3], 16, ext16);
	assert_int_equal(e.ev[2].ndigests, 2);
	assert_int_equal(e.ev[2].digests[1].alg_id, TPM2_ALG_SHA384);
	assert_int_equal(e.ev[2].digests[1].d[0], 0x96);
	assert_int_equal(tcg2_replay_log(&r, b.data, b.len, NULL, err, sizeof(err)), 0);
	replay(&logs[0], &nelr[0]);
	replay(&logs[1], &nelr[1]);
	assert_pcrs_equal(&r, nelr, 2);
	bytebuf_free(&b);
	free(t0);
	free(t2);
}

static int export_tcg2_lines(const char *const *a, const char *const *b2, char *err,
			     size_t errlen, struct bytebuf *out)
{
	char *ta = text_of(a), *tb = b2 ? text_of(b2) : NULL;
	struct evlog_export_log logs[2] = { mklog(ta, 1, "a.log") };
	int r;

	if (tb)
		logs[1] = mklog(tb, 2, "b.log");
	r = evlog_export_tcg2(logs, tb ? 2 : 1, alg("sha384"), out, NULL, err, errlen);
	free(ta);
	free(tb);
	return r;
}

static void test_tcg2_export_refuses(void **state)
{
	char e8[128], e17[128], err[256];
	const char *a[] = { "INIT sha384/" ZERO48, e8, NULL, NULL };
	const char *b17[] = { "INIT sha384/" ZERO48, "vtpm startup clear", e17, NULL, NULL };
	const char *none[] = { "INIT sha384/" ZERO48, "vtpm startup clear", NULL };
	struct tcg2_log_info info;
	struct bytebuf b = { 0 };

	(void)state;
	snprintf(e8, sizeof(e8), "vtpm extend 8 %s", dg("sha256", 8));
	snprintf(e17, sizeof(e17), "vtpm extend 17 %s", dg("sha256", 17));
	assert_int_equal(export_tcg2_lines(a, a, err, sizeof(err), &b), -1);
	assert_string_equal(err, "PCR 8 has records in a.log and in b.log: their order is not "
				 "defined");
	assert_int_equal(export_tcg2_lines(b17, NULL, err, sizeof(err), &b), -1);
	assert_has(err, "a.log: PCR 17 is extended, and it starts at all-ones");
	/* after a reset PCR 17 starts at zero: expressible */
	b17[2] = "vtpm reset 17";
	b17[3] = e17;
	bytebuf_free(&b);
	assert_int_equal(export_tcg2_lines(b17, NULL, err, sizeof(err), &b), 0);
	bytebuf_free(&b);
	/* a log without INIT */
	assert_int_equal(export_tcg2_lines(a + 1, NULL, err, sizeof(err), &b), -1);
	assert_has(err, "first record is not INIT");
	bytebuf_free(&b);
	/* no extend at all: a header naming sha256, no events */
	assert_int_equal(export_tcg2_lines(none, NULL, err, sizeof(err), &b), 0);
	assert_int_equal(tcg2_log_parse(b.data, b.len, NULL, NULL, &info, err, sizeof(err)), 0);
	assert_int_equal(info.spec_id.nalgs, 1);
	assert_int_equal(info.spec_id.algs[0].alg_id, TPM2_ALG_SHA256);
	assert_int_equal(info.events, 0);
	bytebuf_free(&b);
}

/* ---- ccel ---- */

/* A firmware CCEL: header (sha384), three EV_EFI_ACTION events on MR 1, 1 and 2. */
static void firmware_ccel(struct bytebuf *b)
{
	static const char *const what[] = { "fw one", "fw two", "fw three" };
	static const uint32_t mr[] = { 1, 1, 2 };
	const struct hash_alg *a = alg("sha384");
	struct tcg2_spec_id s;

	tcg2_spec_id_init(&s, &a, 1);
	assert_int_equal(tcg2_write_spec_id(b, &s), 0);
	for (size_t i = 0; i < 3; i++) {
		uint8_t d[48];
		struct tcg2_digest dg1 = tcg2_digest_of(a, d);

		sha384(what[i], strlen(what[i]), d);
		assert_int_equal(tcg2_write_event(b, mr[i], 0x80000007, &dg1, 1, what[i],
						  strlen(what[i])), 0);
	}
}

static void hex48(const uint8_t *v, char out[97])
{
	for (size_t i = 0; i < 48; i++)
		snprintf(out + 2 * i, 3, "%02x", v[i]);
}

static void test_ccel_after_firmware(void **state)
{
	uint8_t fw[5][HASH_MAX_SIZE], full_v[5][HASH_MAX_SIZE], d[48];
	char init0[120], init1[120], init2[120], e8[128], h[97];
	const char *l0[] = { init0, "vtpm startup clear", NULL };
	const char *l1[] = { init1, "vtpm startup clear", "# comment", "acme x", NULL };
	const char *l2[] = { init2, "vtpm startup clear", e8, "SYNC sha384/" ZERO48, e8, NULL };
	char *t[3];
	struct evlog_export_log logs[3];
	struct evlog_export_stats st;
	struct bytebuf b = { 0 }, full = { 0 };
	struct tcg2_log_info info;
	struct events e = { 0 };
	char err[256];
	uint32_t mask;

	(void)state;
	firmware_ccel(&b);
	assert_int_equal(tcg2_replay_mr(b.data, b.len, alg("sha384"), fw, 5, &mask, err,
					sizeof(err)), 0);
	assert_int_equal(mask, 0x6);
	/* the logs start where the firmware left the registers (RTMR2: untouched, zero) */
	hex48(fw[1], h);
	snprintf(init0, sizeof(init0), "INIT sha384/%s", h);
	hex48(fw[2], h);
	snprintf(init1, sizeof(init1), "INIT sha384/%s", h);
	snprintf(init2, sizeof(init2), "INIT sha384/" ZERO48);
	snprintf(e8, sizeof(e8), "vtpm extend 8 %s", dg("sha256", 8));
	t[0] = text_of(l0);
	t[1] = text_of(l1);
	t[2] = text_of(l2);
	for (unsigned i = 0; i < 3; i++)
		logs[i] = mklog(t[i], i, i == 0 ? "rtmr0.log" : i == 1 ? "rtmr1.log" : "rtmr2.log");

	/* appended: no header; one event per record, MR = RTMR + 1, digest = SHA-384(line) */
	assert_int_equal(evlog_export_ccel(logs, 3, alg("sha384"), false, &full, &st, err,
					   sizeof(err)), 0);
	assert_int_equal(st.events, 2 + 3 + 5);
	assert_int_equal(st.sync_records, 1);
	assert_int_equal(tcg2_log_parse(full.data, full.len, collect, &e, &info, err, sizeof(err)),
			 0);
	assert_false(info.has_spec_id);
	assert_int_equal(e.n, 10);
	assert_event_line(&e.ev[0], 1, init0);
	assert_event_line(&e.ev[4], 2, "acme x");
	assert_event_line(&e.ev[9], 3, e8);
	sha384("acme x", 6, d);
	assert_int_equal(e.ev[4].ndigests, 1);
	assert_memory_equal(e.ev[4].digests[0].d, d, 48);

	/* the firmware log, then ours: its replay is what the registers hold */
	bytebuf_put(&b, full.data, full.len);
	assert_int_equal(tcg2_replay_mr(b.data, b.len, alg("sha384"), full_v, 5, &mask, err,
					sizeof(err)), 0);
	for (unsigned i = 0; i < 2; i++) {
		struct evlog_replay r;

		replay(&logs[i], &r);
		assert_memory_equal(full_v[i + 1], r.rtmr, 48);
	}
	{
		/* RTMR2's log has a SYNC: what was extended outside the log is not in the export */
		struct evlog_replay r;

		replay(&logs[2], &r);
		assert_memory_not_equal(full_v[3], r.rtmr, 48);
	}
	bytebuf_free(&full);

	/* standalone: a header naming sha384; from zero, RTMR0 (INIT not zero) does not replay */
	assert_int_equal(evlog_export_ccel(logs, 3, alg("sha384"), true, &full, NULL, err,
					   sizeof(err)), 0);
	assert_int_equal(tcg2_log_parse(full.data, full.len, NULL, NULL, &info, err, sizeof(err)),
			 0);
	assert_true(info.has_spec_id);
	assert_int_equal(info.spec_id.nalgs, 1);
	assert_int_equal(info.spec_id.algs[0].alg_id, TPM2_ALG_SHA384);
	assert_int_equal(info.events, 10);
	bytebuf_free(&full);

	/* two logs of one RTMR */
	logs[1].rtmr = 0;
	assert_int_equal(evlog_export_ccel(logs, 3, alg("sha384"), false, &full, NULL, err,
					   sizeof(err)), -1);
	assert_has(err, "two logs for RTMR 0");
	bytebuf_free(&full);
	bytebuf_free(&b);
	for (unsigned i = 0; i < 3; i++)
		free(t[i]);
}

/* ---- cel-tlv ---- */

struct cel_rt {
	const struct evlog_export_log *logs;
	struct evlog_replay r[3];
	bool started[3];
	uint64_t next;
	struct json_object *json;  /* the CEL-JSON export's records */
};

static int cel_check(void *ctx, const struct cel_tlv_record *rec, char *err, size_t errlen)
{
	struct cel_rt *c = ctx;
	struct json_object *j = json_object_array_get_idx(c->json, (size_t)rec->recnum);
	uint8_t d[48];
	char h[97];
	unsigned rtmr = rec->index - 1;

	(void)err;
	(void)errlen;
	assert_int_equal(rec->recnum, c->next++);
	assert_int_equal(rec->index_type, CEL_TLV_CCMR);
	assert_true(rec->index >= 1 && rec->index <= 3);
	assert_int_equal(rec->content_type, CEL_TLV_CONTENT_NELR);
	assert_int_equal(rec->ndigests, 1);
	assert_int_equal(rec->digests[0].alg_id, TPM2_ALG_SHA384);
	sha384(rec->content, rec->content_size, d);
	assert_memory_equal(rec->digests[0].d, d, 48);
	/* the same record in the CEL-JSON export */
	assert_non_null(j);
	assert_int_equal(json_object_get_int64(json_object_object_get(j, "recnum")),
			 (int64_t)rec->recnum);
	assert_int_equal(json_object_get_int(json_object_object_get(j, "pcr")), rtmr);
	hex48(d, h);
	assert_string_equal(json_object_get_string(json_object_object_get(
				    json_object_array_get_idx(json_object_object_get(j, "digests"),
							      0),
				    "digest")),
			    h);
	assert_int_equal(json_object_get_string_len(json_object_object_get(j, "content")),
			 rec->content_size);
	assert_memory_equal(json_object_get_string(json_object_object_get(j, "content")),
			    rec->content, rec->content_size);
	/* replay the content lines per register */
	if (!c->started[rtmr]) {
		evlog_replay_init(&c->r[rtmr], alg("sha384"));
		c->started[rtmr] = true;
	}
	assert_int_equal(evlog_replay_line(&c->r[rtmr], (const char *)rec->content,
					   rec->content_size, NULL, NULL, 0), 0);
	return 0;
}

static void test_cel_tlv_round_trip(void **state)
{
	char e8[128], e1[128];
	const char *l0[] = { "INIT sha384/" ZERO48, "vtpm startup clear", e1, NULL };
	const char *l2[] = { "INIT sha384/" ZERO48, "vtpm startup clear", "# c", e8, "acme \xc3\xa9",
			     "SYNC sha384/" ZERO48, e8, NULL };
	char *t0, *t2;
	struct evlog_export_log logs[2];
	const char *texts[2], *names[2];
	size_t lens[2], n = 0;
	unsigned idx[2] = { 0, 2 };
	struct cel_rt c = { 0 };
	struct json_object *doc = NULL;
	struct evlog_export_stats st;
	struct bytebuf b = { 0 };
	char err[256];

	(void)state;
	snprintf(e8, sizeof(e8), "vtpm extend 8 %s", dg("sha256", 8));
	snprintf(e1, sizeof(e1), "vtpm extend 1 %s", dg("sha1", 1));
	t0 = text_of(l0);
	t2 = text_of(l2);
	logs[0] = mklog(t0, 0, "rtmr0.log");
	logs[1] = mklog(t2, 2, "rtmr2.log");
	for (size_t i = 0; i < 2; i++) {
		texts[i] = logs[i].text;
		lens[i] = logs[i].len;
		names[i] = logs[i].name;
	}
	assert_int_equal(evlog_export_cel_tlv(logs, 2, alg("sha384"), &b, &st, err, sizeof(err)),
			 0);
	assert_int_equal(st.events, 3 + 6);
	assert_int_equal(evlog_export_cel_json(texts, lens, idx, names, 2, alg("sha384"), &doc, err,
					       sizeof(err)), 0);
	c.logs = logs;
	c.json = json_object_object_get(doc, "records");
	assert_int_equal(json_object_array_length(c.json), 9);
	assert_int_equal(cel_tlv_parse(b.data, b.len, cel_check, &c, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 9);
	for (unsigned i = 0; i < 2; i++) {
		struct evlog_replay want;

		replay(&logs[i], &want);
		assert_true(c.started[idx[i]]);
		assert_int_equal(c.r[idx[i]].records, want.records);
		assert_memory_equal(c.r[idx[i]].rtmr, want.rtmr, 48);
	}
	json_object_put(doc);
	bytebuf_free(&b);
	free(t0);
	free(t2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcg2_export),
		cmocka_unit_test(test_tcg2_export_refuses),
		cmocka_unit_test(test_ccel_after_firmware),
		cmocka_unit_test(test_cel_tlv_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
