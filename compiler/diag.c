/* diag.c - the one diagnostics module: keeps the source files of a
 * compilation, turns byte offsets into line:col, and prints errors,
 * warnings and notes in GCC's format with the source line and a ^~~~
 * underline of the offending range. */
#define _POSIX_C_SOURCE 200809L
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

static void *diag_xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) {
        fputs("flowc: out of memory\n", stderr);
        exit(2);
    }
    return p;
}

void diag_init(Diag *d, FILE *out)
{
    memset(d, 0, sizeof *d);
    d->out = out;
    d->max_errors = 50;
    const char *nc = getenv("NO_COLOR");
    d->color = isatty(fileno(out)) && !(nc && *nc);
}

void diag_fini(Diag *d)
{
    for (int i = 0; i < d->nfiles; i++) {
        free(d->files[i]->path);
        free(d->files[i]->text);
        free(d->files[i]->lines);
        free(d->files[i]);
    }
    free(d->files);
    d->files = NULL;
    d->nfiles = d->cap = 0;
}

static void diag_index_lines(Source *s)
{
    int32_t n = 1;
    for (int32_t i = 0; i < s->len; i++)
        n += s->text[i] == '\n';
    s->lines = diag_xrealloc(NULL, sizeof(int32_t) * (size_t)n);
    s->nlines = 0;
    s->lines[s->nlines++] = 0;
    for (int32_t i = 0; i < s->len; i++)
        if (s->text[i] == '\n')
            s->lines[s->nlines++] = i + 1;
}

int diag_add_source(Diag *d, const char *path, const char *text, int32_t len)
{
    if (d->nfiles == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 4;
        d->files = diag_xrealloc(d->files, sizeof(Source *) * (size_t)d->cap);
    }
    Source *s = diag_xrealloc(NULL, sizeof *s);
    s->path = strdup(path);
    s->text = diag_xrealloc(NULL, (size_t)len + 1);
    memcpy(s->text, text, (size_t)len);
    s->text[len] = 0;
    s->len = len;
    diag_index_lines(s);
    d->files[d->nfiles] = s;
    return d->nfiles++;
}

enum { DIAG_MAX_SOURCE = 64 << 20 };  /* bytes; larger .flow files are refused */

int diag_load_file(Diag *d, const char *path, Loc from)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_error(d, from, "cannot open `%s`: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
        diag_error(d, from, "cannot read `%s`: not a regular file", path);
        fclose(f);
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (cap - len < 65536) {
            cap = cap ? cap * 2 : 65536;
            buf = diag_xrealloc(buf, cap);
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0 && len <= DIAG_MAX_SOURCE);
    int bad = ferror(f);
    fclose(f);
    if (bad || len > DIAG_MAX_SOURCE) {
        diag_error(d, from, "cannot read `%s`%s", path, bad ? "" : ": larger than 64 MiB");
        free(buf);
        return -1;
    }
    int id = diag_add_source(d, path, buf ? buf : "", (int32_t)len);
    free(buf);
    return id;
}

Source *diag_source(Diag *d, int file)
{
    return file >= 0 && file < d->nfiles ? d->files[file] : NULL;
}

static int diag_line_of(Source *s, int32_t off)
{
    int lo = 0, hi = s->nlines - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (s->lines[mid] <= off)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

void diag_linecol(Diag *d, Loc loc, int *line, int *col)
{
    Source *s = diag_source(d, loc.file);
    if (!s) {
        *line = *col = 0;
        return;
    }
    int32_t off = loc.start < 0 ? 0 : loc.start > s->len ? s->len : loc.start;
    int l = diag_line_of(s, off);
    *line = l + 1;
    *col = off - s->lines[l] + 1;
}

Loc loc_span(Loc a, Loc b)
{
    Loc r = a;
    if (b.file == a.file && b.end > r.end)
        r.end = b.end;
    return r;
}

static const char *diag_color(Diag *d, int kind)
{
    if (!d->color)
        return "";
    return kind == DIAG_ERROR ? "\033[1;31m" : kind == DIAG_WARNING ? "\033[1;35m" : "\033[1;36m";
}

enum { DIAG_WIDTH = 150 };  /* longer source lines are shown cut around the range */

/* "    3 | text" then "      |   ^~~~" for the first line of the range. */
static void diag_show_line(Diag *d, Source *s, Loc loc, int kind)
{
    int32_t start = loc.start < 0 ? 0 : loc.start > s->len ? s->len : loc.start;
    int l = diag_line_of(s, start);
    int32_t bol = s->lines[l], eol = bol;
    while (eol < s->len && s->text[eol] != '\n')
        eol++;
    int32_t end = loc.end > eol ? eol : loc.end;
    if (end < start)
        end = start;
    int32_t from = bol, to = eol;
    if (eol - bol > DIAG_WIDTH) {
        from = start - DIAG_WIDTH / 3 > bol ? start - DIAG_WIDTH / 3 : bol;
        to = from + DIAG_WIDTH < eol ? from + DIAG_WIDTH : eol;
        if (end > to)
            end = to;
    }
    const char *pre = from > bol ? "..." : "";
    fprintf(d->out, "%5d | %s", l + 1, pre);
    for (int32_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)s->text[i];
        fputc(c == '\t' || c < 32 || c == 127 ? ' ' : c, d->out);
    }
    fprintf(d->out, "%s\n      | %*s%s^", to < eol ? "..." : "", (int)(start - from + (int)strlen(pre)), "",
            diag_color(d, kind));
    for (int32_t i = start + 1; i < end; i++)
        fputc('~', d->out);
    fprintf(d->out, "%s\n", d->color ? "\033[0m" : "");
}

static void diag_emit(Diag *d, Loc loc, int kind, const char *fmt, va_list ap)
{
    static const char *names[] = {"error", "warning", "note"};
    Source *s = diag_source(d, loc.file);
    const char *bold = d->color ? "\033[1m" : "", *reset = d->color ? "\033[0m" : "";
    if (s) {
        int line, col;
        diag_linecol(d, loc, &line, &col);
        fprintf(d->out, "%s%s:%d:%d:%s ", bold, s->path, line, col, reset);
    } else {
        fprintf(d->out, "%sflowc:%s ", bold, reset);
    }
    fprintf(d->out, "%s%s:%s ", diag_color(d, kind), names[kind], reset);
    vfprintf(d->out, fmt, ap);
    fputc('\n', d->out);
    if (s)
        diag_show_line(d, s, loc, kind);
}

static int diag_muted(Diag *d)
{
    return d->max_errors && d->errors > d->max_errors;
}

void diag_error(Diag *d, Loc loc, const char *fmt, ...)
{
    if (d->downgrade) {
        va_list ap;
        va_start(ap, fmt);
        d->warnings++;
        diag_emit(d, loc, DIAG_WARNING, fmt, ap);
        va_end(ap);
        return;
    }
    d->errors++;
    if (diag_muted(d)) {
        d->suppressed++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    diag_emit(d, loc, DIAG_ERROR, fmt, ap);
    va_end(ap);
}

void diag_warning(Diag *d, Loc loc, const char *fmt, ...)
{
    d->warnings++;
    if (diag_muted(d))
        return;
    va_list ap;
    va_start(ap, fmt);
    diag_emit(d, loc, DIAG_WARNING, fmt, ap);
    va_end(ap);
}

void diag_note(Diag *d, Loc loc, const char *fmt, ...)
{
    if (diag_muted(d))
        return;
    va_list ap;
    va_start(ap, fmt);
    diag_emit(d, loc, DIAG_NOTE, fmt, ap);
    va_end(ap);
}

void diag_summary(Diag *d)
{
    if (d->suppressed)
        fprintf(d->out, "flowc: %d more errors not shown\n", d->suppressed);
    if (!d->errors && !d->warnings)
        return;
    fprintf(d->out, "flowc: %d error%s, %d warning%s\n", d->errors, d->errors == 1 ? "" : "s",
            d->warnings, d->warnings == 1 ? "" : "s");
}

int diag_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 1000;
    int row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cur = row[j];
            int sub = prev + (a[i - 1] != b[j - 1]);
            int del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[lb];
}

const char *diag_closest(const char *name, const char *const *cands, int n)
{
    const char *best = NULL;
    int bestd = 1000;
    int limit = (int)strlen(name) / 3 + 1;
    for (int i = 0; i < n; i++) {
        if (!cands[i] || !strcmp(cands[i], name))
            continue;
        int dist = diag_edit_distance(name, cands[i]);
        if (dist < bestd) {
            bestd = dist;
            best = cands[i];
        }
    }
    return bestd <= limit ? best : NULL;
}
