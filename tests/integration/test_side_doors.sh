#!/bin/sh
# The mirror's side doors (tests/RELIABILITY.md, "PCR side doors"): every command and control
# message that can change a PCR value or a bank, at every locality, either changes nothing or
# is recorded so that the logs replay to the PCRs (tpm2_pcrread) and to the registers. A raw
# client (raw_tpm.py) keeps the locality it sets, which tpm2-tools' TCTI does not.
. tests/integration/lib.sh
. tests/integration/mirror_common.sh
t_init side_doors

PORT=$(free_port_pair)
CTRL_PORT=$((PORT + 1))
RT="$T_DIR/run"
REGDIR="$RT/sim"
BACKEND_ARGS="--rtmr-backend sim"
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"

raw() {
	python3 tests/integration/raw_tpm.py "$PORT" "$@"
}

# raw_rc OP...: the result of the last operation
raw_rc() {
	raw "$@" | tail -n 1 | awk '{ print $NF }'
}

# records: vtpm records of PCR changes in every log
records() {
	cat "$RT"/rtmr*.log | grep -c '^vtpm \(extend\|reset\) '
}

# lines: every line of every log
lines() {
	cat "$RT"/rtmr*.log | wc -l
}

pcr_value() {
	tpm2_pcrread "$1:$2" | awk -v p="$2" '{ sub(/:$/, "", $1) } $1 == p { v = $NF;
		sub(/^0x/, "", v); print tolower(v) }'
}

# pcr_is_zero BANK PCR
pcr_is_zero() {
	v=$(pcr_value "$1" "$2")
	[ -n "$v" ] && [ -z "$(printf '%s' "$v" | tr -d 0)" ]
}

D1=$(hexof d sha1)
D256=$(hexof d sha256)
D384=$(hexof d sha384)
D512=$(hexof d sha512)
ALL4="sha1=$D1,sha256=$D256,sha384=$D384,sha512=$D512"

# ==== A: the resettable PCRs 16-22 mapped (RTMR3)
printf 'pcr 16-22 -> rtmr 3\n' >"$T_DIR/map-a.conf"
start_daemon "$T_DIR/da.log" --runtime-dir "$RT" --port "$PORT" --rtmr-backend sim \
	--map "$T_DIR/map-a.conf" || { fail "daemon start (A)"; t_done; exit 1; }

# --- Startup at a locality other than 0 (issue #18: PCR 0 became 00..03, logged as a plain
# startup clear)
check "PCR 0 extended (mapped to RTMR0)" tpm2_pcrextend "0:sha256=$D256"
before=$(lines)
check_eq "running TPM: SET_LOCALITY 3 + Startup(CLEAR) is TPM_RC_LOCALITY" 0x907 \
	"$(raw_rc loc:3 startup:clear)"
check_eq "SET_LOCALITY 3 + CMD_INIT + Startup(CLEAR) is TPM_RC_LOCALITY" 0x907 \
	"$(raw_rc loc:3 init startup:clear)"
for l in 1 2 4; do
	check_eq "locality $l: Startup(CLEAR) refused" 0x907 "$(raw_rc loc:$l startup:clear)"
	check_eq "locality $l: Startup(STATE) refused" 0x907 "$(raw_rc loc:$l startup:state)"
done
check_eq "nothing was recorded for them" "$before" "$(lines)"
check_eq "the TPM still waits for its Startup" 0x100 "$(raw_rc loc:0 getrandom)"
check_eq "Startup(CLEAR) at locality 0" 0x0 "$(raw_rc loc:0 startup:clear)"
check "it is recorded as a new instance" group_is_last "$RT"
for b in sha1 sha256 sha384 sha512; do
	check "PCR 0 $b is all zero, not the locality" pcr_is_zero "$b" 0
done
verify_all "after the refused Startups"

# --- every PCR-changing command at every locality: a record exactly when a mapped PCR changed
SEQ=$(head -c 1500 /dev/zero | tr '\0' 'x' | od -An -v -tx1 | tr -d ' \n')
for l in 0 1 2 3 4; do
	ops=""
	for p in 8 16 17 18 19 20 21 22 23; do
		ops="$ops extend:$p:$ALL4 event:$p:6576656e74 seq:$p:$SEQ reset:$p"
	done
	before=$(records)
	# shellcheck disable=SC2086
	raw loc:$l $ops loc:0 >"$T_DIR/loc$l.out"
	changed=$(grep -v '^loc' "$T_DIR/loc$l.out" | grep -v ':23:\|reset:23' | grep -c ' 0x0$')
	check_eq "locality $l: one record per change of a mapped PCR (libtpms refused the rest)" \
		$((before + changed)) "$(records)"
	check "locality $l: the unmapped PCR 23 is not logged" sh -c \
		"! grep -q '^vtpm [a-z]* 23' '$RT/rtmr3.log'"
	verify_all "locality $l"
done
check "PCR_Reset of 20-22 at locality 2 was allowed and recorded" \
	grep -q '^reset:2[012] 0x0$' "$T_DIR/loc2.out"
check "PCR_Reset of 16 at locality 4 was refused" grep -q '^reset:16 0x907$' "$T_DIR/loc4.out"

# --- swtpm's H-CRTM interface (_TPM_Hash_Start/Data/End resets PCR 17-22 and extends PCR 17
# or 0 in no record's words): not offered
tpm2_pcrread >"$T_DIR/pcrs-before.txt"
before=$(lines)
raw hash-start hash-data:0011 hash-end >"$T_DIR/hash.out"
check "CMD_HASH_START is TPM_BAD_ORDINAL" grep -qx 'hash-start 0xa' "$T_DIR/hash.out"
check "CMD_HASH_DATA is TPM_BAD_ORDINAL" grep -qx 'hash-data:0011 0xa' "$T_DIR/hash.out"
check "CMD_HASH_END is TPM_BAD_ORDINAL" grep -qx 'hash-end 0xa' "$T_DIR/hash.out"
tpm2_pcrread >"$T_DIR/pcrs-after.txt"
check "no PCR changed" cmp "$T_DIR/pcrs-before.txt" "$T_DIR/pcrs-after.txt"
check_eq "nothing recorded" "$before" "$(lines)"

# --- Startup(STATE) would put the mapped PCR 17-22 back to all 0xFF: refused, no failure mode
check_eq "Shutdown(STATE)" 0x0 "$(raw_rc shutdown:state)"
check_eq "CMD_INIT + Startup(STATE) with PCR 17-22 mapped: TPM_RC_VALUE" 0x1c4 \
	"$(raw_rc init startup:state)"
check_eq "Startup(CLEAR) then" 0x0 "$(raw_rc startup:clear)"
check_eq "the daemon is not in failure mode" 0x0 "$(raw_rc getrandom)"
verify_all "after the refused Startup(STATE)"
check "daemon A stops" stop_daemon

# ==== B: the default map and PCR 16 (RTMR3); suspend and resume
printf 'pcr 16 -> rtmr 3\n' >"$T_DIR/map-b.conf"
rm -rf "$RT"
start_daemon "$T_DIR/db.log" --runtime-dir "$RT" --port "$PORT" --rtmr-backend sim \
	--map "$T_DIR/map-b.conf" || { fail "daemon start (B)"; t_done; exit 1; }

check "honest suspend: extend, tpm2_shutdown" sh -c \
	"tpm2_pcrextend 8:sha256=$D256 && tpm2_pcrextend 16:sha256=$D256 && tpm2_shutdown"
check "CMD_INIT" swtpm_ioctl --tcp "127.0.0.1:$CTRL_PORT" -i
check "resume: tpm2_startup (STATE)" tpm2_startup
verify_all "after an honest resume"

# --- Shutdown(STATE), then PCR changes (libtpms accepts commands after Shutdown), then
# CMD_INIT + Startup(STATE): the TPM would restore PCR 8 from before the logged changes
check "tpm2_shutdown (STATE)" tpm2_shutdown
check "tpm2_pcrextend after Shutdown(STATE) is accepted" tpm2_pcrextend "8:sha256=$D256"
check "and logged" sh -c "tail -n 1 '$RT/rtmr2.log' | grep -q '^vtpm extend 8 sha256/'"
check "CMD_INIT" swtpm_ioctl --tcp "127.0.0.1:$CTRL_PORT" -i
check_fails "tpm2_startup (STATE) after the change is refused" tpm2_startup
check "with TPM_RC_VALUE" grep -qi "0x1c4" "$T_DIR/last.out"
check "tpm2_startup -c" tpm2_startup -c
verify_all "after the refused resume"
for op in "event:8:6576656e74" "seq:8:$SEQ" "extend:8:sha1=$D1"; do
	name=${op%%:*}
	check_eq "$name of PCR 8 after Shutdown(STATE): Startup(STATE) refused" 0x1c4 \
		"$(raw_rc shutdown:state "$op" init startup:state)"
	check_eq "$name: Startup(CLEAR)" 0x0 "$(raw_rc startup:clear)"
done
check_eq "saved again after the change: the resume is allowed" 0x0 \
	"$(raw_rc shutdown:state "extend:8:sha256=$D256" shutdown:state init startup:state)"
verify_all "after a resume of the state saved last"

# --- CMD_STOP: nothing runs until CMD_INIT; DELETE_VOLATILE; resume and restart
check "tpm2_shutdown (STATE) before CMD_STOP" tpm2_shutdown
check_eq "CMD_STOP" 0x0 "$(raw_rc stop)"
before=$(lines)
check_eq "a stopped TPM answers TPM_RC_FAILURE" 0x101 "$(raw_rc "extend:8:sha256=$D256")"
check_eq "and records nothing" "$before" "$(lines)"
check_eq "CMD_INIT with DELETE_VOLATILE, Startup(STATE)" 0x0 "$(raw_rc init-delete startup:state)"
verify_all "after CMD_STOP and a resume"
check_eq "CMD_INIT with DELETE_VOLATILE, Startup(CLEAR)" 0x0 "$(raw_rc init-delete startup:clear)"
check "recorded as a new instance" group_is_last "$RT"
verify_all "after CMD_STOP and a restart"

# --- PCR_Allocate: in effect at CMD_INIT + Startup; Startup(STATE) across it is refused
check "tpm2_shutdown (STATE) before PCR_Allocate" tpm2_shutdown
check "tpm2_pcrallocate sha256:all+sha1:none+sha384:0-3+sha512:none" \
	tpm2_pcrallocate sha256:all+sha1:none+sha384:0,1,2,3+sha512:none
check "CMD_INIT" swtpm_ioctl --tcp "127.0.0.1:$CTRL_PORT" -i
check_fails "tpm2_startup (STATE) across PCR_Allocate is refused" tpm2_startup
check "tpm2_startup -c" tpm2_startup -c
check "the TPM has the new banks" sh -c "tpm2_getcap pcrs | grep -q 'sha1: \\[ \\]' &&
	tpm2_getcap pcrs | grep -q 'sha384: \\[ 0, 1, 2, 3 \\]'"
check "tpm2_pcrextend of PCR 8 in four banks" tpm2_pcrextend "8:$ALL4"
check "its record carries exactly sha256" sh -c \
	"tail -n 1 '$RT/rtmr2.log' | grep -qx 'vtpm extend 8 sha256/$D256'"
check "tpm2_pcrextend of PCR 1 in four banks" tpm2_pcrextend "1:$ALL4"
check "its record carries sha256 and sha384 (allocated for PCR 0-3)" sh -c \
	"tail -n 1 '$RT/rtmr0.log' | grep -qx 'vtpm extend 1 sha256/$D256 sha384/$D384'"
printf 'event data' >"$T_DIR/ev"
check "tpm2_pcrevent PCR 9" tpm2_pcrevent 9 "$T_DIR/ev"
EV256=$(sha256sum "$T_DIR/ev" | cut -c1-64)
check "its record carries exactly sha256" sh -c \
	"tail -n 1 '$RT/rtmr2.log' | grep -qx 'vtpm extend 9 sha256/$EV256'"
check "vtpm-rtmr log verify" "$TOOL" --runtime-dir "$RT" --rtmr-backend sim log verify
tpm2_pcrread >"$T_DIR/pcrs.txt"
"$TOOL" --runtime-dir "$RT" log replay --format json >"$T_DIR/replay.json"
check "log replay --format json equals tpm2_pcrread in every bank the TPM has" python3 -c "
import json, sys
sys.path.insert(0, 'tests/integration')
from replay_check import read_pcrread
tpm = read_pcrread(sys.argv[1])
logs = {l['rtmr']: l['pcrs'] for l in json.load(open(sys.argv[2]))}
rtmr = {1: 0, 8: 2, 9: 2, 16: 3}
want = {(1, 'sha256'), (1, 'sha384'), (8, 'sha256'), (9, 'sha256'), (16, 'sha256')}
have = {(p, a) for p in rtmr for a in tpm.get(p, {})}
assert want <= have, have
for p, a in sorted(have):
    got = logs[rtmr[p]].get(a, {}).get(str(p))
    assert got == tpm[p][a].hex(), (p, a, got, tpm[p][a].hex())
assert 'sha1' not in tpm.get(8, {}) and 'sha384' not in tpm.get(8, {})
" "$T_DIR/pcrs.txt" "$T_DIR/replay.json"
check "daemon B stops" stop_daemon

t_done
