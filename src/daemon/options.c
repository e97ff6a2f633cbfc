// SPDX-License-Identifier: MIT
#include "daemon/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "attest/quote_provider.h"
#include "common/string_table.h"
#include "common/util.h"

enum opt_id {
	OPT_TRANSPORT,
	OPT_PORT,
	OPT_UNIX,
	OPT_BIND,
	OPT_STATE_DIR,
	OPT_RUNTIME_DIR,
	OPT_CONFIG,
	OPT_MAP,
	OPT_RTMR_BACKEND,
	OPT_RTMR_DIR,
	OPT_CCEL,
	OPT_VTPMX,
	OPT_EK_TYPE,
	OPT_QUOTE_PROVIDER,
	OPT_IMA_BRIDGE,
	OPT_IMA_LIST,
	OPT_IMA_POLL_MS,
	OPT_CONN_TIMEOUT,
	OPT_COMMAND_TIMEOUT,
	OPT_SYSTEMD_CC,
	OPT_RUNAS,
	OPT_SECCOMP,
	OPT_LOG_LEVEL,
	OPT_HELP,
	OPT_VERSION,
	OPT_COUNT
};

static const struct option long_opts[] = {
	{ "transport", required_argument, NULL, OPT_TRANSPORT },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "unix", required_argument, NULL, OPT_UNIX },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "runtime-dir", required_argument, NULL, OPT_RUNTIME_DIR },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "rtmr-backend", required_argument, NULL, OPT_RTMR_BACKEND },
	{ "rtmr-dir", required_argument, NULL, OPT_RTMR_DIR },
	{ "ccel", required_argument, NULL, OPT_CCEL },
	{ "vtpmx", required_argument, NULL, OPT_VTPMX },
	{ "ek-type", required_argument, NULL, OPT_EK_TYPE },
	{ "quote-provider", required_argument, NULL, OPT_QUOTE_PROVIDER },
	{ "ima-bridge", required_argument, NULL, OPT_IMA_BRIDGE },
	{ "ima-list", required_argument, NULL, OPT_IMA_LIST },
	{ "ima-poll-ms", required_argument, NULL, OPT_IMA_POLL_MS },
	{ "conn-timeout", required_argument, NULL, OPT_CONN_TIMEOUT },
	{ "command-timeout", required_argument, NULL, OPT_COMMAND_TIMEOUT },
	{ "systemd-cc", required_argument, NULL, OPT_SYSTEMD_CC },
	{ "runas", required_argument, NULL, OPT_RUNAS },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static const char *const transport_kind_table[] = {
	[TRANSPORT_AUTO] = "auto",
	[TRANSPORT_VTPM_PROXY] = "vtpm-proxy",
	[TRANSPORT_SOCKET] = "socket",
};

DEFINE_STRING_TABLE_LOOKUP(transport_kind, enum transport_kind)

static const char *const ima_bridge_mode_table[] = {
	[IMA_BRIDGE_AUTO] = "auto",
	[IMA_BRIDGE_ON] = "on",
	[IMA_BRIDGE_OFF] = "off",
};

DEFINE_STRING_TABLE_LOOKUP(ima_bridge_mode, enum ima_bridge_mode)

static const char *const seccomp_mode_table[] = {
	[SECCOMP_MODE_OFF] = "off",
	[SECCOMP_MODE_LOG] = "log",
	[SECCOMP_MODE_KILL] = "kill",
};

DEFINE_STRING_TABLE_LOOKUP(seccomp_mode, enum seccomp_mode)

void options_init(struct daemon_options *o)
{
	memset(o, 0, sizeof(*o));
	o->transport = TRANSPORT_AUTO;
	o->port = DEFAULT_PORT;
	o->rtmr_backend = RTMR_BACKEND_AUTO;
	o->log_level = LOG_LVL_INFO;
	o->ek_type = EK_RSA2048;
	o->ima_bridge = IMA_BRIDGE_AUTO;
	o->ima_poll_ms = 1000;
	o->conn_timeout_ms = 5000;
	o->command_timeout_ms = 30000;
	o->seccomp = SECCOMP_MODE_KILL;
}

void options_free(struct daemon_options *o)
{
	free(o->unix_path);
	free(o->bind_addr);
	free(o->state_dir);
	free(o->runtime_dir);
	free(o->config);
	free(o->map);
	free(o->rtmr_dir);
	free(o->ccel);
	free(o->vtpmx);
	free(o->runas);
	free(o->ima_list);
	free(o->quote_provider);
	memset(o, 0, sizeof(*o));
}

static int set_string(char **dst, const char *val)
{
	char *copy = strdup(val);

	if (!copy)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

static int set_path(char **dst, const char *val, const char *what, char *err, size_t errlen)
{
	if (!*val)
		return set_error(err, errlen, "%s must not be empty", what);
	return set_string(dst, val);
}

/* An enum option: its table's parse function, and the names for the error message. */
#define APPLY_ENUM(prefix, what, dst)                                                              \
	do {                                                                                       \
		char names_[96];                                                                   \
		if (prefix##_parse(val, dst) == 0)                                                 \
			return 0;                                                                  \
		return set_error(err, errlen, "invalid %s '%s' (%s)", what, val,                   \
				 prefix##_names(names_, sizeof(names_)));                          \
	} while (0)

/* The range of a numeric option; seconds options are stored in milliseconds. */
static void number_range(int id, unsigned long *min, unsigned long *max, unsigned *scale)
{
	*scale = 1;
	switch (id) {
	case OPT_PORT:
		*min = 1, *max = 65534;
		return;
	case OPT_CONN_TIMEOUT:
	case OPT_COMMAND_TIMEOUT:
		*min = 1, *max = 3600, *scale = 1000;
		return;
	default:
		*min = 10, *max = 3600000;
	}
}

static int apply_number(int id, const char *val, unsigned *dst, char *err, size_t errlen)
{
	unsigned long min, max, v;
	unsigned scale;

	number_range(id, &min, &max, &scale);
	if (parse_uint(val, min, max, &v) < 0)
		return set_error(err, errlen, "invalid %s '%s' (%lu..%lu%s)", long_opts[id].name,
				 val, min, max, id == OPT_PORT ? "; control uses port+1" : "");
	*dst = (unsigned)v * scale;
	return 0;
}

static int apply_quote_provider(struct daemon_options *o, const char *val, char *err,
				size_t errlen)
{
	enum quote_provider_kind k;
	char names[64];

	if (quote_provider_kind_parse(val, &k) < 0)
		return set_error(err, errlen, "invalid quote-provider '%s' (%s)", val,
				 quote_provider_kind_names(names, sizeof(names)));
	return set_string(&o->quote_provider, val);
}

/* Apply one option value; err gets a message without location. */
static int apply(struct daemon_options *o, int id, const char *val, char *err, size_t errlen)
{
	switch (id) {
	case OPT_TRANSPORT:
		APPLY_ENUM(transport_kind, "transport", &o->transport);
	case OPT_RTMR_BACKEND:
		APPLY_ENUM(rtmr_backend_kind, "rtmr-backend", &o->rtmr_backend);
	case OPT_EK_TYPE:
		APPLY_ENUM(ek_type, "ek-type", &o->ek_type);
	case OPT_IMA_BRIDGE:
		APPLY_ENUM(ima_bridge_mode, "ima-bridge", &o->ima_bridge);
	case OPT_LOG_LEVEL:
		APPLY_ENUM(log_level, "log-level", &o->log_level);
	case OPT_SYSTEMD_CC:
		APPLY_ENUM(systemd_cc_mode, "systemd-cc", &o->systemd_cc);
	case OPT_SECCOMP:
		APPLY_ENUM(seccomp_mode, "seccomp", &o->seccomp);
	case OPT_PORT:
		return apply_number(id, val, &o->port, err, errlen);
	case OPT_IMA_POLL_MS:
		return apply_number(id, val, &o->ima_poll_ms, err, errlen);
	case OPT_CONN_TIMEOUT:
		return apply_number(id, val, &o->conn_timeout_ms, err, errlen);
	case OPT_COMMAND_TIMEOUT:
		return apply_number(id, val, &o->command_timeout_ms, err, errlen);
	case OPT_QUOTE_PROVIDER:
		return apply_quote_provider(o, val, err, errlen);
	case OPT_IMA_LIST:
		return set_path(&o->ima_list, val, "ima-list", err, errlen);
	case OPT_UNIX:
		return set_path(&o->unix_path, val, "unix", err, errlen);
	case OPT_BIND:
		return set_path(&o->bind_addr, val, "bind", err, errlen);
	case OPT_STATE_DIR:
		return set_path(&o->state_dir, val, "state-dir", err, errlen);
	case OPT_RUNTIME_DIR:
		return set_path(&o->runtime_dir, val, "runtime-dir", err, errlen);
	case OPT_CONFIG:
		return set_path(&o->config, val, "config", err, errlen);
	case OPT_MAP:
		return set_path(&o->map, val, "map", err, errlen);
	case OPT_RTMR_DIR:
		return set_path(&o->rtmr_dir, val, "rtmr-dir", err, errlen);
	case OPT_CCEL:
		return set_path(&o->ccel, val, "ccel", err, errlen);
	case OPT_VTPMX:
		return set_path(&o->vtpmx, val, "vtpmx", err, errlen);
	case OPT_RUNAS:
		return set_path(&o->runas, val, "runas", err, errlen);
	}
	return set_error(err, errlen, "internal error: option %d", id);
}

int options_parse_args(struct daemon_options *o, int argc, char **argv, char *err, size_t errlen)
{
	char why[256];
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (c == 'h' || c == OPT_HELP) {
			o->help = true;
			continue;
		}
		if (c == OPT_VERSION) {
			o->version = true;
			continue;
		}
		if (c == '?' || c == ':')
			return set_error(err, errlen,
					 "unknown option or missing value: %s (see --help)",
					 argv[optind - 1]);
		if (apply(o, c, optarg, why, sizeof(why)) < 0)
			return set_error(err, errlen, "--%s: %s", long_opts[c].name, why);
		o->set_on_cmdline |= 1UL << c;
	}
	if (optind < argc)
		return set_error(err, errlen, "unexpected argument '%s' (see --help)",
				 argv[optind]);
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static int key_id(const char *key)
{
	for (int i = 0; long_opts[i].name; i++)
		if (strcmp(long_opts[i].name, key) == 0 && long_opts[i].has_arg &&
		    i != OPT_CONFIG)
			return i;
	return -1;
}

static int config_line(struct daemon_options *o, char *line, char *why, size_t whylen)
{
	char *eq, *key, *val;
	int id;

	line = trim(line);
	if (!*line || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (!eq)
		return set_error(why, whylen, "expected 'key = value'");
	*eq = '\0';
	key = trim(line);
	val = trim(eq + 1);
	id = key_id(key);
	if (id < 0)
		return set_error(why, whylen, "unknown key '%s'", key);
	if (o->set_on_cmdline & (1UL << id))
		return 0;
	return apply(o, id, val, why, whylen);
}

int options_parse_config(struct daemon_options *o, const char *text, const char *source,
			 char *err, size_t errlen)
{
	_cleanup_free_ char *copy = strdup(text);
	char *line, *save = NULL;
	unsigned lineno = 0;
	char why[256];

	if (!copy)
		return set_error(err, errlen, "out of memory");
	/* strtok_r would skip empty lines and miscount: walk the lines by hand. */
	for (line = copy; line; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		lineno++;
		if (config_line(o, line, why, sizeof(why)) < 0)
			return set_error(err, errlen, "%s:%u: %s", source, lineno, why);
	}
	return 0;
}

int options_load(struct daemon_options *o, int argc, char **argv, char *err, size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	const char *path;
	int r;

	if (options_parse_args(o, argc, argv, err, errlen) < 0)
		return -1;
	if (o->help || o->version)
		return 0;
	path = o->config ? o->config : DEFAULT_CONFIG;
	r = read_file_all(path, &text, NULL, 1 << 20);
	if (r == -ENOENT && !o->config)
		return 0; /* no config file: defaults and command line */
	if (r < 0)
		return set_error(err, errlen, "cannot read config file %s: %s", path, strerror(-r));
	return options_parse_config(o, text, path, err, errlen);
}

void options_usage(FILE *f)
{
	fputs("Usage: vtpm-rtmrd [OPTIONS]\n"
	      "\n"
	      "Serve a TPM 2.0 (libtpms) to Linux through vtpm_proxy, or to tpm2-tss clients\n"
	      "through the swtpm socket protocol, mirroring every PCR change into the\n"
	      "confidential VM's runtime measurement registers (RTMRs) with an event log.\n"
	      "\n"
	      "Transport:\n"
	      "  --transport auto|vtpm-proxy|socket\n"
	      "                        auto (default): vtpm-proxy when /dev/vtpmx exists, else socket\n"
	      "  --port N              socket: TCP data port N, control port N+1 (default 2321)\n"
	      "  --unix PATH           socket: UNIX data socket PATH, control PATH.ctrl\n"
	      "  --bind ADDR           socket: address to listen on (default 127.0.0.1)\n"
	      "  --vtpmx PATH          vtpm-proxy: the proxy control device (default /dev/vtpmx)\n"
	      "  --conn-timeout S      socket: close a connection that sends nothing for S seconds\n"
	      "                        after connecting (default 5)\n"
	      "  --command-timeout S   socket: close one that begins a command or control message\n"
	      "                        and does not finish it within S seconds (default 30)\n"
	      "\n"
	      "State and files:\n"
	      "  --runtime-dir DIR     device file, event logs, sim registers (default /run/vtpm-rtmr)\n"
	      "  --state-dir DIR       persistent TPM state (default: DIR/state under the runtime\n"
	      "                        directory: a new TPM every boot)\n"
	      "  --config FILE         'key = value' settings (default /etc/vtpm-rtmr/vtpm-rtmrd.conf\n"
	      "                        when present); the command line wins\n"
	      "\n"
	      "Measurement registers:\n"
	      "  --map FILE            PCR-to-RTMR map (default: PCR 0,1,7->RTMR0, 2-6->RTMR1,\n"
	      "                        8-15->RTMR2, 16-23 not mirrored)\n"
	      "  --rtmr-backend auto|tdx-sysfs|tdx-ioctl|sim\n"
	      "                        auto (default): tdx-sysfs, then tdx-ioctl; sim (software\n"
	      "                        registers, no security) only when named\n"
	      "  --rtmr-dir DIR        tdx-sysfs directory (default\n"
	      "                        /sys/class/misc/tdx_guest/measurements)\n"
	      "  --ccel FILE           the firmware's CC event log, whose final values are the\n"
	      "                        registers' boot values (default: the ACPI CCEL table's\n"
	      "                        log for tdx-sysfs and tdx-ioctl; zero for sim)\n"
	      "\n"
	      "Attestation:\n"
	      "  --ek-type rsa2048|ecc-p256|ecc-p384\n"
	      "                        the Endorsement Key bound in attestation (default rsa2048,\n"
	      "                        TCG template L-1 at 0x81010001; L-2 at 0x8101000a; H-3 at\n"
	      "                        0x81010016)\n"
	      "  --systemd-cc auto|on|off\n"
	      "                        systemd extends the RTMRs itself (auto, default: when its\n"
	      "                        cc-measure.log or systemd-stub's CC measurements show it):\n"
	      "                        then PCR 1-9, 11-15 are not mirrored; with the default map\n"
	      "                        PCR 0 and 10 go to RTMR3\n"
	      "  --quote-provider auto|configfs-tsm|sim\n"
	      "                        where vtpm-rtmr attest gets TEE quotes by default\n"
	      "                        (recorded in <runtime-dir>/quote-provider)\n"
	      "\n"
	      "IMA:\n"
	      "  --ima-bridge auto|on|off\n"
	      "                        extend IMA's measurement list into the PCRs as IMA would\n"
	      "                        have (auto, default: when IMA found no TPM at boot)\n"
	      "  --ima-list FILE       the list (default\n"
	      "                        /sys/kernel/security/ima/binary_runtime_measurements)\n"
	      "  --ima-poll-ms N       how often to look for new entries (default 1000); readers\n"
	      "                        of PCRs (PCR_Read, Quote, PolicyPCR...) always catch up first\n"
	      "\n"
	      "Confinement:\n"
	      "  --seccomp off|log|kill\n"
	      "                        system call allow-list installed after set-up; a call off\n"
	      "                        the list kills the daemon (kill, default) or is logged\n"
	      "                        by the kernel's audit (log)\n"
	      "\n"
	      "Other:\n"
	      "  --runas USER          after setup, become USER (e.g. vtpm-rtmr) without any\n"
	      "                        capability; the runtime and state directories become USER's\n"
	      "  --log-level error|warn|info|debug   (default info)\n"
	      "  -h, --help            show this help\n"
	      "  --version             show the version\n"
	      "\n"
	      "Environment:\n"
	      "  VTPM_RTMR_SOCKET_LOOP=poll   socket transport: serve with poll() instead of\n"
	      "                        io_uring (used anyway where io_uring is refused)\n",
	      f);
}
