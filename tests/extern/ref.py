#!/usr/bin/env python3
"""ref.py INPUT: what tests/extern/job.flow computes, in python3 (the C functions of util.c
written again), as CSV lines without the header, sorted."""
import re
import sys

def digit_sum(n):
    return sum(int(c) for c in str(abs(n)))

def size_name(n):
    return "short" if n < 4 else "medium" if n < 6 else "long"

acc = {}
for line in open(sys.argv[1], "rb"):
    for w in re.findall(rb"[A-Za-z0-9]+", line):
        if not w or chr(w[0] | 0x20) not in "aeiou":
            continue
        key = w[1:].decode() + "-" + size_name(len(w))
        n, h = acc.get(key, (0, 0.0))
        acc[key] = (n + digit_sum(len(key) * 7), h + 0.5)
for k, (n, h) in sorted(acc.items()):
    print(f"{k},{n},{h:g}")
