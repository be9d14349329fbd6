/* flowgen.h - small C99 helpers of generated code, included after
 * flowrt.h: string literals, checked integer division, f64 to i64, and the
 * open-addressing hash table template that keyed state is specialised from
 * (one instance per key and value type, hashed with the key's hash). */
#ifndef FLOWGEN_H
#define FLOWGEN_H

#include "flowrt.h"

void free(void *p);
double fmod(double x, double y);

static inline fl_str fl_lit(const char *p, fl_i64 n)
{
    fl_str s;
    s.ptr = p;
    s.len = n;
    return s;
}

/* Native builds hash inline (the same XXH3, so the same partitions). */
#if defined(FL_NATIVE) && !defined(__TINYC__)
#define XXH_INLINE_ALL
#include <xxhash.h>
#undef fl_hash_str
#define fl_hash_str(s) ((fl_u64)XXH3_64bits((s).ptr, (fl_size)(s).len))
#endif

/* The job's globals: the JIT's are found by name by the tiered JIT's
 * shared object (emit.c, em_global). */
#if defined(FL_NATIVE) && !defined(FL_TIER2)
#define FL_SHARED static
#else
#define FL_SHARED
#endif

#define fl_eq_num(x, y) ((x) == (y))
#define fl_panic(msg) fl_fail(0, "%s", msg)
#define FL_I64_MIN (-9223372036854775807LL - 1)

static inline fl_i64 fl_div(fl_i64 a, fl_i64 b)
{
    if (b == 0) {
        fl_panic("division by zero");
        return 0;
    }
    return b == -1 ? (fl_i64)(0ULL - (fl_u64)a) : a / b;
}

static inline fl_i64 fl_mod(fl_i64 a, fl_i64 b)
{
    if (b == 0) {
        fl_panic("division by zero (in %)");
        return 0;
    }
    return b == -1 ? 0 : a % b;
}

static inline double fl_fmod(double a, double b) { return fmod(a, b); }

/* f64 to i64, saturating (NaN is 0) instead of C's undefined behaviour. */
static inline fl_i64 fl_f2i(double x)
{
    if (x != x)
        return 0;
    if (x >= 9223372036854775807.0)
        return 9223372036854775807LL;
    if (x <= -9223372036854775808.0)
        return FL_I64_MIN;
    return (fl_i64)x;
}

/* A stable merge sort of n elements of `size` bytes (scratch from arena a). */
static void fl_msort(void *base, fl_i64 n, fl_i64 size, int (*cmp)(const void *, const void *), fl_arena *a)
{
    char *src = (char *)base, *tmp = (char *)fl_alloc(a, (n ? n : 1) * size), *dst = tmp;
    for (fl_i64 w = 1; w < n; w *= 2) {
        for (fl_i64 lo = 0; lo < n; lo += 2 * w) {
            fl_i64 mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            fl_i64 i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                memcpy(dst + size * k++, cmp(src + size * j, src + size * i) < 0 ? src + size * j++ : src + size * i++,
                       (fl_size)size);
            while (i < mid)
                memcpy(dst + size * k++, src + size * i++, (fl_size)size);
            while (j < hi)
                memcpy(dst + size * k++, src + size * j++, (fl_size)size);
        }
        char *t = src;
        src = dst;
        dst = t;
    }
    if (src != (char *)base)
        memcpy(base, src, (fl_size)(n * size));
}

/* FL_HT(name, K, V, hash, eq): a table from K to V, open addressing with
 * linear probing over an array of slots {hash, key, value} (a string key and
 * an i64 make 32 bytes: one cache line per probe; a hash of 0 marks an empty
 * slot, so stored hashes have their top bit set). name##_at(h, key, hv, &fresh) gives the index of key's
 * slot (inserting it, with fresh = 1; the caller stores the value);
 * iteration: for i < h.cap, if h.slots[i].hash. */
#define FL_HT(NAME, K, V, HASH, EQ)                                                     \
    typedef struct NAME##_slot {                                                        \
        fl_u64 hash; /* the key's hash with the top bit set; 0: an empty slot */        \
        K key;                                                                          \
        V val;                                                                          \
    } NAME##_slot;                                                                      \
    typedef struct NAME {                                                               \
        NAME##_slot *slots;                                                             \
        fl_i64 cap, n;                                                                  \
    } NAME;                                                                             \
    static void NAME##_free(NAME *h)                                                    \
    {                                                                                   \
        fl_table_free(h->slots, h->cap * (fl_i64)sizeof(NAME##_slot));                  \
        h->slots = 0;                                                                   \
        h->cap = h->n = 0;                                                              \
    }                                                                                   \
    static fl_i64 NAME##_find(NAME *h, K key, fl_u64 hv)                                \
    {                                                                                   \
        fl_i64 i = (fl_i64)(hv & (fl_u64)(h->cap - 1));                                 \
        fl_u64 tag = hv | (1ULL << 63);                                                 \
        while (h->slots[i].hash && !(h->slots[i].hash == tag && EQ(h->slots[i].key, key))) \
            i = (i + 1) & (h->cap - 1);                                                 \
        return i;                                                                       \
    }                                                                                   \
    static void NAME##_grow(NAME *h)                                                    \
    {                                                                                   \
        NAME old = *h;                                                                  \
        h->cap = old.cap ? old.cap * 2 : 1024;                                          \
        h->slots = (NAME##_slot *)fl_table_alloc(h->cap * (fl_i64)sizeof(NAME##_slot)); \
        for (fl_i64 i = 0; i < old.cap; i++)                                            \
            if (old.slots[i].hash) {                                                    \
                fl_i64 j = NAME##_find(h, old.slots[i].key, old.slots[i].hash);         \
                h->slots[j] = old.slots[i];                                             \
            }                                                                           \
        fl_table_free(old.slots, old.cap * (fl_i64)sizeof(NAME##_slot));                \
    }                                                                                   \
    static inline fl_i64 NAME##_at(NAME *h, K key, fl_u64 hv, int *fresh)               \
    {                                                                                   \
        if (2 * (h->n + 1) > h->cap)                                                    \
            NAME##_grow(h);                                                             \
        fl_i64 i = NAME##_find(h, key, hv);                                             \
        *fresh = !h->slots[i].hash;                                                     \
        if (*fresh) {                                                                   \
            h->slots[i].key = key;                                                      \
            h->slots[i].hash = hv | (1ULL << 63);                                       \
            h->n++;                                                                     \
        }                                                                               \
        return i;                                                                       \
    }

/* ---- time ---- */
/* A watermark: the largest time seen minus a delay (no overflow). */
static inline fl_i64 fl_wm_sub(fl_i64 t, fl_i64 d)
{
    return t < FL_TIME_MIN + d ? FL_TIME_MIN : t - d;
}
/* floor(a / b) for b > 0 (window starts of negative times). */
static inline fl_i64 fl_floor_div(fl_i64 a, fl_i64 b)
{
    fl_i64 q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}
static inline fl_i64 fl_gcd(fl_i64 a, fl_i64 b)
{
    while (b) {
        fl_i64 r = a % b;
        a = b;
        b = r;
    }
    return a;
}
/* A transaction window's decision: keep, commit, discard, or commit_after's
 * delay (zero or more). */
#define FL_TXN_KEEP (-1)
#define FL_TXN_COMMIT (-2)
#define FL_TXN_DISCARD (-3)
static inline fl_i64 fl_txn_after(fl_i64 t)
{
    if (t < 0) {
        fl_panic("commit_after(t): t cannot be negative");
        return 0;
    }
    return t;
}

#endif
