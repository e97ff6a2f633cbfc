// SPDX-License-Identifier: MIT
/*
 * The in-process floor: what one PCR_Extend costs with no transport at all.
 *
 *   floor_bench --dir DIR [--n N] [--rounds R] [--only VARIANT]
 *
 * One libtpms engine (state in DIR/state, as the daemon starts it: engine_start on an
 * nvstore) and the sim RTMR backend in DIR/rt (default map: PCR 8 -> RTMR2). Per round, each
 * variant runs N TPM2_PCR_Extend(PCR, sha256+sha384) commands; the order of the variants
 * rotates from round to round. Variants:
 *
 *   floor            TPMLIB_Process() in a loop (PCR 8)
 *   service          service_command() with no mirror: frame check, lock, engine_process
 *   mirror           service_command() with the mirror on the sim backend (PCR 8, mapped):
 *                    the daemon's path minus the transport (log append + RTMR extend)
 *   mirror-unmapped  the same service, PCR 16 (not mapped): classification only
 *   syscall          not an extend: one getppid() system call, the machine's price of
 *                    entering the kernel (the mirror's cost is mostly system calls)
 *
 * One JSON line per variant and round: {"variant":..,"round":..,"n":..,"us_per_op":..}.
 * Every response code is checked. Timings are printed, never judged.
 */
#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "daemon/engine.h"
#include "common/log.h"
#include "daemon/mirror.h"
#include "daemon/nvstore.h"
#include "rtmr_map/rtmr_backend.h"
#include "rtmr_map/rtmr_map.h"
#include "daemon/service.h"
#include "daemon/tpm_setup.h"
#include "tpm_cmds/tpm_build.h"

#include "bench_extend.h"
#include "tpm_cmds/tpm_frame.h"

enum variant { V_FLOOR, V_SERVICE, V_MIRROR, V_MIRROR_UNMAPPED, V_SYSCALL, V_COUNT };
static const char *const vnames[V_COUNT] = { "floor", "service", "mirror", "mirror-unmapped",
					     "syscall" };

struct ctx {
	struct service *plain;  /* no mirror */
	struct service *mirrored;
	unsigned char *rbuf;   /* libtpms' response buffer for the floor variant */
	uint32_t rtotal;
	unsigned long counter;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Run n extends through one variant; returns µs per extend, or -1 on a failed command. */
static double run_variant(struct ctx *c, enum variant v, size_t n)
{
	static uint8_t cmd[512], rsp[TPM_MAX_COMMAND_SIZE];
	uint32_t pcr = v == V_MIRROR_UNMAPPED ? 16 : 8;
	double t0 = now_us();

	if (v == V_SYSCALL) {
		for (size_t i = 0; i < n; i++)
			syscall(SYS_getppid);
		return (now_us() - t0) / (double)n;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = bench_build_extend(cmd, sizeof(cmd), pcr, c->counter++), rlen;
		uint32_t rc;

		if (v == V_FLOOR) {
			uint32_t rl = 0;

			if (TPMLIB_Process(&c->rbuf, &rl, &c->rtotal, cmd, (uint32_t)len) !=
			    TPM_SUCCESS)
				return -1;
			rc = tpm_response_rc(c->rbuf, rl);
		} else {
			rlen = service_command(v == V_SERVICE ? c->plain : c->mirrored, cmd, len,
					       rsp, sizeof(rsp), 0);
			rc = tpm_response_rc(rsp, rlen);
		}
		if (rc != 0) {
			fprintf(stderr, "floor_bench: %s: PCR_Extend answered 0x%x\n", vnames[v], rc);
			return -1;
		}
	}
	return (now_us() - t0) / (double)n;
}

static void usage(void)
{
	fprintf(stderr, "usage: floor_bench --dir DIR [--n N] [--rounds R] "
			"[--only floor|service|mirror|mirror-unmapped|syscall]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *only = NULL;
	size_t n = 20000, rounds = 5;
	char state[4096], rt[4096], err[1024];
	struct nvstore *store = NULL;
	struct rtmr_backend *backend = NULL;
	struct mirror *mirror = NULL;
	struct rtmr_map map;
	struct ctx c = { 0 };
	int ret = 1;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--dir"))
			dir = argv[++i];
		else if (!strcmp(argv[i], "--n"))
			n = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--only"))
			only = argv[++i];
		else
			usage();
	}
	if (!dir || n == 0 || rounds == 0)
		usage();
	log_set_ident("floor_bench");
	log_set_level(LOG_LVL_WARN);
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(rt, sizeof(rt), "%s/rt", dir);
	mkdir(dir, 0700);

	/* As the daemon does (daemon.c setup_mirror, setup_service); an ECC EK is quicker. */
	struct rtmr_backend_config cfg = { .kind = RTMR_BACKEND_SIM, .runtime_dir = rt };
	struct tpm_setup_config setup = { .ek_type = EK_ECC_P256, .runtime_dir = rt };

	rtmr_map_default(&map);
	if (rtmr_backend_open(&cfg, &backend, err, sizeof(err)) < 0 ||
	    mirror_open(&mirror, &map, backend, rt, err, sizeof(err)) < 0 ||
	    nvstore_open(state, &store, err, sizeof(err)) < 0 ||
	    service_new(NULL, &c.plain) < 0 || service_new(mirror, &c.mirrored) < 0) {
		fprintf(stderr, "floor_bench: %s\n", err);
		goto out;
	}
	setup.store = store;
	setup.mirror = mirror;
	if (service_start(c.mirrored, &setup, err, sizeof(err)) < 0) {
		fprintf(stderr, "floor_bench: %s\n", err);
		goto out;
	}

	for (int v = 0; v < V_COUNT; v++) /* warm up every path */
		if ((!only || !strcmp(only, vnames[v])) && run_variant(&c, v, 200) < 0)
			goto out;
	for (size_t r = 0; r < rounds; r++) {
		for (int k = 0; k < V_COUNT; k++) {
			enum variant v = (enum variant)((k + r) % V_COUNT);
			double us;

			if (only && strcmp(only, vnames[v]))
				continue;
			us = run_variant(&c, v, n);
			if (us < 0)
				goto out;
			printf("{\"variant\":\"%s\",\"round\":%zu,\"n\":%zu,\"us_per_op\":%.3f}\n",
			       vnames[v], r + 1, n, us);
			fflush(stdout);
		}
	}
	struct mirror_stats st;

	mirror_get_stats(mirror, &st);
	fprintf(stderr, "floor_bench: %lu records appended, %lu SYNC\n", st.records, st.syncs);
	ret = 0;
out:
	service_free(c.plain);
	service_free(c.mirrored); /* stops the engine both share */
	free(c.rbuf);
	mirror_close(mirror);
	rtmr_backend_close(backend);
	nvstore_close(store);
	return ret;
}
