/* test_rt_stats.c - the runtime's counts (runtime/stats.c, stats_out.c).
 * On fabricated tasks of a fabricated job: counters add over tasks and
 * runs, gauges (state sizes) add over tasks and keep the largest run,
 * running tasks count live (queues too), a task ends once; its times
 * (threads, and the worker pool's busy time); file sources' progress;
 * process 0's copies of other processes' snapshots and their sum (wrong
 * lengths and ranks ignored, DONE the AND). On a hand-built two-stage job
 * run by flrt_job_run with 1 and 3 threads and on the worker pool: the
 * operators' rows, rows per input, tasks ended, times within the wall
 * time. Then the JSON (escaping, well formed, nulls) and the table, and
 * fl_main --stats=json FILE. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowrt.h"
#include "flrt_int.h"
#include "stats.h"

static void watchdog(void) { alarm(20); }

/* ---- the job: src (range 0..N; evens to input 0, odds to input 1) -> sink ---- */

enum { N = 10000, MAXLEN = 128 };
typedef struct src_st { fl_i64 i, hi; } src_st;

static void *src_open(fl_task *t)
{
    src_st *s = calloc(1, sizeof *s);
    fl_split_range(t, 0, N, &s->i, &s->hi);
    return s;
}

static int src_produce(fl_task *t, void *vs)
{
    src_st *s = vs;
    fl_i64 end = s->hi - s->i > 700 ? s->i + 700 : s->hi;
    for (; s->i < end; s->i++) {
        int odd = (int)(s->i & 1);
        *(fl_i64 *)fl_emit(t, odd, (int)(fl_hash_i64(s->i) % (fl_u64)t->outs[odd].ndest)) = s->i;
        t->counts[0]++;         /* the source's rows */
        t->counts[1] += !odd;   /* the filter's */
    }
    return s->i < s->hi;
}

static void free_close(fl_task *t, void *s) { (void)t; free(s); }
static void *sink_open(fl_task *t) { (void)t; return calloc(1, sizeof(fl_i64)); }
static void sink_signal(fl_task *t, void *s, const fl_msg *m) { (void)t, (void)s, (void)m; }

static int sink_batch(fl_task *t, void *vs, fl_batch *b)
{
    fl_i64 *held = vs;
    *held += b->n;
    t->counts[2] = *held;   /* the state's size, a gauge */
    return 0;
}

/* op: node, kind, op, line, col, in, nin, out, state, from */
static const fl_op_def src_ops[] = {{0, "source", "range(N)", 1, 1, 0, 0, 0, -1, -1},
                                    {1, "filter", "x % 2 == 0", 2, 5, 0, 1, 1, -1, 0}};
static const fl_op_def sink_ops[] = {{2, "sink", "count()", 3, 7, 0, 2, -1, 2, -1}};
static const fl_edge_def src_outs[] = {{1, FL_EDGE_HASH, 0, sizeof(fl_i64), NULL, NULL},
                                       {1, FL_EDGE_HASH, 1, sizeof(fl_i64), NULL, NULL}};
static const fl_stage_def stages[] = {
    {"src", 1, NULL, 2, src_outs, src_open, src_produce, NULL, NULL, free_close, NULL, 2, src_ops, 2, 2, 0},
    {"sink", 1, NULL, 0, NULL, sink_open, NULL, sink_batch, sink_signal, free_close, NULL, 1, sink_ops, 3, 2, 0},
};
static const fl_job_def job = {"st\"ats", 2, stages, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};

/* ---- a fabricated job and its tasks ---- */

static flrt_job J;
static flrt_task T[4];

static void fab_begin(int nprocs, int threads, int workers)
{
    memset(&J, 0, sizeof J);
    J.def = &job, J.nprocs = nprocs, J.nthreads = threads, J.workers = workers, J.batch_rows = 64;
    flrt_job_init(&J);
    flrt_job_set_current(&J);
    flrt_stats_init(&J);
}

static void fab_end(void)
{
    for (int i = 0; i < 4; i++)
        flrt_stats_task_free(&T[i]);
    flrt_stats_fini(&J);
    flrt_job_set_current(NULL);
    flrt_job_fini(&J);
}

/* Task i of stage s built afresh, with its counters set to c. */
static flrt_task *task_with(int i, int s, const fl_i64 *c)
{
    flrt_task *t = &T[i];
    flrt_stats_task_free(t);
    memset(t, 0, sizeof *t);
    t->job = &J, t->def = &stages[s], t->pub.stage = s;
    flrt_stats_task_init(t);
    memcpy(t->pub.counts, c, (size_t)t->def->ncounts * sizeof *c);
    return t;
}

static void end_with(int i, int s, const fl_i64 *c) { flrt_stats_task_end(task_with(i, s, c)); }

static fl_i64 *snap(fl_i64 *out)
{
    cr_assert_leq(flrt_stats_len(&J), MAXLEN);
    flrt_stats_snap(&J, out);
    return out;
}

Test(rt_stats, gauges_add_over_tasks_keep_largest_run)
{
    fab_begin(1, 2, 0);
    fl_i64 s[MAXLEN], at = flrt_stats_stage_at(&J, 1), *e = s + at + 3;
    cr_assert(flrt_stats_stage_at(&J, 0) == FLRT_H_COUNT && at == FLRT_H_COUNT + 2 + FLRT_ST_COUNT);
    cr_assert_eq(flrt_stats_len(&J), at + 3 + FLRT_ST_COUNT);
    J.seq = 1;   /* (phase_run counts runs from 1) */
    end_with(0, 1, (fl_i64[]){10, 1, 5});
    end_with(1, 1, (fl_i64[]){20, 2, 7});
    snap(s);
    cr_assert(s[at] == 30 && s[at + 1] == 3 && s[at + 2] == 12 && e[FLRT_ST_ENDED] == 2);
    J.seq = 2;   /* a loop's second round, smaller: counters add, the gauge stays */
    end_with(0, 1, (fl_i64[]){1, 1, 4});
    end_with(1, 1, (fl_i64[]){1, 1, 3});
    snap(s);
    cr_assert(s[at] == 32 && s[at + 1] == 5 && s[at + 2] == 12 && e[FLRT_ST_ENDED] == 4);
    J.seq = 3;   /* a larger one replaces it */
    end_with(0, 1, (fl_i64[]){0, 0, 10});
    end_with(1, 1, (fl_i64[]){0, 0, 9});
    cr_assert_eq(snap(s)[at + 2], 19);
    flrt_stats_task_end(&T[1]);   /* a task ends once */
    cr_assert(snap(s)[at + 3 + FLRT_ST_ENDED] == 6 && s[FLRT_H_THREADS] == 2);
    for (fl_i64 i = flrt_stats_stage_at(&J, 0); i < at; i++)   /* stage 0 saw nothing */
        cr_assert_eq(s[i], 0);
    fab_end();
}

Test(rt_stats, running_tasks_count_live)
{
    fab_begin(1, 2, 0);
    fl_i64 s[MAXLEN], at = flrt_stats_stage_at(&J, 1), *e = s + at + 3;
    J.seq = 1;
    end_with(0, 1, (fl_i64[]){5, 5, 30});
    J.seq = 2;   /* this run: one ended, one running */
    end_with(1, 1, (fl_i64[]){1, 0, 2});
    flrt_task *live = task_with(2, 1, (fl_i64[]){3, 4, 25});
    flrt_chan ch[2] = {{.count = 3}, {.count = 1}};
    live->in.chans = ch, live->in.nchan = 2;
    J.tasks = live, J.nlocal = 1;
    snap(s);
    cr_assert(s[at] == 9 && s[at + 1] == 9, "live counters add: %lld %lld", (long long)s[at], (long long)s[at + 1]);
    cr_assert_eq(s[at + 2], 30);   /* this run: 2 + 25 < 30 */
    live->pub.counts[2] = 40;
    cr_assert_eq(snap(s)[at + 2], 42);
    cr_assert(e[FLRT_ST_LIVE] == 1 && e[FLRT_ST_ENDED] == 2);
    cr_assert(e[FLRT_ST_QUEUED] == 4 && e[FLRT_ST_QCAP] == 2 * FLRT_CHAN_CAP);
    J.tasks = NULL, J.nlocal = 0;
    fab_end();
}

Test(rt_stats, task_times)
{
    fab_begin(1, 2, 0);
    fl_i64 s[MAXLEN], *e = s + flrt_stats_stage_at(&J, 0) + 2, sec = 1000000000, slack = sec / 2;
    flrt_task *a = task_with(0, 0, (fl_i64[]){0, 0}), *p = task_with(1, 0, (fl_i64[]){0, 0});
    a->t_start = p->t_start = flrt_now_ns() - sec;
    a->t_in = sec / 5, a->t_out = 3 * sec / 10, a->bytes_out = 77;
    p->t_busy = sec / 10;   /* the worker pool: what is not a step is waiting */
    p->pooled = 1;
    flrt_stats_task_end(a);
    flrt_stats_task_end(p);
    snap(s);
    cr_assert_eq(e[FLRT_ST_OUT_NS], 3 * sec / 10);
    cr_assert(e[FLRT_ST_IN_NS] >= 11 * sec / 10 && e[FLRT_ST_IN_NS] < 11 * sec / 10 + slack);
    cr_assert(e[FLRT_ST_BUSY_NS] >= 6 * sec / 10 && e[FLRT_ST_BUSY_NS] < 6 * sec / 10 + slack);
    cr_assert(e[FLRT_ST_BYTES] == 77 && e[FLRT_ST_ENDED] == 2);
    fab_end();
}

Test(rt_stats, sources)
{
    fab_begin(1, 2, 0);
    static const char text[100] = "file";
    const char *c1 = text + 10, *c2 = text + 60, *other = NULL;
    fl_i64 s[MAXLEN];
    flrt_stats_source(&c1, text + 10, 50);
    flrt_stats_source(&c2, text + 60, 40);
    cr_assert(snap(s)[FLRT_H_BYTES_DONE] == 0 && s[FLRT_H_BYTES_TOTAL] == 90);
    c1 = text + 30, c2 = text + 70;
    cr_assert_eq(snap(s)[FLRT_H_BYTES_DONE], 30);
    c1 = NULL;   /* closed: all read */
    cr_assert_eq(snap(s)[FLRT_H_BYTES_DONE], 60);
    c1 = text + 10;
    flrt_stats_source_done(&c1);   /* done: the whole share, whatever the cursor */
    flrt_stats_source_done(&other);   /* not a source: nothing */
    cr_assert(snap(s)[FLRT_H_BYTES_DONE] == 60 && s[FLRT_H_BYTES_TOTAL] == 90);
    c2 = text + 90;
    cr_assert_eq(snap(s)[FLRT_H_BYTES_DONE], 80);
    flrt_stats_source_done(&c2);
    cr_assert(snap(s)[FLRT_H_BYTES_DONE] == 90 && s[FLRT_H_BYTES_TOTAL] == 90);
    fab_end();
}

/* The total is a + b entry by entry (not the time, DONE, bytes received); returns its DONE. */
static fl_i64 total_is(const fl_i64 *a, const fl_i64 *b, fl_i64 len)
{
    fl_i64 tot[MAXLEN];
    flrt_stats_total(&J, tot);
    for (fl_i64 i = 0; i < len; i++)
        if (i != FLRT_H_ELAPSED_MS && i != FLRT_H_DONE && i != FLRT_H_RECEIVED)
            cr_assert_eq(tot[i], a[i] + (b ? b[i] : 0), "entry %lld", (long long)i);
    cr_assert_eq(tot[FLRT_H_RECEIVED], tot[FLRT_H_SENT]);
    return tot[FLRT_H_DONE];
}

Test(rt_stats, remote_snapshots_and_total)
{
    fab_begin(3, 2, 0);
    J.seq = 1;
    end_with(0, 1, (fl_i64[]){4, 6, 9});
    atomic_store(&J.ended, 1);
    fl_i64 len = flrt_stats_len(&J), loc[MAXLEN], r1[MAXLEN], r2[MAXLEN], both[MAXLEN], tot[MAXLEN], age;
    snap(loc);
    for (fl_i64 i = 0; i < len; i++)
        r1[i] = i + 1, r2[i] = 1000 + i, both[i] = r1[i] + r2[i];
    r1[FLRT_H_DONE] = 1, r2[FLRT_H_DONE] = 0;
    flrt_stats_remote(&J, 2, r2, len - 1);   /* ignored: wrong length, this process, none such */
    flrt_stats_remote(&J, 0, r2, len);
    flrt_stats_remote(&J, 3, r2, len);
    cr_assert_eq(flrt_stats_proc(&J, 2, tot, &age), 0);
    cr_assert_eq(total_is(loc, NULL, len), 0, "processes 1 and 2 have not reported");
    flrt_stats_remote(&J, 1, r1, len);
    cr_assert_eq(total_is(loc, r1, len), 0, "process 2 has not reported");
    flrt_stats_remote(&J, 2, r2, len);
    cr_assert_eq(total_is(loc, both, len), 0, "process 2 is not done");
    r2[FLRT_H_DONE] = 1;
    flrt_stats_remote(&J, 2, r2, len);   /* the latest replaces the one before */
    cr_assert_eq(total_is(loc, both, len), 1);
    cr_assert_eq(flrt_stats_proc(&J, 1, tot, &age), 1);
    cr_assert(memcmp(tot, r1, (size_t)len * sizeof *tot) == 0 && age >= 0);
    fab_end();
}

/* ---- the job run ---- */

static void check_run(int threads, int workers)
{
    fab_begin(0, threads, workers);
    fl_i64 t0 = flrt_now_ns();
    cr_assert_eq(flrt_job_run(&J), 0);
    fl_i64 wall = flrt_now_ns() - t0, s[MAXLEN], a = flrt_stats_stage_at(&J, 0), b = flrt_stats_stage_at(&J, 1);
    cr_assert_leq(flrt_stats_len(&J), MAXLEN);
    flrt_stats_total(&J, s);
    cr_assert(s[a] == N && s[a + 1] == N / 2, "source %lld, filter %lld", (long long)s[a], (long long)s[a + 1]);
    cr_assert(s[b] == N / 2 && s[b + 1] == N / 2, "rows per input: %lld %lld", (long long)s[b], (long long)s[b + 1]);
    cr_assert_eq(s[b + 2], N, "the tasks' peaks add up");
    for (int k = 0; k < 2; k++) {
        const fl_i64 *e = s + flrt_stats_stage_at(&J, k) + stages[k].ncounts;
        cr_assert(e[FLRT_ST_ENDED] == threads && e[FLRT_ST_LIVE] == 0 && e[FLRT_ST_BYTES] == 0);
        cr_assert(e[FLRT_ST_BUSY_NS] >= 0 && e[FLRT_ST_IN_NS] >= 0 && e[FLRT_ST_OUT_NS] >= 0);
        fl_i64 all = e[FLRT_ST_BUSY_NS] + e[FLRT_ST_IN_NS] + e[FLRT_ST_OUT_NS];
        cr_assert(all > 0 && all <= threads * wall, "stage %d: %lld ns of %d x %lld", k, (long long)all, threads,
                  (long long)wall);
    }
    cr_assert(s[FLRT_H_DONE] == 1 && s[FLRT_H_THREADS] == threads && s[FLRT_H_SENT] == 0);
    cr_assert(flrt_stats_op_in(&J, s, 0, 0) == -1 && flrt_stats_op_out(&J, s, 0, 0) == N);
    cr_assert(flrt_stats_op_in(&J, s, 0, 1) == N && flrt_stats_op_out(&J, s, 0, 1) == N / 2);
    cr_assert(flrt_stats_op_in(&J, s, 1, 0) == N && flrt_stats_op_out(&J, s, 1, 0) == -1);
    cr_assert_eq(flrt_stats_source_rows(&J, s), N);
    fab_end();
}

Test(rt_stats, job_counts, .init = watchdog)
{
    check_run(1, 0);
    check_run(3, 0);
    check_run(3, 2);   /* the worker pool */
}

/* ---- JSON and the table ---- */

Test(rt_stats, json_str_escapes)
{
    fl_buf b = {0};
    flrt_json_str(&b, "a\"b\\c\n\x01\x1f\xc3\xa9");
    flrt_json_str(&b, NULL);
    fl_buf_putc(&b, 0);
    cr_assert_str_eq(b.p, "\"a\\\"b\\\\c\\u000a\\u0001\\u001f\xc3\xa9\"\"\"");
    fl_buf_free(&b);
}

/* Brackets balance outside strings; strings hold no raw control characters. */
static int well_formed(const char *s)
{
    char stack[64];
    int depth = 0, in_str = 0;
    for (; *s; s++) {
        if (in_str && (unsigned char)*s < 0x20)
            return 0;
        else if (in_str && *s == '\\')
            s += s[1] != 0;   /* the escaped character, skipped */
        else if (in_str || *s == '"')
            in_str = !in_str || *s != '"';
        else if ((*s == '{' || *s == '[') && depth < 64)
            stack[depth++] = *s == '{' ? '}' : ']';
        else if (*s == '{' || *s == '[' || ((*s == '}' || *s == ']') && (!depth || stack[--depth] != *s)))
            return 0;
    }
    return depth == 0 && !in_str;
}

static const char *const json_has[] = {
    "{\"job\": \"st\\\"ats\", \"processes\": 1, \"threads\": 2,", "\"done\": true", "\"source_rows\": 10000",
    "\"name\": \"src\", \"phase\": 0, \"parallel\": true, \"tasks_ended\": 2, \"tasks_running\": 0",
    "\"rows_by_input\": [], \"operators\"", "\"rows_by_input\": [5000, 5000]",
    "\"kind\": \"source\", \"op\": \"range(N)\", \"line\": 1, \"col\": 1, \"from\": -1, \"rows_in\": null, "
    "\"rows_out\": 10000, \"state\": null}",
    "\"op\": \"x % 2 == 0\", \"line\": 2, \"col\": 5, \"from\": 0, \"rows_in\": 10000, \"rows_out\": 5000, \"state\": null}",
    "\"rows_in\": 10000, \"rows_out\": null, \"state\": 10000}",
    "\"edges\": [{\"to\": 1, \"kind\": \"hash\", \"input\": 0}, {\"to\": 1, \"kind\": \"hash\", \"input\": 1}]",
    "\"edges\": []}]}\n"};

Test(rt_stats, json_and_table, .init = watchdog)
{
    fab_begin(0, 2, 0);
    cr_assert_eq(flrt_job_run(&J), 0);
    fl_i64 s[MAXLEN];
    flrt_stats_total(&J, s);
    fl_buf b = {0};
    flrt_stats_json(&J, s, &b, 1);
    fl_buf_putc(&b, 0);
    cr_assert(well_formed(b.p), "%s", b.p);
    for (size_t i = 0; i < sizeof json_has / sizeof *json_has; i++)
        cr_assert(strstr(b.p, json_has[i]), "missing %s in %s", json_has[i], b.p);
    fl_buf_free(&b);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    flrt_stats_print(&J, s, f);
    fclose(f);
    int lines = 0, ops = 0;
    for (char *p = text; (p = strchr(p, '\n')); p++)
        lines++;
    for (char *p = text; (p = strstr(p, "\n  n")); p++)
        ops++;
    cr_assert(lines == 8 && ops == 3, "%d lines, %d operators:\n%s", lines, ops, text);
    cr_assert(strstr(text, "stage 1 sink (2 task runs): busy "), "%s", text);
    cr_assert(strstr(text, "  n2 sink count()"), "%s", text);
    cr_assert(strstr(text, " 10000              -      10000\n"), "%s", text);
    free(text);
    fab_end();
}

Test(rt_stats, main_writes_json, .init = watchdog)
{
    char path[] = "/tmp/flrt-stats-XXXXXX", buf[8192];
    close(mkstemp(path));
    char *argv[] = {"job", "--threads", "3", "--stats=json", path, NULL};
    cr_assert_eq(fl_main(&job, 5, argv), 0);
    FILE *f = fopen(path, "r");
    cr_assert(f != NULL);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    unlink(path);
    cr_assert(well_formed(buf), "%s", buf);
    cr_assert(strstr(buf, "\"tasks_ended\": 3") && strstr(strstr(buf, "\"tasks_ended\": 3") + 1, "\"tasks_ended\": 3"));
    cr_assert(strstr(buf, "\"rows_by_input\": [5000, 5000]") && strstr(buf, "\"done\": true"), "%s", buf);
    cr_assert(strstr(buf, "\"state\": 10000}"), "%s", buf);
}
