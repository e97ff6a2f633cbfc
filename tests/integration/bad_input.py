#!/usr/bin/env python3
"""Malformed input on vtpm-rtmrd's swtpm data and control channels.

After every case the daemon must still answer a well-formed command from a new client.
Prints PASS/FAIL lines; exits 1 on any failure. Usage: bad_input.py PORT
"""
import os
import socket
import struct
import sys
import time

HOST = "127.0.0.1"
PORT = int(sys.argv[1])
CTRL = PORT + 1
failures = 0
passes = 0

GETRANDOM = struct.pack(">HIIH", 0x8001, 12, 0x17B, 8)
STARTUP_CLEAR = struct.pack(">HIIH", 0x8001, 12, 0x144, 0)


def result(ok, name, detail=""):
    global failures, passes
    if ok:
        passes += 1
        print(f"PASS: bad_input: {name}")
    else:
        failures += 1
        print(f"FAIL: bad_input: {name} {detail}")


def connect(port):
    s = socket.create_connection((HOST, port), timeout=5)
    return s


def recv_all(s, want=None, timeout=5):
    s.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = s.recv(8192)
            if not chunk:
                break
            data += chunk
            if want is not None and len(data) >= want:
                break
    except socket.timeout:
        pass
    return data


def tpm_rc(rsp):
    if len(rsp) < 10:
        return None
    return struct.unpack(">HII", rsp[:10])[2]


def transact(cmd):
    with connect(PORT) as s:
        s.sendall(cmd)
        hdr = recv_all(s, 10)
        if len(hdr) < 10:
            return hdr
        size = struct.unpack(">I", hdr[2:6])[0]
        rest = recv_all(s, size - len(hdr)) if size > len(hdr) else b""
        return hdr + rest


def still_serving(name):
    rsp = transact(GETRANDOM)
    result(tpm_rc(rsp) == 0 and len(rsp) == 10 + 2 + 8,
           f"{name}: daemon serves the next client", rsp.hex())


def ctrl(payload, want=None):
    with connect(CTRL) as s:
        s.sendall(payload)
        return recv_all(s, want)


def data_case(name, payload, expect_rc=None, close_after=True):
    with connect(PORT) as s:
        if payload:
            s.sendall(payload)
        if close_after and expect_rc is None:
            s.shutdown(socket.SHUT_WR)
        rsp = recv_all(s, 10, timeout=3)
    if expect_rc is not None:
        result(tpm_rc(rsp) == expect_rc, f"{name}: answered 0x{expect_rc:x}", rsp.hex())
    else:
        result(len(rsp) == 0, f"{name}: connection closed without a response", rsp.hex())
    still_serving(name)


def main():
    data_case("empty connection", b"")
    data_case("truncated header", GETRANDOM[:5])
    data_case("size larger than the data, then disconnect",
              struct.pack(">HII", 0x8001, 100, 0x17B) + b"\0" * 10)
    data_case("size over 4096", struct.pack(">HII", 0x8001, 5000, 0x17B), expect_rc=0x142)
    data_case("size under 10", struct.pack(">HII", 0x8001, 4, 0x17B), expect_rc=0x142)
    data_case("bad tag", struct.pack(">HIIH", 0x1234, 12, 0x17B, 8), expect_rc=0x1E)
    data_case("random bytes", bytes.fromhex("c0ffee") + os.urandom(61) + b"\x80\x01",
              expect_rc=0x1E)
    data_case("unknown command code",
              struct.pack(">HII", 0x8001, 10, 0x7777), expect_rc=0x143)

    # a command split over several sends arrives whole
    with connect(PORT) as s:
        for b in GETRANDOM:
            s.sendall(bytes([b]))
            time.sleep(0.01)
        rsp = recv_all(s, 20)
    result(tpm_rc(rsp) == 0 and len(rsp) == 20, "command sent byte by byte is answered")

    # a client that stalls mid-command does not block others
    stalled = connect(PORT)
    stalled.sendall(GETRANDOM[:7])
    still_serving("stalled client holding half a command")
    stalled.close()

    # one persistent connection, many commands
    ok = True
    with connect(PORT) as s:
        for _ in range(50):
            s.sendall(GETRANDOM)
            rsp = recv_all(s, 20)
            ok &= tpm_rc(rsp) == 0 and len(rsp) == 20
    result(ok, "50 commands on one persistent connection")

    # two commands in one send on a persistent connection
    with connect(PORT) as s:
        s.sendall(GETRANDOM + GETRANDOM)
        rsp = recv_all(s, 40)
    result(len(rsp) == 40 and tpm_rc(rsp[:20]) == 0 and tpm_rc(rsp[20:]) == 0,
           "two pipelined commands both answered")

    # control channel
    caps = ctrl(struct.pack(">I", 1), 8)
    bits = struct.unpack(">Q", caps)[0] if len(caps) == 8 else 0
    result(len(caps) == 8 and bits & 1 and bits & (1 << 3) and bits & (1 << 10),
           "GET_CAPABILITY lists INIT, SET_LOCALITY, STOP", caps.hex())
    rsp = ctrl(struct.pack(">I", 0x99), 4)
    result(rsp == struct.pack(">I", 0x0A), "unknown control command: TPM_BAD_ORDINAL", rsp.hex())
    rsp = ctrl(struct.pack(">IB", 5, 5), 4)
    result(rsp == struct.pack(">I", 0x3D), "SET_LOCALITY 5: TPM_BAD_LOCALITY", rsp.hex())
    rsp = ctrl(struct.pack(">IB", 5, 0), 4)
    result(rsp == struct.pack(">I", 0), "SET_LOCALITY 0: success", rsp.hex())
    rsp = ctrl(struct.pack(">I", 4), 8)
    result(len(rsp) == 8 and rsp[:4] == b"\0\0\0\0", "GET_TPMESTABLISHED", rsp.hex())
    rsp = ctrl(struct.pack(">II", 0x11, 0), 16)
    ok = len(rsp) == 16 and rsp[:4] == b"\0\0\0\0"
    size, mn, mx = struct.unpack(">III", rsp[4:16]) if ok else (0, 0, 0)
    result(ok and mn <= size <= mx <= 4096, "SET_BUFFERSIZE query", rsp.hex())
    rsp = ctrl(struct.pack(">IQII", 0x12, 1, 0, 0))
    ok = len(rsp) > 12 and rsp[:4] == b"\0\0\0\0"
    result(ok and b"TPMSpecification" in rsp[12:], "GET_INFO returns libtpms' JSON", rsp[:16].hex())
    rsp = ctrl(struct.pack(">I", 9), 4)
    result(len(rsp) == 4, "CANCEL_TPM_CMD answered", rsp.hex())
    rsp = ctrl(struct.pack(">I", 2) + b"\0\0", None)
    result(len(rsp) == 0, "INIT with a short payload, then disconnect: closed", rsp.hex())
    rsp = ctrl(os.urandom(3), None)
    result(len(rsp) == 0, "3 random bytes on control, then disconnect: closed", rsp.hex())
    still_serving("control channel garbage")

    # CMD_STOP: the TPM stops answering; CMD_INIT + Startup(CLEAR) bring it back
    rsp = ctrl(struct.pack(">I", 0x0E), 4)
    result(rsp == b"\0\0\0\0", "STOP", rsp.hex())
    rsp = transact(GETRANDOM)
    result(tpm_rc(rsp) == 0x101, "stopped TPM answers TPM_RC_FAILURE", rsp.hex())
    rsp = ctrl(struct.pack(">II", 2, 1), 4)
    result(rsp == b"\0\0\0\0", "INIT with DELETE_VOLATILE", rsp.hex())
    rsp = transact(GETRANDOM)
    result(tpm_rc(rsp) == 0x100, "re-initialized TPM wants Startup (TPM_RC_INITIALIZE)", rsp.hex())
    rsp = transact(STARTUP_CLEAR)
    result(tpm_rc(rsp) == 0, "Startup(CLEAR) after INIT", rsp.hex())
    still_serving("INIT and Startup")

    rsp = ctrl(struct.pack(">I", 3), 4)
    result(rsp == b"\0\0\0\0", "SHUTDOWN answered", rsp.hex())
    print(f"bad_input: {passes} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
