// SPDX-License-Identifier: MIT
/*
 * tdx-ioctl backend: older downstream kernels whose /dev/tdx_guest has TDX_CMD_EXTEND_RTMR.
 * Extend = the ioctl (trying the _IOW encoding, then the older _IOR one); read = RTMR field of
 * a fresh TDREPORT (TDX_CMD_GET_REPORT0). Four registers, SHA-384.
 */
#include "rtmr_map/rtmr_backend_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

_Static_assert(sizeof(struct rtmr_tdx_extend_req) == 49, "tdx_extend_rtmr_req is 49 bytes");
_Static_assert(sizeof(struct rtmr_tdx_report_req) == 1088, "tdx_report_req is 1088 bytes");

void rtmr_tdx_encode_extend(struct rtmr_tdx_extend_req *req, unsigned idx, const uint8_t *digest)
{
	memset(req, 0, sizeof(*req));
	memcpy(req->data, digest, sizeof(req->data));
	req->index = (uint8_t)idx;
}

int rtmr_tdx_report_rtmr(const uint8_t *tdreport, size_t len, unsigned idx, uint8_t *out)
{
	size_t off = RTMR_TDX_REPORT_RTMR0_OFFSET + (size_t)idx * RTMR_TDX_DATA_LEN;

	if (idx >= RTMR_TDX_NUM_RTMRS || len < RTMR_TDX_REPORT_LEN)
		return -EINVAL;
	memcpy(out, tdreport + off, RTMR_TDX_DATA_LEN);
	return 0;
}

static bool extend_cmd_unsupported(int r)
{
	return r == -ENOTTY || r == -EINVAL;
}

int rtmr_tdx_extend_with(rtmr_ioctl_fn ioctl_fn, int fd, unsigned long *cmd, unsigned idx,
			 const uint8_t *digest)
{
	struct rtmr_tdx_extend_req req;
	int r, r_old;

	if (idx >= RTMR_TDX_NUM_RTMRS)
		return -EINVAL;
	rtmr_tdx_encode_extend(&req, idx, digest);
	if (*cmd)
		return ioctl_fn(fd, *cmd, &req);
	r = ioctl_fn(fd, RTMR_TDX_CMD_EXTEND_RTMR, &req);
	if (r == 0)
		*cmd = RTMR_TDX_CMD_EXTEND_RTMR;
	if (!extend_cmd_unsupported(r))
		return r;
	r_old = ioctl_fn(fd, RTMR_TDX_CMD_EXTEND_RTMR_OLD, &req);
	if (r_old == 0)
		*cmd = RTMR_TDX_CMD_EXTEND_RTMR_OLD;
	/* The older encoding unknown too: report the error of the current one. */
	return r_old == -ENOTTY ? r : r_old;
}

int rtmr_tdx_read_with(rtmr_ioctl_fn ioctl_fn, int fd, unsigned idx, uint8_t *val)
{
	_cleanup_free_ struct rtmr_tdx_report_req *req = calloc(1, sizeof(*req));
	int r;

	if (!req)
		return -ENOMEM;
	r = ioctl_fn(fd, RTMR_TDX_CMD_GET_REPORT0, req);
	if (r < 0)
		return r;
	return rtmr_tdx_report_rtmr(req->tdreport, sizeof(req->tdreport), idx, val);
}

size_t rtmr_backend_ioctls(const unsigned long **cmds)
{
	static const unsigned long tdx_cmds[] = {
		RTMR_TDX_CMD_EXTEND_RTMR,
		RTMR_TDX_CMD_EXTEND_RTMR_OLD,
		RTMR_TDX_CMD_GET_REPORT0,
	};

	*cmds = tdx_cmds;
	return ARRAY_SIZE(tdx_cmds);
}

static int sys_ioctl(int fd, unsigned long cmd, void *arg)
{
	int r;

	do
		r = ioctl(fd, cmd, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

struct rtmr_tdx_ioctl {
	struct rtmr_backend base;
	int dev_fd;               /* /dev/tdx_guest */
	unsigned long extend_cmd; /* the extend encoding known to work, 0 = untried */
};

static struct rtmr_tdx_ioctl *to_ioctl(struct rtmr_backend *b)
{
	return container_of(b, struct rtmr_tdx_ioctl, base);
}

static int ioctl_read(struct rtmr_backend *b, unsigned idx, uint8_t *val)
{
	return rtmr_tdx_read_with(sys_ioctl, to_ioctl(b)->dev_fd, idx, val);
}

static int ioctl_extend(struct rtmr_backend *b, unsigned idx, const uint8_t *digest)
{
	struct rtmr_tdx_ioctl *t = to_ioctl(b);

	return rtmr_tdx_extend_with(sys_ioctl, t->dev_fd, &t->extend_cmd, idx, digest);
}

static void ioctl_close(struct rtmr_backend *b)
{
	struct rtmr_tdx_ioctl *t = to_ioctl(b);

	if (t->dev_fd >= 0)
		close(t->dev_fd);
	free(t);
}

static const struct rtmr_backend_ops ioctl_ops = {
	.read = ioctl_read,
	.extend = ioctl_extend,
	.close = ioctl_close,
};

int rtmr_tdx_ioctl_open(const char *dev, struct rtmr_backend **out, char *err, size_t errlen)
{
	_cleanup_rtmr_backend_ struct rtmr_backend *b = NULL;
	const struct hash_alg *alg = hash_alg_by_name("sha384");
	struct rtmr_tdx_ioctl *t = calloc(1, sizeof(*t));
	int r;

	if (!t) {
		set_error(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rtmr_backend_init(&t->base, "tdx-ioctl", &ioctl_ops);
	b = &t->base;
	t->dev_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (t->dev_fd < 0) {
		r = -errno;
		if (r == -ENOENT || r == -ENXIO || r == -ENODEV)
			set_error(err, errlen, "no TDX guest device at %s (not a TDX guest, or "
				     "tdx_guest driver not loaded): %s", dev, strerror(-r));
		else
			set_error(err, errlen, "cannot open %s: %s", dev, strerror(-r));
		return r;
	}
	for (unsigned i = 0; i < RTMR_TDX_NUM_RTMRS; i++)
		b->alg[i] = alg;
	*out = TAKE_PTR(b);
	return 0;
}
