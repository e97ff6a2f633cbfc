# vm-cmdline: ima_template=ima-ng ima_hash=sha256
# vm-bins: /usr/bin/evmctl
# Case c: the IMA bridge against the kernel's real IMA. The vtpm_proxy TPM appears after IMA
# chose its TPM at boot, so IMA runs in TPM-bypass mode (boot_aggregate all zero) and
# `--ima-bridge auto` must turn itself on. A policy measuring every executed file (without
# ima_policy= the kernel measures nothing; ima_policy=tcb skips tmpfs, which the initramfs is)
# makes new programs add entries; PCR 10 of the vTPM must equal
# the replay of the list — by evmctl ima_measurement (Debian's 1.4, PCRs passed with --pcrs) and
# by the test's own replay — at the start, after more programs ran (read at once) and after
# the bridge's poll alone picked them up; the log and registers agree.
# (This case boots with its own kernel command line, together with g2_ima_kill9.)

load_modules >"$T_DIR/modules.out" 2>&1 || { fail "loading the kernel modules"; show "$T_DIR/modules.out"; }
check "IMA is on: $IMA_LIST exists" test -r "$IMA_LIST"
first=$(head -n 1 "$IMA_DIR/ascii_runtime_measurements")
if echo "$first" | grep -qE '^10 [0-9a-f]{40} ima-ng sha256:0{64} boot_aggregate$'; then
	pass "IMA runs in TPM-bypass mode: ima-ng boot_aggregate is all zero"
else
	fail "first IMA entry is not a zero ima-ng boot_aggregate: $first"
fi
if ima_load_policy >"$T_DIR/policy.out" 2>&1; then
	pass "IMA policy 'measure func=BPRM_CHECK' loaded"
else
	fail "loading the IMA policy"
	show "$T_DIR/policy.out"
	return 1
fi
check "programs run before the daemon starts" ima_run_programs early 3
check "IMA measured them" grep -q ' /tmp/ima-progs/prog.early.2$' "$IMA_DIR/ascii_runtime_measurements"

check_daemon_start "daemon start" "$T_DIR/start.out" --ima-bridge auto || return 1
check "auto: the zero boot_aggregate turned the bridge on" grep -q "IMA bridge: following" "$DAEMON_LOG"
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
# every tool the checks use runs once first, so that its own measurement is in the list before
# a check reads it
evmctl --version >/dev/null 2>&1
openssl version >/dev/null 2>&1
vtpm-rtmr --help >/dev/null 2>&1
t2 tpm2_pcrread sha256:10 >/dev/null 2>&1
ima_check "at start"

# a wrong PCR 10 must make evmctl fail (it really compares)
d=$T_DIR/ima-check
sed 's/^PCR-10: .*/PCR-10: 0000000000000000000000000000000000000000000000000000000000000001/' \
	"$d/pcrs.sha256" >"$d/pcrs.bad"
check_fails "evmctl rejects a wrong sha256 PCR 10" evmctl ima_measurement \
	--pcrs "sha1,$d/pcrs.sha1" --pcrs "sha256,$d/pcrs.bad" "$d/list.bin"

# later measurements keep flowing: more programs, then a read (the bridge catches up first)
n_before=$(wc -l <"$IMA_DIR/ascii_runtime_measurements")
check "more programs" ima_run_programs more 4
check "IMA measured 4 more" test "$(wc -l <"$IMA_DIR/ascii_runtime_measurements")" -eq $((n_before + 4))
ima_check "after more programs"

# and without any reader: the bridge's poll (1 s) picks new entries up by itself
check "programs while no client talks to the TPM" ima_run_programs poll 3
n=$(wc -l <"$IMA_DIR/ascii_runtime_measurements")
check "within 5 s the poll alone logged a PCR 10 record for every entry ($n)" \
	wait_for 5 sh -c "[ \"\$(awk '/^vtpm startup clear\$/ { n = 0 } /^vtpm extend 10 / { n++ } END { print n + 0 }' $RT/rtmr2.log)\" = $n ]"
ima_check "after the poll"
verify_all "with the IMA bridge"
formats_check "with the IMA bridge"
check_no_tpm_errors "IMA bridge"
check "SIGTERM: the daemon exits 0" daemon_stop
check "the daemon logged no errors" sh -c "! grep -iE 'error|fail' $DAEMON_LOG"
info "IMA list: $(wc -l <"$IMA_DIR/ascii_runtime_measurements") entries; the last ones:"
info_file "$IMA_DIR/ascii_runtime_measurements" 4
