/* SPDX-License-Identifier: MIT */
/* The TPM service: one entry point for every command from any transport. Serializes access
 * to libtpms, answers the vtpm_proxy locality command, runs the PCR mirror around commands
 * that change PCRs, and holds the fail-closed failure mode. */
#ifndef VTPM_SERVICE_H
#define VTPM_SERVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mirror;
struct ima_bridge;

struct service {
	pthread_mutex_t lock;
	bool failed;             /* fail-closed: every command answered TPM2_RC_FAILURE */
	char fail_reason[512];
	struct mirror *mirror;   /* NULL: nothing is mirrored */
	struct ima_bridge *bridge; /* NULL: no IMA bridge */
	unsigned long commands;  /* commands answered, for status */
};

#define SERVICE_ALLOW_SET_LOCALITY 0x1 /* vtpm_proxy: the kernel's TPM2_CC_SET_LOCALITY */

void service_init(struct service *s, struct mirror *mirror);
void service_destroy(struct service *s);

/* Answer one command frame of len bytes (already read whole by the transport). Always
 * produces a response in rsp (cap >= TPM_MAX_COMMAND_SIZE) and returns its size. */
size_t service_command(struct service *s, const uint8_t *cmd, size_t len, uint8_t *rsp,
		       size_t cap, unsigned flags);

/* With the lock held: run one command through libtpms and the mirror (internal callers
 * such as the IMA bridge). Returns the response size. */
size_t service_execute_locked(struct service *s, const uint8_t *cmd, size_t len, uint8_t *rsp,
			      size_t cap);
bool service_failed_locked(struct service *s);

/* Enter failure mode (caller holds no lock). */
void service_fail(struct service *s, const char *reason);
bool service_failed(struct service *s);

void service_lock(struct service *s);
void service_unlock(struct service *s);

#endif
