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
