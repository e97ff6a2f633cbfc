// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: src/daemon/transport/ctrl_channel.h, the swtpm control channel, on a real libtpms.
 *
 * Input: a sequence of requests, each [L][L bytes] (L clipped to what is left), handled in
 * order as one control connection would see them: ctrl_request_size() on every prefix of the
 * request, then ctrl_handle() on the whole of it (with its exact length, from its own heap
 * buffer, into an exact-size CTRL_MAX_RESPONSE heap buffer). Every response is checked
 * against the protocol (size per command, result code, actions).
 *
 * The TPM: LLVMFuzzerInitialize() starts libtpms once (engine_start) on an nvstore in a new
 * directory under $TMPDIR (default /tmp), removed at exit. Commands with lasting effects are
 * kept meaningful and cheap: at most MAX_INITS CMD_INIT per input (later ones are skipped);
 * after every input that stopped or re-initialized the TPM, or changed its buffer size, the
 * harness restores the buffer size and re-initializes libtpms if needed, and the TPM must then
 * answer TPM2_GetRandom (TPM2_RC_INITIALIZE after a CMD_INIT: the harness sends no Startup);
 * the locality goes back to 0 after every input. CMD_SHUTDOWN only sets an action bit.
 */
#include <libtpms/tpm_library.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/transport/ctrl_channel.h"
#include "daemon/engine.h"
#include "fuzz_common.h"
#include "common/log.h"
#include "daemon/nvstore.h"
#include "daemon/service.h"
#include "tpm_cmds/tpm_frame.h"

#define MAX_REQUESTS 32
#define MAX_INITS 2
#define GETINFO_CHUNK 3072 /* ctrl_channel.c */

static struct service *svc;
static struct nvstore *store;
static char state_dir[512];
static uint32_t default_bufsize;

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void cleanup(void)
{
	char cmd[600];

	engine_stop();
	if (store)
		nvstore_close(store);
	store = NULL;
	if (state_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz_ctrl_channel: could not remove %s\n", state_dir);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	uint32_t min = 0, max = 0;
	char err[256];
	bool manufactured;

	(void)argc;
	(void)argv;
	log_set_level(LOG_LVL_ERROR);
	snprintf(state_dir, sizeof(state_dir), "%s/vtpm-fuzz-ctrl-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(state_dir)) {
		perror("fuzz_ctrl_channel: mkdtemp");
		exit(1);
	}
	atexit(cleanup);
	if (service_new(NULL, &svc) < 0 || nvstore_open(state_dir, &store, err, sizeof(err)) < 0 ||
	    engine_start(store, &manufactured, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_ctrl_channel: cannot start the TPM: %s\n", err);
		exit(1);
	}
	default_bufsize = TPMLIB_SetBufferSize(0, &min, &max);
	return 0;
}

static uint32_t current_bufsize(void)
{
	uint32_t min = 0, max = 0;

	return TPMLIB_SetBufferSize(0, &min, &max);
}

/*
 * Back to a running TPM with the default buffer size, which must still answer commands. No
 * TPM2_Startup: it costs libtpms ~8 ms and changes nothing for the control channel, so after
 * a CMD_INIT the TPM stays initialized-not-started (TPM2_RC_INITIALIZE) until the next input
 * that the harness does not need to restore.
 */
static void restore_tpm(void)
{
	static const uint8_t getrandom[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8 };
	uint8_t rsp[TPM_MAX_COMMAND_SIZE];
	size_t rlen;
	uint32_t rc;

	if (!engine_running() || current_bufsize() != default_bufsize) {
		uint32_t min = 0, max = 0;

		engine_terminate();
		TPMLIB_SetBufferSize(default_bufsize, &min, &max);
		FUZZ_CHECK(engine_reinit(false) == 0);
	}
	FUZZ_CHECK(engine_running());
	FUZZ_CHECK(current_bufsize() == default_bufsize);
	engine_set_locality(0);
	rc = engine_run_simple(getrandom, sizeof(getrandom), rsp, sizeof(rsp), &rlen);
	FUZZ_CHECK((rc == TPM2_RC_SUCCESS && rlen == 20) || (rc == TPM2_RC_INITIALIZE && rlen == 10));
}

static size_t expected_size(uint32_t cmd, const uint8_t *out, size_t olen)
{
	switch (cmd) {
	case CTRL_GET_CAPABILITY:
	case CTRL_GET_TPMESTABLISHED:
		return 8;
	case CTRL_SET_BUFFERSIZE:
		return 16;
	case CTRL_GET_INFO:
		if (be32(out) != PTM_SUCCESS)
			return 4;
		FUZZ_CHECK(olen >= 12);
		FUZZ_CHECK(be32(out + 8) <= GETINFO_CHUNK);
		FUZZ_CHECK(be32(out + 8) <= be32(out + 4));
		return 12 + be32(out + 8);
	default:
		return 4;
	}
}

/* Handle one request; false if the harness skipped it. */
static bool one_request(const uint8_t *req, size_t len, unsigned *inits, bool *disturbed)
{
	uint8_t *out = malloc(CTRL_MAX_RESPONSE), small[4];
	size_t need = 0, olen;
	unsigned actions = 0xdead;
	uint32_t cmd = len >= 4 ? be32(req) : 0;
	bool known;

	if (!out)
		abort();
	for (size_t i = 0; i <= len; i++) {
		need = ctrl_request_size(req, i);
		FUZZ_CHECK(i < 4 ? need == 0 : need >= 4 && need <= CTRL_MAX_REQUEST);
	}
	if (len >= 4 && cmd == CTRL_INIT && need == len) {
		if (*inits >= MAX_INITS) {
			free(out);
			return false;
		}
		++*inits;
	}
	olen = ctrl_handle(svc, req, len, out, CTRL_MAX_RESPONSE, &actions);
	FUZZ_CHECK(olen >= 4 && olen <= CTRL_MAX_RESPONSE);
	FUZZ_CHECK(actions == 0 || actions == CTRL_ACTION_TERMINATE);
	if (actions)
		FUZZ_CHECK(cmd == CTRL_SHUTDOWN && need == len);
	known = len >= 4 && need == len && (be32(out) != PTM_BAD_ORDINAL || olen != 4);
	if (len < 4 || need != len) {
		/* too short, or not exactly one request: refused, nothing done */
		FUZZ_CHECK(olen == 4 && actions == 0);
		FUZZ_CHECK(be32(out) == PTM_BAD_PARAMETER || be32(out) == PTM_BAD_ORDINAL);
	} else if (known) {
		FUZZ_CHECK(olen == expected_size(cmd, out, olen));
		FUZZ_CHECK(actions == (cmd == CTRL_SHUTDOWN ? CTRL_ACTION_TERMINATE : 0u));
		if (cmd == CTRL_SET_LOCALITY && be32(out) == PTM_SUCCESS)
			FUZZ_CHECK(engine_get_locality() == req[4]);
		if (cmd == CTRL_STOP)
			FUZZ_CHECK(!engine_running());
		if (cmd == CTRL_INIT && be32(out) == PTM_SUCCESS)
			FUZZ_CHECK(engine_running());
	}
	if (cmd == CTRL_INIT || cmd == CTRL_STOP || cmd == CTRL_SET_BUFFERSIZE)
		*disturbed = true;

	/* A response buffer below CTRL_MAX_RESPONSE is refused without writing past it. */
	olen = ctrl_handle(svc, req, len, small, sizeof(small), &actions);
	FUZZ_CHECK(olen == 4 && be32(small) == PTM_BAD_PARAMETER && actions == 0);
	free(out);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned inits = 0, requests = 0;
	bool disturbed = false;
	size_t pos = 0;

	while (pos < size && requests < MAX_REQUESTS) {
		size_t len = data[pos++];
		uint8_t *req;

		if (len > size - pos)
			len = size - pos;
		req = (uint8_t *)fuzz_dup(data + pos, len);
		if (one_request(req, len, &inits, &disturbed))
			requests++;
		free(req);
		pos += len;
	}
	if (disturbed || !engine_running())
		restore_tpm();
	engine_set_locality(0);
	return 0;
}
