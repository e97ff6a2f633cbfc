// SPDX-License-Identifier: MIT
/* TCG2 crypto-agile event log: the writer (see tcg2.h). */
#include "eventlog/tcg2.h"

#include <string.h>

#define SPEC_ID_FIXED 28

void tcg2_spec_id_init(struct tcg2_spec_id *s, const struct hash_alg *const *algs, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->version_major = 2;
	s->uintn_size = 2;
	for (size_t i = 0; i < n && i < TCG2_MAX_ALGS; i++) {
		s->algs[i].alg_id = algs[i]->tpm_alg;
		s->algs[i].size = (uint16_t)algs[i]->size;
		s->nalgs++;
	}
}

int tcg2_write_spec_id(struct bytebuf *b, const struct tcg2_spec_id *s)
{
	static const uint8_t zero[20];
	uint8_t sig[16] = TCG2_SPEC_ID_SIGNATURE;

	if (s->nalgs == 0 || s->nalgs > TCG2_MAX_ALGS || (s->vendor_info_size && !s->vendor_info))
		return -1;
	bytebuf_le32(b, 0);
	bytebuf_le32(b, TCG2_EV_NO_ACTION);
	bytebuf_put(b, zero, sizeof(zero));
	bytebuf_le32(b, SPEC_ID_FIXED + 4 * s->nalgs + 1 + s->vendor_info_size);
	bytebuf_put(b, sig, sizeof(sig));
	bytebuf_le32(b, s->platform_class);
	bytebuf_u8(b, s->version_minor);
	bytebuf_u8(b, s->version_major);
	bytebuf_u8(b, s->errata);
	bytebuf_u8(b, s->uintn_size);
	bytebuf_le32(b, s->nalgs);
	for (uint32_t i = 0; i < s->nalgs; i++) {
		bytebuf_le16(b, s->algs[i].alg_id);
		bytebuf_le16(b, s->algs[i].size);
	}
	bytebuf_u8(b, s->vendor_info_size);
	bytebuf_put(b, s->vendor_info, s->vendor_info_size);
	return b->failed ? -1 : 0;
}

static bool digests_ok(const struct tcg2_digest *d, size_t n)
{
	if (n > TCG2_MAX_ALGS || (n && !d))
		return false;
	for (size_t i = 0; i < n; i++)
		if (d[i].size == 0 || !d[i].d)
			return false;
	return true;
}

/* pcrIndex, eventType, digestCount and the digests. */
static void write_head(struct bytebuf *b, uint32_t index, uint32_t type,
		       const struct tcg2_digest *d, size_t n)
{
	bytebuf_le32(b, index);
	bytebuf_le32(b, type);
	bytebuf_le32(b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		bytebuf_le16(b, d[i].alg_id);
		bytebuf_put(b, d[i].d, d[i].size);
	}
}

int tcg2_write_event(struct bytebuf *b, uint32_t index, uint32_t type, const struct tcg2_digest *d,
		     size_t n, const void *data, size_t size)
{
	if (!digests_ok(d, n) || size > UINT32_MAX || (size && !data))
		return -1;
	write_head(b, index, type, d, n);
	bytebuf_le32(b, (uint32_t)size);
	bytebuf_put(b, data, size);
	return b->failed ? -1 : 0;
}

int tcg2_write_tagged_event(struct bytebuf *b, uint32_t index, const struct tcg2_digest *d,
			    size_t n, uint32_t tag, const void *data, size_t size)
{
	if (!digests_ok(d, n) || size > UINT32_MAX - 8 || (size && !data))
		return -1;
	write_head(b, index, TCG2_EV_EVENT_TAG, d, n);
	bytebuf_le32(b, (uint32_t)size + 8);
	bytebuf_le32(b, tag);
	bytebuf_le32(b, (uint32_t)size);
	bytebuf_put(b, data, size);
	return b->failed ? -1 : 0;
}

struct tcg2_digest tcg2_digest_of(const struct hash_alg *alg, const uint8_t *d)
{
	return (struct tcg2_digest){
		.alg_id = alg->tpm_alg, .size = (uint16_t)alg->size, .alg = alg, .d = d,
	};
}
