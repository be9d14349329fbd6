/* lib.c - a job as a library: the runtime side of the C API that
 * `flowc build --lib` generates (compiler/emit_lib.c writes the typed
 * functions around these). A host program starts the job, which runs on a
 * thread of its own (its tasks on theirs), pushes rows into the job's
 * host_rows sources while it runs, gets the rows of its to_host sinks
 * through callbacks, and finishes it: the job's input ends, the job runs to
 * its end, every thread it made is joined, and the result comes back as a
 * return code with the message of a failure in a buffer. Nothing here
 * installs a signal handler, changes malloc or calls exit(): out of
 * memory, a task's thread jumps back to its start and the job fails
 * (arena.c's guard), and the host's calls return an error.
 *
 * Rows travel serialized (the edges' wire format): push copies the host's
 * row into a bounded queue per source (the host waits while it is full),
 * the source's task takes them in order. Callbacks come from the sink's
 * one task, one call at a time: a row, or a record batch through the Arrow
 * C Data Interface when the host gave the sink an Arrow callback. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flrt_int.h"

enum { HOSTQ_MAX = 4 << 20 };   /* bytes of pushed rows a queue holds before push waits */

typedef struct hostq {
    fl_buf bytes;            /* rows, each a u32 length then its bytes, from head */
    fl_i64 head;
    int ended;
} hostq;

struct fl_lib {
    const fl_job_def *job;
    int threads;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    hostq *q;
    int nq;
    int done, ok;            /* the job has ended, and how */
    char msg[1024];
    void *ctx;
    fl_host_out_fn *outs;
    fl_host_arrow_fn *arrows;
    struct lib_give *gives;  /* per sink: what its Arrow batches' give gets */
    int nouts;
    pthread_mutex_t out_mu;
};

typedef struct lib_give {
    fl_lib *l;
    int sink;
} lib_give;

static void *lib_main(void *arg)
{
    fl_lib *l = arg;
    int ok = flrt_run_lib(l->job, l->threads, l, l->msg, sizeof l->msg);
    pthread_mutex_lock(&l->mu);
    l->ok = ok;
    l->done = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

void fl_lib_say(char *err, fl_i64 len, const char *msg)
{
    if (!err || len <= 0)
        return;
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        n--;
    snprintf(err, (size_t)len, "%.*s", (int)n, msg);
}

static void lib_free_mem(fl_lib *l)
{
    free(l->q);
    free(l->outs);
    free(l->arrows);
    free(l->gives);
    free(l);
}

fl_lib *fl_lib_start(const fl_job_def *job, int threads, int ninputs, void *ctx, const fl_host_out_fn *outs,
                     const fl_host_arrow_fn *arrows, int nouts, char *err, fl_i64 errlen)
{
    size_t no = (size_t)(nouts > 0 ? nouts : 1);
    fl_lib *l = calloc(1, sizeof *l);
    if (l) {
        l->q = calloc((size_t)(ninputs > 0 ? ninputs : 1), sizeof *l->q);
        l->outs = calloc(no, sizeof *l->outs);
        l->arrows = calloc(no, sizeof *l->arrows);
        l->gives = calloc(no, sizeof *l->gives);
    }
    if (!l || !l->q || !l->outs || !l->arrows || !l->gives) {
        fl_lib_say(err, errlen, "out of memory");
        if (l)
            lib_free_mem(l);
        return NULL;
    }
    l->job = job;
    l->threads = threads;
    l->nq = ninputs;
    l->ctx = ctx;
    l->nouts = nouts;
    for (int i = 0; i < nouts; i++) {
        l->outs[i] = outs ? outs[i] : NULL;
        l->arrows[i] = arrows ? arrows[i] : NULL;
        l->gives[i] = (lib_give){l, i};
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    pthread_mutex_init(&l->out_mu, NULL);
    int rc = pthread_create(&l->th, NULL, lib_main, l);
    if (rc) {
        fl_lib_say(err, errlen, strerror(rc));
        fl_lib_free(l);
        return NULL;
    }
    return l;
}

typedef struct room_call {
    fl_buf *b;
    fl_i64 n;
} room_call;

static void room(void *arg)
{
    room_call *c = arg;
    fl_buf_reserve(c->b, c->n);
}

int fl_lib_push(fl_lib *l, int input, const char *bytes, fl_i64 len)
{
    if (!l || input < 0 || input >= l->nq)
        return -1;
    hostq *q = &l->q[input];
    pthread_mutex_lock(&l->mu);
    while (!l->done && !q->ended && q->bytes.len - q->head > HOSTQ_MAX)
        pthread_cond_wait(&l->cv, &l->mu);
    int ok = !l->done && !q->ended;
    if (ok) {
        if (q->head > 0 && q->head >= q->bytes.len / 2) {   /* what was taken goes */
            memmove(q->bytes.p, q->bytes.p + q->head, (size_t)(q->bytes.len - q->head));
            q->bytes.len -= q->head;
            q->head = 0;
        }
        room_call rc = {&q->bytes, 4 + len};
        ok = flrt_oom_guard(room, &rc) == 0;   /* (the host's thread: -1, not an exit) */
    }
    if (ok) {
        unsigned char hdr[4] = {(unsigned char)len, (unsigned char)(len >> 8), (unsigned char)(len >> 16),
                                (unsigned char)(len >> 24)};
        fl_buf_put(&q->bytes, (const char *)hdr, 4);
        fl_buf_put(&q->bytes, bytes, len);
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
    return ok ? 0 : -1;
}

int fl_lib_push_row(fl_lib *l, int input, void (*ser)(void *r), const void *row)
{
    fl_lib_row r = {{0, 0, 0}, row};
    int rc = flrt_oom_guard(ser, &r) < 0 ? -1 : fl_lib_push(l, input, r.b.p, r.b.len);
    fl_buf_free(&r.b);
    return rc;
}

int fl_lib_guard(void (*fn)(void *), void *arg, char *err, fl_i64 errlen)
{
    if (flrt_oom_guard(fn, arg) == 0)
        return 0;
    fl_lib_say(err, errlen, "out of memory");
    return -1;
}

/* The host has pushed its last rows: every source's queue ends. */
static void lib_end_input(fl_lib *l)
{
    pthread_mutex_lock(&l->mu);
    for (int i = 0; i < l->nq; i++)
        l->q[i].ended = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

void fl_lib_free(fl_lib *l)
{
    for (int i = 0; i < l->nq; i++)
        fl_buf_free(&l->q[i].bytes);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->out_mu);
    lib_free_mem(l);
}

int fl_lib_finish(fl_lib *l, char *err, fl_i64 errlen)
{
    if (!l)
        return -1;
    lib_end_input(l);
    pthread_join(l->th, NULL);
    int ok = l->ok;
    if (!ok)
        fl_lib_say(err, errlen, l->msg[0] ? l->msg + (strncmp(l->msg, "flowc job: ", 11) ? 0 : 11) : "the job failed");
    else if (err && errlen > 0)
        err[0] = 0;
    fl_lib_free(l);
    return ok ? 0 : -1;
}

/* ---- in the job ---- */

int fl_host_next(fl_task *t, int input, fl_buf *row)
{
    fl_lib *l = ((flrt_task *)t)->job->lib;
    if (!l) {
        fl_fail(t, "host_rows: its rows come from a host program through the C API (flowc build --lib)");
        return 0;
    }
    hostq *q = &l->q[input];
    pthread_mutex_lock(&l->mu);
    while (q->head == q->bytes.len && !q->ended && !fl_stopping()) {
        struct timespec ts;   /* (a stopping job is noticed within 100 ms) */
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000;
        if (ts.tv_nsec >= 1000000000)
            ts.tv_sec++, ts.tv_nsec -= 1000000000;
        pthread_cond_timedwait(&l->cv, &l->mu, &ts);
    }
    int have = q->head < q->bytes.len && !fl_stopping();
    if (have) {
        const unsigned char *h = (const unsigned char *)q->bytes.p + q->head;
        fl_i64 n = (fl_i64)h[0] | (fl_i64)h[1] << 8 | (fl_i64)h[2] << 16 | (fl_i64)h[3] << 24;
        row->len = 0;
        room_call rc = {row, n};
        flrt_oom_locked(&l->mu, room, &rc);
        fl_buf_put(row, (const char *)h + 4, n);
        q->head += 4 + n;
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
    return have;
}

void fl_host_out(fl_task *t, int sink, const void *row)
{
    fl_lib *l = ((flrt_task *)t)->job->lib;
    if (!l) {
        fl_fail(t, "to_host: its rows go to a host program through the C API (flowc build --lib)");
        return;
    }
    if (sink < 0 || sink >= l->nouts || !l->outs[sink])
        return;
    pthread_mutex_lock(&l->out_mu);
    l->outs[sink](l->ctx, row);
    pthread_mutex_unlock(&l->out_mu);
}

/* A batch of sink's rows to its Arrow callback (one call at a time, as host_out's). */
static void lib_give_batch(void *arg, struct ArrowArray *batch, struct ArrowSchema *schema)
{
    lib_give *g = arg;
    pthread_mutex_lock(&g->l->out_mu);
    g->l->arrows[g->sink](g->l->ctx, batch, schema);
    pthread_mutex_unlock(&g->l->out_mu);
}

fl_arrow_w *fl_host_arrow_open(fl_task *t, int sink, const fl_arrow_field *fields, int nfields)
{
    fl_lib *l = ((flrt_task *)t)->job->lib;
    if (!l || sink < 0 || sink >= l->nouts || !l->arrows[sink])
        return NULL;
    return flrt_arrow_export(t, fields, nfields, lib_give_batch, &l->gives[sink]);
}
