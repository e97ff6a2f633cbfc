#!/bin/sh
# The TPM's identity (DESIGN.md "Attestation") with unmodified tpm2-tools over the socket
# transport: the AK at 0x81010002 with its documented template, ak.tpmt and the `vtpm ak`
# record, the group after every startup; then, on a persistent state, what an administrator or
# Keylime does to the hierarchies (owner and endorsement auth set, EK and AK evicted, another
# key persisted at the EK's handle, a state directory without kept public areas): the daemon
# always starts, says what is missing, and its logs keep naming the kept identities.
. tests/integration/lib.sh
t_init identity

PORT=$(free_port_pair)
CTRL_PORT=$((PORT + 1))
RT="$T_DIR/run"
STATE="$T_DIR/state"
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
ZERO=0000000000000000000000000000000000000000000000000000000000000000

# readpublic_field HANDLE FIELD: what tpm2_readpublic says of a field: its "value:" line
# ("attributes", "type", "scheme", "curve-id", ...) or the rest of its own line ("bits")
readpublic_field() {
	tpm2_readpublic -c "$1" 2>/dev/null | awk -v f="$2:" '
		$1 == f && NF > 1 { sub(/^[^:]*: */, ""); print; exit }
		$1 == f { getline; sub(/^ *value: */, ""); print; exit }'
}

# ak_is HANDLE TYPE SCHEME HALG [CURVE]: the key at HANDLE has the AK template (DESIGN.md):
# restricted signing, fixedTPM/fixedParent/sensitiveDataOrigin/userWithAuth, SHA-256 names,
# no symmetric part, no authPolicy; RSA bits or the ECC curve and a NULL kdf
ak_is() {
	[ "$(readpublic_field "$1" attributes)" = \
		"fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign" ] || return 1
	[ "$(readpublic_field "$1" name-alg)" = sha256 ] || return 1
	[ "$(readpublic_field "$1" type)" = "$2" ] || return 1
	[ "$(readpublic_field "$1" scheme)" = "$3" ] || return 1
	[ "$(readpublic_field "$1" scheme-halg)" = "$4" ] || return 1
	[ "$(readpublic_field "$1" sym-alg)" = null ] || return 1
	! tpm2_readpublic -c "$1" | grep -q "authorization policy: [0-9a-f]" || return 1
	if [ "$2" = rsa ]; then
		[ "$(readpublic_field "$1" bits)" = 2048 ] &&
			[ "$(readpublic_field "$1" exponent)" = 65537 ]
	else
		[ "$(readpublic_field "$1" curve-id)" = "$5" ] &&
			[ "$(readpublic_field "$1" kdfa-alg)" = null ]
	fi
}

# public_is HANDLE FILE: the TPMT_PUBLIC at HANDLE is FILE's bytes
public_is() {
	tpm2_readpublic -c "$1" -o "$T_DIR/rp.pub" >/dev/null 2>&1 &&
		tail -c +3 "$T_DIR/rp.pub" | cmp -s - "$2"
}

# name_is HANDLE FILE: the key's name is 000b || sha256(FILE), the `vtpm` record's digest
name_is() {
	[ "$(tpm2_readpublic -c "$1" 2>/dev/null | awk '$1 == "name:" { print $2 }')" = \
		"000b$(sha256sum "$2" | cut -c1-64)" ]
}

verify_logs() {
	check "$1: vtpm-rtmr log verify" "$TOOL" --runtime-dir "$RT" --rtmr-backend sim log verify
}

# --- a new TPM (ephemeral state): the AK of every EK type
for t in rsa2048 ecc-p256 ecc-p384; do
	start_daemon "$T_DIR/d-$t.log" --runtime-dir "$T_DIR/run-$t" --port "$PORT" \
		--rtmr-backend sim --ek-type "$t" || { fail "daemon start ($t)"; continue; }
	case $t in
	rsa2048) want="rsa rsassa sha256" ;;
	ecc-p256) want="ecc ecdsa sha256 NIST p256" ;;
	ecc-p384) want="ecc ecdsa sha384 NIST p384" ;;
	esac
	# shellcheck disable=SC2086
	check "$t: AK at 0x81010002 with the documented template ($want)" \
		ak_is 0x81010002 $(echo "$want" | cut -d' ' -f1-3) \
		"$(echo "$want" | cut -d' ' -f4-)"
	check "$t: ak.tpmt is the key at 0x81010002" public_is 0x81010002 "$T_DIR/run-$t/ak.tpmt"
	check "$t: its name is sha256 of ak.tpmt" name_is 0x81010002 "$T_DIR/run-$t/ak.tpmt"
	check "$t: the group after the daemon's startup names ek.tpmt and ak.tpmt" \
		group_is_last "$T_DIR/run-$t"
	check "$t: stops" stop_daemon
done

# --- persistent state: the group after the daemon's and a client's Startup(CLEAR)
start_daemon "$T_DIR/d1.log" --runtime-dir "$RT" --state-dir "$STATE" --port "$PORT" \
	--rtmr-backend sim || { fail "daemon start"; t_done; exit 1; }
check "EK at 0x81010001 is ek.tpmt" public_is 0x81010001 "$RT/ek.tpmt"
check "AK at 0x81010002 is ak.tpmt" public_is 0x81010002 "$RT/ak.tpmt"
check "the kept public areas are in the state directory" \
	test -f "$STATE/tpm2-ek-public.state" -a -f "$STATE/tpm2-ak-public.state"
cp "$RT/ek.tpmt" "$T_DIR/ek.kept"
cp "$RT/ak.tpmt" "$T_DIR/ak.kept"
EK=$(sha256sum "$T_DIR/ek.kept" | cut -c1-64)
AK=$(sha256sum "$T_DIR/ak.kept" | cut -c1-64)
tpm2_pcrextend "8:sha256=$(printf one | sha256sum | cut -c1-64)" >/dev/null
check "CMD_INIT" swtpm_ioctl --tcp "127.0.0.1:$CTRL_PORT" -i
check "a client's Startup(CLEAR)" tpm2_startup -c
check "the group follows the client's Startup(CLEAR) in every log" group_is_last "$RT" "$EK" "$AK"
verify_logs "after a client's Startup(CLEAR)"

# --- Keylime's take-ownership and an administrator's evictions
check "tpm2_changeauth -c o (owner auth set)" tpm2_changeauth -c o ownerpw
check "tpm2_changeauth -c e (endorsement auth set)" tpm2_changeauth -c e endpw
check "tpm2_evictcontrol the EK away" tpm2_evictcontrol -C o -P ownerpw -c 0x81010001
check "tpm2_evictcontrol the AK away" tpm2_evictcontrol -C o -P ownerpw -c 0x81010002
check "stops (1)" stop_daemon
start_daemon "$T_DIR/d2.log" --runtime-dir "$RT" --state-dir "$STATE" --port "$PORT" \
	--rtmr-backend sim || fail "the daemon starts with owner and endorsement auth set"
check "and still runs" kill -0 "$DAEMON_PID"
check "it warns that the EK is missing and cannot be re-created" grep -q \
	"warning: the EK is not at 0x81010001 and cannot be re-created (CreatePrimary .* 0x9a2" \
	"$T_DIR/d2.log"
check "it warns that the AK is missing and cannot be re-created" grep -q \
	"warning: the AK is not at 0x81010002 and cannot be re-created" "$T_DIR/d2.log"
check "ek.tpmt unchanged" cmp "$RT/ek.tpmt" "$T_DIR/ek.kept"
check "ak.tpmt unchanged" cmp "$RT/ak.tpmt" "$T_DIR/ak.kept"
check "the group names the kept EK and AK" group_is_last "$RT" "$EK" "$AK"
check "the sealed-state TPM still serves" tpm2_getrandom --hex 8
verify_logs "with the keys missing"
check "stops (2), exit 0" stop_daemon

# --- endorsement auth cleared, owner auth still set: re-created, not persisted
start_daemon "$T_DIR/d3a.log" --runtime-dir "$RT" --state-dir "$STATE" --port "$PORT" \
	--rtmr-backend sim || fail "start (3a)"
check "endorsement auth cleared" tpm2_changeauth -c e -p endpw
check "stops (3a)" stop_daemon
start_daemon "$T_DIR/d3.log" --runtime-dir "$RT" --state-dir "$STATE" --port "$PORT" \
	--rtmr-backend sim || fail "start with owner auth set"
check "the EK is re-created from its template" grep -q "re-created the EK" "$T_DIR/d3.log"
check "it warns that the EK cannot be made persistent (owner auth)" grep -q \
	"warning: cannot make the EK persistent at 0x81010001 (EvictControl .* 0x9a2" "$T_DIR/d3.log"
check "and the AK" grep -q "warning: cannot make the AK persistent at 0x81010002" \
	"$T_DIR/d3.log"
check "the group still names the kept EK and AK" group_is_last "$RT" "$EK" "$AK"

# --- another key persisted at the EK's handle is never taken for the EK
tpm2_createprimary -C o -P ownerpw -c "$T_DIR/other.ctx" >/dev/null 2>&1
check "a key of the owner hierarchy persisted at 0x81010001" \
	tpm2_evictcontrol -C o -P ownerpw -c "$T_DIR/other.ctx" 0x81010001
tpm2_flushcontext -t >/dev/null 2>&1
check "stops (3)" stop_daemon
start_daemon "$T_DIR/d4.log" --runtime-dir "$RT" --state-dir "$STATE" --port "$PORT" \
	--rtmr-backend sim || fail "start with a foreign key at 0x81010001"
check "it warns that 0x81010001 holds a key that is not the EK" grep -q \
	"warning: 0x81010001 holds a key that is not the EK the event logs name" "$T_DIR/d4.log"
check "ek.tpmt is still the kept EK" cmp "$RT/ek.tpmt" "$T_DIR/ek.kept"
check "the vtpm ek record is still the kept EK" group_is_last "$RT" "$EK" "$AK"
check "the foreign key is left where it is" sh -c "tpm2_readpublic -c 0x81010001 \
	-o '$T_DIR/x.pub' >/dev/null && ! tail -c +3 '$T_DIR/x.pub' | cmp -s - '$RT/ek.tpmt'"
check "stops (4)" stop_daemon

# --- an administrator puts things right: owner auth cleared, the foreign key evicted
start_daemon "$T_DIR/d5a.log" --runtime-dir "$RT" --state-dir "$STATE" --port "$PORT" \
	--rtmr-backend sim || fail "start (5a)"
check "owner auth cleared" tpm2_changeauth -c o -p ownerpw
check "the foreign key evicted" tpm2_evictcontrol -C o -c 0x81010001
check "stops (5a)" stop_daemon
start_daemon "$T_DIR/d5.log" --runtime-dir "$RT" --state-dir "$STATE" --port "$PORT" \
	--rtmr-backend sim || fail "start after the repair"
check "no warning about the EK or AK" sh -c "! grep -q 'warning: .*\\(EK\\|AK\\)' '$T_DIR/d5.log'"
check "the EK is back at 0x81010001" public_is 0x81010001 "$T_DIR/ek.kept"
check "the AK is back at 0x81010002" public_is 0x81010002 "$T_DIR/ak.kept"
check "the group names them" group_is_last "$RT" "$EK" "$AK"
verify_logs "after the repair"

# --- a state directory of an earlier version (no kept public areas) with endorsement auth set:
# the identity is unknown, said loudly, recorded as all zero; never the key at the handle
check "endorsement auth set again" tpm2_changeauth -c e endpw
check "stops (5)" stop_daemon
rm -f "$STATE/tpm2-ek-public.state" "$STATE/tpm2-ak-public.state"
start_daemon "$T_DIR/d6.log" --runtime-dir "$RT" --state-dir "$STATE" --port "$PORT" \
	--rtmr-backend sim || fail "start without kept public areas"
check "it says the EK's identity is unknown" grep -q \
	"error: the EK's identity is unknown: .* keeps no public area of it" "$T_DIR/d6.log"
check "and the AK's" grep -q "error: the AK's identity is unknown" "$T_DIR/d6.log"
check "the group names both as all-zero sha256" group_is_last "$RT" "$ZERO" "$ZERO"
check "no ek.tpmt or ak.tpmt while unknown" sh -c "[ ! -e '$RT/ek.tpmt' ] && [ ! -e '$RT/ak.tpmt' ]"
check "endorsement auth cleared (2)" tpm2_changeauth -c e -p endpw
check "stops (6)" stop_daemon
start_daemon "$T_DIR/d7.log" --runtime-dir "$RT" --state-dir "$STATE" --port "$PORT" \
	--rtmr-backend sim || fail "start once the auth is cleared"
check "the same EK and AK again (from the endorsement seed)" group_is_last "$RT" "$EK" "$AK"
check "kept again" test -f "$STATE/tpm2-ek-public.state" -a -f "$STATE/tpm2-ak-public.state"
verify_logs "at the end"
check "stops (7)" stop_daemon

t_done
