/* SPDX-License-Identifier: MIT */
/* The vtpm_proxy transport: /dev/vtpmx creates /dev/tpmN and /dev/tpmrmN whose commands
 * arrive on an anonymous fd, one read() per command, one write() per response. */
#ifndef VTPM_TRANSPORT_VTPM_PROXY_H
#define VTPM_TRANSPORT_VTPM_PROXY_H

#include <stddef.h>
#include <stdint.h>

struct service;

#define VTPMX_PATH "/dev/vtpmx"

struct vtpm_proxy_dev {
	int fd;           /* the proxy side; closing it removes the device */
	uint32_t tpm_num; /* N of /dev/tpmN and /dev/tpmrmN */
	uint32_t major, minor;
};

/* VTPM_PROXY_IOC_NEW_DEV with VTPM_PROXY_FLAG_TPM2 on vtpmx (NULL = /dev/vtpmx). */
int vtpm_proxy_create(const char *vtpmx, struct vtpm_proxy_dev *dev, char *err, size_t errlen);

/*
 * Keeping the device across a restart (systemd's file descriptor store): the name the fd is
 * kept under says which device it is ("vtpm-proxy.tpm<N>.<major>.<minor>"); adopting a kept
 * fd checks that it is a vtpm_proxy server file (the anonymous inode "[vtpms]") and that
 * /dev/tpm<N> is still that device. Both 0, or -1 with err set.
 */
#define VTPM_PROXY_FDNAME_PREFIX "vtpm-proxy."
int vtpm_proxy_fdname(const struct vtpm_proxy_dev *dev, char *name, size_t cap);
int vtpm_proxy_adopt(int fd, const char *name, struct vtpm_proxy_dev *dev, char *err,
		     size_t errlen);
/* A command the previous daemon read and never answered waits in the kernel until its
 * timeout: answer it TPM_RC_FAILURE (its outcome is unknown). Nothing when none waits. */
void vtpm_proxy_answer_orphan(int fd);

/* Called once while serving, as soon as ready_path exists: the kernel creates /dev/tpmN
 * only after its own start-up commands were answered, so the device is published then. */
struct vtpm_proxy_ready {
	const char *path;                 /* e.g. /dev/tpmrm0; NULL: no callback */
	void (*cb)(void *ctx);
	void *ctx;
};

/* Serve commands from fd until stop_fd is readable (0), the device hangs up (0) or an I/O
 * error occurs (-1). fd may be any descriptor with proxy semantics (tests use a
 * SOCK_SEQPACKET socketpair). ready may be NULL. */
int vtpm_proxy_serve(int fd, struct service *svc, int stop_fd, struct vtpm_proxy_ready *ready);

#endif
