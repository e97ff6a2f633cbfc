/* SPDX-License-Identifier: MIT */
/* Intel TDX DCAP quotes (v4, v5): a bounds-checked parser and a verifier of the quote
 * signature, the QE report signature, the attestation-key binding and the PCK chain.
 * Layout: Intel DCAP sgx_quote_4.h / sgx_quote_5.h / sgx_quote_3.h; all integers are
 * little-endian, signatures and keys raw big-endian P-256 (r||s, x||y). */
#ifndef VTPM_TDX_QUOTE_H
#define VTPM_TDX_QUOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#define TDX_REPORTDATA_SIZE 64
#define TDX_MR_SIZE 48
#define TDX_RTMRS 4

#define TDX_QUOTE_HEADER_SIZE 48
#define TDX_QUOTE_V4 4
#define TDX_QUOTE_V5 5
#define TDX_ATT_KEY_ECDSA_P256 2
#define TDX_TEE_TYPE_SGX 0x00
#define TDX_TEE_TYPE_TDX 0x81
#define TDX_BODY_TD10 2          /* v5 body type: TD report for TDX 1.0 */
#define TDX_BODY_TD15 3          /* v5 body type: TD report for TDX 1.5 */
#define TDX_TD10_BODY_SIZE 584
#define TDX_TD15_BODY_SIZE 648
#define TDX_V5_BODY_PREFIX 6     /* v5: u16 body type, u32 body size after the header */

/* Offsets inside a TD report body. */
#define TDX_BODY_MRTD 136
#define TDX_BODY_RTMR0 328
#define TDX_BODY_REPORTDATA 520

#define TDX_ECDSA_SIG_SIZE 64    /* r||s */
#define TDX_ECDSA_KEY_SIZE 64    /* x||y */
#define TDX_CERT_QE_REPORT 6     /* certification data: QE report certification data */
#define TDX_CERT_PCK_CHAIN 5     /* certification data: PCK cert chain, PEM, leaf first */
#define TDX_QE_REPORT_SIZE 384   /* SGX REPORT body of the quoting enclave */
#define TDX_QE_REPORTDATA 320    /* offset of REPORTDATA (64) in the QE report */
#define TDX_QE_AUTH_SIZE 32      /* what Intel's QE and the sim put there */

struct tdx_quote {                  /* views into the caller's buffer */
	uint16_t version;               /* 4 or 5 */
	uint16_t att_key_type;          /* 2 = ECDSA-256-with-P-256 */
	uint32_t tee_type;              /* 0x81 = TDX */
	uint16_t body_type;             /* v5: 2 = TD report 1.0 (584 B), 3 = 1.5 (648 B); v4: 2 */
	const uint8_t *header;          /* 48 bytes */
	const uint8_t *body;
	size_t body_len;
	/* what the attestation key signed: v4 header||body; v5 header||u16 type||u32 size||body */
	const uint8_t *signed_data;
	size_t signed_len;
	const uint8_t *mrtd, *rtmr[TDX_RTMRS], *reportdata;
	const uint8_t *sig;             /* 64: r||s */
	const uint8_t *attest_key;      /* 64: x||y, P-256 */
	uint16_t cert_type;             /* outer certification data type (6 = QE report) */
	const uint8_t *qe_report;       /* 384-byte SGX enclave report body of the QE */
	const uint8_t *qe_report_sig;   /* 64 */
	const uint8_t *qe_auth;
	size_t qe_auth_len;
	uint16_t pck_cert_type;         /* inner certification data type (5 = PCK chain) */
	const uint8_t *pck_chain;       /* PEM certificates, leaf first (Intel: NUL-terminated) */
	size_t pck_chain_len;
};

/* 0, or -1 with err naming what is wrong ("quote truncated at offset N (signature data length
 * says M)", "unsupported quote version 3", "body size 600 does not match type 2 (584)", ...).
 * Only TDX (tee_type 0x81), ECDSA-P256, certification data type 6 with an inner PCK chain
 * (type 5) are accepted. Rejects truncated, oversized (trailing bytes after the declared
 * signature data) and inconsistent-length inputs; every length must account for exactly the
 * bytes it covers. q points into buf and is valid as long as buf is. */
int tdx_quote_parse(const uint8_t *buf, size_t len, struct tdx_quote *q, char *err, size_t errlen);

struct tdx_quote_checks {
	bool structure_ok;      /* parsed */
	bool quote_sig_ok;      /* ECDSA-P256-SHA256 over signed_data by attest_key */
	bool qe_report_sig_ok;  /* ECDSA over the 384-byte QE report by the PCK leaf key */
	/* QE report's REPORTDATA[0..32] == SHA-256(attest_key || qe_auth), [32..64] zero */
	bool qe_binding_ok;
	/* PCK chain verifies up to trust_anchor: X509_verify_cert, a store holding only the
	 * anchor, intermediates from the chain, current time */
	bool chain_ok;
	char detail[512];       /* first failure, human-readable */
};

/* Verify a parsed quote against trust_anchor (an X509 root; the chain's own root is never
 * trusted). Every check runs; checks->detail names the first that failed. Returns 0 if every
 * check passes, 1 if a check failed, -1 on error (bad arguments, out of memory). TCB status,
 * CRLs, QE identity and the TD's measurements are NOT checked here. */
int tdx_quote_verify(const struct tdx_quote *q, X509 *trust_anchor,
		     struct tdx_quote_checks *checks);

/* Load the first certificate of a PEM file (e.g. a trust anchor). 0 or -1 with err. */
int tdx_load_cert_pem(const char *path, X509 **out, char *err, size_t errlen);

#endif
