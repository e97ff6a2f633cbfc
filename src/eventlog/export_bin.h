/* SPDX-License-Identifier: MIT */
/*
 * Binary exports of the per-RTMR NELR event logs (eventlog.h): a TCG2 log of the vTPM's PCRs,
 * a CCEL continuation of the RTMRs, a CEL-TLV log. README "Exporting logs" documents the
 * choices; each function says what it writes.
 */
#ifndef VTPM_EVENTLOG_EXPORT_BIN_H
#define VTPM_EVENTLOG_EXPORT_BIN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/hash_alg.h"
#include "eventlog/bytebuf.h"

/* One log to export: its text, the RTMR it belongs to and a name for messages. */
struct evlog_export_log {
	const char *text;
	size_t len;
	unsigned rtmr;
	const char *name;
};

struct evlog_export_stats {
	size_t records;       /* records in the logs (comments are not records) */
	size_t events;        /* events written */
	size_t sync_records;  /* SYNC records among the events written */
};

/*
 * TCG2 (PC Client crypto-agile) log of the PCRs the logs' `vtpm` records imply. A Spec ID
 * Event03 header names every bank that any `vtpm extend` record of the logs carries (sha256
 * alone if none does), sorted by TPM_ALG_ID. Then, log after log in the order given and each
 * in its own order, one EV_EVENT_TAG event per `vtpm extend` record: pcrIndex = the PCR,
 * the record's digests, data = TCG_PCClientTaggedEvent {TCG2_TAG_NELR, the record line}.
 * Only the TPM's current instance is described: records before a log's last `vtpm startup
 * clear` are left out, and for a PCR reset since (`vtpm reset`), its records before its
 * last reset. Other records change no PCR and are left out. Errors: a log that does not
 * replay (or has no INIT), a PCR with records in two logs (their order is unknown), a PCR
 * 17..22 extended since Startup(CLEAR) without a reset (it starts at all-ones; a TCG2 replay
 * starts at zero). All logs are in the RTMR hash alg. 0, or -1 with err set.
 */
int evlog_export_tcg2(const struct evlog_export_log *logs, size_t nlogs,
		      const struct hash_alg *alg, struct bytebuf *out,
		      struct evlog_export_stats *stats, char *err, size_t errlen);

/*
 * CCEL continuation: every record of every log (comments excluded), log after log, as an
 * EV_EVENT_TAG event with MR index = RTMR + 1, one digest (alg) = H(line), exactly what was
 * extended, and data = TCG_PCClientTaggedEvent {TCG2_TAG_NELR, the line}. Without a header
 * (to be appended to the firmware's CCEL), or with a Spec ID Event03 header naming alg alone
 * when standalone. Errors: a log that does not replay (or has no INIT), an RTMR given twice.
 */
int evlog_export_ccel(const struct evlog_export_log *logs, size_t nlogs,
		      const struct hash_alg *alg, bool standalone, struct bytebuf *out,
		      struct evlog_export_stats *stats, char *err, size_t errlen);

/*
 * CEL-TLV (cel_tlv.h): every record of every log, log after log: recnum from 0 across the
 * output, index type CCMR with index RTMR + 1, one digest (alg) = H(line), content type
 * CEL_TLV_CONTENT_NELR with the line. The same records, in the same order and with the same
 * recnums, as evlog_export_cel_json. Errors as for evlog_export_ccel.
 */
int evlog_export_cel_tlv(const struct evlog_export_log *logs, size_t nlogs,
			 const struct hash_alg *alg, struct bytebuf *out,
			 struct evlog_export_stats *stats, char *err, size_t errlen);

#endif
