/* test_sema.c - unit tests of the type checker (compiler/sema*.c) through
 * the front end (front_parse + front_check on programs held in memory):
 * well-typed programs give no errors and the expected types (of top-level
 * names via sema_dump and let patterns, of expressions via Expr->type, of
 * lambda parameters via their patterns); wrong programs give the expected
 * number of errors with the expected messages and locations; warnings
 * (unused param, stream never used, pipeline without a sink) are counted;
 * modules read with `use` are checked with the main file. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

static Checked C;

static void teardown(void) { checked_fini(&C); }

TestSuite(sema, .fini = teardown);

static const char *out(void) { return checked_out(&C); }

/* Checks a program that must have no errors (warnings allowed). */
static void check_ok(const char *src)
{
    check_src(&C, src);
    cr_assert_eq(C.errors, 0, "unexpected errors in:\n%s\n---\n%s", src, out());
}

/* Checks a program that must have `n` errors, the messages in `msgs` among them. */
static void check_errors(const char *src, int n, const char **msgs, int nmsgs)
{
    check_src(&C, src);
    cr_expect_eq(C.parse_errors, 0, "syntax errors in the test program:\n%s", out());
    cr_expect_eq(C.errors, n, "%d errors, want %d, in:\n%s\n---\n%s", C.errors, n, src, out());
    for (int i = 0; i < nmsgs; i++)
        cr_expect(strstr(out(), msgs[i]) != NULL, "want `%s` in:\n%s", msgs[i], out());
}

#define ERRORS(src, n, ...)                                                 \
    do {                                                                    \
        const char *msgs_[] = {__VA_ARGS__};                                \
        check_errors(src, n, msgs_, (int)(sizeof msgs_ / sizeof msgs_[0])); \
    } while (0)

/* The lambda that is argument `i` of the outermost call of `e`. */
static Expr *lambda_arg(Expr *e, int i)
{
    cr_assert(e->kind == EX_METHOD || e->kind == EX_CALL);
    cr_assert_lt(i, e->u.call.nargs);
    Expr *l = e->u.call.args[i]->value;
    cr_assert_eq(l->kind, EX_LAMBDA);
    return l;
}

static const char *pat_type(Pattern *p) { return p->type ? type_str(&C.f.arena, p->type) : "(untyped)"; }

/* ---- well-typed programs ---- */

Test(sema, empty_program)
{
    check_ok("");
    cr_expect_eq(C.f.diag.warnings, 0);
    cr_expect_str_eq(out(), "");
}

Test(sema, top_level_types)
{
    check_ok("type Point = { x: f64, y: f64 }\n"
             "param n: i64 = 10\n"
             "param label: str = \"p\"\n"
             "fn sq(p: Point) -> f64 = p.x * p.x + p.y * p.y\n"
             "fn clamp(v: i64, lo: i64, hi: i64) -> i64 { let a = max(v, lo); min(a, hi) }\n"
             "let pts = range(0, n).map(|i| Point { x: i as f64, y: 1.0 })\n"
             "let d = pts.map(|p| sq(p))\n"
             "let by = pts.group_by(|p| p.x > 1.0).count()\n"
             "let total = range(0, n).count().one()\n"
             "let all = range(0, clamp(n, 0, 5)).collect()\n"
             "let tags = [label, \"b\"].map(|s| upper(s))\n"
             "d.print()\n"
             "by.write_csv(\"-\")\n");
    cr_expect_eq(C.f.diag.warnings, 0, "%s", out());
    cr_expect_str_eq(checked_dump(&C),
                     "param n: i64\n"
                     "param label: str\n"
                     "fn sq: (Point) -> f64\n"
                     "fn clamp: (i64, i64, i64) -> i64\n"
                     "let pts: stream<Point>\n"
                     "let d: stream<f64>\n"
                     "let by: keyed<bool, i64>\n"
                     "let total: i64\n"
                     "let all: vec<i64>\n"
                     "let tags: vec<str>\n"
                     "pipeline: sink\n"
                     "pipeline: sink\n");
}

Test(sema, literal_and_tuple_types)
{
    check_ok("let t = (1, \"a\", 2.5, true, 10s, [1, 2], some(3), (1, (2.0, \"x\")))\n"
             "let o: opt<str> = none\n"
             "let e: vec<(i64, str)> = []\n"
             "let (a, (b, _)) = (1, (\"s\", 2.0))\n");
    cr_expect_str_eq(let_type(&C, "t"), "(i64, str, f64, bool, i64, vec<i64>, opt<i64>, (i64, (f64, str)))");
    cr_expect_str_eq(let_type(&C, "o"), "opt<str>");
    cr_expect_str_eq(let_type(&C, "e"), "vec<(i64, str)>");
    cr_expect_str_eq(let_type(&C, "a"), "i64");
    cr_expect_str_eq(let_type(&C, "b"), "str");
}

Test(sema, expression_types_are_recorded)
{
    check_ok("let v = if 1 < 2 { 1.5 * 2.0 } else { -3.0 }\n"
             "let s = \"a\" + \"b\"\n"
             "let c = (1, \"a\") < (2, \"b\")\n"
             "let w = { let q = 3; let (r, u) = (q, q * 2); (r + u) as f64 }\n"
             "let n = [1, 2, 3].len() + len(\"abc\")\n"
             "let x = 7 % 3 == 1 && !false\n");
    Expr *v = let_value(&C, "v");
    cr_assert_eq(v->kind, EX_IF);
    cr_expect_str_eq(expr_type(&C, v), "f64");
    cr_expect_str_eq(expr_type(&C, v->u.ifx.cond), "bool");
    cr_expect_str_eq(expr_type(&C, v->u.ifx.els), "f64");
    cr_expect_str_eq(expr_type(&C, let_value(&C, "s")), "str");
    cr_expect_str_eq(expr_type(&C, let_value(&C, "c")), "bool");
    Expr *w = let_value(&C, "w");
    cr_assert_eq(w->kind, EX_BLOCK);
    cr_expect_str_eq(expr_type(&C, w), "f64");
    cr_expect_str_eq(expr_type(&C, w->u.block.stmts[1]->value), "(i64, i64)");
    cr_expect_str_eq(pat_type(w->u.block.stmts[1]->pat->elems[1]), "i64");
    Expr *n = let_value(&C, "n");
    cr_expect_str_eq(expr_type(&C, n), "i64");
    cr_expect_str_eq(expr_type(&C, n->u.bin.lhs->u.call.recv), "vec<i64>");
    Expr *x = let_value(&C, "x");
    cr_expect_str_eq(expr_type(&C, x), "bool");
    cr_expect_str_eq(expr_type(&C, x->u.bin.lhs->u.bin.lhs), "i64");
}

Test(sema, lambda_parameters_get_inferred_types)
{
    check_ok("let m = range(0, 3).map(|x| (x, to_str(x)))\n"
             "let k = m.group_by(|(i, s)| s).map(|(key, (i, s))| i * 2)\n"
             "let f = m.fold(0.0, |acc, (i, _)| acc + i as f64)\n"
             "m.print()\nk.print()\nf.print()\n");
    cr_expect_str_eq(let_type(&C, "m"), "stream<(i64, str)>");
    cr_expect_str_eq(let_type(&C, "k"), "keyed<str, i64>");
    cr_expect_str_eq(let_type(&C, "f"), "stream<f64>");
    Expr *m = let_value(&C, "m");
    Expr *l = lambda_arg(m, 0);
    cr_expect_str_eq(pat_type(l->u.lambda.params[0]), "i64");
    cr_expect_str_eq(expr_type(&C, l), "(i64) -> (i64, str)");
    Expr *k = let_value(&C, "k");
    Expr *kl = lambda_arg(k, 0);  /* keyed map sees (key, value) */
    Pattern *kp = kl->u.lambda.params[0];
    cr_expect_str_eq(pat_type(kp), "(str, (i64, str))");
    cr_expect_str_eq(pat_type(kp->elems[0]), "str");
    cr_expect_str_eq(pat_type(kp->elems[1]->elems[0]), "i64");
    Expr *gl = lambda_arg(k->u.call.recv, 0);
    cr_expect_str_eq(pat_type(gl->u.lambda.params[0]->elems[1]), "str");
    Expr *fl = lambda_arg(let_value(&C, "f"), 1);
    cr_expect_str_eq(pat_type(fl->u.lambda.params[0]), "f64");
    cr_expect_str_eq(pat_type(fl->u.lambda.params[1]), "(i64, str)");
}

Test(sema, lambda_annotations)
{
    check_ok("type P = { x: f64, y: f64 }\n"
             "let v = [P { x: 1.0, y: 2.0 }].map(|p: P| p.x + p.y)\n");
    cr_expect_str_eq(let_type(&C, "v"), "vec<f64>");
}

Test(sema, keyed_windows_and_joins)
{
    check_ok("type Bid = { auction: i64, price: i64, ts: i64 }\n"
             "let kv = range(0, 9).group_by(|x| x % 3).map(|(k, v)| v * 2)\n"
             "let un = kv.unkey()\n"
             "let win = range(0, 9).group_by(|x| x % 2).window(tumbling(10s)).count()\n"
             "let wall = range(0, 9).window_all(count(5)).sum(|x| x)\n"
             "let bids = read_csv(\"bids.csv\", Bid).event_time(|b| b.ts, delay: 2s)\n"
             "let ev = bids.key_by(|b| b.auction).window(sliding(10s, 5s), time: event).max(|b| b.price)\n"
             "let j = range(0, 9).join(read_lines(\"f\"), |x| to_str(x), |s| s, how: left)\n"
             "let jo = range(0, 9).join(read_lines(\"f\"), |x| to_str(x), |s| s, how: outer)\n"
             "let ji = range(0, 9).join(read_lines(\"f\"), |x| to_str(x), |s| s)\n"
             "let gbs = range(0, 9).group_by_sum(|x| x % 2, |x| x as f64)\n"
             "let mean = range(0, 9).avg(|x| x as f64)\n"
             "let wv = win.map(|(k, w)| w.value + w.end - w.start)\n"
             "un.print()\nwall.print()\nev.print()\nj.print()\njo.print()\nji.print()\ngbs.print()\nmean.print()\nwv.print()\n");
    cr_expect_eq(C.f.diag.warnings, 0, "%s", out());
    cr_expect_str_eq(let_type(&C, "kv"), "keyed<i64, i64>");
    cr_expect_str_eq(let_type(&C, "un"), "stream<(i64, i64)>");
    cr_expect_str_eq(let_type(&C, "win"), "keyed<i64, Window<i64>>");
    cr_expect_str_eq(let_type(&C, "wall"), "stream<Window<i64>>");
    cr_expect_str_eq(let_type(&C, "bids"), "stream<Bid>");
    cr_expect_str_eq(let_type(&C, "ev"), "keyed<i64, Window<Bid>>");
    cr_expect_str_eq(let_type(&C, "j"), "stream<(i64, opt<str>)>");
    cr_expect_str_eq(let_type(&C, "jo"), "stream<(opt<i64>, opt<str>)>");
    cr_expect_str_eq(let_type(&C, "ji"), "stream<(i64, str)>");
    cr_expect_str_eq(let_type(&C, "gbs"), "keyed<i64, f64>");
    cr_expect_str_eq(let_type(&C, "mean"), "stream<f64>");
    cr_expect_str_eq(let_type(&C, "wv"), "keyed<i64, i64>");
}

Test(sema, event_time_is_tracked_on_stream_types)
{
    check_ok("let a = range(0, 9).event_time(|x| x * 1000)\n"
             "let b = a.map(|x| x + 1)\n"
             "let c = a.count()\n"
             "let d = range(0, 9)\n"
             "b.print()\nc.print()\nd.print()\n");
    Expr *a = let_value(&C, "a"), *b = let_value(&C, "b"), *c = let_value(&C, "c"), *d = let_value(&C, "d");
    cr_expect(type_prune(a->type)->u.stream.evtime);
    cr_expect(type_prune(b->type)->u.stream.evtime, "map keeps event time");
    cr_expect_not(type_prune(c->type)->u.stream.evtime, "an aggregation drops it");
    cr_expect_not(type_prune(d->type)->u.stream.evtime);
}

Test(sema, iterate_destructured)
{
    check_ok("let (state, out) = range(0, 9).iterate(max: 5, state: 0, body: |s, st| s.map(|x| x + st),\n"
             "                                       step: |st, d| st + len(d))\n"
             "out.print()\nstate.print()\n");
    cr_expect_str_eq(let_type(&C, "state"), "stream<i64>");
    cr_expect_str_eq(let_type(&C, "out"), "stream<i64>");
    Expr *it = let_value(&C, "state");
    Expr *step = it->u.call.args[3]->value;
    cr_assert_eq(step->kind, EX_LAMBDA);
    cr_expect_str_eq(pat_type(step->u.lambda.params[1]), "vec<i64>", "the default delta is the round's output");
}

Test(sema, function_passed_by_name)
{
    check_ok("fn sq(x: i64) -> i64 = x * x\n"
             "let s = range(0, 3).map(sq)\n"
             "s.print()\n");
    cr_expect_str_eq(let_type(&C, "s"), "stream<i64>");
}

Test(sema, functions_see_each_other)
{
    check_ok("fn a(x: i64) -> i64 = b(x) + 1\n"
             "fn b(x: i64) -> i64 = if x > 0 { a(x - 1) } else { 0 }\n"
             "param p: i64 = 3\n"
             "fn c() -> i64 = a(p)\n"
             "range(0, c()).print()\n");
    cr_expect_eq(C.f.diag.warnings, 0);
}

Test(sema, externs_are_callable)
{
    check_ok("extern \"m.h\" { fn c_scale(x: f64, k: f64) -> f64 }\n"
             "range(0, 3).map(|x| c_scale(x as f64, 2.0)).print()\n");
}

Test(sema, no_type_check_after_syntax_errors)
{
    check_src(&C, "let a = = 1\nlet b = 1 + \"s\"\nparam unused: i64 = 1\n");
    cr_expect_eq(C.parse_errors, 1);
    cr_expect_eq(C.errors, 1, "only the syntax error: %s", out());
    cr_expect(strstr(out(), "needs operands") == NULL, "%s", out());
    cr_expect_eq(C.f.diag.warnings, 0);
    cr_expect_null(let_value(&C, "b")->type, "sema did not run");
}

/* ---- errors: names, fields, types ---- */

Test(sema, field_did_you_mean)
{
    ERRORS("type Point = { xpos: f64, ypos: f64 }\n"
           "read_csv(\"p.csv\", Point).map(|p| p.xpso).print()\n",
           1, "t.flow:2:36: error: no field `xpso` in record `Point`; did you mean `xpos`?",
           "t.flow:1:6: note: `Point` is defined here");
}

Test(sema, field_of_non_record)
{
    ERRORS("let a = (1, 2).x\nlet b = range(0, 3)\nlet c = b.x\n", 2,
           "no field `x`: (i64, i64) is not a record",
           "a stream has no fields; to get `x` of each element, use .map(|x| x.x)");
}

Test(sema, tuple_index_out_of_range)
{
    ERRORS("let a = (1, \"s\").2\n", 1, "t.flow:1:18: error: no element 2 in (i64, str), a tuple of 2 elements");
}

Test(sema, unknown_name_did_you_mean)
{
    ERRORS("param bound: i64 = 3\nrange(0, bund).print()\n", 1,
           "t.flow:2:10: error: unknown name `bund`; did you mean `bound`?");
}

Test(sema, unknown_function_did_you_mean)
{
    ERRORS("range(0, 3).mapp(|x| x).print()\n", 1,
           "t.flow:1:13: error: unknown function `mapp`; did you mean `map`?");
}

Test(sema, unknown_type_did_you_mean)
{
    ERRORS("type Point = { x: f64 }\nlet v: vec<Pont> = []\n", 1, "unknown type `Pont`; did you mean `Point`?");
}

Test(sema, mismatched_arithmetic)
{
    ERRORS("range(0, 3).map(|x| x + 1.5).print()\n", 1,
           "t.flow:1:23: error: `+` needs operands of the same type, found i64 and f64",
           "t.flow:1:21: note: convert the i64 with `as f64`");
}

Test(sema, arithmetic_on_strings_and_bools)
{
    ERRORS("let a = \"x\" - \"y\"\nlet b = true + false\n", 2,
           "`-` needs numbers, found str", "`+` needs numbers or strings, found bool");
}

Test(sema, if_branches_differ)
{
    ERRORS("let v = if true { 1 } else { \"a\" }\n", 1,
           "t.flow:1:30: error: the branches of `if` have different types: i64 and str");
}

Test(sema, if_condition_must_be_bool)
{
    ERRORS("let v = if 1 { 1 } else { 2 }\n", 1, "the condition of `if`: expected bool, found i64");
}

Test(sema, cast_to_str)
{
    ERRORS("range(0, 3).map(|x| x as str).print()\n", 1,
           "`as` converts between i64 and f64, not to `str`; use to_str(x)");
}

Test(sema, record_literal_errors)
{
    ERRORS("type P = { x: f64, y: f64 }\nlet p = P { x: 1.0, z: 2.0, x: 3 }\n", 3,
           "t.flow:2:21: error: no field `z` in record `P`; did you mean `x`?",
           "t.flow:2:29: error: field `x` is given twice",
           "t.flow:2:13: note: first given here",
           "t.flow:2:32: error: field `x` of `P`: expected f64, found i64");
}

Test(sema, record_missing_field)
{
    ERRORS("type P = { x: f64, y: f64 }\nlet p = P { x: 1.0 }\n", 1, "t.flow:2:9: error: missing field `y` in this `P`");
}

Test(sema, redefinition)
{
    ERRORS("param n: i64 = 3\nlet n = 4\n", 1, "t.flow:2:5: error: redefinition of `n`",
           "t.flow:1:7: note: `n` was first defined here");
}

Test(sema, builtin_names_are_reserved)
{
    ERRORS("let count = 3\nfn map(x: i64) -> i64 = x\n", 2,
           "`count` is a builtin; choose another name", "`map` is a builtin; choose another name");
}

Test(sema, record_contains_itself)
{
    ERRORS("type Node = { v: i64, next: Node }\ntype Ok = { v: i64, kids: vec<Ok> }\n", 1,
           "t.flow:1:6: error: record `Node` contains itself");
}

Test(sema, param_types)
{
    ERRORS("param p: (i64, i64) = (1, 2)\nparam q: i64 = \"s\"\n", 2,
           "a param has type i64, f64, bool or str, not (i64, i64)",
           "param default: expected i64, found str");
}

/* A param with a non-scalar type gets one error, not a second one about its
 * default (regression: `param p: vec<i64> = []` also said "cannot infer"). */
Test(sema, bad_param_type_reports_once)
{
    ERRORS("param p: vec<i64> = []\n", 1, "a param has type i64, f64, bool or str, not vec<i64>");
}

Test(sema, function_return_mismatch)
{
    ERRORS("fn f(x: i64) -> str = x\n", 1, "t.flow:1:23: error: function `f` returns str, but its body has type i64",
           "t.flow:1:17: note: the return type is declared here");
}

Test(sema, function_does_not_see_top_level_let)
{
    ERRORS("let k = 3\nfn f(x: i64) -> i64 = x + k\nrange(0, f(1)).print()\n", 1,
           "t.flow:2:27: error: a function body sees params, functions and its own arguments, not the top-level "
           "`let` `k`; pass it as an argument");
}

Test(sema, let_used_before_definition)
{
    ERRORS("let a = b + 1\nlet b = 2\n", 1, "t.flow:1:9: error: `b` is used before its definition",
           "t.flow:2:5: note: `b` is defined here");
}

Test(sema, function_named_without_call)
{
    ERRORS("fn f(x: i64) -> i64 = x\nlet v = f\n", 1, "`f` is a function; call it, as in f(..)");
}

Test(sema, function_passed_with_wrong_type)
{
    ERRORS("fn sq(x: i64) -> i64 = x * x\nrange(0, 3).map(|x| x as f64).map(sq).print()\n", 1,
           "`sq` has type (i64) -> i64, but a lambda");
}

Test(sema, builtin_passed_by_name)
{
    ERRORS("range(0, 3).map(abs).print()\n", 1, "a builtin cannot be passed by name; write a lambda, as in |x| abs(x)");
}

/* ---- errors: calls ---- */

Test(sema, missing_argument)
{
    ERRORS("range(0).print()\n", 1, "t.flow:1:1: error: missing argument `hi` of `range`");
}

Test(sema, too_many_arguments)
{
    ERRORS("range(0, 3, 4).print()\n", 1, "t.flow:1:13: error: `range` takes 2 arguments, but 3 were given");
}

Test(sema, unknown_named_argument)
{
    ERRORS("range(0, 3).join(range(0, 3), |x| x, |y| y, hwo: left).print()\n", 1,
           "`join` has no parameter `hwo`; did you mean `how`?");
}

Test(sema, argument_given_twice_and_positional_after_named)
{
    ERRORS("let a = range(lo: 0, 3)\nlet b = range(0, 3, lo: 1)\n", 2,
           "t.flow:1:22: error: a positional argument cannot follow named ones",
           "argument `lo` of `range` is given twice");
}

Test(sema, symbolic_argument)
{
    ERRORS("range(0, 3).join(range(0, 3), |x| x, |y| y, how: sideways).print()\n", 1,
           "t.flow:1:50: error: `how` of `join` must be one of inner, left or outer, not `sideways`");
}

Test(sema, lambda_arity)
{
    ERRORS("range(0, 3).map(|a, b| a).print()\n", 1,
           "t.flow:1:17: error: this lambda takes 2 parameters, but `map` passes it 1");
}

Test(sema, lambda_outside_a_call)
{
    ERRORS("let f = |x| x\n", 1, "a lambda can only be passed to an operator or builtin that takes one");
}

Test(sema, lambda_result_type)
{
    ERRORS("range(0, 3).filter(|x| x + 1).print()\n", 1,
           "t.flow:1:24: error: the lambda `f` of `filter` returns the wrong type: expected bool, found i64");
}

Test(sema, value_function_on_stream)
{
    ERRORS("range(0, 3).upper().print()\n", 1, "`upper` works on values, but this is stream<i64>");
}

Test(sema, stream_operator_on_value)
{
    ERRORS("let v = [1, 2].group_by(|x| x)\n", 1, "`group_by` is a stream operator, but this is a value of type vec<i64>");
}

/* ---- errors: streams ---- */

Test(sema, keyed_operator_on_unkeyed_stream)
{
    ERRORS("range(0, 10).window(tumbling(10s)).count().print()\n", 1,
           "t.flow:1:14: error: `window` needs a keyed stream (from group_by(..) or key_by(..)), but this is stream<i64>",
           "note: for windows over the whole stream, use window_all(..)");
}

Test(sema, unkey_on_plain_stream)
{
    ERRORS("range(0, 10).unkey().print()\n", 1, "`unkey` needs a keyed stream");
}

Test(sema, plain_operator_on_keyed_stream)
{
    ERRORS("range(0, 10).group_by(|x| x).limit(3).print()\n", 1,
           "`limit` works on a plain stream, but this one is keyed (keyed<i64, i64>); use .unkey() first");
}

Test(sema, window_needs_an_aggregation)
{
    ERRORS("range(0, 10).window_all(count(3)).limit(2).print()\n", 1,
           "t.flow:1:35: error: `limit` does not apply to a windowed stream (windowed<i64>): a window is followed by an "
           "aggregation: count, sum, min, max, avg, fold, reduce, first, last or collect");
}

/* An element-wise operator with plain and keyed overloads, on a windowed
 * stream: the window needs an aggregation (not "a keyed stream"). */
Test(sema, windowed_map_says_window_needs_aggregation)
{
    ERRORS("range(0, 10).window_all(count(3)).map(|x| x).print()\n"
           "range(0, 10).group_by(|x| x).window(count(3)).filter(|x| true).print()\n", 2,
           "t.flow:1:35: error: `map` does not apply to a windowed stream (windowed<i64>): a window is followed by "
           "an aggregation",
           "t.flow:2:47: error: `filter` does not apply to a keyed windowed stream (kwindowed<i64, i64>)");
    cr_expect(strstr(out(), "needs a keyed stream") == NULL, "%s", out());
}

Test(sema, event_time_window_without_event_time)
{
    ERRORS("range(0, 10).group_by(|x| x % 2).window(tumbling(10s), time: event).count().print()\n", 1,
           "t.flow:1:62: error: `time: event` needs event time, but this stream has none",
           "note: stamp the elements first with .event_time(|x| x.ts) before keying or windowing");
}

Test(sema, count_window_does_not_use_time)
{
    ERRORS("range(0, 10).group_by(|x| x % 2).window(count(5), time: processing).count().print()\n", 1,
           "a count window does not use time; remove `time:`");
}

Test(sema, window_sizes_must_be_positive)
{
    ERRORS("range(0, 10).window_all(tumbling(0s)).count().print()\n"
           "range(0, 10).window_all(count(-2)).count().print()\n", 2,
           "`size` of `tumbling` must be positive", "`n` of `count` must be positive");
}

Test(sema, stream_in_lambda)
{
    ERRORS("let s = range(0, 3)\nrange(0, 3).map(|x| s).print()\n", 1,
           "t.flow:2:21: error: `s` is a stream, which cannot be used inside a lambda; turn it into a value first "
           "with `let v = s.collect()`");
}

Test(sema, stream_made_in_lambda)
{
    ERRORS("range(0, 3).map(|x| range(0, x)).print()\n", 1,
           "a stream cannot be made inside a lambda; `range` belongs in a top-level pipeline");
}

Test(sema, merge_types)
{
    ERRORS("range(0, 3).merge(read_lines(\"f\")).print()\n", 1,
           "t.flow:1:19: error: cannot merge stream<i64> with a stream of another type: expected stream<i64>, found "
           "stream<str>");
}

Test(sema, f64_is_not_a_key)
{
    ERRORS("range(0, 3).group_by(|x| x as f64).count().print()\n", 1,
           "t.flow:1:26: error: the lambda `key` of `group_by` returns the wrong type: f64 is not a key type",
           "t.flow:1:26: note: f64 keys are not allowed");
}

Test(sema, interval_join_needs_event_time)
{
    ERRORS("range(0, 10).group_by(|x| x).interval_join(range(0, 3).group_by(|x| x), 0, 10).print()\n", 2,
           "t.flow:1:1: error: interval_join needs event time on this stream",
           "t.flow:1:44: error: interval_join needs event time on this stream");
}

Test(sema, broadcast_outer_join)
{
    ERRORS("range(0, 3).join(range(0, 3), |x| x, |y| y, how: outer, ship: broadcast).print()\n", 1,
           "a broadcast join is inner or left");
}

Test(sema, iterate_local_without_merge)
{
    ERRORS("range(0, 10).iterate(max: 3, state: 0, body: |s, st| s, local: (0, |d, x| d + x),\n"
           "                     step: |st, d| st).1.print()\n", 1,
           "t.flow:1:14: error: `iterate` with `local` also needs `merge`");
}

Test(sema, phase_inside_iteration_body)
{
    ERRORS("range(0, 10).iterate(max: 3, state: 0, body: |s, st| s.map(|x| x + st).limit(s.collect().len()),\n"
           "                     step: |st, d| st).1.print()\n", 1,
           "`collect` cannot be used inside the body of an iteration");
}

Test(sema, read_csv_row_types)
{
    ERRORS("type R = { a: i64, v: vec<i64> }\nread_csv(\"x\", R).print()\nread_csv(\"x\", i64).print()\n", 2,
           "t.flow:2:15: error: read_csv reads fields of type i64, f64, bool or str",
           "but field `v` of `R` has type vec<i64>",
           "read_csv reads rows into a record or a tuple, not i64");
}

Test(sema, sink_cannot_be_bound)
{
    ERRORS("let s = range(0, 3).print()\n", 1, "t.flow:1:9: error: a sink ends a pipeline and has no value to bind");
}

Test(sema, top_level_value)
{
    ERRORS("1 + 2\n", 1,
           "t.flow:1:1: error: a top-level expression must be a pipeline ending in a sink, but this one is a "
           "value of type i64");
}

Test(sema, event_time_argument_checks)
{
    ERRORS("range(0, 3).event_time(|x| x, delay: -5s).print()\n"
           "let a = range(0, 3).event_time(|x| x).group_by(|x| x)\n"
           "a.interval_join(a, 10s, 5s).print()\n"
           "let b = range(0, 3).event_time(|x| x)\n"
           "b.window_join(range(0, 3), tumbling(1s), |x| x, |y| y).print()\n", 3,
           "t.flow:1:38: error: the delay of event_time cannot be negative",
           "t.flow:3:20: error: the interval is empty: lower (10000 ms) is above upper (5000 ms)",
           "t.flow:5:15: error: window_join needs event time on both streams or on neither; only the left has it");
}

Test(sema, iterate_max_at_least_one)
{
    ERRORS("range(0, 3).iterate(max: 0, state: 0, body: |s, st| s, step: |st, d| st).1.print()\n", 1,
           "t.flow:1:26: error: `max` must be at least 1");
}

/* ---- errors: patterns, declarations, operators ---- */

Test(sema, pattern_errors)
{
    ERRORS("let (a, b) = (1, 2, 3)\nrange(0, 3).map(|x| (x, x)).map(|(p, p)| p).print()\n", 2,
           "t.flow:1:5: error: this pattern takes a tuple of 2 elements apart, but the value has type (i64, i64, i64)",
           "t.flow:2:38: error: `p` is bound twice in this pattern");
}

Test(sema, declaration_errors)
{
    ERRORS("fn f(x: i64, x: i64) -> i64 = x\n"
           "extern \"h.h\" { fn g(v: vec<i64>) -> (i64, i64) }\n"
           "type P = { x: i64, x: f64 }\n", 4,
           "t.flow:1:14: error: parameter `x` is declared twice",
           "t.flow:1:6: note: first declared here",
           "t.flow:2:24: error: extern functions take and return i64, f64, bool or str, not vec<i64>",
           "extern functions take and return i64, f64, bool or str, not (i64, i64)",
           "t.flow:3:20: error: field `x` is declared twice in `P`",
           "t.flow:3:12: note: first declared here");
}

Test(sema, unary_operator_errors)
{
    ERRORS("let a = -\"s\"\nlet b = !1\n", 2, "t.flow:1:9: error: unary `-` needs a number, found str",
           "t.flow:2:10: error: `!`: expected bool, found i64");
}

Test(sema, comparisons)
{
    ERRORS("type P = { x: i64 }\n"
           "let a = P { x: 1 } == P { x: 2 }\n"
           "let b = P { x: 1 } < P { x: 2 }\n"
           "let c = some(1) == none\n"
           "let d = 1 == 1.0\n", 2,
           "t.flow:3:20: error: `<` needs an ordered type (i64, f64, str, bool, or tuples of them), found P",
           "t.flow:5:11: error: cannot compare i64 with f64");
    cr_expect_str_eq(expr_type(&C, let_value(&C, "a")), "bool");
    cr_expect_str_eq(expr_type(&C, let_value(&C, "c")), "bool");
}

Test(sema, mismatch_note_shows_where_a_type_came_from)
{
    ERRORS("range(0, 3).filter(|z| z > 0.5).print()\n", 1, "t.flow:1:26: error: cannot compare i64 with f64",
           "t.flow:1:21: note: `z` has type i64 (from what `filter` passes to this lambda)");
}

/* ---- inference ---- */

Test(sema, unresolved_empty_vector)
{
    ERRORS("let v = []\n", 1,
           "t.flow:1:9: error: cannot infer the element type of this empty vector (it is vec<_>); add a type annotation");
}

Test(sema, unresolved_none)
{
    ERRORS("let t = (1, none)\n", 1, "t.flow:1:13: error: cannot infer the type of this `none` (it is opt<_>)");
}

Test(sema, vector_elements_must_agree)
{
    ERRORS("let v = [1, 2.5]\n", 1, "t.flow:1:13: error: vector elements must have one type: expected i64, found f64");
}

Test(sema, annotation_resolves_inference)
{
    check_ok("let v: vec<str> = []\nlet o: opt<(i64, bool)> = none\n");
    cr_expect_str_eq(let_type(&C, "v"), "vec<str>");
    cr_expect_str_eq(let_type(&C, "o"), "opt<(i64, bool)>");
}

/* ---- warnings ---- */

Test(sema, unused_param_warning)
{
    check_ok("param unused: i64 = 3\nparam used: i64 = 4\nrange(0, used).print()\n");
    cr_expect_eq(C.f.diag.warnings, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:7: warning: param `unused` is never used") != NULL, "%s", out());
}

Test(sema, pipeline_without_sink_warning)
{
    check_ok("range(0, 3).map(|x| x)\n");
    cr_expect_eq(C.f.diag.warnings, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:1: warning: this pipeline has no sink, so it computes nothing") != NULL, "%s", out());
}

Test(sema, unused_stream_warning)
{
    check_ok("let s = range(0, 3)\nlet v = 3\n");
    cr_expect_eq(C.f.diag.warnings, 1, "unused values are not warned about: %s", out());
    cr_expect(strstr(out(), "t.flow:1:5: warning: stream `s` is never used, so it computes nothing") != NULL, "%s", out());
}

Test(sema, underscore_names_are_exempt)
{
    check_ok("param _hidden: i64 = 1\nlet _s = range(0, 3)\n");
    cr_expect_eq(C.f.diag.warnings, 0, "%s", out());
}

Test(sema, warnings_counted_together)
{
    check_ok("param a: i64 = 1\nparam b: str = \"x\"\nlet s = range(0, 3)\nrange(0, 2)\n");
    cr_expect_eq(C.f.diag.warnings, 4, "%s", out());
}

Test(sema, unused_warnings_skipped_after_errors)
{
    check_src(&C, "param a: i64 = 1\nlet b = 1 + \"s\"\n");
    cr_expect_eq(C.errors, 1);
    cr_expect_eq(C.f.diag.warnings, 0, "%s", out());
}

/* ---- modules ---- */

static char moddir[64];
static char modpath[128];
static char mainsrc[512];

/* Writes a module into a fresh temporary folder; returns its path. */
static const char *write_module(const char *name, const char *text)
{
    strcpy(moddir, "/tmp/flowc_sema_XXXXXX");
    cr_assert_not_null(mkdtemp(moddir));
    snprintf(modpath, sizeof modpath, "%s/%s", moddir, name);
    FILE *f = fopen(modpath, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return modpath;
}

static void remove_module(void)
{
    unlink(modpath);
    rmdir(moddir);
}

Test(sema, use_module_by_path)
{
    const char *mod = write_module("geo.flow", "param unused_in_module: i64 = 1\n"
                                               "type Pt = { x: f64, y: f64 }\n"
                                               "let nums = range(0, 3)\n"
                                               "let unused_stream = range(0, 1)\n");
    snprintf(mainsrc, sizeof mainsrc, "use \"%s\"\nnums.map(|x| Pt { x: x as f64, y: 0.0 }).print()\n", mod);
    check_src(&C, mainsrc);
    remove_module();
    cr_expect_eq(C.errors, 0, "%s", out());
    cr_expect_eq(C.f.diag.warnings, 0, "a module's unused names are not warned about: %s", out());
    cr_assert_eq(C.f.prog->nitems, 6, "the module's four items, then the main file's two");
    cr_expect_eq(C.f.prog->items[0]->kind, IT_PARAM);
    cr_expect_eq(C.f.prog->items[4]->kind, IT_USE);
    cr_expect_eq(C.f.prog->items[5]->kind, IT_EXPR);
    cr_expect_str_eq(let_type(&C, "nums"), "stream<i64>");
}

/* Only the main file gets "pipeline without a sink" warnings. */
Test(sema, module_pipeline_without_sink_not_warned)
{
    const char *mod = write_module("nosink.flow", "range(0, 1)\n");
    snprintf(mainsrc, sizeof mainsrc, "use \"%s\"\nrange(0, 3).print()\n", mod);
    check_src(&C, mainsrc);
    remove_module();
    cr_expect_eq(C.errors, 0, "%s", out());
    cr_expect_eq(C.f.diag.warnings, 0, "%s", out());
}

Test(sema, use_module_once)
{
    const char *mod = write_module("m.flow", "let k = 3\n");
    snprintf(mainsrc, sizeof mainsrc, "use \"%s\"\nuse \"%s\"\nrange(0, k).print()\n", mod, mod);
    check_src(&C, mainsrc);
    remove_module();
    cr_expect_eq(C.errors, 0, "a module used twice is read once: %s", out());
    cr_expect_eq(C.f.prog->nitems, 4);
}

Test(sema, errors_in_a_module_name_its_file)
{
    const char *mod = write_module("bad.flow", "let k = 1 + true\n");
    snprintf(mainsrc, sizeof mainsrc, "use \"%s\"\nrange(0, 3).print()\n", mod);
    check_src(&C, mainsrc);
    remove_module();
    cr_expect_eq(C.errors, 1, "%s", out());
    char want[200];
    snprintf(want, sizeof want, "%s:1:11: error: `+` needs operands of the same type", modpath);
    cr_expect(strstr(out(), want) != NULL, "want `%s` in:\n%s", want, out());
}

Test(sema, missing_module)
{
    check_src(&C, "use no_such_module_xyz\n");
    cr_expect_eq(C.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:5: error: no module `no_such_module_xyz`") != NULL, "%s", out());
}

Test(sema, missing_module_path)
{
    check_src(&C, "use \"/nonexistent/dir/x.flow\"\n");
    cr_expect_eq(C.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:5: error: cannot open `/nonexistent/dir/x.flow`") != NULL, "%s", out());
}
