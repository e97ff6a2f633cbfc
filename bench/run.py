#!/usr/bin/env python3
"""vtpm-rtmr benchmarks: vtpm-rtmrd (mirroring on / no mapped PCR) against swtpm.

Run through `make bench` (bench/bench.mk builds the binaries first), or directly:

    python3 bench/run.py [--build DIR] [--results DIR]

Prints a markdown report and writes it to bench/results/<UTC timestamp>.md. Figures are
medians over rounds; servers are alternated round by round. Timings are printed, never
asserted: the exit status is non-zero only when something could not be run at all.
Configuration through the environment (defaults in brackets):

    BENCH_ROUNDS [8]            rounds of the server comparison (and of startup samples)
    BENCH_N [1500]              commands per operation and client run (Quote: N/10)
    BENCH_WARMUP [50]           untimed commands before each timed run
    BENCH_BLOCK [50]            servers take turns every K commands within a run (Quote K/10)
    BENCH_EK_N [3]              EK CreatePrimary calls per type, server and round
    BENCH_FLOOR_N [20000]       extends per variant and round of the in-process floor
    BENCH_FLOOR_ROUNDS [5]
    BENCH_IMA_ENTRIES [100000]  entries for the IMA bridge catch-up (0: skip)
    BENCH_IMA_SAMPLES [3]       catch-up samples (each: mirrored, then PCR 10 unmapped)
    BENCH_SCRATCH [/dev/shm, else /run, else /tmp]   tmpfs for runtime and state dirs
    BENCH_SWTPM [swtpm]         the swtpm binary
    BENCH_SWTPM_SETUP [swtpm_setup]   for the startup row with an EK (skipped if absent)
    BENCH_CPU [0]               the CPU every client and server runs on; none: unpinned
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def env_int(name, default):
    v = os.environ.get(name)
    return int(v) if v not in (None, "") else default


CFG = {
    "rounds": env_int("BENCH_ROUNDS", 8),
    "n": env_int("BENCH_N", 1500),
    "warmup": env_int("BENCH_WARMUP", 50),
    "block": env_int("BENCH_BLOCK", 50),
    "ek_n": env_int("BENCH_EK_N", 3),
    "floor_n": env_int("BENCH_FLOOR_N", 20000),
    "floor_rounds": env_int("BENCH_FLOOR_ROUNDS", 5),
    "ima_entries": env_int("BENCH_IMA_ENTRIES", 100000),
    "ima_samples": env_int("BENCH_IMA_SAMPLES", 3),
    "cpu": os.environ.get("BENCH_CPU", "0"),
}
OPS = ["extend", "read", "random", "quote"]
OP_TITLE = {"extend": "PCR_Extend (PCR 8, sha256+sha384)", "read": "PCR_Read (sha256+sha384:8)",
            "random": "GetRandom (32)", "quote": "Quote (ECC P-256, sha256:0-15)"}
KINDS = ["ours", "nomap", "swtpm"]
KIND_TITLE = {"ours": "vtpm-rtmrd (mirror, sim)", "nomap": "vtpm-rtmrd (no mapped PCR)",
              "swtpm": "swtpm"}
IMA_NOT_MEASURED = "not measured: the IMA bridge is not implemented yet"


T0 = time.time()


def log(msg):
    print(f"bench: [{time.time() - T0:5.1f}s] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes and ports

LIVE = []  # servers started and not yet stopped: stopped at exit whatever happens


def pinned():
    """preexec_fn putting a client or server on BENCH_CPU (None: BENCH_CPU=none). On a small
    VM, a server that the scheduler happens to place on the client's CPU answers ~8 us
    sooner over a persistent connection than one woken on the other CPU (an IPI), which
    made per-server figures bimodal from start to start; on one CPU every server pays the
    same context switches. Startup timings run unpinned: a preexec_fn makes Python fork
    and exec instead of spawning, which would add its own milliseconds to every start."""
    if CFG["cpu"] == "none":
        return None
    cpu = int(CFG["cpu"])
    return lambda: os.sched_setaffinity(0, {cpu})


def free_port_pair():
    """A port p with p and p+1 free on 127.0.0.1 (data and control channel), below the
    ephemeral range: the TCTI's thousands of short connections leave their ephemeral
    ports in TIME_WAIT there. Bound with SO_REUSEADDR, as both servers bind."""
    import random
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    low = max(2000, min(low, 65534))
    for _ in range(500):
        p = random.randrange(max(1024, low - 12000), low - 1)
        ok = True
        for q in (p, p + 1):
            t = socket.socket()
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                t.bind(("127.0.0.1", q))
            except OSError:
                ok = False
            finally:
                t.close()
        if ok:
            return p
    raise RuntimeError("no free port pair on 127.0.0.1")


GET_RANDOM = struct.pack(">HIIH", 0x8001, 12, 0x17B, 8)


def probe(addr):
    """One TPM2_GetRandom over a new connection: True if answered with success."""
    fam = socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(addr)
        s.sendall(GET_RANDOM)
        buf = b""
        while len(buf) < 10:
            chunk = s.recv(4096)
            if not chunk:
                return False
            buf += chunk
        size, rc = struct.unpack(">II", buf[2:10])
        while len(buf) < size:
            chunk = s.recv(4096)
            if not chunk:
                return False
            buf += chunk
        return rc == 0
    except OSError:
        return False
    finally:
        s.close()


class Server:
    """One server process: vtpm-rtmrd or swtpm, TCP or UNIX socket."""

    def __init__(self, kind, transport, dirs, build, scratch, ek_type=None, extra=None,
                 pin=True):
        self.kind, self.transport, self.dirs = kind, transport, dirs
        self.build, self.scratch, self.pin = build, scratch, pin
        self.ek_type, self.extra = ek_type, extra or []
        self.proc = None
        self.ready_s = None

    def _cmd(self):
        if self.transport == "tcp":
            self.port = free_port_pair()
            self.addr = ("127.0.0.1", self.port)
            self.tcti = f"swtpm:host=127.0.0.1,port={self.port}"
            self.raw = ["--tcp", f"127.0.0.1:{self.port}"]
        else:
            path = os.path.join(self.dirs["sock"], f"{self.kind}.sock")
            self.addr, self.tcti, self.raw = path, f"swtpm:path={path}", ["--unix", path]
        if self.kind == "swtpm":
            if self.transport == "tcp":
                srv = [f"type=tcp,port={self.port},bindaddr=127.0.0.1",
                       f"type=tcp,port={self.port + 1},bindaddr=127.0.0.1"]
            else:
                srv = [f"type=unixio,path={self.addr}", f"type=unixio,path={self.addr}.ctrl"]
            return [os.environ.get("BENCH_SWTPM", "swtpm"), "socket", "--tpm2",
                    "--server", srv[0], "--ctrl", srv[1],
                    "--tpmstate", f"dir={self.dirs['state']}",
                    "--flags", "not-need-init,startup-clear"]
        cmd = [os.path.join(self.build, "vtpm-rtmrd"), "--config", self.dirs["conf"],
               "--transport", "socket", "--rtmr-backend", "sim",
               "--runtime-dir", self.dirs["runtime"], "--state-dir", self.dirs["state"],
               "--log-level", "warn", "--ima-bridge", "off"]
        cmd += ["--port", str(self.port), "--bind", "127.0.0.1"] if self.transport == "tcp" \
            else ["--unix", self.addr]
        if self.kind == "nomap":
            cmd += ["--map", self.dirs["map"]]
        if self.ek_type:
            cmd += ["--ek-type", self.ek_type]
        return cmd + self.extra

    def start(self, timeout=60):
        for attempt in range(3):
            cmd = self._cmd()
            errf = open(os.path.join(self.scratch, f"{self.kind}-{self.transport}.stderr"), "ab")
            t0 = time.perf_counter()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=errf,
                                         preexec_fn=pinned() if self.pin else None)
            errf.close()
            LIVE.append(self)
            while time.perf_counter() - t0 < timeout:
                if probe(self.addr):
                    self.ready_s = time.perf_counter() - t0
                    return self.ready_s
                if self.proc.poll() is not None:
                    break
                time.sleep(0.0005)
            self.stop()
            log(f"{self.kind}/{self.transport} did not come up (attempt {attempt + 1}): "
                f"{' '.join(cmd)}")
        raise RuntimeError(f"{self.kind} server did not start (its stderr follows)")

    def rss_kb(self):
        st = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
                    st[k] = int(v.split()[0])
        return st

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in LIVE:
            LIVE.remove(self)


def stop_all(*_):
    for s in list(LIVE):
        try:
            s.stop()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def client(build, target, ops, n=None, warmup=None, ek_n=None):
    cmd = [os.path.join(build, "bench", "tpm_client")] + target
    cmd += ["--n", str(n if n is not None else CFG["n"]),
            "--warmup", str(warmup if warmup is not None else CFG["warmup"])]
    if ek_n:
        cmd += ["--ek-n", str(ek_n)]
    r = subprocess.run(cmd + ops, capture_output=True, text=True, timeout=600,
                       preexec_fn=pinned())
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd + ops)} failed: {r.stderr.strip()}")
    return [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]


# ---------------------------------------------------------------- state

def swtpm_state_from_ours(ours_state_dir, swtpm_dir):
    """The same TPM (same seeds, banks, persistent EK) for swtpm: our nvstore blob (after a
    48-byte header, nvstore.h) written in swtpm's file format (header + one data TLV)."""
    with open(os.path.join(ours_state_dir, "tpm2-permall.state"), "rb") as f:
        data = f.read()
    if data[:8] != b"VTPMRTMR":
        raise RuntimeError("unexpected nvstore header")
    blob = data[48:48 + struct.unpack(">I", data[12:16])[0]]
    tlv = struct.pack(">HI", 1, len(blob)) + blob
    os.makedirs(swtpm_dir, exist_ok=True)
    with open(os.path.join(swtpm_dir, "tpm2-00.permall"), "wb") as f:
        f.write(struct.pack(">BBHHI", 2, 1, 10, 0, 10 + len(tlv)) + tlv)


SCRATCH = None  # the run's private tmpfs directory


def make_dirs(base, name):
    d = {k: os.path.join(base, name, k) for k in ("runtime", "state", "sock")}
    for p in d.values():
        os.makedirs(p, exist_ok=True)
    d["conf"] = os.path.join(SCRATCH, "empty.conf")
    d["map"] = os.path.join(SCRATCH, "nomap.conf")
    return d


# ---------------------------------------------------------------- IMA list

def ima_entry(i):
    """An ima-ng entry for PCR 10, as the kernel lists it (little endian)."""
    name = f"/usr/bin/prog{i}".encode() + b"\0"
    d = b"sha256:\0" + hashlib.sha256(b"content %d" % i).digest()
    tdata = struct.pack("<I", len(d)) + d + struct.pack("<I", len(name)) + name
    return (struct.pack("<I", 10) + hashlib.sha1(tdata).digest() + struct.pack("<I", 6) +
            b"ima-ng" + struct.pack("<I", len(tdata)) + tdata)


def ima_boot_aggregate():
    d = b"sha256:\0" + bytes(32)
    name = b"boot_aggregate\0"
    tdata = struct.pack("<I", len(d)) + d + struct.pack("<I", len(name)) + name
    return (struct.pack("<I", 10) + hashlib.sha1(tdata).digest() + struct.pack("<I", 6) +
            b"ima-ng" + struct.pack("<I", len(tdata)) + tdata)


def daemon_has_ima_bridge(build):
    r = subprocess.run([os.path.join(build, "vtpm-rtmrd"), "--help"], capture_output=True,
                       text=True)
    return "--ima-bridge" in r.stdout + r.stderr


# ---------------------------------------------------------------- statistics

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(x, nd=0, unit=""):
    if x is None:
        return "–"
    if nd == 0:
        return f"{x:,.0f}{unit}"
    return f"{x:,.{nd}f}{unit}"


def fmt_ratio(r, paired=None):
    if r is None:
        return "–"
    s = f"{r:.2f}×"
    if paired and len(paired) > 1:
        s += f" ({min(paired):.2f}–{max(paired):.2f})"
    return s


def cpu_times():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v), (v[7] if len(v) > 7 else 0)


# ---------------------------------------------------------------- the benchmark

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build-bench"))
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    for b in ("vtpm-rtmrd", "vtpm-rtmr", "bench/tpm_client", "bench/floor_bench"):
        if not os.access(os.path.join(build, b), os.X_OK):
            sys.exit(f"bench: {build}/{b} missing: run `make bench` (bench/bench.mk)")
    if CFG["cpu"] != "none" and (not CFG["cpu"].isdigit() or
                                 int(CFG["cpu"]) not in os.sched_getaffinity(0)):
        sys.exit(f"bench: BENCH_CPU={CFG['cpu']}: not a CPU this process may use "
                 f"({sorted(os.sched_getaffinity(0))}), nor 'none'")
    if not shutil.which(os.environ.get("BENCH_SWTPM", "swtpm")):
        sys.exit("bench: swtpm not found (Debian package swtpm)")
    tmpfs = os.environ.get("BENCH_SCRATCH") or next(
        (d for d in ("/dev/shm", "/run", "/tmp") if os.access(d, os.W_OK)), "/tmp")
    global SCRATCH
    scratch = SCRATCH = tempfile.mkdtemp(prefix="vtpm-bench-", dir=tmpfs)
    signal.signal(signal.SIGTERM, lambda *_: (stop_all(), sys.exit(143)))
    signal.signal(signal.SIGINT, lambda *_: (stop_all(), sys.exit(130)))
    started = time.time()
    load_before = open("/proc/loadavg").read().split()[:3]
    cpu_before = cpu_times()
    log(f"scratch {scratch}; config {CFG}")
    try:
        res = run_all(build, scratch)
    finally:
        stop_all()
        if sys.exc_info()[0] is not None:
            for name in sorted(os.listdir(scratch)):
                if name.endswith(".stderr"):
                    with open(os.path.join(scratch, name), errors="replace") as f:
                        tail = f.read()[-2000:]
                    log(f"--- {name} (last lines) ---\n{tail}")
            shutil.rmtree(scratch, ignore_errors=True)
    cpu_after = cpu_times()
    load_after = open("/proc/loadavg").read().split()[:3]
    steal = 100.0 * (cpu_after[1] - cpu_before[1]) / max(1, cpu_after[0] - cpu_before[0])
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(), "load_before": load_before, "load_after": load_after,
        "steal": steal, "duration": time.time() - started, "kernel": platform.release(),
        "versions": versions(),
    }
    md = report(res, meta)
    print(md)
    os.makedirs(args.results, exist_ok=True)
    name = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + ".md"
    out = os.path.join(args.results, name)
    with open(out + ".tmp", "w") as f:
        f.write(md)
    os.replace(out + ".tmp", out)
    log(f"written {os.path.relpath(out, os.getcwd())}")
    shutil.rmtree(scratch, ignore_errors=True)


def versions():
    def first(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"

    def pc(mod):
        return first(["pkg-config", "--modversion", mod])
    sw = first([os.environ.get("BENCH_SWTPM", "swtpm"), "--version"])
    return {"libtpms": pc("libtpms"), "tpm2-tss": pc("tss2-tctildr"),
            "swtpm": sw.replace("TPM emulator version ", "").split(",")[0]}


def run_all(build, scratch):
    res = {"tput": {}, "rss": {k: [] for k in KINDS}, "ek": {}, "startup": {},
           "floor": {}, "ima": None, "verify": None}
    with open(os.path.join(scratch, "empty.conf"), "w"):
        pass
    with open(os.path.join(scratch, "nomap.conf"), "w") as f:
        f.write("pcr 0-23 -> none\n")

    # One TPM for every server: made by vtpm-rtmrd, copied to the others (same seeds).
    log("making the common TPM state")
    seed = make_dirs(scratch, "seed")
    s = Server("ours", "tcp", seed, build, scratch)
    s.start()
    s.stop()
    # Every server (3 kinds x TCP/UNIX) runs from the start to the end of the comparison,
    # each on its own copy of the state: rounds then alternate the servers without paying
    # for restarts, and every server sees the same stretches of the machine's noise.
    servers = {}
    for kind in KINDS:
        for transport in ("tcp", "unix"):
            d = make_dirs(scratch, f"{kind}-{transport}")
            if kind == "swtpm":
                swtpm_state_from_ours(seed["state"], d["state"])
            else:
                shutil.copy(os.path.join(seed["state"], "tpm2-permall.state"), d["state"])
            servers[(kind, transport)] = Server(kind, transport, d, build, scratch)
            servers[(kind, transport)].start()

    # A round: per transport, one client measures the three servers interleaved (blocks
    # of BENCH_BLOCK commands in turn, tpm_client --target), the order rotating by round.
    modes = [("tcti-tcp", "tcp"), ("tcti-unix", "unix"), ("persistent-tcp", "tcp"),
             ("persistent-unix", "unix")]
    for r in range(CFG["rounds"]):
        order = KINDS[r % 3:] + KINDS[:r % 3]
        if r % 2:
            order.reverse()
        log(f"round {r + 1}/{CFG['rounds']}: {', '.join(order)}")
        for mode, transport in (modes if r % 2 == 0 else modes[::-1]):
            targets = []
            for kind in order:
                srv = servers[(kind, transport)]
                spec = (f"tcti:{srv.tcti}" if mode.startswith("tcti") else
                        f"{srv.raw[0][2:]}:{srv.raw[1]}")
                targets += ["--target", f"{kind}={spec}"]
            for row in client(build, targets + ["--block", str(CFG["block"])], OPS):
                row["transport"] = mode
                res["tput"].setdefault((row["op"], mode, row["target"]), []).append(row)
        targets = []
        for kind in order:
            targets += ["--target", f"{kind}=tcp:127.0.0.1:{servers[(kind, 'tcp')].port}"]
        for row in client(build, targets, ["ek-rsa", "ek-ecc"], ek_n=CFG["ek_n"], warmup=0):
            res["ek"].setdefault((row["op"], row["target"]), []).append(row["p50_us"])
    for (kind, transport), srv in servers.items():
        if transport == "tcp":
            res["rss"][kind].append(srv.rss_kb())
        srv.stop()

    # The mirrored servers' logs must still replay to their registers.
    res["verify"], res["records"] = [], 0
    for transport in ("tcp", "unix"):
        rt = servers[("ours", transport)].dirs["runtime"]
        v = subprocess.run([os.path.join(build, "vtpm-rtmr"), "--runtime-dir", rt,
                            "--rtmr-backend", "sim", "log", "verify"],
                           capture_output=True, text=True)
        res["verify"].append(f"{transport} ok" if v.returncode == 0 else
                             f"{transport} FAILED: {v.stdout.strip()} {v.stderr.strip()}")
        with open(os.path.join(rt, "rtmr2.log")) as f:
            res["records"] += sum(1 for line in f if line.startswith("vtpm extend 8 "))
    res["verify"] = ", ".join(res["verify"])

    startup(build, scratch, res)
    floor(build, scratch, res)
    ima(build, scratch, seed, res)
    return res


SWTPM_SETUP = os.environ.get("BENCH_SWTPM_SETUP", "swtpm_setup")


def swtpm_setup_cmd(scratch, state_dir):
    """How swtpm users get an EK: swtpm_setup --createek (RSA 2048 at 0x81010001 and, in
    swtpm_setup 0.7, ECC P-384 at 0x81010016 too), every PCR bank left active as vtpm-rtmrd
    has them (--pcr-banks -), no certificates; a private, empty config file (no
    swtpm_localca, nothing from /etc)."""
    conf = os.path.join(scratch, "swtpm_setup.conf")
    if not os.path.exists(conf):
        with open(conf, "w") as f:
            f.write("# bench: no certificate tool, default banks from the command line\n")
    cmd = [SWTPM_SETUP, "--tpm2", "--tpmstate", state_dir, "--createek", "--overwrite",
           "--pcr-banks", "-", "--config", conf]
    if os.environ.get("BENCH_SWTPM"):
        cmd += ["--tpm", os.environ["BENCH_SWTPM"] + " socket"]
    return cmd


def start_swtpm_setup(build, scratch, d):
    """Exec of swtpm_setup until swtpm, started on the state it made, answers GetRandom.
    Returns (total s, swtpm_setup alone s)."""
    t0 = time.perf_counter()
    r = subprocess.run(swtpm_setup_cmd(scratch, d["state"]), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=120)
    t_setup = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"swtpm_setup failed: {(r.stderr or r.stdout).strip()}")
    srv = Server("swtpm", "tcp", d, build, scratch, pin=False)
    t_start = srv.start()
    srv.stop()
    return t_setup + t_start, t_setup


def startup(build, scratch, res):
    """Exec until the first answered GetRandom: fresh (empty) state, then existing state.
    swtpm-setup: fresh is swtpm_setup --createek then swtpm (exec of swtpm_setup until
    swtpm's first answer); existing is swtpm started again on that state. In a round, every
    server's fresh start comes first, then the existing ones: an existing start right after
    its own CPU-heavy fresh start (the RSA prime search) measured ~1.5 ms slower here."""
    configs = [("ours", None), ("swtpm", None), ("ours-ecc", "ecc-p256")]
    if shutil.which(SWTPM_SETUP):
        configs.append(("swtpm-setup", None))
    else:
        log(f"{SWTPM_SETUP} not found: no startup row for swtpm with an EK")
    for r in range(CFG["rounds"]):
        order = configs if r % 2 == 0 else configs[::-1]
        log(f"startup round {r + 1}/{CFG['rounds']}")
        dirs = {name: make_dirs(os.path.join(scratch, "startup"), f"{name}-{r}")
                for name, _ in configs}
        for phase in ("fresh", "existing"):
            for name, ek_type in order:
                kind = "ours" if name.startswith("ours") else "swtpm"
                d = dirs[name]
                if name == "swtpm-setup" and phase == "fresh":
                    t, t_setup = start_swtpm_setup(build, scratch, d)
                    res["startup"].setdefault(("swtpm_setup-alone", phase), []).append(t_setup)
                else:
                    srv = Server(kind, "tcp", d, build, scratch, ek_type=ek_type, pin=False)
                    t = srv.start()
                    srv.stop()
                res["startup"].setdefault((name, phase), []).append(t)


def floor(build, scratch, res):
    log("in-process floor")
    d = os.path.join(scratch, "floor")
    r = subprocess.run([os.path.join(build, "bench", "floor_bench"), "--dir", d,
                        "--n", str(CFG["floor_n"]), "--rounds", str(CFG["floor_rounds"])],
                       capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError(f"floor_bench failed: {r.stderr.strip()}")
    per_round = {}
    for line in r.stdout.splitlines():
        row = json.loads(line)
        res["floor"].setdefault(row["variant"], []).append(row["us_per_op"])
        per_round.setdefault(row["round"], {})[row["variant"]] = row["us_per_op"]
    res["floor_diff"] = [v["mirror"] - v["floor"] for v in per_round.values()
                         if "mirror" in v and "floor" in v]


def ima(build, scratch, seed, res):
    """Catch-up of N new IMA entries: append them to the list the daemon follows, then time
    a PCR_Read (the bridge catches up before any PCR reader). Each sample runs the default
    map (PCR 10 -> RTMR2, mirrored) and a map with PCR 10 unmapped, alternating."""
    n = CFG["ima_entries"]
    if n <= 0:
        res["ima"] = {"skipped": True}
        return
    if not daemon_has_ima_bridge(build):
        res["ima"] = {"missing": True}
        return
    log(f"IMA bridge catch-up of {n} entries")
    entries = b"".join(ima_entry(i) for i in range(n))
    out = {"n": n, "secs": {"ours": [], "nomap": []}, "applied": []}
    for r in range(CFG["ima_samples"]):
        for kind in (("ours", "nomap") if r % 2 == 0 else ("nomap", "ours")):
            d = make_dirs(os.path.join(scratch, "ima"), f"{kind}{r}")
            shutil.copy(os.path.join(seed["state"], "tpm2-permall.state"), d["state"])
            lst = os.path.join(scratch, "ima", f"{kind}{r}", "ima.list")
            with open(lst, "wb") as f:
                f.write(ima_boot_aggregate())
            srv = Server(kind, "tcp", d, build, scratch,
                         extra=["--ima-bridge", "on", "--ima-list", lst,
                                "--ima-poll-ms", "3600000"])
            srv.start()
            try:
                with open(lst, "ab") as f:
                    f.write(entries)
                row = client(build, srv.raw, ["read"], n=1, warmup=0)[0]
                out["secs"][kind].append(row["p50_us"] / 1e6)
            finally:
                srv.stop()
            if kind == "ours":
                with open(os.path.join(d["runtime"], "rtmr2.log")) as f:
                    out["applied"].append(sum(1 for line in f
                                              if line.startswith("vtpm extend 10 ")))
            shutil.rmtree(os.path.join(scratch, "ima", f"{kind}{r}"), ignore_errors=True)
    res["ima"] = out


# ---------------------------------------------------------------- report

def report(res, meta):
    L = []
    ver = meta["versions"]
    L.append(f"# vtpm-rtmr benchmark — {meta['date']}")
    L.append("")
    L.append(f"Machine: {meta['nproc']} CPUs, kernel {meta['kernel']}; loadavg before "
             f"{' '.join(meta['load_before'])}, after {' '.join(meta['load_after'])}; "
             f"CPU steal during the run {meta['steal']:.1f}%. "
             f"libtpms {ver['libtpms']}, tpm2-tss {ver['tpm2-tss']}, swtpm {ver['swtpm']}. "
             f"Rounds {CFG['rounds']}, {CFG['n']} commands per run "
             f"(Quote {max(1, CFG['n'] // 10)}), warm-up {CFG['warmup']}; "
             f"run took {meta['duration']:.0f} s. "
             + ("Clients and servers unpinned (BENCH_CPU=none)." if CFG["cpu"] == "none" else
                f"Clients and servers all pinned to CPU {CFG['cpu']} (BENCH_CPU)."))
    L.append("")
    L.append("Medians over rounds; ratios are of the medians, with the range of the per-round "
             "ratios in brackets. Within a round the servers take turns every "
             f"{CFG['block']} commands (Quote {max(1, CFG['block'] // 10)}), and the order "
             "rotates from round to round. ops/s: higher is better.")
    L.append("")

    # Throughput
    L.append("## Throughput and latency")
    L.append("")
    L.append("| operation | transport | ours ops/s | no-map ops/s | swtpm ops/s | ours/swtpm | "
             "no-map/swtpm | ours/swtpm, whole-run ops/s | p50 µs ours / no-map / swtpm | "
             "p99 µs ours / no-map / swtpm |")
    L.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    tput = res["tput"]
    summary = {}
    for op in OPS:
        for tr in ("tcti-tcp", "tcti-unix", "persistent-tcp", "persistent-unix"):
            rows = {k: tput.get((op, tr, k), []) for k in KINDS}
            if not rows["ours"]:
                continue
            ops = {k: med([x["block_ops_per_s"] for x in rows[k]]) for k in KINDS}
            whole = {k: med([x["ops_per_s"] for x in rows[k]]) for k in KINDS}
            p50 = {k: med([x["p50_us"] for x in rows[k]]) for k in KINDS}
            p99 = {k: med([x["p99_us"] for x in rows[k]]) for k in KINDS}

            def paired(a, b, f="block_ops_per_s"):
                return [x[f] / y[f] for x, y in zip(rows[a], rows[b]) if y[f]]
            r_ours = ratio(ops["ours"], ops["swtpm"])
            r_whole = ratio(whole["ours"], whole["swtpm"])
            summary[(op, tr)] = (r_ours, r_whole, ratio(p50["swtpm"], p50["ours"]))
            L.append(f"| {OP_TITLE[op]} | {tr} | {fmt(ops['ours'])} | {fmt(ops['nomap'])} | "
                     f"{fmt(ops['swtpm'])} | {fmt_ratio(r_ours, paired('ours', 'swtpm'))} | "
                     f"{fmt_ratio(ratio(ops['nomap'], ops['swtpm']), paired('nomap', 'swtpm'))} | "
                     f"{fmt_ratio(r_whole, paired('ours', 'swtpm', 'ops_per_s'))} | "
                     f"{fmt(p50['ours'])} / {fmt(p50['nomap'])} / {fmt(p50['swtpm'])} | "
                     f"{fmt(p99['ours'])} / {fmt(p99['nomap'])} / {fmt(p99['swtpm'])} |")
    L.append("")
    L.append("ops/s: the median of the per-block rates (blocks of "
             f"{CFG['block']} commands; Quote {max(1, CFG['block'] // 10)}), robust to the "
             "stalls of a loaded machine; whole-run ops/s: commands over the server's total "
             "time, which a single stall can move by 2x on a noisy machine.")
    L.append("")
    L.append("tcti-*: tpm2-tss swtpm TCTI (a new connection per command); persistent-*: one "
             "connection for all commands. ours = vtpm-rtmrd with the default map (PCR 8 -> "
             "RTMR2 mirrored, sim backend, runtime dir on tmpfs); no-map = every PCR mapped to "
             "none. After the run the mirrored daemon's logs replay to its registers "
             f"(`vtpm-rtmr log verify`): {res['verify']}; {res['records']} PCR 8 records. "
             f"Commands resent after TPM_RC_RETRY/YIELDED/TESTING: "
             f"{sum(x.get('retries', 0) for rows in tput.values() for x in rows)}.")
    L.append("")

    # Floor
    fl = res["floor"]
    f_floor, f_service = med(fl.get("floor", [])), med(fl.get("service", []))
    f_mirror, f_unm = med(fl.get("mirror", [])), med(fl.get("mirror-unmapped", []))
    f_sys = med(fl.get("syscall", []))
    diff = med(res.get("floor_diff", []))
    L.append("## In-process floor (PCR_Extend, no transport)")
    L.append("")
    L.append("| path | µs per extend | extends/s |")
    L.append("|---|--:|--:|")
    for name, v in (("floor: TPMLIB_Process", f_floor),
                    ("service_command, no mirror", f_service),
                    ("floor+mirror: service_command, mirror on sim (PCR 8 mapped)", f_mirror),
                    ("service_command, mirror on, PCR 16 (not mapped)", f_unm)):
        L.append(f"| {name} | {fmt(v, 2)} | {fmt(1e6 / v if v else None)} |")
    L.append(f"| **mirror cost** (floor+mirror − floor, per-round pairs) | **{fmt(diff, 2)}** | |")
    L.append("")
    d_ours = med([x["ops_per_s"] for x in tput.get(("extend", "persistent-tcp", "ours"), [])])
    L.append(f"One null system call (getppid) costs {fmt(f_sys, 2)} µs on this machine, so the "
             f"mirror cost is about {fmt(ratio(diff, f_sys), 1)} null system calls. "
             f"ours/floor (PCR_Extend over a persistent TCP connection vs. TPMLIB_Process): "
             f"{fmt_ratio(ratio(d_ours, 1e6 / f_floor if f_floor else None))}; vs. floor+mirror: "
             f"{fmt_ratio(ratio(d_ours, 1e6 / f_mirror if f_mirror else None))}.")
    L.append("")

    # Startup
    st = res["startup"]
    L.append("## Startup to ready (exec until the first answered GetRandom)")
    L.append("")
    L.append("| state | vtpm-rtmrd ms | swtpm ms | ours/swtpm | vtpm-rtmrd, ECC P-256 EK, ms | "
             "swtpm_setup --createek, then swtpm, ms | ours/that |")
    L.append("|---|--:|--:|--:|--:|--:|--:|")
    start_ratio = {}

    def paired(a, b, phase):
        return [x / y for x, y in zip(st.get((a, phase), []), st.get((b, phase), []))]
    for phase in ("fresh", "existing"):
        o, s, e, w = (med(st.get((n, phase), []))
                      for n in ("ours", "swtpm", "ours-ecc", "swtpm-setup"))
        start_ratio[phase] = ratio(o, s)
        L.append(f"| {phase} | {fmt(o and o * 1e3, 1)} | {fmt(s and s * 1e3, 1)} | "
                 f"{fmt_ratio(ratio(o, s), paired('ours', 'swtpm', phase))} | "
                 f"{fmt(e and e * 1e3, 1)} | {fmt(w and w * 1e3, 1)} | "
                 f"{fmt_ratio(ratio(o, w), paired('ours', 'swtpm-setup', phase))} |")
    L.append("")
    L.append("Fresh: empty state directory (vtpm-rtmrd manufactures the TPM, creates and persists "
             "its EK, starts three event logs; swtpm manufactures only, no EK). Existing: the "
             "same directories started again. *ours/swtpm* > 1: ours is slower.")
    alone = med(st.get(("swtpm_setup-alone", "fresh"), []))
    if alone is not None:
        L.append("")
        L.append(f"With an EK, as swtpm users get one: `swtpm_setup --tpm2 --createek "
                 f"--pcr-banks - --overwrite` (RSA 2048 and, in swtpm_setup 0.7, also ECC "
                 f"P-384; all banks active as in vtpm-rtmrd; no certificates), then swtpm "
                 f"started on that state; fresh is the time from the exec of swtpm_setup to "
                 f"swtpm's first answer, of which swtpm_setup alone {fmt(alone * 1e3, 1)} ms. "
                 f"Existing: swtpm started again on that state. *ours/that* > 1: ours is "
                 f"slower.")
    L.append("")

    # RSS
    L.append("## Memory after the run (TCP instance, after all rounds of commands and EK "
             "creations)")
    L.append("")
    L.append("| server | VmHWM kB | VmRSS kB | of which anon / file kB | VmHWM vs swtpm | "
             "VmRSS vs swtpm |")
    L.append("|---|--:|--:|--:|--:|--:|")
    rss = {k: tuple(med([x.get(f) for x in res["rss"][k]])
                    for f in ("VmHWM", "VmRSS", "RssAnon", "RssFile")) for k in KINDS}
    for k in KINDS:
        L.append(f"| {KIND_TITLE[k]} | {fmt(rss[k][0])} | {fmt(rss[k][1])} | "
                 f"{fmt(rss[k][2])} / {fmt(rss[k][3])} | "
                 f"{fmt_ratio(ratio(rss[k][0], rss['swtpm'][0]))} | "
                 f"{fmt_ratio(ratio(rss[k][1], rss['swtpm'][1]))} |")
    L.append("")
    L.append("File-backed RSS is mostly shared-library pages (libcrypto, libc, libtpms: shared "
             "with any other process using them); anon is the server's own memory.")
    L.append("")

    # EK
    L.append(f"## EK creation (TPM2_CreatePrimary, TCG templates, same endorsement seed; "
             f"{CFG['ek_n']} per type, server and round)")
    L.append("")
    L.append("| EK | vtpm-rtmrd ms | no-map ms | swtpm ms | ours/swtpm |")
    L.append("|---|--:|--:|--:|--:|")
    for op, title in (("ek-rsa", "RSA 2048 (L-1)"), ("ek-ecc", "ECC P-256 (L-2)")):
        v = {k: med(res["ek"].get((op, k), [])) for k in KINDS}
        L.append(f"| {title} | {fmt(v['ours'] and v['ours'] / 1e3, 2)} | "
                 f"{fmt(v['nomap'] and v['nomap'] / 1e3, 2)} | "
                 f"{fmt(v['swtpm'] and v['swtpm'] / 1e3, 2)} | "
                 f"{fmt_ratio(ratio(v['ours'], v['swtpm']))} |")
    L.append("")

    # IMA
    L.append("## IMA bridge catch-up")
    L.append("")
    im = res["ima"]
    ima_s = None
    if im is None or im.get("missing"):
        L.append(IMA_NOT_MEASURED)
    elif im.get("skipped"):
        L.append("not measured: BENCH_IMA_ENTRIES=0")
    else:
        ima_s, ima_nm = med(im["secs"]["ours"]), med(im["secs"]["nomap"])
        L.append(f"{im['n']:,} ima-ng entries for PCR 10 appended to the list the daemon "
                 f"follows; a PCR_Read then waits for the catch-up (medians of "
                 f"{len(im['secs']['ours'])}).")
        L.append("")
        L.append("| map | catch-up s | µs per entry |")
        L.append("|---|--:|--:|")
        L.append(f"| default (PCR 10 -> RTMR2, mirrored) | {fmt(ima_s, 2)} | "
                 f"{fmt(ima_s and ima_s / im['n'] * 1e6, 1)} |")
        L.append(f"| no mapped PCR | {fmt(ima_nm, 2)} | "
                 f"{fmt(ima_nm and ima_nm / im['n'] * 1e6, 1)} |")
        L.append("")
        L.append(f"`vtpm extend 10` records in rtmr2.log per mirrored sample (boot_aggregate "
                 f"included): {', '.join(str(a) for a in im['applied'])}.")
    L.append("")

    # Targets
    L.append("## Targets (issue) — did this run meet them?")
    L.append("")
    L.append("| target | this run | met |")
    L.append("|---|---|---|")

    def yes(ok):
        return "–" if ok is None else ("yes" if ok else "**no**")

    def all_ok(vals, pred):
        vals = [v for v in vals if v is not None]
        return None if not vals else all(pred(v) for v in vals)
    def tp(tr):
        r = summary.get(("extend", tr), (None, None, None))
        return r[0], (f"{tr.split('-')[1].upper()} {fmt_ratio(r[0])} (whole-run "
                      f"{fmt_ratio(r[1])}, p50 {fmt_ratio(r[2])})")
    t1 = [tp("tcti-tcp"), tp("tcti-unix")]
    t2 = [tp("persistent-tcp"), tp("persistent-unix")]
    L.append(f"| mirrored PCR_Extend via swtpm TCTI ≥ 1.0× swtpm | {t1[0][1]}, {t1[1][1]} | "
             f"{yes(all_ok([t[0] for t in t1], lambda v: v >= 1.0))} |")
    L.append(f"| mirrored PCR_Extend, persistent connection ≥ 0.95× swtpm | {t2[0][1]}, "
             f"{t2[1][1]} | {yes(all_ok([t[0] for t in t2], lambda v: v >= 0.95))} |")
    L.append(f"| mirror cost ≤ 3 µs per extend (sim) | {fmt(diff, 2)} µs | "
             f"{yes(None if diff is None else diff <= 3.0)} |")
    L.append(f"| startup-to-ready ≤ swtpm | fresh {fmt_ratio(start_ratio['fresh'])}, existing "
             f"{fmt_ratio(start_ratio['existing'])} | "
             f"{yes(all_ok(list(start_ratio.values()), lambda v: v <= 1.0))} |")
    rr = [ratio(rss["ours"][0], rss["swtpm"][0]), ratio(rss["ours"][1], rss["swtpm"][1])]
    L.append(f"| RSS ≤ swtpm | VmHWM {fmt_ratio(rr[0])}, VmRSS {fmt_ratio(rr[1])} | "
             f"{yes(all_ok(rr, lambda v: v <= 1.0))} |")
    if ima_s is None:
        L.append("| IMA catch-up of 100k entries ≤ 2 s | "
                 f"{IMA_NOT_MEASURED if not im or im.get('missing') else 'not measured'} | – |")
    else:
        scaled = ima_s * 100000 / im["n"]
        per100k = "" if im["n"] == 100000 else f" (scaled: {fmt(scaled, 2)} s per 100k)"
        L.append(f"| IMA catch-up of 100k entries ≤ 2 s | {fmt(ima_s, 2)} s for {im['n']:,} "
                 f"entries{per100k} | {yes(scaled <= 2.0)} |")
    L.append("")
    L.append("Throughput targets are judged on the ops/s ratio (median block rates); "
             "\"whole-run\" is the ratio of commands over total time, \"p50\" swtpm's median "
             "latency over ours.")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    try:
        main()
    except RuntimeError as e:
        stop_all()
        sys.exit(f"bench: {e}")
