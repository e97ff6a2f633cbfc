# Case e: one honest attestation through the kernel's configfs-tsm (tsm.ko, with fake_tdx_guest's
# "tdx_guest" report provider, whose quotes the sim CA the rig made vouches for).
# `vtpm-rtmr attest --nonce N --quote-provider configfs-tsm` makes the evidence (the TPM quote
# with the daemon's AK, the TEE quote over SHA-512(nonce || TPMT_PUBLIC(EK)), the logs);
# `vtpm-rtmr verify --trust-anchor <the sim root>` passes every check and exits 0. Checked
# independently too: the quote's REPORTDATA (busybox sha512sum), its RTMRs (the registers), its
# signature (openssl), and the TPM quote's PCR values (tpm2_pcrread). Another nonce fails the
# binding; the default trust anchor (Intel's root) fails the chain.
# The logs continue those of the earlier cases of this boot (one INIT of zeros each: the module
# was loaded, or reloaded by a_device, before the first daemon), across daemon restarts.

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
t2 tpm2_pcrread >pcrread.before 2>&1
check "vtpm-rtmr attest --nonce N --quote-provider configfs-tsm" \
	vtpm-rtmr --runtime-dir "$RT" attest --nonce "$NONCE" --quote-provider configfs-tsm --out ev.json
t2 tpm2_pcrread >pcrread.after 2>&1
check "the evidence names the provider tdx_guest" grep -q '"provider" *: *"tdx_guest"' ev.json
check "no report entry is left in $TSM" sh -c "[ -z \"\$(ls $TSM)\" ]"

# the quote, independently: REPORTDATA = SHA-512(nonce || ek.tpmt), RTMRs = the registers, the
# signature made with the attestation key it carries (the sim CA's)
evidence_quote ev.json quote.bin
qhex() { file_hex quote.bin "$1" "$2"; }
check_eq "the evidence holds a TDX quote v4 (version 4, key type 2, TEE type 0x81)" \
	0400020081000000 "$(qhex 0 8)"
want=$({ printf '%s' "$NONCE" | xxd -r -p; cat "$RT/ek.tpmt"; } | sha512sum | cut -d' ' -f1)
check_eq "REPORTDATA = SHA-512(nonce || TPMT_PUBLIC(EK)) (busybox sha512sum)" "$want" "$(qhex 568 64)"
for n in 0 1 2 3; do
	check_eq "quoted RTMR$n is the register" "$(reg_hex $n)" "$(qhex $((48 + 328 + 48 * n)) 48)"
done
mkdir -p sig
check "openssl: the quote's signature verifies with its attestation key" quote_sig_check quote.bin sig
check "the quote's attestation key and certification data are the kit's" \
	sh -c "tail -c +701 quote.bin | cmp - $QUOTE_KIT/quote-tail.bin"

# the TPM quote, independently: its values are what tpm2_pcrread reads (nothing extended
# meanwhile: both reads agree)
check "tpm2_pcrread before and after attest agree" cmp pcrread.before pcrread.after
evidence_tpm_pcrs ev.json >ev.pcrs
pcrs_of_pcrread pcrread.after >tpm.pcrs
if awk 'NR == FNR { tpm[$1 " " $2] = $3; next }
	{ n++; k = $1 " " $2
	  if (!(k in tpm)) { print k ": not read by tpm2_pcrread"; bad++ }
	  else if (tpm[k] != $3) { print k ": evidence " $3 ", tpm2_pcrread " tpm[k]; bad++ } }
	END { if (n < 4) { print "only " n " values in the evidence"; bad++ }; exit (bad > 0) }' \
	tpm.pcrs ev.pcrs >why 2>&1; then
	pass "the TPM quote's $(wc -l <ev.pcrs | tr -d ' ') PCR values in the evidence equal tpm2_pcrread"
else
	fail "the TPM quote's PCR values in the evidence equal tpm2_pcrread"
	show why
fi
check "the TPM quote covers sha256 PCR 1, 4, 8 and sha1 PCR 8" sh -c \
	"grep -q '^sha256 1 ' ev.pcrs && grep -q '^sha256 4 ' ev.pcrs && grep -q '^sha256 8 ' ev.pcrs &&
	 grep -q '^sha1 8 ' ev.pcrs"

# the verifier, with the root of the sim CA the rig made: every check passes
vtpm-rtmr verify --evidence ev.json --nonce "$NONCE" --trust-anchor "$SIM_ROOT" >verdict.json 2>verify.err
rc=$?
check_eq "verify --trust-anchor <sim root> exits 0" 0 "$rc"
check "the verdict says pass" grep -q '"verdict" *: *"pass"' verdict.json
for c in $VERIFY_CHECKS; do
	check_verdict "verify" verdict.json "$c" pass
done
# shellcheck disable=SC2086 # VERIFY_CHECKS: a list of words
check_eq "exactly these checks" "$(sorted_words $VERIFY_CHECKS)" \
	"$(verdict_results verdict.json | cut -d' ' -f1 | sort | tr '\n' ' ')"
verdict_pcr_states verdict.json >pcr.states
check "PCR 1, 4 and 8 are verified" sh -c \
	"grep -qx '1 verified' pcr.states && grep -qx '4 verified' pcr.states && grep -qx '8 verified' pcr.states"
info "PCR states: $(awk '{ printf "%s:%s ", $1, $2 }' pcr.states)"
check "the verdict says TCB status is not checked" grep -q "TCB status" verdict.json
[ "$rc" -eq 0 ] || { show verdict.json; show verify.err; }

# the same evidence with another nonce: the binding fails (and the TPM quote's qualifying data)
vtpm-rtmr verify --evidence ev.json --nonce "$(random_hex 32)" --trust-anchor "$SIM_ROOT" \
	>verdict2.json 2>&1
check_eq "verify with another nonce exits 1" 1 "$?"
check_verdict "verify with another nonce" verdict2.json report-data-binding fail
check_verdict "verify with another nonce" verdict2.json qualifying-data fail
check_verdict "verify with another nonce" verdict2.json quote-signature-chain pass

# the default trust anchor, Intel's SGX root: the sim CA's chain does not lead there
vtpm-rtmr verify --evidence ev.json --nonce "$NONCE" >verdict3.json 2>&1
check_eq "verify with the default (Intel) trust anchor exits 1" 1 "$?"
check_verdict "verify (Intel root)" verdict3.json quote-signature-chain fail
info "quote-signature-chain (Intel root): $(verdict_detail verdict3.json quote-signature-chain)"
# shellcheck disable=SC2086 # VERIFY_CHECKS: a list of words
check_eq "verify (Intel root): every other check passes" \
	"$(sorted_words $VERIFY_CHECKS | sed 's/quote-signature-chain //')" \
	"$(verdict_results verdict3.json | awk '$2 == "pass" { print $1 }' | sort | tr '\n' ' ')"

# the log runs ahead of the quote: a record after the attest is not covered, still a prefix
check "an extend after the attest" t2 tpm2_pcrextend "9:sha256=$(hexof e-later sha256)"
vtpm-rtmr --runtime-dir "$RT" attest --nonce "$NONCE" --out ev-auto.json >attest-auto.out 2>&1
check_eq "attest with the default --quote-provider auto exits 0" 0 "$?"
check "auto picks configfs-tsm (provider tdx_guest)" grep -q '"provider" *: *"tdx_guest"' ev-auto.json
vtpm-rtmr verify --evidence ev-auto.json --nonce "$NONCE" --trust-anchor "$SIM_ROOT" \
	>verdict4.json 2>&1
check_eq "verify (auto) exits 0" 0 "$?"
check_verdict "verify (auto)" verdict4.json pcrs pass
[ -z "$(verdict_results verdict4.json | awk '$2 != "pass"')" ] || show verdict4.json
verify_all "after attest"
check_no_tpm_errors "attest"
cd /
check "SIGTERM: the daemon exits 0" daemon_stop
