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
#define BASELINE_NAME "pagerank_baseline"
#define BASELINE_EDGES
#include "baseline_common.h"

/* ---- the job, shared by the threads (the input and the edges: baseline_common.h) ---- */

#define PAD 8                       /* doubles per cache line: per-thread slots apart */
static int rounds;
static double damping;
static uint32_t **ohist;            /* per thread: out-edges by src */
static uint32_t *deg;               /* out-degree */
static uint32_t *col;               /* CSR (row[]): the in-edges of v come from col[row[v] .. row[v + 1]) */
static double *rank, *contrib, *sums, *part;
static double t_start, t_parsed, t_built, t_done;

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;

    /* 1. parse the edges into src[], dst[] */
    parse_edges(t);
    if (t == 0) {
        deg = xmalloc(n * sizeof *deg);
        col = xmalloc(m * sizeof *col);
        rank = xmalloc(n * sizeof *rank);
        contrib = xmalloc(n * sizeof *contrib);
        sums = xmalloc(n * sizeof *sums);
        t_parsed = now();
    }
    pthread_barrier_wait(&bar);

    /* 2. CSR of the in-edges: per-thread histograms (hist: in-edges by dst; then each row's
     * offset) of my share of the edges */
    size_t e0 = share(m, t), e1 = share(m, t + 1);
    uint32_t *h = hist[t] = new_counts(), *oh = ohist[t] = new_counts();
    for (size_t i = e0; i < e1; i++) {
        h[dst[i]]++;
        oh[src[i]]++;
    }
    pthread_barrier_wait(&bar);
    /* per node (my share of the nodes): the in-degree, each thread's offset in the row, the
     * out-degree */
    for (size_t v = share(n, t), v1 = share(n, t + 1); v < v1; v++) {
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
    if (t == 0)
        csr_offsets();              /* and the rounds' node ranges, balanced by in-edges + nodes */
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

    /* 3. the rounds */
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

int main(int argc, char **argv)
{
    const char *output = NULL;
    rounds = 100;
    damping = 0.85;
    const struct baseline_opt opts[] = {{"--rounds", 'i', &rounds}, {"--damping", 'd', &damping},
                                        {"--output", 's', &output}, {NULL, 0, NULL}};
    const char *path = parse_args(argc, argv, opts);
    if (!path || T < 1 || rounds < 0) {
        fprintf(stderr, "usage: pagerank_baseline FILE [--rounds R] [--damping D] [--threads T] "
                        "[--output FILE]\n");
        return 2;
    }
    t_start = now();
    open_input(path, 1);
    ohist = xmalloc(T * sizeof *ohist);
    part = xmalloc((size_t)T * PAD * sizeof *part);
    run_threads(worker);

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
        FILE *o = open_output(output);
        fputs("node,rank\n", o);
        for (size_t v = 0; v < n; v++) {
            fmt_f64(f, rank[v]);
            fprintf(o, "%zu,%s\n", v, f);
        }
        close_output(o, output);
    }
    return 0;
}
