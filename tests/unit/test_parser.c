/* test_parser.c - unit tests of the Bison parser (grammar/parser.y through
 * parse_program): the items (param, type, fn with `=` and block bodies,
 * extern, use by name and by path, let with patterns and annotations,
 * pipelines), expression shapes (operator precedence and associativity,
 * unary operators and casts, method chains, fields and tuple indices,
 * named arguments, lambdas with tuple patterns and annotations, if/else-if,
 * blocks, record literals, tuples vs parenthesised expressions, vectors,
 * trailing commas), the byte ranges of nodes, and error recovery: broken
 * items are reported one error each and the good items are still returned. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <string.h>

#include "helpers.h"
#include "parse.h"

static int file;

FRONT_FIXTURE(parser);

static Program *parse(const char *src)
{
    file = diag_add_source(&D, "t.flow", src, (int32_t)strlen(src));
    Program *p = parse_program(&A, &D, file);
    cr_assert_not_null(p);
    return p;
}

static const char *out(void) { return cap_text(&cap); }

/* Parses a program that must be free of errors. */
static Program *parse_ok(const char *src)
{
    Program *p = parse(src);
    cr_assert_eq(D.errors, 0, "unexpected errors for:\n%s\n%s", src, out());
    return p;
}

/* ---- a compact rendering of expressions, to compare shapes ---- */

static void sx(FILE *f, Expr *e);

static void sx_pat(FILE *f, Pattern *p)
{
    if (p->kind == PAT_NAME)
        fputs(p->name, f);
    else if (p->kind == PAT_WILD)
        fputc('_', f);
    else {
        fputc('(', f);
        for (int i = 0; i < p->nelems; i++) {
            if (i)
                fputs(", ", f);
            sx_pat(f, p->elems[i]);
        }
        fputc(')', f);
    }
    if (p->annot) {
        fputs(": ", f);
        ast_dump_typeexpr(f, p->annot);
    }
}

static void sx_list(FILE *f, Expr **es, int n)
{
    for (int i = 0; i < n; i++) {
        fputc(' ', f);
        sx(f, es[i]);
    }
}

static void sx_args(FILE *f, Arg **args, int n)
{
    fputc('(', f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        if (args[i]->name)
            fprintf(f, "%s: ", args[i]->name);
        sx(f, args[i]->value);
    }
    fputc(')', f);
}

static void sx(FILE *f, Expr *e)
{
    switch (e->kind) {
    case EX_INT: fprintf(f, "%lld", (long long)e->u.ival); break;
    case EX_DURATION: fprintf(f, "%lldms", (long long)e->u.ival); break;
    case EX_FLOAT: fprintf(f, "%g", e->u.fval); break;
    case EX_STR: fprintf(f, "\"%.*s\"", (int)e->u.str.len, e->u.str.ptr); break;
    case EX_BOOL: fputs(e->u.ival ? "true" : "false", f); break;
    case EX_NAME: case EX_TYPENAME: fputs(e->u.name.name, f); break;
    case EX_UNARY: fprintf(f, "(%s ", e->u.bin.op == OP_NEG ? "neg" : "!"); sx(f, e->u.bin.lhs); fputc(')', f); break;
    case EX_BINARY:
        fprintf(f, "(%s ", ast_op_name(e->u.bin.op));
        sx(f, e->u.bin.lhs);
        fputc(' ', f);
        sx(f, e->u.bin.rhs);
        fputc(')', f);
        break;
    case EX_CAST: fputs("(as ", f); sx(f, e->u.cast.value); fprintf(f, " %s)", e->u.cast.to); break;
    case EX_CALL: fputs(e->u.call.name, f); sx_args(f, e->u.call.args, e->u.call.nargs); break;
    case EX_METHOD:
        sx(f, e->u.call.recv);
        fprintf(f, ".%s", e->u.call.name);
        sx_args(f, e->u.call.args, e->u.call.nargs);
        break;
    case EX_FIELD: sx(f, e->u.field.recv); fprintf(f, ".%s", e->u.field.name); break;
    case EX_TINDEX: sx(f, e->u.field.recv); fprintf(f, ".%d", e->u.field.index); break;
    case EX_TUPLE: fputs("(tuple", f); sx_list(f, e->u.list.elems, e->u.list.n); fputc(')', f); break;
    case EX_VEC: fputs("[vec", f); sx_list(f, e->u.list.elems, e->u.list.n); fputc(']', f); break;
    case EX_RECORD:
        fprintf(f, "%s{", e->u.rec.name);
        for (int i = 0; i < e->u.rec.n; i++) {
            fprintf(f, "%s%s: ", i ? ", " : "", e->u.rec.fields[i]->name);
            sx(f, e->u.rec.fields[i]->value);
        }
        fputc('}', f);
        break;
    case EX_IF:
        fputs("(if ", f);
        sx(f, e->u.ifx.cond);
        fputc(' ', f);
        sx(f, e->u.ifx.then);
        fputc(' ', f);
        sx(f, e->u.ifx.els);
        fputc(')', f);
        break;
    case EX_BLOCK:
        fputc('{', f);
        for (int i = 0; i < e->u.block.n; i++) {
            Stmt *s = e->u.block.stmts[i];
            fputs("let ", f);
            sx_pat(f, s->pat);
            if (s->annot) {
                fputs(": ", f);
                ast_dump_typeexpr(f, s->annot);
            }
            fputs(" = ", f);
            sx(f, s->value);
            fputs("; ", f);
        }
        sx(f, e->u.block.result);
        fputc('}', f);
        break;
    case EX_LAMBDA:
        fputs("(|", f);
        for (int i = 0; i < e->u.lambda.n; i++) {
            if (i)
                fputs(", ", f);
            sx_pat(f, e->u.lambda.params[i]);
        }
        fputs("| ", f);
        sx(f, e->u.lambda.body);
        fputc(')', f);
        break;
    }
}

static const char *show(Expr *e)
{
    Capture c;
    cap_open(&c);
    sx(c.f, e);
    const char *r = arena_strdup(&A, cap_text(&c));
    cap_close(&c);
    return r;
}

static const char *show_type(TypeExpr *t)
{
    Capture c;
    cap_open(&c);
    ast_dump_typeexpr(c.f, t);
    const char *r = arena_strdup(&A, cap_text(&c));
    cap_close(&c);
    return r;
}

/* The expression of a one-item program `src`, a pipeline. */
static Expr *expr_of(const char *src)
{
    Program *p = parse_ok(src);
    cr_assert_eq(p->nitems, 1, "%d items for %s", p->nitems, src);
    cr_assert_eq(p->items[0]->kind, IT_EXPR);
    return p->items[0]->u.expr.expr;
}

static void expect_shape(const char *src, const char *want)
{
    const char *got = show(expr_of(src));
    cr_expect_str_eq(got, want, "for `%s`", src);
}

/* The source text of a node's range. */
static const char *text_of(Loc l)
{
    Source *s = diag_source(&D, l.file);
    cr_assert_not_null(s);
    cr_assert(l.start >= 0 && l.start <= l.end && l.end <= s->len, "bad range [%d, %d)", l.start, l.end);
    return arena_strndup(&A, s->text + l.start, (size_t)(l.end - l.start));
}

/* ---- items ---- */

Test(parser, empty_program)
{
    Program *p = parse_ok("");
    cr_expect_eq(p->nitems, 0);
    p = parse_ok("  // only a comment\n;;\n");
    cr_expect_eq(p->nitems, 0, "semicolons alone make no items");
}

Test(parser, param_item)
{
    Program *p = parse_ok("param n: i64 = 1_000");
    cr_assert_eq(p->nitems, 1);
    Item *it = p->items[0];
    cr_expect_eq(it->kind, IT_PARAM);
    cr_expect_str_eq(it->u.param.name, "n");
    cr_expect_str_eq(text_of(it->u.param.name_loc), "n");
    cr_expect_eq(it->u.param.type->kind, TX_NAME);
    cr_expect_str_eq(it->u.param.type->name, "i64");
    cr_expect_eq(it->u.param.value->kind, EX_INT);
    cr_expect_eq(it->u.param.value->u.ival, 1000);
    cr_expect_str_eq(text_of(it->loc), "param n: i64 = 1_000");
}

Test(parser, type_item_with_trailing_comma)
{
    Program *p = parse_ok("type Point = {\n  x: f64,\n  y: f64,\n  tags: vec<str>,\n}");
    cr_assert_eq(p->nitems, 1);
    Item *it = p->items[0];
    cr_assert_eq(it->kind, IT_TYPE);
    cr_expect_str_eq(it->u.type.name, "Point");
    cr_assert_eq(it->u.type.n, 3);
    cr_expect_str_eq(it->u.type.fields[0]->name, "x");
    cr_expect_str_eq(it->u.type.fields[2]->name, "tags");
    cr_expect_eq(it->u.type.fields[2]->type->kind, TX_GENERIC);
    cr_expect_str_eq(show_type(it->u.type.fields[2]->type), "vec<str>");
    cr_expect_str_eq(text_of(it->u.type.fields[1]->loc), "y");
    cr_expect_str_eq(text_of(it->u.type.name_loc), "Point");
}

Test(parser, type_expressions)
{
    Program *p = parse_ok("fn f(a: (i64, str), b: opt<vec<Point>>, c: (f64)) -> (bool, (i64, i64)) = a");
    FnDecl *fn = &p->items[0]->u.fn;
    cr_assert_eq(fn->nparams, 3);
    cr_expect_eq(fn->params[0]->type->kind, TX_TUPLE);
    cr_expect_eq(fn->params[0]->type->nargs, 2);
    cr_expect_eq(fn->params[1]->type->kind, TX_GENERIC);
    cr_expect_str_eq(fn->params[1]->type->name, "opt");
    cr_expect_eq(fn->params[1]->type->args[0]->kind, TX_GENERIC);
    cr_expect_str_eq(fn->params[1]->type->args[0]->args[0]->name, "Point");
    cr_expect_eq(fn->params[2]->type->kind, TX_NAME, "(f64) is just f64");
    cr_expect_str_eq(fn->params[2]->type->name, "f64");
    cr_expect_eq(fn->ret->kind, TX_TUPLE);
    cr_expect_eq(fn->ret->args[1]->kind, TX_TUPLE);
    cr_expect_str_eq(text_of(fn->ret->loc), "(bool, (i64, i64))");
}

Test(parser, fn_with_expression_body)
{
    Program *p = parse_ok("fn add(a: i64, b: i64,) -> i64 = a + b");
    cr_assert_eq(p->nitems, 1);
    Item *it = p->items[0];
    cr_assert_eq(it->kind, IT_FN);
    FnDecl *fn = &it->u.fn;
    cr_expect_str_eq(fn->name, "add");
    cr_expect_str_eq(text_of(fn->name_loc), "add");
    cr_assert_eq(fn->nparams, 2, "a trailing comma adds no parameter");
    cr_expect_str_eq(fn->params[0]->name, "a");
    cr_expect_str_eq(fn->params[1]->name, "b");
    cr_expect_str_eq(fn->params[1]->type->name, "i64");
    cr_expect_str_eq(fn->ret->name, "i64");
    cr_expect_str_eq(show(fn->body), "(+ a b)");
    cr_expect_eq(fn->is_extern, 0);
    cr_expect_str_eq(text_of(it->loc), "fn add(a: i64, b: i64,) -> i64 = a + b");
}

Test(parser, fn_with_block_body)
{
    Program *p = parse_ok("fn f(x: i64) -> i64 {\n  let y = x * 2;\n  let (a, _): (i64, i64) = (y, 1);\n  a + y\n}");
    FnDecl *fn = &p->items[0]->u.fn;
    cr_expect_eq(fn->nparams, 1);
    cr_assert_eq(fn->body->kind, EX_BLOCK);
    cr_expect_str_eq(show(fn->body), "{let y = (* x 2); let (a, _): (i64, i64) = (tuple y 1); (+ a y)}");
    Stmt *s1 = fn->body->u.block.stmts[1];
    cr_expect_eq(s1->pat->kind, PAT_TUPLE);
    cr_expect_eq(s1->pat->elems[1]->kind, PAT_WILD);
    cr_expect_str_eq(text_of(s1->loc), "let (a, _): (i64, i64) = (y, 1);");
}

Test(parser, fn_without_params)
{
    Program *p = parse_ok("fn zero() -> f64 = 0.0");
    cr_expect_eq(p->items[0]->u.fn.nparams, 0);
}

Test(parser, extern_block)
{
    Program *p = parse_ok("extern \"mylib.h\" {\n  fn c_hash(s: str) -> i64;\n  fn c_scale(x: f64, k: f64) -> f64\n}");
    cr_assert_eq(p->nitems, 1);
    Item *it = p->items[0];
    cr_assert_eq(it->kind, IT_EXTERN);
    cr_expect_str_eq(it->u.ext.header, "mylib.h");
    cr_expect_str_eq(text_of(it->u.ext.header_loc), "\"mylib.h\"");
    cr_assert_eq(it->u.ext.n, 2);
    FnDecl *a = it->u.ext.fns[0], *b = it->u.ext.fns[1];
    cr_expect_str_eq(a->name, "c_hash");
    cr_expect_str_eq(b->name, "c_scale");
    cr_expect_eq(b->nparams, 2);
    cr_expect(a->is_extern && b->is_extern);
    cr_expect_str_eq(a->header, "mylib.h");
    cr_expect_null(a->body);
    cr_expect_null(b->body);
}

Test(parser, empty_extern_block)
{
    Program *p = parse_ok("extern \"x.h\" {}");
    cr_expect_eq(p->items[0]->u.ext.n, 0);
}

Test(parser, use_items)
{
    Program *p = parse_ok("use nexmark\nuse \"lib/geo.flow\"");
    cr_assert_eq(p->nitems, 2);
    cr_expect_eq(p->items[0]->kind, IT_USE);
    cr_expect_str_eq(p->items[0]->u.use.module, "nexmark");
    cr_expect_eq(p->items[0]->u.use.is_path, 0);
    cr_expect_str_eq(text_of(p->items[0]->u.use.name_loc), "nexmark");
    cr_expect_str_eq(p->items[1]->u.use.module, "lib/geo.flow");
    cr_expect_eq(p->items[1]->u.use.is_path, 1);
    cr_expect_str_eq(text_of(p->items[1]->u.use.name_loc), "\"lib/geo.flow\"");
}

Test(parser, let_items)
{
    Program *p = parse_ok("let a = 1\nlet (s, (t, _)) = x\nlet v: vec<i64> = []");
    cr_assert_eq(p->nitems, 3);
    Item *a = p->items[0], *b = p->items[1], *c = p->items[2];
    cr_expect_eq(a->kind, IT_LET);
    cr_expect_eq(a->u.let.pat->kind, PAT_NAME);
    cr_expect_null(a->u.let.annot);
    Pattern *pb = b->u.let.pat;
    cr_assert_eq(pb->kind, PAT_TUPLE);
    cr_assert_eq(pb->nelems, 2);
    cr_expect_str_eq(pb->elems[0]->name, "s");
    cr_assert_eq(pb->elems[1]->kind, PAT_TUPLE);
    cr_expect_eq(pb->elems[1]->elems[1]->kind, PAT_WILD);
    cr_expect_str_eq(text_of(pb->loc), "(s, (t, _))");
    cr_expect_str_eq(text_of(pb->elems[1]->loc), "(t, _)");
    cr_assert_not_null(c->u.let.annot);
    cr_expect_str_eq(show_type(c->u.let.annot), "vec<i64>");
    cr_expect_eq(c->u.let.value->kind, EX_VEC);
    cr_expect_eq(c->u.let.value->u.list.n, 0);
}

Test(parser, parenthesised_pattern_is_not_a_tuple)
{
    Program *p = parse_ok("let (a) = 1");
    cr_expect_eq(p->items[0]->u.let.pat->kind, PAT_NAME);
    cr_expect_str_eq(p->items[0]->u.let.pat->name, "a");
}

Test(parser, items_without_separators)
{
    Program *p = parse_ok("param a: i64 = 1 let b = a fn f(x: i64) -> i64 = x; let c = 2;\n"
                          "range(0, 3).print()");
    cr_assert_eq(p->nitems, 5);
    cr_expect_eq(p->items[0]->kind, IT_PARAM);
    cr_expect_eq(p->items[1]->kind, IT_LET);
    cr_expect_eq(p->items[2]->kind, IT_FN);
    cr_expect_eq(p->items[3]->kind, IT_LET);
    cr_expect_eq(p->items[4]->kind, IT_EXPR);
}

Test(parser, pipeline_item)
{
    Program *p = parse_ok("read_lines(input)\n  .flat_map(|line| words(line))\n  .group_by_count(|w| w)\n  .write_csv(\"-\")\n");
    cr_assert_eq(p->nitems, 1);
    cr_expect_str_eq(show(p->items[0]->u.expr.expr),
                     "read_lines(input).flat_map((|line| words(line))).group_by_count((|w| w)).write_csv(\"-\")");
    cr_expect_str_eq(text_of(p->items[0]->loc),
                     "read_lines(input)\n  .flat_map(|line| words(line))\n  .group_by_count(|w| w)\n  .write_csv(\"-\")");
}

/* ---- precedence and associativity ---- */

Test(parser, arithmetic_precedence)
{
    expect_shape("1 + 2 * 3", "(+ 1 (* 2 3))");
    expect_shape("1 * 2 + 3", "(+ (* 1 2) 3)");
    expect_shape("a % b - c / d", "(- (% a b) (/ c d))");
    expect_shape("(1 + 2) * 3", "(* (+ 1 2) 3)");
}

Test(parser, left_associativity)
{
    expect_shape("1 - 2 - 3", "(- (- 1 2) 3)");
    expect_shape("8 / 4 / 2", "(/ (/ 8 4) 2)");
    expect_shape("a || b || c", "(|| (|| a b) c)");
    expect_shape("a && b && c", "(&& (&& a b) c)");
}

Test(parser, logical_and_comparison_precedence)
{
    expect_shape("a || b && c", "(|| a (&& b c))");
    expect_shape("a && b || c", "(|| (&& a b) c)");
    expect_shape("a < b + 1 && c == d", "(&& (< a (+ b 1)) (== c d))");
    expect_shape("x >= 1 || y != 2", "(|| (>= x 1) (!= y 2))");
    expect_shape("a <= b", "(<= a b)");
    expect_shape("a > b", "(> a b)");
}

Test(parser, comparisons_do_not_chain)
{
    parse("a < b < c");
    cr_expect_eq(D.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:7: error: unexpected `<`; expected an expression") != NULL, "%s", out());
}

Test(parser, unary_operators_and_casts)
{
    expect_shape("-x * y", "(* (neg x) y)");
    expect_shape("- -x", "(neg (neg x))");
    expect_shape("!a == b", "(== (! a) b)");
    expect_shape("!a && b", "(&& (! a) b)");
    expect_shape("x as f64 * 2.5", "(* (as x f64) 2.5)");
    expect_shape("a + b as f64", "(+ a (as b f64))");
    expect_shape("-x as f64", "(as (neg x) f64)");
    expect_shape("n as f64 as i64", "(as (as n f64) i64)");
    expect_shape("-p.x", "(neg p.x)");
}

Test(parser, literals)
{
    expect_shape("[1, 2.5, \"s\", true, false, 10s, none]", "[vec 1 2.5 \"s\" true false 10000ms none]");
}

/* ---- postfix: methods, fields, tuple indices ---- */

Test(parser, method_chains)
{
    expect_shape("a.b(1).c(2, 3).d()", "a.b(1).c(2, 3).d()");
    Expr *e = expr_of("src.map(f).filter(g)");
    cr_assert_eq(e->kind, EX_METHOD);
    cr_expect_str_eq(e->u.call.name, "filter");
    cr_expect_eq(e->u.call.nargs, 1);
    cr_assert_eq(e->u.call.recv->kind, EX_METHOD);
    cr_expect_str_eq(e->u.call.recv->u.call.name, "map");
    cr_expect_eq(e->u.call.recv->u.call.recv->kind, EX_NAME);
}

Test(parser, fields_and_tuple_indices)
{
    expect_shape("p.x.y", "p.x.y");
    expect_shape("t.0.1", "t.0.1");
    expect_shape("f(a).0 + w.value.1", "(+ f(a).0 w.value.1)");
    Expr *e = expr_of("t.0.1");
    cr_assert_eq(e->kind, EX_TINDEX);
    cr_expect_eq(e->u.field.index, 1);
    cr_assert_eq(e->u.field.recv->kind, EX_TINDEX);
    cr_expect_eq(e->u.field.recv->u.field.index, 0);
    cr_expect_str_eq(text_of(e->u.field.name_loc), "1");
    cr_expect_str_eq(text_of(e->u.field.recv->loc), "t.0");
}

Test(parser, method_on_literals_and_parens)
{
    expect_shape("(a + b).len()", "(+ a b).len()");
    expect_shape("[1, 2].len()", "[vec 1 2].len()");
    expect_shape("\"s\".len()", "\"s\".len()");
}

Test(parser, named_arguments)
{
    Expr *e = expr_of("a.join(b, kx, ky, how: left, ship: broadcast,)");
    cr_assert_eq(e->kind, EX_METHOD);
    cr_assert_eq(e->u.call.nargs, 5, "a trailing comma adds no argument");
    cr_expect_null(e->u.call.args[0]->name);
    cr_expect_null(e->u.call.args[2]->name);
    cr_expect_str_eq(e->u.call.args[3]->name, "how");
    cr_expect_str_eq(e->u.call.args[4]->name, "ship");
    cr_expect_str_eq(show(e->u.call.args[3]->value), "left");
    cr_expect_str_eq(text_of(e->u.call.args[3]->name_loc), "how");
    cr_expect_str_eq(text_of(e->u.call.name_loc), "join");
}

Test(parser, free_calls)
{
    expect_shape("f()", "f()");
    expect_shape("max(a, b: 2)", "max(a, b: 2)");
    Expr *e = expr_of("read_csv(p, Point, header: false)");
    cr_assert_eq(e->kind, EX_CALL);
    cr_expect_null(e->u.call.recv);
    cr_expect_eq(e->u.call.args[1]->value->kind, EX_TYPENAME);
    cr_expect_eq(e->u.call.args[0]->value->kind, EX_NAME);
}

/* ---- lambdas ---- */

Test(parser, lambdas)
{
    expect_shape("s.map(|x| x + 1)", "s.map((|x| (+ x 1)))");
    expect_shape("s.fold(0, |acc, x| acc + x)", "s.fold(0, (|acc, x| (+ acc x)))");
    expect_shape("s.map(|(k, v)| v)", "s.map((|(k, v)| v))");
    expect_shape("s.map(|(a, (b, _)), c: i64| a)", "s.map((|(a, (b, _)), c: i64| a))");
    expect_shape("s.map(|p: Point| p.x)", "s.map((|p: Point| p.x))");
    expect_shape("s.map(|x| |y| x)", "s.map((|x| (|y| x)))");
}

Test(parser, lambda_body_extends_right)
{
    expect_shape("s.filter(|x| x > 1 && x < 5)", "s.filter((|x| (&& (> x 1) (< x 5))))");
    expect_shape("s.map(|x| x as f64 * 2.0)", "s.map((|x| (* (as x f64) 2)))");
}

Test(parser, lambda_structure_and_locations)
{
    Expr *e = expr_of("s.map(|(k, v): (str, i64), n| v * n)");
    Expr *l = e->u.call.args[0]->value;
    cr_assert_eq(l->kind, EX_LAMBDA);
    cr_assert_eq(l->u.lambda.n, 2);
    Pattern *p0 = l->u.lambda.params[0];
    cr_expect_eq(p0->kind, PAT_TUPLE);
    cr_assert_not_null(p0->annot);
    cr_expect_eq(p0->annot->kind, TX_TUPLE);
    cr_expect_null(l->u.lambda.params[1]->annot);
    cr_expect_str_eq(text_of(l->loc), "|(k, v): (str, i64), n| v * n");
    cr_expect_str_eq(text_of(l->u.lambda.body->loc), "v * n");
    cr_expect_str_eq(text_of(p0->loc), "(k, v)");
}

Test(parser, zero_parameter_lambda_is_an_error)
{
    parse("s.map(|| 1)");
    cr_expect_eq(D.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:7: error: a lambda needs at least one parameter: write |_| e") != NULL, "%s", out());
}

/* ---- if, blocks, records, tuples, vectors ---- */

Test(parser, if_else)
{
    expect_shape("if a { 1 } else { 2 }", "(if a 1 2)");
    expect_shape("if a > 0 { x } else if b { y } else { z }", "(if (> a 0) x (if b y z))");
    expect_shape("if a { 1 } else if b { 2 } else if c { 3 } else { 4 }", "(if a 1 (if b 2 (if c 3 4)))");
    Expr *e = expr_of("if a { 1 } else if b { 2 } else { 3 }");
    cr_expect_str_eq(text_of(e->loc), "if a { 1 } else if b { 2 } else { 3 }");
    cr_expect_str_eq(text_of(e->u.ifx.els->loc), "if b { 2 } else { 3 }");
}

Test(parser, if_without_else_is_an_error)
{
    parse("f(if a { 1 })");
    cr_expect_eq(D.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:13: error: expected `else`: an `if` is an expression and needs both branches")
              != NULL, "%s", out());
}

Test(parser, blocks)
{
    expect_shape("{ 5 }", "5");
    expect_shape("{ let a = 1; a }", "{let a = 1; a}");
    expect_shape("{ let a = 1; let (b, c) = (2, 3); a + b * c }",
                 "{let a = 1; let (b, c) = (tuple 2 3); (+ a (* b c))}");
    expect_shape("{ let x: f64 = 1.5; { let y = x; y } }", "{let x: f64 = 1.5; {let y = x; y}}");
    Expr *e = expr_of("{ let a = 1; a }");
    cr_assert_eq(e->kind, EX_BLOCK);
    cr_expect_eq(e->u.block.n, 1);
    cr_expect_str_eq(text_of(e->loc), "{ let a = 1; a }");
}

Test(parser, block_let_needs_semicolon)
{
    parse("f({ let a = 1 a })");
    cr_expect_eq(D.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:14: error: missing `;` after the value of this `let`: each `let` of a block ends with `;`\n") != NULL, "%s", out());
}

Test(parser, record_literals)
{
    expect_shape("Point { x: 1.5, y: 2.5 }", "Point{x: 1.5, y: 2.5}");
    expect_shape("Point { x: 1.5, y: 2.5, }", "Point{x: 1.5, y: 2.5}");
    expect_shape("Empty {}", "Empty{}");
    Expr *e = expr_of("Point { x: a + 1.0, y: b }");
    cr_assert_eq(e->kind, EX_RECORD);
    cr_expect_str_eq(e->u.rec.name, "Point");
    cr_assert_eq(e->u.rec.n, 2);
    cr_expect_str_eq(text_of(e->u.rec.name_loc), "Point");
    cr_expect_str_eq(text_of(e->u.rec.fields[0]->name_loc), "x");
    cr_expect_str_eq(show(e->u.rec.fields[0]->value), "(+ a 1)");
    cr_expect_str_eq(text_of(e->loc), "Point { x: a + 1.0, y: b }");
}

Test(parser, tuples_vs_parentheses)
{
    expect_shape("(1)", "1");
    expect_shape("((a))", "a");
    expect_shape("(1, 2)", "(tuple 1 2)");
    expect_shape("(1, 2,)", "(tuple 1 2)");
    expect_shape("(a, (b, c), [d])", "(tuple a (tuple b c) [vec d])");
    Expr *e = expr_of("(1, 2)");
    cr_expect_eq(e->kind, EX_TUPLE);
    cr_expect_str_eq(text_of(e->loc), "(1, 2)");
    Expr *p = expr_of("(x + 1)");
    cr_expect_eq(p->kind, EX_BINARY);
    cr_expect_str_eq(text_of(p->loc), "x + 1", "parentheses are not part of the inner range");
}

Test(parser, one_element_tuple_is_an_error)
{
    parse("let t = (1,)");
    cr_expect_eq(D.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:9: error: a tuple has at least two elements; drop the comma\n"
                            "    1 | let t = (1,)\n"
                            "      |         ^~~~\n") != NULL, "%s", out());
}

Test(parser, vector_literals)
{
    expect_shape("[]", "[vec]");
    expect_shape("[1]", "[vec 1]");
    expect_shape("[1, 2, 3,]", "[vec 1 2 3]");
    expect_shape("[[1], []]", "[vec [vec 1] [vec]]");
    Expr *e = expr_of("[1, 2, 3,]");
    cr_expect_eq(e->u.list.n, 3);
    cr_expect_str_eq(text_of(e->loc), "[1, 2, 3,]");
}

/* ---- locations ---- */

Test(parser, binary_locations)
{
    Program *p = parse_ok("let x = a + bb * 3");
    Item *it = p->items[0];
    Expr *e = it->u.let.value;
    cr_expect_eq(e->loc.file, file);
    cr_expect_eq(e->loc.start, 8);
    cr_expect_eq(e->loc.end, 18);
    cr_expect_eq(e->u.bin.op_loc.start, 10);
    cr_expect_eq(e->u.bin.op_loc.end, 11);
    Expr *m = e->u.bin.rhs;
    cr_expect_str_eq(text_of(m->loc), "bb * 3");
    cr_expect_str_eq(text_of(m->u.bin.op_loc), "*");
    cr_expect_str_eq(text_of(m->u.bin.lhs->loc), "bb");
    cr_expect_eq(it->loc.start, 0);
    cr_expect_eq(it->loc.end, 18);
}

Test(parser, call_locations)
{
    Expr *e = expr_of("  range(0, 10)\n    .map(|x| x * 2)\n    .print()");
    cr_expect_str_eq(text_of(e->loc), "range(0, 10)\n    .map(|x| x * 2)\n    .print()");
    cr_expect_str_eq(text_of(e->u.call.name_loc), "print");
    Expr *m = e->u.call.recv;
    cr_expect_str_eq(text_of(m->loc), "range(0, 10)\n    .map(|x| x * 2)");
    cr_expect_str_eq(text_of(m->u.call.name_loc), "map");
    Expr *r = m->u.call.recv;
    cr_expect_str_eq(text_of(r->loc), "range(0, 10)");
    cr_expect_str_eq(text_of(r->u.call.args[1]->value->loc), "10");
    cr_expect_eq(r->u.call.args[1]->value->loc.start, 11);
}

Test(parser, unary_and_cast_locations)
{
    Expr *e = expr_of("-x as f64");
    cr_expect_str_eq(text_of(e->loc), "-x as f64");
    cr_expect_str_eq(text_of(e->u.cast.to_loc), "f64");
    cr_expect_str_eq(text_of(e->u.cast.value->loc), "-x");
    cr_expect_str_eq(text_of(e->u.cast.value->u.bin.lhs->loc), "x");
}

/* ---- continuation lines ---- */

Test(parser, lines_starting_with_dot_continue)
{
    Program *p = parse_ok("let s = range(0, 3)\n  .map(|x| x)\nlet t = 1");
    cr_expect_eq(p->nitems, 2);
}

Test(parser, lines_starting_with_paren_or_minus_continue)
{
    Program *p = parse_ok("let a = b\n(1)\nlet c = d\n- 2");
    cr_assert_eq(p->nitems, 2, "`(` and `-` at a line start continue the previous expression");
    cr_expect_str_eq(show(p->items[0]->u.let.value), "b(1)");
    cr_expect_str_eq(show(p->items[1]->u.let.value), "(- d 2)");
}

/* ---- errors and recovery ---- */

Test(parser, syntax_error_message_and_location)
{
    parse("let x = = 2\n");
    cr_expect_eq(D.errors, 1);
    cr_expect_str_eq(out(), "t.flow:1:9: error: unexpected `=`; expected an expression\n"
                            "    1 | let x = = 2\n"
                            "      |         ^\n");
}

Test(parser, expecting_list_in_message)
{
    parse("param p: = 3");
    cr_expect(strstr(out(), "t.flow:1:10: error: unexpected `=`; expected identifier, type name or `(`") != NULL,
              "%s", out());
}

Test(parser, unexpected_end_of_file)
{
    Program *p = parse("let x = (1,");
    cr_expect_eq(D.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:12: error: expected an expression after `,`\n") != NULL, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:9: note: this `(` is not closed\n") != NULL, "%s", out());
    cr_expect_eq(p->nitems, 0);
}

Test(parser, missing_closing_bracket_at_line_end)
{
    Program *p = parse("let a = f(1, 2\nlet b = 3\n");
    cr_expect_eq(D.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:15: error: missing `)` at the end of this line\n") != NULL, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:10: note: this `(` is not closed\n") != NULL, "%s", out());
    cr_assert_eq(p->nitems, 1);
    cr_expect_str_eq(p->items[0]->u.let.pat->name, "b");
}

Test(parser, missing_operand_at_line_end)
{
    Program *p = parse("let a = 1 +\nlet b = 3\n");
    cr_expect_eq(D.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:12: error: expected an expression after `+`\n") != NULL, "%s", out());
    cr_expect_eq(p->nitems, 1);
}

Test(parser, unmatched_closing_bracket)
{
    Program *p = parse("let a = (1))\nlet b = 2\n");
    cr_expect_eq(D.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:12: error: unmatched `)`\n") != NULL, "%s", out());
    cr_assert_eq(p->nitems, 2, "the stray bracket is dropped");
    cr_expect_eq(p->items[0]->u.let.value->kind, EX_INT);
}

Test(parser, lowercase_type_name)
{
    parse("type point = { x: f64 }");
    cr_expect_eq(D.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:6: error: a type name starts with an uppercase letter") != NULL, "%s", out());
}

Test(parser, generic_type_names)
{
    Program *p = parse_ok("fn f(w: Window<i64>) -> opt<Window<str>> = g(w)");
    TypeExpr *t = p->items[0]->u.fn.params[0]->type;
    cr_expect_eq(t->kind, TX_GENERIC);
    cr_expect_str_eq(t->name, "Window");
    cr_expect_eq(t->nargs, 1);
    cr_expect_str_eq(show_type(p->items[0]->u.fn.ret), "opt<Window<str>>");
}

Test(parser, three_broken_items_three_errors)
{
    Program *p = parse("let a = 1\n"
                       "let b = = 2\n"
                       "fn f(x: i64) -> i64 = x\n"
                       "param p: = 3\n"
                       "let d = 4\n"
                       "let e = (1 + ) * 2\n"
                       "range(0, 3).print()\n");
    cr_expect_eq(D.errors, 3, "%s", out());
    cr_expect(strstr(out(), "t.flow:2:9: error:") != NULL, "%s", out());
    cr_expect(strstr(out(), "t.flow:4:10: error:") != NULL, "%s", out());
    cr_expect(strstr(out(), "t.flow:6:14: error:") != NULL, "%s", out());
    cr_assert_eq(p->nitems, 4, "the good items survive");
    cr_expect_eq(p->items[0]->kind, IT_LET);
    cr_expect_str_eq(p->items[0]->u.let.pat->name, "a");
    cr_expect_eq(p->items[1]->kind, IT_FN);
    cr_expect_str_eq(p->items[1]->u.fn.name, "f");
    cr_expect_eq(p->items[2]->kind, IT_LET);
    cr_expect_str_eq(p->items[2]->u.let.pat->name, "d");
    cr_expect_eq(p->items[3]->kind, IT_EXPR);
    cr_expect_str_eq(show(p->items[3]->u.expr.expr), "range(0, 3).print()");
}

Test(parser, broken_multiline_item_recovers_at_next_item)
{
    Program *p = parse("let a = f(1,\n"
                       "          2 = 3,\n"
                       "          4)\n"
                       "let b = 2\n");
    cr_expect_eq(D.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:2:13: error: unexpected `=`") != NULL, "%s", out());
    cr_assert_eq(p->nitems, 1);
    cr_expect_str_eq(p->items[0]->u.let.pat->name, "b");
}

/* The token that caused a syntax error in the middle of a line does not
 * start a new item even if it could (`2` here). */
Test(parser, offending_token_mid_line_starts_no_item)
{
    Program *p = parse("let a = f(1 2)\nlet b = 3\n");
    cr_expect_eq(D.errors, 1, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:13: error: unexpected integer") != NULL, "%s", out());
    cr_assert_eq(p->nitems, 1, "only `let b = 3` is left");
    cr_expect_eq(p->items[0]->kind, IT_LET);
}

Test(parser, lexer_errors_do_not_stop_parsing)
{
    Program *p = parse("let a = 10sec\nlet b = \"x\\q\"\nlet c = 3\n");
    cr_expect_eq(D.errors, 2, "%s", out());
    cr_expect_eq(p->nitems, 3);
}

Test(parser, scanner_error_silences_syntax_error_of_its_item)
{
    Program *p = parse("let a = 10sec + * 2\nlet b = 3\n");
    cr_expect_eq(D.errors, 1, "only the scanner's error: %s", out());
    cr_expect(strstr(out(), "t.flow:1:11: error: unknown suffix `sec`") != NULL, "%s", out());
    cr_expect_eq(p->nitems, 1);
}

/* A syntax error found at the first token of the next line is not reported
 * when the scanner already reported an error in the unfinished item
 * (regression: `let a = 10sec +` then `let b = 3` gave two errors). */
Test(parser, scanner_error_silences_syntax_error_at_line_end)
{
    parse("let a = 10sec +\nlet b = 3\n");
    cr_expect_eq(D.errors, 1, "only the scanner's error: %s", out());
}

Test(parser, deep_nesting_is_reported_not_crashing)
{
    enum { N = 5000 };
    char *src = malloc(2 * N + 16);
    cr_assert_not_null(src);
    strcpy(src, "let x = ");
    size_t n = strlen(src);
    for (int i = 0; i < N; i++)
        src[n++] = '(';
    src[n++] = '1';
    for (int i = 0; i < N; i++)
        src[n++] = ')';
    src[n] = 0;
    parse(src);
    free(src);
    cr_expect_geq(D.errors, 1);
    cr_expect(strstr(out(), "expression is nested too deeply") != NULL, "%.300s", out());
}
