// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: src/rtmr_map/rtmr_map.h, rtmr_map_parse() on the input as a map file's
 * text (exactly its bytes, no NUL after them). On success every PCR maps to RTMR 0..7 or none
 * and the summary is built into buffers of several sizes; on failure the map is unchanged and
 * the error is a "<source>:<line>: " string.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "rtmr_map/rtmr_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = { 0, 1, 7, 40, 512 };
	struct rtmr_map m, sentinel;
	char err[256], tiny[6];

	memset(&sentinel, 0x5a, sizeof(sentinel));
	m = sentinel;
	if (rtmr_map_parse((const char *)data, size, "fuzz.map", &m, err, sizeof(err)) < 0) {
		FUZZ_CHECK(memcmp(&m, &sentinel, sizeof(m)) == 0);
		fuzz_check_err(err, sizeof(err));
		FUZZ_CHECK(strncmp(err, "fuzz.map:", 9) == 0);
		FUZZ_CHECK(rtmr_map_parse((const char *)data, size, NULL, &m, tiny, sizeof(tiny)) < 0);
		fuzz_check_err(tiny, sizeof(tiny));
		FUZZ_CHECK(rtmr_map_parse((const char *)data, size, NULL, &m, NULL, 0) < 0);
		return 0;
	}
	for (unsigned pcr = 0; pcr < RTMR_MAP_PCRS; pcr++) {
		int r = rtmr_map_rtmr_of(&m, pcr);

		FUZZ_CHECK(r == RTMR_MAP_NONE || (r >= 0 && r < RTMR_MAX));
		FUZZ_CHECK(r == m.rtmr[pcr]);
		if (r >= 0)
			FUZZ_CHECK(rtmr_map_rtmr_used(&m, (unsigned)r));
	}
	FUZZ_CHECK(rtmr_map_rtmr_of(&m, RTMR_MAP_PCRS) == -1);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		char *buf = malloc(caps[i] ? caps[i] : 1);

		if (!buf)
			abort();
		rtmr_map_describe(&m, buf, caps[i]);
		if (caps[i])
			FUZZ_CHECK(memchr(buf, '\0', caps[i]) != NULL);
		free(buf);
	}
	return 0;
}
