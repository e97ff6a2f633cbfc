# libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined); included by the main Makefile.
#   make fuzz             build every target and run each for FUZZ_SECONDS (default 60) seconds
#   make fuzz-check       the same with FUZZ_CHECK_SECONDS (default 20) each (for make check)
#   make fuzz-build       only build them: $(FUZZ_B)/<target>
#   make fuzz FUZZ_RUN="fuzz_map fuzz_frame" FUZZ_SECONDS=300   only some targets, longer
# Each run first replays tests/fuzz/regressions/<target>/* (fails while any still crashes),
# then fuzzes from the seeds in tests/fuzz/corpus/<target>/ (new inputs go to
# $(FUZZ_B)/corpus/<target>/, crashers to $(FUZZ_B)/artifacts/<target>/), prints executions
# and crashes per target and writes the summary to $(FUZZ_REPORT). Needs clang and its
# libFuzzer runtime (Debian 12: clang, libclang-rt-14-dev; llvm for symbolized traces).
# Uses from the main Makefile: B (build/ if not yet set), Q, WARN, SYSTEMD_DEF,
# PKG_CFLAGS, PKG_LIBS.

# Included before or after the main Makefile's "all": do not change its default goal.
FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)

FUZZ_CC      ?= clang
FUZZ_B       ?= $(or $(B),build)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 20
FUZZ_REPORT  ?= tests/RELIABILITY.md
FUZZ_TARGETS := fuzz_pcr_cmds fuzz_frame fuzz_ctrl_channel fuzz_eventlog fuzz_map \
		fuzz_options_config fuzz_ima_list fuzz_tdx_quote fuzz_evidence fuzz_binlog \
		fuzz_tpm_attest
FUZZ_RUN     ?= $(FUZZ_TARGETS)
FUZZ_BINS    := $(addprefix $(FUZZ_B)/,$(FUZZ_TARGETS))

FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer
# The project's sources keep their warnings but not -Werror: the gcc build enforces that, and
# a clang-only warning in someone's new code should not stop make check here.
FUZZ_LIB_CFLAGS = -std=gnu11 $(filter-out -Werror,$(WARN)) -O1 -g -Isrc -I$(or $(B),build)/gen -D_GNU_SOURCE \
		$(SYSTEMD_DEF) $(PKG_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -MMD -MP
FUZZ_CFLAGS  = $(FUZZ_LIB_CFLAGS) -Werror -Itests/fuzz
# The project sources the targets link (built again with clang and the fuzzer's coverage
# instrumentation, never the gcc objects). Only these, so that work in progress elsewhere in
# src/ cannot break the fuzz build; after a refactor an "undefined reference" means a source
# is missing here.
FUZZ_LIB_SRCS := $(addprefix src/common/,hash_alg.c log.c safe_fs.c util.c) \
		$(addprefix src/eventlog/,eventlog_export.c eventlog_record.c eventlog_replay.c \
		bytebuf.c ccel_export.c cel_tlv.c cel_tlv_export.c export_walk.c tcg2_export.c \
		tcg2_parse.c tcg2_replay.c tcg2_show.c tcg2_write.c) \
		$(addprefix src/daemon/,identity.c engine.c ima_bridge.c ima_list.c mirror.c nvstore.c \
		options.c privileges.c service.c service_ctrl.c systemd_cc.c tpm_setup.c) \
		$(addprefix src/daemon/,mirror_restart.c pcr_history.c restart.c) \
		$(addprefix src/daemon/transport/,ctrl_channel.c) \
		$(addprefix src/tpm_cmds/,pcr_cmds.c tpm_build.c tpm_ek.c tpm_frame.c tpm_marshal.c \
		tpm_quote_cmds.c) \
		$(addprefix src/attest/,evidence.c quote_provider.c tdx_quote.c tdx_quote_verify.c \
		tdx_sim_ca.c tdx_sim_ca_quote.c tpm_quote.c trust_anchor.c) \
		$(addprefix src/rtmr_map/,rtmr_backend.c rtmr_map.c rtmr_sim.c rtmr_tdx_ioctl.c \
		rtmr_tdx_sysfs.c)
FUZZ_OBJS    := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_B)/obj/%.o)

.PHONY: fuzz fuzz-check fuzz-build fuzz-toolchain

fuzz-toolchain:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { echo "fuzz: $(FUZZ_CC) not found;" \
		"install clang and libclang-rt-14-dev (make deps)" >&2; exit 1; }

fuzz-build: fuzz-toolchain $(FUZZ_BINS)

fuzz: fuzz-toolchain $(FUZZ_BINS)
	@FUZZ_B=$(FUZZ_B) FUZZ_REPORT=$(FUZZ_REPORT) FUZZ_CC=$(FUZZ_CC) sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_RUN)

fuzz-check: fuzz-toolchain $(FUZZ_BINS)
	@FUZZ_B=$(FUZZ_B) FUZZ_REPORT=$(FUZZ_REPORT) FUZZ_CC=$(FUZZ_CC) sh tests/fuzz/run.sh $(FUZZ_CHECK_SECONDS) $(FUZZ_RUN)

$(FUZZ_B)/obj/%.o: %.c | fuzz-toolchain
	@mkdir -p $(dir $@)
	@echo "  CC-FUZZ $<"
	$(Q)$(FUZZ_CC) $(FUZZ_LIB_CFLAGS) -c $< -o $@

$(FUZZ_B)/obj/src/attest/trust_anchor.o: $(or $(B),build)/gen/intel_sgx_root_ca.inc

$(FUZZ_B)/libvtpmrtmr-fuzz.a: $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BINS): $(FUZZ_B)/%: tests/fuzz/%.c tests/fuzz/fuzz_common.h $(FUZZ_B)/libvtpmrtmr-fuzz.a
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_B)/libvtpmrtmr-fuzz.a \
		$(PKG_LIBS)

.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)
