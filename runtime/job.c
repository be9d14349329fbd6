/* job.c - fl_main, the entry point of every compiled job: reads the command
 * line (--NAME VALUE for each param, --threads N, --batch N, --help,
 * --version, and how the job spreads over processes: --procs, --hosts,
 * --rank/--nprocs/--leader, --secret-file), runs the param defaults
 * (job->init), joins the other processes (launch.c, net.c), runs the tasks
 * (task.c), then commits the sinks' files when every task of every process
 * succeeded or removes them when one failed.
 *
 * Exit status: 0 done, 1 the job failed (a message "flowc job: ..." was
 * printed), 2 a bad command line (the message names the option and what it
 * expects). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flrt_int.h"
#include "launch.h"
#include "monitor.h"
#include "progress.h"
#include "stats.h"

/* Threads per process: a thread's stack and a task's pending batches are
 * small, but a hash exchange has a channel per pair of tasks. */
enum { MAX_THREADS = 1024, MAX_BATCH = 1 << 24, MAX_PROCS = 4096 };

typedef struct opts {
    int threads;
    fl_i64 batch;
    int queue;
    int workers;
    int test_clock;
    fl_i64 linger, idle;
    int version;
    flrt_dist_args dist;
    /* seeing it run: --stats[=text|=json FILE], --progress, --monitor */
    int stats;               /* 0 none, 1 the table on stderr, 2 JSON into stats_file */
    const char *stats_file;
    int progress;            /* 1 --progress, 0 --no-progress, -1 on a terminal */
    fl_i64 progress_ms;
    const char *monitor, *monitor_token;
    fl_i64 monitor_linger;
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

static int digit_of(char c, int base)
{
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
    return d < base ? d : -1;
}

/* i64 of the command line, as the language writes it: [+-]digits (or 0x
 * and hex digits) with '_' between digits, then an optional duration
 * suffix (ms s m h d) that converts to milliseconds. */
static int parse_i64_arg(const char *s, fl_i64 *v)
{
    const char *p = s;
    int neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    int base = p[0] == '0' && (p[1] == 'x' || p[1] == 'X') ? 16 : 10;
    if (base == 16)
        p += 2;
    if (digit_of(*p, base) < 0)
        return -1;
    uint64_t x = 0;
    for (; digit_of(*p, base) >= 0 || *p == '_'; p++) {
        if (*p == '_') {
            if (digit_of(p[1], base) < 0)
                return -1;
            continue;
        }
        if (x > (UINT64_MAX - 15) / (uint64_t)base)
            return -1;
        x = x * (uint64_t)base + (uint64_t)digit_of(*p, base);
    }
    fl_i64 unit = base == 16 ? (*p ? 0 : 1) : unit_of(p);
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
    fprintf(f, "usage: %s [--PARAM VALUE]... [--threads N] [--batch N] [--procs N | --hosts FILE]\n", job->name);
    if (job->nparams) {
        fprintf(f, "\nparameters:\n");
        for (int i = 0; i < job->nparams; i++) {
            const fl_param_def *p = &job->params[i];
            fprintf(f, "  --%s %s (default: %s)\n", p->name, type_name(p->type),
                    p->def ? p->def : "none");
        }
    }
    fprintf(f, "\noptions:\n"
               "  --threads N        tasks per parallel stage in each process (default: the\n"
               "                     online cores, %d, divided among --procs)\n"
               "  --batch N          rows per batch (default: %d)\n"
               "  --queue N          batches queued per channel, i.e. per upstream task\n"
               "                     and input (default: 4)\n"
               "  --workers N        run the tasks on a pool of N threads (one process; default:\n"
               "                     a thread per task)\n"
               "  --linger MS        an unbounded source sends a batch at most MS ms after its\n"
               "                     first row (default: 10)\n"
               "  --idle-timeout MS  a source silent for MS ms stops holding back the\n"
               "                     watermark until it sends again (default: 1000)\n"
               "  --test-clock       processing time is taken from the data, not the clock\n"
               "                     (exact tests: docs/runtime.md)\n"
               "  --procs N          run as N processes of this machine\n"
               "  --hosts FILE       run on the hosts of a cluster file (docs/runtime.md)\n"
               "  --rank R --nprocs N --leader HOST:PORT\n"
               "                     run as rank R of a job started by another launcher\n"
               "                     (mpirun and srun set rank and size themselves)\n"
               "  --secret-file PATH the job's shared secret (or FLOWC_SECRET)\n"
               "  --bind ADDR, --port P\n"
               "                     where this process listens for the others\n"
               "  --stats            at the end, per stage and operator: rows in and out,\n"
               "                     state, time busy and waiting (on standard error)\n"
               "  --stats=json FILE  the same as JSON into FILE\n"
               "  --progress, --no-progress\n"
               "                     a progress line on standard error (default: when it\n"
               "                     is a terminal); --progress-interval MS redraws it\n"
               "  --monitor [ADDR:]PORT\n"
               "                     serve a web page and a JSON API for the running job\n"
               "                     (localhost unless ADDR; docs/monitor.md); with\n"
               "                     --monitor-token T (required off localhost: one is made\n"
               "                     and printed when not given) and --monitor-linger MS\n"
               "                     (go on serving that long after the job ends)\n"
               "  --version          the job's build: flowc's version and fingerprint\n"
               "  --help             this text\n",
            default_threads(), (int)FL_BATCH_ROWS);
}

static const fl_param_def *find_param(const fl_job_def *job, const char *name, size_t len)
{
    for (int i = 0; i < job->nparams; i++)
        if (strlen(job->params[i].name) == len && !memcmp(job->params[i].name, name, len))
            return &job->params[i];
    return NULL;
}

enum { O_THREADS, O_BATCH, O_QUEUE, O_WORKERS, O_PROCS, O_HOSTS, O_RANK, O_NPROCS, O_LEADER, O_SECRET, O_BIND, O_PORT,
       O_LINGER, O_IDLE, O_PROGRESS_MS, O_MONITOR, O_MONITOR_TOKEN, O_MONITOR_LINGER, O_COUNT };
static const char *const opt_names[O_COUNT] = {"threads", "batch", "queue", "workers", "procs", "hosts", "rank",
                                               "nprocs", "leader", "secret-file", "bind", "port", "linger",
                                               "idle-timeout", "progress-interval", "monitor", "monitor-token",
                                               "monitor-linger"};

static int find_opt(const char *name, size_t len)
{
    for (int k = 0; k < O_COUNT; k++)
        if (strlen(opt_names[k]) == len && !memcmp(opt_names[k], name, len))
            return k;
    return -1;
}

/* Edit distance of two short names (for "did you mean"). */
static int distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    int d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t k = 0; k <= lb; k++)
        d[0][k] = (int)k;
    for (size_t i = 1; i <= la; i++)
        for (size_t k = 1; k <= lb; k++) {
            int sub = d[i - 1][k - 1] + (a[i - 1] != b[k - 1]);
            int del = d[i - 1][k] + 1, ins = d[i][k - 1] + 1;
            d[i][k] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[la][lb];
}

static void unknown_opt(const fl_job_def *job, const char *arg, size_t len)
{
    const char *best = NULL;
    int bd = len > 4 ? 3 : 2;
    for (int i = 0; i < job->nparams; i++) {
        int dd = distance(arg, len, job->params[i].name);
        if (dd < bd)
            bd = dd, best = job->params[i].name;
    }
    for (int k = 0; k < O_COUNT; k++) {
        int dd = distance(arg, len, opt_names[k]);
        if (dd < bd)
            bd = dd, best = opt_names[k];
    }
    if (best)
        fprintf(stderr, "flowc job: unknown option --%.*s; did you mean --%s? (--help lists the options)\n",
                (int)len, arg, best);
    else
        fprintf(stderr, "flowc job: unknown option --%.*s (--help lists the parameters)\n", (int)len, arg);
}

/* A runtime option k with its value. */
static int set_opt(int k, const char *val, opts *o)
{
    fl_i64 n = 0;
    flrt_dist_args *d = &o->dist;
    switch (k) {
    case O_THREADS:
        if (parse_count("--threads", val, 1, MAX_THREADS, &n) < 0)
            return -1;
        o->threads = (int)n;
        d->threads_given = 1;
        return 0;
    case O_BATCH:
        if (parse_count("--batch", val, 1, MAX_BATCH, &n) < 0)
            return -1;
        o->batch = n;
        return 0;
    case O_QUEUE:
        if (parse_count("--queue", val, 1, 1024, &n) < 0)
            return -1;
        o->queue = (int)n;
        return 0;
    case O_WORKERS:
        if (parse_count("--workers", val, 1, MAX_THREADS, &n) < 0)
            return -1;
        o->workers = (int)n;
        return 0;
    case O_PROCS: case O_NPROCS:
        if (parse_count(k == O_PROCS ? "--procs" : "--nprocs", val, 1, MAX_PROCS, &n) < 0)
            return -1;
        *(k == O_PROCS ? &d->procs : &d->nprocs) = (int)n;
        return 0;
    case O_RANK: case O_PORT:
        if (parse_count(k == O_RANK ? "--rank" : "--port", val, 0, k == O_RANK ? MAX_PROCS - 1 : 65535, &n) < 0)
            return -1;
        *(k == O_RANK ? &d->rank : &d->port) = (int)n;
        return 0;
    case O_LINGER: case O_IDLE:
        if (parse_count(k == O_LINGER ? "--linger" : "--idle-timeout", val, k == O_LINGER ? 0 : 1, 3600 * 1000, &n) < 0)
            return -1;
        *(k == O_LINGER ? &o->linger : &o->idle) = n;
        return 0;
    case O_PROGRESS_MS: case O_MONITOR_LINGER:
        if (parse_count(k == O_PROGRESS_MS ? "--progress-interval" : "--monitor-linger", val, k == O_PROGRESS_MS,
                        3600 * 1000, &n) < 0)
            return -1;
        *(k == O_PROGRESS_MS ? &o->progress_ms : &o->monitor_linger) = n;
        return 0;
    case O_MONITOR: o->monitor = val; return 0;
    case O_MONITOR_TOKEN: o->monitor_token = val; return 0;
    case O_HOSTS: d->hosts = val; return 0;
    case O_LEADER: d->leader = val; return 0;
    case O_SECRET: d->secret_file = val; return 0;
    default: d->bind = val; return 0;
    }
}

/* One option at argv[*i] (its value inline after '=' or in the next word). */
static int parse_opt(const fl_job_def *job, int argc, char **argv, int *i, opts *o)
{
    const char *arg = argv[*i] + 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    const fl_param_def *p = find_param(job, arg, len);
    int k = p ? -1 : find_opt(arg, len);
    if (!p && k < 0) {
        unknown_opt(job, arg, len);
        return -1;
    }
    const char *val = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
    if (!val) {
        fprintf(stderr, "flowc job: --%.*s needs a value (%s)\n", (int)len, arg,
                p ? type_name(p->type) : "see --help");
        return -1;
    }
    if (k >= 0)
        return set_opt(k, val, o);
    if (set_param(p, val) < 0) {
        fprintf(stderr, "flowc job: --%s expects %s (%s), not '%s'\n", p->name,
                type_name(p->type), type_hint(p->type), val);
        return -1;
    }
    return 0;
}

/* The options without a value (--stats, --progress, --no-progress; and
 * --stats=json FILE): 1 when argv[*i] was one, 0 when not, -1 when bad. */
static int flag_opt(int argc, char **argv, int *i, opts *o)
{
    const char *a = argv[*i];
    if (!strcmp(a, "--progress") || !strcmp(a, "--no-progress")) {
        o->progress = a[2] == 'p';
        return 1;
    }
    if (!strcmp(a, "--stats") || !strcmp(a, "--stats=text")) {
        o->stats = 1;
        return 1;
    }
    if (strncmp(a, "--stats=", 8) != 0)
        return 0;
    if (strcmp(a + 8, "json") != 0) {
        fprintf(stderr, "flowc job: --stats takes =text or =json FILE, not '%s'\n", a + 8);
        return -1;
    }
    if (*i + 1 >= argc) {
        fprintf(stderr, "flowc job: --stats=json needs a FILE to write\n");
        return -1;
    }
    o->stats = 2;
    o->stats_file = argv[++*i];
    return 1;
}

/* 0 to run, 1 after --help or --version, -1 on a bad command line. */
static int parse_args(const fl_job_def *job, int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->threads = default_threads();
    o->batch = FL_BATCH_ROWS;
    o->dist.rank = o->dist.nprocs = -1;
    o->linger = 10;
    o->idle = 1000;
    o->progress = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--test-clock")) {
            o->test_clock = 1;
            continue;
        }
        int f = flag_opt(argc, argv, &i, o);
        if (f < 0)
            return -1;
        if (f)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(job, stdout);
            return 1;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("%s: flowc %s, fingerprint %s\n", job->name, job->version ? job->version : "?",
                   job->fingerprint ? job->fingerprint : "none");
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

/* --stats: the table on standard error, or JSON into the file (whole, or not at all). */
static void stats_report(flrt_job *j, const opts *o)
{
    fl_i64 *snap = flrt_xcalloc((size_t)flrt_stats_len(j), sizeof *snap);
    flrt_stats_total(j, snap);
    if (o->stats == 1) {
        flrt_stats_print(j, snap, stderr);
    } else {
        flrt_stats_write_json(j, snap, o->stats_file);
    }
    free(snap);
}

static void job_init(void *arg) { ((const fl_job_def *)arg)->init(); }

/* Runs the job in this process, joined with the others when there are
 * (lib: for the C API; its failure message into msg). */
static int run(const fl_job_def *job, const opts *o, flrt_dist *d, struct fl_lib *lib, char *msg, size_t len)
{
    flrt_job j = {.def = job, .nthreads = o->threads, .batch_rows = o->batch, .chan_cap = o->queue,
                 .workers = o->workers, .test_clock = o->test_clock, .linger_ms = o->linger, .idle_ms = o->idle,
                 .lib = lib};
    flrt_job_init(&j);
    flrt_job_set_current(&j);
    flrt_maps_set_deferred(1);
    if (job->init && flrt_oom_guard(job_init, (void *)job) < 0)
        flrt_oom_fail();
    if (d->active && !flrt_failed())
        flrt_net_start(&j, &d->net);
    flrt_stats_init(&j);
    flrt_progress *pg = NULL;
    flrt_monitor *mon = NULL;
    if (j.rank == 0 && !flrt_failed()) {
        pg = flrt_progress_start(&j, o->progress, o->progress_ms);
        if (o->monitor)
            mon = flrt_monitor_start(&j, o->monitor, o->monitor_token);
    }
    if (!flrt_failed())
        flrt_job_run(&j);     /* with the other processes, when there are */
    if (j.net)
        flrt_net_finish(&j);
    int ok = !flrt_failed();
    flrt_progress_stop(pg, ok);
    if (ok)
        flrt_time_report(&j);
    if (ok && j.rank == 0 && o->stats)
        stats_report(&j, o);
    if (flrt_sinks_finish(ok) < 0)
        ok = 0;
    flrt_monitor_stop(mon, o->monitor_linger);   /* (after the output is committed) */
    flrt_stats_fini(&j);
    if (msg)
        snprintf(msg, len, "%s", j.failmsg);
    fflush(stdout);
    flrt_maps_set_deferred(0);
    flrt_csv_reset();
    free(j.procs);
    flrt_job_set_current(NULL);
    flrt_job_fini(&j);
    return ok;
}

typedef struct lib_call {
    const fl_job_def *job;
    int threads;
    struct fl_lib *lib;
    char *msg;
    size_t len;
    int ok;
} lib_call;

static void lib_run(void *arg)
{
    lib_call *c = arg;
    opts o;
    char *argv[] = {(char *)c->job->name, NULL};
    parse_args(c->job, 1, argv, &o);
    o.threads = c->threads > 0 ? (c->threads > MAX_THREADS ? MAX_THREADS : c->threads) : default_threads();
    o.progress = 0;
    flrt_dist d;
    memset(&d, 0, sizeof d);
    c->ok = run(c->job, &o, &d, c->lib, c->msg, c->len);
}

/* (Out of memory where no task or phase guard is, in the job's set-up or
 * end: the job fails, what it left undone stays so; never an exit.) */
int flrt_run_lib(const fl_job_def *job, int threads, struct fl_lib *lib, char *msg, size_t len)
{
    lib_call c = {job, threads, lib, msg, len, 0};
    if (flrt_oom_guard(lib_run, &c) == 0)
        return c.ok;
    flrt_job_set_current(NULL);
    flrt_oom_message(msg, len);
    return 0;
}

int fl_main(const fl_job_def *job, int argc, char **argv)
{
    opts o;
    int rc = parse_args(job, argc, argv, &o);
    if (rc)
        return rc < 0 ? 2 : 0;
    fflush(stdout);           /* what the caller printed goes before the job's output */
    /* Arena blocks and vectors up to 64 MiB come from the heap, and freed memory stays in the
     * process: a loop frees and makes its state and deltas again every round, and giving the
     * pages back to the kernel each time cost a page fault per page (PageRank at 2 threads:
     * 0.44 s -> 0.27 s). The peak is unchanged; it is just not given back before the end. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    /* One heap for every thread: the runtime mallocs per batch and per block, never per
     * row, so the lock costs nothing measurable, and memory one task frees serves the next
     * (with a heap per thread, each thread kept its own peak and free lists; see
     * docs/benchmarks.md, group-by memory, fifth round). */
    mallopt(M_ARENA_MAX, 1);
    flrt_signals_install();
    flrt_signals_drain_mode(job->unbounded);   /* a first SIGINT drains an unbounded job */
    flrt_signals_on_fatal(flrt_dist_signal);   /* SIGINT/SIGTERM reach the processes started */
    flrt_dist d;
    rc = flrt_dist_start(job, &o.dist, &o.threads, argc, argv, &d);
    if (rc)
        return rc;
    int ok = run(job, &o, &d, NULL, NULL, 0);
    if (d.nkids)
        ok = flrt_dist_wait(&d, ok) && ok;
    return ok ? 0 : 1;
}
