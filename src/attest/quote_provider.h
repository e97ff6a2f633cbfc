/* SPDX-License-Identifier: MIT */
/* Quote providers: a TEE quote over 64 bytes of report data, from the kernel's configfs-tsm
 * report interface (Documentation/ABI/testing/configfs-tsm-report) or from the `sim`
 * provider (a self-made CA, NO SECURITY; development and tests only). */
#ifndef VTPM_QUOTE_PROVIDER_H
#define VTPM_QUOTE_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "common/string_table.h"

#define QUOTE_DEFAULT_CONFIGFS_DIR "/sys/kernel/config/tsm/report"
#define QUOTE_REPORT_DATA_SIZE 64
#define QUOTE_MAX_SIZE (1024 * 1024)  /* the kernel caps outblob at 32 KiB today */

enum quote_provider_kind { QUOTE_PROVIDER_AUTO, QUOTE_PROVIDER_CONFIGFS_TSM, QUOTE_PROVIDER_SIM };

/* "auto", "configfs-tsm" or "sim"; 0 or -1. */
DECLARE_STRING_TABLE_LOOKUP(quote_provider_kind, enum quote_provider_kind);

struct quote_provider_config {
	enum quote_provider_kind kind;
	const char *configfs_dir;   /* NULL = /sys/kernel/config/tsm/report */
	const char *runtime_dir;    /* sim: CA in <runtime_dir>/sim/ (root at sim/root-ca.pem),
				     * RTMRs from <runtime_dir>/sim/rtmr<N>:sha384;
				     * NULL = /run/vtpm-rtmr */
};

struct quote_result {
	uint8_t *quote;             /* malloc'd */
	size_t len;
	char provider[64];          /* "tdx_guest", "sim" ... */
};

/*
 * Get a quote over the 64-byte report_data. auto = configfs-tsm if <configfs_dir> exists,
 * else an error telling to name sim explicitly (auto never picks sim).
 *
 * configfs-tsm: mkdir a fresh entry <configfs_dir>/vtpm-rtmr.<pid>.<counter>, write the 64
 * bytes to inblob in one write (and close: configfs commits on close), read generation, read
 * outblob to EOF, read provider, read generation again; a changed generation means another
 * writer raced: redo the whole sequence (up to 3 retries). The entry is removed on every path.
 * sim: RTMRs from <runtime_dir>/sim/rtmr<N>:sha384 (each exactly 48 bytes; missing is an
 * error), quote signed by the CA in <runtime_dir>/sim (created on first use).
 *
 * 0, or -1 with err saying what is wrong and, where known, what to do. On success the caller
 * owns out->quote (quote_result_free).
 */
int quote_get(const struct quote_provider_config *cfg, const uint8_t report_data[64],
	      struct quote_result *out, char *err, size_t errlen);
/* Frees the quote and zeroes *r; NULL-safe, idempotent. */
void quote_result_free(struct quote_result *r);

#endif
