/* plan_build.c - the build pass: from the checked program to the plan, one
 * node per stream operator (a `let` stream is one node with several
 * consumers). High-level operators stay whole here: an aggregation is one
 * PN_AGG (part AGG_WHOLE), a limit one PN_LIMIT, a join one PN_JOIN with its
 * key lambdas, a sink one PN_SINK; plan_lower.c splits them. A few operators
 * are spelt with others: group_by is a key and a shuffle, group_by_count(k)
 * is group_by(k).count(), distinct the keys of a count by the element. What
 * the back end does not run yet is reported at the operator, so `flowc run`
 * never starts a job it cannot finish. */
#include "plan.h"

#include <string.h>

#include "sema.h"

typedef struct StreamBind {
    const char *name;       /* a top-level let (top-level names are unique) */
    PlanNode *node;
} StreamBind;

typedef struct PB {
    Arena *a;
    Diag *d;
    const Phases *ph;
    int phase;
    Program *prog;
    int in_let;             /* building a top-level let (built again in every phase) */
    PtrVec nodes;
    PtrVec binds;
    int errors;
} PB;

static PlanNode *pb_node(PB *b, PlanKind kind, Expr *call, PlanNode *in, Type *elem, Type *key)
{
    PlanNode *n = plan_node(b->a, kind, call, in, elem, key);
    ptrvec_push(b->a, &b->nodes, n);
    return n;
}

static PlanNode *pb_node2(PB *b, PlanKind kind, Expr *call, PlanNode *l, PlanNode *r, Type *elem)
{
    PlanNode *n = plan_node2(b->a, kind, call, l, r, elem, NULL);
    ptrvec_push(b->a, &b->nodes, n);
    return n;
}

static void pb_unsupported(PB *b, Expr *call, const char *what)
{
    diag_error(b->d, call->u.call.name_loc, "%s is not supported by the back end yet (flowc check "
               "accepts it; flowc run and build do not)", what);
    b->errors++;
}

static PlanNode *pb_stream(PB *b, Expr *e);

/* The stream a call applies to: its receiver (method form) or first argument. */
static PlanNode *pb_receiver(PB *b, Expr *call)
{
    Expr *r = call->kind == EX_METHOD ? call->u.call.recv : call->u.call.args[0]->value;
    return pb_stream(b, r);
}

static Type *pb_elem(Expr *e) { return type_prune(e->type)->u.stream.elem; }
static Type *pb_key(Expr *e) { return type_prune(e->type)->u.stream.key; }

static int pb_agg_kind(const char *name, AggKind *k)
{
    static const struct { const char *name; AggKind k; } kinds[] = {
        {"count", AGG_COUNT}, {"sum", AGG_SUM}, {"min", AGG_MIN}, {"max", AGG_MAX}, {"avg", AGG_AVG},
        {"fold_assoc", AGG_FOLD}, {"reduce_assoc", AGG_REDUCE}, {"fold", AGG_FOLD}, {"reduce", AGG_REDUCE},
        {"group_by_count", AGG_COUNT}, {"group_by_sum", AGG_SUM}, {"group_by_avg", AGG_AVG},
        {"group_by_reduce", AGG_REDUCE}, {"group_by_fold", AGG_FOLD}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(name, kinds[i].name)) {
            *k = kinds[i].k;
            return 1;
        }
    return 0;
}

/* An aggregation, whole: its lambdas and init value by the operator's names;
 * associative unless it is plain fold or reduce. */
static PlanNode *pb_agg(PB *b, Expr *call, PlanNode *in, AggKind k)
{
    const char *name = call->u.call.name;
    PlanNode *n = pb_node(b, PN_AGG, call, in, pb_elem(call), pb_key(call));
    n->u.agg.kind = k;
    n->u.agg.part = AGG_WHOLE;
    n->u.agg.assoc = strcmp(name, "fold") && strcmp(name, "reduce");
    n->fn = sema_arg(call, !strcmp(name, "group_by_sum") || !strcmp(name, "group_by_avg") ? "value"
                   : !strcmp(name, "fold_assoc") ? "local" : "f");
    n->init = sema_arg(call, "init");
    n->u.agg.merge = sema_arg(call, "merge");
    return n;
}

/* group_by(k): the key, and a repartition by it. */
static PlanNode *pb_group_by(PB *b, Expr *call, PlanNode *in)
{
    PlanNode *n = pb_node(b, PN_KEY, call, in, in->elem, pb_key(call));
    n->u.keyfn = sema_arg(call, "key");
    return pb_node(b, PN_SHUFFLE, call, n, n->elem, n->key);
}

/* distinct: the keys of a count by the element itself (keyfn NULL). */
static PlanNode *pb_distinct(PB *b, Expr *call, PlanNode *in)
{
    PlanNode *keyed = pb_node(b, PN_KEY, call, in, in->elem, in->elem);
    PlanNode *move = pb_node(b, PN_SHUFFLE, call, keyed, in->elem, in->elem);
    PlanNode *count = pb_node(b, PN_AGG, call, move, TYPE_I64, in->elem);
    count->u.agg.kind = AGG_COUNT;
    count->u.agg.assoc = 1;
    return pb_node(b, PN_KEYONLY, call, count, in->elem, NULL);
}

static PlanNode *pb_elementwise(PB *b, Expr *call, PlanNode *in)
{
    static const struct { const char *name; PlanKind k; } kinds[] = {
        {"map", PN_MAP}, {"filter", PN_FILTER}, {"flat_map", PN_FLAT_MAP},
        {"filter_map", PN_FILTER_MAP}, {"inspect", PN_INSPECT}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(call->u.call.name, kinds[i].name)) {
            PlanNode *n = pb_node(b, kinds[i].k, call, in, pb_elem(call), pb_key(call));
            n->fn = sema_arg(call, "f");
            return n;
        }
    return NULL;
}

/* scan: one state per key on a keyed stream, one in all on a plain one. */
static PlanNode *pb_scan(PB *b, Expr *call, PlanNode *in)
{
    PlanNode *n = pb_node(b, PN_SCAN, call, in, pb_elem(call), pb_key(call));
    n->fn = sema_arg(call, "f");
    n->init = sema_arg(call, "init");
    return n;
}

/* join: the two inputs and the key lambdas of each side. */
static PlanNode *pb_join(PB *b, Expr *call, PlanNode *in)
{
    PlanNode *other = pb_stream(b, sema_arg(call, "other"));
    if (!other)
        return NULL;
    Expr *how = sema_arg(call, "how");
    PlanNode *j = pb_node2(b, PN_JOIN, call, in, other, pb_elem(call));
    j->u.join.lkey = sema_arg(call, "left_key");
    j->u.join.rkey = sema_arg(call, "right_key");
    j->u.join.how = how && how->type ? type_prune(how->type)->u.sym.chosen : 0;
    return j;
}

/* parallelism(n): n is evaluated when the job starts (a literal or params). */
static PlanNode *pb_tasks(PB *b, Expr *call, PlanNode *in)
{
    Expr *n = sema_arg(call, "n");
    const char *why = b->ph && b->ph->nloops ? "parallelism in a program with iterate or replay"
                      : plan_names_let(b->prog, n) ? "parallelism whose n is a value the job computes (n must be "
                                                   "known when the job starts: a literal or params)"
                                                 : NULL;
    if (why) {
        if (!b->in_let || b->phase == 0)   /* once, not in every phase that builds the let */
            diag_error(b->d, call->u.call.name_loc, "%s is not supported by the back end yet", why);
        b->errors++;
        return NULL;
    }
    PlanNode *t = pb_node(b, PN_TASKS, call, in, in->elem, in->key);
    t->u.ntasks = n;
    return t;
}

/* An operator on its receiver and `other`: merge (the elements of both) or
 * zip (paired on one task, stage.c, in source order). */
static PlanNode *pb_two(PB *b, Expr *call, PlanNode *in, PlanKind kind)
{
    PlanNode *other = pb_stream(b, sema_arg(call, "other"));
    return other ? pb_node2(b, kind, call, in, other, pb_elem(call)) : NULL;
}

/* event_time(f, delay): stamps the rows; late(): what it found behind the watermark. */
static PlanNode *pb_time(PB *b, Expr *call, PlanNode *in)
{
    if (!strcmp(call->u.call.name, "late")) {
        if (in->kind != PN_EVTIME) {
            int downgrade = b->d->downgrade;   /* a rule of the language, not a gap of the back end */
            b->d->downgrade = 0;
            diag_error(b->d, call->u.call.name_loc, "late() takes the result of event_time(..) (or a let bound "
                       "to it): the late elements are those its watermark has passed");
            b->d->downgrade = downgrade;
            b->errors++;
            return NULL;
        }
        return pb_node(b, PN_LATE, call, in, in->elem, NULL);
    }
    PlanNode *n = pb_node(b, PN_EVTIME, call, in, in->elem, NULL);
    n->fn = sema_arg(call, "f");
    n->u.delay = sema_arg(call, "delay");
    return n;
}

/* The expression of a window spec: the call itself, or the let it names. */
static Expr *pb_spec(PB *b, Expr *e)
{
    for (int i = 0; e && e->kind == EX_NAME && i < b->prog->nitems; i++) {
        Item *it = b->prog->items[i];
        if (it->kind == IT_LET && it->u.let.pat->kind == PAT_NAME && !strcmp(it->u.let.pat->name, e->u.name.name))
            return it->u.let.value;
    }
    return e;
}

static int pb_spec_into(PB *b, Expr *call, Expr *spec_arg, PlanNode *n, int evtime);

/* window(spec) or window_all(spec): a node that waits for its aggregation
 * (pb_window_agg makes the one that runs; this one is pruned). */
static PlanNode *pb_window(PB *b, Expr *call, PlanNode *in)
{
    PlanNode *n = pb_node(b, PN_WINDOW, call, in, in->elem, in->key);
    if (pb_spec_into(b, call, sema_arg(call, "spec"), n, type_prune(call->type)->u.stream.win_event) < 0)
        return NULL;
    return n;
}

/* The window of a window spec expression into n->u.win (0), or -1 after an error. */
static int pb_spec_into(PB *b, Expr *call, Expr *spec_arg, PlanNode *n, int evtime)
{
    Expr *spec = pb_spec(b, spec_arg);
    if (!spec || (spec->kind != EX_CALL && spec->kind != EX_METHOD) || !spec->u.call.op) {
        diag_error(b->d, call->u.call.name_loc, "the window here must be written as a call (tumbling(..), "
                   "sliding(..), ...) or a let bound to one");
        b->errors++;
        return -1;
    }
    const char *k = spec->u.call.name;
    n->u.win.wk = !strcmp(k, "count") ? WK_COUNT : !strcmp(k, "tumbling") ? WK_TUMBLING
                  : !strcmp(k, "sliding") ? WK_SLIDING : !strcmp(k, "session") ? WK_SESSION : WK_TXN;
    n->u.win.time = n->u.win.wk == WK_COUNT ? WT_NONE : evtime ? WT_EVENT : WT_PROC;
    n->u.win.size = sema_arg(spec, n->u.win.wk == WK_COUNT ? "n" : n->u.win.wk == WK_SESSION ? "gap" : "size");
    n->u.win.slide = n->u.win.wk == WK_COUNT || n->u.win.wk == WK_SLIDING ? sema_arg(spec, "slide") : NULL;
    n->u.win.txn = n->u.win.wk == WK_TXN ? sema_arg(spec, "f") : NULL;
    n->u.win.agg = -1;
    return 0;
}

/* window_join: both sides and the window; lower keys the sides. */
static PlanNode *pb_window_join(PB *b, Expr *call, PlanNode *in)
{
    PlanNode *other = pb_stream(b, sema_arg(call, "other"));
    if (!other)
        return NULL;
    PlanNode *j = pb_node2(b, PN_WJOIN, call, in, other, pb_elem(call));
    if (pb_spec_into(b, call, sema_arg(call, "window"), j, type_prune(call->u.call.recv->type)->u.stream.evtime) < 0)
        return NULL;
    j->u.win.lkey = sema_arg(call, "left_key");
    j->u.win.rkey = sema_arg(call, "right_key");
    return j;
}

/* interval_join: two keyed streams (partitioned by their keys already). */
static PlanNode *pb_interval_join(PB *b, Expr *call, PlanNode *in)
{
    PlanNode *other = pb_stream(b, sema_arg(call, "other"));
    if (!other)
        return NULL;
    PlanNode *j = plan_node2(b->a, PN_IJOIN, call, in, other, pb_elem(call), pb_key(call));
    ptrvec_push(b->a, &b->nodes, j);
    j->u.ijoin.lower = sema_arg(call, "lower");
    j->u.ijoin.upper = sema_arg(call, "upper");
    return j;
}

/* A window aggregation: the window node of its receiver, whole. */
static PlanNode *pb_window_agg(PB *b, Expr *call, PlanNode *w)
{
    static const struct { const char *name; AggKind k; } kinds[] = {
        {"count", AGG_COUNT}, {"sum", AGG_SUM}, {"min", AGG_MIN}, {"max", AGG_MAX}, {"avg", AGG_AVG},
        {"fold", AGG_FOLD}, {"reduce", AGG_REDUCE}, {"first", AGG_FIRST}, {"last", AGG_LAST},
        {"collect", AGG_COLLECT}};
    if (w->kind != PN_WINDOW || (int)w->u.win.agg >= 0) {
        pb_unsupported(b, call, "a window aggregation on this stream");
        return NULL;
    }
    PlanNode *n = pb_node(b, PN_WINDOW, call, w->in[0], pb_elem(call), pb_key(call));
    n->u.win = w->u.win;
    n->loc = w->loc;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(call->u.call.name, kinds[i].name))
            n->u.win.agg = kinds[i].k;
    n->fn = sema_arg(call, "f");
    n->init = sema_arg(call, "init");
    return n;
}

/* The operators that take a stream, other than the element-wise ones. */
static PlanNode *pb_stream_op(PB *b, Expr *call, PlanNode *in)
{
    const Op *op = call->u.call.op;
    const char *name = call->u.call.name;
    StreamShape sh = op->recv->u.stream.shape;
    AggKind k;
    if (sh == SH_WINDOWED || sh == SH_KWINDOWED)
        return pb_window_agg(b, call, in);
    if (!strcmp(name, "event_time") || !strcmp(name, "late"))
        return pb_time(b, call, in);
    if (!strcmp(name, "window") || !strcmp(name, "window_all"))
        return pb_window(b, call, in);
    if (!strcmp(name, "window_join"))
        return pb_window_join(b, call, in);
    if (!strcmp(name, "interval_join"))
        return pb_interval_join(b, call, in);
    if (!strcmp(name, "key_by")) {
        PlanNode *n = pb_node(b, PN_KEY, call, in, in->elem, pb_key(call));
        n->u.keyfn = sema_arg(call, "key");
        return n;
    }
    if (!strcmp(name, "group_by"))
        return pb_group_by(b, call, in);
    if (!strncmp(name, "group_by_", 9) && pb_agg_kind(name, &k))
        return pb_agg(b, call, pb_group_by(b, call, in), k);
    if ((sh == SH_KEYED || sh == SH_PLAIN) && pb_agg_kind(name, &k))
        return pb_agg(b, call, in, k);
    if (!strcmp(name, "unkey"))
        return pb_node(b, PN_UNKEY, call, in, pb_elem(call), NULL);
    if (!strcmp(name, "shuffle"))
        return pb_node(b, PN_SHUFFLE, call, in, in->elem, NULL);
    if (!strcmp(name, "broadcast"))
        return pb_node(b, PN_BROADCAST, call, in, in->elem, NULL);
    if (!strcmp(name, "distinct"))
        return pb_distinct(b, call, in);
    if (!strcmp(name, "join"))
        return pb_join(b, call, in);
    if (!strcmp(name, "scan"))
        return pb_scan(b, call, in);
    if (!strcmp(name, "limit"))
        return pb_node(b, PN_LIMIT, call, in, in->elem, NULL);
    if (!strcmp(name, "pipe"))
        return pb_node(b, PN_PIPE, call, in, in->elem, NULL);
    if (!strcmp(op->def->group, "sink"))
        return pb_node(b, PN_SINK, call, in, in->elem, in->key);
    if (!strcmp(name, "merge") || !strcmp(name, "zip"))
        return pb_two(b, call, in, name[0] == 'm' ? PN_MERGE : PN_ZIP);
    if (!strcmp(name, "parallelism"))
        return pb_tasks(b, call, in);
    pb_unsupported(b, call, arena_printf(b->a, "`%s`", name));
    return NULL;
}

static PlanNode *pb_op(PB *b, Expr *call)
{
    const Op *op = call->u.call.op;
    if (!op->recv)
        return pb_node(b, PN_SOURCE, call, NULL, pb_elem(call), NULL);
    PlanNode *in = pb_receiver(b, call);
    if (!in)
        return NULL;
    PlanNode *n = pb_elementwise(b, call, in);
    return n ? n : pb_stream_op(b, call, in);
}

static PlanNode *pb_name(PB *b, Expr *e)
{
    for (int i = b->binds.len - 1; i >= 0; i--) {   /* the innermost first (a loop body's) */
        StreamBind *sb = b->binds.items[i];
        if (!strcmp(sb->name, e->u.name.name))
            return sb->node;  /* NULL: its let failed, and was reported */
    }
    diag_error(b->d, e->loc, "this stream is not supported by the back end yet");
    b->errors++;
    return NULL;
}

static void pb_bind(PB *b, const char *name, PlanNode *n);

/* A block whose value is a stream (a loop's body, say): its stream lets
 * bound while its result is built. */
static PlanNode *pb_block(PB *b, Expr *e)
{
    int mark = b->binds.len;
    for (int i = 0; i < e->u.block.n; i++) {
        Stmt *st = e->u.block.stmts[i];
        const char *why = !type_has_stream(st->value->type) ? "a value `let` in a block whose value is a stream (compute "
                                                              "the value in the lambda that uses it)"
                          : plan_is_loop(st->value)       ? "a loop inside a loop's body"
                          : st->pat->kind != PAT_NAME     ? "taking a tuple of streams apart in a block"
                                                          : NULL;
        if (why) {
            diag_error(b->d, st->value->loc, "%s is not supported by the back end yet", why);
            b->errors++;
            b->binds.len = mark;
            return NULL;
        }
        pb_bind(b, st->pat->name, pb_stream(b, st->value));
    }
    PlanNode *n = pb_stream(b, e->u.block.result);
    b->binds.len = mark;
    return n;
}

static PlanNode *pb_stream(PB *b, Expr *e)
{
    if (e->kind == EX_NAME)
        return pb_name(b, e);
    if (e->kind == EX_BLOCK)
        return pb_block(b, e);
    if (e->kind != EX_CALL && e->kind != EX_METHOD) {
        diag_error(b->d, e->loc, "this stream expression is not supported by the back end yet");
        b->errors++;
        return NULL;
    }
    const Op *op = e->u.call.op;
    if (!op || !op->def) {
        diag_error(b->d, e->u.call.name_loc, "this stream is not supported by the back end yet");
        b->errors++;
        return NULL;
    }
    return pb_op(b, e);
}

static void pb_bind(PB *b, const char *name, PlanNode *n)
{
    StreamBind *sb = arena_alloc(b->a, sizeof *sb);
    sb->name = name;
    sb->node = n;
    ptrvec_push(b->a, &b->binds, sb);
    if (n && !n->name)
        n->name = name;
}

/* The names of a let that failed: their uses are not reported again. */
static void pb_poison(PB *b, Pattern *p)
{
    if (p->kind == PAT_TUPLE) {
        for (int i = 0; i < p->nelems; i++)
            pb_poison(b, p->elems[i]);
        return;
    }
    if (p->kind == PAT_NAME)
        pb_bind(b, p->name, NULL);
}

/* A source of loop l's stores or state, for the phases after its rounds
 * and for its body. */
static PlanNode *pb_loop_source(PB *b, int l, const char *op, int slot, Type *stream)
{
    PlanNode *n = pb_node(b, PN_SOURCE, b->ph->loops[l].call, NULL, type_prune(stream)->u.stream.elem,
                          type_prune(stream)->u.stream.key);
    n->op = op;
    n->u.src.slot = slot;
    n->u.src.loop = l;
    return n;
}

/* `let (state, out) = s.iterate(..)`: after the rounds, the final state
 * (one element) and the last round's output (its store); before, nothing. */
static void pb_loop_let(PB *b, Item *it, int l)
{
    Pattern *p = it->u.let.pat;
    const Loop *lp = &b->ph->loops[l];
    Type *t = type_prune(it->u.let.value->type);
    if (b->phase <= lp->round || p->kind != PAT_TUPLE || p->nelems != 2) {
        pb_poison(b, p);
        return;
    }
    if (p->elems[0]->kind == PAT_NAME)
        pb_bind(b, p->elems[0]->name, pb_loop_source(b, l, "state", -1, t->u.tuple.elems[0]));
    if (p->elems[1]->kind == PAT_NAME)
        pb_bind(b, p->elems[1]->name, pb_loop_source(b, l, "store", lp->out_slot, t->u.tuple.elems[1]));
}

static void pb_let(PB *b, Item *it)
{
    Pattern *p = it->u.let.pat;
    if (!type_has_stream(it->u.let.value->type))
        return;  /* a value: emitted as a constant of the job */
    int l = plan_loop_index(b->ph, it->u.let.value);
    if (l >= 0) {
        pb_loop_let(b, it, l);
        return;
    }
    if (p->kind != PAT_NAME && p->kind != PAT_WILD) {
        diag_error(b->d, it->u.let.value->loc, "taking a tuple of streams apart is supported for the result of "
                                               "iterate and replay only");
        b->errors++;
        pb_poison(b, p);
        return;
    }
    b->in_let = 1;
    PlanNode *n = pb_stream(b, it->u.let.value);
    b->in_let = 0;
    if (p->kind == PAT_NAME)
        pb_bind(b, p->name, n);
}

/* A sink that writes what reaches it into the task's store `slot`. */
static void pb_store(PB *b, PlanNode *in, Expr *call, int slot)
{
    if (!in)
        return;
    PlanNode *n = pb_node(b, PN_SINK, call, in, in->elem, in->key);
    n->op = "store";
    n->u.sink.slot = slot;
}

/* The cache phase of loop l: its input and the streams its body names, into stores. */
static void pb_loop_cache(PB *b, int l)
{
    const Loop *lp = &b->ph->loops[l];
    pb_store(b, pb_receiver(b, lp->call), lp->call, lp->in_slot);
    for (int i = 0; i < lp->nfree; i++)
        pb_store(b, pb_name(b, lp->free[i]), lp->call, lp->free_slot[i]);
}

/* A round's delta: the merged fold of `local`/`merge`, or the output as a vector. */
static void pb_loop_delta(PB *b, int l, PlanNode *out)
{
    Expr *call = b->ph->loops[l].call, *local = sema_arg(call, "local");
    PlanNode *in = out;
    if (local) {
        if (local->kind != EX_TUPLE || local->u.list.n != 2) {
            diag_error(b->d, local->loc, "write `local` as a pair (the initial delta, a lambda folding an element "
                                         "into it)");
            b->errors++;
            return;
        }
        in = pb_node(b, PN_AGG, call, out, type_prune(local->u.list.elems[0]->type), NULL);
        in->op = "delta";
        in->u.agg.kind = AGG_FOLD;
        in->u.agg.part = AGG_WHOLE;
        in->u.agg.assoc = 1;
        in->init = local->u.list.elems[0];
        in->fn = local->u.list.elems[1];
        in->u.agg.merge = sema_arg(call, "merge");
    }
    PlanNode *n = pb_node(b, PN_SINK, call, in, in->elem, in->key);
    n->op = local ? "one" : "collect";
    n->u.sink.delta = l;
}

/* The round phase of loop l: the body on the stores, its delta, its output kept. */
static void pb_loop_round(PB *b, int l)
{
    const Loop *lp = &b->ph->loops[l];
    Expr *body = sema_arg(lp->call, "body");
    if (body->kind != EX_LAMBDA || body->u.lambda.n != 2) {
        diag_error(b->d, body->loc, "the body of a loop must be written as a lambda |input, state| ..");
        b->errors++;
        return;
    }
    int mark = b->binds.len;
    Pattern *self = body->u.lambda.params[0];
    if (self->kind == PAT_NAME)
        pb_bind(b, self->name, pb_loop_source(b, l, "store", lp->in_slot, lp->call->u.call.recv->type));
    for (int i = 0; i < lp->nfree; i++)
        pb_bind(b, lp->free[i]->u.name.name, pb_loop_source(b, l, "store", lp->free_slot[i], lp->free[i]->type));
    PlanNode *out = pb_stream(b, body->u.lambda.body);
    b->binds.len = mark;
    if (!out)
        return;
    if (out->key) {
        diag_error(b->d, body->u.lambda.body->loc, "the body of a loop gives a keyed stream; the back end needs a "
                                                   "plain one here: end it with .unkey()");
        b->errors++;
        return;
    }
    pb_loop_delta(b, l, out);
    if (lp->out_slot >= 0)
        pb_store(b, out, lp->call, lp->out_slot);
}

/* Value call k of a phase: its stream, ended by a sink that keeps the value. */
static void pb_value(PB *b, Expr *call, int k)
{
    PlanNode *in = pb_receiver(b, call);
    if (!in)
        return;
    PlanNode *n = pb_node(b, PN_SINK, call, in, in->elem, in->key);
    n->u.sink.value = k;
}

/* A keyed aggregation, distinct or join over an unbounded stream with no
 * window keeps a state that grows with its keys forever: a warning. A node
 * reads an unbounded source when one of its inputs does, or it is one; a
 * window, a window_join or an interval_join bounds what follows (one pass:
 * the nodes come after their inputs). */
static void pb_state_warnings(PB *b)
{
    char *unb = arena_alloc(b->a, (size_t)b->nodes.len + 1);
    for (int i = 0; i < b->nodes.len; i++) {
        PlanNode *n = b->nodes.items[i];
        unb[i] = n->kind == PN_SOURCE && (!strcmp(n->op, "stdin_lines") || !strcmp(n->op, "tcp_lines"));
        for (int k = 0; k < n->nin && n->kind != PN_WINDOW && n->kind != PN_WJOIN && n->kind != PN_IJOIN; k++)
            for (int j = i - 1; j >= 0; j--)
                if (b->nodes.items[j] == n->in[k]) {
                    unb[i] |= unb[j];
                    break;
                }
        int keyed = n->kind == PN_AGG && n->key;
        if ((!keyed && n->kind != PN_JOIN) || !unb[i])
            continue;
        diag_warning(b->d, n->call->u.call.name_loc, "`%s` over an unbounded stream keeps %s, forever: window the "
                     "stream first (window(..), window_join, interval_join) to bound its state",
                     n->op, n->kind == PN_JOIN ? "every element of both sides" : "a state for every key it has seen");
    }
}

/* The plan of one phase: every let stream (prune keeps what the phase
 * needs), then its roots: the value calls it computes, and in the last
 * phase the pipelines. */
Plan *plan_from_program(Program *p, const Phases *ph, int phase, Arena *a, Diag *d)
{
    PB b = {.a = a, .d = d, .ph = ph, .phase = phase, .prog = p};
    int last = ph ? ph->nphases - 1 : 0;
    for (int i = 0; i < p->nitems; i++) {
        Item *it = p->items[i];
        if (it->kind == IT_LET)
            pb_let(&b, it);
        else if (it->kind == IT_EXPR && phase == last)
            pb_stream(&b, it->u.expr.expr);
    }
    for (int k = 0; ph && k < ph->ncalls; k++)
        if (ph->phase[k] == phase)
            pb_value(&b, ph->calls[k], k);
    for (int l = 0; ph && l < ph->nloops; l++) {
        if (ph->loops[l].cache == phase)
            pb_loop_cache(&b, l);
        if (ph->loops[l].round == phase)
            pb_loop_round(&b, l);
    }
    if (phase == last)
        pb_state_warnings(&b);
    if (b.errors)
        return NULL;
    Plan *plan = arena_alloc(a, sizeof *plan);
    plan_set_nodes(plan, a, (PlanNode **)b.nodes.items, b.nodes.len);
    plan->phase = phase;
    return plan;
}
