/* SPDX-License-Identifier: MIT */
/*
 * The TPM service: the one way to the libtpms engine. Every TPM command from any transport,
 * every control-channel message and the daemon's own start and stop go through these
 * functions, under the service's lock, which nothing else takes. The service runs the PCR
 * mirror around commands that change PCRs, answers the vtpm_proxy locality command, holds the
 * fail-closed failure mode, and calls a pre-command hook (the IMA bridge) that never calls
 * back into it.
 */
#ifndef VTPM_SERVICE_H
#define VTPM_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

#include "tpm_cmds/pcr_cmds.h"

struct mirror;
struct service;
struct tpm_setup_config;

/* The service over a mirror (NULL: nothing is mirrored). The engine is not started. */
int service_new(struct mirror *mirror, struct service **out);
/* Stops the engine if it runs (service_stop). NULL is a no-op. */
void service_free(struct service *s);

/* Bring the TPM up (daemon/tpm_setup.h): libtpms on its state, Startup(CLEAR), the records of
 * a new instance, the EK. 0, or -1 with err set. */
int service_start(struct service *s, const struct tpm_setup_config *cfg, char *err,
		  size_t errlen);
/* TPM2_SelfTest(fullTest=YES): every algorithm tested now, so that a client's first use of
 * one (the kernel's registration sends a full self test with a short timeout) is quick.
 * Returns the TPM's response code. */
uint32_t service_self_test(struct service *s);
/* TPM2_Shutdown(STATE), then terminate libtpms. Safe when not started. */
void service_stop(struct service *s);

#define SERVICE_ALLOW_SET_LOCALITY 0x1 /* vtpm_proxy: the kernel's TPM2_CC_SET_LOCALITY */

/* Answer one command frame of len bytes (already read whole by the transport). Always
 * produces a response in rsp (cap >= TPM_MAX_COMMAND_SIZE) and returns its size. */
size_t service_command(struct service *s, const uint8_t *cmd, size_t len, uint8_t *rsp,
		       size_t cap, unsigned flags);

/* Enter failure mode: every later command is answered TPM_RC_FAILURE. */
void service_fail(struct service *s, const char *reason);
bool service_failed(struct service *s);
/* Commands answered so far. */
unsigned long service_commands(struct service *s);

/*
 * The pre-command hook: a source of PCR extends the service applies through the mirror, as if
 * a client had sent them (the IMA bridge: one per IMA list entry). The service calls it; it
 * never calls the service while being called.
 */
struct service_hook_ops {
	/* Must what the hook has pending be applied before a command with this code? */
	bool (*before_command)(void *ctx, uint32_t command_code);
	/* The next extend: 1 with *pcr and *digests set (the digests of the active banks given),
	 * 0 when nothing is pending, -1 when the hook has given up. */
	int (*next_extend)(void *ctx, const struct pcr_banks *banks, uint32_t *pcr,
			   TPML_DIGEST_VALUES *digests);
	/* The TPM's response code to the extend next_extend asked for. */
	void (*extended)(void *ctx, uint32_t rc);
	/* The PCRs went back to their initial values (Startup(CLEAR)): start over. */
	void (*pcrs_reset)(void *ctx);
};

/* Set (ops NULL: remove) the hook. */
void service_set_hook(struct service *s, const struct service_hook_ops *ops, void *ctx);
/* Apply everything the hook has pending now (the hook's own timer calls this). */
void service_run_hook(struct service *s);

/*
 * The swtpm control channel's messages (daemon/transport/ctrl_channel.c). Results are the TPM
 * 1.2 result codes of <libtpms/tpm_error.h>, which swtpm's control channel answers with:
 * TPM_SUCCESS, TPM_BAD_PARAMETER, TPM_BAD_ORDINAL (the TPM is stopped), TPM_BAD_LOCALITY,
 * TPM_FAIL, or what libtpms returned.
 */
/* _TPM_Init again (CMD_INIT): terminate and re-initialize libtpms; the client sends Startup. */
uint32_t service_ctrl_init(struct service *s, bool delete_volatile);
/* CMD_STOP: terminate libtpms; commands fail until CMD_INIT. */
void service_ctrl_stop(struct service *s);
/* CMD_SET_LOCALITY (0..4). */
uint32_t service_ctrl_set_locality(struct service *s, uint8_t locality);
uint8_t service_locality(struct service *s);
/* CMD_CANCEL_TPM_CMD. */
uint32_t service_ctrl_cancel(struct service *s);
/* CMD_GET_TPMESTABLISHED and CMD_RESET_TPMESTABLISHED (at a locality 0..4). */
uint32_t service_ctrl_get_established(struct service *s, bool *established);
uint32_t service_ctrl_reset_established(struct service *s, uint8_t locality);
/* CMD_SET_BUFFERSIZE: wanted 0 only queries; a change needs a stopped TPM. */
uint32_t service_ctrl_set_buffer_size(struct service *s, uint32_t wanted, uint32_t *size,
				      uint32_t *min, uint32_t *max);
/* CMD_GET_INFO: libtpms' JSON, malloc'd (the caller frees), or NULL. */
char *service_ctrl_get_info(struct service *s, uint64_t flags);
/* Whether libtpms runs (after CMD_STOP it does not). */
bool service_tpm_running(struct service *s);

#endif
