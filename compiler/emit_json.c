/* emit_json.c - JSON Lines in generated code. read_jsonl(path, T): the
 * source splits its file across tasks by line (runtime/lines.c), parses
 * each line (runtime/json.c, with jansson) and decodes the value into T
 * with a decoder per type, dj_T: a record from an object by field name
 * (extra fields ignored; a missing one is an error unless its type is
 * opt<..>, then none), a tuple from an array of its length, vec<T> from an
 * array, opt<T> from null (none) or a T, i64 from an integer (or a number
 * with no fraction), f64 from any number, bool, str. A mismatch names the
 * file, the line and where in the value: `path:3: user.age: expected i64,
 * found a string`. write_jsonl: an encoder per type, json_T, the other way
 * (records as objects, tuples as arrays, none as null); a str that is not
 * UTF-8 fails the job naming the file and the row. */
#include "emit_int.h"

#include <string.h>

static void ej_decode_scalar(FILE *f, Type *t)
{
    switch (t->kind) {
    case TY_I64:
        fputs("    int k = v ? fl_json_kind(v) : -1;\n    if (k == FL_J_INT) {\n        *o = fl_json_int(v);\n        return 0;\n    }\n"
              "    double d = k == FL_J_REAL ? fl_json_real(v) : 0.5;\n"
              "    if (d == floor(d) && d >= -9.2e18 && d <= 9.2e18) {\n        *o = (fl_i64)d;\n        return 0;\n    }\n"
              "    return fl_json_want(err, \"i64\", v);\n", f);
        break;
    case TY_F64:
        fputs("    int k = v ? fl_json_kind(v) : -1;\n    if (k != FL_J_INT && k != FL_J_REAL)\n"
              "        return fl_json_want(err, \"f64\", v);\n    *o = fl_json_real(v);\n    return 0;\n", f);
        break;
    case TY_BOOL:
        fputs("    int k = v ? fl_json_kind(v) : -1;\n    if (k != FL_J_TRUE && k != FL_J_FALSE)\n"
              "        return fl_json_want(err, \"bool\", v);\n    *o = k == FL_J_TRUE;\n    return 0;\n", f);
        break;
    default:
        fputs("    if (!v || fl_json_kind(v) != FL_J_STR)\n        return fl_json_want(err, \"str\", v);\n"
              "    *o = fl_str_copy(a, fl_json_str(v));\n    return 0;\n", f);
        break;
    }
}

static void ej_decode(Emit *e, Type *t, const char *fn, const char *c)
{
    FILE *f = e->sect[S_HELPERS].f;
    fprintf(f, "static int %s(const fl_json *v, %s *o, fl_arena *a, char *err)\n{\n    (void)a;\n", fn, c);
    if (t->kind == TY_OPT) {
        fprintf(f, "    o->some = v && fl_json_kind(v) != FL_J_NULL;\n    return o->some ? %s(v, &o->v, a, err) : 0;\n",
                et_helper(e, "dj", t->u.elem));
    } else if (t->kind == TY_VEC) {
        const char *el = et_name(e, t->u.elem);
        fprintf(f, "    if (!v || fl_json_kind(v) != FL_J_ARRAY)\n        return fl_json_want(err, \"an array\", v);\n"
                   "    o->len = o->cap = fl_json_len(v);\n"
                   "    o->data = (%s *)fl_alloc(a, (o->len ? o->len : 1) * (fl_i64)sizeof(%s));\n"
                   "    for (fl_i64 i = 0; i < o->len; i++)\n        if (%s(fl_json_at(v, i), &o->data[i], a, err) < 0)\n"
                   "            return fl_json_in(err, 0, i);\n    return 0;\n", el, el, et_helper(e, "dj", t->u.elem));
    } else if (t->kind == TY_TUPLE || t->kind == TY_RECORD) {
        const char **names;
        Type **ts;
        int n = et_parts(e, t, &names, &ts);
        if (t->kind == TY_TUPLE)
            fprintf(f, "    if (!v || fl_json_kind(v) != FL_J_ARRAY || fl_json_len(v) != %d)\n"
                       "        return fl_json_want(err, \"an array of %d\", v);\n", n, n);
        else
            fputs("    if (!v || fl_json_kind(v) != FL_J_OBJECT)\n        return fl_json_want(err, \"an object\", v);\n", f);
        for (int i = 0; i < n; i++) {
            const char *part = t->kind == TY_TUPLE ? arena_printf(e->a, "fl_json_at(v, %d)", i)
                                                   : arena_printf(e->a, "fl_json_get(v, \"%s\")", names[i]);
            const char *where = t->kind == TY_TUPLE ? arena_printf(e->a, "0, %d", i) : arena_printf(e->a, "\"%s\", 0", names[i]);
            fprintf(f, "    if (%s(%s, &o->%s, a, err) < 0)\n        return fl_json_in(err, %s);\n", et_helper(e, "dj", ts[i]),
                    part, names[i], where);
        }
        fputs("    return 0;\n", f);
    } else {
        ej_decode_scalar(f, t);
    }
    fputs("}\n\n", f);
}

static void ej_encode(Emit *e, Type *t, const char *fn, const char *c)
{
    FILE *f = e->sect[S_HELPERS].f;
    fprintf(f, "static int %s(fl_buf *b, %s v)\n{\n", fn, c);
    switch (t->kind) {
    case TY_I64: fputs("    fl_buf_i64(b, v);\n", f); break;
    case TY_F64: fputs("    fl_buf_json_f64(b, v);\n", f); break;
    case TY_BOOL: fputs("    if (v)\n        fl_buf_put(b, \"true\", 4);\n    else\n        fl_buf_put(b, \"false\", 5);\n", f); break;
    case TY_STR: fputs("    return fl_buf_json_str(b, v);\n", f); break;
    case TY_OPT:
        fprintf(f, "    if (v.some)\n        return %s(b, v.v);\n    fl_buf_put(b, \"null\", 4);\n", et_helper(e, "json", t->u.elem));
        break;
    case TY_VEC:
        fprintf(f, "    fl_buf_putc(b, '[');\n    for (fl_i64 i = 0; i < v.len; i++) {\n        if (i)\n            fl_buf_putc(b, ',');\n"
                   "        if (%s(b, v.data[i]) < 0)\n            return -1;\n    }\n    fl_buf_putc(b, ']');\n",
                et_helper(e, "json", t->u.elem));
        break;
    case TY_TUPLE: case TY_RECORD: {
        const char **names;
        Type **ts;
        int n = et_parts(e, t, &names, &ts);
        fprintf(f, "    fl_buf_putc(b, '%c');\n", t->kind == TY_TUPLE ? '[' : '{');
        for (int i = 0; i < n; i++) {
            if (i)
                fputs("    fl_buf_putc(b, ',');\n", f);
            if (t->kind == TY_RECORD)
                fprintf(f, "    fl_buf_put(b, \"\\\"%s\\\":\", %d);\n", names[i], (int)strlen(names[i]) + 3);
            fprintf(f, "    if (%s(b, v.%s) < 0)\n        return -1;\n", et_helper(e, "json", ts[i]), names[i]);
        }
        fprintf(f, "    fl_buf_putc(b, '%c');\n", t->kind == TY_TUPLE ? ']' : '}');
        break;
    }
    default: break;
    }
    fputs("    return 0;\n}\n\n", f);
}

void ej_helper(Emit *e, const char *what, Type *t, const char *fn, const char *c)
{
    if (!strcmp(what, "dj"))
        ej_decode(e, t, fn, c);
    else
        ej_encode(e, t, fn, c);
}

/* ---- read_jsonl ---- */

void ej_open(SE *x, PlanNode *n)
{
    se_field(x, "fl_lines r;");
    se_field(x, "int ok, done;");
    se_field(x, "const char *jpath;   /* the file being read, and the number of its line */");
    se_field(x, "fl_i64 jline;");
    em_line(x->e, "S->ok = fl_lines_open(t, &S->r, %s) == 0;", ex_expr(x->e, sema_arg(n->call, "path")));
}

void ej_produce(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    Type *rt = type_prune(n->elem);
    em_line(e, "char _err[FL_JSON_ERR];");
    se_lines_loop(x, n);
    em_line(e, "if (S->r.path != S->jpath) {   /* a file's first line of this task (counted once) */");
    em_line(e, "    S->jpath = S->r.path;");
    em_line(e, "    S->jline = fl_lines_number(&S->r) - 1;");
    em_line(e, "    S->jline = S->jline < 1 ? 1 : S->jline;");
    em_line(e, "} else {");
    em_line(e, "    S->jline++;");
    em_line(e, "}");
    em_line(e, "if (fl_json_blank(_line))");
    em_line(e, "    continue;");
    em_line(e, "fl_json *_j = fl_json_parse(t, _line, S->r.path, S->jline);");
    em_line(e, "%s _row;", et_name(e, rt));
    em_line(e, "_err[0] = 0;");
    em_line(e, "if (!_j || %s(_j, &_row, _A, _err) < 0) {", et_helper(e, "dj", rt));
    em_line(e, "    if (_j)");
    em_line(e, "        fl_fail(t, \"%%s:%%lld: %%s%%s\", S->r.path, S->jline, _err[0] == ':' ? \"the line\" : \"\", _err);");
    em_line(e, "    fl_json_free(_j);");
    em_line(e, "    S->done = 1;   /* (the job fails; close still closes the file) */");
    em_line(e, "    break;");
    em_line(e, "}");
    em_line(e, "fl_json_free(_j);");
    se_consume(x, n, "_row");
    e->indent--;
    em_line(e, "}");
    se_produced(x);
    em_line(e, "return S->ok && !S->done;");
}

/* ---- write_jsonl: a row as a line of JSON ---- */

void ej_sink_row(SE *x, PlanNode *n, Type *rt, const char *row)
{
    em_line(x->e, "if (%s(&S->sb_n%d, %s) < 0) {", et_helper(x->e, "json", rt), n->id, row);
    em_line(x->e, "    fl_fail(t, \"write_jsonl: row %%lld has a string that is not UTF-8 (JSON text is UTF-8)\", S->cnt_n%d + 1);",
            n->id);
    em_line(x->e, "}");
    em_line(x->e, "S->cnt_n%d++;", n->id);
}
