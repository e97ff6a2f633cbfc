#!/bin/sh
# Crash trials (robustness issue): CRASH_TRIALS runs (default 200) of a stream of extends
# killed with SIGKILL at a random moment, then restarted: every run must come back with
# `vtpm-rtmr log verify` passing, every acknowledged extend logged, the PCRs restored (issue
# #13: every restart restores them from the logs) and equal to an independent replay of the
# logs, and the registers too. Counts runs, verify failures, PCR mismatches, restores and
# roll-forwards seen, and writes the totals to tests/RELIABILITY.md.
. tests/integration/lib.sh
t_init crash_trials

TRIALS=${CRASH_TRIALS:-200}
# the plain build: the trials are about crash consistency, and it starts faster
DAEMON=$BUILD/vtpm-rtmrd
TOOL=$BUILD/vtpm-rtmr
PORT=$(free_port_pair)
RT="$T_DIR/run"
ARGS="--runtime-dir $RT --state-dir $T_DIR/state --port $PORT --rtmr-backend sim --log-level warn"
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"

runs=0
verify_failures=0
pcr_mismatches=0
restored=0
not_restored=0
lost=0
rollforwards=0
start=$(date +%s)
n=1
while [ $n -le "$TRIALS" ]; do
	# shellcheck disable=SC2086
	if ! start_daemon "$T_DIR/d.log" $ARGS --log-level info; then
		verify_failures=$((verify_failures + 1))
		echo "trial $n: the daemon did not come back"
		sed 's/^/    | /' "$T_DIR/d.log" | tail -5
		n=$((n + 1))
		continue
	fi
	grep -q "rolled forward" "$T_DIR/d.log" && rollforwards=$((rollforwards + 1))
	grep -q "every mapped PCR restored" "$T_DIR/d.log" && restored=$((restored + 1))
	if grep -q "not restored" "$T_DIR/d.log"; then
		not_restored=$((not_restored + 1))
		echo "trial $n: the restart did not restore the PCRs:"
		grep "not restored" "$T_DIR/d.log" | sed 's/^/    | /'
	fi
	# the PCRs after the restart are those the logs replay to, every bank
	tpm2_pcrread >"$T_DIR/pcrs.txt" 2>&1
	if [ $n -gt 1 ] && ! python3 tests/integration/replay_check.py "$RT" "$RT/sim" "$T_DIR/pcrs.txt" \
		>"$T_DIR/replay.out" 2>&1; then
		pcr_mismatches=$((pcr_mismatches + 1))
		echo "trial $n: the PCRs after the restart are not the replay of the logs:"
		grep -v '^PASS' "$T_DIR/replay.out" | sed 's/^/    | /' | head -10
	fi
	if ! "$TOOL" --runtime-dir "$RT" --rtmr-backend sim log verify >"$T_DIR/verify.out" 2>&1; then
		verify_failures=$((verify_failures + 1))
		echo "trial $n: log verify failed after the restart:"
		sed 's/^/    | /' "$T_DIR/verify.out"
	fi
	# the previous run's acknowledged extends must all be in the log
	if [ -f "$T_DIR/stream.json" ] &&
		! python3 tests/integration/check_stream.py "$T_DIR/stream.json" "$RT/rtmr2.log" \
			>"$T_DIR/stream.out" 2>&1; then
		lost=$((lost + 1))
		echo "trial $n: acknowledged extends missing from the log:"
		sed 's/^/    | /' "$T_DIR/stream.out"
	fi
	rm -f "$T_DIR/stream.json"
	[ $n -eq "$TRIALS" ] && break
	python3 tests/integration/extend_stream.py "$PORT" $((8 + n % 8)) 0 "$T_DIR/stream.json" \
		--tag "trial$n" &
	client=$!
	i=0
	while [ ! -f "$T_DIR/stream.json" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i + 1)); done
	# a random moment in the first 300 ms of the stream
	sleep "0.$(awk -v s="$n" 'BEGIN { srand(s); printf "%03d", int(rand() * 300) }')"
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	T_PIDS=""
	wait "$client" 2>/dev/null
	runs=$((n))
	n=$((n + 1))
done
runs=$n
tpm2_pcrread >"$T_DIR/pcrs.txt" 2>&1
check "after $runs runs: the registers and PCRs equal an independent replay" python3 \
	tests/integration/replay_check.py "$RT" "$RT/sim" "$T_DIR/pcrs.txt"
stop_daemon
secs=$(($(date +%s) - start))
check_eq "verify failures in $runs crash trials" 0 "$verify_failures"
check_eq "restarts whose PCRs were not the replay of the logs" 0 "$pcr_mismatches"
check_eq "restarts that did not restore the PCRs" 0 "$not_restored"
check "restarts that restored the PCRs from the logs: $restored of $((runs - 1))" \
	test "$restored" -eq $((runs - 1))
check_eq "runs with acknowledged extends missing from the log" 0 "$lost"
records=$(grep -c "^vtpm extend" "$RT/rtmr2.log")
python3 tests/integration/reliability_section.py crash-trials <<EOT
## Crash trials

Written by tests/integration/test_crash_trials.sh on $(date -u +%Y-%m-%dT%H:%MZ) ($(nproc) cores).

| runs (SIGKILL at a random moment of an extend stream, then restart) | $runs |
|---|---|
| log verify failures after restart | $verify_failures |
| restarts that restored every mapped PCR from the logs (issue #13) | $restored |
| restarts whose PCRs (tpm2_pcrread, every bank) were not the replay of the logs | $pcr_mismatches |
| runs with acknowledged extends missing from the log | $lost |
| restarts that rolled a record forward (crash between append and extend) | $rollforwards |
| records in rtmr2.log at the end | $records |
| duration | ${secs} s |
EOT
echo "crash trials: $runs runs, $verify_failures verify failures, $pcr_mismatches PCR mismatches, $restored restores, $lost with lost extends, $rollforwards roll-forwards, ${secs} s"
t_done
