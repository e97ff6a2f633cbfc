// SPDX-License-Identifier: MIT
#include "daemon/engine.h"

#include <errno.h>
#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_nvfilename.h>
#include <libtpms/tpm_tis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "daemon/nvstore.h"
#include "tpm_cmds/pcr_cmds.h"
#include "tpm_cmds/tpm_build.h"
#include "tpm_cmds/tpm_frame.h"
#include "common/util.h"

static struct nvstore *engine_store;
static uint8_t engine_locality;
static bool engine_is_running;
static unsigned char *lib_rbuf;
static uint32_t lib_rtotal;

static const uint16_t wanted_banks[] = { TPM2_ALG_SHA1, TPM2_ALG_SHA256, TPM2_ALG_SHA384,
					 TPM2_ALG_SHA512 };

static TPM_RESULT cb_nvram_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT cb_nvram_load(unsigned char **data, uint32_t *length, uint32_t tpm_number,
				const char *name)
{
	uint8_t *buf = NULL;
	int r;

	(void)tpm_number;
	r = nvstore_load(engine_store, name, &buf, length);
	if (r == -ENOENT)
		return TPM_RETRY; /* libtpms: no such state yet */
	if (r < 0) {
		log_error("cannot load TPM state '%s' from %s: %s", name, nvstore_dir(engine_store),
			  strerror(-r));
		return TPM_FAIL;
	}
	/* libtpms frees the buffer with its own allocator (free()). */
	*data = buf;
	return TPM_SUCCESS;
}

static TPM_RESULT cb_nvram_store(const unsigned char *data, uint32_t length, uint32_t tpm_number,
				 const char *name)
{
	int r;

	(void)tpm_number;
	r = nvstore_store(engine_store, name, data, length);
	if (r < 0) {
		log_error("cannot store TPM state '%s' in %s: %s", name, nvstore_dir(engine_store),
			  strerror(-r));
		return TPM_FAIL;
	}
	return TPM_SUCCESS;
}

static TPM_RESULT cb_nvram_delete(uint32_t tpm_number, const char *name, TPM_BOOL must_exist)
{
	int r;

	(void)tpm_number;
	r = nvstore_delete(engine_store, name, must_exist);
	if (r < 0 && !(r == -ENOENT && !must_exist))
		return TPM_FAIL;
	return TPM_SUCCESS;
}

static TPM_RESULT cb_io_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT cb_get_locality(TPM_MODIFIER_INDICATOR *loc, uint32_t tpm_number)
{
	(void)tpm_number;
	*loc = engine_locality;
	return TPM_SUCCESS;
}

static TPM_RESULT cb_get_pp(TPM_BOOL *pp, uint32_t tpm_number)
{
	(void)tpm_number;
	*pp = 0;
	return TPM_SUCCESS;
}

static struct libtpms_callbacks callbacks = {
	.sizeOfStruct = sizeof(struct libtpms_callbacks),
	.tpm_nvram_init = cb_nvram_init,
	.tpm_nvram_loaddata = cb_nvram_load,
	.tpm_nvram_storedata = cb_nvram_store,
	.tpm_nvram_deletename = cb_nvram_delete,
	.tpm_io_init = cb_io_init,
	.tpm_io_getlocality = cb_get_locality,
	.tpm_io_getphysicalpresence = cb_get_pp,
};

void engine_set_locality(uint8_t locality)
{
	engine_locality = locality;
}

uint8_t engine_get_locality(void)
{
	return engine_locality;
}

bool engine_running(void)
{
	return engine_is_running;
}

int engine_process(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap, size_t *rsplen)
{
	uint32_t rlen = 0;
	TPM_RESULT res;

	if (!engine_is_running)
		goto fail;
	/* libtpms takes a non-const buffer but does not modify the command. */
	res = TPMLIB_Process(&lib_rbuf, &rlen, &lib_rtotal, (unsigned char *)cmd, (uint32_t)len);
	if (res != TPM_SUCCESS || rlen < TPM_HEADER_SIZE || rlen > cap) {
		log_error("libtpms could not process a command (result 0x%x, response %u bytes)",
			  res, rlen);
		goto fail;
	}
	memcpy(rsp, lib_rbuf, rlen);
	*rsplen = rlen;
	return 0;
fail:
	*rsplen = tpm_build_error_response(rsp, cap, TPM2_RC_FAILURE);
	return -1;
}

uint32_t engine_run_simple(const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap,
			   size_t *rsplen)
{
	if (engine_process(cmd, len, rsp, cap, rsplen) < 0)
		return TPM2_RC_FAILURE;
	return tpm_response_rc(rsp, *rsplen);
}

static uint32_t send_su(bool startup, uint16_t su)
{
	uint8_t cmd[16], rsp[TPM_MAX_COMMAND_SIZE];
	size_t len, rlen;

	len = startup ? tpm_build_startup(cmd, sizeof(cmd), su) :
			tpm_build_shutdown(cmd, sizeof(cmd), su);
	return engine_run_simple(cmd, len, rsp, sizeof(rsp), &rlen);
}

static int lib_init(char *err, size_t errlen)
{
	TPM_RESULT res;

	res = TPMLIB_ChooseTPMVersion(TPMLIB_TPM_VERSION_2);
	if (res == TPM_SUCCESS)
		res = TPMLIB_RegisterCallbacks(&callbacks);
	if (res == TPM_SUCCESS)
		res = TPMLIB_MainInit();
	if (res != TPM_SUCCESS)
		return set_error(err, errlen,
				 "libtpms could not initialize the TPM from %s (result 0x%x)",
				 nvstore_dir(engine_store), res);
	engine_is_running = true;
	return 0;
}

static int get_pcr_selection(TPML_PCR_SELECTION *sel)
{
	uint8_t cmd[64], rsp[TPM_MAX_COMMAND_SIZE];
	size_t len = tpm_build_get_pcrs(cmd, sizeof(cmd)), rlen;

	if (engine_run_simple(cmd, len, rsp, sizeof(rsp), &rlen) != TPM2_RC_SUCCESS ||
	    tpm_parse_get_pcrs(rsp, rlen, sel) < 0)
		return -1;
	return 0;
}

int engine_active_banks(struct pcr_banks *banks)
{
	TPML_PCR_SELECTION sel;

	banks->n = 0;
	if (get_pcr_selection(&sel) < 0)
		return -1;
	pcr_banks_from_selection(&sel, banks);
	return 0;
}

uint32_t engine_established_get(bool *established)
{
	TPM_BOOL bit = 0;
	uint32_t res = TPM_IO_TpmEstablished_Get(&bit);

	*established = bit;
	return res;
}

uint32_t engine_established_reset(void)
{
	return TPM_IO_TpmEstablished_Reset();
}

uint32_t engine_set_buffer_size(uint32_t wanted, uint32_t *min, uint32_t *max)
{
	return TPMLIB_SetBufferSize(wanted, min, max);
}

char *engine_get_info(uint64_t flags)
{
	return TPMLIB_GetInfo((enum TPMLIB_InfoFlags)flags);
}

uint32_t engine_cancel(void)
{
	return TPMLIB_CancelCommand();
}

static int banks_active(bool *active, char *err, size_t errlen)
{
	TPML_PCR_SELECTION sel;

	if (get_pcr_selection(&sel) < 0)
		return set_error(err, errlen, "cannot read the TPM's PCR banks");
	*active = tpm_pcrs_all_active(&sel, wanted_banks, ARRAY_SIZE(wanted_banks));
	return 0;
}

/* A new TPM: allocate all four banks; the allocation takes effect at the next _TPM_Init. */
static int allocate_banks(char *err, size_t errlen)
{
	uint8_t cmd[128], rsp[TPM_MAX_COMMAND_SIZE];
	size_t len, rlen;
	uint32_t rc;

	len = tpm_build_pcr_allocate(cmd, sizeof(cmd), wanted_banks, ARRAY_SIZE(wanted_banks));
	rc = engine_run_simple(cmd, len, rsp, sizeof(rsp), &rlen);
	if (rc != TPM2_RC_SUCCESS || tpm_parse_pcr_allocate(rsp, rlen) < 0)
		return set_error(err, errlen,
				 "TPM2_PCR_Allocate of sha1,sha256,sha384,sha512 failed (0x%x)",
				 rc);
	send_su(false, TPM2_SU_CLEAR);
	TPMLIB_Terminate();
	engine_is_running = false;
	return lib_init(err, errlen);
}

static int startup_clear(char *err, size_t errlen)
{
	uint32_t rc = send_su(true, TPM2_SU_CLEAR);

	if (rc != TPM2_RC_SUCCESS)
		return set_error(err, errlen, "TPM2_Startup(CLEAR) failed with 0x%x", rc);
	return 0;
}

/* A new TPM gets all four banks. libtpms 0.9 has them active from manufacture, so the
 * allocation (and the restart it needs) only happens with a library that does not. */
static int ensure_banks(char *err, size_t errlen)
{
	bool active;

	if (banks_active(&active, err, errlen) < 0)
		return -1;
	if (active)
		return 0;
	if (allocate_banks(err, errlen) < 0 || startup_clear(err, errlen) < 0 ||
	    banks_active(&active, err, errlen) < 0)
		return -1;
	if (!active)
		return set_error(err, errlen, "PCR banks sha1,sha256,sha384,sha512 are not active");
	return 0;
}

/* Startup(STATE), or Startup(CLEAR) when there is nothing to resume (libtpms answers
 * TPM_RC_VALUE unless the last command before this _TPM_Init was a Shutdown(STATE) and no
 * state-saved PCR changed since). */
static int startup(bool try_state, bool *resumed, char *err, size_t errlen)
{
	uint32_t rc;

	*resumed = false;
	if (try_state) {
		rc = send_su(true, TPM2_SU_STATE);
		if (rc == TPM2_RC_SUCCESS) {
			*resumed = true;
			return 0;
		}
		log_info("TPM2_Startup(STATE) answered 0x%x (nothing saved to resume): "
			 "Startup(CLEAR)", rc);
	}
	return startup_clear(err, errlen);
}

int engine_start_resume(struct nvstore *store, bool try_state, bool *manufactured,
			bool *resumed, char *err, size_t errlen)
{
	bool fresh;

	engine_store = store;
	engine_locality = 0;
	fresh = !nvstore_exists(store, TPM_PERMANENT_ALL_NAME);
	if (lib_init(err, errlen) < 0 || startup(try_state && !fresh, resumed, err, errlen) < 0)
		return -1;
	if (fresh) {
		if (ensure_banks(err, errlen) < 0)
			return -1;
		log_info("manufactured a new TPM 2.0 in %s (PCR banks sha1, sha256, sha384, sha512)",
			 nvstore_dir(store));
	}
	*manufactured = fresh;
	return 0;
}

int engine_start(struct nvstore *store, bool *manufactured, char *err, size_t errlen)
{
	bool resumed;

	return engine_start_resume(store, false, manufactured, &resumed, err, errlen);
}

int engine_restart_clear(char *err, size_t errlen)
{
	engine_terminate();
	engine_locality = 0;
	if (lib_init(err, errlen) < 0)
		return -1;
	return startup_clear(err, errlen);
}

void engine_stop(void)
{
	uint32_t rc;

	if (!engine_is_running)
		return;
	rc = send_su(false, TPM2_SU_STATE);
	if (rc != TPM2_RC_SUCCESS)
		log_warn("TPM2_Shutdown(STATE) answered 0x%x", rc);
	TPMLIB_Terminate();
	engine_is_running = false;
	free(lib_rbuf);
	lib_rbuf = NULL;
	lib_rtotal = 0;
}

void engine_terminate(void)
{
	if (engine_is_running)
		TPMLIB_Terminate();
	engine_is_running = false;
}

uint32_t engine_reinit(bool delete_volatile)
{
	char err[256];

	engine_terminate();
	/* before _TPM_Init, which would restore it (the daemon never stores one) */
	if (delete_volatile)
		nvstore_delete(engine_store, TPM_VOLATILESTATE_NAME, false);
	if (lib_init(err, sizeof(err)) < 0) {
		log_error("%s", err);
		return TPM_FAIL;
	}
	return TPM_SUCCESS;
}
