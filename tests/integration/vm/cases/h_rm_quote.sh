# Case h: keys, sessions and a quote through the kernel's resource manager (/dev/tpmrmN), which
# context-saves every transient object and session after each command (ContextSave/ContextLoad/
# FlushContext: paths the socket transport tests never take), and NV through /dev/tpmN.

load_modules >"$T_DIR/modules.out" 2>&1 || { fail "loading the kernel modules"; show "$T_DIR/modules.out"; }
check_daemon_start "daemon start" "$T_DIR/start.out" || return 1
cd "$T_DIR" || return 1
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
check "tpm2_createek (policy session, through the RM)" t2 tpm2_createek -c ek.ctx -G rsa -u ek.pub
check "tpm2_createak" t2 tpm2_createak -C ek.ctx -c ak.ctx -G rsa -g sha256 -s rsassa -u ak.pub -f pem -n ak.name
check "tpm2_pcrextend 14" t2 tpm2_pcrextend "14:sha256=$(hexof quote-me sha256)"
check "tpm2_quote sha256:8,14 with the AK" t2 tpm2_quote -c ak.ctx -l sha256:8,14 -q abcdef01 \
	-m quote.msg -s quote.sig -o quote.pcrs -g sha256
check "tpm2_checkquote" t2 tpm2_checkquote -u ak.pub -m quote.msg -s quote.sig -f quote.pcrs \
	-g sha256 -q abcdef01
check "tpm2_createprimary + create + load (three transient objects)" sh -c \
	"timeout $TPM_TIMEOUT tpm2_createprimary -C o -c prim.ctx && \
	 timeout $TPM_TIMEOUT tpm2_create -C prim.ctx -u k.pub -r k.priv && \
	 timeout $TPM_TIMEOUT tpm2_load -C prim.ctx -u k.pub -r k.priv -c k.ctx"
export TPM2TOOLS_TCTI="device:$TPM_DEV"
check "no transient objects left in the TPM (the RM flushed them)" sh -c \
	"[ -z \"\$(timeout $TPM_TIMEOUT tpm2_getcap handles-transient)\" ]"
check "tpm2_nvdefine/nvwrite/nvread through $TPM_DEV" sh -c \
	"timeout $TPM_TIMEOUT tpm2_nvdefine 0x1500016 -C o -s 32 -a 'ownerread|ownerwrite' && \
	 printf 0123456789abcdef0123456789abcdef >nv.in && \
	 timeout $TPM_TIMEOUT tpm2_nvwrite 0x1500016 -C o -i nv.in && \
	 timeout $TPM_TIMEOUT tpm2_nvread 0x1500016 -C o -s 32 -o nv.out && cmp nv.in nv.out"
check "tpm2_getrandom 64 through $TPM_DEV" t2 tpm2_getrandom 64 -o rand.bin
check_eq "64 random bytes" 64 "$(wc -c <rand.bin | tr -d ' ')"
export TPM2TOOLS_TCTI="device:$TPMRM_DEV"
verify_all "after the quote"
check_no_tpm_errors "keys, sessions, quote"
cd /
check "SIGTERM: the daemon exits 0" daemon_stop
check "the daemon logged no errors" sh -c "! grep -iE 'error|fail' $DAEMON_LOG"
