// SPDX-License-Identifier: MIT
#include "daemon/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "daemon/engine.h"
#include "daemon/mirror.h"
#include "daemon/service_priv.h"
#include "daemon/tpm_setup.h"
#include "tpm_cmds/tpm_build.h"
#include "tpm_cmds/tpm_frame.h"

int service_new(struct mirror *mirror, struct service **out)
{
	struct service *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	pthread_mutex_init(&s->lock, NULL);
	s->mirror = mirror;
	*out = s;
	return 0;
}

void service_free(struct service *s)
{
	if (!s)
		return;
	service_stop(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int service_start(struct service *s, const struct tpm_setup_config *cfg, char *err,
		  size_t errlen)
{
	int r;

	pthread_mutex_lock(&s->lock);
	r = tpm_setup_start(cfg, &s->banks, err, errlen);
	/* a start that failed half-way still shuts libtpms down at service_stop */
	s->started = true;
	if (r == 0)
		mirror_start_serving(s->mirror);
	pthread_mutex_unlock(&s->lock);
	return r;
}

uint32_t service_self_test(struct service *s)
{
	uint8_t cmd[16], rsp[TPM_MAX_COMMAND_SIZE];
	size_t rlen;
	uint32_t rc;

	pthread_mutex_lock(&s->lock);
	rc = engine_run_simple(cmd, tpm_build_self_test(cmd, sizeof(cmd), true), rsp, sizeof(rsp),
			       &rlen);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void service_stop(struct service *s)
{
	pthread_mutex_lock(&s->lock);
	if (s->started)
		engine_stop();
	s->started = false;
	pthread_mutex_unlock(&s->lock);
}

static void fail_locked(struct service *s, const char *reason)
{
	if (s->failed)
		return;
	s->failed = true;
	snprintf(s->fail_reason, sizeof(s->fail_reason), "%s", reason);
	log_error("entering failure mode: %s; every further command is answered TPM_RC_FAILURE "
		  "(restart the daemon to recover)", reason);
}

void service_fail(struct service *s, const char *reason)
{
	pthread_mutex_lock(&s->lock);
	fail_locked(s, reason);
	pthread_mutex_unlock(&s->lock);
}

bool service_failed(struct service *s)
{
	bool failed;

	pthread_mutex_lock(&s->lock);
	failed = s->failed;
	pthread_mutex_unlock(&s->lock);
	return failed;
}

unsigned long service_commands(struct service *s)
{
	unsigned long n;

	pthread_mutex_lock(&s->lock);
	n = s->commands;
	pthread_mutex_unlock(&s->lock);
	return n;
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

static void hook_pcrs_reset_locked(struct service *s);

/* One command through libtpms and the mirror: the client's, or one the hook asked for. */
static size_t execute_locked(struct service *s, const uint8_t *cmd, size_t len, uint8_t *rsp,
			     size_t cap)
{
	struct mirror_op op;
	size_t rlen = 0;
	char why[512] = "the PCR change could not be mirrored";

	if (mirror_prepare(s->mirror, cmd, len, &op) < 0) {
		/* A PCR-changing command the mirror cannot parse is refused here rather than
		 * trusting libtpms to refuse it too: a change we cannot mirror must not happen. */
		log_warn("refusing a malformed PCR-changing command (%zu bytes)", len);
		return tpm_build_error_response(rsp, cap, TPM2_RC_SIZE);
	}
	engine_process(cmd, len, rsp, cap, &rlen);
	if (!op.active)
		return rlen;
	if (mirror_commit(s->mirror, &op, rsp, rlen, &s->banks, why, sizeof(why)) < 0) {
		fail_locked(s, why);
		return tpm_build_error_response(rsp, cap, TPM2_RC_FAILURE);
	}
	if (op.chg.kind == PCR_CHANGE_STARTUP_CLEAR && tpm_response_rc(rsp, rlen) == 0)
		hook_pcrs_reset_locked(s);
	return rlen;
}

/* ---- the pre-command hook ---- */

static void run_hook_locked(struct service *s)
{
	uint8_t cmd[1024], rsp[TPM_MAX_COMMAND_SIZE];

	while (s->hook && !s->failed) {
		TPML_DIGEST_VALUES d = { 0 };
		uint32_t pcr;
		size_t len, rlen;

		if (s->hook->next_extend(s->hook_ctx, &s->banks, &pcr, &d) <= 0)
			return;
		len = tpm_build_pcr_extend(cmd, sizeof(cmd), pcr, &d);
		rlen = len ? execute_locked(s, cmd, len, rsp, sizeof(rsp)) :
			     tpm_build_error_response(rsp, sizeof(rsp), TPM2_RC_SIZE);
		s->hook->extended(s->hook_ctx, tpm_response_rc(rsp, rlen));
	}
}

static void hook_pcrs_reset_locked(struct service *s)
{
	if (!s->hook)
		return;
	s->hook->pcrs_reset(s->hook_ctx);
	run_hook_locked(s);
}

void service_set_hook(struct service *s, const struct service_hook_ops *ops, void *ctx)
{
	pthread_mutex_lock(&s->lock);
	s->hook = ops;
	s->hook_ctx = ops ? ctx : NULL;
	pthread_mutex_unlock(&s->lock);
}

void service_run_hook(struct service *s)
{
	pthread_mutex_lock(&s->lock);
	run_hook_locked(s);
	pthread_mutex_unlock(&s->lock);
}

/* ---- client commands ---- */

/* A client's command: a reader of bridged PCRs first sees the hook caught up, so a quote never
 * lags the list a verifier reads next. */
static size_t execute_client_locked(struct service *s, const struct tpm_header *hdr,
				    const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap)
{
	if (s->hook && s->hook->before_command(s->hook_ctx, hdr->code))
		run_hook_locked(s);
	if (s->failed)
		return tpm_build_error_response(rsp, cap, TPM2_RC_FAILURE);
	return execute_locked(s, cmd, len, rsp, cap);
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
	pthread_mutex_lock(&s->lock);
	s->commands++;
	if (s->failed)
		rlen = tpm_build_error_response(rsp, cap, TPM2_RC_FAILURE);
	else if (hdr.code == TPM2_CC_SET_LOCALITY && (flags & SERVICE_ALLOW_SET_LOCALITY))
		rlen = set_locality(cmd, len, rsp, cap);
	else
		rlen = execute_client_locked(s, &hdr, cmd, len, rsp, cap);
	pthread_mutex_unlock(&s->lock);
	return rlen;
}
