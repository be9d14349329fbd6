/* inputs.c - the files a file source's path names for one task, and the
 * windows of whole lines read from them (read_lines: lines.c; read_csv:
 * csv.c). See inputs.h for the rules.
 *
 * A path is tried as it is first: a regular file (plain: split by byte
 * range; compressed: a list of one), a directory (its regular files whose
 * name does not start with '.', sorted by name in bytes); when nothing has
 * that name and it holds *, ? or [, a glob(3) pattern (the regular files
 * it matches, sorted the same way; none: the job fails naming it). Every
 * task of every process lists the same names and takes its own: the files
 * must not change while the job runs.
 *
 * A compressed file streams through blocks (FLRT_IN_BLOCK, more for a
 * longer line): a window is the block up to its last line end; the rest
 * (a cut line, or from a CSV record that a window cut inside its quotes)
 * moves to the start of a fresh block that the decoder fills. The old
 * block is retired with the number of the produce call that left it, so
 * rows of that call keep pointing into it; the first flrt_in_more of a
 * later call frees it, keeping one block as a spare for the next window.
 * So a task holds its current block, those its current call left, and a
 * spare: a few MB whatever the file. */
#define _GNU_SOURCE
#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stats.h"
#include "zin.h"

/* Text a task's windows may point into: a buffer, or a mapped file. */
typedef struct block {
    struct block *next;
    fl_i64 calls;                /* the produce call that retired it */
    flrt_map *map;               /* a mapped file, or NULL: cap bytes of data */
    fl_i64 cap;
    char data[];
} block;

struct flrt_in {
    char *path;                  /* as given */
    flrt_map *single;            /* one plain file, split by byte range */
    char **files;                /* the task's files, in order */
    int nfiles, next;
    int writable;
    fl_i64 block;                /* the size of a block (FLRT_IN_BLOCK) */
    flrt_map *map;               /* the plain file being read, mapped whole */
    flrt_zin *z;                 /* the compressed file being read */
    int zend;                    /* z has given its last byte */
    block *buf;                  /* z's current block: text [0, len) */
    fl_i64 len;
    block *retired, *spare;
    fl_i64 done, total, before;  /* bytes read (of the files as stored), in all, in the files before this one */
};

/* ---- the names a path stands for ---- */

typedef struct names {
    char **v;
    int n, cap;
} names;

static void names_add(names *l, char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = flrt_xrealloc(l->v, (size_t)l->cap * sizeof *l->v);
    }
    l->v[l->n++] = s;
}

static void names_free(names *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void names_sort(names *l)
{
    if (l->n > 1)
        qsort(l->v, (size_t)l->n, sizeof *l->v, by_name);
}

static int is_regular(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir), k = strlen(name);
    int slash = n > 0 && dir[n - 1] == '/';
    char *p = flrt_xmalloc(n + k + 2);
    memcpy(p, dir, n);
    if (!slash)
        p[n++] = '/';
    memcpy(p + n, name, k + 1);
    return p;
}

/* The regular files of directory dir, not hidden ones: 0, or -1 (failed). */
static int list_dir(const char *dir, names *l)
{
    DIR *d = opendir(dir);
    if (!d) {
        fl_fail(NULL, "cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || (e->d_type != DT_REG && e->d_type != DT_LNK && e->d_type != DT_UNKNOWN))
            continue;
        char *p = join(dir, e->d_name);
        if (e->d_type == DT_REG || is_regular(p))
            names_add(l, p);
        else
            free(p);
    }
    closedir(d);
    return 0;
}

/* The regular files pattern matches: 0, or -1 (none: failed). */
static int list_glob(const char *pattern, names *l)
{
    glob_t g;
    int rc = glob(pattern, 0, NULL, &g);
    if (rc == GLOB_NOSPACE)
        flrt_oom(0);
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
        if (is_regular(g.gl_pathv[i]))
            names_add(l, flrt_strndup(g.gl_pathv[i], strlen(g.gl_pathv[i])));
    globfree(&g);
    if (l->n > 0)
        return 0;
    fl_fail(NULL, "no file matches %s", pattern);
    return -1;
}

/* The files path names, sorted: 0, or -1 (failed, with a message). */
static int expand(const char *path, names *l)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode) && list_dir(path, l) < 0)
            return -1;
        if (S_ISDIR(st.st_mode)) {
            names_sort(l);
            return 0;
        }
        if (S_ISREG(st.st_mode)) {
            names_add(l, flrt_strndup(path, strlen(path)));
            return 0;
        }
        fl_fail(NULL, "cannot open %s: not a regular file", path);
        return -1;
    }
    int err = errno;
    if (!strpbrk(path, "*?[")) {
        fl_fail(NULL, "cannot open %s: %s", path, strerror(err));
        return -1;
    }
    if (list_glob(path, l) < 0)
        return -1;
    names_sort(l);
    return 0;
}

static int open_retry(const char *path)
{
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    return fd;
}

/* The format of file path by its first bytes (FLRT_Z_*), or -1 (failed). */
static int file_kind(const char *path)
{
    int fd = open_retry(path);
    if (fd < 0) {
        fl_fail(NULL, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    unsigned char h[4];
    ssize_t k;
    do
        k = pread(fd, h, sizeof h, 0);
    while (k < 0 && errno == EINTR);
    int err = errno;
    close(fd);
    if (k < 0) {
        fl_fail(NULL, "cannot read %s: %s", path, strerror(err));
        return -1;
    }
    return flrt_zin_kind(h, k);
}

/* ---- opening ---- */

static fl_i64 file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

/* Task t's share of the list: files t->index, + ntasks, ... */
static void take_share(flrt_in *in, fl_task *t, names *all)
{
    in->files = flrt_xcalloc((size_t)all->n / (size_t)t->ntasks + 1, sizeof *in->files);
    for (int k = t->index; k < all->n; k += t->ntasks) {
        in->files[in->nfiles++] = all->v[k];
        in->total += file_size(all->v[k]);
        all->v[k] = NULL;
    }
    flrt_stats_source_n(&in->done, in->total);
}

flrt_in *flrt_in_open(fl_task *t, fl_str path, int writable)
{
    flrt_in *in = flrt_xcalloc(1, sizeof *in);
    in->path = flrt_strndup(path.ptr, (size_t)path.len);
    in->writable = writable;
    in->block = FLRT_IN_BLOCK;
    names all = {0};
    int kind = FLRT_Z_PLAIN;
    if (path.len == 0 || memchr(path.ptr, 0, (size_t)path.len)) {
        fl_fail(NULL, "cannot open %s: not a valid file name", in->path);
        goto fail;
    }
    if (expand(in->path, &all) < 0 || (all.n == 1 && (kind = file_kind(all.v[0])) < 0))
        goto fail;
    if (all.n == 1 && kind == FLRT_Z_PLAIN) {
        in->single = flrt_map_open((fl_str){all.v[0], (fl_i64)strlen(all.v[0])}, writable);
        if (!in->single)
            goto fail;
    } else {
        take_share(in, t, &all);
    }
    names_free(&all);
    return in;
fail:
    names_free(&all);
    free(in->path);
    free(in);
    return NULL;
}

flrt_map *flrt_in_single(const flrt_in *in) { return in->single; }
void flrt_in_set_block(flrt_in *in, fl_i64 bytes) { in->block = bytes; }
const char *flrt_in_path(const flrt_in *in) { return in->path; }
int flrt_in_final(const flrt_in *in) { return !in->z || in->zend; }

/* ---- blocks ---- */

static void retire(flrt_in *in, block *b, fl_i64 calls)
{
    b->calls = calls;
    b->next = in->retired;
    in->retired = b;
}

static void retire_map(flrt_in *in, flrt_map *m, fl_i64 calls)
{
    block *b = flrt_xcalloc(1, sizeof *b);
    b->map = m;
    retire(in, b, calls);
}

/* Frees what calls before `calls` retired (one plain block becomes the spare). */
static void free_retired(flrt_in *in, fl_i64 calls)
{
    block **pp = &in->retired;
    while (*pp) {
        block *b = *pp;
        if (b->calls >= calls) {
            pp = &b->next;
            continue;
        }
        *pp = b->next;
        if (b->map)
            flrt_map_free(b->map);
        if (!b->map && !in->spare && b->cap == in->block)
            in->spare = b;
        else
            free(b);
    }
}

/* A fresh current block that starts with the kept bytes [from, len) of the
 * old one (retired) and has room for at least as many more, and for at
 * least half a block. */
static block *block_next(flrt_in *in, fl_i64 from, fl_i64 calls)
{
    fl_i64 kept = in->len - from, cap = in->block;
    while (cap - kept < (kept > in->block / 2 ? kept : in->block / 2))
        cap *= 2;
    block *b = in->spare;
    in->spare = NULL;
    if (!b || b->cap < cap) {
        free(b);
        b = flrt_xmalloc(sizeof *b + (size_t)cap);
        b->cap = cap;
    }
    b->map = NULL;
    if (kept)
        memcpy(b->data, in->buf->data + from, (size_t)kept);
    if (in->buf)
        retire(in, in->buf, calls);
    in->buf = b;
    in->len = kept;
    return b;
}

/* The decoder's bytes into the rest of the current block: 0, or -1. */
static int block_fill(flrt_in *in)
{
    block *b = in->buf;
    while (in->len < b->cap && !in->zend) {
        fl_i64 k = flrt_zin_read(in->z, b->data + in->len, b->cap - in->len);
        if (k < 0) {
            fl_fail(NULL, "%s", flrt_zin_error(in->z));
            return -1;
        }
        in->zend = k == 0;
        in->len += k;
    }
    __atomic_store_n(&in->done, in->before + flrt_zin_used(in->z), __ATOMIC_RELAXED);
    return 0;
}

/* The next window of the compressed file, from keep on (NULL: from the
 * end of the current window): 1, 0 at the end of its text, -1. */
static int z_window(flrt_in *in, fl_lines *r, const char *keep)
{
    fl_i64 from = in->buf && keep ? keep - in->buf->data : in->len;
    if (in->len == from && in->zend)
        return 0;
    for (;;) {
        fl_i64 kept = in->len - from;
        block *b = block_next(in, from, r->calls);
        if (block_fill(in) < 0)
            return -1;
        if (in->len == 0)
            return 0;
        const char *nl = in->zend ? b->data + in->len - 1 : memrchr(b->data + kept, '\n', (size_t)(in->len - kept));
        if (nl) {
            r->cur = b->data;
            r->end = nl + 1;
            return 1;
        }
        from = 0;                /* no line end in what came: a larger block for it all */
    }
}

/* ---- the task's files, one after the other ---- */

static void file_done(flrt_in *in, fl_i64 calls)
{
    if (in->map)
        retire_map(in, in->map, calls);
    if (in->buf)
        retire(in, in->buf, calls);
    flrt_zin_close(in->z);
    in->map = NULL;
    in->z = NULL;
    in->buf = NULL;
    in->len = 0;
    in->before += file_size(in->files[in->next - 1]);
    __atomic_store_n(&in->done, in->before, __ATOMIC_RELAXED);
}

/* Opens the next file: 2 with its first window in r, 0 when it holds no
 * text (done with it), -1. */
static int file_open(flrt_in *in, fl_lines *r)
{
    const char *p = in->files[in->next++];
    int kind = file_kind(p);
    if (kind < 0)
        return -1;
    r->path = p;
    if (kind == FLRT_Z_PLAIN) {
        in->map = flrt_map_open((fl_str){p, (fl_i64)strlen(p)}, in->writable);
        if (!in->map)
            return -1;
        r->cur = in->map->addr;
        r->end = in->map->addr + in->map->len;
        return in->map->len > 0 ? 2 : 0;
    }
    char err[1024];
    in->z = flrt_zin_open(p, kind, err, sizeof err);
    if (!in->z) {
        fl_fail(NULL, "%s", err);
        return -1;
    }
    in->zend = 0;
    int rc = z_window(in, r, NULL);
    return rc > 0 ? 2 : rc;
}

int flrt_in_more(flrt_in *in, fl_lines *r, const char *keep)
{
    if (in->single)
        return 0;
    free_retired(in, r->calls);
    if (in->z) {
        int rc = z_window(in, r, keep);
        if (rc != 0)
            return rc;
    }
    if (in->z || in->map)
        file_done(in, r->calls);
    while (in->next < in->nfiles) {
        int rc = file_open(in, r);
        if (rc != 0)
            return rc;
        file_done(in, r->calls);
    }
    r->cur = r->end = NULL;
    return 0;
}

void flrt_in_close(flrt_in *in)
{
    if (!in)
        return;
    if (!in->single)
        flrt_stats_source_done(&in->done);
    flrt_map_close(in->single);
    flrt_map_close(in->map);
    flrt_zin_close(in->z);
    free(in->buf);
    free(in->spare);
    while (in->retired) {
        block *b = in->retired;
        in->retired = b->next;
        flrt_map_close(b->map);
        free(b);
    }
    for (int i = 0; i < in->nfiles; i++)
        free(in->files[i]);
    free(in->files);
    free(in->path);
    free(in);
}
