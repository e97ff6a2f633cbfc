// SPDX-License-Identifier: MIT
/*
 * tdx-sysfs backend: the Linux >= 6.16 tsm-mr measurement registers, one file per register
 * named "<mr>:<hash>" (rtmr<N>:sha384 on TDX; rem<N>:sha256|sha512 on ARM CCA). Reading the
 * file at offset 0 gives the value; one write of exactly the digest size at offset 0 extends.
 */
#include "rtmr_map/rtmr_backend_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

static const char *const reg_prefixes[] = { "rtmr", "rem" };

struct rtmr_sysfs {
	struct rtmr_backend base;
	int fd[RTMR_MAX]; /* the register files; -1 where absent */
};

static struct rtmr_sysfs *to_sysfs(struct rtmr_backend *b)
{
	return container_of(b, struct rtmr_sysfs, base);
}

static int sysfs_read(struct rtmr_backend *b, unsigned idx, uint8_t *val)
{
	return rtmr_reg_file_read(to_sysfs(b)->fd[idx], b->alg[idx]->size, val);
}

static int sysfs_extend(struct rtmr_backend *b, unsigned idx, const uint8_t *digest)
{
	return rtmr_reg_file_write(to_sysfs(b)->fd[idx], b->alg[idx]->size, digest);
}

static void sysfs_close(struct rtmr_backend *b)
{
	struct rtmr_sysfs *s = to_sysfs(b);

	for (unsigned i = 0; i < RTMR_MAX; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	free(s);
}

static const struct rtmr_backend_ops sysfs_ops = {
	.read = sysfs_read,
	.extend = sysfs_extend,
	.close = sysfs_close,
};

static struct rtmr_sysfs *sysfs_alloc(void)
{
	struct rtmr_sysfs *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	rtmr_backend_init(&s->base, "tdx-sysfs", &sysfs_ops);
	for (unsigned i = 0; i < RTMR_MAX; i++)
		s->fd[i] = -1;
	return s;
}

/* Index digits: "0".."7", no sign, no leading zero. */
static int parse_reg_index(const char *s, size_t len, unsigned *idx)
{
	unsigned long v = 0;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*idx = (unsigned)v;
	return 0;
}

/*
 * "rtmr<N>:<hash>" or "rem<N>:<hash>": 1 = a usable register, 0 = not a register file
 * (mrtd:sha384, mrconfigid, ...), -1 = register-like but unusable (index or hash unknown).
 */
static int parse_reg_name(const char *name, unsigned *idx, const struct hash_alg **alg)
{
	const char *num = NULL, *colon;

	for (size_t i = 0; i < ARRAY_SIZE(reg_prefixes); i++) {
		size_t n = strlen(reg_prefixes[i]);

		if (strncmp(name, reg_prefixes[i], n) == 0)
			num = name + n;
	}
	colon = num ? strchr(num, ':') : NULL;
	if (!colon || parse_reg_index(num, (size_t)(colon - num), idx) < 0)
		return 0;
	*alg = hash_alg_by_name(colon + 1);
	if (*idx >= RTMR_MAX || !*alg)
		return -1;
	return 1;
}

static int add_reg(struct rtmr_sysfs *s, int dfd, const char *dir, const char *name,
		   char *err, size_t errlen)
{
	const struct hash_alg *alg;
	unsigned idx;
	int r = parse_reg_name(name, &idx, &alg);
	int fd;

	if (r == 0)
		return 0;
	if (r < 0) {
		log_warn("ignoring %s/%s: register index or hash not supported", dir, name);
		return 0;
	}
	if (s->base.alg[idx]) {
		set_error(err, errlen,
			     "%s: two files for measurement register %u (%s and another)", dir,
			     idx, name);
		return -EEXIST;
	}
	fd = openat(dfd, name, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		set_error(err, errlen, "cannot open %s/%s: %s", dir, name, strerror(-r));
		return r;
	}
	s->fd[idx] = fd;
	s->base.alg[idx] = alg;
	return 0;
}

static int scan_dir(struct rtmr_sysfs *s, DIR *d, const char *dir, char *err, size_t errlen)
{
	struct dirent *de;
	bool any = false;
	int r;

	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		r = add_reg(s, dirfd(d), dir, de->d_name, err, errlen);
		if (r < 0)
			return r;
	}
	if (errno) {
		r = -errno;
		set_error(err, errlen, "cannot read %s: %s", dir, strerror(-r));
		return r;
	}
	for (unsigned i = 0; i < RTMR_MAX; i++)
		any |= s->base.alg[i] != NULL;
	if (!any) {
		set_error(err, errlen,
			     "no measurement registers (rtmr<N>:<hash> or rem<N>:<hash>) in %s",
			     dir);
		return -ENOENT;
	}
	return 0;
}

int rtmr_tdx_sysfs_open(const char *dir, struct rtmr_backend **out, char *err, size_t errlen)
{
	_cleanup_rtmr_backend_ struct rtmr_backend *b = NULL;
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct rtmr_sysfs *s;
	int r;

	if (!d) {
		r = -errno;
		if (r == -ENOENT || r == -ENOTDIR)
			set_error(err, errlen,
				     "no TDX measurement registers at %s (needs Linux >= 6.16 with "
				     "tdx_guest)",
				     dir);
		else
			set_error(err, errlen, "cannot open %s: %s", dir, strerror(-r));
		return r;
	}
	s = sysfs_alloc();
	if (!s) {
		set_error(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b = &s->base;
	r = scan_dir(s, d, dir, err, errlen);
	if (r < 0)
		return r;
	*out = TAKE_PTR(b);
	return 0;
}
