/* arrow_host.c - a host program that takes a job's rows as Arrow record batches through the
 * C Data Interface (tests/capi/run.sh: arrow_host LIBCOLS.so DUMP): it runs cols.flow's library
 * with an arrow0 callback, reads each batch's arrays as the interface's specification lays
 * them out (validity bitmaps, offsets, children) and writes the schema and the rows as
 * tests/arrow/check.py reads them (a JSON schema line, then a JSON object per row). Batches
 * are handled three ways, in turn: released in the callback, moved out and released after the
 * job, and left to the job (which then releases them). Exit status 0 when the job ran, every
 * batch had at most the batch size of rows and each release came once. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrow_abi.h"

typedef int (*run_fn)(const void *p, int threads, const void *io, char *err, long errlen);

static FILE *out;
static int nbatches, schema_written, failures;
static long long rows;
static struct ArrowArray kept[64];
static struct ArrowSchema kept_s[64];
static int nkept;

static void fail(const char *what)
{
    fprintf(stderr, "FAIL: %s\n", what);
    failures++;
}

static int valid(const struct ArrowArray *a, long long i)
{
    const unsigned char *v = a->buffers[0];
    i += a->offset;
    return !v || (v[i / 8] >> (i % 8)) & 1;
}

static void type_str(const struct ArrowSchema *s, char *buf, size_t n)
{
    const char *f = s->format;
    if (!strcmp(f, "l"))
        snprintf(buf, n, "Int64");
    else if (!strcmp(f, "g"))
        snprintf(buf, n, "Float64");
    else if (!strcmp(f, "b"))
        snprintf(buf, n, "Bool");
    else if (!strcmp(f, "u"))
        snprintf(buf, n, "Utf8");
    else if (!strcmp(f, "z"))
        snprintf(buf, n, "Binary");
    else if (!strcmp(f, "+l")) {
        char c[256];
        type_str(s->children[0], c, sizeof c);
        snprintf(buf, n, "List<%s>", c);
    } else if (!strcmp(f, "+s")) {
        size_t k = (size_t)snprintf(buf, n, "Struct<{");
        for (long long i = 0; i < s->n_children && k < n; i++) {
            char c[256];
            type_str(s->children[i], c, sizeof c);
            k += (size_t)snprintf(buf + k, n - k, "%s%s:%s", i ? ", " : "", s->children[i]->name, c);
        }
        if (k < n)
            snprintf(buf + k, n - k, "}>");
    } else {
        snprintf(buf, n, "?%s", f);
    }
}

static void json_str(const char *p, long long len)
{
    fputc('"', out);
    for (long long i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* The value at row i of array a (with schema s) as JSON. */
static void value(const struct ArrowArray *a, const struct ArrowSchema *s, long long i)
{
    const char *f = s->format;
    if (!valid(a, i)) {
        fputs("null", out);
        return;
    }
    long long j = i + a->offset;
    if (!strcmp(f, "l")) {
        fprintf(out, "%lld", (long long)((const int64_t *)a->buffers[1])[j]);
    } else if (!strcmp(f, "g")) {
        fprintf(out, "%.17g", ((const double *)a->buffers[1])[j]);
    } else if (!strcmp(f, "b")) {
        fputs((((const unsigned char *)a->buffers[1])[j / 8] >> (j % 8)) & 1 ? "true" : "false", out);
    } else if (!strcmp(f, "u") || !strcmp(f, "z")) {
        const int32_t *o = a->buffers[1];
        json_str((const char *)a->buffers[2] + o[j], o[j + 1] - o[j]);
    } else if (!strcmp(f, "+l")) {
        const int32_t *o = a->buffers[1];
        fputc('[', out);
        for (int32_t k = o[j]; k < o[j + 1]; k++) {
            if (k > o[j])
                fputc(',', out);
            value(a->children[0], s->children[0], k);
        }
        fputc(']', out);
    } else if (!strcmp(f, "+s")) {
        fputc('{', out);
        for (long long k = 0; k < a->n_children; k++) {
            fprintf(out, "%s\"%s\":", k ? "," : "", s->children[k]->name);
            value(a->children[k], s->children[k], j);
        }
        fputc('}', out);
    } else {
        fail("an unknown format");
    }
}

static void on_batch(void *ctx, struct ArrowArray *batch, struct ArrowSchema *schema)
{
    (void)ctx;
    if (strcmp(schema->format, "+s") || batch->n_children != schema->n_children || batch->length > 1024 ||
        batch->length <= 0)
        fail("a batch: a struct array of the columns, 1 to 1024 rows");
    if (!schema_written) {
        fputc('[', out);
        for (long long k = 0; k < schema->n_children; k++) {
            char t[512];
            type_str(schema->children[k], t, sizeof t);
            fprintf(out, "%s[\"%s\", \"%s\", %s]", k ? ", " : "", schema->children[k]->name, t,
                    schema->children[k]->flags & ARROW_FLAG_NULLABLE ? "true" : "false");
        }
        fputs("]\n", out);
        schema_written = 1;
    }
    for (long long i = 0; i < batch->length; i++) {
        value(batch, schema, i);
        fputc('\n', out);
    }
    rows += batch->length;
    switch (nbatches++ % 3) {
    case 0:   /* released here */
        batch->release(batch);
        schema->release(schema);
        if (batch->release || schema->release)
            fail("release marks the struct released");
        break;
    case 1:   /* moved out (the spec's move: copy, mark the source released), released later */
        if (nkept < 64) {
            kept[nkept] = *batch;
            kept_s[nkept++] = *schema;
            batch->release = NULL;
            schema->release = NULL;
        }
        break;
    default:  /* left to the job */
        break;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: arrow_host LIBCOLS DUMP\n");
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    run_fn run = lib ? (run_fn)dlsym(lib, "cols_run") : NULL;
    out = fopen(argv[2], "w");
    if (!run || !out) {
        fprintf(stderr, "cannot load %s or open %s\n", argv[1], argv[2]);
        return 2;
    }
    struct { long long n; int n_given; int unused_; } params = {0};
    struct {
        void *ctx;
        void (*out0)(void *, const void *);
        void (*arrow0)(void *, struct ArrowArray *, struct ArrowSchema *);
    } io = {NULL, NULL, on_batch};
    char err[256] = "";
    if (run(&params, 2, &io, err, sizeof err) != 0) {
        fprintf(stderr, "FAIL: the job: %s\n", err);
        return 1;
    }
    for (int i = 0; i < nkept; i++) {   /* the moved batches are still whole */
        if (kept[i].length <= 0 || !kept[i].release)
            fail("a moved batch");
        kept[i].release(&kept[i]);
        kept_s[i].release(&kept_s[i]);
    }
    fclose(out);
    if (nbatches < 3)
        fail("fewer than 3 batches (2500 rows at 1024 a batch)");
    printf("%d batches, %lld rows\n", nbatches, rows);
    return failures ? 1 : 0;
}
