#!/usr/bin/env python3
"""Check a stream's record against the event log: fail closed.

usage: check_stream.py STREAM_JSON LOG [--expect-failure]
 - after the first failed command, every later command failed too (failure mode);
 - every acknowledged extend is in the log (no success for an unmirrored change);
 - with --expect-failure: at least one command failed.
"""
import json
import sys

state = json.load(open(sys.argv[1]))
log = open(sys.argv[2]).read()
ok = True
ff = state["first_failure"]
if "--expect-failure" in sys.argv and ff is None:
    print("no command failed although a fault was injected")
    ok = False
if ff is not None:
    contiguous = [i for i, _ in state["failed"]] == list(range(ff, ff + len(state["failed"])))
    if not contiguous or len(state["acked"]) != ff:
        print("a command succeeded after the first failure: not fail-closed")
        ok = False
missing = [d for d in state["acked"] if f"sha256/{d}" not in log]
if missing:
    print(f"{len(missing)} acknowledged extends are not in the log, e.g. {missing[0]}")
    ok = False
print(f"acked={len(state['acked'])} failed={len(state['failed'])} first_failure={ff}")
sys.exit(0 if ok else 1)
