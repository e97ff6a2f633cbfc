#!/usr/bin/env python3
"""Synthetic IMA binary_runtime_measurements lists, and an independent replay of them.

  ima_list.py write FILE N [--start K] [--append] [--boot-aggregate zero|real]
        entries K..K+N-1: ima-ng for files /bin/prog<K>; every 7th an 'ima' template entry,
        every 11th a violation (all-zero SHA-1 template hash)
  ima_list.py pcr FILE ALG      PCR 10 value after replaying FILE into bank ALG (hex)
  ima_list.py garbage FILE      append a malformed entry (PCR 99)
  ima_list.py partial FILE      append the first half of a valid entry
Written from the kernel's format description (security/integrity/ima), not from project code.
"""
import hashlib
import struct
import sys

LE = "<"


def field(data):
    return struct.pack(LE + "I", len(data)) + data


def ima_ng_data(name, filedata, algo="sha256"):
    d = algo.encode() + b":\0" + hashlib.new(algo, filedata).digest()
    return field(d) + field(name.encode() + b"\0")


def entry(pcr, template, tdata, sha1):
    return (struct.pack(LE + "I", pcr) + sha1 + struct.pack(LE + "I", len(template)) +
            template.encode() + (b"" if template == "ima" else struct.pack(LE + "I", len(tdata))) +
            tdata)


def template_hash(template, tdata, alg):
    if template == "ima":
        d, n = tdata[:20], tdata[24:]
        return hashlib.new(alg, d + n.ljust(256, b"\0")).digest()
    return hashlib.new(alg, tdata).digest()


def make_entry(i):
    name = f"/bin/prog{i}"
    content = f"content of program {i}".encode()
    if i % 11 == 10:  # a violation
        tdata = ima_ng_data(name, b"")
        return entry(10, "ima-ng", tdata, bytes(20))
    if i % 7 == 6:
        d = hashlib.sha1(content).digest()
        tdata = d + struct.pack(LE + "I", len(name)) + name.encode()
        return entry(10, "ima", tdata, template_hash("ima", tdata, "sha1"))
    tdata = ima_ng_data(name, content)
    return entry(10, "ima-ng", tdata, template_hash("ima-ng", tdata, "sha1"))


def boot_aggregate(zero):
    d = b"sha256:\0" + (bytes(32) if zero else hashlib.sha256(b"pcrs").digest())
    tdata = field(d) + field(b"boot_aggregate\0")
    return entry(10, "ima-ng", tdata, template_hash("ima-ng", tdata, "sha1"))


def parse(data):
    off = 0
    while off < len(data):
        pcr, = struct.unpack_from(LE + "I", data, off)
        sha1 = data[off + 4:off + 24]
        nlen, = struct.unpack_from(LE + "I", data, off + 24)
        template = data[off + 28:off + 28 + nlen].decode()
        off += 28 + nlen
        if template == "ima":
            n, = struct.unpack_from(LE + "I", data, off + 20)
            tdata = data[off:off + 24 + n]
        else:
            dlen, = struct.unpack_from(LE + "I", data, off)
            off += 4
            tdata = data[off:off + dlen]
        off += len(tdata)
        yield pcr, template, tdata, sha1


def replay(path, alg):
    size = hashlib.new(alg).digest_size
    pcr10 = bytes(size)
    for pcr, template, tdata, sha1 in parse(open(path, "rb").read()):
        h = b"\xff" * size if sha1 == bytes(20) else template_hash(template, tdata, alg)
        if pcr == 10:
            pcr10 = hashlib.new(alg, pcr10 + h).digest()
    return pcr10.hex()


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "write":
        n = int(sys.argv[3])
        start = int(sys.argv[sys.argv.index("--start") + 1]) if "--start" in sys.argv else 0
        zero = not ("--boot-aggregate" in sys.argv and
                    sys.argv[sys.argv.index("--boot-aggregate") + 1] == "real")
        out = b"" if "--append" in sys.argv else boot_aggregate(zero)
        out += b"".join(make_entry(i) for i in range(start, start + n))
        with open(path, "ab" if "--append" in sys.argv else "wb") as f:
            f.write(out)
    elif cmd == "pcr":
        print(replay(path, sys.argv[3]))
    elif cmd == "garbage":
        with open(path, "ab") as f:
            f.write(struct.pack(LE + "I", 99) + bytes(20) + struct.pack(LE + "I", 6) + b"ima-ng" +
                    struct.pack(LE + "I", 4) + b"junk")
    elif cmd == "partial":
        e = make_entry(1000)
        with open(path, "ab") as f:
            f.write(e[:len(e) // 2])
        with open(path + ".rest", "wb") as f:
            f.write(e[len(e) // 2:])


if __name__ == "__main__":
    main()
