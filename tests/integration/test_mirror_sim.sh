#!/bin/sh
# Mirror with the sim backend: every PCR-changing command through unmodified tpm2-tools,
# verified after each step; then a foreign extend (SYNC) and a crash before the extend
# (roll-forward).
. tests/integration/lib.sh
. tests/integration/mirror_common.sh
t_init mirror_sim

PORT=$(free_port_pair)
CTRL_PORT=$((PORT + 1))
RT="$T_DIR/run"
REGDIR="$RT/sim"
BACKEND_ARGS="--rtmr-backend sim"
printf '# PCR 16 mirrored too, so its resets are logged\npcr 16 -> rtmr 3\n' >"$T_DIR/map.conf"
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
DARGS="--runtime-dir $RT --port $PORT --rtmr-backend sim --map $T_DIR/map.conf"

# shellcheck disable=SC2086
start_daemon "$T_DIR/d1.log" $DARGS || { fail "daemon start"; t_done; exit 1; }
check "sim backend warns that it gives no security" grep -q "NO security" "$T_DIR/d1.log"
check "new logs start with INIT" sh -c "head -n 1 '$RT/rtmr2.log' | grep -q '^INIT sha384/'"
mirror_suite

# a foreign extend behind the daemon's back: the next record is preceded by SYNC
python3 -c "import hashlib,sys; p=sys.argv[1]; v=open(p,'rb').read(); \
open(p,'r+b').write(hashlib.sha384(v + b'x' * 48).digest())" "$REGDIR/rtmr2:sha384"
check_fails "log verify notices the foreign extend" "$TOOL" --runtime-dir "$RT" $BACKEND_ARGS log verify
check "and says the register matches no prefix of the log" grep -q "no prefix" "$T_DIR/last.out"
check "pcrextend after a foreign extend" tpm2_pcrextend "12:sha256=$(hexof eight sha256)"
check "a SYNC record precedes it" sh -c "tail -n 2 '$RT/rtmr2.log' | head -n 1 | grep -q '^SYNC sha384/'"
verify_all "after SYNC"
check "daemon stops cleanly" stop_daemon

# restart: the logs continue, a new instance is recorded
# shellcheck disable=SC2086
start_daemon "$T_DIR/d2.log" $DARGS || fail "restart"
check "restart continues the logs" grep -q "continuing event log" "$T_DIR/d2.log"
check "pcrextend after restart" tpm2_pcrextend "8:sha256=$(hexof nine sha256)"
verify_all "after restart"
check "daemon stops cleanly (2)" stop_daemon

# crash between log append and RTMR extend, then restart: roll forward
# shellcheck disable=SC2086
VTPM_RTMR_TEST_CRASH_AFTER_APPEND=1 start_daemon "$T_DIR/d3.log" $DARGS || fail "start (crash hook)"
check_fails "pcrextend whose daemon dies before the extend gets no success" \
	tpm2_pcrextend "8:sha256=$(hexof ten sha256)"
wait "$DAEMON_PID" 2>/dev/null
T_PIDS=""
check "the record was appended" grep -q "^vtpm extend 8 sha256/$(hexof ten sha256)" "$RT/rtmr2.log"
check_fails "log verify fails before the restart" "$TOOL" --runtime-dir "$RT" $BACKEND_ARGS log verify
nrec=$(grep -vc '^#\|^$' "$RT/rtmr2.log")
check "and names the record after which log and register part" \
	grep -q "they part after record $((nrec - 1)) " "$T_DIR/last.out"
# shellcheck disable=SC2086
start_daemon "$T_DIR/d4.log" $DARGS || fail "restart after crash"
check "restart rolls the last record forward" grep -q "rolled forward" "$T_DIR/d4.log"
check "log verify passes after roll-forward" "$TOOL" --runtime-dir "$RT" $BACKEND_ARGS log verify
check "pcrextend after roll-forward" tpm2_pcrextend "8:sha256=$(hexof eleven sha256)"
verify_all "after roll-forward"
check "daemon stops cleanly (3)" stop_daemon

# the tool's other views
check "log show lists records" sh -c "'$TOOL' --runtime-dir '$RT' log show | grep -q 'rtmr2.*vtpm extend 8'"
check "log export cel-json" "$TOOL" --runtime-dir "$RT" log export --format cel-json --out "$T_DIR/cel.json"
check "export is CC-CEL JSON with increasing recnums" python3 -c "
import json,sys
d = json.load(open(sys.argv[1]))
r = d['records']
assert r and all(x['content_type'] == 'CC-CEL' for x in r)
assert [x['recnum'] for x in r] == list(range(len(r)))
assert {x['pcr'] for x in r} == {0, 1, 2, 3}
assert len(d['registers']) == 4" "$T_DIR/cel.json"

# a register file emptied under the running daemon (the sim maps it): fail closed, no crash
# shellcheck disable=SC2086
start_daemon "$T_DIR/d5.log" $DARGS || fail "start (truncated register)"
: >"$REGDIR/rtmr2:sha384"
check_fails "pcrextend onto a truncated register gets no success" \
	tpm2_pcrextend "8:sha256=$(hexof twelve sha256)"
check "the daemon is still running" kill -0 "$DAEMON_PID"
check "it says why it fails" grep -q "entering failure mode: .*RTMR2" "$T_DIR/d5.log"
check_fails "later commands are refused too" tpm2_getrandom 8
check "daemon stops on SIGTERM in failure mode" stop_daemon
t_done
