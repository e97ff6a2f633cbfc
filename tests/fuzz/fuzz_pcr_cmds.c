// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: src/tpm_cmds/pcr_cmds.h.
 *
 * Input: [n][command: n bytes][response: the rest], where n is the first byte; if that byte is
 * 0xff, the next two bytes (big endian) give the command length instead, so that long
 * PCR_Event / EventSequenceComplete frames fit. The command goes to pcr_cmd_classify(), the
 * response to pcr_rsp_apply() for the classified change and for a change of every kind. Each
 * slice lives in its own exact-size heap buffer, so ASan catches any read past its length.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "common/hash_alg.h"
#include "tpm_cmds/pcr_cmds.h"

static bool kind_has_pcr(enum pcr_change_kind k)
{
	return k == PCR_CHANGE_EXTEND || k == PCR_CHANGE_EVENT ||
	       k == PCR_CHANGE_SEQUENCE_COMPLETE || k == PCR_CHANGE_RESET;
}

/* What the header promises about a list of digests the parser accepted. */
static void check_digests(const TPML_DIGEST_VALUES *d)
{
	FUZZ_CHECK(d->count <= TPM2_NUM_PCR_BANKS);
	for (uint32_t i = 0; i < d->count; i++)
		FUZZ_CHECK(hash_alg_by_tpm(d->digests[i].hashAlg) != NULL);
}

static void check_zero(const struct pcr_change *chg)
{
	static const struct pcr_change zero;

	FUZZ_CHECK(memcmp(chg, &zero, sizeof(zero)) == 0);
}

static void apply(const uint8_t *rsp, size_t len, struct pcr_change *chg)
{
	struct pcr_change before = *chg;
	int r = pcr_rsp_apply(rsp, len, chg);

	FUZZ_CHECK(r == -1 || r == 0 || r == 1);
	/* Only the digests may change, and only when 1 is returned. */
	FUZZ_CHECK(chg->kind == before.kind && chg->pcr == before.pcr);
	if (r != 1) {
		FUZZ_CHECK(memcmp(&chg->digests, &before.digests, sizeof(before.digests)) == 0);
		return;
	}
	if (chg->kind == PCR_CHANGE_EVENT || chg->kind == PCR_CHANGE_SEQUENCE_COMPLETE)
		check_digests(&chg->digests);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum pcr_change_kind kinds[] = {
		PCR_CHANGE_NONE,	      PCR_CHANGE_EXTEND,	PCR_CHANGE_EVENT,
		PCR_CHANGE_SEQUENCE_COMPLETE, PCR_CHANGE_RESET,		PCR_CHANGE_STARTUP_CLEAR,
		PCR_CHANGE_STARTUP_STATE,
	};
	struct pcr_change chg;
	size_t hdr = 1, cmdlen;
	uint8_t *cmd, *rsp;
	int r;

	if (size < 1)
		return 0;
	cmdlen = data[0];
	if (data[0] == 0xff) {
		if (size < 3)
			return 0;
		cmdlen = (size_t)data[1] << 8 | data[2];
		hdr = 3;
	}
	if (cmdlen > size - hdr)
		cmdlen = size - hdr;
	cmd = (uint8_t *)fuzz_dup(data + hdr, cmdlen);
	rsp = (uint8_t *)fuzz_dup(data + hdr + cmdlen, size - hdr - cmdlen);

	/* Command. */
	memset(&chg, 0xa5, sizeof(chg));
	r = pcr_cmd_classify(cmd, cmdlen, &chg);
	FUZZ_CHECK(r == 0 || r == -1);
	FUZZ_CHECK(pcr_change_kind_name(chg.kind) != NULL);
	if (r < 0) {
		check_zero(&chg); /* a malformed frame leaves nothing behind */
	} else {
		if (kind_has_pcr(chg.kind))
			FUZZ_CHECK(chg.pcr < PCR_CMDS_PCR_COUNT);
		if (chg.kind == PCR_CHANGE_EXTEND)
			check_digests(&chg.digests);
		if (chg.kind == PCR_CHANGE_NONE)
			check_zero(&chg);
		/* Classification is a pure function of the bytes. */
		{
			struct pcr_change again;

			FUZZ_CHECK(pcr_cmd_classify(cmd, cmdlen, &again) == 0);
			FUZZ_CHECK(memcmp(&again, &chg, sizeof(chg)) == 0);
		}
		apply(rsp, size - hdr - cmdlen, &chg);
	}

	/* Response, against a change of every kind (as the mirror would hold it). */
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		memset(&chg, 0, sizeof(chg));
		chg.kind = kinds[i];
		chg.pcr = 16;
		apply(rsp, size - hdr - cmdlen, &chg);
	}

	free(cmd);
	free(rsp);
	return 0;
}
