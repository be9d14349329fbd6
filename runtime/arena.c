/* arena.c - the slow path of the runtime's bump allocator (fl_alloc in
 * flowrt.h is the fast path) and the runtime's checked malloc.
 *
 * A batch's rows and an operator's state point into arenas. Ordinary
 * blocks start at 4 KiB (or the arena's `first`) and double, up to 1 MiB,
 * as an arena grows: memory follows what a job keeps, and a reset arena
 * keeps its largest block. A request larger than a quarter of the next
 * ordinary block gets a block of its own, linked behind the current one,
 * so that the current block keeps serving small requests. Invariant: when a->end is set, the first block of
 * the list is the ordinary block that cur and end point into. */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "flrt_int.h"

struct fl_arena_block {
    fl_arena_block *next;
    fl_i64 size;             /* bytes of data */
    _Alignas(16) char data[];
};

enum { BLOCK_MIN = 4 * 1024, BLOCK_MAX = 1024 * 1024 };

/* Where this thread goes when an allocation fails (flrt_oom_guard), and
 * the size it asked for. */
static _Thread_local jmp_buf *oom_target;
static _Thread_local fl_i64 oom_size;

/* A thread inside flrt_oom_guard jumps back there (its job then fails
 * like any other: outputs removed, threads joined); elsewhere the process
 * ends with the message. */
_Noreturn void flrt_oom(fl_i64 size)
{
    oom_size = size;
    jmp_buf *jb = oom_target;
    if (jb) {
        oom_target = NULL;
        longjmp(*jb, 1);
    }
    char msg[96];
    int n = snprintf(msg, sizeof msg, "flowc job: out of memory (asking for %lld bytes)\n",
                     (long long)size);
    if (write(2, msg, (size_t)n) < 0) {
        /* nothing more to do */
    }
    _exit(1);
}

int flrt_oom_guard(void (*fn)(void *), void *arg)
{
    jmp_buf jb;
    jmp_buf *prev = oom_target;
    if (setjmp(jb)) {
        oom_target = prev;
        return -1;
    }
    oom_target = &jb;
    fn(arg);
    oom_target = prev;
    return 0;
}

_Noreturn void flrt_oom_again(void) { flrt_oom(oom_size); }

void flrt_oom_locked(pthread_mutex_t *held, void (*fn)(void *), void *arg)
{
    if (flrt_oom_guard(fn, arg) < 0) {
        pthread_mutex_unlock(held);
        flrt_oom_again();
    }
}

void flrt_oom_fail(void) { fl_fail(NULL, "out of memory (asking for %lld bytes)", (long long)oom_size); }

void flrt_oom_message(char *buf, size_t n)
{
    snprintf(buf, n, "flowc job: out of memory (asking for %lld bytes)", (long long)oom_size);
}

void *fl_calloc(fl_i64 n, fl_i64 size)
{
    void *p = calloc((size_t)(n ? n : 1), (size_t)(size ? size : 1));
    if (!p)
        flrt_oom(n * size);
    return p;
}

enum { TABLE_MAP_MIN = 1 << 20 };  /* tables from 1 MiB on are mapped */

/* A calloc'd table faults twice per page (the zero page, then a copy, with a
 * TLB flush of every CPU each time): large tables are mapped and populated
 * writable up front instead, with huge pages where the kernel allows. */
void *fl_table_alloc(fl_i64 bytes)
{
    if (bytes < TABLE_MAP_MIN)
        return fl_calloc(bytes, 1);
    void *p = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        flrt_oom(bytes);
    madvise(p, (size_t)bytes, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
    madvise(p, (size_t)bytes, MADV_POPULATE_WRITE);  /* Linux 5.14; an error only costs speed */
#endif
    return p;
}

void fl_table_free(void *p, fl_i64 bytes)
{
    if (!p)
        return;
    if (bytes < TABLE_MAP_MIN)
        free(p);
    else
        munmap(p, (size_t)bytes);
}

void *flrt_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        flrt_oom((fl_i64)n);
    return p;
}

void *flrt_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        flrt_oom((fl_i64)n);
    return q;
}

void *flrt_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        flrt_oom((fl_i64)(n * size));
    return p;
}

char *flrt_strndup(const char *p, size_t n)
{
    char *s = flrt_xmalloc(n + 1);
    if (n)
        memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static fl_arena_block *block_new(fl_i64 size)
{
    if (size < 0 || (uint64_t)size > (uint64_t)PTRDIFF_MAX - sizeof(fl_arena_block))
        flrt_oom(size);
    fl_arena_block *b = flrt_xmalloc(sizeof *b + (size_t)size);
    b->size = size;
    b->next = NULL;
    return b;
}

/* The size of the next ordinary block: double the current one. */
static fl_i64 next_size(const fl_arena *a)
{
    if (!a->end)
        return a->first > 0 ? a->first : BLOCK_MIN;
    fl_i64 s = a->blocks->size * 2;
    return s > BLOCK_MAX ? BLOCK_MAX : s;
}

void *fl_arena_grow(fl_arena *a, fl_i64 size)
{
    fl_i64 next = next_size(a);
    if (size > next / 4) {
        fl_arena_block *b = block_new(size);
        a->bytes += size;
        if (a->end) {                 /* behind the current ordinary block */
            b->next = a->blocks->next;
            a->blocks->next = b;
        } else {
            b->next = a->blocks;
            a->blocks = b;
        }
        return b->data;
    }
    fl_arena_block *b = block_new(next);
    a->bytes += next;
    b->next = a->blocks;
    a->blocks = b;
    a->cur = b->data + size;
    a->end = b->data + b->size;
    return b->data;
}

static void free_list(fl_arena_block *b)
{
    while (b) {
        fl_arena_block *next = b->next;
        free(b);
        b = next;
    }
}

void fl_arena_free(fl_arena *a)
{
    free_list(a->blocks);
    a->blocks = NULL;
    a->cur = a->end = NULL;
    a->bytes = 0;
}

void fl_arena_reset(fl_arena *a)
{
    if (!a->end) {
        fl_arena_free(a);
        return;
    }
    fl_arena_block *keep = a->blocks;
    free_list(keep->next);
    keep->next = NULL;
    a->cur = keep->data;
    a->bytes = keep->size;
}
