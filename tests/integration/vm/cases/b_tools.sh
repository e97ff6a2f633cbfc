# Case b: unmodified tpm2-tools through the kernel's device nodes, the resource-managed
# /dev/tpmrmN and the raw /dev/tpmN: PCR_Extend (one and four banks), PCR_Event,
# EventSequenceComplete (tpm2_pcrevent of a file > 1024 bytes); after each, the emulated RTMRs,
# the event logs and the PCRs agree (verify_all).

load_modules >"$T_DIR/modules.out" 2>&1 || { fail "loading the kernel modules"; show "$T_DIR/modules.out"; }
check_daemon_start "daemon start" "$T_DIR/start.out" || return 1

printf 'small event data' >"$T_DIR/small"
head -c 3000 /dev/urandom >"$T_DIR/big"
small256=$(sha256sum "$T_DIR/small" | cut -c1-64)
big384=$(openssl dgst -sha384 -r "$T_DIR/big" | cut -c1-96)

# tools_round DEVICE TAG: the PCR-changing commands through one device node
tools_round() {
	export TPM2TOOLS_TCTI="device:$1"
	tag=$2
	check "$tag: tpm2_pcrextend 8 (sha256)" t2 tpm2_pcrextend "8:sha256=$(hexof "one-$tag" sha256)"
	check "$tag: the record is in rtmr2.log" grep -q "^vtpm extend 8 sha256/$(hexof "one-$tag" sha256)\$" "$RT/rtmr2.log"
	check "$tag: tpm2_pcrextend 9 (four banks)" t2 tpm2_pcrextend \
		"9:sha1=$(hexof "two-$tag" sha1),sha256=$(hexof "two-$tag" sha256),sha384=$(hexof "two-$tag" sha384),sha512=$(hexof "two-$tag" sha512)"
	check "$tag: the record carries every bank, sorted" grep -q \
		"^vtpm extend 9 sha1/$(hexof "two-$tag" sha1) sha256/$(hexof "two-$tag" sha256) sha384/$(hexof "two-$tag" sha384) sha512/$(hexof "two-$tag" sha512)\$" \
		"$RT/rtmr2.log"
	verify_all "$tag: PCR_Extend"
	check "$tag: tpm2_pcrevent 10 (PCR_Event)" t2 tpm2_pcrevent 10 "$T_DIR/small"
	check "$tag: PCR_Event record holds the sha256 of the data" grep -q \
		"^vtpm extend 10 .*sha256/$small256" "$RT/rtmr2.log"
	check "$tag: tpm2_pcrevent 11 of 3000 bytes (EventSequenceComplete)" t2 tpm2_pcrevent 11 "$T_DIR/big"
	check "$tag: the sequence record holds the sha384 of the file" grep -q \
		"^vtpm extend 11 .*sha384/$big384" "$RT/rtmr2.log"
	check "$tag: tpm2_pcrextend 1 (RTMR0)" t2 tpm2_pcrextend "1:sha1=$(hexof "three-$tag" sha1)"
	check "$tag: PCR 1 record is in rtmr0.log" grep -q "^vtpm extend 1 sha1/$(hexof "three-$tag" sha1)\$" "$RT/rtmr0.log"
	check "$tag: tpm2_pcrextend 4 (RTMR1)" t2 tpm2_pcrextend "4:sha256=$(hexof "four-$tag" sha256)"
	check "$tag: PCR 4 record is in rtmr1.log" grep -q "^vtpm extend 4 sha256/$(hexof "four-$tag" sha256)\$" "$RT/rtmr1.log"
	check "$tag: unmapped PCR 23 extends and is not logged" sh -c \
		"timeout $TPM_TIMEOUT tpm2_pcrextend 23:sha256=$(hexof "six-$tag" sha256) && ! grep -q 'extend 23' $RT/rtmr*.log"
	verify_all "$tag: PCR_Event, sequence, RTMR0/1"
	t2 tpm2_pcrread sha256:8,9,10,11 >"$T_DIR/pcrread.$tag" 2>&1
	check "$tag: tpm2_pcrread reads the extended PCRs" grep -q '^ *8 *: *0x' "$T_DIR/pcrread.$tag"
}

tools_round "$TPMRM_DEV" tpmrm
tools_round "$TPM_DEV" tpm
formats_check "after the tools"
check_no_tpm_errors "after the tools"
check "the daemon is still serving" alive "$DAEMON_PID"
check "SIGTERM: the daemon exits 0" daemon_stop
check "the daemon logged no errors" sh -c "! grep -iE 'error|fail' $DAEMON_LOG"
