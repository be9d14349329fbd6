#!/usr/bin/env bash
# tests/pipe/run.sh FLOWC - the pipe operator: lines through external programs, per task, in the
# JIT, native at 1 and 3 threads and as 2 processes, against python3; input and output moving
# at once (200000 lines through cat and awk); a program that stops reading early (head); a
# program that exits with status 3 (the job fails with its standard error, no output); the
# type rule (a stream of i64 is refused at the receiver).
set -u

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/pipe/run.sh FLOWC" "$@"

D=tests/pipe
test_tmp pipe

python3 - "$tmp/in.txt" <<'PY'
import random, sys
r = random.Random(5)
vocab = ["apple", "Egg", "ice", "owl", "up", "zebra", "orange", "umbrella", "x9", "a1b2", "quartz"]
with open(sys.argv[1], "w") as f:
    for _ in range(3000):
        f.write(" ".join(r.choice(vocab) for _ in range(r.randint(0, 5))) + "\n")
PY
python3 -c '
import re, sys
print("\n".join(sorted({w.upper() for l in open(sys.argv[1]) for w in re.findall(r"[A-Za-z0-9]+", l)})))' \
    "$tmp/in.txt" >"$tmp/want"

# upper NAME TASKS CMD...: the distinct words, each counted once per task that saw it (1..TASKS)
upper() {
    local name=$1 tasks=$2
    shift 2
    rm -f "$tmp/out.csv"
    if ! "$@" --input "$tmp/in.txt" --output "$tmp/out.csv" >"$tmp/log" 2>&1; then
        bad "$name: the job failed" "$(cat "$tmp/log")"
    elif [ "$(tail -n +2 "$tmp/out.csv" | cut -d, -f1 | sort)" != "$(cat "$tmp/want")" ]; then
        bad "$name: the words differ from python3's" "$(tail -n +2 "$tmp/out.csv" | cut -d, -f1 | sort | diff - "$tmp/want")"
    elif tail -n +2 "$tmp/out.csv" | awk -F, -v t="$tasks" '$2 < 1 || $2 > t { exit 1 }'; then
        ok
    else
        bad "$name: a count out of 1..$tasks" "$(cat "$tmp/out.csv")"
    fi
}
upper "JIT, 1 thread" 1 "$flowc" run "$D/upper.flow" --threads 1
upper "JIT, 2 threads" 2 "$flowc" run "$D/upper.flow" --threads 2
if "$flowc" build "$D/upper.flow" -o "$tmp/upper" >"$tmp/log" 2>&1; then
    upper "native, 3 threads" 3 "$tmp/upper" --threads 3
    upper "native, 2 processes" 2 "$tmp/upper" --threads 1 --procs 2
else
    bad "flowc build upper.flow" "$(cat "$tmp/log")"
fi

want=$(python3 -c 'print(sum(3 * i for i in range(200000) if i % 2 == 0))')
for threads in 1 2; do
    rm -f "$tmp/out.txt"
    if "$flowc" run "$D/cat.flow" --threads "$threads" --output "$tmp/out.txt" >"$tmp/log" 2>&1 &&
        [ "$(cat "$tmp/out.txt")" = "$want" ]; then ok
    else bad "200000 lines through cat and awk, $threads threads" "$(cat "$tmp/log" "$tmp/out.txt" 2>/dev/null)"; fi
done

rm -f "$tmp/out.txt"
if "$flowc" run "$D/head.flow" --threads 1 --output "$tmp/out.txt" >"$tmp/log" 2>&1 &&
    [ "$(cat "$tmp/out.txt")" = "$(printf '0\n1')" ]; then ok
else bad "a program that stops reading early" "$(cat "$tmp/log" "$tmp/out.txt" 2>/dev/null)"; fi

rm -f "$tmp/out.txt"
"$flowc" run "$D/fail.flow" --threads 2 --output "$tmp/out.txt" >"$tmp/log" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q "^flowc job: pipe: \`cat >/dev/null; echo 'bad input here' >&2; exit 3\` exited with status 3: bad input here$" "$tmp/log" &&
    [ ! -e "$tmp/out.txt" ] && [ -z "$(ls "$tmp" | grep 'out.txt')" ]; then ok
else bad "a program that fails (exit $rc)" "$(cat "$tmp/log")"; fi

printf 'range(0, 3).pipe("cat").print()\n' >"$tmp/typed.flow"
if ! "$flowc" check "$tmp/typed.flow" >"$tmp/log" 2>&1 &&
    grep -q "typed.flow:1:1: error: the receiver of \`pipe\`: expected stream<str>, found stream<i64>" "$tmp/log"; then ok
else bad "pipe on a stream of i64 is a type error" "$(cat "$tmp/log")"; fi

test_summary pipe
