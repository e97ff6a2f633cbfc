#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent checks of vtpm-rtmr's binary log exports (no project code used here).

    log_formats_check.py init FW_VALUES RUNTIME_DIR
        every rtmr<N>.log starts with INIT <the value synth_ccel.py printed for RTMR N>
    log_formats_check.py tcg2 EVENTLOG_YAML PCRREAD PCRS
        the PCR values tpm2_eventlog printed equal tpm2_pcrread's, bank by bank, for every
        PCR in PCRS (e.g. 0-16); a PCR tpm2_eventlog does not list must read as zero
    log_formats_check.py ccel EVENTLOG_YAML SIM_DIR
        tpm2_eventlog's sha384 value of index N+1 equals the sim register rtmr<N>:sha384, for
        every register file
    log_formats_check.py cel CEL_TLV CEL_JSON SIM_DIR
        reads the CEL-TLV file (TLV: u8 type, u32 big-endian length), checks each record
        against the CEL-JSON export (recnum, index = pcr + 1 of type CCMR 108, the sha384
        digest = SHA-384(content), content type 0x4e, the content), and replays each MR from
        its INIT record: it must equal the sim register
Prints PASS lines; exits 1 on the first mismatch.
"""
import hashlib
import json
import os
import re
import sys

BANKS = ("sha1", "sha256", "sha384", "sha512")
SIZES = {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}


def die(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def yaml_pcrs(path):
    """The 'pcrs:' section of tpm2_eventlog's output: {bank: {index: hex}}."""
    out, bank, inside = {}, None, False
    for line in open(path):
        if line.startswith("pcrs:"):
            inside = True
            continue
        if not inside:
            continue
        m = re.match(r"^  (\w+):\s*$", line)
        if m:
            bank = m.group(1)
            out[bank] = {}
            continue
        m = re.match(r"^\s+(\d+)\s*:\s*0x([0-9a-fA-F]+)\s*$", line)
        if m and bank:
            out[bank][int(m.group(1))] = m.group(2).lower()
    if not inside:
        die(f"{path}: no 'pcrs:' section")
    return out


def pcrread(path):
    out, bank = {}, None
    for line in open(path):
        m = re.match(r"^\s*(sha\w+):\s*$", line)
        if m:
            bank = m.group(1)
            out[bank] = {}
            continue
        m = re.match(r"^\s+(\d+)\s*:\s*0x([0-9a-fA-F]+)\s*$", line)
        if m and bank:
            out[bank][int(m.group(1))] = m.group(2).lower()
    return out


def pcr_list(spec):
    out = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


def check_init(values, rt):
    for line in open(values):
        name, hexv = line.split()
        first = open(os.path.join(rt, name + ".log")).readline().rstrip("\n")
        if first != "INIT sha384/" + hexv:
            die(f"{name}.log starts with '{first}', the firmware left {hexv}")
    print("PASS: every log's INIT is the firmware CCEL's final value")


def check_tcg2(yaml_path, read_path, spec):
    ev, tpm = yaml_pcrs(yaml_path), pcrread(read_path)
    n = 0
    for bank in BANKS:
        for p in pcr_list(spec):
            want = tpm.get(bank, {}).get(p)
            if want is None:
                die(f"tpm2_pcrread has no {bank} PCR {p}")
            got = ev.get(bank, {}).get(p, "00" * SIZES[bank])
            if got != want:
                die(f"{bank} PCR {p}: tpm2_eventlog {got}, tpm2_pcrread {want}")
            n += 1
    listed = sum(len(v) for v in ev.values())
    print(f"PASS: tpm2_eventlog equals tpm2_pcrread for {n} PCRs ({listed} extended in the log)")


def sim_regs(sim):
    regs = {}
    for f in os.listdir(sim):
        m = re.match(r"^rtmr(\d+):sha384$", f)
        if m:
            regs[int(m.group(1))] = open(os.path.join(sim, f), "rb").read().hex()
    return regs


def check_ccel(yaml_path, sim):
    ev = yaml_pcrs(yaml_path).get("sha384", {})
    regs = sim_regs(sim)
    for n, v in sorted(regs.items()):
        got = ev.get(n + 1, "00" * 48)
        if got != v:
            die(f"tpm2_eventlog index {n + 1}: {got}, sim register rtmr{n}: {v}")
    print(f"PASS: tpm2_eventlog's sha384 index N+1 equals sim RTMR N for N = {sorted(regs)}")


def tlvs(buf, pos, end):
    while pos < end:
        if end - pos < 5:
            die(f"CEL-TLV: truncated TLV at {pos}")
        t, n = buf[pos], int.from_bytes(buf[pos + 1:pos + 5], "big")
        if pos + 5 + n > end:
            die(f"CEL-TLV: TLV at {pos} runs past its end")
        yield t, buf[pos + 5:pos + 5 + n]
        pos += 5 + n


def cel_records(buf):
    fields = list(tlvs(buf, 0, len(buf)))
    if len(fields) % 4:
        die("CEL-TLV: not a whole number of records")
    for i in range(0, len(fields), 4):
        (t0, rn), (t1, idx), (t3, dg), (tc, content) = fields[i:i + 4]
        if (t0, t1, t3) != (0, 108, 3):
            die(f"CEL-TLV record {i // 4}: field types {t0}, {t1}, {t3}")
        digests = {t: v for t, v in tlvs(dg, 0, len(dg))}
        yield int.from_bytes(rn, "big"), int.from_bytes(idx, "big"), digests, tc, content


def check_cel(tlv_path, json_path, sim):
    doc = json.load(open(json_path))["records"]
    regs = sim_regs(sim)
    replay, n = {}, 0
    for (recnum, idx, digests, ctype, content), j in zip(cel_records(open(tlv_path, "rb").read()),
                                                         doc):
        d = hashlib.sha384(content).digest()
        if recnum != n or recnum != j["recnum"] or idx != j["pcr"] + 1 or ctype != 0x4E:
            die(f"CEL-TLV record {n}: recnum {recnum}, index {idx}, type {ctype:#x} vs {j}")
        if digests != {0x0C: d} or j["digests"][0]["digest"] != d.hex():
            die(f"CEL-TLV record {n}: digests differ from SHA-384(content) or CEL-JSON")
        if content.decode() != j["content"]:
            die(f"CEL-TLV record {n}: content differs from CEL-JSON")
        line = content.decode()
        if line.startswith("INIT ") or line.startswith("SYNC "):
            replay[idx] = bytes.fromhex(line.split("/")[1])
        replay[idx] = hashlib.sha384(replay[idx] + d).digest()
        n += 1
    if n != len(doc):
        die(f"CEL-TLV has {n} records, CEL-JSON {len(doc)}")
    for r, v in sorted(regs.items()):
        if r + 1 in replay and replay[r + 1].hex() != v:
            die(f"CEL-TLV replay of MR {r + 1} differs from sim RTMR {r}")
    print(f"PASS: CEL-TLV: {n} records equal CEL-JSON's; each MR replays to its register")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"init": check_init, "tcg2": check_tcg2, "ccel": check_ccel, "cel": check_cel}[cmd](*args)


if __name__ == "__main__":
    main()
