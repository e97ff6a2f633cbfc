#!/usr/bin/env python3
"""The vtpm_proxy benchmark's report, from the guest's console (bench/vm/run.sh).

    python3 bench/vm/report.py --console LOG [--results DIR] [--host-load "1 2 3"] ...

Reads the "BENCH-VM" lines bench/vm/guest_bench.sh printed, prints a markdown report and writes
it to DIR/vm-<UTC timestamp>.md. Medians over rounds; ratios of the medians, with the range of
the per-round ratios. Asserts nothing: exit 1 only if the console holds no figures.
"""
import argparse
import datetime
import json
import os
import statistics
import sys

KINDS = ["ours", "ours-sim", "nomap", "swtpm"]
TITLE = {"ours": "vtpm-rtmrd, tdx-sysfs (emulated registers), PCR 8 mirrored",
         "ours-sim": "vtpm-rtmrd, sim registers, PCR 8 mirrored",
         "nomap": "vtpm-rtmrd, no mapped PCR", "swtpm": "swtpm chardev --vtpm-proxy"}
OP_TITLE = {"extend": "PCR_Extend (PCR 8, sha256+sha384)", "read": "PCR_Read (sha256+sha384:8)",
            "random": "GetRandom (32)", "quote": "Quote (ECC P-256, sha256:0-15)"}


def parse(path):
    rows, info, verify, load, errors = {}, "", [], [], []
    with open(path, errors="replace") as f:
        for line in f:
            if not line.startswith("BENCH-VM "):
                continue
            kind, _, rest = line[9:].strip().partition(" ")
            if kind == "row":
                rnd, _, js = rest.partition(" ")
                if js.startswith("{"):
                    row = json.loads(js)
                    row["round"] = int(rnd)
                    rows.setdefault((row["op"], row["target"]), []).append(row)
            elif kind == "info":
                info = rest
            elif kind == "verify":
                verify.append(rest)
            elif kind == "load":
                load.append(rest.split()[1])
            elif kind == "error":
                errors.append(rest)
    return rows, info, verify, load, errors


def med(xs):
    return statistics.median(xs) if xs else None


def fmt(x, nd=0):
    return "–" if x is None else (f"{x:,.0f}" if nd == 0 else f"{x:,.{nd}f}")


def fmt_ratio(r, paired):
    if r is None:
        return "–"
    s = f"{r:.2f}×"
    if len(paired) > 1:
        s += f" ({min(paired):.2f}–{max(paired):.2f})"
    return s


def report(rows, info, verify, load, args):
    L = []
    now = datetime.datetime.now(datetime.timezone.utc)
    L.append(f"# vtpm-rtmr vtpm_proxy benchmark — {now.strftime('%Y-%m-%d %H:%M UTC')}")
    L.append("")
    L.append(f"Guest: {info}. QEMU TCG (no KVM) on a host with {args.host_cpus} CPUs; host "
             f"loadavg before {args.host_load}, after {args.host_load_after}; guest loadavg "
             f"after each round {', '.join(load) or '–'}; the guest ran {args.seconds} s "
             f"(boot included).")
    L.append("")
    L.append("Every server is behind its own /dev/tpmrmN of the kernel's vtpm_proxy driver in "
             "the same guest; `tpm_client --target NAME=dev:/dev/tpmrmN` sends each blocks of "
             "commands in turn (one write() per command, one read() per response), the order "
             "rotating by round. TCG makes every command slow (it emulates the CPU): the "
             "ratios are what counts. ops/s: median of the per-block rates; ratios are of the "
             "medians over rounds, with the range of the per-round ratios in brackets.")
    L.append("")
    L.append("| operation | " + " | ".join(f"{k} ops/s" for k in KINDS) + " | " +
             " | ".join(f"{k}/swtpm" for k in KINDS if k != "swtpm") +
             " | p50 µs " + " / ".join(KINDS) + " |")
    L.append("|---|" + "--:|" * (2 * len(KINDS)))
    ratios = {}
    for op in OP_TITLE:
        r = {k: rows.get((op, k), []) for k in KINDS}
        if not all(r.values()):
            continue
        ops = {k: med([x["block_ops_per_s"] for x in r[k]]) for k in KINDS}
        p50 = {k: med([x["p50_us"] for x in r[k]]) for k in KINDS}
        cells = []
        for k in KINDS:
            if k == "swtpm":
                continue
            paired = [a["block_ops_per_s"] / b["block_ops_per_s"]
                      for a, b in zip(r[k], r["swtpm"]) if b["block_ops_per_s"]]
            ratios[(op, k)] = ops[k] / ops["swtpm"] if ops["swtpm"] else None
            cells.append(fmt_ratio(ratios[(op, k)], paired))
        L.append(f"| {OP_TITLE[op]} | " + " | ".join(fmt(ops[k]) for k in KINDS) + " | " +
                 " | ".join(cells) + " | " + " / ".join(fmt(p50[k]) for k in KINDS) + " |")
    L.append("")
    L.append("Servers: " + "; ".join(f"*{k}* = {TITLE[k]}" for k in KINDS) + ". All vtpm-rtmrd "
             "instances with an ECC P-256 EK (creating an RSA EK under TCG takes minutes); "
             "swtpm manufactures its TPM on the first start, with no EK. After the rounds the "
             "mirrored instances' logs replay to their registers (`vtpm-rtmr log verify`): " +
             (", ".join(v.replace(" ok ", " ok, PCR 8 records: ") for v in verify) or "–") + ".")
    L.append("")
    L.append("## Target (issue 17)")
    L.append("")
    L.append("| target | this run | met |")
    L.append("|---|---|---|")
    r = ratios.get(("extend", "ours"))
    L.append("| mirrored PCR_Extend through vtpm_proxy in the VM ≥ 1.0× swtpm's vtpm-proxy "
             f"mode | {fmt(r, 2)}× (tdx-sysfs; sim registers "
             f"{fmt(ratios.get(('extend', 'ours-sim')), 2)}×) | "
             f"{'–' if r is None else ('yes' if r >= 1.0 else '**no**')} |")
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--console", required=True)
    ap.add_argument("--results", default=os.path.join(os.path.dirname(__file__), "..", "results"))
    ap.add_argument("--host-load", default="?")
    ap.add_argument("--host-load-after", default="?")
    ap.add_argument("--host-cpus", default="?")
    ap.add_argument("--seconds", default="?")
    args = ap.parse_args()
    rows, info, verify, load, errors = parse(args.console)
    for e in errors:
        print(f"bench-vm: guest: {e}", file=sys.stderr)
    if not rows:
        sys.exit("bench-vm: no figures in the guest's console")
    md = report(rows, info, verify, load, args)
    print(md)
    os.makedirs(args.results, exist_ok=True)
    out = os.path.join(args.results, datetime.datetime.now(datetime.timezone.utc)
                       .strftime("vm-%Y%m%dT%H%M%SZ") + ".md")
    with open(out + ".tmp", "w") as f:
        f.write(md)
    os.replace(out + ".tmp", out)
    print(f"bench-vm: written {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
