// SPDX-License-Identifier: MIT
#include "daemon/ima_bridge.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/hash_alg.h"
#include "daemon/ima_list.h"
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
	unsigned long applied;
	bool stopped;          /* a malformed list or a failed extend: the bridge gave up */
	uint16_t banks[8];
	size_t nbanks;
	unsigned poll_ms;
	int stop_fd;
	pthread_t thread;
	bool thread_started;
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

/* One entry into its PCR, every active bank, through the service (mirrored). */
static int apply_entry(struct ima_bridge *b, const struct ima_entry *e)
{
	uint8_t cmd[1024], rsp[TPM_MAX_COMMAND_SIZE];
	TPML_DIGEST_VALUES d = { 0 };
	char err[256];
	size_t len, rlen;

	for (size_t i = 0; i < b->nbanks; i++) {
		const struct hash_alg *alg = hash_alg_by_tpm(b->banks[i]);

		if (!alg)
			continue;
		d.digests[d.count].hashAlg = alg->tpm_alg;
		if (ima_template_digest(e, alg, (uint8_t *)&d.digests[d.count].digest, err,
					sizeof(err)) < 0) {
			give_up(b, err);
			return -1;
		}
		d.count++;
	}
	len = tpm_build_pcr_extend(cmd, sizeof(cmd), e->pcr, &d);
	rlen = service_execute_locked(b->svc, cmd, len, rsp, sizeof(rsp));
	if (tpm_response_rc(rsp, rlen) != TPM2_RC_SUCCESS) {
		snprintf(err, sizeof(err), "extending PCR %u failed (0x%x)", e->pcr,
			 tpm_response_rc(rsp, rlen));
		give_up(b, err);
		return -1;
	}
	b->applied++;
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

/* Apply every complete entry in the buffer; keep a partial one. */
static int apply_buffered(struct ima_bridge *b)
{
	size_t off = 0;
	int r = 0;

	while (!b->stopped) {
		struct ima_entry e;
		char err[256];
		long n = ima_entry_parse(b->buf + off, b->len - off, &e, err, sizeof(err));

		if (n == 0)
			break;
		if (n < 0) {
			char what[320];

			snprintf(what, sizeof(what), "malformed entry %lu: %s", b->applied + 1, err);
			give_up(b, what);
			r = -1;
			break;
		}
		if (apply_entry(b, &e) < 0) {
			r = -1;
			break;
		}
		off += (size_t)n;
	}
	memmove(b->buf, b->buf + off, b->len - off);
	b->len -= off;
	return r;
}

void ima_bridge_catch_up_locked(struct ima_bridge *b)
{
	int r;

	if (!b || b->stopped || service_failed_locked(b->svc))
		return;
	while ((r = read_more(b)) > 0)
		if (apply_buffered(b) < 0)
			return;
	if (r < 0)
		give_up(b, strerror(-r));
}

void ima_bridge_restart_locked(struct ima_bridge *b)
{
	if (!b || b->stopped)
		return;
	if (lseek(b->fd, 0, SEEK_SET) < 0) {
		give_up(b, "cannot rewind the list");
		return;
	}
	b->len = 0;
	b->applied = 0;
	log_info("IMA bridge: PCRs were reset (Startup(CLEAR)); applying the list again");
	ima_bridge_catch_up_locked(b);
}

unsigned long ima_bridge_applied(struct ima_bridge *b)
{
	return b ? b->applied : 0;
}

static void *follow(void *arg)
{
	struct ima_bridge *b = arg;
	struct pollfd p = { .fd = b->stop_fd, .events = POLLIN };

	for (;;) {
		int r = poll(&p, 1, (int)b->poll_ms);

		if (r > 0 || (r < 0 && errno != EINTR))
			break;
		service_lock(b->svc);
		ima_bridge_catch_up_locked(b);
		service_unlock(b->svc);
	}
	return NULL;
}

int ima_bridge_start(struct ima_bridge **out, const struct ima_bridge_config *cfg,
		     struct service *svc, char *err, size_t errlen)
{
	struct ima_bridge *b = calloc(1, sizeof(*b));

	if (!b)
		return -1;
	b->svc = svc;
	b->stop_fd = -1;
	b->poll_ms = cfg->poll_ms ? cfg->poll_ms : 1000;
	b->nbanks = cfg->nbanks < ARRAY_SIZE(b->banks) ? cfg->nbanks : ARRAY_SIZE(b->banks);
	memcpy(b->banks, cfg->banks, b->nbanks * sizeof(b->banks[0]));
	b->path = strdup(cfg->list_path ? cfg->list_path : IMA_DEFAULT_LIST);
	b->fd = b->path ? open(b->path, O_RDONLY | O_CLOEXEC) : -1;
	if (b->fd < 0) {
		snprintf(err, errlen, "IMA bridge: cannot open %s: %s", b->path ? b->path : "",
			 strerror(errno));
		ima_bridge_stop(b);
		return -1;
	}
	b->stop_fd = eventfd(0, EFD_CLOEXEC);
	service_lock(svc);
	ima_bridge_catch_up_locked(b);
	service_unlock(svc);
	log_info("IMA bridge: following %s (%lu entries applied)", b->path, b->applied);
	if (b->stop_fd < 0 || pthread_create(&b->thread, NULL, follow, b) != 0) {
		snprintf(err, errlen, "IMA bridge: cannot start its thread");
		ima_bridge_stop(b);
		return -1;
	}
	b->thread_started = true;
	*out = b;
	return 0;
}

void ima_bridge_stop(struct ima_bridge *b)
{
	uint64_t one = 1;

	if (!b)
		return;
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
	free(b);
}
