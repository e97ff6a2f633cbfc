#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Print "CMD <hex>" / "RSP <hex>" for every command and response in a log written by the
# tpm2-tss swtpm TCTI under TSS2_LOG=tcti+trace (tpm2-tss 3.2: "socket_xmit_buf() Writing"
# and "Response received:" each followed by a hex dump).
import re
import sys


def dump(lines, i):
    out = b""
    while i < len(lines) and re.match(r"^[0-9a-f]{4}: ", lines[i]):
        out += bytes.fromhex(lines[i][6:38].replace(" ", ""))
        i += 1
    return out


def main(path):
    lines = open(path).read().split("\n")
    for i, line in enumerate(lines):
        if "socket_xmit_buf() Writing" in line:
            print("CMD", dump(lines, i + 1).hex())
        elif "Response received:" in line:
            print("RSP", dump(lines, i + 1).hex())


if __name__ == "__main__":
    main(sys.argv[1])
