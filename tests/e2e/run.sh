#!/usr/bin/env bash
# tests/e2e/run.sh FLOWC - end-to-end tests of the back end: run flow programs and check
# what they output against references computed independently, by python3.
#
# tests/e2e/gen.py writes deterministic inputs (fixed seed, a few thousand lines each) into a
# temporary folder. Each test names a program tests/e2e/*.flow, a reference function of
# tests/e2e/ref.py and the program's arguments, where @D stands for the data folder and @O for
# the folder the run writes its files into (each run has its own, which is also its working
# directory), and @R for the repository. Every test runs six times: with `FLOWC run` (the JIT) and as a native binary
# (`FLOWC build -o`, built once per program), each with --threads 1, 2 and 4 (or the counts
# in $E2E_THREADS), under
# `timeout 60` and a memory limit. A run passes when it exits with status 0, and each output the reference gives
# (the files under @O, and "stdout") matches: compared by tests/e2e/cmp.py, exactly when it is
# one line, as a CSV file (header first, rows in any order) for *.csv (and "stdout.csv", which
# is standard output), in any order otherwise; numbers with a tolerance. A program whose
# reference has no "stdout" must print nothing.
#
# Error tests run the same six ways and pass when the job exits with status 1 or 2 (not 0,
# not a flowc bug (3), not a crash or a timeout), its standard error matches an extended
# regular expression (a clear message), and the listed output files do not exist.
#
# Prints each failure with its diff or standard error, then one line `N passed, M failed`;
# exits non-zero when a run failed.
set -u

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/e2e/run.sh FLOWC" "$@"

E2E=$PWD/tests/e2e
ROOT=$PWD
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowc-e2e.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
DATA=$tmp/data
mkdir -p "$tmp/bin" "$tmp/exp" "$tmp/run"
if ! python3 "$E2E/gen.py" "$DATA"; then
    echo "tests/e2e/run.sh: cannot generate the input data" >&2
    exit 2
fi

passed=0
failed=0
THREADS=${E2E_THREADS:-1 2 4}   # E2E_THREADS="3 8" tries other thread counts
# Native binaries also run as several processes over loopback: PROCS x threads per process.
PROCS=${E2E_PROCS-2x1 2x2 3x1 3x2}
# E2E_ARGS: more options for every job (make test runs the suite again with --workers 2: the
# tasks on a pool of two threads)
read -r -a XARGS <<<"${E2E_ARGS:-}"
# E2E_JIT_ARGS: more options for `flowc run` only (make test runs the pool suite with --tier-at 2:
# every task of every JIT job moves to the cc-compiled code before its third call)
read -r -a JARGS <<<"${E2E_JIT_ARGS:-}"
# Every job runs with a limit on its data (ulimit -d): 512 MiB, and 384 MiB more per thread of
# --threads, since the stacks of its threads (8 MiB each, a few threads per stage and task)
# count too. The data of the jobs here is well under 100 MiB, so a job that leaks or copies
# far too much fails instead of taking the machine's memory. No limit for a program built
# with AddressSanitizer, whose shadow memory would not fit (a flowc built with SAN=1 runs the
# JIT jobs in itself).
# A test may set its own limit: `mem NAME KIB`.
declare -A MEMKB=()
cur_test=
mem() { MEMKB[$1]=$2; }
memlimit() {  # memlimit EXECUTABLE THREADS: the ulimit -d (KiB) for a job in EXECUTABLE
    if grep -q __asan_init "$1" 2>/dev/null; then
        echo unlimited
    elif [ -n "${MEMKB[$cur_test]:-}" ]; then
        echo "${MEMKB[$cur_test]}"
    else
        echo $(((512 + 384 * $2) * 1024))
    fi
}
TESTS=()  # the tests, each one string in shell quoting: `ok NAME FLOW REF ARG...` or
          # `err NAME FLOW REGEX ABSENT ARG...`

# ok NAME FLOW REF ARG...: the outputs of FLOW with ARGs must match the reference REF of ref.py
ok() { TESTS+=("ok $(printf '%q ' "$@")"); }
# err NAME FLOW REGEX ABSENT ARG...: the job must fail with status 1 or 2 and a standard
# error that matches REGEX, and leave none of the files ABSENT (names under @O, space-separated)
err() { TESTS+=("err $(printf '%q ' "$@")"); }

# subst OUTDIR ARG...: the arguments with @D and @O replaced, into the array `sargs`
subst() {
    local o=$1 a
    shift
    sargs=()
    for a in "$@"; do
        a=${a//@D/$DATA}
        a=${a//@R/$ROOT}
        sargs+=("${a//@O/$o}")
    done
}

# build_all: build every program used by a test once, two at a time, into $tmp/bin/NAME
# (a failed build leaves no binary, and its messages in $tmp/bin/NAME.err)
build_all() {
    local t flows=()
    for t in "${TESTS[@]}"; do
        eval "set -- $t"
        flows+=("$3")
    done
    printf '%s\n' "${flows[@]}" | sort -u | xargs -P 2 -I{} sh -c '
        name=$(basename "$1" .flow)
        timeout 120 "$2" build "$3/$1" -o "$4/$name" >"$4/$name.err" 2>&1 || rm -f "$4/$name"
    ' sh {} "$flowc" "$E2E" "$tmp/bin"
}

# run_job MODE FLOW THREADS OUTDIR ARG...: run the job in OUTDIR (its working directory), MODE
# jit, native or pN (native as N processes);
# standard output and error go to OUTDIR.stdout and OUTDIR.stderr, the exit status to
# OUTDIR.rc and to `rc` (127 when the native build failed)
run_job() {
    local mode=$1 flow=$2 t=$3 o=$4 bin
    shift 4
    mkdir -p "$o"
    subst "$o" "$@"
    if [ "$mode" = jit ]; then
        (cd "$o" && ulimit -d "$(memlimit "$flowc" "$t")" && timeout 60 "$flowc" run "$E2E/$flow" "${sargs[@]}" --threads "$t" "${XARGS[@]}" "${JARGS[@]}") \
            >"$o.stdout" 2>"$o.stderr" </dev/null
        rc=$?
    else
        bin=$tmp/bin/$(basename "$flow" .flow)
        local procs=()
        [ "$mode" = native ] || procs=(--procs "${mode#p}")
        if [ -x "$bin" ]; then
            (cd "$o" && ulimit -d "$(memlimit "$bin" "$t")" && timeout 60 "$bin" "${sargs[@]}" --threads "$t" "${procs[@]}" "${XARGS[@]}") \
                >"$o.stdout" 2>"$o.stderr" </dev/null
            rc=$?
        else
            { echo "flowc build failed:"; cat "$bin.err"; } >"$o.stderr"
            : >"$o.stdout"
            rc=127
        fi
    fi
    echo $rc >"$o.rc"
}

# status_text RC: what an exit status says
status_text() {
    case $1 in
        124) echo "timed out after 60 s (a hang?)" ;;
        127) echo "not run: flowc build failed" ;;
        3) echo "exit status 3 (a flowc bug)" ;;
        *) if [ "$1" -gt 128 ]; then echo "killed by signal $(($1 - 128))"; else echo "exit status $1"; fi ;;
    esac
}

# configs MODE: the runs of a mode, as "MODE THREADS" lines (pN modes for native: --procs)
configs() {
    local th pt
    if [ "$1" = jit ]; then
        for th in $THREADS; do echo "jit $th"; done
    else
        for th in $THREADS; do echo "native $th"; done
        for pt in $PROCS; do echo "p${pt%x*} ${pt#*x}"; done
    fi
}

# config_text MODE THREADS: how a run is named in failures
config_text() {
    case $1 in
        p*) echo "native, --procs ${1#p} --threads $2" ;;
        *) echo "$1, --threads $2" ;;
    esac
}

# run_all MODE PAR: run every test with MODE (jit or native) and each of its configurations,
# PAR at a time
run_all() {
    local t name flow m th mode=$1 par=$2 pids=()
    for t in "${TESTS[@]}"; do
        eval "set -- $t"
        name=$2
        flow=$3
        cur_test=$name
        if [ "$1" = ok ]; then shift 4; else shift 5; fi
        while read -r m th; do
            run_job "$m" "$flow" "$th" "$tmp/run/$name.$m.$th" "$@" &
            pids+=($!)
            if [ ${#pids[@]} -ge "$par" ]; then
                wait "${pids[0]}"
                pids=("${pids[@]:1}")
            fi
        done < <(configs "$mode")
    done
    [ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
}

check_ok() {  # check_ok NAME FLOW REF ARG...: its runs, as lines for `cmp.py --batch`
    local name=$1 flow=$2 m t
    while read -r m t; do
        printf '%q ' "$tmp/exp/$name" "$name ($flow, $(config_text "$m" "$t"))" "$tmp/run/$name.$m.$t"
        echo
    done < <(configs jit; configs native)
}

check_err() {  # check_err NAME FLOW REGEX ABSENT ARG...
    local name=$1 flow=$2 regex=$3 absent=$4 mode t f o problems rc
    while read -r mode t; do
            o=$tmp/run/$name.$mode.$t
            rc=$(cat "$o.rc")
            problems=
            case $rc in
                1|2) ;;
                0) problems+="    the job succeeded; it should have failed"$'\n' ;;
                *) problems+="    $(status_text "$rc"); expected a clean failure (status 1 or 2)"$'\n' ;;
            esac
            if [ "$rc" -ne 127 ] && ! grep -Eq -- "$regex" "$o.stderr"; then
                problems+="    standard error does not match /$regex/"$'\n'
            fi
            for f in $absent; do
                if [ -e "$o/$f" ]; then
                    problems+="    the failed job left the output file $f"$'\n'
                fi
            done
            if [ -z "$problems" ]; then
                passed=$((passed + 1))
            else
                failed=$((failed + 1))
                echo "FAIL: $name ($flow, $(config_text "$mode" "$t"))"
                printf '%s' "$problems"
                [ -s "$o.stderr" ] && tail -n 15 "$o.stderr" | sed 's/^/    | /'
            fi
    done < <(configs jit; configs native)
}

# ---- programs that must work ----
#  NAME             FLOW               REF (ref.py)  ARG...
ok wordcount        wordcount.flow     wordcount     --input @D/words.txt
ok wordcount_csv    wordcount_csv.flow wordcount_csv --input @D/words.txt --output @O/counts.csv
ok wordcount_stdout wordcount_csv.flow wordcount_stdout --input @D/words.txt --output -
ok lines            lines.flow         lines         --dir @D --out @O
ok collatz          collatz.flow       collatz
ok collatz_n        collatz.flow       collatz       --n 1000
ok chains           chains.flow        chains        --out @O
ok chains_n10       chains.flow        chains        --out @O --n 10
ok keyed            keyed.flow         keyed         --dir @D --out @O
ok keyed2           keyed2.flow        keyed2        --dir @D --out @O
ok whole            whole.flow         whole         --dir @D --out @O
ok whole_tuple      whole_tuple.flow   whole_tuple   --out @O
ok keys             keys.flow          keys          --dir @D --out @O
ok merge            merge.flow         merge         --dir @D --out @O
ok graphs           graphs.flow        graphs        --out @O
ok let2             let2.flow          let2          --dir @D --out @O
ok csv              csv.flow           csv           --dir @D --out @O
ok sinks            sinks.flow         sinks         --dir @D --out @O
ok params_default   params.flow        params        --input @D/words2.txt
ok params_override  params.flow        params        --n 10 --input @D/words2.txt --tag "Hello World" \
                                                     --loud true --scale 2.5 --use_file true
ok params_bool      params.flow        params        --loud false --use_file true --tag MiXeD \
                                                     --scale 0.125 --input @D/words.txt --n 7
ok params_negative  params.flow        params        --input @D/words2.txt --n -3
ok params_forms     params.flow        params        --input @D/words2.txt --n 1_0 --scale 3 --tag ""
ok params_hex       params.flow        params        --input @D/words2.txt --n 0x1_0 --scale 1e-400
ok strings          strings.flow       strings       --dir @D --out @O
ok vectors          vectors.flow       vectors       --out @O
ok options          options.flow       options       --dir @D --out @O
ok dates            dates.flow         dates         --dir @D --out @O
ok math             math.flow          math          --out @O
ok csv_keys         csv_keys.flow      csv_keys      --out @O
ok stress           stress.flow        stress        --out @O
ok fold_push        fold_push.flow     fold_push     --out @O
ok records          records.flow       records       --out @O
ok sources          sources.flow       sources       --out @O
ok nested           nested.flow        nested        --out @O
ok for_each         foreach.flow       empty
ok inspect          foreach_inspect.flow inspect
ok write_success    fail_late.flow     fail_late_ok  --out @O --bad 2000
ok joins            joins.flow         joins         --out @O
ok joins_tiny_queues joins.flow        joins         --out @O --batch 1 --queue 1
ok selfjoin         selfjoin.flow      selfjoin      --out @O
ok selfjoin_tiny    selfjoin.flow      selfjoin      --out @O --batch 4 --queue 1
ok order_scan       order_scan.flow    order_scan    --out @O
ok order_minmax     order_minmax.flow  order_minmax  --out @O
ok order_scan_small order_scan.flow    order_scan    --out @O --batch 7
ok order_minmax_small order_minmax.flow order_minmax --out @O --batch 1 --queue 1
ok tuple_let        tuple_let.flow     tuple_let     --out @O
ok phases           phases.flow        phases        --out @O
ok phases_small     phases.flow        phases        --out @O --n 3001 --batch 3
ok loops            loops.flow         loops         --out @O
ok argmin_rows      argmin_rows.flow   argmin_rows   --out @O
ok argmin_rows_small argmin_rows.flow  argmin_rows   --out @O --n 700 --batch 3 --queue 1
ok parallel         parallel.flow      parallel      --out @O --input @D/words.txt
ok parallel_n1      parallel.flow      parallel      --out @O --input @D/words.txt --par 1 --batch 5
ok parallel_n13     parallel.flow      parallel      --out @O --input @D/words.txt --par 13 --n 3001
ok zip              zip.flow           zip           --out @O --input @D/words.txt
# (a hundred windows, each a stage of its own with a thread and its stack: more room)
mem windows 4194304
mem windows_small 4194304
ok windows          windows.flow       windows       --out @O --dir @D --test-clock
ok windows_small    windows.flow       windows       --out @O --dir @D --test-clock --batch 3 --queue 1
ok timejoins        timejoins.flow     timejoins     --out @O --dir @D --test-clock
ok timejoins_small  timejoins.flow     timejoins     --out @O --dir @D --test-clock --batch 5 --queue 1
ok zip_small        zip.flow           zip           --out @O --input @D/words.txt --n 999 --batch 3 --queue 1
ok loops_small      loops.flow         loops         --out @O --n 500 --rounds 1 --batch 3 --queue 1
# the iteration examples, against scripts/ref_iter.py (@R: the repository)
ok ex_kmeans        ../../examples/kmeans.flow ex_kmeans --input @R/examples/data/points.csv --rounds 8
ok ex_pagerank      ../../examples/pagerank.flow ex_pagerank --input @R/examples/data/edges.csv \
                                                     --output @O/ranks.csv
ok ex_cc            ../../examples/connected_components.flow ex_cc --input @R/examples/data/edges.csv \
                                                     --output @O/labels.csv
ok ex_tc            ../../examples/transitive_closure.flow ex_tc --input @R/examples/data/tc_edges.csv \
                                                     --output @O/closure.csv

# ---- programs that must fail cleanly ----
#   NAME             FLOW                 REGEX (standard error)       ABSENT FILES  ARG...
err bad_csv_row      bad_csv.flow         'bad\.csv.*1234'              "out.csv" \
                                          --input @D/bad.csv --output @O/out.csv
err bad_csv_fields   bad_csv.flow         'skip\.csv.*[0-9]'            "out.csv" \
                                          --input @D/skip.csv --output @O/out.csv
err missing_input    missing.flow         'nope\.txt'                   "out.txt" \
                                          --input @D/nope.txt --output @O/out.txt
err unknown_param    wordcount.flow       '--nope'                      ""  --input @D/words.txt --nope 3
err param_not_i64    collatz.flow         '--n.*abc'                    ""  --n abc
err param_not_bool   params.flow          '--loud.*maybe'               ""  --input @D/words.txt --loud maybe
err param_not_f64    params.flow          '--scale.*abc'                ""  --input @D/words.txt --scale abc
err param_too_big    collatz.flow         '--n.*99999999999999999999'   ""  --n 99999999999999999999
err param_no_value   collatz.flow         '--n'                         ""  --n
err param_did_you_mean params.flow        'unknown option --scal; did you mean --scale' "" --input @D/words.txt --scal 2
err option_did_you_mean collatz.flow      'unknown option --thread; did you mean --threads' "" --thread 2
err param_bad_hex    collatz.flow         '--n.*0x1g'                   ""  --n 0x1g
err failed_no_files  fail_late.flow       'out of range'                "good.csv good.txt bad.csv" \
                                          --out @O --bad 1999
err for_each_fail    foreach.flow         'out of range'                ""  --size 2999
err inspect_fail     foreach_inspect.flow 'out of range'                "counts.txt" --size 2999
err division_by_zero division.flow        'division by zero'            "out.txt" --d 0
err one_none         one_fails.flow       'one_fails.flow:4:.*one\(\) needs exactly one element; the stream has 0' "never.txt" --out @O --n 1
err parallel_zero    parallel.flow        'parallelism\(n\) of stage .*: n must be from 1 to 65536; it is 0' "digits.csv sum.txt" --out @O --input @D/words.txt --par 0
err loop_fails       loop_fails.flow      'division by zero'            "state.txt count.txt" --out @O
err loop_max_zero    loops.flow           'loops\.flow:[0-9]+:[0-9]+: max must be at least 1; it is 0' "sum_state.txt" --out @O --rounds 0
err one_many         one_fails.flow       'one\(\) needs exactly one element; the stream has 5' "never.txt" --out @O --n 6
# (not under AddressSanitizer, whose jobs run without a memory limit)
if ! grep -q __asan_init "$flowc" 2>/dev/null; then
    err oom_table        oom_table.flow       'out of memory'               ""
    mem oom_table 409600   # KiB: 20 million keys cannot fit
fi

build_all &
builder=$!
for t in "${TESTS[@]}"; do
    eval "set -- $t"
    [ "$1" = ok ] || continue
    name=$2
    ref=$4
    shift 4
    subst "$tmp/refout" "$@"
    printf '%q ' "$tmp/exp/$name" "$ref" "${sargs[@]}"
    echo
done | python3 "$E2E/ref.py" --batch "$DATA" 2>&1 | sed 's/^/    | /'
run_all jit 1         # while the native builds go on
wait $builder
run_all native 2
# the outputs of the `ok` tests, all checked by one cmp.py (its last line: RESULT PASSED FAILED)
out=$(for t in "${TESTS[@]}"; do
          case $t in ok\ *) eval "check_$t" ;; esac
      done | python3 "$E2E/cmp.py" --batch)
last=${out##*$'\n'}
[ "$out" != "$last" ] && printf '%s\n' "${out%$'\n'*}"
read -r word np nf <<<"$last"
if [ "$word" = RESULT ]; then
    passed=$((passed + np))
    failed=$((failed + nf))
else
    echo "FAIL: tests/e2e/cmp.py failed"
    failed=$((failed + 1))
fi
for t in "${TESTS[@]}"; do
    case $t in err\ *) eval "check_$t" ;; esac
done

# a sanitizer's report fails a run even when the job's status hides it (a failing job exits 1
# whether or not it leaked)
for f in "$tmp"/run/*.stderr; do
    if grep -q 'ERROR: \(LeakSanitizer\|AddressSanitizer\)\|runtime error:' "$f"; then
        failed=$((failed + 1))
        echo "FAIL: $(basename "$f" .stderr): a sanitizer report"
        grep -m 3 -A 6 'ERROR: \|runtime error:' "$f" | sed 's/^/    | /'
    fi
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
