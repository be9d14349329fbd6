#!/usr/bin/env bash
# tests/tier/run.sh FLOWC - the tiered JIT of `flowc run` (compiler/tier.c, runtime/tier.c):
# a word count over generated text (tests/tier/gen.py) whose tasks move from tcc's code to the
# cc-compiled shared object mid-stream (--tier-at N, small batches) must give the result of
# tests/tier/ref.py (python3), as with --no-tier; the cache in $XDG_CACHE_HOME/flowc (mode
# 0700) is reused, a corrupt entry is removed and rebuilt, the cache keeps the 256 entries used
# last and drops old temporary files, a failing or missing compiler leaves
# the job on tcc's code, and a job that ends while the compiler runs stops it: no temporary
# file is left behind ($TMPDIR and the cache checked after each run). Then flowc build with the
# default compiler, --cc gcc and --cc clang, and with a compiler that cannot be run.
set -u

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/tier/run.sh FLOWC" "$@"

T=$PWD/tests/tier
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowc-tier.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/t"
export TMPDIR=$tmp/t XDG_CACHE_HOME=$tmp/cache
python3 "$T/gen.py" "$tmp/words.txt" 40000 || exit 2
python3 "$T/ref.py" "$tmp/words.txt" >"$tmp/ref.csv" || exit 2

passed=0
failed=0
fail() { echo "FAIL $name: $*"; sed 's/^/    /' "$tmp/err" | head -20; failed=$((failed + 1)); }

# job NAME ARG...: runs wc.flow over the text with ARGs (stderr in $tmp/err); checks the status,
# the counts against the reference and that no temporary file is left
job() {
    name=$1
    shift
    rm -f "$tmp/out.csv"
    if ! timeout 60 "$flowc" run "$T/wc.flow" --input "$tmp/words.txt" --output "$tmp/out.csv" "$@" 2>"$tmp/err"; then
        fail "the job failed"
        return 1
    fi
    if ! tail -n +2 "$tmp/out.csv" | sort | cmp -s - "$tmp/ref.csv"; then
        fail "the counts differ from tests/tier/ref.py"
        return 1
    fi
    if [ -n "$(ls -A "$tmp/t")" ] || ls -A "$tmp/cache/flowc" 2>/dev/null | grep -q '^\.tmp'; then
        fail "temporary files left: $(ls -A "$tmp/t" "$tmp/cache/flowc" 2>/dev/null | tr '\n' ' ')"
        return 1
    fi
    return 0
}
# expect REGEX: the job's standard error has a line matching REGEX
expect() {
    if ! grep -Eq "$1" "$tmp/err"; then
        fail "no line of its standard error matches /$1/"
        return 1
    fi
}
# natives: how many tasks the job says ran native code
natives() { sed -n 's/^flowc: tiered JIT: \([0-9]*\) tasks ran native code$/\1/p' "$tmp/err"; }
pass() { passed=$((passed + 1)); }

job no_tier --no-tier --tier-log --threads 2 &&
    { [ -z "$(natives)" ] || fail "it says it switched"; } && pass

# mid-stream: every task of the first stage switches before its 20th call (batches of 64 rows)
job mid_stream --tier-at 20 --tier-log --no-cache --batch 64 --threads 2 &&
    expect "task 0 of stage read_lines runs native code from call 20" &&
    expect "task 1 of stage read_lines runs native code from call 20" &&
    { [ "$(natives)" -ge 4 ] || fail "only $(natives) tasks ran native code"; } && pass

# one thread, the worker pool, a switch after the first call
job pool --tier-at 1 --tier-log --no-cache --workers 2 --threads 3 && expect "runs native code from call 1" && pass

# the cache: made with mode 0700, reused from the first call on
job cache_fill --tier-at 3 --tier-log --batch 256 && expect "compiled by cc in" &&
    { [ "$(stat -c %a "$tmp/cache/flowc")" = 700 ] || fail "the cache folder has mode $(stat -c %a "$tmp/cache/flowc")"; } &&
    { [ "$(ls "$tmp/cache/flowc" | grep -c '\.so$')" = 1 ] || fail "no single entry in the cache"; } && pass
job cache_hit --tier-log --threads 2 && expect "native code from the cache" &&
    expect "task 0 of stage read_lines runs native code from call 0" && pass

# a corrupt entry is removed and rebuilt
for f in "$tmp"/cache/flowc/*.so; do echo garbage >"$f"; done
job cache_corrupt --tier-at 3 --tier-log && expect "removing the cache entry" && expect "compiled by cc in" && pass
job cache_rebuilt --tier-log && expect "native code from the cache" && pass

# the cache keeps the 256 entries used last, and drops a temporary file over an hour old
real=$(ls "$tmp"/cache/flowc/*.so)
for i in $(seq 1 300); do
    : >"$tmp/cache/flowc/old$i.so"
    touch -d "@$((1000000000 + i))" "$tmp/cache/flowc/old$i.so"
done
: >"$tmp/cache/flowc/.tmp-999.so"
touch -d '2 hours ago' "$tmp/cache/flowc/.tmp-999.so"
job cache_tidy --cc gcc --tier-at 2 --tier-log && expect "compiled by cc in" &&
    { [ "$(ls "$tmp/cache/flowc" | grep -c '\.so$')" = 257 ] || fail "$(ls "$tmp/cache/flowc" | grep -c '\.so$') entries, not 257"; } &&
    { [ ! -e "$tmp/cache/flowc/old45.so" ] && [ -e "$tmp/cache/flowc/old46.so" ] && [ -e "$real" ] ||
        fail "not the least recently used entries went"; } && pass
rm -f "$tmp"/cache/flowc/old*.so

# the compiler fails, or cannot be run: the job stays on tcc's code
CC=false job cc_fails --tier-at 2 --tier-log --no-cache && expect "the C compiler failed" &&
    { [ "$(natives)" = 0 ] || fail "$(natives) tasks ran native code"; } && pass
CC=/nonexistent/cc job cc_missing --tier-at 2 --tier-log --no-cache && expect "cannot run the C compiler" && pass

# a job that ends while the compiler runs stops it (a compiler that would take 30 s)
printf '#!/bin/sh\nsleep 30\n' >"$tmp/slowcc"
chmod +x "$tmp/slowcc"
start=$(date +%s)
CC=$tmp/slowcc job ends_first --tier-after 0 --tier-log --no-cache && expect "the job ended first" &&
    { [ $(($(date +%s) - start)) -lt 20 ] || fail "it waited for the compiler"; } && pass
pgrep -f "$tmp/slowcc" >/dev/null && { name=ends_first_kill; fail "the compiler still runs"; pkill -f "$tmp/slowcc"; }

# off by the environment
FLOWC_TIER=off job env_off --tier-log --tier-at 1 && { [ -z "$(natives)" ] || fail "it says it switched"; } && pass

# flowc build's compiler: clang by default when installed, --cc and $CC choose; each binary counts
# right; a compiler that cannot be run is a clear error that leaves nothing behind
for c in default gcc clang; do
    name=build_$c
    command -v "${c/default/cc}" >/dev/null || { echo "skip $name: no $c"; continue; }
    rm -f "$tmp/wc_bin" "$tmp/out.csv"
    opt=(); [ "$c" = default ] || opt=(--cc "$c")
    if ! "$flowc" build "$T/wc.flow" -o "$tmp/wc_bin" "${opt[@]}" 2>"$tmp/err"; then
        fail "flowc build ${opt[*]} failed"
    elif ! "$tmp/wc_bin" --input "$tmp/words.txt" --output "$tmp/out.csv" --threads 2 2>"$tmp/err" ||
        ! tail -n +2 "$tmp/out.csv" | sort | cmp -s - "$tmp/ref.csv"; then
        fail "the binary built by ${opt[*]:-the default compiler} counts wrong"
    else
        pass
    fi
done
name=build_no_compiler
if "$flowc" build "$T/wc.flow" -o "$tmp/wc_none" --cc /nonexistent/cc 2>"$tmp/err"; then
    fail "it built with no compiler"
elif ! grep -q "cannot run the C compiler \`/nonexistent/cc\`" "$tmp/err" || [ -e "$tmp/wc_none" ] || [ -n "$(ls -A "$tmp/t")" ]; then
    fail "no clear error, or something left behind"
else
    pass
fi

echo "tier: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
