/* SPDX-License-Identifier: MIT */
/* The libtpms engine: one TPM 2.0 per process, state in an nvstore. Not thread-safe by
 * itself: only the service (service.h) calls it, under its lock (scripts/check-layers.sh
 * names the files that may include this header). */
#ifndef VTPM_ENGINE_H
#define VTPM_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nvstore;
struct pcr_banks;

/* Register the callbacks, initialize libtpms on the store's state (manufacturing a new TPM
 * when there is none) and send TPM2_Startup(CLEAR). A newly manufactured TPM gets the sha1,
 * sha256, sha384 and sha512 PCR banks. *manufactured tells whether this start made it. */
int engine_start(struct nvstore *store, bool *manufactured, char *err, size_t errlen);
/* The same, trying Startup(STATE) first when try_state is set (a restart of a TPM whose state
 * a Shutdown(STATE) saved: DESIGN.md "Restart"); *resumed tells whether it succeeded. */
int engine_start_resume(struct nvstore *store, bool try_state, bool *manufactured,
			bool *resumed, char *err, size_t errlen);
/* _TPM_Init and Startup(CLEAR) again: every PCR back to its initial value, the locality 0. */
int engine_restart_clear(char *err, size_t errlen);
/* TPM2_Shutdown(STATE) then terminate libtpms. Safe to call when not running. */
void engine_stop(void);

/* _TPM_Init again (the swtpm control channel's CMD_INIT): terminate and re-initialize
 * libtpms without sending Startup; the client does that. Returns a TPM_RESULT. */
uint32_t engine_reinit(bool delete_volatile);
/* Terminate libtpms without shutdown (CMD_STOP); commands then fail until engine_reinit. */
void engine_terminate(void);
bool engine_running(void);

/* Execute one command frame. The response is written into rsp (cap bytes); *rsplen set.
 * Returns 0, or -1 if libtpms failed outright (then rsp holds a TPM2_RC_FAILURE response). */
int engine_process(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap, size_t *rsplen);

/* Locality given to libtpms for the following commands (0..4). */
void engine_set_locality(uint8_t locality);
uint8_t engine_get_locality(void);

/* The PCR banks with at least one PCR allocated. 0 or -1. */
int engine_active_banks(struct pcr_banks *banks);

/* libtpms' TPM_IO_TpmEstablished_Get/_Reset, TPMLIB_SetBufferSize, TPMLIB_GetInfo and
 * TPMLIB_CancelCommand, for the control channel (result codes as libtpms returns them). */
uint32_t engine_established_get(bool *established);
uint32_t engine_established_reset(void);
uint32_t engine_set_buffer_size(uint32_t wanted, uint32_t *min, uint32_t *max);
char *engine_get_info(uint64_t flags);
uint32_t engine_cancel(void);

/* Helper: run a command built by the daemon itself and return its response code. */
uint32_t engine_run_simple(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
			   size_t *rsplen);

#endif
