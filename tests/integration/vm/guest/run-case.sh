#!/bin/sh
# run-case.sh CASE: run /vmtest/cases/CASE.sh with lib.sh's helpers; exit 1 if anything failed.
# run-case.sh --cleanup CASE: stop a daemon the case left running.
cd /
if [ "$1" = --cleanup ]; then
	CASE=$2
	. /vmtest/lib.sh
	daemon_cleanup
	exit 0
fi
CASE=$1
. /vmtest/lib.sh
if [ ! -f "/vmtest/cases/$CASE.sh" ]; then
	fail "no such case /vmtest/cases/$CASE.sh"
	exit 1
fi
. "/vmtest/cases/$CASE.sh"
echo "$CASE: $T_PASS passed, $T_FAIL failed"
if [ "$T_FAIL" -ne 0 ]; then
	# context for the failures: the daemons' logs and the kernel's TPM messages
	for f in "$VT"/daemon.*.log; do
		[ -f "$f" ] && { echo "    --- $f"; show "$f"; }
	done
	echo "    --- dmesg (tpm, vtpm, tdx)"
	dmesg | grep -iE 'tpm|tdx|tsm' | tail -n 25 | sed 's/^/    | /'
	exit 1
fi
exit 0
