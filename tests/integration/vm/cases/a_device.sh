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

# the emulated configfs-tsm quote: TDX quote v4 layout, RTMRs and REPORTDATA in place, signed
# per request with the sim CA's attestation key, followed by the kit's fixed tail
R=/sys/kernel/config/tsm/report/vmtest-a
tail_len=$(wc -c <"$QUOTE_KIT/quote-tail.bin" | tr -d ' ')
if mkdir "$R" 2>"$T_DIR/tsm.err"; then
	head -c 64 /dev/urandom >"$T_DIR/inblob"
	cat "$T_DIR/inblob" >"$R/inblob"
	cat "$R/outblob" >"$T_DIR/quote" 2>"$T_DIR/tsm.err"
	check_eq "configfs-tsm provider is tdx_guest" tdx_guest "$(cat "$R/provider")"
	check_eq "quote size (48 + 584 + 4 + 64 + the kit's $tail_len-byte tail)" \
		$((700 + tail_len)) "$(wc -c <"$T_DIR/quote" | tr -d ' ')"
	qhex() { file_hex "$T_DIR/quote" "$1" "$2"; }
	check_eq "quote header: version 4, key type 2, TEE type 0x81" 0400020081000000 "$(qhex 0 8)"
	check_eq "quote REPORTDATA is the inblob" "$(od -An -v -tx1 "$T_DIR/inblob" | tr -d ' \n')" \
		"$(qhex $((48 + 520)) 64)"
	check_eq "quote RTMR3 is the register" "$(reg_hex 3)" "$(qhex $((48 + 472)) 48)"
	check_eq "quote RTMR0 is the register" "$(reg_hex 0)" "$(qhex $((48 + 328)) 48)"
	check_eq "signature data length: 64 + $tail_len" \
		"$(printf '%08x' $((64 + tail_len)) | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')" \
		"$(qhex 632 4)"
	check "after the signature: the kit's attestation key and certification data (type 6)" \
		sh -c "tail -c +701 $T_DIR/quote | cmp - $QUOTE_KIT/quote-tail.bin"
	check_eq "certification data type 6" 0600 "$(qhex 764 2)"
	mkdir -p "$T_DIR/sig1" "$T_DIR/sig2" "$T_DIR/sig3"
	check "openssl: the quote's signature over header and body verifies with its attestation key" \
		quote_sig_check "$T_DIR/quote" "$T_DIR/sig1"
	cp "$T_DIR/quote" "$T_DIR/quote.forged"
	# its first REPORTDATA byte changed (to 0x01, or 0x02 if it was 0x01)
	if [ "$(qhex $((48 + 520)) 1)" = 01 ]; then b=02; else b=01; fi
	printf '%s' "$b" | xxd -r -p | dd of="$T_DIR/quote.forged" bs=1 seek=$((48 + 520)) conv=notrunc 2>/dev/null
	check_fails "openssl: with one REPORTDATA byte changed it does not" \
		quote_sig_check "$T_DIR/quote.forged" "$T_DIR/sig2"
	# the same inblob again (a new generation): the same header and body, a fresh signature
	cat "$T_DIR/inblob" >"$R/inblob"
	cat "$R/outblob" >"$T_DIR/quote2" 2>"$T_DIR/tsm.err"
	check "a second quote over the same inblob: the same header and body" \
		sh -c "head -c 632 $T_DIR/quote | cmp - $T_DIR/sig1/signed.bin &&
			head -c 632 $T_DIR/quote2 | cmp - $T_DIR/sig1/signed.bin"
	check "... another signature (a fresh random k)" \
		sh -c "! cmp -s $T_DIR/quote $T_DIR/quote2"
	check "... which verifies too" quote_sig_check "$T_DIR/quote2" "$T_DIR/sig3"
	rmdir "$R"
else
	fail "configfs-tsm: mkdir $R"
	show "$T_DIR/tsm.err"
fi

# The module signs only with a kit whose key belongs to the tail's attestation key. Reloading
# also puts the registers back to zero: RTMR3, extended above outside any log, would otherwise
# stay unexplained for the attestation of the later cases of this boot.
cp "$QUOTE_KIT/quote-key.bin" "$T_DIR/quote-key.bin"
check "rmmod fake_tdx_guest" rmmod fake_tdx_guest
head -c 31 /dev/zero | cat - "$T_DIR/quote-key.bin" | head -c 32 >"$QUOTE_KIT/quote-key.bin"
check_fails "insmod with another quote key is refused" insmod /vmtest/modules/fake_tdx_guest.ko
check "... saying why" sh -c "dmesg | tail -n 5 | grep -q 'is not the private key of the attestation key'"
cp "$T_DIR/quote-key.bin" "$QUOTE_KIT/quote-key.bin"
check "insmod with the kit's key" insmod /vmtest/modules/fake_tdx_guest.ko
check_eq "the registers are zero after the reload" \
	"$(head -c 192 /dev/zero | od -An -v -tx1 | tr -d ' \n')" \
	"$(reg_hex 0)$(reg_hex 1)$(reg_hex 2)$(reg_hex 3)"

check_daemon_start "vtpm-rtmrd start" "$T_DIR/start.out" || return 1
check "the daemon uses the tdx-sysfs backend" grep -q "RTMR backend tdx-sysfs" "$DAEMON_LOG"
# --runas vtpm-rtmr: after creating the device the daemon is that user, in every thread, with
# no capability in any set and no_new_privs
for task in /proc/"$DAEMON_PID"/task/*; do
	check_eq "thread ${task##*/}: uid/gid are vtpm-rtmr's (real, effective, saved, fs)" \
		"$DAEMON_USER_UID $DAEMON_USER_UID $DAEMON_USER_UID $DAEMON_USER_UID|$DAEMON_USER_UID \
$DAEMON_USER_UID $DAEMON_USER_UID $DAEMON_USER_UID" \
		"$(awk '/^Uid:/ {u=$2" "$3" "$4" "$5} /^Gid:/ {g=$2" "$3" "$4" "$5} END {print u"|"g}' \
			"$task/status")"
	check_eq "thread ${task##*/}: no capabilities (inheritable, permitted, effective, ambient)" \
		"0000000000000000 0000000000000000 0000000000000000 0000000000000000" \
		"$(awk '/^Cap(Inh|Prm|Eff|Amb):/ {printf "%s%s", s, $2; s=" "}' "$task/status")"
done
check_eq "the main thread: empty bounding set, no_new_privs" "0000000000000000 1" \
	"$(awk '/^CapBnd:/ {b=$2} /^NoNewPrivs:/ {n=$2} END {print b" "n}' \
		"/proc/$DAEMON_PID/status")"
check "the daemon says it dropped root" grep -q "running as vtpm-rtmr (uid $DAEMON_USER_UID" \
	"$DAEMON_LOG"
check_eq "the runtime directory is vtpm-rtmr's" "$DAEMON_USER_UID 755" "$(stat -c '%u %a' "$RT")"
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
