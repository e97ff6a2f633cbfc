#!/bin/sh
# The opt-in switches that make systemd measure into vtpm-rtmrd's TPM (systemd/dropins/):
# the version logic of vtpm-rtmr-systemd-measure, the drop-ins it derives from units, and
# systemd-analyze verify (this host's systemd 252) of its result on Debian's own
# systemd-pcrphase units, which have the shape of 253's and 254's.
. tests/integration/lib.sh
t_init systemd_dropins

# tool ARGS...: the tool as installed (a POSIX sh script)
TOOLF=systemd/dropins/vtpm-rtmr-systemd-measure
tool() {
	sh "$TOOLF" "$@"
}
D=50-vtpm-rtmr-measure.conf

# ---- the version logic ------------------------------------------------------------------------
# which_set VERSION SET: the tool picks SET for systemd VERSION
which_set() {
	[ "$(tool --systemd-version "$1" --which-set 2>&1)" = "$2" ]
}
for vs in 219:none 250:none 252:none 253:253-260 254:253-260 255:253-260 257:253-260 260:253-260 \
	261:261+ 262:261+ 300:261+; do
	check "systemd ${vs%%:*} -> ${vs#*:}" which_set "${vs%%:*}" "${vs#*:}"
done
check_fails "a version that is no number is refused" tool --systemd-version 25x --which-set
check_fails "an empty version is refused" tool --systemd-version '' --which-set

R=$T_DIR/root
mkdir -p "$R"
# 252: nothing can be switched on; exit 2, nothing written
tool --systemd-version 252 --root "$R" >"$T_DIR/252.out" 2>&1
rc=$?
check "systemd 252: refused with exit 2" test "$rc" -eq 2
check "systemd 252: says why" grep -q "no override" "$T_DIR/252.out"
check_fails "systemd 252: nothing written" sh -c "find '$R' -type f | grep -q ."
# 261+: the documented kernel command line switches, nothing written
check "systemd 261: runs" sh -c "sh $TOOLF --systemd-version 261 --root '$R' >'$T_DIR/261.out' 2>&1"
check "systemd 261: systemd.tpm2_measured_os=1 systemd.tpm2_wait=1" \
	grep -qx "    $(cat 'systemd/dropins/261+/kernel-cmdline')" "$T_DIR/261.out"
check_fails "systemd 261: nothing written" sh -c "find '$R' -type f | grep -q ."
check "the unit conflicts with systemd's software TPM (261+)" \
	grep -qx "Conflicts=systemd-tpm2-swtpm.service" systemd/vtpm-rtmrd.service.in

# ---- 253-260 on Debian 12's own units -----------------------------------------------------------
U=/lib/systemd/system
[ -f $U/systemd-pcrphase.service ] || U=/usr/lib/systemd/system
check "systemd 254 logic on this host's units: writes drop-ins" sh -c \
	"sh $TOOLF --systemd-version 254 --root '$R' --unit-dir $U >'$T_DIR/254.out' 2>&1"
E=$R/etc/systemd/system
for u in systemd-pcrphase.service systemd-pcrphase-sysinit.service; do
	f=$E/$u.d/$D
	check "$u: drop-in written" test -s "$f"
	check_fails "$u: no --graceful left" sh -c "grep -v '^#' '$f' | grep -q -- --graceful"
	check "$u: ExecStart= reset and re-stated" sh -c \
		"grep -qx 'ExecStart=' '$f' && grep -q '^ExecStart=/.*systemd-pcrphase ' '$f'"
	check "$u: ordered after vtpm-rtmrd.service" grep -qx "After=vtpm-rtmrd.service" "$f"
	check "$u: SYSTEMD_FORCE_MEASURE=1" grep -qx "Environment=SYSTEMD_FORCE_MEASURE=1" "$f"
	check "$u: the firmware-only conditions reset" sh -c \
		"grep -qx 'ConditionSecurity=' '$f' && ! grep -q 'ConditionSecurity=tpm2\\|StubPcrKernelImage' '$f'"
	check "$u: the other conditions kept" grep -qx 'ConditionPathExists=!/etc/initrd-release' "$f"
done
check_fails "the initrd-only unit is left alone" test -e "$E/systemd-pcrphase-initrd.service.d/$D"
check "system.conf.d: SYSTEMD_FORCE_MEASURE for PID 1 and its services, as shipped" cmp \
	"$R/etc/systemd/system.conf.d/$D" systemd/dropins/253-260/system.conf.d/$D
check "systemd.tpm2_wait=1 asked for" grep -qx "    $(cat systemd/dropins/253-260/kernel-cmdline)" \
	"$T_DIR/254.out"
# systemd-analyze verify loads the units with the drop-ins (SYSTEMD_UNIT_PATH: ours first)
verify_units() {
	SYSTEMD_UNIT_PATH="$1:" systemd-analyze verify systemd-pcrphase.service \
		systemd-pcrphase-sysinit.service >"$T_DIR/verify.out" 2>&1 &&
		! grep -q "systemd-pcrphase" "$T_DIR/verify.out"
}
if verify_units "$E"; then
	pass "systemd-analyze verify accepts the units with the drop-ins"
else
	fail "systemd-analyze verify of the units with the drop-ins"
	sed 's/^/    | /' "$T_DIR/verify.out"
fi
# ...and would not accept a broken one (the check above can fail)
mkdir -p "$T_DIR/broken/systemd-pcrphase.service.d"
printf '[Service]\nExecStart=\nExecStart=relative/not-a-path ready\n' \
	>"$T_DIR/broken/systemd-pcrphase.service.d/$D"
check_fails "systemd-analyze verify refuses a broken drop-in" verify_units "$T_DIR/broken"
check "--remove removes every drop-in" sh -c \
	"sh $TOOLF --systemd-version 254 --root '$R' --remove >/dev/null && ! find '$R' -name '$D' | grep -q ."

# ---- 255-260 shapes (fixtures written after the upstream units named) ----------------------------
F=$T_DIR/units
mkdir -p "$F"
# units/systemd-pcrfs@.service.in (systemd/systemd@0b4bbb3e): measured-uki, systemd-pcrextend
printf '[Unit]\nBindsTo=%%i.mount\nConditionPathExists=!/etc/initrd-release\nConditionSecurity=measured-uki\n[Service]\nType=oneshot\nExecStart=/usr/lib/systemd/systemd-pcrextend --graceful --file-system=%%f\n' \
	>"$F/systemd-pcrfs@.service"
# units/systemd-tpm2-setup-early.service.in (systemd/systemd@1c928670)
printf '[Unit]\nConditionSecurity=measured-uki\nConditionPathExists=!/run/systemd/tpm2-srk-public-key.pem\nAfter=tpm2.target\n[Service]\nExecStart=/usr/lib/systemd/systemd-tpm2-setup --early=yes \\\n\t--graceful\n' \
	>"$F/systemd-tpm2-setup-early.service"
# units/systemd-pcrmachine.service.in (systemd/systemd@0f5ab73a): the 253/254 shape
printf '[Unit]\nConditionPathExists=!/etc/initrd-release\nConditionSecurity=tpm2\nConditionPathExists=/sys/firmware/efi/efivars/StubPcrKernelImage-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f\n[Service]\nExecStart=/usr/lib/systemd/systemd-pcrphase --graceful --machine-id\n' \
	>"$F/systemd-pcrmachine.service"
# not measuring; initrd only
printf '[Unit]\nConditionSecurity=measured-uki\n[Service]\nExecStart=/usr/lib/systemd/systemd-pcrlock make-policy\n' \
	>"$F/not-measuring.service"
printf '[Unit]\nConditionPathExists=/etc/initrd-release\n[Service]\nExecStart=/usr/lib/systemd/systemd-pcrextend --graceful enter-initrd\n' \
	>"$F/initrd-only.service"
R2=$T_DIR/root2
check "systemd 257 logic on the fixtures: writes drop-ins" sh -c \
	"sh $TOOLF --systemd-version 257 --root '$R2' --unit-dir '$F' >'$T_DIR/257.out' 2>&1"
E=$R2/etc/systemd/system
f=$E/systemd-pcrfs@.service.d/$D
check "pcrfs@: ExecStart without --graceful" grep -qx \
	"ExecStart=/usr/lib/systemd/systemd-pcrextend --file-system=%f" "$f"
check_fails "pcrfs@: measured-uki kept (PID 1's SYSTEMD_FORCE_MEASURE satisfies it), no reset" \
	grep -q "^Condition" "$f"
f=$E/systemd-tpm2-setup-early.service.d/$D
check "tpm2-setup-early: a continued ExecStart line joined, --graceful gone" grep -qx \
	"ExecStart=/usr/lib/systemd/systemd-tpm2-setup --early=yes *" "$f"
f=$E/systemd-pcrmachine.service.d/$D
check "pcrmachine (253 shape): firmware conditions reset, initrd condition kept" sh -c \
	"grep -qx 'ConditionSecurity=' '$f' && grep -qx 'ConditionPathExists=!/etc/initrd-release' '$f' &&
	 ! grep -q 'StubPcrKernelImage\\|=tpm2' '$f'"
check "pcrmachine: ExecStart without --graceful" grep -qx \
	"ExecStart=/usr/lib/systemd/systemd-pcrphase --machine-id" "$f"
check_fails "a unit that measures nothing is left alone" test -e "$E/not-measuring.service.d/$D"
check_fails "an initrd-only unit is left alone" test -e "$E/initrd-only.service.d/$D"
check_fails "no measuring units: an error" tool --systemd-version 257 --root "$R2" \
	--unit-dir "$T_DIR"
t_done
