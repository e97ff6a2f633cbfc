# The restart benchmark (issue #13): restart-to-ready with the PCRs restored from logs of 1k
# and 100k records, against a fresh start (bench/restart_bench.py; bench/README.md, "Restart to
# ready"). Included from bench/bench.mk; `make bench` runs it too.
#   make bench-restart            build the daemon, run it, write bench/results/restart-*.md
# Settings: BENCH_RESTART_RECORDS (1000,100000), BENCH_RESTART_SAMPLES (5).
BENCH_RESTART_RECORDS ?= 1000,100000
BENCH_RESTART_SAMPLES ?= 5

.PHONY: bench-restart
bench-restart: $(B)/vtpm-rtmrd
	python3 bench/restart_bench.py --build $(B) --records $(BENCH_RESTART_RECORDS) \
		--samples $(BENCH_RESTART_SAMPLES)

bench: bench-restart
