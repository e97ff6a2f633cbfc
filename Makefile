# vtpm-rtmr — build, test and install.
#   make            build build/vtpm-rtmrd and build/vtpm-rtmr
#   make deps       apt-install every Debian package needed to build and test (idempotent)
#   make demo       run the daemon (socket transport, sim RTMRs) and show a PCR extend mirrored
#   make check      unit tests (ASan+UBSan), host and VM integration tests, 20 s per fuzzer
#   make fuzz       the libFuzzer targets, FUZZ_SECONDS each (default 60)
#   make bench      benchmarks against swtpm (not part of check)
#   make man        the man pages, build/man/ (from man/*.in)
#   make install    install binaries, man pages, units and docs (DESTDIR, PREFIX)
#   make deb        the Debian package (debian/): build/deb/vtpm-rtmr_<version>_<arch>.deb
#   make clean
CC      ?= gcc
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/vtpm-rtmr

B := build
PKGS := libtpms tss2-mu libcrypto json-c libseccomp

# Nothing below asks pkg-config while this file is parsed: `make deps demo` on a fresh machine
# parses it before `deps` has installed a single package. Each answer is computed when a recipe
# first needs it ($(call once,VAR,VALUE) turns the recursive VAR into a simple one holding
# VALUE), so by then `deps` has run: see the .NOTPARALLEL rule below for -j.
once = $(eval $1 := $2)$($1)
# $(call pkgconf,ARGS): pkg-config's answer, or a stop naming what is missing.
pkgconf = $(call pkgconf_ok,$(shell pkg-config $1 2>/dev/null && echo PKGCONF_OK),$1)
pkgconf_ok = $(if $(filter PKGCONF_OK,$1),$(filter-out PKGCONF_OK,$1),$(error \
	pkg-config $2 failed: a package is missing; `make deps` installs them))

# libsystemd is optional: src/daemon/notify.c dlopen()s it only under systemd (NOTIFY_SOCKET set),
# so it is never linked; its headers, when present, only type-check the sd_notify call.
HAVE_SYSTEMD = $(call once,HAVE_SYSTEMD,$(shell pkg-config --exists libsystemd 2>/dev/null && echo 1))
SYSTEMD_DEF = $(if $(HAVE_SYSTEMD),-DHAVE_SYSTEMD=1)
SYSTEMD_CFLAGS = $(if $(HAVE_SYSTEMD),$(call once,SYSTEMD_CFLAGS,$(call pkgconf,--cflags libsystemd)))
PKG_CFLAGS = $(call once,PKG_CFLAGS,$(call pkgconf,--cflags $(PKGS)) $(SYSTEMD_CFLAGS))
# --as-needed: a binary records only the libraries it uses (the daemon has no json-c), also
# where the toolchain does not default to it. -ldl: dlopen before glibc 2.34.
# liburing (the socket transport's io_uring loop) is linked statically: the few functions used
# cost less than mapping the shared library.
PKG_LIBS = -Wl,--as-needed $(call once,PKG_LIBS_,$(call pkgconf,--libs $(PKGS))) \
	-Wl,-Bstatic -luring -Wl,-Bdynamic -lpthread -ldl

WARN    := -Wall -Wextra -Werror -Wno-missing-field-initializers
CFLAGS  ?= -O2 -g
# Recursive (=): PKG_CFLAGS is looked up when the first object is compiled, not here.
ALL_CFLAGS = -std=gnu11 $(WARN) $(CPPFLAGS) $(CFLAGS) -Isrc -I$(B)/gen -D_GNU_SOURCE \
	$(SYSTEMD_DEF) $(PKG_CFLAGS) -MMD -MP
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# The layers (README "Code layout"): a core both binaries share, the daemon's and the tool's
# own code. Each binary links its own archive and the core's, so a call from the tool into the
# daemon fails to link; scripts/check-layers.sh fails the build on an #include that crosses
# the layers the wrong way.
MAINS       := src/daemon/daemon_main.c src/tool/tool_main.c
SRC_CORE    := $(wildcard $(addsuffix /*.c,$(addprefix src/,common tpm_cmds eventlog rtmr_map attest)))
SRC_DAEMON  := $(filter-out $(MAINS),$(wildcard src/daemon/*.c src/daemon/transport/*.c))
SRC_TOOL    := $(filter-out $(MAINS),$(wildcard src/tool/*.c))
LIB_SRCS    := $(SRC_CORE) $(SRC_DAEMON) $(SRC_TOOL)
LIB_OBJS    := $(LIB_SRCS:%.c=$(B)/obj/%.o)
SAN_OBJS    := $(LIB_SRCS:%.c=$(B)/asan/%.o)

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
TOOL_SRCS  := $(wildcard tests/tools/*.c)
TOOL_BINS  := $(TOOL_SRCS:tests/tools/%.c=$(B)/tests/tools/%)
FUSE_CFLAGS = $(call once,FUSE_CFLAGS,$(call pkgconf,--cflags fuse3))
FUSE_LIBS   = $(call once,FUSE_LIBS,$(call pkgconf,--libs fuse3))

.PHONY: all deps demo check unit-check integration-check vm-check man install deb clean bench
all: $(B)/vtpm-rtmrd $(B)/vtpm-rtmr

deps:
	sh scripts/install-deps.sh

# `make deps X...` (the README's first command): every recipe of X must wait until deps has
# installed the packages, also under -j. make 4.3 has no per-target .NOTPARALLEL, so such a
# call runs its goals one after the other, in command-line order; `make deps` then
# `make -jN X` as two calls keeps the parallel build.
ifneq ($(filter deps,$(MAKECMDGOALS)),)
.NOTPARALLEL:
endif

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

# Every include follows the layer rules before anything is compiled.
$(B)/layers.ok: scripts/check-layers.sh $(wildcard src/*/*.[ch] src/*/*/*.[ch])
	@mkdir -p $(B)
	@sh scripts/check-layers.sh src
	@touch $@

$(LIB_OBJS) $(SAN_OBJS) $(MAINS:%.c=$(B)/obj/%.o) $(MAINS:%.c=$(B)/asan/%.o): | $(B)/layers.ok

$(B)/libcore.a: $(SRC_CORE:%.c=$(B)/obj/%.o)
$(B)/libdaemon.a: $(SRC_DAEMON:%.c=$(B)/obj/%.o)
$(B)/libtool.a: $(SRC_TOOL:%.c=$(B)/obj/%.o)
$(B)/asan/libcore.a: $(SRC_CORE:%.c=$(B)/asan/%.o)
$(B)/asan/libdaemon.a: $(SRC_DAEMON:%.c=$(B)/asan/%.o)
$(B)/asan/libtool.a: $(SRC_TOOL:%.c=$(B)/asan/%.o)
# Everything, for the unit tests, test tools and benchmarks.
$(B)/libvtpmrtmr.a: $(LIB_OBJS)
$(B)/libvtpmrtmr-asan.a: $(SAN_OBJS)

$(B)/%.a:
	@rm -f $@
	ar rcs $@ $^

$(B)/vtpm-rtmrd: $(B)/obj/src/daemon/daemon_main.o $(B)/libdaemon.a $(B)/libcore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/vtpm-rtmr: $(B)/obj/src/tool/tool_main.o $(B)/libtool.a $(B)/libcore.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Sanitized daemon and tool: the integration tests run these.
$(B)/asan/vtpm-rtmrd: $(B)/asan/src/daemon/daemon_main.o $(B)/asan/libdaemon.a $(B)/asan/libcore.a
	$(CC) $(CFLAGS) $(LDFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS)

$(B)/asan/vtpm-rtmr: $(B)/asan/src/tool/tool_main.o $(B)/asan/libtool.a $(B)/asan/libcore.a
	$(CC) $(CFLAGS) $(LDFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS)

$(B)/tests/%: tests/unit/%.c $(B)/libvtpmrtmr-asan.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -Itests/unit -o $@ $< $(B)/libvtpmrtmr-asan.a \
		$(call pkgconf,--cflags --libs cmocka) $(PKG_LIBS)

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

# Man pages: plain man(7) sources; regenerated on every call, like the unit, so the paths in
# them follow DOCDIR of that call.
MAN_PAGES := $(patsubst man/%.in,$(B)/man/%,$(wildcard man/*.in))
man: $(MAN_PAGES)

$(B)/man/%: man/%.in FORCE
	@mkdir -p $(dir $@)
	sed -e 's|@DOCDIR@|$(DOCDIR)|g' $< > $@

# The VM suite alone (make check runs it too, as tests/integration/test_vm.sh).
vm-check: all $(B)/tests/tools/sim_quote_kit
	@VM_BIN_DIR=$(B) sh tests/integration/test_vm.sh

install: all man $(B)/vtpm-rtmrd.service
	install -D -m 0755 $(B)/vtpm-rtmrd $(DESTDIR)$(SBINDIR)/vtpm-rtmrd
	install -D -m 0755 $(B)/vtpm-rtmr $(DESTDIR)$(BINDIR)/vtpm-rtmr
	for m in $(MAN_PAGES); do \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} || exit 1; \
	done
	install -D -m 0644 $(B)/vtpm-rtmrd.service $(DESTDIR)$(UNITDIR)/vtpm-rtmrd.service
	install -D -m 0644 systemd/modules-load.d/tpm_vtpm_proxy.conf \
		$(DESTDIR)$(MODULESLOADDIR)/vtpm-rtmr.conf
	install -D -m 0644 systemd/tmpfiles.d/vtpm-rtmr.conf $(DESTDIR)$(TMPFILESDIR)/vtpm-rtmr.conf
	install -D -m 0644 systemd/sysusers.d/vtpm-rtmr.conf $(DESTDIR)$(SYSUSERSDIR)/vtpm-rtmr.conf
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

# The Debian package. dpkg-buildpackage builds in the tree it is started in (debian/.debhelper,
# debian/vtpm-rtmr/, build/) and writes its outputs to the parent directory, so it runs in a
# copy of the sources (what a clone holds: no .git, no build directories) under $(DEB_B)/src;
# the .deb, -dbgsym .deb, .buildinfo and .changes end up in $(DEB_B).
DEB_B = $(B)/deb
B_REL = $(shell realpath -m --relative-to=. $(B))
deb:
	rm -rf $(DEB_B)
	mkdir -p $(DEB_B)/src
	tar -cf - --exclude=./.git --exclude=./build --exclude='./build-*' \
		--exclude='./$(B_REL)' --exclude=__pycache__ . | tar -xf - -C $(DEB_B)/src
	cd $(DEB_B)/src && dpkg-buildpackage -us -uc -b
	@ls $(DEB_B)/*.deb

clean:
	rm -rf $(B)

# Dependency files, but not those of the package build's own copy of the tree (make deb), nor
# directories such as modules-load.d in its staging tree.
-include $(shell find $(B) -path '$(B)/deb' -prune -o -type f -name '*.d' -print 2>/dev/null)
include bench/bench.mk
include tests/fuzz/fuzz.mk

.PHONY: FORCE
FORCE:
