/* ast.c - constructors for syntax tree nodes and the S-expression dump
 * behind `flowc check --dump-ast` / `--dump-types`. */
#include "ast.h"

#include <string.h>

#include "types.h"

Expr *ast_expr(Arena *a, ExprKind kind, Loc loc)
{
    Expr *e = arena_alloc(a, sizeof *e);
    e->kind = kind;
    e->loc = loc;
    return e;
}

Expr *ast_binary(Arena *a, Loc loc, OpKind op, Loc op_loc, Expr *lhs, Expr *rhs)
{
    Expr *e = ast_expr(a, EX_BINARY, loc);
    e->u.bin.op = op;
    e->u.bin.op_loc = op_loc;
    e->u.bin.lhs = lhs;
    e->u.bin.rhs = rhs;
    return e;
}

Expr *ast_unary(Arena *a, Loc loc, OpKind op, Expr *operand)
{
    Expr *e = ast_expr(a, EX_UNARY, loc);
    e->u.bin.op = op;
    e->u.bin.op_loc = loc;
    e->u.bin.lhs = operand;
    return e;
}

Expr *ast_name(Arena *a, Loc loc, const char *name, int is_type)
{
    Expr *e = ast_expr(a, is_type ? EX_TYPENAME : EX_NAME, loc);
    e->u.name.name = name;
    return e;
}

Pattern *ast_pattern(Arena *a, PatKind kind, Loc loc)
{
    Pattern *p = arena_alloc(a, sizeof *p);
    p->kind = kind;
    p->loc = loc;
    return p;
}

TypeExpr *ast_typeexpr(Arena *a, TypeExprKind kind, Loc loc, const char *name)
{
    TypeExpr *t = arena_alloc(a, sizeof *t);
    t->kind = kind;
    t->loc = loc;
    t->name = name;
    return t;
}

Item *ast_item(Arena *a, ItemKind kind, Loc loc)
{
    Item *it = arena_alloc(a, sizeof *it);
    it->kind = kind;
    it->loc = loc;
    return it;
}

Stmt *ast_stmt(Arena *a, Loc loc, Pattern *pat, TypeExpr *annot, Expr *value)
{
    Stmt *s = arena_alloc(a, sizeof *s);
    s->loc = loc;
    s->pat = pat;
    s->annot = annot;
    s->value = value;
    return s;
}

const char *ast_op_name(OpKind op)
{
    static const char *names[] = {"+", "-", "*", "/", "%", "==", "!=", "<", "<=",
                                  ">", ">=", "&&", "||", "-", "!"};
    return names[op];
}

/* ---- walking ---- */

static int ast_push(Expr **out, int n, int max, Expr *e)
{
    if (e && n < max)
        out[n] = e;
    return e ? n + 1 : n;
}

int ast_children(const Expr *e, Expr **out, int max)
{
    int n = 0;
    switch (e->kind) {
    case EX_UNARY: n = ast_push(out, n, max, e->u.bin.lhs); break;
    case EX_BINARY:
        n = ast_push(out, n, max, e->u.bin.lhs);
        n = ast_push(out, n, max, e->u.bin.rhs);
        break;
    case EX_CAST: n = ast_push(out, n, max, e->u.cast.value); break;
    case EX_CALL:
    case EX_METHOD:
        n = ast_push(out, n, max, e->u.call.recv);
        for (int i = 0; i < e->u.call.nargs; i++)
            n = ast_push(out, n, max, e->u.call.args[i]->value);
        break;
    case EX_FIELD:
    case EX_TINDEX: n = ast_push(out, n, max, e->u.field.recv); break;
    case EX_TUPLE:
    case EX_VEC:
        for (int i = 0; i < e->u.list.n; i++)
            n = ast_push(out, n, max, e->u.list.elems[i]);
        break;
    case EX_RECORD:
        for (int i = 0; i < e->u.rec.n; i++)
            n = ast_push(out, n, max, e->u.rec.fields[i]->value);
        break;
    case EX_IF:
        n = ast_push(out, n, max, e->u.ifx.cond);
        n = ast_push(out, n, max, e->u.ifx.then);
        n = ast_push(out, n, max, e->u.ifx.els);
        break;
    case EX_BLOCK:
        for (int i = 0; i < e->u.block.n; i++)
            n = ast_push(out, n, max, e->u.block.stmts[i]->value);
        n = ast_push(out, n, max, e->u.block.result);
        break;
    case EX_LAMBDA: n = ast_push(out, n, max, e->u.lambda.body); break;
    default: break;
    }
    return n;
}

Expr *ast_too_deep(Arena *a, Expr *root, int limit)
{
    typedef struct { Expr *e; int depth; } Frame;
    int cap = 256, top = 0;
    Frame *stack = arena_alloc(a, sizeof(Frame) * (size_t)cap);
    stack[top++] = (Frame){root, 1};
    while (top > 0) {
        Frame f = stack[--top];
        if (f.depth > limit)
            return f.e;
        int n = ast_children(f.e, NULL, 0);
        if (top + n > cap) {
            Frame *bigger = arena_alloc(a, sizeof(Frame) * (size_t)(cap * 2 + n));
            memcpy(bigger, stack, sizeof(Frame) * (size_t)top);
            stack = bigger;
            cap = cap * 2 + n;
        }
        Expr **kids = arena_alloc(a, sizeof(Expr *) * (size_t)(n ? n : 1));
        ast_children(f.e, kids, n);
        for (int i = 0; i < n; i++)
            stack[top++] = (Frame){kids[i], f.depth + 1};
    }
    return NULL;
}

/* ---- dump ---- */

static int dump_types;

void ast_dump_typeexpr(FILE *out, const TypeExpr *t)
{
    if (t->kind == TX_NAME) {
        fputs(t->name, out);
        return;
    }
    fputs(t->kind == TX_TUPLE ? "(" : t->name, out);
    if (t->kind == TX_GENERIC)
        fputc('<', out);
    for (int i = 0; i < t->nargs; i++) {
        if (i)
            fputs(", ", out);
        ast_dump_typeexpr(out, t->args[i]);
    }
    fputc(t->kind == TX_TUPLE ? ')' : '>', out);
}

static void dump_pattern(FILE *out, const Pattern *p)
{
    if (p->kind == PAT_WILD)
        fputc('_', out);
    else if (p->kind == PAT_NAME)
        fputs(p->name, out);
    else {
        fputc('(', out);
        for (int i = 0; i < p->nelems; i++) {
            if (i)
                fputs(", ", out);
            dump_pattern(out, p->elems[i]);
        }
        fputc(')', out);
    }
    if (p->annot) {
        fputs(": ", out);
        ast_dump_typeexpr(out, p->annot);
    }
}

static void dump_expr(FILE *out, const Expr *e, int ind);

static void dump_nl(FILE *out, int ind) { fprintf(out, "\n%*s", ind * 2, ""); }

static void dump_str(FILE *out, const char *p, int64_t n)
{
    fputc('"', out);
    for (int64_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 32 || c >= 127)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void dump_list(FILE *out, Expr **es, int n, int ind)
{
    for (int i = 0; i < n; i++) {
        dump_nl(out, ind);
        dump_expr(out, es[i], ind);
    }
}

static void dump_call(FILE *out, const Expr *e, int ind)
{
    fprintf(out, "(%s %s", e->kind == EX_METHOD ? "method" : "call", e->u.call.name);
    if (e->u.call.recv) {
        dump_nl(out, ind + 1);
        dump_expr(out, e->u.call.recv, ind + 1);
    }
    for (int i = 0; i < e->u.call.nargs; i++) {
        dump_nl(out, ind + 1);
        if (e->u.call.args[i]->name)
            fprintf(out, "%s: ", e->u.call.args[i]->name);
        dump_expr(out, e->u.call.args[i]->value, ind + 1);
    }
    fputc(')', out);
}

static void dump_compound(FILE *out, const Expr *e, int ind)
{
    switch (e->kind) {
    case EX_TUPLE:
    case EX_VEC:
        fputs(e->kind == EX_TUPLE ? "(tuple" : "(vec", out);
        dump_list(out, e->u.list.elems, e->u.list.n, ind + 1);
        break;
    case EX_RECORD:
        fprintf(out, "(record %s", e->u.rec.name);
        for (int i = 0; i < e->u.rec.n; i++) {
            dump_nl(out, ind + 1);
            fprintf(out, "%s: ", e->u.rec.fields[i]->name);
            dump_expr(out, e->u.rec.fields[i]->value, ind + 1);
        }
        break;
    case EX_IF:
        fputs("(if", out);
        Expr *parts[] = {e->u.ifx.cond, e->u.ifx.then, e->u.ifx.els};
        dump_list(out, parts, 3, ind + 1);
        break;
    case EX_BLOCK:
        fputs("(block", out);
        for (int i = 0; i < e->u.block.n; i++) {
            dump_nl(out, ind + 1);
            fputs("(let ", out);
            dump_pattern(out, e->u.block.stmts[i]->pat);
            fputc(' ', out);
            dump_expr(out, e->u.block.stmts[i]->value, ind + 2);
            fputc(')', out);
        }
        dump_list(out, &((Expr *)e)->u.block.result, 1, ind + 1);
        break;
    default: /* EX_LAMBDA */
        fputs("(lambda (", out);
        for (int i = 0; i < e->u.lambda.n; i++) {
            if (i)
                fputc(' ', out);
            dump_pattern(out, e->u.lambda.params[i]);
        }
        fputc(')', out);
        dump_list(out, &((Expr *)e)->u.lambda.body, 1, ind + 1);
        break;
    }
    fputc(')', out);
}

static void dump_expr_plain(FILE *out, const Expr *e, int ind)
{
    switch (e->kind) {
    case EX_INT: fprintf(out, "%lld", (long long)e->u.ival); break;
    case EX_DURATION: fprintf(out, "%lldms", (long long)e->u.ival); break;
    case EX_FLOAT: fprintf(out, "%.17g", e->u.fval); break;
    case EX_BOOL: fputs(e->u.ival ? "true" : "false", out); break;
    case EX_STR: dump_str(out, e->u.str.ptr, e->u.str.len); break;
    case EX_NAME:
    case EX_TYPENAME: fputs(e->u.name.name, out); break;
    case EX_UNARY:
    case EX_BINARY:
        fprintf(out, "(%s", ast_op_name(e->u.bin.op));
        dump_list(out, &((Expr *)e)->u.bin.lhs, e->kind == EX_BINARY ? 2 : 1, ind + 1);
        fputc(')', out);
        break;
    case EX_CAST:
        fputs("(as", out);
        dump_list(out, &((Expr *)e)->u.cast.value, 1, ind + 1);
        fprintf(out, " %s)", e->u.cast.to);
        break;
    case EX_CALL:
    case EX_METHOD: dump_call(out, e, ind); break;
    case EX_FIELD:
    case EX_TINDEX:
        fputs("(field", out);
        dump_list(out, &((Expr *)e)->u.field.recv, 1, ind + 1);
        if (e->kind == EX_FIELD)
            fprintf(out, " %s)", e->u.field.name);
        else
            fprintf(out, " %d)", e->u.field.index);
        break;
    default: dump_compound(out, e, ind); break;
    }
}

static void dump_expr(FILE *out, const Expr *e, int ind)
{
    dump_expr_plain(out, e, ind);
    if (dump_types && e->type) {
        fputs(" : ", out);
        type_print(out, e->type);
    }
}

static void dump_fn(FILE *out, const FnDecl *f)
{
    fprintf(out, "(%s %s (", f->is_extern ? "extern-fn" : "fn", f->name);
    for (int i = 0; i < f->nparams; i++) {
        fprintf(out, "%s%s: ", i ? " " : "", f->params[i]->name);
        ast_dump_typeexpr(out, f->params[i]->type);
    }
    fputs(") ", out);
    ast_dump_typeexpr(out, f->ret);
    if (f->body) {
        dump_nl(out, 1);
        dump_expr(out, f->body, 1);
    }
    fputc(')', out);
}

static void dump_item(FILE *out, const Item *it)
{
    switch (it->kind) {
    case IT_PARAM:
        fprintf(out, "(param %s ", it->u.param.name);
        ast_dump_typeexpr(out, it->u.param.type);
        fputc(' ', out);
        dump_expr(out, it->u.param.value, 1);
        fputc(')', out);
        break;
    case IT_TYPE:
        fprintf(out, "(type %s", it->u.type.name);
        for (int i = 0; i < it->u.type.n; i++) {
            fprintf(out, " (%s ", it->u.type.fields[i]->name);
            ast_dump_typeexpr(out, it->u.type.fields[i]->type);
            fputc(')', out);
        }
        fputc(')', out);
        break;
    case IT_FN: dump_fn(out, &it->u.fn); break;
    case IT_EXTERN:
        fprintf(out, "(extern \"%s\"", it->u.ext.header);
        for (int i = 0; i < it->u.ext.n; i++) {
            dump_nl(out, 1);
            dump_fn(out, it->u.ext.fns[i]);
        }
        fputc(')', out);
        break;
    case IT_USE: fprintf(out, "(use %s)", it->u.use.module); break;
    case IT_LET:
        fputs("(let ", out);
        dump_pattern(out, it->u.let.pat);
        dump_nl(out, 1);
        dump_expr(out, it->u.let.value, 1);
        fputc(')', out);
        break;
    case IT_EXPR:
        fputs("(pipeline", out);
        dump_nl(out, 1);
        dump_expr(out, it->u.expr.expr, 1);
        fputc(')', out);
        break;
    }
    fputc('\n', out);
}

void ast_dump(FILE *out, const Program *p, int with_types)
{
    dump_types = with_types;
    for (int i = 0; i < p->nitems; i++)
        dump_item(out, p->items[i]);
}
