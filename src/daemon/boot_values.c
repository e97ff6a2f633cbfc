// SPDX-License-Identifier: MIT
#include "daemon/boot_values.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "eventlog/tcg2.h"
#include "rtmr_map/rtmr_backend.h"

#define CCEL_MAX (16u << 20)
#define CCEL_INDICES 24 /* TCG PCR indices a CC event log may name; MR index = RTMR + 1 */

/* The CCEL replayed in the hash of every register the backend has. */
static int replay(const uint8_t *buf, size_t len, const struct rtmr_backend *b,
		  struct boot_values *out, char *err, size_t errlen)
{
	uint8_t mr[CCEL_INDICES][HASH_MAX_SIZE];
	char what[256];

	for (unsigned i = 0; i < RTMR_MAX; i++) {
		const struct hash_alg *alg = rtmr_backend_alg(b, i);

		if (!alg)
			continue;
		if (tcg2_replay_mr(buf, len, alg, mr, CCEL_INDICES, NULL, what, sizeof(what)) < 0)
			return set_error(err, errlen, "%s", what);
		memcpy(out->value[i], mr[i + 1], alg->size);
	}
	return 0;
}

int boot_values_read(const char *ccel, const struct rtmr_backend *b, struct boot_values *out,
		     char *err, size_t errlen)
{
	_cleanup_free_ char *data = NULL;
	char what[300];
	size_t len = 0;
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(out->source, sizeof(out->source), "zero (no firmware CC event log)");
	if (!ccel) {
		if (!strcmp(rtmr_backend_name(b), "sim") || access(BOOT_CCEL_ACPI, F_OK) != 0)
			return 0;
		ccel = BOOT_CCEL_ACPI;
	}
	r = read_file_all(ccel, &data, &len, CCEL_MAX);
	if (r < 0)
		return set_error(err, errlen, "cannot read the firmware's CC event log %s: %s",
				 ccel, strerror(-r));
	if (len && replay((const uint8_t *)data, len, b, out, what, sizeof(what)) < 0)
		return set_error(err, errlen, "the firmware's CC event log %s does not replay: %s",
				 ccel, what);
	snprintf(out->source, sizeof(out->source), "the final values of %s", ccel);
	return 0;
}
