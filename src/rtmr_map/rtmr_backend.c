// SPDX-License-Identifier: MIT
/* RTMR backend core: kind names, open (incl. auto), dispatch through the ops, close, and the
 * register-file I/O the file-based backends share. */
#include "rtmr_map/rtmr_backend_priv.h"
#include "common/runtime_dir.h"
#include "common/string_table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const rtmr_backend_kind_table[] = {
	[RTMR_BACKEND_AUTO] = "auto",
	[RTMR_BACKEND_TDX_SYSFS] = "tdx-sysfs",
	[RTMR_BACKEND_TDX_IOCTL] = "tdx-ioctl",
	[RTMR_BACKEND_SIM] = "sim",
};

DEFINE_STRING_TABLE_LOOKUP(rtmr_backend_kind, enum rtmr_backend_kind)

void rtmr_backend_init(struct rtmr_backend *b, const char *name,
		       const struct rtmr_backend_ops *ops)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->ops = ops;
}

void rtmr_backend_close(struct rtmr_backend *b)
{
	if (b)
		b->ops->close(b);
}

int rtmr_reg_file_read(int fd, size_t size, uint8_t *val)
{
	ssize_t n;

	do
		n = pread(fd, val, size, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == size ? 0 : -EIO;
}

int rtmr_reg_file_write(int fd, size_t size, const uint8_t *val)
{
	ssize_t n;

	do
		n = pwrite(fd, val, size, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == size ? 0 : -EIO;
}

/* True only when the path certainly does not exist (other stat errors: let open report). */
static bool path_absent(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 && (errno == ENOENT || errno == ENOTDIR);
}

static int open_auto(const char *dir, const char *dev, struct rtmr_backend **out, char *err,
		     size_t errlen)
{
	if (!path_absent(dir))
		return rtmr_tdx_sysfs_open(dir, out, err, errlen);
	if (!path_absent(dev))
		return rtmr_tdx_ioctl_open(dev, out, err, errlen);
	set_error(err, errlen,
		     "no RTMR backend found: neither %s nor %s exists (not a TDX guest, or a "
		     "kernel without tdx_guest); the software-only 'sim' backend gives no "
		     "security and must be named explicitly (--rtmr-backend sim)",
		     dir, dev);
	return -ENODEV;
}

int rtmr_backend_open(const struct rtmr_backend_config *cfg, struct rtmr_backend **out,
		      char *err, size_t errlen)
{
	const char *dir = cfg->rtmr_dir ? cfg->rtmr_dir : RTMR_DEFAULT_SYSFS_DIR;
	const char *dev = cfg->tdx_guest_dev ? cfg->tdx_guest_dev : RTMR_DEFAULT_TDX_GUEST_DEV;
	const char *run = cfg->runtime_dir ? cfg->runtime_dir : RUNTIME_DIR_DEFAULT;

	*out = NULL;
	switch (cfg->kind) {
	case RTMR_BACKEND_AUTO:
		return open_auto(dir, dev, out, err, errlen);
	case RTMR_BACKEND_TDX_SYSFS:
		return rtmr_tdx_sysfs_open(dir, out, err, errlen);
	case RTMR_BACKEND_TDX_IOCTL:
		return rtmr_tdx_ioctl_open(dev, out, err, errlen);
	case RTMR_BACKEND_SIM:
		return rtmr_sim_open(run, cfg->read_only, out, err, errlen);
	}
	set_error(err, errlen, "unknown RTMR backend kind %d", (int)cfg->kind);
	return -EINVAL;
}

const char *rtmr_backend_name(const struct rtmr_backend *b)
{
	return b->name;
}

const struct hash_alg *rtmr_backend_alg(const struct rtmr_backend *b, unsigned idx)
{
	return idx < RTMR_MAX ? b->alg[idx] : NULL;
}

bool rtmr_backend_has(const struct rtmr_backend *b, unsigned idx)
{
	return rtmr_backend_alg(b, idx) != NULL;
}

int rtmr_backend_read(struct rtmr_backend *b, unsigned idx, uint8_t *val)
{
	if (!rtmr_backend_has(b, idx))
		return -ENOENT;
	return b->ops->read(b, idx, val);
}

int rtmr_backend_extend(struct rtmr_backend *b, unsigned idx, const uint8_t *digest)
{
	if (!rtmr_backend_has(b, idx))
		return -ENOENT;
	return b->ops->extend(b, idx, digest);
}

int rtmr_backend_extend_known(struct rtmr_backend *b, unsigned idx, const uint8_t *digest,
			      const uint8_t *old, const uint8_t *new)
{
	if (!rtmr_backend_has(b, idx))
		return -ENOENT;
	if (!b->ops->extend_known)
		return b->ops->extend(b, idx, digest);
	return b->ops->extend_known(b, idx, digest, old, new);
}
