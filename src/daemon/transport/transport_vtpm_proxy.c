// SPDX-License-Identifier: MIT
#include "daemon/transport/transport_vtpm_proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vtpm_proxy.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/service.h"
#include "tpm_cmds/tpm_frame.h"
#include "common/util.h"

int vtpm_proxy_create(const char *vtpmx, struct vtpm_proxy_dev *dev, char *err, size_t errlen)
{
	struct vtpm_proxy_new_dev nd = { .flags = VTPM_PROXY_FLAG_TPM2 };
	_cleanup_close_ int fd = -1;

	if (!vtpmx)
		vtpmx = VTPMX_PATH;
	fd = open(vtpmx, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return set_error(err, errlen, "%s does not exist: load the kernel module "
				 "(modprobe tpm_vtpm_proxy) or use --transport socket", vtpmx);
	if (fd < 0)
		return set_error(err, errlen, "cannot open %s: %s%s", vtpmx, strerror(errno),
				 errno == EACCES ? " (run as root)" : "");
	if (ioctl(fd, VTPM_PROXY_IOC_NEW_DEV, &nd) < 0) {
		if (errno == EPERM)
			return set_error(err, errlen, "VTPM_PROXY_IOC_NEW_DEV on %s: permission "
					 "denied (creating a TPM device needs CAP_SYS_ADMIN)", vtpmx);
		return set_error(err, errlen, "VTPM_PROXY_IOC_NEW_DEV on %s failed: %s", vtpmx,
				 strerror(errno));
	}
	dev->fd = (int)nd.fd;
	dev->tpm_num = nd.tpm_num;
	dev->major = nd.major;
	dev->minor = nd.minor;
	return 0;
}

/* One command: read it whole, answer it with one write(). 1 = go on, 0 = hang-up, -1 error */
static int serve_one(int fd, struct service *svc)
{
	static uint8_t cmd[TPM_MAX_COMMAND_SIZE], rsp[TPM_MAX_COMMAND_SIZE];
	ssize_t n;
	size_t rlen;

	n = read(fd, cmd, sizeof(cmd));
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 1;
		log_error("reading a command from the vtpm_proxy device: %s", strerror(errno));
		return -1;
	}
	if (n == 0)
		return 0;
	rlen = service_command(svc, cmd, (size_t)n, rsp, sizeof(rsp), SERVICE_ALLOW_SET_LOCALITY);
	do {
		n = write(fd, rsp, rlen);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EIO) {
		/* the kernel's wait for this response timed out and it cancelled the command (a
		 * busy machine): what libtpms did stands (and is logged); the kernel goes on */
		log_warn("the kernel no longer waits for the response to command 0x%08x (its "
			 "timeout ran out): dropped", load_be32(cmd + 6));
		return 1;
	}
	if (n < 0 || (size_t)n != rlen) {
		log_error("writing a %zu-byte response to the vtpm_proxy device: %s", rlen,
			  n < 0 ? strerror(errno) : "short write");
		return -1;
	}
	return 1;
}

/*
 * Until the device node exists, look for it every 20 ms and after every command. stat(), not
 * access(): access() is a permission check on the node itself, which the device cgroup of a
 * unit with DevicePolicy=closed refuses for /dev/tpmrmN, so the daemon would never say READY=1.
 */
static void check_ready(struct vtpm_proxy_ready *ready)
{
	struct stat st;

	if (!ready || !ready->path || stat(ready->path, &st) != 0)
		return;
	ready->path = NULL;
	ready->cb(ready->ctx);
}

int vtpm_proxy_serve(int fd, struct service *svc, int stop_fd, struct vtpm_proxy_ready *ready)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = stop_fd, .events = POLLIN } };
		int r;

		check_ready(ready);
		if (poll(p, 2, ready && ready->path ? 20 : -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			return -1;
		}
		if (p[1].revents)
			return 0;
		if (p[0].revents & POLLIN) {
			r = serve_one(fd, svc);
			if (r <= 0)
				return r;
			continue;
		}
		if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			log_info("the vtpm_proxy device hung up");
			return 0;
		}
	}
}
