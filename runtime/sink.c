/* sink.c - the files a job writes. A sink collects text in its buffer and
 * writes it out in large pieces; "-" is standard output, where pieces end
 * at a line end (under a lock, so lines of different sinks never mix).
 *
 * A sink whose path is a regular file, or nothing yet, writes to a
 * temporary TARGET.tmp-PID beside it; fl_main renames that to TARGET only
 * once the whole job has succeeded (flrt_sinks_finish), and removes it when
 * the job failed: a failed job commits no file. TARGET is the path with its
 * symbolic links followed, so a link stays a link and its target gets the
 * text. Anything else (a device such as /dev/null, a FIFO, a terminal, a
 * descriptor under /proc such as /dev/stdout) is opened and written
 * through: it is never replaced by a regular file, and what was written
 * stays written even when the job fails.
 *
 * The temporaries are listed for the signal handlers (signals.c), which
 * remove them when SIGINT or SIGTERM ends the job. A process killed
 * otherwise (SIGKILL, a crash) leaves its temporary: opening a sink removes
 * the TARGET.tmp-PID files of its target whose PID is no live process.
 *
 * Lock order: sinks_mu (the job's list of sinks) and stdout_mu are leaves;
 * neither is held while the other is taken. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flrt_int.h"

enum { FLUSH_AT = 256 * 1024, DIRECT_AT = 16 * 1024, MAX_LINKS = 40, PART_BYTES = 64 << 20, PART_AGE_MS = 5000 };

struct fl_sink {
    fl_sink *next;           /* the job's list, under sinks_mu */
    char *path;              /* as given; "-" for standard output */
    char *target;            /* path, links followed: renamed onto (NULL: written through) */
    char *tmp;               /* the temporary file (NULL: written through) */
    int tslot;               /* tmp's slot in the signal handlers' list, or -1 */
    int std;                 /* standard output: whole lines, under stdout_mu */
    int fd;                  /* -1 once closed */
    int failed;              /* a write failed: the rest is ignored */
    fl_buf buf;
    fl_task *owner;          /* the task that writes it */
    /* an unbounded job's file: parts TARGET.part-N, each written to
     * TARGET.part-N.tmp-PID and renamed when full or old enough */
    int parts, part;
    char *ptarget;           /* the open part's name */
    fl_i64 part_bytes, part_t0;
};

static pthread_mutex_t stdout_mu = PTHREAD_MUTEX_INITIALIZER;   /* standard output is the process's */
/* the list of sinks is the current job's */
#define sinks_mu (flrt_job_current()->sinks_mu)
#define sinks (flrt_job_current()->sinks)

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

/* Writes p[0, n) to s's file (standard output under its lock); -1 (and the
 * job fails) on an error. */
static int sink_out(fl_sink *s, const char *p, fl_i64 n)
{
    int rc;
    if (s->std) {
        pthread_mutex_lock(&stdout_mu);
        rc = write_all(s->fd, p, (size_t)n);
        pthread_mutex_unlock(&stdout_mu);
    } else {
        rc = write_all(s->fd, p, (size_t)n);
    }
    if (rc < 0) {
        s->failed = 1;
        fl_fail(NULL, "cannot write %s: %s", s->std ? "standard output" : s->path,
                strerror(errno));
    }
    return rc;
}

/* Writes out the buffer (only up to its last line end when `whole` is 0). */
static void sink_flush(fl_sink *s, int whole)
{
    fl_i64 n = s->buf.len;
    if (!whole && s->std) {
        const char *nl = memrchr(s->buf.p, '\n', (size_t)n);
        n = nl ? nl + 1 - s->buf.p : 0;
    }
    if (n == 0 || s->failed || s->fd < 0)
        return;
    if (sink_out(s, s->buf.p, n) < 0)
        return;
    memmove(s->buf.p, s->buf.p + n, (size_t)(s->buf.len - n));
    s->buf.len -= n;
}

/* Registers s; -1 (and the job fails) when a sink already renames onto
 * its target. */
static int sink_register(fl_sink *s)
{
    int dup = 0;
    pthread_mutex_lock(&sinks_mu);
    for (fl_sink *o = sinks; o && s->target; o = o->next)
        if (o->target && !strcmp(o->target, s->target))
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

/* ---- where a sink writes ---- */

/* The target of the symbolic link p (a new string), relative to p's
 * folder when the link is relative; NULL with errno set. */
static char *link_target(const char *p)
{
    char buf[PATH_MAX];
    ssize_t n = readlink(p, buf, sizeof buf);
    if (n < 0)
        return NULL;
    if (n == (ssize_t)sizeof buf) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    const char *slash = strrchr(p, '/');
    size_t dir = buf[0] == '/' || !slash ? 0 : (size_t)(slash + 1 - p);
    char *r = flrt_xmalloc(dir + (size_t)n + 1);
    memcpy(r, p, dir);
    memcpy(r + dir, buf, (size_t)n);
    r[dir + (size_t)n] = 0;
    return r;
}

/* path with the symbolic links of its last component followed (a new
 * string; it may not exist yet), or NULL with errno set. *proc is set when
 * it leads into /proc (a descriptor, as /dev/stdout): not a file to
 * replace. */
static char *follow_links(const char *path, int *proc)
{
    char *cur = flrt_strndup(path, strlen(path));
    for (int hops = 0;; hops++) {
        struct stat st;
        if (!strncmp(cur, "/proc/", 6)) {
            *proc = 1;
            return cur;
        }
        if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode))
            return cur;           /* not there yet, or not a link: open reports errors */
        char *next = hops < MAX_LINKS ? link_target(cur) : NULL;
        int err = hops < MAX_LINKS ? errno : ELOOP;
        free(cur);
        if (!next) {
            errno = err;
            return NULL;
        }
        cur = next;
    }
}

/* Whether name is exactly BASE.tmp-PID where PID is no live process. */
static int stale_temp(const char *name, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) || strncmp(name + n, ".tmp-", 5))
        return 0;
    const char *p = name + n + 5;
    if (*p < '1' || *p > '9' || strlen(p) > 10 || strspn(p, "0123456789") != strlen(p))
        return 0;
    long pid = strtol(p, NULL, 10);
    return pid <= INT_MAX && pid != (long)getpid() && kill((pid_t)pid, 0) < 0 &&
           errno == ESRCH;
}

/* Whether name is BASE.part-N: a part of an earlier run. */
static int old_part(const char *name, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) || strncmp(name + n, ".part-", 6) || !name[n + 6])
        return 0;
    return strspn(name + n + 6, "0123456789") == strlen(name + n + 6);
}

/* Removes the files of target's folder that `which` picks. */
static void remove_in_dir(const char *target, int (*which)(const char *name, const char *base))
{
    const char *slash = strrchr(target, '/');
    char *dir = slash ? flrt_strndup(target, slash == target ? 1 : (size_t)(slash - target))
                      : flrt_strndup(".", 1);
    const char *base = slash ? slash + 1 : target;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (which(e->d_name, base))
            unlinkat(dirfd(d), e->d_name, 0);
    if (d)
        closedir(d);
    free(dir);
}

/* Removes the TARGET.tmp-PID files that processes which no longer exist
 * left in target's folder (killed by SIGKILL, crashed). */
static void remove_stale(const char *target) { remove_in_dir(target, stale_temp); }

static int open_retry(const char *path, int flags)
{
    int fd;
    do
        fd = open(path, flags, 0666);
    while (fd < 0 && errno == EINTR);
    return fd;
}

/* Writes through to what path names (a device, a FIFO, a descriptor). */
static int sink_open_direct(fl_sink *s)
{
    struct stat st;
    int append = stat(s->path, &st) == 0 && S_ISREG(st.st_mode);  /* a file behind /proc */
    if (sink_register(s) < 0)
        return -1;
    s->fd = open_retry(s->path, O_WRONLY | O_NOCTTY | O_CLOEXEC | (append ? O_APPEND : 0));
    if (s->fd < 0) {
        fl_fail(NULL, "cannot open %s: %s", s->path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Opens s->tmp, listed for the signal handlers. */
static int temp_create(fl_sink *s)
{
    s->tslot = flrt_signals_add_temp(s->tmp);
    s->fd = open_retry(s->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
    if (s->fd < 0) {
        fl_fail(NULL, "cannot create %s (as %s): %s", s->path, s->tmp, strerror(errno));
        return -1;
    }
    return 0;
}

/* The next part of an unbounded job's file: TARGET.part-N, written as
 * TARGET.part-N.tmp-PID. */
static int part_open(fl_sink *s)
{
    size_t n = strlen(s->target) + 64;
    free(s->tmp);
    free(s->ptarget);
    s->ptarget = flrt_xmalloc(n);
    snprintf(s->ptarget, n, "%s.part-%d", s->target, s->part);
    s->tmp = flrt_xmalloc(n);
    snprintf(s->tmp, n, "%s.tmp-%ld", s->ptarget, (long)getpid());
    s->part_bytes = 0;
    s->part_t0 = fl_now_ms();
    return temp_create(s);
}

/* Writes to TARGET.tmp-PID (or, in an unbounded job, to parts). */
static int sink_open_temp(fl_sink *s)
{
    if (sink_register(s) < 0)
        return -1;
    remove_stale(s->target);
    if (flrt_job_current()->def && flrt_job_current()->def->unbounded) {
        s->parts = 1;
        return part_open(s);
    }
    size_t n = strlen(s->target) + 32;
    s->tmp = flrt_xmalloc(n);
    snprintf(s->tmp, n, "%s.tmp-%ld", s->target, (long)getpid());
    return temp_create(s);
}

/* Fails the job: s cannot be opened. */
static int sink_refuse(fl_sink *s, const char *why)
{
    sink_register(s);
    fl_fail(NULL, "cannot create %s: %s", s->path, why);
    return -1;
}

static int sink_create(fl_sink *s)
{
    int proc = 0;
    char *target = follow_links(s->path, &proc);
    if (!target)
        return sink_refuse(s, strerror(errno));
    struct stat st;
    int exists = !proc && stat(target, &st) == 0;
    if (proc || (exists && !S_ISREG(st.st_mode))) {
        free(target);
        return exists && S_ISDIR(st.st_mode) ? sink_refuse(s, "it is a folder")
                                             : sink_open_direct(s);
    }
    s->target = target;
    return sink_open_temp(s);
}

fl_sink *fl_sink_open(fl_task *t, fl_str path)
{
    fl_sink *s = flrt_xcalloc(1, sizeof *s);
    s->owner = t;
    s->fd = -1;
    s->tslot = -1;
    s->path = flrt_strndup(path.ptr, (size_t)path.len);
    if (path.len == 0 || memchr(path.ptr, 0, (size_t)path.len)) {
        s->failed = 1;
        sink_register(s);
        fl_fail(NULL, "cannot create '%s': not a valid file name", s->path);
    } else if (!strcmp(s->path, "-")) {
        s->fd = 1;
        s->std = 1;
        sink_register(s);
    } else if (sink_create(s) < 0) {
        s->failed = 1;
    }
    return s;
}

static int sink_commit(fl_sink *s, int ok);

/* The open part is complete: renamed to TARGET.part-N (the parts of an
 * earlier run of the same file go when the first one is). */
static void part_commit(fl_sink *s)
{
    sink_flush(s, 1);
    if (close(s->fd) < 0 && !s->failed) {
        s->failed = 1;
        fl_fail(NULL, "cannot write %s: %s", s->ptarget, strerror(errno));
    }
    s->fd = -1;
    if (s->part == 0)
        remove_in_dir(s->target, old_part);
    if (sink_commit(s, !s->failed) < 0)
        s->failed = 1;
    s->part++;
}

void fl_sink_write(fl_sink *s, const char *p, fl_i64 n)
{
    if (s->parts && s->fd < 0 && !s->failed && part_open(s) < 0)
        s->failed = 1;
    if (s->failed || s->fd < 0)
        return;
    if (!s->parts && s->buf.len == 0 && n >= DIRECT_AT && (!s->std || p[n - 1] == '\n')) {
        sink_out(s, p, n);   /* a writer's large chunk of whole lines: no copy */
        return;
    }
    fl_buf_put(&s->buf, p, n);
    if (s->buf.len >= FLUSH_AT)
        sink_flush(s, 0);
    if (s->parts) {   /* (a busy task may never be idle: the age is checked here too) */
        s->part_bytes += n;
        if (s->part_bytes >= PART_BYTES || fl_now_ms() - s->part_t0 >= PART_AGE_MS)
            part_commit(s);
    }
}

void flrt_sinks_idle(flrt_task *t)
{
    pthread_mutex_lock(&sinks_mu);
    fl_sink *list = sinks;   /* (the list only grows while the job runs; this task's own are stable) */
    pthread_mutex_unlock(&sinks_mu);
    for (fl_sink *s = list; s; s = s->next) {
        if (s->owner != &t->pub || s->fd < 0 || s->failed)
            continue;
        sink_flush(s, 1);
        if (s->parts && s->part_bytes > 0 && fl_now_ms() - s->part_t0 >= PART_AGE_MS)
            part_commit(s);
    }
}

void fl_sink_close(fl_sink *s)
{
    if (s->fd < 0)
        return;
    if (!fl_stopping())
        sink_flush(s, 1);
    if (!s->std && close(s->fd) < 0 && !s->failed && !fl_stopping()) {
        s->failed = 1;
        fl_fail(NULL, "cannot write %s: %s", s->path, strerror(errno));
    }
    s->fd = -1;
    fl_buf_free(&s->buf);
}

/* Renames (when ok) or removes s's temporary file, then unlists it; -1
 * when a rename failed. */
static int sink_commit(fl_sink *s, int ok)
{
    if (!s->tmp || s->tslot == -2)
        return 0;
    int rc = 0;
    const char *to = s->parts ? s->ptarget : s->target;
    if (s->parts && s->part > 0 && s->part_bytes == 0)
        ok = 0;   /* an empty last part (the first one stays, even empty: the job's output) */
    if (ok && rename(s->tmp, to) < 0) {
        fprintf(stderr, "flowc job: cannot rename %s to %s: %s\n", s->tmp, to, strerror(errno));
        rc = -1;
    }
    if (!ok || rc < 0)
        unlink(s->tmp);
    flrt_signals_drop_temp(s->tslot);
    s->tslot = -2;   /* committed (or removed): nothing more to do */
    return rc;
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
        free(list->target);
        free(list->tmp);
        free(list->ptarget);
        free(list);
        list = next;
    }
    return ok ? 0 : -1;
}
