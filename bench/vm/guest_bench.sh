# vm-bins: /usr/bin/swtpm @TPM_CLIENT@
# The vtpm_proxy benchmark in the guest (bench/vm/run.sh puts it among the VM test rig's cases;
# guest/run-case.sh sources guest/lib.sh, then this). Not a test: it prints figures, one
# "BENCH-VM" line each, for bench/vm/report.py.
#
# Servers, each behind its own /dev/tpmrmN of the real vtpm_proxy driver:
#   ours      vtpm-rtmrd, default map (PCR 8 mirrored), the tdx-sysfs backend on the emulated
#             registers of fake_tdx_guest.ko (as the VM tests run it)
#   ours-sim  the same on the sim backend (as the host benchmark runs it)
#   nomap     vtpm-rtmrd with no mapped PCR
#   swtpm     swtpm chardev --vtpm-proxy --tpm2
# tpm_client sends each its commands through the kernel's resource manager, interleaved in
# blocks, the order rotating by round. Settings from the kernel command line: vmbench.n,
# vmbench.rounds, vmbench.block, vmbench.ops (comma-separated).

N=200
ROUNDS=5
BLOCK=20
OPS=extend,read
for w in $(cat /proc/cmdline); do
	case $w in
	vmbench.n=*) N=${w#*=} ;;
	vmbench.rounds=*) ROUNDS=${w#*=} ;;
	vmbench.block=*) BLOCK=${w#*=} ;;
	vmbench.ops=*) OPS=${w#*=} ;;
	esac
done

bench_fail() {
	echo "BENCH-VM error $*"
	fail "$*"
}

load_modules >"$T_DIR/modules.out" 2>&1 ||
	{ bench_fail "loading the kernel modules"; show "$T_DIR/modules.out"; return 1; }

BPIDS=""
# start_ours NAME ARGS...: vtpm-rtmrd on /dev/vtpmx, runtime dir /run/bench-NAME; sets DEV
start_ours() {
	name=$1
	shift
	rt=/run/bench-$name
	mkdir -p "$rt"
	vtpm-rtmrd --transport vtpm-proxy --runtime-dir "$rt" --ima-bridge off --ek-type ecc-p256 \
		--log-level warn "$@" >"$T_DIR/$name.log" 2>&1 &
	BPIDS="$BPIDS $!"
	wait_for 120 test -s "$rt/device" || { show "$T_DIR/$name.log"; return 1; }
	DEV=$(cut -d' ' -f2 "$rt/device")
	wait_for 60 test -c "$DEV"
}

# start_swtpm: swtpm's vtpm-proxy mode; it prints the device it created
start_swtpm() {
	mkdir -p /run/bench-swtpm
	swtpm chardev --vtpm-proxy --tpm2 --tpmstate dir=/run/bench-swtpm \
		>"$T_DIR/swtpm.log" 2>&1 &
	BPIDS="$BPIDS $!"
	wait_for 120 grep -q "New TPM device" "$T_DIR/swtpm.log" ||
		{ show "$T_DIR/swtpm.log"; return 1; }
	n=$(sed -n 's|.*New TPM device: /dev/tpm\([0-9]*\).*|\1|p' "$T_DIR/swtpm.log" | head -n 1)
	DEV=/dev/tpmrm$n
	wait_for 60 test -c "$DEV"
}

printf 'pcr 0-23 -> none\n' >"$T_DIR/nomap.conf"
# shellcheck disable=SC2086 # BACKEND_ARGS (guest/lib.sh): options, split on purpose
start_ours ours $BACKEND_ARGS || { bench_fail "vtpm-rtmrd (tdx-sysfs) did not start"; return 1; }
D_OURS=$DEV
start_ours ours-sim --rtmr-backend sim || { bench_fail "vtpm-rtmrd (sim) did not start"; return 1; }
D_SIM=$DEV
start_ours nomap --rtmr-backend sim --map "$T_DIR/nomap.conf" ||
	{ bench_fail "vtpm-rtmrd (no map) did not start"; return 1; }
D_NOMAP=$DEV
start_swtpm || { bench_fail "swtpm chardev --vtpm-proxy did not start"; return 1; }
D_SWTPM=$DEV
echo "BENCH-VM info kernel=$(uname -r) cpus=$(nproc) n=$N rounds=$ROUNDS block=$BLOCK" \
	"ours=$D_OURS ours-sim=$D_SIM nomap=$D_NOMAP swtpm=$D_SWTPM"

set -- "ours=dev:$D_OURS" "ours-sim=dev:$D_SIM" "nomap=dev:$D_NOMAP" "swtpm=dev:$D_SWTPM"
CLIENT=@TPM_CLIENT@
ok=1
r=0
while [ "$r" -lt "$ROUNDS" ]; do
	# rotate the order of the targets by round
	i=0
	while [ "$i" -lt $((r % 4)) ]; do
		first=$1
		shift
		set -- "$@" "$first"
		i=$((i + 1))
	done
	targets=""
	for t in "$@"; do targets="$targets --target $t"; done
	# shellcheck disable=SC2086,SC2046 # targets and operations: words, split on purpose
	if ! $CLIENT $targets --n "$N" --warmup 10 --block "$BLOCK" $(echo "$OPS" | tr ',' ' ') \
		>"$T_DIR/round.$r" 2>&1; then
		bench_fail "round $r: tpm_client failed: $(tail -n 3 "$T_DIR/round.$r")"
		ok=""
		break
	fi
	sed "s/^/BENCH-VM row $r /" "$T_DIR/round.$r"
	echo "BENCH-VM load $r $(cut -d' ' -f1-3 /proc/loadavg)"
	r=$((r + 1))
done

# The mirrored instances' logs must still replay to their registers.
if [ -n "$ok" ]; then
	for name in ours ours-sim; do
		case $name in ours) backend=$BACKEND_ARGS ;; *) backend="--rtmr-backend sim" ;; esac
		# shellcheck disable=SC2086
		if vtpm-rtmr --runtime-dir "/run/bench-$name" $backend log verify \
			>"$T_DIR/verify.$name" 2>&1; then
			records=$(grep -c '^vtpm extend 8 ' "/run/bench-$name/rtmr2.log")
			echo "BENCH-VM verify $name ok $records"
		else
			bench_fail "$name: log verify: $(tail -n 2 "$T_DIR/verify.$name")"
		fi
	done
	pass "benchmark ran ($ROUNDS rounds)"
fi
# shellcheck disable=SC2086
kill $BPIDS 2>/dev/null
for p in $BPIDS; do wait "$p" 2>/dev/null; done
echo "BENCH-VM done"
