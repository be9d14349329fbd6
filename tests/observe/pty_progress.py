#!/usr/bin/env python3
"""pty_progress.py EXPECT CMD...: runs CMD under a pseudo-terminal and checks its progress line:
EXPECT "redraw" wants at least three redraws in place (carriage returns) and a last line at 100%
ending the line; "none" wants no progress line at all. Exits 0 when it holds, else prints why."""
import os
import pty
import sys

expect, cmd = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
text = out.decode("utf-8", "replace").replace("\r\n", "\n")   # (the terminal's own line ends)
if os.waitstatus_to_exitcode(status) != 0:
    sys.exit(f"the job failed: {text!r}")
draws = text.count("\rflowc job: ")
if expect == "none":
    sys.exit(f"a progress line on a terminal with --no-progress: {text!r}" if draws else 0)
if draws < 3:
    sys.exit(f"{draws} redraws, expected at least 3: {text!r}")
last = text.rsplit("\r", 1)[1]
if "100%" not in last or not last.rstrip(" ").endswith("\n"):
    sys.exit(f"the last line is not at 100% or does not end the line: {last!r}")
