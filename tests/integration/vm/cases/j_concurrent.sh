# Case j: concurrent clients. Four tpm2-tools loops extend PCRs at the same time through
# /dev/tpmrmN (the kernel serialises them; the daemon's IMA bridge and the kernel's hwrng read
# run alongside), then the logs, registers and PCRs must still agree, and a SIGTERM while
# clients are busy stops the daemon cleanly.

load_modules >"$T_DIR/modules.out" 2>&1 || { fail "loading the kernel modules"; show "$T_DIR/modules.out"; }
check_daemon_start "daemon start" "$T_DIR/start.out" || return 1
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
# (earlier cases in the same boot may have logged records of the same shape: count new ones)
worker_records() {
	grep -c '^vtpm extend \(8\|9\|10\|11\) sha1/[0-9a-f]* sha256/[0-9a-f]*$' "$RT/rtmr2.log"
}
records_before=$(worker_records)
pids=""
for w in 1 2 3 4; do
	(
		i=0
		while [ $i -lt 8 ]; do
			i=$((i + 1))
			timeout "$TPM_TIMEOUT" tpm2_pcrextend \
				"$((7 + w)):sha256=$(hexof "w$w-$i" sha256),sha1=$(hexof "w$w-$i" sha1)" ||
				{ echo "worker $w extend $i failed"; exit 1; }
		done
	) >"$T_DIR/worker.$w" 2>&1 &
	pids="$pids $!"
done
ok=1
for p in $pids; do
	wait "$p" || ok=0
done
if [ $ok = 1 ]; then
	pass "4 concurrent clients x 8 extends through $TPMRM_DEV"
else
	fail "concurrent extends"
	for w in 1 2 3 4; do show "$T_DIR/worker.$w"; done
fi
check_eq "32 records from the workers in rtmr2.log" 32 "$(($(worker_records) - records_before))"
verify_all "after concurrent extends"
check_no_tpm_errors "concurrent clients"

# SIGTERM while clients are busy
for w in 1 2; do
	(
		while :; do
			timeout "$TPM_TIMEOUT" tpm2_pcrextend "12:sha256=$(hexof "busy$w" sha256)" || exit 0
		done
	) >/dev/null 2>&1 &
	eval "busy$w=\$!"
done
sleep 2
dev=$TPM_DEV
check "SIGTERM under load: the daemon exits 0" daemon_stop
# shellcheck disable=SC2154
check "the clients notice and stop" wait_for 30 sh -c "! kill -0 $busy1 2>/dev/null && ! kill -0 $busy2 2>/dev/null"
wait "$busy1" "$busy2" 2>/dev/null
check "$dev is removed" wait_for 10 test ! -e "$dev"
check_daemon_start "restart after the loaded stop" "$T_DIR/start2.out" || return 1
# shellcheck disable=SC2086
check "log verify passes after the loaded stop" vtpm-rtmr --runtime-dir "$RT" $BACKEND_ARGS log verify
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
verify_all "after the restart"
check "SIGTERM: the daemon exits 0" daemon_stop
