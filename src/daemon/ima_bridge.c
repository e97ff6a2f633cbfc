// SPDX-License-Identifier: MIT
#include "daemon/ima_bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/hash_alg.h"
#include "daemon/ima_list.h"
#include "daemon/pcr_history.h"
#include "daemon/privileges.h"
#include "common/log.h"
#include "daemon/service.h"
#include "tpm_cmds/tpm_build.h"
#include "tpm_cmds/tpm_frame.h"
#include "common/util.h"

#define READ_CHUNK (256 * 1024)

struct ima_bridge {
	struct service *svc;
	char *path;
	int fd;
	uint8_t *buf;          /* bytes read but not yet applied (a partial entry at most) */
	size_t len, cap;
	size_t pending;        /* bytes of the entry handed out by next_extend, not yet extended */
	unsigned long applied;
	/* What a restore put back into the PCRs (daemon/pcr_history.h): entries found there are
	 * skipped at start, until the first that is not; NULL after that. */
	struct pcr_history *restored;
	unsigned long skipped;
	bool stopped;          /* a malformed list or a failed extend: the bridge gave up */
	unsigned poll_ms;
	int stop_fd;
	pthread_t thread;
	bool thread_started;
	sem_t confined;        /* posted by the thread once it holds no capability */
};

bool ima_bridge_needs_catch_up(uint32_t cc)
{
	switch (cc) {
	case TPM2_CC_PCR_Read:
	case TPM2_CC_Quote:
	case TPM2_CC_PolicyPCR:
	case TPM2_CC_CreatePrimary: /* creation PCRs */
	case TPM2_CC_Create:
	case TPM2_CC_CreateLoaded:
		return true;
	default:
		return false;
	}
}

bool ima_bridge_wanted(const char *list_path)
{
	uint8_t buf[4096];
	_cleanup_close_ int fd = open(list_path ? list_path : IMA_DEFAULT_LIST,
				      O_RDONLY | O_CLOEXEC);
	struct ima_entry e;
	char err[128];
	ssize_t n;

	if (fd < 0)
		return false;
	n = read_full(fd, buf, sizeof(buf));
	return n > 0 && ima_entry_parse(buf, (size_t)n, &e, err, sizeof(err)) > 0 &&
	       ima_entry_is_zero_boot_aggregate(&e);
}

static void give_up(struct ima_bridge *b, const char *what)
{
	b->stopped = true;
	log_error("IMA bridge stopped after %lu entries: %s (%s); PCRs no longer follow the IMA "
		  "list", b->applied, what, b->path);
}

/* An entry's template digest in every active bank. */
static int entry_digests(struct ima_bridge *b, const struct ima_entry *e,
			 const struct pcr_banks *banks, TPML_DIGEST_VALUES *d)
{
	char err[256];

	d->count = 0;
	for (size_t i = 0; i < banks->n; i++) {
		const struct hash_alg *alg = hash_alg_by_tpm(banks->alg[i]);

		if (!alg)
			continue;
		d->digests[d->count].hashAlg = alg->tpm_alg;
		if (ima_template_digest(e, alg, (uint8_t *)&d->digests[d->count].digest, err,
					sizeof(err)) < 0) {
			give_up(b, err);
			return -1;
		}
		d->count++;
	}
	return 0;
}

static int read_more(struct ima_bridge *b)
{
	ssize_t n;

	if (b->cap - b->len < READ_CHUNK) {
		uint8_t *nb = realloc(b->buf, b->len + READ_CHUNK);

		if (!nb)
			return -ENOMEM;
		b->buf = nb;
		b->cap = b->len + READ_CHUNK;
	}
	do {
		n = read(b->fd, b->buf + b->len, b->cap - b->len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	b->len += (size_t)n;
	return (int)(n > 0);
}

/* The next whole entry: 1 with *e set and its length in *n, 0 if none is buffered yet. */
static int next_entry(struct ima_bridge *b, struct ima_entry *e, size_t *n)
{
	char err[256], what[320];
	long r = ima_entry_parse(b->buf, b->len, e, err, sizeof(err));

	if (r < 0) {
		snprintf(what, sizeof(what), "malformed entry %lu: %s", b->applied + 1, err);
		give_up(b, what);
		return -1;
	}
	*n = (size_t)r;
	return r > 0;
}

/* The entry handed out is done with: applied, or found already applied. */
static void consume(struct ima_bridge *b)
{
	memmove(b->buf, b->buf + b->pending, b->len - b->pending);
	b->len -= b->pending;
	b->pending = 0;
	b->applied++;
}

/* ---- the service's hook ---- */

static bool hook_before_command(void *ctx, uint32_t cc)
{
	(void)ctx;
	return ima_bridge_needs_catch_up(cc);
}

static int next_to_extend(struct ima_bridge *b, const struct pcr_banks *banks, uint32_t *pcr,
			  TPML_DIGEST_VALUES *d)
{
	struct ima_entry e;
	int r;

	if (b->stopped)
		return -1;
	for (;;) {
		r = next_entry(b, &e, &b->pending);
		if (r < 0)
			return -1;
		if (r > 0)
			break;
		r = read_more(b);
		if (r < 0) {
			give_up(b, strerror(-r));
			return -1;
		}
		if (r == 0)
			return 0;
	}
	if (entry_digests(b, &e, banks, d) < 0)
		return -1;
	*pcr = e.pcr;
	return 1;
}

/* Stop looking for entries in the restored PCRs: from here on every entry is applied. */
static void resume_done(struct ima_bridge *b, const char *why)
{
	if (!b->restored)
		return;
	pcr_history_free(b->restored);
	b->restored = NULL;
	log_info("IMA bridge: %lu entries were already in their PCRs (restored from the event "
		 "logs); %s", b->skipped, why);
}

/* Whether the entry's extend (digests d of its PCR's banks) is one the restore put back. */
static bool already_applied(struct ima_bridge *b, uint32_t pcr, const struct pcr_banks *banks,
			    const TPML_DIGEST_VALUES *d)
{
	struct evlog_digest x[TPM2_NUM_PCR_BANKS];
	size_t n = 0;

	for (uint32_t i = 0; i < d->count && n < TPM2_NUM_PCR_BANKS; i++) {
		const struct hash_alg *alg = hash_alg_by_tpm(d->digests[i].hashAlg);

		if (!alg || !pcr_banks_has_pcr(banks, alg->tpm_alg, pcr))
			continue;
		x[n].alg = alg;
		memcpy(x[n++].d, &d->digests[i].digest, alg->size);
	}
	return n && pcr_history_take(b->restored, pcr, x, n);
}

/* The next entry to extend, past those a restore already put back into their PCRs. */
static int hook_next_extend(void *ctx, const struct pcr_banks *banks, uint32_t *pcr,
			    TPML_DIGEST_VALUES *d)
{
	struct ima_bridge *b = ctx;
	int r;

	for (;;) {
		r = next_to_extend(b, banks, pcr, d);
		if (r <= 0 || !b->restored)
			return r;
		if (!already_applied(b, *pcr, banks, d)) {
			resume_done(b, "applying the list from the first entry that was not");
			return r;
		}
		consume(b);
		b->skipped++;
	}
}

static void hook_extended(void *ctx, uint32_t rc)
{
	struct ima_bridge *b = ctx;
	char err[64];

	if (rc != TPM2_RC_SUCCESS) {
		snprintf(err, sizeof(err), "extending an entry's PCR failed (0x%x)", rc);
		give_up(b, err);
		return;
	}
	consume(b);
}

/* Startup(CLEAR): the PCRs are back at their initial values: the whole list again. */
static void hook_pcrs_reset(void *ctx)
{
	struct ima_bridge *b = ctx;

	if (b->stopped)
		return;
	resume_done(b, "the PCRs were reset since");
	if (lseek(b->fd, 0, SEEK_SET) < 0) {
		give_up(b, "cannot rewind the list");
		return;
	}
	b->len = 0;
	b->pending = 0;
	b->applied = 0;
	log_info("IMA bridge: PCRs were reset (Startup(CLEAR)); applying the list again");
}

static const struct service_hook_ops bridge_hook = {
	.before_command = hook_before_command,
	.next_extend = hook_next_extend,
	.extended = hook_extended,
	.pcrs_reset = hook_pcrs_reset,
};

static void *follow(void *arg)
{
	struct ima_bridge *b = arg;
	struct pollfd p = { .fd = b->stop_fd, .events = POLLIN };

	/* before the daemon's system call filter, which has no capset: the start waits for it */
	privileges_drop_thread_capabilities();
	sem_post(&b->confined);
	for (;;) {
		int r = poll(&p, 1, (int)b->poll_ms);

		if (r > 0 || (r < 0 && errno != EINTR))
			break;
		service_run_hook(b->svc);
	}
	return NULL;
}

int ima_bridge_start(struct ima_bridge **out, const struct ima_bridge_config *cfg,
		     struct service *svc, char *err, size_t errlen)
{
	struct ima_bridge *b = calloc(1, sizeof(*b));

	if (!b) {
		pcr_history_free(cfg->restored);
		return set_error(err, errlen, "out of memory");
	}
	b->restored = cfg->restored;
	b->svc = svc;
	b->stop_fd = -1;
	b->poll_ms = cfg->poll_ms ? cfg->poll_ms : 1000;
	b->path = strdup(cfg->list_path ? cfg->list_path : IMA_DEFAULT_LIST);
	b->fd = b->path ? open(b->path, O_RDONLY | O_CLOEXEC) : -1;
	if (b->fd < 0) {
		set_error(err, errlen, "IMA bridge: cannot open %s: %s", b->path ? b->path : "",
			  strerror(errno));
		ima_bridge_stop(b);
		return -1;
	}
	b->stop_fd = eventfd(0, EFD_CLOEXEC);
	service_set_hook(svc, &bridge_hook, b);
	service_run_hook(svc);
	resume_done(b, "the list has no more entries yet");
	log_info("IMA bridge: following %s (%lu entries applied)", b->path, b->applied);
	if (b->stop_fd < 0 || sem_init(&b->confined, 0, 0) < 0 ||
	    pthread_create(&b->thread, NULL, follow, b) != 0) {
		set_error(err, errlen, "IMA bridge: cannot start its thread");
		ima_bridge_stop(b);
		return -1;
	}
	b->thread_started = true;
	while (sem_wait(&b->confined) < 0 && errno == EINTR)
		;
	*out = b;
	return 0;
}

void ima_bridge_stop(struct ima_bridge *b)
{
	uint64_t one = 1;

	if (!b)
		return;
	if (b->svc)
		service_set_hook(b->svc, NULL, NULL);
	if (b->thread_started) {
		if (write(b->stop_fd, &one, sizeof(one)) < 0)
			log_warn("IMA bridge: cannot signal its thread");
		pthread_join(b->thread, NULL);
	}
	if (b->stop_fd >= 0)
		close(b->stop_fd);
	if (b->fd >= 0)
		close(b->fd);
	free(b->buf);
	free(b->path);
	pcr_history_free(b->restored);
	free(b);
}
