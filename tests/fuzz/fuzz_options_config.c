// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: src/daemon/options.h, options_parse_config() on a NUL-terminated copy of the
 * input, once with nothing set on the command line and once with every option set there
 * (then no value is applied, so whatever parsed before must parse again). Accepted settings
 * must be in range; options_free() releases everything (LeakSanitizer checks).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "daemon/options.h"

static void check_opts(const struct daemon_options *o)
{
	const char *const strs[] = { o->unix_path, o->bind_addr, o->state_dir, o->runtime_dir,
				     o->config,	   o->map,	 o->rtmr_dir,  o->vtpmx };

	FUZZ_CHECK(o->transport == TRANSPORT_AUTO || o->transport == TRANSPORT_VTPM_PROXY ||
		   o->transport == TRANSPORT_SOCKET);
	FUZZ_CHECK(o->port >= 1 && o->port <= 65534);
	FUZZ_CHECK(o->log_level >= LOG_LVL_ERROR && o->log_level <= LOG_LVL_DEBUG);
	FUZZ_CHECK(o->config == NULL); /* "config" is not a config-file key */
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		FUZZ_CHECK(!strs[i] || strs[i][0] != '\0');
	FUZZ_CHECK(transport_kind_name(o->transport) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct daemon_options o;
	char *text = malloc(size + 1);
	char err[256], tiny[5];
	int r;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';

	options_init(&o);
	r = options_parse_config(&o, text, "fuzz.conf", err, sizeof(err));
	if (r == 0)
		check_opts(&o);
	else
		fuzz_check_err(err, sizeof(err));
	options_free(&o);

	options_init(&o);
	o.set_on_cmdline = ~0UL;
	if (options_parse_config(&o, text, "fuzz.conf", tiny, sizeof(tiny)) < 0)
		fuzz_check_err(tiny, sizeof(tiny));
	else
		check_opts(&o);
	if (r == 0)
		FUZZ_CHECK(options_parse_config(&o, text, "fuzz.conf", err, sizeof(err)) == 0);
	options_free(&o);

	free(text);
	return 0;
}
