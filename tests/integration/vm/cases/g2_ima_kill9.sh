# vm-cmdline: ima_template=ima-ng ima_hash=sha256
# vm-bins: /usr/bin/evmctl
# Case g2: the IMA bridge across a SIGKILL. Programs run while the daemon is dead add entries
# nobody applies; the restarted daemon restores PCR 10 from the log (issue #13) and must go on
# from the first entry the log does not hold: PCR 10 equals the list replay again (nothing
# lost, nothing applied twice), entries keep flowing, and the logs and registers agree. Shares
# the IMA boot of c_ima (same kernel command line); alone it loads the IMA policy itself.

load_modules >"$T_DIR/modules.out" 2>&1 || { fail "loading the kernel modules"; show "$T_DIR/modules.out"; }
if ima_load_policy >"$T_DIR/policy.out" 2>&1; then
	pass "IMA policy 'measure func=BPRM_CHECK' in force"
else
	fail "loading the IMA policy"
	show "$T_DIR/policy.out"
	return 1
fi
check_daemon_start "daemon start" "$T_DIR/start.out" --ima-bridge auto || return 1
check "the bridge is on" grep -q "IMA bridge: following" "$DAEMON_LOG"
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
evmctl --version >/dev/null 2>&1
openssl version >/dev/null 2>&1
vtpm-rtmr --help >/dev/null 2>&1
t2 tpm2_pcrread sha256:10 >/dev/null 2>&1
check "programs" ima_run_programs g2a 3
ima_check "before the kill"

daemon_kill9
check "$TPM_DEV disappears after SIGKILL" wait_for 10 test ! -e "$TPM_DEV"
n_dead=$(wc -l <"$IMA_DIR/ascii_runtime_measurements")
logged=$(vtpm_pcr10_records)
check "programs while the daemon is dead" ima_run_programs g2dead 3
check "IMA measured them" test "$(wc -l <"$IMA_DIR/ascii_runtime_measurements")" -eq $((n_dead + 3))
restarts=$(grep -c '^vtpm restart$' "$RT/rtmr2.log")
check_daemon_start "restart after SIGKILL" "$T_DIR/start2.out" --ima-bridge auto || return 1
check_eq "the restart logs one more 'vtpm restart' (PCRs restored, not a new instance)" \
	$((restarts + 1)) "$(grep -c '^vtpm restart$' "$RT/rtmr2.log")"
skipped=$(sed -n 's/.*IMA bridge: \([0-9]*\) entries were already in their PCRs.*/\1/p' "$DAEMON_LOG")
check_eq "the bridge found the entries the log holds already applied (one per PCR 10 record)" \
	"$logged" "$skipped"
applied=$(sed -n 's/.*IMA bridge: following .* (\([0-9]*\) entries applied).*/\1/p' "$DAEMON_LOG")
check_eq "and applied the rest of the list once: all entries are in PCR 10 now" \
	"$(wc -l <"$IMA_DIR/ascii_runtime_measurements" | tr -d ' ')" "$applied"
# shellcheck disable=SC2086
check "log verify after the restart" vtpm-rtmr --runtime-dir "$RT" $BACKEND_ARGS log verify
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
ima_check "after kill -9 and restart"
check "more programs after the restart" ima_run_programs g2b 2
ima_check "after the restart, more programs"
verify_all "after the restart"
check_no_tpm_errors "IMA bridge across kill -9"
check "SIGTERM: the daemon exits 0" daemon_stop
