// SPDX-License-Identifier: MIT
/* vtpm-rtmr: read, replay, verify and export vtpm-rtmrd's event logs. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "tool_log_cmds.h"

static void usage(FILE *f)
{
	fputs("Usage: vtpm-rtmr [OPTIONS] log show [FILE...]\n"
	      "       vtpm-rtmr [OPTIONS] log replay [--format text|json] [FILE...]\n"
	      "       vtpm-rtmr [OPTIONS] log verify\n"
	      "       vtpm-rtmr [OPTIONS] log export --format cel-json [--out FILE] [FILE...]\n"
	      "\n"
	      "Without FILEs the logs are the runtime directory's rtmr<N>.log.\n"
	      "  show     every record: number, RTMR, digest H(line), the record\n"
	      "  replay   the register value each log implies and the PCR values per bank\n"
	      "           that its vtpm records imply\n"
	      "  verify   replay every log and compare with the live registers; exit 1 on a\n"
	      "           mismatch, naming the record after which log and register part\n"
	      "  export   the logs as one CEL-JSON document\n"
	      "\n"
	      "Options:\n"
	      "  --runtime-dir DIR     where the logs are (default /run/vtpm-rtmr)\n"
	      "  --rtmr-backend auto|tdx-sysfs|tdx-ioctl|sim   registers for verify (default auto)\n"
	      "  --rtmr-dir DIR        tdx-sysfs directory\n"
	      "  --format FMT          replay: text (default) or json; export: cel-json\n"
	      "  --out FILE            export: write to FILE instead of stdout\n"
	      "  -h, --help\n"
	      "\n"
	      "Exit status: 0 success, 1 verification failed, 2 error.\n",
	      f);
}

enum { O_RUNTIME = 1, O_BACKEND, O_RTMR_DIR, O_FORMAT, O_OUT, O_HELP };

static const struct option opts[] = {
	{ "runtime-dir", required_argument, NULL, O_RUNTIME },
	{ "rtmr-backend", required_argument, NULL, O_BACKEND },
	{ "rtmr-dir", required_argument, NULL, O_RTMR_DIR },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "out", required_argument, NULL, O_OUT },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

static int parse(int argc, char **argv, struct tool_options *o)
{
	int c;

	/* "+" would stop at the first non-option; options may follow the subcommand too */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_RUNTIME:
			o->runtime_dir = optarg;
			break;
		case O_BACKEND:
			if (rtmr_backend_kind_parse(optarg, &o->backend) < 0) {
				fprintf(stderr, "vtpm-rtmr: invalid --rtmr-backend '%s'\n", optarg);
				return -1;
			}
			break;
		case O_RTMR_DIR:
			o->rtmr_dir = optarg;
			break;
		case O_FORMAT:
			o->format = optarg;
			break;
		case O_OUT:
			o->out = optarg;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			return 1;
		default:
			fprintf(stderr, "vtpm-rtmr: unknown option (see --help)\n");
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tool_options o = { .runtime_dir = "/run/vtpm-rtmr", .backend = RTMR_BACKEND_AUTO };
	char **rest;
	int r, nrest;

	log_set_ident("vtpm-rtmr");
	log_set_level(LOG_LVL_ERROR);
	r = parse(argc, argv, &o);
	if (r)
		return r > 0 ? 0 : 2;
	rest = argv + optind;
	nrest = argc - optind;
	if (nrest < 2 || strcmp(rest[0], "log") != 0) {
		usage(stderr);
		return 2;
	}
	if (strcmp(rest[1], "show") == 0)
		return tool_log_show(&o, rest + 2, nrest - 2);
	if (strcmp(rest[1], "replay") == 0)
		return tool_log_replay(&o, rest + 2, nrest - 2);
	if (strcmp(rest[1], "verify") == 0 && nrest == 2)
		return tool_log_verify(&o);
	if (strcmp(rest[1], "export") == 0)
		return tool_log_export(&o, rest + 2, nrest - 2);
	usage(stderr);
	return 2;
}
