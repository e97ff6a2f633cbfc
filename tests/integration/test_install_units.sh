#!/bin/sh
# make install into a DESTDIR lays out binaries, units and docs; systemd-analyze verify
# accepts the unit.
. tests/integration/lib.sh
t_init install_units

DEST="$T_DIR/root"
check "make install DESTDIR PREFIX=/usr" make -s install DESTDIR="$DEST" PREFIX=/usr B="$BUILD"
for f in usr/sbin/vtpm-rtmrd usr/bin/vtpm-rtmr usr/lib/systemd/system/vtpm-rtmrd.service \
	usr/lib/modules-load.d/vtpm-rtmr.conf usr/lib/tmpfiles.d/vtpm-rtmr.conf \
	usr/share/doc/vtpm-rtmr/README.md usr/share/doc/vtpm-rtmr/vtpm-rtmrd.conf.example; do
	check "installed $f" test -s "$DEST/$f"
done
check "unit runs the installed binary" grep -q "^ExecStart=/usr/sbin/vtpm-rtmrd " \
	"$DEST/usr/lib/systemd/system/vtpm-rtmrd.service"
check "unit is Type=notify" grep -q "^Type=notify" "$DEST/usr/lib/systemd/system/vtpm-rtmrd.service"
check "modules-load entry names tpm_vtpm_proxy" grep -qx "tpm_vtpm_proxy" "$DEST/usr/lib/modules-load.d/vtpm-rtmr.conf"
# systemd-analyze verify resolves ExecStart on the real root: point it at the build
sed "s|^ExecStart=/usr/sbin/vtpm-rtmrd|ExecStart=$(pwd)/$BUILD/vtpm-rtmrd|" \
	"$DEST/usr/lib/systemd/system/vtpm-rtmrd.service" >"$T_DIR/vtpm-rtmrd.service"
if systemd-analyze verify "$T_DIR/vtpm-rtmrd.service" >"$T_DIR/verify.out" 2>&1 &&
	! grep -v "tpm2.target\|Unit tpm2.target" "$T_DIR/verify.out" | grep -q "vtpm-rtmrd.service"; then
	pass "systemd-analyze verify accepts the unit"
else
	fail "systemd-analyze verify"
	sed 's/^/    | /' "$T_DIR/verify.out"
fi
t_done
