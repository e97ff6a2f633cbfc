# Helpers for the guest cases (busybox sh). run-case.sh sources this, then the case script.
# A case prints "PASS: <case>: what" / "FAIL: <case>: what" lines through these helpers.

RT=/run/vtpm-rtmr                                   # the daemon's runtime directory
REGDIR=/sys/class/misc/tdx_guest/measurements       # emulated tsm-mr files (fake_tdx_guest)
# shellcheck disable=SC2034 # for the cases
SIM_ROOT=/vmtest/sim-root-ca.pem                    # the root of the sim CA signing its quotes
# shellcheck disable=SC2034
QUOTE_KIT=/lib/firmware/fake_tdx_guest              # that CA's key and quote tail (the module's)
VT=/run/vmtest                                      # test state shared between cases
T_DIR=$VT/$CASE                                     # this case's scratch directory
BACKEND_ARGS="--rtmr-backend tdx-sysfs"
DAEMON_ARGS="--transport vtpm-proxy $BACKEND_ARGS --runtime-dir $RT"
TPM_TIMEOUT=${TPM_TIMEOUT:-90}                      # seconds for one tpm2 tool (TCG is slow)
mkdir -p "$T_DIR"

T_PASS=0
T_FAIL=0

pass() {
	T_PASS=$((T_PASS + 1))
	echo "PASS: $CASE: $*"
}

fail() {
	T_FAIL=$((T_FAIL + 1))
	echo "FAIL: $CASE: $*"
}

# show FILE: indented, last 25 lines (context under a FAIL line)
show() {
	tail -n 25 "$1" 2>/dev/null | sed 's/^/    | /'
}

# info TEXT / info_file FILE: context lines in the console (not counted)
info() {
	echo "    info: $*"
}
info_file() {
	tail -n "${2:-10}" "$1" 2>/dev/null | sed 's/^/    info: | /'
}

# check NAME COMMAND...: PASS if the command succeeds
check() {
	name=$1
	shift
	if "$@" >"$T_DIR/check.out" 2>&1; then
		pass "$name"
	else
		fail "$name"
		show "$T_DIR/check.out"
	fi
}

# check_fails NAME COMMAND...: PASS if the command fails
check_fails() {
	name=$1
	shift
	if "$@" >"$T_DIR/check.out" 2>&1; then
		fail "$name (succeeded unexpectedly)"
		show "$T_DIR/check.out"
	else
		pass "$name"
	fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# wait_for SECONDS COMMAND...: poll (every 0.1 s) until the command succeeds
wait_for() {
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	"$@" >/dev/null 2>&1
}

# tpm2 TOOL ARGS...: a tpm2-tools command under a time limit
t2() {
	timeout "$TPM_TIMEOUT" "$@"
}

# hexof STRING ALG: hex digest of STRING (sha1|sha256|sha384|sha512)
hexof() {
	case $2 in
	sha384) printf '%s' "$1" | openssl dgst -sha384 -r | cut -d' ' -f1 ;;
	*) printf '%s' "$1" | "$2sum" | cut -d' ' -f1 ;;     # busybox applets: no exec
	esac
}

# ---- kernel modules -------------------------------------------------------------------------

# load_modules: the image's modules (load-order, dependencies first) and fake_tdx_guest.ko,
# each once; mounts configfs. Prints what failed; returns non-zero then.
load_modules() {
	rc=0
	for m in $(cat /vmtest/modules/load-order) fake_tdx_guest; do
		[ -d "/sys/module/$m" ] && continue
		if ! insmod "/vmtest/modules/$m.ko" >"$VT/insmod.$m.out" 2>&1; then
			echo "insmod $m.ko failed: $(cat "$VT/insmod.$m.out")"
			rc=1
		fi
	done
	if [ -d /sys/kernel/config ] && ! grep -q ' /sys/kernel/config ' /proc/mounts; then
		mount -t configfs configfs /sys/kernel/config || rc=1
	fi
	return $rc
}

# ---- the daemon -------------------------------------------------------------------------------

# alive PID: the process exists and is not a zombie
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)
	[ "$st" != Z ] && [ "$st" != X ]
}

# daemon_start [ARGS...]: start vtpm-rtmrd on the vtpm_proxy driver in the background and
# wait until its device nodes exist. Sets DAEMON_PID, DAEMON_LOG, TPM_DEV, TPMRM_DEV.
# Prints why on failure and returns 1.
daemon_start() {
	n=$(($(cat "$VT/daemon.count" 2>/dev/null || echo 0) + 1))
	echo "$n" >"$VT/daemon.count"
	DAEMON_LOG=$VT/daemon.$n.log
	rm -f "$RT/device"      # a SIGKILLed instance leaves its (stale) file behind
	# shellcheck disable=SC2086
	vtpm-rtmrd $DAEMON_ARGS "$@" >"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	echo "$DAEMON_PID" >"$VT/daemon.pid"
	# Spin (no sleep) until the device file appears, to see whether the nodes it names exist
	# at the moment it is published (NODES_AT_PUBLISH=yes|no).
	i=0
	t_end=$(($(cut -d. -f1 /proc/uptime) + 60))
	while [ ! -s "$RT/device" ]; do
		i=$((i + 1))
		[ $((i % 500)) -eq 0 ] || continue
		if ! alive "$DAEMON_PID" || [ "$(cut -d. -f1 /proc/uptime)" -ge "$t_end" ]; then
			echo "the daemon did not publish a device in $RT/device:"
			show "$DAEMON_LOG"
			return 1
		fi
	done
	# shellcheck disable=SC2046
	set -- $(cat "$RT/device")
	TPM_DEV=$1
	TPMRM_DEV=$2
	if [ -c "$TPM_DEV" ] && [ -c "$TPMRM_DEV" ]; then NODES_AT_PUBLISH=yes; else NODES_AT_PUBLISH=no; fi
	if ! wait_for 10 grep -q "created TPM device" "$DAEMON_LOG"; then
		echo "no 'created TPM device' message:"
		show "$DAEMON_LOG"
		return 1
	fi
	if ! wait_for 60 test -c "$TPM_DEV" -a -c "$TPMRM_DEV"; then
		echo "$TPM_DEV / $TPMRM_DEV did not appear in 60 s"
		show "$DAEMON_LOG"
		dmesg | tail -n 20 | sed 's/^/    | dmesg: /'
		return 1
	fi
	alive "$DAEMON_PID" || { echo "the daemon exited"; show "$DAEMON_LOG"; return 1; }
	return 0
}

# check_daemon_start LABEL OUT [ARGS...]: daemon_start ARGS as a check. Passes "LABEL" (with
# the new device nodes), or fails LABEL, shows the start output kept in OUT and returns 1.
check_daemon_start() {
	_cds_label=$1
	_cds_out=$2
	shift 2
	if daemon_start "$@" >"$_cds_out" 2>&1; then
		pass "$_cds_label: $TPM_DEV $TPMRM_DEV"
		return 0
	fi
	fail "$_cds_label"
	show "$_cds_out"
	return 1
}

# daemon_stop: SIGTERM and wait; returns the daemon's exit status
daemon_stop() {
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID"
	rc=$?
	rm -f "$VT/daemon.pid"
	return $rc
}

# daemon_kill9: SIGKILL and reap
daemon_kill9() {
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	rm -f "$VT/daemon.pid"
}

# daemon_cleanup: stop a daemon a case left running (run-case.sh --cleanup)
daemon_cleanup() {
	[ -f "$VT/daemon.pid" ] || return 0
	p=$(cat "$VT/daemon.pid")
	kill -TERM "$p" 2>/dev/null
	wait_for 20 sh -c "! [ -d /proc/$p ] || grep -q '^State:.*Z' /proc/$p/status"
	kill -KILL "$p" 2>/dev/null
	rm -f "$VT/daemon.pid"
}

# dmesg_since_case: kernel messages logged since this case started
T_START=$(cut -d' ' -f1 /proc/uptime)
dmesg_since_case() {
	dmesg | awk -v t0="$T_START" '{ t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t)
		if (t + 0 >= t0 + 0) print }'
}

# tpm_errors: kernel messages of the TPM core about failed commands since the case started
# (none expected, except in cases that make the TPM fail on purpose)
tpm_errors() {
	dmesg_since_case |
		grep -iE 'A TPM error|tpm_try_transmit|Operation Timed out|tpm[^ ]*:.*(error|fail|timed? ?out)'
}

# check_no_tpm_errors LABEL
check_no_tpm_errors() {
	if tpm_errors >"$T_DIR/tpmerr.out"; then
		fail "$1: dmesg has TPM errors"
		show "$T_DIR/tpmerr.out"
	else
		pass "$1: no TPM errors in dmesg"
	fi
}

# ---- registers, logs, PCRs ---------------------------------------------------------------------

# reg_hex N: the emulated RTMR N as lowercase hex
reg_hex() {
	od -An -v -tx1 "$REGDIR/rtmr$1:sha384" | tr -d ' \n'
}

# replay_log FILE: an independent replay (openssl, not the project's code) of one event log;
# prints the register value it implies. INIT/SYNC set the value, then every record (they too)
# is extended: value = SHA-384(value || SHA-384(line)).
# Under TCG every openssl run costs a fraction of a second, so the replay is incremental: the
# replayed prefix of the log is kept (in $VT/replay) with its value, and is only reused while
# the log still starts with exactly that prefix (logs are append-only).
replay_log() {
	st=$VT/replay/${1##*/}
	mkdir -p "$VT/replay"
	v=""
	skip=0
	if [ -f "$st.prefix" ] && [ -f "$st.value" ]; then
		skip=$(wc -l <"$st.prefix")
		if head -n "$skip" "$1" | cmp -s - "$st.prefix"; then
			v=$(cat "$st.value")
		else
			skip=0
		fi
	fi
	i=0
	while IFS= read -r line; do
		i=$((i + 1))
		[ "$i" -le "$skip" ] && continue
		case $line in
		'' | '#'*) continue ;;
		'INIT sha384/'* | 'SYNC sha384/'*) v=${line#* sha384/} ;;
		esac
		d=$(printf '%s' "$line" | openssl dgst -sha384 -r | cut -c1-96)
		v=$(printf '%s%s' "$v" "$d" | xxd -r -p | openssl dgst -sha384 -r | cut -c1-96)
	done <"$1"
	head -n "$i" "$1" >"$st.prefix"
	echo "$v" >"$st.value"
	echo "$v"
}

# pcrs_of_pcrread FILE: "bank pcr hex" lines from tpm2_pcrread output (all banks)
pcrs_of_pcrread() {
	awk '/^ *[a-z0-9_]+:[ \t]*$/ { b = $1; sub(/:$/, "", b); next }
	     /^ *[0-9]+ *: *0x[0-9A-Fa-f]+/ { p = $1; sub(/:.*/, "", p); h = $0; sub(/.*0x/, "", h);
		print b, p, tolower(h) }' "$1"
}

# pcrs_of_replay FILE: "bank pcr hex" lines from `vtpm-rtmr log replay --format json`
# (a tiny tokenizer: tracks the key path; values under "pcrs" -> bank -> pcr)
pcrs_of_replay() {
	tr -d ' \t\n' <"$1" | sed 's/\([{}]\)/\n\1\n/g; s/,/\n/g' | awk '
		/^\{$/ { depth++; key[depth] = pending; pending = ""; next }
		/^\}$/ { depth--; next }
		/^".*":$/ { pending = substr($0, 2, length($0) - 3); next }
		/^".*":".*"$/ { split($0, kv, "\":\""); k = substr(kv[1], 2); v = kv[2];
			sub(/"$/, "", v)
			if (depth >= 3 && key[depth - 1] == "pcrs") print key[depth], k, v }'
}

# regs_of_replay FILE: "rtmr value" lines from the replay JSON
regs_of_replay() {
	tr -d ' \t\n' <"$1" | sed 's/\([{}]\)/\n\1\n/g; s/,/\n/g' | awk '
		/^"rtmr":[0-9]+$/ { r = $0; sub(/.*:/, "", r) }
		/^"value":"[0-9a-f]+"$/ { v = $0; sub(/^"value":"/, "", v); sub(/"$/, "", v);
			print r, v }'
}

# verify_all LABEL: the logs, the registers and the PCRs agree:
#   vtpm-rtmr log verify (tdx-sysfs) exits 0; an independent openssl replay of every log equals
#   its register; the tool's replay equals the registers; its PCR values equal tpm2_pcrread on
#   every bank (PCRs 0-15 it does not list must be all zero).
verify_all() {
	label=$1
	# shellcheck disable=SC2086
	check "$label: vtpm-rtmr log verify" vtpm-rtmr --runtime-dir "$RT" $BACKEND_ARGS log verify
	ok=1
	: >"$T_DIR/why"
	if [ "${VERIFY_REPLAY:-}" = tool ]; then
		# a case that sets VERIFY_REPLAY=tool leaves the independent replay (two openssl runs
		# per record: seconds under TCG) to the cases that test the mirroring itself
		info "$label: the independent openssl replay is left to the mirroring cases"
	else
		for f in "$RT"/rtmr*.log; do
			n=${f##*/rtmr}
			n=${n%.log}
			want=$(reg_hex "$n")
			got=$(replay_log "$f")
			[ "$got" = "$want" ] || { ok=0; echo "rtmr$n: register $want, replay $got" >>"$T_DIR/why"; }
		done
		if [ $ok = 1 ]; then
			pass "$label: independent replay of every log equals its RTMR"
		else
			fail "$label: independent replay of every log equals its RTMR"
			show "$T_DIR/why"
		fi
	fi
	if ! t2 tpm2_pcrread >"$T_DIR/pcrread.txt" 2>&1; then
		fail "$label: tpm2_pcrread"
		show "$T_DIR/pcrread.txt"
		return
	fi
	if ! vtpm-rtmr --runtime-dir "$RT" log replay --format json >"$T_DIR/replay.json" 2>&1; then
		fail "$label: vtpm-rtmr log replay --format json"
		show "$T_DIR/replay.json"
		return
	fi
	regs_of_replay "$T_DIR/replay.json" >"$T_DIR/replay.regs"
	ok=1
	: >"$T_DIR/why"
	while read -r n v; do
		[ "$(reg_hex "$n")" = "$v" ] || { ok=0; echo "rtmr$n: replay $v, register $(reg_hex "$n")" >>"$T_DIR/why"; }
	done <"$T_DIR/replay.regs"
	[ -s "$T_DIR/replay.regs" ] || { ok=0; echo "no registers in the replay JSON" >>"$T_DIR/why"; }
	if [ $ok = 1 ]; then
		pass "$label: log replay (json) values equal the RTMRs"
	else
		fail "$label: log replay (json) values equal the RTMRs"
		show "$T_DIR/why"
	fi
	pcrs_of_pcrread "$T_DIR/pcrread.txt" >"$T_DIR/pcrs.tpm"
	pcrs_of_replay "$T_DIR/replay.json" >"$T_DIR/pcrs.log"
	if awk 'NR == FNR { want[$1 " " $2] = $3; next }
		{ k = $1 " " $2; n++
		  if (k in want) { if (want[k] != $3) { print k ": log " want[k] ", TPM " $3; bad++ }
				   delete want[k] }
		  else if ($2 <= 15 && $3 !~ /^0+$/) { print k ": TPM " $3 " but no log record"; bad++ } }
		END { for (k in want) { print k ": in the log, not read from the TPM"; bad++ }
		      if (n < 24) { print "only " n " PCR values read"; bad++ }
		      exit (bad > 0) }' "$T_DIR/pcrs.log" "$T_DIR/pcrs.tpm" >"$T_DIR/why" 2>&1; then
		pass "$label: log replay (json) PCRs equal tpm2_pcrread, all banks ($(wc -l <"$T_DIR/pcrs.log") changed values)"
	else
		fail "$label: log replay (json) PCRs equal tpm2_pcrread"
		show "$T_DIR/why"
	fi
}

# ---- binary log exports -----------------------------------------------------------------------

# pcrs_of_eventlog FILE: "bank pcr hex" lines from the "pcrs:" section of tpm2_eventlog's output
pcrs_of_eventlog() {
	awk '/^pcrs:/ { on = 1; next }
	     on && /^  [a-z0-9_]+:[ \t]*$/ { b = $1; sub(/:$/, "", b); next }
	     on && /^ +[0-9]+ *: *0x[0-9A-Fa-f]+/ { p = $1; sub(/:.*/, "", p); h = $0;
		sub(/.*0x/, "", h); print b, p, tolower(h) }' "$1"
}

# eventlog_clean FILE OUT: tpm2_eventlog parses FILE into OUT and says nothing on stderr
eventlog_clean() {
	tpm2_eventlog "$1" >"$2" 2>"$2.err" && ! [ -s "$2.err" ]
}

# formats_check LABEL: the binary exports read by tpm2-tools' own parser, tpm2_eventlog:
#   tcg2: its PCR values equal tpm2_pcrread on every bank; PCRs 0-15 it does not list read as
#   zero (read before and after the export, until both reads agree: the IMA bridge may add
#   records meanwhile);
#   ccel --standalone: its sha384 value of index N+1 is RTMR N, for every log that starts at
#   zero (INIT of zeros: here the emulated registers start at zero) and has no SYNC record.
formats_check() {
	label=$1
	n=0
	while :; do
		n=$((n + 1))
		t2 tpm2_pcrread >"$T_DIR/fmt.read1" 2>&1 &&
			vtpm-rtmr --runtime-dir "$RT" log export --format tcg2 --out "$T_DIR/pcrs.tcg2" \
				>"$T_DIR/fmt.export" 2>&1 &&
			t2 tpm2_pcrread >"$T_DIR/fmt.read2" 2>&1 || { n=9; break; }
		cmp -s "$T_DIR/fmt.read1" "$T_DIR/fmt.read2" && break
		[ $n -ge 3 ] && break
	done
	if [ $n -ge 9 ] || ! cmp -s "$T_DIR/fmt.read1" "$T_DIR/fmt.read2"; then
		fail "$label: tcg2 export between two equal tpm2_pcrread"
		show "$T_DIR/fmt.export"
		return
	fi
	pass "$label: vtpm-rtmr log export --format tcg2 ($(wc -c <"$T_DIR/pcrs.tcg2") bytes)"
	if ! eventlog_clean "$T_DIR/pcrs.tcg2" "$T_DIR/tcg2.yaml"; then
		fail "$label: tpm2_eventlog parses the tcg2 export without a message"
		show "$T_DIR/tcg2.yaml.err"
		return
	fi
	pass "$label: tpm2_eventlog parses the tcg2 export without a message"
	pcrs_of_eventlog "$T_DIR/tcg2.yaml" >"$T_DIR/pcrs.el"
	pcrs_of_pcrread "$T_DIR/fmt.read2" >"$T_DIR/pcrs.tpm"
	if awk 'NR == FNR { el[$1 " " $2] = $3; nel++; next }
		{ k = $1 " " $2; n++
		  if (k in el) { if (el[k] != $3) { print k ": tpm2_eventlog " el[k] ", TPM " $3; bad++ }
				 delete el[k] }
		  else if ($2 <= 15 && $3 !~ /^0+$/) { print k ": TPM " $3 ", not in the tcg2 log"; bad++ } }
		END { for (k in el) { print k ": in the tcg2 log, not read from the TPM"; bad++ }
		      if (n < 24 || nel == 0) { print n " PCR values read, " nel " in the log"; bad++ }
		      exit (bad > 0) }' "$T_DIR/pcrs.el" "$T_DIR/pcrs.tpm" >"$T_DIR/why" 2>&1; then
		pass "$label: tpm2_eventlog's PCRs of the tcg2 export equal tpm2_pcrread, all banks ($(wc -l <"$T_DIR/pcrs.el") values)"
	else
		fail "$label: tpm2_eventlog's PCRs of the tcg2 export equal tpm2_pcrread"
		show "$T_DIR/why"
	fi
	check "$label: export ccel --standalone" vtpm-rtmr --runtime-dir "$RT" log export \
		--format ccel --standalone --out "$T_DIR/rtmrs.ccel"
	if ! eventlog_clean "$T_DIR/rtmrs.ccel" "$T_DIR/ccel.yaml"; then
		fail "$label: tpm2_eventlog parses the ccel export without a message"
		show "$T_DIR/ccel.yaml.err"
		return
	fi
	pcrs_of_eventlog "$T_DIR/ccel.yaml" >"$T_DIR/mrs.el"
	ok=1
	k=0
	: >"$T_DIR/why"
	for f in "$RT"/rtmr*.log; do
		r=${f##*/rtmr}
		r=${r%.log}
		head -n 1 "$f" | grep -q '^INIT sha384/0*$' || continue
		grep -q '^SYNC ' "$f" && continue
		k=$((k + 1))
		got=$(awk -v i=$((r + 1)) '$1 == "sha384" && $2 == i { print $3 }' "$T_DIR/mrs.el")
		[ "$got" = "$(reg_hex "$r")" ] || { ok=0; echo "index $((r + 1)): $got, RTMR$r $(reg_hex "$r")" >>"$T_DIR/why"; }
	done
	if [ $ok = 1 ] && [ $k -gt 0 ]; then
		pass "$label: tpm2_eventlog's sha384 index N+1 of the ccel export is RTMR N ($k registers)"
	else
		fail "$label: tpm2_eventlog's sha384 index N+1 of the ccel export is RTMR N ($k registers)"
		show "$T_DIR/why"
	fi
}

# ---- attestation verdicts ---------------------------------------------------------------------

# random_hex N: N random bytes as lowercase hex
random_hex() {
	head -c "$1" /dev/urandom | od -An -v -tx1 | tr -d ' \n'
}

# the checks of `vtpm-rtmr verify` on evidence alone (vtpm-rtmr(1)): all must pass
# shellcheck disable=SC2034 # for the cases
VERIFY_CHECKS="quote-structure quote-signature-chain report-data-binding rtmr-explained
init-anchored sync log-groups ek-identity ak-identity tpm-quote-signature qualifying-data
pcr-digest pcrs"

# sorted_words WORD...: the words sorted, each followed by a space
sorted_words() {
	printf '%s\n' "$@" | sort | tr '\n' ' '
}

# verdict_results FILE: "name result" for every check of a `vtpm-rtmr verify` verdict (JSON as
# json-c prints it: one key per line)
verdict_results() {
	awk '/^ *"name" *:/ { n = $0; sub(/^ *"name" *: *"/, "", n); sub(/".*/, "", n) }
	     /^ *"result" *:/ { r = $0; sub(/^ *"result" *: *"/, "", r); sub(/".*/, "", r); print n, r }' "$1"
}

# verdict_detail FILE CHECK: the "detail" of one check
verdict_detail() {
	awk -v c="$2" '/^ *"name" *:/ { n = $0; sub(/^ *"name" *: *"/, "", n); sub(/".*/, "", n) }
	     /^ *"detail" *:/ && n == c { d = $0; sub(/^ *"detail" *: *"/, "", d); sub(/",? *$/, "", d); print d }' "$1"
}

# check_verdict LABEL FILE CHECK WANT: the verdict in FILE has CHECK with result WANT (pass|fail)
check_verdict() {
	got=$(verdict_results "$2" | awk -v c="$3" '$1 == c { print $2 }')
	if [ "$got" = "$4" ]; then
		pass "$1: $3 $4"
	else
		fail "$1: $3: expected '$4', got '${got:-(no such check)}' ($(verdict_detail "$2" "$3"))"
	fi
}

# verdict_pcr_states FILE: "pcr state" for every PCR of a verdict's pcrs list
verdict_pcr_states() {
	awk '/^ *"pcr" *:/ { p = $0; sub(/^ *"pcr" *: */, "", p); sub(/[^0-9].*/, "", p) }
	     /^ *"state" *:/ { s = $0; sub(/^ *"state" *: *"/, "", s); sub(/".*/, "", s); print p, s }' "$1"
}

# ---- TDX quotes and evidence ---------------------------------------------------------------------

# file_hex FILE OFFSET LENGTH: bytes of FILE as lowercase hex
file_hex() {
	od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'
}

# evidence_quote EVIDENCE OUT: the TEE quote of an evidence document (base64 "quote") as bytes
evidence_quote() {
	sed -n 's/^ *"quote" *: *"\([^"]*\)".*/\1/p' "$1" | sed 's|\\/|/|g' | base64 -d >"$2" 2>/dev/null
}

# evidence_tpm_pcrs EVIDENCE: "bank pcr hex" for every value of the evidence's TPM quote
# (tpmQuote.pcrs: the only objects with a "value")
evidence_tpm_pcrs() {
	awk '/^ *"pcr" *:/ { p = $0; sub(/^ *"pcr" *: */, "", p); sub(/[^0-9].*/, "", p) }
	     /^ *"hashAlg" *:/ { a = $0; sub(/^ *"hashAlg" *: *"/, "", a); sub(/".*/, "", a) }
	     /^ *"value" *:/ { v = $0; sub(/^ *"value" *: *"/, "", v); sub(/".*/, "", v)
		print a, p, tolower(v) }' "$1"
}

# der_int HEX: a DER INTEGER holding the unsigned big-endian number HEX
der_int() {
	_h=$1
	while [ ${#_h} -gt 2 ] && [ "${_h#00}" != "$_h" ]; do _h=${_h#00}; done
	case $_h in [89a-f]*) _h=00$_h ;; esac
	printf '02%02x%s' $((${#_h} / 2)) "$_h"
}

# quote_sig_check QUOTE DIR: an independent check (openssl, not the project's code) of a TDX
# quote v4's own signature: ECDSA P-256 with SHA-256 over its header and TD report body (the
# first 632 bytes), r||s at 636, by the attestation key x||y at 700 that the quote carries.
# Writes DIR/signed.bin, sig.der, attest-key.der and .pem; the status of openssl dgst -verify.
quote_sig_check() {
	head -c 632 "$1" >"$2/signed.bin"
	_r=$(der_int "$(file_hex "$1" 636 32)")
	_s=$(der_int "$(file_hex "$1" 668 32)")
	printf '30%02x%s%s' $(((${#_r} + ${#_s}) / 2)) "$_r" "$_s" | xxd -r -p >"$2/sig.der"
	# SubjectPublicKeyInfo of an uncompressed P-256 point
	printf '3059301306072a8648ce3d020106082a8648ce3d03010703420004%s' "$(file_hex "$1" 700 64)" |
		xxd -r -p >"$2/attest-key.der"
	openssl pkey -pubin -inform DER -in "$2/attest-key.der" -out "$2/attest-key.pem" &&
		openssl dgst -sha256 -verify "$2/attest-key.pem" -signature "$2/sig.der" "$2/signed.bin"
}

# ---- IMA ----------------------------------------------------------------------------------------

IMA_DIR=/sys/kernel/security/ima
IMA_LIST=$IMA_DIR/binary_runtime_measurements

# ima_load_policy: (once per boot) load a policy that measures every executed file (any file
# system, the initramfs' tmpfs included; without ima_policy= the kernel measures nothing). The
# kernel has no CONFIG_IMA_WRITE_POLICY: the policy file is written once and then goes away.
ima_load_policy() {
	[ -f "$VT/ima-policy" ] && return 0
	if [ ! -e "$IMA_DIR/policy" ]; then
		echo "$IMA_DIR/policy does not exist (IMA off, or securityfs not mounted)"
		return 1
	fi
	printf 'measure func=BPRM_CHECK\n' >"$VT/ima-policy.new"
	if ! cat "$VT/ima-policy.new" >"$IMA_DIR/policy"; then
		echo "writing $IMA_DIR/policy failed"
		dmesg | grep -i ima | tail -n 5
		return 1
	fi
	mv "$VT/ima-policy.new" "$VT/ima-policy"
}

# ima_run_programs TAG N: create and run N new executables (IMA measures each): N-1 shell
# scripts and one copy of busybox
ima_run_programs() {
	mkdir -p /tmp/ima-progs
	cp /bin/busybox "/tmp/ima-progs/busybox.$1"
	"/tmp/ima-progs/busybox.$1" true || return 1
	i=1
	while [ "$i" -lt "$2" ]; do
		printf '#!/bin/sh\n# %s %s\nexit 0\n' "$1" "$i" >"/tmp/ima-progs/prog.$1.$i"
		chmod 0755 "/tmp/ima-progs/prog.$1.$i"
		"/tmp/ima-progs/prog.$1.$i" || return 1
		i=$((i + 1))
	done
}

# ima_entries FILE: one line per entry of a copy of binary_runtime_measurements:
#   "<pcr> <template sha1> <template name> <template data as hex>"
# (for the 'ima' template the data IMA hashes: the digest and the name padded to 256 bytes).
# Integers are little-endian (x86). Exits 1 on a truncated or malformed list.
ima_entries() {
	od -An -v -tx1 "$1" | awk '
	BEGIN { for (i = 0; i < 256; i++) { h = sprintf("%02x", i); v[h] = i; c[h] = sprintf("%c", i) } }
	{ for (i = 1; i <= NF; i++) b[n++] = $i }
	function le32(o) { return v[b[o]] + 256 * (v[b[o + 1]] + 256 * (v[b[o + 2]] + 256 * v[b[o + 3]])) }
	function hex(o, l,   s, i) { s = ""; for (i = 0; i < l; i++) s = s b[o + i]; return s }
	function str(o, l,   s, i) { s = ""; for (i = 0; i < l; i++) s = s c[b[o + i]]; return s }
	END {
		o = 0
		while (o < n) {
			if (o + 28 > n) { print "truncated entry header at byte " o >"/dev/stderr"; exit 1 }
			pcr = le32(o); d = hex(o + 4, 20); nl = le32(o + 24); o += 28
			if (nl < 1 || nl > 255 || o + nl > n) { print "bad template name at byte " o >"/dev/stderr"; exit 1 }
			t = str(o, nl); o += nl
			if (t == "ima") {
				fl = le32(o + 20); data = hex(o, 20) hex(o + 24, fl)
				for (i = 20 + fl; i < 276; i++) data = data "00"
				o += 24 + fl
			} else {
				dl = le32(o); o += 4; data = hex(o, dl); o += dl
			}
			if (o > n) { print "truncated entry at byte " o >"/dev/stderr"; exit 1 }
			print pcr, d, t, data
		}
	}'
}

# hash_stdin ALG: hex digest of stdin
hash_stdin() {
	case $1 in
	sha384) openssl dgst -sha384 -r | cut -c1-96 ;;
	*) "$1sum" | cut -d' ' -f1 ;;
	esac
}

# ima_replay ENTRIES ALG: PCR 10 in bank ALG as IMA would have extended it: per entry
# H(template data) (SHA-1: the list's template hash), all 0xff for a violation (digest zero),
# PCR = H(PCR || digest). Incremental like replay_log: the entries already replayed (a prefix
# of ENTRIES, the list being append-only) are not hashed again.
ima_replay() {
	st=$T_DIR/ima-replay.$2
	case $2 in sha1) z=40 ;; sha256) z=64 ;; sha384) z=96 ;; sha512) z=128 ;; esac
	v=$(head -c $((z / 2)) /dev/zero | od -An -v -tx1 | tr -d ' \n')
	skip=0
	if [ -f "$st.prefix" ] && [ -f "$st.value" ]; then
		skip=$(wc -l <"$st.prefix")
		if head -n "$skip" "$1" | cmp -s - "$st.prefix"; then
			v=$(cat "$st.value")
		else
			skip=0
		fi
	fi
	i=0
	while read -r pcr d _template data; do
		i=$((i + 1))
		[ "$i" -le "$skip" ] && continue
		[ "$pcr" = 10 ] || continue
		case $d in
		*[1-9a-f]*)
			if [ "$2" = sha1 ]; then
				td=$d
			else
				td=$(printf '%s' "$data" | xxd -r -p | hash_stdin "$2")
			fi ;;
		*) td=$(head -c $((z / 2)) /dev/zero | tr '\0' '\377' | od -An -v -tx1 | tr -d ' \n') ;;
		esac
		v=$(printf '%s%s' "$v" "$td" | xxd -r -p | hash_stdin "$2")
	done <"$1"
	head -n "$i" "$1" >"$st.prefix"
	echo "$v" >"$st.value"
	echo "$v"
}

# vtpm_pcr10_records: the PCR 10 records the running instance has logged (those after the last
# "vtpm startup clear" in rtmr2.log)
vtpm_pcr10_records() {
	awk '/^vtpm startup clear$/ { n = 0 } /^vtpm extend 10 / { n++ } END { print n + 0 }' "$RT/rtmr2.log"
}

# ima_check LABEL: PCR 10 of the vTPM (read with tpm2_pcrread, which makes the bridge catch up
# first) equals the replay of the IMA list read right after, checked by evmctl ima_measurement
# (fed the PCRs through --pcrs files: evmctl 1.4 cannot read TPM 2.0 PCRs itself) and by the
# test's own replay, for sha1 and sha256 (and sha384 by the own replay); the list is read
# completely (the ascii list's template hashes agree); the running instance logged exactly one
# "vtpm extend 10" record per entry (nothing lost, nothing applied twice).
ima_check() {
	label=$1
	d=$T_DIR/ima-check
	mkdir -p "$d"
	# the list must not grow between the PCR read and the copy (nothing new is executed in
	# between; a stray new executable would show as a count change: read again then)
	tries=0
	while :; do
		tries=$((tries + 1))
		n0=$(wc -l <"$IMA_DIR/ascii_runtime_measurements")
		if ! t2 tpm2_pcrread sha1:all+sha256:all+sha384:all >"$d/pcrread.txt" 2>&1; then
			fail "$label: tpm2_pcrread"
			show "$d/pcrread.txt"
			return 1
		fi
		cat "$IMA_LIST" >"$d/list.bin"
		cat "$IMA_DIR/ascii_runtime_measurements" >"$d/list.txt"
		n1=$(wc -l <"$d/list.txt")
		[ "$n0" = "$n1" ] && break
		[ "$tries" -ge 3 ] && { fail "$label: the IMA list keeps growing ($n0 -> $n1)"; return 1; }
	done
	if ! ima_entries "$d/list.bin" >"$d/entries" 2>"$d/entries.err"; then
		fail "$label: parsing binary_runtime_measurements"
		show "$d/entries.err"
		return 1
	fi
	n=$(wc -l <"$d/entries" | tr -d ' ')
	if [ "$(cut -d' ' -f2 "$d/entries")" = "$(awk '{ print $2 }' "$d/list.txt")" ]; then
		pass "$label: the binary list parses into $n entries, template hashes as in the ascii list"
	else
		fail "$label: binary and ascii lists differ ($n binary entries, $n1 ascii lines)"
	fi
	pcrs_of_pcrread "$d/pcrread.txt" >"$d/pcrs"
	for alg in sha1 sha256 sha384; do
		check_eq "$label: PCR 10 $alg equals the test's replay of the IMA list ($n entries)" \
			"$(ima_replay "$d/entries" $alg)" "$(awk -v b=$alg '$1 == b && $2 == 10 { print $3 }' "$d/pcrs")"
	done
	for alg in sha1 sha256; do
		awk -v b=$alg '$1 == b { printf "PCR-%02d: %s\n", $2, $3 }' "$d/pcrs" >"$d/pcrs.$alg"
	done
	if evmctl -v ima_measurement --pcrs "sha1,$d/pcrs.sha1" --pcrs "sha256,$d/pcrs.sha256" \
		"$d/list.bin" >"$d/evmctl.out" 2>&1 &&
		grep -q "^Matched per TPM bank calculated digest(s)" "$d/evmctl.out" &&
		grep -q "^sha1 PCR-10: succeed at entry $n\$" "$d/evmctl.out" &&
		grep -q "^sha256 PCR-10: succeed at entry $n\$" "$d/evmctl.out"; then
		pass "$label: evmctl ima_measurement: sha1 and sha256 PCR 10 match at entry $n of $n"
	else
		fail "$label: evmctl ima_measurement (want sha1 and sha256 PCR 10 to match at entry $n)"
		grep -vE '^(ima-ng|ima-sig|ima) |^ *$' "$d/evmctl.out" | tail -n 15 | sed 's/^/    | /'
	fi
	check_eq "$label: one 'vtpm extend 10' record per IMA entry since the instance started" \
		"$n" "$(vtpm_pcr10_records)"
}
