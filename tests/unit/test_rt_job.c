/* test_rt_job.c - whole jobs built by hand in C (fl_job_def tables, as
 * generated code builds them) run through fl_main: range shares over a
 * hash edge into one summing task and into a parallel stage (keys on the
 * right task), forward, single and broadcast edges, two inputs, small
 * batches, with --threads 1, 2, 4. Then failures: fl_fail in any stage of
 * a pipeline whose queues are full ends the job at once (no hang), one
 * message only; a consumer that stops early does not block its senders. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flowrt.h"

/* A hang ends the test: SIGALRM kills its process (criterion runs each
 * test in a process of its own; its .timeout leaks in parallel runs). */
static void watchdog(void) { alarm(20); }

/* ---- helpers: run fl_main with arguments, capture a file descriptor ---- */

static int run(const fl_job_def *j, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"job";
    va_list ap;
    va_start(ap, j);
    for (char *a; (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    return fl_main(j, argc, argv);
}

typedef struct cap {
    int fd, saved;
    char path[64];
} cap;

static void cap_begin(cap *c, int fd)
{
    strcpy(c->path, "/tmp/flrt-cap-XXXXXX");
    int t = mkstemp(c->path);
    fflush(NULL);
    c->fd = fd;
    c->saved = dup(fd);
    dup2(t, fd);
    close(t);
}

static char *cap_end(cap *c)
{
    fflush(NULL);
    dup2(c->saved, c->fd);
    close(c->saved);
    FILE *f = fopen(c->path, "r");
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = 0;
    fclose(f);
    unlink(c->path);
    return buf;
}

static int count_substr(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The next DATA batch (END messages are counted by the runtime). */
static fl_batch *recv_data(fl_task *t)
{
    fl_msg m;
    while (fl_recv(t, ~0u, &m))
        if (m.kind == FL_MSG_DATA)
            return m.batch;
    return NULL;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- range -> hash -> sum ---- */

static fl_i64 n_rows = 1000000;
static atomic_llong total, rows_seen, bad_rows;

static void range_run(fl_task *t)
{
    fl_i64 lo, hi;
    fl_split_range(t, 0, n_rows, &lo, &hi);
    fl_u64 nd = (fl_u64)t->outs[0].ndest;
    for (fl_i64 i = lo; i < hi; i++)
        *(fl_i64 *)fl_emit(t, 0, (int)(fl_hash_i64(i) % nd)) = i;
}

static void sum_run(fl_task *t)
{
    fl_i64 s = 0, n = 0;
    for (fl_batch *b; (b = recv_data(t));) {
        for (fl_i64 i = 0; i < b->n; i++)
            s += ((fl_i64 *)b->rows)[i];
        n += b->n;
        fl_done(t, b);
    }
    atomic_fetch_add(&total, s);
    atomic_fetch_add(&rows_seen, n);
}

static const fl_edge_def range_to_sum[] = {{1, FL_EDGE_HASH, 0, sizeof(fl_i64), NULL, NULL}};
static const fl_stage_def sum_stages[] = {
    {"range", 1, range_run, 1, range_to_sum, 0, 0, 0, 0, 0, 0},
    {"sum", 0, sum_run, 0, NULL, 0, 0, 0, 0, 0, 0},
};
static const fl_job_def sum_job = {"sum", 2, sum_stages, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};

static void check_sum(const char *threads, const char *batch)
{
    atomic_store(&total, 0);
    atomic_store(&rows_seen, 0);
    int rc = batch ? run(&sum_job, "--threads", threads, "--batch", batch, NULL)
                   : run(&sum_job, "--threads", threads, NULL);
    cr_assert_eq(rc, 0);
    cr_assert_eq(atomic_load(&total), n_rows * (n_rows - 1) / 2, "threads %s", threads);
    cr_assert_eq(atomic_load(&rows_seen), n_rows);
}

Test(rt_job, range_hash_sum, .init = watchdog)
{
    check_sum("1", NULL);
    check_sum("2", NULL);
    check_sum("4", NULL);
    check_sum("3", "7");
}

/* ---- range -> hash -> parallel partial sums -> single -> total ---- */

typedef struct partial {
    fl_i64 sum, n;
} partial;

static void partial_run(fl_task *t)
{
    partial p = {0, 0};
    for (fl_batch *b; (b = recv_data(t));) {
        if (b->input != 0 || b->from < 0 || b->from >= 64)
            atomic_fetch_add(&bad_rows, 1);
        for (fl_i64 i = 0; i < b->n; i++) {
            fl_i64 v = ((fl_i64 *)b->rows)[i];
            if ((int)(fl_hash_i64(v) % (fl_u64)t->ntasks) != t->index)
                atomic_fetch_add(&bad_rows, 1);
            p.sum += v;
            p.n++;
        }
        fl_done(t, b);
    }
    *(partial *)fl_emit(t, 0, 0) = p;
}

static void total_run(fl_task *t)
{
    for (fl_batch *b; (b = recv_data(t));) {
        for (fl_i64 i = 0; i < b->n; i++) {
            atomic_fetch_add(&total, ((partial *)b->rows)[i].sum);
            atomic_fetch_add(&rows_seen, ((partial *)b->rows)[i].n);
        }
        fl_done(t, b);
    }
}

static const fl_edge_def range_to_partial[] = {{1, FL_EDGE_HASH, 0, sizeof(fl_i64), NULL, NULL}};
static const fl_edge_def partial_to_total[] = {{2, FL_EDGE_SINGLE, 0, sizeof(partial), NULL, NULL}};
static const fl_stage_def shuffle_stages[] = {
    {"range", 1, range_run, 1, range_to_partial, 0, 0, 0, 0, 0, 0},
    {"partial", 1, partial_run, 1, partial_to_total, 0, 0, 0, 0, 0, 0},
    {"total", 0, total_run, 0, NULL, 0, 0, 0, 0, 0, 0},
};
static const fl_job_def shuffle_job = {"shuffle", 3, shuffle_stages, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};

Test(rt_job, hash_to_parallel_stage, .init = watchdog)
{
    const char *threads[] = {"1", "2", "4", "5"};
    for (int k = 0; k < 4; k++) {
        atomic_store(&total, 0);
        atomic_store(&rows_seen, 0);
        atomic_store(&bad_rows, 0);
        cr_assert_eq(run(&shuffle_job, "--threads", threads[k], "--batch", "100", NULL), 0);
        cr_assert_eq(atomic_load(&total), n_rows * (n_rows - 1) / 2);
        cr_assert_eq(atomic_load(&rows_seen), n_rows);
        cr_assert_eq(atomic_load(&bad_rows), 0, "a key reached the wrong task");
    }
}

/* ---- broadcast from one task, forward between equal stages ---- */

static void one_source_run(fl_task *t)
{
    for (fl_i64 i = 0; i < 1000; i++)
        for (int d = 0; d < t->outs[0].ndest; d++)
            *(fl_i64 *)fl_emit(t, 0, d) = i;
}

static const fl_edge_def bcast_out[] = {{1, FL_EDGE_BROADCAST, 0, sizeof(fl_i64), NULL, NULL}};
static const fl_stage_def bcast_stages[] = {
    {"one", 0, one_source_run, 1, bcast_out, 0, 0, 0, 0, 0, 0},
    {"partial", 1, partial_run, 1, partial_to_total, 0, 0, 0, 0, 0, 0},
    {"total", 0, total_run, 0, NULL, 0, 0, 0, 0, 0, 0},
};

/* partial_run checks hash placement: broadcast rows break it on purpose,
 * so this job uses a plain counter. */
static void count_run(fl_task *t)
{
    partial p = {0, 0};
    for (fl_batch *b; (b = recv_data(t));) {
        for (fl_i64 i = 0; i < b->n; i++)
            p.sum += ((fl_i64 *)b->rows)[i];
        p.n += b->n;
        if (b->from != 0)
            atomic_fetch_add(&bad_rows, 1);
        fl_done(t, b);
    }
    *(partial *)fl_emit(t, 0, 0) = p;
}

Test(rt_job, broadcast, .init = watchdog)
{
    fl_stage_def st[3];
    memcpy(st, bcast_stages, sizeof st);
    st[1].run = count_run;
    fl_job_def j = {"bcast", 3, st, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};
    atomic_store(&total, 0);
    atomic_store(&rows_seen, 0);
    atomic_store(&bad_rows, 0);
    cr_assert_eq(run(&j, "--threads", "3", NULL), 0);
    cr_assert_eq(atomic_load(&total), 3 * 499500);
    cr_assert_eq(atomic_load(&rows_seen), 3000);
    cr_assert_eq(atomic_load(&bad_rows), 0);
}

static void fwd_check_run(fl_task *t)
{
    partial p = {0, 0};
    for (fl_batch *b; (b = recv_data(t));) {
        if (b->from != t->index)
            atomic_fetch_add(&bad_rows, 1);
        for (fl_i64 i = 0; i < b->n; i++)
            p.sum += ((fl_i64 *)b->rows)[i];
        p.n += b->n;
        fl_done(t, b);
    }
    *(partial *)fl_emit(t, 0, 0) = p;
}

static void range_fwd_run(fl_task *t)
{
    fl_i64 lo, hi;
    fl_split_range(t, 0, n_rows, &lo, &hi);
    for (fl_i64 i = lo; i < hi; i++)
        *(fl_i64 *)fl_emit(t, 0, 0) = i;
}

static const fl_edge_def fwd_out[] = {{1, FL_EDGE_FORWARD, 0, sizeof(fl_i64), NULL, NULL}};

Test(rt_job, forward_same_and_different_counts, .init = watchdog)
{
    fl_stage_def st[3] = {
        {"range", 1, range_fwd_run, 1, fwd_out, 0, 0, 0, 0, 0, 0},
        {"check", 1, fwd_check_run, 1, partial_to_total, 0, 0, 0, 0, 0, 0},
        {"total", 0, total_run, 0, NULL, 0, 0, 0, 0, 0, 0},
    };
    fl_job_def j = {"fwd", 3, st, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};
    for (int one = 0; one < 2; one++) {
        st[0].parallel = !one;        /* then 1 task forwarding to 4: to task 0 */
        atomic_store(&total, 0);
        atomic_store(&rows_seen, 0);
        atomic_store(&bad_rows, 0);
        cr_assert_eq(run(&j, "--threads", "4", NULL), 0);
        cr_assert_eq(atomic_load(&total), n_rows * (n_rows - 1) / 2);
        cr_assert_eq(atomic_load(&rows_seen), n_rows);
        cr_assert_eq(atomic_load(&bad_rows), 0);
    }
}

/* ---- two inputs into one task ---- */

static void ones_run(fl_task *t)
{
    for (int i = 0; i < 5000; i++)
        *(fl_i64 *)fl_emit(t, 0, 0) = 1;
}

static void twos_run(fl_task *t)
{
    for (int i = 0; i < 5000; i++)
        *(fl_i64 *)fl_emit(t, 0, 0) = 2;
}

static void two_inputs_run(fl_task *t)
{
    for (fl_batch *b; (b = recv_data(t));) {
        for (fl_i64 i = 0; i < b->n; i++)
            if (((fl_i64 *)b->rows)[i] != b->input + 1)
                atomic_fetch_add(&bad_rows, 1);
        atomic_fetch_add(&rows_seen, b->n);
        fl_done(t, b);
    }
}

Test(rt_job, two_inputs, .init = watchdog)
{
    static const fl_edge_def to_in0[] = {{2, FL_EDGE_SINGLE, 0, sizeof(fl_i64), NULL, NULL}};
    static const fl_edge_def to_in1[] = {{2, FL_EDGE_FORWARD, 1, sizeof(fl_i64), NULL, NULL}};
    fl_stage_def st[3] = {
        {"ones", 0, ones_run, 1, to_in0, 0, 0, 0, 0, 0, 0},
        {"twos", 1, twos_run, 1, to_in1, 0, 0, 0, 0, 0, 0},
        {"both", 0, two_inputs_run, 0, NULL, 0, 0, 0, 0, 0, 0},
    };
    fl_job_def j = {"two", 3, st, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};
    atomic_store(&rows_seen, 0);
    atomic_store(&bad_rows, 0);
    cr_assert_eq(run(&j, "--threads", "3", "--batch", "64", NULL), 0);
    cr_assert_eq(atomic_load(&rows_seen), 5000 + 3 * 5000);
    cr_assert_eq(atomic_load(&bad_rows), 0);
}

static void make_run(fl_task *t)
{
    char tmp[32];
    for (int i = 0; i < 20000; i++) {
        fl_str *row = fl_emit(t, 0, 0);
        fl_str s = {tmp, snprintf(tmp, sizeof tmp, "row %d", i)};
        *row = fl_str_copy(fl_emit_arena(t, 0, 0), s);
    }
}

static void check_run(fl_task *t)
{
    for (fl_batch *b; (b = recv_data(t));) {
        for (fl_i64 i = 0; i < b->n; i++) {
            fl_str s = ((fl_str *)b->rows)[i];
            if (s.len < 5 || memcmp(s.ptr, "row ", 4) != 0)
                atomic_fetch_add(&bad_rows, 1);
        }
        atomic_fetch_add(&rows_seen, b->n);
        fl_done(t, b);
    }
}

/* rows hold slices into their batch's arena: they survive the move */
Test(rt_job, strings_in_batch_arenas, .init = watchdog)
{
    static const fl_edge_def out[] = {{1, FL_EDGE_HASH, 0, sizeof(fl_str), NULL, NULL}};
    static const fl_stage_def st[] = {
        {"make", 1, make_run, 1, out, 0, 0, 0, 0, 0, 0},
        {"check", 0, check_run, 0, NULL, 0, 0, 0, 0, 0, 0},
    };
    fl_job_def j = {"str", 2, st, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};
    atomic_store(&bad_rows, 0);
    atomic_store(&rows_seen, 0);
    cr_assert_eq(run(&j, "--threads", "2", "--batch", "10", NULL), 0);
    cr_assert_eq(atomic_load(&rows_seen), 2 * 20000);
    cr_assert_eq(atomic_load(&bad_rows), 0);
}

/* ---- failures ---- */

static atomic_int fail_stage;      /* the stage that fails */

static void gen_forever_run(fl_task *t)
{
    for (fl_i64 i = 0; !fl_stopping(); i++) {
        *(fl_i64 *)fl_emit(t, 0, 0) = i;
        if (t->stage == atomic_load(&fail_stage) && i == 100000) {
            fl_fail(t, "source failed at %lld", (long long)i);
            return;
        }
    }
}

static void pass_run(fl_task *t)
{
    int batches = 0;
    for (fl_batch *b; (b = recv_data(t));) {
        for (fl_i64 i = 0; i < b->n; i++)
            *(fl_i64 *)fl_emit(t, 0, 0) = ((fl_i64 *)b->rows)[i];
        fl_done(t, b);
        if (t->stage == atomic_load(&fail_stage) && ++batches == 50) {
            sleep_ms(100);          /* every queue fills meanwhile */
            fl_fail(t, "stage %d failed", t->stage);
            return;
        }
    }
}

static void slow_sink_run(fl_task *t)
{
    fl_batch *b = recv_data(t);
    if (!b)
        return;
    fl_done(t, b);
    sleep_ms(200);                  /* the queues behind fill up */
    if (t->stage == atomic_load(&fail_stage)) {
        fl_fail(t, "boom %d", 42);
        return;
    }
    while ((b = recv_data(t)))
        fl_done(t, b);
}

static const fl_edge_def to1[] = {{1, FL_EDGE_FORWARD, 0, sizeof(fl_i64), NULL, NULL}};
static const fl_edge_def to2[] = {{2, FL_EDGE_HASH, 0, sizeof(fl_i64), NULL, NULL}};
static const fl_stage_def pipe_stages[] = {
    {"gen", 0, gen_forever_run, 1, to1, 0, 0, 0, 0, 0, 0},
    {"pass", 1, pass_run, 1, to2, 0, 0, 0, 0, 0, 0},
    {"sink", 0, slow_sink_run, 0, NULL, 0, 0, 0, 0, 0, 0},
};
static const fl_job_def pipe_job = {"pipe", 3, pipe_stages, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};

static void check_failure(int stage, const char *msg)
{
    atomic_store(&fail_stage, stage);
    cap c;
    cap_begin(&c, 2);
    time_t t0 = time(NULL);
    int rc = run(&pipe_job, "--threads", "2", "--batch", "16", NULL);
    char *err = cap_end(&c);
    cr_assert_eq(rc, 1);
    cr_assert(time(NULL) - t0 < 5, "the job must end promptly");
    cr_assert_eq(count_substr(err, "flowc job: "), 1, "one message, got: %s", err);
    cr_assert(strstr(err, msg), "got: %s", err);
    free(err);
}

Test(rt_job, failing_last_stage_with_full_queues, .init = watchdog)
{
    check_failure(2, "flowc job: boom 42\n");
}

Test(rt_job, failing_middle_stage, .init = watchdog)
{
    check_failure(1, "flowc job: stage 1 failed\n");
}

Test(rt_job, failing_source, .init = watchdog)
{
    check_failure(0, "flowc job: source failed at 100000\n");
}

static void all_fail_run(fl_task *t) { fl_fail(t, "task %d failed", t->index); }

Test(rt_job, first_failure_wins, .init = watchdog)
{
    static const fl_stage_def st[] = {{"fail", 1, all_fail_run, 0, NULL, 0, 0, 0, 0, 0, 0}};
    fl_job_def j = {"fails", 1, st, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};
    cap c;
    cap_begin(&c, 2);
    int rc = run(&j, "--threads", "8", NULL);
    char *err = cap_end(&c);
    cr_assert_eq(rc, 1);
    cr_assert_eq(count_substr(err, "flowc job: task "), 1, "got: %s", err);
    free(err);
}

static void fail_in_init(void) { fl_fail(NULL, "bad default"); }

Test(rt_job, failing_init, .init = watchdog)
{
    atomic_store(&rows_seen, 0);
    fl_job_def j = sum_job;
    j.init = fail_in_init;
    cap c;
    cap_begin(&c, 2);
    int rc = run(&j, NULL);
    char *err = cap_end(&c);
    cr_assert_eq(rc, 1);
    cr_assert_str_eq(err, "flowc job: bad default\n");
    cr_assert_eq(atomic_load(&rows_seen), 0, "no task runs after a failed init");
    free(err);
}

static void first_batch_only_run(fl_task *t)
{
    fl_batch *b = recv_data(t);
    if (b)
        fl_done(t, b);
}

Test(rt_job, early_return_does_not_block_senders, .init = watchdog)
{
    static const fl_edge_def out[] = {{1, FL_EDGE_HASH, 0, sizeof(fl_i64), NULL, NULL}};
    static const fl_stage_def st[] = {
        {"range", 1, range_run, 1, out, 0, 0, 0, 0, 0, 0},
        {"limit", 0, first_batch_only_run, 0, NULL, 0, 0, 0, 0, 0, 0},
    };
    fl_job_def j = {"limit", 2, st, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};
    cr_assert_eq(run(&j, "--threads", "2", "--batch", "8", NULL), 0);
}

Test(rt_job, no_stages)
{
    fl_job_def j = {"empty", 0, NULL, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};
    cr_assert_eq(run(&j, NULL), 0);
}

Test(rt_job, invalid_edge)
{
    static const fl_edge_def out[] = {{7, FL_EDGE_HASH, 0, 8, NULL, NULL}};
    static const fl_stage_def st[] = {{"range", 1, range_run, 1, out, 0, 0, 0, 0, 0, 0}};
    fl_job_def j = {"bad", 1, st, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};
    cap c;
    cap_begin(&c, 2);
    int rc = run(&j, NULL);
    char *err = cap_end(&c);
    cr_assert_eq(rc, 1);
    cr_assert(strstr(err, "output edge 0 is invalid"), "got: %s", err);
    free(err);
}

/* ---- parallelism(n): a stage with its own task count ---- */

static atomic_int seen_tasks[16];

static void count_range_run(fl_task *t)
{
    if (t->index < 16)
        atomic_fetch_add(&seen_tasks[t->index], 1);
    cr_assert_eq(t->ntasks, 5);
    range_run(t);
}

static fl_i64 five(void) { return 5; }

Test(rt_job, a_stage_with_its_own_task_count, .init = watchdog)
{
    static const fl_edge_def out[] = {{1, FL_EDGE_HASH, 0, sizeof(fl_i64), NULL, NULL}};
    fl_stage_def st[] = {
        {"range5", 1, count_range_run, 1, out, 0, 0, 0, 0, 0, five},
        {"sum", 0, sum_run, 0, NULL, 0, 0, 0, 0, 0, 0},
    };
    fl_job_def j = {"five", 2, st, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, 0, 0, 0};
    for (int i = 0; i < 16; i++)
        atomic_store(&seen_tasks[i], 0);
    atomic_store(&total, 0);
    atomic_store(&rows_seen, 0);
    cr_assert_eq(run(&j, "--threads", "2", NULL), 0);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(atomic_load(&seen_tasks[i]), i < 5, "task %d of the 5 ran %d times", i, atomic_load(&seen_tasks[i]));
    cr_assert_eq(atomic_load(&rows_seen), n_rows, "the 5 tasks read every row once");
    cr_assert_eq(atomic_load(&total), n_rows * (n_rows - 1) / 2);
}
