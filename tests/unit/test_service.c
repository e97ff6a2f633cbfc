// SPDX-License-Identifier: MIT
/*
 * Unit tests: the service (src/daemon/service.c, service_ctrl.c), the heart of fail-closed, on a
 * real libtpms and the real mirror over a stub RTMR backend that records what it was asked and
 * can fail on the k-th extend. Checked: the order execute -> append -> extend -> respond, the
 * state machine serving -> failed (and that nothing leaves it), control messages through the
 * service, the pre-command hook, and the side doors the service closes: Startup at a locality
 * other than 0, a Startup(STATE) the logs cannot follow, and the PCR allocation re-read at every
 * Startup (so records carry exactly the banks the TPM has).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libtpms/tpm_error.h>
#include <openssl/evp.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#define TMPDIR_PREFIX "/tmp/test_service"
#include "tmpdir_fixture.h"

#include "common/log.h"
#include "daemon/mirror.h"
#include "daemon/nvstore.h"
#include "daemon/service.h"
#include "daemon/tpm_setup.h"
#include "rtmr_map/rtmr_backend_priv.h"
#include "tpm_cmds/tpm_build.h"
#include "tpm_cmds/tpm_frame.h"

#define REGS 4
#define SHA384_LEN 48

/* ---- a stub RTMR backend ---------------------------------------------------------------- */

struct stub {
	struct rtmr_backend base;
	const char *runtime_dir;
	uint8_t val[REGS][SHA384_LEN];
	unsigned extends;  /* extends asked for so far */
	unsigned fail_at;  /* fail the extend with this number (1-based); 0: never */
	bool log_had_record; /* at the last extend, the log's last line hashed to its digest */
};

static struct stub *to_stub(struct rtmr_backend *b)
{
	return container_of(b, struct stub, base);
}

static void sha384(const void *data, size_t len, uint8_t *out)
{
	unsigned n = 0;

	assert_int_equal(EVP_Digest(data, len, out, &n, EVP_sha384(), NULL), 1);
}

/* Whether the last line of rtmr<idx>.log hashes to digest: the record was appended first. */
static bool last_record_is(const struct stub *s, unsigned idx, const uint8_t *digest)
{
	char path[PATH_MAX], name[32], text[1 << 16];
	uint8_t d[SHA384_LEN];
	FILE *f;
	size_t n;
	char *end, *start;

	snprintf(name, sizeof(name), "rtmr%u.log", idx);
	path_join(path, s->runtime_dir, name);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	if (n == 0 || text[n - 1] != '\n')
		return false;
	end = text + n - 1;
	*end = '\0';
	start = strrchr(text, '\n');
	start = start ? start + 1 : text;
	sha384(start, (size_t)(end - start), d);
	return memcmp(d, digest, SHA384_LEN) == 0;
}

static int stub_read(struct rtmr_backend *b, unsigned idx, uint8_t *val)
{
	memcpy(val, to_stub(b)->val[idx], SHA384_LEN);
	return 0;
}

static int stub_extend(struct rtmr_backend *b, unsigned idx, const uint8_t *digest)
{
	struct stub *s = to_stub(b);
	uint8_t buf[2 * SHA384_LEN];

	s->log_had_record = last_record_is(s, idx, digest);
	if (++s->extends == s->fail_at)
		return -EIO;
	memcpy(buf, s->val[idx], SHA384_LEN);
	memcpy(buf + SHA384_LEN, digest, SHA384_LEN);
	sha384(buf, sizeof(buf), s->val[idx]);
	return 0;
}

static void stub_close(struct rtmr_backend *b)
{
	(void)b; /* the fixture owns it */
}

static const struct rtmr_backend_ops stub_ops = {
	.read = stub_read, .extend = stub_extend, .close = stub_close,
};

/* ---- fixture: stub backend, mirror, state, service -------------------------------------- */

struct fx {
	struct tmp *t;
	struct stub stub;
	struct mirror *m;
	struct nvstore *store;
	struct service *svc;
};

/* The map of the next setup: the default, and PCR 16 and 17 too when set. */
static bool map_resettable;

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tpm_setup_config cfg = { .ek_type = EK_ECC_P256 };
	char state_dir[PATH_MAX], err[1024];
	struct rtmr_map map;
	void *t;

	log_set_level(LOG_LVL_ERROR);
	if (!f || setup_tmp(&t) < 0)
		return -1;
	f->t = t;
	rtmr_backend_init(&f->stub.base, "stub", &stub_ops);
	for (unsigned i = 0; i < REGS; i++)
		f->stub.base.alg[i] = hash_alg_by_name("sha384");
	f->stub.runtime_dir = f->t->root;
	rtmr_map_default(&map);
	if (map_resettable)
		map.rtmr[16] = map.rtmr[17] = 3;
	path_join(state_dir, f->t->root, "state");
	if (mirror_open(&f->m, &map, &f->stub.base, f->t->root, err, sizeof(err)) < 0 ||
	    nvstore_open(state_dir, &f->store, err, sizeof(err)) < 0 ||
	    service_new(f->m, &f->svc) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	cfg.store = f->store;
	cfg.mirror = f->m;
	cfg.runtime_dir = f->t->root;
	if (service_start(f->svc, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "service_start: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int setup_resettable(void **state)
{
	int r;

	map_resettable = true;
	r = setup(state);
	map_resettable = false;
	return r;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	void *t = f->t;

	service_free(f->svc);
	mirror_close(f->m);
	nvstore_close(f->store);
	free(f);
	return teardown_tmp(&t);
}

/* ---- commands --------------------------------------------------------------------------- */

static const uint8_t getrandom[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8 };
static const uint8_t startup_clear[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };

static uint32_t run(struct fx *f, const uint8_t *cmd, size_t len)
{
	uint8_t rsp[TPM_MAX_COMMAND_SIZE];
	size_t rlen = service_command(f->svc, cmd, len, rsp, sizeof(rsp), 0);

	return tpm_response_rc(rsp, rlen);
}

static uint32_t extend(struct fx *f, uint32_t pcr, uint8_t fill)
{
	TPML_DIGEST_VALUES d = { .count = 1 };
	uint8_t cmd[256];
	size_t len;

	d.digests[0].hashAlg = TPM2_ALG_SHA256;
	memset(&d.digests[0].digest, fill, 32);
	len = tpm_build_pcr_extend(cmd, sizeof(cmd), pcr, &d);
	assert_true(len > 0);
	return run(f, cmd, len);
}

/* ---- tests ------------------------------------------------------------------------------ */

/* A mirrored extend: appended, then extended, then answered. */
static void test_extend_mirrored_in_order(void **state)
{
	struct fx *f = *state;
	unsigned before = f->stub.extends;

	assert_int_equal(extend(f, 8, 0x11), TPM2_RC_SUCCESS);
	assert_int_equal(f->stub.extends, before + 1);
	assert_true(f->stub.log_had_record);
	assert_false(service_failed(f->svc));
	/* unmapped PCR 16: answered, nothing extended */
	assert_int_equal(extend(f, 16, 0x22), TPM2_RC_SUCCESS);
	assert_int_equal(f->stub.extends, before + 1);
}

/* The k-th extend fails: that command and every later one get TPM_RC_FAILURE. */
static void test_kth_extend_fails_closed(void **state)
{
	struct fx *f = *state;
	unsigned k = 3;

	f->stub.fail_at = f->stub.extends + k;
	for (unsigned i = 1; i < k; i++) {
		assert_int_equal(extend(f, 8, (uint8_t)i), TPM2_RC_SUCCESS);
		assert_false(service_failed(f->svc));
	}
	assert_int_equal(extend(f, 8, 0x33), TPM2_RC_FAILURE);
	assert_true(f->stub.log_had_record); /* the record is in the log for the roll-forward */
	assert_true(service_failed(f->svc));
	/* nothing leaves failure mode: commands of any kind, at any locality */
	assert_int_equal(run(f, getrandom, sizeof(getrandom)), TPM2_RC_FAILURE);
	assert_int_equal(extend(f, 16, 0x44), TPM2_RC_FAILURE);
	assert_int_equal(service_ctrl_set_locality(f->svc, 3), TPM_SUCCESS);
	assert_int_equal(run(f, startup_clear, sizeof(startup_clear)), TPM2_RC_FAILURE);
	assert_int_equal(service_ctrl_init(f->svc, false), TPM_SUCCESS);
	assert_int_equal(run(f, startup_clear, sizeof(startup_clear)), TPM2_RC_FAILURE);
	assert_int_equal(extend(f, 8, 0x55), TPM2_RC_FAILURE);
	assert_int_equal(f->stub.extends, f->stub.fail_at); /* no extend after the failed one */
	assert_true(service_failed(f->svc));
}

/* The full self test the daemon runs before the kernel's registration sends one. */
static void test_self_test(void **state)
{
	static const uint8_t self_test_full[] = { 0x80, 0x01, 0, 0, 0, 11, 0, 0, 0x01, 0x43, 1 };
	struct fx *f = *state;

	assert_int_equal(service_self_test(f->svc), TPM2_RC_SUCCESS);
	/* what the kernel sends then, and what a TPM quote would have met first (RETRY) */
	assert_int_equal(run(f, self_test_full, sizeof(self_test_full)), TPM2_RC_SUCCESS);
}

static void test_fail_is_final(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, getrandom, sizeof(getrandom)), TPM2_RC_SUCCESS);
	service_fail(f->svc, "test");
	assert_true(service_failed(f->svc));
	assert_int_equal(run(f, getrandom, sizeof(getrandom)), TPM2_RC_FAILURE);
}

/* Control messages reach the engine through the service only. */
static void test_control_messages(void **state)
{
	struct fx *f = *state;
	uint32_t size, min, max;
	bool established;
	char *info;

	assert_int_equal(service_ctrl_set_locality(f->svc, 3), TPM_SUCCESS);
	assert_int_equal(service_locality(f->svc), 3);
	assert_int_equal(service_ctrl_set_locality(f->svc, 5), TPM_BAD_LOCALITY);
	assert_int_equal(service_locality(f->svc), 3);
	assert_int_equal(service_ctrl_set_locality(f->svc, 0), TPM_SUCCESS);
	assert_int_equal(service_ctrl_get_established(f->svc, &established), TPM_SUCCESS);
	/* the buffer size changes only while the TPM is stopped; 0 only asks */
	assert_int_equal(service_ctrl_set_buffer_size(f->svc, 2048, &size, &min, &max),
			 TPM_BAD_PARAMETER);
	assert_int_equal(service_ctrl_set_buffer_size(f->svc, 0, &size, &min, &max), TPM_SUCCESS);
	assert_true(size > 0 && max <= TPM_MAX_COMMAND_SIZE);
	info = service_ctrl_get_info(f->svc, 1);
	assert_non_null(info);
	assert_non_null(strstr(info, "TPMSpecification"));
	free(info);
	/* CMD_STOP: commands fail (not mirrored, no failure mode); CMD_INIT + Startup: back */
	service_ctrl_stop(f->svc);
	assert_false(service_tpm_running(f->svc));
	assert_int_equal(service_ctrl_get_established(f->svc, &established), TPM_BAD_ORDINAL);
	assert_int_equal(service_ctrl_cancel(f->svc), TPM_BAD_ORDINAL);
	assert_int_equal(run(f, getrandom, sizeof(getrandom)), TPM2_RC_FAILURE);
	assert_int_equal(service_ctrl_init(f->svc, false), TPM_SUCCESS);
	assert_true(service_tpm_running(f->svc));
	assert_int_equal(run(f, getrandom, sizeof(getrandom)), TPM2_RC_INITIALIZE);
	assert_int_equal(run(f, startup_clear, sizeof(startup_clear)), TPM2_RC_SUCCESS);
	assert_int_equal(run(f, getrandom, sizeof(getrandom)), TPM2_RC_SUCCESS);
	assert_false(service_failed(f->svc));
	assert_int_equal(service_commands(f->svc), 4); /* the client commands run() sent */
}

/* ---- the hook ---------------------------------------------------------------------------- */

struct hook {
	unsigned pending;   /* extends still to hand out */
	unsigned applied;
	unsigned resets;
	uint32_t last_rc;
	size_t banks_seen;
};

static bool hook_before(void *ctx, uint32_t cc)
{
	(void)ctx;
	return cc == TPM2_CC_PCR_Read;
}

static int hook_next(void *ctx, const struct pcr_banks *banks, uint32_t *pcr,
		     TPML_DIGEST_VALUES *d)
{
	struct hook *h = ctx;

	if (!h->pending)
		return 0;
	h->banks_seen = banks->n;
	*pcr = 10;
	d->count = 1;
	d->digests[0].hashAlg = TPM2_ALG_SHA256;
	memset(&d->digests[0].digest, (int)h->pending, 32);
	return 1;
}

static void hook_extended(void *ctx, uint32_t rc)
{
	struct hook *h = ctx;

	h->last_rc = rc;
	h->pending--;
	h->applied++;
}

static void hook_reset(void *ctx)
{
	((struct hook *)ctx)->resets++;
}

static const struct service_hook_ops hook_ops = {
	.before_command = hook_before,
	.next_extend = hook_next,
	.extended = hook_extended,
	.pcrs_reset = hook_reset,
};

static void test_hook(void **state)
{
	static const uint8_t pcr_read10[] = { 0x80, 0x01, 0, 0, 0, 20, 0, 0, 0x01, 0x7e,
					      0, 0, 0, 1, 0, 0x0b, 3, 0, 4, 0 };
	struct fx *f = *state;
	struct hook h = { .pending = 2 };
	unsigned before = f->stub.extends;

	service_set_hook(f->svc, &hook_ops, &h);
	/* a command that need not see the hook caught up does not run it */
	assert_int_equal(run(f, getrandom, sizeof(getrandom)), TPM2_RC_SUCCESS);
	assert_int_equal(h.applied, 0);
	/* PCR_Read does, first: both extends through the mirror (PCR 10 -> RTMR2) */
	assert_int_equal(run(f, pcr_read10, sizeof(pcr_read10)), TPM2_RC_SUCCESS);
	assert_int_equal(h.applied, 2);
	assert_int_equal(h.last_rc, TPM2_RC_SUCCESS);
	assert_int_equal(h.banks_seen, 4);
	assert_int_equal(f->stub.extends, before + 2);
	assert_true(f->stub.log_had_record);
	/* Startup(CLEAR) puts the PCRs back: the hook hears it */
	assert_int_equal(service_ctrl_init(f->svc, false), TPM_SUCCESS);
	assert_int_equal(run(f, startup_clear, sizeof(startup_clear)), TPM2_RC_SUCCESS);
	assert_int_equal(h.resets, 1);
	/* service_run_hook applies what is pending without a command */
	h.pending = 1;
	service_run_hook(f->svc);
	assert_int_equal(h.applied, 3);
	/* removed: never asked again */
	service_set_hook(f->svc, NULL, NULL);
	h.pending = 1;
	assert_int_equal(run(f, pcr_read10, sizeof(pcr_read10)), TPM2_RC_SUCCESS);
	assert_int_equal(h.applied, 3);
}

/* A PCR-changing command the mirror cannot parse is refused before libtpms sees it. */
static void test_malformed_pcr_command_refused(void **state)
{
	struct fx *f = *state;
	uint8_t cmd[256];
	TPML_DIGEST_VALUES d = { .count = 1 };
	size_t len;
	unsigned before = f->stub.extends;

	d.digests[0].hashAlg = TPM2_ALG_SHA256;
	len = tpm_build_pcr_extend(cmd, sizeof(cmd), 8, &d);
	/* claim a second digest that is not there: a truncated digest list */
	cmd[len - 32 - 2 - 4 + 3] = 2;
	assert_int_equal(run(f, cmd, len), TPM2_RC_SIZE);
	assert_int_equal(f->stub.extends, before);
	assert_false(service_failed(f->svc));
}

/* ---- side doors ------------------------------------------------------------------------- */

static const uint8_t startup_state[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 1 };
static const uint8_t shutdown_state[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x45, 0, 1 };
static const uint8_t shutdown_clear[] = { 0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x45, 0, 0 };
#define RC_NOTHING_TO_RESUME (TPM2_RC_VALUE | TPM2_RC_P | TPM2_RC_1)

/* The last line of rtmr<idx>.log (without its LF) into buf. */
static void last_line(struct fx *f, unsigned idx, char *buf, size_t cap)
{
	char path[PATH_MAX], name[32], text[1 << 16];
	FILE *fp;
	size_t n;
	char *start;

	snprintf(name, sizeof(name), "rtmr%u.log", idx);
	path_join(path, f->t->root, name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	assert_true(n > 0 && text[n - 1] == '\n');
	text[n - 1] = '\0';
	start = strrchr(text, '\n');
	start = start ? start + 1 : text;
	assert_true(strlen(start) < cap);
	memcpy(buf, start, strlen(start) + 1);
}

/* PCR pcr of the sha256 bank, through PCR_Read. */
static void read_pcr256(struct fx *f, unsigned pcr, uint8_t out[32])
{
	uint8_t cmd[] = { 0x80, 0x01, 0, 0, 0, 20, 0, 0, 0x01, 0x7e, 0, 0, 0, 1, 0, 0x0b, 3, 0, 0, 0 };
	uint8_t rsp[TPM_MAX_COMMAND_SIZE];
	size_t rlen;

	cmd[17 + pcr / 8] = (uint8_t)(1u << (pcr % 8));
	rlen = service_command(f->svc, cmd, sizeof(cmd), rsp, sizeof(rsp), 0);
	assert_int_equal(tpm_response_rc(rsp, rlen), TPM2_RC_SUCCESS);
	/* ... TPML_DIGEST count 1, TPM2B size 32, the digest last */
	assert_int_equal(rlen, 10 + 4 + 10 + 4 + 2 + 32);
	memcpy(out, rsp + rlen - 32, 32);
}

/* Startup at localities 1-4 (libtpms would take 3 and set PCR 0 to 00..03): refused without a
 * record, the TPM still waiting for its Startup; at 0 it is the new instance it always was. */
static void test_startup_locality_refused(void **state)
{
	static const uint8_t zero[32];
	struct fx *f = *state;
	uint8_t pcr0[32];
	char line[256];
	unsigned extends;

	assert_int_equal(service_ctrl_init(f->svc, false), TPM_SUCCESS);
	extends = f->stub.extends;
	for (uint8_t loc = 1; loc <= 4; loc++) {
		assert_int_equal(service_ctrl_set_locality(f->svc, loc), TPM_SUCCESS);
		assert_int_equal(run(f, startup_clear, sizeof(startup_clear)), TPM2_RC_LOCALITY);
		assert_int_equal(run(f, startup_state, sizeof(startup_state)), TPM2_RC_LOCALITY);
	}
	assert_int_equal(f->stub.extends, extends);
	assert_false(service_failed(f->svc));
	assert_int_equal(run(f, getrandom, sizeof(getrandom)), TPM2_RC_INITIALIZE);
	assert_int_equal(service_ctrl_set_locality(f->svc, 0), TPM_SUCCESS);
	assert_int_equal(run(f, startup_clear, sizeof(startup_clear)), TPM2_RC_SUCCESS);
	assert_int_equal(f->stub.extends, extends + 4 * 3); /* the group in three logs */
	last_line(f, 0, line, sizeof(line));
	assert_non_null(strstr(line, "vtpm ak sha256/"));
	read_pcr256(f, 0, pcr0);
	assert_memory_equal(pcr0, zero, 32);
}

/* CMD_RESET_TPMESTABLISHED at locality 3 leaves the locality where it was (as swtpm does). */
static void test_reset_established_keeps_locality(void **state)
{
	struct fx *f = *state;

	assert_int_equal(service_ctrl_set_locality(f->svc, 0), TPM_SUCCESS);
	service_ctrl_reset_established(f->svc, 3);
	assert_int_equal(service_locality(f->svc), 0);
	assert_int_equal(service_ctrl_init(f->svc, false), TPM_SUCCESS);
	assert_int_equal(run(f, startup_clear, sizeof(startup_clear)), TPM2_RC_SUCCESS);
}

/* A Startup(STATE) follows the logs only right after a Shutdown(STATE) with no mirrored change
 * of a PCR it restores between; libtpms agrees for these, and the service refuses on its own. */
static void test_startup_state_after_change(void **state)
{
	struct fx *f = *state;

	/* no Shutdown(STATE) since the daemon's Startup(CLEAR) */
	assert_int_equal(service_ctrl_init(f->svc, false), TPM_SUCCESS);
	assert_int_equal(run(f, startup_state, sizeof(startup_state)), RC_NOTHING_TO_RESUME);
	assert_int_equal(run(f, startup_clear, sizeof(startup_clear)), TPM2_RC_SUCCESS);
	/* Shutdown(STATE), a logged extend of PCR 8, _TPM_Init: resuming would undo it */
	assert_int_equal(run(f, shutdown_state, sizeof(shutdown_state)), TPM2_RC_SUCCESS);
	assert_int_equal(extend(f, 8, 0x77), TPM2_RC_SUCCESS);
	assert_int_equal(service_ctrl_init(f->svc, false), TPM_SUCCESS);
	assert_int_equal(run(f, startup_state, sizeof(startup_state)), RC_NOTHING_TO_RESUME);
	assert_int_equal(run(f, startup_clear, sizeof(startup_clear)), TPM2_RC_SUCCESS);
	/* saved again after the change: resuming gives what the logs say */
	assert_int_equal(run(f, shutdown_state, sizeof(shutdown_state)), TPM2_RC_SUCCESS);
	assert_int_equal(extend(f, 8, 0x78), TPM2_RC_SUCCESS);
	assert_int_equal(run(f, shutdown_state, sizeof(shutdown_state)), TPM2_RC_SUCCESS);
	assert_int_equal(service_ctrl_init(f->svc, false), TPM_SUCCESS);
	assert_int_equal(run(f, startup_state, sizeof(startup_state)), TPM2_RC_SUCCESS);
	/* an unmapped PCR (23 is reset by the resume anyway) does not matter; Shutdown(CLEAR) does */
	assert_int_equal(run(f, shutdown_state, sizeof(shutdown_state)), TPM2_RC_SUCCESS);
	assert_int_equal(extend(f, 23, 0x79), TPM2_RC_SUCCESS);
	assert_int_equal(service_ctrl_init(f->svc, false), TPM_SUCCESS);
	assert_int_equal(run(f, startup_state, sizeof(startup_state)), TPM2_RC_SUCCESS);
	assert_int_equal(run(f, shutdown_state, sizeof(shutdown_state)), TPM2_RC_SUCCESS);
	assert_int_equal(run(f, shutdown_clear, sizeof(shutdown_clear)), TPM2_RC_SUCCESS);
	assert_int_equal(service_ctrl_init(f->svc, false), TPM_SUCCESS);
	assert_int_equal(run(f, startup_state, sizeof(startup_state)), RC_NOTHING_TO_RESUME);
	assert_false(service_failed(f->svc));
}

/* PCR 17 mapped: Startup(STATE) would put it back to all 0xFF, which no record says. Refused,
 * where the mirror used to enter failure mode; PCR 16 gets its reset record as before. */
static void test_startup_state_mapped_drtm_refused(void **state)
{
	struct fx *f = *state;
	unsigned extends;

	assert_int_equal(run(f, shutdown_state, sizeof(shutdown_state)), TPM2_RC_SUCCESS);
	assert_int_equal(service_ctrl_init(f->svc, false), TPM_SUCCESS);
	extends = f->stub.extends;
	assert_int_equal(run(f, startup_state, sizeof(startup_state)), RC_NOTHING_TO_RESUME);
	assert_int_equal(f->stub.extends, extends);
	assert_false(service_failed(f->svc));
	assert_int_equal(run(f, startup_clear, sizeof(startup_clear)), TPM2_RC_SUCCESS);
	assert_int_equal(f->stub.extends, extends + 4 * 4); /* the group in four logs */
}

/* PCR_Allocate(platform, empty password) of sel. */
static uint32_t allocate(struct fx *f, const TPML_PCR_SELECTION *sel)
{
	uint8_t cmd[256];
	size_t off = 0, size_off = 2;

	assert_int_equal(Tss2_MU_UINT16_Marshal(TPM2_ST_SESSIONS, cmd, sizeof(cmd), &off), 0);
	assert_int_equal(Tss2_MU_UINT32_Marshal(0, cmd, sizeof(cmd), &off), 0);
	assert_int_equal(Tss2_MU_UINT32_Marshal(TPM2_CC_PCR_Allocate, cmd, sizeof(cmd), &off), 0);
	assert_int_equal(Tss2_MU_UINT32_Marshal(TPM2_RH_PLATFORM, cmd, sizeof(cmd), &off), 0);
	assert_int_equal(Tss2_MU_UINT32_Marshal(9, cmd, sizeof(cmd), &off), 0);
	assert_int_equal(Tss2_MU_UINT32_Marshal(TPM2_RS_PW, cmd, sizeof(cmd), &off), 0);
	assert_int_equal(Tss2_MU_UINT16_Marshal(0, cmd, sizeof(cmd), &off), 0);
	assert_int_equal(Tss2_MU_UINT8_Marshal(0, cmd, sizeof(cmd), &off), 0);
	assert_int_equal(Tss2_MU_UINT16_Marshal(0, cmd, sizeof(cmd), &off), 0);
	assert_int_equal(Tss2_MU_TPML_PCR_SELECTION_Marshal(sel, cmd, sizeof(cmd), &off), 0);
	assert_int_equal(Tss2_MU_UINT32_Marshal((uint32_t)off, cmd, sizeof(cmd), &size_off), 0);
	return run(f, cmd, off);
}

/* PCR_Digests of all four banks for pcr. */
static uint32_t extend4(struct fx *f, uint32_t pcr)
{
	static const TPM2_ALG_ID algs[] = { TPM2_ALG_SHA1, TPM2_ALG_SHA256, TPM2_ALG_SHA384,
					    TPM2_ALG_SHA512 };
	TPML_DIGEST_VALUES d = { .count = 4 };
	uint8_t cmd[512];
	size_t len;

	for (unsigned i = 0; i < 4; i++) {
		d.digests[i].hashAlg = algs[i];
		memset(&d.digests[i].digest, 0x40 + (int)i, sizeof(d.digests[i].digest));
	}
	len = tpm_build_pcr_extend(cmd, sizeof(cmd), pcr, &d);
	assert_true(len > 0);
	return run(f, cmd, len);
}

/* Does the last record of rtmr<idx>.log name bank alg ("sha1/")? */
static bool last_names(struct fx *f, unsigned idx, const char *alg)
{
	char line[1024];

	last_line(f, idx, line, sizeof(line));
	return strstr(line, alg) != NULL;
}

/* PCR_Allocate takes effect at _TPM_Init + Startup(CLEAR): from then on records carry exactly
 * the banks (and PCRs) the TPM has; a Startup(STATE) in between is refused. */
static void test_banks_reread_at_startup(void **state)
{
	TPML_PCR_SELECTION sel = { .count = 4 };
	struct fx *f = *state;

	sel.pcrSelections[0] = (TPMS_PCR_SELECTION){ TPM2_ALG_SHA1, 3, { 0, 0, 0 } };
	sel.pcrSelections[1] = (TPMS_PCR_SELECTION){ TPM2_ALG_SHA256, 3, { 0xff, 0xff, 0xff } };
	sel.pcrSelections[2] = (TPMS_PCR_SELECTION){ TPM2_ALG_SHA384, 3, { 0x0f, 0, 0 } };
	sel.pcrSelections[3] = (TPMS_PCR_SELECTION){ TPM2_ALG_SHA512, 3, { 0, 0, 0 } };
	assert_int_equal(run(f, shutdown_state, sizeof(shutdown_state)), TPM2_RC_SUCCESS);
	assert_int_equal(allocate(f, &sel), TPM2_RC_SUCCESS);
	/* not in effect yet: the extend still changes all four banks, and says so */
	assert_int_equal(extend4(f, 8), TPM2_RC_SUCCESS);
	assert_true(last_names(f, 2, "sha1/") && last_names(f, 2, "sha512/"));
	assert_int_equal(service_ctrl_init(f->svc, false), TPM_SUCCESS);
	assert_int_equal(run(f, startup_state, sizeof(startup_state)), RC_NOTHING_TO_RESUME);
	assert_int_equal(run(f, startup_clear, sizeof(startup_clear)), TPM2_RC_SUCCESS);
	assert_false(service_failed(f->svc));
	/* PCR 8: sha256 only; PCR 1: sha256 and sha384 (allocated for PCRs 0-3 only) */
	assert_int_equal(extend4(f, 8), TPM2_RC_SUCCESS);
	assert_true(last_names(f, 2, "vtpm extend 8 sha256/"));
	assert_false(last_names(f, 2, "sha1/") || last_names(f, 2, "sha384/") ||
		     last_names(f, 2, "sha512/"));
	assert_int_equal(extend4(f, 1), TPM2_RC_SUCCESS);
	assert_true(last_names(f, 0, "vtpm extend 1 sha256/") && last_names(f, 0, " sha384/"));
	assert_false(last_names(f, 0, "sha1/") || last_names(f, 0, "sha512/"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_extend_mirrored_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kth_extend_fails_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_is_final, setup, teardown),
		cmocka_unit_test_setup_teardown(test_self_test, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_pcr_command_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_startup_locality_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_established_keeps_locality, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_startup_state_after_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_startup_state_mapped_drtm_refused,
						setup_resettable, teardown),
		cmocka_unit_test_setup_teardown(test_banks_reread_at_startup, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
