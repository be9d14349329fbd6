/* gen_graph.c - the input of the PageRank and connected components
 * benchmarks: a directed graph as a CSV of edges, a header `src,dst` and one
 * edge per line, the format examples/pagerank.flow and
 * connected_components.flow read. Nodes are 0..NODES-1.
 *
 * By default an R-MAT graph (Chakrabarti et al.; the Graph500 parameters
 * a = 0.57, b = 0.19, c = 0.19, d = 0.05): each edge picks a quadrant of the
 * adjacency matrix per bit of the ids, which gives the skewed degrees of
 * real graphs (a few hubs with thousands of edges, many nodes with none:
 * isolated nodes are singleton components, and dangling nodes for PageRank),
 * and repeated edges and self-loops now and then, as real edge lists have.
 * Ids past NODES-1 (when NODES is not a power of two) are drawn again; the
 * ids are then renumbered by a random permutation so that the hubs are not
 * the small ids. `--uniform`: every edge's ends uniform instead.
 *
 * The PRNG is splitmix64 seeded with SEED, so the file is the same on every
 * machine.
 *
 *   cc -O2 bench/gen_graph.c -o gen_graph
 *   gen_graph [--edges M] [--nodes N] [--seed S] [--uniform] > edges.csv
 *             (defaults: 1000000 edges, 100000 nodes, seed 1)
 *   gen_graph > bench/data/graph_1M.csv      (1M edges, 11.8 MB)
 */
#include "baseline_common.h"     /* the PRNG: rng_state, rng_next(), rng_unif() */

static uint64_t below(uint64_t n) { return (uint64_t)(((unsigned __int128)rng_next() * n) >> 64); }

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

int main(int argc, char **argv)
{
    long long m = 1000000, nodes = 100000;
    uint64_t seed = 1;
    int uniform = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--edges") == 0 && i + 1 < argc)
            m = atoll(argv[++i]);
        else if (strcmp(argv[i], "--nodes") == 0 && i + 1 < argc)
            nodes = atoll(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--uniform") == 0)
            uniform = 1;
        else {
            fprintf(stderr, "usage: gen_graph [--edges M] [--nodes N] [--seed S] [--uniform] > edges.csv\n");
            return 2;
        }
    }
    if (m < 0 || nodes < 1 || nodes > (1LL << 40)) {
        fprintf(stderr, "gen_graph: need --edges >= 0 and 1 <= --nodes <= 2^40\n");
        return 2;
    }
    rng_state = seed;
    int scale = 0;
    while ((1LL << scale) < nodes)
        scale++;
    /* the renumbering: a random permutation of the ids (Fisher-Yates) */
    uint64_t *perm = malloc((size_t)nodes * sizeof *perm);
    if (!perm) {
        perror("gen_graph");
        return 1;
    }
    for (long long i = 0; i < nodes; i++)
        perm[i] = (uint64_t)i;
    for (long long i = nodes - 1; i > 0; i--) {
        uint64_t j = below((uint64_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    const double a = 0.57, ab = 0.57 + 0.19, abc = 0.57 + 0.19 + 0.19;
    static char buf[1 << 20];
    size_t len = 0;
    memcpy(buf, "src,dst\n", 8);
    len = 8;
    for (long long e = 0; e < m; e++) {
        uint64_t u, v;
        if (uniform) {
            u = below((uint64_t)nodes);
            v = below((uint64_t)nodes);
        } else {
            do {
                u = v = 0;
                for (int b = 0; b < scale; b++) {
                    double r = rng_unif();
                    u <<= 1;
                    v <<= 1;
                    if (r < a) {
                    } else if (r < ab) {
                        v |= 1;
                    } else if (r < abc) {
                        u |= 1;
                    } else {
                        u |= 1;
                        v |= 1;
                    }
                }
            } while (u >= (uint64_t)nodes || v >= (uint64_t)nodes);
        }
        char *p = buf + len;
        p = put_u64(p, perm[u]);
        *p++ = ',';
        p = put_u64(p, perm[v]);
        *p++ = '\n';
        len = (size_t)(p - buf);
        if (len > sizeof buf - 64) {
            if (fwrite(buf, 1, len, stdout) != len)
                break;
            len = 0;
        }
    }
    if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
        perror("gen_graph: write");
        return 1;
    }
    free(perm);
    return 0;
}
