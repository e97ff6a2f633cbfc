#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerate the seed corpora in tests/fuzz/corpus/<target>/ from real data.

    python3 tests/fuzz/make_corpus.py [--daemon build/vtpm-rtmrd] [--work DIR]

- fuzz_pcr_cmds, fuzz_frame: TPM frames sent by tpm2-tools 5.x (tpm2-tss swtpm TCTI) to
  swtpm, captured with TSS2_LOG=tcti+trace, and the frames of
  tests/unit/data/pcr_cmds/captured.txt (captured the same way).
- fuzz_ctrl_channel: the bytes swtpm_ioctl sends on the swtpm control channel, recorded by a
  TCP proxy in front of swtpm's control port.
- fuzz_eventlog: the event logs vtpm-rtmrd (socket transport, sim RTMRs) writes while
  tpm2-tools extend, event, reset and restart it (with a foreign extend: a SYNC record).
- fuzz_binlog: those logs exported by vtpm-rtmr as tcg2, ccel (with and without header) and
  cel-tlv, and a synthetic firmware CCEL with padding (tests/integration/synth_ccel.py).
- fuzz_map, fuzz_options_config: etc/map.conf.example, etc/vtpm-rtmrd.conf and variants.

Needs swtpm, swtpm_ioctl, tpm2-tools and a built vtpm-rtmrd. Nonces, HMACs and random data
differ on every run, so the seeds do too. Existing seeds of a target are replaced.
"""
import argparse
import hashlib
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
sys.dont_write_bytecode = True  # no __pycache__ next to the unit-test data
sys.path.insert(0, os.path.join(ROOT, "tests", "unit", "data", "pcr_cmds"))
import extract_tcti_log  # noqa: E402  (its dump() reads the TCTI hex dumps)


def free_port_pair():
    for _ in range(200):
        p = random.randint(30000, 60000)
        try:
            socks = []
            for q in (p, p + 1):
                s = socket.socket()
                s.bind(("127.0.0.1", q))
                socks.append(s)
            for s in socks:
                s.close()
            return p
        except OSError:
            for s in socks:
                s.close()
    raise SystemExit("no free port pair")


def wait_port(port, proc, what):
    for _ in range(100):
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not listen on {port}")


def frames_of(log_path):
    """[(kind, bytes)] in order: kind CMD or RSP."""
    lines = open(log_path, errors="replace").read().split("\n")
    out = []
    for i, line in enumerate(lines):
        if "socket_xmit_buf() Writing" in line:
            out.append(("CMD", extract_tcti_log.dump(lines, i + 1)))
        elif "Response received:" in line:
            out.append(("RSP", extract_tcti_log.dump(lines, i + 1)))
    return out


def pairs_of(frames):
    """[(cmd, rsp)] of consecutive command/response frames."""
    res = []
    for (k1, a), (k2, b) in zip(frames, frames[1:]):
        if k1 == "CMD" and k2 == "RSP":
            res.append((a, b))
    return res


class Recorder:
    """A TCP proxy that records what each client connection sends to the server."""

    def __init__(self, listen_port, target_port):
        self.conns = []
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", listen_port))
        self.srv.listen(8)
        self.target = target_port
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            s = socket.create_connection(("127.0.0.1", self.target))
            rec = []
            self.conns.append(rec)
            threading.Thread(target=self.pump, args=(c, s, rec), daemon=True).start()
            threading.Thread(target=self.pump, args=(s, c, None), daemon=True).start()

    @staticmethod
    def pump(src, dst, rec):
        while True:
            try:
                d = src.recv(65536)
            except OSError:
                d = b""
            if not d:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            if rec is not None:
                rec.append(d)
            dst.sendall(d)


def run(cmd, env=None, log=None, check=False):
    with open(log or os.devnull, "w") as err:
        r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err, timeout=60)
    if check and r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return r.returncode


def dgst(alg, text):
    return hashlib.new(alg, text.encode()).hexdigest()


def reset_dir(target):
    d = os.path.join(CORPUS, target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def pcr_seed(cmd, rsp):
    """fuzz_pcr_cmds input: [n][cmd][rsp], or [0xff][n16][cmd][rsp] for long commands."""
    if len(cmd) < 0xFF:
        return bytes([len(cmd)]) + cmd + rsp
    return b"\xff" + len(cmd).to_bytes(2, "big") + cmd + rsp


def capture_swtpm(work):
    """TPM frames from tpm2-tools and control requests from swtpm_ioctl, against swtpm."""
    port = free_port_pair()
    proxy_port = free_port_pair()
    state = os.path.join(work, "swtpm-state")
    os.makedirs(state)
    swtpm = subprocess.Popen(
        ["swtpm", "socket", "--tpm2", "--server", f"type=tcp,port={port},bindaddr=127.0.0.1",
         "--ctrl", f"type=tcp,port={port + 1},bindaddr=127.0.0.1", "--tpmstate",
         f"dir={state}", "--flags", "not-need-init,startup-clear"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pairs, ctrl = {}, []
    try:
        wait_port(port, swtpm, "swtpm")
        rec = Recorder(proxy_port, port + 1)
        env = dict(os.environ, TPM2TOOLS_TCTI=f"swtpm:host=127.0.0.1,port={port}",
                   TSS2_LOG="tcti+trace")
        small = os.path.join(work, "small.bin")
        big = os.path.join(work, "big.bin")
        open(small, "w").write("vtpm-rtmr fuzz seed event")
        open(big, "wb").write(b"b" * 1500)
        four = ",".join(f"{a}={dgst(a, 'fuzz seed')}"
                        for a in ("sha1", "sha256", "sha384", "sha512"))
        ioctl = ["swtpm_ioctl", "--tcp", f"127.0.0.1:{proxy_port}"]
        steps = [
            ("getcap_pcrs", ["tpm2_getcap", "pcrs"]),
            ("pcr_allocate", ["tpm2_pcrallocate", "sha1:all+sha256:all+sha384:all+sha512:all"]),
            ("extend_4banks", ["tpm2_pcrextend", f"9:{four}"]),
            ("extend_sha512", ["tpm2_pcrextend", f"23:sha512={dgst('sha512', 'x')}"]),
            ("event_small", ["tpm2_pcrevent", "10", small]),
            ("event_sequence", ["tpm2_pcrevent", "11", big]),
            ("reset_16", ["tpm2_pcrreset", "16"]),
            ("reset_0_refused", ["tpm2_pcrreset", "0"]),
            ("pcrread", ["tpm2_pcrread", "sha256:0,8"]),
            ("ctrl_init", ioctl + ["-i"]),
            ("startup_clear", ["tpm2_startup", "-c"]),
            ("shutdown_state", ["tpm2_shutdown"]),
            ("ctrl_init2", ioctl + ["-i"]),
            ("startup_state", ["tpm2_startup"]),
        ]
        for name, cmd in steps:
            log = os.path.join(work, name + ".log")
            run(cmd, env=env, log=log)
            for cmd_b, rsp_b in pairs_of(frames_of(log)):
                pairs.setdefault((cmd_b, rsp_b), name)
        # every control command swtpm_ioctl knows (those vtpm-rtmrd does not are seeds too)
        for args in (["-c"], ["-e"], ["-r", "3"], ["-l", "3"], ["-l", "0"], ["-C"], ["-v"],
                     ["-g"], ["-b", "0"], ["--info", "1"], ["--info", "2"], ["--info", "12"],
                     ["-h", "data"], ["--stop"], ["-b", "4096"], ["-b", "0"], ["-i"], ["-s"]):
            n = len(rec.conns)
            run(ioctl + args)
            time.sleep(0.05)
            for c in rec.conns[n:]:
                ctrl.append(("_".join(a.strip("-") for a in args), b"".join(c)))
    finally:
        swtpm.kill()
        swtpm.wait()
    return pairs, ctrl


def known_frames():
    """(name, bytes) of tests/unit/data/pcr_cmds/captured.txt."""
    res = []
    path = os.path.join(ROOT, "tests", "unit", "data", "pcr_cmds", "captured.txt")
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        name, hexs = line.split()
        res.append((name, bytes.fromhex(hexs)))
    return res


def seeds_pcr_and_frame(pairs):
    d_pcr = reset_dir("fuzz_pcr_cmds")
    d_frame = reset_dir("fuzz_frame")
    known = dict(known_frames())
    # captured.txt: the commands with the responses they got
    for cmd_name in known:
        if not cmd_name.endswith("_cmd"):
            continue
        base = cmd_name[: -len("_cmd")]
        rsp = known.get(base + "_rsp")
        if rsp is None:
            rsp = known["startup_ok_rsp"]
        write(d_pcr, "unit_" + base, pcr_seed(known[cmd_name], rsp))
    write(d_pcr, "unit_startup_clear_initialize",
          pcr_seed(known["startup_clear_cmd"], known["startup_initialize_rsp"]))
    for name, b in known.items():
        write(d_frame, "unit_" + name, b)
    # our own capture: PCR-changing commands and the capability/allocation exchanges
    cc_keep = {0x182, 0x13C, 0x185, 0x13D, 0x144, 0x145, 0x12B, 0x17A, 0x17E}
    seen = {}
    for (cmd, rsp), step in pairs.items():
        cc = int.from_bytes(cmd[6:10], "big") if len(cmd) >= 10 else 0
        if cc not in cc_keep or len(cmd) > 1100:
            continue
        key = f"{step}_cc{cc:03x}"
        seen[key] = seen.get(key, 0) + 1
        name = f"{key}_{seen[key]}"
        write(d_pcr, name, pcr_seed(cmd, rsp))
        if cc in (0x17A, 0x12B, 0x17E):
            write(d_frame, name + "_rsp", rsp)
            write(d_frame, name + "_cmd", cmd)


def seeds_ctrl(ctrl):
    d = reset_dir("fuzz_ctrl_channel")

    def frame(reqs):
        return b"".join(bytes([len(r)]) + r for r in reqs)

    allreqs = []
    for name, data in ctrl:
        if data:
            write(d, "swtpm_ioctl_" + name, frame([data]))
            allreqs.append((name, data))
    by = dict(allreqs)
    # sequences one control connection could carry (swtpm_ioctl uses one per command)
    seqs = {
        "seq_stop_buffersize_init": ["stop", "b_4096", "b_0", "i", "c"],
        "seq_locality_established": ["l_3", "r_3", "e", "l_0", "C"],
        "seq_info_all": ["info_1", "info_2", "info_12", "c", "s"],
    }
    for name, parts in seqs.items():
        if all(p in by for p in parts):
            write(d, name, frame([by[p] for p in parts]))
    # CMD_GET_INFO with an offset into the text (swtpm_ioctl always asks from 0)
    write(d, "get_info_offset", frame([bytes.fromhex("00000012" "0000000000000001"
                                                     "00000010" "00000000")]))
    # CMD_INIT with PTM_INIT_FLAG_DELETE_VOLATILE
    write(d, "init_delete_volatile", frame([bytes.fromhex("00000002" "00000001")]))


def capture_daemon(daemon, work):
    """The event logs of a vtpm-rtmrd run."""
    os.makedirs(work, exist_ok=True)
    port = free_port_pair()
    rt = os.path.join(work, "run")
    mapf = os.path.join(work, "map.conf")
    open(mapf, "w").write("pcr 16 -> rtmr 3\npcr 23 -> rtmr 3\n")
    args = [daemon, "--transport", "socket", "--port", str(port), "--runtime-dir", rt,
            "--rtmr-backend", "sim", "--map", mapf, "--log-level", "warn"]
    env = dict(os.environ, TPM2TOOLS_TCTI=f"swtpm:host=127.0.0.1,port={port}")
    ioctl = ["swtpm_ioctl", "--tcp", f"127.0.0.1:{port + 1}"]

    def start():
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port, p, "vtpm-rtmrd")
        return p

    def stop(p):
        run(ioctl + ["-s"])
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    small = os.path.join(work, "ev.bin")
    big = os.path.join(work, "ev-big.bin")
    open(small, "w").write("small event data")
    open(big, "wb").write(os.urandom(3000))
    four = ",".join(f"{a}={dgst(a, 'two')}" for a in ("sha1", "sha256", "sha384", "sha512"))
    d = start()
    try:
        for cmd in (["tpm2_pcrextend", f"8:sha256={dgst('sha256', 'one')}"],
                    ["tpm2_pcrextend", f"9:{four}"],
                    ["tpm2_pcrevent", "10", small],
                    ["tpm2_pcrevent", "11", big],
                    ["tpm2_pcrextend", f"1:sha1={dgst('sha1', 'three')}"],
                    ["tpm2_pcrextend", f"4:sha256={dgst('sha256', 'four')}"],
                    ["tpm2_pcrextend", f"16:sha256={dgst('sha256', 'five')}"],
                    ["tpm2_pcrreset", "16"],
                    ["tpm2_pcrextend", f"23:sha384={dgst('sha384', 'six')}"],
                    ["tpm2_pcrreset", "23"]):
            run(cmd, env=env, check=True)
        run(ioctl + ["-i"], check=True)
        run(["tpm2_startup", "-c"], env=env, check=True)
        run(["tpm2_pcrextend", f"8:sha1={dgst('sha1', 'seven')}"], env=env, check=True)
        # a foreign extend of RTMR2: the next record there is preceded by SYNC
        reg = os.path.join(rt, "sim", "rtmr2:sha384")
        v = open(reg, "rb").read()
        open(reg, "r+b").write(hashlib.sha384(v + b"x" * 48).digest())
        run(["tpm2_pcrextend", f"12:sha256={dgst('sha256', 'eight')}"], env=env, check=True)
    finally:
        stop(d)
    d = start()  # a restart continues the logs
    try:
        run(["tpm2_pcrextend", f"8:sha256={dgst('sha256', 'nine')}"], env=env, check=True)
    finally:
        stop(d)
    return {f: open(os.path.join(rt, f), "rb").read()
            for f in sorted(os.listdir(rt)) if f.endswith(".log")}


def seeds_eventlog(logs):
    d = reset_dir("fuzz_eventlog")
    lines = {}
    for name, text in logs.items():
        write(d, "daemon_" + name.replace(".log", ""), text)
        for line in text.split(b"\n"):
            words = line.split(b" ")
            word = b" ".join(words[:2] if words[0] == b"vtpm" else words[:1])
            if line and word not in lines:
                lines[word] = line
    # single records, without LF (evlog_parse_record on the whole input)
    for word, line in lines.items():
        write(d, "record_" + word.decode().replace(" ", "_").lower(), line)
    # a record type the daemon only writes when attesting, comments and another domain
    ek = b"vtpm ek sha256/" + hashlib.sha256(b"TPMT_PUBLIC").hexdigest().encode()
    write(d, "record_vtpm_ek", ek)
    # hand-made (marked synth_): every bank, an INIT of the wrong hash, too many words
    algs = ("sha1", "sha256", "sha384", "sha512", "sm3_256", "sha3_256", "sha3_384", "sha3_512")
    sizes = {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64, "sm3_256": 32,
             "sha3_256": 32, "sha3_384": 48, "sha3_512": 64}
    dg = {a: bytes([i + 1]) * sizes[a] for i, a in enumerate(algs)}
    init = b"INIT sha384/" + b"00" * 48
    every = b"vtpm extend 5 " + b" ".join(a.encode() + b"/" + dg[a].hex().encode() for a in algs)
    write(d, "synth_all_banks", init + b"\nvtpm startup clear\n" + every + b"\nvtpm reset 5\n"
          b"vtpm extend 17 sha256/" + dg["sha256"].hex().encode() + b"\n")
    write(d, "synth_init_wrong_alg", b"INIT sha256/" + b"00" * 32 + b"\nvtpm startup clear\n")
    write(d, "synth_too_many_words",
          b"vtpm extend 1" + b" sha1/" .join([b""] + [dg["sha1"].hex().encode()] * 17))
    first = logs.get("rtmr2.log", b"").split(b"\n")
    if first and first[0].startswith(b"INIT "):
        write(d, "mixed_domains", first[0] + b"\n# a comment\n\n" + ek + b"\n"
              b"systemd boot-phase sysinit \xe2\x9c\x93\nvtpm startup clear\n")


def seeds_binlog(logs, tool, work):
    d = reset_dir("fuzz_binlog")
    os.makedirs(work, exist_ok=True)
    files = []
    for name, text in logs.items():
        files.append(os.path.join(work, name))
        open(files[-1], "wb").write(text)
    for seed, args in (("daemon_tcg2", ["--format", "tcg2"]),
                       ("daemon_ccel", ["--format", "ccel"]),
                       ("daemon_ccel_standalone", ["--format", "ccel", "--standalone"]),
                       ("daemon_cel_tlv", ["--format", "cel-tlv"])):
        run([tool, "log", "export"] + args + ["--out", os.path.join(d, seed)] + files,
            check=True)
    run([sys.executable, os.path.join(ROOT, "tests", "integration", "synth_ccel.py"),
         os.path.join(d, "synth_ccel_padded"), "--padding", "64"], check=True)


def seeds_text():
    d = reset_dir("fuzz_map")
    shutil.copy(os.path.join(ROOT, "etc", "map.conf.example"), os.path.join(d, "example"))
    write(d, "ranges_lists", b"# everything moved\npcr 0,1,7 -> rtmr 0\npcr 2-6 -> rtmr 1\n"
          b"pcr 8-10,12 -> rtmr 2   # not 11\npcr 11 -> none\npcr 16-23 -> rtmr 3\n")
    write(d, "tabs_no_final_lf", b"\tpcr 13 ->\trtmr 7\npcr 14-15->none")
    d = reset_dir("fuzz_options_config")
    shutil.copy(os.path.join(ROOT, "etc", "vtpm-rtmrd.conf"), os.path.join(d, "example"))
    text = open(os.path.join(ROOT, "etc", "vtpm-rtmrd.conf"), "rb").read()
    on = b"\n".join(line[2:] if line.startswith(b"# ") and b"=" in line else line
                    for line in text.split(b"\n"))
    write(d, "example_uncommented", on)
    write(d, "all_keys", b"transport = socket\nport = 2321\nunix = /run/vtpm-rtmr/tpm.sock\n"
          b"bind = 127.0.0.1\nstate-dir = /var/lib/vtpm-rtmr\nruntime-dir = /run/vtpm-rtmr\n"
          b"map = /etc/vtpm-rtmr/map.conf\nrtmr-backend = tdx-sysfs\n"
          b"rtmr-dir = /sys/class/misc/tdx_guest/measurements\nvtpmx = /dev/vtpmx\n"
          b"ek-type = ecc-p384\nseccomp = log\nlog-level = debug\r\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--daemon", default=os.path.join(ROOT, "build", "vtpm-rtmrd"))
    ap.add_argument("--tool", default=os.path.join(ROOT, "build", "vtpm-rtmr"))
    ap.add_argument("--work", default=None, help="scratch directory (default: a temp dir)")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="vtpm-fuzz-corpus-")
    os.makedirs(work, exist_ok=True)
    try:
        pairs, ctrl = capture_swtpm(os.path.join(work, "swtpm"))
        seeds_pcr_and_frame(pairs)
        seeds_ctrl(ctrl)
        logs = capture_daemon(os.path.abspath(a.daemon), os.path.join(work, "daemon"))
        seeds_eventlog(logs)
        seeds_binlog(logs, os.path.abspath(a.tool), os.path.join(work, "binlog"))
        seeds_text()
    finally:
        if not a.work:
            shutil.rmtree(work, ignore_errors=True)
    for t in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, t))
        size = sum(os.path.getsize(os.path.join(CORPUS, t, f)) for f in files)
        print(f"{t}: {len(files)} seeds, {size} bytes")


if __name__ == "__main__":
    main()
