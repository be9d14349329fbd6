/* zin.c - compressed input files as a stream of bytes, for the file
 * sources (inputs.c): gzip and zstd, told by their magic number, read with
 * read() through a fixed buffer and decompressed on demand, so a file of
 * any size costs the same memory.
 *
 * The libraries are not linked: a job binary must run with libc alone.
 * The first compressed file a process meets loads its library with dlopen
 * (as monitor.c does libmicrohttpd): for gzip ISA-L's igzip (about 2.7x
 * zlib's speed, docs/benchmarks.md) when it is installed, else zlib, or
 * the one FLOWC_GZIP=isal|zlib names; libzstd for zstd. Loading happens
 * once per process, under a lock (tasks open their files concurrently).
 *
 * A file is a sequence of gzip members (what `cat a.gz b.gz` makes) or of
 * zstd frames; it may end only between two of them. Anything else is an
 * error that names the file, the byte where the decoder stopped and the
 * member (frame) it was in: a truncated member, corrupt data, a checksum
 * that does not match, bytes after the last member that are no member. */
#define _GNU_SOURCE
#include "zin.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "flrt_int.h"

enum { IN_SIZE = 256 << 10 };   /* compressed bytes read at a time */

/* ---- the libraries, loaded once per process ---- */

typedef struct zlib_api {
    int (*init)(z_streamp, int, const char *, int);   /* inflateInit2_ */
    int (*inflate)(z_streamp, int);
    int (*reset)(z_streamp);
    int (*end)(z_streamp);
} zlib_api;

typedef struct isal_api {
    void (*init)(struct inflate_state *);
    void (*reset)(struct inflate_state *);
    int (*inflate)(struct inflate_state *);
} isal_api;

typedef struct zstd_api {
    ZSTD_DStream *(*create)(void);
    size_t (*free)(ZSTD_DStream *);
    size_t (*init)(ZSTD_DStream *);
    size_t (*step)(ZSTD_DStream *, ZSTD_outBuffer *, ZSTD_inBuffer *);
    unsigned (*is_error)(size_t);
    const char *(*error_name)(size_t);
} zstd_api;

typedef struct lz4_api {     /* LZ4's frame API (lz4frame.h), declared here: no header needed */
    size_t (*create)(void **dctx, unsigned version);
    size_t (*free)(void *dctx);
    size_t (*step)(void *dctx, void *dst, size_t *dst_size, const void *src, size_t *src_size, const void *opts);
    unsigned (*is_error)(size_t);
    const char *(*error_name)(size_t);
} lz4_api;
enum { LZ4F_VERSION = 100 };

enum { LIB_UNTRIED, LIB_LOADED, LIB_MISSING };

static pthread_mutex_t libs_mu = PTHREAD_MUTEX_INITIALIZER;
static int zlib_state, isal_state, zstd_state, lz4_state;    /* LIB_*, under libs_mu */
static zlib_api zl;
static isal_api il;
static zstd_api zs;
static lz4_api lz;

/* dlopen of the first of names that loads, then each symbol into the
 * function pointers at fns[i] (all must be there); 0, or -1. */
static int lib_load(const char *const *names, const char *const *syms, void **fns[])
{
    void *lib = NULL;
    for (; *names && !lib; names++)
        lib = dlopen(*names, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return -1;
    for (int i = 0; syms[i]; i++)
        if (!(*fns[i] = dlsym(lib, syms[i]))) {
            dlclose(lib);
            return -1;
        }
    return 0;
}

static int load_zlib(void)
{
    static const char *const names[] = {"libz.so.1", "libz.so", NULL};
    static const char *const syms[] = {"inflateInit2_", "inflate", "inflateReset", "inflateEnd", NULL};
    void **fns[] = {(void **)&zl.init, (void **)&zl.inflate, (void **)&zl.reset, (void **)&zl.end};
    return lib_load(names, syms, fns);
}

static int load_isal(void)
{
    static const char *const names[] = {"libisal.so.2", "libisal.so", NULL};
    static const char *const syms[] = {"isal_inflate_init", "isal_inflate_reset", "isal_inflate", NULL};
    void **fns[] = {(void **)&il.init, (void **)&il.reset, (void **)&il.inflate};
    return lib_load(names, syms, fns);
}

static int load_zstd(void)
{
    static const char *const names[] = {"libzstd.so.1", "libzstd.so", NULL};
    static const char *const syms[] = {"ZSTD_createDStream", "ZSTD_freeDStream", "ZSTD_initDStream",
                                       "ZSTD_decompressStream", "ZSTD_isError", "ZSTD_getErrorName", NULL};
    void **fns[] = {(void **)&zs.create, (void **)&zs.free, (void **)&zs.init,
                    (void **)&zs.step, (void **)&zs.is_error, (void **)&zs.error_name};
    return lib_load(names, syms, fns);
}

static int load_lz4(void)
{
    static const char *const names[] = {"liblz4.so.1", "liblz4.so", NULL};
    static const char *const syms[] = {"LZ4F_createDecompressionContext", "LZ4F_freeDecompressionContext",
                                       "LZ4F_decompress", "LZ4F_isError", "LZ4F_getErrorName", NULL};
    void **fns[] = {(void **)&lz.create, (void **)&lz.free, (void **)&lz.step, (void **)&lz.is_error,
                    (void **)&lz.error_name};
    return lib_load(names, syms, fns);
}

/* *state after one try of load (under libs_mu): whether it is there. */
static int have(int *state, int (*load)(void))
{
    if (*state == LIB_UNTRIED)
        *state = load() == 0 ? LIB_LOADED : LIB_MISSING;
    return *state == LIB_LOADED;
}

/* The gzip decoder to use: 1 ISA-L, 0 zlib, -1 none (err says why). */
static int gzip_lib(const char *path, char *err, fl_i64 n)
{
    const char *want = getenv("FLOWC_GZIP");
    if (want && *want && strcmp(want, "isal") && strcmp(want, "zlib")) {
        snprintf(err, (size_t)n, "FLOWC_GZIP must be isal or zlib, not \"%s\"", want);
        return -1;
    }
    int isal = !(want && !strcmp(want, "zlib")), zlib = !(want && !strcmp(want, "isal"));
    pthread_mutex_lock(&libs_mu);
    int got = isal && have(&isal_state, load_isal) ? 1 : zlib && have(&zlib_state, load_zlib) ? 0 : -1;
    pthread_mutex_unlock(&libs_mu);
    if (got < 0)
        snprintf(err, (size_t)n, "reading %s needs %s", path,
                 !zlib ? "ISA-L, as FLOWC_GZIP=isal asks (Debian: libisal2)"
                 : !isal ? "zlib, as FLOWC_GZIP=zlib asks (Debian: zlib1g)"
                         : "ISA-L or zlib (Debian: libisal2 or zlib1g)");
    return got;
}

static int zstd_lib(const char *path, char *err, fl_i64 n)
{
    pthread_mutex_lock(&libs_mu);
    int got = have(&zstd_state, load_zstd);
    pthread_mutex_unlock(&libs_mu);
    if (!got)
        snprintf(err, (size_t)n, "reading %s needs libzstd (Debian: libzstd1)", path);
    return got ? 0 : -1;
}

/* ---- the stream ---- */

struct flrt_zin {
    int fd, kind;
    int isal;                    /* gzip: ISA-L (else zlib) */
    int between;                 /* at the start of the file or after a member (frame): it may end here */
    int eof;                     /* read() has found the end of the file */
    int failed, started;
    unsigned char *in;           /* in[pos, len): read, not decompressed yet */
    fl_i64 pos, len;
    fl_i64 off;                  /* the file offset of in[0] */
    fl_i64 size;
    fl_i64 member;               /* the file offset where the current member (frame) starts */
    union {
        z_stream zs;
        struct inflate_state *isal;
        ZSTD_DStream *zd;
    } u;
    char *path;
    char err[768];
};

int flrt_zin_kind(const unsigned char *h, fl_i64 n)
{
    if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
        return FLRT_Z_GZIP;
    if (n >= 4 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd && h[0] == 0x28)
        return FLRT_Z_ZSTD;
    if (n >= 4 && (h[0] & 0xf0) == 0x50 && h[1] == 0x2a && h[2] == 0x4d && h[3] == 0x18)
        return FLRT_Z_ZSTD;      /* a skippable frame (0x184D2A5?) */
    return FLRT_Z_PLAIN;
}

static const char *unit(const flrt_zin *z) { return z->kind == FLRT_Z_GZIP ? "member" : "frame"; }
static const char *format(const flrt_zin *z) { return z->kind == FLRT_Z_GZIP ? "gzip" : "zstd"; }

static int corrupt(flrt_zin *z, const char *why)
{
    snprintf(z->err, sizeof z->err, "%s: corrupt %s data at byte %lld (in the %s that starts at byte %lld): %s",
             z->path, format(z), (long long)(z->off + z->pos), unit(z), (long long)z->member, why);
    z->failed = 1;
    return -1;
}

static int truncated(flrt_zin *z)
{
    snprintf(z->err, sizeof z->err, "%s: truncated %s %s: the file ends at byte %lld, inside the %s that "
             "starts at byte %lld", z->path, format(z), unit(z), (long long)(z->off + z->len), unit(z),
             (long long)z->member);
    z->failed = 1;
    return -1;
}

/* More compressed bytes after those not used yet: 1, 0 at the end of the
 * file (or no room: the decoder holds a whole buffer without moving), -1. */
static int fill(flrt_zin *z)
{
    if (z->pos > 0) {
        memmove(z->in, z->in + z->pos, (size_t)(z->len - z->pos));
        z->off += z->pos;
        z->len -= z->pos;
        z->pos = 0;
    }
    if (z->eof || z->len == IN_SIZE)
        return 0;
    ssize_t k;
    do
        k = read(z->fd, z->in + z->len, (size_t)(IN_SIZE - z->len));
    while (k < 0 && errno == EINTR);
    if (k < 0) {
        snprintf(z->err, sizeof z->err, "%s: read error at byte %lld: %s", z->path, (long long)(z->off + z->len),
                 strerror(errno));
        z->failed = 1;
        return -1;
    }
    z->eof = k == 0;
    z->len += k;
    return k > 0;
}

static const char *isal_why(int rc)
{
    switch (rc) {
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate code";
    case ISAL_INVALID_LOOKBACK: return "invalid distance back";
    case ISAL_INVALID_WRAPPER: return "not a gzip member header";
    case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM: return "the CRC or length check of the member fails";
    case ISAL_NEED_DICT: return "it needs a preset dictionary";
    default: return "invalid data";
    }
}

/* A member (frame) starts at in[pos]: 0, or -1 when what follows the
 * last gzip member is not one (ISA-L would take a short tail for a
 * truncated member). */
static int member_start(flrt_zin *z)
{
    z->member = z->off + z->pos;
    z->between = 0;
    if (z->kind == FLRT_Z_ZSTD)
        return 0;                /* the stream goes on to the next frame by itself */
    if (z->len - z->pos < 2 && fill(z) < 0)
        return -1;
    z->member = z->off + z->pos;
    if (z->len - z->pos < 2 || z->in[z->pos] != 0x1f || z->in[z->pos + 1] != 0x8b) {
        snprintf(z->err, sizeof z->err, "%s: the data at byte %lld, after a gzip member, is not another gzip "
                 "member", z->path, (long long)z->member);
        z->failed = 1;
        return -1;
    }
    if (z->isal) {
        if (z->started)
            il.reset(z->u.isal);
        else
            il.init(z->u.isal);
        z->u.isal->crc_flag = ISAL_GZIP;
    } else if (z->started) {
        zl.reset(&z->u.zs);
    } else if (zl.init(&z->u.zs, 15 + 16, ZLIB_VERSION, (int)sizeof(z_stream)) != Z_OK) {
        flrt_oom((fl_i64)sizeof(z_stream));
    }
    z->started = 1;
    return 0;
}

/* One call of the decoder on in[pos, len) into out[0, n): 1 at the end of
 * a member (frame), 0 otherwise, -1 on corrupt data. *made: bytes out. */
static int step_zlib(flrt_zin *z, unsigned char *out, fl_i64 n, fl_i64 *made)
{
    z_stream *s = &z->u.zs;
    s->next_in = z->in + z->pos;
    s->avail_in = (uInt)(z->len - z->pos);
    s->next_out = out;
    s->avail_out = (uInt)n;
    int rc = zl.inflate(s, Z_NO_FLUSH);
    z->pos = z->len - s->avail_in;
    *made = n - s->avail_out;
    if (rc == Z_STREAM_END)
        return 1;
    if (rc == Z_OK || rc == Z_BUF_ERROR)
        return 0;
    if (rc == Z_MEM_ERROR)
        flrt_oom(0);
    return corrupt(z, rc == Z_NEED_DICT ? "it needs a preset dictionary" : s->msg ? s->msg : "invalid data");
}

static int step_isal(flrt_zin *z, unsigned char *out, fl_i64 n, fl_i64 *made)
{
    struct inflate_state *s = z->u.isal;
    s->next_in = z->in + z->pos;
    s->avail_in = (uint32_t)(z->len - z->pos);
    s->next_out = out;
    s->avail_out = (uint32_t)n;
    int rc = il.inflate(s);
    z->pos = z->len - s->avail_in;
    *made = n - s->avail_out;
    if (rc != ISAL_DECOMP_OK)
        return corrupt(z, isal_why(rc));
    return s->block_state == ISAL_BLOCK_FINISH;
}

static int step_zstd(flrt_zin *z, unsigned char *out, fl_i64 n, fl_i64 *made)
{
    ZSTD_inBuffer ib = {z->in, (size_t)z->len, (size_t)z->pos};
    ZSTD_outBuffer ob = {out, (size_t)n, 0};
    size_t rc = zs.step(z->u.zd, &ob, &ib);
    z->pos = (fl_i64)ib.pos;
    *made = (fl_i64)ob.pos;
    if (zs.is_error(rc))
        return corrupt(z, zs.error_name(rc));
    return rc == 0;
}

static int step(flrt_zin *z, unsigned char *out, fl_i64 n, fl_i64 *made)
{
    if (z->kind == FLRT_Z_ZSTD)
        return step_zstd(z, out, n, made);
    return z->isal ? step_isal(z, out, n, made) : step_zlib(z, out, n, made);
}

fl_i64 flrt_zin_read(flrt_zin *z, char *out, fl_i64 n)
{
    if (z->failed)
        return -1;
    if (n > (1 << 30))
        n = 1 << 30;             /* the decoders count in 32 bits */
    for (;;) {
        if (z->pos == z->len) {
            int r = fill(z);
            if (r < 0)
                return -1;
            if (r == 0)
                return z->between ? 0 : truncated(z);
        }
        if (z->between && member_start(z) < 0)
            return -1;
        fl_i64 made = 0, before = z->pos;
        int rc = step(z, (unsigned char *)out, n, &made);
        if (rc < 0)
            return -1;
        z->between = rc == 1;
        if (made > 0)
            return made;
        if (rc == 0 && z->pos == before) {   /* it wants more input than it has */
            int r = fill(z);
            if (r < 0)
                return -1;
            if (r == 0)
                return z->eof ? truncated(z) : corrupt(z, "the decoder makes no progress");
        }
    }
}

const char *flrt_zin_error(const flrt_zin *z) { return z->err; }
fl_i64 flrt_zin_used(const flrt_zin *z) { return z->off + z->pos; }
fl_i64 flrt_zin_size(const flrt_zin *z) { return z->size; }

static int open_retry(const char *path)
{
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    return fd;
}

/* The library's state for z (its library loaded): 0, or -1 with err. */
static int zin_state(flrt_zin *z, char *err, fl_i64 errn)
{
    if (z->kind == FLRT_Z_ZSTD) {
        if (zstd_lib(z->path, err, errn) < 0)
            return -1;
        z->u.zd = zs.create();
        if (!z->u.zd || zs.is_error(zs.init(z->u.zd)))
            flrt_oom(0);
        return 0;
    }
    int lib = gzip_lib(z->path, err, errn);
    if (lib < 0)
        return -1;
    z->isal = lib;
    if (lib)
        z->u.isal = flrt_xcalloc(1, sizeof *z->u.isal);
    return 0;
}

flrt_zin *flrt_zin_open(const char *path, int kind, char *err, fl_i64 errn)
{
    flrt_zin *z = flrt_xcalloc(1, sizeof *z);
    z->kind = kind;
    z->between = 1;
    z->path = strdup(path);
    z->fd = open_retry(path);
    struct stat st;
    if (!z->path)
        flrt_oom((fl_i64)strlen(path));
    if (z->fd < 0 || fstat(z->fd, &st) < 0) {
        snprintf(err, (size_t)errn, "cannot open %s: %s", path, strerror(errno));
        flrt_zin_close(z);
        return NULL;
    }
    z->size = st.st_size;
    if (zin_state(z, err, errn) < 0) {
        flrt_zin_close(z);
        return NULL;
    }
    z->in = flrt_xmalloc(IN_SIZE);
    return z;
}

void flrt_zin_close(flrt_zin *z)
{
    if (!z)
        return;
    if (z->kind == FLRT_Z_ZSTD && z->u.zd)
        zs.free(z->u.zd);
    else if (z->kind == FLRT_Z_GZIP && z->isal)
        free(z->u.isal);
    else if (z->kind == FLRT_Z_GZIP && z->started)
        zl.end(&z->u.zs);
    if (z->fd >= 0)
        close(z->fd);
    free(z->in);
    free(z->path);
    free(z);
}

/* ---- whole blocks (Arrow's compressed buffers) ---- */

/* One zstd frame into dst (exactly cap bytes); 0, or -1 with err. */
static int zstd_block(const unsigned char *src, fl_i64 n, unsigned char *dst, fl_i64 cap, char *err, fl_i64 errn)
{
    ZSTD_DStream *d = zs.create();
    if (!d || zs.is_error(zs.init(d))) {
        snprintf(err, (size_t)errn, "cannot start zstd");
        if (d)
            zs.free(d);
        return -1;
    }
    ZSTD_inBuffer ib = {src, (size_t)n, 0};
    ZSTD_outBuffer ob = {dst, (size_t)cap, 0};
    size_t rc = 1;
    while (rc != 0 && !zs.is_error(rc) && (ib.pos < ib.size || ob.pos < ob.size)) {
        size_t before = ib.pos + ob.pos;
        rc = zs.step(d, &ob, &ib);
        if (!zs.is_error(rc) && rc != 0 && ib.pos + ob.pos == before)
            break;   /* (no progress: truncated, or more than cap) */
    }
    zs.free(d);
    if (zs.is_error(rc) || rc != 0 || ob.pos != (size_t)cap) {
        snprintf(err, (size_t)errn, "corrupt zstd data (%s)", zs.is_error(rc) ? zs.error_name(rc) : "its length differs");
        return -1;
    }
    return 0;
}

/* One LZ4 frame into dst (exactly cap bytes); 0, or -1 with err. */
static int lz4_block(const unsigned char *src, fl_i64 n, unsigned char *dst, fl_i64 cap, char *err, fl_i64 errn)
{
    void *d = NULL;
    if (lz.is_error(lz.create(&d, LZ4F_VERSION))) {
        snprintf(err, (size_t)errn, "cannot start LZ4");
        return -1;
    }
    size_t in = 0, out = 0, rc = 1;
    while (rc != 0 && !lz.is_error(rc) && in < (size_t)n && out <= (size_t)cap) {
        size_t sn = (size_t)n - in, dn = (size_t)cap - out;
        rc = lz.step(d, dst + out, &dn, src + in, &sn, NULL);
        in += sn;
        out += dn;
        if (!lz.is_error(rc) && rc != 0 && sn == 0 && dn == 0)
            break;
    }
    lz.free(d);
    if (lz.is_error(rc) || rc != 0 || out != (size_t)cap) {
        snprintf(err, (size_t)errn, "corrupt LZ4 data (%s)", lz.is_error(rc) ? lz.error_name(rc) : "its length differs");
        return -1;
    }
    return 0;
}

int flrt_zin_block(int kind, const unsigned char *src, fl_i64 n, unsigned char *dst, fl_i64 cap, char *err,
                   fl_i64 errn)
{
    pthread_mutex_lock(&libs_mu);
    int got = kind == FLRT_Z_ZSTD ? have(&zstd_state, load_zstd) : have(&lz4_state, load_lz4);
    pthread_mutex_unlock(&libs_mu);
    if (!got) {
        snprintf(err, (size_t)errn, "needs %s", kind == FLRT_Z_ZSTD ? "libzstd (Debian: libzstd1)" : "liblz4 (Debian: liblz4-1)");
        return -1;
    }
    return kind == FLRT_Z_ZSTD ? zstd_block(src, n, dst, cap, err, errn) : lz4_block(src, n, dst, cap, err, errn);
}
