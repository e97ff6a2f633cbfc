#!/bin/sh
# --runas USER: after setup the daemon is USER in every thread, with no capability in any set
# and no_new_privs; what it does from then on (event-log appends, sim register extends, state
# writes, the IMA list, removing its files at exit) works through what it holds or in
# directories it gave to USER. The VM suite runs every case --runas vtpm-rtmr against the real
# vtpm_proxy driver (case a checks /proc there); this is the socket transport on the host.
. tests/integration/lib.sh
t_init runas

if [ "$(id -u)" != 0 ]; then
	echo "NOTE: $T_NAME: not root: --runas cannot be tested here (CI runs as root)"
	fail "--runas needs root to be tested"
	t_done
	exit 1
fi
# the daemon's own user, as the package makes it (tools trust what it owns)
if ! id vtpm-rtmr >/dev/null 2>&1; then
	systemd-sysusers "$PWD/systemd/sysusers.d/vtpm-rtmr.conf" ||
		{ fail "cannot create the vtpm-rtmr user"; t_done; exit 1; }
fi
UID_D=$(id -u vtpm-rtmr)
GID_D=$(id -g vtpm-rtmr)

# ima_records RT: the PCR 10 records in RT's rtmr2.log (the IMA bridge's extends)
ima_records() {
	grep -c '^vtpm extend 10 ' "$1/rtmr2.log"
}
# wait_ima_records RT N: up to 10 s for there to be N of them
wait_ima_records() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(ima_records "$1")" -eq "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# a synthetic IMA list (root's, 0600): the bridge keeps reading it after the switch
python3 tests/integration/ima_list.py write "$T_DIR/ima.bin" 3
chmod 0600 "$T_DIR/ima.bin"

RT=$T_DIR/run
STATE=$T_DIR/state
PORT=$(free_port_pair)
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
ARGS="--port $PORT --runtime-dir $RT --state-dir $STATE --rtmr-backend sim --quote-provider sim \
--ek-type ecc-p256 --ima-bridge on --ima-list $T_DIR/ima.bin --ima-poll-ms 100 --runas vtpm-rtmr"

# shellcheck disable=SC2086
start_daemon "$T_DIR/d1.log" $ARGS || { fail "daemon start --runas vtpm-rtmr"; t_done; exit 1; }
check "the daemon says it dropped root" grep -q "running as vtpm-rtmr (uid $UID_D" "$T_DIR/d1.log"

for task in /proc/"$DAEMON_PID"/task/*; do
	check_eq "thread ${task##*/}: uid and gid are vtpm-rtmr's (real, effective, saved, fs)" \
		"$UID_D $UID_D $UID_D $UID_D|$GID_D $GID_D $GID_D $GID_D" \
		"$(awk '/^Uid:/ {u=$2" "$3" "$4" "$5} /^Gid:/ {g=$2" "$3" "$4" "$5} END {print u"|"g}' \
			"$task/status")"
	check_eq "thread ${task##*/}: no capabilities (inheritable, permitted, effective, ambient)" \
		"0000000000000000 0000000000000000 0000000000000000 0000000000000000" \
		"$(awk '/^Cap(Inh|Prm|Eff|Amb):/ {printf "%s%s", s, $2; s=" "}' "$task/status")"
done
check_eq "the main thread: no supplementary groups, empty bounding set, no_new_privs" \
	"|0000000000000000|1" \
	"$(awk '/^Groups:/ {g=$2} /^CapBnd:/ {b=$2} /^NoNewPrivs:/ {n=$2} END {print g"|"b"|"n}' \
		"/proc/$DAEMON_PID/status")"
check_eq "the runtime and state directories are vtpm-rtmr's" "$UID_D 755 $UID_D 700" \
	"$(stat -c '%u %a' "$RT" "$STATE" | tr '\n' ' ' | sed 's/ $//')"

# what the daemon does after the switch
D=$(printf '%064d' 5)
check "PCR_Extend after the switch" tpm2_pcrextend "8:sha256=$D"
check "its record was appended" grep -q "^vtpm extend 8 sha256/$D\$" "$RT/rtmr2.log"
check "the logs replay to the sim registers" "$TOOL" --runtime-dir "$RT" --rtmr-backend sim \
	log verify
check "NV_DefineSpace (a state write) after the switch" \
	tpm2_nvdefine 0x1500020 -C o -s 8 -a "ownerread|ownerwrite|authread|authwrite"
before=$(ima_records "$RT")
python3 tests/integration/ima_list.py write "$T_DIR/ima.bin" 2 --start 3 --append
check "the IMA bridge still reads the root-only list (2 entries more)" \
	wait_ima_records "$RT" $((before + 2))
check "SIGTERM: the daemon exits 0" stop_daemon
check "and removed its tcti file" test ! -e "$RT/tcti"
check "the state files are vtpm-rtmr's" sh -c \
	"[ -z \"\$(find '$STATE' -type f ! -uid $UID_D)\" ] && [ -n \"\$(ls '$STATE')\" ]"

# shellcheck disable=SC2086
start_daemon "$T_DIR/d2.log" $ARGS || fail "restart --runas vtpm-rtmr on its own directories"
check "the NV index survived the restart" sh -c "tpm2_nvreadpublic | grep -q 0x1500020"
check "the logs continue" grep -q "continuing event log" "$T_DIR/d2.log"
stop_daemon >/dev/null

# the tool (root, beside a --runas daemon) trusts what vtpm-rtmr owns and gives nothing away
check "vtpm-rtmr log verify as root on vtpm-rtmr's directories" "$TOOL" --runtime-dir "$RT" \
	--rtmr-backend sim log verify
check_eq "and they stay vtpm-rtmr's" "$UID_D $UID_D" "$(stat -c %u "$RT" "$RT/sim" | tr '\n' ' ' |
	sed 's/ $//')"
PORT2=$(free_port_pair)
# shellcheck disable=SC2086
start_daemon "$T_DIR/root.log" --port "$PORT2" --runtime-dir "$T_DIR/run-root" --rtmr-backend sim \
	--ima-bridge off --ek-type ecc-p256 || fail "a daemon without --runas"
stop_daemon >/dev/null
check "vtpm-rtmr log verify as root on root's directories" "$TOOL" --runtime-dir "$T_DIR/run-root" \
	--rtmr-backend sim log verify
check_eq "and they stay root's" "0 0" "$(stat -c %u "$T_DIR/run-root" "$T_DIR/run-root/sim" |
	tr '\n' ' ' | sed 's/ $//')"

# As the unit starts it: User=vtpm-rtmr with AmbientCapabilities=CAP_SYS_ADMIN
# CAP_DAC_OVERRIDE (the proxy's ioctl; /dev/vtpmx, the registers and the IMA list are root's)
# and RuntimeDirectory= made for that user. The daemon drops both after set-up, in every thread.
RTU=$T_DIR/run-unit
install -d -m 0755 -o vtpm-rtmr -g vtpm-rtmr "$RTU"
python3 tests/integration/ima_list.py write "$T_DIR/ima-u.bin" 2
chmod 0600 "$T_DIR/ima-u.bin"
REAL_DAEMON=$DAEMON
DAEMON=$T_DIR/as-unit.sh
printf '#!/bin/sh\nexec setpriv --reuid vtpm-rtmr --regid vtpm-rtmr --clear-groups %s "%s" "$@"\n' \
	"--inh-caps +sys_admin,+dac_override --ambient-caps +sys_admin,+dac_override" \
	"$REAL_DAEMON" >"$DAEMON"
chmod 0755 "$DAEMON"
PORTU=$(free_port_pair)
UARGS="--port $PORTU --runtime-dir $RTU --rtmr-backend sim --quote-provider sim --ek-type ecc-p256 \
--ima-bridge on --ima-list $T_DIR/ima-u.bin --ima-poll-ms 100"
# shellcheck disable=SC2086
if start_daemon "$T_DIR/unit.log" $UARGS; then
	check "User= with ambient capabilities: the daemon says it dropped them" \
		grep -q "running as uid $UID_D, gid $GID_D; the capabilities it started with are dropped" \
		"$T_DIR/unit.log"
	for task in /proc/"$DAEMON_PID"/task/*; do
		check_eq "User=: thread ${task##*/}: no capabilities (inh, prm, eff, amb), no_new_privs" \
			"0000000000000000 0000000000000000 0000000000000000 0000000000000000 1" \
			"$(awk '/^Cap(Inh|Prm|Eff|Amb):/ {printf "%s ", $2} /^NoNewPrivs:/ {n=$2}
				END {print n}' "$task/status")"
	done
	check "User=: PCR_Extend and log verify after the drop" sh -c \
		"TPM2TOOLS_TCTI=swtpm:host=127.0.0.1,port=$PORTU tpm2_pcrextend 9:sha256=$D &&
		 '$TOOL' --runtime-dir '$RTU' --rtmr-backend sim log verify"
	before=$(ima_records "$RTU")
	python3 tests/integration/ima_list.py write "$T_DIR/ima-u.bin" 1 --start 3 --append
	check "User=: the IMA bridge reads the root-only list it opened with CAP_DAC_OVERRIDE" \
		wait_ima_records "$RTU" $((before + 1))
	check "User=: SIGTERM: the daemon exits 0" stop_daemon
else
	fail "daemon start as vtpm-rtmr with ambient CAP_SYS_ADMIN CAP_DAC_OVERRIDE"
fi
# the forged case: the same user without the capabilities cannot open the root-only list
chmod 0711 "$T_DIR" # the user may pass through to its directory, and no more
install -d -m 0755 -o vtpm-rtmr -g vtpm-rtmr "$T_DIR/run-unit2"
check_fails "User= without AmbientCapabilities=: the root-only IMA list is refused" \
	timeout 20 setpriv --reuid vtpm-rtmr --regid vtpm-rtmr --clear-groups "$REAL_DAEMON" \
	--port "$(free_port_pair)" --runtime-dir "$T_DIR/run-unit2" --rtmr-backend sim \
	--ima-bridge on --ima-list "$T_DIR/ima-u.bin"
check "saying why" grep -q "cannot open $T_DIR/ima-u.bin: Permission denied" "$T_DIR/last.out"
DAEMON=$REAL_DAEMON

# refusals
check_fails "--runas an unknown user" timeout 20 "$DAEMON" --port "$(free_port_pair)" \
	--runtime-dir "$T_DIR/run-x" --rtmr-backend sim --runas no-such-user-here
check "names it" grep -q "runas no-such-user-here: no such user" "$T_DIR/last.out"
check_fails "--runas root" timeout 20 "$DAEMON" --port "$(free_port_pair)" \
	--runtime-dir "$T_DIR/run-x" --rtmr-backend sim --runas root
check "says why" grep -q "that is root" "$T_DIR/last.out"
check_fails "--runas by a user who is not root" timeout 20 setpriv --reuid nobody --regid nogroup \
	--clear-groups "$DAEMON" --port "$(free_port_pair)" --runtime-dir "$T_DIR/run-y" \
	--rtmr-backend sim --runas vtpm-rtmr
check "says only root can" grep -q "only root can become another user" "$T_DIR/last.out"
# shellcheck disable=SC2086
check_fails "a root daemon without --runas refuses vtpm-rtmr's directories" \
	timeout 20 "$DAEMON" --port "$(free_port_pair)" --runtime-dir "$RT" --state-dir "$STATE" \
	--rtmr-backend sim --ima-bridge off
check "naming the owner and the fix" grep -q "is owned by uid $UID_D.*chown it" "$T_DIR/last.out"

t_reliability runas "Least privilege (--runas)" <<'EOF'
Least privilege (`--runas`): after setup the daemon is the unprivileged user in every thread
with no capability; what it does afterwards works through what it holds. The VM suite runs
every case this way against the real vtpm_proxy driver (case a checks /proc there). Started
as the unit starts it (User=vtpm-rtmr, AmbientCapabilities=CAP_SYS_ADMIN CAP_DAC_OVERRIDE),
it drops those capabilities in every thread after setup.
EOF
t_done
