/* test_ops.c - unit tests of compiler/ops.c: ops_load parses every builtin
 * signature of the table, ops_find finds the overloads of a name (in table
 * order), ops_names lists the names sorted and once each, and specific
 * signatures come out with the expected receiver shape, parameter names,
 * types, defaults, generics, flags and hooks. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <string.h>

#include "helpers.h"
#include "ops.h"
#include "types.h"

static Arena A;
static OpTable *T;

static void setup(void)
{
    arena_init(&A);
    T = ops_load(&A);
}

static void teardown(void) { arena_fini(&A); }

TestSuite(ops, .init = setup, .fini = teardown);

static const char *S(Type *t) { return type_str(&A, t); }

/* The overload of `name` whose receiver has `shape` (-1: no receiver). */
static Op *find_op(const char *name, int shape)
{
    int first, n = ops_find(T, name, &first);
    for (int i = 0; i < n; i++) {
        Op *op = &T->ops[first + i];
        if (shape < 0 ? op->recv == NULL : op->recv && (int)op->recv->u.stream.shape == shape)
            return op;
    }
    return NULL;
}

static OpParam *param(Op *op, const char *name)
{
    for (int i = 0; i < op->nparams; i++)
        if (!strcmp(op->params[i].name, name))
            return &op->params[i];
    return NULL;
}

Test(ops, loads_every_signature)
{
    int n;
    const OpDef *defs = ops_defs(&n);
    cr_assert_gt(T->n, 100);
    cr_expect_eq(T->n, n, "one op per table entry");
    for (int i = 0; i < T->n; i++) {
        Op *op = &T->ops[i];
        cr_assert_not_null(op->def);
        cr_expect(op->def >= defs && op->def < defs + n);
        cr_assert_not_null(op->name);
        cr_expect_gt(strlen(op->name), 0);
        cr_assert_not_null(op->ret, "%s", op->def->sig);
        /* the name comes right after the receiver's dot, or starts the signature */
        const char *at = strstr(op->def->sig, op->name);
        cr_assert_not_null(at, "%s", op->def->sig);
        cr_expect_eq(at[strlen(op->name)], '(', "name of %s", op->def->sig);
        for (int j = 0; j < op->nparams; j++) {
            cr_expect_not_null(op->params[j].name);
            cr_expect_not_null(op->params[j].type, "%s param %d", op->def->sig, j);
        }
        cr_expect_leq(op->ngen, 26);
        if (op->recv)
            cr_expect_eq(op->recv->kind, TY_STREAM, "receivers are streams: %s", op->def->sig);
        cr_expect_not_null(op->def->doc);
        cr_expect_not_null(op->def->group);
    }
}

Test(ops, every_def_is_in_the_table_once)
{
    int n;
    const OpDef *defs = ops_defs(&n);
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; j < T->n; j++)
            seen += T->ops[j].def == &defs[i];
        cr_expect_eq(seen, 1, "%s", defs[i].sig);
    }
}

Test(ops, sorted_by_name_then_table_order)
{
    for (int i = 1; i < T->n; i++) {
        int c = strcmp(T->ops[i - 1].name, T->ops[i].name);
        cr_expect_leq(c, 0, "%s before %s", T->ops[i - 1].name, T->ops[i].name);
        if (c == 0)
            cr_expect_lt(T->ops[i - 1].def, T->ops[i].def, "overloads keep table order: %s", T->ops[i].name);
    }
}

Test(ops, find_overloads)
{
    int first = -1;
    cr_expect_eq(ops_find(T, "len", &first), 2);
    cr_assert_geq(first, 0);
    cr_expect_str_eq(T->ops[first].name, "len");
    cr_expect_str_eq(T->ops[first + 1].name, "len");
    cr_expect_eq(T->ops[first].params[0].type, TYPE_STR, "the string len comes first (table order)");
    cr_expect_eq(T->ops[first + 1].params[0].type->kind, TY_VEC);
    cr_expect_eq(ops_find(T, "count", &first), 5);  /* stream, keyed, windowed, kwindowed, window spec */
    cr_expect_eq(ops_find(T, "map", &first), 3);
    cr_expect_eq(ops_find(T, "min", &first), 5);
    cr_expect_eq(ops_find(T, "contains", &first), 2);
    cr_expect_eq(ops_find(T, "read_csv", &first), 1);
    cr_expect_eq(ops_find(T, "zip_with", &first), 1);
    cr_expect_str_eq(T->ops[first].name, "zip_with");
}

Test(ops, find_missing_names)
{
    int first = -1;
    cr_expect_eq(ops_find(T, "no_such_op", &first), 0);
    cr_expect_eq(ops_find(T, "", &first), 0);
    cr_expect_eq(ops_find(T, "ma", &first), 0, "prefixes are not matches");
    cr_expect_eq(ops_find(T, "mapp", &first), 0);
    cr_expect_eq(ops_find(T, "zzzz", &first), 0);
    cr_expect_eq(first, T->n, "past the last name");
    cr_expect_eq(ops_find(T, "A", &first), 0);
    cr_expect_eq(first, 0, "before the first name");
}

Test(ops, find_first_and_last_names)
{
    int first;
    cr_expect_eq(ops_find(T, T->ops[0].name, &first), 1);
    cr_expect_eq(first, 0);
    const char *last = T->ops[T->n - 1].name;
    cr_expect_geq(ops_find(T, last, &first), 1);
    cr_expect_str_eq(T->ops[first].name, last);
}

Test(ops, names_sorted_and_unique)
{
    int n;
    const char **names = ops_names(T, &A, &n);
    cr_assert_gt(n, 60);
    cr_expect_lt(n, T->n, "overloaded names appear once");
    for (int i = 1; i < n; i++)
        cr_expect_lt(strcmp(names[i - 1], names[i]), 0, "%s < %s", names[i - 1], names[i]);
    int found = 0;
    for (int i = 0; i < n; i++)
        found += !strcmp(names[i], "group_by_count") + !strcmp(names[i], "window_all");
    cr_expect_eq(found, 2);
}

/* ---- specific signatures ---- */

Test(ops, stream_map)
{
    Op *op = find_op("map", SH_PLAIN);
    cr_assert_not_null(op);
    cr_expect_str_eq(op->def->group, "stream");
    cr_expect_eq(op->nparams, 1);
    cr_expect_str_eq(op->params[0].name, "f");
    cr_expect_null(op->params[0].def, "required");
    cr_expect_eq(op->params[0].type->kind, TY_FN);
    cr_expect_eq(op->ngen, 2);
    cr_expect_str_eq(S(op->recv), "stream<A>");
    cr_expect_str_eq(S(op->params[0].type), "(A) -> B");
    cr_expect_str_eq(S(op->ret), "stream<B>");
    cr_expect(op->def->flags & OPF_KEEP_TIME);
    cr_expect_eq(op->def->hook, HK_NONE);
}

Test(ops, keyed_map_sees_pairs)
{
    Op *op = find_op("map", SH_KEYED);
    cr_assert_not_null(op);
    cr_expect_eq(op->recv->u.stream.shape, SH_KEYED);
    Type *k = op->recv->u.stream.key;
    cr_assert_not_null(k);
    cr_expect_eq(k->kind, TY_GEN);
    cr_expect_eq(k->u.var.tc, TC_KEY, "K is a key");
    cr_expect_str_eq(S(op->params[0].type), "((A, B)) -> C");
    cr_expect_str_eq(S(op->ret), "keyed<A, C>");
    cr_expect_eq(op->ret->u.stream.key, k, "the same generic");
}

Test(ops, vector_map_is_a_value_function)
{
    Op *op = find_op("map", -1);
    cr_assert_not_null(op);
    cr_expect_str_eq(op->def->group, "vector");
    cr_expect_eq(op->nparams, 2);
    cr_expect_str_eq(op->params[0].name, "v");
    cr_expect_str_eq(op->params[1].name, "f");
    cr_expect_str_eq(S(op->params[0].type), "vec<A>");
    cr_expect_str_eq(S(op->ret), "vec<B>");
}

Test(ops, read_csv)
{
    Op *op = find_op("read_csv", -1);
    cr_assert_not_null(op);
    cr_expect_null(op->recv);
    cr_expect_eq(op->def->hook, HK_READ_CSV);
    cr_assert_eq(op->nparams, 5);
    const char *names[] = {"path", "row", "header", "sep", "skip_bad"};
    for (int i = 0; i < 5; i++)
        cr_expect_str_eq(op->params[i].name, names[i]);
    cr_expect_null(op->params[0].def);
    cr_expect_null(op->params[1].def);
    cr_expect_str_eq(op->params[2].def, "true");
    cr_expect_str_eq(op->params[3].def, "\",\"", "a quoted default keeps its quotes and comma");
    cr_expect_str_eq(op->params[4].def, "false");
    cr_expect_eq(op->params[0].type, TYPE_STR);
    cr_expect_eq(op->params[1].type->kind, TY_TYPEARG);
    cr_expect_eq(op->params[2].type, TYPE_BOOL);
    cr_expect_eq(op->ret->kind, TY_STREAM);
    cr_expect_eq(op->ret->u.stream.shape, SH_PLAIN);
    cr_expect_eq(op->ret->u.stream.elem, op->params[1].type->u.elem, "the row type is the element");
    cr_expect_eq(op->ngen, 1);
}

Test(ops, count_window_spec_default_refers_to_n)
{
    Op *op = find_op("count", -1);
    cr_assert_not_null(op);
    cr_expect_str_eq(op->def->group, "window");
    cr_assert_eq(op->nparams, 2);
    cr_expect_str_eq(op->params[0].name, "n");
    cr_expect_null(op->params[0].def);
    cr_expect_str_eq(op->params[1].name, "slide");
    cr_expect_str_eq(op->params[1].def, "n");
    cr_expect_eq(op->ret->kind, TY_WINSPEC);
    cr_expect_eq(op->ret->u.win.wk, WK_COUNT);
}

Test(ops, count_overloads_by_shape)
{
    Op *plain = find_op("count", SH_PLAIN), *keyed = find_op("count", SH_KEYED);
    Op *win = find_op("count", SH_WINDOWED), *kwin = find_op("count", SH_KWINDOWED);
    cr_assert(plain && keyed && win && kwin);
    cr_expect_eq(plain->nparams, 0);
    cr_expect_str_eq(S(plain->ret), "stream<i64>");
    cr_expect_str_eq(S(keyed->ret), "keyed<A, i64>");
    cr_expect_str_eq(S(win->ret), "stream<Window<i64>>");
    cr_expect_str_eq(S(kwin->ret), "keyed<A, Window<i64>>");
}

Test(ops, window_specs)
{
    Op *t = find_op("tumbling", -1), *sl = find_op("sliding", -1), *se = find_op("session", -1);
    Op *tx = find_op("transaction", -1);
    cr_assert(t && sl && se && tx);
    cr_expect_eq(t->ret->u.win.wk, WK_TUMBLING);
    cr_expect_str_eq(t->params[0].name, "size");
    cr_expect_eq(sl->ret->u.win.wk, WK_SLIDING);
    cr_expect_eq(sl->nparams, 2);
    cr_expect_str_eq(sl->params[1].name, "slide");
    cr_expect_null(sl->params[1].def);
    cr_expect_eq(se->ret->u.win.wk, WK_SESSION);
    cr_expect_str_eq(se->params[0].name, "gap");
    cr_expect_eq(tx->ret->u.win.wk, WK_TXN);
    cr_expect_str_eq(S(tx->params[0].type), "(A) -> txn");
    cr_expect_eq(find_op("commit", -1)->ret, TYPE_TXN);
    cr_expect_eq(find_op("commit_after", -1)->params[0].type, TYPE_I64);
}

Test(ops, window_and_window_all)
{
    Op *w = find_op("window", SH_KEYED), *wa = find_op("window_all", SH_PLAIN);
    cr_assert(w && wa);
    cr_expect_eq(w->def->hook, HK_WINDOW);
    cr_expect_eq(wa->def->hook, HK_WINDOW);
    cr_expect_eq(w->ret->u.stream.shape, SH_KWINDOWED);
    cr_expect_eq(wa->ret->u.stream.shape, SH_WINDOWED);
    OpParam *spec = param(w, "spec"), *time = param(w, "time");
    cr_assert(spec && time);
    cr_expect_eq(spec->type->kind, TY_WINSPEC);
    cr_expect_eq(spec->type->u.win.wk, WK_ANY);
    cr_assert_eq(time->type->kind, TY_SYM);
    cr_assert_eq(time->type->u.sym.n, 3);
    cr_expect_str_eq(time->type->u.sym.names[0], "auto");
    cr_expect_str_eq(time->type->u.sym.names[1], "event");
    cr_expect_str_eq(time->type->u.sym.names[2], "processing");
    cr_expect_eq(time->type->u.sym.chosen, -1);
    cr_expect_str_eq(time->def, "auto");
}

Test(ops, join)
{
    Op *op = find_op("join", SH_PLAIN);
    cr_assert_not_null(op);
    cr_expect_eq(op->def->hook, HK_JOIN);
    cr_assert_eq(op->nparams, 5);
    cr_expect_str_eq(op->params[0].name, "other");
    cr_expect_str_eq(op->params[1].name, "left_key");
    cr_expect_str_eq(op->params[2].name, "right_key");
    OpParam *how = param(op, "how"), *ship = param(op, "ship");
    cr_assert(how && ship);
    cr_expect_str_eq(how->def, "inner");
    cr_expect_str_eq(ship->def, "hash");
    cr_expect_eq(how->type->u.sym.n, 3);
    cr_expect_str_eq(how->type->u.sym.names[1], "left");
    cr_expect_eq(ship->type->u.sym.n, 2);
    cr_expect_str_eq(ship->type->u.sym.names[1], "broadcast");
    /* both key functions return the same key generic */
    Type *lk = op->params[1].type->u.fn.ret, *rk = op->params[2].type->u.fn.ret;
    cr_expect_eq(lk, rk);
    cr_expect_eq(lk->u.var.tc, TC_KEY);
    cr_expect_str_eq(S(op->ret), "stream<(A, B)>");
    cr_expect_eq(op->def->flags & OPF_KEEP_TIME, 0, "a join drops event time");
}

Test(ops, iterate_optional_params)
{
    Op *op = find_op("iterate", SH_PLAIN);
    cr_assert_not_null(op);
    cr_expect_eq(op->def->hook, HK_ITERATE);
    const char *names[] = {"max", "state", "body", "local", "merge", "step", "until"};
    cr_assert_eq(op->nparams, 7);
    for (int i = 0; i < 7; i++)
        cr_expect_str_eq(op->params[i].name, names[i]);
    cr_expect_null(param(op, "max")->def);
    cr_expect_null(param(op, "step")->def, "step is required");
    cr_expect_str_eq(param(op, "local")->def, "", "`= _`: optional without a value");
    cr_expect_str_eq(param(op, "merge")->def, "");
    cr_expect_str_eq(param(op, "until")->def, "");
    cr_expect_eq(op->ret->kind, TY_TUPLE);
    cr_expect_eq(op->ret->u.tuple.n, 2);
    cr_expect_str_eq(S(param(op, "body")->type), "(stream<A>, B) -> stream<A>");
    cr_expect_str_eq(S(param(op, "local")->type), "(C, (C, A) -> C)");
    Op *rp = find_op("replay", SH_PLAIN);
    cr_assert_not_null(rp);
    cr_expect_str_eq(S(rp->ret), "(stream<B>, stream<C>)");
}

Test(ops, sinks_and_phases_take_elems)
{
    const char *sinks[] = {"write_csv", "write_lines", "print", "for_each", "count_into"};
    for (int i = 0; i < 5; i++) {
        Op *op = find_op(sinks[i], SH_ELEMS);
        cr_assert_not_null(op, "%s", sinks[i]);
        cr_expect_eq(op->ret, TYPE_SINK, "%s", sinks[i]);
        cr_expect_str_eq(op->def->group, "sink");
    }
    Op *c = find_op("collect", SH_ELEMS), *one = find_op("one", SH_ELEMS);
    cr_assert(c && one);
    cr_expect(c->def->flags & OPF_PHASE);
    cr_expect(one->def->flags & OPF_PHASE);
    cr_expect_str_eq(S(c->ret), "vec<A>");
    cr_expect_str_eq(S(one->ret), "A");
    cr_expect_not_null(find_op("collect", SH_WINDOWED));
    cr_expect_null(find_op("collect", SH_PLAIN), "plain streams use the elems overload");
}

Test(ops, none_is_a_constant)
{
    Op *op = find_op("none", -1);
    cr_assert_not_null(op);
    cr_expect(op->def->flags & OPF_CONST);
    cr_expect_eq(op->nparams, 0);
    cr_expect_str_eq(S(op->ret), "opt<A>");
    cr_expect_eq(find_op("some", -1)->def->flags & OPF_CONST, 0);
}

Test(ops, generic_classes)
{
    Op *abs_op = find_op("abs", -1), *sort = find_op("sort", -1), *gb = find_op("group_by", SH_PLAIN);
    cr_assert(abs_op && sort && gb);
    cr_expect_eq(abs_op->params[0].type->kind, TY_GEN);
    cr_expect_eq(abs_op->params[0].type->u.var.tc, TC_NUM);
    cr_expect_eq(abs_op->ret, abs_op->params[0].type);
    cr_expect_eq(sort->params[0].type->u.elem->u.var.tc, TC_ORD);
    Type *k = gb->params[0].type->u.fn.ret;
    cr_expect_eq(k->u.var.tc, TC_KEY);
    cr_expect_str_eq(gb->params[0].name, "key");
    cr_expect_eq(gb->ret->u.stream.shape, SH_KEYED);
    cr_expect_eq(gb->ret->u.stream.key, k);
    Op *to_str = find_op("to_str", -1);
    cr_expect_eq(to_str->params[0].type->u.var.tc, TC_NONE);
}

Test(ops, any_is_a_fresh_generic)
{
    Op *op = find_op("inspect", SH_PLAIN);
    cr_assert_not_null(op);
    Type *r = op->params[0].type->u.fn.ret;
    cr_expect_eq(r->kind, TY_GEN);
    cr_expect_neq(r, op->recv->u.stream.elem);
    cr_expect_eq(op->ngen, 2);
}

Test(ops, event_time_and_multi)
{
    Op *et = find_op("event_time", SH_PLAIN);
    cr_assert_not_null(et);
    cr_expect_eq(et->def->hook, HK_EVENT_TIME);
    cr_expect_str_eq(param(et, "delay")->def, "0ms");
    cr_expect_str_eq(S(param(et, "f")->type), "(A) -> i64");
    Op *m = find_op("merge", SH_PLAIN);
    cr_assert_not_null(m);
    cr_expect_eq(m->def->hook, HK_MERGE);
    cr_expect_eq(m->params[0].type->u.stream.elem, m->recv->u.stream.elem);
    Op *ij = find_op("interval_join", SH_KEYED);
    cr_assert_not_null(ij);
    cr_expect_eq(ij->def->hook, HK_INTERVAL_JOIN);
    cr_expect_str_eq(S(ij->ret), "keyed<A, (B, C)>");
    Op *wj = find_op("window_join", SH_PLAIN);
    cr_assert_not_null(wj);
    cr_expect_eq(param(wj, "window")->type->kind, TY_WINSPEC);
}

Test(ops, date_parts_returns_date)
{
    Op *op = find_op("date_parts", -1);
    cr_assert_not_null(op);
    cr_expect_eq(op->ret->kind, TY_RECORD);
    cr_expect_str_eq(op->ret->u.rec.name, "Date");
    cr_expect_eq(op->ret->u.rec.n, 8);
    cr_expect_not_null(type_field(op->ret, "weekday"));
    cr_expect(op->ret->u.rec.builtin);
    cr_expect_eq(op->ngen, 0);
}

Test(ops, windowed_aggregations_return_windows)
{
    Op *sum = find_op("sum", SH_WINDOWED);
    cr_assert_not_null(sum);
    Type *w = sum->ret->u.stream.elem;
    cr_expect_str_eq(w->u.rec.name, "Window");
    cr_expect_eq(w->u.rec.fields[2].type->u.var.tc, TC_NUM);
    cr_expect_str_eq(S(find_op("avg", SH_KWINDOWED)->ret), "keyed<A, Window<f64>>");
    cr_expect_str_eq(S(find_op("collect", SH_KWINDOWED)->ret), "keyed<A, Window<vec<B>>>");
}

Test(ops, loading_twice_gives_independent_tables)
{
    OpTable *t2 = ops_load(&A);
    cr_assert_eq(t2->n, T->n);
    cr_expect_neq(t2->ops, T->ops);
    for (int i = 0; i < T->n; i++)
        cr_expect_eq(t2->ops[i].def, T->ops[i].def);
}

Test(ops, quoted_defaults_keep_spaces_and_commas)
{
    Op *op = find_op("parse_date", -1);
    cr_assert_not_null(op);
    cr_assert_eq(op->nparams, 2);
    cr_expect_str_eq(op->params[1].name, "format");
    cr_expect_str_eq(op->params[1].def, "\"%Y-%m-%d %H:%M:%S\"");
    cr_expect_str_eq(S(op->ret), "opt<i64>");
}

Test(ops, key_generics)
{
    Op *h = find_op("hash", -1), *d = find_op("distinct", SH_PLAIN);
    cr_assert(h && d);
    cr_expect_eq(h->params[0].type->u.var.tc, TC_KEY);
    cr_expect_eq(h->ret, TYPE_I64);
    cr_expect_eq(d->recv->u.stream.elem->u.var.tc, TC_KEY, "distinct needs key elements");
    cr_expect_eq(d->ret->u.stream.elem, d->recv->u.stream.elem);
}
