#!/usr/bin/env python3
"""Where a mirrored PCR_Extend spends its time: machine-independent counts.

    python3 bench/profile.py [--build DIR] [--n N]      (make bench-profile)

1. System calls per PCR_Extend (strace -c) of vtpm-rtmrd with the default map, with no
   mapped PCR, and of swtpm, over one persistent connection and over the swtpm TCTI.
2. User-space instructions per extend (valgrind --tool=callgrind) of floor_bench's floor
   and mirror variants, and the project functions with the most inclusive instructions.

Needs strace and valgrind (Debian packages strace, valgrind); a missing one skips its part.
Prints text; asserts nothing.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (bench/run.py: servers, ports, state)


def children(pid):
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def strace_counts(build, scratch, seed, n):
    print(f"## System calls per PCR_Extend ({n} per transport), from strace -c -f\n")
    print("| server | transport | syscalls per extend | top calls per extend |")
    print("|---|---|--:|---|")
    for kind in ("ours", "nomap", "swtpm"):
        for mode in ("persistent-tcp", "tcti-tcp"):
            d = run.make_dirs(scratch, f"strace-{kind}-{mode}")
            if kind == "swtpm":
                run.swtpm_state_from_ours(seed["state"], d["state"])
            else:
                shutil.copy(os.path.join(seed["state"], "tpm2-permall.state"), d["state"])
            srv = run.Server(kind, "tcp", d, build, scratch)
            cmd = srv._cmd()
            out = os.path.join(scratch, f"strace-{kind}-{mode}.txt")
            tracer = subprocess.Popen(["strace", "-f", "-c", "-o", out] + cmd,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t0 = time.time()
            while not run.probe(srv.addr):
                if time.time() - t0 > 30 or tracer.poll() is not None:
                    raise RuntimeError(f"{kind} did not start under strace")
                time.sleep(0.01)
            # Counts are taken over the whole process life: subtract a run of 0 extends'
            # worth by measuring two sizes would be exact; startup is a few hundred calls,
            # small against n extends, and reported separately below.
            target = ["--tcti", srv.tcti] if mode.startswith("tcti") else srv.raw
            run.client(build, target, ["extend"], n=n, warmup=0)
            for c in children(tracer.pid):
                os.kill(c, 15)
            tracer.wait(60)
            calls = {}
            with open(out) as f:
                for line in f:
                    m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$", line)
                    if m and m.group(2) != "total":
                        calls[m.group(2)] = int(m.group(1))
            total = sum(calls.values())
            top = sorted(calls.items(), key=lambda kv: -kv[1])[:8]
            print(f"| {run.KIND_TITLE[kind]} | {mode} | {total / n:.1f} | " +
                  ", ".join(f"{k} {v / n:.1f}" for k, v in top) + " |")
    print("\n(whole-process counts divided by the number of extends: start-up and the "
          "probe add a few hundred calls, i.e. < 0.3 per extend at the default N)\n")


def callgrind(build, scratch, n):
    print(f"## User-space instructions per extend (callgrind, {n} extends)\n")
    totals = {}
    for v in ("floor", "mirror"):
        out = os.path.join(scratch, f"cg-{v}.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        os.path.join(build, "bench", "floor_bench"), "--dir",
                        os.path.join(scratch, f"cg-{v}"), "--n", str(n), "--rounds", "1",
                        "--only", v], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", out],
                             capture_output=True, text=True).stdout
        totals[v] = ann
    def per(ann, func):
        m = re.search(r"([\d,]+) \(\s*[\d.]+%\)\s+\S*" + func, ann)
        return int(m.group(1).replace(",", "")) / (n + 200) if m else 0
    print(f"floor: TPMLIB_Process {per(totals['floor'], 'TPMLIB_Process'):,.0f} instructions "
          f"per extend; floor+mirror: service_command "
          f"{per(totals['mirror'], 'service_command'):,.0f}, of which mirror_prepare "
          f"{per(totals['mirror'], 'mirror_prepare'):,.0f} and mirror_commit "
          f"{per(totals['mirror'], 'mirror_commit'):,.0f}\n")
    print("| function (mirror variant) | instructions per extend, inclusive |")
    print("|---|--:|")
    seen = set()
    for line in totals["mirror"].splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(src/[^\s\[]+|\?\?\?:(EVP_\w+|SHA\w+|"
                     r"TPMLIB_Process))", line)
        if not m:
            continue
        name = m.group(2)
        if name in seen or "tpm_build_" in name:  # the bench's own command builder
            continue
        seen.add(name)
        print(f"| {name} | {int(m.group(1).replace(',', '')) / (n + 200):,.0f} |")
        if len(seen) >= 25:
            break
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(run.ROOT, "build-bench"))
    ap.add_argument("--n", type=int, default=3000)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    tmpfs = next((d for d in ("/dev/shm", "/run", "/tmp") if os.access(d, os.W_OK)), "/tmp")
    scratch = run.SCRATCH = tempfile.mkdtemp(prefix="vtpm-profile-", dir=tmpfs)
    try:
        open(os.path.join(scratch, "empty.conf"), "w").close()
        with open(os.path.join(scratch, "nomap.conf"), "w") as f:
            f.write("pcr 0-23 -> none\n")
        seed = run.make_dirs(scratch, "seed")
        s = run.Server("ours", "tcp", seed, build, scratch)
        s.start()
        s.stop()
        if shutil.which("strace"):
            strace_counts(build, scratch, seed, args.n)
        else:
            print("strace not installed (Debian package strace): system call counts skipped\n")
        if shutil.which("valgrind"):
            callgrind(build, scratch, args.n)
        else:
            print("valgrind not installed (Debian package valgrind): callgrind skipped\n")
    finally:
        run.stop_all()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
