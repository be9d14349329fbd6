/* baseline_common.h - what the hand-written C programs of bench/ share:
 * static functions (and the globals they work on), so that each program
 * stays one file built alone (`cc -O2 -pthread bench/NAME.c`), nothing to
 * link. Include it before anything else, after the #defines that choose:
 *
 * - nothing defined (gen_graph.c, gen_points.c, the input generators): the
 *   PRNG, splitmix64: seed rng_state, then rng_next() (64 bits) and
 *   rng_unif() (a double in [0, 1)).
 * - BASELINE_NAME, the program's name in its messages (cc_baseline.c,
 *   pagerank_baseline.c, kmeans_baseline.c): the threaded baselines' frame
 *   and the system headers it needs: now() (seconds, monotonic), xmalloc
 *   (64-byte aligned, exits when out of memory), fail (a data line's error),
 *   parse_args (FILE, --threads T and a table of options), open_input (the
 *   file mmapped, its data lines split between the T threads at line
 *   starts: lo[t], hi[t]), share (thread t's part of a range), run_threads
 *   (T threads, the caller as thread 0, and their barrier `bar`), the first
 *   and last steps of a parallel parse (count_lines, close_gaps), the
 *   --output file (open_output, close_output) and fmt_f64 (a double as
 *   flowc writes it).
 * - BASELINE_EDGES as well (cc_baseline.c, pagerank_baseline.c): the edge
 *   list (a header, then `src,dst` per line) parsed into src[], dst[]
 *   (parse_edges), per-thread histograms by node (new_counts) and the CSR
 *   offsets with the threads' node ranges for the rounds (csr_offsets).
 *
 * The functions not every program calls are static inline (no unused
 * function warning).
 */
#ifndef BASELINE_COMMON_H
#define BASELINE_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE                 /* MAP_POPULATE */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BASELINE_NAME

/* ---- the generators' PRNG: splitmix64, so that a seed gives the same file on every machine ---- */

static uint64_t rng_state;          /* set to the seed */

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double rng_unif(void) { return (rng_next() >> 11) * 0x1.0p-53; }   /* [0, 1) */

#else /* BASELINE_NAME */

#include <fcntl.h>
#include <pthread.h>
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

/* 64-byte aligned (whole vectors; no false sharing at the ends); 0 bytes is fine */
static void *xmalloc(size_t bytes)
{
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    if (!p) {
        fprintf(stderr, BASELINE_NAME ": out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

static void fail(const char *msg, size_t line)
{
    fprintf(stderr, BASELINE_NAME ": %s (data line %zu)\n", msg, line);
    exit(1);
}

/* ---- the arguments ---- */

static int T;                       /* threads */

/* an option for parse_args: its name, its kind ('i' an int, 'd' a double, 's' a string, all
 * three taking the next argument; 'f' a flag, set to 1) and where it goes */
struct baseline_opt {
    const char *name;
    char kind;
    void *to;
};

/* FILE, --threads T (default: one per core) and the options of opts (ended by a null name):
 * returns FILE, or NULL when it is missing or an argument is not understood (then the caller
 * prints its usage) */
static const char *parse_args(int argc, char **argv, const struct baseline_opt *opts)
{
    const char *path = NULL;
    T = (int)sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            T = atoi(argv[++i]);
            continue;
        }
        const struct baseline_opt *o = opts;
        while (o->name && !(strcmp(argv[i], o->name) == 0 && (o->kind == 'f' || i + 1 < argc)))
            o++;
        if (!o->name) {
            if (argv[i][0] == '-' || path)
                return NULL;
            path = argv[i];
        } else if (o->kind == 'i')
            *(int *)o->to = atoi(argv[++i]);
        else if (o->kind == 'd')
            *(double *)o->to = atof(argv[++i]);
        else if (o->kind == 's')
            *(const char **)o->to = argv[++i];
        else
            *(int *)o->to = 1;
    }
    return path;
}

/* ---- the input, mmapped and parsed by the T threads ---- */

static const char *base;            /* the file */
static size_t size, body;           /* body: offset of the first data line */
static const char **lo, **hi;       /* thread t parses [lo[t], hi[t]) */
static size_t *lines, *got, *off;   /* lines counted, rows parsed, first row, per thread */
static pthread_barrier_t bar;       /* the T threads' */

/* thread t's part of total items: [share(total, t), share(total, t + 1)) */
static size_t share(size_t total, int t)
{
    return total * (size_t)t / (size_t)T;
}

/* the first data line start at or after offset x */
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

/* mmaps FILE (its first line a header, skipped, when header is set) and splits its data lines
 * between the T threads at line starts; exits on an error */
static void open_input(const char *path, int header)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        perror(path);
        exit(1);
    }
    size = (size_t)st.st_size;
    base = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : "";
    if (base == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    body = 0;
    if (header) {
        const char *nl = memchr(base, '\n', size);
        body = nl ? (size_t)(nl - base) + 1 : size;
    }

    lo = xmalloc(T * sizeof *lo);
    hi = xmalloc(T * sizeof *hi);
    lines = xmalloc(T * sizeof *lines);
    got = xmalloc(T * sizeof *got);
    off = xmalloc(T * sizeof *off);
    for (int i = 0; i < T; i++) {
        lo[i] = line_start(body + share(size - body, i));
        hi[i] = line_start(body + share(size - body, i + 1));
    }
}

/* runs worker((void *)t) for t < T, the caller as thread 0, and waits for them */
static void run_threads(void *(*worker)(void *))
{
    pthread_barrier_init(&bar, NULL, (unsigned)T);
    pthread_t *th = xmalloc(T * sizeof *th);
    for (int i = 1; i < T; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) != 0) {
            perror("pthread_create");
            exit(1);
        }
    worker((void *)0);
    for (int i = 1; i < T; i++)
        pthread_join(th[i], NULL);
    free(th);
}

/* A parse's first step, on every thread t: counts the lines of [lo[t], hi[t]); after a
 * barrier thread 0 sets off[] (each thread's first row) and gets the total, the most rows there
 * can be (empty lines are skipped), to allocate them before the caller's next barrier; the
 * others get 0. Thread t then parses its lines into rows off[t].. and sets got[t]. */
static size_t count_lines(int t)
{
    size_t c = 0;
    for (const char *p = lo[t], *e = hi[t]; p < e;) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        c++;
        p = nl ? nl + 1 : e;
    }
    lines[t] = c;
    pthread_barrier_wait(&bar);
    if (t != 0)
        return 0;
    size_t total = 0;
    for (int i = 0; i < T; i++) {
        off[i] = total;
        total += lines[i];
    }
    return total;
}

/* A parse's last step, on thread 0 after a barrier, for each array of elem-byte rows: closes
 * the gaps left by empty lines (thread i's got[i] rows move from off[i] to the end of thread
 * i - 1's); returns the rows */
static size_t close_gaps(void *rows, size_t elem)
{
    char *r = rows;
    size_t w = got[0];
    for (int i = 1; i < T; i++) {
        if (w != off[i])
            memmove(r + w * elem, r + off[i] * elem, got[i] * elem);
        w += got[i];
    }
    return w;
}

/* --output FILE (`-`: standard output); both exit on an error */
static inline FILE *open_output(const char *path)
{
    FILE *o = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!o) {
        perror(path);
        exit(1);
    }
    return o;
}

static inline void close_output(FILE *o, const char *path)
{
    if (fflush(o) != 0 || (o != stdout && fclose(o) != 0)) {
        perror(path);
        exit(1);
    }
}

/* as flowc writes an f64 (runtime/text.c): the shortest of %.15g, %.16g, %.17g that reads back */
static inline int fmt_f64(char *out, double v)
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

#ifdef BASELINE_EDGES

/* ---- the edge list: a header, then `src,dst` per line, ids below 2^32 - 1 ---- */

#define ID_PAD 16                   /* 32-bit slots per cache line: per-thread slots apart */
static uint32_t *src, *dst;         /* the edges, file order */
static size_t m;                    /* edges */
static uint32_t *maxid;             /* per thread (ID_PAD apart) */
static size_t n;                    /* nodes: the largest id + 1 */
static uint32_t **hist;             /* per thread: a histogram by node (new_counts) */
static size_t *row;                 /* CSR: row v is [row[v], row[v + 1]) */
static size_t *vlo;                 /* thread t's nodes in the rounds: [vlo[t], vlo[t + 1]) */

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

/* On every thread t: parses the edges into src[], dst[] (m of them) and sets n; allocates
 * hist, row (n + 1) and vlo. Thread 0 returns without a barrier after its last step, for
 * its own allocations before the caller's next barrier. */
static void parse_edges(int t)
{
    size_t total = count_lines(t);
    if (t == 0) {
        src = xmalloc(total * sizeof *src);
        dst = xmalloc(total * sizeof *dst);
        maxid = xmalloc((size_t)T * ID_PAD * sizeof *maxid);
        hist = xmalloc(T * sizeof *hist);
        vlo = xmalloc((T + 1) * sizeof *vlo);
    }
    pthread_barrier_wait(&bar);

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
    maxid[t * ID_PAD] = mx;
    pthread_barrier_wait(&bar);
    if (t == 0) {
        m = close_gaps(src, sizeof *src);
        close_gaps(dst, sizeof *dst);
        if (m == 0) {
            fprintf(stderr, BASELINE_NAME ": no edges\n");
            exit(1);
        }
        uint32_t g = 0;
        for (int i = 0; i < T; i++)
            g = maxid[i * ID_PAD] > g ? maxid[i * ID_PAD] : g;
        n = (size_t)g + 1;
        row = xmalloc((n + 1) * sizeof *row);
    }
}

/* n counters, zeroed */
static uint32_t *new_counts(void)
{
    uint32_t *c = xmalloc(n * sizeof *c);
    memset(c, 0, n * sizeof *c);
    return c;
}

/* On thread 0, with row[v + 1] the length of row v: makes row[] the offsets, then splits the
 * nodes between the threads for the rounds (vlo), balanced by entries + nodes. */
static void csr_offsets(void)
{
    row[0] = 0;
    for (size_t v = 0; v < n; v++)
        row[v + 1] += row[v];
    size_t w = row[n] + n, v = 0;
    vlo[0] = 0;
    for (int i = 1; i < T; i++) {
        size_t goal = share(w, i);
        while (v < n && row[v] + v < goal)
            v++;
        vlo[i] = v;
    }
    vlo[T] = n;
}

#endif /* BASELINE_EDGES */
#endif /* BASELINE_NAME */
#endif /* BASELINE_COMMON_H */
