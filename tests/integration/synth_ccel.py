#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a synthetic TDX firmware CCEL (written here, independently of src/eventlog/).

    synth_ccel.py OUT [--padding N] [--sim-dir DIR] [--tag T]

OUT gets what TDVF leaves in the ACPI CCEL table: a TCG2 crypto-agile log with a
"Spec ID Event03" header naming SHA-384 alone, then events of MR index 1..3 (RTMR0..2;
RTMR3 is left to the OS) with SHA-384 digests of their data, and N bytes of 0xff padding
(the unused log area; default 0). Prints "rtmr<N> <hex>" for RTMR0..3: the replay of the
events from zero, what the registers hold when the firmware is done. With --sim-dir, also
writes those values as the sim backend's register files DIR/rtmr<N>:sha384 (48 raw bytes),
so a daemon started on them writes INIT records equal to the CCEL's final values.
--tag makes the events (and so the values) differ between runs.
"""
import argparse
import hashlib
import os
import struct

EV_SEPARATOR = 0x4
EV_PLATFORM_CONFIG_FLAGS = 0xA
EV_EFI_ACTION = 0x80000007
EV_EFI_HANDOFF_TABLES2 = 0x8000000B
SHA384 = 0x000C


def spec_id_header():
    body = b"Spec ID Event03\0" + struct.pack("<IBBBBI", 0, 0, 2, 0, 2, 1)
    body += struct.pack("<HH", SHA384, 48) + b"\0"   # one algorithm, no vendor info
    return struct.pack("<II", 0, 3) + b"\0" * 20 + struct.pack("<I", len(body)) + body


def event(mr, etype, data):
    digest = hashlib.sha384(data).digest()
    return (struct.pack("<IIIH", mr, etype, 1, SHA384) + digest +
            struct.pack("<I", len(data)) + data), digest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--padding", type=int, default=0)
    ap.add_argument("--sim-dir")
    ap.add_argument("--tag", default="")
    a = ap.parse_args()
    tag = a.tag.encode()
    events = [
        (1, EV_PLATFORM_CONFIG_FLAGS, b"td_hob" + tag),
        (1, EV_EFI_HANDOFF_TABLES2, bytes([9]) + b"ACPI DATA" + bytes(range(16))),
        (1, EV_EFI_ACTION, b"Calling EFI Application from Boot Option"),
        (2, EV_EFI_ACTION, b"Exit Boot Services Invocation" + tag),
        (1, EV_SEPARATOR, b"\0\0\0\0"),
        (2, EV_SEPARATOR, b"\0\0\0\0"),
        (3, EV_EFI_ACTION, b"kernel command line console=ttyS0" + tag),
    ]
    regs = [bytes(48) for _ in range(4)]
    log = spec_id_header()
    for mr, etype, data in events:
        raw, digest = event(mr, etype, data)
        log += raw
        regs[mr - 1] = hashlib.sha384(regs[mr - 1] + digest).digest()
    with open(a.out, "wb") as f:
        f.write(log + b"\xff" * a.padding)
    for i, v in enumerate(regs):
        print(f"rtmr{i} {v.hex()}")
        if a.sim_dir:
            os.makedirs(a.sim_dir, mode=0o700, exist_ok=True)
            with open(os.path.join(a.sim_dir, f"rtmr{i}:sha384"), "wb") as f:
                f.write(v)


if __name__ == "__main__":
    main()
