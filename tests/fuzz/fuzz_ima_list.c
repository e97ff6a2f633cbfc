// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: src/daemon/ima_list.h on the input as a binary_runtime_measurements list:
 * entries are parsed one after another as the IMA bridge does; a parsed entry's size stays
 * inside the input, its PCR is 0..23, every template digest either succeeds or fails with a
 * message, and a violation digests to all 0xFF.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "daemon/ima_list.h"

static void digest_all(const struct ima_entry *e)
{
	static const char *const algs[] = { "sha1", "sha256", "sha384", "sha512" };
	uint8_t out[HASH_MAX_SIZE];
	char err[256];

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		const struct hash_alg *alg = hash_alg_by_name(algs[i]);

		if (ima_template_digest(e, alg, out, err, sizeof(err)) < 0) {
			fuzz_check_err(err, sizeof(err));
			FUZZ_CHECK(!e->violation);
			continue;
		}
		if (e->violation)
			for (size_t b = 0; b < alg->size; b++)
				FUZZ_CHECK(out[b] == 0xff);
	}
	(void)ima_entry_is_zero_boot_aggregate(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = (uint8_t *)fuzz_dup(data, size);
	size_t off = 0;

	while (off < size) {
		struct ima_entry e;
		char err[256];
		long n = ima_entry_parse(buf + off, size - off, &e, err, sizeof(err));

		if (n <= 0) {
			if (n < 0)
				fuzz_check_err(err, sizeof(err));
			break;
		}
		FUZZ_CHECK((size_t)n <= size - off);
		FUZZ_CHECK(e.pcr < 24);
		FUZZ_CHECK(e.data >= buf + off && e.data + e.data_len <= buf + off + (size_t)n);
		digest_all(&e);
		off += (size_t)n;
	}
	free(buf);
	return 0;
}
