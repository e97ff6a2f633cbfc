// SPDX-License-Identifier: MIT
#include "daemon/pcr_history.h"

#include <stdlib.h>
#include <string.h>

#include "common/hash_alg.h"
#include "common/util.h"

#define FP_SIZE 16 /* of SHA-256 over the sorted digests: to match, not to prove */

struct fp_list {
	uint8_t (*fp)[FP_SIZE];
	size_t n, cap;
	size_t next; /* the first one not taken or passed over */
};

struct pcr_history {
	struct fp_list pcr[EVLOG_PCRS];
};

/* SHA-256 over (TPM_ALG_ID, digest) of each digest, in TPM_ALG_ID order. */
static int fingerprint(const struct evlog_digest *d, size_t n, uint8_t out[FP_SIZE])
{
	uint8_t buf[EVLOG_MAX_DIGESTS * (2 + HASH_MAX_SIZE)], full[32];
	size_t len = 0, order[EVLOG_MAX_DIGESTS];

	if (n > EVLOG_MAX_DIGESTS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		while (j > 0 && d[order[j - 1]].alg->tpm_alg > d[i].alg->tpm_alg) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	for (size_t i = 0; i < n; i++) {
		const struct evlog_digest *x = &d[order[i]];

		buf[len] = (uint8_t)(x->alg->tpm_alg >> 8);
		buf[len + 1] = (uint8_t)x->alg->tpm_alg;
		memcpy(buf + len + 2, x->d, x->alg->size);
		len += 2 + x->alg->size;
	}
	if (hash_digest(hash_alg_by_name("sha256"), buf, len, full) < 0)
		return -1;
	memcpy(out, full, FP_SIZE);
	return 0;
}

struct pcr_history *pcr_history_new(void)
{
	return calloc(1, sizeof(struct pcr_history));
}

void pcr_history_free(struct pcr_history *h)
{
	if (!h)
		return;
	for (unsigned p = 0; p < EVLOG_PCRS; p++)
		free(h->pcr[p].fp);
	free(h);
}

static int push(struct fp_list *l, const uint8_t fp[FP_SIZE])
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		void *nf = realloc(l->fp, cap * FP_SIZE);

		if (!nf)
			return -1;
		l->fp = nf;
		l->cap = cap;
	}
	memcpy(l->fp[l->n++], fp, FP_SIZE);
	return 0;
}

int pcr_history_add(struct pcr_history *h, const struct evlog_record *rec)
{
	uint8_t fp[FP_SIZE];

	if (rec->pcr >= EVLOG_PCRS)
		return 0;
	if (rec->kind == EVLOG_RESET) {
		h->pcr[rec->pcr].n = h->pcr[rec->pcr].next = 0;
		return 0;
	}
	if (rec->kind != EVLOG_EXTEND || fingerprint(rec->digests, rec->ndigests, fp) < 0)
		return 0;
	return push(&h->pcr[rec->pcr], fp);
}

bool pcr_history_take(struct pcr_history *h, unsigned pcr, const struct evlog_digest *d,
		      size_t n)
{
	struct fp_list *l;
	uint8_t fp[FP_SIZE];

	if (!h || pcr >= EVLOG_PCRS || fingerprint(d, n, fp) < 0)
		return false;
	l = &h->pcr[pcr];
	for (size_t i = l->next; i < l->n; i++) {
		if (memcmp(l->fp[i], fp, FP_SIZE) == 0) {
			l->next = i + 1;
			return true;
		}
	}
	return false;
}

size_t pcr_history_count(const struct pcr_history *h, unsigned pcr)
{
	return h && pcr < EVLOG_PCRS ? h->pcr[pcr].n : 0;
}

size_t pcr_history_taken(const struct pcr_history *h, unsigned pcr)
{
	return h && pcr < EVLOG_PCRS ? h->pcr[pcr].next : 0;
}
