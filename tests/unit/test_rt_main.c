/* test_rt_main.c - the command line of a compiled job (runtime/job.c):
 * --NAME VALUE for params of each type (i64 with _ separators and duration
 * suffixes, f64, bool, str, --NAME=VALUE), the set flags and init, --help,
 * and the exact errors (exit 2) for unknown options, missing and malformed
 * values, bad --threads/--batch and stray arguments. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowrt.h"

static fl_i64 p_n;
static double p_x;
static fl_bool p_b;
static fl_str p_s;
static int set_n, set_x, set_b, set_s, init_calls;

static void init(void)
{
    init_calls++;
    if (!set_n)
        p_n = 10;
    if (!set_x)
        p_x = 0.5;
    if (!set_b)
        p_b = 1;
    if (!set_s)
        p_s = (fl_str){"dflt", 4};
}

static const fl_param_def params[] = {
    {"n", FL_T_I64, &p_n, &set_n, "10"},
    {"x", FL_T_F64, &p_x, &set_x, "0.5"},
    {"flag", FL_T_BOOL, &p_b, &set_b, "true"},
    {"name", FL_T_STR, &p_s, &set_s, "\"dflt\""},
};
static const fl_job_def job = {"paramjob", 0, NULL, 4, params, init, NULL, NULL, 0, 0, NULL, 0, 0, 0};

static void reset(void)
{
    p_n = 0;
    p_x = 0;
    p_b = 0;
    p_s = (fl_str){"", 0};
    set_n = set_x = set_b = set_s = init_calls = 0;
}

static int run(char **out, char **err, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"paramjob";
    va_list ap;
    va_start(ap, err);
    for (char *a; (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    char path[2][32] = {"/tmp/flrt-out-XXXXXX", "/tmp/flrt-err-XXXXXX"};
    int saved[2];
    fflush(NULL);
    for (int k = 0; k < 2; k++) {
        int fd = mkstemp(path[k]);
        saved[k] = dup(k + 1);
        dup2(fd, k + 1);
        close(fd);
    }
    reset();
    int rc = fl_main(&job, argc, argv);
    fflush(NULL);
    char **res[2] = {out, err};
    for (int k = 0; k < 2; k++) {
        dup2(saved[k], k + 1);
        close(saved[k]);
        FILE *f = fopen(path[k], "r");
        char *buf = calloc(1, 8192);
        buf[fread(buf, 1, 8191, f)] = 0;
        fclose(f);
        unlink(path[k]);
        *res[k] = buf;
    }
    return rc;
}

static void ok(fl_i64 expect, const char *value)
{
    char *out, *err;
    cr_assert_eq(run(&out, &err, "--n", value, NULL), 0, "--n %s: %s", value, err);
    cr_assert_eq(p_n, expect, "--n %s gave %lld", value, p_n);
    cr_assert_eq(set_n, 1);
    free(out);
    free(err);
}

Test(rt_main, defaults_and_init)
{
    char *out, *err;
    cr_assert_eq(run(&out, &err, NULL), 0);
    cr_assert_eq(init_calls, 1);
    cr_assert_eq(p_n, 10);
    cr_assert_eq(p_x, 0.5);
    cr_assert_eq(p_b, 1);
    cr_assert(fl_str_eq(p_s, (fl_str){"dflt", 4}));
    cr_assert_str_empty(out);
    cr_assert_str_empty(err);
    free(out);
    free(err);
}

Test(rt_main, i64_values)
{
    ok(42, "42");
    ok(-5, "-5");
    ok(1000000, "1_000_000");
    ok(250, "250ms");
    ok(10000, "10s");
    ok(120000, "2m");
    ok(3600000, "1h");
    ok(86400000, "1d");
    ok(16, "0x10");
    ok(255, "0XfF");
    ok(-4096, "-0x1_000");
    ok(9223372036854775807LL, "0x7fffffffffffffff");
    ok(9223372036854775807LL, "9223372036854775807");
    ok(-9223372036854775807LL - 1, "-9223372036854775808");
}

Test(rt_main, other_types)
{
    char *out, *err;
    cr_assert_eq(run(&out, &err, "--x", "2.25", "--flag", "false", "--name", "a b", NULL), 0);
    cr_assert_eq(p_x, 2.25);
    cr_assert_eq(p_b, 0);
    cr_assert(fl_str_eq(p_s, (fl_str){"a b", 3}));
    cr_assert(set_x && set_b && set_s && !set_n);
    cr_assert_eq(p_n, 10, "init still gives the defaults of the others");
    free(out);
    free(err);
    cr_assert_eq(run(&out, &err, "--x=3", "--name=", "--n=7", NULL), 0);
    cr_assert_eq(p_x, 3.0);
    cr_assert_eq(p_n, 7);
    cr_assert_eq(p_s.len, 0);
    free(out);
    free(err);
}

static void bad(const char *expect_err, ...)
{
    char *argv[8];
    int argc = 0;
    va_list ap;
    va_start(ap, expect_err);
    for (char *a; (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    while (argc < 4)
        argv[argc++] = NULL;
    char *out, *err;
    int rc = run(&out, &err, argv[0], argv[1], argv[2], argv[3], NULL);
    cr_assert_eq(rc, 2, "expected exit 2 for %s", argv[0]);
    cr_assert_str_eq(err, expect_err);
    cr_assert_eq(init_calls, 0, "nothing runs after a bad command line");
    free(out);
    free(err);
}

Test(rt_main, errors)
{
    bad("flowc job: unknown option --zzz (--help lists the parameters)\n", "--zzz", "1", NULL);
    bad("flowc job: --n needs a value (i64)\n", "--n", NULL);
    bad("flowc job: --n expects i64 (a whole number such as 42, 1_000_000 or a duration such "
        "as 10s), not 'abc'\n", "--n", "abc", NULL);
    bad("flowc job: --n expects i64 (a whole number such as 42, 1_000_000 or a duration such "
        "as 10s), not '1.5s'\n", "--n", "1.5s", NULL);
    bad("flowc job: --n expects i64 (a whole number such as 42, 1_000_000 or a duration such "
        "as 10s), not '1__0'\n", "--n", "1__0", NULL);
    bad("flowc job: --n expects i64 (a whole number such as 42, 1_000_000 or a duration such "
        "as 10s), not '9223372036854775808'\n", "--n", "9223372036854775808", NULL);
    bad("flowc job: --n expects i64 (a whole number such as 42, 1_000_000 or a duration such "
        "as 10s), not '9999999999999999d'\n", "--n", "9999999999999999d", NULL);
    bad("flowc job: --x expects f64 (a number such as 2.5), not '2,5'\n", "--x", "2,5", NULL);
    bad("flowc job: --flag expects bool (true or false), not 'yes'\n", "--flag", "yes", NULL);
    bad("flowc job: --threads expects a whole number from 1 to 1024, not '0'\n", "--threads",
        "0", NULL);
    bad("flowc job: --threads expects a whole number from 1 to 1024, not '4096'\n", "--threads",
        "4096", NULL);
    bad("flowc job: unknown option --tread; did you mean --threads? (--help lists the options)\n",
        "--tread", "2", NULL);
    bad("flowc job: unknown option --nn; did you mean --n? (--help lists the options)\n", "--nn", "2", NULL);
    bad("flowc job: --n expects i64 (a whole number such as 42, 1_000_000 or a duration such "
        "as 10s), not '0x'\n", "--n", "0x", NULL);
    bad("flowc job: --n expects i64 (a whole number such as 42, 1_000_000 or a duration such "
        "as 10s), not '0x10s'\n", "--n", "0x10s", NULL);
    bad("flowc job: --procs expects a whole number from 1 to 4096, not '0'\n", "--procs", "0", NULL);
    bad("flowc job: --rank and --nprocs go together\n", "--rank", "1", NULL);
    bad("flowc job: --batch expects a whole number from 1 to 16777216, not 'x'\n", "--batch",
        "x", NULL);
    bad("flowc job: unexpected argument 'extra' (options are --NAME VALUE; --help lists "
        "them)\n", "extra", NULL);
}

Test(rt_main, help)
{
    char *out, *err;
    cr_assert_eq(run(&out, &err, "--n", "5", "--help", NULL), 0);
    cr_assert(strstr(out, "usage: paramjob [--PARAM VALUE]..."), "got: %s", out);
    cr_assert(strstr(out, "  --n i64 (default: 10)\n"), "got: %s", out);
    cr_assert(strstr(out, "  --x f64 (default: 0.5)\n"));
    cr_assert(strstr(out, "  --flag bool (default: true)\n"));
    cr_assert(strstr(out, "  --name str (default: \"dflt\")\n"));
    cr_assert(strstr(out, "--threads N"));
    cr_assert(strstr(out, "--batch N"));
    cr_assert_eq(init_calls, 0);
    free(out);
    free(err);
}
