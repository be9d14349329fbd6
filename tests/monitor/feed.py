#!/usr/bin/env python3
"""tests/monitor/feed.py - the inputs of tests/monitor/run.sh and what the jobs must give.

  feed.py lines FILE N SEED      N lines of random letters, 0 to 40 of them (empty lines too)
  feed.py words FILE N SEED      N lines of 1 to 8 words out of a few
  feed.py stream FILE DIR [CHUNK DELAY]
                                 FILE's lines on standard output (CHUNK lines every DELAY
                                 seconds; all at once without), then waits until DIR/close
                                 exists (or DIR is gone, or 120 s have passed) and ends, which
                                 closes the job's standard input; when DIR/close comes before
                                 the end of FILE, stops there. Writes the number of lines sent
                                 to DIR/sent. Started before the job, it is the job's stdin.
  feed.py expect-lines FILE      "N EVEN": lines of FILE, and how many have an even length
  feed.py check-lines FILE OUT... the part files OUT... hold each even-length line of FILE
                                 twice and nothing else (as multisets); prints the line count
  feed.py check-words FILE N COUNTS LONG
                                 of the first N lines of FILE: COUNTS (csv parts: window_start,
                                 word, n) holds each word's count summed over its windows (of
                                 1 s, each once), LONG (parts) each line of 20 or more
                                 characters upper-cased
  feed.py plan PLAN STAGES       the stages of `flowc plan --json` (PLAN) and /api/stages
                                 (STAGES) have the same ids, names, phases, operators, edges
  feed.py request PORT BYTES     sends BYTES (a Python bytes literal) to 127.0.0.1:PORT and
                                 prints the first line of the answer ('' when the server
                                 closed without one)
"""
import ast
import collections
import json
import os
import random
import socket
import string
import sys
import time

WORDS = "the quick brown fox jumps over lazy dog stream flow data".split()


def read_lines(path):
    with open(path, encoding="ascii") as f:
        return f.read().split("\n")[:-1]


def part_lines(paths):
    out = []
    for p in paths:
        out += read_lines(p)
    return out


def fail(msg):
    print(msg)
    sys.exit(1)


def main(argv):
    cmd = argv[1]
    if cmd == "lines":
        rnd = random.Random(int(argv[4]))
        with open(argv[2], "w") as f:
            for _ in range(int(argv[3])):
                f.write("".join(rnd.choice(string.ascii_letters) for _ in range(rnd.randint(0, 40))) + "\n")
    elif cmd == "words":
        rnd = random.Random(int(argv[4]))
        with open(argv[2], "w") as f:
            for _ in range(int(argv[3])):
                f.write(" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 8))) + "\n")
    elif cmd == "stream":
        lines, d = read_lines(argv[2]), argv[3]
        chunk = int(argv[4]) if len(argv) > 4 else len(lines) or 1
        delay = float(argv[5]) if len(argv) > 5 else 0.0
        close = os.path.join(d, "close")
        sent = 0
        try:
            while sent < len(lines) and not os.path.exists(close):
                part = lines[sent:sent + chunk]
                sys.stdout.write("".join(l + "\n" for l in part))
                sys.stdout.flush()
                sent += len(part)
                if delay and sent < len(lines):
                    time.sleep(delay)
            with open(os.path.join(d, "sent"), "w") as f:
                f.write("%d\n" % sent)
            end = time.time() + 120
            while os.path.isdir(d) and not os.path.exists(close) and time.time() < end:
                time.sleep(0.05)
        except (BrokenPipeError, FileNotFoundError):
            pass
        try:
            sys.stdout.close()
        except BrokenPipeError:
            pass
    elif cmd == "expect-lines":
        lines = read_lines(argv[2])
        print(len(lines), sum(1 for l in lines if len(l) % 2 == 0))
    elif cmd == "check-lines":
        want = collections.Counter()
        for l in read_lines(argv[2]):
            if len(l) % 2 == 0:
                want[l] += 2
        got = collections.Counter(part_lines(argv[3:]))
        if got != want:
            fail("the parts differ from the input's even lines twice: %d lines missing, %d extra"
                 % (sum((want - got).values()), sum((got - want).values())))
        print(sum(got.values()))
    elif cmd == "check-words":
        lines = read_lines(argv[2])[:int(argv[3])]
        want = collections.Counter(w for l in lines for w in l.split())
        got = collections.Counter()
        windows = set()
        for l in part_lines(argv[4].split()):
            if l == "window_start,word,n":
                continue
            start, k, v = l.split(",")
            if int(start) % 1000 or (start, k) in windows:
                fail("window %s of %r: not on a second, or twice" % (start, k))
            windows.add((start, k))
            got[k] += int(v)
        if got != want:
            fail("counts (summed over the windows) differ: want %s, got %s" % (dict(want), dict(got)))
        wlong = collections.Counter(l.upper() for l in lines if len(l) >= 20)
        glong = collections.Counter(part_lines(argv[5].split()))
        if wlong != glong:
            fail("long lines differ: %d missing, %d extra" % (sum((wlong - glong).values()),
                                                              sum((glong - wlong).values())))
        print(len(lines))
    elif cmd == "plan":
        with open(argv[2]) as f:
            plan = json.load(f)["stages"]
        with open(argv[3]) as f:
            got = json.load(f)["stages"]
        op_keys = ("node", "kind", "op", "line", "col")
        edge_keys = ("to", "kind", "input")

        def shape(stages):
            return [{"id": s["id"], "name": s["name"], "phase": s["phase"], "parallel": s["parallel"],
                     "operators": [{k: o[k] for k in op_keys} for o in s["operators"]],
                     "edges": [{k: e[k] for k in edge_keys} for e in s["edges"]]} for s in stages]
        a, b = shape(plan), shape(got)
        if a != b:
            fail("plan --json: %s\n/api/stages: %s" % (json.dumps(a), json.dumps(b)))
        print(len(a))
    elif cmd == "request":
        s = socket.create_connection(("127.0.0.1", int(argv[2])), timeout=15)
        s.sendall(ast.literal_eval(argv[3]))
        data = b""
        try:
            while b"\r\n" not in data:
                c = s.recv(4096)
                if not c:
                    break
                data += c
        except OSError:
            pass
        s.close()
        print(data.split(b"\r\n")[0].decode("latin-1") if b"\r\n" in data else "")
    else:
        fail("feed.py: unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
