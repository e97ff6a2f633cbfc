/* SPDX-License-Identifier: MIT */
/*
 * The TCG crypto-agile event log format (TCG PC Client Platform Firmware Profile, "TCG2"):
 * what UEFI firmware hands over for a TPM, and what TDX firmware keeps in the ACPI CCEL table
 * for its measurement registers (MR index 0 = MRTD, 1..4 = RTMR0..3, SHA-384).
 *
 * The one parser and writer of this format in the project. Pure functions over memory: no
 * I/O, every length checked against the buffer before it is used.
 *
 * Layout (all integers little endian):
 *   Spec ID header, a TCG_PCClientPCREvent (SHA-1 log format):
 *     u32 pcrIndex = 0, u32 eventType = EV_NO_ACTION, u8 digest[20] = 0, u32 eventSize,
 *     TCG_EfiSpecIDEventStruct: "Spec ID Event03\0", u32 platformClass, u8 specVersionMinor,
 *     u8 specVersionMajor, u8 specErrata, u8 uintnSize, u32 numberOfAlgorithms,
 *     {u16 algorithmId, u16 digestSize}[numberOfAlgorithms], u8 vendorInfoSize, vendorInfo
 *   then events, each a TCG_PCR_EVENT2:
 *     u32 pcrIndex, u32 eventType, u32 digestCount, {u16 hashAlg, digest}[digestCount],
 *     u32 eventSize, u8 event[eventSize]
 */
#ifndef VTPM_EVENTLOG_TCG2_H
#define VTPM_EVENTLOG_TCG2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hash_alg.h"
#include "eventlog/bytebuf.h"

#define TCG2_EV_NO_ACTION 0x00000003u
#define TCG2_EV_EVENT_TAG 0x00000006u

/* taggedEventID of our events: the bytes "NELR" read as a big-endian u32 (as CoCo's "AAEL"). */
#define TCG2_TAG_NELR 0x4e454c52u

#define TCG2_MAX_ALGS 16   /* algorithms in a Spec ID header, digests in one event */
#define TCG2_MAX_INDEX 32  /* PCR / MR indices a replay keeps (TPM2_MAX_PCRS) */
#define TCG2_SPEC_ID_SIGNATURE "Spec ID Event03"  /* 16 bytes with its NUL */

struct tcg2_digest {
	uint16_t alg_id;              /* TPM_ALG_ID */
	uint16_t size;
	const struct hash_alg *alg;   /* NULL if the project does not know the algorithm */
	const uint8_t *d;             /* parser: points into the buffer */
};

struct tcg2_alg_size {
	uint16_t alg_id;
	uint16_t size;
};

struct tcg2_spec_id {
	uint32_t platform_class;
	uint8_t version_minor, version_major, errata, uintn_size;
	uint32_t nalgs;
	struct tcg2_alg_size algs[TCG2_MAX_ALGS];
	uint8_t vendor_info_size;
	const uint8_t *vendor_info;   /* parser: points into the buffer */
};

struct tcg2_event {
	size_t number;      /* 0-based; the Spec ID header is not an event */
	size_t offset;      /* of its first byte in the buffer */
	size_t size;        /* bytes from pcrIndex to the end of the event data */
	uint32_t index;     /* PCR index, or MR index in a CC event log */
	uint32_t type;
	uint32_t ndigests;
	struct tcg2_digest digests[TCG2_MAX_ALGS];
	uint32_t data_size;
	const uint8_t *data;
};

struct tcg2_log_info {
	bool has_spec_id;
	struct tcg2_spec_id spec_id;
	size_t spec_id_size;  /* bytes of the header event (0 without one) */
	size_t events;
	size_t end;           /* offset just after the last event */
	size_t padding;       /* bytes after end: all 0x00 or all 0xFF (unused log area) */
};

/* Called for every event in order; a non-zero return stops the parse with that error. */
typedef int (*tcg2_event_cb)(void *ctx, const struct tcg2_event *ev, char *err, size_t errlen);

/*
 * Parse a whole log in buf. It starts with a Spec ID header if and only if its first event
 * has pcrIndex 0 and type EV_NO_ACTION (read as the SHA-1 format); the header must then be
 * a valid "Spec ID Event03" (a TCG 1.2 SHA-1 log is refused), and every event digest must be
 * of a header algorithm and of the size the header gives. Without a header (a continuation
 * meant to be appended to another log) digests must be of algorithms hash_alg.h knows.
 * Events: at most TCG2_MAX_ALGS digests, no algorithm twice, every length inside buf. From
 * an event boundary on, a rest that is all 0x00 or all 0xFF is padding, not events. An empty
 * buf is a log without header and events.
 * Returns 0 with info filled (info may be NULL), or -1 with err = "offset N: what" (for an
 * error in or about an event: "offset N (event K): what"). cb may be NULL.
 */
int tcg2_log_parse(const uint8_t *buf, size_t len, tcg2_event_cb cb, void *ctx,
		   struct tcg2_log_info *info, char *err, size_t errlen);

/*
 * Only the header: has_spec_id, spec_id and spec_id_size of info (the rest zeroed), by the
 * rules of tcg2_log_parse. 0, or -1 with err set.
 */
int tcg2_parse_spec_id(const uint8_t *buf, size_t len, struct tcg2_log_info *info, char *err,
		       size_t errlen);

/* If ev is an EV_EVENT_TAG whose data is exactly one TCG_PCClientTaggedEvent: its parts. */
bool tcg2_tagged_event(const struct tcg2_event *ev, uint32_t *tag, const uint8_t **data,
		       uint32_t *size);

/* ---- writing ---- */

/* Platform class 0 (client), spec 2.0 errata 0, uintnSize 2 (64-bit), no vendor info. */
void tcg2_spec_id_init(struct tcg2_spec_id *s, const struct hash_alg *const *algs, size_t n);
/* Append the Spec ID header; -1 (nothing written) if nalgs is 0 or over TCG2_MAX_ALGS. */
int tcg2_write_spec_id(struct bytebuf *b, const struct tcg2_spec_id *s);
/* Append one TCG_PCR_EVENT2; -1 (nothing written) if n > TCG2_MAX_ALGS or a size > UINT32_MAX. */
int tcg2_write_event(struct bytebuf *b, uint32_t index, uint32_t type, const struct tcg2_digest *d,
		     size_t n, const void *data, size_t size);
/* Append an EV_EVENT_TAG event whose data is TCG_PCClientTaggedEvent {tag, size, data}. */
int tcg2_write_tagged_event(struct bytebuf *b, uint32_t index, const struct tcg2_digest *d,
			    size_t n, uint32_t tag, const void *data, size_t size);
/* A tcg2_digest for a digest of a known algorithm (d must outlive its use). */
struct tcg2_digest tcg2_digest_of(const struct hash_alg *alg, const uint8_t *d);

/* ---- replay ---- */

struct tcg2_replay_bank {
	const struct hash_alg *alg;      /* hash_alg_all()[i] for banks[i] */
	uint32_t extended;               /* bit i: index i was extended at least once */
	uint8_t value[TCG2_MAX_INDEX][HASH_MAX_SIZE];
};

struct tcg2_replay {
	struct tcg2_replay_bank banks[TCG2_MAX_ALGS];
	size_t nbanks;
	size_t events;                   /* events replayed (EV_NO_ACTION included) */
	bool locality_set;               /* a StartupLocality event was seen */
	uint8_t locality;
};

void tcg2_replay_init(struct tcg2_replay *r);

/*
 * Extend every digest of ev of a known algorithm into its bank: value = H(value || digest),
 * from all zero. EV_NO_ACTION events are not extended (a StartupLocality event at index 0
 * before the first extend of index 0 sets that index's initial value to the locality, as
 * in a TPM); digests of unknown algorithms are skipped. An index >= TCG2_MAX_INDEX on an
 * extended event is an error. 0 or -1.
 */
int tcg2_replay_event(struct tcg2_replay *r, const struct tcg2_event *ev, char *err,
		      size_t errlen);

/* The replayed value of index in alg's bank; NULL if the index was never extended there. */
const uint8_t *tcg2_replay_value(const struct tcg2_replay *r, const struct hash_alg *alg,
				 unsigned index);

/* Parse buf (tcg2_log_parse) and replay every event into r (initialised here). */
int tcg2_replay_log(struct tcg2_replay *r, const uint8_t *buf, size_t len,
		    struct tcg2_log_info *info, char *err, size_t errlen);

/*
 * The per-index replay of one bank, for CC event logs: values[i] (i < n) = the replay of
 * index i in alg from zero (all zero if never extended), *mask bit i set if it was extended
 * (mask may be NULL). For a TDX CCEL with alg SHA-384, values[N + 1] is what RTMR N holds
 * after the firmware (MR index = RTMR + 1; index 0 is MRTD, never extended at runtime).
 * 0, or -1 with err set (a malformed log, or an index >= n that is extended in alg).
 */
int tcg2_replay_mr(const uint8_t *buf, size_t len, const struct hash_alg *alg,
		   uint8_t (*values)[HASH_MAX_SIZE], size_t n, uint32_t *mask, char *err,
		   size_t errlen);

/* ---- showing ---- */

/* "EV_EVENT_TAG" etc., or NULL for a type without a name here. */
const char *tcg2_event_type_name(uint32_t type);

/*
 * Event data as one line of safe text in out (always NUL-terminated): a tagged event as
 * `tag 0x<id> ("NELR") "<data>"`, data that is printable ASCII (a final NUL allowed) as
 * "<text>", anything else as hex; in quoted text '"', '\' and any byte outside 0x20..0x7e
 * are escaped (\", \\, \xNN). Longer output is cut with "..." and the byte count. Returns
 * out.
 */
char *tcg2_render_data(const struct tcg2_event *ev, char *out, size_t cap);

#endif
