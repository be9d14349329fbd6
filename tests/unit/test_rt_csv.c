/* test_rt_csv.c - the CSV reader (runtime/csv.c): quoted fields, escaped
 * quotes, other separators, line ends inside quotes, \r\n, blank lines,
 * the header, empty fields, more fields than asked for, record line
 * numbers, malformed records (the job fails with PATH:LINE, or they are
 * skipped and counted), and the same records for any number of tasks
 * (random files with quoted line ends), also when the tasks are spread
 * over processes that each meet alone; a failed open leaves nothing to
 * free. Then the strict field parsers: underflow is 0 or subnormal,
 * overflow an error (fields and --param). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flrt_int.h"
#include "rt_helpers.h"

static char path[64];
static int use_fast;   /* read with fl_csv_next_fast (the generated code's) instead of fl_csv_next */

static void write_file(const char *text, size_t n) { write_temp(path, "/tmp/flrt-csv-XXXXXX", text, n); }

/* Every record of tasks [first, first + count) of ntasks as
 * "line:f1|f2|...\n"; local: the tasks say they are the ones of their
 * stage in this process (lindex, lcount), else they leave it unsaid. */
static char *read_tasks(int first, int count, int ntasks, int local, const char *sep, int header,
                        int skip_bad, fl_i64 *bad)
{
    size_t cap = 1 << 16, o = 0;
    char *out = calloc(1, cap);
    for (int i = first; i < first + count; i++) {
        fl_task t = {.index = i, .ntasks = ntasks};
        if (local) {
            t.lindex = i - first;
            t.lcount = count;
        }
        fl_csv c;
        fl_csv_open(&t, &c, S(path), S(sep), header, skip_bad);
        fl_str f[8];
        for (int nf; (nf = use_fast ? fl_csv_next_fast(&c, f, 8) : fl_csv_next(&c, f, 8)) >= 0;) {
            o += (size_t)snprintf(out + o, cap - o, "%lld:", (long long)c.record_line);
            for (int k = 0; k < nf && k < 8; k++)
                o += (size_t)snprintf(out + o, cap - o, "%s%.*s", k ? "|" : "",
                                      (int)f[k].len, f[k].ptr);
            o += (size_t)snprintf(out + o, cap - o, "\n");
            cr_assert(o < cap - 100);
        }
        if (bad)
            *bad += c.bad;
        fl_csv_close(&c);
    }
    return out;
}

/* Every record of tasks 0..n-1 (one process, lindex and lcount unsaid). */
static char *read_all(int ntasks, const char *sep, int header, int skip_bad, fl_i64 *bad)
{
    return read_tasks(0, ntasks, ntasks, 0, sep, header, skip_bad, bad);
}

static void expect(const char *text, const char *sep, int header, const char *records)
{
    write_file(text, strlen(text));
    for (use_fast = 0; use_fast < 2; use_fast++)   /* the inline common path gives the same records and lines */
        for (int n = 1; n <= 5; n++) {
            char *got = read_all(n, sep, header, 0, NULL);
            cr_assert_str_eq(got, records, "%d tasks%s", n, use_fast ? " (fl_csv_next_fast)" : "");
            free(got);
        }
    use_fast = 0;
    unlink(path);
}

Test(rt_csv, plain)
{
    expect("a,b,c\n1,2,3\n", ",", 0, "1:a|b|c\n2:1|2|3\n");
    expect("a,b,c\n1,2,3", ",", 0, "1:a|b|c\n2:1|2|3\n");
    expect("", ",", 0, "");
    expect("x", ",", 0, "1:x\n");
}

Test(rt_csv, quotes)
{
    expect("\"a,b\",\"c\"\"d\",e\n", ",", 0, "1:a,b|c\"d|e\n");
    expect("\"\",x,\"\"\"\"\n", ",", 0, "1:|x|\"\n");
    expect("\"only\"", ",", 0, "1:only\n");
    expect("\"a\"\"\"\"b\"\"\",c\n", ",", 0, "1:a\"\"b\"|c\n");
}

Test(rt_csv, line_ends_inside_quotes)
{
    expect("\"line1\nline2\",x\ny,\"a\r\nb\"\nz,w\n", ",", 0,
           "1:line1\nline2|x\n3:y|a\r\nb\n5:z|w\n");
}

Test(rt_csv, crlf_blank_lines_empty_fields)
{
    expect("a,b\r\n\r\n\n1,\r\n,\r\n\"q\"\r\n", ",", 0, "1:a|b\n4:1|\n5:|\n6:q\n");
    expect(",,\n", ",", 0, "1:||\n");
}

Test(rt_csv, separators)
{
    expect("a;b;\"c;d\"\n", ";", 0, "1:a|b|c;d\n");
    expect("a\tb,c\n", "\t", 0, "1:a|b,c\n");
}

Test(rt_csv, header)
{
    expect("name,n\nx,1\ny,2\n", ",", 1, "2:x|1\n3:y|2\n");
    expect("\n\"multi\nline\",h\nx,1\n", ",", 1, "4:x|1\n");
    expect("name,n\n", ",", 1, "");
}

Test(rt_csv, more_fields_than_asked)
{
    write_file("a,b,c,d\n", 8);
    fl_task t = {.index = 0, .ntasks = 1};
    fl_csv c;
    cr_assert_eq(fl_csv_open(&t, &c, S(path), S(","), 0, 0), 0);
    fl_str f[2] = {{0, 0}, {0, 0}};
    cr_assert_eq(fl_csv_next(&c, f, 2), 4);
    cr_assert(fl_str_eq(f[1], S("b")));
    cr_assert_eq(fl_csv_next(&c, f, 2), -1);
    cr_assert_eq(fl_csv_next(&c, f, 2), -1);
    fl_csv_close(&c);
    unlink(path);
}

static void malformed(const char *text, const char *msg)
{
    write_file(text, strlen(text));
    char *got = read_all(1, ",", 0, 0, NULL);
    cr_assert(fl_stopping(), "a malformed record fails the job");
    free(got);
    fflush(stderr);
    char expect[256];
    snprintf(expect, sizeof expect, "flowc job: %s:%s\n", path, msg);
    unlink(path);
    cr_assert_stderr_eq_str(expect);
}

Test(rt_csv, malformed_quote_in_field, .init = cr_redirect_stderr)
{
    malformed("ok,1\nbad\"x,2\n", "2: malformed CSV record: a quote inside an unquoted field");
}

Test(rt_csv, malformed_unclosed, .init = cr_redirect_stderr)
{
    malformed("a\n\n\"open,1\n2\n", "3: malformed CSV record: a quoted field has no closing quote");
}

Test(rt_csv, malformed_after_quote, .init = cr_redirect_stderr)
{
    malformed("\"a\"b,1\n", "1: malformed CSV record: text after the closing quote of a field");
}

Test(rt_csv, skip_bad)
{
    const char *text = "a,1\nb\"x,2\nc,3\n\"d\"e\nf,4\n";
    write_file(text, strlen(text));
    fl_i64 bad = 0;
    char *got = read_all(1, ",", 0, 1, &bad);
    cr_assert_str_eq(got, "1:a|1\n3:c|3\n5:f|4\n");
    cr_assert_eq(bad, 2);
    cr_assert_not(fl_stopping());
    free(got);
    unlink(path);
}

Test(rt_csv, bad_separator, .init = cr_redirect_stderr)
{
    write_file("a\n", 2);
    fl_task t = {.index = 0, .ntasks = 1};
    fl_csv c;
    cr_assert_eq(fl_csv_open(&t, &c, S(path), S("::"), 0, 0), -1);
    cr_assert_eq(fl_csv_next(&c, NULL, 0), -1);
    fl_csv_close(&c);
    unlink(path);
}

/* A random valid CSV file: fields plain, empty, or quoted with separators,
 * escaped quotes and line ends; some blank lines; a header. */
static size_t random_csv(char *out, int records)
{
    static const char *fields[] = {"x", "", "12", "\"a,b\"", "\"q\"\"q\"", "\"l1\nl2\"",
                                   "\"\r\n\"", "\"\"", "long field of text", "\"\n\n\""};
    size_t o = (size_t)sprintf(out, "h1,h2\n");
    for (int r = 0; r < records; r++) {
        int nf = 1 + rand() % 3;
        for (int k = 0; k < nf; k++)
            o += (size_t)sprintf(out + o, "%s%s", k ? "," : "", fields[rand() % 10]);
        o += (size_t)sprintf(out + o, rand() % 4 ? "\n" : rand() % 2 ? "\r\n" : "\n\n");
    }
    return o;
}

Test(rt_csv, any_number_of_tasks)
{
    srand(11);
    char *text = malloc(1 << 16);
    for (int f = 0; f < 200; f++) {
        size_t n = random_csv(text, rand() % 30);
        write_file(text, n);
        char *ref = read_all(1, ",", 1, 0, NULL);
        for (int k = 2; k <= 8; k++) {
            char *got = read_all(k, ",", 1, 0, NULL);
            cr_assert_str_eq(got, ref, "%d tasks, file:\n%s", k, text);
            free(got);
        }
        free(ref);
        unlink(path);
    }
    free(text);
    cr_assert_not(fl_stopping());
}

/* Every record of ntasks tasks spread over processes of sizes[0..nprocs):
 * the processes read last first, each alone (a process that waited for
 * the counts of another would hang here), the records joined in order. */
static char *read_procs(int ntasks, const int *sizes, int nprocs)
{
    char *part[8];
    int first = ntasks;
    for (int p = nprocs - 1; p >= 0; p--) {
        first -= sizes[p];
        part[p] = read_tasks(first, sizes[p], ntasks, 1, ",", 1, 0, NULL);
    }
    char *out = calloc(1, 1 << 16);
    for (int p = 0; p < nprocs; p++) {
        strcat(out, part[p]);
        free(part[p]);
    }
    return out;
}

Test(rt_csv, tasks_over_processes)
{
    alarm(20);
    srand(12);
    char *text = malloc(1 << 16);
    for (int f = 0; f < 100; f++) {
        size_t n = random_csv(text, rand() % 30);
        write_file(text, n);
        char *ref = read_all(1, ",", 1, 0, NULL);
        for (int k = 2; k <= 8; k++) {
            int sizes[8], np = 0;
            for (int left = k; left > 0; left -= sizes[np++])
                sizes[np] = 1 + rand() % left;
            char *got = read_procs(k, sizes, np);
            cr_assert_str_eq(got, ref, "%d tasks in %d processes, file:\n%s", k, np, text);
            free(got);
        }
        free(ref);
        unlink(path);
    }
    free(text);
    cr_assert_not(fl_stopping());
}

Test(rt_csv, failed_open_frees, .init = cr_redirect_stderr)
{
    write_file("a,b\n1,2\n", 8);
    fl_fail(NULL, "another task failed");
    fl_task t = {.index = 1, .ntasks = 2};
    fl_csv c;
    cr_assert_eq(fl_csv_open(&t, &c, S(path), S(","), 0, 0), -1, "the job stops meanwhile");
    cr_assert_null(c.buf, "the reader's buffer is freed");
    cr_assert_null(c.lines.in, "and its input closed");
    cr_assert_eq(fl_csv_next(&c, NULL, 0), -1);
    fl_csv_close(&c);
    flrt_csv_reset();
    unlink(path);
}

/* ---- field parsers ---- */

Test(rt_csv, parse_i64)
{
    fl_i64 v;
    cr_assert_eq(fl_parse_i64(S("42"), &v), 0);
    cr_assert_eq(v, 42);
    cr_assert_eq(fl_parse_i64(S("  -17\t"), &v), 0);
    cr_assert_eq(v, -17);
    cr_assert_eq(fl_parse_i64(S("+0"), &v), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(fl_parse_i64(S("9223372036854775807"), &v), 0);
    cr_assert_eq(v, 9223372036854775807LL);
    cr_assert_eq(fl_parse_i64(S("-9223372036854775808"), &v), 0);
    cr_assert_eq(v, -9223372036854775807LL - 1);
    const char *bad[] = {"", " ", "-", "+", "1 2", "12a", "0x10", "1.0", "1_000",
                         "9223372036854775808", "-9223372036854775809",
                         "99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_neq(fl_parse_i64(S(bad[i]), &v), 0, "'%s' must not parse", bad[i]);
        cr_assert_neq(fl_parse_i64_fast(S(bad[i]), &v), 0, "'%s' must not parse (fast)", bad[i]);
    }
    const char *good[] = {"0", "-0", "7", "-7", "123456789012345678", "-123456789012345678",
                          "1234567890123456789", " 5", "+5", "9223372036854775807", "-9223372036854775808"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        fl_i64 a = 1, b = 2;
        cr_assert_eq(fl_parse_i64(S(good[i]), &a), 0, "'%s'", good[i]);
        cr_assert_eq(fl_parse_i64_fast(S(good[i]), &b), 0, "'%s' (fast)", good[i]);
        cr_assert_eq(a, b, "'%s': %lld and %lld", good[i], (long long)a, (long long)b);
    }
}

Test(rt_csv, parse_f64)
{
    struct {
        const char *s;
        double v;
    } good[] = {{"2.5", 2.5},     {" 1e3 ", 1000},  {"-0.0", -0.0},  {".5", 0.5},
                {"5.", 5},        {"0.1", 0.1},     {"1E-2", 0.01},  {"+3", 3},
                {"1e22", 1e22},   {"1e23", 1e23},   {"123456789012345678901234567890", 1.2345678901234568e29},
                {"9007199254740993", 9007199254740992.0}, {"4.9e-324", 4.9e-324},
                {"0.000001", 1e-6}, {"1e-400", 0}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        double v;
        cr_assert_eq(fl_parse_f64(S(good[i].s), &v), 0, "'%s'", good[i].s);
        cr_assert_eq(v, good[i].v, "'%s' gave %.17g", good[i].s, v);
    }
    double v;
    cr_assert_eq(fl_parse_f64(S("-0.0"), &v), 0);
    cr_assert(signbit(v));
    const char *bad[] = {"", ".", "e5", "1e", "1e+", "abc", "1.2.3", "inf", "nan", "0x1p3",
                         "1e400", "1,5", "- 1", "1 e5"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_neq(fl_parse_f64(S(bad[i]), &v), 0, "'%s' must not parse", bad[i]);
}

Test(rt_csv, parse_f64_matches_strtod)
{
    srand(3);
    char buf[64];
    for (int i = 0; i < 20000; i++) {
        double x = ldexp((double)rand() / RAND_MAX, rand() % 200 - 100);
        int prec = 1 + rand() % 17;
        snprintf(buf, sizeof buf, i % 2 ? "%.*g" : "%.*f", prec, x);
        double v, w;
        cr_assert_eq(fl_parse_f64(S(buf), &v), 0, "'%s'", buf);
        cr_assert_eq(v, strtod(buf, NULL), "'%s'", buf);
        cr_assert_eq(fl_parse_f64_fast(S(buf), &w), 0, "'%s' (fast)", buf);
        cr_assert(v == w && signbit(v) == signbit(w), "'%s': %.17g and %.17g (fast)", buf, v, w);
    }
}

/* The inline path of the generated code: what fl_parse_f64 gives, to the bit, for fields of
 * up to 15 digits and around that limit, negative, with and without a fraction, and every
 * other form through the fallback. */
Test(rt_csv, parse_f64_fast_is_fl_parse_f64)
{
    srand(5);
    char buf[64];
    for (int i = 0; i < 50000; i++) {
        int digits = 1 + rand() % 17, point = rand() % (digits + 1), o = 0;
        if (rand() % 3 == 0)
            buf[o++] = '-';
        for (int k = 0; k < digits; k++) {
            if (k == point && k > 0)
                buf[o++] = '.';
            buf[o++] = (char)('0' + rand() % 10);
        }
        buf[o] = 0;
        double v, w;
        cr_assert_eq(fl_parse_f64(S(buf), &v), 0, "'%s'", buf);
        cr_assert_eq(fl_parse_f64_fast(S(buf), &w), 0, "'%s' (fast)", buf);
        cr_assert(v == w && signbit(v) == signbit(w), "'%s': %.17g and %.17g (fast)", buf, v, w);
    }
    const char *other[] = {"1.", ".5", "-", "", "+1.5", " 2.5", "1e3", "1.2.3", "-.5", "1,5", "0x10"};
    for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
        double v = 1, w = 2;
        int a = fl_parse_f64(S(other[i]), &v), b = fl_parse_f64_fast(S(other[i]), &w);
        cr_assert_eq(a, b, "'%s': %d and %d (fast)", other[i], a, b);
        cr_assert(a != 0 || v == w, "'%s'", other[i]);
    }
}

Test(rt_csv, parse_bool)
{
    fl_bool b = 2;
    cr_assert_eq(fl_parse_bool(S("true"), &b), 0);
    cr_assert_eq(b, 1);
    cr_assert_eq(fl_parse_bool(S(" FALSE "), &b), 0);
    cr_assert_eq(b, 0);
    cr_assert_eq(fl_parse_bool(S("True"), &b), 0);
    cr_assert_eq(b, 1);
    cr_assert_neq(fl_parse_bool(S("yes"), &b), 0);
    cr_assert_neq(fl_parse_bool(S("1"), &b), 0);
    cr_assert_neq(fl_parse_bool(S(""), &b), 0);
    cr_assert_neq(fl_parse_bool(S("truee"), &b), 0);
}

/* Underflow rounds to a subnormal or to 0, as strtod and IEEE 754 say;
 * overflow is an error (not an infinity). */
Test(rt_csv, parse_f64_range)
{
    const char *under[] = {"1e-400", "-1e-400", "2.5e-320", "4.9e-324", "2e-324", "1e-99999",
                           "0.000000000000000000000000000000000000000000000000000000000000"
                           "0000000000000000000000000000000000000000000000000000000000000"
                           "0000000000000000000000000000000000000000000000000000000000000"
                           "0000000000000000000000000000000000000000000000000000000000000"
                           "0000000000000000000000000000000000000000000000000000000000000"
                           "0000000000000000000000000000000000000000000000000000000000000"
                           "00001",
                           "2.2250738585072011e-308", "1.7976931348623157e308", "1e308"};
    for (size_t i = 0; i < sizeof under / sizeof *under; i++) {
        double v = 1;
        cr_assert_eq(fl_parse_f64(S(under[i]), &v), 0, "'%s' is a number", under[i]);
        cr_assert_eq(v, strtod(under[i], NULL), "'%s' gave %.17g", under[i], v);
    }
    double v;
    cr_assert_eq(fl_parse_f64(S("-1e-400"), &v), 0);
    cr_assert(v == 0 && signbit(v), "-1e-400 is -0.0");
    cr_assert_eq(fl_parse_f64(S("2.5e-320"), &v), 0);
    cr_assert(v > 0 && v < 2.3e-308, "a subnormal");
    const char *over[] = {"1e400", "-1e400", "1.8e308", "1.7976931348623159e308", "1e99999",
                          "179769313486231580793728971405303415079934132710037826936173778980444"
                          "968292764750946649017977587207096330286416692887910946555547851940402"
                          "630657488671505820681908902000708383676273854845817711531764475730270"
                          "069855571366959622842914819860834936475292719074168444365510704342711"
                          "559699508093042880177904174497792"};
    for (size_t i = 0; i < sizeof over / sizeof *over; i++)
        cr_assert_neq(fl_parse_f64(S(over[i]), &v), 0, "'%s' overflows: an error", over[i]);
}

static double p_x;
static int set_x;
static const fl_param_def x_param[] = {{"x", FL_T_F64, &p_x, &set_x, "0.5"}};

static void nothing_run(fl_task *t) { (void)t; }

static int run_with_x(const char *value)
{
    fl_stage_def st[] = {{.name = "nothing", .run = nothing_run}};
    fl_job_def j = {.name = "xjob", .nstages = 1, .stages = st, .nparams = 1, .params = x_param};
    char *argv[] = {"job", "--x", (char *)value, NULL};
    return fl_main(&j, 3, argv);
}

Test(rt_csv, param_f64_range, .init = cr_redirect_stderr)
{
    p_x = 1;
    cr_assert_eq(run_with_x("1e-400"), 0, "underflow is accepted");
    cr_assert(p_x == 0 && set_x);
    cr_assert_eq(run_with_x("1e400"), 2, "overflow is a bad command line");
    fflush(stderr);
    cr_assert_stderr_eq_str("flowc job: --x expects f64 (a number such as 2.5), not '1e400'\n");
}

/* One record of the typed reader the generated code makes of read_csv
 * for (str, i64, f64): fl_csvf_* first, else fl_csv_next and the field
 * parsers (what the generated code does), or only the latter (general).
 * Writes "line:s|i|f" or "line:bad"; 0 at the end. */
static int typed_record(fl_csv *c, int general, char *out, size_t cap, int *fast)
{
    fl_str s = {0, 0}, f[4];
    fl_i64 i = 0;
    double d = 0;
    const char *p = c->lines.cur;
    if (!general && fl_csvf_str(&p, c->lines.end, c->sep, &s) == (unsigned char)c->sep &&
        fl_csvf_i64(&p, c->lines.end, c->sep, &i) == (unsigned char)c->sep &&
        fl_csvf_f64(&p, c->lines.end, c->sep, &d) == '\n') {
        c->lines.cur = p;
        c->record_line = c->line++;
        ++*fast;
    } else {
        int k = fl_csv_next(c, f, 4);
        if (k < 0)
            return 0;
        if (k != 3 || fl_parse_i64(f[1], &i) || fl_parse_f64(f[2], &d)) {
            snprintf(out, cap, "%lld:bad\n", (long long)c->record_line);
            return 1;
        }
        s = f[0];
    }
    snprintf(out, cap, "%lld:%.*s|%lld|%.17g\n", (long long)c->record_line, (int)s.len, s.ptr, (long long)i, d);
    return 1;
}

static char *typed_read(int general, int *fast)
{
    fl_task t = {.index = 0, .ntasks = 1};
    fl_csv c;
    cr_assert_eq(fl_csv_open(&t, &c, S(path), S(";"), 0, 1), 0);
    size_t cap = 1 << 20, o = 0;
    char *out = calloc(1, cap);
    while (typed_record(&c, general, out + o, cap - o, fast))
        o += strlen(out + o);
    fl_csv_close(&c);
    return out;
}

/* Random records, most plain and some not (quotes, \r, blanks, signs,
 * long numbers, letters, missing or extra fields, no last newline): the
 * fast path gives what the general path gives, line numbers included. */
Test(rt_csv, typed_fast_path_is_the_general_path)
{
    static const char *odd[] = {"\"q;x\"", "a\r", "", " 5", "+5", "-", "1e3", "12a", "-0", "0.5.", "x y",
                                "1234567", "12345678", "123456789012345678", "1234567890123456789",
                                "99999999999999999999", "-9223372036854775808", "1.", ".5", "\"\""};
    srand(11);
    for (int round = 0; round < 20; round++) {
        size_t cap = 1 << 18, o = 0;
        char *text = malloc(cap);
        for (int r = 0; r < 2000; r++) {
            for (int k = 0; k < 3; k++) {
                if (rand() % 12 == 0)
                    o += (size_t)sprintf(text + o, "%s", odd[rand() % (sizeof odd / sizeof *odd)]);
                else if (k == 0)
                    for (int n = rand() % 20; n > 0; n--)
                        text[o++] = (char)('a' + rand() % 26);
                else if (k == 1)
                    o += (size_t)sprintf(text + o, "%s%d", rand() % 4 ? "" : "-", rand() % (1 << (rand() % 31)));
                else
                    o += (size_t)sprintf(text + o, "%d.%d", rand() % 1000, rand() % 100);
                text[o++] = k < 2 ? ';' : '\n';
            }
            if (rand() % 50 == 0)
                o--;   /* a record that runs into the next one: extra fields */
        }
        if (round % 2)
            o--;   /* no newline at the end */
        write_file(text, o);
        int fast = 0, none = 0;
        char *a = typed_read(1, &none), *b = typed_read(0, &fast);
        cr_assert_str_eq(b, a, "round %d", round);
        cr_assert_gt(fast, 1000, "round %d: the fast path took %d records", round, fast);
        free(a);
        free(b);
        free(text);
        unlink(path);
    }
}
