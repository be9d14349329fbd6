/* fbuf.c - a small FlatBuffers builder, enough for Arrow's IPC metadata
 * (arrow.c): tables of scalars and offsets, strings, vectors of offsets
 * and of structs. Like the official builders it writes back to front (a
 * child before the table that points to it, so every offset points
 * forward) into a buffer that grows at its front; positions are counted
 * from the end. Each table's vtable is written just before it. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "fbuf.h"

static void fb_room(flrt_fb *f, size_t n)
{
    if (f->head >= n)
        return;
    size_t used = f->cap - f->head, cap = f->cap ? f->cap : 256;
    while (cap - used < n)
        cap *= 2;
    unsigned char *nb = flrt_xmalloc(cap);
    if (used)
        memcpy(nb + cap - used, f->buf + f->head, used);
    free(f->buf);
    f->buf = nb;
    f->head = cap - used;
    f->cap = cap;
}

size_t flrt_fb_size(const flrt_fb *f) { return f->cap - f->head; }

static void fb_bytes(flrt_fb *f, const void *p, size_t n)
{
    if (!n)
        return;
    fb_room(f, n);
    f->head -= n;
    memcpy(f->buf + f->head, p, n);
}

/* Zero bytes so that after `then` more bytes the size is a multiple of align. */
static void fb_align(flrt_fb *f, size_t then, size_t align)
{
    static const unsigned char zero[8];
    size_t pad = (align - (flrt_fb_size(f) + then) % align) % align;
    fb_bytes(f, zero, pad);
}

static void fb_le(flrt_fb *f, uint64_t v, size_t n)
{
    unsigned char b[8];
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    fb_align(f, n, n);
    fb_bytes(f, b, n);
}

static void fb_uoffset(flrt_fb *f, size_t target)
{
    fb_align(f, 4, 4);
    fb_le(f, (uint32_t)(flrt_fb_size(f) + 4 - target), 4);
}

size_t flrt_fb_string(flrt_fb *f, const char *s, size_t n)
{
    fb_align(f, n + 1, 4);
    fb_bytes(f, "", 1);
    fb_bytes(f, s, n);
    fb_le(f, (uint32_t)n, 4);
    return flrt_fb_size(f);
}

size_t flrt_fb_offsets(flrt_fb *f, const size_t *targets, size_t n)
{
    for (size_t i = n; i-- > 0;)
        fb_uoffset(f, targets[i]);
    fb_le(f, (uint32_t)n, 4);
    return flrt_fb_size(f);
}

size_t flrt_fb_structs(flrt_fb *f, const void *bytes, size_t size, size_t n)
{
    fb_align(f, size * n, 8);
    fb_bytes(f, bytes, size * n);
    fb_le(f, (uint32_t)n, 4);
    return flrt_fb_size(f);
}

void flrt_fb_start(flrt_fb *f)
{
    f->nslots = 0;
    f->tstart = flrt_fb_size(f);
    memset(f->slot, 0, sizeof f->slot);
}

static void fb_mark(flrt_fb *f, int slot)
{
    f->slot[slot] = flrt_fb_size(f);
    if (slot + 1 > f->nslots)
        f->nslots = slot + 1;
}

void flrt_fb_scalar(flrt_fb *f, int slot, uint64_t v, size_t n)
{
    fb_le(f, v, n);
    fb_mark(f, slot);
}

void flrt_fb_offset(flrt_fb *f, int slot, size_t target)
{
    fb_uoffset(f, target);
    fb_mark(f, slot);
}

size_t flrt_fb_end(flrt_fb *f)
{
    fb_align(f, 4, 4);
    fb_le(f, 0, 4);   /* the soffset to the vtable, set below */
    size_t t = flrt_fb_size(f);
    uint16_t vt[2 + FLRT_FB_SLOTS];
    vt[0] = (uint16_t)(4 + 2 * f->nslots);
    vt[1] = (uint16_t)(t - f->tstart);
    for (int i = 0; i < f->nslots; i++)
        vt[2 + i] = (uint16_t)(f->slot[i] ? t - f->slot[i] : 0);
    for (int i = 1 + f->nslots; i >= 0; i--)
        fb_le(f, vt[i], 2);
    int32_t so = (int32_t)(flrt_fb_size(f) - t);
    unsigned char *at = f->buf + f->cap - t;
    for (int i = 0; i < 4; i++)
        at[i] = (unsigned char)((uint32_t)so >> (8 * i));
    return t;
}

void flrt_fb_finish(flrt_fb *f, size_t root)
{
    fb_align(f, 4, 8);
    fb_uoffset(f, root);
}

const unsigned char *flrt_fb_data(const flrt_fb *f) { return f->buf + f->head; }

void flrt_fb_free(flrt_fb *f)
{
    free(f->buf);
    memset(f, 0, sizeof *f);
}
