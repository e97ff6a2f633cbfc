#!/bin/sh
# Run every host integration test; print a closing "N passed, N failed" line (test scripts).
cd "$(dirname "$0")/../.." || exit 1
pass=0
fail=0
failed=""
for t in tests/integration/test_*.sh; do
	echo "== $t"
	if sh "$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $t"
	fi
done
echo "integration test scripts: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
