// SPDX-License-Identifier: MIT
/* Growable byte buffer with sticky failure (see bytebuf.h). */
#include "eventlog/bytebuf.h"

#include <stdlib.h>
#include <string.h>

static bool grow(struct bytebuf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	uint8_t *p;

	if (n > SIZE_MAX - b->len)
		return false;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2)
			return false;
		cap *= 2;
	}
	if (cap == b->cap)
		return true;
	p = realloc(b->data, cap);
	if (!p)
		return false;
	b->data = p;
	b->cap = cap;
	return true;
}

void bytebuf_put(struct bytebuf *b, const void *p, size_t n)
{
	if (b->failed || n == 0)
		return;
	if (!grow(b, n)) {
		b->failed = true;
		return;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void bytebuf_u8(struct bytebuf *b, uint8_t v)
{
	bytebuf_put(b, &v, 1);
}

void bytebuf_le16(struct bytebuf *b, uint16_t v)
{
	uint8_t p[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	bytebuf_put(b, p, sizeof(p));
}

void bytebuf_le32(struct bytebuf *b, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	bytebuf_put(b, p, sizeof(p));
}

void bytebuf_be(struct bytebuf *b, uint64_t v, size_t n)
{
	uint8_t p[8];

	if (n > sizeof(p)) {
		b->failed = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	bytebuf_put(b, p, n);
}

void bytebuf_be32(struct bytebuf *b, uint32_t v)
{
	bytebuf_be(b, v, 4);
}

void bytebuf_free(struct bytebuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
