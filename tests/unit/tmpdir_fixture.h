/* SPDX-License-Identifier: MIT */
/* A private temporary directory per cmocka test, and small file helpers for it.
 * Include after <cmocka.h>; define TMPDIR_PREFIX (e.g. "/tmp/test_x") before including. */
#ifndef VTPM_TEST_TMPDIR_FIXTURE_H
#define VTPM_TEST_TMPDIR_FIXTURE_H

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tmp {
	char root[64];
	char err[1024];
};

static int setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->root, sizeof(t->root), "%s.XXXXXX", TMPDIR_PREFIX);
	if (!mkdtemp(t->root)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown_tmp(void **state)
{
	struct tmp *t = *state;
	char cmd[128];
	int r;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	r = system(cmd);
	free(t);
	return r == 0 ? 0 : -1;
}

static inline void path_join(char *out, const char *a, const char *b)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", a, b);

	assert_true(n > 0 && n < PATH_MAX);
}

static inline void write_bytes(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

#endif
