/* sema_int.h - what the files of the semantic analysis share (sema.c:
 * items and names; sema_expr.c: expressions; sema_call.c: calls of
 * operators and functions). Not used outside compiler/sema*.c. */
#ifndef FLOWC_SEMA_INT_H
#define FLOWC_SEMA_INT_H

#include "ast.h"
#include "ops.h"
#include "sema.h"
#include "types.h"

typedef enum { B_PARAM, B_LET, B_LOCAL, B_FN } BindKind;

typedef struct Binding Binding;
struct Binding {
    const char *name;
    BindKind kind;
    Type *type;
    Loc loc;
    const char *why;      /* where the type came from, for notes */
    int uses;
    int defined;          /* top-level lets: checked already */
    int single;           /* top-level lets: a stream of one element (.one() makes it a value) */
    int refused;          /* named where a stream cannot be: reported once, then silent */
    Op *fn;               /* B_FN: the function as a callable signature */
    FnDecl *decl;
    Binding *next;
};

typedef struct Sema {
    Arena *a;
    Diag *d;
    OpTable *ops;
    int main_file;
    Binding *globals;     /* params, lets, functions, newest first */
    Binding **gtab;       /* ... and a hash table of them by name */
    int gcap, gcount;
    Binding *locals;      /* innermost first */
    PtrVec records;       /* Type* of every record */
    int stream_ok;        /* a stream may be named here */
    int in_fn;            /* checking a function body */
    int in_loop_body;     /* checking an iterate/replay body */
    Loc loop_loc;
    const char *lambda_op;  /* the operator a lambda being checked is passed to */
    const char *lambda_param;  /* ... and the parameter it is passed as */
    int in_param;         /* checking a param default */
    int toplevel_pattern; /* binding a top-level let's pattern (names checked already) */
} Sema;

/* sema.c */
Binding *sema_lookup(Sema *s, const char *name);
Binding *sema_bind(Sema *s, Binding **list, const char *name, BindKind kind, Type *t, Loc loc);
void sema_bind_pattern(Sema *s, Pattern *p, Type *t, const char *why, Binding **list);
Type *sema_resolve_type(Sema *s, TypeExpr *t);
Type *sema_find_record(Sema *s, const char *name);
void sema_unknown_type(Sema *s, const char *name, Loc loc);
const char *sema_tstr(Sema *s, Type *t);

/* sema_expr.c */
Type *sema_expr(Sema *s, Expr *e, Type *expected);
/* Checks e against `want`; on a mismatch reports "CTX: expected .., found .."
 * (ctx NULL: "mismatched types"). Returns the type to carry on with. */
Type *sema_expect(Sema *s, Expr *e, Type *want, const char *ctx);
void sema_mismatch(Sema *s, Expr *e, Type *want, Type *got, const char *ctx);
int sema_has_lambda(Expr *e);
/* Whether e is a stream of one element: a whole-stream aggregation, a map
 * or inspect of one, or a let bound to one. */
int sema_single_stream(Expr *e);

/* sema_call.c */
Type *sema_call(Sema *s, Expr *e, Type *expected);
Op *sema_fn_op(Sema *s, FnDecl *f);

#endif
