#!/bin/sh
# The vtpm_proxy benchmark (make bench-vm): in the VM test rig's guest (QEMU TCG, Debian's 6.12
# kernel with the real vtpm_proxy driver), PCR_Extend and PCR_Read through /dev/tpmrmN against
# vtpm-rtmrd and against swtpm's vtpm-proxy mode, interleaved; bench/vm/report.py prints the
# figures and ratios and writes bench/results/vm-<UTC>.md. Timings are printed, never judged.
#
#   sh bench/vm/run.sh          (from the repository root; make bench-vm)
#
# Uses the rig's functions (tests/integration/vm/rig.sh: kernel cache, initramfs, boot) with a
# case directory of its own, so the rig's cases and this benchmark do not touch each other.
# Settings: the rig's (VM_CACHE, VM_BIN_DIR, VM_SMP, VM_TIMEOUT, ...), and
#   BENCH_VM_N [200]  BENCH_VM_ROUNDS [5]  BENCH_VM_BLOCK [20]  BENCH_VM_OPS [extend,read]
#   BENCH_BUILD [build-bench]   where bench/tpm_client is (make bench-build)
#   BENCH_RESULTS [bench/results]
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/integration/vm/rig.sh
. tests/integration/vm/rig.sh

BENCH_BUILD=${BENCH_BUILD:-build-bench}
CLIENT=$(cd "$BENCH_BUILD" 2>/dev/null && pwd)/bench/tpm_client
[ -x "$CLIENT" ] || vm_die "$CLIENT not built (make bench-build)"
command -v swtpm >/dev/null || vm_die "swtpm not installed (Debian package swtpm)"

vm_need_tools
vm_prepare

VM_WORK=$(mktemp -d "${TMPDIR:-/tmp}/vtpm-rtmr-vmbench.XXXXXX") || vm_die "mktemp failed"
# The rig's guest scripts with this benchmark as the one case.
VM_SRC=$VM_WORK/src
mkdir -p "$VM_SRC/cases" || vm_die "cannot create $VM_SRC"
cp -R tests/integration/vm/guest "$VM_SRC/guest" || vm_die "cannot copy the rig's guest scripts"
sed "s|@TPM_CLIENT@|$CLIENT|g" bench/vm/guest_bench.sh >"$VM_SRC/cases/bench_vtpm_proxy.sh"

initrd=$VM_WORK/initramfs.cpio.gz
log=$VM_WORK/console.log
vm_build_initramfs "$initrd" bench_vtpm_proxy
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
vm_log "Linux $KREL, $VM_SMP CPUs (TCG); host loadavg $load_before"
t0=$(date +%s)
cmdline="vmbench.n=${BENCH_VM_N:-200} vmbench.rounds=${BENCH_VM_ROUNDS:-5}"
cmdline="$cmdline vmbench.block=${BENCH_VM_BLOCK:-20} vmbench.ops=${BENCH_VM_OPS:-extend,read}"
vm_boot "$initrd" "$log" "$cmdline"
st=$?
secs=$(($(date +%s) - t0))
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
vm_log "guest finished in $secs s (qemu status $st)"
if ! grep -q '^BENCH-VM done' "$log"; then
	echo "bench-vm: the guest did not finish the benchmark (qemu status $st); console:" >&2
	grep -E '^(BENCH-VM|FAIL|    )' "$log" | tail -n 30 >&2
	tail -n 20 "$log" >&2
	echo "bench-vm: console log and rootfs kept in $VM_WORK" >&2
	exit 1
fi
python3 bench/vm/report.py --console "$log" --results "${BENCH_RESULTS:-bench/results}" \
	--host-load "$load_before" --host-load-after "$load_after" --seconds "$secs" \
	--host-cpus "$(nproc)"
rc=$?
[ "$rc" -eq 0 ] && [ -z "${VM_KEEP:-}" ] && rm -rf "$VM_WORK"
exit "$rc"
