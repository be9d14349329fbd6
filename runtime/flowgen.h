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
#define fl_hash_str(s) fl_hash_str_native(s)
/* Keys of up to 16 bytes (most) take XXH3's short path inline: the same
 * value as XXH3_64bits, without its dispatch on the length. */
__attribute__((noinline)) static fl_u64 fl_hash_long(fl_str s)
{
    return (fl_u64)XXH3_64bits(s.ptr, (fl_size)s.len);
}
static inline fl_u64 fl_hash_str_native(fl_str s)
{
#if XXH_VERSION_NUMBER >= 800 && XXH_VERSION_NUMBER < 900
    if (s.len <= 16)
        return (fl_u64)XXH3_len_0to16_64b((const xxh_u8 *)s.ptr, (size_t)s.len, XXH3_kSecret, 0);
#endif
    return fl_hash_long(s);
}
#endif

/* The job's globals: the JIT's are found by name by the tiered JIT's
 * shared object (emit.c, em_global). */
#if defined(FL_NATIVE) && !defined(FL_TIER2)
#define FL_SHARED static
#else
#define FL_SHARED
#endif

#if defined(__GNUC__) && !defined(__TINYC__)
#define FL_NOINLINE __attribute__((noinline))
#define FL_INLINE __attribute__((always_inline)) inline
#define FL_UNLIKELY(c) __builtin_expect(!!(c), 0)
#else
#define FL_NOINLINE
#define FL_INLINE inline
#define FL_UNLIKELY(c) (c)
#endif

/* Keyed aggregations probe their tables in groups of FL_PROBES rows, the
 * slots prefetched first (emit_stage.c, se_agg_update). */
#define FL_PROBES 16
#define FL_HT_SMALL(h) ((h).cap * (fl_i64)sizeof *(h).slots <= 256 * 1024)
#if defined(__GNUC__) && !defined(__TINYC__)
#define FL_PREFETCH(p) __builtin_prefetch(p)
#else
#define FL_PREFETCH(p) ((void)0)
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
/* The first 8 bytes of s (zeros after its end), little-endian: one load
 * when the 8 bytes lie in one page (reading past the string's end there
 * cannot fault; AddressSanitizer is told), else byte by byte. */
#if defined(__GNUC__) && !defined(__TINYC__)
__attribute__((no_sanitize_address))
#endif
static inline fl_u64 fl_str_pfx(fl_str s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    fl_i64 n = s.len < 8 ? s.len : 8;
    fl_u64 w = 0;
    if (n && ((unsigned long)p & 4095) <= 4088) {
        memcpy(&w, p, 8);
        return n == 8 ? w : w & ((1ULL << (8 * n)) - 1);
    }
    for (fl_i64 i = 0; i < n; i++)
        w |= (fl_u64)p[i] << (8 * i);
    return w;
}

/* A keyed aggregation's table hash of a str key: keys of up to 8 bytes
 * hash their prefix word with one multiply (no dispatch on the length,
 * which mispredicts on keys of mixed short lengths); longer ones XXH3. A
 * table's hash is its own: rows are routed by fl_hash_str. */
static inline fl_u64 fl_str_thash(fl_str s)
{
    if (s.len > 8)
        return fl_hash_str(s);
    fl_u64 h = (fl_str_pfx(s) ^ ((fl_u64)s.len << 59)) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 32);
}

/* The keys a table of cap slots holds before it grows: half (a quarter
 * paid before the probes went by tags: fewer keys away from home). */
#define FL_HT_LIM(cap, slot) ((cap) / 2)
#define FL_HT(NAME, K, V, HASH, EQ) FL_HT_CORE(NAME, K, V, , FL_PFX_NONE, FL_MATCH_EQ, EQ, FL_SETPFX_NONE)
/* A table of str keys keeps the first 8 bytes of each key in its slot
 * (pfx): a key of up to 8 bytes is matched without reading its text, so a
 * probe of a large table takes one cache miss, not two. */
#define FL_HT_STR(NAME, V, HASH) FL_HT_CORE(NAME, fl_str, V, fl_u64 pfx;, fl_str_pfx, FL_MATCH_STR, 0, FL_SETPFX_STR)
#define FL_PFX_NONE(k) 0
#define FL_SETPFX_NONE(S, pf)
#define FL_SETPFX_STR(S, pf) (S).pfx = (pf);
#define FL_MATCH_EQ(S, k, pf, EQ) EQ((S).key, k)
#define FL_MATCH_STR(S, k, pf, EQ) \
    ((S).pfx == (pf) && (S).key.len == (k).len && ((k).len <= 8 || fl_str_eq((S).key, k)))
/* A table of up to 256 KB of slots (one in the cache) has beside them a
 * byte per slot (its tag: 0x80 and bits 56-62 of the key's hash; 0 for an
 * empty slot), the first 8 again after the last, so that any 8 consecutive
 * ones are one load. Native code probes it 8 slots at a time by their
 * tags: the slots whose tag matches, then the group's first empty slot (no
 * branch on where in the group the key is, which a slot-by-slot probe
 * mispredicts: group-by 0.156 -> 0.138 s); tcc's code probes slot by slot.
 * Both keep the tags, so a table moves between the tiers as it is. A
 * larger table has none: its probe's cost is the slot's cache miss, which
 * a tag would double. */
#define FL_TAG(hv) ((unsigned char)(0x80 | ((hv) >> 56)))
#define FL_HT_TAGGED(cap, slot) ((cap) * (fl_i64)(slot) <= 256 * 1024)
#define FL_HT_BYTES(cap, slot) ((cap) * (fl_i64)(slot) + (FL_HT_TAGGED(cap, slot) ? (cap) + 8 : 0))
#if defined(__GNUC__) && !defined(__TINYC__)
#define FL_HT_GROUPS 1
#else
#define FL_HT_GROUPS 0
#endif
static inline void fl_ht_settag(unsigned char *tags, fl_i64 cap, fl_i64 i, fl_u64 hv)
{
    if (!tags)
        return;
    tags[i] = FL_TAG(hv);
    if (i < 8)
        tags[cap + i] = FL_TAG(hv);
}
#define FL_HT_CORE(NAME, K, V, EXTRA, PFX, MATCH, EQ, SETPFX)                             \
    typedef struct NAME##_slot {                                                        \
        fl_u64 hash; /* the key's hash with the top bit set; 0: an empty slot */        \
        K key;                                                                          \
        EXTRA                                                                           \
        V val;                                                                          \
    } NAME##_slot;                                                                      \
    typedef struct NAME {                                                               \
        NAME##_slot *slots;                                                             \
        unsigned char *tags; /* after the slots, in the same allocation; or NULL */     \
        fl_i64 cap, n, lim;  /* lim: the keys it holds before it grows */               \
    } NAME;                                                                             \
    static void NAME##_free(NAME *h)                                                    \
    {                                                                                   \
        if (h->slots)                                                                   \
            fl_table_free(h->slots, FL_HT_BYTES(h->cap, sizeof(NAME##_slot)));          \
        h->slots = 0;                                                                   \
        h->tags = 0;                                                                    \
        h->cap = h->n = h->lim = 0;                                                     \
    }                                                                                   \
    static void NAME##_alloc(NAME *h, fl_i64 cap)                                       \
    {                                                                                   \
        h->cap = cap;                                                                   \
        h->lim = FL_HT_LIM(cap, sizeof(NAME##_slot));                                   \
        h->slots = (NAME##_slot *)fl_table_alloc(FL_HT_BYTES(cap, sizeof(NAME##_slot))); \
        h->tags = FL_HT_TAGGED(cap, sizeof(NAME##_slot)) ? (unsigned char *)(h->slots + cap) : 0; \
    }                                                                                   \
    static FL_INLINE fl_i64 NAME##_find(NAME *h, K key, fl_u64 hv)                      \
    {                                                                                   \
        fl_i64 mask = h->cap - 1, i = (fl_i64)(hv & (fl_u64)mask);                      \
        fl_u64 tag = hv | (1ULL << 63), pf = PFX(key);                                  \
        (void)pf;                                                                       \
        if (FL_HT_GROUPS && h->tags) {                                                  \
            fl_u64 tw = FL_ONES * FL_TAG(hv);                                           \
            for (;;) {                                                                  \
                fl_u64 g, m, z;                                                         \
                memcpy(&g, h->tags + i, 8);                                             \
                for (m = FL_ZBYTES(g ^ tw); m; m &= m - 1) {                            \
                    fl_i64 j = (i + (fl_ctz(m) >> 3)) & mask;                           \
                    if (h->slots[j].hash == tag && MATCH(h->slots[j], key, pf, EQ))     \
                        return j;                                                       \
                }                                                                       \
                if ((z = FL_ZBYTES(g)) != 0)                                            \
                    return (i + (fl_ctz(z) >> 3)) & mask;                               \
                i = (i + 8) & mask;                                                     \
            }                                                                           \
        }                                                                               \
        while (h->slots[i].hash && !(h->slots[i].hash == tag && MATCH(h->slots[i], key, pf, EQ))) \
            i = (i + 1) & mask;                                                         \
        return i;                                                                       \
    }                                                                                   \
    FL_NOINLINE static void NAME##_grow(NAME *h)                                        \
    {                                                                                   \
        NAME old = *h;                                                                  \
        NAME##_alloc(h, old.cap ? old.cap * 2 : 1024);                                  \
        for (fl_i64 i = 0; i < old.cap; i++)                                            \
            if (old.slots[i].hash) {                                                    \
                fl_i64 j = (fl_i64)(old.slots[i].hash & (fl_u64)(h->cap - 1));          \
                while (h->slots[j].hash)                                                \
                    j = (j + 1) & (h->cap - 1);                                         \
                h->slots[j] = old.slots[i];                                             \
                fl_ht_settag(h->tags, h->cap, j, old.slots[i].hash);                    \
            }                                                                           \
        if (old.slots)                                                                  \
            fl_table_free(old.slots, FL_HT_BYTES(old.cap, sizeof(NAME##_slot)));        \
    }                                                                                   \
    static inline void NAME##_reserve(NAME *h, fl_i64 n) /* an empty table for n keys */ \
    {                                                                                   \
        fl_i64 cap = 1024;                                                              \
        while (FL_HT_LIM(cap, sizeof(NAME##_slot)) <= n)                                \
            cap *= 2;                                                                   \
        NAME##_alloc(h, cap);                                                           \
        h->n = 0;                                                                       \
    }                                                                                   \
    static FL_INLINE fl_i64 NAME##_at(NAME *h, K key, fl_u64 hv, int *fresh)            \
    {                                                                                   \
        if (FL_UNLIKELY(h->n >= h->lim))                                                \
            NAME##_grow(h);                                                             \
        fl_i64 i = NAME##_find(h, key, hv);                                             \
        *fresh = !h->slots[i].hash;                                                     \
        if (*fresh) {                                                                   \
            h->slots[i].key = key;                                                      \
            h->slots[i].hash = hv | (1ULL << 63);                                       \
            fl_ht_settag(h->tags, h->cap, i, hv);                                       \
            SETPFX(h->slots[i], PFX(key))                                               \
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
