#!/usr/bin/env python3
"""gen_graph.py: write a directed graph as a CSV of edges, the input of examples/pagerank.flow,
connected_components.flow and transitive_closure.flow.

A header `src,dst`, then one edge per line; the nodes are 0..N-1 and node N-1 is in an edge, so
the examples' n (the largest id + 1) is N. The graph is made to exercise the examples:

- several weakly connected components of different sizes ("communities"): each is a random
  tree (every node joined to a random earlier one, in a random direction) plus random extra
  edges inside it, whose sources lean towards a few hubs (weight 1/sqrt(rank));
- one long path (--chain L nodes, each edge in a random direction), so that label propagation
  needs about L/2 rounds and the closure has long shortest paths;
- a few isolated nodes (in no edge: a component of one, a dangling node for PageRank) and a few
  sinks (nodes that are no edge's source: dangling nodes);
- a self-loop and a few repeated edges (PageRank counts a repeated edge twice; the closure and
  the components do not change).

Node ids are a random permutation, so a component's smallest id sits anywhere in it, and the
edges are written in a random order. The PRNG is splitmix64 (integer arithmetic only), so the
file is the same on every machine.

Usage: python3 scripts/gen_graph.py [--nodes N] [--edges M] [--communities C] [--chain L]
                                    [--isolated I] [--seed S] [-o FILE]
       (defaults: 300 nodes, 2000 edges, 8 communities, chain of 40, 4 isolated, seed 1)

examples/data/edges.csv    = python3 scripts/gen_graph.py -o examples/data/edges.csv
examples/data/tc_edges.csv = python3 scripts/gen_graph.py --nodes 60 --edges 75 --communities 5 \\
                               --chain 12 --isolated 2 --seed 2 -o examples/data/tc_edges.csv
Expected results: python3 scripts/ref_iter.py pagerank|cc|tc (see its --help).
"""

import argparse
import bisect
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_points import SplitMix64  # noqa: E402  (the same generator)


class GraphRng(SplitMix64):
    """splitmix64 with what the graph needs: bounded integers and shuffles."""

    def below(self, n):
        """An integer in [0, n) (n < 2^32; the bias is below 2^-32)."""
        return ((self.next() >> 32) * n) >> 32

    def shuffle(self, xs):
        for i in range(len(xs) - 1, 0, -1):
            j = self.below(i + 1)
            xs[i], xs[j] = xs[j], xs[i]


def graph(nodes, edges, communities, chain, isolated, seed):
    rng = GraphRng(seed)
    ids = list(range(nodes))
    rng.shuffle(ids)
    # node N-1 must be in an edge: put it first, in the chain
    last = ids.index(nodes - 1)
    ids[0], ids[last] = ids[last], ids[0]
    pos = 0
    out = []

    def orient(a, b, sinks):
        """The edge between a and b, in a random direction but out of a non-sink if it can."""
        if rng.below(2):
            a, b = b, a
        if a in sinks and b not in sinks:
            a, b = b, a
        return (a, b)

    # the chain
    path = ids[pos:pos + chain]
    pos += chain
    for a, b in zip(path, path[1:]):
        out.append(orient(a, b, ()))
    # the isolated nodes come last in ids (never node N-1, which is ids[0])
    members = ids[pos:nodes - isolated]
    # community sizes: weights 1/(i+1), at least 2 nodes each
    weights = [1.0 / (i + 1) for i in range(communities)]
    total = sum(weights)
    sizes = [max(2, int(len(members) * w / total)) for w in weights]
    sizes[0] += len(members) - sum(sizes)
    if sizes[0] < 2:
        raise ValueError("too many communities for %d nodes" % len(members))
    groups = []
    off = 0
    for s in sizes:
        groups.append(members[off:off + s])
        off += s
    tree_edges = sum(len(g) - 1 for g in groups)
    seen = set(out)
    extra = max(0, edges - len(out) - tree_edges - 4)
    for g in groups:
        sinks = set(g[i] for i in range(len(g)) if rng.below(20) == 0)   # ~5% sinks
        for i in range(1, len(g)):
            out.append(orient(g[i], g[rng.below(i)], sinks))
            seen.add(out[-1])
        # extra edges in proportion to the size: sources weighted 1/sqrt(rank) (hubs), not
        # sinks; no self-loop or repeated edge here (drawn again, up to 20 times)
        srcs = [v for v in g if v not in sinks] or g
        cum = []
        t = 0.0
        for r in range(len(srcs)):
            t += 1.0 / math.sqrt(r + 1)
            cum.append(t)
        for _ in range(extra * len(g) // len(members)):
            for _ in range(20):
                x = rng.below(1 << 30) / float(1 << 30) * t
                e = (srcs[bisect.bisect_right(cum, x)], g[rng.below(len(g))])
                if e[0] != e[1] and e not in seen:
                    break
            seen.add(e)
            out.append(e)
    # a self-loop and repeated edges
    big = groups[0]
    out.append((big[1], big[1]))
    for _ in range(3):
        out.append(out[rng.below(len(out))])
    rng.shuffle(out)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=300)
    ap.add_argument("--edges", type=int, default=2000, help="about this many edges")
    ap.add_argument("--communities", type=int, default=8)
    ap.add_argument("--chain", type=int, default=40)
    ap.add_argument("--isolated", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()
    if a.chain < 2 or a.communities < 1 or a.isolated < 0 or \
            a.nodes - a.chain - a.isolated < 2 * a.communities:
        ap.error("need --chain >= 2, --communities >= 1 and room for 2 nodes per community")
    try:
        es = graph(a.nodes, a.edges, a.communities, a.chain, a.isolated, a.seed)
    except ValueError as e:
        ap.error(str(e))
    f = sys.stdout if a.output == "-" else open(a.output, "w", newline="\n")
    f.write("src,dst\n" + "".join("%d,%d\n" % e for e in es))
    if f is not sys.stdout:
        f.close()


if __name__ == "__main__":
    main()
