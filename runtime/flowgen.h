/* flowgen.h - small C99 helpers of generated code, included after
 * flowrt.h: string literals, checked integer division, f64 to i64, and the
 * open-addressing hash table template that keyed state is specialised from
 * (one instance per key and value type, hashed with the key's hash). */
#ifndef FLOWGEN_H
#define FLOWGEN_H

#include "flowrt.h"

void *calloc(fl_size n, fl_size size);
void free(void *p);
double fmod(double x, double y);

static inline fl_str fl_lit(const char *p, fl_i64 n)
{
    fl_str s;
    s.ptr = p;
    s.len = n;
    return s;
}

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

/* FL_HT(name, K, V, hash, eq): a table from K to V. name##_at(h, key, hv,
 * &fresh) gives the slot of key (inserting it, with fresh = 1), and the
 * caller stores the value; iteration: for i < h.cap, if h.used[i]. */
#define FL_HT(NAME, K, V, HASH, EQ)                                                     \
    typedef struct NAME {                                                               \
        K *keys;                                                                        \
        V *vals;                                                                        \
        fl_u64 *hashes;                                                                 \
        unsigned char *used;                                                            \
        fl_i64 cap, n;                                                                  \
    } NAME;                                                                             \
    static void NAME##_free(NAME *h)                                                    \
    {                                                                                   \
        free(h->keys);                                                                  \
        free(h->vals);                                                                  \
        free(h->hashes);                                                                \
        free(h->used);                                                                  \
        h->keys = 0;                                                                    \
        h->cap = h->n = 0;                                                              \
    }                                                                                   \
    static void NAME##_alloc(NAME *h, fl_i64 cap)                                       \
    {                                                                                   \
        h->keys = (K *)calloc((fl_size)cap, sizeof(K));                                 \
        h->vals = (V *)calloc((fl_size)cap, sizeof(V));                                 \
        h->hashes = (fl_u64 *)calloc((fl_size)cap, sizeof(fl_u64));                     \
        h->used = (unsigned char *)calloc((fl_size)cap, 1);                             \
        h->cap = cap;                                                                   \
        h->n = 0;                                                                       \
        if (!h->keys || !h->vals || !h->hashes || !h->used)                             \
            fl_panic("out of memory in a hash table");                                  \
    }                                                                                   \
    static fl_i64 NAME##_find(NAME *h, K key, fl_u64 hv)                                \
    {                                                                                   \
        fl_i64 i = (fl_i64)(hv & (fl_u64)(h->cap - 1));                                 \
        while (h->used[i] && !(h->hashes[i] == hv && EQ(h->keys[i], key)))              \
            i = (i + 1) & (h->cap - 1);                                                 \
        return i;                                                                       \
    }                                                                                   \
    static void NAME##_grow(NAME *h)                                                    \
    {                                                                                   \
        NAME old = *h;                                                                  \
        NAME##_alloc(h, old.cap ? old.cap * 2 : 1024);                                  \
        for (fl_i64 i = 0; i < old.cap; i++)                                            \
            if (old.used[i]) {                                                          \
                fl_i64 j = NAME##_find(h, old.keys[i], old.hashes[i]);                  \
                h->used[j] = 1;                                                         \
                h->keys[j] = old.keys[i];                                               \
                h->vals[j] = old.vals[i];                                               \
                h->hashes[j] = old.hashes[i];                                           \
                h->n++;                                                                 \
            }                                                                           \
        NAME##_free(&old);                                                              \
    }                                                                                   \
    static fl_i64 NAME##_at(NAME *h, K key, fl_u64 hv, int *fresh)                      \
    {                                                                                   \
        if (2 * (h->n + 1) > h->cap)                                                    \
            NAME##_grow(h);                                                             \
        fl_i64 i = NAME##_find(h, key, hv);                                             \
        *fresh = !h->used[i];                                                           \
        if (*fresh) {                                                                   \
            h->used[i] = 1;                                                             \
            h->keys[i] = key;                                                           \
            h->hashes[i] = hv;                                                          \
            h->n++;                                                                     \
        }                                                                               \
        return i;                                                                       \
    }

#endif
