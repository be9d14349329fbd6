/* task.c - the tasks of a job: one thread per task, built from the stage
 * table (fl_job_def) that generated code hands to fl_main.
 *
 * A parallel stage has --threads tasks, another stage one. Each task owns a
 * bounded input queue and, per output edge, one pending batch per
 * destination (fl_out.pend): fl_out_flush moves a full batch to the
 * destination's queue by pointer. When its run function returns, a task
 * closes its queue (later senders drop what they send), flushes its
 * pending batches and sends end-of-stream to each destination task it is
 * connected to; fl_recv counts those markers per upstream connection.
 *
 * Errors: fl_fail prints the first message, raises the stop flag and wakes
 * every queue (taking their locks one at a time, never two together), so
 * that every blocked sender and receiver returns at once. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flrt_int.h"

enum { QUEUE_PER_INPUT = 8 };

static atomic_int stop_flag;
static atomic_int fail_flag;
static _Atomic(flrt_job *) running;

/* ---- stopping ---- */

int fl_stopping(void) { return atomic_load_explicit(&stop_flag, memory_order_relaxed); }

int flrt_failed(void) { return atomic_load(&fail_flag); }

void flrt_stop_reset(void)
{
    atomic_store(&stop_flag, 0);
    atomic_store(&fail_flag, 0);
}

void flrt_set_running(flrt_job *j) { atomic_store(&running, j); }

static void stop_all(void)
{
    atomic_store(&stop_flag, 1);
    flrt_job *j = atomic_load(&running);
    if (j)
        for (int i = 0; i < j->ntasks; i++)
            if (j->tasks[i].in.ring)
                flrt_queue_wake(&j->tasks[i].in);
    flrt_csv_wake();
}

void fl_fail(fl_task *t, const char *fmt, ...)
{
    (void)t;
    if (atomic_exchange(&fail_flag, 1) == 0) {
        char msg[1024];
        int n = snprintf(msg, sizeof msg, "flowc job: ");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg + n, sizeof msg - (size_t)n - 1, fmt, ap);
        va_end(ap);
        size_t len = strlen(msg);
        msg[len++] = '\n';
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(2, msg + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    }
    stop_all();
}

/* ---- sending and receiving ---- */

/* The task that destination `dest` of edge e of task t stands for. */
static flrt_task *route(const flrt_task *t, const flrt_edge *e, int dest)
{
    switch (e->def->kind) {
    case FL_EDGE_FORWARD:
        if (e->ndst == t->pub.ntasks)
            return e->dst + t->pub.index;
        return e->dst + t->pub.index % e->ndst;
    case FL_EDGE_SINGLE:
        return e->dst;
    default:
        return e->dst + dest;
    }
}

fl_batch *fl_out_flush(fl_task *pt, int out, int dest)
{
    flrt_task *t = (flrt_task *)pt;
    flrt_edge *e = &t->edges[out];
    fl_batch *b = pt->outs[out].pend[dest];
    if (b->n == 0)
        return b;
    if (!fl_stopping()) {
        b->from = pt->index;
        b->input = e->def->input;
        if (flrt_queue_push(&route(t, e, dest)->in, b) == 0) {
            fl_batch *nb = flrt_pool_get(&e->pool);
            pt->outs[out].pend[dest] = nb;
            return nb;
        }
    }
    flrt_batch_reset(b);      /* stopping, or nobody reads it: dropped */
    return b;
}

fl_batch *fl_recv(fl_task *pt)
{
    flrt_task *t = (flrt_task *)pt;
    while (t->eos_left > 0) {
        fl_batch *b;
        if (!flrt_queue_pop(&t->in, &b))
            return NULL;
        if (b)
            return b;
        t->eos_left--;
    }
    return NULL;
}

/* After the run function: pending rows out, then end-of-stream to every
 * destination task this task is connected to. */
static void task_end(flrt_task *t)
{
    for (int k = 0; k < t->def->nout; k++) {
        flrt_edge *e = &t->edges[k];
        fl_out *o = &t->pub.outs[k];
        for (int d = 0; d < o->ndest; d++)
            fl_out_flush(&t->pub, k, d);
        if (!e->all) {
            flrt_queue_push(&route(t, e, 0)->in, NULL);
            continue;
        }
        for (int d = 0; d < e->ndst; d++)
            flrt_queue_push(&e->dst[d].in, NULL);
    }
}

static void *task_main(void *arg)
{
    flrt_task *t = arg;
    t->def->run(&t->pub);
    flrt_queue_close(&t->in);
    task_end(t);
    return NULL;
}

/* ---- building the tasks ---- */

static int check_stages(const flrt_job *j)
{
    const fl_job_def *jd = j->def;
    for (int s = 0; s < jd->nstages; s++) {
        if (!jd->stages[s].run) {
            fl_fail(NULL, "job %s: stage %s has no run function", jd->name, jd->stages[s].name);
            return -1;
        }
        for (int k = 0; k < jd->stages[s].nout; k++) {
            const fl_edge_def *e = &jd->stages[s].outs[k];
            if (e->to < 0 || e->to >= jd->nstages || e->kind < FL_EDGE_FORWARD ||
                e->kind > FL_EDGE_BROADCAST || e->row_size < 0) {
                fl_fail(NULL, "job %s: stage %s: output edge %d is invalid (to %d, kind %d)",
                        jd->name, jd->stages[s].name, k, e->to, e->kind);
                return -1;
            }
        }
    }
    return 0;
}

/* Edge k of task t: its destination, its pool and pending batches. */
static void edge_init(flrt_job *j, flrt_task *t, int k)
{
    const fl_edge_def *d = &t->def->outs[k];
    flrt_edge *e = &t->edges[k];
    e->def = d;
    e->dst = j->tasks + j->first[d->to];
    e->ndst = j->count[d->to];
    e->all = !(d->kind == FL_EDGE_SINGLE ||
               (d->kind == FL_EDGE_FORWARD && e->ndst == t->pub.ntasks));
    flrt_pool_init(&e->pool, j->batch_rows, d->row_size);
    fl_out *o = &t->pub.outs[k];
    o->ndest = (d->kind == FL_EDGE_HASH || d->kind == FL_EDGE_BROADCAST) ? e->ndst : 1;
    o->pend = flrt_xcalloc((size_t)o->ndest, sizeof *o->pend);
    for (int i = 0; i < o->ndest; i++)
        o->pend[i] = flrt_pool_get(&e->pool);
    if (e->all)
        for (int i = 0; i < e->ndst; i++)
            e->dst[i].ninputs++;
    else
        route(t, e, 0)->ninputs++;
}

static void tasks_build(flrt_job *j)
{
    const fl_job_def *jd = j->def;
    j->first = flrt_xcalloc((size_t)jd->nstages, sizeof(int));
    j->count = flrt_xcalloc((size_t)jd->nstages, sizeof(int));
    j->ntasks = 0;
    for (int s = 0; s < jd->nstages; s++) {
        j->first[s] = j->ntasks;
        j->count[s] = jd->stages[s].parallel ? j->nthreads : 1;
        j->ntasks += j->count[s];
    }
    j->tasks = flrt_xcalloc((size_t)j->ntasks, sizeof *j->tasks);
    for (int s = 0; s < jd->nstages; s++)
        for (int i = 0; i < j->count[s]; i++) {
            flrt_task *t = &j->tasks[j->first[s] + i];
            t->def = &jd->stages[s];
            t->pub.index = i;
            t->pub.ntasks = j->count[s];
            t->pub.stage = s;
            t->pub.outs = flrt_xcalloc((size_t)t->def->nout, sizeof(fl_out));
            t->edges = flrt_xcalloc((size_t)t->def->nout, sizeof(flrt_edge));
        }
    for (int i = 0; i < j->ntasks; i++)
        for (int k = 0; k < j->tasks[i].def->nout; k++)
            edge_init(j, &j->tasks[i], k);
    for (int i = 0; i < j->ntasks; i++) {
        flrt_task *t = &j->tasks[i];
        t->eos_left = t->ninputs;
        flrt_queue_init(&t->in, QUEUE_PER_INPUT * (t->ninputs ? t->ninputs : 1));
    }
}

/* Queues first (their batches go back to pools), then pools and the rest. */
static void tasks_free(flrt_job *j)
{
    for (int i = 0; i < j->ntasks; i++)
        flrt_queue_fini(&j->tasks[i].in);
    for (int i = 0; i < j->ntasks; i++) {
        flrt_task *t = &j->tasks[i];
        for (int k = 0; k < t->def->nout; k++) {
            flrt_pool_fini(&t->edges[k].pool);
            free(t->pub.outs[k].pend);
        }
        free(t->edges);
        free(t->pub.outs);
        fl_arena_free(&t->pub.scratch);
    }
    free(j->tasks);
    free(j->first);
    free(j->count);
    j->tasks = NULL;
}

static void tasks_start_join(flrt_job *j)
{
    for (int i = 0; i < j->ntasks; i++) {
        flrt_task *t = &j->tasks[i];
        int err = pthread_create(&t->thread, NULL, task_main, t);
        if (err) {
            fl_fail(NULL, "cannot start a thread for stage %s (task %d of %d): %s",
                    t->def->name, t->pub.index, t->pub.ntasks, strerror(err));
            break;
        }
        t->started = 1;
    }
    for (int i = 0; i < j->ntasks; i++)
        if (j->tasks[i].started)
            pthread_join(j->tasks[i].thread, NULL);
}

int flrt_job_run(flrt_job *j)
{
    if (check_stages(j) < 0)
        return -1;
    tasks_build(j);
    flrt_set_running(j);
    tasks_start_join(j);
    flrt_set_running(NULL);
    tasks_free(j);
    return flrt_failed() ? -1 : 0;
}
