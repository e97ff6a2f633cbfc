/* SPDX-License-Identifier: MIT */
/* The PCR-to-RTMR map: built-in default, map-file parsing, look-ups and a human summary. */
#ifndef VTPM_RTMR_MAP_H
#define VTPM_RTMR_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTMR_MAP_PCRS 24
#define RTMR_MAX 8 /* register indices 0..7 */
#define RTMR_MAP_NONE (-1)

struct rtmr_map {
	int8_t rtmr[RTMR_MAP_PCRS]; /* RTMR index or RTMR_MAP_NONE, per PCR */
};

/* PCR 0,1,7 -> 0; 2-6 -> 1; 8-15 -> 2; 16-23 none (the UEFI CC mapping). */
void rtmr_map_default(struct rtmr_map *m);

/*
 * Parse a map file's text. The result starts from the built-in default and each line
 * overrides it. Format: one rule per line; '#' starts a comment; blank lines are ignored;
 *   pcr <N>|<N-M>[,<N>|<N-M>...] -> rtmr <K>
 *   pcr <N>|<N-M>[,<N>|<N-M>...] -> none
 * A PCR named twice in the file, a PCR > 23, an RTMR > 7, a reversed range or any syntax
 * error is an error: err gets "<source>:<line>: <what>" and *m is left unchanged.
 * Returns 0 or -1.
 */
int rtmr_map_parse(const char *text, size_t len, const char *source, struct rtmr_map *m,
		   char *err, size_t errlen);
/* rtmr_map_parse() on the contents of the file at path (used as the error source). */
int rtmr_map_load(const char *path, struct rtmr_map *m, char *err, size_t errlen);

/* RTMR index of pcr; -1 when not mapped or pcr > 23. */
int rtmr_map_rtmr_of(const struct rtmr_map *m, unsigned pcr);
/* True when at least one PCR maps to rtmr. */
bool rtmr_map_rtmr_used(const struct rtmr_map *m, unsigned rtmr);

/* Summary like "PCR 0,1,7 -> RTMR0; PCR 2-6 -> RTMR1; PCR 8-15 -> RTMR2" (always
 * NUL-terminated when cap > 0, truncated to fit). "no PCR mapped" for an empty map. */
void rtmr_map_describe(const struct rtmr_map *m, char *buf, size_t cap);

#endif
