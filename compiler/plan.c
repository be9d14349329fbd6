/* plan.c - plan nodes and the plan itself: the constructors every pass
 * makes nodes with, the renumbering and linking that ends each pass, and
 * the text dump (flowc plan, flowc plan --dump PASS). The passes are in
 * plan_build.c, plan_prune.c, plan_lower.c and stage.c; plan_pass.c runs
 * them in order. */
#include "plan.h"

#include <string.h>

static Loc plan_loc(Expr *call, PlanNode *in)
{
    if (!call)
        return in ? in->loc : (Loc){-1, 0, 0};
    return call->kind == EX_CALL || call->kind == EX_METHOD ? call->u.call.name_loc : call->loc;
}

PlanNode *plan_node(Arena *a, PlanKind kind, Expr *call, PlanNode *in, Type *elem, Type *key)
{
    PlanNode *n = arena_alloc(a, sizeof *n);
    n->kind = kind;
    n->call = call;
    n->loc = plan_loc(call, in);
    n->op = call && (call->kind == EX_CALL || call->kind == EX_METHOD) ? call->u.call.name : plan_kind_name(kind);
    n->elem = elem;
    n->key = key;
    if (kind == PN_SINK)
        n->u.sink.value = n->u.sink.delta = n->u.sink.slot = -1;
    else if (kind == PN_SOURCE)
        n->u.src.slot = n->u.src.loop = -1;
    if (in) {
        n->in = arena_alloc(a, sizeof(PlanNode *));
        n->in[0] = in;
        n->nin = 1;
    }
    return n;
}

PlanNode *plan_node2(Arena *a, PlanKind kind, Expr *call, PlanNode *l, PlanNode *r, Type *elem, Type *key)
{
    PlanNode *n = plan_node(a, kind, call, l, elem, key);
    n->in = arena_alloc(a, 2 * sizeof(PlanNode *));
    n->in[0] = l;
    n->in[1] = r;
    n->nin = 2;
    return n;
}

static void plan_add_out(Arena *a, PlanNode *in, PlanNode *n)
{
    if (in->nout == in->outcap) {
        int cap = in->outcap ? in->outcap * 2 : 2;
        PlanNode **o = arena_alloc(a, sizeof(PlanNode *) * (size_t)cap);
        if (in->nout)
            memcpy(o, in->out, sizeof(PlanNode *) * (size_t)in->nout);
        in->out = o;
        in->outcap = cap;
    }
    in->out[in->nout++] = n;
}

void plan_set_nodes(Plan *p, Arena *a, PlanNode **nodes, int n)
{
    p->nodes = nodes;
    p->n = n;
    for (int i = 0; i < n; i++) {
        nodes[i]->id = i;
        nodes[i]->nout = 0;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < nodes[i]->nin; j++)
            plan_add_out(a, nodes[i]->in[j], nodes[i]);
}

const char *plan_kind_name(PlanKind k)
{
    static const char *names[] = {"source", "map", "filter", "flat_map", "filter_map", "inspect", "key",
                                  "unkey", "shuffle", "gather", "aggregate", "merge", "sink", "scan",
                                  "limit", "broadcast", "keys", "join", "zip", "tasks", "event_time", "late",
                                  "window", "window_join", "interval_join", "pipe"};
    return names[k];
}

const char *plan_node_kind(const PlanNode *n)
{
    if (n->kind == PN_AGG && n->u.agg.part != AGG_WHOLE)
        return n->u.agg.part == AGG_LOCAL ? "aggregate (local)" : "aggregate (global)";
    return plan_kind_name(n->kind);
}

static void plan_print_type(FILE *out, const PlanNode *n)
{
    if (n->key) {
        fputs("keyed<", out);
        type_print(out, n->key);
        fputs(", ", out);
    } else {
        fputs("stream<", out);
    }
    type_print(out, n->elem);
    fputc('>', out);
}

void plan_print(FILE *out, const Plan *p)
{
    static const char *parts[] = {"", " (local)", " (global)"};
    for (int i = 0; i < p->n; i++) {
        PlanNode *n = p->nodes[i];
        fprintf(out, "n%d %s `%s`%s", n->id, plan_kind_name(n->kind), n->op,
                n->kind == PN_AGG ? parts[n->u.agg.part] : "");
        int slot = n->kind == PN_SINK ? n->u.sink.slot : n->kind == PN_SOURCE ? n->u.src.slot : -1;
        if (slot >= 0)
            fprintf(out, " [store %d]", slot);
        if (n->kind == PN_SINK && n->u.sink.delta >= 0)
            fprintf(out, " [loop %d delta]", n->u.sink.delta);
        if (n->kind == PN_SOURCE && n->u.src.loop >= 0 && slot < 0)
            fprintf(out, " [loop %d state]", n->u.src.loop);
        if (n->kind == PN_WINDOW || n->kind == PN_WJOIN) {
            static const char *wk[] = {"any", "count", "tumbling", "sliding", "session", "transaction"};
            static const char *wt[] = {"no time", "event time", "processing time"};
            fprintf(out, " [%s, %s]", wk[n->u.win.wk], wt[n->u.win.time]);
        }
        if (n->ts)
            fputs(" [timed]", out);
        for (int j = 0; j < n->nin; j++)
            fprintf(out, "%s n%d", j ? "," : " <-", n->in[j]->id);
        fputs(" : ", out);
        plan_print_type(out, n);
        fputc('\n', out);
    }
}
