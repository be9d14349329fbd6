/* test_types.c - unit tests of compiler/types.c: unification (variables,
 * chains of variables, the occurs check, tuples, vec/opt, functions, user
 * records compared by name and identity, the built-in Window<V> record
 * compared structurally, streams compared by shape, key and element, the
 * error type), the classes N/O/K (numbers, ordered, keys) of types and of
 * variables, instantiation of generic templates, the predicates
 * (has_vars, has_stream, is_scalar, field lookup) and printing (type_str). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <string.h>

#include "helpers.h"
#include "types.h"

static Arena A;

static void setup(void) { arena_init(&A); }
static void teardown(void) { arena_fini(&A); }

TestSuite(types, .init = setup, .fini = teardown);

static const char *S(Type *t) { return type_str(&A, t); }

static Type *tup2(Type *a, Type *b) { return type_pair(&A, a, b); }

static Type *tup3(Type *a, Type *b, Type *c)
{
    Type *e[3] = {a, b, c};
    return type_tuple(&A, e, 3);
}

static Type *fn1(Type *p, Type *r) { return type_fn(&A, &p, 1, r); }

/* A user record `type NAME = { f1: t1, f2: t2 }` as sema builds it. */
static Type *user_rec(const char *name, const char *f1, Type *t1, const char *f2, Type *t2)
{
    Type *t = type_new(&A, TY_RECORD);
    t->u.rec.name = name;
    t->u.rec.n = 2;
    t->u.rec.fields = arena_alloc(&A, sizeof(Field) * 2);
    t->u.rec.fields[0] = (Field){f1, t1, {0, 0, 0}};
    t->u.rec.fields[1] = (Field){f2, t2, {0, 0, 0}};
    return t;
}

static Type *gen(int id, TypeClass tc)
{
    Type *t = type_new(&A, TY_GEN);
    t->u.var.id = id;
    t->u.var.tc = tc;
    return t;
}

/* ---- unification ---- */

Test(types, unify_scalars)
{
    cr_expect(type_unify(TYPE_I64, TYPE_I64));
    cr_expect(type_unify(TYPE_STR, TYPE_STR));
    cr_expect_not(type_unify(TYPE_I64, TYPE_F64));
    cr_expect_not(type_unify(TYPE_BOOL, TYPE_STR));
    cr_expect_not(type_unify(TYPE_UNIT, TYPE_I64));
    cr_expect(type_unify(TYPE_SINK, TYPE_SINK));
    cr_expect_not(type_unify(TYPE_SINK, TYPE_TXN));
}

Test(types, unify_binds_variable)
{
    Type *v = type_var(&A, TC_NONE);
    cr_expect(type_has_vars(v));
    cr_assert(type_unify(v, TYPE_STR));
    cr_expect_eq(type_prune(v), TYPE_STR);
    cr_expect_not(type_has_vars(v));
    /* bound now: unifies only with str */
    cr_expect_not(type_unify(v, TYPE_I64));
    cr_expect(type_unify(TYPE_STR, v));
    cr_expect_str_eq(S(v), "str");
}

Test(types, unify_variable_on_the_right)
{
    Type *v = type_var(&A, TC_NONE);
    cr_assert(type_unify(TYPE_F64, v));
    cr_expect_eq(type_prune(v), TYPE_F64);
}

Test(types, fresh_variables_are_distinct)
{
    Type *a = type_var(&A, TC_NONE), *b = type_var(&A, TC_NONE);
    cr_expect_neq(a->u.var.id, b->u.var.id);
    cr_expect(type_unify(a, a));
    cr_expect_null(a->u.var.ref, "unifying a variable with itself binds nothing");
}

Test(types, unify_variable_chains)
{
    Type *a = type_var(&A, TC_NONE), *b = type_var(&A, TC_NONE), *c = type_var(&A, TC_NONE);
    cr_assert(type_unify(a, b));
    cr_assert(type_unify(b, c));
    cr_assert(type_unify(c, TYPE_BOOL));
    cr_expect_eq(type_prune(a), TYPE_BOOL);
    cr_expect_eq(type_prune(b), TYPE_BOOL);
    cr_expect(type_unify(a, b), "already equal");
    cr_expect_not(type_unify(a, TYPE_I64));
}

Test(types, occurs_check)
{
    Type *v = type_var(&A, TC_NONE);
    cr_expect_not(type_unify(v, type_vec(&A, v)));
    cr_expect_eq(type_prune(v), v, "the variable stays unbound");
    cr_expect_not(type_unify(tup2(v, TYPE_I64), tup2(type_opt(&A, v), TYPE_I64)));
    Type *w = type_var(&A, TC_NONE);
    cr_expect_not(type_unify(w, fn1(TYPE_I64, w)));
    Type *x = type_var(&A, TC_NONE);
    cr_expect_not(type_unify(x, type_stream(&A, SH_PLAIN, NULL, tup2(x, TYPE_STR))));
}

Test(types, occurs_check_through_bound_variable)
{
    Type *a = type_var(&A, TC_NONE), *b = type_var(&A, TC_NONE);
    cr_assert(type_unify(b, type_vec(&A, a)));
    cr_expect_not(type_unify(a, b), "a = vec<a> via b");
}

Test(types, unify_tuples)
{
    Type *v1 = type_var(&A, TC_NONE), *v2 = type_var(&A, TC_NONE);
    cr_assert(type_unify(tup2(v1, TYPE_F64), tup2(TYPE_I64, v2)));
    cr_expect_eq(type_prune(v1), TYPE_I64);
    cr_expect_eq(type_prune(v2), TYPE_F64);
    cr_expect_str_eq(S(tup2(v1, v2)), "(i64, f64)");
}

Test(types, unify_tuples_arity_and_elements)
{
    cr_expect_not(type_unify(tup2(TYPE_I64, TYPE_I64), tup3(TYPE_I64, TYPE_I64, TYPE_I64)));
    cr_expect_not(type_unify(tup2(TYPE_I64, TYPE_STR), tup2(TYPE_I64, TYPE_BOOL)));
    cr_expect_not(type_unify(tup2(TYPE_I64, TYPE_STR), type_vec(&A, TYPE_I64)));
    cr_expect(type_unify(tup2(TYPE_I64, tup2(TYPE_STR, TYPE_BOOL)), tup2(TYPE_I64, tup2(TYPE_STR, TYPE_BOOL))));
}

Test(types, unify_vec_and_opt)
{
    Type *v = type_var(&A, TC_NONE);
    cr_assert(type_unify(type_vec(&A, v), type_vec(&A, TYPE_STR)));
    cr_expect_eq(type_prune(v), TYPE_STR);
    cr_expect_not(type_unify(type_vec(&A, TYPE_I64), type_opt(&A, TYPE_I64)));
    cr_expect_not(type_unify(type_opt(&A, TYPE_I64), type_opt(&A, TYPE_F64)));
    Type *w = type_var(&A, TC_NONE);
    cr_assert(type_unify(type_opt(&A, type_vec(&A, w)), type_opt(&A, type_vec(&A, TYPE_BOOL))));
    cr_expect_str_eq(S(w), "bool");
}

Test(types, unify_functions)
{
    Type *v = type_var(&A, TC_NONE), *r = type_var(&A, TC_NONE);
    cr_assert(type_unify(fn1(v, r), fn1(TYPE_I64, TYPE_BOOL)));
    cr_expect_str_eq(S(fn1(v, r)), "(i64) -> bool");
    Type *ps[2] = {TYPE_I64, TYPE_I64};
    cr_expect_not(type_unify(fn1(TYPE_I64, TYPE_I64), type_fn(&A, ps, 2, TYPE_I64)));
    cr_expect_not(type_unify(fn1(TYPE_I64, TYPE_I64), fn1(TYPE_I64, TYPE_STR)));
}

Test(types, records_are_nominal)
{
    Type *p = user_rec("Point", "x", TYPE_F64, "y", TYPE_F64);
    Type *q = user_rec("Point", "x", TYPE_F64, "y", TYPE_F64);
    Type *r = user_rec("Pair", "x", TYPE_F64, "y", TYPE_F64);
    cr_expect(type_unify(p, p));
    cr_expect_not(type_unify(p, q), "two declarations are two types");
    cr_expect_not(type_unify(p, r), "same fields, other name");
    cr_expect_not(type_unify(p, tup2(TYPE_F64, TYPE_F64)));
    Type *v = type_var(&A, TC_NONE);
    cr_assert(type_unify(type_vec(&A, v), type_vec(&A, p)));
    cr_expect_eq(type_prune(v), p);
}

Test(types, window_is_structural)
{
    Type *v = type_var(&A, TC_NONE);
    Type *w1 = type_window(&A, v), *w2 = type_window(&A, TYPE_I64);
    cr_expect_neq(w1, w2);
    cr_assert(type_unify(w1, w2));
    cr_expect_eq(type_prune(v), TYPE_I64);
    cr_expect_not(type_unify(type_window(&A, TYPE_I64), type_window(&A, TYPE_F64)));
    cr_expect(type_unify(type_window(&A, tup2(TYPE_STR, TYPE_I64)), type_window(&A, tup2(TYPE_STR, TYPE_I64))));
    cr_expect_not(type_unify(type_window(&A, TYPE_I64), type_date(&A)));
    cr_expect(type_unify(type_date(&A), type_date(&A)), "Date is built in too");
    Type *user = user_rec("Window", "start", TYPE_I64, "end", TYPE_I64);
    cr_expect_not(type_unify(type_window(&A, TYPE_I64), user));
}

Test(types, window_fields)
{
    Type *w = type_window(&A, TYPE_STR);
    const Field *f = type_field(w, "value");
    cr_assert_not_null(f);
    cr_expect_eq(f->type, TYPE_STR);
    cr_expect_eq(type_field(w, "start")->type, TYPE_I64);
    cr_expect_eq(type_field(w, "end")->type, TYPE_I64);
    cr_expect_null(type_field(w, "len"));
    cr_expect_null(type_field(TYPE_I64, "value"));
    Type *d = type_date(&A);
    cr_expect_eq(d->u.rec.n, 8);
    cr_expect_str_eq(d->u.rec.fields[0].name, "year");
    cr_expect_str_eq(d->u.rec.fields[5].name, "second");
    cr_expect_str_eq(d->u.rec.fields[6].name, "weekday");
    cr_expect_str_eq(d->u.rec.fields[7].name, "yday");
    for (int i = 0; i < d->u.rec.n; i++)
        cr_expect_eq(d->u.rec.fields[i].type, TYPE_I64);
}

Test(types, streams_unify_by_shape)
{
    Type *v = type_var(&A, TC_NONE);
    cr_assert(type_unify(type_stream(&A, SH_PLAIN, NULL, v), type_stream(&A, SH_PLAIN, NULL, TYPE_I64)));
    cr_expect_eq(type_prune(v), TYPE_I64);
    cr_expect_not(type_unify(type_stream(&A, SH_PLAIN, NULL, TYPE_I64),
                             type_stream(&A, SH_WINDOWED, NULL, TYPE_I64)));
    cr_expect_not(type_unify(type_stream(&A, SH_KEYED, TYPE_STR, TYPE_I64),
                             type_stream(&A, SH_KWINDOWED, TYPE_STR, TYPE_I64)));
    cr_expect_not(type_unify(type_stream(&A, SH_PLAIN, NULL, TYPE_I64),
                             type_stream(&A, SH_PLAIN, NULL, TYPE_STR)));
    cr_expect_not(type_unify(type_stream(&A, SH_PLAIN, NULL, TYPE_I64), type_vec(&A, TYPE_I64)));
}

Test(types, keyed_streams_unify_keys)
{
    Type *k = type_var(&A, TC_KEY), *e = type_var(&A, TC_NONE);
    cr_assert(type_unify(type_stream(&A, SH_KEYED, k, e), type_stream(&A, SH_KEYED, TYPE_STR, TYPE_F64)));
    cr_expect_eq(type_prune(k), TYPE_STR);
    cr_expect_eq(type_prune(e), TYPE_F64);
    cr_expect_not(type_unify(type_stream(&A, SH_KEYED, TYPE_STR, TYPE_I64),
                             type_stream(&A, SH_KEYED, TYPE_I64, TYPE_I64)));
}

Test(types, error_type_unifies_with_anything)
{
    cr_expect(type_unify(TYPE_ERROR, TYPE_I64));
    cr_expect(type_unify(type_vec(&A, TYPE_STR), TYPE_ERROR));
    cr_expect(type_unify(tup2(TYPE_ERROR, TYPE_I64), tup2(TYPE_STR, TYPE_I64)));
    Type *v = type_var(&A, TC_NONE);
    cr_assert(type_unify(v, TYPE_ERROR));
    cr_expect_eq(type_prune(v), TYPE_ERROR, "a variable meeting an error becomes the error");
    cr_expect(type_has_error(tup2(TYPE_I64, v)));
    cr_expect_not(type_has_error(tup2(TYPE_I64, TYPE_STR)));
}

/* ---- classes ---- */

Test(types, class_numbers)
{
    cr_expect(type_in_class(TYPE_I64, TC_NUM));
    cr_expect(type_in_class(TYPE_F64, TC_NUM));
    cr_expect_not(type_in_class(TYPE_STR, TC_NUM));
    cr_expect_not(type_in_class(TYPE_BOOL, TC_NUM));
    cr_expect_not(type_in_class(tup2(TYPE_I64, TYPE_I64), TC_NUM));
    cr_expect(type_in_class(TYPE_ERROR, TC_NUM), "errors are never reported twice");
    cr_expect(type_in_class(TYPE_STR, TC_NONE));
}

Test(types, class_ordered)
{
    cr_expect(type_in_class(TYPE_I64, TC_ORD));
    cr_expect(type_in_class(TYPE_F64, TC_ORD));
    cr_expect(type_in_class(TYPE_STR, TC_ORD));
    cr_expect(type_in_class(TYPE_BOOL, TC_ORD));
    cr_expect(type_in_class(tup2(TYPE_I64, TYPE_STR), TC_ORD), "tuples are ordered");
    cr_expect(type_in_class(tup2(TYPE_F64, tup2(TYPE_BOOL, TYPE_STR)), TC_ORD), "nested tuples too");
    cr_expect_not(type_in_class(tup2(TYPE_I64, type_vec(&A, TYPE_I64)), TC_ORD));
    cr_expect_not(type_in_class(type_vec(&A, TYPE_I64), TC_ORD));
    cr_expect_not(type_in_class(type_opt(&A, TYPE_I64), TC_ORD));
    cr_expect_not(type_in_class(user_rec("P", "a", TYPE_I64, "b", TYPE_I64), TC_ORD));
}

Test(types, class_keys)
{
    cr_expect(type_in_class(TYPE_I64, TC_KEY));
    cr_expect(type_in_class(TYPE_STR, TC_KEY));
    cr_expect(type_in_class(TYPE_BOOL, TC_KEY));
    cr_expect_not(type_in_class(TYPE_F64, TC_KEY), "f64 is not a key");
    cr_expect(type_in_class(tup2(TYPE_I64, TYPE_STR), TC_KEY));
    cr_expect_not(type_in_class(tup2(TYPE_I64, TYPE_F64), TC_KEY));
    cr_expect_not(type_in_class(tup2(TYPE_STR, tup2(TYPE_I64, TYPE_F64)), TC_KEY));
    cr_expect(type_in_class(type_vec(&A, TYPE_STR), TC_KEY));
    cr_expect_not(type_in_class(type_vec(&A, TYPE_F64), TC_KEY));
    cr_expect(type_in_class(type_opt(&A, TYPE_I64), TC_KEY));
    cr_expect(type_in_class(user_rec("K", "a", TYPE_I64, "b", TYPE_STR), TC_KEY));
    cr_expect_not(type_in_class(user_rec("P", "x", TYPE_F64, "y", TYPE_F64), TC_KEY));
    cr_expect_not(type_in_class(type_window(&A, TYPE_F64), TC_KEY));
    cr_expect(type_in_class(type_window(&A, TYPE_I64), TC_KEY));
    cr_expect_not(type_in_class(fn1(TYPE_I64, TYPE_I64), TC_KEY));
    cr_expect_not(type_in_class(type_stream(&A, SH_PLAIN, NULL, TYPE_I64), TC_KEY));
    cr_expect_not(type_in_class(TYPE_SINK, TC_KEY));
    cr_expect_not(type_in_class(TYPE_TXN, TC_KEY));
}

Test(types, class_of_variables)
{
    Type *n = type_var(&A, TC_NUM), *o = type_var(&A, TC_ORD), *any = type_var(&A, TC_NONE);
    cr_expect(type_in_class(n, TC_NUM));
    cr_expect(type_in_class(n, TC_ORD), "every number is ordered");
    cr_expect(type_in_class(o, TC_NUM), "an ordered variable may still become a number");
    cr_expect_not(type_in_class(TYPE_STR, TC_NUM), "str is ordered but not a number");
    cr_expect(type_in_class(any, TC_NUM), "an unconstrained variable may become anything");
}

Test(types, class_checked_when_binding)
{
    Type *n = type_var(&A, TC_NUM);
    cr_expect_not(type_unify(n, TYPE_STR));
    cr_expect_eq(type_prune(n), n, "left unbound after a failure");
    cr_expect(type_unify(n, TYPE_F64));
    Type *k = type_var(&A, TC_KEY);
    cr_expect_not(type_unify(k, TYPE_F64));
    cr_expect_not(type_unify(k, tup2(TYPE_STR, TYPE_F64)));
    cr_expect(type_unify(k, tup2(TYPE_STR, TYPE_I64)));
    Type *o = type_var(&A, TC_ORD);
    cr_expect_not(type_unify(o, type_vec(&A, TYPE_I64)));
    cr_expect(type_unify(o, tup2(TYPE_STR, TYPE_BOOL)));
}

Test(types, class_kept_when_variables_meet)
{
    /* an unconstrained variable bound to a number variable becomes a number */
    Type *a = type_var(&A, TC_NONE), *n = type_var(&A, TC_NUM);
    cr_assert(type_unify(a, n));
    cr_expect_not(type_unify(a, TYPE_STR));
    cr_expect(type_unify(a, TYPE_I64));

    /* the same in the other direction */
    Type *n2 = type_var(&A, TC_NUM), *b = type_var(&A, TC_NONE);
    cr_assert(type_unify(n2, b));
    cr_expect_not(type_unify(b, TYPE_BOOL));
    cr_expect(type_unify(b, TYPE_F64));

    /* number and ordered meet: a number */
    Type *o = type_var(&A, TC_ORD), *n3 = type_var(&A, TC_NUM);
    cr_assert(type_unify(o, n3));
    cr_expect_not(type_unify(o, TYPE_STR));
    cr_expect(type_unify(n3, TYPE_I64));
}

/* A key variable meeting a number variable can only be an i64, so f64 is
 * rejected (regression: range(0, 3).group_by(|x| { let e = []; sum(e) }) once
 * typed keyed<f64, f64>). */
Test(types, key_variable_meeting_number_variable_rejects_f64)
{
    Type *k = type_var(&A, TC_KEY), *n = type_var(&A, TC_NUM);
    cr_assert(type_unify(k, n));
    cr_expect_not(type_unify(n, TYPE_F64), "f64 would become a key");
    Type *o = type_var(&A, TC_ORD), *k2 = type_var(&A, TC_KEY);
    cr_assert(type_unify(o, k2));
    cr_expect_not(type_unify(k2, TYPE_F64), "f64 would become a key");
}

/* ---- instantiate ---- */

Test(types, instantiate_replaces_generics_consistently)
{
    Type *T = gen(0, TC_NONE), *U = gen(1, TC_NUM);
    Type *tpl = fn1(tup2(T, U), tup3(T, U, TYPE_STR));
    Type *vars[26] = {0};
    Type *inst = type_instantiate(&A, tpl, vars);
    cr_assert_eq(inst->kind, TY_FN);
    cr_assert_not_null(vars[0]);
    cr_assert_not_null(vars[1]);
    cr_expect_null(vars[2]);
    cr_expect_eq(vars[0]->kind, TY_VAR);
    cr_expect_eq(vars[1]->u.var.tc, TC_NUM, "the class comes with the generic");
    Type *p = inst->u.fn.params[0], *r = inst->u.fn.ret;
    cr_expect_eq(p->u.tuple.elems[0], vars[0]);
    cr_expect_eq(r->u.tuple.elems[0], vars[0], "one variable per generic");
    cr_expect_eq(r->u.tuple.elems[1], vars[1]);
    cr_expect_eq(r->u.tuple.elems[2], TYPE_STR);
    cr_expect_eq(tpl->u.fn.params[0]->u.tuple.elems[0], T, "the template is untouched");
    cr_expect(type_unify(vars[0], TYPE_BOOL));
    cr_expect_not(type_unify(vars[1], TYPE_STR));
    cr_expect(type_unify(vars[1], TYPE_I64));
    cr_expect_str_eq(S(inst), "((bool, i64)) -> (bool, i64, str)");
}

Test(types, instantiate_shares_vars_across_calls)
{
    Type *T = gen(0, TC_NONE);
    Type *vars[26] = {0};
    Type *a = type_instantiate(&A, type_vec(&A, T), vars);
    Type *b = type_instantiate(&A, type_opt(&A, T), vars);
    cr_expect_eq(a->u.elem, b->u.elem, "the same vars array gives the same variable");
    Type *fresh[26] = {0};
    Type *c = type_instantiate(&A, type_vec(&A, T), fresh);
    cr_expect_neq(a->u.elem, c->u.elem, "another instance gets another variable");
}

Test(types, instantiate_streams_windows_and_records)
{
    Type *K = gen(0, TC_KEY), *T = gen(1, TC_NONE);
    Type *vars[26] = {0};
    Type *s = type_instantiate(&A, type_stream(&A, SH_KEYED, K, type_window(&A, T)), vars);
    cr_assert_eq(s->kind, TY_STREAM);
    cr_expect_eq(s->u.stream.shape, SH_KEYED);
    cr_expect_eq(s->u.stream.key, vars[0]);
    Type *w = s->u.stream.elem;
    cr_expect_str_eq(w->u.rec.name, "Window");
    cr_expect_eq(w->u.rec.fields[2].type, vars[1]);
    cr_expect_eq(vars[0]->u.var.tc, TC_KEY);
    Type *user = user_rec("Point", "x", TYPE_F64, "y", TYPE_F64);
    cr_expect_eq(type_instantiate(&A, user, vars), user, "user records are not copied");
    cr_expect_eq(type_instantiate(&A, TYPE_I64, vars), TYPE_I64);
    Type *ws = type_instantiate(&A, type_winspec(&A, WK_SESSION, T), vars);
    cr_expect_eq(ws->u.win.wk, WK_SESSION);
    cr_expect_eq(ws->u.win.elem, vars[1]);
}

/* ---- predicates ---- */

Test(types, predicates)
{
    Type *s = type_stream(&A, SH_PLAIN, NULL, TYPE_I64);
    cr_expect(type_is_stream(s));
    cr_expect(type_has_stream(tup2(TYPE_I64, s)));
    cr_expect(type_has_stream(tup2(TYPE_I64, tup2(s, TYPE_STR))));
    cr_expect_not(type_has_stream(type_vec(&A, TYPE_I64)));
    cr_expect_not(type_is_stream(tup2(s, s)));
    Type *v = type_var(&A, TC_NONE);
    cr_expect_not(type_is_stream(v));
    cr_assert(type_unify(v, s));
    cr_expect(type_is_stream(v), "through a bound variable");
    cr_expect(type_is(v, TY_STREAM));
    cr_expect(type_is_scalar(TYPE_I64));
    cr_expect(type_is_scalar(TYPE_F64));
    cr_expect(type_is_scalar(TYPE_BOOL));
    cr_expect(type_is_scalar(TYPE_STR));
    cr_expect_not(type_is_scalar(TYPE_UNIT));
    cr_expect_not(type_is_scalar(tup2(TYPE_I64, TYPE_I64)));
    cr_expect(type_has_vars(type_vec(&A, type_var(&A, TC_NONE))));
    cr_expect(type_has_vars(type_window(&A, type_var(&A, TC_NONE))));
    cr_expect(type_has_vars(type_stream(&A, SH_KEYED, type_var(&A, TC_KEY), TYPE_I64)));
    cr_expect_not(type_has_vars(fn1(TYPE_I64, tup2(TYPE_STR, TYPE_BOOL))));
}

/* ---- printing ---- */

Test(types, print_scalars_and_composites)
{
    cr_expect_str_eq(S(TYPE_I64), "i64");
    cr_expect_str_eq(S(TYPE_F64), "f64");
    cr_expect_str_eq(S(TYPE_BOOL), "bool");
    cr_expect_str_eq(S(TYPE_STR), "str");
    cr_expect_str_eq(S(TYPE_UNIT), "()");
    cr_expect_str_eq(S(TYPE_ERROR), "_");
    cr_expect_str_eq(S(type_var(&A, TC_NUM)), "_");
    cr_expect_str_eq(S(tup3(TYPE_I64, TYPE_STR, tup2(TYPE_F64, TYPE_BOOL))), "(i64, str, (f64, bool))");
    cr_expect_str_eq(S(type_vec(&A, type_opt(&A, TYPE_I64))), "vec<opt<i64>>");
    Type *ps[2] = {TYPE_I64, type_vec(&A, TYPE_STR)};
    cr_expect_str_eq(S(type_fn(&A, ps, 2, TYPE_BOOL)), "(i64, vec<str>) -> bool");
    cr_expect_str_eq(S(type_fn(&A, ps, 0, TYPE_UNIT)), "() -> ()");
}

Test(types, print_records)
{
    cr_expect_str_eq(S(user_rec("Point", "x", TYPE_F64, "y", TYPE_F64)), "Point");
    cr_expect_str_eq(S(type_window(&A, TYPE_F64)), "Window<f64>");
    cr_expect_str_eq(S(type_window(&A, type_vec(&A, TYPE_I64))), "Window<vec<i64>>");
    cr_expect_str_eq(S(type_date(&A)), "Date");
    Type *v = type_var(&A, TC_NONE);
    Type *w = type_window(&A, v);
    cr_expect_str_eq(S(w), "Window<_>");
    cr_assert(type_unify(v, TYPE_STR));
    cr_expect_str_eq(S(w), "Window<str>", "bound variables print as their value");
}

Test(types, print_streams)
{
    cr_expect_str_eq(S(type_stream(&A, SH_PLAIN, NULL, TYPE_I64)), "stream<i64>");
    cr_expect_str_eq(S(type_stream(&A, SH_KEYED, TYPE_STR, TYPE_I64)), "keyed<str, i64>");
    cr_expect_str_eq(S(type_stream(&A, SH_WINDOWED, NULL, TYPE_F64)), "windowed<f64>");
    cr_expect_str_eq(S(type_stream(&A, SH_KWINDOWED, TYPE_BOOL, tup2(TYPE_I64, TYPE_I64))),
                     "kwindowed<bool, (i64, i64)>");
    cr_expect_str_eq(S(type_stream(&A, SH_ELEMS, NULL, TYPE_STR)), "stream<str>");
    cr_expect_str_eq(S(type_stream(&A, SH_KEYED, TYPE_STR, type_window(&A, TYPE_I64))),
                     "keyed<str, Window<i64>>");
}

Test(types, print_special_kinds)
{
    cr_expect_str_eq(S(TYPE_SINK), "sink");
    cr_expect_str_eq(S(TYPE_TXN), "txn");
    cr_expect_str_eq(S(type_winspec(&A, WK_TUMBLING, TYPE_I64)), "window");
    cr_expect_str_eq(S(gen(0, TC_NONE)), "A");
    cr_expect_str_eq(S(gen(2, TC_NONE)), "C");
    Type *ta = type_new(&A, TY_TYPEARG);
    ta->u.elem = user_rec("Point", "x", TYPE_F64, "y", TYPE_F64);
    cr_expect_str_eq(S(ta), "type Point");
    cr_expect_str_eq(S(type_new(&A, TY_SYM)), "symbol");
}

Test(types, print_to_file)
{
    Capture c;
    cap_open(&c);
    type_print(c.f, tup2(TYPE_I64, type_stream(&A, SH_PLAIN, NULL, TYPE_STR)));
    cr_expect_str_eq(cap_text(&c), "(i64, stream<str>)");
    cap_close(&c);
}

Test(types, class_names)
{
    cr_expect(strstr(type_class_name(TC_NUM), "number") != NULL);
    cr_expect(strstr(type_class_name(TC_ORD), "ordered") != NULL);
    cr_expect(strstr(type_class_name(TC_KEY), "key") != NULL);
    cr_expect(strstr(type_class_name(TC_KEY), "f64") != NULL);
}
