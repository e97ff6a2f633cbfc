#!/bin/sh
# Unmodified tpm2-tools against vtpm-rtmrd over the swtpm TCTI, TCP and UNIX socket.
# PCR values are checked against values this test computes itself.
. tests/integration/lib.sh
t_init socket_tools

PORT=$(free_port_pair)
RT="$T_DIR/run"
STATE="$T_DIR/state"

# expected_pcr ALG DIGEST_HEX: the value of a zero PCR extended once with DIGEST_HEX
expected_pcr() {
	python3 -c "import hashlib,sys; a=sys.argv[1]; d=bytes.fromhex(sys.argv[2]); \
print(hashlib.new(a, bytes(hashlib.new(a).digest_size) + d).hexdigest())" "$1" "$2"
}

# pcr_value ALG PCR: the value tpm2_pcrread prints, lowercase hex without 0x
pcr_value() {
	tpm2_pcrread "$1:$2" | awk -v p="$2" '{ sub(/:$/, "", $1) } $1 == p { v = $NF; sub(/^0x/, "", v); print tolower(v) }'
}

run_suite() {
	label=$1
	check "$label: getrandom" tpm2_getrandom --hex 16
	D1=$(printf 'vtpm-rtmr-test-1' | sha1sum | cut -c1-40)
	D256=$(printf 'vtpm-rtmr-test-256' | sha256sum | cut -c1-64)
	D384=$(printf 'vtpm-rtmr-test-384' | sha384sum | cut -c1-96)
	check "$label: pcrextend three banks" \
		tpm2_pcrextend "9:sha1=$D1,sha256=$D256,sha384=$D384"
	check_eq "$label: pcr 9 sha1" "$(expected_pcr sha1 "$D1")" "$(pcr_value sha1 9)"
	check_eq "$label: pcr 9 sha256" "$(expected_pcr sha256 "$D256")" "$(pcr_value sha256 9)"
	check_eq "$label: pcr 9 sha384" "$(expected_pcr sha384 "$D384")" "$(pcr_value sha384 9)"
	check "$label: pcrread sha512 bank exists" tpm2_pcrread sha512:0
	# no resource manager on this TCTI: flush transient objects as tools leave them loaded
	check "$label: createprimary" tpm2_createprimary -C o -c "$T_DIR/primary.ctx"
	tpm2_flushcontext -t >/dev/null 2>&1
	check "$label: createek" tpm2_createek -c "$T_DIR/ek.ctx" -G rsa -u "$T_DIR/ek.pub"
	check "$label: createak" tpm2_createak -C "$T_DIR/ek.ctx" -c "$T_DIR/ak.ctx" -G rsa \
		-g sha256 -s rsassa -u "$T_DIR/ak.pub" -f pem -n "$T_DIR/ak.name"
	tpm2_flushcontext -t >/dev/null 2>&1
	tpm2_flushcontext -s >/dev/null 2>&1
	check "$label: quote" tpm2_quote -c "$T_DIR/ak.ctx" -l sha256:0,9 -q abcdef01 \
		-m "$T_DIR/q.msg" -s "$T_DIR/q.sig" -o "$T_DIR/q.pcrs" -g sha256
	check "$label: checkquote" tpm2_checkquote -u "$T_DIR/ak.pub" -m "$T_DIR/q.msg" \
		-s "$T_DIR/q.sig" -f "$T_DIR/q.pcrs" -g sha256 -q abcdef01
	check_fails "$label: checkquote with the wrong nonce fails" tpm2_checkquote \
		-u "$T_DIR/ak.pub" -m "$T_DIR/q.msg" -s "$T_DIR/q.sig" -f "$T_DIR/q.pcrs" \
		-g sha256 -q abcdef02
	tpm2_flushcontext -t >/dev/null 2>&1
}

# --- TCP, persistent state
start_daemon "$T_DIR/d1.log" --runtime-dir "$RT" --state-dir "$STATE" --port "$PORT" \
	--rtmr-backend sim || { fail "daemon start"; t_done; exit 1; }
check "daemon says which transport it chose" grep -q "transport auto: .* absent, using the swtpm socket" "$T_DIR/d1.log"
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
check "startup -c on a started TPM is harmless" tpm2_startup -c
run_suite tcp
printf 'persistent-nv-data' > "$T_DIR/nv.in"
check "nvdefine" tpm2_nvdefine 0x1500016 -C o -s 18 -a "ownerread|ownerwrite|authread|authwrite"
check "nvwrite" tpm2_nvwrite 0x1500016 -C o -i "$T_DIR/nv.in"
check "nvread" tpm2_nvread 0x1500016 -C o -s 18 -o "$T_DIR/nv.out"
check "nvread returns what was written" cmp "$T_DIR/nv.in" "$T_DIR/nv.out"
check "daemon exits 0 on SIGTERM" stop_daemon

# --- restart on the same state: the NV index survives
start_daemon "$T_DIR/d2.log" --runtime-dir "$RT" --state-dir "$STATE" --port "$PORT" \
	--rtmr-backend sim || fail "daemon restart"
rm -f "$T_DIR/nv.out"
check "nvread after restart" tpm2_nvread 0x1500016 -C o -s 18 -o "$T_DIR/nv.out"
check "NV index kept across restart" cmp "$T_DIR/nv.in" "$T_DIR/nv.out"
check "restart did not manufacture again" sh -c "! grep -q manufactured '$T_DIR/d2.log'"

# --- a second daemon on the same state is refused
PORT2=$(free_port_pair)
check_fails "second daemon on a locked state dir refused" "$DAEMON" --runtime-dir "$T_DIR/run2" \
	--state-dir "$STATE" --port "$PORT2" --rtmr-backend sim
check "the refusal names the lock holder" grep -q "in use by another vtpm-rtmrd" "$T_DIR/last.out"
# --- a second daemon on the same port is refused with a clear message
check_fails "second daemon on a busy port refused" "$DAEMON" --runtime-dir "$T_DIR/run3" \
	--port "$PORT" --rtmr-backend sim
check "the refusal says the port is in use" grep -q "already in use" "$T_DIR/last.out"
check "daemon exits 0 on SIGTERM (2)" stop_daemon

# --- UNIX socket, ephemeral state
SOCK="$T_DIR/tpm.sock"
start_daemon "$T_DIR/d3.log" --runtime-dir "$T_DIR/run-unix" --unix "$SOCK" \
	--transport socket --rtmr-backend sim || fail "daemon start (unix)"
export TPM2TOOLS_TCTI="swtpm:path=$SOCK"
run_suite unix
check "ephemeral state lives in the runtime dir" test -f "$T_DIR/run-unix/state/tpm2-permall.state"
# a second daemon (other state) on the same path is refused and leaves the path to the first
check_fails "second daemon on a UNIX path in use refused" "$DAEMON" --runtime-dir \
	"$T_DIR/run-unix2" --unix "$SOCK" --transport socket --rtmr-backend sim
check "the refusal says the path is in use" grep -q "in use by another server" "$T_DIR/last.out"
check "the first daemon's sockets are still there" test -S "$SOCK" -a -S "$SOCK.ctrl"
check "and it still serves" tpm2_getrandom 8 -o "$T_DIR/rand-unix2"
check "daemon exits 0 on SIGTERM (unix)" stop_daemon
check "UNIX sockets removed at exit" sh -c "[ ! -e '$SOCK' ] && [ ! -e '$SOCK.ctrl' ]"

# --- a corrupt state file: refuse to start and keep the file
CORRUPT="$T_DIR/corrupt-state"
cp -r "$STATE" "$CORRUPT"
rm -f "$CORRUPT/.lock"
printf 'X' | dd of="$CORRUPT/tpm2-permall.state" bs=1 seek=100 conv=notrunc status=none
sum_before=$(sha256sum "$CORRUPT/tpm2-permall.state")
check_fails "daemon refuses a corrupt state" "$DAEMON" --runtime-dir "$T_DIR/run4" \
	--state-dir "$CORRUPT" --port "$PORT2" --rtmr-backend sim
check "the refusal names the corrupt file" grep -q "tpm2-permall.state is corrupt" "$T_DIR/last.out"
check_eq "the corrupt file is kept unchanged" "$sum_before" "$(sha256sum "$CORRUPT/tpm2-permall.state")"

# --- systemd readiness: READY=1 and STATUS= through NOTIFY_SOCKET, then STOPPING=1.
# libsystemd is dlopen()ed only when NOTIFY_SOCKET is set (src/daemon/notify.c).
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
# wait_grep PATTERN FILE: up to 10 s for PATTERN to appear in FILE
wait_grep() {
	i=0
	while ! grep -q "$1" "$2" 2>/dev/null; do
		[ $i -lt 200 ] || return 1
		sleep 0.05
		i=$((i + 1))
	done
}
# maps_libsystemd: whether the running daemon has libsystemd mapped
maps_libsystemd() {
	grep -q "libsystemd\.so" "/proc/$DAEMON_PID/maps"
}
no_libsystemd() {
	! maps_libsystemd
}
python3 tests/integration/notify_listen.py "$T_DIR/notify" 30 STOPPING=1 >"$T_DIR/notify.out" &
LISTENER=$!
wait_grep listening "$T_DIR/notify.out"
NOTIFY_SOCKET="$T_DIR/notify" start_daemon "$T_DIR/d5.log" --runtime-dir "$T_DIR/run5" \
	--port "$PORT" --rtmr-backend sim || fail "daemon start (notify)"
check "sd_notify READY=1 with a STATUS naming the TCTI" wait_grep \
	"READY=1|STATUS=serving TPM2TOOLS_TCTI=swtpm:host=127.0.0.1,port=$PORT" "$T_DIR/notify.out"
check "libsystemd loaded when NOTIFY_SOCKET is set" maps_libsystemd
check "serves after notifying" tpm2_getrandom --hex 8
check "daemon exits 0 on SIGTERM (notify)" stop_daemon
wait "$LISTENER"
check "sd_notify STOPPING=1 at exit" grep -q "^STOPPING=1" "$T_DIR/notify.out"

# --- without NOTIFY_SOCKET: libsystemd is never loaded
DAEMON_REAL=$DAEMON
DAEMON="$T_DIR/daemon-no-notify.sh"
cat >"$DAEMON" <<EOF
#!/bin/sh
unset NOTIFY_SOCKET
exec "$DAEMON_REAL" "\$@"
EOF
chmod +x "$DAEMON"
start_daemon "$T_DIR/d6.log" --runtime-dir "$T_DIR/run6" --port "$PORT" --rtmr-backend sim ||
	fail "daemon start (no NOTIFY_SOCKET)"
check "serves without NOTIFY_SOCKET" tpm2_getrandom --hex 8
check "libsystemd not loaded without NOTIFY_SOCKET" no_libsystemd
check "daemon exits 0 on SIGTERM (no NOTIFY_SOCKET)" stop_daemon

# --- NOTIFY_SOCKET set but libsystemd unloadable (an empty file bind-mounted over it in a
# private mount namespace): one warning, and the daemon serves all the same
LIBSYSTEMD=$(python3 -c 'import ctypes; ctypes.CDLL("libsystemd.so.0"); print([l.split()[-1]
	for l in open("/proc/self/maps") if "libsystemd.so" in l][0])' 2>/dev/null)
UNSHARE=
for u in "unshare -m" "unshare -rm"; do
	if [ -n "$LIBSYSTEMD" ] && $u sh -c "mount --bind /dev/null '$LIBSYSTEMD'" 2>/dev/null; then
		UNSHARE=$u
		break
	fi
done
if [ -n "$UNSHARE" ]; then
	DAEMON="$T_DIR/daemon-no-libsystemd.sh"
	cat >"$DAEMON" <<EOF
#!/bin/sh
exec $UNSHARE sh -c 'mount --bind /dev/null "\$1" && shift && exec "\$@"' sh \\
	"$LIBSYSTEMD" "$DAEMON_REAL" "\$@"
EOF
	chmod +x "$DAEMON"
	NOTIFY_SOCKET="$T_DIR/notify" start_daemon "$T_DIR/d7.log" --runtime-dir "$T_DIR/run7" \
		--port "$PORT" --rtmr-backend sim || fail "daemon start (libsystemd unloadable)"
	check "one warning when libsystemd cannot be loaded" wait_grep \
		"warning: NOTIFY_SOCKET is set but libsystemd cannot be loaded" "$T_DIR/d7.log"
	check "serves without libsystemd" tpm2_getrandom --hex 8
	check "daemon exits 0 on SIGTERM (libsystemd unloadable)" stop_daemon
	check_eq "the warning is given once" 1 \
		"$(grep -c "libsystemd cannot be loaded" "$T_DIR/d7.log")"
else
	echo "SKIP: $T_NAME: libsystemd unloadable (needs libsystemd.so.0 and unshare -m or -rm)"
fi
DAEMON=$DAEMON_REAL

# --- usage errors
check_fails "unknown option is an error" "$DAEMON" --no-such-option
check "--help prints usage" sh -c "'$DAEMON' --help | grep -q -- '--rtmr-backend'"
printf 'port = 70000\n' > "$T_DIR/bad.conf"
check_fails "bad config value is an error" "$DAEMON" --config "$T_DIR/bad.conf"
check "config error names file and line" grep -q "bad.conf:1:" "$T_DIR/last.out"

t_done
