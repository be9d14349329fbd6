/* test_rt_chan.c - unit tests of runtime/chan.c: the bounded queue keeps
 * each sender's order, a full queue blocks its sender (backpressure) until
 * the receiver takes, end-of-stream markers from several senders are all
 * delivered, a closed queue drops what is sent, the stop flag wakes a
 * blocked receiver, and pools recycle batches (arena block kept). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flrt_int.h"

/* A hang ends the test: SIGALRM kills its process (criterion runs each
 * test in a process of its own; its .timeout leaks in parallel runs). */
static void watchdog(void) { alarm(20); }

enum { SENDERS = 4, PER_SENDER = 3000 };

typedef struct sender {
    flrt_queue *q;
    flrt_pool pool;
    int id, count;
    atomic_int pushed;
} sender;

static void *send_main(void *arg)
{
    sender *s = arg;
    for (int i = 0; i < s->count; i++) {
        fl_batch *b = flrt_pool_get(&s->pool);
        *(fl_i64 *)fl_alloc(&b->arena, 8) = i;   /* something in the arena too */
        ((fl_i64 *)b->rows)[0] = i;
        b->n = 1;
        b->from = s->id;
        cr_assert_eq(flrt_queue_push(s->q, b), 0);
        atomic_fetch_add(&s->pushed, 1);
    }
    flrt_queue_push(s->q, NULL);
    return NULL;
}

static void start(sender *s, int id, flrt_queue *q, int count, pthread_t *th)
{
    s->q = q;
    s->id = id;
    s->count = count;
    atomic_store(&s->pushed, 0);
    flrt_pool_init(&s->pool, 4, sizeof(fl_i64));
    pthread_create(th, NULL, send_main, s);
}

Test(rt_chan, order_per_sender_and_eos_count, .init = watchdog)
{
    flrt_queue q;
    flrt_queue_init(&q, 8);
    sender s[SENDERS];
    pthread_t th[SENDERS];
    for (int i = 0; i < SENDERS; i++)
        start(&s[i], i, &q, PER_SENDER, &th[i]);
    fl_i64 next[SENDERS] = {0};
    int eos = 0, total = 0;
    while (eos < SENDERS) {
        fl_batch *b;
        cr_assert_eq(flrt_queue_pop(&q, &b), 1);
        if (!b) {
            eos++;
            continue;
        }
        cr_assert_eq(((fl_i64 *)b->rows)[0], next[b->from], "sender %d out of order", b->from);
        next[b->from]++;
        total++;
        flrt_batch_release(b);
    }
    for (int i = 0; i < SENDERS; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(next[i], PER_SENDER);
    }
    cr_assert_eq(total, SENDERS * PER_SENDER);
    cr_assert_eq(q.count, 0);
    for (int i = 0; i < SENDERS; i++)
        flrt_pool_fini(&s[i].pool);
    flrt_queue_fini(&q);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Waits (up to 5 s, on a loaded machine) until s has pushed n batches. */
static void wait_pushed(sender *s, int n)
{
    for (int i = 0; i < 5000 && atomic_load(&s->pushed) < n; i++)
        sleep_ms(1);
}

Test(rt_chan, full_queue_blocks_sender, .init = watchdog)
{
    flrt_queue q;
    flrt_queue_init(&q, 2);
    sender s;
    pthread_t th;
    start(&s, 0, &q, 10, &th);
    wait_pushed(&s, 2);
    sleep_ms(50);
    cr_assert_eq(atomic_load(&s.pushed), 2, "the sender must wait at a full queue");
    fl_batch *b;
    cr_assert_eq(flrt_queue_pop(&q, &b), 1);
    flrt_batch_release(b);
    wait_pushed(&s, 3);
    sleep_ms(50);
    cr_assert_eq(atomic_load(&s.pushed), 3, "one slot freed lets one more in");
    int got = 1;
    for (;;) {
        cr_assert_eq(flrt_queue_pop(&q, &b), 1);
        if (!b)
            break;
        cr_assert_eq(((fl_i64 *)b->rows)[0], got);
        got++;
        flrt_batch_release(b);
    }
    cr_assert_eq(got, 10);
    pthread_join(th, NULL);
    flrt_pool_fini(&s.pool);
    flrt_queue_fini(&q);
}

Test(rt_chan, closed_queue_drops)
{
    flrt_queue q;
    flrt_queue_init(&q, 2);
    flrt_pool p;
    flrt_pool_init(&p, 1, 8);
    fl_batch *a = flrt_pool_get(&p), *b = flrt_pool_get(&p);
    cr_assert_eq(flrt_queue_push(&q, a), 0);
    flrt_queue_close(&q);
    cr_assert_eq(q.count, 0, "close releases what was queued");
    cr_assert_eq(flrt_queue_push(&q, b), -1, "a closed queue drops");
    cr_assert_eq(flrt_queue_push(&q, NULL), -1);
    cr_assert_eq(flrt_pool_get(&p), a, "the released batch went back to its pool");
    flrt_batch_release(b);
    flrt_pool_fini(&p);
    flrt_queue_fini(&q);
}

static void *close_later(void *arg)
{
    sleep_ms(50);
    flrt_queue_close(arg);
    return NULL;
}

Test(rt_chan, close_wakes_blocked_sender, .init = watchdog)
{
    flrt_queue q;
    flrt_queue_init(&q, 1);
    flrt_pool p;
    flrt_pool_init(&p, 1, 8);
    fl_batch *a = flrt_pool_get(&p), *b = flrt_pool_get(&p);
    cr_assert_eq(flrt_queue_push(&q, a), 0);
    pthread_t th;
    pthread_create(&th, NULL, close_later, &q);
    cr_assert_eq(flrt_queue_push(&q, b), -1, "closing the full queue releases the sender");
    pthread_join(th, NULL);
    flrt_batch_release(b);
    flrt_pool_fini(&p);
    flrt_queue_fini(&q);
}

static void *fail_later(void *arg)
{
    sleep_ms(50);
    fl_fail(NULL, "stop now");
    flrt_queue_wake(arg);
    return NULL;
}

static void watchdog_quiet(void)
{
    watchdog();
    cr_redirect_stderr();
}

Test(rt_chan, stop_wakes_receiver, .init = watchdog_quiet)
{
    flrt_stop_reset();
    flrt_queue q;
    flrt_queue_init(&q, 4);
    pthread_t th;
    pthread_create(&th, NULL, fail_later, &q);
    fl_batch *b = NULL;
    cr_assert_eq(flrt_queue_pop(&q, &b), 0, "a stopping job ends fl_recv");
    cr_assert(fl_stopping());
    cr_assert_eq(flrt_queue_push(&q, NULL), -1, "and sends");
    pthread_join(th, NULL);
    flrt_queue_fini(&q);
    flrt_stop_reset();
}

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
