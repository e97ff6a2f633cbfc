// SPDX-License-Identifier: MIT
/*
 * sim backend: software registers in <runtime_dir>/sim/rtmr<N>:sha384, each file holding the
 * raw value. For development and tests only: it gives no security.
 *
 * Each register file is mapped shared into memory, so reading and extending a register costs
 * no system call, while everybody else keeps seeing (and may change) the file: a write of the
 * 48 bytes at offset 0 by another process is what the next read or extend sees, as with the
 * sysfs files. A register file truncated under the running daemon faults on access (SIGBUS);
 * that access is guarded and fails with -EIO, so the mirror fails closed instead of the daemon
 * crashing. A file replaced (renamed over) while the daemon runs is not followed: the daemon
 * keeps the register it opened until it is restarted.
 */
#include "rtmr_map/rtmr_backend_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/runtime_dir.h"
#include "common/safe_fs.h"
#include "common/util.h"

#define SIM_NUM_RTMRS 4

struct rtmr_sim {
	struct rtmr_backend base;
	char *dir;                 /* <runtime-dir>/sim */
	int dfd;                   /* the directory, opened safely (safe_fs.h) */
	int fd[SIM_NUM_RTMRS];     /* the register files */
	uint8_t *map[SIM_NUM_RTMRS]; /* each mapped shared, base.alg[i]->size bytes */
};

static struct rtmr_sim *to_sim(struct rtmr_backend *b)
{
	return container_of(b, struct rtmr_sim, base);
}

/* The access in progress on this thread, if any: where a SIGBUS on a mapping returns to. */
static __thread sigjmp_buf *sim_guard;

static void sim_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (sim_guard)
		siglongjmp(*sim_guard, 1);
	signal(sig, SIG_DFL); /* not a register access: fault again, as without this handler */
}

static int sim_install_sigbus_guard(void)
{
	struct sigaction sa = {
		.sa_sigaction = sim_sigbus,
		/* not deferred: the jump out of the handler must leave SIGBUS unblocked */
		.sa_flags = SA_SIGINFO | SA_NODEFER,
	};

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) < 0 ? -errno : 0;
}

/* Copy to or from a register mapping; -EIO if the file was truncated underneath. */
static int sim_copy(void *dst, const void *src, size_t n)
{
	sigjmp_buf env;

	if (sigsetjmp(env, 0)) {
		sim_guard = NULL;
		return -EIO;
	}
	sim_guard = &env;
	atomic_signal_fence(memory_order_seq_cst);
	memcpy(dst, src, n);
	atomic_signal_fence(memory_order_seq_cst);
	sim_guard = NULL;
	return 0;
}

static int sim_read(struct rtmr_backend *b, unsigned idx, uint8_t *val)
{
	return sim_copy(val, to_sim(b)->map[idx], b->alg[idx]->size);
}

static int sim_extend(struct rtmr_backend *b, unsigned idx, const uint8_t *digest)
{
	const struct hash_alg *alg = b->alg[idx];
	uint8_t val[HASH_MAX_SIZE];
	int r;

	r = sim_read(b, idx, val);
	if (r < 0)
		return r;
	if (hash_extend(alg, val, digest, alg->size) < 0)
		return -EIO;
	return sim_copy(to_sim(b)->map[idx], val, alg->size);
}

/* The mirror knows the new value: store it unless someone changed the register meanwhile. */
static int sim_extend_known(struct rtmr_backend *b, unsigned idx, const uint8_t *digest,
			    const uint8_t *old, const uint8_t *new)
{
	size_t size = b->alg[idx]->size;
	uint8_t cur[HASH_MAX_SIZE];
	int r;

	r = sim_read(b, idx, cur);
	if (r < 0)
		return r;
	if (memcmp(cur, old, size) != 0)
		return sim_extend(b, idx, digest);
	return sim_copy(to_sim(b)->map[idx], new, size);
}

static void sim_close(struct rtmr_backend *b)
{
	struct rtmr_sim *s = to_sim(b);

	for (unsigned i = 0; i < SIM_NUM_RTMRS; i++) {
		if (s->map[i])
			munmap(s->map[i], b->alg[i]->size);
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	}
	if (s->dfd >= 0)
		close(s->dfd);
	free(s->dir);
	free(s);
}

static const struct rtmr_backend_ops sim_ops = {
	.read = sim_read,
	.extend = sim_extend,
	.extend_known = sim_extend_known,
	.close = sim_close,
};

/* <dir>/rtmr<N>:sha384 */
static int sim_path(const char *dir, unsigned idx, char *path, size_t cap)
{
	char name[RUNTIME_NAME_MAX];
	int n = snprintf(path, cap, "%s/%s", dir, runtime_sim_reg_name(idx, name));

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* A register file holds exactly the value: create it all-zero, else check its size. */
static int sim_check_size(struct rtmr_sim *s, unsigned idx, bool read_only)
{
	uint8_t zero[HASH_MAX_SIZE] = { 0 };
	size_t size = s->base.alg[idx]->size;
	struct stat st;

	if (fstat(s->fd[idx], &st) < 0)
		return -errno;
	if (st.st_size == 0 && !read_only)
		return rtmr_reg_file_write(s->fd[idx], size, zero);
	return (size_t)st.st_size == size ? 0 : -EBADMSG;
}

/* Open (creating as all-zero if absent, unless read_only) and map one register file. */
static int sim_open_reg(struct rtmr_sim *s, unsigned idx, bool read_only, char *err,
			size_t errlen)
{
	const struct hash_alg *alg = hash_alg_by_name(RUNTIME_SIM_HASH);
	char path[PATH_MAX];
	void *map;
	int r;

	r = sim_path(s->dir, idx, path, sizeof(path));
	if (r < 0) {
		set_error(err, errlen, "sim register path too long under %s", s->dir);
		return r;
	}
	s->base.alg[idx] = alg;
	s->fd[idx] = safe_openat(s->dfd, path + strlen(s->dir) + 1,
				 read_only ? O_RDONLY : O_RDWR | O_CREAT, 0600);
	r = s->fd[idx] < 0 ? s->fd[idx] : sim_check_size(s, idx, read_only);
	if (r < 0) {
		set_error(err, errlen, "sim register %s: %s", path,
			  r == -EBADMSG ? "not a raw " RUNTIME_SIM_HASH " value"
					: safe_fs_strerror(r));
		return r;
	}
	map = mmap(NULL, alg->size, read_only ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED,
		   s->fd[idx], 0);
	if (map == MAP_FAILED) {
		r = -errno;
		set_error(err, errlen, "cannot map sim register %s: %s", path, strerror(-r));
		return r;
	}
	s->map[idx] = map;
	return 0;
}

static struct rtmr_sim *sim_alloc(const char *runtime_dir)
{
	struct rtmr_sim *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	rtmr_backend_init(&s->base, "sim", &sim_ops);
	for (unsigned i = 0; i < SIM_NUM_RTMRS; i++)
		s->fd[i] = -1;
	s->dfd = -1;
	s->dir = runtime_path(runtime_dir, RUNTIME_SIM_DIR);
	if (!s->dir) {
		free(s);
		return NULL;
	}
	return s;
}

int rtmr_sim_open(const char *runtime_dir, bool read_only, struct rtmr_backend **out, char *err,
		  size_t errlen)
{
	_cleanup_rtmr_backend_ struct rtmr_backend *b = NULL;
	struct rtmr_sim *s = sim_alloc(runtime_dir);
	int r;

	if (!s) {
		set_error(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b = &s->base;
	/* a reader (vtpm-rtmr log verify) neither makes nor takes the daemon's directory */
	s->dfd = safe_dir_open(s->dir, "sim register directory",
			       read_only ? SAFE_DIR_READ : SAFE_DIR_CREATE | SAFE_DIR_KEEP, 0700, err,
			       errlen);
	if (s->dfd < 0)
		return -EPERM;
	for (unsigned i = 0; i < SIM_NUM_RTMRS; i++) {
		r = sim_open_reg(s, i, read_only, err, errlen);
		if (r < 0)
			return r;
	}
	r = sim_install_sigbus_guard();
	if (r < 0) {
		set_error(err, errlen, "cannot install the SIGBUS handler: %s", strerror(-r));
		return r;
	}
	log_warn("RTMR backend 'sim': software-only registers in %s give NO security; "
		 "for development and tests only",
		 s->dir);
	*out = TAKE_PTR(b);
	return 0;
}

int rtmr_sim_read_file(const char *runtime_dir, unsigned idx, uint8_t *val, char *err,
		       size_t errlen)
{
	_cleanup_free_ char *dir = runtime_path(runtime_dir, RUNTIME_SIM_DIR);
	size_t size = hash_alg_by_name(RUNTIME_SIM_HASH)->size;
	_cleanup_close_ int dfd = -1, fd = -1;
	char path[PATH_MAX];
	struct stat st;
	int r;

	if (!dir || idx >= SIM_NUM_RTMRS || sim_path(dir, idx, path, sizeof(path)) < 0)
		return set_error(err, errlen, "no sim register %u under %s", idx, runtime_dir);
	dfd = safe_dir_open(dir, "sim register directory", SAFE_DIR_READ, 0, err, errlen);
	if (dfd < 0)
		return -1;
	fd = safe_openat(dfd, path + strlen(dir) + 1, O_RDONLY, 0);
	if (fd < 0)
		return set_error(err, errlen, "sim register %s: %s", path, safe_fs_strerror(fd));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != size)
		return set_error(err, errlen, "sim register %s: not a raw %zu-byte " RUNTIME_SIM_HASH
				 " value", path, size);
	r = rtmr_reg_file_read(fd, size, val);
	if (r < 0)
		return set_error(err, errlen, "sim register %s: %s", path, strerror(-r));
	return 0;
}
