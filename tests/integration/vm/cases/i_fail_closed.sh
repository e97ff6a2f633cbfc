# Case i: fail closed through the real driver. The emulated register refuses the next extend
# (fake_tdx_guest's fail_extends parameter): the client of /dev/tpmrmN gets no success for the
# unmirrored PCR change, later commands fail too, the daemon says why, SIGTERM still removes the
# device, and a restart rolls the appended record forward so that log verify passes.

load_modules >"$T_DIR/modules.out" 2>&1 || { fail "loading the kernel modules"; show "$T_DIR/modules.out"; }
check_daemon_start "daemon start" "$T_DIR/start.out" || return 1
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
check "pcrextend before the fault" t2 tpm2_pcrextend "15:sha256=$(hexof before-fault sha256)"
echo 1 >/sys/module/fake_tdx_guest/parameters/fail_extends
check_fails "pcrextend whose RTMR extend fails reports no success" \
	t2 tpm2_pcrextend "15:sha256=$(hexof unmirrored sha256)"
cp "$T_DIR/check.out" "$T_DIR/unmirrored.out"
check "the client saw TPM_RC_FAILURE (0x101)" grep -qi '0x101\|failure' "$T_DIR/unmirrored.out"
info "what tpm2_pcrextend printed:"
info_file "$T_DIR/unmirrored.out" 4
check_fails "later commands fail too (failure mode)" t2 tpm2_getrandom 8
check_fails "a later pcrread fails too" t2 tpm2_pcrread sha256:15
check "the daemon says why" grep -q "entering failure mode" "$DAEMON_LOG"
check "the record is in the log for roll-forward" grep -q \
	"^vtpm extend 15 sha256/$(hexof unmirrored sha256)\$" "$RT/rtmr2.log"
info "kernel messages in failure mode:"
dmesg_since_case | grep -i tpm | tail -n 6 >"$T_DIR/dmesg.fail"
info_file "$T_DIR/dmesg.fail"
dev=$TPM_DEV
check "SIGTERM in failure mode: the daemon exits" daemon_stop
check "$dev is removed" wait_for 10 test ! -e "$dev"
check_daemon_start "restart after the failure" "$T_DIR/start2.out" || return 1
check "the restart rolls the record forward" grep -q "rolled forward" "$DAEMON_LOG"
# shellcheck disable=SC2086
check "log verify passes after the restart" vtpm-rtmr --runtime-dir "$RT" $BACKEND_ARGS log verify
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
check "the new instance serves" t2 tpm2_pcrextend "15:sha256=$(hexof after-fault sha256)"
verify_all "after the roll-forward"
check "SIGTERM: the daemon exits 0" daemon_stop
