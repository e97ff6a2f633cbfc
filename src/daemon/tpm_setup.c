// SPDX-License-Identifier: MIT
#include "daemon/tpm_setup.h"

#include <string.h>

#include "common/log.h"
#include "common/runtime_dir.h"
#include "common/util.h"
#include "daemon/ek.h"
#include "daemon/engine.h"
#include "daemon/mirror.h"
#include "daemon/nvstore.h"

/* The EK bound in attestation: persistent in the TPM, its TPMT_PUBLIC in ek.tpmt, and a
 * `vtpm ek` record in every log. */
static int setup_ek(const struct tpm_setup_config *cfg, char *err, size_t errlen)
{
	_cleanup_free_ char *path = runtime_path(cfg->runtime_dir, RUNTIME_EK_PUBLIC);
	struct ek_info ek;
	char hex[65];
	int r;

	if (!path)
		return set_error(err, errlen, "out of memory");
	if (ek_provision(cfg->ek_type, &ek, err, errlen) < 0)
		return -1;
	/* what the start-up wrote (a new TPM's seeds, the persistent EK) is on disk before
	 * ek.tpmt and the logs name the EK */
	r = nvstore_flush(cfg->store);
	if (r < 0)
		return set_error(err, errlen, "cannot write the TPM state in %s: %s",
				 nvstore_dir(cfg->store), strerror(-r));
	r = write_file_if_changed(path, ek.pub, ek.publen, 0644);
	if (r < 0)
		return set_error(err, errlen, "cannot write %s: %s", path, strerror(-r));
	hex_encode(ek.sha256, sizeof(ek.sha256), hex);
	log_info("EK %s at 0x%08x, TPMT_PUBLIC sha256 %s in %s", ek_type_name(ek.type), ek.handle,
		 hex, path);
	return mirror_record_ek(cfg->mirror, ek.sha256, err, errlen);
}

int tpm_setup_start(const struct tpm_setup_config *cfg, struct pcr_banks *banks, char *err,
		    size_t errlen)
{
	bool manufactured;

	if (engine_start(cfg->store, &manufactured, err, errlen) < 0)
		return -1;
	if (engine_active_banks(banks) < 0)
		return set_error(err, errlen, "cannot read the TPM's PCR banks");
	log_info("TPM 2.0 started (state %s%s)", nvstore_dir(cfg->store),
		 cfg->ephemeral_state ? ", ephemeral" : "");
	if (mirror_new_instance(cfg->mirror, err, errlen) < 0)
		return -1;
	return setup_ek(cfg, err, errlen);
}
