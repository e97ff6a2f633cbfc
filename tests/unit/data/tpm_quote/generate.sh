#!/bin/sh
# Regenerate the tpm_quote fixtures with swtpm and tpm2-tools (see README.txt).
# Usage: sh generate.sh [OUTDIR]   (default: the directory of this script)
set -eu
out=$(cd "${1:-$(dirname "$0")}" && pwd)
work=$(mktemp -d)
state=$(mktemp -d)
port=$(python3 -c 'import socket
for p in range(23000, 24000, 2):
    a, b = socket.socket(), socket.socket()
    try:
        a.bind(("127.0.0.1", p)); b.bind(("127.0.0.1", p + 1)); print(p); break
    except OSError: pass
    finally: a.close(); b.close()')
swtpm socket --tpm2 --server type=tcp,port=$port,bindaddr=127.0.0.1 \
	--ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 --tpmstate dir="$state" \
	--flags not-need-init,startup-clear --pid file="$work/swtpm.pid" --daemon
trap 'kill "$(cat "$work/swtpm.pid")" 2>/dev/null || true; rm -rf "$work" "$state"' EXIT
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
cd "$work"
flush() { tpm2_flushcontext -t; tpm2_flushcontext -s; }

# PCR 8 extended in sha1 and sha256, PCR 9 in sha256, PCR 16 in sha1; PCR 0 stays all zero.
tpm2_pcrextend 8:sha1=$(printf a | sha1sum | cut -c1-40),sha256=$(printf a | sha256sum | cut -c1-64)
tpm2_pcrextend 9:sha256=$(printf b | sha256sum | cut -c1-64)
tpm2_pcrextend 16:sha1=$(printf c | sha1sum | cut -c1-40)

tpm2_createek -c ek.ctx -G rsa -u ek.pub
flush
# name: key type, scheme, scheme hash
mkak() {
	tpm2_createak -C ek.ctx -c "$1.ctx" -G "$2" -s "$3" -g "$4" -u "$out/$1.pub" -n "$1.name"
	flush
	tpm2_readpublic -c "$1.ctx" -f pem -o "$out/$1.pem" >/dev/null
	flush
}
mkak ak_rsa rsa rsassa sha256
mkak ak_ecc ecc ecdsa sha384
mkak ak_pss rsa rsapss sha256

# name, AK, selection, hash, nonce[, tpm2_quote options]
quote() {
	tpm2_quote -c "$2.ctx" -l "$3" -g "$4" -q "$5" -m "$out/$1.msg" -s "$out/$1.sig" \
		-o "$out/$1.pcrs" ${6:-} >/dev/null
	flush
	if [ -z "${6:-}" ]; then
		tpm2_checkquote -u "$out/$2.pem" -m "$out/$1.msg" -s "$out/$1.sig" \
			-f "$out/$1.pcrs" -g "$4" -q "$5" >/dev/null
	else
		# tpm2_checkquote 5.4 verifies RSA signatures as PKCS#1 v1.5 only: check the
		# RSASSA-PSS one (salt length = digest length, as libtpms signs) with openssl.
		tail -c 256 "$out/$1.sig" >pss.sig
		openssl dgst -"$4" -binary "$out/$1.msg" >pss.dgst
		openssl pkeyutl -verify -pubin -inkey "$out/$2.pem" -in pss.dgst -sigfile pss.sig \
			-pkeyopt digest:"$4" -pkeyopt rsa_padding_mode:pss \
			-pkeyopt rsa_pss_saltlen:digest >/dev/null
	fi
}
quote quote_rsa ak_rsa sha256:0,8,9 sha256 00112233445566778899aabbccddeeff
quote quote_ecc ak_ecc sha1:0,8,16+sha256:0,8,9 sha384 \
	0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20
quote quote_pss ak_pss sha256:9 sha256 cafe "--scheme rsapss"
echo "fixtures written to $out"
