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
 * entries prefetched first (emit_stage.c, se_agg_update). */
#define FL_PROBES 16
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

/* FL_HT(name, K, V, hash, eq): a table from K to V with linear probing,
 * its entries {hash, key, value} in h.slots (a hash of 0 marks an empty
 * one; stored hashes have their top bit set). name##_at(h, key, hv, &fresh)
 * gives the index of key's entry (inserting it, with fresh = 1; the caller
 * stores the value); name##_find gives it, or an index whose hash is 0;
 * iteration: for i < h.cap, if h.slots[i].hash. An index stays valid until
 * the next insertion (a growth moves the entries).
 *
 * Two layouts, by size. A table of up to FL_HT_SMALL_BYTES of positions
 * (as entries) is compact: its entries are dense, in the order they came,
 * with beside them a 16-bit entry number and a tag byte per position
 * (Python's dict): 1000 str keys take 59 KB instead of 100 KB. A larger
 * table keeps its entries in the positions themselves (no tags, no
 * numbers): a probe of a table that misses the cache costs the entry's
 * cache miss only. */
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

/* A keyed aggregation's table hash of a str key (pf its prefix word, loaded
 * once for the hash and the probe): keys of up to 8 bytes
 * hash their prefix word with one multiply (no dispatch on the length,
 * which mispredicts on keys of mixed short lengths); longer ones XXH3. A
 * table's hash is its own: rows are routed by fl_hash_str. */
static inline fl_u64 fl_str_thash_pf(fl_str s, fl_u64 pf)   /* pf: fl_str_pfx(s) */
{
    if (s.len > 8)
        return fl_hash_str(s);
    fl_u64 h = (pf ^ ((fl_u64)s.len << 59)) * 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 32);
}

/* The keys a table of cap positions holds before it grows: half (a
 * quarter paid before the probes went by tags: fewer keys away from home). */
#define FL_HT_LIM(cap) ((cap) / 2)
#define FL_HT(NAME, K, V, HASH, EQ) FL_HT_CORE(NAME, K, V, , FL_PFX_NONE, FL_MATCH_EQ, EQ, FL_SETPFX_NONE)
/* A table of str keys keeps the first 8 bytes of each key in its entry
 * (pfx): a key of up to 8 bytes is matched without reading its text, so a
 * probe of a large table takes one cache miss, not two. */
#define FL_HT_STR(NAME, V, HASH)                                                        \
    FL_HT_CORE(NAME, fl_str, V, fl_u64 pfx;, fl_str_pfx, FL_MATCH_STR, 0, FL_SETPFX_STR) \
    /* at with the table's hash, fl_str_thash, from the same prefix load */             \
    static FL_INLINE fl_i64 NAME##_at_key(NAME *h, fl_str key, int *fresh)              \
    {                                                                                   \
        fl_u64 pf = fl_str_pfx(key);                                                    \
        return NAME##_at_pf(h, key, fl_str_thash_pf(key, pf), pf, fresh);               \
    }
#define FL_PFX_NONE(k) 0
#define FL_SETPFX_NONE(S, pf)
#define FL_SETPFX_STR(S, pf) (S).pfx = (pf);
#define FL_MATCH_EQ(S, k, pf, EQ) EQ((S).key, k)
#define FL_MATCH_STR(S, k, pf, EQ) \
    ((S).pfx == (pf) && (S).key.len == (k).len && ((k).len <= 8 || fl_str_eq((S).key, k)))
/* A compact table's tags: a byte per position (0x80 and bits 56-62 of the
 * key's hash; 0 for an empty one), the first 8 again after the last, so
 * that any 8 consecutive ones are one load. Native code probes 8 positions
 * at a time by their tags: the entries whose tag matches, then the group's
 * first empty position (no branch on where in the group the key is, which
 * a position-by-position probe mispredicts: group-by 0.156 -> 0.138 s);
 * tcc's code probes position by position. Both keep the same layout, so a
 * table moves between the tiers as it is. */
#define FL_TAG(hv) ((unsigned char)(0x80 | ((hv) >> 56)))
#define FL_HT_SMALL_BYTES (256 * 1024)
#define FL_HT_COMPACT(cap, slot) ((cap) * (fl_i64)(slot) <= FL_HT_SMALL_BYTES)
/* A compact table: FL_HT_LIM(cap) + 1 entries (one always empty: what find
 * gives for a missing key), then cap entry numbers, then cap + 8 tags. */
#define FL_HT_ENTRIES(cap, slot) (FL_HT_COMPACT(cap, slot) ? FL_HT_LIM(cap) + 1 : (cap))
#define FL_HT_BYTES(cap, slot) \
    (FL_HT_COMPACT(cap, slot) ? (FL_HT_LIM(cap) + 1) * (fl_i64)(slot) + 3 * (cap) + 8 : (cap) * (fl_i64)(slot))
/* A table small enough to be probed at once (emit_stage.c's batched probes
 * are for tables that miss the cache). */
#define FL_HT_SMALL(h) (!(h).cap || (h).tags)
#define FL_HT_PREFETCH(h, hv) \
    do { if (!(h).tags && (h).cap) FL_PREFETCH(&(h).slots[(hv) & (fl_u64)(h).mask]); } while (0)
#if defined(__GNUC__) && !defined(__TINYC__)
#define FL_HT_GROUPS 1
#else
#define FL_HT_GROUPS 0
#endif
static inline void fl_ht_settag(unsigned char *tags, fl_i64 cap, fl_i64 i, fl_u64 hv)
{
    tags[i] = FL_TAG(hv);
    if (i < 8)
        tags[cap + i] = FL_TAG(hv);
}
/* The position of the first empty tag from i on (there is one). */
static inline fl_i64 fl_ht_empty(const unsigned char *tags, fl_i64 mask, fl_i64 i)
{
    while (tags[i])
        i = (i + 1) & mask;
    return i;
}
#define FL_HT_CORE(NAME, K, V, EXTRA, PFX, MATCH, EQ, SETPFX)                             \
    typedef struct NAME##_slot {                                                        \
        fl_u64 hash; /* the key's hash with the top bit set; 0: an empty entry */      \
        K key;                                                                          \
        EXTRA                                                                           \
        V val;                                                                          \
    } NAME##_slot;                                                                      \
    typedef struct NAME {                                                               \
        NAME##_slot *slots;                                                             \
        unsigned short *num;  /* compact: the entry at each position */                 \
        unsigned char *tags;  /* compact: the tag of each position; NULL: not compact */ \
        fl_i64 cap, n, lim;   /* entries; keys; the keys it holds before it grows */    \
        fl_i64 mask;          /* positions - 1 */                                       \
    } NAME;                                                                             \
    static void NAME##_free(NAME *h)                                                    \
    {                                                                                   \
        if (h->slots)                                                                   \
            fl_table_free(h->slots, FL_HT_BYTES(h->mask + 1, sizeof(NAME##_slot)));     \
        h->slots = 0;                                                                   \
        h->num = 0;                                                                     \
        h->tags = 0;                                                                    \
        h->cap = h->n = h->lim = h->mask = 0;                                           \
    }                                                                                   \
    static void NAME##_alloc(NAME *h, fl_i64 cap)                                       \
    {                                                                                   \
        fl_i64 ne = FL_HT_ENTRIES(cap, sizeof(NAME##_slot));                            \
        h->cap = ne;                                                                    \
        h->mask = cap - 1;                                                              \
        h->lim = FL_HT_LIM(cap);                                                        \
        h->slots = (NAME##_slot *)fl_table_alloc(FL_HT_BYTES(cap, sizeof(NAME##_slot))); \
        h->num = FL_HT_COMPACT(cap, sizeof(NAME##_slot)) ? (unsigned short *)(h->slots + ne) : 0; \
        h->tags = h->num ? (unsigned char *)(h->num + cap) : 0;                        \
    }                                                                                   \
    /* key's entry, or -1 with *pos its position to be; pf: PFX(key) */               \
    static FL_INLINE fl_i64 NAME##_probe(NAME *h, K key, fl_u64 hv, fl_u64 pf, fl_i64 *pos) \
    {                                                                                   \
        fl_i64 mask = h->mask, i = (fl_i64)(hv & (fl_u64)mask);                         \
        fl_u64 tag = hv | (1ULL << 63);                                                 \
        (void)pf;                                                                       \
        if (!h->tags) {                                                                 \
            while (h->slots[i].hash && !(h->slots[i].hash == tag && MATCH(h->slots[i], key, pf, EQ))) \
                i = (i + 1) & mask;                                                     \
            *pos = i;                                                                   \
            return h->slots[i].hash ? i : -1;                                           \
        }                                                                               \
        if (FL_HT_GROUPS) {                                                             \
            fl_u64 tw = FL_ONES * FL_TAG(hv);                                           \
            for (;;) {                                                                  \
                fl_u64 g, m, z;                                                         \
                memcpy(&g, h->tags + i, 8);                                             \
                for (m = FL_ZBYTES(g ^ tw); m; m &= m - 1) {                            \
                    fl_i64 e = h->num[(i + (fl_ctz(m) >> 3)) & mask];                   \
                    if (h->slots[e].hash == tag && MATCH(h->slots[e], key, pf, EQ))     \
                        return e;                                                       \
                }                                                                       \
                if ((z = FL_ZBYTES(g)) != 0) {                                          \
                    *pos = (i + (fl_ctz(z) >> 3)) & mask;                               \
                    return -1;                                                          \
                }                                                                       \
                i = (i + 8) & mask;                                                     \
            }                                                                           \
        }                                                                               \
        for (unsigned char tg = FL_TAG(hv); h->tags[i]; i = (i + 1) & mask) {           \
            fl_i64 e = h->num[i];                                                       \
            if (h->tags[i] == tg && h->slots[e].hash == tag && MATCH(h->slots[e], key, pf, EQ)) \
                return e;                                                               \
        }                                                                               \
        *pos = i;                                                                       \
        return -1;                                                                      \
    }                                                                                   \
    static FL_INLINE fl_i64 NAME##_find(NAME *h, K key, fl_u64 hv)                      \
    {                                                                                   \
        fl_i64 pos, e = NAME##_probe(h, key, hv, PFX(key), &pos);                       \
        return e >= 0 ? e : h->tags ? h->n : pos;                                       \
    }                                                                                   \
    /* a new entry at free position pos, its hash set (the rest is zero) */            \
    static fl_i64 NAME##_place(NAME *h, fl_i64 pos, fl_u64 hash)                        \
    {                                                                                   \
        fl_i64 e = pos;                                                                 \
        if (h->tags) {                                                                  \
            e = h->n;                                                                   \
            h->num[pos] = (unsigned short)e;                                            \
            fl_ht_settag(h->tags, h->mask + 1, pos, hash);                              \
        }                                                                               \
        h->slots[e].hash = hash;                                                        \
        h->n++;                                                                         \
        return e;                                                                       \
    }                                                                                   \
    FL_NOINLINE static void NAME##_grow(NAME *h)                                        \
    {                                                                                   \
        NAME old = *h;                                                                  \
        NAME##_alloc(h, old.cap ? (old.mask + 1) * 2 : 1024);                           \
        h->n = 0;                                                                       \
        for (fl_i64 i = 0; i < old.cap; i++)                                            \
            if (old.slots[i].hash) {                                                    \
                fl_i64 j = (fl_i64)(old.slots[i].hash & (fl_u64)h->mask);               \
                if (h->tags)                                                            \
                    j = fl_ht_empty(h->tags, h->mask, j);                               \
                else                                                                    \
                    while (h->slots[j].hash)                                            \
                        j = (j + 1) & h->mask;                                          \
                h->slots[NAME##_place(h, j, old.slots[i].hash)] = old.slots[i];         \
            }                                                                           \
        if (old.slots)                                                                  \
            fl_table_free(old.slots, FL_HT_BYTES(old.mask + 1, sizeof(NAME##_slot)));   \
    }                                                                                   \
    static inline void NAME##_reserve(NAME *h, fl_i64 n) /* an empty table for n keys */ \
    {                                                                                   \
        fl_i64 cap = 1024;                                                              \
        while (FL_HT_LIM(cap) <= n)                                                     \
            cap *= 2;                                                                   \
        NAME##_alloc(h, cap);                                                           \
        h->n = 0;                                                                       \
    }                                                                                   \
    /* pf: PFX(key), computed by the caller once for the hash and the probe */        \
    static FL_INLINE fl_i64 NAME##_at_pf(NAME *h, K key, fl_u64 hv, fl_u64 pf, int *fresh) \
    {                                                                                   \
        if (FL_UNLIKELY(h->n >= h->lim))                                                \
            NAME##_grow(h);                                                             \
        fl_i64 pos, e = NAME##_probe(h, key, hv, pf, &pos);                             \
        *fresh = e < 0;                                                                 \
        if (e < 0) {                                                                    \
            e = NAME##_place(h, pos, hv | (1ULL << 63));                                \
            h->slots[e].key = key;                                                      \
            SETPFX(h->slots[e], pf)                                                     \
        }                                                                               \
        return e;                                                                       \
    }                                                                                   \
    static FL_INLINE fl_i64 NAME##_at(NAME *h, K key, fl_u64 hv, int *fresh)            \
    {                                                                                   \
        return NAME##_at_pf(h, key, hv, PFX(key), fresh);                               \
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
