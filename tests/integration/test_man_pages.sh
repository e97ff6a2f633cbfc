#!/bin/sh
# The man pages (man/*.in, built into $BUILD/man/): lint-clean for mandoc and for man-db/groff,
# and complete: the options each binary's --help prints are exactly the options the OPTIONS
# section of its page describes (one .TP entry per option, read from man/*.in), and the keys
# in vtpm-rtmrd.conf(5) are exactly the daemon's options that take a value (but --config).
# When an option is added: give it a .TP entry in OPTIONS of man/vtpm-rtmrd.8.in or
# man/vtpm-rtmr.1.in (and, for the daemon, a key under CONFIGURATION FILE in
# man/vtpm-rtmrd.conf.5.in); this test names what is missing.
. tests/integration/lib.sh
t_init man_pages

for tool in mandoc man; do
	command -v $tool >/dev/null 2>&1 || fail "$tool not installed (make deps)"
done
check "make man" make -s man B="$BUILD"
PAGES="$BUILD/man/vtpm-rtmrd.8 $BUILD/man/vtpm-rtmr.1 $BUILD/man/vtpm-rtmrd.conf.5"

# lint_clean NAME COMMAND...: the command succeeds and prints nothing (stdout or stderr)
lint_clean() {
	lname=$1
	shift
	if "$@" >"$T_DIR/lint.out" 2>&1 && [ ! -s "$T_DIR/lint.out" ]; then
		pass "$lname"
	else
		fail "$lname"
		sed 's/^/    | /' "$T_DIR/lint.out" | head -20
	fi
}

for p in $PAGES; do
	check "$p built" test -s "$p"
	lint_clean "mandoc -T lint $p" mandoc -T lint "$p"
	# man-db with groff's warnings; the page's own text goes to /dev/null
	lint_clean "man --warnings $p" sh -c "LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 \
		-l '$p' 2>&1 >/dev/null"
	check "$p has no unsubstituted @VARIABLE@" sh -c "! grep -n '@[A-Z]*@' '$p'"
done

# section_tags SECTION: the tags of the .TP entries of SECTION in the man(7) source on stdin,
# as text (font macros and escapes removed); nested lists (.RS) count too, so one entry per
# option at any level is enough, but only in this section
section_tags() {
	awk -v sec="$1" '
		/^\.SH / { t = substr($0, 5); gsub(/"/, "", t); on = (t == sec); next }
		on && /^\.TP/ { tag = 1; next }
		on && tag { tag = 0; print }' |
		sed -e 's/^\.[A-Z]* //' -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/"//g'
}

# options: the -x and --long-name tokens of stdin, one per line, sorted and unique
options() {
	grep -oE '(^|[^a-zA-Z0-9-])--?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[^-]*//' | sort -u
}

# compare NAME HELP-LIST MAN-LIST
compare() {
	if cmp -s "$2" "$3"; then
		pass "$1: the same $(wc -l <"$2") options in --help and in the man page"
	else
		fail "$1: --help and the man page list different options"
		comm -23 "$2" "$3" | sed 's/^/    | in --help, not in the man page OPTIONS: /'
		comm -13 "$2" "$3" | sed 's/^/    | in the man page OPTIONS, not in --help: /'
	fi
}

for b in vtpm-rtmrd:8 vtpm-rtmr:1; do
	bin=${b%:*}
	sec=${b#*:}
	if "$BUILD/$bin" --help >"$T_DIR/$bin.help" 2>&1; then
		pass "$bin --help"
	else
		fail "$bin --help"
	fi
	# the usage block (up to the first empty line) and the lines that define options (first
	# word an option): descriptions may name other programs' options (tpm2_quote's -m)
	# (only the part before the description: two or more blanks)
	awk 'NR == 1, /^$/ { print; next } /^ *-/ { sub(/^ +/, ""); sub(/  .*/, ""); print }' \
		"$T_DIR/$bin.help" | options \
		>"$T_DIR/$bin.help.opts"
	section_tags OPTIONS <"man/$bin.$sec.in" | options >"$T_DIR/$bin.man.opts"
	check "$bin: --help lists options at all" test "$(wc -l <"$T_DIR/$bin.help.opts")" -ge 10
	compare "$bin" "$T_DIR/$bin.help.opts" "$T_DIR/$bin.man.opts"
done

# vtpm-rtmrd.conf(5): a key per daemon option that takes a value, --config excepted
grep -oE -- '^ *--[a-z0-9-]+ [A-Za-z]' "$T_DIR/vtpm-rtmrd.help" | sed 's/^ *--//; s/ .*//' |
	grep -vx config | sort -u >"$T_DIR/keys.help"
section_tags "CONFIGURATION FILE" <man/vtpm-rtmrd.conf.5.in |
	awk '{ print $1 }' | sort -u >"$T_DIR/keys.man"
check "the daemon has options with values" test "$(wc -l <"$T_DIR/keys.help")" -ge 10
if cmp -s "$T_DIR/keys.help" "$T_DIR/keys.man"; then
	pass "vtpm-rtmrd.conf(5) describes a key for each of the $(wc -l <"$T_DIR/keys.help") options"
else
	fail "vtpm-rtmrd.conf(5) keys differ from the daemon's options that take a value"
	comm -23 "$T_DIR/keys.help" "$T_DIR/keys.man" | sed 's/^/    | option, no key: /'
	comm -13 "$T_DIR/keys.help" "$T_DIR/keys.man" | sed 's/^/    | key, no option: /'
fi
t_done
