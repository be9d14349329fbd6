#!/usr/bin/env bash
# tests/stream/run.sh FLOWC - unbounded jobs on the real clock: stdin_lines and tcp_lines,
# processing-time timers (one process and --procs 2), linger, drain on SIGINT (one process and
# --procs 2), part files,
# a second signal, a refused connection, an idle source that stops holding the windows back,
# late elements counted on standard error.
#
# Every expectation is checked against python3 (tests/stream/feed.py writes the inputs and
# computes what each window must hold). Deadlines are generous: a test waits for what it
# expects (polling every 0.1 s, up to a limit of many seconds), never sleeps a tight
# interval and then looks. Prints each failure, then `stream: N passed, M failed`.
set -u

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/stream/run.sh FLOWC" "$@"

HERE=$PWD/tests/stream
test_tmp stream

"$flowc" build "$HERE/windows.flow" -o "$tmp/windows" 2>"$tmp/build.err" || { bad_files "build windows.flow" "$tmp/build.err"; }
"$flowc" build "$HERE/timer.flow" -o "$tmp/timer" 2>"$tmp/build2.err" || { bad_files "build timer.flow" "$tmp/build2.err"; }

# ---- a processing-time window fires on its timer while the input is quiet ----
# feed: two lines, then 6 s of silence, then one more. The window of the first two lines (1 s)
# must be out before the third line is written.
timer_test() {  # timer_test NAME COMMAND...
    local name=$1 out=$tmp/$1.out marks=$tmp/$1.marks
    shift
    : >"$marks"
    (printf 'a\nb\n'; echo written >"$marks"; sleep 6; echo second >>"$marks"; printf 'c\n') |
        "$@" >"$out" 2>"$tmp/$name.err" &
    local pid=$!
    pids+=("$pid")
    if ! wait_for "$out" '^2$' 5; then
        bad_files "$name: no window result within 5 s of the first lines (the timer did not fire)" "$out" "$tmp/$name.err"
    elif grep -q second "$marks"; then
        bad_files "$name: the first window came only after the second write" "$out" "$marks"
    else
        ok
    fi
    wait_exit "$pid" 30
    local rc=$?
    if [ $rc -ne 0 ] || ! grep -qx 1 "$out"; then
        bad_files "$name: exit status $rc, or the last window (1) is missing" "$out" "$tmp/$name.err"
    else
        ok
    fi
}
timer_test timer_jit "$flowc" run "$HERE/timer.flow"
[ -x "$tmp/timer" ] && timer_test timer_native "$tmp/timer" --threads 2
[ -x "$tmp/timer" ] && timer_test timer_procs "$tmp/timer" --procs 2 --threads 1

# ---- tcp_lines, SIGINT: every window so far, in committed parts ----
# feed.py serve PORTFILE N: a server on loopback that sends N event lines, then holds the
# connection open (the job never sees an end); feed.py expect N: the windows of those lines.
drain_test() {  # drain_test NAME ARGS...
    local name=$1 dir=$tmp/$1
    shift
    mkdir -p "$dir"
    python3 "$HERE/feed.py" serve "$dir/port" 20000 &
    local spid=$!
    pids+=("$spid")
    wait_for "$dir/port" '^[0-9]+$' 10 || { bad_files "$name: the feeder did not start"; return; }
    (cd "$dir" && exec "$tmp/windows" --addr "127.0.0.1:$(cat "$dir/port")" --out "$dir/counts.csv" "$@") \
        >"$dir/stdout" 2>"$dir/stderr" &
    local pid=$!
    pids+=("$pid")
    # the job has read everything when the feeder says so and the count it prints has come
    if ! wait_for "$dir/port.sent" 'sent' 20 || ! wait_for "$dir/stdout" '^lines 20000$' 20; then
        bad_files "$name: the job did not read the lines" "$dir/stdout" "$dir/stderr"
        kill -9 "$pid" 2>/dev/null
        return
    fi
    kill -INT "$pid"
    wait_exit "$pid" 20
    local rc=$?
    kill "$spid" 2>/dev/null
    python3 "$HERE/feed.py" expect 20000 >"$dir/expected"
    ls "$dir" >"$dir/files"
    cat "$dir"/counts.csv.part-* 2>/dev/null | grep -v '^window_start' | sort >"$dir/got"
    if [ $rc -ne 0 ]; then
        bad_files "$name: exit status $rc after SIGINT (a drain ends with 0)" "$dir/stderr"
    elif grep -q 'tmp-' "$dir/files"; then
        bad_files "$name: temporary files left" "$dir/files"
    elif ! diff -q <(sort "$dir/expected") "$dir/got" >/dev/null; then
        diff <(sort "$dir/expected") "$dir/got" >"$dir/diff"
        bad_files "$name: the committed parts do not hold every window" "$dir/diff" "$dir/files"
    else
        ok
    fi
}
if [ -x "$tmp/windows" ]; then
    drain_test drain_one --threads 2
    drain_test drain_procs --procs 2 --threads 1
fi

# ---- a second SIGINT stops at once: exit by the signal, nothing committed, no debris
# (the parts committed before stay: there are none yet here) ----
if [ -x "$tmp/windows" ]; then
    dir=$tmp/twice
    mkdir -p "$dir"
    python3 "$HERE/feed.py" serve "$dir/port" 20000 &
    pids+=($!)
    wait_for "$dir/port" '^[0-9]+$' 10
    (cd "$dir" && exec "$tmp/windows" --addr "127.0.0.1:$(cat "$dir/port")" --out "$dir/counts.csv" --slow true) \
        >"$dir/stdout" 2>"$dir/stderr" &
    pid=$!
    pids+=("$pid")
    wait_for "$dir/stdout" '^lines 1000$' 20
    kill -INT "$pid"     # the windows' stage has seconds of work queued (--slow): still running
    sleep 0.3
    kill -INT "$pid" 2>/dev/null
    wait_exit "$pid" 20
    rc=$?
    ls "$dir" >"$dir/files"
    if [ $rc -eq 0 ] || [ $rc -eq 124 ] || grep -q 'tmp-' "$dir/files"; then
        bad_files "twice: exit status $rc (want death by the signal), or temporaries left" "$dir/files" "$dir/stderr"
    else
        ok
    fi
fi

# ---- a refused connection: a message, exit 1, no hang ----
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
if [ -x "$tmp/windows" ]; then
    timeout 20 "$tmp/windows" --addr "127.0.0.1:$port" --out "$tmp/refused.csv" >/dev/null 2>"$tmp/refused.err"
    rc=$?
    if [ $rc -ne 1 ] || ! grep -q "cannot connect to 127.0.0.1:$port" "$tmp/refused.err" || [ -e "$tmp/refused.csv.part-0" ]; then
        bad_files "refused: exit status $rc (want 1 and a message naming the address)" "$tmp/refused.err"
    else
        ok
    fi
fi

# ---- an idle source stops holding the windows back ----
# feeder a sends 20000 events (140 s of event time), feeder b one; b then stays quiet. With
# --idle-timeout 500 the window of 1000000..1010000 must come out while both connections are
# still open (before the job is stopped).
if "$flowc" build "$HERE/idle.flow" -o "$tmp/idle" 2>"$tmp/build3.err"; then
    dir=$tmp/idle.d
    mkdir -p "$dir"
    python3 "$HERE/feed.py" serve "$dir/pa" 20000 &
    pids+=($!)
    python3 "$HERE/feed.py" serve "$dir/pb" 1 &
    pids+=($!)
    wait_for "$dir/pa" '^[0-9]+$' 10 && wait_for "$dir/pb" '^[0-9]+$' 10
    "$tmp/idle" --a "127.0.0.1:$(cat "$dir/pa")" --b "127.0.0.1:$(cat "$dir/pb")" --idle-timeout 500 --threads 2 \
        >"$dir/out" 2>"$dir/err" &
    pid=$!
    pids+=("$pid")
    if wait_for "$dir/out" '^window 1000000 1430$' 15; then
        ok
    else
        bad_files "idle: the first window did not come out while the quiet source held back" "$dir/out" "$dir/err"
    fi
    kill -INT "$pid" 2>/dev/null
    wait_exit "$pid" 20 >/dev/null
else
    bad_files "build idle.flow" "$tmp/build3.err"
fi

# ---- late elements dropped are counted on standard error ----
printf 'a,100\nb,5000\nc,200\nd,300\ne,4000\nf,9000\n' >"$tmp/late.csv"
for mode in run build; do
    if [ $mode = run ]; then
        "$flowc" run "$HERE/late.flow" --input "$tmp/late.csv" --threads 1 >"$tmp/late.out" 2>"$tmp/late.err"
    else
        "$flowc" build "$HERE/late.flow" -o "$tmp/late" && "$tmp/late" --input "$tmp/late.csv" --threads 1 \
            >"$tmp/late.out" 2>"$tmp/late.err"
    fi
    # 200 and 300 are behind 5000 - 1000; 4000 is not
    if ! grep -q '2 late elements dropped (behind the watermark)' "$tmp/late.err" || ! grep -qx 4 "$tmp/late.out"; then
        bad_files "late ($mode): the count of late elements on standard error, and 4 on time" "$tmp/late.err" "$tmp/late.out"
    else
        ok
    fi
done

test_summary stream
