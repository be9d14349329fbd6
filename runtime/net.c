/* net.c - the processes of a job over TCP: one connection per pair of
 * processes, whatever the number of tasks, carrying frames (wire.c) for
 * every pair of tasks between them.
 *
 * Rendezvous: rank 0 listens; every other rank listens on a port of its
 * own, connects to rank 0 and says hello (wire.c: fingerprint, secret MAC,
 * rank, threads, port). When all have come, rank 0 sends each the table of
 * processes (address as rank 0 saw it, port, threads, rows per batch);
 * then rank r connects to ranks 1..r-1 and accepts from r+1..n-1. A
 * connection that fails the handshake is closed and logged; the job goes
 * on. A peer with the right secret but another build fails the job, with
 * both fingerprints named.
 *
 * Then each connection has a reader thread, which never blocks on a full
 * inbox: a sender sends a batch only against a credit (FLRT_CHAN_CAP per
 * channel to start with), and the receiving task gives the credit back
 * when it takes the batch (fl_recv). Writers share the connection under
 * its lock, a whole frame at a time. A heartbeat goes out every second on
 * an idle connection; a reader that hears nothing for DEAD_MS, or sees
 * the connection end before the peer's BYE, fails the job naming the
 * process and its host. At the end each process sends BYE and waits for
 * everyone's, so rank 0 commits the output only when all have succeeded.
 *
 * Lock order: a connection's write lock, the job's credit lock, an inbox's
 * lock and the net's own lock are leaves. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "stats.h"

enum {
    DEAD_MS = 5000,          /* silence after which a peer is taken for dead */
    BEAT_MS = 1000,          /* heartbeat period on an idle connection */
    JOIN_MS = 60000,         /* for all processes to join */
    CONNECT_MS = 30000,      /* for a process to reach another */
    STRANGER_MS = 5000,      /* for an accepted connection to say hello */
    TABLE_ENTRY = 72,
};

typedef struct conn {
    int fd;
    int peer;
    pthread_mutex_t wmu;
    pthread_t reader;
    int reading;
    _Atomic int bye;
    _Atomic int broken;      /* a write failed: nothing more is written (no half frames) */
    _Atomic int phase;       /* the last phase whose tasks it has built */
    _Atomic fl_i64 last_rx, last_tx;
} conn;

struct flrt_net {
    flrt_job *j;
    conn *conns;             /* per rank; conns[rank].fd is -1 */
    pthread_t beat;
    int beating;
    _Atomic int closing;
    _Atomic int meshed;      /* every connection is made */
    pthread_mutex_t mu;      /* byes, phases, values */
    pthread_cond_t cv;
    int values_phase;        /* the last phase whose value came (from process 0); under mu */
    fl_buf values;           /* its bytes; under mu */
    _Atomic fl_i64 ser_ns, ser_bytes, de_ns, de_bytes;   /* for FLOWC_NET_STATS */
};

static fl_i64 now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (fl_i64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static fl_i64 now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (fl_i64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *host_of(const flrt_job *j, int p) { return j->procs[p].host[0] ? j->procs[p].host : "?"; }

/* Fails the job with "flowc job: MESSAGE" unless it already failed. */
static void net_fail(flrt_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void net_fail(flrt_job *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    flrt_job_vfail(j, fmt, ap);
    va_end(ap);
}

/* ---- sockets with deadlines ---- */

/* Waits until fd is ready for ev or the deadline passes: 1, 0 (timeout), -1. */
static int wait_fd(int fd, short ev, fl_i64 deadline)
{
    for (;;) {
        fl_i64 left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = ev};
        int r = poll(&p, 1, left > 1000 ? 1000 : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r > 0)
            return 1;
    }
}

/* Reads or writes all n bytes before the deadline (idle_ms > 0: a deadline
 * that moves on as long as bytes move): 0, or -1 with errno (ETIMEDOUT, or
 * 0 at the end of the stream). */
static int io_full_idle(int fd, void *buf, size_t n, int out, fl_i64 deadline, int idle_ms)
{
    char *p = buf;
    while (n > 0) {
        if (idle_ms > 0)
            deadline = now_ms() + idle_ms;
        int w = wait_fd(fd, out ? POLLOUT : POLLIN, deadline);
        if (w <= 0) {
            errno = w == 0 ? ETIMEDOUT : errno;
            return -1;
        }
        ssize_t r = out ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
        if (r < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = 0;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int io_full(int fd, void *buf, size_t n, int out, fl_i64 deadline)
{
    return io_full_idle(fd, buf, n, out, deadline, 0);
}

static void sock_opts(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int flrt_net_listen(const char *host, int port, int *bound, char *err, size_t errlen)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (host && inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        snprintf(err, errlen, "cannot listen on %s: not an IPv4 address", host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 128) < 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host ? host : "*", port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    *bound = ntohs(a.sin_port);
    return fd;
}

/* One non-blocking connect to ai, waited for until the deadline (a host
 * that drops packets does not hold it for the kernel's two minutes): 0 with
 * *fd set, or an errno with *fd -1. */
static int connect_by(const struct addrinfo *ai, fl_i64 deadline, int *fd)
{
    *fd = -1;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return errno;
    sock_opts(s);   /* non-blocking from here on */
    int e = connect(s, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : errno;
    if (e == EINPROGRESS) {
        int w = wait_fd(s, POLLOUT, deadline);
        socklen_t len = sizeof e;
        if (w <= 0)
            e = w == 0 ? ETIMEDOUT : errno;
        else if (getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
            e = errno;
    }
    if (e) {
        close(s);
        return e;
    }
    *fd = s;
    return 0;
}

/* A connection to host:port, retried until the deadline while refused. */
static int dial(const char *host, int port, fl_i64 deadline, char *err, size_t errlen)
{
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai;
    int rc = getaddrinfo(host, ps, &hints, &ai);
    if (rc) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    while (fd < 0) {
        int e = connect_by(ai, deadline, &fd);
        if (fd >= 0)
            break;
        if ((e != ECONNREFUSED && e != ETIMEDOUT && e != EHOSTUNREACH && e != ENETUNREACH && e != EINTR) ||
            now_ms() > deadline) {
            snprintf(err, errlen, "cannot connect to %s:%d: %s", host, port, strerror(e));
            break;
        }
        usleep(50000);
    }
    freeaddrinfo(ai);
    return fd;
}

/* ---- the handshake ---- */

typedef struct hs {
    const flrt_net_opts *o;
    flrt_hello me;
} hs;

/* Greets and says hello on fd; the peer's hello in *peer. 0, or -1 with a
 * reason in err (-2: the peer does not have the secret). */
static int handshake(const hs *h, int fd, fl_i64 deadline, flrt_hello *peer, const char **err)
{
    unsigned char nonce[16], pnonce[16], g[FLRT_GREET], pg[FLRT_GREET], hel[FLRT_HELLO], ph[FLRT_HELLO];
    if (getrandom(nonce, sizeof nonce, 0) != sizeof nonce) {
        *err = "no random numbers";
        return -1;
    }
    flrt_greet_encode(g, nonce);
    if (io_full(fd, g, sizeof g, 1, deadline) < 0 || io_full(fd, pg, sizeof pg, 0, deadline) < 0) {
        *err = errno == ETIMEDOUT ? "no greeting in time" : "the connection ended during the greeting";
        return -1;
    }
    if (flrt_greet_decode(pg, pnonce, err) < 0)
        return -1;
    flrt_hello_encode(hel, &h->me, h->o->secret, pnonce);
    if (io_full(fd, hel, sizeof hel, 1, deadline) < 0 || io_full(fd, ph, sizeof ph, 0, deadline) < 0) {
        *err = errno == ETIMEDOUT ? "no hello in time" : "the connection ended during the hello";
        return -1;
    }
    return flrt_hello_decode(ph, peer, h->o->secret, nonce, err);
}

/* A peer with the secret but another build: the job cannot run. */
static int same_build(flrt_job *j, const hs *h, const flrt_hello *peer, const char *addr)
{
    if (peer->fingerprint == h->me.fingerprint && peer->nprocs == h->me.nprocs && peer->args == h->me.args)
        return 1;
    if (peer->fingerprint == h->me.fingerprint && peer->nprocs == h->me.nprocs)
        net_fail(j, "process %d at %s was started with other arguments than process %d: give every process "
                    "the same parameters (two jobs with one secret and one leader port?)", peer->rank, addr,
                 h->me.rank);
    else if (peer->nprocs != h->me.nprocs)
        net_fail(j, "process %d at %s was started for %d processes, this one (%d) for %d", peer->rank, addr,
                 peer->nprocs, h->me.rank, h->me.nprocs);
    else
        net_fail(j, "process %d at %s runs another build of the job (fingerprint %016llx, flowc %s) "
                    "than process %d (fingerprint %016llx, flowc %s): deploy the same binary everywhere",
                 peer->rank, addr, (unsigned long long)peer->fingerprint, peer->version, h->me.rank,
                 (unsigned long long)h->me.fingerprint, h->me.version);
    return 0;
}

static void peer_addr(int fd, char *out, size_t len)
{
    struct sockaddr_in a;
    socklen_t sl = sizeof a;
    if (getpeername(fd, (struct sockaddr *)&a, &sl) < 0 || !inet_ntop(AF_INET, &a.sin_addr, out, (socklen_t)len))
        snprintf(out, len, "?");
}

/* Accepts one connection and shakes hands; fd, or -1 (refused and logged,
 * or nothing to accept). */
static int accept_peer(const hs *h, int lfd, flrt_hello *peer, char *addr, size_t alen)
{
    int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return -1;
    sock_opts(fd);
    peer_addr(fd, addr, alen);
    const char *err = "";
    if (handshake(h, fd, now_ms() + STRANGER_MS, peer, &err) < 0) {
        flrt_say("refused a connection from %s: %s", addr, err);
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- the rendezvous ---- */

static void table_encode(const flrt_job *j, unsigned char *out)
{
    memset(out, 0, (size_t)(8 + TABLE_ENTRY * j->nprocs));
    memcpy(out, &j->batch_rows, 8);
    for (int p = 0; p < j->nprocs; p++) {
        unsigned char *e = out + 8 + TABLE_ENTRY * p;
        memcpy(e, j->procs[p].host, 63);
        memcpy(e + 64, &j->procs[p].port, 4);
        memcpy(e + 68, &j->procs[p].threads, 4);
    }
}

static int table_decode(flrt_job *j, const unsigned char *in)
{
    memcpy(&j->batch_rows, in, 8);
    for (int p = 0; p < j->nprocs; p++) {
        const unsigned char *e = in + 8 + TABLE_ENTRY * p;
        memcpy(j->procs[p].host, e, 63);
        j->procs[p].host[63] = 0;
        memcpy(&j->procs[p].port, e + 64, 4);
        memcpy(&j->procs[p].threads, e + 68, 4);
        if (j->procs[p].threads < 1 || j->procs[p].threads > 65536 || j->procs[p].port < 0 ||
            j->procs[p].port > 65535)
            return -1;
    }
    return j->batch_rows >= 1 ? 0 : -1;
}

static void missing_ranks(const flrt_net *n, char *out, size_t len)
{
    size_t off = 0;
    out[0] = 0;
    for (int p = 1; p < n->j->nprocs && off + 12 < len; p++)
        if (p != n->j->rank && n->conns[p].fd < 0)
            off += (size_t)snprintf(out + off, len - off, "%s%d", off ? ", " : "", p);
}

static void beat_start(flrt_net *n);

/* A worker meeting the others: whether process 0 has closed its side of
 * their connection (it failed; frames it sent before wait for the reader). */
static int leader_gone(flrt_net *n)
{
    struct pollfd p = {.fd = n->conns[0].fd, .events = POLLRDHUP};
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Accepts peers until every rank in [lo, n) other than ours has come. */
static int accept_all(flrt_net *n, const hs *h, int lfd, int lo, fl_i64 deadline)
{
    flrt_job *j = n->j;
    for (;;) {
        int left = 0;
        for (int p = lo; p < j->nprocs; p++)
            left += p != j->rank && n->conns[p].fd < 0;
        if (!left)
            return 0;
        char msg[256];
        if (h->o->check && h->o->check(h->o->check_arg, msg, sizeof msg) < 0) {
            net_fail(j, "%s", msg);
            return -1;
        }
        if (now_ms() > deadline || atomic_load(&j->stop)) {
            missing_ranks(n, msg, sizeof msg);
            net_fail(j, "processes %s did not join within %d s", msg, JOIN_MS / 1000);
            return -1;
        }
        if (j->rank != 0 && leader_gone(n)) {
            net_fail(j, "process 0 (%s) ended the job while process %d was connecting to the others",
                     host_of(j, 0), j->rank);
            return -1;
        }
        if (wait_fd(lfd, POLLIN, now_ms() + 200) <= 0)
            continue;
        flrt_hello peer;
        char addr[64];
        int fd = accept_peer(h, lfd, &peer, addr, sizeof addr);
        if (fd < 0)
            continue;
        if (!same_build(j, h, &peer, addr)) {
            close(fd);
            return -1;
        }
        if (peer.rank < lo || peer.rank == j->rank || n->conns[peer.rank].fd >= 0) {
            flrt_say("refused a connection from %s: rank %d is not expected here", addr, peer.rank);
            close(fd);
            continue;
        }
        n->conns[peer.rank].fd = fd;
        if (j->rank == 0) {
            flrt_proc *pr = &j->procs[peer.rank];
            snprintf(pr->host, sizeof pr->host, "%s", addr);
            pr->port = peer.port;
            pr->threads = peer.threads;
        }
    }
}

static int leader_start(flrt_net *n, const hs *h, int lfd)
{
    flrt_job *j = n->j;
    if (accept_all(n, h, lfd, 1, now_ms() + JOIN_MS) < 0)
        return -1;
    size_t len = (size_t)(8 + TABLE_ENTRY * j->nprocs);
    unsigned char *tab = flrt_xmalloc(len);
    table_encode(j, tab);
    int rc = 0;
    for (int p = 1; p < j->nprocs && rc == 0; p++)
        if (io_full(n->conns[p].fd, tab, len, 1, now_ms() + CONNECT_MS) < 0) {
            net_fail(j, "cannot send the table of processes to process %d (%s): %s", p, host_of(j, p),
                     errno ? strerror(errno) : "connection closed");
            rc = -1;
        }
    free(tab);
    return rc;
}

/* Connects to rank p at host:port and checks who answers. */
static int dial_peer(flrt_net *n, const hs *h, int p, const char *host, int port)
{
    flrt_job *j = n->j;
    char err[256];
    fl_i64 deadline = now_ms() + CONNECT_MS;
    int fd = dial(host, port, deadline, err, sizeof err);
    if (fd < 0) {
        net_fail(j, "process %d: %s", j->rank, err);
        return -1;
    }
    flrt_hello peer;
    const char *why = "";
    char addr[80];
    snprintf(addr, sizeof addr, "%s:%d", host, port);
    int rc = handshake(h, fd, deadline, &peer, &why);
    if (rc < 0) {
        net_fail(j, "process %d: the handshake with %s failed: %s%s", j->rank, addr, why,
                 rc == -2 ? " (is the same secret given to every process?)" : "");
    } else if (same_build(j, h, &peer, addr) && peer.rank != p) {
        net_fail(j, "process %d: %s answered as process %d, not %d", j->rank, addr, peer.rank, p);
    } else if (peer.rank == p) {
        n->conns[p].fd = fd;
        return 0;
    }
    close(fd);
    return -1;
}

static int worker_start(flrt_net *n, const hs *h, int lfd)
{
    flrt_job *j = n->j;
    const flrt_net_opts *o = h->o;
    if (dial_peer(n, h, 0, o->leader_host, o->leader_port) < 0)
        return -1;
    size_t len = (size_t)(8 + TABLE_ENTRY * j->nprocs);
    unsigned char *tab = flrt_xmalloc(len);
    int rc = io_full(n->conns[0].fd, tab, len, 0, now_ms() + JOIN_MS + CONNECT_MS);
    if (rc < 0 || table_decode(j, tab) < 0) {
        net_fail(j, "process %d: no table of processes from process 0 (%s:%d)", j->rank, o->leader_host,
                 o->leader_port);
        free(tab);
        return -1;
    }
    free(tab);
    snprintf(j->procs[0].host, sizeof j->procs[0].host, "%s", o->leader_host);
    beat_start(n);   /* process 0 hears from this one while it meets the others */
    for (int p = 1; p < j->rank; p++)
        if (dial_peer(n, h, p, j->procs[p].host, j->procs[p].port) < 0)
            return -1;
    return accept_all(n, h, lfd, j->rank + 1, now_ms() + JOIN_MS);
}

/* ---- frames out ---- */

/* Writes a whole frame on the connection to p; urgent frames (FAIL, BYE)
 * go out even while the job stops. */
static void conn_send(flrt_job *j, int p, const void *buf, size_t len, int urgent)
{
    flrt_net *n = j->net;
    conn *c = &n->conns[p];
    if ((!urgent && atomic_load(&j->stop)) || atomic_load(&c->broken))
        return;
    pthread_mutex_lock(&c->wmu);
    int rc = c->fd < 0 ? -1 : io_full_idle(c->fd, (void *)buf, len, 1, 0, DEAD_MS);
    int e = errno;
    if (rc < 0 && c->fd >= 0) {   /* perhaps half a frame went out: the connection is done */
        atomic_store(&c->broken, 1);
        shutdown(c->fd, SHUT_WR);
    }
    pthread_mutex_unlock(&c->wmu);
    if (rc < 0) {
        if (!urgent && !atomic_load(&n->closing))
            net_fail(j, "cannot send to process %d (%s): %s", p, host_of(j, p),
                     e == ETIMEDOUT ? "it stopped answering" : e ? strerror(e) : "connection closed");
        return;
    }
    atomic_store(&c->last_tx, now_ms());
    atomic_fetch_add(&j->net_sent, (fl_i64)len);
}

static void send_ctl(flrt_job *j, int p, int kind, int src, int dst, int input, int count, int urgent)
{
    unsigned char hdr[FLRT_FRAME_HDR];
    flrt_frame f = {.kind = kind, .input = input, .src = (fl_u64)src, .dst = (fl_u64)dst, .n = (fl_u64)count};
    flrt_frame_encode(hdr, &f);
    conn_send(j, p, hdr, sizeof hdr, urgent);
}

static int take_credit(flrt_job *j, flrt_port *p)
{
    pthread_mutex_lock(&j->credit_mu);
    while (p->credits <= 0 && !atomic_load(&j->stop))
        pthread_cond_wait(&j->credit_cv, &j->credit_mu);
    int ok = p->credits > 0 && !atomic_load(&j->stop);
    if (ok)
        p->credits--;
    pthread_mutex_unlock(&j->credit_mu);
    return ok;
}

void flrt_net_send_batch(flrt_task *t, flrt_edge *e, flrt_port *p, fl_batch *b)
{
    flrt_job *j = t->job;
    fl_i64 w0 = now_ns();
    int ok = take_credit(j, p);
    t->t_out += now_ns() - w0;
    if (!ok)
        return;
    fl_buf *w = &t->wire;
    w->len = 0;
    fl_buf_reserve(w, FLRT_FRAME_HDR);
    w->len = FLRT_FRAME_HDR;
    fl_i64 t0 = now_ns();
    e->def->ser(w, b->rows, b->n);
    atomic_fetch_add(&j->net->ser_ns, now_ns() - t0);
    atomic_fetch_add(&j->net->ser_bytes, w->len - FLRT_FRAME_HDR);
    flrt_frame f = {.kind = FLRT_F_DATA, .input = e->def->input, .src = (fl_u64)t->gid, .dst = (fl_u64)p->dst,
                    .n = (fl_u64)b->n, .len = w->len - FLRT_FRAME_HDR};
    if (f.len > FLRT_FRAME_MAX) {
        fl_fail(&t->pub, "a batch of %lld bytes is too large to send (--batch is %lld rows: try fewer)",
                (long long)f.len, (long long)j->batch_rows);
        return;
    }
    flrt_frame_encode((unsigned char *)w->p, &f);
    t->bytes_out += w->len;
    conn_send(j, p->proc, w->p, (size_t)w->len, 0);
}

void flrt_net_send_end(flrt_task *t, flrt_edge *e, flrt_port *p)
{
    send_ctl(t->job, p->proc, FLRT_F_END, t->gid, p->dst, e->def->input, 0, 0);
}

void flrt_net_send_watermark(flrt_task *t, flrt_edge *e, flrt_port *p, fl_i64 wm)
{
    unsigned char buf[FLRT_FRAME_HDR + 8];
    flrt_frame f = {.kind = FLRT_F_WATERMARK, .input = e->def->input, .src = (fl_u64)t->gid, .dst = (fl_u64)p->dst,
                    .len = 8};
    flrt_frame_encode(buf, &f);
    for (int i = 0; i < 8; i++)
        buf[FLRT_FRAME_HDR + i] = (unsigned char)((fl_u64)wm >> (8 * i));
    conn_send(t->job, p->proc, buf, sizeof buf, 0);
}

void flrt_net_credit(flrt_job *j, int proc, int src, int dst, int input)
{
    send_ctl(j, proc, FLRT_F_CREDIT, src, dst, input, 1, 0);
}

void flrt_net_fail(flrt_job *j, const char *msg)
{
    flrt_net *n = j->net;
    size_t ml = msg ? strlen(msg) : 0;
    unsigned char *buf = flrt_xmalloc(FLRT_FRAME_HDR + ml + 1);
    flrt_frame f = {.kind = FLRT_F_FAIL, .src = (fl_u64)j->rank, .len = (fl_i64)ml};
    flrt_frame_encode(buf, &f);
    if (ml)
        memcpy(buf + FLRT_FRAME_HDR, msg, ml);
    for (int p = 0; p < j->nprocs; p++)
        if (p != j->rank && n->conns[p].fd >= 0)
            conn_send(j, p, buf, FLRT_FRAME_HDR + ml, 1);
    free(buf);
}

/* Waits (under mu) until done(n, arg) or the job fails; 0, or -1 when it failed. */
static int net_wait(flrt_net *n, int (*done)(flrt_net *, int), int arg)
{
    pthread_mutex_lock(&n->mu);
    while (!done(n, arg) && !atomic_load(&n->j->failed))
        pthread_cond_wait(&n->cv, &n->mu);
    pthread_mutex_unlock(&n->mu);
    return atomic_load(&n->j->failed) ? -1 : 0;
}

static int all_at_phase(flrt_net *n, int p)
{
    for (int q = 0; q < n->j->nprocs; q++)
        if (q != n->j->rank && atomic_load(&n->conns[q].phase) < p)
            return 0;
    return 1;
}

static int has_values(flrt_net *n, int p) { return n->values_phase >= p; }

void flrt_net_barrier(flrt_job *j, int p)
{
    for (int q = 0; q < j->nprocs; q++)
        if (q != j->rank)
            send_ctl(j, q, FLRT_F_PHASE, j->rank, 0, 0, p, 0);
    net_wait(j->net, all_at_phase, p);
}

void flrt_net_send_values(flrt_job *j, int p, const char *bytes, fl_i64 len)
{
    if (len > FLRT_FRAME_MAX) {
        fl_fail(NULL, "the value of phase run %d (%lld bytes) is too large to send to the other processes", p,
                (long long)len);
        return;
    }
    unsigned char *buf = flrt_xmalloc((size_t)(FLRT_FRAME_HDR + len));
    flrt_frame f = {.kind = FLRT_F_VALUES, .src = (fl_u64)j->rank, .n = (fl_u64)p, .len = len};
    flrt_frame_encode(buf, &f);
    if (len)
        memcpy(buf + FLRT_FRAME_HDR, bytes, (size_t)len);
    for (int q = 0; q < j->nprocs; q++)
        if (q != j->rank)
            conn_send(j, q, buf, (size_t)(FLRT_FRAME_HDR + len), 0);
    free(buf);
}

int flrt_net_wait_values(flrt_job *j, int p, fl_buf *out)
{
    flrt_net *n = j->net;
    if (net_wait(n, has_values, p) < 0)
        return -1;
    pthread_mutex_lock(&n->mu);
    out->len = 0;
    fl_buf_put(out, n->values.p, n->values.len);
    pthread_mutex_unlock(&n->mu);
    return 0;
}

void flrt_net_bytes(const flrt_job *j, fl_i64 *sent, fl_i64 *received)
{
    *sent = atomic_load(&j->net_sent);
    *received = atomic_load(&j->net_received);
}

/* ---- frames in ---- */

typedef struct rd {
    flrt_net *n;
    int p;
} rd;

/* Reads n bytes from peer p, waiting as long as it keeps talking: 0, or
 * -1 (the job failed, or the connection closed while closing). */
static int rd_full(rd *r, void *buf, size_t len)
{
    flrt_net *n = r->n;
    conn *c = &n->conns[r->p];
    char *p = buf;
    while (len > 0) {
        int w = wait_fd(c->fd, POLLIN, now_ms() + 500);
        if (atomic_load(&n->closing) && (w <= 0 || atomic_load(&c->bye)))
            return -1;
        if (w == 0 && now_ms() - atomic_load(&c->last_rx) > DEAD_MS) {
            net_fail(n->j, "process %d (%s) stopped answering: nothing heard for %d s", r->p,
                     host_of(n->j, r->p), DEAD_MS / 1000);
            return -1;
        }
        if (w == 0)
            continue;
        ssize_t k = w < 0 ? -1 : recv(c->fd, p, len, 0);
        if (k < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (k <= 0) {
            if (!atomic_load(&c->bye) && !atomic_load(&n->closing))
                net_fail(n->j, "lost process %d (%s): %s", r->p, host_of(n->j, r->p),
                         k == 0 ? "the connection closed (did it exit or get killed?)" : strerror(errno));
            return -1;
        }
        atomic_store(&c->last_rx, now_ms());
        atomic_fetch_add(&n->j->net_received, (fl_i64)k);
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

static void bad_frame(rd *r, const char *why)
{
    net_fail(r->n->j, "process %d (%s) sent %s", r->p, host_of(r->n->j, r->p), why);
}

/* The local task and channel a frame from peer p is for, or NULL. */
static flrt_task *frame_dest(rd *r, const flrt_frame *f, int *chan)
{
    flrt_job *j = r->n->j;
    if (f->dst >= (fl_u64)j->ntasks || f->src >= (fl_u64)j->ntasks || !j->local[f->dst])
        return NULL;
    flrt_task *t = j->local[f->dst];
    *chan = flrt_inbox_chan(&t->in, f->input, (int)f->src);
    if (*chan < 0 || t->in.chans[*chan].proc != r->p)
        return NULL;
    return t;
}

static int rd_data(rd *r, const flrt_frame *f)
{
    int c;
    flrt_task *t = frame_dest(r, f, &c);
    if (!t || t->in.chans[c].ended) {
        bad_frame(r, "a batch for a task that does not take it (or after its END)");
        return -1;
    }
    flrt_chan *ch = &t->in.chans[c];
    fl_batch *b = flrt_pool_get(ch->pool);
    if ((fl_i64)f->n > b->cap && flrt_batch_grow(b, (fl_i64)f->n) < 0) {
        flrt_batch_release(b);
        bad_frame(r, "a batch larger than the batch size");
        return -1;
    }
    char *buf = fl_alloc(&b->arena, f->len);
    if (rd_full(r, buf, (size_t)f->len) < 0) {
        flrt_batch_release(b);
        return -1;
    }
    fl_rbuf rb = {buf, buf + f->len, 0};
    fl_i64 t0 = now_ns();
    int bad = ch->def->de(&rb, b->rows, (fl_i64)f->n, &b->arena) < 0;
    atomic_fetch_add(&r->n->de_ns, now_ns() - t0);
    atomic_fetch_add(&r->n->de_bytes, f->len);
    if (bad) {
        flrt_batch_release(b);
        bad_frame(r, "a batch whose rows do not decode");
        return -1;
    }
    b->n = (fl_i64)f->n;
    if (flrt_inbox_push(&t->in, c, FL_MSG_DATA, b, 0) < 0) {
        flrt_batch_release(b);   /* the task has ended: its credit comes back at once */
        flrt_net_credit(r->n->j, r->p, ch->src, t->gid, ch->input);
    }
    return 0;
}

static int rd_watermark(rd *r, const flrt_frame *f)
{
    unsigned char v[8];
    int c;
    if (rd_full(r, v, 8) < 0)
        return -1;
    flrt_task *t = frame_dest(r, f, &c);
    if (!t || t->in.chans[c].ended) {
        bad_frame(r, "a watermark for a task that does not take it (or after its END)");
        return -1;
    }
    fl_u64 u = 0;
    for (int i = 0; i < 8; i++)
        u |= (fl_u64)v[i] << (8 * i);
    flrt_inbox_push_value(&t->in, c, FL_MSG_WATERMARK, (fl_i64)u, 0);
    return 0;
}

/* Whether process p may give back a credit for task f->dst: it holds it. */
static int credit_from(const flrt_job *j, const flrt_frame *f, int p)
{
    if (f->dst >= (fl_u64)j->ntasks)
        return 0;
    int s = flrt_stage_of(j, (int)f->dst);
    return flrt_place(j, s, (int)f->dst - j->first[s]) == p;
}

/* A frame for a task: DATA, END or CREDIT, under the job's table lock (the
 * tasks of a phase are made and freed under it). */
static int rd_task_frame(rd *r, const flrt_frame *f)
{
    flrt_job *j = r->n->j;
    int c, rc = 0;
    flrt_task *t;
    pthread_rwlock_rdlock(&j->tables);
    if (f->kind == FLRT_F_DATA) {
        rc = rd_data(r, f);
    } else if (f->kind == FLRT_F_CREDIT) {
        if (f->n != 1 || !credit_from(j, f, r->p)) {
            bad_frame(r, "a credit it cannot give");
            rc = -1;
        } else {
            flrt_port_credit(j, (int)f->src, (int)f->dst, f->input, 1);  /* a finished phase's: ignored */
        }
    } else if (f->kind == FLRT_F_WATERMARK) {
        rc = rd_watermark(r, f);
    } else if ((t = frame_dest(r, f, &c)) && !t->in.chans[c].ended) {
        t->in.chans[c].ended = 1;   /* (only this reader writes it) */
        flrt_inbox_push(&t->in, c, FL_MSG_END, NULL, 0);
    } else {
        bad_frame(r, "an END for a task that does not take it, or a second one");
        rc = -1;
    }
    pthread_rwlock_unlock(&j->tables);
    return rc;
}

/* Phase p's value from process 0. */
static int rd_values(rd *r, const flrt_frame *f)
{
    flrt_net *n = r->n;
    char *buf = flrt_xmalloc((size_t)(f->len ? f->len : 1));
    if (rd_full(r, buf, (size_t)f->len) < 0) {
        free(buf);
        return -1;
    }
    pthread_mutex_lock(&n->mu);
    n->values.len = 0;
    fl_buf_put(&n->values, buf, f->len);
    n->values_phase = (int)f->n;
    pthread_cond_broadcast(&n->cv);
    pthread_mutex_unlock(&n->mu);
    free(buf);
    return 0;
}

/* Process 0: another process's counts (stats.h), kept as its latest. */
static int rd_stats(rd *r, const flrt_frame *f)
{
    unsigned char *buf = flrt_xmalloc((size_t)f->len);
    if (rd_full(r, buf, (size_t)f->len) < 0) {
        free(buf);
        return -1;
    }
    fl_i64 n = (fl_i64)f->n, *v = flrt_xmalloc((size_t)n * sizeof *v);
    for (fl_i64 i = 0; i < n; i++) {
        fl_u64 x = 0;
        for (int b = 7; b >= 0; b--)
            x = x << 8 | buf[8 * i + b];
        v[i] = (fl_i64)x;
    }
    if (r->p != 0 && __atomic_load_n(&r->n->j->stats, __ATOMIC_ACQUIRE))
        flrt_stats_remote(r->n->j, r->p, v, n);
    free(v);
    free(buf);
    return 0;
}

/* The others: this process's counts to process 0 (urgent: the last, before BYE). */
static void send_stats(flrt_job *j, int urgent)
{
    if (j->rank == 0 || !__atomic_load_n(&j->stats, __ATOMIC_ACQUIRE))
        return;
    fl_i64 n = flrt_stats_len(j), *v = flrt_xcalloc((size_t)n, sizeof *v);
    flrt_stats_snap(j, v);
    unsigned char *buf = flrt_xmalloc(FLRT_FRAME_HDR + (size_t)n * 8);
    for (fl_i64 i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            buf[FLRT_FRAME_HDR + 8 * i + b] = (unsigned char)((fl_u64)v[i] >> (8 * b));
    flrt_frame f = {.kind = FLRT_F_STATS, .src = (fl_u64)j->rank, .n = (fl_u64)n, .len = n * 8};
    flrt_frame_encode(buf, &f);
    conn_send(j, 0, buf, FLRT_FRAME_HDR + (size_t)n * 8, urgent);
    free(buf);
    free(v);
}

static int rd_frame(rd *r, const flrt_frame *f)
{
    flrt_net *n = r->n;
    switch (f->kind) {
    case FLRT_F_DATA: case FLRT_F_END: case FLRT_F_CREDIT: case FLRT_F_WATERMARK: return rd_task_frame(r, f);
    case FLRT_F_VALUES:
        if (r->p != 0 || (fl_i64)f->n <= n->values_phase) {
            bad_frame(r, "values out of turn");
            return -1;
        }
        return rd_values(r, f);
    case FLRT_F_PHASE:
        if ((int)f->n <= atomic_load(&n->conns[r->p].phase)) {
            bad_frame(r, "a phase out of turn");
            return -1;
        }
        pthread_mutex_lock(&n->mu);
        atomic_store(&n->conns[r->p].phase, (int)f->n);
        pthread_cond_broadcast(&n->cv);
        pthread_mutex_unlock(&n->mu);
        return 0;
    case FLRT_F_HEARTBEAT: return 0;
    case FLRT_F_STATS: return rd_stats(r, f);
    case FLRT_F_BYE:
        pthread_mutex_lock(&n->mu);
        atomic_store(&n->conns[r->p].bye, 1);
        pthread_cond_broadcast(&n->cv);
        pthread_mutex_unlock(&n->mu);
        return 0;
    default: {   /* FAIL: the failing process has printed its message */
        char skip[256];
        for (fl_i64 left = f->len; left > 0; left -= (fl_i64)sizeof skip)
            if (rd_full(r, skip, (size_t)(left < (fl_i64)sizeof skip ? left : (fl_i64)sizeof skip)) < 0)
                break;
        flrt_job_fail(n->j, NULL, 1);
        return -1;
    }
    }
}

static void wake_finish(flrt_net *n)
{
    pthread_mutex_lock(&n->mu);
    pthread_cond_broadcast(&n->cv);
    pthread_mutex_unlock(&n->mu);
}

void flrt_net_wake(flrt_job *j)
{
    if (j->net)
        wake_finish(j->net);
}

static void *reader_main(void *arg)
{
    rd r = *(rd *)arg;
    free(arg);
    flrt_job_set_current(r.n->j);
    unsigned char hdr[FLRT_FRAME_HDR];
    for (;;) {
        flrt_frame f;
        const char *err;
        if (rd_full(&r, hdr, sizeof hdr) < 0)
            break;
        if (flrt_frame_decode(hdr, &f, &err) < 0) {
            bad_frame(&r, err);
            break;
        }
        if (rd_frame(&r, &f) < 0)
            break;
    }
    wake_finish(r.n);
    return NULL;
}

/* A heartbeat to p unless its connection is busy writing (bytes move then). */
static void beat(flrt_job *j, int p)
{
    conn *c = &j->net->conns[p];
    unsigned char hdr[FLRT_FRAME_HDR];
    flrt_frame f = {.kind = FLRT_F_HEARTBEAT};
    flrt_frame_encode(hdr, &f);
    if (atomic_load(&c->broken) || pthread_mutex_trylock(&c->wmu) != 0)
        return;
    int rc = c->fd < 0 ? -1 : io_full_idle(c->fd, hdr, sizeof hdr, 1, 0, DEAD_MS);
    if (rc < 0 && c->fd >= 0) {
        atomic_store(&c->broken, 1);
        shutdown(c->fd, SHUT_WR);
    }
    pthread_mutex_unlock(&c->wmu);
    if (rc == 0)
        atomic_store(&c->last_tx, now_ms());
}

/* Heartbeats: to process 0 only while this one still meets the others
 * (the main thread is making the other connections), then to all. */
static void *beat_main(void *arg)
{
    flrt_net *n = arg;
    flrt_job *j = n->j;
    for (int k = 1; !atomic_load(&n->closing); k++) {
        usleep(200000);
        int all = atomic_load(&n->meshed);
        if (all && k % 3 == 0)   /* (every 600 ms) */
            send_stats(j, 0);
        for (int p = 0; p < (all ? j->nprocs : 1); p++)
            if (p != j->rank && now_ms() - atomic_load(&n->conns[p].last_tx) >= BEAT_MS)
                beat(j, p);
    }
    return NULL;
}

static void beat_start(flrt_net *n)
{
    if (n->beating)
        return;
    int err = pthread_create(&n->beat, NULL, beat_main, n);
    n->beating = err == 0;
    if (err)
        net_fail(n->j, "cannot start the heartbeat thread: %s", strerror(err));
}

/* ---- start and finish ---- */

static flrt_net *net_new(flrt_job *j)
{
    flrt_net *n = flrt_xcalloc(1, sizeof *n);
    n->j = j;
    n->conns = flrt_xcalloc((size_t)j->nprocs, sizeof *n->conns);
    for (int p = 0; p < j->nprocs; p++) {
        n->conns[p].fd = -1;
        n->conns[p].peer = p;
        pthread_mutex_init(&n->conns[p].wmu, NULL);
    }
    pthread_mutex_init(&n->mu, NULL);
    pthread_cond_init(&n->cv, NULL);
    n->values_phase = -1;
    return n;
}

void flrt_net_go(flrt_job *j)
{
    flrt_net *n = j->net;
    for (int p = 0; p < j->nprocs; p++) {
        if (p == j->rank)
            continue;
        atomic_store(&n->conns[p].last_rx, now_ms());
        atomic_store(&n->conns[p].last_tx, now_ms());
        rd *r = flrt_xmalloc(sizeof *r);
        r->n = n;
        r->p = p;
        int err = pthread_create(&n->conns[p].reader, NULL, reader_main, r);
        n->conns[p].reading = err == 0;
        if (err) {
            free(r);
            net_fail(j, "cannot start a thread to read from process %d: %s", p, strerror(err));
        }
    }
    atomic_store(&n->meshed, 1);
    beat_start(n);
}

int flrt_net_start(flrt_job *j, const flrt_net_opts *o)
{
    j->rank = o->rank;
    j->nprocs = o->nprocs;
    j->procs = flrt_xcalloc((size_t)o->nprocs, sizeof *j->procs);
    j->procs[o->rank].threads = j->nthreads;
    flrt_net *n = net_new(j);
    j->net = n;
    char err[256];
    int port = o->port, lfd = o->listen_fd;
    if (lfd < 0)
        lfd = flrt_net_listen(o->bind_host, o->rank == 0 ? o->leader_port : o->port, &port, err, sizeof err);
    if (lfd < 0) {
        net_fail(j, "process %d: %s", o->rank, err);
        return -1;
    }
    hs h = {.o = o, .me = {.fingerprint = o->fingerprint, .args = o->args, .rank = o->rank, .nprocs = o->nprocs,
                           .threads = j->nthreads, .port = port, .batch = j->batch_rows}};
    snprintf(h.me.version, sizeof h.me.version, "%s", o->version ? o->version : "?");
    j->procs[o->rank].port = port;
    int rc = o->rank == 0 ? leader_start(n, &h, lfd) : worker_start(n, &h, lfd);
    close(lfd);
    return rc;
}

static double mb_per_s(fl_i64 bytes, fl_i64 ns) { return ns > 0 ? (double)bytes / 1e6 / ((double)ns / 1e9) : 0; }

/* FLOWC_NET_STATS: what this process sent and received, and how fast rows were (de)serialized. */
static void stats_print(flrt_net *n)
{
    fl_i64 sb = atomic_load(&n->ser_bytes), db = atomic_load(&n->de_bytes);
    fprintf(stderr, "flowc job: process %d: sent %lld bytes, received %lld; serialized %.1f MB at %.0f MB/s, "
                    "deserialized %.1f MB at %.0f MB/s\n", n->j->rank, (long long)atomic_load(&n->j->net_sent),
            (long long)atomic_load(&n->j->net_received), (double)sb / 1e6, mb_per_s(sb, atomic_load(&n->ser_ns)),
            (double)db / 1e6, mb_per_s(db, atomic_load(&n->de_ns)));
}

int flrt_net_finish(flrt_job *j)
{
    flrt_net *n = j->net;
    if (!n)
        return 0;
    int ready = 1;
    for (int p = 0; p < j->nprocs; p++)
        ready &= p == j->rank || n->conns[p].reading;
    if (ready && !atomic_load(&j->failed)) {
        send_stats(j, 1);     /* (before BYE on the same connection: process 0 has it when BYE comes) */
        for (int p = 0; p < j->nprocs; p++)
            if (p != j->rank)
                send_ctl(j, p, FLRT_F_BYE, j->rank, 0, 0, 0, 1);
        pthread_mutex_lock(&n->mu);
        for (;;) {
            int all = 1;
            for (int p = 0; p < j->nprocs; p++)
                all &= p == j->rank || atomic_load(&n->conns[p].bye);
            if (all || atomic_load(&j->failed))
                break;
            pthread_cond_wait(&n->cv, &n->mu);
        }
        pthread_mutex_unlock(&n->mu);
    }
    if (atomic_load(&j->failed))   /* (again, for peers that would take the end for a death) */
        flrt_net_fail(j, NULL);
    atomic_store(&n->closing, 1);
    for (int p = 0; p < j->nprocs; p++)
        if (n->conns[p].fd >= 0)
            shutdown(n->conns[p].fd, SHUT_WR);
    if (getenv("FLOWC_NET_STATS"))
        stats_print(n);
    for (int p = 0; p < j->nprocs; p++)
        if (n->conns[p].reading)
            pthread_join(n->conns[p].reader, NULL);
    if (n->beating)
        pthread_join(n->beat, NULL);
    for (int p = 0; p < j->nprocs; p++) {
        if (n->conns[p].fd >= 0)
            close(n->conns[p].fd);
        pthread_mutex_destroy(&n->conns[p].wmu);
    }
    free(n->conns);
    fl_buf_free(&n->values);
    pthread_mutex_destroy(&n->mu);
    pthread_cond_destroy(&n->cv);
    free(n);
    j->net = NULL;
    return atomic_load(&j->failed) ? -1 : 0;
}
