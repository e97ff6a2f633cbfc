# vm-bins: /usr/lib/systemd/systemd-pcrphase
# vm-bins: /usr/lib/x86_64-linux-gnu/libtss2-esys.so.0 /usr/lib/x86_64-linux-gnu/libtss2-rc.so.0
# vm-bins: /usr/lib/x86_64-linux-gnu/libtss2-mu.so.0
# Case d: systemd's own measurement tool, unmodified. Debian 12's systemd 252
# systemd-pcrphase measures a boot phase word into PCR 11 only when sd-stub announced PCR 11
# in the EFI variable StubPcrKernelImage (vendor 4a67b082-0a4c-41cf-b6c7-440b29bb8c4f); it reads
# /sys/firmware/efi/efivars/<name>-<guid> as a plain file (4 attribute bytes, then the UTF-16
# value), parses the value as a number and requires 11. This guest boots without EFI, so a
# private mount namespace (unshare -m) gets a tmpfs over /sys/firmware holding that one file.
# It dlopen()s libtss2-esys/-rc/-mu and the device TCTI, sends Startup(CLEAR) (refused:
# TPM_RC_INITIALIZE, which must not log "vtpm startup clear"), picks the PCR banks and extends
# PCR 11 with H(word) in each. PCR 11 maps to RTMR2: the record must be in rtmr2.log, the
# emulated RTMR2 must equal the log's replay, and the PCRs the log implies must be the TPM's.

# shellcheck disable=SC2153,SC2154 # TPM_DEV: set by daemon_start; before_<bank>: by eval
GUID=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
PCRPHASE=/usr/lib/systemd/systemd-pcrphase

load_modules >"$T_DIR/modules.out" 2>&1 || { fail "loading the kernel modules"; show "$T_DIR/modules.out"; }
check_daemon_start "daemon start" "$T_DIR/start.out" || return 1
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
cd "$T_DIR" || return 1

# pcr11 BANK: PCR 11 of one bank as lowercase hex
pcr11() {
	t2 tpm2_pcrread "$1:11" >"$T_DIR/pcr11.txt" 2>&1
	pcrs_of_pcrread "$T_DIR/pcr11.txt" | awk -v b="$1" '$1 == b && $2 == 11 { print $3 }'
}
# extend_hex BANK OLD DIGEST: H(OLD || DIGEST)
extend_hex() {
	printf '%s%s' "$2" "$3" | xxd -r -p | hash_stdin "$1"
}
# pcrphase WORD: systemd-pcrphase in a mount namespace where the EFI variable exists
pcrphase() {
	unshare -m sh -c "
		mount -t tmpfs -o mode=0755 efi-test /sys/firmware || exit 90
		mkdir -p /sys/firmware/efi/efivars || exit 91
		# attributes 0x6 (boot service + runtime access), then UTF-16LE \"11\" and its NUL,
		# as sd-stub writes it
		printf '\\006\\000\\000\\000\\061\\000\\061\\000\\000\\000' \
			>/sys/firmware/efi/efivars/StubPcrKernelImage-$GUID || exit 92
		exec timeout $TPM_TIMEOUT $PCRPHASE --tpm2-device=$TPMRM_DEV \"\$1\"" pcrphase "$1"
}

# before_sha1 .. before_sha512 (set through eval)
for b in sha1 sha256 sha384 sha512; do
	eval "before_$b=\$(pcr11 $b)"
done
startups=$(grep -c '^vtpm startup clear$' "$RT/rtmr2.log")
records=$(grep -c '^vtpm extend 11 ' "$RT/rtmr2.log")

# without the variable it must measure nothing (that is the rule it has)
if timeout "$TPM_TIMEOUT" "$PCRPHASE" --tpm2-device="$TPMRM_DEV" enter-initrd >"$T_DIR/phase0.out" 2>&1; then
	pass "without StubPcrKernelImage: systemd-pcrphase exits 0"
else
	fail "without StubPcrKernelImage: systemd-pcrphase: exit $?"
	show "$T_DIR/phase0.out"
fi
check "and says the stub did not measure" grep -q "Kernel stub did not measure" "$T_DIR/phase0.out"
check_eq "and PCR 11 (sha256) is unchanged" "$before_sha256" "$(pcr11 sha256)"

# with it: one extend of PCR 11 in every bank it picks
old=""
if pcrphase enter-initrd >"$T_DIR/phase1.out" 2>&1; then
	pass "systemd-pcrphase --tpm2-device=$TPMRM_DEV enter-initrd (StubPcrKernelImage=11 in a private namespace)"
else
	fail "systemd-pcrphase enter-initrd: exit $?"
	show "$T_DIR/phase1.out"
fi
info_file "$T_DIR/phase1.out" 3
check "the variable stayed in the private namespace" test ! -e /sys/firmware/efi
banks=$(sed -n "s/.*Successfully extended PCR index 11 with 'enter-initrd' (banks \\(.*\\))\\..*/\\1/p" \
	"$T_DIR/phase1.out" | tr -d , | tr '[:upper:]' '[:lower:]')
check "it reports the banks it extended: ${banks:-none}" test -n "$banks"
# the record the daemon must log: every bank's H(word), sorted by TPM_ALG_ID (as the banks are)
want="vtpm extend 11"
for b in sha1 sha256 sha384 sha512; do
	case " $banks " in
	*" $b "*)
		d=$(printf '%s' enter-initrd | hash_stdin $b)
		want="$want $b/$d"
		eval "old=\$before_$b"
		check_eq "PCR 11 $b = H(old || $b(\"enter-initrd\"))" "$(extend_hex $b "$old" "$d")" "$(pcr11 $b)"
		;;
	*)
		eval "old=\$before_$b"
		check_eq "PCR 11 $b (not extended) is unchanged" "$old" "$(pcr11 $b)"
		;;
	esac
done
check "rtmr2.log has the record 'vtpm extend 11 $(echo "$banks" | sed 's|\([a-z0-9]*\)|\1/H(enter-initrd)|g')'" \
	grep -qx "$want" "$RT/rtmr2.log"
check_eq "exactly one new PCR 11 record" $((records + 1)) "$(grep -c '^vtpm extend 11 ' "$RT/rtmr2.log")"
check_eq "its Startup(CLEAR), refused by the running TPM, logged no 'vtpm startup clear'" \
	"$startups" "$(grep -c '^vtpm startup clear$' "$RT/rtmr2.log")"
verify_all "after enter-initrd"

# the next phases, the way systemd's units run them; through /dev/tpm0 (no resource manager) too
s256=$(pcr11 sha256)
if pcrphase leave-initrd >"$T_DIR/phase2.out" 2>&1; then
	pass "systemd-pcrphase leave-initrd"
else
	fail "systemd-pcrphase leave-initrd: exit $?"
	show "$T_DIR/phase2.out"
fi
TPMRM_DEV_SAVED=$TPMRM_DEV
TPMRM_DEV=$TPM_DEV
if pcrphase sysinit >"$T_DIR/phase3.out" 2>&1; then
	pass "systemd-pcrphase --tpm2-device=$TPM_DEV sysinit"
else
	fail "systemd-pcrphase sysinit through $TPM_DEV: exit $?"
	show "$T_DIR/phase3.out"
fi
TPMRM_DEV=$TPMRM_DEV_SAVED
s256=$(extend_hex sha256 "$s256" "$(printf '%s' leave-initrd | hash_stdin sha256)")
s256=$(extend_hex sha256 "$s256" "$(printf '%s' sysinit | hash_stdin sha256)")
check_eq "PCR 11 sha256 after leave-initrd and sysinit" "$s256" "$(pcr11 sha256)"
check "rtmr2.log has both records, in order" sh -c \
	"grep '^vtpm extend 11 ' $RT/rtmr2.log | tail -n 2 | cut -d' ' -f5 | tr '\n' ' ' |
	 grep -qx 'sha256/$(printf '%s' leave-initrd | hash_stdin sha256) sha256/$(printf '%s' sysinit | hash_stdin sha256) '"
verify_all "after three phases"
formats_check "after three phases"
check_no_tpm_errors "systemd-pcrphase"
cd /
check "SIGTERM: the daemon exits 0" daemon_stop
