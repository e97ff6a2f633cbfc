// SPDX-License-Identifier: MIT
/* vtpm-rtmrd option and config file parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/options.h"

static int parse(struct daemon_options *o, char *err, size_t errlen, ...)
{
	char *argv[48] = { "vtpm-rtmrd" };
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, errlen);
	while ((a = va_arg(ap, char *)) != NULL && argc < 47)
		argv[argc++] = a;
	va_end(ap);
	options_init(o);
	return options_parse_args(o, argc, argv, err, errlen);
}

static void test_defaults(void **state)
{
	struct daemon_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), NULL), 0);
	assert_int_equal(o.transport, TRANSPORT_AUTO);
	assert_int_equal(o.port, DEFAULT_PORT);
	assert_int_equal(o.rtmr_backend, RTMR_BACKEND_AUTO);
	assert_int_equal(o.log_level, LOG_LVL_INFO);
	assert_null(o.state_dir);
	assert_null(o.unix_path);
	assert_int_equal(o.conn_timeout_ms, 5000);
	assert_int_equal(o.command_timeout_ms, 30000);
	assert_int_equal(o.systemd_cc, SYSTEMD_CC_AUTO);
	/* a call off the allow-list kills (vtpm-rtmrd(8), SECURITY) */
	assert_int_equal(o.seccomp, SECCOMP_MODE_KILL);
	options_free(&o);
}

static void test_all_options(void **state)
{
	struct daemon_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "--transport", "socket", "--port", "4000",
			       "--bind", "0.0.0.0", "--state-dir", "/s", "--runtime-dir", "/r",
			       "--map", "/m", "--rtmr-backend", "tdx-sysfs", "--rtmr-dir", "/d",
			       "--log-level", "debug", "--unix", "/u", "--vtpmx", "/v",
			       "--quote-provider", "sim", "--conn-timeout", "2",
			       "--command-timeout", "60", "--systemd-cc", "off",
			       "--seccomp", "log", NULL),
			 0);
	assert_int_equal(o.transport, TRANSPORT_SOCKET);
	assert_int_equal(o.port, 4000);
	assert_string_equal(o.bind_addr, "0.0.0.0");
	assert_string_equal(o.state_dir, "/s");
	assert_string_equal(o.runtime_dir, "/r");
	assert_string_equal(o.map, "/m");
	assert_int_equal(o.rtmr_backend, RTMR_BACKEND_TDX_SYSFS);
	assert_string_equal(o.rtmr_dir, "/d");
	assert_int_equal(o.log_level, LOG_LVL_DEBUG);
	assert_string_equal(o.unix_path, "/u");
	assert_string_equal(o.vtpmx, "/v");
	assert_string_equal(o.quote_provider, "sim");
	assert_int_equal(o.conn_timeout_ms, 2000);
	assert_int_equal(o.command_timeout_ms, 60000);
	assert_int_equal(o.systemd_cc, SYSTEMD_CC_OFF);
	assert_int_equal(o.seccomp, SECCOMP_MODE_LOG);
	options_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--port=7", "--transport=vtpm-proxy", NULL), 0);
	assert_int_equal(o.port, 7);
	assert_int_equal(o.transport, TRANSPORT_VTPM_PROXY);
	options_free(&o);
}

static void expect_error(const char *what, const char *a1, const char *a2)
{
	struct daemon_options o;
	char err[256] = "";

	assert_int_equal(parse(&o, err, sizeof(err), a1, a2, NULL), -1);
	if (!strstr(err, what))
		fail_msg("error '%s' does not mention '%s'", err, what);
	options_free(&o);
}

static void test_bad_args(void **state)
{
	(void)state;
	expect_error("--port", "--port", "0");
	expect_error("--port", "--port", "65535");
	expect_error("--port", "--port", "12x");
	expect_error("--port", "--port", "-5");
	expect_error("invalid transport", "--transport", "tcp");
	expect_error("invalid systemd-cc 'yes' (auto, on, off)", "--systemd-cc", "yes");
	expect_error("invalid conn-timeout '0' (1..3600)", "--conn-timeout", "0");
	expect_error("invalid command-timeout '3601'", "--command-timeout", "3601");
	expect_error("invalid rtmr-backend", "--rtmr-backend", "tdx");
	expect_error("invalid log-level", "--log-level", "loud");
	expect_error("unknown option", "--nope", NULL);
	expect_error("unexpected argument", "extra", NULL);
	expect_error("must not be empty", "--state-dir", "");
	expect_error("invalid quote-provider", "--quote-provider", "tpm");
	expect_error("invalid seccomp 'on' (off, log, kill)", "--seccomp", "on");
}

static void test_help_version(void **state)
{
	struct daemon_options o;
	char err[256];

	(void)state;
	assert_int_equal(parse(&o, err, sizeof(err), "--help", NULL), 0);
	assert_true(o.help);
	options_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "-h", NULL), 0);
	assert_true(o.help);
	options_free(&o);
	assert_int_equal(parse(&o, err, sizeof(err), "--version", NULL), 0);
	assert_true(o.version);
	options_free(&o);
}

static void test_config(void **state)
{
	static const char conf[] = "# vtpm-rtmrd settings\n"
				   "\n"
				   "  port = 5000\n"
				   "transport=socket\n"
				   "rtmr-backend = sim   \n"
				   "state-dir = /var/lib/vtpm-rtmr\n"
				   "log-level = warn\n"
				   "seccomp = off\n";
	struct daemon_options o;
	char err[256];

	(void)state;
	/* the command line wins over the file */
	assert_int_equal(parse(&o, err, sizeof(err), "--port", "6000", NULL), 0);
	assert_int_equal(options_parse_config(&o, conf, "test.conf", err, sizeof(err)), 0);
	assert_int_equal(o.port, 6000);
	assert_int_equal(o.transport, TRANSPORT_SOCKET);
	assert_int_equal(o.rtmr_backend, RTMR_BACKEND_SIM);
	assert_string_equal(o.state_dir, "/var/lib/vtpm-rtmr");
	assert_int_equal(o.log_level, LOG_LVL_WARN);
	assert_int_equal(o.seccomp, SECCOMP_MODE_OFF);
	options_free(&o);
}

static void expect_config_error(const char *text, const char *what)
{
	struct daemon_options o;
	char err[256] = "";

	assert_int_equal(parse(&o, err, sizeof(err), NULL), 0);
	assert_int_equal(options_parse_config(&o, text, "x.conf", err, sizeof(err)), -1);
	if (!strstr(err, what))
		fail_msg("error '%s' does not mention '%s'", err, what);
	options_free(&o);
}

static void test_config_errors(void **state)
{
	(void)state;
	expect_config_error("port = 5000\n\nbogus = 1\n", "x.conf:3: unknown key 'bogus'");
	expect_config_error("port 5000\n", "x.conf:1: expected 'key = value'");
	expect_config_error("# c\nport = 99999\n", "x.conf:2: invalid port");
	expect_config_error("config = /etc/other\n", "x.conf:1: unknown key 'config'");
	expect_config_error("help = 1\n", "x.conf:1: unknown key 'help'");
}

static void test_load_files(void **state)
{
	char path[] = "/tmp/vtpm-opt-XXXXXX";
	char *argv[3] = { "vtpm-rtmrd", "--config", path };
	struct daemon_options o;
	char err[512];
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("port = 4444\n", f);
	fclose(f);
	options_init(&o);
	assert_int_equal(options_load(&o, 3, argv, err, sizeof(err)), 0);
	assert_int_equal(o.port, 4444);
	options_free(&o);
	unlink(path);
	/* an explicitly named config file that does not exist is an error */
	options_init(&o);
	assert_int_equal(options_load(&o, 3, argv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read config file"));
	options_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_bad_args),     cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_config),       cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_load_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
