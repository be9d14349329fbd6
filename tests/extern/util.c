/* util.c - the C side of tests/extern/job.flow: plain functions over flowc's types, safe to
 * call from several threads at once. tail returns a slice of its argument, size_name a
 * constant string (flowc copies what they return at once). */
#include <string.h>

#include "util.h"

fl_i64 digit_sum(fl_i64 n)
{
    fl_i64 s = 0;
    for (n = n < 0 ? -n : n; n; n /= 10)
        s += n % 10;
    return s;
}

double half(double x) { return x / 2; }

fl_bool is_vowel_word(fl_str s)
{
    if (s.len == 0)
        return 0;
    char c = s.ptr[0] | 0x20;
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

fl_str tail(fl_str s)
{
    fl_str r = {s.len ? s.ptr + 1 : s.ptr, s.len ? s.len - 1 : 0};
    return r;
}

fl_str size_name(fl_i64 n)
{
    static const char *const names[] = {"short", "medium", "long"};
    const char *p = names[n < 4 ? 0 : n < 6 ? 1 : 2];
    fl_str r = {p, (fl_i64)strlen(p)};
    return r;
}
