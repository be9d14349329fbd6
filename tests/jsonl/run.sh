#!/usr/bin/env bash
# tests/jsonl/run.sh FLOWC - JSON Lines: read_jsonl and write_jsonl against python3's json
# module both ways (python writes the input, reads the output), in the JIT, native at 1 and 3
# threads and as 2 processes; a keyed stream written as [key, value]; the errors, each naming
# the file and the line and leaving no output: a line that is not JSON, a field of the wrong
# type, a missing field, a row that is not an object; a string that is not UTF-8 on output;
# a row type JSON cannot hold (a check error).
set -u

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/jsonl/run.sh FLOWC" "$@"

D=tests/jsonl
test_tmp jsonl

python3 "$D/check.py" gen 5000 "$tmp/in.jsonl"
rows() {
    local name=$1
    shift
    rm -f "$tmp/out.jsonl"
    if ! "$@" --input "$tmp/in.jsonl" --output "$tmp/out.jsonl" >"$tmp/log" 2>&1; then
        bad "$name: the job failed" "$(cat "$tmp/log")"
    elif out=$(python3 "$D/check.py" check "$tmp/in.jsonl" "$tmp/out.jsonl" 2>&1); then
        ok
    else
        bad "$name: the output" "$out"
    fi
}
rows "JIT" "$flowc" run "$D/rows.flow" --threads 2
gzip -c "$tmp/in.jsonl" >"$tmp/in.jsonl.gz"
if "$flowc" run "$D/rows.flow" --threads 2 --input "$tmp/in.jsonl.gz" --output "$tmp/out.jsonl" >"$tmp/log" 2>&1 &&
    out=$(python3 "$D/check.py" check "$tmp/in.jsonl" "$tmp/out.jsonl" 2>&1); then ok
else bad "a gzip file" "$(cat "$tmp/log"; echo "${out:-}")"; fi
if "$flowc" build "$D/rows.flow" -o "$tmp/rows" >"$tmp/log" 2>&1; then
    rows "native, 1 thread" "$tmp/rows" --threads 1
    rows "native, 3 threads" "$tmp/rows" --threads 3
    rows "native, 2 processes" "$tmp/rows" --threads 1 --procs 2
else
    bad "flowc build rows.flow" "$(cat "$tmp/log")"
fi

# a job that reads JSON still links nothing but libc (jansson is loaded when it first reads JSON)
if [ -x "$tmp/rows" ] && ! grep -q __asan_init "$tmp/rows"; then
    extra=$(ldd "$tmp/rows" | grep -Ev '^\s*(linux-vdso|/lib64/ld-linux|libc\.so|libm\.so|libpthread\.so)' || true)
    if [ -z "$extra" ]; then ok; else bad "a job using read_jsonl links only libc" "$extra"; fi
fi

printf '[1, "a"]\n[2, "b"]\n[3, "a"]\n[4, "é"]\n' >"$tmp/pairs.jsonl"
if "$flowc" run "$D/keyed.flow" --input "$tmp/pairs.jsonl" --output "$tmp/k.jsonl" >"$tmp/log" 2>&1 &&
    python3 -c 'import json, sys; got = sorted(json.loads(l) for l in open(sys.argv[1], encoding="utf-8")); sys.exit(got != [["a", 2], ["b", 1], ["é", 1]])' "$tmp/k.jsonl"; then ok
else bad "a keyed stream as [key, value] arrays" "$(cat "$tmp/log" "$tmp/k.jsonl" 2>/dev/null)"; fi

# fails NAME MESSAGE CMD...: exit 1 with MESSAGE (a fixed string), no output
fails() { fails_leaving_no out.jsonl "$@"; }
good='{"id":1,"user":{"name":"a","age":1},"tags":[],"score":1,"ok":true,"pair":[1,"x"]}'
printf '%s\n{"id": 2, "user":\n' "$good" >"$tmp/b1.jsonl"
fails "a line that is not JSON" "b1.jsonl:2:17: not JSON: unexpected token near end of file" "$flowc" run "$D/rows.flow" --input "$tmp/b1.jsonl" --output "$tmp/out.jsonl"
printf '%s\n%s\n' "$good" "${good/\"age\":1/\"age\":\"old\"}" >"$tmp/b2.jsonl"
fails "a field of the wrong type" "b2.jsonl:2: user.age: expected i64, found a string" \
    "$flowc" run "$D/rows.flow" --input "$tmp/b2.jsonl" --output "$tmp/out.jsonl"
mkdir -p "$tmp/dir"
cp "$tmp/b1.jsonl" "$tmp/dir/a.jsonl"   # (b1's second line is bad; then b2 gzipped)
gzip -c "$tmp/b2.jsonl" >"$tmp/dir/b.jsonl.gz"
rm -f "$tmp/dir/a.jsonl"
fails "a field of the wrong type in a folder's gzip file" "b.jsonl.gz:2: user.age: expected i64, found a string" \
    "$flowc" run "$D/rows.flow" --threads 1 --input "$tmp/dir" --output "$tmp/out.jsonl"
printf '%s\n' "${good/,\"ok\":true/}" >"$tmp/b3.jsonl"
fails "a missing field" "b3.jsonl:1: ok: expected bool, found nothing (missing)" \
    "$flowc" run "$D/rows.flow" --input "$tmp/b3.jsonl" --output "$tmp/out.jsonl"
printf '%s\n%s\n%s\n[1, 2]\n' "$good" "$good" "$good" >"$tmp/b4.jsonl"
fails "a row that is not an object (native, 2 threads)" "b4.jsonl:4: the line: expected an object, found an array" \
    "$tmp/rows" --threads 2 --input "$tmp/b4.jsonl" --output "$tmp/out.jsonl"
printf '%s\n' "${good/\"tags\":[]/\"tags\":[\"a\",3]}" >"$tmp/b5.jsonl"
fails "a vector element of the wrong type" "b5.jsonl:1: tags[1]: expected str, found an integer" \
    "$flowc" run "$D/rows.flow" --input "$tmp/b5.jsonl" --output "$tmp/out.jsonl"
fails "a string that is not UTF-8 on output" "write_jsonl: row 4 has a string that is not UTF-8" \
    "$flowc" run "$D/bad_utf8.flow" --threads 1 --output "$tmp/out.jsonl"
printf 'param p: str = "x"\nread_jsonl(p, (i64, Date)).print()\n' >"$tmp/t.flow"
if ! "$flowc" check "$tmp/t.flow" >"$tmp/log" 2>&1 && grep -q "read_jsonl reads rows made of i64, f64, bool, str, and opt, vec, tuples and records of them, not (i64, Date)" "$tmp/log"; then ok
else bad "a row type JSON cannot hold" "$(cat "$tmp/log")"; fi

test_summary jsonl
