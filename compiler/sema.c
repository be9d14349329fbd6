/* sema.c - semantic analysis, part 1: the driver over the items of a
 * program, declarations (records, functions, externs, params, lets), name
 * lookup and binding, type expressions, and the end-of-item checks (types
 * that could not be inferred, unused names, pipelines without a sink).
 * Expressions are in sema_expr.c, calls of operators in sema_call.c. */
#include "sema_int.h"

#include <stdint.h>
#include <string.h>

const char *sema_tstr(Sema *s, Type *t) { return type_str(s->a, t); }

Binding *sema_bind(Sema *s, Binding **list, const char *name, BindKind kind, Type *t, Loc loc)
{
    Binding *b = arena_alloc(s->a, sizeof *b);
    b->name = name;
    b->kind = kind;
    b->type = t;
    b->loc = loc;
    b->defined = 1;
    b->next = *list;
    *list = b;
    return b;
}

static Binding *sema_find(Binding *b, const char *name)
{
    for (; b; b = b->next)
        if (!strcmp(b->name, name))
            return b;
    return NULL;
}

/* ---- the table of top-level names (open addressing, so that programs
 * with many items are checked in linear time) ---- */

static uint64_t sema_hash(const char *name)
{
    uint64_t h = 1469598103934665603ull;  /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return h;
}

static Binding *sema_global(Sema *s, const char *name)
{
    if (!s->gcap)
        return NULL;
    for (uint64_t i = sema_hash(name) & (uint64_t)(s->gcap - 1);; i = (i + 1) & (uint64_t)(s->gcap - 1)) {
        Binding *b = s->gtab[i];
        if (!b || !strcmp(b->name, name))
            return b;
    }
}

static void sema_global_insert(Sema *s, Binding *b)
{
    if (2 * (s->gcount + 1) > s->gcap) {
        int cap = s->gcap ? s->gcap * 2 : 64;
        Binding **old = s->gtab;
        int oldcap = s->gcap;
        s->gtab = arena_alloc(s->a, sizeof(Binding *) * (size_t)cap);
        s->gcap = cap;
        s->gcount = 0;
        for (int i = 0; i < oldcap; i++)
            if (old[i])
                sema_global_insert(s, old[i]);
    }
    uint64_t i = sema_hash(b->name) & (uint64_t)(s->gcap - 1);
    while (s->gtab[i])
        i = (i + 1) & (uint64_t)(s->gcap - 1);
    s->gtab[i] = b;
    s->gcount++;
}

/* A new top-level name (the caller checked that it is new). */
static Binding *sema_bind_global(Sema *s, const char *name, BindKind kind, Type *t, Loc loc)
{
    Binding *b = sema_bind(s, &s->globals, name, kind, t, loc);
    sema_global_insert(s, b);
    return b;
}

Binding *sema_lookup(Sema *s, const char *name)
{
    Binding *b = sema_find(s->locals, name);
    return b ? b : sema_global(s, name);
}

/* ---- type expressions ---- */

Type *sema_find_record(Sema *s, const char *name)
{
    for (int i = 0; i < s->records.len; i++) {
        Type *t = s->records.items[i];
        if (!strcmp(t->u.rec.name, name))
            return t;
    }
    if (!strcmp(name, "Date"))
        return type_date(s->a);
    return NULL;
}

void sema_unknown_type(Sema *s, const char *name, Loc loc)
{
    const char *cands[64];
    int n = 0;
    static const char *prims[] = {"i64", "f64", "bool", "str", "vec", "opt", "Date"};
    for (int i = 0; i < 7; i++)
        cands[n++] = prims[i];
    for (int i = 0; i < s->records.len && n < 64; i++)
        cands[n++] = ((Type *)s->records.items[i])->u.rec.name;
    const char *near = diag_closest(name, cands, n);
    if (near)
        diag_error(s->d, loc, "unknown type `%s`; did you mean `%s`?", name, near);
    else
        diag_error(s->d, loc, "unknown type `%s`", name);
}

static int sema_is_stream_type_name(const char *n)
{
    return !strcmp(n, "stream") || !strcmp(n, "keyed") || !strcmp(n, "windowed") || !strcmp(n, "kwindowed");
}

static Type *sema_generic_type(Sema *s, TypeExpr *t)
{
    int is_vec = !strcmp(t->name, "vec"), is_opt = !strcmp(t->name, "opt");
    int is_win = !strcmp(t->name, "Window");
    if (sema_is_stream_type_name(t->name)) {
        diag_error(s->d, t->loc, "a stream type cannot be written here: streams are compile-time "
                                 "pipelines, not values; a function cannot take or return one (use a "
                                 "top-level `let`)");
        return TYPE_ERROR;
    }
    if (!is_vec && !is_opt && !is_win) {
        diag_error(s->d, t->loc, "unknown generic type `%s` (there are vec<T>, opt<T> and Window<T>)", t->name);
        return TYPE_ERROR;
    }
    if (t->nargs != 1) {
        diag_error(s->d, t->loc, "`%s` takes one type argument, found %d", t->name, t->nargs);
        return TYPE_ERROR;
    }
    Type *e = sema_resolve_type(s, t->args[0]);
    return is_vec ? type_vec(s->a, e) : is_opt ? type_opt(s->a, e) : type_window(s->a, e);
}

/* type: i64 | f64 | bool | str | Record | vec<T> | opt<T> | (T, ...) */
Type *sema_resolve_type(Sema *s, TypeExpr *t)
{
    static const struct { const char *name; Type *t; } prims[] = {
        {"i64", TYPE_I64}, {"f64", TYPE_F64}, {"bool", TYPE_BOOL}, {"str", TYPE_STR}};
    if (t->kind == TX_TUPLE) {
        Type **elems = arena_alloc(s->a, sizeof(Type *) * (size_t)t->nargs);
        for (int i = 0; i < t->nargs; i++)
            elems[i] = sema_resolve_type(s, t->args[i]);
        return type_tuple(s->a, elems, t->nargs);
    }
    if (t->kind == TX_GENERIC)
        return sema_generic_type(s, t);
    for (int i = 0; i < 4; i++)
        if (!strcmp(t->name, prims[i].name))
            return prims[i].t;
    Type *r = sema_find_record(s, t->name);
    if (r)
        return r;
    if (!strcmp(t->name, "vec") || !strcmp(t->name, "opt") || !strcmp(t->name, "Window"))
        diag_error(s->d, t->loc, "`%s` needs a type argument, as in %s<i64>", t->name, t->name);
    else if (sema_is_stream_type_name(t->name))
        diag_error(s->d, t->loc, "a stream type cannot be written here: streams are compile-time "
                                 "pipelines, not values");
    else
        sema_unknown_type(s, t->name, t->loc);
    return TYPE_ERROR;
}

/* ---- patterns ---- */

static int sema_pattern_has(Pattern *p, const char *name, Pattern *stop)
{
    if (p == stop)
        return -1;
    if (p->kind == PAT_NAME)
        return !strcmp(p->name, name);
    for (int i = 0; i < (p->kind == PAT_TUPLE ? p->nelems : 0); i++) {
        int r = sema_pattern_has(p->elems[i], name, stop);
        if (r)
            return r;
    }
    return 0;
}

static void sema_bind_pat(Sema *s, Pattern *root, Pattern *p, Type *t, const char *why, Binding **list)
{
    if (p->annot) {
        Type *want = sema_resolve_type(s, p->annot);
        if (!type_unify(want, t))
            diag_error(s->d, p->annot->loc, "type annotation %s does not match %s",
                       sema_tstr(s, want), sema_tstr(s, t));
        t = want;
    }
    p->type = t;
    Type *pt = type_prune(t);
    if (p->kind == PAT_WILD)
        return;
    if (p->kind == PAT_NAME) {
        if (!s->toplevel_pattern && sema_pattern_has(root, p->name, p) > 0)
            diag_error(s->d, p->loc, "`%s` is bound twice in this pattern", p->name);
        Binding *b = sema_bind(s, list, p->name, B_LOCAL, t, p->loc);
        b->why = why;
        return;
    }
    if (pt->kind == TY_VAR) {  /* a tuple pattern tells the shape */
        Type **elems = arena_alloc(s->a, sizeof(Type *) * (size_t)p->nelems);
        for (int i = 0; i < p->nelems; i++)
            elems[i] = type_var(s->a, TC_NONE);
        type_unify(pt, type_tuple(s->a, elems, p->nelems));
        pt = type_prune(pt);
    }
    if (pt->kind != TY_TUPLE || pt->u.tuple.n != p->nelems) {
        if (pt->kind != TY_ERROR)
            diag_error(s->d, p->loc, "this pattern takes a tuple of %d elements apart, but the value has type %s",
                       p->nelems, sema_tstr(s, pt));
        for (int i = 0; i < p->nelems; i++)
            sema_bind_pat(s, root, p->elems[i], TYPE_ERROR, why, list);
        return;
    }
    for (int i = 0; i < p->nelems; i++)
        sema_bind_pat(s, root, p->elems[i], pt->u.tuple.elems[i], why, list);
}

void sema_bind_pattern(Sema *s, Pattern *p, Type *t, const char *why, Binding **list)
{
    sema_bind_pat(s, p, p, t, why, list);
}

/* ---- declarations ---- */

static void sema_redefinition(Sema *s, const char *name, Loc loc, Loc prev)
{
    diag_error(s->d, loc, "redefinition of `%s`", name);
    if (prev.file >= 0)
        diag_note(s->d, prev, "`%s` was first defined here", name);
}

/* A new top-level name: not a builtin or type name (reported, but bound all
 * the same so that its uses resolve), not defined before. */
static int sema_global_ok(Sema *s, const char *name, Loc loc)
{
    static const char *types[] = {"i64", "f64", "bool", "str", "vec", "opt"};
    int first;
    if (ops_find(s->ops, name, &first))
        diag_error(s->d, loc, "`%s` is a builtin; choose another name", name);
    for (int i = 0; i < 6; i++)
        if (!strcmp(name, types[i]))
            diag_error(s->d, loc, "`%s` is a type name; choose another name", name);
    Binding *b = sema_global(s, name);
    if (b) {
        sema_redefinition(s, name, loc, b->loc);
        return 0;
    }
    return 1;
}

static void sema_declare_record(Sema *s, Item *it)
{
    if (!strcmp(it->u.type.name, "Window") || !strcmp(it->u.type.name, "Date")) {
        diag_error(s->d, it->u.type.name_loc, "`%s` is a builtin type; choose another name", it->u.type.name);
        return;
    }
    if (sema_find_record(s, it->u.type.name)) {
        Type *prev = sema_find_record(s, it->u.type.name);
        sema_redefinition(s, it->u.type.name, it->u.type.name_loc,
                          prev && !prev->u.rec.builtin ? prev->u.rec.loc : (Loc){-1, 0, 0});
        return;
    }
    Type *t = type_new(s->a, TY_RECORD);
    t->u.rec.name = it->u.type.name;
    t->u.rec.loc = it->u.type.name_loc;
    it->u.type.type = t;
    ptrvec_push(s->a, &s->records, t);
}

static void sema_record_fields(Sema *s, Item *it)
{
    Type *t = it->u.type.type;
    t->u.rec.n = it->u.type.n;
    t->u.rec.fields = arena_alloc(s->a, sizeof(Field) * (size_t)(t->u.rec.n ? t->u.rec.n : 1));
    for (int i = 0; i < it->u.type.n; i++) {
        Param *f = it->u.type.fields[i];
        for (int j = 0; j < i; j++)
            if (!strcmp(it->u.type.fields[j]->name, f->name)) {
                diag_error(s->d, f->loc, "field `%s` is declared twice in `%s`", f->name, t->u.rec.name);
                diag_note(s->d, it->u.type.fields[j]->loc, "first declared here");
            }
        t->u.rec.fields[i].name = f->name;
        t->u.rec.fields[i].loc = f->loc;
        t->u.rec.fields[i].type = sema_resolve_type(s, f->type);
    }
}

/* Whether record r contains itself by value (vec<> is a pointer: allowed). */
static int sema_contains(Type *t, Type *r, int depth)
{
    t = type_prune(t);
    if (depth > 64)
        return 1;
    if (t == r && depth)
        return 1;
    if (t->kind == TY_RECORD && !t->u.rec.builtin) {
        for (int i = 0; i < t->u.rec.n; i++)
            if (sema_contains(t->u.rec.fields[i].type, r, depth + 1))
                return 1;
    } else if (t->kind == TY_TUPLE) {
        for (int i = 0; i < t->u.tuple.n; i++)
            if (sema_contains(t->u.tuple.elems[i], r, depth + 1))
                return 1;
    } else if (t->kind == TY_OPT) {
        return sema_contains(t->u.elem, r, depth + 1);
    }
    return 0;
}

static void sema_declare_fn(Sema *s, FnDecl *f)
{
    Type **ps = arena_alloc(s->a, sizeof(Type *) * (size_t)(f->nparams ? f->nparams : 1));
    for (int i = 0; i < f->nparams; i++) {
        ps[i] = sema_resolve_type(s, f->params[i]->type);
        for (int j = 0; j < i; j++)
            if (!strcmp(f->params[i]->name, f->params[j]->name)) {
                diag_error(s->d, f->params[i]->loc, "parameter `%s` is declared twice", f->params[i]->name);
                diag_note(s->d, f->params[j]->loc, "first declared here");
            }
        if (f->is_extern && !type_is_scalar(ps[i]) && ps[i] != TYPE_ERROR)
            diag_error(s->d, f->params[i]->type->loc,
                       "extern functions take and return i64, f64, bool or str, not %s", sema_tstr(s, ps[i]));
    }
    Type *ret = sema_resolve_type(s, f->ret);
    if (f->is_extern && !type_is_scalar(ret) && ret != TYPE_ERROR)
        diag_error(s->d, f->ret->loc, "extern functions take and return i64, f64, bool or str, not %s",
                   sema_tstr(s, ret));
    f->type = type_fn(s->a, ps, f->nparams, ret);
    if (!sema_global_ok(s, f->name, f->name_loc))
        return;
    Binding *b = sema_bind_global(s, f->name, B_FN, f->type, f->name_loc);
    b->decl = f;
    b->fn = sema_fn_op(s, f);
}

static void sema_declare_param(Sema *s, Item *it)
{
    Type *t = sema_resolve_type(s, it->u.param.type);
    if (!type_is_scalar(t) && t != TYPE_ERROR) {
        diag_error(s->d, it->u.param.type->loc, "a param has type i64, f64, bool or str, not %s",
                   sema_tstr(s, t));
        t = TYPE_ERROR;
    }
    if (!sema_global_ok(s, it->u.param.name, it->u.param.name_loc))
        return;
    Binding *b = sema_bind_global(s, it->u.param.name, B_PARAM, t, it->u.param.name_loc);
    b->why = "declared here";
    b->defined = 0;
}

static void sema_declare_let_names(Sema *s, Pattern *p)
{
    if (p->kind == PAT_TUPLE) {
        for (int i = 0; i < p->nelems; i++)
            sema_declare_let_names(s, p->elems[i]);
        return;
    }
    if (p->kind != PAT_NAME || !sema_global_ok(s, p->name, p->loc))
        return;
    Binding *b = sema_bind_global(s, p->name, B_LET, TYPE_ERROR, p->loc);
    b->defined = 0;
}

static void sema_declare(Sema *s, Program *p)
{
    for (int i = 0; i < p->nitems; i++)
        if (p->items[i]->kind == IT_TYPE)
            sema_declare_record(s, p->items[i]);
    for (int i = 0; i < p->nitems; i++)
        if (p->items[i]->kind == IT_TYPE && p->items[i]->u.type.type)
            sema_record_fields(s, p->items[i]);
    PtrVec cyclic = {0};
    for (int i = 0; i < p->nitems; i++) {
        Item *it = p->items[i];
        if (it->kind == IT_TYPE && it->u.type.type && sema_contains(it->u.type.type, it->u.type.type, 0)) {
            int seen = 0;  /* one error per cycle: skip records inside a reported one */
            for (int j = 0; j < cyclic.len; j++)
                seen |= sema_contains(cyclic.items[j], it->u.type.type, 1);
            if (!seen)
                diag_error(s->d, it->u.type.name_loc, "record `%s` contains itself, so it would be infinite "
                           "(a vec<..> of it is fine)", it->u.type.name);
            ptrvec_push(s->a, &cyclic, it->u.type.type);
        }
        if (it->kind == IT_PARAM)
            sema_declare_param(s, it);
        else if (it->kind == IT_FN)
            sema_declare_fn(s, &it->u.fn);
        else if (it->kind == IT_EXTERN)
            for (int j = 0; j < it->u.ext.n; j++)
                sema_declare_fn(s, it->u.ext.fns[j]);
        else if (it->kind == IT_LET)
            sema_declare_let_names(s, it->u.let.pat);
    }
}

/* ---- end-of-item checks ---- */

static Expr *sema_unresolved_in(Expr *e);

static Expr *sema_unresolved_list(Expr **es, int n)
{
    for (int i = 0; i < n; i++) {
        Expr *r = sema_unresolved_in(es[i]);
        if (r)
            return r;
    }
    return NULL;
}

/* The innermost expression whose type still has an inference variable. */
static Expr *sema_unresolved_in(Expr *e)
{
    if (!e)
        return NULL;
    Expr *r = NULL;
    switch (e->kind) {
    case EX_UNARY: r = sema_unresolved_in(e->u.bin.lhs); break;
    case EX_BINARY: r = sema_unresolved_list(&e->u.bin.lhs, 2); break;
    case EX_CAST: r = sema_unresolved_in(e->u.cast.value); break;
    case EX_CALL:
    case EX_METHOD:
        r = sema_unresolved_in(e->u.call.recv);
        for (int i = 0; !r && i < e->u.call.nargs; i++)
            r = sema_unresolved_in(e->u.call.args[i]->value);
        break;
    case EX_FIELD:
    case EX_TINDEX: r = sema_unresolved_in(e->u.field.recv); break;
    case EX_TUPLE:
    case EX_VEC: r = sema_unresolved_list(e->u.list.elems, e->u.list.n); break;
    case EX_RECORD:
        for (int i = 0; !r && i < e->u.rec.n; i++)
            r = sema_unresolved_in(e->u.rec.fields[i]->value);
        break;
    case EX_IF: r = sema_unresolved_list(&e->u.ifx.cond, 3); break;
    case EX_BLOCK:
        for (int i = 0; !r && i < e->u.block.n; i++)
            r = sema_unresolved_in(e->u.block.stmts[i]->value);
        if (!r)
            r = sema_unresolved_in(e->u.block.result);
        break;
    case EX_LAMBDA: r = sema_unresolved_in(e->u.lambda.body); break;
    default: break;
    }
    if (r)
        return r;
    if (!e->type || e->kind == EX_LAMBDA || type_is(e->type, TY_WINSPEC))  /* a window fits any element */
        return NULL;
    return type_has_vars(e->type) ? e : NULL;
}

/* Binds every variable left in t to the error type, so it is reported once. */
static void sema_close_vars(Type *t)
{
    t = type_prune(t);
    if (t->kind == TY_VAR) {
        t->u.var.ref = TYPE_ERROR;
        return;
    }
    switch (t->kind) {
    case TY_TUPLE:
        for (int i = 0; i < t->u.tuple.n; i++)
            sema_close_vars(t->u.tuple.elems[i]);
        break;
    case TY_VEC: case TY_OPT: case TY_TYPEARG: sema_close_vars(t->u.elem); break;
    case TY_RECORD:
        if (t->u.rec.builtin)
            for (int i = 0; i < t->u.rec.n; i++)
                sema_close_vars(t->u.rec.fields[i].type);
        break;
    case TY_STREAM:
        sema_close_vars(t->u.stream.elem);
        if (t->u.stream.key)
            sema_close_vars(t->u.stream.key);
        break;
    case TY_FN:
        for (int i = 0; i < t->u.fn.n; i++)
            sema_close_vars(t->u.fn.params[i]);
        sema_close_vars(t->u.fn.ret);
        break;
    case TY_WINSPEC: sema_close_vars(t->u.win.elem); break;
    default: break;
    }
}

static void sema_check_inferred(Sema *s, Expr *root, int errors_before)
{
    Expr *e;
    if (s->d->errors != errors_before)  /* what is left unknown follows from those errors */
        return;
    while ((e = sema_unresolved_in(root))) {
        const char *what = e->kind == EX_VEC ? "the element type of this empty vector"
                         : e->kind == EX_NAME && !strcmp(e->u.name.name, "none") ? "the type of this `none`"
                         : "the type of this expression";
        diag_error(s->d, e->loc, "cannot infer %s (it is %s); add a type annotation", what,
                   sema_tstr(s, e->type));
        sema_close_vars(e->type);
    }
}

/* ---- items ---- */

static void sema_param(Sema *s, Item *it)
{
    Binding *b = sema_global(s, it->u.param.name);
    s->stream_ok = 0;
    s->in_param = 1;
    int before = s->d->errors;
    Type *t = b && b->kind == B_PARAM ? b->type : TYPE_ERROR;
    sema_expect(s, it->u.param.value, t, "param default");
    s->in_param = 0;
    if (t != TYPE_ERROR)  /* a bad param type was reported; its default can't be inferred */
        sema_check_inferred(s, it->u.param.value, before);
    if (b && b->kind == B_PARAM)
        b->defined = 1;
}

static void sema_fn_body(Sema *s, FnDecl *f)
{
    s->locals = NULL;
    s->stream_ok = 0;
    s->in_fn = 1;
    int before = s->d->errors;
    for (int i = 0; i < f->nparams; i++) {
        Binding *b = sema_bind(s, &s->locals, f->params[i]->name, B_LOCAL, f->type->u.fn.params[i],
                               f->params[i]->loc);
        b->why = "declared here";
    }
    Type *got = sema_expr(s, f->body, f->type->u.fn.ret);
    if (!type_unify(f->type->u.fn.ret, got)) {
        diag_error(s->d, f->body->loc, "function `%s` returns %s, but its body has type %s", f->name,
                   sema_tstr(s, f->type->u.fn.ret), sema_tstr(s, got));
        diag_note(s->d, f->ret->loc, "the return type is declared here");
    }
    sema_check_inferred(s, f->body, before);
    s->in_fn = 0;
    s->locals = NULL;
}

static void sema_mark_defined(Sema *s, Pattern *p, Type *t)
{
    if (p->kind == PAT_TUPLE) {
        for (int i = 0; i < p->nelems; i++)
            sema_mark_defined(s, p->elems[i], p->elems[i]->type);
        return;
    }
    if (p->kind != PAT_NAME)
        return;
    Binding *g = sema_global(s, p->name);
    if (!g || g->kind != B_LET || g->defined)
        return;
    g->type = t;
    g->defined = 1;
    g->why = "from its definition";
    g->loc = p->loc;
}

/* Marks the names of a top-level let that are streams of one element: the
 * whole pattern on an aggregation of a whole stream (or a map of one), the
 * final state of an iteration, `let (state, out) = s.iterate(..)`. */
static void sema_mark_single(Sema *s, Pattern *p, Expr *value)
{
    const Op *op = value->kind == EX_CALL || value->kind == EX_METHOD ? value->u.call.op : NULL;
    if (p->kind == PAT_TUPLE && p->nelems == 2 && op && op->def && op->def->hook == HK_ITERATE)
        p = p->elems[0];
    else if (!sema_single_stream(value))
        return;
    Binding *g = p->kind == PAT_NAME ? sema_global(s, p->name) : NULL;
    if (g && g->kind == B_LET && type_is_stream(g->type))
        g->single = 1;
}

static void sema_let(Sema *s, Item *it)
{
    s->locals = NULL;
    s->stream_ok = 1;
    int before = s->d->errors;
    Type *want = it->u.let.annot ? sema_resolve_type(s, it->u.let.annot) : NULL;
    Type *t = want ? sema_expect(s, it->u.let.value, want, "let") : sema_expr(s, it->u.let.value, NULL);
    if (type_is(t, TY_SINK)) {
        diag_error(s->d, it->u.let.value->loc, "a sink ends a pipeline and has no value to bind");
        t = TYPE_ERROR;
    }
    sema_check_inferred(s, it->u.let.value, before);
    Binding *tmp = NULL;
    s->toplevel_pattern = 1;  /* duplicates were reported as redefinitions */
    sema_bind_pattern(s, it->u.let.pat, t, "from its definition", &tmp);
    s->toplevel_pattern = 0;
    sema_mark_defined(s, it->u.let.pat, t);
    sema_mark_single(s, it->u.let.pat, it->u.let.value);
}

static void sema_pipeline(Sema *s, Item *it)
{
    s->locals = NULL;
    s->stream_ok = 1;
    Expr *e = it->u.expr.expr;
    int before = s->d->errors;
    Type *t = type_prune(sema_expr(s, e, NULL));
    sema_check_inferred(s, e, before);
    if (t->kind == TY_STREAM || (t->kind == TY_TUPLE && type_has_stream(t))) {
        if (e->loc.file == s->main_file)
            diag_warning(s->d, e->loc, "this pipeline has no sink, so it computes nothing; end it with "
                                       "print(), write_csv(..) or another sink");
    } else if (t->kind != TY_SINK && t->kind != TY_ERROR)
        diag_error(s->d, e->loc, "a top-level expression must be a pipeline ending in a sink, "
                                 "but this one is a value of type %s", sema_tstr(s, t));
}

static void sema_item(Sema *s, Item *it)
{
    switch (it->kind) {
    case IT_PARAM: sema_param(s, it); break;
    case IT_FN: sema_fn_body(s, &it->u.fn); break;
    case IT_LET: sema_let(s, it); break;
    case IT_EXPR: sema_pipeline(s, it); break;
    default: break;
    }
}

static void sema_warn_unused(Sema *s)
{
    for (Binding *b = s->globals; b; b = b->next) {
        if (b->uses || b->loc.file != s->main_file || b->name[0] == '_')
            continue;
        if (b->kind == B_PARAM)
            diag_warning(s->d, b->loc, "param `%s` is never used", b->name);
        else if (b->kind == B_LET && type_has_stream(b->type))
            diag_warning(s->d, b->loc, "stream `%s` is never used, so it computes nothing", b->name);
    }
}

int sema_check(Program *p, Arena *a, Diag *d, int main_file)
{
    Sema s = {.a = a, .d = d, .main_file = main_file};
    int before = d->errors;
    s.ops = ops_load(a);
    sema_declare(&s, p);
    for (int i = 0; i < p->nitems; i++)
        if (p->items[i]->kind == IT_PARAM)
            sema_item(&s, p->items[i]);
    for (int i = 0; i < p->nitems; i++)
        if (p->items[i]->kind == IT_FN)
            sema_item(&s, p->items[i]);
    for (int i = 0; i < p->nitems; i++)
        if (p->items[i]->kind == IT_LET || p->items[i]->kind == IT_EXPR)
            sema_item(&s, p->items[i]);
    if (d->errors == before)
        sema_warn_unused(&s);
    return d->errors - before;
}

/* ---- --dump-types ---- */

static void sema_dump_pattern(FILE *out, Pattern *p)
{
    if (p->kind == PAT_TUPLE) {
        for (int i = 0; i < p->nelems; i++)
            sema_dump_pattern(out, p->elems[i]);
        return;
    }
    if (p->kind == PAT_NAME) {
        fprintf(out, "let %s: ", p->name);
        type_print(out, p->type ? p->type : TYPE_ERROR);
        fputc('\n', out);
    }
}

void sema_dump(FILE *out, const Program *p)
{
    for (int i = 0; i < p->nitems; i++) {
        Item *it = p->items[i];
        if (it->kind == IT_PARAM) {
            fprintf(out, "param %s: ", it->u.param.name);
            type_print(out, it->u.param.value->type ? it->u.param.value->type : TYPE_ERROR);
            fputc('\n', out);
        } else if (it->kind == IT_FN && it->u.fn.type) {
            fprintf(out, "fn %s: ", it->u.fn.name);
            type_print(out, it->u.fn.type);
            fputc('\n', out);
        } else if (it->kind == IT_LET) {
            sema_dump_pattern(out, it->u.let.pat);
        } else if (it->kind == IT_EXPR && it->u.expr.expr->type) {
            fputs("pipeline: ", out);
            type_print(out, it->u.expr.expr->type);
            fputc('\n', out);
        }
    }
}
