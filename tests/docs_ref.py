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


REFS = {"readings": readings, "top_words": top_words, "kmeans": kmeans, "halve": halve, "round_sums": round_sums,
        "paths": paths, "values": values}

if __name__ == "__main__":
    sys.stdout.write("".join(line + "\n" for line in REFS[sys.argv[1]]()))
