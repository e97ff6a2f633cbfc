# Case k: systemd that extends the RTMRs itself (issue #19). Newer systemd logs its own RTMR
# extends to /run/log/systemd/cc-measure.log (RFC 7464 JSON-SEQ records {"rtmr","mapped_pcr",
# "digests",...}); no such systemd boots here (Debian 12 has 252), so the case writes a
# synthetic log of that format where systemd would, as root. With it the daemon (tdx-sysfs,
# --systemd-cc auto) must leave systemd's PCRs 1-9 and 11-15 alone and mirror PCR 0 and 10
# into RTMR3; without it, or with a log that is not systemd's RTMR log, the default map.

load_modules >"$T_DIR/modules.out" 2>&1 || { fail "loading the kernel modules"; show "$T_DIR/modules.out"; }
CCLOG=/run/log/systemd/cc-measure.log
mkdir -p /run/log/systemd
D384=$(printf '%096d' 0)
rec() {
	printf '\036{"rtmr":%s,"mapped_pcr":%s,"digests":[{"hashAlg":"sha384","digest":"%s"}],' \
		"$1" "$2" "$D384"
	printf '"content_type":"systemd","content":{"string":"%s","eventType":"phase"}}\n' "$3"
}
{ rec 2 11 enter-initrd; rec 2 11 leave-initrd; } >"$CCLOG"
chmod 0600 "$CCLOG"

check_daemon_start "daemon start with systemd's cc-measure.log present" "$T_DIR/start.out" || {
	rm -f "$CCLOG"
	return 1
}
check "it says systemd extends the RTMRs itself" grep -q \
	"systemd extends the RTMRs itself ($CCLOG holds 2 of its records)" "$DAEMON_LOG"
check "the map is PCR 0,10 -> RTMR3" grep -q "map: PCR 0,10 -> RTMR3" "$DAEMON_LOG"
check "rtmr3.log's last group names PCR 0 and 10" sh -c \
	"grep '^vtpm map ' $RT/rtmr3.log | tail -n 1 | grep -qx 'vtpm map 0,10'"
r2=$(reg_hex 2)
l2=$(wc -c <"$RT/rtmr2.log")
check "tpm2_pcrextend 11 (systemd's)" t2 tpm2_pcrextend -T "device:$TPMRM_DEV" \
	"11:sha384=$(hexof k-eleven sha384)"
check_eq "RTMR2 is left to systemd" "$r2" "$(reg_hex 2)"
check_eq "rtmr2.log is not written" "$l2" "$(wc -c <"$RT/rtmr2.log")"
check "tpm2_pcrextend 10 (IMA's)" t2 tpm2_pcrextend -T "device:$TPMRM_DEV" \
	"10:sha384=$(hexof k-ten sha384)"
check "its record is in rtmr3.log" grep -q "^vtpm extend 10 .*sha384/$(hexof k-ten sha384)" \
	"$RT/rtmr3.log"
check_eq "an independent replay of rtmr3.log gives RTMR3" "$(replay_log "$RT/rtmr3.log")" \
	"$(reg_hex 3)"
check "vtpm-rtmr log verify" vtpm-rtmr --runtime-dir "$RT" $BACKEND_ARGS log verify
check "SIGTERM: the daemon exits 0" daemon_stop

# not systemd's RTMR log: TPM records (tpm2-measure.log's), then junk
printf '\036{"pcr":11,"digests":[{"hashAlg":"sha256","digest":"%064d"}]}\n' 0 >"$CCLOG"
check_daemon_start "daemon start with a log of TPM records only" "$T_DIR/start2.out" \
	--log-level debug &&
	check "the default map" grep -q "map: PCR 0,1,7 -> RTMR0; PCR 2-6 -> RTMR1; PCR 8-15" \
		"$DAEMON_LOG"
daemon_stop
printf 'not a JSON-SEQ log\n' >"$CCLOG"
check_daemon_start "daemon start with a junk cc-measure.log" "$T_DIR/start3.out" \
	--log-level debug &&
	check "it is ignored, said so" grep -q "is not a systemd CC measurement log: ignored" \
		"$DAEMON_LOG"
daemon_stop
rm -f "$CCLOG"
