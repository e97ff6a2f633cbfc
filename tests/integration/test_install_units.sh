#!/bin/sh
# make install into a DESTDIR lays out binaries, man pages, units, the sysusers entry and docs;
# systemd-analyze verify accepts the unit, systemd-sysusers the user entry.
. tests/integration/lib.sh
t_init install_units

DEST="$T_DIR/root"
check "make install DESTDIR PREFIX=/usr" make -s install DESTDIR="$DEST" PREFIX=/usr B="$BUILD"
for f in usr/sbin/vtpm-rtmrd usr/bin/vtpm-rtmr usr/lib/systemd/system/vtpm-rtmrd.service \
	usr/lib/modules-load.d/vtpm-rtmr.conf usr/lib/tmpfiles.d/vtpm-rtmr.conf \
	usr/lib/sysusers.d/vtpm-rtmr.conf usr/share/man/man8/vtpm-rtmrd.8 \
	usr/share/man/man1/vtpm-rtmr.1 usr/share/man/man5/vtpm-rtmrd.conf.5 \
	usr/share/doc/vtpm-rtmr/README.md usr/share/doc/vtpm-rtmr/vtpm-rtmrd.conf.example; do
	check "installed $f" test -s "$DEST/$f"
done
check "unit runs the installed binary" grep -q "^ExecStart=/usr/sbin/vtpm-rtmrd " \
	"$DEST/usr/lib/systemd/system/vtpm-rtmrd.service"
check "unit is Type=notify" grep -q "^Type=notify" "$DEST/usr/lib/systemd/system/vtpm-rtmrd.service"
check "the man page names the installed example config" grep -q \
	"/usr/share/doc/vtpm-rtmr/vtpm-rtmrd.conf.example" "$DEST/usr/share/man/man8/vtpm-rtmrd.8"
check "the unit points to the man pages" grep -q "^Documentation=man:vtpm-rtmrd(8)" \
	"$DEST/usr/lib/systemd/system/vtpm-rtmrd.service"
mkdir -p "$T_DIR/sysroot/etc"
check "systemd-sysusers accepts the entry" systemd-sysusers --root="$T_DIR/sysroot" \
	"$DEST/usr/lib/sysusers.d/vtpm-rtmr.conf"
check "systemd-sysusers made the system user vtpm-rtmr" sh -c \
	"grep '^vtpm-rtmr:x:[0-9]*:[0-9]*:.*:/usr/sbin/nologin\$' '$T_DIR/sysroot/etc/passwd'"
check "modules-load entry names tpm_vtpm_proxy" grep -qx "tpm_vtpm_proxy" "$DEST/usr/lib/modules-load.d/vtpm-rtmr.conf"
# systemd-analyze verify resolves ExecStart on the real root: point it at the build
sed "s|^ExecStart=/usr/sbin/vtpm-rtmrd|ExecStart=$(pwd)/$BUILD/vtpm-rtmrd|" \
	"$DEST/usr/lib/systemd/system/vtpm-rtmrd.service" >"$T_DIR/vtpm-rtmrd.service"
# and it runs man for each Documentation=man:... page: the installed pages must answer
if MANPATH="$DEST/usr/share/man" systemd-analyze verify "$T_DIR/vtpm-rtmrd.service" >"$T_DIR/verify.out" 2>&1 &&
	! grep -v "tpm2.target\|Unit tpm2.target" "$T_DIR/verify.out" | grep -q "vtpm-rtmrd.service"; then
	pass "systemd-analyze verify accepts the unit"
else
	fail "systemd-analyze verify"
	sed 's/^/    | /' "$T_DIR/verify.out"
fi
t_done
