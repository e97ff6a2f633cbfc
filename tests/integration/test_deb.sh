#!/bin/sh
# The Debian package: `make deb` builds it with dpkg-buildpackage (debian/) without touching the
# source tree, lintian finds no error or warning (overrides carry a reason), and the package
# installs with dpkg into a throw-away root, where its postinst creates the system user and the
# runtime directory and enables (but does not start) the unit. Then the daemon and the tool
# run from the installed files: socket transport, sim registers, the example configuration and
# map; a tpm2_pcrextend is mirrored into the log and the logs verify. Last, the package is
# removed again.
#
# The maintainer scripts run without chroot (dpkg --force-script-chrootless, DPKG_ROOT set):
# systemd-sysusers and systemd-tmpfiles honour --root; deb-systemd-helper, deb-systemd-invoke
# and systemctl would act on this machine, so stand-ins first on PATH record their calls.
. tests/integration/lib.sh
t_init deb

for tool in dpkg-buildpackage dh lintian dpkg-parsechangelog tpm2_pcrextend systemd-sysusers; do
	command -v $tool >/dev/null 2>&1 || fail "$tool not installed (make deps)"
done
[ "$T_FAIL" -eq 0 ] || { t_done; exit 1; }

VERSION=$(dpkg-parsechangelog -S Version)
ARCH=$(dpkg --print-architecture)
DEB="$BUILD/deb/vtpm-rtmr_${VERSION}_$ARCH.deb"
PARENT=$(cd .. && pwd)
# (only this package's names: others work next to this tree too)
ls "$PARENT" | grep '^vtpm-rtmr[_-]' >"$T_DIR/parent.before"

if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make deb B="$BUILD" >"$T_DIR/deb.out" 2>&1; then
	pass "make deb"
else
	fail "make deb"
	tail -30 "$T_DIR/deb.out" | sed 's/^/    | /'
fi
check "the package is $DEB" test -s "$DEB"
check "the .changes is in $BUILD/deb" test -s "$BUILD/deb/vtpm-rtmr_${VERSION}_$ARCH.changes"
ls "$PARENT" | grep '^vtpm-rtmr[_-]' >"$T_DIR/parent.after"
check "nothing written next to the source tree" cmp "$T_DIR/parent.before" "$T_DIR/parent.after"
check "no build leftovers in debian/" sh -c 'for f in debian/files debian/.debhelper \
	debian/vtpm-rtmr debian/debhelper-build-stamp debian/vtpm-rtmr.substvars; do
	[ ! -e "$f" ] || { echo "$f"; exit 1; }; done'

# lintian: no error, no warning; every override says why (a comment right above it)
if lintian --fail-on error,warning "$BUILD/deb/vtpm-rtmr_${VERSION}_$ARCH.changes" \
	>"$T_DIR/lintian.out" 2>&1; then
	pass "lintian: no errors or warnings"
else
	fail "lintian"
	sed 's/^/    | /' "$T_DIR/lintian.out"
fi
for o in debian/*lintian-overrides debian/source/lintian-overrides; do
	[ -e "$o" ] || continue
	check "$o: a reason above every override" awk '
		/^[ \t]*$/ { prev = ""; next }
		/^#/ { prev = "#"; next }
		prev != "#" { print FILENAME ":" NR ": override without a reason: " $0; bad = 1 }
		{ prev = "" }
		END { exit bad }' "$o"
done

check "Depends from shlibs and misc" sh -c "dpkg-deb -f '$DEB' Depends |
	grep -q 'libtpms0' && dpkg-deb -f '$DEB' Depends | grep -q 'systemd-sysusers'"

# install with dpkg into a throw-away root
R="$T_DIR/root"
STUBS="$T_DIR/stubs"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers" \
	"$R/etc" "$STUBS"
touch "$R/var/lib/dpkg/status" "$R/var/lib/dpkg/available"
for c in deb-systemd-helper deb-systemd-invoke systemctl; do
	printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$c" "$T_DIR/calls.log" >"$STUBS/$c"
	chmod +x "$STUBS/$c"
done
: >"$T_DIR/calls.log"
# --force-depends: the root's dpkg database is empty; the libraries come from this machine
dpkg_root() {
	PATH="$STUBS:$PATH" dpkg --root="$R" --log=/dev/null --force-not-root --force-depends \
		--force-script-chrootless "$@"
}
check "dpkg --root -i" dpkg_root -i "$DEB"
check "dpkg sees it installed" sh -c "dpkg --root='$R' -s vtpm-rtmr | grep -qx 'Status: install ok installed'"
for f in usr/sbin/vtpm-rtmrd usr/bin/vtpm-rtmr lib/systemd/system/vtpm-rtmrd.service \
	usr/lib/modules-load.d/vtpm-rtmr.conf usr/lib/tmpfiles.d/vtpm-rtmr.conf \
	usr/lib/sysusers.d/vtpm-rtmr.conf usr/share/man/man8/vtpm-rtmrd.8.gz \
	usr/share/man/man1/vtpm-rtmr.1.gz usr/share/man/man5/vtpm-rtmrd.conf.5.gz \
	usr/share/doc/vtpm-rtmr/README.Debian usr/share/doc/vtpm-rtmr/copyright \
	usr/share/doc/vtpm-rtmr/vtpm-rtmrd.conf.example usr/share/doc/vtpm-rtmr/map.conf.example; do
	check "installed /$f" test -s "$R/$f"
done
check "postinst made the system user vtpm-rtmr" grep -q '^vtpm-rtmr:x:' "$R/etc/passwd"
check "postinst made /run/vtpm-rtmr" test -d "$R/run/vtpm-rtmr"
check "postinst enabled the unit" grep -qx "deb-systemd-helper enable vtpm-rtmrd.service" \
	"$T_DIR/calls.log"
check_fails "postinst started nothing" grep -E "deb-systemd-invoke|systemctl .*start" \
	"$T_DIR/calls.log"
check "the unit runs /usr/sbin/vtpm-rtmrd" grep -q "^ExecStart=/usr/sbin/vtpm-rtmrd " \
	"$R/lib/systemd/system/vtpm-rtmrd.service"
check "the installed man page renders" sh -c "MANPATH='$R/usr/share/man' man -P cat \
	vtpm-rtmrd.conf 2>/dev/null | grep -q 'MAP FILE'"
check_eq "the daemon's version is the package's" "vtpm-rtmrd $VERSION" \
	"$("$R/usr/sbin/vtpm-rtmrd" --version 2>&1)"

# the daemon and the tool from the installed files
DAEMON="$R/usr/sbin/vtpm-rtmrd"
EX="$R/usr/share/doc/vtpm-rtmr"
RT="$T_DIR/run"
P=$(free_port_pair)
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$P"
D8=$(printf 'installed package' | sha256sum | cut -c1-64)
D16=$(printf 'pcr 16' | sha256sum | cut -c1-64)
if start_daemon "$T_DIR/daemon.log" --transport socket --port "$P" --rtmr-backend sim \
	--runtime-dir "$RT" --config "$EX/vtpm-rtmrd.conf.example" --map "$EX/map.conf.example"; then
	pass "the installed daemon serves (example config and map)"
	check "tpm2_pcrextend 8" tpm2_pcrextend "8:sha256=$D8"
	check "tpm2_pcrextend 16" tpm2_pcrextend "16:sha256=$D16"
	check "rtmr2.log has the extend of PCR 8" grep -qx "vtpm extend 8 sha256/$D8" "$RT/rtmr2.log"
	check "rtmr3.log has PCR 16 (the example map)" grep -qx "vtpm extend 16 sha256/$D16" \
		"$RT/rtmr3.log"
	check "the installed tool verifies the logs" "$R/usr/bin/vtpm-rtmr" --runtime-dir "$RT" \
		--rtmr-backend sim log verify
	check "SIGTERM: exit 0" stop_daemon
else
	fail "the installed daemon did not start"
fi

check "dpkg --root -r" dpkg_root -r vtpm-rtmr
check "removed: the daemon is gone" test ! -e "$R/usr/sbin/vtpm-rtmrd"
t_done
