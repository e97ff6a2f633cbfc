/* SPDX-License-Identifier: MIT */
/* RTMR backends: read and extend the TEE's runtime measurement registers. */
#ifndef VTPM_RTMR_BACKEND_H
#define VTPM_RTMR_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hash_alg.h"
#include "common/string_table.h"
#include "rtmr_map/rtmr_map.h"

#define RTMR_DEFAULT_SYSFS_DIR "/sys/class/misc/tdx_guest/measurements"
#define RTMR_DEFAULT_TDX_GUEST_DEV "/dev/tdx_guest"

enum rtmr_backend_kind {
	RTMR_BACKEND_AUTO,
	RTMR_BACKEND_TDX_SYSFS,
	RTMR_BACKEND_TDX_IOCTL,
	RTMR_BACKEND_SIM,
};

/* "auto", "tdx-sysfs", "tdx-ioctl" or "sim"; 0 or -1. */
DECLARE_STRING_TABLE_LOOKUP(rtmr_backend_kind, enum rtmr_backend_kind);

struct rtmr_backend_config {
	enum rtmr_backend_kind kind;
	const char *rtmr_dir;      /* tdx-sysfs directory; NULL = RTMR_DEFAULT_SYSFS_DIR */
	const char *runtime_dir;   /* sim registers live in <runtime_dir>/sim/;
				    * NULL = RUNTIME_DIR_DEFAULT */
	const char *tdx_guest_dev; /* tdx-ioctl device; NULL = RTMR_DEFAULT_TDX_GUEST_DEV */
	bool read_only;            /* sim: only read what exists (a tool), never make or take */
};

struct rtmr_backend;

/*
 * Open the configured backend. auto tries tdx-sysfs, then tdx-ioctl (with the configured
 * or default paths) and never picks sim. On failure err says why; returns 0 or -errno.
 */
int rtmr_backend_open(const struct rtmr_backend_config *cfg, struct rtmr_backend **out,
		      char *err, size_t errlen);
/* NULL-safe. */
void rtmr_backend_close(struct rtmr_backend *b);

/* "tdx-sysfs", "tdx-ioctl" or "sim". */
const char *rtmr_backend_name(const struct rtmr_backend *b);
bool rtmr_backend_has(const struct rtmr_backend *b, unsigned idx);
/* The register's hash (its value and extend digests are alg->size bytes); NULL if absent. */
const struct hash_alg *rtmr_backend_alg(const struct rtmr_backend *b, unsigned idx);

/* Current value (alg->size bytes). 0 or -errno (-ENOENT for an absent register). */
int rtmr_backend_read(struct rtmr_backend *b, unsigned idx, uint8_t *val);
/* new = H(old || digest), digest alg->size bytes. 0 or -errno. */
int rtmr_backend_extend(struct rtmr_backend *b, unsigned idx, const uint8_t *digest);
/*
 * The same extend when the caller knows the outcome: `old` is the value it last read and
 * `new` = H(old || digest), already computed. A backend whose registers are plain values
 * (sim) stores `new` if the register still holds `old` instead of hashing again; the others
 * extend by `digest` as rtmr_backend_extend does. 0 or -errno.
 */
int rtmr_backend_extend_known(struct rtmr_backend *b, unsigned idx, const uint8_t *digest,
			      const uint8_t *old, const uint8_t *new);

/* The ioctl requests the backends may issue once open (the daemon's system call filter allows
 * ioctl with these only); their number. */
size_t rtmr_backend_ioctls(const unsigned long **cmds);

/*
 * Read a register of the sim backend from its file (<runtime_dir>/sim/rtmr<N>:sha384) without
 * opening the backend (the sim quote provider quotes them). 0, or -1 with err set.
 */
int rtmr_sim_read_file(const char *runtime_dir, unsigned idx, uint8_t *val, char *err,
		       size_t errlen);

#endif
