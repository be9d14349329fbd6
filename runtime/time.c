/* time.c - event time and processing time in the runtime: watermarks sent
 * on an output edge (after the rows they cover), the frontier of a task
 * (the minimum of its channels' watermarks: an ended channel no longer
 * holds it back, nor does an idle one), the processing-time timer of a
 * task, the test clock, and the count of elements dropped behind the
 * watermark.
 *
 * A watermark is a message in the channel, in order with the batches, so a
 * receiver that has it has every row before it. A task's signal sees a
 * WATERMARK only when its frontier moves, with the frontier as the value.
 * Idleness: a source that has read nothing for --idle-timeout ms sends
 * FL_WM_IDLE; its receivers leave that channel out of the minimum until
 * something else comes from it (Flink's idle sources). A task all of
 * whose open channels are idle keeps its frontier and tells its own
 * receivers it is idle in turn. */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "flrt_int.h"

fl_i64 fl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (fl_i64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fl_test_clock(void) { return flrt_job_current()->test_clock; }
fl_i64 fl_linger_ms(void) { return flrt_job_current()->linger_ms; }
fl_i64 fl_idle_ms(void) { return flrt_job_current()->idle_ms; }
int fl_draining(void) { return flrt_signals_draining(); }

void fl_late(fl_task *t, fl_i64 n) { atomic_fetch_add(&((flrt_task *)t)->job->late, n); }

void fl_timer_at(fl_task *t, fl_i64 ms) { ((flrt_task *)t)->timer = ms; }

void fl_flush_all(fl_task *pt)
{
    for (int k = 0; k < ((flrt_task *)pt)->def->nout; k++)
        flrt_edge_flush((flrt_task *)pt, k);
}

/* The edge's pending batches go out first (flrt_edge_signal), so a
 * watermark follows the rows it covers. */
void fl_watermark(fl_task *pt, int out, fl_i64 wm)
{
    flrt_task *t = (flrt_task *)pt;
    if (out < 0 || out >= t->def->nout || atomic_load(&t->job->stop))
        return;
    t->idle_out = wm == FL_WM_IDLE;
    flrt_edge_signal(t, out, FL_MSG_WATERMARK, wm);
}

/* The minimum watermark of the channels that are open and not idle;
 * FL_WM_IDLE when every open channel is idle, FL_TIME_MAX when all ended. */
static fl_i64 frontier(const flrt_inbox *q)
{
    fl_i64 f = FL_TIME_MAX;
    int open = 0, active = 0;
    for (int c = 0; c < q->nchan; c++) {
        const flrt_chan *ch = &q->chans[c];
        if (ch->gone)
            continue;
        open++;
        if (ch->idle)
            continue;
        active++;
        if (ch->wm < f)
            f = ch->wm;
    }
    return open && !active ? FL_WM_IDLE : f;
}

/* The frontier after a change: 1 (and m a WATERMARK) when it moved on. */
static int advanced(flrt_task *t, fl_msg *m)
{
    fl_i64 f = frontier(&t->in);
    if (f == FL_WM_IDLE) {          /* every input idle: so are this task's outputs */
        if (!t->idle_out) {
            for (int k = 0; k < t->def->nout; k++)
                fl_watermark(&t->pub, k, FL_WM_IDLE);
        }
        return 0;
    }
    if (f <= t->frontier || f == FL_TIME_MAX)   /* (the end of every input is END's business) */
        return 0;
    t->frontier = f;
    m->kind = FL_MSG_WATERMARK;
    m->value = f;
    m->batch = NULL;
    return 1;
}

/* Which channels a task reads now: one whose watermark is more than
 * FLRT_ALIGN_MS ahead of the task's frontier is held (its queued messages
 * wait, so its sender waits when the channel is full: backpressure), so
 * that a source, a share of a file or an input racing ahead of the one
 * that holds the frontier back does not fill the task's windows with what
 * only a later watermark releases (persons ahead of auctions; the second
 * half of a file ahead of the first). The channels that hold the frontier
 * are never held; and when a task has had nothing but held channels to read
 * for FLRT_HOLD_MS, it reads them too for that long (a hold is a bound on
 * memory, not a rule: tasks holding each other's senders cannot wait on
 * each other for ever). */
int flrt_time_hold(flrt_task *t)
{
    flrt_inbox *q = &t->in;
    fl_i64 f = t->frontier;
    if (f == FL_TIME_MIN || q->nchan < 2)
        return 0;   /* (no frontier yet, or nothing to hold against: nothing is held, nothing to scan) */
    int off = t->hold_off && fl_now_ms() < t->hold_off, n = 0;
    for (int c = 0; c < q->nchan; c++) {
        flrt_chan *ch = &q->chans[c];
        ch->held = !off && !ch->gone && !ch->idle && ch->wm > f && ch->wm - f > FLRT_ALIGN_MS;
        n += ch->held;
    }
    return n;
}

int flrt_time_take(flrt_task *t, fl_msg *m, int c)
{
    flrt_chan *ch = &t->in.chans[c];
    switch (m->kind) {
    case FL_MSG_WATERMARK:
        if (m->value == FL_WM_IDLE) {
            ch->idle = 1;
        } else {
            ch->idle = 0;
            if (m->value > ch->wm)
                ch->wm = m->value;
        }
        return advanced(t, m);
    case FL_MSG_END:
        ch->gone = 1;
        t->wm_due = 1;
        return 1;
    case FL_MSG_DATA:
        ch->idle = 0;
        return 1;
    default:
        return 1;
    }
}

void flrt_time_deliver(flrt_task *t, void *state, fl_msg *m)
{
    const fl_stage_def *d = t->def;
    fl_task *pt = &t->pub;
    if (m->kind == FL_MSG_DATA && m->input < d->first_gauge && pt->counts)
        pt->counts[m->input] += m->batch->n;   /* (the stage's first counters: rows per input) */
    if (m->kind != FL_MSG_DATA)
        d->signal(pt, state, m);
    else if (!d->batch(pt, state, m->batch))
        fl_done(pt, m->batch);
    if (t->wm_due) {
        t->wm_due = 0;
        fl_msg w = {.input = m->input, .from = m->from};
        if (advanced(t, &w))
            d->signal(pt, state, &w);
    }
}

void flrt_time_report(flrt_job *j)
{
    fl_i64 n = atomic_load(&j->late);
    if (n <= 0)
        return;
    if (j->nprocs > 1)
        flrt_say("%lld late element%s dropped (behind the watermark) in process %d", n, n == 1 ? "" : "s", j->rank);
    else
        flrt_say("%lld late element%s dropped (behind the watermark)", n, n == 1 ? "" : "s");
}
