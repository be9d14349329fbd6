/* test_rt_ht.c - the hash table template of generated code (FL_HT in
 * runtime/flowgen.h) and the generated-code helpers beside it: inserting,
 * finding, growing past many resizes (compact, then in place), probes by
 * tags and position by position agreeing, string keys compared by content, and
 * the checked integer division, f64 to i64 conversion and merge sort. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "flowgen.h"

static int eq_i64(fl_i64 a, fl_i64 b) { return a == b; }
static fl_u64 hash_i64(fl_i64 v) { return fl_hash_i64(v); }
static fl_u64 hash_str(fl_str s) { return fl_hash_str(s); }

FL_HT(ht_ii, fl_i64, fl_i64, hash_i64, eq_i64)
FL_HT(ht_si, fl_str, fl_i64, hash_str, fl_str_eq)
FL_HT_STR(ht_ss, fl_i64, hash_str)
/* ht_ii as tcc's code probes it: position by position (the same layout) */
#undef FL_HT_GROUPS
#define FL_HT_GROUPS 0
FL_HT(ht_lin, fl_i64, fl_i64, hash_i64, eq_i64)

/* FL_HT_STR matches a key of up to 8 bytes by the prefix kept in its slot:
 * keys that share a prefix, differ only after 8 bytes, or only by a
 * length with zero bytes, stay apart; keys at the end of a page are read
 * byte by byte. */
Test(ht, str_keys_with_inline_prefixes)
{
    static const char a[] = "ab\0\0\0\0\0\0\0", b[] = "abcdefgh1", c[] = "abcdefgh2", d[] = "abcdefghij";
    fl_str keys[] = {{a, 2}, {a, 3}, {a, 0}, {a + 2, 2}, {b, 8}, {b, 9}, {c, 9}, {b, 7}, {d, 10}};
    int n = (int)(sizeof keys / sizeof keys[0]);
    ht_ss h = {0};
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < n; i++) {
            int fresh;
            fl_i64 at = ht_ss_at(&h, keys[i], hash_str(keys[i]), &fresh);
            cr_assert_eq(fresh, round == 0, "key %d, round %d", i, round);
            h.slots[at].val = fresh ? i : h.slots[at].val;
            cr_assert_eq(h.slots[at].val, i, "key %d found as key %lld", i, (long long)h.slots[at].val);
        }
    cr_assert_eq(h.n, n);
    /* a key whose 8 bytes would cross into the next page */
    char *page = aligned_alloc(4096, 8192), xyz[16] = "xyz";
    memcpy(page + 4093, "xyz", 3);
    fl_str edge = {page + 4093, 3}, same = {xyz, 3};
    cr_assert_eq(fl_str_pfx(edge), fl_str_pfx(same));
    int fresh;
    ht_ss_at(&h, edge, hash_str(edge), &fresh);
    cr_assert(fresh);
    fl_i64 again = ht_ss_at(&h, same, hash_str(same), &fresh);
    cr_assert_not(fresh);
    cr_assert_eq(h.slots[again].key.ptr, page + 4093);
    ht_ss_free(&h);
    free(page);
}

Test(ht, counts_many_integer_keys_through_resizes)
{
    ht_ii h = {0};
    for (fl_i64 round = 0; round < 3; round++)
        for (fl_i64 k = 0; k < 100000; k++) {
            int fresh;
            fl_i64 i = ht_ii_at(&h, k * 7919, hash_i64(k * 7919), &fresh);
            cr_assert_eq(fresh, round == 0);
            h.slots[i].val = fresh ? 1 : h.slots[i].val + 1;
        }
    cr_assert_eq(h.n, 100000);
    cr_assert(h.cap >= 2 * h.n, "the table stays at most half full");
    fl_i64 total = 0, seen = 0;
    for (fl_i64 i = 0; i < h.cap; i++)
        if (h.slots[i].hash) {
            cr_assert_eq(h.slots[i].val, 3);
            cr_assert_eq(h.slots[i].key % 7919, 0);
            total += h.slots[i].val;
            seen++;
        }
    cr_assert_eq(seen, 100000);
    cr_assert_eq(total, 300000);
    ht_ii_free(&h);
    cr_assert_eq(h.cap, 0);
}

/* Compact tables (up to 256 KB of positions as entries) are probed 8
 * positions at a time by their tags in native code, position by position
 * in tcc's; larger ones keep their entries in place: hashes made to
 * collide (a few distinct low bits, tags equal or not, runs that wrap
 * around the table's end) give every key its one entry through growths
 * past the threshold; a key not in the table finds an empty entry; the
 * probe position by position (ht_lin, the same layout) finds what the
 * tags find; and a compact table's entries are dense, in insertion order. */
Test(ht, tagged_probes_agree_with_linear_ones)
{
    enum { N = 12000 };
    ht_ii h = {0};
    int compact_seen = 0;
    for (fl_i64 k = 0; k < N; k++) {
        /* home positions in a small range near the end, tags from k's low bits */
        fl_u64 hv = (fl_u64)(1020 + k % 7) | ((fl_u64)(k % 5) << 56) | ((fl_u64)k << 20);
        int fresh;
        fl_i64 at = ht_ii_at(&h, k, hv, &fresh);
        cr_assert(fresh, "key %lld found before it went in", (long long)k);
        if (h.tags) {
            cr_assert_eq(at, k, "a compact table's entries in insertion order");
            compact_seen = 1;
        }
        h.slots[at].val = k * 3;
        if (k % 997 == 0 || k == N - 1)
            for (fl_i64 j = 0; j <= k; j++) {
                fl_u64 hj = (fl_u64)(1020 + j % 7) | ((fl_u64)(j % 5) << 56) | ((fl_u64)j << 20);
                fl_i64 a = ht_ii_find(&h, j, hj);
                cr_assert(h.slots[a].hash && h.slots[a].key == j && h.slots[a].val == j * 3,
                          "key %lld of %lld (cap %lld)", (long long)j, (long long)k, (long long)h.cap);
                ht_lin lin;
                memcpy(&lin, &h, sizeof lin);
                cr_assert_eq(ht_lin_find(&lin, j, hj), a, "the probe position by position differs, key %lld", (long long)j);
            }
        fl_u64 hm = (fl_u64)(1020 + k % 7) | ((fl_u64)(k % 5) << 56) | ((fl_u64)(N + k) << 20);
        cr_assert_eq(h.slots[ht_ii_find(&h, N + k, hm)].hash, 0, "a missing key found");
        ht_lin lin;
        memcpy(&lin, &h, sizeof lin);
        cr_assert_eq(lin.slots[ht_lin_find(&lin, N + k, hm)].hash, 0, "a missing key found position by position");
    }
    cr_assert(compact_seen, "the table started compact");
    (void)ht_lin_free;
    cr_assert(h.tags == NULL && (h.mask + 1) * (fl_i64)sizeof *h.slots > 256 * 1024, "the table never outgrew its tags");
    ht_ii_free(&h);
}

Test(ht, string_keys_compare_by_content)
{
    ht_si h = {0};
    char a[] = "word", b[] = "word";  /* equal text at different addresses */
    fl_str sa = {a, 4}, sb = {b, 4}, sc = {"wore", 4}, prefix = {"wor", 3};
    int fresh;
    fl_i64 i = ht_si_at(&h, sa, hash_str(sa), &fresh);
    cr_assert(fresh);
    h.slots[i].val = 10;
    fl_i64 j = ht_si_at(&h, sb, hash_str(sb), &fresh);
    cr_assert_not(fresh);
    cr_assert_eq(i, j);
    ht_si_at(&h, sc, hash_str(sc), &fresh);
    cr_assert(fresh);
    ht_si_at(&h, prefix, hash_str(prefix), &fresh);
    cr_assert(fresh, "a prefix is another key");
    cr_assert_eq(h.n, 3);
    fl_i64 k = ht_si_find(&h, sb, hash_str(sb));
    cr_assert(h.slots[k].hash);
    cr_assert_eq(h.slots[k].val, 10);
    ht_si_free(&h);
}

Test(ht, hashes_are_stable_across_calls)
{
    fl_str s = {"hello", 5};
    cr_assert_eq(fl_hash_str(s), fl_hash_bytes("hello", 5));
    cr_assert_neq(fl_hash_i64(1), fl_hash_i64(2));
    cr_assert_eq(fl_hash_i64(42), fl_hash_i64(42));
}

Test(gen, integer_division_is_checked_and_wraps)
{
    cr_assert_eq(fl_div(7, 2), 3);
    cr_assert_eq(fl_div(-7, 2), -3);
    cr_assert_eq(fl_mod(-7, 2), -1);
    cr_assert_eq(fl_div(FL_I64_MIN, -1), FL_I64_MIN, "wraps instead of trapping");
    cr_assert_eq(fl_mod(FL_I64_MIN, -1), 0);
}

Test(gen, f64_to_i64_saturates)
{
    cr_assert_eq(fl_f2i(3.9), 3);
    cr_assert_eq(fl_f2i(-3.9), -3);
    cr_assert_eq(fl_f2i(1e300), 9223372036854775807LL);
    cr_assert_eq(fl_f2i(-1e300), FL_I64_MIN);
    double nan = 0.0 / 0.0;
    cr_assert_eq(fl_f2i(nan), 0);
}

typedef struct { fl_i64 k, order; } kv;
static int cmp_kv(const void *x, const void *y)
{
    const kv *a = x, *b = y;
    return (a->k > b->k) - (a->k < b->k);
}

Test(gen, merge_sort_is_stable)
{
    fl_arena a = {0};
    kv v[1000];
    for (int i = 0; i < 1000; i++) {
        v[i].k = (i * 7919) % 10;
        v[i].order = i;
    }
    fl_msort(v, 1000, sizeof v[0], cmp_kv, &a);
    for (int i = 1; i < 1000; i++) {
        cr_assert_leq(v[i - 1].k, v[i].k);
        if (v[i - 1].k == v[i].k)
            cr_assert_lt(v[i - 1].order, v[i].order, "equal keys keep their order");
    }
    fl_msort(v, 0, sizeof v[0], cmp_kv, &a);
    fl_arena_free(&a);
}
