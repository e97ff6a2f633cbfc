// SPDX-License-Identifier: MIT
/* Unit tests of the restart's pure parts (DESIGN.md "Restart"): the PCR history the IMA bridge
 * resumes from (daemon/pcr_history.c), the kept PCR banks (tpm_cmds pcr_banks_encode), the
 * PCR_Reset the restore replays (tpm_build_pcr_reset, read back by the classifier), the marker
 * digest (eventlog) and the descriptors systemd passes (daemon/listen_fds.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "common/hash_alg.h"
#include "daemon/listen_fds.h"
#include "daemon/pcr_history.h"
#include "eventlog/eventlog.h"
#include "tpm_cmds/pcr_cmds.h"
#include "tpm_cmds/tpm_build.h"

static struct evlog_record extend(unsigned pcr, uint8_t fill, const char *alg1, const char *alg2)
{
	struct evlog_record r = { .kind = EVLOG_EXTEND, .pcr = pcr, .ndigests = alg2 ? 2 : 1 };

	r.digests[0].alg = hash_alg_by_name(alg1);
	memset(r.digests[0].d, fill, r.digests[0].alg->size);
	if (alg2) {
		r.digests[1].alg = hash_alg_by_name(alg2);
		memset(r.digests[1].d, fill, r.digests[1].alg->size);
	}
	return r;
}

/* Entries found in order, foreign extends between passed over, the first missing one stops. */
static void test_history_take(void **state)
{
	struct pcr_history *h = pcr_history_new();
	struct evlog_record a = extend(10, 0xa1, "sha1", "sha256");
	struct evlog_record foreign = extend(10, 0xf0, "sha1", "sha256");
	struct evlog_record b = extend(10, 0xb2, "sha1", "sha256");
	struct evlog_record c = extend(10, 0xc3, "sha1", "sha256");
	struct evlog_record other_pcr = extend(8, 0xc3, "sha1", "sha256");
	struct evlog_record b_swapped = extend(10, 0xb2, "sha1", "sha256");

	(void)state;
	assert_non_null(h);
	assert_int_equal(pcr_history_add(h, &a), 0);
	assert_int_equal(pcr_history_add(h, &foreign), 0);
	assert_int_equal(pcr_history_add(h, &b), 0);
	assert_int_equal(pcr_history_add(h, &other_pcr), 0);
	assert_int_equal(pcr_history_count(h, 10), 3);
	/* the digests in another order are the same extend */
	b_swapped.digests[0] = b.digests[1];
	b_swapped.digests[1] = b.digests[0];
	assert_true(pcr_history_take(h, 10, a.digests, a.ndigests));
	assert_true(pcr_history_take(h, 10, b_swapped.digests, 2));
	assert_int_equal(pcr_history_taken(h, 10), 3);
	/* c is not in PCR 10 (it is in PCR 8): not taken */
	assert_false(pcr_history_take(h, 10, c.digests, c.ndigests));
	assert_true(pcr_history_take(h, 8, c.digests, c.ndigests));
	/* once taken, never again; nor one of other banks */
	assert_false(pcr_history_take(h, 10, a.digests, a.ndigests));
	assert_false(pcr_history_take(h, 10, b.digests, 1));
	pcr_history_free(h);
}

/* A reset empties the PCR's list: what came before it is no longer in the PCR. */
static void test_history_reset(void **state)
{
	struct pcr_history *h = pcr_history_new();
	struct evlog_record a = extend(16, 0x11, "sha256", NULL);
	struct evlog_record reset = { .kind = EVLOG_RESET, .pcr = 16 };

	(void)state;
	assert_int_equal(pcr_history_add(h, &a), 0);
	assert_int_equal(pcr_history_add(h, &reset), 0);
	assert_int_equal(pcr_history_count(h, 16), 0);
	assert_false(pcr_history_take(h, 16, a.digests, 1));
	assert_false(pcr_history_take(NULL, 16, a.digests, 1));
	pcr_history_free(h);
}

static void test_banks_kept(void **state)
{
	struct pcr_banks b = { .n = 3, .alg = { TPM2_ALG_SHA1, TPM2_ALG_SHA256, TPM2_ALG_SHA384 },
			       .missing = { 0, 0xfffff0, 0 } }, back;
	uint8_t enc[PCR_BANKS_ENCODED_MAX];
	size_t len = pcr_banks_encode(&b, enc, sizeof(enc));

	(void)state;
	assert_int_equal(len, 19);
	assert_int_equal(pcr_banks_decode(enc, len, &back), 0);
	assert_true(pcr_banks_equal(&b, &back));
	/* forged inputs: cut short, a count too large, trailing bytes */
	assert_int_equal(pcr_banks_decode(enc, len - 1, &back), -1);
	enc[0] = PCR_BANKS_MAX + 1;
	assert_int_equal(pcr_banks_decode(enc, len, &back), -1);
	enc[0] = 2;
	assert_int_equal(pcr_banks_decode(enc, len, &back), -1);
	assert_int_equal(pcr_banks_encode(&b, enc, 18), 0);
}

/* The PCR_Reset the restore sends is the command the mirror recognises as one. */
static void test_reset_built(void **state)
{
	uint8_t cmd[64];
	size_t len = tpm_build_pcr_reset(cmd, sizeof(cmd), 16);
	struct pcr_change chg;

	(void)state;
	assert_true(len > 0);
	assert_int_equal(pcr_cmd_classify(cmd, len, &chg), 0);
	assert_int_equal(chg.kind, PCR_CHANGE_RESET);
	assert_int_equal(chg.pcr, 16);
	assert_int_equal(tpm_build_pcr_reset(cmd, 10, 16), 0);
}

/* H_alg("vtpm-rtmr restart, not restored" || R), computed here with OpenSSL alone. */
static void test_marker_digest(void **state)
{
	static const char text[] = "vtpm-rtmr restart, not restored";
	uint8_t r[48], msg[sizeof(text) - 1 + 48], want[64], got[64];
	unsigned int n;

	(void)state;
	memset(r, 0x5a, sizeof(r));
	memcpy(msg, text, sizeof(text) - 1);
	memcpy(msg + sizeof(text) - 1, r, sizeof(r));
	assert_int_equal(EVP_Digest(msg, sizeof(msg), want, &n, EVP_sha256(), NULL), 1);
	assert_int_equal(evlog_marker_digest(hash_alg_by_name("sha256"), r, sizeof(r), got), 0);
	assert_memory_equal(got, want, 32);
	r[0] ^= 1; /* another register value: another marker */
	assert_int_equal(evlog_marker_digest(hash_alg_by_name("sha256"), r, sizeof(r), got), 0);
	assert_memory_not_equal(got, want, 32);
}

static void set_listen(const char *pid, const char *n, const char *names)
{
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDS", n, 1);
	if (names)
		setenv("LISTEN_FDNAMES", names, 1);
	else
		unsetenv("LISTEN_FDNAMES");
}

/* fds 3 and 4 passed: the named one is taken, the other closed, the variables unset. */
static void test_listen_fds(void **state)
{
	char pid[32], name[64];
	struct stat st;
	int fd;

	(void)state;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_int_equal(dup2(STDIN_FILENO, 3), 3);
	assert_int_equal(dup2(STDIN_FILENO, 4), 4);
	set_listen(pid, "2", "other:vtpm-proxy.tpm0.10.224");
	fd = listen_fds_take("vtpm-proxy.", name, sizeof(name));
	assert_int_equal(fd, 4);
	assert_string_equal(name, "vtpm-proxy.tpm0.10.224");
	assert_int_equal(fstat(3, &st), -1); /* not ours: closed */
	assert_null(getenv("LISTEN_FDS"));
	close(4);
	/* forged: another process's variables, a name that is not ours, none at all */
	assert_int_equal(dup2(STDIN_FILENO, 3), 3);
	set_listen("1", "1", "vtpm-proxy.tpm0.10.224");
	assert_int_equal(listen_fds_take("vtpm-proxy.", name, sizeof(name)), -1);
	assert_int_equal(fstat(3, &st), 0); /* someone else's: left alone */
	set_listen(pid, "1", "vtpm-proxyX");
	assert_int_equal(listen_fds_take("vtpm-proxy.", name, sizeof(name)), -1);
	set_listen(pid, "0", NULL);
	assert_int_equal(listen_fds_take("vtpm-proxy.", name, sizeof(name)), -1);
	unsetenv("LISTEN_PID");
	assert_int_equal(listen_fds_take("vtpm-proxy.", name, sizeof(name)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_history_take),
		cmocka_unit_test(test_history_reset),
		cmocka_unit_test(test_banks_kept),
		cmocka_unit_test(test_reset_built),
		cmocka_unit_test(test_marker_digest),
		cmocka_unit_test(test_listen_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
