// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: src/attest/tdx_quote.h, tdx_quote_parse() on the input as a TDX quote
 * (the bytes of a configfs-tsm outblob or of evidence). A parsed quote's views lie inside
 * the input; verification of a parsed quote against a fixed self-signed root never succeeds
 * for fuzzed bytes without a valid signature chain, and never crashes.
 */
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/tdx_quote.h"
#include "attest/trust_anchor.h"
#include "fuzz_common.h"

static int inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t size)
{
	return p >= buf && n <= size && p + n <= buf + size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static X509 *anchor;
	uint8_t *buf = (uint8_t *)fuzz_dup(data, size);
	struct tdx_quote_checks checks;
	struct tdx_quote q;
	char err[256];

	if (!anchor)
		anchor = trust_anchor_intel_sgx_root();
	if (tdx_quote_parse(buf, size, &q, err, sizeof(err)) < 0) {
		fuzz_check_err(err, sizeof(err));
		free(buf);
		return 0;
	}
	FUZZ_CHECK(q.version == 4 || q.version == 5);
	FUZZ_CHECK(inside(q.body, q.body_len, buf, size));
	FUZZ_CHECK(inside(q.signed_data, q.signed_len, buf, size));
	FUZZ_CHECK(inside(q.reportdata, 64, buf, size));
	for (int i = 0; i < 4; i++)
		FUZZ_CHECK(inside(q.rtmr[i], 48, buf, size));
	FUZZ_CHECK(inside(q.pck_chain, q.pck_chain_len, buf, size));
	FUZZ_CHECK(inside(q.qe_auth, q.qe_auth_len, buf, size));
	if (anchor)
		(void)tdx_quote_verify(&q, anchor, &checks);
	free(buf);
	return 0;
}
