#!/usr/bin/env python3
"""A raw client of vtpm-rtmrd's swtpm socket transport, for the side-door tests.

tpm2-tools' swtpm TCTI puts the locality back to 0 for every command; this client does not:
CMD_SET_LOCALITY on the control channel stays in force for the commands it sends next on the
data channel, as with any swtpm client. It runs the operations given, in order, and prints one
line per operation: "<op> 0x<result>" (a TPM response code for TPM commands, the control
channel's result for control messages). Exit 0 unless a connection failed.

usage: raw_tpm.py PORT OP...
  loc:N                  CMD_SET_LOCALITY N
  init | init-delete     CMD_INIT (with DELETE_VOLATILE)
  stop                   CMD_STOP
  hash-start | hash-end  CMD_HASH_START / CMD_HASH_END (swtpm's H-CRTM interface)
  hash-data:HEX          CMD_HASH_DATA
  startup:clear|state    TPM2_Startup
  shutdown:clear|state   TPM2_Shutdown
  extend:PCR:ALG=HEX[,ALG=HEX...]   TPM2_PCR_Extend
  event:PCR:HEX          TPM2_PCR_Event with the bytes HEX
  seq:PCR:HEX            HashSequenceStart(event) + SequenceUpdate(first half) +
                         EventSequenceComplete(second half)
  reset:PCR              TPM2_PCR_Reset
  getrandom              TPM2_GetRandom(8)
"""
import socket
import struct
import sys

HOST = "127.0.0.1"
ALGS = {"sha1": 0x04, "sha256": 0x0B, "sha384": 0x0C, "sha512": 0x0D}
PW_SESSION = struct.pack(">IHBH", 0x40000009, 0, 0, 0)  # TPM_RS_PW, empty
CTRL = {"init": 2, "stop": 0x0E, "loc": 5, "hash-start": 6, "hash-data": 7, "hash-end": 8}


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def transact(port, cmd):
    with socket.create_connection((HOST, port), timeout=10) as s:
        s.sendall(cmd)
        hdr = recv_exact(s, 10)
        if len(hdr) < 10:
            raise OSError("short response header")
        size = struct.unpack(">I", hdr[2:6])[0]
        return hdr + recv_exact(s, size - 10)


def ctrl(port, payload):
    with socket.create_connection((HOST, port + 1), timeout=10) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        return recv_exact(s, 4)


def command(cc, body, handles=b"", sessions=None):
    """A command frame: sessions is a list of authorization sessions or None (no tag 8002)."""
    if sessions is None:
        tag, auth = 0x8001, b""
    else:
        area = b"".join(sessions)
        tag, auth = 0x8002, struct.pack(">I", len(area)) + area
    rest = handles + auth + body
    return struct.pack(">HII", tag, 10 + len(rest), cc) + rest


def rc_of(rsp):
    return struct.unpack(">I", rsp[6:10])[0]


def tpm2b(data):
    return struct.pack(">H", len(data)) + data


def extend(pcr, spec):
    digests = b""
    items = spec.split(",")
    for item in items:
        alg, hexval = item.split("=")
        digests += struct.pack(">H", ALGS[alg]) + bytes.fromhex(hexval)
    body = struct.pack(">I", len(items)) + digests
    return command(0x182, body, struct.pack(">I", pcr), [PW_SESSION])


def sequence(port, pcr, data):
    """EventSequenceComplete of data; returns the last response."""
    rsp = transact(port, command(0x186, tpm2b(b"") + struct.pack(">H", 0x10)))
    if rc_of(rsp) != 0:
        return rsp
    handle = struct.unpack(">I", rsp[10:14])[0]
    half = len(data) // 2  # each part at most MAX_DIGEST_BUFFER (1024) bytes
    rsp = transact(port, command(0x15C, tpm2b(data[:half]), struct.pack(">I", handle),
                                 [PW_SESSION]))
    if rc_of(rsp) != 0:
        return rsp
    rsp = transact(port, command(0x185, tpm2b(data[half:]), struct.pack(">II", pcr, handle),
                                 [PW_SESSION, PW_SESSION]))
    if rc_of(rsp) != 0:  # the sequence is still loaded: free its slot for the next one
        transact(port, command(0x165, struct.pack(">I", handle)))
    return rsp


def su(word):
    return struct.pack(">H", {"clear": 0, "state": 1}[word])


def run(port, op):
    name, _, arg = op.partition(":")
    if name == "loc":
        return ctrl(port, struct.pack(">IB", CTRL["loc"], int(arg)))
    if name in ("init", "init-delete"):
        return ctrl(port, struct.pack(">II", CTRL["init"], 1 if name == "init-delete" else 0))
    if name in ("stop", "hash-start", "hash-end"):
        return ctrl(port, struct.pack(">I", CTRL[name]))
    if name == "hash-data":
        data = bytes.fromhex(arg)
        return ctrl(port, struct.pack(">II", CTRL[name], len(data)) + data)
    if name == "startup":
        return transact(port, command(0x144, su(arg)))
    if name == "shutdown":
        return transact(port, command(0x145, su(arg)))
    if name == "getrandom":
        return transact(port, command(0x17B, struct.pack(">H", 8)))
    pcr, _, rest = arg.partition(":")
    pcr = int(pcr)
    if name == "extend":
        return transact(port, extend(pcr, rest))
    if name == "event":
        return transact(port, command(0x13C, tpm2b(bytes.fromhex(rest)),
                                      struct.pack(">I", pcr), [PW_SESSION]))
    if name == "seq":
        return sequence(port, pcr, bytes.fromhex(rest))
    if name == "reset":
        return transact(port, command(0x13D, b"", struct.pack(">I", pcr), [PW_SESSION]))
    raise SystemExit(f"raw_tpm.py: unknown operation {op}")


def main():
    port = int(sys.argv[1])
    for op in sys.argv[2:]:
        name = op.split(":")[0]
        rsp = run(port, op)
        if name in CTRL or name == "init-delete":
            code = struct.unpack(">I", rsp[:4])[0] if len(rsp) == 4 else None
        else:
            code = rc_of(rsp)
        print(f"{op} " + ("closed" if code is None else f"0x{code:x}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
