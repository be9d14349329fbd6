/* store.c - stores: rows kept from one phase for later ones (a loop's
 * cached input, the streams its body names, each round's output). A store
 * is a list of chunks of whole rows, many rows each, and an arena for what
 * the rows point to: no allocation per row, and reading it back is a walk
 * over arrays. The job's table holds one store per (slot, task index),
 * made by the first task that asks; only the task of that index touches it
 * while a phase runs, and the runtime clears and swaps slots between runs. */
#define _GNU_SOURCE
#include "flrt_int.h"

#include <stdlib.h>
#include <string.h>

enum { STORE_CHUNK_BYTES = 256 << 10 };

struct fl_store {
    char **chunks;
    fl_i64 *counts;          /* rows in each chunk */
    fl_i64 nchunks, cap;
    fl_i64 per_chunk;        /* rows a chunk holds */
    fl_arena arena;
};

void flrt_stores_init(flrt_job *j)
{
    int total = 0;
    for (int p = 0; p < j->nprocs; p++)
        total += j->procs[p].threads;
    j->nstore_idx = total;
    int n = j->def->nslots * total;
    j->stores = n ? flrt_xcalloc((size_t)n, sizeof *j->stores) : NULL;
}

fl_store *fl_store_of(fl_task *t, int slot)
{
    flrt_job *j = ((flrt_task *)t)->job;
    fl_store **s = &j->stores[slot * j->nstore_idx + t->index];
    if (!*s)
        *s = flrt_xcalloc(1, sizeof **s);
    return *s;
}

void *fl_store_push(fl_store *s, fl_i64 size)
{
    if (!s->nchunks || s->counts[s->nchunks - 1] == s->per_chunk) {
        if (s->nchunks == s->cap) {
            s->cap = s->cap ? 2 * s->cap : 16;
            s->chunks = flrt_xrealloc(s->chunks, (size_t)s->cap * sizeof *s->chunks);
            s->counts = flrt_xrealloc(s->counts, (size_t)s->cap * sizeof *s->counts);
        }
        s->per_chunk = size >= STORE_CHUNK_BYTES / 64 ? 64 : STORE_CHUNK_BYTES / (size ? size : 1);
        s->chunks[s->nchunks] = flrt_xmalloc((size_t)(s->per_chunk * (size ? size : 1)));
        s->counts[s->nchunks++] = 0;
    }
    fl_i64 k = s->nchunks - 1;
    return s->chunks[k] + size * s->counts[k]++;
}

fl_arena *fl_store_arena(fl_store *s) { return &s->arena; }

void *fl_store_chunk(fl_store *s, fl_i64 k, fl_i64 *n)
{
    if (k >= s->nchunks)
        return 0;
    *n = s->counts[k];
    return s->chunks[k];
}

static void store_free(fl_store *s)
{
    if (!s)
        return;
    for (fl_i64 k = 0; k < s->nchunks; k++)
        free(s->chunks[k]);
    free(s->chunks);
    free(s->counts);
    fl_arena_free(&s->arena);
    free(s);
}

void flrt_stores_clear(flrt_job *j, int slot)
{
    for (int i = 0; slot >= 0 && i < j->nstore_idx; i++) {
        store_free(j->stores[slot * j->nstore_idx + i]);
        j->stores[slot * j->nstore_idx + i] = NULL;
    }
}

void flrt_stores_swap(flrt_job *j, int a, int b)
{
    for (int i = 0; i < j->nstore_idx; i++) {
        fl_store *t = j->stores[a * j->nstore_idx + i];
        j->stores[a * j->nstore_idx + i] = j->stores[b * j->nstore_idx + i];
        j->stores[b * j->nstore_idx + i] = t;
    }
}

void flrt_stores_fini(flrt_job *j)
{
    for (int s = 0; s < j->def->nslots; s++)
        flrt_stores_clear(j, s);
    free(j->stores);
    j->stores = NULL;
}
