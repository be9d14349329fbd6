/* types.h - the types of the flow language, including the compile-time
 * only stream types, type variables and unification (used to infer lambda
 * parameter types and the generic builtins' instances). */
#ifndef FLOWC_TYPES_H
#define FLOWC_TYPES_H

#include <stdio.h>

#include "arena.h"
#include "diag.h"

typedef enum {
    TY_ERROR,    /* after an error: unifies with anything, never reported */
    TY_I64, TY_F64, TY_BOOL, TY_STR, TY_UNIT,
    TY_TUPLE, TY_RECORD, TY_VEC, TY_OPT,
    TY_FN,       /* a lambda's type (lambdas are only passed to operators) */
    TY_VAR,      /* an inference variable */
    TY_GEN,      /* a generic parameter of a builtin signature (template) */
    TY_STREAM,   /* compile-time only: a stream, keyed or windowed */
    TY_WINSPEC,  /* a window: count(..), tumbling(..), ... */
    TY_TXN,      /* a transaction window's decision: commit(), keep(), ... */
    TY_SINK,     /* what a sink returns */
    TY_TYPEARG,  /* a type passed as an argument: read_csv(p, Point) */
    TY_SYM       /* a symbolic argument: how: inner */
} TypeKind;

typedef enum { SH_PLAIN, SH_KEYED, SH_WINDOWED, SH_KWINDOWED, SH_ELEMS } StreamShape;
typedef enum { WK_ANY, WK_COUNT, WK_TUMBLING, WK_SLIDING, WK_SESSION, WK_TXN } WinKind;
/* Classes a type variable may be restricted to; a variable may carry several
 * (a set of bits): a number usable as a key is an i64. */
typedef enum { TC_NONE = 0, TC_NUM = 1, TC_ORD = 2, TC_KEY = 4 } TypeClass;

typedef struct Type Type;

typedef struct Field {
    const char *name;
    Type *type;
    Loc loc;
} Field;

struct Type {
    TypeKind kind;
    union {
        struct { Type **elems; int n; } tuple;
        struct { const char *name; Field *fields; int n; Loc loc; int builtin; } rec;
        Type *elem;   /* TY_VEC, TY_OPT, TY_TYPEARG */
        struct { Type **params; int n; Type *ret; } fn;
        struct { Type *ref; int id; int tc; } var;     /* TY_VAR, TY_GEN */
        struct {
            Type *elem, *key;        /* key: keyed shapes only */
            StreamShape shape;
            int evtime;              /* carries event time (event_time(..) upstream) */
            int win_event;           /* windowed: the window uses event time */
        } stream;
        struct { Type *elem; WinKind wk; } win;
        struct { const char **names; int n; int chosen; } sym;
    } u;
};

extern Type type_error_t, type_i64_t, type_f64_t, type_bool_t, type_str_t, type_unit_t,
    type_txn_t, type_sink_t;
#define TYPE_ERROR (&type_error_t)
#define TYPE_I64 (&type_i64_t)
#define TYPE_F64 (&type_f64_t)
#define TYPE_BOOL (&type_bool_t)
#define TYPE_STR (&type_str_t)
#define TYPE_UNIT (&type_unit_t)
#define TYPE_TXN (&type_txn_t)
#define TYPE_SINK (&type_sink_t)

Type *type_new(Arena *a, TypeKind kind);
Type *type_vec(Arena *a, Type *elem);
Type *type_opt(Arena *a, Type *elem);
Type *type_tuple(Arena *a, Type **elems, int n);
Type *type_pair(Arena *a, Type *x, Type *y);
Type *type_fn(Arena *a, Type **params, int n, Type *ret);
Type *type_var(Arena *a, TypeClass tc);
Type *type_stream(Arena *a, StreamShape shape, Type *key, Type *elem);
Type *type_winspec(Arena *a, WinKind wk, Type *elem);
/* The built-in record Window<V> { start: i64, end: i64, value: V }. */
Type *type_window(Arena *a, Type *value);
/* The built-in record Date { year, month, day, hour, minute, second, weekday
 * (0 = Monday), yday (0 = January 1st): i64 }. */
Type *type_date(Arena *a);

Type *type_prune(Type *t);           /* follows bound variables */
int type_is(Type *t, TypeKind k);    /* after pruning */
int type_is_stream(Type *t);
int type_has_stream(Type *t);        /* a stream anywhere inside (tuples) */
int type_has_vars(Type *t);          /* an unbound variable anywhere inside */
int type_has_error(Type *t);
/* The number of nodes of t as a tree, counting no further than cap + 1. */
int type_node_count(Type *t, int cap);        /* an error type anywhere inside */
int type_is_scalar(Type *t);         /* i64 f64 bool str */
int type_is_flat(Type *t);           /* holds no pointer: no str or vec anywhere inside */
const Field *type_field(Type *rec, const char *name);

/* Makes a and b equal by binding variables; 1 on success. On failure
 * nothing useful is left bound, so callers report and use TYPE_ERROR. */
int type_unify(Type *a, Type *b);
/* Whether t belongs to every class in tc (numbers, ordered, usable as a key). */
int type_in_class(Type *t, int tc);
const char *type_class_name(int tc);

/* Copies a template, replacing TY_GEN i with vars[i] (made on demand). */
Type *type_instantiate(Arena *a, Type *t, Type **vars);

void type_print(FILE *out, Type *t);
const char *type_str(Arena *a, Type *t);

#endif
