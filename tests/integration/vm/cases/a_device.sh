# Case a: the real vtpm_proxy driver. Load the modules, start vtpm-rtmrd on /dev/vtpmx with the
# tdx-sysfs backend (the emulated registers of fake_tdx_guest), see /dev/tpmN and /dev/tpmrmN
# appear and be named in the runtime directory, no TPM errors in the kernel log (the kernel
# itself sends commands to a new chip: self test, PCR allocation, ...), and SIGTERM removing
# the device.

if load_modules >"$T_DIR/modules.out" 2>&1; then
	pass "insmod $(tr '\n' ' ' </vmtest/modules/load-order)fake_tdx_guest"
else
	fail "loading the kernel modules"
	show "$T_DIR/modules.out"
fi
check "/dev/vtpmx exists (tpm_vtpm_proxy)" test -c /dev/vtpmx
check "emulated RTMR files exist" test -f "$REGDIR/rtmr0:sha384" -a -f "$REGDIR/rtmr3:sha384"
check_eq "an RTMR reads 48 bytes" 48 "$(wc -c <"$REGDIR/rtmr3:sha384" | tr -d ' ')"

# the tsm-mr semantics of the emulation: only a 48-byte write at offset 0 extends
before=$(reg_hex 3)
head -c 48 /dev/zero >"$T_DIR/zero48"
check "a 48-byte write extends" dd if="$T_DIR/zero48" of="$REGDIR/rtmr3:sha384" bs=48 count=1
want=$(printf '%s%s' "$before" "$(od -An -v -tx1 "$T_DIR/zero48" | tr -d ' \n')" | xxd -r -p |
	openssl dgst -sha384 -r | cut -c1-96)
check_eq "the extend is SHA-384(old || data)" "$want" "$(reg_hex 3)"
check_fails "a 47-byte write is refused" dd if="$T_DIR/zero48" of="$REGDIR/rtmr3:sha384" bs=47 count=1
check_fails "a write at offset 1 is refused" dd if="$T_DIR/zero48" of="$REGDIR/rtmr3:sha384" bs=1 \
	count=48 seek=1 conv=notrunc
check_eq "refused writes leave the register alone" "$want" "$(reg_hex 3)"

# the emulated configfs-tsm quote: TDX quote v4 layout, RTMRs and REPORTDATA in place
R=/sys/kernel/config/tsm/report/vmtest-a
if mkdir "$R" 2>"$T_DIR/tsm.err"; then
	head -c 64 /dev/urandom >"$T_DIR/inblob"
	cat "$T_DIR/inblob" >"$R/inblob"
	cat "$R/outblob" >"$T_DIR/quote" 2>"$T_DIR/tsm.err"
	check_eq "configfs-tsm provider is tdx_guest" tdx_guest "$(cat "$R/provider")"
	check_eq "quote size (48 + 584 + 4 + 590)" 1226 "$(wc -c <"$T_DIR/quote" | tr -d ' ')"
	# qhex OFFSET LENGTH: bytes of the quote as hex
	qhex() { od -An -v -tx1 -j "$1" -N "$2" "$T_DIR/quote" | tr -d ' \n'; }
	check_eq "quote header: version 4, key type 2, TEE type 0x81" 0400020081000000 "$(qhex 0 8)"
	check_eq "quote REPORTDATA is the inblob" "$(od -An -v -tx1 "$T_DIR/inblob" | tr -d ' \n')" \
		"$(qhex $((48 + 520)) 64)"
	check_eq "quote RTMR3 is the register" "$(reg_hex 3)" "$(qhex $((48 + 472)) 48)"
	check_eq "quote RTMR0 is the register" "$(reg_hex 0)" "$(qhex $((48 + 328)) 48)"
	check_eq "signature data length 590, signature and key zero, certification type 6" \
		"4e020000 0 0600" "$(qhex 632 4) $(od -An -v -tx1 -j 636 -N 128 "$T_DIR/quote" | \
		tr -d ' \n0' | wc -c) $(qhex 764 2)"
	rmdir "$R"
else
	fail "configfs-tsm: mkdir $R"
	show "$T_DIR/tsm.err"
fi

check_daemon_start "vtpm-rtmrd start" "$T_DIR/start.out" || return 1
check "the daemon uses the tdx-sysfs backend" grep -q "RTMR backend tdx-sysfs" "$DAEMON_LOG"
# The kernel creates the nodes only after the daemon answered its registration commands: the
# daemon must publish <runtime-dir>/device (and READY=1) only once they exist.
check_eq "the device nodes existed when $RT/device was written" yes "$NODES_AT_PUBLISH"
check "$TPM_DEV is a character device" test -c "$TPM_DEV"
check "$TPMRM_DEV is a character device" test -c "$TPMRM_DEV"
check "$RT/device names them" sh -c "grep -qx '/dev/tpm[0-9]* /dev/tpmrm[0-9]*' $RT/device"
check "the kernel registered the chip in sysfs" test -d "/sys/class/tpm/${TPM_DEV#/dev/}"
check_eq "the chip is a TPM 2.0" 2 "$(cat "/sys/class/tpm/${TPM_DEV#/dev/}/tpm_version_major" 2>/dev/null)"
check "every mapped RTMR has a log starting with INIT" sh -c \
	"for n in 0 1 2; do head -n 1 $RT/rtmr\$n.log | grep -q '^INIT sha384/' || exit 1; done"
check "tpm2_getrandom through $TPMRM_DEV" t2 tpm2_getrandom -T "device:$TPMRM_DEV" 8
info "kernel hwrng now: $(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)" \
	"(the kernel itself reads random numbers from the vTPM)"
sleep 1
check_no_tpm_errors "after the start"

dev=$TPM_DEV
check "SIGTERM: the daemon exits 0" daemon_stop
check "$dev is removed after SIGTERM" wait_for 10 test ! -e "$dev"
check "$RT/device is removed" test ! -e "$RT/device"
check_no_tpm_errors "after the stop"
check "the daemon logged no errors" sh -c "! grep -iE 'error|fail' $DAEMON_LOG"
