/* inflate.c - how fast the libraries flowc can load decompress (docs/benchmarks.md,
 * "Compressed inputs"): a gzip file through zlib and through ISA-L's igzip, a zstd file
 * through libzstd, streamed into a 1 MB buffer as runtime/zin.c does (every member, every
 * frame), the input already in memory. Prints, per library, the best of RUNS runs in MB/s of
 * decompressed text (and of compressed input). Not part of make bench:
 *
 *   cc -O2 bench/inflate.c -o inflate -lz -lisal -lzstd
 *   ./inflate FILE.gz FILE.zst [RUNS] */
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

enum { OUT = 1 << 20 };
static unsigned char out[OUT];

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static size_t by_zlib(unsigned char *p, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    inflateInit2(&z, 15 + 16);
    z.next_in = p;
    z.avail_in = (uInt)n;
    size_t total = 0;
    for (;;) {
        z.next_out = out;
        z.avail_out = OUT;
        int rc = inflate(&z, Z_NO_FLUSH);
        total += OUT - z.avail_out;
        if (rc == Z_STREAM_END && z.avail_in == 0)
            break;
        if (rc == Z_STREAM_END)
            inflateReset(&z);
        else if (rc != Z_OK)
            exit(1);
    }
    inflateEnd(&z);
    return total;
}

static size_t by_isal(unsigned char *p, size_t n)
{
    static struct inflate_state s;
    isal_inflate_init(&s);
    s.crc_flag = ISAL_GZIP;
    s.next_in = p;
    s.avail_in = (uint32_t)n;
    size_t total = 0;
    for (;;) {
        s.next_out = out;
        s.avail_out = OUT;
        if (isal_inflate(&s) != ISAL_DECOMP_OK)
            exit(1);
        total += OUT - s.avail_out;
        if (s.block_state == ISAL_BLOCK_FINISH && s.avail_in == 0)
            break;
        if (s.block_state == ISAL_BLOCK_FINISH) {
            unsigned char *next = s.next_in;
            uint32_t left = s.avail_in;
            isal_inflate_reset(&s);
            s.crc_flag = ISAL_GZIP;
            s.next_in = next;
            s.avail_in = left;
        }
    }
    return total;
}

static size_t by_zstd(unsigned char *p, size_t n)
{
    ZSTD_DStream *d = ZSTD_createDStream();
    ZSTD_initDStream(d);
    ZSTD_inBuffer in = {p, n, 0};
    size_t total = 0;
    while (in.pos < in.size) {
        ZSTD_outBuffer o = {out, OUT, 0};
        if (ZSTD_isError(ZSTD_decompressStream(d, &o, &in)))
            exit(1);
        total += o.pos;
    }
    ZSTD_freeDStream(d);
    return total;
}

static unsigned char *load(const char *path, size_t *n)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        perror(path);
        exit(2);
    }
    *n = (size_t)st.st_size;
    unsigned char *p = malloc(*n);
    if (!p || read(fd, p, *n) != (ssize_t)*n)
        exit(2);
    close(fd);
    return p;
}

static void best(const char *what, size_t (*fn)(unsigned char *, size_t), unsigned char *p, size_t n, int runs)
{
    double t = 1e30;
    size_t total = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        total = fn(p, n);
        double dt = now() - t0;
        t = dt < t ? dt : t;
    }
    printf("%-6s %6.0f MB/s of text (%5.0f MB/s of input): %zu bytes in %.3f s\n", what, (double)total / 1e6 / t,
           (double)n / 1e6 / t, total, t);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: inflate FILE.gz FILE.zst [RUNS]\n");
        return 2;
    }
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    size_t ng, nz;
    unsigned char *g = load(argv[1], &ng), *z = load(argv[2], &nz);
    best("zlib", by_zlib, g, ng, runs);
    best("isa-l", by_isal, g, ng, runs);
    best("zstd", by_zstd, z, nz, runs);
    return 0;
}
