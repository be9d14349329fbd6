/* lines.c - the line source (read_lines), the shares of parallel sources
 * and the file mappings. A path that names several files or a compressed
 * one is a list of whole files per task (inputs.c): fl_lines_more moves
 * to their next window. One plain file is split by byte range here.
 * A file is mapped into memory; task i of n takes the lines that
 * START in bytes [size*i/n, size*(i+1)/n): its share begins at the first
 * line start at or after size*i/n and ends at the first line start at or
 * after size*(i+1)/n, which is where task i+1 begins. So every line goes to
 * exactly one task, whatever the line lengths (a line longer than a share
 * leaves the tasks after its start with nothing), and a file without a
 * final line end loses nothing.
 *
 * Rows may keep slices of a source file (a line, a word of it) without
 * copying them, so while a job runs fl_lines_close only puts the mapping
 * on a list; fl_main unmaps them after every task has ended.
 *
 * A file truncated while it is mapped makes the next read of a page past
 * its new end raise SIGBUS. Each mapping is listed for the SIGBUS handler
 * (signals.c), which names the file in its message ("FILE changed size
 * while it was being read") and ends the job with status 1. Lock order:
 * maps_mu is a leaf. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flrt_int.h"
#include "inputs.h"
#include "stats.h"

/* the deferred mappings are the current job's */
#define maps_mu (flrt_job_current()->maps_mu)
#define deferred (flrt_job_current()->maps)
#define defer_on (flrt_job_current()->maps_deferred)

/* ---- shares ---- */

void flrt_share(fl_i64 size, int i, int n, fl_i64 *lo, fl_i64 *hi)
{
    unsigned __int128 s = (unsigned __int128)(fl_u64)size;
    *lo = (fl_i64)(s * (unsigned)i / (unsigned)n);
    *hi = (fl_i64)(s * (unsigned)(i + 1) / (unsigned)n);
}

void fl_split_range(fl_task *t, fl_i64 start, fl_i64 end, fl_i64 *lo, fl_i64 *hi)
{
    if (end <= start) {
        *lo = *hi = start;
        return;
    }
    fl_i64 a, b;
    flrt_share((fl_i64)((fl_u64)end - (fl_u64)start), t->index, t->ntasks, &a, &b);
    *lo = (fl_i64)((fl_u64)start + (fl_u64)a);
    *hi = (fl_i64)((fl_u64)start + (fl_u64)b);
}

int fl_chunk_range(fl_task *t, fl_i64 start, fl_i64 end, fl_i64 k, fl_i64 *lo, fl_i64 *hi)
{
    fl_u64 size = (fl_u64)end - (fl_u64)start, c = (fl_u64)t->index + (fl_u64)k * (fl_u64)t->ntasks;
    if (end <= start || c >= (size + FL_CHUNK_ROWS - 1) / FL_CHUNK_ROWS)
        return 0;
    *lo = (fl_i64)((fl_u64)start + c * FL_CHUNK_ROWS);
    *hi = (fl_i64)((fl_u64)*lo + FL_CHUNK_ROWS > (fl_u64)end ? (fl_u64)end : (fl_u64)*lo + FL_CHUNK_ROWS);
    return 1;
}

/* The first line start at or after x in p[0, size). */
static fl_i64 line_start(const char *p, fl_i64 size, fl_i64 x)
{
    if (x == 0 || x >= size || p[x - 1] == '\n')
        return x < size ? x : size;
    const char *nl = memchr(p + x, '\n', (size_t)(size - x));
    return nl ? nl + 1 - p : size;
}

/* ---- mappings ---- */

static flrt_map *map_new(fl_str path)
{
    flrt_map *m = flrt_xcalloc(1, sizeof *m + (size_t)path.len + 1);
    if (path.len)
        memcpy(m->path, path.ptr, (size_t)path.len);
    return m;
}

static flrt_map *map_fail(flrt_map *m, int fd, const char *why)
{
    fl_fail(NULL, "cannot open %s: %s", m->path, why);
    if (fd >= 0)
        close(fd);
    free(m);
    return NULL;
}

static int open_retry(const char *path)
{
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    return fd;
}

flrt_map *flrt_map_open(fl_str path, int writable)
{
    flrt_map *m = map_new(path);
    if (path.len == 0 || memchr(path.ptr, 0, (size_t)path.len))
        return map_fail(m, -1, "not a valid file name");
    int fd = open_retry(m->path);
    if (fd < 0)
        return map_fail(m, -1, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0)
        return map_fail(m, fd, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return map_fail(m, fd, S_ISDIR(st.st_mode) ? "it is a folder" : "not a regular file");
    m->len = st.st_size;
    if (m->len > 0) {
        int prot = PROT_READ | (writable ? PROT_WRITE : 0);
        void *a = mmap(NULL, (size_t)m->len, prot, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
        if (a == MAP_FAILED)
            return map_fail(m, fd, strerror(errno));
        madvise(a, (size_t)m->len, MADV_SEQUENTIAL);
        m->addr = a;
        flrt_signals_add_map(a, m->len, m->path);
    }
    close(fd);
    return m;
}

void flrt_map_free(flrt_map *m)
{
    if (m->addr) {
        flrt_signals_drop_map(m->addr);
        munmap(m->addr, (size_t)m->len);
    }
    free(m);
}

void flrt_map_close(flrt_map *m)
{
    if (!m)
        return;
    if (!atomic_load(&defer_on)) {
        flrt_map_free(m);
        return;
    }
    pthread_mutex_lock(&maps_mu);
    m->next = deferred;
    deferred = m;
    pthread_mutex_unlock(&maps_mu);
}

void flrt_maps_set_deferred(int on)
{
    atomic_store(&defer_on, on);
    if (on)
        return;
    pthread_mutex_lock(&maps_mu);
    flrt_map *m = deferred;
    deferred = NULL;
    pthread_mutex_unlock(&maps_mu);
    while (m) {
        flrt_map *next = m->next;
        flrt_map_free(m);
        m = next;
    }
}

/* ---- read_lines ---- */

int fl_lines_open(fl_task *t, fl_lines *r, fl_str path)
{
    memset(r, 0, sizeof *r);
    flrt_in *in = flrt_in_open(t, path, 0);
    if (!in)
        return -1;
    r->in = in;
    r->path = flrt_in_path(in);
    flrt_map *m = flrt_in_single(in);
    if (!m)
        return 0;                /* a list of files: fl_lines_more opens them */
    r->path = m->path;
    if (m->len == 0)
        return 0;
    fl_i64 lo, hi;
    flrt_share(m->len, t->index, t->ntasks, &lo, &hi);
    r->cur = m->addr + line_start(m->addr, m->len, lo);
    r->end = m->addr + line_start(m->addr, m->len, hi);
    flrt_stats_source(&r->cur, r->cur, r->end - r->cur);
    return 0;
}

int fl_lines_more(fl_lines *r)
{
    return r->in && flrt_in_more(r->in, r, r->cur) > 0;
}

fl_i64 fl_lines_number(const fl_lines *r)
{
    const flrt_map *m = r->in ? flrt_in_single(r->in) : NULL;
    if (!m)
        return 1;                /* a list of files: only asked before the first line */
    fl_i64 n = 1;
    for (const char *p = m->addr; p && p < r->cur; p++)
        n += *p == '\n';
    return n;
}

void fl_lines_close(fl_lines *r)
{
    if (r->in && flrt_in_single(r->in) && r->end)
        flrt_stats_source_done(&r->cur);
    flrt_in_close(r->in);
    memset(r, 0, sizeof *r);
}
