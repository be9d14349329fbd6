/* emit_type.c - C types for flow types and their helper functions, made on
 * demand: a struct per tuple, record, vector and option type (named tupN,
 * rec_Name, vecN, optN, in dependency order, records declared first so a
 * record may hold a vector of itself), and per type the functions that
 * generated code needs: deep copy into an arena, equality, hash, order,
 * text for print/to_str, CSV columns and header, and the bytes of rows sent
 * to another process (ser/de, serb/deb for a whole batch). */
#define _GNU_SOURCE
#include "emit_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct TypeName {
    const char *key;         /* type_str: the structural identity */
    const char *c;
    Type *t;
} TypeName;


static const char *et_prim(Type *t)
{
    switch (t->kind) {
    case TY_I64: case TY_UNIT: case TY_TXN: return "fl_i64";   /* a txn: FL_TXN_* or commit_after's delay */
    case TY_F64: return "double";
    case TY_BOOL: return "fl_bool";
    case TY_STR: return "fl_str";
    default: return NULL;
    }
}

static TypeName *et_find(Emit *e, const char *key)
{
    for (int i = 0; i < e->types.len; i++) {
        TypeName *tn = e->types.items[i];
        if (!strcmp(tn->key, key))
            return tn;
    }
    return NULL;
}

static TypeName *et_add(Emit *e, const char *key, const char *c, Type *t)
{
    TypeName *tn = arena_alloc(e->a, sizeof *tn);
    tn->key = key;
    tn->c = c;
    tn->t = t;
    ptrvec_push(e->a, &e->types, tn);
    return tn;
}

static void et_record_body(Emit *e, TypeName *tn, Type *t)
{
    const char **fields = arena_alloc(e->a, sizeof(char *) * (size_t)(t->u.rec.n + 1));
    for (int i = 0; i < t->u.rec.n; i++)
        fields[i] = et_name(e, t->u.rec.fields[i].type);
    em_sect(e, S_TYPES, "struct %s {\n", tn->c);
    for (int i = 0; i < t->u.rec.n; i++)
        em_sect(e, S_TYPES, "    %s %s;\n", fields[i], t->u.rec.fields[i].name);
    if (!t->u.rec.n)
        em_sect(e, S_TYPES, "    char empty;\n");
    em_sect(e, S_TYPES, "};\n");
}

const char *et_name(Emit *e, Type *t)
{
    t = type_prune(t);
    const char *p = et_prim(t);
    if (p)
        return p;
    const char *key = type_str(e->a, t);
    TypeName *tn = et_find(e, key);
    if (tn)
        return tn->c;
    int id = e->types.len;
    switch (t->kind) {
    case TY_RECORD: {
        const char *c = t->u.rec.builtin && !strcmp(t->u.rec.name, "Window")
                             ? arena_printf(e->a, "win%d", id) : arena_printf(e->a, "rec_%s", t->u.rec.name);
        tn = et_add(e, key, c, t);
        em_sect(e, S_TYPES, "typedef struct %s %s;\n", c, c);
        et_record_body(e, tn, t);
        return c;
    }
    case TY_TUPLE: {
        const char **el = arena_alloc(e->a, sizeof(char *) * (size_t)t->u.tuple.n);
        for (int i = 0; i < t->u.tuple.n; i++)
            el[i] = et_name(e, t->u.tuple.elems[i]);
        const char *c = arena_printf(e->a, "tup%d", e->types.len);
        em_sect(e, S_TYPES, "typedef struct %s {", c);
        for (int i = 0; i < t->u.tuple.n; i++)
            em_sect(e, S_TYPES, " %s _%d;", el[i], i);
        em_sect(e, S_TYPES, " } %s;\n", c);
        et_add(e, key, c, t);
        return c;
    }
    case TY_VEC: {
        const char *el = et_name(e, t->u.elem);
        const char *c = arena_printf(e->a, "vec%d", e->types.len);
        em_sect(e, S_TYPES, "typedef struct %s { %s *data; fl_i64 len, cap; } %s;\n", c, el, c);
        et_add(e, key, c, t);
        return c;
    }
    case TY_OPT: {
        const char *el = et_name(e, t->u.elem);
        const char *c = arena_printf(e->a, "opt%d", e->types.len);
        em_sect(e, S_TYPES, "typedef struct %s { fl_bool some; %s v; } %s;\n", c, el, c);
        et_add(e, key, c, t);
        return c;
    }
    default:
        em_unsupported(e, (Loc){-1, 0, 0}, arena_printf(e->a, "a value of type %s", key));
        return "fl_i64";
    }
}

/* ---- helpers ---- */

static int et_have(Emit *e, const char *name)
{
    for (int i = 0; i < e->helpers.len; i++)
        if (!strcmp(e->helpers.items[i], name))
            return 1;
    ptrvec_push(e->a, &e->helpers, (void *)name);
    return 0;
}

/* The parts of a compound type: C accessor suffix and type, for each. */
int et_parts(Emit *e, Type *t, const char ***acc, Type ***types)
{
    int n = t->kind == TY_TUPLE ? t->u.tuple.n : t->u.rec.n;
    *acc = arena_alloc(e->a, sizeof(char *) * (size_t)(n + 1));
    *types = arena_alloc(e->a, sizeof(Type *) * (size_t)(n + 1));
    for (int i = 0; i < n; i++) {
        (*acc)[i] = t->kind == TY_TUPLE ? arena_printf(e->a, "_%d", i) : t->u.rec.fields[i].name;
        (*types)[i] = t->kind == TY_TUPLE ? t->u.tuple.elems[i] : t->u.rec.fields[i].type;
    }
    return n;
}

static void et_copy(Emit *e, Type *t, const char *fn, const char *c)
{
    FILE *f = e->sect[S_HELPERS].f;
    fprintf(f, "static %s %s(fl_arena *a, %s v)\n{\n", c, fn, c);
    switch (t->kind) {
    case TY_STR: fputs("    return fl_str_copy(a, v);\n", f); break;
    case TY_VEC: {
        const char *el = et_name(e, t->u.elem), *ec = et_helper(e, "copy", t->u.elem);
        fprintf(f, "    %s r;\n    r.len = r.cap = v.len;\n    r.data = (%s *)fl_alloc(a, (v.len ? v.len : 1) * (fl_i64)sizeof(%s));\n"
                   "    for (fl_i64 i = 0; i < v.len; i++)\n        r.data[i] = %s(a, v.data[i]);\n    return r;\n",
                c, el, el, ec);
        break;
    }
    case TY_OPT:
        fprintf(f, "    if (v.some)\n        v.v = %s(a, v.v);\n    return v;\n", et_helper(e, "copy", t->u.elem));
        break;
    case TY_TUPLE: case TY_RECORD: {
        const char **acc;
        Type **ts;
        int n = et_parts(e, t, &acc, &ts);
        for (int i = 0; i < n; i++)
            fprintf(f, "    v.%s = %s(a, v.%s);\n", acc[i], et_helper(e, "copy", ts[i]), acc[i]);
        fputs("    return v;\n", f);
        break;
    }
    default: fputs("    (void)a;\n    return v;\n", f); break;
    }
    fputs("}\n\n", f);
}

static void et_eq(Emit *e, Type *t, const char *fn, const char *c)
{
    FILE *f = e->sect[S_HELPERS].f;
    fprintf(f, "static int %s(%s x, %s y)\n{\n", fn, c, c);
    switch (t->kind) {
    case TY_STR: fputs("    return fl_str_eq(x, y);\n", f); break;
    case TY_VEC:
        fprintf(f, "    if (x.len != y.len)\n        return 0;\n    for (fl_i64 i = 0; i < x.len; i++)\n"
                   "        if (!%s(x.data[i], y.data[i]))\n            return 0;\n    return 1;\n",
                et_helper(e, "eq", t->u.elem));
        break;
    case TY_OPT:
        fprintf(f, "    return x.some == y.some && (!x.some || %s(x.v, y.v));\n", et_helper(e, "eq", t->u.elem));
        break;
    case TY_TUPLE: case TY_RECORD: {
        const char **acc;
        Type **ts;
        int n = et_parts(e, t, &acc, &ts);
        for (int i = 0; i < n; i++)
            fprintf(f, "    if (!%s(x.%s, y.%s))\n        return 0;\n", et_helper(e, "eq", ts[i]), acc[i], acc[i]);
        fputs("    return 1;\n", f);
        break;
    }
    default: fputs("    return x == y;\n", f); break;
    }
    fputs("}\n\n", f);
}

static void et_hash(Emit *e, Type *t, const char *fn, const char *c)
{
    FILE *f = e->sect[S_HELPERS].f;
    fprintf(f, "static fl_u64 %s(%s v)\n{\n", fn, c);
    switch (t->kind) {
    case TY_STR: fputs("    return fl_hash_str(v);\n", f); break;
    case TY_I64: fputs("    return fl_hash_i64(v);\n", f); break;
    case TY_BOOL: fputs("    return fl_hash_i64((fl_i64)v);\n", f); break;
    case TY_VEC:
        fprintf(f, "    fl_u64 h = fl_hash_i64(v.len);\n    for (fl_i64 i = 0; i < v.len; i++)\n"
                   "        h = fl_hash_combine(h, %s(v.data[i]));\n    return h;\n", et_helper(e, "hash", t->u.elem));
        break;
    case TY_OPT:
        fprintf(f, "    return v.some ? fl_hash_combine(1, %s(v.v)) : 0;\n", et_helper(e, "hash", t->u.elem));
        break;
    case TY_TUPLE: case TY_RECORD: {
        const char **acc;
        Type **ts;
        int n = et_parts(e, t, &acc, &ts);
        fputs("    fl_u64 h = 0;\n", f);
        for (int i = 0; i < n; i++)
            fprintf(f, "    h = fl_hash_combine(h, %s(v.%s));\n", et_helper(e, "hash", ts[i]), acc[i]);
        fputs("    return h;\n", f);
        break;
    }
    default: fputs("    return fl_hash_bytes(&v, sizeof v);\n", f); break;
    }
    fputs("}\n\n", f);
}

static void et_cmp(Emit *e, Type *t, const char *fn, const char *c)
{
    FILE *f = e->sect[S_HELPERS].f;
    fprintf(f, "static int %s(%s x, %s y)\n{\n", fn, c, c);
    if (t->kind == TY_STR) {
        fputs("    return fl_str_cmp(x, y);\n", f);
    } else if (t->kind == TY_TUPLE) {
        fputs("    int r;\n", f);
        for (int i = 0; i < t->u.tuple.n; i++)
            fprintf(f, "    if ((r = %s(x._%d, y._%d)))\n        return r;\n", et_helper(e, "cmp", t->u.tuple.elems[i]), i, i);
        fputs("    return 0;\n", f);
    } else {
        fputs("    return (x > y) - (x < y);\n", f);
    }
    fputs("}\n\n", f);
}

/* Text of a value, as print() and to_str show it. */
static void et_print(Emit *e, Type *t, const char *fn, const char *c)
{
    FILE *f = e->sect[S_HELPERS].f;
    fprintf(f, "static void %s(fl_buf *b, %s v)\n{\n", fn, c);
    switch (t->kind) {
    case TY_I64: fputs("    fl_buf_i64(b, v);\n", f); break;
    case TY_F64: fputs("    fl_buf_f64(b, v);\n", f); break;
    case TY_BOOL: fputs("    if (v)\n        fl_buf_put(b, \"true\", 4);\n    else\n        fl_buf_put(b, \"false\", 5);\n", f); break;
    case TY_STR: fputs("    fl_buf_put(b, v.ptr, v.len);\n", f); break;
    case TY_VEC:
        fprintf(f, "    fl_buf_putc(b, '[');\n    for (fl_i64 i = 0; i < v.len; i++) {\n        if (i)\n"
                   "            fl_buf_put(b, \", \", 2);\n        %s(b, v.data[i]);\n    }\n    fl_buf_putc(b, ']');\n",
                et_helper(e, "print", t->u.elem));
        break;
    case TY_OPT:
        fprintf(f, "    if (!v.some) {\n        fl_buf_put(b, \"none\", 4);\n        return;\n    }\n"
                   "    fl_buf_put(b, \"some(\", 5);\n    %s(b, v.v);\n    fl_buf_putc(b, ')');\n",
                et_helper(e, "print", t->u.elem));
        break;
    case TY_TUPLE: case TY_RECORD: {
        const char **acc;
        Type **ts;
        int n = et_parts(e, t, &acc, &ts);
        if (t->kind == TY_RECORD)
            fprintf(f, "    fl_buf_put(b, \"%s { \", %d);\n", t->u.rec.name, (int)strlen(t->u.rec.name) + 3);
        else
            fputs("    fl_buf_putc(b, '(');\n", f);
        for (int i = 0; i < n; i++) {
            if (i)
                fputs("    fl_buf_put(b, \", \", 2);\n", f);
            if (t->kind == TY_RECORD)
                fprintf(f, "    fl_buf_put(b, \"%s: \", %d);\n", acc[i], (int)strlen(acc[i]) + 2);
            fprintf(f, "    %s(b, v.%s);\n", et_helper(e, "print", ts[i]), acc[i]);
        }
        fputs(t->kind == TY_RECORD ? "    fl_buf_put(b, \" }\", 2);\n" : "    fl_buf_putc(b, ')');\n", f);
        break;
    }
    default: break;
    }
    fputs("}\n\n", f);
}

/* CSV columns of a value (nested tuples and records flattened). */
static void et_csv(Emit *e, Type *t, const char *fn, const char *c)
{
    FILE *f = e->sect[S_HELPERS].f;
    fprintf(f, "static void %s(fl_buf *b, %s v)\n{\n", fn, c);
    switch (t->kind) {
    case TY_STR: fputs("    fl_buf_csv_str(b, v);\n", f); break;
    case TY_OPT: fprintf(f, "    if (v.some)\n        %s(b, v.v);\n", et_helper(e, "csv", t->u.elem)); break;
    case TY_TUPLE: case TY_RECORD: {
        const char **acc;
        Type **ts;
        int n = et_parts(e, t, &acc, &ts);
        for (int i = 0; i < n; i++)
            fprintf(f, "%s    %s(b, v.%s);\n", i ? "    fl_buf_putc(b, ',');\n" : "", et_helper(e, "csv", ts[i]), acc[i]);
        break;
    }
    default: fprintf(f, "    %s(b, v);\n", et_helper(e, "print", t)); break;
    }
    fputs("}\n\n", f);
}

/* The CSV header: field names; tuple elements are _0, _1, ...; nested names join with '.'. */
static void et_csvh_names(Emit *e, Type *t, const char *prefix, PtrVec *out)
{
    t = type_prune(t);
    if (t->kind == TY_OPT)
        t = type_prune(t->u.elem);
    if (t->kind != TY_TUPLE && t->kind != TY_RECORD) {
        ptrvec_push(e->a, out, (void *)(*prefix ? prefix : "value"));
        return;
    }
    const char **acc;
    Type **ts;
    int n = et_parts(e, t, &acc, &ts);
    for (int i = 0; i < n; i++)
        et_csvh_names(e, ts[i], *prefix ? arena_printf(e->a, "%s.%s", prefix, acc[i]) : acc[i], out);
}

/* csvh: the header of t; csvhk: of a keyed stream's (key, value) pairs,
 * whose key columns are named key (key._0, .. for a tuple key). */
static void et_csvh(Emit *e, Type *t, const char *fn, int keyed)
{
    PtrVec names = {0};
    if (keyed) {
        et_csvh_names(e, t->u.tuple.elems[0], "key", &names);
        et_csvh_names(e, t->u.tuple.elems[1], "", &names);
    } else {
        et_csvh_names(e, t, "", &names);
    }
    const char *line = "";
    for (int i = 0; i < names.len; i++)
        line = arena_printf(e->a, "%s%s%s", line, i ? "," : "", (const char *)names.items[i]);
    fprintf(e->sect[S_HELPERS].f, "static void %s(fl_buf *b)\n{\n    fl_buf_put(b, \"%s\\n\", %d);\n}\n\n",
            fn, line, (int)strlen(line) + 1);
}

/* ---- serialization for remote edges (wire format: runtime/flowrt.h) ---- */

/* The fewest bytes a value of t takes on the wire: how a decoder bounds a count. */
static long et_wire_min(Type *t)
{
    t = type_prune(t);
    switch (t->kind) {
    case TY_BOOL: case TY_OPT: return 1;
    case TY_STR: case TY_VEC: return 4;
    case TY_TUPLE: case TY_RECORD: {
        int n = t->kind == TY_TUPLE ? t->u.tuple.n : t->u.rec.n;
        long sum = 0;
        for (int i = 0; i < n; i++)
            sum += et_wire_min(t->kind == TY_TUPLE ? t->u.tuple.elems[i] : t->u.rec.fields[i].type);
        return sum;
    }
    default: return 8;
    }
}

/* X of the runtime's fl_ser_X/fl_de_X for a scalar t (unit is an i64); NULL for the others. */
static const char *et_wire_prim(Type *t)
{
    switch (t->kind) {
    case TY_F64: return "f64";
    case TY_BOOL: return "bool";
    case TY_STR: return "str";
    case TY_VEC: case TY_OPT: case TY_TUPLE: case TY_RECORD: return NULL;
    default: return "i64";
    }
}

static void et_ser(Emit *e, Type *t, const char *fn, const char *c)
{
    FILE *f = e->sect[S_HELPERS].f;
    fprintf(f, "static void %s(fl_buf *b, %s v)\n{\n", fn, c);
    switch (t->kind) {
    case TY_VEC:
        fprintf(f, "    fl_ser_len(b, v.len);\n    for (fl_i64 i = 0; i < v.len; i++)\n        %s(b, v.data[i]);\n",
                et_helper(e, "ser", t->u.elem));
        break;
    case TY_OPT:
        fprintf(f, "    fl_ser_bool(b, v.some);\n    if (v.some)\n        %s(b, v.v);\n", et_helper(e, "ser", t->u.elem));
        break;
    case TY_TUPLE: case TY_RECORD: {
        const char **acc;
        Type **ts;
        int n = et_parts(e, t, &acc, &ts);
        for (int i = 0; i < n; i++)
            fprintf(f, "    %s(b, v.%s);\n", et_helper(e, "ser", ts[i]), acc[i]);
        if (!n)
            fputs("    (void)b;\n    (void)v;\n", f);
        break;
    }
    default: fprintf(f, "    fl_ser_%s(b, v);\n", et_wire_prim(t)); break;
    }
    fputs("}\n\n", f);
}

/* de of a vector: the count bounded by what the input can hold, the
 * elements in arena a; stops at the first error. */
static void et_de_vec(Emit *e, Type *t, FILE *f)
{
    const char *el = et_name(e, t->u.elem), *de = et_helper(e, "de", t->u.elem);
    fprintf(f, "    v.len = v.cap = fl_de_len(r, %ld);\n    v.data = (%s *)fl_alloc(a, (v.len ? v.len : 1) * (fl_i64)sizeof(%s));\n"
               "    for (fl_i64 i = 0; i < v.len && !r->err; i++)\n        v.data[i] = %s(r, a);\n",
            et_wire_min(t->u.elem), el, el, de);
}

/* The inverse of ser: strings point into r's input, vectors go to arena a;
 * after an error (r->err) the value is all zeroes. */
static void et_de(Emit *e, Type *t, const char *fn, const char *c)
{
    FILE *f = e->sect[S_HELPERS].f;
    const char *prim = et_wire_prim(t);
    fprintf(f, "static %s %s(fl_rbuf *r, fl_arena *a)\n{\n", c, fn);
    if (prim) {
        fprintf(f, "    (void)a;\n    return fl_de_%s(r);\n}\n\n", prim);
        return;
    }
    fprintf(f, "    %s v;\n    memset(&v, 0, sizeof v);\n", c);
    if (t->kind == TY_VEC) {
        et_de_vec(e, t, f);
    } else if (t->kind == TY_OPT) {
        fprintf(f, "    v.some = fl_de_bool(r);\n    if (v.some)\n        v.v = %s(r, a);\n", et_helper(e, "de", t->u.elem));
    } else {
        const char **acc;
        Type **ts;
        int n = et_parts(e, t, &acc, &ts);
        for (int i = 0; i < n; i++)
            fprintf(f, "    v.%s = %s(r, a);\n", acc[i], et_helper(e, "de", ts[i]));
        if (!n)
            fputs("    (void)a;\n", f);
    }
    fputs("    if (r->err)\n        memset(&v, 0, sizeof v);\n    return v;\n}\n\n", f);
}

/* serb/deb: n rows of t, as the runtime's fl_ser_fn and fl_de_fn for an
 * edge; deb fails on bad input and on bytes left after the n rows. */
static void et_serb(Emit *e, Type *t, const char *fn, const char *c)
{
    fprintf(e->sect[S_HELPERS].f,
            "static void %s(fl_buf *b, const void *rows, fl_i64 n)\n{\n    const %s *in = (const %s *)rows;\n"
            "    for (fl_i64 i = 0; i < n; i++)\n        %s(b, in[i]);\n}\n\n",
            fn, c, c, et_helper(e, "ser", t));
}

static void et_deb(Emit *e, Type *t, const char *fn, const char *c)
{
    fprintf(e->sect[S_HELPERS].f,
            "static int %s(fl_rbuf *r, void *rows, fl_i64 n, fl_arena *a)\n{\n    %s *out = (%s *)rows;\n"
            "    for (fl_i64 i = 0; i < n && !r->err; i++)\n        out[i] = %s(r, a);\n"
            "    return r->err || r->p != r->end ? -1 : 0;\n}\n\n",
            fn, c, c, et_helper(e, "de", t));
}

const char *et_helper(Emit *e, const char *what, Type *t)
{
    t = type_prune(t);
    const char *c = et_name(e, t);
    const char *fn = arena_printf(e->a, "%s_%s", what, c);
    if (!strcmp(what, "eq") && (t->kind == TY_I64 || t->kind == TY_BOOL || t->kind == TY_F64))
        return "fl_eq_num";
    if (et_have(e, fn))
        return fn;
    if (!strncmp(what, "csvh", 4))
        em_sect(e, S_PROTOS, "static void %s(fl_buf *b);\n", fn);
    else if (!strcmp(what, "copy"))
        em_sect(e, S_PROTOS, "static %s %s(fl_arena *a, %s v);\n", c, fn, c);
    else if (!strcmp(what, "hash"))
        em_sect(e, S_PROTOS, "static fl_u64 %s(%s v);\n", fn, c);
    else if (!strcmp(what, "print") || !strcmp(what, "csv") || !strcmp(what, "ser"))
        em_sect(e, S_PROTOS, "static void %s(fl_buf *b, %s v);\n", fn, c);
    else if (!strcmp(what, "de"))
        em_sect(e, S_PROTOS, "static %s %s(fl_rbuf *r, fl_arena *a);\n", c, fn);
    else if (!strcmp(what, "serb"))
        em_sect(e, S_PROTOS, "static void %s(fl_buf *b, const void *rows, fl_i64 n);\n", fn);
    else if (!strcmp(what, "deb"))
        em_sect(e, S_PROTOS, "static int %s(fl_rbuf *r, void *rows, fl_i64 n, fl_arena *a);\n", fn);
    else if (!strcmp(what, "dj"))
        em_sect(e, S_PROTOS, "static int %s(const fl_json *v, %s *o, fl_arena *a, char *err);\n", fn, c);
    else if (!strcmp(what, "json"))
        em_sect(e, S_PROTOS, "static int %s(fl_buf *b, %s v);\n", fn, c);
    else if (!strcmp(what, "aw"))
        em_sect(e, S_PROTOS, "static int %s(fl_arrow_w *w, int c, %s v);\n", fn, c);
    else if (!strcmp(what, "ar"))
        em_sect(e, S_PROTOS, "static %s %s(fl_arrow_r *r, int c, fl_i64 i, fl_arena *a);\n", c, fn);
    else
        em_sect(e, S_PROTOS, "static int %s(%s x, %s y);\n", fn, c, c);
    /* the body is written apart: helpers it needs are finished (and placed) first */
    FILE *section = e->sect[S_HELPERS].f;
    char *body = NULL;
    size_t len = 0;
    e->sect[S_HELPERS].f = open_memstream(&body, &len);
    if (!strcmp(what, "copy")) et_copy(e, t, fn, c);
    else if (!strcmp(what, "eq")) et_eq(e, t, fn, c);
    else if (!strcmp(what, "hash")) et_hash(e, t, fn, c);
    else if (!strcmp(what, "cmp")) et_cmp(e, t, fn, c);
    else if (!strcmp(what, "print")) et_print(e, t, fn, c);
    else if (!strcmp(what, "csv")) et_csv(e, t, fn, c);
    else if (!strcmp(what, "ser")) et_ser(e, t, fn, c);
    else if (!strcmp(what, "de")) et_de(e, t, fn, c);
    else if (!strcmp(what, "serb")) et_serb(e, t, fn, c);
    else if (!strcmp(what, "deb")) et_deb(e, t, fn, c);
    else if (!strcmp(what, "dj") || !strcmp(what, "json")) ej_helper(e, what, t, fn, c);
    else if (!strcmp(what, "aw")) ea_helper(e, t, fn, c);
    else if (!strcmp(what, "ar")) ea_read_helper(e, t, fn, c);
    else et_csvh(e, t, fn, !strcmp(what, "csvhk"));
    fclose(e->sect[S_HELPERS].f);
    e->sect[S_HELPERS].f = section;
    fwrite(body, 1, len, e->helpers_out);
    free(body);
    return fn;
}
