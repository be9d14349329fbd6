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
 * segment.
 *
 * A loop (iterate or replay) takes two phases: its cache phase, at the
 * level of the streams it reads (its input and the top-level streams its
 * body names), and its round phase, which repeats, one level later or at
 * the level of the values it needs (its state, max, and what its lambdas
 * name), whichever is later; what uses its result comes after. The work
 * is done in levels first, then each level becomes phases: one for its
 * value calls and loop caches (the last level: the pipelines), then one per
 * loop whose rounds are at that level (a round phase runs nothing else). */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "sema.h"

typedef struct PW {
    Program *p;
    Arena *a;
    Phases *ph;
    int cap, loopcap;
    int *need;               /* per item: 1 + the latest level it needs, 0: none; -1 unknown */
    int body;                /* inside a loop's body (sema allows no value call there) */
} PW;

static int is_value_call(const Expr *e)
{
    if (e->kind != EX_CALL && e->kind != EX_METHOD)
        return 0;
    const Op *op = e->u.call.op;
    return op && op->def && (op->def->flags & OPF_PHASE);
}

int plan_is_loop(const Expr *e)
{
    if (e->kind != EX_METHOD)
        return 0;
    const Op *op = e->u.call.op;
    return op && op->def && op->def->hook == HK_ITERATE;
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

/* 1 + the latest level item i needs (its calls' levels included), or 0. */
static int item_need(PW *w, int i)
{
    if (w->need[i] < 0)
        w->need[i] = expr_need(w, w->p->items[i]->u.let.value, i);
    return w->need[i];
}

static void add_call(PW *w, Expr *e, int level)
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
    ph->phase[ph->ncalls++] = level;
}

static Loop *add_loop(PW *w)
{
    Phases *ph = w->ph;
    if (ph->nloops == w->loopcap) {
        w->loopcap = w->loopcap ? 2 * w->loopcap : 4;
        Loop *v = arena_alloc(w->a, sizeof *v * (size_t)w->loopcap);
        if (ph->nloops)
            memcpy(v, ph->loops, sizeof *v * (size_t)ph->nloops);
        ph->loops = v;
    }
    Loop *l = &ph->loops[ph->nloops++];
    memset(l, 0, sizeof *l);
    return l;
}

/* The top-level streams that body expression e names (but the body's own
 * input, `self`), added to l once each. */
static void body_streams(PW *w, Loop *l, Expr *e, const char *self, int item)
{
    if (e->kind == EX_NAME) {
        const char *name = e->u.name.name;
        int i = let_of(w->p, name, item);
        if (i < 0 || value_let(w->p->items[i]) || (self && !strcmp(name, self)))
            return;
        for (int k = 0; k < l->nfree; k++)
            if (!strcmp(l->free[k]->u.name.name, name))
                return;
        Expr **v = arena_alloc(w->a, sizeof *v * (size_t)(l->nfree + 1));
        if (l->nfree)
            memcpy(v, l->free, sizeof *v * (size_t)l->nfree);
        v[l->nfree++] = e;
        l->free = v;
        return;
    }
    Expr *small[16], **kids;
    int n = kids_of(e, &kids, small);
    for (int i = 0; i < n; i++)
        body_streams(w, l, kids[i], self, item);
    if (kids != small)
        free(kids);
}

/* A loop: its cache level (the streams it reads) and round level; returns
 * the level after its rounds. */
static int loop_need(PW *w, Expr *e, int item)
{
    Expr *body = sema_arg(e, "body");
    Loop *l = add_loop(w);
    int li = w->ph->nloops - 1;
    l->call = e;
    l->item = item;
    l->iterate = !strcmp(e->u.call.name, "iterate");
    Pattern *self = body->kind == EX_LAMBDA && body->u.lambda.n > 0 ? body->u.lambda.params[0] : NULL;
    if (body->kind == EX_LAMBDA)
        body_streams(w, l, body->u.lambda.body, self && self->kind == PAT_NAME ? self->name : NULL, item);
    int cache = expr_need(w, e->u.call.recv, item);
    for (int k = 0; k < l->nfree; k++) {
        int n = expr_need(w, l->free[k], item);
        cache = n > cache ? n : cache;
    }
    int all = cache + 1;
    Expr *small[16], **kids;
    int n = kids_of(e, &kids, small);
    for (int i = 0; i < n; i++) {
        if (kids[i] == e->u.call.recv)
            continue;
        w->body += kids[i] == body;
        int k = expr_need(w, kids[i], item);
        w->body -= kids[i] == body;
        all = k > all ? k : all;
    }
    if (kids != small)
        free(kids);
    l = &w->ph->loops[li];   /* (the walk may have added loops) */
    l->cache = cache;
    l->round = all;
    return all + 1;
}

/* 1 + the latest level e needs: the lets it names, its own value calls
 * (numbered here, innermost first, in program order) and loops. */
static int expr_need(PW *w, Expr *e, int item)
{
    int need = 0;
    if (e->kind == EX_NAME) {
        int i = let_of(w->p, e->u.name.name, item);
        return i >= 0 ? item_need(w, i) : 0;
    }
    if (plan_is_loop(e) && !w->body)
        return loop_need(w, e, item);
    Expr *small[16], **kids;
    int n = kids_of(e, &kids, small);
    for (int i = 0; i < n; i++) {
        int k = expr_need(w, kids[i], item);
        need = k > need ? k : need;
    }
    if (kids != small)
        free(kids);
    if (is_value_call(e) && !w->body) {
        add_call(w, e, need);
        need = need + 1;
    }
    return need;
}

/* Levels to phases: per level, its value calls and caches (if any, and
 * always at the last level), then the rounds of its loops. */
static void number_phases(PW *w, int top)
{
    Phases *ph = w->ph;
    int *ord = arena_alloc(w->a, sizeof(int) * (size_t)(top + 1));
    int *first = arena_alloc(w->a, sizeof(int) * (size_t)(top + 2));
    int *round = arena_alloc(w->a, sizeof(int) * (size_t)(ph->nloops + 1));   /* per loop: its phase */
    int np = 0;
    for (int lv = 0; lv <= top; lv++) {
        int has = lv == top;
        for (int k = 0; k < ph->ncalls; k++)
            has |= ph->phase[k] == lv;
        for (int k = 0; k < ph->nloops; k++)
            has |= ph->loops[k].cache == lv;
        first[lv] = np;
        ord[lv] = has ? np++ : -1;
        for (int k = 0; k < ph->nloops; k++)
            if (ph->loops[k].round == lv)
                round[k] = np++;
    }
    for (int k = 0; k < ph->nloops; k++) {
        ph->loops[k].round = round[k];
        ph->loops[k].cache = ord[ph->loops[k].cache];
    }
    for (int k = 0; k < ph->ncalls; k++)
        ph->phase[k] = ord[ph->phase[k]];
    for (int i = 0; i < w->p->nitems; i++)
        if (w->p->items[i]->kind == IT_LET)
            ph->seg[i] = first[ph->seg[i]];
    ph->nphases = np;
    ph->round_of = arena_alloc(w->a, sizeof(int) * (size_t)np);
    for (int k = 0; k < np; k++)
        ph->round_of[k] = -1;
    for (int k = 0; k < ph->nloops; k++)
        ph->round_of[ph->loops[k].round] = k;
}

/* The stores of the loops: input, output when kept, and one per stream a body names. */
static void number_slots(PW *w)
{
    Phases *ph = w->ph;
    for (int k = 0; k < ph->nloops; k++) {
        Loop *l = &ph->loops[k];
        Pattern *pat = w->p->items[l->item]->u.let.pat;
        int keep = l->iterate || (pat->kind == PAT_TUPLE && pat->nelems == 2 && pat->elems[1]->kind == PAT_NAME);
        l->in_slot = ph->nslots++;
        l->out_slot = keep ? ph->nslots++ : -1;
        l->free_slot = arena_alloc(w->a, sizeof(int) * (size_t)(l->nfree + 1));
        for (int i = 0; i < l->nfree; i++)
            l->free_slot[i] = ph->nslots++;
    }
}

Phases *plan_phases(Program *p, Arena *a)
{
    Phases *ph = arena_alloc(a, sizeof *ph);
    ph->seg = arena_alloc(a, sizeof *ph->seg * (size_t)(p->nitems + 1));
    PW w = {.p = p, .a = a, .ph = ph, .need = malloc(sizeof(int) * (size_t)(p->nitems + 1))};
    for (int i = 0; i < p->nitems; i++)
        w.need[i] = -1;
    int top = 0;
    for (int i = 0; i < p->nitems; i++) {
        Item *it = p->items[i];
        int n = it->kind == IT_LET ? item_need(&w, i) : it->kind == IT_EXPR ? expr_need(&w, it->u.expr.expr, i) : 0;
        if (it->kind == IT_LET)
            ph->seg[i] = value_let(it) ? n : 0;
        top = n > top ? n : top;
    }
    free(w.need);
    number_phases(&w, top);
    number_slots(&w);
    return ph;
}

int plan_value_index(const Phases *ph, const Expr *x)
{
    for (int i = 0; ph && i < ph->ncalls; i++)
        if (ph->calls[i] == x)
            return i;
    return -1;
}

int plan_loop_index(const Phases *ph, const Expr *x)
{
    for (int i = 0; ph && i < ph->nloops; i++)
        if (ph->loops[i].call == x)
            return i;
    return -1;
}

void plan_print_scopes(FILE *out, const Phases *ph, int k)
{
    int r = ph->round_of[k];
    if (r >= 0) {
        const Loop *l = &ph->loops[r];
        fprintf(out, "scope: the rounds of loop %d (`%s`), repeated: input store %d", r, l->call->u.call.name,
                l->in_slot);
        for (int i = 0; i < l->nfree; i++)
            fprintf(out, ", `%s` store %d", l->free[i]->u.name.name, l->free_slot[i]);
        if (l->out_slot >= 0)
            fprintf(out, ", output store %d", l->out_slot);
        fprintf(out, "\n  feedback: the merged delta -> step%s -> the next round's state%s\n",
                "", l->iterate ? "; the output store becomes the next round's input store" : "");
        return;
    }
    fprintf(out, "scope: phase %d, once%s\n", k, k + 1 == ph->nphases ? " (the pipelines)" : "");
    for (int i = 0; i < ph->nloops; i++)
        if (ph->loops[i].cache == k)
            fprintf(out, "  caches for loop %d: its input into store %d%s\n", i, ph->loops[i].in_slot,
                    ph->loops[i].nfree ? ", and the streams its body names" : "");
}

const char *plan_phase_label(const Phases *ph, int k)
{
    if (ph->round_of[k] >= 0)
        return "rounds";
    if (k + 1 == ph->nphases)
        return "the pipelines";
    int values = 0, caches = 0;
    for (int i = 0; i < ph->ncalls; i++)
        values |= ph->phase[i] == k;
    for (int i = 0; i < ph->nloops; i++)
        caches |= ph->loops[i].cache == k;
    return values && caches ? "values and caches" : caches ? "caches" : "values";
}

int plan_names_let(Program *p, Expr *e)
{
    if (e->kind == EX_NAME)
        return let_of(p, e->u.name.name, p->nitems) >= 0;
    Expr *small[16], **kids;
    int n = kids_of(e, &kids, small), found = 0;
    for (int i = 0; i < n && !found; i++)
        found = plan_names_let(p, kids[i]);
    if (kids != small)
        free(kids);
    return found;
}
