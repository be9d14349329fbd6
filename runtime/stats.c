/* stats.c - the job's counts while it runs: each task's counters and
 * times (fl_task.counts, flrt_task's t_* fields), folded into its stage's
 * totals when it ends; the file sources' shares, for progress; and on
 * process 0 the latest snapshot of each other process. A snapshot of this
 * process adds the ended tasks' totals and the running tasks' counters as
 * they are now (read while the tasks write them: a value may be a little
 * old, never torn). See stats.h for the layout.
 *
 * Lock order: the job's table lock (read), then the stats lock; a task's
 * end takes the stats lock alone. */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats.h"

typedef struct src_share {
    const char *const *cur;      /* read up to *cur from lo; or, when NULL, */
    const char *lo;
    const fl_i64 *done;          /* *done bytes read */
    fl_i64 total;
} src_share;

typedef struct flrt_stats flrt_stats;

struct flrt_stats {
    pthread_mutex_t mu;
    fl_i64 len;              /* entries of a snapshot */
    fl_i64 *off;             /* per stage: its first entry */
    fl_i64 *ended;           /* the ended tasks, as a snapshot (gauges: the largest run) */
    fl_i64 *run;             /* gauges of the run in progress: its ended tasks' peaks */
    int *run_seq;            /* per stage: the run `run` belongs to */
    src_share *src;          /* file sources open now */
    int nsrc, srccap;
    fl_i64 src_done, src_total;   /* of those closed */
    fl_i64 t0, t_end;        /* when it started, and when every phase had run (0: not yet) */
    fl_i64 **remote;         /* per process: its latest snapshot, or NULL */
    fl_i64 *remote_at;       /* when it came (ms since t0) */
};

fl_i64 flrt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (fl_i64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void flrt_stats_init(flrt_job *j)
{
    const fl_job_def *d = j->def;
    flrt_stats *s = flrt_xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->off = flrt_xcalloc((size_t)d->nstages + 1, sizeof *s->off);
    fl_i64 at = FLRT_H_COUNT;
    for (int k = 0; k < d->nstages; k++) {
        s->off[k] = at;
        at += d->stages[k].ncounts + FLRT_ST_COUNT;
    }
    s->off[d->nstages] = at;
    s->len = at;
    s->ended = flrt_xcalloc((size_t)at, sizeof *s->ended);
    s->run = flrt_xcalloc((size_t)at, sizeof *s->run);
    s->run_seq = flrt_xcalloc((size_t)d->nstages + 1, sizeof *s->run_seq);
    s->remote = flrt_xcalloc((size_t)(j->nprocs > 0 ? j->nprocs : 1), sizeof *s->remote);
    s->remote_at = flrt_xcalloc((size_t)(j->nprocs > 0 ? j->nprocs : 1), sizeof *s->remote_at);
    s->t0 = flrt_now_ns();
    __atomic_store_n(&j->stats, s, __ATOMIC_RELEASE);   /* (net.c's heartbeat thread reads it) */
}

void flrt_stats_fini(flrt_job *j)
{
    flrt_stats *s = j->stats;
    if (!s)
        return;
    for (int p = 0; p < (j->nprocs > 0 ? j->nprocs : 1); p++)
        free(s->remote[p]);
    free(s->remote);
    free(s->remote_at);
    free(s->off);
    free(s->ended);
    free(s->run);
    free(s->run_seq);
    free(s->src);
    pthread_mutex_destroy(&s->mu);
    free(s);
    j->stats = NULL;
}

fl_i64 flrt_stats_len(const flrt_job *j) { return j->stats->len; }
fl_i64 flrt_stats_stage_at(const flrt_job *j, int s) { return j->stats->off[s]; }

void flrt_stats_task_init(flrt_task *t)
{
    int n = t->def->ncounts;
    t->pub.counts = flrt_xcalloc((size_t)(n > 0 ? n : 1), sizeof(fl_i64));
    t->t_start = flrt_now_ns();
}

void flrt_stats_task_free(flrt_task *t)
{
    free(t->pub.counts);
    t->pub.counts = NULL;
}

/* Task t's times (and its bytes sent) now, into the stage's entries at e. */
static void task_times(const flrt_task *t, fl_i64 now, fl_i64 *e)
{
    fl_i64 all = now - t->t_start, in = t->t_in, out = t->t_out;
    if (t->pooled) {   /* the worker pool: what is not a step is waiting */
        in = all - t->t_busy;
        out = 0;
    }
    e[FLRT_ST_BUSY_NS] += all - in - out > 0 ? all - in - out : 0;
    e[FLRT_ST_IN_NS] += in;
    e[FLRT_ST_OUT_NS] += out;
    e[FLRT_ST_BYTES] += t->bytes_out;
}

/* Adds task t's counters into snap (gauges into g, summed per stage). */
static void task_counts(const flrt_task *t, fl_i64 *c, fl_i64 *g)
{
    const fl_stage_def *d = t->def;
    for (int i = 0; i < d->ncounts; i++) {
        fl_i64 v = __atomic_load_n(&t->pub.counts[i], __ATOMIC_RELAXED);
        if (i < d->first_gauge)
            c[i] += v;
        else
            g[i] += v;
    }
}

void flrt_stats_task_end(flrt_task *t)
{
    flrt_stats *s = t->job->stats;
    if (!s || t->stats_ended)
        return;
    int k = t->pub.stage;
    fl_i64 at = s->off[k], now = flrt_now_ns();
    const fl_stage_def *d = t->def;
    pthread_mutex_lock(&s->mu);
    if (s->run_seq[k] != t->job->seq) {   /* a new run of the stage (a loop's round; runs count from 1) */
        s->run_seq[k] = t->job->seq;
        memset(s->run + at, 0, (size_t)d->ncounts * sizeof(fl_i64));
    }
    task_counts(t, s->ended + at, s->run + at);
    for (int i = d->first_gauge; i < d->ncounts; i++)
        if (s->run[at + i] > s->ended[at + i])
            s->ended[at + i] = s->run[at + i];
    task_times(t, now, s->ended + at + d->ncounts);
    s->ended[at + d->ncounts + FLRT_ST_ENDED]++;
    t->stats_ended = 1;
    pthread_mutex_unlock(&s->mu);
}

/* ---- file sources ---- */

static void sources_room(void *arg)
{
    flrt_stats *s = arg;
    if (s->nsrc == s->srccap) {
        int cap = s->srccap ? 2 * s->srccap : 8;
        s->src = flrt_xrealloc(s->src, (size_t)cap * sizeof *s->src);
        s->srccap = cap;
    }
}

static void source_add(src_share sh)
{
    flrt_stats *s = flrt_job_current()->stats;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    flrt_oom_locked(&s->mu, sources_room, s);
    s->src[s->nsrc++] = sh;
    pthread_mutex_unlock(&s->mu);
}

void flrt_stats_source(const char *const *cur, const char *lo, fl_i64 total)
{
    source_add((src_share){cur, lo, NULL, total});
}

void flrt_stats_source_n(const fl_i64 *done, fl_i64 total)
{
    source_add((src_share){NULL, NULL, done, total});
}

void flrt_stats_source_done(const void *cur)
{
    flrt_stats *s = flrt_job_current()->stats;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->nsrc; i++)
        if ((const void *)s->src[i].cur == cur || (const void *)s->src[i].done == cur) {
            s->src_done += s->src[i].total;
            s->src_total += s->src[i].total;
            s->src[i] = s->src[--s->nsrc];
            break;
        }
    pthread_mutex_unlock(&s->mu);
}

static void sources_now(flrt_stats *s, fl_i64 *done, fl_i64 *total)
{
    *done = s->src_done;
    *total = s->src_total;
    for (int i = 0; i < s->nsrc; i++) {
        fl_i64 d;
        if (s->src[i].done) {
            d = __atomic_load_n(s->src[i].done, __ATOMIC_RELAXED);
        } else {
            const char *p = __atomic_load_n(s->src[i].cur, __ATOMIC_RELAXED);
            d = p ? p - s->src[i].lo : s->src[i].total;
        }
        *done += d < 0 ? 0 : d > s->src[i].total ? s->src[i].total : d;
        *total += s->src[i].total;
    }
}

/* ---- snapshots ---- */

/* The running tasks' counters and times, into out (gauges: with the run's ended ones). */
static void live_tasks(flrt_job *j, fl_i64 *out, fl_i64 now)
{
    flrt_stats *s = j->stats;
    fl_i64 *g = flrt_xcalloc((size_t)s->len, sizeof *g);
    for (int i = 0; i < j->nlocal; i++) {
        flrt_task *t = &j->tasks[i];
        if (t->stats_ended || !t->pub.counts)
            continue;
        fl_i64 at = s->off[t->pub.stage];
        task_counts(t, out + at, g + at);
        task_times(t, now, out + at + t->def->ncounts);
        fl_i64 *e = out + at + t->def->ncounts;
        e[FLRT_ST_LIVE]++;
        for (int c = 0; c < t->in.nchan; c++)
            e[FLRT_ST_QUEUED] += __atomic_load_n(&t->in.chans[c].count, __ATOMIC_RELAXED);
        e[FLRT_ST_QCAP] += (fl_i64)t->in.nchan * (j->chan_cap ? j->chan_cap : FLRT_CHAN_CAP);
    }
    for (int k = 0; k < j->def->nstages; k++) {
        const fl_stage_def *d = &j->def->stages[k];
        fl_i64 at = s->off[k];
        for (int i = d->first_gauge; i < d->ncounts; i++) {
            fl_i64 run = (s->run_seq[k] == j->seq ? s->run[at + i] : 0) + g[at + i];
            if (run > out[at + i])
                out[at + i] = run;
        }
    }
    free(g);
}

void flrt_stats_snap(flrt_job *j, fl_i64 *out)
{
    flrt_stats *s = j->stats;
    fl_i64 now = flrt_now_ns();
    pthread_rwlock_rdlock(&j->tables);
    pthread_mutex_lock(&s->mu);
    memcpy(out, s->ended, (size_t)s->len * sizeof *out);
    live_tasks(j, out, now);
    sources_now(s, &out[FLRT_H_BYTES_DONE], &out[FLRT_H_BYTES_TOTAL]);
    pthread_mutex_unlock(&s->mu);
    pthread_rwlock_unlock(&j->tables);
    out[FLRT_H_LATE] = atomic_load(&j->late);
    out[FLRT_H_SENT] = atomic_load(&j->net_sent);   /* (net.c counts them: stats.c stays below it) */
    out[FLRT_H_RECEIVED] = atomic_load(&j->net_received);
    out[FLRT_H_DONE] = atomic_load(&j->ended);
    pthread_mutex_lock(&s->mu);
    if (out[FLRT_H_DONE] && !s->t_end)
        s->t_end = now;
    out[FLRT_H_ELAPSED_MS] = ((s->t_end ? s->t_end : now) - s->t0) / 1000000;
    pthread_mutex_unlock(&s->mu);
    out[FLRT_H_THREADS] = j->nthreads;
}

void flrt_stats_remote(flrt_job *j, int p, const fl_i64 *snap, fl_i64 n)
{
    flrt_stats *s = j->stats;
    if (!s || n != s->len || p <= 0 || p >= j->nprocs)
        return;
    pthread_mutex_lock(&s->mu);
    if (!s->remote[p])
        s->remote[p] = flrt_xmalloc((size_t)n * sizeof(fl_i64));
    memcpy(s->remote[p], snap, (size_t)n * sizeof(fl_i64));
    s->remote_at[p] = (flrt_now_ns() - s->t0) / 1000000;
    pthread_mutex_unlock(&s->mu);
}

int flrt_stats_proc(flrt_job *j, int p, fl_i64 *out, fl_i64 *age_ms)
{
    flrt_stats *s = j->stats;
    *age_ms = 0;
    if (p == j->rank) {
        flrt_stats_snap(j, out);
        return 1;
    }
    pthread_mutex_lock(&s->mu);
    int have = s->remote[p] != NULL;
    if (have) {
        memcpy(out, s->remote[p], (size_t)s->len * sizeof *out);
        *age_ms = (flrt_now_ns() - s->t0) / 1000000 - s->remote_at[p];
    }
    pthread_mutex_unlock(&s->mu);
    return have;
}

void flrt_stats_total(flrt_job *j, fl_i64 *out)
{
    flrt_stats *s = j->stats;
    flrt_stats_snap(j, out);
    pthread_mutex_lock(&s->mu);
    for (int p = 0; p < j->nprocs; p++) {
        if (p == j->rank || !s->remote[p])
            continue;
        for (fl_i64 i = 0; i < s->len; i++)
            if (i != FLRT_H_ELAPSED_MS && i != FLRT_H_DONE)
                out[i] += s->remote[p][i];
        out[FLRT_H_DONE] &= s->remote[p][FLRT_H_DONE];
    }
    for (int p = 0; p < j->nprocs; p++)   /* (one that has not reported yet is not done) */
        if (p != j->rank && !s->remote[p])
            out[FLRT_H_DONE] = 0;
    pthread_mutex_unlock(&s->mu);
    if (j->nprocs > 1) {   /* bytes between processes: each counted once, as sent */
        out[FLRT_H_RECEIVED] = out[FLRT_H_SENT];
    }
}
