/* SPDX-License-Identifier: MIT */
/* Test inputs laid out by hand, byte by byte (no code under test), and a substring assertion.
 * Include after <cmocka.h>. */
#ifndef VTPM_TEST_BYTE_BUILDER_H
#define VTPM_TEST_BYTE_BUILDER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct hb {
	uint8_t b[4096];
	size_t n;
};

static inline void hb_put(struct hb *h, const void *p, size_t n)
{
	assert_true(h->n + n <= sizeof(h->b));
	memcpy(h->b + h->n, p, n);
	h->n += n;
}

static inline void hb_u8(struct hb *h, uint8_t v)
{
	hb_put(h, &v, 1);
}

static inline void hb_be32(struct hb *h, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	hb_put(h, p, 4);
}

static inline void hb_le16(struct hb *h, uint16_t v)
{
	hb_u8(h, (uint8_t)v);
	hb_u8(h, (uint8_t)(v >> 8));
}

static inline void hb_le32(struct hb *h, uint32_t v)
{
	hb_le16(h, (uint16_t)v);
	hb_le16(h, (uint16_t)(v >> 16));
}

static inline void hb_fill(struct hb *h, uint8_t byte, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hb_u8(h, byte);
}

static inline void assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

#endif
