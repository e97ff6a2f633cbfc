/* SPDX-License-Identifier: MIT */
/* The `sim` quote provider's attestation infrastructure: a self-made root CA (NOT Intel, NO
 * SECURITY), a PCK-like chain and an attestation key, and a builder of DCAP-layout TDX quotes
 * (v4, v5) signed with them, which tdx_quote_parse/tdx_quote_verify accept with the sim root. */
#ifndef VTPM_TDX_SIM_CA_H
#define VTPM_TDX_SIM_CA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#define TDX_SIM_ROOT_CN "vtpm-rtmr SIM Root CA \xe2\x80\x94 NOT Intel, NO SECURITY"
#define TDX_SIM_QE_VENDOR_ID "vtpm-rtmr sim QE"  /* 16 bytes, the header's qe_vendor_id */

struct tdx_sim_ca;

/* Create (first call) or load the simulated attestation infrastructure in dir (created mode
 * 0700): root CA (self-signed, ECDSA P-256) -> intermediate -> PCK leaf, plus a PCK private key
 * and an attestation key. Files: root-ca.pem (the public root cert), pck-chain.pem (leaf,
 * intermediate, root), pck-key.pem and attest-key.pem (0600). The root and intermediate private
 * keys are never stored. root-ca.pem is written last: without it everything is re-created;
 * with it, every other file must load. Creation and loading hold an flock on dir/.lock.
 * 0 or -1 with err. */
int tdx_sim_ca_open(const char *dir, struct tdx_sim_ca **out, char *err, size_t errlen);
void tdx_sim_ca_close(struct tdx_sim_ca *ca);

/* The root certificate (borrowed; valid until tdx_sim_ca_close). */
X509 *tdx_sim_ca_root(const struct tdx_sim_ca *ca);

/* Build a DCAP quote v4 with a TD report body 1.0: header (version 4, ECDSA-P256, TDX,
 * qe_vendor_id TDX_SIM_QE_VENDOR_ID), body with the given RTMRs and REPORTDATA (MRTD =
 * SHA-384("vtpm-rtmr SIM MRTD"), other fields zero), signed by the attestation key;
 * certification data type 6: QE report (zeros except REPORTDATA = SHA-256(attest_key ||
 * qe_auth) || 32 zeros) signed by the PCK key, 32 bytes of QE auth data (0..31), inner type 5
 * PEM chain (NUL-terminated, as Intel's QE does). Caller frees *quote. 0 or -1 with err. */
int tdx_sim_quote(struct tdx_sim_ca *ca, const uint8_t reportdata[64], const uint8_t rtmr[4][48],
		  uint8_t **quote, size_t *len, char *err, size_t errlen);
/* The same as a v5 quote with body type 2 (TD report 1.0) or 3 (TD report 1.5, TEE_TCB_SVN2
 * and MRSERVICETD zero). */
int tdx_sim_quote_v5(struct tdx_sim_ca *ca, uint16_t body_type, const uint8_t reportdata[64],
		     const uint8_t rtmr[4][48], uint8_t **quote, size_t *len, char *err,
		     size_t errlen);

#endif
