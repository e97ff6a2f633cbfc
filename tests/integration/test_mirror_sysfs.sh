#!/bin/sh
# Mirror through the tdx-sysfs backend against a FUSE emulation of the Linux 6.16 tsm-mr
# files (tests/tools/fake_tsm_mr: a digest-sized write at offset 0 extends, any other write
# is EINVAL). The same checks as the sim test, then an injected EIO: no success is reported
# for the unmirrored change, every later command fails, the log says why, and a restart
# rolls the appended record forward.
. tests/integration/lib.sh
. tests/integration/mirror_common.sh
t_init mirror_sysfs

FAKE=${FAKE_TSM_MR:-$BUILD/tests/tools/fake_tsm_mr}
MNT="$T_DIR/mr"
mkdir -p "$MNT"
unmount_fake() {
	[ -n "${FAKE_PID:-}" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
	mountpoint -q "$MNT" 2>/dev/null && fusermount3 -u "$MNT" 2>/dev/null
	return 0
}
T_CLEANUP_HOOK=unmount_fake
"$FAKE" "$MNT" >"$T_DIR/fake.out" 2>"$T_DIR/fake.err" &
FAKE_PID=$!
i=0
while ! grep -q ready "$T_DIR/fake.out" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
if ! grep -q ready "$T_DIR/fake.out"; then
	fail "FUSE tsm-mr emulation did not mount (needs /dev/fuse and fusermount3)"
	cat "$T_DIR/fake.err"
	t_done
	exit 1
fi

PORT=$(free_port_pair)
CTRL_PORT=$((PORT + 1))
RT="$T_DIR/run"
REGDIR="$MNT"
BACKEND_ARGS="--rtmr-backend tdx-sysfs --rtmr-dir $MNT"
printf 'pcr 16 -> rtmr 3\n' >"$T_DIR/map.conf"
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
DARGS="--runtime-dir $RT --port $PORT $BACKEND_ARGS --map $T_DIR/map.conf"

# shellcheck disable=SC2086
start_daemon "$T_DIR/d1.log" $DARGS || { fail "daemon start"; t_done; exit 1; }
check "daemon uses tdx-sysfs" grep -q "RTMR backend tdx-sysfs" "$T_DIR/d1.log"
mirror_suite

# a foreign extend through the kernel interface: SYNC
hexof foreign sha384 | xxd -r -p >"$T_DIR/foreign.bin"
check "foreign extend through the tsm-mr file" \
	dd if="$T_DIR/foreign.bin" of="$MNT/rtmr2:sha384" bs=48 count=1 conv=notrunc status=none
check "pcrextend after the foreign extend" tpm2_pcrextend "13:sha256=$(hexof twelve sha256)"
check "a SYNC record precedes it" sh -c "tail -n 2 '$RT/rtmr2.log' | head -n 1 | grep -q '^SYNC sha384/'"
verify_all "after SYNC"

# the register write fails: fail closed
echo "fail-next-write EIO" >"$MNT/.control"
check_fails "pcrextend whose RTMR extend fails reports no success" \
	tpm2_pcrextend "14:sha256=$(hexof thirteen sha256)"
check_fails "later commands fail too (failure mode)" tpm2_getrandom 8
check "the daemon's log says why" grep -q "entering failure mode: extending RTMR2 through tdx-sysfs failed: Input/output error" "$T_DIR/d1.log"
check "the record is in the log for roll-forward" grep -q "^vtpm extend 14 sha256/$(hexof thirteen sha256)" "$RT/rtmr2.log"
check "daemon still stops cleanly in failure mode" stop_daemon

# shellcheck disable=SC2086
start_daemon "$T_DIR/d2.log" $DARGS || fail "restart after the failure"
check "restart rolls the record forward" grep -q "rolled forward" "$T_DIR/d2.log"
check "log verify passes after the restart" "$TOOL" --runtime-dir "$RT" $BACKEND_ARGS log verify
check "the new instance serves" tpm2_pcrextend "14:sha256=$(hexof fourteen sha256)"
verify_all "after restart"
check "daemon stops cleanly" stop_daemon
t_done
