#!/bin/sh
# Run every cmocka unit-test binary given; print a closing "N passed, N failed" line.
pass=0
fail=0
failed=""
for t in "$@"; do
	echo "== $t"
	if "$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $t"
	fi
done
echo "unit test programs: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }
