// SPDX-License-Identifier: MIT
/*
 * fake_tsm_mr: a host-side emulation of the Linux >= 6.16 tsm-mr measurement files
 * (/sys/class/misc/tdx_guest/measurements/rtmr<N>:sha384 and friends), on FUSE.
 *
 *   fake_tsm_mr [--registers N] [--hash sha384|sha256|sha512] [--prefix rtmr|rem]
 *               [--verbose] MOUNTPOINT
 *
 * Runs in the foreground, single-threaded; prints "ready" on stdout once mounted; unmounts on
 * SIGTERM/SIGINT/SIGHUP. The register files behave like the kernel's sysfs bin attributes
 * (fs/sysfs/file.c) in front of tsm-mr (drivers/virt/coco/guest/tsm-mr.c):
 *   read:  offset >= size -> EOF; otherwise the register value, clamped to size.
 *   write: offset >= size -> EFBIG; count is clamped to size - offset; count 0 -> 0;
 *          then offset != 0 or count != size -> EINVAL; otherwise
 *          value = H(value || the size bytes written) and the write returns size.
 *          (So a longer write at offset 0 extends with its first size bytes and is short.)
 *   truncate, O_TRUNC: accepted, no effect (as on sysfs), so "cat f > reg" works.
 *
 * Fault injection through the control file ".control" at the mount root (one or more
 * commands per write, one per line):
 *   fail-next-write [ERRNO]        the next well-formed register write fails with ERRNO
 *   fail-writes-from K [ERRNO]     every well-formed register write from the K-th on fails
 *   fail-random PERMILLE SEED      each well-formed write fails (EIO) with PERMILLE/1000 odds
 *   short-writes N                 the next N well-formed writes return one byte short and
 *                                  extend nothing (a broken device)
 *   delay-ms N                     every register write takes N ms more (a slow device)
 *   clear                          disarm both
 * ERRNO is one of EIO (default), ENOSPC, EBUSY, EINVAL. Only writes that pass the kernel's
 * own checks (offset 0, full size) count and can be failed; a failed one leaves the value
 * unchanged. Reading .control gives key=value lines: extends, writes, injected,
 * fail_next_write, fail_writes_from, fail_writes_errno.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fuse.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/hash_alg.h"
#include "common/util.h"
#include "fuse_tool.h"

#define MAX_REGISTERS 64
#define NAME_LEN 48
#define CONTROL_NAME ".control"
#define CONTROL_MAX 1024

struct reg {
	char name[NAME_LEN];
	uint8_t value[HASH_MAX_SIZE];
};

struct fault {
	int next_errno;		/* 0: not armed */
	unsigned long from;	/* 0: not armed; else fail the from-th write and later */
	int from_errno;
	unsigned long random_permille;
	unsigned int random_seed;
	unsigned long short_writes;
	unsigned long delay_ms;
};

static struct {
	const struct hash_alg *alg;
	unsigned int nregs;
	struct reg regs[MAX_REGISTERS];
	bool verbose;
	time_t start;
	unsigned long extends;	/* successful extends */
	unsigned long writes;	/* well-formed register writes, failed ones included */
	unsigned long injected;	/* writes failed by fault injection */
	struct fault fault;
} st;

static const struct {
	const char *name;
	int err;
} errnos[] = {
	{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EBUSY", EBUSY }, { "EINVAL", EINVAL },
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

enum node_kind { NODE_NONE, NODE_ROOT, NODE_REG, NODE_CONTROL };

static enum node_kind lookup(const char *path, struct reg **reg)
{
	if (!strcmp(path, "/"))
		return NODE_ROOT;
	if (path[0] != '/')
		return NODE_NONE;
	if (!strcmp(path + 1, CONTROL_NAME))
		return NODE_CONTROL;
	for (unsigned int i = 0; i < st.nregs; i++) {
		if (!strcmp(path + 1, st.regs[i].name)) {
			if (reg)
				*reg = &st.regs[i];
			return NODE_REG;
		}
	}
	return NODE_NONE;
}

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

static int control_text(char *buf, size_t cap)
{
	char from[24] = "none";
	int n;

	if (st.fault.from)
		snprintf(from, sizeof(from), "%lu", st.fault.from);
	n = snprintf(buf, cap,
		     "extends=%lu\nwrites=%lu\ninjected=%lu\nfail_next_write=%s\n"
		     "fail_writes_from=%s\nfail_writes_errno=%s\n",
		     st.extends, st.writes, st.injected, errno_name(st.fault.next_errno), from,
		     st.fault.from ? errno_name(st.fault.from_errno) : "none");
	if (n < 0)
		return 0;
	return (size_t)n >= cap ? (int)cap - 1 : n;
}

static void log_hex(const char *what, const uint8_t *data, size_t len)
{
	char hex[2 * HASH_MAX_SIZE + 1];

	hex_encode(data, len, hex);
	fprintf(stderr, " %s=%s", what, hex);
}

static void log_extend(const struct reg *r, const uint8_t *data)
{
	if (!st.verbose)
		return;
	fprintf(stderr, "fake_tsm_mr: extend #%lu %s", st.extends, r->name);
	log_hex("data", data, st.alg->size);
	log_hex("new", r->value, st.alg->size);
	fputc('\n', stderr);
}

/* The errno the current (well-formed) write must fail with, or 0; consumes fail-next-write. */
static int fault_for_write(unsigned long nth)
{
	int err = 0;

	if (st.fault.next_errno) {
		err = st.fault.next_errno;
		st.fault.next_errno = 0;
	} else if (st.fault.from && nth >= st.fault.from) {
		err = st.fault.from_errno;
	} else if (st.fault.random_permille &&
		   (unsigned long)(rand_r(&st.fault.random_seed) % 1000) <
			   st.fault.random_permille) {
		err = EIO;
	}
	return err;
}

static int reg_extend(struct reg *r, const uint8_t *data)
{
	int err = fault_for_write(++st.writes);

	if (err) {
		st.injected++;
		if (st.verbose)
			fprintf(stderr, "fake_tsm_mr: write #%lu to %s failed by injection: %s\n",
				st.writes, r->name, errno_name(err));
		return -err;
	}
	if (hash_extend(st.alg, r->value, data, st.alg->size) < 0) {
		fprintf(stderr, "fake_tsm_mr: hash_extend(%s) failed\n", st.alg->name);
		return -EIO;
	}
	st.extends++;
	log_extend(r, data);
	return 0;
}

/* sysfs_kf_bin_write + tm_digest_write semantics. */
static int reg_write(struct reg *r, const char *buf, size_t size, off_t off)
{
	size_t len = st.alg->size;
	int rc;

	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= len)
		return -EFBIG;
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	if (size == 0)
		return 0;
	if (off != 0 || size != len)
		return -EINVAL;
	if (st.fault.delay_ms)
		usleep((useconds_t)(st.fault.delay_ms * 1000));
	if (st.fault.short_writes) {
		st.fault.short_writes--;
		st.injected++;
		return (int)size - 1;
	}
	rc = reg_extend(r, (const uint8_t *)buf);
	return rc < 0 ? rc : (int)size;
}

struct control_cmd {
	enum { CMD_NEXT, CMD_FROM, CMD_CLEAR, CMD_RANDOM, CMD_SHORT, CMD_DELAY } op;
	unsigned long from;
	unsigned long seed;
	int err;
};

static int parse_errno_arg(const char *tok, int *err)
{
	if (!tok) {
		*err = EIO;
		return 0;
	}
	*err = errno_by_name(tok);
	return *err ? 0 : -1;
}

/* Parse one whitespace-separated command line (modified in place). 1 = command, 0 = blank. */
static int parse_control_line(char *line, struct control_cmd *cmd)
{
	char *save = NULL;
	char *verb = strtok_r(line, " \t\r", &save);
	char *arg1 = verb ? strtok_r(NULL, " \t\r", &save) : NULL;
	char *arg2 = arg1 ? strtok_r(NULL, " \t\r", &save) : NULL;

	if (!verb)
		return 0;
	if (arg2 && strtok_r(NULL, " \t\r", &save))
		return -1;
	if (!strcmp(verb, "clear") && !arg1) {
		cmd->op = CMD_CLEAR;
		return 1;
	}
	if (!strcmp(verb, "fail-next-write") && !arg2) {
		cmd->op = CMD_NEXT;
		return parse_errno_arg(arg1, &cmd->err) < 0 ? -1 : 1;
	}
	if (!strcmp(verb, "fail-random") && arg2) {
		cmd->op = CMD_RANDOM;
		return parse_uint(arg1, 0, 1000, &cmd->from) < 0 ||
		       parse_uint(arg2, 0, UINT32_MAX, &cmd->seed) < 0 ? -1 : 1;
	}
	if ((!strcmp(verb, "short-writes") || !strcmp(verb, "delay-ms")) && arg1 && !arg2) {
		cmd->op = verb[0] == 's' ? CMD_SHORT : CMD_DELAY;
		return parse_uint(arg1, 0, 100000, &cmd->from) < 0 ? -1 : 1;
	}
	if (!strcmp(verb, "fail-writes-from") && arg1) {
		cmd->op = CMD_FROM;
		if (parse_uint(arg1, 1, ULONG_MAX, &cmd->from) < 0)
			return -1;
		return parse_errno_arg(arg2, &cmd->err) < 0 ? -1 : 1;
	}
	return -1;
}

static void apply_control_cmd(const struct control_cmd *cmd)
{
	switch (cmd->op) {
	case CMD_CLEAR:
		memset(&st.fault, 0, sizeof(st.fault));
		break;
	case CMD_NEXT:
		st.fault.next_errno = cmd->err;
		break;
	case CMD_FROM:
		st.fault.from = cmd->from;
		st.fault.from_errno = cmd->err;
		break;
	case CMD_RANDOM:
		st.fault.random_permille = cmd->from;
		st.fault.random_seed = (unsigned int)cmd->seed;
		break;
	case CMD_SHORT:
		st.fault.short_writes = cmd->from;
		break;
	case CMD_DELAY:
		st.fault.delay_ms = cmd->from;
		break;
	}
	if (st.verbose)
		fprintf(stderr, "fake_tsm_mr: control: next=%s from=%lu/%s\n",
			errno_name(st.fault.next_errno), st.fault.from,
			errno_name(st.fault.from_errno));
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
		n += r;
	}
	for (size_t i = 0; i < n; i++)
		apply_control_cmd(&cmds[i]);
	return (int)size;
}

static void fill_stat(struct stat *s, mode_t mode, off_t size, nlink_t nlink)
{
	memset(s, 0, sizeof(*s));
	s->st_mode = mode;
	s->st_nlink = nlink;
	s->st_size = size;
	s->st_uid = getuid();
	s->st_gid = getgid();
	s->st_atime = s->st_mtime = s->st_ctime = st.start;
}

static int fs_getattr(const char *path, struct stat *s, struct fuse_file_info *fi)
{
	(void)fi;
	switch (lookup(path, NULL)) {
	case NODE_ROOT:
		fill_stat(s, S_IFDIR | 0755, 0, 2);
		return 0;
	case NODE_REG:
		fill_stat(s, S_IFREG | 0600, (off_t)st.alg->size, 1);
		return 0;
	case NODE_CONTROL:
		fill_stat(s, S_IFREG | 0600, 0, 1);
		return 0;
	default:
		return -ENOENT;
	}
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (lookup(path, NULL) != NODE_ROOT)
		return -ENOTDIR;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	for (unsigned int i = 0; i < st.nregs; i++)
		fill(buf, st.regs[i].name, NULL, 0, 0);
	fill(buf, CONTROL_NAME, NULL, 0, 0);
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	switch (lookup(path, NULL)) {
	case NODE_REG:
	case NODE_CONTROL:
		fi->direct_io = 1;	/* every read and write reaches us, unchanged */
		fi->keep_cache = 0;
		return 0;
	case NODE_ROOT:
		return -EISDIR;
	default:
		return -ENOENT;
	}
}

static int fs_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	char text[512];
	struct reg *r;

	(void)fi;
	switch (lookup(path, &r)) {
	case NODE_REG:
		return read_slice(r->value, st.alg->size, buf, size, off);
	case NODE_CONTROL:
		return read_slice(text, (size_t)control_text(text, sizeof(text)), buf, size, off);
	case NODE_ROOT:
		return -EISDIR;
	default:
		return -ENOENT;
	}
}

static int fs_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct reg *r;

	(void)fi;
	switch (lookup(path, &r)) {
	case NODE_REG:
		return reg_write(r, buf, size, off);
	case NODE_CONTROL:
		return control_write(buf, size);
	case NODE_ROOT:
		return -EISDIR;
	default:
		return -ENOENT;
	}
}

/* As on sysfs: truncate (and O_TRUNC) is accepted and changes nothing. */
static int fs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	(void)size;
	(void)fi;
	switch (lookup(path, NULL)) {
	case NODE_REG:
	case NODE_CONTROL:
		return 0;
	case NODE_ROOT:
		return -EISDIR;
	default:
		return -ENOENT;
	}
}

static int fs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)tv;
	(void)fi;
	return lookup(path, NULL) == NODE_NONE ? -ENOENT : 0;
}

static const struct fuse_operations fs_ops = {
	.init = fuse_tool_init_uncached,
	.getattr = fs_getattr,
	.readdir = fs_readdir,
	.open = fs_open,
	.read = fs_read,
	.write = fs_write,
	.truncate = fs_truncate,
	.utimens = fs_utimens,
	.create = fuse_tool_refuse_create,
	.mknod = fuse_tool_refuse_mknod,
	.mkdir = fuse_tool_refuse_mkdir,
	.rmdir = fuse_tool_refuse_path,
	.unlink = fuse_tool_refuse_path,
	.symlink = fuse_tool_refuse_link,
	.rename = fuse_tool_refuse_rename,
	.link = fuse_tool_refuse_link,
	.chmod = fuse_tool_refuse_chmod,
	.chown = fuse_tool_refuse_chown,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: fake_tsm_mr [--registers N] [--hash sha384|sha256|sha512]\n"
		   "                   [--prefix rtmr|rem] [--verbose] MOUNTPOINT\n");
}

struct options {
	unsigned long nregs;
	const char *hash;
	const char *prefix;
	const char *mountpoint;
};

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "registers", required_argument, NULL, 'n' },
		{ "hash", required_argument, NULL, 'H' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+n:H:p:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_uint(optarg, 1, MAX_REGISTERS, &o->nregs) < 0)
				return -1;
			break;
		case 'H':
			o->hash = optarg;
			break;
		case 'p':
			o->prefix = optarg;
			break;
		case 'v':
			st.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc - 1)
		return -1;
	o->mountpoint = argv[optind];
	return 0;
}

static int setup_registers(const struct options *o)
{
	if (strcmp(o->hash, "sha256") && strcmp(o->hash, "sha384") && strcmp(o->hash, "sha512"))
		return -1;
	if (strcmp(o->prefix, "rtmr") && strcmp(o->prefix, "rem"))
		return -1;
	st.alg = hash_alg_by_name(o->hash);
	if (!st.alg)
		return -1;
	st.nregs = (unsigned int)o->nregs;
	for (unsigned int i = 0; i < st.nregs; i++)
		snprintf(st.regs[i].name, NAME_LEN, "%s%u:%s", o->prefix, i, st.alg->name);
	st.start = time(NULL);
	return 0;
}

/* Mount, say "ready", serve until a signal, unmount. */
int main(int argc, char **argv)
{
	struct options o = { .nregs = 4, .hash = "sha384", .prefix = "rtmr" };

	if (parse_options(argc, argv, &o) < 0 || setup_registers(&o) < 0) {
		usage(stderr);
		return 2;
	}
	return fuse_tool_serve("fake_tsm_mr", &fs_ops, sizeof(fs_ops), o.mountpoint);
}
