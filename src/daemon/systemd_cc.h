/* SPDX-License-Identifier: MIT */
/*
 * Does systemd extend the RTMRs itself? Then mirroring the PCRs it measures would put every
 * such event into the registers twice, and its direct extends would interleave with ours.
 *
 * Newer systemd (src/shared/runtime-measure.c, tdx-rtmr.c) extends every PCR measurement also
 * into the TDX RTMRs with the UEFI CC mapping (PCR 1,7 -> RTMR0, 2-6 -> RTMR1, 8-15 -> RTMR2;
 * NvPCRs -> RTMR2) and logs it to /run/log/systemd/cc-measure.log: RFC 7464 JSON-SEQ records
 * {"rtmr":N,"mapped_pcr":P,"digests":[{"hashAlg":..,"digest":..}],"content_type":"systemd",..}.
 * Its userspace measures only on systems booted through systemd-stub, which on a machine
 * without a firmware TPM measures into the CC registers (EFI_CC_MEASUREMENT_PROTOCOL, systemd
 * 256+) and leaves the StubPcrKernelImage EFI variable.
 */
#ifndef VTPM_RTMR_SYSTEMD_CC_H
#define VTPM_RTMR_SYSTEMD_CC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/string_table.h"
#include "rtmr_map/rtmr_map.h"

#define SYSTEMD_CC_LOG "/run/log/systemd/cc-measure.log"
#define SYSTEMD_STUB_VAR                                                                           \
	"/sys/firmware/efi/efivars/StubPcrKernelImage-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
#define ACPI_TPM2_TABLE "/sys/firmware/acpi/tables/TPM2"

/* The PCRs systemd maps to RTMRs (1-15), less PCR 10, which stays ours for IMA. */
#define SYSTEMD_CC_PCRS (0xfffeu & ~(1u << 10))
/* The register systemd leaves alone (RTMR0-2 are its): where the default map's PCRs that are
 * not systemd's (0, and 10 for IMA) go when systemd measures. */
#define SYSTEMD_CC_OWN_RTMR 3

enum systemd_cc_mode { SYSTEMD_CC_AUTO, SYSTEMD_CC_ON, SYSTEMD_CC_OFF };
DECLARE_STRING_TABLE_LOOKUP(systemd_cc_mode, enum systemd_cc_mode);

struct systemd_cc_facts {
	bool cc_log;            /* SYSTEMD_CC_LOG exists */
	int cc_records;         /* its systemd RTMR records; -1: not such a log */
	bool stub_measured;     /* SYSTEMD_STUB_VAR exists */
	bool firmware_tpm;      /* ACPI_TPM2_TABLE exists */
	bool tdx_backend;       /* the registers are the TDX ones (not the sim backend's) */
};

/* Count the systemd RTMR records of a cc-measure.log's text; -1 when it is not one. */
int systemd_cc_count_records(const char *text, size_t len);

/* Whether systemd extends the RTMRs itself; why gets the reason either way. */
bool systemd_cc_decide(const struct systemd_cc_facts *f, char *why, size_t whylen);

/* The facts of this machine; tdx_backend from the caller. */
void systemd_cc_gather(bool tdx_backend, struct systemd_cc_facts *f);

/*
 * The map when systemd measures: systemd's PCRs left out; with the default map (custom:
 * false) the others (PCR 0, and 10 for IMA) move to RTMR SYSTEMD_CC_OWN_RTMR so that no
 * register is shared with systemd's direct extends.
 */
void systemd_cc_map(struct rtmr_map *m, bool custom);
/* An RTMR systemd extends too that the map still uses, or -1. */
int systemd_cc_shared_rtmr(const struct rtmr_map *m);

#endif
