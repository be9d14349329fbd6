#!/usr/bin/env bash
# tests/faults.sh FLOWC - what flowc and its jobs do when the surroundings go wrong.
#
# flowc build: an output path that cannot be written (a missing folder, a folder) and a C
# compiler that cannot be run ($CC=/nonexistent) are the user's errors: exit status 1, a
# message naming what is wrong, nothing left in $TMPDIR; a compiler that runs and fails
# ($CC=false) stays "a flowc bug" (exit status 3) and keeps its folder.
#
# Jobs, as a native binary and through the JIT: a sink whose path is a FIFO, a device (when
# mknod is allowed) or a symbolic link is written through, never replaced; stale temporaries
# of dead processes are removed; SIGINT and SIGTERM remove the temporaries and end the job
# by the same signal; an input truncated while it is read ends the job with status 1 and
# "flowc job: FILE changed size while it was being read", no temporary left.
#
# Each job waits on a FIFO that this script holds open without reading, so the timing does
# not depend on the machine's speed. Prints each failure, then `N passed, M failed`; exits
# non-zero when a check failed.
set -u

. "$(dirname "$0")/lib.sh"
test_flowc_arg "tests/faults.sh FLOWC" "$@"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowc-faults.XXXXXX") || exit 2
trap 'exec 3>&-; rm -rf "$tmp"' EXIT
passed=0
failed=0

# check NAME CONDITION...: one check, passed when the command CONDITION succeeds
check() {
    local name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        [ -s "$tmp/err" ] && sed 's/^/    /' "$tmp/err" | head -n 20
    fi
}

# ---- flowc build ----

cat >"$tmp/lines.flow" <<'EOF'
param input: str = "in.txt"
param output: str = "out.txt"
param copy: str = "copy.txt"
read_lines(input).write_lines(output)
range(0, 10).write_lines(copy)
EOF
mkdir -p "$tmp/t"

# build_fails NAME STATUS MESSAGE [VAR=VALUE...] -o OUT: flowc build exits STATUS with MESSAGE
build_fails() {
    local name=$1 status=$2 msg=$3
    shift 3
    env TMPDIR="$tmp/t" "$@" "$flowc" build "$tmp/lines.flow" -o "$out" >"$tmp/err" 2>&1
    local rc=$?
    check "$name: exit status $rc, not $status" [ $rc -eq "$status" ]
    check "$name: message" grep -qF -- "$msg" "$tmp/err"
}

out=/nonexistent-flowc-dir/x
build_fails "build -o into a missing folder" 1 "flowc: cannot write $out: No such file or directory"
out=$tmp
build_fails "build -o a folder" 1 "flowc: cannot write $tmp: it is a folder"
out=$tmp/x
build_fails "CC=/nonexistent" 1 "flowc: cannot run the C compiler \`/nonexistent\` (set \$CC)" \
    CC=/nonexistent
check "nothing left in TMPDIR" [ -z "$(ls -A "$tmp/t")" ]
build_fails "CC=false" 3 "a flowc bug" CC=false
check "CC=false keeps its folder" [ -n "$(ls -A "$tmp/t")" ]
rm -rf "$tmp/t"/*

if ! "$flowc" build "$tmp/lines.flow" -o "$tmp/job" >"$tmp/err" 2>&1; then
    echo "FAIL flowc build $tmp/lines.flow"
    cat "$tmp/err"
    exit 1
fi
seq 1 3000000 >"$tmp/big.txt"
mkfifo "$tmp/held"
exec 3<>"$tmp/held"     # open, never read: a job writing there waits

# ---- jobs: sinks that are not regular files ----

# job MODE ARG...: runs the job (native binary or JIT) in the background from $d; pid in $pid
job() {
    local mode=$1
    shift
    if [ "$mode" = native ]; then
        (cd "$d" && exec "$tmp/job" "$@") 2>"$tmp/err" &
    else   # (JOB_TMP: the TMPDIR of flowc run, whose tiered JIT stages its compile there)
        (cd "$d" && export TMPDIR="${JOB_TMP:-${TMPDIR:-/tmp}}" && exec "$flowc" run "$tmp/lines.flow" "$@") 2>"$tmp/err" &
    fi
    pid=$!
}

# wait_for FILE: waits up to 20 s for FILE (a glob) to exist
wait_for() {
    for _ in $(seq 200); do
        compgen -G "$1" >/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# ignored SIGNAL: whether this script was started with SIGNAL ignored (run with & by a shell
# without job control); then its jobs start with it ignored too, and keep it so
ignored() {
    local mask
    mask=$(awk '/^SigIgn:/ {print $2}' /proc/$$/status)
    (( (16#$mask >> ($(kill -l "$1") - 1)) & 1 ))
}

# ended PID: waits up to 20 s for PID to end (then kills it); its status in `rc`
ended() {
    for _ in $(seq 200); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    rc=$?
}

# wait_mapped PID FILE: waits up to 20 s for process PID to map FILE
wait_mapped() {
    for _ in $(seq 200); do
        grep -qF " $2" "/proc/$1/maps" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

sinks() {
    local mode=$1 d=$tmp/$1 rc reader job_rc
    mkdir -p "$d/sub"
    printf 'a\nb\n' >"$d/in.txt"
    mkfifo "$d/fifo"
    cat "$d/fifo" >"$d/from_fifo" &
    reader=$!
    ln -s sub/real.txt "$d/link"
    (cd "$d/sub" && touch real.txt.tmp-999999999 real.txt.tmp-1 real.txt.tmp-12x)
    job "$mode" --output fifo --copy link
    ended $pid
    job_rc=$rc
    ended $reader
    rc=$job_rc
    check "$mode sinks: exit status $rc" [ $rc -eq 0 ]
    check "$mode FIFO still a FIFO" [ -p "$d/fifo" ]
    check "$mode FIFO written through" [ "$(sort "$d/from_fifo")" = "$(printf 'a\nb')" ]
    check "$mode link still a link" [ -L "$d/link" ]
    check "$mode link target written" [ "$(wc -l <"$d/sub/real.txt")" -eq 10 ]
    check "$mode stale temporary removed" [ ! -e "$d/sub/real.txt.tmp-999999999" ]
    check "$mode live and odd temporaries kept" \
        [ -e "$d/sub/real.txt.tmp-1" -a -e "$d/sub/real.txt.tmp-12x" ]
    if mknod "$d/null" c 1 3 2>/dev/null; then
        job "$mode" --output null --copy null2
        ended $pid
        check "$mode device still a device" [ -c "$d/null" ]
    fi
}

# ---- jobs: signals ----

# stopped MODE SIGNAL: the job waits to open a FIFO nobody reads, its copy's temporary made
stopped() {
    local mode=$1 sig=$2 d=$tmp/$1-$2 rc
    if ignored "$sig"; then
        echo "note: SIG$sig is ignored here (inherited): its checks are skipped"
        return
    fi
    mkdir -p "$d"
    printf 'a\n' >"$d/in.txt"
    mkfifo "$d/unread"
    mkdir "$d/t"
    local tier=()
    [ "$mode" = jit ] && tier=(--tier-at 1 --no-cache)   # (the compile for native code starts at once)
    set -m                  # a background job that SIGINT reaches
    JOB_TMP=$d/t job "$mode" --output unread "${tier[@]}"
    set +m
    check "$mode $sig: the temporary appears" wait_for "$d/copy.txt.tmp-*"
    [ "$mode" = jit ] && check "$mode $sig: the compile's folder appears" wait_for "$d/t/flowc-build-*"
    kill -"$sig" $pid
    ended $pid
    check "$mode $sig: killed by $sig (status $rc)" [ $rc -eq $((128 + $(kill -l "$sig"))) ]
    check "$mode $sig: temporary removed" [ -z "$(ls "$d" | grep tmp)" ]
    sleep 0.2
    check "$mode $sig: nothing left in TMPDIR (the compile's folder, the compiler's files)" [ -z "$(ls -A "$d/t")" ]
}

# truncated MODE: the job reads a big file into the held FIFO, which fills; the file is
# truncated, then the FIFO drained
truncated() {
    local mode=$1 d=$tmp/$1-trunc rc drain
    mkdir -p "$d"
    cp "$tmp/big.txt" "$d/in.txt"
    job "$mode" --output "$tmp/held" --threads 2
    check "$mode truncated: the input is mapped" wait_mapped $pid "$d/in.txt"
    sleep 0.2               # the readers fill the FIFO, then wait
    : >"$d/in.txt"
    cat <&3 >/dev/null &
    drain=$!
    ended $pid
    kill $drain
    wait $drain 2>/dev/null
    check "$mode truncated: exit status $rc, not 1" [ $rc -eq 1 ]
    check "$mode truncated: message" \
        [ "$(cat "$tmp/err")" = "flowc job: in.txt changed size while it was being read" ]
    check "$mode truncated: temporary removed" [ -z "$(ls "$d" | grep tmp)" ]
    check "$mode truncated: nothing committed" [ ! -e "$d/copy.txt" ]
}

for mode in native jit; do
    sinks $mode
    stopped $mode INT
    stopped $mode TERM
    truncated $mode
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
