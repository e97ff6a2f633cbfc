# Shared helpers for the host integration tests (POSIX sh). Source it, then call t_init.
# Every test prints "PASS: name" / "FAIL: name" lines and ends with t_done.

: "${BUILD:=build}"
DAEMON=${DAEMON:-$BUILD/asan/vtpm-rtmrd}
TOOL=${TOOL:-$BUILD/asan/vtpm-rtmr}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

T_PASS=0
T_FAIL=0
T_PIDS=""

t_init() {
	T_NAME=$1
	T_DIR=$(mktemp -d "/tmp/vtpm-test-$T_NAME.XXXXXX")
	trap t_cleanup EXIT
	trap 'exit 130' INT TERM
}

t_cleanup() {
	for p in $T_PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $T_PIDS; do
		wait "$p" 2>/dev/null
	done
	[ -n "${T_CLEANUP_HOOK:-}" ] && $T_CLEANUP_HOOK
	if [ "$T_FAIL" -eq 0 ] && [ -z "${KEEP_TEST_DIR:-}" ]; then
		rm -rf "$T_DIR"
	else
		echo "test files kept in $T_DIR"
	fi
}

pass() {
	T_PASS=$((T_PASS + 1))
	echo "PASS: $T_NAME: $*"
	echo "PASS: $*" >>"$T_DIR/.checks"
}

fail() {
	T_FAIL=$((T_FAIL + 1))
	echo "FAIL: $T_NAME: $*"
	echo "FAIL: $*" >>"$T_DIR/.checks"
}

# check NAME COMMAND...: PASS if the command succeeds
check() {
	name=$1
	shift
	if "$@" >"$T_DIR/check.out" 2>&1; then
		pass "$name"
	else
		fail "$name"
		sed 's/^/    | /' "$T_DIR/check.out" | tail -20
	fi
}

# check_fails NAME COMMAND...: PASS if the command fails; its output stays in $T_DIR/last.out
check_fails() {
	name=$1
	shift
	if "$@" >"$T_DIR/check.out" 2>&1; then
		fail "$name (succeeded unexpectedly)"
		sed 's/^/    | /' "$T_DIR/check.out" | tail -20
	else
		pass "$name"
	fi
	cp "$T_DIR/check.out" "$T_DIR/last.out"
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# t_reliability NAME TITLE: this test's checks so far, after the introduction on stdin, as the
# section NAME of tests/RELIABILITY.md (test directories and thread ids made neutral, so that
# a rerun changes only what changed)
t_reliability() {
	{
		echo "## $2"
		echo
		cat
		echo
		echo "Last run of \`tests/integration/test_$T_NAME.sh\`: $T_PASS checks passed," \
			"$T_FAIL failed."
		echo
		sed -e 's|/tmp/vtpm-test-[^/ ]*|<test dir>|g' -e 's/thread [0-9]*:/thread:/' \
			-e 's/^\(PASS\|FAIL\): /- \1: /' "$T_DIR/.checks"
	} | python3 tests/integration/reliability_section.py "$1"
}

t_done() {
	echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

# A free TCP port P on 127.0.0.1 with P+1 also free, below the kernel's ephemeral range: a
# port in that range can be taken meanwhile by any client connection's local end, and then a
# daemon restarted on it fails to bind although nothing listens there.
free_port_pair() {
	python3 - <<'PY'
import random, socket
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    p = random.randint(10000, max(10001, lo - 2))
    ok = True
    for q in (p, p + 1):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", q))
        except OSError:
            ok = False
        finally:
            s.close()
    if ok:
        print(p)
        break
PY
}

# start_daemon LOGFILE ARGS...: start vtpm-rtmrd in the background; sets DAEMON_PID.
# Waits until it serves (its "serving" log line) or exits.
start_daemon() {
	log=$1
	shift
	# emptied here, not by the background job's redirection: that may run after the first
	# grep below, which would then find the previous daemon's "serving" line
	: >"$log"
	"$DAEMON" "$@" >>"$log" 2>&1 &
	DAEMON_PID=$!
	T_PIDS="$T_PIDS $DAEMON_PID"
	i=0
	while [ $i -lt 200 ]; do
		if grep -q "serving\|created TPM device" "$log" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
			echo "daemon exited during start:"
			sed 's/^/    | /' "$log"
			return 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
	echo "daemon did not come up in 10 s"
	return 1
}

# stop_daemon: SIGTERM and wait; returns the daemon's exit status.
stop_daemon() {
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID"
	rc=$?
	T_PIDS=$(echo "$T_PIDS" | sed "s/ $DAEMON_PID\b//")
	return $rc
}

# kill9_daemon: SIGKILL and reap.
kill9_daemon() {
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	T_PIDS=$(echo "$T_PIDS" | sed "s/ $DAEMON_PID\b//")
}

# group_is_last RT [EK_HEX AK_HEX]: in every rtmr<N>.log in RT the last group (DESIGN.md "Event
# log") is "vtpm startup clear" or "vtpm restart", then "vtpm map <pcrs>", "vtpm ek
# sha256/<EK>", "vtpm ak sha256/<AK>", nothing between (after it a restart that could not restore
# the PCRs has its markers); EK and AK default to the sha256 of RT/ek.tpmt and RT/ak.tpmt.
group_is_last() {
	g_ek=${2:-$(sha256sum "$1/ek.tpmt" | cut -c1-64)}
	g_ak=${3:-$(sha256sum "$1/ak.tpmt" | cut -c1-64)}
	g_want="vtpm \(startup clear\|restart\)|vtpm map \(none\|[0-9,]*\)|vtpm ek sha256/$g_ek|"
	g_want="${g_want}vtpm ak sha256/$g_ak|"
	for g_f in "$1"/rtmr*.log; do
		g_at=$(grep -n '^vtpm \(startup clear\|restart\)$' "$g_f" | tail -n 1 | cut -d: -f1)
		if [ -z "$g_at" ] || ! sed -n "${g_at},$((g_at + 3))p" "$g_f" | tr '\n' '|' |
			grep -qx "$g_want"; then
			echo "$g_f's last group does not name EK $g_ek, AK $g_ak:"
			[ -n "$g_at" ] && sed -n "${g_at},$((g_at + 3))p" "$g_f"
			return 1
		fi
	done
}
