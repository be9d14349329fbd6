/* test_rt_time.c - unit tests of runtime/time.c: a task's frontier is the
 * smallest watermark of its channels; its stage sees a WATERMARK only when
 * the frontier moves (with the new frontier), never for a watermark that
 * does not move it; a channel that has ended no longer holds it back (the
 * move shows after the END); an idle channel is left out until something
 * else comes from it, and all channels idle move nothing; a channel far
 * ahead of the frontier is held, never one that holds it; fl_chunk_range gives each task interleaved chunks
 * that cover the range once. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "flrt_int.h"

typedef struct fixture {
    flrt_task t;
    fl_stage_def def;
    flrt_chan chans[4];
} fixture;

/* A task with nchan channels, channel c on input c * ninputs / nchan. */
static void make(fixture *f, int nchan, int ninputs)
{
    memset(f, 0, sizeof *f);
    f->t.def = &f->def;   /* (no output edges: nothing to tell) */
    f->t.frontier = FL_TIME_MIN;
    f->t.in.chans = f->chans;
    f->t.in.nchan = nchan;
    f->t.in.ninputs = ninputs;
    for (int c = 0; c < nchan; c++) {
        f->chans[c].wm = FL_TIME_MIN;
        f->chans[c].input = c * ninputs / nchan;
    }
}

/* Channel c's message of kind with value: 1 and the value the stage sees, or 0 when swallowed. */
static int take(fixture *f, int c, int kind, fl_i64 value, fl_i64 *seen)
{
    fl_msg m = {.kind = kind, .value = value, .input = f->chans[c].input};
    int r = flrt_time_take(&f->t, &m, c);
    if (r && seen)
        *seen = m.value;
    return r;
}

Test(rt_time, frontier_is_the_minimum_and_moves_only_forward)
{
    fixture f;
    fl_i64 v = 0;
    make(&f, 2, 1);
    cr_assert_eq(take(&f, 0, FL_MSG_WATERMARK, 100, NULL), 0, "the other channel holds it at MIN");
    cr_assert_eq(take(&f, 1, FL_MSG_WATERMARK, 50, &v), 1);
    cr_assert_eq(v, 50);
    cr_assert_eq(take(&f, 1, FL_MSG_WATERMARK, 70, &v), 1);
    cr_assert_eq(v, 70);
    cr_assert_eq(take(&f, 1, FL_MSG_WATERMARK, 60, NULL), 0, "a watermark going back moves nothing");
    cr_assert_eq(take(&f, 1, FL_MSG_WATERMARK, 200, &v), 1);
    cr_assert_eq(v, 100, "now channel 0 holds it");
    cr_assert_eq(f.t.frontier, 100);
}

Test(rt_time, an_ended_channel_stops_holding_it_back)
{
    fixture f;
    fl_i64 v = 0;
    make(&f, 2, 1);
    take(&f, 0, FL_MSG_WATERMARK, 10, NULL);
    take(&f, 1, FL_MSG_WATERMARK, 500, &v);
    cr_assert_eq(v, 10);
    cr_assert_eq(take(&f, 0, FL_MSG_END, 0, NULL), 1, "END reaches the stage");
    cr_assert(f.t.wm_due, "and the frontier is looked at after it");
    cr_assert_eq(take(&f, 1, FL_MSG_WATERMARK, 600, &v), 1);
    cr_assert_eq(v, 600, "only channel 1 counts now");
}

Test(rt_time, an_idle_channel_is_left_out_until_it_sends_again)
{
    fixture f;
    fl_i64 v = 0;
    make(&f, 2, 1);
    take(&f, 0, FL_MSG_WATERMARK, 10, NULL);
    take(&f, 1, FL_MSG_WATERMARK, 20, &v);
    cr_assert_eq(v, 10);
    cr_assert_eq(take(&f, 0, FL_MSG_WATERMARK, FL_WM_IDLE, &v), 1, "idle: channel 1 alone");
    cr_assert_eq(v, 20);
    cr_assert_eq(take(&f, 1, FL_MSG_WATERMARK, FL_WM_IDLE, NULL), 0, "every channel idle: nothing moves");
    cr_assert_eq(f.t.frontier, 20);
    cr_assert_eq(take(&f, 0, FL_MSG_DATA, 0, NULL), 1, "data: channel 0 counts again");
    cr_assert_eq(take(&f, 0, FL_MSG_WATERMARK, 40, &v), 1, "channel 1 still idle: channel 0 alone");
    cr_assert_eq(v, 40);
    cr_assert_eq(take(&f, 1, FL_MSG_WATERMARK, 30, NULL), 0, "channel 1 back, behind: nothing moves");
    cr_assert_eq(take(&f, 0, FL_MSG_WATERMARK, 90, NULL), 0, "channel 1 (30) holds it now");
    cr_assert_eq(take(&f, 1, FL_MSG_WATERMARK, 80, &v), 1);
    cr_assert_eq(v, 80);
}

Test(rt_time, a_channel_far_ahead_is_held_never_one_that_holds_the_frontier)
{
    fixture f;
    make(&f, 3, 2);   /* channels 0 and 1 on input 0, channel 2 on input 1 */
    flrt_time_hold(&f.t);
    cr_assert(!f.chans[0].held && !f.chans[1].held && !f.chans[2].held, "no frontier yet: none held");
    take(&f, 0, FL_MSG_WATERMARK, 1000, NULL);
    take(&f, 1, FL_MSG_WATERMARK, 1000 + FLRT_ALIGN_MS, NULL);
    take(&f, 2, FL_MSG_WATERMARK, 1001 + FLRT_ALIGN_MS, NULL);
    cr_assert_eq(f.t.frontier, 1000);
    flrt_time_hold(&f.t);
    cr_assert(!f.chans[0].held && !f.chans[1].held, "the frontier's channel, and one within the slack");
    cr_assert(f.chans[2].held, "too far ahead");
    take(&f, 0, FL_MSG_WATERMARK, 900 + FLRT_ALIGN_MS, NULL);
    flrt_time_hold(&f.t);
    cr_assert(!f.chans[2].held, "caught up");
    take(&f, 2, FL_MSG_WATERMARK, 5000 + FLRT_ALIGN_MS, NULL);
    take(&f, 0, FL_MSG_END, 0, NULL);
    take(&f, 1, FL_MSG_END, 0, NULL);
    fl_msg w = {.input = 0};
    flrt_time_take(&f.t, &(fl_msg){.kind = FL_MSG_DATA}, 2);
    f.t.wm_due = 0;
    w.kind = FL_MSG_WATERMARK;
    w.value = 5000 + FLRT_ALIGN_MS;
    flrt_time_take(&f.t, &w, 2);
    flrt_time_hold(&f.t);
    cr_assert(!f.chans[2].held, "the last channel holds the frontier: never held");
    cr_assert_eq(f.t.frontier, 5000 + FLRT_ALIGN_MS);
}

Test(rt_time, chunks_interleave_and_cover_the_range_once)
{
    enum { N = FL_CHUNK_ROWS * 5 + 17, T = 3 };
    static char seen[N];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < T; i++) {
        fl_task t = {.index = i, .ntasks = T};
        fl_i64 lo, hi, prev_hi = -1;
        for (fl_i64 k = 0; fl_chunk_range(&t, 100, 100 + N, k, &lo, &hi); k++) {
            cr_assert(lo > prev_hi && lo < hi && hi <= 100 + N);
            cr_assert_eq((lo - 100) / FL_CHUNK_ROWS % T, i, "chunk of task %d", i);
            for (fl_i64 x = lo; x < hi; x++)
                seen[x - 100]++;
            prev_hi = hi;
        }
    }
    for (int x = 0; x < N; x++)
        cr_assert_eq(seen[x], 1, "element %d taken %d times", x, seen[x]);
    fl_task t = {.index = 0, .ntasks = 2};
    fl_i64 lo, hi;
    cr_assert_eq(fl_chunk_range(&t, 5, 5, 0, &lo, &hi), 0, "an empty range has no chunk");
}
