// SPDX-License-Identifier: MIT
#include "daemon/identity.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash_alg.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/engine.h"
#include "daemon/nvstore.h"
#include "tpm_cmds/tpm_frame.h"

/* What a key is made from and where it lives. */
struct key_spec {
	const char *what;
	const char *blob;
	uint32_t handle;
	TPMT_PUBLIC tmpl;
};

/* A public area read from or made by the TPM; len 0: none. */
struct pub_area {
	uint8_t b[EK_MAX_PUBLIC];
	size_t len;
};

static bool same_key(const struct key_identity *key, const struct pub_area *p)
{
	return key->publen == p->len && memcmp(key->pub, p->b, p->len) == 0;
}

/* Why one of the daemon's commands failed, as far as its response code tells. */
static const char *rc_hint(uint32_t rc)
{
	uint32_t base = rc & ~(TPM2_RC_N_MASK | TPM2_RC_P);

	if ((rc & TPM2_RC_FMT1) && (base == TPM2_RC_BAD_AUTH || base == TPM2_RC_AUTH_FAIL))
		return ": its authorization value was changed by a client";
	if (rc == TPM2_RC_LOCKOUT)
		return ": the TPM is in dictionary-attack lockout";
	if (rc == TPM2_RC_NV_SPACE)
		return ": no room for another persistent object";
	return "";
}

static int set_known(struct key_identity *key, const uint8_t *pub, size_t len)
{
	if (len > sizeof(key->pub))
		return -1;
	memcpy(key->pub, pub, len);
	key->publen = len;
	key->known = true;
	return hash_digest(hash_alg_by_name("sha256"), pub, len, key->sha256);
}

static uint32_t run(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap, size_t *rlen)
{
	if (len == 0)
		return TPM2_RC_FAILURE;
	return engine_run_simple(cmd, len, rsp, cap, rlen);
}

static uint32_t read_public(uint32_t handle, struct pub_area *p)
{
	uint8_t cmd[64], rsp[TPM_MAX_COMMAND_SIZE];
	size_t len = tpm_build_read_public(cmd, sizeof(cmd), handle), rlen;
	uint32_t rc = run(cmd, len, rsp, sizeof(rsp), &rlen);

	p->len = 0;
	if (rc == TPM2_RC_SUCCESS &&
	    tpm_parse_read_public(rsp, rlen, p->b, sizeof(p->b), &p->len) < 0)
		rc = TPM2_RC_FAILURE;
	return rc;
}

static uint32_t create_primary(const struct key_spec *k, uint32_t *transient, struct pub_area *p)
{
	uint8_t cmd[1024], rsp[TPM_MAX_COMMAND_SIZE];
	size_t len = tpm_build_create_primary(cmd, sizeof(cmd), TPM2_RH_ENDORSEMENT, &k->tmpl);
	size_t rlen;
	uint32_t rc = run(cmd, len, rsp, sizeof(rsp), &rlen);

	p->len = 0;
	if (rc == TPM2_RC_SUCCESS &&
	    tpm_parse_create_primary(rsp, rlen, transient, p->b, sizeof(p->b), &p->len) < 0)
		rc = TPM2_RC_FAILURE;
	return rc;
}

static void flush(uint32_t transient)
{
	uint8_t cmd[64], rsp[TPM_MAX_COMMAND_SIZE];
	size_t len = tpm_build_flush_context(cmd, sizeof(cmd), transient), rlen;

	run(cmd, len, rsp, sizeof(rsp), &rlen);
}

/* TPM2_EvictControl(TPM_RH_OWNER, object, persistent): persist, or evict when both are one. */
static uint32_t evict_control(uint32_t object, uint32_t persistent)
{
	uint8_t cmd[128], rsp[TPM_MAX_COMMAND_SIZE];
	size_t len = tpm_build_evict_control(cmd, sizeof(cmd), object, persistent), rlen;

	return run(cmd, len, rsp, sizeof(rsp), &rlen);
}

/* Make the transient key persistent at its handle, then flush the transient copy. */
static void persist(const struct key_spec *k, struct key_identity *key, uint32_t transient)
{
	uint32_t rc = evict_control(transient, k->handle);

	flush(transient);
	if (rc != TPM2_RC_SUCCESS) {
		log_warn("cannot make the %s persistent at 0x%08x (EvictControl under the owner "
			 "hierarchy answered 0x%x%s): going on without it; what looks for the %s "
			 "at 0x%08x fails until it is there", k->what, k->handle, rc, rc_hint(rc),
			 k->what, k->handle);
		return;
	}
	key->at_handle = true;
	log_info("made the %s persistent at 0x%08x", k->what, k->handle);
}

/* Something is at the key's handle: the key itself, or another key, never taken for it. */
static void check_found(const struct key_spec *k, struct key_identity *key,
			const struct pub_area *at)
{
	char have[65] = "?", want[65];
	uint8_t d[32];

	if (same_key(key, at)) {
		key->at_handle = true;
		return;
	}
	if (hash_digest(hash_alg_by_name("sha256"), at->b, at->len, d) == 0)
		hex_encode(d, sizeof(d), have);
	hex_encode(key->sha256, sizeof(key->sha256), want);
	log_warn("0x%08x holds a key that is not the %s the event logs name (its TPMT_PUBLIC has "
		 "sha256 %s, the %s's %s): not using it; attestation fails until the %s is back "
		 "at 0x%08x", k->handle, k->what, have, k->what, want, k->what, k->handle);
}

/* The kept key is not at its handle: make it again from its template and persist it. */
static void recreate(const struct key_spec *k, struct key_identity *key)
{
	struct pub_area made;
	uint32_t transient, rc = create_primary(k, &transient, &made);

	if (rc != TPM2_RC_SUCCESS) {
		log_warn("the %s is not at 0x%08x and cannot be re-created (CreatePrimary under the "
			 "endorsement hierarchy answered 0x%x%s): attestation fails until it is back "
			 "at 0x%08x", k->what, k->handle, rc, rc_hint(rc), k->handle);
		return;
	}
	if (!same_key(key, &made)) {
		flush(transient);
		log_warn("the %s made again from its template is not the one the event logs name "
			 "(the endorsement seed changed?): not using it; attestation fails until the "
			 "%s is back at 0x%08x", k->what, k->what, k->handle);
		return;
	}
	log_info("re-created the %s from its template", k->what);
	persist(k, key, transient);
}

/* No usable kept public area: the key's identity is the key its template makes now. */
static int first(struct nvstore *store, const struct key_spec *k, struct key_identity *key,
		 const struct pub_area *at, char *err, size_t errlen)
{
	struct pub_area made;
	uint32_t transient, rc = create_primary(k, &transient, &made);
	int r;

	if (rc != TPM2_RC_SUCCESS) {
		log_error("the %s's identity is unknown: %s keeps no public area of it (a state "
			  "directory of an earlier version) and CreatePrimary under the endorsement "
			  "hierarchy answered 0x%x%s; the event logs name it as sha256 all zero, and "
			  "attestation fails until the daemon can make it (clear that authorization "
			  "and restart)%s", k->what, nvstore_dir(store), rc, rc_hint(rc),
			  at->len ? "; the key at its handle is not taken for it" : "");
		return 0;
	}
	if (set_known(key, made.b, made.len) < 0) {
		flush(transient);
		return set_error(err, errlen, "cannot hash the %s's public area", k->what);
	}
	r = nvstore_store(store, k->blob, made.b, (uint32_t)made.len);
	if (r < 0) {
		flush(transient);
		return set_error(err, errlen, "cannot keep the %s's public area in %s: %s",
				 k->what, nvstore_dir(store), strerror(-r));
	}
	log_info("created the %s; its public area is kept in %s", k->what, nvstore_dir(store));
	if (!at->len) {
		persist(k, key, transient);
		return 0;
	}
	flush(transient);
	check_found(k, key, at);
	return 0;
}

/* The kept public area: 1 (key known), 0 none usable (*stale: one of another template, e.g.
 * before --ek-type changed), -1 with err set. */
static int load_kept(struct nvstore *store, const struct key_spec *k, struct key_identity *key,
		    struct pub_area *stale, char *err, size_t errlen)
{
	_cleanup_free_ uint8_t *data = NULL;
	uint32_t len;
	int r = nvstore_load(store, k->blob, &data, &len);

	stale->len = 0;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return set_error(err, errlen, "cannot read the %s's kept public area from %s: %s",
				 k->what, nvstore_dir(store), strerror(-r));
	if (len > sizeof(stale->b) || !tpm_public_of_template(data, len, &k->tmpl)) {
		log_warn("the %s public area kept in %s is not of the configured template "
			 "(--ek-type changed?): making the %s anew", k->what, nvstore_dir(store),
			 k->what);
		if (len <= sizeof(stale->b)) {
			memcpy(stale->b, data, len);
			stale->len = len;
		}
		return 0;
	}
	if (set_known(key, data, len) < 0)
		return set_error(err, errlen, "cannot hash the %s's public area", k->what);
	return 1;
}

/* The daemon's own key of another template holds the handle: free it for the new one. */
static bool evict_stale(const struct key_spec *k)
{
	uint32_t rc = evict_control(k->handle, k->handle);

	if (rc != TPM2_RC_SUCCESS) {
		log_warn("cannot evict the previous %s from 0x%08x (0x%x%s)", k->what, k->handle, rc,
			 rc_hint(rc));
		return false;
	}
	log_info("evicted the previous %s (another template) from 0x%08x", k->what, k->handle);
	return true;
}

static int establish_key(struct nvstore *store, const struct key_spec *k,
			 struct key_identity *key, char *err, size_t errlen)
{
	struct pub_area at, stale;
	int r;

	key->what = k->what;
	key->handle = k->handle;
	read_public(k->handle, &at);
	r = load_kept(store, k, key, &stale, err, errlen);
	if (r < 0)
		return -1;
	if (r == 1) {
		if (at.len)
			check_found(k, key, &at);
		else
			recreate(k, key);
		return 0;
	}
	if (stale.len && stale.len == at.len && memcmp(stale.b, at.b, at.len) == 0 &&
	    evict_stale(k))
		at.len = 0;
	return first(store, k, key, &at, err, errlen);
}

/* A TPM made by this start: public areas kept for an earlier TPM name keys it never had. */
static int drop_kept(struct nvstore *store, char *err, size_t errlen)
{
	static const char *const blobs[] = { IDENTITY_EK_BLOB, IDENTITY_AK_BLOB };

	for (size_t i = 0; i < ARRAY_SIZE(blobs); i++) {
		int r = nvstore_delete(store, blobs[i], false);

		if (r < 0)
			return set_error(err, errlen, "cannot remove %s from %s: %s", blobs[i],
					 nvstore_dir(store), strerror(-r));
	}
	return 0;
}

int identity_establish(struct nvstore *store, enum ek_type type, bool manufactured,
		       struct identity *id, char *err, size_t errlen)
{
	struct key_spec ek = { "EK", IDENTITY_EK_BLOB, ek_persistent_handle(type), { 0 } };
	struct key_spec ak = { "AK", IDENTITY_AK_BLOB, ak_persistent_handle(), { 0 } };

	ek_template(type, &ek.tmpl);
	ak_template(type, &ak.tmpl);
	memset(id, 0, sizeof(*id));
	if (manufactured && drop_kept(store, err, errlen) < 0)
		return -1;
	if (establish_key(store, &ek, &id->ek, err, errlen) < 0 ||
	    establish_key(store, &ak, &id->ak, err, errlen) < 0)
		return -1;
	return 0;
}
