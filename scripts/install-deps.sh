#!/bin/sh
# Install every Debian package vtpm-rtmr needs to build, test, benchmark and package
# (debian/control's Build-Depends are a subset of this list).
# Idempotent: packages already present are left alone; apt-get update runs only
# when something is missing.
set -eu

PKGS="build-essential pkg-config gcc make
libtpms-dev libtss2-dev libssl-dev libjson-c-dev libcmocka-dev libsystemd-dev liburing-dev
libseccomp-dev
libfuse3-dev fuse3
tpm2-tools swtpm swtpm-tools
openssl xxd python3 procps iproute2 systemd
qemu-system-x86 busybox-static xz-utils
udev kmod mount dmsetup cryptsetup-bin
clang libclang-rt-14-dev llvm ima-evm-utils
mandoc man-db
linux-perf strace
debhelper dpkg-dev fakeroot lintian"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
