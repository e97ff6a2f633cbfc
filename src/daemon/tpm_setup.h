/* SPDX-License-Identifier: MIT */
/*
 * Bringing the TPM up at daemon start: libtpms on its state (manufacturing a new TPM when the
 * state directory is empty), Startup, the active PCR banks, the EK bound in attestation and
 * the daemon's AK (daemon/identity.h; their TPMT_PUBLIC in <runtime-dir>/ek.tpmt and
 * ak.tpmt), then, as daemon/restart.h decides: the records of a new instance in every log
 * (`vtpm startup clear`, `vtpm map`, `vtpm ek`, `vtpm ak`; after a restart that cannot restore
 * the PCRs, the marker extends too), or the PCRs restored and `vtpm restart` with its group.
 * Runs through service_start(), under the service's lock.
 */
#ifndef VTPM_TPM_SETUP_H
#define VTPM_TPM_SETUP_H

#include <stdbool.h>
#include <stddef.h>

#include "tpm_cmds/pcr_cmds.h"
#include "tpm_cmds/tpm_ek.h"

struct boot_values;
struct mirror;
struct nvstore;
struct pcr_history;

struct tpm_setup_config {
	struct nvstore *store;   /* the TPM's state, locked */
	bool ephemeral_state;    /* the state lives under the runtime directory (for the log) */
	struct mirror *mirror;   /* NULL: nothing is mirrored */
	enum ek_type ek_type;
	const char *runtime_dir; /* where ek.tpmt and ak.tpmt go */
	/* The registers' boot values (daemon/boot_values.h; NULL: zero), or boot_unknown: no
	 * start is taken for the first of the boot (daemon/restart.h). */
	const struct boot_values *boot;
	bool boot_unknown;
	/* Non-NULL: a restore leaves the extends it restored here (daemon/pcr_history.h), for
	 * the IMA bridge; the caller frees it. */
	struct pcr_history **history;
};

/* 0 with *banks set, or -1 with err set. */
int tpm_setup_start(const struct tpm_setup_config *cfg, struct pcr_banks *banks, char *err,
		    size_t errlen);

#endif
