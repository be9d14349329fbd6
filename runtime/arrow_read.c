/* arrow_read.c - read_arrow: an Apache Arrow IPC file (or stream) read back
 * into rows. The file is mapped; its footer (or, for the stream format, its
 * messages in order) gives the schema and the record batches, which the
 * tasks share (task i of n takes batches i, i+n...). The schema is checked
 * against the row type's columns (arrow.c's descriptors, made by the
 * compiler): top-level columns by name, nested ones in order; integers of
 * 8-64 bits and floats of 32 or 64 widen, Utf8 and Binary both read as str
 * (and their Large forms, with 64-bit offsets, as LargeList as a vector);
 * a dictionary-encoded string column reads its values from its dictionary
 * batch (file or stream; not delta or replaced dictionaries); Utf8View and
 * BinaryView read their views and data buffers. Buffers compressed with LZ4
 * or zstd (pyarrow's Feather files, Polars' option) are decompressed per
 * record batch (liblz4 or libzstd loaded with dlopen, zin.c), into memory
 * freed when the next batch is loaded: a call of the source reads rows of
 * one batch only (compiler/emit_arrow.c).
 * Every offset and length of the metadata and buffers is checked against
 * the file before use: a truncated or corrupt file fails the job naming
 * it and what is wrong. Strings point into the mapping (kept to the end of
 * the job). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flrt_int.h"
#include "zin.h"

enum { T_INT = 2, T_FLOAT = 3, T_BINARY = 4, T_UTF8 = 5, T_BOOL = 6, T_LIST = 12, T_STRUCT = 13, MAXCOLS = 512 };
enum { T_LARGE_BINARY = 19, T_LARGE_UTF8 = 20, T_LARGE_LIST = 21 };   /* (64-bit offsets) */
enum { T_BINARY_VIEW = 23, T_UTF8_VIEW = 24 };   /* (16-byte views, data in variadic buffers) */
enum { MSG_DICT = 2, MSG_BATCH = 3, MAXDICTS = 64 };

typedef struct fcol {        /* a column of the file's schema, in pre-order */
    char name[64];
    int tag, bits, is_signed, nchild;
    int large;               /* LargeUtf8, LargeBinary, LargeList: tag as the small one, 64-bit offsets */
    int view;                /* Utf8View, BinaryView: tag as Utf8, Binary; views and variadic buffers */
    int dict;                /* dictionary-encoded: the batches hold indices (of ibits, signed or not) */
    int ibits, isigned;
    fl_i64 dict_id;
} fcol;

typedef struct rcol {        /* a column of the batch being read */
    const unsigned char *valid, *data, *offs;
    int owidth;              /* bytes per offset: 4, or 8 for a large type */
    fl_i64 len, dlen;
    const unsigned char **var;   /* a view column's data buffers (data: its views) */
    fl_i64 *varlen, nvar;
} rcol;

typedef struct owned {       /* memory a reader made (decompressed buffers, view lists) */
    void **p;
    fl_i64 n, cap;
} owned;

struct fl_arrow_r {
    fl_task *t;
    flrt_map *map;
    const unsigned char *p;
    fl_i64 n;
    const char *path;
    fcol f[MAXCOLS];
    int nf;
    int *map_c;              /* per wanted column: the file's column */
    const fl_arrow_field *want;
    int nwant;
    fl_i64 *blocks;          /* (offset, metadata length, body length) per record batch */
    fl_i64 nblocks, next;
    rcol c[MAXCOLS];
    struct {                 /* the dictionaries: values of a string column, by id */
        fl_i64 id;
        rcol v;
    } dicts[MAXDICTS];
    int ndicts;
    int codec;               /* the batch being loaded: -1, or FLRT_Z_LZ4 or FLRT_Z_ZSTD */
    const unsigned char *varcounts;   /* its variadicBufferCounts (one per view column), or NULL */
    fl_i64 nvarcounts, varnext;
    owned batch_mem, dict_mem, *mem;  /* the current batch's (freed at the next), the dictionaries' */
    int bad;
};

/* ---- bounds-checked reads of the file's bytes ---- */

static int fail(fl_arrow_r *r, const char *what, fl_i64 at)
{
    if (!r->bad)
        fl_fail(r->t, "read_arrow %s: %s (at byte %lld)", r->path, what, (long long)at);
    r->bad = 1;
    return -1;
}

static int in(fl_arrow_r *r, fl_i64 at, fl_i64 n) { return at >= 0 && n >= 0 && at <= r->n && n <= r->n - at; }

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static fl_i64 rd(fl_arrow_r *r, fl_i64 at, int n)
{
    if (!in(r, at, n)) {
        fail(r, "truncated or corrupt metadata", at);
        return 0;
    }
    return (fl_i64)le(r->p + at, n);
}

/* ---- FlatBuffers: a table's field k, offsets, vectors ---- */

static fl_i64 fb_field(fl_arrow_r *r, fl_i64 table, int k)
{
    fl_i64 vt = table - (int32_t)rd(r, table, 4);
    fl_i64 vsize = rd(r, vt, 2);
    if (r->bad || 4 + 2 * k + 2 > vsize)
        return -1;
    fl_i64 off = rd(r, vt + 4 + 2 * k, 2);
    return off ? table + off : -1;
}

static fl_i64 fb_deref(fl_arrow_r *r, fl_i64 at) { return at < 0 ? -1 : at + (fl_i64)(uint32_t)rd(r, at, 4); }
static fl_i64 fb_int(fl_arrow_r *r, fl_i64 table, int k, int n, fl_i64 def)
{
    fl_i64 at = fb_field(r, table, k);
    return at < 0 ? def : rd(r, at, n);
}

/* ---- the schema ---- */

static void read_field(fl_arrow_r *r, fl_i64 field)
{
    if (r->nf >= MAXCOLS) {
        fail(r, "too many columns", field);
        return;
    }
    fcol *c = &r->f[r->nf++];
    fl_i64 name = fb_deref(r, fb_field(r, field, 0));
    fl_i64 nlen = name < 0 ? 0 : rd(r, name, 4);
    if (name >= 0 && in(r, name + 4, nlen))
        snprintf(c->name, sizeof c->name, "%.*s", (int)nlen, (const char *)r->p + name + 4);
    c->tag = (int)fb_int(r, field, 2, 1, 0);
    if (c->tag >= T_LARGE_BINARY && c->tag <= T_LARGE_LIST) {
        static const int small[] = {T_BINARY, T_UTF8, T_LIST};
        c->tag = small[c->tag - T_LARGE_BINARY];
        c->large = 1;
    } else if (c->tag == T_BINARY_VIEW || c->tag == T_UTF8_VIEW) {
        c->tag = c->tag == T_UTF8_VIEW ? T_UTF8 : T_BINARY;
        c->view = 1;
    }
    fl_i64 type = fb_deref(r, fb_field(r, field, 3)), dict = fb_deref(r, fb_field(r, field, 4));
    if (dict >= 0) {   /* DictionaryEncoding: id, indexType (an Int table; Int32 when absent) */
        fl_i64 it = fb_deref(r, fb_field(r, dict, 1));
        c->dict = 1;
        c->dict_id = fb_int(r, dict, 0, 8, 0);
        c->ibits = it >= 0 ? (int)fb_int(r, it, 0, 4, 32) : 32;
        c->isigned = it >= 0 ? (int)fb_int(r, it, 1, 1, 0) : 1;
        if (c->ibits != 8 && c->ibits != 16 && c->ibits != 32 && c->ibits != 64)
            fail(r, "a dictionary's index of an odd width", dict);
    }
    if (c->tag == T_INT && type >= 0) {
        c->bits = (int)fb_int(r, type, 0, 4, 0);
        c->is_signed = (int)fb_int(r, type, 1, 1, 0);
    } else if (c->tag == T_FLOAT && type >= 0) {
        c->bits = (int)fb_int(r, type, 0, 2, 0) == 2 ? 64 : (int)fb_int(r, type, 0, 2, 0) == 1 ? 32 : 16;
    }
    fl_i64 kids = fb_deref(r, fb_field(r, field, 5));
    fl_i64 n = kids < 0 ? 0 : rd(r, kids, 4);
    c->nchild = (int)n;
    for (fl_i64 i = 0; i < n && !r->bad; i++)
        read_field(r, fb_deref(r, kids + 4 + 4 * i));
}

static void read_schema(fl_arrow_r *r, fl_i64 schema)
{
    fl_i64 fields = fb_deref(r, fb_field(r, schema, 1));
    fl_i64 n = fields < 0 ? 0 : rd(r, fields, 4);
    for (fl_i64 i = 0; i < n && !r->bad; i++)
        read_field(r, fb_deref(r, fields + 4 + 4 * i));
}

/* The file's column after column c's subtree. */
static int fskip(const fl_arrow_r *r, int c)
{
    int k = c + 1;
    for (int i = 0; i < r->f[c].nchild; i++)
        k = fskip(r, k);
    return k;
}

static int wskip(const fl_arrow_r *r, int c)
{
    int k = c + 1;
    for (int i = 0; i < r->want[c].nchild; i++)
        k = wskip(r, k);
    return k;
}

static const char *ftype(const fcol *c, char *buf, size_t n)
{
    static const char *names[] = {[T_BINARY] = "Binary", [T_UTF8] = "Utf8", [T_BOOL] = "Bool", [T_LIST] = "List",
                                  [T_STRUCT] = "Struct"};
    if (c->tag == T_INT)
        snprintf(buf, n, "%s%d", c->is_signed ? "Int" : "UInt", c->bits);
    else if (c->tag == T_FLOAT)
        snprintf(buf, n, "Float%d", c->bits);
    else
        snprintf(buf, n, "%s%s%s%s", c->dict ? "a dictionary of " : "", c->large ? "Large" : "",
                 c->tag < 14 && names[c->tag] ? names[c->tag] : "an unsupported type", c->view ? "View" : "");
    return buf;
}

static int type_fits(const fcol *f, int want)
{
    if (f->dict)   /* (dictionaries are read for strings) */
        return (want == FL_A_UTF8 || want == FL_A_BINARY) && (f->tag == T_UTF8 || f->tag == T_BINARY);
    switch (want) {
    case FL_A_I64: return f->tag == T_INT && (f->is_signed ? f->bits <= 64 : f->bits <= 32);
    case FL_A_F64: return f->tag == T_FLOAT && f->bits >= 32;
    case FL_A_BOOL: return f->tag == T_BOOL;
    case FL_A_UTF8: case FL_A_BINARY: return f->tag == T_UTF8 || f->tag == T_BINARY;
    case FL_A_LIST: return f->tag == T_LIST;
    default: return f->tag == T_STRUCT;
    }
}

/* Wanted column w (named path) against file column f, and their children. */
static int match(fl_arrow_r *r, int w, int f, const char *path)
{
    static const char *wnames[] = {"i64", "f64", "bool", "str", "str", "a record or tuple", "vec"};
    char full[256], tb[48];
    snprintf(full, sizeof full, "%s%s%s", path, *path ? "." : "", r->want[w].name);
    if (!type_fits(&r->f[f], r->want[w].type) ||
        (r->want[w].type == FL_A_STRUCT && r->f[f].nchild != r->want[w].nchild)) {
        char kids[32] = "";
        if (r->f[f].tag == T_STRUCT)
            snprintf(kids, sizeof kids, " of %d fields", r->f[f].nchild);
        fl_fail(r->t, "read_arrow %s: column `%s` is %s%s in the file, but %s in the row type", r->path, full,
                ftype(&r->f[f], tb, sizeof tb), kids, r->want[w].type == FL_A_STRUCT
                ? (snprintf(tb, sizeof tb, "a record of %d fields", r->want[w].nchild), tb) : wnames[r->want[w].type]);
        return -1;
    }
    r->map_c[w] = f;
    for (int i = 0, wk = w + 1, fk = f + 1; i < r->want[w].nchild; i++, wk = wskip(r, wk), fk = fskip(r, fk))
        if (match(r, wk, fk, full) < 0)
            return -1;
    return 0;
}

/* The row type's top-level columns by name. */
static int match_top(fl_arrow_r *r)
{
    for (int w = 0; w < r->nwant; w = wskip(r, w)) {
        int f = 0;
        while (f < r->nf && strcmp(r->f[f].name, r->want[w].name))
            f = fskip(r, f);
        if (f >= r->nf) {
            fl_fail(r->t, "read_arrow %s: the file has no column `%s` (the row type's)", r->path, r->want[w].name);
            return -1;
        }
        if (match(r, w, f, "") < 0)
            return -1;
    }
    return 0;
}

/* ---- the file's layout ---- */

static void add_block(fl_arrow_r *r, fl_i64 off, fl_i64 meta, fl_i64 body)
{
    if (r->nblocks % 64 == 0)
        r->blocks = flrt_xrealloc(r->blocks, (size_t)(r->nblocks + 64) * 3 * sizeof(fl_i64));
    r->blocks[3 * r->nblocks] = off;
    r->blocks[3 * r->nblocks + 1] = meta;
    r->blocks[3 * r->nblocks + 2] = body;
    r->nblocks++;
}

/* The message at off: its header's kind and table (-1 when none), its metadata and body lengths. */
static int message_at(fl_arrow_r *r, fl_i64 off, fl_i64 *header, fl_i64 *meta, fl_i64 *body)
{
    fl_i64 at = off, len = (int32_t)rd(r, at, 4);
    if (len == -1)
        at += 4, len = (int32_t)rd(r, at, 4);   /* (the continuation marker) */
    if (len <= 0)
        return 0;
    fl_i64 msg = at + 4;
    if (!in(r, msg, len))
        return fail(r, "a message runs past the end of the file", msg), -1;
    fl_i64 root = msg + (uint32_t)rd(r, msg, 4);
    int kind = (int)fb_int(r, root, 1, 1, 0);
    *header = fb_deref(r, fb_field(r, root, 2));
    *body = fb_int(r, root, 3, 8, 0);
    *meta = msg + len - off;
    return r->bad ? -1 : kind;
}

static void load_dict(fl_arrow_r *r, fl_i64 off);

static int open_file(fl_arrow_r *r)
{
    fl_i64 flen = (int32_t)rd(r, r->n - 10, 4), foot = r->n - 10 - flen;
    if (r->n < 18 || memcmp(r->p + r->n - 6, "ARROW1", 6) || flen <= 0 || !in(r, foot, flen))
        return fail(r, "not an Arrow file, or truncated (no footer)", r->n);
    fl_i64 root = foot + (uint32_t)rd(r, foot, 4);
    read_schema(r, fb_deref(r, fb_field(r, root, 1)));
    fl_i64 bv = fb_deref(r, fb_field(r, root, 3));
    fl_i64 nb = bv < 0 ? 0 : rd(r, bv, 4);
    if (bv >= 0 && !in(r, bv + 4, nb * 24))
        return fail(r, "a corrupt footer", bv);
    for (fl_i64 i = 0; i < nb && !r->bad; i++)
        add_block(r, rd(r, bv + 4 + 24 * i, 8), (int32_t)rd(r, bv + 12 + 24 * i, 4), rd(r, bv + 20 + 24 * i, 8));
    fl_i64 dv = fb_deref(r, fb_field(r, root, 2));   /* (the dictionaries' blocks) */
    fl_i64 nd = dv < 0 ? 0 : rd(r, dv, 4);
    if (dv >= 0 && !in(r, dv + 4, nd * 24))
        return fail(r, "a corrupt footer", dv);
    for (fl_i64 i = 0; i < nd && !r->bad; i++)
        load_dict(r, rd(r, dv + 4 + 24 * i, 8));
    return r->bad ? -1 : 0;
}

static int open_stream(fl_arrow_r *r)
{
    for (fl_i64 off = 0; off < r->n && !r->bad;) {
        fl_i64 header, meta, body;
        int kind = message_at(r, off, &header, &meta, &body);
        if (kind <= 0)
            break;
        if (kind == 1 && !r->nf)
            read_schema(r, header);
        else if (kind == MSG_DICT)
            load_dict(r, off);
        else if (kind == MSG_BATCH)
            add_block(r, off, meta, body);
        off += meta + body;
    }
    if (!r->nf && !r->bad)
        fail(r, "no schema", 0);
    return r->bad ? -1 : 0;
}

fl_arrow_r *fl_arrow_ropen(fl_task *t, fl_str path, const fl_arrow_field *want, int nwant)
{
    fl_arrow_r *r = flrt_xcalloc(1, sizeof *r);
    r->t = t;
    r->codec = -1;
    r->mem = &r->batch_mem;
    r->want = want;
    r->nwant = nwant;
    r->map_c = flrt_xcalloc((size_t)nwant + 1, sizeof *r->map_c);
    r->map = flrt_map_open(path, 0);
    if (!r->map) {
        fl_arrow_rclose(r);
        return NULL;
    }
    r->p = (const unsigned char *)r->map->addr;
    r->n = r->map->len;
    r->path = r->map->path;
    int rc = r->n >= 8 && !memcmp(r->p, "ARROW1", 6) ? open_file(r) : open_stream(r);
    if (rc < 0 || match_top(r) < 0) {
        fl_arrow_rclose(r);
        return NULL;
    }
    r->next = t->index;
    return r;
}

/* ---- record batches ---- */

static int buffers_per(int tag) { return tag == T_STRUCT ? 1 : tag == T_UTF8 || tag == T_BINARY ? 3 : 2; }

static void *own(fl_arrow_r *r, void *p)
{
    owned *o = r->mem;
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 16;
        o->p = flrt_xrealloc(o->p, (size_t)o->cap * sizeof *o->p);
    }
    return o->p[o->n++] = p;
}

static void own_free(owned *o)
{
    for (fl_i64 i = 0; i < o->n; i++)
        free(o->p[i]);
    o->n = 0;
}

/* A compressed buffer (its uncompressed length first, -1: not compressed)
 * of *len bytes at p: its bytes, *len their count. */
static const unsigned char *unpack(fl_arrow_r *r, const unsigned char *p, fl_i64 *len, fl_i64 at)
{
    if (*len < 8) {
        fail(r, "a compressed buffer shorter than its length", at);
        return NULL;
    }
    fl_i64 u = (fl_i64)le(p, 8), n = *len - 8;
    if (u == -1) {
        *len = n;
        return n ? p + 8 : NULL;
    }
    if (u < 0 || u > ((fl_i64)1 << 40)) {
        fail(r, "a compressed buffer of an impossible length", at);
        return NULL;
    }
    unsigned char *d = own(r, flrt_xmalloc((size_t)(u ? u : 1)));
    char err[160];
    if (u && flrt_zin_block(r->codec, p + 8, n, d, u, err, sizeof err) < 0) {
        char what[200];
        snprintf(what, sizeof what, "%s buffer: %s", r->codec == FLRT_Z_ZSTD ? "a zstd" : "an LZ4", err);
        fail(r, what, at);
        return NULL;
    }
    *len = u;
    return u ? d : NULL;
}

/* The batch's way of compressing its buffers (a RecordBatch's field 3): 0, or -1 when the
 * codec is not one there is. */
static int batch_codec(fl_arrow_r *r, fl_i64 batch, fl_i64 at)
{
    fl_i64 comp = fb_deref(r, fb_field(r, batch, 3));
    r->codec = -1;
    if (comp < 0)
        return 0;
    fl_i64 codec = fb_int(r, comp, 0, 1, 0), method = fb_int(r, comp, 1, 1, 0);
    if ((codec != 0 && codec != 1) || method != 0)
        return fail(r, "a record batch compressed in a way Arrow does not define", at);
    r->codec = codec == 0 ? FLRT_Z_LZ4 : FLRT_Z_ZSTD;
    return 0;
}

/* The batch's variadicBufferCounts (field 4: one per view column, in order). */
static void batch_varcounts(fl_arrow_r *r, fl_i64 batch)
{
    fl_i64 v = fb_deref(r, fb_field(r, batch, 4));
    r->nvarcounts = v < 0 ? 0 : rd(r, v, 4);
    r->varcounts = v >= 0 && in(r, v + 4, r->nvarcounts * 8) ? r->p + v + 4 : NULL;
    r->varnext = 0;
}

static const unsigned char *buffer(fl_arrow_r *r, fl_i64 bufs, fl_i64 *k, fl_i64 nb, fl_i64 body, fl_i64 blen,
                                   fl_i64 *len)
{
    if (*k >= nb) {
        fail(r, "a record batch with too few buffers", bufs);
        return NULL;
    }
    fl_i64 off = rd(r, bufs + 4 + 16 * *k, 8);
    *len = rd(r, bufs + 12 + 16 * *k, 8);
    (*k)++;
    if (off < 0 || *len < 0 || off > blen || *len > blen - off || !in(r, body + off, *len)) {
        fail(r, "a buffer outside its record batch", body + off);
        return NULL;
    }
    if (r->codec >= 0 && *len > 0)
        return unpack(r, r->p + body + off, len, body + off);
    return *len ? r->p + body + off : NULL;
}

/* A view column's views (in data) and data buffers (as many as the batch's
 * next variadic count says). */
static void load_views(fl_arrow_r *r, rcol *x, fl_i64 bufs, fl_i64 *k, fl_i64 nb, fl_i64 start, fl_i64 body)
{
    x->offs = NULL;
    x->data = buffer(r, bufs, k, nb, start, body, &x->dlen);
    if (x->dlen < x->len * 16)
        fail(r, "a views buffer too short", start);
    if (!r->varcounts || r->varnext >= r->nvarcounts) {
        fail(r, "a view column without its count of data buffers", start);
        return;
    }
    fl_i64 n = (fl_i64)le(r->varcounts + 8 * r->varnext++, 8);
    if (n < 0 || n > nb - *k) {
        fail(r, "a view column with more data buffers than the batch has", start);
        return;
    }
    x->nvar = n;
    x->var = own(r, flrt_xcalloc((size_t)(n ? n : 1), sizeof *x->var));
    x->varlen = own(r, flrt_xcalloc((size_t)(n ? n : 1), sizeof *x->varlen));
    for (fl_i64 i = 0; i < n && !r->bad; i++)
        x->var[i] = buffer(r, bufs, k, nb, start, body, &x->varlen[i]);
}

/* Column x's buffers (its node at `node`, laid out as f says; a dictionary-
 * encoded column holds indices) from a record batch's buffers bufs[k...]. */
static void load_col(fl_arrow_r *r, const fcol *f, rcol *x, fl_i64 node, fl_i64 bufs, fl_i64 *k, fl_i64 nb,
                     fl_i64 start, fl_i64 body)
{
    fl_i64 vlen, dlen = 0, olen = 0;
    x->len = rd(r, node, 8);
    fl_i64 nulls = rd(r, node + 8, 8);
    x->valid = buffer(r, bufs, k, nb, start, body, &vlen);
    if (nulls == 0 || vlen < (x->len + 7) / 8)
        x->valid = nulls ? (fail(r, "a validity buffer too short", start), NULL) : NULL;
    if (f->view && !f->dict) {
        load_views(r, x, bufs, k, nb, start, body);
        return;
    }
    int tag = f->dict ? T_INT : f->tag, bits = f->dict ? f->ibits : f->bits;
    const unsigned char *o = NULL;
    if (tag == T_UTF8 || tag == T_BINARY || tag == T_LIST)
        o = buffer(r, bufs, k, nb, start, body, &olen);
    x->offs = o;
    x->owidth = f->large ? 8 : 4;
    if (o && olen < (x->len + 1) * x->owidth)
        fail(r, "an offsets buffer too short", start);
    if (buffers_per(tag) == 3 || tag == T_INT || tag == T_FLOAT || tag == T_BOOL)
        x->data = buffer(r, bufs, k, nb, start, body, &dlen);
    fl_i64 need = tag == T_BOOL ? (x->len + 7) / 8 : tag == T_INT || tag == T_FLOAT ? x->len * (bits / 8) : 0;
    if (dlen < need)
        fail(r, "a data buffer too short", start);
    x->dlen = dlen;
}

static int load_batch(fl_arrow_r *r, fl_i64 b, fl_i64 *rows)
{
    fl_i64 header, meta, body, *bl = r->blocks + 3 * b;
    if (message_at(r, bl[0], &header, &meta, &body) != MSG_BATCH || header < 0)
        return fail(r, "a record batch that is not one", bl[0]);
    *rows = fb_int(r, header, 0, 8, 0);
    fl_i64 nodes = fb_deref(r, fb_field(r, header, 1)), bufs = fb_deref(r, fb_field(r, header, 2));
    fl_i64 nn = nodes < 0 ? 0 : rd(r, nodes, 4), nb = bufs < 0 ? 0 : rd(r, bufs, 4), k = 0, start = bl[0] + meta;
    if (nn != r->nf || !in(r, nodes + 4, nn * 16) || !in(r, bufs + 4, nb * 16) || *rows < 0)
        return fail(r, "a record batch whose nodes do not match the schema", bl[0]);
    own_free(&r->batch_mem);   /* (the rows of the batch before are no longer used) */
    r->mem = &r->batch_mem;
    if (batch_codec(r, header, bl[0]) < 0)
        return -1;
    batch_varcounts(r, header);
    for (int c = 0; c < r->nf && !r->bad; c++)
        load_col(r, &r->f[c], &r->c[c], nodes + 4 + 16 * c, bufs, &k, nb, start, body);
    return r->bad ? -1 : 0;
}

/* The dictionary batch at off (a DictionaryBatch: id, a record batch of
 * one column, isDelta): the values of the string columns that use its id. */
static void load_dict(fl_arrow_r *r, fl_i64 off)
{
    fl_i64 header, meta, body;
    if (message_at(r, off, &header, &meta, &body) != MSG_DICT || header < 0) {
        fail(r, "a dictionary batch that is not one", off);
        return;
    }
    fl_i64 id = fb_int(r, header, 0, 8, 0), data = fb_deref(r, fb_field(r, header, 1));
    const fcol *f = NULL;
    for (int c = 0; c < r->nf && !f; c++)
        if (r->f[c].dict && r->f[c].dict_id == id)
            f = &r->f[c];
    for (int d = 0; d < r->ndicts; d++)
        if (r->dicts[d].id == id) {
            fail(r, "a dictionary given twice (delta or replacement dictionaries are not read yet)", off);
            return;
        }
    if (!f || data < 0 || fb_int(r, header, 2, 1, 0) || r->ndicts >= MAXDICTS) {
        fail(r, !f ? "a dictionary no column uses" : "a delta dictionary (not read yet)", off);
        return;
    }
    fl_i64 nodes = fb_deref(r, fb_field(r, data, 1)), bufs = fb_deref(r, fb_field(r, data, 2));
    fl_i64 nb = bufs < 0 ? 0 : rd(r, bufs, 4), k = 0;
    if (nodes < 0 || rd(r, nodes, 4) != 1 || !in(r, nodes + 4, 16) || !in(r, bufs + 4, nb * 16)) {
        fail(r, "a dictionary batch of other than one column", off);
        return;
    }
    r->mem = &r->dict_mem;   /* (kept to the end) */
    if (batch_codec(r, data, off) < 0)
        return;
    batch_varcounts(r, data);
    fcol v = *f;
    v.dict = 0;   /* (its values, laid out as the column's type) */
    r->dicts[r->ndicts].id = id;
    load_col(r, &v, &r->dicts[r->ndicts].v, nodes + 4, bufs, &k, nb, off + meta, body);
    r->ndicts++;
}

int fl_arrow_rnext(fl_arrow_r *r, fl_i64 *rows)
{
    while (r->next < r->nblocks && !r->bad) {
        fl_i64 b = r->next;
        r->next += r->t->ntasks;
        if (load_batch(r, b, rows) < 0)
            return 0;
        if (*rows > 0)
            return 1;
    }
    return 0;
}

/* ---- values ---- */

static const rcol *col(fl_arrow_r *r, int w, fl_i64 i)
{
    const rcol *x = &r->c[r->map_c[w]];
    if (i < 0 || i >= x->len) {
        fail(r, "a row index outside its column (corrupt offsets)", 0);
        return NULL;
    }
    return x;
}

static int is_null(const rcol *x, fl_i64 i) { return x->valid && !(x->valid[i / 8] >> (i % 8) & 1); }

/* Row i of a dictionary-encoded column: its dictionary's values, and the index there (-1 and
 * the job fails when there is none). */
static fl_i64 dict_at(fl_arrow_r *r, const fcol *f, const rcol *x, fl_i64 i, const rcol **vals)
{
    int n = f->ibits / 8;
    uint64_t u = le(x->data + i * n, n);
    fl_i64 idx = f->isigned && n < 8 && (u >> (8 * n - 1)) & 1 ? -1 : (fl_i64)u;
    for (int d = 0; d < r->ndicts; d++)
        if (r->dicts[d].id == f->dict_id) {
            *vals = &r->dicts[d].v;
            if (idx >= 0 && idx < (*vals)->len)
                return idx;
            fail(r, "a dictionary index outside its dictionary", 0);
            return -1;
        }
    fail(r, "a dictionary-encoded column without its dictionary", 0);
    return -1;
}

int fl_arrow_rnull(fl_arrow_r *r, int w, fl_i64 i)
{
    const rcol *x = col(r, w, i), *vals;
    if (!x || is_null(x, i))
        return 1;
    const fcol *f = &r->f[r->map_c[w]];
    if (!f->dict)
        return 0;
    fl_i64 k = dict_at(r, f, x, i, &vals);
    return k < 0 || is_null(vals, k);   /* (a dictionary's value may be null too) */
}

void fl_arrow_rnull_error(fl_arrow_r *r, int w, fl_i64 i)
{
    if (!r->bad)
        fl_fail(r->t, "read_arrow %s: column `%s` holds a null (row %lld of its batch), but its type in the row is "
                "not opt<..>", r->path, r->want[w].name, (long long)i);
    r->bad = 1;
}

fl_i64 fl_arrow_ri64(fl_arrow_r *r, int w, fl_i64 i)
{
    const rcol *x = col(r, w, i);
    const fcol *f = &r->f[r->map_c[w]];
    if (!x || !x->data)
        return 0;
    int n = f->bits / 8;
    uint64_t v = le(x->data + i * n, n);
    if (f->is_signed && n < 8 && (v >> (8 * n - 1)) & 1)
        v |= ~(uint64_t)0 << (8 * n);   /* (sign-extended) */
    return (fl_i64)v;
}

double fl_arrow_rf64(fl_arrow_r *r, int w, fl_i64 i)
{
    const rcol *x = col(r, w, i);
    if (!x || !x->data)
        return 0;
    if (r->f[r->map_c[w]].bits == 32) {
        float f;
        memcpy(&f, x->data + 4 * i, 4);
        return f;
    }
    double d;
    memcpy(&d, x->data + 8 * i, 8);
    return d;
}

fl_bool fl_arrow_rbool(fl_arrow_r *r, int w, fl_i64 i)
{
    const rcol *x = col(r, w, i);
    return x && x->data && (x->data[i / 8] >> (i % 8) & 1);
}

/* Offset i of a string or list column (signed, 32 or 64 bits). */
static fl_i64 off_at(const rcol *x, fl_i64 i)
{
    if (x->owidth == 8)
        return (fl_i64)le(x->offs + 8 * i, 8);
    int32_t v;
    memcpy(&v, x->offs + 4 * i, 4);
    return v;
}

/* Row i of a view column: a string of up to 12 bytes is in its view, a
 * longer one in data buffer (index, offset) of the view. */
static fl_str view_at(fl_arrow_r *r, const rcol *x, fl_i64 i)
{
    fl_str s = {"", 0};
    const unsigned char *v = x->data + 16 * i;
    int32_t len, bi, off;
    memcpy(&len, v, 4);
    memcpy(&bi, v + 8, 4);
    memcpy(&off, v + 12, 4);
    if (len < 0 || (len > 12 && (bi < 0 || bi >= x->nvar || off < 0 || len > x->varlen[bi] - off))) {
        fail(r, "a string's view outside its data", 0);
        return s;
    }
    s.ptr = (const char *)(len <= 12 ? v + 4 : x->var[bi] + off);
    s.len = len;
    return s;
}

fl_str fl_arrow_rstr(fl_arrow_r *r, int w, fl_i64 i)
{
    fl_str s = {"", 0};
    const rcol *x = col(r, w, i);
    if (!x)
        return s;
    if (r->f[r->map_c[w]].dict && (i = dict_at(r, &r->f[r->map_c[w]], x, i, &x)) < 0)
        return s;
    if (r->f[r->map_c[w]].view)
        return view_at(r, x, i);
    fl_i64 a = off_at(x, i), b = off_at(x, i + 1);
    if (a < 0 || b < a || b > x->dlen) {
        fail(r, "a string's offsets outside its data", 0);
        return s;
    }
    s.ptr = (const char *)x->data + a;
    s.len = b - a;
    return s;
}

fl_i64 fl_arrow_rlist(fl_arrow_r *r, int w, fl_i64 i, fl_i64 *start)
{
    const rcol *x = col(r, w, i);
    *start = 0;
    if (!x)
        return 0;
    fl_i64 a = off_at(x, i), b = off_at(x, i + 1);
    if (a < 0 || b < a || b > r->c[r->map_c[w] + 1].len) {
        fail(r, "a list's offsets outside its values", 0);
        return 0;
    }
    *start = a;
    return b - a;
}

int fl_arrow_rbad(const fl_arrow_r *r) { return r->bad; }

void fl_arrow_rclose(fl_arrow_r *r)
{
    if (!r)
        return;
    if (r->map)
        flrt_map_close(r->map);
    own_free(&r->batch_mem);
    own_free(&r->dict_mem);
    free(r->batch_mem.p);
    free(r->dict_mem.p);
    free(r->map_c);
    free(r->blocks);
    free(r);
}
