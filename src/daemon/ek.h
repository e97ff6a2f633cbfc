/* SPDX-License-Identifier: MIT */
/* Provision the Endorsement Key bound in attestation: persistent at its standard handle,
 * its TPMT_PUBLIC kept in <runtime-dir>/ek.tpmt. Caller holds the service lock. */
#ifndef VTPM_EK_H
#define VTPM_EK_H

#include <stddef.h>
#include <stdint.h>

#include "tpm_cmds/tpm_ek.h"

struct ek_info {
	enum ek_type type;
	uint32_t handle;
	uint8_t pub[EK_MAX_PUBLIC]; /* TPMT_PUBLIC */
	size_t publen;
	uint8_t sha256[32];         /* of pub: the `vtpm ek` record */
};

/* Read the EK at its persistent handle; create and persist it when absent. 0 or -1. */
int ek_provision(enum ek_type type, struct ek_info *ek, char *err, size_t errlen);

#endif
