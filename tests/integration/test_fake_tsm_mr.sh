#!/bin/sh
# Host test of tests/tools/fake_tsm_mr, the FUSE emulation of the Linux >= 6.16 tsm-mr
# measurement files: it must behave like /sys/class/misc/tdx_guest/measurements/rtmr<N>:sha384
# (sysfs bin attribute + drivers/virt/coco/guest/tsm-mr.c) and honour its .control faults.
#
# Writing a register from a shell: one write() of exactly the digest size at offset 0, e.g.
#   dd if=digest.bin of="$dir/rtmr2:sha384" bs=48 count=1 conv=notrunc status=none
# ("cat digest.bin > file" also works: the O_TRUNC is accepted as a no-op, as on sysfs.)
#
# Environment: FAKE_TSM_MR (default build/tests/tools/fake_tsm_mr).
# Output: one "PASS: ..." / "FAIL: ..." line per case, then "N passed, N failed".
# Exit: 0 all passed, 1 any failure, 77 skipped (no FUSE on this host).
set -eu

FAKE_TSM_MR=${FAKE_TSM_MR:-build/tests/tools/fake_tsm_mr}
export LC_ALL=C

pass=0
fail=0
pids=""
mounts=""
tmp=""
finished=0

ok() {
	pass=$((pass + 1))
	echo "PASS: $*"
}

ko() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}

# check DESCRIPTION COMMAND...: PASS if the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else ko "$desc"; fi
}

is_mounted() {
	awk -v m="$1" '$5 == m { found = 1 } END { exit !found }' /proc/self/mountinfo
}

not_mounted() {
	! is_mounted "$1"
}

cleanup() {
	if [ "$finished" -eq 0 ] && [ -n "$tmp" ]; then
		echo "FAIL: test script aborted"
		echo "$pass passed, $((fail + 1)) failed"
	fi
	for p in $pids; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $pids; do
		n=0
		while kill -0 "$p" 2>/dev/null && [ "$n" -lt 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	for m in $mounts; do
		if is_mounted "$m"; then
			fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null || true
		fi
	done
	for m in $mounts; do
		if is_mounted "$m"; then
			echo "WARN: $m still mounted, leaving $tmp" >&2
			return
		fi
	done
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -x "$FAKE_TSM_MR" ]; then
	echo "FAIL: $FAKE_TSM_MR not built"
	echo "0 passed, 1 failed"
	exit 1
fi
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null 2>&1; then
	echo "FAIL: no /dev/fuse or fusermount3 on this host"
	exit 1
fi
for t in openssl dd cmp stat; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "FAIL: $t not installed"
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_fake_tsm_mr.XXXXXX")

# start NAME ARGS... MOUNTPOINT: start an instance, wait for "ready"; sets $started_pid.
start() {
	name=$1
	shift
	eval "mnt_last=\${$#}"
	mkdir -p "$mnt_last"
	"$FAKE_TSM_MR" --verbose "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	started_pid=$!
	pids="$pids $started_pid"
	mounts="$mounts $mnt_last"
	n=0
	while [ "$n" -lt 100 ]; do
		if grep -qx ready "$tmp/$name.out" 2>/dev/null; then
			return 0
		fi
		kill -0 "$started_pid" 2>/dev/null || break
		sleep 0.1
		n=$((n + 1))
	done
	cat "$tmp/$name.err" >&2
	return 1
}

# stop PID MOUNTPOINT: SIGTERM, wait; true if it exited 0 and the mount is gone.
stop() {
	kill -TERM "$1" 2>/dev/null || return 1
	rc=0
	wait "$1" || rc=$?
	pids=$(echo "$pids" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
	[ "$rc" -eq 0 ] && not_mounted "$2"
}

# write_reg FILE DATA [DD-ARGS...]: dd the whole DATA file in one write; dd's stderr kept.
write_reg() {
	wr_file=$1
	wr_data=$2
	shift 2
	wr_size=$(stat -c %s "$wr_data")
	dd if="$wr_data" of="$wr_file" bs="$wr_size" count=1 conv=notrunc status=none "$@" \
		2>"$tmp/dd.err"
}

# write_fails FILE DATA ERRTEXT [DD-ARGS...]: the write fails with the errno text given.
write_fails() {
	wf_file=$1
	wf_data=$2
	wf_text=$3
	shift 3
	if write_reg "$wf_file" "$wf_data" "$@"; then
		return 1
	fi
	grep -q "$wf_text" "$tmp/dd.err"
}

# expect_extend OLD DATA FILE ALG: FILE now holds ALG(OLD || DATA), computed with openssl.
expect_extend() {
	cat "$1" "$2" | openssl dgst "-$4" -binary >"$tmp/expect"
	cmp -s "$tmp/expect" "$3"
}

# same FILE REF: FILE's content equals REF's.
same() {
	cmp -s "$1" "$2"
}

control_value() {
	sed -n "s/^$1=//p" "$mnt/.control"
}

# ctl_is KEY VALUE [KEY VALUE...]: .control reads KEY=VALUE for every pair.
ctl_is() {
	while [ $# -ge 2 ]; do
		[ "$(control_value "$1")" = "$2" ] || return 1
		shift 2
	done
}

mnt=$tmp/mnt
if ! start main "$mnt"; then
	ko "fake_tsm_mr starts and prints ready"
	finished=1
	echo "$pass passed, $fail failed"
	exit 1
fi
ok "fake_tsm_mr starts and prints ready"
main_pid=$started_pid
r0=$mnt/rtmr0:sha384
r2=$mnt/rtmr2:sha384

# --- layout -------------------------------------------------------------------------------
printf '%s\n' .control rtmr0:sha384 rtmr1:sha384 rtmr2:sha384 rtmr3:sha384 >"$tmp/names"
(cd "$mnt" && ls -A | sort) >"$tmp/ls"
check "file names are rtmr0..3:sha384 and .control" same "$tmp/ls" "$tmp/names"

modes_ok() {
	for i in 0 1 2 3; do
		[ "$(stat -c '%F %s %a' "$mnt/rtmr$i:sha384")" = "regular file 48 600" ] || return 1
	done
}
check "registers are 0600 regular files of 48 bytes" modes_ok

head -c 48 /dev/zero >"$tmp/zero48"
all_zero() {
	for i in 0 1 2 3; do
		same "$mnt/rtmr$i:sha384" "$tmp/zero48" || return 1
	done
}
check "initial values are all zero" all_zero

# --- extend -------------------------------------------------------------------------------
printf 'vtpm-rtmr fake_tsm_mr test record 1' | openssl dgst -sha384 -binary >"$tmp/d1"
printf 'vtpm-rtmr fake_tsm_mr test record 2' | openssl dgst -sha384 -binary >"$tmp/d2"
head -c 47 "$tmp/d1" >"$tmp/d47"
cat "$tmp/d1" "$tmp/d2" >"$tmp/d96"

cp "$r2" "$tmp/old"
if write_reg "$r2" "$tmp/d1"; then
	check "48-byte write at offset 0 extends: SHA-384(0^48 || data)" \
		expect_extend "$tmp/old" "$tmp/d1" "$r2" sha384
else
	ko "48-byte write at offset 0 extends: write failed: $(cat "$tmp/dd.err")"
fi

cp "$r2" "$tmp/old"
write_reg "$r2" "$tmp/d2" || true
check "second extend chains: SHA-384(old || data)" expect_extend "$tmp/old" "$tmp/d2" "$r2" sha384

others_zero() {
	for i in 0 1 3; do
		same "$mnt/rtmr$i:sha384" "$tmp/zero48" || return 1
	done
}
check "other registers unchanged" others_zero

read_slice_ok() {
	dd if="$r2" bs=1 skip=40 count=100 status=none >"$tmp/tail" &&
		tail -c 8 "$r2" | cmp -s - "$tmp/tail" &&
		[ "$(dd if="$r2" bs=1 skip=48 count=10 status=none | wc -c)" -eq 0 ]
}
check "read honours offset and size (offset 40 -> 8 bytes, offset 48 -> EOF)" read_slice_ok

cp "$r0" "$tmp/old"
redirect_ok() {
	cat "$tmp/d1" >"$r0" && expect_extend "$tmp/old" "$tmp/d1" "$r0" sha384
}
check "shell redirection (O_TRUNC, one 48-byte write) extends too" redirect_ok

# --- rejected writes ----------------------------------------------------------------------
cp "$r2" "$tmp/old"
check "47-byte write fails with EINVAL" write_fails "$r2" "$tmp/d47" "Invalid argument"
check "value unchanged after the 47-byte write" same "$r2" "$tmp/old"

check "48-byte write at offset 1 fails with EINVAL" \
	write_fails "$r2" "$tmp/d1" "Invalid argument" seek=1 oflag=seek_bytes
check "value unchanged after the offset-1 write" same "$r2" "$tmp/old"

check "write at offset 48 (append) fails with EFBIG, as on sysfs" \
	write_fails "$r2" "$tmp/d1" "File too large" seek=1
check "value unchanged after the offset-48 write" same "$r2" "$tmp/old"

# sysfs clamps a longer write to the file size: it extends with the first 48 bytes and
# returns 48; dd then writes the rest at offset 48 and gets EFBIG.
write_reg "$r2" "$tmp/d96" || true
check "96-byte write extends with its first 48 bytes only (sysfs clamp)" \
	expect_extend "$tmp/old" "$tmp/d1" "$r2" sha384

no_create() {
	! touch "$mnt/new" 2>/dev/null && ! mkdir "$mnt/dir" 2>/dev/null &&
		! rm -f "$r0" 2>/dev/null && ! mv "$r0" "$mnt/moved" 2>/dev/null && [ -e "$r0" ]
}
check "create, mkdir, unlink, rename are refused" no_create

# --- fault injection ----------------------------------------------------------------------
check ".control reads back key=value counters" \
	ctl_is extends 4 fail_next_write none injected 0

cp "$r2" "$tmp/old"
echo "fail-next-write EIO" >"$mnt/.control"
check ".control shows the armed fail-next-write" ctl_is fail_next_write EIO
check "fail-next-write EIO: next write fails with EIO" \
	write_fails "$r2" "$tmp/d1" "Input/output error"
check "fail-next-write EIO: value unchanged" same "$r2" "$tmp/old"
if write_reg "$r2" "$tmp/d1"; then
	check "fail-next-write EIO: the write after succeeds and extends" \
		expect_extend "$tmp/old" "$tmp/d1" "$r2" sha384
else
	ko "fail-next-write EIO: the write after succeeds: $(cat "$tmp/dd.err")"
fi
check ".control counts the injected failure and disarms" \
	ctl_is injected 1 fail_next_write none

writes=$(control_value writes)
echo "fail-writes-from $((writes + 2)) ENOSPC" >"$mnt/.control"
from_ok() {
	write_reg "$r2" "$tmp/d1" &&
		write_fails "$r2" "$tmp/d1" "No space left on device" &&
		write_fails "$r2" "$tmp/d2" "No space left on device"
}
check "fail-writes-from K ENOSPC: write K-1 succeeds, K and later fail" from_ok
echo clear >"$mnt/.control"
cp "$r2" "$tmp/old"
clear_ok() {
	write_reg "$r2" "$tmp/d2" && expect_extend "$tmp/old" "$tmp/d2" "$r2" sha384 &&
		[ "$(control_value fail_writes_from)" = none ]
}
check "clear removes the fault" clear_ok

bad_control() {
	! echo "fail-next-write EWHATEVER" >"$mnt/.control" 2>/dev/null &&
		! echo "frobnicate" >"$mnt/.control" 2>/dev/null &&
		[ "$(control_value fail_next_write)" = none ]
}
check "malformed .control commands are refused with no effect" bad_control

check "extends are logged on stderr with --verbose" grep -q "extend #1 rtmr2:sha384" \
	"$tmp/main.err"

# --- other providers: ARM CCA style ---------------------------------------------------------
mnt2=$tmp/mnt2
if start cca --registers 2 --hash sha512 --prefix rem "$mnt2"; then
	cca_pid=$started_pid
	printf '%s\n' .control rem0:sha512 rem1:sha512 >"$tmp/names2"
	(cd "$mnt2" && ls -A | sort) >"$tmp/ls2"
	check "--registers 2 --hash sha512 --prefix rem: names rem0..1:sha512" \
		same "$tmp/ls2" "$tmp/names2"
	printf 'cca' | openssl dgst -sha512 -binary >"$tmp/d64"
	head -c 64 /dev/zero >"$tmp/zero64"
	write_reg "$mnt2/rem1:sha512" "$tmp/d64" || true
	check "sha512 register extends with a 64-byte write" \
		expect_extend "$tmp/zero64" "$tmp/d64" "$mnt2/rem1:sha512" sha512
	check "SIGTERM stops the second instance and unmounts it" stop "$cca_pid" "$mnt2"
else
	ko "second instance (--registers 2 --hash sha512 --prefix rem) starts"
fi

check "bad options are refused" sh -c '! "$1" --hash md5 "$2" 2>/dev/null' sh \
	"$FAKE_TSM_MR" "$tmp/unused"

# --- shutdown -----------------------------------------------------------------------------
check "SIGTERM: exits 0 and the mount is gone" stop "$main_pid" "$mnt"

finished=1
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
