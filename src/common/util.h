/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the daemon and the tool: cleanup attributes, hex, full I/O. */
#ifndef VTPM_UTIL_H
#define VTPM_UTIL_H

#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The struct of type `type` whose member `member` ptr points to. */
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Unaligned loads and stores of fixed byte order (file formats, quotes, state headers). */
static inline uint16_t load_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))
#define _cleanup_fclose_ __attribute__((cleanup(fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(closedirp)))

/* Give up ownership of a cleanup-managed fd or pointer. */
static inline int take_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _t = (p);                                                            \
		(p) = NULL;                                                                        \
		_t;                                                                                \
	})

/* Lowercase hex of len bytes into out (2*len+1 bytes). */
void hex_encode(const uint8_t *in, size_t len, char *out);
/* Decode exactly 2*len lowercase-or-uppercase hex chars; -1 on any bad char or length. */
int hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t outcap, size_t *outlen);
/* Decode hex, lowercase only (the event-log format requires lowercase). */
int hex_decode_lower(const char *hex, size_t hexlen, uint8_t *out, size_t outcap, size_t *outlen);

/* Read/write exactly len bytes, retrying on EINTR and short transfers; -errno on error,
 * for read_full the number of bytes read (short only at EOF). */
ssize_t read_full(int fd, void *buf, size_t len);
int write_full(int fd, const void *buf, size_t len);

/* Read a whole (small) file into a malloc'd NUL-terminated buffer. -errno on error. */
int read_file_all(const char *path, char **out, size_t *outlen, size_t max);
/* The same from an open descriptor, read from its current offset to EOF. */
int read_fd_all(int fd, char **out, size_t *outlen, size_t max);

/* Write a file crash-safely: temp file in the same dir, fsync, rename, fsync dir. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* The same, unless the file already holds exactly these bytes (then it is left as it is). */
int write_file_if_changed(const char *path, const void *data, size_t len, mode_t mode);

/* mkdir -p with mode for every created component. */
int mkdir_p(const char *path, mode_t mode);

/* Format an error message into err (which may be NULL) and return -1. */
int set_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same with a va_list, for wrappers that return something else (set_error is built on it). */
int set_errorv(char *err, size_t errlen, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t now_ms(void);

/* Parse an unsigned decimal integer in [min, max]; -1 on anything else. */
int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

#endif
