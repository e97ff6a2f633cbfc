#!/bin/bash
# SPDX-License-Identifier: MIT
# Re-capture the TPM frames that tests/unit/test_pcr_cmds.c embeds, printing "name hex" lines
# (the format of captured.txt) on stdout. Needs swtpm, tpm2-tools 5.x, python3, openssl, gcc
# and the tss2-esys development files. Nonces, HMACs and encrypted bytes differ on every run.
#   sh tests/unit/data/pcr_cmds/capture.sh [port] > /tmp/captured.txt
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
port=${1:-23310}
work=$(mktemp -d)
swtpm_pid=
cleanup() {
	[ -n "$swtpm_pid" ] && kill "$swtpm_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/state"
swtpm socket --tpm2 --server type=tcp,port="$port",bindaddr=127.0.0.1 \
	--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --tpmstate dir="$work/state" \
	--flags not-need-init,startup-clear &
swtpm_pid=$!
sleep 1
export TPM2TOOLS_TCTI=swtpm:host=127.0.0.1,port=$port

# run NAME CMD...: run a tool with the TCTI trace on, keep its command/response pairs.
run() {
	local name=$1
	shift
	TSS2_LOG=tcti+trace "$@" > /dev/null 2> "$work/$name.log" || true
	python3 "$here/extract_tcti_log.py" "$work/$name.log" > "$work/$name.frames"
}
# pick NAME CMD|RSP N LABEL: print the Nth command or response of run NAME as LABEL.
pick() {
	echo "$4 $(grep "^$2 " "$work/$1.frames" | sed -n "$3p" | cut -d' ' -f2)"
}
dgst() { printf '%s' "$2" | openssl dgst -"$1" -r | cut -d' ' -f1; }
# CMD_INIT (2) on the control channel: the TPM then wants TPM2_Startup again.
ctrl_init() {
	python3 -c 'import socket,struct,sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(struct.pack(">II", 2, 0)); s.recv(4)' $((port + 1))
}

printf 'vtpm-rtmr event' > "$work/small.bin"
head -c 1500 /dev/zero | tr '\0' a > "$work/big.bin"
gcc "$here/esys_pcr_extend.c" -o "$work/esys_pcr_extend" \
	$(pkg-config --cflags --libs tss2-esys tss2-tctildr)

run ext1 tpm2_pcrextend "16:sha256=$(dgst sha256 'vtpm-rtmr one bank')"
d1=$(dgst sha1 'vtpm-rtmr sha1 bank')
d256=$(dgst sha256 'vtpm-rtmr sha256 bank')
d384=$(dgst sha384 'vtpm-rtmr sha384 bank')
run ext3 tpm2_pcrextend "8:sha1=$d1,sha256=$d256,sha384=$d384"
run hmac "$work/esys_pcr_extend" "$(dgst sha256 'vtpm-rtmr hmac session')"
run ev tpm2_pcrevent 9 "$work/small.bin"
tpm2_startauthsession --hmac-session -S "$work/s.ctx" > /dev/null
tpm2_sessionconfig "$work/s.ctx" --enable-decrypt
run evenc tpm2_pcrevent -P "session:$work/s.ctx" 11 "$work/small.bin"
tpm2_flushcontext "$work/s.ctx"
run seq tpm2_pcrevent 10 "$work/big.bin"
run reset tpm2_pcrreset 16
run st tpm2_startup -c
ctrl_init
run st2 tpm2_startup -c
run sd tpm2_shutdown
ctrl_init
run st3 tpm2_startup

echo "# name hex: written by capture.sh (tpm2-tools 5.4, tpm2-tss 3.2.1, swtpm 0.7.1," \
	"libtpms 0.9.2); test_pcr_cmds.c embeds these bytes."
pick ext1 CMD 1 extend_1bank_cmd
pick ext1 RSP 1 extend_pw_rsp
pick ext3 CMD 1 extend_3banks_cmd
pick ext3 RSP 1 extend_3banks_rsp
pick hmac CMD 1 start_hmac_session_cmd
pick hmac RSP 1 start_hmac_session_rsp
pick hmac CMD 2 extend_hmac_cmd
pick hmac RSP 2 extend_hmac_rsp
pick hmac CMD 3 flush_context_cmd
pick ev CMD 1 get_capability_cmd
pick ev CMD 3 event_cmd
pick ev RSP 3 event_rsp
pick evenc CMD 2 event_decrypt_cmd
pick evenc RSP 2 event_decrypt_rsp
pick seq CMD 3 hash_sequence_start_cmd
pick seq RSP 4 sequence_update_rsp
pick seq CMD 5 sequence_complete_cmd
pick seq RSP 5 sequence_complete_rsp
pick reset CMD 1 reset_cmd
pick reset RSP 1 reset_rsp
pick st CMD 1 startup_clear_cmd
pick st RSP 1 startup_initialize_rsp
pick st2 RSP 1 startup_ok_rsp
pick sd CMD 1 shutdown_state_cmd
pick st3 CMD 1 startup_state_cmd
pick st3 RSP 1 startup_state_rsp

# The Linux kernel's PCR_Extend before 6.10 (tpm2_pcr_extend(): password session, one
# TPMT_HA per allocated bank), laid out by hand and sent on the data channel.
python3 - "$port" <<'PY'
import hashlib, socket, struct, sys
text = b"vtpm-rtmr kernel ima"
body = struct.pack(">I", 10) + struct.pack(">IIHBH", 9, 0x40000009, 0, 0, 0)
body += struct.pack(">I", 2)
for alg, name in ((0x0004, "sha1"), (0x000b, "sha256")):
    body += struct.pack(">H", alg) + hashlib.new(name, text).digest()
cmd = struct.pack(">HII", 0x8002, 10 + len(body), 0x182) + body
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(cmd)
print("kernel_pre610_extend_cmd", cmd.hex())
print("kernel_pre610_extend_rsp", s.recv(4096).hex())
PY
