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
#include <stdarg.h>
#include <stddef.h>

#include "flowrt.h"

/* ---- memory (arena.c) ---- */
/* Out of memory: inside flrt_oom_guard, a jump back there; elsewhere the
 * message and exit status 1. Code that holds a lock while it allocates
 * runs the allocation through flrt_oom_locked: a jump never leaves a
 * runtime lock held. */
_Noreturn void flrt_oom(fl_i64 size);
int flrt_oom_guard(void (*fn)(void *), void *arg);   /* 0, or -1: fn ran out of memory */
_Noreturn void flrt_oom_again(void);        /* flrt_oom with the size that failed last */
void flrt_oom_fail(void);                   /* the current job fails: out of memory */
void flrt_oom_message(char *buf, size_t n); /* that failure's message */
/* fn under a guard while this thread holds `held`: out of memory, held is
 * released before the jump goes on (fn leaves what it guards consistent). */
void flrt_oom_locked(pthread_mutex_t *held, void (*fn)(void *), void *arg);
void *flrt_xmalloc(size_t n);               /* malloc or flrt_oom */
void *flrt_xrealloc(void *p, size_t n);
void *flrt_xcalloc(size_t n, size_t size);
char *flrt_strndup(const char *p, size_t n);
/* Empties a (as fl_arena_free) but keeps its current ordinary block for
 * reuse: what recycled batches do. */

/* ---- batches and their pools (chan.c) ----
 * A batch belongs to the pool that made it (an output edge of a task, or a
 * channel that receives from another process); fl_done gives it back there
 * (under the pool's lock), the owner takes the given-back list in one go
 * when its own spares run out. */
typedef struct flrt_pool {
    pthread_mutex_t mu;
    fl_batch *back;          /* given back by receivers; under mu */
    fl_batch *spare;         /* the owner's cache; owner only */
    struct flrt_batch *all;  /* the batches it holds, freed at fini; owner only until closed */
    fl_i64 cap, size;        /* rows per batch, bytes per row */
    int closed;              /* its owner has ended: batches given back are freed; under mu */
} flrt_pool;

void flrt_pool_init(flrt_pool *p, fl_i64 cap, fl_i64 size);
void flrt_pool_fini(flrt_pool *p);          /* frees every batch it holds */
void flrt_pool_close(flrt_pool *p);         /* its owner is done: spares freed, and batches given back */
fl_batch *flrt_pool_get(flrt_pool *p);      /* an empty batch (owner only) */
/* Room for n rows (up to the pool's rows per batch, else -1); the rows move. */
int flrt_batch_grow(fl_batch *b, fl_i64 n);
void flrt_batch_reset(fl_batch *b);         /* n = 0, arena emptied */
void flrt_batch_release(fl_batch *b);       /* reset and give back to its pool */

/* ---- inboxes (chan.c) ----
 * Each task has one inbox: a FIFO of messages under one lock. A channel is
 * one upstream task on one input; each has its own bound (FLRT_CHAN_CAP
 * messages queued): a sender waits for room in its own channel only, so a
 * full channel never blocks another sender or another input, and a task
 * that reads one input at a time (a join building its side) cannot
 * deadlock the others. A channel whose sender is in another process is
 * bounded by credits instead (net.c): its pushes never wait. */
enum { FLRT_CHAN_CAP = 4 };

typedef struct flrt_chan {
    int input;               /* the input edge of the receiving stage */
    int src;                 /* the sender's global task id */
    int from;                /* the sender's index in its stage */
    int count;               /* messages queued */
    int proc;                /* the sender's process */
    int ended;               /* remote channels: its END came (net.c's reader) */
    const fl_edge_def *def;  /* the sender's edge (remote channels: de, row size) */
    flrt_pool *pool;         /* remote channels: batches for received frames */
    void *parked;            /* worker pool: the sender, waiting for room here */
    /* time.c, the receiver's own: the sender's last watermark, whether it
     * is idle (sent FL_WM_IDLE and nothing since), whether its END came */
    fl_i64 wm;
    int idle, gone;
    int held;                /* far ahead of the frontier: its messages wait (time.c; the owner's) */
} flrt_chan;

typedef struct flrt_item {   /* a queued message */
    struct flrt_item *next;
    int kind, chan;
    fl_batch *batch;
    fl_i64 value;
} flrt_item;

typedef struct flrt_job flrt_job;

typedef struct flrt_inbox {
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    flrt_item *head, *tail;
    flrt_chan *chans;        /* sorted by (input, src) */
    int nchan;
    int ninputs;
    int *left;               /* per input: channels that have not ended */
    int closed;              /* the receiver is gone: sends are dropped */
    flrt_job *job;           /* its stop flag */
    /* worker pool (workers.c): who runs when a message comes (owner, while
     * sleeping) or when a channel has room again (its parked sender) */
    void (*ready)(void *who);
    void *owner;
    int sleeping;
} flrt_inbox;

/* chans (nchan of them, sorted by (input, src)) is taken over. */
void flrt_inbox_init(flrt_inbox *q, flrt_job *j, flrt_chan *chans, int nchan, int ninputs);
void flrt_inbox_fini(flrt_inbox *q);        /* releases what is still queued */
/* The channel of (input, src), or -1. */
int flrt_inbox_chan(const flrt_inbox *q, int input, int src);
/* Queues a message on channel c: DATA with batch b, or END. With wait, it
 * waits while the channel is full. Returns 0, 1 when (without wait) the
 * channel is at its bound or over it now, or -1 when the job stops or the
 * receiver has closed the inbox (then b is still the caller's). */
int flrt_inbox_push(flrt_inbox *q, int c, int kind, fl_batch *b, int wait);
/* The same for a message with a value (WATERMARK). */
int flrt_inbox_push_value(flrt_inbox *q, int c, int kind, fl_i64 value, int wait);
/* Worker pool: the oldest message of an input in mask without waiting: 1;
 * 0 when none is queued (the inbox then sleeps: the next push calls
 * ready(owner)); -1 when every input has ended or the job stops. */
int flrt_inbox_trypop(flrt_inbox *q, unsigned mask, fl_msg *m, int *chan);
/* Worker pool: sender `who` waits for room on channel c (ready(who) when
 * a pop makes some): 1; 0 when there is room already (or the job stops). */
int flrt_inbox_park(flrt_inbox *q, int c, void *who);
/* The oldest message of an input in mask: 1 with *m and *chan set; 0 when
 * every channel of those inputs has ended, or the job stops. */
int flrt_inbox_pop(flrt_inbox *q, unsigned mask, fl_msg *m, int *chan);
/* The same, waiting at most until `deadline` (fl_now_ms time): 2 when it
 * passed with nothing to take. */
int flrt_inbox_pop_until(flrt_inbox *q, unsigned mask, fl_msg *m, int *chan, fl_i64 deadline);
int flrt_inbox_empty(flrt_inbox *q);        /* nothing queued now */
/* Releases the queued batches (dropped(arg, chan) for each, when given:
 * a remote sender's credit goes back) and drops what comes later. */
void flrt_inbox_close(flrt_inbox *q, void (*dropped)(void *arg, int chan), void *arg);
int flrt_inbox_ended(flrt_inbox *q, int input);   /* every channel of input has been taken to its END */
void flrt_inbox_wake(flrt_inbox *q);        /* wakes every waiter (stop) */

/* ---- tasks and the job (task.c) ---- */
typedef struct flrt_task flrt_task;

/* Where (output edge, destination task) of a task goes: a local inbox
 * channel, or a task of another process reached through net.c. */
typedef struct flrt_port {
    flrt_task *task;         /* the local destination, or NULL */
    int chan;                /* its channel in task->in */
    int proc;                /* the destination's process */
    int dst;                 /* the destination's global task id */
    int credits;             /* remote: batches it can take now; under the job's credit_mu */
} flrt_port;

typedef struct flrt_edge {
    const fl_edge_def *def;
    int to_first;            /* the destination stage's first global task id */
    int ndst;                /* and its number of tasks */
    int all;                 /* END goes to every destination task */
    flrt_port *ports;        /* per destination task (only those connected are set) */
    flrt_pool pool;
} flrt_edge;

struct flrt_task {
    fl_task pub;             /* first: generated code sees only this */
    /* worker pool (workers.c) */
    void *sm;                /* the state machine's state, once opened */
    int sched;               /* FLRT_T_*, under the pool's lock */
    int again;               /* woken while running: runs again */
    flrt_inbox *full_q;      /* a channel its last step filled (it waits for room) */
    int full_c;
    flrt_job *job;
    const fl_stage_def *def;
    int gid;                 /* global task id */
    flrt_edge *edges;        /* one per output edge */
    flrt_inbox in;
    fl_buf wire;             /* frames being serialized for remote ports */
    pthread_t thread;
    int started;
    int finished;            /* flrt_task_finish ran */
    /* time.c: the frontier its signal saw last, its timer, a frontier
     * advanced by an END that signal has not seen yet, whether its own
     * outputs were told it is idle */
    fl_i64 frontier, timer;
    fl_i64 hold_off;         /* no channel is held before this time (fl_now_ms) */
    int wm_due, idle_out;
    /* tier.c: calls made to the stage, and whether it is past the switch */
    fl_i64 calls;
    int tiered;
    /* stats.c: when it was built, time waiting for input and blocked on
     * output (worker pool: time in steps), bytes it sent to other
     * processes (ns; the task's own), and whether its stage has its counts */
    fl_i64 t_start, t_in, t_out, t_busy, bytes_out;
    fl_i64 step_t0;          /* workers.c: when its step began */
    int pooled;              /* run by the worker pool: t_busy is its time in steps */
    int stats_ended;
};

/* Before each call of a task's stage: moves it to the tiered JIT's native
 * functions when they are there (tier.c). */
void flrt_tier_step(flrt_task *t);
static inline void flrt_tier_check(flrt_task *t)
{
    if (!t->tiered)
        flrt_tier_step(t);
}

/* The processes of a job and where they listen (net.c fills it). */
typedef struct flrt_proc {
    char host[64];           /* address as the others reach it */
    int port;                /* its listening port */
    int threads;             /* tasks of a parallel stage in it */
    int first;               /* its first index in a parallel stage */
} flrt_proc;

typedef struct flrt_net flrt_net;

struct flrt_job {
    const fl_job_def *def;
    int nthreads;            /* tasks of a parallel stage in this process */
    fl_i64 batch_rows;
    int chan_cap;            /* batches a channel holds (0: FLRT_CHAN_CAP) */
    int rank, nprocs;        /* this process, and how many run the job */
    flrt_proc *procs;        /* nprocs of them */
    int ntasks;              /* global tasks, all processes */
    int *first, *count;      /* per stage: its first global task id, task count */
    flrt_task **local;       /* per global task id: the local task, or NULL */
    pthread_rwlock_t tables; /* held to change tasks and local; net.c's readers read under it */
    flrt_task *tasks;        /* the local tasks */
    int nlocal;
    flrt_net *net;           /* NULL with one process */
    pthread_mutex_t credit_mu;   /* remote ports' credits */
    pthread_cond_t credit_cv;
    _Atomic int stop, failed;
    /* what the job's sinks, file mappings and CSV readers share */
    pthread_mutex_t sinks_mu;
    struct fl_sink *sinks;       /* sink.c: open sinks, newest first; under sinks_mu */
    pthread_mutex_t maps_mu;
    struct flrt_map *maps;       /* lines.c: mappings closed while it runs; under maps_mu */
    _Atomic int maps_deferred;
    pthread_mutex_t meet_mu;
    pthread_cond_t meet_cv;
    struct flrt_meet *meets;     /* csv.c: tasks meeting over a file; under meet_mu */
    int seq;                     /* phase runs so far (a loop's phase runs once per round) */
    int workers;                 /* --workers: tasks run by a pool of this many threads (0: a thread each) */
    struct flrt_sched *sched;    /* workers.c, while the worker pool runs */
    fl_store **stores;           /* store.c: per (slot, task index), made when first used */
    int nstore_idx;              /* task indexes per slot */
    /* time.c: --test-clock, --linger, --idle-timeout; elements dropped late */
    int test_clock;
    fl_i64 linger_ms, idle_ms;
    _Atomic fl_i64 late;
    struct flrt_stats *stats;    /* stats.c: the counts of ended tasks, sources, other processes */
    _Atomic int ended;           /* every phase has run (the stats are final) */
    _Atomic fl_i64 net_sent, net_received;   /* net.c: bytes in frames to and from the others */
    struct fl_lib *lib;          /* lib.c: the host program's job (the C API), or NULL */
    char failmsg[1024];          /* with lib: the first failure's message (not printed) */
};

/* ---- time (time.c) ---- */
/* A message task t took from channel c: its channel's watermark and
 * idleness noted; 1 when the stage sees it (a WATERMARK with the new
 * frontier, or any other kind), 0 when it is swallowed. */
int flrt_time_take(flrt_task *t, fl_msg *m, int c);
/* Which channels task t reads now: all but those far ahead of its frontier
 * (chan.held); returns how many are held (none while t->hold_off is ahead). */
enum { FLRT_ALIGN_MS = 1000, FLRT_HOLD_MS = 100 };
int flrt_time_hold(flrt_task *t);
/* The stage's calls for message m, then the frontier an END advanced. */
void flrt_time_deliver(flrt_task *t, void *state, fl_msg *m);
/* At the end of a job: the late elements, when there were some. */
void flrt_time_report(flrt_job *j);
/* signals.c: a first SIGINT/SIGTERM drains an unbounded job */
void flrt_signals_drain_mode(int on);
int flrt_signals_draining(void);

/* ---- the worker pool (workers.c) ----
 * With --workers N (one process, every stage a state machine) the tasks of
 * a phase are run by N threads, cooperatively, one call (a batch's worth)
 * at a time: a task is queued when it can make progress (a source; a
 * message in its inbox; room again on the channel it filled) and sleeps
 * otherwise. Pushes never wait; a task that filled a channel sleeps until
 * that channel drains, so queues stay bounded by one call's output. */
enum { FLRT_T_IDLE, FLRT_T_QUEUED, FLRT_T_RUNNING, FLRT_T_DONE };
/* Whether the local tasks of this phase can run on the pool. */
int flrt_workers_usable(const flrt_job *j);
/* Runs the local tasks on j->workers threads until each has ended. */
void flrt_workers_run(flrt_job *j);
/* The job stops: every sleeping task runs once more (to end). */
void flrt_workers_stop(flrt_job *j);
/* task.c's end of a task: pending rows and END out, the inbox closed. */
void flrt_task_finish(flrt_task *t);
/* The pending batches of output edge k out (to every destination task). */
void flrt_edge_flush(flrt_task *t, int k);
/* Edge k's pending batches, then a message (END, or WATERMARK with value) to
 * every destination task it reaches: a local inbox or another process. */
void flrt_edge_signal(flrt_task *t, int k, int kind, fl_i64 value);

/* ---- a job as a library (lib.c; the C API of flowc build --lib) ---- */
/* Runs job in this thread as fl_main would, but with no signal handler,
 * no change to malloc, no option parsing (threads given), and failures kept
 * in j->failmsg rather than printed (job.c); 1 when it succeeded. */
int flrt_run_lib(const fl_job_def *job, int threads, struct fl_lib *lib, char *msg, size_t len);

/* ---- Arrow record batches to a host (arrow.c) ----
 * A writer of the same columns as write_arrow's whose every batch-size rows
 * (and the rest at close) go to give as a C Data Interface struct array and
 * its schema; give releases or moves them (else they are released after). */
struct ArrowArray;
struct ArrowSchema;
typedef void (*flrt_arrow_give)(void *arg, struct ArrowArray *batch, struct ArrowSchema *schema);
fl_arrow_w *flrt_arrow_export(fl_task *t, const fl_arrow_field *fields, int nfields, flrt_arrow_give give, void *arg);

/* ---- stores (store.c) ---- */
void flrt_stores_init(flrt_job *j);         /* the table, for def->nslots slots */
void flrt_stores_clear(flrt_job *j, int slot);   /* empties slot's stores of every task */
void flrt_stores_swap(flrt_job *j, int a, int b);
void flrt_stores_fini(flrt_job *j);

/* The locks of a job (zeroed by the caller); fini destroys them. */
void flrt_job_init(flrt_job *j);
void flrt_job_fini(flrt_job *j);

/* The job of the calling thread (a task's, or the one fl_main runs). */
flrt_job *flrt_job_current(void);
void flrt_job_set_current(flrt_job *j);
/* Builds the tasks of this process, runs and joins them; 0, or -1. */
int flrt_job_run(flrt_job *j);
int flrt_failed(void);                      /* fl_fail was called in this job */
/* Stops the job as fl_fail does, printing msg unless NULL; remote: the
 * failure came from another process (not told to the others again). */
void flrt_job_fail(flrt_job *j, const char *msg, int remote);
/* fl_fail's message ("flowc job: ...", and which process of several) for job j. */
void flrt_job_vfail(flrt_job *j, const char *fmt, va_list ap);
/* Prints "flowc job: MESSAGE" on standard error (not a failure). */
void flrt_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The task indexes of stage s that process p holds: [*lo, *hi). */
void flrt_stage_span(const flrt_job *j, int s, int p, int *lo, int *hi);
/* Placement: the process of task `index` of a stage of `count` tasks. */
int flrt_place(const flrt_job *j, int stage, int index);
int flrt_stage_of(const flrt_job *j, int gid);
/* net.c's view of a task's ports: a remote batch was consumed (credit). */
void flrt_port_credit(flrt_job *j, int src, int dst, int input, int n);

/* ---- frames (wire.c): what travels between processes ----
 * Every frame starts with a 24-byte header (little-endian): u32 length of
 * what follows the length field, u16 kind, u16 input, u32 source task,
 * u32 destination task, u32 rows (DATA) or count (CREDIT), u32 reserved. */
enum {
    FLRT_F_DATA = 1, FLRT_F_END, FLRT_F_CREDIT, FLRT_F_HEARTBEAT, FLRT_F_BYE, FLRT_F_FAIL,
    FLRT_F_PHASE,            /* n: a phase whose tasks the sender has built */
    FLRT_F_VALUES,           /* n: a phase; the payload: its value (from process 0) */
    FLRT_F_WATERMARK,        /* the payload: the watermark, an i64 */
    FLRT_F_STATS,            /* to process 0: the sender's counts (stats.h), n i64 */
    FLRT_F_MAX = FLRT_F_STATS
};
enum { FLRT_FRAME_HDR = 24, FLRT_FRAME_MAX = 1 << 30 };

typedef struct flrt_frame {
    int kind, input;
    fl_u64 src, dst;
    fl_u64 n;
    fl_i64 len;              /* payload bytes after the header */
} flrt_frame;

void flrt_frame_encode(unsigned char *hdr, const flrt_frame *f);
/* Decodes and checks a header: 0, or -1 with a reason in err. */
int flrt_frame_decode(const unsigned char *hdr, flrt_frame *f, const char **err);

/* The handshake each side of a connection sends: first a greeting (magic,
 * protocol version, a fresh nonce), then, once the other's greeting is
 * read, who it is, proven with a MAC over the other's nonce and its own
 * fields keyed by the job's shared secret. */
enum { FLRT_GREET = 32, FLRT_HELLO = 96, FLRT_PROTO = 1 };
typedef struct flrt_hello {
    fl_u64 fingerprint;      /* of the generated code and flowc's version */
    fl_u64 args;             /* of the job's own arguments (params, --batch...) */
    int rank, nprocs, threads, port;
    fl_i64 batch;
    char version[24];        /* flowc's version, for messages */
} flrt_hello;

void flrt_greet_encode(unsigned char *out, const unsigned char nonce[16]);
int flrt_greet_decode(const unsigned char *in, unsigned char nonce[16], const char **err);
void flrt_hello_encode(unsigned char *out, const flrt_hello *h, const char *secret,
                       const unsigned char peer_nonce[16]);
/* 0; -1 bad format; -2 bad MAC (wrong secret). */
int flrt_hello_decode(const unsigned char *in, flrt_hello *h, const char *secret,
                      const unsigned char own_nonce[16], const char **err);
fl_u64 flrt_fingerprint_parse(const char *hex);

/* ---- sinks (sink.c) ---- */
/* Closes the sinks left open; when ok renames each temporary file to its
 * path, otherwise removes them. Returns 0, or -1 when a rename failed. */
int flrt_sinks_finish(int ok);
/* An unbounded job's task has nothing to do for now: the sinks it owns
 * write out what they hold (and a part old enough is committed). */
void flrt_sinks_idle(flrt_task *t);

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
void flrt_map_free(flrt_map *m);            /* unmaps now: nothing points into it */
void flrt_maps_set_deferred(int on);        /* on while a job runs; off unmaps */
void flrt_share(fl_i64 size, int i, int n, fl_i64 *lo, fl_i64 *hi);

/* ---- CSV shares (csv.c) ---- */
void flrt_csv_wake(void);                   /* wakes tasks meeting over a file */
void flrt_csv_reset(void);                  /* forgets meetings left by a failed job */

/* ---- text (text.c) ---- */
int flrt_fmt_i64(char *out, fl_i64 v);      /* out: 24 bytes; returns the length */
int flrt_fmt_f64(char *out, double v);      /* out: 32 bytes; returns the length */
int flrt_utf8_ok(const unsigned char *p, fl_i64 n);   /* UTF-8 (no overlong forms, no surrogates) */
/* The next line of buf[*at, len), without its "\n" or "\r\n" (at_end: also
 * the rest without one): 1 with *at past it, or 0 when none is whole yet. */
int flrt_line_next(const char *buf, fl_i64 len, fl_i64 *at, int at_end, fl_str *line);

/* ---- signals.c ---- */
/* Installs the handlers: SIGINT and SIGTERM call the fatal hook, remove the
 * temporary files listed below and end the process by the same signal (a
 * signal ignored when the job starts stays ignored); SIGBUS in a listed
 * mapping prints "flowc job: FILE changed size while it was being read",
 * calls the hook with SIGTERM, removes the temporaries and exits 1. */
void flrt_signals_install(void);
/* The one hook called first by those handlers (NULL: none). It runs in a
 * signal handler: async-signal-safe calls only. */
void flrt_signals_on_fatal(void (*hook)(int sig));
/* Lists a temporary file for the handlers (a path ending in '/': a folder,
 * removed with the files in it): its slot, or -1 when the table is full or
 * the path too long (then it is not listed). */
int flrt_signals_add_temp(const char *path);
void flrt_signals_drop_temp(int slot);      /* -1: nothing */
/* Lists a mapping (path must stay valid while it is mapped); drop it
 * before unmapping. */
void flrt_signals_add_map(const void *addr, fl_i64 len, const char *path);
void flrt_signals_drop_map(const void *addr);

#endif
