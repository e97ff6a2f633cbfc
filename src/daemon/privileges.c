// SPDX-License-Identifier: MIT
/* --runas: become an unprivileged user with no capabilities after setup (privileges.h). */
#include "daemon/privileges.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

int privileges_resolve(const char *user, struct runas *ra, char *err, size_t errlen)
{
	struct passwd *pw;

	*ra = (struct runas){ 0 };
	if (!user)
		return 0;
	errno = 0;
	pw = getpwnam(user);
	if (!pw)
		return set_error(err, errlen, "--runas %s: %s", user,
				 errno ? strerror(errno) : "no such user (systemd-sysusers "
				 "creates vtpm-rtmr from /usr/lib/sysusers.d/vtpm-rtmr.conf)");
	if (pw->pw_uid == 0)
		return set_error(err, errlen, "--runas %s: that is root; name an unprivileged user",
				 user);
	if (geteuid() != 0 && geteuid() != pw->pw_uid)
		return set_error(err, errlen, "--runas %s: only root can become another user",
				 user);
	ra->set = true;
	ra->uid = pw->pw_uid;
	ra->gid = pw->pw_gid;
	snprintf(ra->name, sizeof(ra->name), "%s", user);
	return 0;
}

/* The highest capability this kernel knows. */
static int last_cap(void)
{
	_cleanup_free_ char *text = NULL;
	unsigned long v;

	if (read_file_all("/proc/sys/kernel/cap_last_cap", &text, NULL, 32) == 0) {
		text[strcspn(text, "\n")] = '\0';
		if (parse_uint(text, 0, 63, &v) == 0)
			return (int)v;
	}
	return CAP_LAST_CAP;
}

/* The bounding set, emptied while CAP_SETPCAP is still there; false when it could not be. */
static bool drop_bounding_set(void)
{
	bool all = true;

	for (int cap = 0; cap <= last_cap(); cap++)
		if (prctl(PR_CAPBSET_READ, cap) == 1 && prctl(PR_CAPBSET_DROP, cap) < 0)
			all = false;
	return all;
}

/* Every capability set of this thread is empty. */
static bool no_capabilities(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return false;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_SYS_ADMIN, 0, 0) != 1;
}

static int switch_user(const struct runas *ra, char *err, size_t errlen)
{
	if (setgroups(0, NULL) < 0 && geteuid() == 0)
		return set_error(err, errlen, "--runas %s: setgroups: %s", ra->name,
				 strerror(errno));
	if (setresgid(ra->gid, ra->gid, ra->gid) < 0)
		return set_error(err, errlen, "--runas %s: setresgid(%u): %s", ra->name,
				 (unsigned)ra->gid, strerror(errno));
	if (setresuid(ra->uid, ra->uid, ra->uid) < 0)
		return set_error(err, errlen, "--runas %s: setresuid(%u): %s", ra->name,
				 (unsigned)ra->uid, strerror(errno));
	return 0;
}

/* Empty this thread's effective, permitted and inheritable sets. 0, or -1 with errno. */
static int capset_none(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = { { 0 } };

	return (int)syscall(SYS_capset, &h, none);
}

/* root with --runas: become ra's user with no capability left. */
static int become_user(const struct runas *ra, char *err, size_t errlen)
{
	bool bounding;

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	bounding = drop_bounding_set();
	/* without SECBIT_KEEP_CAPS, leaving uid 0 clears the permitted and effective sets */
	if (switch_user(ra, err, errlen) < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return set_error(err, errlen, "--runas: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	if (!no_capabilities() || setuid(0) == 0)
		return set_error(err, errlen, "--runas %s: capabilities remain after the switch",
				 ra->name);
	log_info("running as %s (uid %u, gid %u) without capabilities%s", ra->name,
		 (unsigned)ra->uid, (unsigned)ra->gid,
		 bounding ? "" : "; the bounding set stays (no CAP_SETPCAP to empty it)");
	return 0;
}

/*
 * Not root, but started with capabilities (the unit's User= with AmbientCapabilities=
 * CAP_SYS_ADMIN CAP_DAC_OVERRIDE, for the proxy's ioctl and the root-only device and register
 * files): give them all up. Only capset(2) and prctl(2): no uid changes, which the unit's
 * SystemCallFilter= does not allow.
 */
static int drop_capabilities(char *err, size_t errlen)
{
	bool had = !no_capabilities();

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (had && capset_none() < 0)
		return set_error(err, errlen, "cannot drop the capabilities: capset: %s",
				 strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return set_error(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	if (!no_capabilities())
		return set_error(err, errlen, "capabilities remain after capset");
	if (had)
		log_info("running as uid %u, gid %u; the capabilities it started with are dropped",
			 (unsigned)geteuid(), (unsigned)getegid());
	return 0;
}

void privileges_drop_thread_capabilities(void)
{
	if (geteuid() != 0 && !no_capabilities() && capset_none() < 0)
		log_warn("a thread could not drop its capabilities: capset: %s", strerror(errno));
}

int privileges_drop(const struct runas *ra, char *err, size_t errlen)
{
	if (geteuid() == 0)
		return ra->set ? become_user(ra, err, errlen) : 0;
	return drop_capabilities(err, errlen);
}
