/* SPDX-License-Identifier: MIT */
/* Shared between tdx_sim_ca.c (keys, certificates, files) and tdx_sim_ca_quote.c (quotes). */
#ifndef VTPM_TDX_SIM_CA_INTERNAL_H
#define VTPM_TDX_SIM_CA_INTERNAL_H

#include <openssl/evp.h>

#include "attest/tdx_sim_ca.h"

struct tdx_sim_ca {
	EVP_PKEY *pck_key;     /* signs QE reports */
	EVP_PKEY *attest_key;  /* signs quotes */
	X509 *root;
	char *chain_pem;       /* leaf, intermediate, root; NUL-terminated */
	size_t chain_len;      /* without the NUL */
};

#endif
