/* tier.c - the switch of the tiered JIT (flowc run). The JIT starts a job
 * with the stages tcc compiled; flowc may then compile the same C with cc
 * into a shared object and offer its stage table here. Each task moves to
 * the new functions at a call boundary (before open, a produce, a batch or
 * a signal): the state a stage made stays where it is, since both
 * compilers lay out the same structs alike, and the shared object's globals
 * are bound to the JIT's beforehand (the generated code's FL_TIER2 part).
 *
 * fl_tier_expect(at) says a table may come. With at >= 0 (tests) each task
 * switches exactly before its call number `at`, waiting there for the
 * table, or for fl_tier_offer(NULL), which says none will come. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>

#include "flrt_int.h"

enum { TIER_NONE, TIER_PENDING, TIER_READY };

static _Atomic int tier_state = TIER_NONE;
static const fl_stage_def *tier_stages;
static fl_i64 tier_at = -1;
static int tier_log;
static _Atomic fl_i64 tier_switched;
static pthread_mutex_t tier_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tier_cv = PTHREAD_COND_INITIALIZER;

void fl_tier_expect(fl_i64 at, int log)
{
    tier_at = at;
    tier_log = log;
    atomic_store(&tier_switched, 0);
    atomic_store(&tier_state, TIER_PENDING);
}

void fl_tier_offer(const fl_stage_def *stages)
{
    pthread_mutex_lock(&tier_mu);
    tier_stages = stages;
    atomic_store(&tier_state, stages ? TIER_READY : TIER_NONE);
    pthread_cond_broadcast(&tier_cv);
    pthread_mutex_unlock(&tier_mu);
}

fl_i64 fl_tier_switched(void) { return atomic_load(&tier_switched); }

static int tier_wait(void)
{
    pthread_mutex_lock(&tier_mu);
    while (atomic_load(&tier_state) == TIER_PENDING)
        pthread_cond_wait(&tier_cv, &tier_mu);
    pthread_mutex_unlock(&tier_mu);
    return atomic_load(&tier_state);
}

void flrt_tier_step(flrt_task *t)
{
    int st = atomic_load_explicit(&tier_state, memory_order_acquire);
    fl_i64 call = t->calls++;
    if (st == TIER_NONE) {
        t->tiered = 1;
        return;
    }
    if (tier_at >= 0) {
        if (call < tier_at)
            return;
        st = tier_wait();
    }
    if (st != TIER_READY) {
        t->tiered = st == TIER_NONE;
        return;
    }
    t->def = &tier_stages[t->pub.stage];
    t->tiered = 1;
    atomic_fetch_add(&tier_switched, 1);
    if (tier_log)
        flrt_say("task %d of stage %s runs native code from call %lld", t->pub.index, t->def->name, call);
}
