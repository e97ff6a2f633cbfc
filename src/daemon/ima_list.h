/* SPDX-License-Identifier: MIT */
/* IMA's binary_runtime_measurements: parse entries and compute each entry's template digest
 * for any hash, exactly as IMA does (security/integrity/ima/ima_crypto.c). Pure functions. */
#ifndef VTPM_IMA_LIST_H
#define VTPM_IMA_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hash_alg.h"

#define IMA_NAME_MAX 255          /* template name length limit */
#define IMA_EVENT_NAME_LEN_MAX 255 /* the 'ima' template pads its n field to this + 1 */
#define IMA_MAX_TEMPLATE_DATA (1 << 20)

struct ima_entry {
	uint32_t pcr;
	uint8_t sha1[20];          /* template digest as listed (all zero: a violation) */
	char name[IMA_NAME_MAX + 1];
	const uint8_t *data;       /* template data as listed (points into the buffer) */
	size_t data_len;
	bool violation;
};

/* Parse one entry at buf (len bytes available). Returns the entry's size (> 0), 0 if the
 * buffer holds only part of an entry (need more data), or -1 if it is malformed (err set). */
long ima_entry_parse(const uint8_t *buf, size_t len, struct ima_entry *e, char *err,
		     size_t errlen);

/* The entry's template digest in hash alg (what IMA extends into that bank); a violation
 * gives all 0xFF. 0 or -1 (err set: e.g. an 'ima' template whose data is malformed). */
int ima_template_digest(const struct ima_entry *e, const struct hash_alg *alg, uint8_t *out,
			char *err, size_t errlen);

/* True if the entry is boot_aggregate with an all-zero file digest (IMA found no TPM). */
bool ima_entry_is_zero_boot_aggregate(const struct ima_entry *e);

#endif
