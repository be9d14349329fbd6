#!/usr/bin/env python3
"""tests/nexmark/nexmark_ref.py - an independent reference of the Nexmark generator of
stdlib/nexmark.flow and of the queries examples/nexmark_q0.flow .. nexmark_q8.flow.

    python3 tests/nexmark/nexmark_ref.py QUERY EVENTS [--param value ...] [--mask FILE]

QUERY is 0..8 (or q0..q8). Prints to standard output the CSV that examples/nexmark_qN.flow
writes with `--output -`: the header line, then the rows (in no particular order; compare
sorted). The params have the names and defaults of the .flow files: --events (the same as
EVENTS, which it overrides), --base_time, --inter_event_us, --skip, --category, --size,
--slide, --last_n.

Some rows depend on the order in which flowc sees equal elements (a documented freedom):
Q7's max() keeps the first of several bids with a window's highest price, Q6's keep_latest
keeps whichever of a seller's sales tie in closing time at the 10th place. This script picks
one answer for such rows; with --mask FILE it also writes one line per such row,
`PREFIX<TAB>COLUMNS`: the row's text up to and including the comma after its key columns
(unique among the rows), and the 1-based columns that do not depend on the order (a
comparison keeps only those columns of both sides' rows that start with PREFIX). The file is
empty when no row is ambiguous.

Arithmetic follows flowc's: i64 `+`, `-`, `*` wrap (two's complement), `/` truncates toward
zero and `%` takes the sign of the dividend (runtime/flowgen.h fl_div, fl_mod), `round` is C's
(half away from zero), `pow` is C's (python's float ** calls the C library's pow), `as i64`
truncates and saturates (fl_f2i), and f64 prints as the shortest %g text that reads back the
same (runtime/text.c flrt_fmt_f64).
"""
import math
import sys

M64 = 1 << 64
H64 = 1 << 63
MASK = M64 - 1


def wrap(x):
    """x as a two's complement i64."""
    x &= MASK
    return x - M64 if x >= H64 else x


def cdiv(a, b):
    """C's a / b on i64 (truncates toward zero; fl_div: x / -1 wraps)."""
    if b == 0:
        raise ZeroDivisionError("division by zero")
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    return wrap(q)


def cmod(a, b):
    """C's a % b on i64 (the sign of a; fl_mod: x % -1 is 0)."""
    if b == 0:
        raise ZeroDivisionError("division by zero (in %)")
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def c_round(x):
    """C's round(): half away from zero (python's round() rounds half to even)."""
    if x != x or x in (math.inf, -math.inf):
        return x
    a = abs(x)
    f = math.floor(a)
    if a - f >= 0.5:    # exact: a - floor(a) is representable
        f += 1.0
    return math.copysign(f, x)


def f2i(x):
    """fl_f2i: f64 to i64, truncating, saturating, NaN -> 0."""
    if x != x:
        return 0
    if x >= 9223372036854775807.0:
        return 9223372036854775807
    if x <= -9223372036854775808.0:
        return -9223372036854775808
    return int(x)


def fmt_f64(v):
    """flrt_fmt_f64: %.15g, %.16g or %.17g (from %.1g for subnormals), the first that reads
    back to v; nan as `nan`."""
    if v != v:
        return "nan"
    start = 1 if (v != 0.0 and abs(v) < 2.2250738585072014e-308) else 15
    s = ""
    for prec in range(start, 18):
        s = "%.*g" % (prec, v)
        if prec == 17 or float(s) == v:
            break
    return s


def csv_str(s):
    """fl_buf_csv_str: quoted (with "" for ") only when it holds , " \\n or \\r."""
    if any(c in s for c in ',"\n\r'):
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_field(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return fmt_f64(v)
    return csv_str(v)


def csv_row(vals):
    return ",".join(csv_field(v) for v in vals)


# ---- the generator (stdlib/nexmark.flow) ----

PERSON_PROPORTION = 1
AUCTION_PROPORTION = 3
TOTAL_PROPORTION = 50
FIRST_PERSON_ID = 1000
FIRST_AUCTION_ID = 1000
FIRST_CATEGORY_ID = 10
NUM_CATEGORIES = 5
ACTIVE_PEOPLE = 1000
IN_FLIGHT_AUCTIONS = 100
HOT_RATIO = 100

LETTERS = "abcdefghijklmnopqrstuvwxyz"
# nx_letter_pool(): 1024 letters, letter k the (((13 k^2 + 7 k + 3) mod 1009) mod 26)-th of the alphabet
POOL = "".join(LETTERS[(13 * k * k + 7 * k + 3) % 1009 % 26] for k in range(1024))
FIRST = ["Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"]
LAST = ["Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"]
CITIES = ["Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond",
          "Seattle", "Kent", "Cheyenne"]
STATES = ["AZ", "CA", "ID", "OR", "WA", "WY"]
CHANNELS = ["Google", "Facebook", "Baidu", "Apple"]

C_ADD = 1_442_695_040_888_963_407
C_MUL1 = 6_364_136_223_846_793_005
C_MUL2 = 2_685_821_657_736_338_717


def person_event(k):
    return wrap(k * TOTAL_PROPORTION)


def auction_event(k):
    return wrap(cdiv(k, AUCTION_PROPORTION) * TOTAL_PROPORTION + PERSON_PROPORTION
                + cmod(k, AUCTION_PROPORTION))


def bid_event(k):
    per_epoch = TOTAL_PROPORTION - PERSON_PROPORTION - AUCTION_PROPORTION
    return wrap(cdiv(k, per_epoch) * TOTAL_PROPORTION + PERSON_PROPORTION + AUCTION_PROPORTION
                + cmod(k, per_epoch))


def clamp(x, lo, hi):
    return min(max(x, lo), hi)


def num_persons(n):
    return wrap(cdiv(n, TOTAL_PROPORTION) * PERSON_PROPORTION
                + clamp(cmod(n, TOTAL_PROPORTION), 0, PERSON_PROPORTION))


def num_auctions(n):
    return wrap(cdiv(n, TOTAL_PROPORTION) * AUCTION_PROPORTION
                + clamp(cmod(n, TOTAL_PROPORTION) - PERSON_PROPORTION, 0, AUCTION_PROPORTION))


def num_bids(n):
    return wrap(n - num_persons(n) - num_auctions(n))


def last_person(i):
    return wrap(cdiv(i, TOTAL_PROPORTION) * PERSON_PROPORTION)


def last_auction(i):
    epoch = cdiv(i, TOTAL_PROPORTION)
    offset = cmod(i, TOTAL_PROPORTION)
    if offset < PERSON_PROPORTION:
        return wrap(epoch * AUCTION_PROPORTION - 1)
    return wrap(epoch * AUCTION_PROPORTION + min(offset - PERSON_PROPORTION, AUCTION_PROPORTION - 1))


def mix(x):
    """nx_mix: wrapping multiplications, the high half folded in by a truncating / 2^32."""
    a = ((x + C_ADD) * C_MUL1) & MASK
    if a >= H64:
        a -= M64
    a += (a >> 32) if a >= 0 else -((-a) >> 32)
    b = (a * C_MUL2) & MASK
    if b >= H64:
        b -= M64
    b += (b >> 32) if b >= 0 else -((-b) >> 32)
    b &= MASK
    return b - M64 if b >= H64 else b


def rand_mod(x, n):
    """nx_rand's tail: r = x % n (C), plus n when negative."""
    if n > 0:
        return x % n          # python's floored % is exactly C's % followed by `+ n if < 0`
    r = cmod(x, n)
    return r + n if r < 0 else r


class Ev:
    """The random draws of one event index i: nx_rand(i, salt, n) with mix(i) computed once."""
    __slots__ = ("i", "m")

    def __init__(self, i):
        self.i = i
        self.m = mix(i)

    def rand(self, salt, n):
        return rand_mod(mix(self.m + salt), n)

    def rand_f64(self, salt):
        return float(self.rand(salt, 1_000_000_007)) / 1_000_000_007.0

    def pick(self, v, salt):
        return v[self.rand(salt, len(v))]

    def letters(self, salt, n):
        # nx_letters(i, salt, n): n letters of the pool, from a place drawn with salt * 31
        at = self.rand(wrap(salt * 31), 1025 - n)
        return POOL[at:at + n]

    def string(self, salt, min_len, max_len):
        return self.letters(salt, min_len + self.rand(salt, max_len - min_len + 1))

    def extra(self, salt, n):
        return self.string(salt, cdiv(n, 2), n)

    def price(self, salt):
        return f2i(c_round(math.pow(10.0, self.rand_f64(salt) * 6.0) * 100.0))


class Gen:
    def __init__(self, p):
        self.events = p["events"]
        self.base_time = p["base_time"]
        self.inter_event_us = p["inter_event_us"]

    def time_of(self, i):
        return wrap(self.base_time + cdiv(wrap(i * self.inter_event_us), 1000))

    @staticmethod
    def next_person(e, salt):
        people = last_person(e.i) + 1
        active = min(people, ACTIVE_PEOPLE)
        return wrap(people - active + e.rand(salt, active + 10))

    @staticmethod
    def next_auction(e, salt):
        newest = last_auction(e.i)
        oldest = max(newest - IN_FLIGHT_AUCTIONS, 0)
        return wrap(oldest + e.rand(salt, newest - oldest + 1))

    @staticmethod
    def hot(x):
        return wrap(cdiv(x, HOT_RATIO) * HOT_RATIO)

    # Each record is a dict with the fields of the flow type (in that order).
    def person(self, i, full=True):
        e = Ev(i)
        p = {"id": wrap(last_person(i) + FIRST_PERSON_ID),
             "name": e.pick(FIRST, 1) + " " + e.pick(LAST, 2)}
        if full:
            p["email_address"] = e.string(3, 3, 9) + "@" + e.string(4, 3, 9) + ".com"
            p["credit_card"] = " ".join(str(1000 + e.rand(s, 9000)) for s in (5, 6, 7, 8))
        p["city"] = e.pick(CITIES, 9)
        p["state"] = e.pick(STATES, 10)
        p["date_time"] = self.time_of(i)
        if full:
            p["extra"] = e.extra(11, 20)
        return p

    def auction(self, i, full=True):
        e = Ev(i)
        seller = self.hot(last_person(i)) if e.rand(1, 4) > 0 else self.next_person(e, 2)
        initial = e.price(3)
        t = self.time_of(i)
        a = {"id": wrap(last_auction(i) + FIRST_AUCTION_ID)}
        if full:
            a["item_name"] = e.string(4, 5, 20)
            a["description"] = e.string(5, 20, 100)
        a["initial_bid"] = initial
        a["reserve"] = wrap(initial + e.price(6))
        a["date_time"] = t
        a["expires"] = wrap(t + 1000 + e.rand(7, 20_000))
        a["seller"] = wrap(seller + FIRST_PERSON_ID)
        a["category"] = FIRST_CATEGORY_ID + e.rand(8, NUM_CATEGORIES)
        if full:
            a["extra"] = e.extra(9, 20)
        return a

    def bid(self, i, full=True):
        e = Ev(i)
        c = e.rand(1, 4)
        auction = self.hot(last_auction(i)) if e.rand(2, 2) > 0 else self.next_auction(e, 3)
        bidder = self.hot(last_person(i)) if e.rand(4, 4) > 0 else self.next_person(e, 5)
        b = {"auction": wrap(auction + FIRST_AUCTION_ID),
             "bidder": wrap(bidder + FIRST_PERSON_ID),
             "price": e.price(6),
             "channel": CHANNELS[c]}
        if full:
            b["url"] = ("https://www.nexmark.com/" + e.string(7, 3, 8)
                        + "/item.htm?query=1&channel_id=" + str(c))
        b["date_time"] = self.time_of(i)
        if full:
            b["extra"] = e.extra(8, 20)
        return b

    # The streams: generate(n, f) is f(0) .. f(n-1) (nothing for n <= 0).
    def persons(self, full=True):
        return [self.person(person_event(k), full) for k in range(num_persons(self.events))]

    def auctions(self, full=True):
        return [self.auction(auction_event(k), full) for k in range(num_auctions(self.events))]

    def bids(self, full=True):
        return [self.bid(bid_event(k), full) for k in range(num_bids(self.events))]

    def winning_bids(self):
        """(auction, bid) per auction that sold: the bids on it while it was open at or above
        the reserve; the highest price, of equal prices the earliest (any of equal (price,
        time): the queries use only the price of the bid)."""
        by_id = {}
        for a in self.auctions(full=False):
            by_id.setdefault(a["id"], []).append(a)
        best = {}   # auction id -> ((price, -time), a, b); ids are unique, but stay general
        for b in self.bids(full=False):
            for a in by_id.get(b["auction"], ()):
                if a["date_time"] <= b["date_time"] < a["expires"] and b["price"] >= a["reserve"]:
                    k = (b["price"], -b["date_time"])
                    cur = best.get(a["id"])
                    if cur is None or k > cur[0]:
                        best[a["id"]] = (k, a, b)
        return [(a, b) for (_, a, b) in best.values()]


# ---- the queries ----

BID_FIELDS = ["auction", "bidder", "price", "channel", "url", "date_time", "extra"]


def floor_window(t, size):
    """The start of the tumbling window [k*size, (k+1)*size) holding t."""
    return (t // size) * size


def q0(g, p, out, mask):
    out.append(",".join(BID_FIELDS))
    for b in g.bids():
        out.append(csv_row(b[f] for f in BID_FIELDS))


def q1(g, p, out, mask):
    out.append(",".join(BID_FIELDS))
    for b in g.bids():
        b["price"] = cdiv(wrap(b["price"] * 89), 100)
        out.append(csv_row(b[f] for f in BID_FIELDS))


def q2(g, p, out, mask):
    out.append("auction,price")
    skip = p["skip"]
    for b in g.bids(full=False):
        if cmod(b["auction"], skip) == 0:
            out.append(csv_row((b["auction"], b["price"])))


def q3(g, p, out, mask):
    out.append("name,city,state,id")
    sellers = {}
    for pe in g.persons(full=False):
        if pe["state"] in ("OR", "ID", "CA"):
            sellers.setdefault(pe["id"], []).append(pe)
    for a in g.auctions(full=False):
        if a["category"] == p["category"]:
            for pe in sellers.get(a["seller"], ()):
                out.append(csv_row((pe["name"], pe["city"], pe["state"], a["id"])))


def q4(g, p, out, mask):
    out.append("category,avg_price")
    acc = {}
    for a, b in g.winning_bids():
        s = acc.setdefault(a["category"], [0.0, 0])
        s[0] += float(b["price"])      # f64 sums of integer prices: exact below 2^53
        s[1] += 1
    for cat, (total, n) in acc.items():
        out.append(csv_row((cat, total / float(n) / 100.0)))


def q5(g, p, out, mask):
    out.append("window_start,window_end,auction,bids")
    size, slide = p["size"], p["slide"]
    if size <= 0 or slide <= 0:
        raise SystemExit("nexmark_ref.py: size and slide must be positive")
    counts = {}   # (window start, auction) -> bids
    for b in g.bids(full=False):
        t = b["date_time"]
        s = (t // slide) * slide             # the latest window start at or before t
        while s > t - size:                  # every window [s, s + size) that holds t
            key = (s, b["auction"])
            counts[key] = counts.get(key, 0) + 1
            s -= slide
    # the HotItems, stamped with window_end - 1 and gathered per tumbling(slide) window
    groups = {}
    for (s, auction), n in counts.items():
        item = (s, s + size, auction, n)
        groups.setdefault(floor_window(s + size - 1, slide), []).append(item)
    for items in groups.values():
        most = 0
        for h in items:
            most = max(most, h[3])
        for h in items:
            if h[3] == most:
                out.append(csv_row(h))


def q6(g, p, out, mask):
    out.append("seller,avg_price")
    last_n = p["last_n"]
    sales = {}
    for a, b in g.winning_bids():
        sales.setdefault(a["seller"], []).append((a["expires"], b["price"]))
    for seller, ss in sales.items():
        # keep_latest keeps the last_n latest by closing time; which of equal closing times
        # at the cut stay depends on the order flowc sees them in
        ss.sort(key=lambda s: -s[0])
        kept = ss[:last_n] if last_n > 0 else []
        if 0 < last_n < len(ss) and ss[last_n - 1][0] == ss[last_n][0]:
            cut = ss[last_n - 1][0]
            if len({pr for (e, pr) in ss if e == cut}) > 1:
                mask.append((csv_field(seller) + ",", [1]))
        # (last_n <= 0 is outside the query's domain: its keep_latest takes argmin of [])
        n = float(len(kept))
        avg = (float(sum(pr for _, pr in kept)) / n if n else math.nan) / 100.0
        out.append(csv_row((seller, avg)))


def q7(g, p, out, mask):
    out.append("window_start,window_end,auction,bidder,price,date_time")
    size = p["size"]
    if size <= 0:
        raise SystemExit("nexmark_ref.py: size must be positive")
    best = {}   # window start -> [the first bid with the highest price, how many have it]
    for b in g.bids(full=False):
        w = floor_window(b["date_time"], size)
        cur = best.get(w)
        if cur is None or b["price"] > cur[0]["price"]:
            best[w] = [b, 1]
        elif b["price"] == cur[0]["price"]:
            cur[1] += 1
    for w, (b, ties) in best.items():
        out.append(csv_row((w, w + size, b["auction"], b["bidder"], b["price"], b["date_time"])))
        if ties > 1:
            mask.append((csv_row((w, w + size)) + ",", [1, 2, 5]))


def q8(g, p, out, mask):
    out.append("window_start,id,name,reserve")
    size = p["size"]
    if size <= 0:
        raise SystemExit("nexmark_ref.py: size must be positive")
    persons = {}   # (window, id) -> persons
    for pe in g.persons(full=False):
        persons.setdefault((floor_window(pe["date_time"], size), pe["id"]), []).append(pe)
    for a in g.auctions(full=False):
        for pe in persons.get((floor_window(a["date_time"], size), a["seller"]), ()):
            start = wrap(cdiv(pe["date_time"], size) * size)
            out.append(csv_row((start, pe["id"], pe["name"], a["reserve"])))


QUERIES = [q0, q1, q2, q3, q4, q5, q6, q7, q8]

DEFAULTS = {
    "events": 1_000_000,
    "base_time": 1_436_918_400_000,
    "inter_event_us": 100,
    "skip": 123,
    "category": 10,
    "size": 10_000,
    "slide": 2_000,
    "last_n": 10,
}


def parse_i64(name, text):
    t = text.replace("_", "")
    try:
        v = int(t, 0)
    except ValueError:
        raise SystemExit("nexmark_ref.py: --%s needs an integer, not %r" % (name, text))
    if not -H64 <= v < H64:
        raise SystemExit("nexmark_ref.py: --%s %s is out of the i64 range" % (name, text))
    return v


def main(argv):
    usage = ("usage: nexmark_ref.py QUERY EVENTS [--events N] [--base_time MS] [--inter_event_us US]"
             " [--skip N] [--category N] [--size MS] [--slide MS] [--last_n N] [--mask FILE]")
    if len(argv) < 2:
        raise SystemExit(usage)
    q = argv[0].lower().lstrip("q")
    if not q.isdigit() or int(q) >= len(QUERIES):
        raise SystemExit("nexmark_ref.py: unknown query %r (0..8)\n%s" % (argv[0], usage))
    p = dict(DEFAULTS)
    p["events"] = parse_i64("events", argv[1])
    mask_file = None
    rest = argv[2:]
    while rest:
        opt = rest[0]
        if not opt.startswith("--") or len(rest) < 2:
            raise SystemExit(usage)
        name = opt[2:]
        if name == "mask":
            mask_file = rest[1]
        elif name in p:
            p[name] = parse_i64(name, rest[1])
        else:
            raise SystemExit("nexmark_ref.py: unknown option %s\n%s" % (opt, usage))
        rest = rest[2:]
    out, mask = [], []
    QUERIES[int(q)](Gen(p), p, out, mask)
    sys.stdout.write("\n".join(out) + "\n")
    if mask_file is not None:
        with open(mask_file, "w") as f:
            for prefix, cols in mask:
                f.write("%s\t%s\n" % (prefix, ",".join(map(str, cols))))
    if mask:
        print("nexmark_ref.py: q%s: %d row(s) depend on the order of equal elements"
              % (q, len(mask)), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
