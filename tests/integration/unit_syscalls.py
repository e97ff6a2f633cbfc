#!/usr/bin/env python3
"""Does a unit's SystemCallFilter= allow every system call of the daemon's own filter?

usage: unit_syscalls.py UNIT_FILE SECCOMP_FILTER_C [EXTRA_CALL...]
The unit's filter is installed at exec and stays: a call the daemon's filter allows after
set-up (src/daemon/seccomp_filter.c: the names of allowed[] and the SCMP_SYS() rules) and that
the unit's forbids would kill the daemon. EXTRA_CALLs must be allowed too (e.g. seccomp, which
the daemon needs to install its filter). Groups are expanded with `systemd-analyze
syscall-filter`, the lines read in order as systemd does (the first sets an allow list, `~`
removes, later lines add). Prints the calls the unit does not allow; exit 1 if any.
"""
import re
import subprocess
import sys

cache = {}


def expand(name):
    if name not in cache:
        out = subprocess.run(["systemd-analyze", "syscall-filter", name], check=True,
                             capture_output=True, text=True).stdout
        calls = set()
        for line in out.splitlines()[1:]:
            t = line.strip()
            if t.startswith("@"):
                calls |= expand(t)
            elif t and not t.startswith("#"):
                calls.add(t)
        cache[name] = calls
    return cache[name]


def items(value):
    calls = set()
    for t in value.split():
        calls |= expand(t) if t.startswith("@") else {t}
    return calls


allow = None
for line in open(sys.argv[1]):
    m = re.match(r"SystemCallFilter=(.*)$", line.strip())
    if not m:
        continue
    v = m.group(1)
    if v.startswith("~"):
        if allow is None:
            sys.exit("the unit's filter is a deny list: not checked")
        allow -= items(v[1:])
    else:
        allow = items(v) if allow is None else allow | items(v)
if allow is None:
    sys.exit("the unit has no SystemCallFilter=")

src = open(sys.argv[2]).read()
names = re.search(r"static const char \*const allowed\[\] = \{(.*?)\};", src, re.S).group(1)
daemon = set(re.findall(r'"([a-z0-9_]+)"', names)) | set(re.findall(r"SCMP_SYS\((\w+)\)", src))
missing = sorted((daemon | set(sys.argv[3:])) - allow)
print(f"{len(daemon)} calls in the daemon's filter; not allowed by the unit: "
      f"{' '.join(missing) or 'none'}")
sys.exit(1 if missing else 0)
