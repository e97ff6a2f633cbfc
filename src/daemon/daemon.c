// SPDX-License-Identifier: MIT
#include "daemon/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/boot_values.h"
#include "daemon/ima_bridge.h"
#include "daemon/listen_fds.h"
#include "daemon/pcr_history.h"
#include "common/runtime_dir.h"
#include "common/safe_fs.h"
#include "common/log.h"
#include "daemon/mirror.h"
#include "daemon/notify.h"
#include "daemon/privileges.h"
#include "daemon/nvstore.h"
#include "daemon/options.h"
#include "daemon/seccomp_filter.h"
#include "rtmr_map/rtmr_backend.h"
#include "rtmr_map/rtmr_map.h"
#include "daemon/service.h"
#include "daemon/systemd_cc.h"
#include "daemon/tpm_setup.h"
#include "daemon/transport/transport_socket.h"
#include "daemon/transport/transport_vtpm_proxy.h"
#include "common/util.h"

struct daemon {
	const struct daemon_options *opts;
	const char *runtime_dir;
	char *state_dir;
	char *device_file;
	struct nvstore *store;
	struct rtmr_backend *backend;
	struct mirror *mirror;
	struct service *svc;
	struct ima_bridge *bridge;
	struct pcr_history *history; /* what a restore restored, until the IMA bridge took it */
	struct socket_transport *sock; /* listening from the start; served once set up */
	int stop_fd;
	int runtime_fd; /* the runtime directory, opened safely (safe_fs.h) */
	struct runas runas;
};

/* The runtime directory, made if need be, checked and held open (safe_fs.h). */
static int setup_dirs(struct daemon *d, char *err, size_t errlen)
{
	d->runtime_fd = safe_dir_open(d->runtime_dir, "runtime directory",
				      SAFE_DIR_CREATE | SAFE_DIR_KEEP, 0755, err, errlen);
	if (d->runtime_fd < 0)
		return -1;
	if (d->opts->state_dir)
		d->state_dir = strdup(d->opts->state_dir);
	else
		d->state_dir = runtime_path(d->runtime_dir, RUNTIME_STATE_DIR);
	d->device_file = runtime_path(d->runtime_dir, RUNTIME_DEVICE);
	if (!d->state_dir || !d->device_file)
		return set_error(err, errlen, "out of memory");
	return 0;
}

/*
 * When systemd extends the RTMRs itself (systemd_cc.h), mirroring its PCRs would put its
 * events there twice: leave them out, and say so (the logs' `vtpm map` records say it too).
 */
static void apply_systemd_cc(struct daemon *d, struct rtmr_map *map)
{
	bool tdx = strcmp(rtmr_backend_name(d->backend), "sim") != 0;
	struct systemd_cc_facts f;
	char why[256];
	int shared;

	if (d->opts->systemd_cc == SYSTEMD_CC_OFF)
		return;
	if (d->opts->systemd_cc == SYSTEMD_CC_ON) {
		snprintf(why, sizeof(why), "--systemd-cc on");
	} else {
		systemd_cc_gather(tdx, &f);
		if (!systemd_cc_decide(&f, why, sizeof(why))) {
			log_debug("--systemd-cc auto: %s", why);
			return;
		}
	}
	systemd_cc_map(map, d->opts->map != NULL);
	log_info("%s: PCR 1-9 and 11-15 are systemd's, not mirrored%s", why,
		 d->opts->map ? "" : "; PCR 0 and 10 go to RTMR3, which systemd leaves alone");
	shared = systemd_cc_shared_rtmr(map);
	if (shared >= 0)
		log_warn("the map (%s) still mirrors into RTMR%d, which systemd extends too: its "
			 "extends will show as SYNC records in rtmr%d.log", d->opts->map, shared,
			 shared);
}

static int setup_mirror(struct daemon *d, char *err, size_t errlen)
{
	struct rtmr_backend_config cfg = {
		.kind = d->opts->rtmr_backend,
		.rtmr_dir = d->opts->rtmr_dir,
		.runtime_dir = d->runtime_dir,
	};
	struct rtmr_map map;
	char desc[256];

	if (d->opts->map) {
		if (rtmr_map_load(d->opts->map, &map, err, errlen) < 0)
			return -1;
	} else {
		rtmr_map_default(&map);
	}
	if (rtmr_backend_open(&cfg, &d->backend, err, errlen) < 0)
		return -1;
	apply_systemd_cc(d, &map);
	rtmr_map_describe(&map, desc, sizeof(desc));
	log_info("RTMR backend %s; map: %s", rtmr_backend_name(d->backend), desc);
	return mirror_open(&d->mirror, &map, d->backend, d->runtime_dir, err, errlen);
}

/* vtpm-rtmr attest takes its default quote provider from the daemon's configuration. */
static int record_quote_provider(struct daemon *d, char *err, size_t errlen)
{
	const char *qp = d->opts->quote_provider ? d->opts->quote_provider : "auto";
	int r = safe_write_if_changed(d->runtime_fd, RUNTIME_QUOTE_PROVIDER, qp, strlen(qp), 0644);

	if (r < 0)
		return set_error(err, errlen, "cannot write %s/%s: %s", d->runtime_dir,
				 RUNTIME_QUOTE_PROVIDER, safe_fs_strerror(r));
	return 0;
}

/* The state directory, locked: a second daemon on it stops here, before it listens. */
static int open_state(struct daemon *d, char *err, size_t errlen)
{
	if (nvstore_open(d->state_dir, &d->store, err, errlen) < 0)
		return -1;
	/* nothing relies on the state before the start-up flushes it (tpm_setup.c): write each
	 * blob once */
	nvstore_write_back(d->store);
	return 0;
}

/* The service over the mirror, and the TPM brought up through it: a first start, a restore
 * or a restart with the marker (daemon/restart.h), decided from the registers' boot values. */
static int setup_service(struct daemon *d, char *err, size_t errlen)
{
	struct boot_values boot;
	struct tpm_setup_config cfg = {
		.store = d->store,
		.ephemeral_state = !d->opts->state_dir,
		.mirror = d->mirror,
		.ek_type = d->opts->ek_type,
		.runtime_dir = d->runtime_dir,
		.boot = &boot,
		.history = d->opts->ima_bridge != IMA_BRIDGE_OFF ? &d->history : NULL,
	};
	char why[512];

	if (boot_values_read(d->opts->ccel, d->backend, &boot, why, sizeof(why)) < 0) {
		log_warn("%s: the registers' boot values are unknown, so this start is not taken "
			 "for the first of the boot", why);
		cfg.boot_unknown = true;
	}
	if (service_new(d->mirror, &d->svc) < 0)
		return set_error(err, errlen, "out of memory");
	return service_start(d->svc, &cfg, err, errlen);
}

/* The IMA bridge, given what a restore put back into the PCRs (it goes on after that). */
static int setup_ima_bridge(struct daemon *d, char *err, size_t errlen)
{
	struct ima_bridge_config cfg = { .list_path = d->opts->ima_list,
					 .poll_ms = d->opts->ima_poll_ms,
					 .restored = TAKE_PTR(d->history) };

	if (d->opts->ima_bridge == IMA_BRIDGE_OFF) {
		pcr_history_free(cfg.restored);
		return 0;
	}
	if (d->opts->ima_bridge == IMA_BRIDGE_AUTO && !ima_bridge_wanted(d->opts->ima_list)) {
		log_info("IMA bridge off: no IMA list, or IMA has a TPM of its own");
		pcr_history_free(cfg.restored);
		return 0;
	}
	return ima_bridge_start(&d->bridge, &cfg, d->svc, err, errlen);
}

static int setup_signals(struct daemon *d, char *err, size_t errlen)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (d->stop_fd = signalfd(-1, &set, SFD_CLOEXEC)) < 0) {
		return set_error(err, errlen, "cannot set up signal handling: %s", strerror(errno));
	}
	return 0;
}

static enum transport_kind choose_transport(const struct daemon_options *o)
{
	const char *vtpmx = o->vtpmx ? o->vtpmx : VTPMX_PATH;

	if (o->transport != TRANSPORT_AUTO)
		return o->transport;
	if (access(vtpmx, F_OK) == 0) {
		log_info("transport auto: %s exists, using vtpm-proxy", vtpmx);
		return TRANSPORT_VTPM_PROXY;
	}
	log_info("transport auto: %s absent, using the swtpm socket protocol", vtpmx);
	return TRANSPORT_SOCKET;
}

/*
 * --runas: what the daemon needs as root is done (the device made, every file open); the
 * state files become the user's, who rewrites them from now on (the directories already are:
 * safe_fs.h). The IMA bridge's thread runs already: setresuid() changes it too (glibc applies
 * it to every thread), and it holds no capability afterwards either. A daemon started as an
 * unprivileged user with capabilities (the unit) only drops those: privileges_drop().
 */
static int drop_privileges(struct daemon *d, char *err, size_t errlen)
{
	int r;

	if (!d->runas.set || geteuid() != 0)
		return privileges_drop(&d->runas, err, errlen);
	r = nvstore_give_to_user(d->store);
	if (r < 0)
		return set_error(err, errlen, "--runas %s: cannot give the state directory %s to "
				 "it: %s", d->runas.name, d->state_dir, strerror(-r));
	r = safe_dir_chown_tree(d->runtime_fd);
	if (r < 0)
		return set_error(err, errlen, "--runas %s: cannot give the runtime directory %s "
				 "to it: %s", d->runas.name, d->runtime_dir, strerror(-r));
	return privileges_drop(&d->runas, err, errlen);
}

struct published {
	struct daemon *d;
	char desc[128];
};

/* The device nodes exist: say so on stderr, in <runtime-dir>/device and to systemd. */
static void publish_device(void *ctx)
{
	struct published *p = ctx;
	int r = safe_write_atomic(p->d->runtime_fd, RUNTIME_DEVICE, p->desc, strlen(p->desc), 0644);

	if (r < 0)
		log_warn("cannot write %s: %s", p->d->device_file, safe_fs_strerror(r));
	log_info("TPM device ready: %s", p->desc);
	notify_ready(p->desc);
}

/*
 * Set-up is done: from here on the daemon only serves and stops. Confine it to what that
 * needs. The system call filter comes last and allows nothing set-up alone does, so whatever
 * must precede it (loading libsystemd for sd_notify) happens here first.
 */
static int confine(struct daemon *d, char *err, size_t errlen)
{
	notify_prepare();
	if (seccomp_filter_install(d->opts->seccomp, err, errlen) < 0)
		return -1;
	if (getenv("VTPM_RTMR_TEST_SECCOMP_VIOLATION"))
		seccomp_filter_test_violation();
	return 0;
}

/*
 * The device: the one the previous instance kept in systemd's file descriptor store (the same
 * /dev/tpmN: clients keep their open files), or a new one, kept there when under systemd.
 */
static int get_device(struct daemon *d, struct vtpm_proxy_dev *dev, bool *adopted, char *err,
		      size_t errlen)
{
	char name[256], why[256];
	int fd = listen_fds_take(VTPM_PROXY_FDNAME_PREFIX, name, sizeof(name));

	*adopted = false;
	if (fd >= 0) {
		if (vtpm_proxy_adopt(fd, name, dev, why, sizeof(why)) == 0) {
			*adopted = true;
			log_info("took the TPM device /dev/tpm%u back from systemd's file descriptor "
				 "store: its clients keep their open files", dev->tpm_num);
			return 0;
		}
		log_warn("not using the file descriptor systemd kept as %s: %s; creating a new "
			 "device", name, why);
		close(fd);
		notify_fdstore_remove(name);
	}
	if (vtpm_proxy_create(d->opts->vtpmx, dev, err, errlen) < 0)
		return -1;
	if (vtpm_proxy_fdname(dev, name, sizeof(name)) == 0 && notify_fdstore(dev->fd, name) == 0)
		log_info("the TPM device's file descriptor is given to systemd's file descriptor "
			 "store (%s): a restart of the service keeps /dev/tpm%u", name, dev->tpm_num);
	return 0;
}

static int run_vtpm_proxy(struct daemon *d, char *err, size_t errlen)
{
	struct published pub = { .d = d };
	struct vtpm_proxy_ready ready = { .cb = publish_device, .ctx = &pub };
	struct vtpm_proxy_dev dev;
	char node[64];
	bool adopted;
	uint32_t rc;
	int r;

	/* a stale file from a daemon that was killed names a device that is gone */
	unlinkat(d->runtime_fd, RUNTIME_DEVICE, 0);
	/* the kernel's registration sends TPM2_SelfTest(full) with a 2 s timeout, which libtpms
	 * may not meet on a busy machine: test everything now */
	rc = service_self_test(d->svc);
	if (rc != TPM2_RC_SUCCESS)
		log_warn("TPM2_SelfTest answered 0x%x", rc);
	if (get_device(d, &dev, &adopted, err, errlen) < 0)
		return -1;
	if (drop_privileges(d, err, errlen) < 0) {
		close(dev.fd);
		return -1;
	}
	snprintf(pub.desc, sizeof(pub.desc), "/dev/tpm%u /dev/tpmrm%u", dev.tpm_num, dev.tpm_num);
	snprintf(node, sizeof(node), "/dev/tpmrm%u", dev.tpm_num);
	ready.path = node;
	if (adopted)
		vtpm_proxy_answer_orphan(dev.fd);
	else
		log_info("created TPM device %s (major/minor %u/%u); answering the kernel's "
			 "start-up commands", pub.desc, dev.major, dev.minor);
	/* the kernel's first commands wait in the device meanwhile */
	if (confine(d, err, errlen) < 0) {
		close(dev.fd);
		return -1;
	}
	r = vtpm_proxy_serve(dev.fd, d->svc, d->stop_fd, &ready);
	close(dev.fd);
	unlinkat(d->runtime_fd, RUNTIME_DEVICE, 0);
	if (r < 0)
		return set_error(err, errlen, "serving the vtpm_proxy device failed");
	return r;
}

/*
 * The socket transport listens before the TPM is set up, as swtpm does: a client that
 * connects meanwhile waits in the backlog instead of being refused, and a busy port fails the
 * start before any state is made. Nothing is read or answered before run_socket.
 */
static int open_socket(struct daemon *d, char *err, size_t errlen)
{
	struct socket_transport_config cfg = {
		.bind_addr = d->opts->bind_addr,
		.port = d->opts->port,
		.unix_path = d->opts->unix_path,
		.first_ms = d->opts->conn_timeout_ms,
		.message_ms = d->opts->command_timeout_ms,
	};

	if (choose_transport(d->opts) != TRANSPORT_SOCKET)
		return 0;
	return socket_transport_open(&cfg, &d->sock, err, errlen);
}

/* The socket transport's address, in <runtime-dir>/tcti for `vtpm-rtmr attest`. */
static void publish_tcti(struct daemon *d, bool on)
{
	const char *tcti = socket_transport_tcti(d->sock);
	int r = 0;

	if (on)
		r = safe_write_atomic(d->runtime_fd, RUNTIME_TCTI, tcti, strlen(tcti), 0644);
	else
		unlinkat(d->runtime_fd, RUNTIME_TCTI, 0);
	if (r < 0)
		log_warn("cannot write %s/%s: %s", d->runtime_dir, RUNTIME_TCTI,
			 safe_fs_strerror(r));
}

static int run_socket(struct daemon *d, char *err, size_t errlen)
{
	char status[400];
	int r;

	if (drop_privileges(d, err, errlen) < 0)
		return -1;
	/* before "serving" and READY=1: a client is only ever served by the confined daemon */
	if (confine(d, err, errlen) < 0)
		return -1;
	snprintf(status, sizeof(status), "serving TPM2TOOLS_TCTI=%s",
		 socket_transport_tcti(d->sock));
	publish_tcti(d, true);
	log_info("%s", status);
	notify_ready(status);
	r = socket_transport_run(d->sock, d->svc, d->stop_fd);
	publish_tcti(d, false);
	if (r < 0)
		return set_error(err, errlen, "the socket transport failed");
	return r;
}

static void teardown(struct daemon *d)
{
	notify_stopping();
	ima_bridge_stop(d->bridge);
	socket_transport_close(d->sock);
	service_free(d->svc);
	/* a start that failed before the identity was set up keeps what libtpms wrote, as before
	 * write-back */
	if (d->store)
		nvstore_flush(d->store);
	mirror_close(d->mirror);
	rtmr_backend_close(d->backend);
	nvstore_close(d->store);
	pcr_history_free(d->history);
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	if (d->runtime_fd >= 0)
		close(d->runtime_fd);
	free(d->state_dir);
	free(d->device_file);
}

int daemon_run(const struct daemon_options *opts)
{
	struct daemon d = { .opts = opts, .stop_fd = -1, .runtime_fd = -1 };
	char err[1024] = "";
	int r = -1;

	d.runtime_dir = opts->runtime_dir ? opts->runtime_dir : RUNTIME_DIR_DEFAULT;
	if (privileges_resolve(opts->runas, &d.runas, err, sizeof(err)) < 0)
		goto out;
	if (d.runas.set)
		safe_fs_set_user(d.runas.uid, d.runas.gid);
	if (setup_signals(&d, err, sizeof(err)) < 0 || setup_dirs(&d, err, sizeof(err)) < 0 ||
	    open_state(&d, err, sizeof(err)) < 0 || open_socket(&d, err, sizeof(err)) < 0 ||
	    record_quote_provider(&d, err, sizeof(err)) < 0 ||
	    setup_mirror(&d, err, sizeof(err)) < 0 || setup_service(&d, err, sizeof(err)) < 0 ||
	    setup_ima_bridge(&d, err, sizeof(err)) < 0)
		goto out;
	r = d.sock ? run_socket(&d, err, sizeof(err)) : run_vtpm_proxy(&d, err, sizeof(err));
	if (r == 0)
		log_info("stopping");
out:
	if (r < 0)
		log_error("%s", err);
	teardown(&d);
	return r < 0 ? EXIT_SETUP : 0;
}
