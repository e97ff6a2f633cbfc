# VM test rig (POSIX sh, sourced by run.sh from the repository root).
# Resolves and caches a Debian 6.12 kernel with its headers, builds fake_tdx_guest.ko, builds an
# initramfs from the host's packages and boots it under QEMU TCG. See README.md.
#
# Settings (environment):
#   VM_CACHE           cache directory (default build/vm-cache)
#   VM_KERNEL_VERSION  e.g. 6.12.117+deb12 (default: the newest the apt lists offer,
#                      through the linux-headers-6.12-amd64 metapackage)
#   VM_BIN_DIR         where vtpm-rtmrd and vtpm-rtmr are (default $BUILD, default build)
#   VM_QUOTE_KIT       the sim_quote_kit program (default: $VM_BIN_DIR/tests/tools/sim_quote_kit,
#                      which the rig has make build there)
#   VM_TIMEOUT         hard limit in seconds for all boots together (default 720; each boot
#                      gets what the earlier ones left)
#   VM_CASE_TIMEOUT    limit in seconds for one guest case (default 240)
#   VM_SMP, VM_MEM     QEMU -smp (default: host CPUs, at most 4) and -m (default 1024)
#   VM_KEEP            keep the work directory (console log, rootfs) even on success
#   VM_VERBOSE         the guest appends every daemon log and its dmesg to the console log

VM_SRC=tests/integration/vm
VM_KMOD_SRC=tests/integration/kmod
VM_CACHE=${VM_CACHE:-build/vm-cache}
VM_SERIES=6.12
VM_FLAVOUR=amd64
VM_BIN_DIR=${VM_BIN_DIR:-${BUILD:-build}}
VM_TIMEOUT=${VM_TIMEOUT:-720}
VM_CASE_TIMEOUT=${VM_CASE_TIMEOUT:-240}
VM_MEM=${VM_MEM:-1024}
if [ -z "${VM_SMP:-}" ]; then
	VM_SMP=$(nproc 2>/dev/null || echo 2)
	[ "$VM_SMP" -gt 4 ] && VM_SMP=4
fi
# Kernel modules the guest loads (with their dependencies, from the .modinfo of each).
VM_MODULES="tpm_vtpm_proxy configfs tsm"

vm_die() {
	echo "vm: ERROR: $*" >&2
	echo "FAIL: vm: the VM tests cannot run: $*"
	echo "vm tests: 0 passed, 1 failed"
	exit 1
}

vm_log() {
	echo "vm: $*" >&2
}

vm_need_tools() {
	missing=""
	for t in qemu-system-x86_64 apt-get apt-cache dpkg-deb tar xz gzip make gcc-12 ldd timeout flock; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx cpio ||
		missing="$missing busybox(static)"
	[ -z "$missing" ] || vm_die "missing host tools:$missing (Debian packages: qemu-system-x86" \
		"busybox-static xz-utils make gcc-12; see tests/integration/vm/README.md)"
	if ldd /bin/busybox >/dev/null 2>&1; then
		vm_die "/bin/busybox is dynamically linked: install busybox-static"
	fi
}

# ---- kernel: resolve, download, extract ----------------------------------------------------

# Sets KVER (6.12.117+deb12) and KREL (6.12.117+deb12-amd64).
vm_resolve_kernel() {
	KVER=${VM_KERNEL_VERSION:-}
	if [ -z "$KVER" ]; then
		KVER=$(apt-cache depends "linux-headers-$VM_SERIES-$VM_FLAVOUR" 2>/dev/null |
			sed -n "s/^ *Depends: linux-headers-\\($VM_SERIES\\.[0-9]*+[a-z0-9.]*\\)-$VM_FLAVOUR\$/\\1/p" |
			head -n 1)
	fi
	if [ -z "$KVER" ]; then
		KVER=$(apt-cache search --names-only \
			"^linux-image-$VM_SERIES\\.[0-9]+\\+deb[0-9]+-$VM_FLAVOUR-unsigned\$" 2>/dev/null |
			sed -n "s/^linux-image-\\([^ ]*\\)-$VM_FLAVOUR-unsigned .*/\\1/p" | sort -V | tail -n 1)
	fi
	if [ -z "$KVER" ]; then
		# offline: the newest kernel already in the cache
		for d in "$VM_CACHE"/*-"$VM_FLAVOUR"/.ready; do
			[ -f "$d" ] && basename "$(dirname "$d")" "-$VM_FLAVOUR"
		done | sort -V | tail -n 1 >"$VM_CACHE/.cached-version"
		KVER=$(cat "$VM_CACHE/.cached-version")
		if [ -z "$KVER" ]; then
			vm_die "cannot resolve a linux-image-$VM_SERIES.*-$VM_FLAVOUR-unsigned package" \
				"through apt (run apt-get update) and none is cached in $VM_CACHE"
		fi
		vm_log "apt gives no $VM_SERIES kernel; using the cached $KVER"
	fi
	KREL=$KVER-$VM_FLAVOUR
	KCACHE=$VM_CACHE/$KREL
}

# Downloads the kernel image, headers and kbuild packages once, keeps them in $KCACHE/debs,
# extracts vmlinuz and the headers (into $KCACHE/root, its Makefile pointed at the cached
# common headers) and lists the image's modules.
vm_fetch_kernel() {
	[ -f "$KCACHE/.ready" ] && return 0
	vm_log "fetching Linux $KREL into $KCACHE (once)"
	rm -rf "$KCACHE"
	mkdir -p "$KCACHE/debs" "$KCACHE/root" || vm_die "cannot create $KCACHE"
	pkgs="linux-image-$KREL-unsigned linux-headers-$KREL linux-headers-$KVER-common linux-kbuild-$KVER"
	# shellcheck disable=SC2086
	(cd "$KCACHE/debs" && apt-get download -q -o APT::Sandbox::User=root $pkgs) \
		>"$KCACHE/download.log" 2>&1 ||
		{ cat "$KCACHE/download.log" >&2; vm_die "apt-get download $pkgs failed"; }
	for p in $pkgs; do
		ls "$KCACHE/debs/${p}_"*.deb >/dev/null 2>&1 || vm_die "no .deb for $p after download"
	done
	img=$(ls "$KCACHE/debs/linux-image-$KREL-unsigned_"*.deb)
	for d in "$KCACHE/debs"/linux-headers-*.deb "$KCACHE/debs"/linux-kbuild-*.deb; do
		dpkg-deb -x "$d" "$KCACHE/root" || vm_die "cannot unpack $d"
	done
	# The headers' Makefile includes the common headers by absolute path.
	hdr=$KCACHE/root/usr/src/linux-headers-$KREL
	abs=$(cd "$KCACHE/root/usr/src/linux-headers-$KVER-common" && pwd)
	sed -i "s|^include /usr/src/linux-headers-$KVER-common/|include $abs/|" "$hdr/Makefile"
	grep -q "^include $abs/Makefile" "$hdr/Makefile" ||
		vm_die "unexpected $hdr/Makefile: $(cat "$hdr/Makefile")"
	dpkg-deb --fsys-tarfile "$img" | tar -x -C "$KCACHE/root" \
		"./boot/vmlinuz-$KREL" "./boot/config-$KREL" ||
		vm_die "cannot extract the kernel from $img"
	dpkg-deb -c "$img" | sed -n "s|.* \\./lib/modules/$KREL/\\(.*\\.ko\\(\\.xz\\)\\{0,1\\}\\)\$|\\1|p" \
		>"$KCACHE/modules.list"
	[ -s "$KCACHE/modules.list" ] || vm_die "no modules listed in $img"
	touch "$KCACHE/.ready"
}

# vm_kdir: the kbuild directory for out-of-tree modules: the system's headers if installed,
# else the cached copy.
vm_kdir() {
	if [ -f "/usr/src/linux-headers-$KREL/Makefile" ] && [ -d "/usr/lib/linux-kbuild-$KVER" ]; then
		echo "/usr/src/linux-headers-$KREL"
	else
		echo "$KCACHE/root/usr/src/linux-headers-$KREL"
	fi
}

# vm_module NAME: extract (once) module NAME and, first, its dependencies into $KCACHE/ko as
# plain .ko files; appends each to $VM_LOAD_ORDER (file) in load order.
vm_module() {
	name=$(echo "$1" | tr - _)
	grep -qx "$name" "$VM_LOAD_ORDER" 2>/dev/null && return 0
	ko=$KCACHE/ko/$name.ko
	if [ ! -f "$ko" ]; then
		path=$(awk -v n="$name" '{ b = $0; sub(/.*\//, "", b); sub(/\.ko(\.xz)?$/, "", b);
			gsub(/-/, "_", b); if (b == n) { print; exit } }' "$KCACHE/modules.list")
		[ -n "$path" ] || vm_die "module $name is not in linux-image-$KREL"
		mkdir -p "$KCACHE/ko"
		img=$(ls "$KCACHE/debs/linux-image-$KREL-unsigned_"*.deb)
		dpkg-deb --fsys-tarfile "$img" | tar -xO "./lib/modules/$KREL/$path" >"$ko.tmp" ||
			vm_die "cannot extract $path"
		case $path in
		*.xz) xz -dc "$ko.tmp" >"$ko" || vm_die "cannot decompress $path" ;;
		*) mv "$ko.tmp" "$ko" ;;
		esac
		rm -f "$ko.tmp"
	fi
	deps=$(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' ')
	for dep in $deps; do
		vm_module "$dep"
	done
	# (the recursion reused the variables; $1 is still ours)
	echo "$1" | tr - _ >>"$VM_LOAD_ORDER"
}

# vm_prefetch_modules NAME...: extract the named modules that are not cached yet in one pass
# over the image (each vm_module extraction alone unpacks the whole package); their
# dependencies are found and extracted by vm_module afterwards.
vm_prefetch_modules() {
	mkdir -p "$KCACHE/ko"
	want=""
	for n in "$@"; do
		n=$(echo "$n" | tr - _)
		[ -f "$KCACHE/ko/$n.ko" ] && continue
		p=$(awk -v n="$n" '{ b = $0; sub(/.*\//, "", b); sub(/\.ko(\.xz)?$/, "", b);
			gsub(/-/, "_", b); if (b == n) { print; exit } }' "$KCACHE/modules.list")
		[ -n "$p" ] && want="$want ./lib/modules/$KREL/$p"
	done
	[ -n "$want" ] || return 0
	tmp=$KCACHE/ko/.prefetch.$$
	rm -rf "$tmp"
	mkdir -p "$tmp"
	img=$(ls "$KCACHE/debs/linux-image-$KREL-unsigned_"*.deb)
	# shellcheck disable=SC2086
	dpkg-deb --fsys-tarfile "$img" | tar -x -C "$tmp" $want || vm_die "cannot extract$want"
	find "$tmp" -name '*.ko*' | while IFS= read -r f; do
		b=${f##*/}
		b=$(echo "${b%%.ko*}" | tr - _)
		case $f in
		*.xz) xz -dc "$f" >"$KCACHE/ko/$b.ko.tmp" ;;
		*) cp "$f" "$KCACHE/ko/$b.ko.tmp" ;;
		esac && mv "$KCACHE/ko/$b.ko.tmp" "$KCACHE/ko/$b.ko"
	done
	rm -rf "$tmp"
}

# vm_prepare: the kernel resolved and fetched, the test module built, into $VM_CACHE; one
# preparation at a time per cache (parallel runs share the downloads)
vm_prepare() {
	mkdir -p "$VM_CACHE" || vm_die "cannot create $VM_CACHE"
	vm_resolve_kernel
	exec 9>"$VM_CACHE/.lock"
	flock 9 || vm_die "cannot lock $VM_CACHE/.lock"
	vm_fetch_kernel
	vm_build_kmod
	flock -u 9
}

# vm_build_kmod: fake_tdx_guest.ko, rebuilt when its sources change.
vm_build_kmod() {
	stamp=$(cat "$VM_KMOD_SRC/Kbuild" "$VM_KMOD_SRC"/*.c | sha256sum | cut -c1-64)
	out=$KCACHE/kmod
	if [ -f "$out/fake_tdx_guest.ko" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	kdir=$(vm_kdir)
	vm_log "building fake_tdx_guest.ko against $kdir"
	rm -rf "$out"
	mkdir -p "$out/src"
	cp "$VM_KMOD_SRC/Kbuild" "$VM_KMOD_SRC"/*.c "$out/src/"
	absrc=$(cd "$out/src" && pwd)
	# no BTF for the test module: it would need pahole (dwarves) and nothing uses it
	# a make of its own: under `make -jN check` the jobserver of the parent is not passed
	# down, and make would warn about it in the log checked below
	if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$kdir" M="$absrc" \
		CONFIG_DEBUG_INFO_BTF_MODULES= modules >"$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		vm_die "building fake_tdx_guest.ko failed"
	fi
	if grep -q 'warning:' "$out/build.log"; then
		grep -B2 -A4 'warning:' "$out/build.log" >&2
		vm_die "fake_tdx_guest.ko builds with warnings"
	fi
	cp "$out/src/fake_tdx_guest.ko" "$out/" && echo "$stamp" >"$out/stamp"
}

# vm_quote_kit: a sim CA made for this run in $VM_WORK/sim-ca by tests/tools/sim_quote_kit
# (the project's tdx_sim_ca API): root-ca.pem, the trust anchor the guest's verify is given;
# quote-key.bin and quote-tail.bin, which fake_tdx_guest.ko reads from /lib/firmware to sign
# its quotes.
vm_quote_kit() {
	kit=${VM_QUOTE_KIT:-}
	if [ -z "$kit" ]; then
		kit=$VM_BIN_DIR/tests/tools/sim_quote_kit
		make -s B="$VM_BIN_DIR" "$kit" >"$VM_WORK/kit-build.log" 2>&1 ||
			{ cat "$VM_WORK/kit-build.log" >&2; vm_die "make B=$VM_BIN_DIR $kit failed"; }
	fi
	[ -x "$kit" ] || vm_die "$kit does not exist"
	"$kit" "$VM_WORK/sim-ca" >"$VM_WORK/kit.log" 2>&1 ||
		{ cat "$VM_WORK/kit.log" >&2; vm_die "$kit $VM_WORK/sim-ca failed"; }
	for f in root-ca.pem quote-key.bin quote-tail.bin; do
		[ -s "$VM_WORK/sim-ca/$f" ] || vm_die "$kit wrote no $VM_WORK/sim-ca/$f"
	done
}

# ---- initramfs -------------------------------------------------------------------------------

# vm_copy_host FILE [DEST]: copy FILE (following links) into the rootfs at the same path.
# A busybox applet of the same name gives way to the host's program (the /usr/bin copy came
# first in PATH before /usr was merged in the guest, too).
vm_copy_host() {
	dest=$VM_ROOTFS${2:-$1}
	if [ -L "$dest" ] && [ "$(readlink "$dest")" = busybox ]; then
		rm -f "$dest"
	elif [ -e "$dest" ]; then
		return 0
	fi
	mkdir -p "$(dirname "$dest")"
	cp -L "$1" "$dest" || vm_die "cannot copy $1"
}

# vm_copy_elf FILE [DEST]: copy an executable or library and every library ldd resolves.
vm_copy_elf() {
	[ -e "$1" ] || vm_die "$1 does not exist${VM_NEEDED_BY:+ (needed by $VM_NEEDED_BY; host packages:" \
		"tests/integration/vm/README.md)}"
	vm_copy_host "$1" "${2:-$1}"
	ldd "$1" >"$VM_WORK/ldd.out" 2>/dev/null   # a static binary: no output, nothing to copy
	if grep 'not found' "$VM_WORK/ldd.out" >&2; then
		vm_die "libraries of $1 are missing on the host"
	fi
	awk '/=> \// { print $3 } /^[ \t]*\/[^ ]*ld-linux/ { print $1 }' "$VM_WORK/ldd.out" \
		>"$VM_WORK/ldd.libs"
	while read -r lib; do
		vm_copy_host "$lib"
	done <"$VM_WORK/ldd.libs"
}

# Directives in the first lines of a case script (each optional, repeatable):
#   # vm-bins: /usr/bin/foo ...      host executables (and their libraries) the case needs
#   # vm-files: /etc/foo ...         host files copied as they are
#   # vm-modules: name ...           more kernel modules from the image (loaded before cases)
#   # vm-cmdline: ima_policy=tcb     kernel command line; cases with different ones boot
#                                    separately
#   # vm-init: systemd               boot Debian's systemd as PID 1 (see vm_add_systemd); such
#                                    cases boot separately too
vm_directive() {
	sed -n "1,40s/^# $1:[ \\t]*//p" "$2" | tr '\n' ' '
}

# vm_build_initramfs OUT CASE...: the rootfs for the named cases, as a gzip'd newc cpio.
vm_build_initramfs() {
	out=$1
	shift
	VM_ROOTFS=$VM_WORK/rootfs
	VM_LOAD_ORDER=$VM_WORK/load-order
	rm -rf "$VM_ROOTFS" "$VM_LOAD_ORDER"
	: >"$VM_LOAD_ORDER"
	mkdir -p "$VM_ROOTFS" || vm_die "cannot create $VM_ROOTFS"
	# merged /usr, as Debian 12 installs it
	for d in usr/bin usr/sbin usr/lib usr/lib64 proc sys dev run tmp etc root var/tmp \
		vmtest/cases vmtest/modules; do
		mkdir -p "$VM_ROOTFS/$d"
	done
	for d in bin sbin lib lib64; do
		ln -s "usr/$d" "$VM_ROOTFS/$d"
	done
	ln -s ../run "$VM_ROOTFS/var/run"
	# busybox (static) and its applets
	cp /bin/busybox "$VM_ROOTFS/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -s busybox "$VM_ROOTFS/bin/$a"
	done
	# the project's binaries
	for b in vtpm-rtmrd vtpm-rtmr; do
		[ -x "$VM_BIN_DIR/$b" ] || vm_die "$VM_BIN_DIR/$b not built (make B=$VM_BIN_DIR all)"
	done
	vm_copy_elf "$VM_BIN_DIR/vtpm-rtmrd" /usr/sbin/vtpm-rtmrd
	vm_copy_elf "$VM_BIN_DIR/vtpm-rtmr" /usr/bin/vtpm-rtmr
	# tpm2-tools: one multi-call binary and its tpm2_* links
	vm_copy_elf /usr/bin/tpm2
	for l in /usr/bin/tpm2_*; do
		[ -L "$l" ] && ln -sf tpm2 "$VM_ROOTFS$l"
	done
	# tpm2-tss TCTIs are dlopen()ed by libtss2-tctildr: ldd does not list them
	found=""
	for t in /usr/lib/x86_64-linux-gnu/libtss2-tcti-*.so.[0-9]; do
		[ -e "$t" ] || continue
		case $t in *tcti-tabrmd* | *tcti-spi* | *tcti-i2c*) continue ;; esac
		vm_copy_elf "$t"
		found=1
	done
	[ -n "$found" ] || vm_die "no tpm2-tss TCTI libraries (libtss2-tcti-device.so.*) on the host"
	# openssl: an independent SHA-384 for the in-guest replay
	vm_copy_elf /usr/bin/openssl
	[ -f /usr/lib/ssl/openssl.cnf ] && vm_copy_host /usr/lib/ssl/openssl.cnf
	# vtpm-rtmr: the daemon's own user (systemd/sysusers.d), every case runs it --runas it
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'tss:x:100:101::/var/lib/tpm:/bin/false' \
		'vtpm-rtmr:x:990:990::/:/bin/false' >"$VM_ROOTFS/etc/passwd"
	printf 'root:x:0:\ntss:x:101:\nvtpm-rtmr:x:990:\n' >"$VM_ROOTFS/etc/group"
	printf '127.0.0.1 localhost\n::1 localhost\n' >"$VM_ROOTFS/etc/hosts"
	# cases, their directives
	for c in "$@"; do
		f=$VM_SRC/cases/$c.sh
		cp "$f" "$VM_ROOTFS/vmtest/cases/"
		VM_NEEDED_BY=$c
		for b in $(vm_directive vm-bins "$f"); do vm_copy_elf "$b"; done
		for x in $(vm_directive vm-files "$f"); do
			[ -e "$x" ] || vm_die "$x does not exist (needed by $c)"
			vm_copy_host "$x"
		done
		for m in $(vm_directive vm-modules "$f"); do vm_module "$m"; done
		VM_NEEDED_BY=""
	done
	echo "$*" >"$VM_ROOTFS/vmtest/cases.list"
	# kernel modules, in load order, then the fake TDX module
	for m in $VM_MODULES; do
		vm_module "$m"
	done
	while read -r m; do
		cp "$KCACHE/ko/$m.ko" "$VM_ROOTFS/vmtest/modules/"
	done <"$VM_LOAD_ORDER"
	cp "$VM_LOAD_ORDER" "$VM_ROOTFS/vmtest/modules/load-order"
	cp "$KCACHE/kmod/fake_tdx_guest.ko" "$VM_ROOTFS/vmtest/modules/"
	# its quote kit (request_firmware) and the root that vouches for its quotes
	mkdir -p "$VM_ROOTFS/lib/firmware/fake_tdx_guest"
	cp "$VM_WORK/sim-ca/quote-key.bin" "$VM_WORK/sim-ca/quote-tail.bin" \
		"$VM_ROOTFS/lib/firmware/fake_tdx_guest/"
	cp "$VM_WORK/sim-ca/root-ca.pem" "$VM_ROOTFS/vmtest/sim-root-ca.pem"
	# systemd as PID 1 when a case asks for it
	for c in "$@"; do
		if [ "$(vm_case_init "$c")" = systemd ]; then
			VM_NEEDED_BY=$c
			vm_add_systemd
			VM_NEEDED_BY=""
			break
		fi
	done
	# guest scripts
	cp "$VM_SRC/guest/init" "$VM_ROOTFS/init"
	cp "$VM_SRC/guest/lib.sh" "$VM_SRC/guest/run-case.sh" "$VM_SRC/guest/run-all.sh" \
		"$VM_ROOTFS/vmtest/"
	chmod 0755 "$VM_ROOTFS/init"
	echo "$VM_CASE_TIMEOUT" >"$VM_ROOTFS/vmtest/case-timeout"
	(cd "$VM_ROOTFS" && find . | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null) |
		gzip -1 >"$out" || vm_die "cannot write $out"
}

# ---- systemd as PID 1 ---------------------------------------------------------------------------

# vm_case_init CASE: the init a case asks for ("systemd", or empty: the busybox init)
vm_case_init() {
	vm_directive vm-init "$VM_SRC/cases/$1.sh" | tr -d ' '
}

# vm_cmdline CASE: the kernel command line a case boots with (its vm-cmdline directive; a
# systemd boot adds what guest/init and systemd need). Cases with the same one share a boot.
vm_cmdline() {
	cl=$(vm_directive vm-cmdline "$VM_SRC/cases/$1.sh" | sed 's/ *$//')
	if [ "$(vm_case_init "$1")" = systemd ]; then
		# systemd's status lines would land between the result lines on the serial console
		cl="${cl:+$cl }vmtest.init=systemd systemd.unit=vmtest.target systemd.show_status=0"
	fi
	echo "$cl"
}

# Host packages whose files (without documentation) make up the guest's systemd: Debian 12's
# systemd 252 with its own units, udev, kmod (modprobe@.service, modules-load, the kernel's
# module requests), util-linux mount, libcryptsetup's tools and device-mapper udev rules.
VM_SYSTEMD_PKGS="systemd udev libsystemd-shared libsystemd0 kmod mount dmsetup cryptsetup-bin"
# the udev rule giving /dev/tpmrm* to group tss, when the host has it
VM_SYSTEMD_OPTIONAL_PKGS="tpm-udev"
# Modules the booted system loads itself, from /usr/lib/modules/<release> with depmod's indexes:
# tpm_vtpm_proxy through the unit (modprobe@, modules-load.d), autofs4 by PID 1, the rest when
# the kernel asks for them (loop, device mapper, dm-crypt and the ciphers, AF_ALG for cryptsetup).
VM_SYSTEMD_MODULES="tpm_vtpm_proxy autofs4 loop dm_mod dm_crypt xts aesni_intel af_alg algif_skcipher
	algif_hash"

# vm_kernel_meta: modules.builtin, modules.builtin.modinfo, modules.order of the image (once)
vm_kernel_meta() {
	[ -f "$KCACHE/meta/modules.order" ] && return 0
	img=$(ls "$KCACHE/debs/linux-image-$KREL-unsigned_"*.deb)
	rm -rf "$KCACHE/meta.tmp.$$"
	mkdir -p "$KCACHE/meta.tmp.$$"
	dpkg-deb --fsys-tarfile "$img" | tar -x -C "$KCACHE/meta.tmp.$$" \
		"./lib/modules/$KREL/modules.builtin" "./lib/modules/$KREL/modules.builtin.modinfo" \
		"./lib/modules/$KREL/modules.order" || vm_die "cannot extract the modules lists from $img"
	rm -rf "$KCACHE/meta"
	mv "$KCACHE/meta.tmp.$$/lib/modules/$KREL" "$KCACHE/meta" 2>/dev/null
	rm -rf "$KCACHE/meta.tmp.$$"
	[ -f "$KCACHE/meta/modules.order" ] || vm_die "no modules.order in $img"
}

# vm_add_systemd: Debian's systemd as the guest's init. guest/init (PID 1 at first) loads the
# emulated platform drivers and execs /lib/systemd/systemd, which boots to vmtest.target:
# vmtest.service runs the cases (guest/run-all.sh) on the console and powers off. The project is
# installed with its own `make install` (PREFIX=/usr) and `systemctl enable`, as on a real system;
# the drop-in in guest/systemd/ only names the RTMR backend (the emulated tdx-sysfs registers).
vm_add_systemd() {
	r=$VM_ROOTFS
	lst=$VM_WORK/systemd.files
	: >"$lst"
	for p in $VM_SYSTEMD_PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
			vm_die "host package $p is not installed (needed by $VM_NEEDED_BY, which boots" \
				"systemd; scripts/install-deps.sh installs it)"
		dpkg -L "$p" >>"$lst"
	done
	for p in $VM_SYSTEMD_OPTIONAL_PKGS; do
		dpkg -L "$p" >>"$lst" 2>/dev/null
	done
	# files and symbolic links (no directories, documentation or SysV scripts); on a merged-/usr
	# host the paths are taken through /usr, where the guest has them
	merged=""
	[ -L /lib ] && [ -L /bin ] && [ -L /sbin ] && merged=1
	grep -vE '^/usr/share/(doc|doc-base|man|info|locale|bash-completion|zsh|fish|lintian|bug|initramfs-tools|pkgconfig)/|^/etc/init\.d/|/hwdb\.d/' "$lst" |
		while IFS= read -r f; do
			if [ -L "$f" ] || { [ -e "$f" ] && [ ! -d "$f" ]; }; then
				if [ -n "$merged" ]; then
					case $f in /bin/* | /sbin/* | /lib/* | /lib64/*) f=/usr$f ;; esac
				fi
				echo "${f#/}"
			fi
		done | LC_ALL=C sort -u >"$lst.files"
	[ -s "$lst.files" ] || vm_die "no systemd files found on the host"
	tar -C / --no-recursion -cf - -T "$lst.files" | tar -C "$r" -xf - ||
		vm_die "cannot copy the systemd files into $r"
	# their libraries: one ldd over every file (a file with a library ldd cannot find, e.g. an
	# optional cryptsetup token plugin, is left out)
	while IFS= read -r f; do
		[ -f "/$f" ] && [ ! -L "/$f" ] && echo "/$f"
	done <"$lst.files" >"$lst.regular"
	# (/dev/null: ldd names each file only when given more than one)
	# (the libsystemd-shared/-core directory: systemd's programs find them through their RUNPATH)
	LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/systemd xargs ldd /dev/null <"$lst.regular" \
		>"$lst.ldd" 2>/dev/null
	awk '/^\// { sub(/:$/, ""); f = $0; next } /not found/ { print f }' "$lst.ldd" |
		sort -u >"$lst.broken"
	while IFS= read -r f; do
		vm_log "systemd boot: leaving out $f (a library it needs is missing on the host)"
		rm -f "$r$f"
	done <"$lst.broken"
	awk 'FILENAME == ARGV[1] { bad[$0] = 1; next }
	     /^\// { sub(/:$/, ""); f = $0; next }
	     !(f in bad) && /=> \// { print $3 } !(f in bad) && /^[ \t]*\/[^ ]*ld-linux/ { print $1 }' \
		"$lst.broken" "$lst.ldd" | sort -u >"$lst.libs"
	while IFS= read -r lib; do
		vm_copy_host "$lib"
	done <"$lst.libs"
	# dlopen()ed, so ldd does not list them: libsystemd (the daemon's sd_notify), tpm2-tss for
	# systemd's TPM2 code (systemd-cryptenroll, -cryptsetup, -creds, -pcrphase, -measure)
	for l in /usr/lib/x86_64-linux-gnu/libsystemd.so.0 /usr/lib/x86_64-linux-gnu/libtss2-esys.so.0 \
		/usr/lib/x86_64-linux-gnu/libtss2-rc.so.0 /usr/lib/x86_64-linux-gnu/libtss2-mu.so.0; do
		vm_copy_elf "$l"
	done
	# a machine (not a first boot: no systemd-firstboot), Debian's os-release
	echo 4a1c7e0c5b7d4e0f9a3f2c1d0e9b8a76 >"$r/etc/machine-id"
	vm_copy_host /usr/lib/os-release
	ln -sf ../usr/lib/os-release "$r/etc/os-release"
	: >"$r/etc/fstab"
	# groups Debian's udev rules and tmpfiles name (its postinst creates them on a real system)
	printf 'kvm:x:102:\ninput:x:103:\nrender:x:104:\nsgx:x:105:\n' >>"$r/etc/group"
	# the project, installed as its README says: binaries, unit, modules-load.d, tmpfiles.d
	if ! make -s -o all install DESTDIR="$(cd "$r" && pwd)" PREFIX=/usr B="$VM_BIN_DIR" \
		>"$VM_WORK/make-install.log" 2>&1; then
		cat "$VM_WORK/make-install.log" >&2
		vm_die "make install into the guest root failed"
	fi
	# the test's own units (vmtest.target, vmtest.service) and the drop-in for the daemon
	cp -R "$VM_SRC/guest/systemd/." "$r/etc/systemd/system/" ||
		vm_die "cannot copy $VM_SRC/guest/systemd"
	if ! systemctl --root="$r" enable vtpm-rtmrd.service >"$VM_WORK/enable.log" 2>&1; then
		cat "$VM_WORK/enable.log" >&2
		vm_die "systemctl --root enable vtpm-rtmrd.service failed"
	fi
	# kernel modules under /usr/lib/modules/<release>, indexed by depmod
	md=$r/usr/lib/modules/$KREL
	mkdir -p "$md/kernel/vmtest"
	vm_kernel_meta
	cp "$KCACHE/meta/modules.builtin" "$KCACHE/meta/modules.builtin.modinfo" \
		"$KCACHE/meta/modules.order" "$md/"
	saved_order=$VM_LOAD_ORDER
	VM_LOAD_ORDER=$VM_WORK/systemd-modules
	: >"$VM_LOAD_ORDER"
	# shellcheck disable=SC2086
	vm_prefetch_modules $VM_SYSTEMD_MODULES
	for m in $VM_SYSTEMD_MODULES; do
		vm_module "$m"
	done
	while read -r m; do
		cp "$KCACHE/ko/$m.ko" "$md/kernel/vmtest/"
	done <"$VM_LOAD_ORDER"
	VM_LOAD_ORDER=$saved_order
	depmod=/sbin/depmod
	[ -x "$depmod" ] || depmod=$(command -v depmod) || vm_die "no depmod on the host (package kmod)"
	"$depmod" -b "$r" "$KREL" >"$VM_WORK/depmod.log" 2>&1 ||
		{ cat "$VM_WORK/depmod.log" >&2; vm_die "depmod -b $r $KREL failed"; }
	[ -s "$md/modules.dep.bin" ] || vm_die "depmod wrote no $md/modules.dep.bin"
}

# ---- boot --------------------------------------------------------------------------------------

# vm_boot INITRD CONSOLE_LOG [EXTRA_CMDLINE]: boot under a hard timeout, echo the guest's result
# lines as they come, keep the whole console in CONSOLE_LOG; returns the status of qemu (124:
# the timeout hit).
vm_boot() {
	kernel=$KCACHE/root/boot/vmlinuz-$KREL
	: "${VM_DEADLINE:=$(($(date +%s) + VM_TIMEOUT))}"
	limit=$((VM_DEADLINE - $(date +%s)))
	[ "$limit" -ge 30 ] || limit=30
	# shellcheck disable=SC2034 # read by run.sh
	VM_BOOT_LIMIT=$limit
	rm -f "$2.status"
	{
		timeout -k 10 "$limit" qemu-system-x86_64 -accel tcg -cpu max -smp "$VM_SMP" \
			-m "$VM_MEM" -nographic -no-reboot -nic none \
			-kernel "$kernel" -initrd "$1" \
			-append "console=ttyS0 panic=-1 quiet loglevel=4 ${VM_VERBOSE:+vmtest.verbose }${3:-}" \
			</dev/null 2>&1
		echo $? >"$2.status"
	} | sed -u 's/\r$//; s/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[c()][0-9A-B]\{0,1\}//g' | tee "$2" |
		grep --line-buffered -E '^(PASS|FAIL|CASE-(BEGIN|END)|VMTEST-|    )'
	return "$(cat "$2.status" 2>/dev/null || echo 1)"
}
