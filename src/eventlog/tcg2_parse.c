// SPDX-License-Identifier: MIT
/* TCG2 crypto-agile event log: the parser (see tcg2.h). */
#include "eventlog/tcg2.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

#define PCR_EVENT_HEAD 32   /* TCG_PCClientPCREvent: pcrIndex, eventType, digest[20], eventSize */
#define SPEC_ID_FIXED 28    /* signature[16], platformClass, 4 version bytes, numberOfAlgorithms */
#define EVENT2_HEAD 12      /* TCG_PCR_EVENT2: pcrIndex, eventType, digestCount */

struct parser {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	size_t pad_from;            /* from here to the end every byte is padding */
	struct tcg2_log_info info;
	char *err;
	size_t errlen;
};

/* Bytes left from p->pos. */
static size_t left(const struct parser *p)
{
	return p->len - p->pos;
}

/* The first offset from which the buffer is all 0x00 or all 0xFF (len if none). */
static size_t padding_start(const uint8_t *buf, size_t len)
{
	size_t i = len;

	if (len == 0 || (buf[len - 1] != 0x00 && buf[len - 1] != 0xff))
		return len;
	while (i > 0 && buf[i - 1] == buf[len - 1])
		i--;
	return i;
}

static const struct tcg2_alg_size *spec_alg(const struct tcg2_spec_id *s, uint16_t id)
{
	for (uint32_t i = 0; i < s->nalgs; i++)
		if (s->algs[i].alg_id == id)
			return &s->algs[i];
	return NULL;
}

static int check_spec_algs(struct parser *p, const uint8_t *a, struct tcg2_spec_id *s)
{
	for (uint32_t i = 0; i < s->nalgs; i++, a += 4) {
		const struct hash_alg *known;
		size_t off = (size_t)(a - p->buf);
		uint16_t id = load_le16(a), size = load_le16(a + 2);

		if (spec_alg(s, id))
			return set_error(p->err, p->errlen,
					 "offset %zu: Spec ID header names algorithm 0x%04x twice",
					 off, id);
		known = hash_alg_by_tpm(id);
		if (size == 0 || size > HASH_MAX_SIZE || (known && known->size != size))
			return set_error(p->err, p->errlen,
					 "offset %zu: Spec ID header gives algorithm 0x%04x the "
					 "digest size %u", off + 2, id, size);
		s->algs[i].alg_id = id;
		s->algs[i].size = size;
	}
	return 0;
}

static int check_signature(struct parser *p, const uint8_t *sig)
{
	static const char v1[] = "Spec ID Event00", v2[] = "Spec ID Event02";

	if (memcmp(sig, TCG2_SPEC_ID_SIGNATURE, 16) == 0)
		return 0;
	if (memcmp(sig, v1, 16) == 0 || memcmp(sig, v2, 16) == 0)
		return set_error(p->err, p->errlen,
				 "offset %d: a TCG 1.2 SHA-1 log (\"%s\"), not a crypto-agile one: "
				 "not supported", PCR_EVENT_HEAD, (const char *)sig);
	return set_error(p->err, p->errlen,
			 "offset %d: the first event is EV_NO_ACTION at index 0 but not a "
			 "\"Spec ID Event03\" header", PCR_EVENT_HEAD);
}

/* The TCG_EfiSpecIDEventStruct of size bytes at PCR_EVENT_HEAD. */
static int parse_spec_struct(struct parser *p, uint32_t size)
{
	const uint8_t *d = p->buf + PCR_EVENT_HEAD;
	struct tcg2_spec_id *s = &p->info.spec_id;
	size_t need;

	if (size < SPEC_ID_FIXED + 1)
		return set_error(p->err, p->errlen, "offset 28: Spec ID event size %u is too small",
				 size);
	if (check_signature(p, d) < 0)
		return -1;
	s->platform_class = load_le32(d + 16);
	s->version_minor = d[20];
	s->version_major = d[21];
	s->errata = d[22];
	s->uintn_size = d[23];
	s->nalgs = load_le32(d + 24);
	if (s->nalgs == 0 || s->nalgs > TCG2_MAX_ALGS)
		return set_error(p->err, p->errlen,
				 "offset %d: Spec ID header names %u algorithms (1..%d allowed)",
				 PCR_EVENT_HEAD + 24, s->nalgs, TCG2_MAX_ALGS);
	need = SPEC_ID_FIXED + 4 * (size_t)s->nalgs + 1;
	if (need > size)
		return set_error(p->err, p->errlen,
				 "offset 28: Spec ID event size %u is too small for %u algorithms",
				 size, s->nalgs);
	if (check_spec_algs(p, d + SPEC_ID_FIXED, s) < 0)
		return -1;
	s->vendor_info_size = d[need - 1];
	s->vendor_info = d + need;
	if (need + s->vendor_info_size != size)
		return set_error(p->err, p->errlen,
				 "offset 28: Spec ID event size %u, but its contents take %zu bytes",
				 size, need + s->vendor_info_size);
	return 0;
}

static int parse_spec_id(struct parser *p)
{
	static const uint8_t zero[20];
	uint32_t size;

	if (p->len < PCR_EVENT_HEAD)
		return set_error(p->err, p->errlen,
				 "offset 0: truncated Spec ID header (%zu of %d bytes)", p->len,
				 PCR_EVENT_HEAD);
	if (memcmp(p->buf + 8, zero, sizeof(zero)) != 0)
		return set_error(p->err, p->errlen, "offset 8: Spec ID header digest is not zero");
	size = load_le32(p->buf + 28);
	if (size > p->len - PCR_EVENT_HEAD)
		return set_error(p->err, p->errlen,
				 "offset 28: Spec ID event size %u runs past the end of the log "
				 "(%zu bytes left)", size, p->len - PCR_EVENT_HEAD);
	if (parse_spec_struct(p, size) < 0)
		return -1;
	p->info.has_spec_id = true;
	p->info.spec_id_size = PCR_EVENT_HEAD + (size_t)size;
	p->pos = p->info.spec_id_size;
	return 0;
}

/* Error about event ev, at byte offset off. */
__attribute__((format(printf, 4, 5))) static int ev_error(struct parser *p,
							   const struct tcg2_event *ev,
							   size_t off, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return set_error(p->err, p->errlen, "offset %zu (event %zu): %s", off, ev->number, msg);
}

/* The digest size of algorithm id in this log; 0 if it may not appear. */
static uint16_t digest_size(const struct parser *p, uint16_t id, const struct hash_alg **alg)
{
	const struct tcg2_alg_size *a;

	*alg = hash_alg_by_tpm(id);
	if (!p->info.has_spec_id)
		return *alg ? (uint16_t)(*alg)->size : 0;
	a = spec_alg(&p->info.spec_id, id);
	return a ? a->size : 0;
}

static int parse_digest(struct parser *p, struct tcg2_event *ev, uint32_t i)
{
	struct tcg2_digest *dg = &ev->digests[i];
	size_t off = p->pos;

	if (left(p) < 2)
		return ev_error(p, ev, off, "truncated digest %u of %u", i + 1, ev->ndigests);
	dg->alg_id = load_le16(p->buf + off);
	dg->size = digest_size(p, dg->alg_id, &dg->alg);
	if (dg->size == 0 && p->info.has_spec_id)
		return ev_error(p, ev, off, "digest algorithm 0x%04x is not in the Spec ID header",
				dg->alg_id);
	if (dg->size == 0)
		return ev_error(p, ev, off,
				"unknown digest algorithm 0x%04x (a log without Spec ID header "
				"may only use known ones)", dg->alg_id);
	for (uint32_t j = 0; j < i; j++)
		if (ev->digests[j].alg_id == dg->alg_id)
			return ev_error(p, ev, off, "digest algorithm 0x%04x given twice",
					dg->alg_id);
	p->pos += 2;
	if (left(p) < dg->size)
		return ev_error(p, ev, p->pos, "truncated digest: %zu of %u bytes", left(p),
				dg->size);
	dg->d = p->buf + p->pos;
	p->pos += dg->size;
	return 0;
}

static int parse_event(struct parser *p, struct tcg2_event *ev)
{
	uint32_t max = p->info.has_spec_id ? p->info.spec_id.nalgs : TCG2_MAX_ALGS;

	ev->offset = p->pos;
	if (left(p) < EVENT2_HEAD)
		return ev_error(p, ev, p->pos, "truncated event header (%zu of %d bytes)", left(p),
				EVENT2_HEAD);
	ev->index = load_le32(p->buf + p->pos);
	ev->type = load_le32(p->buf + p->pos + 4);
	ev->ndigests = load_le32(p->buf + p->pos + 8);
	if (ev->ndigests > max)
		return ev_error(p, ev, p->pos + 8, "digest count %u is more than the %u allowed",
				ev->ndigests, max);
	p->pos += EVENT2_HEAD;
	for (uint32_t i = 0; i < ev->ndigests; i++)
		if (parse_digest(p, ev, i) < 0)
			return -1;
	if (left(p) < 4)
		return ev_error(p, ev, p->pos, "truncated event size (%zu of 4 bytes)", left(p));
	ev->data_size = load_le32(p->buf + p->pos);
	p->pos += 4;
	if (ev->data_size > left(p))
		return ev_error(p, ev, p->pos - 4,
				"event size %u runs past the end of the log (%zu bytes left)",
				ev->data_size, left(p));
	ev->data = p->buf + p->pos;
	p->pos += ev->data_size;
	ev->size = p->pos - ev->offset;
	return 0;
}

static int parse_events(struct parser *p, tcg2_event_cb cb, void *ctx)
{
	struct tcg2_event ev;
	char what[256];

	while (p->pos < p->pad_from) {
		memset(&ev, 0, sizeof(ev));
		ev.number = p->info.events;
		if (parse_event(p, &ev) < 0)
			return -1;
		if (cb && cb(ctx, &ev, what, sizeof(what)) != 0)
			return set_error(p->err, p->errlen, "offset %zu (event %zu): %s", ev.offset,
					 ev.number, what);
		p->info.events++;
	}
	p->info.end = p->pos;
	p->info.padding = p->len - p->pos;
	return 0;
}

static int parse_header(struct parser *p)
{
	if (!p->buf && p->len)
		return set_error(p->err, p->errlen, "offset 0: no buffer");
	if (p->len >= 8 && load_le32(p->buf) == 0 && load_le32(p->buf + 4) == TCG2_EV_NO_ACTION)
		return parse_spec_id(p);
	return 0;
}

int tcg2_parse_spec_id(const uint8_t *buf, size_t len, struct tcg2_log_info *info, char *err,
		       size_t errlen)
{
	struct parser p = { .buf = buf, .len = len, .err = err, .errlen = errlen };

	if (parse_header(&p) < 0)
		return -1;
	if (info)
		*info = p.info;
	return 0;
}

int tcg2_log_parse(const uint8_t *buf, size_t len, tcg2_event_cb cb, void *ctx,
		   struct tcg2_log_info *info, char *err, size_t errlen)
{
	struct parser p = { .buf = buf, .len = len, .err = err, .errlen = errlen };

	if (parse_header(&p) < 0)
		return -1;
	p.pad_from = padding_start(buf, len);
	if (p.pad_from < p.pos)
		p.pad_from = p.pos;
	if (parse_events(&p, cb, ctx) < 0)
		return -1;
	if (info)
		*info = p.info;
	return 0;
}

bool tcg2_tagged_event(const struct tcg2_event *ev, uint32_t *tag, const uint8_t **data,
		       uint32_t *size)
{
	if (ev->type != TCG2_EV_EVENT_TAG || ev->data_size < 8 ||
	    load_le32(ev->data + 4) != ev->data_size - 8)
		return false;
	*tag = load_le32(ev->data);
	*data = ev->data + 8;
	*size = ev->data_size - 8;
	return true;
}
