/* SPDX-License-Identifier: MIT */
/* A real libtpms TPM in a temporary state directory, and a service over it without a mirror,
 * for unit tests of the code around it. */
#ifndef VTPM_TEST_TPM_FIXTURE_H
#define VTPM_TEST_TPM_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/engine.h"
#include "daemon/nvstore.h"
#include "daemon/service.h"

struct tpm_fixture {
	char dir[64];
	struct nvstore *store;
	struct service *svc;
};

static inline int tpm_fixture_up(struct tpm_fixture *f)
{
	char err[256];
	bool manufactured;

	strcpy(f->dir, "/tmp/vtpm-unit-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	if (service_new(NULL, &f->svc) < 0 || nvstore_open(f->dir, &f->store, err, sizeof(err)) < 0 ||
	    engine_start(f->store, &manufactured, err, sizeof(err)) < 0) {
		fprintf(stderr, "fixture: %s\n", err);
		return -1;
	}
	return 0;
}

static inline void tpm_fixture_down(struct tpm_fixture *f)
{
	char cmd[128];

	engine_stop();
	service_free(f->svc);
	nvstore_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fixture: could not remove %s\n", f->dir);
}

#endif
