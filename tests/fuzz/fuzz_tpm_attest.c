// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the TPM attestation parsers of `vtpm-rtmr attest` and `verify`.
 * The input is three parts, each prefixed by a 16-bit big-endian length (missing parts are
 * empty): an AK public area, a TPMS_ATTEST and a TPMT_SIGNATURE. Then:
 *  - tpm_ak_public_check() on the first part: a key only when it is one TPMT_PUBLIC with
 *    the restricted signing attributes;
 *  - tpm_quote_check() of the other two with that key: 0, 1 or -1, never a pass with a
 *    nonce or digest over 64 bytes;
 *  - the whole input as a TPM2_Quote and a TPM2_PCR_Read response (tpm_quote_cmds.h): what
 *    they return fits the caller's buffers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/tpm_quote.h"
#include "common/openssl_util.h"
#include "fuzz_common.h"
#include "tpm_cmds/tpm_quote_cmds.h"

static size_t part(const uint8_t **p, size_t *left, const uint8_t **out)
{
	size_t n;

	if (*left < 2) {
		*out = *p;
		return 0;
	}
	n = (size_t)(*p)[0] << 8 | (*p)[1];
	*p += 2;
	*left -= 2;
	if (n > *left)
		n = *left;
	*out = *p;
	*p += n;
	*left -= n;
	return n;
}

static void responses(const uint8_t *data, size_t size)
{
	uint8_t attest[1024], sig[1024];
	size_t alen = 0, slen = 0;
	TPML_PCR_SELECTION sel;
	TPML_DIGEST d;

	if (tpm_parse_quote(data, size, attest, sizeof(attest), &alen, sig, sizeof(sig), &slen) ==
	    0)
		FUZZ_CHECK(alen <= sizeof(attest) && slen <= sizeof(sig) && alen + slen < size);
	if (tpm_parse_pcr_read(data, size, &sel, &d) == 0)
		FUZZ_CHECK(sel.count <= TPM2_NUM_PCR_BANKS && d.count <= 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	const uint8_t *p = data, *ak, *msg, *sig;
	size_t left = size, aklen, msglen, siglen;
	struct tpm_quote_info info;
	char err[256];
	uint8_t *a, *m, *s;
	int r;

	aklen = part(&p, &left, &ak);
	msglen = part(&p, &left, &msg);
	siglen = part(&p, &left, &sig);
	/* exact copies, so that ASan sees any read past a part */
	a = (uint8_t *)fuzz_dup(ak, aklen);
	m = (uint8_t *)fuzz_dup(msg, msglen);
	s = (uint8_t *)fuzz_dup(sig, siglen);
	r = tpm_ak_public_check(a, aklen, &key, err, sizeof(err));
	fuzz_check_err(err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -1);
	FUZZ_CHECK((r == 0) == (key != NULL));
	if (key) {
		r = tpm_quote_check(m, msglen, s, siglen, key, &info, err, sizeof(err));
		FUZZ_CHECK(r >= -1 && r <= 1);
		if (r == 0)
			FUZZ_CHECK(info.nonce_len <= 64 && info.pcr_digest_len <= 64);
	}
	responses(data, size);
	free(a);
	free(m);
	free(s);
	return 0;
}
