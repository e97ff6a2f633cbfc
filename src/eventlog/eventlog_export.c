// SPDX-License-Identifier: MIT
/* CEL-JSON export of event logs (json-c builds every byte of the document). */
#include "eventlog/eventlog.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

static inline void json_putp(struct json_object **p)
{
	if (*p)
		json_object_put(*p);
}

#define _cleanup_json_ __attribute__((cleanup(json_putp)))

/* Add val (owned) under key; false, with val freed, if val is NULL or adding fails. */
static bool obj_add(struct json_object *obj, const char *key, struct json_object *val)
{
	if (!val)
		return false;
	if (json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return false;
	}
	return true;
}

static bool arr_add(struct json_object *arr, struct json_object *val)
{
	if (!val)
		return false;
	if (json_object_array_add(arr, val) < 0) {
		json_object_put(val);
		return false;
	}
	return true;
}

static struct json_object *hex_string(const uint8_t *d, size_t n)
{
	char hex[2 * HASH_MAX_SIZE + 1];

	hex_encode(d, n, hex);
	return json_object_new_string(hex);
}

/* {"hashAlg":"<alg>",<key>:"<hex>"} plus, if index_key, {index_key:index} first. */
static struct json_object *alg_value(const char *index_key, unsigned index,
				     const struct hash_alg *alg, const char *key, const uint8_t *d)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if ((index_key && !obj_add(o, index_key, json_object_new_int64(index))) ||
	    !obj_add(o, "hashAlg", json_object_new_string(alg->name)) ||
	    !obj_add(o, key, hex_string(d, alg->size))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

struct export_ctx {
	const struct evlog_replay *r;
	struct json_object *records;
	unsigned rtmr;
	size_t recnum; /* across the whole document */
	bool failed;
};

static struct json_object *record_json(struct export_ctx *c, const char *line, size_t len)
{
	struct json_object *o = json_object_new_object();
	struct json_object *digests = json_object_new_array();

	if (!o || !digests || len > EVLOG_MAX_LINE)
		goto fail;
	if (!arr_add(digests, alg_value(NULL, 0, c->r->alg, "digest", c->r->last_digest)))
		goto fail;
	if (!obj_add(o, "recnum", json_object_new_int64((int64_t)c->recnum)) ||
	    !obj_add(o, "pcr", json_object_new_int64(c->rtmr)) ||
	    !obj_add(o, "digests", TAKE_PTR(digests)) ||
	    !obj_add(o, "content_type", json_object_new_string("CC-CEL")) ||
	    !obj_add(o, "content", json_object_new_string_len(line, (int)len)))
		goto fail;
	return o;
fail:
	json_putp(&digests);
	json_putp(&o);
	return NULL;
}

static int export_record(void *ctx, const struct evlog_entry *e)
{
	struct export_ctx *c = ctx;

	if (!c->failed && !arr_add(c->records, record_json(c, e->line, e->len)))
		c->failed = true;
	c->recnum++;
	return 0;
}

static int export_log(struct export_ctx *c, const char *text, size_t len, const char *source,
		      const struct hash_alg *alg, struct json_object *registers, char *err,
		      size_t errlen)
{
	struct evlog_replay r;

	evlog_replay_init(&r, alg);
	c->r = &r;
	if (evlog_replay_text(&r, text, len, source, export_record, c, err, errlen) < 0)
		return -1;
	if (c->failed)
		return set_error(err, errlen, "%s: out of memory", source);
	if (!r.started)
		return set_error(err, errlen, "%s: no records (a log starts with an INIT record)",
			    source);
	if (!arr_add(registers, alg_value("rtmr", c->rtmr, alg, "value", r.rtmr)))
		return set_error(err, errlen, "%s: out of memory", source);
	return 0;
}

static int check_indices(const unsigned *idx, size_t n, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (idx[i] == idx[j])
				return set_error(err, errlen, "two logs for RTMR %u", idx[i]);
	return 0;
}

/* {"records":[],"registers":[]} */
static struct json_object *new_doc(void)
{
	struct json_object *doc = json_object_new_object();

	if (doc && obj_add(doc, "records", json_object_new_array()) &&
	    obj_add(doc, "registers", json_object_new_array()))
		return doc;
	json_putp(&doc);
	return NULL;
}

int evlog_export_cel_json(const char *const *texts, const size_t *lens,
			  const unsigned *rtmr_indices, const char *const *sources, size_t nlogs,
			  const struct hash_alg *alg, struct json_object **out, char *err,
			  size_t errlen)
{
	_cleanup_json_ struct json_object *doc = new_doc();
	struct export_ctx c = { 0 };
	struct json_object *registers;

	if (!doc)
		return set_error(err, errlen, "out of memory");
	c.records = json_object_object_get(doc, "records");
	registers = json_object_object_get(doc, "registers");
	if (!alg)
		return set_error(err, errlen, "no RTMR hash algorithm");
	if (check_indices(rtmr_indices, nlogs, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < nlogs; i++) {
		const char *source = sources && sources[i] ? sources[i] : "log";

		c.rtmr = rtmr_indices[i];
		if (export_log(&c, texts[i], lens[i], source, alg, registers, err, errlen) < 0)
			return -1;
	}
	*out = TAKE_PTR(doc);
	return 0;
}
