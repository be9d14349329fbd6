/* ast.h - the syntax tree of a .flow program: tagged unions (kind + loc +
 * per-kind fields) built by constructors, all in the compilation's arena. */
#ifndef FLOWC_AST_H
#define FLOWC_AST_H

#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "diag.h"

typedef struct Type Type;   /* types.h: filled in by sema */

/* ---- type expressions (what the user writes after `:` and `->`) ---- */
typedef enum { TX_NAME, TX_GENERIC, TX_TUPLE } TypeExprKind;

typedef struct TypeExpr TypeExpr;
struct TypeExpr {
    TypeExprKind kind;
    Loc loc;
    const char *name;          /* TX_NAME, TX_GENERIC: i64, Point, vec, opt */
    TypeExpr **args;           /* TX_GENERIC arguments, TX_TUPLE elements */
    int nargs;
};

/* ---- patterns: `x`, `_`, `(a, (b, c))`, optionally `x: T` ---- */
typedef enum { PAT_NAME, PAT_WILD, PAT_TUPLE } PatKind;

typedef struct Pattern Pattern;
struct Pattern {
    PatKind kind;
    Loc loc;
    const char *name;          /* PAT_NAME */
    Pattern **elems;           /* PAT_TUPLE */
    int nelems;
    TypeExpr *annot;           /* optional annotation */
    Type *type;                /* sema */
};

/* ---- expressions ---- */
typedef enum {
    EX_INT, EX_FLOAT, EX_STR, EX_BOOL, EX_DURATION,
    EX_NAME,       /* x */
    EX_TYPENAME,   /* Point, used as a type argument: read_csv(p, Point) */
    EX_UNARY, EX_BINARY, EX_CAST,
    EX_CALL,       /* f(args) */
    EX_METHOD,     /* recv.f(args) */
    EX_FIELD,      /* recv.x */
    EX_TINDEX,     /* recv.0 */
    EX_TUPLE, EX_VEC, EX_RECORD, EX_IF, EX_BLOCK, EX_LAMBDA
} ExprKind;

typedef enum {
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_AND, OP_OR, OP_NEG, OP_NOT
} OpKind;

typedef struct Expr Expr;
typedef struct Stmt Stmt;

typedef struct Arg {
    const char *name;          /* NULL for a positional argument */
    Loc name_loc;
    Expr *value;
} Arg;

typedef struct FieldInit {
    const char *name;
    Loc name_loc;
    Expr *value;
} FieldInit;

struct Expr {
    ExprKind kind;
    Loc loc;
    Type *type;                /* sema */
    union {
        int64_t ival;          /* EX_INT, EX_DURATION (milliseconds), EX_BOOL */
        double fval;           /* EX_FLOAT */
        struct { const char *ptr; int64_t len; } str;   /* EX_STR, unescaped */
        struct { const char *name; void *sym; } name;    /* EX_NAME, EX_TYPENAME */
        struct { OpKind op; Expr *lhs, *rhs; Loc op_loc; } bin;   /* rhs NULL: unary */
        struct { Expr *value; const char *to; Loc to_loc; } cast;
        struct {
            Expr *recv;        /* EX_METHOD only */
            const char *name;
            Loc name_loc;
            Arg **args;
            int nargs;
            const void *op;    /* sema: the resolved operator or function */
            Expr **slots;      /* sema: per parameter of op, the argument matched to it, or NULL */
        } call;
        struct { Expr *recv; const char *name; Loc name_loc; int index; } field;
        struct { Expr **elems; int n; } list;            /* EX_TUPLE, EX_VEC */
        struct { const char *name; Loc name_loc; FieldInit **fields; int n; } rec;
        struct { Expr *cond, *then, *els; } ifx;
        struct { Stmt **stmts; int n; Expr *result; } block;
        struct { Pattern **params; int n; Expr *body; } lambda;
    } u;
};

struct Stmt {                  /* `let PAT (: T)? = EXPR;` inside a block */
    Loc loc;
    Pattern *pat;
    TypeExpr *annot;
    Expr *value;
};

/* ---- items ---- */
typedef enum { IT_PARAM, IT_TYPE, IT_FN, IT_EXTERN, IT_USE, IT_LET, IT_EXPR } ItemKind;

typedef struct Param {
    const char *name;
    Loc loc;
    TypeExpr *type;
} Param;

typedef struct FnDecl {
    const char *name;
    Loc name_loc;
    Param **params;
    int nparams;
    TypeExpr *ret;
    Expr *body;                /* NULL for an extern declaration */
    Type *type;                /* sema: the function type */
    int is_extern;
    const char *header;        /* extern: the C header */
} FnDecl;

typedef struct Item Item;
struct Item {
    ItemKind kind;
    Loc loc;
    union {
        struct { const char *name; Loc name_loc; TypeExpr *type; Expr *value; int uses; } param;
        struct { const char *name; Loc name_loc; Param **fields; int n; Type *type; } type;
        FnDecl fn;
        struct { const char *header; Loc header_loc; FnDecl **fns; int n; } ext;
        struct { const char *module; int is_path; Loc name_loc; } use;
        struct { Pattern *pat; TypeExpr *annot; Expr *value; } let;
        struct { Expr *expr; } expr;
    } u;
};

typedef struct Program {
    Item **items;
    int nitems;
} Program;

/* Constructors: each takes the arena and the node's location. */
Expr *ast_expr(Arena *a, ExprKind kind, Loc loc);
Expr *ast_binary(Arena *a, Loc loc, OpKind op, Loc op_loc, Expr *lhs, Expr *rhs);
Expr *ast_unary(Arena *a, Loc loc, OpKind op, Expr *operand);
Expr *ast_name(Arena *a, Loc loc, const char *name, int is_type);
Pattern *ast_pattern(Arena *a, PatKind kind, Loc loc);
TypeExpr *ast_typeexpr(Arena *a, TypeExprKind kind, Loc loc, const char *name);
Item *ast_item(Arena *a, ItemKind kind, Loc loc);
Stmt *ast_stmt(Arena *a, Loc loc, Pattern *pat, TypeExpr *annot, Expr *value);

const char *ast_op_name(OpKind op);
/* The direct subexpressions of e, in source order, into out (at most max);
 * returns how many there are. */
int ast_children(const Expr *e, Expr **out, int max);
/* The first expression more than `limit` levels deep inside e, or NULL.
 * Iterative, so it is safe on any tree the parser can build. */
Expr *ast_too_deep(Arena *a, Expr *e, int limit);
/* S-expression dump of the tree (flowc check --dump-ast). */
/* with_types: annotate each expression with the type sema gave it. */
void ast_dump(FILE *out, const Program *p, int with_types);

void ast_dump_typeexpr(FILE *out, const TypeExpr *t);

#endif
