/* sink.c - the files a job writes. A sink collects text in its buffer and
 * writes it out in large pieces; "-" is standard output, where pieces end
 * at a line end (under a lock, so lines of different sinks never mix).
 * A file sink writes to PATH.tmp-PID in PATH's folder; fl_main renames it
 * to PATH only once the whole job has succeeded (flrt_sinks_finish), and
 * removes it when the job failed: a failed job commits no file.
 *
 * Lock order: sinks_mu (the job's list of sinks) and stdout_mu are leaves;
 * neither is held while the other is taken. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flrt_int.h"

enum { FLUSH_AT = 256 * 1024 };

struct fl_sink {
    fl_sink *next;           /* the job's list, under sinks_mu */
    char *path;              /* as given; "-" for standard output */
    char *tmp;               /* the temporary file, NULL for standard output */
    int fd;                  /* -1 once closed */
    int failed;              /* a write failed: the rest is ignored */
    fl_buf buf;
};

static pthread_mutex_t sinks_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stdout_mu = PTHREAD_MUTEX_INITIALIZER;
static fl_sink *sinks;

/* Writes all of p, retrying after EINTR; 0 or -1 with errno set. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes out the buffer (only up to its last line end when `whole` is 0). */
static void sink_flush(fl_sink *s, int whole)
{
    fl_i64 n = s->buf.len;
    if (!whole && !s->tmp) {
        const char *nl = memrchr(s->buf.p, '\n', (size_t)n);
        n = nl ? nl + 1 - s->buf.p : 0;
    }
    if (n == 0 || s->failed || s->fd < 0)
        return;
    int rc;
    if (!s->tmp) {
        pthread_mutex_lock(&stdout_mu);
        rc = write_all(s->fd, s->buf.p, (size_t)n);
        pthread_mutex_unlock(&stdout_mu);
    } else {
        rc = write_all(s->fd, s->buf.p, (size_t)n);
    }
    if (rc < 0) {
        s->failed = 1;
        fl_fail(NULL, "cannot write %s: %s", s->tmp ? s->path : "standard output",
                strerror(errno));
        return;
    }
    memmove(s->buf.p, s->buf.p + n, (size_t)(s->buf.len - n));
    s->buf.len -= n;
}

/* Registers s; -1 (and the job fails) when a sink already writes its path. */
static int sink_register(fl_sink *s)
{
    int dup = 0;
    pthread_mutex_lock(&sinks_mu);
    for (fl_sink *o = sinks; o && s->tmp; o = o->next)
        if (o->tmp && !strcmp(o->path, s->path))
            dup = 1;
    s->next = sinks;
    sinks = s;
    pthread_mutex_unlock(&sinks_mu);
    if (dup) {
        fl_fail(NULL, "two sinks write to %s", s->path);
        return -1;
    }
    return 0;
}

static int sink_create(fl_sink *s)
{
    size_t n = strlen(s->path) + 32;
    s->tmp = flrt_xmalloc(n);
    snprintf(s->tmp, n, "%s.tmp-%ld", s->path, (long)getpid());
    if (sink_register(s) < 0)
        return -1;
    do
        s->fd = open(s->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    while (s->fd < 0 && errno == EINTR);
    if (s->fd < 0) {
        fl_fail(NULL, "cannot create %s (as %s): %s", s->path, s->tmp, strerror(errno));
        return -1;
    }
    return 0;
}

fl_sink *fl_sink_open(fl_task *t, fl_str path)
{
    (void)t;
    fl_sink *s = flrt_xcalloc(1, sizeof *s);
    s->fd = -1;
    s->path = flrt_strndup(path.ptr, (size_t)path.len);
    if (path.len == 0 || memchr(path.ptr, 0, (size_t)path.len)) {
        s->failed = 1;
        sink_register(s);
        fl_fail(NULL, "cannot create '%s': not a valid file name", s->path);
    } else if (!strcmp(s->path, "-")) {
        s->fd = 1;
        sink_register(s);
    } else if (sink_create(s) < 0) {
        s->failed = 1;
    }
    return s;
}

void fl_sink_write(fl_sink *s, const char *p, fl_i64 n)
{
    if (s->failed || s->fd < 0)
        return;
    fl_buf_put(&s->buf, p, n);
    if (s->buf.len >= FLUSH_AT)
        sink_flush(s, 0);
}

void fl_sink_close(fl_sink *s)
{
    if (s->fd < 0)
        return;
    if (!fl_stopping())
        sink_flush(s, 1);
    if (s->tmp && close(s->fd) < 0 && !s->failed && !fl_stopping()) {
        s->failed = 1;
        fl_fail(NULL, "cannot write %s: %s", s->path, strerror(errno));
    }
    s->fd = -1;
    fl_buf_free(&s->buf);
}

/* Renames (when ok) or removes s's temporary file; -1 when a rename failed. */
static int sink_commit(fl_sink *s, int ok)
{
    if (!s->tmp)
        return 0;
    if (ok) {
        if (rename(s->tmp, s->path) == 0)
            return 0;
        fprintf(stderr, "flowc job: cannot rename %s to %s: %s\n", s->tmp, s->path,
                strerror(errno));
    }
    unlink(s->tmp);
    return ok ? -1 : 0;
}

/* The job's sinks in the order they were opened, the list emptied. */
static fl_sink *sinks_take(void)
{
    pthread_mutex_lock(&sinks_mu);
    fl_sink *list = sinks;
    sinks = NULL;
    pthread_mutex_unlock(&sinks_mu);
    fl_sink *rev = NULL;
    while (list) {
        fl_sink *next = list->next;
        list->next = rev;
        rev = list;
        list = next;
    }
    return rev;
}

int flrt_sinks_finish(int ok)
{
    fl_sink *list = sinks_take();
    for (fl_sink *s = list; s; s = s->next)
        fl_sink_close(s);
    ok = ok && !flrt_failed();
    for (fl_sink *s = list; s; s = s->next)
        if (sink_commit(s, ok) < 0)
            ok = 0;
    while (list) {
        fl_sink *next = list->next;
        free(list->path);
        free(list->tmp);
        free(list);
        list = next;
    }
    return ok ? 0 : -1;
}
