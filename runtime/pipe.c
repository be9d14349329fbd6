/* pipe.c - the pipe operator: a stream's lines through an external
 * program (`lines.pipe("sort -u")`), one process of `/bin/sh -c CMD` per
 * task, its standard output's lines the new stream. The task writes each
 * element and a line end to the program's standard input and reads its
 * output as it comes, never blocking on one while the other is full (poll
 * on both, the pipes non-blocking): a program that answers line by line
 * and one that answers only at the end (sort) both work, with memory
 * bounded by what the program itself holds plus a buffer each way. Its
 * standard error is kept (the last 4 KB) for the message when it exits
 * with a status other than 0 (or by a signal), which fails the job. A
 * program that stops reading early (head) ends its input: the rest is
 * dropped, and its exit status decides. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flrt_int.h"

extern char **environ;

enum { PIPE_HIGH = 64 * 1024, PIPE_READ = 64 * 1024, PIPE_ERR = 4096 };

struct fl_pipe {
    pid_t pid;
    int in, out, err;        /* its stdin (ours to write), stdout and stderr; -1 once closed */
    fl_buf w;                /* bytes waiting to go to its stdin, from w_at */
    fl_i64 w_at;
    fl_buf r;                /* its output, read from r_at */
    fl_i64 r_at;
    char ebuf[PIPE_ERR];     /* the last bytes of its stderr */
    fl_i64 elen;
    char *cmd;
};

static void pipe_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

/* Spawns sh -c cmd with the three pipes; 0, or -1 with errno. */
static int pipe_spawn(fl_pipe *p)
{
    int in[2], out[2], er[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0) {
        int e = errno;
        close(in[0]), close(in[1]);
        errno = e;
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, er[1], 2);
    char *argv[] = {"/bin/sh", "-c", p->cmd, NULL};
    int rc = posix_spawn(&p->pid, "/bin/sh", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]), close(out[1]), close(er[1]);
    p->in = in[1], p->out = out[0], p->err = er[0];
    if (rc) {
        errno = rc;
        return -1;
    }
    pipe_nonblock(p->in), pipe_nonblock(p->out), pipe_nonblock(p->err);
    return 0;
}

fl_pipe *fl_pipe_open(fl_task *t, fl_str cmd)
{
    struct sigaction sa;   /* a program that stops reading: EPIPE on the write, not a signal */
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);
    fl_pipe *p = flrt_xcalloc(1, sizeof *p);
    p->cmd = flrt_strndup(cmd.ptr, (size_t)cmd.len);
    p->in = p->out = p->err = -1;
    if (pipe_spawn(p) < 0) {
        fl_fail(t, "pipe: cannot start `%s`: %s", p->cmd, strerror(errno));
        p->pid = 0;
    }
    return p;
}

static void pipe_close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Writes what it can of w (its stdin full: stops; closed by it: the rest is dropped). */
static void pipe_write(fl_pipe *p)
{
    while (p->in >= 0 && p->w_at < p->w.len) {
        ssize_t n = write(p->in, p->w.p + p->w_at, (size_t)(p->w.len - p->w_at));
        if (n > 0)
            p->w_at += n;
        else if (n < 0 && errno == EINTR)
            continue;
        else {
            if (n < 0 && errno != EAGAIN)   /* EPIPE: it stopped reading */
                pipe_close_fd(&p->in), p->w_at = p->w.len;
            break;
        }
    }
    if (p->w_at == p->w.len)
        p->w.len = p->w_at = 0;
}

/* Keeps the last PIPE_ERR bytes of its stderr. */
static void pipe_err_keep(fl_pipe *p, const char *b, fl_i64 n)
{
    if (n >= PIPE_ERR) {
        memcpy(p->ebuf, b + n - PIPE_ERR, PIPE_ERR);
        p->elen = PIPE_ERR;
        return;
    }
    if (p->elen + n > PIPE_ERR) {
        fl_i64 drop = p->elen + n - PIPE_ERR;
        memmove(p->ebuf, p->ebuf + drop, (size_t)(p->elen - drop));
        p->elen -= drop;
    }
    memcpy(p->ebuf + p->elen, b, (size_t)n);
    p->elen += n;
}

/* Reads what is there of fd into b (stdout) or the stderr tail; 0 at its end. */
static int pipe_read(fl_pipe *p, int *fd, int is_err)
{
    char tmp[PIPE_READ];
    for (;;) {
        ssize_t n = read(*fd, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return 1;   /* EAGAIN: nothing now */
        if (n == 0) {
            pipe_close_fd(fd);
            return 0;
        }
        if (!is_err) {
            if (p->r_at > 0 && p->r_at >= p->r.len / 2) {   /* what was taken goes */
                memmove(p->r.p, p->r.p + p->r_at, (size_t)(p->r.len - p->r_at));
                p->r.len -= p->r_at;
                p->r_at = 0;
            }
            fl_buf_put(&p->r, tmp, n);
            return 1;
        }
        pipe_err_keep(p, tmp, n);
    }
}

/* One round: waits (block: until something can move) and moves bytes both ways. */
static void pipe_pump(fl_pipe *p, int block)
{
    struct pollfd f[3] = {{p->out, POLLIN, 0}, {p->err, POLLIN, 0}, {p->w_at < p->w.len ? p->in : -1, POLLOUT, 0}};
    if (poll(f, 3, block ? -1 : 0) < 0)
        return;
    if (f[0].revents && p->out >= 0)
        pipe_read(p, &p->out, 0);
    if (f[1].revents && p->err >= 0)
        pipe_read(p, &p->err, 1);
    if (f[2].revents)
        pipe_write(p);
}

void fl_pipe_put(fl_pipe *p, fl_str line)
{
    if (p->in < 0)
        return;
    fl_buf_put(&p->w, line.ptr, line.len);
    fl_buf_putc(&p->w, '\n');
    pipe_write(p);
    while (p->in >= 0 && p->w.len - p->w_at > PIPE_HIGH && !fl_stopping())
        pipe_pump(p, 1);
}

/* The next whole line of r (or, at its end, the rest): 1. */
static int pipe_line(fl_pipe *p, fl_str *line, int at_end)
{
    return flrt_line_next(p->r.p, p->r.len, &p->r_at, at_end, line);
}

int fl_pipe_take(fl_pipe *p, fl_str *line, int wait)
{
    if (pipe_line(p, line, 0))
        return 1;
    if (!wait) {
        if (p->out >= 0)
            pipe_read(p, &p->out, 0);
        return pipe_line(p, line, p->out < 0);
    }
    while (p->out >= 0 && !fl_stopping()) {
        if (p->in >= 0 && p->w_at == p->w.len)
            pipe_close_fd(&p->in);   /* (take with wait comes after the end of the input) */
        pipe_pump(p, 1);
        if (pipe_line(p, line, 0))
            return 1;
    }
    return pipe_line(p, line, 1);
}

void fl_pipe_end(fl_pipe *p)
{
    while (p->in >= 0 && p->w_at < p->w.len && !fl_stopping())
        pipe_pump(p, 1);
    pipe_close_fd(&p->in);
}

void fl_pipe_close(fl_task *t, fl_pipe *p)
{
    if (!p)
        return;
    pipe_close_fd(&p->in);
    pipe_close_fd(&p->out);
    if (p->pid > 0 && fl_stopping())
        kill(p->pid, SIGTERM);
    while (p->err >= 0 && !fl_stopping() && pipe_read(p, &p->err, 1))
        pipe_pump(p, 1);
    pipe_close_fd(&p->err);
    int st = 0;
    if (p->pid > 0 && waitpid(p->pid, &st, 0) == p->pid && !fl_stopping()) {
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        while (p->elen && (p->ebuf[p->elen - 1] == '\n' || p->ebuf[p->elen - 1] == '\r'))
            p->elen--;
        if (code == -1)
            fl_fail(t, "pipe: `%s` was killed by signal %d%s%.*s", p->cmd, WTERMSIG(st), p->elen ? ": " : "",
                    (int)p->elen, p->ebuf);
        else if (code != 0)
            fl_fail(t, "pipe: `%s` exited with status %d%s%.*s", p->cmd, code, p->elen ? ": " : "", (int)p->elen,
                    p->ebuf);
    }
    fl_buf_free(&p->w);
    fl_buf_free(&p->r);
    free(p->cmd);
    free(p);
}
