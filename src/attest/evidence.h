/* SPDX-License-Identifier: MIT */
/* The attestation evidence document (one JSON object) and the EK binding:
 * report_data = SHA-512(nonce || TPMT_PUBLIC(EK)). */
#ifndef VTPM_EVIDENCE_H
#define VTPM_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash_alg.h"

#define EVIDENCE_VERSION 1
#define EVIDENCE_MAX_LOGS 8
#define EVIDENCE_MAX_NONCE 1024

struct json_object;

struct evidence_log {
	unsigned rtmr;
	const struct hash_alg *alg;
	char *text;
	size_t len;
};

struct evidence {
	int version;
	char provider[64];
	uint8_t nonce[EVIDENCE_MAX_NONCE];
	size_t nonce_len;
	char ek_type[16];
	uint8_t *ek_pub;  /* TPMT_PUBLIC */
	size_t ek_pub_len;
	uint8_t report_data[64];
	uint8_t *quote;
	size_t quote_len;
	struct evidence_log logs[EVIDENCE_MAX_LOGS];
	size_t nlogs;
	char time[40];
};

/* SHA-512(nonce || ek_pub). 0 or -1. */
int evidence_report_data(const uint8_t *nonce, size_t nonce_len, const uint8_t *ek_pub,
			 size_t ek_pub_len, uint8_t out[64]);
/* "rsa2048", "ecc-p256", "ecc-p384", or "unknown" for a TPMT_PUBLIC. */
const char *evidence_ek_type(const uint8_t *ek_pub, size_t len);

int evidence_to_json(const struct evidence *e, struct json_object **out);
/* Parse and type-check a document; errors name the field. 0 or -1. */
int evidence_from_json(const char *text, struct evidence *e, char *err, size_t errlen);
void evidence_free(struct evidence *e);

/* base64 helpers (OpenSSL), malloc'd results. */
char *base64_encode(const uint8_t *data, size_t len);
int base64_decode(const char *text, uint8_t **out, size_t *outlen);

#endif
