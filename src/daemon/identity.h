/* SPDX-License-Identifier: MIT */
/*
 * The identity of the TPM the daemon serves (DESIGN.md "Attestation"): the EK bound in
 * attestation and the daemon's attestation key (AK), both primary keys of the endorsement
 * hierarchy made from fixed templates (tpm_cmds/tpm_ek.h).
 *
 * Each key's TPMT_PUBLIC, once made, is kept in the state directory (the state store's blobs
 * "ek-public" and "ak-public": they live and die with the TPM state) and is the key's identity
 * from then on. At every start the object at the key's persistent handle is checked against
 * it: the same key is used; a missing one is re-created and made persistent when the TPM lets
 * the daemon (an auth a client set may not); a different key is never taken for it. Whatever
 * clients did, the start goes on and what is missing is said at warning level.
 *
 * Runs engine commands: the caller holds the service lock, the engine is started.
 */
#ifndef VTPM_IDENTITY_H
#define VTPM_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpm_cmds/tpm_ek.h"

struct nvstore;

#define IDENTITY_EK_BLOB "ek-public"
#define IDENTITY_AK_BLOB "ak-public"

struct key_identity {
	const char *what;           /* "EK", "AK" */
	uint32_t handle;            /* its persistent handle */
	bool known;                 /* pub is the key's kept (or just made) public area */
	bool at_handle;             /* the key is at its persistent handle now */
	uint8_t pub[EK_MAX_PUBLIC]; /* TPMT_PUBLIC */
	size_t publen;
	uint8_t sha256[32];         /* of pub: its `vtpm ek` / `vtpm ak` record; zero if unknown */
};

struct identity {
	struct key_identity ek, ak;
};

/*
 * Establish the EK (of type) and the AK. manufactured: this start made the TPM, so public areas
 * kept for an earlier one are dropped. 0 (whatever the TPM refused: said at warning level),
 * or -1 with err set when the state store fails.
 */
int identity_establish(struct nvstore *store, enum ek_type type, bool manufactured,
		       struct identity *id, char *err, size_t errlen);

#endif
