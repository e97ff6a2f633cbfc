// SPDX-License-Identifier: MIT
/*
 * Benchmark client: sends raw TPM 2.0 commands to a TPM server and reports throughput and
 * latency, one JSON line per operation.
 *
 *   tpm_client (--tcti CONF | --tcp HOST:PORT | --unix PATH) [--n N] [--warmup W]
 *              [--ek-n N] OP...
 *   tpm_client --target NAME=SPEC [--target NAME=SPEC...] [--block K] ... OP...
 *
 * --tcti CONF   a tpm2-tss TCTI through Tss2_TctiLdr_Initialize, e.g.
 *               "swtpm:host=127.0.0.1,port=2321" or "swtpm:path=/run/x.sock" (the swtpm TCTI
 *               opens a new connection for every command);
 * --tcp, --unix one persistent connection for every command (our own socket code).
 * --target      several servers (SPEC: tcti:CONF, tcp:HOST:PORT or unix:PATH), measured
 *               interleaved: blocks of K commands (default 50; Quote K/10) go to each
 *               server in turn, the order rotating, and each server is timed over its own
 *               blocks only: noise from the rest of the machine falls on all alike.
 *
 * OP: extend   TPM2_PCR_Extend(PCR 8, sha256+sha384 digests)
 *     read     TPM2_PCR_Read(sha256:8, sha384:8)
 *     random   TPM2_GetRandom(32)
 *     quote    TPM2_Quote(sha256:0-15), N/10 times (W/10 warm-up), with an ECC P-256
 *              restricted signing key created once per run (CreatePrimary under the
 *              owner hierarchy) and flushed after
 *     ek-rsa   TPM2_CreatePrimary(endorsement, TCG template L-1) + FlushContext (timed:
 *              the CreatePrimary only); --ek-n iterations
 *     ek-ecc   the same with template L-2 (ECC P-256)
 *
 * Every response code is checked: a run with a failed command exits 1 (a benchmark of
 * errors is no benchmark). Timings are printed, never judged.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <tss2/tss2_mu.h>
#include <tss2/tss2_tcti.h>
#include <tss2/tss2_tctildr.h>

#include "tpm_cmds/tpm_build.h"
#include "tpm_cmds/tpm_ek.h"
#include "tpm_cmds/tpm_frame.h"
#include "tpm_cmds/tpm_marshal.h"

#include "bench_extend.h"

#define MAX_CMD 4096

/* ---- transport ---- */

struct conn {
	TSS2_TCTI_CONTEXT *tcti; /* or */
	int fd;
};

static int write_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, uint8_t *b, size_t n)
{
	while (n) {
		ssize_t r = read(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int connect_tcp(const char *hostport)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;
	int fd, one = 1;

	if (!colon || (size_t)(colon - hostport) >= sizeof(host))
		return -1;
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = 0;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* One command, one response. Returns the response size, or 0 on a transport error. */
static size_t transact(struct conn *c, const uint8_t *cmd, size_t len, uint8_t *rsp, size_t cap)
{
	if (c->tcti) {
		size_t rlen = cap;

		if (Tss2_Tcti_Transmit(c->tcti, len, cmd) != TSS2_RC_SUCCESS ||
		    Tss2_Tcti_Receive(c->tcti, &rlen, rsp, TSS2_TCTI_TIMEOUT_BLOCK) !=
			    TSS2_RC_SUCCESS)
			return 0;
		return rlen;
	}
	uint32_t size;

	if (write_all(c->fd, cmd, len) < 0 || read_all(c->fd, rsp, 10) < 0)
		return 0;
	size = (uint32_t)rsp[2] << 24 | (uint32_t)rsp[3] << 16 | (uint32_t)rsp[4] << 8 | rsp[5];
	if (size < 10 || size > cap || read_all(c->fd, rsp + 10, size - 10) < 0)
		return 0;
	return size;
}

/* ---- command builders (libtss2-mu) ---- */

static void select_pcrs(TPML_PCR_SELECTION *s, uint16_t alg, uint32_t mask)
{
	TPMS_PCR_SELECTION *p = &s->pcrSelections[s->count++];

	p->hash = alg;
	p->sizeofSelect = 3;
	p->pcrSelect[0] = (uint8_t)mask;
	p->pcrSelect[1] = (uint8_t)(mask >> 8);
	p->pcrSelect[2] = (uint8_t)(mask >> 16);
}

static size_t build_read(uint8_t *b, uint32_t pcr)
{
	TPML_PCR_SELECTION s = { 0 };
	size_t off = 0;

	select_pcrs(&s, TPM2_ALG_SHA256, 1u << pcr);
	select_pcrs(&s, TPM2_ALG_SHA384, 1u << pcr);
	if (tpm_marshal_header(b, MAX_CMD, &off, TPM2_ST_NO_SESSIONS, TPM2_CC_PCR_Read) ||
	    Tss2_MU_TPML_PCR_SELECTION_Marshal(&s, b, MAX_CMD, &off))
		return 0;
	return tpm_marshal_finish(b, MAX_CMD, off);
}

static size_t build_random(uint8_t *b, uint16_t n)
{
	size_t off = 0;

	if (tpm_marshal_header(b, MAX_CMD, &off, TPM2_ST_NO_SESSIONS, TPM2_CC_GetRandom) ||
	    Tss2_MU_UINT16_Marshal(n, b, MAX_CMD, &off))
		return 0;
	return tpm_marshal_finish(b, MAX_CMD, off);
}

/* CreatePrimary(hierarchy, empty sensitive, template, no outside info, no creation PCRs). */
static size_t build_create_primary(uint8_t *b, uint32_t hierarchy, const TPMT_PUBLIC *tmpl)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC pub = { .publicArea = *tmpl };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	size_t off = 0;

	if (tpm_marshal_header(b, MAX_CMD, &off, TPM2_ST_SESSIONS, TPM2_CC_CreatePrimary) ||
	    Tss2_MU_UINT32_Marshal(hierarchy, b, MAX_CMD, &off) || tpm_marshal_pw_auth(b, MAX_CMD, &off) ||
	    Tss2_MU_TPM2B_SENSITIVE_CREATE_Marshal(&sens, b, MAX_CMD, &off) ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, b, MAX_CMD, &off) ||
	    Tss2_MU_TPM2B_DATA_Marshal(&outside, b, MAX_CMD, &off) ||
	    Tss2_MU_TPML_PCR_SELECTION_Marshal(&pcrs, b, MAX_CMD, &off))
		return 0;
	return tpm_marshal_finish(b, MAX_CMD, off);
}

static void quote_key_template(TPMT_PUBLIC *p)
{
	memset(p, 0, sizeof(*p));
	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_NODA;
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

static size_t build_quote(uint8_t *b, uint32_t key, uint32_t counter)
{
	TPM2B_DATA nonce = { .size = 16 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPML_PCR_SELECTION s = { 0 };
	size_t off = 0;

	memcpy(nonce.buffer, &counter, sizeof(counter));
	select_pcrs(&s, TPM2_ALG_SHA256, 0xffff);
	if (tpm_marshal_header(b, MAX_CMD, &off, TPM2_ST_SESSIONS, TPM2_CC_Quote) ||
	    Tss2_MU_UINT32_Marshal(key, b, MAX_CMD, &off) || tpm_marshal_pw_auth(b, MAX_CMD, &off) ||
	    Tss2_MU_TPM2B_DATA_Marshal(&nonce, b, MAX_CMD, &off) ||
	    Tss2_MU_TPMT_SIG_SCHEME_Marshal(&scheme, b, MAX_CMD, &off) ||
	    Tss2_MU_TPML_PCR_SELECTION_Marshal(&s, b, MAX_CMD, &off))
		return 0;
	return tpm_marshal_finish(b, MAX_CMD, off);
}

/* The object handle of a CreatePrimary response; 0 if it has none. */
static uint32_t handle_of(const uint8_t *rsp, size_t len)
{
	uint8_t pub[sizeof(TPMT_PUBLIC)];
	uint32_t handle = 0;
	size_t publen;

	if (tpm_parse_create_primary(rsp, len, &handle, pub, sizeof(pub), &publen) < 0)
		return 0;
	return handle;
}

/* ---- measurement ---- */

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *sorted, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);

	return sorted[i < n ? i : n - 1];
}

/* One server under test. Several targets are measured interleaved: blocks of --block
 * commands go to each target in turn (rotating the order), so that a stall of a loaded
 * machine falls on all of them alike. Each target's time is only its own blocks. */
struct target {
	const char *name;
	const char *desc; /* transport, for the report */
	struct conn c;
	uint32_t key;     /* Quote: the AK */
	uint32_t counter;
	double *lat;
	double total_us;
	double *rates;    /* commands per second of each block */
	size_t nrates;
	unsigned long retries;
};

static unsigned long retries; /* commands answered RETRY/YIELDED/TESTING and sent again */

/* ops_per_s: n over the target's whole time; block_ops_per_s: the median of its blocks'
 * rates, which a few stalls of a loaded machine do not move. */
static void report(const char *op, struct target *t, size_t n)
{
	double *lat = t->lat, block_rate = 0;

	qsort(lat, n, sizeof(*lat), cmp_double);
	if (t->nrates) {
		qsort(t->rates, t->nrates, sizeof(double), cmp_double);
		block_rate = pct(t->rates, t->nrates, 50);
	}
	printf("{\"op\":\"%s\",\"target\":\"%s\",\"transport\":\"%s\",\"n\":%zu,\"secs\":%.6f,"
	       "\"ops_per_s\":%.1f,\"block_ops_per_s\":%.1f,\"blocks\":%zu,\"p50_us\":%.1f,"
	       "\"p99_us\":%.1f,\"min_us\":%.1f,\"max_us\":%.1f,\"retries\":%lu}\n",
	       op, t->name, t->desc, n, t->total_us / 1e6, (double)n / (t->total_us / 1e6),
	       block_rate, t->nrates, pct(lat, n, 50), pct(lat, n, 99), lat[0], lat[n - 1],
	       t->retries);
	fflush(stdout);
}

static int fail(const char *what, uint32_t rc)
{
	fprintf(stderr, "tpm_client: %s failed (rc 0x%x)\n", what, rc);
	return -1;
}

/* Run one command and check its response code. Returns the response size or 0. */
static size_t run(struct conn *c, const uint8_t *cmd, size_t len, uint8_t *rsp, const char *what)
{
	size_t rlen;

	if (len == 0) {
		fail(what, 0xfffffffeu);
		return 0;
	}
	/* As ESYS does: TPM_RC_RETRY, _YIELDED and _TESTING mean "send it again". */
	for (int tries = 0;; tries++) {
		rlen = transact(c, cmd, len, rsp, MAX_CMD);
		if (rlen == 0 || tries >= 10 ||
		    (tpm_response_rc(rsp, rlen) != 0x922 && tpm_response_rc(rsp, rlen) != 0x908 &&
		     tpm_response_rc(rsp, rlen) != 0x90a))
			break;
		retries++;
	}
	if (rlen == 0 || tpm_response_rc(rsp, rlen) != 0) {
		fail(what, rlen ? tpm_response_rc(rsp, rlen) : 0xffffffffu);
		return 0;
	}
	return rlen;
}

enum op { OP_EXTEND, OP_READ, OP_RANDOM, OP_QUOTE };

static size_t build_op(enum op op, uint8_t *cmd, uint32_t i, uint32_t key)
{
	switch (op) {
	case OP_EXTEND: return bench_build_extend(cmd, MAX_CMD, 8, i);
	case OP_READ: return build_read(cmd, 8);
	case OP_RANDOM: return build_random(cmd, 32);
	case OP_QUOTE: return build_quote(cmd, key, i);
	}
	return 0;
}

/* k commands to one target; latencies from lat[0]. 0 or -1. */
static int run_block(struct target *t, const char *name, enum op op, size_t k, double *lat)
{
	static uint8_t cmd[MAX_CMD], rsp[MAX_CMD];
	double t0 = now_us();

	retries = 0;
	for (size_t i = 0; i < k; i++) {
		double s = now_us();
		size_t len = build_op(op, cmd, t->counter++, t->key);

		if (!run(&t->c, cmd, len, rsp, name))
			return -1;
		if (lat)
			lat[i] = now_us() - s;
	}
	if (lat) {
		double dt = now_us() - t0;

		t->total_us += dt;
		if (t->rates && k)
			t->rates[t->nrates++] = (double)k / (dt / 1e6);
	}
	t->retries += retries;
	return 0;
}

static int bench_op(struct target *ts, size_t nt, const char *name, enum op op, size_t n,
		    size_t warmup, size_t block)
{
	static uint8_t cmd[MAX_CMD], rsp[MAX_CMD];
	size_t done = 0, round = 0, len;
	int r = -1;

	for (size_t j = 0; j < nt; j++) {
		struct target *t = &ts[j];

		t->key = 0;
		t->total_us = 0;
		t->retries = 0;
		t->lat = calloc(n, sizeof(double));
		t->rates = calloc(n / block + 1, sizeof(double));
		t->nrates = 0;
		if (!t->lat || !t->rates)
			goto out;
		if (op == OP_QUOTE) {
			TPMT_PUBLIC tmpl;
			size_t rl;

			quote_key_template(&tmpl);
			len = build_create_primary(cmd, TPM2_RH_OWNER, &tmpl);
			rl = run(&t->c, cmd, len, rsp, "CreatePrimary (AK)");
			if (!rl)
				goto out;
			t->key = handle_of(rsp, rl);
		}
		if (run_block(t, name, op, warmup, NULL) < 0)
			goto out;
		t->retries = 0;
	}
	while (done < n) {
		size_t k = n - done < block ? n - done : block;

		for (size_t j = 0; j < nt; j++) {
			struct target *t = &ts[(j + round) % nt];

			if (run_block(t, name, op, k, t->lat + done) < 0)
				goto out;
		}
		done += k;
		round++;
	}
	for (size_t j = 0; j < nt; j++)
		report(name, &ts[j], n);
	r = 0;
out:
	for (size_t j = 0; j < nt; j++) {
		if (ts[j].key) {
			len = tpm_build_flush_context(cmd, sizeof(cmd), ts[j].key);
			run(&ts[j].c, cmd, len, rsp, "FlushContext (AK)");
			ts[j].key = 0;
		}
		free(ts[j].lat);
		free(ts[j].rates);
		ts[j].lat = ts[j].rates = NULL;
	}
	return r;
}

/* EK creation on the server's endorsement seed: the CreatePrimary timed, the flush not.
 * Targets take turns, one key at a time. */
static int bench_ek(struct target *ts, size_t nt, const char *name, enum ek_type type, size_t n)
{
	static uint8_t cmd[MAX_CMD], rsp[MAX_CMD];
	int r = -1;

	for (size_t j = 0; j < nt; j++) {
		ts[j].total_us = 0;
		ts[j].retries = 0;
		ts[j].nrates = 0;
		ts[j].lat = calloc(n, sizeof(double));
		if (!ts[j].lat)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < nt; j++) {
			struct target *t = &ts[(j + i) % nt];
			size_t len = tpm_build_create_primary_ek(cmd, sizeof(cmd), type), rl;
			double s = now_us();

			retries = 0;
			rl = run(&t->c, cmd, len, rsp, name);
			t->lat[i] = now_us() - s;
			t->total_us += t->lat[i];
			t->retries += retries;
			if (!rl)
				goto out;
			len = tpm_build_flush_context(cmd, sizeof(cmd), handle_of(rsp, rl));
			if (!run(&t->c, cmd, len, rsp, "FlushContext (EK)"))
				goto out;
		}
	}
	for (size_t j = 0; j < nt; j++)
		report(name, &ts[j], n);
	r = 0;
out:
	for (size_t j = 0; j < nt; j++) {
		free(ts[j].lat);
		ts[j].lat = NULL;
	}
	return r;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tpm_client (--tcti CONF | --tcp HOST:PORT | --unix PATH |\n"
		"                   --target NAME=tcti:CONF|tcp:HOST:PORT|unix:PATH ...)\n"
		"                  [--n N] [--warmup W] [--block K] [--ek-n N]\n"
		"                  extend|read|random|quote|ek-rsa|ek-ecc...\n");
	exit(2);
}

#define MAX_TARGETS 8

/* Open a target from "tcti:CONF", "tcp:HOST:PORT" or "unix:PATH". 0 or -1. */
static int target_open(struct target *t, const char *name, const char *spec)
{
	t->name = name;
	t->c.fd = -1;
	if (!strncmp(spec, "tcti:", 5)) {
		TSS2_RC rc = Tss2_TctiLdr_Initialize(spec + 5, &t->c.tcti);

		t->desc = spec + 5;
		if (rc != TSS2_RC_SUCCESS) {
			fprintf(stderr, "tpm_client: TCTI '%s': 0x%x\n", spec + 5, rc);
			return -1;
		}
		return 0;
	}
	if (!strncmp(spec, "tcp:", 4) || !strncmp(spec, "unix:", 5)) {
		bool tcp = spec[0] == 't';

		t->desc = tcp ? "persistent-tcp" : "persistent-unix";
		t->c.fd = tcp ? connect_tcp(spec + 4) : connect_unix(spec + 5);
		if (t->c.fd < 0) {
			fprintf(stderr, "tpm_client: cannot connect to %s: %s\n", spec,
				strerror(errno));
			return -1;
		}
		return 0;
	}
	usage();
	return -1;
}

int main(int argc, char **argv)
{
	static char specbuf[MAX_TARGETS][1024];
	struct target ts[MAX_TARGETS] = { 0 };
	size_t nt = 0, n = 1000, warmup = 50, ek_n = 5, block = 50;
	int i, r = 0;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		const char *a = argv[i], *v;
		char *eq;

		if (i + 1 >= argc)
			usage();
		v = argv[++i];
		if (!strcmp(a, "--tcti") || !strcmp(a, "--tcp") || !strcmp(a, "--unix") ||
		    !strcmp(a, "--target")) {
			if (nt == MAX_TARGETS)
				usage();
			if (!strcmp(a, "--target")) {
				snprintf(specbuf[nt], sizeof(specbuf[nt]), "%s", v);
				eq = strchr(specbuf[nt], '=');
				if (!eq)
					usage();
				*eq = 0;
				if (target_open(&ts[nt], specbuf[nt], eq + 1) < 0)
					return 1;
			} else {
				snprintf(specbuf[nt], sizeof(specbuf[nt]), "%s:%s", a + 2, v);
				if (target_open(&ts[nt], "server", specbuf[nt]) < 0)
					return 1;
			}
			nt++;
		} else if (!strcmp(a, "--n")) {
			n = strtoul(v, NULL, 10);
		} else if (!strcmp(a, "--warmup")) {
			warmup = strtoul(v, NULL, 10);
		} else if (!strcmp(a, "--block")) {
			block = strtoul(v, NULL, 10);
		} else if (!strcmp(a, "--ek-n")) {
			ek_n = strtoul(v, NULL, 10);
		} else {
			usage();
		}
	}
	if (i >= argc || n == 0 || ek_n == 0 || block == 0 || nt == 0)
		usage();
	for (; i < argc && r == 0; i++) {
		const char *op = argv[i];

		if (!strcmp(op, "extend"))
			r = bench_op(ts, nt, op, OP_EXTEND, n, warmup, block);
		else if (!strcmp(op, "read"))
			r = bench_op(ts, nt, op, OP_READ, n, warmup, block);
		else if (!strcmp(op, "random"))
			r = bench_op(ts, nt, op, OP_RANDOM, n, warmup, block);
		else if (!strcmp(op, "quote"))
			r = bench_op(ts, nt, op, OP_QUOTE, n / 10 ? n / 10 : 1, warmup / 10,
				     block / 10 ? block / 10 : 1);
		else if (!strcmp(op, "ek-rsa"))
			r = bench_ek(ts, nt, op, EK_RSA2048, ek_n);
		else if (!strcmp(op, "ek-ecc"))
			r = bench_ek(ts, nt, op, EK_ECC_P256, ek_n);
		else
			usage();
	}
	for (size_t j = 0; j < nt; j++) {
		if (ts[j].c.tcti)
			Tss2_TctiLdr_Finalize(&ts[j].c.tcti);
		if (ts[j].c.fd >= 0)
			close(ts[j].c.fd);
	}
	return r == 0 ? 0 : 1;
}
