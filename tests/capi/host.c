/* host.c - a host program of flowc job libraries (tests/capi/run.sh builds it against
 * libsales.so, and loads libwords.so, libfail.so and librange.so with dlopen): it pushes rows,
 * gets the results through callbacks and checks them against its own computation; runs two
 * jobs at once on two threads; sees a failing job return -1 with its message; runs a job that
 * runs out of memory under an address-space limit (libgrow.so; "-" skips it, for sanitized
 * builds) and sees -1 with the message, then runs another job; and checks that the libraries
 * left its signal handlers and its threads as they were. Prints "ok: ..." per
 * check, "FAIL: ..." otherwise; exit status 0 when all passed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "libsales.h"

static int failures;
static void check(int ok, const char *what)
{
    printf("%s: %s\n", ok ? "ok" : "FAIL", what);
    failures += !ok;
}

static int threads_now(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void on_int(int sig) { (void)sig; }

/* ---- sales: totals per shop, and the count of large sales ---- */

enum { NSHOPS = 7, NSALES = 20000 };
static const char *const shops[NSHOPS] = {"north", "south", "east", "west", "centre", "port", "hill"};
typedef struct sums { long long total[NSHOPS]; int seen[NSHOPS]; long long large; int nlarge_calls; pthread_mutex_t mu; } sums;

static void on_total(void *ctx, const tup2 *row)
{
    sums *s = ctx;
    for (int i = 0; i < NSHOPS; i++)
        if ((size_t)row->_0.len == strlen(shops[i]) && !memcmp(row->_0.ptr, shops[i], (size_t)row->_0.len)) {
            s->total[i] += row->_1;
            s->seen[i]++;
        }
}

static void on_large(void *ctx, const fl_i64 *n)
{
    sums *s = ctx;
    s->large = *n;
    s->nlarge_calls++;
}

static void *run_sales(void *arg)
{
    sums *got = arg;
    sales_params p = {.large = 500, .large_given = 1};
    sales_io io = {.ctx = got, .out0 = on_total, .out1 = on_large};
    char err[256];
    sales_job *h = sales_start(&p, 3, &io, err, sizeof err);
    if (!h) {
        printf("FAIL: sales_start: %s\n", err);
        return NULL;
    }
    for (int i = 0; i < NSALES; i++) {
        rec_Sale s = {{shops[i % NSHOPS], (fl_i64)strlen(shops[i % NSHOPS])}, (i * 37) % 1000};
        if (sales_push(h, &s) != 0) {
            printf("FAIL: sales_push %d\n", i);
            break;
        }
    }
    int rc = sales_finish(h, err, sizeof err);
    if (rc)
        printf("FAIL: sales_finish: %s\n", err);
    return NULL;
}

static void check_sales(const sums *got)
{
    long long want[NSHOPS] = {0}, large = 0;
    for (int i = 0; i < NSALES; i++) {
        want[i % NSHOPS] += (i * 37) % 1000;
        large += (i * 37) % 1000 >= 500;
    }
    int same = 1;
    for (int i = 0; i < NSHOPS; i++)
        same &= got->total[i] == want[i] && got->seen[i] == 1;
    check(same, "sales: each shop's total, once, from 3 threads");
    check(got->large == large && got->nlarge_calls == 1, "sales: the count of large sales, with the param given");
}

/* ---- words, through dlopen: (str, i64) rows like sales' tup2 ---- */

typedef struct words_io { void *ctx; void (*out0)(void *ctx, const tup2 *row); void *arrow0; } words_io;
typedef void *(*start_fn)(const void *p, int threads, const void *io, char *err, long errlen);
typedef int (*push_fn)(void *h, const void *row);
typedef int (*finish_fn)(void *h, char *err, long errlen);
typedef int (*run_fn)(const void *p, int threads, const void *io, char *err, long errlen);

static void on_word(void *ctx, const tup2 *row)
{
    long long *n = ctx;
    if (row->_0.len == 3 && !memcmp(row->_0.ptr, "fox", 3))
        n[0] = row->_1;
    n[1] += row->_1;
}

static void *run_words(void *lib)
{
    start_fn start = (start_fn)dlsym(lib, "words_start");
    push_fn push = (push_fn)dlsym(lib, "words_push");
    finish_fn finish = (finish_fn)dlsym(lib, "words_finish");
    static long long n[2];
    words_io io = {n, on_word, NULL};
    char err[256];
    void *h = start && push && finish ? start(NULL, 2, &io, err, sizeof err) : NULL;
    for (int i = 0; h && i < 5000; i++) {
        fl_str line = {"the quick brown fox jumps", 25};
        push(h, &line);
    }
    check(h && finish(h, err, sizeof err) == 0 && n[0] == 5000 && n[1] == 25000,
          "words: a second library running at the same time, its counts");
    return NULL;
}

static long long range_sum;
static void on_sum(void *ctx, const fl_i64 *v) { (void)ctx; range_sum = *v; }

/* The address space mapped now (kB, from /proc/self/status). */
static long vm_size_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmSize:", 7))
            kb = atol(line + 7);
    if (f)
        fclose(f);
    return kb;
}

/* grow under a limit of what is mapped now plus 768 MiB: memory runs out in its tasks. */
static void run_grow(const char *path)
{
    void *grow = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    run_fn grun = grow ? (run_fn)dlsym(grow, "grow_run") : NULL;
    check(grun != NULL, "grow: the library loads");
    if (!grun)
        return;
    struct rlimit old, lim;
    getrlimit(RLIMIT_AS, &old);
    lim = old;
    lim.rlim_cur = (rlim_t)(vm_size_kb() + 768 * 1024) * 1024;
    struct { fl_i64 unused; } none = {0};
    struct { void *ctx; void (*out0)(void *, const fl_i64 *); void *arrow0; } gio = {NULL, on_sum, NULL};
    char err[256] = "";
    int rc = setrlimit(RLIMIT_AS, &lim);
    if (rc == 0)
        rc = grun(&none, 2, &gio, err, sizeof err);
    setrlimit(RLIMIT_AS, &old);
    check(rc == -1 && strstr(err, "out of memory") != NULL, "grow: out of memory, run returns -1 with the message");
    printf("    (the message: %s)\n", err);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: host LIBWORDS LIBFAIL LIBRANGE LIBGROW|-\n");
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_int}, now;
    sigaction(SIGINT, &sa, NULL);
    int before = threads_now();
    void *words = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL), *fail = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL),
         *range = dlopen(argv[3], RTLD_NOW | RTLD_LOCAL);
    check(words && fail && range, "the libraries load");
    if (!words || !fail || !range)
        return 1;

    sums got = {0};
    pthread_t a, b;
    pthread_create(&a, NULL, run_sales, &got);
    pthread_create(&b, NULL, run_words, words);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    check_sales(&got);

    start_fn fstart = (start_fn)dlsym(fail, "fail_start");
    push_fn fpush = (push_fn)dlsym(fail, "fail_push");
    finish_fn ffinish = (finish_fn)dlsym(fail, "fail_finish");
    char err[256] = "";
    void *h = fstart(NULL, 2, NULL, err, sizeof err);
    for (fl_i64 x = 5; h && x >= -5; x--)
        fpush(h, &x);
    int rc = ffinish(h, err, sizeof err);
    check(rc == -1 && strstr(err, "division by zero") != NULL, "fail: finish returns -1 with the job's message");
    printf("    (the message: %s)\n", err);

    if (strcmp(argv[4], "-"))
        run_grow(argv[4]);
    struct { fl_i64 unused; } none = {0};
    struct { void *ctx; void (*out0)(void *, const fl_i64 *); void *arrow0; } rio = {NULL, on_sum, NULL};
    run_fn rrun = (run_fn)dlsym(range, "range_run");
    check(rrun && rrun(&none, 0, &rio, err, sizeof err) == 0 && range_sum == 999000, "range: one call runs a job without input");
    check(dlsym(words, "flrt_job_run") == NULL && dlsym(words, "fl_main") == NULL, "a library exports only its API");

    sigaction(SIGINT, NULL, &now);
    check(now.sa_handler == on_int, "the host's signal handler is still its own");
    int after = threads_now();
    check(after == before, "no thread is left behind");
    printf("    (threads before %d, after %d)\n", before, after);
    return failures ? 1 : 0;
}
