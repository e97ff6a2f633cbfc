#!/bin/sh
# The main job on a machine without /dev/vtpmx: start vtpm-rtmrd with its defaults (socket
# transport on 127.0.0.1:2321, chosen because /dev/vtpmx is absent) and the sim RTMR backend,
# extend a PCR with unmodified tpm2-tools, and show the change mirrored into RTMR2 and its
# event log, verified by replay. Stops the daemon at the end.
set -eu
BUILD=${BUILD:-build}
RT=${DEMO_RUNTIME_DIR:-/tmp/vtpm-rtmr-demo}
PORT=${DEMO_PORT:-2321}

rm -rf "$RT"
echo "### vtpm-rtmrd --rtmr-backend sim --runtime-dir $RT   (everything else: defaults)"
"$BUILD/vtpm-rtmrd" --rtmr-backend sim --runtime-dir "$RT" --port "$PORT" 2>"$RT.daemon.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
i=0
until grep -q "serving\|created TPM device" "$RT.daemon.log" 2>/dev/null; do
	if ! kill -0 $pid 2>/dev/null || [ $i -ge 100 ]; then
		cat "$RT.daemon.log"
		echo "demo: the daemon did not start" >&2
		exit 1
	fi
	sleep 0.1
	i=$((i + 1))
done
cat "$RT.daemon.log"
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
D=$(printf 'hello, RTMR' | sha256sum | cut -c1-64)
echo
echo "### TPM2TOOLS_TCTI=$TPM2TOOLS_TCTI tpm2_pcrextend 8:sha256=$D"
tpm2_pcrextend "8:sha256=$D"
echo "### tpm2_pcrread sha256:8"
tpm2_pcrread sha256:8
echo
echo "### $RT/rtmr2.log (PCR 8 is mapped to RTMR2)"
cat "$RT/rtmr2.log"
echo
echo "### RTMR2 register ($RT/sim/rtmr2:sha384)"
od -An -tx1 -v "$RT/sim/rtmr2:sha384" | tr -d ' \n'
echo
echo
echo "### vtpm-rtmr log replay (PCR values the log implies)"
"$BUILD/vtpm-rtmr" --runtime-dir "$RT" log replay "$RT/rtmr2.log"
echo "### vtpm-rtmr log verify (every log replays to its register)"
"$BUILD/vtpm-rtmr" --runtime-dir "$RT" --rtmr-backend sim log verify
echo
echo "demo: the PCR extend was mirrored into RTMR2 and its log replays to the register."
