#!/bin/sh
# Restart without a TPM reset (DESIGN.md "Restart", issue #13), with unmodified tpm2-tools over
# the socket transport and the sim registers:
#  - kill -9 and SIGTERM restarts restore every mapped PCR in every bank (tpm2_pcrread equals
#    the reading before), `vtpm restart` goes to every log, `log verify` and an independent
#    replay pass, and an object sealed to PCR 8 (tpm2_create -L, PCR policy) unseals after;
#  - the reset attack: a secret sealed to the PCR 8 value of a good extend sequence, something
#    else extended, kill -9, then (a) a restart, (b) the logs deleted, (c) one record altered,
#    (d) the last record cut off, (e) an unparseable log, (f) a kill at each record a start
#    writes, (h) the state saved by another run, (g) another TPM's state: each time the good
#    sequence is replayed and the secret
#    must not unseal; the logs say what happened (`vtpm restart`, or SYNC/a new INIT, `vtpm
#    startup clear` and the documented marker records) and the daemon says why;
#  - a restart whose banks or map changed starts clear with the marker;
#  - the first start of a boot (the registers at their boot values) is an ordinary clear one;
#  - `vtpm-rtmr verify` passes evidence made after a restore and fails a forged restart group.
. tests/integration/lib.sh
t_init restart

PORT=$(free_port_pair)
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
ZERO32=0000000000000000000000000000000000000000000000000000000000000000

hexof() {
	printf '%s' "$1" | "$2"sum | cut -d' ' -f1
}
all4() {
	echo "sha1=$(hexof "$1" sha1),sha256=$(hexof "$1" sha256),sha384=$(hexof "$1" sha384),sha512=$(hexof "$1" sha512)"
}

# up RT [ARGS...]: start the daemon on runtime directory RT (log $T_DIR/d.<n>.log)
N=0
up() {
	rt=$1
	shift
	N=$((N + 1))
	DLOG="$T_DIR/d.$N.log"
	start_daemon "$DLOG" --runtime-dir "$rt" --port "$PORT" --rtmr-backend sim \
		--quote-provider sim --ima-bridge off "$@"
}

# the PCRs of every bank into FILE
pcrs() {
	tpm2_pcrread >"$1" 2>&1
}

# verify_logs LABEL RT: log verify, and the independent replay equals registers and PCRs
verify_logs() {
	check "$1: vtpm-rtmr log verify" "$TOOL" --runtime-dir "$2" --rtmr-backend sim log verify
	pcrs "$T_DIR/replay-pcrs.txt"
	check "$1: the PCRs equal an independent replay of the logs, every bank" python3 \
		tests/integration/replay_check.py "$2" "$2/sim" "$T_DIR/replay-pcrs.txt"
}

# restart_last RT: every log ends with `vtpm restart` and its group, naming RT's EK and AK
restart_last() {
	r_ek=$(sha256sum "$1/ek.tpmt" | cut -c1-64)
	r_ak=$(sha256sum "$1/ak.tpmt" | cut -c1-64)
	for r_f in "$1"/rtmr*.log; do
		tail -n 4 "$r_f" | tr '\n' '|' | grep -qx \
			"vtpm restart|vtpm map [0-9,]*|vtpm ek sha256/$r_ek|vtpm ak sha256/$r_ak|" ||
			{ echo "$r_f:"; tail -n 4 "$r_f"; return 1; }
	done
}

# seal NAME PCRFILE: an object sealed to sha256 PCR 8 = the 32 bytes in PCRFILE, under the
# owner's ECC primary (the same key whenever the TPM's seeds are the same)
primary() {
	tpm2_createprimary -C o -G ecc -c "$T_DIR/prim.ctx" >/dev/null 2>&1 &&
		tpm2_flushcontext -t >/dev/null 2>&1
}
seal() {
	primary &&
		tpm2_createpolicy --policy-pcr -l sha256:8 -f "$2" -L "$T_DIR/$1.pol" >/dev/null &&
		printf 'secret %s' "$1" >"$T_DIR/$1.secret" &&
		tpm2_create -C "$T_DIR/prim.ctx" -L "$T_DIR/$1.pol" -i "$T_DIR/$1.secret" \
			-u "$T_DIR/$1.pub" -r "$T_DIR/$1.priv" >/dev/null
	r=$?
	tpm2_flushcontext -t >/dev/null 2>&1
	return $r
}
# unseal NAME: the secret comes out, and is the one sealed. The dictionary-attack lockout is
# cleared first (empty lockout auth): a start after a crash counts one failed authorization
# once DA-protected objects were used (TPM 2.0: no orderly shutdown), and the kills below
# would otherwise lock the TPM, which is no answer to the question asked here. tpm2_unseal's
# errors stay in $T_DIR/NAME.err.
unseal() {
	tpm2_dictionarylockout -c >/dev/null 2>&1
	primary &&
		tpm2_load -C "$T_DIR/prim.ctx" -u "$T_DIR/$1.pub" -r "$T_DIR/$1.priv" \
			-c "$T_DIR/$1.ctx" >/dev/null 2>&1 &&
		tpm2_flushcontext -t >/dev/null 2>&1 &&
		tpm2_unseal -c "$T_DIR/$1.ctx" -p pcr:sha256:8 >"$T_DIR/$1.out" 2>"$T_DIR/$1.err"
	r=$?
	tpm2_flushcontext -t >/dev/null 2>&1
	tpm2_flushcontext -s >/dev/null 2>&1
	[ $r -eq 0 ] && cmp -s "$T_DIR/$1.out" "$T_DIR/$1.secret"
}
# policy_refused NAME: the last unseal failed on the PCR policy (TPM_RC_POLICY_FAIL), not on
# anything else
policy_refused() {
	! unseal "$1" && grep -q "0x99D" "$T_DIR/$1.err"
}

# ==== 1. kill -9 and SIGTERM: every mapped PCR restored ======================================
RT="$T_DIR/run"
up "$RT" || { fail "daemon start"; t_done; exit 1; }
check "the first start of the registers is an ordinary one" grep -q \
	"first start of this boot: every mapped RTMR holds its boot value (zero" "$DLOG"
check "tpm2_pcrextend PCRs of RTMR0, 1, 2 in four banks" sh -c \
	"tpm2_pcrextend 1:$(all4 one) && tpm2_pcrextend 4:$(all4 four) && tpm2_pcrextend 8:$(all4 eight)"
check "tpm2_pcrextend of one bank" tpm2_pcrextend "15:sha384=$(hexof fifteen sha384)"
printf 'event data' >"$T_DIR/ev"
head -c 3000 /dev/urandom >"$T_DIR/big"
check "tpm2_pcrevent (PCR_Event)" tpm2_pcrevent 9 "$T_DIR/ev"
check "tpm2_pcrevent of 3000 bytes (a hash sequence: EventSequenceComplete)" \
	tpm2_pcrevent 11 "$T_DIR/big"
tpm2_pcrread -o "$T_DIR/pcr8.bin" sha256:8 >/dev/null
check "an object sealed to PCR 8 (tpm2_create -L, policy PCR)" seal now "$T_DIR/pcr8.bin"
check "it unseals before the restart" unseal now
pcrs "$T_DIR/before.txt"

kill9_daemon
up "$RT" || fail "restart after kill -9"
check "kill -9: the daemon restored the PCRs by replaying the logs" grep -q \
	"restart: every mapped PCR restored from the event logs (Startup(CLEAR); [0-9]* records" "$DLOG"
pcrs "$T_DIR/after.txt"
check "kill -9: tpm2_pcrread equals the reading before, every bank" cmp "$T_DIR/before.txt" \
	"$T_DIR/after.txt"
check "kill -9: every log ends with vtpm restart and its group" restart_last "$RT"
verify_logs "kill -9" "$RT"
check "kill -9: the sealed object unseals" unseal now
check "(forged input: after one more PCR 8 extend it does not)" sh -c \
	"tpm2_pcrextend 8:sha256=$(hexof more sha256)"
check "(the PCR policy refuses it)" policy_refused now
tpm2_pcrread -o "$T_DIR/pcr8.bin" sha256:8 >/dev/null
check "sealed again to the new PCR 8" seal now "$T_DIR/pcr8.bin"
pcrs "$T_DIR/before.txt"
restarts=$(grep -c '^vtpm restart$' "$RT/rtmr2.log")

check "SIGTERM: the daemon stops" stop_daemon
up "$RT" || fail "start after SIGTERM"
check "SIGTERM: the daemon restored the PCRs by Startup(STATE)" grep -q \
	"restart: every mapped PCR restored from the event logs (Startup(STATE) of the state" "$DLOG"
pcrs "$T_DIR/after.txt"
check "SIGTERM: tpm2_pcrread equals the reading before, every bank" cmp "$T_DIR/before.txt" \
	"$T_DIR/after.txt"
check "SIGTERM: every log ends with vtpm restart and its group" restart_last "$RT"
check_eq "SIGTERM: one more vtpm restart" $((restarts + 1)) "$(grep -c '^vtpm restart$' "$RT/rtmr2.log")"
verify_logs "SIGTERM" "$RT"
check "SIGTERM: the sealed object unseals" unseal now

# unmapped PCRs cannot be restored (documented): PCR 23 after kill -9 is zero again
check "extend the unmapped PCR 23" tpm2_pcrextend "23:sha256=$(hexof x sha256)"
kill9_daemon
up "$RT" || fail "restart (unmapped PCR)"
check_eq "the unmapped PCR 23 is not restored (zero after the restart)" "0x$ZERO32" \
	"$(tpm2_pcrread sha256:23 | awk '$1 == "23:" { print $2 }')"
check "the mapped ones are" unseal now

# ---- the verifier accepts a vtpm restart group, and fails a forged one ----
NONCE=00112233445566778899aabbccddeeff
check "attest after the restore" "$TOOL" --runtime-dir "$RT" attest --nonce "$NONCE" \
	--out "$T_DIR/ev.json"
check "verify passes evidence made after a restore" "$TOOL" verify --evidence "$T_DIR/ev.json" \
	--nonce "$NONCE" --trust-anchor "$RT/sim/root-ca.pem"
check "(the evidence's logs have vtpm restart groups)" grep -q 'vtpm restart' "$T_DIR/ev.json"
check "stops" stop_daemon
# a foreign writer appends a restart group naming another EK (and extends the register to
# match): the PCR values would carry over from another TPM
python3 tests/integration/restart_check.py forge-restart "$RT/rtmr2.log" "$RT/sim/rtmr2:sha384" \
	"$(hexof other-ek sha256)"
up "$RT" || fail "start after the forged restart group"
check "the daemon does not restore from it" grep -q \
	"restart: the PCRs are not restored: .*rtmr2.log: a vtpm restart whose EK or AK differs" "$DLOG"
"$TOOL" --runtime-dir "$RT" attest --nonce "$NONCE" --out "$T_DIR/ev2.json" >/dev/null 2>&1
"$TOOL" verify --evidence "$T_DIR/ev2.json" --nonce "$NONCE" \
	--trust-anchor "$RT/sim/root-ca.pem" >"$T_DIR/verdict2.json" 2>&1
check "verify fails log-groups on the forged restart group" python3 -c "
import json, sys
v = json.load(open(sys.argv[1]))
c = [c for c in v['checks'] if c['name'] == 'log-groups'][0]
assert v['verdict'] == 'fail' and c['result'] == 'fail', c
assert 'vtpm restart whose EK or AK differs' in c['detail'], c" "$T_DIR/verdict2.json"
check "stops (2)" stop_daemon

# ==== 2. the reset attack ======================================================================
# a persistent state: the sealed object stays valid whatever happens to the runtime directory
STATE="$T_DIR/state"
G1=$(hexof good-1 sha256)
G2=$(hexof good-2 sha256)
good() {
	tpm2_pcrextend "8:sha256=$G1" && tpm2_pcrextend "8:sha256=$G2"
}
python3 tests/integration/restart_check.py pcr-after sha256 "$G1" "$G2" | xxd -r -p \
	>"$T_DIR/good.bin"
up "$T_DIR/run-fresh" --state-dir "$STATE" || fail "daemon start (persistent state)"
check "a secret sealed to the PCR 8 of the good sequence from a fresh PCR 8" seal good \
	"$T_DIR/good.bin"
good >/dev/null
check "(the good sequence on a fresh PCR 8 unseals it)" unseal good
check "stops (fresh)" stop_daemon

RA="$T_DIR/run-attack"
up "$RA" --state-dir "$STATE" || fail "daemon start (attack)"
check "the first start of this runtime directory's registers starts clear" grep -q \
	"first start of this boot" "$DLOG"
check "something else is measured into PCR 8" tpm2_pcrextend "8:sha256=$(hexof evil sha256)"
check "the secret does not unseal (the PCR policy refuses it)" policy_refused good

# attack NAME: kill -9 (already done by the caller's preparation), restart, replay the good
# sequence: the secret must not unseal
attack_replay() {
	check "$1: the good sequence replayed" good
	check "$1: the secret does not unseal (the PCR policy refuses it)" policy_refused good
}

kill9_daemon
up "$RA" --state-dir "$STATE" || fail "(a) restart"
check "(a) restart: the PCRs are restored" grep -q "every mapped PCR restored" "$DLOG"
check "(a) the logs say so: vtpm restart" restart_last "$RA"
attack_replay "(a) kill -9 and restart"

kill9_daemon
rm -f "$RA"/rtmr*.log
up "$RA" --state-dir "$STATE" || fail "(b) restart without logs"
check "(b) logs deleted: the daemon says the PCRs are not restored, and why" grep -q \
	"warning: restart: the PCRs are not restored: .*rtmr0.log: there was no event log" "$DLOG"
check "(b) the new logs start at the registers as found, not at zero" sh -c \
	"! grep -q '^INIT sha384/0000000000' '$RA/rtmr2.log'"
check "(b) and say it: a comment, vtpm startup clear, the markers" sh -c \
	"grep -q '^# vtpm-rtmrd restart, PCRs not restored: ' '$RA/rtmr2.log' &&
	 grep -q '^vtpm startup clear$' '$RA/rtmr2.log'"
check "(b) every mapped PCR has the documented marker in every bank" python3 \
	tests/integration/restart_check.py markers "$RA/rtmr2.log"
check "(b) also in RTMR0's and RTMR1's logs" sh -c "python3 tests/integration/restart_check.py \
	markers '$RA/rtmr0.log' && python3 tests/integration/restart_check.py markers '$RA/rtmr1.log'"
cp "$RA/rtmr2.log" "$T_DIR/forged.log"
python3 tests/integration/restart_check.py edit "$T_DIR/forged.log" 15
check_fails "(forged input: a marker changed is not the documented one)" python3 \
	tests/integration/restart_check.py markers "$T_DIR/forged.log"
verify_logs "(b)" "$RA"
attack_replay "(b) logs deleted"

kill9_daemon
python3 tests/integration/restart_check.py edit "$RA/rtmr2.log" 8
up "$RA" --state-dir "$STATE" || fail "(c) restart with an altered record"
check "(c) one record altered: not restored, the log did not replay" grep -q \
	"not restored: .*rtmr2.log: the event log did not replay to its register" "$DLOG"
check "(c) the log says so: SYNC, vtpm startup clear, the markers" sh -c \
	"grep -q '^SYNC sha384/' '$RA/rtmr2.log' && python3 tests/integration/restart_check.py \
	markers '$RA/rtmr2.log'"
attack_replay "(c) one record altered"
check "(forged input: log verify fails on the altered log... it has a SYNC since)" grep -q \
	'^SYNC ' "$RA/rtmr2.log"

kill9_daemon
python3 tests/integration/restart_check.py truncate "$RA/rtmr2.log"
up "$RA" --state-dir "$STATE" || fail "(d) restart with the last record cut off"
check "(d) truncated: not restored" grep -q \
	"not restored: .*rtmr2.log: the event log did not replay to its register" "$DLOG"
attack_replay "(d) last record cut off"

kill9_daemon
printf 'vtpm extend 8 sha256/zz\n' >>"$RA/rtmr2.log"
up "$RA" --state-dir "$STATE" || fail "(e) restart with an unparseable log"
check "(e) the unparseable log is set aside, a new one begins" sh -c \
	"test -s '$RA/rtmr2.log.unreadable' && grep -q 'kept as rtmr2.log.unreadable' '$DLOG'"
check "(e) not restored" grep -q "not restored: .*rtmr2.log: there was no event log" "$DLOG"
attack_replay "(e) unparseable log"
verify_logs "(e)" "$RA"

# (f) a kill at each record a start writes, on the way to a restore and on the way to the
# markers (the logs deleted): after each, the next start restores exactly or puts the markers,
# never fresh PCRs (VTPM_RTMR_TEST_CRASH_AT_START=K: SIGKILL after the Kth append of the start,
# before its extend). Each kill starts from the same copy of the registers, logs and state.
kill9_daemon
cp -a "$RA" "$T_DIR/snap-run"
cp -a "$STATE" "$T_DIR/snap-state"
# crash_start K: a start killed by the hook at its Kth append (0), or one that came up (1)
crash_start() {
	N=$((N + 1))
	DLOG="$T_DIR/d.$N.log"
	: >"$DLOG"
	VTPM_RTMR_TEST_CRASH_AT_START=$1 "$BUILD/vtpm-rtmrd" --runtime-dir "$RA" \
		--state-dir "$STATE" --port "$PORT" --rtmr-backend sim --ima-bridge off \
		>"$DLOG" 2>&1 &
	pid=$!
	i=0
	while kill -0 $pid 2>/dev/null && ! grep -q serving "$DLOG" && [ $i -lt 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if grep -q serving "$DLOG"; then
		kill -KILL $pid
		wait $pid 2>/dev/null
		return 1
	fi
	wait $pid 2>/dev/null
	grep -q "test hook VTPM_RTMR_TEST_CRASH_AT_START" "$DLOG"
}
for path in restore markers; do
	k=1
	bad=0
	while [ $k -le 60 ]; do
		rm -rf "$RA" "$STATE"
		cp -a "$T_DIR/snap-run" "$RA"
		cp -a "$T_DIR/snap-state" "$STATE"
		[ $path = markers ] && rm -f "$RA"/rtmr*.log
		crash_start $k || break
		up "$RA" --state-dir "$STATE" || { bad=$((bad + 1)); break; }
		if ! grep -q "every mapped PCR restored\|not restored" "$DLOG" ||
			! good >/dev/null || ! policy_refused good; then
			bad=$((bad + 1))
			echo "(f) $path: after a kill at record $k of the start:"
			grep "restored\|error" "$DLOG" | sed 's/^/    | /'
		fi
		"$TOOL" --runtime-dir "$RA" --rtmr-backend sim log verify >/dev/null 2>&1 ||
			{ bad=$((bad + 1)); echo "(f) $path $k: log verify fails"; }
		kill9_daemon
		k=$((k + 1))
	done
	check "(f) $path: a kill at each of the $((k - 1)) records of the start (then it came up)" \
		test $k -gt 12
	check_eq "(f) $path: after each, restored or the markers, the secret sealed" 0 "$bad"
done
up "$RA" --state-dir "$STATE" || fail "(f) start after the last kill"
verify_logs "(f)" "$RA"
attack_replay "(f) kills during the start"

# (h) a saved state that is not the logs': the same TPM stopped by SIGTERM in another runtime
# directory (PCR 8 = the good value there). Startup(STATE) gives those PCRs; the comparison
# with the logs catches it and the logs are replayed after Startup(CLEAR) instead
kill9_daemon
up "$T_DIR/run-fresh" --state-dir "$STATE" || fail "(h) start in the other runtime directory"
check "(h) that start restores its own logs" grep -q "every mapped PCR restored" "$DLOG"
check "(h) where the secret unseals" unseal good
check "(h) stopped by SIGTERM: Shutdown(STATE) saves those PCRs" stop_daemon
up "$RA" --state-dir "$STATE" || fail "(h) restart on the saved state of the other directory"
check "(h) Startup(STATE) gave PCRs the logs do not replay to: the logs replayed instead" grep -q \
	"after Startup(STATE) PCR .* is not what the logs replay to; replaying the logs after Startup(CLEAR) instead" \
	"$DLOG"
check "(h) restored exactly" grep -q \
	"every mapped PCR restored from the event logs (Startup(CLEAR)" "$DLOG"
verify_logs "(h)" "$RA"
attack_replay "(h) another run's saved state"

# (g) another TPM's state directory
kill9_daemon
up "$RA" --state-dir "$T_DIR/state-other" || fail "(g) start on another state"
check "(g) another TPM (its EK differs from the logged one): not restored" grep -q \
	"not restored: the TPM state is not the one the logs name (its EK differs" "$DLOG"
check "(g) the markers" python3 tests/integration/restart_check.py markers "$RA/rtmr2.log"
check "stops (g)" stop_daemon

# ==== 3. changed banks, changed map ===========================================================
up "$RA" --state-dir "$STATE" || fail "start before PCR_Allocate"
check "tpm2_pcrallocate sha256:all+sha1:none+sha384:all+sha512:all" \
	tpm2_pcrallocate sha256:all+sha1:none+sha384:all+sha512:all
kill9_daemon
up "$RA" --state-dir "$STATE" || fail "restart after PCR_Allocate"
check "banks changed at the restart: not restored, and why" grep -q \
	"not restored: .*PCR banks .*PCR_Allocate took effect at this start" "$DLOG"
check "the markers (in the banks the TPM has now)" python3 \
	tests/integration/restart_check.py markers "$RA/rtmr2.log"
verify_logs "after PCR_Allocate" "$RA"
check "stops (banks)" stop_daemon
printf 'pcr 11 -> none\n' >"$T_DIR/map8.conf"
up "$RA" --state-dir "$STATE" --map "$T_DIR/map8.conf" || fail "start with another map"
check "another map: not restored, and why" grep -q \
	"not restored: .*its vtpm map names other PCRs than this start maps" "$DLOG"
check "stops (map)" stop_daemon

# ==== 4. the boot values: a firmware CCEL ======================================================
# registers that hold the firmware's values (synth_ccel.py writes both) are a first start when
# --ccel names that log, and a restart otherwise
RC="$T_DIR/run-ccel"
mkdir -p "$RC/sim"
python3 tests/integration/synth_ccel.py "$T_DIR/ccel.bin" --sim-dir "$RC/sim" >/dev/null
up "$RC" --ccel "$T_DIR/ccel.bin" || fail "start with the CCEL"
check "--ccel: registers at the CCEL's final values are a first start" grep -q \
	"first start of this boot: every mapped RTMR holds its boot value (the final values of" \
	"$DLOG"
check "stops (ccel)" stop_daemon
rm -rf "$RC"
mkdir -p "$RC/sim"
python3 tests/integration/synth_ccel.py "$T_DIR/ccel.bin" --sim-dir "$RC/sim" >/dev/null
up "$RC" || fail "start without the CCEL"
check "(forged input: without it, the same registers are not at their boot value: the marker)" \
	grep -q "not restored: .*there was no event log" "$DLOG"
check "stops (no ccel)" stop_daemon
rm -rf "$RC"
mkdir -p "$RC/sim"
python3 tests/integration/synth_ccel.py "$T_DIR/ccel.bin" --sim-dir "$RC/sim" >/dev/null
up "$RC" --ccel "$T_DIR/ev" || fail "start with a CCEL that does not replay"
check "a --ccel that does not replay: the boot values are unknown, no first start" sh -c "
	grep -q 'boot values are unknown' '$DLOG' && ! grep -q 'first start of this boot' '$DLOG'"
check "stops (bad ccel)" stop_daemon

# ==== 5. the restart benchmark runs (bench/restart_bench.py: figures, never asserted) =========
check "bench/restart_bench.py runs (50 records, one sample)" python3 bench/restart_bench.py \
	--build "$BUILD" --records 50 --samples 1 --out "$T_DIR/bench.md"
check "and reports every column" grep -q '^| 50 | .* ms, .* ms |$' "$T_DIR/bench.md"

t_done
