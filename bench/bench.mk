# Benchmarks (bench/README.md). Included from the top-level Makefile; on its own:
#   make -f Makefile -f bench/bench.mk bench B=build-bench
#   make bench                    build the daemon, the tool and the bench programs, run all
#   make bench-build              build only
#   make bench-profile            system calls and instructions per extend (strace, valgrind)
# Run settings come from the environment (BENCH_ROUNDS, BENCH_N, ...: bench/run.py).
# Uses B, CC, CFLAGS, ALL_CFLAGS, PKG_LIBS and pkgconf from the Makefile.

# Looked up in the recipe (after `make deps` in the same call), not while parsing.
BENCH_TCTI_CFLAGS = $(call pkgconf,--cflags tss2-tctildr)
BENCH_TCTI_LIBS   = $(call pkgconf,--libs tss2-tctildr)
BENCH_BINS := $(B)/bench/tpm_client $(B)/bench/floor_bench

.PHONY: bench bench-build
bench-build: $(B)/vtpm-rtmrd $(B)/vtpm-rtmr $(BENCH_BINS)

bench: bench-build
	python3 bench/run.py --build $(B)

$(B)/bench/tpm_client: bench/tpm_client.c $(B)/libvtpmrtmr.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(BENCH_TCTI_CFLAGS) -o $@ $< $(B)/libvtpmrtmr.a \
		$(BENCH_TCTI_LIBS) $(PKG_LIBS)

$(B)/bench/floor_bench: bench/floor_bench.c $(B)/libvtpmrtmr.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libvtpmrtmr.a $(PKG_LIBS)

# System calls and instructions per mirrored extend (needs strace and valgrind).
.PHONY: bench-profile
bench-profile: bench-build
	python3 bench/profile.py --build $(B)
include bench/restart.mk
