// SPDX-License-Identifier: MIT
#include "tpm_cmds/tpm_ek.h"

#include <stdbool.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#include "common/string_table.h"
#include "tpm_cmds/tpm_frame.h"
#include "tpm_cmds/tpm_marshal.h"

/* TCG EK Credential Profile: PolicyA_SHA256 and PolicyB_SHA384 */
static const uint8_t policy_a_sha256[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
	0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};
static const uint8_t policy_b_sha384[48] = {
	0xb2, 0x6e, 0x7d, 0x28, 0xd1, 0x1a, 0x50, 0xbc, 0x53, 0xd8, 0x82, 0xbc, 0xf5, 0xfd, 0x3a, 0x1a,
	0x07, 0x41, 0x48, 0xbb, 0x35, 0xd3, 0xb4, 0xe4, 0xcb, 0x1c, 0x0a, 0xd9, 0xbd, 0xe4, 0x19, 0xca,
	0xcb, 0x47, 0xba, 0x09, 0x69, 0x96, 0x46, 0x15, 0x0f, 0x9f, 0xc0, 0x00, 0xf3, 0xf8, 0x0e, 0x12,
};

#define ATTRS_A (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
		 TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY | \
		 TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT)
#define ATTRS_B (ATTRS_A | TPMA_OBJECT_USERWITHAUTH)

static const char *const ek_type_table[] = {
	[EK_RSA2048] = "rsa2048",
	[EK_ECC_P256] = "ecc-p256",
	[EK_ECC_P384] = "ecc-p384",
};

DEFINE_STRING_TABLE_LOOKUP(ek_type, enum ek_type)

uint32_t ek_persistent_handle(enum ek_type t)
{
	static const uint32_t handles[] = { 0x81010001, 0x8101000a, 0x81010016 };

	return handles[t];
}

static void template_rsa2048(TPMT_PUBLIC *p)
{
	p->type = TPM2_ALG_RSA;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = ATTRS_A;
	p->authPolicy.size = sizeof(policy_a_sha256);
	memcpy(p->authPolicy.buffer, policy_a_sha256, sizeof(policy_a_sha256));
	p->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->parameters.rsaDetail.symmetric.keyBits.aes = 128;
	p->parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.rsaDetail.keyBits = 2048;
	p->parameters.rsaDetail.exponent = 0;
	p->unique.rsa.size = 256; /* zeros */
}

static void template_ecc(TPMT_PUBLIC *p, bool p384)
{
	p->type = TPM2_ALG_ECC;
	p->nameAlg = p384 ? TPM2_ALG_SHA384 : TPM2_ALG_SHA256;
	p->objectAttributes = p384 ? ATTRS_B : ATTRS_A;
	p->authPolicy.size = p384 ? sizeof(policy_b_sha384) : sizeof(policy_a_sha256);
	memcpy(p->authPolicy.buffer, p384 ? policy_b_sha384 : policy_a_sha256,
	       p->authPolicy.size);
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->parameters.eccDetail.symmetric.keyBits.aes = p384 ? 256 : 128;
	p->parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.eccDetail.curveID = p384 ? TPM2_ECC_NIST_P384 : TPM2_ECC_NIST_P256;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	/* L-2 carries 32 zero bytes in x and y; H-3 an empty point */
	p->unique.ecc.x.size = p384 ? 0 : 32;
	p->unique.ecc.y.size = p384 ? 0 : 32;
}

void ek_template(enum ek_type t, TPMT_PUBLIC *tmpl)
{
	memset(tmpl, 0, sizeof(*tmpl));
	if (t == EK_RSA2048)
		template_rsa2048(tmpl);
	else
		template_ecc(tmpl, t == EK_ECC_P384);
}

#define AK_ATTRS (TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | \
		  TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH | \
		  TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT)

uint32_t ak_persistent_handle(void)
{
	return 0x81010002;
}

static void ak_template_rsa(TPMT_PUBLIC *p)
{
	TPMS_RSA_PARMS *r = &p->parameters.rsaDetail;

	p->type = TPM2_ALG_RSA;
	r->symmetric.algorithm = TPM2_ALG_NULL;
	r->scheme.scheme = TPM2_ALG_RSASSA;
	r->scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
	r->keyBits = 2048;
	r->exponent = 0;
	p->unique.rsa.size = 256; /* zeros */
}

static void ak_template_ecc(TPMT_PUBLIC *p, bool p384)
{
	TPMS_ECC_PARMS *e = &p->parameters.eccDetail;

	p->type = TPM2_ALG_ECC;
	e->symmetric.algorithm = TPM2_ALG_NULL;
	e->scheme.scheme = TPM2_ALG_ECDSA;
	e->scheme.details.ecdsa.hashAlg = p384 ? TPM2_ALG_SHA384 : TPM2_ALG_SHA256;
	e->curveID = p384 ? TPM2_ECC_NIST_P384 : TPM2_ECC_NIST_P256;
	e->kdf.scheme = TPM2_ALG_NULL;
	p->unique.ecc.x.size = p384 ? 48 : 32; /* zeros */
	p->unique.ecc.y.size = p->unique.ecc.x.size;
}

void ak_template(enum ek_type t, TPMT_PUBLIC *tmpl)
{
	memset(tmpl, 0, sizeof(*tmpl));
	tmpl->nameAlg = TPM2_ALG_SHA256;
	tmpl->objectAttributes = AK_ATTRS;
	if (t == EK_RSA2048)
		ak_template_rsa(tmpl);
	else
		ak_template_ecc(tmpl, t == EK_ECC_P384);
}

size_t tpm_build_create_primary(uint8_t *out, size_t cap, uint32_t hierarchy,
				const TPMT_PUBLIC *tmpl)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC pub = { .publicArea = *tmpl };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	size_t off = 0;

	if (tpm_marshal_header(out, cap, &off, TPM2_ST_SESSIONS, TPM2_CC_CreatePrimary) ||
	    Tss2_MU_UINT32_Marshal(hierarchy, out, cap, &off) ||
	    tpm_marshal_pw_auth(out, cap, &off) ||
	    Tss2_MU_TPM2B_SENSITIVE_CREATE_Marshal(&sens, out, cap, &off) ||
	    Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, out, cap, &off) ||
	    Tss2_MU_TPM2B_DATA_Marshal(&outside, out, cap, &off) ||
	    Tss2_MU_TPML_PCR_SELECTION_Marshal(&pcrs, out, cap, &off))
		return 0;
	return tpm_marshal_finish(out, cap, off);
}

size_t tpm_build_create_primary_ek(uint8_t *out, size_t cap, enum ek_type t)
{
	TPMT_PUBLIC tmpl;

	ek_template(t, &tmpl);
	return tpm_build_create_primary(out, cap, TPM2_RH_ENDORSEMENT, &tmpl);
}

/* The template's marshalled bytes with unique taken from key. 0 or -1. */
static int marshal_with_unique(const TPMT_PUBLIC *tmpl, const TPMT_PUBLIC *key, uint8_t *out,
			       size_t cap, size_t *len)
{
	TPMT_PUBLIC t = *tmpl;

	*len = 0;
	if (key->type != tmpl->type)
		return -1;
	t.unique = key->unique;
	return Tss2_MU_TPMT_PUBLIC_Marshal(&t, out, cap, len) ? -1 : 0;
}

bool tpm_public_of_template(const uint8_t *pub, size_t len, const TPMT_PUBLIC *tmpl)
{
	uint8_t want[sizeof(TPMT_PUBLIC)];
	TPMT_PUBLIC key = { 0 };
	size_t off = 0, wlen;

	if (Tss2_MU_TPMT_PUBLIC_Unmarshal(pub, len, &off, &key) || off != len ||
	    marshal_with_unique(tmpl, &key, want, sizeof(want), &wlen) < 0)
		return false;
	return wlen == len && memcmp(want, pub, len) == 0;
}

/* Copy the TPMT_PUBLIC of a TPM2B_PUBLIC at *off verbatim, after checking it unmarshals. */
static int take_public(const uint8_t *rsp, size_t len, size_t *off, uint8_t *pub, size_t cap,
		       size_t *publen)
{
	size_t start = *off;
	TPM2B_PUBLIC p = { 0 };

	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(rsp, len, off, &p))
		return -1;
	if (*off - start - 2 > cap)
		return -1;
	*publen = *off - start - 2;
	memcpy(pub, rsp + start + 2, *publen);
	return 0;
}

int tpm_parse_create_primary(const uint8_t *rsp, size_t len, uint32_t *handle, uint8_t *pub,
			     size_t cap, size_t *publen)
{
	uint32_t param_size;
	size_t off;

	if (tpm_unmarshal_response(rsp, len, &off, NULL) < 0 ||
	    Tss2_MU_UINT32_Unmarshal(rsp, len, &off, handle) ||
	    Tss2_MU_UINT32_Unmarshal(rsp, len, &off, &param_size))
		return -1;
	return take_public(rsp, len, &off, pub, cap, publen);
}

size_t tpm_build_evict_control(uint8_t *out, size_t cap, uint32_t object, uint32_t persistent)
{
	size_t off = 0;

	if (tpm_marshal_header(out, cap, &off, TPM2_ST_SESSIONS, TPM2_CC_EvictControl) ||
	    Tss2_MU_UINT32_Marshal(TPM2_RH_OWNER, out, cap, &off) ||
	    Tss2_MU_UINT32_Marshal(object, out, cap, &off) || tpm_marshal_pw_auth(out, cap, &off) ||
	    Tss2_MU_UINT32_Marshal(persistent, out, cap, &off))
		return 0;
	return tpm_marshal_finish(out, cap, off);
}

/* A command without sessions whose only parameter is one handle. */
static size_t build_handle_command(uint8_t *out, size_t cap, uint32_t cc, uint32_t handle)
{
	size_t off = 0;

	if (tpm_marshal_header(out, cap, &off, TPM2_ST_NO_SESSIONS, cc) ||
	    Tss2_MU_UINT32_Marshal(handle, out, cap, &off))
		return 0;
	return tpm_marshal_finish(out, cap, off);
}

size_t tpm_build_read_public(uint8_t *out, size_t cap, uint32_t handle)
{
	return build_handle_command(out, cap, TPM2_CC_ReadPublic, handle);
}

int tpm_parse_read_public(const uint8_t *rsp, size_t len, uint8_t *pub, size_t cap,
			  size_t *publen)
{
	size_t off;

	if (tpm_unmarshal_response(rsp, len, &off, NULL) < 0)
		return -1;
	return take_public(rsp, len, &off, pub, cap, publen);
}

size_t tpm_build_flush_context(uint8_t *out, size_t cap, uint32_t handle)
{
	return build_handle_command(out, cap, TPM2_CC_FlushContext, handle);
}
