/* zip.c - the state of `a.zip(b)`: the i-th element of one input paired
 * with the i-th of the other, in source order. Both inputs reach one task;
 * each input's order is its upstream tasks in index order, each task's rows
 * in the order it sent them (a channel keeps its order). So the batches of
 * every (input, upstream task) are kept in a queue of their own, and an
 * input's next element is the head of the queue of its current upstream
 * task, which moves on when that task's END has come and its queue is
 * empty. A pair is ready when both inputs have a next element; a batch is
 * given back once its rows are paired (at the following call, so the rows
 * of the pair just returned stay valid while the caller uses them). What
 * one input has beyond the other's end is dropped at the end. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "flrt_int.h"

typedef struct zq {          /* one (input, upstream task) */
    fl_batch *head, *tail;
    fl_i64 off;              /* the next row of head */
    int ended;
} zq;

typedef struct zside {
    zq *q;                   /* per upstream task index */
    int n;                   /* entries of q */
    int cur;                 /* the upstream task whose rows come next */
} zside;

struct fl_zip {
    zside s[2];
    fl_batch *done;          /* batches paired through, given back at the next call */
};

fl_zip *fl_zip_new(void) { return flrt_xcalloc(1, sizeof(fl_zip)); }

static zq *zq_of(zside *s, int from)
{
    if (from >= s->n) {
        int n = from + 1 > 2 * s->n ? from + 1 : 2 * s->n;
        s->q = flrt_xrealloc(s->q, (size_t)n * sizeof *s->q);
        memset(s->q + s->n, 0, (size_t)(n - s->n) * sizeof *s->q);
        s->n = n;
    }
    return &s->q[from];
}

void fl_zip_batch(fl_zip *z, fl_batch *b)
{
    zq *q = zq_of(&z->s[b->input & 1], b->from);
    b->next = NULL;
    if (q->tail)
        q->tail->next = b;
    else
        q->head = b;
    q->tail = b;
}

void fl_zip_end(fl_zip *z, int input, int from) { zq_of(&z->s[input & 1], from)->ended = 1; }

/* The next row of side s, or NULL when it has not come yet (or never will). */
static char *peek(fl_zip *z, zside *s)
{
    for (;;) {
        if (s->cur >= s->n)
            return NULL;
        zq *q = &s->q[s->cur];
        while (q->head && q->off == q->head->n) {   /* a batch paired through */
            fl_batch *b = q->head;
            q->head = b->next;
            if (!q->head)
                q->tail = NULL;
            q->off = 0;
            b->next = z->done;
            z->done = b;
        }
        if (q->head)
            return q->head->rows + q->off * q->head->size;
        if (!q->ended)
            return NULL;
        s->cur++;
    }
}

static void release(fl_zip *z, fl_task *t)
{
    while (z->done) {
        fl_batch *b = z->done;
        z->done = b->next;
        fl_done(t, b);
    }
}

int fl_zip_next(fl_zip *z, fl_task *t, void **a, void **b)
{
    release(z, t);
    char *ra = peek(z, &z->s[0]), *rb = ra ? peek(z, &z->s[1]) : NULL;
    if (!ra || !rb)
        return 0;
    *a = ra;
    *b = rb;
    z->s[0].q[z->s[0].cur].off++;
    z->s[1].q[z->s[1].cur].off++;
    return 1;
}

void fl_zip_free(fl_zip *z, fl_task *t)
{
    release(z, t);
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < z->s[i].n; k++)
            while (z->s[i].q[k].head) {
                fl_batch *b = z->s[i].q[k].head;
                z->s[i].q[k].head = b->next;
                fl_done(t, b);
            }
        free(z->s[i].q);
    }
    free(z);
}
