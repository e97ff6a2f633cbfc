#!/bin/sh
# Attestation end to end on the host (sim RTMR backend, sim quote provider): vtpm-rtmr attest
# makes one evidence document (TPM quote with the daemon's AK, TEE quote binding the EK, the
# logs) and vtpm-rtmr verify passes it. Then every forged input an attacker could hand a
# verifier fails, naming the rule of DESIGN.md ("Attestation") it breaks.
. tests/integration/lib.sh
t_init attest

PORT=$(free_port_pair)
RT="$T_DIR/run"
NONCE=0123456789abcdef0011223344556677
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
start_daemon "$T_DIR/d.log" --runtime-dir "$RT" --port "$PORT" --rtmr-backend sim \
	--quote-provider sim || { fail "daemon start"; t_done; exit 1; }

hexof() {
	printf '%s' "$1" | "$2"sum | cut -d' ' -f1
}
# the same extends in any TPM this test starts: PCR 10 (IMA-like, two banks), 8, 1 and 4
extends() {
	for i in 1 2 3; do
		tpm2_pcrextend "10:sha256=$(hexof "ima-$i" sha256),sha1=$(hexof "ima-$i" sha1)"
	done
	tpm2_pcrextend "8:sha256=$(hexof grub sha256)" &&
		tpm2_pcrextend "1:sha384=$(hexof cfg sha384)" &&
		tpm2_pcrextend "4:sha512=$(hexof boot sha512)"
}
extends_at() {
	(
		TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$1"
		export TPM2TOOLS_TCTI
		extends
	)
}
check "extends in PCRs of RTMR0, 1 and 2" extends

check "vtpm-rtmr attest" "$TOOL" --runtime-dir "$RT" attest --nonce "$NONCE" \
	--out "$T_DIR/evidence.json"
check "the evidence holds the AK, the TPM quote and its values" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d['version'] == 2 and d['akPublic'] and d['tpmQuote']['attest']
pcrs = {(p['pcr'], p['hashAlg']) for p in d['tpmQuote']['pcrs']}
assert {(8, 'sha256'), (10, 'sha1'), (1, 'sha384'), (4, 'sha512'), (0, 'sha256')} <= pcrs, pcrs
assert not any(p[0] in (16, 23) for p in pcrs), 'an unmapped PCR was quoted'
" "$T_DIR/evidence.json"
check "akPublic is the daemon's ak.tpmt" sh -c "python3 -c \"import json,base64,sys; \
sys.stdout.buffer.write(base64.b64decode(json.load(open('$T_DIR/evidence.json'))['akPublic']))\" \
| cmp - '$RT/ak.tpmt'"

TA="--trust-anchor $RT/sim/root-ca.pem"
EV="--evidence $T_DIR/evidence.json --nonce $NONCE $TA"

# verify_ok NAME ARGS...: exit 0, verdict pass
verify_ok() {
	name=$1
	shift
	# shellcheck disable=SC2086
	if "$TOOL" verify "$@" >"$T_DIR/verdict.json" 2>&1; then
		pass "$name"
	else
		fail "$name"
		sed 's/^/    | /' "$T_DIR/verdict.json" | head -60
	fi
}

# verify_fails NAME CHECK ARGS...: exit 1 and CHECK is a failing check
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
		sed 's/^/    | /' "$T_DIR/verdict.json" "$T_DIR/why" | head -40
	fi
}

# check_state PCR STATE: the last verdict lists the PCR in that state
check_state() {
	check "the verdict lists PCR $1 as $2" python3 -c "
import json, sys
v = json.load(open(sys.argv[1]))
s = [p for p in v['pcrs'] if p['pcr'] == int(sys.argv[2])][0]
assert s['state'] == sys.argv[3], s" "$T_DIR/verdict.json" "$1" "$2"
}

# shellcheck disable=SC2086
verify_ok "verify: every check passes with one attest and one verify" $EV
check_state 8 verified
check_state 10 verified
check_state 1 verified
check_state 4 verified
check_state 0 initial
check_state 16 not-mapped
check "the verdict says TCB status is not checked" grep -q "TCB status" "$T_DIR/verdict.json"
check "tpm2_createek gives the bound EK" tpm2_createek -c "$T_DIR/ek.ctx" -G rsa -u "$T_DIR/ek.pub"
tpm2_flushcontext -t >/dev/null 2>&1
tpm2_readpublic -c 0x81010001 -f pem -o "$T_DIR/ek.pem" >/dev/null 2>&1
# shellcheck disable=SC2086
verify_ok "verify --expect-ek (tpm2_createek output)" $EV --expect-ek "$T_DIR/ek.pub"
# shellcheck disable=SC2086
verify_ok "verify --expect-ek (PEM)" $EV --expect-ek "$T_DIR/ek.pem"
# shellcheck disable=SC2086
verify_ok "--require-pcrs 8,10 (a subset)" $EV --require-pcrs 8,10
# shellcheck disable=SC2086
verify_ok "--require-pcrs none" $EV --require-pcrs none

tamper() {
	python3 tests/integration/evidence_tamper.py "$T_DIR/evidence.json" "$T_DIR/$1.json" "$@"
}
# forged NAME CHECK TAMPERING ARG...: the tampered evidence fails with CHECK
forged() {
	name=$1
	want=$2
	shift 2
	tamper "$@" || fail "$name: cannot make the forged evidence"
	verify_fails "$name" "$want" --evidence "$T_DIR/$1.json" --nonce "$NONCE" \
		--trust-anchor "$RT/sim/root-ca.pem"
}

# ---- the TEE quote and the EK binding ----
verify_fails "wrong nonce" report-data-binding --evidence "$T_DIR/evidence.json" --nonce 00ff $TA
verify_fails "the default trust anchor (Intel) for a sim quote" quote-signature-chain \
	--evidence "$T_DIR/evidence.json" --nonce "$NONCE"
forged "one TEE quote byte flipped" quote-signature-chain flip-quote 200

# a second TPM instance: another EK and AK, the same extends
P2=$(free_port_pair)
start_daemon "$T_DIR/d2.log" --runtime-dir "$T_DIR/run2" --port "$P2" --rtmr-backend sim \
	--quote-provider sim || fail "second daemon"
check "the same extends in the second TPM" extends_at "$P2"
check "attest of the second TPM" "$TOOL" --runtime-dir "$T_DIR/run2" attest --nonce "$NONCE" \
	--out "$T_DIR/evidence2.json"
verify_fails "a quote chained to another root" quote-signature-chain \
	--evidence "$T_DIR/evidence.json" --nonce "$NONCE" --trust-anchor "$T_DIR/run2/sim/root-ca.pem"
forged "the EK swapped for another TPM's" report-data-binding swap-ek "$T_DIR/run2/ek.tpmt"

# a fresh TEE quote binding another TPM's EK next to these logs, as software in the TD can
# get one: the configfs-tsm emulation quotes this TD's registers over any report data
MNT="$T_DIR/tsm-report"
mkdir -p "$MNT"
"$BUILD/tests/tools/fake_configfs_tsm" --sim-dir "$RT/sim" "$MNT" >"$T_DIR/cfs.out" 2>"$T_DIR/cfs.err" &
T_PIDS="$T_PIDS $!"
unmount_cfs() { mountpoint -q "$MNT" 2>/dev/null && fusermount3 -u "$MNT" 2>/dev/null; return 0; }
T_CLEANUP_HOOK=unmount_cfs
i=0
while ! grep -q ready "$T_DIR/cfs.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
forged "another TPM's EK bound into a fresh TEE quote beside these logs" ek-identity \
	requote-ek "$T_DIR/run2/ek.tpmt" "$MNT"
check "(and the binding itself holds: the quote is fresh)" python3 -c "
import json, sys
v = json.load(open(sys.argv[1]))
assert [c for c in v['checks'] if c['name'] == 'report-data-binding'][0]['result'] == 'pass'
" "$T_DIR/verdict.json"

# ---- the logs ----
for t in alter-record remove-record swap-records; do
	forged "log tampering: $t" rtmr-explained $t
done
forged "the log of a mapped RTMR (RTMR0) left out" rtmr-explained drop-log 0

# ---- the TPM quote ----
forged "a TPM quote by another TPM's AK, same PCR values" ak-identity splice-tpm \
	"$T_DIR/evidence2.json"
openssl genrsa -out "$T_DIR/evil.pem" 2048 2>/dev/null
forged "a TPMS_ATTEST made by hand, signed by an openssl key claiming AK attributes" \
	ak-identity openssl-ak "$T_DIR/evil.pem" fixedTPM,fixedParent,sensitiveDataOrigin,userWithAuth,restricted,sign
check "(named as another AK than the logs')" grep -q "names another AK" "$T_DIR/verdict.json"
forged "the same with a key that is not restricted" ak-identity openssl-ak "$T_DIR/evil.pem" \
	fixedTPM,fixedParent,sensitiveDataOrigin,userWithAuth,sign
check "(named as lacking restricted)" grep -q "lacks restricted" "$T_DIR/verdict.json"
check "attest for another nonce" "$TOOL" --runtime-dir "$RT" attest --nonce 00aa \
	--out "$T_DIR/evidence-other-nonce.json"
forged "a TPM quote made for another nonce" qualifying-data splice-tpm \
	"$T_DIR/evidence-other-nonce.json"
forged "a listed PCR value altered" pcr-digest alter-pcr
# the daemon's own AK over a selection without any mapped PCR
check "tpm2_quote with the daemon's AK over PCR 16 only" tpm2_quote -c 0x81010002 \
	-l sha256:16 -q "$NONCE" -m "$T_DIR/q16.msg" -s "$T_DIR/q16.sig" -o "$T_DIR/q16.pcrs" -g sha256
V16=$(tpm2_pcrread sha256:16 -o "$T_DIR/p16.bin" >/dev/null && xxd -p -c 64 "$T_DIR/p16.bin")
forged "a real AK quote over no mapped PCR" pcrs tpm2-quote "$T_DIR/q16.msg" "$T_DIR/q16.sig" \
	"16:sha256:$V16"
check "(the required PCRs are named as not quoted)" grep -q "PCR 8: not in the TPM quote" \
	"$T_DIR/verdict.json"
# a TPM quote from later (PCR 8 extended since) beside the older logs
tpm2_pcrextend "8:sha256=$(hexof later sha256)" >/dev/null
check "attest after another extend" "$TOOL" --runtime-dir "$RT" attest --nonce "$NONCE" \
	--out "$T_DIR/evidence-later.json"
forged "a TPM quote newer than the logs beside them" pcrs splice-tpm "$T_DIR/evidence-later.json"
check "(no one point of the log explains it)" grep -q "match no one point" "$T_DIR/verdict.json"
# shellcheck disable=SC2086
verify_fails "a required PCR no log maps (--require-pcrs 23)" pcrs $EV --require-pcrs 23
# shellcheck disable=SC2086
verify_fails "a bad --require-pcrs list" pcrs $EV --require-pcrs 9-3
check_fails "a nonce longer than 64 bytes cannot be qualifying data" "$TOOL" --runtime-dir "$RT" \
	attest --nonce "$(printf '%0130d' 7)"
check "and says so" grep -q "qualifying data" "$T_DIR/last.out"
# an external AK: Keylime's flow makes one under the EK; without a proof it binds nothing
check "tpm2_createak under the EK" tpm2_createak -C "$T_DIR/ek.ctx" -c "$T_DIR/ak.ctx" -G rsa \
	-g sha256 -s rsassa -u "$T_DIR/ak.pub" -f pem -n "$T_DIR/ak.name"
tpm2_flushcontext -t >/dev/null 2>&1
tpm2_flushcontext -s >/dev/null 2>&1
check "tpm2_quote with it" tpm2_quote -c "$T_DIR/ak.ctx" -l sha256:8,10 -q "$NONCE" \
	-m "$T_DIR/q.msg" -s "$T_DIR/q.sig" -g sha256
tpm2_flushcontext -t >/dev/null 2>&1
# shellcheck disable=SC2086
verify_fails "an external TPM quote without a proof binding its AK to the EK" \
	tpm-quote-external $EV --tpm-quote "$T_DIR/q.msg" --tpm-signature "$T_DIR/q.sig" \
	--ak-public "$T_DIR/ak.pub"

# ---- SYNC: an honest one, then a clean history hidden behind it ----
python3 - "$RT/sim/rtmr2:sha384" <<'PY'
import hashlib, sys
reg = open(sys.argv[1], "r+b")
v = reg.read(48)
reg.seek(0)
reg.write(hashlib.sha384(v + hashlib.sha384(b"foreign").digest()).digest())
PY
tpm2_pcrextend "8:sha256=$(hexof after-sync sha256)" >/dev/null
check "the daemon logged a SYNC" grep -q "^SYNC " "$RT/rtmr2.log"
check "attest with a SYNC in RTMR2's log" "$TOOL" --runtime-dir "$RT" attest --nonce "$NONCE" \
	--out "$T_DIR/evidence-sync.json"
verify_fails "a SYNC fails by default" sync --evidence "$T_DIR/evidence-sync.json" \
	--nonce "$NONCE" $TA
verify_fails "--allow-sync: the RTMR replay passes, PCRs before the SYNC are not verified" pcrs \
	--evidence "$T_DIR/evidence-sync.json" --nonce "$NONCE" $TA --allow-sync
check_state 8 unverifiable
check "(because of the SYNC)" grep -q "before a SYNC" "$T_DIR/verdict.json"
python3 tests/integration/evidence_tamper.py "$T_DIR/evidence-sync.json" \
	"$T_DIR/clean.json" clean-history 2
verify_fails "a clean history behind the SYNC, --allow-sync" pcrs \
	--evidence "$T_DIR/clean.json" --nonce "$NONCE" $TA --allow-sync
check "(the RTMR replay itself passes)" python3 -c "
import json, sys
v = json.load(open(sys.argv[1]))
assert [c for c in v['checks'] if c['name'] == 'rtmr-explained'][0]['result'] == 'pass'
" "$T_DIR/verdict.json"
check "daemon stops cleanly" stop_daemon

# ---- records not where the daemon writes them: a foreign 'vtpm ak' appended to the log and
# extended into the register, as anything else in the TD that can write both could ----
P3=$(free_port_pair)
start_daemon "$T_DIR/d3.log" --runtime-dir "$T_DIR/run3" --port "$P3" --rtmr-backend sim \
	--quote-provider sim || fail "third daemon"
python3 - "$T_DIR/run3/rtmr2.log" "$T_DIR/run3/sim/rtmr2:sha384" <<'PY'
import hashlib, sys
line = b"vtpm ak sha256/" + b"ab" * 32
open(sys.argv[1], "ab").write(line + b"\n")
reg = open(sys.argv[2], "r+b")
v = reg.read(48)
reg.seek(0)
reg.write(hashlib.sha384(v + hashlib.sha384(line).digest()).digest())
PY
check "attest with the foreign record" env TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$P3" \
	"$TOOL" --runtime-dir "$T_DIR/run3" attest --nonce "$NONCE" --out "$T_DIR/evidence3.json"
verify_fails "a vtpm ak record out of its group" log-groups --evidence "$T_DIR/evidence3.json" \
	--nonce "$NONCE" --trust-anchor "$T_DIR/run3/sim/root-ca.pem"
check "daemon 3 stops cleanly" stop_daemon

# ---- INIT: zero, or what the firmware's CCEL says the register held ----
P4=$(free_port_pair)
mkdir -p "$T_DIR/run4/sim"
python3 tests/integration/synth_ccel.py "$T_DIR/ccel.bin" --sim-dir "$T_DIR/run4/sim" >/dev/null
python3 tests/integration/synth_ccel.py "$T_DIR/ccel-other.bin" --tag other >/dev/null
start_daemon "$T_DIR/d4.log" --runtime-dir "$T_DIR/run4" --port "$P4" --rtmr-backend sim \
	--quote-provider sim --ccel "$T_DIR/ccel.bin" || fail "fourth daemon"
check "the logs start at the firmware's values" sh -c "! grep -q '^INIT sha384/0000' '$T_DIR/run4/rtmr0.log'"
T4="env TPM2TOOLS_TCTI=swtpm:host=127.0.0.1,port=$P4 $TOOL --runtime-dir $T_DIR/run4 attest --nonce $NONCE"
check "attest with the firmware's CCEL" $T4 --ccel "$T_DIR/ccel.bin" --out "$T_DIR/ev4.json"
verify_ok "verify: INIT values anchored by the CCEL" --evidence "$T_DIR/ev4.json" --nonce "$NONCE" \
	--trust-anchor "$T_DIR/run4/sim/root-ca.pem"
check "attest without a CCEL" $T4 --ccel /dev/null --out "$T_DIR/ev4-none.json"
check "attest without a CCEL at all (no ACPI table here)" $T4 --out "$T_DIR/ev4-absent.json"
verify_fails "a non-zero INIT and no CCEL" init-anchored --evidence "$T_DIR/ev4-absent.json" \
	--nonce "$NONCE" --trust-anchor "$T_DIR/run4/sim/root-ca.pem"
check "attest with another firmware's CCEL" $T4 --ccel "$T_DIR/ccel-other.bin" --out "$T_DIR/ev4-other.json"
verify_fails "a CCEL that does not end at INIT" init-anchored --evidence "$T_DIR/ev4-other.json" \
	--nonce "$NONCE" --trust-anchor "$T_DIR/run4/sim/root-ca.pem"
check "daemon 4 stops cleanly" stop_daemon

# ---- the configfs-tsm code path, against the FUSE emulation of /sys/kernel/config/tsm/report
P5=$(free_port_pair)
start_daemon "$T_DIR/d5.log" --runtime-dir "$T_DIR/run5" --port "$P5" --rtmr-backend sim ||
	fail "fifth daemon"
fusermount3 -u "$MNT" 2>/dev/null
"$BUILD/tests/tools/fake_configfs_tsm" --sim-dir "$T_DIR/run5/sim" "$MNT" >"$T_DIR/cfs5.out" 2>&1 &
T_PIDS="$T_PIDS $!"
i=0
while ! grep -q ready "$T_DIR/cfs5.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
A5="env TPM2TOOLS_TCTI=swtpm:host=127.0.0.1,port=$P5 $TOOL --runtime-dir $T_DIR/run5 attest"
check "vtpm-rtmr attest through configfs-tsm" $A5 --nonce "$NONCE" --quote-provider configfs-tsm \
	--configfs-dir "$MNT" --out "$T_DIR/ev-cfs.json"
check "the evidence names the configfs-tsm provider" grep -q '"provider": *"tdx_guest"' "$T_DIR/ev-cfs.json"
verify_ok "verify evidence from configfs-tsm" --evidence "$T_DIR/ev-cfs.json" --nonce "$NONCE" \
	--trust-anchor "$T_DIR/run5/sim/root-ca.pem"
check "no report entry is left behind" sh -c "[ -z \"\$(ls '$MNT')\" ]"
check_fails "attest with auto and no configfs-tsm refuses to pick sim" $A5 --nonce 00 \
	--configfs-dir "$T_DIR/no-such-dir"
check "and says to name sim explicitly" grep -q "sim" "$T_DIR/last.out"
check_eq "without --quote-provider attest takes the daemon's (auto)" auto \
	"$(cat "$T_DIR/run5/quote-provider")"
# without the AK, attest fails cleanly (it is back at the next daemon start)
check "evict the AK" env TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$P5" tpm2_evictcontrol -C o \
	-c 0x81010002
check_fails "attest without the AK fails" $A5 --nonce "$NONCE" --quote-provider configfs-tsm \
	--configfs-dir "$MNT" --out "$T_DIR/ev-noak.json"
check "and says the AK is missing" grep -q "no AK at 0x81010002" "$T_DIR/last.out"
check "daemon 5 stops cleanly" stop_daemon

# the ECC EK templates: the daemon's EK is the key tpm2_createek makes from the same template,
# and its AK is ECC too
for spec in "ecc-p256 ecc 0x8101000a" "ecc-p384 ecc384 0x81010016"; do
	set -- $spec
	P=$(free_port_pair)
	start_daemon "$T_DIR/d-$1.log" --runtime-dir "$T_DIR/run-$1" --port "$P" --rtmr-backend sim \
		--ek-type "$1" --quote-provider sim || fail "daemon start --ek-type $1"
	check "--ek-type $1: tpm2_createek -G $2" env TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$P" \
		tpm2_createek -c "$T_DIR/ek-$1.ctx" -G "$2" -u "$T_DIR/ek-$1.pub"
	check "--ek-type $1: ek.tpmt is that key" sh -c "tail -c +3 '$T_DIR/ek-$1.pub' | cmp - '$T_DIR/run-$1/ek.tpmt'"
	check "--ek-type $1: persistent at $3" env TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$P" \
		tpm2_readpublic -c "$3"
	check "--ek-type $1: attest" env TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$P" "$TOOL" \
		--runtime-dir "$T_DIR/run-$1" attest --nonce "$NONCE" --out "$T_DIR/ev-$1.json"
	verify_ok "--ek-type $1: verify (an ECC AK)" --evidence "$T_DIR/ev-$1.json" --nonce "$NONCE" \
		--trust-anchor "$T_DIR/run-$1/sim/root-ca.pem"
	check "--ek-type $1: daemon stops cleanly" stop_daemon
done

check_fails "an invalid --quote-provider is a usage error" "$DAEMON" --quote-provider tpm
check_fails "verify without --evidence is a usage error" "$TOOL" verify --nonce 00
check_fails "attest without a daemon's runtime dir fails" "$TOOL" --runtime-dir "$T_DIR/none" \
	attest --nonce 00 --quote-provider sim
check "and says it cannot read the EK" grep -q "cannot read the EK" "$T_DIR/last.out"
t_done
