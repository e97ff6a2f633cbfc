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
#include <sys/sysmacros.h>
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

int vtpm_proxy_fdname(const struct vtpm_proxy_dev *dev, char *name, size_t cap)
{
	int n = snprintf(name, cap, VTPM_PROXY_FDNAME_PREFIX "tpm%u.%u.%u", dev->tpm_num,
			 dev->major, dev->minor);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int vtpm_proxy_adopt(int fd, const char *name, struct vtpm_proxy_dev *dev, char *err,
		     size_t errlen)
{
	char link[64], target[64], node[32];
	struct stat st;
	ssize_t n;

	if (sscanf(name, VTPM_PROXY_FDNAME_PREFIX "tpm%u.%u.%u", &dev->tpm_num, &dev->major,
		   &dev->minor) != 3)
		return set_error(err, errlen, "its name '%s' names no device", name);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (fstat(fd, &st) < 0 || n < 0)
		return set_error(err, errlen, "it cannot be examined: %s", strerror(errno));
	target[n] = '\0';
	if (strcmp(target, "anon_inode:[vtpms]") != 0)
		return set_error(err, errlen, "it is %s, not a vtpm_proxy device", target);
	snprintf(node, sizeof(node), "/dev/tpm%u", dev->tpm_num);
	if (stat(node, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(dev->major, dev->minor))
		return set_error(err, errlen, "%s is no longer its device (%u:%u)", node,
				 dev->major, dev->minor);
	dev->fd = fd;
	return 0;
}

void vtpm_proxy_answer_orphan(int fd)
{
	uint8_t rsp[TPM_HEADER_SIZE];
	size_t len = tpm_build_error_response(rsp, sizeof(rsp), TPM2_RC_FAILURE);
	ssize_t n;

	do {
		n = write(fd, rsp, len);
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		log_warn("answered TPM_RC_FAILURE to the command the previous daemon had read "
			 "but not answered (whether it took effect is in the event logs)");
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
