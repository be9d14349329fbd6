#!/usr/bin/env bash
# tests/arrow/run.sh FLOWC - Apache Arrow IPC: write_arrow's files and streams read by the
# apache-arrow package (JavaScript, installed with npm into build/arrowjs on first use), and
# its files and streams read by read_arrow, each compared with python3's values (check.py), in
# the JIT, native at 1 and 3 threads and as 2 processes (and the package's LargeUtf8 and
# LargeBinary columns, 64-bit offsets, and dictionary-encoded strings; Polars' files, from the
# nodejs-polars package: Utf8View, LargeList, buffers compressed with LZ4 and zstd, and corrupt
# compressed buffers); a round trip through flowc alone;
# the errors: a column of another type, a null in a column whose type is not opt, a missing
# column, a truncated file, a string that is not UTF-8 (and binary: true, which writes it as
# Binary). Without node or npm's registry, the tests that need the package are skipped, said so.
set -u

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/arrow/run.sh FLOWC" "$@"

D=$PWD/tests/arrow
test_tmp arrow

js=
if command -v node >/dev/null && command -v npm >/dev/null; then
    mkdir -p build/arrowjs
    if [ -d build/arrowjs/node_modules/apache-arrow ] ||
        (cd build/arrowjs && timeout 300 npm install --no-audit --no-fund apache-arrow@17 >npm.log 2>&1); then
        export NODE_PATH=$PWD/build/arrowjs/node_modules
        js=1
    fi
fi
[ -n "$js" ] || echo "SKIP: the tests against the apache-arrow package (no node, or npm could not install it)"
pl=
if [ -n "$js" ] && [ "$(uname -m)" = x86_64 ]; then   # (nodejs-polars: its prebuilt x86-64 library)
    mkdir -p build/polarsjs
    if [ -d build/polarsjs/node_modules/nodejs-polars-linux-x64-gnu ] ||
        (cd build/polarsjs && timeout 300 npm install --no-audit --no-fund nodejs-polars@0.26.1 \
            nodejs-polars-linux-x64-gnu@0.26.1 >npm.log 2>&1); then
        export NODE_PATH=$NODE_PATH:$PWD/build/polarsjs/node_modules
        pl=1
    fi
fi
[ -n "$pl" ] || echo "SKIP: the tests against Polars (nodejs-polars from npm)"

"$flowc" build "$D/write.flow" -o "$tmp/write" >"$tmp/log" 2>&1 || bad "build write.flow" "$(cat "$tmp/log")"
# written NAME CMD...: the file CMD writes at $tmp/out.arrow, as the package reads it
written() {
    local name=$1
    shift
    rm -f "$tmp/out.arrow"
    if ! "$@" --output "$tmp/out.arrow" >"$tmp/log" 2>&1; then bad "$name: the job failed" "$(cat "$tmp/log")"; return; fi
    [ -n "$js" ] || return
    if node "$D/js.js" dump "$tmp/out.arrow" >"$tmp/dump" 2>"$tmp/log" && out=$(python3 "$D/check.py" write "$tmp/dump" 2500 2>&1); then ok
    else bad "$name: the package's reading" "$(cat "$tmp/log"; echo "${out:-}")"; fi
}
written "write_arrow, JIT" "$flowc" run "$D/write.flow" --threads 2
written "write_arrow, native, 1 thread" "$tmp/write" --threads 1
written "write_arrow, native, 3 threads, --batch 100" "$tmp/write" --threads 3 --batch 100
written "write_arrow, native, 2 processes" "$tmp/write" --threads 1 --procs 2
if [ -n "$js" ]; then
    if "$tmp/write" --output - 2>"$tmp/log" | node "$D/js.js" dump - >"$tmp/dump" && python3 "$D/check.py" write "$tmp/dump" 2500 >"$tmp/log" 2>&1; then ok
    else bad "write_arrow to standard output: the stream format" "$(cat "$tmp/log")"; fi
    if "$tmp/write" --output "$tmp/s.arrows" >"$tmp/log" 2>&1 && [ "$(head -c 4 "$tmp/s.arrows" | od -An -tx1 | tr -d ' ')" = ffffffff ] &&
        node "$D/js.js" dump "$tmp/s.arrows" >"$tmp/dump" && python3 "$D/check.py" write "$tmp/dump" 2500 >"$tmp/log" 2>&1; then ok
    else bad "write_arrow to a path ending in .arrows: the stream format" "$(cat "$tmp/log")"; fi
fi

# a round trip through flowc alone
"$tmp/write" --output "$tmp/out.arrow" --threads 2 >/dev/null 2>&1
if "$flowc" run "$D/roundtrip.flow" --input "$tmp/out.arrow" --output "$tmp/back.jsonl" --threads 3 >"$tmp/log" 2>&1 &&
    python3 "$D/check.py" roundtrip "$tmp/back.jsonl" 2500 >"$tmp/log" 2>&1; then ok
else bad "read_arrow of write_arrow's file" "$(cat "$tmp/log")"; fi

if [ -n "$js" ]; then
    node "$D/js.js" write "$tmp/js.arrow"
    "$flowc" build "$D/read.flow" -o "$tmp/read" >"$tmp/log" 2>&1 || bad "build read.flow" "$(cat "$tmp/log")"
    for run in "$flowc run $D/read.flow --threads 2" "$tmp/read --threads 3" "$tmp/read --threads 1 --procs 2"; do
        for f in js.arrow js.arrows; do
            if $run --input "$tmp/$f" >"$tmp/r.txt" 2>"$tmp/log" && python3 "$D/check.py" read "$tmp/r.txt" 1000 >"$tmp/log" 2>&1; then ok
            else bad "read_arrow of the package's $f: ${run%% --*}" "$(cat "$tmp/log")"; fi
        done
    done
fi

if [ -n "$js" ]; then
    node "$D/js.js" write-large "$tmp/large.arrow"
    "$flowc" build "$D/read_large.flow" -o "$tmp/read_large" >"$tmp/log" 2>&1 || bad "build read_large.flow" "$(cat "$tmp/log")"
    for run in "$flowc run $D/read_large.flow --threads 2" "$tmp/read_large --threads 1 --procs 2"; do
        for f in large.arrow large.arrows; do
            if $run --input "$tmp/$f" >"$tmp/r.txt" 2>"$tmp/log" && python3 "$D/check.py" large "$tmp/r.txt" 1000 >"$tmp/log" 2>&1; then ok
            else bad "read_arrow of LargeUtf8, LargeBinary and dictionaries, $f: ${run%% --*}" "$(cat "$tmp/log")"; fi
        done
    done
fi

if [ -n "$pl" ]; then   # Utf8View strings, LargeList, buffers compressed with LZ4 and zstd
    node "$D/polars.js" "$tmp/p"
    "$flowc" build "$D/read_polars.flow" -o "$tmp/read_polars" >"$tmp/log" 2>&1 || bad "build read_polars.flow" "$(cat "$tmp/log")"
    for run in "$flowc run $D/read_polars.flow --threads 2" "$tmp/read_polars --threads 3" "$tmp/read_polars --threads 1 --procs 2"; do
        for f in plain lz4 zstd; do
            if $run --input "$tmp/p.$f.arrow" >"$tmp/r.txt" 2>"$tmp/log" && python3 "$D/check.py" polars "$tmp/r.txt" 50000 >"$tmp/log" 2>&1; then ok
            else bad "read_arrow of Polars' file, $f: ${run%% --*}" "$(cat "$tmp/log")"; fi
        done
    done
    for f in lz4 zstd; do   # 64 bytes flipped in the middle of the body
        python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); m = len(d) // 2
for i in range(m, m + 64): d[i] ^= 0x5a
open(sys.argv[2], "wb").write(d)' "$tmp/p.$f.arrow" "$tmp/bad.$f.arrow"
        fails_leaving_no out.txt "a corrupt $f buffer" "read_arrow $tmp/bad.$f.arrow: $([ $f = lz4 ] && echo an LZ4 || echo a zstd) buffer: corrupt" \
            "$flowc" run "$D/read_polars.flow" --input "$tmp/bad.$f.arrow"
    done
fi

# fails NAME MESSAGE CMD...: exit 1, the message, no output file
fails() { fails_leaving_no out.arrow "$@"; }
src=$tmp/out2.arrow
"$tmp/write" --output "$src" >/dev/null 2>&1
if [ -n "$js" ]; then src=$tmp/js.arrow; fi
if [ -n "$js" ]; then
    fails "a column of another type" "js.arrow: column \`s\` is Utf8 in the file, but i64 in the row type" \
        "$flowc" run "$D/mismatch.flow" --input "$tmp/js.arrow"
    fails "a null in a column that is not opt" "js.arrow: column \`s\` holds a null (row 0 of its batch), but its type in the row is not opt<..>" \
        "$flowc" run "$D/notnull.flow" --input "$tmp/js.arrow"
fi
printf 'type R = { id: i64, zzz: str }\nparam input: str = "x"\nread_arrow(input, R).print()\n' >"$tmp/missing.flow"
fails "a missing column" "the file has no column \`zzz\` (the row type's)" "$flowc" run "$tmp/missing.flow" --input "$tmp/out2.arrow"
head -c 3000 "$tmp/out2.arrow" >"$tmp/trunc.arrow"
fails "a truncated file" "trunc.arrow: not an Arrow file, or truncated (no footer)" \
    "$flowc" run "$D/roundtrip.flow" --input "$tmp/trunc.arrow" --output "$tmp/out.arrow"
fails "a string that is not UTF-8" "write_arrow: row 4 has a string that is not UTF-8" \
    "$flowc" run "$D/bytes.flow" --threads 1 --output "$tmp/out.arrow"
if [ -n "$js" ]; then
    if "$flowc" run "$D/bytes_bin.flow" --output "$tmp/bin.arrow" >"$tmp/log" 2>&1 &&
        node "$D/js.js" dump "$tmp/bin.arrow" >"$tmp/dump" 2>>"$tmp/log" &&
        python3 -c 'import json, sys; l = open(sys.argv[1]).read().splitlines(); assert json.loads(l[0]) == [["value", "Binary", False]], l[0]; assert sorted(json.loads(x)["value"] for x in l[1:]) == [[97, 255]] + [[111, 107]] * 4' "$tmp/dump" 2>>"$tmp/log"; then ok
    else bad "binary: true writes a Binary column" "$(cat "$tmp/log")"; fi
fi

test_summary arrow
