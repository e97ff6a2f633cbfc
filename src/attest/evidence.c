// SPDX-License-Identifier: MIT
#include "attest/evidence.h"

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "common/util.h"
#include "tpm_cmds/pcr_cmds.h"

int evidence_report_data(const uint8_t *nonce, size_t nonce_len, const uint8_t *ek_pub,
			 size_t ek_pub_len, uint8_t out[64])
{
	const struct hash_alg *sha512 = hash_alg_by_name("sha512");
	_cleanup_free_ uint8_t *buf = malloc(nonce_len + ek_pub_len + 1);

	if (!buf)
		return -1;
	memcpy(buf, nonce, nonce_len);
	memcpy(buf + nonce_len, ek_pub, ek_pub_len);
	return hash_digest(sha512, buf, nonce_len + ek_pub_len, out);
}

const char *evidence_ek_type(const uint8_t *ek_pub, size_t len)
{
	TPMT_PUBLIC pub;
	size_t off = 0;

	memset(&pub, 0, sizeof(pub));
	if (Tss2_MU_TPMT_PUBLIC_Unmarshal(ek_pub, len, &off, &pub) || off != len)
		return "unknown";
	if (pub.type == TPM2_ALG_RSA && pub.parameters.rsaDetail.keyBits == 2048)
		return "rsa2048";
	if (pub.type == TPM2_ALG_ECC && pub.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256)
		return "ecc-p256";
	if (pub.type == TPM2_ALG_ECC && pub.parameters.eccDetail.curveID == TPM2_ECC_NIST_P384)
		return "ecc-p384";
	return "unknown";
}

char *base64_encode(const uint8_t *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

int base64_decode(const char *text, uint8_t **out, size_t *outlen)
{
	size_t len = strlen(text), pad = 0;
	uint8_t *buf;
	int n;

	if (len % 4)
		return -1;
	while (pad < 2 && len > pad && text[len - 1 - pad] == '=')
		pad++;
	buf = malloc(len / 4 * 3 + 1);
	if (!buf)
		return -1;
	n = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len);
	if (n < 0 || (size_t)n < pad) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = (size_t)n - pad;
	return 0;
}

static json_object *hex_string(const uint8_t *data, size_t len)
{
	_cleanup_free_ char *hex = malloc(2 * len + 1);

	if (!hex)
		return NULL;
	hex_encode(data, len, hex);
	return json_object_new_string(hex);
}

static json_object *b64_string(const uint8_t *data, size_t len)
{
	_cleanup_free_ char *b64 = base64_encode(data, len);

	return b64 ? json_object_new_string(b64) : NULL;
}

static json_object *logs_json(const struct evidence *e)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < e->nlogs; i++) {
		json_object *l = json_object_new_object();

		json_object_object_add(l, "rtmr", json_object_new_int((int)e->logs[i].rtmr));
		json_object_object_add(l, "hashAlg", json_object_new_string(e->logs[i].alg->name));
		json_object_object_add(l, "log", json_object_new_string_len(e->logs[i].text,
									   (int)e->logs[i].len));
		json_object_array_add(arr, l);
	}
	return arr;
}

static json_object *tpm_quote_json(const struct evidence_tpm_quote *q)
{
	json_object *o = json_object_new_object(), *pcrs = json_object_new_array();

	for (size_t i = 0; i < q->nvalues; i++) {
		const struct tpm_pcr_value *v = &q->values[i];
		const struct hash_alg *alg = hash_alg_by_tpm(v->alg);
		json_object *p = json_object_new_object();

		json_object_object_add(p, "pcr", json_object_new_int(v->pcr));
		json_object_object_add(p, "hashAlg", json_object_new_string(alg ? alg->name : "?"));
		json_object_object_add(p, "value", hex_string(v->value, v->len));
		json_object_array_add(pcrs, p);
	}
	json_object_object_add(o, "attest", b64_string(q->attest, q->attest_len));
	json_object_object_add(o, "signature", b64_string(q->sig, q->sig_len));
	json_object_object_add(o, "pcrs", pcrs);
	return o;
}

int evidence_to_json(const struct evidence *e, json_object **out)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "version", json_object_new_int(e->version));
	json_object_object_add(o, "provider", json_object_new_string(e->provider));
	json_object_object_add(o, "nonce", hex_string(e->nonce, e->nonce_len));
	json_object_object_add(o, "ekType", json_object_new_string(e->ek_type));
	json_object_object_add(o, "ekPublic", b64_string(e->ek_pub, e->ek_pub_len));
	json_object_object_add(o, "reportData", hex_string(e->report_data, 64));
	json_object_object_add(o, "quote", b64_string(e->quote, e->quote_len));
	json_object_object_add(o, "logs", logs_json(e));
	json_object_object_add(o, "time", json_object_new_string(e->time));
	json_object_object_add(o, "akPublic", b64_string(e->ak_pub, e->ak_pub_len));
	json_object_object_add(o, "tpmQuote", tpm_quote_json(&e->tpm));
	if (e->ccel)
		json_object_object_add(o, "ccel", b64_string(e->ccel, e->ccel_len));
	*out = o;
	return 0;
}

static const char *get_string(json_object *o, const char *key, char *err, size_t errlen)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)) {
		set_error(err, errlen, "evidence: field '%s' missing or not a string", key);
		return NULL;
	}
	return json_object_get_string(v);
}

static int get_hex(json_object *o, const char *key, uint8_t *out, size_t cap, size_t *len,
		   char *err, size_t errlen)
{
	const char *s = get_string(o, key, err, errlen);

	if (!s)
		return -1;
	if (hex_decode(s, strlen(s), out, cap, len) < 0)
		return set_error(err, errlen,
				 "evidence: field '%s' is not hex of at most %zu bytes", key, cap);
	return 0;
}

static int get_b64(json_object *o, const char *key, uint8_t **out, size_t *len, char *err,
		   size_t errlen)
{
	const char *s = get_string(o, key, err, errlen);

	if (!s)
		return -1;
	if (base64_decode(s, out, len) < 0)
		return set_error(err, errlen, "evidence: field '%s' is not base64", key);
	return 0;
}

static int get_log(json_object *l, struct evidence_log *out, char *err, size_t errlen)
{
	json_object *v;
	const char *alg, *text;
	int32_t rtmr;

	if (!json_object_object_get_ex(l, "rtmr", &v) || !json_object_is_type(v, json_type_int) ||
	    (rtmr = json_object_get_int(v)) < 0 || rtmr > 7)
		return set_error(err, errlen,
				 "evidence: a log's 'rtmr' is missing or out of range");
	alg = get_string(l, "hashAlg", err, errlen);
	text = alg ? get_string(l, "log", err, errlen) : NULL;
	if (!text)
		return -1;
	out->alg = hash_alg_by_name(alg);
	if (!out->alg)
		return set_error(err, errlen, "evidence: unknown log hashAlg '%s'", alg);
	out->rtmr = (unsigned)rtmr;
	out->len = (size_t)json_object_get_string_len(json_object_object_get(l, "log"));
	out->text = malloc(out->len + 1);
	if (!out->text)
		return -1;
	memcpy(out->text, text, out->len + 1);
	return 0;
}

static int get_logs(json_object *o, struct evidence *e, char *err, size_t errlen)
{
	json_object *arr;
	size_t n;

	if (!json_object_object_get_ex(o, "logs", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return set_error(err, errlen, "evidence: field 'logs' missing or not an array");
	n = json_object_array_length(arr);
	if (n > EVIDENCE_MAX_LOGS)
		return set_error(err, errlen, "evidence: too many logs (%zu)", n);
	for (size_t i = 0; i < n; i++) {
		if (get_log(json_object_array_get_idx(arr, i), &e->logs[i], err, errlen) < 0)
			return -1;
		e->nlogs++;
	}
	return 0;
}

/* Base64 of at most cap bytes into a fixed buffer. */
static int get_b64_into(json_object *o, const char *key, uint8_t *out, size_t cap, size_t *len,
			char *err, size_t errlen)
{
	_cleanup_free_ uint8_t *data = NULL;

	if (get_b64(o, key, &data, len, err, errlen) < 0)
		return -1;
	if (*len > cap)
		return set_error(err, errlen, "evidence: field '%s' longer than %zu bytes", key, cap);
	memcpy(out, data, *len);
	return 0;
}

static int get_pcr_value(json_object *p, struct tpm_pcr_value *v, char *err, size_t errlen)
{
	const struct hash_alg *alg;
	json_object *n;
	const char *name;
	size_t len;
	int32_t pcr;

	if (!json_object_is_type(p, json_type_object) || !json_object_object_get_ex(p, "pcr", &n) ||
	    !json_object_is_type(n, json_type_int) || (pcr = json_object_get_int(n)) < 0 ||
	    pcr >= PCR_CMDS_PCR_COUNT)
		return set_error(err, errlen, "evidence: a quoted PCR's 'pcr' is missing or out "
				 "of range");
	name = get_string(p, "hashAlg", err, errlen);
	if (!name)
		return -1;
	alg = hash_alg_by_name(name);
	if (!alg)
		return set_error(err, errlen, "evidence: unknown quoted PCR hashAlg '%s'", name);
	if (get_hex(p, "value", v->value, sizeof(v->value), &len, err, errlen) < 0)
		return -1;
	if (len != alg->size)
		return set_error(err, errlen, "evidence: quoted PCR %d %s is %zu bytes, not %zu",
				 pcr, name, len, alg->size);
	v->alg = alg->tpm_alg;
	v->pcr = (uint8_t)pcr;
	v->len = (uint8_t)len;
	return 0;
}

static int get_tpm_quote(json_object *o, struct evidence_tpm_quote *q, char *err, size_t errlen)
{
	json_object *t, *pcrs;
	size_t n;

	if (!json_object_object_get_ex(o, "tpmQuote", &t) ||
	    !json_object_is_type(t, json_type_object))
		return set_error(err, errlen, "evidence: field 'tpmQuote' missing or not an object");
	if (get_b64_into(t, "attest", q->attest, sizeof(q->attest), &q->attest_len, err,
			 errlen) < 0 ||
	    get_b64_into(t, "signature", q->sig, sizeof(q->sig), &q->sig_len, err, errlen) < 0)
		return -1;
	if (!json_object_object_get_ex(t, "pcrs", &pcrs) ||
	    !json_object_is_type(pcrs, json_type_array))
		return set_error(err, errlen, "evidence: field 'tpmQuote.pcrs' missing or not an "
				 "array");
	n = json_object_array_length(pcrs);
	if (n > TPM_PCR_FILE_MAX_VALUES)
		return set_error(err, errlen, "evidence: too many quoted PCR values (%zu)", n);
	for (size_t i = 0; i < n; i++)
		if (get_pcr_value(json_object_array_get_idx(pcrs, i), &q->values[i], err,
				  errlen) < 0)
			return -1;
	q->nvalues = n;
	return 0;
}

/* The firmware's CC event log, when the evidence carries one. */
static int get_ccel(json_object *o, struct evidence *e, char *err, size_t errlen)
{
	if (!json_object_object_get_ex(o, "ccel", NULL))
		return 0;
	if (get_b64(o, "ccel", &e->ccel, &e->ccel_len, err, errlen) < 0)
		return -1;
	if (e->ccel_len > EVIDENCE_MAX_CCEL)
		return set_error(err, errlen, "evidence: 'ccel' larger than %u bytes",
				 EVIDENCE_MAX_CCEL);
	return 0;
}

static int copy_string(json_object *o, const char *key, char *dst, size_t cap, char *err,
		       size_t errlen)
{
	const char *s = get_string(o, key, err, errlen);

	if (!s)
		return -1;
	if (strlen(s) >= cap)
		return set_error(err, errlen, "evidence: field '%s' too long", key);
	strcpy(dst, s);
	return 0;
}

static int parse_fields(json_object *o, struct evidence *e, char *err, size_t errlen)
{
	json_object *v;
	size_t rdlen = 0;

	if (!json_object_object_get_ex(o, "version", &v) ||
	    json_object_get_int(v) != EVIDENCE_VERSION)
		return set_error(err, errlen, "evidence: unsupported or missing 'version' (want %d; "
				 "evidence of version 1 has no TPM quote: make it again with "
				 "this vtpm-rtmr)", EVIDENCE_VERSION);
	e->version = EVIDENCE_VERSION;
	if (copy_string(o, "provider", e->provider, sizeof(e->provider), err, errlen) < 0 ||
	    copy_string(o, "ekType", e->ek_type, sizeof(e->ek_type), err, errlen) < 0 ||
	    copy_string(o, "time", e->time, sizeof(e->time), err, errlen) < 0 ||
	    get_hex(o, "nonce", e->nonce, sizeof(e->nonce), &e->nonce_len, err, errlen) < 0 ||
	    get_hex(o, "reportData", e->report_data, 64, &rdlen, err, errlen) < 0 ||
	    get_b64(o, "ekPublic", &e->ek_pub, &e->ek_pub_len, err, errlen) < 0 ||
	    get_b64(o, "quote", &e->quote, &e->quote_len, err, errlen) < 0 ||
	    get_logs(o, e, err, errlen) < 0 ||
	    get_b64(o, "akPublic", &e->ak_pub, &e->ak_pub_len, err, errlen) < 0 ||
	    get_tpm_quote(o, &e->tpm, err, errlen) < 0 || get_ccel(o, e, err, errlen) < 0)
		return -1;
	if (rdlen != 64)
		return set_error(err, errlen, "evidence: 'reportData' must be 64 bytes");
	return 0;
}

int evidence_from_json(const char *text, struct evidence *e, char *err, size_t errlen)
{
	json_tokener *tok = json_tokener_new();
	json_object *o;
	int r;

	memset(e, 0, sizeof(*e));
	if (!tok)
		return -1;
	o = json_tokener_parse_ex(tok, text, (int)strlen(text));
	if (!o || json_tokener_get_error(tok) != json_tokener_success)
		r = set_error(err, errlen, "evidence: not valid JSON: %s",
			      json_tokener_error_desc(json_tokener_get_error(tok)));
	else if (!json_object_is_type(o, json_type_object))
		r = set_error(err, errlen, "evidence: not a JSON object");
	else
		r = parse_fields(o, e, err, errlen);
	json_object_put(o);
	json_tokener_free(tok);
	if (r < 0)
		evidence_free(e);
	return r;
}

void evidence_free(struct evidence *e)
{
	free(e->ek_pub);
	free(e->quote);
	free(e->ak_pub);
	free(e->ccel);
	for (size_t i = 0; i < e->nlogs; i++)
		free(e->logs[i].text);
	memset(e, 0, sizeof(*e));
}
