/* SPDX-License-Identifier: MIT */
/*
 * What the FUSE emulations of kernel files (fake_tsm_mr, fake_configfs_tsm) share: the
 * operations a sysfs or configfs file system refuses, an uncached mount (every read and
 * write reaches the tool, as every access reaches the kernel's attribute code), and the
 * foreground mount loop that prints "ready". Include after <fuse.h> (FUSE_USE_VERSION 31).
 */
#ifndef VTPM_TESTS_FUSE_TOOL_H
#define VTPM_TESTS_FUSE_TOOL_H

#include <errno.h>
#include <stdio.h>

/* The VFS answers EACCES for create and EPERM for the rest on a directory without the op. */
static inline int fuse_tool_refuse_create(const char *path, mode_t mode,
					  struct fuse_file_info *fi)
{
	(void)path;
	(void)mode;
	(void)fi;
	return -EACCES;
}

static inline int fuse_tool_refuse_mknod(const char *path, mode_t mode, dev_t dev)
{
	(void)path;
	(void)mode;
	(void)dev;
	return -EPERM;
}

static inline int fuse_tool_refuse_path(const char *path)
{
	(void)path;
	return -EPERM;
}

static inline int fuse_tool_refuse_mkdir(const char *path, mode_t mode)
{
	(void)path;
	(void)mode;
	return -EPERM;
}

static inline int fuse_tool_refuse_rename(const char *from, const char *to, unsigned int flags)
{
	(void)from;
	(void)to;
	(void)flags;
	return -EPERM;
}

static inline int fuse_tool_refuse_link(const char *from, const char *to)
{
	(void)from;
	(void)to;
	return -EPERM;
}

static inline int fuse_tool_refuse_chmod(const char *path, mode_t mode,
					 struct fuse_file_info *fi)
{
	(void)path;
	(void)mode;
	(void)fi;
	return -EPERM;
}

static inline int fuse_tool_refuse_chown(const char *path, uid_t uid, gid_t gid,
					 struct fuse_file_info *fi)
{
	(void)path;
	(void)uid;
	(void)gid;
	(void)fi;
	return -EPERM;
}

/* No caching anywhere: direct I/O, no entry/attribute/negative caching, removal at once. */
static inline void *fuse_tool_init_uncached(struct fuse_conn_info *conn,
					    struct fuse_config *cfg)
{
	(void)conn;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->hard_remove = 1;
	return NULL;
}

/*
 * Mount ops at mountpoint as file system `name` and serve in the foreground, single-threaded,
 * until SIGTERM/SIGINT/SIGHUP; "ready" on stdout once mounted. 0, or 1 on failure.
 */
static inline int fuse_tool_serve(const char *name, const struct fuse_operations *ops,
				  size_t ops_size, const char *mountpoint)
{
	char fsname[128];
	char *fargv[] = { (char *)name, "-o", fsname, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	struct fuse *fuse;
	int rc = 1;

	snprintf(fsname, sizeof(fsname), "fsname=%s,subtype=%s", name, name);
	fuse = fuse_new(&args, ops, ops_size, NULL);
	if (!fuse)
		goto out_args;
	if (fuse_mount(fuse, mountpoint) != 0)
		goto out_destroy;
	if (fuse_set_signal_handlers(fuse_get_session(fuse)) != 0)
		goto out_unmount;
	printf("ready\n");
	fflush(stdout);
	rc = fuse_loop(fuse) < 0 ? 1 : 0;
	fuse_remove_signal_handlers(fuse_get_session(fuse));
out_unmount:
	fuse_unmount(fuse);
out_destroy:
	fuse_destroy(fuse);
out_args:
	fuse_opt_free_args(&args);
	return rc;
}

#endif
