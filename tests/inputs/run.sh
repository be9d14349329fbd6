#!/usr/bin/env bash
# tests/inputs/run.sh FLOWC - compressed inputs, folders and glob patterns in read_lines and
# read_csv. tests/inputs/data.py writes the inputs (fixed seeds): texts and CSV files (quoted
# fields with line ends, commas and quotes; blank lines; \r\n) as plain files, gzip files of
# several members and zstd files, a few MB decompressed so that they span several blocks;
# folders of mixed plain, gzip, zstd and empty files (with a hidden file and a subfolder, not
# read), an empty folder, glob patterns; then broken ones.
#
# Each input is read by lines.flow (read_lines(..).write_lines) and rows.flow
# (read_csv(.., Row).write_csv), by the JIT (`flowc run`) and as a native binary, at --threads 1
# and 3, and as --procs 2 (the files spread over the tasks of both processes), some also with
# the JIT moving to cc's code at the second call (--tier-at 2) and on the worker pool; what they
# wrote is compared with python3's own reading (data.py: gzip, the zstd tool, csv, glob). The
# .gz inputs also go through zlib (FLOWC_GZIP=zlib) besides ISA-L. The broken inputs (a
# truncated gzip file, a gzip file whose second member is corrupt, a truncated zstd file, a
# pattern that matches nothing, a bad field in a .gz CSV) must each fail the job with status 1
# and a message that names the file (and the line, for the field), and leave no output file.
# The native binaries must still link nothing but libc, libm and pthreads (the libraries are
# loaded with dlopen), and where a library is missing (hidden in a mount namespace) the job
# says which one it needs, or falls back from ISA-L to zlib. Prints each failure, then
# `inputs: N passed, M failed`.
set -u

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/inputs/run.sh FLOWC" "$@"

HERE=$PWD/tests/inputs
test_tmp inputs

D=$tmp/data
mkdir -p "$tmp/out"
python3 "$HERE/data.py" gen "$D" || exit 2
for p in lines rows; do
    "$flowc" build "$HERE/$p.flow" -o "$tmp/$p" 2>"$tmp/build.err" || { bad_files "build $p.flow" "$tmp/build.err"; exit 1; }
done

# ---- what a job binary links: still nothing but the C library ----
if grep -q __asan_init "$tmp/lines" 2>/dev/null; then
    echo "SKIP: what a job binary links (built with the sanitizers' libraries)"
else
    extra=$(ldd "$tmp/lines" | grep -Ev '^\s*(linux-vdso|/lib64/ld-linux|libc\.so|libm\.so|libpthread\.so)' || true)
    if [ -z "$extra" ]; then ok
    else bad_files "a job binary that reads .gz links only libc, libm and pthreads: $extra"; fi
fi

# way PROG WAY: the command of PROG (lines, rows) run that way, into the array `cmd`
way() {
    case $2 in
        jit1) cmd=("$flowc" run "$HERE/$1.flow" --threads 1) ;;
        jit3) cmd=("$flowc" run "$HERE/$1.flow" --threads 3) ;;
        nat1) cmd=("$tmp/$1" --threads 1) ;;
        nat3) cmd=("$tmp/$1" --threads 3) ;;
        procs2) cmd=("$tmp/$1" --procs 2 --threads 2) ;;
        zlib3) cmd=(env FLOWC_GZIP=zlib "$tmp/$1" --threads 3) ;;
        tier) cmd=("$flowc" run "$HERE/$1.flow" --threads 3 --tier-at 2) ;;   # JIT, then cc's code
        pool) cmd=("$tmp/$1" --threads 3 --workers 2) ;;
    esac
}

# job PROG WAY INPUT OUTPUT: runs PROG that way (standard output and error into $tmp); its status
job() {
    way "$1" "$2"
    rm -f "$4"
    timeout 120 "${cmd[@]}" --input "$D/$3" --output "$4" >"$tmp/stdout" 2>"$tmp/stderr"
}

# agree PROG INPUT WAY...: each way's output matches python3's reading of INPUT
agree() {
    local prog=$1 input=$2 w out
    shift 2
    for w in "$@"; do
        out=$tmp/out/$prog-$w.$([ "$prog" = rows ] && echo csv || echo txt)
        job "$prog" "$w" "$input" "$out"
        local rc=$?
        if [ $rc -ne 0 ]; then
            bad_files "$prog $input ($w): exit status $rc" "$tmp/stderr"
        elif ! python3 "$HERE/data.py" "$prog" "$D/$input" "$out" >"$tmp/diff"; then
            bad_files "$prog $input ($w): the output differs from python3's" "$tmp/diff"
        else
            ok
        fi
    done
}

# err PROG INPUT REGEX WAY...: the job fails (status 1) with a message matching REGEX, no output
err() {
    local prog=$1 input=$2 re=$3 w out=$tmp/out/err.out
    shift 3
    for w in "$@"; do
        job "$prog" "$w" "$input" "$out"
        local rc=$?
        if [ $rc -ne 1 ]; then
            bad_files "$prog $input ($w): exit status $rc, not 1" "$tmp/stderr"
        elif ! grep -Eq "^flowc job: $re" "$tmp/stderr"; then
            bad_files "$prog $input ($w): no message matching \`flowc job: $re\`" "$tmp/stderr"
        elif [ -e "$out" ]; then
            bad_files "$prog $input ($w): the output file was left behind"
        else
            ok
        fi
    done
}

ALL=(jit1 jit3 nat1 nat3 procs2)
agree lines words.txt "${ALL[@]}"
agree lines words.txt.gz "${ALL[@]}" zlib3 tier pool
agree lines words.txt.zst "${ALL[@]}"
agree lines mixed "${ALL[@]}" zlib3 tier pool
agree lines 'mixed/p[0-3]*' "${ALL[@]}"
agree lines 'mixed/*.gz' nat3 procs2
agree lines empty jit1 nat3 procs2
agree rows rows.csv "${ALL[@]}"
agree rows rows.csv.gz "${ALL[@]}" zlib3
agree rows rows.csv.zst "${ALL[@]}"
agree rows csvdir "${ALL[@]}" zlib3 tier pool
agree rows 'csvdir/*.gz' "${ALL[@]}"

ERR=(jit1 nat3 procs2)
P=$(printf '%s' "$D" | sed 's/[][\.*^$+?(){}|]/\\&/g')   # the data folder, as a regular expression
err lines bad/truncated.gz "$P/bad/truncated\.gz: truncated gzip member: the file ends at byte [0-9]+" "${ERR[@]}" zlib3
err lines bad/member.gz "$P/bad/member\.gz: corrupt gzip data at byte [0-9]+ \(in the member that starts at byte 33\)" \
    "${ERR[@]}" zlib3
err lines bad/truncated.zst "$P/bad/truncated\.zst: truncated zstd frame: the file ends at byte [0-9]+" "${ERR[@]}"
err lines 'nothing/*.txt.gz' "no file matches $P/nothing/\*\.txt\.gz" "${ERR[@]}"
err rows 'bad/*.csv.gz' "$P/bad/row\.csv\.gz:3: column score: \`oops\` is not an f64" "${ERR[@]}"
err rows bad "$P/bad/member\.gz: corrupt gzip data" nat1

# ---- a host without the libraries: a mount namespace hides their files (an empty file bound
# over each); skipped where that cannot be done (not root, no unshare) ----
libfile() { readlink -f "$(ldconfig -p | awk -v l="$1" '$1 == l { print $NF; exit }')"; }
ISAL=$(libfile libisal.so.2) ZLIB=$(libfile libz.so.1) ZSTD=$(libfile libzstd.so.1)
# hidden "FILE..." PROG INPUT OUTPUT: PROG (native, --threads 2) run where the FILEs are empty
hidden() {
    rm -f "$4"
    unshare -m sh -c 'for l in $1; do mount --bind /dev/null "$l" || exit 99; done; shift; exec "$@"' sh "$1" \
        timeout 120 "$tmp/$2" --threads 2 --input "$D/$3" --output "$4" >"$tmp/stdout" 2>"$tmp/stderr"
}
if ! unshare -m sh -c "mount --bind /dev/null '$ZSTD'" 2>/dev/null || [ -z "$ISAL" ] || [ -z "$ZLIB" ]; then
    echo "SKIP: hosts without the decompression libraries (no mount namespace here)"
else
    out=$tmp/out/hidden.txt
    hidden "$ZSTD" lines words.txt.zst "$out"
    if [ $? -eq 1 ] && grep -qx "flowc job: reading $D/words.txt.zst needs libzstd (Debian: libzstd1)" "$tmp/stderr" &&
            [ ! -e "$out" ]; then ok
    else bad_files "without libzstd: status 1, a message naming it, no output" "$tmp/stderr"; fi
    hidden "$ISAL" lines words.txt.gz "$out"
    if [ $? -eq 0 ] && python3 "$HERE/data.py" lines "$D/words.txt.gz" "$out" >"$tmp/diff"; then ok
    else bad_files "without ISA-L: zlib reads the .gz" "$tmp/stderr" "$tmp/diff"; fi
    hidden "$ISAL $ZLIB" lines words.txt.gz "$out"
    if [ $? -eq 1 ] && grep -qx "flowc job: reading $D/words.txt.gz needs ISA-L or zlib (Debian: libisal2 or zlib1g)" \
            "$tmp/stderr" && [ ! -e "$out" ]; then ok
    else bad_files "without ISA-L and zlib: status 1, a message naming them, no output" "$tmp/stderr"; fi
fi

test_summary inputs
