// SPDX-License-Identifier: MIT
/* Sim DCAP quotes: the layout of Intel's TDX quotes (v4, v5), signed with the sim CA's keys. */
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "attest/tdx_quote.h"
#include "attest/tdx_sim_ca_internal.h"
#include "common/openssl_util.h"
#include "common/util.h"

#define SIM_MRTD_SEED "vtpm-rtmr SIM MRTD"

struct writer {
	uint8_t *p;
	size_t off;
};

static void put(struct writer *w, const void *data, size_t n)
{
	memcpy(w->p + w->off, data, n);
	w->off += n;
}

static void put_u16(struct writer *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(w, b, sizeof(b));
}

static void put_u32(struct writer *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	put(w, b, sizeof(b));
}

/* ECDSA-SHA256 by key over data, as raw big-endian r||s. */
static int sign_raw(EVP_PKEY *key, const uint8_t *data, size_t len, uint8_t out[64])
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
	_cleanup_(OPENSSL_freep) unsigned char *der = NULL;
	_cleanup_(ECDSA_SIG_freep) ECDSA_SIG *es = NULL;
	const unsigned char *dp;
	const BIGNUM *r, *s;
	size_t der_len = 0;

	if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) <= 0 ||
	    EVP_DigestSign(md, NULL, &der_len, data, len) <= 0)
		return -1;
	der = OPENSSL_malloc(der_len);
	if (!der || EVP_DigestSign(md, der, &der_len, data, len) <= 0)
		return -1;
	dp = der;
	es = d2i_ECDSA_SIG(NULL, &dp, (long)der_len);
	if (!es)
		return -1;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, out, 32) != 32 || BN_bn2binpad(s, out + 32, 32) != 32)
		return -1;
	return 0;
}

/* The raw x||y of a P-256 key. */
static int pub_raw(EVP_PKEY *key, uint8_t out[64])
{
	uint8_t pt[65];
	size_t n = 0;

	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
					     sizeof(pt), &n) ||
	    n != sizeof(pt) || pt[0] != 0x04)
		return -1;
	memcpy(out, pt + 1, 64);
	return 0;
}

static void fill_body(uint8_t *body, const uint8_t reportdata[64], const uint8_t rtmr[4][48],
		      const uint8_t mrtd[48])
{
	memcpy(body + TDX_BODY_MRTD, mrtd, TDX_MR_SIZE);
	for (int i = 0; i < TDX_RTMRS; i++)
		memcpy(body + TDX_BODY_RTMR0 + (size_t)i * TDX_MR_SIZE, rtmr[i], TDX_MR_SIZE);
	memcpy(body + TDX_BODY_REPORTDATA, reportdata, TDX_REPORTDATA_SIZE);
}

/* Everything after the quote signature: attestation key and certification data (type 6). */
struct qe_part {
	uint8_t attest_pub[TDX_ECDSA_KEY_SIZE];
	uint8_t qe_report[TDX_QE_REPORT_SIZE];
	uint8_t qe_sig[TDX_ECDSA_SIG_SIZE];
	uint8_t qe_auth[TDX_QE_AUTH_SIZE];
};

static int make_qe_part(struct tdx_sim_ca *ca, struct qe_part *qe)
{
	uint8_t in[TDX_ECDSA_KEY_SIZE + TDX_QE_AUTH_SIZE];
	unsigned int n = 0;

	memset(qe, 0, sizeof(*qe));
	for (size_t i = 0; i < sizeof(qe->qe_auth); i++)
		qe->qe_auth[i] = (uint8_t)i;
	if (pub_raw(ca->attest_key, qe->attest_pub))
		return -1;
	memcpy(in, qe->attest_pub, sizeof(qe->attest_pub));
	memcpy(in + sizeof(qe->attest_pub), qe->qe_auth, sizeof(qe->qe_auth));
	if (!EVP_Digest(in, sizeof(in), qe->qe_report + TDX_QE_REPORTDATA, &n, EVP_sha256(), NULL))
		return -1;
	return sign_raw(ca->pck_key, qe->qe_report, sizeof(qe->qe_report), qe->qe_sig);
}

struct layout {
	uint16_t version, body_type;
	size_t body_len, chain_len, cert_len, sig_len, total;
};

static void plan(struct tdx_sim_ca *ca, uint16_t version, uint16_t body_type, struct layout *l)
{
	l->version = version;
	l->body_type = body_type;
	l->body_len = body_type == TDX_BODY_TD15 ? TDX_TD15_BODY_SIZE : TDX_TD10_BODY_SIZE;
	l->chain_len = ca->chain_len + 1;  /* with its NUL, as Intel's QE sends it */
	l->cert_len = TDX_QE_REPORT_SIZE + TDX_ECDSA_SIG_SIZE + 2 + TDX_QE_AUTH_SIZE + 6 +
		      l->chain_len;
	l->sig_len = TDX_ECDSA_SIG_SIZE + TDX_ECDSA_KEY_SIZE + 6 + l->cert_len;
	l->total = TDX_QUOTE_HEADER_SIZE + (version == TDX_QUOTE_V5 ? TDX_V5_BODY_PREFIX : 0) +
		   l->body_len + 4 + l->sig_len;
}

/* Header, v5 body type/size, TD report body: what the attestation key signs. */
static void put_signed_part(struct writer *w, const struct layout *l,
			    const uint8_t reportdata[64], const uint8_t rtmr[4][48],
			    const uint8_t mrtd[48])
{
	put_u16(w, l->version);
	put_u16(w, TDX_ATT_KEY_ECDSA_P256);
	put_u32(w, TDX_TEE_TYPE_TDX);
	w->off += 4;  /* reserved */
	put(w, TDX_SIM_QE_VENDOR_ID, 16);
	w->off += 20;  /* user_data */
	if (l->version == TDX_QUOTE_V5) {
		put_u16(w, l->body_type);
		put_u32(w, (uint32_t)l->body_len);
	}
	fill_body(w->p + w->off, reportdata, rtmr, mrtd);
	w->off += l->body_len;
}

static void put_sig_data(struct writer *w, const struct layout *l, const uint8_t sig[64],
			 const struct qe_part *qe, const char *chain)
{
	put_u32(w, (uint32_t)l->sig_len);
	put(w, sig, TDX_ECDSA_SIG_SIZE);
	put(w, qe->attest_pub, sizeof(qe->attest_pub));
	put_u16(w, TDX_CERT_QE_REPORT);
	put_u32(w, (uint32_t)l->cert_len);
	put(w, qe->qe_report, sizeof(qe->qe_report));
	put(w, qe->qe_sig, sizeof(qe->qe_sig));
	put_u16(w, sizeof(qe->qe_auth));
	put(w, qe->qe_auth, sizeof(qe->qe_auth));
	put_u16(w, TDX_CERT_PCK_CHAIN);
	put_u32(w, (uint32_t)l->chain_len);
	put(w, chain, l->chain_len);
}

static int build(struct tdx_sim_ca *ca, uint16_t version, uint16_t body_type,
		 const uint8_t reportdata[64], const uint8_t rtmr[4][48], uint8_t **quote,
		 size_t *len)
{
	uint8_t mrtd[TDX_MR_SIZE], sig[TDX_ECDSA_SIG_SIZE];
	_cleanup_free_ uint8_t *buf = NULL;
	struct writer w = { 0 };
	struct qe_part qe;
	struct layout l;
	unsigned int n = 0;

	plan(ca, version, body_type, &l);
	buf = calloc(1, l.total);
	w.p = buf;
	if (!buf || make_qe_part(ca, &qe) ||
	    !EVP_Digest(SIM_MRTD_SEED, strlen(SIM_MRTD_SEED), mrtd, &n, EVP_sha384(), NULL))
		return -1;
	put_signed_part(&w, &l, reportdata, rtmr, mrtd);
	if (sign_raw(ca->attest_key, w.p, w.off, sig))
		return -1;
	put_sig_data(&w, &l, sig, &qe, ca->chain_pem);
	*quote = TAKE_PTR(buf);
	*len = w.off;
	return 0;
}

/* build, or say why not, leaving OpenSSL's error queue empty. */
static int sim_quote(struct tdx_sim_ca *ca, uint16_t version, uint16_t body_type,
		     const uint8_t reportdata[64], const uint8_t rtmr[4][48], uint8_t **quote,
		     size_t *len, char *err, size_t errlen)
{
	if (build(ca, version, body_type, reportdata, rtmr, quote, len) == 0)
		return 0;
	ERR_clear_error();
	return set_error(err, errlen, "sim quote: signing failed");
}

static int check_args(struct tdx_sim_ca *ca, const uint8_t *reportdata, const void *rtmr,
		      uint8_t **quote, size_t *len, char *err, size_t errlen)
{
	if (ca && reportdata && rtmr && quote && len)
		return 0;
	return set_error(err, errlen, "sim quote: missing argument");
}

int tdx_sim_quote(struct tdx_sim_ca *ca, const uint8_t reportdata[64], const uint8_t rtmr[4][48],
		  uint8_t **quote, size_t *len, char *err, size_t errlen)
{
	if (check_args(ca, reportdata, rtmr, quote, len, err, errlen))
		return -1;
	return sim_quote(ca, TDX_QUOTE_V4, TDX_BODY_TD10, reportdata, rtmr, quote, len, err,
			 errlen);
}

int tdx_sim_quote_v5(struct tdx_sim_ca *ca, uint16_t body_type, const uint8_t reportdata[64],
		     const uint8_t rtmr[4][48], uint8_t **quote, size_t *len, char *err,
		     size_t errlen)
{
	if (check_args(ca, reportdata, rtmr, quote, len, err, errlen))
		return -1;
	if (body_type != TDX_BODY_TD10 && body_type != TDX_BODY_TD15)
		return set_error(err, errlen,
				 "sim quote: unsupported v5 body type %u (want 2 or 3)", body_type);
	return sim_quote(ca, TDX_QUOTE_V5, body_type, reportdata, rtmr, quote, len, err, errlen);
}
