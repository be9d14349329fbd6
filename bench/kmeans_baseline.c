/* kmeans_baseline.c - hand-written C k-means (Lloyd), the baseline of the
 * flowc k-means benchmark (examples/kmeans.flow). Adapted from
 * ../shared/bench/kmeans.c (the parse and the vectorised assignment), with
 * the semantics of examples/kmeans.flow instead of Renoir's.
 *
 * Same computation as examples/kmeans.flow: the input is a headerless CSV
 * of `x,y` points; the initial centroids are the first K points; each
 * round assigns every point to its nearest centroid (squared Euclidean
 * distance, the first of equals), and the new centroids are the means of
 * their points (a centroid with no point would be 0/0 = nan, as in the
 * .flow; reported); the loop stops after ROUNDS rounds or after the first
 * round whose new centroids equal the old ones exactly (the .flow's
 * `until: |old, new| old == new`). Centroids are not reordered.
 *
 * How: the file is mmapped and parsed once, by T threads (byte ranges
 * split at line starts), into two arrays of doubles. Each round, thread t
 * takes whole blocks of 512 points and finds their nearest centroids four
 * points at a time (2 with SSE2, 4 with AVX) with GCC vector extensions
 * (branch-free selects: SIMD code at -O2), then adds them into its own sums per
 * centroid in point order; after a barrier thread 0 adds the threads'
 * sums (in thread order), makes the new centroids and tests them, and a
 * second barrier starts the next round. With one thread every sum is taken
 * in the order of the Python reference (scripts/ref_iter.py kmeans), so the
 * centroids are the same to the bit.
 *
 * Prints the final centroids on standard output as the .flow's
 * `centroids.print()` does: `[Point { x: .., y: .. }, ...]` (floats as
 * flowc writes them: the shortest of %.15g, %.16g, %.17g that reads back).
 * The times of the parse and of the rounds (the compute part), the rounds
 * run and a checksum go to standard error.
 *
 *   cc -O2 -pthread bench/kmeans_baseline.c -o kmeans_baseline
 *   kmeans_baseline FILE [--k K] [--rounds R] [--threads T]
 *                   (defaults: k 30, 10 rounds, one thread per core)
 *
 * Number parsing: the digits give an integer mantissa m, then m / 10^d
 * (both exact doubles, one correctly rounded division: the value strtod
 * gives); strtod for more than 15 digits or an exponent.
 */
#define BASELINE_NAME "kmeans_baseline"
#include "baseline_common.h"
#include <math.h>

static const double P10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* one number starting at p (up to ',' or the line end); returns the pointer past it */
static const char *pnum(const char *p, const char *end, double *out)
{
    const char *s = p;
    int neg = 0, nd = 0, fd = 0;
    uint64_t m = 0;
    if (p < end && (*p == '-' || *p == '+')) {
        neg = *p == '-';
        p++;
    }
    while (p < end && (unsigned)(*p - '0') < 10) {
        m = m * 10 + (uint64_t)(*p - '0');
        nd++;
        p++;
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && (unsigned)(*p - '0') < 10) {
            m = m * 10 + (uint64_t)(*p - '0');
            nd++;
            fd++;
            p++;
        }
    }
    if (nd > 0 && nd <= 15 && (p >= end || *p == ',' || *p == '\n' || *p == '\r')) {
        double v = (double)m / P10[fd];
        *out = neg ? -v : v;
        return p;
    }
    char tmp[64], *q;
    size_t len = 0;
    while (s + len < end && s[len] != ',' && s[len] != '\n' && s[len] != '\r' && len < 63)
        len++;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    *out = strtod(tmp, &q);
    if (q == tmp || *q) {
        fprintf(stderr, "kmeans_baseline: bad number `%s`\n", tmp);
        exit(1);
    }
    return s + len;
}

/* W points per vector: 4 with AVX (-march=native), else 2 (SSE2, what plain -O2 targets on
 * x86-64; GCC splits wider vectors into slow scalar code there: 1.4 s a round instead of
 * 0.1 s) */
#ifdef __AVX__
#define W 4
#else
#define W 2
#endif
typedef double vd __attribute__((vector_size(8 * W)));
typedef long long vl __attribute__((vector_size(8 * W)));

#define B 512                       /* points per block */
#define KMAX 64
#define PAD 8                       /* per-thread slots a cache line apart */

/* ---- the job, shared by the threads (the input: baseline_common.h) ---- */
static int K, rounds;
static double *X, *Y;               /* the points */
static size_t n;
static double cx[KMAX], cy[KMAX], ox[KMAX], oy[KMAX];    /* the centroids, the old ones */
static double *SX, *SY;             /* [thread][KMAX + PAD]: the threads' sums */
static long long *SN;
static int rounds_run, converged, empties, stop;
static double t_start, t_parsed, t_done;

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;

    /* 1. count my lines, then parse them into X[off[t]..], Y[off[t]..] */
    size_t total = count_lines(t);
    if (t == 0) {
        X = xmalloc(total * sizeof *X);
        Y = xmalloc(total * sizeof *Y);
    }
    pthread_barrier_wait(&bar);
    size_t k = off[t];
    for (const char *p = lo[t], *e = hi[t]; p < e;) {
        if (*p == '\n' || *p == '\r') {            /* an empty line */
            p++;
            continue;
        }
        p = pnum(p, e, &X[k]);
        if (p >= e || *p != ',')
            fail("expected `x,y`", k + 1);
        p = pnum(p + 1, e, &Y[k]);
        while (p < e && *p != '\n')
            p++;
        p++;
        k++;
    }
    got[t] = k - off[t];
    pthread_barrier_wait(&bar);
    if (t == 0) {
        n = close_gaps(X, sizeof *X);
        close_gaps(Y, sizeof *Y);
        if (n < (size_t)K) {
            fprintf(stderr, "kmeans_baseline: %zu points, fewer than k = %d\n", n, K);
            exit(1);
        }
        for (int j = 0; j < K; j++) {
            cx[j] = X[j];
            cy[j] = Y[j];
        }
        t_parsed = now();
    }
    pthread_barrier_wait(&bar);

    /* 2. the rounds */
    size_t nb = n / B, a = share(nb, t) * B, b = share(nb, t + 1) * B;
    if (t == T - 1)
        b = n;                                     /* the last thread takes the tail */
    double *sx = SX + (size_t)t * (KMAX + PAD), *sy = SY + (size_t)t * (KMAX + PAD);
    long long *sn = SN + (size_t)t * (KMAX + PAD);
    vd *best = xmalloc(B / W * sizeof *best);
    vl *idx = xmalloc(B / W * sizeof *idx);
    for (int r = 0; r < rounds; r++) {
        double px[KMAX], py[KMAX];
        for (int j = 0; j < K; j++) {
            px[j] = cx[j];
            py[j] = cy[j];
            sx[j] = sy[j] = 0.0;
            sn[j] = 0;
        }
        size_t i0 = a;
        for (; i0 + B <= b; i0 += B) {
            const vd *x = (const vd *)(X + i0), *y = (const vd *)(Y + i0);
            for (int i = 0; i < B / W; i++) {
                best[i] = (vd){0} + INFINITY;
                idx[i] = (vl){0};
            }
            for (int j = 0; j < K; j++) {
                vd cxv = (vd){0} + px[j], cyv = (vd){0} + py[j];
                vl jj = (vl){0} + j;
                for (int i = 0; i < B / W; i++) {
                    vd dx = x[i] - cxv, dy = y[i] - cyv, dd = dx * dx + dy * dy, bo = best[i];
                    vl lt = dd < bo;               /* strict: the first of equals wins */
                    idx[i] = (jj & lt) | (idx[i] & ~lt);
                    best[i] = (vd)(((vl)dd & lt) | ((vl)bo & ~lt));
                }
            }
            const long long *id = (const long long *)idx;
            for (int i = 0; i < B; i++) {
                long long j = id[i];
                sx[j] += X[i0 + i];
                sy[j] += Y[i0 + i];
                sn[j]++;
            }
        }
        for (size_t i = i0; i < b; i++) {          /* the tail, one point at a time */
            double bd = INFINITY;
            int bj = 0;
            for (int j = 0; j < K; j++) {
                double dx = X[i] - px[j], dy = Y[i] - py[j], dd = dx * dx + dy * dy;
                if (dd < bd) {
                    bd = dd;
                    bj = j;
                }
            }
            sx[bj] += X[i];
            sy[bj] += Y[i];
            sn[bj]++;
        }
        pthread_barrier_wait(&bar);
        if (t == 0) {
            int same = 1;
            for (int j = 0; j < K; j++) {
                double tx = 0.0, ty = 0.0;
                long long tn = 0;
                for (int i = 0; i < T; i++) {
                    tx += SX[(size_t)i * (KMAX + PAD) + j];
                    ty += SY[(size_t)i * (KMAX + PAD) + j];
                    tn += SN[(size_t)i * (KMAX + PAD) + j];
                }
                empties += tn == 0;
                ox[j] = cx[j];
                oy[j] = cy[j];
                cx[j] = tx / (double)tn;           /* 0/0 = nan for an empty cluster */
                cy[j] = ty / (double)tn;
                same &= cx[j] == ox[j] && cy[j] == oy[j];
            }
            rounds_run = r + 1;
            converged = same;
            stop = same;
        }
        pthread_barrier_wait(&bar);
        if (stop)
            break;
    }
    if (t == 0)
        t_done = now();
    free(best);
    free(idx);
    return NULL;
}

int main(int argc, char **argv)
{
    K = 30;
    rounds = 10;
    const struct baseline_opt opts[] = {{"--k", 'i', &K}, {"--rounds", 'i', &rounds}, {NULL, 0, NULL}};
    const char *path = parse_args(argc, argv, opts);
    if (!path || T < 1 || K < 1 || K > KMAX || rounds < 1) {
        fprintf(stderr, "usage: kmeans_baseline FILE [--k K (1..%d)] [--rounds R] [--threads T]\n", KMAX);
        return 2;
    }
    t_start = now();
    open_input(path, 0);
    SX = xmalloc((size_t)T * (KMAX + PAD) * sizeof *SX);
    SY = xmalloc((size_t)T * (KMAX + PAD) * sizeof *SY);
    SN = xmalloc((size_t)T * (KMAX + PAD) * sizeof *SN);
    run_threads(worker);

    char f1[32], f2[32];
    double cs = 0.0;
    fputs("[", stdout);
    for (int j = 0; j < K; j++) {
        fmt_f64(f1, cx[j]);
        fmt_f64(f2, cy[j]);
        printf("%sPoint { x: %s, y: %s }", j ? ", " : "", f1, f2);
        cs += cx[j] + cy[j];
    }
    puts("]");
    fflush(stdout);
    fprintf(stderr, "kmeans_baseline: threads=%d points=%zu k=%d rounds=%d (%s) empty_clusters=%d "
                    "checksum=%.6f parse=%.3fs rounds=%.3fs (%.1f ms/round) total=%.3fs\n",
            T, n, K, rounds_run, converged ? "until fired" : "max reached", empties, cs,
            t_parsed - t_start, t_done - t_parsed, (t_done - t_parsed) * 1e3 / rounds_run,
            t_done - t_start);
    return 0;
}
