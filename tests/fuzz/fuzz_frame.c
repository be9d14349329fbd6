/* fuzz_frame.c - libFuzzer target for what a process reads from its peers
 * (runtime/wire.c and the row decoders of flowrt.h).
 *
 * Each input is taken three ways:
 *  - as a stream of frames, as net.c reads a connection: a 24-byte header
 *    checked by flrt_frame_decode, then its payload (stopping at the first
 *    refused header or a payload the input cannot hold). A DATA payload is
 *    decoded as rows of the type (str, i64, vec<str>, opt<f64>) by the
 *    functions below, written as flowc writes de_ and deb_ functions
 *    (compiler/emit_type.c), into an fl_arena freed after each frame;
 *  - its first 32 bytes as a greeting, its first 96 as a hello (keyed by
 *    a fixed secret and nonce);
 *  - its first 80 bytes as the fields of a hello that is encoded, MAC'd
 *    and decoded again.
 * Beside crashes, sanitizer reports and leaks it checks properties, and
 * aborts when one fails: an accepted header encodes back to the same 24
 * bytes; accepted rows point into their payload and serialize back to the
 * same bytes; a rightly MAC'd hello decodes to its fields, or is refused
 * (-1) exactly when a field is out of range.
 *
 * Build (see the Makefile's fuzz_frame rule): clang -fsanitize=fuzzer,
 * address,undefined with runtime/wire.c and runtime/arena.c. Built with
 * -DFUZZ_FRAME_SEEDS instead (no libFuzzer) it is the program that wrote
 * the seed corpus: `fuzz_frame_seeds DIR` writes tests/fuzz/frame_corpus/. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flrt_int.h"

static const char secret[] = "fuzz-secret";
static const unsigned char nonce[16] = {0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                        0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42};

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_frame: %s\n", what);
    abort();
}

/* ---- the row type and its decoder, as flowc generates them ---- */

typedef struct vec_str { fl_str *data; fl_i64 len, cap; } vec_str;
typedef struct opt_f64 { fl_bool some; double v; } opt_f64;
typedef struct row { fl_str _0; fl_i64 _1; vec_str _2; opt_f64 _3; } row;

enum { ROW_WIRE_MIN = 4 + 8 + 4 + 1, ROWS_MAX = FL_BATCH_ROWS };

static fl_str de_str(fl_rbuf *r, fl_arena *a)
{
    (void)a;
    return fl_de_str(r);
}

static fl_i64 de_i64(fl_rbuf *r, fl_arena *a)
{
    (void)a;
    return fl_de_i64(r);
}

static double de_f64(fl_rbuf *r, fl_arena *a)
{
    (void)a;
    return fl_de_f64(r);
}

static vec_str de_vec_str(fl_rbuf *r, fl_arena *a)
{
    vec_str v;
    memset(&v, 0, sizeof v);
    v.len = v.cap = fl_de_len(r, 4);
    v.data = (fl_str *)fl_alloc(a, (v.len ? v.len : 1) * (fl_i64)sizeof(fl_str));
    for (fl_i64 i = 0; i < v.len && !r->err; i++)
        v.data[i] = de_str(r, a);
    if (r->err)
        memset(&v, 0, sizeof v);
    return v;
}

static opt_f64 de_opt_f64(fl_rbuf *r, fl_arena *a)
{
    opt_f64 v;
    memset(&v, 0, sizeof v);
    v.some = fl_de_bool(r);
    if (v.some)
        v.v = de_f64(r, a);
    if (r->err)
        memset(&v, 0, sizeof v);
    return v;
}

static row de_row(fl_rbuf *r, fl_arena *a)
{
    row v;
    memset(&v, 0, sizeof v);
    v._0 = de_str(r, a);
    v._1 = de_i64(r, a);
    v._2 = de_vec_str(r, a);
    v._3 = de_opt_f64(r, a);
    if (r->err)
        memset(&v, 0, sizeof v);
    return v;
}

static int deb_row(fl_rbuf *r, void *rows, fl_i64 n, fl_arena *a)
{
    row *out = (row *)rows;
    for (fl_i64 i = 0; i < n && !r->err; i++)
        out[i] = de_row(r, a);
    return r->err || r->p != r->end ? -1 : 0;
}

/* ---- the way back: rows to bytes in a buffer of fixed size ---- */

typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
    int over;                /* more was written than cap */
} wbuf;

static void w_raw(wbuf *w, const void *p, size_t n)
{
    if (w->over || w->cap - w->len < n) {
        w->over = 1;
        return;
    }
    if (n)
        memcpy(w->p + w->len, p, n);
    w->len += n;
}

static void w_u32(wbuf *w, fl_i64 n)
{
    if (n < 0 || n > 0xffffffffLL)
        fail("a length out of range after decoding");
    unsigned char b[4] = {(unsigned char)n, (unsigned char)(n >> 8), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 24)};
    w_raw(w, b, 4);
}

static void w_str(wbuf *w, fl_str s)
{
    w_u32(w, s.len);
    w_raw(w, s.ptr, (size_t)s.len);
}

static void ser_row(wbuf *w, const row *v)
{
    unsigned char some = v->_3.some;
    w_str(w, v->_0);
    w_raw(w, &v->_1, 8);
    w_u32(w, v->_2.len);
    for (fl_i64 i = 0; i < v->_2.len; i++)
        w_str(w, v->_2.data[i]);
    w_raw(w, &some, 1);
    if (some)
        w_raw(w, &v->_3.v, 8);
}

/* ---- the checks ---- */

static void check_str(fl_str s, const char *buf, fl_i64 len)
{
    if (s.len < 0 || s.len > len || (s.len && (s.ptr < buf || s.ptr + s.len > buf + len)))
        fail("a decoded string outside its payload");
}

/* Decodes n rows from a copy of the payload (exactly its size, so that
 * AddressSanitizer sees a read past it); accepted rows must point into it
 * and serialize back to the same bytes. */
static void data_rows(const uint8_t *payload, fl_i64 len, fl_i64 n)
{
    if (n > ROWS_MAX)        /* net.c refuses a batch over the batch size */
        return;
    char *buf = malloc((size_t)len);
    if (!buf)
        abort();
    memcpy(buf, payload, (size_t)len);
    fl_arena a = {0};
    row *rows = fl_alloc(&a, n * (fl_i64)sizeof(row));
    fl_rbuf r = {buf, buf + len, 0};
    if (deb_row(&r, rows, n, &a) == 0) {
        if (n * ROW_WIRE_MIN > len)
            fail("rows accepted from fewer bytes than they take");
        wbuf w = {malloc((size_t)len), 0, (size_t)len, 0};
        if (!w.p)
            abort();
        for (fl_i64 i = 0; i < n; i++) {
            check_str(rows[i]._0, buf, len);
            if (rows[i]._2.len < 0 || rows[i]._2.len > len / 4)
                fail("a decoded vector longer than its payload can hold");
            for (fl_i64 k = 0; k < rows[i]._2.len; k++)
                check_str(rows[i]._2.data[k], buf, len);
            if (rows[i]._3.some > 1)
                fail("an option neither some nor none");
            ser_row(&w, &rows[i]);
        }
        if (w.over || w.len != (size_t)len || memcmp(w.p, buf, (size_t)len) != 0)
            fail("decoded rows do not serialize back to their payload");
        free(w.p);
    }
    fl_arena_free(&a);
    free(buf);
}

static fl_u64 get(const uint8_t *p, int n)
{
    fl_u64 v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Whether a header is valid, read from the bytes as wire.c's comment and
 * flrt_int.h describe it: the oracle flrt_frame_decode must agree with. */
static int frame_valid(const uint8_t *h)
{
    fl_u64 len = get(h, 4), kind = get(h + 4, 2), input = get(h + 6, 2), n = get(h + 16, 4);
    if (len < FLRT_FRAME_HDR - 4 || len - (FLRT_FRAME_HDR - 4) > FLRT_FRAME_MAX)
        return 0;
    len -= FLRT_FRAME_HDR - 4;
    if (kind < FLRT_F_DATA || kind > FLRT_F_MAX || get(h + 20, 4) != 0 || input >= 32)
        return 0;
    if (kind == FLRT_F_DATA)
        return n > 0 && len > 0;
    return kind == FLRT_F_FAIL || kind == FLRT_F_VALUES || len == 0;
}

/* The input as frames, as net.c reads them. */
static void frames(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (size - off >= FLRT_FRAME_HDR) {
        flrt_frame f;
        const char *err = NULL;
        int rc = flrt_frame_decode(data + off, &f, &err);
        if (rc != (frame_valid(data + off) ? 0 : -1))
            fail(rc ? "a valid header refused" : "an invalid header accepted");
        if (rc < 0) {
            if (!err)
                fail("a refused header without a reason");
            return;
        }
        unsigned char again[FLRT_FRAME_HDR];
        flrt_frame_encode(again, &f);
        if (memcmp(again, data + off, FLRT_FRAME_HDR) != 0)
            fail("an accepted header does not encode back to its bytes");
        if (f.len != (fl_i64)get(data + off, 4) - (FLRT_FRAME_HDR - 4) || f.n != get(data + off + 16, 4))
            fail("an accepted header decoded to other values");
        off += FLRT_FRAME_HDR;
        if ((fl_u64)f.len > size - off)
            return;          /* the connection would wait for the rest */
        if (f.kind == FLRT_F_DATA)
            data_rows(data + off, f.len, (fl_i64)f.n);
        off += (size_t)f.len;
    }
}

/* The first 80 bytes as a hello's fields: encoded with the secret and
 * decoded back, it is the same hello, or refused for a field out of range. */
static void hello_fields(const uint8_t *data)
{
    flrt_hello h, g;
    memset(&h, 0, sizeof h);
    h.fingerprint = get(data, 8);
    h.rank = (int)get(data + 8, 4);
    h.nprocs = (int)get(data + 12, 4);
    h.threads = (int)get(data + 16, 4);
    h.port = (int)get(data + 20, 4);
    h.batch = (fl_i64)get(data + 24, 8);
    memcpy(h.version, data + 32, sizeof h.version);   /* not always NUL-terminated */
    unsigned char m[FLRT_HELLO];
    flrt_hello_encode(m, &h, secret, nonce);
    const char *err = NULL;
    int rc = flrt_hello_decode(m, &g, secret, nonce, &err);
    int bad = h.rank < 0 || h.nprocs < 1 || h.rank >= h.nprocs || h.threads < 1 || h.threads > 1024 || h.port < 0 ||
              h.port > 65535 || h.batch < 1;
    if (rc == -2)
        fail("a hello refused under its own secret and nonce");
    if (rc != -bad)
        fail(bad ? "a hello with a field out of range accepted" : "a hello in range refused");
    if (rc == 0 && (g.fingerprint != h.fingerprint || g.rank != h.rank || g.nprocs != h.nprocs ||
                    g.threads != h.threads || g.port != h.port || g.batch != h.batch ||
                    strncmp(g.version, h.version, 23) != 0 || g.version[23] != 0))
        fail("a hello does not decode to its fields");
}

static void handshake(const uint8_t *data, size_t size)
{
    unsigned char n[16];
    const char *err = NULL;
    if (size >= FLRT_GREET && flrt_greet_decode(data, n, &err) == 0 &&
        (memcmp(data, "FLOWCJOB", 8) != 0 || get(data + 8, 4) != FLRT_PROTO || memcmp(n, data + 16, 16) != 0))
        fail("a wrong greeting accepted");
    if (size >= FLRT_HELLO) {
        flrt_hello h;
        int rc = flrt_hello_decode(data, &h, secret, nonce, &err);
        if (rc == 0 && (h.rank < 0 || h.rank >= h.nprocs || h.threads < 1 || h.threads > 1024 || h.port > 65535))
            fail("a hello out of range accepted");
    }
    if (size >= 80)
        hello_fields(data);
}

#ifndef FUZZ_FRAME_SEEDS

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    frames(data, size);
    handshake(data, size);
    return 0;
}

#else

/* ---- the seed corpus ---- */

static unsigned char out[1 << 16];
static size_t outlen;

static void frame(int kind, int input, fl_u64 src, fl_u64 dst, fl_u64 n, const void *payload, fl_i64 len)
{
    flrt_frame f = {.kind = kind, .input = input, .src = src, .dst = dst, .n = n, .len = len};
    flrt_frame_encode(out + outlen, &f);
    outlen += FLRT_FRAME_HDR;
    memcpy(out + outlen, payload, (size_t)len);
    outlen += (size_t)len;
}

static fl_str S(const char *s) { return (fl_str){s, (fl_i64)strlen(s)}; }

/* A DATA frame of n rows: row i is ("w<i>", i * 1000 - 7, i strings, some/none). */
static void data_frame(int input, int n)
{
    static unsigned char p[1 << 15];
    wbuf w = {p, 0, sizeof p, 0};
    static const char *words[] = {"", "a", "héllo", "line\nbreak", "a,b\"c"};
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", i);
        fl_str vs[5];
        for (int k = 0; k < i % 5; k++)
            vs[k] = S(words[k]);
        row v = {S(name), (fl_i64)i * 1000 - 7, {vs, i % 5, i % 5}, {(fl_bool)(i % 2), i * 0.5}};
        if (i == 0)
            v._0 = S("");
        ser_row(&w, &v);
    }
    if (w.over)
        fail("seed too large");
    frame(FLRT_F_DATA, input, 1, 2, (fl_u64)n, p, (fl_i64)w.len);
}

/* Writes the seed, after the target's checks ran on it. */
static void save(const char *dir, const char *name)
{
    frames(out, outlen);
    handshake(out, outlen);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(out, 1, outlen, f) != outlen || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    outlen = 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_frame_seeds DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    data_frame(0, 3);
    frame(FLRT_F_END, 0, 1, 2, 0, "", 0);
    save(dir, "data-end");
    frame(FLRT_F_CREDIT, 1, 4, 5, 2, "", 0);
    frame(FLRT_F_HEARTBEAT, 0, 0, 0, 0, "", 0);
    data_frame(1, 1);
    data_frame(1, 6);
    frame(FLRT_F_END, 1, 1, 2, 0, "", 0);
    frame(FLRT_F_BYE, 0, 3, 0, 0, "", 0);
    save(dir, "credit-heartbeat-data-bye");
    frame(FLRT_F_FAIL, 0, 2, 0, 0, "task 3 failed: no such file", 27);
    save(dir, "fail");
    data_frame(31, 200);
    save(dir, "data-200-rows");
    unsigned char g[FLRT_GREET];
    flrt_greet_encode(g, nonce);
    memcpy(out, g, sizeof g);
    outlen = sizeof g;
    save(dir, "greeting");
    flrt_hello h = {.fingerprint = 0x0123456789abcdefULL, .rank = 1, .nprocs = 3, .threads = 4,
                    .port = 40123, .batch = 1024};
    strcpy(h.version, "0.4.0");
    flrt_hello_encode(out, &h, secret, nonce);
    outlen = FLRT_HELLO;
    save(dir, "hello");
    return 0;
}

#endif
