/* SPDX-License-Identifier: MIT */
/*
 * The runtime directory's contract (DESIGN.md, "Runtime directory"): its default place and the
 * names of the files in it, for the daemon that writes them and the tool that reads them.
 * Names are relative to the runtime directory.
 *
 *	device                  "/dev/tpmN /dev/tpmrmN" of the running instance (vtpm_proxy)
 *	tcti                    "swtpm:host=H,port=P" or "swtpm:path=P" (the socket transport)
 *	rtmr<N>.log             the event log of RTMR N
 *	ek.tpmt                 TPMT_PUBLIC of the EK bound in attestation
 *	ak.tpmt                 TPMT_PUBLIC of the daemon's attestation key
 *	quote-provider          the daemon's --quote-provider, the default of `vtpm-rtmr attest`
 *	sim/rtmr<N>:sha384      the sim backend's registers; sim/root-ca.pem the sim quote CA
 *	state/                  the default (ephemeral) TPM state directory
 */
#ifndef VTPM_RUNTIME_DIR_H
#define VTPM_RUNTIME_DIR_H

#include <stdio.h>

#define RUNTIME_DIR_DEFAULT "/run/vtpm-rtmr"
/* The system user the unit runs the daemon as (--runas; systemd/sysusers.d/vtpm-rtmr.conf):
 * `vtpm-rtmr` trusts the files it owns as it trusts root's. */
#define DAEMON_USER_DEFAULT "vtpm-rtmr"

#define RUNTIME_DEVICE "device"
#define RUNTIME_TCTI "tcti"
#define RUNTIME_EK_PUBLIC "ek.tpmt"
#define RUNTIME_AK_PUBLIC "ak.tpmt"
#define RUNTIME_QUOTE_PROVIDER "quote-provider"
#define RUNTIME_STATE_DIR "state"
#define RUNTIME_SIM_DIR "sim"
#define RUNTIME_SIM_ROOT_CA "root-ca.pem" /* in RUNTIME_SIM_DIR */
#define RUNTIME_SIM_HASH "sha384"

/* Room for any of the names below. */
#define RUNTIME_NAME_MAX 32

/* "rtmr<N>.log" into buf; buf must hold RUNTIME_NAME_MAX bytes. */
static inline const char *runtime_log_name(unsigned rtmr, char buf[RUNTIME_NAME_MAX])
{
	snprintf(buf, RUNTIME_NAME_MAX, "rtmr%u.log", rtmr);
	return buf;
}

/* "rtmr<N>:sha384", a sim register's name in RUNTIME_SIM_DIR. */
static inline const char *runtime_sim_reg_name(unsigned rtmr, char buf[RUNTIME_NAME_MAX])
{
	snprintf(buf, RUNTIME_NAME_MAX, "rtmr%u:" RUNTIME_SIM_HASH, rtmr);
	return buf;
}

/* "<dir>/<name>", malloc'd; NULL when out of memory. */
static inline char *runtime_path(const char *dir, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

#endif
