// SPDX-License-Identifier: MIT
#include "daemon/nvstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "common/hash_alg.h"
#include "common/log.h"
#include "common/safe_fs.h"
#include "common/util.h"

#define STATE_PREFIX "tpm2-"
#define STATE_SUFFIX ".state"
#define TEMP_SUFFIX ".state.tmp"  /* what safe_write_atomic leaves behind: "<name>.tmp" */
#define LOCK_NAME ".lock"
#define SHA256_SIZE 32u
/* libtpms uses permall, volatilestate, savestate; the daemon ek-public, ak-public */
#define MAX_CACHED 8u

/* A blob held in memory in write-back mode. */
struct cached_blob {
	char name[NVSTORE_MAX_NAME + 1];
	uint8_t *data;  /* NULL: absent (deleted) */
	uint32_t len;
	bool dirty;     /* differs from the directory: written or deleted at the flush */
};

struct nvstore {
	char *dir;
	int dfd;        /* the directory, opened safely: every file is reached through it */
	int lock_fd;
	const struct hash_alg *sha256;
	bool write_back;
	size_t ncached;
	struct cached_blob cache[MAX_CACHED];
};

/* The on-disk header, decoded. */
struct state_header {
	char magic[8];
	uint32_t version;
	uint32_t length;
	uint8_t sha256[SHA256_SIZE];
};

static bool valid_name_n(const char *name, size_t len)
{
	if (len == 0 || len > NVSTORE_MAX_NAME)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool valid_name(const char *name)
{
	return name && valid_name_n(name, strnlen(name, NVSTORE_MAX_NAME + 1));
}

/* DIR/tpm2-<name>.state into buf. */
static int state_path(const struct nvstore *s, const char *name, char *buf, size_t size)
{
	int n;

	if (!valid_name(name))
		return -EINVAL;
	n = snprintf(buf, size, "%s/" STATE_PREFIX "%s" STATE_SUFFIX, s->dir, name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* A path state_path made, relative to the directory (for the *at calls). */
static const char *rel(const struct nvstore *s, const char *path)
{
	return path + strlen(s->dir) + 1;
}

/* Whether a directory entry ends in suffix and names a valid tpm2-<name> before it. */
static bool entry_is(const char *entry, const char *suffix)
{
	size_t len = strlen(entry), plen = strlen(STATE_PREFIX), slen = strlen(suffix);

	if (len <= plen + slen || strncmp(entry, STATE_PREFIX, plen) != 0 ||
	    strcmp(entry + len - slen, suffix) != 0)
		return false;
	return valid_name_n(entry + plen, len - plen - slen);
}

/* ---- header and validation ---- */

static void encode_header(uint8_t *out, uint32_t len, const uint8_t *sha256)
{
	memcpy(out, NVSTORE_MAGIC, 8);
	store_be32(out + 8, NVSTORE_FORMAT_VERSION);
	store_be32(out + 12, len);
	memcpy(out + 16, sha256, SHA256_SIZE);
}

static void decode_header(const uint8_t *in, struct state_header *h)
{
	memcpy(h->magic, in, 8);
	h->version = load_be32(in + 8);
	h->length = load_be32(in + 12);
	memcpy(h->sha256, in + 16, SHA256_SIZE);
}

/* Check a decoded header against the file size; -EBADMSG with why set if wrong. */
static int check_header(const struct state_header *h, off_t size, char *why, size_t whylen)
{
	off_t have = size - NVSTORE_HEADER_SIZE;

	if (memcmp(h->magic, NVSTORE_MAGIC, 8) != 0) {
		set_error(why, whylen, "bad magic (not a vtpm-rtmr state file)");
		return -EBADMSG;
	}
	if (h->version != NVSTORE_FORMAT_VERSION) {
		set_error(why, whylen, "unknown format version %u (this build reads version %u)",
		       h->version, NVSTORE_FORMAT_VERSION);
		return -EBADMSG;
	}
	if ((off_t)h->length != have) {
		set_error(why, whylen, "length mismatch: header says %u blob bytes, file holds %lld%s",
		       h->length, (long long)have, (off_t)h->length > have ? " (truncated?)" : "");
		return -EBADMSG;
	}
	if (h->length > NVSTORE_MAX_BLOB) {
		set_error(why, whylen, "blob of %u bytes exceeds the %u-byte limit", h->length,
		       NVSTORE_MAX_BLOB);
		return -EBADMSG;
	}
	return 0;
}

static int check_digest(const struct nvstore *s, const uint8_t *blob, uint32_t len,
			const uint8_t *want, char *why, size_t whylen)
{
	uint8_t got[SHA256_SIZE];

	if (hash_digest(s->sha256, blob, len, got) < 0) {
		set_error(why, whylen, "computing SHA-256 failed");
		return -EIO;
	}
	if (memcmp(got, want, SHA256_SIZE) != 0) {
		set_error(why, whylen,
		       "checksum mismatch (the %u-byte blob does not match its SHA-256)", len);
		return -EBADMSG;
	}
	return 0;
}

/* Open a state file for reading: a regular file of ours, not through a symlink. */
static int open_state(const struct nvstore *s, const char *path, struct stat *st, char *why,
		      size_t whylen)
{
	_cleanup_close_ int fd = safe_openat(s->dfd, rel(s, path), O_RDONLY, 0);

	if (fd == -ELOOP || fd == -EPERM || fd == -EINVAL) {
		set_error(why, whylen, "%s, expected a regular file of the daemon's",
			  safe_fs_strerror(fd));
		return -EBADMSG;
	}
	if (fd < 0) {
		set_error(why, whylen, "%s", strerror(-fd));
		return fd;
	}
	if (fstat(fd, st) < 0) {
		int r = -errno;

		set_error(why, whylen, "fstat: %s", strerror(-r));
		return r;
	}
	if (!S_ISREG(st->st_mode)) {
		set_error(why, whylen, "not a regular file");
		return -EBADMSG;
	}
	if (st->st_size < (off_t)NVSTORE_HEADER_SIZE) {
		set_error(why, whylen, "short file: %lld bytes, less than the %u-byte header",
		       (long long)st->st_size, NVSTORE_HEADER_SIZE);
		return -EBADMSG;
	}
	return take_fd(&fd);
}

/* Read exactly len bytes; a short read means the file shrank under us. */
static int read_exact(int fd, void *buf, size_t len, char *why, size_t whylen)
{
	ssize_t n = read_full(fd, buf, len);

	if (n < 0) {
		set_error(why, whylen, "read: %s", strerror((int)-n));
		return (int)n;
	}
	if ((size_t)n != len) {
		set_error(why, whylen, "short read (file changed while reading)");
		return -EBADMSG;
	}
	return 0;
}

/*
 * Read and validate one state file. 0 with a malloc'd blob; -ENOENT; -EBADMSG with why set to
 * what is wrong; -errno with why set.
 */
static int read_state(const struct nvstore *s, const char *path, uint8_t **data, uint32_t *len,
		      char *why, size_t whylen)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ uint8_t *blob = NULL;
	uint8_t raw[NVSTORE_HEADER_SIZE];
	struct state_header h;
	struct stat st;
	int r;

	fd = open_state(s, path, &st, why, whylen);
	if (fd < 0)
		return fd;
	r = read_exact(fd, raw, sizeof(raw), why, whylen);
	if (r < 0)
		return r;
	decode_header(raw, &h);
	r = check_header(&h, st.st_size, why, whylen);
	if (r < 0)
		return r;
	blob = malloc(h.length ? h.length : 1);
	if (!blob) {
		set_error(why, whylen, "out of memory");
		return -ENOMEM;
	}
	r = read_exact(fd, blob, h.length, why, whylen);
	if (r == 0)
		r = check_digest(s, blob, h.length, h.sha256, why, whylen);
	if (r < 0)
		return r;
	*data = TAKE_PTR(blob);
	*len = h.length;
	return 0;
}

/* ---- lock ---- */

/* The pid recorded in the lock file, or 0 if none is readable. */
static long lock_holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	unsigned long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (parse_uint(buf, 1, LONG_MAX, &pid) < 0)
		return 0;
	return (long)pid;
}

static int write_lock_pid(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) < 0)
		return -errno;
	if (pwrite(fd, buf, (size_t)n, 0) != n)
		return errno ? -errno : -EIO;
	return 0;
}

static int report_busy(const char *dir, int fd, char *err, size_t errlen)
{
	long pid = lock_holder_pid(fd);

	if (pid > 0)
		set_error(err, errlen, "state directory %s is in use by another vtpm-rtmrd (pid %ld)",
		       dir, pid);
	else
		set_error(err, errlen,
		       "state directory %s is in use by another vtpm-rtmrd (pid unknown)", dir);
	return -EBUSY;
}

static int take_lock(struct nvstore *s, char *err, size_t errlen)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (asprintf(&path, "%s/" LOCK_NAME, s->dir) < 0)
		return -ENOMEM;
	fd = safe_openat(s->dfd, LOCK_NAME, O_RDWR | O_CREAT, 0600);
	if (fd < 0) {
		set_error(err, errlen, "cannot open lock file %s: %s", path, safe_fs_strerror(fd));
		return fd;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return report_busy(s->dir, fd, err, errlen);
		r = -errno;
		set_error(err, errlen, "cannot lock %s: %s", path, strerror(-r));
		return r;
	}
	r = write_lock_pid(fd);
	if (r < 0) {
		set_error(err, errlen, "cannot write pid into %s: %s", path, strerror(-r));
		return r;
	}
	s->lock_fd = take_fd(&fd);
	return 0;
}

/* ---- open: directory, leftovers, validation ---- */

/* The directory, made 0700 if absent, checked (safe_fs.h) and held open. */
static int make_dir(struct nvstore *s, char *err, size_t errlen)
{
	const char *dir = s->dir;
	struct stat st;

	s->dfd = safe_dir_open(dir, "state directory", SAFE_DIR_CREATE | SAFE_DIR_KEEP, 0700, err,
			       errlen);
	if (s->dfd < 0)
		return -EPERM;
	if (fstat(s->dfd, &st) < 0) {
		int r = -errno;

		set_error(err, errlen, "cannot stat state directory %s: %s", dir, strerror(-r));
		return r;
	}
	if (st.st_mode & 0077)
		log_warn("state directory %s is accessible to group/others (mode %04o)", dir,
			 (unsigned int)(st.st_mode & 07777));
	return 0;
}

static int remove_leftover(const struct nvstore *s, const char *entry, char *err, size_t errlen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", s->dir, entry);
	if (unlinkat(s->dfd, entry, 0) < 0 && errno != ENOENT) {
		int r = -errno;

		set_error(err, errlen, "cannot remove leftover temporary file %s: %s", path,
		       strerror(-r));
		return r;
	}
	log_info("removed leftover temporary file %s of an interrupted write", path);
	return 0;
}

static int validate_entry(const struct nvstore *s, const char *entry, char *err, size_t errlen)
{
	_cleanup_free_ uint8_t *data = NULL;
	char path[PATH_MAX], why[160];
	uint32_t len;
	int r;

	snprintf(path, sizeof(path), "%s/%s", s->dir, entry);
	r = read_state(s, path, &data, &len, why, sizeof(why));
	if (r == -EBADMSG)
		set_error(err, errlen, "state file %s is corrupt: %s", path, why);
	else if (r < 0)
		set_error(err, errlen, "cannot read state file %s: %s", path, why);
	else
		log_debug("state file %s: %u bytes, valid", path, len);
	return r;
}

typedef int (*entry_fn)(const struct nvstore *s, const char *entry, char *err, size_t errlen);

/* Call fn for every entry of the state directory that entry_is(suffix); stop at an error. */
static int scan_dir(const struct nvstore *s, const char *suffix, entry_fn fn, char *err,
		    size_t errlen)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd = dup(s->dfd);
	int r = 0;

	d = fd < 0 ? NULL : fdopendir(fd);
	if (d)
		rewinddir(d);
	if (!d) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		set_error(err, errlen, "cannot read state directory %s: %s", s->dir, strerror(-r));
		return r;
	}
	while (r == 0 && (errno = 0, de = readdir(d)))
		if (entry_is(de->d_name, suffix))
			r = fn(s, de->d_name, err, errlen);
	if (r == 0 && errno) {
		r = -errno;
		set_error(err, errlen, "cannot read state directory %s: %s", s->dir, strerror(-r));
	}
	return r;
}

int nvstore_open(const char *dir, struct nvstore **out, char *err, size_t errlen)
{
	struct nvstore *s;
	int r;

	set_error(err, errlen, "no error");
	if (!dir || !*dir || !out) {
		set_error(err, errlen, "no state directory given");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		set_error(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->lock_fd = -1;
	s->dfd = -1;
	s->sha256 = hash_alg_by_name("sha256");
	r = make_dir(s, err, errlen);
	if (r == 0)
		r = take_lock(s, err, errlen);
	if (r == 0)
		r = scan_dir(s, TEMP_SUFFIX, remove_leftover, err, errlen);
	if (r == 0)
		r = scan_dir(s, STATE_SUFFIX, validate_entry, err, errlen);
	if (r < 0) {
		nvstore_close(s);
		return r;
	}
	*out = s;
	return 0;
}

static void cache_drop(struct nvstore *s)
{
	for (size_t i = 0; i < s->ncached; i++)
		free(s->cache[i].data);
	s->ncached = 0;
	s->write_back = false;
}

void nvstore_close(struct nvstore *s)
{
	if (!s)
		return;
	cache_drop(s);
	if (s->lock_fd >= 0) {
		/* Still ours while we hold the lock: clear the pid so it cannot be stale. */
		if (ftruncate(s->lock_fd, 0) < 0)
			log_debug("cannot clear %s/" LOCK_NAME ": %s", s->dir, strerror(errno));
		close(s->lock_fd);
	}
	if (s->dfd >= 0)
		close(s->dfd);
	free(s->dir);
	free(s);
}

int nvstore_give_to_user(struct nvstore *s)
{
	return s ? safe_dir_chown_tree(s->dfd) : 0;
}

const char *nvstore_dir(const struct nvstore *s)
{
	return s->dir;
}

/* ---- the write-back cache ---- */

static struct cached_blob *cache_find(struct nvstore *s, const char *name)
{
	for (size_t i = 0; i < s->ncached; i++)
		if (strcmp(s->cache[i].name, name) == 0)
			return &s->cache[i];
	return NULL;
}

/* Hold a copy of data (NULL: absent) for name. 0, -ENOMEM, or -ENOBUFS when name is not
 * held and there is no room for it (the caller then goes to the directory). */
static int cache_put(struct nvstore *s, const char *name, const uint8_t *data, uint32_t len,
		     bool dirty)
{
	struct cached_blob *c = cache_find(s, name);
	uint8_t *copy = NULL;

	if (!c && s->ncached == MAX_CACHED)
		return -ENOBUFS;
	if (data) {
		copy = malloc(len ? len : 1);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, data, len);
	}
	if (!c) {
		c = &s->cache[s->ncached++];
		snprintf(c->name, sizeof(c->name), "%s", name);
	} else {
		free(c->data);
	}
	c->data = copy;
	c->len = len;
	c->dirty = dirty;
	return 0;
}

static int cache_load(const struct cached_blob *c, uint8_t **data, uint32_t *len)
{
	if (!c->data)
		return -ENOENT;
	*data = malloc(c->len ? c->len : 1);
	if (!*data)
		return -ENOMEM;
	memcpy(*data, c->data, c->len);
	*len = c->len;
	return 0;
}

void nvstore_write_back(struct nvstore *s)
{
	s->write_back = true;
}

/* ---- blob operations ---- */

static int load_file(struct nvstore *s, const char *path, uint8_t **data, uint32_t *len)
{
	char why[160];
	int r = read_state(s, path, data, len, why, sizeof(why));

	if (r == -ENOENT)
		log_debug("state file %s does not exist", path);
	else if (r == -EBADMSG)
		log_error("state file %s is corrupt: %s", path, why);
	else if (r < 0)
		log_error("cannot read state file %s: %s", path, why);
	return r;
}

int nvstore_load(struct nvstore *s, const char *name, uint8_t **data, uint32_t *len)
{
	struct cached_blob *c;
	char path[PATH_MAX];
	int r = state_path(s, name, path, sizeof(path));

	if (r < 0)
		return r;
	c = s->write_back ? cache_find(s, name) : NULL;
	if (c)
		return cache_load(c, data, len);
	r = load_file(s, path, data, len);
	/* libtpms reads a blob more than once while it starts: later reads from memory */
	if (r == 0 && s->write_back)
		cache_put(s, name, *data, *len, false);
	return r;
}

/* Crash-safe replace of one state file. */
static int store_file(struct nvstore *s, const char *path, const uint8_t *data, uint32_t len)
{
	_cleanup_free_ uint8_t *buf = malloc(NVSTORE_HEADER_SIZE + len);
	uint8_t digest[SHA256_SIZE];
	int r;

	if (!buf)
		return -ENOMEM;
	if (hash_digest(s->sha256, data ? data : buf, len, digest) < 0) {
		log_error("cannot write state file %s: computing SHA-256 failed", path);
		return -EIO;
	}
	encode_header(buf, len, digest);
	if (len)
		memcpy(buf + NVSTORE_HEADER_SIZE, data, len);
	r = safe_write_atomic(s->dfd, rel(s, path), buf, NVSTORE_HEADER_SIZE + len, 0600);
	if (r < 0)
		log_error("cannot write state file %s: %s", path, strerror(-r));
	return r;
}

int nvstore_store(struct nvstore *s, const char *name, const uint8_t *data, uint32_t len)
{
	char path[PATH_MAX];
	int r = state_path(s, name, path, sizeof(path));

	if (r < 0)
		return r;
	if (!data && len)
		return -EINVAL;
	if (len > NVSTORE_MAX_BLOB)
		return -EFBIG;
	if (s->write_back) {
		r = cache_put(s, name, data ? data : (const uint8_t *)"", len, true);
		if (r == -ENOMEM)
			log_error("cannot hold state '%s' for %s: out of memory", name, s->dir);
		if (r != -ENOBUFS)
			return r;
	}
	return store_file(s, path, data, len);
}

static int fsync_dir(const struct nvstore *s)
{
	return fsync(s->dfd) < 0 ? -errno : 0;
}

/* Remove one state file; then, if sync, make the removal durable. */
static int delete_file(struct nvstore *s, const char *path, bool must_exist, bool sync)
{
	int r;

	if (unlinkat(s->dfd, rel(s, path), 0) < 0) {
		r = -errno;
		if (r == -ENOENT)
			return must_exist ? r : 0;
		log_error("cannot delete state file %s: %s", path, strerror(-r));
		return r;
	}
	r = sync ? fsync_dir(s) : 0;
	if (r < 0)
		log_error("cannot sync state directory %s: %s", s->dir, strerror(-r));
	return r;
}

/* Write-back: forget the blob now, remove its file at the flush. */
static int delete_cached(struct nvstore *s, const char *name, const char *path, bool must_exist)
{
	struct cached_blob *c = cache_find(s, name);
	struct stat st;
	bool exists = c ? c->data != NULL
			: fstatat(s->dfd, rel(s, path), &st, AT_SYMLINK_NOFOLLOW) == 0;

	if (!exists)
		return must_exist ? -ENOENT : 0;
	return cache_put(s, name, NULL, 0, true);
}

int nvstore_delete(struct nvstore *s, const char *name, bool must_exist)
{
	char path[PATH_MAX];
	int r = state_path(s, name, path, sizeof(path));

	if (r < 0)
		return r;
	if (s->write_back) {
		r = delete_cached(s, name, path, must_exist);
		if (r != -ENOBUFS)
			return r;
	}
	return delete_file(s, path, must_exist, true);
}

bool nvstore_exists(struct nvstore *s, const char *name)
{
	struct cached_blob *c;
	char path[PATH_MAX];
	struct stat st;

	if (state_path(s, name, path, sizeof(path)) < 0)
		return false;
	c = s->write_back ? cache_find(s, name) : NULL;
	if (c)
		return c->data != NULL;
	return fstatat(s->dfd, rel(s, path), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Write one changed blob to the directory (removals are made durable by the caller). */
static int flush_one(struct nvstore *s, const struct cached_blob *c, bool *removed)
{
	char path[PATH_MAX];
	int r = state_path(s, c->name, path, sizeof(path));

	if (r < 0)
		return r;
	if (c->data)
		return store_file(s, path, c->data, c->len);
	r = delete_file(s, path, false, false);
	*removed = true;
	return r;
}

int nvstore_flush(struct nvstore *s)
{
	bool removed = false;
	int r = 0;

	for (size_t i = 0; i < s->ncached && r == 0; i++)
		if (s->cache[i].dirty)
			r = flush_one(s, &s->cache[i], &removed);
	if (r == 0 && removed) {
		r = fsync_dir(s);
		if (r < 0)
			log_error("cannot sync state directory %s: %s", s->dir, strerror(-r));
	}
	cache_drop(s);
	return r;
}
