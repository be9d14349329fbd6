/* plan.h - the logical plan: the typed program as a DAG of stream operators
 * (a `let` stream used twice feeds two consumers; merge joins two inputs).
 * It is made by a list of passes, each with a dump (flowc plan --dump PASS):
 *   build   every stream expression becomes a node; aggregations, limits,
 *           joins and sinks are still one node each (plan_build.c)
 *   prune   only the nodes that reach a sink stay (plan_prune.c)
 *   lower   an associative aggregation becomes a local part, a repartition
 *           and a global part; a non-associative one, limit, scan and the
 *           sinks gather first; a join keys its two sides (plan_lower.c)
 *   scopes  the plan's place among the phases and loops (plan_phase.c
 *           made them): once, or the rounds of a loop, fed back
 *   stages  the lowered plan cut into stages (stage.c)
 * plan_pass.c holds the list and runs it. */
#ifndef FLOWC_PLAN_H
#define FLOWC_PLAN_H

#include <stdio.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "ops.h"
#include "types.h"

typedef enum {
    PN_SOURCE,      /* range, read_lines, read_csv, generate, from */
    PN_MAP, PN_FILTER, PN_FLAT_MAP, PN_FILTER_MAP, PN_INSPECT,
    PN_KEY,         /* attaches a key: keyed<K, T> from stream<T> (no data movement) */
    PN_UNKEY,       /* keyed<K, T> -> stream<(K, T)> */
    PN_SHUFFLE,     /* repartition: by the key's hash (keyed) or evenly */
    PN_GATHER,      /* everything to one task */
    PN_AGG,         /* an aggregation, keyed or whole-stream; local or global part */
    PN_MERGE,       /* the elements of all inputs */
    PN_SINK,        /* print, write_csv, write_lines, for_each, count_into */
    PN_SCAN,        /* a stateful map: one state per key, or one in all (after a gather) */
    PN_LIMIT,       /* the first n: a local part, a gather, a global part in source order */
    PN_BROADCAST,   /* every element to every task */
    PN_KEYONLY,     /* (k, v) -> k: the keys of a keyed stream (distinct) */
    PN_JOIN,        /* two inputs repartitioned by key; pairs with equal keys */
    PN_ZIP,         /* two inputs on one task; the i-th elements of each, paired in source order */
    PN_TASKS,       /* parallelism(n): the stage before it runs with n tasks; a new stage after it */
    PN_EVTIME,      /* event_time(f, delay): stamps rows, makes watermarks; the late ones go to PN_LATE */
    PN_LATE,        /* late(): the elements its event_time found behind the watermark */
    PN_WINDOW,      /* window(spec) or window_all(spec) with its aggregation, as one operator */
    PN_WJOIN,       /* window_join: lower makes it the driver of its stage (both sides, keyed, as
                       one stream of (opt<T>, opt<U>)) and a PN_WINDOW after it that pairs them */
    PN_IJOIN,       /* interval_join: two keyed inputs, each element kept until the watermark
                       has passed the interval it may match */
    PN_PIPE         /* pipe(cmd): lines through an external program, per task */
} PlanKind;

/* FIRST, LAST and COLLECT are window aggregations only. */
typedef enum { AGG_COUNT, AGG_SUM, AGG_MIN, AGG_MAX, AGG_AVG, AGG_FOLD, AGG_REDUCE, AGG_FIRST, AGG_LAST,
               AGG_COLLECT } AggKind;
/* The time a window uses: none (count), event time, processing time. */
typedef enum { WT_NONE, WT_EVENT, WT_PROC } WinTime;
/* WHOLE: the aggregation in one node (before lower, and a non-associative
 * one after its gather); LOCAL and GLOBAL: its two parts after lower. */
typedef enum { AGG_WHOLE, AGG_LOCAL, AGG_GLOBAL } AggPart;

typedef struct PlanNode PlanNode;
struct PlanNode {
    PlanKind kind;
    int id;                 /* its index in Plan.nodes, renumbered after each pass */
    Loc loc;
    const char *op;         /* the operator's name, as in the .flow file */
    Expr *call;             /* the call it came from (arguments, lambdas) */
    const char *name;       /* the top-level `let` that binds it, or NULL */
    Type *elem, *key;       /* the output: stream<elem> or keyed<key, elem> */
    PlanNode **in;          /* inputs */
    int nin;
    PlanNode **out;         /* consumers */
    int nout, outcap;
    int stage;              /* stage.c: the stage the node runs in */
    int ts;                 /* lower: its rows carry a time (event time, or the test clock's) */
    Expr *fn, *init;        /* its lambda and initial value: element-wise operators,
                               scan, aggregations (fn: what is folded in) */
    union {                 /* what each kind has of its own */
        struct {            /* PN_AGG */
            AggKind kind;
            AggPart part;
            int assoc;      /* partial results merge: lower splits it in two */
            Expr *merge;
        } agg;
        Expr *keyfn;        /* PN_KEY: the key lambda (NULL: the element itself) */
        Expr *ntasks;       /* PN_TASKS: n */
        int local;          /* PN_LIMIT: the local part (1) or the global part in source order (0) */
        struct {            /* PN_JOIN: 0 inner, 1 left, 2 outer; the key lambdas of each side */
            int how;
            Expr *lkey, *rkey;
        } join;
        /* PN_SINK: the value call (collect or one) it computes (its index
         * among the program's value calls), or the loop whose round's delta
         * it keeps, or the store slot it writes; -1 when it is none of them.
         * PN_SOURCE: the store slot it reads, or the loop whose final
         * state it gives (slot -1); -1, -1 for the program's sources. */
        struct {
            int value, delta, slot;
        } sink;
        struct {            /* pt: stamps rows with the test clock's time (a processing-time window follows);
                               chunked: its tasks take interleaved chunks (an event_time follows) */
            int slot, loop, pt, chunked;
        } src;
        Expr *delay;        /* PN_EVTIME */
        struct {            /* PN_WINDOW, PN_WJOIN: the spec's kind and arguments, the time it uses,
                               the aggregation; a window_join's key lambdas, and whether the
                               window gives the pairs of its elements (window_join) */
            WinKind wk;
            WinTime time;
            Expr *size, *slide, *txn;   /* size: n, size or gap; slide: slide (or NULL) */
            AggKind agg;
            Expr *lkey, *rkey;
            int pairs;
        } win;
        struct {            /* PN_IJOIN: the interval around each left element's time */
            Expr *lower, *upper;
        } ijoin;
    } u;
};

typedef struct Plan {
    PlanNode **nodes;       /* in topological order: every input before its consumers */
    int n;
    int phase;              /* which phase of the job this plan is */
    int loop;               /* scopes: the loop whose rounds it runs, or -1 */
} Plan;

/* ---- phases (plan_phase.c) ----
 * Each `s.collect()` or `s.one()` of a top-level value let (a value call)
 * is computed by a phase: one more than the latest phase whose value its
 * stream needs (or 0), so independent values share a phase and a pass over
 * their input. The last phase runs the pipelines. A value let is computed
 * by the init of its segment's phase, before that phase runs. */
/* A loop (iterate or replay) runs in two phases: its cache phase reads its
 * input and the top-level streams its body names into per-task stores
 * (slots), once; its round phase runs the body on them, again and again:
 * after each round every process steps the state with the merged delta
 * and decides whether to go on. Stores live until the job ends. */
typedef struct Loop {
    Expr *call;             /* the iterate or replay call */
    int item;               /* the let that takes its result apart */
    int iterate;            /* 1: the output is the next round's input */
    int cache, round;       /* its phases */
    int in_slot;            /* the round's input (iterate: swapped with out_slot) */
    int out_slot;           /* the round's output, kept when keep_out; -1: not kept */
    Expr **free;            /* the top-level streams its body names (names), and their slots */
    int *free_slot;
    int nfree;
} Loop;

typedef struct Phases {
    Expr **calls;           /* the value calls, in program order */
    int *phase;             /* per call: the phase that computes it */
    int ncalls;
    int nphases;            /* the last one runs the pipelines */
    int *seg;               /* per item (value lets): the phase whose init computes it */
    Loop *loops;
    int nloops;
    int nslots;             /* stores of the loops */
    int *round_of;          /* per phase: the loop whose rounds it runs, or -1 */
} Phases;

Phases *plan_phases(Program *p, Arena *a);
/* The index of value call x, or -1. */
int plan_value_index(const Phases *ph, const Expr *x);
/* The loop of call x (iterate or replay), or -1. */
int plan_loop_index(const Phases *ph, const Expr *x);
/* Whether expression e names a top-level let. */
int plan_names_let(Program *p, Expr *e);
/* Whether e is an iterate or replay call. */
int plan_is_loop(const Expr *e);
/* flowc plan --dump scopes: the phases and loops, and phase k's place among them. */
void plan_print_scopes(FILE *out, const Phases *ph, int k);
/* What phase k does, for the dumps: "values", "caches", "rounds", "the pipelines".. */
const char *plan_phase_label(const Phases *ph, int k);

/* ---- nodes (plan.c) ---- */

/* A node made by `call` (its name and location), on one input or none. */
PlanNode *plan_node(Arena *a, PlanKind kind, Expr *call, PlanNode *in, Type *elem, Type *key);
/* The same on two inputs (join, merge). */
PlanNode *plan_node2(Arena *a, PlanKind kind, Expr *call, PlanNode *l, PlanNode *r, Type *elem, Type *key);
/* Sets the plan's nodes, renumbers them and links each to its consumers. */
void plan_set_nodes(Plan *p, Arena *a, PlanNode **nodes, int n);
const char *plan_kind_name(PlanKind k);
/* The kind with an aggregation's part: "aggregate (local)" (stats, monitor, plan --json). */
const char *plan_node_kind(const PlanNode *n);
void plan_print(FILE *out, const Plan *p);

/* ---- the passes ---- */

/* build: the plan of a checked program, every aggregation one node; reports
 * what the back end does not handle yet as errors at the operator. NULL if
 * there were errors. */
Plan *plan_from_program(Program *p, const Phases *ph, int phase, Arena *a, Diag *d);
/* prune: drops the nodes from which no sink can be reached. */
void plan_prune(Plan *p, Arena *a);
/* lower: splits aggregations and limits, gathers before one-task operators,
 * keys the sides of joins; then marks the nodes whose rows carry a time.
 * Runs once, on a built plan. */
void plan_lower(Plan *p, Arena *a);
/* Which nodes' rows carry a time (PlanNode.ts), and which sources stamp
 * the test clock's (plan_lower.c calls it last). */
void plan_time(Plan *p);

typedef struct Stages Stages;

/* What the passes work on: the program, and what they have made of it. */
typedef struct PlanJob {
    Program *prog;
    const Phases *ph;
    int phase;              /* which phase to plan */
    Arena *a;
    Diag *d;
    Plan *plan;
    Stages *st;
} PlanJob;

typedef struct PlanPass {
    const char *name;
    int (*run)(PlanJob *j);                     /* 0, or -1 after reporting errors */
    void (*dump)(FILE *out, const PlanJob *j);  /* what the pass made */
} PlanPass;

/* The pass named `name`, or NULL. */
const PlanPass *plan_pass(const char *name);
/* The names of the passes in order, as "build, prune, ...". */
const char *plan_pass_names(void);
/* Runs the passes in order up to `last` included; 0, or -1 on errors. */
int plan_run(PlanJob *j, const PlanPass *last);
/* build, prune, lower and scopes of one phase: the plan stage_build cuts. NULL if
 * there were errors. */
Plan *plan_build(Program *p, const Phases *ph, int phase, Arena *a, Diag *d);

#endif
