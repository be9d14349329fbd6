#!/usr/bin/env python3
"""tests/e2e/cmp.py EXPDIR LABEL RUNDIR [LABEL RUNDIR...] - check runs of a flow program
against its reference outputs (or cmp.py --batch, with lines `EXPDIR LABEL RUNDIR` in shell
quoting on standard input, for runs of several programs).

EXPDIR holds the expected outputs (from ref.py): files, and "stdout" (or "stdout.csv", to
compare standard output as a CSV file). Each run left RUNDIR/
(the files it wrote), RUNDIR.stdout, RUNDIR.stderr and RUNDIR.rc (its exit status). A run
passes when its status is 0 and every expected output matches, compared
  exactly   when the expected output has at most one line;
  as CSV    for *.csv: the first line (the header) exactly, then the rows in any order;
  sorted    otherwise: the same lines in any order (the order is not defined after a parallel
            stage or a keyed aggregation, or with several pipelines printing);
and, when there is no expected "stdout", the run printed nothing. Numbers are compared with a
tolerance (relative 1e-9, absolute 1e-9) when either is written as a float, integers exactly;
the text between numbers must match exactly. Prints `FAIL: LABEL` and what differs (a diff
of at most 40 lines) for each failed run, then a last line `RESULT PASSED FAILED`.
"""
import difflib
import os
import re
import sys

NUM = re.compile(r"-?(?:[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|inf|nan)")
INT = re.compile(r"-?[0-9]+")


def tokens(line):
    """The line as [text, number, text, number, ..., text]."""
    parts = []
    pos = 0
    for m in NUM.finditer(line):
        parts.append(line[pos:m.start()])
        parts.append(m.group(0))
        pos = m.end()
    parts.append(line[pos:])
    return parts


def num_eq(a, b):
    if a == b:
        return True
    if INT.fullmatch(a) and INT.fullmatch(b):
        return False
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    if x != x or y != y:
        return x != x and y != y
    return abs(x - y) <= 1e-9 + 1e-9 * max(abs(x), abs(y))


def line_eq(a, b):
    ta, tb = tokens(a), tokens(b)
    if len(ta) != len(tb):
        return False
    for i, (x, y) in enumerate(zip(ta, tb)):
        if i % 2 == 0:
            if x != y:
                return False
        elif not num_eq(x, y):
            return False
    return True


def sort_key(line):
    """A key that puts lines equal up to float rounding next to each other."""
    out = []
    for i, t in enumerate(tokens(line)):
        if i % 2 == 1 and not INT.fullmatch(t):
            try:
                t = "%.6g" % float(t)
            except ValueError:
                pass
        out.append(t)
    return "\x00".join(out)


def compare(mode, exp, got):
    """None when the texts match, else the lines that say how they differ."""
    if exp == got:
        return None
    out = []
    if exp and got and exp.endswith("\n") != got.endswith("\n"):
        out.append("the last line %s a line end" %
                   ("lacks" if exp.endswith("\n") else "has an unexpected"))
    e, g = exp.splitlines(), got.splitlines()
    if not out and mode != "exact" and e[:1] == g[:1] and sorted(e) == sorted(g):
        return None  # the same lines, in another order: no need for the slow comparison
    if mode == "sorted":
        e, g = sorted(e, key=sort_key), sorted(g, key=sort_key)
    elif mode == "csv":
        e = e[:1] + sorted(e[1:], key=sort_key)
        g = g[:1] + sorted(g[1:], key=sort_key)
    if not (len(e) == len(g) and all(line_eq(a, b) for a, b in zip(e, g))):
        out.append("%d lines expected, %d got%s" % (len(e), len(g),
                   " (both sorted)" if mode != "exact" else ""))
        diff = list(difflib.unified_diff(e, g, "expected", "got", lineterm="", n=1))
        out += diff[:40]
        if len(diff) > 40:
            out.append("... (%d more diff lines)" % (len(diff) - 40))
    return out or None


def read(path):
    with open(path, newline="", errors="replace") as f:
        return f.read()


def status_text(rc):
    if rc == 124:
        return "timed out after 60 s (a hang?)"
    if rc == 127:
        return "not run: flowc build failed"
    if rc == 3:
        return "exit status 3 (a flowc bug)"
    if rc > 128:
        return "killed by signal %d" % (rc - 128)
    return "exit status %d" % rc


def check_run(expdir, rundir):
    """None when the run passed, else (headline, lines that say what failed)."""
    if os.path.exists(os.path.join(expdir, "REF-FAILED")):
        return "its reference failed (see above)", []
    rc = int(read(rundir + ".rc").strip() or "-1")
    if rc != 0:
        err = read(rundir + ".stderr").splitlines()
        err = err[:15] if rc == 127 else err[-15:]   # a build's first errors, a job's last words
        return status_text(rc), ["| " + l for l in err]
    report = []
    names = sorted(n for n in os.listdir(expdir) if n != "REF-FAILED")
    for name in names:
        exp = read(os.path.join(expdir, name))
        if name in ("stdout", "stdout.csv"):
            got_path = rundir + ".stdout"
        else:
            got_path = os.path.join(rundir, name)
        if not os.path.isfile(got_path):
            report.append("%s: missing" % name)
            continue
        if exp.count("\n") <= 1:
            mode = "exact"
        elif name.endswith(".csv"):
            mode = "csv"
        else:
            mode = "sorted"
        diff = compare(mode, exp, read(got_path))
        if diff:
            report.append("%s (%s):" % (name, mode))
            report += ["  " + l for l in diff]
    if "stdout" not in names and "stdout.csv" not in names:
        out = read(rundir + ".stdout")
        if out:
            report.append("stdout: expected nothing, got:")
            report += ["  " + l for l in out.splitlines()[:5]]
    return ("wrong output", report) if report else None


def main():
    if sys.argv[1] == "--batch":   # standard input: lines `EXPDIR LABEL RUNDIR`, shell-quoted
        import shlex
        runs = [shlex.split(l) for l in sys.stdin if l.strip()]
    else:
        runs = [(sys.argv[1], label, rundir)
                for label, rundir in zip(sys.argv[2::2], sys.argv[3::2])]
    passed = failed = 0
    for expdir, label, rundir in runs:
        result = check_run(expdir, rundir)
        if result is None:
            passed += 1
            continue
        failed += 1
        print("FAIL: %s: %s" % (label, result[0]))
        for l in result[1]:
            print("    " + l)
    print("RESULT %d %d" % (passed, failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
