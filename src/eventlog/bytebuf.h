/* SPDX-License-Identifier: MIT */
/*
 * A growable byte buffer for the binary log writers (TCG2, CEL-TLV): appends never fail
 * one by one; an allocation failure or a size overflow sets `failed`, later appends do
 * nothing, and the writer checks `failed` once at the end.
 */
#ifndef VTPM_EVENTLOG_BYTEBUF_H
#define VTPM_EVENTLOG_BYTEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bytebuf {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool failed;
};

void bytebuf_put(struct bytebuf *b, const void *p, size_t n);
void bytebuf_u8(struct bytebuf *b, uint8_t v);
void bytebuf_le16(struct bytebuf *b, uint16_t v);
void bytebuf_le32(struct bytebuf *b, uint32_t v);
void bytebuf_be32(struct bytebuf *b, uint32_t v);
/* The low n bytes of v, big endian (n <= 8). */
void bytebuf_be(struct bytebuf *b, uint64_t v, size_t n);
/* Free the data and zero the buffer. */
void bytebuf_free(struct bytebuf *b);

static inline void bytebuf_freep(struct bytebuf *b)
{
	bytebuf_free(b);
}

#define _cleanup_bytebuf_ __attribute__((cleanup(bytebuf_freep)))

#endif
