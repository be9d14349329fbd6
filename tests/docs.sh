#!/usr/bin/env bash
# tests/docs.sh FLOWC - checks the examples of the language reference.
#
# Every block of docs/language.md fenced as ```flow is a whole program: it is
# written to a temporary file and type-checked with `FLOWC check` from the
# repository root (NO_COLOR=1). A block passes when flowc exits 0 and prints
# nothing (no error, no warning). Fragments that are not whole programs are
# fenced as ```text and are not checked. For each failing block the script
# prints the line of its opening fence in the .md and flowc's output (with
# positions turned into docs/language.md lines), then one line
# `N passed, M failed`.
#
# A block followed by a line `<!-- run: NAME -->` is also run, from a scratch folder that sees
# the repository's examples/ (so it reads examples/data and writes nothing here): with
# `FLOWC run --threads 2`, as a native binary with --threads 1, and with --procs 2. Each run
# must exit 0 and print what `python3 tests/docs_ref.py NAME` computes, compared by
# tests/e2e/cmp.py (lines in any order, numbers with a tolerance).
# Exit status: 0 when every block passes, 1 otherwise, 2 on bad usage.
set -u

. "$(dirname "$0")/lib.sh"
test_flowc_arg "tests/docs.sh FLOWC" "$@"
doc=docs/language.md
if [ ! -r "$doc" ]; then
    echo "tests/docs.sh: cannot read $doc" >&2
    exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowc-docs.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# Split the ```flow blocks into $tmp/block-LINE.flow (LINE: the line of the
# first line of code in the .md), listing each LINE in $tmp/blocks in order;
# an unterminated block is reported, not checked.
awk -v dir="$tmp" '
    !inblock && /^```flow[ \t]*$/ { inblock = 1; start = NR; first = NR + 1;
                                    file = sprintf("%s/block-%d.flow", dir, first);
                                    printf "" > file; next }
    inblock && /^```[ \t]*$/      { inblock = 0; close(file); print first > (dir "/blocks"); closed = NR; next }
    inblock                       { print > file; next }
    NR == closed + 1 && match($0, /^<!-- run: [a-z_]+ -->/) {
                                    print first, substr($0, 11, RLENGTH - 14) > (dir "/runs") }
    END { if (inblock) { close(file); printf "%d %s\n", start, file > (dir "/unterminated") } }
' "$doc"

passed=0
failed=0
if [ -f "$tmp/unterminated" ]; then
    read -r start file < "$tmp/unterminated"
    rm -f "$file"
    echo "== $doc:$start: the \`\`\`flow block is not closed"
    failed=$((failed + 1))
fi

touch "$tmp/blocks"
while read -r first; do
    f=$tmp/block-$first.flow
    out=$(NO_COLOR=1 "$flowc" check "$f" 2>&1 </dev/null)
    rc=$?
    if [ $rc -eq 0 ] && [ -z "$(clean_check "$out")" ]; then
        passed=$((passed + 1))
        continue
    fi
    failed=$((failed + 1))
    echo "== $doc:$((first - 1)): block failed (flowc exit $rc)"
    # Lines of the block -> lines of the .md: `file:LINE:COL` becomes
    # `docs/language.md:LINE+first-1:COL`, and so does the `LINE | ` gutter.
    printf '%s\n' "$out" | awk -v f="$f" -v doc="$doc" -v off="$((first - 1))" '
        index($0, f ":") == 1 {
            rest = substr($0, length(f) + 2)
            n = index(rest, ":")
            line = substr(rest, 1, n - 1)
            if (line ~ /^[0-9]+$/) { print doc ":" (line + off) ":" substr(rest, n + 1); next }
        }
        /^ *[0-9]+ \| / {
            n = index($0, "|")
            printf "%5d %s\n", substr($0, 1, n - 2) + off, substr($0, n)
            next
        }
        { print }'
done < "$tmp/blocks"

# run_block FIRST NAME: the block at FIRST in three ways, against docs_ref.py NAME
run_block() {
    local first=$1 name=$2 f=$tmp/block-$1.flow d=$tmp/run-$1 mode out
    mkdir -p "$d/exp" "$d/work"
    ln -s "$PWD/examples" "$d/work/examples"
    ln -s "$PWD/scripts" "$d/work/scripts"
    if ! python3 tests/docs_ref.py "$name" >"$d/exp/stdout"; then
        failed=$((failed + 1))
        echo "== $doc:$((first - 1)): tests/docs_ref.py $name failed"
        return
    fi
    "$flowc" build "$f" -o "$d/bin" >"$d/build.err" 2>&1 || cat "$d/build.err" >&2
    for mode in jit native procs; do
        out=$d/$mode
        mkdir -p "$out"
        case $mode in
            jit) (cd "$d/work" && timeout 120 "$flowc" run "$f" --threads 2) ;;
            native) (cd "$d/work" && timeout 120 "$d/bin" --threads 1) ;;
            procs) (cd "$d/work" && timeout 120 "$d/bin" --procs 2 --threads 1) ;;
        esac >"$out.stdout" 2>"$out.stderr" </dev/null
        echo $? >"$out.rc"
        if python3 tests/e2e/cmp.py "$d/exp" "$doc:$((first - 1)) ($name, $mode)" "$out" >"$d/cmp" 2>&1; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            grep -v '^RESULT' "$d/cmp" | head -20
            tail -n 5 "$out.stderr"
        fi
    done
}

touch "$tmp/runs"
while read -r first name; do
    run_block "$first" "$name"
done < "$tmp/runs"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
