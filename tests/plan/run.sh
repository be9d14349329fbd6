#!/usr/bin/env bash
# tests/plan/run.sh FLOWC - the plan passes, one dump at a time.
#
# For each tests/plan/NAME.flow (sorted) and each pass P of build, prune, lower, scopes (where
# tests/plan/NAME.scopes exists) and stages,
# runs `FLOWC plan --dump P tests/plan/NAME.flow` from the repository root and compares its
# standard output with tests/plan/NAME.P exactly (diff -u on failure). The expected dumps are
# written by hand from what each pass is meant to do (see compiler/plan.h), not recorded.
# Then a few checks of the command itself: `flowc plan FILE` prints the stages dump, --dot
# draws a graph, an unknown pass is refused with the list of passes, and the Nexmark Q0
# plan after prune keeps only the bids: no join, no aggregation, no unused source.
#
# Prints each failure, then one line `N passed, M failed`; exits non-zero when one failed.
set -u

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/plan/run.sh FLOWC" "$@"

export NO_COLOR=1
passed=0
failed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowc-plan.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $1"; }

# check_dump NAME PASS: the dump after PASS against tests/plan/NAME.PASS
check_dump() {
    local src=tests/plan/$1.flow exp=tests/plan/$1.$2
    if ! "$flowc" plan --dump "$2" "$src" >"$tmp/out" 2>"$tmp/err"; then
        fail "flowc plan --dump $2 $src exited with status $?"
        cat "$tmp/err"
    elif ! diff -u "$exp" "$tmp/out"; then
        fail "flowc plan --dump $2 $src differs from $exp"
    else
        pass
    fi
}

# check NAME CMD...: CMD succeeds (its output is in $tmp/out, $tmp/err)
check() {
    local name=$1
    shift
    if "$@" >"$tmp/out" 2>"$tmp/err"; then pass; else fail "$name"; cat "$tmp/err"; fi
}

for src in $(printf '%s\n' tests/plan/*.flow | LC_ALL=C sort); do
    name=$(basename "$src" .flow)
    for p in build prune lower scopes stages; do
        [ "$p" != scopes ] || [ -f "tests/plan/$name.scopes" ] || continue   # (a loop's plans have one)
        check_dump "$name" "$p"
    done
done

"$flowc" plan tests/plan/join.flow >"$tmp/plain" 2>/dev/null
check "flowc plan FILE is the stages dump" cmp -s "$tmp/plain" tests/plan/join.stages
check "flowc plan --dot FILE draws a graph" \
    bash -c '"$1" plan --dot tests/plan/join.flow | grep -q "^digraph plan {"' _ "$flowc"

"$flowc" plan --dump optimise tests/plan/join.flow >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "unknown pass \`optimise\`; the passes are build, prune, lower, scopes, stages" "$tmp/err"; then
    pass
else
    fail "an unknown pass: exit status $rc (want 2), stderr:"
    cat "$tmp/err"
fi

# Q0 reads only the bids of stdlib/nexmark.flow: its persons, auctions and winning_bids
# (an interval join and a window) are built, then pruned.
check "flowc plan --dump build examples/nexmark_q0.flow" \
    "$flowc" plan --dump build examples/nexmark_q0.flow
if grep -q '^n[0-9]* interval_join ' "$tmp/out"; then pass; else fail "nexmark Q0: no interval join after build"; fi
check "flowc plan --dump prune examples/nexmark_q0.flow" \
    "$flowc" plan --dump prune examples/nexmark_q0.flow
if grep -qE '^n[0-9]+ (join|aggregate|interval_join|window) ' "$tmp/out"; then
    fail "nexmark Q0: a join or an aggregation is left after prune:"
    cat "$tmp/out"
elif [ "$(grep -c '^n[0-9]* source ' "$tmp/out")" != 1 ]; then
    fail "nexmark Q0: want one source after prune (the bids):"
    cat "$tmp/out"
else
    pass
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
