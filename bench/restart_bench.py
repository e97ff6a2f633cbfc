#!/usr/bin/env python3
"""Restart-to-ready of vtpm-rtmrd (issue #13): a restart that restores the PCRs from event
logs of N records, against a fresh start of the same TPM.

    python3 bench/restart_bench.py [--build DIR] [--records 1000,100000] [--samples 5]
                                   [--out FILE]

`make bench-restart` (bench/restart.mk) runs it; `make bench` too. For each N the bench makes
one TPM state and runtime directory (sim registers, socket transport on a UNIX socket in a
tmpfs), adds N mirrored `vtpm extend` records of PCR 8 in four banks to rtmr2.log (written
here and extended into the sim register, as the daemon would have: the restore cannot tell),
and then times, from exec to the daemon's "serving" line, on fresh copies of it:

  fresh     the registers at zero and no logs (the first start of a boot), the same TPM state
  kill -9   the logs of N records after a crash: Startup(CLEAR), the N records replayed into
            the TPM, every mapped PCR checked
  SIGTERM   the same after an orderly stop: Startup(STATE), nothing to replay, PCRs checked
  as before the same logs after a crash, started with a map that differs in one PCR: the logs
            are replayed at open as ever, not restored (a clear start, the group and the
            markers): what a restart cost before issue #13, so "restore adds" is kill -9
            minus this

and the daemon's CPU time (utime + stime from /proc at that moment). Medians over SAMPLES.
Prints a markdown table and writes it to FILE (default bench/results/restart-<UTC>.md).
Timings are printed, never asserted: the exit status is non-zero only when something could not
be run (a start that does not serve, a restart that did not restore).
"""
import argparse
import datetime
import hashlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TICK = os.sysconf("SC_CLK_TCK")


def scratch_root():
    for d in ("/dev/shm", "/run", tempfile.gettempdir()):
        if os.path.isdir(d) and os.access(d, os.W_OK):
            return d
    return tempfile.gettempdir()


def start(daemon, rt, state, sock, extra=()):
    """Start the daemon; returns (process, seconds to 'serving', CPU seconds, its output)."""
    args = [daemon, "--runtime-dir", rt, "--state-dir", state, "--unix", sock,
            "--rtmr-backend", "sim", "--ima-bridge", "off", "--ek-type", "ecc-p256", *extra]
    t0 = time.monotonic()
    p = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    out = []
    for line in p.stderr:
        out.append(line)
        if "serving TPM2TOOLS_TCTI" in line:
            secs = time.monotonic() - t0
            with open(f"/proc/{p.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / TICK
            return p, secs, cpu, "".join(out)
    p.wait()
    raise RuntimeError("the daemon did not serve:\n" + "".join(out))


def stop(p, sig=signal.SIGTERM):
    p.send_signal(sig)
    p.wait(timeout=60)
    if p.stderr:
        p.stderr.close()


def add_records(rt, n):
    """N extend records of PCR 8, four banks, into rtmr2.log and its sim register."""
    log = os.path.join(rt, "rtmr2.log")
    reg = os.path.join(rt, "sim", "rtmr2:sha384")
    with open(reg, "rb") as f:
        v = f.read(48)
    lines = []
    for i in range(n):
        seed = b"bench %d" % i
        digests = " ".join(f"{a}/{hashlib.new(a, seed).hexdigest()}"
                           for a in ("sha1", "sha256", "sha384", "sha512"))
        line = f"vtpm extend 8 {digests}".encode()
        v = hashlib.sha384(v + hashlib.sha384(line).digest()).digest()
        lines.append(line)
    with open(log, "ab") as f:
        f.write(b"\n".join(lines) + b"\n")
    with open(reg, "r+b") as f:
        f.write(v)


def prepare(daemon, base, n):
    """base/state (the TPM), base/run-fresh (never started), base/run-kill9 and run-term (N
    records each, then killed or stopped)."""
    state = os.path.join(base, "state")
    rt = os.path.join(base, "run")
    p, _, _, _ = start(daemon, rt, state, os.path.join(base, "s-first"))
    stop(p, signal.SIGKILL)
    add_records(rt, n)
    # one restart that restores them, stopped by SIGKILL or SIGTERM: the two starting points
    for how, sig in (("kill9", signal.SIGKILL), ("term", signal.SIGTERM)):
        d = os.path.join(base, "run-" + how)
        shutil.copytree(rt, d, symlinks=True)
        st = os.path.join(base, "state-" + how)
        shutil.copytree(state, st, symlinks=True)
        p, _, _, out = start(daemon, d, st, os.path.join(base, "s-" + how))
        if "every mapped PCR restored" not in out:
            raise RuntimeError("the preparing restart did not restore:\n" + out)
        stop(p, sig)
    with open(os.path.join(base, "map"), "w") as f:
        f.write("pcr 15 -> none\n")
    return state


def sample(daemon, base, kind, k):
    """One timed start of a copy of the prepared directories."""
    rt = os.path.join(base, f"x-{kind}-{k}")
    state = rt + "-state"
    src = {"fresh": None, "kill9": "run-kill9", "term": "run-term", "old": "run-kill9"}[kind]
    if src:
        shutil.copytree(os.path.join(base, src), rt, symlinks=True)
    shutil.copytree(os.path.join(base, {"fresh": "state", "old": "state-kill9"}.get(
        kind, "state-" + kind)), state, symlinks=True)
    extra = ("--map", os.path.join(base, "map")) if kind == "old" else ()
    p, secs, cpu, out = start(daemon, rt, state, os.path.join(base, f"s-{kind}-{k}"), extra)
    stop(p)
    want = {"fresh": "first start of this boot", "kill9": "(Startup(CLEAR)",
            "term": "(Startup(STATE)", "old": "PCRs are not restored"}[kind]
    if want not in out:
        raise RuntimeError(f"{kind}: not the start expected ({want}):\n{out}")
    shutil.rmtree(rt)
    shutil.rmtree(state)
    return secs, cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--records", default="1000,100000")
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--out")
    a = ap.parse_args()
    daemon = os.path.join(a.build, "vtpm-rtmrd")
    rows = []
    for n in [int(x) for x in a.records.split(",")]:
        base = tempfile.mkdtemp(prefix="vtpm-restart-bench.", dir=scratch_root())
        try:
            prepare(daemon, base, n)
            res = {}
            for k in range(a.samples):
                for kind in ("fresh", "old", "kill9", "term"):
                    res.setdefault(kind, []).append(sample(daemon, base, kind, k))
            med = {kind: (statistics.median(s for s, _ in v), statistics.median(c for _, c in v))
                   for kind, v in res.items()}
            rows.append((n, med))
            print(f"restart bench: {n} records done", file=sys.stderr, flush=True)
        finally:
            shutil.rmtree(base, ignore_errors=True)
    stamp = datetime.datetime.now(datetime.timezone.utc)
    text = [f"# Restart to ready ({stamp:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
            f"load {os.getloadavg()[0]:.1f}; medians of {a.samples}; wall time, CPU time)", "",
            "| log records | fresh start | restart, not restored (as before #13) | "
            "restart after kill -9 (replay) | restore adds | "
            "restart after SIGTERM (Startup(STATE)) | restore adds |",
            "|--:|--:|--:|--:|--:|--:|--:|"]

    def ms(x):
        return f"{x[0]*1000:.0f} ms, {x[1]*1000:.0f} ms"

    def plus(x, y):
        return f"{(x[0]-y[0])*1000:+.0f} ms, {(x[1]-y[1])*1000:+.0f} ms"
    for n, m in rows:
        f, o, k, t = m["fresh"], m["old"], m["kill9"], m["term"]
        text.append(f"| {n} | {ms(f)} | {ms(o)} | {ms(k)} | {plus(k, o)} | {ms(t)} | "
                    f"{plus(t, o)} |")
    report = "\n".join(text) + "\n"
    print(report)
    out = a.out or os.path.join(HERE, "results", f"restart-{stamp:%Y%m%dT%H%M%SZ}.md")
    if out != "/dev/null":
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            f.write(report)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except RuntimeError as e:
        print(f"restart bench: {e}", file=sys.stderr)
        sys.exit(1)
