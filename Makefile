# vtpm-rtmr — build, test and install.
#   make            build build/vtpm-rtmrd and build/vtpm-rtmr
#   make deps       apt-install every Debian package needed to build and test (idempotent)
#   make demo       run the daemon (socket transport, sim RTMRs) and show a PCR extend mirrored
#   make check      unit tests (ASan+UBSan), host and VM integration tests, 20 s per fuzzer
#   make fuzz       the libFuzzer targets, FUZZ_SECONDS each (default 60)
#   make bench      benchmarks against swtpm (not part of check)
#   make install    install binaries, units and docs (DESTDIR, PREFIX)
#   make clean
CC      ?= gcc
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/vtpm-rtmr

B := build
PKGS := libtpms tss2-mu libcrypto json-c
# libsystemd is optional: src/notify.c dlopen()s it only under systemd (NOTIFY_SOCKET set),
# so it is never linked; its headers, when present, only type-check the sd_notify call.
HAVE_SYSTEMD := $(shell pkg-config --exists libsystemd 2>/dev/null && echo 1)
ifeq ($(HAVE_SYSTEMD),1)
SYSTEMD_DEF := -DHAVE_SYSTEMD=1
SYSTEMD_CFLAGS := $(shell pkg-config --cflags libsystemd 2>/dev/null)
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(SYSTEMD_CFLAGS)
# --as-needed: a binary records only the libraries it uses (the daemon has no json-c), also
# where the toolchain does not default to it. -ldl: dlopen before glibc 2.34.
# liburing (the socket transport's io_uring loop) is linked statically: the few functions used
# cost less than mapping the shared library.
PKG_LIBS   := -Wl,--as-needed $(shell pkg-config --libs $(PKGS) 2>/dev/null) \
	-Wl,-Bstatic -luring -Wl,-Bdynamic -lpthread -ldl

WARN    := -Wall -Wextra -Werror -Wno-missing-field-initializers
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) -Isrc -I$(B)/gen -D_GNU_SOURCE $(SYSTEMD_DEF) $(PKG_CFLAGS) -MMD -MP
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

MAINS    := src/daemon_main.c src/tool_main.c
LIB_SRCS := $(filter-out $(MAINS),$(wildcard src/*.c src/tpm_cmds/*.c src/rtmr_map/*.c src/attest/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/obj/%.o)
SAN_OBJS := $(LIB_SRCS:%.c=$(B)/asan/%.o)

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
TOOL_SRCS  := $(wildcard tests/tools/*.c)
TOOL_BINS  := $(TOOL_SRCS:tests/tools/%.c=$(B)/tests/tools/%)
FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS   := $(shell pkg-config --libs fuse3 2>/dev/null)

.PHONY: all deps demo check unit-check integration-check vm-check install clean bench
all: $(B)/vtpm-rtmrd $(B)/vtpm-rtmr

deps:
	sh scripts/install-deps.sh

demo: all
	@BUILD=$(B) sh scripts/demo.sh

Q := @
ifeq ($(V),1)
Q :=
endif

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -c $< -o $@

# The built-in trust anchor, as C string lines.
$(B)/gen/intel_sgx_root_ca.inc: src/attest/intel_sgx_root_ca.pem
	@mkdir -p $(dir $@)
	sed -e 's/^/"/' -e 's/$$/\\n"/' $< > $@

$(B)/obj/src/attest/trust_anchor.o $(B)/asan/src/attest/trust_anchor.o: \
	$(B)/gen/intel_sgx_root_ca.inc

$(B)/libvtpmrtmr.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/libvtpmrtmr-asan.a: $(SAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/vtpm-rtmrd: $(B)/obj/src/daemon_main.o $(B)/libvtpmrtmr.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/vtpm-rtmr: $(B)/obj/src/tool_main.o $(B)/libvtpmrtmr.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

# Sanitized daemon and tool: the integration tests run these.
$(B)/asan/vtpm-rtmrd: $(B)/asan/src/daemon_main.o $(B)/libvtpmrtmr-asan.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS)

$(B)/asan/vtpm-rtmr: $(B)/asan/src/tool_main.o $(B)/libvtpmrtmr-asan.a
	$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libvtpmrtmr-asan.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -Itests/unit -o $@ $< $(B)/libvtpmrtmr-asan.a \
		$(shell pkg-config --cflags --libs cmocka) $(PKG_LIBS)

$(B)/tests/tools/%: tests/tools/%.c $(B)/libvtpmrtmr.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(FUSE_CFLAGS) -o $@ $< $(B)/libvtpmrtmr.a $(FUSE_LIBS) $(PKG_LIBS)

check: unit-check integration-check fuzz-check

unit-check: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

integration-check: all $(B)/asan/vtpm-rtmrd $(B)/asan/vtpm-rtmr $(TOOL_BINS)
	@BUILD=$(B) sh tests/integration/run-all.sh

# Regenerated on every install: the paths in it follow PREFIX/SBINDIR/DOCDIR of that call.
$(B)/vtpm-rtmrd.service: systemd/vtpm-rtmrd.service.in FORCE
	@mkdir -p $(B)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' $< > $@

# The VM suite alone (make check runs it too, as tests/integration/test_vm.sh).
vm-check: all
	@VM_BIN_DIR=$(B) sh tests/integration/test_vm.sh

install: all $(B)/vtpm-rtmrd.service
	install -D -m 0755 $(B)/vtpm-rtmrd $(DESTDIR)$(SBINDIR)/vtpm-rtmrd
	install -D -m 0755 $(B)/vtpm-rtmr $(DESTDIR)$(BINDIR)/vtpm-rtmr
	install -D -m 0644 $(B)/vtpm-rtmrd.service $(DESTDIR)$(UNITDIR)/vtpm-rtmrd.service
	install -D -m 0644 systemd/modules-load.d/tpm_vtpm_proxy.conf \
		$(DESTDIR)$(MODULESLOADDIR)/vtpm-rtmr.conf
	install -D -m 0644 systemd/tmpfiles.d/vtpm-rtmr.conf $(DESTDIR)$(TMPFILESDIR)/vtpm-rtmr.conf
	install -D -m 0644 etc/vtpm-rtmrd.conf $(DESTDIR)$(DOCDIR)/vtpm-rtmrd.conf.example
	install -D -m 0644 etc/map.conf.example $(DESTDIR)$(DOCDIR)/map.conf.example
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	# the opt-in switches that make systemd measure into this TPM: examples, not active
	install -D -m 0755 systemd/dropins/vtpm-rtmr-systemd-measure \
		$(DESTDIR)$(DOCDIR)/systemd/vtpm-rtmr-systemd-measure
	install -D -m 0644 systemd/dropins/253-260/system.conf.d/50-vtpm-rtmr-measure.conf \
		$(DESTDIR)$(DOCDIR)/systemd/253-260/system.conf.d/50-vtpm-rtmr-measure.conf
	install -D -m 0644 systemd/dropins/253-260/kernel-cmdline \
		$(DESTDIR)$(DOCDIR)/systemd/253-260/kernel-cmdline
	install -D -m 0644 'systemd/dropins/261+/kernel-cmdline' \
		'$(DESTDIR)$(DOCDIR)/systemd/261+/kernel-cmdline'

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
include bench/bench.mk
include tests/fuzz/fuzz.mk

.PHONY: FORCE
FORCE:
