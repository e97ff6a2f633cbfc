// SPDX-License-Identifier: MIT
#include "daemon/mirror.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eventlog/eventlog.h"
#include "common/runtime_dir.h"
#include "common/safe_fs.h"
#include "common/hash_alg.h"
#include "common/log.h"
#include "rtmr_map/rtmr_backend.h"
#include "common/util.h"
#include "daemon/mirror_priv.h"

static void hex_of(const uint8_t *v, size_t n, char *out)
{
	hex_encode(v, n, out);
}

/* The test hooks: SIGKILL between a log append and its RTMR extend, after the Nth append for
 * a client (VTPM_RTMR_TEST_CRASH_AFTER_APPEND) or of the start (..._CRASH_AT_START). */
static void test_crash(struct mirror *m)
{
	const char *which = NULL;

	if (m->serving && m->crash_after > 0 && ++m->served_appends >= m->crash_after)
		which = "VTPM_RTMR_TEST_CRASH_AFTER_APPEND";
	if (!m->serving && m->crash_at_start > 0 && ++m->start_appends >= m->crash_at_start)
		which = "VTPM_RTMR_TEST_CRASH_AT_START";
	if (!which)
		return;
	log_warn("test hook %s: killing the daemon between log append and RTMR extend", which);
	raise(SIGKILL);
}

/* Append a record and extend the register with its digest; keep `expected` in step. */
static int log_and_extend(struct mirror *m, unsigned idx, const char *line, size_t len,
			  char *why, size_t whylen)
{
	struct mirror_log *l = &m->logs[idx];
	uint8_t digest[HASH_MAX_SIZE], next[HASH_MAX_SIZE];
	int r;

	if (m->failed)
		return set_error(why, whylen, "the mirror already failed; restart the daemon");
	m->failed = true; /* until this record is fully mirrored */
	memcpy(next, l->expected, l->alg->size);
	if (hash_digest(l->alg, line, len, digest) < 0 ||
	    hash_extend(l->alg, next, digest, l->alg->size) < 0) {
		return set_error(why, whylen, "cannot hash a record for RTMR%u", idx);
	}
	r = evlog_append(l->fd, line, len);
	if (r < 0)
		return set_error(why, whylen, "cannot append to %s: %s", l->path, strerror(-r));
	m->stats.records++;
	test_crash(m);
	r = rtmr_backend_extend_known(m->backend, idx, digest, l->expected, next);
	if (r < 0)
		return set_error(why, whylen,
				 "extending RTMR%u through %s failed: %s (the record is in "
				 "%s; a restart rolls it forward)",
				 idx, rtmr_backend_name(m->backend), strerror(-r), l->path);
	memcpy(l->expected, next, l->alg->size);
	m->failed = false;
	return 0;
}

/* The register must still hold what the log implies; if not, write SYNC first. */
static int check_sync(struct mirror *m, unsigned idx, char *why, size_t whylen)
{
	struct mirror_log *l = &m->logs[idx];
	uint8_t cur[HASH_MAX_SIZE];
	char line[EVLOG_MAX_LINE + 1];
	int r = rtmr_backend_read(m->backend, idx, cur), len;

	if (r < 0)
		return set_error(why, whylen, "reading RTMR%u failed: %s", idx, strerror(-r));
	if (memcmp(cur, l->expected, l->alg->size) == 0)
		return 0;
	log_warn("RTMR%u was extended by someone else: writing a SYNC record", idx);
	len = evlog_fmt_sync(line, sizeof(line), l->alg, cur);
	if (len < 0)
		return set_error(why, whylen, "cannot format a SYNC record for RTMR%u", idx);
	/* the SYNC record is extended onto the value found */
	memcpy(l->expected, cur, l->alg->size);
	m->stats.syncs++;
	return log_and_extend(m, idx, line, (size_t)len, why, whylen);
}

int mirror_write_record(struct mirror *m, unsigned idx, const char *line, size_t len, char *why,
			size_t whylen)
{
	if (check_sync(m, idx, why, whylen) < 0)
		return -1;
	return log_and_extend(m, idx, line, len, why, whylen);
}

static int start_new_log(struct mirror *m, unsigned idx, char *err, size_t errlen)
{
	struct mirror_log *l = &m->logs[idx];
	char line[EVLOG_MAX_LINE + 1];
	int r = rtmr_backend_read(m->backend, idx, l->expected), len;

	if (r < 0)
		return set_error(err, errlen, "reading RTMR%u failed: %s", idx, strerror(-r));
	len = evlog_fmt_init(line, sizeof(line), l->alg, l->expected);
	if (len < 0)
		return set_error(err, errlen, "cannot format the INIT record for RTMR%u", idx);
	log_info("starting event log %s", l->path);
	l->found = MIRROR_LOG_NEW;
	return log_and_extend(m, idx, line, (size_t)len, err, errlen);
}

/* Crash consistency: continue, roll forward the last record, or SYNC. */
static int reconcile(struct mirror *m, unsigned idx, const struct evlog_replay *rp, char *err,
		     size_t errlen)
{
	struct mirror_log *l = &m->logs[idx];
	char have[2 * HASH_MAX_SIZE + 1], want[2 * HASH_MAX_SIZE + 1];
	const uint8_t *cur = l->found_value;
	int r;

	memcpy(l->expected, rp->rtmr, l->alg->size);
	if (memcmp(cur, rp->rtmr, l->alg->size) == 0) {
		l->found = MIRROR_LOG_CONTINUED;
		log_info("continuing event log %s (%zu records)", l->path, rp->records);
		return 0;
	}
	if (rp->records >= 1 && memcmp(cur, rp->rtmr_before_last, l->alg->size) == 0) {
		r = rtmr_backend_extend(m->backend, idx, rp->last_digest);
		if (r < 0)
			return set_error(err, errlen, "rolling forward RTMR%u failed: %s", idx,
				         strerror(-r));
		m->stats.roll_forwards++;
		l->found = MIRROR_LOG_ROLLED;
		log_warn("RTMR%u lacked the last record of %s (interrupted extend): rolled forward",
			 idx, l->path);
		return 0;
	}
	l->found = MIRROR_LOG_SYNCED;
	hex_of(cur, l->alg->size, have);
	hex_of(rp->rtmr, l->alg->size, want);
	log_warn("RTMR%u holds %s but %s replays to %s: writing a SYNC record", idx, have,
		 l->path, want);
	return check_sync(m, idx, err, errlen);
}

/* What a restart needs to know of the log (daemon/restart.h): where the last `vtpm startup
 * clear` ends, whether it came right after INIT, its map and the markers after its group, and
 * whether the last record resets a PCR. */
struct open_scan {
	const char *text;
	struct mirror_log *l;
	unsigned phase; /* 1: in the last startup clear's group; 2: the records right after it */
	uint8_t after_group[HASH_MAX_SIZE]; /* the register after that group's vtpm ak */
};

/* An extend whose every digest is the "restart, not restored" marker (eventlog.h). */
static bool is_marker(const struct open_scan *sc, const struct evlog_record *rec)
{
	uint8_t want[HASH_MAX_SIZE];

	if (rec->kind != EVLOG_EXTEND || !rec->ndigests)
		return false;
	for (size_t i = 0; i < rec->ndigests; i++) {
		const struct hash_alg *alg = rec->digests[i].alg;

		if (evlog_marker_digest(alg, sc->after_group, sc->l->alg->size, want) < 0 ||
		    memcmp(want, rec->digests[i].d, alg->size) != 0)
			return false;
	}
	return true;
}

static void scan_group(struct open_scan *sc, const struct evlog_entry *e)
{
	struct mirror_log *l = sc->l;
	const struct evlog_record *rec = e->rec;

	if (rec->kind == EVLOG_STARTUP_CLEAR) {
		l->after_startup = (off_t)(e->line - sc->text) + (off_t)e->len + 1;
		l->startup_after_init = e->recnum == 2;
		l->startup_map = 0;
		l->markers = 0;
		sc->phase = 1;
	} else if (sc->phase == 1 && rec->kind == EVLOG_MAP) {
		l->startup_map = rec->pcr_mask;
	} else if (sc->phase == 1 && rec->kind == EVLOG_AK) {
		memcpy(sc->after_group, e->rtmr_after, l->alg->size);
		sc->phase = 2;
	} else if (sc->phase == 2 && is_marker(sc, rec)) {
		l->markers |= 1u << rec->pcr;
	} else if (rec->kind != EVLOG_SYNC && (sc->phase == 2 || rec->kind == EVLOG_RESTART)) {
		sc->phase = 0;
	}
}

static int scan_record(void *ctx, const struct evlog_entry *e)
{
	struct open_scan *sc = ctx;
	enum evlog_kind k = e->rec->kind;

	if (k == EVLOG_INIT)
		memcpy(sc->l->init_value, e->rec->value, sc->l->alg->size);
	scan_group(sc, e);
	sc->l->rolled_reset = k == EVLOG_STARTUP_CLEAR || k == EVLOG_RESET;
	return 0;
}

static int replay_existing(struct mirror *m, unsigned idx, const char *text, size_t len,
			   char *err, size_t errlen)
{
	struct mirror_log *l = &m->logs[idx];
	struct open_scan sc = { .text = text, .l = l };

	l->replay = malloc(sizeof(*l->replay));
	if (!l->replay)
		return set_error(err, errlen, "out of memory");
	evlog_replay_init(l->replay, l->alg);
	l->end = (off_t)len;
	if (evlog_replay_text(l->replay, text, len, l->path, scan_record, &sc, err, errlen) < 0)
		return -1;
	if (!l->replay->started)
		return start_new_log(m, idx, err, errlen);
	if (reconcile(m, idx, l->replay, err, errlen) < 0)
		return -1;
	if (l->found != MIRROR_LOG_ROLLED)
		l->rolled_reset = false;
	return 0;
}

/*
 * A log that does not replay (a record altered into something unparseable) restores nothing
 * and must not keep the daemon from starting: it is kept as rtmr<N>.log.unreadable[.K] and a
 * new log begins, whose INIT names the register as found (DESIGN.md "Restart").
 */
static int set_aside(struct mirror *m, unsigned idx, int dfd, const char *name, const char *why,
		     char *err, size_t errlen)
{
	struct mirror_log *l = &m->logs[idx];
	char aside[RUNTIME_NAME_MAX + 32];

	for (unsigned k = 0; k < 100; k++) {
		if (k == 0)
			snprintf(aside, sizeof(aside), "%s.unreadable", name);
		else
			snprintf(aside, sizeof(aside), "%s.unreadable.%u", name, k);
		if (renameat2(dfd, name, dfd, aside, RENAME_NOREPLACE) == 0)
			break;
		if (errno != EEXIST || k == 99)
			return set_error(err, errlen, "%s; cannot set it aside: %s", why,
					 strerror(errno));
	}
	log_warn("%s: kept as %s, starting a new log", why, aside);
	close(l->fd);
	free(l->replay);
	l->replay = NULL;
	l->fd = safe_openat(dfd, name, O_RDWR | O_APPEND | O_CREAT | O_EXCL, 0644);
	if (l->fd < 0)
		return set_error(err, errlen, "cannot create event log %s: %s", l->path,
				 safe_fs_strerror(l->fd));
	return start_new_log(m, idx, err, errlen);
}

/* A record cut short by a failed append was never extended nor acknowledged: drop it. */
static int drop_partial_record(struct mirror_log *l, const char *text, size_t *len, char *err,
			       size_t errlen)
{
	const char *nl = memrchr(text, '\n', *len);
	size_t keep = nl ? (size_t)(nl - text) + 1 : 0;

	log_warn("%s ends with %zu bytes of an incomplete record (an append failed before): "
		 "removing them: '%.*s'", l->path, *len - keep, (int)(*len - keep), text + keep);
	if (ftruncate(l->fd, (off_t)keep) < 0)
		return set_error(err, errlen, "cannot truncate %s: %s", l->path, strerror(errno));
	*len = keep;
	return 0;
}

static int open_log(struct mirror *m, unsigned idx, const char *runtime_dir, int dfd, char *err,
		    size_t errlen)
{
	struct mirror_log *l = &m->logs[idx];
	_cleanup_free_ char *text = NULL;
	char name[RUNTIME_NAME_MAX], why[EVLOG_MAX_LINE];
	size_t len = 0;
	int r;

	l->alg = rtmr_backend_alg(m->backend, idx);
	if (!l->alg)
		return set_error(err, errlen,
				 "the map uses RTMR%u but backend %s has no such register", idx,
				 rtmr_backend_name(m->backend));
	l->path = runtime_path(runtime_dir, runtime_log_name(idx, name));
	if (!l->path)
		return set_error(err, errlen, "out of memory");
	l->fd = safe_openat(dfd, name, O_RDWR | O_APPEND | O_CREAT, 0644);
	if (l->fd < 0)
		return set_error(err, errlen, "cannot open event log %s: %s", l->path,
				 safe_fs_strerror(l->fd));
	l->used = true;
	r = rtmr_backend_read(m->backend, idx, l->found_value);
	if (r < 0)
		return set_error(err, errlen, "reading RTMR%u failed: %s", idx, strerror(-r));
	r = read_fd_all(l->fd, &text, &len, 256u << 20);
	if (r < 0)
		return set_error(err, errlen, "cannot read event log %s: %s", l->path,
				 strerror(-r));
	if (len > 0 && text[len - 1] != '\n' && drop_partial_record(l, text, &len, err, errlen) < 0)
		return -1;
	if (len == 0)
		return start_new_log(m, idx, err, errlen);
	if (replay_existing(m, idx, text, len, why, sizeof(why)) < 0)
		return set_aside(m, idx, dfd, name, why, err, errlen);
	l->text = TAKE_PTR(text);
	return 0;
}

int mirror_open(struct mirror **out, const struct rtmr_map *map, struct rtmr_backend *backend,
		const char *runtime_dir, char *err, size_t errlen)
{
	const char *crash = getenv("VTPM_RTMR_TEST_CRASH_AFTER_APPEND");
	const char *crash_start = getenv("VTPM_RTMR_TEST_CRASH_AT_START");
	_cleanup_close_ int dfd = -1;
	struct mirror *m;

	dfd = safe_dir_open(runtime_dir, "runtime directory", SAFE_DIR_CREATE | SAFE_DIR_KEEP, 0755,
			    err, errlen);
	if (dfd < 0)
		return -1;
	m = calloc(1, sizeof(*m));
	if (!m)
		return set_error(err, errlen, "out of memory");
	m->map = *map;
	m->backend = backend;
	m->crash_after = crash ? atol(crash) : 0;
	m->crash_at_start = crash_start ? atol(crash_start) : 0;
	for (unsigned i = 0; i < RTMR_MAX; i++)
		m->logs[i].fd = -1;
	for (unsigned i = 0; i < RTMR_MAX; i++) {
		if (rtmr_map_rtmr_used(map, i) && open_log(m, i, runtime_dir, dfd, err, errlen) < 0) {
			mirror_close(m);
			return -1;
		}
	}
	*out = m;
	return 0;
}

void mirror_close(struct mirror *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < RTMR_MAX; i++) {
		if (m->logs[i].fd >= 0)
			close(m->logs[i].fd);
		free(m->logs[i].path);
		free(m->logs[i].replay);
		free(m->logs[i].text);
	}
	free(m);
}

void mirror_start_serving(struct mirror *m)
{
	if (m)
		m->serving = true;
}

void mirror_get_stats(const struct mirror *m, struct mirror_stats *st)
{
	if (m)
		*st = m->stats;
	else
		memset(st, 0, sizeof(*st));
}

void mirror_set_identity(struct mirror *m, const uint8_t ek_sha256[32],
			 const uint8_t ak_sha256[32])
{
	if (!m)
		return;
	memcpy(m->ek, ek_sha256, sizeof(m->ek));
	memcpy(m->ak, ak_sha256, sizeof(m->ak));
	m->identity_set = true;
}

uint32_t mirror_pcrs_of(const struct mirror *m, unsigned idx)
{
	uint32_t mask = 0;

	for (unsigned pcr = 0; pcr < RTMR_MAP_PCRS; pcr++)
		if (rtmr_map_rtmr_of(&m->map, pcr) == (int)idx)
			mask |= 1u << pcr;
	return mask;
}

/* The group in one log: first (startup clear or restart), map, ek, ak (DESIGN.md). */
static int write_group(struct mirror *m, unsigned idx, const char *first, char *why,
		       size_t whylen)
{
	char line[3][128];
	int len[3];

	if (mirror_write_record(m, idx, first, strlen(first), why, whylen) < 0)
		return -1;
	len[0] = evlog_fmt_map(line[0], sizeof(line[0]), mirror_pcrs_of(m, idx));
	len[1] = evlog_fmt_ek(line[1], sizeof(line[1]), m->ek);
	len[2] = evlog_fmt_ak(line[2], sizeof(line[2]), m->ak);
	for (unsigned i = 0; i < ARRAY_SIZE(len); i++) {
		if (len[i] < 0)
			return set_error(why, whylen, "cannot format the records of a group");
		if (mirror_write_record(m, idx, line[i], (size_t)len[i], why, whylen) < 0)
			return -1;
	}
	return 0;
}

int mirror_write_groups(struct mirror *m, const char *first, char *err, size_t errlen)
{
	if (!m->identity_set)
		return set_error(err, errlen, "the EK and AK to record are not known yet");
	for (unsigned i = 0; i < RTMR_MAX; i++)
		if (m->logs[i].used && write_group(m, i, first, err, errlen) < 0)
			return -1;
	return 0;
}

int mirror_new_instance(struct mirror *m, char *err, size_t errlen)
{
	char first[32];

	if (!m)
		return 0;
	if (evlog_fmt_startup_clear(first, sizeof(first)) < 0)
		return set_error(err, errlen, "cannot format a startup record");
	return mirror_write_groups(m, first, err, errlen);
}

int mirror_prepare(struct mirror *m, const uint8_t *cmd, size_t len, struct mirror_op *op)
{
	op->active = false;
	if (!m)
		return 0;
	if (pcr_cmd_classify(cmd, len, &op->chg) < 0)
		return -1;
	switch (op->chg.kind) {
	case PCR_CHANGE_NONE:
		return 0;
	case PCR_CHANGE_STARTUP_CLEAR:
	case PCR_CHANGE_STARTUP_STATE:
		op->active = true;
		return 0;
	default:
		op->active = rtmr_map_rtmr_of(&m->map, op->chg.pcr) >= 0;
		return 0;
	}
}

/* PCR_Extend may name a bank twice (extended twice, in order): one record per run of
 * distinct banks keeps the log's "sorted, no duplicate" rule and the TPM's semantics. */
static int write_extend(struct mirror *m, unsigned idx, const struct pcr_change *chg,
			const struct pcr_banks *banks, char *why, size_t whylen)
{
	struct evlog_digest d[EVLOG_MAX_DIGESTS];
	char line[EVLOG_MAX_LINE + 1];
	size_t n = 0;
	int len;

	for (uint32_t i = 0; i <= chg->digests.count && i <= TPM2_NUM_PCR_BANKS; i++) {
		const TPMT_HA *ha = i < chg->digests.count ? &chg->digests.digests[i] : NULL;
		const struct hash_alg *alg = ha ? hash_alg_by_tpm(ha->hashAlg) : NULL;
		bool dup = false;

		for (size_t j = 0; ha && j < n; j++)
			dup |= d[j].alg->tpm_alg == ha->hashAlg;
		if ((!ha || dup) && n > 0) {
			len = evlog_fmt_extend(line, sizeof(line), chg->pcr, d, n);
			if (len < 0)
				return set_error(why, whylen, "cannot format an extend record");
			if (mirror_write_record(m, idx, line, (size_t)len, why, whylen) < 0)
				return -1;
			n = 0;
		}
		if (!alg || !pcr_banks_has_pcr(banks, ha->hashAlg, chg->pcr))
			continue;
		d[n].alg = alg;
		memcpy(d[n].d, &ha->digest, alg->size);
		n++;
	}
	return 0;
}

/* Startup(STATE) restores PCRs 0-15 as they were saved but puts 16-23, which are not saved,
 * back to their initial values: 16 and 23 to zero, which a reset record says; 17-22 to all
 * 0xFF, which no record can say, so a mirrored one among them fails closed. */
static int startup_state(struct mirror *m, char *why, size_t whylen)
{
	char line[64];
	int len;

	for (unsigned pcr = PCR_FIRST_NOT_SAVED; pcr < RTMR_MAP_PCRS; pcr++) {
		int idx = rtmr_map_rtmr_of(&m->map, pcr);

		if (idx < 0)
			continue;
		if (pcr_initial_byte(pcr) != 0)
			return set_error(why, whylen, "Startup(STATE) re-initialized mirrored PCR %u "
					 "to all 0xFF, which the event log cannot record", pcr);
		len = evlog_fmt_reset(line, sizeof(line), pcr);
		if (len < 0)
			return set_error(why, whylen, "cannot format a reset record");
		if (mirror_write_record(m, (unsigned)idx, line, (size_t)len, why, whylen) < 0)
			return -1;
	}
	return 0;
}

bool mirror_resume_recordable(const struct mirror *m)
{
	for (unsigned pcr = PCR_FIRST_NOT_SAVED; m && pcr < RTMR_MAP_PCRS; pcr++)
		if (pcr_initial_byte(pcr) != 0 && rtmr_map_rtmr_of(&m->map, pcr) >= 0)
			return false;
	return true;
}

int mirror_commit(struct mirror *m, struct mirror_op *op, const uint8_t *rsp, size_t rlen,
		  const struct pcr_banks *banks, char *why, size_t whylen)
{
	char line[64];
	int r, idx, len;

	if (!m || !op->active)
		return 0; /* nothing this mirror records */
	r = pcr_rsp_apply(rsp, rlen, &op->chg);
	if (r == 0)
		return 0; /* the TPM refused: no PCR changed */
	if (r < 0)
		return set_error(why, whylen, "unparseable response to a %s command",
			         pcr_change_kind_name(op->chg.kind));
	if (op->chg.kind == PCR_CHANGE_STARTUP_CLEAR)
		return mirror_new_instance(m, why, whylen);
	if (op->chg.kind == PCR_CHANGE_STARTUP_STATE)
		return startup_state(m, why, whylen);
	idx = rtmr_map_rtmr_of(&m->map, op->chg.pcr);
	if (idx < 0)
		return 0;
	if (op->chg.kind == PCR_CHANGE_RESET) {
		len = evlog_fmt_reset(line, sizeof(line), op->chg.pcr);
		if (len < 0)
			return set_error(why, whylen, "cannot format a reset record");
		return mirror_write_record(m, (unsigned)idx, line, (size_t)len, why, whylen);
	}
	return write_extend(m, (unsigned)idx, &op->chg, banks, why, whylen);
}
