#!/bin/sh
# The IMA bridge on a synthetic binary_runtime_measurements (ima-ng, ima, violations):
# PCR 10 in every bank equals an independent replay of the list, readers see new entries at
# once, a restart applies the list exactly once to the new TPM instance, a partial entry
# waits, and a malformed list stops the bridge without stopping the daemon.
. tests/integration/lib.sh
t_init ima_bridge

PORT=$(free_port_pair)
RT="$T_DIR/run"
LIST="$T_DIR/binary_runtime_measurements"
IMA="python3 tests/integration/ima_list.py"
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
DARGS="--runtime-dir $RT --port $PORT --rtmr-backend sim --ima-list $LIST --ima-poll-ms 100"

pcr10() {
	tpm2_pcrread "$1:10" | awk '{ sub(/:$/, "", $1) } $1 == "10" { v = $NF; sub(/^0x/, "", v); print tolower(v) }'
}

# check_pcr10 LABEL [LIST]: PCR 10 equals the replay of LIST (default: the live list)
check_pcr10() {
	for alg in sha1 sha256 sha384; do
		check_eq "$1: PCR 10 $alg equals the replay of the IMA list" \
			"$($IMA pcr "${2:-$LIST}" $alg)" "$(pcr10 $alg)"
	done
}

$IMA write "$LIST" 40
# shellcheck disable=SC2086
start_daemon "$T_DIR/d1.log" $DARGS --ima-bridge auto || { fail "daemon start"; t_done; exit 1; }
check "auto: a zero boot_aggregate turns the bridge on" grep -q "IMA bridge: following" "$T_DIR/d1.log"
check_pcr10 "start"
$IMA write "$LIST" 25 --start 40 --append
check_pcr10 "new entries, read at once"
check "the bridge's extends are mirrored: log verify" "$TOOL" --runtime-dir "$RT" --rtmr-backend sim log verify
check "PCR 10 records in rtmr2.log" grep -q "^vtpm extend 10 sha1/.* sha256/.* sha384/.* sha512/" "$RT/rtmr2.log"
"$TOOL" --runtime-dir "$RT" log replay --format json >"$T_DIR/replay.json"
check_eq "the log implies the same PCR 10 sha256" "$($IMA pcr "$LIST" sha256)" \
	"$(python3 -c "import json,sys; print([l for l in json.load(open(sys.argv[1])) if l['rtmr'] == 2][0]['pcrs']['sha256']['10'])" "$T_DIR/replay.json")"

# a crash and restart: the new instance gets every entry exactly once
kill9_daemon
$IMA write "$LIST" 5 --start 65 --append
# shellcheck disable=SC2086
start_daemon "$T_DIR/d2.log" $DARGS --ima-bridge on || fail "restart"
check_pcr10 "after kill -9 and restart"
check "log verify after restart" "$TOOL" --runtime-dir "$RT" --rtmr-backend sim log verify

# half an entry waits for the rest
cp "$LIST" "$T_DIR/complete-list"
$IMA partial "$LIST"
check_pcr10 "with half an entry at the end" "$T_DIR/complete-list"
cat "$LIST.rest" >>"$LIST"
check_pcr10 "once the entry is complete"

# a malformed entry stops the bridge, not the daemon
$IMA garbage "$LIST"
tpm2_pcrread sha1:10 >/dev/null 2>&1
check "the bridge says why it stopped" grep -q "IMA bridge stopped after .* malformed entry" "$T_DIR/d2.log"
check "the daemon still serves" tpm2_getrandom 8
check "daemon stops cleanly" stop_daemon

# auto stays off when IMA had a TPM (a real boot_aggregate)
$IMA write "$T_DIR/real-list" 3 --boot-aggregate real
# shellcheck disable=SC2086
start_daemon "$T_DIR/d3.log" --runtime-dir "$T_DIR/run3" --port "$PORT" --rtmr-backend sim \
	--ima-list "$T_DIR/real-list" || fail "daemon start (real boot_aggregate)"
check "auto: a real boot_aggregate leaves the bridge off" grep -q "IMA bridge off" "$T_DIR/d3.log"
check "daemon stops cleanly (3)" stop_daemon
t_done
