// SPDX-License-Identifier: MIT
/*
 * Unit tests: the daemon's key templates and the commands that make them (src/tpm_cmds/tpm_ek.c).
 * Every CreatePrimary the daemon would send is unmarshalled again with libtss2-mu and checked
 * field by field against what DESIGN.md and the TCG EK Credential Profile fix: a change to a
 * template changes the keys every verifier knows, so each field is pinned here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "tpm_cmds/tpm_ek.h"
#include "tpm_cmds/tpm_frame.h"

#define AK_ATTRS (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
		  TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH | \
		  TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT)
#define EK_ATTRS_A (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
		    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY | \
		    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)

static const uint8_t zeros[256];

/* The parts of a CreatePrimary command frame. */
struct create_primary {
	uint32_t hierarchy;
	TPMS_AUTH_COMMAND auth;
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC pub;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcrs;
};

/* Unmarshal a whole CreatePrimary frame; every byte must belong to a field. */
static void parse_create_primary(const uint8_t *cmd, size_t len, struct create_primary *cp)
{
	uint16_t tag;
	uint32_t size, cc, auth_size;
	size_t off = 0, auth_start;

	memset(cp, 0, sizeof(*cp)); /* tss2-mu unmarshals a TPM2B only into a zero one */
	assert_true(len > TPM_HEADER_SIZE);
	assert_int_equal(Tss2_MU_UINT16_Unmarshal(cmd, len, &off, &tag), 0);
	assert_int_equal(Tss2_MU_UINT32_Unmarshal(cmd, len, &off, &size), 0);
	assert_int_equal(Tss2_MU_UINT32_Unmarshal(cmd, len, &off, &cc), 0);
	assert_int_equal(tag, TPM2_ST_SESSIONS);
	assert_int_equal(size, len);
	assert_int_equal(cc, TPM2_CC_CreatePrimary);
	assert_int_equal(Tss2_MU_UINT32_Unmarshal(cmd, len, &off, &cp->hierarchy), 0);
	assert_int_equal(Tss2_MU_UINT32_Unmarshal(cmd, len, &off, &auth_size), 0);
	auth_start = off;
	assert_int_equal(Tss2_MU_TPMS_AUTH_COMMAND_Unmarshal(cmd, len, &off, &cp->auth), 0);
	assert_int_equal(off - auth_start, auth_size);
	assert_int_equal(Tss2_MU_TPM2B_SENSITIVE_CREATE_Unmarshal(cmd, len, &off, &cp->sens), 0);
	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Unmarshal(cmd, len, &off, &cp->pub), 0);
	assert_int_equal(Tss2_MU_TPM2B_DATA_Unmarshal(cmd, len, &off, &cp->outside), 0);
	assert_int_equal(Tss2_MU_TPML_PCR_SELECTION_Unmarshal(cmd, len, &off, &cp->pcrs), 0);
	assert_int_equal(off, len);
}

/* An empty password session, nothing sensitive, no outside info, no creation PCRs. */
static void assert_plain_primary(const struct create_primary *cp)
{
	assert_int_equal(cp->hierarchy, TPM2_RH_ENDORSEMENT);
	assert_int_equal(cp->auth.sessionHandle, TPM2_RS_PW);
	assert_int_equal(cp->auth.nonce.size, 0);
	assert_int_equal(cp->auth.hmac.size, 0);
	assert_int_equal(cp->sens.sensitive.userAuth.size, 0);
	assert_int_equal(cp->sens.sensitive.data.size, 0);
	assert_int_equal(cp->outside.size, 0);
	assert_int_equal(cp->pcrs.count, 0);
}

static void build_ak(enum ek_type t, struct create_primary *cp)
{
	TPMT_PUBLIC tmpl;
	uint8_t cmd[1024];
	size_t len;

	ak_template(t, &tmpl);
	len = tpm_build_create_primary(cmd, sizeof(cmd), TPM2_RH_ENDORSEMENT, &tmpl);
	assert_true(len > 0);
	parse_create_primary(cmd, len, cp);
	assert_plain_primary(cp);
}

/* What every AK has: restricted signing, no policy, SHA-256 names, no symmetric part. */
static void assert_ak_common(const TPMT_PUBLIC *p)
{
	assert_int_equal(p->nameAlg, TPM2_ALG_SHA256);
	assert_int_equal(p->objectAttributes, AK_ATTRS);
	assert_false(p->objectAttributes & TPMA_OBJECT_DECRYPT);
	assert_false(p->objectAttributes & TPMA_OBJECT_ADMINWITHPOLICY);
	assert_int_equal(p->authPolicy.size, 0);
}

static void test_ak_rsa(void **state)
{
	struct create_primary cp;
	const TPMT_PUBLIC *p = &cp.pub.publicArea;
	const TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;

	(void)state;
	build_ak(EK_RSA2048, &cp);
	assert_int_equal(p->type, TPM2_ALG_RSA);
	assert_ak_common(p);
	assert_int_equal(r->symmetric.algorithm, TPM2_ALG_NULL);
	assert_int_equal(r->scheme.scheme, TPM2_ALG_RSASSA);
	assert_int_equal(r->scheme.details.rsassa.hashAlg, TPM2_ALG_SHA256);
	assert_int_equal(r->keyBits, 2048);
	assert_int_equal(r->exponent, 0);
	assert_int_equal(p->unique.rsa.size, 256);
	assert_memory_equal(p->unique.rsa.buffer, zeros, 256);
}

static void assert_ak_ecc(enum ek_type t, TPM2_ECC_CURVE curve, TPM2_ALG_ID hash, size_t n)
{
	struct create_primary cp;
	const TPMT_PUBLIC *p = &cp.pub.publicArea;
	const TPMS_ECC_PARMS *e = &p->parameters.eccDetail;

	build_ak(t, &cp);
	assert_int_equal(p->type, TPM2_ALG_ECC);
	assert_ak_common(p);
	assert_int_equal(e->symmetric.algorithm, TPM2_ALG_NULL);
	assert_int_equal(e->scheme.scheme, TPM2_ALG_ECDSA);
	assert_int_equal(e->scheme.details.ecdsa.hashAlg, hash);
	assert_int_equal(e->curveID, curve);
	assert_int_equal(e->kdf.scheme, TPM2_ALG_NULL);
	assert_int_equal(p->unique.ecc.x.size, n);
	assert_int_equal(p->unique.ecc.y.size, n);
	assert_memory_equal(p->unique.ecc.x.buffer, zeros, n);
	assert_memory_equal(p->unique.ecc.y.buffer, zeros, n);
}

static void test_ak_ecc(void **state)
{
	(void)state;
	assert_ak_ecc(EK_ECC_P256, TPM2_ECC_NIST_P256, TPM2_ALG_SHA256, 32);
	assert_ak_ecc(EK_ECC_P384, TPM2_ECC_NIST_P384, TPM2_ALG_SHA384, 48);
}

/* The AK's handle: in the endorsement-primary range, beside the EKs, never one of theirs. */
static void test_handles(void **state)
{
	(void)state;
	assert_int_equal(ak_persistent_handle(), 0x81010002);
	assert_int_equal(ek_persistent_handle(EK_RSA2048), 0x81010001);
	assert_int_equal(ek_persistent_handle(EK_ECC_P256), 0x8101000a);
	assert_int_equal(ek_persistent_handle(EK_ECC_P384), 0x81010016);
}

/* The EK templates (TCG L-1, L-2, H-3), now built through the same builder. */
static void test_ek_templates(void **state)
{
	struct create_primary cp;
	const TPMT_PUBLIC *p = &cp.pub.publicArea;
	uint8_t cmd[1024];
	size_t len;

	(void)state;
	len = tpm_build_create_primary_ek(cmd, sizeof(cmd), EK_RSA2048);
	parse_create_primary(cmd, len, &cp);
	assert_plain_primary(&cp);
	assert_int_equal(p->type, TPM2_ALG_RSA);
	assert_int_equal(p->nameAlg, TPM2_ALG_SHA256);
	assert_int_equal(p->objectAttributes, EK_ATTRS_A);
	assert_int_equal(p->authPolicy.size, 32);
	assert_int_equal(p->authPolicy.buffer[0], 0x83);
	assert_int_equal(p->parameters.rsaDetail.symmetric.algorithm, TPM2_ALG_AES);
	assert_int_equal(p->parameters.rsaDetail.symmetric.keyBits.aes, 128);
	assert_int_equal(p->parameters.rsaDetail.symmetric.mode.aes, TPM2_ALG_CFB);
	assert_int_equal(p->parameters.rsaDetail.scheme.scheme, TPM2_ALG_NULL);
	assert_int_equal(p->parameters.rsaDetail.keyBits, 2048);
	assert_int_equal(p->unique.rsa.size, 256);

	len = tpm_build_create_primary_ek(cmd, sizeof(cmd), EK_ECC_P256);
	parse_create_primary(cmd, len, &cp);
	assert_int_equal(p->type, TPM2_ALG_ECC);
	assert_int_equal(p->objectAttributes, EK_ATTRS_A);
	assert_int_equal(p->parameters.eccDetail.curveID, TPM2_ECC_NIST_P256);
	assert_int_equal(p->unique.ecc.x.size, 32);

	len = tpm_build_create_primary_ek(cmd, sizeof(cmd), EK_ECC_P384);
	parse_create_primary(cmd, len, &cp);
	assert_int_equal(p->nameAlg, TPM2_ALG_SHA384);
	assert_int_equal(p->objectAttributes, EK_ATTRS_A | TPMA_OBJECT_USERWITHAUTH);
	assert_int_equal(p->authPolicy.size, 48);
	assert_int_equal(p->parameters.eccDetail.curveID, TPM2_ECC_NIST_P384);
	assert_int_equal(p->parameters.eccDetail.symmetric.keyBits.aes, 256);
	assert_int_equal(p->unique.ecc.x.size, 0);
}

/* Too small a buffer: 0, never a partial command. */
static void test_build_short_buffer(void **state)
{
	TPMT_PUBLIC tmpl;
	uint8_t cmd[1024];
	size_t full;

	(void)state;
	ak_template(EK_RSA2048, &tmpl);
	full = tpm_build_create_primary(cmd, sizeof(cmd), TPM2_RH_ENDORSEMENT, &tmpl);
	assert_true(full > 0);
	for (size_t cap = 0; cap < full; cap += 7)
		assert_int_equal(tpm_build_create_primary(cmd, cap, TPM2_RH_ENDORSEMENT, &tmpl), 0);
}

/* A key "of the template": its marshalled public area with its own unique field. */
static size_t key_of(const TPMT_PUBLIC *tmpl, uint8_t fill, uint8_t *out, size_t cap)
{
	TPMT_PUBLIC k = *tmpl;
	size_t off = 0;

	if (k.type == TPM2_ALG_RSA) {
		memset(k.unique.rsa.buffer, fill, k.unique.rsa.size);
	} else {
		k.unique.ecc.x.size = k.unique.ecc.y.size = 32;
		memset(k.unique.ecc.x.buffer, fill, 32);
		memset(k.unique.ecc.y.buffer, fill, 32);
	}
	assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(&k, out, cap, &off), 0);
	return off;
}

static void test_public_of_template(void **state)
{
	TPMT_PUBLIC ak, ek, other;
	uint8_t pub[1024];
	size_t len, off = 0;

	(void)state;
	ak_template(EK_RSA2048, &ak);
	ek_template(EK_RSA2048, &ek);
	len = key_of(&ak, 0x5a, pub, sizeof(pub));
	assert_true(tpm_public_of_template(pub, len, &ak));
	assert_false(tpm_public_of_template(pub, len, &ek));
	/* truncated, or a byte more: not a TPMT_PUBLIC of it */
	assert_false(tpm_public_of_template(pub, len - 1, &ak));
	pub[len] = 0;
	assert_false(tpm_public_of_template(pub, len + 1, &ak));
	/* one attribute more (decrypt), or another type: no */
	other = ak;
	other.objectAttributes |= TPMA_OBJECT_DECRYPT;
	len = key_of(&other, 0x5a, pub, sizeof(pub));
	assert_false(tpm_public_of_template(pub, len, &ak));
	ak_template(EK_ECC_P256, &other);
	len = key_of(&other, 0x5a, pub, sizeof(pub));
	assert_true(tpm_public_of_template(pub, len, &other));
	assert_false(tpm_public_of_template(pub, len, &ak));
	/* the template itself is of the template */
	assert_int_equal(Tss2_MU_TPMT_PUBLIC_Marshal(&ak, pub, sizeof(pub), &off), 0);
	assert_true(tpm_public_of_template(pub, off, &ak));
	assert_false(tpm_public_of_template(pub, 0, &ak));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ak_rsa),
		cmocka_unit_test(test_ak_ecc),
		cmocka_unit_test(test_handles),
		cmocka_unit_test(test_ek_templates),
		cmocka_unit_test(test_build_short_buffer),
		cmocka_unit_test(test_public_of_template),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
