/* SPDX-License-Identifier: MIT */
/*
 * The PCR extends a restart restored from the logs (DESIGN.md "Restart"), per PCR and in
 * order, each kept as a fingerprint of its digests: the IMA bridge finds in it the list
 * entries that are already in their PCR, and goes on from the first one that is not.
 */
#ifndef VTPM_PCR_HISTORY_H
#define VTPM_PCR_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "eventlog/eventlog.h"

struct pcr_history;

struct pcr_history *pcr_history_new(void);
void pcr_history_free(struct pcr_history *h);
/* A `vtpm extend` (appended to its PCR's list) or `vtpm reset` (its list emptied) record.
 * 0, or -1 when out of memory. */
int pcr_history_add(struct pcr_history *h, const struct evlog_record *rec);
/*
 * An extend of pcr with these digests (n of them, any order): true if the PCR's list holds
 * one with exactly these digests at or after the last one taken, which is taken then
 * (extends of others in between are passed over: they are not the caller's); false if not.
 */
bool pcr_history_take(struct pcr_history *h, unsigned pcr, const struct evlog_digest *d,
		      size_t n);
/* Extends recorded for pcr, and those taken. */
size_t pcr_history_count(const struct pcr_history *h, unsigned pcr);
size_t pcr_history_taken(const struct pcr_history *h, unsigned pcr);

#endif
