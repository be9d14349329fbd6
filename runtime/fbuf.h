/* fbuf.h - a small FlatBuffers builder (fbuf.c) for Arrow's IPC metadata. */
#ifndef FLRT_FBUF_H
#define FLRT_FBUF_H

#include <stddef.h>
#include <stdint.h>

#include "flrt_int.h"

enum { FLRT_FB_SLOTS = 16 };

typedef struct flrt_fb {
    unsigned char *buf;
    size_t cap, head;        /* the data is buf[head, cap) */
    size_t tstart;           /* the table being built: the size when it began */
    size_t slot[FLRT_FB_SLOTS];
    int nslots;
} flrt_fb;

/* Objects are referred to by the size of the buffer just after they were
 * written (their position from the end). Children before parents. */
size_t flrt_fb_size(const flrt_fb *f);
size_t flrt_fb_string(flrt_fb *f, const char *s, size_t n);
size_t flrt_fb_offsets(flrt_fb *f, const size_t *targets, size_t n);   /* a vector of tables or strings */
size_t flrt_fb_structs(flrt_fb *f, const void *bytes, size_t size, size_t n);   /* a vector of structs */
/* A table: start, its fields (scalars of n bytes, or offsets to objects
 * written before), end (returns the table). */
void flrt_fb_start(flrt_fb *f);
void flrt_fb_scalar(flrt_fb *f, int slot, uint64_t v, size_t n);
void flrt_fb_offset(flrt_fb *f, int slot, size_t target);
size_t flrt_fb_end(flrt_fb *f);
/* The root offset; then the buffer is flrt_fb_data(f), flrt_fb_size(f) bytes (a multiple of 8). */
void flrt_fb_finish(flrt_fb *f, size_t root);
const unsigned char *flrt_fb_data(const flrt_fb *f);
void flrt_fb_free(flrt_fb *f);

#endif
