#!/usr/bin/env python3
"""check.py gen N IN | check IN OUT: writes N records of rows.flow's input with python3's json
module (ids, nested users, unicode and escapes, optional and missing fields, big integers), or
checks what the job wrote against what python3 computes from the input."""
import json
import random
import sys

def gen(n, path):
    r = random.Random(3)
    names = ["ann", "bob \"q\"", "cé", "d\\e", "tab\there", "emoji \U0001F600", ""]
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            row = {"id": i if i % 50 else 2**62 + i, "user": {"name": r.choice(names), "age": r.randint(0, 99)},
                   "tags": [r.choice(names) for _ in range(r.randint(0, 3))], "score": r.choice([1, 2.5, -0.125, 1e300, 3]),
                   "ok": r.random() < 0.5, "pair": [i % 7, str(i)]}
            if i % 4 == 1:
                row["note"] = None
            elif i % 4 == 2:
                row["note"] = "n%d" % i
            if i % 9 == 0:
                row["extra"] = {"ignored": [1, 2]}
            f.write(json.dumps(row, ensure_ascii=(i % 2 == 0)) + "\n")
            if i % 100 == 0:
                f.write("\n")   # (blank lines are skipped)

def check(inp, out):
    want = []
    for line in open(inp, encoding="utf-8"):
        if not line.strip():
            continue
        r = json.loads(line)
        if r["id"] % 3 == 0:
            continue
        want.append({"id": r["id"], "user": r["user"], "tags": r["tags"], "score": r["score"] * 2.0, "ok": not r["ok"],
                     "note": r.get("note"), "pair": r["pair"], "n": len(r["tags"])})
    got = [json.loads(l) for l in open(out, encoding="utf-8")]
    key = lambda r: r["id"]
    want.sort(key=key)
    got.sort(key=key)
    if got != want:
        for g, w in zip(got, want):
            if g != w:
                print("first difference:\n  got ", g, "\n  want", w)
                break
        print(len(got), "rows written,", len(want), "expected")
        sys.exit(1)

if sys.argv[1] == "gen":
    gen(int(sys.argv[2]), sys.argv[3])
else:
    check(sys.argv[2], sys.argv[3])
