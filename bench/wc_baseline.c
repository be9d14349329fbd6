/* wc_baseline.c - hand-written C word count, the baseline of the flowc word
 * count benchmark (bench/run.sh).
 *
 * Same semantics as examples/wordcount.flow: a word is a maximal run of
 * ASCII letters and digits, lowercased; every other byte (newlines
 * included) separates words. Prints `word,count` lines in no particular
 * order (no header) to stdout.
 *
 * The file is mmapped; each of T threads (default: one per core, or
 * --threads T) takes a byte range split at line starts, tokenises it and
 * counts in its own open-addressing table (linear probing, XXH3 hashes,
 * keys copied into a per-thread arena). At the end the tables are merged
 * into the first one and printed through one large buffer.
 *
 * By default each word is counted as soon as it is read (the plain loop)
 * and tables are calloc'd: that is the baseline. Two tunings, reported
 * separately by bench/run.sh as "C tuned" (--batch 64 --prefault):
 * --batch B collects B words, hashes them, then counts them: the table
 * probes, which miss the cache on a large vocabulary, are then independent
 * and overlap. --prefault allocates the tables as described at slots_new.
 *
 *   cc -O2 -pthread bench/wc_baseline.c -o wc_baseline -lxxhash
 *   wc_baseline FILE [--threads T] [--batch B] [--prefault] > out.csv
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
#include <unistd.h>
#include <xxhash.h>

typedef struct {
    uint64_t hash;
    const char *key;   /* NULL: empty slot */
    uint32_t len;
    int64_t count;
} slot;

typedef struct {
    slot *s;           /* calloc'd, or mmapped when `prefault` */
    size_t cap, n;     /* cap is a power of two, n <= cap / 2 */
    char *arena;       /* current key block */
    size_t arena_left;
} table;

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static void *xcalloc(size_t n, size_t m)
{
    void *p = calloc(n, m);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static int prefault;   /* --prefault */

/* A zeroed slot array. calloc gives fresh pages that the first probe maps
 * to the shared zero page and the first insert then copies, a second fault
 * that also flushes the TLB of every CPU running the process (an IPI, dear
 * in a VM). --prefault maps the array with huge pages where the kernel
 * allows and populates it writable up front. */
static slot *slots_new(size_t cap)
{
    if (!prefault)
        return xcalloc(cap, sizeof(slot));
    size_t n = cap * sizeof(slot);
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    madvise(p, n, MADV_HUGEPAGE);
    madvise(p, n, MADV_POPULATE_WRITE);    /* Linux 5.14; an error only costs speed */
    return p;
}

static void slots_free(slot *s, size_t cap)
{
    if (prefault)
        munmap(s, cap * sizeof(slot));
    else
        free(s);
}

static void table_init(table *t, size_t cap)
{
    t->s = slots_new(cap);
    t->cap = cap;
    t->n = 0;
    t->arena = NULL;
    t->arena_left = 0;
}

static const char *intern(table *t, const char *w, size_t len)
{
    if (len > t->arena_left) {
        size_t sz = len > (1 << 20) ? len : (1 << 20);
        t->arena = xmalloc(sz);
        t->arena_left = sz;
    }
    char *p = t->arena;
    memcpy(p, w, len);
    t->arena += len;
    t->arena_left -= len;
    return p;
}

static void grow(table *t)
{
    slot *old = t->s;
    size_t oldcap = t->cap;
    t->cap *= 2;
    t->s = slots_new(t->cap);
    size_t mask = t->cap - 1;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].key) {
            size_t j = old[i].hash & mask;
            while (t->s[j].key)
                j = (j + 1) & mask;
            t->s[j] = old[i];
        }
    slots_free(old, oldcap);
}

/* Add `count` to word w (len bytes, hash h); copy the key when new unless
 * `owned` (the key already lives in an arena that outlives the table). */
static void add(table *t, const char *w, size_t len, uint64_t h, int64_t count, int owned)
{
    size_t mask = t->cap - 1;
    size_t i = h & mask;
    for (;;) {
        slot *s = &t->s[i];
        if (!s->key)
            break;
        if (s->hash == h && s->len == len && memcmp(s->key, w, len) == 0) {
            s->count += count;
            return;
        }
        i = (i + 1) & mask;
    }
    slot *s = &t->s[i];
    s->hash = h;
    s->key = owned ? w : intern(t, w, len);
    s->len = (uint32_t)len;
    s->count = count;
    if (++t->n * 2 > t->cap)
        grow(t);
}

static inline int is_word(unsigned char c)
{
    return (unsigned)(c - 'a') < 26 || (unsigned)(c - 'A') < 26 || (unsigned)(c - '0') < 10;
}

typedef struct {
    const char *lo, *hi;
    int batch;
    table t;
} job;

/* Tokenise [lo, hi): lowercase each word into buf and, once `batch` words
 * are pending (or buf is full), hash them all, then count them all. With
 * batch 1 that is the plain word-at-a-time loop; a larger batch lets the
 * CPU overlap the cache misses of independent table probes. */
static void *count_range(void *arg)
{
    job *j = arg;
    table_init(&j->t, 1 << 16);
    int nb = j->batch;
    size_t bufcap = 1 << 16, bl = 0;
    char *buf = xmalloc(bufcap);
    size_t *off = xmalloc((size_t)nb * sizeof *off), *wl = xmalloc((size_t)nb * sizeof *wl);
    uint64_t *wh = xmalloc((size_t)nb * sizeof *wh);
    int n = 0;
    const char *p = j->lo, *end = j->hi;
    for (;;) {
        while (p < end && !is_word((unsigned char)*p))
            p++;
        const char *w = p;
        while (p < end && is_word((unsigned char)*p))
            p++;
        size_t len = (size_t)(p - w);
        if (n == nb || (n && (len == 0 || bl + len > bufcap))) {
            for (int i = 0; i < n; i++)
                wh[i] = XXH3_64bits(buf + off[i], wl[i]);
            for (int i = 0; i < n; i++)
                add(&j->t, buf + off[i], wl[i], wh[i], 1, 0);
            n = 0;
            bl = 0;
        }
        if (len == 0)
            break;
        if (len > bufcap) {
            bufcap = len;
            free(buf);
            buf = xmalloc(bufcap);
        }
        for (size_t k = 0; k < len; k++) {
            char c = w[k];
            buf[bl + k] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        off[n] = bl;
        wl[n++] = len;
        bl += len;
    }
    free(buf);
    free(off);
    free(wl);
    free(wh);
    return NULL;
}

/* The first line start at or after offset x. */
static const char *line_start(const char *base, size_t size, size_t x)
{
    if (x == 0)
        return base;
    if (x >= size)
        return base + size;
    if (base[x - 1] == '\n')
        return base + x;
    const char *nl = memchr(base + x, '\n', size - x);
    return nl ? nl + 1 : base + size;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    int nt = (int)sysconf(_SC_NPROCESSORS_ONLN), batch = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            nt = atoi(argv[++i]);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            batch = atoi(argv[++i]);
        else if (strcmp(argv[i], "--prefault") == 0)
            prefault = 1;
        else
            path = argv[i];
    }
    if (!path || nt < 1 || batch < 1) {
        fprintf(stderr, "usage: wc_baseline FILE [--threads T] [--batch B] [--prefault]\n");
        return 2;
    }
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        perror(path);
        return 1;
    }
    size_t size = (size_t)st.st_size;
    const char *base = "";
    if (size) {
        base = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (base == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        madvise((void *)base, size, MADV_SEQUENTIAL);
    }

    job *jobs = xcalloc((size_t)nt, sizeof(job));
    pthread_t *th = xcalloc((size_t)nt, sizeof(pthread_t));
    for (int i = 0; i < nt; i++) {
        jobs[i].lo = line_start(base, size, size * (size_t)i / (size_t)nt);
        jobs[i].hi = line_start(base, size, size * (size_t)(i + 1) / (size_t)nt);
        jobs[i].batch = batch;
    }
    for (int i = 1; i < nt; i++)
        pthread_create(&th[i], NULL, count_range, &jobs[i]);
    count_range(&jobs[0]);
    for (int i = 1; i < nt; i++)
        pthread_join(th[i], NULL);

    /* merge into the first table; keys stay in their threads' arenas */
    table *m = &jobs[0].t;
    for (int i = 1; i < nt; i++) {
        table *t = &jobs[i].t;
        for (size_t k = 0; k < t->cap; k++)
            if (t->s[k].key)
                add(m, t->s[k].key, t->s[k].len, t->s[k].hash, t->s[k].count, 1);
    }

    size_t cap = 1 << 20, len = 0;
    char *out = xmalloc(cap);
    for (size_t k = 0; k < m->cap; k++) {
        slot *s = &m->s[k];
        if (!s->key)
            continue;
        if (len + s->len + 24 > cap) {
            fwrite(out, 1, len, stdout);
            len = 0;
            if (s->len + 24 > cap) {
                cap = s->len + 24;
                free(out);
                out = xmalloc(cap);
            }
        }
        memcpy(out + len, s->key, s->len);
        len += s->len;
        len += (size_t)sprintf(out + len, ",%lld\n", (long long)s->count);
    }
    fwrite(out, 1, len, stdout);
    fflush(stdout);
    return 0;
}
