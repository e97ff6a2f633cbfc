/* SPDX-License-Identifier: MIT */
/* The mirror's state, shared by its two files (mirror.c: logs, records, commands;
 * mirror_restart.c: what a restart finds in the logs, DESIGN.md "Restart"). Nothing else
 * includes this header. */
#ifndef VTPM_MIRROR_PRIV_H
#define VTPM_MIRROR_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/hash_alg.h"
#include "daemon/mirror.h"
#include "eventlog/eventlog.h"

struct mirror_log {
	bool used;
	int fd;
	char *path;
	const struct hash_alg *alg;
	uint8_t expected[HASH_MAX_SIZE]; /* the register value this log implies */
	/* What mirror_open found (mirror_restart.c): */
	enum mirror_log_found found;
	uint8_t found_value[HASH_MAX_SIZE]; /* the register before mirror_open wrote anything */
	struct evlog_replay *replay;     /* the log as it was (NULL: none, or dropped) */
	char *text;            /* and its text, until the restart is done */
	off_t after_startup;   /* offset of the line after the last `vtpm startup clear` */
	bool startup_after_init; /* that record came right after INIT */
	uint8_t init_value[HASH_MAX_SIZE]; /* the INIT record's value */
	uint32_t startup_map;  /* the map of its group */
	uint32_t markers;      /* PCRs with the restart marker right after its group */
	off_t end;             /* the log's size when opened */
	bool rolled_reset;     /* the record rolled forward sets a PCR to an initial value */
};

struct mirror {
	struct rtmr_map map;
	struct rtmr_backend *backend;
	struct mirror_log logs[RTMR_MAX];
	struct mirror_stats stats;
	long crash_after; /* test hook: SIGKILL after this many appends, before the extend */
	long served_appends; /* appends for client commands (counted for the test hook) */
	long crash_at_start; /* test hook: the same for the appends of the start */
	long start_appends;
	bool serving;
	bool failed;         /* a record could not be mirrored: write nothing more */
	bool identity_set;
	uint8_t ek[32], ak[32]; /* sha256 of the EK's and the AK's TPMT_PUBLIC */
};

/* mirror.c: a record into log idx (a SYNC first if the register moved). 0 or -1, why set. */
int mirror_write_record(struct mirror *m, unsigned idx, const char *line, size_t len, char *why,
			size_t whylen);
/* mirror.c: the PCRs mirrored into RTMR idx, a bit each. */
uint32_t mirror_pcrs_of(const struct mirror *m, unsigned idx);
/* mirror.c: in every log, first (a startup or restart record), then the map, ek and ak
 * records. 0, or -1 with err set (the EK and AK not known yet, or a write failed). */
int mirror_write_groups(struct mirror *m, const char *first, char *err, size_t errlen);

#endif
