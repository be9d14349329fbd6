/* test_rt_wire.c - unit tests of runtime/wire.c, the bytes between the
 * processes of a job: frame headers round-trip for every kind, have the
 * documented little-endian layout, and a decoder that rejects each kind of
 * bad header; the handshake's greeting (magic, protocol version) and hello
 * (every field round-trips; a wrong secret, a replay under another nonce
 * and any flipped byte are refused; fields out of range are refused under
 * a right MAC); job fingerprints parsed from hex. Last, the inputs of
 * tests/fuzz/frame_corpus/ replayed through the fuzz target (included
 * here, so that it is built and its checks run by every `make unit`). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "flrt_int.h"
#include "../fuzz/fuzz_frame.c"

/* ---- frames ---- */

static flrt_frame decoded(const flrt_frame *in)
{
    unsigned char h[FLRT_FRAME_HDR];
    flrt_frame out;
    const char *err = NULL;
    memset(&out, 0xa5, sizeof out);
    flrt_frame_encode(h, in);
    cr_assert_eq(flrt_frame_decode(h, &out, &err), 0, "kind %d refused: %s", in->kind, err ? err : "?");
    return out;
}

Test(rt_wire, frame_round_trip_every_kind)
{
    const flrt_frame fs[] = {
        {.kind = FLRT_F_DATA, .input = 0, .src = 1, .dst = 2, .n = 1024, .len = 12345},
        {.kind = FLRT_F_DATA, .input = 31, .src = 0xffffffffu, .dst = 0xfffffffeu, .n = 1, .len = FLRT_FRAME_MAX},
        {.kind = FLRT_F_END, .input = 3, .src = 7, .dst = 9, .n = 0, .len = 0},
        {.kind = FLRT_F_CREDIT, .input = 1, .src = 4, .dst = 5, .n = 17, .len = 0},
        {.kind = FLRT_F_HEARTBEAT, .input = 0, .src = 0, .dst = 0, .n = 0, .len = 0},
        {.kind = FLRT_F_BYE, .input = 0, .src = 3, .dst = 0, .n = 0, .len = 0},
        {.kind = FLRT_F_FAIL, .input = 0, .src = 2, .dst = 0, .n = 0, .len = 40},
        {.kind = FLRT_F_FAIL, .input = 0, .src = 2, .dst = 0, .n = 0, .len = 0},
        {.kind = FLRT_F_PHASE, .input = 0, .src = 1, .dst = 0, .n = 3, .len = 0},
        {.kind = FLRT_F_VALUES, .input = 0, .src = 0, .dst = 0, .n = 2, .len = 77},
        {.kind = FLRT_F_WATERMARK, .input = 2, .src = 6, .dst = 8, .n = 0, .len = 8},
        {.kind = FLRT_F_STATS, .input = 0, .src = 1, .dst = 0, .n = 40, .len = 320},
    };
    int seen = 0;
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++) {
        flrt_frame g = decoded(&fs[i]);
        cr_assert_eq(g.kind, fs[i].kind);
        cr_assert_eq(g.input, fs[i].input);
        cr_assert_eq(g.src, fs[i].src);
        cr_assert_eq(g.dst, fs[i].dst);
        cr_assert_eq(g.n, fs[i].n);
        cr_assert_eq(g.len, fs[i].len);
        seen |= 1 << g.kind;
    }
    cr_assert_eq(seen, ((1 << (FLRT_F_MAX + 1)) - 1) & ~1, "every kind was tried");
}

/* A stats frame carries n i64 (at least one), no more, no less. */
Test(rt_wire, frame_stats_needs_its_counts)
{
    unsigned char h[FLRT_FRAME_HDR];
    const char *err = NULL;
    flrt_frame out;
    const flrt_frame bad[] = {
        {.kind = FLRT_F_STATS, .n = 40, .len = 319},
        {.kind = FLRT_F_STATS, .n = 40, .len = 328},
        {.kind = FLRT_F_STATS, .n = 0, .len = 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        flrt_frame_encode(h, &bad[i]);
        cr_assert_eq(flrt_frame_decode(h, &out, &err), -1, "case %zu", i);
        cr_assert_str_eq(err, "a stats frame of the wrong length");
    }
}

/* A watermark frame carries exactly its 8 bytes. */
Test(rt_wire, frame_watermark_needs_its_payload)
{
    for (fl_i64 len = 0; len <= 16; len += 4) {
        flrt_frame f = {.kind = FLRT_F_WATERMARK, .input = 1, .src = 2, .dst = 3, .n = 0, .len = len}, g;
        unsigned char h[FLRT_FRAME_HDR];
        flrt_frame_encode(h, &f);
        const char *err = NULL;
        int rc = flrt_frame_decode(h, &g, &err);
        if (len == 8)
            cr_assert_eq(rc, 0, "%s", err ? err : "");
        else
            cr_assert(rc < 0 && err && strstr(err, "watermark"), "len %lld accepted", (long long)len);
    }
}

Test(rt_wire, frame_exact_bytes)
{
    flrt_frame f = {.kind = FLRT_F_DATA, .input = 3, .src = 0x01020304, .dst = 0x0a0b0c0d, .n = 0x11223344,
                    .len = 100};
    unsigned char h[FLRT_FRAME_HDR];
    memset(h, 0xee, sizeof h);
    flrt_frame_encode(h, &f);
    static const unsigned char want[FLRT_FRAME_HDR] = {
        0x78, 0x00, 0x00, 0x00,   /* 20 + 100 bytes follow the length */
        0x01, 0x00,               /* kind DATA */
        0x03, 0x00,               /* input */
        0x04, 0x03, 0x02, 0x01,   /* source task */
        0x0d, 0x0c, 0x0b, 0x0a,   /* destination task */
        0x44, 0x33, 0x22, 0x11,   /* rows */
        0x00, 0x00, 0x00, 0x00,   /* reserved */
    };
    for (int i = 0; i < FLRT_FRAME_HDR; i++)
        cr_assert_eq(h[i], want[i], "byte %d: %02x, want %02x", i, h[i], want[i]);
}

static void put32(unsigned char *p, unsigned v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A valid header of kind (DATA: 5 rows in 64 bytes; FAIL: 10 bytes). */
static void good(unsigned char *h, int kind)
{
    flrt_frame f = {.kind = kind, .input = 1, .src = 2, .dst = 3};
    if (kind == FLRT_F_DATA) {
        f.n = 5;
        f.len = 64;
    } else if (kind == FLRT_F_FAIL) {
        f.len = 10;
    }
    flrt_frame_encode(h, &f);
    flrt_frame g;
    const char *err = NULL;
    cr_assert_eq(flrt_frame_decode(h, &g, &err), 0, "the base header of kind %d: %s", kind, err);
}

static void refused(const unsigned char *h, const char *what)
{
    flrt_frame g;
    const char *err = NULL;
    cr_assert_eq(flrt_frame_decode(h, &g, &err), -1, "%s was accepted", what);
    cr_assert_not_null(err, "%s: no reason given", what);
    cr_assert_neq(err[0], 0);
}

Test(rt_wire, frame_length_out_of_range)
{
    unsigned char h[FLRT_FRAME_HDR];
    const unsigned small[] = {0, 1, FLRT_FRAME_HDR - 5};
    for (size_t i = 0; i < sizeof small / sizeof small[0]; i++) {
        good(h, FLRT_F_END);
        put32(h, small[i]);
        refused(h, "a length under the header's");
    }
    good(h, FLRT_F_DATA);
    put32(h, FLRT_FRAME_HDR - 4 + FLRT_FRAME_MAX);
    flrt_frame g;
    const char *err;
    cr_assert_eq(flrt_frame_decode(h, &g, &err), 0, "FLRT_FRAME_MAX bytes of payload are allowed");
    put32(h, FLRT_FRAME_HDR - 4 + FLRT_FRAME_MAX + 1);
    refused(h, "a payload over FLRT_FRAME_MAX");
    put32(h, 0xffffffffu);
    refused(h, "a length of 2^32 - 1");
}

Test(rt_wire, frame_unknown_kind)
{
    unsigned char h[FLRT_FRAME_HDR];
    const int kinds[] = {0, FLRT_F_MAX + 1, 0xff, 0x100 | FLRT_F_END, 0xffff};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        good(h, FLRT_F_END);
        h[4] = (unsigned char)kinds[i];
        h[5] = (unsigned char)(kinds[i] >> 8);
        refused(h, "an unknown kind");
    }
}

Test(rt_wire, frame_reserved_must_be_zero)
{
    unsigned char h[FLRT_FRAME_HDR];
    for (int i = 20; i < 24; i++) {
        good(h, FLRT_F_DATA);
        h[i] = 1;
        refused(h, "a nonzero reserved field");
    }
}

Test(rt_wire, frame_input_out_of_range)
{
    unsigned char h[FLRT_FRAME_HDR];
    const int inputs[] = {32, 33, 0x100, 0xffff};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        good(h, FLRT_F_DATA);
        h[6] = (unsigned char)inputs[i];
        h[7] = (unsigned char)(inputs[i] >> 8);
        refused(h, "an input >= 32");
    }
    good(h, FLRT_F_DATA);
    h[6] = 31;
    flrt_frame g;
    const char *err;
    cr_assert_eq(flrt_frame_decode(h, &g, &err), 0);
    cr_assert_eq(g.input, 31);
}

Test(rt_wire, frame_control_without_payload)
{
    const int kinds[] = {FLRT_F_END, FLRT_F_CREDIT, FLRT_F_HEARTBEAT, FLRT_F_BYE};
    unsigned char h[FLRT_FRAME_HDR];
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        flrt_frame f = {.kind = kinds[i], .len = 1};
        flrt_frame_encode(h, &f);
        refused(h, "a control frame with a payload");
        f.len = 1000;
        flrt_frame_encode(h, &f);
        refused(h, "a control frame with a payload");
    }
}

Test(rt_wire, frame_data_not_empty)
{
    unsigned char h[FLRT_FRAME_HDR];
    flrt_frame f = {.kind = FLRT_F_DATA, .n = 0, .len = 16};
    flrt_frame_encode(h, &f);
    refused(h, "a DATA frame of no rows");
    f = (flrt_frame){.kind = FLRT_F_DATA, .n = 3, .len = 0};
    flrt_frame_encode(h, &f);
    refused(h, "a DATA frame of no bytes");
}

/* ---- the greeting ---- */

static const unsigned char nonce_a[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const unsigned char nonce_b[16] = {16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1};

Test(rt_wire, greet_round_trip)
{
    unsigned char g[FLRT_GREET], got[16] = {0};
    const char *err = NULL;
    flrt_greet_encode(g, nonce_a);
    cr_assert_eq(memcmp(g, "FLOWCJOB", 8), 0);
    cr_assert_eq(g[8], FLRT_PROTO);
    cr_assert_eq(g[9] | g[10] | g[11] | g[12] | g[13] | g[14] | g[15], 0);
    cr_assert_eq(memcmp(g + 16, nonce_a, 16), 0);
    cr_assert_eq(flrt_greet_decode(g, got, &err), 0);
    cr_assert_eq(memcmp(got, nonce_a, 16), 0);
}

Test(rt_wire, greet_bad_magic)
{
    unsigned char g[FLRT_GREET], got[16];
    for (int i = 0; i < 8; i++) {
        flrt_greet_encode(g, nonce_a);
        g[i] ^= 0x20;
        const char *err = NULL;
        cr_assert_eq(flrt_greet_decode(g, got, &err), -1, "magic byte %d changed", i);
        cr_assert_not_null(err);
    }
    memset(g, 0, sizeof g);
    const char *err = NULL;
    cr_assert_eq(flrt_greet_decode(g, got, &err), -1);
    memcpy(g, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    cr_assert_eq(flrt_greet_decode(g, got, &err), -1, "not a flowc job");
}

Test(rt_wire, greet_other_protocol)
{
    unsigned char g[FLRT_GREET], got[16];
    const unsigned versions[] = {0, FLRT_PROTO + 1, 0x100 | FLRT_PROTO, 0xffffffffu};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        flrt_greet_encode(g, nonce_a);
        put32(g + 8, versions[i]);
        const char *err = NULL;
        cr_assert_eq(flrt_greet_decode(g, got, &err), -1, "protocol %u accepted", versions[i]);
        cr_assert_not_null(err);
    }
}

/* ---- the hello ---- */

static flrt_hello sample(void)
{
    flrt_hello h = {.fingerprint = 0x0123456789abcdefULL, .rank = 2, .nprocs = 5, .threads = 8,
                    .port = 65535, .batch = 1024};
    strcpy(h.version, "0.4.0-test");
    return h;
}

static void hello_eq(const flrt_hello *a, const flrt_hello *b)
{
    cr_assert_eq(a->fingerprint, b->fingerprint);
    cr_assert_eq(a->rank, b->rank);
    cr_assert_eq(a->nprocs, b->nprocs);
    cr_assert_eq(a->threads, b->threads);
    cr_assert_eq(a->port, b->port);
    cr_assert_eq(a->batch, b->batch);
    cr_assert_str_eq(a->version, b->version);
}

Test(rt_wire, hello_round_trip)
{
    flrt_hello in[3] = {sample(), sample(), sample()};
    in[1] = (flrt_hello){.fingerprint = ~0ULL, .rank = 0, .nprocs = 1, .threads = 1, .port = 0, .batch = 1};
    in[2].rank = 65535;
    in[2].nprocs = 65536;
    in[2].threads = 1024;
    in[2].batch = 0x7fffffffffffffffLL;
    strcpy(in[2].version, "12345678901234567890123");   /* the longest: 23 bytes */
    for (int i = 0; i < 3; i++) {
        unsigned char m[FLRT_HELLO];
        flrt_hello out;
        memset(&out, 0x5a, sizeof out);
        const char *err = NULL;
        flrt_hello_encode(m, &in[i], "s3cret", nonce_a);
        cr_assert_eq(flrt_hello_decode(m, &out, "s3cret", nonce_a, &err), 0, "hello %d: %s", i, err);
        hello_eq(&out, &in[i]);
    }
}

Test(rt_wire, hello_layout)
{
    flrt_hello h = sample();
    unsigned char m[FLRT_HELLO];
    flrt_hello_encode(m, &h, "k", nonce_a);
    cr_assert_eq(m[0], 0xef);
    cr_assert_eq(m[7], 0x01);
    cr_assert_eq(m[8], 2);
    cr_assert_eq(m[12], 5);
    cr_assert_eq(m[16], 8);
    cr_assert_eq(m[20], 0xff);
    cr_assert_eq(m[21], 0xff);
    cr_assert_eq(m[25], 0x04);   /* 1024 */
    cr_assert_eq(memcmp(m + 32, "0.4.0-test", 11), 0);
    for (int i = 43; i < 80; i++)
        cr_assert_eq(m[i], 0, "byte %d is padding", i);
}

Test(rt_wire, hello_wrong_secret)
{
    flrt_hello h = sample(), out;
    unsigned char m[FLRT_HELLO];
    const char *err = NULL;
    flrt_hello_encode(m, &h, "s3cret", nonce_a);
    cr_assert_eq(flrt_hello_decode(m, &out, "s3cres", nonce_a, &err), -2);
    cr_assert_not_null(err);
    cr_assert_eq(flrt_hello_decode(m, &out, "", nonce_a, &err), -2);
    cr_assert_eq(flrt_hello_decode(m, &out, "s3cret ", nonce_a, &err), -2);
    flrt_hello_encode(m, &h, "", nonce_a);
    cr_assert_eq(flrt_hello_decode(m, &out, "x", nonce_a, &err), -2);
    cr_assert_eq(flrt_hello_decode(m, &out, "", nonce_a, &err), 0, "an empty secret still works both sides");
}

/* A hello recorded from one connection does not answer another's nonce. */
Test(rt_wire, hello_replay_under_another_nonce)
{
    flrt_hello h = sample(), out;
    unsigned char m[FLRT_HELLO];
    const char *err = NULL;
    flrt_hello_encode(m, &h, "s3cret", nonce_a);
    cr_assert_eq(flrt_hello_decode(m, &out, "s3cret", nonce_b, &err), -2);
    unsigned char n[16];
    memcpy(n, nonce_a, 16);
    for (int i = 0; i < 16; i++) {
        n[i] ^= 1;
        cr_assert_eq(flrt_hello_decode(m, &out, "s3cret", n, &err), -2, "nonce byte %d", i);
        n[i] ^= 1;
    }
}

/* Every single-bit change of the 96 bytes is refused: never a success
 * with a changed field. */
Test(rt_wire, hello_any_flipped_bit_refused)
{
    flrt_hello h = sample(), out;
    unsigned char m[FLRT_HELLO];
    flrt_hello_encode(m, &h, "s3cret", nonce_a);
    for (int i = 0; i < FLRT_HELLO; i++)
        for (int bit = 0; bit < 8; bit++) {
            m[i] ^= (unsigned char)(1 << bit);
            const char *err = NULL;
            int rc = flrt_hello_decode(m, &out, "s3cret", nonce_a, &err);
            cr_assert_lt(rc, 0, "byte %d bit %d flipped, accepted", i, bit);
            cr_assert_not_null(err);
            m[i] ^= (unsigned char)(1 << bit);
        }
    const char *err = NULL;
    cr_assert_eq(flrt_hello_decode(m, &out, "s3cret", nonce_a, &err), 0);
    hello_eq(&out, &h);
}

static void out_of_range(flrt_hello h, const char *what)
{
    unsigned char m[FLRT_HELLO];
    flrt_hello out;
    const char *err = NULL;
    flrt_hello_encode(m, &h, "s3cret", nonce_a);
    cr_assert_eq(flrt_hello_decode(m, &out, "s3cret", nonce_a, &err), -1, "%s accepted", what);
    cr_assert_not_null(err);
}

Test(rt_wire, hello_fields_out_of_range)
{
    flrt_hello h;
    h = sample(), h.rank = h.nprocs;
    out_of_range(h, "rank == nprocs");
    h = sample(), h.rank = 100;
    out_of_range(h, "rank > nprocs");
    h = sample(), h.rank = -1;
    out_of_range(h, "rank -1 (2^32 - 1 on the wire)");
    h = sample(), h.nprocs = 0, h.rank = 0;
    out_of_range(h, "no processes");
    h = sample(), h.threads = 0;
    out_of_range(h, "threads 0");
    h = sample(), h.threads = -5;
    out_of_range(h, "threads < 0");
    h = sample(), h.threads = 1025;
    out_of_range(h, "threads over 1024");
    h = sample(), h.port = 65536;
    out_of_range(h, "port 65536");
    h = sample(), h.port = -1;
    out_of_range(h, "port -1");
    h = sample(), h.batch = 0;
    out_of_range(h, "batch 0");
    h = sample(), h.batch = -1;
    out_of_range(h, "batch -1");
}

/* ---- fingerprints ---- */

Test(rt_wire, fingerprint_parse)
{
    cr_assert_eq(flrt_fingerprint_parse("0123456789abcdef"), 0x0123456789abcdefULL);
    cr_assert_eq(flrt_fingerprint_parse("fedcba9876543210"), 0xfedcba9876543210ULL);
    cr_assert_eq(flrt_fingerprint_parse("00000000000000ff"), 0xffULL);
    cr_assert_eq(flrt_fingerprint_parse("2a"), 42);
    cr_assert_eq(flrt_fingerprint_parse(""), 0);
    cr_assert_eq(flrt_fingerprint_parse(NULL), 0);
    cr_assert_eq(flrt_fingerprint_parse("none"), 0);
    cr_assert_eq(flrt_fingerprint_parse("12g4"), 0);
    cr_assert_eq(flrt_fingerprint_parse("0x12"), 0);
    cr_assert_eq(flrt_fingerprint_parse("12 "), 0);
    cr_assert_eq(flrt_fingerprint_parse("-1"), 0);
}

/* ---- the fuzz corpus ---- */

/* tests/fuzz/frame_corpus from the repository's root: two folders above
 * the test binary (build/tests/, build-san/tests/), else the current one. */
static void corpus_dir(char *dir, size_t size)
{
    char exe[4000];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        for (int up = 0; up < 3; up++) {
            char *slash = strrchr(exe, '/');
            if (slash)
                *slash = 0;
        }
        snprintf(dir, size, "%s/tests/fuzz/frame_corpus", exe);
        if (access(dir, R_OK) == 0)
            return;
    }
    snprintf(dir, size, "tests/fuzz/frame_corpus");
}

Test(rt_wire, fuzz_corpus_replays)
{
    char dir[4096];
    corpus_dir(dir, sizeof dir);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f, "cannot open %s", path);
        static uint8_t buf[1 << 20];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        uint8_t *copy = malloc(len ? len : 1);   /* exactly its size, for ASan */
        memcpy(copy, buf, len);
        LLVMFuzzerTestOneInput(copy, len);
        free(copy);
        n++;
    }
    closedir(d);
    cr_assert_geq(n, 6, "the seeds of %s are missing", dir);
}
