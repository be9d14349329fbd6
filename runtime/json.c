/* json.c - JSON Lines: read_jsonl parses each line with jansson (Debian's
 * libjansson4, loaded with dlopen when a job first reads JSON, so that job
 * binaries link nothing for it), and generated code walks the value into
 * the row type (a decoder per type, compiler/emit_json.c) with the calls
 * below; write_jsonl formats rows itself (strings escaped, numbers as
 * JSON has them). jansson rather than cJSON: cJSON parses 3.5x faster here
 * but keeps every number as a double, so an i64 above 2^53 would change
 * (docs/benchmarks.md). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "flrt_int.h"

typedef struct jansson_api {
    json_t *(*loadb)(const char *, size_t, size_t, json_error_t *);
    void (*del)(json_t *);
    json_t *(*get)(const json_t *, const char *);
    size_t (*size)(const json_t *);
    json_t *(*at)(const json_t *, size_t);
    json_int_t (*ival)(const json_t *);
    double (*rval)(const json_t *);
    const char *(*sval)(const json_t *);
    size_t (*slen)(const json_t *);
} jansson_api;

static jansson_api J;
static pthread_once_t J_once = PTHREAD_ONCE_INIT;
static int J_ok;

static void json_load_lib(void)
{
    void *lib = dlopen("libjansson.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        lib = dlopen("libjansson.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return;
    *(void **)&J.loadb = dlsym(lib, "json_loadb");
    *(void **)&J.del = dlsym(lib, "json_delete");
    *(void **)&J.get = dlsym(lib, "json_object_get");
    *(void **)&J.size = dlsym(lib, "json_array_size");
    *(void **)&J.at = dlsym(lib, "json_array_get");
    *(void **)&J.ival = dlsym(lib, "json_integer_value");
    *(void **)&J.rval = dlsym(lib, "json_real_value");
    *(void **)&J.sval = dlsym(lib, "json_string_value");
    *(void **)&J.slen = dlsym(lib, "json_string_length");
    J_ok = J.loadb && J.del && J.get && J.size && J.at && J.ival && J.rval && J.sval && J.slen;
}

int fl_json_blank(fl_str line)
{
    for (fl_i64 i = 0; i < line.len; i++)
        if (line.ptr[i] != ' ' && line.ptr[i] != '\t' && line.ptr[i] != '\r')
            return 0;
    return 1;
}

fl_json *fl_json_parse(fl_task *t, fl_str line, const char *path, fl_i64 lineno)
{
    pthread_once(&J_once, json_load_lib);
    if (!J_ok) {
        fl_fail(t, "read_jsonl %s: reading JSON needs libjansson (Debian: libjansson4)", path);
        return NULL;
    }
    json_error_t err;
    json_t *v = J.loadb(line.ptr, (size_t)line.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!v)
        fl_fail(t, "%s:%lld:%d: not JSON: %s", path, (long long)lineno, err.column, err.text);
    return (fl_json *)v;
}

void fl_json_free(fl_json *v)
{
    json_t *j = (json_t *)v;
    if (j && j->refcount != (size_t)-1 && --j->refcount == 0)
        J.del(j);
}

int fl_json_kind(const fl_json *v)
{
    switch (json_typeof((const json_t *)v)) {
    case JSON_OBJECT: return FL_J_OBJECT;
    case JSON_ARRAY: return FL_J_ARRAY;
    case JSON_STRING: return FL_J_STR;
    case JSON_INTEGER: return FL_J_INT;
    case JSON_REAL: return FL_J_REAL;
    case JSON_TRUE: return FL_J_TRUE;
    case JSON_FALSE: return FL_J_FALSE;
    default: return FL_J_NULL;
    }
}

fl_json *fl_json_get(const fl_json *o, const char *name)
{
    return json_is_object((const json_t *)o) ? (fl_json *)J.get((const json_t *)o, name) : NULL;
}

fl_i64 fl_json_len(const fl_json *v) { return (fl_i64)J.size((const json_t *)v); }
fl_json *fl_json_at(const fl_json *v, fl_i64 i) { return (fl_json *)J.at((const json_t *)v, (size_t)i); }
fl_i64 fl_json_int(const fl_json *v) { return (fl_i64)J.ival((const json_t *)v); }

double fl_json_real(const fl_json *v)
{
    const json_t *j = (const json_t *)v;
    return json_is_integer(j) ? (double)J.ival(j) : J.rval(j);
}

fl_str fl_json_str(const fl_json *v)
{
    fl_str s = {J.sval((const json_t *)v), (fl_i64)J.slen((const json_t *)v)};
    return s;
}

/* ---- decoders' messages ---- */

static const char *const kind_names[] = {"null", "false", "true", "an integer", "a number", "a string",
                                         "an array", "an object"};

int fl_json_want(char *err, const char *want, const fl_json *v)
{
    snprintf(err, FL_JSON_ERR, ": expected %s, found %s", want, v ? kind_names[fl_json_kind(v)] : "nothing (missing)");
    return -1;
}

int fl_json_in(char *err, const char *field, fl_i64 index)
{
    char tmp[FL_JSON_ERR];
    const char *sep = err[0] == '[' || err[0] == ':' ? "" : ".";
    if (field)
        snprintf(tmp, sizeof tmp, "%s%s%s", field, sep, err);
    else
        snprintf(tmp, sizeof tmp, "[%lld]%s%s", (long long)index, sep, err);
    memcpy(err, tmp, sizeof tmp);
    return -1;
}

/* ---- writing ---- */

int fl_buf_json_str(fl_buf *b, fl_str s)
{
    const unsigned char *p = (const unsigned char *)s.ptr;
    if (!flrt_utf8_ok(p, s.len))
        return -1;
    fl_buf_putc(b, '"');
    for (fl_i64 i = 0; i < s.len; i++) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            fl_buf_putc(b, '\\');
            fl_buf_putc(b, (char)c);
        } else if (c < 0x20) {
            char esc[8];
            int n = c == '\n' ? snprintf(esc, sizeof esc, "\\n") : c == '\t' ? snprintf(esc, sizeof esc, "\\t")
                    : c == '\r' ? snprintf(esc, sizeof esc, "\\r") : snprintf(esc, sizeof esc, "\\u%04x", c);
            fl_buf_put(b, esc, n);
        } else {
            fl_buf_putc(b, (char)c);
        }
    }
    fl_buf_putc(b, '"');
    return 0;
}

void fl_buf_json_f64(fl_buf *b, double v)
{
    if (isnan(v) || isinf(v)) {   /* (JSON has no NaN or infinity) */
        fl_buf_put(b, "null", 4);
        return;
    }
    char tmp[40];
    int n = flrt_fmt_f64(tmp, v);
    fl_buf_put(b, tmp, n);
    if (!memchr(tmp, '.', (size_t)n) && !memchr(tmp, 'e', (size_t)n))
        fl_buf_put(b, ".0", 2);   /* (read back as a number with a fraction: f64) */
}
