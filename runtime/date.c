/* date.c - the date builtins: parse_date, format_date and date_parts over
 * i64 milliseconds since 1970-01-01 00:00:00 UTC (the unit of event time).
 * Calendar arithmetic is proleptic Gregorian on days since the epoch
 * (Howard Hinnant's days_from_civil / civil_from_days), so times before
 * 1970 (negative) work like any other.
 *
 * Formats: %Y (4 digits), %m %d %H %M %S (1 or 2 digits when parsing, 2 when
 * formatting), %% a percent sign; other characters match themselves. When
 * s ends right after a conversion and the rest of the format holds no date
 * conversion (only %H %M %S and literal text), the missing time is
 * midnight: "%Y-%m-%d %H:%M:%S" accepts "2024-03-01". */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>

#include "flrt_int.h"

enum { MS_DAY = 86400000 };

static fl_i64 floor_div(fl_i64 a, fl_i64 b)
{
    fl_i64 q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

static fl_i64 floor_mod(fl_i64 a, fl_i64 b) { return a - floor_div(a, b) * b; }

static fl_i64 days_from_civil(fl_i64 y, fl_i64 m, fl_i64 d)
{
    y -= m <= 2;
    fl_i64 era = (y >= 0 ? y : y - 399) / 400;
    fl_i64 yoe = y - era * 400;
    fl_i64 doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    fl_i64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(fl_i64 z, fl_i64 *y, fl_i64 *m, fl_i64 *d)
{
    z += 719468;
    fl_i64 era = (z >= 0 ? z : z - 146096) / 146097;
    fl_i64 doe = z - era * 146097;
    fl_i64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    fl_i64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    fl_i64 mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int leap(fl_i64 y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(fl_i64 y, fl_i64 m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[m - 1] + (m == 2 && leap(y));
}

void fl_date_parts(fl_i64 ms, fl_i64 parts[8])
{
    fl_i64 days = floor_div(ms, MS_DAY);
    fl_i64 rem = ms - days * MS_DAY;
    civil_from_days(days, &parts[0], &parts[1], &parts[2]);
    parts[3] = rem / 3600000;
    parts[4] = rem / 60000 % 60;
    parts[5] = rem / 1000 % 60;
    parts[6] = floor_mod(days + 3, 7);   /* 1970-01-01 was a Thursday (0 is Monday) */
    parts[7] = days - days_from_civil(parts[0], 1, 1);
}

/* ---- parsing ---- */

/* Index of a conversion in {Y m d H M S}, or -1. */
static int conv_index(char c)
{
    const char *convs = "YmdHMS";
    const char *p = c ? strchr(convs, c) : NULL;
    return p ? (int)(p - convs) : -1;
}

/* Whether format f from j holds no date conversion (%Y %m %d). */
static int only_time_left(fl_str f, fl_i64 j)
{
    for (; j + 1 < f.len; j++)
        if (f.ptr[j] == '%') {
            int k = conv_index(f.ptr[j + 1]);
            if (k >= 0 && k < 3)
                return 0;
            j++;
        }
    return 1;
}

/* Digits of conversion k at s[*i]: %Y exactly 4, the others 1 or 2. */
static int read_num(fl_str s, fl_i64 *i, int k, fl_i64 *v)
{
    int max = k == 0 ? 4 : 2, min = k == 0 ? 4 : 1, n = 0;
    *v = 0;
    while (n < max && *i < s.len && s.ptr[*i] >= '0' && s.ptr[*i] <= '9') {
        *v = *v * 10 + (s.ptr[*i] - '0');
        ++*i;
        n++;
    }
    return n >= min ? 0 : -1;
}

static int valid(const fl_i64 v[6])
{
    return v[1] >= 1 && v[1] <= 12 && v[2] >= 1 && v[2] <= month_days(v[0], v[1]) &&
           v[3] <= 23 && v[4] <= 59 && v[5] <= 59;
}

int fl_parse_date(fl_str s, fl_str f, fl_i64 *ms)
{
    fl_i64 v[6] = {1970, 1, 1, 0, 0, 0};
    fl_i64 i = 0, j = 0;
    int after_conv = 0;
    while (j < f.len) {
        if (i == s.len && after_conv && only_time_left(f, j))
            break;
        int k = f.ptr[j] == '%' && j + 1 < f.len ? conv_index(f.ptr[j + 1]) : -1;
        if (k >= 0) {
            if (read_num(s, &i, k, &v[k]) < 0)
                return -1;
            j += 2;
            after_conv = 1;
            continue;
        }
        if (f.ptr[j] == '%' && j + 1 < f.len && f.ptr[j + 1] != '%')
            return -1;                       /* an unknown conversion */
        if (i >= s.len || s.ptr[i] != f.ptr[j])
            return -1;
        i++;
        j += f.ptr[j] == '%' && j + 1 < f.len ? 2 : 1;
        after_conv = 0;
    }
    if (i != s.len || !valid(v))
        return -1;
    *ms = (days_from_civil(v[0], v[1], v[2]) * 86400 + v[3] * 3600 + v[4] * 60 + v[5]) * 1000;
    return 0;
}

/* ---- formatting ---- */

static char *put_num(char *o, fl_i64 v, int width)
{
    char tmp[24];
    if (v < 0) {
        *o++ = '-';
        v = -v;
    }
    int n = flrt_fmt_i64(tmp, v);
    for (; n < width; width--)
        *o++ = '0';
    memcpy(o, tmp, (size_t)n);
    return o + n;
}

fl_str fl_format_date(fl_arena *a, fl_i64 ms, fl_str f)
{
    fl_i64 p[8];
    fl_date_parts(ms, p);
    char tmp[512];
    fl_i64 bound = f.len * 6 + 16;
    char *out = bound <= (fl_i64)sizeof tmp ? tmp : fl_alloc(a, bound), *o = out;
    for (fl_i64 j = 0; j < f.len; j++) {
        int k = f.ptr[j] == '%' && j + 1 < f.len ? conv_index(f.ptr[j + 1]) : -1;
        if (k >= 0) {
            o = put_num(o, p[k], k == 0 ? 4 : 2);
            j++;
        } else if (f.ptr[j] == '%' && j + 1 < f.len && f.ptr[j + 1] == '%') {
            *o++ = '%';
            j++;
        } else {
            *o++ = f.ptr[j];
        }
    }
    fl_str r = {out, o - out};
    return out == tmp ? fl_str_copy(a, r) : r;
}
