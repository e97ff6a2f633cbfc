#!/bin/sh
# --systemd-cc: when systemd extends the RTMRs itself, the daemon leaves the PCRs systemd
# maps (1-9, 11-15) alone and with the default map moves PCR 0 and 10 to RTMR3, says so, and
# its logs' `vtpm map` record says which PCRs it mirrors, so that attestation still verifies
# what is ours. (Detection from systemd's cc-measure.log is unit-tested and checked in the VM,
# case k_systemd_cc; here the switch is set by hand, on the sim backend.)
. tests/integration/lib.sh
t_init systemd_cc

COMMON="--rtmr-backend sim --quote-provider sim --ima-bridge off --ek-type ecc-p256"
D=$(printf '%064d' 11)
NONCE=00112233445566778899aabbccddeeff

RT=$T_DIR/run
PORT=$(free_port_pair)
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
# shellcheck disable=SC2086
start_daemon "$T_DIR/on.log" --port "$PORT" --runtime-dir "$RT" $COMMON --systemd-cc on ||
	{ fail "daemon start --systemd-cc on"; t_done; exit 1; }
check "it says systemd's PCRs are not mirrored" grep -q \
	"systemd-cc on: PCR 1-9 and 11-15 are systemd's, not mirrored; PCR 0 and 10 go to RTMR3" \
	"$T_DIR/on.log"
check "the map is PCR 0,10 -> RTMR3" grep -q "map: PCR 0,10 -> RTMR3" "$T_DIR/on.log"
check_eq "only rtmr3.log is kept" "rtmr3.log" "$(cd "$RT" && ls rtmr*.log)"
check "its group says which PCRs it mirrors" grep -qx "vtpm map 0,10" "$RT/rtmr3.log"
check "tpm2_pcrextend 11 (systemd's)" tpm2_pcrextend "11:sha256=$D"
check "is not mirrored" sh -c "! grep -q 'extend 11' '$RT/rtmr3.log'"
check "tpm2_pcrextend 10 (IMA's)" tpm2_pcrextend "10:sha256=$D"
check "is mirrored into RTMR3" grep -q "^vtpm extend 10 sha256/$D\$" "$RT/rtmr3.log"
check "the log replays to the register" "$TOOL" --runtime-dir "$RT" --rtmr-backend sim log verify
check "attest" "$TOOL" --runtime-dir "$RT" attest --nonce "$NONCE" --out "$T_DIR/ev.json"
check "verify passes: every PCR the map names is verified" sh -c "'$TOOL' verify \
	--evidence '$T_DIR/ev.json' --nonce '$NONCE' --trust-anchor '$RT/sim/root-ca.pem' \
	>'$T_DIR/verdict.json'"
check "the verdict calls PCR 10 verified and PCR 11 not mapped" python3 -c "
import json, sys
v = json.load(open(sys.argv[1]))
st = {(p['pcr'], p['state']) for p in v['pcrs']}
assert (10, 'verified') in st and (11, 'not-mapped') in st, st
" "$T_DIR/verdict.json"
check_fails "requiring PCR 11 fails: the vTPM does not vouch for systemd's PCRs" "$TOOL" verify \
	--evidence "$T_DIR/ev.json" --nonce "$NONCE" --trust-anchor "$RT/sim/root-ca.pem" \
	--require-pcrs 10,11
stop_daemon >/dev/null

# auto on the sim backend: the registers are the daemon's own, nothing changes
PORT=$(free_port_pair)
# shellcheck disable=SC2086
start_daemon "$T_DIR/auto.log" --port "$PORT" --runtime-dir "$T_DIR/run-auto" $COMMON \
	--systemd-cc auto --log-level debug || fail "daemon start --systemd-cc auto"
check "auto, sim backend: the default map" grep -q \
	"map: PCR 0,1,7 -> RTMR0; PCR 2-6 -> RTMR1; PCR 8-15 -> RTMR2" "$T_DIR/auto.log"
check "and says why" grep -q "backend's registers are its own" "$T_DIR/auto.log"
stop_daemon >/dev/null

# a map of the administrator's: systemd's PCRs leave it, the rest stays where it was put; a
# register shared with systemd is a warning (its extends will show as SYNC records)
printf 'pcr 16 -> rtmr 3\n' >"$T_DIR/map.conf"
PORT=$(free_port_pair)
# shellcheck disable=SC2086
start_daemon "$T_DIR/custom.log" --port "$PORT" --runtime-dir "$T_DIR/run-custom" $COMMON \
	--systemd-cc on --map "$T_DIR/map.conf" || fail "daemon start with a map"
check "custom map: systemd's PCRs left out" grep -q \
	"map: PCR 0 -> RTMR0; PCR 10 -> RTMR2; PCR 16 -> RTMR3" "$T_DIR/custom.log"
check "a warning names the shared register" grep -q \
	"warning: the map .* still mirrors into RTMR0, which systemd extends too" "$T_DIR/custom.log"
stop_daemon >/dev/null

t_done
