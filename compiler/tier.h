/* tier.h - the tiered JIT of `flowc run`: the job starts on tcc's code and
 * moves to the same C compiled by cc -O2 (a shared object, cached) while it
 * runs. */
#ifndef FLOWC_TIER_H
#define FLOWC_TIER_H

typedef struct TierOpts {
    int off;          /* tcc's code only */
    long after_ms;    /* compile when the job still runs after this long */
    long at;          /* >= 0: each task switches before its call `at`, waiting for the compiler (tests) */
    int log;          /* say on stderr what happens */
    int cache;        /* keep and reuse the shared objects in $XDG_CACHE_HOME/flowc */
} TierOpts;

/* Before the job's main: a cached shared object is loaded at once, else a
 * background thread compiles one. look(cx, name) finds a global of the
 * JIT's code by name. */
void tier_begin(const char *csrc, void *(*look)(void *, const char *), void *cx, const TierOpts *o);
/* After it: stops a compiler still running and waits for the thread. */
void tier_end(void);

#endif
