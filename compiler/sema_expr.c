/* sema_expr.c - semantic analysis, part 2: the type of every expression
 * (literals, names, operators, casts, fields, tuples, vectors, records,
 * if/else, blocks, lambdas), inferred bottom-up and checked against what
 * the context expects. Calls are in sema_call.c. */
#include "sema_int.h"

#include <string.h>

int sema_has_lambda(Expr *e)
{
    if (e->kind == EX_LAMBDA)
        return 1;
    if (e->kind == EX_TUPLE)
        for (int i = 0; i < e->u.list.n; i++)
            if (sema_has_lambda(e->u.list.elems[i]))
                return 1;
    return 0;
}

int sema_single_stream(Expr *e)
{
    if (e->kind == EX_NAME) {
        const Binding *b = e->u.name.sym;
        return b && b->single;
    }
    const Op *op = e->kind == EX_CALL || e->kind == EX_METHOD ? e->u.call.op : NULL;
    if (!op || !op->def)
        return 0;
    if (!strcmp(op->def->group, "aggregate"))
        return 1;
    Expr *recv = e->kind == EX_METHOD ? e->u.call.recv : e->u.call.nargs ? e->u.call.args[0]->value : NULL;
    return op->recv && recv && (!strcmp(op->name, "map") || !strcmp(op->name, "inspect")) &&
           sema_single_stream(recv);
}

/* A note at the binding of a name whose type took part in a mismatch. */
static void sema_why(Sema *s, Expr *e)
{
    if (e->kind != EX_NAME || !e->u.name.sym)
        return;
    Binding *b = e->u.name.sym;
    if (b->why && b->loc.file >= 0 && b->kind != B_FN)
        diag_note(s->d, b->loc, "`%s` has type %s %s", b->name, sema_tstr(s, b->type), b->why);
}

/* Where `got` breaks a class that `want` asks for (a key, a number, an
 * ordered type): the concrete type found at the spot, or NULL. */
static Type *sema_class_culprit(Type *want, Type *got, int *tc)
{
    want = type_prune(want);
    got = type_prune(got);
    if (want->kind == TY_VAR && want->u.var.tc != TC_NONE && got->kind != TY_VAR && !type_in_class(got, want->u.var.tc)) {
        *tc = want->u.var.tc;
        return got;
    }
    if (want->kind != got->kind)
        return NULL;
    Type *r = NULL;
    switch (want->kind) {
    case TY_TUPLE:
        for (int i = 0; !r && i < want->u.tuple.n && i < got->u.tuple.n; i++)
            r = sema_class_culprit(want->u.tuple.elems[i], got->u.tuple.elems[i], tc);
        return r;
    case TY_VEC: case TY_OPT: return sema_class_culprit(want->u.elem, got->u.elem, tc);
    case TY_STREAM:
        if (want->u.stream.key && got->u.stream.key)
            r = sema_class_culprit(want->u.stream.key, got->u.stream.key, tc);
        return r ? r : sema_class_culprit(want->u.stream.elem, got->u.stream.elem, tc);
    case TY_FN:
        for (int i = 0; !r && i < want->u.fn.n && i < got->u.fn.n; i++)
            r = sema_class_culprit(want->u.fn.params[i], got->u.fn.params[i], tc);
        return r ? r : sema_class_culprit(want->u.fn.ret, got->u.fn.ret, tc);
    default: return NULL;
    }
}

void sema_mismatch(Sema *s, Expr *e, Type *want, Type *got, const char *ctx)
{
    want = type_prune(want);
    got = type_prune(got);
    if (type_has_error(want) || type_has_error(got))
        return;
    const char *w = sema_tstr(s, want), *g = sema_tstr(s, got);
    if (!ctx)
        ctx = "mismatched types";
    int tc;
    Type *culprit = sema_class_culprit(want, got, &tc);
    if (culprit) {
        diag_error(s->d, e->loc, "%s: %s is not %s", ctx, sema_tstr(s, culprit), type_class_name(tc));
        if ((tc & TC_KEY) && type_is(culprit, TY_F64))
            diag_note(s->d, e->loc, "f64 keys are not allowed (NaN and -0.0 make equality unreliable); "
                                    "round to an i64 or use to_str");
        else if ((tc & TC_ORD) && type_is(culprit, TY_RECORD))
            diag_note(s->d, e->loc, "records are not ordered; order by a field, as in sort_by(|p| p.x)");
        sema_why(s, e);
        return;
    }
    if (got->kind == TY_STREAM && want->kind != TY_STREAM && want->kind != TY_VAR && sema_single_stream(e))
        diag_error(s->d, e->loc, "%s: expected a value of type %s, found %s (a stream of one element); "
                                 "it becomes a value with .one()", ctx, w, g);
    else if (got->kind == TY_STREAM && want->kind != TY_STREAM && want->kind != TY_VAR)
        diag_error(s->d, e->loc, "%s: expected a value of type %s, found %s; a stream becomes a value "
                                 "with .collect() or .one()", ctx, w, g);
    else if (want->kind == TY_FN && e->kind != EX_LAMBDA)
        diag_error(s->d, e->loc, "%s: expected a lambda %s, found %s", ctx, w, g);
    else
        diag_error(s->d, e->loc, "%s: expected %s, found %s", ctx, w, g);
    sema_why(s, e);
}

Type *sema_expect(Sema *s, Expr *e, Type *want, const char *ctx)
{
    Type *got = sema_expr(s, e, want);
    if (type_unify(want, got))
        return want;
    sema_mismatch(s, e, want, got, ctx);
    return TYPE_ERROR;
}

/* ---- names ---- */

static void sema_unknown_name(Sema *s, Expr *e)
{
    const char *name = e->u.name.name;
    const char *cands[256];
    int n = 0;
    for (Binding *b = s->locals; b && n < 128; b = b->next)
        cands[n++] = b->name;
    for (Binding *b = s->globals; b && n < 256; b = b->next)
        cands[n++] = b->name;
    const char *near = diag_closest(name, cands, n);
    if (near)
        diag_error(s->d, e->loc, "unknown name `%s`; did you mean `%s`?", name, near);
    else
        diag_error(s->d, e->loc, "unknown name `%s`", name);
}

static Type *sema_builtin_name(Sema *s, Expr *e, Type *expected)
{
    int first, n = ops_find(s->ops, e->u.name.name, &first);
    for (int i = 0; i < n; i++) {
        Op *op = &s->ops->ops[first + i];
        if (op->def->flags & OPF_CONST) {
            Type *vars[26] = {0};
            e->u.name.sym = NULL;
            return type_instantiate(s->a, op->ret, vars);
        }
    }
    if (n && expected && type_is(expected, TY_FN)) {
        diag_error(s->d, e->loc, "a builtin cannot be passed by name; write a lambda, as in |x| %s(x)",
                   e->u.name.name);
        return TYPE_ERROR;
    }
    if (n) {
        diag_error(s->d, e->loc, "`%s` is a builtin function; call it, as in %s(..)", e->u.name.name,
                   e->u.name.name);
        return TYPE_ERROR;
    }
    sema_unknown_name(s, e);
    return TYPE_ERROR;
}

/* A function named where a lambda is expected: `.map(square)`. */
static Type *sema_fn_value(Sema *s, Expr *e, Binding *b, Type *want)
{
    if (type_unify(want, b->type))
        return want;
    diag_error(s->d, e->loc, "`%s` has type %s, but a lambda %s is expected here", b->name,
               sema_tstr(s, b->type), sema_tstr(s, want));
    return TYPE_ERROR;
}

static Type *sema_name(Sema *s, Expr *e, Type *expected)
{
    Binding *b = sema_lookup(s, e->u.name.name);
    if (!b)
        return sema_builtin_name(s, e, expected);
    e->u.name.sym = b;
    b->uses++;
    Type *want = expected ? type_prune(expected) : NULL;
    if (b->kind == B_FN && want && want->kind == TY_FN)
        return sema_fn_value(s, e, b, want);
    if (b->kind == B_FN) {
        diag_error(s->d, e->loc, "`%s` is a function; call it, as in %s(..)", b->name, b->name);
        return TYPE_ERROR;
    }
    if (s->in_param && b->kind == B_LET) {
        diag_error(s->d, e->loc, "a param default may use literals, builtins and earlier params, not the "
                                 "`let` `%s`", b->name);
        return TYPE_ERROR;
    }
    if (s->in_fn && b->kind == B_LET) {
        diag_error(s->d, e->loc, "a function body sees params, functions and its own arguments, "
                                 "not the top-level `let` `%s`; pass it as an argument", b->name);
        return TYPE_ERROR;
    }
    if (!b->defined) {
        diag_error(s->d, e->loc, "`%s` is used before its definition", b->name);
        diag_note(s->d, b->loc, "`%s` is defined here", b->name);
        return TYPE_ERROR;
    }
    Type *bt = type_prune(b->type);
    if (bt->kind == TY_WINSPEC && bt->u.win.wk != WK_TXN)  /* a bound window spec fits any stream */
        return type_winspec(s->a, bt->u.win.wk, type_var(s->a, TC_NONE));
    if (!s->stream_ok && type_has_stream(b->type)) {  /* reported at the first such use only */
        if (!b->refused)
            diag_error(s->d, e->loc, "`%s` is a stream%s, which cannot be used inside a %s; "
                       "turn it into a value first with `let v = %s.%s()`", b->name,
                       b->single ? " of one element" : "", s->in_fn ? "function" : "lambda", b->name,
                       b->single ? "one" : "collect");
        b->refused = 1;
        return TYPE_ERROR;
    }
    return b->type;
}

/* ---- operators ---- */

static Type *sema_numeric_operands(Sema *s, Expr *e, Type *l, Type *r, int allow_str)
{
    const char *op = ast_op_name(e->u.bin.op);
    Type *pl = type_prune(l), *pr = type_prune(r);
    if (pl->kind == TY_ERROR || pr->kind == TY_ERROR)
        return TYPE_ERROR;
    if (!type_unify(l, r)) {
        diag_error(s->d, e->u.bin.op_loc, "`%s` needs operands of the same type, found %s and %s", op,
                   sema_tstr(s, pl), sema_tstr(s, pr));
        if (pl->kind == TY_OPT || pr->kind == TY_OPT)
            diag_note(s->d, pl->kind == TY_OPT ? e->u.bin.lhs->loc : e->u.bin.rhs->loc,
                      "take the value out of an option with unwrap_or(x, default)");
        else if ((pl->kind == TY_I64 && pr->kind == TY_F64) || (pl->kind == TY_F64 && pr->kind == TY_I64))
            diag_note(s->d, pl->kind == TY_I64 ? e->u.bin.lhs->loc : e->u.bin.rhs->loc,
                      "convert the i64 with `as f64`");
        else {
            sema_why(s, e->u.bin.lhs);
            sema_why(s, e->u.bin.rhs);
        }
        return TYPE_ERROR;
    }
    Type *t = type_prune(l);
    if (t->kind == TY_VAR)
        type_unify(t, type_var(s->a, TC_NUM));
    t = type_prune(t);
    if (t->kind == TY_I64 || t->kind == TY_F64 || t->kind == TY_VAR || (allow_str && t->kind == TY_STR))
        return t;
    diag_error(s->d, e->u.bin.op_loc, "`%s` needs numbers%s, found %s", op,
               allow_str ? " or strings" : "", sema_tstr(s, t));
    if (t->kind == TY_OPT)
        diag_note(s->d, e->u.bin.lhs->loc, "take the value out of an option with unwrap_or(x, default)");
    sema_why(s, e->u.bin.lhs);
    return TYPE_ERROR;
}

static Type *sema_compare(Sema *s, Expr *e, Type *l, Type *r)
{
    OpKind op = e->u.bin.op;
    if (!type_unify(l, r)) {
        diag_error(s->d, e->u.bin.op_loc, "cannot compare %s with %s", sema_tstr(s, l), sema_tstr(s, r));
        sema_why(s, e->u.bin.lhs);
        sema_why(s, e->u.bin.rhs);
        return TYPE_BOOL;
    }
    Type *t = type_prune(l);
    if (t->kind == TY_STREAM || t->kind == TY_SINK || t->kind == TY_WINSPEC) {
        diag_error(s->d, e->u.bin.op_loc, "cannot compare values of type %s", sema_tstr(s, t));
        return TYPE_BOOL;
    }
    if ((op == OP_EQ || op == OP_NE) && type_in_class(t, TC_KEY))
        return TYPE_BOOL;
    if (op == OP_EQ || op == OP_NE) {
        if (!type_is(t, TY_F64) && !type_in_class(t, TC_ORD) && type_prune(t)->kind != TY_RECORD &&
            type_prune(t)->kind != TY_VEC && type_prune(t)->kind != TY_TUPLE && type_prune(t)->kind != TY_OPT)
            diag_error(s->d, e->u.bin.op_loc, "cannot compare values of type %s", sema_tstr(s, t));
        return TYPE_BOOL;
    }
    if (!type_in_class(t, TC_ORD))
        diag_error(s->d, e->u.bin.op_loc, "`%s` needs an ordered type (i64, f64, str, bool, or tuples "
                                          "of them), found %s", ast_op_name(op), sema_tstr(s, t));
    else if (type_prune(t)->kind == TY_VAR)
        type_unify(t, type_var(s->a, TC_ORD));
    return TYPE_BOOL;
}

static Type *sema_binary(Sema *s, Expr *e)
{
    Type *l = sema_expr(s, e->u.bin.lhs, NULL);
    Type *r = sema_expr(s, e->u.bin.rhs, NULL);
    switch (e->u.bin.op) {
    case OP_ADD: return sema_numeric_operands(s, e, l, r, 1);
    case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD:
        return sema_numeric_operands(s, e, l, r, 0);
    case OP_AND:
    case OP_OR:
        if (!type_unify(l, TYPE_BOOL))
            sema_mismatch(s, e->u.bin.lhs, TYPE_BOOL, l, ast_op_name(e->u.bin.op));
        if (!type_unify(r, TYPE_BOOL))
            sema_mismatch(s, e->u.bin.rhs, TYPE_BOOL, r, ast_op_name(e->u.bin.op));
        return TYPE_BOOL;
    default: return sema_compare(s, e, l, r);
    }
}

static Type *sema_unary(Sema *s, Expr *e)
{
    Type *t = sema_expr(s, e->u.bin.lhs, NULL);
    if (e->u.bin.op == OP_NOT) {
        if (!type_unify(t, TYPE_BOOL))
            sema_mismatch(s, e->u.bin.lhs, TYPE_BOOL, t, "`!`");
        return TYPE_BOOL;
    }
    Type *p = type_prune(t);
    if (p->kind == TY_VAR)
        type_unify(p, type_var(s->a, TC_NUM));
    else if (p->kind != TY_I64 && p->kind != TY_F64 && p->kind != TY_ERROR) {
        diag_error(s->d, e->loc, "unary `-` needs a number, found %s", sema_tstr(s, p));
        return TYPE_ERROR;
    }
    return t;
}

static Type *sema_cast(Sema *s, Expr *e)
{
    Type *t = type_prune(sema_expr(s, e->u.cast.value, NULL));
    const char *to = e->u.cast.to;
    Type *target = !strcmp(to, "i64") ? TYPE_I64 : !strcmp(to, "f64") ? TYPE_F64 : NULL;
    if (!target) {
        diag_error(s->d, e->u.cast.to_loc, "`as` converts between i64 and f64, not to `%s`%s", to,
                   !strcmp(to, "str") ? "; use to_str(x)" : "");
        return TYPE_ERROR;
    }
    if (t->kind == TY_VAR)
        type_unify(t, type_var(s->a, TC_NUM));
    else if (t->kind != TY_I64 && t->kind != TY_F64 && t->kind != TY_ERROR) {
        diag_error(s->d, e->u.cast.value->loc, "`as %s` needs a number, found %s%s", to, sema_tstr(s, t),
                   t->kind == TY_STR ? "; use parse_i64 or parse_f64" : "");
        return TYPE_ERROR;
    }
    return target;
}

/* ---- fields, tuples, vectors, records ---- */

static Type *sema_field(Sema *s, Expr *e)
{
    Type *t = type_prune(sema_expr(s, e->u.field.recv, NULL));
    const char *name = e->u.field.name;
    if (t->kind == TY_ERROR)
        return TYPE_ERROR;
    if (t->kind == TY_RECORD) {
        const Field *f = type_field(t, name);
        if (f)
            return f->type;
        const char **names = arena_alloc(s->a, sizeof(char *) * (size_t)(t->u.rec.n + 1));
        for (int i = 0; i < t->u.rec.n; i++)
            names[i] = t->u.rec.fields[i].name;
        const char *near = diag_closest(name, names, t->u.rec.n);
        if (near)
            diag_error(s->d, e->u.field.name_loc, "no field `%s` in record `%s`; did you mean `%s`?", name,
                       t->u.rec.name, near);
        else
            diag_error(s->d, e->u.field.name_loc, "no field `%s` in record `%s`", name, t->u.rec.name);
        if (t->u.rec.loc.file >= 0)
            diag_note(s->d, t->u.rec.loc, "`%s` is defined here", t->u.rec.name);
        return TYPE_ERROR;
    }
    if (t->kind == TY_VAR && e->u.field.recv->kind == EX_NAME)
        diag_error(s->d, e->u.field.recv->loc, "the type of `%s` must be known before `.%s`; annotate it "
                   "where it is bound, as in |%s: Type|", e->u.field.recv->u.name.name, name,
                   e->u.field.recv->u.name.name);
    else if (t->kind == TY_VAR)
        diag_error(s->d, e->u.field.recv->loc, "the type of this expression must be known before `.%s`", name);
    else if (t->kind == TY_STREAM)
        diag_error(s->d, e->u.field.name_loc, "a stream has no fields; to get `%s` of each element, "
                                              "use .map(|x| x.%s)", name, name);
    else
        diag_error(s->d, e->u.field.name_loc, "no field `%s`: %s is not a record", name, sema_tstr(s, t));
    return TYPE_ERROR;
}

static Type *sema_tindex(Sema *s, Expr *e)
{
    Type *t = type_prune(sema_expr(s, e->u.field.recv, NULL));
    int i = e->u.field.index;
    if (t->kind == TY_ERROR)
        return TYPE_ERROR;
    if (t->kind == TY_TUPLE) {
        if (i < t->u.tuple.n)
            return t->u.tuple.elems[i];
        diag_error(s->d, e->u.field.name_loc, "no element %d in %s, a tuple of %d elements", i,
                   sema_tstr(s, t), t->u.tuple.n);
        return TYPE_ERROR;
    }
    if (t->kind == TY_VAR)
        diag_error(s->d, e->u.field.recv->loc, "the type of this expression must be known before `.%d`; "
                                               "annotate it, as in |p: (i64, str)|", i);
    else
        diag_error(s->d, e->u.field.name_loc, "`.%d` takes an element of a tuple, but this is %s", i,
                   sema_tstr(s, t));
    return TYPE_ERROR;
}

static Type *sema_tuple(Sema *s, Expr *e, Type *expected)
{
    Type *ex = expected ? type_prune(expected) : NULL;
    int n = e->u.list.n;
    if (ex && (ex->kind != TY_TUPLE || ex->u.tuple.n != n))
        ex = NULL;
    Type **elems = arena_alloc(s->a, sizeof(Type *) * (size_t)n);
    for (int i = 0; i < n; i++)
        elems[i] = ex ? sema_expect(s, e->u.list.elems[i], ex->u.tuple.elems[i], NULL)
                      : sema_expr(s, e->u.list.elems[i], NULL);
    for (int i = 0; i < n; i++)
        if (type_is(elems[i], TY_SINK))
            diag_error(s->d, e->u.list.elems[i]->loc, "a sink has no value to put in a tuple");
    return type_tuple(s->a, elems, n);
}

static Type *sema_vector(Sema *s, Expr *e, Type *expected)
{
    Type *ex = expected ? type_prune(expected) : NULL;
    Type *elem = ex && ex->kind == TY_VEC ? ex->u.elem : type_var(s->a, TC_NONE);
    for (int i = 0; i < e->u.list.n; i++) {
        Expr *x = e->u.list.elems[i];
        Type *t = sema_expr(s, x, elem);
        if (!type_unify(elem, t)) {
            diag_error(s->d, x->loc, "vector elements must have one type: expected %s, found %s",
                       sema_tstr(s, elem), sema_tstr(s, t));
            sema_why(s, x);
        } else if (type_is_stream(t)) {
            diag_error(s->d, x->loc, "a stream cannot be an element of a vector");
        }
    }
    return type_vec(s->a, elem);
}

static void sema_record_missing(Sema *s, Expr *e, Type *r)
{
    for (int i = 0; i < r->u.rec.n; i++) {
        int found = 0;
        for (int j = 0; j < e->u.rec.n; j++)
            found |= !strcmp(e->u.rec.fields[j]->name, r->u.rec.fields[i].name);
        if (!found)
            diag_error(s->d, e->u.rec.name_loc, "missing field `%s` in this `%s`", r->u.rec.fields[i].name,
                       r->u.rec.name);
    }
}

static Type *sema_record(Sema *s, Expr *e)
{
    Type *r = sema_find_record(s, e->u.rec.name);
    if (!r) {
        sema_unknown_type(s, e->u.rec.name, e->u.rec.name_loc);
        for (int i = 0; i < e->u.rec.n; i++)
            sema_expr(s, e->u.rec.fields[i]->value, NULL);
        return TYPE_ERROR;
    }
    const char **names = arena_alloc(s->a, sizeof(char *) * (size_t)(r->u.rec.n + 1));
    int unknown = 0;
    for (int i = 0; i < r->u.rec.n; i++)
        names[i] = r->u.rec.fields[i].name;
    for (int i = 0; i < e->u.rec.n; i++) {
        FieldInit *fi = e->u.rec.fields[i];
        const Field *f = type_field(r, fi->name);
        for (int j = 0; j < i; j++)
            if (!strcmp(e->u.rec.fields[j]->name, fi->name)) {
                diag_error(s->d, fi->name_loc, "field `%s` is given twice", fi->name);
                diag_note(s->d, e->u.rec.fields[j]->name_loc, "first given here");
            }
        if (!f) {
            unknown++;
            const char *near = diag_closest(fi->name, names, r->u.rec.n);
            if (near)
                diag_error(s->d, fi->name_loc, "no field `%s` in record `%s`; did you mean `%s`?", fi->name,
                           r->u.rec.name, near);
            else
                diag_error(s->d, fi->name_loc, "no field `%s` in record `%s`", fi->name, r->u.rec.name);
            sema_expr(s, fi->value, NULL);
            continue;
        }
        const char *ctx = arena_printf(s->a, "field `%s` of `%s`", fi->name, r->u.rec.name);
        sema_expect(s, fi->value, f->type, ctx);
    }
    if (!unknown)  /* a misspelt field would be reported twice */
        sema_record_missing(s, e, r);
    return r;
}

/* ---- control flow and scopes ---- */

static Type *sema_if(Sema *s, Expr *e, Type *expected)
{
    sema_expect(s, e->u.ifx.cond, TYPE_BOOL, "the condition of `if`");
    Type *a = sema_expr(s, e->u.ifx.then, expected);
    Type *b = sema_expr(s, e->u.ifx.els, expected ? expected : a);
    if (type_has_stream(a) || type_has_stream(b)) {
        diag_error(s->d, e->loc, "`if` chooses between values at run time; it cannot choose a stream, "
                                 "which is fixed when the job is compiled");
        return TYPE_ERROR;
    }
    if (type_unify(a, b))
        return a;
    diag_error(s->d, e->u.ifx.els->loc, "the branches of `if` have different types: %s and %s",
               sema_tstr(s, a), sema_tstr(s, b));
    return TYPE_ERROR;
}

static Type *sema_block(Sema *s, Expr *e, Type *expected)
{
    Binding *saved = s->locals;
    for (int i = 0; i < e->u.block.n; i++) {
        Stmt *st = e->u.block.stmts[i];
        Type *want = st->annot ? sema_resolve_type(s, st->annot) : NULL;
        Type *t = want ? sema_expect(s, st->value, want, "let") : sema_expr(s, st->value, NULL);
        sema_bind_pattern(s, st->pat, t, "from its definition", &s->locals);
    }
    Type *r = sema_expr(s, e->u.block.result, expected);
    s->locals = saved;
    return r;
}

static Type *sema_lambda(Sema *s, Expr *e, Type *expected)
{
    Type *want = expected ? type_prune(expected) : NULL;
    int n = e->u.lambda.n;
    if (!want || want->kind != TY_FN) {
        diag_error(s->d, e->loc, "a lambda can only be passed to an operator or builtin that takes one%s",
                   want && want->kind != TY_VAR ? arena_printf(s->a, " (a value of type %s is expected here)",
                                                               sema_tstr(s, want)) : "");
        return TYPE_ERROR;
    }
    if (want->u.fn.n != n) {
        diag_error(s->d, e->loc, "this lambda takes %d parameter%s, but %s passes it %d: %s", n,
                   n == 1 ? "" : "s", s->lambda_op ? arena_printf(s->a, "`%s`", s->lambda_op) : "its caller",
                   want->u.fn.n, sema_tstr(s, want));
        return TYPE_ERROR;
    }
    Binding *saved = s->locals;
    int saved_ok = s->stream_ok;
    const char *op = s->lambda_op, *param = s->lambda_param;
    s->lambda_op = s->lambda_param = NULL;
    s->stream_ok = 0;
    for (int i = 0; i < n; i++) {
        Type *pt = want->u.fn.params[i];
        if (type_is_stream(pt))
            s->stream_ok = 1;
        const char *why = op ? arena_printf(s->a, "(from what `%s` passes to this lambda)", op)
                                       : "(from what is passed to this lambda)";
        sema_bind_pattern(s, e->u.lambda.params[i], pt, why, &s->locals);
    }
    Type *body = sema_expr(s, e->u.lambda.body, want->u.fn.ret);
    if (!type_unify(want->u.fn.ret, body)) {
        sema_mismatch(s, e->u.lambda.body, want->u.fn.ret, body,
                      op ? arena_printf(s->a, "the lambda `%s` of `%s` returns the wrong type", param, op)
                         : "the lambda returns the wrong type");
        if (op && !strcmp(op, "iterate") && !strcmp(param, "body"))
            diag_note(s->d, e->loc, "iterate feeds the body's output back as the next round's input, so "
                                    "it keeps the element type; replay(..) re-reads the input and may change it");
    }
    if (type_is(body, TY_SINK))
        diag_error(s->d, e->u.lambda.body->loc, "a lambda cannot end in a sink");
    s->locals = saved;
    s->stream_ok = saved_ok;
    return want;
}

static Type *sema_expr_kind(Sema *s, Expr *e, Type *expected)
{
    switch (e->kind) {
    case EX_INT: case EX_DURATION: return TYPE_I64;
    case EX_FLOAT: return TYPE_F64;
    case EX_BOOL: return TYPE_BOOL;
    case EX_STR: return TYPE_STR;
    case EX_NAME: return sema_name(s, e, expected);
    case EX_TYPENAME:
        if (!sema_find_record(s, e->u.name.name))
            sema_unknown_type(s, e->u.name.name, e->loc);
        else
            diag_error(s->d, e->loc, "`%s` is a type, not a value%s", e->u.name.name,
                       " (to build one, write `Name { field: value, .. }`)");
        return TYPE_ERROR;
    case EX_UNARY: return sema_unary(s, e);
    case EX_BINARY: return sema_binary(s, e);
    case EX_CAST: return sema_cast(s, e);
    case EX_CALL: case EX_METHOD: return sema_call(s, e, expected);
    case EX_FIELD: return sema_field(s, e);
    case EX_TINDEX: return sema_tindex(s, e);
    case EX_TUPLE: return sema_tuple(s, e, expected);
    case EX_VEC: return sema_vector(s, e, expected);
    case EX_RECORD: return sema_record(s, e);
    case EX_IF: return sema_if(s, e, expected);
    case EX_BLOCK: return sema_block(s, e, expected);
    case EX_LAMBDA: return sema_lambda(s, e, expected);
    }
    return TYPE_ERROR;
}

enum { SEMA_MAX_TYPE = 2000 };  /* nodes; doubling tuples would grow types exponentially */

Type *sema_expr(Sema *s, Expr *e, Type *expected)
{
    e->type = sema_expr_kind(s, e, expected);
    if (type_node_count(e->type, SEMA_MAX_TYPE) > SEMA_MAX_TYPE) {
        diag_error(s->d, e->loc, "the type of this expression is too large (more than %d parts)",
                   SEMA_MAX_TYPE);
        e->type = TYPE_ERROR;
    }
    return e->type;
}
