#!/usr/bin/env python3
"""ref_iter.py: the expected results of the iteration examples, computed in plain Python.

    python3 scripts/ref_iter.py kmeans   [--input examples/data/points.csv] [--k 30] [--rounds 30]
    python3 scripts/ref_iter.py pagerank [--input examples/data/edges.csv] [--rounds 20] [--damping 0.85]
    python3 scripts/ref_iter.py cc       [--input examples/data/edges.csv] [--max_rounds 1000]
                                         [--output labels.csv]
    python3 scripts/ref_iter.py tc       [--input examples/data/tc_edges.csv] [--max_rounds 1000]
                                         [--output -]

Each subcommand takes the params of its example (examples/kmeans.flow, pagerank.flow,
connected_components.flow, transitive_closure.flow), under the same names and with the same
defaults (except tc's input, see below), and writes what `flowc run examples/X.flow` with those
params writes: the same standard output (up to the order of lines where the flow program's order
is not defined) and the same files. A summary (rounds run, whether `until` ended the loop) goes
to standard error. The functions kmeans, pagerank, components and closure can also be imported.

Semantics followed (docs/language.md, "Iterations"): a round runs the body on the round's input
with the round's state; the deltas are folded and merged, `step(old, delta)` makes the new state,
and `until(old, new)`, when given, ends the loop after the round where it is true; at most `max`
rounds. `replay` feeds every round the original input; `iterate` feeds it the previous round's
output. The result is the final state and the last round's output.

- kmeans (replay): the initial centroids are the first k points (`limit(k)`, source order);
  each point goes to the first centroid of least dist2 (argmin: the first of equals); a centroid
  becomes the mean of its points, summed in source order (a cluster with no point would be
  0/0 = nan: reported on standard error); until the new centroids equal the old exactly.
  Prints the centroids as `print` shows a vec<Point>.
- pagerank (replay, no until: exactly `rounds` rounds): n = largest id + 1; every rank starts at
  1/n; the sums of rank[src] / out_degree[src] per dst, folded in edge order; dangling =
  1 - (the sum of the sums, left to right); rank = (1 - d)/n + d * (sum + dangling/n). Writes
  `node,rank` for every node to --output (default standard output).
- cc (replay): labels start as the node ids; each round every edge folds min(label[src],
  label[dst]) into both ends' minima, and the new label is the min of the old label and that;
  until no label changes. Writes `node,component` for every node to --output (default
  labels.csv, as in the example) and prints `component,nodes` (the size of each component).
- tc (iterate): the pairs start as the edges; a round adds (a, c) for each pair (a, b) and edge
  (b, c) and drops duplicates, so round r's output is the pairs joined by a path of 1 to r + 1
  edges; the state is the number of pairs; until it does not change (so at least 2 rounds).
  Writes the pairs (header `_0,_1`) to --output and prints the number of pairs. The default
  input here is examples/data/tc_edges.csv, the graph made for this example (the .flow file's
  default, edges.csv, also works: its closure is larger).

Floats are written as flowc writes them: the fewest of 15, 16 or 17 significant digits (%g
style) that read back to the same double. Results computed with several threads may differ in
the last digits (sums in another order); compare numbers with a tolerance, as tests/e2e/cmp.py
does.
"""

import argparse
import collections
import sys


# ---- formatting, as flowc's runtime writes values (runtime/text.c) ----

def fmt_f64(v):
    if v != v:
        return "nan"
    for prec in (15, 16, 17):
        s = "%.*g" % (prec, v)
        if prec == 17 or float(s) == v:
            return s


def fmt_point(p):
    return "Point { x: %s, y: %s }" % (fmt_f64(p[0]), fmt_f64(p[1]))


# ---- inputs ----

def read_points(path):
    """The (x, y) rows of a headerless CSV."""
    pts = []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line:
                x, y = line.split(",")
                pts.append((float(x), float(y)))
    return pts


def read_edges(path):
    """The (src, dst) rows of a CSV with a header."""
    edges = []
    with open(path) as f:
        next(f, None)
        for line in f:
            line = line.rstrip("\r\n")
            if line:
                s, d = line.split(",")
                edges.append((int(s), int(d)))
    return edges


def fsum_left(xs):
    """A left-to-right sum, as the language's sum() (not Python 3.12's compensated sum())."""
    t = 0.0
    for x in xs:
        t += x
    return t


# ---- the four computations ----

def kmeans(points, k, rounds):
    """examples/kmeans.flow: returns (centroids, rounds run, until fired, empty clusters)."""
    if len(points) < k:
        raise ValueError("kmeans: fewer points (%d) than k (%d)" % (len(points), k))
    cs = list(points[:k])
    empties = 0
    for r in range(1, rounds + 1):
        sx = [0.0] * k
        sy = [0.0] * k
        sn = [0] * k
        cxs = [c[0] for c in cs]
        cys = [c[1] for c in cs]
        for (x, y) in points:
            best = 0
            bd = None
            for i in range(k):
                dx = x - cxs[i]
                dy = y - cys[i]
                d = dx * dx + dy * dy
                if bd is None or d < bd:
                    bd = d
                    best = i
            sx[best] += x
            sy[best] += y
            sn[best] += 1
        new = []
        for i in range(k):
            if sn[i] == 0:
                empties += 1
                new.append((float("nan"), float("nan")))
            else:
                new.append((sx[i] / sn[i], sy[i] / sn[i]))
        done = all(a[0] == b[0] and a[1] == b[1] for a, b in zip(cs, new))
        cs = new
        if done:
            return cs, r, True, empties
    return cs, rounds, False, empties


def pagerank(edges, rounds, damping):
    """examples/pagerank.flow: returns the rank vector."""
    n = max(max(s, d) for s, d in edges) + 1
    nf = float(n)
    deg = [0] * n
    for s, _ in edges:
        deg[s] += 1
    rank = [1.0 / nf] * n
    for _ in range(rounds):
        sums = [0.0] * n
        for s, d in edges:
            sums[d] += rank[s] / float(deg[s])
        dangling = 1.0 - fsum_left(sums)
        rank = [(1.0 - damping) / nf + damping * (x + dangling / nf) for x in sums]
    return rank


def components(edges, max_rounds):
    """examples/connected_components.flow: returns (labels, rounds run, until fired)."""
    n = max(max(s, d) for s, d in edges) + 1
    label = list(range(n))
    for r in range(1, max_rounds + 1):
        m = [n] * n
        for u, v in edges:
            lu, lv = label[u], label[v]
            lo = lu if lu < lv else lv
            if lo < m[u]:
                m[u] = lo
            if lo < m[v]:
                m[v] = lo
        new = [a if a < b else b for a, b in zip(label, m)]
        done = new == label
        label = new
        if done:
            return label, r, True
    return label, max_rounds, False


def closure(edges, max_rounds):
    """examples/transitive_closure.flow: returns (pairs of the last round, final state,
    rounds run, until fired). Computed from shortest path lengths (a BFS from every node),
    not by running the rounds."""
    succ = collections.defaultdict(set)
    for s, d in edges:
        succ[s].add(d)
    dist = {}                                  # (a, c) -> fewest edges (>= 1) from a to c
    for a in list(succ):
        seen = {}
        frontier = list(succ[a])
        for c in frontier:
            seen[c] = 1
        step = 1
        while frontier:
            step += 1
            nxt = []
            for b in frontier:
                for c in succ.get(b, ()):
                    if c not in seen:
                        seen[c] = step
                        nxt.append(c)
            frontier = nxt
        for c, l in seen.items():
            dist[(a, c)] = l
    hist = collections.Counter(dist.values())
    state = 0
    count = 0                                  # pairs with a path of <= r + 1 edges
    upto = 1
    count += hist.get(1, 0)
    for r in range(1, max_rounds + 1):
        upto = r + 1
        count += hist.get(upto, 0)
        old, state = state, count
        if old == state:
            break
    else:
        r = max_rounds
    pairs = sorted(p for p, l in dist.items() if l <= upto)
    return pairs, state, r, old == state


# ---- command line ----

def out_file(path):
    return sys.stdout if path == "-" else open(path, "w", newline="\n")


def close(f):
    if f is not sys.stdout:
        f.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("kmeans", help="examples/kmeans.flow")
    p.add_argument("--input", default="examples/data/points.csv")
    p.add_argument("--k", type=int, default=30)
    p.add_argument("--rounds", type=int, default=30)
    p = sub.add_parser("pagerank", help="examples/pagerank.flow")
    p.add_argument("--input", default="examples/data/edges.csv")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--damping", type=float, default=0.85)
    p.add_argument("--output", default="-")
    p = sub.add_parser("cc", help="examples/connected_components.flow")
    p.add_argument("--input", default="examples/data/edges.csv")
    p.add_argument("--max_rounds", type=int, default=1000)
    p.add_argument("--output", default="labels.csv")
    p = sub.add_parser("tc", help="examples/transitive_closure.flow")
    p.add_argument("--input", default="examples/data/tc_edges.csv")
    p.add_argument("--max_rounds", type=int, default=1000)
    p.add_argument("--output", default="-")
    a = ap.parse_args()

    if a.cmd == "kmeans":
        cs, r, fired, empties = kmeans(read_points(a.input), a.k, a.rounds)
        print("[" + ", ".join(fmt_point(c) for c in cs) + "]")
        print("kmeans: %d rounds, %s; %d empty cluster(s)" %
              (r, "until fired" if fired else "max reached", empties), file=sys.stderr)
    elif a.cmd == "pagerank":
        rank = pagerank(read_edges(a.input), a.rounds, a.damping)
        f = out_file(a.output)
        f.write("node,rank\n" + "".join("%d,%s\n" % (v, fmt_f64(x)) for v, x in enumerate(rank)))
        close(f)
        top = sorted(range(len(rank)), key=lambda v: (-rank[v], v))[:5]
        print("pagerank: %d nodes, %d rounds, sum of ranks %s, top: %s" %
              (len(rank), a.rounds, fmt_f64(fsum_left(rank)),
               " ".join("%d:%.6g" % (v, rank[v]) for v in top)), file=sys.stderr)
    elif a.cmd == "cc":
        label, r, fired = components(read_edges(a.input), a.max_rounds)
        f = out_file(a.output)
        f.write("node,component\n" + "".join("%d,%d\n" % (v, c) for v, c in enumerate(label)))
        close(f)
        sizes = collections.Counter(label)
        sys.stdout.write("component,nodes\n" +
                         "".join("%d,%d\n" % (c, sizes[c]) for c in sorted(sizes)))
        print("cc: %d nodes, %d components (largest %d), %d rounds, %s" %
              (len(label), len(sizes), max(sizes.values()), r,
               "until fired" if fired else "max reached"), file=sys.stderr)
    else:
        pairs, state, r, fired = closure(read_edges(a.input), a.max_rounds)
        f = out_file(a.output)
        f.write("_0,_1\n" + "".join("%d,%d\n" % p for p in pairs))
        close(f)
        sys.stdout.flush()
        print(state)
        print("tc: %d pairs, %d rounds, %s" %
              (len(pairs), r, "until fired" if fired else "max reached"), file=sys.stderr)


if __name__ == "__main__":
    main()
