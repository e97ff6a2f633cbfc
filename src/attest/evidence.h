/* SPDX-License-Identifier: MIT */
/* The attestation evidence document (one JSON object) and the EK binding:
 * report_data = SHA-512(nonce || TPMT_PUBLIC(EK)). */
#ifndef VTPM_EVIDENCE_H
#define VTPM_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "attest/tpm_quote.h"
#include "common/hash_alg.h"

#define EVIDENCE_VERSION 2
#define EVIDENCE_MAX_LOGS 8
#define EVIDENCE_MAX_NONCE 1024
#define EVIDENCE_MAX_TPM_ATTEST 1024
#define EVIDENCE_MAX_TPM_SIGNATURE 1024
#define EVIDENCE_MAX_CCEL (8u << 20)

struct json_object;

struct evidence_log {
	unsigned rtmr;
	const struct hash_alg *alg;
	char *text;
	size_t len;
};

/* The TPM quote `vtpm-rtmr attest` made with the daemon's AK, and the values it quoted. */
struct evidence_tpm_quote {
	uint8_t attest[EVIDENCE_MAX_TPM_ATTEST]; /* TPMS_ATTEST, as signed */
	size_t attest_len;
	uint8_t sig[EVIDENCE_MAX_TPM_SIGNATURE]; /* TPMT_SIGNATURE */
	size_t sig_len;
	size_t nvalues;                          /* in the quote's selection order */
	struct tpm_pcr_value values[TPM_PCR_FILE_MAX_VALUES];
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
	uint8_t *ak_pub;  /* TPMT_PUBLIC of the AK that signed tpm */
	size_t ak_pub_len;
	struct evidence_tpm_quote tpm;
	uint8_t *ccel;    /* the firmware's CC event log; NULL when the TD has none */
	size_t ccel_len;
};

/* SHA-512(nonce || ek_pub). 0 or -1. */
int evidence_report_data(const uint8_t *nonce, size_t nonce_len, const uint8_t *ek_pub,
			 size_t ek_pub_len, uint8_t out[64]);
/* "rsa2048", "ecc-p256", "ecc-p384", or "unknown" for a TPMT_PUBLIC. */
const char *evidence_ek_type(const uint8_t *ek_pub, size_t len);

/*
 * The document: version (2), provider, nonce (hex), ekType, ekPublic (base64 TPMT_PUBLIC),
 * reportData (hex), quote (base64 TEE quote), logs [{rtmr, hashAlg, log}], time, akPublic
 * (base64 TPMT_PUBLIC), tpmQuote {attest (base64 TPMS_ATTEST), signature (base64
 * TPMT_SIGNATURE), pcrs [{pcr, hashAlg, value (hex)}]}, and ccel (base64) when there is one.
 */
int evidence_to_json(const struct evidence *e, struct json_object **out);
/* Parse and type-check a document; errors name the field. 0 or -1. */
int evidence_from_json(const char *text, struct evidence *e, char *err, size_t errlen);
void evidence_free(struct evidence *e);

/* base64 helpers (OpenSSL), malloc'd results. */
char *base64_encode(const uint8_t *data, size_t len);
int base64_decode(const char *text, uint8_t **out, size_t *outlen);

#endif
