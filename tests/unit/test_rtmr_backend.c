// SPDX-License-Identifier: MIT
/* Unit tests: RTMR backends (sim, tdx-sysfs on plain files, tdx-ioctl helpers, auto). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "rtmr_map/rtmr_backend.h"
#include "rtmr_map/rtmr_backend_priv.h"

#define SHA384_LEN 48

/* ---- helpers ---------------------------------------------------------------------------- */

#define TMPDIR_PREFIX "/tmp/test_rtmr_backend"
#include "tmpdir_fixture.h"


/* Overwrite the start of an existing file in place (same inode), like a foreign extend. */
static void poke_bytes(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, data, len, 0), (ssize_t)len);
	close(fd);
}

static size_t read_bytes(const char *path, uint8_t *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, cap);
	close(fd);
	assert_true(n >= 0);
	return (size_t)n;
}

/* Independent reference: out = SHA-384(reg || digest), straight through OpenSSL EVP. */
static void ref_extend384(uint8_t *reg, const uint8_t *digest)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha384(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, reg, SHA384_LEN), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, digest, SHA384_LEN), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, reg, &len), 1);
	assert_int_equal(len, SHA384_LEN);
	EVP_MD_CTX_free(ctx);
}

static void fill(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7);
}

/* Run open with stderr captured into cap (NUL-terminated). */
static int open_capturing(const struct rtmr_backend_config *cfg, struct rtmr_backend **b,
			  char *err, size_t errlen, char *cap, size_t caplen)
{
	char path[] = "/tmp/test_rtmr_backend_stderr.XXXXXX";
	int fd = mkstemp(path), saved = dup(2), r;
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	fflush(stderr);
	assert_true(dup2(fd, 2) >= 0);
	r = rtmr_backend_open(cfg, b, err, errlen);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	n = pread(fd, cap, caplen - 1, 0);
	close(fd);
	cap[n > 0 ? n : 0] = '\0';
	return r;
}

/* ---- kind names ------------------------------------------------------------------------- */

static void test_kind_parse(void **state)
{
	static const struct {
		const char *name;
		enum rtmr_backend_kind kind;
	} kinds[] = {
		{ "auto", RTMR_BACKEND_AUTO },
		{ "tdx-sysfs", RTMR_BACKEND_TDX_SYSFS },
		{ "tdx-ioctl", RTMR_BACKEND_TDX_IOCTL },
		{ "sim", RTMR_BACKEND_SIM },
	};
	static const char *const bad[] = { "", "SIM", "tdx", "tdx_sysfs", "sim ", "autox" };
	enum rtmr_backend_kind k;

	(void)state;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		k = (enum rtmr_backend_kind)99;
		assert_int_equal(rtmr_backend_kind_parse(kinds[i].name, &k), 0);
		assert_int_equal(k, kinds[i].kind);
		assert_string_equal(rtmr_backend_kind_name(kinds[i].kind), kinds[i].name);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k = RTMR_BACKEND_SIM;
		assert_int_equal(rtmr_backend_kind_parse(bad[i], &k), -1);
		assert_int_equal(k, RTMR_BACKEND_SIM);
	}
	assert_int_equal(rtmr_backend_kind_parse(NULL, &k), -1);
	assert_string_equal(rtmr_backend_kind_name((enum rtmr_backend_kind)42), "unknown");
}

/* ---- sim -------------------------------------------------------------------------------- */

static struct rtmr_backend *open_sim(const char *run)
{
	struct rtmr_backend_config cfg = { .kind = RTMR_BACKEND_SIM, .runtime_dir = run };
	struct rtmr_backend *b = NULL;
	char err[512] = "";

	assert_int_equal(rtmr_backend_open(&cfg, &b, err, sizeof(err)), 0);
	assert_non_null(b);
	return b;
}

static void test_sim_open_layout_and_warning(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend_config cfg = { .kind = RTMR_BACKEND_SIM };
	struct rtmr_backend *b = NULL;
	char run[PATH_MAX], dir[PATH_MAX], reg[PATH_MAX], cap[1024], err[256] = "";
	uint8_t buf[128], zero[SHA384_LEN] = { 0 };
	struct stat st;

	path_join(run, t->root, "run/nested"); /* does not exist yet */
	path_join(dir, run, "sim");
	cfg.runtime_dir = run;
	assert_int_equal(open_capturing(&cfg, &b, err, sizeof(err), cap, sizeof(cap)), 0);
	assert_non_null(b);
	assert_non_null(strstr(cap, "sim"));
	assert_non_null(strstr(cap, "NO security"));
	assert_non_null(strstr(cap, "development and tests only"));

	assert_string_equal(rtmr_backend_name(b), "sim");
	for (unsigned i = 0; i < 4; i++) {
		assert_true(rtmr_backend_has(b, i));
		assert_string_equal(rtmr_backend_alg(b, i)->name, "sha384");
		assert_int_equal(rtmr_backend_alg(b, i)->size, SHA384_LEN);
	}
	for (unsigned i = 4; i < RTMR_MAX + 2; i++) {
		assert_false(rtmr_backend_has(b, i));
		assert_null(rtmr_backend_alg(b, i));
		assert_int_equal(rtmr_backend_read(b, i, buf), -ENOENT);
		assert_int_equal(rtmr_backend_extend(b, i, zero), -ENOENT);
	}

	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	for (unsigned i = 0; i < 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "rtmr%u:sha384", i);
		path_join(reg, dir, name);
		assert_int_equal(read_bytes(reg, buf, sizeof(buf)), SHA384_LEN);
		assert_memory_equal(buf, zero, SHA384_LEN);
		memset(buf, 0xee, sizeof(buf));
		assert_int_equal(rtmr_backend_read(b, i, buf), 0);
		assert_memory_equal(buf, zero, SHA384_LEN);
	}
	path_join(reg, dir, "rtmr4:sha384");
	assert_int_equal(stat(reg, &st), -1);
	rtmr_backend_close(b);
	rtmr_backend_close(NULL);
}

static void test_sim_extend_chain(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend *b = open_sim(t->root);
	uint8_t d1[SHA384_LEN], d2[SHA384_LEN], expect[SHA384_LEN] = { 0 };
	uint8_t zero[SHA384_LEN] = { 0 }, val[SHA384_LEN], file[128];
	char reg[PATH_MAX];

	fill(d1, sizeof(d1), 1);
	fill(d2, sizeof(d2), 99);
	assert_int_equal(rtmr_backend_extend(b, 2, d1), 0);
	ref_extend384(expect, d1);
	assert_int_equal(rtmr_backend_read(b, 2, val), 0);
	assert_memory_equal(val, expect, SHA384_LEN);
	assert_int_equal(rtmr_backend_extend(b, 2, d2), 0);
	ref_extend384(expect, d2);
	assert_int_equal(rtmr_backend_read(b, 2, val), 0);
	assert_memory_equal(val, expect, SHA384_LEN);

	/* The file holds exactly the raw value; the other registers are untouched. */
	path_join(reg, t->root, "sim/rtmr2:sha384");
	assert_int_equal(read_bytes(reg, file, sizeof(file)), SHA384_LEN);
	assert_memory_equal(file, expect, SHA384_LEN);
	for (unsigned i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		assert_int_equal(rtmr_backend_read(b, i, val), 0);
		assert_memory_equal(val, zero, SHA384_LEN);
	}
	rtmr_backend_close(b);

	/* Reopening keeps the value (not re-zeroed). */
	b = open_sim(t->root);
	assert_int_equal(rtmr_backend_read(b, 2, val), 0);
	assert_memory_equal(val, expect, SHA384_LEN);
	rtmr_backend_close(b);
}

static void test_sim_foreign_change(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend *b = open_sim(t->root);
	uint8_t d[SHA384_LEN], foreign[SHA384_LEN], expect[SHA384_LEN], val[SHA384_LEN];
	char reg[PATH_MAX], tmp[PATH_MAX];

	fill(d, sizeof(d), 5);
	assert_int_equal(rtmr_backend_extend(b, 1, d), 0);

	/* Someone else changes the register in place: the next extend starts from that. */
	path_join(reg, t->root, "sim/rtmr1:sha384");
	fill(foreign, sizeof(foreign), 200);
	poke_bytes(reg, foreign, sizeof(foreign));
	assert_int_equal(rtmr_backend_read(b, 1, val), 0);
	assert_memory_equal(val, foreign, SHA384_LEN);
	assert_int_equal(rtmr_backend_extend(b, 1, d), 0);
	memcpy(expect, foreign, SHA384_LEN);
	ref_extend384(expect, d);
	assert_int_equal(rtmr_backend_read(b, 1, val), 0);
	assert_memory_equal(val, expect, SHA384_LEN);

	/* A register truncated under the daemon: reads and extends fail (no crash) ... */
	assert_int_equal(truncate(reg, 0), 0);
	assert_int_equal(rtmr_backend_read(b, 1, val), -EIO);
	assert_int_equal(rtmr_backend_extend(b, 1, d), -EIO);
	assert_int_equal(read_bytes(reg, val, sizeof(val)), 0);
	/* ... and work again once the file holds a value again. */
	fill(foreign, sizeof(foreign), 33);
	poke_bytes(reg, foreign, sizeof(foreign));
	assert_int_equal(rtmr_backend_extend(b, 1, d), 0);
	memcpy(expect, foreign, SHA384_LEN);
	ref_extend384(expect, d);
	assert_int_equal(read_bytes(reg, val, sizeof(val)), SHA384_LEN);
	assert_memory_equal(val, expect, SHA384_LEN);

	/* A file renamed over the register is not followed: the opened register is kept. */
	path_join(tmp, t->root, "sim/new");
	fill(foreign, sizeof(foreign), 44);
	write_bytes(tmp, foreign, sizeof(foreign));
	assert_int_equal(rename(tmp, reg), 0);
	assert_int_equal(rtmr_backend_read(b, 1, val), 0);
	assert_memory_equal(val, expect, SHA384_LEN);
	rtmr_backend_close(b);
}

/* extend_known stores the caller's value only while the register holds the caller's `old`. */
static void test_sim_extend_known(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend *b = open_sim(t->root);
	uint8_t d[SHA384_LEN], old[SHA384_LEN] = { 0 }, next[SHA384_LEN], val[SHA384_LEN];
	uint8_t foreign[SHA384_LEN], expect[SHA384_LEN];
	char reg[PATH_MAX];

	fill(d, sizeof(d), 7);
	memcpy(next, old, SHA384_LEN);
	ref_extend384(next, d);
	assert_int_equal(rtmr_backend_extend_known(b, 3, d, old, next), 0);
	assert_int_equal(rtmr_backend_read(b, 3, val), 0);
	assert_memory_equal(val, next, SHA384_LEN);

	/* Changed by someone else since the caller looked: extended from what is there. */
	path_join(reg, t->root, "sim/rtmr3:sha384");
	fill(foreign, sizeof(foreign), 77);
	poke_bytes(reg, foreign, sizeof(foreign));
	assert_int_equal(rtmr_backend_extend_known(b, 3, d, next, old), 0);
	memcpy(expect, foreign, SHA384_LEN);
	ref_extend384(expect, d);
	assert_int_equal(read_bytes(reg, val, sizeof(val)), SHA384_LEN);
	assert_memory_equal(val, expect, SHA384_LEN);
	assert_int_equal(rtmr_backend_extend_known(b, 9, d, old, next), -ENOENT);
	rtmr_backend_close(b);
}

static void test_sim_bad_existing_file(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend_config cfg = { .kind = RTMR_BACKEND_SIM, .runtime_dir = t->root };
	struct rtmr_backend *b = NULL;
	char dir[PATH_MAX], reg[PATH_MAX], err[512] = "";

	path_join(dir, t->root, "sim");
	assert_int_equal(mkdir(dir, 0700), 0);
	path_join(reg, dir, "rtmr3:sha384");
	write_bytes(reg, "short", 5);
	assert_true(rtmr_backend_open(&cfg, &b, err, sizeof(err)) < 0);
	assert_null(b);
	assert_non_null(strstr(err, reg));
	assert_non_null(strstr(err, "not a raw sha384 value"));
}

/* ---- tdx-sysfs on plain files ----------------------------------------------------------- */

static void make_file(const char *dir, const char *name, size_t len, uint8_t seed)
{
	uint8_t buf[128];
	char path[PATH_MAX];

	fill(buf, len, seed);
	path_join(path, dir, name);
	write_bytes(path, buf, len);
}

static int open_sysfs(const char *dir, struct rtmr_backend **b, char *err, size_t errlen)
{
	struct rtmr_backend_config cfg = { .kind = RTMR_BACKEND_TDX_SYSFS, .rtmr_dir = dir };

	return rtmr_backend_open(&cfg, b, err, errlen);
}

static void test_sysfs_discovery_and_read(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend *b = NULL;
	uint8_t expect[SHA384_LEN], val[SHA384_LEN];
	char err[512] = "";

	make_file(t->root, "rtmr0:sha384", SHA384_LEN, 10);
	make_file(t->root, "rtmr2:sha384", SHA384_LEN, 20);
	make_file(t->root, "mrtd:sha384", SHA384_LEN, 30); /* read-only MR: not an RTMR */
	make_file(t->root, "mrconfigid", SHA384_LEN, 40);  /* no hash suffix */
	make_file(t->root, "rtmr1", SHA384_LEN, 50);       /* no hash suffix */
	make_file(t->root, "rtmr3:md5", 16, 60);           /* unknown hash */
	make_file(t->root, "rtmr9:sha384", SHA384_LEN, 70);/* index out of range */
	make_file(t->root, "rtmr01:sha384", SHA384_LEN, 80);
	assert_int_equal(open_sysfs(t->root, &b, err, sizeof(err)), 0);
	assert_string_equal(rtmr_backend_name(b), "tdx-sysfs");
	assert_true(rtmr_backend_has(b, 0));
	assert_false(rtmr_backend_has(b, 1));
	assert_true(rtmr_backend_has(b, 2));
	assert_false(rtmr_backend_has(b, 3));
	for (unsigned i = 4; i < RTMR_MAX; i++)
		assert_false(rtmr_backend_has(b, i));
	assert_string_equal(rtmr_backend_alg(b, 0)->name, "sha384");
	assert_int_equal(rtmr_backend_read(b, 1, val), -ENOENT);

	fill(expect, sizeof(expect), 10);
	assert_int_equal(rtmr_backend_read(b, 0, val), 0);
	assert_memory_equal(val, expect, SHA384_LEN);
	fill(expect, sizeof(expect), 20);
	assert_int_equal(rtmr_backend_read(b, 2, val), 0);
	assert_memory_equal(val, expect, SHA384_LEN);
	rtmr_backend_close(b);
}

static void test_sysfs_extend_is_one_write_at_zero(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend *b = NULL;
	uint8_t d[SHA384_LEN], file[256];
	char err[512] = "", path[PATH_MAX];

	make_file(t->root, "rtmr3:sha384", SHA384_LEN, 0xaa);
	assert_int_equal(open_sysfs(t->root, &b, err, sizeof(err)), 0);
	fill(d, sizeof(d), 3);
	assert_int_equal(rtmr_backend_extend(b, 3, d), 0);
	/* A second extend must overwrite at offset 0 again, not append. */
	fill(d, sizeof(d), 4);
	assert_int_equal(rtmr_backend_extend(b, 3, d), 0);
	path_join(path, t->root, "rtmr3:sha384");
	assert_int_equal(read_bytes(path, file, sizeof(file)), SHA384_LEN);
	assert_memory_equal(file, d, SHA384_LEN);
	rtmr_backend_close(b);
}

static void test_sysfs_rem_sha256_sha512(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend *b = NULL;
	uint8_t expect[64], val[64], d[32], file[128];
	char err[512] = "", path[PATH_MAX];

	make_file(t->root, "rim", 32, 1); /* CCA's read-only initial measurement */
	make_file(t->root, "rem0:sha256", 32, 2);
	make_file(t->root, "rem3:sha512", 64, 3);
	assert_int_equal(open_sysfs(t->root, &b, err, sizeof(err)), 0);
	assert_true(rtmr_backend_has(b, 0));
	assert_false(rtmr_backend_has(b, 1));
	assert_true(rtmr_backend_has(b, 3));
	assert_string_equal(rtmr_backend_alg(b, 0)->name, "sha256");
	assert_int_equal(rtmr_backend_alg(b, 0)->size, 32);
	assert_string_equal(rtmr_backend_alg(b, 3)->name, "sha512");
	assert_int_equal(rtmr_backend_alg(b, 3)->size, 64);
	fill(expect, 32, 2);
	assert_int_equal(rtmr_backend_read(b, 0, val), 0);
	assert_memory_equal(val, expect, 32);
	fill(expect, 64, 3);
	assert_int_equal(rtmr_backend_read(b, 3, val), 0);
	assert_memory_equal(val, expect, 64);

	fill(d, sizeof(d), 77);
	assert_int_equal(rtmr_backend_extend(b, 0, d), 0);
	path_join(path, t->root, "rem0:sha256");
	assert_int_equal(read_bytes(path, file, sizeof(file)), 32);
	assert_memory_equal(file, d, 32);
	rtmr_backend_close(b);
}

static void test_sysfs_short_value(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend *b = NULL;
	uint8_t val[SHA384_LEN];
	char err[512] = "";

	make_file(t->root, "rtmr0:sha384", 10, 0);
	assert_int_equal(open_sysfs(t->root, &b, err, sizeof(err)), 0);
	assert_int_equal(rtmr_backend_read(b, 0, val), -EIO);
	rtmr_backend_close(b);
}

static void test_sysfs_duplicate_register(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend *b = NULL;
	char err[512] = "";

	make_file(t->root, "rtmr0:sha384", SHA384_LEN, 0);
	make_file(t->root, "rem0:sha256", 32, 0);
	assert_int_equal(open_sysfs(t->root, &b, err, sizeof(err)), -EEXIST);
	assert_null(b);
	assert_non_null(strstr(err, "register 0"));
}

static void test_sysfs_empty_and_missing_dir(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend *b = NULL;
	char err[512] = "", dir[PATH_MAX], expect[PATH_MAX + 128];

	make_file(t->root, "mrtd:sha384", SHA384_LEN, 0);
	assert_int_equal(open_sysfs(t->root, &b, err, sizeof(err)), -ENOENT);
	assert_null(b);
	snprintf(expect, sizeof(expect),
		 "no measurement registers (rtmr<N>:<hash> or rem<N>:<hash>) in %s", t->root);
	assert_string_equal(err, expect);

	path_join(dir, t->root, "measurements");
	assert_int_equal(open_sysfs(dir, &b, err, sizeof(err)), -ENOENT);
	assert_null(b);
	snprintf(expect, sizeof(expect),
		 "no TDX measurement registers at %s (needs Linux >= 6.16 with tdx_guest)", dir);
	assert_string_equal(err, expect);
}

/* ---- tdx-ioctl -------------------------------------------------------------------------- */

static void test_ioctl_encodings(void **state)
{
	(void)state;
	/* dir << 30 | size << 16 | 'T' << 8 | nr, computed by hand from the uapi structs. */
	assert_int_equal(sizeof(struct rtmr_tdx_extend_req), 49);
	assert_int_equal(sizeof(struct rtmr_tdx_report_req), 1088);
	assert_true(RTMR_TDX_CMD_EXTEND_RTMR == 0x40315403UL);
	assert_true(RTMR_TDX_CMD_EXTEND_RTMR_OLD == 0x80315403UL);
	assert_true(RTMR_TDX_CMD_GET_REPORT0 == 0xc4405401UL);
}

static void test_ioctl_encode_extend(void **state)
{
	struct rtmr_tdx_extend_req req;
	uint8_t d[SHA384_LEN], raw[49];

	(void)state;
	fill(d, sizeof(d), 9);
	memset(&req, 0xff, sizeof(req));
	rtmr_tdx_encode_extend(&req, 3, d);
	memcpy(raw, &req, sizeof(raw));
	assert_memory_equal(raw, d, SHA384_LEN);
	assert_int_equal(raw[48], 3);
}

static void test_ioctl_report_offsets(void **state)
{
	uint8_t report[1024], val[SHA384_LEN];
	static const size_t offs[] = { 720, 768, 816, 864 };

	(void)state;
	for (size_t i = 0; i < sizeof(report); i++)
		report[i] = (uint8_t)(i * 13 + (i >> 8));
	for (unsigned k = 0; k < 4; k++) {
		memset(val, 0, sizeof(val));
		assert_int_equal(rtmr_tdx_report_rtmr(report, sizeof(report), k, val), 0);
		assert_memory_equal(val, report + offs[k], SHA384_LEN);
	}
	assert_int_equal(rtmr_tdx_report_rtmr(report, sizeof(report), 4, val), -EINVAL);
	assert_int_equal(rtmr_tdx_report_rtmr(report, 1023, 0, val), -EINVAL);
}

/* A scripted fake ioctl: answers per command, records calls and checks the request. */
static struct fake_ioctl {
	int rc_new, rc_old, rc_report;
	unsigned calls;
	unsigned long cmds[8];
	uint8_t expect_index;
	uint8_t expect_data[SHA384_LEN];
} fake;

static int fake_ioctl(int fd, unsigned long cmd, void *arg)
{
	assert_int_equal(fd, 42);
	if (fake.calls < 8)
		fake.cmds[fake.calls] = cmd;
	fake.calls++;
	if (cmd == RTMR_TDX_CMD_GET_REPORT0) {
		struct rtmr_tdx_report_req *req = arg;

		for (size_t i = 0; i < sizeof(req->tdreport); i++)
			req->tdreport[i] = (uint8_t)(i ^ 0x5a);
		return fake.rc_report;
	}
	{
		const struct rtmr_tdx_extend_req *req = arg;

		assert_memory_equal(req->data, fake.expect_data, SHA384_LEN);
		assert_int_equal(req->index, fake.expect_index);
	}
	if (cmd == RTMR_TDX_CMD_EXTEND_RTMR)
		return fake.rc_new;
	if (cmd == RTMR_TDX_CMD_EXTEND_RTMR_OLD)
		return fake.rc_old;
	fail_msg("unexpected ioctl %#lx", cmd);
	return -ENOTTY;
}

static void fake_reset(int rc_new, int rc_old, unsigned idx)
{
	memset(&fake, 0, sizeof(fake));
	fake.rc_new = rc_new;
	fake.rc_old = rc_old;
	fake.expect_index = (uint8_t)idx;
	fill(fake.expect_data, SHA384_LEN, (uint8_t)(idx + 1));
}

static void test_ioctl_extend_fallback(void **state)
{
	static const struct {
		int rc_new, rc_old, result;
		unsigned calls;
		unsigned long cached;
	} cases[] = {
		{ 0, -ENOTTY, 0, 1, 0x40315403UL },         /* current encoding works */
		{ -ENOTTY, 0, 0, 2, 0x80315403UL },         /* old kernel: _IOR */
		{ -EINVAL, 0, 0, 2, 0x80315403UL },         /* EINVAL also falls back */
		{ -ENOTTY, -ENOTTY, -ENOTTY, 2, 0 },        /* no extend ioctl at all */
		{ -EINVAL, -ENOTTY, -EINVAL, 2, 0 },        /* keep the meaningful error */
		{ -ENOTTY, -EPERM, -EPERM, 2, 0 },          /* old driver refuses RTMR0/1 */
		{ -EPERM, 0, -EPERM, 1, 0 },                /* real error: no fallback */
		{ -EIO, 0, -EIO, 1, 0 },
	};
	uint8_t d[SHA384_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long cmd = 0;

		print_message("case %zu\n", i);
		fake_reset(cases[i].rc_new, cases[i].rc_old, 1);
		fill(d, sizeof(d), 2);
		assert_int_equal(rtmr_tdx_extend_with(fake_ioctl, 42, &cmd, 1, d), cases[i].result);
		assert_int_equal(fake.calls, cases[i].calls);
		assert_true(fake.cmds[0] == RTMR_TDX_CMD_EXTEND_RTMR);
		if (cases[i].calls > 1)
			assert_true(fake.cmds[1] == RTMR_TDX_CMD_EXTEND_RTMR_OLD);
		assert_true(cmd == cases[i].cached);
	}

	/* Once known, the working encoding is used directly. */
	{
		unsigned long cmd = 0;

		fake_reset(-ENOTTY, 0, 3);
		fill(d, sizeof(d), 4);
		assert_int_equal(rtmr_tdx_extend_with(fake_ioctl, 42, &cmd, 3, d), 0);
		fake.calls = 0;
		assert_int_equal(rtmr_tdx_extend_with(fake_ioctl, 42, &cmd, 3, d), 0);
		assert_int_equal(fake.calls, 1);
		assert_true(fake.cmds[0] == RTMR_TDX_CMD_EXTEND_RTMR_OLD);
		fake.calls = 0;
		assert_int_equal(rtmr_tdx_extend_with(fake_ioctl, 42, &cmd, 4, d), -EINVAL);
		assert_int_equal(fake.calls, 0);
	}
}

static void test_ioctl_read(void **state)
{
	uint8_t val[SHA384_LEN], expect[SHA384_LEN];

	(void)state;
	fake_reset(0, 0, 0);
	for (unsigned k = 0; k < 4; k++) {
		for (size_t i = 0; i < SHA384_LEN; i++)
			expect[i] = (uint8_t)((720 + 48 * k + i) ^ 0x5a);
		assert_int_equal(rtmr_tdx_read_with(fake_ioctl, 42, k, val), 0);
		assert_memory_equal(val, expect, SHA384_LEN);
	}
	assert_true(fake.cmds[0] == RTMR_TDX_CMD_GET_REPORT0);
	fake.rc_report = -EIO;
	assert_int_equal(rtmr_tdx_read_with(fake_ioctl, 42, 0, val), -EIO);
}

static void test_ioctl_device(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend_config cfg = { .kind = RTMR_BACKEND_TDX_IOCTL };
	struct rtmr_backend *b = NULL;
	uint8_t val[SHA384_LEN] = { 0 };
	char err[512] = "", dev[PATH_MAX], expect[PATH_MAX + 64];

	path_join(dev, t->root, "tdx_guest");
	cfg.tdx_guest_dev = dev;
	assert_int_equal(rtmr_backend_open(&cfg, &b, err, sizeof(err)), -ENOENT);
	assert_null(b);
	snprintf(expect, sizeof(expect), "no TDX guest device at %s", dev);
	assert_memory_equal(err, expect, strlen(expect));

	/* A file that is no TDX device: opens, but every ioctl answers ENOTTY. */
	write_bytes(dev, "", 0);
	assert_int_equal(rtmr_backend_open(&cfg, &b, err, sizeof(err)), 0);
	assert_string_equal(rtmr_backend_name(b), "tdx-ioctl");
	for (unsigned i = 0; i < 4; i++)
		assert_string_equal(rtmr_backend_alg(b, i)->name, "sha384");
	assert_false(rtmr_backend_has(b, 4));
	assert_int_equal(rtmr_backend_read(b, 0, val), -ENOTTY);
	assert_int_equal(rtmr_backend_extend(b, 2, val), -ENOTTY);
	rtmr_backend_close(b);
}

/* ---- auto ------------------------------------------------------------------------------- */

static void test_auto_nothing_fails(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend_config cfg = { .kind = RTMR_BACKEND_AUTO };
	struct rtmr_backend *b = (struct rtmr_backend *)0x1;
	char err[1024] = "", dir[PATH_MAX], dev[PATH_MAX], sim[PATH_MAX];
	struct stat st;

	path_join(dir, t->root, "measurements");
	path_join(dev, t->root, "tdx_guest");
	path_join(sim, t->root, "sim");
	cfg.rtmr_dir = dir;
	cfg.tdx_guest_dev = dev;
	cfg.runtime_dir = t->root;
	assert_int_equal(rtmr_backend_open(&cfg, &b, err, sizeof(err)), -ENODEV);
	assert_null(b);
	assert_non_null(strstr(err, dir));
	assert_non_null(strstr(err, dev));
	assert_non_null(strstr(err, "'sim'"));
	assert_non_null(strstr(err, "named explicitly"));
	/* auto never falls back to sim. */
	assert_int_equal(stat(sim, &st), -1);
}

static void test_auto_picks_sysfs_then_ioctl(void **state)
{
	struct tmp *t = *state;
	struct rtmr_backend_config cfg = { .kind = RTMR_BACKEND_AUTO };
	struct rtmr_backend *b = NULL;
	char err[512] = "", dir[PATH_MAX], dev[PATH_MAX];

	path_join(dir, t->root, "measurements");
	path_join(dev, t->root, "tdx_guest");
	cfg.rtmr_dir = dir;
	cfg.tdx_guest_dev = dev;
	write_bytes(dev, "", 0);
	assert_int_equal(rtmr_backend_open(&cfg, &b, err, sizeof(err)), 0);
	assert_string_equal(rtmr_backend_name(b), "tdx-ioctl");
	rtmr_backend_close(b);

	assert_int_equal(mkdir(dir, 0700), 0);
	make_file(dir, "rtmr0:sha384", SHA384_LEN, 0);
	b = NULL;
	assert_int_equal(rtmr_backend_open(&cfg, &b, err, sizeof(err)), 0);
	assert_string_equal(rtmr_backend_name(b), "tdx-sysfs");
	rtmr_backend_close(b);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_parse),
		T(test_sim_open_layout_and_warning),
		T(test_sim_extend_chain),
		T(test_sim_foreign_change),
		T(test_sim_extend_known),
		T(test_sim_bad_existing_file),
		T(test_sysfs_discovery_and_read),
		T(test_sysfs_extend_is_one_write_at_zero),
		T(test_sysfs_rem_sha256_sha512),
		T(test_sysfs_short_value),
		T(test_sysfs_duplicate_register),
		T(test_sysfs_empty_and_missing_dir),
		cmocka_unit_test(test_ioctl_encodings),
		cmocka_unit_test(test_ioctl_encode_extend),
		cmocka_unit_test(test_ioctl_report_offsets),
		cmocka_unit_test(test_ioctl_extend_fallback),
		cmocka_unit_test(test_ioctl_read),
		T(test_ioctl_device),
		T(test_auto_nothing_fails),
		T(test_auto_picks_sysfs_then_ioctl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
