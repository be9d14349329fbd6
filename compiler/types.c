/* types.c - construction, unification, classes and printing of flow types.
 * Inference is plain first-order unification with an occurs check; each
 * variable may carry a class (number, ordered, key) checked when bound. */
#define _GNU_SOURCE
#include "types.h"

#include <stdlib.h>
#include <string.h>

Type type_error_t = {.kind = TY_ERROR}, type_i64_t = {.kind = TY_I64},
     type_f64_t = {.kind = TY_F64}, type_bool_t = {.kind = TY_BOOL},
     type_str_t = {.kind = TY_STR}, type_unit_t = {.kind = TY_UNIT},
     type_txn_t = {.kind = TY_TXN}, type_sink_t = {.kind = TY_SINK};

static int type_next_var;

Type *type_new(Arena *a, TypeKind kind)
{
    Type *t = arena_alloc(a, sizeof *t);
    t->kind = kind;
    return t;
}

Type *type_vec(Arena *a, Type *elem)
{
    Type *t = type_new(a, TY_VEC);
    t->u.elem = elem;
    return t;
}

Type *type_opt(Arena *a, Type *elem)
{
    Type *t = type_new(a, TY_OPT);
    t->u.elem = elem;
    return t;
}

Type *type_tuple(Arena *a, Type **elems, int n)
{
    Type *t = type_new(a, TY_TUPLE);
    t->u.tuple.elems = arena_alloc(a, sizeof(Type *) * (size_t)(n ? n : 1));
    memcpy(t->u.tuple.elems, elems, sizeof(Type *) * (size_t)n);
    t->u.tuple.n = n;
    return t;
}

Type *type_pair(Arena *a, Type *x, Type *y)
{
    Type *e[2] = {x, y};
    return type_tuple(a, e, 2);
}

Type *type_fn(Arena *a, Type **params, int n, Type *ret)
{
    Type *t = type_new(a, TY_FN);
    t->u.fn.params = arena_alloc(a, sizeof(Type *) * (size_t)(n ? n : 1));
    memcpy(t->u.fn.params, params, sizeof(Type *) * (size_t)n);
    t->u.fn.n = n;
    t->u.fn.ret = ret;
    return t;
}

Type *type_var(Arena *a, TypeClass tc)
{
    Type *t = type_new(a, TY_VAR);
    t->u.var.id = ++type_next_var;
    t->u.var.tc = tc;
    return t;
}

Type *type_stream(Arena *a, StreamShape shape, Type *key, Type *elem)
{
    Type *t = type_new(a, TY_STREAM);
    t->u.stream.shape = shape;
    t->u.stream.key = key;
    t->u.stream.elem = elem;
    return t;
}

Type *type_winspec(Arena *a, WinKind wk, Type *elem)
{
    Type *t = type_new(a, TY_WINSPEC);
    t->u.win.wk = wk;
    t->u.win.elem = elem;
    return t;
}

static Type *type_builtin_record(Arena *a, const char *name, const char **names, Type **types, int n)
{
    Type *t = type_new(a, TY_RECORD);
    t->u.rec.name = name;
    t->u.rec.builtin = 1;
    t->u.rec.loc.file = -1;
    t->u.rec.fields = arena_alloc(a, sizeof(Field) * (size_t)n);
    for (int i = 0; i < n; i++) {
        t->u.rec.fields[i].name = names[i];
        t->u.rec.fields[i].type = types[i];
        t->u.rec.fields[i].loc.file = -1;
    }
    t->u.rec.n = n;
    return t;
}

Type *type_window(Arena *a, Type *value)
{
    static const char *names[] = {"start", "end", "value"};
    Type *types[] = {TYPE_I64, TYPE_I64, value};
    return type_builtin_record(a, "Window", names, types, 3);
}

Type *type_date(Arena *a)
{
    static const char *names[] = {"year", "month", "day", "hour", "minute", "second", "weekday", "yday"};
    Type *types[] = {TYPE_I64, TYPE_I64, TYPE_I64, TYPE_I64, TYPE_I64, TYPE_I64, TYPE_I64, TYPE_I64};
    return type_builtin_record(a, "Date", names, types, 8);
}

Type *type_prune(Type *t)
{
    while (t && t->kind == TY_VAR && t->u.var.ref)
        t = t->u.var.ref;
    return t;
}

int type_is(Type *t, TypeKind k) { return type_prune(t)->kind == k; }

int type_is_stream(Type *t) { return type_prune(t)->kind == TY_STREAM; }

int type_has_stream(Type *t)
{
    t = type_prune(t);
    if (t->kind == TY_STREAM)
        return 1;
    if (t->kind == TY_TUPLE)
        for (int i = 0; i < t->u.tuple.n; i++)
            if (type_has_stream(t->u.tuple.elems[i]))
                return 1;
    return 0;
}

/* Calls f on each type directly inside t; stops early when f returns 1. */
static int type_any_child(Type *t, int (*f)(Type *))
{
    switch (t->kind) {
    case TY_TUPLE:
        for (int i = 0; i < t->u.tuple.n; i++)
            if (f(t->u.tuple.elems[i]))
                return 1;
        return 0;
    case TY_RECORD:
        if (t->u.rec.builtin)
            for (int i = 0; i < t->u.rec.n; i++)
                if (f(t->u.rec.fields[i].type))
                    return 1;
        return 0;
    case TY_VEC:
    case TY_OPT:
    case TY_TYPEARG: return f(t->u.elem);
    case TY_FN:
        for (int i = 0; i < t->u.fn.n; i++)
            if (f(t->u.fn.params[i]))
                return 1;
        return f(t->u.fn.ret);
    case TY_STREAM: return f(t->u.stream.elem) || (t->u.stream.key && f(t->u.stream.key));
    case TY_WINSPEC: return f(t->u.win.elem);
    default: return 0;
    }
}

int type_has_vars(Type *t)
{
    t = type_prune(t);
    return t->kind == TY_VAR || type_any_child(t, type_has_vars);
}

static int type_size_left;

static int type_size_walk(Type *t)
{
    if (--type_size_left < 0)
        return 1;  /* stop: over the cap */
    return type_any_child(type_prune(t), type_size_walk);
}

int type_node_count(Type *t, int cap)
{
    int saved = type_size_left;
    type_size_left = cap + 1;
    type_size_walk(t);
    int used = cap + 1 - (type_size_left < 0 ? 0 : type_size_left);
    type_size_left = saved;
    return type_size_left < 0 ? cap + 1 : used;
}

int type_has_error(Type *t)
{
    t = type_prune(t);
    return t->kind == TY_ERROR || type_any_child(t, type_has_error);
}

int type_is_scalar(Type *t)
{
    TypeKind k = type_prune(t)->kind;
    return k == TY_I64 || k == TY_F64 || k == TY_BOOL || k == TY_STR;
}

const Field *type_field(Type *rec, const char *name)
{
    rec = type_prune(rec);
    if (rec->kind != TY_RECORD)
        return NULL;
    for (int i = 0; i < rec->u.rec.n; i++)
        if (!strcmp(rec->u.rec.fields[i].name, name))
            return &rec->u.rec.fields[i];
    return NULL;
}

const char *type_class_name(int tc)
{
    if ((tc & TC_NUM) && (tc & TC_KEY))
        return "an i64 (a number that is also a key)";
    if (tc & TC_NUM)
        return "a number (i64 or f64)";
    if ((tc & TC_ORD) && (tc & TC_KEY))
        return "an ordered key type (i64, str, bool, or tuples of them)";
    if (tc & TC_ORD)
        return "an ordered type (i64, f64, str, bool, or tuples of them)";
    if (tc & TC_KEY)
        return "a key type (anything but f64, lambdas and streams)";
    return "any type";
}

static int type_class_cur;

static int type_child_not_in_class(Type *t) { return !type_in_class(t, type_class_cur); }

/* Whether every type directly inside t is in class tc. */
static int type_children_in(Type *t, int tc)
{
    int saved = type_class_cur;
    type_class_cur = tc;
    int bad = type_any_child(t, type_child_not_in_class);
    type_class_cur = saved;
    return !bad;
}

static int type_in_one_class(Type *t, int tc)
{
    switch (tc) {
    case TC_NUM: return t->kind == TY_I64 || t->kind == TY_F64;
    case TC_ORD:
        if (t->kind == TY_TUPLE)
            return type_children_in(t, TC_ORD);
        return t->kind == TY_I64 || t->kind == TY_F64 || t->kind == TY_STR || t->kind == TY_BOOL;
    default: /* TC_KEY */
        if (t->kind == TY_F64 || t->kind == TY_FN || t->kind == TY_STREAM ||
            t->kind == TY_WINSPEC || t->kind == TY_SINK || t->kind == TY_TXN)
            return 0;
        if (t->kind == TY_RECORD && !t->u.rec.builtin) {
            for (int i = 0; i < t->u.rec.n; i++)
                if (!type_in_class(t->u.rec.fields[i].type, TC_KEY))
                    return 0;
            return 1;
        }
        return type_children_in(t, TC_KEY);
    }
}

int type_in_class(Type *t, int tc)
{
    t = type_prune(t);
    if (tc == TC_NONE || t->kind == TY_ERROR)
        return 1;
    if (t->kind == TY_VAR)  /* every combination of classes has members */
        return 1;
    for (int c = TC_NUM; c <= TC_KEY; c <<= 1)
        if ((tc & c) && !type_in_one_class(t, c))
            return 0;
    return 1;
}

static Type *type_occurs_var;
static int type_occurs_in(Type *t)
{
    t = type_prune(t);
    return t == type_occurs_var || type_any_child(t, type_occurs_in);
}

static int type_bind(Type *v, Type *t)
{
    if (v == t)
        return 1;
    if (t->kind == TY_VAR) {  /* both classes hold for the merged variable */
        int tc = v->u.var.tc | t->u.var.tc;
        if ((tc & TC_NUM) && (tc & TC_KEY)) {  /* the only number that is a key */
            v->u.var.ref = TYPE_I64;
            t->u.var.ref = TYPE_I64;
            return 1;
        }
        t->u.var.tc = tc;
        v->u.var.ref = t;
        return 1;
    }
    if (!type_in_class(t, v->u.var.tc))
        return 0;
    type_occurs_var = v;
    if (type_occurs_in(t))
        return 0;
    v->u.var.ref = t;
    return 1;
}

static int type_unify_list(Type **a, Type **b, int n)
{
    for (int i = 0; i < n; i++)
        if (!type_unify(a[i], b[i]))
            return 0;
    return 1;
}

static int type_unify_records(Type *a, Type *b)
{
    if (a == b)
        return 1;
    if (!a->u.rec.builtin || !b->u.rec.builtin || strcmp(a->u.rec.name, b->u.rec.name) ||
        a->u.rec.n != b->u.rec.n)
        return 0;
    for (int i = 0; i < a->u.rec.n; i++)
        if (!type_unify(a->u.rec.fields[i].type, b->u.rec.fields[i].type))
            return 0;
    return 1;
}

static int type_unify_streams(Type *a, Type *b)
{
    StreamShape sa = a->u.stream.shape, sb = b->u.stream.shape;
    if (sa != sb)
        return 0;
    if (a->u.stream.key && b->u.stream.key && !type_unify(a->u.stream.key, b->u.stream.key))
        return 0;
    return type_unify(a->u.stream.elem, b->u.stream.elem);
}

int type_unify(Type *a, Type *b)
{
    a = type_prune(a);
    b = type_prune(b);
    if (a == b)
        return 1;
    if (a->kind == TY_ERROR || b->kind == TY_ERROR) {  /* silence what follows from an error */
        if (a->kind == TY_VAR)
            a->u.var.ref = TYPE_ERROR;
        if (b->kind == TY_VAR)
            b->u.var.ref = TYPE_ERROR;
        return 1;
    }
    if (a->kind == TY_VAR)
        return type_bind(a, b);
    if (b->kind == TY_VAR)
        return type_bind(b, a);
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case TY_TUPLE:
        return a->u.tuple.n == b->u.tuple.n &&
               type_unify_list(a->u.tuple.elems, b->u.tuple.elems, a->u.tuple.n);
    case TY_RECORD: return type_unify_records(a, b);
    case TY_VEC:
    case TY_OPT:
    case TY_TYPEARG: return type_unify(a->u.elem, b->u.elem);
    case TY_FN:
        return a->u.fn.n == b->u.fn.n && type_unify_list(a->u.fn.params, b->u.fn.params, a->u.fn.n) &&
               type_unify(a->u.fn.ret, b->u.fn.ret);
    case TY_STREAM: return type_unify_streams(a, b);
    case TY_WINSPEC: return type_unify(a->u.win.elem, b->u.win.elem);
    default: return 1;
    }
}

static Type **type_inst_vars;
static Arena *type_inst_arena;

static Type *type_inst(Type *t);

static Type **type_inst_list(Type **ts, int n)
{
    Type **r = arena_alloc(type_inst_arena, sizeof(Type *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++)
        r[i] = type_inst(ts[i]);
    return r;
}

static Type *type_inst(Type *t)
{
    Arena *a = type_inst_arena;
    Type *r;
    switch (t->kind) {
    case TY_GEN:
        if (!type_inst_vars[t->u.var.id])
            type_inst_vars[t->u.var.id] = type_var(a, t->u.var.tc);
        return type_inst_vars[t->u.var.id];
    case TY_TUPLE: return type_tuple(a, type_inst_list(t->u.tuple.elems, t->u.tuple.n), t->u.tuple.n);
    case TY_VEC: return type_vec(a, type_inst(t->u.elem));
    case TY_OPT: return type_opt(a, type_inst(t->u.elem));
    case TY_TYPEARG:
        r = type_new(a, TY_TYPEARG);
        r->u.elem = type_inst(t->u.elem);
        return r;
    case TY_FN: return type_fn(a, type_inst_list(t->u.fn.params, t->u.fn.n), t->u.fn.n, type_inst(t->u.fn.ret));
    case TY_STREAM:
        r = type_stream(a, t->u.stream.shape, t->u.stream.key ? type_inst(t->u.stream.key) : NULL,
                        type_inst(t->u.stream.elem));
        return r;
    case TY_WINSPEC: return type_winspec(a, t->u.win.wk, type_inst(t->u.win.elem));
    case TY_RECORD:
        if (t->u.rec.builtin && !strcmp(t->u.rec.name, "Window"))
            return type_window(a, type_inst(t->u.rec.fields[2].type));
        return t;
    default: return t;
    }
}

Type *type_instantiate(Arena *a, Type *t, Type **vars)
{
    Type **saved_vars = type_inst_vars;
    Arena *saved_arena = type_inst_arena;
    type_inst_vars = vars;
    type_inst_arena = a;
    Type *r = type_inst(t);
    type_inst_vars = saved_vars;
    type_inst_arena = saved_arena;
    return r;
}

static void type_print_list(FILE *out, Type **ts, int n)
{
    for (int i = 0; i < n; i++) {
        if (i)
            fputs(", ", out);
        type_print(out, ts[i]);
    }
}

static void type_print_stream(FILE *out, Type *t)
{
    static const char *shapes[] = {"stream", "keyed", "windowed", "kwindowed", "stream"};
    fprintf(out, "%s<", shapes[t->u.stream.shape]);
    if (t->u.stream.key) {
        type_print(out, t->u.stream.key);
        fputs(", ", out);
    }
    type_print(out, t->u.stream.elem);
    fputc('>', out);
}

void type_print(FILE *out, Type *t)
{
    static const char *simple[] = {"_", "i64", "f64", "bool", "str", "()"};
    t = type_prune(t);
    switch (t->kind) {
    case TY_ERROR: case TY_I64: case TY_F64: case TY_BOOL: case TY_STR: case TY_UNIT:
        fputs(simple[t->kind], out);
        break;
    case TY_TUPLE:
        fputc('(', out);
        type_print_list(out, t->u.tuple.elems, t->u.tuple.n);
        fputc(')', out);
        break;
    case TY_RECORD:
        fputs(t->u.rec.name, out);
        if (t->u.rec.builtin && !strcmp(t->u.rec.name, "Window")) {
            fputc('<', out);
            type_print(out, t->u.rec.fields[2].type);
            fputc('>', out);
        }
        break;
    case TY_VEC: fputs("vec<", out); type_print(out, t->u.elem); fputc('>', out); break;
    case TY_OPT: fputs("opt<", out); type_print(out, t->u.elem); fputc('>', out); break;
    case TY_TYPEARG: fputs("type ", out); type_print(out, t->u.elem); break;
    case TY_FN:
        fputc('(', out);
        type_print_list(out, t->u.fn.params, t->u.fn.n);
        fputs(") -> ", out);
        type_print(out, t->u.fn.ret);
        break;
    case TY_VAR: fputc('_', out); break;
    case TY_GEN: fprintf(out, "%c", 'A' + t->u.var.id % 26); break;
    case TY_STREAM: type_print_stream(out, t); break;
    case TY_WINSPEC: fputs("window", out); break;
    case TY_TXN: fputs("txn", out); break;
    case TY_SINK: fputs("sink", out); break;
    case TY_SYM: fputs("symbol", out); break;
    }
}

const char *type_str(Arena *a, Type *t)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return "?";
    type_print(f, t);
    fclose(f);
    const char *r = arena_strndup(a, buf, len);
    free(buf);
    return r;
}

int type_is_flat(Type *t)
{
    t = type_prune(t);
    switch (t->kind) {
    case TY_I64: case TY_F64: case TY_BOOL: case TY_UNIT: case TY_TXN: return 1;
    case TY_OPT: return type_is_flat(t->u.elem);
    case TY_TUPLE:
        for (int i = 0; i < t->u.tuple.n; i++)
            if (!type_is_flat(t->u.tuple.elems[i]))
                return 0;
        return 1;
    case TY_RECORD:
        for (int i = 0; i < t->u.rec.n; i++)
            if (!type_is_flat(t->u.rec.fields[i].type))
                return 0;
        return 1;
    default: return 0;
    }
}
