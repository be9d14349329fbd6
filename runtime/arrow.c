/* arrow.c - write_arrow: rows into Apache Arrow's IPC format, written from
 * the format's specification (docs/runtime.md). The compiler describes the
 * columns (one per field of the row type, nested in pre-order: a struct's
 * or a list's children follow it) and appends each row's values with the
 * calls below; every batch-size rows become a record batch. The file format
 * ("ARROW1", the schema, the batches, a footer naming them) goes to a path;
 * the stream format (the schema, the batches, an end marker) to standard
 * output or a path ending in .arrows. Types: i64 -> Int64, f64 -> Float64,
 * bool -> Boolean, str -> Utf8 (Binary with binary: true), opt<T> -> a
 * nullable T, tuples and records -> Struct, vec<T> -> List; buffers are
 * little-endian, 8-byte aligned. The metadata are FlatBuffers (fbuf.c).
 * The same columns can go to a host program instead, a record batch at a
 * time through the Arrow C Data Interface (flrt_arrow_export: a to_host
 * sink whose host asked for Arrow, runtime/lib.c). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "arrow_abi.h"
#include "fbuf.h"
#include "flrt_int.h"

enum { MSG_SCHEMA = 1, MSG_BATCH = 3, V5 = 4 };
enum { T_INT = 2, T_FLOAT = 3, T_BINARY = 4, T_UTF8 = 5, T_BOOL = 6, T_LIST = 12, T_STRUCT = 13 };

typedef struct acol {
    fl_buf valid, data, offs; /* validity bits, values (bits for bool), int32 offsets */
    fl_i64 len, nulls;
} acol;

struct fl_arrow_w {
    fl_task *t;
    fl_sink *sink;
    const fl_arrow_field *f;
    int nf, stream;
    int *next;               /* per column: the index after its subtree */
    acol *c;
    fl_i64 rows, batch;      /* rows in the batch being built; rows per batch */
    fl_i64 off;              /* bytes written so far */
    fl_buf blocks;           /* the file's record batches: (offset, meta, body) */
    fl_i64 nblocks;
    flrt_arrow_give give;    /* exporting: where each batch goes (else to the sink) */
    void *give_arg;
};

/* ---- appending ---- */

static void bit_put(fl_buf *b, fl_i64 i, int on)
{
    if (i % 8 == 0)
        fl_buf_putc(b, 0);
    if (on)
        b->p[i / 8] |= (char)(1 << (i % 8));
}

static void put32(fl_buf *b, int32_t v) { fl_buf_put(b, (const char *)&v, 4); }

static void col_valid(acol *c, int on)
{
    bit_put(&c->valid, c->len, on);
    c->nulls += !on;
    c->len++;
}

static int32_t end_off(const acol *c) { return ((const int32_t *)c->offs.p)[c->offs.len / 4 - 1]; }

void fl_arrow_i64(fl_arrow_w *w, int c, fl_i64 v)
{
    col_valid(&w->c[c], 1);
    fl_buf_put(&w->c[c].data, (const char *)&v, 8);
}

void fl_arrow_f64(fl_arrow_w *w, int c, double v)
{
    col_valid(&w->c[c], 1);
    fl_buf_put(&w->c[c].data, (const char *)&v, 8);
}

void fl_arrow_bool(fl_arrow_w *w, int c, fl_bool v)
{
    bit_put(&w->c[c].data, w->c[c].len, v != 0);
    col_valid(&w->c[c], 1);
}

int fl_arrow_str(fl_arrow_w *w, int c, fl_str s)
{
    acol *a = &w->c[c];
    if (w->f[c].type == FL_A_UTF8 && !flrt_utf8_ok((const unsigned char *)s.ptr, s.len))
        return -1;
    col_valid(a, 1);
    fl_buf_put(&a->data, s.ptr, s.len);
    put32(&a->offs, end_off(a) + (int32_t)s.len);
    return 0;
}

void fl_arrow_struct(fl_arrow_w *w, int c) { col_valid(&w->c[c], 1); }

void fl_arrow_list(fl_arrow_w *w, int c, fl_i64 n)
{
    acol *a = &w->c[c];
    col_valid(a, 1);
    put32(&a->offs, end_off(a) + (int32_t)n);
}

/* A slot at c that holds nothing (valid: a zero value; else null), and what its children need. */
static void col_empty(fl_arrow_w *w, int c, int valid)
{
    acol *a = &w->c[c];
    static const char zero[8];
    switch (w->f[c].type) {
    case FL_A_I64: case FL_A_F64: fl_buf_put(&a->data, zero, 8); break;
    case FL_A_BOOL: bit_put(&a->data, a->len, 0); break;
    case FL_A_UTF8: case FL_A_BINARY: case FL_A_LIST: put32(&a->offs, end_off(a)); break;
    default:   /* a struct: each child gets a zero value */
        for (int k = c + 1; k < w->next[c]; k = w->next[k])
            col_empty(w, k, 1);
        break;
    }
    col_valid(a, valid);
}

void fl_arrow_null(fl_arrow_w *w, int c) { col_empty(w, c, 0); }

/* ---- messages ---- */

static void out(fl_arrow_w *w, const void *p, fl_i64 n)
{
    fl_sink_write(w->sink, (const char *)p, n);
    w->off += n;
}

/* An encapsulated message: the marker, the metadata's length, the metadata (padded to 8), the body. */
static void message(fl_arrow_w *w, flrt_fb *fb, const fl_buf *body, fl_i64 *meta_len)
{
    int32_t head[2] = {-1, (int32_t)flrt_fb_size(fb)};
    out(w, head, 8);
    out(w, flrt_fb_data(fb), (fl_i64)flrt_fb_size(fb));
    if (body && body->len)
        out(w, body->p, body->len);
    *meta_len = 8 + (fl_i64)flrt_fb_size(fb);
}

static size_t type_table(flrt_fb *fb, int type, int *tag)
{
    flrt_fb_start(fb);
    switch (type) {
    case FL_A_I64: *tag = T_INT; flrt_fb_scalar(fb, 0, 64, 4); flrt_fb_scalar(fb, 1, 1, 1); break;
    case FL_A_F64: *tag = T_FLOAT; flrt_fb_scalar(fb, 0, 2, 2); break;
    case FL_A_BOOL: *tag = T_BOOL; break;
    case FL_A_UTF8: *tag = T_UTF8; break;
    case FL_A_BINARY: *tag = T_BINARY; break;
    case FL_A_LIST: *tag = T_LIST; break;
    default: *tag = T_STRUCT; break;
    }
    return flrt_fb_end(fb);
}

static size_t field_table(fl_arrow_w *w, flrt_fb *fb, int c)
{
    size_t kids[64];
    int n = 0;
    for (int k = c + 1; k < w->next[c] && n < 64; k = w->next[k])
        kids[n++] = field_table(w, fb, k);
    size_t children = flrt_fb_offsets(fb, kids, (size_t)n);
    int tag;
    size_t type = type_table(fb, w->f[c].type, &tag);
    size_t name = flrt_fb_string(fb, w->f[c].name, strlen(w->f[c].name));
    flrt_fb_start(fb);
    flrt_fb_offset(fb, 0, name);
    flrt_fb_offset(fb, 3, type);
    flrt_fb_offset(fb, 5, children);
    flrt_fb_scalar(fb, 1, (uint64_t)w->f[c].nullable, 1);
    flrt_fb_scalar(fb, 2, (uint64_t)tag, 1);
    return flrt_fb_end(fb);
}

static size_t schema_table(fl_arrow_w *w, flrt_fb *fb)
{
    size_t tops[256];
    int n = 0;
    for (int c = 0; c < w->nf && n < 256; c = w->next[c])
        tops[n++] = field_table(w, fb, c);
    size_t fields = flrt_fb_offsets(fb, tops, (size_t)n);
    flrt_fb_start(fb);
    flrt_fb_offset(fb, 1, fields);
    return flrt_fb_end(fb);
}

static size_t message_table(flrt_fb *fb, int kind, size_t header, fl_i64 body)
{
    flrt_fb_start(fb);
    flrt_fb_scalar(fb, 3, (uint64_t)body, 8);
    flrt_fb_offset(fb, 2, header);
    flrt_fb_scalar(fb, 0, V5, 2);
    flrt_fb_scalar(fb, 1, (uint64_t)kind, 1);
    return flrt_fb_end(fb);
}

static void write_schema(fl_arrow_w *w)
{
    flrt_fb fb = {0};
    size_t s = schema_table(w, &fb);
    flrt_fb_finish(&fb, message_table(&fb, MSG_SCHEMA, s, 0));
    fl_i64 meta;
    message(w, &fb, NULL, &meta);
    flrt_fb_free(&fb);
}

/* One buffer of the body: its bytes, padded to 8, and its (offset, length). */
static void body_put(fl_buf *body, fl_buf *descr, const char *p, fl_i64 n)
{
    int64_t d[2] = {body->len, n};
    fl_buf_put(descr, (const char *)d, 16);
    if (n)
        fl_buf_put(body, p, n);
    static const char zero[8];
    fl_buf_put(body, zero, (8 - n % 8) % 8);
}

static void col_buffers(acol *a, int type, fl_buf *body, fl_buf *descr)
{
    body_put(body, descr, a->valid.p, a->nulls ? (a->len + 7) / 8 : 0);
    if (type == FL_A_I64 || type == FL_A_F64 || type == FL_A_BOOL)
        body_put(body, descr, a->data.p, type == FL_A_BOOL ? (a->len + 7) / 8 : a->len * 8);
    if (type == FL_A_UTF8 || type == FL_A_BINARY || type == FL_A_LIST)
        body_put(body, descr, a->offs.p, a->offs.len);
    if (type == FL_A_UTF8 || type == FL_A_BINARY)
        body_put(body, descr, a->data.p, a->data.len);
}

static void col_reset(acol *a)
{
    a->valid.len = a->data.len = a->offs.len = 0;
    a->len = a->nulls = 0;
    put32(&a->offs, 0);
}

/* ---- the C Data Interface ---- */

typedef struct xarr {          /* an exported array's private data */
    void *own[3];              /* the buffers it frees */
    const void *bufs[3];
    struct ArrowArray *kids, **kidp;
} xarr;

static void xarr_release(struct ArrowArray *a)
{
    xarr *x = a->private_data;
    for (int64_t i = 0; i < a->n_children; i++)
        if (x->kids[i].release)   /* (unless the consumer moved it) */
            x->kids[i].release(&x->kids[i]);
    for (int i = 0; i < 3; i++)
        free(x->own[i]);
    free(x->kids);
    free(x->kidp);
    free(x);
    a->release = NULL;
}

/* Buffer i of x: b's memory, now x's (never NULL); b is left empty. */
static const void *take(xarr *x, int i, fl_buf *b)
{
    x->own[i] = b->p ? b->p : flrt_xmalloc(8);
    *b = (fl_buf){0, 0, 0};
    return x->bufs[i] = x->own[i];
}

/* The children of an exported node: n arrays or schemas of `size` bytes, and pointers to them. */
static void *kids_new(int64_t n, size_t size, void ***ptrs)
{
    char *k = flrt_xcalloc((size_t)(n ? n : 1), size);
    *ptrs = flrt_xcalloc((size_t)(n ? n : 1), sizeof(void *));
    for (int64_t i = 0; i < n; i++)
        (*ptrs)[i] = k + (size_t)i * size;
    return k;
}

static int64_t nkids(const fl_arrow_w *w, int c)
{
    return w->f[c].type == FL_A_STRUCT ? w->f[c].nchild : w->f[c].type == FL_A_LIST ? 1 : 0;
}

/* Column c's values as an array (its buffers taken from the column). */
static void export_array(fl_arrow_w *w, int c, struct ArrowArray *a)
{
    acol *col = &w->c[c];
    int type = w->f[c].type, nb = 1;
    xarr *x = flrt_xcalloc(1, sizeof *x);
    if (col->nulls)
        take(x, 0, &col->valid);
    if (type == FL_A_UTF8 || type == FL_A_BINARY || type == FL_A_LIST)
        take(x, nb++, &col->offs);
    if (type != FL_A_STRUCT && type != FL_A_LIST)
        take(x, nb++, &col->data);
    int64_t nk = nkids(w, c);
    x->kids = kids_new(nk, sizeof *x->kids, (void ***)&x->kidp);
    for (int64_t i = 0, k = c + 1; i < nk; i++, k = w->next[k])
        export_array(w, (int)k, &x->kids[i]);
    *a = (struct ArrowArray){.length = col->len, .null_count = col->nulls, .n_buffers = nb, .n_children = nk,
                             .buffers = x->bufs, .children = x->kidp, .release = xarr_release, .private_data = x};
}

typedef struct xsch {          /* an exported schema's private data */
    char *name;
    struct ArrowSchema *kids, **kidp;
} xsch;

static void xsch_release(struct ArrowSchema *s)
{
    xsch *x = s->private_data;
    for (int64_t i = 0; i < s->n_children; i++)
        if (x->kids[i].release)
            x->kids[i].release(&x->kids[i]);
    free(x->name);
    free(x->kids);
    free(x->kidp);
    free(x);
    s->release = NULL;
}

static void schema_node(struct ArrowSchema *s, const char *format, const char *name, int64_t flags, int64_t nk)
{
    xsch *x = flrt_xcalloc(1, sizeof *x);
    x->name = flrt_strndup(name, strlen(name));
    x->kids = kids_new(nk, sizeof *x->kids, (void ***)&x->kidp);
    *s = (struct ArrowSchema){.format = format, .name = x->name, .flags = flags, .n_children = nk,
                              .children = x->kidp, .release = xsch_release, .private_data = x};
}

static void export_schema(const fl_arrow_w *w, int c, struct ArrowSchema *s)
{
    static const char *const formats[] = {"l", "g", "b", "u", "z", "+s", "+l"};   /* (FL_A_* order) */
    int64_t nk = nkids(w, c);
    schema_node(s, formats[w->f[c].type], w->f[c].name, w->f[c].nullable ? ARROW_FLAG_NULLABLE : 0, nk);
    xsch *x = s->private_data;
    for (int64_t i = 0, k = c + 1; i < nk; i++, k = w->next[k])
        export_schema(w, (int)k, &x->kids[i]);
}

static int64_t ntop(const fl_arrow_w *w)
{
    int64_t n = 0;
    for (int c = 0; c < w->nf; c = w->next[c])
        n++;
    return n;
}

/* The batch as a struct array of the top columns, and its schema, to the
 * host; what the host neither released nor moved is released after. */
static void export_batch(fl_arrow_w *w)
{
    int64_t n = ntop(w);
    struct ArrowSchema s;
    schema_node(&s, "+s", "", 0, n);
    struct ArrowArray a;
    xarr *x = flrt_xcalloc(1, sizeof *x);
    x->kids = kids_new(n, sizeof *x->kids, (void ***)&x->kidp);
    for (int64_t i = 0, c = 0; i < n; i++, c = w->next[c]) {
        export_schema(w, (int)c, &((xsch *)s.private_data)->kids[i]);
        export_array(w, (int)c, &x->kids[i]);
    }
    a = (struct ArrowArray){.length = w->rows, .n_buffers = 1, .n_children = n, .buffers = x->bufs,
                            .children = x->kidp, .release = xarr_release, .private_data = x};
    w->give(w->give_arg, &a, &s);
    if (a.release)
        a.release(&a);
    if (s.release)
        s.release(&s);
}

/* ---- record batches ---- */

static void write_batch(fl_arrow_w *w)
{
    if (w->give) {
        export_batch(w);
        for (int c = 0; c < w->nf; c++)
            col_reset(&w->c[c]);
        w->rows = 0;
        return;
    }
    fl_buf body = {0}, descr = {0}, nodes = {0};
    for (int c = 0; c < w->nf; c++) {
        int64_t node[2] = {w->c[c].len, w->c[c].nulls};
        fl_buf_put(&nodes, (const char *)node, 16);
        col_buffers(&w->c[c], w->f[c].type, &body, &descr);
    }
    flrt_fb fb = {0};
    size_t bufs = flrt_fb_structs(&fb, descr.p, 16, (size_t)(descr.len / 16));
    size_t nv = flrt_fb_structs(&fb, nodes.p, 16, (size_t)w->nf);
    flrt_fb_start(&fb);
    flrt_fb_scalar(&fb, 0, (uint64_t)w->rows, 8);
    flrt_fb_offset(&fb, 1, nv);
    flrt_fb_offset(&fb, 2, bufs);
    size_t rb = flrt_fb_end(&fb);
    flrt_fb_finish(&fb, message_table(&fb, MSG_BATCH, rb, body.len));
    int64_t block[3] = {w->off, 0, body.len};
    fl_i64 meta;
    message(w, &fb, &body, &meta);
    block[1] = meta;   /* (the Block struct: offset, metaDataLength as an int32 then padding, bodyLength) */
    fl_buf_put(&w->blocks, (const char *)block, 24);
    w->nblocks++;
    flrt_fb_free(&fb);
    fl_buf_free(&body);
    fl_buf_free(&descr);
    fl_buf_free(&nodes);
    for (int c = 0; c < w->nf; c++)
        col_reset(&w->c[c]);
    w->rows = 0;
}

void fl_arrow_row_end(fl_arrow_w *w)
{
    if (++w->rows >= w->batch)
        write_batch(w);
}

static fl_arrow_w *writer_new(fl_task *t, const fl_arrow_field *fields, int nfields)
{
    fl_arrow_w *w = flrt_xcalloc(1, sizeof *w);
    w->t = t;
    w->f = fields;
    w->nf = nfields;
    w->next = flrt_xcalloc((size_t)nfields + 1, sizeof *w->next);
    for (int c = nfields - 1; c >= 0; c--) {   /* the index after each subtree */
        int k = c + 1;
        for (int i = 0; i < fields[c].nchild; i++)
            k = w->next[k];
        w->next[c] = k;
    }
    w->next[nfields] = nfields;
    w->c = flrt_xcalloc((size_t)nfields, sizeof *w->c);
    for (int c = 0; c < nfields; c++)
        col_reset(&w->c[c]);
    w->batch = flrt_job_current()->batch_rows > 0 ? flrt_job_current()->batch_rows : FL_BATCH_ROWS;
    return w;
}

fl_arrow_w *flrt_arrow_export(fl_task *t, const fl_arrow_field *fields, int nfields, flrt_arrow_give give, void *arg)
{
    fl_arrow_w *w = writer_new(t, fields, nfields);
    w->give = give;
    w->give_arg = arg;
    return w;
}

fl_arrow_w *fl_arrow_open(fl_task *t, fl_str path, const fl_arrow_field *fields, int nfields)
{
    fl_arrow_w *w = writer_new(t, fields, nfields);
    w->stream = (path.len == 1 && path.ptr[0] == '-') || (path.len > 7 && !memcmp(path.ptr + path.len - 7, ".arrows", 7));
    w->sink = fl_sink_open(t, path);
    if (!w->stream)
        out(w, "ARROW1\0\0", 8);
    write_schema(w);
    return w;
}

static void write_footer(fl_arrow_w *w)
{
    flrt_fb fb = {0};
    size_t blocks = flrt_fb_structs(&fb, w->blocks.p, 24, (size_t)w->nblocks);
    size_t schema = schema_table(w, &fb);
    flrt_fb_start(&fb);
    flrt_fb_offset(&fb, 3, blocks);
    flrt_fb_offset(&fb, 1, schema);
    flrt_fb_scalar(&fb, 0, V5, 2);
    flrt_fb_finish(&fb, flrt_fb_end(&fb));
    out(w, flrt_fb_data(&fb), (fl_i64)flrt_fb_size(&fb));
    int32_t n = (int32_t)flrt_fb_size(&fb);
    out(w, &n, 4);
    out(w, "ARROW1", 6);
    flrt_fb_free(&fb);
}

void fl_arrow_close(fl_arrow_w *w)
{
    if (!w)
        return;
    if (w->rows)
        write_batch(w);
    if (!w->give) {
        if (w->stream) {
            int32_t eos[2] = {-1, 0};
            out(w, eos, 8);
        } else {
            write_footer(w);
        }
        fl_sink_close(w->sink);
    }
    for (int c = 0; c < w->nf; c++) {
        fl_buf_free(&w->c[c].valid);
        fl_buf_free(&w->c[c].data);
        fl_buf_free(&w->c[c].offs);
    }
    fl_buf_free(&w->blocks);
    free(w->c);
    free(w->next);
    free(w);
}
