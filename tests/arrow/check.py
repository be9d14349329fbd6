#!/usr/bin/env python3
"""check.py write DUMP N | read OUT N | large OUT N | polars OUT N | roundtrip JSONL N: what
tests/arrow's jobs must give, computed in python3: write.flow's rows as the apache-arrow package
read them (DUMP: its schema line, then a JSON row per line), read.flow's, read_large.flow's or
read_polars.flow's printed lines, or roundtrip.flow's JSON Lines."""
import json
import sys

def rows(n):
    for i in range(n):
        yield {"id": i * 3, "score": i / 4, "ok": i % 2 == 0,
               "user": {"name": "u%d" % (i % 7), "age": None if i % 5 == 0 else i % 90},
               "tags": ["a", "bé"] if i % 3 == 0 else [], "note": "n%d" % i if i % 4 == 0 else None,
               "pair": {"_0": i % 11, "_1": i % 2 == 1}}

def fail(msg):
    print(msg)
    sys.exit(1)

mode, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(path, encoding="utf-8").read().splitlines()
if mode == "write":
    schema = json.loads(lines[0])
    want = [["id", "Int64", False], ["score", "Float64", False], ["ok", "Bool", False],
            ["user", "Struct<{name:Utf8, age:Int64}>", False], ["tags", "List<Utf8>", False],
            ["note", "Utf8", True], ["pair", "Struct<{_0:Int64, _1:Bool}>", False]]
    if schema != want:
        fail("schema %s, expected %s" % (schema, want))
    got = sorted((json.loads(l) for l in lines[1:]), key=lambda r: r["id"])
    exp = list(rows(n))
    if got != exp:
        fail("rows differ: first %s vs %s" % next(((g, w) for g, w in zip(got, exp) if g != w), (len(got), len(exp))))
elif mode == "roundtrip":
    got = sorted((json.loads(l) for l in lines), key=lambda r: r["id"])
    exp = [dict(r, pair=[r["pair"]["_0"], r["pair"]["_1"]]) for r in rows(n)]
    if got != exp:
        fail("rows differ: first %s vs %s" % next(((g, w) for g, w in zip(got, exp) if g != w), (len(got), len(exp))))
elif mode == "polars":
    def fmt(x):
        return ("%.17g" % x).rstrip("0").rstrip(".") if x != int(x) else str(int(x))
    def st(i):
        return "-" if i % 9 == 0 else "short%d" % (i % 100) if i % 2 else "a longer string, %d, é" % i
    exp = sorted("%d %s %s %s %d %d" % (i * 7, fmt(i / 16), "true" if i % 3 == 0 else "false", st(i), i % 4,
                                         sum(k * i for k in range(i % 4))) for i in range(n))
    if sorted(lines) != exp:
        fail("lines differ (%d vs %d): %s" % (len(lines), len(exp), [(g, w) for g, w in zip(sorted(lines), exp) if g != w][:3]))
elif mode == "large":
    exp = sorted("%d %s %s %s k%d" % (i, "w" + "é" * (i % 5) + str(i) if i % 3 else "-", "b%d" % i,
                                      ["red", "green", "blué"][i % 3] if i % 11 else "-", i % 5) for i in range(n))
    if sorted(lines) != exp:
        fail("lines differ (%d vs %d): %s" % (len(lines), len(exp), [(g, w) for g, w in zip(sorted(lines), exp) if g != w][:3]))
else:
    def fmt(x):
        return ("%.17g" % x).rstrip("0").rstrip(".") if x != int(x) else str(int(x))
    exp = sorted("%d %d %s %s %d %d" % (i, i % 100 - 50, fmt(i / 8), "s%d" % i if i % 7 else "-", i % 4,
                                         sum(k * i for k in range(i % 4))) for i in range(n))
    if sorted(lines) != exp:
        diff = [(g, w) for g, w in zip(sorted(lines), exp) if g != w][:3]
        fail("lines differ (%d vs %d): %s" % (len(lines), len(exp), diff))
