/* SPDX-License-Identifier: MIT */
/* The service's state, shared by its two files (service.c: commands, start, the hook;
 * service_ctrl.c: control-channel messages). Nothing else includes this header. */
#ifndef VTPM_SERVICE_PRIV_H
#define VTPM_SERVICE_PRIV_H

#include <pthread.h>

#include "daemon/service.h"

struct service {
	pthread_mutex_t lock;    /* the engine's lock: every engine call is made holding it */
	bool failed;             /* fail-closed: every command answered TPM_RC_FAILURE */
	char fail_reason[512];
	bool started;            /* service_start succeeded and service_stop did not run yet */
	struct mirror *mirror;   /* NULL: nothing is mirrored */
	struct nvstore *store;   /* the TPM's state (the banks are kept there: daemon/restart.h) */
	struct pcr_banks banks;  /* the TPM's active PCR banks, read at every Startup */
	/* A Startup(STATE) now would restore PCRs a replay of the logs gives: a Shutdown(STATE)
	 * succeeded since the last Startup, and since then no mirrored PCR that Startup(STATE)
	 * restores changed and no PCR_Allocate succeeded. */
	bool resumable;
	const struct service_hook_ops *hook;
	void *hook_ctx;
	unsigned long commands;  /* commands answered, for status */
};

#endif
