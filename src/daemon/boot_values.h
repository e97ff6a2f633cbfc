/* SPDX-License-Identifier: MIT */
/*
 * The value each RTMR holds when the VM boots, before the daemon's first record: what the
 * firmware's CC event log (the ACPI CCEL table's log area) replays to, or zero without one.
 * A start that finds every mapped register there is the first of this boot (DESIGN.md
 * "Restart"): registers only grow, so no deleted or planted file can make a later start look
 * like one.
 */
#ifndef VTPM_BOOT_VALUES_H
#define VTPM_BOOT_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hash_alg.h"
#include "rtmr_map/rtmr_map.h"

/* Where Linux shows the TDX firmware's CC event log. */
#define BOOT_CCEL_ACPI "/sys/firmware/acpi/tables/data/CCEL"

struct rtmr_backend;

struct boot_values {
	uint8_t value[RTMR_MAX][HASH_MAX_SIZE]; /* in the register's hash */
	char source[160];                       /* what they come from, for the log */
};

/*
 * ccel: a CC event log file (--ccel), or NULL: BOOT_CCEL_ACPI for a hardware backend when it
 * exists, zero for the sim backend and without a CCEL. 0, or -1 with err set (an unreadable
 * or malformed CCEL: the boot values are unknown, and no start is taken for a first one).
 */
int boot_values_read(const char *ccel, const struct rtmr_backend *b, struct boot_values *out,
		     char *err, size_t errlen);

#endif
