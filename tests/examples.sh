#!/usr/bin/env bash
# tests/examples.sh FLOWC - type-check every example program with FLOWC.
#
# Runs `FLOWC check` on each examples/*.flow from the repository root (so `use` finds
# stdlib/ as a user's checkout would) with NO_COLOR=1. An example passes when flowc exits
# with status 0 AND prints nothing but warnings that the back end does not run something yet
# (clean_check in lib.sh): any other warning fails it, since the examples are meant to be
# clean. Prints the output of each failure, then one line `N passed, M failed`, and
# exits non-zero when any example failed.
set -u

. "$(dirname "$0")/lib.sh"
test_flowc_arg "tests/examples.sh FLOWC" "$@"

passed=0
failed=0
for f in examples/*.flow; do
    [ -e "$f" ] || continue
    out=$(NO_COLOR=1 "$flowc" check "$f" 2>&1)
    status=$?
    if [ $status -eq 0 ] && [ -z "$(clean_check "$out")" ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $f (exit status $status)"
        [ -n "$out" ] && printf '%s\n' "$out"
    fi
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
