/* stream.c - the unbounded sources: stdin_lines() and tcp_lines("host:port").
 * One task reads (the source's stage has one task, on process 0); lines
 * come out of a buffer refilled by read() once poll() says there is
 * input, so a call never blocks for longer than it was asked to wait, and
 * the source's loop sees a drain (SIGINT, SIGTERM) or a stop within 50 ms.
 *
 * What a quiet input means downstream: after each call the source sends
 * what it holds as soon as nothing more is ready (it waits for input only
 * when it holds nothing), or once its first row has waited --linger ms
 * under a steady stream, and flushes its task's sinks; and once it has read nothing for
 * --idle-timeout ms it marks its outputs idle (time.c), so windows behind
 * it follow their other inputs. The end: end of file, a drain, a stop, or
 * an error (which fails the job: a refused connection says so). */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flrt_int.h"
#include "stats.h"

enum { STREAM_BUF = 64 * 1024, STREAM_POLL_MS = 50 };

struct fl_stream {
    int fd;
    int own;                 /* close fd at the end (a socket) */
    int eof;
    char *buf;
    fl_i64 head, len, cap;   /* unread bytes: buf[head, len) */
    fl_i64 since;            /* when the first row not sent yet came (0: none) */
    fl_i64 last;             /* when the last line came */
    int idle;                /* its outputs were told it is idle */
    char name[80];           /* for messages */
};

static fl_stream *stream_new(int fd, int own, const char *name)
{
    fl_stream *s = flrt_xcalloc(1, sizeof *s);
    s->fd = fd;
    s->own = own;
    s->cap = STREAM_BUF;
    s->buf = flrt_xmalloc((size_t)s->cap);
    s->last = fl_now_ms();
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

/* A client connection to "host:port"; -1 after failing the job. */
static int tcp_connect(fl_task *t, fl_str addr)
{
    char text[300];
    if (addr.len <= 0 || addr.len >= (fl_i64)sizeof text) {
        fl_fail(t, "tcp_lines: `%.*s` is not host:port", (int)(addr.len > 0 ? addr.len : 0), addr.ptr);
        return -1;
    }
    memcpy(text, addr.ptr, (size_t)addr.len);
    text[addr.len] = 0;
    char *colon = strrchr(text, ':');
    if (!colon || colon == text || !colon[1]) {
        fl_fail(t, "tcp_lines: `%s` is not host:port", text);
        return -1;
    }
    *colon = 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(text, colon + 1, &hints, &res);
    if (rc != 0) {
        fl_fail(t, "tcp_lines: cannot resolve %s: %s", text, gai_strerror(rc));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        fl_fail(t, "tcp_lines: cannot connect to %s:%s: %s", text, colon + 1, strerror(err));
    return fd;
}

fl_stream *fl_stream_open(fl_task *t, int kind, fl_str addr)
{
    if (kind == 0)
        return stream_new(0, 0, "standard input");
    int fd = tcp_connect(t, addr);
    if (fd < 0)
        return NULL;
    char name[80];
    snprintf(name, sizeof name, "%.*s", (int)(addr.len < 70 ? addr.len : 70), addr.ptr);
    return stream_new(fd, 1, name);
}

/* Reads what is there into the buffer, waiting at most wait_ms for it:
 * 1 bytes came, 0 nothing yet, -1 the end (or an error, which fails the job). */
static int stream_fill(fl_task *t, fl_stream *s, int wait_ms)
{
    if (s->head > 0) {   /* the lines before head were consumed by the previous calls */
        memmove(s->buf, s->buf + s->head, (size_t)(s->len - s->head));
        s->len -= s->head;
        s->head = 0;
    }
    if (s->len == s->cap) {
        s->cap *= 2;
        s->buf = flrt_xrealloc(s->buf, (size_t)s->cap);
    }
    struct pollfd p = {.fd = s->fd, .events = POLLIN};
    fl_i64 t0 = wait_ms ? flrt_now_ns() : 0;
    int r = poll(&p, 1, wait_ms);
    if (wait_ms)   /* (a source waiting for its input is not busy) */
        ((flrt_task *)t)->t_in += flrt_now_ns() - t0;
    if (r < 0 && errno == EINTR)
        return 0;
    if (r <= 0)
        return r < 0 ? (fl_fail(t, "cannot read %s: %s", s->name, strerror(errno)), -1) : 0;
    ssize_t n = read(s->fd, s->buf + s->len, (size_t)(s->cap - s->len));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n < 0) {
        fl_fail(t, "cannot read %s: %s", s->name, strerror(errno));
        return -1;
    }
    if (n == 0)
        return -1;
    s->len += n;
    return 1;
}

/* The next whole line in the buffer (or, at the end, the last one without its line end). */
static int stream_line(fl_stream *s, fl_str *line)
{
    return flrt_line_next(s->buf, s->len, &s->head, s->eof, line);
}

int fl_stream_next(fl_task *t, fl_stream *s, fl_str *line, int wait)
{
    if (!s)
        return -1;
    if (s->since)
        wait = 0;   /* rows are waiting to go: they go as soon as the input pauses */
    for (fl_i64 waited = 0;;) {
        if (stream_line(s, line)) {
            s->last = fl_now_ms();
            return 1;
        }
        if (s->eof || fl_draining() || fl_stopping())
            return -1;
        int step = wait && waited < STREAM_POLL_MS ? STREAM_POLL_MS : 0;
        int r = stream_fill(t, s, step);
        if (r < 0)
            s->eof = 1;
        else if (r == 0 && (waited += step, !wait || waited >= STREAM_POLL_MS))
            return 0;
    }
}

void fl_stream_after(fl_task *t, fl_stream *s, fl_i64 lines)
{
    if (!s)
        return;
    fl_i64 now = fl_now_ms();
    if (lines > 0 && !s->since)
        s->since = now;
    if (s->since && (lines == 0 || now - s->since >= fl_linger_ms())) {
        fl_flush_all(t);
        flrt_sinks_idle((flrt_task *)t);
        s->since = 0;
    }
    if (lines > 0) {
        s->idle = 0;
    } else if (!s->idle && now - s->last >= fl_idle_ms()) {
        s->idle = 1;
        for (int k = 0; k < ((flrt_task *)t)->def->nout; k++)
            fl_watermark(t, k, FL_WM_IDLE);
    }
}

void fl_stream_close(fl_stream *s)
{
    if (!s)
        return;
    if (s->own)
        close(s->fd);
    free(s->buf);
    free(s);
}
