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
#define BASELINE_NAME "cc_baseline"
#define BASELINE_EDGES
#include "baseline_common.h"

/* ---- the job, shared by the threads (the input and the edges: baseline_common.h) ---- */

#define PAD 16                      /* 32-bit slots per cache line: per-thread slots apart */
static int max_rounds;
static uint32_t *adj;               /* CSR (row[]): the neighbours of v are adj[row[v] .. row[v + 1]) */
static uint32_t *lab[2];            /* the labels, this round's and the next */
static uint32_t *changed;           /* [parity][thread * PAD] */
static int rounds_run, converged, final_lab;
static double t_start, t_parsed, t_built, t_done;

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;

    /* 1. parse the edges into src[], dst[] */
    parse_edges(t);
    if (t == 0) {
        adj = xmalloc(2 * m * sizeof *adj);
        lab[0] = xmalloc(n * sizeof *lab[0]);
        lab[1] = xmalloc(n * sizeof *lab[1]);
        t_parsed = now();
    }
    pthread_barrier_wait(&bar);

    /* 2. undirected CSR: per-thread histograms (hist: adjacency entries by node; then offsets)
     * of my share of the edges */
    size_t e0 = share(m, t), e1 = share(m, t + 1);
    uint32_t *h = hist[t] = new_counts();
    for (size_t i = e0; i < e1; i++) {
        h[src[i]]++;
        h[dst[i]]++;
    }
    pthread_barrier_wait(&bar);
    for (size_t v = share(n, t), v1 = share(n, t + 1); v < v1; v++) {
        uint32_t deg = 0;
        for (int i = 0; i < T; i++) {
            uint32_t x = hist[i][v];
            hist[i][v] = deg;
            deg += x;
        }
        row[v + 1] = deg;
    }
    pthread_barrier_wait(&bar);
    if (t == 0)
        csr_offsets();
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

    /* 3. the rounds */
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
    const char *output = NULL;
    int summary = 0, check = 0;
    max_rounds = 1000;
    const struct baseline_opt opts[] = {{"--max-rounds", 'i', &max_rounds}, {"--output", 's', &output},
                                        {"--summary", 'f', &summary}, {"--check", 'f', &check},
                                        {NULL, 0, NULL}};
    const char *path = parse_args(argc, argv, opts);
    if (!path || T < 1 || max_rounds < 1) {
        fprintf(stderr, "usage: cc_baseline FILE [--max-rounds R] [--threads T] [--output FILE] "
                        "[--summary] [--check]\n");
        return 2;
    }
    t_start = now();
    open_input(path, 1);
    changed = xmalloc(2 * (size_t)T * PAD * sizeof *changed);
    run_threads(worker);

    const uint32_t *label = lab[final_lab];
    uint32_t *sz = new_counts();
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
        FILE *o = open_output(output);
        fputs("node,component\n", o);
        for (size_t v = 0; v < n; v++)
            fprintf(o, "%zu,%u\n", v, label[v]);
        close_output(o, output);
    }
    return 0;
}
