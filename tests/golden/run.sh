#!/usr/bin/env bash
# Golden diagnostic tests for flowc.
#
#   tests/golden/run.sh FLOWC            check every tests/golden/NAME.flow
#   tests/golden/run.sh --update FLOWC   rewrite the expected NAME.err files
#
# For each tests/golden/NAME.flow (sorted), runs `FLOWC check tests/golden/NAME.flow` from the
# repository root with NO_COLOR=1, stdout and stderr together, then a last line `exit: N` with
# the exit status, and compares that with tests/golden/NAME.err exactly (diff -u on failure).
# A crash (exit status >= 128, i.e. a signal) is a failure, in --update mode too.
# Prints `N passed, M failed` at the end and exits non-zero if any test failed.

set -u

update=0
if [ "${1:-}" = "--update" ]; then
    update=1
    shift
fi
. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/golden/run.sh [--update] FLOWC" "$@"

export NO_COLOR=1
passed=0
failed=0
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT

shopt -s nullglob
tests=(tests/golden/*.flow)
IFS=$'\n' tests=($(printf '%s\n' "${tests[@]}" | LC_ALL=C sort))
unset IFS

for src in "${tests[@]}"; do
    name="${src%.flow}"
    exp="$name.err"
    "$flowc" check "$src" >"$tmp" 2>&1
    rc=$?
    echo "exit: $rc" >>"$tmp"
    if [ "$rc" -ge 128 ]; then
        echo "FAIL $src: crashed (exit $rc)"
        sed 's/^/    /' "$tmp" | tail -n 20
        failed=$((failed + 1))
        continue
    fi
    if [ "$update" -eq 1 ]; then
        if [ ! -f "$exp" ] || ! cmp -s "$tmp" "$exp"; then
            cp "$tmp" "$exp"
            echo "updated $exp"
        fi
        passed=$((passed + 1))
    elif [ ! -f "$exp" ]; then
        echo "FAIL $src: missing $exp (run $0 --update FLOWC)"
        failed=$((failed + 1))
    elif cmp -s "$tmp" "$exp"; then
        passed=$((passed + 1))
    else
        echo "FAIL $src"
        diff -u "$exp" "$tmp" | sed "1,2s|$tmp|actual|"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
