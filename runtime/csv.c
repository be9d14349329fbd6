/* csv.c - the CSV source (read_csv, RFC 4180) and the strict parsers of
 * its fields (fl_parse_i64/f64/bool, also used for the command line).
 *
 * A path that names several files or a compressed one is read file after
 * file in windows of whole lines (inputs.c); each file has its header and
 * its line numbers. A window of a compressed file may end inside a quoted
 * field: the record is then CUT, and read again whole from the next
 * window, which keeps its bytes (its "" are unescaped only once it is
 * known whole, so the bytes read again are the raw ones). One plain file
 * is split among the tasks as follows.
 *
 * A record may span lines inside quotes, so a parallel task cannot find
 * its first record by looking for a line end alone. A line start is a
 * record start when the number of quotes before it is even (escaped quotes
 * "" count twice, so they keep the parity). Task i of n starts at the first
 * record start at or after the start of its raw share [size*i/n,
 * size*(i+1)/n) and ends where task i+1 starts: each record is read by the
 * task in whose raw share it starts. The line-end counts before a share
 * give the line number of its first record.
 *
 * A stage's tasks may be spread over several processes, each holding a
 * run of consecutive task indexes (its local tasks: local_first,
 * local_count), and processes do not talk about files. The local tasks of
 * a stage that open the same file meet in memory: each counts the quotes
 * and line ends of its own raw share, publishes them and sums those of
 * the local tasks before it. The first local task also counts the whole
 * prefix [0, start of its raw share) by itself (nothing in the process of
 * task 0) and publishes it with its own counts. So each process reads its
 * shares once and the prefix before them once more; the shares found are
 * those of a single process, and the records those of a single-task
 * reading.
 * Only for a file with a stray quote in an unquoted field (a malformed
 * record, which fails the job unless skip_bad) may the shares differ from
 * a single-task reading: then skip_bad may skip different lines.
 *
 * Fields are slices of the file, mapped copy-on-write: a quoted field with
 * "" is unescaped in place. Blank lines are skipped, not records.
 *
 * Numbers (fl_parse_f64) follow IEEE 754 and strtod: a value too small
 * for a double rounds to a subnormal or to 0 (1e-400 is 0, -1e-400 is
 * -0.0) without a word, a value too large (1e400) is an error, not an
 * infinity. Lock order: meet_mu is a leaf. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flrt_int.h"
#include "inputs.h"
#include "stats.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct flrt_csv {
    unsigned char stop[256];     /* ends an unquoted field: sep, '\n', '"' */
    int header;                  /* each file's first record is a header */
    int skip_header;             /* the next record is one */
    int final;                   /* lines.end is the end of the file's text, not of a window */
} flrt_csv;

enum { CUT = -2 };               /* a record cut by the end of a window */

/* ---- counting quotes and line ends, sixteen or eight bytes at a time ---- */

#define ONES 0x0101010101010101ULL

/* 0x01 in each byte of w that equals the byte of pat (pat = c * ONES). */
static fl_u64 byte_eq(fl_u64 w, fl_u64 pat)
{
    fl_u64 x = w ^ pat;
    fl_u64 t = ((x & 0x7f7f7f7f7f7f7f7fULL) + 0x7f7f7f7f7f7f7f7fULL) | x;
    return (~t & 0x8080808080808080ULL) >> 7;
}

static fl_i64 byte_sum(fl_u64 acc)
{
    acc = (acc & 0x00ff00ff00ff00ffULL) + ((acc >> 8) & 0x00ff00ff00ff00ffULL);
    return (fl_i64)((acc * 0x0001000100010001ULL) >> 48);
}

#ifdef __SSE2__
/* The bytes of 16-byte blocks counted by SSE2 (every x86-64 has it): per
 * block two compares and two subtractions into byte counters, summed
 * every 255 blocks. The pass before reading that finds where each task's
 * records start: 10% of group-by's time with the 8-byte words below. */
static fl_i64 count_qn16(const char *p, fl_i64 n, fl_i64 *q, fl_i64 *nl)
{
    const __m128i vq = _mm_set1_epi8('"'), vn = _mm_set1_epi8('\n'), z = _mm_setzero_si128();
    fl_i64 i = 0;
    while (n - i >= 16) {
        __m128i aq = z, an = z;
        for (int k = 0; k < 255 && n - i >= 16; k++, i += 16) {
            __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            aq = _mm_sub_epi8(aq, _mm_cmpeq_epi8(w, vq));
            an = _mm_sub_epi8(an, _mm_cmpeq_epi8(w, vn));
        }
        __m128i sq = _mm_sad_epu8(aq, z), sn = _mm_sad_epu8(an, z);
        *q += _mm_cvtsi128_si64(sq) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(sq, sq));
        *nl += _mm_cvtsi128_si64(sn) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(sn, sn));
    }
    return i;
}
#endif

static void count_qn(const char *p, fl_i64 n, fl_i64 *quotes, fl_i64 *nls)
{
    fl_i64 q = 0, nl = 0, i = 0;
#ifdef __SSE2__
    i = count_qn16(p, n, &q, &nl);
#endif
    while (n - i >= 8) {
        fl_u64 aq = 0, an = 0;
        for (int k = 0; k < 255 && n - i >= 8; k++, i += 8) {
            fl_u64 w;
            memcpy(&w, p + i, 8);
            aq += byte_eq(w, '"' * ONES);
            an += byte_eq(w, '\n' * ONES);
        }
        q += byte_sum(aq);
        nl += byte_sum(an);
    }
    for (; i < n; i++) {
        q += p[i] == '"';
        nl += p[i] == '\n';
    }
    *quotes = q;
    *nls = nl;
}

static fl_i64 count_nl(const char *p, fl_i64 n)
{
    fl_i64 k = 0;
    const char *e = p + n, *nl;
    while (p < e && (nl = memchr(p, '\n', (size_t)(e - p)))) {
        k++;
        p = nl + 1;
    }
    return k;
}

/* ---- where the tasks of a stage meet over a file ---- */

typedef struct flrt_meet {
    struct flrt_meet *next;
    int stage, ntasks;           /* the stage, its tasks in all processes */
    int first, count;            /* its tasks here: [first, first + count) */
    int left;                    /* local tasks yet to take their sums */
    unsigned char *arrived;
    fl_i64 *quotes, *lines;
    char path[];
} meet;

/* the meetings are the current job's (in the order they were made; under meet_mu) */
#define meet_mu (flrt_job_current()->meet_mu)
#define meet_cv (flrt_job_current()->meet_cv)
#define meets (flrt_job_current()->meets)

static void meet_free(meet *m)
{
    free(m->arrived);
    free(m->quotes);
    free(m->lines);
    free(m);
}

/* The tasks of t's stage in this process: global indexes [local_first,
 * local_first + local_count). A task made without lindex and lcount (a
 * runtime that does not set them, a unit test) counts as the whole stage
 * in one process. */
static int local_first(const fl_task *t) { return t->lcount > 0 ? t->index - t->lindex : 0; }
static int local_count(const fl_task *t) { return t->lcount > 0 ? t->lcount : t->ntasks; }

/* The meeting of task t: the oldest one for its file where t has not been
 * (a stage may read the same file twice), or a new one. Under meet_mu. */
static meet *meet_find(const fl_task *t, const char *path)
{
    int first = local_first(t), li = t->index - first;
    meet **pp = &meets;
    for (; *pp; pp = &(*pp)->next) {
        meet *m = *pp;
        if (m->stage == t->stage && m->ntasks == t->ntasks && m->first == first &&
            !strcmp(m->path, path) && !m->arrived[li])
            return m;
    }
    size_t n = (size_t)local_count(t);
    meet *m = flrt_xcalloc(1, sizeof *m + strlen(path) + 1);
    strcpy(m->path, path);
    m->stage = t->stage;
    m->ntasks = t->ntasks;
    m->first = first;
    m->count = m->left = local_count(t);
    m->arrived = flrt_xcalloc(n, 1);
    m->quotes = flrt_xcalloc(n, sizeof(fl_i64));
    m->lines = flrt_xcalloc(n, sizeof(fl_i64));
    *pp = m;
    return m;
}

typedef struct find_call {
    const fl_task *t;
    const char *path;
    meet *m;
} find_call;

static void meet_find_call(void *arg)
{
    find_call *c = arg;
    c->m = meet_find(c->t, c->path);
}

static int before_arrived(const meet *m, int i)
{
    for (int j = 0; j < i; j++)
        if (!m->arrived[j])
            return 0;
    return 1;
}

static void meet_leave(meet *m)
{
    if (--m->left > 0)
        return;
    meet **pp = &meets;
    while (*pp != m)
        pp = &(*pp)->next;
    *pp = m->next;
    meet_free(m);
}

/* Publishes the counts of task t (*pq, *pnl: those before its raw share
 * when it is the first local task, else 0, plus q, nl of its raw share),
 * waits for those of the local tasks before it, and adds them to *pq,
 * *pnl. -1 when the job stops meanwhile. */
static int meet_join(const fl_task *t, const char *path, fl_i64 q, fl_i64 nl, fl_i64 *pq,
                     fl_i64 *pnl)
{
    pthread_mutex_lock(&meet_mu);
    find_call fc = {t, path, NULL};
    flrt_oom_locked(&meet_mu, meet_find_call, &fc);
    meet *m = fc.m;
    int i = t->index - m->first;
    m->arrived[i] = 1;
    m->quotes[i] = *pq + q;
    m->lines[i] = *pnl + nl;
    pthread_cond_broadcast(&meet_cv);
    while (!before_arrived(m, i) && !fl_stopping())
        pthread_cond_wait(&meet_cv, &meet_mu);
    int rc = fl_stopping() ? -1 : 0;
    for (int j = 0; j < i; j++) {
        *pq += m->quotes[j];
        *pnl += m->lines[j];
    }
    meet_leave(m);
    pthread_mutex_unlock(&meet_mu);
    return rc;
}

void flrt_csv_wake(void)
{
    pthread_mutex_lock(&meet_mu);
    pthread_cond_broadcast(&meet_cv);
    pthread_mutex_unlock(&meet_mu);
}

void flrt_csv_reset(void)
{
    pthread_mutex_lock(&meet_mu);
    meet *m = meets;
    meets = NULL;
    pthread_mutex_unlock(&meet_mu);
    while (m) {
        meet *next = m->next;
        meet_free(m);
        m = next;
    }
}

/* ---- the share of a task ---- */

/* The first record start at or after x; odd: the quotes before x are odd. */
static fl_i64 record_start(const char *p, fl_i64 size, fl_i64 x, int odd)
{
    if (x == 0 || x >= size)
        return x < size ? x : size;
    if (p[x - 1] == '\n' && !odd)
        return x;
    for (fl_i64 i = x; i < size; i++) {
        if (p[i] == '"')
            odd ^= 1;
        else if (p[i] == '\n' && !odd)
            return i + 1;
    }
    return size;
}

/* Task t's records [*start, *end) of the mapped file, the line of *start. */
static int csv_share(const fl_task *t, const flrt_map *m, fl_i64 *start, fl_i64 *end,
                     fl_i64 *line)
{
    fl_i64 lo, hi, q, nl, pq = 0, pnl = 0;
    flrt_share(m->len, t->index, t->ntasks, &lo, &hi);
    if (t->index == local_first(t))  /* the prefix before this process's shares */
        count_qn(m->addr, lo, &pq, &pnl);
    count_qn(m->addr + lo, hi - lo, &q, &nl);
    if (local_count(t) > 1 && meet_join(t, m->path, q, nl, &pq, &pnl) < 0)
        return -1;
    *start = record_start(m->addr, m->len, lo, (int)(pq & 1));
    *end = record_start(m->addr, m->len, hi, (int)((pq + q) & 1));
    if (*start > *end)
        *start = *end;
    *line = pnl + count_nl(m->addr + lo, *start - lo) + 1;
    return 0;
}

/* ---- reading records ---- */

static int bad_sep(fl_str sep)
{
    return sep.len != 1 || sep.ptr[0] == '"' || sep.ptr[0] == '\n' || sep.ptr[0] == '\r';
}

int fl_csv_open(fl_task *t, fl_csv *c, fl_str path, fl_str sep, int header, int skip_bad)
{
    memset(c, 0, sizeof *c);
    c->skip_bad = skip_bad;
    if (bad_sep(sep)) {
        fl_fail(NULL, "read_csv %.*s: the separator must be one byte other than a quote or a "
                   "line end, not \"%.*s\"", (int)path.len, path.ptr, (int)sep.len, sep.ptr);
        return -1;
    }
    c->sep = sep.ptr[0];
    flrt_in *in = flrt_in_open(t, path, 1);
    if (!in)
        return -1;
    c->lines.in = in;
    c->lines.path = flrt_in_path(in);
    flrt_csv *x = flrt_xcalloc(1, sizeof *x);
    c->buf = x;
    x->stop[(unsigned char)c->sep] = x->stop['\n'] = x->stop['"'] = 1;
    x->header = header;
    x->final = 1;
    c->line = 1;
    flrt_map *m = flrt_in_single(in);
    if (!m) {
        c->line = 0;             /* a list of files: fl_csv_next opens them (line_base from 0) */
        return 0;
    }
    c->lines.path = m->path;
    fl_i64 start = 0, end = m->len, line = 1;
    if (t->ntasks > 1 && m->len > 0 && csv_share(t, m, &start, &end, &line) < 0) {
        fl_csv_close(c);             /* the job stops: nothing is left to close */
        return -1;
    }
    c->line = line;
    if (m->len == 0)
        return 0;
    c->lines.cur = m->addr + start;
    c->lines.end = m->addr + end;
    flrt_stats_source(&c->lines.cur, c->lines.cur, end - start);
    if (header && start == 0 && end > 0)
        fl_csv_next(c, NULL, 0);
    return 0;
}

/* The closing quote of a quoted field whose text starts at s, or NULL
 * (also when a window's end may cut a ""); *esc: the text holds "". */
static const char *closing_quote(const char *s, const char *end, int final, int *esc)
{
    *esc = 0;
    for (const char *p = s;;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q || (q + 1 == end && !final))
            return NULL;
        if (q + 1 == end || q[1] != '"')
            return q;
        *esc = 1;
        p = q + 2;
    }
}

/* "" to " in place in the n bytes at s; the new length. */
static fl_i64 unescape(char *s, fl_i64 n)
{
    char *w = s;
    for (const char *p = s; p < s + n; p++) {
        *w++ = *p;
        p += *p == '"';
    }
    return w - s;
}

/* The fields of a whole record with "" (marked by a length ~n) unescaped
 * in place: only once the record is known to be whole, since a record cut
 * by a window's end is read again from its raw bytes. */
static void unescape_fields(fl_str *f, int n)
{
    for (int i = 0; i < n; i++)
        if (f[i].len < 0)
            f[i].len = unescape((char *)f[i].ptr, ~f[i].len);
}

/* A quoted field at *pp (at its opening quote); with "" its length is ~n
 * (unescape_fields); CUT when its closing quote may lie past the window. */
static int quoted_field(fl_csv *c, const char **pp, fl_str *v, const char **why)
{
    const char *end = c->lines.end, *s = *pp + 1, *p;
    int esc, final = ((flrt_csv *)c->buf)->final;
    const char *q = closing_quote(s, end, final, &esc);
    if (!q) {
        *pp = end;
        *why = "a quoted field has no closing quote";
        return final ? -1 : CUT;
    }
    c->line += count_nl(s, q - s);
    v->ptr = s;
    v->len = esc ? ~(q - s) : q - s;
    p = q + 1;
    if (p < end && *p == '\r' && (p + 1 == end || p[1] == '\n'))
        p++;
    *pp = p;
    if (p < end && *p != c->sep && *p != '\n') {
        *why = "text after the closing quote of a field";
        return -1;
    }
    return 0;
}

/* One record at lines.cur: its field count, or -1 with *why when malformed
 * (lines.cur is then where the error was found), or CUT (lines.cur and
 * line unchanged) when the window ends inside it. */
static int csv_record(fl_csv *c, flrt_csv *x, fl_str *f, int max, const char **why)
{
    const char *p = c->lines.cur, *end = c->lines.end;
    int nf = 0;
    fl_i64 line = c->line;
    for (;;) {
        fl_str v;
        if (p < end && *p == '"') {
            int rc = quoted_field(c, &p, &v, why);
            if (rc == CUT) {
                c->line = line;
                return CUT;
            }
            if (rc < 0)
                break;
        } else {
            const char *s = p;
            while (p < end && !x->stop[(unsigned char)*p])
                p++;
            if (p < end && *p == '"') {
                *why = "a quote inside an unquoted field";
                break;
            }
            v.ptr = s;
            v.len = p - s;
            if (v.len && s[v.len - 1] == '\r' && (p == end || *p == '\n'))
                v.len--;
        }
        if (nf < max)
            f[nf] = v;
        nf++;
        if (p < end && *p == c->sep) {
            p++;
            continue;
        }
        if (p < end) {               /* the line end */
            p++;
            c->line++;
        }
        c->lines.cur = p;
        unescape_fields(f, nf < max ? nf : max);
        return nf;
    }
    c->lines.cur = p;
    return -1;
}

/* Past blank lines ("\n", "\r\n", a last "\r"). */
static void skip_blank(fl_csv *c)
{
    const char *p = c->lines.cur, *end = c->lines.end;
    while (p < end) {
        if (*p == '\r' && (p + 1 == end || p[1] == '\n'))
            p++;
        if (p == end || *p != '\n')
            break;
        p++;
        c->line++;
    }
    c->lines.cur = p;
}

/* Past the line where a malformed record was found. */
static void skip_rest_of_line(fl_csv *c)
{
    const char *p = c->lines.cur, *end = c->lines.end;
    const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
    if (nl)
        c->line++;
    c->lines.cur = nl ? nl + 1 : end;
}

/* The next window of a list of files, keeping the text from keep on: 1,
 * or 0 at the end (or when the job failed). A new file restarts the line
 * count and, with a header, skips its first record. */
static int csv_more(fl_csv *c, flrt_csv *x, const char *keep)
{
    int rc = c->lines.in ? flrt_in_more(c->lines.in, &c->lines, keep) : 0;
    if (rc == 2) {
        c->line_base += c->line;
        c->line = 1;
        x->skip_header = x->header;
    }
    x->final = rc <= 0 || flrt_in_final(c->lines.in);
    return rc > 0;
}

int fl_csv_next(fl_csv *c, fl_str *f, int max)
{
    flrt_csv *x = c->buf;
    if (!x)
        return -1;
    for (;;) {
        skip_blank(c);
        if (c->lines.cur >= c->lines.end) {
            if (!csv_more(c, x, c->lines.cur))
                return -1;
            continue;
        }
        c->record_line = c->line;
        const char *why = NULL, *start = c->lines.cur;
        int nf = csv_record(c, x, f, max, &why);
        if (nf == CUT) {
            if (!csv_more(c, x, start))
                return -1;
            continue;
        }
        if (nf >= 0 && x->skip_header) {
            x->skip_header = 0;
            continue;
        }
        if (nf >= 0)
            return nf;
        if (!c->skip_bad) {
            fl_fail(NULL, "%s:%lld: malformed CSV record: %s", c->lines.path,
                    (long long)c->record_line, why);
            c->lines.cur = c->lines.end;
            return -1;
        }
        c->bad++;
        skip_rest_of_line(c);
    }
}

void fl_csv_close(fl_csv *c)
{
    if (c->lines.in && flrt_in_single(c->lines.in) && c->lines.end)
        flrt_stats_source_done(&c->lines.cur);
    flrt_in_close(c->lines.in);
    free(c->buf);
    memset(c, 0, sizeof *c);
}

/* ---- fields ---- */

static fl_str trim_blanks(fl_str s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

int fl_parse_i64(fl_str s, fl_i64 *v)
{
    s = trim_blanks(s);
    const char *p = s.ptr, *e = s.ptr + s.len;
    if (p == e)
        return -1;
    int neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (p == e)
        return -1;
    fl_u64 x = 0;
    for (; p < e; p++) {
        unsigned d = (unsigned)(unsigned char)*p - '0';
        if (d > 9 || x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    if (x > (fl_u64)INT64_MAX + (fl_u64)neg)
        return -1;
    *v = neg ? (fl_i64)(0 - x) : (fl_i64)x;
    return 0;
}

/* [+-] digits [. digits] [e [+-] digits], at least one digit before the
 * exponent. Fills the fast-path parts: up to 19 significant digits in *m,
 * the decimal exponent in *e10, *exact when no digit was dropped. */
static int f64_syntax(const char *p, const char *e, fl_u64 *m, int *e10, int *exact)
{
    int digits = 0, sig = 0, scale = 0;
    *m = 0;
    *exact = 1;
    if (p < e && (*p == '+' || *p == '-'))
        p++;
    for (int frac = 0; p < e; p++) {
        if (*p == '.' && !frac) {
            frac = 1;
            continue;
        }
        if (*p < '0' || *p > '9')
            break;
        digits++;
        if (sig == 0 && *p == '0') {
            scale -= frac;
            continue;
        }
        if (sig < 19) {
            *m = *m * 10 + (fl_u64)(*p - '0');
            sig++;
            scale -= frac;
        } else {
            *exact &= *p == '0';
            scale += !frac;
        }
    }
    if (!digits)
        return -1;
    int ex = 0;
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = p < e && *p == '-';
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p == e)
            return -1;
        for (; p < e && *p >= '0' && *p <= '9'; p++)
            ex = ex < 100000 ? ex * 10 + (*p - '0') : ex;
        ex = eneg ? -ex : ex;
    }
    *e10 = scale + ex;
    return p == e ? 0 : -1;
}

/* strtod on the n bytes at p (already checked by f64_syntax). ERANGE
 * means underflow when the result is 0 or subnormal: accepted, the value
 * rounds as IEEE 754 says; or overflow when it is +-HUGE_VAL: refused. */
static int f64_strtod(const char *p, fl_i64 n, double *v)
{
    char tmp[128];
    char *buf = n < (fl_i64)sizeof tmp ? tmp : flrt_xmalloc((size_t)n + 1);
    memcpy(buf, p, (size_t)n);
    buf[n] = 0;
    errno = 0;
    double d = strtod(buf, NULL);
    int range = errno == ERANGE;
    if (buf != tmp)
        free(buf);
    if (range && isinf(d))              /* overflow: an error, not an infinity */
        return -1;
    *v = d;                             /* underflow too: 0 or a subnormal */
    return 0;
}

int fl_parse_f64(fl_str s, double *v)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    s = trim_blanks(s);
    fl_u64 m;
    int e10, exact;
    if (f64_syntax(s.ptr, s.ptr + s.len, &m, &e10, &exact) < 0)
        return -1;
    if (!(exact && m <= (1ULL << 53) && e10 >= -22 && e10 <= 22))
        return f64_strtod(s.ptr, s.len, v);
    double d = (double)m;                   /* exact, and one correctly rounded step */
    d = e10 < 0 ? d / pow10[-e10] : d * pow10[e10];
    *v = s.ptr[0] == '-' ? -d : d;
    return 0;
}

int fl_parse_bool(fl_str s, fl_bool *v)
{
    s = trim_blanks(s);
    if (s.len == 4 && !strncasecmp(s.ptr, "true", 4)) {
        *v = 1;
        return 0;
    }
    if (s.len == 5 && !strncasecmp(s.ptr, "false", 5)) {
        *v = 0;
        return 0;
    }
    return -1;
}
