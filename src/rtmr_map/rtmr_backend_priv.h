/* SPDX-License-Identifier: MIT */
/* Internals shared by the RTMR backends (and their unit tests); not for other modules. */
#ifndef VTPM_RTMR_BACKEND_PRIV_H
#define VTPM_RTMR_BACKEND_PRIV_H

#include <stdint.h>
#include <sys/ioctl.h>

#include "rtmr_map/rtmr_backend.h"
#include "common/util.h"

/*
 * A backend embeds struct rtmr_backend as its first member (as kernel drivers embed their
 * core's struct) and gets its own struct back with container_of().
 */
struct rtmr_backend_ops {
	int (*read)(struct rtmr_backend *b, unsigned idx, uint8_t *val);
	int (*extend)(struct rtmr_backend *b, unsigned idx, const uint8_t *digest);
	/* optional: rtmr_backend_extend_known(); NULL = use extend */
	int (*extend_known)(struct rtmr_backend *b, unsigned idx, const uint8_t *digest,
			    const uint8_t *old, const uint8_t *new);
	/* releases what the backend holds and frees it */
	void (*close)(struct rtmr_backend *b);
};

struct rtmr_backend {
	const char *name;
	const struct rtmr_backend_ops *ops;
	const struct hash_alg *alg[RTMR_MAX]; /* NULL: register absent */
};

/* rtmr_backend.c */
void rtmr_backend_init(struct rtmr_backend *b, const char *name,
		       const struct rtmr_backend_ops *ops);

/* Registers as files (tdx-sysfs, sim): the value is the file's first `size` bytes; a write of
 * exactly `size` bytes at offset 0 extends (sysfs) or sets (sim). 0, -EIO on a short transfer,
 * or -errno. */
int rtmr_reg_file_read(int fd, size_t size, uint8_t *val);
int rtmr_reg_file_write(int fd, size_t size, const uint8_t *val);

static inline void rtmr_backend_closep(struct rtmr_backend **b)
{
	rtmr_backend_close(*b);
}

#define _cleanup_rtmr_backend_ __attribute__((cleanup(rtmr_backend_closep)))

/* rtmr_tdx_sysfs.c */
int rtmr_tdx_sysfs_open(const char *dir, struct rtmr_backend **out, char *err, size_t errlen);

/* rtmr_sim.c */
int rtmr_sim_open(const char *runtime_dir, bool read_only, struct rtmr_backend **out, char *err,
		  size_t errlen);

/* rtmr_tdx_ioctl.c: the downstream /dev/tdx_guest ABI (layouts as in <linux/tdx-guest.h>). */
#define RTMR_TDX_DATA_LEN 48
#define RTMR_TDX_REPORTDATA_LEN 64
#define RTMR_TDX_REPORT_LEN 1024
#define RTMR_TDX_REPORT_RTMR0_OFFSET 720
#define RTMR_TDX_NUM_RTMRS 4

struct rtmr_tdx_extend_req {
	uint8_t data[RTMR_TDX_DATA_LEN];
	uint8_t index;
};

struct rtmr_tdx_report_req {
	uint8_t reportdata[RTMR_TDX_REPORTDATA_LEN];
	uint8_t tdreport[RTMR_TDX_REPORT_LEN];
};

#define RTMR_TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct rtmr_tdx_report_req)
#define RTMR_TDX_CMD_EXTEND_RTMR _IOW('T', 3, struct rtmr_tdx_extend_req)
#define RTMR_TDX_CMD_EXTEND_RTMR_OLD _IOR('T', 3, struct rtmr_tdx_extend_req)

/* ioctl(fd, cmd, arg) returning 0 or -errno; replaceable so tests can run without a TD. */
typedef int (*rtmr_ioctl_fn)(int fd, unsigned long cmd, void *arg);

void rtmr_tdx_encode_extend(struct rtmr_tdx_extend_req *req, unsigned idx, const uint8_t *digest);
/* Copy RTMR idx out of a TDREPORT; 0 or -EINVAL (idx > 3 or report shorter than 1024 bytes). */
int rtmr_tdx_report_rtmr(const uint8_t *tdreport, size_t len, unsigned idx, uint8_t *out);
/* Extend through ioctl_fn, trying the cached encoding, else _IOW then the older _IOR
 * (on ENOTTY/EINVAL); caches the one that worked in *cmd. 0 or -errno. */
int rtmr_tdx_extend_with(rtmr_ioctl_fn ioctl_fn, int fd, unsigned long *cmd, unsigned idx,
			 const uint8_t *digest);
/* Read RTMR idx from a fresh TDREPORT obtained through ioctl_fn. 0 or -errno. */
int rtmr_tdx_read_with(rtmr_ioctl_fn ioctl_fn, int fd, unsigned idx, uint8_t *val);
int rtmr_tdx_ioctl_open(const char *dev, struct rtmr_backend **out, char *err, size_t errlen);

#endif
