#!/bin/sh
# run-all.sh: run every case listed in /vmtest/cases.list (or the kernel command line's
# vmtest.cases=a,b) through run-case.sh, each under a time limit, and print the markers the host
# parses:
#   VMTEST-BEGIN / CASE-BEGIN <case> / PASS: ... / FAIL: ... / CASE-END <case> rc=<n> / VMTEST-END
# Run by guest/init (busybox, PID 1) or, in a systemd boot, by vmtest.service.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TMPDIR=/tmp
mkdir -p /run/vmtest
# the console is the serial port: no kernel messages in the middle of result lines
echo 1 >/proc/sys/kernel/printk

cases=$(cat /vmtest/cases.list)
for w in $(cat /proc/cmdline); do
	case $w in
	vmtest.cases=*) cases=$(echo "${w#vmtest.cases=}" | tr ',' ' ') ;;
	esac
done
limit=$(cat /vmtest/case-timeout 2>/dev/null || echo 240)

# a line of its own: the firmware's last message ("Booting from ROM..") may lack its newline
echo
echo "VMTEST-BEGIN kernel $(uname -r) cpus $(nproc) uptime $(cut -d' ' -f1 /proc/uptime)"
for c in $cases; do
	echo "CASE-BEGIN $c"
	t0=$(cut -d' ' -f1 /proc/uptime)
	timeout "$limit" sh /vmtest/run-case.sh "$c" </dev/null 2>&1 &
	wait $!
	rc=$?
	t1=$(cut -d' ' -f1 /proc/uptime)
	[ "$rc" -eq 143 ] || [ "$rc" -eq 124 ] && echo "FAIL: $c: case killed after ${limit}s"
	echo "CASE-END $c rc=$rc seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
	sh /vmtest/run-case.sh --cleanup "$c" >/dev/null 2>&1
done
if grep -qw vmtest.verbose /proc/cmdline; then
	# VM_VERBOSE=1 on the host: every daemon log and the kernel log, for the console log
	for f in /run/vmtest/daemon.*.log; do
		[ -f "$f" ] && sed "s|^|    log: ${f##*/}: |" "$f"
	done
	dmesg | sed 's/^/    log: dmesg: /'
fi
echo "VMTEST-END uptime $(cut -d' ' -f1 /proc/uptime)"
