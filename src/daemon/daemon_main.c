// SPDX-License-Identifier: MIT
/* vtpm-rtmrd: a TPM 2.0 for confidential VMs whose PCR changes are mirrored into RTMRs. */
#include <stdio.h>

#include "daemon/daemon.h"
#include "common/log.h"
#include "daemon/options.h"

#ifndef VERSION
#define VERSION "0.1.0"
#endif

int main(int argc, char **argv)
{
	struct daemon_options opts;
	char err[1024];
	int r;

	log_set_ident("vtpm-rtmrd");
	options_init(&opts);
	if (options_load(&opts, argc, argv, err, sizeof(err)) < 0) {
		log_error("%s", err);
		options_free(&opts);
		return EXIT_USAGE;
	}
	if (opts.help) {
		options_usage(stdout);
		options_free(&opts);
		return 0;
	}
	if (opts.version) {
		printf("vtpm-rtmrd %s\n", VERSION);
		options_free(&opts);
		return 0;
	}
	log_set_level(opts.log_level);
	r = daemon_run(&opts);
	options_free(&opts);
	return r;
}
