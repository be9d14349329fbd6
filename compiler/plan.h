/* plan.h - the logical plan: the typed program as a DAG of stream operators
 * (a `let` stream used twice feeds two consumers; merge joins two inputs),
 * with high-level operators lowered: keyed and whole-stream aggregations
 * become a local (per task) part, a repartition, and a global part where
 * the aggregation is associative. Stages (stage.h) are cut from it. */
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
    PN_JOIN         /* two inputs repartitioned by key; pairs with equal keys */
} PlanKind;

typedef enum { AGG_COUNT, AGG_SUM, AGG_MIN, AGG_MAX, AGG_AVG, AGG_FOLD, AGG_REDUCE } AggKind;
typedef enum { AGG_WHOLE, AGG_LOCAL, AGG_GLOBAL } AggPart;

typedef struct PlanNode PlanNode;
struct PlanNode {
    PlanKind kind;
    int id;
    Loc loc;
    const char *op;         /* the operator's name, as in the .flow file */
    Expr *call;             /* the call it came from (arguments, lambdas) */
    Type *elem, *key;       /* the output: stream<elem> or keyed<key, elem> */
    PlanNode **in;          /* inputs */
    int nin;
    PlanNode **out;         /* consumers */
    int nout, outcap;
    /* PN_AGG */
    AggKind agg;
    AggPart part;
    Expr *fn, *init, *merge;   /* the lambdas / init value of the aggregation */
    Type *acc;              /* the accumulator type */
    /* PN_KEY */
    Expr *keyfn;
    /* PN_LIMIT: the local part (1) or the global part in source order (0) */
    int local;
    /* PN_JOIN: 0 inner, 1 left, 2 outer; the key lambdas of each side */
    int how;
    Expr *lkey, *rkey;
    int stage;              /* stage.c: the stage the node runs in */
};

typedef struct Plan {
    PlanNode **nodes;       /* in creation (topological) order */
    int n;
} Plan;

/* Builds the plan of a checked program; reports what the back end does not
 * handle yet as errors at the operator. NULL if there were errors. */
Plan *plan_build(Program *p, Arena *a, Diag *d);
const char *plan_kind_name(PlanKind k);
void plan_print(FILE *out, const Plan *p);

#endif
