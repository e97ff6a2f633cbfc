# Case e: attestation through the kernel's configfs-tsm (tsm.ko, with fake_tdx_guest's
# "tdx_guest" report provider). `vtpm-rtmr attest --quote-provider configfs-tsm` asks for a quote
# over SHA-512(nonce || TPMT_PUBLIC(EK)) and `vtpm-rtmr verify` checks it: the binding and the
# RTMR replay (RTMRs of the quote = the emulated registers) must pass whatever the signature
# section holds; the signature chain must FAIL — the emulated quote's signature, attestation key and certification data are zero, and
# a verifier must never call that trusted — so verify exits 1. Asserted check by check, with
# the REPORTDATA and RTMRs of the quote also checked independently (openssl, od).

load_modules >"$T_DIR/modules.out" 2>&1 || { fail "loading the kernel modules"; show "$T_DIR/modules.out"; }
TSM=/sys/kernel/config/tsm/report
check "configfs-tsm is mounted: $TSM" test -d "$TSM"
check_daemon_start "daemon start" "$T_DIR/start.out" || return 1
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
cd "$T_DIR" || return 1
# records in all three logs
check "extends of PCR 1, 4 and 8 (RTMR0, 1, 2)" sh -c "
	timeout $TPM_TIMEOUT tpm2_pcrextend 1:sha256=$(hexof e-fw sha256) &&
	timeout $TPM_TIMEOUT tpm2_pcrextend 4:sha256=$(hexof e-boot sha256) &&
	timeout $TPM_TIMEOUT tpm2_pcrextend 8:sha256=$(hexof e-os sha256),sha1=$(hexof e-os sha1)"

NONCE=$(random_hex 32)
check "vtpm-rtmr attest --nonce N --quote-provider configfs-tsm" \
	vtpm-rtmr --runtime-dir "$RT" attest --nonce "$NONCE" --quote-provider configfs-tsm --out ev.json
check "the evidence names the provider tdx_guest" grep -q '"provider" *: *"tdx_guest"' ev.json
check "no report entry is left in $TSM" sh -c "[ -z \"\$(ls $TSM)\" ]"

# the quote, independently: REPORTDATA = SHA-512(nonce || ek.tpmt), RTMRs = the registers
sed -n 's/^ *"quote" *: *"\([^"]*\)".*/\1/p' ev.json | sed 's|\\/|/|g' | base64 -d >quote.bin 2>/dev/null
qhex() { od -An -v -tx1 -j "$1" -N "$2" quote.bin | tr -d ' \n'; }
check_eq "the evidence holds a TDX quote v4 (version 4, key type 2, TEE type 0x81)" \
	0400020081000000 "$(qhex 0 8)"
want=$({ printf '%s' "$NONCE" | xxd -r -p; cat "$RT/ek.tpmt"; } | sha512sum | cut -d' ' -f1)
check_eq "REPORTDATA = SHA-512(nonce || TPMT_PUBLIC(EK)) (busybox sha512sum)" "$want" "$(qhex 568 64)"
for n in 0 1 2; do
	check_eq "quoted RTMR$n is the register" "$(reg_hex $n)" "$(qhex $((48 + 328 + 48 * n)) 48)"
done

vtpm-rtmr verify --evidence ev.json --nonce "$NONCE" >verdict.json 2>verify.err
rc=$?
check_eq "verify exits 1 (not every check passes)" 1 "$rc"
check "the verdict says fail" grep -q '"verdict" *: *"fail"' verdict.json
check_verdict "verify" verdict.json report-data-binding pass
check_verdict "verify" verdict.json rtmr-replay pass
check_verdict "verify: a zero signature is untrusted" verdict.json quote-signature-chain fail
for c in quote-structure quote-signature-chain; do
	info "$c: $(verdict_results verdict.json | awk -v c=$c '$1 == c { print $2 }') ($(verdict_detail verdict.json $c))"
done
info "rtmr-replay: $(verdict_detail verdict.json rtmr-replay)"
check_eq "four checks, no others" "quote-signature-chain quote-structure report-data-binding rtmr-replay" \
	"$(verdict_results verdict.json | cut -d' ' -f1 | sort | tr '\n' ' ' | sed 's/ $//')"
check "the verdict says TCB status is not checked" grep -q "TCB status" verdict.json
[ "$rc" -eq 1 ] || { show verdict.json; show verify.err; }

# the same evidence with another nonce: the binding fails
vtpm-rtmr verify --evidence ev.json --nonce "$(random_hex 32)" >verdict2.json 2>&1
check_verdict "verify with another nonce" verdict2.json report-data-binding fail
check_verdict "verify with another nonce" verdict2.json rtmr-replay pass

# the log runs ahead of the quote: a record after attest is not covered, still a prefix
check "an extend after the attest" t2 tpm2_pcrextend "9:sha256=$(hexof e-later sha256)"
vtpm-rtmr --runtime-dir "$RT" attest --nonce "$NONCE" --out ev-auto.json >attest-auto.out 2>&1
check_eq "attest with the default --quote-provider auto exits 0" 0 "$?"
check "auto picks configfs-tsm (provider tdx_guest)" grep -q '"provider" *: *"tdx_guest"' ev-auto.json
vtpm-rtmr verify --evidence ev-auto.json --nonce "$NONCE" >verdict3.json 2>&1
check_verdict "verify (auto)" verdict3.json report-data-binding pass
check_verdict "verify (auto)" verdict3.json rtmr-replay pass
check_verdict "verify (auto)" verdict3.json quote-signature-chain fail
verify_all "after attest"
check_no_tpm_errors "attest"
cd /
check "SIGTERM: the daemon exits 0" daemon_stop
