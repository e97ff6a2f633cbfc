// SPDX-License-Identifier: MIT
#include "tool/tool_tpm.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/runtime_dir.h"
#include "common/safe_fs.h"
#include "common/util.h"
#include "tpm_cmds/tpm_frame.h"

#define TPM_IO_TIMEOUT_MS 30000 /* a TPM answers RSA key generation within this */

struct tool_tpm {
	int fd;
	bool device; /* one read() returns a whole response */
};

/* The second word of <runtime-dir>/device ("/dev/tpmN /dev/tpmrmN"). */
static int from_device_file(const char *runtime_dir, char *buf, size_t cap)
{
	_cleanup_free_ char *text = NULL;
	char tpm[64], rm[64], err[256];

	if (safe_read_in_dir(runtime_dir, "runtime directory", RUNTIME_DEVICE, &text, NULL, 256,
			     err, sizeof(err)) < 0 ||
	    sscanf(text, "%63s %63s", tpm, rm) != 2)
		return -1;
	snprintf(buf, cap, "device:%s", rm);
	return 0;
}

static int from_tcti_file(const char *runtime_dir, char *buf, size_t cap)
{
	_cleanup_free_ char *text = NULL;
	char err[256];
	size_t len;

	if (safe_read_in_dir(runtime_dir, "runtime directory", RUNTIME_TCTI, &text, &len, cap - 1,
			     err, sizeof(err)) < 0 || len == 0)
		return -1;
	snprintf(buf, cap, "%.*s", (int)strcspn(text, "\n"), text);
	return 0;
}

int tool_tpm_address(const char *spec, const char *runtime_dir, char *buf, size_t cap,
		     char *err, size_t errlen)
{
	const char *env = getenv("TPM2TOOLS_TCTI");

	if (spec) {
		snprintf(buf, cap, "%s", spec);
		return 0;
	}
	if (from_device_file(runtime_dir, buf, cap) == 0 || from_tcti_file(runtime_dir, buf, cap) == 0)
		return 0;
	if (env && *env) {
		snprintf(buf, cap, "%s", env);
		return 0;
	}
	return set_error(err, errlen, "no TPM to quote with: %s holds neither '%s' nor '%s' (is "
			 "vtpm-rtmrd running with this --runtime-dir?); name one with --tpm",
			 runtime_dir, RUNTIME_DEVICE, RUNTIME_TCTI);
}

/* "key=value" pairs of "swtpm:host=H,port=P" or "swtpm:path=P". */
static int swtpm_args(const char *args, char *host, size_t hcap, char *port, size_t pcap,
		      char *path, size_t pathcap)
{
	snprintf(host, hcap, "127.0.0.1");
	snprintf(port, pcap, "2321");
	path[0] = '\0';
	while (*args) {
		size_t n = strcspn(args, ",");
		const char *eq = memchr(args, '=', n);
		size_t k = eq ? (size_t)(eq - args) : n, vlen = eq ? n - k - 1 : 0;
		char *dst = NULL;
		size_t dcap = 0;

		if (k == 4 && !memcmp(args, "host", 4))
			dst = host, dcap = hcap;
		else if (k == 4 && !memcmp(args, "port", 4))
			dst = port, dcap = pcap;
		else if (k == 4 && !memcmp(args, "path", 4))
			dst = path, dcap = pathcap;
		if (!dst || !eq || vlen == 0 || vlen >= dcap)
			return -1;
		memcpy(dst, eq + 1, vlen);
		dst[vlen] = '\0';
		args += n + (args[n] == ',');
	}
	return 0;
}

static int connect_tcp(const char *host, const char *port, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int fd = -1, r = getaddrinfo(host, port, &hints, &res);

	if (r != 0)
		return set_error(err, errlen, "cannot resolve %s: %s", host, gai_strerror(r));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		set_error(err, errlen, "cannot connect to %s port %s: %s", host, port,
			  strerror(errno));
		close(fd);
		fd = -1;
	} else if (fd < 0) {
		set_error(err, errlen, "socket: %s", strerror(errno));
	}
	freeaddrinfo(res);
	return fd;
}

static int connect_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return set_error(err, errlen, "UNIX socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	set_error(err, errlen, "cannot connect to %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int open_swtpm(const char *args, char *err, size_t errlen)
{
	char host[256], port[16], path[108];

	if (swtpm_args(args, host, sizeof(host), port, sizeof(port), path, sizeof(path)) < 0)
		return set_error(err, errlen, "bad swtpm address 'swtpm:%s' (host=H,port=P or "
				 "path=P)", args);
	return path[0] ? connect_unix(path, err, errlen) : connect_tcp(host, port, err, errlen);
}

int tool_tpm_open(const char *address, struct tool_tpm **out, char *err, size_t errlen)
{
	struct tool_tpm *t = calloc(1, sizeof(*t));
	const char *dev = NULL;

	if (!t)
		return set_error(err, errlen, "out of memory");
	if (strncmp(address, "device:", 7) == 0)
		dev = address + 7;
	else if (address[0] == '/')
		dev = address;
	if (dev) {
		t->device = true;
		t->fd = open(dev, O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (t->fd < 0)
			set_error(err, errlen, "cannot open %s: %s", dev, strerror(errno));
	} else if (strncmp(address, "swtpm:", 6) == 0) {
		t->fd = open_swtpm(address + 6, err, errlen);
	} else {
		t->fd = set_error(err, errlen, "unknown TPM address '%s' (device:PATH, swtpm:...)",
				  address);
	}
	if (t->fd < 0) {
		free(t);
		return -1;
	}
	*out = t;
	return 0;
}

void tool_tpm_close(struct tool_tpm *t)
{
	if (!t)
		return;
	close(t->fd);
	free(t);
}

/* Up to len bytes; a TPM that does not answer in TPM_IO_TIMEOUT_MS is an error. */
static ssize_t read_some(int fd, uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, TPM_IO_TIMEOUT_MS) <= 0)
		return -ETIMEDOUT;
	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int read_response(struct tool_tpm *t, uint8_t *rsp, size_t cap, size_t *rlen, char *err,
			 size_t errlen)
{
	struct tpm_header hdr = { 0 };
	size_t got = 0;

	while (got < TPM_HEADER_SIZE || got < hdr.size) {
		ssize_t n = read_some(t->fd, rsp + got, cap - got);

		if (n <= 0)
			return set_error(err, errlen, "reading the TPM's response: %s",
					 n ? strerror((int)-n) : "connection closed");
		got += (size_t)n;
		if (got >= TPM_HEADER_SIZE) {
			tpm_header_parse(rsp, got, &hdr);
			if (hdr.size < TPM_HEADER_SIZE || hdr.size > cap)
				return set_error(err, errlen, "the TPM answered a malformed "
						 "response (size %u)", hdr.size);
		}
		if (t->device && got < TPM_HEADER_SIZE)
			return set_error(err, errlen, "short response from the TPM device");
	}
	if (got != hdr.size)
		return set_error(err, errlen, "the TPM sent %zu bytes for a %u-byte response", got,
				 hdr.size);
	*rlen = got;
	return 0;
}

int tool_tpm_transact(struct tool_tpm *t, const uint8_t *cmd, size_t len, uint8_t *rsp,
		      size_t cap, size_t *rlen, char *err, size_t errlen)
{
	int r = write_full(t->fd, cmd, len);

	if (r < 0)
		return set_error(err, errlen, "sending a command to the TPM: %s", strerror(-r));
	return read_response(t, rsp, cap, rlen, err, errlen);
}
