/* collatz_baseline.c - plain C Collatz search, the baseline of the flowc
 * collatz benchmark (bench/run.sh).
 *
 * Same result as examples/collatz.flow: over x in [1, n), the maximum of
 * the pairs (steps(x), x) ordered by steps, then by x, where steps(x) is
 * the number of Collatz steps from x down to 1. One thread per core (or
 * --threads T), each taking a contiguous share of the range; the shares'
 * maxima are combined at the end. Prints `(steps, x)`.
 *
 *   cc -O2 -pthread bench/collatz_baseline.c -o collatz_baseline
 *   collatz_baseline [--n N] [--threads T]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    int64_t lo, hi;          /* the share [lo, hi) */
    int64_t best_steps, best_x;
    int found;
} share;

static int64_t steps(int64_t x)
{
    int64_t c = 0;
    while (x > 1) {
        x = x % 2 == 0 ? x / 2 : 3 * x + 1;
        c++;
    }
    return c;
}

static void *run(void *arg)
{
    share *s = arg;
    for (int64_t x = s->lo; x < s->hi; x++) {
        int64_t c = steps(x);
        if (!s->found || c > s->best_steps || (c == s->best_steps && x > s->best_x)) {
            s->best_steps = c;
            s->best_x = x;
            s->found = 1;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int64_t n = 1000000;
    int nt = (int)sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--n") == 0)
            n = strtoll(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0)
            nt = atoi(argv[i + 1]);
    }
    if (nt < 1)
        nt = 1;
    share *sh = calloc((size_t)nt, sizeof *sh);
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    if (!sh || !th)
        return 1;
    int64_t len = n > 1 ? n - 1 : 0;
    for (int i = 0; i < nt; i++) {
        sh[i].lo = 1 + len * i / nt;
        sh[i].hi = 1 + len * (i + 1) / nt;
    }
    for (int i = 1; i < nt; i++)
        pthread_create(&th[i], NULL, run, &sh[i]);
    run(&sh[0]);
    for (int i = 1; i < nt; i++)
        pthread_join(th[i], NULL);
    share best = {0};
    for (int i = 0; i < nt; i++)
        if (sh[i].found && (!best.found || sh[i].best_steps > best.best_steps ||
                            (sh[i].best_steps == best.best_steps && sh[i].best_x > best.best_x)))
            best = sh[i];
    if (best.found)
        printf("(%lld, %lld)\n", (long long)best.best_steps, (long long)best.best_x);
    return 0;
}
