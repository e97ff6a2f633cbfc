// SPDX-License-Identifier: MIT
#include "daemon/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash_alg.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/engine.h"
#include "daemon/mirror.h"
#include "daemon/restart.h"
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
	s->store = cfg->store;
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

/* "sha1 (in part), sha256" into buf (cap > 0). */
static void banks_text(const struct pcr_banks *b, char *buf, size_t cap)
{
	size_t off = 0;

	snprintf(buf, cap, "none");
	for (size_t i = 0; i < b->n && off < cap; i++) {
		const struct hash_alg *alg = hash_alg_by_tpm(b->alg[i]);

		off += (size_t)snprintf(buf + off, cap - off, "%s%s%s", i ? ", " : "",
					alg ? alg->name : "?", b->missing[i] ? " (in part)" : "");
	}
}

/* PCR_Allocate takes effect at _TPM_Init + Startup: after a Startup, read the allocation the
 * TPM has now, before anything is recorded for it. A Startup(STATE) must not change it (the
 * PCRs it restores into a new bank are in no log). 0, or -1 with why set. */
static int reread_banks_locked(struct service *s, const uint8_t *cmd, size_t len, char *why,
			       size_t whylen)
{
	struct pcr_banks now;
	char was[128], is[128];
	uint16_t su = TPM2_SU_CLEAR;

	tpm_parse_su(cmd, len, TPM2_CC_Startup, &su);
	if (engine_active_banks(&now) < 0)
		return set_error(why, whylen, "cannot read the TPM's PCR banks after Startup");
	if (pcr_banks_equal(&now, &s->banks))
		return 0;
	banks_text(&s->banks, was, sizeof(was));
	banks_text(&now, is, sizeof(is));
	if (su == TPM2_SU_STATE)
		return set_error(why, whylen, "the PCR banks changed at Startup(STATE) (%s, were %s)",
				 is, was);
	log_info("PCR banks from this Startup(CLEAR) on: %s (were %s)", is, was);
	s->banks = now;
	if (restart_keep_banks(s->store, &now) < 0)
		log_warn("cannot keep the new PCR banks in the state directory: a restart will not "
			 "restore the PCRs");
	return 0;
}

/* Keep s->resumable: what a Startup(STATE) would restore after this command succeeded. */
static void track_resume_locked(struct service *s, const struct tpm_header *hdr,
				const uint8_t *cmd, size_t len, const struct mirror_op *op)
{
	uint16_t su;

	if (hdr->code == TPM2_CC_Shutdown)
		s->resumable = tpm_parse_su(cmd, len, TPM2_CC_Shutdown, &su) == 0 &&
			       su == TPM2_SU_STATE;
	else if (hdr->code == TPM2_CC_Startup || hdr->code == TPM2_CC_PCR_Allocate)
		s->resumable = false;
	else if (op->active && op->chg.kind != PCR_CHANGE_STARTUP_CLEAR &&
		 op->chg.kind != PCR_CHANGE_STARTUP_STATE && op->chg.pcr < PCR_FIRST_NOT_SAVED)
		s->resumable = false;
}

/* One command through libtpms and the mirror: the client's, or one the hook asked for. */
static size_t execute_locked(struct service *s, const uint8_t *cmd, size_t len, uint8_t *rsp,
			     size_t cap)
{
	struct mirror_op op;
	struct tpm_header hdr;
	size_t rlen = 0;
	uint32_t rc;
	char why[512] = "the PCR change could not be mirrored";

	if (mirror_prepare(s->mirror, cmd, len, &op) < 0) {
		/* A PCR-changing command the mirror cannot parse is refused here rather than
		 * trusting libtpms to refuse it too: a change we cannot mirror must not happen. */
		log_warn("refusing a malformed PCR-changing command (%zu bytes)", len);
		return tpm_build_error_response(rsp, cap, TPM2_RC_SIZE);
	}
	tpm_header_parse(cmd, len, &hdr);
	engine_process(cmd, len, rsp, cap, &rlen);
	rc = tpm_response_rc(rsp, rlen);
	if (rc == TPM2_RC_SUCCESS) {
		if (hdr.code == TPM2_CC_Startup &&
		    reread_banks_locked(s, cmd, len, why, sizeof(why)) < 0)
			goto failed;
		track_resume_locked(s, &hdr, cmd, len, &op);
	}
	if (!op.active)
		return rlen;
	if (mirror_commit(s->mirror, &op, rsp, rlen, &s->banks, why, sizeof(why)) < 0)
		goto failed;
	if (op.chg.kind == PCR_CHANGE_STARTUP_CLEAR && rc == TPM2_RC_SUCCESS)
		hook_pcrs_reset_locked(s);
	return rlen;
failed:
	fail_locked(s, why);
	return tpm_build_error_response(rsp, cap, TPM2_RC_FAILURE);
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

/* Startup(STATE) answers this when it has nothing to resume, as libtpms does. */
#define RC_NOTHING_TO_RESUME (TPM2_RC_VALUE | TPM2_RC_P | TPM2_RC_1)

/*
 * A Startup that would give PCRs values no record describes is refused before libtpms sees it
 * (DESIGN.md "Event log"): at a locality other than 0 (PCR 0 would hold the locality), or a
 * Startup(STATE) that would restore PCRs the logs went past, or a bank no log has, or put a
 * mapped PCR 17-22 back to all 0xFF. 0, or the response code to answer with.
 */
static uint32_t startup_refused_locked(struct service *s, const struct tpm_header *hdr,
				       const uint8_t *cmd, size_t len)
{
	uint8_t locality = engine_get_locality();
	uint16_t su;

	if (hdr->code != TPM2_CC_Startup)
		return 0;
	if (locality != 0) {
		log_warn("refusing TPM2_Startup at locality %u: it would set PCR 0 to the locality, "
			 "which no record describes", locality);
		return TPM2_RC_LOCALITY;
	}
	if (tpm_parse_su(cmd, len, TPM2_CC_Startup, &su) < 0 || su != TPM2_SU_STATE)
		return 0;
	if (!s->resumable) {
		log_warn("refusing TPM2_Startup(STATE): a mirrored PCR or the PCR allocation "
			 "changed after the last Shutdown(STATE), or there was none; the TPM would "
			 "restore PCR values the event logs went past (Startup(CLEAR) starts anew)");
		return RC_NOTHING_TO_RESUME;
	}
	if (!mirror_resume_recordable(s->mirror)) {
		log_warn("refusing TPM2_Startup(STATE): it would put a mapped PCR 17-22 back to all "
			 "0xFF, which no record can say (Startup(CLEAR) starts anew)");
		return RC_NOTHING_TO_RESUME;
	}
	return 0;
}

/* A client's command: a reader of bridged PCRs first sees the hook caught up, so a quote never
 * lags the list a verifier reads next. */
static size_t execute_client_locked(struct service *s, const struct tpm_header *hdr,
				    const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap)
{
	uint32_t refused = startup_refused_locked(s, hdr, cmd, len);

	if (refused)
		return tpm_build_error_response(rsp, cap, refused);
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
