/* test_plan.c - unit tests of the phase and loop planner (compiler/plan_phase.c)
 * and of the plan passes on loops (plan_build.c, plan_lower.c), on programs
 * checked in memory: value calls get one level after what their stream
 * needs and share a phase when independent; a loop gets a cache phase at
 * the level of the streams it reads and an exclusive round phase; value
 * lets are computed before the first phase of their level; stores are
 * numbered per loop (input, kept output, streams the body names); value
 * calls inside stream lets count; and the round plan has the body on the
 * stores, the delta and the kept output, the store sinks staying on each
 * task (no gather). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <string.h>

#include "helpers.h"
#include "plan.h"

static Checked C;

static void teardown(void) { checked_fini(&C); }

TestSuite(plan, .fini = teardown);

static Phases *phases_of(const char *src)
{
    check_src(&C, src);
    cr_assert_eq(C.errors, 0, "errors in:\n%s\n---\n%s", src, checked_out(&C));
    return plan_phases(C.f.prog, &C.f.arena);
}

/* The index of the top-level let that binds `name`. */
static int item_of(const char *name)
{
    for (int i = 0; i < C.f.prog->nitems; i++) {
        Item *it = C.f.prog->items[i];
        if (it->kind == IT_LET && it->u.let.pat->kind == PAT_NAME && !strcmp(it->u.let.pat->name, name))
            return i;
    }
    cr_assert_fail("no let %s", name);
    return -1;
}

Test(plan, independent_values_share_a_phase)
{
    Phases *ph = phases_of("let xs = range(0, 10)\n"
                           "let a = xs.sum(|x| x).one()\n"
                           "let b = xs.count().one()\n"
                           "let c = xs.filter(|x| x > a).count().one()\n"
                           "xs.map(|x| x + a + b + c).print()\n");
    cr_assert_eq(ph->ncalls, 3);
    cr_assert_eq(ph->phase[0], 0);
    cr_assert_eq(ph->phase[1], 0, "b needs nothing of a: the same phase, one pass");
    cr_assert_eq(ph->phase[2], 1, "c's stream uses a");
    cr_assert_eq(ph->nphases, 3);
    cr_assert_eq(ph->seg[item_of("c")], 2);
    cr_assert_eq(ph->nloops, 0);
    for (int k = 0; k < ph->nphases; k++)
        cr_assert_eq(ph->round_of[k], -1);
}

Test(plan, a_loop_has_a_cache_phase_and_an_exclusive_round_phase)
{
    Phases *ph = phases_of("let edges = range(0, 10).map(|x| (x, x + 1))\n"
                           "let n = edges.count().one()\n"
                           "let (st, out) = range(0, 3).iterate(max: n, state: 0,\n"
                           "    body: |s, _| s.join(edges, |v| v, |(a, _)| a).map(|(_, (_, b))| b),\n"
                           "    step: |_, o| len(o))\n"
                           "let total = out.count().one()\n"
                           "st.map(|s| s + total).print()\n");
    cr_assert_eq(ph->nloops, 1);
    const Loop *l = &ph->loops[0];
    cr_assert(l->iterate);
    cr_assert_eq(l->cache, 0, "the streams it reads need nothing: cached with n's phase");
    cr_assert_eq(l->round, 1, "max needs n (phase 0)");
    cr_assert_eq(ph->round_of[1], 0);
    cr_assert_eq(ph->phase[0], 0, "n");
    cr_assert_eq(ph->phase[1], 2, "total: after the rounds");
    cr_assert_eq(ph->nphases, 4);
    cr_assert_eq(l->nfree, 1);
    cr_assert_str_eq(l->free[0]->u.name.name, "edges");
    cr_assert_eq(l->in_slot, 0);
    cr_assert_eq(l->out_slot, 1, "iterate keeps its output");
    cr_assert_eq(l->free_slot[0], 2);
    cr_assert_eq(ph->nslots, 3);
}

Test(plan, a_value_call_in_a_stream_let_and_a_replay_without_its_output)
{
    Phases *ph = phases_of("let pts = range(0, 100)\n"
                           "let (cs, _) = pts.replay(max: 3, state: pts.limit(2).collect(),\n"
                           "    body: |s, c| s.map(|p| p + len(c)),\n"
                           "    step: |c, _| c)\n"
                           "cs.print()\n");
    cr_assert_eq(ph->ncalls, 1, "the state's collect is a value call");
    cr_assert_eq(ph->phase[0], 0);
    const Loop *l = &ph->loops[0];
    cr_assert_eq(l->cache, 0, "the points are cached with the collect's pass");
    cr_assert_eq(l->round, 1);
    cr_assert_eq(l->out_slot, -1, "a replay whose output is `_` keeps none");
    cr_assert_eq(l->nfree, 0);
    cr_assert_eq(ph->nphases, 3);
}

Test(plan, two_loops_at_one_level_get_a_phase_each)
{
    Phases *ph = phases_of("let (a, _) = range(0, 5).iterate(max: 2, state: 0, body: |s, _| s, step: |_, o| len(o))\n"
                           "let (b, _) = range(0, 5).replay(max: 2, state: 0, body: |s, _| s, step: |_, o| len(o))\n"
                           "a.merge(b).print()\n");
    cr_assert_eq(ph->nloops, 2);
    cr_assert_eq(ph->loops[0].cache, 0);
    cr_assert_eq(ph->loops[1].cache, 0);
    cr_assert_neq(ph->loops[0].round, ph->loops[1].round);
    cr_assert_eq(ph->round_of[ph->loops[0].round], 0);
    cr_assert_eq(ph->round_of[ph->loops[1].round], 1);
    cr_assert_eq(ph->nphases, 4, "caches, two round phases, the pipelines");
}

/* The round plan: stores in, the delta kept by one task, the output stored on every task. */
Test(plan, the_round_plan_reads_and_writes_stores)
{
    Phases *ph = phases_of("let (t, out) = range(0, 9).iterate(max: 4, state: 0,\n"
                           "    body: |s, _| s.map(|x| x + 1),\n"
                           "    local: (0, |d, x| d + x), merge: |a, b| a + b,\n"
                           "    step: |_, d| d)\n"
                           "t.print()\n"
                           "out.print()\n");
    Plan *p = plan_build(C.f.prog, ph, ph->loops[0].round, &C.f.arena, &C.f.diag);
    cr_assert_not_null(p);
    cr_assert_eq(p->loop, 0);
    int stores_in = 0, stores_out = 0, deltas = 0;
    for (int i = 0; i < p->n; i++) {
        PlanNode *n = p->nodes[i];
        if (n->kind == PN_SOURCE) {
            cr_assert_eq(n->u.src.slot, ph->loops[0].in_slot);
            stores_in++;
        }
        if (n->kind == PN_SINK && n->u.sink.slot >= 0) {
            cr_assert_eq(n->u.sink.slot, ph->loops[0].out_slot);
            cr_assert_neq(n->in[0]->kind, PN_GATHER, "a store sink stays on each task");
            stores_out++;
        }
        if (n->kind == PN_SINK && n->u.sink.delta >= 0) {
            cr_assert_str_eq(n->op, "one");
            cr_assert_eq(n->in[0]->kind, PN_AGG);
            cr_assert_eq(n->in[0]->u.agg.part, AGG_GLOBAL);
            deltas++;
        }
    }
    cr_assert_eq(stores_in, 1);
    cr_assert_eq(stores_out, 1);
    cr_assert_eq(deltas, 1);
    Plan *last = plan_build(C.f.prog, ph, ph->nphases - 1, &C.f.arena, &C.f.diag);
    int state_src = 0, out_src = 0;
    for (int i = 0; i < last->n; i++) {
        PlanNode *n = last->nodes[i];
        state_src += n->kind == PN_SOURCE && n->u.src.loop == 0 && n->u.src.slot < 0;
        out_src += n->kind == PN_SOURCE && n->u.src.slot == ph->loops[0].out_slot;
    }
    cr_assert_eq(state_src, 1, "the final state, a one-element source");
    cr_assert_eq(out_src, 1, "the last round's output, a store source");
}
