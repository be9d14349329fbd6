/* test_rt_zin.c - compressed input streams (runtime/zin.c): the formats
 * told by magic number; gzip (through ISA-L and through zlib) and zstd
 * files made by the gzip and zstd tools read back byte for byte whatever
 * the size of the reads (1 byte, odd sizes, more than the input buffer);
 * multi-member gzip and multi-frame zstd files read whole; every
 * truncation of a file is an error naming the file, never a short read;
 * a flipped byte is an error or changes nothing; bytes after the last
 * member are an error; a missing file or a bad FLOWC_GZIP are refused. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_helpers.h"
#include "zin.h"

static char dir[64];

static void setup(void) { temp_dir(dir, "/tmp/flrt-zin-XXXXXX"); }
static void teardown(void) { remove_dir(dir); }
static const char *at(const char *name) { return path_in(dir, name); }
static void put(const char *name, const void *data, size_t n) { put_file(at(name), data, n); }
static void pack(const char *tool, const char *name, const char *out) { pack_file(tool, at(name), at(out)); }

static char *get(const char *name, size_t *n)
{
    FILE *f = fopen(at(name), "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    char *p = malloc(*n + 1);
    cr_assert_eq(fread(p, 1, *n, f), *n);
    fclose(f);
    return p;
}

/* Random text with line ends, n bytes (compressible, but not trivially). */
static char *text(size_t n, unsigned seed)
{
    char *p = malloc(n + 1);
    srand(seed);
    static const char *words[] = {"alpha ", "beta ", "gamma,", "\"q\" ", "\r\n", "\n", "x", "delta epsilon "};
    size_t o = 0;
    while (o < n) {
        const char *w = words[rand() % 8];
        size_t k = strlen(w);
        if (o + k > n)
            k = n - o;
        memcpy(p + o, w, k);
        o += k;
        if (rand() % 50 == 0)
            p[o - 1] = (char)(rand() % 256);
    }
    p[n] = 0;
    return p;
}

/* The whole stream of path read `step` bytes at a time: its length, or -1
 * (the error in err). */
static fl_i64 read_all(const char *path, char *out, fl_i64 cap, fl_i64 step, char *err)
{
    unsigned char head[4];
    int kind = FLRT_Z_GZIP;
    FILE *f = fopen(path, "rb");
    if (f) {
        kind = flrt_zin_kind(head, (fl_i64)fread(head, 1, sizeof head, f));
        fclose(f);
    }
    char e[1024];
    flrt_zin *z = flrt_zin_open(path, kind, e, sizeof e);
    if (!z) {
        strcpy(err, e);
        return -1;
    }
    fl_i64 o = 0, k;
    while ((k = flrt_zin_read(z, out + o, step < cap - o ? step : cap - o)) > 0)
        o += k;
    if (k < 0)
        snprintf(err, 1024, "%s", flrt_zin_error(z));
    cr_assert(k < 0 || flrt_zin_used(z) == flrt_zin_size(z), "a clean end uses the whole file");
    flrt_zin_close(z);
    return k < 0 ? -1 : o;
}

static void same_back(const char *packed, const char *orig, size_t n)
{
    static const fl_i64 steps[] = {1, 3, 7, 4096, 65537, 1 << 20};
    char *buf = malloc(n + 16), err[1024] = "";
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        if (steps[i] < 7 && n > 100000)
            continue;            /* byte at a time: the small files only */
        fl_i64 got = read_all(at(packed), buf, (fl_i64)n + 16, steps[i], err);
        cr_assert_eq(got, (fl_i64)n, "%s by %lld: %lld bytes (%s)", packed, (long long)steps[i], (long long)got, err);
        cr_assert(memcmp(buf, orig, n) == 0, "%s by %lld: the bytes differ", packed, (long long)steps[i]);
    }
    free(buf);
}

TestSuite(rt_zin, .init = setup, .fini = teardown);

Test(rt_zin, kinds)
{
    cr_assert_eq(flrt_zin_kind((const unsigned char *)"\x1f\x8b\x08\x00", 4), FLRT_Z_GZIP);
    cr_assert_eq(flrt_zin_kind((const unsigned char *)"\x1f\x8b", 2), FLRT_Z_GZIP);
    cr_assert_eq(flrt_zin_kind((const unsigned char *)"\x1f", 1), FLRT_Z_PLAIN);
    cr_assert_eq(flrt_zin_kind((const unsigned char *)"\x28\xb5\x2f\xfd", 4), FLRT_Z_ZSTD);
    cr_assert_eq(flrt_zin_kind((const unsigned char *)"\x5a\x2a\x4d\x18", 4), FLRT_Z_ZSTD, "a skippable frame");
    cr_assert_eq(flrt_zin_kind((const unsigned char *)"\x28\xb5\x2f", 3), FLRT_Z_PLAIN);
    cr_assert_eq(flrt_zin_kind((const unsigned char *)"id,n\n", 4), FLRT_Z_PLAIN);
    cr_assert_eq(flrt_zin_kind((const unsigned char *)"", 0), FLRT_Z_PLAIN);
}

static void round_trips(const char *gzip_lib)
{
    setenv("FLOWC_GZIP", gzip_lib, 1);
    size_t sizes[] = {1, 100, 5000, 700000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char *t = text(sizes[i], (unsigned)i + 1);
        put("t", t, sizes[i]);
        pack("gzip -c -n", "t", "t.gz");
        pack("zstd -q -c", "t", "t.zst");
        same_back("t.gz", t, sizes[i]);
        same_back("t.zst", t, sizes[i]);
        free(t);
    }
}

Test(rt_zin, round_trips_isal) { round_trips("isal"); }
Test(rt_zin, round_trips_zlib) { round_trips("zlib"); }

/* a.X b.X (and an empty one between) concatenated: the texts in order */
static void concatenated(const char *tool, const char *ext)
{
    char *a = text(300000, 11), *b = text(1000, 12), cmd[512], ax[16], bx[16], ex[16], cx[16];
    put("a", a, 300000);
    put("b", b, 1000);
    put("e", "", 0);
    snprintf(ax, sizeof ax, "a.%s", ext);
    snprintf(bx, sizeof bx, "b.%s", ext);
    snprintf(ex, sizeof ex, "e.%s", ext);
    snprintf(cx, sizeof cx, "c.%s", ext);
    pack(tool, "a", ax);
    pack(tool, "b", bx);
    pack(tool, "e", ex);
    snprintf(cmd, sizeof cmd, "cd '%s' && cat %s %s %s > %s", dir, ax, ex, bx, cx);
    cr_assert_eq(system(cmd), 0);
    char *ab = malloc(301000);
    memcpy(ab, a, 300000);
    memcpy(ab + 300000, b, 1000);
    same_back(cx, ab, 301000);
    char buf[16], err[1024];
    cr_assert_eq(read_all(at(ex), buf, sizeof buf, 16, err), 0, "an empty member: no bytes, no error (%s)", err);
    free(a);
    free(b);
    free(ab);
}

Test(rt_zin, multi_member_gzip)
{
    setenv("FLOWC_GZIP", "isal", 1);
    concatenated("gzip -c -n", "gz");
    setenv("FLOWC_GZIP", "zlib", 1);
    concatenated("gzip -c -n", "gz");
}

Test(rt_zin, multi_frame_zstd) { concatenated("zstd -q -c", "zst"); }

/* Every proper prefix (from 2 bytes: shorter is no longer compressed) is an error naming the file. */
static void truncations(const char *tool, const char *ext, const char *lib)
{
    setenv("FLOWC_GZIP", lib, 1);
    char *t = text(3000, 21), name[16], cut[16], buf[4000], err[1024];
    put("t", t, 3000);
    snprintf(name, sizeof name, "t.%s", ext);
    pack(tool, "t", name);
    size_t n;
    char *z = get(name, &n);
    snprintf(cut, sizeof cut, "cut.%s", ext);
    for (size_t k = 4; k < n; k++) {
        put(cut, z, k);
        fl_i64 got = read_all(at(cut), buf, sizeof buf, 1000, err);
        cr_assert_eq(got, -1, "%s cut to %zu bytes of %zu (%s) read %lld bytes", name, k, n, lib, (long long)got);
        cr_assert(strstr(err, at(cut)) != NULL, "the message names the file: %s", err);
        cr_assert(strstr(err, "truncated") || strstr(err, "corrupt"), "%s", err);
    }
    free(z);
    free(t);
}

Test(rt_zin, truncated_gzip)
{
    truncations("gzip -c -n", "gz", "isal");
    truncations("gzip -c -n", "gz", "zlib");
}

Test(rt_zin, truncated_zstd) { truncations("zstd -q -c --check", "zst", "isal"); }

/* Each byte flipped: an error naming the file, or the same text. */
static void flips(const char *tool, const char *ext, const char *lib)
{
    setenv("FLOWC_GZIP", lib, 1);
    char *t = text(2000, 31), name[16], buf[4000], err[1024];
    put("t", t, 2000);
    snprintf(name, sizeof name, "t.%s", ext);
    pack(tool, "t", name);
    size_t n;
    char *z = get(name, &n);
    for (size_t k = 4; k < n; k++) {
        z[k] ^= 0x5a;
        put("flip", z, n);
        z[k] ^= 0x5a;
        fl_i64 got = read_all(at("flip"), buf, sizeof buf, 999, err);
        cr_assert(got == -1 || (got == 2000 && !memcmp(buf, t, 2000)), "%s byte %zu flipped (%s): %lld bytes, no error",
                  name, k, lib, (long long)got);
        cr_assert(got >= 0 || strstr(err, at("flip")), "the message names the file: %s", err);
    }
    free(z);
    free(t);
}

Test(rt_zin, flipped_bytes)
{
    flips("gzip -c -n", "gz", "isal");
    flips("gzip -c -n", "gz", "zlib");
    flips("zstd -q -c --check", "zst", "isal");
}

Test(rt_zin, bytes_after_the_last_member)
{
    char *t = text(1000, 41), buf[2000], err[1024];
    put("t", t, 1000);
    pack("gzip -c -n", "t", "t.gz");
    pack("zstd -q -c", "t", "t.zst");
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cd '%s' && (cat t.gz; printf 'PK') > g.gz && (cat t.zst; printf 'junk') > g.zst", dir);
    cr_assert_eq(system(cmd), 0);
    const char *libs[] = {"isal", "zlib"};
    for (int i = 0; i < 2; i++) {
        setenv("FLOWC_GZIP", libs[i], 1);
        cr_assert_eq(read_all(at("g.gz"), buf, sizeof buf, 4096, err), -1);
        cr_assert(strstr(err, "after a gzip member, is not another gzip member"), "%s: %s", libs[i], err);
    }
    cr_assert_eq(read_all(at("g.zst"), buf, sizeof buf, 4096, err), -1);
    cr_assert(strstr(err, at("g.zst")) && strstr(err, "corrupt zstd data"), "%s", err);
    free(t);
}

Test(rt_zin, refused)
{
    char err[1024];
    cr_assert_null(flrt_zin_open(at("none.gz"), FLRT_Z_GZIP, err, sizeof err));
    cr_assert(strstr(err, "cannot open ") && strstr(err, "none.gz: No such file"), "%s", err);
    put("t.gz", "\x1f\x8b", 2);
    setenv("FLOWC_GZIP", "lzma", 1);
    cr_assert_null(flrt_zin_open(at("t.gz"), FLRT_Z_GZIP, err, sizeof err));
    cr_assert_str_eq(err, "FLOWC_GZIP must be isal or zlib, not \"lzma\"");
}
