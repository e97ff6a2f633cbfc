// SPDX-License-Identifier: MIT
/*
 * The daemon's system call allow-list. Installed after set-up (daemon.c, confine()), so it
 * lists only what serving and stopping need; everything set-up does (libtpms manufacture,
 * mkdir, bind, the vtpm_proxy ioctl, loading libsystemd) is done by then. Names, not numbers:
 * libseccomp resolves them for the native architecture and skips what it lacks.
 *
 * Not here, on purpose: execve and every other way to run a program, fork and clone (no
 * thread starts after set-up), socket families other than AF_UNIX (sd_notify), ioctl other
 * than the RTMR backends' requests, mapping memory executable, mkdir, chmod/chown by path,
 * ptrace, mount, module and key management, and the calls of the privilege drop (done before).
 *
 * Note: io_uring requests (the socket transport's accept, recv and send) are not system calls
 * and are not seen by seccomp; io_uring_enter itself is.
 */
#include "daemon/seccomp_filter.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "rtmr_map/rtmr_backend.h"

static const char *const allowed[] = {
	/* memory: malloc, OpenSSL, libtpms (mmap and mprotect: see the rules below) */
	"brk", "munmap", "mremap", "madvise",
	/* threads, locks, signals: the IMA bridge thread, its exit, signalfd reads */
	"futex", "set_robust_list", "rseq", "sched_yield", "gettid", "getpid", "rt_sigprocmask",
	"rt_sigreturn", "restart_syscall", "exit", "exit_group",
	/* time (normally the vDSO) and timeouts */
	"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep", "clock_nanosleep",
	/* credentials, read only (sd_notify) */
	"getuid", "geteuid", "getgid", "getegid",
	/* files: event-log appends and roll-back, state writes (write, fsync, rename into place,
	 * fsync the directory), the device and tcti files, sim and sysfs registers, IMA list */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close", "openat",
	"fstat", "newfstatat", "statx", "stat", "lstat", "access", "faccessat", "faccessat2",
	"fstatfs", /* an append that failed: is the file system full? */
	"fsync", "fdatasync", "ftruncate", "rename", "renameat", "renameat2", "unlink",
	"unlinkat", "fcntl", "flock", "fchmod", "getdents64",
	/* waiting: the vtpm_proxy loop's poll(), the socket transport's epoll loop (made when it
	 * starts to serve) or io_uring, the IMA bridge's timer */
	"poll", "ppoll", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	/* the socket transport's connections and sd_notify's datagram (socket: AF_UNIX only) */
	"accept4", "accept", "recvfrom", "recvmsg", "sendto", "sendmsg", "shutdown", "connect",
	"getsockopt", "setsockopt",
	/* OpenSSL and libtpms */
	"getrandom",
};

#if defined(__SANITIZE_ADDRESS__)
/*
 * Test builds only (-fsanitize=address): at exit LeakSanitizer stops the world — it clones a
 * tracer (a process sharing our memory: a call it may not make kills it alone, and the daemon
 * then waits for it for ever) that ptrace()s every thread and lists /proc/self/task with the
 * sanitizer's own raw open and getdents; it reads /proc/self/maps; and a report spawns
 * llvm-symbolizer. A production build has none of these.
 */
static const char *const allowed_sanitizer[] = {
	"clone", "clone3", "ptrace", "wait4", "waitid", "prctl", "sigaltstack", "rt_sigaction",
	"getppid", "open", "getdents", "readlink", "readlinkat", "kill", "tgkill", "tkill",
	"getrlimit", "prlimit64", "sched_getaffinity", "execve", "pipe", "pipe2", "dup", "dup2",
	"dup3", "fork", "vfork",
};
#endif

static int allow_name(scmp_filter_ctx ctx, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a system call on this architecture */
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

static int allow_names(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = allow_name(ctx, names[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

/* Calls allowed only with some arguments. */
static int allow_restricted(scmp_filter_ctx ctx)
{
	const unsigned long *cmds;
	size_t ncmds = rtmr_backend_ioctls(&cmds);
	pid_t self = getpid();
	int r = 0;

	/* memory, never executable: nothing is loaded after set-up */
	r = r ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				 SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	r = r ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				 SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* sd_notify's socket */
	r = r ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				 SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	/* signals to this process only: raise() and abort() (the crash test hook) */
	r = r ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				 SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
	r = r ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
				 SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self));
	/* the tdx-ioctl backend's requests; the kernel reads the request as 32 bits */
	for (size_t i = 0; i < ncmds && !r; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1_32(SCMP_CMP_EQ, (uint32_t)cmds[i]));
	return r;
}

/* Can this kernel filter with the actions we use? NULL if so, else why not. */
static const char *unavailable(void)
{
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
		return "the kernel has no seccomp support (CONFIG_SECCOMP)";
	/* level 3: the kernel has SECCOMP_RET_KILL_PROCESS and SECCOMP_RET_LOG (Linux 4.14) */
	if (seccomp_api_get() < 3)
		return "the kernel lacks seccomp filters with the log and kill-process actions "
		       "(Linux 4.14)";
	return NULL;
}

static int build_and_load(scmp_filter_ctx ctx)
{
	int r = 0;

	/* no_new_privs: a process without CAP_SYS_ADMIN (after a privilege drop) needs it */
	r = r ?: seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	/* every thread: the IMA bridge's runs already */
	r = r ?: seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	r = r ?: allow_names(ctx, allowed, ARRAY_SIZE(allowed));
#if defined(__SANITIZE_ADDRESS__)
	r = r ?: allow_names(ctx, allowed_sanitizer, ARRAY_SIZE(allowed_sanitizer));
#endif
	r = r ?: allow_restricted(ctx);
	r = r ?: seccomp_load(ctx);
	return r;
}

int seccomp_filter_install(enum seccomp_mode mode, char *err, size_t errlen)
{
	uint32_t action = mode == SECCOMP_MODE_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
	const char *why;
	scmp_filter_ctx ctx;
	int r;

	if (mode == SECCOMP_MODE_OFF) {
		log_info("no system call filter (--seccomp off)");
		return 0;
	}
	why = unavailable();
	if (why) {
		log_warn("no system call filter: %s", why);
		return 0;
	}
	ctx = seccomp_init(action);
	if (!ctx)
		return set_error(err, errlen, "cannot set up the system call filter (seccomp_init)");
	/* a call of a foreign architecture's ABI (e.g. int 0x80 on x86_64) is off the list too */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, action);
	r = r ?: build_and_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return set_error(err, errlen, "cannot install the system call filter: %s",
				 strerror(-r));
	log_info("system call filter installed: a call off the list %s",
		 mode == SECCOMP_MODE_LOG ? "is logged (audit)" : "kills the daemon (SIGSYS)");
	return 0;
}

void seccomp_filter_test_violation(void)
{
	struct utsname u;

	log_warn("test hook VTPM_RTMR_TEST_SECCOMP_VIOLATION: calling uname(2), which the system "
		 "call filter forbids");
	if (syscall(SYS_uname, &u) == 0)
		log_warn("test hook: uname(2) returned (%s): no filter stopped it", u.sysname);
	else
		log_warn("test hook: uname(2) failed: %s", strerror(errno));
}
