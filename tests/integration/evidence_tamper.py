#!/usr/bin/env python3
"""Make tampered copies of an evidence document for the verifier's negative tests.

usage: evidence_tamper.py IN OUT WHAT [ARG]
  alter-record    change one digit of the last 'vtpm extend' record of the RTMR2 log
  remove-record   drop the last 'vtpm extend' record of the RTMR2 log
  swap-records    swap the two last 'vtpm extend' records of the RTMR2 log
  flip-quote N    flip one bit of quote byte N
  swap-ek FILE    replace ekPublic with the TPMT_PUBLIC bytes in FILE
"""
import base64
import json
import sys


def rtmr2(doc):
    return [l for l in doc["logs"] if l["rtmr"] == 2][0]


def extend_lines(lines):
    return [i for i, l in enumerate(lines) if l.startswith("vtpm extend ")]


def main():
    src, dst, what = sys.argv[1:4]
    doc = json.load(open(src))
    log = rtmr2(doc)
    lines = log["log"].split("\n")  # last element is "" after the final LF
    ext = extend_lines(lines)
    if what == "alter-record":
        l = lines[ext[-1]]
        last = l[-1]
        lines[ext[-1]] = l[:-1] + ("0" if last != "0" else "1")
    elif what == "remove-record":
        del lines[ext[-1]]
    elif what == "swap-records":
        a, b = ext[-2], ext[-1]
        lines[a], lines[b] = lines[b], lines[a]
    elif what == "flip-quote":
        q = bytearray(base64.b64decode(doc["quote"]))
        q[int(sys.argv[4])] ^= 0x01
        doc["quote"] = base64.b64encode(bytes(q)).decode()
    elif what == "swap-ek":
        doc["ekPublic"] = base64.b64encode(open(sys.argv[4], "rb").read()).decode()
    else:
        sys.exit("unknown tampering " + what)
    log["log"] = "\n".join(lines)
    json.dump(doc, open(dst, "w"), indent=1)


if __name__ == "__main__":
    main()
