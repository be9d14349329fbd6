/* chan.c - how batches travel between the tasks of one process: bounded
 * queues of batch pointers (a mutex and two condition variables each; a
 * full queue blocks its senders, which is the backpressure), and the pools
 * that recycle batches (fl_done gives a batch back to the pool of the edge
 * that made it, with its arena's block kept for the next use).
 *
 * One lock is taken per batch, never per row. Lock order: a queue's lock
 * and a pool's lock are leaves; batches leaving a closed queue are released
 * to their pools after the queue's lock is dropped. */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flrt_int.h"

typedef struct flrt_batch {
    fl_batch b;              /* first: what tasks see */
    flrt_pool *pool;
    struct flrt_batch *all;  /* the pool's list of every batch it made */
} flrt_batch;

/* ---- pools ---- */

void flrt_pool_init(flrt_pool *p, fl_i64 cap, fl_i64 size)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    p->cap = cap;
    p->size = size;
}

void flrt_pool_fini(flrt_pool *p)
{
    flrt_batch *x = p->all;
    while (x) {
        flrt_batch *next = x->all;
        fl_arena_free(&x->b.arena);
        free(x);
        x = next;
    }
    p->all = NULL;
    p->back = p->spare = NULL;
    pthread_mutex_destroy(&p->mu);
}

static flrt_batch *batch_new(flrt_pool *p)
{
    size_t head = (sizeof(flrt_batch) + 15) & ~(size_t)15;
    if (p->size > 0 && (uint64_t)p->cap > (uint64_t)(PTRDIFF_MAX / 2) / (uint64_t)p->size)
        flrt_oom(p->cap * p->size);
    flrt_batch *x = flrt_xmalloc(head + (size_t)(p->cap * p->size));
    memset(x, 0, sizeof *x);
    x->b.rows = (char *)x + head;
    x->b.cap = p->cap;
    x->b.size = p->size;
    x->pool = p;
    x->all = p->all;
    p->all = x;
    return x;
}

fl_batch *flrt_pool_get(flrt_pool *p)
{
    if (!p->spare) {
        pthread_mutex_lock(&p->mu);
        p->spare = p->back;
        p->back = NULL;
        pthread_mutex_unlock(&p->mu);
    }
    fl_batch *b = p->spare;
    if (!b)
        return &batch_new(p)->b;
    p->spare = b->next;
    b->next = NULL;
    return b;
}

void flrt_batch_reset(fl_batch *b)
{
    b->n = 0;
    flrt_arena_reset(&b->arena);
}

void flrt_batch_release(fl_batch *b)
{
    flrt_pool *p = ((flrt_batch *)b)->pool;
    flrt_batch_reset(b);
    pthread_mutex_lock(&p->mu);
    b->next = p->back;
    p->back = b;
    pthread_mutex_unlock(&p->mu);
}

void fl_done(fl_task *t, fl_batch *b)
{
    (void)t;
    if (b)
        flrt_batch_release(b);
}

/* ---- queues ---- */

void flrt_queue_init(flrt_queue *q, int cap)
{
    memset(q, 0, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    pthread_cond_init(&q->nonfull, NULL);
    q->cap = cap < 1 ? 1 : cap;
    q->ring = flrt_xcalloc((size_t)q->cap, sizeof *q->ring);
}

/* Takes every queued item out (under the lock) and releases the batches
 * afterwards (outside it). */
static void queue_drain(flrt_queue *q, int close)
{
    pthread_mutex_lock(&q->mu);
    int n = q->count;
    fl_batch **items = flrt_xmalloc(sizeof *items * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        items[i] = q->ring[(q->head + i) % q->cap];
    q->head = q->count = 0;
    if (close)
        q->closed = 1;
    pthread_cond_broadcast(&q->nonfull);
    pthread_mutex_unlock(&q->mu);
    for (int i = 0; i < n; i++)
        if (items[i])
            flrt_batch_release(items[i]);
    free(items);
}

void flrt_queue_fini(flrt_queue *q)
{
    if (!q->ring)
        return;
    queue_drain(q, 1);
    free(q->ring);
    q->ring = NULL;
    pthread_cond_destroy(&q->nonempty);
    pthread_cond_destroy(&q->nonfull);
    pthread_mutex_destroy(&q->mu);
}

void flrt_queue_close(flrt_queue *q) { queue_drain(q, 1); }

int flrt_queue_push(flrt_queue *q, fl_batch *b)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == q->cap && !q->closed && !fl_stopping())
        pthread_cond_wait(&q->nonfull, &q->mu);
    if (q->closed || fl_stopping()) {
        pthread_mutex_unlock(&q->mu);
        return -1;
    }
    q->ring[(q->head + q->count) % q->cap] = b;
    q->count++;
    pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

int flrt_queue_pop(flrt_queue *q, fl_batch **b)
{
    pthread_mutex_lock(&q->mu);
    while (q->count == 0 && !fl_stopping())
        pthread_cond_wait(&q->nonempty, &q->mu);
    if (fl_stopping()) {
        pthread_mutex_unlock(&q->mu);
        return 0;
    }
    *b = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->count--;
    pthread_cond_signal(&q->nonfull);
    pthread_mutex_unlock(&q->mu);
    return 1;
}

void flrt_queue_wake(flrt_queue *q)
{
    pthread_mutex_lock(&q->mu);
    pthread_cond_broadcast(&q->nonempty);
    pthread_cond_broadcast(&q->nonfull);
    pthread_mutex_unlock(&q->mu);
}
