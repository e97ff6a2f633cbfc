#!/bin/sh
# The socket transport has two event loops: epoll (the default) and io_uring
# (VTPM_RTMR_SOCKET_LOOP=uring, where the kernel allows it). The other socket tests run the
# default one; here the socket and malformed-input tests run again on io_uring, the daemon
# says which loop it serves with, both serve others while a client reads none of its
# responses, and a refused io_uring (a seccomp filter) falls back to epoll.
. tests/integration/lib.sh
t_init socket_loops

# start_loop LOG [ENV...]: a sim daemon at debug level on a free port; sets PORT
start_loop() {
	log=$1
	shift
	PORT=$(free_port_pair)
	env "$@" "$DAEMON" --port "$PORT" --runtime-dir "$T_DIR/run-$PORT" \
		--rtmr-backend sim --quote-provider sim --ima-bridge off --ek-type ecc-p256 \
		--log-level debug >"$log" 2>&1 &
	DAEMON_PID=$!
	T_PIDS="$T_PIDS $DAEMON_PID"
	wait_log "$log" "serving"
}

wait_log() {
	i=0
	while [ $i -lt 200 ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

DIGEST=$(printf '%064d' 7)
PCR8=$(python3 -c "import hashlib; print(hashlib.sha256(bytes(32) + bytes.fromhex('$DIGEST')).hexdigest())")

# tools_round PORT: an extend of a fresh TPM's PCR 8 through the TCTI, read back; GetRandom
tools_round() {
	tcti="swtpm:host=127.0.0.1,port=$1"
	TPM2TOOLS_TCTI=$tcti tpm2_pcrextend "8:sha256=$DIGEST" &&
		TPM2TOOLS_TCTI=$tcti tpm2_pcrread sha256:8 | grep -qi "0x$PCR8" &&
		TPM2TOOLS_TCTI=$tcti tpm2_getrandom 8 >/dev/null
}

start_loop "$T_DIR/default.log" || fail "daemon start (default loop)"
check "default: serves with epoll" grep -q "socket transport: epoll loop" "$T_DIR/default.log"
check "default: tpm2-tools through the epoll loop" tools_round "$PORT"
stop_daemon >/dev/null

start_loop "$T_DIR/uring.log" VTPM_RTMR_SOCKET_LOOP=uring || fail "daemon start (io_uring)"
URING=""
if grep -q "socket transport: io_uring loop" "$T_DIR/uring.log"; then
	URING=1
	pass "VTPM_RTMR_SOCKET_LOOP=uring: serves with io_uring"
	check "VTPM_RTMR_SOCKET_LOOP=uring: tpm2-tools through io_uring" tools_round "$PORT"
else
	echo "SKIP: $T_NAME: io_uring refused on this machine (served with epoll):" \
		"$(grep -o 'io_uring [^:]*' "$T_DIR/uring.log" | head -1)"
fi
stop_daemon >/dev/null

# stuck_client LOOP [ENV...]: a client that sends commands but never reads the responses fills
# its receive buffer; the daemon's send to it then waits (in the ring, or for EPOLLOUT).
# Others are still served, and SIGTERM still stops the daemon at once.
stuck_client() {
	loop=$1
	shift
	env "$@" "$DAEMON" --unix "$T_DIR/u-$loop.sock" --runtime-dir "$T_DIR/run-unix-$loop" \
		--rtmr-backend sim --quote-provider sim --ima-bridge off --ek-type ecc-p256 \
		>"$T_DIR/unix-$loop.log" 2>&1 &
	DAEMON_PID=$!
	T_PIDS="$T_PIDS $DAEMON_PID"
	wait_log "$T_DIR/unix-$loop.log" "serving" || fail "$loop: daemon start (UNIX)"
	# More clients than connection slots (32) that send a command and hang up at once: the
	# response's send fails (EPIPE) and each slot must come free again.
	python3 - "$T_DIR/u-$loop.sock" <<'PY'
import socket, struct, sys
cmd = struct.pack(">HIIH", 0x8001, 12, 0x17B, 32)  # GetRandom(32)
for _ in range(100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.send(cmd)
    s.close()
PY
	check "$loop: 100 clients that hang up before their response: slots freed, others served" \
		timeout 5 env TPM2TOOLS_TCTI="swtpm:path=$T_DIR/u-$loop.sock" tpm2_getrandom 8
	python3 - "$T_DIR/u-$loop.sock" >"$T_DIR/stuck-$loop.out" 2>&1 <<'PY' &
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.setblocking(False)
cmd = struct.pack(">HIIH", 0x8001, 12, 0x17B, 32)  # GetRandom(32)
sent = 0
try:
    while sent < 100000:
        s.send(cmd)
        sent += 1
        time.sleep(0.0005)
except BlockingIOError:
    pass
print("sent", sent, flush=True)
time.sleep(30)  # keep the connection open, never reading
PY
	STUCK=$!
	T_PIDS="$T_PIDS $STUCK"
	wait_log "$T_DIR/stuck-$loop.out" "sent" ||
		fail "$loop: the non-reading client did not fill its socket"
	check "$loop: a client that never reads ($(cat "$T_DIR/stuck-$loop.out")) holds up nobody" \
		timeout 5 env TPM2TOOLS_TCTI="swtpm:path=$T_DIR/u-$loop.sock" tpm2_getrandom 8
	t0=$(date +%s%N)
	stop_daemon
	check_eq "$loop: SIGTERM with a send waiting: exit status" 0 $?
	ms=$((($(date +%s%N) - t0) / 1000000))
	check "$loop: SIGTERM with a send waiting: stopped in ${ms} ms (< 3000)" test "$ms" -lt 3000
	check "$loop: SIGTERM with a send waiting: no request left behind" \
		sh -c "! grep -q 'did not finish' '$T_DIR/unix-$loop.log'"
	kill "$STUCK" 2>/dev/null
}
stuck_client epoll
[ -n "$URING" ] && stuck_client io_uring VTPM_RTMR_SOCKET_LOOP=uring

start_loop "$T_DIR/unknown.log" VTPM_RTMR_SOCKET_LOOP=poll || fail "daemon start (unknown loop)"
check "VTPM_RTMR_SOCKET_LOOP=poll (no longer a loop): says so, serves with epoll" grep -q \
	"VTPM_RTMR_SOCKET_LOOP=poll: unknown (epoll or uring); serving with epoll" \
	"$T_DIR/unknown.log"
check "VTPM_RTMR_SOCKET_LOOP=poll: tpm2-tools" tools_round "$PORT"
stop_daemon >/dev/null

# A seccomp filter that fails io_uring_setup with EPERM, as container runtimes' default
# profiles do (tests/tools/no_io_uring.c).
start_loop "$T_DIR/refused.log" VTPM_RTMR_SOCKET_LOOP=uring "$BUILD/tests/tools/no_io_uring" ||
	fail "daemon start (io_uring refused)"
check "io_uring refused: says so and falls back to epoll" grep -q \
	"io_uring is not available (Operation not permitted): serving with epoll" \
	"$T_DIR/refused.log"
check "io_uring refused: tpm2-tools" tools_round "$PORT"
stop_daemon
check_eq "io_uring refused: stops cleanly" 0 $?
T_PIDS=""

for t in test_socket_tools test_bad_input; do
	[ -n "$URING" ] || break
	if VTPM_RTMR_SOCKET_LOOP=uring sh "tests/integration/$t.sh" >"$T_DIR/$t.out" 2>&1; then
		pass "$t.sh on the io_uring loop ($(tail -1 "$T_DIR/$t.out"))"
	else
		fail "$t.sh on the io_uring loop"
		grep -v "^PASS" "$T_DIR/$t.out" | sed 's/^/    | /' | tail -20
	fi
done
t_done
