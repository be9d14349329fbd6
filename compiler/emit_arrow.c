/* emit_arrow.c - write_arrow(path) in generated code: the table of the
 * sink's columns (runtime/arrow.c's fl_arrow_field, in pre-order) made from
 * the row type at compile time, and an appender per type, aw_T(w, c, v),
 * that gives the runtime a value of T at column c (its children at columns
 * known at compile time: a struct's k-th child after the subtrees of the
 * ones before it). The row's top level: a record's or a tuple's fields are
 * the columns (a keyed stream's pairs: key and value); any other type is
 * one column, value. */
#include "emit_int.h"

#include <string.h>

/* Columns of a value of type t (opt<T> as T). */
static int ea_size(Type *t)
{
    t = type_prune(t);
    switch (t->kind) {
    case TY_OPT: return ea_size(t->u.elem);
    case TY_VEC: return 1 + ea_size(t->u.elem);
    case TY_TUPLE: case TY_RECORD: {
        int n = 1, k = t->kind == TY_TUPLE ? t->u.tuple.n : t->u.rec.n;
        for (int i = 0; i < k; i++)
            n += ea_size(t->kind == TY_TUPLE ? t->u.tuple.elems[i] : t->u.rec.fields[i].type);
        return n;
    }
    default: return 1;
    }
}

/* A tuple's or record's parts: member names, types, and first columns from `at`; how many. */
static int ea_parts(Emit *e, Type *t, int at, const char ***names, Type ***ts, int **cols)
{
    int n = et_parts(e, t, names, ts);
    *cols = arena_alloc(e->a, sizeof(int) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        (*cols)[i] = at;
        at += ea_size((*ts)[i]);
    }
    return n;
}

static void ea_field(Emit *e, FILE *f, Type *t, const char *name, int nullable, int binary)
{
    t = type_prune(t);
    if (t->kind == TY_OPT) {
        ea_field(e, f, t->u.elem, name, 1, binary);
        return;
    }
    static const char *kinds[] = {"FL_A_I64", "FL_A_F64", "FL_A_BOOL", "FL_A_UTF8", "FL_A_BINARY", "FL_A_STRUCT", "FL_A_LIST"};
    int k = t->kind == TY_I64 ? 0 : t->kind == TY_F64 ? 1 : t->kind == TY_BOOL ? 2 : t->kind == TY_STR ? 3 + binary
            : t->kind == TY_VEC ? 6 : 5;
    int n = t->kind == TY_VEC ? 1 : t->kind == TY_TUPLE ? t->u.tuple.n : t->kind == TY_RECORD ? t->u.rec.n : 0;
    fprintf(f, "    {%s, %s, %d, %d},\n", em_c_string(e, name), kinds[k], nullable, n);
    if (t->kind == TY_VEC)
        ea_field(e, f, t->u.elem, "item", 0, binary);
    if (t->kind == TY_TUPLE || t->kind == TY_RECORD) {
        const char **nm;
        Type **ts;
        int *col;
        for (int i = 0, np = ea_parts(e, t, 0, &nm, &ts, &col); i < np; i++)
            ea_field(e, f, ts[i], nm[i], 0, binary);
    }
}

/* Whether the row's top level is its fields (a record or a tuple). */
static int ea_flat(Type *t) { return t->kind == TY_TUPLE || t->kind == TY_RECORD; }

void ea_helper(Emit *e, Type *t, const char *fn, const char *c)
{
    FILE *f = e->sect[S_HELPERS].f;
    fprintf(f, "static int %s(fl_arrow_w *w, int c, %s v)\n{\n", fn, c);
    switch (t->kind) {
    case TY_I64: fputs("    fl_arrow_i64(w, c, v);\n", f); break;
    case TY_F64: fputs("    fl_arrow_f64(w, c, v);\n", f); break;
    case TY_BOOL: fputs("    fl_arrow_bool(w, c, v);\n", f); break;
    case TY_STR: fputs("    return fl_arrow_str(w, c, v);\n", f); break;
    case TY_OPT:
        fprintf(f, "    if (v.some)\n        return %s(w, c, v.v);\n    fl_arrow_null(w, c);\n", et_helper(e, "aw", t->u.elem));
        break;
    case TY_VEC:
        fprintf(f, "    fl_arrow_list(w, c, v.len);\n    for (fl_i64 i = 0; i < v.len; i++)\n"
                   "        if (%s(w, c + 1, v.data[i]) < 0)\n            return -1;\n", et_helper(e, "aw", t->u.elem));
        break;
    default: {
        const char **nm;
        Type **ts;
        int *col, n = ea_parts(e, t, 1, &nm, &ts, &col);
        fputs("    fl_arrow_struct(w, c);\n", f);
        for (int i = 0; i < n; i++)
            fprintf(f, "    if (%s(w, c + %d, v.%s) < 0)\n        return -1;\n", et_helper(e, "aw", ts[i]), col[i], nm[i]);
        break;
    }
    }
    fputs("    return 0;\n}\n\n", f);
}

/* The table `arr` of the columns of rows rt (keyed: key and value); returns how many. */
static int ea_fields(SE *x, const char *arr, Type *rt, int keyed, int binary)
{
    Emit *e = x->e;
    FILE *f = e->sect[S_STAGES].f;
    fprintf(f, "static const fl_arrow_field %s[] = {\n", arr);
    int cols = 0;
    if (ea_flat(rt)) {
        const char **nm;
        Type **ts;
        int *col;
        for (int i = 0, k = ea_parts(e, rt, 0, &nm, &ts, &col); i < k; i++) {
            ea_field(e, f, ts[i], keyed ? (i ? "value" : "key") : nm[i], 0, binary);
            cols += ea_size(ts[i]);
        }
    } else {
        ea_field(e, f, rt, "value", 0, binary);
        cols = ea_size(rt);
    }
    fputs("};\n", f);
    return cols;
}

void ea_sink_open(SE *x, PlanNode *n, Type *rt, int keyed, const char *path)
{
    Emit *e = x->e;
    Expr *bin = path ? sema_arg(n->call, "binary") : NULL;
    int binary = bin && bin->kind == EX_BOOL && bin->u.ival;
    int cols = ea_fields(x, arena_printf(e->a, "aw_fields_n%d_%d", x->base + x->s->id, n->id), rt, keyed, binary);
    se_field(x, "fl_arrow_w *aw_n%d;", n->id);
    se_field(x, "fl_i64 awrows_n%d;", n->id);
    if (path)
        em_line(e, "S->aw_n%d = fl_arrow_open(t, %s, aw_fields_n%d_%d, %d);", n->id, path, x->base + x->s->id, n->id, cols);
    else   /* to_host: batches when the host asked for Arrow, else NULL */
        em_line(e, "S->aw_n%d = fl_host_arrow_open(t, %d, aw_fields_n%d_%d, %d);", n->id, el_host_index(e, n, rt, 1),
                x->base + x->s->id, n->id, cols);
    et_helper(e, "aw", rt);   /* (made while the sections are open) */
}

void ea_sink_row(SE *x, PlanNode *n, Type *rt, const char *row)
{
    Emit *e = x->e;
    const char *ok = "0";
    if (ea_flat(rt)) {
        const char **nm;
        Type **ts;
        int *col;
        for (int i = 0, k = ea_parts(e, rt, 0, &nm, &ts, &col); i < k; i++)
            ok = arena_printf(e->a, "%s || %s(S->aw_n%d, %d, (%s).%s) < 0", ok, et_helper(e, "aw", ts[i]), n->id, col[i],
                              row, nm[i]);
    } else {
        ok = arena_printf(e->a, "%s(S->aw_n%d, 0, %s) < 0", et_helper(e, "aw", rt), n->id, row);
    }
    em_line(e, "S->awrows_n%d++;", n->id);
    em_line(e, "if (%s)", ok);
    if (!strcmp(n->op, "write_arrow"))
        em_line(e, "    fl_fail(t, \"write_arrow: row %%lld has a string that is not UTF-8 (a Utf8 column; binary: true writes Binary)\", S->awrows_n%d);",
                n->id);
    else
        em_line(e, "    fl_fail(t, \"%s: row %%lld has a string that is not UTF-8 (an Arrow Utf8 column)\", S->awrows_n%d);", n->op,
                n->id);
    em_line(e, "fl_arrow_row_end(S->aw_n%d);", n->id);
}

/* ---- read_arrow ---- */

/* ar_T(r, c, i, a): the value of T at row i of column c. */
void ea_read_helper(Emit *e, Type *t, const char *fn, const char *c)
{
    FILE *f = e->sect[S_HELPERS].f;
    fprintf(f, "static %s %s(fl_arrow_r *r, int c, fl_i64 i, fl_arena *a)\n{\n    %s v;\n    (void)a;\n"
               "    memset(&v, 0, sizeof v);\n", c, fn, c);
    if (t->kind == TY_OPT) {
        fprintf(f, "    v.some = !fl_arrow_rnull(r, c, i);\n    if (v.some)\n        v.v = %s(r, c, i, a);\n    return v;\n}\n\n",
                et_helper(e, "ar", t->u.elem));
        return;
    }
    fputs("    if (fl_arrow_rnull(r, c, i)) {\n        fl_arrow_rnull_error(r, c, i);\n        return v;\n    }\n", f);
    switch (t->kind) {
    case TY_I64: fputs("    v = fl_arrow_ri64(r, c, i);\n", f); break;
    case TY_F64: fputs("    v = fl_arrow_rf64(r, c, i);\n", f); break;
    case TY_BOOL: fputs("    v = fl_arrow_rbool(r, c, i);\n", f); break;
    case TY_STR: fputs("    v = fl_arrow_rstr(r, c, i);\n", f); break;
    case TY_VEC: {
        const char *el = et_name(e, t->u.elem);
        fprintf(f, "    fl_i64 s;\n    v.len = v.cap = fl_arrow_rlist(r, c, i, &s);\n"
                   "    v.data = (%s *)fl_alloc(a, (v.len ? v.len : 1) * (fl_i64)sizeof(%s));\n"
                   "    for (fl_i64 k = 0; k < v.len; k++)\n        v.data[k] = %s(r, c + 1, s + k, a);\n",
                el, el, et_helper(e, "ar", t->u.elem));
        break;
    }
    default: {
        const char **nm;
        Type **ts;
        int *col, n = ea_parts(e, t, 1, &nm, &ts, &col);
        for (int k = 0; k < n; k++)
            fprintf(f, "    v.%s = %s(r, c + %d, i, a);\n", nm[k], et_helper(e, "ar", ts[k]), col[k]);
        break;
    }
    }
    fputs("    return v;\n}\n\n", f);
}

void ea_open(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    Type *rt = type_prune(n->elem);
    const char *arr = arena_printf(e->a, "ar_fields_n%d_%d", x->base + x->s->id, n->id);
    int cols = ea_fields(x, arr, rt, 0, 0);
    se_field(x, "fl_arrow_r *ar;");
    se_field(x, "fl_i64 i, n;");
    se_field(x, "int done;");
    em_line(e, "S->ar = fl_arrow_ropen(t, %s, %s, %d);", ex_expr(e, sema_arg(n->call, "path")), arr, cols);
    em_line(e, "S->done = S->ar == 0;");
}

void ea_produce(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    Type *rt = type_prune(n->elem);
    em_line(e, "for (int _k = 0; !S->done && _k < FL_BATCH_ROWS%s; _k++) {", se_until_sent(x, n));
    e->indent++;
    em_line(e, "if (S->i == S->n) {");
    em_line(e, "    if (_k > 0)");
    em_line(e, "        break;   /* (a call reads one record batch: the next one frees its decompressed buffers) */");
    em_line(e, "    S->i = 0;");
    em_line(e, "    if (!fl_arrow_rnext(S->ar, &S->n)) {");
    em_line(e, "        S->done = 1;");
    em_line(e, "        break;");
    em_line(e, "    }");
    em_line(e, "}");
    em_line(e, "%s _row;", et_name(e, rt));
    if (ea_flat(rt)) {
        const char **nm;
        Type **ts;
        int *col;
        for (int i = 0, k = ea_parts(e, rt, 0, &nm, &ts, &col); i < k; i++)
            em_line(e, "_row.%s = %s(S->ar, %d, S->i, _A);", nm[i], et_helper(e, "ar", ts[i]), col[i]);
    } else {
        em_line(e, "_row = %s(S->ar, 0, S->i, _A);", et_helper(e, "ar", rt));
    }
    em_line(e, "S->i++;");
    em_line(e, "if (fl_arrow_rbad(S->ar)) {");
    em_line(e, "    S->done = 1;");
    em_line(e, "    break;");
    em_line(e, "}");
    se_consume(x, n, "_row");
    e->indent--;
    em_line(e, "}");
    se_produced(x);
    em_line(e, "return !S->done;");
}
