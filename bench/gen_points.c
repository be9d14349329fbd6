/* gen_points.c - the input of the k-means benchmark: N 2-D points drawn
 * around K gaussian centres, one `x,y` per line (%.6f, no header), the
 * format examples/kmeans.flow reads.
 *
 * The K centres are uniform in [0, 100)^2; each point picks a centre
 * uniformly, then adds N(0, SIGMA^2) noise to each coordinate (Box-Muller).
 * The PRNG is splitmix64 seeded with SEED, so the file is the same on every
 * machine. Same algorithm as ../shared/bench/gen_points.c and
 * scripts/gen_points.py (which made examples/data/points.csv): with the
 * same K, SEED and SIGMA they write the same points, and N points are the
 * first N lines of any longer file.
 *
 *   cc -O2 bench/gen_points.c -o gen_points -lm
 *   gen_points N [K [SEED [SIGMA]]] > points.csv     (K 30, SEED 7, SIGMA 4)
 *   gen_points 10000000 > bench/data/points_10M.csv  (10M points, ~198 MB)
 */
#include "baseline_common.h"     /* the PRNG: rng_state, rng_next(), rng_unif() */
#include <math.h>

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: gen_points N [K [SEED [SIGMA]]] > points.csv\n");
        return 2;
    }
    long n = atol(argv[1]);
    int k = argc > 2 ? atoi(argv[2]) : 30;
    rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 7;
    double sg = argc > 4 ? atof(argv[4]) : 4.0;
    if (n < 0 || k < 1) {
        fprintf(stderr, "gen_points: need N >= 0 and K >= 1\n");
        return 2;
    }
    double *cx = malloc(k * sizeof(double)), *cy = malloc(k * sizeof(double));
    if (!cx || !cy)
        return 1;
    for (int i = 0; i < k; i++) {
        cx[i] = 100 * rng_unif();
        cy[i] = 100 * rng_unif();
    }
    static char buf[1 << 20];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    for (long i = 0; i < n; i++) {
        int c = (int)(rng_unif() * k);
        double u1 = 1.0 - rng_unif(), u2 = rng_unif(), r = sqrt(-2 * log(u1));   /* u1 in (0, 1] */
        printf("%.6f,%.6f\n", cx[c] + sg * r * cos(2 * M_PI * u2), cy[c] + sg * r * sin(2 * M_PI * u2));
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("gen_points: write");
        return 1;
    }
    return 0;
}
