/* SPDX-License-Identifier: MIT */
/* The PCR_Extend both bench programs send: sha256 + sha384 digests that change with counter. */
#ifndef VTPM_BENCH_EXTEND_H
#define VTPM_BENCH_EXTEND_H

#include <string.h>

#include "tpm_cmds/tpm_build.h"

static inline size_t bench_build_extend(uint8_t *cmd, size_t cap, uint32_t pcr,
					unsigned long counter)
{
	TPML_DIGEST_VALUES d = { .count = 2 };

	d.digests[0].hashAlg = TPM2_ALG_SHA256;
	d.digests[1].hashAlg = TPM2_ALG_SHA384;
	for (unsigned i = 0; i < 48; i++)
		d.digests[1].digest.sha384[i] = (uint8_t)(counter >> (8 * (i % 4))) ^ (uint8_t)i;
	memcpy(d.digests[0].digest.sha256, d.digests[1].digest.sha384, 32);
	return tpm_build_pcr_extend(cmd, cap, pcr, &d);
}

#endif
