/* hash.c - hashing and ordering of strings. Keys are hashed with XXH3
 * (libxxhash), the same function on every host and in both back ends, so
 * that a hash repartition sends a key to the same task everywhere. */
#define _GNU_SOURCE
#include <string.h>
#define XXH_INLINE_ALL   /* no libxxhash at run time: jobs link only libc, libm, pthreads */
#include <xxhash.h>

#include "flrt_int.h"

fl_u64 fl_hash_bytes(const void *p, fl_i64 len)
{
    return (fl_u64)XXH3_64bits(p, (size_t)len);
}

/* Bytes compared as unsigned, then the shorter string first. */
int fl_str_cmp(fl_str a, fl_str b)
{
    fl_i64 n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, (size_t)n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return a.len < b.len ? -1 : a.len > b.len;
}
