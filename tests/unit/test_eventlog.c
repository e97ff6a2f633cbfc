// SPDX-License-Identifier: MIT
/*
 * Event log: builders, strict parsing, replay (checked against chains computed here with
 * OpenSSL EVP, independently of src/common/hash_alg.c), implied PCRs, append, CEL-JSON export.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "byte_builder.h"
#include "eventlog/eventlog.h"

#define SHA384_LEN 48
#define HEX_0_TO_2F                                                                                \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"                         \
	"202122232425262728292a2b2c2d2e2f"
#define HEX_0_TO_1F "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/* ---- independent helpers (no code under test) ---- */

static void md_digest(const char *md_name, const void *data, size_t len, uint8_t *out)
{
	unsigned int outlen = 0;

	assert_int_equal(EVP_Digest(data, len, out, &outlen, EVP_get_digestbyname(md_name), NULL),
			 1);
}

static size_t md_size(const char *md_name)
{
	return (size_t)EVP_MD_get_size(EVP_get_digestbyname(md_name));
}

/* reg = H(reg || d) */
static void md_extend(const char *md_name, uint8_t *reg, const uint8_t *d)
{
	size_t n = md_size(md_name);
	uint8_t buf[128];

	memcpy(buf, reg, n);
	memcpy(buf + n, d, n);
	md_digest(md_name, buf, 2 * n, reg);
}

/* reg = H(reg || H(line)) with SHA-384: what one record does to the RTMR. */
static void chain(uint8_t *reg, const char *line)
{
	uint8_t d[SHA384_LEN];

	md_digest("SHA384", line, strlen(line), d);
	md_extend("SHA384", reg, d);
}

static char *hexs(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
	out[2 * n] = '\0';
	return out;
}

/* "<alg>/<hex of n bytes of fill>" into a static ring of buffers. */
static const char *dg(const char *alg, size_t n, uint8_t fill)
{
	static char ring[8][200];
	static unsigned next;
	char *out = ring[next++ % 8];
	uint8_t d[64];

	memset(d, fill, n);
	snprintf(out, 200, "%s/", alg);
	hexs(d, n, out + strlen(out));
	return out;
}

/* A log under construction: lines without LF. */
struct tlog {
	char *line[40];
	size_t n;
};

static __attribute__((format(printf, 2, 3))) void tl_add(struct tlog *t, const char *fmt, ...)
{
	va_list ap;

	assert_true(t->n < 40);
	va_start(ap, fmt);
	assert_true(vasprintf(&t->line[t->n++], fmt, ap) >= 0);
	va_end(ap);
}

/* The first upto lines, each with its LF. */
static char *tl_text(const struct tlog *t, size_t upto, size_t *len)
{
	char *text = calloc(1, 40 * (EVLOG_MAX_LINE + 1) + 1);

	assert_non_null(text);
	for (size_t i = 0; i < upto; i++) {
		strcat(text, t->line[i]);
		strcat(text, "\n");
	}
	*len = strlen(text);
	return text;
}

static void tl_free(struct tlog *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->line[i]);
	t->n = 0;
}

static const struct hash_alg *alg(const char *name)
{
	const struct hash_alg *a = hash_alg_by_name(name);

	assert_non_null(a);
	return a;
}

static int replay_str(struct evlog_replay *r, const char *text, char *err, size_t errlen)
{
	evlog_replay_init(r, alg("sha384"));
	return evlog_replay_text(r, text, strlen(text), "t.log", NULL, NULL, err, errlen);
}

static void assert_prefix(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("'%s' does not start with '%s'", s, prefix);
}

/* ---- builders ---- */

static void test_fmt_lines(void **state)
{
	uint8_t v[48], ff[48];
	struct evlog_digest d[2] = { { alg("sha256") }, { alg("sha1") } };
	char buf[512];

	(void)state;
	for (size_t i = 0; i < sizeof(v); i++)
		v[i] = (uint8_t)i;
	memset(ff, 0xff, sizeof(ff));
	memset(d[0].d, 0x22, 32);
	memset(d[1].d, 0x11, 20);

	assert_int_equal(evlog_fmt_init(buf, sizeof(buf), alg("sha384"), v), 5 + 7 + 96);
	assert_string_equal(buf, "INIT sha384/" HEX_0_TO_2F);
	assert_int_equal(evlog_fmt_sync(buf, sizeof(buf), alg("sha384"), ff), 5 + 7 + 96);
	assert_string_equal(buf, "SYNC sha384/ffffffffffffffffffffffffffffffffffffffffffffffff"
				 "ffffffffffffffffffffffffffffffffffffffffffffffff");
	assert_int_equal(evlog_fmt_startup_clear(buf, sizeof(buf)), 18);
	assert_string_equal(buf, "vtpm startup clear");
	assert_int_equal(evlog_fmt_ek(buf, sizeof(buf), v), 8 + 7 + 64);
	assert_string_equal(buf, "vtpm ek sha256/" HEX_0_TO_1F);
	/* Given sha256 first: written sorted by TPM_ALG_ID, sha1 (0x0004) before sha256. */
	assert_int_equal(evlog_fmt_extend(buf, sizeof(buf), 7, d, 2), 14 + 45 + 1 + 71);
	assert_string_equal(buf, "vtpm extend 7 sha1/1111111111111111111111111111111111111111 "
				 "sha256/2222222222222222222222222222222222222222222222222222222222"
				 "222222");
	assert_int_equal(evlog_fmt_extend(buf, sizeof(buf), 23, &d[1], 1), 15 + 45);
	assert_string_equal(buf, "vtpm extend 23 sha1/1111111111111111111111111111111111111111");
	assert_int_equal(evlog_fmt_reset(buf, sizeof(buf), 16), 13);
	assert_string_equal(buf, "vtpm reset 16");
	assert_int_equal(evlog_fmt_reset(buf, sizeof(buf), 0), 12);
	assert_string_equal(buf, "vtpm reset 0");
}

static void test_fmt_limits(void **state)
{
	struct evlog_digest d[2] = { { alg("sha1") }, { alg("sha1") } };
	char buf[512];

	(void)state;
	/* The line and its NUL must fit. */
	assert_int_equal(evlog_fmt_startup_clear(buf, 18), -1);
	assert_int_equal(evlog_fmt_startup_clear(buf, 19), 18);
	assert_int_equal(evlog_fmt_reset(buf, 13, 16), -1);
	assert_int_equal(evlog_fmt_init(buf, 108, alg("sha384"), (uint8_t[48]){ 0 }), -1);
	assert_int_equal(evlog_fmt_init(buf, 109, alg("sha384"), (uint8_t[48]){ 0 }), 108);
	assert_int_equal(evlog_fmt_extend(buf, 59, 1, d, 1), -1);
	assert_int_equal(evlog_fmt_extend(buf, 60, 1, d, 1), 59);
	/* Invalid arguments. */
	assert_int_equal(evlog_fmt_reset(buf, sizeof(buf), 24), -1);
	assert_int_equal(evlog_fmt_extend(buf, sizeof(buf), 24, d, 1), -1);
	assert_int_equal(evlog_fmt_extend(buf, sizeof(buf), 1, d, 0), -1);
	assert_int_equal(evlog_fmt_extend(buf, sizeof(buf), 1, d, 2), -1); /* sha1 twice */
	assert_int_equal(evlog_fmt_init(buf, sizeof(buf), NULL, (uint8_t[48]){ 0 }), -1);
}

/* Every byte value in a digest and every PCR number, against snprintf's "%02x" and "%u". */
static void test_fmt_every_byte_and_pcr(void **state)
{
	struct evlog_digest d = { alg("sha256") };
	char buf[512], want[512];

	(void)state;
	for (unsigned b = 0; b < 256; b += 32) {
		int n = snprintf(want, sizeof(want), "vtpm extend %u sha256/", b / 32 * 3);

		for (unsigned i = 0; i < 32; i++) {
			d.d[i] = (uint8_t)(b + i);
			n += snprintf(want + n, sizeof(want) - (size_t)n, "%02x", b + i);
		}
		assert_int_equal(evlog_fmt_extend(buf, sizeof(buf), b / 32 * 3, &d, 1), n);
		assert_string_equal(buf, want);
	}
	for (unsigned pcr = 0; pcr < 24; pcr++) {
		snprintf(want, sizeof(want), "vtpm reset %u", pcr);
		assert_int_equal(evlog_fmt_reset(buf, sizeof(buf), pcr), (int)strlen(want));
		assert_string_equal(buf, want);
	}
}

/* hash_digest and hash_extend (low-level SHA-1/SHA-2, EVP for the rest) against OpenSSL's
 * one-shot EVP_Digest, for every algorithm and lengths around the block boundaries. */
static void test_hash_against_evp(void **state)
{
	static const size_t lens[] = { 0, 1, 55, 56, 64, 111, 112, 128, 200, 1000 };
	uint8_t data[1000], got[HASH_MAX_SIZE], want[HASH_MAX_SIZE], reg[2 * HASH_MAX_SIZE];
	size_t n;
	const struct hash_alg *all = hash_alg_all(&n);

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (size_t a = 0; a < n; a++) {
		EVP_MD *md = EVP_MD_fetch(NULL, all[a].evp, NULL);
		unsigned int wlen = 0;

		if (!md) { /* not in this OpenSSL: ours must fail too, not invent a digest */
			assert_int_equal(hash_digest(&all[a], data, 10, got), -1);
			continue;
		}
		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			assert_int_equal(hash_digest(&all[a], data, lens[k], got), 0);
			assert_int_equal(EVP_Digest(data, lens[k], want, &wlen, md, NULL), 1);
			assert_int_equal(wlen, all[a].size);
			assert_memory_equal(got, want, all[a].size);
		}
		/* extend: reg = H(reg || digest) */
		memcpy(reg, data, all[a].size);
		memcpy(reg + all[a].size, data + 100, all[a].size);
		assert_int_equal(EVP_Digest(reg, 2 * all[a].size, want, &wlen, md, NULL), 1);
		assert_int_equal(hash_extend(&all[a], reg, data + 100, all[a].size), 0);
		assert_memory_equal(reg, want, all[a].size);
		EVP_MD_free(md);
	}
}

/* ---- parsing ---- */

static void test_parse_roundtrip(void **state)
{
	struct evlog_digest d[3] = { { alg("sha512") }, { alg("sha1") }, { alg("sha256") } };
	struct evlog_record rec;
	uint8_t v[48];
	char buf[1024], again[1024], err[256];
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(v); i++)
		v[i] = (uint8_t)(0xa0 ^ i);
	for (size_t i = 0; i < 3; i++)
		memset(d[i].d, (int)(0x30 + i), d[i].alg->size);

	n = evlog_fmt_extend(buf, sizeof(buf), 14, d, 3);
	assert_int_equal(evlog_parse_record(buf, (size_t)n, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.kind, EVLOG_EXTEND);
	assert_int_equal(rec.pcr, 14);
	assert_int_equal(rec.ndigests, 3);
	assert_ptr_equal(rec.digests[0].alg, alg("sha1"));
	assert_ptr_equal(rec.digests[1].alg, alg("sha256"));
	assert_ptr_equal(rec.digests[2].alg, alg("sha512"));
	assert_memory_equal(rec.digests[0].d, d[1].d, 20);
	assert_memory_equal(rec.digests[1].d, d[2].d, 32);
	assert_memory_equal(rec.digests[2].d, d[0].d, 64);
	assert_int_equal(evlog_fmt_extend(again, sizeof(again), rec.pcr, rec.digests, rec.ndigests),
			 n);
	assert_string_equal(again, buf);

	n = evlog_fmt_init(buf, sizeof(buf), alg("sha384"), v);
	assert_int_equal(evlog_parse_record(buf, (size_t)n, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.kind, EVLOG_INIT);
	assert_ptr_equal(rec.alg, alg("sha384"));
	assert_memory_equal(rec.value, v, 48);

	n = evlog_fmt_sync(buf, sizeof(buf), alg("sha384"), v);
	assert_int_equal(evlog_parse_record(buf, (size_t)n, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.kind, EVLOG_SYNC);
	assert_memory_equal(rec.value, v, 48);

	n = evlog_fmt_ek(buf, sizeof(buf), v);
	assert_int_equal(evlog_parse_record(buf, (size_t)n, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.kind, EVLOG_EK);
	assert_int_equal(rec.ndigests, 1);
	assert_ptr_equal(rec.digests[0].alg, alg("sha256"));
	assert_memory_equal(rec.digests[0].d, v, 32);

	n = evlog_fmt_reset(buf, sizeof(buf), 23);
	assert_int_equal(evlog_parse_record(buf, (size_t)n, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.kind, EVLOG_RESET);
	assert_int_equal(rec.pcr, 23);

	n = evlog_fmt_startup_clear(buf, sizeof(buf));
	assert_int_equal(evlog_parse_record(buf, (size_t)n, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.kind, EVLOG_STARTUP_CLEAR);
}

/* vtpm map, vtpm ak, vtpm restart: built, parsed back, and strict. */
static void test_identity_records(void **state)
{
	static const char *const bad[] = {
		"vtpm map", "vtpm map 7,1", "vtpm map 1,1", "vtpm map 01", "vtpm map 24",
		"vtpm map 1,,7", "vtpm map ,1", "vtpm map 1,", "vtpm map none,1", "vtpm map 1 7",
		"vtpm map NONE", "vtpm map 1-7", "vtpm ak", "vtpm ak sha256/00",
		"vtpm restart now", "vtpm Restart",
	};
	struct evlog_record rec;
	uint8_t v[32];
	char buf[256], err[256];
	int n;

	(void)state;
	memset(v, 0x5a, sizeof(v));
	n = evlog_fmt_map(buf, sizeof(buf), 1u << 0 | 1u << 1 | 1u << 7 | 1u << 23);
	assert_string_equal(buf, "vtpm map 0,1,7,23");
	assert_int_equal(evlog_parse_record(buf, (size_t)n, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.kind, EVLOG_MAP);
	assert_int_equal(rec.pcr_mask, 1u << 0 | 1u << 1 | 1u << 7 | 1u << 23);
	n = evlog_fmt_map(buf, sizeof(buf), 0);
	assert_string_equal(buf, "vtpm map none");
	assert_int_equal(evlog_parse_record(buf, (size_t)n, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.pcr_mask, 0);
	assert_int_equal(evlog_fmt_map(buf, sizeof(buf), 1u << 24), -1);
	n = evlog_fmt_ak(buf, sizeof(buf), v);
	assert_int_equal(evlog_parse_record(buf, (size_t)n, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.kind, EVLOG_AK);
	assert_memory_equal(rec.digests[0].d, v, 32);
	n = evlog_fmt_restart(buf, sizeof(buf));
	assert_string_equal(buf, "vtpm restart");
	assert_int_equal(evlog_parse_record(buf, (size_t)n, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.kind, EVLOG_RESTART);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (evlog_parse_record(bad[i], strlen(bad[i]), &rec, err, sizeof(err)) != -1)
			fail_msg("accepted '%s'", bad[i]);
}

/* Replays "INIT zero" + the lines given (joined by LF), and returns the replay. */
static void replay_lines_of(struct evlog_replay *r, const char *const *lines, size_t n)
{
	char text[8192], err[256];
	size_t len;

	len = (size_t)snprintf(text, sizeof(text), "INIT sha384/%096d\n", 0);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n", lines[i]);
	evlog_replay_init(r, alg("sha384"));
	if (evlog_replay_text(r, text, len, "t.log", NULL, NULL, err, sizeof(err)) != 0)
		fail_msg("replay: %s", err);
}

#define GROUP_EK "vtpm ek sha256/1111111111111111111111111111111111111111111111111111111111111111"
#define GROUP_AK "vtpm ak sha256/2222222222222222222222222222222222222222222222222222222222222222"
#define GROUP_AK2 "vtpm ak sha256/3333333333333333333333333333333333333333333333333333333333333333"
#define GROUP_EK2 "vtpm ek sha256/4444444444444444444444444444444444444444444444444444444444444444"
#define LINES(...) (const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *)

/* The group rule: tracked by the replay, never a replay error. */
static void test_group_rule(void **state)
{
	char sync[128];
	struct evlog_replay r;

	(void)state;
	replay_lines_of(&r, LINES("vtpm startup clear", "vtpm map 8,9", GROUP_EK, GROUP_AK,
				  "vtpm reset 16", "vtpm restart", "vtpm map 8", GROUP_EK, GROUP_AK2));
	assert_int_equal(r.group_error, 0);
	assert_int_equal(r.group.record, 7); /* INIT is record 1, the restart 7 */
	assert_int_equal(r.group.map, 1u << 8);
	assert_int_equal(r.group.ak.d[0], 0x33);
	assert_ptr_equal(r.group.ek.alg, alg("sha256"));
	/* ... but a restart whose group does not repeat the one before it is noted apart */
	assert_int_equal(r.restart_error, 7);
	assert_int_equal(r.last_startup, 2);
	/* a SYNC inside a group (the keeper had to write one) does not break it */
	snprintf(sync, sizeof(sync), "SYNC sha384/%096d", 7);
	replay_lines_of(&r, LINES("vtpm startup clear", sync, "vtpm map 8", GROUP_EK, GROUP_AK));
	assert_int_equal(r.group_error, 0);
	assert_int_equal(r.group.record, 2);
	/* each way to break it: the first offending record is named */
	replay_lines_of(&r, LINES("vtpm startup clear", GROUP_EK, "vtpm map 8", GROUP_AK));
	assert_int_equal(r.group_error, 3);
	assert_int_equal(r.group.record, 0);
	replay_lines_of(&r, LINES("vtpm startup clear", "vtpm map 8", GROUP_EK,
				  "vtpm extend 8 sha1/" "0000000000000000000000000000000000000000",
				  GROUP_AK));
	assert_int_equal(r.group_error, 5);
	replay_lines_of(&r, LINES("vtpm startup clear", "vtpm map 8", GROUP_EK, GROUP_AK,
				  GROUP_AK2));
	assert_int_equal(r.group_error, 6);
	assert_int_equal(r.group.ak.d[0], 0x22); /* the stray record did not replace it */
	replay_lines_of(&r, LINES("vtpm map 8"));
	assert_int_equal(r.group_error, 2);
	replay_lines_of(&r, LINES("vtpm startup clear", "vtpm map 8", "vtpm restart",
				  "vtpm map 8", GROUP_EK, GROUP_AK));
	assert_int_equal(r.group_error, 4);
	replay_lines_of(&r, LINES("vtpm startup clear", "vtpm map 8", GROUP_EK,
				  "other domain record", GROUP_AK));
	assert_int_equal(r.group_error, 5);
	/* an unfinished group at the end is no error (the log is still being written) */
	replay_lines_of(&r, LINES("vtpm startup clear", "vtpm map 8"));
	assert_int_equal(r.group_error, 0);
	assert_int_equal(r.group_step, 2);
	assert_int_equal(r.group.record, 0);
}

/* `vtpm restart` continues the instance of the group before it: the same map, EK and AK. */
static void test_restart_rule(void **state)
{
	struct evlog_replay r;

	(void)state;
	replay_lines_of(&r, LINES("vtpm startup clear", "vtpm map 8,9", GROUP_EK, GROUP_AK,
				  "vtpm extend 8 sha1/" "0000000000000000000000000000000000000000",
				  "vtpm restart", "vtpm map 8,9", GROUP_EK, GROUP_AK,
				  "vtpm restart", "vtpm map 8,9", GROUP_EK, GROUP_AK));
	assert_int_equal(r.group_error, 0);
	assert_int_equal(r.restart_error, 0);
	assert_int_equal(r.group.record, 11);
	assert_int_equal(r.last_startup, 2);
	assert_int_equal(r.last_sync, 0);
	/* the forged inputs: another map, another EK, another AK, no group before */
	replay_lines_of(&r, LINES("vtpm startup clear", "vtpm map 8,9", GROUP_EK, GROUP_AK,
				  "vtpm restart", "vtpm map 8", GROUP_EK, GROUP_AK));
	assert_int_equal(r.restart_error, 6);
	assert_string_equal(r.restart_error_what,
			    "a vtpm restart whose vtpm map differs from the group before it");
	replay_lines_of(&r, LINES("vtpm startup clear", "vtpm map 8,9", GROUP_EK, GROUP_AK,
				  "vtpm restart", "vtpm map 8,9", GROUP_EK2, GROUP_AK));
	assert_int_equal(r.group_error, 0);
	assert_int_equal(r.restart_error, 6);
	assert_string_equal(r.restart_error_what,
			    "a vtpm restart whose EK or AK differs from the group before it");
	replay_lines_of(&r, LINES("vtpm startup clear", "vtpm map 8,9", GROUP_EK, GROUP_AK,
				  "vtpm restart", "vtpm map 8,9", GROUP_EK, GROUP_AK2));
	assert_int_equal(r.group_error, 0);
	assert_int_equal(r.restart_error, 6);
	replay_lines_of(&r, LINES("vtpm restart", "vtpm map 8,9", GROUP_EK, GROUP_AK));
	assert_int_equal(r.restart_error, 2);
	assert_string_equal(r.restart_error_what,
			    "a vtpm restart with no vtpm startup clear group before it");
	assert_int_equal(r.last_startup, 0);
}

static void test_parse_other_domains(void **state)
{
	static const char *const ok[] = {
		"systemd enter-initrd",
		"ima 10 ima-ng sha256:abcd /usr/bin/true",
		"Foo is mixed case, not reserved",
		"vtpmx not the vtpm domain",
		"x",
		"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\x92",
	};
	struct evlog_record rec;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		err[0] = '\0';
		if (evlog_parse_record(ok[i], strlen(ok[i]), &rec, err, sizeof(err)) != 0)
			fail_msg("rejected '%s': %s", ok[i], err);
		assert_int_equal(rec.kind, EVLOG_OTHER);
	}
}

static void test_parse_rejects(void **state)
{
	char sha1[64], sha256[96], bad[256];
	const char *const bad_lines[] = {
		"", "# a comment is not a record", "vtpm", "vtpm ", "vtpm frobnicate",
		"vtpm startup", "vtpm startup clear now", "vtpm startup Clear",
		"vtpm  startup clear",
		"vtpm startup clear ", " vtpm startup clear", "vtpm reset", "vtpm reset 24",
		"vtpm reset 07", "vtpm reset -1", "vtpm reset 1 2", "vtpm reset x", "vtpm ek",
		"vtpm ek sha256/00", "vtpm extend 3", "vtpm extend", "INIT", "INIT sha384/",
		"SYNC sha384/00 sha384/00", "FOO bar", "ZZ9", "LOG_KEEPER", "INITX a",
		"other\x01" "control", "tab\there", "del\x7f", "trunc \xc3", "overlong \xc0\xaf",
		"surrogate \xed\xa0\x80", "c1 \xc2\x85", "nul\0inside",
	};
	struct evlog_record rec;
	char err[256];

	(void)state;
	snprintf(sha1, sizeof(sha1), "%s", dg("sha1", 20, 0x11));
	snprintf(sha256, sizeof(sha256), "%s", dg("sha256", 32, 0x22));
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		size_t len = strcmp(bad_lines[i], "nul") == 0 ? 10 : strlen(bad_lines[i]);

		err[0] = '\0';
		if (evlog_parse_record(bad_lines[i], len, &rec, err, sizeof(err)) != -1)
			fail_msg("accepted '%s'", bad_lines[i]);
		assert_true(strlen(err) > 0);
	}
	/* "sync lower" is a valid other-domain record: only upper-case words are reserved. */
	snprintf(bad, sizeof(bad), "vtpm extend 7 %s %s", sha256, sha1);
	assert_int_equal(evlog_parse_record(bad, strlen(bad), &rec, err, sizeof(err)), -1);
	assert_has(err, "sorted");
	snprintf(bad, sizeof(bad), "vtpm extend 7 %s %s", sha1, sha1);
	assert_int_equal(evlog_parse_record(bad, strlen(bad), &rec, err, sizeof(err)), -1);
	snprintf(bad, sizeof(bad), "vtpm extend 7 md5/%s", sha1 + 5);
	assert_int_equal(evlog_parse_record(bad, strlen(bad), &rec, err, sizeof(err)), -1);
	assert_has(err, "unknown hash algorithm 'md5'");
	snprintf(bad, sizeof(bad), "vtpm extend 7 SHA1/%s", sha1 + 5);
	assert_int_equal(evlog_parse_record(bad, strlen(bad), &rec, err, sizeof(err)), -1);
	snprintf(bad, sizeof(bad), "vtpm extend 7 %s", sha1 + 5); /* no alg */
	assert_int_equal(evlog_parse_record(bad, strlen(bad), &rec, err, sizeof(err)), -1);
	snprintf(bad, sizeof(bad), "vtpm extend 7 sha256/%s", sha1 + 5); /* sha1-sized */
	assert_int_equal(evlog_parse_record(bad, strlen(bad), &rec, err, sizeof(err)), -1);
	assert_has(err, "64 lowercase hex");
	snprintf(bad, sizeof(bad), "vtpm extend 7 %s\r", sha1);
	assert_int_equal(evlog_parse_record(bad, strlen(bad), &rec, err, sizeof(err)), -1);
	assert_has(err, "CR");
}

static void test_parse_sync_lower_is_other(void **state)
{
	struct evlog_record rec;
	char err[256];

	(void)state;
	/* Only the exact words INIT, SYNC, vtpm have a grammar. */
	assert_int_equal(evlog_parse_record("sync lower", 10, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.kind, EVLOG_OTHER);
}

static void test_comment(void **state)
{
	(void)state;
	assert_true(evlog_line_is_comment("", 0));
	assert_true(evlog_line_is_comment("#", 1));
	assert_true(evlog_line_is_comment("# INIT sha384/00", 16));
	assert_false(evlog_line_is_comment(" #", 2));
	assert_false(evlog_line_is_comment("vtpm startup clear", 18));
}

/* ---- replay ---- */

struct seen {
	size_t n;
	size_t recnum[40], lineno[40];
	uint8_t after[40][SHA384_LEN];
};

static int record_cb(void *ctx, const struct evlog_entry *e)
{
	struct seen *s = ctx;

	assert_true(e->len > 0 && e->line[0] != '#' && e->line[e->len] == '\n');
	assert_true(e->rec->kind != EVLOG_COMMENT);
	s->recnum[s->n] = e->recnum;
	s->lineno[s->n] = e->lineno;
	memcpy(s->after[s->n++], e->rtmr_after, SHA384_LEN);
	return 0;
}

static void test_replay_chain(void **state)
{
	uint8_t init[48], sync[48], expect[48], after[40][48];
	size_t expect_lines[40], nrec = 0, len, len2;
	struct tlog t = { 0 }, plain = { 0 };
	struct evlog_replay r, r2;
	struct seen seen = { 0 };
	char hex[200], err[256];
	char *text, *text2;

	(void)state;
	for (size_t i = 0; i < 48; i++) {
		init[i] = (uint8_t)(0x5a ^ i);
		sync[i] = (uint8_t)(0xc3 + 7 * i);
	}
	tl_add(&t, "# vtpm-rtmr event log of RTMR 2");
	tl_add(&t, "INIT sha384/%s", hexs(init, 48, hex));
	tl_add(&t, "%s", "");
	tl_add(&t, "vtpm startup clear");
	tl_add(&t, "vtpm extend 8 %s %s", dg("sha1", 20, 1), dg("sha256", 32, 2));
	tl_add(&t, "systemd enter-initrd");
	tl_add(&t, "SYNC sha384/%s", hexs(sync, 48, hex));
	tl_add(&t, "vtpm extend 8 %s", dg("sha256", 32, 3));
	tl_add(&t, "#INIT sha384/%s", hexs(sync, 48, hex));
	tl_add(&t, "vtpm reset 16");

	/* Independently: INIT and SYNC set the value before them, every record extends. */
	for (size_t i = 0; i < t.n; i++) {
		const char *l = t.line[i];

		if (l[0] == '\0' || l[0] == '#')
			continue;
		tl_add(&plain, "%s", l);
		if (strncmp(l, "INIT ", 5) == 0)
			memcpy(expect, init, 48);
		if (strncmp(l, "SYNC ", 5) == 0)
			memcpy(expect, sync, 48);
		chain(expect, l);
		memcpy(after[nrec], expect, 48);
		expect_lines[nrec++] = i + 1;
	}

	text = tl_text(&t, t.n, &len);
	evlog_replay_init(&r, alg("sha384"));
	assert_int_equal(evlog_replay_text(&r, text, len, "t.log", record_cb, &seen, err,
					   sizeof(err)),
			 0);
	assert_true(r.started);
	assert_int_equal(r.records, 7);
	assert_int_equal(r.sync_records, 1);
	assert_memory_equal(r.rtmr, expect, 48);
	assert_int_equal(seen.n, nrec);
	for (size_t i = 0; i < nrec; i++) {
		assert_int_equal(seen.recnum[i], i + 1);
		assert_int_equal(seen.lineno[i], expect_lines[i]);
		assert_memory_equal(seen.after[i], after[i], 48);
	}

	/* Comments are not hashed: the same records without them replay to the same value. */
	text2 = tl_text(&plain, plain.n, &len2);
	evlog_replay_init(&r2, alg("sha384"));
	assert_int_equal(evlog_replay_text(&r2, text2, len2, "p.log", NULL, NULL, err,
					   sizeof(err)),
			 0);
	assert_memory_equal(r2.rtmr, expect, 48);
	free(text);
	free(text2);
	tl_free(&t);
	tl_free(&plain);
}

static void test_replay_empty(void **state)
{
	struct evlog_replay r;
	char err[256];

	(void)state;
	assert_int_equal(replay_str(&r, "", err, sizeof(err)), 0);
	assert_false(r.started);
	assert_int_equal(replay_str(&r, "# only\n\n# comments\n", err, sizeof(err)), 0);
	assert_false(r.started);
	assert_int_equal(r.records, 0);
}

/* Replaying text fails with an error naming source and line. */
static void expect_replay_error(const char *text, size_t len, const char *where, const char *what)
{
	struct evlog_replay r;
	char err[256] = "";

	evlog_replay_init(&r, alg("sha384"));
	assert_int_equal(evlog_replay_text(&r, text, len, "t.log", NULL, NULL, err, sizeof(err)),
			 -1);
	assert_prefix(err, where);
	assert_has(err, what);
}

/* A sha1 digest of prefix and then n '1's on line 3 of a log. */
static void digest_error(const char *init, const char *prefix, size_t n)
{
	char buf[400], ones[100];

	memset(ones, '1', n);
	ones[n] = '\0';
	snprintf(buf, sizeof(buf), "%s\n\nvtpm extend 1 sha1/%s%s\n", init, prefix, ones);
	expect_replay_error(buf, strlen(buf), "t.log:3: ", "sha1 digest is not 40 lowercase hex");
}

static void test_replay_errors(void **state)
{
	char init[200], buf[EVLOG_MAX_LINE * 2 + 400];
	const char *sha1 = dg("sha1", 20, 0x11);

	(void)state;
	snprintf(init, sizeof(init), "INIT %s", dg("sha384", 48, 0));

	snprintf(buf, sizeof(buf), "%s\n# c\nvtpm startup clear\r\n", init);
	expect_replay_error(buf, strlen(buf), "t.log:3: ", "CR");
	snprintf(buf, sizeof(buf), "%s\n# a comment with CR\r\n", init);
	expect_replay_error(buf, strlen(buf), "t.log:2: ", "CR");

	snprintf(buf, sizeof(buf), "# c\n\nvtpm startup clear\n%s\n", init);
	expect_replay_error(buf, strlen(buf), "t.log:3: ", "first record is not INIT");
	snprintf(buf, sizeof(buf), "systemd x\n%s\n", init);
	expect_replay_error(buf, strlen(buf), "t.log:1: ", "first record is not INIT");
	snprintf(buf, sizeof(buf), "%s\n%s\n", init, init);
	expect_replay_error(buf, strlen(buf), "t.log:2: ", "INIT");
	snprintf(buf, sizeof(buf), "INIT %s\n", dg("sha256", 32, 0));
	expect_replay_error(buf, strlen(buf), "t.log:1: ", "sha384");
	snprintf(buf, sizeof(buf), "%s\nSYNC %s\n", init, dg("sha512", 64, 0));
	expect_replay_error(buf, strlen(buf), "t.log:2: ", "sha384");

	snprintf(buf, sizeof(buf), "%s\nvtpm startup clear", init);
	expect_replay_error(buf, strlen(buf), "t.log:2: ", "truncated last record");
	snprintf(buf, sizeof(buf), "%s\n# comment", init);
	expect_replay_error(buf, strlen(buf), "t.log:2: ", "truncated last record");

	/* Digest errors name the line: non-hex, upper-case hex, one digit short, one byte long. */
	digest_error(init, "zz", 38);
	digest_error(init, "AB", 38);
	digest_error(init, "", 39);
	digest_error(init, "", 42);
	snprintf(buf, sizeof(buf), "%s\nvtpm extend 1 %s %s\n", init, dg("sha256", 32, 2), sha1);
	expect_replay_error(buf, strlen(buf), "t.log:2: ", "sorted");
	snprintf(buf, sizeof(buf), "%s\nvtpm bogus\n", init);
	expect_replay_error(buf, strlen(buf), "t.log:2: ", "unknown vtpm record 'bogus'");
	snprintf(buf, sizeof(buf), "%s\nKEEPER thing\n", init);
	expect_replay_error(buf, strlen(buf), "t.log:2: ", "reserved");

	/* A NUL inside a record line. */
	snprintf(buf, sizeof(buf), "%s\nsystemd XY\n", init);
	buf[strlen(init) + 9] = '\0';
	expect_replay_error(buf, strlen(init) + 12, "t.log:2: ", "non-printable");
}

static void test_replay_long_line(void **state)
{
	char *buf = malloc(2 * EVLOG_MAX_LINE);
	struct evlog_replay r;
	size_t n;
	char err[256];

	(void)state;
	assert_non_null(buf);
	n = (size_t)sprintf(buf, "INIT %s\n", dg("sha384", 48, 0));
	/* Exactly EVLOG_MAX_LINE bytes: fine. */
	memset(buf + n, 'a', EVLOG_MAX_LINE);
	buf[n + EVLOG_MAX_LINE] = '\n';
	evlog_replay_init(&r, alg("sha384"));
	assert_int_equal(evlog_replay_text(&r, buf, n + EVLOG_MAX_LINE + 1, "t.log", NULL, NULL,
					   err, sizeof(err)),
			 0);
	assert_int_equal(r.records, 2);
	/* One more byte: rejected, naming the line. */
	buf[n + EVLOG_MAX_LINE] = 'a';
	buf[n + EVLOG_MAX_LINE + 1] = '\n';
	expect_replay_error(buf, n + EVLOG_MAX_LINE + 2, "t.log:2: ", "longer than 4096");
	/* Even as a comment. */
	buf[n] = '#';
	expect_replay_error(buf, n + EVLOG_MAX_LINE + 2, "t.log:2: ", "longer than 4096");
	free(buf);
}

static void test_replay_line_error_keeps_state(void **state)
{
	struct evlog_replay r, snap;
	char line[200], err[256];

	(void)state;
	evlog_replay_init(&r, alg("sha384"));
	snprintf(line, sizeof(line), "INIT %s", dg("sha384", 48, 7));
	assert_int_equal(evlog_replay_line(&r, line, strlen(line), NULL, err, sizeof(err)), 0);
	snprintf(line, sizeof(line), "vtpm extend 3 %s", dg("sha1", 20, 1));
	assert_int_equal(evlog_replay_line(&r, line, strlen(line), NULL, err, sizeof(err)), 0);
	memcpy(&snap, &r, sizeof(r));
	snprintf(line, sizeof(line), "vtpm extend 3 %s %s", dg("sha256", 32, 1), dg("sha1", 20, 1));
	assert_int_equal(evlog_replay_line(&r, line, strlen(line), NULL, err, sizeof(err)), -1);
	assert_int_equal(evlog_replay_line(&r, "#x\r", 3, NULL, err, sizeof(err)), -1);
	assert_memory_equal(&snap, &r, sizeof(r));
	/* Comments are accepted and change nothing. */
	assert_int_equal(evlog_replay_line(&r, "# note", 6, NULL, err, sizeof(err)), 0);
	assert_int_equal(evlog_replay_line(&r, "", 0, NULL, err, sizeof(err)), 0);
	assert_memory_equal(&snap, &r, sizeof(r));
}

static void feed(struct evlog_replay *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void feed(struct evlog_replay *r, const char *fmt, ...)
{
	char line[EVLOG_MAX_LINE + 1], err[256] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (evlog_replay_line(r, line, strlen(line), NULL, err, sizeof(err)) != 0)
		fail_msg("'%s': %s", line, err);
}

static const uint8_t *pcr(const struct evlog_replay *r, const char *bank, unsigned i)
{
	const struct evlog_pcr_bank *b = evlog_replay_bank(r, alg(bank));

	assert_non_null(b);
	assert_true(b->used);
	return b->value[i];
}

/* v = H(fill^n || d^n), i.e. one extend of a PCR that held fill bytes. */
static void once(const char *md, size_t n, uint8_t fill, uint8_t d, uint8_t *v)
{
	uint8_t dig[64];

	memset(v, fill, n);
	memset(dig, d, n);
	md_extend(md, v, dig);
}

static void test_replay_pcrs(void **state)
{
	uint8_t e1[64], e256[64], dig[64], zero[64] = { 0 }, ff[64];
	struct evlog_replay r;

	(void)state;
	memset(ff, 0xff, sizeof(ff));
	evlog_replay_init(&r, alg("sha384"));
	feed(&r, "INIT %s", dg("sha384", 48, 0x42));
	feed(&r, "vtpm startup clear");
	assert_null(evlog_replay_bank(&r, alg("sha1")));

	/* PCR 17 starts all-FF, PCR 0 at zero; a bank first seen starts at initial values. */
	feed(&r, "vtpm extend 17 %s", dg("sha1", 20, 0xa1));
	once("SHA1", 20, 0xff, 0xa1, e1);
	assert_memory_equal(pcr(&r, "sha1", 17), e1, 20);
	assert_memory_equal(pcr(&r, "sha1", 0), zero, 20);
	assert_memory_equal(pcr(&r, "sha1", 22), ff, 20);
	assert_null(evlog_replay_bank(&r, alg("sha256")));

	feed(&r, "vtpm extend 0 %s %s", dg("sha1", 20, 0xb1), dg("sha256", 32, 0xb2));
	feed(&r, "vtpm extend 0 %s", dg("sha256", 32, 0xc2));
	once("SHA1", 20, 0x00, 0xb1, e1);
	assert_memory_equal(pcr(&r, "sha1", 0), e1, 20);
	once("SHA256", 32, 0x00, 0xb2, e256);
	memset(dig, 0xc2, 32);
	md_extend("SHA256", e256, dig);
	assert_memory_equal(pcr(&r, "sha256", 0), e256, 32);
	assert_memory_equal(pcr(&r, "sha256", 17), ff, 32); /* sha1 extend of 17 left it */

	/* vtpm ek and other domains change no PCR. */
	feed(&r, "vtpm ek %s", dg("sha256", 32, 0xee));
	feed(&r, "vtpm extend 16 %s", dg("sha1", 20, 0xd1));
	once("SHA1", 20, 0x00, 0xd1, e1);
	assert_memory_equal(pcr(&r, "sha1", 16), e1, 20);

	/* Reset sets the PCR to 0 in every bank. */
	feed(&r, "vtpm reset 16");
	feed(&r, "vtpm reset 17");
	assert_memory_equal(pcr(&r, "sha1", 16), zero, 20);
	assert_memory_equal(pcr(&r, "sha1", 17), zero, 20);
	assert_memory_equal(pcr(&r, "sha256", 17), zero, 32);
	/* A bank first seen after a reset of PCR 17 extends from the reset value 0, as TPMs do. */
	feed(&r, "vtpm extend 17 %s", dg("sha384", 48, 0xf3));
	once("SHA384", 48, 0x00, 0xf3, dig);
	assert_memory_equal(pcr(&r, "sha384", 17), dig, 48);
	assert_memory_equal(pcr(&r, "sha384", 18), ff, 48);

	/* Startup clear: every PCR of every bank back to its initial value. */
	feed(&r, "vtpm startup clear");
	for (unsigned i = 0; i < EVLOG_PCRS; i++) {
		const uint8_t *init = (i >= 17 && i <= 22) ? ff : zero;

		assert_memory_equal(pcr(&r, "sha1", i), init, 20);
		assert_memory_equal(pcr(&r, "sha256", i), init, 32);
		assert_memory_equal(pcr(&r, "sha384", i), init, 48);
	}
	feed(&r, "vtpm extend 17 %s", dg("sha256", 32, 0x17));
	once("SHA256", 32, 0xff, 0x17, e256);
	assert_memory_equal(pcr(&r, "sha256", 17), e256, 32);
	feed(&r, "vtpm extend 23 %s", dg("sha256", 32, 0x23));
	once("SHA256", 32, 0x00, 0x23, e256);
	assert_memory_equal(pcr(&r, "sha256", 23), e256, 32);
	assert_null(evlog_replay_bank(&r, alg("sha512")));
	assert_int_equal(r.records, 13);
}

static void test_replay_other_domain(void **state)
{
	struct evlog_pcr_bank banks[EVLOG_BANKS];
	uint8_t expect[48];
	struct evlog_replay r;
	char line[200];

	(void)state;
	evlog_replay_init(&r, alg("sha384"));
	memset(expect, 0x42, 48);
	snprintf(line, sizeof(line), "INIT %s", dg("sha384", 48, 0x42));
	feed(&r, "%s", line);
	chain(expect, line);
	feed(&r, "vtpm startup clear");
	chain(expect, "vtpm startup clear");
	snprintf(line, sizeof(line), "vtpm extend 10 %s", dg("sha256", 32, 5));
	feed(&r, "%s", line);
	chain(expect, line);
	memcpy(banks, r.banks, sizeof(banks));

	feed(&r, "ima 10 sha256:%s /usr/bin/x", dg("sha256", 32, 9) + 7);
	snprintf(line, sizeof(line), "ima 10 sha256:%s /usr/bin/x", dg("sha256", 32, 9) + 7);
	chain(expect, line);
	feed(&r, "systemd vtpm extend 10 %s", dg("sha256", 32, 6));
	snprintf(line, sizeof(line), "systemd vtpm extend 10 %s", dg("sha256", 32, 6));
	chain(expect, line);
	assert_memory_equal(r.rtmr, expect, 48);
	assert_memory_equal(r.banks, banks, sizeof(banks));
	assert_int_equal(r.records, 5);
}

/* Roll-forward: the log replays to the register only without its last record. */
static void test_replay_roll_forward(void **state)
{
	struct tlog t = { 0 };
	struct evlog_replay full, part;
	uint8_t d[48], v[48], sync[48];
	char err[256], hex[100];
	size_t len;
	char *text;

	(void)state;
	memset(sync, 0x99, 48);
	tl_add(&t, "INIT %s", dg("sha384", 48, 0x10));
	tl_add(&t, "vtpm startup clear");
	tl_add(&t, "# comment");
	tl_add(&t, "vtpm extend 7 %s", dg("sha256", 32, 0x77));
	tl_add(&t, "SYNC sha384/%s", hexs(sync, 48, hex));
	tl_add(&t, "vtpm reset 23");

	for (size_t upto = 1; upto <= t.n; upto++) {
		const char *last = t.line[upto - 1];

		if (last[0] == '#')
			continue;
		text = tl_text(&t, upto, &len);
		assert_int_equal(replay_str(&full, text, err, sizeof(err)), 0);
		free(text);
		md_digest("SHA384", last, strlen(last), d);
		assert_memory_equal(full.last_digest, d, 48);
		memcpy(v, full.rtmr_before_last, 48);
		md_extend("SHA384", v, d);
		assert_memory_equal(full.rtmr, v, 48);
		if (upto == 1) { /* INIT: the value before it is its own value */
			memset(v, 0x10, 48);
			assert_memory_equal(full.rtmr_before_last, v, 48);
		} else if (strncmp(last, "SYNC", 4) == 0) {
			assert_memory_equal(full.rtmr_before_last, sync, 48);
		} else {
			text = tl_text(&t, upto - 1, &len);
			assert_int_equal(replay_str(&part, text, err, sizeof(err)), 0);
			free(text);
			assert_memory_equal(full.rtmr_before_last, part.rtmr, 48);
		}
	}
	tl_free(&t);
}

/* ---- append ---- */

static void test_append(void **state)
{
	char path[] = "/tmp/test_eventlog.XXXXXX", buf[EVLOG_MAX_LINE + 2];
	struct rlimit old, lim;
	int fd = mkstemp(path), rfd, r;
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	fd = open(path, O_WRONLY | O_APPEND);
	rfd = open(path, O_RDONLY);
	unlink(path);
	assert_true(fd >= 0 && rfd >= 0);
	assert_int_equal(evlog_append(fd, "vtpm startup clear", 18), 0);
	assert_int_equal(evlog_append(fd, "vtpm reset 16xx", 13), 0);
	assert_int_equal(evlog_append(fd, "a\nb", 3), -EINVAL);
	assert_int_equal(evlog_append(fd, "a\rb", 3), -EINVAL);
	assert_int_equal(evlog_append(fd, "", 0), -EINVAL);
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(evlog_append(fd, buf, EVLOG_MAX_LINE + 1), -EINVAL);

	/* A short write (file size limit) is -EIO. */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 19 + 14 + 9; /* room for 9 bytes of the next record */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	r = evlog_append(fd, buf, 20);
	/* Restore before asserting: a failed assertion must not leave the limit on stdout. */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(r, -EIO);
	close(fd);

	n = read(rfd, buf, sizeof(buf));
	close(rfd);
	assert_int_equal(n, 42);
	assert_memory_equal(buf, "vtpm startup clear\nvtpm reset 16\naaaaaaaaa", 42);
	assert_int_equal(evlog_append(-1, "x", 1), -EBADF);
}

/* ---- CEL-JSON export ---- */

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no key '%s'", key);
	return v;
}

static void check_record(struct json_object *rec, int recnum, int rtmr, const char *line)
{
	struct json_object *digests = get(rec, "digests"), *d;
	uint8_t dig[48];
	char hex[100];

	assert_true(json_object_is_type(rec, json_type_object));
	assert_int_equal(json_object_object_length(rec), 5);
	assert_true(json_object_is_type(get(rec, "recnum"), json_type_int));
	assert_int_equal(json_object_get_int(get(rec, "recnum")), recnum);
	assert_int_equal(json_object_get_int(get(rec, "pcr")), rtmr);
	assert_string_equal(json_object_get_string(get(rec, "content_type")), "CC-CEL");
	assert_string_equal(json_object_get_string(get(rec, "content")), line);
	assert_int_equal(json_object_array_length(digests), 1);
	d = json_object_array_get_idx(digests, 0);
	assert_int_equal(json_object_object_length(d), 2);
	assert_string_equal(json_object_get_string(get(d, "hashAlg")), "sha384");
	md_digest("SHA384", line, strlen(line), dig);
	assert_string_equal(json_object_get_string(get(d, "digest")), hexs(dig, 48, hex));
}

static void check_register(struct json_object *reg, int rtmr, const uint8_t *value)
{
	char hex[100];

	assert_int_equal(json_object_object_length(reg), 3);
	assert_int_equal(json_object_get_int(get(reg, "rtmr")), rtmr);
	assert_string_equal(json_object_get_string(get(reg, "hashAlg")), "sha384");
	assert_string_equal(json_object_get_string(get(reg, "value")), hexs(value, 48, hex));
}

static void test_export(void **state)
{
	struct tlog a = { 0 }, b = { 0 };
	const char *texts[2], *sources[2] = { "rtmr1.log", "rtmr2.log" };
	const char *lines[5];
	uint8_t va[48], vb[48];
	const unsigned idx[2] = { 1, 2 };
	struct json_object *doc = NULL, *back, *records, *registers;
	size_t lens[2];
	char err[256];
	char *ta, *tb;

	(void)state;
	tl_add(&a, "# RTMR 1");
	tl_add(&a, "INIT %s", dg("sha384", 48, 0x01));
	tl_add(&a, "vtpm startup clear");
	tl_add(&a, "%s", "");
	tl_add(&a, "vtpm extend 2 %s", dg("sha256", 32, 0x02));
	tl_add(&b, "INIT %s", dg("sha384", 48, 0));
	tl_add(&b, "caf\xc3\xa9 \"quoted\" \\ back/slash");
	lines[0] = a.line[1];
	lines[1] = a.line[2];
	lines[2] = a.line[4];
	lines[3] = b.line[0];
	lines[4] = b.line[1];
	memset(va, 0x01, 48);
	for (size_t i = 0; i < 3; i++)
		chain(va, lines[i]);
	memset(vb, 0, 48);
	for (size_t i = 3; i < 5; i++)
		chain(vb, lines[i]);

	texts[0] = ta = tl_text(&a, a.n, &lens[0]);
	texts[1] = tb = tl_text(&b, b.n, &lens[1]);
	assert_int_equal(evlog_export_cel_json(texts, lens, idx, sources, 2, alg("sha384"), &doc,
					       err, sizeof(err)),
			 0);
	assert_non_null(doc);
	/* Serialise and parse back: the document a verifier reads. */
	back = json_tokener_parse(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
	json_object_put(doc);
	assert_non_null(back);
	assert_int_equal(json_object_object_length(back), 2);
	records = get(back, "records");
	registers = get(back, "registers");
	assert_int_equal(json_object_array_length(records), 5);
	for (int i = 0; i < 5; i++)
		check_record(json_object_array_get_idx(records, (size_t)i), i, i < 3 ? 1 : 2,
			     lines[i]);
	assert_int_equal(json_object_array_length(registers), 2);
	check_register(json_object_array_get_idx(registers, 0), 1, va);
	check_register(json_object_array_get_idx(registers, 1), 2, vb);
	json_object_put(back);

	/* Errors: a bad line names its log and line; an RTMR twice; an empty log. */
	doc = NULL;
	tb[lens[1] - 2] = '\r';
	assert_int_equal(evlog_export_cel_json(texts, lens, idx, sources, 2, alg("sha384"), &doc,
					       err, sizeof(err)),
			 -1);
	assert_prefix(err, "rtmr2.log:2: ");
	assert_null(doc);
	assert_int_equal(evlog_export_cel_json(texts, lens, (unsigned[]){ 1, 1 }, sources, 2,
					       alg("sha384"), &doc, err, sizeof(err)),
			 -1);
	assert_has(err, "RTMR 1");
	lens[1] = 0;
	assert_int_equal(evlog_export_cel_json(texts, lens, idx, sources, 2, alg("sha384"), &doc,
					       err, sizeof(err)),
			 -1);
	assert_prefix(err, "rtmr2.log: ");
	assert_null(doc);
	free(ta);
	free(tb);
	tl_free(&a);
	tl_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fmt_lines),
		cmocka_unit_test(test_fmt_limits),
		cmocka_unit_test(test_fmt_every_byte_and_pcr),
		cmocka_unit_test(test_hash_against_evp),
		cmocka_unit_test(test_parse_roundtrip),
		cmocka_unit_test(test_identity_records),
		cmocka_unit_test(test_group_rule),
		cmocka_unit_test(test_restart_rule),
		cmocka_unit_test(test_parse_other_domains),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_sync_lower_is_other),
		cmocka_unit_test(test_comment),
		cmocka_unit_test(test_replay_chain),
		cmocka_unit_test(test_replay_empty),
		cmocka_unit_test(test_replay_errors),
		cmocka_unit_test(test_replay_long_line),
		cmocka_unit_test(test_replay_line_error_keeps_state),
		cmocka_unit_test(test_replay_pcrs),
		cmocka_unit_test(test_replay_other_domain),
		cmocka_unit_test(test_replay_roll_forward),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_export),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
