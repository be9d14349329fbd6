#!/usr/bin/env python3
"""tests/stream/feed.py - the inputs of tests/stream/run.sh, and what they must give.

  feed.py serve PORTFILE N   listen on a free loopback port (written to PORTFILE), send N
                             event lines key,ts,v to the first connection, write "sent" to
                             PORTFILE.sent, then keep the connection open until killed
  feed.py expect N           the windows of windows.flow over those N lines, as CSV rows
                             window_start,key,n,total (every window: a drain flushes them all)
"""
import socket
import sys
import time

KEYS = ["k0", "k1", "k2", "k3"]


def events(n):
    for i in range(n):
        yield KEYS[i % 4], 1_000_000 + i * 7, i % 97


def serve(portfile, n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    import os
    os.rename(portfile + ".tmp", portfile)
    c, _ = s.accept()
    data = "".join("%s,%d,%d\n" % e for e in events(n)).encode()
    c.sendall(data)
    with open(portfile + ".sent", "w") as f:
        f.write("sent\n")
    while True:
        time.sleep(1)


def expect(n):
    wins = {}
    for k, ts, v in events(n):
        w = wins.setdefault((ts // 1000 * 1000, k), [0, 0])
        w[0] += 1
        w[1] += v
    for (start, k), (cnt, tot) in sorted(wins.items()):
        print("%d,%s,%d,%d" % (start, k, cnt, tot))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        expect(int(sys.argv[2]))
