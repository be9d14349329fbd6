#!/usr/bin/env bash
# tests/memory/run.sh FLOWC - memory is bounded by the state a job keeps, not by its input or by
# the square of its task count. Each check runs a native job, compares its output with a python3
# reference, and compares its peak resident memory (of all its processes: the largest one, from
# getrusage of the waited children) with a bound:
#   - groupby.flow: a keyed fold of 5M generated 8-field records into 1000 accumulators (the
#     rows take over 500 MB; the state a few KB): under 64 MB, as one process at 2 threads and
#     as --procs 2;
#   - strfold.flow: a keyed fold whose accumulator is a string (old values are left behind at
#     every row, until the task's memory is compacted): under 64 MB, one process and --procs 2;
#   - strscan.flow: a keyed scan of a string state, whose sum shows compaction kept every state;
#   - loopvec.flow: a replay whose per-task delta is a 50K-element vector updated twice per
#     element (a chain of updates on the accumulator: in place, not a copy per element):
#     under 128 MB, one process and --procs 2;
#   - word count of a 300 KB text at --threads 1000: under 1.5 GB (4.6 GB before a task's
#     pending batches were made lazily and sized by fan-out);
#   - window.flow: 5M and 50M events through event-time tumbling windows (whole-stream and
#     keyed): the peak at 50M within 1.2x of the peak at 5M (the state is the open windows);
#   - gzlines.flow: a 50 MB text (gzip-compressed, tests/inputs/data.py) read by read_lines, the
#     sum of its line lengths: under 24 MB (the file streams through blocks of 1 MB), as one
#     task reads it, through ISA-L and through zlib.
# Skipped under AddressSanitizer (its shadow memory is counted). Prints `N passed, M failed`.
set -u
. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/memory/run.sh FLOWC" "$@"
if grep -q __asan_init "$flowc" 2>/dev/null; then
    echo "tests/memory/run.sh: skipped under AddressSanitizer"
    echo "0 passed, 0 failed"
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowc-mem.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
"$flowc" build tests/memory/groupby.flow -o "$tmp/groupby" || exit 2
"$flowc" build examples/wordcount.flow -o "$tmp/wc" || exit 2
"$flowc" build tests/memory/strfold.flow -o "$tmp/strfold" || exit 2
"$flowc" build tests/memory/strscan.flow -o "$tmp/strscan" || exit 2
"$flowc" build tests/memory/loopvec.flow -o "$tmp/loopvec" || exit 2
"$flowc" build tests/memory/window.flow -o "$tmp/window" || exit 2
"$flowc" build tests/memory/gzlines.flow -o "$tmp/gzlines" || exit 2
cc -O2 tests/memory/peak.c -o "$tmp/peak" || exit 2
# (made here, not by the python3 below: the peak of its children would count the generator's)
python3 tests/inputs/data.py big "$tmp/big.gz" 50 >"$tmp/big.size" || exit 2

python3 - "$tmp" <<'PY'
import collections, csv, os, re, resource, subprocess, sys

tmp = sys.argv[1]
passed = failed = 0

def run(name, argv, limit_mb, check):
    """Runs argv alone (its peak is the largest waited child since the last run), checks it."""
    global passed, failed
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    problems = []
    if p.returncode != 0:
        problems.append("exit status %d: %s" % (p.returncode, p.stderr.strip()[-500:]))
    else:
        problems += check(p)
    # ru_maxrss of RUSAGE_CHILDREN only grows: run the largest jobs last, or the bound is moot
    if peak_mb > limit_mb:
        problems.append("peak memory %.0f MB > %d MB" % (peak_mb, limit_mb))
    if before / 1024 > limit_mb:
        problems.append("(an earlier run already peaked at %.0f MB)" % (before / 1024))
    if problems:
        failed += 1
        print("FAIL: %s:\n    %s" % (name, "\n    ".join(problems)))
    else:
        passed += 1
        print("ok: %s (peak %.0f MB, bound %d MB)" % (name, peak_mb, limit_mb))

def peak_of(argv):
    """Runs argv through tests/memory/peak.c (its output to files): its exit status, standard
    error and own peak memory in MB."""
    p = subprocess.run([tmp + "/peak"] + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       timeout=300)
    m = re.search(r"^peak_kb (\d+)$", p.stderr, re.M)
    return p.returncode, p.stderr, int(m.group(1)) / 1024 if m else float("inf")


def run_window():
    """5M and 50M events through tumbling windows: the peak at 50M within 1.2x of 5M's."""
    global passed, failed
    peaks, problems = [], []
    for n in (5_000_000, 50_000_000):
        out = tmp + "/win%d.csv" % n
        rc, err, peak = peak_of([tmp + "/window", "--n", str(n), "--out", out, "--threads", "2"])
        peaks.append(peak)
        if rc != 0:
            problems.append("n %d: exit status %d: %s" % (n, rc, err.strip()[-300:]))
        else:
            problems += window_check(n, out)
    if not problems and peaks[1] > 1.2 * peaks[0]:
        problems.append("peak %.0f MB at 50M events > 1.2 x %.0f MB at 5M" % (peaks[1], peaks[0]))
    if problems:
        failed += 1
        print("FAIL: windows over 5M and 50M events:\n    " + "\n    ".join(problems))
    else:
        passed += 1
        print("ok: windows over 5M and 50M events (peaks %.0f and %.0f MB)" % (peaks[0], peaks[1]))


def window_check(n, path):
    with open(path) as f:
        rows = list(csv.reader(f))
    want = [[str(s), str(min(1_000_000, n - s))] for s in range(0, n, 1_000_000)]
    if rows[0] != ["_0", "_1"] or sorted(rows[1:]) != sorted(want):
        return ["the whole-stream windows differ from the reference"]
    with open(path + ".keyed") as f:
        keyed = f.read().strip()
    nk = sum(1 for k in range(100) for s in range(0, n, 2_000_000) if k < n - s)
    return [] if keyed == str(nk) else ["%s keyed windows, expected %d" % (keyed, nk)]


def groupby_ref(n):
    acc = {}
    for street in range(1000):
        rows = range(street, n, 1000)
        acc["street %d" % street] = (len(rows), sum(i % 3 for i in rows), sum(1 for i in rows if i % 24 < 6))
    return acc

ref = groupby_ref(5_000_000)

def check_groupby(path):
    def check(p):
        with open(path) as f:
            rows = list(csv.reader(f))
        if rows[0] != ["key", "n", "injured", "night"]:
            return ["header %r" % rows[0]]
        got = {r[0]: tuple(int(x) for x in r[1:]) for r in rows[1:]}
        return [] if got == ref else ["the accumulators differ from the reference"]
    return check

text = open("examples/data/sample.txt").read()

wc_ref = collections.Counter(re.findall(r"[a-z0-9]+", text.lower()))

def check_wc(p):
    got = collections.Counter()
    for r in list(csv.reader(p.stdout.splitlines()))[1:]:
        got[r[0]] = int(r[1])
    return [] if got == wc_ref else ["the counts differ from the reference"]

def strfold_ref(n):
    best = {}
    for i in range(n):
        b, s = "borough-%d" % (i % 5), "street %d %d" % (i % 1000, i % 7)
        a = best.get(b, "")
        if len(s) > len(a) or (len(s) == len(a) and s > a):
            best[b] = s
    return best

def check_strfold(path):
    ref = strfold_ref(5_000_000)
    def check(p):
        with open(path) as f:
            rows = list(csv.reader(f))
        got = {r[0]: r[1] for r in rows[1:]}
        return [] if rows[0] == ["key", "value"] and got == ref else ["the longest names differ from the reference"]
    return check

def run_gzlines():
    """A 50 MB text, gzip-compressed, read by read_lines: its peak far below its size."""
    global passed, failed
    gz = tmp + "/big.gz"
    size = int(open(tmp + "/big.size").read())
    for lib in ("isal", "zlib"):
        rc, err, peak = peak_of(["env", "FLOWC_GZIP=" + lib, tmp + "/gzlines", "--input", gz, "--output",
                                 tmp + "/gzlines.out", "--threads", "2"])
        got = open(tmp + "/gzlines.out").read().strip() if rc == 0 else None
        problems = []
        if rc != 0:
            problems.append("exit status %d: %s" % (rc, err.strip()[-300:]))
        elif got != str(size):
            problems.append("the lines hold %s bytes (with their line ends), not %d" % (got, size))
        if peak > 24:
            problems.append("peak memory %.0f MB > 24 MB" % peak)
        name = "read_lines of a 50 MB text in a .gz (%s)" % lib
        if problems:
            failed += 1
            print("FAIL: %s:\n    %s" % (name, "\n    ".join(problems)))
        else:
            passed += 1
            print("ok: %s (peak %.0f MB, bound 24 MB)" % (name, peak))
    os.unlink(gz)

run_window()
run_gzlines()
out = tmp + "/gb.csv"
run("groupby 5M rows, --threads 2", [tmp + "/groupby", "--out", out, "--threads", "2"], 64, check_groupby(out))
run("groupby 5M rows, --procs 2 --threads 1", [tmp + "/groupby", "--out", out, "--procs", "2", "--threads", "1"], 64, check_groupby(out))
sf = tmp + "/sf.csv"
run("keyed fold of a string accumulator, 5M rows, --threads 2", [tmp + "/strfold", "--out", sf, "--threads", "2"], 64,
    check_strfold(sf))
run("keyed fold of a string accumulator, 5M rows, --procs 2", [tmp + "/strfold", "--out", sf, "--procs", "2", "--threads", "1"],
    64, check_strfold(sf))
def strscan_ref(n):
    prev, tot = {}, 0
    for i in range(n):
        s = "w%d" % (i % 7919)
        tot += len(prev.get(len(s), "")) + len(s)
        prev[len(s)] = s
    return tot

scan_ref = strscan_ref(3_000_000)
def check_strscan(p):
    return [] if p.stdout.strip() == str(scan_ref) else ["printed %r, expected %d" % (p.stdout.strip(), scan_ref)]

# (one task for the keyed scan: key_by keeps the source's split, and the states depend on order)
run("keyed scan of a string state, 3M rows, compacted", [tmp + "/strscan", "--threads", "1"], 64, check_strscan)
def loopvec_ref(n, m):
    pairs = [((i * 7919) % n, (i * 104729 + 7) % n) for i in range(m)]
    cur = [0] * n
    for _ in range(5):
        d = [0] * n
        for u, v in pairs:
            d[u] += cur[u] + 1
            d[v] += 1
        cur = d
    return sum(cur)

lv_ref = str(loopvec_ref(50000, 400000))
def check_loopvec(p):
    return [] if p.stdout.strip() == lv_ref else ["printed %r, expected %s" % (p.stdout.strip(), lv_ref)]

run("replay with a vector delta updated in place, --threads 2", [tmp + "/loopvec", "--threads", "2"], 128, check_loopvec)
run("replay with a vector delta updated in place, --procs 2", [tmp + "/loopvec", "--procs", "2", "--threads", "1"], 128,
    check_loopvec)
run("word count, --threads 1000", [tmp + "/wc", "--threads", "1000"], 1536, check_wc)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
