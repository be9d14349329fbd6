/* test_rt_tier.c - unit tests of runtime/tier.c, the tiered JIT's switch:
 * a task keeps its stage functions while no table is offered (or the job
 * expects none), moves to the offered table's entry for its stage at its
 * next call, moves exactly before call `at` when the job says so (waiting
 * there for the table), and stays where it is when none comes. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "flrt_int.h"

static fl_stage_def tcc_defs[3], cc_defs[3];

static void make(flrt_task *t, int stage)
{
    memset(t, 0, sizeof *t);
    t->pub.stage = stage;
    t->def = &tcc_defs[stage];
}

Test(rt_tier, nothing_expected_nothing_changes)
{
    flrt_task t;
    make(&t, 1);
    flrt_tier_check(&t);
    cr_assert(t.tiered, "decided at the first call");
    cr_assert_eq(t.def, &tcc_defs[1]);
}

Test(rt_tier, an_offered_table_is_taken_at_the_next_call)
{
    flrt_task t;
    make(&t, 2);
    fl_tier_expect(-1, 0);
    flrt_tier_check(&t);
    flrt_tier_check(&t);
    cr_assert_not(t.tiered);
    cr_assert_eq(t.def, &tcc_defs[2], "no table yet");
    fl_tier_offer(cc_defs);
    flrt_tier_check(&t);
    cr_assert(t.tiered);
    cr_assert_eq(t.def, &cc_defs[2], "the entry of its own stage");
    cr_assert_eq(fl_tier_switched(), 1);
    flrt_tier_check(&t);
    cr_assert_eq(t.def, &cc_defs[2]);
}

Test(rt_tier, at_n_switches_exactly_before_call_n)
{
    flrt_task t;
    make(&t, 0);
    fl_tier_expect(3, 0);
    fl_tier_offer(cc_defs);
    for (int call = 0; call < 3; call++) {
        flrt_tier_check(&t);
        cr_assert_eq(t.def, &tcc_defs[0], "call %d stays", call);
    }
    flrt_tier_check(&t);
    cr_assert_eq(t.def, &cc_defs[0], "call 3 moves");
}

static void *offer_later(void *arg)
{
    (void)arg;
    usleep(50000);
    fl_tier_offer(cc_defs);
    return NULL;
}

Test(rt_tier, at_n_waits_for_the_table)
{
    flrt_task t;
    pthread_t th;
    make(&t, 1);
    fl_tier_expect(1, 0);
    flrt_tier_check(&t);
    pthread_create(&th, NULL, offer_later, NULL);
    flrt_tier_check(&t);   /* call 1: waits for the other thread's offer */
    cr_assert_eq(t.def, &cc_defs[1]);
    pthread_join(th, NULL);
}

Test(rt_tier, none_coming_leaves_the_task_on_its_code)
{
    flrt_task t;
    make(&t, 0);
    fl_tier_expect(1, 0);
    fl_tier_offer(NULL);
    flrt_tier_check(&t);
    flrt_tier_check(&t);
    cr_assert(t.tiered, "decided");
    cr_assert_eq(t.def, &tcc_defs[0]);
    cr_assert_eq(fl_tier_switched(), 0);
}
