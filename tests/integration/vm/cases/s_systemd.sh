# vm-init: systemd
# Case s: a real systemd boot. Debian 12's systemd 252 is PID 1 with its own units; the project
# is installed by `make install` (PREFIX=/usr) and `systemctl enable vtpm-rtmrd.service`, plus
# the drop-in guest/systemd/vtpm-rtmrd.service.d/50-vmtest.conf naming the tdx-sysfs backend of
# the emulated registers. Nothing but the emulated platform drivers is loaded before systemd.
# This case runs in vmtest.service, after basic.target.
#  - the unit became active, i.e. sent READY=1 (Type=notify), before sysinit.target, without a
#    restart or a start timeout, after the module loaders it is ordered after;
#  - it runs as vtpm-rtmr (User=) and, once set up, without the two capabilities of its start;
#  - /dev/tpmrm0 works: tpm2_pcrextend, the record in rtmr2.log;
#  - systemd 252's documented limits hold: no firmware TPM, so systemd-pcrphase* are skipped by
#    ConditionSecurity=tpm2, systemd-creds has-tpm2 says "partial" (-firmware), systemd-measure
#    refuses, systemd-pcrphase measures nothing even with SYSTEMD_FORCE_MEASURE=1 (252 has no
#    such override);
#  - systemd-cryptenroll --tpm2-device=auto enrols a LUKS2 image (PCR 7 policy);
#  - `systemctl kill -s KILL` brings the unit back (Restart=on-failure), active and ready again;
#  - then systemd-cryptsetup@ (from /etc/crypttab: tpm2-device=auto, headless) unlocks the image
#    through the TPM (so the key sealed before the crash survived it), systemd says the PCR 7
#    policy is not enforced (PCR 7 is all zero), and a changed PCR 7 makes the unlock fail;
#  - logs, registers and PCRs agree (the tool's replay; the openssl one is b_tools' and others');
#  - `systemctl stop` stops it cleanly and removes the device.
# vm-bins: /usr/lib/x86_64-linux-gnu/libtss2-esys.so.0 /usr/lib/x86_64-linux-gnu/libtss2-rc.so.0
# vm-bins: /usr/lib/x86_64-linux-gnu/libtss2-mu.so.0

# shellcheck disable=SC2153 # RT, T_DIR: from lib.sh
U=vtpm-rtmrd.service
CS=systemd-cryptsetup@vmtest.service
PCRPHASE=/usr/lib/systemd/systemd-pcrphase
MEASURE=/usr/lib/systemd/systemd-measure

# snap UNIT...: every property of the units, with one systemctl call (under TCG each costs a
# fraction of a second); prop UNIT NAME then reads one (each value of a list on a line)
snap() {
	systemctl show "$@" 2>/dev/null | awk -v dir="$T_DIR" -v list="$*" '
		BEGIN { n = split(list, u, " "); i = 1 }
		/^$/ { i++; next }
		{ print > (dir "/props." u[i]) }'
}
prop() {
	sed -n "s/^$2=//p" "$T_DIR/props.$1" 2>/dev/null
}
# has UNIT NAME VALUE: the list property NAME of UNIT holds VALUE
has() {
	prop "$1" "$2" | tr ' ' '\n' | grep -qx "$3"
}

# journal: this boot's journal, text only, into $T_DIR/journal
journal() {
	journalctl -b -o cat --no-pager >"$T_DIR/journal" 2>&1
}

# section TEXT: a console line with the guest's uptime (where the case's time goes)
section() {
	info "uptime $(cut -d' ' -f1 /proc/uptime) s: $*"
}

# pcr_sha256 N: the sha256 bank's PCR N as hex
pcr_sha256() {
	t2 tpm2_pcrread "sha256:$1" 2>/dev/null | awk -v p="$1" '$1 == p { sub(/.*0x/, ""); print tolower($0) }'
}

# extend PCR TAG: tpm2_pcrextend PCR (sha256) through $TPM2TOOLS_TCTI; the record must be in the
# log of the RTMR the PCR maps to
extend() {
	_d=$(hexof "s_systemd $2 $(random_hex 8)" sha256)
	check "tpm2_pcrextend $1 ($2)" t2 tpm2_pcrextend "$1:sha256=$_d"
	case $1 in 1 | 7) _r=0 ;; [2-6]) _r=1 ;; *) _r=2 ;; esac
	check_eq "rtmr$_r.log has the record" "vtpm extend $1 sha256/$_d" \
		"$(grep -x "vtpm extend $1 sha256/$_d" "$RT/rtmr$_r.log")"
}

# ---- the boot ---------------------------------------------------------------------------------
section "the boot"

state=$(timeout 120 systemctl is-system-running --wait 2>&1)
info "systemctl is-system-running: $state; $(systemd-analyze 2>&1 | head -n 1)"
systemctl --failed --no-legend --plain >"$T_DIR/failed" 2>&1
[ -s "$T_DIR/failed" ] && { info "failed units:"; info_file "$T_DIR/failed" 20; }
snap $U sysinit.target systemd-modules-load.service modprobe@tpm_vtpm_proxy.service \
	cryptsetup-pre.target systemd-pcrphase-sysinit.service systemd-pcrphase.service
journal

check_eq "the unit is the installed file, enabled" "/usr/lib/systemd/system/$U enabled" \
	"$(prop $U FragmentPath | sed 's|^/lib/|/usr/lib/|') $(prop $U UnitFileState)"
check_eq "Type=notify: active means READY=1 came" notify "$(prop $U Type)"
check_eq "active (running), Result=success, no restart" "active running success 0" \
	"$(prop $U ActiveState) $(prop $U SubState) $(prop $U Result) $(prop $U NRestarts)"
check_eq "READY's STATUS= names the devices" "/dev/tpm0 /dev/tpmrm0" "$(prop $U StatusText)"
check_eq "/run/vtpm-rtmr/device" "/dev/tpm0 /dev/tpmrm0" "$(cat "$RT/device" 2>&1)"

# READY=1 before sysinit.target, fast, after the module loaders it is ordered after
t_start=$(prop $U InactiveExitTimestampMonotonic)
t_ready=$(prop $U ActiveEnterTimestampMonotonic)
t_sysinit=$(prop sysinit.target ActiveEnterTimestampMonotonic)
t_modload=$(prop systemd-modules-load.service ActiveEnterTimestampMonotonic)
# (a oneshot without RemainAfterExit is never "active": it finished when it became inactive)
t_modprobe=$(prop modprobe@tpm_vtpm_proxy.service InactiveEnterTimestampMonotonic)
info "monotonic us: modules-load $t_modload, modprobe@tpm_vtpm_proxy $t_modprobe, vtpm-rtmrd start $t_start, READY $t_ready, sysinit.target $t_sysinit"
if [ "${t_ready:-0}" -gt 0 ] && [ "${t_sysinit:-0}" -gt 0 ] && [ "$t_ready" -le "$t_sysinit" ]; then
	pass "READY=1 before sysinit.target ($(((t_sysinit - t_ready) / 1000)) ms before)"
else
	fail "READY=1 before sysinit.target: vtpm-rtmrd active at ${t_ready:-?} us, sysinit.target at ${t_sysinit:-?} us"
fi
took=$(((${t_ready:-0} - ${t_start:-0}) / 1000))
if [ "${t_start:-0}" -gt 0 ] && [ "$took" -gt 0 ] && [ "$took" -lt 30000 ]; then
	pass "start to READY=1 in $took ms (TimeoutStartSec $(prop $U TimeoutStartUSec))"
else
	fail "start to READY=1 took $took ms (TimeoutStartSec $(prop $U TimeoutStartUSec))"
fi
if [ "${t_modload:-0}" -gt 0 ] && [ "${t_modprobe:-0}" -gt 0 ] &&
	[ "$t_start" -ge "$t_modload" ] && [ "$t_start" -ge "$t_modprobe" ]; then
	pass "started after systemd-modules-load and modprobe@tpm_vtpm_proxy"
else
	fail "started after systemd-modules-load ($t_modload) and modprobe@tpm_vtpm_proxy ($t_modprobe): $t_start"
fi
check "journal: TPM device ready" grep -q "^TPM device ready: /dev/tpm0 /dev/tpmrm0" "$T_DIR/journal"
check_fails "journal: no start timeout" grep -q "^$U: .*[Tt]imed out" "$T_DIR/journal"
if journalctl -b -u $U -p err -o cat --no-pager >"$T_DIR/errors" 2>&1 && [ ! -s "$T_DIR/errors" ]; then
	pass "journal: no error messages of the unit"
else
	fail "journal: error messages of the unit"
	show "$T_DIR/errors"
fi

# least privilege: User=vtpm-rtmr with CAP_SYS_ADMIN CAP_DAC_OVERRIDE for the start only
check "journal: the daemon dropped the capabilities it started with" \
	grep -q "^running as uid $DAEMON_USER_UID, gid [0-9]*; the capabilities it started with are dropped" \
	"$T_DIR/journal"
main=$(prop $U MainPID)
for task in /proc/"$main"/task/*; do
	check_eq "unit's daemon, thread ${task##*/}: uid vtpm-rtmr, no capability, no_new_privs" \
		"$DAEMON_USER_UID 0000000000000000 0000000000000000 0000000000000000 0000000000000000 1" \
		"$(awk '/^Uid:/ {u=$2} /^Cap(Inh|Prm|Eff|Amb):/ {c=c" "$2} /^NoNewPrivs:/ {n=$2}
			END {print u c" "n}' "$task/status")"
done
check_eq "its runtime directory is vtpm-rtmr's" "$DAEMON_USER_UID" "$(stat -c %u "$RT")"

# the ordering as the booted systemd loaded it
check "cryptsetup-pre.target is ordered after the unit" has cryptsetup-pre.target After $U
check "sysinit.target is ordered after the unit" has sysinit.target After $U
check "the unit pulls cryptsetup-pre.target in" has $U Wants cryptsetup-pre.target
check "the unit conflicts with shutdown.target" has $U Conflicts shutdown.target
check_eq "cryptsetup-pre.target reached" active "$(prop cryptsetup-pre.target ActiveState)"
after=$(prop $U After)
late=$(echo "$after" | tr ' ' '\n' |
	grep -x 'sysinit.target\|basic.target\|local-fs.target\|systemd-tmpfiles-setup.service\|[^-].*\.mount' |
	tr '\n' ' ')
check_eq "not after sysinit.target, local-fs.target, tmpfiles-setup or a mount but / (After=$after)" \
	"" "$late"
# the device policy: /dev/vtpmx and /dev/tdx_guest, no TPM (char-rtc r: ProtectClock=yes adds it)
check_eq "DevicePolicy=closed, DeviceAllow: the proxy, the TDX device and the RTC, no TPM" \
	"closed /dev/tdx_guest rw,/dev/vtpmx rw,char-rtc r," \
	"$(prop $U DevicePolicy) $(prop $U DeviceAllow | LC_ALL=C sort | tr '\n' ,)"

# ---- systemd 252's documented limits (no firmware TPM) --------------------------------------------
section "systemd 252's documented limits (no firmware TPM)"

# ConditionSecurity=tpm2 asks for firmware support (an EFI boot with a TPM2 ACPI table), which
# a TPM made by a userspace daemon never has
check_fails "systemd-analyze condition ConditionSecurity=tpm2: fails" \
	systemd-analyze condition ConditionSecurity=tpm2
for s in systemd-pcrphase-sysinit.service systemd-pcrphase.service; do
	check "$s has ConditionSecurity=tpm2" grep -qx ConditionSecurity=tpm2 "$(prop $s FragmentPath)"
	check_eq "$s: condition failed, never ran" "no inactive" \
		"$(prop $s ConditionResult) $(prop $s ActiveState)"
	check "journal: $s was skipped" \
		grep -q "^$s - .*skipped because of an unmet condition check" "$T_DIR/journal"
done
systemd-creds has-tpm2 >"$T_DIR/has-tpm2" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && grep -qx partial "$T_DIR/has-tpm2" && grep -qx -- '-firmware' "$T_DIR/has-tpm2" &&
	grep -qx -- '+driver' "$T_DIR/has-tpm2" && grep -qx -- '+system' "$T_DIR/has-tpm2"; then
	pass "systemd-creds has-tpm2: partial, -firmware +driver +system (exit $rc)"
else
	fail "systemd-creds has-tpm2 (exit $rc)"
	show "$T_DIR/has-tpm2"
fi
if ! $MEASURE status >"$T_DIR/measure" 2>&1 &&
	grep -q "Sorry, system lacks full TPM2 support" "$T_DIR/measure"; then
	pass "systemd-measure status: lacks full TPM2 support"
else
	fail "systemd-measure status"
	show "$T_DIR/measure"
fi
export TPM2TOOLS_TCTI="device:/dev/tpmrm0"
p11=$(pcr_sha256 11)
if $PCRPHASE --graceful vmtest-graceful >"$T_DIR/pcrphase" 2>&1 &&
	grep -q "No complete TPM2 support detected, exiting gracefully" "$T_DIR/pcrphase"; then
	pass "systemd-pcrphase --graceful: exits, no complete TPM2 support"
else
	fail "systemd-pcrphase --graceful"
	show "$T_DIR/pcrphase"
fi
if SYSTEMD_FORCE_MEASURE=1 $PCRPHASE --tpm2-device=/dev/tpmrm0 vmtest-forced >"$T_DIR/pcrphase" 2>&1 &&
	grep -q "Kernel stub did not measure kernel image into PCR 11, skipping" "$T_DIR/pcrphase"; then
	pass "SYSTEMD_FORCE_MEASURE=1 systemd-pcrphase: skips all the same (252 has no override)"
else
	fail "SYSTEMD_FORCE_MEASURE=1 systemd-pcrphase"
	show "$T_DIR/pcrphase"
fi
check_eq "PCR 11 unchanged" "$p11" "$(pcr_sha256 11)"

# ---- the TPM through /dev/tpmrm0 ----------------------------------------------------------------
section "the TPM through /dev/tpmrm0"

check_eq "/dev/tpmrm0: a character device of a TPM 2.0" "yes 2" \
	"$([ -c /dev/tpmrm0 ] && echo yes) $(cat /sys/class/tpm/tpm0/tpm_version_major 2>&1)"
extend 8 "first boot"

# ---- LUKS2: systemd-cryptenroll --tpm2-device=auto ----------------------------------------------
section "LUKS2: systemd-cryptenroll --tpm2-device=auto"

IMG=$T_DIR/luks.img
KEY=$T_DIR/passphrase
printf 'vmtest-%s' "$(random_hex 8)" >"$KEY"
dd if=/dev/zero of="$IMG" bs=1M count=20 2>/dev/null
# PBKDF2 with few iterations: argon2's memory and time costs are for real passphrases, not TCG
check "cryptsetup luksFormat (LUKS2)" cryptsetup luksFormat --batch-mode --type luks2 \
	--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file "$KEY" "$IMG"
if PASSWORD=$(cat "$KEY") timeout 180 systemd-cryptenroll --tpm2-device=auto --tpm2-pcrs=7 "$IMG" \
	>"$T_DIR/enroll" 2>&1; then
	pass "systemd-cryptenroll --tpm2-device=auto --tpm2-pcrs=7"
else
	fail "systemd-cryptenroll --tpm2-device=auto --tpm2-pcrs=7"
	show "$T_DIR/enroll"
fi
check "the image has a systemd-tpm2 token" sh -c "cryptsetup luksDump '$IMG' | grep -q 'systemd-tpm2'"
echo "vmtest $IMG - tpm2-device=auto,headless=true,noauto" >/etc/crypttab
systemctl daemon-reload
snap $CS
check_eq "$CS: generated from /etc/crypttab" loaded "$(prop $CS LoadState)"
check "$CS is ordered after cryptsetup-pre.target" has $CS After cryptsetup-pre.target

# unlock TAG: start the unit; PASS if /dev/mapper/vmtest appears (then stop it again)
unlock() {
	if timeout 180 systemctl start $CS >"$T_DIR/unlock" 2>&1 && [ -b /dev/mapper/vmtest ]; then
		pass "$1: $CS unlocks the image through the TPM (headless: no password asked)"
		check "$1: systemctl stop $CS removes /dev/mapper/vmtest" \
			sh -c "systemctl stop $CS && ! [ -e /dev/mapper/vmtest ]"
	else
		fail "$1: $CS does not unlock the image"
		show "$T_DIR/unlock"
		journalctl -b -u $CS -o cat --no-pager 2>&1 | show /dev/stdin
	fi
}

# ---- kill -9: Restart=on-failure, ready again ---------------------------------------------------
section "kill -9: Restart=on-failure, ready again"

snap $U
pid=$(prop $U MainPID)
check "systemctl kill -s KILL $U" systemctl kill -s KILL $U
# until it is active again (not activating, not auto-restarting)
wait_for 60 sh -c "systemctl show -p ActiveState -p SubState $U | tr '\n' ' ' |
	grep -qx 'ActiveState=active SubState=running '"
snap $U
n=$(prop $U NRestarts)
if [ "$(prop $U ActiveState) $(prop $U SubState)" = "active running" ] && [ "${n:-0}" -ge 1 ]; then
	pass "back active after the kill (NRestarts=$n)"
else
	fail "not back active after the kill: $(prop $U ActiveState)/$(prop $U SubState), NRestarts=$n"
fi
journal
if [ "${n:-0}" -gt 1 ]; then
	# a restart that failed once more before this one (seen under heavy load: the kernel timed
	# out one of its start-up commands and cancelled it; the daemon's late response got EIO)
	info "more than one restart; the daemon said:"
	journalctl -b -u $U -p err -o cat --no-pager 2>&1 | tail -n 4 | while IFS= read -r l; do info "  $l"; done
fi
check "a new main process" test "$(prop $U MainPID)" != "$pid"
check "ready again: a new ActiveEnterTimestamp" test "$(prop $U ActiveEnterTimestampMonotonic)" -gt "$t_ready"
check "journal: killed by SIGKILL" grep -q "^$U: Main process exited, code=killed, status=9/KILL" "$T_DIR/journal"
dev=$(prop $U StatusText | awk '{ print $2 }')
check_eq "STATUS= and /run/vtpm-rtmr/device agree" "$(prop $U StatusText)" "$(cat "$RT/device" 2>&1)"
check "the new $dev is a character device" test -c "$dev"
export TPM2TOOLS_TCTI="device:$dev"
extend 9 "after the restart"
# (the first unlock: after the restart, so it also shows the TPM kept its seeds, i.e. the key
# sealed before the crash)
unlock "after the restart"
# systemd 252 itself says what a PCR 7 policy on this TPM is worth
check "journal: systemd-cryptsetup says the PCR 7 policy is not enforced" sh -c \
	"journalctl -b -u $CS -o cat --no-pager | grep -q 'Selected TPM2 PCRs are not initialized on this system'"

# a PCR 7 the key was not sealed to: the TPM refuses, and headless means no password either
extend 7 "not sealed to"
check_fails "$CS does not unlock with another PCR 7" timeout 180 systemctl start $CS
check_fails "no /dev/mapper/vmtest" test -e /dev/mapper/vmtest
systemctl reset-failed $CS 2>/dev/null
section "logs, registers, PCRs"
VERIFY_REPLAY=tool verify_all "after the boot, the restart and the extends"

# ---- an orderly stop ------------------------------------------------------------------------------
section "an orderly stop"

check "systemctl stop $U" systemctl stop $U
snap $U
check_eq "stopped: inactive, Result=success, exit status 0" "inactive success 0" \
	"$(prop $U ActiveState) $(prop $U Result) $(prop $U ExecMainStatus)"
check_fails "$dev is removed" test -e "$dev"
check_fails "/run/vtpm-rtmr/device is removed" test -e "$RT/device"
check "the event logs stay" test -s "$RT/rtmr2.log"
