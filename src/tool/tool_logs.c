// SPDX-License-Identifier: MIT
#include "tool/tool_logs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog/eventlog.h"
#include "rtmr_map/rtmr_map.h"
#include "common/runtime_dir.h"
#include "common/safe_fs.h"
#include "common/util.h"

static int rtmr_of_name(const char *path)
{
	const char *base = strrchr(path, '/');
	unsigned long n;
	char num[8];
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (strncmp(base, "rtmr", 4) != 0 || len < 9 || len > 4 + sizeof(num) - 1 + 4 ||
	    strcmp(base + len - 4, ".log") != 0)
		return -1;
	memcpy(num, base + 4, len - 8);
	num[len - 8] = '\0';
	if (parse_uint(num, 0, RTMR_MAX - 1, &n) < 0)
		return -1;
	return (int)n;
}

/* The alg of the first record if it is INIT, else sha384 (TDX). */
static const struct hash_alg *alg_of_text(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct evlog_record rec;
		char err[128];

		if (!evlog_line_is_comment(p, l)) {
			if (evlog_parse_record(p, l, &rec, err, sizeof(err)) == 0 &&
			    rec.kind == EVLOG_INIT)
				return rec.alg;
			break;
		}
		p += l + 1;
	}
	return hash_alg_by_name("sha384");
}

/*
 * Read a log: a file named on the command line as any program would (dfd AT_FDCWD), one
 * found in the runtime directory the safe way (safe_fs.h); -ENOENT of the latter is no error.
 */
static int add_log(struct tool_logs *logs, int dfd, const char *name, const char *path, char *err,
		   size_t errlen)
{
	struct tool_log *l;
	int r;

	if (logs->n == TOOL_MAX_LOGS)
		return set_error(err, errlen, "too many logs (at most %d)", TOOL_MAX_LOGS);
	l = &logs->log[logs->n];
	memset(l, 0, sizeof(*l));
	if (dfd == AT_FDCWD)
		r = read_file_all(path, &l->text, &l->len, 256u << 20);
	else
		r = safe_read_all(dfd, name, &l->text, &l->len, 256u << 20);
	if (r == -ENOENT && dfd != AT_FDCWD)
		return 0;
	if (r < 0)
		return set_error(err, errlen, "cannot read %s: %s", path, safe_fs_strerror(r));
	l->path = strdup(path);
	l->rtmr = rtmr_of_name(path);
	l->alg = alg_of_text(l->text, l->len);
	logs->n++;
	return l->path ? 0 : -1;
}

int tool_logs_load(struct tool_logs *logs, const char *runtime_dir, char **files, size_t nfiles,
		   char *err, size_t errlen)
{
	_cleanup_close_ int dfd = -1;

	memset(logs, 0, sizeof(*logs));
	for (size_t i = 0; i < nfiles; i++)
		if (add_log(logs, AT_FDCWD, files[i], files[i], err, errlen) < 0)
			return -1;
	if (nfiles)
		return 0;
	dfd = safe_dir_open(runtime_dir, "runtime directory", SAFE_DIR_READ, 0, err, errlen);
	if (dfd < 0)
		return -1;
	for (unsigned i = 0; i < RTMR_MAX; i++) {
		char name[RUNTIME_NAME_MAX];
		_cleanup_free_ char *path = runtime_path(runtime_dir, runtime_log_name(i, name));

		if (!path)
			return -1;
		if (add_log(logs, dfd, name, path, err, errlen) < 0)
			return -1;
	}
	if (logs->n == 0)
		return set_error(err, errlen, "no event logs (rtmr<N>.log) in %s", runtime_dir);
	return 0;
}

void tool_logs_free(struct tool_logs *logs)
{
	for (size_t i = 0; i < logs->n; i++) {
		free(logs->log[i].path);
		free(logs->log[i].text);
	}
	logs->n = 0;
}
