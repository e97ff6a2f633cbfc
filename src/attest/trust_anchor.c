// SPDX-License-Identifier: MIT
#include "attest/trust_anchor.h"

#include <openssl/pem.h>
#include <string.h>

#include "common/openssl_util.h"

/* Generated at build time from src/attest/intel_sgx_root_ca.pem (Intel SGX Root CA,
 * SHA-256 fingerprint 44:A0:19:6B:2B:99:F8:89:B8:E1:49:E9:5B:80:7A:35:0E:74:24:96:43:99:E8:
 * 85:A7:CB:B8:CC:FA:B6:74:D3). */
static const char intel_sgx_root_ca_pem[] =
#include "intel_sgx_root_ca.inc"
	;

X509 *trust_anchor_intel_sgx_root(void)
{
	_cleanup_(BIO_freep) BIO *bio =
		BIO_new_mem_buf(intel_sgx_root_ca_pem, (int)strlen(intel_sgx_root_ca_pem));

	return bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
}
