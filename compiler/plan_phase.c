/* plan_phase.c - the phases of a job. A value call (`s.collect()` or
 * `s.one()`, an operator with OPF_PHASE) in a top-level value let turns a
 * stream into a value: the part of the job it needs runs first, as a phase
 * of its own, and its result is a constant of the later phases. Value calls
 * are numbered in program order; phase k computes value call k, and the
 * last phase (number ncalls) runs the pipelines. A value let is computed
 * once every value call written before it, or in it, has its value: its
 * segment is the number of those calls. */
#include "plan.h"

#include <stdlib.h>

#include "ops.h"

static int is_value_call(const Expr *e)
{
    if (e->kind != EX_CALL && e->kind != EX_METHOD)
        return 0;
    const Op *op = e->u.call.op;
    return op && op->def && (op->def->flags & OPF_PHASE);
}

/* The value calls of e, innermost first (a call's receiver is computed
 * before the call), appended to ph. */
static void collect_calls(Arena *a, Phases *ph, Expr *e, int *cap)
{
    Expr *small[16], **kids = small;
    int n = ast_children(e, small, 16);
    if (n > 16) {
        kids = malloc(sizeof *kids * (size_t)n);
        ast_children(e, kids, n);
    }
    for (int i = 0; i < n; i++)
        collect_calls(a, ph, kids[i], cap);
    if (kids != small)
        free(kids);
    if (!is_value_call(e))
        return;
    if (ph->ncalls == *cap) {
        Expr **v = arena_alloc(a, sizeof *v * (size_t)(*cap ? 2 * *cap : 8));
        for (int i = 0; i < ph->ncalls; i++)
            v[i] = ph->calls[i];
        ph->calls = v;
        *cap = *cap ? 2 * *cap : 8;
    }
    ph->calls[ph->ncalls++] = e;
}

static int value_let(const Item *it)
{
    return it->kind == IT_LET && !type_has_stream(it->u.let.value->type);
}

Phases *plan_phases(Program *p, Arena *a)
{
    Phases *ph = arena_alloc(a, sizeof *ph);
    ph->seg = arena_alloc(a, sizeof *ph->seg * (size_t)(p->nitems + 1));
    int cap = 0;
    for (int i = 0; i < p->nitems; i++) {
        if (value_let(p->items[i]))
            collect_calls(a, ph, p->items[i]->u.let.value, &cap);
        ph->seg[i] = ph->ncalls;
    }
    return ph;
}

int plan_value_index(const Phases *ph, const Expr *x)
{
    for (int i = 0; ph && i < ph->ncalls; i++)
        if (ph->calls[i] == x)
            return i;
    return -1;
}
