// SPDX-License-Identifier: MIT
/* Capture helper for test_pcr_cmds (not built by the Makefile; see capture.sh):
 * TPM2_PCR_Extend of PCR 16 authorised by an HMAC session, which no tpm2-tools 5.4 command
 * can send. Usage: esys_pcr_extend <64 hex digits of a sha256 digest>, TCTI from
 * TPM2TOOLS_TCTI.
 *   gcc esys_pcr_extend.c -o esys_pcr_extend $(pkg-config --cflags --libs tss2-esys tss2-tctildr)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

int main(int argc, char **argv)
{
	TPMT_SYM_DEF sym = {
		.algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB
	};
	TPML_DIGEST_VALUES d = { .count = 1 };
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *ctx;
	ESYS_TR session;
	TSS2_RC rc;

	if (argc != 2 || strlen(argv[1]) != 64)
		return 2;
	d.digests[0].hashAlg = TPM2_ALG_SHA256;
	for (int i = 0; i < 32; i++)
		if (sscanf(argv[1] + 2 * i, "%2hhx", &d.digests[0].digest.sha256[i]) != 1)
			return 2;
	if (Tss2_TctiLdr_Initialize(getenv("TPM2TOOLS_TCTI"), &tcti) ||
	    Esys_Initialize(&ctx, tcti, NULL))
		return 1;
	if (Esys_StartAuthSession(ctx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				  ESYS_TR_NONE, NULL, TPM2_SE_HMAC, &sym, TPM2_ALG_SHA256,
				  &session))
		return 1;
	rc = Esys_PCR_Extend(ctx, ESYS_TR_PCR16, session, ESYS_TR_NONE, ESYS_TR_NONE, &d);
	Esys_FlushContext(ctx, session);
	Esys_Finalize(&ctx);
	Tss2_TctiLdr_Finalize(&tcti);
	printf("Esys_PCR_Extend: 0x%x\n", rc);
	return rc != 0;
}
