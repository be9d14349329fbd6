/* plan_lower.c - the lower pass: rewrites the high-level nodes of a built
 * (and pruned) plan into what the stages run, node by node, each expansion
 * taking the place of the node it replaces in the order:
 *   aggregate, associative   local part -> shuffle by key (or gather) -> global
 *                            part; a keyed one pre-aggregates only where it
 *                            comes straight from a group_by, whose shuffle it
 *                            replaces (else its input is partitioned already)
 *   aggregate, not assoc.    whole stream: gather -> aggregate; keyed: as is
 *   limit                    local part -> gather -> global part
 *   scan (not keyed)         gather -> scan
 *   sink (but for_each)      gather -> sink (one writer), unless its input
 *                            is on one task already; a loop's store
 *                            sink stays on each task (task i's store is
 *                            read by task i of a later phase)
 *   join                     a key node on each side (stage.c repartitions
 *                            both by it into the join's stage)
 *   zip                      as it is (stage.c sends both sides to its one
 *                            task); a stream zipped with itself gets a
 *                            pass-through node per side
 *   window_join              its sides keyed into a driver, then a window
 *                            that pairs what each window holds
 *   interval_join            as it is; a stream joined with itself gets a
 *                            pass-through node (the key kept) per side */
#include "plan.h"

#include <string.h>

typedef struct PL {
    Arena *a;
    PtrVec out;     /* the lowered plan, in order */
} PL;

static PlanNode *pl_add(PL *l, PlanNode *n)
{
    ptrvec_push(l->a, &l->out, n);
    return n;
}

static PlanNode *pl_node(PL *l, PlanKind kind, PlanNode *like, PlanNode *in, Type *elem, Type *key)
{
    PlanNode *n = plan_node(l->a, kind, like->call, in, elem, key);
    n->op = like->op;
    return pl_add(l, n);
}

/* Takes a node out of the lowered plan (made already: it came before). */
static void pl_drop(PL *l, PlanNode *n)
{
    int j = 0;
    for (int i = 0; i < l->out.len; i++)
        if (l->out.items[i] != n)
            l->out.items[j++] = l->out.items[i];
    l->out.len = j;
}

/* The local part of aggregation g, on g's input. */
static PlanNode *pl_agg_local(PL *l, PlanNode *g, PlanNode *in)
{
    PlanNode *n = pl_node(l, PN_AGG, g, in, g->elem, g->key);
    n->u.agg.kind = g->u.agg.kind;
    n->u.agg.part = AGG_LOCAL;
    n->u.agg.assoc = 1;
    n->fn = g->fn;
    n->init = g->init;
    n->u.agg.merge = g->u.agg.merge;
    return n;
}

/* local part -> move -> g, the global part. */
static void pl_split(PL *l, PlanNode *g, PlanNode *in, PlanKind move)
{
    PlanNode *local = pl_agg_local(l, g, in);
    g->in[0] = pl_node(l, move, g, local, g->elem, g->key);
    g->u.agg.part = AGG_GLOBAL;
    pl_add(l, g);
}

static void pl_keyed_agg(PL *l, PlanNode *g)
{
    PlanNode *in = g->in[0];
    if (g->u.agg.assoc && in->kind == PN_SHUFFLE && !in->name && in->nout == 1) {
        pl_drop(l, in);  /* group_by's shuffle: the partial results move instead */
        pl_split(l, g, in->in[0], PN_SHUFFLE);
        return;
    }
    g->u.agg.part = AGG_GLOBAL;
    pl_add(l, g);
}

static void pl_whole_agg(PL *l, PlanNode *g)
{
    PlanNode *in = g->in[0];
    if (g->u.agg.assoc) {
        pl_split(l, g, in, PN_GATHER);
        return;
    }
    g->in[0] = pl_node(l, PN_GATHER, g, in, in->elem, NULL);
    pl_add(l, g);
}

static void pl_limit(PL *l, PlanNode *n)
{
    PlanNode *local = pl_node(l, PN_LIMIT, n, n->in[0], n->elem, NULL);
    local->u.local = 1;
    n->in[0] = pl_node(l, PN_GATHER, n, local, n->elem, NULL);
    pl_add(l, n);
}

/* Whether node n runs on one task already: a gather, or what follows one
 * in its stage (the global part of a whole-stream aggregation, say). */
static int pl_on_one_task(const PlanNode *n)
{
    for (; n; n = n->nin == 1 ? n->in[0] : NULL) {
        if (n->kind == PN_GATHER || n->kind == PN_ZIP)
            return 1;
        if (n->kind == PN_SOURCE || n->kind == PN_SHUFFLE || n->kind == PN_BROADCAST || n->kind == PN_JOIN ||
            n->kind == PN_WJOIN || n->kind == PN_IJOIN ||
            n->kind == PN_MERGE)
            return 0;
    }
    return 0;
}

/* n, on one task after a gather of its input when `one` (and it is not on
 * one task already), else as it is. */
static void pl_one_task(PL *l, PlanNode *n, int one)
{
    PlanNode *in = n->in[0];
    if (one && !pl_on_one_task(in))
        n->in[0] = pl_node(l, PN_GATHER, n, in, in->elem, in->key);
    pl_add(l, n);
}

static void pl_join(PL *l, PlanNode *j)
{
    Type *kt = type_prune(j->u.join.lkey->type)->u.fn.ret;
    for (int i = 0; i < 2; i++) {
        PlanNode *k = pl_node(l, PN_KEY, j, j->in[i], j->in[i]->elem, kt);
        k->u.keyfn = i ? j->u.join.rkey : j->u.join.lkey;
        j->in[i] = k;
    }
    pl_add(l, j);
}

/* window_join: the sides keyed (as a join's) into a driver that makes
 * each element a (some(x), none) or (none, some(y)) of the one stream it
 * windows; w itself becomes that window, which pairs what each window
 * holds of both sides (its consumers keep pointing to it). */
static void pl_window_join(PL *l, PlanNode *w)
{
    Type *kt = type_prune(w->u.win.lkey->type)->u.fn.ret;
    PlanNode *k[2];
    for (int i = 0; i < 2; i++) {
        k[i] = pl_node(l, PN_KEY, w, w->in[i], w->in[i]->elem, kt);
        k[i]->u.keyfn = i ? w->u.win.rkey : w->u.win.lkey;
    }
    Type *both = type_pair(l->a, type_opt(l->a, w->in[0]->elem), type_opt(l->a, w->in[1]->elem));
    PlanNode *d = plan_node2(l->a, PN_WJOIN, w->call, k[0], k[1], both, kt);
    d->op = w->op;
    d->u.win = w->u.win;
    pl_add(l, d);
    w->kind = PN_WINDOW;
    w->in[0] = d;
    w->nin = 1;
    w->u.win.agg = AGG_COLLECT;
    w->u.win.pairs = 1;
    pl_add(l, w);
}

/* a.zip(a): each side through a node of its own, so that each is its own edge. */
static void pl_zip(PL *l, PlanNode *z)
{
    if (z->in[0] == z->in[1])
        for (int i = 0; i < 2; i++)
            z->in[i] = pl_node(l, PN_UNKEY, z, z->in[i], z->in[i]->elem, NULL);
    pl_add(l, z);
}

/* a.interval_join(a): each side through a pass-through of its own (the key kept), so
 * that each is its own edge. */
static void pl_interval_join(PL *l, PlanNode *j)
{
    if (j->in[0] == j->in[1])
        for (int i = 0; i < 2; i++)
            j->in[i] = pl_node(l, PN_UNKEY, j, j->in[i], j->in[i]->elem, j->in[i]->key);
    pl_add(l, j);
}

static void pl_lower(PL *l, PlanNode *n)
{
    switch (n->kind) {
    case PN_ZIP: pl_zip(l, n); return;
    case PN_AGG: n->key ? pl_keyed_agg(l, n) : pl_whole_agg(l, n); return;
    case PN_LIMIT: pl_limit(l, n); return;
    case PN_JOIN: pl_join(l, n); return;
    case PN_WJOIN: pl_window_join(l, n); return;
    case PN_IJOIN: pl_interval_join(l, n); return;
    case PN_SCAN: pl_one_task(l, n, !n->in[0]->key); return;
    case PN_WINDOW: pl_one_task(l, n, !n->key); return;   /* window_all: on one task */
    case PN_SINK: pl_one_task(l, n, strcmp(n->op, "for_each") && n->u.sink.slot < 0); return;
    default: pl_add(l, n); return;
    }
}

void plan_lower(Plan *p, Arena *a)
{
    PL l = {.a = a};
    for (int i = 0; i < p->n; i++)
        pl_lower(&l, p->nodes[i]);
    plan_set_nodes(p, a, (PlanNode **)l.out.items, l.out.len);
    plan_time(p);
}

/* ---- time: which rows carry a time ----
 * A node's rows carry a time (ts) from an event_time on, through the
 * operators that keep it (docs/language.md, "Time and windows"): the
 * element-wise ones, keying, repartitions, limit, scan, windows (a
 * window's result has the time end - 1), merge when every input has it.
 * Aggregations, joins and zip lose it. A processing-time window on rows
 * without event time has its sources stamp the test clock's time (the
 * element's position), which only --test-clock uses. */

static int pt_keeps_time(const PlanNode *n)
{
    switch (n->kind) {
    case PN_AGG: case PN_KEYONLY: case PN_JOIN: case PN_ZIP: case PN_SOURCE: case PN_EVTIME: case PN_LIMIT: return 0;
    default: return 1;
    }
}

/* The sources above n, through the operators that keep time, stamp the
 * test clock's time (unless an event_time comes first). */
static void pt_stamp_sources(PlanNode *n)
{
    if (n->kind == PN_SOURCE) {
        if (n->u.src.slot < 0 && n->u.src.loop < 0)
            n->u.src.pt = 1;
        return;
    }
    if (!pt_keeps_time(n))
        return;
    for (int i = 0; i < n->nin; i++)
        pt_stamp_sources(n->in[i]);
}

/* Whether what follows n (through the operators that keep time) stamps event time, and
 * nothing after n reads it in source order (limit, zip, scan). */
static int pt_feeds_time(const PlanNode *n, int *ordered, int depth)
{
    int found = 0;
    for (int i = 0; i < n->nout && depth < 1000; i++) {
        const PlanNode *c = n->out[i];
        if (c->kind == PN_LIMIT || c->kind == PN_ZIP || c->kind == PN_SCAN)
            *ordered = 1;
        if (c->kind == PN_EVTIME)
            found = 1;
        else if (pt_keeps_time(c) || c->kind == PN_LIMIT)
            found |= pt_feeds_time(c, ordered, depth + 1);
    }
    return found;
}

void plan_time(Plan *p)
{
    for (int i = 0; i < p->n; i++) {   /* a generated source with event time: interleaved chunks */
        PlanNode *n = p->nodes[i];
        int ordered = 0;
        if (n->kind == PN_SOURCE && n->u.src.slot < 0 && n->u.src.loop < 0 &&
            (!strcmp(n->op, "range") || !strcmp(n->op, "generate") || !strcmp(n->op, "from")))
            n->u.src.chunked = pt_feeds_time(n, &ordered, 0) && !ordered;
    }
    for (int i = 0; i < p->n; i++) {
        PlanNode *n = p->nodes[i];
        if (n->kind == PN_WINDOW && n->u.win.time == WT_PROC)
            pt_stamp_sources(n->in[0]);
    }
    for (int i = 0; i < p->n; i++) {
        PlanNode *n = p->nodes[i];
        if (n->kind == PN_EVTIME || n->kind == PN_LATE)
            n->ts = 1;
        else if (n->kind == PN_SOURCE)
            n->ts = n->u.src.pt;
        else if (!pt_keeps_time(n))
            n->ts = 0;
        else {
            n->ts = n->nin > 0;
            for (int j = 0; j < n->nin; j++)
                n->ts &= n->in[j]->ts;
        }
    }
}
