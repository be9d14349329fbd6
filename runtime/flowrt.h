/* flowrt.h - the runtime interface that generated code sees. Plain C99,
 * self-contained (no system header), so that tcc compiles it quickly in the
 * JIT; the implementation (runtime/ *.c, built by gcc into libflowrt.a) owns
 * threads, atomics, files and sockets. Generated code calls only what is
 * declared here; the structs below are public where generated code needs a
 * field on a hot path (bump allocation, appending a row to a batch).
 *
 * Model: a job is a table of stages (fl_job_def); each stage runs as one
 * task per thread slot (parallel stages, --threads N) or as one task. A
 * stage is a state machine (fl_stage_def: open, produce or batch/signal,
 * close) that the runtime drives over its input batches (or its share of
 * a source); it appends output rows to pending batches, one per destination
 * task of each output edge; full batches move to the destination's bounded
 * queue (backpressure), and end-of-stream is counted per upstream task. */
#ifndef FLOWRT_H
#define FLOWRT_H

typedef long long fl_i64;
typedef unsigned long long fl_u64;
typedef unsigned char fl_bool;
typedef __SIZE_TYPE__ fl_size;

/* libc functions generated code may call (declared here, not included). */
void *memcpy(void *dst, const void *src, fl_size n);
void *memmove(void *dst, const void *src, fl_size n);
int memcmp(const void *a, const void *b, fl_size n);
void *memset(void *p, int c, fl_size n);
void *memchr(const void *p, int c, fl_size n);
void free(void *p);
double sqrt(double), floor(double), ceil(double), round(double), pow(double, double),
    exp(double), log(double), fabs(double);

/* ---- strings: a slice; not NUL-terminated ---- */
typedef struct fl_str {
    const char *ptr;
    fl_i64 len;
} fl_str;

/* ---- arenas: bump allocation, freed all at once ---- */
typedef struct fl_arena_block fl_arena_block;
typedef struct fl_arena {
    char *cur, *end;
    fl_arena_block *blocks;
    fl_i64 first;        /* size of its first block (0: 4 KiB) */
    fl_i64 bytes;        /* what its blocks hold in all */
} fl_arena;

void *fl_arena_grow(fl_arena *a, fl_i64 size);   /* slow path of fl_alloc */
void fl_arena_free(fl_arena *a);                  /* frees every block; a is empty after */
/* Empties an arena but keeps its current block for what comes next (a
 * stage's scratch memory between calls: no free and malloc per batch). */
void fl_arena_reset(fl_arena *a);
/* Zeroed memory for n elements of size bytes, or the job ends with "out of memory". */
void *fl_calloc(fl_i64 n, fl_i64 size);
/* Zeroed memory for a hash table of `bytes`: large ones are mapped with huge
 * pages where possible and populated up front (no page faults while probing). */
void *fl_table_alloc(fl_i64 bytes);
void fl_table_free(void *p, fl_i64 bytes);

static inline void *fl_alloc(fl_arena *a, fl_i64 size)
{
    size = (size + 7) & ~(fl_i64)7;
    if (a->end - a->cur < size)
        return fl_arena_grow(a, size);
    void *p = a->cur;
    a->cur += size;
    return p;
}

static inline fl_str fl_str_copy(fl_arena *a, fl_str s)
{
    fl_str r;
    char *p = (char *)fl_alloc(a, s.len ? s.len : 1);
    if (s.len)   /* an empty string may have a null ptr: no memcpy(.., 0, 0) */
        memcpy(p, s.ptr, (fl_size)s.len);
    r.ptr = p;
    r.len = s.len;
    return r;
}

/* ---- batches of rows (an array of one generated struct type) ---- */
enum { FL_BATCH_ROWS = 1024 };

typedef struct fl_batch {
    char *rows;          /* cap rows of size bytes each */
    fl_i64 n, cap, size;
    fl_arena arena;      /* what the rows point to (strings, vectors) */
    int from;            /* index of the sending task in the upstream stage */
    int input;           /* which input edge of the receiving stage */
    struct fl_batch *next;
} fl_batch;

/* ---- messages: what a channel carries ----
 * DATA is a batch of rows; END says that one upstream task of one input has
 * finished (nothing more comes from it); WATERMARK(t) that no element with
 * a time before t follows from that task (FL_WM_IDLE: the task is idle, see
 * time.c). A stage's signal sees WATERMARK only when its frontier (the
 * minimum over its inputs) advances, with the new frontier; TIMER when the
 * processing-time timer it set (fl_timer_at) is due, with the time. ROUND
 * and BARRIER are reserved for iterations and checkpoints. */
enum { FL_MSG_DATA = 1, FL_MSG_END, FL_MSG_WATERMARK, FL_MSG_ROUND, FL_MSG_BARRIER, FL_MSG_TIMER };
#define FL_TIME_MIN (-9223372036854775807LL - 1)
#define FL_TIME_MAX 9223372036854775807LL
#define FL_WM_IDLE (FL_TIME_MIN + 1)

typedef struct fl_msg {
    int kind;            /* FL_MSG_* */
    int input;           /* the input edge of the receiving stage */
    int from;            /* the sending task's index in its stage */
    fl_batch *batch;     /* DATA: the rows; give it back with fl_done */
    fl_i64 value;        /* WATERMARK: the time; ROUND: the round */
} fl_msg;

/* ---- tasks ---- */
typedef struct fl_task fl_task;
typedef struct fl_out {
    int ndest;           /* tasks of the destination stage (1 for forward edges) */
    fl_batch **pend;     /* pending batch per destination; 0 until the first row */
} fl_out;

/* The public head of a task; the runtime's own fields follow it. Task
 * indexes are global: the tasks of a parallel stage are spread over the
 * job's processes, each process holding a contiguous run of indexes. */
struct fl_task {
    int index, ntasks;   /* this task among the tasks of its stage (all processes) */
    int lindex, lcount;  /* among the tasks of its stage in this process */
    int stage;
    fl_out *outs;        /* one per output edge of the stage */
    fl_arena scratch;    /* the task's own long-lived memory (operator state) */
    int flushed;         /* set when a batch leaves the task: a source's produce stops there */
    /* The stage's counters (fl_stage_def.ncounts, owned by the runtime, so
     * they outlive close): rows received per input, rows handed on by the
     * operators whose output differs from their input, and, from
     * first_gauge on, the peak state size of stateful operators. Generated
     * code adds to them per row or per batch; the runtime reads them for
     * --stats, progress and the monitor (a reader may see a value a little
     * old, never a torn one: aligned 8-byte stores). */
    fl_i64 *counts;
};

/* Sends the pending batch of (out, dest) when it has rows, and returns an
 * empty one: through a local queue (the pointer moves) or, when the
 * destination task lives in another process, serialized over TCP against
 * credits the receiver granted. Waits while the destination is full. */
fl_batch *fl_out_flush(fl_task *t, int out, int dest);

/* Room for a row in the pending batch of (out, dest): a full batch below
 * the batch size grows (batches start small, so an edge carrying a few rows
 * keeps a few rows' memory), else it is sent as fl_out_flush does. */
fl_batch *fl_out_room(fl_task *t, int out, int dest);

/* A fresh row slot of output edge `out` for destination task `dest`; the
 * values it points to belong in fl_emit_arena(t, out, dest). */
static inline void *fl_emit(fl_task *t, int out, int dest)
{
    fl_batch *b = t->outs[out].pend[dest];
    if (!b || b->n == b->cap)
        b = fl_out_room(t, out, dest);
    return b->rows + (b->n++) * b->size;
}

static inline fl_arena *fl_emit_arena(fl_task *t, int out, int dest)
{
    return &t->outs[out].pend[dest]->arena;
}

/* The next message from one of the inputs in the bit mask `inputs` (~0u:
 * any), oldest first; DATA and END messages both come back. Returns 0 when
 * every upstream task of those inputs has ended, or when the job stops.
 * Give each DATA batch back with fl_done. */
int fl_recv(fl_task *t, unsigned inputs, fl_msg *m);
void fl_done(fl_task *t, fl_batch *b);
/* Whether every upstream task of input `input` has sent END (what came
 * before it may still be queued). */
int fl_ended(fl_task *t, int input);

/* Whether the job of the calling task is being stopped (an error in this
 * or another process): loops over sources check it now and then and return. */
int fl_stopping(void);

/* Ends the job with an error: prints "flowc job: MESSAGE" and stops every
 * task; the job exits 1 and commits no output file. Returns (the caller
 * returns from its run function). */
void fl_fail(fl_task *t, const char *fmt, ...);

/* ---- time (time.c) ----
 * Event time: rows of a stream with event time carry their time; the
 * tasks that stamp them (event_time) send watermarks on the output edges
 * the stamps reach (fl_watermark: the pending batches of the edge go out
 * first, so the watermark follows the rows it covers), and the others
 * forward their frontier. Processing time is the wall clock in ms, or,
 * with --test-clock, taken from the data (docs/runtime.md). */
fl_i64 fl_now_ms(void);
int fl_test_clock(void);
void fl_watermark(fl_task *t, int out, fl_i64 wm);
/* Every pending batch of every output edge goes out now. */
void fl_flush_all(fl_task *t);
/* n elements came behind the watermark and were dropped (counted, and
 * reported at the end of the job). */
void fl_late(fl_task *t, fl_i64 n);
/* The task's processing-time timer: a TIMER signal at (or after) ms
 * (FL_TIME_MAX: none). One per task: the latest call wins. */
void fl_timer_at(fl_task *t, fl_i64 ms);
/* Unbounded sources: whether the job was asked to stop (SIGINT or SIGTERM:
 * the sources end, what is open is flushed and committed); the batch
 * linger (--linger) in ms; the idle timeout (--idle-timeout) in ms. */
int fl_draining(void);
fl_i64 fl_linger_ms(void);
fl_i64 fl_idle_ms(void);

/* ---- stores: what a loop reads in every round ----
 * A store holds rows kept from one phase to a later one: a loop's input and
 * the streams its body names (read once, in its cache phase), and each
 * round's output. Slot s of task index i is written by task i of a stage
 * of one phase and read by task i of a later one (the same process: task i
 * of every parallel stage lives in one process). Rows are copied in whole
 * into chunks of many rows, what they point to into the store's arena. */
typedef struct fl_store fl_store;
fl_store *fl_store_of(fl_task *t, int slot);
/* A fresh row slot of size bytes (every row of a store has one size). */
void *fl_store_push(fl_store *s, fl_i64 size);
fl_arena *fl_store_arena(fl_store *s);
/* Chunk k of its rows (*n of them), or 0 after the last. */
void *fl_store_chunk(fl_store *s, fl_i64 k, fl_i64 *n);

/* ---- zip: the i-th elements of two inputs, in source order (zip.c) ----
 * The zip's task keeps every batch it gets (fl_zip_batch; its batch
 * function returns 1), notes each upstream task's END (fl_zip_end), and
 * takes the pairs that are ready with fl_zip_next: 1 with pointers to the
 * two rows (valid until the next call), 0 when no pair is ready yet. */
typedef struct fl_zip fl_zip;
fl_zip *fl_zip_new(void);
void fl_zip_batch(fl_zip *z, fl_batch *b);
void fl_zip_end(fl_zip *z, int input, int from);
int fl_zip_next(fl_zip *z, fl_task *t, void **a, void **b);
void fl_zip_free(fl_zip *z, fl_task *t);   /* gives back what it still keeps */

/* ---- pipe: a stream's lines through an external program (pipe.c) ----
 * One process of `/bin/sh -c cmd` per task. put gives it a line (its input
 * goes as it can take it); take gives the next line of its output: 1, or 0
 * when none is there now (wait 0) or after its last (wait 1: after end,
 * which ends its input). A line taken points into the pipe's buffer until
 * the next call: copy it. close waits for it: an exit status other than 0
 * fails the job with its standard error. */
typedef struct fl_pipe fl_pipe;
fl_pipe *fl_pipe_open(fl_task *t, fl_str cmd);
void fl_pipe_put(fl_pipe *p, fl_str line);
int fl_pipe_take(fl_pipe *p, fl_str *line, int wait);
void fl_pipe_end(fl_pipe *p);
void fl_pipe_close(fl_task *t, fl_pipe *p);

/* ---- serialization of rows for remote edges ----
 * Generated code has, per type T crossing a remote edge, ser_T(fl_buf *, T)
 * and de_T(fl_rbuf *, fl_arena *) built from these. Wire format: i64 and
 * f64 8 bytes little-endian, bool 1 byte (0 or 1), str a u32 length then
 * its bytes, vec a u32 count then its elements, opt a byte 0/1 then the
 * value when present, tuples and records their parts in order. Decoded
 * strings point into the received buffer (kept alive with the batch);
 * vectors are allocated in the batch's arena. A decoder never reads past
 * r->end: on truncated or malformed input it sets r->err and returns
 * zeroes. Hosts are little-endian (x86-64, aarch64). */
/* A growing buffer: text for sinks and to_str, bytes for remote edges. */
typedef struct fl_buf {
    char *p;
    fl_i64 len, cap;
} fl_buf;
void fl_buf_reserve(fl_buf *b, fl_i64 more);

typedef struct fl_rbuf {
    const char *p, *end;
    int err;                 /* input ran out or was malformed */
} fl_rbuf;

void fl_ser_toolong(fl_i64 n);   /* fails the job: a str or vec over 4 GiB */

static inline void fl_ser_raw(fl_buf *b, const void *p, fl_i64 n)
{
    if (b->cap - b->len < n)
        fl_buf_reserve(b, n);
    memcpy(b->p + b->len, p, (fl_size)n);
    b->len += n;
}
static inline void fl_ser_i64(fl_buf *b, fl_i64 v) { fl_ser_raw(b, &v, 8); }
static inline void fl_ser_f64(fl_buf *b, double v) { fl_ser_raw(b, &v, 8); }
static inline void fl_ser_bool(fl_buf *b, fl_bool v)
{
    unsigned char c = v ? 1 : 0;
    fl_ser_raw(b, &c, 1);
}
static inline void fl_ser_len(fl_buf *b, fl_i64 n)
{
    unsigned int u = (unsigned int)n;
    if (n < 0 || n > 0xffffffffLL)
        fl_ser_toolong(n);
    fl_ser_raw(b, &u, 4);
}
static inline void fl_ser_str(fl_buf *b, fl_str s)
{
    fl_ser_len(b, s.len);
    if (s.len)
        fl_ser_raw(b, s.ptr, s.len);
}

static inline int fl_de_need(fl_rbuf *r, fl_i64 n)
{
    if (r->err || r->end - r->p < n) {
        r->err = 1;
        r->p = r->end;
        return 0;
    }
    return 1;
}
static inline fl_i64 fl_de_i64(fl_rbuf *r)
{
    fl_i64 v = 0;
    if (fl_de_need(r, 8)) {
        memcpy(&v, r->p, 8);
        r->p += 8;
    }
    return v;
}
static inline double fl_de_f64(fl_rbuf *r)
{
    double v = 0;
    if (fl_de_need(r, 8)) {
        memcpy(&v, r->p, 8);
        r->p += 8;
    }
    return v;
}
static inline fl_bool fl_de_bool(fl_rbuf *r)
{
    unsigned char c = 0;
    if (fl_de_need(r, 1)) {
        c = (unsigned char)*r->p++;
        if (c > 1) {
            r->err = 1;
            c = 0;
        }
    }
    return c;
}
/* A length or count: at most what min_size-byte items the rest can hold
 * (min_size 0: at most 1 << 24 items). */
static inline fl_i64 fl_de_len(fl_rbuf *r, fl_i64 min_size)
{
    unsigned int u = 0;
    if (!fl_de_need(r, 4))
        return 0;
    memcpy(&u, r->p, 4);
    r->p += 4;
    if ((min_size > 0 && (fl_i64)u > (r->end - r->p) / min_size) || (min_size == 0 && u > (1u << 24))) {
        r->err = 1;
        r->p = r->end;
        return 0;
    }
    return (fl_i64)u;
}
static inline fl_str fl_de_str(fl_rbuf *r)
{
    fl_str s;
    s.len = fl_de_len(r, 1);
    s.ptr = r->p;
    r->p += s.len;
    return s;
}

/* Per edge: a batch's rows to bytes, and back (0, or -1 on bad input). */
typedef void (*fl_ser_fn)(fl_buf *b, const void *rows, fl_i64 n);
typedef int (*fl_de_fn)(fl_rbuf *r, void *rows, fl_i64 n, fl_arena *a);

/* ---- job description, built by generated code ---- */
enum { FL_EDGE_FORWARD, FL_EDGE_HASH, FL_EDGE_SINGLE, FL_EDGE_BROADCAST };
enum { FL_T_I64, FL_T_F64, FL_T_BOOL, FL_T_STR };

typedef struct fl_edge_def {
    int to;              /* destination stage */
    int kind;            /* FL_EDGE_* */
    int input;           /* the input number at the destination */
    fl_i64 row_size;
    fl_ser_fn ser;       /* rows to bytes, for a destination in another process */
    fl_de_fn de;         /* and back */
} fl_edge_def;

/* An operator of a stage, for --stats and the monitor: its rows in are the
 * sum of counts[in .. in + nin) of its task, its rows out counts[out] (-1:
 * none, a sink), its state size counts[state] (-1: none). */
typedef struct fl_op_def {
    int node;            /* its node in the plan of its phase (nK in flowc plan) */
    const char *kind;    /* as flowc plan names it: source, map, aggregate (local)... */
    const char *op;      /* the operator as written in the .flow file */
    int line, col;
    int in, nin, out, state;
    int from;            /* the operator of the same stage that feeds it (-1: the input edges) */
} fl_op_def;

typedef struct fl_stage_def {
    const char *name;
    int parallel;        /* 1: --threads tasks; 0: one task */
    void (*run)(fl_task *t);   /* a stage that runs to completion (hand-written ones); else: */
    int nout;
    const fl_edge_def *outs;
    /* A stage as a state machine (generated code): open makes its state;
     * a source's produce handles at most a batch's worth of input per call
     * and returns whether more comes; the others take each DATA batch with
     * batch (which returns 1 when it keeps the batch, else the runtime gives
     * it back) and every other message with signal; close ends it (empties
     * the aggregations downstream, closes sinks) and frees the state. The
     * runtime owns the loop: it calls them, and checks for a stop between
     * calls. */
    void *(*open)(fl_task *t);
    int (*produce)(fl_task *t, void *state);
    int (*batch)(fl_task *t, void *state, fl_batch *b);
    void (*signal)(fl_task *t, void *state, const fl_msg *m);
    void (*close)(fl_task *t, void *state);
    /* parallelism(n): the stage's task count, over all processes (NULL: one
     * per thread of each process, or one task when not parallel) */
    fl_i64 (*ntasks)(void);
    /* its operators and counters (generated stages; 0 for hand-written ones) */
    int nops;
    const fl_op_def *ops;
    int ncounts, first_gauge, phase;
} fl_stage_def;

typedef struct fl_param_def {
    const char *name;
    int type;            /* FL_T_* */
    void *addr;          /* fl_i64, double, fl_bool or fl_str */
    int *set;            /* set to 1 when given on the command line */
    const char *def;     /* the default as written, for --help */
} fl_param_def;

/* A phase of the job: the stages that compute one value (a collect() or
 * one() of the program), or, last, the pipelines. Phases run one after the
 * other; before phase k its init computes the value lets that need the
 * values made so far; after it, the process that computed its value (0)
 * hands it to the others (ser/de; none for the last phase). */
typedef struct fl_phase_def {
    int first, nstages;        /* its stages in the job's table */
    void (*init)(void);        /* (run once, before its first run) */
    void (*ser)(fl_buf *b);
    int (*de)(fl_rbuf *r);     /* 0, or -1 on bad bytes */
    /* The rounds of a loop: after each run (and its value, the round's
     * delta, has reached every process) next() steps the state and says
     * whether to run again. Store out_slot (-1: none) is emptied before
     * each run; with swap it becomes in_slot when another round follows. */
    int (*next)(void);
    int in_slot, out_slot, swap;
} fl_phase_def;

typedef struct fl_job_def {
    const char *name;
    int nstages;
    const fl_stage_def *stages;
    int nparams;
    const fl_param_def *params;
    void (*init)(void);  /* computes the defaults of params not given */
    const char *fingerprint;   /* hex hash of the generated code and flowc's version */
    const char *version;       /* flowc's version */
    int native;                /* built by cc (not run by the JIT): may start processes */
    int nphases;               /* 0: one phase of every stage, init as above */
    const fl_phase_def *phases;
    int nslots;                /* stores (per task index) the loops use */
    int unbounded;             /* reads stdin_lines or tcp_lines: drains on SIGINT, part files */
    int timers;                /* uses processing-time timers (not on the worker pool) */
} fl_job_def;

/* Parses the command line (--NAME VALUE, --threads N, --batch N, --help),
 * runs the job to its end and commits the sinks' files. Returns the exit
 * status: 0, 1 (the job failed) or 2 (bad command line). */
int fl_main(const fl_job_def *job, int argc, char **argv);
/* For flowc itself (compiler/cc.c, tier.c): a temporary folder (and the
 * files in it) or file that a SIGINT or SIGTERM ending the process removes:
 * its slot, or -1; drop it once removed. fl_signals_for_compiler installs
 * those handlers in flowc (a job's fl_main installs them for the job). */
int fl_temp_folder(const char *path);
int fl_temp_file(const char *path);
void fl_temp_group(int pgid);   /* a process group killed first (0: none) */
void fl_temp_drop(int slot);
void fl_signals_for_compiler(void);

/* The tiered JIT (flowc run; tier.c). fl_tier_expect: a table of the same
 * stages compiled by cc may come (at >= 0: each task switches before its
 * call number `at`, waiting there for it; log: say so per task on stderr);
 * fl_tier_offer gives it (NULL: none comes); fl_tier_switched: how many
 * tasks have switched so far. */
void fl_tier_expect(fl_i64 at, int log);
void fl_tier_offer(const fl_stage_def *stages);
fl_i64 fl_tier_switched(void);

/* ---- hashing (XXH3, the same on every host and in both back ends) ---- */
fl_u64 fl_hash_bytes(const void *p, fl_i64 len);

static inline fl_u64 fl_hash_i64(fl_i64 v)
{
    fl_u64 x = (fl_u64)v;   /* a strong 64-bit mixer (splitmix64's finaliser) */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static inline fl_u64 fl_hash_str(fl_str s) { return fl_hash_bytes(s.ptr, s.len); }

static inline fl_u64 fl_hash_combine(fl_u64 h, fl_u64 v)
{
    return fl_hash_i64((fl_i64)(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2))));
}

/* Short strings (keys mostly) compared inline: a memcmp call costs more
 * than the few bytes of a 2-8 byte key. */
static inline int fl_str_eq(fl_str a, fl_str b)
{
    if (a.len != b.len)
        return 0;
    if (a.len <= 8) {
        for (fl_i64 i = 0; i < a.len; i++)
            if (a.ptr[i] != b.ptr[i])
                return 0;
        return 1;
    }
    return memcmp(a.ptr, b.ptr, (fl_size)a.len) == 0;
}

int fl_str_cmp(fl_str a, fl_str b);

/* ---- sources ---- */
/* A file source's cursor over one window of text: whole lines. A path
 * that names one plain file is split among the tasks by byte range, and
 * the window is the task's share. Otherwise (a gzip or zstd file, a
 * directory, a glob pattern: runtime/inputs.h) each task reads whole files
 * of its own, and when a window is used up fl_lines_more moves to the next
 * (the rest of a decompressed block, or the next file). */
typedef struct fl_lines {
    const char *cur, *end;   /* this task's window: whole lines */
    const char *path;        /* the file being read */
    fl_i64 line;             /* 1-based number of the last line returned, when known */
    void *in;                /* runtime */
    /* The source's produce calls so far, counted by generated code at the
     * start of each: rows keep pointing into the window they came from
     * until the end of the call, so text a call has left is freed only by
     * a later one. */
    fl_i64 calls;
} fl_lines;

/* Opens path and takes task t's share of its bytes (split at line ends:
 * every line goes to exactly one task), or of its files. Returns 0, or
 * fails the job. */
int fl_lines_open(fl_task *t, fl_lines *r, fl_str path);
void fl_lines_close(fl_lines *r);
/* The next window when the current one is used up: 1, or 0 at the end of
 * the task's input (or when the job failed: a corrupt file). */
int fl_lines_more(fl_lines *r);
/* The 1-based number, in its file, of the next line r gives (counted: slow;
 * 1 when r reads whole files: it is asked before the first line). */
fl_i64 fl_lines_number(const fl_lines *r);

static inline int fl_lines_next(fl_lines *r, fl_str *line)
{
    if (r->cur >= r->end && !fl_lines_more(r))
        return 0;
    const char *nl = (const char *)memchr(r->cur, '\n', (fl_size)(r->end - r->cur));
    const char *e = nl ? nl : r->end;
    line->ptr = r->cur;
    line->len = e - r->cur;
    if (line->len && e[-1] == '\r')
        line->len--;
    r->cur = nl ? nl + 1 : r->end;
    return 1;
}

/* The share [lo, hi) of task t in [start, end): contiguous, in task order. */
void fl_split_range(fl_task *t, fl_i64 start, fl_i64 end, fl_i64 *lo, fl_i64 *hi);
/* Interleaved shares, for sources whose elements get event time: chunk k of
 * task t is the (index + k * ntasks)-th run of FL_CHUNK_ROWS in [start, end)
 * (1 and [lo, hi), or 0 after the last), so the tasks' times advance
 * together and windows downstream are not held back by a task that began
 * far ahead. */
enum { FL_CHUNK_ROWS = 4096 };
int fl_chunk_range(fl_task *t, fl_i64 start, fl_i64 end, fl_i64 k, fl_i64 *lo, fl_i64 *hi);

/* CSV (RFC 4180): fields of one record at a time, into `fields` (unquoted,
 * in the reader's own memory until the next call). */
typedef struct fl_csv {
    fl_lines lines;
    char sep;
    int skip_bad;
    fl_i64 bad;              /* rows skipped */
    fl_i64 record_line;      /* line where the current record starts (1-based) */
    fl_i64 line;             /* line number at lines.cur */
    /* the lines of the files the task read before this one (several files:
     * line_base + record_line grows from file to file, the test clock's time) */
    fl_i64 line_base;
    void *buf;               /* runtime */
} fl_csv;

int fl_csv_open(fl_task *t, fl_csv *c, fl_str path, fl_str sep, int header, int skip_bad);
/* Up to max fields of the next record into f; returns the number of fields
 * of the record, or -1 at the end. */
int fl_csv_next(fl_csv *c, fl_str *f, int max);
/* The same, inline for the common record: unquoted fields, at most max
 * of them, ended by "\n"; any other (quotes, "\r", a blank line, the end)
 * goes to fl_csv_next. */
/* Bytes of a word at a time: FL_ZBYTES(v) flags v's zero bytes (its
 * lowest flag is exact; one above a zero byte may be false); fl_ctz. */
#define FL_ONES 0x0101010101010101ULL
#define FL_ZBYTES(v) (((v) - FL_ONES) & ~(v) & (FL_ONES << 7))
#if defined(__GNUC__) && !defined(__TINYC__)
#define fl_ctz(v) __builtin_ctzll(v)
#else
static inline int fl_ctz(fl_u64 v)
{
    int n = 0;
    while (!(v & 1)) {
        v >>= 1;
        n++;
    }
    return n;
}
#endif
#if defined(__GNUC__) && !defined(__TINYC__)
/* Past the bytes that are no separator, "\n", '"' nor "\r", eight at a
 * time while eight remain (the rest is looked at byte by byte). */
static inline const char *fl_csv_skip(const char *p, const char *end, fl_u64 sepw)
{
    while (end - p >= 8) {
        fl_u64 w;
        memcpy(&w, p, 8);
        fl_u64 m = FL_ZBYTES(w ^ sepw) | FL_ZBYTES(w ^ (FL_ONES * '\n')) | FL_ZBYTES(w ^ (FL_ONES * '"')) |
                   FL_ZBYTES(w ^ (FL_ONES * '\r'));
        if (m)
            return p + (__builtin_ctzll(m) >> 3);
        p += 8;
    }
    return p;
}
#else
#define fl_csv_skip(p, end, sepw) (p)
#endif
static inline int fl_csv_next_fast(fl_csv *c, fl_str *f, int max)
{
    const char *p = c->lines.cur, *s = p, *end = c->lines.end;
    char sep = c->sep;
    fl_u64 sepw = 0x0101010101010101ULL * (unsigned char)sep;
    int nf = 0;
    (void)sepw;
    while (p < end) {
        p = fl_csv_skip(p, end, sepw);
        if (p == end)
            break;
        char ch = *p;
        if (ch != sep && ch != '\n') {
            if (ch == '"' || ch == '\r')
                break;
            p++;
            continue;
        }
        if (nf == max || (ch == '\n' && p == c->lines.cur))
            break;
        f[nf].ptr = s;
        f[nf].len = p - s;
        nf++;
        s = ++p;
        if (ch == '\n') {
            c->record_line = c->line++;
            c->lines.cur = p;
            return nf;
        }
    }
    return fl_csv_next(c, f, max);
}
void fl_csv_close(fl_csv *c);
/* Parsing a field; 0 on success. */
int fl_parse_i64(fl_str s, fl_i64 *v);
/* The same, inline for the common field: an optional '-' and 1 to 18
 * digits (no overflow possible); anything else goes to fl_parse_i64. */
static inline int fl_parse_i64_fast(fl_str s, fl_i64 *v)
{
    const char *p = s.ptr;
    fl_i64 i = s.len > 0 && p[0] == '-', n = s.len - i;
    if (n < 1 || n > 18)
        return fl_parse_i64(s, v);
    fl_u64 x = 0;
    for (; i < s.len; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9)
            return fl_parse_i64(s, v);
        x = x * 10 + d;
    }
    *v = p[0] == '-' ? (fl_i64)(0 - x) : (fl_i64)x;
    return 0;
}
int fl_parse_f64(fl_str s, double *v);
/* The same, inline for the common field: [-]digits[.digits] with at most
 * 15 digits in all, which is exact (Clinger: the integer of the digits
 * and the power of ten are both doubles exactly, and one division rounds
 * correctly); anything else goes to fl_parse_f64. */
static inline int fl_parse_f64_fast(fl_str s, double *v)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    const char *p = s.ptr;
    fl_i64 i = s.len > 0 && p[0] == '-', n = 0, frac = -1;
    fl_u64 m = 0;
    for (; i < s.len; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d <= 9) {
            m = m * 10 + d;
            n++;
        } else if (p[i] == '.' && frac < 0 && n > 0) {
            frac = n;
        } else {
            return fl_parse_f64(s, v);
        }
    }
    if (n == 0 || n > 15 || frac == n)
        return fl_parse_f64(s, v);
    double d = (double)m;
    if (frac >= 0)
        d /= p10[n - frac];
    *v = p[0] == '-' ? -d : d;
    return 0;
}
int fl_parse_bool(fl_str s, fl_bool *v);
/* The typed fast path of a record (the generated reader of read_csv): its
 * fields one at a time from *pp, each ended by the separator or, the last,
 * "\n". Each returns the byte that ended the field (and moves *pp past it),
 * or 0 for anything else (a quote, "\r", the end of the share, a number
 * that is not plain): the record then goes through fl_csv_next, which
 * reads it again and knows every rule and error. */
static inline int fl_csvf_str(const char **pp, const char *end, char sep, fl_str *v)
{
    const char *p = *pp;
    /* a byte at a time: the branch predictor runs ahead over short fields,
     * where a word's search (fl_csv_skip) puts its latency on every row;
     * long ones (Nexmark's URLs) measured the same either way */
    while (p < end && *p != sep && *p != '\n' && *p != '"' && *p != '\r')
        p++;
    if (p == end || (*p != sep && *p != '\n'))
        return 0;
    v->ptr = *pp;
    v->len = p - *pp;
    *pp = p + 1;
    return (unsigned char)*p;
}
#if defined(__GNUC__) && !defined(__TINYC__)
/* The first n (1 to 8) ASCII digits of the word w (the first in its lowest
 * byte) as a number: three multiplies, no loop. */
static inline fl_u64 fl_swar_digits(fl_u64 w, int n)
{
    fl_u64 v = (w & 0x0F0F0F0F0F0F0F0FULL) << (8 * (8 - n));
    v = ((v * 2561) >> 8) & 0x00FF00FF00FF00FFULL;
    v = ((v * 6553601) >> 16) & 0x0000FFFF0000FFFFULL;
    return (v * 42949672960001ULL) >> 32;
}
/* How many of w's bytes, from the lowest, are ASCII digits (0 to 8). */
static inline int fl_swar_ndigits(fl_u64 w)
{
    fl_u64 x = ((w & 0xF0F0F0F0F0F0F0F0ULL) ^ 0x3030303030303030ULL) |
               (((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) ^ 0x3030303030303030ULL);
    fl_u64 m = ((x >> 4) + 0x7F7F7F7F7F7F7F7FULL) & 0x8080808080808080ULL;
    return m ? __builtin_ctzll(m) >> 3 : 8;
}
#endif
/* An i64 field: an optional '-' and 1 to 18 digits. */
static inline int fl_csvf_i64(const char **pp, const char *end, char sep, fl_i64 *v)
{
    const char *p = *pp;
    int neg = p < end && *p == '-';
    p += neg;
    fl_u64 x = 0;
    const char *d = p;
#if defined(__GNUC__) && !defined(__TINYC__)
    if (end - p >= 8) {   /* up to 7 digits and the byte after them in one word */
        fl_u64 w;
        memcpy(&w, p, 8);
        int n = fl_swar_ndigits(w);
        if (n > 0 && n < 8) {
            x = fl_swar_digits(w, n);
            p += n;
            goto ended;
        }
    }
#endif
    while (p < end && (unsigned)(*p - '0') < 10 && p - d < 18)
        x = x * 10 + (unsigned)(*p++ - '0');
#if defined(__GNUC__) && !defined(__TINYC__)
ended:
#endif
    if (p == d || p == end || (*p != sep && *p != '\n'))
        return 0;
    *v = neg ? (fl_i64)(0 - x) : (fl_i64)x;
    *pp = p + 1;
    return (unsigned char)*p;
}
/* An f64 field: its bytes, then fl_parse_f64_fast's common forms. */
static inline int fl_csvf_f64(const char **pp, const char *end, char sep, double *v)
{
    const char *p = *pp;
    fl_str s;
    int ch = fl_csvf_str(&p, end, sep, &s);
    if (!ch || fl_parse_f64_fast(s, v) != 0)
        return 0;
    *pp = p;
    return ch;
}

/* ---- unbounded sources (stream.c): stdin_lines (kind 0), tcp_lines (1) ---- */
typedef struct fl_stream fl_stream;
fl_stream *fl_stream_open(fl_task *t, int kind, fl_str addr);   /* NULL: the job failed */
/* The next line (valid until the next call): 1; 0 when none is ready
 * (after waiting up to 50 ms when `wait`); -1 at the end (end of input,
 * a drain, a stop, an error). */
int fl_stream_next(fl_task *t, fl_stream *s, fl_str *line, int wait);
/* After a call of the source that read `lines` lines: linger and idleness. */
void fl_stream_after(fl_task *t, fl_stream *s, fl_i64 lines);
void fl_stream_close(fl_stream *s);

/* ---- sinks: text written to a temporary file, renamed at success (devices,
 * FIFOs and terminals are written through; symlinks lead to their target) ---- */
typedef struct fl_sink fl_sink;
fl_sink *fl_sink_open(fl_task *t, fl_str path);   /* "-" is standard output */
void fl_sink_write(fl_sink *s, const char *p, fl_i64 n);
void fl_sink_close(fl_sink *s);   /* flushes; the rename happens when the job succeeds */

/* Text building for sinks and to_str (fl_buf is defined above). */
static inline void fl_buf_put(fl_buf *b, const char *p, fl_i64 n)
{
    if (n <= 0)  /* a fresh buffer has a null p: no memcpy(0, .., 0) */
        return;
    if (b->cap - b->len < n)
        fl_buf_reserve(b, n);
    memcpy(b->p + b->len, p, (fl_size)n);
    b->len += n;
}
static inline void fl_buf_putc(fl_buf *b, char c)
{
    if (b->cap == b->len)
        fl_buf_reserve(b, 1);
    b->p[b->len++] = c;
}
void fl_buf_i64(fl_buf *b, fl_i64 v);
void fl_buf_f64(fl_buf *b, double v);      /* shortest text that reads back the same */
void fl_buf_csv_str(fl_buf *b, fl_str s);  /* quoted when it holds , " or a line end */
void fl_buf_free(fl_buf *b);

/* ---- string builtins (results in arena a) ---- */
fl_str fl_lower(fl_arena *a, fl_str s);
fl_str fl_upper(fl_arena *a, fl_str s);
fl_str fl_trim(fl_str s);
fl_str fl_concat(fl_arena *a, fl_str x, fl_str y);
fl_str fl_substr(fl_str s, fl_i64 start, fl_i64 n);
int fl_starts_with(fl_str s, fl_str p);
int fl_ends_with(fl_str s, fl_str p);
int fl_contains(fl_str s, fl_str p);
/* Splits into *out (allocated in a); returns the number of parts. */
fl_i64 fl_split(fl_arena *a, fl_str s, fl_str sep, fl_str **out);
fl_i64 fl_words(fl_arena *a, fl_str s, fl_str **out);
/* words(lower(s)) in one pass: the words lowercased (into a copy in a). */
fl_i64 fl_words_lower(fl_arena *a, fl_str s, fl_str **out);
fl_str fl_i64_str(fl_arena *a, fl_i64 v);
fl_str fl_f64_str(fl_arena *a, double v);
/* Dates: ms since 1970, UTC. parse returns 0 on success. */
int fl_parse_date(fl_str s, fl_str format, fl_i64 *ms);
fl_str fl_format_date(fl_arena *a, fl_i64 ms, fl_str format);
void fl_date_parts(fl_i64 ms, fl_i64 parts[8]);

/* ---- JSON Lines (json.c: jansson, loaded when first used) ----
 * read_jsonl: parse parses a line (NULL: the job failed with the file,
 * line and column); a decoder per row type (generated) walks the value
 * with kind/get/len/at/int/real/str and reports a mismatch into err
 * (FL_JSON_ERR bytes) with want, and where it was with in (a field name,
 * or NULL and an array index), outermost last. A str points into the value:
 * copy it before free. write_jsonl: json_str (-1 when s is not UTF-8) and
 * json_f64 (null for NaN and infinities). */
typedef struct fl_json fl_json;
enum { FL_J_NULL, FL_J_FALSE, FL_J_TRUE, FL_J_INT, FL_J_REAL, FL_J_STR, FL_J_ARRAY, FL_J_OBJECT };
enum { FL_JSON_ERR = 256 };
int fl_json_blank(fl_str line);
fl_json *fl_json_parse(fl_task *t, fl_str line, const char *path, fl_i64 lineno);
void fl_json_free(fl_json *v);
int fl_json_kind(const fl_json *v);
fl_json *fl_json_get(const fl_json *o, const char *name);
fl_i64 fl_json_len(const fl_json *v);
fl_json *fl_json_at(const fl_json *v, fl_i64 i);
fl_i64 fl_json_int(const fl_json *v);
double fl_json_real(const fl_json *v);
fl_str fl_json_str(const fl_json *v);
int fl_json_want(char *err, const char *want, const fl_json *v);
int fl_json_in(char *err, const char *field, fl_i64 index);
int fl_buf_json_str(fl_buf *b, fl_str s);
void fl_buf_json_f64(fl_buf *b, double v);

/* ---- the C API (lib.c): a job as a library, run by a host program ----
 * flowc build --lib generates typed functions around these: start runs the
 * job on threads of its own; push gives a host_rows source a row (its
 * bytes in the edges' wire format; it waits while the job is behind);
 * finish ends the input, waits for the end, joins every thread and frees
 * (0, or -1 with the failure's message in err). In the job, host_next takes
 * the next pushed row (1; 0 at the end), host_out calls the host's callback
 * of a to_host sink (one call at a time; or its Arrow callback, a record
 * batch at a time, when the host gave one). */
typedef void (*fl_host_out_fn)(void *ctx, const void *row);
struct ArrowArray;
struct ArrowSchema;
typedef void (*fl_host_arrow_fn)(void *ctx, struct ArrowArray *batch, struct ArrowSchema *schema);
typedef struct fl_lib fl_lib;
fl_lib *fl_lib_start(const fl_job_def *job, int threads, int ninputs, void *ctx, const fl_host_out_fn *outs,
                     const fl_host_arrow_fn *arrows, int nouts, char *err, fl_i64 errlen);
int fl_lib_push(fl_lib *l, int input, const char *bytes, fl_i64 len);
/* push_row serializes *row with ser (into r->b) first. Out of memory on the
 * host's thread, these return -1 (push, push_row) or NULL (start), and
 * guard returns -1 with the message in err, instead of ending the process. */
typedef struct fl_lib_row {
    fl_buf b;
    const void *row;
} fl_lib_row;
int fl_lib_push_row(fl_lib *l, int input, void (*ser)(void *r), const void *row);
int fl_lib_guard(void (*fn)(void *), void *arg, char *err, fl_i64 errlen);
void fl_lib_say(char *err, fl_i64 errlen, const char *msg);   /* msg into err (cut to fit) */
int fl_lib_finish(fl_lib *l, char *err, fl_i64 errlen);
void fl_lib_free(fl_lib *l);
int fl_host_next(fl_task *t, int input, fl_buf *row);
void fl_host_out(fl_task *t, int sink, const void *row);
/* A writer of sink's rows as Arrow record batches when the host gave that
 * sink an Arrow callback (else NULL: rows go to host_out). */
struct fl_arrow_field;
struct fl_arrow_w *fl_host_arrow_open(fl_task *t, int sink, const struct fl_arrow_field *fields, int nfields);

/* ---- Apache Arrow IPC (arrow.c): write_arrow ----
 * The columns in pre-order (a struct's or a list's children right after
 * it; nchild of them); a row's values are appended column by column (a
 * struct or a list first, then its children), then row_end (a record
 * batch every batch-size rows). str returns -1 for a Utf8 column when s is
 * not UTF-8. close writes the rest (the file's footer, or the stream's end). */
enum { FL_A_I64, FL_A_F64, FL_A_BOOL, FL_A_UTF8, FL_A_BINARY, FL_A_STRUCT, FL_A_LIST };
typedef struct fl_arrow_field {
    const char *name;
    int type, nullable, nchild;
} fl_arrow_field;
typedef struct fl_arrow_w fl_arrow_w;
fl_arrow_w *fl_arrow_open(fl_task *t, fl_str path, const fl_arrow_field *fields, int nfields);
void fl_arrow_i64(fl_arrow_w *w, int c, fl_i64 v);
void fl_arrow_f64(fl_arrow_w *w, int c, double v);
void fl_arrow_bool(fl_arrow_w *w, int c, fl_bool v);
int fl_arrow_str(fl_arrow_w *w, int c, fl_str s);
void fl_arrow_struct(fl_arrow_w *w, int c);
void fl_arrow_list(fl_arrow_w *w, int c, fl_i64 n);
void fl_arrow_null(fl_arrow_w *w, int c);
void fl_arrow_row_end(fl_arrow_w *w);
void fl_arrow_close(fl_arrow_w *w);
/* read_arrow (arrow_read.c): open checks the file's schema against the
 * row type's columns (want, as for writing); rnext loads the task's next
 * record batch (1 with its rows; 0 after its last, or when the file is
 * corrupt: the job fails); the values of wanted column w at row i (a
 * struct's children share its rows; a list's elements are rows
 * [start, start + n) of its child). */
typedef struct fl_arrow_r fl_arrow_r;
fl_arrow_r *fl_arrow_ropen(fl_task *t, fl_str path, const fl_arrow_field *want, int nwant);
int fl_arrow_rnext(fl_arrow_r *r, fl_i64 *rows);
int fl_arrow_rnull(fl_arrow_r *r, int w, fl_i64 i);
void fl_arrow_rnull_error(fl_arrow_r *r, int w, fl_i64 i);
fl_i64 fl_arrow_ri64(fl_arrow_r *r, int w, fl_i64 i);
double fl_arrow_rf64(fl_arrow_r *r, int w, fl_i64 i);
fl_bool fl_arrow_rbool(fl_arrow_r *r, int w, fl_i64 i);
fl_str fl_arrow_rstr(fl_arrow_r *r, int w, fl_i64 i);
fl_i64 fl_arrow_rlist(fl_arrow_r *r, int w, fl_i64 i, fl_i64 *start);
int fl_arrow_rbad(const fl_arrow_r *r);
void fl_arrow_rclose(fl_arrow_r *r);

#endif
