/* tier.c - the tiered JIT of `flowc run`. The job starts at once on the
 * code tcc compiled; when it still runs after a short time (--tier-after,
 * 200 ms), the same C is compiled by `cc -O2 -march=native` into a shared object in the
 * background, its globals are bound to the JIT's (the generated code's
 * FL_TIER2 part: fl_tier_bind) and its stage table is offered to the
 * runtime, which moves each task onto it at a call boundary
 * (runtime/tier.c). The shared object is cached in $XDG_CACHE_HOME/flowc
 * (else ~/.cache/flowc; mode 0700), named by a hash of the C, flowc's
 * version, the compiler's command line and the runtime headers, written
 * under a temporary name and renamed into place; the next run of the same
 * job starts on it. An entry that fails to load is removed and rebuilt; the
 * cache keeps the 256 entries used last.
 *
 * Nothing of this is needed for a correct result: a compiler that fails or
 * is missing leaves the job on tcc's code (said with --tier-log). A job
 * that ends first stops the compiler and removes its files. */
#define _GNU_SOURCE
#include "tier.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>
#include <xxhash.h>

#include "cc.h"
#include "emit.h"
#include "flowrt.h"
#include "jit.h"

extern char **environ;

typedef int (*tier_bind_fn)(void *(*look)(void *, const char *), void *cx);
typedef const fl_stage_def *(*tier_stages_fn)(int *n);

static struct {
    TierOpts o;
    const char *csrc;
    void *(*look)(void *, const char *);
    void *cx;
    char cache[PATH_MAX];    /* the cache folder ("" when not cached) */
    char entry[PATH_MAX + 64];
    pthread_t thread;
    int started, ended;
    pid_t pid;               /* the compiler while it runs */
    pthread_mutex_t mu;
    pthread_cond_t cv;
} T = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* -march=native: the shared object only ever runs on this machine; -ffp-contract=off:
 * no fused multiply-adds, so that f64 results are the same bits on both tiers (the
 * emitter makes each operation its own statement, which already stops them today). */
static char *const tier_flags[] = {"-std=c99", "-DFL_NATIVE", "-DFL_TIER2", "-O2", "-march=native", "-ffp-contract=off", "-fPIC", "-shared",
                                   "-w", "-I."};
enum { TIER_NFLAGS = sizeof tier_flags / sizeof tier_flags[0] };

static void tier_say(const char *fmt, const char *arg)
{
    if (!T.o.log)
        return;
    fputs("flowc: tiered JIT: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
}

static long tier_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The cache key: the C, flowc's version, the compiler line, the headers. */
static void tier_key(char out[33])
{
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    char *user = cc_user_text();   /* (the user's C files: their contents) */
    const char *parts[] = {T.csrc, FLOWC_VERSION, cc_compiler(), jit_flowrt_h, jit_flowgen_h, user};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        XXH3_128bits_update(st, parts[i], strlen(parts[i]) + 1);
    free(user);
    for (int i = 0; i < TIER_NFLAGS; i++)
        XXH3_128bits_update(st, tier_flags[i], strlen(tier_flags[i]) + 1);
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}

/* $XDG_CACHE_HOME/flowc or ~/.cache/flowc, made with mode 0700; 0 or -1. */
static int tier_cache_dir(char *dir, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char base[PATH_MAX];
    if (xdg && *xdg == '/')
        snprintf(base, sizeof base, "%s", xdg);
    else if (home && *home)
        snprintf(base, sizeof base, "%s/.cache", home);
    else
        return -1;
    if (mkdir(base, 0700) < 0 && errno != EEXIST)
        return -1;
    if ((size_t)snprintf(dir, size, "%s/flowc", base) >= size)
        return -1;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
        tier_say("%s is not a folder of this user's alone: no cache", dir);
        return -1;
    }
    return 0;
}

/* Keeps the cache to TIER_KEEP entries (the least recently used go; a
 * load touches its entry) and removes temporary files an interrupted run
 * left there over an hour ago. */
enum { TIER_KEEP = 256 };

typedef struct TierEntry {
    char name[64];
    time_t used;
} TierEntry;

static int tier_older(const void *a, const void *b)
{
    const TierEntry *x = a, *y = b;
    return x->used < y->used ? -1 : x->used > y->used;
}

static void tier_tidy(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    TierEntry *v = NULL;
    size_t n = 0, cap = 0;
    time_t now = time(NULL);
    char path[PATH_MAX + 80];
    for (struct dirent *de; (de = readdir(d));) {
        struct stat st;
        size_t len = strlen(de->d_name);
        if (len < 4 || len >= sizeof v->name || strcmp(de->d_name + len - 3, ".so"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) < 0)
            continue;
        if (!strncmp(de->d_name, ".tmp-", 5)) {
            if (now - st.st_mtime > 3600)
                unlink(path);
            continue;
        }
        if (n == cap) {
            TierEntry *w = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof *v);
            if (!w)
                break;
            v = w;
        }
        snprintf(v[n].name, sizeof v[n].name, "%s", de->d_name);
        v[n++].used = st.st_mtime;
    }
    closedir(d);
    if (n > TIER_KEEP) {
        qsort(v, n, sizeof *v, tier_older);
        for (size_t i = 0; i < n - TIER_KEEP; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, v[i].name);
            unlink(path);
        }
    }
    free(v);
}

/* Loads a shared object, binds its globals to the JIT's and offers its
 * stages to the runtime; 0, or -1 (it stays unloaded). */
static int tier_load(const char *path)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        tier_say("cannot load the native code: %s", dlerror());
        return -1;
    }
    tier_bind_fn bind = (tier_bind_fn)dlsym(h, "fl_tier_bind");
    tier_stages_fn stages = (tier_stages_fn)dlsym(h, "fl_tier_stages");
    int n = 0;
    const fl_stage_def *defs = stages ? stages(&n) : NULL;
    if (!bind || !defs || bind(T.look, T.cx) < 0) {
        tier_say("%s does not fit this job", path);
        dlclose(h);
        return -1;
    }
    fl_tier_offer(defs);   /* loaded for good: the tasks run its code until the end */
    return 0;
}

/* Runs the compiler on dir/job.c into out, in its own process group (so
 * that tier_end, or a signal that ends flowc, can stop it and what it
 * runs; its temporaries in dir); 0 when it succeeded. */
static int tier_compile(const char *dir, const char *out)
{
    char src[PATH_MAX + 16];
    snprintf(src, sizeof src, "%s/job.c", dir);
    char **argv = calloc(TIER_NFLAGS + 10 + (size_t)cc_user_count(), sizeof *argv);
    if (!argv)
        return -1;
    int k = 0;
    argv[k++] = (char *)cc_compiler();
    for (int i = 0; i < TIER_NFLAGS; i++)
        argv[k++] = tier_flags[i];
    argv[k++] = "-o";
    argv[k++] = (char *)out;
    argv[k++] = src;
    k = cc_user_args(argv, k, dir);   /* (the user's C files, for the extern functions) */
    argv[k] = NULL;
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    pid_t pid = -1;
    char **env = cc_env(dir);   /* (its temporaries in dir, which a signal's end removes) */
    pthread_mutex_lock(&T.mu);
    int rc = T.ended ? ECANCELED : !env ? ENOMEM : posix_spawnp(&pid, argv[0], NULL, &at, argv, env);
    T.pid = rc ? 0 : pid;
    if (!rc)
        fl_temp_group(pid);   /* (a signal that ends flowc stops it first) */
    pthread_mutex_unlock(&T.mu);
    cc_env_free(env);
    posix_spawnattr_destroy(&at);
    free(argv);
    if (rc) {
        tier_say(rc == ECANCELED ? "the job ended first%s" : "cannot run the C compiler: %s",
                 rc == ECANCELED ? "" : strerror(rc));
        return -1;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&T.mu);
    T.pid = 0;
    fl_temp_group(0);
    pthread_mutex_unlock(&T.mu);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        tier_say("%s", T.ended ? "the job ended first: compiler stopped" : "the C compiler failed: the job stays on tcc's code");
        return -1;
    }
    return 0;
}

/* Compiles, puts the result in the cache (atomic rename), loads it. */
static int tier_build(void)
{
    char dir[PATH_MAX], out[PATH_MAX + 64];
    if (cc_stage(dir, sizeof dir, T.csrc) < 0)
        return -1;
    if (*T.cache)
        snprintf(out, sizeof out, "%s/.tmp-%d.so", T.cache, (int)getpid());
    else
        snprintf(out, sizeof out, "%s/job.so", dir);
    int tslot = *T.cache ? fl_temp_file(out) : -1;   /* (a signal's end removes it) */
    long t0 = tier_ms();
    int rc = tier_compile(dir, out);
    if (rc == 0 && *T.cache && rename(out, T.entry) < 0)
        rc = -1;
    if (rc == 0) {
        char took[32];
        snprintf(took, sizeof took, "%ld", tier_ms() - t0);
        tier_say("compiled by cc in %s ms: switching", took);
        rc = tier_load(*T.cache ? T.entry : out);
    }
    if (*T.cache)
        unlink(out);   /* left only when something failed */
    fl_temp_drop(tslot);
    cc_unstage(dir);
    return rc;
}

static void *tier_main(void *arg)
{
    (void)arg;
    if (T.o.at < 0) {   /* only jobs that are still running after a while */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long ns = until.tv_nsec + (T.o.after_ms % 1000) * 1000000L;
        until.tv_sec += T.o.after_ms / 1000 + ns / 1000000000L;
        until.tv_nsec = ns % 1000000000L;
        pthread_mutex_lock(&T.mu);
        while (!T.ended && pthread_cond_timedwait(&T.cv, &T.mu, &until) != ETIMEDOUT)
            ;
        int ended = T.ended;
        pthread_mutex_unlock(&T.mu);
        if (ended) {
            fl_tier_offer(NULL);
            return NULL;
        }
    }
    if (tier_build() < 0)
        fl_tier_offer(NULL);
    return NULL;
}

void tier_begin(const char *csrc, void *(*look)(void *, const char *), void *cx, const TierOpts *o)
{
    T.o = *o;
    T.csrc = csrc;
    T.look = look;
    T.cx = cx;
    if (o->off)
        return;
    char key[33];
    tier_key(key);
    *T.cache = 0;
    if (o->cache && tier_cache_dir(T.cache, sizeof T.cache) < 0)
        *T.cache = 0;
    if (*T.cache) {
        snprintf(T.entry, sizeof T.entry, "%s/%s.so", T.cache, key);
        if (access(T.entry, F_OK) == 0) {
            fl_tier_expect(-1, o->log);
            if (tier_load(T.entry) == 0) {
                utime(T.entry, NULL);   /* recently used */
                tier_say("native code from the cache (%s)", T.entry);
                return;
            }
            tier_say("removing the cache entry %s: rebuilt", T.entry);
            unlink(T.entry);
        }
    }
    if (*T.cache)
        tier_tidy(T.cache);
    fl_tier_expect(o->at, o->log);
    T.started = pthread_create(&T.thread, NULL, tier_main, NULL) == 0;
    if (!T.started)
        fl_tier_offer(NULL);
}

void tier_end(void)
{
    if (!T.started)
        return;
    pthread_mutex_lock(&T.mu);
    T.ended = 1;
    if (T.pid > 0)
        kill(-T.pid, SIGKILL);
    pthread_cond_broadcast(&T.cv);
    pthread_mutex_unlock(&T.mu);
    pthread_join(T.thread, NULL);
    T.started = 0;
    if (T.o.log) {
        char n[32];
        snprintf(n, sizeof n, "%lld", (long long)fl_tier_switched());
        tier_say("%s tasks ran native code", n);
    }
}
