// SPDX-License-Identifier: MIT
#include "daemon/tpm_setup.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/runtime_dir.h"
#include "common/safe_fs.h"
#include "common/util.h"
#include "daemon/identity.h"
#include "daemon/engine.h"
#include "daemon/mirror.h"
#include "daemon/nvstore.h"
#include "daemon/restart.h"

/* <runtime-dir>/ek.tpmt or ak.tpmt: the key's public area, or no file while it is unknown. */
static int publish_key(const char *runtime_dir, int dfd, const char *name,
		       const struct key_identity *key, char *err, size_t errlen)
{
	_cleanup_free_ char *path = runtime_path(runtime_dir, name);
	char hex[65];
	int r;

	if (!path)
		return set_error(err, errlen, "out of memory");
	if (!key->known) {
		if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			return set_error(err, errlen, "cannot remove %s: %s", path, strerror(errno));
		return 0;
	}
	r = safe_write_if_changed(dfd, name, key->pub, key->publen, 0644);
	if (r < 0)
		return set_error(err, errlen, "cannot write %s: %s", path, safe_fs_strerror(r));
	hex_encode(key->sha256, sizeof(key->sha256), hex);
	log_info("%s %s 0x%08x, TPMT_PUBLIC sha256 %s in %s", key->what,
		 key->at_handle ? "at" : "missing at", key->handle, hex, path);
	return 0;
}

/*
 * The EK and the AK (daemon/identity.h): checked or made, kept in the state directory, their
 * public areas in ek.tpmt and ak.tpmt, and the identity the mirror records every new instance
 * with. What the start-up wrote (a new TPM's seeds, the keys) is on disk before the runtime
 * directory and the logs name the keys.
 */
static int setup_identity(const struct tpm_setup_config *cfg, bool manufactured,
			  struct identity *id, char *err, size_t errlen)
{
	_cleanup_close_ int dfd = -1;
	int r;

	if (identity_establish(cfg->store, cfg->ek_type, manufactured, id, err, errlen) < 0)
		return -1;
	r = nvstore_flush(cfg->store);
	if (r < 0)
		return set_error(err, errlen, "cannot write the TPM state in %s: %s",
				 nvstore_dir(cfg->store), strerror(-r));
	dfd = safe_dir_open(cfg->runtime_dir, "runtime directory", SAFE_DIR_KEEP, 0, err, errlen);
	if (dfd < 0)
		return -1;
	if (publish_key(cfg->runtime_dir, dfd, RUNTIME_EK_PUBLIC, &id->ek, err, errlen) < 0 ||
	    publish_key(cfg->runtime_dir, dfd, RUNTIME_AK_PUBLIC, &id->ak, err, errlen) < 0)
		return -1;
	mirror_set_identity(cfg->mirror, id->ek.sha256, id->ak.sha256);
	return 0;
}

int tpm_setup_start(const struct tpm_setup_config *cfg, struct pcr_banks *banks, char *err,
		    size_t errlen)
{
	struct restart_plan plan;
	struct identity id;
	bool manufactured, resumed;

	restart_plan(cfg, &plan);
	if (engine_start_resume(cfg->store, plan.try_state, &manufactured, &resumed, err,
				errlen) < 0)
		return -1;
	if (engine_active_banks(banks) < 0)
		return set_error(err, errlen, "cannot read the TPM's PCR banks");
	log_info("TPM 2.0 started (state %s%s)", nvstore_dir(cfg->store),
		 cfg->ephemeral_state ? ", ephemeral" : "");
	if (setup_identity(cfg, manufactured, &id, err, errlen) < 0)
		return -1;
	return restart_finish(cfg, &plan, &id, resumed, banks, err, errlen);
}
