// SPDX-License-Identifier: MIT
/*
 * vtpm-rtmr verify: check evidence from vtpm-rtmr attest, rule by rule of DESIGN.md
 * ("Attestation"): the TEE quote and its chain, the EK binding (here); every RTMR explained by
 * its log, INITs anchored, SYNC, the group rule and the EK identity (tool_verify_logs.c); the
 * AK and its TPM quote, and every PCR's state (tool_verify_pcrs.c). Prints a JSON verdict;
 * exit 0 only if every check passes.
 */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evidence.h"
#include "attest/tdx_quote.h"
#include "attest/tpm_quote.h"
#include "attest/trust_anchor.h"
#include "common/openssl_util.h"
#include "common/util.h"
#include "tool/tool_attest.h"
#include "tool/tool_verify.h"

static void add(struct verdict *v, const char *name, bool ok, json_object *warnings,
		const char *fmt, va_list ap)
{
	json_object *c = json_object_new_object();
	char detail[VERIFY_DETAIL];

	vsnprintf(detail, sizeof(detail), fmt, ap);
	json_object_object_add(c, "name", json_object_new_string(name));
	json_object_object_add(c, "result", json_object_new_string(ok ? "pass" : "fail"));
	json_object_object_add(c, "detail", json_object_new_string(detail));
	if (warnings)
		json_object_object_add(c, "warnings", warnings);
	json_object_array_add(v->checks, c);
	v->all_pass &= ok;
}

void verdict_add(struct verdict *v, const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add(v, name, ok, NULL, fmt, ap);
	va_end(ap);
}

void verdict_add_warned(struct verdict *v, const char *name, bool ok,
			struct json_object *warnings, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add(v, name, ok, warnings, fmt, ap);
	va_end(ap);
}

/* ---- the TEE quote: structure, signature chain, the EK binding ---- */

static X509 *load_anchor(const char *path, char *err, size_t errlen)
{
	X509 *x = NULL;

	if (!path)
		return trust_anchor_intel_sgx_root();
	return tdx_load_cert_pem(path, &x, err, errlen) == 0 ? x : NULL;
}

static void check_quote(struct verdict *v, struct verify_ctx *c)
{
	_cleanup_(X509_freep) X509 *anchor = NULL;
	struct tdx_quote_checks qc;
	char err[512];

	c->quote_parsed = tdx_quote_parse(c->e->quote, c->e->quote_len, &c->q, err,
					  sizeof(err)) == 0;
	if (!c->quote_parsed) {
		verdict_add(v, "quote-structure", false, "%s", err);
		verdict_add(v, "quote-signature-chain", false, "the quote could not be parsed");
		return;
	}
	verdict_add(v, "quote-structure", true, "TDX quote v%u, TD report body %s", c->q.version,
		    c->q.body_type == 3 ? "1.5" : "1.0");
	anchor = load_anchor(c->opts->trust_anchor, err, sizeof(err));
	if (!anchor)
		verdict_add(v, "quote-signature-chain", false, "%s", err);
	else if (tdx_quote_verify(&c->q, anchor, &qc) == 0)
		verdict_add(v, "quote-signature-chain", true, "quote signed by the attestation "
			    "key; QE report signed by the PCK key and binding the attestation key; "
			    "PCK chain verifies to the trust anchor");
	else
		verdict_add(v, "quote-signature-chain", false, "%s", qc.detail);
}

static void check_binding(struct verdict *v, const struct verify_ctx *c)
{
	const struct evidence *e = c->e;
	uint8_t want[64];

	if (c->nonce_len != e->nonce_len || memcmp(c->nonce, e->nonce, c->nonce_len) != 0)
		verdict_add(v, "report-data-binding", false, "the evidence was made for another "
			    "nonce");
	else if (!c->quote_parsed)
		verdict_add(v, "report-data-binding", false, "the quote could not be parsed");
	else if (evidence_report_data(c->nonce, c->nonce_len, e->ek_pub, e->ek_pub_len, want) < 0 ||
		 memcmp(c->q.reportdata, want, 64) != 0)
		verdict_add(v, "report-data-binding", false, "quote REPORTDATA != SHA-512(nonce || "
			    "TPMT_PUBLIC(EK))");
	else
		verdict_add(v, "report-data-binding", true, "quote REPORTDATA == SHA-512(nonce || "
			    "TPMT_PUBLIC(EK))");
}

/* --expect-ek: the evidence's EK is a key the caller knows (tpm2_createek -u, or PEM). */
static void check_expect_ek(struct verdict *v, const struct verify_ctx *c)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *want = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *have = NULL;
	char err[512];
	bool ok;

	if (tpm_ak_load(c->opts->expect_ek, &want, err, sizeof(err)) < 0) {
		verdict_add(v, "expected-ek", false, "%s", err);
		return;
	}
	ok = tpm_public_to_evp(c->e->ek_pub, c->e->ek_pub_len, &have, err, sizeof(err)) == 0 &&
	     EVP_PKEY_eq(want, have) == 1;
	verdict_add(v, "expected-ek", ok, ok ? "the evidence's EK is the expected key" :
		    "the evidence's EK is not the expected key");
}

/* ---- the command ---- */

static int load_evidence(const char *path, struct evidence *e)
{
	_cleanup_free_ char *text = NULL;
	char err[512];
	int r = read_file_all(path, &text, NULL, 64u << 20);

	if (r < 0) {
		fprintf(stderr, "vtpm-rtmr: cannot read %s: %s\n", path, strerror(-r));
		return -1;
	}
	if (evidence_from_json(text, e, err, sizeof(err)) < 0) {
		fprintf(stderr, "vtpm-rtmr: %s: %s\n", path, err);
		return -1;
	}
	return 0;
}

static bool tpm_quote_args(const struct tool_options *o, bool *given)
{
	int n = !!o->tpm_quote + !!o->tpm_signature + !!o->ak_public;

	*given = n > 0;
	if (n != 0 && n != 3) {
		fprintf(stderr, "vtpm-rtmr: --tpm-quote, --tpm-signature and --ak-public go "
			"together\n");
		return false;
	}
	return true;
}

static void print_verdict(struct verdict *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "verdict", json_object_new_string(v->all_pass ? "pass" : "fail"));
	json_object_object_add(o, "checks", v->checks);
	json_object_object_add(o, "pcrs", v->pcrs);
	json_object_object_add(o, "notChecked", json_object_new_string(
		"TCB status and collateral (PCK CRLs, TCB info, QE identity) need Intel's "
		"provisioning service over the network: not checked"));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

int tool_verify(const struct tool_options *o)
{
	struct verdict v = { .all_pass = true };
	uint8_t nonce[EVIDENCE_MAX_NONCE];
	struct verify_ctx *c = calloc(1, sizeof(*c));
	struct evidence *e = calloc(1, sizeof(*e));
	bool external;
	int rc = 2;

	if (!c || !e)
		goto out;
	if (!o->evidence) {
		fprintf(stderr, "vtpm-rtmr: verify needs --evidence FILE\n");
		goto out;
	}
	if (tool_read_nonce(o, nonce, sizeof(nonce), &c->nonce_len) < 0 ||
	    !tpm_quote_args(o, &external) || load_evidence(o->evidence, e) < 0)
		goto out;
	c->opts = o;
	c->e = e;
	c->nonce = nonce;
	v.checks = json_object_new_array();
	v.pcrs = json_object_new_array();
	check_quote(&v, c);
	check_binding(&v, c);
	verify_logs(&v, c);
	verify_pcrs(&v, c);
	if (o->expect_ek)
		check_expect_ek(&v, c);
	if (external)
		verify_external_quote(&v, c);
	print_verdict(&v);
	rc = v.all_pass ? 0 : 1;
out:
	if (e)
		evidence_free(e);
	free(e);
	free(c);
	return rc;
}
