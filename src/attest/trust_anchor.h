/* SPDX-License-Identifier: MIT */
/* The default root of the PCK certificate chain: Intel's public SGX Root CA. */
#ifndef VTPM_TRUST_ANCHOR_H
#define VTPM_TRUST_ANCHOR_H

#include <openssl/x509.h>

/* A new reference to the built-in Intel SGX Root CA certificate (caller frees), or NULL. */
X509 *trust_anchor_intel_sgx_root(void);

#endif
