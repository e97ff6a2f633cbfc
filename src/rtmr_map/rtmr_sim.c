// SPDX-License-Identifier: MIT
/*
 * sim backend: software registers in <runtime_dir>/sim/rtmr<N>:sha384, each file holding the
 * raw value. Extend re-reads the file (others may change it), computes H(old || digest) and
 * writes the result back in place. For development and tests only: it gives no security.
 */
#include "rtmr_map/rtmr_backend_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define SIM_NUM_RTMRS 4
#define SIM_HASH "sha384"

static int sim_path(const struct rtmr_backend *b, unsigned idx, char *path, size_t cap)
{
	int n = snprintf(path, cap, "%s/rtmr%u:%s", b->dir, idx, SIM_HASH);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Tests may replace a register file rather than rewrite it in place: follow the path. */
static int sim_follow(struct rtmr_backend *b, unsigned idx)
{
	struct stat now, cur;
	char path[PATH_MAX];
	int fd, r;

	r = sim_path(b, idx, path, sizeof(path));
	if (r < 0)
		return r;
	if (stat(path, &now) < 0 || fstat(b->reg[idx].fd, &cur) < 0)
		return -errno;
	if (now.st_dev == cur.st_dev && now.st_ino == cur.st_ino)
		return 0;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	close(b->reg[idx].fd);
	b->reg[idx].fd = fd;
	return 0;
}

/* A register file must hold exactly the value: nothing more, nothing less. */
static int sim_read_value(struct rtmr_backend *b, unsigned idx, uint8_t *val)
{
	size_t size = b->reg[idx].alg->size;
	uint8_t buf[HASH_MAX_SIZE + 1];
	ssize_t n;

	/* one pread of one byte more than the value tells a wrong size too */
	do {
		n = pread(b->reg[idx].fd, buf, size + 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != size)
		return -EIO;
	memcpy(val, buf, size);
	return 0;
}

static int sim_read(struct rtmr_backend *b, unsigned idx, uint8_t *val)
{
	int r = sim_follow(b, idx);

	return r < 0 ? r : sim_read_value(b, idx, val);
}

static int sim_extend_locked(struct rtmr_backend *b, unsigned idx, const uint8_t *digest)
{
	const struct hash_alg *alg = b->reg[idx].alg;
	uint8_t val[HASH_MAX_SIZE];
	int r;

	r = sim_read_value(b, idx, val);
	if (r < 0)
		return r;
	if (hash_extend(alg, val, digest, alg->size) < 0)
		return -EIO;
	return rtmr_reg_file_write(b, idx, val);
}

static int sim_extend(struct rtmr_backend *b, unsigned idx, const uint8_t *digest)
{
	int fd, r;

	r = sim_follow(b, idx);
	if (r < 0)
		return r;
	fd = b->reg[idx].fd;
	if (flock(fd, LOCK_EX) < 0)
		return -errno;
	r = sim_extend_locked(b, idx, digest);
	flock(fd, LOCK_UN);
	return r;
}

static const struct rtmr_backend_ops sim_ops = {
	.read = sim_read,
	.extend = sim_extend,
};

/* Open (creating as all-zero if absent) one register file. */
static int sim_open_reg(struct rtmr_backend *b, unsigned idx, char *err, size_t errlen)
{
	const struct hash_alg *alg = hash_alg_by_name(SIM_HASH);
	uint8_t zero[HASH_MAX_SIZE] = { 0 };
	char path[PATH_MAX];
	struct stat st;
	int r;

	r = sim_path(b, idx, path, sizeof(path));
	if (r < 0) {
		set_error(err, errlen, "sim register path too long under %s", b->dir);
		return r;
	}
	b->reg[idx].alg = alg;
	b->reg[idx].fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (b->reg[idx].fd < 0 || fstat(b->reg[idx].fd, &st) < 0) {
		r = -errno;
		set_error(err, errlen, "cannot open sim register %s: %s", path, strerror(-r));
		return r;
	}
	if (st.st_size == 0)
		r = rtmr_reg_file_write(b, idx, zero);
	else
		r = (size_t)st.st_size == alg->size ? 0 : -EIO;
	if (r < 0)
		set_error(err, errlen, "sim register %s: %s", path,
			     r == -EIO ? "not a raw " SIM_HASH " value" : strerror(-r));
	return r;
}

int rtmr_sim_open(const char *runtime_dir, struct rtmr_backend **out, char *err, size_t errlen)
{
	_cleanup_rtmr_backend_ struct rtmr_backend *b = rtmr_backend_alloc("sim", &sim_ops);
	int r;

	if (!b || asprintf(&b->dir, "%s/sim", runtime_dir) < 0) {
		if (b)
			b->dir = NULL;
		set_error(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = mkdir_p(b->dir, 0700);
	if (r < 0) {
		set_error(err, errlen, "cannot create %s: %s", b->dir, strerror(-r));
		return r;
	}
	for (unsigned i = 0; i < SIM_NUM_RTMRS; i++) {
		r = sim_open_reg(b, i, err, errlen);
		if (r < 0)
			return r;
	}
	log_warn("RTMR backend 'sim': software-only registers in %s give NO security; "
		 "for development and tests only",
		 b->dir);
	*out = TAKE_PTR(b);
	return 0;
}
