/* emit_stage.c - one C function per stage. The driver (a source loop, or a
 * loop over the batches of the input edges) hands each row to the stage's
 * operators, inlined in plan order: element-wise operators are statements,
 * aggregations update their state (a hash table per keyed aggregation),
 * sinks format into a buffer, and rows bound for another stage are deep-
 * copied into the pending batch of their edge. At the end of the input the
 * aggregations are emptied, in plan order, into what follows them. */
#include "emit_int.h"

#include <string.h>

typedef struct SE {
    Emit *e;
    const Stages *st;
    Stage *s;
    int base;               /* the phase's first stage in the job's table */
    int phase;
} SE;

static void se_consume(SE *x, PlanNode *n, const char *row);

/* ---- types of rows and accumulators ---- */

static int agg_from_local(PlanNode *n)
{
    return n->kind == PN_AGG && n->part == AGG_GLOBAL && (n->in[0]->kind == PN_SHUFFLE || n->in[0]->kind == PN_GATHER) &&
           n->in[0]->in[0]->kind == PN_AGG && n->in[0]->in[0]->part == AGG_LOCAL;
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
    switch (n->agg) {
    case AGG_COUNT: return TYPE_I64;
    case AGG_SUM: return type_prune(n->fn->type)->u.fn.ret;
    case AGG_AVG: return type_pair(e->a, type_prune(n->fn->type)->u.fn.ret, TYPE_I64);
    case AGG_FOLD: return type_prune(n->init->type);
    default: return agg_value(n);
    }
}

static Type *row_type(Emit *e, PlanNode *n)
{
    Type *v = n->elem;
    if (n->kind == PN_SHUFFLE || n->kind == PN_GATHER || n->kind == PN_MERGE || n->kind == PN_BROADCAST ||
        n->kind == PN_LIMIT)
        return row_type(e, n->in[0]);
    if (n->kind == PN_AGG && n->part == AGG_LOCAL)
        v = agg_acc(e, n);
    return n->key ? type_pair(e->a, n->key, v) : v;
}

/* ---- edges ---- */

static void se_edge(SE *x, PlanNode *n, Edge *ed, const char *row)
{
    Emit *e = x->e;
    Type *rt = row_type(e, n);
    const char *rc = et_name(e, rt);
    const char *dest = "0";
    if (ed->kind == EDGE_HASH && n->key)
        dest = arena_printf(e->a, "(int)(%s(%s._0) %% (fl_u64)t->outs[%d].ndest)", et_helper(e, "hash", n->key), row, ed->out);
    else if (ed->kind == EDGE_HASH)
        dest = arena_printf(e->a, "(int)(_rr++ %% (fl_u64)t->outs[%d].ndest)", ed->out);
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

static const char *se_lambda(SE *x, Expr *fn, const char *arg)
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
    em_line(e, "%s %s;", et_name(e, row_type(e, n)), v);
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
        em_line(e, "for (fl_i64 %s = 0; %s < %s.len; %s++) {", i, i, v, i);
        e->indent++;
        se_consume(x, n, se_keyed(x, n, row, arena_printf(e->a, "%s.data[%s]", v, i)));
        e->indent--;
        em_line(e, "}");
        return;
    }
    case PN_KEYONLY: se_consume(x, n, arena_printf(e->a, "%s._0", row)); return;
    case PN_KEY: {
        const char *k = n->keyfn ? se_lambda(x, n->keyfn, row) : row, *v = em_temp(e);
        em_line(e, "%s %s;", et_name(e, row_type(e, n)), v);
        em_line(e, "%s._0 = %s;", v, k);
        em_line(e, "%s._1 = %s;", v, row);
        se_consume(x, n, v);
        return;
    }
    default: se_consume(x, n, row); return;   /* unkey, and drivers handing rows on */
    }
}

/* ---- aggregations ---- */

static void se_agg_decl(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    Type *acc = agg_acc(e, n);
    if (n->key) {
        em_sect(e, S_HELPERS, "FL_HT(ht_n%d, %s, %s, %s, %s)\n\n", n->id, et_name(e, n->key), et_name(e, acc),
                et_helper(e, "hash", n->key), et_helper(e, "eq", n->key));
        em_line(e, "ht_n%d h_n%d;", n->id, n->id);
        em_line(e, "memset(&h_n%d, 0, sizeof h_n%d);", n->id, n->id);
    } else {
        em_line(e, "%s s_n%d;", et_name(e, acc), n->id);
        em_line(e, "memset(&s_n%d, 0, sizeof s_n%d);", n->id, n->id);
        em_line(e, "int has_n%d = 0;", n->id);
    }
}

/* acc (a C lvalue) folds in `in`: a value, or another accumulator. */
static void se_agg_fold(SE *x, PlanNode *n, const char *acc, const char *in, int partial)
{
    Emit *e = x->e;
    const char *copy = et_helper(e, "copy", agg_acc(e, n));
    switch (n->agg) {
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
        const char *op = n->agg == AGG_MIN ? "<" : ">";
        const char *better = kt->kind == TY_I64 || kt->kind == TY_F64 || kt->kind == TY_BOOL
                                 ? arena_printf(e->a, "%s %s %s", b, op, a)
                                 : arena_printf(e->a, "%s(%s, %s) %s 0", et_helper(e, "cmp", kt), b, a, op);
        em_line(e, "if (%s)", better);
        em_line(e, "    %s = %s(&t->scratch, %s);", acc, copy, in);
        return;
    }
    case AGG_REDUCE: case AGG_FOLD: {
        /* An accumulator that points to nothing (numbers, bools, tuples and
         * records of them) is computed in the row's memory: nothing is kept
         * per row. Otherwise the value folded in is copied into the task's
         * memory, and the lambda allocates there: the result needs no copy
         * (so a vector accumulator grows in place, in amortised constant
         * time per element). */
        Expr *f = partial && n->agg == AGG_FOLD ? n->merge : n->fn;
        Type *it = partial ? agg_acc(e, n) : agg_value(n);
        EScope *saved = e->scope;
        const char *saved_arena = e->arena;
        const char *inc = em_temp(e);
        if (type_is_flat(agg_acc(e, n))) {
            em_line(e, "%s %s = %s;", et_name(e, it), inc, in);
        } else {
            em_line(e, "%s %s = %s(&t->scratch, %s);", et_name(e, it), inc, et_helper(e, "copy", it), in);
            e->arena = "(&t->scratch)";
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
        em_line(e, "%s = %s(&t->scratch, %s);", acc, copy, in);
        return;
    }
    switch (n->agg) {
    case AGG_COUNT: em_line(e, "%s = 1;", acc); return;
    case AGG_MIN: case AGG_MAX: case AGG_REDUCE: em_line(e, "%s = %s(&t->scratch, %s);", acc, copy, in); return;
    case AGG_FOLD: em_line(e, "%s = %s(&t->scratch, %s);", acc, copy, ex_expr(e, n->init)); break;
    default: em_line(e, "memset(&%s, 0, sizeof %s);", acc, acc); break;
    }
    se_agg_fold(x, n, acc, in, 0);
}

static void se_agg_update(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    int partial = agg_from_local(n);
    const char *in = n->key ? arena_printf(e->a, "%s._1", row) : row;
    const char *acc;
    if (n->key) {
        const char *slot = em_temp(e), *fresh = em_temp(e);
        em_line(e, "int %s;", fresh);
        em_line(e, "fl_i64 %s = ht_n%d_at(&h_n%d, %s._0, %s(%s._0), &%s);", slot, n->id, n->id, row,
                et_helper(e, "hash", n->key), row, fresh);
        acc = arena_printf(e->a, "h_n%d.slots[%s].val", n->id, slot);
        em_line(e, "if (%s) {", fresh);
        e->indent++;
        em_line(e, "h_n%d.slots[%s].key = %s(&t->scratch, %s._0);", n->id, slot, et_helper(e, "copy", n->key), row);
    } else {
        acc = arena_printf(e->a, "s_n%d", n->id);
        em_line(e, "if (!has_n%d) {", n->id);
        e->indent++;
        em_line(e, "has_n%d = 1;", n->id);
    }
    se_agg_first(x, n, acc, in, partial);
    e->indent--;
    em_line(e, "} else {");
    e->indent++;
    se_agg_fold(x, n, acc, in, partial);
    e->indent--;
    em_line(e, "}");
}

/* The value an accumulator stands for. */
static const char *se_agg_final(SE *x, PlanNode *n, const char *acc)
{
    if (n->part == AGG_LOCAL || n->agg != AGG_AVG)
        return acc;
    return arena_printf(x->e->a, "((double)%s._0 / (double)%s._1)", acc, acc);
}

static void se_agg_finish(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    em_line(e, "/* %s: the end of `%s` */", plan_kind_name(n->kind), n->op);
    if (n->key) {
        const char *i = em_temp(e);
        em_line(e, "for (fl_i64 %s = 0; %s < h_n%d.cap; %s++) {", i, i, n->id, i);
        e->indent++;
        em_line(e, "if (!h_n%d.slots[%s].hash)", n->id, i);
        em_line(e, "    continue;");
        const char *r = em_temp(e);
        em_line(e, "%s %s;", et_name(e, row_type(e, n)), r);
        em_line(e, "%s._0 = h_n%d.slots[%s].key;", r, n->id, i);
        em_line(e, "%s._1 = %s;", r, se_agg_final(x, n, arena_printf(e->a, "h_n%d.slots[%s].val", n->id, i)));
        se_consume(x, n, r);
        e->indent--;
        em_line(e, "}");
        em_line(e, "ht_n%d_free(&h_n%d);", n->id, n->id);
        return;
    }
    int always = n->part != AGG_LOCAL && (n->agg == AGG_COUNT || n->agg == AGG_SUM || n->agg == AGG_FOLD);
    if (always && n->agg == AGG_FOLD) {
        em_line(e, "if (!has_n%d) {", n->id);
        e->indent++;
        em_line(e, "s_n%d = %s;", n->id, ex_expr(e, n->init));
        e->indent--;
        em_line(e, "}");
    }
    em_line(e, "if (has_n%d%s) {", n->id, always ? " || 1" : "");
    e->indent++;
    se_consume(x, n, se_agg_final(x, n, arena_printf(e->a, "s_n%d", n->id)));
    e->indent--;
    em_line(e, "}");
}

/* ---- compaction of the task's memory ----
 * An aggregation or scan whose state holds strings or vectors leaves old
 * values behind in the task's memory at every row. In a stage whose only
 * state in that memory is aggregations and scans, the live keys and states are
 * copied into fresh memory whenever it has grown past twice what was live
 * after the last copy (and 4 MiB): memory stays bounded by the state. */

static Type *scan_state(PlanNode *n);

/* The state type of an aggregation or a scan (NULL for other nodes). */
static Type *se_state_type(SE *x, PlanNode *n)
{
    return n->kind == PN_AGG ? agg_acc(x->e, n) : n->kind == PN_SCAN ? scan_state(n) : NULL;
}

static int se_compacts(SE *x)
{
    Stage *s = x->s;
    int worth = 0;
    if (s->driver->kind == PN_JOIN)
        return 0;
    for (int i = 0; i < s->nodes.len; i++) {
        PlanNode *n = s->nodes.items[i];
        Type *st = se_state_type(x, n);
        if (n->kind == PN_LIMIT && !n->local)
            return 0;
        if (st && !type_is_flat(st))
            worth = 1;
    }
    return worth;
}

static void se_compact_agg(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *ca = et_helper(e, "copy", se_state_type(x, n));
    if (!n->key) {
        em_line(e, "    s_n%d = %s(&_new, s_n%d);", n->id, ca, n->id);
        return;
    }
    em_line(e, "    for (fl_i64 _s = 0; _s < h_n%d.cap; _s++)", n->id);
    em_line(e, "        if (h_n%d.slots[_s].hash) {", n->id);
    em_line(e, "            h_n%d.slots[_s].key = %s(&_new, h_n%d.slots[_s].key);", n->id, et_helper(e, "copy", n->key), n->id);
    em_line(e, "            h_n%d.slots[_s].val = %s(&_new, h_n%d.slots[_s].val);", n->id, ca, n->id);
    em_line(e, "        }");
}

static void se_compact(SE *x)
{
    Emit *e = x->e;
    if (!se_compacts(x))
        return;
    em_line(e, "if (t->scratch.bytes > 2 * _live + 4194304) {   /* compaction */");
    em_line(e, "    fl_arena _new;");
    em_line(e, "    memset(&_new, 0, sizeof _new);");
    for (int i = 0; i < x->s->nodes.len; i++) {
        PlanNode *n = x->s->nodes.items[i];
        if (n->kind == PN_AGG || n->kind == PN_SCAN)
            se_compact_agg(x, n);
    }
    em_line(e, "    fl_arena_free(&t->scratch);");
    em_line(e, "    t->scratch = _new;");
    em_line(e, "    _live = t->scratch.bytes;");
    em_line(e, "}");
}

/* ---- sinks ---- */

static Type *sink_row(SE *x, PlanNode *n) { return row_type(x->e, n->in[0]); }

/* ---- the sink of a phase: collect() or one() into the global pv_K ---- */

static void se_value_open(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    if (!strcmp(n->op, "collect")) {
        em_line(e, "%s vacc_n%d;", et_name(e, el_value_type(e, n)), n->id);
        em_line(e, "memset(&vacc_n%d, 0, sizeof vacc_n%d);", n->id, n->id);
    }
    em_line(e, "fl_i64 vcnt_n%d = 0;", n->id);
}

static void se_value_row(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    Type *rt = sink_row(x, n);
    const char *rc = et_name(e, rt), *copy = et_helper(e, "copy", rt);
    const char *arena = el_value_arena(e, n);
    int id = n->id;
    if (strcmp(n->op, "collect")) {
        em_line(e, "if (vcnt_n%d++ == 0)", id);
        em_line(e, "    %s = %s(%s, %s);", el_value_global(e, n), copy, arena, row);
        return;
    }
    em_vec_push(e, arena_printf(e->a, "vacc_n%d", id), rc, arena, arena_printf(e->a, "%s(%s, %s)", copy, arena, row));
}

static void se_value_close(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    if (!strcmp(n->op, "collect")) {
        em_line(e, "%s = vacc_n%d;", el_value_global(e, n), n->id);
        return;
    }
    int line, col;
    diag_linecol(e->d, n->loc, &line, &col);
    const char *file = diag_source(e->d, n->loc.file)->path;
    em_line(e, "if (vcnt_n%d != 1)", n->id);
    em_line(e, "    fl_fail(t, \"%%s:%d:%d: one() needs exactly one element; the stream has %%lld\", %s, vcnt_n%d);", line, col,
            em_c_string(e, file), n->id);
}

/* ---- a loop's store: the rows of each task, kept for a later phase ---- */

static void se_store_open(SE *x, PlanNode *n)
{
    em_line(x->e, "fl_store *st_n%d = fl_store_of(t, %d);", n->id, n->slot);
}

static void se_store_row(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    Type *rt = sink_row(x, n);
    const char *rc = et_name(e, rt);
    em_line(e, "*(%s *)fl_store_push(st_n%d, (fl_i64)sizeof(%s)) = %s(fl_store_arena(st_n%d), %s);", rc, n->id, rc,
            et_helper(e, "copy", rt), n->id, row);
}

static void se_sink_open(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *name = n->op;
    if (n->value >= 0 || n->delta >= 0) {
        se_value_open(x, n);
        return;
    }
    if (n->slot >= 0) {
        se_store_open(x, n);
        return;
    }
    if (!strcmp(name, "for_each"))
        return;
    const Op *op = n->call->u.call.op;
    Expr *path = op->nparams ? sema_call_arg(n->call, op, 0) : NULL;
    const char *p = !strcmp(name, "print") ? "fl_lit(\"-\", 1)" : ex_expr(e, path);
    em_line(e, "fl_sink *sk_n%d = fl_sink_open(t, %s);", n->id, p);
    em_line(e, "fl_buf sb_n%d;", n->id);
    em_line(e, "memset(&sb_n%d, 0, sizeof sb_n%d);", n->id, n->id);
    em_line(e, "fl_i64 cnt_n%d = 0;", n->id);
    em_line(e, "(void)cnt_n%d;", n->id);
    if (!strcmp(name, "write_csv")) {
        Type *rt = sink_row(x, n);
        em_line(e, "%s(&sb_n%d);", et_helper(e, n->in[0]->key ? "csvhk" : "csvh", rt), n->id);
    }
}

static void se_sink_row(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    const char *name = n->op;
    if (n->value >= 0 || n->delta >= 0) {
        se_value_row(x, n, row);
        return;
    }
    if (n->slot >= 0) {
        se_store_row(x, n, row);
        return;
    }
    Type *rt = type_prune(sink_row(x, n));
    if (!strcmp(name, "for_each")) {
        se_lambda(x, n->fn ? n->fn : sema_call_arg(n->call, n->call->u.call.op, 0), row);
        return;
    }
    if (!strcmp(name, "count_into")) {
        em_line(e, "cnt_n%d++;", n->id);
        return;
    }
    const char *fmt = !strcmp(name, "write_csv") ? "csv" : "print";
    em_line(e, "%s(&sb_n%d, %s);", et_helper(e, fmt, rt), n->id, row);
    em_line(e, "fl_buf_putc(&sb_n%d, '\\n');", n->id);
    em_line(e, "if (sb_n%d.len >= 65536) {", n->id);
    em_line(e, "    fl_sink_write(sk_n%d, sb_n%d.p, sb_n%d.len);", n->id, n->id, n->id);
    em_line(e, "    sb_n%d.len = 0;", n->id);
    em_line(e, "}");
}

static void se_sink_close(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    if (n->value >= 0 || n->delta >= 0) {
        se_value_close(x, n);
        return;
    }
    if (n->slot >= 0 || !strcmp(n->op, "for_each"))
        return;
    if (!strcmp(n->op, "count_into")) {
        em_line(e, "fl_buf_i64(&sb_n%d, cnt_n%d);", n->id, n->id);
        em_line(e, "fl_buf_putc(&sb_n%d, '\\n');", n->id);
    }
    em_line(e, "fl_sink_write(sk_n%d, sb_n%d.p, sb_n%d.len);", n->id, n->id, n->id);
    em_line(e, "fl_buf_free(&sb_n%d);", n->id);
    em_line(e, "fl_sink_close(sk_n%d);", n->id);
}

/* ---- scan and limit ---- */

static Type *scan_state(PlanNode *n) { return type_prune(n->init->type); }  /* (declared above) */

static void se_scan_decl(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *sc = et_name(e, scan_state(n));
    if (n->key) {
        em_sect(e, S_HELPERS, "FL_HT(ht_n%d, %s, %s, %s, %s)\n\n", n->id, et_name(e, n->key), sc,
                et_helper(e, "hash", n->key), et_helper(e, "eq", n->key));
        em_line(e, "ht_n%d h_n%d;", n->id, n->id);
        em_line(e, "memset(&h_n%d, 0, sizeof h_n%d);", n->id, n->id);
    } else {
        em_line(e, "%s s_n%d = %s(&t->scratch, %s);", sc, n->id, et_helper(e, "copy", scan_state(n)),
                ex_expr(e, n->init));
    }
}

static void se_scan(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    const char *st = arena_printf(e->a, "s_n%d", n->id);
    const char *copy = et_helper(e, "copy", scan_state(n));
    if (n->key) {
        const char *slot = em_temp(e), *fresh = em_temp(e);
        em_line(e, "int %s;", fresh);
        em_line(e, "fl_i64 %s = ht_n%d_at(&h_n%d, %s._0, %s(%s._0), &%s);", slot, n->id, n->id, row,
                et_helper(e, "hash", n->key), row, fresh);
        em_line(e, "if (%s) {", fresh);
        em_line(e, "    h_n%d.slots[%s].key = %s(&t->scratch, %s._0);", n->id, slot, et_helper(e, "copy", n->key), row);
        em_line(e, "    h_n%d.slots[%s].val = %s(&t->scratch, %s);", n->id, slot, copy, ex_expr(e, n->init));
        em_line(e, "}");
        st = arena_printf(e->a, "h_n%d.slots[%s].val", n->id, slot);
    }
    EScope *saved = e->scope;
    const char *args[2] = {st, row};
    const char *r = em_temp(e);
    em_line(e, "%s %s = %s;", et_name(e, type_prune(n->fn->type)->u.fn.ret), r, ex_lambda(e, n->fn, args, 2));
    e->scope = saved;
    em_line(e, "%s = %s(&t->scratch, %s._0);", st, copy, r);
    se_consume(x, n, se_keyed(x, n, row, arena_printf(e->a, "%s._1", r)));
}

static void se_scan_finish(SE *x, PlanNode *n)
{
    if (n->key)
        em_line(x->e, "ht_n%d_free(&h_n%d);", n->id, n->id);
}

static void se_limit_decl(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    em_line(e, "fl_i64 lim_n%d = %s;", n->id, ex_expr(e, sema_call_arg(n->call, n->call->u.call.op, 0)));
    em_line(e, "fl_i64 cnt_n%d = 0;", n->id);
    if (!n->local) {
        const char *rc = et_name(e, row_type(e, n));
        em_line(e, "%s *rows_n%d = 0;", rc, n->id);
        em_line(e, "int *from_n%d = 0;", n->id);
        em_line(e, "fl_i64 cap_n%d = 0;", n->id);
    }
}

/* The local part passes the first n of each task; the global part keeps
 * what arrives, with its sender, and emits in sender (= source) order. */
static void se_limit(SE *x, PlanNode *n, const char *row)
{
    Emit *e = x->e;
    if (n->local) {
        em_line(e, "if (cnt_n%d < lim_n%d) {", n->id, n->id);
        e->indent++;
        em_line(e, "cnt_n%d++;", n->id);
        se_consume(x, n, row);
        e->indent--;
        em_line(e, "}");
        return;
    }
    Type *rt = row_type(e, n);
    const char *rc = et_name(e, rt);
    em_line(e, "if (cnt_n%d == cap_n%d) {", n->id, n->id);
    em_line(e, "    fl_i64 c = cap_n%d ? 2 * cap_n%d : 64;", n->id, n->id);
    em_line(e, "    %s *r = (%s *)fl_alloc(&t->scratch, c * (fl_i64)sizeof(%s));", rc, rc, rc);
    em_line(e, "    int *f = (int *)fl_alloc(&t->scratch, c * (fl_i64)sizeof(int));");
    em_line(e, "    if (cnt_n%d) { memcpy(r, rows_n%d, (fl_size)cnt_n%d * sizeof(%s)); memcpy(f, from_n%d, (fl_size)cnt_n%d * sizeof(int)); }",
            n->id, n->id, n->id, rc, n->id, n->id);
    em_line(e, "    rows_n%d = r;", n->id);
    em_line(e, "    from_n%d = f;", n->id);
    em_line(e, "    cap_n%d = c;", n->id);
    em_line(e, "}");
    em_line(e, "rows_n%d[cnt_n%d] = %s(&t->scratch, %s);", n->id, n->id, et_helper(e, "copy", rt), row);
    em_line(e, "from_n%d[cnt_n%d++] = _from;", n->id, n->id);
}

static void se_limit_finish(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    if (n->local)
        return;
    em_line(e, "{");
    e->indent++;
    em_line(e, "fl_i64 _out = 0;");
    em_line(e, "int _maxf = 0;");
    em_line(e, "for (fl_i64 _i = 0; _i < cnt_n%d; _i++)", n->id);
    em_line(e, "    if (from_n%d[_i] > _maxf) _maxf = from_n%d[_i];", n->id, n->id);
    em_line(e, "for (int _f = 0; _f <= _maxf; _f++)");
    em_line(e, "    for (fl_i64 _i = 0; _i < cnt_n%d; _i++)", n->id);
    em_line(e, "        if (from_n%d[_i] == _f && _out < lim_n%d) {", n->id, n->id);
    e->indent += 3;
    em_line(e, "_out++;");
    se_consume(x, n, arena_printf(e->a, "rows_n%d[_i]", n->id));
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
    const char *rc = et_name(e, row_type(e, in));
    em_sect(e, S_HELPERS, "FL_HT(ht_n%d_%d, %s, fl_i64, %s, %s)\n\n", n->id, side, et_name(e, in->key),
            et_helper(e, "hash", in->key), et_helper(e, "eq", in->key));
    em_line(e, "ht_n%d_%d jh%d_n%d;", n->id, side, side, n->id);
    em_line(e, "memset(&jh%d_n%d, 0, sizeof jh%d_n%d);", side, n->id, side, n->id);
    em_line(e, "%s *jr%d_n%d = 0;", rc, side, n->id);
    em_line(e, "fl_i64 *jn%d_n%d = 0;", side, n->id);
    em_line(e, "unsigned char *jm%d_n%d = 0;", side, n->id);
    em_line(e, "fl_i64 jc%d_n%d = 0, jcap%d_n%d = 0;", side, n->id, side, n->id);
}

static void se_join_keep(SE *x, PlanNode *n, int side, const char *row)
{
    Emit *e = x->e;
    Type *rt = row_type(e, n->in[side]);
    const char *rc = et_name(e, rt);
    int id = n->id;
    em_line(e, "if (jc%d_n%d == jcap%d_n%d) {", side, id, side, id);
    em_line(e, "    fl_i64 c = jcap%d_n%d ? 2 * jcap%d_n%d : 256;", side, id, side, id);
    em_line(e, "    %s *r = (%s *)fl_alloc(&t->scratch, c * (fl_i64)sizeof(%s));", rc, rc, rc);
    em_line(e, "    fl_i64 *nx = (fl_i64 *)fl_alloc(&t->scratch, c * (fl_i64)sizeof(fl_i64));");
    em_line(e, "    unsigned char *m = (unsigned char *)fl_alloc(&t->scratch, c);");
    em_line(e, "    if (jc%d_n%d) {", side, id);
    em_line(e, "        memcpy(r, jr%d_n%d, (fl_size)jc%d_n%d * sizeof(%s));", side, id, side, id, rc);
    em_line(e, "        memcpy(nx, jn%d_n%d, (fl_size)jc%d_n%d * sizeof(fl_i64));", side, id, side, id);
    em_line(e, "    }");
    em_line(e, "    memset(m, 0, (fl_size)c);");
    em_line(e, "    jr%d_n%d = r; jn%d_n%d = nx; jm%d_n%d = m; jcap%d_n%d = c;", side, id, side, id, side, id, side, id);
    em_line(e, "}");
    em_line(e, "{");
    em_line(e, "    int _fresh;");
    em_line(e, "    fl_i64 _k = jc%d_n%d++;", side, id);
    em_line(e, "    jr%d_n%d[_k] = %s(&t->scratch, %s);", side, id, et_helper(e, "copy", rt), row);
    em_line(e, "    fl_i64 _s = ht_n%d_%d_at(&jh%d_n%d, jr%d_n%d[_k]._0, %s(jr%d_n%d[_k]._0), &_fresh);", id, side, side,
            id, side, id, et_helper(e, "hash", n->in[side]->key), side, id);
    em_line(e, "    jn%d_n%d[_k] = _fresh ? -1 : jh%d_n%d.slots[_s].val;", side, id, side, id);
    em_line(e, "    jh%d_n%d.slots[_s].val = _k;", side, id);
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
        int opt = type_prune(out->u.tuple.elems[i])->kind == TY_OPT && (i == 1 ? n->how >= 1 : n->how == 2);
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
    em_line(e, "if (jh1_n%d.cap) {", id);
    em_line(e, "    fl_u64 _h = %s(%s._0);", et_helper(e, "hash", n->in[0]->key), row);
    em_line(e, "    fl_i64 _s = ht_n%d_1_find(&jh1_n%d, %s._0, _h);", id, id, row);
    em_line(e, "    if (jh1_n%d.slots[_s].hash) _j = jh1_n%d.slots[_s].val;", id, id);
    em_line(e, "}");
    if (n->how >= 1) {
        em_line(e, "if (_j < 0) {");
        e->indent++;
        se_join_emit(x, n, l, NULL);
        e->indent--;
        em_line(e, "}");
    }
    em_line(e, "for (; _j >= 0; _j = jn1_n%d[_j]) {", id);
    e->indent++;
    em_line(e, "jm1_n%d[_j] = 1;", id);
    se_join_emit(x, n, l, arena_printf(e->a, "jr1_n%d[_j]._1", id));
    e->indent--;
    em_line(e, "}");
}

/* After the left side: an outer join's unmatched right rows. */
static void se_join_finish(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    int id = n->id;
    if (n->how == 2) {
        em_line(e, "for (fl_i64 _r = 0; _r < jc1_n%d; _r++)", id);
        em_line(e, "    if (!jm1_n%d[_r]) {", id);
        e->indent += 2;
        se_join_emit(x, n, NULL, arena_printf(e->a, "jr1_n%d[_r]._1", id));
        e->indent -= 2;
        em_line(e, "    }");
    }
    em_line(e, "ht_n%d_1_free(&jh1_n%d);", id, id);
}

/* The rows of the batch in C variable `batch` (of row type rt) through
 * body, then the batch given back and the row memory freed. */
static void se_batch_rows(SE *x, PlanNode *n, const char *batch, Type *rt,
                          void (*body)(SE *, PlanNode *, const char *))
{
    Emit *e = x->e;
    const char *rc = et_name(e, rt);
    em_line(e, "{");
    e->indent++;
    em_line(e, "%s *_rowsv = (%s *)%s->rows;", rc, rc, batch);
    em_line(e, "int _from = %s->from;", batch);
    em_line(e, "(void)_from;");
    em_line(e, "for (fl_i64 _i = 0; _i < %s->n; _i++) {", batch);
    e->indent++;
    body(x, n, "_rowsv[_i]");
    e->indent--;
    em_line(e, "}");
    em_line(e, "fl_done(t, %s);", batch);
    em_line(e, "fl_arena_free(_A);");
    se_compact(x);
    e->indent--;
    em_line(e, "}");
}

/* The loop over the DATA messages of the inputs in mask; body(row) per row. */
static void se_recv_loop(SE *x, PlanNode *n, const char *mask, Type *rt,
                         void (*body)(SE *, PlanNode *, const char *))
{
    Emit *e = x->e;
    em_line(e, "while (fl_recv(t, %s, &_m)) {", mask);
    e->indent++;
    em_line(e, "if (_m.kind != FL_MSG_DATA)");
    em_line(e, "    continue;");
    se_batch_rows(x, n, "_m.batch", rt, body);
    e->indent--;
    em_line(e, "}");
}

static void se_join_keep1(SE *x, PlanNode *n, const char *row) { se_join_keep(x, n, 1, row); }

/* The held left batches, probed now that the right side is complete. */
static void se_join_release(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    em_line(e, "while (_held) {");
    e->indent++;
    em_line(e, "fl_batch *_hb = _held;");
    em_line(e, "_held = _hb->next;");
    se_batch_rows(x, n, "_hb", row_type(e, n->in[0]), se_join_probe);
    e->indent--;
    em_line(e, "}");
    em_line(e, "_held_tail = &_held;");
}

/* Both inputs are read as they come (so one upstream task feeding both,
 * a self-join, never waits on the other): the right side (input 1) is
 * kept; a left batch is probed at once when the right side has ended, or
 * held until it has. */
static void se_join_receive(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    em_line(e, "fl_msg _m;");
    em_line(e, "fl_batch *_held = 0, **_held_tail = &_held;   /* left batches waiting for the right side */");
    em_line(e, "int _right_done = fl_ended(t, 1);");
    em_line(e, "while (fl_recv(t, 3u, &_m)) {");
    e->indent++;
    em_line(e, "if (_m.kind == FL_MSG_END && _m.input == 1 && !_right_done && fl_ended(t, 1)) {");
    e->indent++;
    em_line(e, "_right_done = 1;");
    se_join_release(x, n);
    e->indent--;
    em_line(e, "}");
    em_line(e, "if (_m.kind != FL_MSG_DATA)");
    em_line(e, "    continue;");
    em_line(e, "if (_m.input == 1) {");
    e->indent++;
    se_batch_rows(x, n, "_m.batch", row_type(e, n->in[1]), se_join_keep1);
    e->indent--;
    em_line(e, "} else if (!_right_done) {");
    em_line(e, "    _m.batch->next = 0;");
    em_line(e, "    *_held_tail = _m.batch;");
    em_line(e, "    _held_tail = &_m.batch->next;");
    em_line(e, "} else {");
    e->indent++;
    se_batch_rows(x, n, "_m.batch", row_type(e, n->in[0]), se_join_probe);
    e->indent--;
    em_line(e, "}");
    e->indent--;
    em_line(e, "}");
    em_line(e, "while (_held) {   /* the job stops: give back what waited */");
    em_line(e, "    fl_batch *_hb = _held;");
    em_line(e, "    _held = _hb->next;");
    em_line(e, "    fl_done(t, _hb);");
    em_line(e, "}");
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
    default: se_elementwise(x, n, row); return;
    }
}

static void se_consume(SE *x, PlanNode *n, const char *row)
{
    for (int i = 0; i < n->nout; i++) {
        PlanNode *c = n->out[i];
        Edge *ed = stage_edge(x->st, n, c);
        if (ed)
            se_edge(x, n, ed, row);
        else
            se_node(x, c, row);
    }
}

/* ---- drivers ---- */

static Expr *src_arg(PlanNode *n, const char *name)
{
    const Op *op = n->call->u.call.op;
    for (int i = 0; i < op->nparams; i++)
        if (!strcmp(op->params[i].name, name))
            return sema_call_arg(n->call, op, i);
    return NULL;
}

static void se_rows_tick(SE *x)
{
    em_line(x->e, "if ((++_rows & 4095) == 0) {");
    x->e->indent++;
    em_line(x->e, "fl_arena_free(_A);");
    se_compact(x);
    em_line(x->e, "if (fl_stopping())");
    em_line(x->e, "    break;");
    x->e->indent--;
    em_line(x->e, "}");
}

static void se_range_loop(SE *x, PlanNode *n, const char *lo, const char *hi, int generate)
{
    Emit *e = x->e;
    em_line(e, "fl_i64 _lo, _hi;");
    em_line(e, "fl_split_range(t, %s, %s, &_lo, &_hi);", lo, hi);
    em_line(e, "for (fl_i64 _i = _lo; _i < _hi; _i++) {");
    e->indent++;
    se_consume(x, n, generate ? se_lambda(x, src_arg(n, "f"), "_i") : "_i");
    se_rows_tick(x);
    e->indent--;
    em_line(e, "}");
}

static void se_lines(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    em_line(e, "fl_lines _r;");
    em_line(e, "if (fl_lines_open(t, &_r, %s) == 0) {", ex_expr(e, src_arg(n, "path")));
    e->indent++;
    em_line(e, "fl_str _line;");
    em_line(e, "while (fl_lines_next(&_r, &_line)) {");
    e->indent++;
    se_consume(x, n, "_line");
    se_rows_tick(x);
    e->indent--;
    em_line(e, "}");
    em_line(e, "fl_lines_close(&_r);");
    e->indent--;
    em_line(e, "}");
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
    if (st->kind == TY_STR) {
        em_line(e, "%s = fl_str_copy(_A, _f[%d]);", target, i);
        return;
    }
    em_line(e, "if (%s(fl_parse_%s(_f[%d], &%s) != 0)) {", opt ? arena_printf(e->a, "%s.some && ", dst) : "",
            kind[st->kind], i, target);
    em_line(e, "    if (_c.skip_bad) { _c.bad++; continue; }");
    em_line(e, "    fl_fail(t, \"%%.*s:%%lld: column %s: `%%.*s` is not %s\", (int)_path.len, _path.ptr, "
               "_c.record_line, (int)_f[%d].len, _f[%d].ptr);", col, st->kind == TY_I64 ? "an i64" : st->kind == TY_F64 ? "an f64" : "a bool", i, i);
    em_line(e, "    break;");
    em_line(e, "}");
}

static void se_csv(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    Type *rt = type_prune(n->elem);
    int nf = rt->kind == TY_RECORD ? rt->u.rec.n : rt->u.tuple.n;
    Expr *hdr = src_arg(n, "header"), *sep = src_arg(n, "sep"), *skip = src_arg(n, "skip_bad");
    em_line(e, "fl_str _path = %s;", ex_expr(e, src_arg(n, "path")));
    em_line(e, "fl_csv _c;");
    em_line(e, "if (fl_csv_open(t, &_c, _path, %s, %s, %s) == 0) {", sep ? ex_expr(e, sep) : "fl_lit(\",\", 1)",
            hdr ? ex_expr(e, hdr) : "1", skip ? ex_expr(e, skip) : "0");
    e->indent++;
    em_line(e, "fl_str _f[%d];", nf + 1);
    em_line(e, "int _k;");
    em_line(e, "while ((_k = fl_csv_next(&_c, _f, %d)) >= 0) {", nf + 1);
    e->indent++;
    em_line(e, "if (_k != %d) {", nf);
    em_line(e, "    if (_c.skip_bad) { _c.bad++; continue; }");
    em_line(e, "    fl_fail(t, \"%%.*s:%%lld: expected %d fields, found %%d\", (int)_path.len, _path.ptr, _c.record_line, _k);", nf);
    em_line(e, "    break;");
    em_line(e, "}");
    em_line(e, "%s _row;", et_name(e, rt));
    for (int i = 0; i < nf; i++) {
        const char *dst = rt->kind == TY_RECORD ? arena_printf(e->a, "_row.%s", rt->u.rec.fields[i].name)
                                                : arena_printf(e->a, "_row._%d", i);
        const char *col = rt->kind == TY_RECORD ? rt->u.rec.fields[i].name : arena_printf(e->a, "%d", i);
        se_csv_field(x, rt->kind == TY_RECORD ? rt->u.rec.fields[i].type : rt->u.tuple.elems[i], dst, i, col);
    }
    se_consume(x, n, "_row");
    se_rows_tick(x);
    e->indent--;
    em_line(e, "}");
    em_line(e, "fl_csv_close(&_c);");
    e->indent--;
    em_line(e, "}");
}

/* Task i's store of a loop: its rows, chunk after chunk. */
static void se_store_source(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *rc = et_name(e, row_type(e, n));
    em_line(e, "fl_store *_st = fl_store_of(t, %d);", n->slot);
    em_line(e, "fl_i64 _n;");
    em_line(e, "%s *_ch;", rc);
    em_line(e, "for (fl_i64 _k = 0; (_ch = (%s *)fl_store_chunk(_st, _k, &_n)) != 0 && !fl_stopping(); _k++) {", rc);
    em_line(e, "    for (fl_i64 _i = 0; _i < _n; _i++) {");
    e->indent += 2;
    se_consume(x, n, "_ch[_i]");
    se_rows_tick(x);
    e->indent -= 2;
    em_line(e, "    }");
    em_line(e, "}");
}

static void se_source(SE *x, PlanNode *n)
{
    Emit *e = x->e;
    const char *name = n->op;
    em_line(e, "fl_i64 _rows = 0;");
    em_line(e, "(void)_rows;");
    if (n->slot >= 0) {
        se_store_source(x, n);
    } else if (n->loop >= 0) {   /* a loop's final state: one element */
        em_line(e, "if (t->index == 0) {");
        e->indent++;
        se_consume(x, n, arena_printf(e->a, "ls_%d", n->loop));
        e->indent--;
        em_line(e, "}");
    } else if (!strcmp(name, "range"))
        se_range_loop(x, n, ex_expr(e, src_arg(n, "lo")), ex_expr(e, src_arg(n, "hi")), 0);
    else if (!strcmp(name, "generate"))
        se_range_loop(x, n, "0", ex_expr(e, src_arg(n, "n")), 1);
    else if (!strcmp(name, "read_lines"))
        se_lines(x, n);
    else if (!strcmp(name, "read_csv"))
        se_csv(x, n);
    else if (!strcmp(name, "from")) {
        const char *v = ex_expr(e, src_arg(n, "v"));
        em_line(e, "fl_i64 _lo, _hi;");
        em_line(e, "fl_split_range(t, 0, %s.len, &_lo, &_hi);", v);
        em_line(e, "for (fl_i64 _i = _lo; _i < _hi; _i++) {");
        e->indent++;
        se_consume(x, n, arena_printf(e->a, "%s.data[_i]", v));
        e->indent--;
        em_line(e, "}");
    } else
        em_unsupported(e, n->loc, arena_printf(e->a, "the source `%s`", name));
}

static void se_receive(SE *x, PlanNode *n)
{
    em_line(x->e, "fl_msg _m;");
    se_recv_loop(x, n, "~0u", row_type(x->e, n), se_consume);
}

static void se_stage(SE *x)
{
    Emit *e = x->e;
    Stage *s = x->s;
    e->f = e->sect[S_STAGES].f;
    e->arena = "_A";

    fprintf(e->f, "/* stage %d: %s */\nstatic void stage_%d(fl_task *t)\n{\n", x->base + s->id, s->driver->op,
            x->base + s->id);
    e->indent = 1;
    em_line(e, "fl_arena _tmp;");
    em_line(e, "memset(&_tmp, 0, sizeof _tmp);");
    em_line(e, "fl_arena *_A = &_tmp;");
    em_line(e, "fl_u64 _rr = (fl_u64)t->index;");
    em_line(e, "(void)_rr;");
    int lk = e->ph->round_of[x->phase];
    if (lk >= 0) {   /* the body's state: a constant of the round */
        Expr *body = sema_call_arg(e->ph->loops[lk].call, e->ph->loops[lk].call->u.call.op, 2);
        ex_bind_pattern(e, body->u.lambda.params[1], arena_printf(e->a, "ls_%d", lk), el_state_type(&e->ph->loops[lk]));
    }
    if (se_compacts(x))
        em_line(e, "fl_i64 _live = 0;   /* the task's memory after the last compaction */");
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
    }
    if (s->driver->kind == PN_JOIN)
        se_join_side_decl(x, s->driver, 1);
    em_line_dir(e, s->driver->loc);
    if (s->driver->kind == PN_SOURCE)
        se_source(x, s->driver);
    else if (s->driver->kind == PN_JOIN)
        se_join_receive(x, s->driver);
    else
        se_receive(x, s->driver);
    if (s->driver->kind == PN_JOIN)
        se_join_finish(x, s->driver);
    for (int i = 0; i < s->nodes.len; i++) {
        PlanNode *n = s->nodes.items[i];
        if (n->kind == PN_AGG)
            se_agg_finish(x, n);
        else if (n->kind == PN_LIMIT)
            se_limit_finish(x, n);
        else if (n->kind == PN_SCAN)
            se_scan_finish(x, n);
    }
    for (int i = 0; i < s->nodes.len; i++)
        if (((PlanNode *)s->nodes.items[i])->kind == PN_SINK)
            se_sink_close(x, s->nodes.items[i]);
    em_line(e, "fl_arena_free(_A);");
    e->indent = 0;
    fputs("}\n\n", e->f);
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
            Type *rt = row_type(e, ed->from);
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
    for (int k = 0; k < nphases; base += sts[k]->n, k++)
        for (int i = 0; i < sts[k]->n; i++) {
            Stage *s = sts[k]->v[i];
            fprintf(f, "    {\"%s\", %d, stage_%d, %d, %s},\n", s->driver->op, s->parallel, base + i, s->outs.len,
                    s->outs.len ? arena_printf(e->a, "stage_%d_outs", base + i) : "0");
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
            SE x = {.e = e, .st = sts[k], .s = sts[k]->v[i], .base = base, .phase = k};
            e->scope = globals;
            se_stage(&x);
        }
    se_table(e, sts, nphases);
    return e->errors;
}
