# Shared body of the mirror tests: drive PCR-changing commands through unmodified
# tpm2-tools and check after each that the logs, the registers and the PCRs agree.
# Needs: RT (runtime dir), REGDIR (register files), BACKEND_ARGS, TPM2TOOLS_TCTI, CTRL_PORT.

# verify_all LABEL: vtpm-rtmr log verify + independent replay + PCR agreement
verify_all() {
	label=$1
	# shellcheck disable=SC2086
	check "$label: vtpm-rtmr log verify" "$TOOL" --runtime-dir "$RT" $BACKEND_ARGS log verify
	tpm2_pcrread >"$T_DIR/pcrs.txt" 2>&1
	"$TOOL" --runtime-dir "$RT" log replay --format json >"$T_DIR/replay.json" 2>&1
	if python3 tests/integration/replay_check.py "$RT" "$REGDIR" "$T_DIR/pcrs.txt" \
		"$T_DIR/replay.json" >"$T_DIR/replay.out" 2>&1; then
		pass "$label: independent replay equals registers and tpm2_pcrread, all banks"
	else
		fail "$label: independent replay"
		grep -v '^PASS' "$T_DIR/replay.out" | sed 's/^/    | /' | head -20
	fi
}

hexof() {
	printf '%s' "$1" | "$2"sum | cut -d' ' -f1
}

mirror_suite() {
	check "pcrextend one bank" tpm2_pcrextend "8:sha256=$(hexof one sha256)"
	verify_all "extend sha256"
	check "pcrextend four banks" tpm2_pcrextend \
		"9:sha1=$(hexof two sha1),sha256=$(hexof two sha256),sha384=$(hexof two sha384),sha512=$(hexof two sha512)"
	verify_all "extend 4 banks"
	check "record carries every bank sorted by alg id" grep -q \
		"^vtpm extend 9 sha1/$(hexof two sha1) sha256/$(hexof two sha256) sha384/$(hexof two sha384) sha512/$(hexof two sha512)\$" "$RT/rtmr2.log"
	printf 'small event data' >"$T_DIR/small"
	check "pcrevent small data (PCR_Event)" tpm2_pcrevent 10 "$T_DIR/small"
	verify_all "PCR_Event"
	check "PCR_Event record holds the sha256 of the data" grep -q \
		"^vtpm extend 10 .*sha256/$(sha256sum "$T_DIR/small" | cut -c1-64)" "$RT/rtmr2.log"
	head -c 3000 /dev/urandom >"$T_DIR/big"
	check "pcrevent 3000-byte file (EventSequenceComplete)" tpm2_pcrevent 11 "$T_DIR/big"
	verify_all "EventSequenceComplete"
	check "sequence record holds the sha384 of the file" grep -q \
		"^vtpm extend 11 .*sha384/$(sha384sum "$T_DIR/big" | cut -c1-96)" "$RT/rtmr2.log"
	check "pcrextend PCR 1 goes to RTMR0" tpm2_pcrextend "1:sha1=$(hexof three sha1)"
	check "PCR 1 record is in rtmr0.log" grep -q "^vtpm extend 1 sha1/" "$RT/rtmr0.log"
	check "pcrextend PCR 4 goes to RTMR1" tpm2_pcrextend "4:sha256=$(hexof four sha256)"
	check "PCR 4 record is in rtmr1.log" grep -q "^vtpm extend 4 sha256/" "$RT/rtmr1.log"
	verify_all "PCR 1 and 4"
	check "pcrextend PCR 16 (mapped by the map file)" tpm2_pcrextend "16:sha256=$(hexof five sha256)"
	check "pcrreset 16" tpm2_pcrreset 16
	check "reset is logged" grep -q "^vtpm reset 16\$" "$RT/rtmr3.log"
	verify_all "PCR_Reset"
	check "unmapped PCR 23 is not logged" sh -c "tpm2_pcrextend 23:sha256=$(hexof six sha256) \
		&& ! grep -q 'extend 23' '$RT'/rtmr*.log"
	check "CMD_INIT through swtpm_ioctl" swtpm_ioctl --tcp "127.0.0.1:$CTRL_PORT" -i
	check "tpm2_startup -c after _TPM_Init" tpm2_startup -c
	check "Startup(CLEAR) is logged in every log, with map, EK and AK" group_is_last "$RT"
	check "the map of RTMR3 is the map file's" sh -c \
		"tail -n 3 '$RT/rtmr3.log' | head -n 1 | grep -qx 'vtpm map 16'"
	check "pcrextend after the new startup" tpm2_pcrextend "8:sha1=$(hexof seven sha1)"
	verify_all "after Startup(CLEAR)"
	# suspend and resume: PCRs 0-15 come back, the unsaved PCR 16 is re-initialized
	check "pcrextend PCR 16 before suspend" tpm2_pcrextend "16:sha256=$(hexof eight sha256)"
	check "tpm2_shutdown (STATE)" tpm2_shutdown
	check "CMD_INIT (resume)" swtpm_ioctl --tcp "127.0.0.1:$CTRL_PORT" -i
	check "tpm2_startup (STATE)" tpm2_startup
	check "Startup(STATE) logs the reset of PCR 16" sh -c \
		"tail -n 1 '$RT/rtmr3.log' | grep -q '^vtpm reset 16\$'"
	verify_all "after Startup(STATE)"
}
