#!/usr/bin/env python3
"""Send a stream of TPM2_PCR_Extend commands (sha256 + sha384 digests, unique per command)
over one persistent swtpm data connection and record which were acknowledged.

usage: extend_stream.py PORT PCR COUNT OUT_JSON [--tag T]
  COUNT 0 = until the connection drops or the process is killed (the record file is
  rewritten after every command so a kill loses nothing).
OUT_JSON: {"acked": [sha256 hex...], "failed": [[index, rc]...], "first_failure": i|null}
"""
import hashlib
import json
import os
import socket
import struct
import sys

PORT, PCR, COUNT, OUT = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
TAG = sys.argv[sys.argv.index("--tag") + 1] if "--tag" in sys.argv else str(os.getpid())


def extend_cmd(pcr, d256, d384):
    auth = struct.pack(">IHBH", 0x40000009, 0, 0, 0)
    body = struct.pack(">I", pcr) + struct.pack(">I", len(auth)) + auth
    body += struct.pack(">I", 2) + struct.pack(">H", 0x000B) + d256 + struct.pack(">H", 0x000C) + d384
    return struct.pack(">HII", 0x8002, 10 + len(body), 0x182) + body


def recv_response(s):
    data = b""
    while len(data) < 10:
        chunk = s.recv(4096)
        if not chunk:
            return None
        data += chunk
    size = struct.unpack(">I", data[2:6])[0]
    while len(data) < size:
        chunk = s.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data


def save(state):
    tmp = OUT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(state, f)
    os.replace(tmp, OUT)


def main():
    state = {"acked": [], "failed": [], "first_failure": None}
    s = socket.create_connection(("127.0.0.1", PORT), timeout=30)
    save(state)  # connected: callers may wait for the file
    i = 0
    while COUNT == 0 or i < COUNT:
        seed = f"{TAG}-{i}".encode()
        d256, d384 = hashlib.sha256(seed).digest(), hashlib.sha384(seed).digest()
        try:
            s.sendall(extend_cmd(PCR, d256, d384))
            rsp = recv_response(s)
        except OSError:
            rsp = None
        if rsp is None:
            break
        rc = struct.unpack(">I", rsp[6:10])[0]
        if rc == 0:
            state["acked"].append(d256.hex())
        else:
            state["failed"].append([i, rc])
            if state["first_failure"] is None:
                state["first_failure"] = i
        save(state)
        i += 1
    save(state)


if __name__ == "__main__":
    main()
