/* SPDX-License-Identifier: MIT */
/* The hash algorithms of PCR banks, RTMRs and the event log: names, TPM_ALG_IDs, sizes. */
#ifndef VTPM_HASH_ALG_H
#define VTPM_HASH_ALG_H

#include <stddef.h>
#include <stdint.h>

#define HASH_MAX_SIZE 64

struct hash_alg {
	const char *name;  /* event-log name: sha1, sha256, ... */
	uint16_t tpm_alg;  /* TPM_ALG_ID */
	size_t size;       /* digest size in bytes */
	const char *evp;   /* OpenSSL digest name */
};

/* NULL when unknown. */
const struct hash_alg *hash_alg_by_name(const char *name);
const struct hash_alg *hash_alg_by_name_n(const char *name, size_t len);
const struct hash_alg *hash_alg_by_tpm(uint16_t tpm_alg);
/* All known algorithms, in TPM_ALG_ID order; *count set. */
const struct hash_alg *hash_alg_all(size_t *count);

/* out = H(data); returns 0 or -1. */
int hash_digest(const struct hash_alg *alg, const void *data, size_t len, uint8_t *out);
/* reg = H(reg || digest), with digest_len bytes of digest (an RTMR or PCR extend). */
int hash_extend(const struct hash_alg *alg, uint8_t *reg, const uint8_t *digest, size_t digest_len);

#endif
