// SPDX-License-Identifier: MIT
/* TDX DCAP quote parser: a cursor that never reads past the end of the region it was given
 * (the whole quote, then the signature data, then the certification data). */
#include "attest/tdx_quote.h"

#include <string.h>

#include "common/util.h"

struct cursor {
	const uint8_t *buf;  /* the whole quote: offsets in messages are relative to it */
	size_t off;
	size_t end;          /* exclusive end of the current region */
	char *err;
	size_t errlen;
};

/* Fail with a message in the cursor's error buffer: set_error's -1. */
#define fail(c, ...) set_error((c)->err, (c)->errlen, __VA_ARGS__)

/* Take n bytes (what names them); NULL with err set if the region ends first. */
static const uint8_t *take(struct cursor *c, size_t n, const char *what)
{
	const uint8_t *p;

	if (c->end - c->off < n) {
		fail(c, "quote truncated at offset %zu: %s needs %zu bytes, %zu left", c->off, what,
		     n, c->end - c->off);
		return NULL;
	}
	p = c->buf + c->off;
	c->off += n;
	return p;
}

static int take_u16(struct cursor *c, const char *what, uint16_t *v)
{
	const uint8_t *p = take(c, 2, what);

	if (!p)
		return -1;
	*v = load_le16(p);
	return 0;
}

static int take_u32(struct cursor *c, const char *what, uint32_t *v)
{
	const uint8_t *p = take(c, 4, what);

	if (!p)
		return -1;
	*v = load_le32(p);
	return 0;
}

/* A u32 length that must cover exactly the rest of the current region. */
static int take_exact_len(struct cursor *c, const char *what, uint32_t *len)
{
	size_t at = c->off, left;

	if (take_u32(c, what, len))
		return -1;
	left = c->end - c->off;
	if (*len > left)
		return fail(c, "quote truncated at offset %zu (%s at %zu says %u, %zu bytes left)",
			    c->end, what, at, *len, left);
	if (*len < left)
		return fail(c, "trailing data: %s at %zu says %u, %zu bytes follow", what, at,
			    *len, left);
	return 0;
}

static int parse_header(struct cursor *c, struct tdx_quote *q)
{
	const uint8_t *h = take(c, TDX_QUOTE_HEADER_SIZE, "header");

	if (!h)
		return -1;
	q->header = h;
	q->version = load_le16(h);
	q->att_key_type = load_le16(h + 2);
	q->tee_type = load_le32(h + 4);
	if (q->version != TDX_QUOTE_V4 && q->version != TDX_QUOTE_V5)
		return fail(c, "unsupported quote version %u", q->version);
	if (q->att_key_type != TDX_ATT_KEY_ECDSA_P256)
		return fail(c, "unsupported attestation key type %u (want 2, ECDSA-P256)",
			    q->att_key_type);
	if (q->tee_type != TDX_TEE_TYPE_TDX)
		return fail(c, "unsupported TEE type 0x%x (want 0x81, TDX)", q->tee_type);
	return 0;
}

static int parse_body(struct cursor *c, struct tdx_quote *q)
{
	uint32_t size = TDX_TD10_BODY_SIZE;

	q->body_type = TDX_BODY_TD10;
	if (q->version == TDX_QUOTE_V5) {
		if (take_u16(c, "body type", &q->body_type) || take_u32(c, "body size", &size))
			return -1;
		if (q->body_type != TDX_BODY_TD10 && q->body_type != TDX_BODY_TD15)
			return fail(c, "unsupported body type %u (want 2 or 3, TD report)",
				    q->body_type);
		q->body_len = q->body_type == TDX_BODY_TD10 ? TDX_TD10_BODY_SIZE
							    : TDX_TD15_BODY_SIZE;
		if (size != q->body_len)
			return fail(c, "body size %u does not match type %u (%zu)", size,
				    q->body_type, q->body_len);
	}
	q->body_len = size;
	q->body = take(c, q->body_len, "TD report body");
	if (!q->body)
		return -1;
	q->signed_data = c->buf;
	q->signed_len = c->off;
	q->mrtd = q->body + TDX_BODY_MRTD;
	for (int i = 0; i < TDX_RTMRS; i++)
		q->rtmr[i] = q->body + TDX_BODY_RTMR0 + (size_t)i * TDX_MR_SIZE;
	q->reportdata = q->body + TDX_BODY_REPORTDATA;
	return 0;
}

/* QE report certification data: QE report, its signature, QE auth data, PCK chain. */
static int parse_qe_cert_data(struct cursor *c, struct tdx_quote *q)
{
	uint16_t auth_len;
	uint32_t chain_len;

	q->qe_report = take(c, TDX_QE_REPORT_SIZE, "QE report");
	q->qe_report_sig = q->qe_report ? take(c, TDX_ECDSA_SIG_SIZE, "QE report signature")
					: NULL;
	if (!q->qe_report_sig || take_u16(c, "QE auth data size", &auth_len))
		return -1;
	q->qe_auth_len = auth_len;
	q->qe_auth = take(c, auth_len, "QE auth data");
	if (!q->qe_auth || take_u16(c, "PCK certification data type", &q->pck_cert_type))
		return -1;
	if (q->pck_cert_type != TDX_CERT_PCK_CHAIN)
		return fail(c, "unsupported PCK certification data type %u (want 5, PCK chain)",
			    q->pck_cert_type);
	if (take_exact_len(c, "PCK certification data size", &chain_len))
		return -1;
	q->pck_chain_len = chain_len;
	q->pck_chain = take(c, chain_len, "PCK chain");
	return q->pck_chain ? 0 : -1;
}

static int parse_sig_data(struct cursor *c, struct tdx_quote *q)
{
	uint32_t sig_len, cert_len;

	if (take_exact_len(c, "signature data length", &sig_len))
		return -1;
	q->sig = take(c, TDX_ECDSA_SIG_SIZE, "quote signature");
	q->attest_key = q->sig ? take(c, TDX_ECDSA_KEY_SIZE, "attestation key") : NULL;
	if (!q->attest_key || take_u16(c, "certification data type", &q->cert_type))
		return -1;
	if (q->cert_type != TDX_CERT_QE_REPORT)
		return fail(c, "unsupported certification data type %u (want 6, QE report)",
			    q->cert_type);
	if (take_exact_len(c, "certification data size", &cert_len))
		return -1;
	return parse_qe_cert_data(c, q);
}

int tdx_quote_parse(const uint8_t *buf, size_t len, struct tdx_quote *q, char *err, size_t errlen)
{
	struct cursor c = { .buf = buf, .off = 0, .end = len, .err = err, .errlen = errlen };

	if (err && errlen)
		err[0] = '\0';
	if (!q || (!buf && len))
		return fail(&c, "no quote");
	memset(q, 0, sizeof(*q));
	if (!buf)
		return fail(&c, "quote truncated at offset 0: header needs 48 bytes, 0 left");
	if (parse_header(&c, q) || parse_body(&c, q) || parse_sig_data(&c, q)) {
		memset(q, 0, sizeof(*q));
		return -1;
	}
	return 0;
}
