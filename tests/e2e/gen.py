#!/usr/bin/env python3
"""tests/e2e/gen.py DIR - write the deterministic input files of the end-to-end tests into DIR.

Every file comes from a fixed seed, so a run of the suite always sees the same data. The
sizes (a few thousand lines) keep the whole suite fast. ref.py reads the same files to
compute the expected outputs.
"""
import datetime
import os
import random
import sys

VOCAB = ["the", "a", "river", "Flow", "data", "stream", "KEY", "value", "map", "filter",
         "x1", "42", "alpha", "Beta", "gamma", "delta", "zeta9", "eta", "Theta", "iota",
         "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau"]
PUNCT = [" ", " ", " ", ", ", ". ", "; ", " - ", "!", "  ", "\t", "'", "(", ")"]
SHOPS = ["north", "south", "east", "west", "centre", "harbour", "hill", "market", "old town",
         "new-town"]
ITEMS = ["apple", "pear", "plum", "fig", "kiwi", "lime", "date", "melon"]


def text_lines(rnd, n):
    lines = []
    for _ in range(n):
        k = rnd.randint(0, 14)
        parts = []
        for _ in range(k):
            parts.append(rnd.choice(VOCAB))
            parts.append(rnd.choice(PUNCT))
        lines.append("".join(parts))
    return lines


def csv_quote(s, sep):
    if sep in s or '"' in s or "\n" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    rnd = random.Random(20240601)

    def write(name, text):
        with open(os.path.join(d, name), "w", newline="") as f:
            f.write(text)

    # words.txt: free text for word count and the string builtins
    write("words.txt", "\n".join(text_lines(rnd, 3000)) + "\n")
    # words2.txt: a second, smaller text (merge, let streams); no final newline
    write("words2.txt", "\n".join(text_lines(rnd, 700)))

    # sales.csv: id,shop,item,amount,qty with a header; ids are unique
    rows = ["id,shop,item,amount,qty"]
    for i in range(4000):
        shop = rnd.choice(SHOPS)
        item = rnd.choice(ITEMS)
        amount = rnd.randint(1, 100000) / 100.0
        qty = rnd.randint(1, 20)
        rows.append("%d,%s,%s,%.2f,%d" % (i, shop, item, amount, qty))
    write("sales.csv", "\n".join(rows) + "\n")

    # quoted.csv: `;`-separated, quoted fields with the separator, doubled quotes and commas
    rows = ["name;note;n;score;ok"]
    for i in range(2000):
        name = rnd.choice(SHOPS) + (";" + str(i % 7) if i % 3 == 0 else "")
        note = rnd.choice(['say "hi"', "plain", "a,b", "", " spaced ", 'q"', "x;y;z"])
        n = rnd.randint(-1000, 1000)
        score = rnd.randint(-5000, 5000) / 8.0
        ok = rnd.choice(["true", "false"])
        fields = [csv_quote(name, ";"), csv_quote(note, ";"), str(n), repr(score), ok]
        if i % 5 == 0:  # quote a field that needs no quoting
            fields[2] = '"' + fields[2] + '"'
        rows.append(";".join(fields))
    write("quoted.csv", "\r\n".join(rows) + "\r\n")

    # multiline.csv: quoted fields with line ends (LF and CRLF) inside them
    rows = ["id,text,n"]
    for i in range(2000):
        t = rnd.choice(["one line", "two\nlines", "a \"quoted\"\nand, more\nlines", "",
                        "crlf\r\ninside", "\n"])
        rows.append('%d,"%s",%d' % (i, t.replace('"', '""'), rnd.randint(0, 9)))
    write("multiline.csv", "\n".join(rows) + "\n")

    # crlf.txt: CRLF line ends; blank.txt: empty lines; empty.txt: nothing at all
    write("crlf.txt", "\r\n".join(text_lines(rnd, 1500)) + "\r\n")
    write("blank.txt", "\n".join(rnd.choice(["", "", "x", " y ", "z z"]) for _ in range(1000)) + "\n")
    write("empty.txt", "")
    # long.txt: a line far longer than a task's share of the file, between short ones
    write("long.txt", "first\n" + "".join(rnd.choice("ab ") for _ in range(300000)) +
          "\nshort\n\nlast line")

    # utf8.txt: words with UTF-8 letters (strings are bytes: len counts bytes, and lower,
    # upper and words know ASCII letters only)
    uwords = VOCAB + ["h\u00e9llo", "w\u00f6rld", "na\u00efve", "\u00c5ngstr\u00f6m", "\u65e5\u672c", "caf\u00e9"]
    rows = [" ".join(rnd.choice(uwords) for _ in range(rnd.randint(0, 8))) for _ in range(600)]
    with open(os.path.join(d, "utf8.txt"), "w", encoding="utf-8", newline="") as f:
        f.write("\n".join(rows) + "\n")

    # pairs.tsv: no header, tab-separated (str, i64)
    rows = []
    for i in range(2500):
        rows.append("%s\t%d" % (rnd.choice(ITEMS) + str(i % 13), rnd.randint(-50, 50)))
    write("pairs.tsv", "\n".join(rows) + "\n")

    # readings.csv: optional columns (empty cells are none)
    rows = ["sensor,value,count"]
    for i in range(1500):
        v = "" if i % 4 == 0 else "%.3f" % (rnd.randint(-10000, 10000) / 1000.0)
        c = "" if i % 6 == 0 else str(rnd.randint(0, 99))
        rows.append("s%d,%s,%s" % (i % 11, v, c))
    write("readings.csv", "\n".join(rows) + "\n")

    # bad.csv: like sales.csv, with a malformed row (a non-number in `qty`) on line 1234
    rows = ["id,shop,item,amount,qty"]
    for i in range(3000):
        if len(rows) + 1 == 1234:
            rows.append("%d,%s,%s,%.2f,%s" % (i, "north", "fig", 1.5, "lots"))
        else:
            rows.append("%d,%s,%s,%.2f,%d" % (i, rnd.choice(SHOPS), rnd.choice(ITEMS),
                                             rnd.randint(1, 9999) / 100.0, rnd.randint(1, 20)))
    write("bad.csv", "\n".join(rows) + "\n")

    # skip.csv: several malformed rows (bad numbers, too few and too many fields)
    rows = ["id,shop,item,amount,qty"]
    for i in range(2000):
        r = "%d,%s,%s,%.2f,%d" % (i, rnd.choice(SHOPS), rnd.choice(ITEMS),
                                  rnd.randint(1, 9999) / 100.0, rnd.randint(1, 20))
        if i % 97 == 5:
            r = "%d,x,y,notanumber,3" % i
        elif i % 97 == 50:
            r = "%d,x,y" % i
        elif i % 97 == 70:
            r = "%d,x,y,1.0,2,extra" % i
        rows.append(r)
    write("skip.csv", "\n".join(rows) + "\n")

    # nums.txt: integers, some padded with spaces, some not numbers at all
    rows = []
    for i in range(3000):
        r = rnd.random()
        if r < 0.1:
            rows.append(rnd.choice(["", "abc", "12x", "-", "1.5", " ", "--3", "+"]))
        elif r < 0.2:
            rows.append("  %d " % rnd.randint(-10**6, 10**6))
        else:
            rows.append(str(rnd.randint(-10**12, 10**12)))
    write("nums.txt", "\n".join(rows) + "\n")

    # dates.txt: date-times, some malformed
    rows = []
    for i in range(2000):
        t = rnd.randint(0, 4102444800)  # 1970 .. 2100
        if i % 10 == 3:
            rows.append(rnd.choice(["yesterday", "", "2024/01/01 10:00:00", "12:00:00"]))
        else:
            dt = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
            fmt = "%Y-%m-%d" if i % 10 == 7 else "%Y-%m-%d %H:%M:%S"
            rows.append(dt.strftime(fmt))
    write("dates.txt", "\n".join(rows) + "\n")

    # events.csv: key,ts,v for the window tests (a seed of its own). Times rise with the line,
    # at most 400 ms out of order (so never behind a watermark with a delay of 1 s); times and
    # values are unique (no ties in min, max, first, last or time order). Four very late rows
    # (50 s behind) sit at 1/8, 3/8, 5/8 and 7/8 of the file, far from every boundary of the
    # file's shares among 1, 2, 3, 4 or 6 tasks: each task has seen later rows before them.
    er = random.Random(20261130)
    used_t, used_v, ev = set(), set(), []

    def unique(used, x, next_):
        while x in used:
            x = next_(x)
        used.add(x)
        return x

    def event(t):
        t = unique(used_t, t, lambda x: x + 1)
        v = unique(used_v, er.randint(1, 1_000_000), lambda _: er.randint(1, 1_000_000))
        return "k%d" % er.randint(0, 4), t, v

    for i in range(3000):
        ev.append(event(1_700_000_000_000 + i * 97 + er.randint(0, 400)))
    for frac in (7 / 8, 5 / 8, 3 / 8, 1 / 8):
        at = int(len(ev) * frac)
        ev.insert(at, event(ev[at][1] - 50_000))
    write("events.csv", "key,ts,v\n" + "".join("%s,%d,%d\n" % r for r in ev))


if __name__ == "__main__":
    main()
