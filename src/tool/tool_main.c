// SPDX-License-Identifier: MIT
/* vtpm-rtmr: read, replay, verify and export vtpm-rtmrd's event logs. */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "common/runtime_dir.h"
#include "common/safe_fs.h"
#include "common/log.h"
#include "tool/tool_attest.h"
#include "tool/tool_log_cmds.h"

static void usage(FILE *f)
{
	fputs("Usage: vtpm-rtmr [OPTIONS] log show [FILE...]\n"
	      "       vtpm-rtmr [OPTIONS] log show --format tcg2|ccel|cel-tlv FILE...\n"
	      "       vtpm-rtmr [OPTIONS] log replay [--format text|json] [FILE...]\n"
	      "       vtpm-rtmr [OPTIONS] log verify\n"
	      "       vtpm-rtmr [OPTIONS] log export --format cel-json|tcg2|ccel|cel-tlv\n"
	      "                 [--standalone] [--out FILE] [FILE...]\n"
	      "       vtpm-rtmr [OPTIONS] attest --nonce HEX|--nonce-file FILE [--out FILE]\n"
	      "                 [--tpm ADDRESS] [--ccel FILE]\n"
	      "                 [--quote-provider auto|configfs-tsm|sim] [--configfs-dir DIR]\n"
	      "       vtpm-rtmr verify --evidence FILE --nonce HEX|--nonce-file FILE\n"
	      "                 [--trust-anchor PEM] [--require-pcrs LIST|none] [--allow-sync]\n"
	      "                 [--expect-ek FILE]\n"
	      "                 [--tpm-quote MSG --tpm-signature SIG --ak-public FILE]\n"
	      "\n"
	      "Without FILEs the logs are the runtime directory's rtmr<N>.log.\n"
	      "  show     every record: number, RTMR, digest H(line), the record; with\n"
	      "           --format: the events of binary logs (a firmware CCEL, our exports)\n"
	      "  replay   the register value each log implies and the PCR values per bank\n"
	      "           that its vtpm records imply\n"
	      "  verify   replay every log and compare with the live registers; exit 1 on a\n"
	      "           mismatch, naming the record after which log and register part\n"
	      "  export   the logs as one CEL-JSON document, a TCG2 log of the PCRs (tcg2), a\n"
	      "           continuation of the firmware's CCEL (ccel; --standalone: with a\n"
	      "           header of its own) or a CEL-TLV log (cel-tlv)\n"
	      "  attest   evidence, one JSON document: a TPM quote with the daemon's AK over\n"
	      "           every mapped PCR (the nonce as qualifying data), a TEE quote with\n"
	      "           REPORTDATA = SHA-512(nonce || TPMT_PUBLIC(EK)), the EK, the AK, the\n"
	      "           firmware's CC event log and every log\n"
	      "  verify   check evidence: TEE quote and chain, EK binding, every RTMR explained\n"
	      "           by its log, the logs' EK and AK, the TPM quote, every PCR's state;\n"
	      "           prints a JSON verdict; exit 0 only if every check passes\n"
	      "\n"
	      "Options:\n"
	      "  --runtime-dir DIR     where the logs are (default /run/vtpm-rtmr)\n"
	      "  --rtmr-backend auto|tdx-sysfs|tdx-ioctl|sim   registers for verify (default auto)\n"
	      "  --rtmr-dir DIR        tdx-sysfs directory\n"
	      "  --format FMT          replay: text (default) or json; export: cel-json, tcg2,\n"
	      "                        ccel or cel-tlv; show: tcg2, ccel or cel-tlv input\n"
	      "  --standalone          export --format ccel: start with a Spec ID header\n"
	      "  --out FILE            export, attest: write to FILE instead of stdout\n"
	      "  --nonce HEX, --nonce-file FILE   the verifier's nonce (1..1024 bytes)\n"
	      "  --quote-provider auto|configfs-tsm|sim   (default: the daemon's, from\n"
	      "                        <runtime-dir>/quote-provider; else auto = configfs-tsm)\n"
	      "  --configfs-dir DIR    configfs-tsm reports (default /sys/kernel/config/tsm/report)\n"
	      "  --tpm ADDRESS         attest: the TPM (device:/dev/tpmrmN, swtpm:host=H,port=P,\n"
	      "                        swtpm:path=P; default: the daemon's, from <runtime-dir>)\n"
	      "  --ccel FILE           attest: the firmware's CC event log (default\n"
	      "                        /sys/firmware/acpi/tables/data/CCEL when present)\n"
	      "  --evidence FILE       verify: the evidence document\n"
	      "  --trust-anchor PEM    verify: root of the PCK chain (default: Intel SGX Root CA)\n"
	      "  --expect-ek FILE      verify: the EK must be this key (tpm2_createek -u output,\n"
	      "                        TPM2B_PUBLIC or PEM)\n"
	      "  --require-pcrs LIST   verify: PCRs that must be verified, e.g. 0,1,7,8-15, or\n"
	      "                        none (default: every PCR the logs map)\n"
	      "  --allow-sync          verify: accept SYNC records for the RTMR replay (no PCR\n"
	      "                        depending on records before one is verified)\n"
	      "  --tpm-quote MSG --tpm-signature SIG --ak-public FILE\n"
	      "                        verify: a tpm2_quote made with another key: fails (it\n"
	      "                        needs a proof binding that key to the EK)\n"
	      "  -h, --help\n"
	      "\n"
	      "Exit status: 0 success, 1 verification failed, 2 error.\n",
	      f);
}

enum {
	O_RUNTIME = 1, O_BACKEND, O_RTMR_DIR, O_FORMAT, O_OUT, O_HELP, O_NONCE, O_NONCE_FILE,
	O_QUOTE_PROVIDER, O_CONFIGFS_DIR, O_EVIDENCE, O_TRUST_ANCHOR, O_EXPECT_EK, O_TPM_QUOTE,
	O_TPM_SIGNATURE, O_AK_PUBLIC, O_TPM, O_CCEL, O_REQUIRE_PCRS, O_ALLOW_SYNC, O_STANDALONE,
};

static const struct option opts[] = {
	{ "runtime-dir", required_argument, NULL, O_RUNTIME },
	{ "rtmr-backend", required_argument, NULL, O_BACKEND },
	{ "rtmr-dir", required_argument, NULL, O_RTMR_DIR },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "out", required_argument, NULL, O_OUT },
	{ "help", no_argument, NULL, O_HELP },
	{ "nonce", required_argument, NULL, O_NONCE },
	{ "nonce-file", required_argument, NULL, O_NONCE_FILE },
	{ "quote-provider", required_argument, NULL, O_QUOTE_PROVIDER },
	{ "configfs-dir", required_argument, NULL, O_CONFIGFS_DIR },
	{ "evidence", required_argument, NULL, O_EVIDENCE },
	{ "trust-anchor", required_argument, NULL, O_TRUST_ANCHOR },
	{ "expect-ek", required_argument, NULL, O_EXPECT_EK },
	{ "tpm-quote", required_argument, NULL, O_TPM_QUOTE },
	{ "tpm-signature", required_argument, NULL, O_TPM_SIGNATURE },
	{ "ak-public", required_argument, NULL, O_AK_PUBLIC },
	{ "tpm", required_argument, NULL, O_TPM },
	{ "ccel", required_argument, NULL, O_CCEL },
	{ "require-pcrs", required_argument, NULL, O_REQUIRE_PCRS },
	{ "allow-sync", no_argument, NULL, O_ALLOW_SYNC },
	{ "standalone", no_argument, NULL, O_STANDALONE },
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
		case O_NONCE:
			o->nonce_hex = optarg;
			break;
		case O_NONCE_FILE:
			o->nonce_file = optarg;
			break;
		case O_QUOTE_PROVIDER:
			o->quote_provider = optarg;
			break;
		case O_CONFIGFS_DIR:
			o->configfs_dir = optarg;
			break;
		case O_EVIDENCE:
			o->evidence = optarg;
			break;
		case O_TRUST_ANCHOR:
			o->trust_anchor = optarg;
			break;
		case O_EXPECT_EK:
			o->expect_ek = optarg;
			break;
		case O_TPM_QUOTE:
			o->tpm_quote = optarg;
			break;
		case O_TPM_SIGNATURE:
			o->tpm_signature = optarg;
			break;
		case O_AK_PUBLIC:
			o->ak_public = optarg;
			break;
		case O_TPM:
			o->tpm = optarg;
			break;
		case O_CCEL:
			o->ccel = optarg;
			break;
		case O_REQUIRE_PCRS:
			o->require_pcrs = optarg;
			break;
		case O_ALLOW_SYNC:
			o->allow_sync = true;
			break;
		case O_STANDALONE:
			o->standalone = true;
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

/* The runtime directory may belong to the daemon's system user (--runas): trusted as root is. */
static void trust_daemon_user(void)
{
	struct passwd *pw = getpwnam(DAEMON_USER_DEFAULT);

	if (pw)
		safe_fs_trust_user(pw->pw_uid);
}

int main(int argc, char **argv)
{
	struct tool_options o = { .runtime_dir = RUNTIME_DIR_DEFAULT, .backend = RTMR_BACKEND_AUTO };
	char **rest;
	int r, nrest;

	log_set_ident("vtpm-rtmr");
	log_set_level(LOG_LVL_ERROR);
	trust_daemon_user();
	r = parse(argc, argv, &o);
	if (r)
		return r > 0 ? 0 : 2;
	rest = argv + optind;
	nrest = argc - optind;
	if (nrest == 1 && strcmp(rest[0], "attest") == 0)
		return tool_attest(&o);
	if (nrest == 1 && strcmp(rest[0], "verify") == 0)
		return tool_verify(&o);
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
