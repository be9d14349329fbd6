#!/usr/bin/env bash
# regress.sh FLOWC - replays the fuzzing regression inputs.
#
# Runs `FLOWC check` on every file in tests/fuzz/regress/ (inputs crafted to
# be nasty, and every input the fuzzer found crashing or hanging). Each one
# may be accepted or rejected (exit 0 or 1); any other exit status is a
# failure: a crash, a sanitizer abort, exit 2, or a hang (over 10 s, killed
# by timeout). Prints `N passed, M failed` at the end; exits 1 on failure.
#
# Under a sanitizer build (make SAN=1), ASan, LSan and UBSan exit with 1 by
# default, which would pass for "rejected with errors"; they are told to exit
# with 86 instead, and a sanitizer report on stderr counts as a failure too.
set -u

export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=86:halt_on_error=1:print_stacktrace=1"

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/fuzz/regress.sh FLOWC" "$@"

passed=0
failed=0
err=$(mktemp) || exit 2
trap 'rm -f "$err"' EXIT
for f in tests/fuzz/regress/*; do
    [ -f "$f" ] || continue
    # In a subshell, so that bash's "Segmentation fault" note goes to $err.
    (timeout 10 "$flowc" check "$f" </dev/null >/dev/null 2>"$err"; exit $?) 2>>"$err"
    rc=$?
    if [ $rc -le 1 ] && grep -qE '^==[0-9]+==ERROR: [A-Za-z]+Sanitizer|^[^ ]+:[0-9]+:[0-9]+: runtime error:' "$err"; then
        rc=86
    fi
    if [ $rc -eq 0 ] || [ $rc -eq 1 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        if [ $rc -eq 124 ]; then
            echo "FAIL $f: hang (killed after 10 s)" >&2
        elif [ $rc -gt 128 ] && [ $rc -lt 160 ]; then
            echo "FAIL $f: killed by SIG$(kill -l $((rc - 128)))" >&2
        else
            echo "FAIL $f: exit status $rc" >&2
        fi
        grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ ' "$err" | head -8 | sed 's/^/    /' >&2
    fi
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
