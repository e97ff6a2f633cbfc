#!/bin/sh
# The system call filter (--seccomp, issue #14). After set-up the daemon runs under an
# allow-list; the test hook VTPM_RTMR_TEST_SECCOMP_VIOLATION=1 makes it call uname(2), which
# the list forbids, right after the filter is installed. Then:
#   kill (the default)  the kernel kills the daemon with SIGSYS (exit status 128+31);
#   log                 the call goes through, the kernel logs it (audit record type 1326 in
#                       the kernel log, when this machine lets us read it), the daemon serves;
#   off                 no filter: /proc/PID/status says "Seccomp: 0", the call goes through.
# Everything else of make check runs with the default filter, so this test only shows that a
# forbidden call is stopped; the other tests show that nothing the daemon needs is.
. tests/integration/lib.sh
t_init seccomp

PORT=$(free_port_pair)
RT="$T_DIR/run"
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
DARGS="--port $PORT --runtime-dir $RT --rtmr-backend sim --quote-provider sim --ima-bridge off"
DIGEST=$(printf '%064d' 14)
# uname's number on this architecture, for the kernel's audit record
NR_UNAME=$(printf '#include <sys/syscall.h>\nSYS_uname\n' | cpp -P - | tail -1)
KLOG_OK=0
dmesg >/dev/null 2>&1 && KLOG_OK=1
KLOG_START=$(dmesg 2>/dev/null | wc -l)

status_field() { # PID FIELD: a line of /proc/PID/status
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# audit_check LABEL PID SIG: the kernel logged a seccomp record of uname for PID with signal
# SIG. The kernel rate-limits these messages: one it says it suppressed is not a failure.
# Sets AUDIT to what was seen.
audit_check() {
	AUDIT="not readable on this machine"
	if [ $KLOG_OK = 0 ]; then
		echo "info: the kernel log is not readable here: no audit record checked"
		return
	fi
	i=0
	while [ $i -lt 40 ]; do
		if dmesg | grep "type=1326" | grep " pid=$2 " | grep -q "sig=$3 .*syscall=$NR_UNAME "; then
			pass "$1: the kernel logged it (audit type 1326, sig=$3)"
			AUDIT="seen in the kernel log"
			return
		fi
		sleep 0.05
		i=$((i + 1))
	done
	if dmesg | tail -n +"$KLOG_START" | grep -q "kauditd_printk_skb: .* callbacks suppressed"; then
		echo "info: $1: no audit record, but the kernel suppressed some (rate limit)"
		AUDIT="suppressed by the kernel's rate limit"
	else
		fail "$1: the kernel logged it (audit type 1326, sig=$3)"
		AUDIT="missing"
	fi
}

# 1. the default: the filter is on and the daemon works and stops cleanly through it
# shellcheck disable=SC2086
start_daemon "$T_DIR/default.log" $DARGS || { fail "daemon start"; t_done; exit 1; }
check "default: the log says the filter kills" \
	grep -q "system call filter installed: a call off the list kills the daemon" "$T_DIR/default.log"
check_eq "default: /proc/PID/status Seccomp (2 = filter)" 2 "$(status_field "$DAEMON_PID" Seccomp)"
check_eq "default: /proc/PID/status NoNewPrivs" 1 "$(status_field "$DAEMON_PID" NoNewPrivs)"
check "default: tpm2_pcrextend, pcrread, getrandom, startup are served" sh -c \
	"tpm2_pcrextend 8:sha256=$DIGEST && tpm2_pcrread sha256:8 >/dev/null &&
	 tpm2_getrandom 8 >/dev/null && tpm2_startup -c"
check "default: log verify" "$TOOL" --runtime-dir "$RT" --rtmr-backend sim log verify
stop_daemon
check_eq "default: SIGTERM: exit status 0 (teardown and the sanitizer's exit under the filter)" \
	0 "$?"

# 2. kill: a forbidden call kills the daemon
export VTPM_RTMR_TEST_SECCOMP_VIOLATION=1
# shellcheck disable=SC2086
"$DAEMON" $DARGS --seccomp kill >"$T_DIR/kill.log" 2>&1 &
pid=$!
wait "$pid" 2>/dev/null
kill_rc=$?
check_eq "kill: the forbidden call killed the daemon with SIGSYS (status 128+31)" 159 "$kill_rc"
check "kill: it was the test hook's call" grep -q "test hook .*calling uname" "$T_DIR/kill.log"
check_fails "kill: the call never returned" grep -q "uname(2) returned" "$T_DIR/kill.log"
check_fails "kill: nothing was served" grep -q "serving" "$T_DIR/kill.log"
audit_check kill "$pid" 31
kill_audit=$AUDIT

# 3. log: the call is let through and logged; the daemon serves
# shellcheck disable=SC2086
start_daemon "$T_DIR/log.log" $DARGS --seccomp log ||
	fail "log: daemon start"
check "log: the log says calls off the list are logged" \
	grep -q "system call filter installed: a call off the list is logged" "$T_DIR/log.log"
check "log: the forbidden call returned" grep -q "uname(2) returned" "$T_DIR/log.log"
check_eq "log: /proc/PID/status Seccomp" 2 "$(status_field "$DAEMON_PID" Seccomp)"
check "log: the daemon serves" tpm2_pcrextend "8:sha256=$DIGEST"
audit_check log "$DAEMON_PID" 0
log_audit=$AUDIT
stop_daemon
check_eq "log: SIGTERM: exit status 0" 0 "$?"

# 4. off, from the configuration file: no filter at all
printf 'seccomp = off\n' >"$T_DIR/off.conf"
# shellcheck disable=SC2086
start_daemon "$T_DIR/off.log" $DARGS --config "$T_DIR/off.conf" ||
	fail "off: daemon start"
check "off: the log says there is no filter" grep -q "no system call filter (--seccomp off)" \
	"$T_DIR/off.log"
check "off: the call returned" grep -q "uname(2) returned" "$T_DIR/off.log"
check_eq "off: /proc/PID/status Seccomp" 0 "$(status_field "$DAEMON_PID" Seccomp)"
check "off: the daemon serves" tpm2_pcrextend "8:sha256=$DIGEST"
stop_daemon
check_eq "off: SIGTERM: exit status 0" 0 "$?"
unset VTPM_RTMR_TEST_SECCOMP_VIOLATION

# 5. a bad value is a usage error
# shellcheck disable=SC2086
"$DAEMON" $DARGS --seccomp on >"$T_DIR/bad.log" 2>&1
check_eq "--seccomp on: exit status 2" 2 "$?"
check "--seccomp on: the message names the values" grep -q "invalid seccomp 'on' (off, log, kill)" \
	"$T_DIR/bad.log"

python3 tests/integration/reliability_section.py seccomp <<EOT
## System call filter

Written by tests/integration/test_seccomp.sh on $(date -u +%Y-%m-%dT%H:%MZ); failed checks in
that run: $T_FAIL. The daemon under test is the sanitized build; every other test of
\`make check\` (and the VM suite) runs the daemon with the default filter (\`--seccomp kill\`).
A forbidden call is the test hook's uname(2) right after the filter is installed.

| --seccomp | forbidden call | daemon | audit record |
|---|---|---|---|
| kill (default) | never returns | killed by SIGSYS (exit status $kill_rc) | $kill_audit |
| log | returns | serves, exits 0 on SIGTERM | $log_audit |
| off | returns | serves, no filter (Seccomp: 0) | none |
EOT
t_done
