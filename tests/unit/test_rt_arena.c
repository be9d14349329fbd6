/* test_rt_arena.c - unit tests of runtime/arena.c: fl_alloc alignment,
 * growth over many blocks with earlier allocations intact, big requests
 * (their own block, the current block kept), fl_arena_free leaving an empty
 * arena, the internal reset that recycled batches use, and out of memory under
 * flrt_oom_guard (nested guards, a lock released by flrt_oom_locked). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "flrt_int.h"

Test(rt_arena, alignment)
{
    fl_arena a = {0};
    for (int i = 1; i < 200; i++) {
        void *p = fl_alloc(&a, i % 13 + 1);
        cr_assert_eq((uintptr_t)p % 8, 0, "allocation %d not 8-aligned", i);
    }
    fl_arena_free(&a);
}

Test(rt_arena, growth_keeps_contents)
{
    fl_arena a = {0};
    enum { N = 100000 };
    char **ps = malloc(sizeof *ps * N);
    for (int i = 0; i < N; i++) {
        ps[i] = fl_alloc(&a, 24);
        memset(ps[i], i & 0xff, 24);
    }
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 24; k++)
            cr_assert_eq((unsigned char)ps[i][k], i & 0xff);
    int blocks = 0;
    for (fl_arena_block *b = a.blocks; b; b = *(fl_arena_block **)b)
        blocks++;
    cr_assert(blocks > 1 && blocks < 20, "%d blocks for 2.4 MB: blocks should double", blocks);
    free(ps);
    fl_arena_free(&a);
    cr_assert_null(a.blocks);
    cr_assert_null(a.cur);
    cr_assert_null(a.end);
}

Test(rt_arena, big_request_gets_own_block)
{
    fl_arena a = {0};
    char *small = fl_alloc(&a, 16);
    char *cur = a.cur, *end = a.end;
    char *big = fl_alloc(&a, 10 * 1024 * 1024);
    memset(big, 1, 10 * 1024 * 1024);
    cr_assert_eq(a.cur, cur, "a big request must not retire the current block");
    cr_assert_eq(a.end, end);
    char *next = fl_alloc(&a, 16);
    cr_assert_eq(next, small + 16, "small requests continue in the current block");
    fl_arena_free(&a);
}

Test(rt_arena, big_request_first)
{
    fl_arena a = {0};
    char *big = fl_alloc(&a, 1 << 20);
    memset(big, 2, 1 << 20);
    char *s = fl_alloc(&a, 8);
    memset(s, 3, 8);
    cr_assert_eq(big[(1 << 20) - 1], 2);
    fl_arena_free(&a);
}

Test(rt_arena, zero_and_str_copy)
{
    fl_arena a = {0};
    fl_str e = {"", 0};
    fl_str c = fl_str_copy(&a, e);
    cr_assert_eq(c.len, 0);
    fl_str s = {"hello", 5};
    fl_str d = fl_str_copy(&a, s);
    cr_assert(fl_str_eq(s, d));
    cr_assert_neq(d.ptr, s.ptr);
    fl_arena_free(&a);
}

Test(rt_arena, reset_keeps_one_block)
{
    fl_arena a = {0};
    for (int i = 0; i < 50000; i++)
        fl_alloc(&a, 40);
    fl_alloc(&a, 4 << 20);
    fl_arena_reset(&a);
    cr_assert_not_null(a.blocks);
    cr_assert_null(*(fl_arena_block **)a.blocks, "only one block is kept");
    char *p = fl_alloc(&a, 8);
    cr_assert_eq(p, (char *)a.cur - 8);
    fl_arena_reset(&a);
    fl_arena_free(&a);
    fl_arena empty = {0};
    fl_arena_reset(&empty);
    cr_assert_null(empty.blocks);
}

/* ---- out of memory under a guard ---- */

static int inner_ran_after;

static void ask_too_much(void *arg)
{
    (void)arg;
    flrt_oom((fl_i64)1 << 40);   /* what a failed malloc calls (a real one: tests/capi) */
    inner_ran_after = 1;
}

static void nested(void *arg)
{
    int *rc = arg;
    rc[0] = flrt_oom_guard(ask_too_much, NULL);   /* the inner guard catches it */
    flrt_oom((fl_i64)12345);                         /* the outer one this */
}

Test(rt_arena, oom_guard_jumps_back)
{
    int rc[1] = {7};
    cr_assert_eq(flrt_oom_guard(nested, rc), -1);
    cr_assert_eq(rc[0], -1, "the inner guard returned -1");
    cr_assert_eq(inner_ran_after, 0, "nothing after the failed allocation ran");
    cr_assert_eq(flrt_oom_guard(ask_too_much, NULL), -1, "a guard is armed again after a jump");
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void locked_too_much(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held);
    flrt_oom_locked(&held, ask_too_much, NULL);
    pthread_mutex_unlock(&held);
}

Test(rt_arena, oom_locked_releases_the_lock)
{
    cr_assert_eq(flrt_oom_guard(locked_too_much, NULL), -1);
    cr_assert_eq(pthread_mutex_trylock(&held), 0, "the lock was released before the jump");
    pthread_mutex_unlock(&held);
}
