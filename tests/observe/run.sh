#!/usr/bin/env bash
# tests/observe/run.sh FLOWC - seeing a job run: --stats and --stats=json counts against python3
# (JIT, native, one and two threads, the worker pool, two processes), the progress line under a
# pseudo-terminal (redrawn in place, ends at 100%), as plain lines when asked for off a
# terminal, and silent by default; flowc plan --json and --svg (and the message without
# Graphviz). The monitor has tests/monitor/run.sh.
set -u

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/observe/run.sh FLOWC" "$@"

HERE=$PWD/tests/observe
test_tmp observe

# inputs: 20000 short lines (about half of even length, many repeated), and 30 MB of them
python3 - "$tmp" <<'PY'
import random, sys
r = random.Random(7)
words = ["ab", "abc", "abcd", "x", "hello", "flow", "data", "stream", "même", "z" * 9]
with open(sys.argv[1] + "/in.txt", "w") as f:
    for i in range(20000):
        f.write(" ".join(r.choice(words) for _ in range(r.randint(0, 4))) + (str(i % 97) if i % 3 else "") + "\n")
with open(sys.argv[1] + "/big.txt", "w") as f:
    line = "the quick brown fox jumps over the lazy dog again and again\n"
    f.write(line * (30_000_000 // len(line)))
PY
"$flowc" build "$HERE/stats.flow" -o "$tmp/stats" >"$tmp/build.log" 2>&1 || bad "build stats.flow" "$(cat "$tmp/build.log")"

# stats NAME CMD...: the job with --stats=json, its counts checked
stats() {
    local name=$1
    shift
    rm -f "$tmp/out.csv" "$tmp/s.json"
    if ! "$@" --input "$tmp/in.txt" --output "$tmp/out.csv" --stats=json "$tmp/s.json" >"$tmp/log" 2>&1; then
        bad "$name: the job failed" "$(cat "$tmp/log")"
    elif out=$(python3 "$HERE/check_stats.py" "$tmp/in.txt" "$tmp/out.csv" "$tmp/s.json" 2>&1); then
        ok
    else
        bad "$name: --stats=json counts" "$out"
    fi
}
stats "native, 1 thread" "$tmp/stats" --threads 1
stats "native, 2 threads" "$tmp/stats" --threads 2
stats "native, worker pool" "$tmp/stats" --threads 3 --workers 2
stats "native, 2 processes" "$tmp/stats" --threads 1 --procs 2
stats "JIT, 2 threads" "$flowc" run "$HERE/stats.flow" --threads 2

# the table on standard error
if "$tmp/stats" --input "$tmp/in.txt" --output "$tmp/out.csv" --threads 2 --stats 2>"$tmp/table" &&
    grep -q "^flowc job: stats: 1 process, 2 threads in all" "$tmp/table" &&
    grep -Eq "^stage 0 read_lines \(2 task runs\): busy [0-9.]+ s, waiting for input [0-9.]+ s, blocked on output" "$tmp/table" &&
    grep -Eq "^  n1 filter filter +8:4 +20000 +[0-9]+ +-$" "$tmp/table"; then
    ok
else
    bad "--stats prints the table" "$(cat "$tmp/table")"
fi
if "$tmp/stats" --input "$tmp/in.txt" --output "$tmp/out.csv" --stats=xml >"$tmp/log" 2>&1; then
    bad "--stats=xml is refused"
elif grep -q "stats takes =text or =json FILE" "$tmp/log" && [ ! -e "$tmp/out.csv.tmp" ]; then ok
else bad "--stats=xml: the message" "$(cat "$tmp/log")"; fi

# progress: redrawn in place on a terminal, plain lines when asked for off one, else silent
"$flowc" build "$PWD/examples/wordcount.flow" -o "$tmp/wc" >"$tmp/build.log" 2>&1 || bad "build wordcount" "$(cat "$tmp/build.log")"
big=(--input "$tmp/big.txt" --output "$tmp/wc.csv" --threads 1)
if out=$(python3 "$HERE/pty_progress.py" redraw "$tmp/wc" "${big[@]}" --progress-interval 20 2>&1); then ok
else bad "the progress line on a terminal" "$out"; fi
if out=$(python3 "$HERE/pty_progress.py" none "$tmp/wc" "${big[@]}" --progress-interval 20 --no-progress 2>&1); then ok
else bad "--no-progress on a terminal" "$out"; fi
if "$tmp/wc" "${big[@]}" --progress --progress-interval 20 2>"$tmp/plain" &&
    [ "$(grep -c '^flowc job: progress: ' "$tmp/plain")" -ge 2 ] &&
    tail -1 "$tmp/plain" | grep -q "^flowc job: progress: 100% "; then
    ok
else
    bad "--progress off a terminal writes plain lines" "$(cat "$tmp/plain")"
fi
if "$tmp/wc" "${big[@]}" 2>"$tmp/quiet" && [ ! -s "$tmp/quiet" ]; then ok
else bad "no progress off a terminal by default" "$(cat "$tmp/quiet")"; fi

# flowc plan --json and --svg
if "$flowc" plan --json "$HERE/stats.flow" >"$tmp/plan.json" &&
    python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
kinds = [o["kind"] for s in p["stages"] for o in s["operators"]]
assert kinds == ["source", "filter", "flat_map", "key", "aggregate (local)", "shuffle", "aggregate (global)",
                 "gather", "sink"], kinds
assert [e["kind"] for s in p["stages"] for e in s["edges"]] == ["hash", "single"]
' "$tmp/plan.json"; then
    ok
else
    bad "flowc plan --json" "$(cat "$tmp/plan.json")"
fi
if command -v dot >/dev/null; then
    if "$flowc" plan --svg "$tmp/plan.svg" "$PWD/examples/pagerank.flow" && grep -q "<svg" "$tmp/plan.svg" &&
        [ -z "$(ls "$tmp" | grep 'plan.svg.tmp')" ]; then ok
    else bad "flowc plan --svg draws with Graphviz"; fi
fi
mkdir -p "$tmp/nodot"
for t in sh dash bash; do [ -x "/bin/$t" ] && ln -sf "/bin/$t" "$tmp/nodot/$t"; done
if PATH="$tmp/nodot" "$flowc" plan --svg "$tmp/x.svg" "$HERE/stats.flow" 2>"$tmp/log"; then
    bad "flowc plan --svg without Graphviz fails"
elif grep -q "needs Graphviz's \`dot\`" "$tmp/log" && [ ! -e "$tmp/x.svg" ]; then ok
else bad "flowc plan --svg without Graphviz: the message" "$(cat "$tmp/log")"; fi

test_summary observe
