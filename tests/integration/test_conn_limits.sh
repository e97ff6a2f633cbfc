#!/bin/sh
# The socket transport's limits on local clients, on both event loops (epoll and io_uring):
# idle connections beyond the table's 32 data / 8 control slots close the one idle the
# longest instead of locking others out; a connection that sends nothing, or half a message,
# is closed after --conn-timeout / --command-timeout; a client that never reads its responses
# is closed; the warnings about all this are rate-limited; and a restart on the same ports
# works while the previous daemon's connections sit in TIME_WAIT.
. tests/integration/lib.sh
t_init conn_limits

CLIENTS="python3 tests/integration/conn_clients.py"
COMMON="--runtime-dir $T_DIR/run --rtmr-backend sim --quote-provider sim --ima-bridge off \
--ek-type ecc-p256"

# count_lines FILE PATTERN
count_lines() {
	grep -c "$2" "$1" 2>/dev/null || true
}

for loop in epoll io_uring; do
	case $loop in
	io_uring) export VTPM_RTMR_SOCKET_LOOP=uring ;;
	*) unset VTPM_RTMR_SOCKET_LOOP ;;
	esac
	L=$T_DIR/$loop.log

	# Default timeouts (5 s / 30 s): the flood runs well inside them, so what frees the slots
	# is eviction, not expiry.
	PORT=$(free_port_pair)
	# shellcheck disable=SC2086
	start_daemon "$L" --port "$PORT" $COMMON --log-level debug || fail "$loop: daemon start"
	case $loop in
	io_uring) grep -q "socket transport: io_uring loop" "$L" ;;
	*) grep -q "socket transport: epoll loop" "$L" ;;
	esac || echo "NOTE: $T_NAME: the daemon does not serve with $loop here:" \
		"$(grep "socket transport\|io_uring" "$L" | head -2)"
	t0=$(date +%s)
	check "$loop: 300 idle data, 75 idle control connections: a new client served, oldest closed" \
		timeout 120 $CLIENTS idle-flood "$PORT" 300
	t1=$(date +%s)
	# 268 data and 67 control evictions; the rate limit allows one line per class and 10 s
	# (the connects can take a while: some sandboxes' loopback drops a SYN now and then, and
	# the client retries it a second later)
	n=$(count_lines "$L" "connections in use: closing the one idle the longest")
	max=$((2 * (2 + (t1 - t0) / 10)))
	if [ "$n" -ge 2 ] && [ "$n" -le "$max" ]; then
		pass "$loop: the eviction warning is rate-limited ($n lines for 335 evictions)"
	else
		fail "$loop: $n eviction warnings for 335 evictions in $((t1 - t0)) s (at most $max)"
	fi
	$CLIENTS no-reader "$PORT" 15 >"$T_DIR/no-reader.out" 2>&1 &
	reader=$!
	sleep 1
	check "$loop: others are served while a client reads no responses" \
		timeout 10 $CLIENTS get-random "$PORT"
	if wait $reader; then
		pass "$loop: a client that reads none of its responses is closed"
	else
		fail "$loop: a client that reads none of its responses"
		sed 's/^/    | /' "$T_DIR/no-reader.out"
	fi
	stop_daemon >/dev/null

	# Short timeouts: silence and half messages are closed.
	PORT=$(free_port_pair)
	# shellcheck disable=SC2086
	start_daemon "$L.short" --port "$PORT" $COMMON --conn-timeout 1 --command-timeout 8 ||
		fail "$loop: daemon start with short timeouts"
	check "$loop: --conn-timeout 1: a connection that sends nothing is closed, a talker kept" \
		timeout 10 $CLIENTS silent "$PORT" 5
	check "$loop: --command-timeout 8: half a command is closed" \
		timeout 20 $CLIENTS half-message "$PORT" 12
	check "$loop: every slot holding half a command refuses new clients, then frees" \
		timeout 40 $CLIENTS partial-flood "$PORT" 32 15
	grep -q "are in the middle of a message: refusing a new client" "$L.short" ||
		fail "$loop: no warning about the refused client"
	stop_daemon >/dev/null
done
unset VTPM_RTMR_SOCKET_LOOP

# TIME_WAIT, as a busy machine makes it: a client connection whose local end was the
# control port, closed by the client first, leaves 127.0.0.1:PORT+1 in TIME_WAIT.
PORT=$(free_port_pair)
python3 - "$((PORT + 1))" <<'PY'
import socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
cli = socket.socket()
cli.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
cli.bind(("127.0.0.1", int(sys.argv[1])))
cli.connect(srv.getsockname())
peer, _ = srv.accept()
cli.close()
peer.recv(1)
peer.close()
PY
tw=$(ss -tan state time-wait "( sport = :$((PORT + 1)) )" 2>/dev/null | grep -c ":$((PORT + 1)) ")
check_eq "a client connection left the control port in TIME_WAIT" 1 "$([ "${tw:-0}" -gt 0 ] && echo 1)"
# shellcheck disable=SC2086
check "the daemon starts on a control port in TIME_WAIT" \
	start_daemon "$T_DIR/tw0.log" --port "$PORT" $COMMON
check "and its control channel answers" timeout 10 $CLIENTS get-capability "$PORT"
stop_daemon >/dev/null

# TIME_WAIT: the daemon closes its side first (it stops with clients connected), so its
# ports are left in TIME_WAIT; a new daemon on the same ports must still bind them.
PORT=$(free_port_pair)
# shellcheck disable=SC2086
start_daemon "$T_DIR/tw1.log" --port "$PORT" $COMMON || fail "daemon start (TIME_WAIT 1)"
# The holder keeps three connections on each port until the daemon closes them, then
# closes its ends: the daemon's ends go from FIN-WAIT-2 to TIME_WAIT.
python3 - "$PORT" "$T_DIR/tw.ready" <<'PY' &
import socket, sys
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", p)) for p in (port, port + 1) for _ in range(3)]
open(sys.argv[2], "w").close()
for s in held:
    s.settimeout(20)
    s.recv(1)
    s.close()
PY
holder=$!
i=0
while [ ! -e "$T_DIR/tw.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
stop_daemon >/dev/null
wait $holder
tw=$(ss -tan state time-wait "( sport = :$PORT or sport = :$((PORT + 1)) )" 2>/dev/null |
	grep -c ":$((PORT + 1)) \|:$PORT ")
if [ "${tw:-0}" -gt 0 ]; then
	pass "the stopped daemon's ports are in TIME_WAIT ($tw sockets)"
else
	fail "ss shows no TIME_WAIT socket on the stopped daemon's ports"
fi
# shellcheck disable=SC2086
check "a daemon restarted on ports in TIME_WAIT binds them" \
	start_daemon "$T_DIR/tw2.log" --port "$PORT" $COMMON
check "and serves" timeout 10 $CLIENTS get-random "$PORT"
stop_daemon >/dev/null

t_reliability connection-limits "Connection limits" <<'EOF'
Connection limits of the socket transport, on both event loops: idle and half-finished
connections, a client that reads no responses, rate-limited warnings, restarts on ports in
TIME_WAIT. Before the fix 32 idle connections locked every other client out for good.
EOF
t_done
