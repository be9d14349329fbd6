/* emit_int.h - what the files of the C emitter share: emit.c (the output
 * helpers, scopes, the program: params, phase inits, functions, the job
 * table), emit_type.c (C types and their helper functions), emit_expr.c and
 * emit_call.c (expressions and builtin calls), emit_loop.c (the loops'
 * globals, init and step), emit_stage.c (each stage's state machine and
 * the stage and phase tables), emit_window.c (event time, windows and the
 * joins in time, inside a stage's functions). Used only by emit*.c. */
#ifndef FLOWC_EMIT_INT_H
#define FLOWC_EMIT_INT_H

#include "emit.h"
#include "plan.h"
#include "ops.h"
#include "sema.h"
#include "types.h"

typedef struct EScope EScope;
struct EScope {
    const char *name;        /* the flow name */
    const char *c;           /* the C expression holding its value */
    int owned;               /* a fold's accumulator: set/update may change it in place */
    EScope *next;
};

typedef struct Sect {         /* an output section, written in order */
    char *buf;
    size_t len;
    FILE *f;
} Sect;

/* S_REFS and S_BIND: the globals as the tiered JIT's shared object sees
 * them (em_global) */
enum { S_TYPES, S_PROTOS, S_HELPERS, S_GLOBALS, S_FNS, S_STAGES, S_JOB, S_REFS, S_BIND, S_COUNT };

typedef struct Emit {
    Arena *a;
    Diag *d;
    Sect sect[S_COUNT];
    FILE *helpers_out;       /* the helpers section itself (finished helpers go there) */
    FILE *f;                 /* the section statements go to now */
    int indent;
    int ntemp;
    EScope *scope;
    PtrVec types;            /* TypeName* */
    PtrVec helpers;          /* names of helper functions made so far */
    const char *arena;       /* C expression of the arena for new values */
    FnDecl *fn;              /* the function being emitted (tail calls) */
    const Phases *ph;        /* the value calls: their values are globals pv_K */
    int errors;
    int unbounded;           /* the job reads an unbounded source: sinks write out after each call */
    const char *nonneg[16];  /* C variables the branches being emitted prove >= 0 (ex_fact) */
    int nnonneg;
    PtrVec externs;          /* FnDecl*: the program's extern (C) functions */
    PtrVec host_in, host_out;    /* PlanNode*: host_rows sources and to_host sinks (the C API), by call */
    PtrVec host_in_t, host_out_t;    /* Type*: their rows */
    Expr *pre_x;             /* an expression computed before the row's code (emit_block.c) */
    const char *pre_c;       /* and the C expression of its value for the row */
} Emit;

/* emit.c */
void em_line(Emit *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A #line directive: what follows comes from loc in the .flow file. */
void em_line_dir(Emit *e, Loc loc);
void em_sect(Emit *e, int sect, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A global of the job (C type, name, array dims or "", a comment or ""):
 * defined once in the JIT's code and native builds; in the tiered JIT's
 * shared object a reference bound to the JIT's by name (fl_tier_bind). */
void em_global(Emit *e, const char *type, const char *name, const char *dims, const char *comment);
const char *em_temp(Emit *e);
const char *em_c_string(Emit *e, const char *text);   /* a C string literal of text */
void em_unsupported(Emit *e, Loc at, const char *what);
/* Appends value to the vector C variable vec (elements of C type elem),
 * doubling its capacity in arena when full (amortised constant time). */
void em_vec_push(Emit *e, const char *vec, const char *elem, const char *arena, const char *value);
void em_bind(Emit *e, const char *name, const char *c);
const char *em_lookup(Emit *e, const char *name);


/* emit_extern.c: the program's extern (C) functions */
/* Their header, and a check that each C declaration has the types the
 * extern block says: with tcc first, for an error at the declaration in
 * the .flow file; then in the generated C itself. */
void em_externs(Emit *e, Item *it);
/* The C call of the program's function `name` with the C values args: a
 * flow function takes the arena for new values first; an extern (C) one
 * takes just its arguments, and a str it returns is copied at once. */
const char *em_fn_call(Emit *e, const char *name, const char *const *args, int nargs);

/* emit_loop.c: the loops' globals, init and step */
Type *el_state_type(const Loop *l);
Type *el_delta_type(const Loop *l);
/* The C global (and its arena, and its type) a value sink fills: a value
 * call's pv_K, or a loop's delta ld_K. */
const char *el_value_global(Emit *e, const PlanNode *n);
const char *el_value_arena(Emit *e, const PlanNode *n);
Type *el_value_type(Emit *e, const PlanNode *n);
void el_globals(Emit *e);
void el_init(Emit *e, int seg);              /* in phase seg's init: its loop's max and state */
void el_next_fns(Emit *e);                    /* loop_K_next per loop */
const char *el_free(Emit *e);                 /* main's lines freeing their memory */

/* emit_stage.c: what emit_window.c shares of a stage being emitted */
/* The hash table type `name` (flowgen.h's FL_HT, FL_HT_STR for str keys)
 * of keys of type kt and values of C type val. */
void se_ht_decl(Emit *e, const char *name, Type *kt, const char *val);
typedef struct SE {
    Emit *e;
    const Stages *st;
    Stage *s;
    int base;               /* the phase's first stage in the job's table */
    int phase;
    FILE *fields;           /* the fields of its state struct st_K, as they are asked for */
    EScope *globals;        /* the names every function of the stage sees */
} SE;
void se_field(SE *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));   /* a field of st_K */
const char *se_arena(SE *x, PlanNode *n);               /* the C expression of node n's arena */
Type *se_row_type(Emit *e, PlanNode *n);                /* the rows n gives ((key, value) when keyed) */
const char *se_lambda(SE *x, Expr *fn, const char *arg);   /* fn(arg) into a fresh temporary */
void se_consume(SE *x, PlanNode *n, const char *row);   /* row, given by n, through what follows n */
void se_consume_some(SE *x, PlanNode *n, const char *row, int late);   /* event_time: on time (0) or late (1) */
void se_prologue(SE *x, const char *sig, int with_state);   /* a stage function's first lines */
const char *se_until_sent(SE *x, PlanNode *n);          /* a source loop's test: stop after a batch left */
void se_produced(SE *x);                                /* after a source's rows of one call */
/* A line source's loop, opened: _line is the call's next line of S->r (the
 * loop ends at the source's end); the caller closes it. */
void se_lines_loop(SE *x, PlanNode *n);
void se_epilogue(SE *x);

/* emit_block.c: k-means' argmin a block of rows at a time */
enum { EB_ROWS = 256 };
Expr *eb_argmin(PlanNode *c);   /* the argmin of map c's lambda that can be, or NULL */
/* The loop over a store chunk's rows _ch[_i .. _n) (sent: the condition
 * that stops it after a batch left), n's consumer being a map with eb_argmin am. */
void eb_store_rows(SE *x, PlanNode *n, Expr *am, const char *sent);

/* emit_window.c: windows, and the times of rows */
void ew_decl(SE *x, PlanNode *n);           /* in open: its state */
void ew_functions(SE *x, PlanNode *n);      /* its functions, before the stage's */
void ew_row(SE *x, PlanNode *n, const char *row);   /* a row reaches it */
void ew_finish(SE *x, PlanNode *n);         /* at close: every window fires */
void ew_evtime(SE *x, PlanNode *n, const char *row);   /* event_time: stamp, late or on */
void ew_time_fields(SE *x);                 /* in open: the stage's time origins */
/* After a source's call or a batch (input: 0), or on a WATERMARK/TIMER
 * signal (input: 1): windows fire, watermarks go out. */
void ew_time_points(SE *x, int input);
int ew_stage_has_proc(SE *x);               /* a window on the real clock (timers) */
Type *ew_key(PlanNode *n);                  /* the key type of a window's state, or NULL */
/* interval_join: its state, its function (the watermark's release), a row of side 0 or 1, close */
void ew_ijoin_open(SE *x, PlanNode *n);
void ew_ijoin_functions(SE *x, PlanNode *n);
void ew_ijoin_row(SE *x, PlanNode *n, const char *row, int side);
void ew_ijoin_close(SE *x, PlanNode *n);
const char *ew_state_size(SE *x, PlanNode *n);   /* a window's panes waiting, an interval join's keys */

/* emit_type.c: a tuple's or record's parts: their C member names (_0... or the
 * field names) and types; returns how many. */
int et_parts(Emit *e, Type *t, const char ***acc, Type ***types);

/* emit_json.c: JSON Lines (read_jsonl, write_jsonl) */
void ej_helper(Emit *e, const char *what, Type *t, const char *fn, const char *c);   /* dj_T, json_T */
void ej_open(SE *x, PlanNode *n);
void ej_produce(SE *x, PlanNode *n);
void ej_sink_row(SE *x, PlanNode *n, Type *rt, const char *row);

/* emit_arrow.c: write_arrow */
void ea_helper(Emit *e, Type *t, const char *fn, const char *c);   /* aw_T */
void ea_sink_open(SE *x, PlanNode *n, Type *rt, int keyed, const char *path);
void ea_sink_row(SE *x, PlanNode *n, Type *rt, const char *row);
void ea_read_helper(Emit *e, Type *t, const char *fn, const char *c);   /* ar_T */
void ea_open(SE *x, PlanNode *n);            /* read_arrow */
void ea_produce(SE *x, PlanNode *n);

/* emit_lib.c: the C API (flowc build --lib) */
int el_host_index(Emit *e, PlanNode *n, Type *row, int out);   /* n's number among host_rows (out 0) or to_host */
void el_host_open(SE *x, PlanNode *n);
void el_host_produce(SE *x, PlanNode *n);
void el_lib_api(Emit *e, FILE *out, Program *p, const char *prefix, const char *freeing);
void el_lib_header(Emit *e, FILE *h, Program *p, const char *prefix);

/* emit_count.c: the stage's counters (fl_task.counts) and operator table */
void ec_row(SE *x, PlanNode *n);             /* a row handed on by n */
void ec_rows(SE *x, PlanNode *n, const char *count);   /* count rows at once (flat_map) */
void ec_gauges(SE *x);                       /* end of a call: the state sizes' peaks */
int ec_first_gauge(const Stage *s);
int ec_ncounts(SE *x);
/* stage_K_ops[] and STAGE_K_COUNTS (ncounts, first_gauge) */
void ec_ops_table(SE *x);

/* emit_type.c */
const char *et_name(Emit *e, Type *t);          /* the C type of t */
const char *et_helper(Emit *e, const char *what, Type *t);  /* copy, eq, hash, cmp, print, csv, csvh,
                                                              ser, de, serb, deb */

/* emit_expr.c */
const char *ex_expr(Emit *e, Expr *x);          /* statements to e->f; returns a C expression */
/* Before emitting the then (branch 1) or else (0) branch of `if cond`:
 * records the i64 variable the condition proves non-negative there
 * (`x > 0`, `x <= 1` false...), so that x / 2^k and x % 2^k are a shift
 * and a mask. Returns what to restore e->nnonneg to after the branch. */
int ex_fact(Emit *e, Expr *cond, int branch);
/* Binds the lambda's parameter patterns to the C values args[] and
 * returns its body's value (statements to e->f). The scope is left
 * extended; callers restore e->scope. */
const char *ex_lambda(Emit *e, Expr *lambda, const char **args, int nargs);
/* The same for a folding lambda: its first parameter (the accumulator,
 * owned by the fold) may be changed in place by set and update. */
const char *ex_lambda_acc(Emit *e, Expr *lambda, const char **args, int nargs);
/* Whether expression x names a fold's accumulator. */
int ex_is_owned(Emit *e, Expr *x);
void ex_bind_pattern(Emit *e, Pattern *p, const char *value, Type *t);

#endif
