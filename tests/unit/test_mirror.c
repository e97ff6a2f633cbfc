// SPDX-License-Identifier: MIT
/*
 * Unit tests: the PCR mirror (src/daemon/mirror.c) on the sim RTMR backend in a temporary runtime
 * directory, driven with hand-built command and response frames (no libtpms). Expected logs
 * and register values are computed here, independently, with OpenSSL EVP SHA-384:
 * rtmr = H(rtmr || H(line)), INIT and SYNC lines stating the value before them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "daemon/mirror.h"
#include "rtmr_map/rtmr_backend.h"
#include "rtmr_map/rtmr_backend_priv.h"

#define SHA384_LEN 48
#define LINE_MAX_TEST 1024

static const struct pcr_banks all_banks = {
	4, { TPM2_ALG_SHA1, TPM2_ALG_SHA256, TPM2_ALG_SHA384, TPM2_ALG_SHA512 }
};

/* ---- fixture ---------------------------------------------------------------------------- */

struct fx {
	char dir[64];
	struct pcr_banks banks; /* the active banks mirror_commit is given */
	struct rtmr_map map;
	struct rtmr_backend *b;
	struct mirror *m;
};

static struct rtmr_backend *open_sim(const char *run)
{
	struct rtmr_backend_config cfg = { .kind = RTMR_BACKEND_SIM, .runtime_dir = run };
	struct rtmr_backend *b = NULL;
	char err[512] = "";

	if (rtmr_backend_open(&cfg, &b, err, sizeof(err)) < 0)
		fail_msg("sim backend: %s", err);
	return b;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_mirror.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	rtmr_map_default(&f->map);
	f->b = open_sim(f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	int r;

	mirror_close(f->m);
	rtmr_backend_close(f->b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	r = system(cmd);
	free(f);
	return r == 0 ? 0 : -1;
}

/* The identity the fixture's mirror records new instances with. */
static const uint8_t ek_digest[32] = { [0 ... 31] = 0x11 };
static const uint8_t ak_digest[32] = { [0 ... 31] = 0x22 };
#define EK_LINE "vtpm ek sha256/1111111111111111111111111111111111111111111111111111111111111111"
#define AK_LINE "vtpm ak sha256/2222222222222222222222222222222222222222222222222222222222222222"

static void fx_open_bare(struct fx *f)
{
	char err[512] = "";

	if (mirror_open(&f->m, &f->map, f->b, f->dir, err, sizeof(err)) < 0)
		fail_msg("mirror_open: %s", err);
	f->banks = all_banks;
}

static void fx_open(struct fx *f)
{
	fx_open_bare(f);
	mirror_set_identity(f->m, ek_digest, ak_digest);
}

static void fx_close(struct fx *f)
{
	mirror_close(f->m);
	f->m = NULL;
	rtmr_backend_close(f->b);
	f->b = NULL;
}

/* A daemon restart: new backend, new mirror on the same runtime directory. */
static void fx_restart(struct fx *f)
{
	fx_close(f);
	f->b = open_sim(f->dir);
	fx_open(f);
}

static void fx_path(const struct fx *f, char *out, const char *fmt, unsigned idx)
{
	char name[64];
	int n;

	snprintf(name, sizeof(name), fmt, idx);
	n = snprintf(out, PATH_MAX, "%s/%s", f->dir, name);
	assert_true(n > 0 && n < PATH_MAX);
}

static void log_path(const struct fx *f, unsigned idx, char *out)
{
	fx_path(f, out, "rtmr%u.log", idx);
}

static void reg_path(const struct fx *f, unsigned idx, char *out)
{
	fx_path(f, out, "sim/rtmr%u:sha384", idx);
}

/* ---- independent reference ------------------------------------------------------------- */

static void sha384(const void *data, size_t len, uint8_t *out)
{
	unsigned int n = 0;

	assert_int_equal(EVP_Digest(data, len, out, &n, EVP_sha384(), NULL), 1);
	assert_int_equal(n, SHA384_LEN);
}

/* reg = H(reg || H(line)) */
static void chain(uint8_t *reg, const char *line, size_t len)
{
	uint8_t buf[2 * SHA384_LEN];

	memcpy(buf, reg, SHA384_LEN);
	sha384(line, len, buf + SHA384_LEN);
	sha384(buf, sizeof(buf), reg);
}

static void chain_str(uint8_t *reg, const char *line)
{
	chain(reg, line, strlen(line));
}

static void to_hex(const uint8_t *v, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[v[i] >> 4];
		out[2 * i + 1] = digits[v[i] & 15];
	}
	out[2 * n] = '\0';
}

static int from_hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* "INIT sha384/<hex>" or "SYNC sha384/<hex>" into buf. */
static void value_line(char *buf, const char *word, const uint8_t *v)
{
	char hex[2 * SHA384_LEN + 1];

	to_hex(v, SHA384_LEN, hex);
	snprintf(buf, LINE_MAX_TEST, "%s sha384/%s", word, hex);
}

/* ---- files ------------------------------------------------------------------------------ */

/* Whole file, NUL-terminated, or NULL if it does not exist. */
static char *slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *fp = fopen(path, "re");

	if (!fp) {
		assert_int_equal(errno, ENOENT);
		return NULL;
	}
	buf = malloc(1 << 20);
	assert_non_null(buf);
	size = fread(buf, 1, (1 << 20) - 1, fp);
	assert_false(ferror(fp));
	fclose(fp);
	buf[size] = '\0';
	if (len)
		*len = size;
	return buf;
}

static char *slurp_log(const struct fx *f, unsigned idx, size_t *len)
{
	char path[PATH_MAX];
	char *text;

	log_path(f, idx, path);
	text = slurp(path, len);
	assert_non_null(text);
	return text;
}

static void append_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

static void read_reg(const struct fx *f, unsigned idx, uint8_t *val)
{
	char path[PATH_MAX];
	uint8_t buf[SHA384_LEN + 1];
	ssize_t n;
	int fd;

	reg_path(f, idx, path);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, SHA384_LEN);
	memcpy(val, buf, SHA384_LEN);
}

/* A foreign extend: rewrite the register file in place (same inode). */
static void poke_reg(const struct fx *f, unsigned idx, const uint8_t *val)
{
	char path[PATH_MAX];
	int fd;

	reg_path(f, idx, path);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, val, SHA384_LEN, 0), SHA384_LEN);
	close(fd);
}

/* The last line of text, without its LF. */
static void last_line(const char *text, char *out)
{
	size_t len = strlen(text);
	const char *start;

	assert_true(len > 0 && text[len - 1] == '\n');
	len--;
	start = memrchr(text, '\n', len);
	start = start ? start + 1 : text;
	assert_true((size_t)(text + len - start) < LINE_MAX_TEST);
	memcpy(out, start, (size_t)(text + len - start));
	out[text + len - start] = '\0';
}

static void assert_last_line(const struct fx *f, unsigned idx, const char *want)
{
	char *text = slurp_log(f, idx, NULL), line[LINE_MAX_TEST];

	last_line(text, line);
	assert_string_equal(line, want);
	free(text);
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static size_t log_lines(const struct fx *f, unsigned idx)
{
	char *text = slurp_log(f, idx, NULL);
	size_t n = count_lines(text);

	free(text);
	return n;
}

/* INIT/SYNC set the register to their value, then every record is chained. */
static void replay_line(uint8_t *reg, const char *line, size_t len)
{
	if (len == 0 || line[0] == '#')
		return;
	if (len == 5 + 7 + 2 * SHA384_LEN &&
	    (!strncmp(line, "INIT sha384/", 12) || !strncmp(line, "SYNC sha384/", 12)))
		assert_int_equal(from_hex(line + 12, reg, SHA384_LEN), 0);
	chain(reg, line, len);
}

static void replay(const char *text, uint8_t *reg)
{
	const char *p = text, *nl;

	memset(reg, 0, SHA384_LEN);
	while ((nl = strchr(p, '\n'))) {
		replay_line(reg, p, (size_t)(nl - p));
		p = nl + 1;
	}
	assert_true(*p == '\0'); /* no partial last line */
}

/* The log replays to the register; returns the register value. */
static void assert_log_verifies(const struct fx *f, unsigned idx, uint8_t *reg)
{
	char *text = slurp_log(f, idx, NULL);
	uint8_t want[SHA384_LEN];

	replay(text, want);
	read_reg(f, idx, reg);
	assert_memory_equal(reg, want, SHA384_LEN);
	free(text);
}

static void init_line(char *buf)
{
	uint8_t zero[SHA384_LEN] = { 0 };

	value_line(buf, "INIT", zero);
}

/* ---- frames ----------------------------------------------------------------------------- */

static size_t put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static size_t put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
	return 4;
}

struct dig {
	uint16_t alg;
	size_t size;
	uint8_t seed;
};

static void dig_bytes(const struct dig *d, uint8_t *out)
{
	for (size_t i = 0; i < d->size; i++)
		out[i] = (uint8_t)(d->seed + i * 13);
}

static void dig_hex(const struct dig *d, char *out)
{
	uint8_t v[64];

	dig_bytes(d, v);
	to_hex(v, d->size, out);
}

/* Header, pcrHandle and a password session (authorizationSize 9); returns the offset. */
static size_t put_head(uint8_t *buf, uint32_t cc, uint32_t pcr)
{
	static const uint8_t pw[] = { 0x40, 0, 0, 0x09, 0, 0, 0, 0, 0 };
	size_t off = put16(buf, 0x8002);

	off += 4; /* size, patched by the caller */
	off += put32(buf + off, cc);
	off += put32(buf + off, pcr);
	off += put32(buf + off, sizeof(pw));
	memcpy(buf + off, pw, sizeof(pw));
	return off + sizeof(pw);
}

static size_t build_extend(uint8_t *buf, uint32_t pcr, const struct dig *d, size_t n)
{
	size_t off = put_head(buf, TPM2_CC_PCR_Extend, pcr);

	off += put32(buf + off, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		off += put16(buf + off, d[i].alg);
		dig_bytes(&d[i], buf + off);
		off += d[i].size;
	}
	put32(buf + 2, (uint32_t)off);
	return off;
}

static size_t build_reset(uint8_t *buf, uint32_t pcr)
{
	size_t off = put_head(buf, TPM2_CC_PCR_Reset, pcr);

	put32(buf + 2, (uint32_t)off);
	return off;
}

/* Success with a session: parameterSize 0, one empty password auth response. */
static const uint8_t rsp_ok_sess[] = { 0x80, 0x02, 0, 0, 0, 19, 0, 0, 0, 0,
				       0, 0, 0, 0, 0, 0, 0x01, 0, 0 };
static const uint8_t rsp_ok_nosess[] = { 0x80, 0x01, 0, 0, 0, 10, 0, 0, 0, 0 };
/* TPM_RC_VALUE | parameter 1 */
static const uint8_t rsp_fail[] = { 0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0xc4 };
static const uint8_t startup_clear[] = { 0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x44, 0, 0 };
static const uint8_t startup_state[] = { 0x80, 0x01, 0, 0, 0, 0x0c, 0, 0, 0x01, 0x44, 0, 1 };

/* prepare (must be active) then commit; returns mirror_commit's result. */
static int run_cmd(struct fx *f, const uint8_t *cmd, size_t len, const uint8_t *rsp, size_t rlen,
		   char *why, size_t whylen)
{
	struct mirror_op op;

	assert_int_equal(mirror_prepare(f->m, cmd, len, &op), 0);
	assert_true(op.active);
	return mirror_commit(f->m, &op, rsp, rlen, &f->banks, why, whylen);
}

static void commit_ok(struct fx *f, const uint8_t *cmd, size_t len, const uint8_t *rsp,
		      size_t rlen)
{
	char why[512] = "";

	if (run_cmd(f, cmd, len, rsp, rlen, why, sizeof(why)) < 0)
		fail_msg("mirror_commit: %s", why);
}

static void extend_ok(struct fx *f, uint32_t pcr, const struct dig *d, size_t n)
{
	uint8_t cmd[512];
	size_t len = build_extend(cmd, pcr, d, n);

	commit_ok(f, cmd, len, rsp_ok_sess, sizeof(rsp_ok_sess));
}

static const struct dig d256 = { TPM2_ALG_SHA256, 32, 0x11 };
static const struct dig d384 = { TPM2_ALG_SHA384, 48, 0x22 };

/* "vtpm extend <pcr> sha256/<hex> sha384/<hex>" for d256, d384 */
static void extend_line_256_384(char *out, unsigned pcr)
{
	char h256[65], h384[97];

	dig_hex(&d256, h256);
	dig_hex(&d384, h384);
	snprintf(out, LINE_MAX_TEST, "vtpm extend %u sha256/%s sha384/%s", pcr, h256, h384);
}

/* ---- 1. open ---------------------------------------------------------------------------- */

static void assert_fresh_log(const struct fx *f, unsigned idx)
{
	char *text = slurp_log(f, idx, NULL), want[LINE_MAX_TEST + 1];
	uint8_t reg[SHA384_LEN], exp[SHA384_LEN] = { 0 };
	size_t n;

	init_line(want);
	n = strlen(want);
	want[n] = '\n';
	want[n + 1] = '\0';
	assert_string_equal(text, want);
	want[n] = '\0';
	chain_str(exp, want);
	read_reg(f, idx, reg);
	assert_memory_equal(reg, exp, SHA384_LEN);
	free(text);
}

static void test_open_fresh_default_map(void **state)
{
	struct fx *f = *state;
	struct mirror_stats st;
	uint8_t reg[SHA384_LEN], zero[SHA384_LEN] = { 0 };
	char path[PATH_MAX];

	fx_open(f);
	for (unsigned i = 0; i < 3; i++)
		assert_fresh_log(f, i);
	log_path(f, 3, path);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	read_reg(f, 3, reg);
	assert_memory_equal(reg, zero, SHA384_LEN);
	mirror_get_stats(f->m, &st);
	assert_int_equal(st.records, 3);
	assert_int_equal(st.syncs, 0);
	assert_int_equal(st.roll_forwards, 0);
}

static void test_open_fresh_pcr16_map(void **state)
{
	struct fx *f = *state;

	f->map.rtmr[16] = 3;
	fx_open(f);
	for (unsigned i = 0; i < 4; i++)
		assert_fresh_log(f, i);
}

/* INIT states the register value found, whatever it is. */
static void test_open_fresh_nonzero_register(void **state)
{
	struct fx *f = *state;
	uint8_t val[SHA384_LEN], reg[SHA384_LEN];
	char init[LINE_MAX_TEST], *text;

	memset(val, 0x6b, sizeof(val));
	poke_reg(f, 2, val);
	fx_open(f);
	value_line(init, "INIT", val);
	text = slurp_log(f, 2, NULL);
	assert_int_equal(count_lines(text), 1);
	free(text);
	assert_last_line(f, 2, init);
	chain_str(val, init);
	read_reg(f, 2, reg);
	assert_memory_equal(reg, val, SHA384_LEN);
}

/* A clean restart continues: nothing appended, nothing re-extended. */
static void test_reopen_continues(void **state)
{
	struct fx *f = *state;
	uint8_t before[SHA384_LEN], after[SHA384_LEN];
	struct mirror_stats st;

	fx_open(f);
	extend_ok(f, 8, &d256, 1);
	read_reg(f, 2, before);
	fx_restart(f);
	read_reg(f, 2, after);
	assert_memory_equal(before, after, SHA384_LEN);
	assert_int_equal(log_lines(f, 2), 2);
	mirror_get_stats(f->m, &st);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.syncs, 0);
	assert_int_equal(st.roll_forwards, 0);
}

/* ---- 2. new instance -------------------------------------------------------------------- */

/* The records of a new instance in log idx after INIT: startup clear, map, ek, ak. */
static const char *const group_default[3][4] = {
	{ "vtpm startup clear", "vtpm map 0,1,7", EK_LINE, AK_LINE },
	{ "vtpm startup clear", "vtpm map 2,3,4,5,6", EK_LINE, AK_LINE },
	{ "vtpm startup clear", "vtpm map 8,9,10,11,12,13,14,15", EK_LINE, AK_LINE },
};

/* Log idx is exactly its INIT line and then lines[0..n). */
static void assert_log_is(struct fx *f, unsigned idx, const char *const *lines, size_t n)
{
	char init[LINE_MAX_TEST], want[8192] = "";
	char *text;

	init_line(init);
	snprintf(want, sizeof(want), "%s\n", init);
	for (size_t i = 0; i < n; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s\n", lines[i]);
	text = slurp_log(f, idx, NULL);
	assert_string_equal(text, want);
	free(text);
}

static bool log_has_line(struct fx *f, unsigned idx, const char *line_lf)
{
	char *text = slurp_log(f, idx, NULL);
	bool found = strstr(text, line_lf) != NULL;

	free(text);
	return found;
}

static void test_new_instance(void **state)
{
	struct fx *f = *state;
	uint8_t reg[SHA384_LEN], exp[SHA384_LEN];
	char err[512] = "";

	fx_open(f);
	assert_int_equal(mirror_new_instance(f->m, err, sizeof(err)), 0);
	for (unsigned i = 0; i < 3; i++) {
		char init[LINE_MAX_TEST];

		init_line(init);
		memset(exp, 0, sizeof(exp));
		chain_str(exp, init);
		for (unsigned j = 0; j < 4; j++)
			chain_str(exp, group_default[i][j]);
		assert_log_is(f, i, group_default[i], 4);
		read_reg(f, i, reg);
		assert_memory_equal(reg, exp, SHA384_LEN);
	}
}

/* Without the identity there is no group to write: nothing is written at all. */
static void test_new_instance_needs_identity(void **state)
{
	struct fx *f = *state;
	char err[512] = "";

	fx_open_bare(f);
	assert_int_equal(mirror_new_instance(f->m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not known"));
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(log_lines(f, i), 1);
	/* an unknown key is recorded as all zero, as the daemon does when it cannot make it */
	mirror_set_identity(f->m, (const uint8_t[32]){ 0 }, ak_digest);
	assert_int_equal(mirror_new_instance(f->m, err, sizeof(err)), 0);
	assert_last_line(f, 2, AK_LINE);
	assert_true(log_has_line(f, 2, "vtpm ek sha256/"
				 "0000000000000000000000000000000000000000000000000000000000000000\n"));
}

/* A map file's PCRs are what `vtpm map` names: a mapped 16 in RTMR3, none left in RTMR1. */
static void test_new_instance_map(void **state)
{
	static const char *const rtmr1[] = { "vtpm startup clear", "vtpm map 2,3,4,6", EK_LINE,
					     AK_LINE };
	static const char *const rtmr3[] = { "vtpm startup clear", "vtpm map 5,16,23", EK_LINE,
					     AK_LINE };
	struct fx *f = *state;
	char err[512] = "";

	f->map.rtmr[5] = 3;
	f->map.rtmr[16] = 3;
	f->map.rtmr[23] = 3;
	fx_open(f);
	assert_int_equal(mirror_new_instance(f->m, err, sizeof(err)), 0);
	assert_log_is(f, 1, rtmr1, 4);
	assert_log_is(f, 3, rtmr3, 4);
}

/* A foreign extend found before the group: its SYNC comes first, the group stays whole. */
static void test_new_instance_sync_first(void **state)
{
	struct fx *f = *state;
	uint8_t reg[SHA384_LEN], poked[SHA384_LEN];
	char err[512] = "", sync[LINE_MAX_TEST];
	const char *lines[5];

	fx_open(f);
	read_reg(f, 2, poked);
	chain_str(poked, "someone else");
	poke_reg(f, 2, poked);
	assert_int_equal(mirror_new_instance(f->m, err, sizeof(err)), 0);
	value_line(sync, "SYNC", poked);
	lines[0] = sync;
	memcpy(&lines[1], group_default[2], sizeof(group_default[2]));
	assert_log_is(f, 2, lines, 5);
	memcpy(reg, poked, SHA384_LEN);
	for (unsigned i = 0; i < 5; i++)
		chain_str(reg, lines[i]);
	read_reg(f, 2, poked);
	assert_memory_equal(reg, poked, SHA384_LEN);
}

/* ---- 3. PCR_Extend ---------------------------------------------------------------------- */

static void test_extend_hand_built_frame(void **state)
{
	static const uint8_t frame_start[] = {
		0x80, 0x02, 0, 0, 0, 0x73, 0, 0, 0x01, 0x82, /* header, size 115 */
		0, 0, 0, 8,                                  /* pcrHandle */
		0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0,    /* password session */
		0, 0, 0, 2, 0, 0x0b,                         /* count 2, sha256 */
	};
	struct fx *f = *state;
	const struct dig d[] = { d256, d384 };
	uint8_t cmd[512], reg[SHA384_LEN], exp[SHA384_LEN];
	char line[LINE_MAX_TEST];
	size_t len = build_extend(cmd, 8, d, 2);

	/* the builder produces exactly the expected frame: 10+4+4+9+4+(2+32)+(2+48) */
	assert_int_equal(len, 115);
	assert_int_equal(cmd[65], 0);
	assert_int_equal(cmd[66], 0x0c);
	assert_memory_equal(cmd, frame_start, sizeof(frame_start));
	fx_open(f);
	read_reg(f, 2, exp);
	commit_ok(f, cmd, len, rsp_ok_sess, sizeof(rsp_ok_sess));
	extend_line_256_384(line, 8);
	assert_last_line(f, 2, line);
	chain_str(exp, line);
	read_reg(f, 2, reg);
	assert_memory_equal(reg, exp, SHA384_LEN);
	assert_int_equal(log_lines(f, 0), 1);
	assert_int_equal(log_lines(f, 1), 1);
}

static void test_extend_refused_by_tpm(void **state)
{
	struct fx *f = *state;
	const struct dig d[] = { d256, d384 };
	uint8_t cmd[512], before[SHA384_LEN], after[SHA384_LEN];
	size_t len = build_extend(cmd, 8, d, 2);
	char why[512] = "";

	fx_open(f);
	read_reg(f, 2, before);
	assert_int_equal(run_cmd(f, cmd, len, rsp_fail, sizeof(rsp_fail), why, sizeof(why)), 0);
	read_reg(f, 2, after);
	assert_memory_equal(before, after, SHA384_LEN);
	assert_int_equal(log_lines(f, 2), 1);
}

static void test_extend_unmapped_inactive(void **state)
{
	struct fx *f = *state;
	const struct dig d[] = { d256, d384 };
	struct mirror_op op;
	uint8_t cmd[512];
	size_t len;

	fx_open(f);
	len = build_extend(cmd, 23, d, 2);
	assert_int_equal(mirror_prepare(f->m, cmd, len, &op), 0);
	assert_false(op.active);
	len = build_extend(cmd, 16, d, 2); /* resettable, unmapped by default */
	assert_int_equal(mirror_prepare(f->m, cmd, len, &op), 0);
	assert_false(op.active);
	len = build_extend(cmd, 8, d, 2);
	assert_int_equal(mirror_prepare(NULL, cmd, len, &op), 0);
	assert_false(op.active);
	/* truncated PCR_Extend: malformed, refused */
	assert_int_equal(mirror_prepare(f->m, cmd, len - 1, &op), -1);
	assert_false(op.active);
}

static void test_extend_inactive_bank_dropped(void **state)
{
	static const struct pcr_banks only256 = { 1, { TPM2_ALG_SHA256 } };
	struct fx *f = *state;
	const struct dig d[] = { d256, d384 };
	uint8_t reg[SHA384_LEN], exp[SHA384_LEN];
	char line[LINE_MAX_TEST], h256[65];

	fx_open(f);
	f->banks = only256;
	read_reg(f, 2, exp);
	extend_ok(f, 9, d, 2);
	dig_hex(&d256, h256);
	snprintf(line, sizeof(line), "vtpm extend 9 sha256/%s", h256);
	assert_last_line(f, 2, line);
	chain_str(exp, line);
	read_reg(f, 2, reg);
	assert_memory_equal(reg, exp, SHA384_LEN);
}

/* A bank allocated in part (PCR_Allocate sha1:0-3): an extend of PCR 9 changes sha256 only,
 * and its record says so; PCR 1 has both. */
static void test_extend_partial_bank(void **state)
{
	static const struct pcr_banks part = {
		2, { TPM2_ALG_SHA1, TPM2_ALG_SHA256 }, { 0xfffff0, 0 }
	};
	static const struct dig d1 = { TPM2_ALG_SHA1, 20, 0x5a };
	struct fx *f = *state;
	const struct dig d[] = { d1, d256 };
	char line[LINE_MAX_TEST], h1[65], h256[65];

	fx_open(f);
	f->banks = part;
	extend_ok(f, 9, d, 2);
	dig_hex(&d1, h1);
	dig_hex(&d256, h256);
	snprintf(line, sizeof(line), "vtpm extend 9 sha256/%s", h256);
	assert_last_line(f, 2, line);
	extend_ok(f, 1, d, 2);
	snprintf(line, sizeof(line), "vtpm extend 1 sha1/%s sha256/%s", h1, h256);
	assert_last_line(f, 0, line);
}

/* Digests in wire order sha384, sha256 are written sorted by TPM_ALG_ID. */
static void test_extend_digests_sorted(void **state)
{
	struct fx *f = *state;
	const struct dig d[] = { d384, d256 };
	char line[LINE_MAX_TEST];

	fx_open(f);
	extend_ok(f, 10, d, 2);
	extend_line_256_384(line, 10);
	assert_last_line(f, 2, line);
}

static void extend_dup_lines(char (*lines)[LINE_MAX_TEST], const struct dig *a,
			     const struct dig *b)
{
	char ha[65], hb[65];

	dig_hex(a, ha);
	dig_hex(b, hb);
	snprintf(lines[0], LINE_MAX_TEST, "vtpm extend 8 sha256/%s", ha);
	snprintf(lines[1], LINE_MAX_TEST, "vtpm extend 8 sha256/%s", hb);
}

static void test_extend_same_bank_twice(void **state)
{
	struct fx *f = *state;
	const struct dig a = { TPM2_ALG_SHA256, 32, 0x31 }, b = { TPM2_ALG_SHA256, 32, 0x77 };
	const struct dig d[] = { a, b };
	char lines[2][LINE_MAX_TEST], init[LINE_MAX_TEST], *text, want[4 * LINE_MAX_TEST];
	uint8_t reg[SHA384_LEN], exp[SHA384_LEN] = { 0 };

	fx_open(f);
	extend_ok(f, 8, d, 2);
	extend_dup_lines(lines, &a, &b);
	init_line(init);
	snprintf(want, sizeof(want), "%s\n%s\n%s\n", init, lines[0], lines[1]);
	text = slurp_log(f, 2, NULL);
	assert_string_equal(text, want);
	free(text);
	chain_str(exp, init);
	chain_str(exp, lines[0]);
	chain_str(exp, lines[1]);
	read_reg(f, 2, reg);
	assert_memory_equal(reg, exp, SHA384_LEN);
}

/* sha256 A, sha384 C, sha256 B: records [sha256 A sha384 C] then [sha256 B]. */
static void test_extend_dup_splits_runs(void **state)
{
	struct fx *f = *state;
	const struct dig b = { TPM2_ALG_SHA256, 32, 0x77 };
	const struct dig d[] = { d256, d384, b };
	char lines[2][LINE_MAX_TEST], hb[65];
	uint8_t reg[SHA384_LEN], exp[SHA384_LEN];

	fx_open(f);
	read_reg(f, 2, exp);
	extend_ok(f, 8, d, 3);
	extend_line_256_384(lines[0], 8);
	dig_hex(&b, hb);
	snprintf(lines[1], LINE_MAX_TEST, "vtpm extend 8 sha256/%s", hb);
	assert_last_line(f, 2, lines[1]);
	assert_int_equal(log_lines(f, 2), 3);
	chain_str(exp, lines[0]);
	chain_str(exp, lines[1]);
	read_reg(f, 2, reg);
	assert_memory_equal(reg, exp, SHA384_LEN);
}

/* ---- 4. PCR_Reset, Startup -------------------------------------------------------------- */

static void test_reset_mapped_pcr16(void **state)
{
	struct fx *f = *state;
	uint8_t cmd[64], reg[SHA384_LEN], exp[SHA384_LEN];
	size_t len = build_reset(cmd, 16);

	f->map.rtmr[16] = 3;
	fx_open(f);
	read_reg(f, 3, exp);
	commit_ok(f, cmd, len, rsp_ok_sess, sizeof(rsp_ok_sess));
	assert_last_line(f, 3, "vtpm reset 16");
	chain_str(exp, "vtpm reset 16");
	read_reg(f, 3, reg);
	assert_memory_equal(reg, exp, SHA384_LEN);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(log_lines(f, i), 1);
}

static void test_reset_unmapped_inactive(void **state)
{
	struct fx *f = *state;
	struct mirror_op op;
	uint8_t cmd[64];
	size_t len = build_reset(cmd, 16);

	fx_open(f);
	assert_int_equal(mirror_prepare(f->m, cmd, len, &op), 0);
	assert_false(op.active);
}

static void test_startup_clear(void **state)
{
	static const char *const rtmr3[] = { "vtpm startup clear", "vtpm map 16", EK_LINE,
					     AK_LINE };
	struct fx *f = *state;
	uint8_t reg[SHA384_LEN], exp[4][SHA384_LEN];

	f->map.rtmr[16] = 3;
	fx_open(f);
	for (unsigned i = 0; i < 4; i++)
		read_reg(f, i, exp[i]);
	commit_ok(f, startup_clear, sizeof(startup_clear), rsp_ok_nosess, sizeof(rsp_ok_nosess));
	for (unsigned i = 0; i < 4; i++) {
		const char *const *g = i < 3 ? group_default[i] : rtmr3;

		assert_log_is(f, i, g, 4);
		for (unsigned j = 0; j < 4; j++)
			chain_str(exp[i], g[j]);
		read_reg(f, i, reg);
		assert_memory_equal(reg, exp[i], SHA384_LEN);
	}
}

static void test_startup_clear_refused_and_state(void **state)
{
	struct fx *f = *state;
	struct mirror_op op;
	char why[512] = "";

	fx_open(f);
	assert_int_equal(run_cmd(f, startup_clear, sizeof(startup_clear), rsp_fail,
				 sizeof(rsp_fail), why, sizeof(why)),
			 0);
	/* Startup(STATE) with no PCR 16-23 mirrored: nothing to record */
	assert_int_equal(mirror_prepare(f->m, startup_state, sizeof(startup_state), &op), 0);
	assert_true(op.active);
	assert_int_equal(mirror_commit(f->m, &op, rsp_ok_nosess, sizeof(rsp_ok_nosess), &f->banks,
				       why, sizeof(why)),
			 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(log_lines(f, i), 1);
}

/* Startup(STATE) re-initializes the unsaved PCRs 16-23: a mirrored 16 gets a reset record,
 * a mirrored 17-22 (initial value all 0xFF, which no record expresses) fails closed. */
static void test_startup_state_resets_pcr16(void **state)
{
	struct fx *f = *state;

	f->map.rtmr[16] = 3;
	fx_open(f);
	commit_ok(f, startup_state, sizeof(startup_state), rsp_ok_nosess, sizeof(rsp_ok_nosess));
	assert_last_line(f, 3, "vtpm reset 16");
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(log_lines(f, i), 1);
}

static void test_startup_state_pcr17_fails_closed(void **state)
{
	struct fx *f = *state;
	char why[512] = "";

	f->map.rtmr[17] = 3;
	fx_open(f);
	assert_int_equal(run_cmd(f, startup_state, sizeof(startup_state), rsp_ok_nosess,
				 sizeof(rsp_ok_nosess), why, sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "PCR 17"));
	assert_int_equal(log_lines(f, 3), 1);
}

/* ---- 5. SYNC before an extend ----------------------------------------------------------- */

/* The mirror's idea of the register is right: the next extend needs no SYNC. */
static void assert_next_extend_in_step(struct fx *f)
{
	size_t lines = log_lines(f, 2);
	struct mirror_stats before, after;
	uint8_t reg[SHA384_LEN];
	char line[LINE_MAX_TEST];

	mirror_get_stats(f->m, &before);
	extend_ok(f, 12, (const struct dig[]){ d256, d384 }, 2);
	mirror_get_stats(f->m, &after);
	assert_int_equal(after.syncs, before.syncs);
	assert_int_equal(log_lines(f, 2), lines + 1);
	extend_line_256_384(line, 12);
	assert_last_line(f, 2, line);
	assert_log_verifies(f, 2, reg);
}

static void test_sync_on_foreign_extend(void **state)
{
	struct fx *f = *state;
	uint8_t foreign[SHA384_LEN], reg[SHA384_LEN], exp[SHA384_LEN];
	char sync[LINE_MAX_TEST], ext[LINE_MAX_TEST], *text, prev[LINE_MAX_TEST];
	const struct dig d[] = { d256, d384 };
	struct mirror_stats st;
	size_t n;

	fx_open(f);
	extend_ok(f, 8, &d256, 1);
	memset(foreign, 0xa5, sizeof(foreign));
	poke_reg(f, 2, foreign);
	extend_ok(f, 8, d, 2);
	value_line(sync, "SYNC", foreign);
	extend_line_256_384(ext, 8);
	text = slurp_log(f, 2, &n);
	assert_int_equal(count_lines(text), 4);
	last_line(text, prev);
	assert_string_equal(prev, ext);
	text[n - strlen(ext) - 1] = '\0';
	last_line(text, prev);
	assert_string_equal(prev, sync);
	free(text);
	memcpy(exp, foreign, SHA384_LEN);
	chain_str(exp, sync);
	chain_str(exp, ext);
	assert_log_verifies(f, 2, reg);
	assert_memory_equal(reg, exp, SHA384_LEN);
	mirror_get_stats(f->m, &st);
	assert_int_equal(st.syncs, 1);
	assert_next_extend_in_step(f);
}

/* ---- 6. crash consistency at open ------------------------------------------------------- */

static void test_open_rolls_forward(void **state)
{
	struct fx *f = *state;
	uint8_t before[SHA384_LEN], reg[SHA384_LEN], exp[SHA384_LEN];
	char path[PATH_MAX], line[LINE_MAX_TEST + 1], *text;
	struct mirror_stats st;

	fx_open(f);
	extend_ok(f, 8, &d256, 1);
	fx_close(f);
	read_reg(f, 2, before);
	extend_line_256_384(line, 11);
	strcat(line, "\n");
	log_path(f, 2, path);
	append_file(path, line);
	f->b = open_sim(f->dir);
	fx_open(f);
	mirror_get_stats(f->m, &st);
	assert_int_equal(st.roll_forwards, 1);
	assert_int_equal(st.syncs, 0);
	assert_int_equal(st.records, 0);
	line[strlen(line) - 1] = '\0';
	assert_last_line(f, 2, line);
	memcpy(exp, before, SHA384_LEN);
	chain_str(exp, line);
	assert_log_verifies(f, 2, reg);
	assert_memory_equal(reg, exp, SHA384_LEN);
	text = slurp_log(f, 2, NULL);
	assert_null(strstr(text, "SYNC"));
	free(text);
	assert_next_extend_in_step(f);
}

static void test_open_syncs_changed_register(void **state)
{
	struct fx *f = *state;
	uint8_t foreign[SHA384_LEN], reg[SHA384_LEN], exp[SHA384_LEN];
	char sync[LINE_MAX_TEST];
	struct mirror_stats st;

	fx_open(f);
	extend_ok(f, 8, &d256, 1);
	fx_close(f);
	memset(foreign, 0x3c, sizeof(foreign));
	poke_reg(f, 2, foreign);
	f->b = open_sim(f->dir);
	fx_open(f);
	value_line(sync, "SYNC", foreign);
	assert_last_line(f, 2, sync);
	assert_int_equal(log_lines(f, 2), 3);
	memcpy(exp, foreign, SHA384_LEN);
	chain_str(exp, sync);
	assert_log_verifies(f, 2, reg);
	assert_memory_equal(reg, exp, SHA384_LEN);
	mirror_get_stats(f->m, &st);
	assert_int_equal(st.syncs, 1);
	assert_int_equal(st.roll_forwards, 0);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(log_lines(f, i), 1);
	assert_next_extend_in_step(f);
}

static void test_open_drops_partial_record(void **state)
{
	struct fx *f = *state;
	uint8_t before[SHA384_LEN], reg[SHA384_LEN];
	char path[PATH_MAX], *orig, *text;
	struct mirror_stats st;

	fx_open(f);
	extend_ok(f, 8, &d256, 1);
	fx_close(f);
	read_reg(f, 2, before);
	orig = slurp_log(f, 2, NULL);
	log_path(f, 2, path);
	append_file(path, "vtpm extend 8 sha2");
	f->b = open_sim(f->dir);
	fx_open(f);
	text = slurp_log(f, 2, NULL);
	assert_string_equal(text, orig);
	free(text);
	free(orig);
	assert_log_verifies(f, 2, reg);
	assert_memory_equal(reg, before, SHA384_LEN);
	mirror_get_stats(f->m, &st);
	assert_int_equal(st.syncs, 0);
	assert_int_equal(st.roll_forwards, 0);
	/* and the mirror keeps appending cleanly after the cut */
	assert_next_extend_in_step(f);
}

/* A log holding only a partial first line starts over with INIT. */
static void test_open_partial_only_line(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX];

	log_path(f, 2, path);
	append_file(path, "INIT sha384/00");
	fx_open(f);
	assert_fresh_log(f, 2);
}

/* The real crash hook: SIGKILL between append and extend; the restart rolls forward. */
static void crash_child(struct fx *f)
{
	const struct dig d[] = { d256, d384 };
	char why[512] = "", err[512] = "";
	struct mirror *m = NULL;
	struct rtmr_backend *b;
	struct mirror_op op;
	uint8_t cmd[512];
	size_t len = build_extend(cmd, 8, d, 2);
	struct rtmr_backend_config cfg = { .kind = RTMR_BACKEND_SIM, .runtime_dir = f->dir };

	setenv("VTPM_RTMR_TEST_CRASH_AFTER_APPEND", "1", 1);
	if (rtmr_backend_open(&cfg, &b, err, sizeof(err)) < 0 ||
	    mirror_open(&m, &f->map, b, f->dir, err, sizeof(err)) < 0)
		_exit(2);
	mirror_start_serving(m);
	if (mirror_prepare(m, cmd, len, &op) < 0 || !op.active)
		_exit(3);
	mirror_commit(m, &op, rsp_ok_sess, sizeof(rsp_ok_sess), &all_banks, why, sizeof(why));
	_exit(4); /* not reached if the hook works */
}

static void test_crash_hook_then_roll_forward(void **state)
{
	struct fx *f = *state;
	uint8_t before[SHA384_LEN], reg[SHA384_LEN], exp[SHA384_LEN];
	char line[LINE_MAX_TEST];
	struct mirror_stats st;
	int status;
	pid_t pid;

	fx_open(f);
	fx_close(f);
	read_reg(f, 2, before);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		crash_child(f);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	extend_line_256_384(line, 8);
	assert_last_line(f, 2, line);
	read_reg(f, 2, reg);
	assert_memory_equal(reg, before, SHA384_LEN); /* appended, not extended */
	f->b = open_sim(f->dir);
	fx_open(f);
	mirror_get_stats(f->m, &st);
	assert_int_equal(st.roll_forwards, 1);
	memcpy(exp, before, SHA384_LEN);
	chain_str(exp, line);
	assert_log_verifies(f, 2, reg);
	assert_memory_equal(reg, exp, SHA384_LEN);
	assert_next_extend_in_step(f);
}

/* ---- 7. fail closed --------------------------------------------------------------------- */

/* Empty the register file in place: the backend can no longer read or extend it. */
static void truncate_reg(const struct fx *f, unsigned idx)
{
	char path[PATH_MAX];

	reg_path(f, idx, path);
	assert_int_equal(truncate(path, 0), 0);
}

/* An unreadable register is caught by the pre-extend check: nothing is appended. */
static void test_fail_register_unusable(void **state)
{
	struct fx *f = *state;
	const struct dig d[] = { d256, d384 };
	uint8_t cmd[512];
	size_t len = build_extend(cmd, 8, d, 2);
	char why[512] = "", *before, *after;

	/* cmocka puts its own SIGBUS handler around each test body, over the sim backend's
	 * (installed when setup() opened it): open the backend again here. */
	rtmr_backend_close(f->b);
	f->b = open_sim(f->dir);
	fx_open(f);
	before = slurp_log(f, 2, NULL);
	truncate_reg(f, 2);
	assert_int_equal(run_cmd(f, cmd, len, rsp_ok_sess, sizeof(rsp_ok_sess), why, sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "RTMR2"));
	after = slurp_log(f, 2, NULL);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static int failing_extend(struct rtmr_backend *b, unsigned idx, const uint8_t *digest)
{
	(void)b;
	(void)idx;
	(void)digest;
	return -EIO;
}

/* The register reads fine but the extend fails: record appended, -1, restart rolls forward. */
static void test_fail_extend_then_roll_forward(void **state)
{
	struct fx *f = *state;
	const struct rtmr_backend_ops *real_ops;
	struct rtmr_backend_ops broken;
	uint8_t before[SHA384_LEN], reg[SHA384_LEN], exp[SHA384_LEN];
	char why[512] = "", line[LINE_MAX_TEST];
	const struct dig d[] = { d256, d384 };
	struct mirror_stats st;
	uint8_t cmd[512];
	size_t len = build_extend(cmd, 8, d, 2);

	fx_open(f);
	read_reg(f, 2, before);
	real_ops = f->b->ops;
	broken = *real_ops;
	broken.extend = failing_extend;
	broken.extend_known = NULL;
	f->b->ops = &broken;
	assert_int_equal(run_cmd(f, cmd, len, rsp_ok_sess, sizeof(rsp_ok_sess), why, sizeof(why)),
			 -1);
	f->b->ops = real_ops;
	assert_non_null(strstr(why, "RTMR2"));
	extend_line_256_384(line, 8);
	assert_last_line(f, 2, line);
	read_reg(f, 2, reg);
	assert_memory_equal(reg, before, SHA384_LEN);
	fx_restart(f);
	mirror_get_stats(f->m, &st);
	assert_int_equal(st.roll_forwards, 1);
	memcpy(exp, before, SHA384_LEN);
	chain_str(exp, line);
	assert_log_verifies(f, 2, reg);
	assert_memory_equal(reg, exp, SHA384_LEN);
	assert_next_extend_in_step(f);
}

/* The descriptor in this process open on path (the mirror's log fd). */
static int fd_of(const char *path)
{
	char want[PATH_MAX], link[PATH_MAX];
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int found = -1;

	assert_non_null(realpath(path, want));
	assert_non_null(dir);
	while ((de = readdir(dir))) {
		ssize_t n;

		n = readlinkat(dirfd(dir), de->d_name, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, want))
			found = atoi(de->d_name);
	}
	closedir(dir);
	assert_true(found >= 0);
	return found;
}

static void test_fail_append_leaves_register(void **state)
{
	struct fx *f = *state;
	const struct dig d[] = { d256, d384 };
	uint8_t cmd[512], before[SHA384_LEN], reg[SHA384_LEN];
	size_t len = build_extend(cmd, 8, d, 2);
	char why[512] = "", path[PATH_MAX], *orig, *text;
	int ro, fd;

	fx_open(f);
	read_reg(f, 2, before);
	orig = slurp_log(f, 2, NULL);
	log_path(f, 2, path);
	fd = fd_of(path);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(ro >= 0);
	assert_true(dup2(ro, fd) >= 0); /* the mirror's log fd is now read-only */
	close(ro);
	assert_int_equal(run_cmd(f, cmd, len, rsp_ok_sess, sizeof(rsp_ok_sess), why, sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "cannot append"));
	read_reg(f, 2, reg);
	assert_memory_equal(reg, before, SHA384_LEN);
	text = slurp_log(f, 2, NULL);
	assert_string_equal(text, orig);
	free(text);
	free(orig);
}

/* A response the mirror cannot parse is a failure to mirror, not a success. */
static void test_fail_unparseable_response(void **state)
{
	struct fx *f = *state;
	const struct dig d[] = { d256, d384 };
	uint8_t cmd[512];
	size_t len = build_extend(cmd, 8, d, 2);
	char why[512] = "";

	fx_open(f);
	assert_int_equal(run_cmd(f, cmd, len, rsp_ok_sess, sizeof(rsp_ok_sess) - 1, why,
				 sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "PCR_Extend"));
	assert_int_equal(log_lines(f, 2), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_open_fresh_default_map),
		T(test_open_fresh_pcr16_map),
		T(test_open_fresh_nonzero_register),
		T(test_reopen_continues),
		T(test_new_instance),
		T(test_new_instance_needs_identity),
		T(test_new_instance_map),
		T(test_new_instance_sync_first),
		T(test_extend_hand_built_frame),
		T(test_extend_refused_by_tpm),
		T(test_extend_unmapped_inactive),
		T(test_extend_inactive_bank_dropped),
		T(test_extend_partial_bank),
		T(test_extend_digests_sorted),
		T(test_extend_same_bank_twice),
		T(test_extend_dup_splits_runs),
		T(test_reset_mapped_pcr16),
		T(test_reset_unmapped_inactive),
		T(test_startup_clear),
		T(test_startup_clear_refused_and_state),
		T(test_startup_state_resets_pcr16),
		T(test_startup_state_pcr17_fails_closed),
		T(test_sync_on_foreign_extend),
		T(test_open_rolls_forward),
		T(test_open_syncs_changed_register),
		T(test_open_drops_partial_record),
		T(test_open_partial_only_line),
		T(test_crash_hook_then_roll_forward),
		T(test_fail_register_unusable),
		T(test_fail_extend_then_roll_forward),
		T(test_fail_append_leaves_register),
		T(test_fail_unparseable_response),
#undef T
	};

	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
