// SPDX-License-Identifier: MIT
/* TCG2 crypto-agile event log: replay into per-bank register values (see tcg2.h). */
#include "eventlog/tcg2.h"

#include <string.h>

#include "common/util.h"

/* EV_NO_ACTION data of a StartupLocality event: the signature, then the locality byte. */
static const char startup_locality_sig[16] = "StartupLocality";

void tcg2_replay_init(struct tcg2_replay *r)
{
	size_t n;
	const struct hash_alg *algs = hash_alg_all(&n);

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < n && i < TCG2_MAX_ALGS; i++)
		r->banks[i].alg = &algs[i];
	r->nbanks = n < TCG2_MAX_ALGS ? n : TCG2_MAX_ALGS;
}

static struct tcg2_replay_bank *bank_of(struct tcg2_replay *r, const struct hash_alg *alg)
{
	for (size_t i = 0; i < r->nbanks; i++)
		if (r->banks[i].alg == alg)
			return &r->banks[i];
	return NULL;
}

static void no_action(struct tcg2_replay *r, const struct tcg2_event *ev)
{
	if (ev->index == 0 && ev->data_size == sizeof(startup_locality_sig) + 1 &&
	    memcmp(ev->data, startup_locality_sig, sizeof(startup_locality_sig)) == 0) {
		r->locality_set = true;
		r->locality = ev->data[sizeof(startup_locality_sig)];
	}
}

int tcg2_replay_event(struct tcg2_replay *r, const struct tcg2_event *ev, char *err,
		      size_t errlen)
{
	if (ev->type == TCG2_EV_NO_ACTION) {
		no_action(r, ev);
		r->events++;
		return 0;
	}
	if (ev->index >= TCG2_MAX_INDEX)
		return set_error(err, errlen, "index %u is out of range 0..%d", ev->index,
				 TCG2_MAX_INDEX - 1);
	for (uint32_t i = 0; i < ev->ndigests; i++) {
		const struct tcg2_digest *d = &ev->digests[i];
		struct tcg2_replay_bank *b = d->alg ? bank_of(r, d->alg) : NULL;
		uint8_t *v;

		if (!b || d->size != d->alg->size)
			continue;
		v = b->value[ev->index];
		if (!(b->extended & (1u << ev->index)) && ev->index == 0 && r->locality_set)
			v[d->alg->size - 1] = r->locality;
		if (hash_extend(d->alg, v, d->d, d->size) < 0)
			return set_error(err, errlen, "hash computation failed");
		b->extended |= 1u << ev->index;
	}
	r->events++;
	return 0;
}

const uint8_t *tcg2_replay_value(const struct tcg2_replay *r, const struct hash_alg *alg,
				 unsigned index)
{
	for (size_t i = 0; i < r->nbanks; i++)
		if (r->banks[i].alg == alg && index < TCG2_MAX_INDEX &&
		    (r->banks[i].extended & (1u << index)))
			return r->banks[i].value[index];
	return NULL;
}

static int replay_cb(void *ctx, const struct tcg2_event *ev, char *err, size_t errlen)
{
	return tcg2_replay_event(ctx, ev, err, errlen);
}

int tcg2_replay_log(struct tcg2_replay *r, const uint8_t *buf, size_t len,
		    struct tcg2_log_info *info, char *err, size_t errlen)
{
	tcg2_replay_init(r);
	return tcg2_log_parse(buf, len, replay_cb, r, info, err, errlen);
}

struct mr_ctx {
	const struct hash_alg *alg;
	uint8_t (*values)[HASH_MAX_SIZE];
	size_t n;
	uint32_t mask;
};

/* Only alg's digests count: an index beyond n is an error only if it is extended in alg. */
static int mr_cb(void *ctx, const struct tcg2_event *ev, char *err, size_t errlen)
{
	struct mr_ctx *c = ctx;

	if (ev->type == TCG2_EV_NO_ACTION)
		return 0;
	for (uint32_t i = 0; i < ev->ndigests; i++) {
		const struct tcg2_digest *d = &ev->digests[i];

		if (d->alg != c->alg)
			continue;
		if (ev->index >= c->n || ev->index >= 32)
			return set_error(err, errlen, "%s index %u is out of range 0..%zu",
					 c->alg->name, ev->index, (c->n < 32 ? c->n : 32) - 1);
		if (hash_extend(c->alg, c->values[ev->index], d->d, d->size) < 0)
			return set_error(err, errlen, "hash computation failed");
		c->mask |= 1u << ev->index;
	}
	return 0;
}

int tcg2_replay_mr(const uint8_t *buf, size_t len, const struct hash_alg *alg,
		   uint8_t (*values)[HASH_MAX_SIZE], size_t n, uint32_t *mask, char *err,
		   size_t errlen)
{
	struct mr_ctx c = { .alg = alg, .values = values, .n = n };

	if (!alg || !values || n == 0)
		return set_error(err, errlen, "no algorithm or no room for values");
	memset(values, 0, n * sizeof(*values));
	if (tcg2_log_parse(buf, len, mr_cb, &c, NULL, err, errlen) < 0)
		return -1;
	if (mask)
		*mask = c.mask;
	return 0;
}
