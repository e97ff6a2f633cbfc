#!/bin/sh
# File safety (DESIGN.md): what a local user can plant in or around the directories the
# daemon writes as root must not make it write anywhere else. Each planted file below would
# have been followed before (an event log truncated or appended to, a state directory or sim
# register elsewhere); now the start is refused with a message naming the file and the fix,
# and the target is untouched. A directory writable by others, or owned by someone else, is
# refused; files get their modes whatever the umask; `vtpm-rtmr` reads the logs the same way.
. tests/integration/lib.sh
t_init file_safety
export LC_ALL=C

COMMON="--rtmr-backend sim --quote-provider sim --ima-bridge off --ek-type ecc-p256"
TARGET=$T_DIR/precious
printf 'precious contents\n' >"$TARGET"
TARGET_SUM=$(sha256sum "$TARGET")

untouched() {
	[ "$(sha256sum "$TARGET")" = "$TARGET_SUM" ] && [ ! -e "$TARGET.tmp" ]
}

# refused NAME RUNTIME_DIR PATTERN [ARGS...]: the daemon does not start, says PATTERN, and
# TARGET is as it was
refused() {
	name=$1 rt=$2 pattern=$3
	shift 3
	port=$(free_port_pair)
	# shellcheck disable=SC2086
	if timeout -k 5 20 "$DAEMON" --port "$port" --runtime-dir "$rt" $COMMON "$@" \
		>"$T_DIR/refused.log" 2>&1; then
		fail "$name: the daemon started (and stopped) instead of refusing"
	elif ! grep -q "$pattern" "$T_DIR/refused.log"; then
		fail "$name: refused, but without saying '$pattern':"
		sed 's/^/    | /' "$T_DIR/refused.log" | tail -5
	else
		pass "$name: refused ($(grep -o "$pattern.*" "$T_DIR/refused.log" | head -1 |
			cut -c1-60)...)"
	fi
	check "$name: the target is untouched" untouched
}

# fresh NAME: an empty runtime directory of ours, 0755
fresh() {
	rm -rf "${T_DIR:?}/$1"
	mkdir -m 0755 "$T_DIR/$1"
	echo "$T_DIR/$1"
}

# --- planted symbolic links ---------------------------------------------------------------
RT=$(fresh run-log)
ln -s "$TARGET" "$RT/rtmr2.log"
refused "event log rtmr2.log -> elsewhere" "$RT" "is a symbolic link"

RT=$(fresh run-state)
mkdir "$T_DIR/elsewhere"
ln -s "$T_DIR/elsewhere" "$RT/state"
refused "state directory -> elsewhere" "$RT" "state directory .* is a symbolic link"
check_eq "state directory -> elsewhere: nothing was written there" "" "$(ls -A "$T_DIR/elsewhere")"
check_fails "--state-dir naming a symbolic link is refused too" \
	timeout 20 "$DAEMON" --port "$(free_port_pair)" --runtime-dir "$(fresh run-state2)" \
	$COMMON --state-dir "$RT/state"
check "and says so" grep -q "is a symbolic link" "$T_DIR/last.out"

RT=$(fresh run-reg)
mkdir -m 0700 "$RT/sim"
ln -s "$TARGET" "$RT/sim/rtmr0:sha384"
refused "sim register rtmr0:sha384 -> elsewhere" "$RT" "sim register .* is a symbolic link"

RT=$(fresh run-simdir)
ln -s "$T_DIR/elsewhere" "$RT/sim"
refused "sim register directory -> elsewhere" "$RT" "sim register directory .* symbolic link"

RT=$(fresh run-fifo)
mkfifo "$RT/rtmr0.log"
refused "event log that is a FIFO (no hang)" "$RT" "is not a regular file"

if [ "$(id -u)" = 0 ]; then
	RT=$(fresh run-hardlink)
	ln "$TARGET" "$RT/rtmr1.log"
	refused "event log hard-linked to another file" "$RT" "several hard links"
fi

# The files the daemon replaces (tcti, quote-provider) are renamed over a planted link,
# never written through it.
RT=$(fresh run-tcti)
ln -s "$TARGET" "$RT/tcti"
ln -s "$TARGET" "$RT/quote-provider"
PORT=$(free_port_pair)
# shellcheck disable=SC2086
if start_daemon "$T_DIR/tcti.log" --port "$PORT" --runtime-dir "$RT" $COMMON; then
	check "tcti and quote-provider links: the target is untouched" untouched
	check "tcti is now a regular file naming the port" \
		sh -c "[ -f '$RT/tcti' ] && [ ! -L '$RT/tcti' ] && grep -q 'port=$PORT' '$RT/tcti'"
	check "quote-provider is a regular file" sh -c "[ -f '$RT/quote-provider' ] &&
		[ ! -L '$RT/quote-provider' ]"
	stop_daemon >/dev/null
else
	fail "daemon start with planted tcti and quote-provider links"
fi

# --- directories --------------------------------------------------------------------------
RT=$(fresh run-0777)
chmod 0777 "$RT"
refused "a 0777 runtime directory" "$RT" "writable by group or others (mode 0777).*chmod go-w"
check_eq "a 0777 runtime directory: nothing was made in it" "" "$(ls -A "$RT")"

RT=$(fresh run-0775-state)
mkdir -m 0775 "$RT/state"
refused "a group-writable state directory" "$RT" "state directory .* writable by group"

if [ "$(id -u)" = 0 ]; then
	NOBODY=$(id -u nobody)
	RT=$(fresh run-nobody)
	chown nobody "$RT"
	refused "a runtime directory owned by another user" "$RT" "is owned by uid $NOBODY"

	mkdir -m 0755 "$T_DIR/theirs"
	chown nobody "$T_DIR/theirs"
	refused "a runtime directory inside another user's directory" "$T_DIR/theirs/run" \
		"on the way to the runtime directory) is owned by uid $NOBODY"
	check_eq "nothing was made inside the other user's directory" "" \
		"$(ls -A "$T_DIR/theirs")"
else
	echo "NOTE: $T_NAME: not root: the checks with another user's directories did not run"
fi

# A world-writable ancestor with the sticky bit (as /tmp) is fine.
mkdir -m 1777 "$T_DIR/sticky"
PORT=$(free_port_pair)
# shellcheck disable=SC2086
check "a runtime directory below a sticky world-writable directory (as /tmp) is accepted" \
	start_daemon "$T_DIR/sticky.log" --port "$PORT" --runtime-dir "$T_DIR/sticky/run" $COMMON
stop_daemon >/dev/null

# --- modes whatever the umask -------------------------------------------------------------
for mask in 000 077; do
	RT=$T_DIR/umask-$mask
	PORT=$(free_port_pair)
	(
		umask $mask
		# shellcheck disable=SC2086
		exec "$DAEMON" --port "$PORT" --runtime-dir "$RT" $COMMON
	) >"$T_DIR/umask.log" 2>&1 &
	DAEMON_PID=$!
	T_PIDS="$T_PIDS $DAEMON_PID"
	i=0
	while ! grep -q serving "$T_DIR/umask.log" && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	modes=$(cd "$RT" && stat -c '%n %a' . rtmr0.log tcti ek.tpmt state sim \
		sim/rtmr0:sha384 state/tpm2-permall.state | tr '\n' ' ')
	check_eq "umask $mask: the modes are explicit" \
		". 755 rtmr0.log 644 tcti 644 ek.tpmt 644 state 700 sim 700 sim/rtmr0:sha384 600 \
state/tpm2-permall.state 600 " "$modes"
	stop_daemon >/dev/null
done

# --- the tool reads the same way ----------------------------------------------------------
RT=$T_DIR/umask-000
check "vtpm-rtmr log verify reads a safe runtime directory" \
	"$TOOL" --runtime-dir "$RT" --rtmr-backend sim log verify
chmod 0777 "$RT"
check_fails "vtpm-rtmr refuses to read logs from a 0777 runtime directory" \
	"$TOOL" --runtime-dir "$RT" log show
check "and says why" grep -q "writable by group or others" "$T_DIR/last.out"
chmod 0755 "$RT"
mv "$RT/rtmr2.log" "$T_DIR/rtmr2.log.real"
ln -s "$T_DIR/rtmr2.log.real" "$RT/rtmr2.log"
check_fails "vtpm-rtmr refuses a log that is a symbolic link" "$TOOL" --runtime-dir "$RT" log show
check "and says so" grep -q "rtmr2.log: is a symbolic link" "$T_DIR/last.out"
check "a log named on the command line is read as named" \
	"$TOOL" log show "$T_DIR/rtmr2.log.real"

t_reliability file-safety "File safety" <<'EOF'
File safety: what a local user can plant in or around the directories the daemon writes as root
(DESIGN.md, "File safety"; vtpm-rtmrd(8), "File safety"). Each planted file was followed before
the fix (an event log truncated or appended to, the state directory or a sim register
elsewhere, a FIFO that hung the start for ever); now the start is refused naming the file, and
the target is untouched.
EOF
t_done
