#!/usr/bin/env python3
"""tests/docs_ref.py NAME - what a runnable example of docs/language.md prints, computed in plain
Python (tests/docs.sh runs the examples marked `<!-- run: NAME -->` and compares). Run from the
repository root: the examples read examples/data/."""
import collections
import csv
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "e2e"))
from ref import fmt  # noqa: E402  (flow's print format of values)


def words(s):
    return re.findall(r"[A-Za-z0-9]+", s)


def csv_cell(s):
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n\r') else s


def top_words():
    """Phases: the lines that hold one of the k most common words, with the number of lines."""
    lines = open("examples/data/sample.txt", newline="").read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    counts = collections.Counter(w for l in lines for w in words(l.lower()))
    top = sorted(counts.items(), key=lambda wc: -wc[1])
    assert top[2][1] != top[3][1], "the example needs distinct counts at its cut"
    common = {w for w, _ in top[:3]}
    out = ["_0,_1"]
    out += ["%s,%d" % (csv_cell(l), len(lines)) for l in lines if any(w in common for w in words(l.lower()))]
    return out


def kmeans():
    return subprocess.run([sys.executable, "scripts/ref_iter.py", "kmeans"], check=True,
                          capture_output=True, text=True).stdout.splitlines()


def halve():
    xs, st = list(range(1, 1000)), 999
    for _ in range(20):
        xs = [x // 2 for x in xs if x // 2 > 0]
        old, st = st, len(xs)
        if st == 0 or st == old:
            break
    return [fmt(st), fmt(len(xs))]


def round_sums():
    xs, st = list(range(100)), 0
    for _ in range(5):
        xs = [x + st for x in xs]
        st = sum(xs)
    return [fmt(st)]


def paths():
    with open("examples/data/tc_edges.csv") as f:
        edges = [(int(a), int(b)) for a, b in list(csv.reader(f))[1:]]
    s, st = edges, 0
    for _ in range(10):
        s = [(a, d) for (a, b) in s for (c, d) in edges if b == c]
        st = len(s)
        if st == 0:
            break
    return [fmt(st), "_0,_1"] + ["%d,%d" % p for p in s]


def values():
    total = sum(range(1000))
    return [fmt((x, x / total, 10)) for x in range(1000)]


def readings():
    """The readings example: 10 s windows of each sensor's mean, late readings apart."""
    with open("examples/data/readings.csv") as f:
        rows = [(s, int(t), float(v)) for s, t, v in list(csv.reader(f))[1:]]
    top, wins, late = None, {}, []
    for s, t, v in rows:
        if top is not None and t < top - 2000:
            late.append(fmt(("late", s, t)))
            continue
        top = t if top is None else max(top, t)
        wins.setdefault((s, t // 10000 * 10000), []).append(v)
    return [fmt((s, w, sum(vs) / len(vs))) for (s, w), vs in wins.items()] + late


def window_kinds():
    """The second readings example: sliding, session, count, transaction windows, a window join and
    an interval join of the readings on time."""
    with open("examples/data/readings.csv") as f:
        rows = [(s, int(t), float(v)) for s, t, v in list(csv.reader(f))[1:]]
    top, on = None, []
    for r in rows:
        if top is not None and r[1] < top - 2000:
            continue
        top = r[1] if top is None else max(top, r[1])
        on.append(r)
    by = collections.defaultdict(list)
    for r in on:
        by[r[0]].append(r)
    out = []
    for s, rs in by.items():
        rs = sorted(rs, key=lambda r: r[1])
        wins = collections.defaultdict(list)
        for r in rs:
            for w in range((r[1] - 20000) // 10000 * 10000 + 10000, r[1] + 1, 10000):
                wins[w].append(r[2])
        out += [fmt(("max", s, w, max(v))) for w, v in wins.items()]
        cur = [rs[0]]
        for r in rs[1:]:
            if r[1] - cur[-1][1] >= 1000:
                out.append(fmt(("session", s, cur[0][1], cur[-1][1] + 1000, len(cur))))
                cur = []
            cur.append(r)
        out.append(fmt(("session", s, cur[0][1], cur[-1][1] + 1000, len(cur))))
        out += [fmt(("count", s, k, sum(r[2] for r in rs[k:k + 50]))) for k in range(0, len(rs), 50)]
    start = 0
    for i, r in enumerate(sorted(on, key=lambda r: r[1])):
        if r[2] > 490.0:
            out.append(fmt(("txn", start, i + 1, i + 1 - start)))
            start = i + 1
    for s, rs in by.items():
        for a in rs:
            for b in rs:
                if a[1] // 5000 == b[1] // 5000 and a[2] > 480.0 and b[2] < 10.0:
                    out.append(fmt(("pair", a[1], b[1])))
    near = sum(1 for rs in by.values() for a in rs for b in rs if a[1] < b[1] <= a[1] + 300)
    return out + [fmt(("near", near))]


REFS = {"readings": readings, "window_kinds": window_kinds, "top_words": top_words, "kmeans": kmeans, "halve": halve, "round_sums": round_sums,
        "paths": paths, "values": values}

if __name__ == "__main__":
    sys.stdout.write("".join(line + "\n" for line in REFS[sys.argv[1]]()))
