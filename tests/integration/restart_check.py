#!/usr/bin/env python3
"""Helpers of test_restart.sh, written without the project's code (DESIGN.md "Restart").

usage: restart_check.py WHAT ARG...
  pcr-after ALG HEX...        the PCR value (hex) after extending a zero PCR of bank ALG with
                              each digest HEX in turn
  markers LOG                 every "restart, not restored" marker in LOG is the documented
                              digest: per bank H("vtpm-rtmr restart, not restored" || R), R the
                              register after the vtpm ak record that ends the group before it;
                              prints how many markers (one per PCR the map names), exit 1 if
                              one is wrong or none is there
  forge-restart LOG REG EK    append "vtpm restart", the last group's map, "vtpm ek
                              sha256/EK", its ak, as a foreign writer could, and extend the sim
                              register file REG with each (the register still explains the log)
  edit LOG PCR                change one hex digit of the last vtpm extend record of PCR in LOG
  truncate LOG                drop the last record of LOG
"""
import hashlib
import sys

MARKER = b"vtpm-rtmr restart, not restored"


def pcr_after(alg, digests):
    v = bytes(hashlib.new(alg).digest_size)
    for d in digests:
        v = hashlib.new(alg, v + bytes.fromhex(d)).digest()
    return v.hex()


def records(path):
    for raw in open(path, "rb").read().split(b"\n"):
        if raw and not raw.startswith(b"#"):
            yield raw


def markers(path):
    """Check the marker records that follow each startup clear group."""
    reg = None
    after_group = None  # R: the register after the group's ak record
    found = 0
    bad = 0
    expect_map = set()
    for raw in records(path):
        words = raw.decode().split(" ")
        if words[0] in ("INIT", "SYNC"):
            reg = bytes.fromhex(words[1].split("/")[1])
        reg = hashlib.sha384(reg + hashlib.sha384(raw).digest()).digest()
        if words[:2] == ["vtpm", "map"]:
            expect_map = set() if words[2] == "none" else {int(p) for p in words[2].split(",")}
        if words[:2] == ["vtpm", "ak"]:
            after_group, r_value = reg, reg
            continue
        if words[:2] == ["vtpm", "extend"] and after_group is not None:
            pcr = int(words[2])
            ok = True
            for d in words[3:]:
                alg, hexval = d.split("/")
                if hashlib.new(alg, MARKER + r_value).hexdigest() != hexval:
                    ok = False
            if ok:
                found += 1
                expect_map.discard(pcr)
                continue
        after_group = None
    if found == 0 or expect_map:
        print(f"markers: {found}, PCRs of the map without one: {sorted(expect_map)}")
        bad = 1
    else:
        print(found)
    return bad


def extend_reg(reg_path, line):
    with open(reg_path, "r+b") as f:
        v = f.read(48)
        f.seek(0)
        f.write(hashlib.sha384(v + hashlib.sha384(line).digest()).digest())


def forge_restart(log, reg, ek):
    lines = list(records(log))
    mp = [l for l in lines if l.startswith(b"vtpm map ")][-1]
    ak = [l for l in lines if l.startswith(b"vtpm ak ")][-1]
    new = [b"vtpm restart", mp, b"vtpm ek sha256/" + ek.encode(), ak]
    with open(log, "ab") as f:
        for l in new:
            f.write(l + b"\n")
            extend_reg(reg, l)
    return 0


def edit(log, pcr):
    data = open(log, "rb").read().split(b"\n")
    idx = [i for i, l in enumerate(data) if l.startswith(b"vtpm extend %d " % int(pcr))][-1]
    line = bytearray(data[idx])
    pos = len(line) - 1
    line[pos] = ord("0") if line[pos] != ord("0") else ord("1")
    data[idx] = bytes(line)
    open(log, "wb").write(b"\n".join(data))
    return 0


def truncate(log):
    data = open(log, "rb").read()
    cut = data[:-1].rfind(b"\n")
    open(log, "wb").write(data[:cut + 1])
    return 0


def main():
    what, args = sys.argv[1], sys.argv[2:]
    if what == "pcr-after":
        print(pcr_after(args[0], args[1:]))
        return 0
    if what == "markers":
        return markers(args[0])
    if what == "forge-restart":
        return forge_restart(*args)
    if what == "edit":
        return edit(*args)
    if what == "truncate":
        return truncate(*args)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
