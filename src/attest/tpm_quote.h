/* SPDX-License-Identifier: MIT */
/*
 * TPM 2.0 quotes as tpm2-tools 5.4 writes them (tpm2_createak, tpm2_quote): load the AK public
 * key, check a quote's signature, compute the pcrDigest a set of PCR values implies, and read
 * tpm2_quote's PCR output file. TPM structures are (un)marshalled with libtss2-mu.
 */
#ifndef VTPM_TPM_QUOTE_H
#define VTPM_TPM_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

/*
 * Load an AK public key (RSA or ECC NIST P-256/P-384/P-521) from a file: PEM or DER
 * SubjectPublicKeyInfo (tpm2_createak -f pem|der), TPM2B_PUBLIC (-f tss, the default) or
 * TPMT_PUBLIC (-f tpmt). The TPM forms must fill the file exactly. 0 with *out set (the
 * caller frees it with EVP_PKEY_free), or -1 with err set.
 */
/* The public key of a TPM2B_PUBLIC or TPMT_PUBLIC (RSA or ECC) in memory. 0 or -1 + err. */
int tpm_public_to_evp(const uint8_t *buf, size_t len, EVP_PKEY **out, char *err, size_t errlen);
int tpm_ak_load(const char *path, EVP_PKEY **out, char *err, size_t errlen);

/*
 * An attestation key's TPMT_PUBLIC, strictly: exactly one TPMT_PUBLIC filling buf, RSA or ECC,
 * with restricted, sign, fixedTPM, fixedParent and sensitiveDataOrigin set and decrypt clear
 * (a key that can sign only what the TPM itself produced, and never leaves it). *key (may be
 * NULL) gets its public key. 0, or -1 with err naming what is wrong.
 */
int tpm_ak_public_check(const uint8_t *buf, size_t len, EVP_PKEY **key, char *err,
			size_t errlen);

struct tpm_quote_info {
	TPML_PCR_SELECTION sel; /* quoted selection */
	uint8_t pcr_digest[64];
	size_t pcr_digest_len;
	uint8_t nonce[64]; /* extraData (qualifying data) */
	size_t nonce_len;
	uint16_t sig_hash; /* TPM_ALG_ID of the signature's hash; 0 if sig did not parse */
};

/*
 * Check a quote: msg is tpm2_quote's -m file, the raw TPMS_ATTEST that was signed (a
 * TPM2B_ATTEST, size-prefixed, is accepted too); sig is its -s file, a TPMT_SIGNATURE
 * (-f tss, the default). Both must be consumed exactly. The magic must be TPM_GENERATED_VALUE
 * and the type TPM_ST_ATTEST_QUOTE. The signature (RSASSA, RSAPSS with any salt length, or
 * ECDSA; hash from the signature) is verified with ak.
 * Returns 0 if the signature verifies, 1 if it does not (wrong key, wrong key type, altered
 * message; err says so), -1 if msg or sig is malformed or unsupported. info (may be NULL) is
 * zeroed, then filled from msg as soon as it parses, and sig_hash once sig parses.
 * It is the caller's job to compare info->nonce, info->sel and info->pcr_digest with what it
 * expects (tpm_pcr_digest() over info->sel with info->sig_hash gives the latter).
 */
int tpm_quote_check(const uint8_t *msg, size_t msglen, const uint8_t *sig, size_t siglen,
		    EVP_PKEY *ak, struct tpm_quote_info *info, char *err, size_t errlen);

/*
 * A PCR's value in a bank: write it into out (room for HASH_MAX_SIZE = 64 bytes), its length in
 * *len; 0, or -1 when the value is unknown.
 */
typedef int (*tpm_pcr_value_fn)(void *ctx, uint16_t alg, unsigned pcr, uint8_t *out,
				size_t *len);

/*
 * pcrDigest of TPM2_Quote: H_digest_alg(the selected PCR values concatenated in selection
 * order: banks in list order, PCRs ascending within a bank). Every bank's algorithm must be
 * known (hash_alg.h) and every value fn returns must have that algorithm's size. out needs
 * room for 64 bytes; *outlen is set to the digest size. 0, or -1 with err set.
 */
int tpm_pcr_digest(const TPML_PCR_SELECTION *sel, uint16_t digest_alg, tpm_pcr_value_fn fn,
		   void *ctx, uint8_t *out, size_t *outlen, char *err, size_t errlen);

/* Same banks in the same order, and the same PCRs in each (sizeofSelect may differ). */
bool tpm_pcr_selection_equal(const TPML_PCR_SELECTION *a, const TPML_PCR_SELECTION *b);

/* The most values a tpm2-tools PCR file holds: TPM2_MAX_PCRS lists of 8 digests. */
#define TPM_PCR_FILE_MAX_VALUES (TPM2_MAX_PCRS * 8)

struct tpm_pcr_value {
	uint16_t alg; /* TPM_ALG_ID of the bank */
	uint8_t pcr;
	uint8_t len;
	uint8_t value[64];
};

struct tpm_pcr_file {
	TPML_PCR_SELECTION sel; /* as in the file: the selection asked of tpm2_quote */
	size_t nvalues;         /* one per selected PCR, in selection order */
	struct tpm_pcr_value values[TPM_PCR_FILE_MAX_VALUES];
};

/*
 * Read tpm2_quote's -o file in the default "serialized" format (tpm2-tools 5.4,
 * lib/pcr.c pcr_fwrite_serialized). It is NOT TPM-marshalled but a little-endian dump of the
 * tool's in-memory structures with their x86-64/aarch64 padding:
 *   TPML_PCR_SELECTION  132 bytes: u32 count; 16 x { u16 hash; u8 sizeofSelect;
 *                                  u8 pcrSelect[4]; u8 pad }
 *   u32 n               number of TPML_DIGEST lists that follow (n <= 32)
 *   n x TPML_DIGEST     532 bytes each: u32 count (<= 8); 8 x { u16 size; u8 buffer[64] }
 * The digests, read in order across the lists, are the selected PCRs in selection order.
 * Strict: exact file size, known bank algorithms, no bank twice, digest sizes equal to the
 * bank's, as many digests as selected PCRs. 0, or -1 with err set.
 */
int tpm_pcr_file_load(const char *path, struct tpm_pcr_file *out, char *err, size_t errlen);
/* The same from a buffer (source names it in errors). */
int tpm_pcr_file_parse(const uint8_t *buf, size_t len, const char *source,
		       struct tpm_pcr_file *out, char *err, size_t errlen);

/* A tpm_pcr_value_fn over a struct tpm_pcr_file (ctx). */
int tpm_pcr_file_value(void *ctx, uint16_t alg, unsigned pcr, uint8_t *out, size_t *len);

#endif
