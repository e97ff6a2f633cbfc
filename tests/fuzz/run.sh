#!/bin/sh
# SPDX-License-Identifier: MIT
# Run libFuzzer targets built by tests/fuzz/fuzz.mk:  sh tests/fuzz/run.sh SECONDS TARGET...
# Per target: replay tests/fuzz/regressions/<target>/* as plain inputs, then fuzz for SECONDS
# seconds from tests/fuzz/corpus/<target>/ (with tests/fuzz/<target>.dict and the libFuzzer
# flags in tests/fuzz/<target>.options when present; new inputs: $FUZZ_B/corpus/<target>/, crashers:
# $FUZZ_B/artifacts/<target>/). Prints executions and crashes per target, writes the summary
# table into $FUZZ_REPORT (between fuzz-summary markers; the rest of the file is kept) and
# exits 1 if any regression input or fuzzing run crashed.
#   FUZZ_B       build directory of the targets (default build/fuzz)
#   FUZZ_REPORT  summary file (default tests/RELIABILITY.md; empty: no report)
#   FUZZ_ARGS    extra libFuzzer arguments (e.g. -jobs=2 -workers=2)
set -u
secs=${1:?usage: run.sh SECONDS TARGET...}
shift
B=${FUZZ_B:-build/fuzz}
REPORT=${FUZZ_REPORT-tests/RELIABILITY.md}
here=${FUZZ_DIR:-tests/fuzz}
failed=0
rows=
# The ctrl_channel target keeps its TPM state in a temp dir: keep it (and leftovers of a
# crash) inside the build directory.
mkdir -p "$B/tmp"
TMPDIR=$(cd "$B/tmp" && pwd)
export TMPDIR
# UBSan findings are fatal (the targets are also built with -fno-sanitize-recover).
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

for t in "$@"; do
	bin=$B/$t
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is not built (make fuzz-build)" >&2
		exit 2
	fi
	work=$B/corpus/$t
	art=$B/artifacts/$t
	log=$B/logs/$t.log
	mkdir -p "$work" "$art" "$B/logs"

	# 1. Regression inputs: each must run clean.
	regs=0
	regfail=0
	if [ -d "$here/regressions/$t" ]; then
		for f in "$here/regressions/$t"/*; do
			[ -f "$f" ] || continue
			regs=$((regs + 1))
			if ! "$bin" -timeout=25 "$f" > "$B/logs/$t.regression.log" 2>&1; then
				regfail=$((regfail + 1))
				echo "fuzz: $t: REGRESSION $f still crashes:"
				grep -E "==ERROR|runtime error|property violated|SUMMARY|deadly signal" \
					"$B/logs/$t.regression.log" | head -5 | sed 's/^/    /'
			fi
		done
	fi

	# 2. Fuzzing.
	seeds=
	[ -d "$here/corpus/$t" ] && seeds=$here/corpus/$t
	dict=
	[ -f "$here/$t.dict" ] && dict=-dict=$here/$t.dict
	opts=
	[ -f "$here/$t.options" ] && opts=$(cat "$here/$t.options")
	before=$(find "$art" -type f | wc -l)
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=25 -print_final_stats=1 \
		-artifact_prefix="$art/" $dict $opts ${FUZZ_ARGS:-} "$work" $seeds \
		> "$log" 2>&1
	rc=$?
	after=$(find "$art" -type f | wc -l)
	crashes=$((after - before))
	[ $rc -ne 0 ] && [ $crashes -eq 0 ] && crashes=1
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ -z "$execs" ]; then
		# no final stats (a crash): the last status line "#N ..."
		execs=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
	fi
	execs=${execs:-0}
	status=ok
	if [ $crashes -ne 0 ] || [ $regfail -ne 0 ]; then
		status=FAIL
		failed=1
	fi
	printf 'fuzz: %-20s %4ss %10s executions  %s crashes  %s/%s regression inputs crash  %s\n' \
		"$t" "$secs" "$execs" "$crashes" "$regfail" "$regs" "$status"
	if [ $crashes -ne 0 ]; then
		grep -E "==ERROR|runtime error|property violated|deadly signal|SUMMARY|Test unit written" "$log" |
			head -8 | sed 's/^/    /'
		echo "    full log: $log; save the input as $here/regressions/$t/<name>"
	fi
	rows="$rows| $t | $secs | $execs | $crashes | $regfail of $regs |
"
done

if [ -n "$REPORT" ]; then
	now=$(date -u '+%Y-%m-%d %H:%M UTC')
	rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		rev="$rev plus local changes"
	fi
	cc=$(${FUZZ_CC:-clang} --version 2>/dev/null | head -n 1)
	section=$(mktemp "$B/tmp/report.XXXXXX")
	{
		echo "<!-- fuzz-summary:begin (written by tests/fuzz/run.sh; do not edit by hand) -->"
		echo "## Fuzzing (libFuzzer)"
		echo
		echo "Last run: $now, tree $rev, $cc; \`make fuzz\` (FUZZ_SECONDS per target,"
		echo "default 60) or \`make fuzz-check\` (20 s per target, part of \`make check\`)."
		echo "Targets and seeds: tests/fuzz/; inputs that once crashed: tests/fuzz/regressions/."
		echo
		echo "| target | seconds | executions | crashes | regression inputs crashing |"
		echo "|---|---|---|---|---|"
		printf '%s' "$rows"
		echo "<!-- fuzz-summary:end -->"
	} > "$section"
	if [ -f "$REPORT" ] && grep -q '^<!-- fuzz-summary:begin' "$REPORT"; then
		awk -v sec="$section" '
			/^<!-- fuzz-summary:begin/ { while ((getline l < sec) > 0) print l; skip = 1; next }
			/^<!-- fuzz-summary:end/ { skip = 0; next }
			!skip { print }' "$REPORT" > "$section.new" && cat "$section.new" > "$REPORT"
		rm -f "$section.new"
	elif [ -f "$REPORT" ]; then
		{ echo; cat "$section"; } >> "$REPORT"
	else
		{ echo "# Reliability"; echo; cat "$section"; } > "$REPORT"
	fi
	rm -f "$section"
	echo "fuzz: summary written to $REPORT"
fi
exit $failed
