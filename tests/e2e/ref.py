#!/usr/bin/env python3
"""tests/e2e/ref.py TEST DATA EXPDIR [ARG...] - write the expected outputs of an end-to-end test
(or of several: tests/e2e/ref.py --batch DATA, see main).

Each test in run.sh names a reference function here (the REFS table). The function reads the
inputs that gen.py wrote into DATA, computes what the flow program must output, independently
of flowc, and returns {output file name: text}; "stdout" is the program's standard output.
ARGs are the test's extra arguments (params), which some references use. "stdout.csv" is
standard output too, to be compared as a CSV file.

Values are formatted as flowc's print/to_str shows them: tuples `(a, b)`, vectors `[a, b]`,
strings as they are, `true`/`false`, `some(x)`/`none`, records `Name { f: v }`, floats with the
fewest of 15, 16 or 17 significant digits that read back to the same number (cmp.py compares
numbers with a tolerance anyway). Integer division and remainder truncate toward zero, as in C.
"""
import collections
import csv
import datetime
import math
import os
import re
import sys


# ---- values as flowc shows them ----

class Opt:
    """An option: Opt(x) is some(x), Opt() is none."""
    def __init__(self, *v):
        self.v = v

    def __eq__(self, other):
        return isinstance(other, Opt) and self.v == other.v

    def is_some(self):
        return len(self.v) == 1

    def unwrap_or(self, d):
        return self.v[0] if self.v else d


NONE = Opt()


class Rec:
    def __init__(self, type_name, **fields):
        self.name = type_name
        self.fields = fields  # insertion order is the declaration order


def ffmt(x):
    if x == 0:
        return "-0" if str(x).startswith("-") else "0"
    for p in (15, 16, 17):
        s = "%.*g" % (p, x)
        if float(s) == x:
            return s
    return s


def fmt(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return ffmt(v)
    if isinstance(v, str):
        return v
    if isinstance(v, tuple):
        return "(" + ", ".join(fmt(e) for e in v) + ")"
    if isinstance(v, list):
        return "[" + ", ".join(fmt(e) for e in v) + "]"
    if isinstance(v, Opt):
        return "some(" + fmt(v.v[0]) + ")" if v.v else "none"
    if isinstance(v, Rec):
        return v.name + " { " + ", ".join(k + ": " + fmt(x) for k, x in v.fields.items()) + " }"
    raise TypeError(repr(v))


def lines(vals):
    return "".join(fmt(v) + "\n" for v in vals)


def csv_cell(v):
    if isinstance(v, Opt):
        return csv_cell(v.v[0]) if v.v else ""
    return fmt(v)


def csv_field(s):
    """RFC 4180: a field with a comma, a quote, CR or LF is quoted, its quotes doubled."""
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_text(header, rows):
    out = [",".join(csv_field(h) for h in header)]
    for r in rows:
        out.append(",".join(csv_field(csv_cell(c)) for c in r))
    return "".join(l + "\n" for l in out)


# ---- flow semantics ----

def cdiv(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def cmod(a, b):
    return a - cdiv(a, b) * b


def words(s):
    return re.findall(r"[A-Za-z0-9]+", s)


def trim(s):
    return s.strip(" \t\r\n\v\f")


def substr(s, start, n):
    start = max(0, min(start, len(s)))
    return s[start:start + max(0, n)]


def blanks(s):
    """flowc's parse_i64/parse_f64 (like its CSV fields) ignore spaces and tabs around the number."""
    return s.strip(" \t")


def parse_i64(s):
    s = blanks(s)
    if re.fullmatch(r"[+-]?[0-9]+", s):
        return Opt(int(s))
    return NONE


def parse_f64(s):
    s = blanks(s)
    if re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", s):
        return Opt(float(s))
    return NONE


def read_lines(path):
    with open(path, newline="") as f:
        text = f.read()
    ls = text.split("\n")
    if ls and ls[-1] == "":
        ls.pop()
    return [l[:-1] if l.endswith("\r") else l for l in ls]


def read_csv(path, sep=",", header=True):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter=sep))
    return rows[1:] if header else rows


def sales(d, name="sales.csv"):
    return [dict(id=int(r[0]), shop=r[1], item=r[2], amount=float(r[3]), qty=int(r[4]))
            for r in read_csv(os.path.join(d, name))]


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def parse_date(s, fmt_="%Y-%m-%d %H:%M:%S"):
    for f in (fmt_, fmt_.split(" ")[0]):
        if not re.fullmatch(r"[0-9 :/.\-]+", s):
            continue
        try:
            dt = datetime.datetime.strptime(s, f).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
        return Opt(int((dt - EPOCH).total_seconds()) * 1000)
    return NONE


def to_dt(t):
    return EPOCH + datetime.timedelta(milliseconds=t)


def format_date(t, f="%Y-%m-%d %H:%M:%S"):
    return to_dt(t).strftime(f)


def date_parts(t):
    d = to_dt(t)
    return (d.year, d.month, d.day, d.hour, d.minute, d.second, d.weekday(),
            d.timetuple().tm_yday - 1)


def keyed(d):
    """The (key, value) pairs of a dict, as a keyed stream prints them."""
    return [(k, v) for k, v in d.items()]


def group(rows, key):
    g = collections.OrderedDict()
    for r in rows:
        g.setdefault(key(r), []).append(r)
    return g


def arg(args, name, default):
    """The value of --name in the test's arguments, or default."""
    for i, a in enumerate(args[:-1]):
        if a == "--" + name:
            return args[i + 1]
    return default


# ---- the references ----

def ref_wordcount(d, args):
    c = collections.Counter()
    for l in read_lines(arg(args, "input", None)):
        c.update(words(l.lower()))
    return {"stdout": lines(keyed(c))}


def ref_wordcount_csv(d, args):
    c = collections.Counter()
    for l in read_lines(arg(args, "input", None)):
        c.update(w for w in words(l.lower()) if len(w) > 1)
    return {"counts.csv": csv_text(["key", "value"], keyed(c))}


def ref_wordcount_stdout(d, args):
    text = ref_wordcount_csv(d, args)["counts.csv"]
    return {"stdout.csv": text}


def collatz_steps(x):
    c = 0
    while x > 1:
        x = x // 2 if x % 2 == 0 else 3 * x + 1
        c += 1
    return c


def ref_collatz(d, args):
    n = int(arg(args, "n", "3000"))
    return {"stdout": lines([max((collatz_steps(x), x) for x in range(1, n))])}


def ref_chains(d, args):
    n = int(arg(args, "n", "5000"))
    chain = []
    for x in range(n):
        x = x * 3 + 1
        if x % 2 != 0:
            continue
        for y in (x, cdiv(x, 2), -x):
            if cmod(y, 5) != 0:
                chain.append((y, cmod(y, 7)))
    strs = [str(x) + "!" for x in range(n) if x % 3 == 0]
    strs = [s for s in strs if not s.endswith("3!")]
    flat = sum(x % 5 for x in range(n) if x % 2 == 0)
    s = sum(x // 3 for x in range(n) if x % 3 == 0)
    return {"chain.txt": lines(chain), "strs.txt": lines(strs),
            "flat_count.txt": lines([flat]), "sum.txt": lines([s])}


def ref_keyed(d, args):
    s = sales(d)
    g = group(s, lambda r: r["shop"])
    out = {}

    def put(name, f):
        out[name] = lines([(k, f(k, v)) for k, v in g.items()])

    put("count.txt", lambda k, v: len(v))
    put("sum_qty.txt", lambda k, v: sum(r["qty"] for r in v))
    put("sum_amount.txt", lambda k, v: sum(r["amount"] for r in v))
    put("min.txt", lambda k, v: (lambda r: (r["id"], r["amount"]))(
        min(v, key=lambda r: (r["amount"], r["id"]))))
    put("max.txt", lambda k, v: max(v, key=lambda r: (r["qty"], r["id"]))["id"])
    put("avg.txt", lambda k, v: sum(r["amount"] for r in v) / len(v))
    put("fold.txt", lambda k, v: (len(v), max(r["qty"] for r in v)))
    put("reduce.txt", lambda k, v: max(v, key=lambda r: (r["amount"], r["id"]))["id"])
    put("fold_assoc.txt", lambda k, v: (len(v), sum(r["qty"] for r in v)))
    put("reduce_assoc.txt", lambda k, v: sum(r["qty"] for r in v))
    fms = {}
    for k, v in g.items():
        vs = [len(k) * r["qty"] for r in v if r["qty"] > 10 and k != "east"]
        if vs:
            fms[k] = sum(vs)
    out["filter_map_sum.txt"] = lines(keyed(fms))
    fc = {}
    for k, v in g.items():
        c = sum((r["qty"] % 3) for r in v if r["item"].startswith("p"))
        if c:
            fc[k] = c
    out["flat_count.txt"] = lines(keyed(fc))
    out["pairs.txt"] = lines([(r["shop"], r["shop"] + ":" + r["item"]) for r in s])
    return out


def ref_keyed2(d, args):
    n = int(arg(args, "n", "20000"))
    xs = range(n)
    out = {}

    def agg(name, key, f, data=xs):
        g = group(data, key)
        out[name] = lines([(k, f(v)) for k, v in g.items()])

    agg("mod_sum.txt", lambda x: x % 17, sum)
    agg("tuple_count.txt", lambda x: (x % 3, x % 4 == 0), len)
    agg("gb_count.txt", lambda x: x % 10, len)
    agg("gb_sum.txt", lambda x: x % 7, lambda v: sum(2 * x for x in v))
    agg("gb_reduce.txt", lambda x: x % 9, max)
    agg("gb_fold.txt", lambda x: x % 5, lambda v: sum(x % 11 for x in v))
    agg("gb_fold_vec.txt", lambda x: x % 4, lambda v: sorted(v), range(300))
    vk = collections.Counter((x % 3, x % 2) for x in range(1000))   # keys [x % 3, x % 2]
    out["vec_key.txt"] = lines([(list(k), c) for k, c in vk.items()])
    ok = collections.Counter(-1 if x % 4 == 0 else x % 3 for x in range(1000))
    out["opt_key.txt"] = lines([(NONE if k < 0 else Opt(k), c) for k, c in ok.items()])
    mk = collections.Counter((str(x % 4), x % 2 == 0, str(x % 3)) for x in range(1000))
    out["mixed_key.txt"] = lines([((a, b, [c]), n) for (a, b, c), n in mk.items()])
    s = sales(d)
    agg("gb_avg.txt", lambda r: r["item"], lambda v: sum(r["amount"] for r in v) / len(v), s)
    agg("gb_avg_qty.txt", lambda r: r["item"], lambda v: sum(r["qty"] for r in v) / len(v), s)
    return out


def ref_whole(d, args):
    n = int(arg(args, "n", "30000"))
    xs = range(n)
    s = sales(d)

    def red(a, b):
        if a % 977 > b % 977:
            return a
        if a % 977 < b % 977:
            return b
        return min(a, b)

    r = xs[0]
    for x in xs[1:]:
        r = red(r, x)
    out = {
        "count.txt": [n],
        "sum_sq.txt": [sum(x * x for x in xs)],
        "min.txt": [min(xs, key=lambda x: (x - 12345) ** 2)],
        "max.txt": [max(xs, key=lambda x: (x % 1000 * n - x, -x))],
        "avg.txt": [sum(xs) / n],
        "fold.txt": [sum(x % 13 for x in xs)],
        "reduce.txt": [r],
        "fold_assoc.txt": [max(x * 7919 % 10007 for x in xs)],
        "fold_assoc_str.txt": [len([x for x in xs if x % 1000 == 0])],
        "reduce_assoc.txt": [max((x % 101, -x) for x in xs)],
        "empty_count.txt": [0],
        "empty_sum.txt": [0],
        "empty_fold.txt": [5],
        "empty_reduce.txt": [0],
        "empty_max.txt": [],
        "sales_sum.txt": [sum(r["amount"] for r in s)],
        "sales_max.txt": [(lambda r: (r["id"], r["shop"], r["amount"]))(
            max(s, key=lambda r: (r["amount"], r["id"])))],
        "sales_min.txt": [min(s, key=lambda r: (r["qty"], -r["id"]))["id"]],
        "sales_avg.txt": [sum(r["qty"] for r in s) / len(s)],
        "sales_figs.txt": [len([r for r in s if r["item"] == "fig"])],
    }
    return {k: lines(v) for k, v in out.items()}


def ref_whole_tuple(d, args):
    n = int(arg(args, "n", "30000"))
    xs = range(n)
    return {
        "fold_assoc.txt": lines([(n, sum(xs), max(x % 1001 for x in xs))]),
        "fold.txt": lines([(sum(x % 2 for x in xs), sum(x % 7 for x in xs))]),
        "fold_vec.txt": lines([[-1] + [x for x in range(100) if x % 9 == 0]]),
        "fold_record.txt": lines([(sum(range(100)), 100)]),
    }


def ref_keys(d, args):
    n = int(arg(args, "n", "10000"))
    s = sales(d)
    out = {}
    g = group(s, lambda r: r["shop"])
    out["unkey_map.txt"] = lines([k + "=" + str(sum(r["qty"] for r in v)) for k, v in g.items()])
    g = group(s, lambda r: r["item"])
    out["unkey_swap.txt"] = lines([(len(v), k) for k, v in g.items()])
    g = group(range(n), lambda x: x % 13)
    out["key_by_sum.txt"] = lines([(k, sum(x * k for x in v)) for k, v in g.items()])
    out["key_by_map.txt"] = lines([(x % 6, x + x % 6) for x in range(n) if x % 2 == (x % 6) % 2])
    out["shuffle.txt"] = lines([x * 7 % 1000 for x in range(n) if x * 7 % 1000 < 500])
    out["shuffle_count.txt"] = lines([n])
    g = group(s, lambda r: r["qty"])
    out["shuffle_group.txt"] = lines([(k, len(v)) for k, v in g.items()])
    return out


def ref_merge(d, args):
    ls = read_lines(os.path.join(d, "words.txt")) + read_lines(os.path.join(d, "words2.txt"))
    c = collections.Counter()
    for l in ls:
        c.update(w.lower() for w in words(l))
    l2 = [l for l in read_lines(os.path.join(d, "words2.txt")) if len(l) > 40]
    return {"merged_counts.txt": lines(keyed(c)),
            "merged_lines.txt": lines([str(x) for x in range(1000)] + l2),
            "merged_sum.txt": lines([sum(range(500)) - sum(range(1000, 1300))])}


def ref_let2(d, args):
    ws = [w for l in read_lines(os.path.join(d, "words.txt")) for w in words(l.lower())]
    c = collections.Counter(w for w in ws if len(w) >= 5)
    return {"total.txt": lines([len(ws)]), "long.csv": csv_text(["key", "value"], keyed(c))}


def ref_csv(d, args):
    out = {}
    rows = read_csv(os.path.join(d, "quoted.csv"), sep=";")
    recs = [dict(name=r[0], note=r[1], n=int(r[2]), score=float(r[3]), ok=r[4] == "true")
            for r in rows]
    out["quoted.txt"] = lines(["[" + r["name"] + "|" + r["note"] + "|" + fmt(r["n"]) + "|" +
                               fmt(r["score"]) + "|" + fmt(r["ok"]) + "]" for r in recs])
    g = group(recs, lambda r: r["ok"])
    out["quoted_sum.txt"] = lines([(k, sum(r["n"] for r in v)) for k, v in g.items()])
    rows = read_csv(os.path.join(d, "pairs.tsv"), sep="\t", header=False)
    g = group(rows, lambda r: r[0])
    out["pairs.txt"] = lines([(k, sum(int(r[1]) for r in v)) for k, v in g.items()])
    rows = read_csv(os.path.join(d, "readings.csv"))
    out["readings.txt"] = lines([(r[0], r[1] != "", int(r[2]) if r[2] else -1) for r in rows])
    out["readings_sum.txt"] = lines([sum(round(float(r[1]) * 1000.0) for r in rows if r[1])])
    ids = []
    for r in read_csv(os.path.join(d, "skip.csv")):
        try:
            if len(r) == 5:
                int(r[0]), float(r[3]), int(r[4])
                ids.append(int(r[0]))
        except ValueError:
            pass
    out["skip.txt"] = lines(ids)
    rows = read_csv(os.path.join(d, "multiline.csv"))
    out["multiline.txt"] = lines([(int(r[0]), len(r[1]), len(r[1].split("\n")), int(r[2]),
                                   "\r" in r[1]) for r in rows])
    return out


def ref_lines(d, args):
    out = {}
    for name in ("crlf.txt", "blank.txt", "empty.txt", "words2.txt"):
        ls = read_lines(os.path.join(d, name))
        out[name] = lines([(len(l), "<" + l + ">") for l in ls])
        out[name.replace(".txt", "_count.txt")] = lines([len(ls)])
    ls = read_lines(os.path.join(d, "long.txt"))
    out["long.txt"] = lines([(len(l), len(words(l)), l[:20]) for l in ls])
    out["long_count.txt"] = lines([len(ls)])
    return out


def ref_sinks(d, args):
    s = sales(d)
    out = {}
    out["records.csv"] = csv_text(
        ["shop", "label", "total", "big"],
        [(r["shop"], r["item"] + ', "' + str(r["id"]) + '"', r["amount"], r["amount"] > 500.0)
         for r in s if r["qty"] > 15])
    out["tuples.csv"] = csv_text(
        ["_0._0", "_0._1", "_1", "_2"],
        [(x, x % 3, NONE if x % 4 == 0 else Opt(x * 2),
          "multi\nline %d" % x if x % 50 == 0 else "cr\r%d" % x if x % 70 == 0 else "v%d" % x)
         for x in range(1000)])
    g = group(range(5000), lambda x: x % 37)
    out["keyed.csv"] = csv_text(["key", "value"], [(k, len(v)) for k, v in g.items()])
    sel = [x for x in range(3000) if x % 7 == 3]
    out["lines.txt"] = lines(["line " + str(x) for x in sel])
    out["count.txt"] = lines([len(sel)])
    out["zero.txt"] = lines([0])
    out["stdout"] = lines([(x, x * x) for x in range(100)] + ["wl %d" % x for x in range(50)])
    return out


def ref_params(d, args):
    n = int(arg(args, "n", "5").replace("_", ""), 0)
    tag = arg(args, "tag", "default")
    loud = arg(args, "loud", "false") == "true"
    scale = float(arg(args, "scale", "1.0"))
    use_file = arg(args, "use_file", "false") == "true"
    rows = [(tag + "-" + str(x), tag.upper() if loud else tag.lower(),
             round_half_away(x * scale * 100.0) / 100.0) for x in range(n)]
    c = len(read_lines(arg(args, "input", None))) if use_file else 0
    return {"stdout": lines(rows + ["lines " + str(c)])}


def round_half_away(x):
    import math
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def ref_strings(d, args):
    ls = read_lines(os.path.join(d, "words.txt"))
    out = {}
    props = []
    for l in ls:
        t = trim(l)
        ws = words(l)
        props.append((len(l), len(t), t.lower() == t, substr(t, 2, 5).upper(), len(l.split(",")),
                      len(ws), "Beta" in l, t.startswith("the"), t.endswith(";"),
                      str(len(ws)) + "w"))
    out["props.txt"] = lines(props)
    parts = ["<" + trim(p) + ">" for l in ls for p in l.split(";")]
    out["split.txt"] = lines([p for p in parts if p != "<>"])
    case = [(w, w.lower(), w.upper(), substr(w, 1, 100), substr(w, 10, 2))
            for l in ls for w in words(l) if w.lower() != w]
    out["case.txt"] = lines(case)
    ns = read_lines(os.path.join(d, "nums.txt"))
    out["parse.txt"] = lines([(parse_i64(l), parse_i64(trim(l)), parse_f64(trim(l)).is_some())
                              for l in ns])
    with open(os.path.join(d, "utf8.txt"), "rb") as f:
        ub = f.read().split(b"\n")[:-1]
    u = []
    for l in ub:  # bytes, shown as latin-1 text and written back as the same bytes
        t = (len(l), l.upper(), l.lower(), re.findall(rb"[A-Za-z0-9]+", l), l[1:4],
             len(l.split(b"\xc3\xb6")))
        u.append(tuple([x.decode("latin-1") if isinstance(x, bytes) else
                        [w.decode("latin-1") for w in x] if isinstance(x, list) else x
                        for x in t]))
    out["utf8.txt"] = lines(u).encode("latin-1")
    out["escapes.txt"] = lines([(s, len(s), str(len(s)) + "\n")
                                for s in ["tab\there", 'q"uote', "hexAB", "back\\slash", "cr\rlf"]])
    vs = [parse_i64(trim(l)) for l in ns]
    out["to_str.txt"] = lines([str(v.v[0]) + "|" + str(-v.v[0]) + "|" + str(len(str(v.v[0])))
                               for v in vs if v.is_some()])
    return out


def ref_vectors(d, args):
    n = int(arg(args, "n", "2000"))
    basic = []
    for x in range(n):
        v = [(i * 7 + x) % 11 for i in range(x % 9 + 1)]
        acc = 0
        for e in v:
            acc = acc * 3 + e
        amin = min(range(len(v)), key=lambda i: (v[i], i))
        amax = min(range(len(v)), key=lambda i: (v[i] * v[i], i))  # argmax of -e*e
        basic.append((x, v, len(v), v[0], sum(v), acc, amin, amax))
    ops = []
    for x in range(n):
        v = list(range(x % 5, x % 5 + x % 7 + 1))
        f = [x] * (x % 4 + 1)
        upd = list(f)
        upd[0] *= 10
        st = list(v)
        st[0] = 99
        row = (x, v + f, v + [x, -1], (x % 6) in v, v[1:4], v[x % 9:x % 9 + 100], upd, st,
               sorted(v, key=lambda e: -e), [a * 100 + b for a, b in zip(v, f)])
        if x % 3 != 0 or x < 30:
            ops.append(row)
    ss = sum(e for x in range(n) for e in sorted([x % 13, x % 7, x % 5, x % 3]) if e > 1)
    strs = ["".join(str(i) for i in range(x % 20)) for x in range(n)]
    sorts = []
    for x in range(n):
        ps = [((i * x) % 3, "e" + str(i)) for i in range(x % 8)]
        amax = max(range(len(ps)), key=lambda i: (ps[i][0], -i)) if ps else -1
        amin = min(range(len(ps)), key=lambda i: (-ps[i][0], i)) if ps else -1
        sorts.append((x, sorted(ps, key=lambda p: p[0]), sorted(p[1] for p in ps), sorted(ps),
                      -1, -1, amax, amin, ["z"] * (x % 3), 0, False))
    def arg_best(keys, better):   # the first of equals; a NaN first element wins, another never
        best, bk = -1, None
        for i, k in enumerate(keys):
            if i == 0 or better(k, bk):
                best, bk = i, k
        return best
    lt, gt = (lambda a, b: a < b), (lambda a, b: a > b)
    args = []
    for x in range(n):
        v = [float((i * 13 + x) % 17) for i in range(x % 41)]
        w = [math.nan if f == 3.0 else math.inf if f == 5.0 else f for f in v]
        u = [(i * 7 + x) % 5 for i in range(x % 37)]
        args.append((x, arg_best(v, lt), arg_best(v, gt), arg_best(w, lt), arg_best(w, gt),
                     arg_best([-f for f in w], lt), arg_best(u, lt), arg_best(u, gt)))
    return {"sorts.txt": lines(sorts), "args.txt": lines(args),
            "basic.txt": lines(basic), "ops.txt": lines(ops), "sort_sum.txt": lines([ss]),
            "strs.txt": lines([s for s in strs if len(s) > 5])}


def ref_options(d, args):
    ns = read_lines(os.path.join(d, "nums.txt"))
    fixed = []
    for l in ns:
        o = parse_i64(trim(l))
        if not o.is_some():
            o = Opt(0)
        fixed.append((o.is_some(), cmod(o.unwrap_or(-1), 1000)))
    big = []
    for l in ns:
        o = parse_i64(l)
        b = Opt(cdiv(o.unwrap_or(0), 1000)) if o.unwrap_or(0) > 1000 else NONE
        big.append((not o.is_some(), b, o == NONE, b.is_some() == (o.unwrap_or(0) > 1000)))
    even = [v for v in (parse_i64(l) for l in ns) if v.is_some() and v.v[0] % 2 == 0]
    return {"fixed.txt": lines(fixed), "big.txt": lines(big), "even.txt": lines([len(even)])}


def ref_dates(d, args):
    ls = read_lines(os.path.join(d, "dates.txt"))
    parts = []
    for l in ls:
        t = parse_date(l)
        if t.is_some():
            v = t.v[0]
            parts.append((l, v, format_date(v), format_date(v, "%d/%m/%Y %H.%M")) + date_parts(v))
        else:
            parts.append((l, -1, "none", "", 0, 0, 0, 0, 0, 0, 0, 0))
    rt = []
    for l in ls:
        t = parse_date(l)
        if t.is_some():
            s = format_date(t.v[0], "%d/%m/%Y %H:%M")
            rt.append((s, parse_date(s, "%d/%m/%Y %H:%M")))
    gen = []
    for i in range(500):
        t = i * 86400000 * 37 + i * 3600123
        gen.append((t, format_date(t, "%Y%m%d-%H%M%S"), date_parts(t)[6],
                    date_parts(t + 86400000)[7]))
    return {"parts.txt": lines(parts), "roundtrip.txt": lines(rt), "generated.txt": lines(gen)}


def ref_records(d, args):
    n = int(arg(args, "n", "3000"))
    segs = []
    for i in range(n):
        a = (i % 17, i % 5)
        b = (i % 3, -(i % 11))
        dist = abs(a[0] - b[0]) + abs(a[1] - b[1])
        m = (cdiv(a[0] + b[0], 2), cdiv(a[1] + b[1], 2))
        if dist > 3 and a != b:
            segs.append("s%d %d %d %s" % (i, dist, m[0] + m[1], fmt(m == (0, 0))))

    def fib(k):
        a, b = 0, 1
        for _ in range(k):
            a, b = b, a + b
        return a

    import math
    fns = [(k, fib(k), (k * 7) % 2 == 0, math.gcd(k, 60)) for k in range(25)]
    tail = [sum(range(1_000_001 + k)) for k in range(4)]
    squares = [x * x for x in range(n) if x * x % 10 == 6]
    blocks = 0
    for i in range(n):
        q, r = i // 7, (2 * i) % 7
        blocks += q * 100 + r + 3 * i
    g = collections.Counter((i % 23, i % 19) for i in range(n))
    rk = [(p[0], p[1], c) for p, c in g.items() if p[0] == p[1] or c > 7]
    trees = [(x, sum(3 ** i for i in range(x + 1)), x + 1, 3 if x else 0, "n%d" % x if x else "leaf")
             for x in range(6)]
    return {"trees.txt": lines(trees),
            "segs.txt": lines(segs), "fns.txt": lines(fns), "tail.txt": lines(tail),
            "squares.txt": lines(squares), "blocks.txt": lines([blocks]),
            "record_keys.txt": lines(rk)}


def ref_sources(d, args):
    n = int(arg(args, "n", "4000"))
    return {
        "generate.txt": lines([(i, i * i % 1009) for i in range(n) if i * i % 1009 < 100]),
        "from.txt": lines([(s, len(s)) for s in ["alpha", "beta", "gamma", "delta", "epsilon"]]),
        "from_seq.txt": lines([3 * sum(range(n))]),
        "range_neg.txt": lines([x for x in range(-50, 50) if cmod(x, 7) == 0]),
    }


def wrap(x):
    """x as a 64-bit two's complement integer."""
    x &= (1 << 64) - 1
    return x - (1 << 64) if x >= 1 << 63 else x


def ref_math(d, args):
    import math
    n = int(arg(args, "n", "3000"))
    ints = []
    for x in range(-n, n):
        if cmod(x, 7) == 0 or cmod(x, 11) == 0:
            ints.append((x, abs(x), cdiv(x, 7), cmod(x, 7), cdiv(-x, 3), min(x, 100), max(x, -100),
                         x & 0xff, x | 6, x ^ 0x5555, wrap(x << 3),
                         (x & ((1 << 64) - 1)) >> 60, (x & ((1 << 64) - 1)) >> 1,
                         wrap(1 << (cmod(x, 64) & 63))))
    floats = []
    for x in range(-n, n):
        if cmod(x, 13) == 0:
            f = x / 8.0
            floats.append((x, abs(f), float(math.floor(f)), float(math.ceil(f)),
                           float(round_half_away(f)), round_half_away(f * 2.0) / 2.0,
                           int(f * 3.7), math.sqrt(abs(f)), 2.0 ** (f / 100.0), math.exp(f / 1000.0),
                           math.log(abs(f) + 1.0), min(f, 1.5), max(f, -1.5)))
    ordered = [(min((x % 5, "b"), (x % 3, "a")), max(x % 4 == 0, x % 6 == 0),
                min("x" + str(x % 10), "x5")) for x in range(n)]
    facts = [(x, (cdiv(x, 4), cmod(x, 4)), cdiv(x, 2) if x <= -1 else cmod(x, 8),
              cmod(x, 2) == 0 if x >= 0 else cmod(x, 2) != 0, cdiv(x, 2) if x == 5 else cdiv(x, 16),
              cmod(x, 32) if x < 3 else cdiv(x, 32)) for x in range(-n, n)]
    return {"ints.txt": lines(ints), "floats.txt": lines(floats), "ordered.txt": lines(ordered),
            "facts.txt": lines(facts)}


def ref_csv_keys(d, args):
    segs = [(i, i % 7, -i, i // 3, "s" + str(i)) for i in range(500)]
    g = group(range(500), lambda i: i % 9)
    kr = [(k, k, max(v)) for k, v in g.items()]
    g = group(range(500), lambda i: (i % 4, "k" + str(i % 3)))
    tk = [(k[0], k[1], len(v)) for k, v in g.items()]
    P = lambda x, y: Rec("Point", x=x, y=y)
    st = [Rec("Seg", a=P(i, 0), b=P(0, i), name="n") for i in range(3)]
    return {"segs.csv": csv_text(["a.x", "a.y", "b.x", "b.y", "name"], segs),
            "keyed_record.csv": csv_text(["key", "x", "y"], kr),
            "tuple_key.csv": csv_text(["key._0", "key._1", "value"], tk),
            "segs.txt": lines(st)}


def ref_stress(d, args):
    n = int(arg(args, "n", "200000"))
    c = collections.Counter(x % 50021 for x in range(n))
    sc = collections.Counter("key-%d-%d" % (x % 7919, x % 3) for x in range(n))
    sf = {}
    vf = {}
    for x in range(n):
        sf.setdefault(x % 10, 0)
        if x % 997 == 0:
            sf[x % 10] += len("v%d," % x)
        if x % 3 == 0:
            vf.setdefault(x % 10, []).append(x)
    return {"keys.txt": lines([len(c)]),
            "keys_sum.txt": lines([sum(k * v for k, v in c.items())]),
            "str_keys.txt": lines([len(sc)]),
            "str_keys_sum.txt": lines([sum(len(k) * v + v * v for k, v in sc.items())]),
            "str_fold.txt": lines(keyed(sf)),
            "flat.txt": lines([sum(x % 100 for x in range(20000))]),
            "shuffled_strs.txt": lines([str(x) * 2 for x in range(n) if str(x).endswith("77")])}


def ref_fold_push(d, args):
    n = int(arg(args, "n", "200000"))
    xs = range(n)
    half = range(n // 2)
    thirds = [x for x in half if x % 3 == 0]
    g = group(xs, lambda x: x % 10)
    return {"whole.txt": lines([(n // 2, sum(half) % 1000003, n // 2 - 1)]),
            "whole_if.txt": lines([(len(thirds), sum(thirds) % 1000003)]),
            "keyed.txt": lines([(k, (len(v), sum(v), min(v))) for k, v in g.items()]),
            "keyed_assoc.txt": lines([(k, (len(v), sum(v))) for k, v in g.items()]),
            "group_by_fold.txt": lines([(k, (len(v), max(v))) for k, v in g.items()])}


def ref_graphs(d, args):
    n = int(arg(args, "n", "10000"))
    xs = range(n)
    c7 = collections.Counter(x % 7 for x in xs)
    c100 = collections.Counter(x % 100 for x in xs)
    s13 = collections.Counter()
    for x in xs:
        s13[x % 13] += x
    return {"diamond_count.txt": lines([n + len([x for x in xs if x % 3 == 0])]),
            "self_merge.txt": lines([2 * sum(x % 10 for x in xs)]),
            "all.txt": lines([str(x) for x in xs]),
            "merge3.txt": lines([k * c for k, c in c7.items()] + list(range(10)) + list(range(5))),
            "count_of_counts.txt": lines(keyed(collections.Counter(c100.values()))),
            "agg_sum.txt": lines([sum(v % 1000 for v in s13.values())])}


def ref_joins(d, args):
    n = int(arg(args, "n", "20000"))
    counts = collections.Counter(i % 97 for i in range(n))
    names = {k: "k%d" % k for k in range(150)}
    inner = [(i, counts[i % 97]) for i in range(n)]
    left = [(k, str(k * 2), k in names, k if k in names else -1, names.get(k, "-")) for k in range(200)]
    outer = [(k, k if k in names else -1, names.get(k, "-")) for k in range(100, 300)]
    outer += [(-1, k, names[k]) for k in range(100) if k in names]
    return {"inner.csv": csv_text(["_0", "_1"], inner),
            "left.csv": csv_text(["_0", "_1", "_2", "_3._0", "_3._1"], left),
            "outer.csv": csv_text(["_0", "_1._0", "_1._1"], outer)}


def ref_nested(d, args):
    return {
        "from_nested.txt": lines(["x3", "y7"]),
        "vec_vec.txt": lines([[[x, x], [x + 1]] for x in range(3)]),
        "vec_nested_tuple.txt": lines([[(x, (x * 2, 1))] for x in range(3)]),
    }


def ref_fail_late_ok(d, args):
    return {"good.csv": csv_text(["_0", "_1"], [(x, x * x) for x in range(100)]),
            "good.txt": lines(range(100)),
            "bad.csv": csv_text(["value"], [(x,) for x in range(2000)])}


def ref_inspect(d, args):
    return {"counts.txt": lines([3])}


def ref_empty(d, args):
    return {"stdout": ""}




def ref_order_scan(d, args):
    n = int(arg(args, "n", "3000"))
    xs = range(n)
    # keys made by one flat_map call each: the scan sees each vector in order
    flat = [(x, (i, i - 1)) for x in xs for i in range(x % 23 + 1)]
    # after limit, each key's elements in source order: (x, how many before, the one before)
    limit_keyed, seen, last = [], collections.Counter(), {}
    for x in xs:
        k = x % 7
        limit_keyed.append((k, (x, seen[k], last.get(k, -1))))
        seen[k] += 1
        last[k] = x
    # plain scan after limit: the running sum before each element
    limit_plain, total = [], 0
    for x in xs:
        limit_plain.append((x, total))
        total += x
    # counts of the elements seen before each one, whatever the order
    sizes = collections.Counter(x % 7 for x in xs)
    return {"flat_map.txt": lines(flat),
            "limit_keyed.txt": lines(limit_keyed),
            "limit_plain.txt": lines(limit_plain),
            "plain_count.txt": lines(range(n)),
            "keyed_count.txt": lines([(k, i) for k, c in sizes.items() for i in range(c)])}


def ref_order_minmax(d, args):
    n = int(arg(args, "n", "5000"))
    xs = range(n)
    digits = group(xs, lambda x: x % 10)
    pairs = group([(x % 9, x % 9 * 3) for x in xs], lambda p: p[0] % 2)
    # Python's max and min give the first of equals, as one task in source order does
    first_max = {k: max(v, key=lambda x: x % 7) for k, v in digits.items()}
    first_min = {k: min(v, key=lambda x: x % 7) for k, v in digits.items()}
    return {
        "whole_max_f.txt": lines([max(x % 7 for x in xs)]),
        "whole_min_f.txt": lines([min(x % 7 for x in xs)]),
        "keyed_max_f.txt": lines([(k, max(x % 7 for x in v)) for k, v in digits.items()]),
        "keyed_min_f.txt": lines([(k, min(x % 7 for x in v)) for k, v in digits.items()]),
        "keyed_max_equal.txt": lines([(k, max(v, key=lambda p: p[0])) for k, v in pairs.items()]),
        "limit_whole_max.txt": lines([max(xs, key=lambda x: x % 7)]),
        "limit_whole_min.txt": lines([min(xs, key=lambda x: x % 7)]),
        "limit_keyed_max.txt": lines(keyed(first_max)),
        "limit_keyed_min.txt": lines(keyed(first_min)),
        "tiebreak_whole_max.txt": lines([max(xs, key=lambda x: (x % 7, -x))]),
        "tiebreak_keyed_max.txt": lines(keyed(first_max)),
        "tiebreak_keyed_min.txt": lines(keyed(first_min)),
    }


def ref_tuple_let(d, args):
    return {"out.txt": lines(["3 x 2.5"]), "pq.txt": lines(["(7, 3)"])}


def ref_phases(d, args):
    n = int(arg(args, "n", "5000"))
    xs = range(n)
    total, cnt, top = sum(xs), len(xs), max(xs)
    mean = total / cnt
    above = len([x for x in xs if x > mean])
    names = ["w%d" % (i * i) for i in range(5)]
    rows = [(x, total, cnt, top, above, 10, x % 10 == 3, names[x // 1000]) for x in xs if x % 1000 == 0]
    return {"phases.csv": csv_text(["_%d" % i for i in range(8)], rows),
            "mean.txt": lines(["%s %d" % (fmt(mean), above)]),
            "dups.txt": lines([0]),
            "lens.txt": lines([2 * sum(len("a%d" % x) for x in range(30000))])}


def ref_selfjoin(d, args):
    n = int(arg(args, "n", "20000"))
    per_key = collections.Counter(i % 1000 for i in range(n))
    counts = collections.Counter(i % 97 for i in range(n))
    return {"self.txt": lines([sum(c * c for c in per_key.values())]),
            "diamond.txt": lines([sum(i + counts[i % 97] for i in range(n))])}


def first_best(keys, better):
    """The index of the best key as a loop `if i == 0 or better(k, best)` finds it: the first
    of equals; a NaN first key wins, a later one never does; -1 for no keys."""
    bi = -1
    for i, k in enumerate(keys):
        if i == 0 or better(k, keys[bi]):
            bi = i
    return bi


def ref_argmin_rows(d, args):
    n = int(arg(args, "n", "1500"))
    nan = float("nan")
    lt, gt = (lambda a, b: a < b), (lambda a, b: a > b)
    xs = [float((i * 37) % 101) - 50.0 for i in range(n)]
    cs = [3.0, -7.0, 3.0, nan, -7.0, 12.5, 40.0, 12.5, -49.0]
    ties = [(first_best([abs(x - c) for c in cs], lt), first_best([abs(x - c) for c in cs], gt), x) for x in xs]
    o2 = [first_best([x - c for c in [nan, 1.0, -1.0]], lt) for x in xs]
    ps = [((i * 7) % 53, (i * 11) % 29) for i in range(n)]
    cents = [(0, 0), (50, 5), (10, 28), (30, 14), (0, 0)]
    counts = [0] * 5
    for (a, b) in ps:
        counts[first_best([(a - ca) ** 2 + (b - cb) ** 2 for (ca, cb) in cents], lt)] += 1
    return {"ties.txt": lines(ties), "nan_first.txt": lines([len(o2)]),
            "nan_first_other.txt": lines([sum(1 for i in o2 if i != 0)]),
            "empty.txt": lines([0]), "i64.txt": lines([counts])}


def ref_loops(d, args):
    n = int(arg(args, "n", "3000"))
    rounds = int(arg(args, "rounds", "6"))
    res = {}
    # 1. halve until nothing is left (or nothing changes)
    xs, st = list(range(1, n)), (0, n - 1)
    for _ in range(40):
        xs = [x // 2 for x in xs if x // 2 > 0]
        old, st = st, (st[0] + 1, len(xs))
        if st[1] == 0 or old[1] == st[1]:
            break
    res["halve_state.txt"] = lines([st])
    res["halve_rest.txt"] = lines([len(xs)])
    # 2. sums, `rounds` rounds
    xs, st = list(range(n)), 0
    for _ in range(rounds):
        xs = [(x + st) % 1000003 for x in xs]
        st = sum(xs)
    res["sum_state.txt"] = lines([st])
    res["sum_last.txt"] = lines([x for x in xs if x % 97 == 0])
    # 3. 1-d k-means after a phase
    pts = [((i * 7919) % 1009) / 10.0 + (i % 3) * 50.0 for i in range(n)]
    scale = max(pts)
    cs = pts[:3]
    for _ in range(50):
        acc = [(0.0, 0)] * 3
        for p in pts:
            dists = [abs(p - c) for c in cs]
            i = dists.index(min(dists))
            acc[i] = (acc[i][0] + p / scale, acc[i][1] + 1)
        new = [c if k == 0 else x * scale / k for c, (x, k) in zip(cs, acc)]
        old, cs = cs, new
        if old == new:
            break
    res["kmeans.txt"] = lines([sorted(cs)])
    # 4. reachability from 0, one hop per round
    edges = [(i % 500, (i * 31 + 7) % 500) for i in range(n)]
    reach, st = {0}, 1
    for _ in range(1000):
        reach = reach | {b for (a, b) in edges if a in reach}
        old, st = st, len(reach)
        if old == st:
            break
    res["reach_count.txt"] = lines([st])
    res["reach_nodes.txt"] = lines(sorted(reach))
    # 5. replay keeping its last output, then a loop on it
    st = 0
    for _ in range(3):
        outv = [x * 2 + st for x in range(100)]
        st = st + len(outv)
    res["replay_state.txt"] = lines([st])
    xs, st = outv, 0
    for _ in range(5):
        xs = [x + 1 for x in xs if x % 3 != 0]
        st = st * 1000 + len(xs)
    res["chained.txt"] = lines([st])
    # 6. values only
    m = len([x for x in range(n) if x % 7 == 0])
    res["values.txt"] = lines(["%d %d" % (m, sum(x * x for x in range(m)))])
    # 7. a block body
    hop = {x: (x * 7 + 1) % 20 for x in range(20)}
    seen, st = {0}, 1
    for _ in range(30):
        seen = seen | {hop[v] for v in seen}
        old, st = st, len(seen)
        if old == st:
            break
    res["block_body.txt"] = lines([st])
    return res


def iter_example(cmd, args, stdout="stdout"):
    """An iteration example's outputs, from scripts/ref_iter.py (its own Python reference):
    what it prints, and the files it writes (under the folder the test names with @O)."""
    import subprocess
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    i = args.index("--output") if "--output" in args else -1
    if i >= 0 and args[i + 1] != "-":
        os.makedirs(os.path.dirname(args[i + 1]) or ".", exist_ok=True)
    out = subprocess.run([sys.executable, os.path.join(root, "scripts", "ref_iter.py"), cmd] + args,
                         check=True, capture_output=True, text=True).stdout
    res = {stdout: out}
    if i >= 0 and args[i + 1] != "-":
        with open(args[i + 1]) as f:
            res[os.path.basename(args[i + 1])] = f.read()
        os.unlink(args[i + 1])
    return res


def ref_ex_kmeans(d, args):
    return iter_example("kmeans", args)


def ref_ex_pagerank(d, args):
    return iter_example("pagerank", args)


def ref_ex_cc(d, args):
    return iter_example("cc", args, "stdout.csv")


def ref_ex_tc(d, args):
    return iter_example("tc", args)


def ref_zip(d, args):
    n = int(arg(args, "n", "20000"))
    a = list(range(n))
    b = [x * 3 for x in range(n // 2)]
    filt = [x for x in a if x % 7 == 3 or x > n - 50]
    lines_ = read_lines(os.path.join(d, "words.txt"))
    return {"ab.txt": lines([x * 1000000 + y for x, y in zip(a, b)]),
            "filtered.csv": csv_text(["_0", "_1"], list(zip(filt, a))),
            "self.txt": lines([0]),
            "lines.txt": lines(["%d:%s" % (i, l) for i, l in zip(range(1, n), lines_)])}


def ref_parallel(d, args):
    n = int(arg(args, "n", "20000"))
    digits = collections.Counter(x % 10 for x in range(n))
    counts = collections.Counter(w for l in read_lines(os.path.join(d, "words.txt")) for w in words(l.lower()))
    return {"digits.csv": csv_text(["_0", "_1"], sorted(digits.items())),
            "sum.txt": lines([sum(2 * x for x in range(n))]),
            "words.csv": csv_text(["_0", "_1"], sorted(counts.items())),
            "first.txt": lines(list(range(10)))}


# ---- windows (windows.flow) ----

def win_agg(name, elems, tkey):
    """The value of window aggregation `name` over elems (rows (key, ts, v)); tkey: an element's time."""
    vs = [e[2] for e in elems]
    if name == "count":
        return str(len(elems))
    if name == "sum":
        return str(sum(vs))
    if name == "avg":
        return ffmt(float(sum(vs)) / float(len(vs)))
    if name in ("min", "max", "reduce"):
        return str(min(vs) if name == "min" else max(vs))
    if name == "fold":
        return str(2 * sum(vs))
    if name in ("first", "last"):
        pick = min if name == "first" else max
        return str(pick(elems, key=tkey)[2])
    return "".join(" " + str(v) for v in sorted(vs))


def win_tumbling(elems, t, size, slide=None):
    """Time windows [s, s + size), s a multiple of slide: (start, end, elements) with elements."""
    slide = slide or size
    wins = collections.defaultdict(list)
    for e in elems:
        s = (t(e) - size) // slide * slide + slide
        while s <= t(e):
            wins[s].append(e)
            s += slide
    return [(s, s + size, es) for s, es in wins.items()]


def win_session(elems, t, gap):
    out, cur = [], []
    for e in sorted(elems, key=t):
        if cur and t(e) - t(cur[-1]) >= gap:
            out.append((t(cur[0]), t(cur[-1]) + gap, cur))
            cur = []
        cur.append(e)
    if cur:
        out.append((t(cur[0]), t(cur[-1]) + gap, cur))
    return out


def win_count(elems, t, n, slide):
    es = sorted(elems, key=t)
    out = []
    for s in range(0, len(es), slide):
        part = es[s:s + n]
        out.append((s, s + len(part), part))
    return out


def win_txn(elems, t, after):
    """Transactions in time order: v % 7 commits, v % 11 commits `after` later, v % 50 discards."""
    out, cur, start, end, due = [], [], 0, 0, None
    for pos, e in enumerate(sorted(elems, key=t)):
        if due is not None and t(e) >= due and cur:
            out.append((start, end, cur))
            cur, due = [], None
        v = e[2]
        if v % 7 != 0 and v % 11 != 0 and v % 50 == 0:
            cur, due = [], None
            continue
        if not cur:
            start = pos
        cur.append(e)
        end = pos + 1
        if v % 7 == 0:
            out.append((start, end, cur))
            cur, due = [], None
        elif v % 11 == 0 and (due is None or t(e) + after < due):
            due = t(e) + after
    if due is not None and cur:
        out.append((start, end, cur))
    return out


def ref_windows(d, args):
    rows = []
    for i, r in enumerate(read_csv(os.path.join(d, "events.csv"))):
        rows.append((r[0], int(r[1]), int(r[2]), i + 2))   # key, ts, v, line
    late, on_time, top = [], [], None
    for r in rows:
        if top is not None and r[1] < top - 1000:
            late.append(r)
        else:
            on_time.append(r)
            top = r[1] if top is None else max(top, r[1])
    aggs = ["count", "sum", "avg", "min", "max", "fold", "reduce", "first", "last", "collect"]
    out = {"late.txt": lines(["%d,%d" % (r[1], r[2]) for r in late])}

    def cells(prefix, elems, t, wins, names, keyed):
        res = []
        groups = collections.defaultdict(list)
        for e in elems:
            groups[e[0] if keyed else "*"].append(e)
        for k, es in groups.items():
            for s, e_, ws in wins(es):
                for a in names:
                    res.append("%s_%s,%s,%d,%d,%s" % (prefix, a, k, s, e_, win_agg(a, ws, t)))
        return res

    ev_t = lambda e: e[1]
    kinds = {"count": lambda es: win_count(es, ev_t, 7, 3),
             "tumbling": lambda es: win_tumbling(es, ev_t, 2000),
             "sliding": lambda es: win_tumbling(es, ev_t, 3000, 1000),
             "session": lambda es: win_session(es, ev_t, 600),
             "txn": lambda es: win_txn(es, ev_t, 500)}
    for kind, wins in kinds.items():
        res = cells("ek_" + kind, on_time, ev_t, wins, aggs, True)
        res += cells("ea_" + kind, on_time, ev_t, wins, ["count", "collect"], False)
        out["event_%s.txt" % kind] = lines(res)
    pt = lambda e: e[3]
    kinds = {"tumbling": (rows, lambda es: win_tumbling(es, pt, 100)),
             "sliding": (rows, lambda es: win_tumbling(es, pt, 300, 100)),
             "session": ([r for r in rows if r[2] % 4 != 0], lambda es: win_session(es, pt, 2)),
             "txn": (rows, lambda es: win_txn(es, pt, 3))}
    for kind, (elems, wins) in kinds.items():
        res = cells("pa_" + kind, elems, pt, wins, aggs, False)
        res += cells("pk_" + kind, elems, pt, wins, ["count", "collect"], True)
        out["proc_%s.txt" % kind] = lines(res)
    return out


def ref_timejoins(d, args):
    rows = []
    for i, r in enumerate(read_csv(os.path.join(d, "events.csv"))):
        rows.append((r[0], int(r[1]), int(r[2]), i + 2))   # key, ts, v, line
    on_time, top = [], None
    for r in rows:
        if top is None or r[1] >= top - 1000:
            on_time.append(r)
            top = r[1] if top is None else max(top, r[1])

    def sides(elems):
        return [e for e in elems if e[2] % 2 == 1], [e for e in elems if e[2] % 2 == 0]

    def wjoin(what, elems, t, wins):
        out = []
        groups = collections.defaultdict(list)
        for e in elems:
            groups[e[0]].append(e)
        for k, es in groups.items():
            for _s, _e, ws in wins(es):
                left, right = sides(ws)
                out += ["%s,%s,%d,%d" % (what, k, l[2], r[2]) for l in left for r in right]
        return out

    et = lambda e: e[1]
    res = wjoin("tumbling", on_time, et, lambda es: win_tumbling(es, et, 2000))
    res += wjoin("sliding", on_time, et, lambda es: win_tumbling(es, et, 3000, 1000))
    res += wjoin("session", on_time, et, lambda es: win_session(es, et, 600))
    pt = lambda e: e[3]
    proc = wjoin("proc", rows, pt, lambda es: win_tumbling(es, pt, 100))
    left, right = sides(on_time)
    inter = ["interval,%s,%d,%d" % (l[0], l[2], r[2]) for l in left for r in right
             if l[0] == r[0] and l[1] - 300 <= r[1] <= l[1] + 500]
    return {"window_join.txt": lines(res), "window_join_proc.txt": lines(proc), "interval_join.txt": lines(inter)}


REFS = {name[4:]: f for name, f in globals().items() if name.startswith("ref_")}


def main():
    """Either TEST DATA EXPDIR [ARG...], or --batch DATA: then each line of standard input is
    `EXPDIR TEST ARG...` in shell quoting. Exits non-zero if a reference failed."""
    if sys.argv[1] == "--batch":
        import shlex
        import traceback
        data = sys.argv[2]
        status = 0
        for line in sys.stdin:
            expdir, test, *args = shlex.split(line)
            try:
                write(test, data, expdir, args)
            except Exception:
                status = 1
                print("ref.py: the reference %s failed:" % test, file=sys.stderr)
                traceback.print_exc()
                open(os.path.join(expdir, "REF-FAILED"), "w").close()
        return status
    test, data, expdir = sys.argv[1:4]
    write(test, data, expdir, sys.argv[4:])
    return 0


def write(test, data, expdir, args):
    os.makedirs(expdir, exist_ok=True)
    for name, text in REFS[test](data, args).items():
        if isinstance(text, bytes):
            with open(os.path.join(expdir, name), "wb") as f:
                f.write(text)
        else:
            with open(os.path.join(expdir, name), "w", newline="") as f:
                f.write(text)


if __name__ == "__main__":
    sys.exit(main())
