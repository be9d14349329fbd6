/* progress.c - a job's progress on standard error while it runs: how much
 * of its file sources has been read (bytes of the total), rows per second
 * from the sources, time elapsed and an estimate of the time left; with
 * several processes, the slowest one. On a terminal the line is redrawn in
 * place every interval (500 ms unless --progress-interval); otherwise a
 * plain line is written every interval (5 s). Nothing is drawn before the
 * first interval has passed, so a short job stays silent; once something
 * was drawn, the end draws a last line (100% when the sources were read).
 * Runs on process 0 only, on a thread of its own; it reads snapshots
 * (stats.c), so the job's tasks pay nothing for it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "stats.h"

struct flrt_progress {
    flrt_job *j;
    int tty;
    fl_i64 interval_ms;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, drawn, running;
    fl_i64 *snap, *proc;
    fl_i64 last_rows, last_ms;
    double rate;
};

static void human(char *out, size_t n, double v, const char *unit)
{
    const char *pfx[] = {"", " k", " M", " G", " T"};
    int k = 0;
    while (v >= 1000 && k < 4) {
        v /= 1000;
        k++;
    }
    snprintf(out, n, k ? "%.1f%s%s" : "%.0f%s%s", v, pfx[k], unit);
}

/* The fraction of the sources read by the slowest process (-1: no file source); its rank in *slow. */
static double slowest(flrt_progress *p, int *slow)
{
    flrt_job *j = p->j;
    double worst = -1;
    *slow = -1;
    for (int r = 0; r < (j->nprocs > 0 ? j->nprocs : 1); r++) {
        fl_i64 age;
        if (!flrt_stats_proc(j, r, p->proc, &age) || p->proc[FLRT_H_BYTES_TOTAL] <= 0)
            continue;
        double f = (double)p->proc[FLRT_H_BYTES_DONE] / (double)p->proc[FLRT_H_BYTES_TOTAL];
        if (worst < 0 || f < worst) {
            worst = f;
            *slow = r;
        }
    }
    return worst;
}

static void draw(flrt_progress *p, int last)
{
    flrt_job *j = p->j;
    flrt_stats_total(j, p->snap);
    fl_i64 ms = p->snap[FLRT_H_ELAPSED_MS], rows = flrt_stats_source_rows(j, p->snap);
    if (ms > p->last_ms) {
        double r = (double)(rows - p->last_rows) * 1000.0 / (double)(ms - p->last_ms);
        p->rate = p->last_ms ? 0.5 * p->rate + 0.5 * r : r;
    }
    p->last_rows = rows;
    p->last_ms = ms;
    int slow;
    double f = slowest(p, &slow);
    char line[256], done[32], total[32], rate[32], nrows[32];
    int n = 0;
    human(nrows, sizeof nrows, (double)rows, " rows");
    human(rate, sizeof rate, last ? (ms ? (double)rows * 1000.0 / (double)ms : 0) : p->rate, " rows/s");
    if (f >= 0) {
        human(done, sizeof done, (double)p->snap[FLRT_H_BYTES_DONE], "B");
        human(total, sizeof total, (double)p->snap[FLRT_H_BYTES_TOTAL], "B");
        n += snprintf(line + n, sizeof line - (size_t)n, "%3.0f%% %s of %s", f * 100, done, total);
        if (j->nprocs > 1)
            n += snprintf(line + n, sizeof line - (size_t)n, " (slowest: process %d)", slow);
        n += snprintf(line + n, sizeof line - (size_t)n, ", ");
    }
    n += snprintf(line + n, sizeof line - (size_t)n, "%s, %s, %.1f s", nrows, rate, (double)ms / 1e3);
    if (f > 0.01 && f < 1 && !last)
    {
        double left = (double)ms / 1e3 * (1 - f) / f;
        snprintf(line + n, sizeof line - (size_t)n, left < 10 ? ", about %.1f s left" : ", about %.0f s left", left);
    }
    if (p->tty)
        fprintf(stderr, "\rflowc job: %s\033[K%s", line, last ? "\n" : "");
    else
        fprintf(stderr, "flowc job: progress: %s\n", line);
    fflush(stderr);
    p->drawn = 1;
}

static void *progress_main(void *arg)
{
    flrt_progress *p = arg;
    flrt_job_set_current(p->j);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        fl_i64 ns = ts.tv_nsec + p->interval_ms * 1000000;
        ts.tv_sec += ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        while (!p->stop && pthread_cond_timedwait(&p->cv, &p->mu, &ts) != ETIMEDOUT)
            ;
        if (p->stop)
            break;
        draw(p, 0);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

flrt_progress *flrt_progress_start(flrt_job *j, int mode, fl_i64 interval_ms)
{
    int tty = isatty(2);
    if (mode == 0 || (mode < 0 && !tty))
        return NULL;
    flrt_progress *p = flrt_xcalloc(1, sizeof *p);
    p->j = j;
    p->tty = tty;
    p->interval_ms = interval_ms > 0 ? interval_ms : tty ? 500 : 5000;
    p->snap = flrt_xcalloc((size_t)flrt_stats_len(j), sizeof(fl_i64));
    p->proc = flrt_xcalloc((size_t)flrt_stats_len(j), sizeof(fl_i64));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    if (pthread_create(&p->th, NULL, progress_main, p) != 0) {
        flrt_progress_stop(p, 0);   /* no progress line: the job goes on without it */
        return NULL;
    }
    p->running = 1;
    return p;
}

void flrt_progress_stop(flrt_progress *p, int ok)
{
    if (!p)
        return;
    int running = p->running;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (running)
        pthread_join(p->th, NULL);
    if (p->drawn && ok)
        draw(p, 1);
    else if (p->drawn && p->tty)
        fputs("\n", stderr);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->snap);
    free(p->proc);
    free(p);
}
