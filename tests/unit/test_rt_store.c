/* test_rt_store.c - stores (runtime/store.c) and the runtime's loop of a
 * phase (task.c): rows of any size kept in chunks and read back in order;
 * a hand-built job whose phase 0 fills a store and whose phase 1 runs
 * round after round, each round reading the store its previous round
 * wrote (swap), until next() says stop; the state every round sees, the
 * number of rounds and the rows of the last round, at 1, 2 and 4 threads. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "flowrt.h"
#include "flrt_int.h"

static void watchdog(void) { alarm(20); }

/* ---- a store alone, in a job context of its own ---- */

static void store_roundtrip(fl_i64 size, fl_i64 rows)
{
    fl_job_def jd = {.name = "s", .nslots = 1};
    flrt_proc one = {.threads = 3};
    flrt_job j = {.def = &jd, .procs = &one, .nprocs = 1};
    flrt_stores_init(&j);
    flrt_task t = {.job = &j};
    t.pub.index = 2;
    fl_store *s = fl_store_of(&t.pub, 0);
    cr_assert_eq(s, fl_store_of(&t.pub, 0), "one store per (slot, task index)");
    for (fl_i64 i = 0; i < rows; i++) {
        char *p = fl_store_push(s, size);
        memset(p, (int)(i % 251), (size_t)size);
        memcpy(p, &i, sizeof i < (size_t)size ? sizeof i : (size_t)size);
    }
    fl_i64 seen = 0, n, chunks = 0;
    char *c;
    for (fl_i64 k = 0; (c = fl_store_chunk(s, k, &n)); k++, chunks++)
        for (fl_i64 r = 0; r < n; r++, seen++) {
            fl_i64 v = 0;
            memcpy(&v, c + r * size, sizeof v < (size_t)size ? sizeof v : (size_t)size);
            if (size >= 8)
                cr_assert_eq(v, seen, "row %lld holds %lld", (long long)seen, (long long)v);
            if (size > 8)
                cr_assert_eq((unsigned char)c[r * size + size - 1], (unsigned char)(seen % 251));
        }
    cr_assert_eq(seen, rows);
    cr_assert(rows == 0 || chunks >= 1);
    cr_assert(chunks <= rows / 64 + 1, "rows share chunks (%lld chunks for %lld rows)", (long long)chunks, (long long)rows);
    flrt_stores_clear(&j, 0);
    cr_assert_null(j.stores[2]);
    flrt_stores_fini(&j);
}

Test(store, rows_of_any_size_in_chunks, .init = watchdog)
{
    store_roundtrip(8, 0);
    store_roundtrip(8, 1);
    store_roundtrip(8, 100000);
    store_roundtrip(24, 33333);
    store_roundtrip(5000, 300);   /* large rows: 64 a chunk */
}

Test(store, swap_exchanges_slots, .init = watchdog)
{
    fl_job_def jd = {.name = "s", .nslots = 2};
    flrt_proc one = {.threads = 2};
    flrt_job j = {.def = &jd, .procs = &one, .nprocs = 1};
    flrt_stores_init(&j);
    flrt_task t = {.job = &j};
    t.pub.index = 1;
    *(fl_i64 *)fl_store_push(fl_store_of(&t.pub, 0), 8) = 42;
    fl_store *a = fl_store_of(&t.pub, 0);
    flrt_stores_swap(&j, 0, 1);
    cr_assert_eq(fl_store_of(&t.pub, 1), a);
    fl_i64 n;
    cr_assert_null(fl_store_chunk(fl_store_of(&t.pub, 0), 0, &n), "slot 0 is empty after the swap");
    cr_assert_eq(*(fl_i64 *)fl_store_chunk(a, 0, &n), 42);
    flrt_stores_fini(&j);
}

/* ---- a job with a loop: phase 0 stores 0..N-1, phase 1 adds the state to
 * each row, round after round, until the state reaches LIMIT ---- */

enum { N = 5000 };
static fl_i64 state, rounds, last_sum;
static atomic_llong round_sum, round_rows, bad_state;

static void fill_run(fl_task *t)
{
    fl_i64 lo, hi;
    fl_split_range(t, 0, N, &lo, &hi);
    fl_store *s = fl_store_of(t, 0);
    for (fl_i64 i = lo; i < hi; i++)
        *(fl_i64 *)fl_store_push(s, 8) = i;
}

static void round_run(fl_task *t)
{
    fl_store *in = fl_store_of(t, 0), *out = fl_store_of(t, 1);
    fl_i64 n, *c, sum = 0, rows = 0, st = state;
    for (fl_i64 k = 0; (c = fl_store_chunk(in, k, &n)); k++)
        for (fl_i64 i = 0; i < n; i++) {
            *(fl_i64 *)fl_store_push(out, 8) = c[i] + st;
            sum += c[i] + st;
            rows++;
        }
    if (st != state)
        atomic_fetch_add(&bad_state, 1);
    atomic_fetch_add(&round_sum, sum);
    atomic_fetch_add(&round_rows, rows);
}

static int round_next(void)
{
    rounds++;
    last_sum = atomic_exchange(&round_sum, 0);
    state += 1;
    return state < 7;
}

static void loop_init(void) { state = 1; }

static const fl_stage_def loop_stages[] = {
    {"fill", 1, fill_run, 0, NULL, 0, 0, 0, 0, 0, 0},
    {"round", 1, round_run, 0, NULL, 0, 0, 0, 0, 0, 0},
};
static const fl_phase_def loop_phases[] = {
    {0, 1, NULL, NULL, NULL, NULL, -1, -1, 0},
    {1, 1, loop_init, NULL, NULL, round_next, 0, 1, 1},
};
static const fl_job_def loop_job = {"loop", 2, loop_stages, 0, NULL, NULL, NULL, NULL, 0, 2, loop_phases, 2, 0, 0};

static void check_loop(const char *threads)
{
    state = rounds = last_sum = 0;
    atomic_store(&round_sum, 0);
    atomic_store(&round_rows, 0);
    atomic_store(&bad_state, 0);
    char *argv[] = {(char *)"job", (char *)"--threads", (char *)threads, NULL};
    cr_assert_eq(fl_main(&loop_job, 3, argv), 0);
    cr_assert_eq(rounds, 6, "states 1..6: six rounds, then next() says stop (%lld)", (long long)rounds);
    cr_assert_eq(atomic_load(&round_rows), 6 * N, "every round reads every row once");
    /* round r adds r to every row it read: the rows hold i + 1 + 2 + ... + 6 */
    fl_i64 want = (fl_i64)N * (N - 1) / 2 + (fl_i64)N * 21;
    cr_assert_eq(last_sum, want, "threads %s: last round sums %lld, want %lld", threads, (long long)last_sum,
                 (long long)want);
    cr_assert_eq(atomic_load(&bad_state), 0);
}

Test(store, a_phase_runs_round_after_round, .init = watchdog)
{
    check_loop("1");
    check_loop("2");
    check_loop("4");
}
