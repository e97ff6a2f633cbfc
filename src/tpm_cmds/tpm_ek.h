/* SPDX-License-Identifier: MIT */
/* The daemon's keys: the Endorsement Key (TCG EK Credential Profile default templates) and the
 * attestation key (AK), and the commands that create them, make them persistent and read them
 * back. */
#ifndef VTPM_TPM_EK_H
#define VTPM_TPM_EK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tss2/tss2_tpm2_types.h>

#include "common/string_table.h"

enum ek_type { EK_RSA2048, EK_ECC_P256, EK_ECC_P384 };

#define EK_MAX_PUBLIC 1024

/* rsa2048|ecc-p256|ecc-p384 */
DECLARE_STRING_TABLE_LOOKUP(ek_type, enum ek_type);
/* Standard persistent handle: 0x81010001, 0x8101000a, 0x81010016. */
uint32_t ek_persistent_handle(enum ek_type t);
/* TCG template L-1 (RSA 2048), L-2 (ECC P-256), H-3 (ECC P-384). */
void ek_template(enum ek_type t, TPMT_PUBLIC *tmpl);

/*
 * The attestation key (DESIGN.md "Attestation"): a restricted signing primary key of the
 * endorsement hierarchy, reproducible from the endorsement seed like the EK. objectAttributes
 * fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign, empty authPolicy,
 * nameAlg SHA-256; with the RSA EK RSA-2048 (exponent 0, RSASSA-SHA256, symmetric NULL, unique
 * 256 zero bytes), with the ECC EKs NIST P-256 (ECDSA-SHA256) or P-384 (ECDSA-SHA384), kdf
 * NULL, unique x and y of the curve's size in zero bytes.
 */
/* 0x81010002, beside the RSA EK in the endorsement-primary range. */
uint32_t ak_persistent_handle(void);
void ak_template(enum ek_type t, TPMT_PUBLIC *tmpl);

/* TPM2_CreatePrimary(hierarchy, empty password) with the template, empty sensitive data,
 * outsideInfo and creationPCR. Returns the size or 0. */
size_t tpm_build_create_primary(uint8_t *out, size_t cap, uint32_t hierarchy,
				const TPMT_PUBLIC *tmpl);
/* tpm_build_create_primary(TPM_RH_ENDORSEMENT) with the EK template. */
size_t tpm_build_create_primary_ek(uint8_t *out, size_t cap, enum ek_type t);
/* Whether pub (TPMT_PUBLIC bytes, exactly) is a key made from the template: every field but
 * unique equal. */
bool tpm_public_of_template(const uint8_t *pub, size_t len, const TPMT_PUBLIC *tmpl);
/* Its response: the transient handle and the outPublic.publicArea bytes exactly as the
 * TPM returned them (the TPMT_PUBLIC bound in attestation). 0, or -1. */
int tpm_parse_create_primary(const uint8_t *rsp, size_t len, uint32_t *handle,
			     uint8_t *pub, size_t cap, size_t *publen);
/* TPM2_EvictControl(TPM_RH_OWNER, object, persistent). */
size_t tpm_build_evict_control(uint8_t *out, size_t cap, uint32_t object, uint32_t persistent);
/* TPM2_ReadPublic(handle); its response's TPMT_PUBLIC bytes. */
size_t tpm_build_read_public(uint8_t *out, size_t cap, uint32_t handle);
int tpm_parse_read_public(const uint8_t *rsp, size_t len, uint8_t *pub, size_t cap,
			  size_t *publen);
/* TPM2_FlushContext(handle). */
size_t tpm_build_flush_context(uint8_t *out, size_t cap, uint32_t handle);

#endif
