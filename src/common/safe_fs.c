// SPDX-License-Identifier: MIT
/* Files in the directories the daemon writes as root: see safe_fs.h. */
#include "common/safe_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

#define SAFE_OPEN_FLAGS (O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)

static uid_t daemon_uid = (uid_t)-1;
static gid_t daemon_gid = (gid_t)-1;
static uid_t trusted_uid = (uid_t)-1;

void safe_fs_set_user(uid_t uid, gid_t gid)
{
	daemon_uid = uid;
	daemon_gid = gid;
}

void safe_fs_trust_user(uid_t uid)
{
	trusted_uid = uid;
}

static uid_t user_uid(void)
{
	return daemon_uid == (uid_t)-1 ? geteuid() : daemon_uid;
}

bool safe_fs_trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid() || uid == user_uid() ||
	       (trusted_uid != (uid_t)-1 && uid == trusted_uid);
}

/* An ancestor: a trusted owner, and writable by others only with the sticky bit (/tmp). */
static int check_ancestor(int fd, const char *path, const char *what, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return set_error(err, errlen, "cannot stat %s (on the way to the %s): %s", path,
				 what, strerror(errno));
	if (!safe_fs_trusted_owner(st.st_uid))
		return set_error(err, errlen, "%s (on the way to the %s) is owned by uid %u, who "
				 "could replace what is in it: use a directory whose every parent "
				 "belongs to root or to the daemon's user", path, what,
				 (unsigned)st.st_uid);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
		return set_error(err, errlen, "%s (on the way to the %s) is writable by group or "
				 "others without the sticky bit (mode %04o): chmod go-w %s",
				 path, what, (unsigned)(st.st_mode & 07777), path);
	return 0;
}

/* Walk the resolved ancestor path from / with O_PATH | O_NOFOLLOW, checking each. */
static int open_ancestors(const char *resolved, const char *what, char *err, size_t errlen)
{
	_cleanup_free_ char *copy = strdup(resolved);
	char *save = NULL, *comp;
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char walked[PATH_MAX] = "";

	if (!copy || fd < 0) {
		if (fd >= 0)
			close(fd);
		return set_error(err, errlen, "cannot open / : %s", strerror(errno ? errno : ENOMEM));
	}
	if (check_ancestor(fd, "/", what, err, errlen) < 0)
		goto fail;
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		int next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		snprintf(walked + strlen(walked), sizeof(walked) - strlen(walked), "/%s", comp);
		if (next < 0) {
			set_error(err, errlen, "cannot open %s (on the way to the %s): %s", walked,
				  what, strerror(errno));
			goto fail;
		}
		close(fd);
		fd = next;
		if (check_ancestor(fd, walked, what, err, errlen) < 0)
			goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* The parent's resolved path and the last component of path (trailing slashes dropped). */
static int split_path(const char *path, unsigned flags, char **parent, char **last)
{
	_cleanup_free_ char *copy = strdup(path);
	char *slash, *dir;
	size_t n;

	if (!copy)
		return -ENOMEM;
	n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	slash = strrchr(copy, '/');
	if (!slash) {
		dir = ".";
		*last = strdup(copy);
	} else {
		*slash = '\0';
		dir = slash == copy ? "/" : copy;
		*last = strdup(slash + 1);
	}
	if (!*last)
		return -ENOMEM;
	if (!**last || !strcmp(*last, ".") || !strcmp(*last, ".."))
		return -EINVAL;
	if (flags & SAFE_DIR_CREATE)
		(void)mkdir_p(dir, 0755); /* the walk below judges what is there */
	*parent = realpath(dir, NULL);
	return *parent ? 0 : -errno;
}

/* The last component: not a symbolic link, created with mode when asked. */
static int open_last(int pfd, const char *path, const char *last, const char *what,
		     unsigned flags, mode_t mode, char *err, size_t errlen)
{
	int oflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	bool made = false;
	struct stat st;
	int fd;

	fd = openat(pfd, last, oflags);
	if (fd < 0 && errno == ENOENT && (flags & SAFE_DIR_CREATE)) {
		if (mkdirat(pfd, last, mode) < 0 && errno != EEXIST)
			return set_error(err, errlen, "cannot create %s %s: %s", what, path,
					 strerror(errno));
		made = errno != EEXIST;
		fd = openat(pfd, last, oflags);
	}
	if (fd >= 0 && made && fchmod(fd, mode) < 0) {
		set_error(err, errlen, "cannot set the mode of %s %s: %s", what, path,
			  strerror(errno));
		close(fd);
		return -1;
	}
	if (fd >= 0)
		return fd;
	if (fstatat(pfd, last, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return set_error(err, errlen, "%s %s is a symbolic link: refused (it could point "
				 "anywhere); remove it, or choose another directory", what, path);
	return set_error(err, errlen, "cannot open %s %s: %s", what, path, strerror(errno));
}

/* The directory itself: the daemon's user's (made so when root may), writable by it only. */
static int check_dir(int fd, const char *path, const char *what, unsigned flags, char *err,
		     size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return set_error(err, errlen, "cannot stat %s %s: %s", what, path, strerror(errno));
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return set_error(err, errlen, "%s %s is writable by group or others (mode %04o): "
				 "anyone could plant files in it; chmod go-w %s, or choose "
				 "another directory", what, path, (unsigned)(st.st_mode & 07777),
				 path);
	/* a directory another trusted user keeps (the tool beside a --runas daemon) is left so */
	if (!(flags & SAFE_DIR_KEEP) || st.st_uid == user_uid() || daemon_uid == (uid_t)-1) {
		if (safe_fs_trusted_owner(st.st_uid))
			return 0;
	} else if (safe_fs_trusted_owner(st.st_uid) && geteuid() == 0) {
		if (fchown(fd, user_uid(), daemon_gid) == 0)
			return 0;
		return set_error(err, errlen, "cannot give %s %s to uid %u: %s", what, path,
				 (unsigned)user_uid(), strerror(errno));
	}
	return set_error(err, errlen, "%s %s is owned by uid %u, not by the daemon's user (uid "
			 "%u): chown it, or choose another directory", what, path,
			 (unsigned)st.st_uid, (unsigned)user_uid());
}

int safe_dir_open(const char *path, const char *what, unsigned flags, mode_t mode, char *err,
		  size_t errlen)
{
	_cleanup_free_ char *parent = NULL, *last = NULL;
	_cleanup_close_ int pfd = -1;
	int fd, r;

	if (!path || !*path)
		return set_error(err, errlen, "the %s must not be empty", what);
	r = split_path(path, flags, &parent, &last);
	if (r == -EINVAL)
		return set_error(err, errlen, "the %s must name a directory below /: %s", what,
				 path);
	if (r < 0)
		return set_error(err, errlen, "cannot resolve the parent of %s %s: %s", what, path,
				 strerror(-r));
	pfd = open_ancestors(parent, what, err, errlen);
	if (pfd < 0)
		return -1;
	fd = open_last(pfd, path, last, what, flags, mode, err, errlen);
	if (fd < 0)
		return -1;
	if (check_dir(fd, path, what, flags, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int check_file(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (!safe_fs_trusted_owner(st.st_uid) || st.st_nlink > 1)
		return -EPERM;
	return 0;
}

/* Open without creating; O_NONBLOCK until the type is known (a FIFO would block). */
static int open_existing(int dfd, const char *name, int flags)
{
	int fd = openat(dfd, name, (flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | SAFE_OPEN_FLAGS |
			O_NONBLOCK);
	int r;

	if (fd < 0)
		return -errno;
	r = check_file(fd);
	if (r == 0 && !(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK))
		r = -errno;
	if (r == 0 && (flags & O_TRUNC) && ftruncate(fd, 0) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int safe_openat(int dfd, const char *name, int flags, mode_t mode)
{
	int fd;

	if (!(flags & O_CREAT))
		return open_existing(dfd, name, flags);
	fd = openat(dfd, name, flags | O_EXCL | SAFE_OPEN_FLAGS, mode);
	if (fd >= 0) {
		if (fchmod(fd, mode) < 0) {
			int r = -errno;

			close(fd);
			return r;
		}
		return fd;
	}
	if (errno != EEXIST || (flags & O_EXCL))
		return -errno;
	return open_existing(dfd, name, flags);
}

const char *safe_fs_strerror(int r)
{
	switch (r) {
	case -ELOOP:
		return "is a symbolic link (refused: it could point anywhere)";
	case -EPERM:
		return "belongs to another user or has several hard links (refused)";
	case -EINVAL:
		return "is not a regular file";
	default:
		return strerror(-r);
	}
}

int safe_read_all(int dfd, const char *name, char **out, size_t *outlen, size_t max)
{
	_cleanup_close_ int fd = safe_openat(dfd, name, O_RDONLY, 0);

	if (fd < 0)
		return fd;
	return read_fd_all(fd, out, outlen, max);
}

int safe_read_in_dir(const char *dir, const char *what, const char *name, char **out,
		     size_t *outlen, size_t max, char *err, size_t errlen)
{
	_cleanup_close_ int dfd = safe_dir_open(dir, what, SAFE_DIR_READ, 0, err, errlen);
	int r;

	if (dfd < 0)
		return -EPERM;
	r = safe_read_all(dfd, name, out, outlen, max);
	if (r < 0)
		set_error(err, errlen, "cannot read %s/%s: %s", dir, name, safe_fs_strerror(r));
	return r;
}

int safe_write_atomic(int dfd, const char *name, const void *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	int r;

	if (asprintf(&tmp, "%s.tmp", name) < 0)
		return -ENOMEM;
	if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT)
		return -errno;
	fd = safe_openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		return fd;
	r = write_full(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && close(take_fd(&fd)) < 0)
		r = -errno;
	if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dfd, tmp, 0);
		return r;
	}
	return fsync(dfd) < 0 ? -errno : 0;
}

int safe_write_if_changed(int dfd, const char *name, const void *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *old = NULL;
	size_t oldlen;

	if (safe_read_all(dfd, name, &old, &oldlen, len) == 0 && oldlen == len &&
	    memcmp(old, data, len) == 0)
		return 0;
	return safe_write_atomic(dfd, name, data, len, mode);
}

int safe_dir_chown_tree(int dfd)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (geteuid() != 0 || user_uid() == 0)
		return 0;
	if (fchown(dfd, user_uid(), daemon_gid) < 0)
		return -errno;
	fd = dup(dfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d))) {
		struct stat st;

		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (fchownat(dfd, de->d_name, user_uid(), daemon_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	}
	return -errno;
}
