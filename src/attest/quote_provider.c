// SPDX-License-Identifier: MIT
/*
 * Quote providers. configfs-tsm follows Documentation/ABI/testing/configfs-tsm-report: a report
 * entry is a directory made with mkdir; inblob is a configfs binary attribute, so what is
 * written reaches the provider when the file is closed; every such commit bumps `generation`,
 * which is how concurrent writers to the same entry are detected. sim builds a DCAP-layout quote
 * signed by a self-made CA (tdx_sim_ca.h) over the sim RTMR backend's register files.
 */
#include "attest/quote_provider.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "attest/tdx_sim_ca.h"
#include "common/log.h"
#include "rtmr_map/rtmr_backend.h"
#include "common/runtime_dir.h"
#include "common/string_table.h"
#include "common/util.h"

#define CONFIGFS_MAGIC 0x62656570   /* include/uapi/linux/magic.h */
#define TSM_REPORT_SUFFIX "/tsm/report"
#define TSM_RETRIES 3               /* after a generation race, on the same entry */
#define TSM_ENTRY_NAME_TRIES 16     /* stale entries of an earlier process with our pid */
#define TSM_SMALL_ATTR_MAX 256      /* provider, generation */
#define NO_PROVIDER_HINT "no TSM provider is registered (load tdx_guest)"
#define SIM_RTMRS 4
#define SIM_RTMR_SIZE 48

static const char *const quote_provider_kind_table[] = {
	[QUOTE_PROVIDER_AUTO] = "auto",
	[QUOTE_PROVIDER_CONFIGFS_TSM] = "configfs-tsm",
	[QUOTE_PROVIDER_SIM] = "sim",
};

DEFINE_STRING_TABLE_LOOKUP(quote_provider_kind, enum quote_provider_kind)

void quote_result_free(struct quote_result *r)
{
	if (!r)
		return;
	free(r->quote);
	memset(r, 0, sizeof(*r));
}

/* ---- configfs-tsm --------------------------------------------------------------------- */

struct tsm_entry {
	bool created;
	char path[PATH_MAX];
};

static void tsm_entry_remove(struct tsm_entry *e)
{
	if (e->created && rmdir(e->path) < 0)
		log_warn("cannot remove configfs-tsm entry %s: %s", e->path, strerror(errno));
	e->created = false;
}

#define _cleanup_tsm_entry_ __attribute__((cleanup(tsm_entry_remove)))

/* dir without trailing slashes ends in /tsm/report: the configfs mount point is before it. */
static bool configfs_root_of(const char *dir, char *root, size_t cap)
{
	size_t n = strlen(dir), sl = strlen(TSM_REPORT_SUFFIX);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n <= sl || n - sl >= cap || strncmp(dir + n - sl, TSM_REPORT_SUFFIX, sl))
		return false;
	memcpy(root, dir, n - sl);
	root[n - sl] = '\0';
	return true;
}

static bool is_configfs(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == CONFIGFS_MAGIC;
}

/* The report directory is absent (e = errno of stat) or not a directory: say why, -1. */
static int explain_no_report_dir(const char *dir, int e, char *err, size_t errlen)
{
	char root[PATH_MAX];

	if (e == ENOENT && configfs_root_of(dir, root, sizeof(root)) && !is_configfs(root))
		return set_error(err, errlen,
				 "%s is not a configfs mount: mount -t configfs none %s", root,
				 root);
	if (e == ENOENT || e == ENOTDIR)
		return set_error(err, errlen,
				 "no configfs-tsm report interface at %s: the kernel lacks "
				 "CONFIG_TSM_REPORTS or the tsm_report module is not loaded",
				 dir);
	return set_error(err, errlen, "cannot access %s: %s", dir, strerror(e));
}

/* 0 if dir is a directory; else -1 with err explaining. */
static int check_report_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return explain_no_report_dir(dir, errno, err, errlen);
	if (!S_ISDIR(st.st_mode))
		return explain_no_report_dir(dir, ENOTDIR, err, errlen);
	return 0;
}

static int explain_mkdir(const char *path, int e, char *err, size_t errlen)
{
	if (e == ENXIO)
		return set_error(err, errlen, "cannot create configfs-tsm entry %s: %s", path,
				 NO_PROVIDER_HINT);
	if (e == EACCES || e == EPERM || e == EROFS)
		return set_error(err, errlen,
				 "cannot create configfs-tsm entry %s: %s (run as root)", path,
				 strerror(e));
	return set_error(err, errlen, "cannot create configfs-tsm entry %s: %s", path, strerror(e));
}

static int tsm_entry_create(const char *dir, struct tsm_entry *e, char *err, size_t errlen)
{
	static unsigned long counter;
	int saved = EEXIST;

	for (int i = 0; i < TSM_ENTRY_NAME_TRIES; i++) {
		unsigned long c = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
		int n = snprintf(e->path, sizeof(e->path), "%s/vtpm-rtmr.%ld.%lu", dir,
				 (long)getpid(), c);

		if (n < 0 || (size_t)n >= sizeof(e->path))
			return set_error(err, errlen, "configfs-tsm directory path too long: %s",
					 dir);
		if (mkdir(e->path, 0700) == 0) {
			e->created = true;
			return 0;
		}
		saved = errno;
		if (saved != EEXIST)
			break;
	}
	return explain_mkdir(e->path, saved, err, errlen);
}

static int attr_path(const struct tsm_entry *e, const char *attr, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", e->path, attr);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static bool is_outblob(const char *path)
{
	size_t n = strlen(path);

	return n >= 8 && !strcmp(path + n - 8, "/outblob");
}

/* An attribute could not be opened, read or written (e = errno): say why, -1. */
static int explain_attr(const char *path, const char *what, int e, char *err, size_t errlen)
{
	if (e == ENOENT)
		return set_error(err, errlen, "%s does not exist: not a configfs-tsm report entry",
				 path);
	if (e == ENXIO || e == EOPNOTSUPP || (e == EINVAL && is_outblob(path)))
		return set_error(err, errlen, "cannot %s %s: %s: %s", what, path, strerror(e),
				 NO_PROVIDER_HINT);
	return set_error(err, errlen, "cannot %s %s: %s", what, path, strerror(e));
}

/* One write of the 64 bytes, then close: configfs hands the data to the provider on close. */
static int write_inblob(const struct tsm_entry *e, const uint8_t data[64], char *err,
			size_t errlen)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (attr_path(e, "inblob", path, sizeof(path)) < 0)
		return set_error(err, errlen, "configfs-tsm entry path too long: %s", e->path);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return explain_attr(path, "open", errno, err, errlen);
	do
		n = write(fd, data, QUOTE_REPORT_DATA_SIZE);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return explain_attr(path, "write", errno, err, errlen);
	if (close(take_fd(&fd)) < 0 && errno != EINTR)
		return explain_attr(path, "write", errno, err, errlen);
	if (n != QUOTE_REPORT_DATA_SIZE)
		return set_error(err, errlen, "short write to %s: %zd of %d bytes", path, n,
				 QUOTE_REPORT_DATA_SIZE);
	return 0;
}

/* Read a whole attribute (to EOF); *out NUL-terminated. 0 or -1 with err. */
static int read_attr(const struct tsm_entry *e, const char *attr, size_t max, char **out,
		     size_t *len, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int r;

	if (attr_path(e, attr, path, sizeof(path)) < 0)
		return set_error(err, errlen, "configfs-tsm entry path too long: %s", e->path);
	r = read_file_all(path, out, len, max);
	if (r < 0)
		return explain_attr(path, "read", -r, err, errlen);
	return 0;
}

/* Strip one trailing LF, in place. */
static void strip_lf(char *s, size_t *len)
{
	if (*len && s[*len - 1] == '\n')
		s[--*len] = '\0';
}

static int read_generation(const struct tsm_entry *e, unsigned long *gen, char *err,
			   size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (read_attr(e, "generation", TSM_SMALL_ATTR_MAX, &text, &len, err, errlen) < 0)
		return -1;
	strip_lf(text, &len);
	if (parse_uint(text, 0, ULONG_MAX, gen) < 0)
		return set_error(err, errlen, "%s/generation: not a decimal number: '%.32s'",
				 e->path, text);
	return 0;
}

static int read_provider(const struct tsm_entry *e, char *out, size_t cap, char *err,
			 size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	size_t len;

	if (read_attr(e, "provider", TSM_SMALL_ATTR_MAX, &text, &len, err, errlen) < 0)
		return -1;
	strip_lf(text, &len);
	if (len == 0 || len >= cap || strlen(text) != len)
		return set_error(err, errlen, "%s/provider: bad provider name", e->path);
	memcpy(out, text, len + 1);
	return 0;
}

static int read_outblob(const struct tsm_entry *e, struct quote_result *r, char *err,
			size_t errlen)
{
	_cleanup_free_ char *blob = NULL;
	size_t len;

	if (read_attr(e, "outblob", QUOTE_MAX_SIZE, &blob, &len, err, errlen) < 0)
		return -1;
	if (len == 0)
		return set_error(err, errlen, "%s/outblob is empty", e->path);
	r->quote = (uint8_t *)TAKE_PTR(blob);
	r->len = len;
	return 0;
}

/*
 * One round: read generation G, write inblob (G+1 if nobody else writes), read outblob and
 * provider, read generation again. *raced: it is not G+1, so the outblob may belong to another
 * writer's inblob. (Reading G before the write also catches a writer between our write and
 * our first look at generation.)
 */
static int tsm_round(const struct tsm_entry *e, const uint8_t rd[64], struct quote_result *r,
		     bool *raced, char *err, size_t errlen)
{
	unsigned long before, after;

	if (read_generation(e, &before, err, errlen) < 0 || write_inblob(e, rd, err, errlen) < 0 ||
	    read_outblob(e, r, err, errlen) < 0 ||
	    read_provider(e, r->provider, sizeof(r->provider), err, errlen) < 0 ||
	    read_generation(e, &after, err, errlen) < 0)
		return -1;
	*raced = after != before + 1;
	if (*raced)
		log_debug("configfs-tsm entry %s: generation %lu -> %lu, expected %lu: raced",
			  e->path, before, after, before + 1);
	return 0;
}

static int quote_configfs(const char *dir, const uint8_t rd[64], struct quote_result *out,
			  char *err, size_t errlen)
{
	_cleanup_tsm_entry_ struct tsm_entry e = { .created = false };
	struct quote_result r = { .quote = NULL };

	if (check_report_dir(dir, err, errlen) < 0 || tsm_entry_create(dir, &e, err, errlen) < 0)
		return -1;
	for (int attempt = 0; attempt <= TSM_RETRIES; attempt++) {
		bool raced = false;

		quote_result_free(&r);
		if (tsm_round(&e, rd, &r, &raced, err, errlen) < 0)
			goto fail;
		if (!raced) {
			*out = r;
			return 0;
		}
	}
	set_error(err, errlen,
		"configfs-tsm entry %s: another writer changed it during each of %d attempts",
		e.path, TSM_RETRIES + 1);
fail:
	quote_result_free(&r);
	return -1;
}

/* ---- sim ------------------------------------------------------------------------------ */

static int quote_sim(const char *runtime_dir, const uint8_t rd[64], struct quote_result *out,
		     char *err, size_t errlen)
{
	_cleanup_free_ char *sim_dir = runtime_path(runtime_dir, RUNTIME_SIM_DIR);
	uint8_t rtmr[SIM_RTMRS][SIM_RTMR_SIZE];
	struct tdx_sim_ca *ca = NULL;
	struct quote_result r = { .quote = NULL };
	char why[400];
	int rc;

	if (!sim_dir)
		return set_error(err, errlen, "out of memory");
	for (unsigned i = 0; i < SIM_RTMRS; i++)
		if (rtmr_sim_read_file(runtime_dir, i, rtmr[i], why, sizeof(why)) < 0)
			return set_error(err, errlen, "%s (the sim provider quotes the registers of "
					 "vtpm-rtmrd --rtmr-backend sim with the same "
					 "--runtime-dir)", why);
	if (tdx_sim_ca_open(sim_dir, &ca, err, errlen) < 0)
		return -1;
	rc = tdx_sim_quote(ca, rd, (const uint8_t(*)[SIM_RTMR_SIZE])rtmr, &r.quote, &r.len, err,
			   errlen);
	tdx_sim_ca_close(ca);
	if (rc < 0)
		return -1;
	snprintf(r.provider, sizeof(r.provider), "sim");
	*out = r;
	return 0;
}

/* ---- dispatch ------------------------------------------------------------------------- */

int quote_get(const struct quote_provider_config *cfg, const uint8_t report_data[64],
	      struct quote_result *out, char *err, size_t errlen)
{
	const char *dir = cfg->configfs_dir ? cfg->configfs_dir : QUOTE_DEFAULT_CONFIGFS_DIR;
	const char *rundir = cfg->runtime_dir ? cfg->runtime_dir : RUNTIME_DIR_DEFAULT;
	char why[512];

	memset(out, 0, sizeof(*out));
	switch (cfg->kind) {
	case QUOTE_PROVIDER_CONFIGFS_TSM:
		return quote_configfs(dir, report_data, out, err, errlen);
	case QUOTE_PROVIDER_SIM:
		return quote_sim(rundir, report_data, out, err, errlen);
	case QUOTE_PROVIDER_AUTO:
		if (check_report_dir(dir, why, sizeof(why)) == 0)
			return quote_configfs(dir, report_data, out, err, errlen);
		return set_error(err, errlen,
				 "no quote provider found: %s; auto never picks the sim provider "
				 "(NO SECURITY): name it explicitly (--quote-provider sim) for "
				 "development",
				 why);
	}
	return set_error(err, errlen, "unknown quote provider kind %d", (int)cfg->kind);
}
