// SPDX-License-Identifier: MIT
#include "tool/tool_attest.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/evidence.h"
#include "attest/quote_provider.h"
#include "eventlog/eventlog.h"
#include "tool/tool_logs.h"
#include "tool/tool_tpm.h"
#include "tool/tool_tpm_quote.h"
#include "common/runtime_dir.h"
#include "common/safe_fs.h"
#include "common/util.h"

/* Where Linux shows the TDX firmware's CC event log (the ACPI CCEL table's log area). */
#define CCEL_ACPI_TABLE "/sys/firmware/acpi/tables/data/CCEL"

int tool_read_nonce(const struct tool_options *o, uint8_t *nonce, size_t cap, size_t *len)
{
	_cleanup_free_ char *data = NULL;
	size_t n;
	int r;

	if (!!o->nonce_hex == !!o->nonce_file) {
		fprintf(stderr, "vtpm-rtmr: give exactly one of --nonce HEX and --nonce-file FILE\n");
		return -1;
	}
	if (o->nonce_hex) {
		if (hex_decode(o->nonce_hex, strlen(o->nonce_hex), nonce, cap, len) < 0 ||
		    *len == 0) {
			fprintf(stderr, "vtpm-rtmr: --nonce must be 1..%zu bytes of hex\n", cap);
			return -1;
		}
		return 0;
	}
	r = read_file_all(o->nonce_file, &data, &n, cap);
	if (r < 0 || n == 0) {
		fprintf(stderr, "vtpm-rtmr: cannot read a 1..%zu-byte nonce from %s: %s\n", cap,
			o->nonce_file, r < 0 ? strerror(-r) : "empty");
		return -1;
	}
	memcpy(nonce, data, n);
	*len = n;
	return 0;
}

/* ek.tpmt or ak.tpmt of the runtime directory. */
static int read_key(const struct tool_options *o, const char *name, const char *what,
		    uint8_t **pub, size_t *len)
{
	char *data = NULL, err[512];

	if (safe_read_in_dir(o->runtime_dir, "runtime directory", name, &data, len, 4096, err,
			     sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: cannot read the %s: %s (is vtpm-rtmrd running with "
			"--runtime-dir %s?)\n", what, err, o->runtime_dir);
		return -1;
	}
	*pub = (uint8_t *)data;
	return 0;
}

static int read_ek(const struct tool_options *o, struct evidence *e)
{
	if (read_key(o, RUNTIME_EK_PUBLIC, "EK", &e->ek_pub, &e->ek_pub_len) < 0)
		return -1;
	snprintf(e->ek_type, sizeof(e->ek_type), "%s",
		 evidence_ek_type(e->ek_pub, e->ek_pub_len));
	return 0;
}

/* --quote-provider, else the daemon's (<runtime-dir>/quote-provider), else auto. */
static const char *provider_name(const struct tool_options *o, char *buf, size_t cap)
{
	_cleanup_free_ char *text = NULL;
	char err[256];
	size_t len;

	if (o->quote_provider)
		return o->quote_provider;
	if (safe_read_in_dir(o->runtime_dir, "runtime directory", RUNTIME_QUOTE_PROVIDER, &text,
			     &len, cap - 1, err, sizeof(err)) < 0)
		return "auto";
	snprintf(buf, cap, "%.*s", (int)strcspn(text, "\n"), text);
	return buf;
}

static int get_quote(const struct tool_options *o, struct evidence *e)
{
	struct quote_provider_config cfg = { .configfs_dir = o->configfs_dir,
					     .runtime_dir = o->runtime_dir };
	struct quote_result q = { 0 };
	char err[512], name[32], names[64];

	if (quote_provider_kind_parse(provider_name(o, name, sizeof(name)), &cfg.kind)) {
		fprintf(stderr, "vtpm-rtmr: invalid --quote-provider (%s)\n",
			quote_provider_kind_names(names, sizeof(names)));
		return -1;
	}
	if (quote_get(&cfg, e->report_data, &q, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: getting a quote failed: %s\n", err);
		return -1;
	}
	e->quote = TAKE_PTR(q.quote);
	e->quote_len = q.len;
	snprintf(e->provider, sizeof(e->provider), "%s", q.provider);
	quote_result_free(&q);
	return 0;
}

/* The PCRs the logs' last `vtpm map` records name: what the TPM quote covers. */
static int mapped_pcrs(const struct tool_options *o, uint32_t *mask)
{
	struct tool_logs logs;
	char err[512];
	int r = 0;

	*mask = 0;
	if (tool_logs_load(&logs, o->runtime_dir, NULL, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: %s\n", err);
		tool_logs_free(&logs);
		return -1;
	}
	for (size_t i = 0; i < logs.n && r == 0; i++) {
		struct evlog_replay rp;

		evlog_replay_init(&rp, logs.log[i].alg);
		if (evlog_replay_text(&rp, logs.log[i].text, logs.log[i].len, logs.log[i].path,
				      NULL, NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, "vtpm-rtmr: %s\n", err);
			r = -1;
		} else if (!rp.group.record) {
			fprintf(stderr, "vtpm-rtmr: %s has no vtpm map, ek, ak group (written by "
				"an older vtpm-rtmrd?)\n", logs.log[i].path);
			r = -1;
		}
		*mask |= rp.group.map;
	}
	tool_logs_free(&logs);
	return r;
}

/* The TPM quote with the daemon's AK over every mapped PCR, before the TEE quote: the logs the
 * TEE quote covers then hold every record the PCRs it quoted imply. */
static int tpm_quote(const struct tool_options *o, struct evidence *e)
{
	struct tool_tpm *t = NULL;
	char err[512], addr[512];
	uint32_t mask;
	int r;

	if (read_key(o, RUNTIME_AK_PUBLIC, "AK", &e->ak_pub, &e->ak_pub_len) < 0 ||
	    mapped_pcrs(o, &mask) < 0)
		return -1;
	if (tool_tpm_address(o->tpm, o->runtime_dir, addr, sizeof(addr), err, sizeof(err)) < 0 ||
	    tool_tpm_open(addr, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: %s\n", err);
		return -1;
	}
	r = tool_make_tpm_quote(t, e->ak_pub, e->ak_pub_len, mask, e->nonce, e->nonce_len,
				&e->tpm, err, sizeof(err));
	tool_tpm_close(t);
	if (r < 0)
		fprintf(stderr, "vtpm-rtmr: the TPM quote (%s) failed: %s\n", addr, err);
	return r;
}

/* The firmware's CC event log: --ccel, else the ACPI table when the TD has one. */
static int read_ccel(const struct tool_options *o, struct evidence *e)
{
	const char *path = o->ccel ? o->ccel : CCEL_ACPI_TABLE;
	char *data = NULL;
	int r = read_file_all(path, &data, &e->ccel_len, EVIDENCE_MAX_CCEL);

	if (r == -ENOENT && !o->ccel)
		return 0;
	if (r < 0) {
		fprintf(stderr, "vtpm-rtmr: cannot read the CC event log %s: %s\n", path,
			strerror(-r));
		return -1;
	}
	e->ccel = (uint8_t *)data;
	return 0;
}

/* The logs are read after the quote: they may hold records it does not cover yet. */
static int add_logs(const struct tool_options *o, struct evidence *e)
{
	struct tool_logs logs;
	char err[512];

	if (tool_logs_load(&logs, o->runtime_dir, NULL, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: %s\n", err);
		tool_logs_free(&logs);
		return -1;
	}
	for (size_t i = 0; i < logs.n && i < EVIDENCE_MAX_LOGS; i++) {
		e->logs[i].rtmr = (unsigned)logs.log[i].rtmr;
		e->logs[i].alg = logs.log[i].alg;
		e->logs[i].text = TAKE_PTR(logs.log[i].text);
		e->logs[i].len = logs.log[i].len;
		e->nlogs++;
	}
	tool_logs_free(&logs);
	return 0;
}

static int write_evidence(const struct tool_options *o, const struct evidence *e)
{
	json_object *doc = NULL;
	const char *text;
	int r = 0;

	evidence_to_json(e, &doc);
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (o->out) {
		r = write_file_atomic(o->out, text, strlen(text), 0644);
		if (r < 0)
			fprintf(stderr, "vtpm-rtmr: cannot write %s: %s\n", o->out, strerror(-r));
	} else {
		printf("%s\n", text);
	}
	json_object_put(doc);
	return r;
}

int tool_attest(const struct tool_options *o)
{
	struct evidence e = { .version = EVIDENCE_VERSION };
	time_t now = time(NULL);
	int rc = 2;

	if (tool_read_nonce(o, e.nonce, sizeof(e.nonce), &e.nonce_len) < 0 || read_ek(o, &e) < 0)
		goto out;
	if (evidence_report_data(e.nonce, e.nonce_len, e.ek_pub, e.ek_pub_len,
				 e.report_data) < 0)
		goto out;
	if (tpm_quote(o, &e) < 0 || get_quote(o, &e) < 0 || read_ccel(o, &e) < 0 ||
	    add_logs(o, &e) < 0)
		goto out;
	strftime(e.time, sizeof(e.time), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	if (write_evidence(o, &e) == 0)
		rc = 0;
out:
	evidence_free(&e);
	return rc;
}
