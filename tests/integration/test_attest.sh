#!/bin/sh
# Attestation end to end on the host (sim RTMR backend, sim quote provider): extends,
# tpm2_createek / tpm2_createak / tpm2_quote, vtpm-rtmr attest, vtpm-rtmr verify: every
# check passes. Then each tampering fails with the right check named.
. tests/integration/lib.sh
t_init attest

PORT=$(free_port_pair)
RT="$T_DIR/run"
NONCE=0123456789abcdef0011223344556677
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
start_daemon "$T_DIR/d.log" --runtime-dir "$RT" --port "$PORT" --rtmr-backend sim ||
	{ fail "daemon start"; t_done; exit 1; }

hexof() {
	printf '%s' "$1" | "$2"sum | cut -d' ' -f1
}
for i in 1 2 3; do
	tpm2_pcrextend "10:sha256=$(hexof "ima-$i" sha256),sha1=$(hexof "ima-$i" sha1)" >/dev/null
done
tpm2_pcrextend "8:sha256=$(hexof grub sha256)" >/dev/null

# the Keylime flow: EK, AK under it, a quote over PCR 8 and 10 qualified by the nonce
check "tpm2_createek gives the bound EK" tpm2_createek -c "$T_DIR/ek.ctx" -G rsa -u "$T_DIR/ek.pub"
check "ek.tpmt is the EK tpm2_createek sees" sh -c "tail -c +3 '$T_DIR/ek.pub' | cmp - '$RT/ek.tpmt'"
check "tpm2_readpublic of the persistent EK" tpm2_readpublic -c 0x81010001 -f pem -o "$T_DIR/ek.pem"
check "tpm2_createak" tpm2_createak -C "$T_DIR/ek.ctx" -c "$T_DIR/ak.ctx" -G rsa -g sha256 \
	-s rsassa -u "$T_DIR/ak.pub" -f pem -n "$T_DIR/ak.name"
tpm2_flushcontext -t >/dev/null 2>&1
tpm2_flushcontext -s >/dev/null 2>&1
check "tpm2_quote over PCR 8 and 10" tpm2_quote -c "$T_DIR/ak.ctx" -l sha256:8,10 -q "$NONCE" \
	-m "$T_DIR/q.msg" -s "$T_DIR/q.sig" -o "$T_DIR/q.pcrs" -g sha256
tpm2_flushcontext -t >/dev/null 2>&1
check "vtpm-rtmr attest" "$TOOL" --runtime-dir "$RT" attest --nonce "$NONCE" \
	--quote-provider sim --out "$T_DIR/evidence.json"
# a record after the quote: evidence logs may run ahead of the quote
tpm2_pcrextend "9:sha256=$(hexof later sha256)" >/dev/null

TA="--trust-anchor $RT/sim/root-ca.pem"
TQ="--tpm-quote $T_DIR/q.msg --tpm-signature $T_DIR/q.sig --ak-public $T_DIR/ak.pub --tpm-pcrs $T_DIR/q.pcrs"

# verify_ok NAME ARGS...: exit 0, verdict pass
verify_ok() {
	name=$1
	shift
	# shellcheck disable=SC2086
	if "$TOOL" verify "$@" >"$T_DIR/verdict.json" 2>&1; then
		pass "$name"
	else
		fail "$name"
		sed 's/^/    | /' "$T_DIR/verdict.json" | head -40
	fi
}

# verify_fails NAME CHECK ARGS...: exit 1 and CHECK is the (a) failing check
verify_fails() {
	name=$1
	want=$2
	shift 2
	"$TOOL" verify "$@" >"$T_DIR/verdict.json" 2>&1
	rc=$?
	if [ $rc -eq 1 ] && python3 -c "
import json, sys
v = json.load(open(sys.argv[1]))
failed = [c['name'] for c in v['checks'] if c['result'] != 'pass']
assert v['verdict'] == 'fail' and sys.argv[2] in failed, failed" "$T_DIR/verdict.json" "$want" \
		2>"$T_DIR/why"; then
		pass "$name: fails with $want"
	else
		fail "$name: expected exit 1 and a failing '$want' (exit $rc)"
		sed 's/^/    | /' "$T_DIR/verdict.json" "$T_DIR/why" | head -30
	fi
}

# shellcheck disable=SC2086
verify_ok "verify: every check passes (quote, chain, binding, replay, EK, TPM quote)" \
	--evidence "$T_DIR/evidence.json" --nonce "$NONCE" $TA --expect-ek "$T_DIR/ek.pub" $TQ
check "the verdict lists the TPM quote check" grep -q '"tpm-quote"' "$T_DIR/verdict.json"
# shellcheck disable=SC2086
verify_ok "verify accepts the EK as PEM" --evidence "$T_DIR/evidence.json" --nonce "$NONCE" $TA \
	--expect-ek "$T_DIR/ek.pem"
check "the verdict says TCB status is not checked" grep -q "TCB status" "$T_DIR/verdict.json"

# shellcheck disable=SC2086
verify_fails "wrong nonce" report-data-binding --evidence "$T_DIR/evidence.json" \
	--nonce 00ff $TA
verify_fails "the default trust anchor (Intel) for a sim quote" quote-signature-chain \
	--evidence "$T_DIR/evidence.json" --nonce "$NONCE"

# another TPM's EK swapped into the evidence
start_daemon "$T_DIR/d2.log" --runtime-dir "$T_DIR/run2" --port "$(free_port_pair)" \
	--rtmr-backend sim || fail "second daemon"
python3 tests/integration/evidence_tamper.py "$T_DIR/evidence.json" "$T_DIR/ev-ek.json" \
	swap-ek "$T_DIR/run2/ek.tpmt"
# shellcheck disable=SC2086
verify_fails "the EK swapped for another TPM's" report-data-binding \
	--evidence "$T_DIR/ev-ek.json" --nonce "$NONCE" $TA
# shellcheck disable=SC2086
verify_fails "the EK swapped (expected EK)" expected-ek --evidence "$T_DIR/ev-ek.json" \
	--nonce "$NONCE" $TA --expect-ek "$T_DIR/ek.pub"

for t in alter-record remove-record swap-records; do
	python3 tests/integration/evidence_tamper.py "$T_DIR/evidence.json" "$T_DIR/ev-$t.json" $t
	# shellcheck disable=SC2086
	verify_fails "log tampering: $t" rtmr-replay --evidence "$T_DIR/ev-$t.json" \
		--nonce "$NONCE" $TA
done
python3 tests/integration/evidence_tamper.py "$T_DIR/evidence.json" "$T_DIR/ev-q.json" flip-quote 200
# shellcheck disable=SC2086
verify_fails "one quote byte flipped" quote-signature-chain --evidence "$T_DIR/ev-q.json" \
	--nonce "$NONCE" $TA
# a quote chained to a different root: the second daemon's sim CA
verify_fails "a quote chained to a different root" quote-signature-chain \
	--evidence "$T_DIR/evidence.json" --nonce "$NONCE" --trust-anchor "$T_DIR/run2/sim/root-ca.pem"

# a TPM quote over a PCR the log does not explain (PCR 23 is not mirrored)
tpm2_pcrextend "23:sha256=$(hexof unmirrored sha256)" >/dev/null
check "tpm2_quote over PCR 10 and 23" tpm2_quote -c "$T_DIR/ak.ctx" -l sha256:10,23 -q "$NONCE" \
	-m "$T_DIR/q2.msg" -s "$T_DIR/q2.sig" -o "$T_DIR/q2.pcrs" -g sha256
tpm2_flushcontext -t >/dev/null 2>&1
# shellcheck disable=SC2086
verify_fails "a TPM quote over PCRs the log does not explain" tpm-quote \
	--evidence "$T_DIR/evidence.json" --nonce "$NONCE" $TA --tpm-quote "$T_DIR/q2.msg" \
	--tpm-signature "$T_DIR/q2.sig" --ak-public "$T_DIR/ak.pub" --tpm-pcrs "$T_DIR/q2.pcrs"
check "and names the PCR" grep -q "PCR 23 (sha256) is not what the log implies" "$T_DIR/verdict.json"

# a TPM quote signed by another AK
check "a second AK" tpm2_createak -C "$T_DIR/ek.ctx" -c "$T_DIR/ak2.ctx" -G rsa -g sha256 \
	-s rsassa -u "$T_DIR/ak2.pub" -f pem -n "$T_DIR/ak2.name"
tpm2_flushcontext -t >/dev/null 2>&1
tpm2_flushcontext -s >/dev/null 2>&1
# shellcheck disable=SC2086
verify_fails "a TPM quote signed by another AK" tpm-quote --evidence "$T_DIR/evidence.json" \
	--nonce "$NONCE" $TA --tpm-quote "$T_DIR/q.msg" --tpm-signature "$T_DIR/q.sig" \
	--ak-public "$T_DIR/ak2.pub"

# the configfs-tsm code path, against the FUSE emulation of /sys/kernel/config/tsm/report
# (quotes from the same sim CA, RTMRs read from the sim registers)
MNT="$T_DIR/tsm-report"
mkdir -p "$MNT"
"$BUILD/tests/tools/fake_configfs_tsm" --sim-dir "$RT/sim" "$MNT" >"$T_DIR/cfs.out" 2>"$T_DIR/cfs.err" &
CFS=$!
T_PIDS="$T_PIDS $CFS"
unmount_cfs() { mountpoint -q "$MNT" 2>/dev/null && fusermount3 -u "$MNT" 2>/dev/null; return 0; }
T_CLEANUP_HOOK=unmount_cfs
i=0
while ! grep -q ready "$T_DIR/cfs.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
check "vtpm-rtmr attest through configfs-tsm" "$TOOL" --runtime-dir "$RT" attest --nonce "$NONCE" \
	--quote-provider configfs-tsm --configfs-dir "$MNT" --out "$T_DIR/ev-cfs.json"
check "the evidence names the configfs-tsm provider" grep -q '"provider": *"tdx_guest"' "$T_DIR/ev-cfs.json"
# shellcheck disable=SC2086
verify_ok "verify evidence from configfs-tsm" --evidence "$T_DIR/ev-cfs.json" --nonce "$NONCE" $TA
check "no report entry is left behind" sh -c "[ -z \"\$(ls '$MNT')\" ]"
check_fails "attest with auto and no configfs-tsm refuses to pick sim" "$TOOL" --runtime-dir "$RT" \
	attest --nonce 00 --configfs-dir "$T_DIR/no-such-dir"
check "and says to name sim explicitly" grep -q "sim" "$T_DIR/last.out"

# the ECC EK templates: the daemon's EK is the key tpm2_createek makes from the same template
for spec in "ecc-p256 ecc 0x8101000a" "ecc-p384 ecc384 0x81010016"; do
	set -- $spec
	P=$(free_port_pair)
	start_daemon "$T_DIR/d-$1.log" --runtime-dir "$T_DIR/run-$1" --port "$P" --rtmr-backend sim \
		--ek-type "$1" || fail "daemon start --ek-type $1"
	check "--ek-type $1: tpm2_createek -G $2" env TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$P" \
		tpm2_createek -c "$T_DIR/ek-$1.ctx" -G "$2" -u "$T_DIR/ek-$1.pub"
	check "--ek-type $1: ek.tpmt is that key" sh -c "tail -c +3 '$T_DIR/ek-$1.pub' | cmp - '$T_DIR/run-$1/ek.tpmt'"
	check "--ek-type $1: persistent at $3" env TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$P" \
		tpm2_readpublic -c "$3"
	check "--ek-type $1: daemon stops cleanly" stop_daemon
done

# the daemon's --quote-provider is attest's default
P=$(free_port_pair)
start_daemon "$T_DIR/d-qp.log" --runtime-dir "$T_DIR/run-qp" --port "$P" --rtmr-backend sim \
	--quote-provider sim || fail "daemon start --quote-provider sim"
check_eq "the daemon records its quote provider" sim "$(cat "$T_DIR/run-qp/quote-provider")"
check "attest without --quote-provider uses the daemon's" "$TOOL" --runtime-dir "$T_DIR/run-qp" \
	attest --nonce "$NONCE" --out "$T_DIR/ev-qp.json"
check "the evidence names the sim provider" grep -q '"provider": *"sim"' "$T_DIR/ev-qp.json"
check "daemon stops cleanly (quote provider)" stop_daemon
check_fails "an invalid --quote-provider is a usage error" "$DAEMON" --quote-provider tpm

check_fails "verify without --evidence is a usage error" "$TOOL" verify --nonce 00
check_fails "attest without a daemon's runtime dir fails" "$TOOL" --runtime-dir "$T_DIR/none" \
	attest --nonce 00 --quote-provider sim
check "and says it cannot read the EK" grep -q "cannot read the EK" "$T_DIR/last.out"
t_done
