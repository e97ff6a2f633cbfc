# Case g: SIGKILL without systemd. The kernel closes the dead daemon's proxy fd, which removes
# the device; a restart on the same runtime directory creates a new device (its number may
# differ), restores the PCRs from the logs ("vtpm restart": they read as before the kill, every
# bank), log verify passes, and the PCRs agree with the replay after a further extend. (Under
# systemd the device itself survives: case t_fdstore.)

load_modules >"$T_DIR/modules.out" 2>&1 || { fail "loading the kernel modules"; show "$T_DIR/modules.out"; }
check_daemon_start "daemon start" "$T_DIR/start.out" || return 1
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
check "pcrextend before the kill" t2 tpm2_pcrextend "12:sha256=$(hexof before-kill sha256)"
t2 tpm2_pcrread >"$T_DIR/pcrs-before.txt" 2>&1
old_dev=$TPM_DEV
old_rm=$TPMRM_DEV
old_pid=$DAEMON_PID
# a client keeps the old device open across the crash: the kernel keeps its number in use
exec 7<>"$old_rm"
daemon_kill9
check "the daemon is gone" sh -c "! [ -d /proc/$old_pid ] || grep -q '^State:.*Z' /proc/$old_pid/status"
check "$old_dev disappears after SIGKILL" wait_for 10 test ! -e "$old_dev"
# a command on the orphaned open file fails at once (no hang)
printf '\200\001\000\000\000\014\000\000\001\173\000\010' >"$T_DIR/getrandom.cmd"
t0=$(cut -d' ' -f1 /proc/uptime)
timeout 20 sh -c "cat $T_DIR/getrandom.cmd >&7 && head -c 10 <&7 | wc -c | grep -q 10" \
	>"$T_DIR/orphan.out" 2>&1
rc=$?
secs=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%d", b - a }')
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$rc" -ne 143 ] && [ "$secs" -lt 10 ]; then
	pass "a command on the dead device's open file fails at once ($(head -c 60 "$T_DIR/orphan.out"))"
else
	fail "a command on the dead device's open file: status $rc after $secs s"
	show "$T_DIR/orphan.out"
fi
restarts=$(grep -c '^vtpm restart$' "$RT/rtmr2.log")

check_daemon_start "restart after SIGKILL" "$T_DIR/start2.out" || return 1
check "$RT/device names the new device" sh -c "grep -qx '$TPM_DEV $TPMRM_DEV' $RT/device"
check "the new device has a new number while the old one is held open" test "$TPM_DEV" != "$old_dev"
exec 7>&-
check_eq "the restart logs one more 'vtpm restart'" $((restarts + 1)) \
	"$(grep -c '^vtpm restart$' "$RT/rtmr2.log")"
check "the daemon restored every mapped PCR from the logs" grep -q \
	"restart: every mapped PCR restored from the event logs" "$DAEMON_LOG"
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
t2 tpm2_pcrread >"$T_DIR/pcrs-after.txt" 2>&1
pcrs_of_pcrread "$T_DIR/pcrs-before.txt" | awk '$2 < 16' >"$T_DIR/b"
pcrs_of_pcrread "$T_DIR/pcrs-after.txt" | awk '$2 < 16' >"$T_DIR/a"
check "tpm2_pcrread after the restart equals the reading before the kill (PCRs 0-15, every bank)" \
	sh -c "test -s '$T_DIR/b' && cmp '$T_DIR/b' '$T_DIR/a'"
# shellcheck disable=SC2086
check "log verify passes after the restart" vtpm-rtmr --runtime-dir "$RT" $BACKEND_ARGS log verify
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
check "a further pcrextend works" t2 tpm2_pcrextend "12:sha256=$(hexof after-restart sha256)"
check "its record is in rtmr2.log" grep -q "^vtpm extend 12 sha256/$(hexof after-restart sha256)\$" "$RT/rtmr2.log"
verify_all "after the restart"
export TPM2TOOLS_TCTI="device:$TPM_DEV"
check "pcrextend through $TPM_DEV" t2 tpm2_pcrextend "13:sha1=$(hexof raw-after-restart sha1)"
verify_all "after the restart, through $TPM_DEV"
check_no_tpm_errors "after kill -9 and restart"
check "SIGTERM: the daemon exits 0" daemon_stop
