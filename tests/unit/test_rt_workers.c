/* test_rt_workers.c - the worker pool (runtime/workers.c) on hand-built jobs
 * whose stages are state machines, as generated code builds them: a
 * source over a hash edge into a parallel summing stage and then into one
 * task, with --workers 1, 2 and 3 at several thread counts and queue
 * bounds (every row arrives once; the sum is right; the run ends); a stage
 * that keeps (holds) batches and gives them back later; and a failure in a
 * stage ends a pool's job at once, without a hang. The inbox calls the
 * pool relies on (trypop, park) are tested with the inbox itself. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowrt.h"
#include "flrt_int.h"

static void watchdog(void) { alarm(20); }

static int run(const fl_job_def *j, const char *threads, const char *workers, const char *queue)
{
    char *argv[] = {(char *)"job", (char *)"--threads", (char *)threads, (char *)"--workers", (char *)workers,
                    (char *)"--queue", (char *)queue, NULL};
    return fl_main(j, 7, argv);
}

/* ---- source -> hash -> partial sums -> single -> total ---- */

enum { N = 300000 };
static atomic_llong total, rows;
static int fail_at = -1;

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
    fl_i64 end = s->hi - s->i > 1000 ? s->i + 1000 : s->hi;
    for (; s->i < end; s->i++)
        *(fl_i64 *)fl_emit(t, 0, (int)(fl_hash_i64(s->i) % (fl_u64)t->outs[0].ndest)) = s->i;
    return s->i < s->hi;
}

static void src_close(fl_task *t, void *vs)
{
    (void)t;
    free(vs);
}

/* the partial sums: a batch kept every other time, given back at the next one */
typedef struct part_st { fl_i64 sum, n; fl_batch *held; } part_st;

static void *part_open(fl_task *t)
{
    (void)t;
    return calloc(1, sizeof(part_st));
}

static void part_take(fl_task *t, part_st *s, fl_batch *b)
{
    for (fl_i64 i = 0; i < b->n; i++)
        s->sum += ((fl_i64 *)b->rows)[i];
    s->n += b->n;
    if (fail_at >= 0 && s->n > fail_at)
        fl_fail(t, "part fails on purpose");
}

static int part_batch(fl_task *t, void *vs, fl_batch *b)
{
    part_st *s = vs;
    part_take(t, s, b);
    if (s->held) {   /* the one held before: done with now */
        fl_done(t, s->held);
        s->held = NULL;
        return 0;
    }
    s->held = b;
    return 1;
}

static void part_signal(fl_task *t, void *vs, const fl_msg *m)
{
    (void)t;
    (void)vs;
    (void)m;
}

static void part_close(fl_task *t, void *vs)
{
    part_st *s = vs;
    if (s->held)
        fl_done(t, s->held);
    *(fl_i64 *)fl_emit(t, 0, 0) = s->sum;
    atomic_fetch_add(&rows, s->n);
    free(s);
}

static int total_batch(fl_task *t, void *vs, fl_batch *b)
{
    (void)t;
    (void)vs;
    for (fl_i64 i = 0; i < b->n; i++)
        atomic_fetch_add(&total, ((fl_i64 *)b->rows)[i]);
    return 0;
}

static void *none_open(fl_task *t)
{
    (void)t;
    return NULL;
}

static void none_close(fl_task *t, void *vs)
{
    (void)t;
    (void)vs;
}

static const fl_edge_def src_out[] = {{1, FL_EDGE_HASH, 0, sizeof(fl_i64), NULL, NULL}};
static const fl_edge_def part_out[] = {{2, FL_EDGE_SINGLE, 0, sizeof(fl_i64), NULL, NULL}};
static const fl_stage_def stages[] = {
    {"src", 1, NULL, 1, src_out, src_open, src_produce, NULL, NULL, src_close, NULL},
    {"part", 1, NULL, 1, part_out, part_open, NULL, part_batch, part_signal, part_close, NULL},
    {"total", 0, NULL, 0, NULL, none_open, NULL, total_batch, part_signal, none_close, NULL},
};
static const fl_job_def job = {"pool", 3, stages, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};

static void check(const char *threads, const char *workers, const char *queue)
{
    atomic_store(&total, 0);
    atomic_store(&rows, 0);
    fail_at = -1;
    cr_assert_eq(run(&job, threads, workers, queue), 0);
    cr_assert_eq(atomic_load(&rows), N, "threads %s, workers %s, queue %s: %lld rows", threads, workers, queue,
                 (long long)atomic_load(&rows));
    cr_assert_eq(atomic_load(&total), (fl_i64)N * (N - 1) / 2);
}

Test(workers, every_row_once_at_any_worker_count, .init = watchdog)
{
    check("1", "1", "4");
    check("2", "1", "1");
    check("4", "2", "1");
    check("4", "3", "2");
    check("8", "2", "4");
}

Test(workers, a_failure_ends_the_job, .init = watchdog)
{
    fail_at = 5000;
    char *argv[] = {(char *)"job", (char *)"--threads", (char *)"4", (char *)"--workers", (char *)"2",
                    (char *)"--queue", (char *)"1", NULL};
    cr_assert_eq(fl_main(&job, 7, argv), 1, "a failed job exits 1, and returns (no hang)");
}

/* ---- the inbox calls the pool uses ---- */

static int woken;
static void *woken_who;
static void on_ready(void *who)
{
    woken++;
    woken_who = who;
}

Test(workers, trypop_sleeps_and_a_push_wakes, .init = watchdog)
{
    flrt_job j = {0};
    j.chan_cap = 2;
    flrt_chan *ch = calloc(2, sizeof *ch);
    ch[0].input = 0;
    ch[1].input = 0;
    ch[1].src = 1;
    flrt_inbox q;
    flrt_inbox_init(&q, &j, ch, 2, 1);
    q.ready = on_ready;
    q.owner = &q;
    fl_msg m;
    int c;
    woken = 0;
    cr_assert_eq(flrt_inbox_trypop(&q, ~0u, &m, &c), 0, "empty: it sleeps");
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_END, NULL, 0), 0);
    cr_assert_eq(woken, 1, "the push woke the owner");
    cr_assert_eq(woken_who, &q);
    cr_assert_eq(flrt_inbox_trypop(&q, ~0u, &m, &c), 1);
    cr_assert_eq(m.kind, FL_MSG_END);
    cr_assert_eq(flrt_inbox_push(&q, 1, FL_MSG_END, NULL, 0), 0);
    cr_assert_eq(woken, 1, "not sleeping: no wakeup");
    cr_assert_eq(flrt_inbox_trypop(&q, ~0u, &m, &c), 1);
    cr_assert_eq(flrt_inbox_trypop(&q, ~0u, &m, &c), -1, "every channel ended");
    flrt_inbox_fini(&q);
}

Test(workers, a_full_channel_parks_its_sender_until_a_pop, .init = watchdog)
{
    flrt_job j = {0};
    j.chan_cap = 2;
    flrt_chan *ch = calloc(1, sizeof *ch);
    flrt_inbox q;
    flrt_inbox_init(&q, &j, ch, 1, 1);
    q.ready = on_ready;
    q.owner = &q;
    int sender;
    woken = 0;
    cr_assert_eq(flrt_inbox_park(&q, 0, &sender), 0, "room: no parking");
    fl_batch *b[3];
    flrt_pool pool;
    flrt_pool_init(&pool, 4, 8);
    for (int i = 0; i < 3; i++)
        b[i] = flrt_pool_get(&pool);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_DATA, b[0], 0), 0);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_DATA, b[1], 0), 1, "at the bound: full");
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_DATA, b[2], 0), 1, "a pool's push never waits: over the bound");
    cr_assert_eq(flrt_inbox_park(&q, 0, &sender), 1);
    fl_msg m;
    int c;
    cr_assert_eq(flrt_inbox_trypop(&q, ~0u, &m, &c), 1);
    cr_assert_eq(woken, 0, "still at the bound");
    flrt_batch_release(m.batch);
    cr_assert_eq(flrt_inbox_trypop(&q, ~0u, &m, &c), 1);
    cr_assert_eq(woken, 1, "below the bound: the sender is ready");
    cr_assert_eq(woken_who, &sender);
    flrt_batch_release(m.batch);
    flrt_inbox_fini(&q);
    flrt_pool_fini(&pool);
}
