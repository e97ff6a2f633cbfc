// SPDX-License-Identifier: MIT
#include "daemon/service.h"

#include <stdio.h>
#include <string.h>

#include "daemon/engine.h"
#include "daemon/ima_bridge.h"
#include "common/log.h"
#include "daemon/mirror.h"
#include "tpm_cmds/tpm_frame.h"

void service_init(struct service *s, struct mirror *mirror)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->mirror = mirror;
}

void service_destroy(struct service *s)
{
	pthread_mutex_destroy(&s->lock);
}

void service_lock(struct service *s)
{
	pthread_mutex_lock(&s->lock);
}

void service_unlock(struct service *s)
{
	pthread_mutex_unlock(&s->lock);
}

static void fail_locked(struct service *s, const char *reason)
{
	if (s->failed)
		return;
	s->failed = true;
	snprintf(s->fail_reason, sizeof(s->fail_reason), "%s", reason);
	log_error("entering failure mode: %s; every further command is answered TPM2_RC_FAILURE "
		  "(restart the daemon to recover)", reason);
}

void service_fail(struct service *s, const char *reason)
{
	service_lock(s);
	fail_locked(s, reason);
	service_unlock(s);
}

bool service_failed(struct service *s)
{
	bool failed;

	service_lock(s);
	failed = s->failed;
	service_unlock(s);
	return failed;
}

/* vtpm_proxy's vendor command: tag, size 11, 0x20001000, one locality byte. */
static size_t set_locality(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap)
{
	if (len < TPM_HEADER_SIZE + 1)
		return tpm_build_error_response(rsp, cap, TPM2_RC_INSUFFICIENT);
	if (cmd[TPM_HEADER_SIZE] > 4)
		return tpm_build_error_response(rsp, cap, TPM2_RC_LOCALITY);
	engine_set_locality(cmd[TPM_HEADER_SIZE]);
	log_debug("locality set to %u", cmd[TPM_HEADER_SIZE]);
	return tpm_build_error_response(rsp, cap, TPM2_RC_SUCCESS);
}

bool service_failed_locked(struct service *s)
{
	return s->failed;
}

size_t service_execute_locked(struct service *s, const uint8_t *cmd, size_t len, uint8_t *rsp,
			      size_t cap)
{
	struct mirror_op op;
	size_t rlen = 0;
	char why[512];

	if (mirror_prepare(s->mirror, cmd, len, &op) < 0) {
		/* A PCR-changing command the mirror cannot parse is refused here rather than
		 * trusting libtpms to refuse it too: a change we cannot mirror must not happen. */
		log_warn("refusing a malformed PCR-changing command (%zu bytes)", len);
		return tpm_build_error_response(rsp, cap, TPM2_RC_SIZE);
	}
	engine_process(cmd, len, rsp, cap, &rlen);
	if (!op.active)
		return rlen;
	if (mirror_commit(s->mirror, &op, rsp, rlen, why, sizeof(why)) < 0) {
		fail_locked(s, why);
		return tpm_build_error_response(rsp, cap, TPM2_RC_FAILURE);
	}
	if (op.chg.kind == PCR_CHANGE_STARTUP_CLEAR && tpm_response_rc(rsp, rlen) == 0)
		ima_bridge_restart_locked(s->bridge);
	return rlen;
}

/* A client's command: a reader of bridged PCRs first sees the IMA list caught up, so a
 * quote never lags the list a verifier reads next. */
static size_t execute_client_locked(struct service *s, const struct tpm_header *hdr,
				    const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap)
{
	if (s->bridge && ima_bridge_needs_catch_up(hdr->code))
		ima_bridge_catch_up_locked(s->bridge);
	if (s->failed)
		return tpm_build_error_response(rsp, cap, TPM2_RC_FAILURE);
	return service_execute_locked(s, cmd, len, rsp, cap);
}

size_t service_command(struct service *s, const uint8_t *cmd, size_t len, uint8_t *rsp,
		       size_t cap, unsigned flags)
{
	struct tpm_header hdr;
	uint32_t rc;
	size_t rlen;

	rc = tpm_frame_check(cmd, len, TPM_MAX_COMMAND_SIZE);
	if (rc != TPM2_RC_SUCCESS)
		return tpm_build_error_response(rsp, cap, rc);
	tpm_header_parse(cmd, len, &hdr);
	service_lock(s);
	s->commands++;
	if (s->failed)
		rlen = tpm_build_error_response(rsp, cap, TPM2_RC_FAILURE);
	else if (hdr.code == TPM2_CC_SET_LOCALITY && (flags & SERVICE_ALLOW_SET_LOCALITY))
		rlen = set_locality(cmd, len, rsp, cap);
	else
		rlen = execute_client_locked(s, &hdr, cmd, len, rsp, cap);
	service_unlock(s);
	return rlen;
}
