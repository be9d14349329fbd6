#!/usr/bin/env bash
# bench/run.sh - flowc benchmarks (make bench): word count (uniform and Zipf
# inputs) and collatz, each as a flowc native binary (-O2 and -O3), with the
# flowc JIT (flowc run) and as a hand-written C baseline, at 2 threads and 1;
# then the time to first result of `flowc run` on the sample input. Checks
# that every variant gives the baseline's output before timing it, and
# prints one table of wall times (best of --runs) and flowc/baseline ratios.
#
#   bench/run.sh [--size MB] [--runs N] [--collatz-n N] [--threads "2 1"]
#
#   --size MB       word count input size in MB of 10^6 bytes (default 500)
#   --runs N        timed runs per cell, the best is reported (default 3); a
#                   cell whose first run takes longer than SLOW_S (default
#                   60) seconds is run once
#   --collatz-n N   collatz bound (default 100000000)
#   --threads LIST  thread counts (default "2 1")
#   --only LIST     sections to run, of "wc procs collatz ttfr iter pool nexmark latency speed" (default: all);
#                   speed (or ref): the table of the issue "Speed": flowc against the reference
#                   baselines of ../shared/bench (bench/ref/, gcc -O3 -march=native -fopenmp) and
#                   bench/wc_baseline.c tuned: word count (200 MB of their words) at 2 and 1 threads,
#                   group-by (10M rows x 1000 keys) with peak anonymous memory, collatz 10^7 (-DCMOV),
#                   k-means, flowc run on a job over 5 s against its native binary, Nexmark Q4/Q6
#                   (from the nexmark section) against Renoir; medians of 3-10 interleaved pairs;
#                   nexmark: Q0-Q8 at --events (default 10000000) events, native, 2 threads,
#                   results consumed without formatting (for_each), with the generator in the
#                   job and with the events read from CSV files, against Renoir's times measured
#                   on this machine (the issue "Event time, windows and unbounded streams");
#                   latency: bench/latency.c sends 100K lines/s over TCP to bench/latency.flow
#                   for 10 s and prints p50/p99 of each line's time through the job;
#                   pool: a thread per task against --workers (cores) on word count,
#                   group-by and k-means at 1, 2 and 8 threads;
#                   iter: k-means (10M points, k = 30, 10 rounds), PageRank (100 rounds) and
#                   connected components on a 1M-edge graph, each against its C baseline
#   --points N      k-means points (default 10000000); --edges M: graph edges (default 1000000)
#
# Needs build/flowc (runs make if it is missing), cc, python3, awk, GNU time
# (/usr/bin/time), libxxhash.
# Inputs, binaries and outputs go to bench/data/ (generated inputs are kept
# and reused).
set -euo pipefail

cd "$(dirname "$0")/.."
SIZE=500
RUNS=3
CN=100000000
THREADS="2 1"
ONLY="wc procs collatz ttfr iter pool nexmark latency speed"
NX_EVENTS=10000000
POINTS=10000000
EDGES=1000000
SLOW_S=${SLOW_S:-60}
TUNED="--batch 64 --prefault"     # wc_baseline's tunings, reported as "C tuned"
while [ $# -gt 0 ]; do
    case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --collatz-n) CN=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --points) POINTS=$2; shift 2 ;;
    --edges) EDGES=$2; shift 2 ;;
    --events) NX_EVENTS=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

FLOWC=build/flowc
D=bench/data
mkdir -p "$D"
[ -x "$FLOWC" ] || make
log() { echo "== $*" >&2; }

# ---- build ----
log "building the baselines (cc -O2) and the flowc binaries"
cc -O2 -pthread bench/wc_baseline.c -o "$D/wc_baseline" -lxxhash
cc -O2 -pthread bench/collatz_baseline.c -o "$D/collatz_baseline"
$FLOWC build examples/wordcount.flow -o "$D/wc_flowc"
$FLOWC build examples/wordcount.flow -o "$D/wc_flowc_O3" -O3
$FLOWC build examples/collatz.flow -o "$D/collatz_flowc"
$FLOWC build examples/collatz.flow -o "$D/collatz_flowc_O3" -O3
for b in kmeans pagerank cc; do
    cc -O2 -pthread bench/${b}_baseline.c -o "$D/${b}_baseline" -lm
    cc -O2 -march=native -pthread bench/${b}_baseline.c -o "$D/${b}_baseline_native" -lm   # vs flowc -O3 (-march=native)
done
cc -O2 bench/gen_points.c -o "$D/gen_points" -lm
cc -O2 bench/gen_groupby.c -o "$D/gen_groupby"
$FLOWC build bench/groupby.flow -o "$D/groupby_flowc"
$FLOWC build bench/groupby.flow -o "$D/groupby_flowc_O3" -O3
cc -O2 bench/gen_graph.c -o "$D/gen_graph" -lm
for b in kmeans pagerank connected_components; do
    $FLOWC build examples/$b.flow -o "$D/${b}_flowc"
    $FLOWC build examples/$b.flow -o "$D/${b}_flowc_O3" -O3
done

# ---- inputs ----
BYTES=$((SIZE * 1000000))
UNI="$D/words_${SIZE}MB.txt"
ZIPF="$D/words_zipf_${SIZE}MB.txt"
for f in "$UNI" "$ZIPF"; do
    if [ ! -s "$f" ]; then
        log "generating $f"
        z=; [ "$f" = "$ZIPF" ] && z=--zipf
        python3 bench/gen_words.py --bytes "$BYTES" $z -o "$f.tmp"
        mv "$f.tmp" "$f"
    fi
done

# ---- helpers ----
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }     # calc EXPR: a number
is() { awk "BEGIN { exit !($1) }"; }                  # is CONDITION: a status

# best_of CMD...: run the command RUNS times; print the best wall time and
# the best CPU time (user + sys, all threads) in seconds. A first run over
# SLOW_S seconds is the only one. When EXPECT is set, every run's standard
# output must be exactly that.
best_of() {
    local best= cbest= t c i out=/dev/null tf="$D/time.out"
    [ -n "${EXPECT:-}" ] && out="$D/last.out"
    for ((i = 0; i < RUNS; i++)); do
        /usr/bin/time -f '%e %U %S' -o "$tf" "$@" >"$out" || { echo "run.sh: failed: $*" >&2; exit 1; }
        if [ -n "${EXPECT:-}" ] && [ "$(cat "$out")" != "$EXPECT" ]; then
            echo "run.sh: $* printed '$(head -c 200 "$out")', expected '$EXPECT'" >&2
            exit 1
        fi
        t=$(tail -n 1 "$tf" | awk '{print $1}')
        c=$(tail -n 1 "$tf" | awk '{print $2 + $3}')
        if [ -z "$best" ] || is "$t < $best"; then best=$t; fi
        if [ -z "$cbest" ] || is "$c < $cbest"; then cbest=$c; fi
        is "$t > $SLOW_S" && break
    done
    [ -n "${EXPECT:-}" ] && rm -f "$out"
    rm -f "$tf"
    printf '%.2f %.2f' "$best" "$cbest"
}

ROWS=()
TARGETS=()
# target WHAT RATIO LIMIT: a line saying whether RATIO <= LIMIT
target() {
    local m=missed
    is "$2 <= $3" && m=met
    TARGETS+=("$(printf '%-44s %6.2fx  (target <= %sx): %s' "$1" "$2" "$3" "$m")")
}

# row BENCH THREADS VARIANT "WALL CPU" "BASE_WALL CPU" ["TUNED_WALL CPU"]
row() {
    local w c bw tw r1 r2=-
    read -r w c <<<"$4"
    bw=${5%% *}
    r1=$(printf '%.2fx' "$(calc "$w / $bw")")
    if [ -n "${6:-}" ]; then
        tw=${6%% *}
        r2=$(printf '%.2fx' "$(calc "$w / $tw")")
    fi
    ROWS+=("$(printf '%-10s %7s  %-18s %8.2f %8.2f  %7s  %8s' "$1" "$2" "$3" "$w" "$c" "$r1" "$r2")")
    echo "   $1 t=$2 $3: $w s wall, $c s cpu" >&2
}

# sorted word count output of the flowc side (header dropped) vs the baseline
check_wc() {
    local name=$1 input=$2
    log "checking the word count outputs on $input"
    "$D/wc_baseline" "$input" --threads 2 | LC_ALL=C sort > "$D/$name.base.out"
    "$D/wc_baseline" "$input" --threads 2 $TUNED | LC_ALL=C sort | cmp -s - "$D/$name.base.out" ||
        { echo "run.sh: wc_baseline $TUNED differs from wc_baseline" >&2; exit 1; }
    local v
    for v in native native-O3 jit procs2; do
        case $v in
        native) "$D/wc_flowc" --input "$input" --output "$D/$name.$v.csv" --threads 2 ;;
        procs2) "$D/wc_flowc" --input "$input" --output "$D/$name.$v.csv" --procs 2 --threads 1 ;;
        native-O3) "$D/wc_flowc_O3" --input "$input" --output "$D/$name.$v.csv" --threads 2 ;;
        jit) $FLOWC run examples/wordcount.flow --input "$input" --output "$D/$name.$v.csv" --threads 2 ;;
        esac
        head -n 1 "$D/$name.$v.csv" | grep -qx 'key,value' || { echo "run.sh: $v: no CSV header" >&2; exit 1; }
        tail -n +2 "$D/$name.$v.csv" | LC_ALL=C sort > "$D/$name.$v.out"
        if ! cmp -s "$D/$name.base.out" "$D/$name.$v.out"; then
            echo "run.sh: word count ($name, flowc $v) differs from the baseline:" >&2
            diff "$D/$name.base.out" "$D/$name.$v.out" | head >&2
            exit 1
        fi
        rm -f "$D/$name.$v.csv" "$D/$name.$v.out"
    done
    echo "   ok: $(wc -l < "$D/$name.base.out") distinct words; flowc native, -O3, JIT and --procs 2 agree with the baseline" >&2
    rm -f "$D/$name.base.out"
}

bench_wc() {
    local name=$1 input=$2 t b bt s
    for t in $THREADS; do
        log "word count ($name), $t thread(s)"
        b=$(best_of "$D/wc_baseline" "$input" --threads "$t")
        bt=$(best_of "$D/wc_baseline" "$input" --threads "$t" $TUNED)
        row "$name" "$t" "C baseline" "$b" "$b" "$bt"
        row "$name" "$t" "C tuned" "$bt" "$b" "$bt"
        s=$(best_of "$D/wc_flowc" --input "$input" --output /dev/null --threads "$t")
        row "$name" "$t" "flowc native -O2" "$s" "$b" "$bt"
        target "$name, $t thread(s): flowc native -O2 / C" "$(calc "${s%% *} / ${b%% *}")" 1.3
        s=$(best_of "$D/wc_flowc_O3" --input "$input" --output /dev/null --threads "$t")
        row "$name" "$t" "flowc native -O3" "$s" "$b" "$bt"
        s=$(best_of $FLOWC run examples/wordcount.flow --input "$input" --output /dev/null --threads "$t")
        row "$name" "$t" "flowc JIT" "$s" "$b" "$bt"
        target "$name, $t thread(s): flowc JIT / C" "$(calc "${s%% *} / ${b%% *}")" 4
    done
}

# bench_procs NAME INPUT: word count as one process at 2 threads, and as --procs 1 and
# --procs 2 --threads 1 (two processes over loopback); the bytes they exchange and how fast rows
# are serialized (FLOWC_NET_STATS)
bench_procs() {
    local name=$1 input=$2 one p1 p2
    log "word count ($name) across processes"
    one=$(best_of "$D/wc_flowc" --input "$input" --output /dev/null --threads 2)
    row "$name" "2" "flowc, 1 process" "$one" "$one"
    p1=$(best_of "$D/wc_flowc" --input "$input" --output /dev/null --procs 1 --threads 2)
    row "$name" "2" "flowc --procs 1" "$p1" "$one"
    p2=$(best_of "$D/wc_flowc" --input "$input" --output /dev/null --procs 2 --threads 1)
    row "$name" "1+1" "flowc --procs 2" "$p2" "$one"
    target "$name: --procs 2 --threads 1 / 1 process, 2 threads" "$(calc "${p2%% *} / ${one%% *}")" 1.15
    NETSTATS+=("$name: $(FLOWC_NET_STATS=1 "$D/wc_flowc" --input "$input" --output /dev/null --procs 2 --threads 1 2>&1 |
        sed 's/^flowc job: //' | tr '\n' ';')")
}
NETSTATS=()

# same_numbers A B: the two outputs hold the same lines (any order) and numbers (relative 1e-9)
same_numbers() {
    python3 - "$1" "$2" <<'PY'
import re, sys
num = re.compile(r"-?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|nan|inf")
def key(l):
    return num.sub("#", l), [float(x) for x in num.findall(l)]
a = sorted(key(l) for l in open(sys.argv[1]))
b = sorted(key(l) for l in open(sys.argv[2]))
ok = len(a) == len(b) and all(x[0] == y[0] and len(x[1]) == len(y[1]) and
     all(abs(u - v) <= 1e-9 * max(1.0, abs(u), abs(v)) for u, v in zip(x[1], y[1])) for x, y in zip(a, b))
sys.exit(0 if ok else 1)
PY
}

# bench_iter NAME BASELINE_ARGS FLOW_ARGS OUT: an iteration example against its baseline;
# OUT is `stdout` (the centroids) or `file` (--output); checked first, then timed
bench_iter() {
    local name=$1 bargs=$2 fargs=$3 out=$4 flow=$5 t b s
    log "$name: checking flowc's output against the baseline's"
    if [ "$out" = stdout ]; then
        "$D/${name}_baseline" $bargs --threads 2 >"$D/$name.base" 2>/dev/null
        "$D/${flow}_flowc" $fargs --threads 2 >"$D/$name.flowc"
        "$D/${flow}_flowc" $fargs --procs 2 --threads 1 >"$D/$name.procs"
    else
        "$D/${name}_baseline" $bargs --threads 2 --output "$D/$name.base" >/dev/null 2>&1
        "$D/${flow}_flowc" $fargs --threads 2 --output "$D/$name.flowc" >/dev/null
        "$D/${flow}_flowc" $fargs --procs 2 --threads 1 --output "$D/$name.procs" >/dev/null
    fi
    same_numbers "$D/$name.base" "$D/$name.flowc" && same_numbers "$D/$name.base" "$D/$name.procs" ||
        { echo "run.sh: $name: flowc's output differs from the baseline's" >&2; exit 1; }
    rm -f "$D/$name.base" "$D/$name.flowc" "$D/$name.procs"
    for t in $THREADS; do
        log "$name, $t thread(s)"
        b=$(best_of "$D/${name}_baseline" $bargs --threads "$t")
        row "$name" "$t" "C baseline" "$b" "$b"
        s=$(best_of "$D/${flow}_flowc" $fargs --threads "$t" $([ "$out" = file ] && echo --output /dev/null))
        row "$name" "$t" "flowc native -O2" "$s" "$b"
        target "$name, $t thread(s): flowc native -O2 / C" "$(calc "${s%% *} / ${b%% *}")" "$6"
        b=$(best_of "$D/${name}_baseline_native" $bargs --threads "$t")
        row "$name" "$t" "C -march=native" "$b" "$b"
        s=$(best_of "$D/${flow}_flowc_O3" $fargs --threads "$t" $([ "$out" = file ] && echo --output /dev/null))
        row "$name" "$t" "flowc -O3 -march" "$s" "$b"
    done
}

# ---- run ----
MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB memory"
REV="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git status --porcelain -- compiler runtime 2>/dev/null | grep -q . && echo ' (compiler/ or runtime/ modified)' || true)"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "machine: $MACHINE; flowc at $REV; load average at start: $LOAD0" >&2

has() { [[ " $ONLY " == *" $1 "* ]]; }    # has SECTION: whether --only includes it

if has wc || has procs; then
    check_wc "wc-uniform" "$UNI"
    check_wc "wc-zipf" "$ZIPF"
fi
if has wc; then
    bench_wc "wc-uniform" "$UNI"
    bench_wc "wc-zipf" "$ZIPF"
fi
if has procs; then
    bench_procs "wc-uniform" "$UNI"
    bench_procs "wc-zipf" "$ZIPF"
fi

if has iter; then
    PTS="$D/points_$POINTS.csv"
    GRAPH="$D/graph_$EDGES.csv"
    [ -s "$PTS" ] || { log "generating $PTS"; "$D/gen_points" "$POINTS" > "$PTS.tmp" && mv "$PTS.tmp" "$PTS"; }
    [ -s "$GRAPH" ] || { log "generating $GRAPH"; "$D/gen_graph" --edges "$EDGES" > "$GRAPH.tmp" && mv "$GRAPH.tmp" "$GRAPH"; }
    bench_iter kmeans "$PTS --k 30 --rounds 10" "--input $PTS --k 30 --rounds 10" stdout kmeans 1.2
    bench_iter pagerank "$GRAPH --rounds 100" "--input $GRAPH --rounds 100" file pagerank 1.5
    bench_iter cc "$GRAPH" "--input $GRAPH" file connected_components 1.5
fi

# bench_pool NAME CMD...: CMD with a thread per task, then on a pool of one worker per core
bench_pool() {
    local name=$1 t a b
    shift
    for t in 1 2 8; do
        log "$name, $t thread(s): a thread per task, then --workers $(nproc)"
        a=$(best_of "$@" --threads "$t")
        row "$name" "$t" "thread per task" "$a" "$a"
        b=$(best_of "$@" --threads "$t" --workers "$(nproc)")
        row "$name" "$t" "pool, $(nproc) workers" "$b" "$a"
    done
}
if has pool; then
    GB="$D/groupby_10m.csv"
    [ -s "$GB" ] || { log "generating $GB"; "$D/gen_groupby" 10000000 1000 > "$GB.tmp" && mv "$GB.tmp" "$GB"; }
    PTS="$D/points_$POINTS.csv"
    [ -s "$PTS" ] || { log "generating $PTS"; "$D/gen_points" "$POINTS" > "$PTS.tmp" && mv "$PTS.tmp" "$PTS"; }
    bench_pool "wc-pool" "$D/wc_flowc" --input "$UNI" --output /dev/null
    bench_pool "groupby" "$D/groupby_flowc" --input "$GB" --output /dev/null
    bench_pool "kmeans" "$D/kmeans_flowc" --input "$PTS" --rounds 10
fi

# ---- Nexmark ----
# Renoir's Nexmark example at 10M events, 2 threads, measured on this machine (seconds), Q0..Q8
RENOIR_S=(1.45 1.51 1.48 2.19 7.32 1.94 7.68 1.50 2.08)
NXROWS=()
NXW=()   # flowc's time per query (generator)
# nx_prepare: the queries with their results consumed by for_each (no formatting), beside the
# module: $D/nexmark/gen with the generator, $D/nexmark/files reading $D/nexmark/data/*.csv
nx_prepare() {
    local q g=$D/nexmark/gen f=$D/nexmark/files
    mkdir -p "$g" "$f" "$D/nexmark/data"
    cp stdlib/nexmark.flow "$g/nexmark.flow"
    sed -e 's|^let persons = generate(.*|let persons = read_csv(events_dir + "/persons.csv", Person)|' \
        -e 's|^let auctions = generate(.*|let auctions = read_csv(events_dir + "/auctions.csv", Auction)|' \
        -e 's|^let bids = generate(.*|let bids = read_csv(events_dir + "/bids.csv", Bid)|' \
        -e 's|^param events: i64 = .*|&\nparam events_dir: str = "."    // (bench: the events read from files)|' \
        stdlib/nexmark.flow >"$f/nexmark.flow"
    for q in 0 1 2 3 4 5 6 7 8; do
        sed -e 's/\.write_csv(output)/.for_each(|_x| 0)/' -e '/^param output/d' "examples/nexmark_q$q.flow" >"$g/q$q.flow"
        cp "$g/q$q.flow" "$f/q$q.flow"
        $FLOWC build "$g/q$q.flow" -o "$D/nexmark/gen_q$q" 2>/dev/null
        $FLOWC build "$f/q$q.flow" -o "$D/nexmark/files_q$q" 2>/dev/null
    done
    if [ "$(cat "$D/nexmark/data/events" 2>/dev/null)" != "$NX_EVENTS" ]; then
        log "writing $NX_EVENTS Nexmark events to $D/nexmark/data"
        printf 'use nexmark\nparam dir: str = "."\npersons.write_csv(dir + "/persons.csv")\nauctions.write_csv(dir + "/auctions.csv")\nbids.write_csv(dir + "/bids.csv")\n' >"$g/write.flow"
        $FLOWC build "$g/write.flow" -o "$D/nexmark/write" 2>/dev/null
        "$D/nexmark/write" --events "$NX_EVENTS" --dir "$D/nexmark/data" --threads 1   # (rows in time order)
        echo "$NX_EVENTS" >"$D/nexmark/data/events"
    fi
}
# nx_row Q VARIANT BIN: best wall time, events/s, peak memory, against Renoir
nx_row() {
    local q=$1 variant=$2 bin=$3 w c m ren=${RENOIR_S[$1]} extra=
    [ "$variant" = files ] && extra="--events_dir $D/nexmark/data"
    read -r w c <<<"$(best_of "$bin" --events "$NX_EVENTS" --threads 2 $extra)"
    m=$(/usr/bin/time -f '%M' "$bin" --events "$NX_EVENTS" --threads 2 $extra 2>&1 >/dev/null | tail -n 1)
    NXROWS+=("$(printf 'Q%-2s %-10s %7.2f %8.2f %12.0f %8.1f  %6.2f %7.2fx' "$q" "$variant" "$w" "$c" \
        "$(calc "$NX_EVENTS / $w")" "$(calc "$m / 1024")" "$ren" "$(calc "$ren / $w")")")
    [ "$variant" = generator ] && target "nexmark Q$q: Renoir time / flowc time, generator" "$(calc "$w / $ren")" 0.67
    [ "$variant" = generator ] && NXW[$q]=$w
    return 0
}
if has nexmark; then
    log "Nexmark Q0-Q8, $NX_EVENTS events, 2 threads (generator in the job, then events from files)"
    nx_prepare
    for q in 0 1 2 3 4 5 6 7 8; do
        nx_row "$q" generator "$D/nexmark/gen_q$q"
    done
    for q in 0 1 2 3 4 5 6 7 8; do
        nx_row "$q" files "$D/nexmark/files_q$q"
    done
fi

# ---- the table of the issue "Speed": flowc against the reference baselines ----
# (../shared/bench's C, copied into bench/ref; gcc -O3 -march=native -fopenmp) and the tuned
# C word count of bench/ (bench/wc_baseline.c --batch 64 --prefault)
SPEEDROWS=()
# pairs NAME N TARGET BASE_CMD -- FLOWC_CMD: N interleaved runs of each (wall clock); the medians,
# flowc / C, the spread of the pairs' ratios, and whether the ratio is within TARGET ("-": none)
pairs() {
    local name=$1 n=$2 tgt=$3 i t0 t1 t2 base=() flow=() bt=() ft=() rt=()
    shift 3
    while [ "$1" != -- ]; do base+=("$1"); shift; done
    shift
    flow=("$@")
    for i in $(seq "$n"); do
        t0=$(now); "${base[@]}" >/dev/null 2>&1; t1=$(now); "${flow[@]}" >/dev/null 2>&1; t2=$(now)
        bt+=("$(calc "$t1 - $t0")"); ft+=("$(calc "$t2 - $t1")"); rt+=("$(calc "($t2 - $t1) / ($t1 - $t0)")")
    done
    local bm fm r lo hi st=
    bm=$(median "${bt[@]}"); fm=$(median "${ft[@]}"); r=$(calc "$fm / $bm")
    lo=$(printf '%s\n' "${rt[@]}" | sort -g | head -1); hi=$(printf '%s\n' "${rt[@]}" | sort -g | tail -1)
    [ "$tgt" != - ] && { is "$r <= $tgt" && st=met || st=missed; }
    SPEEDROWS+=("$(printf '%-46s %8.3f %8.3f %6.2fx  %5.2f-%-5.2f %6s  %s' "$name" "$bm" "$fm" "$r" "$lo" "$hi" "$tgt" "$st")")
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.4f", NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# memrow NAME TARGET|- BASE_CMD -- FLOWC_CMD (-: reported, no target): peak anonymous memory (tests/memory/peak.c -a), the median of 5 runs of each
memrow() {
    local name=$1 tgt=$2 base=() flow=() bm fm r st
    shift 2
    while [ "$1" != -- ]; do base+=("$1"); shift; done
    shift
    flow=("$@")
    local i bs=() fs=()
    for i in 1 2 3 4 5; do   # (the median of 5 runs each: the peak moves by 10-20% between runs)
        bs+=("$("$D/peak" -a "${base[@]}" 2>&1 >/dev/null | sed -n 's/^peakanon_kb //p' | tail -1)")
        fs+=("$("$D/peak" -a "${flow[@]}" 2>&1 >/dev/null | sed -n 's/^peakanon_kb //p' | tail -1)")
    done
    bm=$(median "${bs[@]}"); fm=$(median "${fs[@]}")
    r=$(calc "$fm / $bm")
    st=reported
    [ "$tgt" != - ] && { is "$r <= $tgt" && st=met || st=missed; }
    SPEEDROWS+=("$(printf '%-46s %7.2fM %7.2fM %6.2fx  %11s %6s  %s' "$name" "$(calc "$bm / 1024")" "$(calc "$fm / 1024")" "$r" "" "$tgt" "$st")")
}
if has ref || has speed; then
    log "the issue Speed's table: flowc against bench/ref (../shared/bench) and bench/wc_baseline.c"
    gcc -O3 -march=native -fopenmp bench/ref/wc.c -o "$D/ref_wc_omp"
    gcc -O3 -march=native -fopenmp bench/ref/groupby.c -o "$D/ref_groupby_omp"
    gcc -O3 -march=native -fopenmp -DCMOV bench/ref/collatz.c -o "$D/ref_collatz_omp"
    gcc -O3 -march=native -fopenmp bench/ref/kmeans.c -o "$D/ref_kmeans_omp" -lm
    gcc -O3 -march=native bench/ref/gen_words.c -o "$D/ref_gen_words"
    cc -O2 tests/memory/peak.c -o "$D/peak"
    RW="$D/ref_words_200.txt"
    [ -s "$RW" ] || { log "generating $RW"; "$D/ref_gen_words" 200 > "$RW.tmp" && mv "$RW.tmp" "$RW"; }
    GB="$D/groupby_10m.csv"
    [ -s "$GB" ] || { log "generating $GB"; "$D/gen_groupby" 10000000 1000 > "$GB.tmp" && mv "$GB.tmp" "$GB"; }
    PTS="$D/points_$POINTS.csv"
    [ -s "$PTS" ] || { log "generating $PTS"; "$D/gen_points" "$POINTS" > "$PTS.tmp" && mv "$PTS.tmp" "$PTS"; }
    # the same counts (the baseline's words and flowc's CSV, sorted), the same groups
    OMP_NUM_THREADS=2 "$D/ref_wc_omp" "$RW" "$D/ref_wc.tsv" >/dev/null 2>&1
    "$D/wc_flowc" --input "$RW" --output "$D/ref_wc_flowc.csv" --threads 2
    cmp -s <(sort "$D/ref_wc.tsv" | tr '\t' ,) <(tail -n +2 "$D/ref_wc_flowc.csv" | sort) ||
        { echo "run.sh: word count: flowc's counts differ from bench/ref/wc.c's" >&2; exit 1; }
    OMP_NUM_THREADS=2 "$D/ref_groupby_omp" "$GB" "$D/ref_gb.tsv" >/dev/null 2>&1
    "$D/groupby_flowc" --input "$GB" --output "$D/ref_gb_flowc.csv" --threads 2
    cmp -s <(cut -f1-3 "$D/ref_gb.tsv" | tr '\t' , | sort) <(tail -n +2 "$D/ref_gb_flowc.csv" | cut -d, -f1-3 | sort) ||
        { echo "run.sh: group-by: flowc's groups differ from bench/ref/groupby.c's" >&2; exit 1; }
    rm -f "$D/ref_wc.tsv" "$D/ref_wc_flowc.csv" "$D/ref_gb.tsv" "$D/ref_gb_flowc.csv"
    # k-means: the same centroids (the reference prints the sum of their coordinates)
    ks=$(OMP_NUM_THREADS=2 "$D/ref_kmeans_omp" 30 10 "$PTS" 2>/dev/null | sed -n 's/.*checksum=\([-0-9.]*\).*/\1/p')
    fs=$("$D/kmeans_flowc_O3" --input "$PTS" --k 30 --rounds 10 --threads 2 | grep -Eo -- '-?[0-9]+\.[0-9]+(e-?[0-9]+)?' | paste -sd+ | bc -l)
    is "($fs - $ks) < 0.0001 && ($ks - $fs) < 0.0001" ||
        { echo "run.sh: k-means: flowc's centroids ($fs) differ from bench/ref/kmeans.c's ($ks)" >&2; exit 1; }
    W=(--input "$RW" --output /dev/null)
    for t in 2 1; do
        OMP_NUM_THREADS=$t pairs "word count 200 MB native, $t thr, vs wc.c" 10 0.90 "$D/ref_wc_omp" "$RW" -- "$D/wc_flowc" "${W[@]}" --threads $t
        pairs "word count 200 MB native, $t thr, vs tuned C" 10 1.10 "$D/wc_baseline" "$RW" --threads $t $TUNED -- "$D/wc_flowc" "${W[@]}" --threads $t
    done
    OMP_NUM_THREADS=2 pairs "word count 200 MB, flowc run (no cache), 2 thr" 5 - "$D/ref_wc_omp" "$RW" -- $FLOWC run --no-cache examples/wordcount.flow "${W[@]}" --threads 2
    OMP_NUM_THREADS=2 pairs "word count 200 MB, flowc run (cached), 2 thr" 5 - "$D/ref_wc_omp" "$RW" -- $FLOWC run examples/wordcount.flow "${W[@]}" --threads 2
    OMP_NUM_THREADS=2 memrow "word count 200 MB, peak anonymous memory" - "$D/ref_wc_omp" "$RW" -- "$D/wc_flowc" "${W[@]}" --threads 2
    for t in 2 1; do
        OMP_NUM_THREADS=$t pairs "group-by 10M x 1000 native, $t thr" 10 1.20 "$D/ref_groupby_omp" "$GB" -- "$D/groupby_flowc" --input "$GB" --output /dev/null --threads $t
    done
    for t in 2 1; do   # -O3 adds -march=native: the C's own flags
        OMP_NUM_THREADS=$t pairs "group-by native -O3 (-march=native), $t thr" 10 1.20 "$D/ref_groupby_omp" "$GB" -- "$D/groupby_flowc_O3" --input "$GB" --output /dev/null --threads $t
    done
    OMP_NUM_THREADS=2 memrow "group-by, peak anonymous memory" 1.20 "$D/ref_groupby_omp" "$GB" -- "$D/groupby_flowc" --input "$GB" --output /dev/null --threads 2
    OMP_NUM_THREADS=2 pairs "collatz 10^7 native, 2 thr, vs cmov C" 10 1.03 "$D/ref_collatz_omp" 10000000 -- "$D/collatz_flowc" --n 10000000 --threads 2
    OMP_NUM_THREADS=2 pairs "collatz 10^7, flowc run (no cache), 2 thr" 5 - "$D/ref_collatz_omp" 10000000 -- $FLOWC run --no-cache examples/collatz.flow --n 10000000 --threads 2
    pairs "k-means 10M x 30 x 10 native, 2 thr" 3 1.20 "$D/kmeans_baseline" "$PTS" --k 30 --rounds 10 --threads 2 -- "$D/kmeans_flowc" --input "$PTS" --k 30 --rounds 10 --threads 2
    OMP_NUM_THREADS=2 pairs "k-means vs kmeans.c (both -march=native), 2 thr" 3 - "$D/ref_kmeans_omp" 30 10 "$PTS" -- "$D/kmeans_flowc_O3" --input "$PTS" --k 30 --rounds 10 --threads 2
    # a job over 5 s: flowc run (tcc, then cc's code after 200 ms; no cache) against its native binary
    pairs "collatz 10^8: flowc run (no cache) / native" 3 1.20 "$D/collatz_flowc" --n 100000000 --threads 2 -- $FLOWC run --no-cache examples/collatz.flow --n 100000000 --threads 2
    for q in 4 6; do
        [ -n "${NXW[$q]:-}" ] && SPEEDROWS+=("$(printf '%-46s %8.3f %8.3f %6.2fx  %11s %6s  %s' "Nexmark Q$q 10M events, 2 thr (C: Renoir)" "${RENOIR_S[$q]}" "${NXW[$q]}" \
            "$(calc "${NXW[$q]} / ${RENOIR_S[$q]}")" "" 0.67 "$(is "${NXW[$q]} / ${RENOIR_S[$q]} <= 0.67" && echo met || echo missed)")")
    done
    unset OMP_NUM_THREADS
fi

LATENCY=
if has latency; then
    log "streaming latency: 100K lines/s over TCP for 10 s through bench/latency.flow"
    cc -O2 -pthread bench/latency.c -o "$D/latency"
    $FLOWC build bench/latency.flow -o "$D/latency_flowc" 2>/dev/null
    LATENCY=$("$D/latency" 100000 10 "$D/latency_flowc" --threads 2)
fi

has collatz && log "collatz (n = $CN): the baseline's result; every timed flowc run must print it too"
has collatz && CEXPECT=$("$D/collatz_baseline" --n "$CN" --threads 2) && echo "   $CEXPECT" >&2
EXPECT=${CEXPECT:-}
for t in $THREADS; do
    has collatz || break
    log "collatz, $t thread(s)"
    b=$(best_of "$D/collatz_baseline" --n "$CN" --threads "$t")
    row "collatz" "$t" "C baseline" "$b" "$b"
    s=$(best_of "$D/collatz_flowc" --n "$CN" --threads "$t")
    row "collatz" "$t" "flowc native -O2" "$s" "$b"
    s=$(best_of "$D/collatz_flowc_O3" --n "$CN" --threads "$t")
    row "collatz" "$t" "flowc native -O3" "$s" "$b"
    s=$(best_of $FLOWC run examples/collatz.flow --n "$CN" --threads "$t")
    row "collatz" "$t" "flowc JIT" "$s" "$b"
done
EXPECT=

log "time to first result: flowc run examples/wordcount.flow (sample input), 10 runs"
ttfr=()
for i in $(seq 10); do
    has ttfr || { ttfr=(0 0 0 0 0 0 0 0 0 0); break; }
    t0=$(now)
    $FLOWC run examples/wordcount.flow >/dev/null
    t1=$(now)
    ttfr+=("$(calc "$t1 - $t0")")
done
med=$(printf '%s\n' "${ttfr[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", (a[5]+a[6])/2}')

echo
echo "flowc benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'); flowc at $REV"
echo "machine: $MACHINE; load average at start: $LOAD0, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "word count: ${SIZE} MB of 8-letter words (8 per line), 1,000,000-word vocabulary;"
echo "  C baseline: bench/wc_baseline.c as written; C tuned: the same with $TUNED"
echo "collatz: n = $CN"
has iter && echo "kmeans: $POINTS points (bench/gen_points.c), k = 30, 10 rounds; pagerank (100 rounds) and cc: $EDGES edges (bench/gen_graph.c)"
echo "best of $RUNS runs (one run when over ${SLOW_S} s): wall seconds, and CPU seconds (user + sys);"
echo "ratios are of wall times"
echo
printf '%-10s %7s  %-18s %8s %8s  %7s  %8s\n' "benchmark" "threads" "variant" "wall s" "cpu s" "vs C" "vs tuned"
printf '%s\n' "${ROWS[@]}"
echo
printf '%s\n' "${TARGETS[@]}"
echo "between processes (--procs 2 --threads 1, FLOWC_NET_STATS):"
printf '  %s\n' "${NETSTATS[@]}"
if [ ${#NXROWS[@]} -gt 0 ]; then
    echo
    echo "Nexmark, $NX_EVENTS events, native, 2 threads, results consumed by for_each; Renoir: its Nexmark"
    echo "example on this machine (s); ratio: Renoir's time / flowc's (target >= 1.5)"
    printf '%-3s %-10s %7s %8s %12s %8s  %6s %8s\n' "q" "events" "wall s" "cpu s" "events/s" "peak MB" "Renoir" "ratio"
    printf '%s\n' "${NXROWS[@]}"
fi
if [ ${#SPEEDROWS[@]} -gt 0 ]; then
    echo
    echo "the issue Speed's table: flowc against hand-written C (bench/ref from ../shared/bench, gcc -O3"
    echo "-march=native -fopenmp; \"tuned C\": bench/wc_baseline.c $TUNED), medians of interleaved runs"
    echo "(wall s; memory: peak RssAnon, tests/memory/peak.c -a); spread: the lowest and highest ratio of a pair"
    printf '%-46s %8s %8s %7s  %-11s %6s  %s\n' "job" "C" "flowc" "ratio" "spread" "target" ""
    printf '%s\n' "${SPEEDROWS[@]}"
fi
has ttfr && echo "time to first result (flowc run examples/wordcount.flow, median of 10): $med s (target < 0.02 s: $(
    is "$med < 0.02" && echo met || echo missed))"
if [ -n "$LATENCY" ]; then   # (an `&&` here would make the script's status 1 when it was not run)
    echo "streaming latency (bench/latency.c, bench/latency.flow, --threads 2): $LATENCY"
fi
