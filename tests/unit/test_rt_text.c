/* test_rt_text.c - text building and builtins (runtime/text.c, date.c,
 * hash.c): fl_buf_f64 gives the shortest text that reads back (checked
 * against a brute-force search on random doubles), integers, CSV quoting,
 * the string builtins at their edges (clamping, empty separators, empty
 * strings), hashing and ordering, and dates (known timestamps, leap years,
 * times before 1970, parts checked against gmtime_r). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "flowrt.h"
#include "rt_helpers.h"

static fl_arena A;

static void setup(void) { memset(&A, 0, sizeof A); }
static void teardown(void) { fl_arena_free(&A); }

TestSuite(rt_text, .init = setup, .fini = teardown);


static const char *f64_text(double v)
{
    static char out[64];
    fl_buf b = {0};
    fl_buf_f64(&b, v);
    snprintf(out, sizeof out, "%.*s", (int)b.len, b.p);
    fl_buf_free(&b);
    return out;
}

/* ---- numbers ---- */

Test(rt_text, f64_known)
{
    struct {
        double v;
        const char *s;
    } cases[] = {{0.1, "0.1"},
                 {1e21, "1e+21"},
                 {3.0, "3"},
                 {-0.0, "-0"},
                 {0.0, "0"},
                 {0.30000000000000004, "0.30000000000000004"},
                 {1.0 / 3, "0.3333333333333333"},
                 {123456789.0, "123456789"},
                 {9007199254740992.0, "9007199254740992"},
                 {1e-7, "1e-07"},
                 {2.5, "2.5"},
                 {-1.5e300, "-1.5e+300"},
                 {5e-324, "5e-324"},
                 {1e15, "1e+15"},
                 {1e14, "100000000000000"},
                 {340.0, "340"},
                 {INFINITY, "inf"},
                 {-INFINITY, "-inf"},
                 {NAN, "nan"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        cr_assert_str_eq(f64_text(cases[i].v), cases[i].s);
}

/* The fewest significant digits of a text that reads back as v. */
static int fewest_digits(double v)
{
    char out[40];
    for (int p = 1; p < 17; p++) {
        snprintf(out, sizeof out, "%.*g", p, v);
        if (strtod(out, NULL) == v)
            return p;
    }
    return 17;
}

/* The significant digits of a %g text: no sign, point, exponent, or
 * leading and trailing zeros. */
static int digits_of(const char *s)
{
    const char *b = s + (*s == '-'), *e = strchr(b, 'e');
    e = e ? e : b + strlen(b);
    while (b < e && (*b == '0' || *b == '.'))
        b++;
    while (e > b && (e[-1] == '0' || e[-1] == '.'))
        e--;
    int n = 0;
    for (; b < e; b++)
        n += *b != '.';
    return n;
}

Test(rt_text, f64_round_trips_and_is_shortest)
{
    srand(5);
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = ((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^ (uint64_t)rand();
        double v;
        if (i % 3 == 0)
            v = (double)(rand() % 100000) / 100;      /* short decimals */
        else if (i % 3 == 1)
            memcpy(&v, &bits, sizeof v);
        else
            v = ldexp((double)rand(), -1074 + rand() % 40);   /* subnormals too */
        if (isnan(v) || isinf(v) || v == 0)
            continue;
        const char *got = f64_text(v);
        cr_assert_eq(strtod(got, NULL), v, "%s does not read back", got);
        cr_assert_eq(digits_of(got), fewest_digits(v), "%s is not the shortest", got);
    }
}

Test(rt_text, i64_and_str)
{
    fl_buf b = {0};
    fl_buf_i64(&b, 0);
    fl_buf_putc(&b, ' ');
    fl_buf_i64(&b, -1);
    fl_buf_putc(&b, ' ');
    fl_buf_i64(&b, -9223372036854775807LL - 1);
    fl_buf_putc(&b, ' ');
    fl_buf_i64(&b, 9223372036854775807LL);
    cr_assert_eq(b.len, (fl_i64)strlen("0 -1 -9223372036854775808 9223372036854775807"));
    cr_assert(!memcmp(b.p, "0 -1 -9223372036854775808 9223372036854775807", (size_t)b.len));
    fl_buf_free(&b);
    cr_assert(fl_str_eq(fl_i64_str(&A, -42), S("-42")));
    cr_assert(fl_str_eq(fl_f64_str(&A, 0.25), S("0.25")));
}

Test(rt_text, buf_grows)
{
    fl_buf b = {0};
    for (int i = 0; i < 100000; i++)
        fl_buf_put(&b, "abc", 3);
    cr_assert_eq(b.len, 300000);
    cr_assert(b.cap >= b.len);
    cr_assert_eq(b.p[299999], 'c');
    fl_buf_free(&b);
    cr_assert_null(b.p);
}

static void csv_is(const char *in, const char *out)
{
    fl_buf b = {0};
    fl_buf_csv_str(&b, S(in));
    cr_assert_eq(b.len, (fl_i64)strlen(out), "for %s", in);
    cr_assert(!*out || !memcmp(b.p, out, strlen(out)), "for %s", in);
    fl_buf_free(&b);
}

Test(rt_text, csv_quoting)
{
    csv_is("plain", "plain");
    csv_is("", "");
    csv_is("a,b", "\"a,b\"");
    csv_is("say \"hi\"", "\"say \"\"hi\"\"\"");
    csv_is("l1\nl2", "\"l1\nl2\"");
    csv_is("cr\r", "\"cr\r\"");
}

/* ---- strings ---- */

#define STR_IS(expr, text) cr_assert(fl_str_eq((expr), S(text)), "%s is not \"%s\"", #expr, text)

Test(rt_text, case_trim_concat)
{
    STR_IS(fl_lower(&A, S("Hello, World 42")), "hello, world 42");
    STR_IS(fl_upper(&A, S("Hello, World 42")), "HELLO, WORLD 42");
    STR_IS(fl_lower(&A, S("")), "");
    STR_IS(fl_lower(&A, S("\xc3\x89t\xc3\xa9")), "\xc3\x89t\xc3\xa9");
    STR_IS(fl_trim(S("  \t Hello, World 42 \r\n")), "Hello, World 42");
    STR_IS(fl_trim(S(" \t\r\n")), "");
    STR_IS(fl_trim(S("")), "");
    STR_IS(fl_concat(&A, S("ab"), S("cd")), "abcd");
    STR_IS(fl_concat(&A, S(""), S("")), "");
}

Test(rt_text, substr_clamps)
{
    fl_str s = S("Hello, World");
    STR_IS(fl_substr(s, 7, 5), "World");
    STR_IS(fl_substr(s, 7, 100), "World");
    STR_IS(fl_substr(s, -3, 2), "He");
    STR_IS(fl_substr(s, 50, 2), "");
    STR_IS(fl_substr(s, 2, -1), "");
    STR_IS(fl_substr(s, 1, INT64_MAX), "ello, World");
    STR_IS(fl_substr(s, INT64_MIN, INT64_MAX), "Hello, World");
}

Test(rt_text, predicates)
{
    fl_str t = S("Hello, World 42");
    cr_assert(fl_starts_with(t, S("He")));
    cr_assert(fl_starts_with(t, S("")));
    cr_assert_not(fl_starts_with(t, S("he")));
    cr_assert_not(fl_starts_with(S("H"), S("He")));
    cr_assert(fl_ends_with(t, S("42")));
    cr_assert(fl_ends_with(t, S("")));
    cr_assert_not(fl_ends_with(S("2"), S("42")));
    cr_assert(fl_contains(t, S("World")));
    cr_assert(fl_contains(t, S("")));
    cr_assert(fl_contains(S(""), S("")));
    cr_assert_not(fl_contains(t, S("world")));
    cr_assert_not(fl_contains(S("ab"), S("abc")));
}

static void parts_are(fl_i64 n, fl_str *v, const char *joined)
{
    char buf[256];
    size_t o = 0;
    for (fl_i64 i = 0; i < n; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%.*s", i ? "|" : "", (int)v[i].len,
                              v[i].ptr);
    buf[o] = 0;
    cr_assert_str_eq(buf, joined);
}

Test(rt_text, split)
{
    fl_str *v;
    fl_i64 n = fl_split(&A, S("a,b,c"), S(","), &v);
    cr_assert_eq(n, 3);
    parts_are(n, v, "a|b|c");
    n = fl_split(&A, S(",a,"), S(","), &v);
    cr_assert_eq(n, 3);
    parts_are(n, v, "|a|");
    n = fl_split(&A, S(""), S(","), &v);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].len, 0);
    n = fl_split(&A, S("xabyabz"), S("ab"), &v);
    parts_are(n, v, "x|y|z");
    n = fl_split(&A, S("aaa"), S("aa"), &v);
    cr_assert_eq(n, 2);
    parts_are(n, v, "|a");
    n = fl_split(&A, S("abc"), S(""), &v);
    cr_assert_eq(n, 3);
    parts_are(n, v, "a|b|c");
    n = fl_split(&A, S(""), S(""), &v);
    cr_assert_eq(n, 0);
    n = fl_split(&A, S("no sep"), S(";"), &v);
    parts_are(n, v, "no sep");
}

Test(rt_text, words)
{
    fl_str *v;
    fl_i64 n = fl_words(&A, S("  Hello, World 42  "), &v);
    cr_assert_eq(n, 3);
    parts_are(n, v, "Hello|World|42");
    n = fl_words(&A, S("a-b_c'd\xc3\xa9x"), &v);
    parts_are(n, v, "a|b|c|d|x");
    cr_assert_eq(fl_words(&A, S(""), &v), 0);
    cr_assert_eq(fl_words(&A, S(" ,.; "), &v), 0);
    n = fl_words(&A, S("x"), &v);
    parts_are(n, v, "x");
}

/* ---- hashing and order ---- */

Test(rt_text, hash_and_cmp)
{
    cr_assert_eq(fl_hash_bytes("abc", 3), XXH3_64bits("abc", 3));
    cr_assert_eq(fl_hash_str(S("")), XXH3_64bits("", 0));
    cr_assert_neq(fl_hash_str(S("a")), fl_hash_str(S("b")));
    cr_assert_lt(fl_str_cmp(S("a"), S("b")), 0);
    cr_assert_gt(fl_str_cmp(S("ab"), S("a")), 0);
    cr_assert_lt(fl_str_cmp(S(""), S("a")), 0);
    cr_assert_eq(fl_str_cmp(S(""), S("")), 0);
    cr_assert_eq(fl_str_cmp(S("abc"), S("abc")), 0);
    cr_assert_gt(fl_str_cmp(S("\xff"), S("a")), 0, "bytes compare unsigned");
    cr_assert_lt(fl_str_cmp(S("abc"), S("abd")), 0);
}

/* ---- dates ---- */

static const char *FMT = "%Y-%m-%d %H:%M:%S";

static fl_i64 parse_ok(const char *s, const char *fmt)
{
    fl_i64 ms = -12345;
    cr_assert_eq(fl_parse_date(S(s), S(fmt), &ms), 0, "'%s' with '%s' must parse", s, fmt);
    return ms;
}

Test(rt_text, parse_date_known)
{
    cr_assert_eq(parse_ok("1970-01-01 00:00:00", FMT), 0);
    cr_assert_eq(parse_ok("2024-03-01", FMT), 1709251200000LL);
    cr_assert_eq(parse_ok("2024-03-01 12:34:56", FMT), 1709296496000LL);
    cr_assert_eq(parse_ok("2024-03-01 12", FMT), 1709294400000LL);
    cr_assert_eq(parse_ok("1969-12-31 23:59:59", FMT), -1000);
    cr_assert_eq(parse_ok("1900-01-01", FMT), -2208988800000LL);
    cr_assert_eq(parse_ok("2000-02-29", FMT), 951782400000LL);
    cr_assert_eq(parse_ok("2024-3-1", FMT), 1709251200000LL);
    cr_assert_eq(parse_ok("20240301", "%Y%m%d"), 1709251200000LL);
    cr_assert_eq(parse_ok("01/03/2024", "%d/%m/%Y"), 1709251200000LL);
    cr_assert_eq(parse_ok("2024%", "%Y%%"), 1704067200000LL);
    cr_assert_eq(parse_ok("0001-01-01", "%Y-%m-%d"), -62135596800000LL);
}

Test(rt_text, parse_date_rejects)
{
    const char *bad[] = {"",
                         "1900-02-29",
                         "2023-02-29",
                         "2024-13-01",
                         "2024-00-10",
                         "2024-01-32",
                         "2024-04-31",
                         "2024-03-01 24:00:00",
                         "2024-03-01 23:60:00",
                         "2024-03-01 23:59:60",
                         "2024-03-01x",
                         "2024-03-01 ",
                         "24-03-01",
                         "2024/03/01",
                         "2024-03-01 12:34:56:78",
                         "2024-03-011"};
    fl_i64 ms;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_neq(fl_parse_date(S(bad[i]), S(FMT), &ms), 0, "'%s' must not parse", bad[i]);
    cr_assert_neq(fl_parse_date(S("2024"), S("%Q"), &ms), 0, "unknown conversion");
    cr_assert_neq(fl_parse_date(S("12:00"), S("%H:%M %Y"), &ms), 0, "a date part missing");
}

static void formats_as(fl_i64 ms, const char *fmt, const char *text)
{
    fl_str s = fl_format_date(&A, ms, S(fmt));
    cr_assert(fl_str_eq(s, S(text)), "%lld formats as %.*s, not %s", ms, (int)s.len, s.ptr, text);
}

Test(rt_text, format_date)
{
    formats_as(0, FMT, "1970-01-01 00:00:00");
    formats_as(-1000, FMT, "1969-12-31 23:59:59");
    formats_as(-1, FMT, "1969-12-31 23:59:59");
    formats_as(1709296496000LL, FMT, "2024-03-01 12:34:56");
    formats_as(1709296496999LL, "%d/%m/%Y", "01/03/2024");
    formats_as(-62135596800000LL, "%Y", "0001");
    formats_as(253402300800000LL, "%Y-%m-%d", "10000-01-01");
    formats_as(0, "%Q %% %", "%Q % %");
    formats_as(0, "", "");
}

static void parts_match_gmtime(fl_i64 ms)
{
    fl_i64 p[8];
    fl_date_parts(ms, p);
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    struct tm tm;
    gmtime_r(&secs, &tm);
    fl_i64 want[8] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                      tm.tm_min,         tm.tm_sec,     (tm.tm_wday + 6) % 7, tm.tm_yday};
    for (int k = 0; k < 8; k++)
        cr_assert_eq(p[k], want[k], "part %d of %lld: %lld, not %lld", k, ms, p[k], want[k]);
}

Test(rt_text, date_parts)
{
    fl_i64 p[8];
    fl_date_parts(0, p);
    fl_i64 epoch[8] = {1970, 1, 1, 0, 0, 0, 3, 0};
    cr_assert_arr_eq(p, epoch, sizeof p);
    fl_date_parts(1709296496000LL, p);     /* a Friday, day 60 of a leap year */
    fl_i64 d2024[8] = {2024, 3, 1, 12, 34, 56, 4, 60};
    cr_assert_arr_eq(p, d2024, sizeof p);
    fl_date_parts(-2208988800000LL, p);    /* 1900-01-01 was a Monday */
    cr_assert_eq(p[6], 0);
    srand(9);
    for (int i = 0; i < 20000; i++) {
        fl_i64 ms = ((fl_i64)rand() * RAND_MAX + rand()) % 20000000000000LL - 10000000000000LL;
        parts_match_gmtime(ms);
        fl_i64 back;
        fl_str text = fl_format_date(&A, ms, S(FMT));
        cr_assert_eq(fl_parse_date(text, S(FMT), &back), 0);
        cr_assert_eq(back, ms - (ms % 1000 + 1000) % 1000, "round trip of %lld", ms);
    }
}

/* words(lower(s)) in one pass gives what the two calls give. */
Test(rt_text, words_lower_matches_words_of_lower)
{
    fl_arena a = {0};
    const char *cases[] = {"", "   ", "Hello, World!", "ABC def-GHI  x9Y\t\r\nZ", "a", "1 22 333", "Ünïcode BYTES ok"};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        fl_str s = {cases[c], (fl_i64)strlen(cases[c])};
        fl_str *w1, *w2;
        fl_i64 n1 = fl_words(&a, fl_lower(&a, s), &w1);
        fl_i64 n2 = fl_words_lower(&a, s, &w2);
        cr_assert_eq(n1, n2, "case %zu", c);
        for (fl_i64 i = 0; i < n1; i++)
            cr_assert(fl_str_eq(w1[i], w2[i]), "case %zu word %lld", c, (long long)i);
    }
    fl_arena_free(&a);
}
