/* chan.c - how messages reach a task: its inbox (a FIFO of messages under
 * one lock, with a bound per channel, i.e. per upstream task and input: a
 * full channel blocks only its own sender, which is the backpressure), and
 * the pools that recycle batches (fl_done gives a batch back to the pool
 * that made it, with its arena's block kept for the next use; once the
 * pool's task has ended, a batch given back is freed).
 *
 * One lock is taken per batch, never per row. Lock order: an inbox's lock
 * and a pool's lock are leaves; batches leaving a closed inbox are
 * released to their pools after the inbox's lock is dropped. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flrt_int.h"

typedef struct flrt_batch {
    fl_batch b;              /* first: what tasks see */
    flrt_pool *pool;
    struct flrt_batch *all, *all_prev;   /* the pool's list of the batches it holds */
    flrt_item item;          /* the batch as a queued message */
} flrt_batch;

/* ---- pools ---- */

void flrt_pool_init(flrt_pool *p, fl_i64 cap, fl_i64 size)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    p->cap = cap;
    p->size = size;
}

static void batch_free(flrt_batch *x)
{
    fl_arena_free(&x->b.arena);
    free(x->b.rows);
    free(x);
}

/* Takes x out of its pool's list (the owner's, or under the pool's lock once closed). */
static void all_unlink(flrt_pool *p, flrt_batch *x)
{
    if (x->all_prev)
        x->all_prev->all = x->all;
    else
        p->all = x->all;
    if (x->all)
        x->all->all_prev = x->all_prev;
}

void flrt_pool_fini(flrt_pool *p)
{
    flrt_batch *x = p->all;
    while (x) {
        flrt_batch *next = x->all;
        batch_free(x);
        x = next;
    }
    p->all = NULL;
    p->back = p->spare = NULL;
    pthread_mutex_destroy(&p->mu);
}

/* Frees a list of batches linked by next, taking them out of the pool's list. */
static flrt_batch *unlink_list(flrt_pool *p, fl_batch *b, flrt_batch *freed)
{
    while (b) {
        flrt_batch *x = (flrt_batch *)b;
        b = b->next;
        all_unlink(p, x);
        x->all = freed;
        freed = x;
    }
    return freed;
}

void flrt_pool_close(flrt_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->closed = 1;
    flrt_batch *freed = unlink_list(p, p->spare, unlink_list(p, p->back, NULL));
    p->spare = p->back = NULL;
    pthread_mutex_unlock(&p->mu);
    while (freed) {
        flrt_batch *next = freed->all;
        batch_free(freed);
        freed = next;
    }
}

/* A new batch holds BATCH_FIRST bytes of rows (at least one row) and grows
 * by doubling up to the pool's rows per batch (flrt_batch_grow): a job
 * whose edges carry a few rows keeps a few rows' memory, and a batch that
 * reached its full size keeps it in the pool. */
enum { BATCH_FIRST = 2048 };

static flrt_batch *batch_new(flrt_pool *p)
{
    if (p->size > 0 && (uint64_t)p->cap > (uint64_t)(PTRDIFF_MAX / 2) / (uint64_t)p->size)
        flrt_oom(p->cap * p->size);
    fl_i64 cap = p->size > 0 ? BATCH_FIRST / p->size : p->cap;
    cap = cap < 1 ? 1 : cap > p->cap ? p->cap : cap;
    flrt_batch *x = flrt_xcalloc(1, sizeof *x);
    x->b.rows = flrt_xmalloc((size_t)(cap * p->size));
    x->b.cap = cap;
    x->b.size = p->size;
    x->b.arena.first = 1024;
    x->pool = p;
    x->all = p->all;
    if (p->all)
        p->all->all_prev = x;
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

int flrt_batch_grow(fl_batch *b, fl_i64 n)
{
    fl_i64 max = ((flrt_batch *)b)->pool->cap;
    if (n > max)
        return -1;
    fl_i64 cap = b->cap;
    while (cap < n)
        cap = cap * 2 > max ? max : cap * 2;
    if (cap != b->cap) {
        b->rows = flrt_xrealloc(b->rows, (size_t)(cap * b->size));
        b->cap = cap;
    }
    return 0;
}

void flrt_batch_reset(fl_batch *b)
{
    b->n = 0;
    fl_arena_reset(&b->arena);
}

void flrt_batch_release(fl_batch *b)
{
    flrt_pool *p = ((flrt_batch *)b)->pool;
    flrt_batch_reset(b);
    pthread_mutex_lock(&p->mu);
    int closed = p->closed;
    if (closed) {
        all_unlink(p, (flrt_batch *)b);
    } else {
        b->next = p->back;
        p->back = b;
    }
    pthread_mutex_unlock(&p->mu);
    if (closed)
        batch_free((flrt_batch *)b);   /* (its sender has ended: no one takes it again) */
}


/* ---- inboxes ---- */

static int stopping(const flrt_inbox *q) { return atomic_load_explicit(&q->job->stop, memory_order_relaxed); }

/* Messages a local channel may hold (--queue, or FLRT_CHAN_CAP). */
static int chan_cap(const flrt_inbox *q) { return q->job->chan_cap > 0 ? q->job->chan_cap : FLRT_CHAN_CAP; }

void flrt_inbox_init(flrt_inbox *q, flrt_job *j, flrt_chan *chans, int nchan, int ninputs)
{
    memset(q, 0, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    pthread_cond_init(&q->nonfull, NULL);
    q->job = j;
    q->chans = chans;
    q->nchan = nchan;
    q->ninputs = ninputs;
    q->left = flrt_xcalloc((size_t)(ninputs ? ninputs : 1), sizeof *q->left);
    for (int c = 0; c < nchan; c++)
        q->left[chans[c].input]++;
}

int flrt_inbox_chan(const flrt_inbox *q, int input, int src)
{
    int lo = 0, hi = q->nchan - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const flrt_chan *c = &q->chans[mid];
        if (c->input == input && c->src == src)
            return mid;
        if (c->input < input || (c->input == input && c->src < src))
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static void item_free(flrt_item *it)
{
    if (it->batch)
        flrt_batch_release(it->batch);
    else
        free(it);
}

/* Takes every queued message out (under the lock) and releases them
 * afterwards (outside it). */
static void inbox_drain(flrt_inbox *q, int close, void (*dropped)(void *arg, int chan), void *arg)
{
    pthread_mutex_lock(&q->mu);
    flrt_item *it = q->head;
    q->head = q->tail = NULL;
    for (int c = 0; c < q->nchan; c++) {
        q->chans[c].count = 0;
        if (q->chans[c].parked)   /* (a pool's sender waiting for room: there is some now) */
            q->ready(q->chans[c].parked);
        q->chans[c].parked = NULL;
    }
    if (close)
        q->closed = 1;
    pthread_cond_broadcast(&q->nonfull);
    pthread_mutex_unlock(&q->mu);
    while (it) {
        flrt_item *next = it->next;
        if (dropped && it->batch)
            dropped(arg, it->chan);
        item_free(it);
        it = next;
    }
}

void flrt_inbox_fini(flrt_inbox *q)
{
    if (!q->left)
        return;
    inbox_drain(q, 1, NULL, NULL);
    for (int c = 0; c < q->nchan; c++)
        if (q->chans[c].pool) {
            flrt_pool_fini(q->chans[c].pool);
            free(q->chans[c].pool);
        }
    free(q->chans);
    free(q->left);
    q->left = NULL;
    pthread_cond_destroy(&q->nonempty);
    pthread_cond_destroy(&q->nonfull);
    pthread_mutex_destroy(&q->mu);
}

void flrt_inbox_close(flrt_inbox *q, void (*dropped)(void *arg, int chan), void *arg)
{
    inbox_drain(q, 1, dropped, arg);
}

static int push_item(flrt_inbox *q, flrt_item *it, int c, fl_batch *b, int wait);

int flrt_inbox_push(flrt_inbox *q, int c, int kind, fl_batch *b, int wait)
{
    flrt_item *it = b ? &((flrt_batch *)b)->item : flrt_xcalloc(1, sizeof *it);
    it->next = NULL;
    it->kind = kind;
    it->chan = c;
    it->batch = b;
    it->value = 0;
    return push_item(q, it, c, b, wait);
}

int flrt_inbox_push_value(flrt_inbox *q, int c, int kind, fl_i64 value, int wait)
{
    flrt_item *it = flrt_xcalloc(1, sizeof *it);
    it->kind = kind;
    it->chan = c;
    it->value = value;
    return push_item(q, it, c, NULL, wait);
}

static int push_item(flrt_inbox *q, flrt_item *it, int c, fl_batch *b, int wait)
{
    pthread_mutex_lock(&q->mu);
    while (wait && q->chans[c].count >= chan_cap(q) && !q->closed && !stopping(q))
        pthread_cond_wait(&q->nonfull, &q->mu);
    if (q->closed || stopping(q)) {
        pthread_mutex_unlock(&q->mu);
        if (!b)
            free(it);
        return -1;
    }
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    int full = ++q->chans[c].count >= chan_cap(q);
    pthread_cond_signal(&q->nonempty);
    if (q->sleeping) {
        q->sleeping = 0;
        q->ready(q->owner);
    }
    pthread_mutex_unlock(&q->mu);
    return !wait && full;
}

static int inputs_left(const flrt_inbox *q, unsigned mask)
{
    for (int i = 0; i < q->ninputs && i < 32; i++)
        if ((mask >> i & 1) && q->left[i])
            return 1;
    return 0;
}

/* Unlinks and returns the oldest item of an input in mask, or NULL. */
static flrt_item *take(flrt_inbox *q, unsigned mask)
{
    flrt_item *prev = NULL;
    for (flrt_item *it = q->head; it; prev = it, it = it->next) {
        int in = q->chans[it->chan].input;
        if (in >= 32 || !(mask >> in & 1) || q->chans[it->chan].held)
            continue;
        if (prev)
            prev->next = it->next;
        else
            q->head = it->next;
        if (q->tail == it)
            q->tail = prev;
        return it;
    }
    return NULL;
}

/* The message of item it (taken, under q->mu): the counts updated, a
 * parked sender readied, the lock dropped, *m filled. */
static void took(flrt_inbox *q, flrt_item *it, fl_msg *m, int *chan)
{
    flrt_chan *c = &q->chans[it->chan];
    if (c->count-- >= chan_cap(q))
        pthread_cond_broadcast(&q->nonfull);
    if (c->parked && c->count < chan_cap(q)) {
        q->ready(c->parked);
        c->parked = NULL;
    }
    if (it->kind == FL_MSG_END)
        q->left[c->input]--;
    pthread_mutex_unlock(&q->mu);
    m->kind = it->kind;
    m->input = c->input;
    m->from = c->from;
    m->batch = it->batch;
    m->value = it->value;
    if (m->batch) {
        m->batch->input = c->input;
        m->batch->from = c->from;
    }
    *chan = it->chan;
    if (!it->batch)
        free(it);
}

int flrt_inbox_pop(flrt_inbox *q, unsigned mask, fl_msg *m, int *chan)
{
    pthread_mutex_lock(&q->mu);
    flrt_item *it = NULL;
    while (!stopping(q) && inputs_left(q, mask) && !(it = take(q, mask)))
        pthread_cond_wait(&q->nonempty, &q->mu);
    if (!it) {
        pthread_mutex_unlock(&q->mu);
        return 0;
    }
    took(q, it, m, chan);
    return 1;
}

int flrt_inbox_pop_until(flrt_inbox *q, unsigned mask, fl_msg *m, int *chan, fl_i64 deadline)
{
    struct timespec ts = {(time_t)(deadline / 1000), (long)(deadline % 1000) * 1000000L};
    pthread_mutex_lock(&q->mu);
    flrt_item *it = NULL;
    int timed_out = 0;
    while (!stopping(q) && inputs_left(q, mask) && !(it = take(q, mask)) && !timed_out)
        timed_out = pthread_cond_timedwait(&q->nonempty, &q->mu, &ts) == ETIMEDOUT;
    if (!it) {
        int alive = !stopping(q) && inputs_left(q, mask);
        pthread_mutex_unlock(&q->mu);
        return alive ? 2 : 0;
    }
    took(q, it, m, chan);
    return 1;
}

int flrt_inbox_empty(flrt_inbox *q)
{
    pthread_mutex_lock(&q->mu);
    int empty = !q->head;
    pthread_mutex_unlock(&q->mu);
    return empty;
}

int flrt_inbox_trypop(flrt_inbox *q, unsigned mask, fl_msg *m, int *chan)
{
    pthread_mutex_lock(&q->mu);
    flrt_item *it = NULL;
    if (stopping(q) || !inputs_left(q, mask) || !(it = take(q, mask))) {
        int r = stopping(q) || !inputs_left(q, mask) ? -1 : 0;
        q->sleeping = r == 0;
        pthread_mutex_unlock(&q->mu);
        return r;
    }
    took(q, it, m, chan);
    return 1;
}

int flrt_inbox_park(flrt_inbox *q, int c, void *who)
{
    pthread_mutex_lock(&q->mu);
    int park = q->chans[c].count >= chan_cap(q) && !q->closed && !stopping(q);
    if (park)
        q->chans[c].parked = who;
    pthread_mutex_unlock(&q->mu);
    return park;
}

void flrt_inbox_wake(flrt_inbox *q)
{
    if (!q->left)
        return;
    pthread_mutex_lock(&q->mu);
    pthread_cond_broadcast(&q->nonempty);
    pthread_cond_broadcast(&q->nonfull);
    pthread_mutex_unlock(&q->mu);
}

int flrt_inbox_ended(flrt_inbox *q, int input)
{
    pthread_mutex_lock(&q->mu);
    int ended = input >= q->ninputs || q->left[input] == 0;
    pthread_mutex_unlock(&q->mu);
    return ended;
}
