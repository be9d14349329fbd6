/* task.c - the tasks of a job, built from the stage table (fl_job_def) that
 * generated code hands to fl_main: placement, ports, channels, one thread
 * per local task, sending and receiving, end of stream, and stopping.
 *
 * Task ids are global: stage after stage, a parallel stage has as many
 * tasks as all processes have threads (process p holds a contiguous run of
 * them), a single-task stage one, on process 0. Every process computes the
 * same table from (stages, processes, threads per process) and builds only
 * its own tasks. A task's output edge has a port per destination task: a
 * channel of a local inbox (the batch pointer moves) or a remote task
 * (net.c serializes the batch and sends it against credits). When its run
 * function returns, a task closes its inbox (later sends are dropped),
 * flushes its pending batches and sends END to every destination task it
 * is connected to; fl_recv reports each END and ends when all have come.
 *
 * Errors: flrt_job_fail prints the first message, raises the job's stop
 * flag, tells the other processes (net.c) and wakes every inbox (taking
 * their locks one at a time, never two together) and every task waiting
 * for credits, so that every blocked sender and receiver returns. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flrt_int.h"
#include "net.h"
#include "stats.h"

static flrt_job idle_job = {            /* fl_fail and sinks outside of any job */
    .credit_mu = PTHREAD_MUTEX_INITIALIZER, .credit_cv = PTHREAD_COND_INITIALIZER,
    .sinks_mu = PTHREAD_MUTEX_INITIALIZER, .maps_mu = PTHREAD_MUTEX_INITIALIZER,
    .meet_mu = PTHREAD_MUTEX_INITIALIZER, .meet_cv = PTHREAD_COND_INITIALIZER,
    .tables = PTHREAD_RWLOCK_INITIALIZER,
};
static __thread flrt_job *cur_job;
static _Atomic(flrt_job *) running;      /* the job fl_main runs (for signals) */

/* ---- the job's context ---- */

void flrt_job_init(flrt_job *j)
{
    pthread_rwlock_init(&j->tables, NULL);
    pthread_mutex_init(&j->credit_mu, NULL);
    pthread_cond_init(&j->credit_cv, NULL);
    pthread_mutex_init(&j->sinks_mu, NULL);
    pthread_mutex_init(&j->maps_mu, NULL);
    pthread_mutex_init(&j->meet_mu, NULL);
    pthread_cond_init(&j->meet_cv, NULL);
}

void flrt_job_fini(flrt_job *j)
{
    pthread_rwlock_destroy(&j->tables);
    pthread_mutex_destroy(&j->credit_mu);
    pthread_cond_destroy(&j->credit_cv);
    pthread_mutex_destroy(&j->sinks_mu);
    pthread_mutex_destroy(&j->maps_mu);
    pthread_mutex_destroy(&j->meet_mu);
    pthread_cond_destroy(&j->meet_cv);
}

/* ---- the current job, stopping ---- */

flrt_job *flrt_job_current(void)
{
    if (cur_job)
        return cur_job;
    flrt_job *j = atomic_load(&running);
    return j ? j : &idle_job;
}

void flrt_job_set_current(flrt_job *j)
{
    cur_job = j;
    atomic_store(&running, j);
}

int fl_stopping(void) { return atomic_load_explicit(&flrt_job_current()->stop, memory_order_relaxed); }

int flrt_failed(void) { return atomic_load(&flrt_job_current()->failed); }

void flrt_stop_reset(void)
{
    flrt_job *j = flrt_job_current();
    atomic_store(&j->stop, 0);
    atomic_store(&j->failed, 0);
}

static void stop_all(flrt_job *j)
{
    atomic_store(&j->stop, 1);
    /* the tasks, unless the main thread is making or freeing them (then none runs) */
    if (pthread_rwlock_tryrdlock(&j->tables) == 0) {
        for (int i = 0; i < j->nlocal; i++)
            flrt_inbox_wake(&j->tasks[i].in);
        flrt_workers_stop(j);
        pthread_rwlock_unlock(&j->tables);
    }
    pthread_mutex_lock(&j->credit_mu);
    pthread_cond_broadcast(&j->credit_cv);
    pthread_mutex_unlock(&j->credit_mu);
    flrt_net_wake(j);
    flrt_csv_wake();
}

static void say(const char *msg)
{
    size_t len = strlen(msg), off = 0;
    while (off < len) {
        ssize_t w = write(2, msg + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

void flrt_job_fail(flrt_job *j, const char *msg, int remote)
{
    if (atomic_exchange(&j->failed, 1) == 0) {
        if (msg && j->lib)   /* (a library reports its failure to the host, not on stderr) */
            snprintf(j->failmsg, sizeof j->failmsg, "%s", msg);
        else if (msg)
            say(msg);
        if (!remote && j->net)
            flrt_net_fail(j, msg);
    }
    stop_all(j);
}

void flrt_job_vfail(flrt_job *j, const char *fmt, va_list ap)
{
    char msg[1024];
    int n = snprintf(msg, sizeof msg, "flowc job: ");
    vsnprintf(msg + n, sizeof msg - (size_t)n - 1, fmt, ap);
    size_t len = strlen(msg);
    if (j->nprocs > 1) {      /* which process, on which host: a file may be missing on one */
        char host[64] = "?";
        gethostname(host, sizeof host - 1);
        snprintf(msg + len, sizeof msg - len - 1, " (process %d of %d, on %s)", j->rank, j->nprocs, host);
    }
    strcat(msg, "\n");
    flrt_job_fail(j, msg, 0);
}

void fl_fail(fl_task *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    flrt_job_vfail(t ? ((flrt_task *)t)->job : flrt_job_current(), fmt, ap);
    va_end(ap);
}

void flrt_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "flowc job: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- placement ---- */

int flrt_place(const flrt_job *j, int stage, int index)
{
    if (!j->def->stages[stage].parallel)
        return 0;
    if (j->def->stages[stage].ntasks) {
        for (int p = j->nprocs - 1; p > 0; p--) {
            int lo, hi;
            flrt_stage_span(j, stage, p, &lo, &hi);
            if (index >= lo && index < hi)
                return p;
        }
        return 0;
    }
    for (int p = j->nprocs - 1; p > 0; p--)
        if (index >= j->procs[p].first)
            return p;
    return 0;
}

int flrt_stage_of(const flrt_job *j, int gid)
{
    int s = 0;
    while (s + 1 < j->def->nstages && gid >= j->first[s + 1])
        s++;
    return s;
}

/* Whether END goes to every destination task of edge d from stage u. */
static int edge_all(const flrt_job *j, int u, const fl_edge_def *d)
{
    return !(d->kind == FL_EDGE_SINGLE || (d->kind == FL_EDGE_FORWARD && j->count[d->to] == j->count[u]));
}

/* The destination task (index in its stage) of rows that sender i of
 * stage u sends to `dest` (the fl_emit destination) over edge d. */
static int route(const flrt_job *j, int u, int i, const fl_edge_def *d, int dest)
{
    int ndst = j->count[d->to];
    switch (d->kind) {
    case FL_EDGE_FORWARD: return ndst == j->count[u] ? i : i % ndst;
    case FL_EDGE_SINGLE: return 0;
    default: return dest;
    }
}

static int connected(const flrt_job *j, int u, int i, const fl_edge_def *d, int r)
{
    return edge_all(j, u, d) || route(j, u, i, d, r) == r;
}

/* ---- sending and receiving ---- */

static flrt_port *port_of(flrt_task *t, int out, int dest)
{
    flrt_edge *e = &t->edges[out];
    return &e->ports[route(t->job, t->pub.stage, t->pub.index, e->def, dest)];
}

fl_batch *fl_out_flush(fl_task *pt, int out, int dest)
{
    flrt_task *t = (flrt_task *)pt;
    flrt_edge *e = &t->edges[out];
    fl_batch *b = pt->outs[out].pend[dest];
    if (!b)
        return pt->outs[out].pend[dest] = flrt_pool_get(&e->pool);
    if (b->n == 0)
        return b;
    flrt_port *p = port_of(t, out, dest);
    pt->flushed = 1;
    if (!atomic_load(&t->job->stop)) {
        b->from = pt->index;
        b->input = e->def->input;
        if (!p->task) {
            flrt_net_send_batch(t, e, p, b);
        } else {
            fl_i64 t0 = flrt_now_ns();
            int r = flrt_inbox_push(&p->task->in, p->chan, FL_MSG_DATA, b, !t->job->sched);
            t->t_out += flrt_now_ns() - t0;
            if (r == 1) {   /* (a pool's push never waits: the task waits for room after its step) */
                t->full_q = &p->task->in;
                t->full_c = p->chan;
            }
            if (r >= 0)
                return pt->outs[out].pend[dest] = flrt_pool_get(&e->pool);
        }
    }
    flrt_batch_reset(b);      /* sent remotely, stopping, or nobody reads it */
    return b;
}

fl_batch *fl_out_room(fl_task *pt, int out, int dest)
{
    fl_batch *b = pt->outs[out].pend[dest];
    if (b && b->n == b->cap && flrt_batch_grow(b, b->n + 1) == 0)
        return b;
    return fl_out_flush(pt, out, dest);
}

/* A batch taken from channel c: a remote sender gets its credit back. */
static void taken(flrt_task *t, const fl_msg *m, int c)
{
    const flrt_chan *ch = &t->in.chans[c];
    if (ch->proc != t->job->rank && m->kind == FL_MSG_DATA)
        flrt_net_credit(t->job, ch->proc, ch->src, t->gid, ch->input);
}

int fl_recv(fl_task *pt, unsigned inputs, fl_msg *m)
{
    flrt_task *t = (flrt_task *)pt;
    int c;
    if (!flrt_inbox_pop(&t->in, inputs, m, &c))
        return 0;
    taken(t, m, c);
    return 1;
}

int fl_ended(fl_task *t, int input) { return flrt_inbox_ended(&((flrt_task *)t)->in, input); }

void fl_done(fl_task *t, fl_batch *b)
{
    (void)t;
    if (b)
        flrt_batch_release(b);
}

void flrt_port_credit(flrt_job *j, int src, int dst, int input, int n)
{
    flrt_task *t = src >= 0 && src < j->ntasks ? j->local[src] : NULL;
    int to = dst >= 0 && dst < j->ntasks ? flrt_stage_of(j, dst) : -1;
    for (int k = 0; t && k < t->def->nout; k++) {
        flrt_edge *e = &t->edges[k];
        if (e->def->to != to || e->def->input != input)
            continue;
        pthread_mutex_lock(&j->credit_mu);
        e->ports[dst - e->to_first].credits += n;
        pthread_cond_broadcast(&j->credit_cv);
        pthread_mutex_unlock(&j->credit_mu);
        return;
    }
}

void flrt_edge_flush(flrt_task *t, int k)
{
    fl_out *o = &t->pub.outs[k];
    for (int d = 0; d < o->ndest; d++)
        if (o->pend[d] && o->pend[d]->n)
            fl_out_flush(&t->pub, k, d);
}

void flrt_edge_signal(flrt_task *t, int k, int kind, fl_i64 value)
{
    flrt_edge *e = &t->edges[k];
    flrt_edge_flush(t, k);
    for (int r = 0; r < e->ndst; r++) {
        flrt_port *p = &e->ports[r];
        if (p->dst < 0)
            continue;
        if (p->task)
            flrt_inbox_push_value(&p->task->in, p->chan, kind, value, !t->job->sched);
        else if (kind == FL_MSG_END)
            flrt_net_send_end(t, e, p);
        else
            flrt_net_send_watermark(t, e, p, value);
    }
}

/* After the run function: pending rows out, then END to every destination
 * task this task is connected to. */
static void task_end(flrt_task *t)
{
    for (int k = 0; k < t->def->nout; k++)
        flrt_edge_signal(t, k, FL_MSG_END, 0);
}

/* A batch a task left unread: its remote sender gets the credit back. */
static void credit_back(void *arg, int c)
{
    flrt_task *t = arg;
    const flrt_chan *ch = &t->in.chans[c];
    if (ch->proc != t->job->rank)
        flrt_net_credit(t->job, ch->proc, ch->src, t->gid, ch->input);
}

/* The next message for the stage: a TIMER when its timer is due first
 * (with the real clock), else what the inbox gives that the stage sees
 * (flrt_time_take). Before waiting, an unbounded job's task sends what it
 * has pending, so rows never wait in a half-full batch for more input. */
static int drive_recv(flrt_task *t, fl_msg *m)
{
    for (;;) {
        if (t->job->def->unbounded && flrt_inbox_empty(&t->in)) {
            fl_flush_all(&t->pub);
            flrt_sinks_idle(t);
        }
        int c, r, held = flrt_time_hold(t);
        fl_i64 timer = t->timer != FL_TIME_MAX && !t->job->test_clock ? t->timer : FL_TIME_MAX;
        fl_i64 until = held ? fl_now_ms() + FLRT_HOLD_MS : FL_TIME_MAX;   /* a hold lasts a while only */
        if (timer < until)
            until = timer;
        fl_i64 t0 = flrt_now_ns();
        r = until == FL_TIME_MAX ? flrt_inbox_pop(&t->in, ~0u, m, &c) : flrt_inbox_pop_until(&t->in, ~0u, m, &c, until);
        t->t_in += flrt_now_ns() - t0;
        if (r == 2 && timer != FL_TIME_MAX && fl_now_ms() >= timer) {
            t->timer = FL_TIME_MAX;
            *m = (fl_msg){.kind = FL_MSG_TIMER, .value = fl_now_ms()};
            return 1;
        }
        if (r == 2) {   /* nothing but held channels for FLRT_HOLD_MS: read them too for a while */
            t->hold_off = fl_now_ms() + FLRT_HOLD_MS;
            continue;
        }
        if (!r)
            return 0;
        taken(t, m, c);
        if (flrt_time_take(t, m, c))
            return 1;
    }
}

/* A stage as a state machine: the runtime's loop over its calls. A source
 * produces until it says it is done or the job stops; the others take their
 * messages until every input has ended; close runs in both cases. */
static void task_drive(flrt_task *t)
{
    fl_task *pt = &t->pub;
    flrt_tier_check(t);
    void *s = t->def->open(pt);
    if (t->def->produce) {
        do
            flrt_tier_check(t);
        while (!fl_stopping() && t->def->produce(pt, s));
    } else {
        fl_msg m;
        while (drive_recv(t, &m)) {
            flrt_tier_check(t);
            flrt_time_deliver(t, s, &m);
        }
    }
    t->def->close(pt, s);
}

static void task_finish_once(void *arg)
{
    flrt_task *t = arg;
    if (t->finished)
        return;
    t->finished = 1;
    flrt_inbox_close(&t->in, credit_back, t);
    task_end(t);
    for (int k = 0; k < t->def->nout; k++)   /* (what it sent is freed when given back) */
        flrt_pool_close(&t->edges[k].pool);
    flrt_stats_task_end(t);
}

/* (Out of memory here, the job has failed already: its stop ends the others.) */
void flrt_task_finish(flrt_task *t) { flrt_oom_guard(task_finish_once, t); }

static void task_body(void *arg)
{
    flrt_task *t = arg;
    if (t->def->run)
        t->def->run(&t->pub);
    else
        task_drive(t);
}

/* A task's thread. Out of memory, the task stops where it was (its state
 * left as it is, freed with the process) and the job fails. */
static void *task_main(void *arg)
{
    flrt_task *t = arg;
    cur_job = t->job;
    if (flrt_oom_guard(task_body, t) < 0)
        flrt_oom_fail();
    flrt_task_finish(t);
    return NULL;
}

/* ---- building the tasks ---- */

static int check_stages(const flrt_job *j)
{
    const fl_job_def *jd = j->def;
    for (int s = 0; s < jd->nstages; s++) {
        const fl_stage_def *d = &jd->stages[s];
        if (!d->run && !(d->open && d->close && (d->produce || (d->batch && d->signal)))) {
            fl_fail(NULL, "job %s: stage %s has neither a run function nor its state machine's", jd->name, d->name);
            return -1;
        }
        for (int k = 0; k < jd->stages[s].nout; k++) {
            const fl_edge_def *e = &jd->stages[s].outs[k];
            if (e->to < 0 || e->to >= jd->nstages || e->kind < FL_EDGE_FORWARD ||
                e->kind > FL_EDGE_BROADCAST || e->row_size < 0 || e->input < 0 || e->input >= 32) {
                fl_fail(NULL, "job %s: stage %s: output edge %d is invalid (to %d, kind %d)",
                        jd->name, jd->stages[s].name, k, e->to, e->kind);
                return -1;
            }
        }
    }
    return 0;
}

static int chan_cmp(const void *a, const void *b)
{
    const flrt_chan *x = a, *y = b;
    if (x->input != y->input)
        return x->input < y->input ? -1 : 1;
    return (x->src > y->src) - (x->src < y->src);
}

/* Calls f for every (stage u, edge d, sender i) connected to task r of stage s. */
typedef void (*sender_fn)(flrt_job *j, flrt_task *t, int u, int i, const fl_edge_def *d, void *arg);
static void each_sender(flrt_job *j, flrt_task *t, sender_fn f, void *arg)
{
    const fl_job_def *jd = j->def;
    for (int u = 0; u < jd->nstages; u++)
        for (int k = 0; k < jd->stages[u].nout; k++) {
            const fl_edge_def *d = &jd->stages[u].outs[k];
            if (d->to != t->pub.stage)
                continue;
            for (int i = 0; i < j->count[u]; i++)
                if (connected(j, u, i, d, t->pub.index))
                    f(j, t, u, i, d, arg);
        }
}

typedef struct chans_acc {
    flrt_chan *v;
    int n, ninputs;
} chans_acc;

static void count_sender(flrt_job *j, flrt_task *t, int u, int i, const fl_edge_def *d, void *arg)
{
    (void)j, (void)t, (void)u, (void)i;
    chans_acc *a = arg;
    a->n++;
    if (d->input + 1 > a->ninputs)
        a->ninputs = d->input + 1;
}

static void add_sender(flrt_job *j, flrt_task *t, int u, int i, const fl_edge_def *d, void *arg)
{
    (void)t;
    chans_acc *a = arg;
    flrt_chan *c = &a->v[a->n++];
    c->input = d->input;
    c->src = j->first[u] + i;
    c->from = i;
    c->proc = flrt_place(j, u, i);
    c->def = d;
    c->wm = FL_TIME_MIN;
    if (c->proc != j->rank) {
        c->pool = flrt_xcalloc(1, sizeof *c->pool);
        flrt_pool_init(c->pool, j->batch_rows, d->row_size);
    }
}

static void inbox_build(flrt_job *j, flrt_task *t)
{
    chans_acc a = {0};
    each_sender(j, t, count_sender, &a);
    a.v = flrt_xcalloc((size_t)(a.n ? a.n : 1), sizeof *a.v);
    int n = a.n;
    a.n = 0;
    each_sender(j, t, add_sender, &a);
    qsort(a.v, (size_t)n, sizeof *a.v, chan_cmp);
    flrt_inbox_init(&t->in, j, a.v, n, a.ninputs);
}

/* Rows per batch of an edge to ndest destinations: smaller batches for a
 * wide fan-out, so a task's pending batches stay within about 8 batches. */
static fl_i64 edge_rows(fl_i64 rows, int ndest)
{
    if (ndest <= 8)
        return rows;
    fl_i64 r = rows * 8 / ndest;
    fl_i64 min = rows < 64 ? rows : 64;
    return r < min ? min : r;
}

/* Edge k of task t: its ports, its pool and pending batches (made lazily). */
static void edge_init(flrt_job *j, flrt_task *t, int k)
{
    const fl_edge_def *d = &t->def->outs[k];
    flrt_edge *e = &t->edges[k];
    e->def = d;
    e->to_first = j->first[d->to];
    e->ndst = j->count[d->to];
    e->all = edge_all(j, t->pub.stage, d);
    fl_out *o = &t->pub.outs[k];
    o->ndest = (d->kind == FL_EDGE_HASH || d->kind == FL_EDGE_BROADCAST) ? e->ndst : 1;
    o->pend = flrt_xcalloc((size_t)o->ndest, sizeof *o->pend);
    flrt_pool_init(&e->pool, edge_rows(j->batch_rows, o->ndest), d->row_size);
    e->ports = flrt_xcalloc((size_t)e->ndst, sizeof *e->ports);
    for (int r = 0; r < e->ndst; r++) {
        flrt_port *p = &e->ports[r];
        p->dst = -1;
        if (!connected(j, t->pub.stage, t->pub.index, d, r))
            continue;
        p->dst = e->to_first + r;
        p->proc = flrt_place(j, d->to, r);
        p->task = j->local[p->dst];
        p->credits = j->chan_cap > 0 ? j->chan_cap : FLRT_CHAN_CAP;
        if (p->task)
            p->chan = flrt_inbox_chan(&p->task->in, d->input, t->gid);
    }
}

enum { MAX_STAGE_TASKS = 1 << 16 };

/* The tasks of every stage: one per thread of each process, one, or the
 * count a parallelism(n) gives (0, or -1 when such a count is wrong). */
static int stages_count(flrt_job *j)
{
    const fl_job_def *jd = j->def;
    int total = 0, rc = 0;
    for (int p = 0; p < j->nprocs; p++) {
        j->procs[p].first = total;
        total += j->procs[p].threads;
    }
    j->first = flrt_xcalloc((size_t)jd->nstages, sizeof(int));
    j->count = flrt_xcalloc((size_t)jd->nstages, sizeof(int));
    j->ntasks = 0;
    for (int s = 0; s < jd->nstages; s++) {
        const fl_stage_def *d = &jd->stages[s];
        fl_i64 n = !d->parallel ? 1 : d->ntasks ? d->ntasks() : total;
        if (n < 1 || n > MAX_STAGE_TASKS) {
            fl_fail(NULL, "parallelism(n) of stage %s: n must be from 1 to %d; it is %lld", d->name,
                    MAX_STAGE_TASKS, n);
            n = 1;
            rc = -1;
        }
        j->first[s] = j->ntasks;
        j->count[s] = (int)n;
        j->ntasks += j->count[s];
    }
    return rc;
}

/* The task indexes of stage s that process p holds: [*lo, *hi). A stage
 * with its own task count spreads them over the processes in proportion
 * to their threads. */
void flrt_stage_span(const flrt_job *j, int s, int p, int *lo, int *hi)
{
    const fl_stage_def *d = &j->def->stages[s];
    if (!d->parallel) {
        *lo = 0;
        *hi = p == 0;
    } else if (!d->ntasks) {
        *lo = j->procs[p].first;
        *hi = *lo + j->procs[p].threads;
    } else {
        fl_i64 n = j->count[s], total = j->procs[j->nprocs - 1].first + j->procs[j->nprocs - 1].threads;
        *lo = (int)(n * j->procs[p].first / total);
        *hi = (int)(n * (j->procs[p].first + j->procs[p].threads) / total);
    }
}

static void task_init(flrt_job *j, flrt_task *t, int s, int i)
{
    const fl_job_def *jd = j->def;
    t->job = j;
    t->def = &jd->stages[s];
    t->gid = j->first[s] + i;
    t->pub.index = i;
    t->pub.ntasks = j->count[s];
    t->pub.stage = s;
    t->frontier = FL_TIME_MIN;
    t->timer = FL_TIME_MAX;
    int lo, hi;
    flrt_stage_span(j, s, j->rank, &lo, &hi);
    t->pub.lindex = i - lo;
    t->pub.lcount = hi - lo;
    t->pub.outs = flrt_xcalloc((size_t)t->def->nout, sizeof(fl_out));
    flrt_stats_task_init(t);
    t->edges = flrt_xcalloc((size_t)t->def->nout, sizeof(flrt_edge));
    j->local[t->gid] = t;
}

typedef struct build_args {
    flrt_job *j;
    int lo, hi;
} build_args;

static void tasks_make(void *arg);

/* The local tasks of stages [lo, hi) (one phase), with their inboxes and
 * ports; under the table lock (readers of other processes look them up).
 * Out of memory, the job fails with the tasks made so far (tasks_free). */
static void tasks_build(flrt_job *j, int lo, int hi)
{
    build_args a = {j, lo, hi};
    pthread_rwlock_wrlock(&j->tables);
    int rc = flrt_oom_guard(tasks_make, &a);
    pthread_rwlock_unlock(&j->tables);
    if (rc < 0)
        flrt_oom_fail();   /* (tasks_free takes what was made) */
}

static void tasks_make(void *arg)
{
    build_args *ba = arg;
    flrt_job *j = ba->j;
    int lo = ba->lo, hi = ba->hi, nlocal = 0;
    j->nlocal = 0;
    for (int s = lo; s < hi; s++) {
        int a, b;
        flrt_stage_span(j, s, j->rank, &a, &b);
        nlocal += b - a;
    }
    j->tasks = flrt_xcalloc((size_t)(nlocal ? nlocal : 1), sizeof *j->tasks);
    j->nlocal = nlocal;
    int n = 0;
    for (int s = lo; s < hi; s++) {
        int a, b;
        flrt_stage_span(j, s, j->rank, &a, &b);
        for (int i = a; i < b; i++)
            task_init(j, &j->tasks[n++], s, i);
    }
    for (int i = 0; i < j->nlocal; i++)
        inbox_build(j, &j->tasks[i]);
    for (int i = 0; i < j->nlocal; i++)
        for (int k = 0; k < j->tasks[i].def->nout; k++)
            edge_init(j, &j->tasks[i], k);
}

/* Inboxes first (their batches go back to pools), then pools and the rest. */
static void tasks_free(flrt_job *j)
{
    pthread_rwlock_wrlock(&j->tables);
    for (int i = 0; i < j->nlocal; i++)
        flrt_inbox_fini(&j->tasks[i].in);
    for (int i = 0; i < j->nlocal; i++) {
        flrt_task *t = &j->tasks[i];
        for (int k = 0; t->edges && t->pub.outs && k < t->def->nout; k++) {
            flrt_pool_fini(&t->edges[k].pool);
            free(t->pub.outs[k].pend);
            free(t->edges[k].ports);
        }
        free(t->edges);
        free(t->pub.outs);
        fl_buf_free(&t->wire);
        fl_arena_free(&t->pub.scratch);
        flrt_stats_task_free(t);
        j->local[t->gid] = NULL;
    }
    free(j->tasks);
    j->tasks = NULL;
    j->nlocal = 0;
    pthread_rwlock_unlock(&j->tables);
}

static void tasks_start_join(flrt_job *j)
{
    if (flrt_workers_usable(j)) {
        flrt_workers_run(j);
        return;
    }
    for (int i = 0; i < j->nlocal; i++) {
        flrt_task *t = &j->tasks[i];
        int err = pthread_create(&t->thread, NULL, task_main, t);
        if (err) {
            fl_fail(NULL, "cannot start a thread for stage %s (task %d of %d): %s",
                    t->def->name, t->pub.index, t->pub.ntasks, strerror(err));
            break;
        }
        t->started = 1;
    }
    for (int i = 0; i < j->nlocal; i++)
        if (j->tasks[i].started)
            pthread_join(j->tasks[i].thread, NULL);
}

/* The stages of phase p: [*lo, *hi). A job without phases is one phase. */
static void phase_range(const flrt_job *j, int p, int *lo, int *hi)
{
    const fl_job_def *jd = j->def;
    *lo = jd->nphases ? jd->phases[p].first : 0;
    *hi = jd->nphases ? *lo + jd->phases[p].nstages : jd->nstages;
}

/* After run `seq` of phase p: its value reaches every process (process 0 computed it). */
static void phase_value(flrt_job *j, int p, int seq)
{
    const fl_phase_def *ph = &j->def->phases[p];
    if (!j->net || !ph->ser)
        return;
    if (j->rank == 0) {
        fl_buf b = {0};
        ph->ser(&b);
        flrt_net_send_values(j, seq, b.p, b.len);
        fl_buf_free(&b);
        return;
    }
    fl_buf v = {0};
    if (flrt_net_wait_values(j, seq, &v) == 0) {
        fl_rbuf r = {v.p, v.p + v.len, 0};
        if (ph->de(&r) < 0)
            fl_fail(NULL, "the value of phase %d from process 0 does not decode", p);
    }
    fl_buf_free(&v);
}

/* A run of phase p: its init (values of the phases before it; before its
 * first run only), its tasks, its value. */
static void phase_run(flrt_job *j, int p, int first)
{
    const fl_job_def *jd = j->def;
    int lo, hi, seq = j->seq++;
    if (p > 0 && first && jd->phases[p].init)
        jd->phases[p].init();
    if (atomic_load(&j->failed))
        return;
    phase_range(j, p, &lo, &hi);
    tasks_build(j, lo, hi);
    if (j->net && seq == 0)
        flrt_net_go(j);
    else if (j->net)
        flrt_net_barrier(j, seq);   /* every process has its tasks before any sends */
    if (!atomic_load(&j->failed))
        tasks_start_join(j);
    if (jd->nphases && p + 1 < jd->nphases && !atomic_load(&j->failed))
        phase_value(j, p, seq);
    tasks_free(j);
}

/* Phase p, once, or round after round while its next() says so. Every
 * process decides alike: next() sees the same state and delta in each. */
static void phase_loop(flrt_job *j, int p)
{
    const fl_phase_def *pd = j->def->nphases ? &j->def->phases[p] : NULL;
    int first = 1;
    for (;;) {
        if (pd && pd->next)
            flrt_stores_clear(j, pd->out_slot);
        phase_run(j, p, first);
        first = 0;
        if (!pd || !pd->next || atomic_load(&j->failed) || !pd->next())
            break;
        if (pd->swap)
            flrt_stores_swap(j, pd->in_slot, pd->out_slot);
    }
}

static void phases_run(void *arg)
{
    flrt_job *j = arg;
    int np = j->def->nphases ? j->def->nphases : 1;
    for (int p = 0; p < np && !atomic_load(&j->failed); p++)
        phase_loop(j, p);
}

int flrt_job_run(flrt_job *j)
{
    flrt_proc one = {.threads = j->nthreads};
    if (!j->procs) {
        j->procs = &one;
        j->nprocs = 1;
    }
    if (check_stages(j) == 0) {
        if (stages_count(j) == 0) {
            j->local = flrt_xcalloc((size_t)j->ntasks, sizeof *j->local);
            flrt_stores_init(j);
            if (flrt_oom_guard(phases_run, j) < 0) {
                flrt_oom_fail();
                tasks_free(j);   /* (a phase's tasks, joined, when memory ran out between them) */
            }
            flrt_stores_fini(j);
            atomic_store(&j->ended, 1);   /* (the last STATS frame says so) */
            if (j->net)
                flrt_net_finish(j);
            free(j->local);
            j->local = NULL;
        }
        free(j->first);
        free(j->count);
    }
    if (j->procs == &one)
        j->procs = NULL;
    return atomic_load(&j->failed) ? -1 : 0;
}
