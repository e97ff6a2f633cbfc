// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: src/tpm_cmds/tpm_frame.h and tpm_build.h.
 *
 * The whole input is a TPM frame for tpm_header_parse(), tpm_frame_check(),
 * tpm_response_rc(), tpm_parse_get_pcrs() and tpm_parse_pcr_allocate(). Its first bytes also
 * drive the builders (output capacity, Startup/Shutdown type, PCR_Allocate banks, PCR_Extend
 * PCR and digests) into exact-size heap buffers; what they build must pass tpm_frame_check(),
 * and a PCR_Extend built must classify (pcr_cmds.h) as the same PCR and digests.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "common/hash_alg.h"
#include "tpm_cmds/pcr_cmds.h"
#include "tpm_cmds/tpm_build.h"
#include "tpm_cmds/tpm_frame.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void parse_frame(const uint8_t *buf, size_t len)
{
	static const uint16_t wanted[] = { 0x0004, 0x000b, 0x000c, 0x000d };
	static const size_t maxes[] = { TPM_MAX_COMMAND_SIZE, TPM_HEADER_SIZE, 0, SIZE_MAX };
	struct tpm_header hdr;
	TPML_PCR_SELECTION sel;
	int r;

	r = tpm_header_parse(buf, len, &hdr);
	FUZZ_CHECK(r == (len < TPM_HEADER_SIZE ? -1 : 0));
	if (r == 0) {
		FUZZ_CHECK(hdr.tag == be16(buf));
		FUZZ_CHECK(hdr.size == be32(buf + 2));
		FUZZ_CHECK(hdr.code == be32(buf + 6));
		FUZZ_CHECK(tpm_response_rc(buf, len) == hdr.code);
	} else {
		FUZZ_CHECK(tpm_response_rc(buf, len) == TPM2_RC_FAILURE);
	}
	for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		uint32_t rc = tpm_frame_check(buf, len, maxes[i]);
		bool ok = r == 0 && (hdr.tag == TPM2_ST_NO_SESSIONS || hdr.tag == TPM2_ST_SESSIONS) &&
			  hdr.size >= TPM_HEADER_SIZE && hdr.size == len && hdr.size <= maxes[i];

		FUZZ_CHECK((rc == TPM2_RC_SUCCESS) == ok);
		FUZZ_CHECK(rc == TPM2_RC_SUCCESS || rc == TPM2_RC_BAD_TAG ||
			   rc == TPM2_RC_COMMAND_SIZE);
	}

	memset(&sel, 0, sizeof(sel));
	if (tpm_parse_get_pcrs(buf, len, &sel) == 0) {
		FUZZ_CHECK(r == 0 && hdr.code == TPM2_RC_SUCCESS && hdr.size == len);
		FUZZ_CHECK(sel.count <= TPM2_NUM_PCR_BANKS);
		for (uint32_t i = 0; i < sel.count; i++)
			FUZZ_CHECK(sel.pcrSelections[i].sizeofSelect <= TPM2_PCR_SELECT_MAX);
		(void)tpm_pcrs_all_active(&sel, wanted, sizeof(wanted) / sizeof(wanted[0]));
		(void)tpm_pcrs_all_active(&sel, wanted, 0);
	}
	if (tpm_parse_pcr_allocate(buf, len) == 0)
		FUZZ_CHECK(r == 0 && hdr.code == TPM2_RC_SUCCESS && hdr.size == len);
}

/* Run a builder into a heap buffer of exactly cap bytes; what it builds must be a frame. */
#define BUILD(cap, call_with_out)                                                                  \
	do {                                                                                       \
		uint8_t *out = malloc((cap) ? (cap) : 1);                                          \
		size_t n;                                                                          \
                                                                                                   \
		if (!out)                                                                          \
			abort();                                                                   \
		n = (call_with_out);                                                               \
		FUZZ_CHECK(n <= (cap));                                                            \
		if (n)                                                                             \
			FUZZ_CHECK(tpm_frame_check(out, n, TPM_MAX_COMMAND_SIZE) ==                \
				   TPM2_RC_SUCCESS);                                                \
		free(out);                                                                         \
	} while (0)

static void build(const uint8_t *data, size_t size)
{
	uint16_t algs[TPM2_NUM_PCR_BANKS + 2];
	size_t cap, nalgs;
	uint16_t su;

	if (size < 4)
		return;
	cap = data[0];
	su = be16(data + 1);
	nalgs = data[3] % (TPM2_NUM_PCR_BANKS + 2);
	for (size_t i = 0; i < nalgs; i++)
		algs[i] = 4 + 2 * i + 1 < size ? be16(data + 4 + 2 * i) : 0x000b;

	BUILD(cap, tpm_build_startup(out, cap, su));
	BUILD(cap, tpm_build_shutdown(out, cap, su));
	BUILD(cap, tpm_build_get_pcrs(out, cap));
	BUILD(cap, tpm_build_pcr_allocate(out, cap, algs, nalgs));
	{
		uint8_t *out = malloc(cap ? cap : 1);
		size_t n = tpm_build_error_response(out, cap, be16(data + 1));

		FUZZ_CHECK(n == (cap < TPM_HEADER_SIZE ? 0 : TPM_HEADER_SIZE));
		if (n)
			FUZZ_CHECK(tpm_response_rc(out, n) == be16(data + 1));
		free(out);
	}
	/* Enough room: these always succeed. */
	BUILD(4096, tpm_build_startup(out, 4096, su));
	BUILD(4096, tpm_build_pcr_allocate(out, 4096, algs, nalgs));
}

/* tpm_build_pcr_extend() round trip through pcr_cmd_classify(). */
static void build_extend(const uint8_t *data, size_t size)
{
	/* the hash algs of hash_alg.h, and TPM_ALG_NULL / an unknown one */
	static const uint16_t algs[] = { 0x0004, 0x000b, 0x000c, 0x000d, 0x0012,
					 0x0027, 0x0028, 0x0029, 0x0010, 0x0099 };
	TPML_DIGEST_VALUES d;
	struct pcr_change chg;
	bool all_known = true;
	uint32_t pcr;
	size_t n, k = 8;
	uint8_t *out;
	int r;

	if (size < 8)
		return;
	memset(&d, 0, sizeof(d));
	pcr = data[4] < 0xf0 ? data[4] % 32 : be32(data + 4);
	d.count = data[3] % (TPM2_NUM_PCR_BANKS + 2);
	for (uint32_t i = 0; i < d.count && i < TPM2_NUM_PCR_BANKS; i++) {
		d.digests[i].hashAlg = algs[data[k++ % size] % (sizeof(algs) / sizeof(algs[0]))];
		all_known &= hash_alg_by_tpm(d.digests[i].hashAlg) != NULL;
		for (size_t j = 0; j < sizeof(d.digests[i].digest); j++)
			((uint8_t *)&d.digests[i].digest)[j] = data[k++ % size];
	}
	out = malloc(TPM_MAX_COMMAND_SIZE);
	if (!out)
		abort();
	n = tpm_build_pcr_extend(out, TPM_MAX_COMMAND_SIZE, pcr, &d);
	if (d.count > TPM2_NUM_PCR_BANKS)
		FUZZ_CHECK(n == 0);
	if (n) {
		FUZZ_CHECK(tpm_frame_check(out, n, TPM_MAX_COMMAND_SIZE) == TPM2_RC_SUCCESS);
		r = pcr_cmd_classify(out, n, &chg);
		FUZZ_CHECK(r == 0 || r == -1);
		if (all_known) {
			FUZZ_CHECK(r == 0);
			if (pcr < PCR_CMDS_PCR_COUNT) {
				FUZZ_CHECK(chg.kind == PCR_CHANGE_EXTEND && chg.pcr == pcr);
				FUZZ_CHECK(chg.digests.count == d.count);
				for (uint32_t i = 0; i < d.count; i++) {
					const struct hash_alg *a = hash_alg_by_tpm(d.digests[i].hashAlg);

					FUZZ_CHECK(chg.digests.digests[i].hashAlg ==
						   d.digests[i].hashAlg);
					FUZZ_CHECK(memcmp(&chg.digests.digests[i].digest,
							  &d.digests[i].digest, a->size) == 0);
				}
			} else {
				FUZZ_CHECK(chg.kind == PCR_CHANGE_NONE);
			}
		}
		/* the same into every shorter buffer: 0, never a write past cap */
		{
			size_t cap = data[5] % n;
			uint8_t *small = malloc(cap ? cap : 1);

			if (!small)
				abort();
			FUZZ_CHECK(tpm_build_pcr_extend(small, cap, pcr, &d) == 0);
			free(small);
		}
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parse_frame(data, size);
	build(data, size);
	build_extend(data, size);
	return 0;
}
