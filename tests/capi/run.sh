#!/usr/bin/env bash
# tests/capi/run.sh FLOWC - a job as a library (flowc build --lib): four job libraries (.so) and
# one static (.a) built, a C host (host.c) linked against each form of sales and loading the
# others with dlopen (results against its own computation, two jobs at once, a failing job,
# its signal handlers and thread count afterwards, only the API exported), and the same
# library from Python's ctypes (host.py); rows as Arrow record batches through the C Data
# Interface (arrow_host.c, cols.flow; checked by tests/arrow/check.py); out of memory in a library (host.c, libgrow.so) and in
# a job binary (grow_csv.flow); then the sources and sinks of the API outside a library: a job
# binary using host_rows fails with a message.
set -u

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/capi/run.sh FLOWC" "$@"

D=tests/capi
test_tmp capi

mkdir -p "$tmp/a"
for j in sales words fail range grow cols; do
    "$flowc" build --lib "$D/$j.flow" -o "$tmp/lib$j.so" >"$tmp/log" 2>&1 || bad "flowc build --lib $j.flow" "$(cat "$tmp/log")"
done
"$flowc" build --lib "$D/sales.flow" -o "$tmp/a/libsales.a" >"$tmp/log" 2>&1 || bad "flowc build --lib -o libsales.a" "$(cat "$tmp/log")"
if [ -f "$tmp/libsales.h" ] && [ -f "$tmp/a/libsales.h" ] && grep -q "int sales_push(sales_job \*h, const rec_Sale \*row);" "$tmp/libsales.h"; then ok
else bad "the header beside each library"; fi

san=
if "$flowc" build --lib "$D/range.flow" -o "$tmp/probe.so" >/dev/null 2>&1 && nm -D "$tmp/probe.so" | grep -q __asan; then
    san="-fsanitize=address,undefined"   # (a sanitized flowc builds sanitized libraries)
fi
grow=$tmp/libgrow.so
[ -z "$san" ] || grow=-   # (an address-space limit and the sanitizers' shadow memory do not mix)
# host NAME LIBSALES-ARGS: the C host built against one form of sales
host() {
    local name=$1
    shift
    if ! gcc -std=c99 $san -Iruntime -I"$(dirname "$1")" "$D/host.c" -o "$tmp/host" "$@" -ldl -lpthread -lm >"$tmp/log" 2>&1; then
        bad "$name: building the host" "$(cat "$tmp/log")"
    elif "$tmp/host" "$tmp/libwords.so" "$tmp/libfail.so" "$tmp/librange.so" "$grow" >"$tmp/out" 2>&1; then
        ok
    else
        bad "$name: the host's checks" "$(cat "$tmp/out")"
    fi
    if grep -q "flowc job:" "$tmp/out"; then bad "$name: a library printed on standard error" "$(cat "$tmp/out")"; fi
}
host "the shared library" "$tmp/libsales.so" -Wl,-rpath,"$tmp"
host "the static library" "$tmp/a/libsales.a"

# Rows as Arrow record batches (the C Data Interface): arrow_host.c dumps them as check.py reads
# the apache-arrow package's dumps in tests/arrow, and check.py compares them with python3's.
if ! gcc -std=c99 $san -Iruntime -I"$tmp" "$D/arrow_host.c" -o "$tmp/arrow_host" -ldl >"$tmp/log" 2>&1; then
    bad "building arrow_host" "$(cat "$tmp/log")"
elif ! "$tmp/arrow_host" "$tmp/libcols.so" "$tmp/dump" >"$tmp/log" 2>&1; then
    bad "arrow_host: the job's Arrow batches" "$(cat "$tmp/log")"
elif out=$(python3 tests/arrow/check.py write "$tmp/dump" 2500 2>&1); then ok
else bad "arrow_host: the rows of the Arrow batches against python3's" "$out"; fi

if [ -z "$san" ]; then
    if out=$(python3 "$D/host.py" "$tmp/libsales.so" 2>&1); then ok; else bad "Python's ctypes" "$out"; fi
else
    echo "SKIP: Python's ctypes with a sanitized library (python3 is not built with the sanitizers)"
fi

# Out of memory in a job binary: the job fails like any other (exit 1, the message, no output
# file and no temporary one), in JIT and native mode and as 2 processes.
if [ -z "$san" ]; then
    "$flowc" build "$D/grow_csv.flow" -o "$tmp/grow_csv" >"$tmp/log" 2>&1 || bad "flowc build grow_csv.flow" "$(cat "$tmp/log")"
    for mode in native jit procs2; do
        rm -rf "$tmp/o" && mkdir "$tmp/o"
        case $mode in
        native) cmd=("$tmp/grow_csv" --threads 2) ;;
        procs2) cmd=("$tmp/grow_csv" --threads 1 --procs 2) ;;
        *) cmd=("$flowc" run "$PWD/$D/grow_csv.flow" --threads 2) ;;
        esac
        (cd "$tmp/o" && ulimit -v 1000000 && "${cmd[@]}") >"$tmp/log" 2>&1
        rc=$?
        if [ $rc -eq 1 ] && grep -q "^flowc job: out of memory (asking for [0-9]* bytes)" "$tmp/log" && [ -z "$(ls -A "$tmp/o")" ]; then ok
        else bad "$mode: out of memory in a job binary: exit $rc, left: $(ls -A "$tmp/o")" "$(cat "$tmp/log")"; fi
    done
fi

"$flowc" run "$D/sales.flow" >"$tmp/log" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q "host_rows: its rows come from a host program through the C API (flowc build --lib)" "$tmp/log"; then ok
else bad "host_rows outside a library: exit $rc" "$(cat "$tmp/log")"; fi

"$flowc" run "$D/range.flow" >"$tmp/log" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q "to_host: its rows go to a host program through the C API (flowc build --lib)" "$tmp/log"; then ok
else bad "to_host outside a library: exit $rc" "$(cat "$tmp/log")"; fi

test_summary capi
