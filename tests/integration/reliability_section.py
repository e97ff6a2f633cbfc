#!/usr/bin/env python3
"""Replace (or add) one marked section of tests/RELIABILITY.md with the text on stdin.

usage: reliability_section.py NAME < section.md
"""
import os
import sys

path = os.path.join(os.path.dirname(__file__), "..", "RELIABILITY.md")
name = sys.argv[1]
begin = f"<!-- {name}:begin (written by the test harness; do not edit by hand) -->"
end = f"<!-- {name}:end -->"
body = sys.stdin.read().rstrip("\n")
text = open(path).read() if os.path.exists(path) else "# Reliability\n"
start = text.find(f"<!-- {name}:begin")
if start >= 0:
    stop = text.index(end, start) + len(end)
    text = text[:start] + begin + "\n" + body + "\n" + end + text[stop:]
else:
    text = text.rstrip("\n") + "\n\n" + begin + "\n" + body + "\n" + end + "\n"
with open(path + ".tmp", "w") as f:
    f.write(text)
os.replace(path + ".tmp", path)
