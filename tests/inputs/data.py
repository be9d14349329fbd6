#!/usr/bin/env python3
"""tests/inputs/data.py - the inputs of tests/inputs/run.sh and their references.

  data.py gen DIR              writes the files (fixed seeds): plain, gzip (python's gzip,
                               several members) and zstd (the zstd tool) texts and CSV files,
                               folders of mixed files, and broken files
  data.py lines INPUT OUTPUT   checks OUTPUT (what read_lines(INPUT).write_lines wrote) against
                               python's own reading of INPUT
  data.py rows INPUT OUTPUT    the same for read_csv(INPUT, Row).write_csv: the records of
                               every file of INPUT (its header skipped) against OUTPUT's rows
  data.py big PATH MB          a text of MB megabytes, gzip-compressed into PATH; prints its
                               size in bytes (tests/memory/run.sh)

INPUT is read as flowc documents it, independently: a file (gzip and zstd told by their first
bytes), a folder (its regular files not starting with '.', sorted by name in bytes), or a glob
pattern (the regular files it matches, sorted). Each check prints what differs and exits 1.
"""
import csv
import glob
import gzip
import io
import os
import random
import subprocess
import sys

WORDS = ["alpha", "beta", "Gamma", "delta", "x1", "it's", "zeta-eta", "naïve", "42", "", "tab\there"]


def text_lines(rnd, n):
    out = []
    for i in range(n):
        k = rnd.randint(0, 12)
        out.append(" ".join(rnd.choice(WORDS) for _ in range(k)))
    return out


def join_lines(rnd, lines, final_newline=True):
    """Lines with \\n or (one in five) \\r\\n ends; the last without one unless final_newline."""
    parts = []
    for i, l in enumerate(lines):
        end = "\r\n" if rnd.random() < 0.2 else "\n"
        parts.append(l + (end if i + 1 < len(lines) or final_newline else ""))
    return "".join(parts).encode()


def gzip_members(data, k):
    """data as k gzip members, concatenated (what `cat a.gz b.gz` makes)."""
    step = max(1, len(data) // k)
    cuts = [data[i:i + step] for i in range(0, len(data), step)] or [b""]
    return b"".join(gzip.compress(c, compresslevel=6, mtime=0) for c in cuts)


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout


def put(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def csv_rows(rnd, n, start):
    names = ["plain", "with, comma", 'with "quotes"', "two\nlines", "three\nline\nname", "", "  spaced  ",
             "x" * 300, 'end quote"', "crlf\r\ninside"]
    rows = []
    for i in range(n):
        rows.append((start + i, rnd.choice(names), round(rnd.uniform(-1000, 1000), rnd.randint(0, 4)),
                     rnd.choice(["", "ok", "a,b", '"q"'])))
    return rows


def csv_text(rnd, rows):
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "name", "score", "note"])
    for r in rows:
        w.writerow(r)
        if rnd.random() < 0.01:
            buf.write("\n")                  # a blank line: not a record
    return buf.getvalue().encode()


def gen(d):
    rnd = random.Random(11)
    words = join_lines(rnd, text_lines(rnd, 60000), final_newline=False)
    put(d + "/words.txt", words)
    put(d + "/words.txt.gz", gzip_members(words, 3))
    put(d + "/words.txt.zst", zstd(words))
    # a folder of mixed files: plain, gzip, zstd, empty ones, a hidden file, a subfolder
    parts = [join_lines(rnd, text_lines(rnd, n)) for n in (3000, 5000, 2000, 4000, 1)]
    put(d + "/mixed/p0.txt", parts[0])
    put(d + "/mixed/p1.txt.gz", gzip_members(parts[1], 2))
    put(d + "/mixed/p2.txt.zst", zstd(parts[2]))
    put(d + "/mixed/p3", parts[3])
    put(d + "/mixed/p4.zst", zstd(parts[4]))
    put(d + "/mixed/p5.gz", gzip.compress(b"", mtime=0))
    put(d + "/mixed/p6.txt", b"")
    put(d + "/mixed/.hidden", b"never read\n")
    put(d + "/mixed/sub/p7.txt", b"never read either\n")
    os.makedirs(d + "/empty", exist_ok=True)
    # CSV: one large file (it spans several decompressed blocks), a folder of parts with headers
    rows = csv_text(rnd, csv_rows(rnd, 36000, 0))
    put(d + "/rows.csv", rows)
    put(d + "/rows.csv.gz", gzip_members(rows, 1))
    put(d + "/rows.csv.zst", zstd(rows))
    for k, (name, pack) in enumerate([("a.csv", None), ("b.csv.gz", "gz"), ("c.csv.zst", "zst"),
                                      ("d.csv.gz", "gz2"), ("e.csv", None)]):
        t = csv_text(rnd, csv_rows(rnd, 700 * k, 100000 * (k + 1)))
        t = t if pack is None else zstd(t) if pack == "zst" else gzip_members(t, 1 if pack == "gz" else 3)
        put(d + "/csvdir/" + name, t)
    # broken files
    gz = open(d + "/words.txt.gz", "rb").read()
    put(d + "/bad/truncated.gz", gz[: len(gz) // 2])
    one = gzip.compress(b"first member\n", mtime=0)
    two = bytearray(gzip.compress(words[:20000], mtime=0))
    for i in range(40, 60):
        two[i] ^= 0x55
    put(d + "/bad/member.gz", one + bytes(two))
    zs = open(d + "/words.txt.zst", "rb").read()
    put(d + "/bad/truncated.zst", zs[: len(zs) * 2 // 3])
    put(d + "/bad/row.csv.gz", gzip.compress(b"id,name,score,note\n1,a,2.5,\n2,b,oops,\n", mtime=0))


def read_file(path):
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)         # every member
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return subprocess.run(["zstd", "-q", "-d", "-c", path], stdout=subprocess.PIPE, check=True).stdout
    return data


def files_of(path):
    if os.path.isfile(path):
        return [path]
    if os.path.isdir(path):
        names = sorted(os.fsencode(n) for n in os.listdir(path) if not n.startswith("."))
        return [p for p in (os.path.join(path, os.fsdecode(n)) for n in names) if os.path.isfile(p)]
    return sorted((p for p in glob.glob(path) if os.path.isfile(p)), key=os.fsencode)


def lines_of(data):
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [l[:-1] if l.endswith(b"\r") else l for l in lines]


def report(what, want, got):
    if sorted(want) == sorted(got):
        return 0
    extra, missing = set(got) - set(want), set(want) - set(got)
    print("%s: %d expected, %d written; e.g. missing %r, extra %r" %
          (what, len(want), len(got), sorted(missing)[:3], sorted(extra)[:3]))
    return 1


def check_lines(inp, out):
    want = [l for f in files_of(inp) for l in lines_of(read_file(f))]
    return report("lines of " + inp, want, lines_of(open(out, "rb").read()))


def parse_rows(data, header):
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    rows = [r for r in rows if r]           # blank lines are no records
    if header:
        rows = rows[1:]
    return [(int(r[0]), r[1], float(r[2]), r[3]) for r in rows]


def check_rows(inp, out):
    want = [r for f in files_of(inp) for r in parse_rows(read_file(f), True)]
    data = open(out, "rb").read()
    if not data.startswith(b"id,name,score,note\n"):
        print("rows of %s: the header of %s is %r" % (inp, out, data[:40]))
        return 1
    return report("rows of " + inp, want, parse_rows(data, True))


def big(path, mb):
    rnd = random.Random(5)
    vocab = [("w%d" % i) * rnd.randint(1, 3) for i in range(500)]
    size = 0
    with gzip.open(path, "wb", compresslevel=1) as f:
        while size < mb << 20:
            chunk = "".join(" ".join(rnd.choice(vocab) for _ in range(rnd.randint(1, 14))) + "\n"
                            for _ in range(10000)).encode()
            f.write(chunk)
            size += len(chunk)
    print(size)


def main():
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2])
        return 0
    if cmd == "big":
        big(sys.argv[2], int(sys.argv[3]))
        return 0
    return check_lines(sys.argv[2], sys.argv[3]) if cmd == "lines" else check_rows(sys.argv[2], sys.argv[3])


if __name__ == "__main__":
    sys.exit(main())
