/* emit_window.c - windows and the times of rows, in the stage being emitted.
 *
 * Times. A row of a stream with event time carries it in the C variable
 * `_ts` while it passes the operators of a stage (declared by the driver
 * from the row's stamp on an edge, by event_time, by a window's result, or
 * by a source that stamps the test clock's time); emit_stage.c puts it
 * on edges whose receiver keeps it. A stage's *time origins* are its
 * event_time nodes and stamping sources: each keeps the largest time it has
 * seen; its watermark (that minus the delay) goes out on the edges it
 * reaches at each *time point* (after a source's call or a batch), and
 * the windows below it fire. Windows and edges below the stage's driver
 * instead follow the frontier the runtime hands to the stage's signal.
 *
 * Windows. Each window node W has a state per key (one in all for
 * window_all): a short array of *slots*, sorted by start, each an
 * accumulator over [start, end). What a slot is depends on the kind:
 *   tumbling, sliding  a pane of width gcd(size, slide); a window is the
 *                      panes inside it, merged when it fires (an element
 *                      is added to one pane, never copied per window)
 *   session            a session [first, last + gap); sessions that an
 *                      element bridges are merged
 *   count              an open window of positions [k*slide, k*slide + n);
 *                      it fires when full
 *   transaction        the open transaction (from its first position);
 *                      `due` is when commit_after closes it
 * Time windows fire when the frontier (event time, or the test clock's)
 * or the clock (processing time: a timer, fl_timer_at) passes their end,
 * in order of end; at the end of input every open window fires (but a
 * transaction that was never committed). A keyed window forgets keys whose
 * slots are all gone when they outnumber the live ones (the table is
 * rebuilt with what is live, its memory with it). */
#include "emit_int.h"

#include <string.h>

/* ---- names and types ---- */

static int ew_stage_no(SE *x) { return x->base + x->s->id; }
static const char *ij_name(SE *x, PlanNode *n);
static void ew_rebuild(SE *x, PlanNode *n);
static const char *ew_name(SE *x, PlanNode *n) { return arena_printf(x->e->a, "w%d_%d", ew_stage_no(x), n->id); }

static Type *ew_value(PlanNode *n) { return n->in[0]->elem; }
/* The key of the windows: a keyed window's, or a window_join's (its output is not keyed). */
Type *ew_key(PlanNode *n) { return n->u.win.pairs ? n->in[0]->key : n->key; }
static Type *ew_fn_ret(PlanNode *n) { return type_prune(n->fn->type)->u.fn.ret; }
static int ew_merges(PlanNode *n) { return n->u.win.wk == WK_SLIDING || n->u.win.wk == WK_SESSION; }
static int ew_timed(PlanNode *n) { return n->u.win.wk == WK_TUMBLING || n->u.win.wk == WK_SLIDING || n->u.win.wk == WK_SESSION; }

/* The accumulator keeps the elements: collect, and a fold whose windows merge. */
static int ew_elems(PlanNode *n)
{
    return n->u.win.agg == AGG_COLLECT || (n->u.win.agg == AGG_FOLD && ew_merges(n));
}

static Type *ew_acc(Emit *e, PlanNode *n)
{
    if (ew_elems(n))
        return type_vec(e->a, ew_value(n));
    switch (n->u.win.agg) {
    case AGG_COUNT: return TYPE_I64;
    case AGG_SUM: return ew_fn_ret(n);
    case AGG_AVG: return type_pair(e->a, ew_fn_ret(n), TYPE_I64);
    case AGG_FOLD: return type_prune(n->init->type);
    default: return ew_value(n);
    }
}

/* ---- the accumulator: first element, next element, merge, final value ---- */

/* Where accumulators allocate: the window's arena (its state), or, while a
 * window fires and merges its panes, the call's scratch arena. */
static const char *ew_fire_arena;

static const char *ew_mem(SE *x, PlanNode *n) { return ew_fire_arena ? ew_fire_arena : se_arena(x, n); }

/* fn(a, b) into acc, in the window's arena (what it returns lives there). */
static void ew_apply2(SE *x, PlanNode *n, Expr *fn, const char *acc, const char *a, const char *b)
{
    Emit *e = x->e;
    EScope *saved = e->scope;
    const char *saved_arena = e->arena;
    e->arena = ew_mem(x, n);
    const char *args[2] = {a, b};
    const char *r = ex_lambda(e, fn, args, 2);
    em_line(e, "%s = %s;", acc, r);
    e->arena = saved_arena;
    e->scope = saved;
}

static const char *ew_copy(SE *x, PlanNode *n, Type *t, const char *v)
{
    return arena_printf(x->e->a, "%s(%s, %s)", et_helper(x->e, "copy", t), ew_mem(x, n), v);
}

/* min/max: whether b is better than a by fn. */
static const char *ew_better(SE *x, PlanNode *n, const char *a, const char *b)
{
    Emit *e = x->e;
    Type *kt = ew_fn_ret(n);
    const char *ka = se_lambda(x, n->fn, a), *kb = se_lambda(x, n->fn, b);
    const char *op = n->u.win.agg == AGG_MIN ? "<" : ">";
    if (kt->kind == TY_I64 || kt->kind == TY_F64 || kt->kind == TY_BOOL)
        return arena_printf(e->a, "%s %s %s", kb, op, ka);
    return arena_printf(e->a, "%s(%s, %s) %s 0", et_helper(e, "cmp", kt), kb, ka, op);
}

static void ew_acc_push(SE *x, PlanNode *n, const char *acc, const char *v)
{
    Type *vt = ew_value(n);
    em_vec_push(x->e, acc, et_name(x->e, vt), ew_mem(x, n), ew_copy(x, n, vt, v));
}

/* The time of a first/last accumulator's element: the slot's ft beside its acc. */
static const char *ew_ft(SE *x, const char *acc)
{
    size_t len = strlen(acc);
    return arena_printf(x->e->a, "%.*sft", (int)(len - 3), acc);
}

static void ew_acc_first(SE *x, PlanNode *n, const char *acc, const char *v)
{
    Emit *e = x->e;
    Type *vt = ew_value(n);
    if (ew_elems(n)) {
        em_line(e, "memset(&%s, 0, sizeof %s);", acc, acc);
        ew_acc_push(x, n, acc, v);
        return;
    }
    switch (n->u.win.agg) {
    case AGG_COUNT: em_line(e, "%s = 1;", acc); return;
    case AGG_SUM: em_line(e, "%s = %s;", acc, se_lambda(x, n->fn, v)); return;
    case AGG_AVG: em_line(e, "%s._0 = %s; %s._1 = 1;", acc, se_lambda(x, n->fn, v), acc); return;
    case AGG_FOLD:
        em_line(e, "%s = %s;", acc, ew_copy(x, n, ew_acc(e, n), ex_expr(e, n->init)));
        ew_apply2(x, n, n->fn, acc, acc, ew_copy(x, n, vt, v));
        return;
    case AGG_FIRST: case AGG_LAST: em_line(e, "%s = _wt;", ew_ft(x, acc)); /* fall through */
    default: em_line(e, "%s = %s;", acc, ew_copy(x, n, vt, v)); return;
    }
}

static void ew_acc_add(SE *x, PlanNode *n, const char *acc, const char *v)
{
    Emit *e = x->e;
    Type *vt = ew_value(n);
    if (ew_elems(n)) {
        ew_acc_push(x, n, acc, v);
        return;
    }
    switch (n->u.win.agg) {
    case AGG_COUNT: em_line(e, "%s += 1;", acc); return;
    case AGG_SUM: em_line(e, "%s += %s;", acc, se_lambda(x, n->fn, v)); return;
    case AGG_AVG: em_line(e, "%s._0 += %s; %s._1 += 1;", acc, se_lambda(x, n->fn, v), acc); return;
    case AGG_MIN: case AGG_MAX:
        em_line(e, "if (%s)", ew_better(x, n, acc, v));
        em_line(e, "    %s = %s;", acc, ew_copy(x, n, vt, v));
        return;
    case AGG_FIRST: case AGG_LAST:   /* the element with the smallest (largest) time; of equal times the first (last) */
        em_line(e, "if (_wt %s %s) {", n->u.win.agg == AGG_FIRST ? "<" : ">=", ew_ft(x, acc));
        em_line(e, "    %s = %s;", acc, ew_copy(x, n, vt, v));
        em_line(e, "    %s = _wt;", ew_ft(x, acc));
        em_line(e, "}");
        return;
    case AGG_FOLD: case AGG_REDUCE: ew_apply2(x, n, n->fn, acc, acc, ew_copy(x, n, vt, v)); return;
    default: return;
    }
}

/* acc takes in b, a later part of the same window (panes, sessions). */
static void ew_acc_merge(SE *x, PlanNode *n, const char *acc, const char *b)
{
    Emit *e = x->e;
    if (ew_elems(n)) {
        em_line(e, "for (fl_i64 _j = 0; _j < %s.len; _j++) {", b);
        e->indent++;
        ew_acc_push(x, n, acc, arena_printf(e->a, "%s.data[_j]", b));
        e->indent--;
        em_line(e, "}");
        return;
    }
    switch (n->u.win.agg) {
    case AGG_COUNT: case AGG_SUM: em_line(e, "%s += %s;", acc, b); return;
    case AGG_AVG: em_line(e, "%s._0 += %s._0; %s._1 += %s._1;", acc, b, acc, b); return;
    case AGG_MIN: case AGG_MAX:
        em_line(e, "if (%s)", ew_better(x, n, acc, b));
        em_line(e, "    %s = %s;", acc, b);
        return;
    case AGG_FIRST: case AGG_LAST:
        em_line(e, "if (%s %s %s) {", ew_ft(x, b), n->u.win.agg == AGG_FIRST ? "<" : ">=", ew_ft(x, acc));
        em_line(e, "    %s = %s;", acc, b);
        em_line(e, "    %s = %s;", ew_ft(x, acc), ew_ft(x, b));
        em_line(e, "}");
        return;
    case AGG_REDUCE: ew_apply2(x, n, n->fn, acc, acc, b); return;
    default: return;
    }
}

/* The C expression of the window's value (statements before it). */
static const char *ew_acc_final(SE *x, PlanNode *n, const char *acc)
{
    Emit *e = x->e;
    if (n->u.win.agg == AGG_AVG)
        return arena_printf(e->a, "((double)%s._0 / (double)%s._1)", acc, acc);
    if (n->u.win.agg != AGG_FOLD || !ew_elems(n))
        return acc;
    const char *r = em_temp(e);   /* a merged fold: the elements folded now, in the scratch arena */
    Type *at = type_prune(n->init->type);
    em_line(e, "%s %s = %s;", et_name(e, at), r, ex_expr(e, n->init));
    em_line(e, "for (fl_i64 _j = 0; _j < %s.len; _j++) {", acc);
    e->indent++;
    EScope *saved = e->scope;
    const char *args[2] = {r, arena_printf(e->a, "%s.data[_j]", acc)};
    em_line(e, "%s = %s;", r, ex_lambda_acc(e, n->fn, args, 2));
    e->scope = saved;
    e->indent--;
    em_line(e, "}");
    return r;
}

/* Whether a count or transaction window takes its elements in time order
 * (a C expression): on a stream with event time (or the test clock's). */
static const char *ew_buffered(PlanNode *n)
{
    if ((n->u.win.wk != WK_COUNT && n->u.win.wk != WK_TXN) || !n->in[0]->ts)
        return "0";
    return n->u.win.time == WT_PROC ? "fl_test_clock()" : "1";
}

/* ---- declarations ---- */

/* NAME_due { at, key } and a binary min-heap of them by `at` (NAME_push,
 * NAME_pop): the times things are due (a session's end, a commit_after
 * time, the time a kept element of an interval join can go), with their key. */
static void ew_heap_type(Emit *e, const char *w, Type *kt)
{
    const char *kdecl = kt ? arena_printf(e->a, " %s key;", et_name(e, kt)) : "";
    em_sect(e, S_HELPERS, "typedef struct %s_due { fl_i64 at;%s } %s_due;\n", w, kdecl, w);
    em_sect(e, S_HELPERS,
            "static void %s_push(%s_due **h, fl_i64 *n, fl_i64 *cap, %s_due d)\n{\n"
            "    if (*n == *cap) {\n"
            "        fl_i64 c = *cap ? 2 * *cap : 64;\n"
            "        %s_due *v = (%s_due *)fl_calloc(c, (fl_i64)sizeof(%s_due));\n"
            "        if (*n) memcpy(v, *h, (fl_size)*n * sizeof(%s_due));\n"
            "        free(*h);\n"
            "        *h = v;\n"
            "        *cap = c;\n"
            "    }\n"
            "    fl_i64 i = (*n)++;\n"
            "    while (i > 0 && (*h)[(i - 1) / 2].at > d.at) {\n"
            "        (*h)[i] = (*h)[(i - 1) / 2];\n"
            "        i = (i - 1) / 2;\n"
            "    }\n"
            "    (*h)[i] = d;\n}\n\n"
            "static %s_due %s_pop(%s_due *h, fl_i64 *n)\n{\n"
            "    %s_due top = h[0], last = h[--*n];\n"
            "    fl_i64 i = 0;\n"
            "    for (;;) {\n"
            "        fl_i64 c = 2 * i + 1;\n"
            "        if (c >= *n) break;\n"
            "        if (c + 1 < *n && h[c + 1].at < h[c].at) c++;\n"
            "        if (h[c].at >= last.at) break;\n"
            "        h[i] = h[c];\n"
            "        i = c;\n"
            "    }\n"
            "    if (*n) h[i] = last;\n"
            "    return top;\n}\n\n",
            w, w, w, w, w, w, w, w, w, w, w);
}

/* The slot and key-state types, and the key table. */
static void ew_types(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    em_sect(e, S_HELPERS, "typedef struct %s_slot { fl_i64 start, end, n, last, ft; %s acc; } %s_slot;\n", w,
            et_name(e, ew_acc(e, n)), w);
    const char *kdecl = ew_key(n) ? arena_printf(e->a, " %s key;", et_name(e, ew_key(n))) : "";
    em_sect(e, S_HELPERS, "typedef struct %s_pend { fl_i64 ts;%s %s v; } %s_pend;\n", w, kdecl, et_name(e, ew_value(n)), w);
    ew_heap_type(e, w, ew_key(n));
    em_sect(e, S_HELPERS, "typedef struct %s_key { %s_slot *v; fl_i64 n, cap, pos, due; } %s_key;\n", w, w, w);
    em_sect(e, S_HELPERS,
            "static %s_slot *%s_insert(%s_key *k, fl_i64 at)\n{\n"
            "    if (k->n == k->cap) {\n"
            "        fl_i64 c = k->cap ? 2 * k->cap : 4;\n"
            "        %s_slot *v = (%s_slot *)fl_calloc(c, (fl_i64)sizeof(%s_slot));\n"
            "        if (k->n) memcpy(v, k->v, (fl_size)k->n * sizeof(%s_slot));\n"
            "        free(k->v);\n"
            "        k->v = v;\n"
            "        k->cap = c;\n"
            "    }\n"
            "    memmove(k->v + at + 1, k->v + at, (fl_size)(k->n - at) * sizeof(%s_slot));\n"
            "    k->n++;\n"
            "    memset(&k->v[at], 0, sizeof(%s_slot));\n"
            "    return &k->v[at];\n}\n\n",
            w, w, w, w, w, w, w, w, w);
    em_sect(e, S_HELPERS,
            "static void %s_drop(%s_key *k, fl_i64 at, fl_i64 cnt)\n{\n"
            "    memmove(k->v + at, k->v + at + cnt, (fl_size)(k->n - at - cnt) * sizeof(%s_slot));\n"
            "    k->n -= cnt;\n}\n\n",
            w, w, w);
    if (ew_key(n))
        se_ht_decl(e, arena_printf(e->a, "%s_ht", w), ew_key(n), arena_printf(e->a, "%s_key", w));
}

/* A size argument of the spec: positive, else the job fails at the spec. */
static void ew_size(SE *x, PlanNode *n, const char *field, Expr *arg, const char *what)
{
    Emit *e = x->e;
    int line, col;
    diag_linecol(e->d, arg->loc, &line, &col);
    em_line(e, "S->%s = %s;", field, ex_expr(e, arg));
    em_line(e, "if (S->%s <= 0)", field);
    em_line(e, "    fl_fail(t, \"%%s:%d:%d: the %s of a window must be positive; it is %%lld\", %s, S->%s);", line, col,
            what, em_c_string(e, diag_source(e->d, arg->loc.file)->path), field);
    (void)n;
}

void ew_decl(SE *x, PlanNode *n)
{
    const char *w = ew_name(x, n);
    ew_types(x, n);
    if (ew_key(n))
        se_field(x, "%s_ht h_%s;", w, w);
    else
        se_field(x, "%s_key k_%s;", w, w);
    se_field(x, "fl_i64 size_%s, slide_%s, pane_%s, front_%s, next_%s, now_%s, live_%s, pnext_%s, abytes_%s;", w, w, w, w,
             w, w, w, w, w);
    se_field(x, "int buf_%s;   /* count, transaction: the elements wait for the watermark, then go in time order */", w);
    se_field(x, "%s_pend *pend_%s;   /* (those elements, of every key) */", w, w);
    se_field(x, "%s_due *heap_%s;", w, w);
    se_field(x, "fl_i64 pn_%s, pcap_%s, hn_%s, hcap_%s;", w, w, w, w);
    Emit *e = x->e;
    WinKind wk = n->u.win.wk;
    const char *what = wk == WK_COUNT ? "count" : wk == WK_SESSION ? "gap" : "size";
    if (wk != WK_TXN)
        ew_size(x, n, arena_printf(e->a, "size_%s", w), n->u.win.size, what);
    if (n->u.win.slide)
        ew_size(x, n, arena_printf(e->a, "slide_%s", w), n->u.win.slide, "slide");
    else
        em_line(e, "S->slide_%s = S->size_%s;", w, w);
    if (wk == WK_TUMBLING || wk == WK_SLIDING)
        em_line(e, "S->pane_%s = S->size_%s > 0 && S->slide_%s > 0 ? fl_gcd(S->size_%s, S->slide_%s) : 1;", w, w, w, w, w);
    em_line(e, "S->front_%s = S->now_%s = FL_TIME_MIN;", w, w);
    em_line(e, "S->next_%s = S->pnext_%s = FL_TIME_MAX;", w, w);
    em_line(e, "S->buf_%s = %s;", w, ew_buffered(n));
}

/* ---- the functions of a window ---- */

/* `for each key state _ks` (keyed: the table's live slots), around body. */
static void ew_each_key_open(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    if (ew_key(n)) {
        em_line(e, "for (fl_i64 _h = 0; _h < S->h_%s.cap; _h++) {", w);
        em_line(e, "    if (!S->h_%s.slots[_h].hash) continue;", w);
        em_line(e, "    %s_key *_ks = &S->h_%s.slots[_h].val;", w, w);
        em_line(e, "    const %s *_kp = &S->h_%s.slots[_h].key;", et_name(e, ew_key(n)), w);
    } else {
        em_line(e, "{");
        em_line(e, "    %s_key *_ks = &S->k_%s;", w, w);
        em_line(e, "    const void *_kp = 0;");
    }
    e->indent++;
    em_line(e, "(void)_kp;");
}

static void ew_each_key_close(SE *x)
{
    x->e->indent--;
    em_line(x->e, "}");
}

/* w_emit(t, S, key, slot): the window's row through what follows it. */
static void ew_emit_fn(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    se_prologue(x, arena_printf(e->a, "void %s_emit(fl_task *t, void *_s, const void *_key, %s_slot *_sl)", w, w), 1);
    em_line(e, "int _from = 0;");
    em_line(e, "(void)_from; (void)_key;");
    em_line(e, "fl_i64 _ts = %s;", ew_timed(n) ? "_sl->end - 1" : "_sl->last");
    em_line(e, "(void)_ts;");
    if (n->u.win.pairs) {   /* window_join: each left element with each right one */
        const char *ot = et_name(e, n->elem);
        em_line(e, "for (fl_i64 _i = 0; _i < _sl->acc.len; _i++) {");
        em_line(e, "    if (!_sl->acc.data[_i]._0.some) continue;");
        em_line(e, "    for (fl_i64 _j = 0; _j < _sl->acc.len; _j++) {");
        em_line(e, "        if (!_sl->acc.data[_j]._1.some) continue;");
        em_line(e, "        %s _r;", ot);
        em_line(e, "        _r._0 = _sl->acc.data[_i]._0.v;");
        em_line(e, "        _r._1 = _sl->acc.data[_j]._1.v;");
        e->indent += 2;
        se_consume(x, n, "_r");
        e->indent -= 2;
        em_line(e, "    }");
        em_line(e, "}");
        se_epilogue(x);
        return;
    }
    const char *wt = et_name(e, n->elem);
    em_line(e, "%s _w;", wt);
    em_line(e, "_w.start = _sl->start;");
    em_line(e, "_w.end = _sl->end;");
    em_line(e, "_w.value = %s;", ew_acc_final(x, n, "_sl->acc"));
    if (n->key) {
        em_line(e, "%s _r;", et_name(e, se_row_type(e, n)));
        em_line(e, "_r._0 = *(const %s *)_key;", et_name(e, n->key));
        em_line(e, "_r._1 = _w;");
        se_consume(x, n, "_r");
    } else {
        se_consume(x, n, "_w");
    }
    se_epilogue(x);
}

/* The key state of the row's key (made when new). */
static void ew_key_state(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    em_line(e, "const %s *_kp = 0;", ew_key(n) ? et_name(e, ew_key(n)) : "void");
    em_line(e, "%s_key *_ks = %s_find(t, S, _key, 1, &_kp);", w, w);
    em_line(e, "(void)_kp;");
}

/* w_find(t, S, key, insert, &kp): the state of a key (made when new and
 * insert, else NULL), and the key as the table keeps it. */
static void ew_find_fn(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n), *kt = ew_key(n) ? et_name(e, ew_key(n)) : "void";
    se_prologue(x, arena_printf(e->a, "%s_key *%s_find(fl_task *t, void *_s, const %s *_key, int _insert, const %s **_kp)",
                                w, w, kt, kt), 1);
    if (!ew_key(n)) {
        em_line(e, "(void)_key; (void)_insert;");
        em_line(e, "*_kp = 0;");
        em_line(e, "return &S->k_%s;", w);
        se_epilogue(x);
        return;
    }
    em_line(e, "fl_u64 _hv = %s(*_key);", et_helper(e, "hash", ew_key(n)));
    em_line(e, "if (!_insert) {");
    em_line(e, "    if (!S->h_%s.cap) return 0;", w);
    em_line(e, "    fl_i64 _i = %s_ht_find(&S->h_%s, *_key, _hv);", w, w);
    em_line(e, "    if (!S->h_%s.slots[_i].hash) return 0;", w);
    em_line(e, "    *_kp = &S->h_%s.slots[_i].key;", w);
    em_line(e, "    return &S->h_%s.slots[_i].val;", w);
    em_line(e, "}");
    em_line(e, "int _fresh;");
    em_line(e, "fl_i64 _at = %s_ht_at(&S->h_%s, *_key, _hv, &_fresh);", w, w);
    em_line(e, "if (_fresh) {");
    em_line(e, "    S->h_%s.slots[_at].key = %s;", w, ew_copy(x, n, ew_key(n), "*_key"));
    em_line(e, "    memset(&S->h_%s.slots[_at].val, 0, sizeof(%s_key));", w, w);
    em_line(e, "}");
    em_line(e, "*_kp = &S->h_%s.slots[_at].key;", w);
    em_line(e, "return &S->h_%s.slots[_at].val;", w);
    se_epilogue(x);
}

/* A due time of key _kp (a session's end, a commit_after time) onto the heap. */
static void ew_push_due(SE *x, PlanNode *n, const char *at)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    em_line(e, "{");
    em_line(e, "    %s_due _d;", w);
    em_line(e, "    _d.at = %s;", at);
    if (ew_key(n))
        em_line(e, "    _d.key = %s;", ew_copy(x, n, ew_key(n), "*_kp"));
    em_line(e, "    %s_push(&S->heap_%s, &S->hn_%s, &S->hcap_%s, _d);", w, w, w, w);
    em_line(e, "    if (_d.at < S->next_%s) S->next_%s = _d.at;", w, w);
    em_line(e, "}");
}

/* A time window: the pane (tumbling, sliding) of time _wt, or the session it joins. */
static void ew_add_timed(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    if (n->u.win.wk == WK_SESSION) {
        em_line(e, "fl_i64 _i = 0, _j;");
        em_line(e, "while (_i < _ks->n && _ks->v[_i].end <= _wt) _i++;");
        em_line(e, "_j = _i;");
        em_line(e, "while (_j < _ks->n && _ks->v[_j].start < _wt + S->size_%s) _j++;", w);
        em_line(e, "%s_slot *_sl;", w);
        em_line(e, "if (_j == _i) {");
        e->indent++;
        em_line(e, "_sl = %s_insert(_ks, _i);", w);
        em_line(e, "_sl->start = _wt;");
        em_line(e, "_sl->end = _wt + S->size_%s;", w);
        ew_acc_first(x, n, "_sl->acc", "(*_v)");
        e->indent--;
        em_line(e, "} else {");
        e->indent++;
        em_line(e, "_sl = &_ks->v[_i];");
        em_line(e, "for (fl_i64 _m = _i + 1; _m < _j; _m++) {   /* the sessions it bridges */");
        e->indent++;
        ew_acc_merge(x, n, "_sl->acc", "_ks->v[_m].acc");
        em_line(e, "if (_ks->v[_m].end > _sl->end) _sl->end = _ks->v[_m].end;");
        em_line(e, "_sl->n += _ks->v[_m].n;");
        e->indent--;
        em_line(e, "}");
        em_line(e, "%s_drop(_ks, _i + 1, _j - _i - 1);", w);
        ew_acc_add(x, n, "_sl->acc", "(*_v)");
        em_line(e, "if (_wt < _sl->start) _sl->start = _wt;");
        em_line(e, "if (_wt + S->size_%s > _sl->end) _sl->end = _wt + S->size_%s;", w, w);
        e->indent--;
        em_line(e, "}");
        em_line(e, "_sl->n++;");
        ew_push_due(x, n, "_sl->end");
        return;
    }
    em_line(e, "fl_i64 _p = fl_floor_div(_wt, S->pane_%s) * S->pane_%s;", w, w);
    em_line(e, "fl_i64 _i = _ks->n;");
    em_line(e, "while (_i > 0 && _ks->v[_i - 1].start > _p) _i--;");
    em_line(e, "if (_i > 0 && _ks->v[_i - 1].start == _p) {");
    e->indent++;
    ew_acc_add(x, n, "_ks->v[_i - 1].acc", "(*_v)");
    em_line(e, "_ks->v[_i - 1].n++;");
    e->indent--;
    em_line(e, "} else {");
    e->indent++;
    em_line(e, "%s_slot *_sl = %s_insert(_ks, _i);", w, w);
    em_line(e, "_sl->start = _p;");
    em_line(e, "_sl->end = _p + S->pane_%s;", w);
    em_line(e, "_sl->n = 1;");
    ew_acc_first(x, n, "_sl->acc", "(*_v)");
    e->indent--;
    em_line(e, "}");
    em_line(e, "fl_i64 _e = (fl_floor_div(_wt - S->size_%s, S->slide_%s) + 1) * S->slide_%s + S->size_%s;", w, w, w, w);
    em_line(e, "if (_e < S->next_%s) S->next_%s = _e;   /* the end of the first window with _wt in it */", w, w);
}

/* A count window: the windows open at this position take the element; a full one fires. */
static void ew_add_count(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    em_line(e, "fl_i64 _pos = _ks->pos++;");
    em_line(e, "if (_pos %% S->slide_%s == 0) {", w);
    em_line(e, "    %s_slot *_sl = %s_insert(_ks, _ks->n);", w, w);
    em_line(e, "    _sl->start = _pos;");
    em_line(e, "}");
    em_line(e, "for (fl_i64 _i = 0; _i < _ks->n; _i++) {");
    e->indent++;
    em_line(e, "%s_slot *_sl = &_ks->v[_i];", w);
    em_line(e, "if (_sl->n == 0) {");
    e->indent++;
    ew_acc_first(x, n, "_sl->acc", "(*_v)");
    e->indent--;
    em_line(e, "} else {");
    e->indent++;
    ew_acc_add(x, n, "_sl->acc", "(*_v)");
    e->indent--;
    em_line(e, "}");
    em_line(e, "_sl->n++;");
    em_line(e, "_sl->last = _wt;");
    e->indent--;
    em_line(e, "}");
    em_line(e, "if (_ks->n && _ks->v[0].n == S->size_%s) {", w);
    em_line(e, "    _ks->v[0].end = _ks->v[0].start + _ks->v[0].n;");
    em_line(e, "    %s_emit(t, S, _kp, &_ks->v[0]);", w);
    em_line(e, "    %s_drop(_ks, 0, 1);", w);
    em_line(e, "}");
}

/* A transaction window: the lambda decides for each element. */
static void ew_add_txn(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    em_line(e, "if (_ks->due != 0 && _wt >= _ks->due && _ks->n) {   /* its commit_after time has come */");
    em_line(e, "    %s_emit(t, S, _kp, &_ks->v[0]);", w);
    em_line(e, "    _ks->n = 0;");
    em_line(e, "    _ks->due = 0;");
    em_line(e, "}");
    em_line(e, "fl_i64 _pos = _ks->pos++;");
    em_line(e, "fl_i64 _d = %s;", se_lambda(x, n->u.win.txn, "(*_v)"));
    em_line(e, "if (_d == FL_TXN_DISCARD) {");
    em_line(e, "    _ks->n = 0;");
    em_line(e, "    _ks->due = 0;");
    em_line(e, "} else {");
    e->indent++;
    em_line(e, "if (_ks->n == 0) {");
    e->indent++;
    em_line(e, "%s_slot *_sl = %s_insert(_ks, 0);", w, w);
    em_line(e, "_sl->start = _pos;");
    ew_acc_first(x, n, "_sl->acc", "(*_v)");
    e->indent--;
    em_line(e, "} else {");
    e->indent++;
    ew_acc_add(x, n, "_ks->v[0].acc", "(*_v)");
    e->indent--;
    em_line(e, "}");
    em_line(e, "_ks->v[0].n++;");
    em_line(e, "_ks->v[0].end = _pos + 1;");
    em_line(e, "_ks->v[0].last = _wt;");
    em_line(e, "if (_d == FL_TXN_COMMIT) {");
    em_line(e, "    %s_emit(t, S, _kp, &_ks->v[0]);", w);
    em_line(e, "    _ks->n = 0;");
    em_line(e, "    _ks->due = 0;");
    em_line(e, "} else if (_d >= 0 && (_ks->due == 0 || _wt + _d < _ks->due)) {");
    e->indent++;
    em_line(e, "_ks->due = _wt + _d;   /* (a due time of 0 is taken as none: times are ms since 1970) */");
    ew_push_due(x, n, "_ks->due");
    e->indent--;
    em_line(e, "}");
    e->indent--;
    em_line(e, "}");
}

/* w_put(t, S, key state, key, value, time): a count or transaction window takes an element. */
static void ew_put_fn(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    se_prologue(x, arena_printf(e->a, "void %s_put(fl_task *t, void *_s, %s_key *_ks, const %s *_kp, const %s *_v, "
                                "fl_i64 _wt)", w, w, ew_key(n) ? et_name(e, ew_key(n)) : "void", et_name(e, ew_value(n))), 1);
    if (n->u.win.wk == WK_COUNT)
        ew_add_count(x, n);
    else
        ew_add_txn(x, n);
    se_epilogue(x);
}

/* A count or transaction window on a stream with time: the element waits
 * (with its key) until the frontier passes its time. */
static void ew_add_pending(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    em_line(e, "if (S->buf_%s) {", w);
    e->indent++;
    em_line(e, "if (S->pn_%s == S->pcap_%s) {", w, w);
    em_line(e, "    fl_i64 c = S->pcap_%s ? 2 * S->pcap_%s : 64;", w, w);
    em_line(e, "    %s_pend *p = (%s_pend *)fl_calloc(c, (fl_i64)sizeof(%s_pend));", w, w, w);
    em_line(e, "    if (S->pn_%s) memcpy(p, S->pend_%s, (fl_size)S->pn_%s * sizeof(%s_pend));", w, w, w, w);
    em_line(e, "    free(S->pend_%s);", w);
    em_line(e, "    S->pend_%s = p;", w);
    em_line(e, "    S->pcap_%s = c;", w);
    em_line(e, "}");
    em_line(e, "S->pend_%s[S->pn_%s].ts = _wt;", w, w);
    if (ew_key(n))
        em_line(e, "S->pend_%s[S->pn_%s].key = %s;", w, w, ew_copy(x, n, ew_key(n), "*_key"));
    em_line(e, "S->pend_%s[S->pn_%s++].v = %s;", w, w, ew_copy(x, n, ew_value(n), "(*_v)"));
    em_line(e, "if (_wt < S->pnext_%s) S->pnext_%s = _wt;", w, w);
    e->indent--;
    em_line(e, "} else {");
    e->indent++;
    ew_key_state(x, n);
    em_line(e, "%s_put(t, S, _ks, _kp, _v, _wt);", w);
    e->indent--;
    em_line(e, "}");
}

/* w_add(t, S, key, value, time): a row reaches the window. */
static void ew_add_fn(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    se_prologue(x, arena_printf(e->a, "void %s_add(fl_task *t, void *_s, const %s *_key, const %s *_v, fl_i64 _wt)", w,
                                ew_key(n) ? et_name(e, ew_key(n)) : "void", et_name(e, ew_value(n))), 1);
    em_line(e, "(void)_key;");
    if (n->u.win.wk == WK_COUNT || n->u.win.wk == WK_TXN) {
        ew_add_pending(x, n);
    } else {
        ew_key_state(x, n);
        ew_add_timed(x, n);
    }
    ew_rebuild(x, n);
    se_epilogue(x);
}

/* Count and transaction windows in time order: what waits with a time by
 * _f goes in, sorted by time (of equal times, in arrival order). */
static void ew_release(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    em_line(e, "if (S->buf_%s && S->pnext_%s <= _f) {", w, w);
    e->indent++;
    em_line(e, "fl_msort(S->pend_%s, S->pn_%s, (fl_i64)sizeof(%s_pend), %s_cmp, &S->tmp);", w, w, w, w);
    em_line(e, "fl_i64 _r = 0;");
    em_line(e, "for (; _r < S->pn_%s && S->pend_%s[_r].ts <= _f; _r++) {", w, w);
    e->indent++;
    em_line(e, "const %s *_kp = 0;", ew_key(n) ? et_name(e, ew_key(n)) : "void");
    em_line(e, "%s_key *_ks = %s_find(t, S, %s, 1, &_kp);", w, w, ew_key(n) ? arena_printf(e->a, "&S->pend_%s[_r].key", w) : "0");
    em_line(e, "%s_put(t, S, _ks, _kp, &S->pend_%s[_r].v, S->pend_%s[_r].ts);", w, w, w);
    e->indent--;
    em_line(e, "}");
    em_line(e, "if (_r) memmove(S->pend_%s, S->pend_%s + _r, (fl_size)(S->pn_%s - _r) * sizeof(%s_pend));", w, w, w, w);
    em_line(e, "S->pn_%s -= _r;", w);
    em_line(e, "S->pnext_%s = S->pn_%s ? S->pend_%s[0].ts : FL_TIME_MAX;", w, w, w);
    e->indent--;
    em_line(e, "}");
}

/* Tumbling and sliding: the windows that end by _f, in order of end: each
 * the merge of its panes, per key; then the panes no later window needs go. */
static void ew_advance_panes(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    em_line(e, "while (S->next_%s != FL_TIME_MAX && S->next_%s <= _f) {", w, w);
    e->indent++;
    em_line(e, "fl_i64 _we = S->next_%s, _ws = _we - S->size_%s, _keep = _ws + S->slide_%s, _min = FL_TIME_MAX;", w, w, w);
    ew_each_key_open(x, n);
    em_line(e, "%s_slot _win;", w);
    em_line(e, "int _has = 0;");
    em_line(e, "for (fl_i64 _i = 0; _i < _ks->n && _ks->v[_i].start < _we; _i++) {");
    e->indent++;
    em_line(e, "if (_ks->v[_i].start < _ws) continue;");
    em_line(e, "if (!_has) {");
    em_line(e, "    _win = _ks->v[_i];");
    if (ew_elems(n))   /* the window's own vector: the pane's stays as it is */
        em_line(e, "    _win.acc = %s(_A, _win.acc);", et_helper(e, "copy", ew_acc(e, n)));
    em_line(e, "    _has = 1;");
    em_line(e, "} else {");
    e->indent++;
    ew_fire_arena = "_A";
    ew_acc_merge(x, n, "_win.acc", "_ks->v[_i].acc");
    ew_fire_arena = NULL;
    em_line(e, "_win.n += _ks->v[_i].n;");
    e->indent--;
    em_line(e, "}");
    e->indent--;
    em_line(e, "}");
    em_line(e, "if (_has) {");
    em_line(e, "    _win.start = _ws;");
    em_line(e, "    _win.end = _we;");
    em_line(e, "    %s_emit(t, S, _kp, &_win);", w);
    em_line(e, "}");
    em_line(e, "fl_i64 _gone = 0;");
    em_line(e, "while (_gone < _ks->n && _ks->v[_gone].start < _keep) _gone++;");
    em_line(e, "%s_drop(_ks, 0, _gone);", w);
    em_line(e, "if (_ks->n && _ks->v[0].start < _min) _min = _ks->v[0].start;");
    ew_each_key_close(x);
    em_line(e, "fl_i64 _after = _min == FL_TIME_MAX ? FL_TIME_MAX");
    em_line(e, "    : (fl_floor_div(_min - S->size_%s, S->slide_%s) + 1) * S->slide_%s + S->size_%s;", w, w, w, w);
    em_line(e, "S->next_%s = _after > _we + S->slide_%s ? _after : _min == FL_TIME_MAX ? FL_TIME_MAX : _we + S->slide_%s;", w, w, w);
    e->indent--;
    em_line(e, "}");
}

/* Sessions and transactions: what is due by _f fires, in order of its
 * time (the heap of due times; an entry whose session has merged into
 * another, or whose transaction has closed, no longer matches and goes). */
static void ew_advance_due(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    em_line(e, "while (S->hn_%s && S->heap_%s[0].at <= _f) {", w, w);
    e->indent++;
    em_line(e, "%s_due _d = %s_pop(S->heap_%s, &S->hn_%s);", w, w, w, w);
    em_line(e, "const %s *_kp = 0;", ew_key(n) ? et_name(e, ew_key(n)) : "void");
    em_line(e, "%s_key *_ks = %s_find(t, S, %s, 0, &_kp);", w, w, ew_key(n) ? "&_d.key" : "0");
    em_line(e, "if (!_ks) continue;");
    if (n->u.win.wk == WK_TXN) {
        em_line(e, "if (_ks->due != _d.at || !_ks->n) continue;");
        em_line(e, "%s_emit(t, S, _kp, &_ks->v[0]);", w);
        em_line(e, "_ks->n = 0;");
        em_line(e, "_ks->due = 0;");
    } else {
        em_line(e, "for (fl_i64 _i = 0; _i < _ks->n; _i++)");
        em_line(e, "    if (_ks->v[_i].end == _d.at) {");
        em_line(e, "        %s_emit(t, S, _kp, &_ks->v[_i]);", w);
        em_line(e, "        %s_drop(_ks, _i, 1);", w);
        em_line(e, "        break;");
        em_line(e, "    }");
    }
    e->indent--;
    em_line(e, "}");
    em_line(e, "S->next_%s = S->hn_%s ? S->heap_%s[0].at : FL_TIME_MAX;", w, w, w);
}

/* A keyed window's table, rebuilt with its live keys when the dead ones
 * outnumber them (and 1024), or (keyed or not) its memory copied into a
 * fresh arena when it has doubled since the last time (and passed 4 MiB):
 * accumulators of strings and vectors, and elements kept, leave old copies
 * behind; memory stays bounded by the open windows. */
static void ew_copy_state(SE *x, PlanNode *n, const char *ks, const char *to)
{
    Emit *e = x->e;
    Type *at = ew_acc(e, n);
    if (!type_is_flat(at))
        em_line(e, "for (fl_i64 _i = 0; _i < %s->n; _i++) %s->v[_i].acc = %s(%s, %s->v[_i].acc);", ks, ks,
                et_helper(e, "copy", at), to, ks);
}

/* What waits (keys and values) and the due heap's keys, into arena `to`. */
static void ew_copy_waiting(SE *x, PlanNode *n, const char *to)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    Type *kt = ew_key(n), *vt = ew_value(n);
    if (kt && !type_is_flat(kt)) {
        em_line(e, "for (fl_i64 _i = 0; _i < S->pn_%s; _i++) S->pend_%s[_i].key = %s(%s, S->pend_%s[_i].key);", w, w,
                et_helper(e, "copy", kt), to, w);
        em_line(e, "for (fl_i64 _i = 0; _i < S->hn_%s; _i++) S->heap_%s[_i].key = %s(%s, S->heap_%s[_i].key);", w, w,
                et_helper(e, "copy", kt), to, w);
    }
    if (!type_is_flat(vt))
        em_line(e, "for (fl_i64 _i = 0; _i < S->pn_%s; _i++) S->pend_%s[_i].v = %s(%s, S->pend_%s[_i].v);", w, w,
                et_helper(e, "copy", vt), to, w);
}

static void ew_rebuild(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n), *arena = se_arena(x, n);
    if (!ew_key(n)) {
        em_line(e, "if (%s->bytes > 2 * S->abytes_%s + 4194304) {", arena, w);
        e->indent++;
        em_line(e, "fl_arena _na;");
        em_line(e, "memset(&_na, 0, sizeof _na);");
        ew_copy_state(x, n, arena_printf(e->a, "(&S->k_%s)", w), "&_na");
        ew_copy_waiting(x, n, "&_na");
        em_line(e, "fl_arena_free(%s);", arena);
        em_line(e, "*%s = _na;", arena);
        em_line(e, "S->abytes_%s = _na.bytes;", w);
        e->indent--;
        em_line(e, "}");
        return;
    }
    em_line(e, "if (S->h_%s.n > 1024 + 2 * S->live_%s || %s->bytes > 2 * S->abytes_%s + 4194304) {", w, w, arena, w);
    e->indent++;
    em_line(e, "%s_ht _nh;", w);
    em_line(e, "fl_arena _na;");
    em_line(e, "memset(&_nh, 0, sizeof _nh);");
    em_line(e, "memset(&_na, 0, sizeof _na);");
    em_line(e, "S->live_%s = 0;", w);
    em_line(e, "fl_i64 _nl = 0;   /* the new table made for the keys that live on: no grow on the way */");
    em_line(e, "for (fl_i64 _h = 0; _h < S->h_%s.cap; _h++)", w);
    em_line(e, "    _nl += S->h_%s.slots[_h].hash && !(S->h_%s.slots[_h].val.n == 0 && S->h_%s.slots[_h].val.pos == 0);", w, w, w);
    em_line(e, "%s_ht_reserve(&_nh, _nl);", w);
    em_line(e, "for (fl_i64 _h = 0; _h < S->h_%s.cap; _h++) {", w);
    e->indent++;
    em_line(e, "%s_key *_ks = &S->h_%s.slots[_h].val;", w, w);
    em_line(e, "if (!S->h_%s.slots[_h].hash) continue;", w);
    em_line(e, "if (_ks->n == 0 && _ks->pos == 0) { free(_ks->v); continue; }");
    em_line(e, "if (_ks->n == 0) { free(_ks->v); _ks->v = 0; _ks->cap = 0; }   /* (a count's position stays) */");
    em_line(e, "int _fr;");
    em_line(e, "fl_i64 _at = %s_ht_at(&_nh, S->h_%s.slots[_h].key, S->h_%s.slots[_h].hash, &_fr);", w, w, w);
    em_line(e, "_nh.slots[_at].key = %s(&_na, S->h_%s.slots[_h].key);", et_helper(e, "copy", ew_key(n)), w);
    ew_copy_state(x, n, "_ks", "&_na");
    em_line(e, "_nh.slots[_at].val = *_ks;");
    em_line(e, "S->live_%s++;   /* (the keys kept: the next rebuild comes when as many more have come) */", w);
    e->indent--;
    em_line(e, "}");
    ew_copy_waiting(x, n, "&_na");
    em_line(e, "%s_ht_free(&S->h_%s);", w, w);
    em_line(e, "fl_arena_free(%s);", arena);
    em_line(e, "S->h_%s = _nh;", w);
    em_line(e, "*%s = _na;", arena);
    em_line(e, "S->abytes_%s = _na.bytes;", w);
    e->indent--;
    em_line(e, "}");
}

/* w_advance(t, S, f): what is due by time f fires. */
static void ew_advance_fn(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    if (n->u.win.wk != WK_TUMBLING && n->u.win.wk != WK_SLIDING)
        em_sect(e, S_HELPERS,
                "static int %s_cmp(const void *a, const void *b)\n{\n"
                "    fl_i64 x = ((const fl_i64 *)a)[0], y = ((const fl_i64 *)b)[0];\n"
                "    return x < y ? -1 : x > y;\n}\n\n", w);
    se_prologue(x, arena_printf(e->a, "void %s_advance(fl_task *t, void *_s, fl_i64 _f)", w), 1);
    em_line(e, "if (_f > S->front_%s) S->front_%s = _f;", w, w);
    if (n->u.win.wk == WK_COUNT || n->u.win.wk == WK_TXN)
        ew_release(x, n);
    if (n->u.win.wk == WK_TUMBLING || n->u.win.wk == WK_SLIDING)
        ew_advance_panes(x, n);
    else if (n->u.win.wk != WK_COUNT)
        ew_advance_due(x, n);
    se_epilogue(x);
}

/* w_flush(t, S): at the end of input, every open window fires (a
 * transaction only when commit_after was asked), then the state goes. */
static void ew_flush_fn(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    se_prologue(x, arena_printf(e->a, "void %s_flush(fl_task *t, void *_s)", w), 1);
    if (n->u.win.wk == WK_COUNT || n->u.win.wk == WK_TXN)
        em_line(e, "%s_advance(t, S, FL_TIME_MAX - 1);   /* what waits goes in */", w);
    if (ew_timed(n) || n->u.win.wk == WK_TXN) {
        if (n->u.win.wk == WK_TXN) {   /* the commit_after ones, by their due time */
            ew_each_key_open(x, n);
            em_line(e, "if (_ks->due == 0) _ks->n = 0;");
            ew_each_key_close(x);
        }
        em_line(e, "%s_advance(t, S, FL_TIME_MAX - 1);", w);
    } else {
        ew_each_key_open(x, n);   /* count: what each open window has */
        em_line(e, "for (fl_i64 _i = 0; _i < _ks->n; _i++)");
        em_line(e, "    if (_ks->v[_i].n) {");
        em_line(e, "        _ks->v[_i].end = _ks->v[_i].start + _ks->v[_i].n;");
        em_line(e, "        %s_emit(t, S, _kp, &_ks->v[_i]);", w);
        em_line(e, "    }");
        ew_each_key_close(x);
    }
    em_line(e, "free(S->pend_%s);", w);
    em_line(e, "free(S->heap_%s);", w);
    ew_each_key_open(x, n);
    em_line(e, "free(_ks->v);");
    em_line(e, "memset(_ks, 0, sizeof *_ks);");
    ew_each_key_close(x);
    if (ew_key(n))
        em_line(e, "%s_ht_free(&S->h_%s);", w, w);
    se_epilogue(x);
}

void ew_functions(SE *x, PlanNode *n)
{
    ew_find_fn(x, n);
    ew_emit_fn(x, n);
    if (n->u.win.wk == WK_COUNT || n->u.win.wk == WK_TXN)
        ew_put_fn(x, n);
    ew_add_fn(x, n);
    ew_advance_fn(x, n);
    ew_flush_fn(x, n);
}

/* ---- a row reaches the window ---- */

void ew_row(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    const char *w = ew_name(x, n);
    int stamped = n->in[0]->ts;
    em_line(e, "{");
    e->indent++;
    if (n->u.win.time == WT_PROC) {   /* the clock, never behind what the window has seen */
        em_line(e, "fl_i64 _wt = %s;", stamped ? "fl_test_clock() ? _ts : fl_now_ms()" : "fl_now_ms()");
        em_line(e, "if (%s_wt < S->now_%s) _wt = S->now_%s;", stamped ? "!fl_test_clock() && " : "", w, w);
        em_line(e, "if (%s_wt < S->front_%s) _wt = S->front_%s;", stamped ? "!fl_test_clock() && " : "", w, w);
        em_line(e, "S->now_%s = _wt;", w);
    } else {
        em_line(e, "fl_i64 _wt = %s;", stamped ? "_ts" : "0");
    }
    const char *key = ew_key(n) ? arena_printf(e->a, "&%s._0", row) : "0";
    const char *val = ew_key(n) ? arena_printf(e->a, "&%s._1", row) : arena_printf(e->a, "&%s", row);
    if (n->u.win.time != WT_NONE) {
        em_line(e, "if (_wt < S->front_%s)", w);
        em_line(e, "    fl_late(t, 1);   /* its window has fired: behind the watermark */");
        em_line(e, "else");
        em_line(e, "    %s_add(t, S, %s, %s, _wt);", w, key, val);
    } else {
        em_line(e, "%s_add(t, S, %s, %s, _wt);", w, key, val);
    }
    e->indent--;
    em_line(e, "}");
}

void ew_finish(SE *x, PlanNode *n)
{
    em_line(x->e, "%s_flush(t, S);", ew_name(x, n));
}

/* ---- event time, time origins and time points ---- */

static int ew_is_origin(const PlanNode *n)
{
    return n->kind == PN_EVTIME || (n->kind == PN_SOURCE && n->u.src.pt);
}

/* The time origin in the stage that n's rows get their time from, or
 * NULL: the stage's input (its driver's frontier). */
static PlanNode *ew_origin(SE *x, PlanNode *n)
{
    while (n && n != x->s->driver && n->stage == x->s->id) {
        if (ew_is_origin(n))
            return n;
        n = n->nin ? n->in[0] : NULL;
    }
    return n && ew_is_origin(n) && n->stage == x->s->id ? n : NULL;
}

void ew_time_fields(SE *x)
{
    Emit *e = x->e;
    for (int i = 0; i < x->s->nodes.len; i++) {
        PlanNode *n = x->s->nodes.items[i];
        if (!ew_is_origin(n))
            continue;
        se_field(x, "fl_i64 tmax_n%d, wsent_n%d, delay_n%d;", n->id, n->id, n->id);
        em_line(e, "S->tmax_n%d = S->wsent_n%d = FL_TIME_MIN;", n->id, n->id);
        if (n->kind != PN_EVTIME || !n->u.delay) {   /* (delay: 0ms by default) */
            em_line(e, "S->delay_n%d = 0;", n->id);
            continue;
        }
        int line, col;
        diag_linecol(e->d, n->u.delay->loc, &line, &col);
        em_line(e, "S->delay_n%d = %s;", n->id, ex_expr(e, n->u.delay));
        em_line(e, "if (S->delay_n%d < 0)", n->id);
        em_line(e, "    fl_fail(t, \"%%s:%d:%d: the delay of event_time cannot be negative; it is %%lld\", %s, "
                   "S->delay_n%d);", line, col, em_c_string(e, diag_source(e->d, n->u.delay->loc.file)->path), n->id);
    }
}

void ew_evtime(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    int late = 0;
    for (int i = 0; i < n->nout; i++)
        late |= n->out[i]->kind == PN_LATE;
    em_line(e, "{");
    e->indent++;
    em_line(e, "fl_i64 _ts = %s;", se_lambda(x, n->fn, row));
    em_line(e, "if (S->tmax_n%d != FL_TIME_MIN && _ts < fl_wm_sub(S->tmax_n%d, S->delay_n%d)) {", n->id, n->id, n->id);
    e->indent++;
    if (late)
        se_consume_some(x, n, row, 1);
    else
        em_line(e, "fl_late(t, 1);");
    e->indent--;
    em_line(e, "} else {");
    e->indent++;
    em_line(e, "if (_ts > S->tmax_n%d) S->tmax_n%d = _ts;", n->id, n->id);
    se_consume_some(x, n, row, 0);
    e->indent--;
    em_line(e, "}");
    e->indent--;
    em_line(e, "}");
}

/* The windows and edges of the stage that follow origin o (NULL: the input). */
static void ew_follow(SE *x, PlanNode *o, const char *f, int event_only)
{
    Emit *e = x->e;
    for (int i = 0; i < x->s->nodes.len; i++) {
        PlanNode *n = x->s->nodes.items[i];
        if (n->kind != PN_WINDOW || n->u.win.time == WT_NONE || ew_origin(x, n->in[0]) != o)
            continue;
        if (n->u.win.time == WT_PROC)
            em_line(e, "if (fl_test_clock()) %s_advance(t, S, %s);", ew_name(x, n), f);
        else
            em_line(e, "%s_advance(t, S, %s);", ew_name(x, n), f);
    }
    if (event_only)
        return;
    for (int i = 0; i < x->s->outs.len; i++) {
        Edge *ed = x->s->outs.items[i];
        if (ed->to->ts && ew_origin(x, ed->from) == o)
            em_line(e, "fl_watermark(t, %d, %s);", ed->out, f);
    }
}

int ew_stage_has_proc(SE *x)
{
    for (int i = 0; i < x->s->nodes.len; i++) {
        PlanNode *n = x->s->nodes.items[i];
        if (n->kind == PN_WINDOW && n->u.win.time == WT_PROC)   /* (a transaction's commit_after too) */
            return 1;
    }
    return 0;
}

void ew_time_points(SE *x, int input)
{
    Emit *e = x->e;
    if (input) {
        em_line(e, "if (_m->kind == FL_MSG_WATERMARK) {");
        e->indent++;
        if (x->s->driver->kind == PN_IJOIN)
            em_line(e, "%s_advance(t, S, _m->value);", ij_name(x, x->s->driver));
        ew_follow(x, NULL, "_m->value", 0);
        e->indent--;
        em_line(e, "}");
        em_line(e, "if (_m->kind == FL_MSG_TIMER && !fl_test_clock()) {");
        e->indent++;
        for (int i = 0; i < x->s->nodes.len; i++) {
            PlanNode *n = x->s->nodes.items[i];
            if (n->kind == PN_WINDOW && n->u.win.time == WT_PROC)
                em_line(e, "%s_advance(t, S, _m->value);", ew_name(x, n));
        }
        e->indent--;
        em_line(e, "}");
    }
    for (int i = 0; i < x->s->nodes.len; i++) {
        PlanNode *o = x->s->nodes.items[i];
        if (!ew_is_origin(o))
            continue;
        em_line(e, "if (%sfl_wm_sub(S->tmax_n%d, S->delay_n%d) > S->wsent_n%d) {", o->kind == PN_SOURCE ? "fl_test_clock() && " : "",
                o->id, o->id, o->id);
        e->indent++;
        em_line(e, "fl_i64 _wm = fl_wm_sub(S->tmax_n%d, S->delay_n%d);", o->id, o->id);
        em_line(e, "S->wsent_n%d = _wm;", o->id);
        ew_follow(x, o, "_wm", 0);
        e->indent--;
        em_line(e, "}");
    }
    if (!ew_stage_has_proc(x))
        return;
    em_line(e, "{");   /* the next time a processing-time window is due */
    e->indent++;
    em_line(e, "fl_i64 _tm = FL_TIME_MAX;");
    for (int i = 0; i < x->s->nodes.len; i++) {
        PlanNode *n = x->s->nodes.items[i];
        if (n->kind == PN_WINDOW && n->u.win.time == WT_PROC)
            em_line(e, "if (S->next_%s < _tm) _tm = S->next_%s;", ew_name(x, n), ew_name(x, n));
    }
    em_line(e, "fl_timer_at(t, _tm);");
    e->indent--;
    em_line(e, "}");
}

/* ---- interval_join: per key, the elements of each side with their
 * times; an element meets the other side's kept ones when it comes, and is
 * kept until the frontier has passed the times it can still match: a left
 * one at t until t + upper, a right one at t until t - lower (later elements
 * have times at or after the frontier). ---- */

static const char *ij_name(SE *x, PlanNode *n) { return arena_printf(x->e->a, "j%d_%d", ew_stage_no(x), n->id); }

const char *ew_state_size(SE *x, PlanNode *n)
{
    const char *w = ew_name(x, n);
    if (n->kind == PN_IJOIN)
        return arena_printf(x->e->a, "S->h_%s.n", ij_name(x, n));
    if (ew_key(n))   /* keys whose panes are open, and elements waiting for their time */
        return arena_printf(x->e->a, "(S->live_%s + S->pn_%s)", w, w);
    return arena_printf(x->e->a, "(S->pn_%s + S->hn_%s)", w, w);
}

void ew_ijoin_open(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *j = ij_name(x, n);
    Type *lt = type_prune(n->in[0]->elem), *rt = type_prune(n->in[1]->elem);
    em_sect(e, S_HELPERS, "typedef struct %s_l { fl_i64 ts; %s v; } %s_l;\n", j, et_name(e, lt), j);
    em_sect(e, S_HELPERS, "typedef struct %s_r { fl_i64 ts; %s v; } %s_r;\n", j, et_name(e, rt), j);
    /* each side's elements in arrival order, [h, n) of them kept (those before h have gone) */
    em_sect(e, S_HELPERS, "typedef struct %s_key { %s_l *l; fl_i64 lh, ln, lcap; %s_r *r; fl_i64 rh, rn, rcap; } %s_key;\n",
            j, j, j, j);
    se_ht_decl(e, arena_printf(e->a, "%s_ht", j), n->key, arena_printf(e->a, "%s_key", j));
    ew_heap_type(e, j, n->key);
    se_field(x, "%s_ht h_%s;", j, j);
    se_field(x, "%s_due *heap_%s;   /* when each kept element can go, with its key */", j, j);
    se_field(x, "fl_i64 lo_%s, hi_%s, live_%s, abytes_%s, hn_%s, hcap_%s;", j, j, j, j, j, j);
    int line, col;
    diag_linecol(e->d, n->u.ijoin.lower->loc, &line, &col);
    em_line(e, "S->lo_%s = %s;", j, ex_expr(e, n->u.ijoin.lower));
    em_line(e, "S->hi_%s = %s;", j, ex_expr(e, n->u.ijoin.upper));
    em_line(e, "if (S->lo_%s > S->hi_%s)", j, j);
    em_line(e, "    fl_fail(t, \"%%s:%d:%d: the interval is empty: lower (%%lld ms) is above upper (%%lld ms)\", %s, "
               "S->lo_%s, S->hi_%s);", line, col, em_c_string(e, diag_source(e->d, n->u.ijoin.lower->loc.file)->path), j, j);
}

/* Appends (ts, v) to one side's array of key state _ks (grown by doubling). */
static void ij_keep(SE *x, PlanNode *n, int side, const char *v)
{
    Emit *e = x->e;
    const char *j = ij_name(x, n), *a = side ? "r" : "l";
    Type *vt = n->in[side]->elem;
    em_line(e, "if (_ks->%sn == _ks->%scap) {", a, a);
    em_line(e, "    fl_i64 c = _ks->%scap ? 2 * _ks->%scap : 4;", a, a);
    em_line(e, "    %s_%s *p = (%s_%s *)fl_calloc(c, (fl_i64)sizeof(%s_%s));", j, a, j, a, j, a);
    em_line(e, "    if (_ks->%sn) memcpy(p, _ks->%s, (fl_size)_ks->%sn * sizeof(%s_%s));", a, a, a, j, a);
    em_line(e, "    free(_ks->%s);", a);
    em_line(e, "    _ks->%s = p;", a);
    em_line(e, "    _ks->%scap = c;", a);
    em_line(e, "}");
    em_line(e, "_ks->%s[_ks->%sn].ts = _ts;", a, a);
    em_line(e, "_ks->%s[_ks->%sn++].v = %s(%s, %s);", a, a, et_helper(e, "copy", vt), se_arena(x, n), v);
    const char *until = side ? arena_printf(e->a, "_ts - S->lo_%s + 1", j) : arena_printf(e->a, "_ts + S->hi_%s + 1", j);
    em_line(e, "{");
    em_line(e, "    %s_due _d;", j);
    em_line(e, "    _d.at = %s;", until);
    em_line(e, "    _d.key = %s(%s, _row_key);", et_helper(e, "copy", n->key), se_arena(x, n));
    em_line(e, "    %s_push(&S->heap_%s, &S->hn_%s, &S->hcap_%s, _d);", j, j, j, j);
    em_line(e, "}");
}

void ew_ijoin_row(SE *x, PlanNode *n, const char *row, int side)
{
    Emit *e = x->e;
    const char *j = ij_name(x, n), *o = side ? "l" : "r";
    em_line(e, "{");
    e->indent++;
    em_line(e, "int _fresh;");
    em_line(e, "fl_i64 _at = %s_ht_at(&S->h_%s, %s._0, %s(%s._0), &_fresh);", j, j, row, et_helper(e, "hash", n->key), row);
    em_line(e, "if (_fresh) {");
    em_line(e, "    S->h_%s.slots[_at].key = %s(%s, %s._0);", j, et_helper(e, "copy", n->key), se_arena(x, n), row);
    em_line(e, "    memset(&S->h_%s.slots[_at].val, 0, sizeof(%s_key));", j, j);
    em_line(e, "}");
    em_line(e, "%s_key *_ks = &S->h_%s.slots[_at].val;", j, j);
    em_line(e, "%s _row_key = %s._0;", et_name(e, n->key), row);
    em_line(e, "if (_ks->ln == _ks->lh && _ks->rn == _ks->rh) S->live_%s++;", j);
    em_line(e, "for (fl_i64 _q = _ks->%sh; _q < _ks->%sn; _q++) {", o, o);
    e->indent++;
    em_line(e, "fl_i64 _o = _ks->%s[_q].ts;", o);
    if (side)   /* a right element at _ts meets the lefts at _o with _o + lower <= _ts <= _o + upper */
        em_line(e, "if (_ts < _o + S->lo_%s || _ts > _o + S->hi_%s) continue;", j, j);
    else
        em_line(e, "if (_o < _ts + S->lo_%s || _o > _ts + S->hi_%s) continue;", j, j);
    em_line(e, "fl_i64 _pt = _o > _ts ? _o : _ts;");
    em_line(e, "%s _p;", et_name(e, se_row_type(e, n)));
    em_line(e, "_p._0 = %s._0;", row);
    em_line(e, "_p._1._%d = %s._1;", side, row);
    em_line(e, "_p._1._%d = _ks->%s[_q].v;", 1 - side, o);
    em_line(e, "{");
    e->indent++;
    em_line(e, "fl_i64 _ts = _pt;   /* a pair's time: the later of its two */");
    em_line(e, "(void)_ts;");
    se_consume(x, n, "_p");
    e->indent--;
    em_line(e, "}");
    e->indent--;
    em_line(e, "}");
    ij_keep(x, n, side, arena_printf(e->a, "%s._1", row));
    e->indent--;
    em_line(e, "}");
}

/* One side's elements the frontier _f has passed go, from the oldest on (keep: the test
 * that keeps one at _t). They came in about time order: one that has expired behind a
 * later one that has not goes when that one does (it can match nothing new meanwhile:
 * the pairs are checked against the interval). */
static void ij_release(SE *x, const char *a, const char *keep)
{
    Emit *e = x->e;
    em_line(e, "while (_ks->%sh < _ks->%sn) {", a, a);
    em_line(e, "    fl_i64 _t = _ks->%s[_ks->%sh].ts;", a, a);
    em_line(e, "    if (%s) break;", keep);
    em_line(e, "    _ks->%sh++;", a);
    em_line(e, "}");
    em_line(e, "if (_ks->%sh == _ks->%sn) {", a, a);
    em_line(e, "    _ks->%sh = _ks->%sn = 0;", a, a);
    em_line(e, "} else if (_ks->%sh > 64 && 2 * _ks->%sh > _ks->%sn) {", a, a, a);
    em_line(e, "    memmove(_ks->%s, _ks->%s + _ks->%sh, (fl_size)(_ks->%sn - _ks->%sh) * sizeof *_ks->%s);", a, a, a, a, a, a);
    em_line(e, "    _ks->%sn -= _ks->%sh;", a, a);
    em_line(e, "    _ks->%sh = 0;", a);
    em_line(e, "}");
}

/* j_advance(t, S, f): what the frontier f has passed goes; the table is
 * rebuilt with what is live when dead keys or old copies outweigh it. */
void ew_ijoin_functions(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *j = ij_name(x, n);
    Type *lt = n->in[0]->elem, *rt = n->in[1]->elem;
    se_prologue(x, arena_printf(e->a, "void %s_advance(fl_task *t, void *_s, fl_i64 _f)", j), 1);
    em_line(e, "while (S->hn_%s && S->heap_%s[0].at <= _f) {", j, j);
    e->indent++;
    em_line(e, "%s_due _d = %s_pop(S->heap_%s, &S->hn_%s);", j, j, j, j);
    em_line(e, "fl_i64 _h = %s_ht_find(&S->h_%s, _d.key, %s(_d.key));", j, j, et_helper(e, "hash", n->key));
    em_line(e, "if (!S->h_%s.slots[_h].hash) continue;", j);
    em_line(e, "%s_key *_ks = &S->h_%s.slots[_h].val;", j, j);
    em_line(e, "if (_ks->ln == _ks->lh && _ks->rn == _ks->rh) continue;");
    ij_release(x, "l", arena_printf(e->a, "_t + S->hi_%s >= _f", j));
    ij_release(x, "r", arena_printf(e->a, "_t - S->lo_%s >= _f", j));
    em_line(e, "if (_ks->ln == _ks->lh && _ks->rn == _ks->rh) S->live_%s--;", j);
    e->indent--;
    em_line(e, "}");
    em_line(e, "if (S->h_%s.n > 1024 + 2 * S->live_%s || %s->bytes > 2 * S->abytes_%s + 4194304) {", j, j, se_arena(x, n), j);
    e->indent++;
    em_line(e, "%s_ht _nh;", j);
    em_line(e, "fl_arena _na;");
    em_line(e, "memset(&_nh, 0, sizeof _nh);");
    em_line(e, "memset(&_na, 0, sizeof _na);");
    em_line(e, "fl_i64 _nl = 0;   /* the new table made for the keys that live on: no grow on the way */");
    em_line(e, "for (fl_i64 _h = 0; _h < S->h_%s.cap; _h++) {", j);
    em_line(e, "    %s_key *_ks = &S->h_%s.slots[_h].val;", j, j);
    em_line(e, "    _nl += S->h_%s.slots[_h].hash && !(_ks->ln == _ks->lh && _ks->rn == _ks->rh);", j);
    em_line(e, "}");
    em_line(e, "%s_ht_reserve(&_nh, _nl);", j);
    em_line(e, "for (fl_i64 _h = 0; _h < S->h_%s.cap; _h++) {", j);
    e->indent++;
    em_line(e, "%s_key *_ks = &S->h_%s.slots[_h].val;", j, j);
    em_line(e, "if (!S->h_%s.slots[_h].hash) continue;", j);
    em_line(e, "if (_ks->ln == _ks->lh && _ks->rn == _ks->rh) { free(_ks->l); free(_ks->r); continue; }");
    em_line(e, "int _fr;");
    em_line(e, "fl_i64 _at = %s_ht_at(&_nh, S->h_%s.slots[_h].key, S->h_%s.slots[_h].hash, &_fr);", j, j, j);
    em_line(e, "_nh.slots[_at].key = %s(&_na, S->h_%s.slots[_h].key);", et_helper(e, "copy", n->key), j);
    em_line(e, "for (fl_i64 _i = _ks->lh; _i < _ks->ln; _i++) _ks->l[_i].v = %s(&_na, _ks->l[_i].v);", et_helper(e, "copy", lt));
    em_line(e, "for (fl_i64 _i = _ks->rh; _i < _ks->rn; _i++) _ks->r[_i].v = %s(&_na, _ks->r[_i].v);", et_helper(e, "copy", rt));
    em_line(e, "_nh.slots[_at].val = *_ks;");
    e->indent--;
    em_line(e, "}");
    em_line(e, "for (fl_i64 _i = 0; _i < S->hn_%s; _i++) S->heap_%s[_i].key = %s(&_na, S->heap_%s[_i].key);", j, j,
            et_helper(e, "copy", n->key), j);
    em_line(e, "%s_ht_free(&S->h_%s);", j, j);
    em_line(e, "fl_arena_free(%s);", se_arena(x, n));
    em_line(e, "S->h_%s = _nh;", j);
    em_line(e, "*%s = _na;", se_arena(x, n));
    em_line(e, "S->abytes_%s = _na.bytes;", j);
    e->indent--;
    em_line(e, "}");
    se_epilogue(x);
}

void ew_ijoin_close(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *j = ij_name(x, n);
    em_line(e, "for (fl_i64 _h = 0; _h < S->h_%s.cap; _h++)", j);
    em_line(e, "    if (S->h_%s.slots[_h].hash) {", j);
    em_line(e, "        free(S->h_%s.slots[_h].val.l);", j);
    em_line(e, "        free(S->h_%s.slots[_h].val.r);", j);
    em_line(e, "    }");
    em_line(e, "%s_ht_free(&S->h_%s);", j, j);
    em_line(e, "free(S->heap_%s);", j);
}
