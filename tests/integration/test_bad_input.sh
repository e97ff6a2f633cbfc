#!/bin/sh
# Malformed input on both swtpm channels: each case gets an error response or a closed
# connection, and the daemon goes on serving. CMD_SHUTDOWN ends the daemon cleanly.
. tests/integration/lib.sh
t_init bad_input

PORT=$(free_port_pair)
start_daemon "$T_DIR/d.log" --runtime-dir "$T_DIR/run" --port "$PORT" --rtmr-backend sim ||
	{ fail "daemon start"; t_done; exit 1; }
if python3 tests/integration/bad_input.py "$PORT"; then
	pass "every malformed-input case"
else
	fail "malformed-input cases (see above)"
fi
wait "$DAEMON_PID"
check_eq "CMD_SHUTDOWN ends the daemon with status 0" 0 $?
T_PIDS=""
check "no sanitizer report in the daemon's log" sh -c "! grep -q 'ERROR: AddressSanitizer\|runtime error' '$T_DIR/d.log'"
t_done
