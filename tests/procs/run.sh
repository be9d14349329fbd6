#!/usr/bin/env bash
# tests/procs/run.sh FLOWC - a job as several processes: started by mpirun (word count, and a
# loop: transitive closure) and by Slurm's variables (set by hand), ranks started apart that
# need a secret and a leader, and faults: a worker killed or stopped mid-job, the leader
# killed, strangers and wrong secrets at the leader's port, another build of the job. Each
# fault must end the job with a clear message and a non-zero status within 10 s, leave no
# output file and no process behind. Outputs are compared with python3 references. Prints
# `N passed, M failed`.
set -u
. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/procs/run.sh FLOWC" "$@"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowc-procs.XXXXXX") || exit 2
cleanup() {
    pkill -KILL -f "$tmp/" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $1"; }
bad() { failed=$((failed + 1)); echo "FAIL: $1"; shift; for l in "$@"; do echo "    $l"; done; }

"$flowc" build examples/wordcount.flow -o "$tmp/wc" || exit 2
"$flowc" build tests/procs/slow.flow -o "$tmp/slow" || exit 2
"$flowc" build tests/e2e/collatz.flow -o "$tmp/other" || exit 2
"$flowc" build examples/transitive_closure.flow -o "$tmp/tc" || exit 2
python3 scripts/ref_iter.py tc --input examples/data/tc_edges.csv --output "$tmp/tc.ref" >"$tmp/tc_count.ref" 2>/dev/null ||
    exit 2
python3 - "$tmp" <<'PY' || exit 2
import random, re, sys, collections
random.seed(7)
words = ["alpha", "beta", "Gamma", "delta", "x1", "it's", "zeta-eta"]
lines = [" ".join(random.choice(words) for _ in range(random.randint(0, 12))) for _ in range(20000)]
open(sys.argv[1] + "/in.txt", "w").write("\n".join(lines) + "\n")
c = collections.Counter(w for l in lines for w in re.findall(r"[A-Za-z0-9]+", l.lower()))
open(sys.argv[1] + "/ref.csv", "w").write("".join("%s,%d\n" % kv for kv in sorted(c.items())))
PY

# same_counts CSV: the word counts equal the reference (rows in any order, header first)
same_counts() { [ -f "$1" ] && [ "$(head -n 1 "$1")" = "key,value" ] && tail -n +2 "$1" | sort | cmp -s - "$tmp/ref.csv"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
leftovers() { pgrep -f "$tmp/(slow|wc|other|tc)" >/dev/null; }
export FLOWC_SECRET=flowc-test-$$-secret

# ---- the binary: it must run on a host with nothing but the C library ----
if grep -q __asan_init "$tmp/wc" 2>/dev/null; then
    echo "SKIP: what a job binary links (built with the sanitizers' libraries)"
else
    extra=$(ldd "$tmp/wc" | grep -Ev '^\s*(linux-vdso|/lib64/ld-linux|libc\.so|libm\.so|libpthread\.so)' || true)
    if [ -z "$extra" ]; then ok "a job binary links only libc, libm and pthreads"
    else bad "a job binary links only libc, libm and pthreads" "$extra"; fi
fi

# ---- launchers ----
if command -v mpirun >/dev/null; then
    rm -f "$tmp/out.csv"
    if timeout 60 mpirun --allow-run-as-root --oversubscribe -n 3 -x FLOWC_SECRET "$tmp/wc" --threads 1 \
            --input "$tmp/in.txt" --output "$tmp/out.csv" >"$tmp/mpi.log" 2>&1 && same_counts "$tmp/out.csv"; then
        ok "mpirun -n 3"
    else
        bad "mpirun -n 3" "$(tail -n 5 "$tmp/mpi.log")"
    fi
    rm -f "$tmp/tc.csv"
    if timeout 60 mpirun --allow-run-as-root --oversubscribe -n 2 -x FLOWC_SECRET "$tmp/tc" --threads 2 \
            --input examples/data/tc_edges.csv --output "$tmp/tc.csv" >"$tmp/tc_count.out" 2>"$tmp/mpi.log" &&
            cmp -s "$tmp/tc_count.out" "$tmp/tc_count.ref" &&
            [ "$(sort "$tmp/tc.csv")" = "$(sort "$tmp/tc.ref")" ]; then
        ok "mpirun -n 2: a loop (transitive closure, iterate) = python3"
    else
        bad "mpirun -n 2: transitive closure" "$(tail -n 5 "$tmp/mpi.log")"
    fi
else
    echo "SKIP: mpirun -n 3 (no mpirun: apt-get install openmpi-bin)"
fi

rm -f "$tmp/out.csv"
for r in 1 2 0; do
    SLURM_PROCID=$r SLURM_NTASKS=3 SLURM_NNODES=1 timeout 60 "$tmp/wc" --threads 2 --input "$tmp/in.txt" \
        --output "$tmp/out.csv" 2>"$tmp/slurm$r.log" &
done
wait
if same_counts "$tmp/out.csv"; then ok "Slurm variables, 3 ranks"; else bad "Slurm variables, 3 ranks" "$(cat "$tmp"/slurm*.log)"; fi

msg=$(env -u FLOWC_SECRET OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_LOCAL_SIZE=2 \
      timeout 10 "$tmp/wc" --input "$tmp/in.txt" 2>&1)
rc=$?
if [ $rc -eq 2 ] && [[ $msg == *secret* ]]; then ok "a rank without a secret refuses to start"
else bad "a rank without a secret refuses to start" "status $rc: $msg"; fi

msg=$(SLURM_PROCID=1 SLURM_NTASKS=2 SLURM_NNODES=2 timeout 10 "$tmp/wc" --input "$tmp/in.txt" 2>&1)
rc=$?
if [ $rc -eq 2 ] && [[ $msg == *--leader* ]]; then ok "ranks on several hosts need --leader"
else bad "ranks on several hosts need --leader" "status $rc: $msg"; fi

# ---- faults ----
# fault NAME ACTION REGEX: starts the slow job as --procs 2, waits a second, runs ACTION with
# $leader and $worker set, and expects a failure matching REGEX within 10 s, no out.csv, no
# process left
fault() {
    local name=$1 action=$2 regex=$3 start end rc
    rm -f "$tmp/out.csv"
    # (with SIGINT back to its default: a shell starts background jobs with it ignored)
    python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
        "$tmp/slow" --procs 2 --threads 1 --out "$tmp/out.csv" 2>"$tmp/fault.log" &
    leader=$!
    sleep 1
    worker=$(pgrep -P "$leader" | head -n 1)
    start=$(date +%s%N)
    eval "$action"
    timeout 20 tail --pid="$leader" -f /dev/null
    wait "$leader"
    rc=$?
    end=$(date +%s%N)
    local ms=$(((end - start) / 1000000)) problems=()
    [ "$rc" -ne 0 ] || problems+=("the job succeeded")
    [ "$ms" -le 10000 ] || problems+=("it took $ms ms to end")
    [ -z "$regex" ] || grep -Eq -- "$regex" "$tmp/fault.log" || problems+=("no message matching /$regex/")
    [ ! -e "$tmp/out.csv" ] || problems+=("an output file was committed")
    ls "$tmp" | grep -q 'out.csv.tmp' && problems+=("a temporary file was left")
    sleep 0.5
    leftovers && problems+=("processes were left: $(pgrep -af "$tmp/")")
    if [ ${#problems[@]} -eq 0 ]; then ok "$name (ended in $ms ms)"
    else bad "$name" "${problems[@]}" "$(tail -n 5 "$tmp/fault.log")"; pkill -KILL -f "$tmp/slow"; fi
}
fault "a worker killed mid-job" 'kill -KILL $worker' '(lost|send to) process 1'
fault "a worker that stops answering" 'kill -STOP $worker' 'process 1 .*stopped answering'
fault "SIGINT to the leader (forwarded to the workers)" 'kill -INT $leader' ''
fault "SIGTERM to the leader (forwarded to the workers)" 'kill -TERM $leader' ''

# the leader killed: no message and no cleanup can come from it (its temporary file stays, for
# a later run to remove), but every worker must end with it
rm -f "$tmp/out.csv"
"$tmp/slow" --procs 3 --threads 1 --out "$tmp/out.csv" 2>"$tmp/fault.log" &
leader=$!
sleep 1
{ kill -KILL $leader; wait $leader; } 2>/dev/null
sleep 1
if leftovers; then bad "the leader killed mid-job" "processes were left: $(pgrep -af "$tmp/")"
elif [ -e "$tmp/out.csv" ]; then bad "the leader killed mid-job" "an output file was committed"
else ok "the leader killed mid-job: its workers end with it"; fi

# strangers at the leader's port while it waits for rank 1: garbage, then a rank with a wrong
# secret; then the real rank 1 joins and the job succeeds
port=$(free_port)
rm -f "$tmp/out.csv"
"$tmp/wc" --rank 0 --nprocs 2 --leader 127.0.0.1:$port --threads 1 --input "$tmp/in.txt" \
    --output "$tmp/out.csv" 2>"$tmp/r0.log" &
r0=$!
sleep 0.3
python3 -c '
import socket, sys, time
for payload in [b"GET / HTTP/1.0\r\n\r\n", bytes(range(256)) * 4, b""]:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(payload)
    time.sleep(0.1)
    s.close()' "$port"
FLOWC_SECRET=wrong-secret-123 timeout 20 "$tmp/wc" --rank 1 --nprocs 2 --leader 127.0.0.1:$port --threads 1 \
    --input "$tmp/in.txt" --output "$tmp/out.csv" 2>"$tmp/wrong.log"
wrong_rc=$?
timeout 30 "$tmp/wc" --rank 1 --nprocs 2 --leader 127.0.0.1:$port --threads 1 --input "$tmp/in.txt" \
    --output "$tmp/out.csv" 2>"$tmp/r1.log"
wait $r0
r0_rc=$?
if [ $r0_rc -eq 0 ] && same_counts "$tmp/out.csv" && [ $wrong_rc -ne 0 ] && grep -q "refused a connection" "$tmp/r0.log" \
        && grep -q "secret" "$tmp/wrong.log"; then
    ok "strangers and a wrong secret are refused; the job goes on"
else
    bad "strangers and a wrong secret are refused; the job goes on" "rank 0: $r0_rc, wrong rank: $wrong_rc" \
        "$(cat "$tmp/r0.log" "$tmp/wrong.log" "$tmp/r1.log")"
fi

# another build of the job at the same leader: refused with both fingerprints named
port=$(free_port)
timeout 30 "$tmp/wc" --rank 0 --nprocs 2 --leader 127.0.0.1:$port --threads 1 --input "$tmp/in.txt" 2>"$tmp/b0.log" &
b0=$!
timeout 30 "$tmp/other" --rank 1 --nprocs 2 --leader 127.0.0.1:$port --threads 1 2>"$tmp/b1.log"
b1_rc=$?
wait $b0
b0_rc=$?
if [ $b0_rc -ne 0 ] && [ $b1_rc -ne 0 ] && grep -q "another build.*fingerprint.*fingerprint" "$tmp/b0.log"; then
    ok "another build is refused, naming both fingerprints"
else
    bad "another build is refused, naming both fingerprints" "$b0_rc $b1_rc" "$(cat "$tmp/b0.log" "$tmp/b1.log")"
fi

# the same build started with other parameters (two jobs sharing a secret and a leader port):
# refused, naming the arguments
port=$(free_port)
timeout 30 "$tmp/wc" --rank 0 --nprocs 2 --leader 127.0.0.1:$port --threads 1 --input "$tmp/in.txt" 2>"$tmp/a0.log" &
a0=$!
timeout 30 "$tmp/wc" --rank 1 --nprocs 2 --leader 127.0.0.1:$port --threads 1 --input "$tmp/ref.csv" 2>"$tmp/a1.log"
a1_rc=$?
wait $a0
a0_rc=$?
if [ $a0_rc -ne 0 ] && [ $a1_rc -ne 0 ] && grep -q "other arguments" "$tmp/a0.log" "$tmp/a1.log"; then
    ok "the same build with other arguments is refused"
else
    bad "the same build with other arguments is refused" "$a0_rc $a1_rc" "$(cat "$tmp/a0.log" "$tmp/a1.log")"
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
