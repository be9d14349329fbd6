/* cc_baseline.c - hand-written C connected components over CSR arrays, the
 * baseline of the flowc connected components benchmark
 * (examples/connected_components.flow).
 *
 * Same computation as examples/connected_components.flow: the input is a
 * CSV with a header and one edge `src,dst` per line, read as undirected;
 * n is the largest id + 1; every node's label starts as its id, and each
 * round every node takes the smallest of its label and its neighbours'
 * labels (all from the previous round), until a round changes no label
 * (that round is counted, as the .flow's `until` counts it). The labels
 * are then the smallest id of each component.
 *
 * How: the file is mmapped and parsed once by T threads (byte ranges split
 * at line starts) into two arrays of 32-bit ids; the undirected adjacency
 * (each edge in both rows) is built as CSR in parallel from per-thread
 * histograms. Each round is a pull over two label arrays: thread t owns a
 * range of nodes (balanced by adjacency entries + nodes), writes the new
 * labels of its nodes and whether any changed (a flag per thread and round
 * parity); one barrier per round, no atomics. The same rounds as the .flow
 * program, so the same number of them.
 *
 * Prints what the .flow program prints on standard output: `component,nodes`
 * (the size of each component), here sorted by component; or with
 * --summary one line: components, largest, rounds. The times of the parse,
 * the CSR build and the rounds (the compute part) go to standard error.
 * --output FILE writes `node,component` for every node (the .flow's
 * labels.csv). --check verifies the labels with a union-find (not timed).
 *
 *   cc -O2 -pthread bench/cc_baseline.c -o cc_baseline
 *   cc_baseline FILE [--max-rounds R] [--threads T] [--output FILE] [--summary] [--check]
 *               (defaults: 1000 rounds at most, one thread per core)
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
        fprintf(stderr, "cc_baseline: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

static void fail(const char *msg, size_t line)
{
    fprintf(stderr, "cc_baseline: %s (data line %zu)\n", msg, line);
    exit(1);
}

/* ---- the job, shared by the threads ---- */

#define PAD 16                      /* 32-bit slots per cache line: per-thread slots apart */
static int T, max_rounds;
static const char *base;            /* the file */
static size_t size, body;           /* body: offset of the first data line */
static const char **lo, **hi;       /* thread t parses [lo[t], hi[t]) */
static size_t *lines, *got, *off;   /* lines counted, rows parsed, first row, per thread */
static uint32_t *src, *dst;         /* the edges, file order */
static size_t m;                    /* edges */
static uint32_t *maxid;             /* per thread (PAD apart) */
static size_t n;                    /* nodes */
static uint32_t **hist;             /* per thread: adjacency entries by node; then offsets */
static size_t *row;                 /* CSR: the neighbours of v are adj[row[v] .. row[v + 1]) */
static uint32_t *adj;
static size_t *vlo;                 /* thread t's nodes in the rounds: [vlo[t], vlo[t + 1]) */
static uint32_t *lab[2];            /* the labels, this round's and the next */
static uint32_t *changed;           /* [parity][thread * PAD] */
static int rounds_run, converged, final_lab;
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
            fprintf(stderr, "cc_baseline: no edges\n");
            exit(1);
        }
        uint32_t g = 0;
        for (int i = 0; i < T; i++)
            g = maxid[i * PAD] > g ? maxid[i * PAD] : g;
        n = (size_t)g + 1;
        row = xmalloc((n + 1) * sizeof *row);
        adj = xmalloc(2 * m * sizeof *adj);
        lab[0] = xmalloc(n * sizeof *lab[0]);
        lab[1] = xmalloc(n * sizeof *lab[1]);
        t_parsed = now();
    }
    pthread_barrier_wait(&bar);

    /* 3. undirected CSR: per-thread histograms of my share of the edges */
    size_t e0 = m * (size_t)t / (size_t)T, e1 = m * (size_t)(t + 1) / (size_t)T;
    uint32_t *h = hist[t] = xmalloc(n * sizeof *h);
    memset(h, 0, n * sizeof *h);
    for (size_t i = e0; i < e1; i++) {
        h[src[i]]++;
        h[dst[i]]++;
    }
    pthread_barrier_wait(&bar);
    size_t v0 = n * (size_t)t / (size_t)T, v1 = n * (size_t)(t + 1) / (size_t)T;
    for (size_t v = v0; v < v1; v++) {
        uint32_t deg = 0;
        for (int i = 0; i < T; i++) {
            uint32_t x = hist[i][v];
            hist[i][v] = deg;
            deg += x;
        }
        row[v + 1] = deg;
    }
    pthread_barrier_wait(&bar);
    if (t == 0) {
        row[0] = 0;
        for (size_t v = 0; v < n; v++)
            row[v + 1] += row[v];
        size_t w = 2 * m + n, v = 0;        /* node ranges balanced by entries + nodes */
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
    for (size_t i = e0; i < e1; i++) {
        uint32_t s = src[i], d = dst[i];
        adj[row[s] + h[s]++] = d;
        adj[row[d] + h[d]++] = s;
    }
    size_t a = vlo[t], b = vlo[t + 1];
    for (size_t v = a; v < b; v++)
        lab[0][v] = (uint32_t)v;
    pthread_barrier_wait(&bar);
    if (t == 0)
        t_built = now();

    /* 4. the rounds */
    int r = 0, cur = 0;
    for (;;) {
        const uint32_t *old = lab[cur];
        uint32_t *nw = lab[cur ^ 1], any = 0;
        for (size_t v = a; v < b; v++) {
            uint32_t l = old[v], mn = l;
            for (size_t j = row[v]; j < row[v + 1]; j++) {
                uint32_t x = old[adj[j]];
                mn = x < mn ? x : mn;
            }
            nw[v] = mn;
            any |= mn != l;
        }
        changed[(r & 1) * T * PAD + t * PAD] = any;
        pthread_barrier_wait(&bar);
        r++;
        cur ^= 1;
        int more = 0;
        for (int i = 0; i < T; i++)
            more |= changed[((r - 1) & 1) * T * PAD + i * PAD] != 0;
        if (!more || r == max_rounds) {
            if (t == 0) {
                rounds_run = r;
                converged = !more;
                final_lab = cur;
            }
            break;
        }
    }
    if (t == 0)
        t_done = now();
    return NULL;
}

static uint32_t *uf;

static uint32_t find(uint32_t x)
{
    while (uf[x] != x) {
        uf[x] = uf[uf[x]];
        x = uf[x];
    }
    return x;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *output = NULL;
    int summary = 0, check = 0;
    T = (int)sysconf(_SC_NPROCESSORS_ONLN);
    max_rounds = 1000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            T = atoi(argv[++i]);
        else if (strcmp(argv[i], "--max-rounds") == 0 && i + 1 < argc)
            max_rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--output") == 0 && i + 1 < argc)
            output = argv[++i];
        else if (strcmp(argv[i], "--summary") == 0)
            summary = 1;
        else if (strcmp(argv[i], "--check") == 0)
            check = 1;
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    if (!path || T < 1 || max_rounds < 1) {
        fprintf(stderr, "usage: cc_baseline FILE [--max-rounds R] [--threads T] [--output FILE] "
                        "[--summary] [--check]\n");
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
    vlo = xmalloc((T + 1) * sizeof *vlo);
    changed = xmalloc(2 * (size_t)T * PAD * sizeof *changed);
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

    const uint32_t *label = lab[final_lab];
    uint32_t *sz = xmalloc(n * sizeof *sz);
    memset(sz, 0, n * sizeof *sz);
    for (size_t v = 0; v < n; v++)
        sz[label[v]]++;
    size_t comps = 0, largest = 0;
    for (size_t v = 0; v < n; v++)
        if (sz[v]) {
            comps++;
            largest = sz[v] > largest ? sz[v] : largest;
        }
    static char obuf[1 << 16];
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    if (summary)
        printf("components=%zu largest=%zu nodes=%zu edges=%zu rounds=%d%s\n", comps, largest, n, m,
               rounds_run, converged ? "" : " (max reached)");
    else {
        fputs("component,nodes\n", stdout);
        for (size_t v = 0; v < n; v++)
            if (sz[v])
                printf("%zu,%u\n", v, sz[v]);
    }
    fflush(stdout);
    fprintf(stderr, "cc_baseline: threads=%d nodes=%zu edges=%zu components=%zu largest=%zu rounds=%d%s "
                    "parse=%.3fs build=%.3fs rounds=%.3fs (%.2f ms/round) total=%.3fs\n",
            T, n, m, comps, largest, rounds_run, converged ? "" : " (max reached)", t_parsed - t_start,
            t_built - t_parsed, t_done - t_built, (t_done - t_built) * 1e3 / rounds_run, t_done - t_start);

    if (check) {
        /* union-find, the smaller root kept: each root is then its component's smallest id */
        uf = xmalloc(n * sizeof *uf);
        for (size_t v = 0; v < n; v++)
            uf[v] = (uint32_t)v;
        for (size_t i = 0; i < m; i++) {
            uint32_t x = find(src[i]), y = find(dst[i]);
            if (x < y)
                uf[y] = x;
            else if (y < x)
                uf[x] = y;
        }
        size_t bad = 0;
        for (size_t v = 0; v < n; v++)
            bad += find((uint32_t)v) != label[v];
        if (bad || !converged) {
            fprintf(stderr, "cc_baseline: --check: %zu labels differ from the union-find's%s\n", bad,
                    converged ? "" : " (max rounds reached)");
            return 1;
        }
        fprintf(stderr, "cc_baseline: --check: the labels agree with a union-find\n");
    }
    if (output) {
        FILE *o = strcmp(output, "-") == 0 ? stdout : fopen(output, "w");
        if (!o) {
            perror(output);
            return 1;
        }
        fputs("node,component\n", o);
        for (size_t v = 0; v < n; v++)
            fprintf(o, "%zu,%u\n", v, label[v]);
        if (fflush(o) != 0 || (o != stdout && fclose(o) != 0)) {
            perror(output);
            return 1;
        }
    }
    return 0;
}
