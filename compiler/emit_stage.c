/* emit_stage.c - each stage as a state machine: a state struct st_K and its
 * functions open, produce (a source) or batch and signal, and close (see
 * "drivers" below). The driver (a source's rows, or the rows of a batch of
 * an input edge) hands each row to the stage's operators, inlined in plan
 * order: element-wise operators are statements, aggregations update their
 * state (a hash table per keyed aggregation, in the operator's own arena),
 * sinks format into a buffer, and rows bound for another stage are deep-
 * copied into the pending batch of their edge. At close the aggregations
 * are emptied, in plan order, into what follows them. Then the tables of
 * stages and phases the runtime runs. */
#define _GNU_SOURCE
#include "emit_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* A field of the stage's state struct (reached as S->name). */
void se_field(SE *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("    ", x->fields);
    vfprintf(x->fields, fmt, ap);
    fputc('\n', x->fields);
    va_end(ap);
}


/* Whether operator n keeps state, in an arena of its own (S->a_nK). */
static int has_arena(const PlanNode *n)
{
    return n->kind == PN_AGG || n->kind == PN_SCAN || n->kind == PN_LIMIT || n->kind == PN_JOIN || n->kind == PN_WINDOW ||
           n->kind == PN_IJOIN;
}

const char *se_arena(SE *x, PlanNode *n) { return arena_printf(x->e->a, "(&S->a_n%d)", n->id); }


/* ---- types of rows and accumulators ---- */

static int agg_from_local(PlanNode *n)
{
    return n->kind == PN_AGG && n->u.agg.part == AGG_GLOBAL && (n->in[0]->kind == PN_SHUFFLE || n->in[0]->kind == PN_GATHER) &&
           n->in[0]->in[0]->kind == PN_AGG && n->in[0]->in[0]->u.agg.part == AGG_LOCAL;
}

/* The type of the values being aggregated (T of stream<T> or keyed<K, T>). */
static Type *agg_value(PlanNode *n)
{
    if (agg_from_local(n))
        return n->in[0]->in[0]->in[0]->elem;
    return n->in[0]->elem;
}

static Type *agg_acc(Emit *e, PlanNode *n)
{
    switch (n->u.agg.kind) {
    case AGG_COUNT: return TYPE_I64;
    case AGG_SUM: return type_prune(n->fn->type)->u.fn.ret;
    case AGG_AVG: return type_pair(e->a, type_prune(n->fn->type)->u.fn.ret, TYPE_I64);
    case AGG_FOLD: return type_prune(n->init->type);
    default: return agg_value(n);
    }
}

Type *se_row_type(Emit *e, PlanNode *n)
{
    Type *v = n->elem;
    if (n->kind == PN_SHUFFLE || n->kind == PN_GATHER || n->kind == PN_MERGE || n->kind == PN_BROADCAST ||
        n->kind == PN_LIMIT)
        return se_row_type(e, n->in[0]);
    if (n->kind == PN_AGG && n->u.agg.part == AGG_LOCAL)
        v = agg_acc(e, n);
    return n->key ? type_pair(e->a, n->key, v) : v;
}

/* ---- edges ---- */

/* The rows an edge carries: the producer's, with their time when the
 * receiver keeps it (a pair (row, time)). */
static Type *se_edge_row(Emit *e, Edge *ed)
{
    Type *rt = se_row_type(e, ed->from);
    return ed->to->ts ? type_pair(e->a, rt, TYPE_I64) : rt;
}

static void se_edge(SE *x, PlanNode *n, Edge *ed, const char *row)
{
    Emit *e = x->e;
    Type *rt = se_row_type(e, n);
    const char *rc = et_name(e, se_edge_row(e, ed)), *orig = row;
    if (ed->to->ts) {   /* the row and its time */
        const char *p = em_temp(e);
        em_line(e, "%s %s;", rc, p);
        em_line(e, "%s._0 = %s;", p, row);
        em_line(e, "%s._1 = _ts;", p);
        row = p;
        rt = se_edge_row(e, ed);
    }
    const char *dest = "0";
    if (ed->kind == EDGE_HASH && n->key)
        dest = arena_printf(e->a, "(int)(%s(%s._0) %% (fl_u64)t->outs[%d].ndest)", et_helper(e, "hash", n->key), orig,
                            ed->out);
    else if (ed->kind == EDGE_HASH)
        dest = arena_printf(e->a, "(int)(S->rr++ %% (fl_u64)t->outs[%d].ndest)", ed->out);
    em_line(e, "{");
    e->indent++;
    if (ed->kind == EDGE_BROADCAST) {
        em_line(e, "for (int _d = 0; _d < t->outs[%d].ndest; _d++) {", ed->out);
        em_line(e, "    %s *_slot = (%s *)fl_emit(t, %d, _d);", rc, rc, ed->out);
        em_line(e, "    *_slot = %s(fl_emit_arena(t, %d, _d), %s);", et_helper(e, "copy", rt), ed->out, row);
        em_line(e, "}");
        e->indent--;
        em_line(e, "}");
        return;
    }
    em_line(e, "int _d = %s;", dest);
    em_line(e, "%s *_slot = (%s *)fl_emit(t, %d, _d);", rc, rc, ed->out);
    em_line(e, "*_slot = %s(fl_emit_arena(t, %d, _d), %s);", et_helper(e, "copy", rt), ed->out, row);
    e->indent--;
    em_line(e, "}");
}

/* ---- element-wise operators ---- */

const char *se_lambda(SE *x, Expr *fn, const char *arg)
{
    Emit *e = x->e;
    EScope *saved = e->scope;
    const char *args[1] = {arg};
    const char *r = ex_lambda(e, fn, args, 1);
    const char *v = em_temp(e);
    em_line(e, "%s %s = %s;", et_name(e, type_prune(fn->type)->u.fn.ret), v, r);
    e->scope = saved;
    return v;
}

static const char *se_keyed(SE *x, PlanNode *n, const char *row, const char *val)
{
    Emit *e = x->e;
    if (!n->key)
        return val;
    const char *v = em_temp(e);
    em_line(e, "%s %s;", et_name(e, se_row_type(e, n)), v);
    em_line(e, "%s._0 = %s._0;", v, row);
    em_line(e, "%s._1 = %s;", v, val);
    return v;
}

static void se_elementwise(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    switch (n->kind) {
    case PN_MAP: se_consume(x, n, se_keyed(x, n, row, se_lambda(x, n->fn, row))); return;
    case PN_INSPECT: se_lambda(x, n->fn, row); se_consume(x, n, row); return;
    case PN_FILTER:
        em_line(e, "if (%s) {", se_lambda(x, n->fn, row));
        e->indent++;
        se_consume(x, n, row);
        e->indent--;
        em_line(e, "}");
        return;
    case PN_FILTER_MAP: {
        const char *o = se_lambda(x, n->fn, row);
        em_line(e, "if (%s.some) {", o);
        e->indent++;
        se_consume(x, n, se_keyed(x, n, row, arena_printf(e->a, "%s.v", o)));
        e->indent--;
        em_line(e, "}");
        return;
    }
    case PN_FLAT_MAP: {
        const char *v = se_lambda(x, n->fn, row), *i = em_temp(e);
        ec_rows(x, n, arena_printf(e->a, "%s.len", v));
        em_line(e, "for (fl_i64 %s = 0; %s < %s.len; %s++) {", i, i, v, i);
        e->indent++;
        se_consume(x, n, se_keyed(x, n, row, arena_printf(e->a, "%s.data[%s]", v, i)));
        e->indent--;
        em_line(e, "}");
        return;
    }
    case PN_KEYONLY: se_consume(x, n, arena_printf(e->a, "%s._0", row)); return;
    case PN_KEY: {
        const char *k = n->u.keyfn ? se_lambda(x, n->u.keyfn, row) : row, *v = em_temp(e);
        em_line(e, "%s %s;", et_name(e, se_row_type(e, n)), v);
        em_line(e, "%s._0 = %s;", v, k);
        em_line(e, "%s._1 = %s;", v, row);
        se_consume(x, n, v);
        return;
    }
    default: se_consume(x, n, row); return;   /* unkey, and drivers handing rows on */
    }
}

void se_ht_decl(Emit *e, const char *name, Type *kt, const char *val)
{
    if (type_prune(kt)->kind == TY_STR)
        em_sect(e, S_HELPERS, "FL_HT_STR(%s, %s, %s)\n\n", name, val, et_helper(e, "hash", kt));
    else
        em_sect(e, S_HELPERS, "FL_HT(%s, %s, %s, %s, %s)\n\n", name, et_name(e, kt), val, et_helper(e, "hash", kt),
                et_helper(e, "eq", kt));
}

/* ---- aggregations ---- */

/* What an aggregation folds in: a value, or (after a local one) an accumulator. */
static Type *agg_in(Emit *e, PlanNode *n) { return agg_from_local(n) ? agg_acc(e, n) : agg_value(n); }

static void se_agg_decl(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    Type *acc = agg_acc(e, n);
    if (n->key) {
        se_ht_decl(e, arena_printf(e->a, "ht_n%d", n->id), n->key, et_name(e, acc));
        se_field(x, "ht_n%d h_n%d;", n->id, n->id);
        se_field(x, "struct { fl_u64 h, pf; %s k; %s v; } pq_n%d[FL_PROBES];   /* probes not made yet */",
                 et_name(e, n->key), et_name(e, agg_in(e, n)), n->id);
        se_field(x, "int pqn_n%d;", n->id);
    } else {
        se_field(x, "%s s_n%d;", et_name(e, acc), n->id);
        se_field(x, "int has_n%d;", n->id);
    }
}

/* acc (a C lvalue) folds in `in`: a value, or another accumulator. */
static void se_agg_fold(SE *x, PlanNode *n, const char *acc, const char *in, int partial)
{
    Emit *e = x->e;
    const char *copy = et_helper(e, "copy", agg_acc(e, n));
    switch (n->u.agg.kind) {
    case AGG_COUNT: em_line(e, "%s += %s;", acc, partial ? in : "1"); return;
    case AGG_SUM: em_line(e, "%s += %s;", acc, partial ? in : se_lambda(x, n->fn, in)); return;
    case AGG_AVG:
        if (partial)
            em_line(e, "%s._0 += %s._0; %s._1 += %s._1;", acc, in, acc, in);
        else
            em_line(e, "%s._0 += %s; %s._1 += 1;", acc, se_lambda(x, n->fn, in), acc);
        return;
    case AGG_MIN: case AGG_MAX: {
        Type *kt = type_prune(n->fn->type)->u.fn.ret;
        const char *a = se_lambda(x, n->fn, acc), *b = se_lambda(x, n->fn, in);
        const char *op = n->u.agg.kind == AGG_MIN ? "<" : ">";
        const char *better = kt->kind == TY_I64 || kt->kind == TY_F64 || kt->kind == TY_BOOL
                                 ? arena_printf(e->a, "%s %s %s", b, op, a)
                                 : arena_printf(e->a, "%s(%s, %s) %s 0", et_helper(e, "cmp", kt), b, a, op);
        em_line(e, "if (%s)", better);
        em_line(e, "    %s = %s(%s, %s);", acc, copy, se_arena(x, n), in);
        return;
    }
    case AGG_FIRST: case AGG_LAST: case AGG_COLLECT: return;   /* (window aggregations only) */
    case AGG_REDUCE: case AGG_FOLD: {
        /* An accumulator that points to nothing (numbers, bools, tuples and
         * records of them) is computed in the row's memory: nothing is kept
         * per row. Otherwise the value folded in is copied into the task's
         * memory, and the lambda allocates there: the result needs no copy
         * (so a vector accumulator grows in place, in amortised constant
         * time per element). */
        Expr *f = partial && n->u.agg.kind == AGG_FOLD ? n->u.agg.merge : n->fn;
        Type *it = partial ? agg_acc(e, n) : agg_value(n);
        EScope *saved = e->scope;
        const char *saved_arena = e->arena;
        const char *inc = em_temp(e);
        if (type_is_flat(agg_acc(e, n))) {
            em_line(e, "%s %s = %s;", et_name(e, it), inc, in);
        } else {
            em_line(e, "%s %s = %s(%s, %s);", et_name(e, it), inc, et_helper(e, "copy", it), se_arena(x, n), in);
            e->arena = se_arena(x, n);
        }
        const char *args[2] = {acc, inc};
        const char *r = ex_lambda_acc(e, f, args, 2);
        em_line(e, "%s = %s;", acc, r);
        e->arena = saved_arena;
        e->scope = saved;
        return;
    }
    }
}

/* The first value of an accumulator. */
static void se_agg_first(SE *x, PlanNode *n, const char *acc, const char *in, int partial)
{
    Emit *e = x->e;
    const char *copy = et_helper(e, "copy", agg_acc(e, n));
    if (partial) {
        em_line(e, "%s = %s(%s, %s);", acc, copy, se_arena(x, n), in);
        return;
    }
    switch (n->u.agg.kind) {
    case AGG_COUNT: em_line(e, "%s = 1;", acc); return;
    case AGG_MIN: case AGG_MAX: case AGG_REDUCE: em_line(e, "%s = %s(%s, %s);", acc, copy, se_arena(x, n), in); return;
    case AGG_FOLD: em_line(e, "%s = %s(%s, %s);", acc, copy, se_arena(x, n), ex_expr(e, n->init)); break;
    default: em_line(e, "memset(&%s, 0, sizeof %s);", acc, acc); break;
    }
    se_agg_fold(x, n, acc, in, 0);
}

/* A keyed aggregation's update of the accumulator of key (with its hash
 * hv and, for a str key, its prefix word pf; both NULL for a str key: the
 * table computes them) by in; without a key, of the one accumulator. */
static void se_agg_apply(SE *x, PlanNode *n, const char *key, const char *hv, const char *pf, const char *in)
{
    Emit *e = x->e;
    int partial = agg_from_local(n);
    const char *acc;
    if (n->key) {
        const char *slot = em_temp(e), *fresh = em_temp(e);
        em_line(e, "int %s;", fresh);
        if (pf)
            em_line(e, "fl_i64 %s = ht_n%d_at_pf(&S->h_n%d, %s, %s, %s, &%s);", slot, n->id, n->id, key, hv, pf, fresh);
        else if (hv)
            em_line(e, "fl_i64 %s = ht_n%d_at(&S->h_n%d, %s, %s, &%s);", slot, n->id, n->id, key, hv, fresh);
        else
            em_line(e, "fl_i64 %s = ht_n%d_at_key(&S->h_n%d, %s, &%s);", slot, n->id, n->id, key, fresh);
        acc = arena_printf(e->a, "S->h_n%d.slots[%s].val", n->id, slot);
        em_line(e, "if (%s) {", fresh);
        e->indent++;
        em_line(e, "S->h_n%d.slots[%s].key = %s(%s, %s);", n->id, slot, et_helper(e, "copy", n->key), se_arena(x, n), key);
    } else {
        acc = arena_printf(e->a, "S->s_n%d", n->id);
        em_line(e, "if (!S->has_n%d) {", n->id);
        e->indent++;
        em_line(e, "S->has_n%d = 1;", n->id);
    }
    se_agg_first(x, n, acc, in, partial);
    e->indent--;
    em_line(e, "} else {");
    e->indent++;
    se_agg_fold(x, n, acc, in, partial);
    e->indent--;
    em_line(e, "}");
}

/* The hash of a key that is not a str in keyed aggregation n's table (a
 * str key's is the table's own, fl_str_thash_pf, with its prefix word). */
static const char *se_agg_hash(Emit *e, PlanNode *n, const char *key)
{
    return arena_printf(e->a, "%s(%s)", et_helper(e, "hash", n->key), key);
}

/* A row into an aggregation. A keyed one whose table has outgrown the
 * cache (FL_HT_SMALL) probes it in groups of FL_PROBES: the row waits in pq_nK with its hash while the slot it will
 * probe is prefetched, and the group is applied when full (pq_nK_drain) or
 * at the end of the call (se_free_tmp), before the row's memory goes: the
 * cache misses of a large table overlap instead of following each other. */
static void se_agg_update(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    if (!n->key) {
        se_agg_apply(x, n, NULL, NULL, NULL, row);
        return;
    }
    const char *q = arena_printf(e->a, "S->pq_n%d[_q]", n->id);
    em_line(e, "if (FL_HT_SMALL(S->h_n%d) && !S->pqn_n%d) {   /* a table in the cache: at once */", n->id, n->id);
    e->indent++;
    const char *k = arena_printf(e->a, "%s._0", row);
    int str = type_prune(n->key)->kind == TY_STR;
    se_agg_apply(x, n, k, str ? NULL : se_agg_hash(e, n, k), NULL, arena_printf(e->a, "%s._1", row));
    e->indent--;
    em_line(e, "} else {");
    em_line(e, "    int _q = S->pqn_n%d++;", n->id);
    em_line(e, "    %s.k = %s._0;", q, row);
    em_line(e, "    %s.v = %s._1;", q, row);
    if (str) {   /* (the prefix word loaded once, for the hash and the probe) */
        em_line(e, "    %s.pf = fl_str_pfx(%s.k);", q, q);
        em_line(e, "    %s.h = fl_str_thash_pf(%s.k, %s.pf);", q, q, q);
    } else {
        em_line(e, "    %s.h = %s;", q, se_agg_hash(e, n, arena_printf(e->a, "%s.k", q)));
    }
    em_line(e, "    FL_HT_PREFETCH(S->h_n%d, %s.h);", n->id, q);
    em_line(e, "    if (_q + 1 == FL_PROBES)");
    em_line(e, "        pq_n%d_drain(t, S);", n->id);
    em_line(e, "}");
}

/* pq_nK_drain: the waiting probes of keyed aggregation n applied in order. */
static void se_agg_drain_fn(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    se_prologue(x, arena_printf(e->a, "void pq_n%d_drain(fl_task *t, void *_s)", n->id), 1);
    em_line(e, "for (int _p = 0; _p < S->pqn_n%d; _p++) {", n->id);
    e->indent++;
    const char *q = arena_printf(e->a, "S->pq_n%d[_p]", n->id);
    em_line_dir(e, n->loc);
    se_agg_apply(x, n, arena_printf(e->a, "%s.k", q), arena_printf(e->a, "%s.h", q),
                 type_prune(n->key)->kind == TY_STR ? arena_printf(e->a, "%s.pf", q) : NULL, arena_printf(e->a, "%s.v", q));
    e->indent--;
    em_line(e, "}");
    em_line(e, "S->pqn_n%d = 0;", n->id);
    se_epilogue(x);
}

static int se_probes_grouped(const PlanNode *n) { return n->kind == PN_AGG && n->key; }

/* The end of a call: waiting probes applied, then the call's scratch
 * memory emptied (its block kept for the next call). */
static void se_free_tmp(SE *x)
{
    for (int i = 0; i < x->s->nodes.len; i++) {
        PlanNode *n = x->s->nodes.items[i];
        if (se_probes_grouped(n))
            em_line(x->e, "if (S->pqn_n%d) pq_n%d_drain(t, S);", n->id, n->id);
    }
    em_line(x->e, "fl_arena_reset(_A);");
}

/* The value an accumulator stands for. */
static const char *se_agg_final(SE *x, PlanNode *n, const char *acc)
{
    if (n->u.agg.part == AGG_LOCAL || n->u.agg.kind != AGG_AVG)
        return acc;
    return arena_printf(x->e->a, "((double)%s._0 / (double)%s._1)", acc, acc);
}

static void se_agg_finish(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    em_line(e, "/* %s: the end of `%s` */", plan_kind_name(n->kind), n->op);
    if (n->key) {
        em_line(e, "pq_n%d_drain(t, S);", n->id);
        const char *i = em_temp(e);
        em_line(e, "for (fl_i64 %s = 0; %s < S->h_n%d.cap; %s++) {", i, i, n->id, i);
        e->indent++;
        em_line(e, "if (!S->h_n%d.slots[%s].hash)", n->id, i);
        em_line(e, "    continue;");
        const char *r = em_temp(e);
        em_line(e, "%s %s;", et_name(e, se_row_type(e, n)), r);
        em_line(e, "%s._0 = S->h_n%d.slots[%s].key;", r, n->id, i);
        em_line(e, "%s._1 = %s;", r, se_agg_final(x, n, arena_printf(e->a, "S->h_n%d.slots[%s].val", n->id, i)));
        se_consume(x, n, r);
        e->indent--;
        em_line(e, "}");
        em_line(e, "ht_n%d_free(&S->h_n%d);", n->id, n->id);
        return;
    }
    int always = n->u.agg.part != AGG_LOCAL && (n->u.agg.kind == AGG_COUNT || n->u.agg.kind == AGG_SUM || n->u.agg.kind == AGG_FOLD);
    if (always && n->u.agg.kind == AGG_FOLD) {
        em_line(e, "if (!S->has_n%d) {", n->id);
        e->indent++;
        em_line(e, "S->s_n%d = %s;", n->id, ex_expr(e, n->init));
        e->indent--;
        em_line(e, "}");
    }
    em_line(e, "if (S->has_n%d%s) {", n->id, always ? " || 1" : "");
    e->indent++;
    se_consume(x, n, se_agg_final(x, n, arena_printf(e->a, "S->s_n%d", n->id)));
    e->indent--;
    em_line(e, "}");
}

/* ---- each operator's memory, and its compaction ----
 * Every operator that keeps state (an aggregation, a scan, a global limit,
 * a join) has an arena of its own in the stage's state, S->a_nK. An
 * aggregation or scan whose state holds strings or vectors leaves old
 * values behind there at every row: when its arena has grown past twice
 * what was live after its last compaction (and 4 MiB), its live keys and
 * states are copied into a fresh arena and the old one is freed, so its
 * memory stays bounded by its state. */

static Type *scan_state(PlanNode *n);

/* The state type of an aggregation or a scan (NULL for other nodes). */
static Type *se_state_type(SE *x, PlanNode *n)
{
    return n->kind == PN_AGG ? agg_acc(x->e, n) : n->kind == PN_SCAN ? scan_state(n) : NULL;
}

static int se_compacts(SE *x, PlanNode *n)
{
    Type *st = se_state_type(x, n);
    return st && !type_is_flat(st);
}

static void se_compact_agg(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *ca = et_helper(e, "copy", se_state_type(x, n));
    if (!n->key) {
        em_line(e, "    S->s_n%d = %s(&_new, S->s_n%d);", n->id, ca, n->id);
        return;
    }
    em_line(e, "    for (fl_i64 _s = 0; _s < S->h_n%d.cap; _s++)", n->id);
    em_line(e, "        if (S->h_n%d.slots[_s].hash) {", n->id);
    em_line(e, "            S->h_n%d.slots[_s].key = %s(&_new, S->h_n%d.slots[_s].key);", n->id, et_helper(e, "copy", n->key), n->id);
    em_line(e, "            S->h_n%d.slots[_s].val = %s(&_new, S->h_n%d.slots[_s].val);", n->id, ca, n->id);
    em_line(e, "        }");
}

static void se_compact(SE *x)
{
    Emit *e = x->e;
    for (int i = 0; i < x->s->nodes.len; i++) {
        PlanNode *n = x->s->nodes.items[i];
        if (!se_compacts(x, n))
            continue;
        int id = n->id;
        em_line(e, "if (S->a_n%d.bytes > 2 * S->live_n%d + 4194304) {   /* compaction */", id, id);
        em_line(e, "    fl_arena _new;");
        em_line(e, "    memset(&_new, 0, sizeof _new);");
        se_compact_agg(x, n);
        em_line(e, "    fl_arena_free(&S->a_n%d);", id);
        em_line(e, "    S->a_n%d = _new;", id);
        em_line(e, "    S->live_n%d = S->a_n%d.bytes;", id, id);
        em_line(e, "}");
    }
}

/* The arenas of the stage's operators: fields of its state, freed at close. */
static void se_arenas(SE *x, int close)
{
    for (int i = 0; i < x->s->nodes.len; i++) {
        PlanNode *n = x->s->nodes.items[i];
        if (!has_arena(n))
            continue;
        if (close)
            em_line(x->e, "fl_arena_free(&S->a_n%d);", n->id);
        else
            se_field(x, "fl_arena a_n%d;", n->id);
        if (!close && se_compacts(x, n))
            se_field(x, "fl_i64 live_n%d;   /* its memory after its last compaction */", n->id);
    }
}

/* ---- sinks ---- */

static Type *sink_row(SE *x, PlanNode *n) { return se_row_type(x->e, n->in[0]); }

/* ---- the sink of a phase: collect() or one() into the global pv_K ---- */

static void se_value_open(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    if (!strcmp(n->op, "collect")) {
        se_field(x, "%s vacc_n%d;", et_name(e, el_value_type(e, n)), n->id);
    }
    se_field(x, "fl_i64 vcnt_n%d;", n->id);
}

static void se_value_row(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    Type *rt = sink_row(x, n);
    const char *rc = et_name(e, rt), *copy = et_helper(e, "copy", rt);
    const char *arena = el_value_arena(e, n);
    int id = n->id;
    if (strcmp(n->op, "collect")) {
        em_line(e, "if (S->vcnt_n%d++ == 0)", id);
        em_line(e, "    %s = %s(%s, %s);", el_value_global(e, n), copy, arena, row);
        return;
    }
    em_vec_push(e, arena_printf(e->a, "S->vacc_n%d", id), rc, arena, arena_printf(e->a, "%s(%s, %s)", copy, arena, row));
}

static void se_value_close(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    if (!strcmp(n->op, "collect")) {
        em_line(e, "%s = S->vacc_n%d;", el_value_global(e, n), n->id);
        return;
    }
    int line, col;
    diag_linecol(e->d, n->loc, &line, &col);
    const char *file = diag_source(e->d, n->loc.file)->path;
    em_line(e, "if (S->vcnt_n%d != 1)", n->id);
    em_line(e, "    fl_fail(t, \"%%s:%d:%d: one() needs exactly one element; the stream has %%lld\", %s, S->vcnt_n%d);", line, col,
            em_c_string(e, file), n->id);
}

/* ---- a loop's store: the rows of each task, kept for a later phase ---- */

static void se_store_open(SE *x, PlanNode *n)
{
    se_field(x, "fl_store *st_n%d;", n->id);
    em_line(x->e, "S->st_n%d = fl_store_of(t, %d);", n->id, n->u.sink.slot);
}

static void se_store_row(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    Type *rt = sink_row(x, n);
    const char *rc = et_name(e, rt);
    em_line(e, "*(%s *)fl_store_push(S->st_n%d, (fl_i64)sizeof(%s)) = %s(fl_store_arena(S->st_n%d), %s);", rc, n->id, rc,
            et_helper(e, "copy", rt), n->id, row);
}

/* Whether sink n writes text through a buffer of its own (S->sb_nK). */
static int se_text_sink(const PlanNode *n)
{
    return n->kind == PN_SINK && n->u.sink.value < 0 && n->u.sink.delta < 0 && n->u.sink.slot < 0 &&
           strcmp(n->op, "for_each");
}

/* An unbounded job: after each call, the stage's text sinks hand on what
 * they hold (the runtime writes it out when the task has nothing to do). */
static void se_sinks_out(SE *x)
{
    for (int i = 0; x->e->unbounded && i < x->s->nodes.len; i++) {
        PlanNode *n = x->s->nodes.items[i];
        if (!se_text_sink(n))
            continue;
        em_line(x->e, "if (S->sb_n%d.len) {", n->id);
        em_line(x->e, "    fl_sink_write(S->sk_n%d, S->sb_n%d.p, S->sb_n%d.len);", n->id, n->id, n->id);
        em_line(x->e, "    S->sb_n%d.len = 0;", n->id);
        em_line(x->e, "}");
    }
}

static void se_sink_open(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *name = n->op;
    if (n->u.sink.value >= 0 || n->u.sink.delta >= 0) {
        se_value_open(x, n);
        return;
    }
    if (n->u.sink.slot >= 0) {
        se_store_open(x, n);
        return;
    }
    if (!strcmp(name, "for_each"))
        return;
    if (!strcmp(name, "to_host")) {
        ea_sink_open(x, n, type_prune(sink_row(x, n)), n->in[0]->key != NULL, NULL);
        return;
    }
    const Op *op = n->call->u.call.op;
    Expr *path = op->nparams ? sema_call_arg(n->call, op, 0) : NULL;
    const char *p = !strcmp(name, "print") ? "fl_lit(\"-\", 1)" : ex_expr(e, path);
    if (!strcmp(name, "write_arrow")) {
        ea_sink_open(x, n, type_prune(sink_row(x, n)), n->in[0]->key != NULL, p);
        return;
    }
    se_field(x, "fl_sink *sk_n%d;", n->id);
    em_line(e, "S->sk_n%d = fl_sink_open(t, %s);", n->id, p);
    se_field(x, "fl_buf sb_n%d;", n->id);
    se_field(x, "fl_i64 cnt_n%d;", n->id);
    em_line(e, "(void)S->cnt_n%d;", n->id);
    if (!strcmp(name, "write_csv")) {
        Type *rt = sink_row(x, n);
        em_line(e, "%s(&S->sb_n%d);", et_helper(e, n->in[0]->key ? "csvhk" : "csvh", rt), n->id);
    }
}

static void se_sink_row(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    const char *name = n->op;
    if (n->u.sink.value >= 0 || n->u.sink.delta >= 0) {
        se_value_row(x, n, row);
        return;
    }
    if (n->u.sink.slot >= 0) {
        se_store_row(x, n, row);
        return;
    }
    Type *rt = type_prune(sink_row(x, n));
    if (!strcmp(name, "for_each")) {
        se_lambda(x, n->fn ? n->fn : sema_call_arg(n->call, n->call->u.call.op, 0), row);
        return;
    }
    if (!strcmp(name, "count_into")) {
        em_line(e, "S->cnt_n%d++;", n->id);
        return;
    }
    if (!strcmp(name, "write_arrow")) {
        ea_sink_row(x, n, rt, row);
        return;
    }
    if (!strcmp(name, "to_host")) {
        em_line(e, "if (S->aw_n%d) {   /* the host takes Arrow batches */", n->id);
        e->indent++;
        ea_sink_row(x, n, rt, row);
        e->indent--;
        em_line(e, "} else {");
        em_line(e, "    %s _h = %s;", et_name(e, rt), row);
        em_line(e, "    fl_host_out(t, %d, &_h);", el_host_index(e, n, rt, 1));
        em_line(e, "}");
        return;
    }
    const char *fmt = !strcmp(name, "write_csv") ? "csv" : "print";
    if (!strcmp(name, "write_jsonl"))
        ej_sink_row(x, n, rt, row);
    else
        em_line(e, "%s(&S->sb_n%d, %s);", et_helper(e, fmt, rt), n->id, row);
    em_line(e, "fl_buf_putc(&S->sb_n%d, '\\n');", n->id);
    em_line(e, "if (S->sb_n%d.len >= 65536) {", n->id);
    em_line(e, "    fl_sink_write(S->sk_n%d, S->sb_n%d.p, S->sb_n%d.len);", n->id, n->id, n->id);
    em_line(e, "    S->sb_n%d.len = 0;", n->id);
    em_line(e, "}");
}

static void se_sink_close(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    if (n->u.sink.value >= 0 || n->u.sink.delta >= 0) {
        se_value_close(x, n);
        return;
    }
    if (n->u.sink.slot >= 0 || !strcmp(n->op, "for_each"))
        return;
    if (!strcmp(n->op, "write_arrow") || !strcmp(n->op, "to_host")) {
        em_line(e, "fl_arrow_close(S->aw_n%d);", n->id);
        return;
    }
    if (!strcmp(n->op, "count_into")) {
        em_line(e, "fl_buf_i64(&S->sb_n%d, S->cnt_n%d);", n->id, n->id);
        em_line(e, "fl_buf_putc(&S->sb_n%d, '\\n');", n->id);
    }
    em_line(e, "fl_sink_write(S->sk_n%d, S->sb_n%d.p, S->sb_n%d.len);", n->id, n->id, n->id);
    em_line(e, "fl_buf_free(&S->sb_n%d);", n->id);
    em_line(e, "fl_sink_close(S->sk_n%d);", n->id);
}

/* ---- scan and limit ---- */

static Type *scan_state(PlanNode *n) { return type_prune(n->init->type); }  /* (declared above) */

static void se_scan_decl(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *sc = et_name(e, scan_state(n));
    if (n->key) {
        se_ht_decl(e, arena_printf(e->a, "ht_n%d", n->id), n->key, sc);
        se_field(x, "ht_n%d h_n%d;", n->id, n->id);
    } else {
        se_field(x, "%s s_n%d;", sc, n->id);
        em_line(e, "S->s_n%d = %s(%s, %s);", n->id, et_helper(e, "copy", scan_state(n)), se_arena(x, n),
                ex_expr(e, n->init));
    }
}

static void se_scan(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    const char *st = arena_printf(e->a, "S->s_n%d", n->id);
    const char *copy = et_helper(e, "copy", scan_state(n));
    if (n->key) {
        const char *slot = em_temp(e), *fresh = em_temp(e);
        em_line(e, "int %s;", fresh);
        em_line(e, "fl_i64 %s = ht_n%d_at(&S->h_n%d, %s._0, %s(%s._0), &%s);", slot, n->id, n->id, row,
                et_helper(e, "hash", n->key), row, fresh);
        em_line(e, "if (%s) {", fresh);
        em_line(e, "    S->h_n%d.slots[%s].key = %s(%s, %s._0);", n->id, slot, et_helper(e, "copy", n->key), se_arena(x, n), row);
        em_line(e, "    S->h_n%d.slots[%s].val = %s(%s, %s);", n->id, slot, copy, se_arena(x, n), ex_expr(e, n->init));
        em_line(e, "}");
        st = arena_printf(e->a, "S->h_n%d.slots[%s].val", n->id, slot);
    }
    EScope *saved = e->scope;
    const char *args[2] = {st, row};
    const char *r = em_temp(e);
    em_line(e, "%s %s = %s;", et_name(e, type_prune(n->fn->type)->u.fn.ret), r, ex_lambda(e, n->fn, args, 2));
    e->scope = saved;
    em_line(e, "%s = %s(%s, %s._0);", st, copy, se_arena(x, n), r);
    se_consume(x, n, se_keyed(x, n, row, arena_printf(e->a, "%s._1", r)));
}

static void se_scan_finish(SE *x, PlanNode *n)
{
    if (n->key)
        em_line(x->e, "ht_n%d_free(&S->h_n%d);", n->id, n->id);
}

static void se_limit_decl(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    se_field(x, "fl_i64 lim_n%d;", n->id);
    em_line(e, "S->lim_n%d = %s;", n->id, ex_expr(e, sema_call_arg(n->call, n->call->u.call.op, 0)));
    se_field(x, "fl_i64 cnt_n%d;", n->id);
    if (!n->u.local) {
        const char *rc = et_name(e, se_row_type(e, n));
        se_field(x, "%s *rows_n%d;", rc, n->id);
        se_field(x, "int *from_n%d;", n->id);
        se_field(x, "fl_i64 cap_n%d;", n->id);
    }
}

/* The local part passes the first n of each task; the global part keeps
 * what arrives, with its sender, and emits in sender (= source) order. */
static void se_limit(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    if (n->u.local) {
        em_line(e, "if (S->cnt_n%d < S->lim_n%d) {", n->id, n->id);
        e->indent++;
        em_line(e, "S->cnt_n%d++;", n->id);
        se_consume(x, n, row);
        e->indent--;
        em_line(e, "}");
        return;
    }
    Type *rt = se_row_type(e, n);
    const char *rc = et_name(e, rt);
    em_line(e, "if (S->cnt_n%d == S->cap_n%d) {", n->id, n->id);
    em_line(e, "    fl_i64 c = S->cap_n%d ? 2 * S->cap_n%d : 64;", n->id, n->id);
    em_line(e, "    %s *r = (%s *)fl_alloc(%s, c * (fl_i64)sizeof(%s));", rc, rc, se_arena(x, n), rc);
    em_line(e, "    int *f = (int *)fl_alloc(%s, c * (fl_i64)sizeof(int));", se_arena(x, n));
    em_line(e, "    if (S->cnt_n%d) { memcpy(r, S->rows_n%d, (fl_size)S->cnt_n%d * sizeof(%s)); memcpy(f, S->from_n%d, (fl_size)S->cnt_n%d * sizeof(int)); }",
            n->id, n->id, n->id, rc, n->id, n->id);
    em_line(e, "    S->rows_n%d = r;", n->id);
    em_line(e, "    S->from_n%d = f;", n->id);
    em_line(e, "    S->cap_n%d = c;", n->id);
    em_line(e, "}");
    em_line(e, "S->rows_n%d[S->cnt_n%d] = %s(%s, %s);", n->id, n->id, et_helper(e, "copy", rt), se_arena(x, n), row);
    em_line(e, "S->from_n%d[S->cnt_n%d++] = _from;", n->id, n->id);
}

static void se_limit_finish(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    if (n->u.local)
        return;
    em_line(e, "{");
    e->indent++;
    em_line(e, "fl_i64 _out = 0;");
    em_line(e, "int _maxf = 0;");
    em_line(e, "for (fl_i64 _i = 0; _i < S->cnt_n%d; _i++)", n->id);
    em_line(e, "    if (S->from_n%d[_i] > _maxf) _maxf = S->from_n%d[_i];", n->id, n->id);
    em_line(e, "for (int _f = 0; _f <= _maxf; _f++)");
    em_line(e, "    for (fl_i64 _i = 0; _i < S->cnt_n%d; _i++)", n->id);
    em_line(e, "        if (S->from_n%d[_i] == _f && _out < S->lim_n%d) {", n->id, n->id);
    e->indent += 3;
    em_line(e, "_out++;");
    se_consume(x, n, arena_printf(e->a, "S->rows_n%d[_i]", n->id));
    e->indent -= 3;
    em_line(e, "        }");
    e->indent--;
    em_line(e, "}");
}

/* ---- join: the right side kept (rows in arrival order, chained per
 * key), then each left row matched as it arrives ---- */

static void se_join_side_decl(SE *x, PlanNode *n, int side)
{
    Emit *e = x->e;
    PlanNode *in = n->in[side];
    const char *rc = et_name(e, se_row_type(e, in));
    se_ht_decl(e, arena_printf(e->a, "ht_n%d_%d", n->id, side), in->key, "fl_i64");
    se_field(x, "ht_n%d_%d jh%d_n%d;", n->id, side, side, n->id);
    se_field(x, "%s *jr%d_n%d;", rc, side, n->id);
    se_field(x, "fl_i64 *jn%d_n%d;", side, n->id);
    se_field(x, "unsigned char *jm%d_n%d;", side, n->id);
    se_field(x, "fl_i64 jc%d_n%d, jcap%d_n%d;", side, n->id, side, n->id);
}

static void se_join_keep(SE *x, PlanNode *n, int side, const char *row)
{
    Emit *e = x->e;
    Type *rt = se_row_type(e, n->in[side]);
    const char *rc = et_name(e, rt);
    int id = n->id;
    em_line(e, "if (S->jc%d_n%d == S->jcap%d_n%d) {", side, id, side, id);
    em_line(e, "    fl_i64 c = S->jcap%d_n%d ? 2 * S->jcap%d_n%d : 256;", side, id, side, id);
    em_line(e, "    %s *r = (%s *)fl_alloc(%s, c * (fl_i64)sizeof(%s));", rc, rc, se_arena(x, n), rc);
    em_line(e, "    fl_i64 *nx = (fl_i64 *)fl_alloc(%s, c * (fl_i64)sizeof(fl_i64));", se_arena(x, n));
    em_line(e, "    unsigned char *m = (unsigned char *)fl_alloc(%s, c);", se_arena(x, n));
    em_line(e, "    if (S->jc%d_n%d) {", side, id);
    em_line(e, "        memcpy(r, S->jr%d_n%d, (fl_size)S->jc%d_n%d * sizeof(%s));", side, id, side, id, rc);
    em_line(e, "        memcpy(nx, S->jn%d_n%d, (fl_size)S->jc%d_n%d * sizeof(fl_i64));", side, id, side, id);
    em_line(e, "    }");
    em_line(e, "    memset(m, 0, (fl_size)c);");
    em_line(e, "    S->jr%d_n%d = r; S->jn%d_n%d = nx; S->jm%d_n%d = m; S->jcap%d_n%d = c;", side, id, side, id, side, id, side, id);
    em_line(e, "}");
    em_line(e, "{");
    em_line(e, "    int _fresh;");
    em_line(e, "    fl_i64 _k = S->jc%d_n%d++;", side, id);
    em_line(e, "    S->jr%d_n%d[_k] = %s(%s, %s);", side, id, et_helper(e, "copy", rt), se_arena(x, n), row);
    em_line(e, "    fl_i64 _s = ht_n%d_%d_at(&S->jh%d_n%d, S->jr%d_n%d[_k]._0, %s(S->jr%d_n%d[_k]._0), &_fresh);", id, side, side,
            id, side, id, et_helper(e, "hash", n->in[side]->key), side, id);
    em_line(e, "    S->jn%d_n%d[_k] = _fresh ? -1 : S->jh%d_n%d.slots[_s].val;", side, id, side, id);
    em_line(e, "    S->jh%d_n%d.slots[_s].val = _k;", side, id);
    em_line(e, "}");
}

/* An output pair from a left and a right value (either may be missing). */
static void se_join_emit(SE *x, PlanNode *n, const char *l, const char *r)
{
    Emit *e = x->e;
    Type *out = type_prune(n->elem);
    const char *v = em_temp(e);
    em_line(e, "%s %s;", et_name(e, out), v);
    em_line(e, "memset(&%s, 0, sizeof %s);", v, v);
    const char *parts[2] = {l, r};
    for (int i = 0; i < 2; i++) {
        int opt = type_prune(out->u.tuple.elems[i])->kind == TY_OPT && (i == 1 ? n->u.join.how >= 1 : n->u.join.how == 2);
        if (!parts[i])
            continue;
        if (opt)
            em_line(e, "%s._%d.some = 1; %s._%d.v = %s;", v, i, v, i, parts[i]);
        else
            em_line(e, "%s._%d = %s;", v, i, parts[i]);
    }
    se_consume(x, n, v);
}

/* A probe of the kept right side with one left row: its matches out (and
 * marked, for an outer join), or the row alone for a left or outer join. */
static void se_join_probe(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    int id = n->id;
    const char *l = arena_printf(e->a, "%s._1", row);
    em_line(e, "fl_i64 _j = -1;");
    em_line(e, "if (S->jh1_n%d.cap) {", id);
    em_line(e, "    fl_u64 _h = %s(%s._0);", et_helper(e, "hash", n->in[0]->key), row);
    em_line(e, "    fl_i64 _s = ht_n%d_1_find(&S->jh1_n%d, %s._0, _h);", id, id, row);
    em_line(e, "    if (S->jh1_n%d.slots[_s].hash) _j = S->jh1_n%d.slots[_s].val;", id, id);
    em_line(e, "}");
    if (n->u.join.how >= 1) {
        em_line(e, "if (_j < 0) {");
        e->indent++;
        se_join_emit(x, n, l, NULL);
        e->indent--;
        em_line(e, "}");
    }
    em_line(e, "for (; _j >= 0; _j = S->jn1_n%d[_j]) {", id);
    e->indent++;
    em_line(e, "S->jm1_n%d[_j] = 1;", id);
    se_join_emit(x, n, l, arena_printf(e->a, "S->jr1_n%d[_j]._1", id));
    e->indent--;
    em_line(e, "}");
}

/* After the left side: an outer join's unmatched right rows. */
static void se_join_finish(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    int id = n->id;
    if (n->u.join.how == 2) {
        em_line(e, "for (fl_i64 _r = 0; _r < S->jc1_n%d; _r++)", id);
        em_line(e, "    if (!S->jm1_n%d[_r]) {", id);
        e->indent += 2;
        se_join_emit(x, n, NULL, arena_printf(e->a, "S->jr1_n%d[_r]._1", id));
        e->indent -= 2;
        em_line(e, "    }");
    }
    em_line(e, "ht_n%d_1_free(&S->jh1_n%d);", id, id);
}

/* The rows of batch `batch` (of row type rt) through body; then the
 * rows' scratch memory freed (and the state compacted when it grew). */
static void se_batch_rows(SE *x, PlanNode *n, const char *batch, Type *rt,
                          void (*body)(SE *, PlanNode *, const char *))
{
    Emit *e = x->e;
    int stamped = n == x->s->driver && n->ts;   /* (a join or zip driver has no time: plan_time) */
    if (stamped)
        rt = type_pair(e->a, rt, TYPE_I64);
    const char *rc = et_name(e, rt);
    em_line(e, "{");
    e->indent++;
    em_line(e, "%s *_rowsv = (%s *)%s->rows;", rc, rc, batch);
    em_line(e, "int _from = %s->from;", batch);
    em_line(e, "(void)_from;");
    em_line(e, "for (fl_i64 _i = 0; _i < %s->n; _i++) {", batch);
    e->indent++;
    if (stamped)
        em_line(e, "fl_i64 _ts = _rowsv[_i]._1;");
    body(x, n, stamped ? "_rowsv[_i]._0" : "_rowsv[_i]");
    e->indent--;
    em_line(e, "}");
    se_free_tmp(x);
    se_compact(x);
    e->indent--;
    em_line(e, "}");
}

static void se_join_keep1(SE *x, PlanNode *n, const char *row) { se_join_keep(x, n, 1, row); }

/* A join's state beyond its tables: the left batches that wait for the
 * right side to end (input 1 is kept; a left batch is probed at once when
 * the right side has ended, else held: so one upstream task feeding both
 * inputs, a self-join, never waits on the other). */
static void se_join_open(SE *x, PlanNode *n)
{
    se_field(x, "fl_batch *held;");
    se_field(x, "fl_batch **held_tail;");
    se_field(x, "int right_done;");
    em_line(x->e, "S->held_tail = &S->held;");
    em_line(x->e, "S->right_done = fl_ended(t, 1);");
    se_join_side_decl(x, n, 1);
}

/* on_batch of a join: keep (right), hold (left, right side not ended) or probe. */
static void se_join_batch(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    em_line(e, "if (_b->input == 1) {");
    e->indent++;
    se_batch_rows(x, n, "_b", se_row_type(e, n->in[1]), se_join_keep1);
    e->indent--;
    em_line(e, "} else if (!S->right_done) {");
    em_line(e, "    _b->next = 0;");
    em_line(e, "    *S->held_tail = _b;");
    em_line(e, "    S->held_tail = &_b->next;");
    em_line(e, "    return 1;   /* held: given back once probed */");
    em_line(e, "} else {");
    e->indent++;
    se_batch_rows(x, n, "_b", se_row_type(e, n->in[0]), se_join_probe);
    e->indent--;
    em_line(e, "}");
}

/* on_signal of a join: when the right side has ended, the held left batches are probed. */
static void se_join_signal(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    em_line(e, "if (_m->kind == FL_MSG_END && _m->input == 1 && !S->right_done && fl_ended(t, 1)) {");
    e->indent++;
    em_line(e, "S->right_done = 1;");
    em_line(e, "while (S->held) {");
    e->indent++;
    em_line(e, "fl_batch *_hb = S->held;");
    em_line(e, "S->held = _hb->next;");
    se_batch_rows(x, n, "_hb", se_row_type(e, n->in[0]), se_join_probe);
    em_line(e, "fl_done(t, _hb);");
    e->indent--;
    em_line(e, "}");
    em_line(e, "S->held_tail = &S->held;");
    e->indent--;
    em_line(e, "}");
}

/* At close: what still waits (the job stops) is given back. */
static void se_join_close(SE *x)
{
    em_line(x->e, "while (S->held) {");
    em_line(x->e, "    fl_batch *_hb = S->held;");
    em_line(x->e, "    S->held = _hb->next;");
    em_line(x->e, "    fl_done(t, _hb);");
    em_line(x->e, "}");
}

/* ---- zip: the batches kept by input and sender (runtime/zip.c), the
 * pairs that are ready handed on after each message ---- */

static void se_zip_pump(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *ta = et_name(e, se_row_type(e, n->in[0])), *tb = et_name(e, se_row_type(e, n->in[1]));
    em_line(e, "void *_pa, *_pb;");
    em_line(e, "while (fl_zip_next(S->z, t, &_pa, &_pb)) {");
    e->indent++;
    em_line(e, "%s _row;", et_name(e, n->elem));
    em_line(e, "_row._0 = *(%s *)_pa;", ta);
    em_line(e, "_row._1 = *(%s *)_pb;", tb);
    se_consume(x, n, "_row");
    e->indent--;
    em_line(e, "}");
    se_free_tmp(x);
    se_compact(x);
}

static void se_zip_batch(SE *x, PlanNode *n)
{
    em_line(x->e, "fl_zip_batch(S->z, _b);   /* kept: given back once paired */");
    se_zip_pump(x, n);
    em_line(x->e, "return 1;");
}

static void se_zip_signal(SE *x, PlanNode *n)
{
    em_line(x->e, "if (_m->kind == FL_MSG_END)");
    em_line(x->e, "    fl_zip_end(S->z, _m->input, _m->from);");
    se_zip_pump(x, n);
}

/* ---- window_join's driver: each side's rows as (some(x), none) or
 * (none, some(y)), keyed, into the window after it ---- */

static void se_wjoin_side(SE *x, PlanNode *n, const char *row, int side)
{
    Emit *e = x->e;
    const char *u = em_temp(e), *k = em_temp(e);
    em_line(e, "%s %s;", et_name(e, n->elem), u);
    em_line(e, "memset(&%s, 0, sizeof %s);", u, u);
    em_line(e, "%s._%d.some = 1;", u, side);
    em_line(e, "%s._%d.v = %s._1;", u, side, row);
    em_line(e, "%s %s;", et_name(e, se_row_type(e, n)), k);
    em_line(e, "%s._0 = %s._0;", k, row);
    em_line(e, "%s._1 = %s;", k, u);
    se_consume(x, n, k);
}

static void se_wjoin_left(SE *x, PlanNode *n, const char *row) { se_wjoin_side(x, n, row, 0); }
static void se_wjoin_right(SE *x, PlanNode *n, const char *row) { se_wjoin_side(x, n, row, 1); }

/* The rows of a batch of input 0 through left, of input 1 through right. */
static void se_sides_batch(SE *x, PlanNode *n, void (*left)(SE *, PlanNode *, const char *),
                           void (*right)(SE *, PlanNode *, const char *))
{
    Emit *e = x->e;
    em_line(e, "if (_b->input == 0) {");
    e->indent++;
    se_batch_rows(x, n, "_b", se_row_type(e, n->in[0]), left);
    e->indent--;
    em_line(e, "} else {");
    e->indent++;
    se_batch_rows(x, n, "_b", se_row_type(e, n->in[1]), right);
    e->indent--;
    em_line(e, "}");
}

/* interval_join's driver: each side's rows matched with what the other keeps (emit_window.c). */
static void se_ijoin_left(SE *x, PlanNode *n, const char *row) { ew_ijoin_row(x, n, row, 0); }
static void se_ijoin_right(SE *x, PlanNode *n, const char *row) { ew_ijoin_row(x, n, row, 1); }

/* ---- pipe: lines through an external program (runtime/pipe.c) ---- */

static void se_pipe_open(SE *x, PlanNode *n)
{
    se_field(x, "fl_pipe *pipe_n%d;", n->id);
    em_line(x->e, "S->pipe_n%d = fl_pipe_open(t, %s);", n->id, ex_expr(x->e, sema_arg(n->call, "cmd")));
}

/* The lines its program has given so far (wait: every line, to its end)
 * through what follows, each copied first (the pipe reuses its buffer);
 * at the end, the call's scratch memory is freed every 1024 lines. */
static void se_pipe_out(SE *x, PlanNode *n, int wait)
{
    Emit *e = x->e;
    em_line(e, "{");
    em_line(e, "    fl_str _pl;");
    em_line(e, "    for (fl_i64 _pk = 1; fl_pipe_take(S->pipe_n%d, &_pl, %d); _pk++) {", n->id, wait);
    e->indent += 2;
    em_line(e, "fl_str _pc = fl_str_copy(_A, _pl);");
    se_consume(x, n, "_pc");
    if (wait) {
        em_line(e, "if (_pk %% 1024 == 0) {");
        e->indent++;
        se_free_tmp(x);
        e->indent--;
        em_line(e, "}");
    }
    e->indent -= 2;
    em_line(e, "    }");
    em_line(e, "}");
}

static void se_pipe_row(SE *x, PlanNode *n, const char *row)
{
    em_line(x->e, "fl_pipe_put(S->pipe_n%d, %s);", n->id, row);
    se_pipe_out(x, n, 0);
}

/* At close: its input ends, the rest of its output goes on, then it must have exited with 0. */
static void se_pipe_finish(SE *x, PlanNode *n)
{
    em_line(x->e, "fl_pipe_end(S->pipe_n%d);", n->id);
    se_pipe_out(x, n, 1);
    em_line(x->e, "fl_pipe_close(t, S->pipe_n%d);", n->id);
}

/* ---- nodes ---- */

static void se_node(SE *x, PlanNode *n, const char *row)
{
    em_line_dir(x->e, n->loc);
    switch (n->kind) {
    case PN_AGG: se_agg_update(x, n, row); return;
    case PN_SINK: se_sink_row(x, n, row); return;
    case PN_SCAN: se_scan(x, n, row); return;
    case PN_LIMIT: se_limit(x, n, row); return;
    case PN_EVTIME: ew_evtime(x, n, row); return;
    case PN_WINDOW: ew_row(x, n, row); return;
    case PN_PIPE: se_pipe_row(x, n, row); return;
    default: se_elementwise(x, n, row); return;
    }
}

void se_consume(SE *x, PlanNode *n, const char *row) { se_consume_some(x, n, row, 0); }

/* The consumers of n but for late() (late: 0), or only late() (1). */
void se_consume_some(SE *x, PlanNode *n, const char *row, int late)
{
    if (!late)
        ec_row(x, n);
    for (int i = 0; i < n->nout; i++) {
        PlanNode *c = n->out[i];
        if ((c->kind == PN_LATE) != late)
            continue;
        Edge *ed = stage_edge(x->st, n, c);
        if (ed)
            se_edge(x, n, ed, row);
        else
            se_node(x, c, row);
    }
}

/* ---- drivers: a stage is a state machine ----
 * Per stage K: a struct st_K holding its operators' state and, for a
 * source, its cursor; stage_K_open makes it; a source's stage_K_produce
 * handles at most FL_BATCH_ROWS input rows per call, and stops after the
 * row that made a batch leave the task (the runtime regains control at
 * least once per batch sent), and says whether more come; stage_K_batch takes
 * one DATA batch of an input (1: it keeps the batch, else the runtime
 * gives it back); stage_K_signal takes the other messages (END); and
 * stage_K_close empties the aggregations into what follows them, closes
 * the sinks and frees the state. The runtime (task.c) owns the loop. */

/* Whether a row reaching n can make a batch leave the task (an edge out,
 * not behind an aggregation or a global limit, which send at close). */
static int se_row_sends(SE *x, PlanNode *n)
{
    for (int i = 0; i < n->nout; i++) {
        PlanNode *c = n->out[i];
        if (stage_edge(x->st, n, c))
            return 1;
        if (c->kind == PN_AGG || (c->kind == PN_LIMIT && !c->u.local))
            continue;
        if (se_row_sends(x, c))
            return 1;
    }
    return 0;
}

/* The test a source's loop adds to stop after the row that sent a batch
 * (none when its rows cannot send one: no load per row). */
const char *se_until_sent(SE *x, PlanNode *n) { return se_row_sends(x, n) ? " && !t->flushed" : ""; }

/* After a source's rows of one call: their scratch memory freed, the state compacted. */
void se_produced(SE *x)
{
    ec_gauges(x);
    se_free_tmp(x);
    se_compact(x);
    ew_time_points(x, 0);
    se_sinks_out(x);
}

/* A source that stamps the test clock's time: the row's position, its
 * time (the stage's time points send it on as a watermark). */
static void se_stamp(SE *x, PlanNode *n, const char *pos)
{
    if (!n->ts)
        return;
    em_line(x->e, "fl_i64 _ts = %s;", pos);
    em_line(x->e, "if (_ts > S->tmax_n%d) S->tmax_n%d = _ts;", n->id, n->id);
}

/* A range of integers (range, generate, from): the task's share, FL_BATCH_ROWS at a time
 * (or, chunked, its interleaved chunks: fl_chunk_range). */
static void se_range_open(SE *x, PlanNode *n, const char *lo, const char *hi)
{
    se_field(x, "fl_i64 i, hi;");
    if (!n->u.src.chunked) {
        em_line(x->e, "fl_split_range(t, %s, %s, &S->i, &S->hi);", lo, hi);
        return;
    }
    se_field(x, "fl_i64 k, lo0, hi0;");
    em_line(x->e, "S->lo0 = %s;", lo);
    em_line(x->e, "S->hi0 = %s;", hi);
    em_line(x->e, "if (!fl_chunk_range(t, S->lo0, S->hi0, S->k++, &S->i, &S->hi)) S->i = S->hi = 0;");
}

/* row: the element of integer _i (gen: generate's lambda on it). */
static void se_range_produce(SE *x, PlanNode *n, const char *row, Expr *gen)
{
    Emit *e = x->e;
    em_line(e, "fl_i64 _end = S->hi - S->i > FL_BATCH_ROWS ? S->i + FL_BATCH_ROWS : S->hi, _i = S->i;");
    em_line(e, "for (; _i < _end%s; _i++) {", se_until_sent(x, n));
    e->indent++;
    se_stamp(x, n, "_i");
    se_consume(x, n, gen ? se_lambda(x, gen, "_i") : row);
    e->indent--;
    em_line(e, "}");
    em_line(e, "S->i = _i;");
    se_produced(x);
    if (n->u.src.chunked) {   /* the next chunk when this one is done */
        em_line(e, "if (S->i >= S->hi && !fl_chunk_range(t, S->lo0, S->hi0, S->k++, &S->i, &S->hi))");
        em_line(e, "    return 0;");
        em_line(e, "return 1;");
        return;
    }
    em_line(e, "return S->i < S->hi;");
}

static void se_lines_open(SE *x, PlanNode *n)
{
    se_field(x, "fl_lines r;");
    se_field(x, "int ok, done;");
    em_line(x->e, "S->ok = fl_lines_open(t, &S->r, %s) == 0;", ex_expr(x->e, sema_arg(n->call, "path")));
    if (n->ts) {   /* the test clock's time of a line: its number */
        se_field(x, "fl_i64 ln;");
        em_line(x->e, "S->ln = S->ok && fl_test_clock() ? fl_lines_number(&S->r) : 0;");
    }
}

void se_lines_loop(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    em_line(e, "fl_str _line;");
    em_line(e, "S->r.calls++;   /* the lines of earlier calls are no longer used */");
    em_line(e, "for (int _k = 0; S->ok && _k < FL_BATCH_ROWS%s; _k++) {", se_until_sent(x, n));
    e->indent++;
    em_line(e, "if (!fl_lines_next(&S->r, &_line)) {");
    em_line(e, "    S->done = 1;");
    em_line(e, "    break;");
    em_line(e, "}");
}

static void se_lines_produce(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    se_lines_loop(x, n);
    se_stamp(x, n, "S->ln++");
    se_consume(x, n, "_line");
    e->indent--;
    em_line(e, "}");
    se_produced(x);
    em_line(e, "return S->ok && !S->done;");
}

static void se_csv_field(SE *x, Type *ft, const char *dst, int i, const char *col)
{
    Emit *e = x->e;
    Type *t = type_prune(ft);
    int opt = t->kind == TY_OPT;
    Type *st = opt ? type_prune(t->u.elem) : t;
    const char *target = opt ? arena_printf(e->a, "%s.v", dst) : dst;
    static const char *kind[] = {"", "i64", "f64", "bool"};
    if (opt)
        em_line(e, "%s.some = fl_trim(_f[%d]).len > 0;", dst, i);
    if (st->kind == TY_STR) {   /* in place: the file stays mapped while the job runs */
        em_line(e, "%s = _f[%d];", target, i);
        return;
    }
    em_line(e, "if (%s(fl_parse_%s%s(_f[%d], &%s) != 0)) {", opt ? arena_printf(e->a, "%s.some && ", dst) : "",
            kind[st->kind], st->kind == TY_I64 || st->kind == TY_F64 ? "_fast" : "", i, target);
    em_line(e, "    if (S->c.skip_bad) { S->c.bad++; continue; }");
    em_line(e, "    fl_fail(t, \"%%s:%%lld: column %s: `%%.*s` is not %s\", S->c.lines.path, "
               "S->c.record_line, (int)_f[%d].len, _f[%d].ptr);", col, st->kind == TY_I64 ? "an i64" : st->kind == TY_F64 ? "an f64" : "a bool", i, i);
    em_line(e, "    break;");
    em_line(e, "}");
}

static void se_csv_open(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    Expr *hdr = sema_arg(n->call, "header"), *sep = sema_arg(n->call, "sep"), *skip = sema_arg(n->call, "skip_bad");
    se_field(x, "fl_str path;");
    se_field(x, "fl_csv c;");
    se_field(x, "int ok, done;");
    em_line(e, "S->path = %s;", ex_expr(e, sema_arg(n->call, "path")));
    em_line(e, "S->ok = fl_csv_open(t, &S->c, S->path, %s, %s, %s) == 0;", sep ? ex_expr(e, sep) : "fl_lit(\",\", 1)",
            hdr ? ex_expr(e, hdr) : "1", skip ? ex_expr(e, skip) : "0");
}

/* The kind of field i of a read_csv row type, and the field's C lvalue. */
static Type *se_csv_ftype(Type *rt, int i)
{
    return type_prune(rt->kind == TY_RECORD ? rt->u.rec.fields[i].type : rt->u.tuple.elems[i]);
}

static const char *se_csv_dst(Emit *e, Type *rt, int i)
{
    return rt->kind == TY_RECORD ? arena_printf(e->a, "_row.%s", rt->u.rec.fields[i].name)
                                 : arena_printf(e->a, "_row._%d", i);
}

/* The record read in one pass when its fields are plain str, i64 and f64
 * (fl_csvf_*: each field parsed where it is found, no second look at its
 * bytes); anything unusual reads the record again the general way. Opens
 * an `if` whose `else` the caller writes; 0 when the type has other fields. */
static int se_csv_fast(SE *x, Type *rt, int nf)
{
    Emit *e = x->e;
    static const char *fn[] = {[TY_STR] = "str", [TY_I64] = "i64", [TY_F64] = "f64"};
    for (int i = 0; i < nf; i++) {
        TypeKind k = se_csv_ftype(rt, i)->kind;
        if (k != TY_STR && k != TY_I64 && k != TY_F64)
            return 0;
    }
    em_line(e, "const char *_p = S->c.lines.cur;");
    em_line(e, "if (");
    for (int i = 0; i < nf; i++)
        em_line(e, "    fl_csvf_%s(&_p, S->c.lines.end, S->c.sep, &%s) == %s%s", fn[se_csv_ftype(rt, i)->kind],
                se_csv_dst(e, rt, i), i + 1 < nf ? "(unsigned char)S->c.sep" : "'\\n'", i + 1 < nf ? " &&" : ") {");
    em_line(e, "    S->c.lines.cur = _p;");
    em_line(e, "    S->c.record_line = S->c.line++;");
    em_line(e, "} else {");
    return 1;
}

static void se_csv_produce(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    Type *rt = type_prune(n->elem);
    int nf = rt->kind == TY_RECORD ? rt->u.rec.n : rt->u.tuple.n;
    em_line(e, "fl_str _f[%d];", nf + 1);
    em_line(e, "S->c.lines.calls++;   /* the records of earlier calls are no longer used */");
    em_line(e, "for (int _n = 0; S->ok && _n < FL_BATCH_ROWS%s; _n++) {", se_until_sent(x, n));
    e->indent++;
    em_line(e, "%s _row;", et_name(e, rt));
    int fast = se_csv_fast(x, rt, nf);
    e->indent += fast;
    em_line(e, "int _k = fl_csv_next_fast(&S->c, _f, %d);", nf + 1);
    em_line(e, "if (_k < 0) {");
    em_line(e, "    S->done = 1;");
    em_line(e, "    break;");
    em_line(e, "}");
    em_line(e, "if (_k != %d) {", nf);
    em_line(e, "    if (S->c.skip_bad) { S->c.bad++; continue; }");
    em_line(e, "    fl_fail(t, \"%%s:%%lld: expected %d fields, found %%d\", S->c.lines.path, S->c.record_line, _k);", nf);
    em_line(e, "    break;");
    em_line(e, "}");
    for (int i = 0; i < nf; i++) {
        const char *col = rt->kind == TY_RECORD ? rt->u.rec.fields[i].name : arena_printf(e->a, "%d", i);
        se_csv_field(x, se_csv_ftype(rt, i), se_csv_dst(e, rt, i), i, col);
    }
    e->indent -= fast;
    if (fast)
        em_line(e, "}");
    se_stamp(x, n, "S->c.line_base + S->c.record_line");
    se_consume(x, n, "_row");
    e->indent--;
    em_line(e, "}");
    se_produced(x);
    em_line(e, "return S->ok && !S->done;");
}

/* Task i's store of a loop: one chunk of its rows per call. */
static void se_store_produce(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *rc = et_name(e, se_row_type(e, n));
    em_line(e, "fl_i64 _n;");
    em_line(e, "%s *_ch = (%s *)fl_store_chunk(fl_store_of(t, %d), S->i, &_n);", rc, rc, n->u.src.slot);
    em_line(e, "if (!_ch)");
    em_line(e, "    return 0;");
    em_line(e, "fl_i64 _i = S->r;");
    Expr *am = n->nout == 1 && !stage_edge(x->st, n, n->out[0]) ? eb_argmin(n->out[0]) : NULL;
    if (am) {
        eb_store_rows(x, n, am, se_until_sent(x, n));
    } else {
        em_line(e, "for (; _i < _n%s; _i++) {", se_until_sent(x, n));
        e->indent++;
        se_consume(x, n, "_ch[_i]");
        e->indent--;
        em_line(e, "}");
    }
    em_line(e, "S->r = _i < _n ? _i : 0;   /* where the next call goes on */");
    em_line(e, "S->i += _i == _n;");
    se_produced(x);
    em_line(e, "return 1;");
}

/* stdin_lines, tcp_lines: lines as they come (runtime/stream.c); the
 * source ends at the end of its input or when the job drains. */
static void se_stream_open(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    se_field(x, "fl_stream *s;");
    se_field(x, "int done;");
    if (n->ts)
        se_field(x, "fl_i64 ln;");
    int tcp = !strcmp(n->op, "tcp_lines");
    em_line(e, "S->s = fl_stream_open(t, %d, %s);", tcp, tcp ? ex_expr(e, sema_arg(n->call, "addr")) : "fl_lit(\"\", 0)");
    if (n->ts)
        em_line(e, "S->ln = 1;");
}

static void se_stream_produce(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    em_line(e, "fl_str _line;");
    em_line(e, "int _r = 0, _k;");
    em_line(e, "for (_k = 0; _k < FL_BATCH_ROWS && !t->flushed; _k++) {");
    e->indent++;
    em_line(e, "_r = fl_stream_next(t, S->s, &_line, _k == 0);");
    em_line(e, "if (_r <= 0)");
    em_line(e, "    break;");
    se_stamp(x, n, "S->ln++");
    se_consume(x, n, "_line");
    e->indent--;
    em_line(e, "}");
    em_line(e, "if (_r < 0)");
    em_line(e, "    S->done = 1;");
    se_produced(x);
    em_line(e, "fl_stream_after(t, S->s, _k);");
    em_line(e, "return !S->done;");
}

/* A source's part of open: its cursor. */
static void se_source_open(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *name = n->op;
    if (n->u.src.slot >= 0 || n->u.src.loop >= 0)
        se_field(x, "fl_i64 i, r;");   /* the next chunk and row; or whether the state went out */
    else if (!strcmp(name, "range"))
        se_range_open(x, n, ex_expr(e, sema_arg(n->call, "lo")), ex_expr(e, sema_arg(n->call, "hi")));
    else if (!strcmp(name, "generate"))
        se_range_open(x, n, "0", ex_expr(e, sema_arg(n->call, "n")));
    else if (!strcmp(name, "from")) {
        se_field(x, "%s v;", et_name(e, type_prune(sema_arg(n->call, "v")->type)));
        em_line(e, "S->v = %s;", ex_expr(e, sema_arg(n->call, "v")));
        se_range_open(x, n, "0", "S->v.len");
    } else if (!strcmp(name, "read_lines"))
        se_lines_open(x, n);
    else if (!strcmp(name, "read_csv"))
        se_csv_open(x, n);
    else if (!strcmp(name, "read_jsonl"))
        ej_open(x, n);
    else if (!strcmp(name, "host_rows"))
        el_host_open(x, n);
    else if (!strcmp(name, "read_arrow"))
        ea_open(x, n);
    else if (!strcmp(name, "stdin_lines") || !strcmp(name, "tcp_lines"))
        se_stream_open(x, n);
    else
        em_unsupported(e, n->loc, arena_printf(e->a, "the source `%s`", name));
}

static void se_source_produce(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *name = n->op;
    if (n->u.src.slot >= 0) {
        se_store_produce(x, n);
    } else if (n->u.src.loop >= 0) {   /* a loop's final state: one element, from task 0 */
        em_line(e, "if (t->index == 0 && S->i++ == 0) {");
        e->indent++;
        se_consume(x, n, arena_printf(e->a, "ls_%d", n->u.src.loop));
        e->indent--;
        em_line(e, "}");
        em_line(e, "return 0;");
    } else if (!strcmp(name, "range")) {
        se_range_produce(x, n, "_i", NULL);
    } else if (!strcmp(name, "generate")) {
        se_range_produce(x, n, NULL, sema_arg(n->call, "f"));
    } else if (!strcmp(name, "from")) {
        se_range_produce(x, n, "S->v.data[_i]", NULL);
    } else if (!strcmp(name, "read_lines")) {
        se_lines_produce(x, n);
    } else if (!strcmp(name, "read_csv")) {
        se_csv_produce(x, n);
    } else if (!strcmp(name, "read_jsonl")) {
        ej_produce(x, n);
    } else if (!strcmp(name, "host_rows")) {
        el_host_produce(x, n);
    } else if (!strcmp(name, "read_arrow")) {
        ea_produce(x, n);
    } else if (!strcmp(name, "stdin_lines") || !strcmp(name, "tcp_lines")) {
        se_stream_produce(x, n);
    } else {
        em_line(e, "return 0;");
    }
}

static void se_source_close(SE *x, PlanNode *n)
{
    if ((!strcmp(n->op, "read_lines") || !strcmp(n->op, "read_jsonl")) && n->u.src.slot < 0 && n->u.src.loop < 0)
        em_line(x->e, "if (S->ok) fl_lines_close(&S->r);");
    else if (!strcmp(n->op, "read_csv") && n->u.src.slot < 0 && n->u.src.loop < 0)
        em_line(x->e, "if (S->ok) fl_csv_close(&S->c);");
    else if (!strcmp(n->op, "stdin_lines") || !strcmp(n->op, "tcp_lines"))
        em_line(x->e, "fl_stream_close(S->s);");
    else if (!strcmp(n->op, "host_rows"))
        em_line(x->e, "fl_buf_free(&S->hb);");
    else if (!strcmp(n->op, "read_arrow"))
        em_line(x->e, "fl_arrow_rclose(S->ar);");
}

/* The first lines of every function of a stage: its state, its scratch
 * memory, and (in a loop's round) the body's state. */
void se_prologue(SE *x, const char *sig, int with_state)
{
    Emit *e = x->e;
    fprintf(e->f, "static %s\n{\n", sig);
    e->indent = 1;
    e->scope = x->globals;
    if (with_state) {
        em_line(e, "st_%d *S = (st_%d *)_s;", x->base + x->s->id, x->base + x->s->id);
        em_line(e, "fl_arena *_A = &S->tmp;");
        em_line(e, "(void)t; (void)_A;");
    }
    int lk = e->ph->round_of[x->phase];
    if (lk >= 0 && with_state) {   /* the body's state: a constant of the round */
        Expr *body = sema_arg(e->ph->loops[lk].call, "body");
        ex_bind_pattern(e, body->u.lambda.params[1], arena_printf(e->a, "ls_%d", lk), el_state_type(&e->ph->loops[lk]));
    }
}

void se_epilogue(SE *x)
{
    x->e->indent = 0;
    fputs("}\n\n", x->e->f);
}

/* stage_K_open: the state and what each operator needs at the start. */
static void se_open(SE *x)
{
    Emit *e = x->e;
    Stage *s = x->s;
    int k = x->base + s->id;
    se_prologue(x, arena_printf(e->a, "void *stage_%d_open(fl_task *t)", k), 0);
    em_line(e, "st_%d *S = (st_%d *)fl_calloc(1, (fl_i64)sizeof(st_%d));", k, k, k);
    em_line(e, "fl_arena *_A = &S->keep;   /* what open computes lives until close */");
    em_line(e, "(void)_A;");
    em_line(e, "S->rr = (fl_u64)t->index;");
    for (int i = 0; i < s->nodes.len; i++) {
        PlanNode *n = s->nodes.items[i];
        if (n->kind == PN_AGG)
            se_agg_decl(x, n);
        else if (n->kind == PN_SINK)
            se_sink_open(x, n);
        else if (n->kind == PN_SCAN)
            se_scan_decl(x, n);
        else if (n->kind == PN_LIMIT)
            se_limit_decl(x, n);
        else if (n->kind == PN_WINDOW)
            ew_decl(x, n);
        else if (n->kind == PN_PIPE)
            se_pipe_open(x, n);
    }
    ew_time_fields(x);
    em_line_dir(e, s->driver->loc);
    if (s->driver->kind == PN_ZIP) {
        se_field(x, "fl_zip *z;");
        em_line(e, "S->z = fl_zip_new();");
    } else if (s->driver->kind == PN_JOIN)
        se_join_open(x, s->driver);
    else if (s->driver->kind == PN_SOURCE)
        se_source_open(x, s->driver);
    else if (s->driver->kind == PN_IJOIN)
        ew_ijoin_open(x, s->driver);
    em_line(e, "return S;");
    se_epilogue(x);
}

/* stage_K_produce (a source) or stage_K_batch and stage_K_signal (the others). */
static void se_run(SE *x)
{
    Emit *e = x->e;
    Stage *s = x->s;
    int k = x->base + s->id;
    PlanNode *d = s->driver;
    if (d->kind == PN_SOURCE) {
        se_prologue(x, arena_printf(e->a, "int stage_%d_produce(fl_task *t, void *_s)", k), 1);
        em_line(e, "t->flushed = 0;   /* a call stops after the input row that sent a batch */");
        em_line_dir(e, d->loc);
        se_source_produce(x, d);
        se_epilogue(x);
        return;
    }
    se_prologue(x, arena_printf(e->a, "int stage_%d_batch(fl_task *t, void *_s, fl_batch *_b)", k), 1);
    if (d->kind == PN_JOIN)
        se_join_batch(x, d);
    else if (d->kind == PN_ZIP)
        se_zip_batch(x, d);
    else if (d->kind == PN_WJOIN)
        se_sides_batch(x, d, se_wjoin_left, se_wjoin_right);
    else if (d->kind == PN_IJOIN)
        se_sides_batch(x, d, se_ijoin_left, se_ijoin_right);
    else
        se_batch_rows(x, d, "_b", se_row_type(e, d), se_consume);
    ew_time_points(x, 0);
    se_sinks_out(x);
    ec_gauges(x);
    em_line(e, "return 0;");
    se_epilogue(x);
    se_prologue(x, arena_printf(e->a, "void stage_%d_signal(fl_task *t, void *_s, const fl_msg *_m)", k), 1);
    em_line(e, "(void)S; (void)_m;");
    if (d->kind == PN_JOIN)
        se_join_signal(x, d);
    else if (d->kind == PN_ZIP)
        se_zip_signal(x, d);
    ew_time_points(x, 1);
    se_sinks_out(x);
    se_free_tmp(x);
    se_epilogue(x);
}

/* stage_K_close: what the operators hold goes on (aggregations emptied,
 * in plan order), then the sinks close and the state is freed. */
static void se_close(SE *x)
{
    Emit *e = x->e;
    Stage *s = x->s;
    int k = x->base + s->id;
    se_prologue(x, arena_printf(e->a, "void stage_%d_close(fl_task *t, void *_s)", k), 1);
    if (s->driver->kind == PN_JOIN) {
        se_join_close(x);
        se_join_finish(x, s->driver);
    } else if (s->driver->kind == PN_ZIP) {
        em_line(e, "fl_zip_free(S->z, t);");
    } else if (s->driver->kind == PN_SOURCE) {
        se_source_close(x, s->driver);
    } else if (s->driver->kind == PN_IJOIN) {
        ew_ijoin_close(x, s->driver);
    }
    ec_gauges(x);
    em_line(e, "int _from = 0;");
    em_line(e, "(void)_from;");
    for (int i = 0; i < s->nodes.len; i++) {
        PlanNode *n = s->nodes.items[i];
        if (n->kind == PN_AGG || n->kind == PN_WINDOW)
            ec_gauges(x);   /* (what came at close, from a pipe or an aggregation before it, counts) */
        if (n->kind == PN_AGG)
            se_agg_finish(x, n);
        else if (n->kind == PN_LIMIT)
            se_limit_finish(x, n);
        else if (n->kind == PN_SCAN)
            se_scan_finish(x, n);
        else if (n->kind == PN_WINDOW)
            ew_finish(x, n);
        else if (n->kind == PN_PIPE)
            se_pipe_finish(x, n);
    }
    for (int i = 0; i < s->nodes.len; i++)
        if (((PlanNode *)s->nodes.items[i])->kind == PN_SINK)
            se_sink_close(x, s->nodes.items[i]);
    em_line(e, "fl_arena_free(_A);");
    em_line(e, "fl_arena_free(&S->keep);");
    se_arenas(x, 1);
    em_line(e, "free(S);");
    se_epilogue(x);
}

/* parallelism(n): the stage's task count, evaluated when the job starts. */
static void se_ntasks(SE *x)
{
    Emit *e = x->e;
    if (!x->s->ntasks)
        return;
    e->f = e->sect[S_STAGES].f;
    e->scope = x->globals;
    e->arena = "(&g_arena)";
    fprintf(e->f, "static fl_i64 stage_%d_ntasks(void)\n{\n", x->base + x->s->id);
    e->indent = 1;
    em_line(e, "return %s;", ex_expr(e, x->s->ntasks));
    e->indent = 0;
    fputs("}\n\n", e->f);
}

/* The stage's windows: their functions' prototypes, then the functions. */
static void se_windows(SE *x)
{
    for (int i = 0; i < x->s->nodes.len; i++) {
        PlanNode *n = x->s->nodes.items[i];
        if (n->kind != PN_WINDOW)
            continue;
        const char *w = arena_printf(x->e->a, "w%d_%d", x->base + x->s->id, n->id);
        const char *kt = ew_key(n) ? et_name(x->e, ew_key(n)) : "void";
        fprintf(x->e->f, "static %s_key *%s_find(fl_task *t, void *_s, const %s *_key, int _insert, const %s **_kp);\n", w,
                w, kt, kt);
        fprintf(x->e->f, "static void %s_emit(fl_task *t, void *_s, const void *_key, %s_slot *_sl);\n", w, w);
        fprintf(x->e->f, "static void %s_add(fl_task *t, void *_s, const %s *_key, const %s *_v, fl_i64 _wt);\n", w,
                ew_key(n) ? et_name(x->e, ew_key(n)) : "void", et_name(x->e, n->in[0]->elem));
        fprintf(x->e->f, "static void %s_advance(fl_task *t, void *_s, fl_i64 _f);\n", w);
        if (n->u.win.wk == WK_COUNT || n->u.win.wk == WK_TXN)
            fprintf(x->e->f, "static void %s_put(fl_task *t, void *_s, %s_key *_ks, const %s *_kp, const %s *_v, "
                             "fl_i64 _wt);\n", w, w, kt, et_name(x->e, n->in[0]->elem));
        fprintf(x->e->f, "static void %s_flush(fl_task *t, void *_s);\n", w);
    }
    for (int i = 0; i < x->s->nodes.len; i++) {
        PlanNode *n = x->s->nodes.items[i];
        if (n->kind == PN_WINDOW)
            ew_functions(x, n);
    }
    if (x->s->driver->kind == PN_IJOIN)
        ew_ijoin_functions(x, x->s->driver);
}

/* A stage: its functions, then (above them) its state struct, made of the
 * fields its operators asked for while they were emitted. */
static void se_stage(SE *x)
{
    Emit *e = x->e;
    int k = x->base + x->s->id;
    char *fbuf = NULL, *cbuf = NULL;
    size_t flen = 0, clen = 0;
    x->fields = open_memstream(&fbuf, &flen);
    FILE *code = open_memstream(&cbuf, &clen), *out = e->sect[S_STAGES].f;
    e->f = code;
    e->arena = "_A";
    se_field(x, "fl_arena tmp;   /* per call: what rows need while they pass */");
    se_field(x, "fl_arena keep;");
    se_field(x, "fl_u64 rr;");
    for (int i = 0; i < x->s->nodes.len; i++)   /* (the windows' functions may come first) */
        if (se_probes_grouped(x->s->nodes.items[i]))
            fprintf(code, "static void pq_n%d_drain(fl_task *t, void *_s);\n\n", ((PlanNode *)x->s->nodes.items[i])->id);
    se_arenas(x, 0);
    se_windows(x);
    for (int i = 0; i < x->s->nodes.len; i++)
        if (se_probes_grouped(x->s->nodes.items[i]))
            se_agg_drain_fn(x, x->s->nodes.items[i]);
    se_open(x);
    se_run(x);
    se_close(x);
    fclose(x->fields);
    fclose(code);
    fprintf(out, "/* stage %d: %s */\ntypedef struct st_%d {\n%.*s} st_%d;\n\n%.*s", k, x->s->driver->op, k, (int)flen,
            fbuf, k, (int)clen, cbuf);
    ec_ops_table(x);
    free(fbuf);
    free(cbuf);
}

static const char *const edge_kinds[] = {"FL_EDGE_FORWARD", "FL_EDGE_HASH", "FL_EDGE_SINGLE", "FL_EDGE_BROADCAST"};

/* The output edges of the stages of one phase (stage numbers from base). */
static void se_edges(Emit *e, const Stages *st, int base)
{
    FILE *f = e->sect[S_STAGES].f;
    for (int i = 0; i < st->n; i++) {
        Stage *s = st->v[i];
        if (!s->outs.len)
            continue;
        fprintf(f, "static const fl_edge_def stage_%d_outs[] = {\n", base + i);
        for (int j = 0; j < s->outs.len; j++) {
            Edge *ed = s->outs.items[j];
            Type *rt = se_edge_row(e, ed);
            fprintf(f, "    {%d, %s, %d, (fl_i64)sizeof(%s), %s, %s},\n", base + ed->to_stage, edge_kinds[ed->kind],
                    ed->input, et_name(e, rt), et_helper(e, "serb", rt), et_helper(e, "deb", rt));
        }
        fputs("};\n", f);
    }
}

/* Phase p's values (a round phase: its delta), to and from bytes (for the
 * processes that did not compute them). */
static void se_phase_values(Emit *e, int p)
{
    FILE *f = e->sect[S_STAGES].f;
    const Phases *ph = e->ph;
    int lk = ph->round_of[p];
    fprintf(f, "static void phase_%d_ser(fl_buf *b)\n{\n", p);
    for (int k = 0; k < ph->ncalls; k++)
        if (ph->phase[k] == p)
            fprintf(f, "    %s(b, pv_%d);\n", et_helper(e, "ser", ph->calls[k]->type), k);
    if (lk >= 0)
        fprintf(f, "    %s(b, ld_%d);\n", et_helper(e, "ser", el_delta_type(&ph->loops[lk])), lk);
    fprintf(f, "}\n\nstatic int phase_%d_de(fl_rbuf *r)\n{\n", p);
    for (int k = 0; k < ph->ncalls; k++) {
        Type *t = ph->calls[k]->type;
        if (ph->phase[k] == p)
            fprintf(f, "    pv_%d = %s(&pva_%d, %s(r, &pva_%d));\n", k, et_helper(e, "copy", t), k, et_helper(e, "de", t), k);
    }
    if (lk >= 0) {
        Type *t = el_delta_type(&ph->loops[lk]);
        fprintf(f, "    ld_%d = %s(&lda_%d, %s(r, &lda_%d));\n", lk, et_helper(e, "copy", t), lk, et_helper(e, "de", t), lk);
    }
    fputs("    return r->err || r->p != r->end ? -1 : 0;\n}\n\n", f);
}

/* The job's stage table (every phase's stages, phase after phase) and phases. */
static void se_table(Emit *e, Stages **sts, int nphases)
{
    FILE *f = e->sect[S_STAGES].f;
    int base = 0;
    for (int k = 0; k < nphases; base += sts[k]->n, k++)
        se_edges(e, sts[k], base);
    fputs("\nstatic const fl_stage_def job_stages[] = {\n", f);
    base = 0;
    for (int p = 0; p < nphases; base += sts[p]->n, p++)
        for (int i = 0; i < sts[p]->n; i++) {
            Stage *s = sts[p]->v[i];
            int k = base + i, src = s->driver->kind == PN_SOURCE;
            fprintf(f, "    {\"%s\", %d, 0, %d, %s, stage_%d_open, %s, %s, %s, stage_%d_close, %s,\n"
                       "     %d, stage_%d_ops, STAGE_%d_COUNTS, %d},\n", s->driver->op,
                    s->parallel, s->outs.len, s->outs.len ? arena_printf(e->a, "stage_%d_outs", k) : "0", k,
                    src ? arena_printf(e->a, "stage_%d_produce", k) : "0", src ? "0" : arena_printf(e->a, "stage_%d_batch", k),
                    src ? "0" : arena_printf(e->a, "stage_%d_signal", k), k,
                    s->ntasks ? arena_printf(e->a, "stage_%d_ntasks", k) : "0", s->nodes.len, k, k, p);
        }
    fputs("};\n\n", f);
    for (int k = 0; k + 1 < nphases; k++)
        se_phase_values(e, k);
    fputs("\nstatic const fl_phase_def job_phases[] = {\n", f);
    base = 0;
    for (int k = 0; k < nphases; base += sts[k]->n, k++) {
        const char *init = k ? arena_printf(e->a, "job_init_%d", k) : "job_init";
        int lk = e->ph->round_of[k];
        const Loop *l = lk >= 0 ? &e->ph->loops[lk] : NULL;
        const char *loop = l ? arena_printf(e->a, "loop_%d_next, %d, %d, %d", lk, l->in_slot, l->out_slot, l->iterate)
                             : "0, -1, -1, 0";
        if (k + 1 < nphases)
            fprintf(f, "    {%d, %d, %s, phase_%d_ser, phase_%d_de, %s},\n", base, sts[k]->n, init, k, k, loop);
        else
            fprintf(f, "    {%d, %d, %s, 0, 0, %s},\n", base, sts[k]->n, init, loop);
    }
    fputs("};\n\n", f);
}

int emit_stages(Emit *e, Plan **plans, Stages **sts, EScope *globals)
{
    (void)plans;
    int nphases = e->ph->nphases, base = 0;
    for (int k = 0; k < nphases; base += sts[k]->n, k++)
        for (int i = 0; i < sts[k]->n; i++) {
            SE x = {.e = e, .st = sts[k], .s = sts[k]->v[i], .base = base, .phase = k, .globals = globals};
            se_stage(&x);
            se_ntasks(&x);
        }
    se_table(e, sts, nphases);
    return e->errors;
}
