/* stats.h - what a job counts while it runs (stats.c) and how it is shown
 * (stats_out.c): per stage, its operators' rows and state sizes (the
 * counters generated code keeps in fl_task.counts), its tasks' time busy,
 * waiting for input and blocked on output, and the bytes they sent to
 * other processes; the file sources' progress; on process 0, the latest
 * counts of every other process (STATS frames, net.c). Read by --stats at
 * the end, the progress line (progress.c) and the monitor (monitor.c).
 *
 * A snapshot is a flat array of i64 with the same layout in every process
 * (the job's stage table fixes it), so it travels as it is and adds up
 * entry by entry: a header (FLRT_H_*), then per stage its counters and
 * FLRT_ST_COUNT times and totals. Gauges (state sizes) add up over tasks
 * and processes too: each is the sum of the tasks' peaks, the largest over
 * a loop's rounds. */
#ifndef FLRT_STATS_H
#define FLRT_STATS_H

#include <stdio.h>

#include "flrt_int.h"

enum {
    FLRT_H_BYTES_DONE, FLRT_H_BYTES_TOTAL,   /* file sources: read, and in all */
    FLRT_H_LATE,                             /* elements dropped behind the watermark */
    FLRT_H_SENT, FLRT_H_RECEIVED,            /* bytes to and from other processes */
    FLRT_H_DONE,                             /* 1 once the process has ended its job */
    FLRT_H_ELAPSED_MS, FLRT_H_THREADS,
    FLRT_H_COUNT
};
/* per stage after its counters: times (ns), bytes sent, task runs ended
 * and running, and the running tasks' inboxes: batches queued, and room */
enum { FLRT_ST_BUSY_NS, FLRT_ST_IN_NS, FLRT_ST_OUT_NS, FLRT_ST_BYTES, FLRT_ST_ENDED, FLRT_ST_LIVE, FLRT_ST_QUEUED,
       FLRT_ST_QCAP, FLRT_ST_COUNT };

fl_i64 flrt_now_ns(void);                   /* CLOCK_MONOTONIC */

/* The job's accumulators (once its stage table is known; fini frees them). */
void flrt_stats_init(flrt_job *j);
void flrt_stats_fini(flrt_job *j);
/* A task's counters (built with it) and its end (folded into its stage). */
void flrt_stats_task_init(flrt_task *t);
void flrt_stats_task_end(flrt_task *t);
void flrt_stats_task_free(flrt_task *t);
/* A file source's share: bytes [lo, lo + total) read up to *cur (NULL
 * once closed: all read); or (_n) *done bytes of total read, a counter its
 * task stores atomically (files read through a buffer). done: the source
 * is closed (before its memory goes): cur or done as registered. */
void flrt_stats_source(const char *const *cur, const char *lo, fl_i64 total);
void flrt_stats_source_n(const fl_i64 *done, fl_i64 total);
void flrt_stats_source_done(const void *cur);

fl_i64 flrt_stats_len(const flrt_job *j);   /* entries of a snapshot */
fl_i64 flrt_stats_stage_at(const flrt_job *j, int s);   /* where stage s's entries start */
/* This process now (out: flrt_stats_len entries). */
void flrt_stats_snap(flrt_job *j, fl_i64 *out);
/* Process 0: the latest snapshot of process p (n entries; ignored when n
 * does not match), and the sum over every process (this one's now). */
void flrt_stats_remote(flrt_job *j, int p, const fl_i64 *snap, fl_i64 n);
void flrt_stats_total(flrt_job *j, fl_i64 *out);
/* Process 0: process p's latest (this one's now); 0 when none came yet. */
int flrt_stats_proc(flrt_job *j, int p, fl_i64 *out, fl_i64 *age_ms);

/* stats_out.c: a total as JSON (the job, its stages and operators with
 * their counts; edges: with each stage's output edges) and as the table
 * --stats prints. */
void flrt_stats_json(const flrt_job *j, const fl_i64 *snap, fl_buf *b, int edges);
void flrt_stats_print(const flrt_job *j, const fl_i64 *snap, FILE *f);
/* The JSON into path, whole (a temporary file renamed) or not at all (a message says why). */
void flrt_stats_write_json(const flrt_job *j, const fl_i64 *snap, const char *path);
void flrt_json_str(fl_buf *b, const char *s);   /* a JSON string literal */
void flrt_json_printf(fl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* rows in and out of operator k of stage s in snap (-1: none) */
fl_i64 flrt_stats_op_in(const flrt_job *j, const fl_i64 *snap, int s, int k);
fl_i64 flrt_stats_op_out(const flrt_job *j, const fl_i64 *snap, int s, int k);
/* rows the sources have read so far */
fl_i64 flrt_stats_source_rows(const flrt_job *j, const fl_i64 *snap);

#endif
