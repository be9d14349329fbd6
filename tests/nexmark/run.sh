#!/usr/bin/env bash
# tests/nexmark/run.sh FLOWC [QUERY...] - the Nexmark queries examples/nexmark_q0.flow ..
# nexmark_q8.flow against an independent python3 reference (tests/nexmark/nexmark_ref.py,
# which reimplements the generator of stdlib/nexmark.flow and each query).
#
# For each query (all of 0..8, or the ones named: `tests/nexmark/run.sh build/flowc 5` runs
# only Q5) the reference runs once, with $NEXMARK_EVENTS events (300000 by default), and the
# query runs five ways with `--events` the same: `FLOWC run` (the JIT) with --threads 1, 2
# and 4, and as a native binary (`FLOWC build -o`, built once per query) with --threads 2
# and with --procs 2, each under `timeout 120`. A run passes when it exits with status 0 and
# its standard output, the CSV that the query writes with its default `--output -`, is the
# reference's: the same header line, and the same rows in any order (both sides sorted),
# compared exactly as text (so f64 columns must print as flowc prints them).
#
# Rows that depend on the order in which flowc sees equal elements (Q7: several bids with a
# window's highest price, of which max() keeps the first; Q6: a seller's sales tied in closing
# time at the last_n-th place) are listed by the reference (its --mask file), and only their
# order-independent columns are compared. At the default size there are none.
#
# A query that flowc cannot run yet (it says "... is not supported by the back end yet")
# fails like any other: nothing is skipped.
#
# Prints each failure with its diff or standard error, then one line `N passed, M failed`;
# exits non-zero when a run failed.
set -u

. "$(dirname "$0")/../lib.sh"
usage="tests/nexmark/run.sh FLOWC [QUERY...]"
test_flowc_arg "$usage" "${@:1:1}"
shift

QUERIES=("$@")
[ ${#QUERIES[@]} -gt 0 ] || QUERIES=(0 1 2 3 4 5 6 7 8)
for q in "${QUERIES[@]}"; do
    case $q in
        [0-8]) ;;
        *) echo "usage: $usage (QUERY is 0 to 8, not '$q')" >&2; exit 2 ;;
    esac
done

EVENTS=${NEXMARK_EVENTS:-300000}
case $EVENTS in
    ''|*[!0-9]*) echo "tests/nexmark/run.sh: NEXMARK_EVENTS must be a number, not '$EVENTS'" >&2; exit 2 ;;
esac
REF=$PWD/tests/nexmark/nexmark_ref.py

tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowc-nexmark.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/exp" "$tmp/run"

passed=0
failed=0
# the runs of each query: NAME, then the command (bin: the native binary)
CONFIGS=("jit, --threads 1" "jit, --threads 2" "jit, --threads 4"
         "native, --threads 2" "native, --procs 2")
config_args() {  # config_args INDEX: the mode (jit or native), then the options, into `cargs`
    case $1 in
        0) cargs=(jit --threads 1) ;;
        1) cargs=(jit --threads 2) ;;
        2) cargs=(jit --threads 4) ;;
        3) cargs=(native --threads 2) ;;
        4) cargs=(native --procs 2) ;;
    esac
}

# The references (a few seconds each), two at a time, while the native binaries build; a
# failed reference leaves $tmp/exp/qN.err, a failed build no binary and its messages in
# $tmp/bin/qN.err.
printf '%s\n' "${QUERIES[@]}" | xargs -P 2 -I{} sh -c '
    python3 "$1" "$2" "$3" --mask "$4/q$2.mask" >"$4/q$2.csv" 2>"$4/q$2.stderr" || mv "$4/q$2.stderr" "$4/q$2.err"
' sh "$REF" {} "$EVENTS" "$tmp/exp" &
refs=$!
printf '%s\n' "${QUERIES[@]}" | xargs -P 2 -I{} sh -c '
    timeout 300 "$1" build "examples/nexmark_q$2.flow" -o "$3/q$2" >"$3/q$2.err" 2>&1 || rm -f "$3/q$2"
' sh "$flowc" {} "$tmp/bin"
wait $refs

# normalize CSV MASK: the header line, then the rows sorted; a row that starts with a
# PREFIX of MASK (lines `PREFIX<TAB>COLUMNS`, COLUMNS 1-based and comma-separated) keeps only
# those columns (masked rows hold plain numbers, so a comma always separates two columns)
normalize() {
    head -n 1 "$1"
    tail -n +2 "$1" | awk -F '\t' -v maskfile="$2" '
        BEGIN {
            n = 0
            while ((getline line < maskfile) > 0) {
                split(line, parts, "\t")
                n++; prefix[n] = parts[1]; cols[n] = parts[2]
            }
        }
        {
            row = $0
            for (i = 1; i <= n; i++) {
                if (index(row, prefix[i]) == 1) {
                    nf = split(row, f, ","); nc = split(cols[i], c, ",")
                    row = "(masked)"
                    for (j = 1; j <= nc; j++) row = row "," f[c[j]]
                    break
                }
            }
            print row
        }' | LC_ALL=C sort
}

# status_text RC: what an exit status says
status_text() {
    case $1 in
        124) echo "timed out after 120 s (a hang?)" ;;
        127) echo "not run: flowc build failed" ;;
        3) echo "exit status 3 (a flowc bug)" ;;
        *) if [ "$1" -gt 128 ]; then echo "killed by signal $(($1 - 128))"; else echo "exit status $1"; fi ;;
    esac
}

fail() {  # fail WHAT: count a failure and say what failed
    failed=$((failed + 1))
    echo "FAIL: $1"
}

for q in "${QUERIES[@]}"; do
    flow=examples/nexmark_q$q.flow
    exp=$tmp/exp/q$q
    if [ -e "$exp.err" ] || [ ! -s "$exp.csv" ]; then
        for c in "${!CONFIGS[@]}"; do
            fail "Q$q ($flow, ${CONFIGS[$c]}): no reference: tests/nexmark/nexmark_ref.py $q $EVENTS failed"
        done
        [ -e "$exp.err" ] && tail -n 15 "$exp.err" | sed 's/^/    | /'
        continue
    fi
    [ -s "$exp.stderr" ] && sed 's/^/    (reference) /' "$exp.stderr"
    touch "$exp.mask"
    normalize "$exp.csv" "$exp.mask" >"$exp.norm"
    for c in "${!CONFIGS[@]}"; do
        config_args "$c"
        o=$tmp/run/q$q.$c
        what="Q$q ($flow, ${CONFIGS[$c]})"
        if [ "${cargs[0]}" = jit ]; then
            timeout 120 "$flowc" run "$flow" --events "$EVENTS" "${cargs[@]:1}" \
                >"$o.out" 2>"$o.err" </dev/null
            rc=$?
        elif [ -x "$tmp/bin/q$q" ]; then
            timeout 120 "$tmp/bin/q$q" --events "$EVENTS" "${cargs[@]:1}" \
                >"$o.out" 2>"$o.err" </dev/null
            rc=$?
        else
            { echo "flowc build failed:"; cat "$tmp/bin/q$q.err"; } >"$o.err"
            rc=127
        fi
        if [ $rc -ne 0 ]; then
            fail "$what: $(status_text $rc)"
            tail -n 15 "$o.err" | sed 's/^/    | /'
            continue
        fi
        normalize "$o.out" "$exp.mask" >"$o.norm"
        if cmp -s "$exp.norm" "$o.norm"; then
            passed=$((passed + 1))
        else
            fail "$what: the output differs from the reference (< expected, > flowc)"
            diff "$exp.norm" "$o.norm" | head -n 12 | sed 's/^/    | /'
        fi
    done
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
