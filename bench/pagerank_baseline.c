/* pagerank_baseline.c - hand-written C PageRank over CSR arrays, the
 * baseline of the flowc PageRank benchmark (examples/pagerank.flow).
 *
 * Same computation as examples/pagerank.flow: the input is a CSV with a
 * header and one edge `src,dst` per line; n is the largest id + 1; every
 * rank starts at 1/n; each round sums rank[src] / out_degree[src] per dst,
 * then dangling = 1 - (the sum of those sums) and rank[v] = (1 - d)/n +
 * d * (sum[v] + dangling/n), for a fixed number of rounds.
 *
 * How: the file is mmapped and parsed once by T threads (byte ranges split
 * at line starts) into two arrays of 32-bit ids; the edges are laid out by
 * destination (CSR of the in-edges, built in parallel from per-thread
 * histograms, each row in file order). Each round is a pull: thread t owns
 * a range of nodes (balanced by in-edges + nodes), sums contrib[src] over
 * each node's in-edges (contrib[u] = rank[u] / out_degree[u], recomputed
 * with the ranks), then, after a barrier, every thread takes the total of
 * the sums (the threads' partial totals in thread order) and updates its
 * nodes' ranks and contributions: two barriers per round, no atomics. With
 * one thread every sum is taken in the order of the Python reference
 * (scripts/ref_iter.py pagerank), so the ranks are the same to the bit.
 *
 * Prints the number of nodes and edges, the sum of the ranks and the ten
 * highest ranks (node:rank) on standard output; the times of the parse,
 * the CSR build and the rounds (the compute part) on standard error.
 * --output FILE writes `node,rank` for every node, as the .flow program
 * does (floats as flowc writes them: the shortest of %.15g, %.16g, %.17g
 * that reads back).
 *
 *   cc -O2 -pthread bench/pagerank_baseline.c -o pagerank_baseline
 *   pagerank_baseline FILE [--rounds R] [--damping D] [--threads T] [--output FILE]
 *                     (defaults: 100 rounds, damping 0.85, one thread per core)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "pagerank_baseline: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

static void fail(const char *msg, size_t line)
{
    fprintf(stderr, "pagerank_baseline: %s (data line %zu)\n", msg, line);
    exit(1);
}

/* ---- the job, shared by the threads ---- */

#define PAD 8                       /* doubles per cache line: per-thread slots apart */
static int T, rounds;
static double damping;
static const char *base;            /* the file */
static size_t size, body;           /* body: offset of the first data line */
static const char **lo, **hi;       /* thread t parses [lo[t], hi[t]) */
static size_t *lines, *got, *off;   /* lines counted, rows parsed, first row, per thread */
static uint32_t *src, *dst;         /* the edges, file order */
static size_t m;                    /* edges */
static uint32_t *maxid;             /* per thread (PAD apart) */
static size_t n;                    /* nodes */
static uint32_t **hist;             /* per thread: in-edges by dst; then each row's offset */
static uint32_t **ohist;            /* per thread: out-edges by src */
static uint32_t *deg;               /* out-degree */
static size_t *row;                 /* CSR: the in-edges of v are col[row[v] .. row[v + 1]) */
static uint32_t *col;               /* their sources */
static size_t *vlo;                 /* thread t's nodes in the rounds: [vlo[t], vlo[t + 1]) */
static double *rank, *contrib, *sums, *part;
static pthread_barrier_t bar;
static double t_start, t_parsed, t_built, t_done;

static const char *line_start(size_t x)
{
    if (x <= body)
        return base + body;
    if (x >= size)
        return base + size;
    if (base[x - 1] == '\n')
        return base + x;
    const char *nl = memchr(base + x, '\n', size - x);
    return nl ? nl + 1 : base + size;
}

static const char *parse_id(const char *p, const char *e, uint32_t *out, size_t line)
{
    uint64_t v = 0;
    const char *s = p;
    while (p < e && (unsigned)(*p - '0') < 10) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v >= UINT32_MAX)
            fail("node id too large for this baseline (ids below 2^32 - 1)", line);
        p++;
    }
    if (p == s)
        fail("expected a node id (a non-negative integer)", line);
    *out = (uint32_t)v;
    return p;
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;

    /* 1. count the lines of my byte range */
    size_t c = 0;
    for (const char *p = lo[t], *e = hi[t]; p < e;) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        c++;
        p = nl ? nl + 1 : e;
    }
    lines[t] = c;
    pthread_barrier_wait(&bar);
    if (t == 0) {
        size_t total = 0;
        for (int i = 0; i < T; i++) {
            off[i] = total;
            total += lines[i];
        }
        src = xmalloc(total * sizeof *src);
        dst = xmalloc(total * sizeof *dst);
    }
    pthread_barrier_wait(&bar);

    /* 2. parse my lines into src[off[t]..], dst[off[t]..] */
    size_t k = off[t];
    uint32_t mx = 0;
    for (const char *p = lo[t], *e = hi[t]; p < e;) {
        if (*p == '\n' || *p == '\r') {            /* an empty line */
            p++;
            continue;
        }
        uint32_t s, d;
        p = parse_id(p, e, &s, k + 1);
        if (p >= e || *p != ',')
            fail("expected `src,dst`", k + 1);
        p = parse_id(p + 1, e, &d, k + 1);
        if (p < e && *p == '\r')
            p++;
        if (p < e && *p != '\n')
            fail("expected `src,dst`", k + 1);
        p++;
        src[k] = s;
        dst[k] = d;
        k++;
        mx = s > mx ? s : mx;
        mx = d > mx ? d : mx;
    }
    got[t] = k - off[t];
    maxid[t * PAD] = mx;
    pthread_barrier_wait(&bar);
    if (t == 0) {
        /* close the gaps left by empty lines */
        size_t w = got[0];
        for (int i = 1; i < T; i++) {
            if (w != off[i]) {
                memmove(src + w, src + off[i], got[i] * sizeof *src);
                memmove(dst + w, dst + off[i], got[i] * sizeof *dst);
            }
            w += got[i];
        }
        m = w;
        if (m == 0) {
            fprintf(stderr, "pagerank_baseline: no edges\n");
            exit(1);
        }
        uint32_t g = 0;
        for (int i = 0; i < T; i++)
            g = maxid[i * PAD] > g ? maxid[i * PAD] : g;
        n = (size_t)g + 1;
        deg = xmalloc(n * sizeof *deg);
        row = xmalloc((n + 1) * sizeof *row);
        col = xmalloc(m * sizeof *col);
        rank = xmalloc(n * sizeof *rank);
        contrib = xmalloc(n * sizeof *contrib);
        sums = xmalloc(n * sizeof *sums);
        t_parsed = now();
    }
    pthread_barrier_wait(&bar);

    /* 3. CSR of the in-edges: per-thread histograms of my share of the edges */
    size_t e0 = m * (size_t)t / (size_t)T, e1 = m * (size_t)(t + 1) / (size_t)T;
    uint32_t *h = hist[t] = xmalloc(n * sizeof *h), *oh = ohist[t] = xmalloc(n * sizeof *oh);
    memset(h, 0, n * sizeof *h);
    memset(oh, 0, n * sizeof *oh);
    for (size_t i = e0; i < e1; i++) {
        h[dst[i]]++;
        oh[src[i]]++;
    }
    pthread_barrier_wait(&bar);
    /* per node (my share of the nodes): the in-degree, each thread's offset in the row, the
     * out-degree */
    size_t v0 = n * (size_t)t / (size_t)T, v1 = n * (size_t)(t + 1) / (size_t)T;
    for (size_t v = v0; v < v1; v++) {
        uint32_t in = 0, out = 0;
        for (int i = 0; i < T; i++) {
            uint32_t x = hist[i][v];
            hist[i][v] = in;
            in += x;
            out += ohist[i][v];
        }
        row[v + 1] = in;
        deg[v] = out;
    }
    pthread_barrier_wait(&bar);
    if (t == 0) {
        row[0] = 0;
        for (size_t v = 0; v < n; v++)
            row[v + 1] += row[v];
        /* the rounds' node ranges, balanced by in-edges + nodes */
        size_t w = m + n, v = 0;
        vlo[0] = 0;
        for (int i = 1; i < T; i++) {
            size_t goal = w * (size_t)i / (size_t)T;
            while (v < n && row[v] + v < goal)
                v++;
            vlo[i] = v;
        }
        vlo[T] = n;
    }
    pthread_barrier_wait(&bar);
    for (size_t i = e0; i < e1; i++) {             /* in file order: each row in file order */
        uint32_t d = dst[i];
        col[row[d] + h[d]++] = src[i];
    }
    const double nf = (double)n;
    size_t a = vlo[t], b = vlo[t + 1];
    for (size_t v = a; v < b; v++) {
        rank[v] = 1.0 / nf;
        contrib[v] = deg[v] ? rank[v] / (double)deg[v] : 0.0;
    }
    pthread_barrier_wait(&bar);
    if (t == 0)
        t_built = now();

    /* 4. the rounds */
    const double base_rank = (1.0 - damping) / nf;
    for (int r = 0; r < rounds; r++) {
        double tot = 0.0;
        for (size_t v = a; v < b; v++) {
            double s = 0.0;
            for (size_t j = row[v]; j < row[v + 1]; j++)
                s += contrib[col[j]];
            sums[v] = s;
            tot += s;
        }
        part[t * PAD] = tot;
        pthread_barrier_wait(&bar);
        double all = 0.0;
        for (int i = 0; i < T; i++)
            all += part[i * PAD];
        const double dangling = 1.0 - all;
        for (size_t v = a; v < b; v++) {
            double x = base_rank + damping * (sums[v] + dangling / nf);
            rank[v] = x;
            contrib[v] = deg[v] ? x / (double)deg[v] : 0.0;
        }
        pthread_barrier_wait(&bar);
    }
    if (t == 0)
        t_done = now();
    return NULL;
}

/* as flowc writes an f64 (runtime/text.c) */
static int fmt_f64(char *out, double v)
{
    if (v != v) {
        memcpy(out, "nan", 4);
        return 3;
    }
    int k = 0;
    for (int prec = 15; prec <= 17; prec++) {
        k = snprintf(out, 32, "%.*g", prec, v);
        if (prec == 17 || strtod(out, NULL) == v)
            break;
    }
    return k;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *output = NULL;
    T = (int)sysconf(_SC_NPROCESSORS_ONLN);
    rounds = 100;
    damping = 0.85;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            T = atoi(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--damping") == 0 && i + 1 < argc)
            damping = atof(argv[++i]);
        else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc)
            output = argv[++i];
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    if (!path || T < 1 || rounds < 0) {
        fprintf(stderr, "usage: pagerank_baseline FILE [--rounds R] [--damping D] [--threads T] "
                        "[--output FILE]\n");
        return 2;
    }
    t_start = now();
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        perror(path);
        return 1;
    }
    size = (size_t)st.st_size;
    base = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : "";
    if (base == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    const char *nl = memchr(base, '\n', size);     /* the header */
    body = nl ? (size_t)(nl - base) + 1 : size;

    lo = xmalloc(T * sizeof *lo);
    hi = xmalloc(T * sizeof *hi);
    lines = xmalloc(T * sizeof *lines);
    got = xmalloc(T * sizeof *got);
    off = xmalloc(T * sizeof *off);
    maxid = xmalloc((size_t)T * PAD * sizeof *maxid);
    hist = xmalloc(T * sizeof *hist);
    ohist = xmalloc(T * sizeof *ohist);
    vlo = xmalloc((T + 1) * sizeof *vlo);
    part = xmalloc((size_t)T * PAD * sizeof *part);
    for (int i = 0; i < T; i++) {
        lo[i] = line_start(body + (size - body) * (size_t)i / (size_t)T);
        hi[i] = line_start(body + (size - body) * (size_t)(i + 1) / (size_t)T);
    }
    pthread_barrier_init(&bar, NULL, (unsigned)T);
    pthread_t *th = xmalloc(T * sizeof *th);
    for (int i = 1; i < T; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) != 0) {
            perror("pthread_create");
            return 1;
        }
    worker((void *)0);
    for (int i = 1; i < T; i++)
        pthread_join(th[i], NULL);

    /* the result: sum of the ranks (left to right) and the ten highest (ties: smaller id) */
    double total = 0.0;
    for (size_t v = 0; v < n; v++)
        total += rank[v];
    enum { TOP = 10 };
    size_t top[TOP];
    int nt = 0;
    for (size_t v = 0; v < n; v++) {
        int i = nt < TOP ? nt++ : TOP;
        while (i > 0 && rank[top[i - 1]] < rank[v]) {
            if (i < TOP)
                top[i] = top[i - 1];
            i--;
        }
        if (i < TOP)
            top[i] = v;
    }
    char f[32];
    fmt_f64(f, total);
    printf("pagerank: nodes=%zu edges=%zu rounds=%d damping=%g sum=%s top:", n, m, rounds, damping, f);
    for (int i = 0; i < nt; i++)
        printf(" %zu:%.9g", top[i], rank[top[i]]);
    printf("\n");
    fflush(stdout);
    fprintf(stderr, "pagerank_baseline: threads=%d parse=%.3fs build=%.3fs rounds=%.3fs (%.2f ms/round) "
                    "total=%.3fs\n", T, t_parsed - t_start, t_built - t_parsed, t_done - t_built,
            rounds ? (t_done - t_built) * 1e3 / rounds : 0.0, t_done - t_start);

    if (output) {
        FILE *o = strcmp(output, "-") == 0 ? stdout : fopen(output, "w");
        if (!o) {
            perror(output);
            return 1;
        }
        fputs("node,rank\n", o);
        for (size_t v = 0; v < n; v++) {
            fmt_f64(f, rank[v]);
            fprintf(o, "%zu,%s\n", v, f);
        }
        if (fflush(o) != 0 || (o != stdout && fclose(o) != 0)) {
            perror(output);
            return 1;
        }
    }
    return 0;
}
