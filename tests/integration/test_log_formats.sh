#!/bin/sh
# vtpm-rtmr log export --format tcg2|ccel|cel-tlv against parsers nobody here wrote: the
# daemon (sim registers seeded with a synthetic firmware CCEL's final values) takes extends in
# all four banks, PCR_Event and a hash sequence (tpm2_pcrevent of 3000 bytes), a Startup(CLEAR)
# and a PCR_Reset; then
#  - tcg2: tpm2_eventlog parses it without error and its PCRs equal tpm2_pcrread, every
#    mapped PCR and bank; what came before the startup (and before the reset) is not in it;
#  - ccel: tpm2_eventlog of the firmware CCEL (padding cut) followed by our export gives, for
#    index N+1, the sim register N; standalone, it parses too; with the padding left in, our
#    reader names the offset where it breaks;
#  - cel-tlv: an independent reader finds the CEL-JSON export's records and replays every MR
#    to its register, and so does vtpm-rtmr's own reader (log show --format cel-tlv);
#  - a truncated binary log given to log show: exit 2, naming the offset.
. tests/integration/lib.sh
t_init log_formats

PORT=$(free_port_pair)
RT="$T_DIR/run"
CHECK="python3 tests/integration/log_formats_check.py"
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
printf 'pcr 16 -> rtmr 3\n' >"$T_DIR/map.conf"
hexof() {
	printf '%s' "$1" | "$2"sum | cut -d' ' -f1
}
# the last "replay" line of log show for MR n: its sha384 hex
show_value() {
	sed -n "s|^  MR $2 (RTMR$(($2 - 1))) *sha384/\([0-9a-f]*\).*|\1|p" "$1"
}
reg_hex() {
	od -An -tx1 -v "$RT/sim/rtmr$1:sha384" | tr -d ' \n'
}

# the firmware's CCEL (512 bytes of 0xff padding, as the ACPI table's unused area), and the
# registers it leaves, which the daemon starts on
mkdir -p "$RT"
check "synthetic firmware CCEL, its final values in the sim registers" sh -c \
	"python3 tests/integration/synth_ccel.py '$T_DIR/fw.ccel' --padding 512 --sim-dir '$RT/sim' \
	--tag $$ >'$T_DIR/fw.values'"
start_daemon "$T_DIR/d.log" --runtime-dir "$RT" --port "$PORT" --rtmr-backend sim \
	--map "$T_DIR/map.conf" || { fail "daemon start"; t_done; exit 1; }
check "the logs start where the firmware left the registers" $CHECK init "$T_DIR/fw.values" "$RT"

# a record of the instance before the next Startup(CLEAR): not in the tcg2 export
check "pcrextend 8 before a Startup(CLEAR)" tpm2_pcrextend "8:sha256=$(hexof before sha256)"
check "CMD_INIT" swtpm_ioctl --tcp "127.0.0.1:$((PORT + 1))" -i
check "tpm2_startup -c" tpm2_startup -c
check "pcrextend 9, four banks" tpm2_pcrextend \
	"9:sha1=$(hexof two sha1),sha256=$(hexof two sha256),sha384=$(hexof two sha384),sha512=$(hexof two sha512)"
check "pcrextend 8, sha1" tpm2_pcrextend "8:sha1=$(hexof three sha1)"
printf 'small event data' >"$T_DIR/small"
check "pcrevent 10 (PCR_Event)" tpm2_pcrevent 10 "$T_DIR/small"
head -c 3000 /dev/urandom >"$T_DIR/big"
check "pcrevent 11 of 3000 bytes (hash sequence)" tpm2_pcrevent 11 "$T_DIR/big"
check "pcrextend 1 (RTMR0), sha384" tpm2_pcrextend "1:sha384=$(hexof four sha384)"
check "pcrextend 4 (RTMR1), sha512" tpm2_pcrextend "4:sha512=$(hexof five sha512)"
check "pcrextend 16 (RTMR3), then reset it" sh -c "tpm2_pcrextend 16:sha256=$(hexof six sha256) \
	&& tpm2_pcrreset 16 && tpm2_pcrextend 16:sha384=$(hexof seven sha384)"
check "pcrread, all banks" sh -c "tpm2_pcrread >'$T_DIR/pcrread.txt'"
# a record of another domain, appended and extended as another log keeper would
line="acme measured something"
printf '%s\n' "$line" >>"$RT/rtmr2.log"
python3 -c "import hashlib,sys; p=sys.argv[1]; v=open(p,'rb').read(); \
open(p,'r+b').write(hashlib.sha384(v + hashlib.sha384(sys.argv[2].encode()).digest()).digest())" \
	"$RT/sim/rtmr2:sha384" "$line"
check "log verify (sim registers)" "$TOOL" --runtime-dir "$RT" --rtmr-backend sim log verify

# ---- tcg2 ----
check "export tcg2" "$TOOL" --runtime-dir "$RT" log export --format tcg2 --out "$T_DIR/pcrs.tcg2"
check "tpm2_eventlog parses it" sh -c "tpm2_eventlog '$T_DIR/pcrs.tcg2' >'$T_DIR/tcg2.yaml' \
	2>'$T_DIR/tcg2.err' && ! grep -q . '$T_DIR/tcg2.err'"
check "tpm2_eventlog's PCRs equal tpm2_pcrread, every mapped PCR and bank" \
	$CHECK tcg2 "$T_DIR/tcg2.yaml" "$T_DIR/pcrread.txt" 0-16
check "its header names the four banks" sh -c "grep -c 'algorithmId: sha' '$T_DIR/tcg2.yaml' | grep -qx 4"
check "events are EV_EVENT_TAG" grep -q "EventType: EV_EVENT_TAG" "$T_DIR/tcg2.yaml"
check "the extend before Startup(CLEAR) is not in it" sh -c \
	"! grep -q '$(hexof before sha256)' '$T_DIR/tcg2.yaml'"
check "nor the extend of PCR 16 before its reset" sh -c "! grep -q '$(hexof six sha256)' '$T_DIR/tcg2.yaml'"
check "log show --format tcg2 shows the NELR lines" sh -c "'$TOOL' log show --format tcg2 \
	'$T_DIR/pcrs.tcg2' | grep -q 'NELR\") \"vtpm extend 11 sha1/'"

# ---- ccel ----
check "export ccel (to append)" "$TOOL" --runtime-dir "$RT" log export --format ccel --out "$T_DIR/ours.ccel"
"$TOOL" log show --format ccel "$T_DIR/fw.ccel" >"$T_DIR/fw.show" 2>&1
end=$(sed -n 's/.* events, ending at offset \([0-9]*\); then 512 bytes of 0xff padding.*/\1/p' "$T_DIR/fw.show")
check "log show finds the firmware CCEL's events and its padding" test -n "$end"
head -c "$end" "$T_DIR/fw.ccel" >"$T_DIR/full.ccel"
cat "$T_DIR/ours.ccel" >>"$T_DIR/full.ccel"
check "tpm2_eventlog parses the firmware CCEL followed by ours" sh -c "tpm2_eventlog \
	'$T_DIR/full.ccel' >'$T_DIR/ccel.yaml' 2>'$T_DIR/ccel.err' && ! grep -q . '$T_DIR/ccel.err'"
check "its sha384 index N+1 equals RTMR N (all four)" $CHECK ccel "$T_DIR/ccel.yaml" "$RT/sim"
"$TOOL" log show --format ccel "$T_DIR/full.ccel" >"$T_DIR/full.show" 2>&1
for n in 1 2 3 4; do
	check_eq "log show --format ccel replays MR $n to RTMR$((n - 1))" "$(reg_hex $((n - 1)))" \
		"$(show_value "$T_DIR/full.show" $n)"
done
cat "$T_DIR/fw.ccel" "$T_DIR/ours.ccel" >"$T_DIR/padded.ccel"
check_fails "appended after the padding: log show refuses" "$TOOL" log show --format ccel "$T_DIR/padded.ccel"
check "naming the offset in the padding where it breaks" grep -q "offset $((end + 8)) (event 7)" "$T_DIR/last.out"
check "export ccel --standalone" "$TOOL" --runtime-dir "$RT" log export --format ccel --standalone \
	--out "$T_DIR/alone.ccel"
check "tpm2_eventlog parses it" sh -c "tpm2_eventlog '$T_DIR/alone.ccel' >'$T_DIR/alone.yaml' \
	2>'$T_DIR/alone.err' && ! grep -q . '$T_DIR/alone.err'"
check "and from zero replays RTMR3 (INIT zero) to its register" sh -c \
	"grep -q '^    4  : 0x$(reg_hex 3)' '$T_DIR/alone.yaml'"

# ---- cel-tlv ----
check "export cel-tlv" "$TOOL" --runtime-dir "$RT" log export --format cel-tlv --out "$T_DIR/logs.cel"
check "export cel-json" "$TOOL" --runtime-dir "$RT" log export --format cel-json --out "$T_DIR/logs.json"
check "an independent reader: the CEL-JSON records, each MR replays to its register" \
	$CHECK cel "$T_DIR/logs.cel" "$T_DIR/logs.json" "$RT/sim"
"$TOOL" log show --format cel-tlv "$T_DIR/logs.cel" >"$T_DIR/cel.show" 2>&1
for n in 1 2 3 4; do
	check_eq "vtpm-rtmr's reader replays MR $n to RTMR$((n - 1))" "$(reg_hex $((n - 1)))" \
		"$(show_value "$T_DIR/cel.show" $n)"
done

# ---- malformed input ----
head -c 200 "$T_DIR/pcrs.tcg2" >"$T_DIR/cut.tcg2"
"$TOOL" log show --format tcg2 "$T_DIR/cut.tcg2" >/dev/null 2>"$T_DIR/cut.err"
check_eq "a truncated tcg2 log: exit 2" 2 $?
check "naming the offset" grep -q "cut.tcg2: offset [0-9]* (event [0-9]*): " "$T_DIR/cut.err"
head -c 100 "$T_DIR/logs.cel" >"$T_DIR/cut.cel"
check_fails "a truncated cel-tlv log" "$TOOL" log show --format cel-tlv "$T_DIR/cut.cel"
check "naming the offset" grep -q "cut.cel: offset [0-9]* (record 0): " "$T_DIR/last.out"
check_fails "export to a file name that is not rtmr<N>.log (ccel)" sh -c \
	"cp '$RT/rtmr2.log' '$T_DIR/x.log' && '$TOOL' log export --format ccel --out /dev/null '$T_DIR/x.log'"
check "daemon stops cleanly" stop_daemon
t_done
