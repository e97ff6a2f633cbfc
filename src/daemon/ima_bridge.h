/* SPDX-License-Identifier: MIT */
/* The IMA bridge: IMA chose its TPM at boot and runs in TPM-bypass mode; the bridge follows
 * binary_runtime_measurements and extends each entry's template digest into the entry's PCR,
 * bank by bank, as IMA would have, through the service (so every extend is mirrored). */
#ifndef VTPM_IMA_BRIDGE_H
#define VTPM_IMA_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct service;
struct ima_bridge;

#define IMA_DEFAULT_DIR "/sys/kernel/security/ima"
#define IMA_DEFAULT_LIST IMA_DEFAULT_DIR "/binary_runtime_measurements"

struct ima_bridge_config {
	const char *list_path;     /* NULL: IMA_DEFAULT_LIST */
	unsigned poll_ms;          /* background catch-up interval */
	const uint16_t *banks;     /* active PCR banks (TPM_ALG_IDs) */
	size_t nbanks;
};

/* auto: IMA is there and its boot_aggregate is all zero (it found no TPM at boot). */
bool ima_bridge_wanted(const char *list_path);

/* Open the list and start the follower thread. The service must outlive the bridge. */
int ima_bridge_start(struct ima_bridge **out, const struct ima_bridge_config *cfg,
		     struct service *svc, char *err, size_t errlen);
void ima_bridge_stop(struct ima_bridge *b);

/* With the service lock held: apply every entry the list holds now (the service calls this
 * before commands that read, quote or bind a policy to PCRs). */
void ima_bridge_catch_up_locked(struct ima_bridge *b);
/* With the lock held: PCRs went back to their initial values (Startup(CLEAR)): apply the
 * whole list again from its first entry. */
void ima_bridge_restart_locked(struct ima_bridge *b);
/* Entries applied to the running TPM instance. */
unsigned long ima_bridge_applied(struct ima_bridge *b);
/* True if a command with this code must see the list caught up first. */
bool ima_bridge_needs_catch_up(uint32_t command_code);

#endif
