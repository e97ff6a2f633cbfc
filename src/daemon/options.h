/* SPDX-License-Identifier: MIT */
/* vtpm-rtmrd's settings: built-in defaults, then the config file, then the command line. */
#ifndef VTPM_OPTIONS_H
#define VTPM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/log.h"
#include "daemon/systemd_cc.h"
#include "daemon/seccomp_filter.h"
#include "rtmr_map/rtmr_backend.h"
#include "tpm_cmds/tpm_ek.h"

#define DEFAULT_CONFIG "/etc/vtpm-rtmr/vtpm-rtmrd.conf"
#define DEFAULT_PORT 2321
#define DEFAULT_BIND "127.0.0.1"

enum transport_kind { TRANSPORT_AUTO, TRANSPORT_VTPM_PROXY, TRANSPORT_SOCKET };
enum ima_bridge_mode { IMA_BRIDGE_AUTO, IMA_BRIDGE_ON, IMA_BRIDGE_OFF };

struct daemon_options {
	enum transport_kind transport;
	unsigned port;
	char *unix_path;
	char *bind_addr;
	char *state_dir;   /* NULL: <runtime_dir>/state (ephemeral) */
	char *runtime_dir;
	char *config;      /* NULL: DEFAULT_CONFIG if it exists */
	char *map;         /* NULL: the built-in map */
	enum rtmr_backend_kind rtmr_backend;
	char *rtmr_dir;
	char *ccel;        /* NULL: BOOT_CCEL_ACPI for hardware backends (daemon/boot_values.h) */
	char *vtpmx;       /* the vtpm_proxy control device */
	enum ek_type ek_type;
	enum ima_bridge_mode ima_bridge;
	char *quote_provider; /* NULL: auto; recorded for vtpm-rtmr attest */
	char *ima_list;    /* NULL: /sys/kernel/security/ima/binary_runtime_measurements */
	unsigned ima_poll_ms;
	enum systemd_cc_mode systemd_cc; /* systemd extends the RTMRs itself: auto/on/off */
	char *runas;                 /* --runas: become this user after setup */
	unsigned conn_timeout_ms;    /* socket: nothing sent since connect */
	unsigned command_timeout_ms; /* socket: a message begun, not finished */
	enum seccomp_mode seccomp;   /* the system call filter after set-up */
	enum log_level log_level;
	bool help;
	bool version;
	unsigned long set_on_cmdline; /* bit per option: the config file does not override it */
};

void options_init(struct daemon_options *o);
void options_free(struct daemon_options *o);

/* Parse argv. 0, or -1 with err set. */
int options_parse_args(struct daemon_options *o, int argc, char **argv, char *err, size_t errlen);
/* Apply a config file's text ("key = value" lines, '#' comments); keys are the long option
 * names; options given on the command line win. Errors name "<source>:<line>". */
int options_parse_config(struct daemon_options *o, const char *text, const char *source,
			 char *err, size_t errlen);
/* argv, then the config file (--config, or DEFAULT_CONFIG when present). */
int options_load(struct daemon_options *o, int argc, char **argv, char *err, size_t errlen);

void options_usage(FILE *f);
DECLARE_STRING_TABLE_LOOKUP(transport_kind, enum transport_kind);
DECLARE_STRING_TABLE_LOOKUP(ima_bridge_mode, enum ima_bridge_mode);
DECLARE_STRING_TABLE_LOOKUP(seccomp_mode, enum seccomp_mode);

#endif
