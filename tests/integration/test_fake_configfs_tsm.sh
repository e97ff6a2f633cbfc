#!/bin/sh
# Host test of tests/tools/fake_configfs_tsm, the FUSE emulation of the configfs-tsm report
# interface (/sys/kernel/config/tsm/report) with a TDX provider backed by the sim CA, and of
# the configfs-tsm quote provider (src/attest/quote_provider.c) against it, through the
# emulator's --client mode.
#
# v4 quote offsets: RTMR0 at 48 + 328 = 376 (48 bytes each), REPORTDATA at 48 + 520 = 568.
# inblob is a configfs binary attribute: what one open file wrote is committed on close and
# bumps generation; TDX wants exactly 64 bytes (checked when outblob is read).
#
# Environment: BUILD (default build), FAKE_CONFIGFS_TSM (default
# $BUILD/tests/tools/fake_configfs_tsm). Needs /dev/fuse and fusermount3: without them the
# test fails (it does not skip).
# Output: one "PASS: ..." / "FAIL: ..." line per case, then "N passed, N failed".
. tests/integration/lib.sh
t_init fake_configfs_tsm
export LC_ALL=C

FAKE=${FAKE_CONFIGFS_TSM:-$BUILD/tests/tools/fake_configfs_tsm}
MNT="$T_DIR/report"
SIM="$T_DIR/sim"
MOUNTS=""
FAKE_PIDS=""

unmount_fakes() {
	for p in $FAKE_PIDS; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	for m in $MOUNTS; do
		mountpoint -q "$m" 2>/dev/null && fusermount3 -u "$m" 2>/dev/null
	done
	return 0
}
T_CLEANUP_HOOK=unmount_fakes

# abort MESSAGE: a failure the rest cannot run without.
abort() {
	fail "$1"
	t_done
	exit 1
}

# start NAME MOUNTPOINT ARGS...: start an emulator, wait for "ready"; sets STARTED_PID.
start() {
	name=$1
	mnt=$2
	shift 2
	mkdir -p "$mnt"
	"$FAKE" --verbose "$@" "$mnt" >"$T_DIR/$name.out" 2>"$T_DIR/$name.err" &
	STARTED_PID=$!
	FAKE_PIDS="$FAKE_PIDS $STARTED_PID"
	MOUNTS="$MOUNTS $mnt"
	i=0
	while [ $i -lt 100 ]; do
		grep -qx ready "$T_DIR/$name.out" 2>/dev/null && return 0
		kill -0 "$STARTED_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	sed 's/^/    | /' "$T_DIR/$name.err"
	return 1
}

# stop PID MOUNTPOINT: SIGTERM; true if it exits 0 and the mount is gone.
stop() {
	kill -TERM "$1" 2>/dev/null || return 1
	rc=0
	wait "$1" || rc=$?
	FAKE_PIDS=$(echo "$FAKE_PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
	[ "$rc" -eq 0 ] && ! mountpoint -q "$2"
}

# hexdump FILE [OFFSET LENGTH]: lowercase hex of the whole file or of a slice.
hexdump() {
	if [ $# -eq 3 ]; then
		od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'
	else
		od -An -v -tx1 "$1" | tr -d ' \n'
	fi
}

# slice_is FILE OFFSET LENGTH REF: FILE[OFFSET, OFFSET+LENGTH) equals REF's bytes.
slice_is() {
	[ "$(hexdump "$1" "$2" "$3")" = "$(hexdump "$4")" ] && [ -n "$(hexdump "$4")" ]
}

# quote_of FILE INBLOB: a v4 TDX quote with INBLOB as REPORTDATA and the current RTMR files.
quote_of() {
	[ "$(hexdump "$1" 0 2)" = "0400" ] && [ "$(hexdump "$1" 4 4)" = "81000000" ] &&
		slice_is "$1" 568 64 "$2" &&
		slice_is "$1" 376 48 "$SIM/rtmr0:sha384" &&
		slice_is "$1" 424 48 "$SIM/rtmr1:sha384" &&
		slice_is "$1" 472 48 "$SIM/rtmr2:sha384" &&
		slice_is "$1" 520 48 "$SIM/rtmr3:sha384"
}

# write_blob FILE DATA: DATA in one write() (dd), conv=notrunc.
write_blob() {
	size=$(stat -c %s "$2")
	dd if="$2" of="$1" bs="$size" count=1 conv=notrunc status=none
}

# fails_with TEXT COMMAND...: the command fails and its stderr says TEXT.
fails_with() {
	text=$1
	shift
	if "$@" >/dev/null 2>"$T_DIR/fails.err"; then
		echo "succeeded unexpectedly"
		return 1
	fi
	grep -q "$text" "$T_DIR/fails.err" || { cat "$T_DIR/fails.err"; return 1; }
}

gen() {
	cat "$1/generation"
}

ctl() {
	sed -n "s/^$2=//p" "$1/.control"
}

# client KIND OUT REPORT_DATA_FILE [ARGS...]: quote_get() through the emulator's client mode.
client() {
	c_kind=$1
	c_out=$2
	c_rd=$(hexdump "$3")
	shift 3
	"$FAKE" --client "$c_kind" --report-data "$c_rd" --out "$c_out" "$@"
}

[ -x "$FAKE" ] || abort "$FAKE is built (make $FAKE)"
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null 2>&1; then
	abort "/dev/fuse and fusermount3 are available (this test needs FUSE)"
fi

mkdir -p "$SIM"
for i in 0 1 2 3; do
	printf 'vtpm-rtmr fake_configfs_tsm rtmr %s' "$i" | openssl dgst -sha384 -binary \
		>"$SIM/rtmr$i:sha384"
done
printf 'report data one' | openssl dgst -sha512 -binary >"$T_DIR/rd1"
printf 'report data two' | openssl dgst -sha512 -binary >"$T_DIR/rd2"
head -c 10 "$T_DIR/rd1" >"$T_DIR/rd10"
cat "$T_DIR/rd1" "$T_DIR/rd2" | head -c 65 >"$T_DIR/rd65"

start main "$MNT" --sim-dir "$SIM" || abort "fake_configfs_tsm starts and prints ready"
pass "fake_configfs_tsm starts and prints ready"
MAIN_PID=$STARTED_PID
check "the sim CA was created in --sim-dir" test -s "$SIM/root-ca.pem"

# --- layout ---------------------------------------------------------------------------------
check_eq "root holds only .control" ".control" "$(ls -A "$MNT" | tr '\n' ' ' | sed 's/ $//')"
E="$MNT/entry1"
check "mkdir creates an entry" mkdir "$E"
check_eq "an entry has auxblob generation inblob outblob provider" \
	"auxblob generation inblob outblob provider" "$(ls "$E" | tr '\n' ' ' | sed 's/ $//')"
modes() {
	for f in auxblob generation inblob outblob provider; do
		printf '%s=%s ' "$f" "$(stat -c %a "$E/$f")"
	done
}
check_eq "attribute modes (inblob write-only)" \
	"auxblob=444 generation=444 inblob=200 outblob=444 provider=444 " "$(modes)"
check_eq "provider reads tdx_guest" "tdx_guest" "$(cat "$E/provider")"
check_eq "generation starts at 0" "0" "$(gen "$E")"
check_eq "auxblob is empty" "0" "$(wc -c <"$E/auxblob")"
check "outblob before any inblob write: EINVAL" fails_with "Invalid argument" cat "$E/outblob"

# --- a quote --------------------------------------------------------------------------------
check "64-byte inblob write" write_blob "$E/inblob" "$T_DIR/rd1"
check_eq "the write bumped generation to 1" "1" "$(gen "$E")"
cat "$E/outblob" >"$T_DIR/q1" 2>"$T_DIR/q1.err"
check "outblob is a v4 quote: REPORTDATA (568..631) = inblob, RTMR0..3 (376..567) = files" \
	quote_of "$T_DIR/q1" "$T_DIR/rd1"
check "outblob is several KB" test "$(stat -c %s "$T_DIR/q1")" -gt 1024
cat "$E/outblob" >"$T_DIR/q1b"
check "a second read returns the cached quote (same signature)" cmp -s "$T_DIR/q1" "$T_DIR/q1b"
check_eq "reading outblob does not bump generation" "1" "$(gen "$E")"
check_eq "one quote made so far" "1" "$(ctl "$MNT" quotes)"

sliced() {
	dd if="$E/outblob" bs=100 status=none >"$T_DIR/q1c" && cmp -s "$T_DIR/q1" "$T_DIR/q1c"
}
check "outblob read in 100-byte pieces gives the same bytes" sliced

cp "$SIM/rtmr0:sha384" "$T_DIR/rtmr0.old"
printf 'changed' | openssl dgst -sha384 -binary >"$SIM/rtmr0:sha384"
check "shell redirection to inblob (O_TRUNC) works" sh -c 'cat "$1" >"$2"' sh "$T_DIR/rd2" \
	"$E/inblob"
check_eq "generation 2" "2" "$(gen "$E")"
cat "$E/outblob" >"$T_DIR/q2"
check "a new inblob makes a new quote over the RTMR values read then" \
	quote_of "$T_DIR/q2" "$T_DIR/rd2"

two_writes() {
	dd if="$T_DIR/rd1" of="$E/inblob" bs=32 count=2 conv=notrunc status=none &&
		[ "$(gen "$E")" = 3 ] && cat "$E/outblob" >"$T_DIR/q3" &&
		quote_of "$T_DIR/q3" "$T_DIR/rd1"
}
check "two 32-byte writes through one open file: one commit, 64 bytes of REPORTDATA" two_writes

# --- rejected input ------------------------------------------------------------------------
check "a 10-byte inblob write is accepted (configfs)" write_blob "$E/inblob" "$T_DIR/rd10"
check_eq "and bumps generation" "4" "$(gen "$E")"
check "outblob after a short inblob: EINVAL (TDX needs exactly 64 bytes)" \
	fails_with "Invalid argument" cat "$E/outblob"
check "a 65-byte inblob write: EFBIG" fails_with "File too large" \
	write_blob "$E/inblob" "$T_DIR/rd65"
check "inblob is not readable: EACCES" fails_with "Permission denied" cat "$E/inblob"
check "outblob is not writable: EACCES" fails_with "Permission denied" \
	write_blob "$E/outblob" "$T_DIR/rd1"
check "generation is not writable" fails_with "Permission denied" \
	sh -c 'echo 7 >"$1/generation"' sh "$E"
refused() {
	! touch "$E/new" 2>/dev/null && ! touch "$MNT/new" 2>/dev/null &&
		! mkdir "$E/sub" 2>/dev/null && ! rm -f "$E/inblob" 2>/dev/null &&
		! mv "$E/outblob" "$E/moved" 2>/dev/null && ! mkdir "$MNT/.control" 2>/dev/null &&
		[ -e "$E/inblob" ] && [ -e "$E/outblob" ]
}
check "create, mkdir in an entry, unlink, rename are refused" refused

# --- fault injection -----------------------------------------------------------------------
check "inblob write" write_blob "$E/inblob" "$T_DIR/rd1"
echo "fail-next-outblob EIO" >"$MNT/.control"
check_eq ".control shows the armed fault" "EIO" "$(ctl "$MNT" fail_next_outblob)"
check "fail-next-outblob EIO: the next outblob read fails with EIO" \
	fails_with "Input/output error" cat "$E/outblob"
cat "$E/outblob" >"$T_DIR/q4" 2>/dev/null
check "the read after it succeeds" quote_of "$T_DIR/q4" "$T_DIR/rd1"
check_eq ".control counts the injection and disarms" "1 none" \
	"$(ctl "$MNT" injected) $(ctl "$MNT" fail_next_outblob)"

G=$(gen "$E")
echo race-next >"$MNT/.control"
cat "$E/outblob" >"$T_DIR/q5"
check_eq "race-next: generation bumps during the outblob read" "$((G + 1))" "$(gen "$E")"
python3 -c 'import sys; d = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(bytes(b ^ 0xff for b in d))' "$T_DIR/rd1" >"$T_DIR/rd1.inv"
check "race-next: that quote is over the racer's inblob (the complement)" \
	slice_is "$T_DIR/q5" 568 64 "$T_DIR/rd1.inv"
bad_control() {
	! echo "fail-next-outblob EWHAT" >"$MNT/.control" 2>/dev/null &&
		! echo "race-next now" >"$MNT/.control" 2>/dev/null &&
		! echo "frobnicate" >"$MNT/.control" 2>/dev/null &&
		[ "$(ctl "$MNT" fail_next_outblob) $(ctl "$MNT" race_next)" = "none 0" ]
}
check "malformed .control commands are refused with no effect" bad_control

# --- rmdir ---------------------------------------------------------------------------------
check "rmdir removes an entry with its attributes" rmdir "$E"
check "the entry is gone" test ! -e "$E"
check "rmdir of a missing entry fails" fails_with "No such file" rmdir "$E"
check "rmdir of the root's .control: ENOTDIR" fails_with "Not a directory" rmdir "$MNT/.control"

# --- the configfs-tsm quote provider against the emulation ---------------------------------
no_entries() {
	[ "$(ls -A "$MNT")" = ".control" ]
}
if client configfs-tsm "$T_DIR/c1" "$T_DIR/rd2" --configfs-dir "$MNT" >"$T_DIR/c1.out" \
	2>"$T_DIR/c1.err"; then
	pass "quote_get configfs-tsm succeeds"
else
	fail "quote_get configfs-tsm succeeds: $(cat "$T_DIR/c1.err")"
fi
check "quote_get: the quote is over the report data and the RTMRs" quote_of "$T_DIR/c1" "$T_DIR/rd2"
check "quote_get: provider is tdx_guest" grep -qx provider=tdx_guest "$T_DIR/c1.out"
check "quote_get: its entry is removed" no_entries
check "quote_get: a fresh entry vtpm-rtmr.<pid>.<n> was made" \
	grep -q "mkdir vtpm-rtmr\.[0-9]*\.[0-9]*$" "$T_DIR/main.err"

echo race-next >"$MNT/.control"
R=$(ctl "$MNT" races)
client configfs-tsm "$T_DIR/c2" "$T_DIR/rd1" --configfs-dir "$MNT" >/dev/null 2>"$T_DIR/c2.err"
check "quote_get retries after a generation race and returns its own quote" \
	quote_of "$T_DIR/c2" "$T_DIR/rd1"
check_eq "the race did happen" "$((R + 1))" "$(ctl "$MNT" races)"
check "no entry left after the retry" no_entries

echo "fail-next-outblob EIO" >"$MNT/.control"
check "quote_get: an outblob EIO is reported with strerror" \
	fails_with "outblob: Input/output error" \
	client configfs-tsm "$T_DIR/c3" "$T_DIR/rd1" --configfs-dir "$MNT"
check "no entry left after the failure" no_entries

echo "fail-next-outblob ENXIO" >"$MNT/.control"
check "quote_get: outblob ENXIO means no TSM provider" \
	fails_with "no TSM provider is registered (load tdx_guest)" \
	client configfs-tsm "$T_DIR/c3" "$T_DIR/rd1" --configfs-dir "$MNT"
check "no entry left after ENXIO" no_entries

if client auto "$T_DIR/c4" "$T_DIR/rd1" --configfs-dir "$MNT" >"$T_DIR/c4.out" \
	2>"$T_DIR/c4.err"; then
	pass "quote_get auto uses configfs-tsm when the directory exists"
else
	fail "quote_get auto uses configfs-tsm when the directory exists: $(cat "$T_DIR/c4.err")"
fi
check "quote_get auto: provider tdx_guest" grep -qx provider=tdx_guest "$T_DIR/c4.out"
check "quote_get auto without the directory: error naming sim" fails_with "sim" \
	client auto "$T_DIR/c5" "$T_DIR/rd1" --configfs-dir "$T_DIR/none/tsm/report"

RT="$T_DIR/run"
mkdir -p "$RT"
cp -a "$SIM" "$RT/sim"
if client sim "$T_DIR/c6" "$T_DIR/rd2" --runtime-dir "$RT" >"$T_DIR/c6.out" \
	2>"$T_DIR/c6.err"; then
	pass "quote_get sim succeeds"
else
	fail "quote_get sim succeeds: $(cat "$T_DIR/c6.err")"
fi
check "quote_get sim: provider sim" grep -qx provider=sim "$T_DIR/c6.out"
check "quote_get sim: the quote is over the report data and the sim RTMRs" \
	quote_of "$T_DIR/c6" "$T_DIR/rd2"
# the registers reached through a symbolic link are refused (the link could point anywhere)
mkdir -p "$T_DIR/run-link"
ln -s "$SIM" "$T_DIR/run-link/sim"
check "quote_get sim: a sim directory that is a symbolic link is refused" \
	fails_with "is a symbolic link" client sim "$T_DIR/c7" "$T_DIR/rd2" \
	--runtime-dir "$T_DIR/run-link"

# --- another provider name -----------------------------------------------------------------
MNT2="$T_DIR/report2"
if start second "$MNT2" --sim-dir "$SIM" --provider sev_guest; then
	P2=$STARTED_PID
	mkdir "$MNT2/e"
	check_eq "--provider sev_guest: provider reads it" "sev_guest" "$(cat "$MNT2/e/provider")"
	check "SIGTERM stops the second instance and unmounts it" stop "$P2" "$MNT2"
else
	fail "second instance (--provider sev_guest) starts"
fi
check "bad options are refused" fails_with "usage" "$FAKE" "$T_DIR/unused"

# --- shutdown ------------------------------------------------------------------------------
check "SIGTERM: exits 0 and the mount is gone" stop "$MAIN_PID" "$MNT"
t_done
