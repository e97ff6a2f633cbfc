#!/bin/sh
# Run the VM tests: vtpm-rtmrd against the real vtpm_proxy driver of a Debian 6.12 kernel under
# QEMU (TCG), with the TDX registers emulated by tests/integration/kmod/fake_tdx_guest.ko.
#
#   sh tests/integration/vm/run.sh [CASE...]      CASE: a name under cases/ (a_device, b_tools, ...)
#
# Prints every check as the guest reports it and a closing "N passed, N failed"; exits 1 on any
# failure, and when the VM cannot be prepared or does not run (it never skips). See README.md
# for the settings (VM_CACHE, VM_BIN_DIR, VM_TIMEOUT, ...).
cd "$(dirname "$0")/../../.." || exit 1
# shellcheck source=tests/integration/vm/rig.sh
. tests/integration/vm/rig.sh

T0=$(date +%s)
vm_need_tools

# a case is named in full (b_tools) or by its letter (b)
CASES=""
for c in "$@"; do
	if [ ! -f "$VM_SRC/cases/$c.sh" ]; then
		m=$(for f in "$VM_SRC/cases/${c}"_*.sh; do [ -f "$f" ] && basename "$f" .sh; done)
		[ "$(echo "$m" | wc -w)" -eq 1 ] || vm_die "no such case: $c (see $VM_SRC/cases/)"
		c=$m
	fi
	CASES="$CASES $c"
done
if [ -z "$CASES" ]; then
	CASES=$(for f in "$VM_SRC"/cases/*.sh; do basename "$f" .sh; done | LC_ALL=C sort)
fi

vm_prepare

VM_WORK=$(mktemp -d "${TMPDIR:-/tmp}/vtpm-rtmr-vm.XXXXXX") || vm_die "mktemp failed"
vm_quote_kit
T_PREP=$(date +%s)
# shellcheck disable=SC2034 # read by vm_boot
VM_DEADLINE=$((T_PREP + VM_TIMEOUT))     # for all boots together
vm_log "Linux $KREL, $VM_SMP CPUs (TCG), cases: $(echo "$CASES" | tr '\n' ' ')work dir $VM_WORK," \
	"prepared in $((T_PREP - T0)) s"

# Cases with the same kernel command line (vm-cmdline and vm-init directives) share one boot.
: >"$VM_WORK/groups"
for c in $CASES; do
	printf '%s\t%s\n' "$c" "$(vm_cmdline "$c")" >>"$VM_WORK/groups"
done

passed=0
failed=0
cases_ok=0
cases_bad=0
bad_list=""
boot=0
cut -f2 "$VM_WORK/groups" | awk '!seen[$0]++' >"$VM_WORK/cmdlines"
while IFS= read -r cl <&3; do
	group=$(awk -F '\t' -v cl="$cl" '$2 == cl { print $1 }' "$VM_WORK/groups" | tr '\n' ' ')
	boot=$((boot + 1))
	initrd=$VM_WORK/initramfs.$boot.cpio.gz
	log=$VM_WORK/console.$boot.log
	# shellcheck disable=SC2086
	vm_build_initramfs "$initrd" $group
	vm_log "boot $boot: $group(initramfs $(($(wc -c <"$initrd") / 1024 / 1024)) MB${cl:+, cmdline: $cl})"
	tb=$(date +%s)
	vm_boot "$initrd" "$log" "$cl"
	st=$?
	vm_log "boot $boot: guest finished in $(($(date +%s) - tb)) s (qemu status $st)"
	# The kernel under TCG now and then oopses before /init (int3 during early text patching,
	# e.g. in sched_clock_cpu): one more boot then. A guest that reached /init is never rebooted.
	if ! grep -q '^VMTEST-BEGIN' "$log" && [ "$st" -ne 124 ] && [ "$st" -ne 137 ]; then
		mv "$log" "$log.attempt1"
		vm_log "boot $boot: the guest did not reach /init; its console ($log.attempt1) ends:"
		tail -n 5 "$log.attempt1" | sed 's/^/vm:   | /' >&2
		vm_log "boot $boot: booting once more"
		tb=$(date +%s)
		vm_boot "$initrd" "$log" "$cl"
		st=$?
		vm_log "boot $boot: guest finished in $(($(date +%s) - tb)) s (qemu status $st)"
	fi
	if ! grep -q '^VMTEST-BEGIN' "$log"; then
		echo "FAIL: vm: the guest did not start its tests (qemu status $st); console:"
		tail -n 40 "$log" | sed 's/^/    | /'
		failed=$((failed + 1))
		cases_bad=$((cases_bad + $(echo "$group" | wc -w)))
		bad_list="$bad_list $group"
		continue
	fi
	[ "$st" -eq 124 ] || [ "$st" -eq 137 ] &&
		{ echo "FAIL: vm: killed after ${VM_BOOT_LIMIT}s (VM_TIMEOUT)"; failed=$((failed + 1)); }
	for c in $group; do
		p=$(grep -c "^PASS: $c: " "$log")
		f=$(grep -c "^FAIL: $c: " "$log")
		end=$(grep "^CASE-END $c " "$log" | head -n 1)
		if [ -z "$end" ]; then
			echo "FAIL: $c: did not finish (the VM stopped or timed out); console tail:"
			tail -n 15 "$log" | sed 's/^/    | /'
			f=$((f + 1))
		elif ! echo "$end" | grep -q ' rc=0 '; then
			[ "$f" -eq 0 ] && { echo "FAIL: $c: exited with ${end#* rc=}"; f=1; }
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		if [ "$f" -eq 0 ] && [ "$p" -gt 0 ]; then
			cases_ok=$((cases_ok + 1))
		else
			cases_bad=$((cases_bad + 1))
			bad_list="$bad_list $c"
		fi
		echo "case $c: $p passed, $f failed${end:+ (${end##*seconds=} s in the guest)}"
	done
done 3<"$VM_WORK/cmdlines"

vm_log "total $(($(date +%s) - T0)) s; cases: $cases_ok passed, $cases_bad failed${bad_list:+ (failed:$bad_list)}"
if [ "$failed" -eq 0 ] && [ -z "${VM_KEEP:-}" ]; then
	rm -rf "$VM_WORK"
else
	vm_log "console logs and rootfs kept in $VM_WORK"
fi
echo "vm tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
