# vm-init: systemd
# vm-bins: /usr/bin/evmctl
# Case t: a restart without a TPM reset under systemd 252 as PID 1 (issue #13), after s_systemd
# in the same boot. The unit keeps the vtpm_proxy device in its file descriptor store
# (FileDescriptorStoreMax=1): a shell holds /dev/tpmrm0 open across `systemctl kill -s KILL`
# and the restart (Restart=on-failure) and runs a TPM command through that same descriptor
# afterwards; the PCRs read as before, every bank; every log has one more `vtpm restart`; and
# the IMA bridge (policy: every executed file measured) applied the list exactly once: PCR 10
# equals the list's replay, one PCR 10 record per entry. Then `systemctl restart` (SIGTERM: the
# state is resumed with Startup(STATE)) and `systemctl stop` (the store emptied, the device
# gone).

# shellcheck disable=SC2153 # RT, T_DIR: from lib.sh
U=vtpm-rtmrd.service

# prop NAME: one property of the unit
prop() {
	systemctl show -p "$1" --value $U 2>/dev/null
}
# journal [SINCE]: the unit's journal of this boot (from its line SINCE on) in $T_DIR/journal
journal() {
	journalctl -b -u $U -o cat --no-pager 2>&1 | tail -n +"${1:-1}" >"$T_DIR/journal"
}
journal_lines() {
	journalctl -b -u $U -o cat --no-pager 2>&1 | wc -l
}
# pcr10_before_restart: the PCR 10 records of rtmr2.log after its last startup clear and
# before its last vtpm restart (what the restart restored)
pcr10_before_restart() {
	awk '/^vtpm startup clear$/ { n = 0; m = 0 } /^vtpm extend 10 / { n++ }
	     /^vtpm restart$/ { m = n } END { print m + 0 }' "$RT/rtmr2.log"
}
section() {
	info "uptime $(cut -d' ' -f1 /proc/uptime) s: $*"
}
# active: the unit is active and running (not activating, not auto-restarting)
active() {
	[ "$(systemctl show -p ActiveState -p SubState $U | tr '\n' ' ')" = \
		"ActiveState=active SubState=running " ]
}
# pcrs_but_10 FILE: the "bank pcr hex" lines of a tpm2_pcrread output for PCRs 0-15 but 10
pcrs_but_10() {
	pcrs_of_pcrread "$1" | awk '$2 < 16 && $2 != 10'
}
# raw_getrandom FD-FILE: TPM2_GetRandom(8) through the open descriptor 7; prints the response's
# first 10 bytes as hex (tag, size, response code)
raw_getrandom() {
	printf '\200\001\000\000\000\014\000\000\001\173\000\010' >&7 &&
		dd bs=4096 count=1 <&7 2>/dev/null | od -An -v -tx1 | tr -d ' \n' | cut -c1-20
}

section "the unit started again"
# s_systemd stopped it; alone, the case stops the unit the boot started
systemctl stop $U 2>/dev/null
since=$(($(journal_lines) + 1))
check "systemctl start $U after a stop" timeout 120 systemctl start $U
wait_for 60 active
journal "$since"
check "the start restored the PCRs from the logs (SIGTERM before: Startup(STATE))" grep -q \
	"restart: every mapped PCR restored from the event logs (Startup(STATE)" "$T_DIR/journal"
check "it keeps the device in systemd's file descriptor store" grep -q \
	"is given to systemd's file descriptor store (vtpm-proxy.tpm" "$T_DIR/journal"
check_eq "NFileDescriptorStore=1" 1 "$(prop NFileDescriptorStore)"
dev=$(prop StatusText | awk '{ print $1 }')
rm=$(prop StatusText | awk '{ print $2 }')
check "$dev and $rm exist" test -c "$dev" -a -c "$rm"
export TPM2TOOLS_TCTI="device:$rm"

section "IMA: every executed file measured"
if ima_load_policy >"$T_DIR/policy.out" 2>&1; then
	pass "IMA policy 'measure func=BPRM_CHECK' in force"
else
	fail "loading the IMA policy"
	show "$T_DIR/policy.out"
fi
check "the IMA bridge is on" grep -q "IMA bridge: following" "$T_DIR/journal"
# every tool the checks run, once, so the list settles
evmctl --version >/dev/null 2>&1
openssl version >/dev/null 2>&1
vtpm-rtmr --help >/dev/null 2>&1
t2 tpm2_pcrread sha256:10 >/dev/null 2>&1
check "programs" ima_run_programs t1 3
ima_check "before the kill"

section "PCRs of RTMR0, 1, 2 in every bank"
for p in 1 4 8; do
	d=$(random_hex 8)
	check "tpm2_pcrextend $p in four banks" t2 tpm2_pcrextend \
		"$p:sha1=$(hexof "$d" sha1),sha256=$(hexof "$d" sha256),sha384=$(hexof "$d" sha384),sha512=$(hexof "$d" sha512)"
done
t2 tpm2_pcrread >"$T_DIR/pcrs-before.txt" 2>&1
restarts=$(grep -c '^vtpm restart$' "$RT/rtmr2.log")
dd if=/dev/null of=/dev/null 2>/dev/null # measured now, not between the kill and the restart

section "kill -9 with $rm held open"
exec 7<>"$rm"
check_eq "a command through the held descriptor before the kill" 80010000001400000000 \
	"$(raw_getrandom)"
pid=$(prop MainPID)
since=$(($(journal_lines) + 1))
check "systemctl kill -s KILL $U" systemctl kill -s KILL $U
wait_for 120 sh -c "[ \"\$(systemctl show -p MainPID --value $U)\" != $pid ] &&
	systemctl show -p ActiveState -p SubState $U | tr '\n' ' ' |
	grep -qx 'ActiveState=active SubState=running '"
check "back active with a new main process (Restart=on-failure)" sh -c \
	"[ \"\$(systemctl show -p MainPID --value $U)\" != $pid ]"
journal "$since"
check "the new daemon took the device back from the file descriptor store" grep -q \
	"took the TPM device $dev back from systemd's file descriptor store" "$T_DIR/journal"
check_eq "the same device" "$dev $rm" "$(prop StatusText)"
check_eq "a TPM command through the descriptor held across the restart" \
	80010000001400000000 "$(raw_getrandom)"
check "the daemon restored the PCRs from the logs (a crash: the records replayed)" grep -q \
	"restart: every mapped PCR restored from the event logs (Startup(CLEAR)" "$T_DIR/journal"
for f in "$RT"/rtmr*.log; do
	check "${f##*/}: its last group is a vtpm restart" sh -c \
		"grep '^vtpm \\(startup clear\\|restart\\)\$' '$f' | tail -n 1 | grep -qx 'vtpm restart'"
done
check_eq "one more vtpm restart" $((restarts + 1)) "$(grep -c '^vtpm restart$' "$RT/rtmr2.log")"
t2 tpm2_pcrread >"$T_DIR/pcrs-after.txt" 2>&1
pcrs_but_10 "$T_DIR/pcrs-before.txt" >"$T_DIR/before"
pcrs_but_10 "$T_DIR/pcrs-after.txt" >"$T_DIR/after"
check "tpm2_pcrread equals the reading before the kill (PCRs 0-15 but 10, every bank)" sh -c \
	"test -s '$T_DIR/before' && cmp '$T_DIR/before' '$T_DIR/after'"
skipped=$(sed -n 's/.*IMA bridge: \([0-9]*\) entries were already in their PCRs.*/\1/p' \
	"$T_DIR/journal" | tail -n 1)
check_eq "the IMA bridge found every entry the log held already in PCR 10" \
	"$(pcr10_before_restart)" "$skipped"
ima_check "after kill -9 and the restart (the list applied exactly once)"
VERIFY_REPLAY=tool verify_all "after kill -9 and the restart"

section "systemctl restart: SIGTERM, Startup(STATE)"
t2 tpm2_pcrread >"$T_DIR/pcrs-before.txt" 2>&1
since=$(($(journal_lines) + 1))
check "systemctl restart $U" timeout 120 systemctl restart $U
wait_for 60 active
journal "$since"
check "the PCRs resumed with Startup(STATE)" grep -q \
	"restart: every mapped PCR restored from the event logs (Startup(STATE)" "$T_DIR/journal"
if grep -q "took the TPM device" "$T_DIR/journal"; then
	pass "systemd 252 kept the store across systemctl restart: the same device"
	check_eq "a command through the held descriptor after systemctl restart" \
		80010000001400000000 "$(raw_getrandom)"
else
	info "systemd 252 emptied the store at systemctl restart: a new device"
fi
dev=$(prop StatusText | awk '{ print $1 }')
rm=$(prop StatusText | awk '{ print $2 }')
export TPM2TOOLS_TCTI="device:$rm"
t2 tpm2_pcrread >"$T_DIR/pcrs-after.txt" 2>&1
pcrs_but_10 "$T_DIR/pcrs-before.txt" >"$T_DIR/before"
pcrs_but_10 "$T_DIR/pcrs-after.txt" >"$T_DIR/after"
check "tpm2_pcrread equals the reading before (PCRs 0-15 but 10, every bank)" sh -c \
	"test -s '$T_DIR/before' && cmp '$T_DIR/before' '$T_DIR/after'"
ima_check "after systemctl restart"
exec 7>&-

section "systemctl stop: the store emptied"
check "systemctl stop $U" systemctl stop $U
check_eq "NFileDescriptorStore=0" 0 "$(prop NFileDescriptorStore)"
check "$dev is removed" wait_for 20 test ! -e "$dev"
check "the event logs stay" test -s "$RT/rtmr2.log"
