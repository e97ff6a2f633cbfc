/* SPDX-License-Identifier: MIT */
/* The IMA bridge: IMA chose its TPM at boot and runs in TPM-bypass mode; the bridge follows
 * binary_runtime_measurements and has each entry's template digest extended into the entry's
 * PCR, bank by bank, as IMA would have. It is the service's pre-command hook: the service asks
 * it for the next extend and applies it through the mirror; a thread of the bridge asks the
 * service to do so every poll interval. */
#ifndef VTPM_IMA_BRIDGE_H
#define VTPM_IMA_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct service;
struct ima_bridge;

#define IMA_DEFAULT_DIR "/sys/kernel/security/ima"
#define IMA_DEFAULT_LIST IMA_DEFAULT_DIR "/binary_runtime_measurements"

struct pcr_history;

struct ima_bridge_config {
	const char *list_path;     /* NULL: IMA_DEFAULT_LIST */
	unsigned poll_ms;          /* background catch-up interval */
	/* The extends a restore put back into the PCRs (daemon/pcr_history.h), or NULL: the
	 * entries found there in order are not applied again. The bridge takes it (frees it). */
	struct pcr_history *restored;
};

/* auto: IMA is there and its boot_aggregate is all zero (it found no TPM at boot). */
bool ima_bridge_wanted(const char *list_path);

/* Open the list, become the service's hook, apply what the list holds (after the entries the
 * restored PCRs already hold), and start the follower thread. The service must outlive the
 * bridge. */
int ima_bridge_start(struct ima_bridge **out, const struct ima_bridge_config *cfg,
		     struct service *svc, char *err, size_t errlen);
/* Stop the thread and leave the service. NULL is a no-op. */
void ima_bridge_stop(struct ima_bridge *b);

/* True if a command with this code must see the list caught up first: those that read, quote
 * or bind a policy to PCRs. */
bool ima_bridge_needs_catch_up(uint32_t command_code);

#endif
