// SPDX-License-Identifier: MIT
/* CEL-TLV: parser and writer (see cel_tlv.h). */
#include "eventlog/cel_tlv.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

#define TLV_HEAD 5 /* type, u32 length */

struct tlv {
	size_t off;
	uint8_t type;
	uint32_t len;
	const uint8_t *v;
};

struct parser {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	size_t records;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, size_t off,
						      const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return set_error(p->err, p->errlen, "offset %zu (record %zu): %s", off, p->records, msg);
}

/* The TLV at *pos, which must end by end; *pos moves past it. */
static int read_tlv(struct parser *p, size_t *pos, size_t end, const char *what, struct tlv *t)
{
	t->off = *pos;
	if (end - *pos < TLV_HEAD)
		return fail(p, *pos, "truncated %s TLV (%zu of %d header bytes)", what, end - *pos,
			    TLV_HEAD);
	t->type = p->buf[*pos];
	t->len = load_be32(p->buf + *pos + 1);
	if (t->len > end - *pos - TLV_HEAD)
		return fail(p, *pos + 1, "%s TLV length %u runs past its end (%zu bytes left)",
			    what, t->len, end - *pos - TLV_HEAD);
	t->v = p->buf + *pos + TLV_HEAD;
	*pos += TLV_HEAD + t->len;
	return 0;
}

/* Big-endian unsigned value of 1..max bytes. */
static int read_uint(struct parser *p, const struct tlv *t, const char *what, size_t max,
		     uint64_t *v)
{
	if (t->len == 0 || t->len > max)
		return fail(p, t->off + 1, "%s value of %u bytes (1..%zu allowed)", what, t->len,
			    max);
	*v = 0;
	for (uint32_t i = 0; i < t->len; i++)
		*v = *v << 8 | t->v[i];
	return 0;
}

static int parse_recnum(struct parser *p, size_t *pos, struct cel_tlv_record *rec,
			uint64_t prev)
{
	struct tlv t;

	if (read_tlv(p, pos, p->len, "recnum", &t) < 0)
		return -1;
	if (t.type != CEL_TLV_RECNUM)
		return fail(p, t.off, "expected a recnum TLV (type 0), found type %u", t.type);
	if (read_uint(p, &t, "recnum", 8, &rec->recnum) < 0)
		return -1;
	rec->recnum_len = (uint8_t)t.len;
	if (p->records > 0 && (prev == UINT64_MAX || rec->recnum != prev + 1))
		return fail(p, t.off + TLV_HEAD, "recnum %llu does not follow %llu",
			    (unsigned long long)rec->recnum, (unsigned long long)prev);
	return 0;
}

static int parse_index(struct parser *p, size_t *pos, struct cel_tlv_record *rec)
{
	struct tlv t;
	uint64_t v;

	if (read_tlv(p, pos, p->len, "index", &t) < 0)
		return -1;
	if (t.type != CEL_TLV_PCR && t.type != CEL_TLV_NV_INDEX && t.type != CEL_TLV_CCMR)
		return fail(p, t.off, "expected an index TLV (type 1, 2 or 108), found type %u",
			    t.type);
	if (read_uint(p, &t, "index", 4, &v) < 0)
		return -1;
	rec->index_type = t.type;
	rec->index_len = (uint8_t)t.len;
	rec->index = (uint32_t)v;
	return 0;
}

static int parse_digest(struct parser *p, const struct tlv *t, struct cel_tlv_record *rec)
{
	struct cel_tlv_digest *d = &rec->digests[rec->ndigests];

	if (rec->ndigests == CEL_TLV_MAX_DIGESTS)
		return fail(p, t->off, "more than %d digests", CEL_TLV_MAX_DIGESTS);
	d->alg_id = t->type;
	d->alg = hash_alg_by_tpm(t->type);
	d->size = t->len;
	d->d = t->v;
	if (d->alg ? d->size != d->alg->size : (d->size == 0 || d->size > HASH_MAX_SIZE))
		return fail(p, t->off + 1, "digest of algorithm 0x%02x has %u bytes", t->type,
			    t->len);
	for (size_t i = 0; i < rec->ndigests; i++)
		if (rec->digests[i].alg_id == d->alg_id)
			return fail(p, t->off, "digest algorithm 0x%02x given twice", t->type);
	rec->ndigests++;
	return 0;
}

static int parse_digests(struct parser *p, size_t *pos, struct cel_tlv_record *rec)
{
	struct tlv t, d;
	size_t dpos, end;

	if (read_tlv(p, pos, p->len, "digests", &t) < 0)
		return -1;
	if (t.type != CEL_TLV_DIGESTS)
		return fail(p, t.off, "expected a digests TLV (type 3), found type %u", t.type);
	if (t.len == 0)
		return fail(p, t.off + 1, "no digest");
	dpos = t.off + TLV_HEAD;
	end = dpos + t.len;
	while (dpos < end)
		if (read_tlv(p, &dpos, end, "digest", &d) < 0 || parse_digest(p, &d, rec) < 0)
			return -1;
	return 0;
}

static bool is_field_type(uint8_t type)
{
	return type <= CEL_TLV_DIGESTS || type == CEL_TLV_CCMR;
}

static int parse_content(struct parser *p, size_t *pos, struct cel_tlv_record *rec)
{
	struct tlv t;

	if (read_tlv(p, pos, p->len, "content", &t) < 0)
		return -1;
	if (is_field_type(t.type))
		return fail(p, t.off, "content TLV of type %u, a field type", t.type);
	rec->content_type = t.type;
	rec->content_size = t.len;
	rec->content = t.v;
	return 0;
}

int cel_tlv_parse(const uint8_t *buf, size_t len, cel_tlv_record_cb cb, void *ctx,
		  size_t *nrecords, char *err, size_t errlen)
{
	struct parser p = { .buf = buf, .len = len, .err = err, .errlen = errlen };
	struct cel_tlv_record rec;
	uint64_t prev = 0;
	char what[256];

	if (!buf && len)
		return set_error(err, errlen, "offset 0: no buffer");
	while (p.pos < len) {
		memset(&rec, 0, sizeof(rec));
		rec.offset = p.pos;
		if (parse_recnum(&p, &p.pos, &rec, prev) < 0 || parse_index(&p, &p.pos, &rec) < 0 ||
		    parse_digests(&p, &p.pos, &rec) < 0 || parse_content(&p, &p.pos, &rec) < 0)
			return -1;
		rec.size = p.pos - rec.offset;
		if (cb && cb(ctx, &rec, what, sizeof(what)) != 0)
			return fail(&p, rec.offset, "%s", what);
		prev = rec.recnum;
		p.records++;
	}
	if (nrecords)
		*nrecords = p.records;
	return 0;
}

/* ---- writing ---- */

static size_t index_len(const struct cel_tlv_record *r)
{
	return r->index_len ? r->index_len : (r->index > 0xff ? 4 : 1);
}

static bool fits(uint64_t v, size_t n)
{
	return n >= 8 || v >> (8 * n) == 0;
}

static bool record_ok(const struct cel_tlv_record *r)
{
	size_t rl = r->recnum_len ? r->recnum_len : 8, il = index_len(r);

	if (rl > 8 || il > 4 || !fits(r->recnum, rl) || !fits(r->index, il) ||
	    (r->index_type != CEL_TLV_PCR && r->index_type != CEL_TLV_NV_INDEX &&
	     r->index_type != CEL_TLV_CCMR) ||
	    r->ndigests == 0 || r->ndigests > CEL_TLV_MAX_DIGESTS ||
	    is_field_type(r->content_type) || (r->content_size && !r->content))
		return false;
	for (size_t i = 0; i < r->ndigests; i++)
		if (r->digests[i].size == 0 || r->digests[i].size > HASH_MAX_SIZE ||
		    !r->digests[i].d)
			return false;
	return true;
}

static void put_tlv_head(struct bytebuf *b, uint8_t type, size_t len)
{
	bytebuf_u8(b, type);
	bytebuf_be32(b, (uint32_t)len);
}

int cel_tlv_write_record(struct bytebuf *b, const struct cel_tlv_record *r)
{
	size_t rl, il, dlen = 0;

	if (!record_ok(r))
		return -1;
	rl = r->recnum_len ? r->recnum_len : 8;
	il = index_len(r);
	put_tlv_head(b, CEL_TLV_RECNUM, rl);
	bytebuf_be(b, r->recnum, rl);
	put_tlv_head(b, r->index_type, il);
	bytebuf_be(b, r->index, il);
	for (size_t i = 0; i < r->ndigests; i++)
		dlen += TLV_HEAD + r->digests[i].size;
	put_tlv_head(b, CEL_TLV_DIGESTS, dlen);
	for (size_t i = 0; i < r->ndigests; i++) {
		put_tlv_head(b, r->digests[i].alg_id, r->digests[i].size);
		bytebuf_put(b, r->digests[i].d, r->digests[i].size);
	}
	put_tlv_head(b, r->content_type, r->content_size);
	bytebuf_put(b, r->content, r->content_size);
	return b->failed ? -1 : 0;
}
