// SPDX-License-Identifier: MIT
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define HEX_DIGIT(n) ((char)((n) < 10 ? '0' + (n) : 'a' - 10 + (n)))
#define HEX_PAIR(v) { HEX_DIGIT((v) >> 4), HEX_DIGIT((v) & 0xf) }
#define HEX_ROW(r) HEX_PAIR(r + 0), HEX_PAIR(r + 1), HEX_PAIR(r + 2), HEX_PAIR(r + 3), \
	HEX_PAIR(r + 4), HEX_PAIR(r + 5), HEX_PAIR(r + 6), HEX_PAIR(r + 7), HEX_PAIR(r + 8), \
	HEX_PAIR(r + 9), HEX_PAIR(r + 10), HEX_PAIR(r + 11), HEX_PAIR(r + 12), \
	HEX_PAIR(r + 13), HEX_PAIR(r + 14), HEX_PAIR(r + 15)

/* "00".."ff": one two-byte copy per input byte (this runs for every mirrored extend). */
static const char hex_pairs[256][2] = {
	HEX_ROW(0x00), HEX_ROW(0x10), HEX_ROW(0x20), HEX_ROW(0x30), HEX_ROW(0x40), HEX_ROW(0x50),
	HEX_ROW(0x60), HEX_ROW(0x70), HEX_ROW(0x80), HEX_ROW(0x90), HEX_ROW(0xa0), HEX_ROW(0xb0),
	HEX_ROW(0xc0), HEX_ROW(0xd0), HEX_ROW(0xe0), HEX_ROW(0xf0),
};

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		memcpy(out + 2 * i, hex_pairs[in[i]], 2);
	out[2 * len] = '\0';
}

/* Each hex digit's value plus one, 0x40 more for an upper-case one, 0 for any other byte:
 * one lookup per digit (a restart decodes every digest of logs of 100k records). */
#define HEXD(c, v) [c] = (v) + 1
static const uint8_t hex_value[256] = {
	HEXD('0', 0), HEXD('1', 1), HEXD('2', 2), HEXD('3', 3), HEXD('4', 4), HEXD('5', 5),
	HEXD('6', 6), HEXD('7', 7), HEXD('8', 8), HEXD('9', 9), HEXD('a', 10), HEXD('b', 11),
	HEXD('c', 12), HEXD('d', 13), HEXD('e', 14), HEXD('f', 15), HEXD('A', 0x4a),
	HEXD('B', 0x4b), HEXD('C', 0x4c), HEXD('D', 0x4d), HEXD('E', 0x4e), HEXD('F', 0x4f),
};

static int hex_decode_mode(const char *hex, size_t hexlen, uint8_t *out, size_t outcap,
			   size_t *outlen, bool lower_only)
{
	const unsigned char *h = (const unsigned char *)hex;
	bool bad = false;
	uint8_t upper = 0;

	if (hexlen % 2 || hexlen / 2 > outcap)
		return -1;
	for (size_t i = 0; i < hexlen / 2; i++) {
		uint8_t hi = hex_value[h[2 * i]], lo = hex_value[h[2 * i + 1]];

		bad |= !hi || !lo;
		upper |= (hi | lo) & 0x40;
		out[i] = (uint8_t)(((hi - 1) & 0xf) << 4 | ((lo - 1) & 0xf));
	}
	if (bad || (lower_only && upper))
		return -1;
	if (outlen)
		*outlen = hexlen / 2;
	return 0;
}

int hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outcap, size_t *outlen)
{
	return hex_decode_mode(hex, hexlen, out, outcap, outlen, false);
}

int hex_decode_lower(const char *hex, size_t hexlen, uint8_t *out, size_t outcap, size_t *outlen)
{
	return hex_decode_mode(hex, hexlen, out, outcap, outlen, true);
}

ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

int read_file_all(const char *path, char **out, size_t *outlen, size_t max)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return read_fd_all(fd, out, outlen, max);
}

int read_fd_all(int fd, char **out, size_t *outlen, size_t max)
{
	_cleanup_free_ char *buf = NULL;
	size_t cap = 4096, len = 0;

	buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= max)
				return -EFBIG;
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read_full(fd, buf + len, cap - len);
		if (n < 0)
			return (int)n;
		len += (size_t)n;
		if (len < cap)
			break; /* end of file */
	}
	buf[len] = '\0';
	*out = TAKE_PTR(buf);
	if (outlen)
		*outlen = len;
	return 0;
}

static int fsync_parent_dir(const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	_cleanup_close_ int dfd = -1;
	char *slash;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (fsync(dfd) < 0)
		return -errno;
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	r = write_full(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && close(take_fd(&fd)) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	return fsync_parent_dir(path);
}

int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int set_errorv(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	return -1;
}

int set_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_errorv(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int write_file_if_changed(const char *path, const void *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *old = NULL;
	size_t oldlen;

	if (read_file_all(path, &old, &oldlen, len) == 0 && oldlen == len &&
	    memcmp(old, data, len) == 0)
		return 0;
	return write_file_atomic(path, data, len, mode);
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
