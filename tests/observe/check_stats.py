#!/usr/bin/env python3
"""check_stats.py INPUT OUTPUT STATS_JSON: the counts --stats=json gives for stats.flow, against
what python3 computes from the input, and the output the job wrote (an independent count)."""
import json
import sys

inp, out, stats = sys.argv[1:4]
lines = open(inp, "rb").read().split(b"\n")   # (bytes: len() in flow counts bytes)
if lines and lines[-1] == b"":
    lines.pop()
even = [l for l in lines if len(l) % 2 == 0]
keys = set(even) | {l + b"!" for l in even}
written = sum(1 for _ in open(out, "rb")) - 1   # (its header line: key,value)
s = json.load(open(stats))
ops = {}
for st in s["stages"]:
    for o in st["operators"]:
        ops.setdefault((o["kind"], o["op"]), []).append(o)

errors = []
def expect(what, got, want):
    if got != want:
        errors.append(f"{what}: {got}, expected {want}")

def one(kind, op):
    v = ops.get((kind, op), [])
    if len(v) != 1:
        errors.append(f"{kind} {op}: {len(v)} operators")
        return {"rows_in": None, "rows_out": None, "state": None}
    return v[0]

expect("source rows out", one("source", "read_lines")["rows_out"], len(lines))
expect("filter rows in", one("filter", "filter")["rows_in"], len(lines))
expect("filter rows out", one("filter", "filter")["rows_out"], len(even))
expect("flat_map rows in", one("flat_map", "flat_map")["rows_in"], len(even))
expect("flat_map rows out", one("flat_map", "flat_map")["rows_out"], 2 * len(even))
loc = one("aggregate (local)", "group_by_count")
expect("local aggregation rows in", loc["rows_in"], 2 * len(even))
glob = one("aggregate (global)", "group_by_count")
expect("global aggregation rows in", glob["rows_in"], loc["rows_out"])
expect("global aggregation rows out", glob["rows_out"], len(keys))
expect("global aggregation state (keys)", glob["state"], len(keys))
expect("sink rows in", one("sink", "write_csv")["rows_in"], written)
expect("rows written", written, len(keys))
expect("source rows", s["source_rows"], len(lines))
expect("source bytes read", s["source_bytes_read"], s["source_bytes"])
for st in s["stages"]:
    for k in ("busy_s", "input_wait_s", "output_wait_s"):
        if not isinstance(st[k], (int, float)) or st[k] < 0:
            errors.append(f"stage {st['id']} {k}: {st[k]}")
if not s["done"]:
    errors.append("done is false at the end")
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
