/* SPDX-License-Identifier: MIT */
/*
 * The per-RTMR event log (DESIGN.md, "Event log"): build, append and parse records, replay a
 * log into its RTMR value and the implied PCR values, export logs as CEL-JSON.
 *
 * A log is text, one record per LF-terminated line; empty lines and lines starting with '#'
 * are comments (not hashed, not extended). Every record is extended into the RTMR as
 * rtmr = H(rtmr || H(line without LF)), H = the RTMR's hash.
 */
#ifndef VTPM_EVENTLOG_H
#define VTPM_EVENTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hash_alg.h"

#define EVLOG_MAX_LINE 4096 /* bytes of one line without its LF; a longer line is an error */
#define EVLOG_MAX_DIGESTS 16
#define EVLOG_PCRS 24
#define EVLOG_BANKS 8 /* one per algorithm of hash_alg_all() */

struct evlog_digest {
	const struct hash_alg *alg;
	uint8_t d[HASH_MAX_SIZE];
};

/*
 * Builders: write the record line, WITHOUT the LF but NUL-terminated, into buf (cap must be at
 * least length + 1); return its length, or -1 if cap is too small or an argument is invalid
 * (NULL alg, pcr >= EVLOG_PCRS, no digest, too many digests, the same alg twice).
 */
int evlog_fmt_init(char *buf, size_t cap, const struct hash_alg *alg, const uint8_t *value);
int evlog_fmt_sync(char *buf, size_t cap, const struct hash_alg *alg, const uint8_t *value);
int evlog_fmt_startup_clear(char *buf, size_t cap);
int evlog_fmt_ek(char *buf, size_t cap, const uint8_t sha256[32]);
int evlog_fmt_ak(char *buf, size_t cap, const uint8_t sha256[32]);
/* "vtpm map 1,7" for the PCRs of mask (bit n = PCR n), "vtpm map none" for 0. */
int evlog_fmt_map(char *buf, size_t cap, uint32_t pcr_mask);
int evlog_fmt_restart(char *buf, size_t cap);
/* The digests are written sorted by TPM_ALG_ID whatever their order in d. */
int evlog_fmt_extend(char *buf, size_t cap, unsigned pcr, const struct evlog_digest *d, size_t n);
int evlog_fmt_reset(char *buf, size_t cap, unsigned pcr);

/*
 * Append one record to an O_APPEND fd: ONE write() of line + "\n", retried only on EINTR.
 * 0, -ENOSPC on a short write to a full file system, -EIO on another short write,
 * -EINVAL if the line is empty, longer than EVLOG_MAX_LINE or contains a CR or LF, or
 * another -errno.
 */
int evlog_append(int fd, const char *line, size_t len);

enum evlog_kind {
	EVLOG_INIT,
	EVLOG_SYNC,
	EVLOG_STARTUP_CLEAR,
	EVLOG_EK,
	EVLOG_EXTEND,
	EVLOG_RESET,
	EVLOG_OTHER,
	EVLOG_COMMENT, /* not a record: evlog_replay_line() reports comments so */
	EVLOG_MAP,     /* vtpm map <pcr>[,<pcr>...] | none */
	EVLOG_AK,      /* vtpm ak <alg>/<hex> */
	EVLOG_RESTART, /* vtpm restart */
};

struct evlog_record {
	enum evlog_kind kind;
	unsigned pcr; /* EXTEND, RESET */
	uint32_t pcr_mask; /* MAP: bit n = PCR n */
	size_t ndigests; /* EXTEND (sorted by TPM_ALG_ID); EK, AK (one) */
	struct evlog_digest digests[EVLOG_MAX_DIGESTS];
	const struct hash_alg *alg; /* INIT, SYNC */
	uint8_t value[HASH_MAX_SIZE];
};

/* Empty, or starts with '#'. */
bool evlog_line_is_comment(const char *line, size_t len);

/* Checks every line, comment or record: at most EVLOG_MAX_LINE bytes, no CR, no LF. 0 or -1. */
int evlog_check_line(const char *line, size_t len, char *err, size_t errlen);

/*
 * Parse one non-comment line (no LF). Strict: single spaces, lowercase hex of exactly the
 * alg's size, known alg names, pcr 0..23 in decimal without leading zeros, digests sorted by
 * TPM_ALG_ID with no duplicate alg, no CR anywhere, at most EVLOG_MAX_LINE bytes. A record
 * whose first word is not INIT, SYNC or vtpm is EVLOG_OTHER and valid if it is non-empty
 * printable text (printable ASCII or well-formed UTF-8 without control characters), unless
 * that word is upper-case (starts with A-Z, no a-z: reserved for log keepers). A malformed
 * INIT, SYNC or vtpm record is an error. Returns 0, or -1 with a message in err (without line number).
 */
int evlog_parse_record(const char *line, size_t len, struct evlog_record *rec, char *err,
		       size_t errlen);

/* Replay. */
struct evlog_pcr_bank {
	const struct hash_alg *alg;
	bool used; /* the bank appeared in a vtpm extend record */
	uint8_t value[EVLOG_PCRS][HASH_MAX_SIZE];
};

/* The identity a `vtpm startup clear` or `vtpm restart` is followed by. */
struct evlog_group {
	size_t record;         /* the number of its startup/restart record; 0: no group */
	uint32_t map;          /* the PCRs mirrored into this log from here on */
	struct evlog_digest ek; /* the digest of the EK's TPMT_PUBLIC */
	struct evlog_digest ak; /* the digest of the AK's TPMT_PUBLIC */
};

struct evlog_replay {
	const struct hash_alg *alg; /* the RTMR's hash */
	uint8_t rtmr[HASH_MAX_SIZE]; /* register value after the records seen so far */
	uint8_t rtmr_before_last[HASH_MAX_SIZE]; /* value before the last record was extended */
	uint8_t last_digest[HASH_MAX_SIZE]; /* H(last record) */
	bool started; /* an INIT record was seen (it must be the first record) */
	size_t records; /* records replayed (comments not counted) */
	size_t sync_records;
	uint32_t pcrs_named; /* bit per PCR named by a vtpm extend or reset record */
	/*
	 * The group rule (DESIGN.md): right after `vtpm startup clear` and `vtpm restart` come
	 * `vtpm map`, `vtpm ek` and `vtpm ak`, in that order and nothing between (a SYNC aside:
	 * the log keeper writes it when it must); they appear nowhere else. The replay does not
	 * refuse a log that breaks it (the verifier does): it notes the first record that does.
	 */
	struct evlog_group group;  /* the last complete group */
	struct evlog_group open;   /* the group being read */
	unsigned group_step;       /* 0: none open; 1, 2, 3: map, ek, ak next */
	bool open_restart;         /* the open group follows a `vtpm restart` */
	size_t group_error;        /* the first record that breaks the rule; 0: none */
	const char *group_error_what;
	/*
	 * `vtpm restart` continues the TPM instance of the group before it (DESIGN.md
	 * "Restart"): its group must repeat that one (same map, EK and AK), and there must be one.
	 * The first restart record whose group does not; 0: none. Not a replay error either.
	 */
	size_t restart_error;
	const char *restart_error_what;
	size_t group_error_last;   /* the last record that broke the group rule; 0: none */
	size_t restart_error_last; /* the last restart record that broke its rule; 0: none */
	size_t last_startup;       /* the last `vtpm startup clear` record; 0: none */
	size_t last_sync;          /* the last SYNC record; 0: none */
	/* banks[i] is for hash_alg_all()[i] (TPM_ALG_ID order); used once an extend names it. */
	struct evlog_pcr_bank banks[EVLOG_BANKS];
	/*
	 * Per PCR, the byte that fills a bank not yet extended since the last startup clear or
	 * reset of that PCR (0x00 or 0xFF): a bank first seen starts from these.
	 */
	uint8_t pcr_base[EVLOG_PCRS];
};

void evlog_replay_init(struct evlog_replay *r, const struct hash_alg *rtmr_alg);

/*
 * Feed one line (no LF). Comments are accepted and skipped (but a CR or an over-long line is
 * an error even in a comment). INIT must be the first record and its alg the RTMR's; a SYNC
 * must carry the RTMR's alg. Returns 0, or -1 with err set; on error r is unchanged. rec (may
 * be NULL) gets the parsed record; for a comment rec->kind is EVLOG_COMMENT.
 */
int evlog_replay_line(struct evlog_replay *r, const char *line, size_t len,
		      struct evlog_record *rec, char *err, size_t errlen);

/*
 * The "restart, not restored" marker (DESIGN.md "Restart"): a restart that cannot restore the
 * PCRs extends every mapped PCR, right after the group of its `vtpm startup clear`, with
 * H_alg(EVLOG_MARKER_TEXT || R) in each bank alg, R the raw value of the PCR's RTMR after that
 * group's `vtpm ak` record. 0 or -1.
 */
#define EVLOG_MARKER_TEXT "vtpm-rtmr restart, not restored"
int evlog_marker_digest(const struct hash_alg *alg, const uint8_t *rtmr, size_t rtmr_len,
			uint8_t *out);

/* The bank of alg if a record used it, else NULL. */
const struct evlog_pcr_bank *evlog_replay_bank(const struct evlog_replay *r,
					       const struct hash_alg *alg);

/* One record as replayed. */
struct evlog_entry {
	size_t recnum;                  /* r->records after it: 1-based, comments excluded */
	size_t lineno;                  /* 1-based */
	const char *line;               /* the record, without its LF */
	size_t len;
	const struct evlog_record *rec; /* the record parsed */
	const uint8_t *rtmr_after;      /* the register value after it */
};

/* Called after every record; 0 goes on, a positive value stops the replay there (and
 * evlog_replay_text returns it). */
typedef int (*evlog_record_cb)(void *ctx, const struct evlog_entry *e);

/*
 * Replay a whole log text. Lines are LF-terminated: a final line without LF is an error
 * ("truncated last record"), so are a CR and a line over EVLOG_MAX_LINE. Errors read
 * "<source>:<line>: <what>". A text without any record replays to nothing: 0 is returned and
 * r->started stays false (callers that need an INIT check it). cb may be NULL; when it returns a
 * positive value the replay stops after that record, and that value is returned.
 */
int evlog_replay_text(struct evlog_replay *r, const char *text, size_t len, const char *source,
		      evlog_record_cb cb, void *ctx, char *err, size_t errlen);

/*
 * CEL-JSON export of one or more logs (log i is the log of RTMR rtmr_indices[i], named
 * sources[i] in errors) as one json-c document:
 *   {"records":[{"recnum":N,"pcr":<rtmr index>,
 *                "digests":[{"hashAlg":"sha384","digest":"<hex>"}],
 *                "content_type":"CC-CEL","content":"<the record line>"},...],
 *    "registers":[{"rtmr":N,"hashAlg":"sha384","value":"<hex>"},...]}
 * recnum counts records across the whole document from 0 in the order given; comments are
 * not records. Every log must replay (and start with INIT); an RTMR index given twice is an
 * error. Returns 0 with *out set (the caller puts it), or -1 with err set.
 */
struct json_object;
int evlog_export_cel_json(const char *const *texts, const size_t *lens,
			  const unsigned *rtmr_indices, const char *const *sources, size_t nlogs,
			  const struct hash_alg *alg, struct json_object **out, char *err,
			  size_t errlen);

#endif
