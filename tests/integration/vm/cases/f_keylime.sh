# Case f: the Keylime flow against the real driver. The agent side with unmodified tpm2-tools:
# tpm2_createek, tpm2_createak under the EK, the registrar's credential challenge
# (tpm2_makecredential to the EK for the AK's name, tpm2_activatecredential: the EK works for
# Keylime's registrar), tpm2_quote over PCR 8, 10 (IMA: the bridge's boot_aggregate) and 11
# qualified by the verifier's nonce; then `vtpm-rtmr attest` with the same nonce through
# configfs-tsm. The verifier side: the evidence alone verifies (exit 0, with the sim CA's root),
# `--expect-ek ek.pub` too (expected-ek passes); Keylime's own AK quote handed to verify
# (--tpm-quote) is NOT accepted: vtpm-rtmr verify takes no proof that binds that AK to the EK,
# so tpm-quote-external fails (exit 1) while every check of the evidence still passes. Another
# EK fails expected-ek.

load_modules >"$T_DIR/modules.out" 2>&1 || { fail "loading the kernel modules"; show "$T_DIR/modules.out"; }
check_daemon_start "daemon start" "$T_DIR/start.out" || return 1
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
cd "$T_DIR" || return 1
NONCE=$(random_hex 20)
check "boot-time extends of PCR 8 and 11" sh -c "
	timeout $TPM_TIMEOUT tpm2_pcrextend 8:sha256=$(hexof f-grub sha256),sha1=$(hexof f-grub sha1) &&
	timeout $TPM_TIMEOUT tpm2_pcrextend 11:sha256=$(hexof f-uki sha256)"

# agent: EK, AK under it
check "tpm2_createek -G rsa" t2 tpm2_createek -c ek.ctx -G rsa -u ek.pub
check "ek.pub is the EK the daemon binds (ek.tpmt)" sh -c "tail -c +3 ek.pub | cmp - $RT/ek.tpmt"
check "tpm2_createak under the EK" t2 tpm2_createak -C ek.ctx -c ak.ctx -G rsa -g sha256 -s rsassa \
	-u ak.pub -f pem -n ak.name

# registrar: a credential for the AK's name, encrypted to the EK; agent: activate it. The EK's
# policy session must live across tools, which the resource manager does not allow (it flushes
# a connection's sessions when it closes): these go through /dev/tpmN, with the persistent EK.
head -c 32 /dev/urandom >secret.bin
check "tpm2_makecredential (no TPM) for the AK name, to the EK" tpm2_makecredential -T none \
	-u ek.pub -s secret.bin -n "$(od -An -v -tx1 ak.name | tr -d ' \n')" -o cred.blob
check "tpm2_activatecredential with the EK's policy session (through $TPM_DEV)" sh -c "
	export TPM2TOOLS_TCTI=device:$TPM_DEV
	timeout $TPM_TIMEOUT tpm2_startauthsession --policy-session -S session.ctx &&
	timeout $TPM_TIMEOUT tpm2_policysecret -S session.ctx -c e &&
	timeout $TPM_TIMEOUT tpm2_activatecredential -c ak.ctx -C 0x81010001 -i cred.blob \
		-o secret.out -P session:session.ctx
	rc=\$?
	timeout $TPM_TIMEOUT tpm2_flushcontext session.ctx
	timeout $TPM_TIMEOUT tpm2_flushcontext -t
	exit \$rc"
check "the AK recovered the registrar's secret" cmp secret.bin secret.out

# agent: the TPM quote and the TEE evidence for the same nonce
check "tpm2_quote sha256:8,10,11 -q NONCE" t2 tpm2_quote -c ak.ctx -l sha256:8,10,11 -q "$NONCE" \
	-m q.msg -s q.sig -o q.pcrs -g sha256
check "tpm2_checkquote" t2 tpm2_checkquote -u ak.pub -m q.msg -s q.sig -f q.pcrs -g sha256 -q "$NONCE"
check "vtpm-rtmr attest --nonce NONCE (configfs-tsm)" vtpm-rtmr --runtime-dir "$RT" attest \
	--nonce "$NONCE" --quote-provider configfs-tsm --out ev.json

# verifier: the evidence alone, and with the EK the registrar knows
vtpm-rtmr verify --evidence ev.json --nonce "$NONCE" --trust-anchor "$SIM_ROOT" --expect-ek ek.pub \
	>verdict.json 2>verify.err
rc=$?
check_eq "verify --expect-ek ek.pub exits 0" 0 "$rc"
check_verdict "verify" verdict.json expected-ek pass
# shellcheck disable=SC2086 # VERIFY_CHECKS: a list of words
check_eq "verify: every check passes" \
	"$(sorted_words $VERIFY_CHECKS expected-ek)" \
	"$(verdict_results verdict.json | awk '$2 == "pass" { print $1 }' | sort | tr '\n' ' ')"
[ "$rc" -eq 0 ] || { show verdict.json; show verify.err; }
verdict_pcr_states verdict.json >pcr.states
check "PCR 8 and 11 are verified" sh -c "grep -qx '8 verified' pcr.states && grep -qx '11 verified' pcr.states"

# Keylime's AK quote: refused without a proof binding the AK to the EK
TQ="--tpm-quote q.msg --tpm-signature q.sig --ak-public ak.pub"
# shellcheck disable=SC2086
vtpm-rtmr verify --evidence ev.json --nonce "$NONCE" --trust-anchor "$SIM_ROOT" $TQ \
	--expect-ek ek.pub >verdict2.json 2>&1
check_eq "verify --tpm-quote <Keylime's AK quote> exits 1" 1 "$?"
check_verdict "verify --tpm-quote" verdict2.json tpm-quote-external fail
info "tpm-quote-external: $(verdict_detail verdict2.json tpm-quote-external)"
check_eq "verify --tpm-quote: only tpm-quote-external fails" "tpm-quote-external" \
	"$(verdict_results verdict2.json | awk '$2 != "pass" { print $1 }' | tr '\n' ' ' | sed 's/ $//')"

# another EK (ECC, not the one bound) is refused by expected-ek
check "tpm2_createek -G ecc (another key)" t2 tpm2_createek -c ek-ecc.ctx -G ecc -u ek-ecc.pub
vtpm-rtmr verify --evidence ev.json --nonce "$NONCE" --trust-anchor "$SIM_ROOT" \
	--expect-ek ek-ecc.pub >verdict3.json 2>&1
check_eq "verify --expect-ek <another EK> exits 1" 1 "$?"
check_verdict "verify --expect-ek <another EK>" verdict3.json expected-ek fail
check_verdict "verify --expect-ek <another EK>" verdict3.json ek-identity pass
verify_all "after the Keylime flow"
check_no_tpm_errors "Keylime flow"
cd /
check "SIGTERM: the daemon exits 0" daemon_stop
