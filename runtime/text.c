/* text.c - text building (fl_buf: what sinks and to_str write into), the UTF-8 check
 * of the JSON and Arrow writers, and
 * the string builtins of the language (lower, upper, trim, split, words,
 * substr, ...). Results that are new text go to the caller's arena; trim
 * and substr return slices of their argument, as split and words return
 * slices of theirs (only the vector of parts is allocated).
 *
 * Numbers: i64 in decimal; f64 as the shortest %g-style text that reads
 * back to the same double (0.1 -> "0.1", 3.0 -> "3", 1e21 -> "1e+21"). */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flrt_int.h"

/* ---- buffers ---- */

void fl_buf_reserve(fl_buf *b, fl_i64 more)
{
    if (more < 0 || b->len > INT64_MAX / 2 - more)
        flrt_oom(more);
    fl_i64 need = b->len + more;
    if (need <= b->cap)
        return;
    fl_i64 cap = b->cap ? b->cap * 2 : 256;
    while (cap < need)
        cap *= 2;
    b->p = flrt_xrealloc(b->p, (size_t)cap);
    b->cap = cap;
}

void fl_ser_toolong(fl_i64 n)
{
    fl_fail(NULL, "a string or vector of %lld items cannot be sent to another process "
                  "(the limit is 4294967295)", (long long)n);
}

void fl_buf_free(fl_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

int flrt_fmt_i64(char *out, fl_i64 v)
{
    char tmp[24];
    int n = 0;
    fl_u64 x = v < 0 ? 0 - (fl_u64)v : (fl_u64)v;
    do {
        tmp[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    int len = 0;
    if (v < 0)
        out[len++] = '-';
    while (n)
        out[len++] = tmp[--n];
    return len;
}

/* For a normal double, %.15g is the shortest text when some text of at
 * most 15 digits reads back (v is within half an ulp of that text, far
 * less than half a unit of its 15th digit); otherwise 16 or 17 digits do.
 * Subnormals have fewer bits, so all precisions are tried from 1. */
int flrt_fmt_f64(char *out, double v)
{
    if (isnan(v)) {
        memcpy(out, "nan", 3);
        return 3;
    }
    int n = 0;
    for (int prec = fpclassify(v) == FP_SUBNORMAL ? 1 : 15; prec <= 17; prec++) {
        n = snprintf(out, 32, "%.*g", prec, v);
        if (prec == 17 || strtod(out, NULL) == v)
            break;
    }
    return n;
}

int flrt_line_next(const char *buf, fl_i64 len, fl_i64 *at, int at_end, fl_str *line)
{
    const char *s = buf + *at;
    fl_i64 avail = len - *at;
    const char *nl = avail ? memchr(s, '\n', (size_t)avail) : NULL;
    if (!nl && !(at_end && avail > 0))
        return 0;
    fl_i64 n = nl ? nl - s : avail;
    *at += nl ? n + 1 : n;
    line->ptr = s;
    line->len = n && s[n - 1] == '\r' ? n - 1 : n;
    return 1;
}

void fl_buf_i64(fl_buf *b, fl_i64 v)
{
    fl_buf_reserve(b, 24);
    b->len += flrt_fmt_i64(b->p + b->len, v);
}

void fl_buf_f64(fl_buf *b, double v)
{
    fl_buf_reserve(b, 32);
    b->len += flrt_fmt_f64(b->p + b->len, v);
}

void fl_buf_csv_str(fl_buf *b, fl_str s)
{
    int quote = 0;
    for (fl_i64 i = 0; i < s.len && !quote; i++)
        quote = s.ptr[i] == ',' || s.ptr[i] == '"' || s.ptr[i] == '\n' || s.ptr[i] == '\r';
    if (!quote) {
        fl_buf_put(b, s.ptr, s.len);
        return;
    }
    fl_buf_putc(b, '"');
    for (fl_i64 i = 0; i < s.len; i++) {
        if (s.ptr[i] == '"')
            fl_buf_putc(b, '"');
        fl_buf_putc(b, s.ptr[i]);
    }
    fl_buf_putc(b, '"');
}

/* ---- strings ---- */

static fl_str str_new(fl_arena *a, const char *p, fl_i64 n)
{
    fl_str r = {p, n};
    return fl_str_copy(a, r);
}

fl_str fl_lower(fl_arena *a, fl_str s)
{
    char *p = fl_alloc(a, s.len ? s.len : 1);
    for (fl_i64 i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        p[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    return (fl_str){p, s.len};
}

fl_str fl_upper(fl_arena *a, fl_str s)
{
    char *p = fl_alloc(a, s.len ? s.len : 1);
    for (fl_i64 i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        p[i] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
    }
    return (fl_str){p, s.len};
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

fl_str fl_trim(fl_str s)
{
    while (s.len && is_space(s.ptr[0])) {
        s.ptr++;
        s.len--;
    }
    while (s.len && is_space(s.ptr[s.len - 1]))
        s.len--;
    return s;
}

fl_str fl_concat(fl_arena *a, fl_str x, fl_str y)
{
    char *p = fl_alloc(a, x.len + y.len ? x.len + y.len : 1);
    if (x.len)
        memcpy(p, x.ptr, (size_t)x.len);
    if (y.len)
        memcpy(p + x.len, y.ptr, (size_t)y.len);
    return (fl_str){p, x.len + y.len};
}

fl_str fl_substr(fl_str s, fl_i64 start, fl_i64 n)
{
    if (start < 0)
        start = 0;
    if (start > s.len)
        start = s.len;
    if (n < 0)
        n = 0;
    if (n > s.len - start)
        n = s.len - start;
    return (fl_str){s.ptr + start, n};
}

int fl_starts_with(fl_str s, fl_str p)
{
    return p.len <= s.len && (p.len == 0 || memcmp(s.ptr, p.ptr, (size_t)p.len) == 0);
}

int fl_ends_with(fl_str s, fl_str p)
{
    return p.len <= s.len &&
           (p.len == 0 || memcmp(s.ptr + s.len - p.len, p.ptr, (size_t)p.len) == 0);
}

int fl_contains(fl_str s, fl_str p)
{
    if (p.len == 0)
        return 1;
    return p.len <= s.len && memmem(s.ptr, (size_t)s.len, p.ptr, (size_t)p.len) != NULL;
}

/* The next occurrence of sep in s at or after i, or s.len. */
static fl_i64 find_sep(fl_str s, fl_i64 i, fl_str sep)
{
    if (s.len - i < sep.len)
        return s.len;
    const char *f = memmem(s.ptr + i, (size_t)(s.len - i), sep.ptr, (size_t)sep.len);
    return f ? f - s.ptr : s.len;
}

static fl_i64 split_bytes(fl_arena *a, fl_str s, fl_str **out)
{
    fl_str *v = fl_alloc(a, (s.len ? s.len : 1) * (fl_i64)sizeof(fl_str));
    for (fl_i64 i = 0; i < s.len; i++)
        v[i] = (fl_str){s.ptr + i, 1};
    *out = v;
    return s.len;
}

fl_i64 fl_split(fl_arena *a, fl_str s, fl_str sep, fl_str **out)
{
    if (sep.len == 0)
        return split_bytes(a, s, out);
    fl_i64 n = 1;
    for (fl_i64 i = find_sep(s, 0, sep); i < s.len; i = find_sep(s, i + sep.len, sep))
        n++;
    fl_str *v = fl_alloc(a, n * (fl_i64)sizeof(fl_str));
    fl_i64 from = 0;
    for (fl_i64 k = 0; k < n; k++) {
        fl_i64 i = k + 1 < n ? find_sep(s, from, sep) : s.len;
        v[k] = (fl_str){s.ptr + from, i - from};
        from = i + sep.len;
    }
    *out = v;
    return n;
}

static int is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

fl_i64 fl_words(fl_arena *a, fl_str s, fl_str **out)
{
    fl_i64 n = 0;
    for (fl_i64 i = 0; i < s.len; i++)
        n += is_word(s.ptr[i]) && (i == 0 || !is_word(s.ptr[i - 1]));
    fl_str *v = fl_alloc(a, (n ? n : 1) * (fl_i64)sizeof(fl_str));
    fl_i64 k = 0;
    for (fl_i64 i = 0; i < s.len;) {
        if (!is_word(s.ptr[i])) {
            i++;
            continue;
        }
        fl_i64 j = i;
        while (j < s.len && is_word(s.ptr[j]))
            j++;
        v[k++] = (fl_str){s.ptr + i, j - i};
        i = j;
    }
    *out = v;
    return n;
}

fl_i64 fl_words_lower(fl_arena *a, fl_str s, fl_str **out)
{
    char *buf = fl_alloc(a, s.len ? s.len : 1);
    fl_str *v = fl_alloc(a, (s.len / 2 + 1) * (fl_i64)sizeof(fl_str));
    fl_i64 n = 0, i = 0;
    while (i < s.len) {
        while (i < s.len && !is_word(s.ptr[i]))
            i++;
        fl_i64 start = i;
        for (; i < s.len && is_word(s.ptr[i]); i++) {
            char c = s.ptr[i];
            buf[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
        }
        if (i > start)
            v[n++] = (fl_str){buf + start, i - start};
    }
    *out = v;
    return n;
}

fl_str fl_i64_str(fl_arena *a, fl_i64 v)
{
    char tmp[24];
    return str_new(a, tmp, flrt_fmt_i64(tmp, v));
}

fl_str fl_f64_str(fl_arena *a, double v)
{
    char tmp[32];
    return str_new(a, tmp, flrt_fmt_f64(tmp, v));
}

/* Whether s is UTF-8 (no overlong forms, no surrogates). */
int flrt_utf8_ok(const unsigned char *p, fl_i64 n)
{
    for (fl_i64 i = 0; i < n;) {
        unsigned c = p[i];
        int k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 && c >= 0xc2 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 && c <= 0xf4 ? 4 : 0;
        if (!k || i + k > n)
            return 0;
        for (int j = 1; j < k; j++)
            if ((p[i + j] & 0xc0) != 0x80)
                return 0;
        if (k == 3 && ((c == 0xe0 && p[i + 1] < 0xa0) || (c == 0xed && p[i + 1] >= 0xa0)))
            return 0;
        if (k == 4 && ((c == 0xf0 && p[i + 1] < 0x90) || (c == 0xf4 && p[i + 1] >= 0x90)))
            return 0;
        i += k;
    }
    return 1;
}
