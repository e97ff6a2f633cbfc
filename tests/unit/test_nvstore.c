// SPDX-License-Identifier: MIT
/* The libtpms NV state store: format, atomic replace, locking, corruption, write errors. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/hash_alg.h"
#include "common/log.h"
#include "daemon/nvstore.h"
#include "common/util.h"

#define CHILD_SKIP 77

struct fixture {
	char root[256];  /* mkdtemp'd, removed in teardown */
	char dir[300];   /* root/state/nested: the store, created by nvstore_open */
	char err[512];
};

/* ---- helpers ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	assert_non_null(f);
	assert_true(snprintf(f->root, sizeof(f->root), "%s/test_nvstore.XXXXXX",
			     tmp && *tmp ? tmp : "/tmp") < (int)sizeof(f->root));
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof(f->dir), "%s/state/nested", f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void path_in(const struct fixture *f, const char *entry, char *buf)
{
	snprintf(buf, PATH_MAX, "%s/%s", f->dir, entry);
}

static void state_file(const struct fixture *f, const char *name, char *buf)
{
	snprintf(buf, PATH_MAX, "%s/tpm2-%s.state", f->dir, name);
}

static uint8_t *read_bytes(const char *path, size_t *len)
{
	char *data = NULL;

	assert_int_equal(read_file_all(path, &data, len, 64u << 20), 0);
	return (uint8_t *)data;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write_full(fd, data, len), 0);
	assert_int_equal(close(fd), 0);
}

static void fill(uint8_t *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

static struct nvstore *open_ok(struct fixture *f)
{
	struct nvstore *s = NULL;
	int r = nvstore_open(f->dir, &s, f->err, sizeof(f->err));

	if (r != 0)
		fail_msg("nvstore_open: %d: %s", r, f->err);
	assert_non_null(s);
	return s;
}

static void assert_loads(struct nvstore *s, const char *name, const uint8_t *want, uint32_t len)
{
	uint8_t *data = NULL;
	uint32_t got = 0xdead;

	assert_int_equal(nvstore_load(s, name, &data, &got), 0);
	assert_non_null(data);
	assert_int_equal(got, len);
	if (len)
		assert_memory_equal(data, want, len);
	free(data);
}

/* Entries of the store directory other than "." and ".." (sorted by name), as "a b c". */
static void list_dir(const struct fixture *f, char *out, size_t outlen)
{
	struct dirent **ents;
	int n = scandir(f->dir, &ents, NULL, alphasort);
	size_t used = 0;

	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? " " : "",
						 ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
}

/* ---- round trip and format ---- */

static void test_roundtrip(void **state)
{
	struct fixture *f = *state;
	uint8_t blob[5000], *raw, digest[32];
	char path[PATH_MAX];
	struct nvstore *s;
	struct stat st;
	size_t rawlen;

	fill(blob, sizeof(blob), 1);
	s = open_ok(f);
	assert_string_equal(nvstore_dir(s), f->dir);
	assert_int_equal(stat(f->dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_false(nvstore_exists(s, "permall"));
	assert_int_equal(nvstore_store(s, "permall", blob, sizeof(blob)), 0);
	assert_true(nvstore_exists(s, "permall"));
	assert_loads(s, "permall", blob, sizeof(blob));
	assert_int_equal(nvstore_store(s, "savestate", NULL, 0), 0);
	assert_loads(s, "savestate", NULL, 0);

	/* The documented on-disk layout, bit for bit. */
	state_file(f, "permall", path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	raw = read_bytes(path, &rawlen);
	assert_int_equal(rawlen, 48 + sizeof(blob));
	assert_memory_equal(raw, "VTPMRTMR", 8);
	assert_memory_equal(raw + 8, "\0\0\0\1", 4);
	assert_memory_equal(raw + 12, "\0\0\x13\x88", 4); /* 5000 */
	assert_int_equal(hash_digest(hash_alg_by_name("sha256"), blob, sizeof(blob), digest), 0);
	assert_memory_equal(raw + 16, digest, 32);
	assert_memory_equal(raw + 48, blob, sizeof(blob));
	free(raw);

	/* Persists across close/open. */
	nvstore_close(s);
	s = open_ok(f);
	assert_loads(s, "permall", blob, sizeof(blob));
	nvstore_close(s);
}

static void test_load_missing(void **state)
{
	struct fixture *f = *state;
	struct nvstore *s = open_ok(f);
	uint8_t *data = NULL;
	uint32_t len = 0;

	assert_int_equal(nvstore_load(s, "volatilestate", &data, &len), -ENOENT);
	assert_null(data);
	assert_false(nvstore_exists(s, "volatilestate"));
	nvstore_close(s);
}

static void test_store_too_big(void **state)
{
	struct fixture *f = *state;
	struct nvstore *s = open_ok(f);
	uint8_t byte = 0;

	/* Rejected before the blob is read: a 1-byte buffer suffices. */
	assert_int_equal(nvstore_store(s, "permall", &byte, NVSTORE_MAX_BLOB + 1), -EFBIG);
	assert_false(nvstore_exists(s, "permall"));
	nvstore_close(s);
}

/* ---- atomic replace ---- */

static void test_replace_leaves_no_temp(void **state)
{
	struct fixture *f = *state;
	uint8_t a[300], b[7000];
	char list[512];
	struct nvstore *s = open_ok(f);

	fill(a, sizeof(a), 2);
	fill(b, sizeof(b), 3);
	assert_int_equal(nvstore_store(s, "permall", a, sizeof(a)), 0);
	assert_int_equal(nvstore_store(s, "permall", b, sizeof(b)), 0);
	list_dir(f, list, sizeof(list));
	assert_string_equal(list, ".lock tpm2-permall.state");
	assert_loads(s, "permall", b, sizeof(b));
	nvstore_close(s);
}

static void test_interrupted_write_recovers(void **state)
{
	struct fixture *f = *state;
	uint8_t a[1000], garbage[333];
	char path[PATH_MAX], list[512];
	struct nvstore *s = open_ok(f);

	fill(a, sizeof(a), 4);
	fill(garbage, sizeof(garbage), 5);
	assert_int_equal(nvstore_store(s, "permall", a, sizeof(a)), 0);
	nvstore_close(s);

	/* A crash mid-write leaves "<file>.tmp" (half-written, never renamed). */
	path_in(f, "tpm2-permall.state.tmp", path);
	write_bytes(path, garbage, sizeof(garbage));
	path_in(f, "tpm2-volatilestate.state.tmp", path);
	write_bytes(path, garbage, 10);
	/* Files that are not ours are left alone. */
	path_in(f, "notes.tmp", path);
	write_bytes(path, "x", 1);
	path_in(f, "tpm2-BAD.state.tmp", path);
	write_bytes(path, "x", 1);

	s = open_ok(f);
	list_dir(f, list, sizeof(list));
	assert_string_equal(list, ".lock notes.tmp tpm2-BAD.state.tmp tpm2-permall.state");
	assert_loads(s, "permall", a, sizeof(a));
	assert_false(nvstore_exists(s, "volatilestate"));
	nvstore_close(s);
}

/* ---- locking ---- */

static void assert_busy_msg(const struct fixture *f, const char *err, long pid)
{
	char want[PATH_MAX + 128];

	snprintf(want, sizeof(want),
		 "state directory %s is in use by another vtpm-rtmrd (pid %ld)", f->dir, pid);
	assert_string_equal(err, want);
}

static long lock_file_pid(const struct fixture *f)
{
	char path[PATH_MAX], *text = NULL;
	long pid;

	path_in(f, ".lock", path);
	assert_int_equal(read_file_all(path, &text, NULL, 64), 0);
	pid = strtol(text, NULL, 10);
	free(text);
	return pid;
}

static void test_lock_same_process(void **state)
{
	struct fixture *f = *state;
	struct nvstore *s = open_ok(f), *s2 = NULL;

	assert_int_equal(lock_file_pid(f), (long)getpid());
	/* flock locks belong to open file descriptions: a second open() conflicts even here. */
	assert_int_equal(nvstore_open(f->dir, &s2, f->err, sizeof(f->err)), -EBUSY);
	assert_null(s2);
	assert_busy_msg(f, f->err, (long)getpid());
	/* The refused open must not have disturbed the holder's lock. */
	assert_int_equal(nvstore_open(f->dir, &s2, f->err, sizeof(f->err)), -EBUSY);
	nvstore_close(s);
	s2 = open_ok(f);
	nvstore_close(s2);
}

/* The parent holds the store; a child's open is refused and names the parent. */
static void test_lock_child_refused(void **state)
{
	struct fixture *f = *state;
	struct nvstore *s = open_ok(f);
	char msg[sizeof(f->err)] = "";
	int pfd[2], status, rc = 0;
	pid_t pid;

	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct nvstore *c = NULL;
		char err[sizeof(f->err)] = "";

		rc = nvstore_open(f->dir, &c, err, sizeof(err));
		if (write_full(pfd[1], &rc, sizeof(rc)) || write_full(pfd[1], err, sizeof(err)))
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read_full(pfd[0], &rc, sizeof(rc)), sizeof(rc));
	assert_int_equal(read_full(pfd[0], msg, sizeof(msg)), sizeof(msg));
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(rc, -EBUSY);
	msg[sizeof(msg) - 1] = '\0';
	assert_busy_msg(f, msg, (long)getpid());
	nvstore_close(s);
}

/* A child holds the store; the parent is refused until the child dies without closing. */
static void test_lock_released_on_exit(void **state)
{
	struct fixture *f = *state;
	int ready[2], go[2], status;
	struct nvstore *s = NULL;
	char c = 0;
	pid_t pid;

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct nvstore *cs = NULL;
		char ok;

		close(ready[0]);
		close(go[1]);
		ok = nvstore_open(f->dir, &cs, NULL, 0) == 0 ? 'y' : 'n';
		if (write_full(ready[1], &ok, 1) < 0)
			_exit(2);
		read_full(go[0], &ok, 1); /* EOF: the parent is done */
		_exit(0);                 /* "crash": no nvstore_close */
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read_full(ready[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	assert_int_equal(nvstore_open(f->dir, &s, f->err, sizeof(f->err)), -EBUSY);
	assert_busy_msg(f, f->err, (long)pid);
	close(go[1]);
	close(ready[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	s = open_ok(f);
	assert_int_equal(lock_file_pid(f), (long)getpid());
	nvstore_close(s);
}

/* ---- corruption ---- */

typedef size_t (*mutate_fn)(uint8_t *raw, size_t len);

static size_t flip_blob_byte(uint8_t *raw, size_t len)
{
	raw[48 + 100] ^= 0x01;
	return len;
}

static size_t drop_last_byte(uint8_t *raw, size_t len)
{
	(void)raw;
	return len - 1;
}

static size_t append_byte(uint8_t *raw, size_t len)
{
	raw[len] = 0;
	return len + 1;
}

static size_t cut_into_header(uint8_t *raw, size_t len)
{
	(void)raw;
	(void)len;
	return 20;
}

static size_t make_empty(uint8_t *raw, size_t len)
{
	(void)raw;
	(void)len;
	return 0;
}

static size_t bad_magic(uint8_t *raw, size_t len)
{
	raw[0] = 'X';
	return len;
}

static size_t bad_version(uint8_t *raw, size_t len)
{
	raw[11] = 2;
	return len;
}

static size_t flip_digest_byte(uint8_t *raw, size_t len)
{
	raw[16 + 31] ^= 0x80;
	return len;
}

/*
 * Store a good permall, damage the file with fn; then nvstore_open must fail with -EBADMSG,
 * an err naming the file and containing why, and leave the file byte-identical; a store
 * opened before the damage must refuse to load it.
 */
static void check_corruption(struct fixture *f, mutate_fn fn, const char *why)
{
	uint8_t blob[400], *raw, *after, *data = NULL;
	struct nvstore *s = open_ok(f), *s2 = NULL;
	size_t len, afterlen;
	char path[PATH_MAX];
	uint32_t dlen;

	fill(blob, sizeof(blob), 6);
	assert_int_equal(nvstore_store(s, "permall", blob, sizeof(blob)), 0);
	state_file(f, "permall", path);
	raw = read_bytes(path, &len);
	raw = realloc(raw, len + 1);
	assert_non_null(raw);
	len = fn(raw, len);
	write_bytes(path, raw, len);

	assert_int_equal(nvstore_load(s, "permall", &data, &dlen), -EBADMSG);
	assert_null(data);
	nvstore_close(s);

	assert_int_equal(nvstore_open(f->dir, &s2, f->err, sizeof(f->err)), -EBADMSG);
	assert_null(s2);
	if (!strstr(f->err, path) || !strstr(f->err, why))
		fail_msg("err \"%s\" lacks \"%s\" or \"%s\"", f->err, path, why);
	after = read_bytes(path, &afterlen);
	assert_int_equal(afterlen, len);
	if (len)
		assert_memory_equal(after, raw, len);
	free(after);
	free(raw);
	/* The failed open released the lock: after removing the file, the store opens. */
	assert_int_equal(unlink(path), 0);
	s = open_ok(f);
	nvstore_close(s);
}

static void test_corrupt_blob(void **state)
{
	check_corruption(*state, flip_blob_byte, "checksum mismatch");
}

static void test_corrupt_digest(void **state)
{
	check_corruption(*state, flip_digest_byte, "checksum mismatch");
}

static void test_corrupt_truncated(void **state)
{
	check_corruption(*state, drop_last_byte, "length mismatch");
}

static void test_corrupt_trailing(void **state)
{
	check_corruption(*state, append_byte, "length mismatch");
}

static void test_corrupt_short(void **state)
{
	check_corruption(*state, cut_into_header, "short file: 20 bytes");
}

static void test_corrupt_empty(void **state)
{
	check_corruption(*state, make_empty, "short file: 0 bytes");
}

static void test_corrupt_magic(void **state)
{
	check_corruption(*state, bad_magic, "bad magic");
}

static void test_corrupt_version(void **state)
{
	check_corruption(*state, bad_version, "unknown format version 2");
}

static void test_corrupt_not_regular(void **state)
{
	struct fixture *f = *state;
	struct nvstore *s = open_ok(f);
	char path[PATH_MAX];

	nvstore_close(s);
	s = NULL;
	state_file(f, "savestate", path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(nvstore_open(f->dir, &s, f->err, sizeof(f->err)), -EBADMSG);
	assert_non_null(strstr(f->err, "not a regular file"));
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	assert_int_equal(nvstore_open(f->dir, &s, f->err, sizeof(f->err)), -EBADMSG);
	assert_non_null(strstr(f->err, "symbolic link"));
	assert_null(s);
}

/* ---- names, delete ---- */

static void test_invalid_names(void **state)
{
	static const char *const bad[] = {
		"", "PermAll", "a/b", "../permall", ".", "..", "a b", "perm.all", "x\n", "\xc3\xa9",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
	};
	struct fixture *f = *state;
	struct nvstore *s = open_ok(f);
	uint8_t *data = NULL, byte = 1;
	char list[512], longest[NVSTORE_MAX_NAME + 1];
	uint32_t len;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(nvstore_store(s, bad[i], &byte, 1), -EINVAL);
		assert_int_equal(nvstore_load(s, bad[i], &data, &len), -EINVAL);
		assert_int_equal(nvstore_delete(s, bad[i], false), -EINVAL);
		assert_false(nvstore_exists(s, bad[i]));
	}
	assert_int_equal(nvstore_store(s, NULL, &byte, 1), -EINVAL);
	list_dir(f, list, sizeof(list));
	assert_string_equal(list, ".lock");

	/* The whole alphabet, and the maximum length, are fine. */
	memset(longest, 'z', NVSTORE_MAX_NAME);
	longest[NVSTORE_MAX_NAME] = '\0';
	assert_int_equal(nvstore_store(s, "abcdefghijklmnopqrstuvwxyz_-0123456789", &byte, 1), 0);
	assert_int_equal(nvstore_store(s, longest, &byte, 1), 0);
	assert_loads(s, longest, &byte, 1);
	assert_loads(s, "abcdefghijklmnopqrstuvwxyz_-0123456789", &byte, 1);
	nvstore_close(s);
	/* ... and valid on reopen. */
	s = open_ok(f);
	nvstore_close(s);
}

static void test_delete(void **state)
{
	struct fixture *f = *state;
	struct nvstore *s = open_ok(f);
	uint8_t blob[64], *data = NULL;
	uint32_t len;

	fill(blob, sizeof(blob), 7);
	assert_int_equal(nvstore_delete(s, "volatilestate", true), -ENOENT);
	assert_int_equal(nvstore_delete(s, "volatilestate", false), 0);
	assert_int_equal(nvstore_store(s, "volatilestate", blob, sizeof(blob)), 0);
	assert_int_equal(nvstore_store(s, "permall", blob, sizeof(blob)), 0);
	assert_int_equal(nvstore_delete(s, "volatilestate", true), 0);
	assert_false(nvstore_exists(s, "volatilestate"));
	assert_int_equal(nvstore_load(s, "volatilestate", &data, &len), -ENOENT);
	assert_int_equal(nvstore_delete(s, "volatilestate", true), -ENOENT);
	assert_loads(s, "permall", blob, sizeof(blob)); /* only the named one went */
	nvstore_close(s);
}

/* ---- write-back (the daemon's start-up) ---- */

/* Stores stay in memory until the flush, which writes each blob once. */
static void test_write_back_flush(void **state)
{
	struct fixture *f = *state;
	uint8_t a[500], b[900];
	char list[512];
	struct nvstore *s = open_ok(f);

	fill(a, sizeof(a), 11);
	fill(b, sizeof(b), 12);
	nvstore_write_back(s);
	assert_int_equal(nvstore_store(s, "permall", a, sizeof(a)), 0);
	assert_int_equal(nvstore_store(s, "permall", b, sizeof(b)), 0);
	assert_int_equal(nvstore_store(s, "savestate", NULL, 0), 0);
	assert_true(nvstore_exists(s, "permall"));
	assert_loads(s, "permall", b, sizeof(b));
	assert_loads(s, "savestate", NULL, 0);
	list_dir(f, list, sizeof(list));
	assert_string_equal(list, ".lock");
	assert_int_equal(nvstore_flush(s), 0);
	list_dir(f, list, sizeof(list));
	assert_string_equal(list, ".lock tpm2-permall.state tpm2-savestate.state");
	/* writing through again */
	assert_int_equal(nvstore_store(s, "permall", a, sizeof(a)), 0);
	nvstore_close(s);
	s = open_ok(f);
	assert_loads(s, "permall", a, sizeof(a));
	assert_loads(s, "savestate", NULL, 0);
	nvstore_close(s);
}

/* A delete hides the blob at once and removes its file at the flush. */
static void test_write_back_delete(void **state)
{
	struct fixture *f = *state;
	uint8_t blob[64], *data = NULL;
	char list[512];
	struct nvstore *s = open_ok(f);
	uint32_t len;

	fill(blob, sizeof(blob), 13);
	assert_int_equal(nvstore_store(s, "volatilestate", blob, sizeof(blob)), 0);
	nvstore_write_back(s);
	assert_int_equal(nvstore_delete(s, "savestate", true), -ENOENT);
	assert_int_equal(nvstore_delete(s, "volatilestate", true), 0);
	assert_false(nvstore_exists(s, "volatilestate"));
	assert_int_equal(nvstore_load(s, "volatilestate", &data, &len), -ENOENT);
	assert_int_equal(nvstore_delete(s, "volatilestate", true), -ENOENT);
	list_dir(f, list, sizeof(list));
	assert_string_equal(list, ".lock tpm2-volatilestate.state");
	assert_int_equal(nvstore_flush(s), 0);
	list_dir(f, list, sizeof(list));
	assert_string_equal(list, ".lock");
	nvstore_close(s);
}

/* Closed without a flush: the directory is as before the write-back began. */
static void test_write_back_close_drops(void **state)
{
	struct fixture *f = *state;
	uint8_t a[100], b[200];
	struct nvstore *s = open_ok(f);

	fill(a, sizeof(a), 14);
	fill(b, sizeof(b), 15);
	assert_int_equal(nvstore_store(s, "permall", a, sizeof(a)), 0);
	nvstore_write_back(s);
	assert_loads(s, "permall", a, sizeof(a));
	assert_int_equal(nvstore_store(s, "permall", b, sizeof(b)), 0);
	assert_int_equal(nvstore_store(s, "volatilestate", b, sizeof(b)), 0);
	nvstore_close(s);
	s = open_ok(f);
	assert_loads(s, "permall", a, sizeof(a));
	assert_false(nvstore_exists(s, "volatilestate"));
	nvstore_close(s);
}

/* ---- write errors: the old state must survive ---- */

/*
 * In a forked child: store A, provoke a write failure with provoke(), store B; expect
 * nvstore_store to return want, A to still load and no temp file to remain. Returns the
 * child's exit status: 0 ok, CHILD_SKIP, or the failing step.
 */
static int child_write_error(const char *dir, int want, uint32_t blen)
{
	uint8_t a[6000], *b = malloc(blen), *data = NULL;
	char tmp[PATH_MAX];
	struct nvstore *s = NULL;
	uint32_t len = 0;

	fill(a, sizeof(a), 8);
	if (!b)
		return 10;
	fill(b, blen, 9);
	if (nvstore_open(dir, &s, NULL, 0) != 0)
		return 11;
	if (nvstore_store(s, "permall", a, sizeof(a)) != 0)
		return 12;
	if (nvstore_store(s, "permall", b, blen) != want)
		return 13;
	if (nvstore_load(s, "permall", &data, &len) != 0 || len != sizeof(a) ||
	    memcmp(data, a, len) != 0)
		return 14;
	snprintf(tmp, sizeof(tmp), "%s/tpm2-permall.state.tmp", dir);
	if (access(tmp, F_OK) == 0 || errno != ENOENT)
		return 15;
	free(data);
	free(b);
	nvstore_close(s);
	return 0;
}

static void run_child(int (*fn)(const char *), const char *arg)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(arg));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == CHILD_SKIP)
		skip();
	if (WEXITSTATUS(status) != 0)
		fail_msg("child failed at step %d", WEXITSTATUS(status));
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int r = fd < 0 ? -1 : write_full(fd, text, strlen(text));

	if (fd >= 0)
		close(fd);
	return r;
}

/* A private mount namespace (with a user namespace when unprivileged). */
static int enter_mount_ns(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWNS) == 0)
		return 0;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return -1;
	if (write_text("/proc/self/setgroups", "deny") < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1", (unsigned int)uid, (unsigned int)uid);
	if (write_text("/proc/self/uid_map", map) < 0)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1", (unsigned int)gid, (unsigned int)gid);
	return write_text("/proc/self/gid_map", map);
}

static int child_enospc(const char *mnt)
{
	char dir[PATH_MAX];

	if (enter_mount_ns() < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("none", mnt, "tmpfs", 0, "size=64k,mode=0700") < 0)
		return CHILD_SKIP;
	snprintf(dir, sizeof(dir), "%s/state", mnt);
	/* 6000 bytes fit in 64 KiB; 256 KiB never do. */
	return child_write_error(dir, -ENOSPC, 256u << 10);
}

static void test_store_enospc(void **state)
{
	struct fixture *f = *state;
	char mnt[PATH_MAX];

	snprintf(mnt, sizeof(mnt), "%s/tmpfs", f->root);
	assert_int_equal(mkdir(mnt, 0700), 0);
	run_child(child_enospc, mnt);
}

/* Works unprivileged and as root: a file size limit makes write() fail part-way with EFBIG. */
static int child_efbig(const char *dir)
{
	struct rlimit rl = { .rlim_cur = 32u << 10, .rlim_max = RLIM_INFINITY };

	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
		return 20;
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		return 21;
	return child_write_error(dir, -EFBIG, 100u << 10);
}

static void test_store_write_error(void **state)
{
	struct fixture *f = *state;

	run_child(child_efbig, f->dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_leaves_no_temp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_write_recovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_same_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_child_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_released_on_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_blob, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_trailing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_short, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_not_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_back_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_back_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_back_close_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_write_error, setup, teardown),
	};

	log_set_level(LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
