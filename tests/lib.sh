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
