#!/bin/sh
# The README's first command, `make deps demo`, works in one call on a machine that has none of
# the packages yet (issue #16: the Makefile asked pkg-config while it was parsed, before deps
# had installed anything, and the link failed). No fresh machine is needed: in a clean copy of
# the source tree, stand-ins first on PATH make the packages look absent until install-deps.sh
# has run `apt-get install`:
#   dpkg-query   says "not installed" (so install-deps.sh takes its install path);
#   apt-get      records its arguments; "install" waits 2 s, then marks the packages
#                installed (a stamp file);
#   sudo         runs its command (for a run as an ordinary user);
#   pkg-config   knows no package before the stamp, and logs every such question; after it,
#                the real pkg-config answers.
# Then the demo must show the mirrored extend, and pkg-config must never have been asked
# before the install. Run once as the README says and once with -j2.
. tests/integration/lib.sh
t_init first_command

REAL_PKG_CONFIG=$(command -v pkg-config) || { fail "pkg-config not installed (make deps)"; t_done; exit 1; }
REAL_DPKG_QUERY=$(command -v dpkg-query) || { fail "dpkg-query not found"; t_done; exit 1; }
FAKE="$T_DIR/fakebin"
STAMP="$T_DIR/packages-installed"
mkdir -p "$FAKE"

cat >"$FAKE/pkg-config" <<EOF
#!/bin/sh
if [ -e "$STAMP" ]; then
	exec "$REAL_PKG_CONFIG" "\$@"
fi
echo "pkg-config \$*" >>"$T_DIR/pkg-config-before-install.log"
echo "fake pkg-config: no package is installed yet" >&2
exit 1
EOF
cat >"$FAKE/dpkg-query" <<EOF
#!/bin/sh
if [ -e "$STAMP" ]; then
	exec "$REAL_DPKG_QUERY" "\$@"
fi
exit 1
EOF
cat >"$FAKE/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$T_DIR/apt-get.log"
for a in "\$@"; do
	# an install takes a while: long enough for a -j build that does not wait to fail
	[ "\$a" = install ] && sleep 2 && touch "$STAMP"
done
exit 0
EOF
cat >"$FAKE/sudo" <<'EOF'
#!/bin/sh
exec "$@"
EOF
chmod +x "$FAKE"/*

# A clean copy of the tree: what a clone holds (no build output, whatever BUILD is).
SRC="$T_DIR/src"
mkdir -p "$SRC"
tar -cf - --exclude=./.git --exclude=./build --exclude='./build-*' --exclude="./$BUILD" \
	--exclude=__pycache__ . | tar -xf - -C "$SRC"
check "the copy has no build output" test ! -e "$SRC/build"

DIGEST=$(printf 'hello, RTMR' | sha256sum | cut -c1-64)

# first_command RUN MAKE-ARGS...: a fresh "machine" (no stamp, no build) and the command.
first_command() {
	run=$1
	shift
	rm -f "$STAMP" "$T_DIR/pkg-config-before-install.log" "$T_DIR/apt-get.log"
	rm -rf "$SRC/build"
	port=$(free_port_pair)
	out="$T_DIR/$run.out"
	if (cd "$SRC" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL PATH="$FAKE:$PATH" \
		DEMO_PORT="$port" DEMO_RUNTIME_DIR="$T_DIR/demo-$run" make "$@") >"$out" 2>&1; then
		pass "$run: make $* succeeded"
	else
		fail "$run: make $* failed"
		tail -25 "$out" | sed 's/^/    | /'
	fi
	check "$run: install-deps.sh ran apt-get install for the libraries" \
		grep -q "^apt-get .*install .*libtpms-dev" "$T_DIR/apt-get.log"
	if [ -s "$T_DIR/pkg-config-before-install.log" ]; then
		fail "$run: pkg-config was asked before the packages were installed:"
		sed 's/^/    | /' "$T_DIR/pkg-config-before-install.log"
	else
		pass "$run: pkg-config was asked nothing before the install"
	fi
	check "$run: the demo log shows the mirrored extend of PCR 8" \
		grep -qx "vtpm extend 8 sha256/$DIGEST" "$out"
	check "$run: the demo's log verify replays RTMR2" grep -q "^rtmr2: OK" "$out"
	check "$run: the demo finished" grep -q "^demo: the PCR extend was mirrored" "$out"
}

first_command serial deps demo
first_command parallel -j2 deps demo
t_done
