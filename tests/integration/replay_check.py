#!/usr/bin/env python3
"""An independent replay of vtpm-rtmrd's event logs (DESIGN.md "Event log"), written
without the project's code: checks each log against its register file and the PCR values
its vtpm records imply against `tpm2_pcrread` output.

usage: replay_check.py LOGDIR REGDIR PCRREAD_FILE [TOOL_REPLAY_JSON]
  LOGDIR       holds rtmr<N>.log
  REGDIR       holds rtmr<N>:sha384 register files (sim backend dir or tsm-mr mount)
  PCRREAD_FILE output of `tpm2_pcrread` (all banks)
  TOOL_REPLAY_JSON  output of `vtpm-rtmr log replay --format json`: its PCR values must
               equal this replay's
Prints PASS/FAIL lines; exit 1 on any mismatch.
"""
import hashlib
import os
import re
import sys

ALGS = {"sha1": 0x04, "sha256": 0x0B, "sha384": 0x0C, "sha512": 0x0D}
fails = 0


def report(ok, what):
    global fails
    print(("PASS: " if ok else "FAIL: ") + "independent replay: " + what)
    if not ok:
        fails += 1


def initial(pcr, alg):
    size = hashlib.new(alg).digest_size
    return bytes([0xFF] * size) if 17 <= pcr <= 22 else bytes(size)


def replay(path):
    """Returns (register value, {pcr: {alg: value}} for PCRs the log touched)."""
    data = open(path, "rb").read()
    assert data.endswith(b"\n"), "log must end with LF"
    reg = None
    pcrs = {}
    for raw in data[:-1].split(b"\n"):
        if raw == b"" or raw.startswith(b"#"):
            continue
        line = raw.decode()
        words = line.split(" ")
        if words[0] in ("INIT", "SYNC"):
            alg, hexval = words[1].split("/")
            reg = bytes.fromhex(hexval)
        assert reg is not None, "first record must be INIT"
        reg = hashlib.sha384(reg + hashlib.sha384(raw).digest()).digest()
        if words[0] != "vtpm":
            continue
        if words[1:3] == ["startup", "clear"]:
            for p in pcrs:
                for a in pcrs[p]:
                    pcrs[p][a] = initial(p, a)
        elif words[1] == "extend":
            p = int(words[2])
            bank = pcrs.setdefault(p, {})
            for d in words[3:]:
                alg, hexval = d.split("/")
                old = bank.get(alg, initial(p, alg))
                bank[alg] = hashlib.new(alg, old + bytes.fromhex(hexval)).digest()
        elif words[1] == "reset":
            p = int(words[2])
            bank = pcrs.setdefault(p, {})
            for a in bank:
                bank[a] = bytes(hashlib.new(a).digest_size)
    return reg, pcrs


def read_pcrread(path):
    vals = {}
    bank = None
    for line in open(path):
        m = re.match(r"^\s+(sha\d+):\s*$", line)
        if m:
            bank = m.group(1)
            continue
        m = re.match(r"^\s+(\d+)\s*:\s*0x([0-9A-Fa-f]+)", line)
        if m and bank:
            vals.setdefault(int(m.group(1)), {})[bank] = bytes.fromhex(m.group(2))
    return vals


def main():
    logdir, regdir, pcrfile = sys.argv[1:4]
    tpm = read_pcrread(pcrfile)
    implied = {}
    for name in sorted(os.listdir(logdir)):
        m = re.fullmatch(r"rtmr(\d)\.log", name)
        if not m:
            continue
        reg, pcrs = replay(os.path.join(logdir, name))
        live = open(os.path.join(regdir, f"rtmr{m.group(1)}:sha384"), "rb").read()
        report(reg == live, f"{name} replays to the register ({live.hex()[:16]}...)")
        for p, banks in pcrs.items():
            implied.setdefault(p, {}).update(banks)
    tpm_banks = {alg for vals in tpm.values() for alg in vals}
    for p, banks in sorted(implied.items()):
        for alg, val in sorted(banks.items()):
            have = tpm.get(p, {}).get(alg)
            if alg not in tpm_banks and val == initial(p, alg):
                continue  # a bank PCR_Allocate took away, reset by the startup clear since
            report(have == val, f"PCR {p} {alg} implied by the logs equals tpm2_pcrread")
    report(len(implied) > 0, "the logs implied at least one PCR value")
    if len(sys.argv) > 4:
        import json
        tool = {}
        for log in json.load(open(sys.argv[4])):
            for alg, vals in log["pcrs"].items():
                for p, hexval in vals.items():
                    tool.setdefault(int(p), {})[alg] = bytes.fromhex(hexval)
        for p, banks in sorted(implied.items()):
            for alg, val in sorted(banks.items()):
                report(tool.get(p, {}).get(alg) == val,
                       f"vtpm-rtmr log replay agrees on PCR {p} {alg}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
