#!/usr/bin/env python3
"""gen_readings.py: write examples/data/readings.csv, sensor readings with event times.

Header `sensor,ts,value`; 400 readings of sensors s1..s3, one every 250 ms from
1700000000000 (ms since 1970) plus up to 1.5 s of jitter (so a little out of order, never
more than a 2 s delay allows), values in eighths from 0 to 500; and two readings 60 s behind
their neighbours, at a quarter and three quarters of the file, which any task reading its
share of the file (one or two tasks) finds behind its watermark: the late ones of the
examples in docs/language.md.

The generator uses its own PRNG (splitmix64) and integer arithmetic only, so the output is
byte-identical on every Python 3 version and platform.

Usage: python3 scripts/gen_readings.py > examples/data/readings.csv
"""

import sys

MASK = (1 << 64) - 1


class SplitMix:
    def __init__(self, seed):
        self.s = seed & MASK

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def main():
    r = SplitMix(7)
    rows = []
    for i in range(400):
        rows.append(("s%d" % (1 + r.below(3)), 1_700_000_000_000 + i * 250 + r.below(1501), r.below(4001)))
    for at in (300, 100):
        rows.insert(at, ("s%d" % (1 + r.below(3)), rows[at][1] - 60_000, 8))
    out = ["sensor,ts,value"]
    for s, t, v in rows:
        out.append("%s,%d,%s" % (s, t, repr(v / 8.0)))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
