/* emit_call.c - calls in value expressions: user functions (each takes
 * the arena for new values first) and the value builtins of ops.c: strings,
 * math, vectors (their lambdas inlined into loops), options and dates. */
#include "emit_int.h"

#include <string.h>

static Type *ty(Expr *x) { return type_prune(x->type); }

static const char *tmp_of(Emit *e, Type *t, const char *value)
{
    const char *v = em_temp(e);
    em_line(e, "%s %s = %s;", et_name(e, t), v, value);
    return v;
}

/* The C values of a call's arguments, by parameter (NULL when defaulted). */
static const char **call_args(Emit *e, Expr *x, const Op *op, Expr ***exprs)
{
    const char **v = arena_alloc(e->a, sizeof(char *) * (size_t)(op->nparams + 1));
    *exprs = arena_alloc(e->a, sizeof(Expr *) * (size_t)(op->nparams + 1));
    for (int i = 0; i < op->nparams; i++) {
        Expr *a = sema_call_arg(x, op, i);
        (*exprs)[i] = a;
        v[i] = a && a->kind != EX_LAMBDA && !(a->kind == EX_NAME && type_is(a->type, TY_FN)) ? ex_expr(e, a) : NULL;
    }
    return v;
}

static const char *user_call(Emit *e, Expr *x, const Op *op)
{
    Expr **ex;
    const char **v = call_args(e, x, op, &ex);
    return tmp_of(e, ty(x), em_fn_call(e, op->name, v, op->nparams));
}

/* for (i < n) { elem = v.data[i]; BODY } with the loop index in `i`. */
static const char *loop_open(Emit *e, const char *vec)
{
    const char *i = em_temp(e);
    em_line(e, "for (fl_i64 %s = 0; %s < %s.len; %s++) {", i, i, vec, i);
    e->indent++;
    return i;
}

static void loop_close(Emit *e)
{
    e->indent--;
    em_line(e, "}");
}

static const char *lam1(Emit *e, Expr *lam, const char *a)
{
    EScope *saved = e->scope;
    const char *args[1] = {a};
    const char *r = ex_lambda(e, lam, args, 1);
    const char *v = tmp_of(e, type_prune(lam->type)->u.fn.ret, r);
    e->scope = saved;
    return v;
}

static const char *lam2(Emit *e, Expr *lam, const char *a, const char *b)
{
    EScope *saved = e->scope;
    const char *args[2] = {a, b};
    const char *r = ex_lambda(e, lam, args, 2);
    const char *v = tmp_of(e, type_prune(lam->type)->u.fn.ret, r);
    e->scope = saved;
    return v;
}

static const char *new_vec(Emit *e, Type *vt, const char *len)
{
    const char *el = et_name(e, type_prune(vt)->u.elem);
    const char *r = em_temp(e);
    em_line(e, "%s %s;", et_name(e, vt), r);
    em_line(e, "%s.len = %s.cap = %s;", r, r, len);
    em_line(e, "%s.data = (%s *)fl_alloc(%s, (%s.len ? %s.len : 1) * (fl_i64)sizeof(%s));", r, el, e->arena, r, r, el);
    return r;
}

static const char *vec_map(Emit *e, Expr *x, const char **v, Expr **ex)
{
    const char *r = new_vec(e, ty(x), arena_printf(e->a, "%s.len", v[0]));
    const char *i = loop_open(e, v[0]);
    em_line(e, "%s.data[%s] = %s;", r, i, lam1(e, ex[1], arena_printf(e->a, "%s.data[%s]", v[0], i)));
    loop_close(e);
    return r;
}

static const char *vec_filter(Emit *e, Expr *x, const char **v, Expr **ex)
{
    const char *r = new_vec(e, ty(x), arena_printf(e->a, "%s.len", v[0]));
    em_line(e, "%s.len = 0;", r);
    const char *i = loop_open(e, v[0]);
    const char *el = arena_printf(e->a, "%s.data[%s]", v[0], i);
    em_line(e, "if (%s)", lam1(e, ex[1], el));
    em_line(e, "    %s.data[%s.len++] = %s;", r, r, el);
    loop_close(e);
    em_line(e, "%s.cap = %s.len;", r, r);
    return r;
}

static const char *vec_fold(Emit *e, Expr *x, const char **v, Expr **ex)
{
    const char *acc = tmp_of(e, ty(x), arena_printf(e->a, "%s(%s, %s)", et_helper(e, "copy", ty(x)), e->arena, v[1]));
    const char *i = loop_open(e, v[0]);
    EScope *saved = e->scope;
    const char *args[2] = {acc, arena_printf(e->a, "%s.data[%s]", v[0], i)};
    const char *r = ex_lambda_acc(e, ex[2], args, 2);
    em_line(e, "%s = %s;", acc, r);
    e->scope = saved;
    loop_close(e);
    return acc;
}

/* One step of an argmin/argmax chain: element `at` (its key x) replaces
 * the chain's best (index b, key k) when better. */
static void arg_step(Emit *e, const char *x, const char *at, const char *b, const char *k, const char *op)
{
    const char *t = em_temp(e);
    em_line(e, "int %s = %s %s %s;", t, x, op, k);
    em_line(e, "%s = %s ? %s : %s;", b, t, at, b);
    em_line(e, "%s = %s ? %s : %s;", k, t, x, k);
}

/* argmin/argmax over numbers, as the loop `if (i == 0 || key < best)`
 * would give (the first of equals; a NaN first element wins, another NaN
 * never does), in four chains of selects over the elements (i mod 4) then
 * combined: the carried dependence is a quarter as long, and there is no
 * branch to mispredict. Chain 0 starts on the first element; another
 * chain that would start on a NaN starts empty (index -1, key +-inf). */
static void arg_chains(Emit *e, const char **v, Expr **ex, const char *best, const char *bk, int max, int f64)
{
    const char *b[4], *k[4], *i = em_temp(e), *op = max ? ">" : "<";
    for (int j = 0; j < 4; j++) {
        b[j] = tmp_of(e, TYPE_I64, arena_printf(e->a, "%d", j));
        k[j] = lam1(e, ex[1], arena_printf(e->a, "%s.data[%d]", v[0], j));
        if (f64 && j > 0)
            em_line(e, "if (%s != %s) { %s = -1; %s = %s1.0 / 0.0; }", k[j], k[j], b[j], k[j], max ? "-" : "");
    }
    em_line(e, "fl_i64 %s = 4;", i);
    em_line(e, "for (; %s + 3 < %s.len; %s += 4) {", i, v[0], i);
    e->indent++;
    for (int j = 0; j < 4; j++) {
        const char *x = lam1(e, ex[1], arena_printf(e->a, "%s.data[%s + %d]", v[0], i, j));
        arg_step(e, x, arena_printf(e->a, "%s + %d", i, j), b[j], k[j], op);
    }
    e->indent--;
    em_line(e, "}");
    em_line(e, "for (; %s < %s.len; %s++) {", i, v[0], i);
    e->indent++;
    arg_step(e, lam1(e, ex[1], arena_printf(e->a, "%s.data[%s]", v[0], i)), i, b[0], k[0], op);
    e->indent--;
    em_line(e, "}");
    em_line(e, "%s = %s;", best, b[0]);
    em_line(e, "%s = %s;", bk, k[0]);
    for (int j = 1; j < 4; j++) {
        const char *t = em_temp(e);
        em_line(e, "int %s = (%s >= 0) & ((%s %s %s) | ((%s == %s) & (%s < %s)));", t, b[j], k[j], op, bk, k[j], bk, b[j],
                best);
        em_line(e, "%s = %s ? %s : %s;", best, t, b[j], best);
        em_line(e, "%s = %s ? %s : %s;", bk, t, k[j], bk);
    }
}

static const char *vec_arg_best(Emit *e, Expr *x, const char **v, Expr **ex, int max)
{
    Type *kt = type_prune(type_prune(ex[1]->type)->u.fn.ret);
    const char *best = tmp_of(e, TYPE_I64, "-1");
    const char *bk = em_temp(e);
    em_line(e, "%s %s;", et_name(e, kt), bk);
    em_line(e, "memset(&%s, 0, sizeof %s);", bk, bk);
    int num = kt->kind == TY_I64 || kt->kind == TY_F64;
    if (num) {
        em_line(e, "if (%s.len >= 8) {", v[0]);
        e->indent++;
        arg_chains(e, v, ex, best, bk, max, kt->kind == TY_F64);
        e->indent--;
        em_line(e, "} else {");
        e->indent++;
    }
    const char *i = loop_open(e, v[0]);
    const char *k = lam1(e, ex[1], arena_printf(e->a, "%s.data[%s]", v[0], i));
    const char *cmp = num ? arena_printf(e->a, "(%s %s %s)", k, max ? ">" : "<", bk)
                          : arena_printf(e->a, "(%s(%s, %s) %s 0)", et_helper(e, "cmp", kt), k, bk, max ? ">" : "<");
    if (num) {   /* selects, no branch: the C compiler's cmov */
        const char *b = em_temp(e);
        em_line(e, "int %s = (%s == 0) | %s;", b, i, cmp);
        em_line(e, "%s = %s ? %s : %s;", best, b, i, best);
        em_line(e, "%s = %s ? %s : %s;", bk, b, k, bk);
    } else {
        em_line(e, "if (%s == 0 || %s) {", i, cmp);   /* (not best < 0: a select without a carried test) */
        em_line(e, "    %s = %s;", best, i);
        em_line(e, "    %s = %s;", bk, k);
        em_line(e, "}");
    }
    loop_close(e);
    if (num) {
        e->indent--;
        em_line(e, "}");
    }
    (void)x;
    return best;
}

/* update/set: a copy with one element changed; in place on a fold's accumulator. */
static const char *vec_update(Emit *e, Expr *x, const char **v, Expr **ex, int with_fn)
{
    const char *r = tmp_of(e, ty(x), v[0]);
    if (!ex_is_owned(e, ex[0])) {
        const char *el = et_name(e, ty(x)->u.elem);
        em_line(e, "%s.data = (%s *)memcpy(fl_alloc(%s, (%s.len ? %s.len : 1) * (fl_i64)sizeof(%s)), %s.data, "
                   "(fl_size)%s.len * sizeof(%s));", r, el, e->arena, r, r, el, r, r, el);
    }
    em_line(e, "if (%s < 0 || %s >= %s.len)", v[1], v[1], r);
    em_line(e, "    fl_panic(\"index out of range\");");
    em_line(e, "else");
    if (with_fn) {
        em_line(e, "{");
        e->indent++;
        em_line(e, "%s.data[%s] = %s;", r, v[1], lam1(e, ex[2], arena_printf(e->a, "%s.data[%s]", r, v[1])));
        e->indent--;
        em_line(e, "}");
    } else {
        em_line(e, "    %s.data[%s] = %s;", r, v[1], v[2]);
    }
    return r;
}

static const char *vec_zip_with(Emit *e, Expr *x, const char **v, Expr **ex)
{
    const char *n = tmp_of(e, TYPE_I64, arena_printf(e->a, "%s.len < %s.len ? %s.len : %s.len", v[0], v[1], v[0], v[1]));
    const char *r = new_vec(e, ty(x), n);
    const char *i = em_temp(e);
    em_line(e, "for (fl_i64 %s = 0; %s < %s; %s++) {", i, i, n, i);
    e->indent++;
    em_line(e, "%s.data[%s] = %s;", r, i, lam2(e, ex[2], arena_printf(e->a, "%s.data[%s]", v[0], i),
                                                arena_printf(e->a, "%s.data[%s]", v[1], i)));
    loop_close(e);
    return r;
}

static const char *vec_simple(Emit *e, Expr *x, const char *name, const char **v, int owned)
{
    Type *t = ty(x);
    if (!strcmp(name, "get")) {
        em_line(e, "if (%s < 0 || %s >= %s.len)", v[1], v[1], v[0]);
        em_line(e, "    fl_panic(\"index out of range in get\");");
        return tmp_of(e, t, arena_printf(e->a, "%s.data[%s < 0 || %s >= %s.len ? 0 : %s]", v[0], v[1], v[1], v[0], v[1]));
    }
    if (!strcmp(name, "fill")) {
        const char *r = new_vec(e, t, arena_printf(e->a, "(%s < 0 ? 0 : %s)", v[0], v[0]));
        const char *i = loop_open(e, r);
        em_line(e, "%s.data[%s] = %s;", r, i, v[1]);
        loop_close(e);
        return r;
    }
    if (!strcmp(name, "seq")) {
        const char *r = new_vec(e, t, arena_printf(e->a, "(%s > %s ? %s - %s : 0)", v[1], v[0], v[1], v[0]));
        const char *i = loop_open(e, r);
        em_line(e, "%s.data[%s] = %s + %s;", r, i, v[0], i);
        loop_close(e);
        return r;
    }
    if (!strcmp(name, "push") && owned) {  /* amortised growth of a fold's accumulator */
        const char *r = tmp_of(e, t, v[0]);
        em_vec_push(e, r, et_name(e, t->u.elem), e->arena, v[1]);
        return r;
    }
    if (!strcmp(name, "push") || !strcmp(name, "concat")) {
        int push = name[0] == 'p';
        const char *r = new_vec(e, t, arena_printf(e->a, "%s.len + %s", v[0], push ? "1" : arena_printf(e->a, "%s.len", v[1])));
        em_line(e, "memcpy(%s.data, %s.data, (fl_size)%s.len * sizeof *%s.data);", r, v[0], v[0], r);
        if (push)
            em_line(e, "%s.data[%s.len] = %s;", r, v[0], v[1]);
        else
            em_line(e, "memcpy(%s.data + %s.len, %s.data, (fl_size)%s.len * sizeof *%s.data);", r, v[0], v[1], v[1], r);
        return r;
    }
    if (!strcmp(name, "slice")) {
        const char *r = tmp_of(e, t, v[0]);
        em_line(e, "{ fl_i64 s = %s < 0 ? 0 : %s > %s.len ? %s.len : %s; fl_i64 n = %s < 0 ? 0 : %s;", v[1], v[1], r, r, v[1], v[2], v[2]);
        em_line(e, "  if (n > %s.len - s) n = %s.len - s; %s.data += s; %s.len = %s.cap = n; }", r, r, r, r, r);
        return r;
    }
    if (!strcmp(name, "sum")) {
        const char *acc = tmp_of(e, t, "0");
        const char *i = loop_open(e, v[0]);
        em_line(e, "%s += %s.data[%s];", acc, v[0], i);
        loop_close(e);
        return acc;
    }
    return NULL;
}

static const char *vec_contains(Emit *e, Expr **ex, const char **v)
{
    Type *el = type_prune(ty(ex[0])->u.elem);
    const char *r = tmp_of(e, TYPE_BOOL, "0");
    const char *i = loop_open(e, v[0]);
    em_line(e, "if (%s(%s.data[%s], %s)) { %s = 1; break; }", et_helper(e, "eq", el), v[0], i, v[1], r);
    loop_close(e);
    return r;
}

static const char *str_call(Emit *e, Expr *x, const char *n, const char **v)
{
    const char *A = e->arena;
    Type *t = ty(x);
    if (!strcmp(n, "lower") || !strcmp(n, "upper"))
        return tmp_of(e, t, arena_printf(e->a, "fl_%s(%s, %s)", n, A, v[0]));
    if (!strcmp(n, "trim"))
        return tmp_of(e, t, arena_printf(e->a, "fl_trim(%s)", v[0]));
    if (!strcmp(n, "substr"))
        return tmp_of(e, t, arena_printf(e->a, "fl_substr(%s, %s, %s)", v[0], v[1], v[2]));
    if (!strcmp(n, "starts_with") || !strcmp(n, "ends_with"))
        return tmp_of(e, t, arena_printf(e->a, "(fl_bool)fl_%s(%s, %s)", n, v[0], v[1]));
    if (!strcmp(n, "split") || !strcmp(n, "words")) {
        const char *r = em_temp(e);
        em_line(e, "%s %s;", et_name(e, t), r);
        if (n[0] == 's')
            em_line(e, "%s.len = %s.cap = fl_split(%s, %s, %s, &%s.data);", r, r, A, v[0], v[1], r);
        else
            em_line(e, "%s.len = %s.cap = fl_words(%s, %s, &%s.data);", r, r, A, v[0], r);
        return r;
    }
    if (!strcmp(n, "parse_i64") || !strcmp(n, "parse_f64")) {
        const char *r = em_temp(e);
        em_line(e, "%s %s;", et_name(e, t), r);
        em_line(e, "%s.some = fl_%s(%s, &%s.v) == 0;", r, n, v[0], r);
        return r;
    }
    return NULL;
}

static const char *math_call(Emit *e, Expr *x, const char *n, const char **v, Expr **ex)
{
    Type *t = ty(x);
    static const char *f1[] = {"sqrt", "floor", "ceil", "round", "exp"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(n, f1[i]))
            return tmp_of(e, t, arena_printf(e->a, "%s(%s)", n, v[0]));
    if (!strcmp(n, "ln"))
        return tmp_of(e, t, arena_printf(e->a, "log(%s)", v[0]));
    if (!strcmp(n, "pow"))
        return tmp_of(e, t, arena_printf(e->a, "pow(%s, %s)", v[0], v[1]));
    if (!strcmp(n, "abs"))
        return tmp_of(e, t, t->kind == TY_F64 ? arena_printf(e->a, "fabs(%s)", v[0])
                                              : arena_printf(e->a, "(%s < 0 ? (fl_i64)(0ULL - (fl_u64)%s) : %s)", v[0], v[0], v[0]));
    if (!strcmp(n, "min") || !strcmp(n, "max")) {
        const char *op = n[1] == 'i' ? "<=" : ">=";
        const char *c = t->kind == TY_I64 || t->kind == TY_F64 || t->kind == TY_BOOL
                            ? arena_printf(e->a, "%s %s %s", v[0], op, v[1])
                            : arena_printf(e->a, "%s(%s, %s) %s 0", et_helper(e, "cmp", t), v[0], v[1], op);
        return tmp_of(e, t, arena_printf(e->a, "(%s) ? %s : %s", c, v[0], v[1]));
    }
    static const struct { const char *n, *op; } bits[] = {
        {"bit_and", "&"}, {"bit_or", "|"}, {"bit_xor", "^"}};
    for (int i = 0; i < 3; i++)
        if (!strcmp(n, bits[i].n))
            return tmp_of(e, t, arena_printf(e->a, "(fl_i64)((fl_u64)%s %s (fl_u64)%s)", v[0], bits[i].op, v[1]));
    if (!strcmp(n, "shl"))
        return tmp_of(e, t, arena_printf(e->a, "(fl_i64)((fl_u64)%s << (%s & 63))", v[0], v[1]));
    if (!strcmp(n, "shr"))
        return tmp_of(e, t, arena_printf(e->a, "(fl_i64)((fl_u64)%s >> (%s & 63))", v[0], v[1]));
    if (!strcmp(n, "hash"))
        return tmp_of(e, t, arena_printf(e->a, "(fl_i64)%s(%s)", et_helper(e, "hash", ty(ex[0])), v[0]));
    return NULL;
}

static const char *misc_call(Emit *e, Expr *x, const char *n, const char **v, Expr **ex)
{
    Type *t = ty(x);
    if (!strcmp(n, "some")) {
        const char *r = em_temp(e);
        em_line(e, "%s %s;", et_name(e, t), r);
        em_line(e, "%s.some = 1;", r);
        em_line(e, "%s.v = %s;", r, v[0]);
        return r;
    }
    if (!strcmp(n, "none"))
        return arena_printf(e->a, "((%s){0})", et_name(e, t));
    if (!strcmp(n, "keep") || !strcmp(n, "commit") || !strcmp(n, "discard"))   /* a transaction's decision */
        return n[0] == 'k' ? "FL_TXN_KEEP" : n[0] == 'c' ? "FL_TXN_COMMIT" : "FL_TXN_DISCARD";
    if (!strcmp(n, "commit_after"))
        return tmp_of(e, t, arena_printf(e->a, "fl_txn_after(%s)", v[0]));
    if (!strcmp(n, "is_some") || !strcmp(n, "is_none"))
        return arena_printf(e->a, "(fl_bool)(%s%s.some)", n[3] == 'n' ? "!" : "", v[0]);
    if (!strcmp(n, "unwrap_or"))
        return tmp_of(e, t, arena_printf(e->a, "%s.some ? %s.v : %s", v[0], v[0], v[1]));
    if (!strcmp(n, "to_str")) {
        const char *b = em_temp(e);
        em_line(e, "fl_buf %s = {0};", b);
        em_line(e, "%s(&%s, %s);", et_helper(e, "print", ty(ex[0])), b, v[0]);
        const char *r = tmp_of(e, TYPE_STR, arena_printf(e->a, "fl_str_copy(%s, fl_lit(%s.p, %s.len))", e->arena, b, b));
        em_line(e, "fl_buf_free(&%s);", b);
        return r;
    }
    if (!strcmp(n, "len"))
        return arena_printf(e->a, "%s.len", v[0]);
    if (!strcmp(n, "contains"))
        return ty(ex[0])->kind == TY_STR ? tmp_of(e, t, arena_printf(e->a, "(fl_bool)fl_contains(%s, %s)", v[0], v[1]))
                                         : vec_contains(e, ex, v);
    if (!strcmp(n, "parse_date")) {
        const char *r = em_temp(e);
        em_line(e, "%s %s;", et_name(e, t), r);
        em_line(e, "%s.some = fl_parse_date(%s, %s, &%s.v) == 0;", r, v[0], v[1] ? v[1] : "fl_lit(\"%Y-%m-%d %H:%M:%S\", 17)", r);
        return r;
    }
    if (!strcmp(n, "format_date"))
        return tmp_of(e, t, arena_printf(e->a, "fl_format_date(%s, %s, %s)", e->arena, v[0],
                                         v[1] ? v[1] : "fl_lit(\"%Y-%m-%d %H:%M:%S\", 17)"));
    if (!strcmp(n, "date_parts")) {
        const char *p = em_temp(e), *r = em_temp(e);
        em_line(e, "fl_i64 %s[8];", p);
        em_line(e, "fl_date_parts(%s, %s);", v[0], p);
        em_line(e, "%s %s = {%s[0], %s[1], %s[2], %s[3], %s[4], %s[5], %s[6], %s[7]};", et_name(e, t), r, p, p, p, p, p, p, p, p);
        return r;
    }
    return NULL;
}

/* sort: a copy sorted by cmp; sort_by: pairs (key, element) sorted by key. */
static const char *vec_sort(Emit *e, Expr *x, const char **v, Expr **ex, int by)
{
    Type *t = ty(x), *el = type_prune(t->u.elem);
    Type *kt = by ? type_prune(ex[1]->type)->u.fn.ret : el;
    Type *pt = type_pair(e->a, kt, el);
    const char *pc = et_name(e, pt), *cmpk = arena_printf(e->a, "cmpk_%s", pc);
    int have = 0;  /* one comparator per pair type */
    for (int i = 0; i < e->helpers.len && !have; i++)
        have = !strcmp(e->helpers.items[i], cmpk);
    if (!have) {
        const char *cmp = et_helper(e, "cmp", kt);
        ptrvec_push(e->a, &e->helpers, (void *)cmpk);
        em_sect(e, S_PROTOS, "static int %s(const void *x, const void *y);\n", cmpk);
        fprintf(e->helpers_out, "static int %s(const void *x, const void *y)\n{\n    return %s(((const %s *)x)->_0, ((const %s *)y)->_0);\n}\n\n",
                cmpk, cmp, pc, pc);
    }
    const char *pairs = em_temp(e), *r = new_vec(e, t, arena_printf(e->a, "%s.len", v[0]));
    em_line(e, "%s *%s = (%s *)fl_alloc(%s, (%s.len ? %s.len : 1) * (fl_i64)sizeof(%s));", pc, pairs, pc, e->arena,
            v[0], v[0], pc);
    const char *i = loop_open(e, v[0]);
    const char *elv = arena_printf(e->a, "%s.data[%s]", v[0], i);
    em_line(e, "%s[%s]._0 = %s;", pairs, i, by ? lam1(e, ex[1], elv) : elv);
    em_line(e, "%s[%s]._1 = %s;", pairs, i, elv);
    loop_close(e);
    em_line(e, "fl_msort(%s, %s.len, (fl_i64)sizeof(%s), %s, %s);", pairs, v[0], pc, cmpk, e->arena);
    i = loop_open(e, r);
    em_line(e, "%s.data[%s] = %s[%s]._1;", r, i, pairs, i);
    loop_close(e);
    return r;
}

static const char *vec_call(Emit *e, Expr *x, const char *n, const char **v, Expr **ex)
{
    if (!strcmp(n, "sort") || !strcmp(n, "sort_by")) return vec_sort(e, x, v, ex, n[4] == '_');
    if (!strcmp(n, "map")) return vec_map(e, x, v, ex);
    if (!strcmp(n, "filter")) return vec_filter(e, x, v, ex);
    if (!strcmp(n, "fold")) return vec_fold(e, x, v, ex);
    if (!strcmp(n, "argmin") || !strcmp(n, "argmax")) return vec_arg_best(e, x, v, ex, n[4] == 'a');
    if (!strcmp(n, "update")) return vec_update(e, x, v, ex, 1);
    if (!strcmp(n, "set")) return vec_update(e, x, v, ex, 0);
    if (!strcmp(n, "zip_with")) return vec_zip_with(e, x, v, ex);
    return vec_simple(e, x, n, v, ex[0] && ex_is_owned(e, ex[0]));
}

/* words(lower(s)) as one pass over s (the word count's inner loop). */
static const char *words_of_lower(Emit *e, Expr *x, const Op *op)
{
    Expr *a = strcmp(op->name, "words") ? NULL : sema_call_arg(x, op, 0);
    const Op *inner = a && (a->kind == EX_CALL || a->kind == EX_METHOD) ? a->u.call.op : NULL;
    if (!inner || !inner->def || strcmp(inner->name, "lower"))
        return NULL;
    const char *s = ex_expr(e, sema_call_arg(a, inner, 0));
    const char *r = em_temp(e);
    em_line(e, "%s %s;", et_name(e, ty(x)), r);
    em_line(e, "%s.len = %s.cap = fl_words_lower(%s, %s, &%s.data);", r, r, e->arena, s, r);
    return r;
}

const char *ex_call_value(Emit *e, Expr *x)
{
    const Op *op = x->u.call.op;
    if (!op) {
        em_unsupported(e, x->u.call.name_loc, "this call");
        return "0";
    }
    if (!op->def)
        return user_call(e, x, op);
    if (op->recv) {
        int k = plan_value_index(e->ph, x);   /* collect or one: computed by phase k */
        if (k >= 0)
            return arena_printf(e->a, "pv_%d", k);
        em_unsupported(e, x->u.call.name_loc, arena_printf(e->a, "`%s` as a value (a phase)", op->name));
        return "0";
    }
    const char *fused = words_of_lower(e, x, op);
    if (fused)
        return fused;
    Expr **ex;
    const char **v = call_args(e, x, op, &ex);
    const char *n = op->name, *r;
    if ((r = str_call(e, x, n, v)) || (r = math_call(e, x, n, v, ex)) || (r = misc_call(e, x, n, v, ex)) ||
        (r = vec_call(e, x, n, v, ex)))
        return r;
    em_unsupported(e, x->u.call.name_loc, arena_printf(e->a, "`%s`", n));
    return "0";
}
