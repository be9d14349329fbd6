#!/usr/bin/env bash
# tests/extern/run.sh FLOWC - extern C functions (util.h, util.c) in both back ends: job.flow
# run by the JIT (tcc, then forced onto the tiered JIT's native code), built natively at 1 and
# 3 threads and run as 2 processes, each output compared with python3 (ref.py); then the
# errors: a declaration whose types differ from the header's (an error at the declaration,
# naming the C type it needs), a missing header, a C file that does not compile, a missing C
# file: each exits 1 with the message and leaves no output file.
set -u

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/extern/run.sh FLOWC" "$@"

D=tests/extern
test_tmp extern

python3 - "$tmp/in.txt" <<'PY'
import random, sys
r = random.Random(11)
vocab = ["apple", "egg", "ice", "owl", "up", "zebra", "orange", "umbrella", "Eagle", "idea", "oak", "x9", "a1b2"]
with open(sys.argv[1], "w") as f:
    for _ in range(5000):
        f.write(" ".join(r.choice(vocab) for _ in range(r.randint(0, 6))) + "\n")
PY
python3 "$D/ref.py" "$tmp/in.txt" >"$tmp/want"

# same NAME CMD...: the job writes $tmp/out.csv equal to python3's
same() {
    local name=$1
    shift
    rm -f "$tmp/out.csv"
    if ! "$@" --input "$tmp/in.txt" --output "$tmp/out.csv" >"$tmp/log" 2>&1; then
        bad "$name: the job failed" "$(cat "$tmp/log")"
    elif [ "$(tail -n +2 "$tmp/out.csv" | sort)" = "$(cat "$tmp/want")" ]; then
        ok
    else
        bad "$name: the output differs from python3's" "$(diff <(tail -n +2 "$tmp/out.csv" | sort) "$tmp/want" | head)"
    fi
}
same "JIT" "$flowc" run "$D/job.flow" "$D/util.c" --threads 2
same "JIT, native code from the first call (tiered)" "$flowc" run "$D/job.flow" "$D/util.c" --tier-at 1 --no-cache --threads 2
if "$flowc" build "$D/job.flow" "$D/util.c" -o "$tmp/job" >"$tmp/log" 2>&1; then
    same "native, 1 thread" "$tmp/job" --threads 1
    same "native, 3 threads" "$tmp/job" --threads 3
    same "native, 2 processes" "$tmp/job" --threads 1 --procs 2
else
    bad "flowc build job.flow util.c" "$(cat "$tmp/log")"
fi

# fails NAME REGEX CMD...: exit 1, stderr matches REGEX, no output file
fails() {
    local name=$1 re=$2
    shift 2
    rm -f "$tmp/out.csv" "$tmp/x"
    "$@" >"$tmp/log" 2>&1
    local rc=$?
    if [ "$rc" -ne 1 ]; then bad "$name: exit $rc, expected 1" "$(cat "$tmp/log")"
    elif ! grep -Eq "$re" "$tmp/log"; then bad "$name: the message" "$(cat "$tmp/log")"
    elif [ -e "$tmp/x" ] || [ -e "$tmp/out.csv" ]; then bad "$name: an output was left"
    else ok; fi
}
sig='bad_sig.flow:4:8: error: the C declaration of `half` in "util.h" does not match this one: C must declare it as `double half\(fl_i64\)`'
fails "a wrong signature (run)" "$sig" "$flowc" run "$D/bad_sig.flow" "$D/util.c"
fails "a wrong signature (build)" "$sig" "$flowc" build "$D/bad_sig.flow" "$D/util.c" -o "$tmp/x"
if grep -q '^    4 |     fn half(x: i64) -> f64$' "$tmp/log" && grep -q '^      |        \^~~~$' "$tmp/log"; then ok
else bad "a wrong signature: the source line and caret" "$(cat "$tmp/log")"; fi
fails "a missing header" "bad_header.flow:2:8: error: cannot use the C header \"missing.h\": include file 'missing.h' not found" \
    "$flowc" build "$D/bad_header.flow" -o "$tmp/x"
fails "a C file that does not compile (run)" "^flowc: tcc cannot compile .*broken.c \\(above\\)$" \
    "$flowc" run "$D/job.flow" "$D/broken.c" --input "$tmp/in.txt" --output "$tmp/out.csv"
fails "a C file that does not compile (build)" "^flowc: .* failed on the job with your C file \\(.*broken.c\\)$" \
    "$flowc" build "$D/job.flow" "$D/broken.c" -o "$tmp/x"
if grep -q "broken.c:3:" "$tmp/log"; then ok; else bad "the C compiler's message names broken.c:3" "$(cat "$tmp/log")"; fi
fails "a missing C file" "flowc: cannot read $tmp/none.c: No such file or directory" \
    "$flowc" build "$D/job.flow" "$tmp/none.c" -o "$tmp/x"

test_summary extern
