# tests/lib.sh - what the test scripts share; source it, then call
#   test_flowc_arg USAGE "$@"
# which checks that exactly one argument, FLOWC, was given, sets $flowc to it
# as an absolute path (a relative one is relative to the caller), and changes
# to the repository root. Exits 2 on bad usage.

test_flowc_arg() {
    local usage=$1
    shift
    if [ $# -ne 1 ]; then
        echo "usage: $usage" >&2
        exit 2
    fi
    flowc=$1
    case $flowc in
        /*) ;;
        */*) flowc=$PWD/$flowc ;;
        *) flowc=$(command -v "$flowc" || echo "$PWD/$flowc") ;;
    esac
    if [ ! -x "$flowc" ]; then
        echo "$usage: $flowc is not an executable" >&2
        exit 2
    fi
    cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
}

# clean_check OUTPUT: the diagnostics of `flowc check` without the warnings that say the back end
# does not run something yet (each such warning, its source line and caret, and the summary
# line when they were all there was): what must be empty for a clean program
clean_check() {
    printf '%s\n' "$1" | awk '
        / warning: .*not supported by the back end yet/ { skip = 2; backend++; next }
        skip > 0 { skip--; next }
        /^flowc: 0 errors, [0-9]+ warnings?$/ { summary = $0; next }
        NF { print }
        END { if (summary != "" && summary !~ "^flowc: 0 errors, " backend " warnings?$") print summary }'
}

# test_tmp NAME: a scratch folder in $tmp, removed when the script exits, after the background
# processes whose pids the script added to the array pids are killed
pids=()
test_tmp() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowc-$1.XXXXXX") || exit 2
    trap test_cleanup EXIT
}
test_cleanup() {
    local p
    for p in "${pids[@]}"; do { kill -9 "$p" && wait "$p"; } 2>/dev/null; done
    rm -rf "$tmp"
}

# wait_for FILE REGEX SECONDS: until a line of FILE matches REGEX (0), or the time is up (1)
wait_for() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        grep -Eq "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# wait_exit PID SECONDS: its exit status, or 124 when it is still running after SECONDS
wait_exit() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        if ! kill -0 "$1" 2>/dev/null; then
            wait "$1"
            return $?
        fi
        sleep 0.1
    done
    return 124
}

# ok; bad WHAT [DETAIL]: a check passed, or failed (printed with the first lines of DETAIL);
# test_summary NAME: "NAME: P passed, F failed", and the script's status (0 when none failed)
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() {
    failed=$((failed + 1))
    echo "FAIL: $1"
    [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/    | /' | head -20
    return 0
}
# bad_files WHAT FILE...: a failed check, printed with the first lines of each FILE that exists
bad_files() {
    bad "$1"
    shift
    local f
    for f in "$@"; do [ -f "$f" ] && sed 's/^/    | /' "$f" | head -20; done
    return 0
}
test_summary() {
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# fails_leaving_no OUT NAME MESSAGE CMD...: CMD exits 1 with MESSAGE (a fixed string) in its
# output, and leaves no file $tmp/OUT nor anything named OUT... beside it (ok, or bad NAME)
fails_leaving_no() {
    local out=$1 name=$2 msg=$3
    shift 3
    rm -f "$tmp/$out"
    "$@" >"$tmp/log" 2>&1
    local rc=$?
    if [ "$rc" -ne 1 ]; then bad "$name: exit $rc" "$(cat "$tmp/log")"
    elif ! grep -qF -- "$msg" "$tmp/log"; then bad "$name: the message" "$(cat "$tmp/log")"
    elif ls "$tmp" | grep -q "^$out"; then bad "$name: an output was left"
    else ok; fi
}
