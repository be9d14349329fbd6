#!/usr/bin/env python3
"""gen_points.py: write 2-D points drawn around gaussian centres, the input of examples/kmeans.flow.

One point per line, `x,y` with 6 decimals, no header. K centres are drawn uniformly in
[0, 100)^2; each point picks a centre uniformly, then adds N(0, SIGMA^2) noise to each
coordinate (Box-Muller). The PRNG is splitmix64 seeded with SEED, so the output is the same on
every machine. It is the same algorithm as bench/gen_points.c (and ../shared/bench/gen_points.c):
with the same K, SEED and SIGMA both write the same points, and a file of N points is the first N
lines of a longer one (the centres are drawn first, then the points one by one).

Usage: python3 scripts/gen_points.py [--n N] [--k K] [--seed SEED] [--sigma SIGMA] [-o FILE]
       (defaults: 3000 points, 30 centres, seed 7, sigma 4, standard output)

examples/data/points.csv is `python3 scripts/gen_points.py -o examples/data/points.csv`.
The expected result of examples/kmeans.flow on it: `python3 scripts/ref_iter.py kmeans`.
"""

import argparse
import math
import sys

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def unif(self):
        """A double in [0, 1), from the top 53 bits."""
        return (self.next() >> 11) * (1.0 / (1 << 53))


def points(n, k, seed, sigma):
    """Yield n (x, y) pairs: exactly the sequence of gen_points.c."""
    rng = SplitMix64(seed)
    centres = []
    for _ in range(k):
        cx = 100 * rng.unif()
        cy = 100 * rng.unif()
        centres.append((cx, cy))
    for _ in range(n):
        c = int(rng.unif() * k)
        u1 = 1.0 - rng.unif()          # (0, 1]
        u2 = rng.unif()
        r = math.sqrt(-2 * math.log(u1))
        cx, cy = centres[c]
        yield (cx + sigma * r * math.cos(2 * math.pi * u2),
               cy + sigma * r * math.sin(2 * math.pi * u2))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3000, help="number of points (3000)")
    ap.add_argument("--k", type=int, default=30, help="number of centres (30)")
    ap.add_argument("--seed", type=int, default=7, help="PRNG seed (7)")
    ap.add_argument("--sigma", type=float, default=4.0, help="standard deviation (4)")
    ap.add_argument("-o", "--output", default="-", help="output file (standard output)")
    a = ap.parse_args()
    if a.n < 0 or a.k < 1:
        ap.error("need --n >= 0 and --k >= 1")
    out = sys.stdout if a.output == "-" else open(a.output, "w", newline="\n")
    out.write("".join("%.6f,%.6f\n" % p for p in points(a.n, a.k, a.seed, a.sigma)))
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
