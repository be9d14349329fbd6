#!/usr/bin/env bash
# tests/hosts/run.sh FLOWC - the tests of `./job --hosts cluster.toml` (runtime/hosts.c).
#
# Without root (always): cluster files with errors (exit status 2, `FILE:LINE: message`), and
# a job on two "hosts" through a stand-in for ssh that runs the remote command with sh on this
# machine (the copy, the cache, the remote shell script, the relay; the ranks over loopback).
#
# As root: the real thing, two hosts being two network namespaces, each with its own sshd.
#
#   root ns:  bridge fcPIDb 10.213.X.1/24   (the launcher, rank 0)
#   ns 1:     flowc-h1-PID  10.213.X.2/24   sshd (rank 1)
#   ns 2:     flowc-h2-PID  10.213.X.3/24   sshd (rank 2)
#
# X is picked so that no address of this machine is in 10.213.X.0/24; traffic goes only to
# these addresses. The namespaces share the file system, so the job's input and the launcher's
# directory are the same "on every host"; each sshd gives its sessions their own
# XDG_CACHE_HOME (in the temporary folder), so the binary is really copied the first time and
# found in the cache the second. The ssh client runs with its own config and known_hosts (a
# wrapper first on PATH), so nothing of root's ~/.ssh is used or changed.
#
# Checks with the hosts:
#   1. word count on 3 processes (2 hosts, binary copied) = one process = python3's count
#   2. the same again: the binary is found on the hosts, not copied; then a loop (connected
#      components: phases, a cache, rounds until no label changes) on the 3 processes = python3
#   3. a host whose ssh port is closed, one whose copy of the job cannot run (`--version`
#      fails: a missing shared library, SIGILL), one whose rank ends at once: exit 1 at once,
#      naming the host, no process left
#   4. SIGKILL of the rank on host 1 mid-job: the launcher exits non-zero within 10 s naming
#      10.213.X.2, no output file, no process of the job left (here and in each namespace)
#   5. host 2's link goes down mid-job: the same, naming 10.213.X.3; SIGKILL of the launcher:
#      no rank and no ssh client left
#   6. while a job starts, connections to rank 0's port and the ranks' ports with garbage
#      bytes, and a process of the same job with a wrong secret: the job still succeeds
#
# The part with the hosts prints `SKIP: ...` (and is not counted) when network namespaces
# cannot be made here (not root, no `ip netns`); it needs openssh-server, openssh-client,
# iproute2, procps and python3. Removes everything it made on exit (namespaces, links, sshd,
# files). Ends with `tests/hosts: N passed, M failed`; exits non-zero when a check failed.
# HOSTS_TEST_VERBOSE=1 shows what the launcher printed for each check.
set -u

. "$(dirname "$0")/../lib.sh"
test_flowc_arg "tests/hosts/run.sh FLOWC" "$@"
command -v python3 >/dev/null 2>&1 || { echo "tests/hosts/run.sh: python3 is missing" >&2; exit 2; }

REPO=$PWD
tmp=$(mktemp -d "${TMPDIR:-/tmp}/flowc-hosts.XXXXXX") || exit 2
NS1=flowc-h1-$$
NS2=flowc-h2-$$
BR=fc$$b
V1=fc$$r1
V2=fc$$r2
made_run_sshd=
bg_pids=()

cleanup() {
    local p ns
    for p in "${bg_pids[@]}"; do
        kill -9 "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    for ns in "$NS1" "$NS2"; do
        if [ -e "/run/netns/$ns" ]; then
            for p in $(ip netns pids "$ns" 2>/dev/null); do
                kill -9 "$p" 2>/dev/null
            done
            ip netns del "$ns" 2>/dev/null
        fi
    done
    ip link del "$V1" 2>/dev/null
    ip link del "$V2" 2>/dev/null
    ip link del "$BR" 2>/dev/null
    for p in $(pgrep -f -- "$tmp/" 2>/dev/null); do
        kill -9 "$p" 2>/dev/null
    done
    [ -n "$made_run_sshd" ] && rmdir /run/sshd 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }
# HOSTS_TEST_VERBOSE=1 shows what the launcher printed for each check, passed or not
verbose() { [ -n "${HOSTS_TEST_VERBOSE:-}" ] && show "$1"; }
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*"
}
same_csv() {  # same_csv A B: the same header and the same rows in any order
    python3 - "$1" "$2" <<'EOF'
import sys
a, b = (open(p).read().splitlines() for p in sys.argv[1:3])
sys.exit(0 if a[:1] == b[:1] and sorted(a[1:]) == sorted(b[1:]) and len(a) > 1 else 1)
EOF
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# pids of the job's ranks and of the test's ssh clients still running, anywhere
leftovers() { pgrep -f -- "$tmp/h[12]/cache/|-F $tmp/ssh_config"; }
# the job's ranks in a namespace
ns_ranks() {
    local p
    for p in $(ip netns pids "$1" 2>/dev/null); do
        case $(readlink "/proc/$p/exe" 2>/dev/null) in "$tmp"/h[12]/cache/*) echo "$p" ;; esac
    done
}
none_left() {  # none_left SECONDS: no rank in either namespace, no rank or ssh anywhere, in time
    local i
    for i in $(seq $(($1 * 10))); do
        [ -z "$(ns_ranks "$NS1")$(ns_ranks "$NS2")$(leftovers)" ] && return 0
        sleep 0.1
    done
    ps -o pid,args -p "$(echo $(ns_ranks "$NS1") $(ns_ranks "$NS2") $(leftovers) | tr ' ' ,)" >&2
    return 1
}
show() { sed 's/^/    /' "$1" | tail -20; return 0; }

# the end: the counts, and the exit status
finish() {
    echo "tests/hosts: $passed passed, $failed failed"
    [ $failed = 0 ]
    exit
}

# ---- the jobs and their input ----
if ! "$flowc" build "$REPO/examples/wordcount.flow" -o "$tmp/wc" ||
   ! "$flowc" build "$REPO/examples/connected_components.flow" -o "$tmp/cc" ||
   ! "$flowc" build "$REPO/tests/hosts/slow.flow" -o "$tmp/slow"; then
    echo "tests/hosts/run.sh: cannot build the jobs" >&2
    exit 2
fi
mkdir -p "$tmp/work"
python3 - "$tmp/work/words.txt" <<'EOF'
import random, sys
r = random.Random(7)
vocab = ["".join(r.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                 for _ in range(r.randint(1, 9))) for _ in range(5000)]
with open(sys.argv[1], "w") as f:
    for i in range(60000):
        f.write(" ".join(r.choice(vocab) + r.choice(["", ",", ".", "'s", " --"]) for _ in range(r.randint(0, 14))) + "\n")
EOF
# python3's count, as tests/e2e/ref.py counts words: [A-Za-z0-9]+ of the lowercased line
python3 - "$tmp/work/words.txt" "$tmp/ref.csv" <<'EOF'
import collections, re, sys
c = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    c.update(re.findall(r"[A-Za-z0-9]+", line.lower()))
with open(sys.argv[2], "w") as f:
    f.write("key,value\n")
    for k, v in c.items():
        f.write("%s,%d\n" % (k, v))
EOF

cd "$tmp/work" || exit 2
"$tmp/wc" --input words.txt --output one.csv --threads 2 2>"$tmp/one.err"
same_csv one.csv "$tmp/ref.csv" && pass "one process = python3" || { fail "one process != python3"; show "$tmp/one.err"; }

# ==== without root: cluster files, and hosts through a stand-in for ssh ====
cp words.txt "it's a \$file.txt"     # a name that needs quoting for the remote shell

# cluster files with errors: exit status 2, `FILE:LINE: message`, nothing run
bad_files=0
bad_file() {  # bad_file CONTENT LINE:MESSAGE-REGEX
    printf '%b' "$1" >bad.toml
    PATH=/nonexistent "$tmp/wc" --hosts bad.toml --input words.txt --output bad.csv 2>"$tmp/h.err"
    local rc=$?
    if [ $rc = 2 ] && grep -Eq "^bad.toml:$2" "$tmp/h.err" && [ ! -e bad.csv ]; then
        bad_files=$((bad_files + 1))
        verbose "$tmp/h.err"
    else
        fail "cluster file '$1': exit status $rc, not 2 with 'bad.toml:$2'"
        show "$tmp/h.err"
    fi
}
bad_file '# no host\nleader = "10.0.0.1"\n' "2: no hosts"
bad_file '[[host]]\nadress = "a"\n' "2: unknown key 'adress' in \[\[host\]\] \(known: address, user,"
bad_file 'cores = 2\n' "1: cores belongs in a \[\[host\]\] table"
bad_file '[[host]]\naddress = "a"\nleader = "b"\n' "3: leader is a top-level key: put it before the first"
bad_file '[[host]]\naddress = "a"\naddress = "b"\n' "3: address is given twice"
bad_file '[[host]]\naddress = "a"\nssh_port = 70000\n' "3: ssh_port must be between 1 and 65535, not 70000"
bad_file '[[host]]\naddress = "a"\ncores = "2"\n' "3: cores expects a whole number"
bad_file '[[host]]\naddress = "a"\nport = 7_000.5\n' "3: expected a string in quotes or a whole number"
bad_file '[[host]]\naddress = "-oProxyCommand=x"\n' "2: address: '-oProxyCommand=x' is not a host name"
bad_file '[[host]]\naddress = "a" "b"\n' "2: unexpected '\"b\"' after the value"
bad_file '[[host]]\naddress = "a\n' "2: the string has no closing"
bad_file '[hosts]\n' "1: only \[\[host\]\] tables"
bad_file '\n[[hosts]]\n' "2: unknown table \[\[hosts\]\]"
bad_file '[[host]]\nuser = "a"\n' "1: this \[\[host\]\] has no address"
bad_file '[[host]]\naddress = "a"\nkey = "/nonexistent/id"\n' "3: key: cannot read /nonexistent/id"
[ $bad_files = 15 ] && pass "15 cluster files with errors: exit status 2, FILE:LINE: message"

# hosts through a stand-in for ssh: the remote command (its last argument) runs with sh here
mkdir -p "$tmp/fake"
cat >"$tmp/fake/ssh" <<EOF
#!/bin/sh
for a; do last=\$a; done
XDG_CACHE_HOME=$tmp/fakecache exec sh -c "\$last"
EOF
chmod 755 "$tmp/fake/ssh"
printf '[[host]]\naddress = "127.0.0.1"\n\n[[host]]\naddress = "127.0.0.1"\ncores = 1\n' >local.toml
for round in copied cached; do
    rm -f local.csv
    PATH=$tmp/fake:$PATH "$tmp/wc" --hosts local.toml --input "it's a \$file.txt" --output local.csv --threads 1 \
        2>"$tmp/h.err"
    rc=$?
    copies=$(grep -c "copying the job" "$tmp/h.err")
    want=$([ $round = copied ] && echo 1 || echo 0)
    if [ $rc = 0 ] && same_csv local.csv "$tmp/ref.csv" && [ "$copies" = "$want" ] &&
       [ -x "$(echo "$tmp"/fakecache/flowc/*/wc)" ] && [ -z "$(pgrep -f -- "$tmp/fakecache")" ]; then
        pass "stand-in hosts ($round): 3 processes = python3, the binary copied $want time(s)"
        verbose "$tmp/h.err"
    else
        fail "stand-in hosts ($round): exit status $rc, 'copying the job' printed $copies times (want $want)"
        show "$tmp/h.err"
    fi
done

# ==== with hosts: two network namespaces ====
skip() {
    echo "SKIP: tests/hosts: the part with hosts: $*"
    finish
}
[ "$(id -u)" = 0 ] || skip "making network namespaces needs root"
command -v ip >/dev/null 2>&1 || skip "no ip command (iproute2)"
ip netns list >/dev/null 2>&1 || skip "no 'ip netns' here"
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
for t in "$SSHD" ssh ssh-keygen pgrep; do
    if ! command -v "$t" >/dev/null 2>&1; then
        fail "$t is missing (apt-get install openssh-server openssh-client procps)"
        finish
    fi
done

if ! ip netns add "$NS1" 2>"$tmp/err" || ! ip netns add "$NS2" 2>>"$tmp/err"; then
    skip "cannot make a network namespace: $(head -1 "$tmp/err")"
fi

# ---- the network: a bridge here, a veth into each namespace ----
X=
for i in $(seq 0 199); do
    c=$((($$ + i) % 200 + 20))
    if ! ip -4 addr show | grep -q "inet 10\.213\.$c\." && ! ip -4 route show | grep -q "^10\.213\.$c\."; then
        X=$c
        break
    fi
done
[ -n "$X" ] || skip "no free 10.213.x.0/24 here"
NET=10.213.$X
A0=$NET.1 A1=$NET.2 A2=$NET.3
net_up() {
    ip link add "$BR" type bridge &&
    ip addr add "$A0/24" dev "$BR" &&
    ip link set "$BR" up &&
    ip link add "$V1" type veth peer name eth0 netns "$NS1" &&
    ip link add "$V2" type veth peer name eth0 netns "$NS2" &&
    ip link set "$V1" master "$BR" up &&
    ip link set "$V2" master "$BR" up &&
    ip -n "$NS1" addr add "$A1/24" dev eth0 && ip -n "$NS1" link set eth0 up && ip -n "$NS1" link set lo up &&
    ip -n "$NS2" addr add "$A2/24" dev eth0 && ip -n "$NS2" link set eth0 up && ip -n "$NS2" link set lo up
}
if ! net_up 2>"$tmp/err"; then
    skip "cannot make the test network (bridge, veth): $(head -1 "$tmp/err")"
fi

# ---- ssh: a client key, a host key and an sshd per namespace ----
mkdir -p "$tmp/bin" "$tmp/h1" "$tmp/h2" "$tmp/work"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/id" || exit 2
cp "$tmp/id.pub" "$tmp/authorized_keys"
cat >"$tmp/ssh_config" <<EOF
UserKnownHostsFile $tmp/known_hosts
GlobalKnownHostsFile /dev/null
IdentitiesOnly yes
EOF
printf '#!/bin/sh\nexec %s -F %s "$@"\n' "$(command -v ssh)" "$tmp/ssh_config" >"$tmp/bin/ssh"
chmod 755 "$tmp/bin/ssh"
if [ ! -d /run/sshd ]; then
    mkdir -p /run/sshd && made_run_sshd=1
fi
start_sshd() {  # start_sshd NS ADDR DIR
    ssh-keygen -q -t ed25519 -N '' -f "$3/host_key" || return 1
    cat >"$3/sshd_config" <<EOF
ListenAddress $2
Port 22
HostKey $3/host_key
PidFile $3/sshd.pid
AuthorizedKeysFile $tmp/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv XDG_CACHE_HOME=$3/cache
ClientAliveInterval 1
ClientAliveCountMax 3
LogLevel ERROR
EOF
    # in the foreground (-D), a child of this script, which reaps it at the end
    ip netns exec "$1" "$SSHD" -D -f "$3/sshd_config" -E "$3/sshd.log" &
    bg_pids+=("$!")
}
for n in 1 2; do
    ns=NS$n a=A$n
    if ! start_sshd "${!ns}" "${!a}" "$tmp/h$n"; then
        fail "cannot start sshd in ${!ns}"
        finish
    fi
done
export PATH=$tmp/bin:$PATH
for a in "$A1" "$A2"; do
    for i in $(seq 50); do
        ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=2 -i "$tmp/id" \
            "root@$a" true 2>"$tmp/err" && break
        if [ "$i" = 50 ]; then
            fail "cannot ssh to $a: $(cat "$tmp/err" "$tmp"/h[12]/sshd.log 2>/dev/null)"
            finish
        fi
        sleep 0.1
    done
done

cluster() {  # cluster FILE [TOP-LEVEL LINE] [HOST-1 LINE] [HOST-2 LINE]
    cat >"$1" <<EOF
# the test's two hosts
${2:-}
[[host]]
address = "$A1"
user = "root"
key = "$tmp/id"      # the test's client key
ssh_port = 22
cores = 1
${3:-}

[[host]]
address = '$A2'
user = "root"
key = "$tmp/id"
${4:-}
EOF
}

# ---- 1, 2: word count, the binary copied, then found ----
cluster "$tmp/c1.toml"
for round in copied cached; do
    rm -f hosts.csv
    in=$([ $round = copied ] && echo words.txt || echo "it's a \$file.txt")
    "$tmp/wc" --hosts "$tmp/c1.toml" --input "$in" --output hosts.csv --threads 1 2>"$tmp/h.err"
    rc=$?
    copies=$(grep -c "copying the job" "$tmp/h.err")
    if [ $rc = 0 ] && same_csv hosts.csv "$tmp/ref.csv" && same_csv hosts.csv one.csv; then
        pass "--hosts ($round): 3 processes = one process = python3"
        verbose "$tmp/h.err"
    else
        fail "--hosts ($round): exit status $rc, or the counts differ"
        show "$tmp/h.err"
    fi
    want=$([ $round = copied ] && echo 1 || echo 0)
    n=$(ls "$tmp"/h[12]/cache/flowc/*/wc 2>/dev/null | wc -l)
    [ "$copies" = "$want" ] && [ "$n" = 2 ] && pass "--hosts ($round): binary copied $want time(s), in both caches" ||
        fail "--hosts ($round): 'copying the job' printed $copies times (want $want), $n cached copies"
done

# ---- a loop on two hosts: connected components (rounds until no label changes) ----
python3 "$REPO/scripts/ref_iter.py" cc --input "$REPO/examples/data/edges.csv" --output "$tmp/cc_labels.ref" \
    >"$tmp/cc_sizes.ref" 2>/dev/null
"$tmp/cc" --hosts "$tmp/c1.toml" --input "$REPO/examples/data/edges.csv" --output cc_labels.csv --threads 1 \
    >cc_sizes.csv 2>"$tmp/h.err"
rc=$?
if [ $rc = 0 ] && same_csv cc_labels.csv "$tmp/cc_labels.ref" && same_csv cc_sizes.csv "$tmp/cc_sizes.ref"; then
    pass "--hosts: a loop (connected components) on 3 processes = python3"
    verbose "$tmp/h.err"
else
    fail "--hosts: connected components: exit status $rc, or the labels differ"
    show "$tmp/h.err"
fi

# ---- 3: hosts that cannot run the job ----
cluster "$tmp/c3.toml" "" "" "ssh_port = 2"
t0=$(now_ms)
"$tmp/wc" --hosts "$tmp/c3.toml" --input words.txt --output bad.csv 2>"$tmp/h.err"
rc=$? dt=$(($(now_ms) - t0))
if [ $rc = 1 ] && grep -q "cannot reach host $A2 over ssh" "$tmp/h.err" && [ ! -e bad.csv ] && [ $dt -lt 15000 ]; then
    pass "a host without sshd: exit 1 in ${dt} ms, naming it"
    verbose "$tmp/h.err"
else
    fail "a host without sshd: exit status $rc after $dt ms"
    show "$tmp/h.err"
fi
bin2=$(ls "$tmp"/h2/cache/flowc/*/wc)
cp "$bin2" "$tmp/wc.saved"
printf '#!/bin/sh\necho "%s: error while loading shared libraries: libxxhash.so.0: cannot open shared object file" >&2\nexit 127\n' \
    "$bin2" >"$bin2"
"$tmp/wc" --hosts "$tmp/c1.toml" --input words.txt --output bad.csv 2>"$tmp/h.err"
rc=$?
if [ $rc = 1 ] && grep -q "host $A2 cannot run the job: .*libxxhash.so.0.*(exit status 127)" "$tmp/h.err" &&
   [ ! -e bad.csv ] && none_left 3; then
    pass "a host whose copy cannot run: exit 1, naming it and why"
    verbose "$tmp/h.err"
else
    fail "a host whose copy cannot run: exit status $rc"
    show "$tmp/h.err"
fi
# a copy that dies of SIGILL, as a -march=native build on an older CPU
printf '#!/bin/sh\nkill -ILL $$\n' >"$bin2"
"$tmp/wc" --hosts "$tmp/c1.toml" --input words.txt --output bad.csv 2>"$tmp/h.err"
rc=$?
if [ $rc = 1 ] && grep -q "host $A2 cannot run the job: .*(killed by signal 4: Illegal instruction)" "$tmp/h.err" &&
   [ ! -e bad.csv ] && none_left 3; then
    pass "a host whose CPU cannot run the copy (SIGILL): exit 1, naming it"
    verbose "$tmp/h.err"
else
    fail "a host whose CPU cannot run the copy (SIGILL): exit status $rc"
    show "$tmp/h.err"
fi
# a copy that answers --version but fails as a rank: the launcher stops while it waits for it
printf '#!/bin/sh\n[ "$1" = --version ] && exec %s --version\necho "rank failed on purpose" >&2\nexit 3\n' \
    "$tmp/wc.saved" >"$bin2"
t0=$(now_ms)
"$tmp/wc" --hosts "$tmp/c1.toml" --input words.txt --output bad.csv 2>"$tmp/h.err"
rc=$? dt=$(($(now_ms) - t0))
if [ $rc = 1 ] && grep -q "process 2 on host $A2 ended before the job started (exit status 3)" "$tmp/h.err" &&
   grep -q "^\[$A2\] rank failed on purpose" "$tmp/h.err" && [ ! -e bad.csv ] && [ $dt -lt 8000 ] && none_left 8; then
    pass "a rank that ends before the job starts: exit 1 in $dt ms, naming its host, its output relayed"
    verbose "$tmp/h.err"
else
    fail "a rank that ends before the job starts: exit status $rc after $dt ms"
    show "$tmp/h.err"
fi
cp "$tmp/wc.saved" "$bin2"

# ---- 4, 5: a rank killed, a host cut off, mid-job ----
wait_ranks() {  # wait_ranks: both hosts run their rank (then a second more)
    local i
    for i in $(seq 150); do
        [ -n "$(ns_ranks "$NS1")" ] && [ -n "$(ns_ranks "$NS2")" ] && { sleep 1; return 0; }
        sleep 0.1
    done
    return 1
}
fault() {  # fault NAME HOST-ADDRESS ACTION...: run slow.flow on the hosts, do ACTION mid-job
    local name=$1 addr=$2
    shift 2
    rm -f slow.csv
    "$tmp/slow" --hosts "$tmp/c1.toml" --output slow.csv --threads 1 2>"$tmp/f.err" &
    local pid=$!
    bg_pids+=("$pid")
    if ! wait_ranks; then
        fail "$name: the ranks did not start"
        show "$tmp/f.err"
        return
    fi
    "$@"
    local t0 rc dt i
    t0=$(now_ms)
    for i in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    wait "$pid"
    rc=$? dt=$(($(now_ms) - t0))
    if [ "$rc" != 0 ] && [ $dt -le 10000 ] && grep -q "$addr" "$tmp/f.err" && [ -z "$(ls slow.csv* 2>/dev/null)" ] &&
       none_left 8; then
        pass "$name: the launcher exited (status $rc) in $dt ms naming $addr; no output, no process left"
        verbose "$tmp/f.err"
    else
        fail "$name: exit status $rc after $dt ms; output: $(ls slow.csv* 2>/dev/null)"
        show "$tmp/f.err"
    fi
}
kill_rank() { kill -9 $(ns_ranks "$NS1"); }
fault "SIGKILL of the rank on host 1" "$A1" kill_rank
fault "host 2's link down" "$A2" ip -n "$NS2" link set eth0 down
ip -n "$NS2" link set eth0 up
# the launcher itself killed: its ssh clients end (they die with it), so do the ranks
rm -f slow.csv
"$tmp/slow" --hosts "$tmp/c1.toml" --output slow.csv --threads 1 2>"$tmp/f.err" &
pid=$!
bg_pids+=("$pid")
if wait_ranks; then
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    t0=$(now_ms)
    if none_left 8 && [ ! -e slow.csv ]; then
        pass "SIGKILL of the launcher: no rank and no ssh client left after $(($(now_ms) - t0)) ms"
    else
        fail "SIGKILL of the launcher: processes left after 8 s, or slow.csv written"
        show "$tmp/f.err"
    fi
else
    fail "SIGKILL of the launcher: the ranks did not start"
    show "$tmp/f.err"
fi

# ---- 6: strangers at the ports while a job starts ----
LPORT=$((20000 + $$ % 20000))
cluster "$tmp/c6.toml" "leader = \"$A0\"
leader_port = $LPORT" "port = 7101" "port = 7102"
python3 - "$A0:$LPORT" "$A1:7101" "$A2:7102" >"$tmp/attack.log" 2>&1 <<'EOF' &
# garbage, half greetings and silence at each port, for at most 20 s and 400 connections
import os, socket, sys, time
targets = [(h, int(p)) for h, p in (a.rsplit(":", 1) for a in sys.argv[1:])]
end, sent, n = time.time() + 20, {}, 0
while time.time() < end and n < 400:
    for t in targets:
        try:
            s = socket.create_connection(t, timeout=0.5)
        except OSError:
            continue
        n += 1
        kind = sent.get(t, 0) % 3
        sent[t] = sent.get(t, 0) + 1
        try:
            if kind == 0:
                s.sendall(os.urandom(512))
            elif kind == 1:
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            else:
                time.sleep(0.3)
        except OSError:
            pass
        s.close()
    time.sleep(0.02)
print("connections:", sent)
EOF
attack=$!
bg_pids+=("$attack")
# a process of the same job with a wrong secret, knocking at rank 0 as rank 1
FLOWC_SECRET=not-the-secret timeout 30 ip netns exec "$NS1" "$tmp/wc" --rank 1 --nprocs 3 \
    --leader "$A0:$LPORT" --input words.txt --output x.csv 2>"$tmp/rogue.err" &
bg_pids+=("$!")
sleep 0.3
rm -f hosts.csv
"$tmp/wc" --hosts "$tmp/c6.toml" --input words.txt --output hosts.csv 2>"$tmp/h.err"
rc=$?
if [ $rc = 0 ] && same_csv hosts.csv "$tmp/ref.csv" && grep -q "refused a connection" "$tmp/h.err"; then
    pass "strangers and a wrong secret at the ports: the job succeeded ($(grep -c 'refused a connection' "$tmp/h.err") refused)"
    verbose "$tmp/h.err"
    verbose "$tmp/rogue.err"
else
    fail "strangers and a wrong secret at the ports: exit status $rc"
    show "$tmp/h.err"
fi
kill "$attack" 2>/dev/null
wait "$attack" 2>/dev/null

finish
