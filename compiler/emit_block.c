/* emit_block.c - rows a block at a time where the C compiler can then
 * vectorize across rows. Today one shape, k-means' assignment: a map over
 * a loop's cached rows whose lambda holds `v.argmin(|c| f(p, c))` (or
 * argmax; v a name bound outside the map, f giving an i64 or f64). The
 * store's rows are taken 256 at a time; for each block the argmin of
 * every row is computed with the vector's loop outside and the rows'
 * inside (a select per row and element: what the hand-written C does
 * with vector types), and the map then reads row i's index from _ai.
 * Same result as the row's own loop, `if (i == 0 || key < best)`: the
 * first of equals; a NaN first element wins, a later NaN never does; an
 * empty vector gives -1. The keys are computed element by element, not
 * row by row, so a lambda that fails fails at another (row, element)
 * first, with the same message. */
#include "emit_int.h"

#include <string.h>

/* The argmin/argmax call of the map c's lambda that can be computed a
 * block of rows at a time (a direct element of the lambda's body), or NULL. */
Expr *eb_argmin(PlanNode *c)
{
    if (c->kind != PN_MAP || c->key || !c->fn || c->fn->kind != EX_LAMBDA || c->fn->u.lambda.n != 1 ||
        c->fn->u.lambda.params[0]->kind != PAT_NAME)
        return NULL;
    Expr *b = c->fn->u.lambda.body;
    int n = b->kind == EX_TUPLE ? b->u.list.n : 1;
    for (int i = 0; i < n; i++) {
        Expr *x = b->kind == EX_TUPLE ? b->u.list.elems[i] : b;
        const Op *op = x->kind == EX_METHOD || x->kind == EX_CALL ? x->u.call.op : NULL;
        if (!op || !op->def || op->recv || (strcmp(op->name, "argmin") && strcmp(op->name, "argmax")))
            continue;
        Expr *v = sema_call_arg(x, op, 0), *l = sema_call_arg(x, op, 1);
        if (!v || !l || v->kind != EX_NAME || !strcmp(v->u.name.name, c->fn->u.lambda.params[0]->name) ||
            l->kind != EX_LAMBDA || l->u.lambda.n != 1)
            continue;
        TypeKind k = type_prune(type_prune(l->type)->u.fn.ret)->kind;
        if (k == TY_I64 || k == TY_F64)
            return x;
    }
    return NULL;
}

/* The key of element ci of the vector vc for row _b0 + _r (its own scope). */
static const char *eb_key(SE *x, PlanNode *c, Expr *l, const char *vc, const char *ci)
{
    Emit *e = x->e;
    Type *ft = type_prune(c->fn->type);
    ex_bind_pattern(e, c->fn->u.lambda.params[0], "_ch[_b0 + _r]", ft->u.fn.params[0]);
    const char *args[1] = {arena_printf(e->a, "%s.data[%s]", vc, ci)};
    return ex_lambda(e, l, args, 1);
}

/* The rows' loop of a block: for _r over [0, _be - _b0), body by step. */
static void eb_rows(SE *x, PlanNode *c, Expr *l, const char *vc, const char *ci, const char *op)
{
    Emit *e = x->e;
    EScope *saved = e->scope;
    em_line(e, "for (int _r = 0; _r < (int)(_be - _b0); _r++) {");
    e->indent++;
    const char *k = eb_key(x, c, l, vc, ci);
    if (!op) {
        em_line(e, "_ak[_r] = %s;", k);
        em_line(e, "_ai[_r] = 0;");
    } else {
        /* no branch in scalar code either: the index by a mask, the key as
         * `k < best ? k : best` (one minsd, whose NaN rule is this one) */
        em_line(e, "fl_i64 _lt = -(fl_i64)(%s %s _ak[_r]);", k, op);
        em_line(e, "_ai[_r] ^= (_ai[_r] ^ %s) & _lt;", ci);
        em_line(e, "_ak[_r] = %s %s _ak[_r] ? %s : _ak[_r];", k, op, k);
    }
    e->indent--;
    em_line(e, "}");
    e->scope = saved;
}

/* Into _ai[0 .. _be - _b0): the argmin am of the map c for the rows
 * _ch[_b0 .. _be) (the caller declares _ai, _b0 and _be). */
static void eb_block(SE *x, PlanNode *c, Expr *am)
{
    Emit *e = x->e;
    const Op *op = am->u.call.op;
    Expr *l = sema_call_arg(am, op, 1);
    const char *vc = ex_expr(e, sema_call_arg(am, op, 0));
    em_line(e, "%s _ak[%d];", et_name(e, type_prune(type_prune(l->type)->u.fn.ret)), EB_ROWS);
    em_line(e, "if (%s.len == 0) {", vc);
    em_line(e, "    for (int _r = 0; _r < (int)(_be - _b0); _r++) _ai[_r] = -1;");
    em_line(e, "} else {");
    e->indent++;
    eb_rows(x, c, l, vc, "0", NULL);
    em_line(e, "for (fl_i64 _hc = 1; _hc < %s.len; _hc++) {", vc);
    e->indent++;
    eb_rows(x, c, l, vc, "_hc", strcmp(op->name, "argmax") ? "<" : ">");
    e->indent--;
    em_line(e, "}");
    e->indent--;
    em_line(e, "}");
}

void eb_store_rows(SE *x, PlanNode *n, Expr *am, const char *sent)
{
    Emit *e = x->e;
    em_line(e, "fl_i64 _ai[%d];", EB_ROWS);
    em_line(e, "for (fl_i64 _b0 = _i, _be; _i < _n%s; _b0 = _i) {", sent);
    e->indent++;
    em_line(e, "_be = _n - _i < %d ? _n : _i + %d;", EB_ROWS, EB_ROWS);
    eb_block(x, n->out[0], am);
    em_line(e, "for (; _i < _be%s; _i++) {", sent);
    e->indent++;
    e->pre_x = am;
    e->pre_c = "_ai[_i - _b0]";
    se_consume(x, n, "_ch[_i]");
    e->pre_x = NULL;
    e->indent--;
    em_line(e, "}");
    em_line(e, "if (_i < _be)");
    em_line(e, "    break;   /* a batch left: the next call goes on from _i */");
    e->indent--;
    em_line(e, "}");
}
