#!/bin/sh
# `make bench` in miniature: bench/run.py with a few commands per operation runs every part
# (three servers over TCP and UNIX, unpinned and pinned, the counting round, the in-process
# floor, startup, memory, EK creation, IMA catch-up), writes one report, leaves no server
# behind, and the mirrored daemons' logs replay. Figures are not judged here
# (bench/README.md: timings are printed, never asserted).
. tests/integration/lib.sh
t_init bench_smoke

N=40
WARMUP=5
IMA=500
check "bench programs build" make -s bench-build B="$BUILD"

RES="$T_DIR/results"
mkdir -p "$RES"
if BENCH_ROUNDS=1 BENCH_MAX_ROUNDS=1 BENCH_CPU=none,0 BENCH_N=$N BENCH_WARMUP=$WARMUP \
	BENCH_BLOCK=10 BENCH_EK_N=1 \
	BENCH_FLOOR_N=500 BENCH_FLOOR_ROUNDS=1 BENCH_IMA_ENTRIES=$IMA BENCH_IMA_SAMPLES=1 \
	python3 bench/run.py --build "$BUILD" --results "$RES" \
	>"$T_DIR/report.md" 2>"$T_DIR/run.err"; then
	pass "bench/run.py completes"
else
	fail "bench/run.py completes"
	tail -20 "$T_DIR/run.err" | sed 's/^/    | /'
fi

check "one report written under --results" test "$(ls "$RES" | grep -c '\.md$')" -eq 1
grep -v '^$' "$T_DIR/report.md" >"$T_DIR/printed"
grep -v '^$' "$RES"/*.md >"$T_DIR/written"
check "the written report is the printed one" cmp -s "$T_DIR/printed" "$T_DIR/written"
for section in "Throughput and latency, unpinned" "Throughput and latency, CPU 0" \
	"Throughput ratios, unpinned and CPU 0 side by side" \
	"System calls, context switches and CPU migrations per command" "In-process floor" \
	"Startup to ready" "Memory after the run" "EK creation" "IMA bridge catch-up" \
	"Targets (issue)"; do
	check "report has a section: $section" grep -q "^## $section" "$T_DIR/report.md"
done

# Every operation over every transport has a figure for each of the three servers, unpinned
# and pinned; the side-by-side table has both ratios of each.
rows=$(grep -cE '^\| (PCR_Extend|PCR_Read|GetRandom|Quote) .*\| (tcti|persistent)-(tcp|unix) \| [0-9,]+ \| [0-9,]+ \| [0-9,]+ \|' \
	"$T_DIR/report.md")
check "32 throughput rows with three figures each (got $rows)" test "$rows" -eq 32
rows=$(sed -n '/^## Throughput ratios/,/^## /p' "$T_DIR/report.md" |
	grep -cE '\| (tcti|persistent)-(tcp|unix) \| [0-9.]+× \| [0-9.]+× \| [0-9.]+× \| [0-9.]+× \|$')
check "16 side-by-side rows, ours and no-map, unpinned and pinned (got $rows)" test "$rows" -eq 16
# Per command: system calls (a figure, or – where neither perf nor strace can count them),
# context switches, migrations and CPU time of the three servers.
num='([0-9.]+|–)'
cell="$num / $num / $num"
rows=$(sed -n '/^## System calls, context switches/,/^## In-process/p' "$T_DIR/report.md" |
	grep -cE "\| (tcti|persistent)-(tcp|unix) \| $cell \| [0-9.]+ / [0-9.]+ / [0-9.]+ \| $cell \| [0-9.]+ / [0-9.]+ / [0-9.]+ \|\$")
check "32 rows of counts per command (got $rows)" test "$rows" -eq 32

# Every extend answered to the mirrored daemons (TCP and UNIX; timed rounds and the counting
# round) is a record in their logs, which replay.
check "mirrored logs replay, one PCR 8 record per extend" \
	grep -qE "tcp ok, unix ok; ([0-9]+) PCR 8 records for \1 extends answered" "$T_DIR/report.md"
check "IMA catch-up: every entry and boot_aggregate is a record" \
	grep -q "(boot_aggregate included): $((IMA + 1))\." "$T_DIR/report.md"
# (a figure, whatever its sign: 500 extends on a loaded machine can come out negative)
check "mirror cost is a figure" grep -qE '^\| \*\*mirror cost\*\* .*\| \*\*-?[0-9]+\.[0-9]+\*\* \|' \
	"$T_DIR/report.md"
targets=$(sed -n '/^## Targets (issue)/,$p' "$T_DIR/report.md" | grep -cE '\| (\*\*no\*\*|yes) \|$')
check "seven targets, each judged yes or no (got $targets)" test "$targets" -eq 7
check "the vtpm_proxy target points to make bench-vm" \
	grep -qE '^\| mirrored PCR_Extend through vtpm_proxy .*make bench-vm.* \| – \|$' "$T_DIR/report.md"

# Every server ran from the run's scratch directory: none may be left running, and the
# directory is gone.
scratch=$(sed -n 's/^bench: \[ *[0-9.]*s\] scratch \([^ ]*\);.*/\1/p' "$T_DIR/run.err")
check "scratch directory named in the log ($scratch)" test -n "$scratch"
# ([v]: the pattern does not match the pgrep command line itself)
pattern=$(echo "$scratch/" | sed 's/vtpm-bench-/[v]tpm-bench-/')
check "no server left running" sh -c "! pgrep -f '$pattern' >/dev/null"
check "scratch directory removed" test ! -e "$scratch"
t_done
