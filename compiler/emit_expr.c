/* emit_expr.c - expressions to C. Every expression is emitted as
 * statements (to the current section) that leave its value in a C
 * expression, usually a fresh temporary: so `if`, blocks, short-circuit
 * operators and the loops of vector builtins with their inlined lambdas
 * all fit anywhere. i64 arithmetic wraps (two's complement) as documented;
 * division by zero and out-of-range indices stop the job with a message. */
#include "emit_int.h"

#include <string.h>

static Type *ty(Expr *x) { return type_prune(x->type); }


/* A temporary of type t initialised with value. */
static const char *ex_let(Emit *e, Type *t, const char *value)
{
    const char *v = em_temp(e);
    em_line(e, "%s %s = %s;", et_name(e, t), v, value);
    return v;
}

static const char *ex_str_lit(Emit *e, const char *p, int64_t n)
{
    char *out = arena_alloc(e->a, (size_t)n * 4 + 1);
    char *o = out;
    for (int64_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\' || c < 32 || c >= 127 || c == '?')
            o += sprintf(o, "\\%03o", c);
        else
            *o++ = (char)c;
    }
    *o = 0;
    return arena_printf(e->a, "fl_lit(\"%s\", %lld)", out, (long long)n);
}

/* ---- names and patterns ---- */

void ex_bind_pattern(Emit *e, Pattern *p, const char *value, Type *t)
{
    t = type_prune(p->type ? p->type : t);
    if (p->kind == PAT_WILD)
        return;
    if (p->kind == PAT_NAME) {
        const char *v = arena_printf(e->a, "v_%s_%d", p->name, e->ntemp++);
        em_line(e, "%s %s = %s;", et_name(e, t), v, value);
        em_line(e, "(void)%s;", v);
        em_bind(e, p->name, v);
        return;
    }
    const char *tmp = ex_let(e, t, value);
    for (int i = 0; i < p->nelems; i++)
        ex_bind_pattern(e, p->elems[i], arena_printf(e->a, "%s._%d", tmp, i), t->u.tuple.elems[i]);
}

const char *ex_lambda_acc(Emit *e, Expr *lambda, const char **args, int nargs)
{
    if (lambda->kind != EX_LAMBDA || nargs < 1 || lambda->u.lambda.params[0]->kind != PAT_NAME)
        return ex_lambda(e, lambda, args, nargs);
    Type *ft = type_prune(lambda->type);
    ex_bind_pattern(e, lambda->u.lambda.params[0], args[0], ft->u.fn.params[0]);
    e->scope->owned = 1;
    for (int i = 1; i < nargs && i < lambda->u.lambda.n; i++)
        ex_bind_pattern(e, lambda->u.lambda.params[i], args[i], ft->u.fn.params[i]);
    return ex_expr(e, lambda->u.lambda.body);
}

int ex_is_owned(Emit *e, Expr *x)
{
    const Op *op = x->kind == EX_CALL || x->kind == EX_METHOD ? x->u.call.op : NULL;
    if (op && op->def && !op->recv && (!strcmp(op->name, "update") || !strcmp(op->name, "set")))
        return ex_is_owned(e, sema_call_arg(x, op, 0));   /* acc.update(..).set(..): still the accumulator */
    if (x->kind != EX_NAME)
        return 0;
    for (EScope *s = e->scope; s; s = s->next)
        if (!strcmp(s->name, x->u.name.name))
            return s->owned;
    return 0;
}

const char *ex_lambda(Emit *e, Expr *lambda, const char **args, int nargs)
{
    if (lambda->kind == EX_NAME) {  /* a function passed by name */
        return ex_let(e, type_prune(lambda->type)->u.fn.ret, em_fn_call(e, lambda->u.name.name, args, nargs));
    }
    Type *ft = type_prune(lambda->type);
    for (int i = 0; i < nargs && i < lambda->u.lambda.n; i++)
        ex_bind_pattern(e, lambda->u.lambda.params[i], args[i], ft->u.fn.params[i]);
    return ex_expr(e, lambda->u.lambda.body);
}

/* ---- operators ---- */

/* x / 2^k and x % 2^k by shifts, truncating toward zero like C's division
 * (tcc emits idiv for a constant divisor; gcc does this itself). */
int ex_fact(Emit *e, Expr *cond, int branch)
{
    int saved = e->nnonneg;
    if (cond->kind != EX_BINARY || cond->u.bin.op < OP_EQ || cond->u.bin.op > OP_GE)
        return saved;
    Expr *l = cond->u.bin.lhs, *r = cond->u.bin.rhs;
    if (l->kind != EX_NAME || ty(l)->kind != TY_I64 || r->kind != EX_INT)
        return saved;
    int64_t c = r->u.ival;
    int op = cond->u.bin.op, holds;
    if (branch)   /* x > c, x >= c, x == c */
        holds = (op == OP_GT && c >= -1) || ((op == OP_GE || op == OP_EQ) && c >= 0);
    else          /* not x <= c, not x < c, not x != c */
        holds = (op == OP_LE && c >= -1) || ((op == OP_LT || op == OP_NE) && c >= 0);
    const char *v = em_lookup(e, l->u.name.name);
    if (holds && v && e->nnonneg < (int)(sizeof e->nonneg / sizeof e->nonneg[0]))
        e->nonneg[e->nnonneg++] = v;
    return saved;
}

static int ex_is_nonneg(Emit *e, const char *c)
{
    for (int i = 0; i < e->nnonneg; i++)
        if (!strcmp(e->nonneg[i], c))
            return 1;
    return 0;
}

static int ex_log2(int64_t d)
{
    int k = 0;
    while ((1LL << k) < d)
        k++;
    return k;
}

static int ex_pow2_lit(const Expr *x)
{
    int lit = x->kind == EX_INT || x->kind == EX_DURATION;
    return lit && x->u.ival > 1 && !(x->u.ival & (x->u.ival - 1));
}

static const char *ex_div_pow2(Emit *e, char op, const char *l, int64_t d)
{
    int k = ex_log2(d);
    if (ex_is_nonneg(e, l))   /* a proven x >= 0: no rounding toward zero to fix */
        return op == '/' ? arena_printf(e->a, "(%s >> %d)", l, k) : arena_printf(e->a, "(%s & %lldLL)", l, (long long)d - 1);
    const char *q = arena_printf(e->a, "((%s + (fl_i64)((fl_u64)(%s >> 63) >> %d)) >> %d)", l, l, 64 - k, k);
    if (op == '/')
        return q;
    return arena_printf(e->a, "((fl_i64)((fl_u64)%s - ((fl_u64)%s << %d)))", l, q, k);
}

static const char *ex_arith(Emit *e, Expr *x, const char *l, const char *r)
{
    Type *t = ty(x->u.bin.lhs);
    static const char ops[] = "+-*/%";
    char op = ops[x->u.bin.op];
    if (t->kind == TY_STR)
        return ex_let(e, t, arena_printf(e->a, "fl_concat(%s, %s, %s)", e->arena, l, r));
    if (t->kind == TY_F64) {
        if (op == '%')
            return arena_printf(e->a, "fl_fmod(%s, %s)", l, r);
        return arena_printf(e->a, "(%s %c %s)", l, op, r);
    }
    Expr *rx = x->u.bin.rhs;
    int lit = rx->kind == EX_INT || rx->kind == EX_DURATION;
    if ((op == '/' || op == '%') && ex_pow2_lit(rx))
        return ex_div_pow2(e, op, l, rx->u.ival);
    if ((op == '/' || op == '%') && lit && rx->u.ival != 0 && rx->u.ival != -1)
        return arena_printf(e->a, "(%s %c %s)", l, op, r);  /* no check needed (and no call under tcc) */
    if (op == '/')
        return arena_printf(e->a, "fl_div(%s, %s)", l, r);
    if (op == '%')
        return arena_printf(e->a, "fl_mod(%s, %s)", l, r);
    return arena_printf(e->a, "((fl_i64)((fl_u64)%s %c (fl_u64)%s))", l, op, r);
}

static const char *ex_compare(Emit *e, Expr *x, const char *l, const char *r)
{
    static const char *ops[] = {"==", "!=", "<", "<=", ">", ">="};
    Type *t = ty(x->u.bin.lhs);
    const char *op = ops[x->u.bin.op - OP_EQ];
    if (t->kind == TY_I64 || t->kind == TY_F64 || t->kind == TY_BOOL)
        return arena_printf(e->a, "(%s %s %s)", l, op, r);
    if (x->u.bin.op == OP_EQ || x->u.bin.op == OP_NE)
        return arena_printf(e->a, "(%s%s(%s, %s))", x->u.bin.op == OP_NE ? "!" : "", et_helper(e, "eq", t), l, r);
    return arena_printf(e->a, "(%s(%s, %s) %s 0)", et_helper(e, "cmp", t), l, r, op);
}

static const char *ex_logic(Emit *e, Expr *x)
{
    const char *v = ex_let(e, TYPE_BOOL, ex_expr(e, x->u.bin.lhs));
    em_line(e, "if (%s%s) {", x->u.bin.op == OP_AND ? "" : "!", v);
    e->indent++;
    em_line(e, "%s = %s;", v, ex_expr(e, x->u.bin.rhs));
    e->indent--;
    em_line(e, "}");
    return v;
}

static const char *ex_binary(Emit *e, Expr *x)
{
    if (x->u.bin.op == OP_AND || x->u.bin.op == OP_OR)
        return ex_logic(e, x);
    Expr *lx = x->u.bin.lhs, *rx = x->u.bin.rhs;
    if ((x->u.bin.op == OP_EQ || x->u.bin.op == OP_NE) && lx->kind == EX_BINARY && lx->u.bin.op == OP_MOD &&
        ty(lx)->kind == TY_I64 && ex_pow2_lit(lx->u.bin.rhs) && rx->kind == EX_INT && rx->u.ival == 0)
        return ex_let(e, TYPE_BOOL, arena_printf(e->a, "((%s & %lldLL) %s 0)", ex_expr(e, lx->u.bin.lhs),
                                                 (long long)lx->u.bin.rhs->u.ival - 1, x->u.bin.op == OP_EQ ? "==" : "!="));
    const char *l = ex_expr(e, lx);
    const char *r = ex_expr(e, rx);
    if (x->u.bin.op <= OP_MOD)
        return ex_let(e, ty(x), ex_arith(e, x, l, r));
    return ex_let(e, TYPE_BOOL, ex_compare(e, x, l, r));
}

static const char *ex_unary(Emit *e, Expr *x)
{
    const char *v = ex_expr(e, x->u.bin.lhs);
    if (x->u.bin.op == OP_NOT)
        return arena_printf(e->a, "(!%s)", v);
    if (ty(x)->kind == TY_F64)
        return arena_printf(e->a, "(-%s)", v);
    return arena_printf(e->a, "((fl_i64)(0ULL - (fl_u64)%s))", v);
}

static const char *ex_cast(Emit *e, Expr *x)
{
    const char *v = ex_expr(e, x->u.cast.value);
    Type *from = ty(x->u.cast.value), *to = ty(x);
    if (from->kind == to->kind)
        return v;
    return to->kind == TY_F64 ? arena_printf(e->a, "((double)%s)", v) : arena_printf(e->a, "fl_f2i(%s)", v);
}

/* ---- compound values ---- */

static const char *ex_tuple(Emit *e, Expr *x)
{
    const char **vals = arena_alloc(e->a, sizeof(char *) * (size_t)x->u.list.n);
    for (int i = 0; i < x->u.list.n; i++)
        vals[i] = ex_expr(e, x->u.list.elems[i]);
    const char *v = em_temp(e);
    em_line(e, "%s %s;", et_name(e, ty(x)), v);
    for (int i = 0; i < x->u.list.n; i++)
        em_line(e, "%s._%d = %s;", v, i, vals[i]);
    return v;
}

static const char *ex_vector(Emit *e, Expr *x)
{
    Type *t = ty(x);
    const char *el = et_name(e, t->u.elem);
    const char **vals = arena_alloc(e->a, sizeof(char *) * (size_t)(x->u.list.n + 1));
    for (int i = 0; i < x->u.list.n; i++)
        vals[i] = ex_expr(e, x->u.list.elems[i]);
    const char *v = em_temp(e);
    em_line(e, "%s %s;", et_name(e, t), v);
    em_line(e, "%s.len = %s.cap = %d;", v, v, x->u.list.n);
    em_line(e, "%s.data = (%s *)fl_alloc(%s, %d * (fl_i64)sizeof(%s));", v, el, e->arena,
            x->u.list.n ? x->u.list.n : 1, el);
    for (int i = 0; i < x->u.list.n; i++)
        em_line(e, "%s.data[%d] = %s;", v, i, vals[i]);
    return v;
}

static const char *ex_record(Emit *e, Expr *x)
{
    Type *t = ty(x);
    const char *v = em_temp(e);
    const char **vals = arena_alloc(e->a, sizeof(char *) * (size_t)(x->u.rec.n + 1));
    for (int i = 0; i < x->u.rec.n; i++)
        vals[i] = ex_expr(e, x->u.rec.fields[i]->value);
    em_line(e, "%s %s;", et_name(e, t), v);
    for (int i = 0; i < x->u.rec.n; i++)
        em_line(e, "%s.%s = %s;", v, x->u.rec.fields[i]->name, vals[i]);
    return v;
}

static const char *ex_if(Emit *e, Expr *x)
{
    const char *c = ex_expr(e, x->u.ifx.cond);
    const char *v = em_temp(e);
    em_line(e, "%s %s;", et_name(e, ty(x)), v);
    em_line(e, "if (%s) {", c);
    e->indent++;
    int saved = ex_fact(e, x->u.ifx.cond, 1);
    em_line(e, "%s = %s;", v, ex_expr(e, x->u.ifx.then));
    e->nnonneg = saved;
    e->indent--;
    em_line(e, "} else {");
    e->indent++;
    ex_fact(e, x->u.ifx.cond, 0);
    em_line(e, "%s = %s;", v, ex_expr(e, x->u.ifx.els));
    e->nnonneg = saved;
    e->indent--;
    em_line(e, "}");
    return v;
}

static const char *ex_block(Emit *e, Expr *x)
{
    EScope *saved = e->scope;
    for (int i = 0; i < x->u.block.n; i++) {
        Stmt *st = x->u.block.stmts[i];
        ex_bind_pattern(e, st->pat, ex_expr(e, st->value), ty(st->value));
    }
    const char *r = ex_let(e, ty(x), ex_expr(e, x->u.block.result));
    e->scope = saved;
    return r;
}

static const char *ex_name(Emit *e, Expr *x)
{
    const char *c = em_lookup(e, x->u.name.name);
    if (c)
        return c;
    if (!strcmp(x->u.name.name, "none"))
        return arena_printf(e->a, "((%s){0})", et_name(e, ty(x)));
    em_unsupported(e, x->loc, arena_printf(e->a, "the name `%s` here", x->u.name.name));
    return "0";
}

const char *ex_call_value(Emit *e, Expr *x);

const char *ex_expr(Emit *e, Expr *x)
{
    if (x == e->pre_x)
        return e->pre_c;
    switch (x->kind) {
    case EX_INT: case EX_DURATION: return arena_printf(e->a, "((fl_i64)%lldLL)", (long long)x->u.ival);
    case EX_FLOAT: return arena_printf(e->a, "%.17g%s", x->u.fval, strpbrk(arena_printf(e->a, "%.17g", x->u.fval), ".en") ? "" : ".0");
    case EX_BOOL: return x->u.ival ? "((fl_bool)1)" : "((fl_bool)0)";
    case EX_STR: return ex_str_lit(e, x->u.str.ptr, x->u.str.len);
    case EX_NAME: return ex_name(e, x);
    case EX_UNARY: return ex_unary(e, x);
    case EX_BINARY: return ex_binary(e, x);
    case EX_CAST: return ex_cast(e, x);
    case EX_CALL: case EX_METHOD: return ex_call_value(e, x);
    case EX_FIELD: return arena_printf(e->a, "%s.%s", ex_expr(e, x->u.field.recv), x->u.field.name);
    case EX_TINDEX: return arena_printf(e->a, "%s._%d", ex_expr(e, x->u.field.recv), x->u.field.index);
    case EX_TUPLE: return ex_tuple(e, x);
    case EX_VEC: return ex_vector(e, x);
    case EX_RECORD: return ex_record(e, x);
    case EX_IF: return ex_if(e, x);
    case EX_BLOCK: return ex_block(e, x);
    default:
        em_unsupported(e, x->loc, "this expression");
        return "0";
    }
}
