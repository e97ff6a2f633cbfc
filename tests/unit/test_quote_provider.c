// SPDX-License-Identifier: MIT
/*
 * Unit tests: quote providers. The sim provider end to end (quote over the report data and the
 * sim RTMR files, verified against the sim root); configfs-tsm and auto error paths on plain
 * directories. configfs-tsm against a working report interface is covered by
 * tests/integration/test_fake_configfs_tsm.sh (FUSE emulation).
 */
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
#include <dirent.h>
#include <openssl/x509.h>

#include "attest/quote_provider.h"
#include "attest/tdx_quote.h"

/* v4 quote: 48-byte header, then the TD report body. */
#define V4_RTMR0 (TDX_QUOTE_HEADER_SIZE + TDX_BODY_RTMR0)          /* 376 */
#define V4_REPORTDATA (TDX_QUOTE_HEADER_SIZE + TDX_BODY_REPORTDATA) /* 568 */

/* ---- helpers ---------------------------------------------------------------------------- */

#define TMPDIR_PREFIX "/tmp/test_quote_provider"
#include "tmpdir_fixture.h"


static void make_dir(const char *root, const char *name, char *out)
{
	path_join(out, root, name);
	assert_int_equal(mkdir(out, 0700), 0);
}

static void pattern(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + 7 * i);
}

/* <root>/sim/rtmr0..(n-1):sha384 with distinct values. */
static void make_sim_rtmrs(const char *root, unsigned n, uint8_t rtmr[4][48])
{
	char sim[PATH_MAX], path[PATH_MAX], name[32];

	make_dir(root, "sim", sim);
	for (unsigned i = 0; i < n; i++) {
		pattern(rtmr[i], 48, (uint8_t)(0x10 * (i + 1)));
		snprintf(name, sizeof(name), "rtmr%u:sha384", i);
		path_join(path, sim, name);
		write_bytes(path, rtmr[i], 48);
	}
}

static size_t dir_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static int get(struct tmp *t, enum quote_provider_kind kind, const char *configfs_dir,
	       struct quote_result *r)
{
	struct quote_provider_config cfg = {
		.kind = kind,
		.configfs_dir = configfs_dir,
		.runtime_dir = t->root,
	};
	uint8_t rd[64];

	pattern(rd, sizeof(rd), 0xa5);
	t->err[0] = '\0';
	return quote_get(&cfg, rd, r, t->err, sizeof(t->err));
}

/* ---- kinds ------------------------------------------------------------------------------ */

static void test_kind_parse(void **state)
{
	static const char *const names[] = { "auto", "configfs-tsm", "sim" };
	enum quote_provider_kind k;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		k = (enum quote_provider_kind)99;
		assert_int_equal(quote_provider_kind_parse(names[i], &k), 0);
		assert_int_equal(k, (enum quote_provider_kind)i);
		assert_string_equal(quote_provider_kind_name(k), names[i]);
	}
	assert_int_equal(QUOTE_PROVIDER_AUTO, 0);
	assert_int_equal(quote_provider_kind_parse("", &k), -1);
	assert_int_equal(quote_provider_kind_parse("configfs", &k), -1);
	assert_int_equal(quote_provider_kind_parse("SIM", &k), -1);
	assert_int_equal(quote_provider_kind_parse("sim ", &k), -1);
	assert_int_equal(quote_provider_kind_parse(NULL, &k), -1);
	assert_string_equal(quote_provider_kind_name((enum quote_provider_kind)7), "unknown");
}

static void test_result_free(void **state)
{
	struct quote_result r = { .quote = NULL };

	(void)state;
	quote_result_free(&r);
	r.quote = malloc(10);
	r.len = 10;
	strcpy(r.provider, "x");
	quote_result_free(&r);
	assert_null(r.quote);
	assert_int_equal(r.len, 0);
	assert_string_equal(r.provider, "");
	quote_result_free(&r);
	quote_result_free(NULL);
}

/* ---- sim -------------------------------------------------------------------------------- */

static void verify_with_sim_root(const struct tmp *t, const struct quote_result *r)
{
	char root_pem[PATH_MAX], err[256];
	struct tdx_quote_checks checks;
	struct tdx_quote q;
	X509 *root = NULL;

	assert_int_equal(tdx_quote_parse(r->quote, r->len, &q, err, sizeof(err)), 0);
	assert_int_equal(q.version, 4);
	assert_ptr_equal(q.reportdata, r->quote + V4_REPORTDATA);
	assert_ptr_equal(q.rtmr[0], r->quote + V4_RTMR0);
	path_join(root_pem, t->root, "sim/root-ca.pem");
	assert_int_equal(tdx_load_cert_pem(root_pem, &root, err, sizeof(err)), 0);
	if (tdx_quote_verify(&q, root, &checks) != 0)
		fail_msg("sim quote does not verify against sim/root-ca.pem: %s", checks.detail);
	X509_free(root);
}

static void test_sim_quote(void **state)
{
	struct tmp *t = *state;
	struct quote_result r = { .quote = NULL };
	uint8_t rtmr[4][48], rd[64];
	char path[PATH_MAX];

	make_sim_rtmrs(t->root, 4, rtmr);
	assert_int_equal(get(t, QUOTE_PROVIDER_SIM, NULL, &r), 0);
	assert_string_equal(r.provider, "sim");
	assert_true(r.len > V4_REPORTDATA + 64);
	pattern(rd, sizeof(rd), 0xa5);
	assert_memory_equal(r.quote + V4_REPORTDATA, rd, 64);
	for (unsigned i = 0; i < 4; i++)
		assert_memory_equal(r.quote + V4_RTMR0 + 48 * i, rtmr[i], 48);
	verify_with_sim_root(t, &r);
	quote_result_free(&r);
	assert_null(r.quote);

	/* A second quote reuses the CA and sees a changed register. */
	rtmr[2][0] ^= 0xff;
	path_join(path, t->root, "sim/rtmr2:sha384");
	write_bytes(path, rtmr[2], 48);
	assert_int_equal(get(t, QUOTE_PROVIDER_SIM, NULL, &r), 0);
	assert_memory_equal(r.quote + V4_RTMR0 + 96, rtmr[2], 48);
	verify_with_sim_root(t, &r);
	quote_result_free(&r);
}

static void test_sim_missing_rtmr(void **state)
{
	struct tmp *t = *state;
	struct quote_result r = { .quote = NULL };
	uint8_t rtmr[4][48];
	char path[PATH_MAX];
	struct stat s;

	make_sim_rtmrs(t->root, 3, rtmr);
	assert_int_equal(get(t, QUOTE_PROVIDER_SIM, NULL, &r), -1);
	assert_contains(t->err, "rtmr3:sha384");
	assert_contains(t->err, "No such file");
	assert_null(r.quote);
	/* nothing is created when the registers are not there */
	path_join(path, t->root, "sim/root-ca.pem");
	assert_int_equal(stat(path, &s), -1);
}

static void test_sim_no_sim_dir(void **state)
{
	struct tmp *t = *state;
	struct quote_result r = { .quote = NULL };

	assert_int_equal(get(t, QUOTE_PROVIDER_SIM, NULL, &r), -1);
	assert_contains(t->err, "sim register directory");
}

static void test_sim_bad_rtmr_size(void **state)
{
	struct tmp *t = *state;
	struct quote_result r = { .quote = NULL };
	uint8_t rtmr[4][48];
	char path[PATH_MAX];

	make_sim_rtmrs(t->root, 4, rtmr);
	path_join(path, t->root, "sim/rtmr1:sha384");
	write_bytes(path, rtmr[1], 47);
	assert_int_equal(get(t, QUOTE_PROVIDER_SIM, NULL, &r), -1);
	assert_contains(t->err, "rtmr1:sha384");
	assert_contains(t->err, "not a raw 48-byte sha384 value");
	write_bytes(path, "", 0);
	assert_int_equal(get(t, QUOTE_PROVIDER_SIM, NULL, &r), -1);
	assert_contains(t->err, "rtmr1:sha384");
}

/* ---- configfs-tsm on plain directories --------------------------------------------------- */

static void test_configfs_missing_dir(void **state)
{
	struct tmp *t = *state;
	struct quote_result r = { .quote = NULL };
	char dir[PATH_MAX], want[PATH_MAX + 64];

	path_join(dir, t->root, "nowhere");
	assert_int_equal(get(t, QUOTE_PROVIDER_CONFIGFS_TSM, dir, &r), -1);
	snprintf(want, sizeof(want), "no configfs-tsm report interface at %s: ", dir);
	assert_contains(t->err, want);
	assert_contains(t->err, "CONFIG_TSM_REPORTS");
	assert_null(r.quote);
}

static void test_configfs_not_a_dir(void **state)
{
	struct tmp *t = *state;
	struct quote_result r = { .quote = NULL };
	char path[PATH_MAX];

	path_join(path, t->root, "report");
	write_bytes(path, "x", 1);
	assert_int_equal(get(t, QUOTE_PROVIDER_CONFIGFS_TSM, path, &r), -1);
	assert_contains(t->err, "no configfs-tsm report interface at");
}

/* <X>/tsm/report missing and X is not a configfs mount: say how to mount it. */
static void test_configfs_not_mounted(void **state)
{
	struct tmp *t = *state;
	struct quote_result r = { .quote = NULL };
	char config[PATH_MAX], dir[PATH_MAX], want[3 * PATH_MAX];

	make_dir(t->root, "config", config);
	path_join(dir, config, "tsm/report");
	assert_int_equal(get(t, QUOTE_PROVIDER_CONFIGFS_TSM, dir, &r), -1);
	snprintf(want, sizeof(want), "%s is not a configfs mount: mount -t configfs none %s",
		 config, config);
	assert_contains(t->err, want);
	/* a trailing slash changes nothing */
	strcat(dir, "/");
	assert_int_equal(get(t, QUOTE_PROVIDER_CONFIGFS_TSM, dir, &r), -1);
	assert_contains(t->err, want);
}

/* The default directory: on a host without configfs-tsm the error names it. */
static void test_configfs_default_dir(void **state)
{
	struct tmp *t = *state;
	struct quote_result r = { .quote = NULL };
	struct stat s;
	int rc;

	if (stat(QUOTE_DEFAULT_CONFIGFS_DIR, &s) == 0)
		return;	/* a real report interface: what it answers depends on the host */
	rc = get(t, QUOTE_PROVIDER_CONFIGFS_TSM, NULL, &r);
	assert_int_equal(rc, -1);
	if (stat("/sys/kernel/config", &s) == 0 && strstr(t->err, "no configfs-tsm"))
		assert_contains(t->err, QUOTE_DEFAULT_CONFIGFS_DIR);
	else
		assert_contains(t->err, "/sys/kernel/config is not a configfs mount: "
					"mount -t configfs none /sys/kernel/config");
}

/* A plain directory: mkdir works but the entry has no attributes. The entry is removed. */
static void test_configfs_plain_tree(void **state)
{
	struct tmp *t = *state;
	struct quote_result r = { .quote = NULL };
	char dir[PATH_MAX];

	make_dir(t->root, "report", dir);
	assert_int_equal(get(t, QUOTE_PROVIDER_CONFIGFS_TSM, dir, &r), -1);
	assert_contains(t->err, dir);
	assert_contains(t->err, "/vtpm-rtmr.");
	assert_contains(t->err, "does not exist: not a configfs-tsm report entry");
	assert_null(r.quote);
	assert_int_equal(dir_entries(dir), 0);
}

/* ---- auto -------------------------------------------------------------------------------- */

static void test_auto_missing(void **state)
{
	struct tmp *t = *state;
	struct quote_result r = { .quote = NULL };
	uint8_t rtmr[4][48];
	char dir[PATH_MAX];

	make_sim_rtmrs(t->root, 4, rtmr);	/* sim would work, but auto must not pick it */
	path_join(dir, t->root, "nowhere");
	assert_int_equal(get(t, QUOTE_PROVIDER_AUTO, dir, &r), -1);
	assert_contains(t->err, "no configfs-tsm report interface at");
	assert_contains(t->err, "sim");
	assert_contains(t->err, "explicitly");
	assert_null(r.quote);
}

static void test_auto_uses_configfs(void **state)
{
	struct tmp *t = *state;
	struct quote_result r = { .quote = NULL };
	char dir[PATH_MAX];

	make_dir(t->root, "report", dir);
	assert_int_equal(get(t, QUOTE_PROVIDER_AUTO, dir, &r), -1);
	assert_contains(t->err, "does not exist: not a configfs-tsm report entry");
	assert_int_equal(dir_entries(dir), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_parse),
		cmocka_unit_test(test_result_free),
		T(test_sim_quote),
		T(test_sim_missing_rtmr),
		T(test_sim_no_sim_dir),
		T(test_sim_bad_rtmr_size),
		T(test_configfs_missing_dir),
		T(test_configfs_not_a_dir),
		T(test_configfs_not_mounted),
		T(test_configfs_default_dir),
		T(test_configfs_plain_tree),
		T(test_auto_missing),
		T(test_auto_uses_configfs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
