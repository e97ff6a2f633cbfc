/* SPDX-License-Identifier: MIT */
/*
 * Files in the directories the daemon writes as root (DESIGN.md, "File safety"): the runtime
 * directory, the state directory, the sim registers. A directory is reached component by
 * component without following a symbolic link in its own name, through ancestors that only
 * root or the daemon's user can change (or sticky ones, like /tmp); it must belong to the
 * daemon's user and be writable by nobody else. Files in it are opened relative to its
 * descriptor with O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, must be regular files with one link owned
 * by root or the daemon's user, and are created with their mode whatever the umask.
 * `vtpm-rtmr` reads the logs the same way (SAFE_DIR_READ).
 */
#ifndef VTPM_RTMR_SAFE_FS_H
#define VTPM_RTMR_SAFE_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The daemon's user (--runas; by default the effective user): trusted as an owner besides
 * root and the effective user, and the owner safe_dir_open gives a directory it keeps. */
void safe_fs_set_user(uid_t uid, gid_t gid);
/* One more user trusted as an owner, given nothing (vtpm-rtmr trusts the daemon's user). */
void safe_fs_trust_user(uid_t uid);
bool safe_fs_trusted_owner(uid_t uid);

enum safe_dir_flags {
	SAFE_DIR_CREATE = 1 << 0, /* make it (and missing ancestors, 0755) when absent */
	SAFE_DIR_KEEP = 1 << 1,   /* the daemon writes in it: it must be (is made) its user's */
	SAFE_DIR_READ = 0,        /* only read: any trusted owner, still writable by nobody else */
};

/*
 * Open directory path (O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) after the checks above; what
 * names it in messages ("runtime directory"). A directory SAFE_DIR_CREATE makes gets mode,
 * whatever the umask. Returns the descriptor, or -1 with a message that names the directory
 * and the fix.
 */
int safe_dir_open(const char *path, const char *what, unsigned flags, mode_t mode, char *err,
		  size_t errlen);

/*
 * openat(dfd, name, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC) of a regular file; with O_CREAT
 * a file this call creates gets mode exactly. Returns the descriptor or -errno: -ELOOP for a
 * symbolic link, -EPERM for a file of another owner or with several links, -EINVAL for one
 * that is not a regular file; safe_fs_strerror names these.
 */
int safe_openat(int dfd, const char *name, int flags, mode_t mode);
const char *safe_fs_strerror(int r);

/* Read a whole (small) file relative to dfd the safe way; -errno as safe_openat, -EFBIG. */
int safe_read_all(int dfd, const char *name, char **out, size_t *outlen, size_t max);

/* Read name in directory dir (SAFE_DIR_READ): -errno with err set (what names the directory). */
int safe_read_in_dir(const char *dir, const char *what, const char *name, char **out,
		     size_t *outlen, size_t max, char *err, size_t errlen);

/* Crash-safe replacement of name in dfd: "<name>.tmp" made exclusively with mode, written,
 * fsync'ed, renamed over name, the directory fsync'ed. -errno on error. */
int safe_write_atomic(int dfd, const char *name, const void *data, size_t len, mode_t mode);
/* The same, unless name already holds exactly these bytes. */
int safe_write_if_changed(int dfd, const char *name, const void *data, size_t len, mode_t mode);

/* Give a directory the daemon keeps, and the regular files directly in it, to its user
 * (before the daemon drops root: --runas). -errno on error. */
int safe_dir_chown_tree(int dfd);

#endif
