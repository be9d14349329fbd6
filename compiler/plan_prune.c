/* plan_prune.c - the prune pass: keeps only the nodes from which a sink can
 * be reached. A top-level `let` stream nobody uses (sema warns about it in
 * the main file), a pipeline without a sink, and every stream of a module
 * (`use nexmark`) that the program does not read, are dropped here, so the
 * job neither computes nor stores them. Runs on the built plan, before
 * lower, so what is dropped is never lowered. */
#include "plan.h"

/* Whether node i reaches a sink: it is one, or one of its consumers (later
 * in the order, so decided already) does. */
static int pp_live(const PlanNode *n, const char *live)
{
    if (n->kind == PN_SINK)
        return 1;
    for (int i = 0; i < n->nout; i++)
        if (live[n->out[i]->id])
            return 1;
    return 0;
}

void plan_prune(Plan *p, Arena *a)
{
    char *live = arena_alloc(a, (size_t)p->n + 1);
    for (int i = p->n - 1; i >= 0; i--)
        live[i] = (char)pp_live(p->nodes[i], live);
    int n = 0;
    for (int i = 0; i < p->n; i++)
        if (live[i])
            p->nodes[n++] = p->nodes[i];
    plan_set_nodes(p, a, p->nodes, n);
}
