#!/usr/bin/env python3
"""Make tampered and forged copies of an evidence document for the verifier's negative tests.
Everything an attacker could hand a verifier; written without the project's code.

usage: evidence_tamper.py IN OUT WHAT [ARG...]
  alter-record          change one digit of the last 'vtpm extend' record of the RTMR2 log
  remove-record         drop the last 'vtpm extend' record of the RTMR2 log
  swap-records          swap the two last 'vtpm extend' records of the RTMR2 log
  flip-quote N          flip one bit of TEE quote byte N
  swap-ek FILE          replace ekPublic with the TPMT_PUBLIC bytes in FILE
  requote-ek FILE MNT   the same, and a fresh TEE quote over SHA-512(nonce || that EK) from the
                        configfs-tsm report directory MNT (what software in the TD can get)
  drop-log N            leave out the log of RTMR N
  splice-tpm FILE       take akPublic and tpmQuote from the evidence FILE (another instance's
                        AK, or a quote made at another time or for another nonce)
  tpm2-quote MSG SIG V  take tpmQuote from tpm2_quote's -m and -s files, the quoted values
                        given as V = "pcr:alg:hex,..." (the daemon's AK, another selection)
  openssl-ak KEY ATTRS  a TPMS_ATTEST made by hand over the evidence's own PCR values and
                        nonce, signed with the RSA key KEY (PEM) by openssl; akPublic a
                        TPMT_PUBLIC of that key claiming ATTRS (comma-separated names)
  alter-pcr             change one byte of the first listed PCR value
  clean-history N       in the RTMR N log, drop every vtpm extend record before the first SYNC
                        (a clean history the SYNC hides from the RTMR replay)
"""
import base64
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

ALGS = {"sha1": (0x0004, 20), "sha256": (0x000B, 32), "sha384": (0x000C, 48),
        "sha512": (0x000D, 64)}
ATTR_BITS = {"fixedTPM": 1 << 1, "fixedParent": 1 << 4, "sensitiveDataOrigin": 1 << 5,
             "userWithAuth": 1 << 6, "restricted": 1 << 16, "decrypt": 1 << 17,
             "sign": 1 << 18}


def b64(data):
    return base64.b64encode(data).decode()


def unb64(text):
    return base64.b64decode(text)


def log_of(doc, rtmr):
    return [l for l in doc["logs"] if l["rtmr"] == rtmr][0]


def extend_lines(lines):
    return [i for i, l in enumerate(lines) if l.startswith("vtpm extend ")]


def edit_log(doc, rtmr, fn):
    log = log_of(doc, rtmr)
    lines = log["log"].split("\n")  # the last element is "" after the final LF
    fn(lines)
    log["log"] = "\n".join(lines)


def tb(data):  # TPM2B
    return struct.pack(">H", len(data)) + data


def selection(values):
    """TPML_PCR_SELECTION of the listed values (banks in the order first seen)."""
    banks = []
    for v in values:
        if v["hashAlg"] not in [b[0] for b in banks]:
            banks.append((v["hashAlg"], bytearray(3)))
        sel = [b for b in banks if b[0] == v["hashAlg"]][0][1]
        sel[v["pcr"] // 8] |= 1 << (v["pcr"] % 8)
    out = struct.pack(">I", len(banks))
    for name, sel in banks:
        out += struct.pack(">HB", ALGS[name][0], 3) + bytes(sel)
    return out


def tpms_attest(nonce, values):
    digest = hashlib.sha256(b"".join(bytes.fromhex(v["value"]) for v in values)).digest()
    return (struct.pack(">IH", 0xFF544347, 0x8018) + tb(b"\x00\x0b" + b"\x11" * 32) +
            tb(nonce) + struct.pack(">QIIB", 1000, 1, 0, 1) + struct.pack(">Q", 0x20191023) +
            selection(values) + tb(digest))


def rsa_public(key, attrs):
    out = subprocess.run(["openssl", "rsa", "-in", key, "-noout", "-modulus"], check=True,
                         capture_output=True, text=True).stdout
    n = bytes.fromhex(out.strip().split("=", 1)[1])
    bits = 0
    for a in attrs.split(","):
        bits |= ATTR_BITS[a]
    return (struct.pack(">HHI", 0x0001, 0x000B, bits) + tb(b"") +
            struct.pack(">HHHHI", 0x0010, 0x0014, 0x000B, 2048, 0) + tb(n))


def openssl_ak(doc, key, attrs):
    msg = tpms_attest(bytes.fromhex(doc["nonce"]), doc["tpmQuote"]["pcrs"])
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "m"), "wb").write(msg)
        subprocess.run(["openssl", "dgst", "-sha256", "-sign", key, "-out",
                        os.path.join(d, "s"), os.path.join(d, "m")], check=True)
        sig = open(os.path.join(d, "s"), "rb").read()
    doc["akPublic"] = b64(rsa_public(key, attrs))
    doc["tpmQuote"]["attest"] = b64(msg)
    doc["tpmQuote"]["signature"] = b64(struct.pack(">HH", 0x0014, 0x000B) + tb(sig))


def tee_quote(mnt, report_data):
    entry = os.path.join(mnt, "forge%d" % os.getpid())
    os.mkdir(entry)
    try:
        open(os.path.join(entry, "inblob"), "wb").write(report_data)
        return open(os.path.join(entry, "outblob"), "rb").read()
    finally:
        os.rmdir(entry)


def clean_history(lines):
    sync = [i for i, l in enumerate(lines) if l.startswith("SYNC ")][0]
    lines[:] = [l for i, l in enumerate(lines) if i >= sync or not l.startswith("vtpm extend")]


def main():
    src, dst, what = sys.argv[1:4]
    arg = sys.argv[4:]
    doc = json.load(open(src))
    if what == "alter-record":
        def alter(lines):
            i = extend_lines(lines)[-1]
            lines[i] = lines[i][:-1] + ("0" if lines[i][-1] != "0" else "1")
        edit_log(doc, 2, alter)
    elif what == "remove-record":
        edit_log(doc, 2, lambda lines: lines.pop(extend_lines(lines)[-1]))
    elif what == "swap-records":
        def swap(lines):
            a, b = extend_lines(lines)[-2:]
            lines[a], lines[b] = lines[b], lines[a]
        edit_log(doc, 2, swap)
    elif what == "flip-quote":
        q = bytearray(unb64(doc["quote"]))
        q[int(arg[0])] ^= 0x01
        doc["quote"] = b64(bytes(q))
    elif what in ("swap-ek", "requote-ek"):
        ek = open(arg[0], "rb").read()
        doc["ekPublic"] = b64(ek)
        if what == "requote-ek":
            rd = hashlib.sha512(bytes.fromhex(doc["nonce"]) + ek).digest()
            doc["quote"] = b64(tee_quote(arg[1], rd))
            doc["reportData"] = rd.hex()
    elif what == "drop-log":
        doc["logs"] = [l for l in doc["logs"] if l["rtmr"] != int(arg[0])]
    elif what == "splice-tpm":
        other = json.load(open(arg[0]))
        doc["akPublic"] = other["akPublic"]
        doc["tpmQuote"] = other["tpmQuote"]
    elif what == "tpm2-quote":
        values = [{"pcr": int(p), "hashAlg": a, "value": h}
                  for p, a, h in (v.split(":") for v in arg[2].split(","))]
        doc["tpmQuote"] = {"attest": b64(open(arg[0], "rb").read()),
                           "signature": b64(open(arg[1], "rb").read()), "pcrs": values}
    elif what == "openssl-ak":
        openssl_ak(doc, arg[0], arg[1])
    elif what == "alter-pcr":
        v = doc["tpmQuote"]["pcrs"][0]
        v["value"] = ("%02x" % (int(v["value"][:2], 16) ^ 1)) + v["value"][2:]
    elif what == "clean-history":
        edit_log(doc, int(arg[0]), clean_history)
    else:
        sys.exit("unknown tampering " + what)
    json.dump(doc, open(dst, "w"), indent=1)


if __name__ == "__main__":
    main()
