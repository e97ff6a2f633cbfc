// SPDX-License-Identifier: MIT
#include "daemon/restart.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/hash_alg.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/boot_values.h"
#include "daemon/engine.h"
#include "daemon/identity.h"
#include "daemon/mirror.h"
#include "daemon/nvstore.h"
#include "daemon/pcr_history.h"
#include "daemon/tpm_setup.h"
#include "tpm_cmds/tpm_build.h"
#include "tpm_cmds/tpm_frame.h"
#include "tpm_cmds/tpm_quote_cmds.h"

void restart_plan(const struct tpm_setup_config *cfg, struct restart_plan *p)
{
	static const uint8_t zero[RTMR_MAX][HASH_MAX_SIZE];
	const uint8_t (*boot)[HASH_MAX_SIZE] = cfg->boot ? cfg->boot->value : zero;

	if (cfg->boot_unknown)
		boot = NULL;
	memset(p, 0, sizeof(*p));
	if (!cfg->mirror || (boot && mirror_found_at_boot(cfg->mirror, boot))) {
		p->kind = RESTART_FIRST;
		return;
	}
	if (mirror_restorable(cfg->mirror, boot, p->ek, p->ak, p->why, sizeof(p->why)) < 0) {
		p->kind = RESTART_MARKER;
		return;
	}
	p->kind = RESTART_RESTORE;
	p->try_state = mirror_resume_recordable(cfg->mirror);
}

/* A command of the daemon's own at the lowest locality the TPM takes it at (PCRs 17-22 are
 * extended and reset at localities 1-4 only); the locality is 0 again afterwards. */
static uint32_t run_at_locality(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
				size_t *rlen)
{
	uint32_t rc = TPM2_RC_LOCALITY;

	for (uint8_t loc = 0; loc <= 4 && rc == TPM2_RC_LOCALITY; loc++) {
		engine_set_locality(loc);
		rc = engine_run_simple(cmd, len, rsp, cap, rlen);
	}
	engine_set_locality(0);
	return rc;
}

/* ---- restoring ---- */

struct replay_ctx {
	const struct pcr_banks *banks;
	struct pcr_history *history;
	bool resumed;
	size_t applied;
	char *why;
	size_t whylen;
};

/* The TPM has the record's PCR in each of its banks: else the allocation changed since it was
 * written (a PCR_Allocate takes effect at the next _TPM_Init, i.e. this start). */
static bool banks_have(const struct pcr_banks *banks, const struct evlog_record *rec)
{
	for (size_t i = 0; i < rec->ndigests; i++)
		if (!pcr_banks_has_pcr(banks, rec->digests[i].alg->tpm_alg, rec->pcr))
			return false;
	return true;
}

static size_t build_extend(uint8_t *cmd, size_t cap, const struct evlog_record *rec)
{
	TPML_DIGEST_VALUES d = { .count = (uint32_t)rec->ndigests };

	if (rec->ndigests > TPM2_NUM_PCR_BANKS)
		return 0;
	for (size_t i = 0; i < rec->ndigests; i++) {
		d.digests[i].hashAlg = rec->digests[i].alg->tpm_alg;
		memcpy(&d.digests[i].digest, rec->digests[i].d, rec->digests[i].alg->size);
	}
	return tpm_build_pcr_extend(cmd, cap, rec->pcr, &d);
}

static int apply_record(void *ctx, const struct evlog_record *rec)
{
	struct replay_ctx *c = ctx;
	uint8_t cmd[1024], rsp[TPM_MAX_COMMAND_SIZE];
	size_t len, rlen;
	uint32_t rc;

	if (c->history && pcr_history_add(c->history, rec) < 0)
		return set_error(c->why, c->whylen, "out of memory");
	if (rec->kind == EVLOG_EXTEND && !banks_have(c->banks, rec)) {
		set_error(c->why, c->whylen, "the TPM no longer has every bank of the logged "
			  "extends of PCR %u (a PCR_Allocate took effect at this start)", rec->pcr);
		return 1;
	}
	/* Startup(STATE) restored PCRs 0-15 and put 16-23 back to their initial values */
	if (c->resumed && rec->pcr < PCR_FIRST_NOT_SAVED)
		return 0;
	len = rec->kind == EVLOG_RESET ? tpm_build_pcr_reset(cmd, sizeof(cmd), rec->pcr) :
					 build_extend(cmd, sizeof(cmd), rec);
	rc = len ? run_at_locality(cmd, len, rsp, sizeof(rsp), &rlen) : TPM2_RC_SIZE;
	if (rc != TPM2_RC_SUCCESS) {
		set_error(c->why, c->whylen, "the TPM refused to replay a logged %s of PCR %u "
			  "(0x%x)", rec->kind == EVLOG_RESET ? "reset" : "extend", rec->pcr, rc);
		return 1;
	}
	c->applied++;
	return 0;
}

/* One PCR of one bank as the TPM has it. */
static int read_pcr(uint16_t alg, unsigned pcr, uint8_t *out, size_t size)
{
	TPML_PCR_SELECTION sel = { .count = 1 }, read;
	uint8_t cmd[128], rsp[TPM_MAX_COMMAND_SIZE];
	TPML_DIGEST values;
	size_t len, rlen;

	sel.pcrSelections[0].hash = alg;
	sel.pcrSelections[0].sizeofSelect = 3;
	sel.pcrSelections[0].pcrSelect[pcr / 8] = (uint8_t)(1u << (pcr % 8));
	len = tpm_build_pcr_read(cmd, sizeof(cmd), &sel);
	if (!len || engine_run_simple(cmd, len, rsp, sizeof(rsp), &rlen) != TPM2_RC_SUCCESS ||
	    tpm_parse_pcr_read(rsp, rlen, &read, &values) < 0 || values.count != 1 ||
	    values.digests[0].size != size)
		return -1;
	memcpy(out, values.digests[0].buffer, size);
	return 0;
}

/* Every mapped PCR, in every bank the TPM has it in, equals the replay of its log. */
static int check_pcrs(struct mirror *m, const struct pcr_banks *banks, char *why, size_t whylen)
{
	uint8_t want[HASH_MAX_SIZE], have[HASH_MAX_SIZE];

	for (unsigned pcr = 0; pcr < PCR_CMDS_PCR_COUNT; pcr++) {
		for (size_t i = 0; i < banks->n; i++) {
			const struct hash_alg *alg = hash_alg_by_tpm(banks->alg[i]);

			if (!alg || !pcr_banks_has_pcr(banks, banks->alg[i], pcr) ||
			    mirror_logged_pcr(m, pcr, alg, want) < 0)
				continue;
			if (read_pcr(alg->tpm_alg, pcr, have, alg->size) < 0) {
				set_error(why, whylen, "cannot read PCR %u (%s)", pcr, alg->name);
				return 1;
			}
			if (memcmp(want, have, alg->size) != 0) {
				set_error(why, whylen, "PCR %u (%s) is not what the logs replay to",
					  pcr, alg->name);
				return 1;
			}
		}
	}
	return 0;
}

/* Whether a mapped PCR is one Startup(STATE) does not restore (16-23): its records replayed. */
static bool maps_unsaved(const struct mirror *m)
{
	uint8_t v[HASH_MAX_SIZE];
	const struct hash_alg *alg;

	for (unsigned pcr = PCR_FIRST_NOT_SAVED; pcr < PCR_CMDS_PCR_COUNT; pcr++)
		if (mirror_rtmr_of_pcr(m, pcr, v, &alg) == 0)
			return true;
	return false;
}

/* 0: the PCRs are the logs' now; 1: they are not (why set); -1: err set. After Startup(STATE)
 * the records are walked only for what it does not restore (PCRs 16-23) and for the IMA
 * bridge; the banks were checked against the kept ones, and are compared PCR by PCR. */
static int restore_pcrs(const struct tpm_setup_config *cfg, struct restart_plan *p,
			const struct pcr_banks *banks, struct pcr_history *history, char *err,
			size_t errlen)
{
	struct replay_ctx c = { .banks = banks, .history = history, .resumed = p->resumed,
				.why = p->why, .whylen = sizeof(p->why) };
	int r = 0;

	if (!p->resumed || history || maps_unsaved(cfg->mirror))
		r = mirror_walk_restorable(cfg->mirror, apply_record, &c, err, errlen);
	p->restored = c.applied;
	if (r != 0)
		return r;
	return check_pcrs(cfg->mirror, banks, p->why, sizeof(p->why));
}

/* ---- not restored: the marker ---- */

static int marker_digests(unsigned pcr, const uint8_t *rtmr, const struct hash_alg *ralg,
			  const struct pcr_banks *banks, TPML_DIGEST_VALUES *d)
{
	d->count = 0;
	for (size_t i = 0; i < banks->n; i++) {
		const struct hash_alg *alg = hash_alg_by_tpm(banks->alg[i]);

		if (!alg || !pcr_banks_has_pcr(banks, banks->alg[i], pcr))
			continue;
		d->digests[d->count].hashAlg = alg->tpm_alg;
		if (evlog_marker_digest(alg, rtmr, ralg->size,
					(uint8_t *)&d->digests[d->count].digest) < 0)
			return -1;
		d->count++;
	}
	return 0;
}

/* One marker extend, mirrored as a client's would be. */
static int extend_marker(struct mirror *m, unsigned pcr, const TPML_DIGEST_VALUES *d,
			 const struct pcr_banks *banks, char *err, size_t errlen)
{
	uint8_t cmd[1024], rsp[TPM_MAX_COMMAND_SIZE];
	size_t len = tpm_build_pcr_extend(cmd, sizeof(cmd), pcr, d), rlen = 0;
	struct mirror_op op;
	uint32_t rc;

	if (!len || mirror_prepare(m, cmd, len, &op) < 0)
		return set_error(err, errlen, "cannot build the marker extend of PCR %u", pcr);
	rc = run_at_locality(cmd, len, rsp, sizeof(rsp), &rlen);
	if (rc != TPM2_RC_SUCCESS)
		return set_error(err, errlen, "the marker extend of PCR %u failed (0x%x)", pcr, rc);
	return mirror_commit(m, &op, rsp, rlen, banks, err, errlen);
}

/* Every mapped PCR, every bank: the marker, from the registers as the group left them. */
static int extend_markers(struct mirror *m, const struct pcr_banks *banks, char *err,
			  size_t errlen)
{
	TPML_DIGEST_VALUES d[PCR_CMDS_PCR_COUNT];
	uint8_t rtmr[HASH_MAX_SIZE];
	const struct hash_alg *ralg;
	uint32_t mapped = 0;

	for (unsigned pcr = 0; pcr < PCR_CMDS_PCR_COUNT; pcr++) {
		if (mirror_rtmr_of_pcr(m, pcr, rtmr, &ralg) < 0)
			continue;
		if (marker_digests(pcr, rtmr, ralg, banks, &d[pcr]) < 0)
			return set_error(err, errlen, "cannot compute the marker of PCR %u", pcr);
		mapped |= 1u << pcr;
	}
	for (unsigned pcr = 0; pcr < PCR_CMDS_PCR_COUNT; pcr++)
		if ((mapped & (1u << pcr)) && extend_marker(m, pcr, &d[pcr], banks, err, errlen) < 0)
			return -1;
	return 0;
}

static int start_again(struct pcr_banks *banks, char *err, size_t errlen)
{
	if (engine_restart_clear(err, errlen) < 0)
		return -1;
	if (engine_active_banks(banks) < 0)
		return set_error(err, errlen, "cannot read the TPM's PCR banks");
	return 0;
}

/* clean: the TPM is as Startup(CLEAR) left it (nothing resumed, nothing replayed). */
static int not_restored(const struct tpm_setup_config *cfg, struct restart_plan *p, bool clean,
			struct pcr_banks *banks, char *err, size_t errlen)
{
	char note[700];

	if (!clean && start_again(banks, err, errlen) < 0)
		return -1;
	log_warn("restart: the PCRs are not restored: %s; a new TPM instance, and every mapped PCR "
		 "gets the \"restart, not restored\" marker before anything is served", p->why);
	snprintf(note, sizeof(note), "vtpm-rtmrd restart, PCRs not restored: %s", p->why);
	mirror_note(cfg->mirror, note);
	if (mirror_new_instance(cfg->mirror, err, errlen) < 0)
		return -1;
	return extend_markers(cfg->mirror, banks, err, errlen);
}

int restart_keep_banks(struct nvstore *store, const struct pcr_banks *banks)
{
	uint8_t enc[PCR_BANKS_ENCODED_MAX];
	size_t len = pcr_banks_encode(banks, enc, sizeof(enc));
	struct pcr_banks kept;

	if (!len)
		return -EINVAL;
	if (!store || (restart_kept_banks(store, &kept) == 0 && pcr_banks_equal(&kept, banks)))
		return 0;
	return nvstore_store(store, RESTART_BANKS_BLOB, enc, (uint32_t)len);
}

int restart_kept_banks(struct nvstore *store, struct pcr_banks *banks)
{
	_cleanup_free_ uint8_t *data = NULL;
	uint32_t len;
	int r = nvstore_load(store, RESTART_BANKS_BLOB, &data, &len);

	if (r < 0)
		return r;
	return pcr_banks_decode(data, len, banks) < 0 ? -EBADMSG : 0;
}

/* The banks this start has are those the logged records were made with. */
static bool same_banks(const struct tpm_setup_config *cfg, const struct pcr_banks *banks,
		       char *why, size_t whylen)
{
	struct pcr_banks kept;
	int r = restart_kept_banks(cfg->store, &kept);

	if (r == -ENOENT)
		return true; /* a state of an earlier version: the records tell (banks_have) */
	if (r < 0 || !pcr_banks_equal(&kept, banks)) {
		set_error(why, whylen, "the TPM's PCR banks are not those the logs were written "
			  "with (%s)", r < 0 ? "they were not kept readably" :
			  "a PCR_Allocate took effect at this start");
		return false;
	}
	return true;
}

/* The identity this start established is the one the logs name. */
static bool same_tpm(const struct restart_plan *p, const struct identity *id, char *why,
		     size_t whylen)
{
	if (!id->ek.known || memcmp(id->ek.sha256, p->ek, 32) != 0) {
		set_error(why, whylen, "the TPM state is not the one the logs name (%s)",
			  id->ek.known ? "its EK differs from the logged vtpm ek" :
					 "its EK is unknown");
		return false;
	}
	if (!id->ak.known || memcmp(id->ak.sha256, p->ak, 32) != 0) {
		set_error(why, whylen, "the TPM state's AK differs from the logged vtpm ak");
		return false;
	}
	return true;
}

/* The PCRs restored: by Startup(STATE) if it came up, else (or if its PCRs are not the logs')
 * by the replay after Startup(CLEAR). 0, 1 (not restored: p->why), -1 (err). *history gets
 * the extends restored when it is wanted (non-NULL). */
static int restore_pcrs_any(const struct tpm_setup_config *cfg, struct restart_plan *p,
			    struct pcr_banks *banks, struct pcr_history **history, char *err,
			    size_t errlen)
{
	int r = restore_pcrs(cfg, p, banks, *history, err, errlen);

	if (r <= 0 || !p->resumed)
		return r;
	log_info("restart: after Startup(STATE) %s; replaying the logs after Startup(CLEAR) "
		 "instead", p->why);
	p->resumed = false;
	if (*history) {
		pcr_history_free(*history);
		*history = pcr_history_new();
	}
	if (start_again(banks, err, errlen) < 0)
		return -1;
	return restore_pcrs(cfg, p, banks, *history, err, errlen);
}

static int restore(const struct tpm_setup_config *cfg, struct restart_plan *p,
		   const struct identity *id, struct pcr_banks *banks, char *err, size_t errlen)
{
	struct pcr_history *history = cfg->history ? pcr_history_new() : NULL;
	int r = 1;

	if (same_tpm(p, id, p->why, sizeof(p->why)) &&
	    same_banks(cfg, banks, p->why, sizeof(p->why)))
		r = restore_pcrs_any(cfg, p, banks, &history, err, errlen);
	if (r == 0)
		r = mirror_restart_instance(cfg->mirror, err, errlen);
	if (r != 0) {
		pcr_history_free(history);
		return r < 0 ? -1 : not_restored(cfg, p, !p->resumed && !p->restored, banks, err,
						 errlen);
	}
	log_info("restart: every mapped PCR restored from the event logs (%s; %zu records "
		 "replayed into the TPM) and checked in every bank", p->resumed ?
		 "Startup(STATE) of the state the last stop saved" : "Startup(CLEAR)", p->restored);
	if (cfg->history)
		*cfg->history = history;
	else
		pcr_history_free(history);
	return 0;
}

int restart_finish(const struct tpm_setup_config *cfg, struct restart_plan *p,
		   const struct identity *id, bool resumed, struct pcr_banks *banks, char *err,
		   size_t errlen)
{
	int r;

	p->resumed = resumed;
	if (mirror_finish_groups(cfg->mirror, err, errlen) < 0)
		return -1;
	switch (p->kind) {
	case RESTART_FIRST:
		if (cfg->mirror)
			log_info("first start of this boot: every mapped RTMR holds its boot value "
				 "(%s)", cfg->boot ? cfg->boot->source : "zero");
		r = mirror_new_instance(cfg->mirror, err, errlen);
		break;
	case RESTART_RESTORE:
		r = restore(cfg, p, id, banks, err, errlen);
		break;
	default:
		r = not_restored(cfg, p, !resumed, banks, err, errlen);
		break;
	}
	mirror_restart_done(cfg->mirror);
	if (r == 0 && restart_keep_banks(cfg->store, banks) < 0)
		log_warn("cannot keep the PCR banks in %s: a restart will not know them",
			 nvstore_dir(cfg->store));
	return r;
}
