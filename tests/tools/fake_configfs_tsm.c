// SPDX-License-Identifier: MIT
/*
 * fake_configfs_tsm: a host-side emulation of the Linux configfs-tsm report interface
 * (/sys/kernel/config/tsm/report, Documentation/ABI/testing/configfs-tsm-report) with a TDX
 * provider whose quotes come from the sim CA (tdx_sim_ca.h), on FUSE.
 *
 *   fake_configfs_tsm --sim-dir DIR [--rtmr-dir DIR] [--provider NAME] [--verbose] MOUNTPOINT
 *
 * Runs in the foreground, single-threaded; prints "ready" on stdout once mounted; unmounts on
 * SIGTERM/SIGINT/SIGHUP. --sim-dir holds the sim CA (created there on first use, as by
 * tdx_sim_ca_open); the RTMR values quoted are read from --rtmr-dir (default: the sim dir)
 * files rtmr0..3:sha384, 48 raw bytes each (the sim RTMR backend's layout), when a quote is
 * made; a missing or malformed one fails the outblob read with EIO.
 *
 * The mount root behaves like the report group: mkdir NAME makes an entry, rmdir NAME removes
 * it (however many attributes it has), nothing else can be created there. An entry holds:
 *   inblob      0200  binary attribute, at most 64 bytes (a write past 64 -> EFBIG); as on
 *                     configfs the bytes written through one open file reach the provider when
 *                     it is closed (FUSE flush), and each such commit bumps generation.
 *   outblob     0444  the quote: on the first read of an open file, made with tdx_sim_quote
 *                     (inblob as REPORTDATA, the RTMR files as they are then) unless the one
 *                     cached for the current generation exists; the open file then reads that
 *                     snapshot. TDX wants exactly 64 bytes of inblob: otherwise (and before
 *                     any write) EINVAL.
 *   auxblob     0444  empty.
 *   provider    0444  NAME\n (--provider, default tdx_guest).
 *   generation  0444  decimal\n, the number of inblob commits.
 * Opening an attribute against its direction -> EACCES; create -> EACCES; mkdir inside an
 * entry, unlink, rename, link, symlink, chmod, chown -> EPERM.
 *
 * Fault injection through the control file ".control" at the root (one command per line):
 *   fail-next-outblob [ERRNO]  the next outblob read that would produce a quote fails with
 *                              ERRNO: EIO (default), ENXIO, EOPNOTSUPP, EINVAL, EBUSY, EFBIG,
 *                              ENOMEM
 *   race-next                  the next outblob read that produces a quote first acts as a
 *                              concurrent writer: inblob := its bitwise complement, generation
 *                              bumped; the quote is then made over that inblob
 *   clear                      disarm both
 * Reading .control gives key=value lines: entries, commits, quotes, injected, races,
 * fail_next_outblob, race_next.
 *
 * Client mode, for the integration test: run quote_get() (src/attest/quote_provider.h) once,
 * write the quote to FILE, print "provider=NAME" and "len=N" on stdout; on failure print the
 * error on stderr and exit 1:
 *   fake_configfs_tsm --client auto|configfs-tsm|sim [--configfs-dir DIR] [--runtime-dir DIR]
 *                     --report-data HEX128 --out FILE
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "attest/quote_provider.h"
#include "attest/tdx_sim_ca.h"
#include "common/util.h"
#include "fuse_tool.h"

#define MAX_ENTRIES 128
#define INBLOB_MAX 64
#define TDX_INBLOB_LEN 64
#define RTMRS 4
#define RTMR_SIZE 48
#define CONTROL_NAME ".control"
#define CONTROL_MAX 1024
#define PROVIDER_MAX 64

enum attr_id { ATTR_INBLOB, ATTR_OUTBLOB, ATTR_AUXBLOB, ATTR_PROVIDER, ATTR_GENERATION, NATTRS };

static const struct {
	const char *name;
	mode_t mode;
} attrs[NATTRS] = {
	[ATTR_INBLOB] = { "inblob", 0200 },
	[ATTR_OUTBLOB] = { "outblob", 0444 },
	[ATTR_AUXBLOB] = { "auxblob", 0444 },
	[ATTR_PROVIDER] = { "provider", 0444 },
	[ATTR_GENERATION] = { "generation", 0444 },
};

struct entry {
	bool used;
	char name[NAME_MAX + 1];
	uint8_t inblob[INBLOB_MAX];
	size_t inblob_len;
	unsigned long generation;	/* inblob commits */
	unsigned long quote_gen;	/* generation the cached quote was made for */
	uint8_t *quote;			/* cached quote, NULL = none */
	size_t quote_len;
	time_t ctime;
};

/* One open attribute file (fi->fh). */
struct handle {
	enum attr_id attr;
	uint8_t buf[INBLOB_MAX];	/* inblob: bytes written, committed on flush */
	size_t len;
	bool dirty;
	uint8_t *snap;			/* outblob: what this open file reads */
	size_t snap_len;
};

static struct {
	const char *rtmr_dir;
	const char *provider;
	struct tdx_sim_ca *ca;
	bool verbose;
	time_t start;
	struct entry entries[MAX_ENTRIES];
	unsigned long commits, quotes, injected, races;
	int fail_next;			/* errno for the next producing outblob read, 0 = none */
	bool race_next;
} st;

static const struct {
	const char *name;
	int err;
} errnos[] = {
	{ "EIO", EIO },	    { "ENXIO", ENXIO }, { "EOPNOTSUPP", EOPNOTSUPP }, { "EINVAL", EINVAL },
	{ "EBUSY", EBUSY }, { "EFBIG", EFBIG }, { "ENOMEM", ENOMEM },
};

static int errno_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
		if (!strcmp(errnos[i].name, name))
			return errnos[i].err;
	return 0;
}

static const char *errno_name(int err)
{
	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
		if (errnos[i].err == err)
			return errnos[i].name;
	return "none";
}

static void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void vlog(const char *fmt, ...)
{
	va_list ap;

	if (!st.verbose)
		return;
	fputs("fake_configfs_tsm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the tree ------------------------------------------------------------------------- */

enum node_kind { NODE_NONE, NODE_ROOT, NODE_CONTROL, NODE_ENTRY, NODE_ATTR, NODE_BAD_PARENT };

struct node {
	enum node_kind kind;
	struct entry *entry;
	enum attr_id attr;
};

static struct entry *entry_by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < MAX_ENTRIES; i++) {
		struct entry *e = &st.entries[i];

		if (e->used && strlen(e->name) == len && !memcmp(e->name, name, len))
			return e;
	}
	return NULL;
}

static int attr_by_name(const char *name)
{
	for (int i = 0; i < NATTRS; i++)
		if (!strcmp(attrs[i].name, name))
			return i;
	return -1;
}

/* Resolve a path; NODE_NONE: absent, NODE_BAD_PARENT: the parent is not an entry. */
static struct node lookup(const char *path)
{
	struct node n = { .kind = NODE_NONE };
	const char *name, *slash;
	int a;

	if (!path || path[0] != '/')
		return n;
	if (!strcmp(path, "/"))
		return (struct node){ .kind = NODE_ROOT };
	name = path + 1;
	slash = strchr(name, '/');
	if (!slash) {
		if (!strcmp(name, CONTROL_NAME))
			return (struct node){ .kind = NODE_CONTROL };
		n.entry = entry_by_name(name, strlen(name));
		n.kind = n.entry ? NODE_ENTRY : NODE_NONE;
		return n;
	}
	n.entry = entry_by_name(name, (size_t)(slash - name));
	if (!n.entry || strchr(slash + 1, '/')) {
		n.kind = NODE_BAD_PARENT;
		return n;
	}
	a = attr_by_name(slash + 1);
	if (a >= 0) {
		n.kind = NODE_ATTR;
		n.attr = (enum attr_id)a;
	}
	return n;
}

static size_t entry_count(void)
{
	size_t n = 0;

	for (size_t i = 0; i < MAX_ENTRIES; i++)
		n += st.entries[i].used;
	return n;
}

static void entry_free(struct entry *e)
{
	free(e->quote);
	memset(e, 0, sizeof(*e));
}

/* ---- quotes --------------------------------------------------------------------------- */

static int read_rtmr(unsigned idx, uint8_t *val)
{
	_cleanup_close_ int fd = -1;
	char path[PATH_MAX];
	struct stat s;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/rtmr%u:sha384", st.rtmr_dir, idx);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &s) < 0) {
		fprintf(stderr, "fake_configfs_tsm: %s: %s\n", path, strerror(errno));
		return -EIO;
	}
	if (s.st_size != RTMR_SIZE) {
		fprintf(stderr, "fake_configfs_tsm: %s: not %d bytes\n", path, RTMR_SIZE);
		return -EIO;
	}
	flock(fd, LOCK_SH);
	n = read_full(fd, val, RTMR_SIZE);
	flock(fd, LOCK_UN);
	return n == RTMR_SIZE ? 0 : -EIO;
}

static int make_quote(struct entry *e)
{
	uint8_t rtmr[RTMRS][RTMR_SIZE];
	uint8_t *q = NULL;
	char err[256];
	size_t len;

	for (unsigned i = 0; i < RTMRS; i++)
		if (read_rtmr(i, rtmr[i]) < 0)
			return -EIO;
	if (tdx_sim_quote(st.ca, e->inblob, (const uint8_t(*)[RTMR_SIZE])rtmr, &q, &len, err,
			  sizeof(err)) < 0) {
		fprintf(stderr, "fake_configfs_tsm: tdx_sim_quote: %s\n", err);
		return -EIO;
	}
	free(e->quote);
	e->quote = q;
	e->quote_len = len;
	e->quote_gen = e->generation;
	st.quotes++;
	vlog("quote #%lu for %s generation %lu (%zu bytes)", st.quotes, e->name, e->generation,
	     len);
	return 0;
}

/* A concurrent writer commits its own inblob (ours, complemented). */
static void simulate_race(struct entry *e)
{
	for (size_t i = 0; i < TDX_INBLOB_LEN; i++)
		e->inblob[i] = (uint8_t)~(i < e->inblob_len ? e->inblob[i] : 0);
	e->inblob_len = TDX_INBLOB_LEN;
	e->generation++;
	st.race_next = false;
	st.races++;
	vlog("race: %s rewritten by a concurrent writer, generation %lu", e->name,
	     e->generation);
}

/* The first read of an open outblob: faults, the TDX length check, the per-generation cache. */
static int outblob_produce(struct entry *e, struct handle *h)
{
	int r;

	if (st.fail_next) {
		r = st.fail_next;
		st.fail_next = 0;
		st.injected++;
		vlog("outblob of %s fails by injection: %s", e->name, errno_name(r));
		return -r;
	}
	if (st.race_next)
		simulate_race(e);
	if (e->inblob_len != TDX_INBLOB_LEN)
		return -EINVAL;
	if (!e->quote || e->quote_gen != e->generation) {
		r = make_quote(e);
		if (r < 0)
			return r;
	}
	h->snap = malloc(e->quote_len);
	if (!h->snap)
		return -ENOMEM;
	memcpy(h->snap, e->quote, e->quote_len);
	h->snap_len = e->quote_len;
	return 0;
}

/* ---- control -------------------------------------------------------------------------- */

static int control_text(char *buf, size_t cap)
{
	int n = snprintf(buf, cap,
			 "entries=%zu\ncommits=%lu\nquotes=%lu\ninjected=%lu\nraces=%lu\n"
			 "fail_next_outblob=%s\nrace_next=%d\n",
			 entry_count(), st.commits, st.quotes, st.injected, st.races,
			 errno_name(st.fail_next), st.race_next);

	if (n < 0)
		return 0;
	return (size_t)n >= cap ? (int)cap - 1 : n;
}

struct control_cmd {
	enum { CMD_FAIL, CMD_RACE, CMD_CLEAR } op;
	int err;
};

/* One line (modified in place): 1 = command, 0 = blank, -1 = malformed. */
static int parse_control_line(char *line, struct control_cmd *cmd)
{
	char *save = NULL;
	char *verb = strtok_r(line, " \t\r", &save);
	char *arg = verb ? strtok_r(NULL, " \t\r", &save) : NULL;

	if (!verb)
		return 0;
	if (arg && strtok_r(NULL, " \t\r", &save))
		return -1;
	if (!strcmp(verb, "fail-next-outblob")) {
		cmd->op = CMD_FAIL;
		cmd->err = arg ? errno_by_name(arg) : EIO;
		return cmd->err ? 1 : -1;
	}
	if (arg)
		return -1;
	if (!strcmp(verb, "race-next")) {
		cmd->op = CMD_RACE;
		return 1;
	}
	if (!strcmp(verb, "clear")) {
		cmd->op = CMD_CLEAR;
		return 1;
	}
	return -1;
}

static void apply_control_cmd(const struct control_cmd *cmd)
{
	switch (cmd->op) {
	case CMD_FAIL:
		st.fail_next = cmd->err;
		break;
	case CMD_RACE:
		st.race_next = true;
		break;
	case CMD_CLEAR:
		st.fail_next = 0;
		st.race_next = false;
		break;
	}
	vlog("control: fail_next_outblob=%s race_next=%d", errno_name(st.fail_next),
	     st.race_next);
}

/* All commands of one write are checked before any is applied. */
static int control_write(const char *buf, size_t size)
{
	struct control_cmd cmds[16];
	char text[CONTROL_MAX + 1];
	char *line, *save = NULL;
	size_t n = 0;

	if (size == 0)
		return 0;
	if (size > CONTROL_MAX || memchr(buf, '\0', size))
		return -EINVAL;
	memcpy(text, buf, size);
	text[size] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int r;

		if (n == ARRAY_SIZE(cmds))
			return -EINVAL;
		r = parse_control_line(line, &cmds[n]);
		if (r < 0)
			return -EINVAL;
		n += (size_t)r;
	}
	for (size_t i = 0; i < n; i++)
		apply_control_cmd(&cmds[i]);
	return (int)size;
}

/* ---- FUSE operations ------------------------------------------------------------------ */

/* Copy the slice [off, off + size) of an object of len bytes into buf; bytes copied. */
static int read_slice(const void *obj, size_t len, char *buf, size_t size, off_t off)
{
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= len || size == 0)
		return 0;
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	memcpy(buf, (const char *)obj + off, size);
	return (int)size;
}

static void fill_stat(struct stat *s, mode_t mode, nlink_t nlink, time_t t)
{
	memset(s, 0, sizeof(*s));
	s->st_mode = mode;
	s->st_nlink = nlink;
	s->st_uid = getuid();
	s->st_gid = getgid();
	s->st_atime = s->st_mtime = s->st_ctime = t;
}

static int fs_getattr(const char *path, struct stat *s, struct fuse_file_info *fi)
{
	struct node n = lookup(path);

	(void)fi;
	switch (n.kind) {
	case NODE_ROOT:
		fill_stat(s, S_IFDIR | 0755, 2 + entry_count(), st.start);
		return 0;
	case NODE_CONTROL:
		fill_stat(s, S_IFREG | 0600, 1, st.start);
		return 0;
	case NODE_ENTRY:
		fill_stat(s, S_IFDIR | 0755, 2, n.entry->ctime);
		return 0;
	case NODE_ATTR:
		fill_stat(s, S_IFREG | attrs[n.attr].mode, 1, n.entry->ctime);
		return 0;
	default:
		return -ENOENT;
	}
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct node n = lookup(path);

	(void)off;
	(void)fi;
	(void)flags;
	if (n.kind != NODE_ROOT && n.kind != NODE_ENTRY)
		return n.kind == NODE_NONE || n.kind == NODE_BAD_PARENT ? -ENOENT : -ENOTDIR;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	if (n.kind == NODE_ENTRY) {
		for (int i = 0; i < NATTRS; i++)
			fill(buf, attrs[i].name, NULL, 0, 0);
		return 0;
	}
	fill(buf, CONTROL_NAME, NULL, 0, 0);
	for (size_t i = 0; i < MAX_ENTRIES; i++)
		if (st.entries[i].used)
			fill(buf, st.entries[i].name, NULL, 0, 0);
	return 0;
}

/* configfs: an attribute opened against its direction -> EACCES. */
static int attr_open(enum attr_id attr, struct fuse_file_info *fi)
{
	int acc = fi->flags & O_ACCMODE;
	bool wants_write = acc != O_RDONLY, wants_read = acc != O_WRONLY;
	bool writable = attr == ATTR_INBLOB;
	struct handle *h;

	if (wants_write != writable || wants_read == writable)
		return -EACCES;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->attr = attr;
	fi->fh = (uint64_t)(uintptr_t)h;
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	struct node n = lookup(path);

	fi->direct_io = 1;	/* every read and write reaches us, unchanged */
	fi->keep_cache = 0;
	switch (n.kind) {
	case NODE_CONTROL:
		fi->fh = 0;
		return 0;
	case NODE_ATTR:
		return attr_open(n.attr, fi);
	case NODE_ROOT:
	case NODE_ENTRY:
		return -EISDIR;
	default:
		return -ENOENT;
	}
}

static struct handle *handle_of(const struct fuse_file_info *fi)
{
	return fi ? (struct handle *)(uintptr_t)fi->fh : NULL;
}

static int text_attr(const struct node *n, char *text, size_t cap)
{
	int len = 0;

	if (n->attr == ATTR_PROVIDER)
		len = snprintf(text, cap, "%s\n", st.provider);
	else if (n->attr == ATTR_GENERATION)
		len = snprintf(text, cap, "%lu\n", n->entry->generation);
	return len < 0 ? 0 : len;
}

static int attr_read(const struct node *n, struct handle *h, char *buf, size_t size, off_t off)
{
	char text[PROVIDER_MAX + 2];
	int r;

	if (!h || h->attr != n->attr)
		return -EBADF;
	switch (n->attr) {
	case ATTR_OUTBLOB:
		if (!h->snap) {
			r = outblob_produce(n->entry, h);
			if (r < 0)
				return r;
		}
		return read_slice(h->snap, h->snap_len, buf, size, off);
	case ATTR_PROVIDER:
	case ATTR_GENERATION:
		return read_slice(text, (size_t)text_attr(n, text, sizeof(text)), buf, size, off);
	case ATTR_AUXBLOB:
		return 0;
	default:
		return -EACCES;
	}
}

static int fs_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	struct node n = lookup(path);
	char text[512];

	switch (n.kind) {
	case NODE_CONTROL:
		return read_slice(text, (size_t)control_text(text, sizeof(text)), buf, size, off);
	case NODE_ATTR:
		return attr_read(&n, handle_of(fi), buf, size, off);
	case NODE_ROOT:
	case NODE_ENTRY:
		return -EISDIR;
	default:
		return -ENOENT;
	}
}

/* configfs binary attribute: buffered per open file, at most 64 bytes. */
static int inblob_write(struct handle *h, const char *buf, size_t size, off_t off)
{
	if (!h || h->attr != ATTR_INBLOB)
		return -EBADF;
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off + size > INBLOB_MAX)
		return -EFBIG;
	memcpy(h->buf + off, buf, size);
	if ((size_t)off + size > h->len)
		h->len = (size_t)off + size;
	h->dirty = true;
	return (int)size;
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct node n = lookup(path);

	switch (n.kind) {
	case NODE_CONTROL:
		return control_write(buf, size);
	case NODE_ATTR:
		if (n.attr != ATTR_INBLOB)
			return -EACCES;
		return inblob_write(handle_of(fi), buf, size, off);
	case NODE_ROOT:
	case NODE_ENTRY:
		return -EISDIR;
	default:
		return -ENOENT;
	}
}

/* close(): configfs hands what was written to the attribute; generation counts these. */
static int fs_flush(const char *path, struct fuse_file_info *fi)
{
	struct handle *h = handle_of(fi);
	struct node n = lookup(path);

	if (!h || h->attr != ATTR_INBLOB || !h->dirty)
		return 0;
	h->dirty = false;
	if (n.kind != NODE_ATTR)
		return 0;	/* the entry is gone */
	memcpy(n.entry->inblob, h->buf, h->len);
	n.entry->inblob_len = h->len;
	n.entry->generation++;
	st.commits++;
	vlog("inblob of %s: %zu bytes committed, generation %lu", n.entry->name, h->len,
	     n.entry->generation);
	h->len = 0;
	return 0;
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	struct handle *h = handle_of(fi);

	(void)path;
	if (h) {
		free(h->snap);
		free(h);
		fi->fh = 0;
	}
	return 0;
}

static int fs_mkdir(const char *path, mode_t mode)
{
	struct node n = lookup(path);
	const char *name = path + 1;
	struct entry *e = NULL;

	(void)mode;
	if (n.kind != NODE_NONE)
		return n.kind == NODE_BAD_PARENT ? -EPERM : -EEXIST;
	if (strchr(name, '/') || strlen(name) > NAME_MAX)
		return -EPERM;
	for (size_t i = 0; i < MAX_ENTRIES && !e; i++)
		if (!st.entries[i].used)
			e = &st.entries[i];
	if (!e)
		return -ENOSPC;
	memset(e, 0, sizeof(*e));
	e->used = true;
	strcpy(e->name, name);
	e->ctime = time(NULL);
	vlog("mkdir %s", name);
	return 0;
}

/* configfs: rmdir of an item drops it with all its attributes. */
static int fs_rmdir(const char *path)
{
	struct node n = lookup(path);

	switch (n.kind) {
	case NODE_ENTRY:
		vlog("rmdir %s", n.entry->name);
		entry_free(n.entry);
		return 0;
	case NODE_ROOT:
		return -EBUSY;
	case NODE_CONTROL:
	case NODE_ATTR:
		return -ENOTDIR;
	case NODE_BAD_PARENT:
		return -EPERM;
	default:
		return -ENOENT;
	}
}

/* As on configfs: truncate (O_TRUNC) of an attribute is accepted and changes nothing. */
static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct node n = lookup(path);

	(void)size;
	(void)fi;
	if (n.kind == NODE_ATTR || n.kind == NODE_CONTROL)
		return 0;
	return n.kind == NODE_ROOT || n.kind == NODE_ENTRY ? -EISDIR : -ENOENT;
}

static int fs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	struct node n = lookup(path);

	(void)tv;
	(void)fi;
	return n.kind == NODE_NONE || n.kind == NODE_BAD_PARENT ? -ENOENT : 0;
}

static const struct fuse_operations fs_ops = {
	.init = fuse_tool_init_uncached,
	.getattr = fs_getattr,
	.readdir = fs_readdir,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.flush = fs_flush,
	.release = fs_release,
	.truncate = fs_truncate,
	.utimens = fs_utimens,
	.create = fuse_tool_refuse_create,
	.mknod = fuse_tool_refuse_mknod,
	.mkdir = fs_mkdir,
	.rmdir = fs_rmdir,
	.unlink = fuse_tool_refuse_path,
	.symlink = fuse_tool_refuse_link,
	.rename = fuse_tool_refuse_rename,
	.link = fuse_tool_refuse_link,
	.chmod = fuse_tool_refuse_chmod,
	.chown = fuse_tool_refuse_chown,
};

/* ---- main ----------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fake_configfs_tsm --sim-dir DIR [--rtmr-dir DIR] [--provider NAME]\n"
		"                         [--verbose] MOUNTPOINT\n"
		"       fake_configfs_tsm --client auto|configfs-tsm|sim [--configfs-dir DIR]\n"
		"                         [--runtime-dir DIR] --report-data HEX128 --out FILE\n");
}

struct options {
	const char *sim_dir;
	const char *rtmr_dir;
	const char *provider;
	const char *mountpoint;
	const char *client;	/* client mode: the provider kind */
	const char *configfs_dir;
	const char *runtime_dir;
	const char *report_data;
	const char *out;
};

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "sim-dir", required_argument, NULL, 's' },
		{ "rtmr-dir", required_argument, NULL, 'r' },
		{ "provider", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "client", required_argument, NULL, 'c' },
		{ "configfs-dir", required_argument, NULL, 'C' },
		{ "runtime-dir", required_argument, NULL, 'R' },
		{ "report-data", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->sim_dir = optarg;
			break;
		case 'r':
			o->rtmr_dir = optarg;
			break;
		case 'p':
			o->provider = optarg;
			break;
		case 'v':
			st.verbose = true;
			break;
		case 'c':
			o->client = optarg;
			break;
		case 'C':
			o->configfs_dir = optarg;
			break;
		case 'R':
			o->runtime_dir = optarg;
			break;
		case 'd':
			o->report_data = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (o->client)
		return optind == argc && o->report_data && o->out ? 0 : -1;
	if (optind != argc - 1 || !o->sim_dir || !*o->provider ||
	    strlen(o->provider) >= PROVIDER_MAX || strchr(o->provider, '\n'))
		return -1;
	o->mountpoint = argv[optind];
	return 0;
}

static int write_out(const char *path, const uint8_t *data, size_t len)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	return fd < 0 ? -errno : write_full(fd, data, len);
}

/* Client mode: one quote_get(). 0 ok, 1 quote_get failed, 2 usage or output error. */
static int run_client(const struct options *o)
{
	struct quote_provider_config cfg = {
		.configfs_dir = o->configfs_dir,
		.runtime_dir = o->runtime_dir,
	};
	struct quote_result res = { .quote = NULL };
	uint8_t rd[QUOTE_REPORT_DATA_SIZE];
	char err[1024];
	size_t n;
	int r;

	if (quote_provider_kind_parse(o->client, &cfg.kind) < 0 ||
	    hex_decode(o->report_data, strlen(o->report_data), rd, sizeof(rd), &n) < 0 ||
	    n != sizeof(rd)) {
		usage(stderr);
		return 2;
	}
	if (quote_get(&cfg, rd, &res, err, sizeof(err)) < 0) {
		fprintf(stderr, "fake_configfs_tsm: quote_get: %s\n", err);
		return 1;
	}
	r = write_out(o->out, res.quote, res.len);
	if (r < 0)
		fprintf(stderr, "fake_configfs_tsm: %s: %s\n", o->out, strerror(-r));
	else
		printf("provider=%s\nlen=%zu\n", res.provider, res.len);
	quote_result_free(&res);
	return r < 0 ? 2 : 0;
}

/* Mount, say "ready", serve until a signal, unmount. */
int main(int argc, char **argv)
{
	struct options o = { .provider = "tdx_guest" };
	char err[512];
	int rc;

	if (parse_options(argc, argv, &o) < 0) {
		usage(stderr);
		return 2;
	}
	if (o.client)
		return run_client(&o);
	st.provider = o.provider;
	st.rtmr_dir = o.rtmr_dir ? o.rtmr_dir : o.sim_dir;
	st.start = time(NULL);
	if (tdx_sim_ca_open(o.sim_dir, &st.ca, err, sizeof(err)) < 0) {
		fprintf(stderr, "fake_configfs_tsm: sim CA in %s: %s\n", o.sim_dir, err);
		return 1;
	}
	rc = fuse_tool_serve("fake_configfs_tsm", &fs_ops, sizeof(fs_ops), o.mountpoint);
	for (size_t i = 0; i < MAX_ENTRIES; i++)
		entry_free(&st.entries[i]);
	tdx_sim_ca_close(st.ca);
	return rc;
}
