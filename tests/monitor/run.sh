#!/usr/bin/env bash
# tests/monitor/run.sh FLOWC - the monitor of a running job (--monitor): the JSON API against
# a job that runs as long as the test wants (stdin_lines, its standard input held open by
# tests/monitor/feed.py): /api/job's state while running and after the end (--monitor-linger),
# /api/stages equal to `flowc plan --json` and its counts equal to what python3 computes from
# the input and to the lines in the part files; /api/processes with --procs 2; tokens (off
# localhost one is made and printed; --monitor-token); malformed HTTP answered with 400 while
# the job goes on; a bad --monitor value; the page in headless Chromium (its DOM holds every
# stage; a screenshot is kept in build/artifacts/monitor.png), skipped when Chromium is
# missing or cannot start. Native binaries (flowc build) and flowc run both.
#
# Deadlines are generous: a test polls (every 0.1 s) for what it expects, never sleeps and
# then looks. Prints each failure, then `monitor: N passed, M failed`.
set -u

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/monitor/run.sh FLOWC" "$@"

HERE=$PWD/tests/monitor
ARTIFACT=$PWD/build/artifacts/monitor.png
FEED=("python3" "$HERE/feed.py")
test_tmp monitor

# get OUT URL [CURL ARGS]: the body into OUT; prints the HTTP status (000: no answer)
get() {
    local out=$1 url=$2
    shift 2
    curl -s --noproxy '*' -m 10 -o "$out" -w '%{http_code}' "$@" "$url" 2>/dev/null
}

# jtrue FILE EXPR: EXPR (python, over d = the JSON of FILE, ops = its operators, op(KIND) the
# first of that kind) is true
JPRE='import json, sys
d = json.load(open(sys.argv[1]))
ops = [o for s in d.get("stages", []) for o in s["operators"]]
def op(kind): return next(o for o in ops if o["kind"] == kind)
'
jtrue() { python3 -c "$JPRE"'sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null; }
jval() { python3 -c "$JPRE"'print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }

# poll URL OUT EXPR SECONDS: until URL answers 200 with a JSON for which EXPR is true (a
# deadline on the clock: a round of curl and python takes longer than its 0.1 s pause)
poll() {
    local end=$((SECONDS + $4 + 1))
    while [ "$SECONDS" -lt "$end" ]; do
        [ "$(get "$2" "$1")" = 200 ] && jtrue "$2" "$3" && return 0
        sleep 0.1
    done
    return 1
}

# start NAME INPUT FEEDARGS -- COMMAND...: the job in $tmp/NAME with INPUT on its standard input,
# held open until `touch $tmp/NAME/close`; sets $pid, and once the monitor has said where it
# is, $port and $token (empty when it printed none). 1 when the monitor did not start.
start() {
    local name=$1 input=$2 dir=$tmp/$1 feed=()
    shift 2
    while [ "$1" != -- ]; do feed+=("$1"); shift; done
    shift
    mkdir -p "$dir"
    "${FEED[@]}" stream "$input" "$dir" "${feed[@]}" | (cd "$dir" && exec "$@") >"$dir/stdout" 2>"$dir/stderr" &
    pid=$!
    pids+=("$pid")
    port= token=
    wait_for "$dir/stderr" 'monitor at http://' 60 || return 1
    local line
    line=$(grep -m1 'monitor at http://' "$dir/stderr")
    port=$(sed -n 's|.*monitor at http://[^:/]*:\([0-9]*\)/.*|\1|p' <<<"$line")
    token=$(sed -n 's|.*?token=\([0-9a-f]*\).*|\1|p' <<<"$line")
    [ -n "$port" ]
}

# finish NAME: closes the job's input; its exit status (124: still running after 30 s)
finish() {
    touch "$tmp/$1/close"
    wait_exit "$pid" 30
}

# ---- builds ----
"$flowc" build "$HERE/lines.flow" -o "$tmp/lines" 2>"$tmp/build1.err" &
b1=$!
"$flowc" build "$HERE/words.flow" -o "$tmp/words" 2>"$tmp/build2.err" &
b2=$!
wait $b1 || bad_files "build lines.flow" "$tmp/build1.err"
wait $b2 || bad_files "build words.flow" "$tmp/build2.err"
"$flowc" plan --json "$HERE/lines.flow" >"$tmp/lines.plan" 2>/dev/null || bad_files "plan --json lines.flow"
"$flowc" plan --json "$HERE/words.flow" >"$tmp/words.plan" 2>/dev/null || bad_files "plan --json words.flow"

"${FEED[@]}" lines "$tmp/in1.txt" 3000 1
"${FEED[@]}" lines "$tmp/in2.txt" 500 2
"${FEED[@]}" words "$tmp/words.txt" 20000 3
read -r n1 even1 < <("${FEED[@]}" expect-lines "$tmp/in1.txt")
read -r n2 even2 < <("${FEED[@]}" expect-lines "$tmp/in2.txt")

# ---- 1. the REST API against a running job (native, one process), linger, the counts ----
api_test() {
    local name=api dir=$tmp/api u
    if ! start api "$tmp/in1.txt" -- "$tmp/lines" --threads 2 --monitor 0 --monitor-linger 4000 --output "$tmp/api/out.txt"; then
        bad_files "api: the monitor did not say where it is" "$dir/stderr"
        return
    fi
    u=http://127.0.0.1:$port
    [ -z "$token" ] && ok || bad_files "api: a token on localhost without --monitor-token" "$dir/stderr"
    local code
    code=$(get "$dir/job.json" "$u/api/job")
    if [ "$code" = 200 ] && jtrue "$dir/job.json" 'd["state"] == "running" and d["job"] == "lines.flow"'; then
        ok
    else
        bad_files "api: /api/job answered $code, not state running of lines.flow" "$dir/job.json"
    fi
    code=$(get "$dir/stages0.json" "$u/api/stages")
    if [ "$code" != 200 ]; then
        bad_files "api: /api/stages answered $code" "$dir/stages0.json"
    elif ! "${FEED[@]}" plan "$tmp/lines.plan" "$dir/stages0.json" >"$dir/plan.diff"; then
        bad_files "api: /api/stages differs from plan --json" "$dir/plan.diff"
    else
        ok
    fi
    # every line read (the input stays open): the counts while the job runs
    local want="(op('source')['rows_out'] == $n1 and op('filter')['rows_out'] == $even1 and
        op('filter')['rows_in'] == $n1 and op('flat_map')['rows_out'] == 2 * $even1 and
        op('sink')['rows_in'] == 2 * $even1)"
    if poll "$u/api/stages" "$dir/stages1.json" "$want" 20; then
        ok
    else
        bad_files "api: the counts while running are not source $n1, filter $even1, flat_map and sink $((2 * even1))" "$dir/stages1.json"
    fi
    if [ "$(get "$dir/job1.json" "$u/api/job")" = 200 ] &&
        jtrue "$dir/job1.json" "d['state'] == 'running' and d['source_rows'] == $n1 and d['processes'] == 1"; then
        ok
    else
        bad_files "api: /api/job after every line: not running with source_rows $n1" "$dir/job1.json"
    fi
    code=$(get "$dir/nope.json" "$u/api/nope")
    [ "$code" = 404 ] && ok || bad_files "api: /api/nope answered $code, not 404" "$dir/nope.json"
    code=$(get "$dir/page.html" "$u/")
    if [ "$code" = 200 ] && grep -q 'id="plan"' "$dir/page.html"; then ok; else bad_files "api: / answered $code, or not the page"; fi

    # ---- 4. malformed HTTP: 400, and the job goes on ----
    local req line
    for req in 'b"GET /api/job\r\n\r\n"' 'b"GET /api/job HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"' \
               'b"GET /api/job HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n"'; do
        line=$("${FEED[@]}" request "$port" "$req" 2>&1)
        if [[ $line =~ ^HTTP/1\.[01]\ 400 ]]; then
            ok
        else
            bad_files "malformed: $req was answered '$line', not 400"
        fi
    done
    # a request line of one word: libmicrohttpd 0.9.75 closes without an answer; 400 or that
    line=$("${FEED[@]}" request "$port" 'b"GARBAGE\r\n\r\n"' 2>&1)
    if [ -z "$line" ] || [[ $line =~ ^HTTP/1\.[01]\ 400 ]]; then
        ok
    else
        bad_files "malformed: GARBAGE was answered '$line', not 400 (nor closed)"
    fi
    if [ "$(get "$dir/job2.json" "$u/api/job")" = 200 ] && jtrue "$dir/job2.json" 'd["state"] == "running"' &&
        kill -0 "$pid" 2>/dev/null; then
        ok
    else
        bad_files "malformed: the job or its monitor did not go on" "$dir/job2.json" "$dir/stderr"
    fi

    # ---- the end: state done while lingering, the final counts equal the part files ----
    touch "$dir/close"
    if poll "$u/api/job" "$dir/job3.json" 'd["state"] == "done"' 20; then
        ok
    else
        bad_files "api: /api/job never said done (linger 4000 ms)" "$dir/job3.json" "$dir/stderr"
    fi
    if [ "$(get "$dir/stages2.json" "$u/api/stages")" = 200 ] && jtrue "$dir/stages2.json" "d['done'] and ($want)"; then
        ok
    else
        bad_files "api: the final counts are not source $n1, filter $even1, flat_map and sink $((2 * even1))" "$dir/stages2.json"
    fi
    local sink_in rc lines
    sink_in=$(jval "$dir/stages2.json" "op('sink')['rows_in']")
    wait_exit "$pid" 30
    rc=$?
    if [ $rc -ne 0 ]; then
        bad_files "api: exit status $rc" "$dir/stderr"
        return
    fi
    ok
    if ! lines=$("${FEED[@]}" check-lines "$tmp/in1.txt" "$dir"/out.txt.part-* 2>&1); then
        ls "$dir" >"$dir/files"
        bad_files "api: the part files: $lines" "$dir/files"
    elif [ "$lines" != "$sink_in" ] || [ "$lines" != $((2 * even1)) ] || [ "$(cat "$dir"/out.txt.part-* | wc -l)" != "$lines" ]; then
        bad_files "api: the part files hold $lines lines, the sink's rows_in says $sink_in, 2 x even lines $((2 * even1))"
    else
        ok
    fi
}
[ -x "$tmp/lines" ] && api_test

# ---- 2. /api/processes with --procs 2, and 6. the page in headless Chromium ----
chromium_ok() {
    command -v chromium >/dev/null 2>&1 || { echo "SKIP: the page in a browser: chromium is not installed"; return 1; }
    if ! timeout 60 chromium --headless --no-sandbox --disable-gpu --dump-dom about:blank \
        >"$tmp/blank.html" 2>"$tmp/blank.err" || ! grep -q '<body>' "$tmp/blank.html"; then
        echo "SKIP: the page in a browser: chromium cannot start ($(grep -m1 -v '^\s*$' "$tmp/blank.err" | cut -c1-120))"
        return 1
    fi
}
page_test() {  # page_test URL DIR: the monitor's page of a running job in Chromium
    local u=$1 dir=$2 chrome=(timeout 90 chromium --headless --no-sandbox --disable-gpu --virtual-time-budget=4000)
    if [ "$(get "$dir/stages.json" "$u/api/stages")" != 200 ]; then
        bad_files "page: /api/stages did not answer" "$dir/stages.json"
        return
    fi
    "${chrome[@]}" --dump-dom "$u/" >"$dir/dom.html" 2>"$dir/chrome.err"
    local rc=$? why
    why=$(python3 - "$dir/stages.json" "$dir/dom.html" <<'EOF'
import json, re, sys
st = json.load(open(sys.argv[1]))["stages"]
dom = open(sys.argv[2], encoding="utf-8").read()
nops = sum(len(s["operators"]) for s in st)
for s in st:
    if 'id="stage-%d"' % s["id"] not in dom:
        print('no id="stage-%d"' % s["id"]); sys.exit(1)
    if ">stage %d %s" % (s["id"], s["name"]) not in dom:
        print("no text 'stage %d %s'" % (s["id"], s["name"])); sys.exit(1)
procs = re.search(r'<table id="procs">(.*?)</table>', dom, re.S)
ops = re.search(r'<table id="ops">(.*?)</table>', dom, re.S)
if not procs or procs.group(1).count("<tr>") != 3:
    print("the processes' table has not 2 rows"); sys.exit(1)
if not ops or ops.group(1).count("<tr>") != nops + 1:
    print("the operators' table has not %d rows" % nops); sys.exit(1)
if not re.search(r'<span id="state">running</span>', dom):
    print("the state shown is not running"); sys.exit(1)
EOF
)
    if [ $rc -ne 0 ] || [ -n "$why" ]; then
        bad_files "page: chromium's DOM (status $rc): $why" "$dir/chrome.err"
    else
        ok
    fi
    mkdir -p "$(dirname "$ARTIFACT")"
    rm -f "$dir/monitor.png"
    "${chrome[@]}" --screenshot="$dir/monitor.png" --window-size=1200,800 "$u/" >/dev/null 2>"$dir/chrome2.err"
    rc=$?
    if [ $rc -eq 0 ] && [ -s "$dir/monitor.png" ] && [ "$(head -c 8 "$dir/monitor.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
        cp "$dir/monitor.png" "$ARTIFACT"
        ok
    else
        bad_files "page: no screenshot (status $rc)" "$dir/chrome2.err"
    fi
}
procs_test() {
    local dir=$tmp/procs u
    # 20000 lines, 200 every 0.1 s: still coming in while the page is looked at
    if ! start procs "$tmp/words.txt" 200 0.1 -- "$tmp/words" --procs 2 --threads 1 --monitor 0 \
        --counts "$dir/counts.csv" --long "$dir/long.txt"; then
        bad_files "procs: the monitor did not say where it is" "$dir/stderr"
        return
    fi
    u=http://127.0.0.1:$port
    if poll "$u/api/processes" "$dir/procs.json" \
        'd["state"] == "running" and [p["rank"] for p in d["processes"]] == [0, 1] and all(p["alive"] for p in d["processes"])' 20; then
        ok
    else
        bad_files "procs: /api/processes does not list 2 processes alive" "$dir/procs.json"
    fi
    if [ "$(get "$dir/job.json" "$u/api/job")" = 200 ] && jtrue "$dir/job.json" 'd["processes"] == 2'; then
        ok
    else
        bad_files "procs: /api/job does not say 2 processes" "$dir/job.json"
    fi
    if [ "$(get "$dir/stages.json" "$u/api/stages")" = 200 ] && "${FEED[@]}" plan "$tmp/words.plan" "$dir/stages.json" >"$dir/plan.diff"; then
        ok
    else
        bad_files "procs: /api/stages differs from plan --json" "$dir/plan.diff"
    fi
    chromium_ok && page_test "$u" "$dir"
    finish procs
    local rc=$?
    if [ $rc -ne 0 ]; then
        bad_files "procs: exit status $rc" "$dir/stderr"
        return
    fi
    local out
    if out=$("${FEED[@]}" check-words "$tmp/words.txt" "$(cat "$dir/sent")" "$(echo "$dir"/counts.csv.part-*)" \
        "$(echo "$dir"/long.txt.part-*)" 2>&1); then
        ok
    else
        bad_files "procs: the output: $out"
    fi
}
[ -x "$tmp/words" ] && procs_test

# ---- 3. tokens: off localhost one is made and printed; --monitor-token on localhost ----
# check_auth NAME URL TOKEN: 401 without the token or with a wrong one, 200 with ?token= and with
# Authorization: Bearer
check_auth() {
    local name=$1 u=$2 t=$3 dir=$tmp/$1 code
    code=$(get "$dir/a1" "$u/api/job")
    if [ "$code" = 401 ]; then ok; else bad_files "$name: without the token: $code, not 401" "$dir/a1"; fi
    code=$(get "$dir/a2" "$u/api/job?token=x$t")
    if [ "$code" = 401 ]; then ok; else bad_files "$name: a wrong token: $code, not 401" "$dir/a2"; fi
    code=$(get "$dir/a3" "$u/" -H "Authorization: Bearer nope")
    if [ "$code" = 401 ]; then ok; else bad_files "$name: a wrong bearer: $code, not 401" "$dir/a3"; fi
    code=$(get "$dir/a4" "$u/api/job?token=$t")
    if [ "$code" = 200 ] && jtrue "$dir/a4" 'd["state"] == "running"'; then ok; else bad_files "$name: ?token=: $code" "$dir/a4"; fi
    code=$(get "$dir/a5" "$u/api/stages" -H "Authorization: Bearer $t")
    if [ "$code" = 200 ] && jtrue "$dir/a5" 'len(d["stages"]) > 0'; then ok; else bad_files "$name: Bearer: $code" "$dir/a5"; fi
    code=$(get "$dir/a6" "$u/?token=$t")
    if [ "$code" = 200 ]; then ok; else bad_files "$name: the page with ?token=: $code" "$dir/a6"; fi
}
token_test() {
    local dir=$tmp/token rc
    if ! start token "$tmp/in2.txt" -- "$tmp/lines" --monitor 0.0.0.0:0 --output "$dir/out.txt"; then
        bad_files "token: the monitor did not say where it is" "$dir/stderr"
        return
    fi
    if [[ $token =~ ^[0-9a-f]{16,}$ ]]; then
        ok
        check_auth token "http://127.0.0.1:$port" "$token"
    else
        bad_files "token: no token printed for 0.0.0.0" "$dir/stderr"
    fi
    finish token
    rc=$?
    [ $rc -eq 0 ] && ok || bad_files "token: exit status $rc" "$dir/stderr"
}
[ -x "$tmp/lines" ] && token_test

# the JIT (flowc run) with a token given on localhost
jit_test() {
    local dir=$tmp/jit rc out
    if ! start jit "$tmp/in2.txt" -- "$flowc" run "$HERE/lines.flow" --monitor 127.0.0.1:0 --monitor-token secret123 \
        --output "$dir/out.txt"; then
        bad_files "jit: the monitor did not say where it is" "$dir/stderr"
        return
    fi
    [ -z "$token" ] && ok || bad_files "jit: the token given was printed" "$dir/stderr"
    check_auth jit "http://127.0.0.1:$port" secret123
    if poll "http://127.0.0.1:$port/api/stages?token=secret123" "$dir/stages.json" \
        "op('source')['rows_out'] == $n2 and op('sink')['rows_in'] == 2 * $even2" 20 &&
        "${FEED[@]}" plan "$tmp/lines.plan" "$dir/stages.json" >"$dir/plan.diff"; then
        ok
    else
        bad_files "jit: /api/stages: not the plan, or not source $n2, sink $((2 * even2))" "$dir/stages.json" "$dir/plan.diff"
    fi
    finish jit
    rc=$?
    if [ $rc -ne 0 ]; then
        bad_files "jit: exit status $rc" "$dir/stderr"
    elif ! out=$("${FEED[@]}" check-lines "$tmp/in2.txt" "$dir"/out.txt.part-* 2>&1); then
        bad_files "jit: the part files: $out"
    else
        ok
    fi
}
jit_test

# ---- 5. a bad --monitor: status 1 or 2, a message naming --monitor, no output ----
bad_test() {  # bad_test NAME VALUE COMMAND...
    local name=$1 value=$2 dir=$tmp/$1 rc
    shift 2
    mkdir -p "$dir"
    (cd "$dir" && exec "$@" --monitor "$value" --output "$dir/out.txt" </dev/null) >"$dir/stdout" 2>"$dir/stderr"
    rc=$?
    if [ $rc -ne 1 ] && [ $rc -ne 2 ]; then
        bad_files "$name: --monitor '$value': exit status $rc, not 1 or 2" "$dir/stderr"
    elif ! grep -q -- '--monitor' "$dir/stderr"; then
        bad_files "$name: --monitor '$value': the message does not name --monitor" "$dir/stderr"
    elif compgen -G "$dir/out.txt*" >/dev/null; then
        ls "$dir" >"$dir/files"
        bad_files "$name: --monitor '$value': an output file is left" "$dir/files"
    else
        ok
    fi
}
if [ -x "$tmp/lines" ]; then
    bad_test bad1 nonsense "$tmp/lines"
    bad_test bad2 127.0.0.1:70000 "$tmp/lines"
    bad_test bad3 192.0.2.1:0 "$tmp/lines"     # (TEST-NET: not this host's, the bind fails)
fi
bad_test bad4 nonsense "$flowc" run "$HERE/lines.flow"

test_summary monitor
