/* workers.c - the worker pool: the tasks of a phase run by a fixed number of
 * threads (--workers N) instead of a thread each. A worker takes a queued
 * task and makes one step of its state machine: a source produces once; a
 * receiver takes one message (a batch, or END) from its inbox. Then the
 * task is queued again (it can go on), sleeps (its inbox is empty: the next
 * push wakes it; or it filled a channel: the pop that makes room there
 * wakes it), or ends (close, pending rows and END out). Pushes never wait,
 * so a worker never blocks on another task; a channel holds at most its
 * bound plus what one step of its sender makes.
 *
 * One process only: a send to another process waits for credits, which
 * could hold every worker; with --procs or --hosts each task keeps its
 * thread. Lock order: an inbox's lock, then the pool's (ready() is called
 * under the inbox's lock); workers never hold the pool's lock while they
 * touch an inbox. */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "flrt_int.h"
#include "stats.h"

typedef struct flrt_sched {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    flrt_task **queue;       /* a ring of queued tasks (each at most once) */
    int head, len, cap;
    int active;              /* tasks not ended */
} flrt_sched;

int flrt_workers_usable(const flrt_job *j)
{
    if (j->workers <= 0 || j->net || j->def->timers || j->def->unbounded)
        return 0;   /* (a task waiting for its timer or its input would hold a worker) */
    for (int i = 0; i < j->nlocal; i++)
        if (j->tasks[i].def->run)
            return 0;
    return 1;
}

static void enqueue(flrt_sched *s, flrt_task *t)
{
    t->sched = FLRT_T_QUEUED;
    s->queue[(s->head + s->len++) % s->cap] = t;
    pthread_cond_signal(&s->cv);
}

/* An inbox's wakeup (under its lock): the task runs when a worker is free. */
static void ready(void *who)
{
    flrt_task *t = who;
    flrt_sched *s = t->job->sched;
    pthread_mutex_lock(&s->mu);
    if (t->sched == FLRT_T_IDLE)
        enqueue(s, t);
    else if (t->sched == FLRT_T_RUNNING)
        t->again = 1;
    pthread_mutex_unlock(&s->mu);
}

void flrt_workers_stop(flrt_job *j)
{
    flrt_sched *s = j->sched;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < j->nlocal; i++)
        if (j->tasks[i].sched == FLRT_T_IDLE)
            enqueue(s, &j->tasks[i]);
        else if (j->tasks[i].sched == FLRT_T_RUNNING)
            j->tasks[i].again = 1;
    pthread_mutex_unlock(&s->mu);
}

/* (its last step's time counts as busy before its counts are folded) */
static void end(flrt_task *t)
{
    t->def->close(&t->pub, t->sm);
    t->t_busy += flrt_now_ns() - t->step_t0;
    flrt_task_finish(t);
}

/* After a step: 1 to run again, 0 when it waits for room on the channel it filled. */
static int after_step(flrt_task *t)
{
    flrt_inbox *q = t->full_q;
    t->full_q = NULL;
    return !(q && flrt_inbox_park(q, t->full_c, t));
}

/* One step of task t: 1 it can go on, 0 it sleeps, -1 it has ended. */
static int step(flrt_task *t)
{
    fl_task *pt = &t->pub;
    if (!t->sm) {
        flrt_tier_check(t);
        t->sm = t->def->open(pt);
    }
    if (t->def->produce) {
        flrt_tier_check(t);
        if (fl_stopping() || !t->def->produce(pt, t->sm)) {
            end(t);
            return -1;
        }
        return after_step(t);
    }
    fl_msg m;
    flrt_time_hold(t);
    int c, r = flrt_inbox_trypop(&t->in, ~0u, &m, &c);
    if (r < 0) {
        end(t);
        return -1;
    }
    if (r == 0)
        return 0;
    if (flrt_time_take(t, &m, c)) {
        flrt_tier_check(t);
        flrt_time_deliver(t, t->sm, &m);
    }
    return after_step(t);
}

typedef struct step_call {
    flrt_task *t;
    int r;
} step_call;

static void step_body(void *arg)
{
    step_call *c = arg;
    c->r = step(c->t);
}

/* A step; out of memory, the task ends where it was (its state not
 * closed) and the job fails. */
static int guarded_step(flrt_task *t)
{
    step_call c = {t, -1};
    if (flrt_oom_guard(step_body, &c) < 0) {
        flrt_oom_fail();
        flrt_task_finish(t);
        return -1;
    }
    return c.r;
}

/* Takes queued tasks one step at a time; a task that can go on while no
 * other waits keeps its worker (no hand-over to another thread). */
static void *worker(void *arg)
{
    flrt_job *j = arg;
    flrt_sched *s = j->sched;
    flrt_job_set_current(j);
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->len && s->active > 0)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->active == 0)
            break;
        flrt_task *t = s->queue[s->head];
        s->head = (s->head + 1) % s->cap;
        s->len--;
        t->sched = FLRT_T_RUNNING;
        int r;
        do {
            t->again = 0;
            pthread_mutex_unlock(&s->mu);
            t->step_t0 = flrt_now_ns();
            r = guarded_step(t);
            if (r >= 0)
                t->t_busy += flrt_now_ns() - t->step_t0;
            pthread_mutex_lock(&s->mu);
        } while ((r > 0 || t->again) && r >= 0 && !s->len);
        if (r < 0) {
            t->sched = FLRT_T_DONE;
            if (--s->active == 0)
                pthread_cond_broadcast(&s->cv);
        } else if (r > 0 || t->again) {
            enqueue(s, t);
        } else {
            t->sched = FLRT_T_IDLE;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

void flrt_workers_run(flrt_job *j)
{
    flrt_sched s = {.cap = j->nlocal ? j->nlocal : 1, .active = j->nlocal};
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    s.queue = flrt_xcalloc((size_t)s.cap, sizeof *s.queue);
    for (int i = 0; i < j->nlocal; i++) {
        flrt_task *t = &j->tasks[i];
        t->in.ready = ready;
        t->in.owner = t;
        t->pooled = 1;
        s.queue[s.len++] = t;
        t->sched = FLRT_T_QUEUED;
    }
    int n = j->workers < j->nlocal ? j->workers : j->nlocal;
    pthread_t *th = flrt_xcalloc((size_t)(n ? n : 1), sizeof *th);
    pthread_rwlock_wrlock(&j->tables);   /* (stop_all reads the tasks under it, and the pool) */
    j->sched = &s;
    pthread_rwlock_unlock(&j->tables);
    int started = 0;
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, worker, j) == 0)
            started++;
    if (started == 0 && n > 0) {
        fl_fail(NULL, "cannot start the worker threads");
        worker(j);   /* (every task ends: the job stops) */
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_rwlock_wrlock(&j->tables);
    j->sched = NULL;
    pthread_rwlock_unlock(&j->tables);
    free(th);
    free(s.queue);
    pthread_mutex_destroy(&s.mu);
    pthread_cond_destroy(&s.cv);
}
