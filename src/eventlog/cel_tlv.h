/* SPDX-License-Identifier: MIT */
/*
 * TCG Canonical Event Log (CEL), TLV encoding: the parser and writer. Pure functions over
 * memory, every length checked against the buffer.
 *
 * A TLV is: u8 type, u32 length (big endian), value. A record is four TLVs in this order:
 *   recnum   type 0, value the record number (big endian, 1..8 bytes; we write 8)
 *   index    type 1 (PCR), 2 (NV index) or 108 (CCMR, a confidential-computing measurement
 *            register: MR index, RTMR + 1 on TDX, as go-tpm-tools' cel package writes),
 *            value the index (big endian, 1..4 bytes; we write 1)
 *   digests  type 3, value one or more TLVs: type = TPM_ALG_ID, value = the digest
 *   content  any other type, value the event content
 * Record numbers go up by one from record to record.
 */
#ifndef VTPM_EVENTLOG_CEL_TLV_H
#define VTPM_EVENTLOG_CEL_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash_alg.h"
#include "eventlog/bytebuf.h"

#define CEL_TLV_RECNUM 0
#define CEL_TLV_PCR 1
#define CEL_TLV_NV_INDEX 2
#define CEL_TLV_DIGESTS 3
#define CEL_TLV_CCMR 108
/*
 * Content type of our records: the NELR record line (no LF), the digests' preimage. Not
 * assigned by the CEL specification (as go-tpm-tools' COS type 80 is not): 0x4e, 'N'.
 */
#define CEL_TLV_CONTENT_NELR 0x4e

#define CEL_TLV_MAX_DIGESTS 16

struct cel_tlv_digest {
	uint8_t alg_id;               /* TPM_ALG_ID (all hash algorithms' IDs fit a byte) */
	const struct hash_alg *alg;   /* NULL if unknown */
	uint32_t size;
	const uint8_t *d;             /* parser: points into the buffer */
};

struct cel_tlv_record {
	size_t offset;       /* of the record's first byte */
	size_t size;         /* bytes of its four TLVs */
	uint64_t recnum;
	uint8_t recnum_len;  /* bytes of the recnum value; 0 = 8 for the writer */
	uint8_t index_type;  /* CEL_TLV_PCR, CEL_TLV_NV_INDEX or CEL_TLV_CCMR */
	uint8_t index_len;   /* bytes of the index value; 0 = 1 (or 4 if > 255) for the writer */
	uint32_t index;
	size_t ndigests;
	struct cel_tlv_digest digests[CEL_TLV_MAX_DIGESTS];
	uint8_t content_type;
	uint32_t content_size;
	const uint8_t *content;
};

typedef int (*cel_tlv_record_cb)(void *ctx, const struct cel_tlv_record *rec, char *err,
				 size_t errlen);

/*
 * Parse every record of buf. Digests of a known algorithm must have its size; others 1..64
 * bytes; no algorithm twice. Returns 0 with *nrecords set (may be NULL), or -1 with err =
 * "offset N (record K): what". cb may be NULL; a non-zero return stops with its error.
 */
int cel_tlv_parse(const uint8_t *buf, size_t len, cel_tlv_record_cb cb, void *ctx,
		  size_t *nrecords, char *err, size_t errlen);

/* Append one record; -1 (nothing written) on an invalid record. */
int cel_tlv_write_record(struct bytebuf *b, const struct cel_tlv_record *rec);

#endif
