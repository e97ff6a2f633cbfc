// SPDX-License-Identifier: MIT
/*
 * What a restart finds in the logs (DESIGN.md "Restart"): whether the registers were still at
 * their boot values, whether the logs can restore the PCRs, the records to restore them from,
 * and the records of a restart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "daemon/mirror.h"
#include "daemon/mirror_priv.h"

bool mirror_found_at_boot(const struct mirror *m, const uint8_t (*boot)[HASH_MAX_SIZE])
{
	static const uint8_t zero[HASH_MAX_SIZE];

	for (unsigned i = 0; i < RTMR_MAX; i++) {
		const struct mirror_log *l = &m->logs[i];

		if (l->used && memcmp(l->found_value, boot ? boot[i] : zero, l->alg->size) != 0)
			return false;
	}
	return true;
}

static bool same_digest(const struct evlog_digest *d, const uint8_t want[32])
{
	return d->alg == hash_alg_by_name("sha256") && memcmp(d->d, want, 32) == 0;
}

/*
 * Whether the last `vtpm startup clear` group says the PCRs were fresh then: the first start
 * of the boot (right after an INIT of the boot value), or a restart that could not restore
 * them and extended every PCR of the group's map with the marker after it. Any other (a restart
 * killed before its markers were all written, a client's Startup(CLEAR) on the socket
 * transport) cannot tell a fresh TPM from one reset by killing the daemon.
 */
static bool startup_trusted(const struct mirror_log *l, const uint8_t *boot)
{
	if (l->startup_after_init && boot && memcmp(l->init_value, boot, l->alg->size) == 0)
		return true;
	return (l->markers & l->startup_map) == l->startup_map;
}

/* Why the PCRs of one log's RTMR cannot come from its records; NULL: they can. */
static const char *unanchored(const struct mirror_log *l, const uint8_t *boot)
{
	const struct evlog_replay *rp = l->replay;

	switch (l->found) {
	case MIRROR_LOG_NEW:
		return "there was no event log (missing, empty or unreadable)";
	case MIRROR_LOG_SYNCED:
		return "the event log did not replay to its register (a SYNC record was needed)";
	case MIRROR_LOG_ROLLED:
		if (l->rolled_reset)
			return "the record rolled forward into the register would reset a PCR";
		break;
	case MIRROR_LOG_CONTINUED:
		break;
	}
	if (!rp || !rp->last_startup)
		return "the event log has no vtpm startup clear";
	if (rp->last_sync > rp->last_startup)
		return "a SYNC record follows the last vtpm startup clear: the records after it are "
		       "not anchored by the register";
	if (!startup_trusted(l, boot))
		return "its last vtpm startup clear is neither the first start of the boot nor "
		       "followed by the restart marker of every PCR it maps (a start killed before "
		       "its markers were written, or a client's Startup(CLEAR))";
	if (rp->group_error_last > rp->last_startup)
		return rp->group_error > rp->last_startup ? rp->group_error_what :
		       "a record after the last vtpm startup clear breaks the group rule";
	if (rp->restart_error_last > rp->last_startup)
		return rp->restart_error > rp->last_startup ? rp->restart_error_what :
		       "a vtpm restart group after the last vtpm startup clear does not repeat the "
		       "group before it";
	if (!rp->group.record || (rp->group_step && !rp->open_restart))
		return "the event log does not end with a complete vtpm map, ek, ak group";
	return NULL;
}

int mirror_restorable(const struct mirror *m, const uint8_t (*boot)[HASH_MAX_SIZE],
		      uint8_t ek[32], uint8_t ak[32], char *why, size_t whylen)
{
	bool first = true;

	for (unsigned i = 0; i < RTMR_MAX; i++) {
		const struct mirror_log *l = &m->logs[i];
		const char *what;

		if (!l->used)
			continue;
		what = unanchored(l, boot ? boot[i] : NULL);
		if (what)
			return set_error(why, whylen, "%s: %s", l->path, what);
		if (l->replay->group.map != mirror_pcrs_of(m, i))
			return set_error(why, whylen, "%s: its vtpm map names other PCRs than this "
					 "start maps to RTMR%u", l->path, i);
		if (l->replay->group.ek.alg != hash_alg_by_name("sha256") ||
		    l->replay->group.ak.alg != hash_alg_by_name("sha256"))
			return set_error(why, whylen, "%s: its EK or AK is not named by sha256",
					 l->path);
		if (first) {
			memcpy(ek, l->replay->group.ek.d, 32);
			memcpy(ak, l->replay->group.ak.d, 32);
			first = false;
		} else if (!same_digest(&l->replay->group.ek, ek) ||
			   !same_digest(&l->replay->group.ak, ak)) {
			return set_error(why, whylen, "%s: its last group names another EK or AK "
					 "than the other logs", l->path);
		}
	}
	if (first)
		return set_error(why, whylen, "no RTMR is mapped");
	return 0;
}

/* A restart killed while writing its group left it unfinished: it repeats the group before. */
static int finish_group(struct mirror *m, unsigned idx, char *err, size_t errlen)
{
	const struct evlog_replay *rp = m->logs[idx].replay;
	char line[3][128];
	int len[3];

	len[0] = evlog_fmt_map(line[0], sizeof(line[0]), rp->group.map);
	len[1] = evlog_fmt_ek(line[1], sizeof(line[1]), rp->group.ek.d);
	len[2] = evlog_fmt_ak(line[2], sizeof(line[2]), rp->group.ak.d);
	log_warn("%s ends with the unfinished group of a vtpm restart (a start was killed while "
		 "writing it): finishing it as the group before it", m->logs[idx].path);
	for (unsigned step = rp->group_step; step <= ARRAY_SIZE(len); step++) {
		if (len[step - 1] < 0)
			return set_error(err, errlen, "cannot format a group record");
		if (mirror_write_record(m, idx, line[step - 1], (size_t)len[step - 1], err,
					errlen) < 0)
			return -1;
	}
	return 0;
}

int mirror_finish_groups(struct mirror *m, char *err, size_t errlen)
{
	for (unsigned i = 0; m && i < RTMR_MAX; i++) {
		const struct evlog_replay *rp = m->logs[i].replay;

		if (!m->logs[i].used || !rp || !rp->group_step || !rp->open_restart ||
		    !rp->group.record || rp->group.ek.alg != hash_alg_by_name("sha256") ||
		    rp->group.ak.alg != hash_alg_by_name("sha256"))
			continue;
		if (finish_group(m, i, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The records after the last startup clear of one log, parsed again from the text read at
 * open (never from the file again: it may have changed since it was checked). */
static int walk_log(const struct mirror_log *l, mirror_record_cb cb, void *ctx, char *err,
		    size_t errlen)
{
	const char *p = l->text + l->after_startup, *end = l->text + l->end;
	struct evlog_record rec;
	char what[256];

	while (p < end) {
		const char *line = p, *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n;
		int r;

		if (!lf)
			return set_error(err, errlen, "%s: its last record has no LF", l->path);
		n = (size_t)(lf - line);
		p = lf + 1;
		if (evlog_line_is_comment(line, n))
			continue;
		if (evlog_parse_record(line, n, &rec, what, sizeof(what)) < 0)
			return set_error(err, errlen, "%s: %s", l->path, what);
		if (rec.kind != EVLOG_EXTEND && rec.kind != EVLOG_RESET)
			continue;
		r = cb(ctx, &rec);
		if (r)
			return r;
	}
	return 0;
}

int mirror_walk_restorable(struct mirror *m, mirror_record_cb cb, void *ctx, char *err,
			   size_t errlen)
{
	for (unsigned i = 0; i < RTMR_MAX; i++) {
		const struct mirror_log *l = &m->logs[i];
		int r;

		if (!l->used)
			continue;
		if (!l->text)
			return set_error(err, errlen, "%s: nothing to restore from", l->path);
		r = walk_log(l, cb, ctx, err, errlen);
		if (r)
			return r;
	}
	return 0;
}

int mirror_logged_pcr(const struct mirror *m, unsigned pcr, const struct hash_alg *alg,
		      uint8_t *out)
{
	int idx = pcr < RTMR_MAP_PCRS ? rtmr_map_rtmr_of(&m->map, pcr) : -1;
	const struct evlog_replay *rp = idx >= 0 ? m->logs[idx].replay : NULL;
	const struct evlog_pcr_bank *b;

	if (!rp)
		return -1;
	b = evlog_replay_bank(rp, alg);
	if (b)
		memcpy(out, b->value[pcr], alg->size);
	else
		memset(out, rp->pcr_base[pcr], alg->size);
	return 0;
}

int mirror_restart_instance(struct mirror *m, char *err, size_t errlen)
{
	char first[32];

	if (evlog_fmt_restart(first, sizeof(first)) < 0)
		return set_error(err, errlen, "cannot format a restart record");
	return mirror_write_groups(m, first, err, errlen);
}

void mirror_note(struct mirror *m, const char *text)
{
	char line[EVLOG_MAX_LINE + 1];
	int n = snprintf(line, sizeof(line), "# %s", text);

	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	for (unsigned i = 0; i < RTMR_MAX; i++)
		if (m->logs[i].used && evlog_append(m->logs[i].fd, line, (size_t)n) < 0)
			log_warn("cannot add a comment to %s", m->logs[i].path);
}

int mirror_rtmr_of_pcr(const struct mirror *m, unsigned pcr, uint8_t *value,
		       const struct hash_alg **alg)
{
	int idx = pcr < RTMR_MAP_PCRS ? rtmr_map_rtmr_of(&m->map, pcr) : -1;

	if (idx < 0 || !m->logs[idx].used)
		return -1;
	memcpy(value, m->logs[idx].expected, m->logs[idx].alg->size);
	*alg = m->logs[idx].alg;
	return 0;
}

void mirror_restart_done(struct mirror *m)
{
	for (unsigned i = 0; m && i < RTMR_MAX; i++) {
		free(m->logs[i].replay);
		m->logs[i].replay = NULL;
		free(m->logs[i].text);
		m->logs[i].text = NULL;
	}
}
