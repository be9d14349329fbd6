/* plan_phase.c - the phases of a job. A value call (`s.collect()` or
 * `s.one()`, an operator with OPF_PHASE) in a top-level value let turns a
 * stream into a value: the part of the job it needs runs before what uses
 * the value, and its result is a constant of the later phases.
 *
 * A value call's phase is one more than the latest phase whose value its
 * stream needs (through the lets it names, transitively), or 0: so calls
 * that need nothing of each other are computed in one phase, in one pass
 * over their input (`total` and `per_digit` of one stream, say). The last
 * phase runs the pipelines. A value let is computed (by the init of a
 * phase) before the first phase after every value call it needs: its
 * segment. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "ops.h"

typedef struct PW {
    Program *p;
    Arena *a;
    Phases *ph;
    int cap;
    int *need;               /* per item: 1 + the latest phase it needs, 0: none; -1 unknown */
} PW;

static int is_value_call(const Expr *e)
{
    if (e->kind != EX_CALL && e->kind != EX_METHOD)
        return 0;
    const Op *op = e->u.call.op;
    return op && op->def && (op->def->flags & OPF_PHASE);
}

static int value_let(const Item *it)
{
    return it->kind == IT_LET && !type_has_stream(it->u.let.value->type);
}

/* The children of e (ast_children into a buffer of the right size). */
static int kids_of(const Expr *e, Expr ***out, Expr **small)
{
    int n = ast_children(e, small, 16);
    *out = small;
    if (n > 16) {
        *out = malloc(sizeof **out * (size_t)n);
        ast_children(e, *out, n);
    }
    return n;
}

static int pattern_binds(const Pattern *p, const char *name)
{
    if (p->kind == PAT_NAME)
        return !strcmp(p->name, name);
    for (int i = 0; p->kind == PAT_TUPLE && i < p->nelems; i++)
        if (pattern_binds(p->elems[i], name))
            return 1;
    return 0;
}

/* The top-level let before item `before` that binds name, or -1. */
static int let_of(Program *p, const char *name, int before)
{
    for (int i = before - 1; i >= 0; i--)
        if (p->items[i]->kind == IT_LET && pattern_binds(p->items[i]->u.let.pat, name))
            return i;
    return -1;
}

static int expr_need(PW *w, Expr *e, int item);

/* 1 + the latest phase item i needs (its calls' phases included), or 0. */
static int item_need(PW *w, int i)
{
    if (w->need[i] < 0)
        w->need[i] = expr_need(w, w->p->items[i]->u.let.value, i);
    return w->need[i];
}

static void add_call(PW *w, Expr *e, int phase)
{
    Phases *ph = w->ph;
    if (ph->ncalls == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 8;
        Expr **v = arena_alloc(w->a, sizeof *v * (size_t)w->cap);
        int *q = arena_alloc(w->a, sizeof *q * (size_t)w->cap);
        for (int i = 0; i < ph->ncalls; i++)
            v[i] = ph->calls[i], q[i] = ph->phase[i];
        ph->calls = v;
        ph->phase = q;
    }
    ph->calls[ph->ncalls] = e;
    ph->phase[ph->ncalls++] = phase;
    if (phase + 1 > ph->nphases - 1)
        ph->nphases = phase + 2;
}

/* 1 + the latest phase e needs: the lets it names, and its own value calls
 * (numbered here, innermost first, in program order). */
static int expr_need(PW *w, Expr *e, int item)
{
    int need = 0;
    if (e->kind == EX_NAME) {
        int i = let_of(w->p, e->u.name.name, item);
        return i >= 0 ? item_need(w, i) : 0;
    }
    Expr *small[16], **kids;
    int n = kids_of(e, &kids, small);
    for (int i = 0; i < n; i++) {
        int k = expr_need(w, kids[i], item);
        need = k > need ? k : need;
    }
    if (kids != small)
        free(kids);
    if (is_value_call(e) && value_let(w->p->items[item])) {
        add_call(w, e, need);
        need = need + 1;
    }
    return need;
}

Phases *plan_phases(Program *p, Arena *a)
{
    Phases *ph = arena_alloc(a, sizeof *ph);
    ph->nphases = 1;
    ph->seg = arena_alloc(a, sizeof *ph->seg * (size_t)(p->nitems + 1));
    PW w = {.p = p, .a = a, .ph = ph, .need = malloc(sizeof(int) * (size_t)(p->nitems + 1))};
    for (int i = 0; i < p->nitems; i++)
        w.need[i] = -1;
    for (int i = 0; i < p->nitems; i++)
        if (p->items[i]->kind == IT_LET)
            ph->seg[i] = value_let(p->items[i]) ? item_need(&w, i) : 0;
    free(w.need);
    return ph;
}

int plan_value_index(const Phases *ph, const Expr *x)
{
    for (int i = 0; ph && i < ph->ncalls; i++)
        if (ph->calls[i] == x)
            return i;
    return -1;
}
