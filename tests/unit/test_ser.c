/* test_ser.c - the bytes of rows sent between processes: the ser/de and
 * serb/deb helpers that compiler/emit_type.c makes for a row type. For one
 * row type of each kind the helpers are emitted, compiled in memory with
 * libtcc and called: round trips compared field by field, the exact bytes
 * of a few rows, and bad input (every truncation, corrupted bytes, huge
 * counts, trailing bytes) read from a buffer that ends at an unmapped page,
 * with the arena's allocations counted. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <libtcc.h>
#include <math.h>
#include <stdint.h>
#include <sys/mman.h>

#include "emit_int.h"
#include "jit.h"
#include "rt_helpers.h"

/* ---- the row types, and their C layout as the emitter lays them out ---- */
enum { T_I64, T_F64, T_BOOL, T_STR, T_UNIT, T_VSTR, T_VVI64, T_OSTR, T_TUP, T_REC, T_EMPTY, T_VEMPTY, T_PAIR,
       T_TREE, T_VOPT, T_N };

typedef struct { fl_str *data; fl_i64 len, cap; } VStr;
typedef struct { fl_i64 *data; fl_i64 len, cap; } VI64;
typedef struct { VI64 *data; fl_i64 len, cap; } VVI64;
typedef struct { fl_bool some; fl_str v; } OStr;
typedef struct { fl_bool some; double v; } OF64;
typedef struct { fl_bool some; fl_i64 v; } OI64;
typedef struct { OI64 *data; fl_i64 len, cap; } VOI64;
typedef struct { OStr *data; fl_i64 len, cap; } VOStr;
typedef struct { fl_i64 a; fl_str s; fl_bool b; double d; } Tup;     /* (i64, str, bool, f64) */
typedef struct { fl_i64 _0, _1; } Pos;
typedef struct { fl_str name; VStr tags; OF64 score; VOI64 kids; Pos pos; } Rec;
typedef struct { char empty; } Empty;
typedef struct { Empty *data; fl_i64 len, cap; } VEmpty;
typedef struct { fl_str k; fl_i64 v; } Pair;                         /* keyed<str, i64> */
typedef struct Tree Tree;
struct Tree { fl_i64 v; struct { Tree *data; fl_i64 len, cap; } kids; };  /* Tree { v, kids: vec<Tree> } */

static const fl_i64 sizes[T_N] = {8, 8, 1, sizeof(fl_str), 8, sizeof(VStr), sizeof(VVI64), sizeof(OStr),
                                  sizeof(Tup), sizeof(Rec), sizeof(Empty), sizeof(VEmpty), sizeof(Pair),
                                  sizeof(Tree), sizeof(VOStr)};

static Type *record(Arena *a, const char *name, int n, const char **names, Type **types)
{
    Type *t = type_new(a, TY_RECORD);
    t->u.rec.name = name;
    t->u.rec.n = n;
    t->u.rec.fields = arena_alloc(a, sizeof(Field) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        t->u.rec.fields[i].name = names[i];
        t->u.rec.fields[i].type = types[i];
    }
    return t;
}

static void row_types(Arena *a, Type **ty)
{
    ty[T_I64] = TYPE_I64;
    ty[T_F64] = TYPE_F64;
    ty[T_BOOL] = TYPE_BOOL;
    ty[T_STR] = TYPE_STR;
    ty[T_UNIT] = TYPE_UNIT;
    ty[T_VSTR] = type_vec(a, TYPE_STR);
    ty[T_VVI64] = type_vec(a, type_vec(a, TYPE_I64));
    ty[T_OSTR] = type_opt(a, TYPE_STR);
    Type *tup[] = {TYPE_I64, TYPE_STR, TYPE_BOOL, TYPE_F64};
    ty[T_TUP] = type_tuple(a, tup, 4);
    const char *rn[] = {"name", "tags", "score", "kids", "pos"};
    Type *rt[] = {TYPE_STR, type_vec(a, TYPE_STR), type_opt(a, TYPE_F64), type_vec(a, type_opt(a, TYPE_I64)),
                  type_pair(a, TYPE_I64, TYPE_I64)};
    ty[T_REC] = record(a, "Item", 5, rn, rt);
    ty[T_EMPTY] = record(a, "Nothing", 0, NULL, NULL);
    ty[T_VEMPTY] = type_vec(a, ty[T_EMPTY]);
    ty[T_PAIR] = type_pair(a, TYPE_STR, TYPE_I64);
    const char *tn[] = {"v", "kids"};
    Type *tt[] = {TYPE_I64, NULL};
    ty[T_TREE] = record(a, "Tree", 2, tn, tt);
    ty[T_TREE]->u.rec.fields[1].type = type_vec(a, ty[T_TREE]);
    ty[T_VOPT] = type_vec(a, type_opt(a, TYPE_STR));
}

/* ---- the generated helpers, compiled with libtcc ---- */
static fl_ser_fn *ser;
static fl_de_fn *de;
static const fl_i64 *c_sizes;
static TCCState *tcc;
static fl_i64 grow_max;       /* the largest request the arena saw */

static void *grow_counting(fl_arena *a, fl_i64 size)
{
    if (size > grow_max)
        grow_max = size;
    return fl_arena_grow(a, size);
}

/* The C of the helpers: types, prototypes, bodies, then tables naming them. */
static char *gen_source(void)
{
    Arena a;
    arena_init(&a);
    Emit e = {.a = &a};
    for (int i = 0; i < S_COUNT; i++)
        e.sect[i].f = open_memstream(&e.sect[i].buf, &e.sect[i].len);
    e.helpers_out = e.sect[S_HELPERS].f;
    Type *ty[T_N];
    row_types(&a, ty);
    const char *tab[3] = {"", "", ""};
    for (int i = 0; i < T_N; i++) {
        tab[0] = arena_printf(&a, "%s%s, ", tab[0], et_helper(&e, "serb", ty[i]));
        tab[1] = arena_printf(&a, "%s%s, ", tab[1], et_helper(&e, "deb", ty[i]));
        tab[2] = arena_printf(&a, "%s(fl_i64)sizeof(%s), ", tab[2], et_name(&e, ty[i]));
    }
    char *src = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&src, &len);
    fprintf(out, "%s\n", jit_flowrt_h);
    for (int i = 0; i < S_COUNT; i++) {
        fclose(e.sect[i].f);
        fwrite(e.sect[i].buf, 1, e.sect[i].len, out);
        free(e.sect[i].buf);
    }
    fprintf(out, "fl_ser_fn t_ser[] = {%s};\nfl_de_fn t_de[] = {%s};\nconst fl_i64 t_size[] = {%s};\n", tab[0],
            tab[1], tab[2]);
    fclose(out);
    arena_fini(&a);
    return src;
}

static void tcc_err(void *opaque, const char *msg)
{
    (void)opaque;
    fprintf(stderr, "tcc: %s\n", msg);
}

static void setup(void)
{
    char *src = gen_source();
    tcc = tcc_new();
    cr_assert(tcc);
    tcc_set_error_func(tcc, NULL, tcc_err);
    tcc_set_options(tcc, "-Wall -Werror");
    tcc_set_output_type(tcc, TCC_OUTPUT_MEMORY);
    cr_assert_eq(tcc_compile_string(tcc, src), 0, "tcc compiles the helpers:\n%s", src);
    free(src);
    tcc_add_symbol(tcc, "fl_arena_grow", (void *)grow_counting);
    tcc_add_symbol(tcc, "fl_buf_reserve", (void *)fl_buf_reserve);
    tcc_add_symbol(tcc, "fl_ser_toolong", (void *)fl_ser_toolong);
    cr_assert(tcc_relocate(tcc, TCC_RELOCATE_AUTO) >= 0);
    ser = tcc_get_symbol(tcc, "t_ser");
    de = tcc_get_symbol(tcc, "t_de");
    c_sizes = tcc_get_symbol(tcc, "t_size");
    cr_assert(ser && de && c_sizes);
}

static void teardown(void)
{
    if (tcc)
        tcc_delete(tcc);
}

TestSuite(ser, .init = setup, .fini = teardown, .timeout = 60);

/* ---- input that ends at an unmapped page, read-only ---- */
typedef struct Guard {
    char *base, *p;
    size_t total, n;
} Guard;

static Guard guard_new(const void *bytes, size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), data = (n + pg - 1) / pg * pg;
    Guard g = {.total = data + pg, .n = n};
    g.base = mmap(NULL, g.total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(g.base != MAP_FAILED);
    g.p = g.base + data - n;
    if (n)
        memcpy(g.p, bytes, n);
    cr_assert_eq(mprotect(g.base, data, PROT_READ), 0);
    cr_assert_eq(mprotect(g.base + data, pg, PROT_NONE), 0);
    return g;
}

static void guard_free(Guard *g) { munmap(g->base, g->total); }

/* ---- encoding and decoding ---- */
static fl_buf encode(int ty, const void *rows, fl_i64 n)
{
    fl_buf b = {0};
    ser[ty](&b, rows, n);
    return b;
}

static int all_zero(const char *p, fl_i64 n)
{
    for (fl_i64 i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static int same_bytes(const fl_buf *b, const char *p, size_t n)
{
    return b->len == (fl_i64)n && (!n || !memcmp(b->p, p, n));
}

/* deb_ of n rows from g into rows (zeroed first); checks that the reader
 * stayed inside its input, that success means all of it was read, and that
 * after an error the last row is zero (never reached, or zeroed by de_; a
 * string that failed is empty but points at the end of the input). */
static int decode(int ty, Guard *g, void *rows, fl_i64 n, fl_arena *a)
{
    memset(rows, 0, (size_t)(n * sizes[ty]));
    fl_rbuf r = {g->p, g->p + g->n, 0};
    grow_max = 0;
    int rc = de[ty](&r, rows, n, a);
    cr_assert(rc == 0 || rc == -1, "deb returned %d", rc);
    cr_assert(r.p >= g->p && r.p <= r.end, "the reader stays inside its input");
    if (rc == 0)
        cr_assert(!r.err && r.p == r.end);
    else
        cr_assert(r.err || r.p != r.end);
    char *last = (char *)rows + (n - 1) * sizes[ty];
    if (r.err && ty == T_STR)
        cr_assert_eq(((fl_str *)last)->len, 0);
    else if (r.err && n > 0)
        cr_assert(all_zero(last, sizes[ty]), "type %d: a row that failed is zeroed", ty);
    return rc;
}

static void expect_bytes(int ty, const void *rows, fl_i64 n, const char *want, size_t len)
{
    fl_buf b = encode(ty, rows, n);
    cr_assert(same_bytes(&b, want, len), "%lld bytes, %zu expected, or other bytes", b.len, len);
    fl_buf_free(&b);
}

/* Round trip of n rows: encodes, decodes into `back` (n rows, valid while
 * *g and *a live), re-encodes and compares the bytes. */
static void round_trip(int ty, const void *rows, fl_i64 n, void *back, Guard *g, fl_arena *a)
{
    fl_buf b = encode(ty, rows, n);
    *g = guard_new(b.p, (size_t)b.len);
    cr_assert_eq(decode(ty, g, back, n, a), 0);
    fl_buf again = encode(ty, back, n);
    cr_assert(same_bytes(&again, b.p, (size_t)b.len), "re-encoding gives the same bytes");
    fl_buf_free(&again);
    fl_buf_free(&b);
}

static int str_is(fl_str s, const char *p, fl_i64 n) { return s.len == n && (!n || !memcmp(s.ptr, p, (size_t)n)); }

/* ---- the generated code matches the layout assumed here ---- */
Test(ser, row_structs_have_the_expected_layout)
{
    for (int i = 0; i < T_N; i++)
        cr_assert_eq(c_sizes[i], sizes[i], "type %d: %lld bytes, %lld expected", i, c_sizes[i], sizes[i]);
}

/* ---- exact bytes ---- */
Test(ser, scalars_are_little_endian_and_strings_length_prefixed)
{
    fl_i64 i = 0x0102030405060708LL;
    expect_bytes(T_I64, &i, 1, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    fl_bool b[] = {1, 0};
    expect_bytes(T_BOOL, b, 2, "\x01\x00", 2);
    double d = 1.0;
    expect_bytes(T_F64, &d, 1, "\0\0\0\0\0\0\xf0\x3f", 8);
    fl_str s[] = {S("hi"), S("")};
    expect_bytes(T_STR, s, 2, "\x02\0\0\0hi\0\0\0\0", 10);
    Pair p = {S("ab"), 5};
    expect_bytes(T_PAIR, &p, 1, "\x02\0\0\0ab\x05\0\0\0\0\0\0\0", 14);
}

Test(ser, compound_values_write_counts_flags_and_parts_in_order)
{
    OStr o[] = {{0, S("ignored")}, {1, S("")}, {1, S("x")}};
    expect_bytes(T_OSTR, o, 3, "\0" "\x01\0\0\0\0" "\x01\x01\0\0\0x", 12);
    fl_i64 one = 1;
    VI64 inner[] = {{&one, 1, 1}, {NULL, 0, 0}};
    VVI64 vv = {inner, 2, 2};
    expect_bytes(T_VVI64, &vv, 1, "\x02\0\0\0" "\x01\0\0\0" "\x01\0\0\0\0\0\0\0" "\0\0\0\0", 20);
    Empty none[3] = {{0}};
    expect_bytes(T_EMPTY, none, 3, "", 0);
    VEmpty ve = {none, 3, 3};
    expect_bytes(T_VEMPTY, &ve, 1, "\x03\0\0\0", 4);
    fl_i64 unit = 0;
    expect_bytes(T_UNIT, &unit, 1, "\0\0\0\0\0\0\0\0", 8);
}

/* ---- round trips ---- */
Test(ser, integers_and_bools_round_trip)
{
    fl_i64 v[] = {INT64_MIN, -1, 0, 1, INT64_MAX}, back[5];
    fl_bool bv[] = {1, 0, 1}, bback[3];
    Guard g, gb;
    fl_arena a = {0};
    round_trip(T_I64, v, 5, back, &g, &a);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(back[i], v[i]);
    round_trip(T_BOOL, bv, 3, bback, &gb, &a);
    cr_assert(bback[0] == 1 && bback[1] == 0 && bback[2] == 1);
    guard_free(&g);
    guard_free(&gb);
    fl_arena_free(&a);
}

Test(ser, doubles_keep_their_bits)
{
    double v[] = {NAN, -NAN, INFINITY, -INFINITY, -0.0, 0.0, 5e-324, 1.5, -1e308}, back[9];
    Guard g;
    fl_arena a = {0};
    round_trip(T_F64, v, 9, back, &g, &a);
    for (int i = 0; i < 9; i++)
        cr_assert(!memcmp(&back[i], &v[i], 8), "row %d", i);
    cr_assert(isnan(back[0]) && signbit(back[4]) && !signbit(back[5]) && isinf(back[3]) && back[3] < 0);
    guard_free(&g);
    fl_arena_free(&a);
}

Test(ser, strings_round_trip_with_any_bytes)
{
    static char big[70000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 131);
    fl_str v[] = {S(""), {"a\0b\xff\n", 5}, S("word"), {big, sizeof big}}, back[4];
    Guard g;
    fl_arena a = {0};
    round_trip(T_STR, v, 4, back, &g, &a);
    cr_assert(str_is(back[0], "", 0));
    cr_assert(str_is(back[1], "a\0b\xff\n", 5));
    cr_assert(str_is(back[2], "word", 4));
    cr_assert(str_is(back[3], big, sizeof big));
    cr_assert(back[2].ptr >= g.p && back[2].ptr < g.p + g.n, "decoded strings point into the input");
    guard_free(&g);
    fl_arena_free(&a);
}

Test(ser, vectors_of_strings_and_of_vectors_round_trip)
{
    fl_str words[] = {S("x"), S(""), S("yz")};
    VStr vs[] = {{words, 3, 3}, {NULL, 0, 0}}, vsb[2];
    fl_i64 n1[] = {1, 2, 3}, n2[] = {-7};
    VI64 inner[] = {{n1, 3, 8}, {NULL, 0, 0}, {n2, 1, 1}};
    VVI64 vv[] = {{inner, 3, 3}, {NULL, 0, 0}}, vvb[2];
    Guard g1, g2;
    fl_arena a = {0};
    round_trip(T_VSTR, vs, 2, vsb, &g1, &a);
    cr_assert(vsb[0].len == 3 && vsb[0].cap == 3 && vsb[1].len == 0 && vsb[1].cap == 0);
    cr_assert(str_is(vsb[0].data[0], "x", 1) && str_is(vsb[0].data[1], "", 0) && str_is(vsb[0].data[2], "yz", 2));
    round_trip(T_VVI64, vv, 2, vvb, &g2, &a);
    cr_assert(vvb[0].len == 3 && vvb[1].len == 0);
    VI64 *in = vvb[0].data;
    cr_assert(in[0].len == 3 && in[0].cap == 3 && in[0].data[0] == 1 && in[0].data[1] == 2 && in[0].data[2] == 3);
    cr_assert(in[1].len == 0 && in[2].len == 1 && in[2].data[0] == -7);
    guard_free(&g1);
    guard_free(&g2);
    fl_arena_free(&a);
}

Test(ser, options_and_tuples_round_trip)
{
    OStr o[] = {{0, S("")}, {1, S("")}, {1, S("some")}}, ob[3];
    Tup t[] = {{-5, S("t"), 1, 2.5}, {0, S(""), 0, -0.0}}, tb[2];
    Guard g1, g2;
    fl_arena a = {0};
    round_trip(T_OSTR, o, 3, ob, &g1, &a);
    cr_assert(!ob[0].some && ob[1].some && str_is(ob[1].v, "", 0) && ob[2].some && str_is(ob[2].v, "some", 4));
    round_trip(T_TUP, t, 2, tb, &g2, &a);
    cr_assert(tb[0].a == -5 && str_is(tb[0].s, "t", 1) && tb[0].b == 1 && tb[0].d == 2.5);
    cr_assert(tb[1].a == 0 && str_is(tb[1].s, "", 0) && tb[1].b == 0 && signbit(tb[1].d));
    guard_free(&g1);
    guard_free(&g2);
    fl_arena_free(&a);
}

/* Two Item rows: nested vectors, options inside a vector, a tuple field. */
static void item_rows(Rec *r)
{
    static fl_str tags[] = {{"red", 3}, {"", 0}};
    static OI64 kids[] = {{1, 42}, {0, 0}, {1, -1}};
    memset(r, 0, 2 * sizeof *r);
    r[0] = (Rec){S("first"), {tags, 2, 2}, {1, 0.25}, {kids, 3, 3}, {3, 4}};
    r[1] = (Rec){S(""), {NULL, 0, 0}, {0, 0}, {NULL, 0, 0}, {-1, INT64_MAX}};
}

Test(ser, records_with_nested_vectors_and_options_round_trip)
{
    Rec r[2], b[2];
    item_rows(r);
    Guard g;
    fl_arena a = {0};
    round_trip(T_REC, r, 2, b, &g, &a);
    cr_assert(str_is(b[0].name, "first", 5) && b[0].tags.len == 2 && str_is(b[0].tags.data[0], "red", 3));
    cr_assert(str_is(b[0].tags.data[1], "", 0) && b[0].score.some && b[0].score.v == 0.25);
    cr_assert(b[0].kids.len == 3 && b[0].kids.data[0].some && b[0].kids.data[0].v == 42);
    cr_assert(!b[0].kids.data[1].some && b[0].kids.data[2].some && b[0].kids.data[2].v == -1);
    cr_assert(b[0].pos._0 == 3 && b[0].pos._1 == 4);
    cr_assert(str_is(b[1].name, "", 0) && b[1].tags.len == 0 && !b[1].score.some && b[1].kids.len == 0);
    cr_assert(b[1].pos._0 == -1 && b[1].pos._1 == INT64_MAX);
    guard_free(&g);
    fl_arena_free(&a);
}

Test(ser, empty_records_keyed_pairs_and_recursive_records_round_trip)
{
    Empty e[4] = {{0}}, eb[4];
    Empty many[5] = {{0}};
    VEmpty ve[] = {{many, 5, 5}, {NULL, 0, 0}}, veb[2];
    Pair p[] = {{S("k"), 1}, {S(""), -2}}, pb[2];
    Tree leaves[] = {{1, {NULL, 0, 0}}, {2, {NULL, 0, 0}}};
    Tree mid = {3, {leaves, 2, 2}}, root = {4, {&mid, 1, 1}}, rb;
    Guard g[4];
    fl_arena a = {0};
    round_trip(T_EMPTY, e, 4, eb, &g[0], &a);
    round_trip(T_VEMPTY, ve, 2, veb, &g[1], &a);
    cr_assert(veb[0].len == 5 && veb[1].len == 0);
    round_trip(T_PAIR, p, 2, pb, &g[2], &a);
    cr_assert(str_is(pb[0].k, "k", 1) && pb[0].v == 1 && str_is(pb[1].k, "", 0) && pb[1].v == -2);
    round_trip(T_TREE, &root, 1, &rb, &g[3], &a);
    cr_assert(rb.v == 4 && rb.kids.len == 1 && rb.kids.data[0].v == 3 && rb.kids.data[0].kids.len == 2);
    cr_assert(rb.kids.data[0].kids.data[1].v == 2 && rb.kids.data[0].kids.data[1].kids.len == 0);
    for (int i = 0; i < 4; i++)
        guard_free(&g[i]);
    fl_arena_free(&a);
}

/* ---- bad input ---- */
typedef struct Sample {
    int ty;
    const void *rows;
    fl_i64 n;
} Sample;

/* One sample of rows per type (rows of item_rows for T_REC). */
static int samples(Sample *out, Rec *items, Tree *tree)
{
    static fl_i64 i64s[] = {1, -2};
    static double f64s[] = {NAN, -0.0};
    static fl_bool bools[] = {1, 0, 1};
    static fl_str strs[] = {{"ab", 2}, {"", 0}, {"c\0d", 3}};
    static VStr vstr[] = {{strs, 3, 3}, {NULL, 0, 0}};
    static fl_i64 nums[] = {5, 6};
    static VI64 inner[] = {{nums, 2, 2}, {NULL, 0, 0}};
    static VVI64 vv = {inner, 2, 2};
    static OStr ostr[] = {{1, {"q", 1}}, {0, {0, 0}}};
    static Tup tup = {7, {"tt", 2}, 1, 0.5};
    static Empty empty[3];
    static VEmpty vempty = {empty, 3, 3};
    static Pair pair[] = {{{"key", 3}, 9}, {{"", 0}, 0}};
    static Tree leaf[] = {{8, {NULL, 0, 0}}};
    static VOStr vopt = {ostr, 2, 2};
    *tree = (Tree){7, {leaf, 1, 1}};
    item_rows(items);
    Sample s[] = {{T_I64, i64s, 2}, {T_F64, f64s, 2}, {T_BOOL, bools, 3}, {T_STR, strs, 3}, {T_UNIT, i64s, 1},
                  {T_VSTR, vstr, 2}, {T_VVI64, &vv, 1}, {T_OSTR, ostr, 2}, {T_TUP, &tup, 1}, {T_REC, items, 2},
                  {T_EMPTY, empty, 3}, {T_VEMPTY, &vempty, 1}, {T_PAIR, pair, 2}, {T_TREE, tree, 1},
                  {T_VOPT, &vopt, 1}};
    memcpy(out, s, sizeof s);
    return (int)(sizeof s / sizeof s[0]);
}

/* Decodes the n bytes as s's rows: -1, or 0 with rows that re-encode to the
 * same bytes; no request to the arena bigger than `limit`. Returns rc. */
static int decode_bytes(Sample *s, const char *bytes, size_t n, fl_i64 limit)
{
    Guard g = guard_new(bytes, n);
    fl_arena a = {0};
    void *rows = malloc((size_t)(s->n * sizes[s->ty]));
    int rc = decode(s->ty, &g, rows, s->n, &a);
    cr_assert(grow_max <= limit, "type %d: an allocation of %lld bytes from %zu bytes of input", s->ty, grow_max, n);
    if (rc == 0) {
        fl_buf b = encode(s->ty, rows, s->n);
        cr_assert(same_bytes(&b, bytes, n), "type %d: accepted input re-encodes the same", s->ty);
        fl_buf_free(&b);
    }
    free(rows);
    fl_arena_free(&a);
    guard_free(&g);
    return rc;
}

/* The largest arena request n bytes of input may make: a vector's elements
 * take at most 64 times their smallest size on the wire, except elements
 * that take no bytes, whose count is capped at 1 << 24. */
static fl_i64 alloc_limit(int ty, size_t n) { return ty == T_VEMPTY ? (1 << 24) + 64 : 64 * (fl_i64)n + 64; }

Test(ser, every_truncation_fails)
{
    Sample s[T_N];
    Rec items[2];
    Tree tree;
    int ns = samples(s, items, &tree);
    for (int k = 0; k < ns; k++) {
        fl_buf b = encode(s[k].ty, s[k].rows, s[k].n);
        cr_assert_eq(decode_bytes(&s[k], b.p, (size_t)b.len, alloc_limit(s[k].ty, b.len)), 0);
        for (fl_i64 len = 0; len < b.len; len++)
            cr_assert_eq(decode_bytes(&s[k], b.p, (size_t)len, alloc_limit(s[k].ty, len)), -1,
                         "type %d, %lld of %lld bytes", s[k].ty, len, b.len);
        fl_buf_free(&b);
    }
}

Test(ser, trailing_bytes_fail)
{
    Sample s[T_N];
    Rec items[2];
    Tree tree;
    int ns = samples(s, items, &tree);
    for (int k = 0; k < ns; k++) {
        fl_buf b = encode(s[k].ty, s[k].rows, s[k].n);
        for (int extra = 1; extra <= 9; extra += 8) {
            fl_buf_reserve(&b, extra);
            memset(b.p + b.len, 0, (size_t)extra);
            cr_assert_eq(decode_bytes(&s[k], b.p, (size_t)(b.len + extra), alloc_limit(s[k].ty, b.len + extra)), -1,
                         "type %d with %d more bytes", s[k].ty, extra);
        }
        fl_buf_free(&b);
    }
}

Test(ser, corrupted_bytes_fail_or_decode_to_a_valid_value)
{
    static const unsigned char vals[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0xff};
    Sample s[T_N];
    Rec items[2];
    Tree tree;
    int ns = samples(s, items, &tree);
    for (int k = 0; k < ns; k++) {
        fl_buf b = encode(s[k].ty, s[k].rows, s[k].n);
        char *c = malloc((size_t)b.len + 1);
        for (fl_i64 i = 0; i < b.len; i++)
            for (size_t v = 0; v < sizeof vals + 2; v++) {
                memcpy(c, b.p, (size_t)b.len);
                c[i] = v < sizeof vals ? (char)vals[v] : (char)(b.p[i] ^ (v == sizeof vals ? 0x01 : 0x10));
                decode_bytes(&s[k], c, (size_t)b.len, alloc_limit(s[k].ty, b.len));
            }
        free(c);
        fl_buf_free(&b);
    }
}

Test(ser, bool_and_option_bytes_other_than_0_and_1_fail)
{
    Sample b = {T_BOOL, NULL, 1}, o = {T_OSTR, NULL, 1};
    cr_assert_eq(decode_bytes(&b, "\x02", 1, 64), -1);
    cr_assert_eq(decode_bytes(&b, "\xff", 1, 64), -1);
    cr_assert_eq(decode_bytes(&b, "\x01", 1, 64), 0);
    cr_assert_eq(decode_bytes(&o, "\x02\x01\0\0\0x", 6, 64), -1);
    cr_assert_eq(decode_bytes(&o, "\x01\x01\0\0\0x", 6, 64), 0);
}

Test(ser, huge_counts_fail_without_allocating)
{
    char in[64];
    memset(in, 0, sizeof in);
    memcpy(in, "\xff\xff\xff\xff", 4);
    Sample str = {T_STR, NULL, 1}, vs = {T_VSTR, NULL, 1}, vv = {T_VVI64, NULL, 1}, ve = {T_VEMPTY, NULL, 1};
    cr_assert_eq(decode_bytes(&str, in, sizeof in, 64), -1);
    cr_assert_eq(decode_bytes(&vs, in, sizeof in, 64), -1);
    cr_assert_eq(decode_bytes(&vv, in, sizeof in, 64), -1);
    cr_assert_eq(decode_bytes(&ve, in, 4, 64), -1, "over 1 << 24 elements that take no bytes");
    /* 15 inner vectors fit in 60 bytes, 16 do not */
    memcpy(in, "\x10\0\0\0", 4);
    cr_assert_eq(decode_bytes(&vv, in, sizeof in, 64 * 64), -1);
    memcpy(in, "\x0f\0\0\0", 4);
    cr_assert_eq(decode_bytes(&vv, in, sizeof in, 64 * 64), 0);
    Pair p;
    Sample ps = {T_PAIR, &p, 1};
    memcpy(in, "\xff\xff\xff\x7f", 4);
    cr_assert_eq(decode_bytes(&ps, in, 12, 64), -1);
}

/* A count that what follows cannot hold fails before the vector is
 * allocated (one element is, for an empty vector). */
Test(ser, counts_are_bounded_by_the_smallest_size_of_an_element)
{
    char in[64];
    memset(in, 0, sizeof in);
    Sample vs = {T_VSTR, NULL, 1}, vv = {T_VVI64, NULL, 1}, tree = {T_TREE, NULL, 1}, ve = {T_VEMPTY, NULL, 1},
           vo = {T_VOPT, NULL, 1};
    in[0] = 3;
    cr_assert_eq(decode_bytes(&vs, in, 16, 64), 0, "3 empty strings in 12 bytes");
    in[0] = 4;
    cr_assert_eq(decode_bytes(&vs, in, 16, sizeof(fl_str)), -1);
    cr_assert_eq(decode_bytes(&vv, in, 16, sizeof(VI64)), -1);
    cr_assert_eq(decode_bytes(&vv, in, 4 + 15, sizeof(VI64)), -1);
    in[0] = 12;
    cr_assert_eq(decode_bytes(&vo, in, 16, 64 * 16), 0, "12 nones in 12 bytes");
    in[0] = 13;
    cr_assert_eq(decode_bytes(&vo, in, 16, sizeof(OStr)), -1);
    memset(in, 0, sizeof in);
    memcpy(in + 8, "\x02\0\0\0", 4);   /* Tree: v, then 2 kids of at least 12 bytes each */
    cr_assert_eq(decode_bytes(&tree, in, 12 + 24, 64 * 64), 0);
    cr_assert_eq(decode_bytes(&tree, in, 12 + 23, sizeof(Tree)), -1);
    memcpy(in, "\xff\xff\xff\0", 4);   /* under the cap of 1 << 24 */
    cr_assert_eq(decode_bytes(&vv, in, sizeof in, sizeof(VI64)), -1);
    cr_assert_eq(decode_bytes(&ve, in, 4, (1 << 24) + 64), 0, "elements of no bytes: only the cap bounds them");
}
