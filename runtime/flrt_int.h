/* flrt_int.h - what the runtime's files share and generated code never
 * sees: the task behind fl_task, the bounded queues and batch pools that
 * move batches between tasks, the job's global state (stop flag, sinks,
 * file mappings) and small helpers. Everything here is prefixed flrt_.
 *
 * Lock order: no runtime code path holds two runtime locks at once. Each
 * lock (a queue's, a pool's, the sinks' list, standard output, the file
 * mappings' list, the CSV meeting point) is a leaf: taken, used, released
 * before any other is taken. fl_fail takes the queue locks one at a time. */
#ifndef FLRT_INT_H
#define FLRT_INT_H

#include <pthread.h>
#include <stddef.h>

#include "flowrt.h"

/* ---- memory (arena.c) ---- */
_Noreturn void flrt_oom(fl_i64 size);      /* prints and exits 1 */
void *flrt_xmalloc(size_t n);               /* malloc or flrt_oom */
void *flrt_xrealloc(void *p, size_t n);
void *flrt_xcalloc(size_t n, size_t size);
char *flrt_strndup(const char *p, size_t n);
/* Empties a (as fl_arena_free) but keeps its current ordinary block for
 * reuse: what recycled batches do. */
void flrt_arena_reset(fl_arena *a);

/* ---- batches and their pools (chan.c) ----
 * A batch belongs to the pool of the output edge of the task that made it;
 * fl_done gives it back there (under the pool's lock), the owner takes the
 * given-back list in one go when its own spares run out. */
typedef struct flrt_pool {
    pthread_mutex_t mu;
    fl_batch *back;          /* given back by receivers; under mu */
    fl_batch *spare;         /* the owner's cache; owner only */
    struct flrt_batch *all;  /* every batch made, freed at fini; owner only */
    fl_i64 cap, size;        /* rows per batch, bytes per row */
} flrt_pool;

void flrt_pool_init(flrt_pool *p, fl_i64 cap, fl_i64 size);
void flrt_pool_fini(flrt_pool *p);          /* frees every batch it made */
fl_batch *flrt_pool_get(flrt_pool *p);      /* an empty batch (owner only) */
void flrt_batch_reset(fl_batch *b);         /* n = 0, arena emptied */
void flrt_batch_release(fl_batch *b);       /* reset and give back to its pool */

/* ---- bounded queues of batch pointers (chan.c); NULL is end-of-stream ---- */
typedef struct flrt_queue {
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    fl_batch **ring;
    int cap, head, count;
    int closed;              /* the receiver is gone: pushes are dropped */
} flrt_queue;

void flrt_queue_init(flrt_queue *q, int cap);
void flrt_queue_fini(flrt_queue *q);        /* releases what is still queued */
/* Appends b (or NULL: end-of-stream), waiting while the queue is full.
 * Returns 0, or -1 when the job stops or the receiver has closed the
 * queue: then nothing was queued and b is still the caller's. */
int flrt_queue_push(flrt_queue *q, fl_batch *b);
/* Takes the oldest item, waiting while there is none. Returns 1 with *b
 * set (NULL for end-of-stream), or 0 when the job stops. */
int flrt_queue_pop(flrt_queue *q, fl_batch **b);
void flrt_queue_close(flrt_queue *q);       /* releases queued batches */
void flrt_queue_wake(flrt_queue *q);        /* wakes every waiter (stop) */

/* ---- tasks and the job (task.c) ---- */
typedef struct flrt_task flrt_task;

typedef struct flrt_edge {
    const fl_edge_def *def;
    flrt_task *dst;          /* the destination stage's first task */
    int ndst;                /* and its number of tasks */
    int all;                 /* end-of-stream goes to every destination task */
    flrt_pool pool;
} flrt_edge;

struct flrt_task {
    fl_task pub;             /* first: generated code sees only this */
    const fl_stage_def *def;
    flrt_edge *edges;        /* one per output edge */
    flrt_queue in;
    int ninputs;             /* upstream connections: end-of-stream markers due */
    int eos_left;            /* of which still to come */
    pthread_t thread;
    int started;
};

typedef struct flrt_job {
    const fl_job_def *def;
    int nthreads;            /* tasks of a parallel stage */
    fl_i64 batch_rows;
    int ntasks;
    flrt_task *tasks;        /* stage after stage */
    int *first, *count;      /* per stage: index of its first task, task count */
} flrt_job;

/* Builds, runs and joins the tasks of job; 0, or -1 when it failed. */
int flrt_job_run(flrt_job *j);
void flrt_stop_reset(void);                 /* a fresh job: not stopping */
int flrt_failed(void);                      /* fl_fail was called */
void flrt_set_running(flrt_job *j);         /* the job fl_fail wakes (or NULL) */

/* ---- sinks (sink.c) ---- */
/* Closes the sinks left open; when ok renames each temporary file to its
 * path, otherwise removes them. Returns 0, or -1 when a rename failed. */
int flrt_sinks_finish(int ok);

/* ---- file mappings (lines.c) ---- */
typedef struct flrt_map {
    struct flrt_map *next;   /* the deferred list */
    char *addr;              /* NULL for an empty file */
    fl_i64 len;
    char path[];
} flrt_map;

/* Maps path (read-only, or private copy-on-write when writable); fails
 * the job with "cannot open PATH: reason" and returns NULL on error. */
flrt_map *flrt_map_open(fl_str path, int writable);
/* Unmaps now, or at the end of the job while one runs (rows may still
 * point into the file). */
void flrt_map_close(flrt_map *m);
void flrt_maps_set_deferred(int on);        /* on while a job runs; off unmaps */
void flrt_share(fl_i64 size, int i, int n, fl_i64 *lo, fl_i64 *hi);

/* ---- CSV shares (csv.c) ---- */
void flrt_csv_wake(void);                   /* wakes tasks meeting over a file */
void flrt_csv_reset(void);                  /* forgets meetings left by a failed job */

/* ---- text (text.c) ---- */
int flrt_fmt_i64(char *out, fl_i64 v);      /* out: 24 bytes; returns the length */
int flrt_fmt_f64(char *out, double v);      /* out: 32 bytes; returns the length */

#endif
