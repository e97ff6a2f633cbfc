#!/bin/sh
# Fault injection (robustness issue): a stream of extends against an RTMR that fails the
# k-th write, fails at random, writes short, or is slow (FUSE tsm-mr emulation), and against
# a log on a full file system. For each: no success for an unmirrored change (fail closed),
# and after a restart `vtpm-rtmr log verify` passes and the PCRs equal the log replay.
. tests/integration/lib.sh
t_init faults

FAKE="$BUILD/tests/tools/fake_tsm_mr"
MNT="$T_DIR/mr"
SMALL="$T_DIR/small"
mkdir -p "$MNT" "$SMALL"
cleanup_mounts() {
	[ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
	mountpoint -q "$MNT" 2>/dev/null && fusermount3 -u "$MNT" 2>/dev/null
	mountpoint -q "$SMALL" 2>/dev/null && umount "$SMALL" 2>/dev/null
	return 0
}
T_CLEANUP_HOOK=cleanup_mounts
"$FAKE" "$MNT" >"$T_DIR/fake.out" 2>"$T_DIR/fake.err" &
FAKE_PID=$!
i=0
while ! grep -q ready "$T_DIR/fake.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
grep -q ready "$T_DIR/fake.out" || { fail "FUSE tsm-mr emulation did not mount"; t_done; exit 1; }

PORT=$(free_port_pair)
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
STATE="$T_DIR/state"

# run_fault NAME CONTROL EXPECT_FAILURE: fresh logs, arm the fault, 40 extends, checks, restart
run_fault() {
	fn=$1
	rt="$T_DIR/run-$fn"
	echo clear >"$MNT/.control"
	start_daemon "$T_DIR/$fn.log" --runtime-dir "$rt" --state-dir "$STATE" --port "$PORT" \
		--rtmr-backend tdx-sysfs --rtmr-dir "$MNT" || { fail "$fn: daemon start"; return; }
	echo "$2" >"$MNT/.control"
	python3 tests/integration/extend_stream.py "$PORT" 8 40 "$T_DIR/$fn.json" --tag "$fn"
	echo clear >"$MNT/.control"
	check "$fn: fail closed, every acknowledged extend is logged" python3 \
		tests/integration/check_stream.py "$T_DIR/$fn.json" "$rt/rtmr2.log" $3
	if [ -n "$3" ]; then
		check "$fn: the daemon says why" grep -q "entering failure mode" "$T_DIR/$fn.log"
		check_fails "$fn: later commands fail" tpm2_getrandom 8
	fi
	kill9_daemon
	start_daemon "$T_DIR/$fn-2.log" --runtime-dir "$rt" --state-dir "$STATE" --port "$PORT" \
		--rtmr-backend tdx-sysfs --rtmr-dir "$MNT" || { fail "$fn: restart"; return; }
	check "$fn: log verify after restart" "$TOOL" --runtime-dir "$rt" --rtmr-backend tdx-sysfs \
		--rtmr-dir "$MNT" log verify
	tpm2_pcrextend "8:sha256=$(printf '%s' "$fn" | sha256sum | cut -c1-64)" >/dev/null 2>&1
	tpm2_pcrread >"$T_DIR/pcrs.txt" 2>&1
	check "$fn: PCRs equal the log replay" python3 tests/integration/replay_check.py "$rt" \
		"$MNT" "$T_DIR/pcrs.txt"
	stop_daemon
}

run_fault kth "fail-writes-from 25 EIO" --expect-failure
run_fault random "fail-random 150 7" --expect-failure
run_fault short "short-writes 1" --expect-failure
run_fault slow "delay-ms 30" ""
check "slow: every extend succeeded" python3 -c "import json,sys; s=json.load(open(sys.argv[1])); \
	assert len(s['acked']) == 40 and not s['failed']" "$T_DIR/slow.json"

# the log on a full file system: ENOSPC on append
mount -t tmpfs -o size=256k tmpfs "$SMALL" || { fail "cannot mount a small tmpfs"; t_done; exit 1; }
rt="$SMALL/run"
start_daemon "$T_DIR/enospc.log" --runtime-dir "$rt" --state-dir "$STATE" --port "$PORT" \
	--rtmr-backend sim || fail "enospc: daemon start"
dd if=/dev/zero of="$SMALL/filler" bs=4k 2>/dev/null
python3 tests/integration/extend_stream.py "$PORT" 8 40 "$T_DIR/enospc.json" --tag enospc
check "enospc: fail closed, every acknowledged extend is logged" python3 \
	tests/integration/check_stream.py "$T_DIR/enospc.json" "$rt/rtmr2.log" --expect-failure
check "enospc: the daemon names the cause" grep -q "No space left on device" "$T_DIR/enospc.log"
kill9_daemon
rm -f "$SMALL/filler"
start_daemon "$T_DIR/enospc-2.log" --runtime-dir "$rt" --state-dir "$STATE" --port "$PORT" \
	--rtmr-backend sim || fail "enospc: restart"
check "enospc: log verify after freeing space and restarting" "$TOOL" --runtime-dir "$rt" \
	--rtmr-backend sim log verify
tpm2_pcrread >"$T_DIR/pcrs.txt" 2>&1
check "enospc: PCRs equal the log replay" python3 tests/integration/replay_check.py "$rt" \
	"$rt/sim" "$T_DIR/pcrs.txt"
stop_daemon
python3 - "$T_DIR" "$T_FAIL" <<'PY' | python3 tests/integration/reliability_section.py fault-injection
import json, sys, time
d, failures = sys.argv[1], sys.argv[2]
rows = [("kth", "RTMR write fails from the 25th on (EIO)"), ("random", "RTMR write fails at random, p = 0.15"),
        ("short", "RTMR write comes back one byte short"), ("slow", "RTMR write takes 30 ms more"),
        ("enospc", "event log on a full file system (ENOSPC)")]
print("## Fault injection\n")
print(f"Written by tests/integration/test_faults.sh on {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}; "
      f"failed checks in that run: {failures}. Each fault: a stream of 40 PCR_Extend, then kill -9, "
      "restart, log verify and PCRs against the log replay.\n")
print("| fault | acknowledged | failed (fail closed) | first failure at |\n|---|---|---|---|")
for key, what in rows:
    try:
        s = json.load(open(f"{d}/{key}.json"))
    except OSError:
        continue
    print(f"| {what} | {len(s['acked'])} | {len(s['failed'])} | {s['first_failure']} |")
PY
t_done
