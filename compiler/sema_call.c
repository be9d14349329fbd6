/* sema_call.c - semantic analysis, part 3: calls. A call `f(a, b)` or
 * `a.f(b)` names a user function, an extern or a builtin of ops.c; the
 * candidate is chosen by the receiver (a plain, keyed or windowed stream,
 * or the type of the first argument), arguments are matched to parameters
 * by position and name, the signature is instantiated with fresh type
 * variables, values are checked before lambdas (so lambda parameters get
 * their types), and hooks check what a signature cannot say (event time of
 * windows, join kinds, iterations, CSV rows). */
#include "sema_int.h"

#include <string.h>

typedef struct Call {
    Expr *e;
    const char *name;
    Op *cands;          /* candidates, contiguous */
    Op **candv;         /* or an array of one (user function) */
    int ncand;
    Expr *rexpr;        /* receiver or first argument, checked first */
    int free_recv;      /* rexpr is args[0] of a free call */
    Type *rt;
    Op *op;
    Type *vars[26];
    Expr **slots;       /* per parameter: the argument, or NULL */
    Loc *slot_locs;
    Type *recv_t;       /* instantiated receiver type */
} Call;

static int param_index(Op *op, const char *name);

Expr *sema_arg(const Expr *call, const char *param)
{
    Op *op = (Op *)call->u.call.op;
    int i = op ? param_index(op, param) : -1;
    return i >= 0 && call->u.call.slots ? call->u.call.slots[i] : NULL;
}

Expr *sema_call_arg(const Expr *call, const Op *op, int param)
{
    if (call->u.call.slots && call->u.call.op == op)
        return call->u.call.slots[param];
    int pos = 0;
    int first = call->kind == EX_CALL && op->recv ? 1 : 0;  /* free form: args[0] is the receiver */
    if (call->kind == EX_METHOD && !op->recv) {             /* method form of a value function */
        if (param == 0)
            return call->u.call.recv;
        pos = 1;
    }
    for (int i = first; i < call->u.call.nargs; i++) {
        Arg *a = call->u.call.args[i];
        if (a->name) {
            if (!strcmp(a->name, op->params[param].name))
                return a->value;
        } else if (pos++ == param) {
            return a->value;
        }
    }
    return NULL;
}

Op *sema_fn_op(Sema *s, FnDecl *f)
{
    Op *op = arena_alloc(s->a, sizeof *op);
    op->name = f->name;
    op->nparams = f->nparams;
    op->params = arena_alloc(s->a, sizeof(OpParam) * (size_t)(f->nparams ? f->nparams : 1));
    for (int i = 0; i < f->nparams; i++) {
        op->params[i].name = f->params[i]->name;
        op->params[i].type = f->type->u.fn.params[i];
    }
    op->ret = f->type->u.fn.ret;
    return op;
}

static Op *call_cand(Call *c, int i) { return c->candv ? c->candv[i] : &c->cands[i]; }
static int op_flags(Op *op) { return op->def ? op->def->flags : 0; }
static OpHook op_hook(Op *op) { return op->def ? op->def->hook : HK_NONE; }

static const char *shape_name(StreamShape sh)
{
    static const char *n[] = {"a plain stream", "a keyed stream", "a windowed stream",
                              "a keyed windowed stream", "a stream"};
    return n[sh];
}

/* ---- choosing the candidate ---- */

static int shape_fits(StreamShape want, StreamShape got)
{
    return want == got || (want == SH_ELEMS && (got == SH_PLAIN || got == SH_KEYED));
}

static int cand_fits(Op *op, Type *rt, int has_rexpr)
{
    if (op->recv)
        return rt && rt->kind == TY_STREAM && shape_fits(op->recv->u.stream.shape, rt->u.stream.shape);
    if (!has_rexpr)
        return 1;
    if (!op->nparams)
        return 0;
    if (!rt || rt->kind == TY_VAR)
        return 1;
    Type *p0 = op->params[0].type;
    if (rt->kind == TY_STREAM)
        return p0->kind == TY_STREAM;
    if (p0->kind == TY_GEN)
        return type_in_class(rt, p0->u.var.tc);
    return p0->kind == rt->kind;
}

static void call_no_cand_stream(Sema *s, Call *c)
{
    Op *first = call_cand(c, 0);
    StreamShape got = c->rt->u.stream.shape;
    const char *ts = sema_tstr(s, c->rt);
    Loc at = c->e->u.call.name_loc;
    if (!first->recv) {
        diag_error(s->d, at, "`%s` works on values, but this is %s; apply it to each element, "
                             "as in .map(|x| %s(x%s))", c->name, ts, c->name, first->nparams > 1 ? ", .." : "");
        return;
    }
    if (got == SH_WINDOWED || got == SH_KWINDOWED) {
        diag_error(s->d, at, "`%s` does not apply to %s (%s): a window is followed by an aggregation: "
                             "count, sum, min, max, avg, fold, reduce, first, last or collect",
                   c->name, shape_name(got), ts);
        return;
    }
    StreamShape want = first->recv->u.stream.shape;
    for (int i = 0; i < c->ncand; i++)
        if (call_cand(c, i)->recv && call_cand(c, i)->recv->u.stream.shape == SH_KEYED)
            want = SH_KEYED;
    if (want == SH_KEYED || want == SH_KWINDOWED) {
        diag_error(s->d, at, "`%s` needs a keyed stream (from group_by(..) or key_by(..)), but this is %s",
                   c->name, ts);
        if (!strcmp(c->name, "window"))
            diag_note(s->d, at, "for windows over the whole stream, use window_all(..)");
    } else if (want == SH_WINDOWED) {
        diag_error(s->d, at, "`%s` works on windowed streams (after window(..) or window_all(..)), "
                             "but this is %s", c->name, ts);
    } else if (got == SH_KEYED) {
        diag_error(s->d, at, "`%s` works on a plain stream, but this one is keyed (%s); "
                             "use .unkey() first", c->name, ts);
    } else {
        diag_error(s->d, at, "`%s` does not apply to %s (%s)", c->name, shape_name(got), ts);
    }
}

static void call_no_cand(Sema *s, Call *c)
{
    if (!c->rt) {
        diag_error(s->d, c->e->u.call.name_loc, "`%s` is a stream operator; call it on a stream, as in "
                   "s.%s(..)", c->name, c->name);
        return;
    }
    if (c->rt->kind == TY_STREAM) {
        call_no_cand_stream(s, c);
        return;
    }
    int all_stream = 1;
    for (int i = 0; i < c->ncand; i++)
        all_stream &= call_cand(c, i)->recv != NULL;
    if (all_stream) {
        diag_error(s->d, c->rexpr->loc, "`%s` is a stream operator, but this is a value of type %s",
                   c->name, sema_tstr(s, c->rt));
        return;
    }
    diag_error(s->d, c->rexpr->loc, "no `%s` takes %s as its first argument", c->name, sema_tstr(s, c->rt));
    for (int i = 0; i < c->ncand && i < 4; i++)
        if (!call_cand(c, i)->recv && call_cand(c, i)->def)
            diag_note(s->d, c->e->u.call.name_loc, "there is %s", call_cand(c, i)->def->sig);
}

static void call_unknown(Sema *s, Call *c)
{
    int n;
    const char **names = ops_names(s->ops, s->a, &n);
    int cap = n + 256;
    const char **all = arena_alloc(s->a, sizeof(char *) * (size_t)cap);
    memcpy(all, names, sizeof(char *) * (size_t)n);
    for (Binding *b = s->globals; b && n < cap; b = b->next)
        if (b->kind == B_FN)
            all[n++] = b->name;
    const char *near = diag_closest(c->name, all, n);
    Binding *b = sema_lookup(s, c->name);
    if (b && b->kind != B_FN)
        diag_error(s->d, c->e->u.call.name_loc, "`%s` is not a function (it is a value of type %s)", c->name,
                   sema_tstr(s, b->type));
    else if (near)
        diag_error(s->d, c->e->u.call.name_loc, "unknown function `%s`; did you mean `%s`?", c->name, near);
    else
        diag_error(s->d, c->e->u.call.name_loc, "unknown function `%s`", c->name);
}

/* Checks the arguments of a call that cannot be typed, to report errors
 * inside them; lambdas are skipped (they need an expected type). */
static void call_check_rest(Sema *s, Call *c)
{
    for (int i = c->free_recv; i < c->e->u.call.nargs; i++) {
        Expr *x = c->e->u.call.args[i]->value;
        if (!sema_has_lambda(x) && x->kind != EX_NAME && x->kind != EX_TYPENAME)
            sema_expr(s, x, NULL);
    }
}

static int call_choose(Sema *s, Call *c)
{
    Expr *e = c->e;
    int any_overload = c->ncand > 1 || call_cand(c, 0)->recv;
    c->rexpr = e->u.call.recv;
    if (!c->rexpr && e->u.call.nargs && !e->u.call.args[0]->name && any_overload &&
        !sema_has_lambda(e->u.call.args[0]->value) && e->u.call.args[0]->value->kind != EX_TYPENAME) {
        c->rexpr = e->u.call.args[0]->value;
        c->free_recv = 1;
    }
    if (c->rexpr)
        c->rt = type_prune(sema_expr(s, c->rexpr, NULL));
    if (c->rt && c->rt->kind == TY_ERROR) {
        call_check_rest(s, c);
        return 0;
    }
    for (int i = 0; i < c->ncand; i++)
        if (cand_fits(call_cand(c, i), c->rt, c->rexpr != NULL)) {
            c->op = call_cand(c, i);
            break;
        }
    if (!c->op && c->free_recv) {  /* maybe args[0] is not a receiver after all */
        for (int i = 0; i < c->ncand && !c->op; i++)
            if (!call_cand(c, i)->recv && !call_cand(c, i)->nparams)
                c->op = call_cand(c, i);
    }
    if (!c->op) {
        call_no_cand(s, c);
        call_check_rest(s, c);
        return 0;
    }
    return 1;
}

/* ---- matching arguments to parameters ---- */

static int param_index(Op *op, const char *name)
{
    for (int i = 0; i < op->nparams; i++)
        if (!strcmp(op->params[i].name, name))
            return i;
    return -1;
}

static void call_unknown_param(Sema *s, Call *c, Arg *a)
{
    const char **names = arena_alloc(s->a, sizeof(char *) * (size_t)(c->op->nparams + 1));
    for (int i = 0; i < c->op->nparams; i++)
        names[i] = c->op->params[i].name;
    const char *near = diag_closest(a->name, names, c->op->nparams);
    if (near)
        diag_error(s->d, a->name_loc, "`%s` has no parameter `%s`; did you mean `%s`?", c->name, a->name, near);
    else if (c->op->nparams)
        diag_error(s->d, a->name_loc, "`%s` has no parameter `%s`", c->name, a->name);
    else
        diag_error(s->d, a->name_loc, "`%s` takes no arguments", c->name);
}

static int call_place(Sema *s, Call *c, int idx, Expr *x, Loc at, const char *pname)
{
    if (c->slots[idx]) {
        diag_error(s->d, at, "argument `%s` of `%s` is given twice", pname, c->name);
        return 0;
    }
    c->slots[idx] = x;
    c->slot_locs[idx] = at;
    return 1;
}

static int call_match(Sema *s, Call *c)
{
    Op *op = c->op;
    Expr *e = c->e;
    int ok = 1, pos = 0, named_seen = 0;
    c->slots = arena_alloc(s->a, sizeof(Expr *) * (size_t)(op->nparams + 1));
    c->slot_locs = arena_alloc(s->a, sizeof(Loc) * (size_t)(op->nparams + 1));
    if (c->rexpr && !op->recv && !c->free_recv)  /* method form of a value function */
        call_place(s, c, pos++, c->rexpr, c->rexpr->loc, op->params[0].name);
    for (int i = (op->recv ? c->free_recv : 0); i < e->u.call.nargs; i++) {
        Arg *a = e->u.call.args[i];
        if (a->name) {
            named_seen = 1;
            int idx = param_index(op, a->name);
            if (idx < 0) {
                call_unknown_param(s, c, a);
                ok = 0;
            } else
                ok &= call_place(s, c, idx, a->value, a->name_loc, a->name);
            continue;
        }
        if (named_seen) {
            diag_error(s->d, a->value->loc, "a positional argument cannot follow named ones");
            ok = 0;
            continue;
        }
        if (pos >= op->nparams) {
            int given = e->u.call.nargs - (op->recv ? c->free_recv : 0) + (c->rexpr && !op->recv && !c->free_recv);
            diag_error(s->d, a->value->loc, "`%s` takes %d argument%s, but %d were given", c->name,
                       op->nparams, op->nparams == 1 ? "" : "s", given);
            ok = 0;
            break;
        }
        ok &= call_place(s, c, pos, a->value, a->value->loc, op->params[pos].name);
        pos++;
    }
    for (int i = 0; i < op->nparams && ok; i++)
        if (!c->slots[i] && !op->params[i].def) {
            diag_error(s->d, e->u.call.name_loc, "missing argument `%s` of `%s`", op->params[i].name, c->name);
            ok = 0;
        }
    return ok;
}

/* ---- checking arguments ---- */

static Type *call_sym(Sema *s, Call *c, int idx, Expr *x, Type *t)
{
    const char *pname = c->op->params[idx].name;
    if (x->kind == EX_NAME)
        for (int i = 0; i < t->u.sym.n; i++)
            if (!strcmp(x->u.name.name, t->u.sym.names[i])) {
                Type *r = type_new(s->a, TY_SYM);
                r->u.sym = t->u.sym;
                r->u.sym.chosen = i;
                return x->type = r;
            }
    char buf[256] = "";
    for (int i = 0; i < t->u.sym.n; i++) {
        strncat(buf, t->u.sym.names[i], sizeof buf - strlen(buf) - 3);
        if (i + 1 < t->u.sym.n)
            strncat(buf, i + 2 == t->u.sym.n ? " or " : ", ", sizeof buf - strlen(buf) - 5);
    }
    if (x->kind == EX_NAME)
        diag_error(s->d, x->loc, "`%s` of `%s` must be one of %s, not `%s`", pname, c->name, buf, x->u.name.name);
    else
        diag_error(s->d, x->loc, "`%s` of `%s` must be one of %s", pname, c->name, buf);
    return x->type = TYPE_ERROR;
}

/* A type written as an argument: Point, i64, (str, f64). */
static Type *call_type_of(Sema *s, Expr *x)
{
    static const struct { const char *name; Type *t; } prims[] = {
        {"i64", TYPE_I64}, {"f64", TYPE_F64}, {"bool", TYPE_BOOL}, {"str", TYPE_STR}};
    if (x->kind == EX_TYPENAME) {
        Type *r = sema_find_record(s, x->u.name.name);
        if (!r)
            sema_unknown_type(s, x->u.name.name, x->loc);
        return r ? r : TYPE_ERROR;
    }
    if (x->kind == EX_NAME)
        for (int i = 0; i < 4; i++)
            if (!strcmp(x->u.name.name, prims[i].name))
                return prims[i].t;
    if (x->kind == EX_TUPLE) {
        Type **el = arena_alloc(s->a, sizeof(Type *) * (size_t)x->u.list.n);
        for (int i = 0; i < x->u.list.n; i++)
            el[i] = call_type_of(s, x->u.list.elems[i]);
        return type_tuple(s->a, el, x->u.list.n);
    }
    diag_error(s->d, x->loc, "expected a type here (a record name such as `Point`, or a tuple of "
                             "types such as `(str, i64)`)");
    return TYPE_ERROR;
}

static const char *call_ctx(Sema *s, Call *c, int idx, Type *want)
{
    if (op_hook(c->op) == HK_MERGE && !strcmp(c->op->params[idx].name, "other"))
        return arena_printf(s->a, "cannot merge %s with a stream of another type",
                            sema_tstr(s, c->recv_t ? c->recv_t : want));
    return arena_printf(s->a, "argument `%s` of `%s`", c->op->params[idx].name, c->name);
}

static Type *call_param_type(Sema *s, Call *c, int idx)
{
    return type_instantiate(s->a, c->op->params[idx].type, c->vars);
}

static void call_arg(Sema *s, Call *c, int idx)
{
    Expr *x = c->slots[idx];
    Type *want = call_param_type(s, c, idx);
    if (want->kind == TY_SYM) {
        call_sym(s, c, idx, x, want);
        return;
    }
    if (want->kind == TY_TYPEARG) {
        Type *t = call_type_of(s, x);
        Type *ta = type_new(s->a, TY_TYPEARG);
        ta->u.elem = t;
        x->type = ta;
        type_unify(want->u.elem, t);
        return;
    }
    if (x == c->rexpr && x->type) {  /* checked already, while choosing */
        if (!type_unify(want, x->type))
            sema_mismatch(s, x, want, x->type, call_ctx(s, c, idx, want));
        return;
    }
    s->lambda_op = c->name;
    s->lambda_param = c->op->params[idx].name;
    sema_expect(s, x, want, call_ctx(s, c, idx, want));
    s->lambda_op = s->lambda_param = NULL;
}

/* iterate/replay without local/merge: the delta is the round's output as a vector. */
static void call_iterate_default(Sema *s, Call *c, int idx)
{
    int local = param_index(c->op, "local"), merge = param_index(c->op, "merge");
    if (strcmp(c->op->params[idx].name, "body") || local < 0 || c->slots[local])
        return;
    Type *body = call_param_type(s, c, idx);
    Type *d = call_param_type(s, c, local)->u.tuple.elems[0];
    if (c->slots[merge])  /* reported by hook_iterate; the delta's type is unknown */
        type_unify(d, TYPE_ERROR);
    else
        type_unify(d, type_vec(s->a, type_prune(body->u.fn.ret)->u.stream.elem));
}

static void call_args(Sema *s, Call *c)
{
    Op *op = c->op;
    for (int i = 0; i < op->nparams; i++)
        if (c->slots[i] && !sema_has_lambda(c->slots[i]))
            call_arg(s, c, i);
    for (int i = 0; i < op->nparams; i++)
        if (c->slots[i] && sema_has_lambda(c->slots[i])) {
            int saved = s->in_loop_body;
            if (op_hook(op) == HK_ITERATE && !strcmp(op->params[i].name, "body")) {
                s->in_loop_body = 1;
                s->loop_loc = c->e->u.call.name_loc;
            }
            call_arg(s, c, i);
            s->in_loop_body = saved;
            if (op_hook(op) == HK_ITERATE)
                call_iterate_default(s, c, i);
        }
}

static void call_receiver(Sema *s, Call *c)
{
    Type *tpl = c->op->recv;
    Type *rt = c->rt;
    if (tpl->u.stream.shape == SH_ELEMS) {
        Type *elem = type_instantiate(s->a, tpl->u.stream.elem, c->vars);
        Type *have = rt->u.stream.shape == SH_KEYED ? type_pair(s->a, rt->u.stream.key, rt->u.stream.elem)
                                                    : rt->u.stream.elem;
        type_unify(elem, have);
        c->recv_t = rt;
        return;
    }
    c->recv_t = type_instantiate(s->a, tpl, c->vars);
    if (!type_unify(c->recv_t, rt))
        sema_mismatch(s, c->rexpr, c->recv_t, rt, arena_printf(s->a, "the receiver of `%s`", c->name));
}

/* ---- hooks: what the signatures cannot say ---- */

static int64_t lit_value(Expr *x, int *is_lit)
{
    *is_lit = x && (x->kind == EX_INT || x->kind == EX_DURATION);
    if (x && x->kind == EX_UNARY && x->u.bin.op == OP_NEG && x->u.bin.lhs->kind != EX_UNARY) {
        int64_t v = lit_value(x->u.bin.lhs, is_lit);
        return -v;
    }
    return *is_lit ? x->u.ival : 0;
}

static int sym_chosen(Call *c, const char *pname)
{
    int i = param_index(c->op, pname);
    Expr *x = i >= 0 ? c->slots[i] : NULL;
    if (!x)
        return 0;
    Type *t = type_prune(x->type);
    return t && t->kind == TY_SYM ? t->u.sym.chosen : -1;
}

static Type *hook_join(Sema *s, Call *c, Type *ret)
{
    int how = sym_chosen(c, "how"), ship = sym_chosen(c, "ship");
    Type *pair = type_prune(ret->u.stream.elem);
    Type *l = pair->u.tuple.elems[0], *r = pair->u.tuple.elems[1];
    if (ship == 1 && how == 2)
        diag_error(s->d, c->slots[param_index(c->op, "ship")]->loc,
                   "a broadcast join is inner or left: with `how: outer`, every task would emit the "
                   "unmatched elements of the broadcast side");
    if (how == 1)
        ret->u.stream.elem = type_pair(s->a, l, type_opt(s->a, r));
    else if (how == 2)
        ret->u.stream.elem = type_pair(s->a, type_opt(s->a, l), type_opt(s->a, r));
    return ret;
}

static void hook_window(Sema *s, Call *c, Type *ret)
{
    int si = param_index(c->op, "spec");
    Type *spec = type_prune(c->slots[si]->type ? c->slots[si]->type : TYPE_ERROR);
    int time = sym_chosen(c, "time");
    int ti = param_index(c->op, "time");
    int evtime = c->rt->u.stream.evtime;
    if (spec->kind != TY_WINSPEC)
        return;
    WinKind wk = spec->u.win.wk;
    if (wk == WK_COUNT && time > 0) {
        diag_error(s->d, c->slots[ti]->loc, "a count window does not use time; remove `time:`");
        return;
    }
    if (time == 1 && !evtime) {
        diag_error(s->d, c->slots[ti]->loc, "`time: event` needs event time, but this stream has none");
        diag_note(s->d, c->rexpr->loc, "stamp the elements first with .event_time(|x| x.ts) before "
                                       "keying or windowing");
    }
    ret->u.stream.win_event = time == 1 || (time == 0 && evtime && wk != WK_COUNT);
}

static void hook_window_join(Sema *s, Call *c)
{
    int si = param_index(c->op, "window");
    Type *spec = type_prune(c->slots[si]->type ? c->slots[si]->type : TYPE_ERROR);
    if (spec->kind == TY_WINSPEC && (spec->u.win.wk == WK_COUNT || spec->u.win.wk == WK_TXN))
        diag_error(s->d, c->slots[si]->loc, "window_join needs a time window (tumbling, sliding or session)");
    Type *other = type_prune(c->slots[0]->type ? c->slots[0]->type : TYPE_ERROR);
    if (other->kind == TY_STREAM && other->u.stream.evtime != c->rt->u.stream.evtime)
        diag_error(s->d, c->slots[0]->loc, "window_join needs event time on both streams or on neither; "
                                           "only the %s has it", c->rt->u.stream.evtime ? "left" : "right");
}

static void hook_interval_join(Sema *s, Call *c)
{
    Type *other = type_prune(c->slots[0]->type ? c->slots[0]->type : TYPE_ERROR);
    if (!c->rt->u.stream.evtime)
        diag_error(s->d, c->rexpr->loc, "interval_join needs event time on this stream; add "
                                        ".event_time(..) before keying it");
    if (other->kind == TY_STREAM && !other->u.stream.evtime)
        diag_error(s->d, c->slots[0]->loc, "interval_join needs event time on this stream; add "
                                           ".event_time(..) before keying it");
    int l1, l2;
    int64_t lo = lit_value(c->slots[1], &l1), hi = lit_value(c->slots[2], &l2);
    if (l1 && l2 && lo > hi)
        diag_error(s->d, c->slots[1]->loc, "the interval is empty: lower (%lld ms) is above upper (%lld ms)",
                   (long long)lo, (long long)hi);
}

static void hook_iterate(Sema *s, Call *c)
{
    int li = param_index(c->op, "local"), mi = param_index(c->op, "merge");
    if (c->slots[li] && !c->slots[mi])
        diag_error(s->d, c->e->u.call.name_loc, "`%s` with `local` also needs `merge` (how the tasks' "
                                                "deltas combine)", c->name);
    else if (!c->slots[li] && c->slots[mi])
        diag_error(s->d, c->e->u.call.name_loc, "`%s` with `merge` also needs `local` (the initial "
                                                "delta and how each task folds into it)", c->name);
    int lit, mx = param_index(c->op, "max");
    int64_t v = lit_value(c->slots[mx], &lit);
    if (lit && v < 1)
        diag_error(s->d, c->slots[mx]->loc, "`max` must be at least 1");
}

static int csv_column_ok(Type *t)
{
    t = type_prune(t);
    if (t->kind == TY_OPT)
        t = type_prune(t->u.elem);
    return type_is_scalar(t) || t->kind == TY_ERROR;
}

/* A CSV column: a scalar or an option of one; tuples and records nest. */
static Type *csv_bad_column(Type *t)
{
    t = type_prune(t);
    if (t->kind == TY_TUPLE) {
        for (int i = 0; i < t->u.tuple.n; i++)
            if (csv_bad_column(t->u.tuple.elems[i]))
                return csv_bad_column(t->u.tuple.elems[i]);
        return NULL;
    }
    if (t->kind == TY_RECORD) {
        for (int i = 0; i < t->u.rec.n; i++)
            if (csv_bad_column(t->u.rec.fields[i].type))
                return csv_bad_column(t->u.rec.fields[i].type);
        return NULL;
    }
    return csv_column_ok(t) ? NULL : t;
}

static void hook_write_csv(Sema *s, Call *c)
{
    Type *elem = c->rt->u.stream.shape == SH_KEYED ? type_pair(s->a, c->rt->u.stream.key, c->rt->u.stream.elem)
                                                    : c->rt->u.stream.elem;
    Type *bad = type_has_error(elem) ? NULL : csv_bad_column(elem);
    if (bad)
        diag_error(s->d, c->e->u.call.name_loc, "write_csv writes columns of scalars (i64, f64, bool, str, "
                   "or opt<..> of them), but %s has a column of type %s; use write_lines, or map it to a "
                   "string with to_str", sema_tstr(s, elem), sema_tstr(s, bad));
}

static void hook_read_csv(Sema *s, Call *c)
{
    int ri = param_index(c->op, "row");
    Type *t = type_prune(c->slots[ri]->type);
    if (!t || t->kind != TY_TYPEARG)
        return;
    Type *row = type_prune(t->u.elem);
    if (row->kind == TY_RECORD) {
        for (int i = 0; i < row->u.rec.n; i++)
            if (!csv_column_ok(row->u.rec.fields[i].type))
                diag_error(s->d, c->slots[ri]->loc, "read_csv reads fields of type i64, f64, bool or str "
                           "(or opt<..> of them, none for an empty cell), but field `%s` of `%s` has type %s", row->u.rec.fields[i].name, row->u.rec.name,
                           sema_tstr(s, row->u.rec.fields[i].type));
    } else if (row->kind == TY_TUPLE) {
        for (int i = 0; i < row->u.tuple.n; i++)
            if (!csv_column_ok(row->u.tuple.elems[i]))
                diag_error(s->d, c->slots[ri]->loc, "read_csv reads columns of type i64, f64, bool or str "
                           "(or opt<..> of them), but column %d has type %s", i, sema_tstr(s, row->u.tuple.elems[i]));
    } else if (row->kind != TY_ERROR) {
        diag_error(s->d, c->slots[ri]->loc, "read_csv reads rows into a record or a tuple, not %s",
                   sema_tstr(s, row));
    }
}

/* The types JSON Lines reads and writes: scalars, opt, vec, tuples and records of them. */
/* Whether t is made of i64, f64, bool, str, and opt, vec, tuples and records
 * (not built-in ones) of them: what JSON Lines and Arrow hold; opt<opt<..>>
 * only when nested_opt (JSON has it; an Arrow slot holds one null). */
static int data_type_ok(Type *t, int nested_opt, int in_opt)
{
    t = type_prune(t);
    switch (t->kind) {
    case TY_I64: case TY_F64: case TY_BOOL: case TY_STR: case TY_ERROR: return 1;
    case TY_OPT: return (nested_opt || !in_opt) && data_type_ok(t->u.elem, nested_opt, 1);
    case TY_VEC: return data_type_ok(t->u.elem, nested_opt, 0);
    case TY_TUPLE:
        for (int i = 0; i < t->u.tuple.n; i++)
            if (!data_type_ok(t->u.tuple.elems[i], nested_opt, 0))
                return 0;
        return 1;
    case TY_RECORD:
        for (int i = 0; i < t->u.rec.n && !t->u.rec.builtin; i++)
            if (!data_type_ok(t->u.rec.fields[i].type, nested_opt, 0))
                return 0;
        return !t->u.rec.builtin;   /* (Date, Window: no JSON or Arrow form yet) */
    default: return 0;
    }
}

static void hook_jsonl(Sema *s, Call *c, int reading)
{
    Type *t = NULL, *k = NULL;
    Loc at = c->e->loc;
    if (reading) {
        int ri = param_index(c->op, "row");
        Type *ta = type_prune(c->slots[ri]->type);
        t = ta && ta->kind == TY_TYPEARG ? ta->u.elem : NULL;
        at = c->slots[ri]->loc;
    } else if (c->recv_t && type_prune(c->recv_t)->kind == TY_STREAM) {
        t = type_prune(c->recv_t)->u.stream.elem;
        k = type_prune(c->recv_t)->u.stream.key;
    }
    if (k && !data_type_ok(k, 1, 0))
        t = k;
    if (t && !data_type_ok(t, 1, 0))
        diag_error(s->d, at, "%s made of i64, f64, bool, str, and opt, vec, tuples and records of them, not %s",
                   reading ? "read_jsonl reads rows" : "write_jsonl writes elements", sema_tstr(s, t));
}

/* write_arrow: types Arrow holds (data_type_ok without opt<opt<..>>), and binary a literal. */
static void hook_write_arrow(Sema *s, Call *c)
{
    Type *st = c->recv_t ? type_prune(c->recv_t) : NULL;
    if (st && st->kind == TY_STREAM && (!data_type_ok(st->u.stream.elem, 0, 0) ||
                                        (st->u.stream.key && !data_type_ok(st->u.stream.key, 0, 0))))
        diag_error(s->d, c->e->loc, "write_arrow writes elements made of i64, f64, bool, str, and opt (not opt<opt<..>>), "
                   "vec, tuples and records of them, not %s", sema_tstr(s, st->u.stream.elem));
    int bi = param_index(c->op, "binary");
    if (bi >= 0 && c->slots[bi] && c->slots[bi]->kind != EX_BOOL)
        diag_error(s->d, c->slots[bi]->loc, "`binary` of write_arrow must be true or false as written (it decides the "
                   "file's schema when the job is compiled)");
}

/* Literal arguments that can never work: a window of size 0, limit(-1). */
static void call_literal_args(Sema *s, Call *c)
{
    static const struct { const char *op, *param; int64_t min; } rules[] = {
        {"count", "n", 1}, {"count", "slide", 1}, {"tumbling", "size", 1}, {"sliding", "size", 1},
        {"sliding", "slide", 1}, {"session", "gap", 1}, {"parallelism", "n", 1}, {"limit", "n", 0},
        {"commit_after", "t", 0}};
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        if (strcmp(c->name, rules[r].op) || !c->op->def)
            continue;
        int i = param_index(c->op, rules[r].param), lit;
        int64_t v = i >= 0 ? lit_value(c->slots[i], &lit) : 0;
        if (i >= 0 && lit && v < rules[r].min)
            diag_error(s->d, c->slots[i]->loc, "`%s` of `%s` must be %s", rules[r].param, c->name,
                       rules[r].min ? "positive" : "zero or more");
    }
}

static Type *call_result(Sema *s, Call *c)
{
    Type *ret = type_instantiate(s->a, c->op->ret, c->vars);
    int evtime = c->rt && c->rt->kind == TY_STREAM && (op_flags(c->op) & OPF_KEEP_TIME) ? c->rt->u.stream.evtime : 0;
    if (ret->kind == TY_STREAM) {
        ret->u.stream.evtime = evtime;
        if (c->rt && c->rt->kind == TY_STREAM)
            ret->u.stream.win_event = c->rt->u.stream.win_event;
    }
    switch (op_hook(c->op)) {
    case HK_EVENT_TIME: {
        int di = param_index(c->op, "delay"), lit;
        if (lit_value(c->slots[di], &lit) < 0 && lit)
            diag_error(s->d, c->slots[di]->loc, "the delay of event_time cannot be negative");
        ret->u.stream.evtime = 1;
        break;
    }
    case HK_MERGE: {
        Type *o = type_prune(c->slots[0]->type ? c->slots[0]->type : TYPE_ERROR);
        ret->u.stream.evtime = evtime && o->kind == TY_STREAM && o->u.stream.evtime;
        break;
    }
    case HK_JOIN: ret = hook_join(s, c, ret); break;
    case HK_WINDOW: hook_window(s, c, ret); break;
    case HK_WINDOW_JOIN: hook_window_join(s, c); break;
    case HK_INTERVAL_JOIN: hook_interval_join(s, c); break;
    case HK_ITERATE: hook_iterate(s, c); break;
    case HK_READ_CSV: hook_read_csv(s, c); break;
    case HK_READ_JSONL: hook_jsonl(s, c, 1); break;
    case HK_WRITE_JSONL: hook_jsonl(s, c, 0); break;
    case HK_WRITE_ARROW: hook_write_arrow(s, c); break;
    case HK_READ_ARROW: {
        int ri = param_index(c->op, "row");
        Type *ta = type_prune(c->slots[ri]->type);
        if (ta && ta->kind == TY_TYPEARG && !data_type_ok(ta->u.elem, 0, 0))
            diag_error(s->d, c->slots[ri]->loc, "read_arrow reads rows made of i64, f64, bool, str, and opt (not "
                       "opt<opt<..>>), vec, tuples and records of them, not %s", sema_tstr(s, ta->u.elem));
        break;
    }
    case HK_WRITE_CSV: hook_write_csv(s, c); break;
    default: break;
    }
    call_literal_args(s, c);
    return ret;
}

static Type *call_context_checks(Sema *s, Call *c, Type *ret)
{
    if ((op_flags(c->op) & OPF_PHASE) && s->in_loop_body) {
        diag_error(s->d, c->e->u.call.name_loc, "`%s` cannot be used inside the body of an iteration; "
                   "use the round's state instead", c->name);
        diag_note(s->d, s->loop_loc, "the iteration starts here");
    }
    if (type_is_stream(ret) && !c->op->recv && !s->stream_ok) {
        diag_error(s->d, c->e->u.call.name_loc, "a stream cannot be made inside a %s; `%s` belongs in a "
                   "top-level pipeline", s->in_param ? "param default" : s->in_fn ? "function" : "lambda",
                   c->name);
        return TYPE_ERROR;
    }
    return ret;
}

static int call_lookup(Sema *s, Call *c)
{
    Binding *b = sema_lookup(s, c->name);
    if (b && b->kind == B_FN && b->fn) {
        b->uses++;
        c->candv = &b->fn;
        c->ncand = 1;
        return 1;
    }
    int first;
    c->ncand = ops_find(s->ops, c->name, &first);
    c->cands = s->ops->ops + first;
    return c->ncand > 0;
}

/* A function without receiver whose result type is known from the context
 * (`window(transaction(|x| ..))`): its generic parameters are bound from
 * there before the lambdas are checked. */
static void call_expected(Sema *s, Call *c, Type *expected)
{
    if (!expected || c->op->recv || !c->op->def || type_has_stream(expected))
        return;
    Type *ret = type_instantiate(s->a, c->op->ret, c->vars);
    if (ret->kind == TY_WINSPEC && type_prune(expected)->kind == TY_WINSPEC)
        type_unify(ret->u.win.elem, type_prune(expected)->u.win.elem);
}

Type *sema_call(Sema *s, Expr *e, Type *expected)
{
    Call c = {.e = e, .name = e->u.call.name};
    if (!call_lookup(s, &c)) {
        call_unknown(s, &c);
        if (e->u.call.recv)
            sema_expr(s, e->u.call.recv, NULL);
        call_check_rest(s, &c);
        return TYPE_ERROR;
    }
    if (!call_choose(s, &c))
        return TYPE_ERROR;
    e->u.call.op = c.op;
    if (!call_match(s, &c)) {
        call_check_rest(s, &c);
        return TYPE_ERROR;
    }
    e->u.call.slots = c.slots;   /* plan and emission read the arguments from here */
    if (c.op->recv)
        call_receiver(s, &c);
    call_expected(s, &c, expected);
    call_args(s, &c);
    Type *ret = call_result(s, &c);
    return call_context_checks(s, &c, ret);
}
