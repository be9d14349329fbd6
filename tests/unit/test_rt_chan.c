/* test_rt_chan.c - unit tests of runtime/chan.c: a task's inbox keeps each
 * sender's order and delivers every END; a full channel blocks only its own
 * sender (the backpressure) until the receiver pops, never a sender of
 * another input, so a receiver reading one input at a time (a join building
 * its side) goes on; a pop with a mask ends once those inputs have ended; a
 * closed inbox drops what is sent and gives queued batches back; the stop
 * flag wakes a blocked receiver and a blocked sender; pools recycle batches
 * (arena block kept). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flrt_int.h"

/* A hang ends the test: SIGALRM kills its process (criterion runs each
 * test in a process of its own; its .timeout leaks in parallel runs). */
static void watchdog(void) { alarm(20); }

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* An inbox with per_input[i] channels on input i; the sender of channel k
 * of input i has global task id 10 * i + k and index k in its stage. */
static void inbox_make(flrt_inbox *q, flrt_job *j, int ninputs, const int *per_input)
{
    int n = 0;
    for (int i = 0; i < ninputs; i++)
        n += per_input[i];
    flrt_chan *c = calloc((size_t)n, sizeof *c);
    cr_assert_not_null(c);
    int k = 0;
    for (int i = 0; i < ninputs; i++)
        for (int s = 0; s < per_input[i]; s++, k++)
            c[k] = (flrt_chan){.input = i, .src = 10 * i + s, .from = s};
    flrt_inbox_init(q, j, c, n, ninputs);
}

/* A DATA batch of one i64 row holding v (and something in its arena). */
static fl_batch *batch_of(flrt_pool *p, fl_i64 v)
{
    fl_batch *b = flrt_pool_get(p);
    *(fl_i64 *)fl_alloc(&b->arena, 8) = v;
    ((fl_i64 *)b->rows)[0] = v;
    b->n = 1;
    return b;
}

static fl_i64 row0(const fl_msg *m) { return ((fl_i64 *)m->batch->rows)[0]; }

/* ---- a sender thread: count DATA messages 0, 1, ... then an END ---- */

typedef struct sender {
    flrt_inbox *q;
    int chan, count;
    flrt_pool pool;
    atomic_int pushed;       /* DATA pushes that returned */
    atomic_int ended;        /* the END push returned */
    pthread_t th;
} sender;

static void *send_main(void *arg)
{
    sender *s = arg;
    for (int i = 0; i < s->count; i++) {
        cr_assert_eq(flrt_inbox_push(s->q, s->chan, FL_MSG_DATA, batch_of(&s->pool, i), 1), 0);
        atomic_fetch_add(&s->pushed, 1);
    }
    cr_assert_eq(flrt_inbox_push(s->q, s->chan, FL_MSG_END, NULL, 1), 0);
    atomic_store(&s->ended, 1);
    return NULL;
}

static void sender_start(sender *s, flrt_inbox *q, int chan, int count)
{
    s->q = q;
    s->chan = chan;
    s->count = count;
    atomic_store(&s->pushed, 0);
    atomic_store(&s->ended, 0);
    flrt_pool_init(&s->pool, 4, sizeof(fl_i64));
    cr_assert_eq(pthread_create(&s->th, NULL, send_main, s), 0);
}

static void sender_join(sender *s)
{
    pthread_join(s->th, NULL);
    flrt_pool_fini(&s->pool);
}

/* Waits (up to 5 s, on a loaded machine) until s has pushed n batches;
 * then a little longer, so that a sender that should be blocked would
 * have had the time to push one more. */
static void wait_pushed(sender *s, int n)
{
    for (int i = 0; i < 5000 && atomic_load(&s->pushed) < n; i++)
        sleep_ms(1);
    sleep_ms(50);
}

/* Pops (mask) the rest of channel `chan`: DATA `next`, next + 1, ... up
 * to its END; returns how many DATA came. Only that channel may answer. */
static int drain_chan(flrt_inbox *q, unsigned mask, int chan, int next)
{
    int got = 0;
    for (;;) {
        fl_msg m;
        int c = -1;
        cr_assert_eq(flrt_inbox_pop(q, mask, &m, &c), 1);
        cr_assert_eq(c, chan, "a message of channel %d while draining %d", c, chan);
        if (m.kind == FL_MSG_END)
            return got;
        cr_assert_eq(m.kind, FL_MSG_DATA);
        cr_assert_eq(row0(&m), next + got);
        got++;
        flrt_batch_release(m.batch);
    }
}

/* ---- order, every END, several senders on two inputs ---- */

enum { PER_INPUT = 3, PER_SENDER = 3000 };

Test(rt_chan, order_per_sender_and_every_end, .init = watchdog)
{
    flrt_job j = {0};
    flrt_inbox q;
    int per[2] = {PER_INPUT, PER_INPUT};
    inbox_make(&q, &j, 2, per);
    sender s[2 * PER_INPUT];
    for (int c = 0; c < 2 * PER_INPUT; c++)
        sender_start(&s[c], &q, c, PER_SENDER);
    fl_i64 next[2 * PER_INPUT] = {0};
    int ends[2 * PER_INPUT] = {0};
    int total = 0, nend = 0;
    fl_msg m;
    int c;
    while (flrt_inbox_pop(&q, ~0u, &m, &c)) {
        cr_assert(c >= 0 && c < 2 * PER_INPUT);
        cr_assert_eq(m.input, q.chans[c].input);
        cr_assert_eq(m.from, q.chans[c].from);
        cr_assert_eq(ends[c], 0, "a message of channel %d after its END", c);
        if (m.kind == FL_MSG_END) {
            cr_assert_null(m.batch);
            ends[c]++;
            nend++;
            continue;
        }
        cr_assert_eq(m.kind, FL_MSG_DATA);
        cr_assert_eq(m.batch->input, m.input);
        cr_assert_eq(m.batch->from, m.from);
        cr_assert_eq(row0(&m), next[c], "channel %d out of order", c);
        next[c]++;
        total++;
        flrt_batch_release(m.batch);
    }
    cr_assert_eq(nend, 2 * PER_INPUT, "pop ends only after every END");
    for (c = 0; c < 2 * PER_INPUT; c++) {
        sender_join(&s[c]);
        cr_assert_eq(next[c], PER_SENDER);
        cr_assert_eq(ends[c], 1);
        cr_assert_eq(q.chans[c].count, 0);
    }
    cr_assert_eq(total, 2 * PER_INPUT * PER_SENDER);
    cr_assert_eq(flrt_inbox_pop(&q, ~0u, &m, &c), 0, "and stays ended");
    flrt_inbox_fini(&q);
}

/* ---- backpressure ---- */

Test(rt_chan, full_channel_blocks_its_sender, .init = watchdog)
{
    flrt_job j = {0};
    flrt_inbox q;
    inbox_make(&q, &j, 1, (int[]){1});
    sender s;
    sender_start(&s, &q, 0, 10);
    wait_pushed(&s, FLRT_CHAN_CAP);
    cr_assert_eq(atomic_load(&s.pushed), FLRT_CHAN_CAP, "the sender must wait at a full channel");
    cr_assert_eq(q.chans[0].count, FLRT_CHAN_CAP);
    fl_msg m;
    int c;
    cr_assert_eq(flrt_inbox_pop(&q, 1u, &m, &c), 1);
    cr_assert_eq(row0(&m), 0);
    flrt_batch_release(m.batch);
    wait_pushed(&s, FLRT_CHAN_CAP + 1);
    cr_assert_eq(atomic_load(&s.pushed), FLRT_CHAN_CAP + 1, "one message popped lets one more in");
    cr_assert_eq(drain_chan(&q, 1u, 0, 1), 9);
    cr_assert_eq(flrt_inbox_pop(&q, 1u, &m, &c), 0);
    sender_join(&s);
    flrt_inbox_fini(&q);
}

/* A full channel blocks neither another channel of the same input... */
Test(rt_chan, full_channel_leaves_same_input_alone, .init = watchdog)
{
    flrt_job j = {0};
    flrt_inbox q;
    inbox_make(&q, &j, 1, (int[]){2});
    sender a, b;
    sender_start(&a, &q, 0, 10);
    wait_pushed(&a, FLRT_CHAN_CAP);
    cr_assert_eq(atomic_load(&a.pushed), FLRT_CHAN_CAP);
    sender_start(&b, &q, 1, FLRT_CHAN_CAP - 1);   /* with its END, fills its own channel */
    for (int i = 0; i < 5000 && !atomic_load(&b.ended); i++)
        sleep_ms(1);
    cr_assert(atomic_load(&b.ended), "a full channel blocked another sender");
    cr_assert_eq(atomic_load(&a.pushed), FLRT_CHAN_CAP);
    fl_msg m;
    int c, got[2] = {0}, ends = 0;
    while (flrt_inbox_pop(&q, ~0u, &m, &c)) {
        if (m.kind == FL_MSG_END) {
            ends++;
            continue;
        }
        cr_assert_eq(row0(&m), got[c]++);
        flrt_batch_release(m.batch);
    }
    cr_assert_eq(ends, 2);
    cr_assert_eq(got[0], 10);
    cr_assert_eq(got[1], FLRT_CHAN_CAP - 1);
    sender_join(&a);
    sender_join(&b);
    flrt_inbox_fini(&q);
}

/* ...nor a sender of another input: a join builds its side (input 0)
 * while the other side's channel (input 1) is full and its sender waits. */
Test(rt_chan, join_builds_one_side_while_other_is_full, .init = watchdog)
{
    flrt_job j = {0};
    flrt_inbox q;
    inbox_make(&q, &j, 2, (int[]){1, 1});
    sender probe, build;
    sender_start(&probe, &q, 1, 20);
    wait_pushed(&probe, FLRT_CHAN_CAP);
    cr_assert_eq(atomic_load(&probe.pushed), FLRT_CHAN_CAP, "the probe side fills its channel");
    sender_start(&build, &q, 0, 500);
    fl_msg m;
    int c, got = 0;
    while (flrt_inbox_pop(&q, 1u << 0, &m, &c)) {
        cr_assert_eq(m.input, 0, "a mask of input 0 gave input %d", m.input);
        cr_assert_eq(c, 0);
        if (m.kind == FL_MSG_END)
            continue;
        cr_assert_eq(row0(&m), got++);
        flrt_batch_release(m.batch);
    }
    cr_assert_eq(got, 500, "the build side came through in full, and its END");
    cr_assert_eq(atomic_load(&probe.pushed), FLRT_CHAN_CAP, "the probe side still waits");
    cr_assert_eq(drain_chan(&q, 1u << 1, 1, 0), 20);
    cr_assert_eq(flrt_inbox_pop(&q, ~0u, &m, &c), 0);
    sender_join(&probe);
    sender_join(&build);
    flrt_inbox_fini(&q);
}

/* ---- masks, oldest first, pushes that do not wait (one thread) ---- */

static void expect(flrt_inbox *q, unsigned mask, int kind, int chan, fl_i64 v)
{
    fl_msg m;
    int c = -1;
    cr_assert_eq(flrt_inbox_pop(q, mask, &m, &c), 1);
    cr_assert_eq(m.kind, kind);
    cr_assert_eq(c, chan);
    cr_assert_eq(m.input, q->chans[chan].input);
    if (kind == FL_MSG_DATA) {
        cr_assert_eq(row0(&m), v);
        flrt_batch_release(m.batch);
    } else {
        cr_assert_null(m.batch);
    }
}

Test(rt_chan, pop_oldest_first_across_inputs, .init = watchdog)
{
    flrt_job j = {0};
    flrt_inbox q;
    inbox_make(&q, &j, 2, (int[]){1, 1});
    cr_assert_eq(flrt_inbox_chan(&q, 0, 0), 0);
    cr_assert_eq(flrt_inbox_chan(&q, 1, 10), 1);
    cr_assert_eq(flrt_inbox_chan(&q, 1, 0), -1);
    flrt_pool p;
    flrt_pool_init(&p, 1, 8);
    cr_assert_eq(flrt_inbox_push(&q, 1, FL_MSG_DATA, batch_of(&p, 100), 1), 0);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_DATA, batch_of(&p, 0), 1), 0);
    cr_assert_eq(flrt_inbox_push(&q, 1, FL_MSG_DATA, batch_of(&p, 101), 1), 0);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_END, NULL, 1), 0);
    cr_assert_eq(flrt_inbox_push(&q, 1, FL_MSG_END, NULL, 1), 0);
    expect(&q, ~0u, FL_MSG_DATA, 1, 100);
    expect(&q, ~0u, FL_MSG_DATA, 0, 0);
    expect(&q, ~0u, FL_MSG_DATA, 1, 101);
    expect(&q, ~0u, FL_MSG_END, 0, 0);
    expect(&q, ~0u, FL_MSG_END, 1, 0);
    fl_msg m;
    int c;
    cr_assert_eq(flrt_inbox_pop(&q, ~0u, &m, &c), 0);
    flrt_inbox_fini(&q);
    flrt_pool_fini(&p);
}

Test(rt_chan, pop_with_mask_ends_when_its_inputs_end, .init = watchdog)
{
    flrt_job j = {0};
    flrt_inbox q;
    inbox_make(&q, &j, 3, (int[]){2, 1, 1});
    flrt_pool p;
    flrt_pool_init(&p, 1, 8);
    cr_assert_eq(flrt_inbox_push(&q, 2, FL_MSG_DATA, batch_of(&p, 200), 1), 0);   /* input 1 */
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_DATA, batch_of(&p, 0), 1), 0);
    cr_assert_eq(flrt_inbox_push(&q, 2, FL_MSG_DATA, batch_of(&p, 201), 1), 0);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_END, NULL, 1), 0);
    cr_assert_eq(flrt_inbox_push(&q, 1, FL_MSG_END, NULL, 1), 0);
    cr_assert_eq(flrt_inbox_push(&q, 3, FL_MSG_DATA, batch_of(&p, 300), 1), 0);   /* input 2 */
    expect(&q, 1u << 0, FL_MSG_DATA, 0, 0);
    expect(&q, 1u << 0, FL_MSG_END, 0, 0);
    expect(&q, 1u << 0, FL_MSG_END, 1, 0);
    fl_msg m;
    int c;
    cr_assert_eq(flrt_inbox_pop(&q, 1u << 0, &m, &c), 0,
                 "input 0 has ended, though inputs 1 and 2 have data queued");
    cr_assert_eq(flrt_inbox_pop(&q, 1u << 0, &m, &c), 0);
    expect(&q, 1u << 2 | 1u << 0, FL_MSG_DATA, 3, 300);
    expect(&q, 1u << 1, FL_MSG_DATA, 2, 200);
    cr_assert_eq(flrt_inbox_push(&q, 2, FL_MSG_END, NULL, 1), 0);
    cr_assert_eq(flrt_inbox_push(&q, 3, FL_MSG_END, NULL, 1), 0);
    expect(&q, 1u << 1, FL_MSG_DATA, 2, 201);
    expect(&q, 1u << 1, FL_MSG_END, 2, 0);
    cr_assert_eq(flrt_inbox_pop(&q, 1u << 1 | 1u << 0, &m, &c), 0);
    expect(&q, ~0u, FL_MSG_END, 3, 0);
    cr_assert_eq(flrt_inbox_pop(&q, ~0u, &m, &c), 0);
    flrt_inbox_fini(&q);
    flrt_pool_fini(&p);
}

/* A remote channel's pushes (wait 0) never wait, past the bound too. */
Test(rt_chan, push_without_wait_goes_past_the_bound, .init = watchdog)
{
    flrt_job j = {0};
    flrt_inbox q;
    inbox_make(&q, &j, 1, (int[]){1});
    flrt_pool p;
    flrt_pool_init(&p, 1, 8);
    for (int i = 0; i < 3 * FLRT_CHAN_CAP; i++)   /* 1 from the bound on: full, still queued */
        cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_DATA, batch_of(&p, i), 0), i + 1 >= FLRT_CHAN_CAP);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_END, NULL, 0), 1);
    cr_assert_eq(q.chans[0].count, 3 * FLRT_CHAN_CAP + 1);
    cr_assert_eq(drain_chan(&q, ~0u, 0, 0), 3 * FLRT_CHAN_CAP);
    cr_assert_eq(q.chans[0].count, 0);
    flrt_inbox_fini(&q);
    flrt_pool_fini(&p);
}

/* ---- closing ---- */

Test(rt_chan, closed_inbox_drops, .init = watchdog)
{
    flrt_job j = {0};
    flrt_inbox q;
    inbox_make(&q, &j, 1, (int[]){1});
    flrt_pool p;
    flrt_pool_init(&p, 1, 8);
    fl_batch *a = flrt_pool_get(&p), *b = flrt_pool_get(&p);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_DATA, a, 1), 0);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_END, NULL, 1), 0);
    flrt_inbox_close(&q, NULL, NULL);
    cr_assert_null(q.head, "close releases what was queued");
    cr_assert_eq(q.chans[0].count, 0);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_DATA, b, 1), -1, "a closed inbox drops");
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_END, NULL, 1), -1);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_DATA, b, 0), -1);
    cr_assert_eq(flrt_pool_get(&p), a, "the released batch went back to its pool");
    flrt_batch_release(b);   /* a dropped batch is still the sender's */
    flrt_inbox_fini(&q);
    flrt_pool_fini(&p);
}

Test(rt_chan, fini_releases_queued_batches, .init = watchdog)
{
    flrt_job j = {0};
    flrt_inbox q;
    inbox_make(&q, &j, 1, (int[]){1});
    flrt_pool p;
    flrt_pool_init(&p, 1, 8);
    fl_batch *a = batch_of(&p, 1);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_DATA, a, 1), 0);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_END, NULL, 1), 0);
    flrt_inbox_fini(&q);
    fl_batch *again = flrt_pool_get(&p);
    cr_assert_eq(again, a);
    cr_assert_eq(again->n, 0, "released batches come back empty");
    flrt_pool_fini(&p);
}

typedef struct later {
    flrt_inbox *q;
    flrt_job *j;
    int stop;                /* 1: set the stop flag and wake; 0: close */
} later;

static void *act_later(void *arg)
{
    later *l = arg;
    sleep_ms(50);
    if (l->stop) {
        atomic_store(&l->j->stop, 1);
        flrt_inbox_wake(l->q);
    } else {
        flrt_inbox_close(l->q, NULL, NULL);
    }
    return NULL;
}

/* Fills channel 0 up to its bound, then pushes one more, which waits until
 * the other thread acts: it must come back with -1, b still ours. */
static void blocked_push(int stop)
{
    flrt_job j = {0};
    flrt_inbox q;
    inbox_make(&q, &j, 1, (int[]){1});
    flrt_pool p;
    flrt_pool_init(&p, 1, 8);
    for (int i = 0; i < FLRT_CHAN_CAP; i++)
        cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_DATA, batch_of(&p, i), 1), 0);
    fl_batch *b = batch_of(&p, 99);
    later l = {&q, &j, stop};
    pthread_t th;
    pthread_create(&th, NULL, act_later, &l);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_DATA, b, 1), -1, "the blocked sender is released");
    pthread_join(th, NULL);
    flrt_batch_release(b);
    flrt_inbox_fini(&q);
    flrt_pool_fini(&p);
}

Test(rt_chan, close_wakes_blocked_sender, .init = watchdog) { blocked_push(0); }

Test(rt_chan, stop_wakes_blocked_sender, .init = watchdog) { blocked_push(1); }

Test(rt_chan, stop_wakes_receiver, .init = watchdog)
{
    flrt_job j = {0};
    flrt_inbox q;
    inbox_make(&q, &j, 2, (int[]){1, 1});
    later l = {&q, &j, 1};
    pthread_t th;
    pthread_create(&th, NULL, act_later, &l);
    fl_msg m;
    int c;
    cr_assert_eq(flrt_inbox_pop(&q, ~0u, &m, &c), 0, "a stopping job ends the pop");
    pthread_join(th, NULL);
    cr_assert_eq(flrt_inbox_push(&q, 0, FL_MSG_END, NULL, 1), -1, "and the pushes");
    cr_assert_eq(flrt_inbox_pop(&q, 1u << 1, &m, &c), 0);
    flrt_inbox_fini(&q);
}

/* ---- pools ---- */

Test(rt_chan, pool_recycles)
{
    flrt_pool p;
    flrt_pool_init(&p, 16, 24);
    fl_batch *b = flrt_pool_get(&p);
    cr_assert_eq(b->cap, 16);
    cr_assert_eq(b->size, 24);
    cr_assert_eq(b->n, 0);
    b->n = 5;
    char *s = fl_alloc(&b->arena, 100);
    memset(s, 'x', 100);
    fl_done(NULL, b);
    fl_batch *c = flrt_pool_get(&p);
    cr_assert_eq(c, b, "a given-back batch is reused");
    cr_assert_eq(c->n, 0);
    cr_assert_not_null(c->arena.blocks, "its arena block is kept");
    cr_assert_eq(fl_alloc(&c->arena, 8), s, "and starts over");
    fl_batch *d = flrt_pool_get(&p);
    cr_assert_neq(d, c);
    flrt_pool_fini(&p);
}

/* A batch starts with a few rows' room and grows by doubling up to the
 * pool's rows per batch, its rows kept; a grown batch keeps its room when
 * it comes back from its pool; more than the pool's size is refused. */
Test(rt_chan, batches_grow_to_the_pool_size_and_keep_it, .init = watchdog)
{
    flrt_pool p;
    flrt_pool_init(&p, 1000, 64);
    fl_batch *b = flrt_pool_get(&p);
    cr_assert_lt(b->cap, 1000);
    cr_assert_geq(b->cap, 1);
    for (fl_i64 i = 0; i < 1000; i++) {
        if (b->n == b->cap)
            cr_assert_eq(flrt_batch_grow(b, b->n + 1), 0);
        ((fl_i64 *)(b->rows + b->n++ * b->size))[0] = i;
    }
    cr_assert_eq(b->cap, 1000);
    cr_assert_eq(flrt_batch_grow(b, 1001), -1);
    for (fl_i64 i = 0; i < 1000; i++)
        cr_assert_eq(((fl_i64 *)(b->rows + i * b->size))[0], i);
    flrt_batch_release(b);
    fl_batch *c = flrt_pool_get(&p);
    cr_assert_eq(c, b);
    cr_assert_eq(c->n, 0);
    cr_assert_eq(c->cap, 1000);
    flrt_pool_fini(&p);
}
