// SPDX-License-Identifier: MIT
#include "daemon/ek.h"

#include <stdio.h>
#include <string.h>

#include "daemon/engine.h"
#include "common/hash_alg.h"
#include "common/log.h"
#include "tpm_cmds/tpm_frame.h"

static int read_persistent(struct ek_info *ek)
{
	uint8_t cmd[64], rsp[TPM_MAX_COMMAND_SIZE];
	size_t len = tpm_build_read_public(cmd, sizeof(cmd), ek->handle), rlen;

	if (engine_run_simple(cmd, len, rsp, sizeof(rsp), &rlen) != TPM2_RC_SUCCESS)
		return -1;
	return tpm_parse_read_public(rsp, rlen, ek->pub, sizeof(ek->pub), &ek->publen);
}

static int create_persistent(struct ek_info *ek, char *err, size_t errlen)
{
	uint8_t cmd[1024], rsp[TPM_MAX_COMMAND_SIZE];
	size_t len, rlen;
	uint32_t rc, transient;

	len = tpm_build_create_primary_ek(cmd, sizeof(cmd), ek->type);
	rc = engine_run_simple(cmd, len, rsp, sizeof(rsp), &rlen);
	if (rc != TPM2_RC_SUCCESS || tpm_parse_create_primary(rsp, rlen, &transient, ek->pub,
							     sizeof(ek->pub), &ek->publen) < 0) {
		return set_error(err, errlen, "creating the %s EK failed (0x%x)",
				 ek_type_name(ek->type), rc);
	}
	len = tpm_build_evict_control(cmd, sizeof(cmd), transient, ek->handle);
	rc = engine_run_simple(cmd, len, rsp, sizeof(rsp), &rlen);
	len = tpm_build_flush_context(cmd, sizeof(cmd), transient);
	engine_run_simple(cmd, len, rsp, sizeof(rsp), &rlen);
	if (rc != TPM2_RC_SUCCESS)
		return set_error(err, errlen, "making the EK persistent at 0x%08x failed (0x%x)",
			         ek->handle, rc);
	log_info("created the %s EK (TCG default template) at persistent handle 0x%08x",
		 ek_type_name(ek->type), ek->handle);
	return 0;
}

int ek_provision(enum ek_type type, struct ek_info *ek, char *err, size_t errlen)
{
	memset(ek, 0, sizeof(*ek));
	ek->type = type;
	ek->handle = ek_persistent_handle(type);
	if (read_persistent(ek) < 0 && create_persistent(ek, err, errlen) < 0)
		return -1;
	if (hash_digest(hash_alg_by_name("sha256"), ek->pub, ek->publen, ek->sha256) < 0)
		return set_error(err, errlen, "cannot hash the EK");
	return 0;
}
