#!/bin/sh
# The VM tests: vtpm-rtmrd against the real vtpm_proxy driver of a Debian 6.12 kernel booted
# under QEMU (TCG), with the TDX RTMRs and quotes emulated by a test kernel module
# (tests/integration/kmod). Needs qemu-system-x86, busybox-static and the apt lists (the first
# run downloads the kernel and headers packages into build/vm-cache). Takes about 3-4 minutes
# on 2 cores once cached (three boots: plain, IMA, systemd as PID 1). Fails (never skips) when
# the VM cannot run.
#   sh tests/integration/test_vm.sh [CASE...]       (cases: tests/integration/vm/cases/*.sh)
# See tests/integration/vm/README.md.
exec sh "$(dirname "$0")/vm/run.sh" "$@"
