/* job.c - fl_main, the entry point of every compiled job: reads the command
 * line (--NAME VALUE for each param, --threads N, --batch N, --help), runs
 * the param defaults (job->init), runs the tasks (task.c), then commits the
 * sinks' files when every task succeeded or removes them when one failed.
 *
 * Exit status: 0 done, 1 the job failed (a message "flowc job: ..." was
 * printed), 2 a bad command line (the message names the option and what it
 * expects). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flrt_int.h"

enum { MAX_THREADS = 4096, MAX_BATCH = 1 << 24 };

typedef struct opts {
    int threads;
    fl_i64 batch;
} opts;

static const char *type_name(int type)
{
    switch (type) {
    case FL_T_I64: return "i64";
    case FL_T_F64: return "f64";
    case FL_T_BOOL: return "bool";
    default: return "str";
    }
}

static const char *type_hint(int type)
{
    switch (type) {
    case FL_T_I64: return "a whole number such as 42, 1_000_000 or a duration such as 10s";
    case FL_T_F64: return "a number such as 2.5";
    case FL_T_BOOL: return "true or false";
    default: return "any text";
    }
}

static int default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

/* ---- values ---- */

/* Multiplier of a duration suffix (to milliseconds), 1 for none, 0 if bad. */
static fl_i64 unit_of(const char *u)
{
    static const struct { const char *name; fl_i64 ms; } units[] = {
        {"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(u, units[i].name))
            return units[i].ms;
    return 0;
}

/* i64 of the command line: [+-]digits with '_' between digits, then an
 * optional duration suffix (ms s m h d) that converts to milliseconds. */
static int parse_i64_arg(const char *s, fl_i64 *v)
{
    const char *p = s;
    int neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (*p < '0' || *p > '9')
        return -1;
    uint64_t x = 0;
    for (; (*p >= '0' && *p <= '9') || *p == '_'; p++) {
        if (*p == '_') {
            if (p[1] < '0' || p[1] > '9')
                return -1;
            continue;
        }
        if (x > (UINT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    fl_i64 unit = unit_of(p);
    if (!unit || x > (uint64_t)INT64_MAX + (uint64_t)neg)
        return -1;
    fl_i64 r = neg ? (fl_i64)(0 - x) : (fl_i64)x;
    if (__builtin_mul_overflow(r, unit, &r))
        return -1;
    *v = r;
    return 0;
}

/* Stores the value of param p given as text s; 0, or -1 when malformed. */
static int set_param(const fl_param_def *p, const char *s)
{
    fl_str str = {s, (fl_i64)strlen(s)};
    int rc = 0;
    switch (p->type) {
    case FL_T_I64: rc = parse_i64_arg(s, (fl_i64 *)p->addr); break;
    case FL_T_F64: rc = fl_parse_f64(str, (double *)p->addr); break;
    case FL_T_BOOL: rc = fl_parse_bool(str, (fl_bool *)p->addr); break;
    default: *(fl_str *)p->addr = str; break;
    }
    if (rc == 0 && p->set)
        *p->set = 1;
    return rc;
}

/* A whole number in [lo, hi] for --threads and --batch. */
static int parse_count(const char *opt, const char *s, fl_i64 lo, fl_i64 hi, fl_i64 *v)
{
    fl_str str = {s, (fl_i64)strlen(s)};
    if (fl_parse_i64(str, v) != 0 || *v < lo || *v > hi) {
        fprintf(stderr, "flowc job: %s expects a whole number from %lld to %lld, not '%s'\n",
                opt, (long long)lo, (long long)hi, s);
        return -1;
    }
    return 0;
}

/* ---- the command line ---- */

static void usage(const fl_job_def *job, FILE *f)
{
    fprintf(f, "usage: %s [--PARAM VALUE]... [--threads N] [--batch N]\n", job->name);
    if (job->nparams) {
        fprintf(f, "\nparameters:\n");
        for (int i = 0; i < job->nparams; i++) {
            const fl_param_def *p = &job->params[i];
            fprintf(f, "  --%s %s (default: %s)\n", p->name, type_name(p->type),
                    p->def ? p->def : "none");
        }
    }
    fprintf(f, "\noptions:\n"
               "  --threads N  tasks per parallel stage (default: the online cores, %d)\n"
               "  --batch N    rows per batch (default: %d)\n"
               "  --help       this text\n",
            default_threads(), (int)FL_BATCH_ROWS);
}

static const fl_param_def *find_param(const fl_job_def *job, const char *name, size_t len)
{
    for (int i = 0; i < job->nparams; i++)
        if (strlen(job->params[i].name) == len && !memcmp(job->params[i].name, name, len))
            return &job->params[i];
    return NULL;
}

/* One option at argv[*i] (its value inline after '=' or in the next word). */
static int parse_opt(const fl_job_def *job, int argc, char **argv, int *i, opts *o)
{
    const char *arg = argv[*i] + 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    const fl_param_def *p = find_param(job, arg, len);
    int is_threads = len == 7 && !memcmp(arg, "threads", 7);
    int is_batch = len == 5 && !memcmp(arg, "batch", 5);
    if (!p && !is_threads && !is_batch) {
        fprintf(stderr, "flowc job: unknown option --%.*s (--help lists the parameters)\n",
                (int)len, arg);
        return -1;
    }
    const char *val = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
    const char *what = is_threads || is_batch ? "a whole number" : type_name(p->type);
    if (!val) {
        fprintf(stderr, "flowc job: --%.*s needs a value (%s)\n", (int)len, arg, what);
        return -1;
    }
    fl_i64 n;
    if (is_threads) {
        if (parse_count("--threads", val, 1, MAX_THREADS, &n) < 0)
            return -1;
        o->threads = (int)n;
    } else if (is_batch) {
        if (parse_count("--batch", val, 1, MAX_BATCH, &n) < 0)
            return -1;
        o->batch = n;
    } else if (set_param(p, val) < 0) {
        fprintf(stderr, "flowc job: --%s expects %s (%s), not '%s'\n", p->name,
                type_name(p->type), type_hint(p->type), val);
        return -1;
    }
    return 0;
}

/* 0 to run, 1 after --help, -1 on a bad command line. */
static int parse_args(const fl_job_def *job, int argc, char **argv, opts *o)
{
    o->threads = default_threads();
    o->batch = FL_BATCH_ROWS;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(job, stdout);
            return 1;
        }
        if (strncmp(argv[i], "--", 2) != 0 || !argv[i][2]) {
            fprintf(stderr, "flowc job: unexpected argument '%s' (options are --NAME VALUE; "
                            "--help lists them)\n", argv[i]);
            return -1;
        }
        if (parse_opt(job, argc, argv, &i, o) < 0)
            return -1;
    }
    return 0;
}

int fl_main(const fl_job_def *job, int argc, char **argv)
{
    opts o;
    int rc = parse_args(job, argc, argv, &o);
    if (rc)
        return rc < 0 ? 2 : 0;
    fflush(stdout);           /* what the caller printed goes before the job's output */
    flrt_stop_reset();
    flrt_maps_set_deferred(1);
    if (job->init)
        job->init();
    flrt_job j = {.def = job, .nthreads = o.threads, .batch_rows = o.batch};
    if (!flrt_failed())
        flrt_job_run(&j);
    int ok = !flrt_failed();
    if (flrt_sinks_finish(ok) < 0)
        ok = 0;
    fflush(stdout);
    flrt_maps_set_deferred(0);
    flrt_csv_reset();
    return ok ? 0 : 1;
}
