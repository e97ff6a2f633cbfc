# Benchmarks (bench/README.md). Included from the top-level Makefile; on its own:
#   make -f Makefile -f bench/bench.mk bench B=build-bench
#   make bench                    build the daemon, the tool and the bench programs, run all
#   make bench-build              build only
#   make bench-profile            system calls and instructions per extend (strace, valgrind)
#   make bench-vm                 PCR_Extend through vtpm_proxy in the VM test rig's guest,
#                                 against swtpm chardev --vtpm-proxy (bench/vm/run.sh;
#                                 VM_CACHE as for make vm-check)
#   make bench BENCH_BASELINE_REV=<commit>   also measure the daemon of that commit, built from
#                                 `git archive` under $(B)/baseline/, as a fourth server
# Run settings come from the environment (BENCH_ROUNDS, BENCH_N, ...: bench/run.py).
# Uses B, CC, CFLAGS, ALL_CFLAGS, PKG_LIBS and pkgconf from the Makefile.

# Looked up in the recipe (after `make deps` in the same call), not while parsing.
BENCH_TCTI_CFLAGS = $(call pkgconf,--cflags tss2-tctildr)
BENCH_TCTI_LIBS   = $(call pkgconf,--libs tss2-tctildr)
BENCH_BINS := $(B)/bench/tpm_client $(B)/bench/floor_bench $(B)/bench/loop_bench

.PHONY: bench bench-build
bench-build: $(B)/vtpm-rtmrd $(B)/vtpm-rtmr $(BENCH_BINS)

bench: bench-build
	python3 bench/run.py --build $(B)

ifneq ($(BENCH_BASELINE_REV),)
BENCH_BASELINE_DIR = $(B)/baseline/$(BENCH_BASELINE_REV)
export BENCH_BASELINE = $(abspath $(BENCH_BASELINE_DIR))/build/vtpm-rtmrd
bench: $(BENCH_BASELINE_DIR)/build/vtpm-rtmrd
$(BENCH_BASELINE_DIR)/build/vtpm-rtmrd:
	rm -rf $(BENCH_BASELINE_DIR) && mkdir -p $(BENCH_BASELINE_DIR)
	git archive $(BENCH_BASELINE_REV) | tar -x -C $(BENCH_BASELINE_DIR)
	$(MAKE) -C $(BENCH_BASELINE_DIR) all B=build
endif

$(B)/bench/tpm_client: bench/tpm_client.c $(B)/libvtpmrtmr.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(BENCH_TCTI_CFLAGS) -o $@ $< $(B)/libvtpmrtmr.a \
		$(BENCH_TCTI_LIBS) $(PKG_LIBS)

# The socket loops' ways of waiting, on a socketpair (bench/README.md, "Targets (issue 17)").
$(B)/bench/loop_bench: bench/loop_bench.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -Wl,-Bstatic -luring -Wl,-Bdynamic

$(B)/bench/floor_bench: bench/floor_bench.c $(B)/libvtpmrtmr.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libvtpmrtmr.a $(PKG_LIBS)

# The vtpm_proxy transport in a VM (QEMU; the kernel cached as for make vm-check).
.PHONY: bench-vm
bench-vm: bench-build
	VM_BIN_DIR=$(B) BENCH_BUILD=$(B) sh bench/vm/run.sh

# System calls and instructions per mirrored extend (needs strace and valgrind).
.PHONY: bench-profile
bench-profile: bench-build
	python3 bench/profile.py --build $(B)
include bench/restart.mk
