/* ops.h - the one table of every builtin: sources, stream operators (on
 * plain, keyed and windowed streams), windows, iterations, sinks and value
 * functions, each with its signature written in a small notation that is
 * parsed once per compilation into generic types. */
#ifndef FLOWC_OPS_H
#define FLOWC_OPS_H

#include "arena.h"
#include "types.h"

typedef enum {
    HK_NONE, HK_READ_CSV, HK_READ_JSONL, HK_WRITE_JSONL, HK_WRITE_ARROW, HK_READ_ARROW, HK_EVENT_TIME, HK_WINDOW, HK_JOIN, HK_WINDOW_JOIN,
    HK_INTERVAL_JOIN, HK_ITERATE, HK_MERGE, HK_WRITE_CSV
} OpHook;

enum {
    OPF_KEEP_TIME = 1,   /* the result carries the receiver's event time */
    OPF_PHASE = 2,       /* a stream turned into a value: runs as an earlier phase */
    OPF_CONST = 4        /* a constant, used without parentheses (none) */
};

typedef struct OpParam {
    const char *name;
    Type *type;
    const char *def;     /* default as written, NULL if required, "" if optional without a value */
} OpParam;

typedef struct OpDef {
    const char *group;   /* "source", "stream", "keyed", "window", "sink", "value", ... */
    const char *sig;     /* e.g. "stream<T>.map(f: (T) -> U) -> stream<U>" */
    int flags;
    OpHook hook;
    const char *doc;
} OpDef;

typedef struct Op {
    const OpDef *def;
    const char *name;
    Type *recv;          /* NULL: no receiver (source, window spec, value function) */
    OpParam *params;
    int nparams;
    Type *ret;
    int ngen;            /* generic parameters, numbered 0..ngen-1 */
} Op;

typedef struct OpTable {
    Op *ops;
    int n;
} OpTable;

/* Parses every signature of the table into `a`. */
OpTable *ops_load(Arena *a);
/* Indices of the ops named `name`: first in *first, count returned. */
int ops_find(const OpTable *t, const char *name, int *first);
/* The names of every op, for "did you mean" (into an arena array). */
const char **ops_names(const OpTable *t, Arena *a, int *n);
/* The raw table, for documentation (`flowc --list-builtins`). */
const OpDef *ops_defs(int *n);

#endif
