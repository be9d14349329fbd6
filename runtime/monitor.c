/* monitor.c - the monitor of a running job: process 0 serves a web page
 * (monitor_page.c) and a JSON API over HTTP with libmicrohttpd, which it
 * loads with dlopen when --monitor is given, so job binaries link nothing
 * for it and deploy with libc alone.
 *
 *   GET /               the page: the plan drawn from /api/stages, live
 *   GET /api/job        the job: state, elapsed, progress, rows
 *   GET /api/stages     stages, their operators with rows in and out and
 *                       state, their edges, time split, queue fill
 *   GET /api/processes  each process: host, port, threads, alive, done
 *
 * It binds to 127.0.0.1 unless an address is given; then a token is
 * required (Authorization: Bearer TOKEN, or ?token=TOKEN), 401 without it.
 * libmicrohttpd answers malformed requests with 400 itself (or closes a
 * connection it cannot parse at all); the job goes on. docs/monitor.md
 * documents the API. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "monitor.h"
#include "stats.h"

typedef struct mhd_api {
    void *lib;
    struct MHD_Daemon *(*start)(unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *, MHD_AccessHandlerCallback,
                                void *, ...);
    void (*stop)(struct MHD_Daemon *);
    struct MHD_Response *(*response)(size_t, void *, enum MHD_ResponseMemoryMode);
    enum MHD_Result (*header)(struct MHD_Response *, const char *, const char *);
    enum MHD_Result (*queue)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
    void (*destroy)(struct MHD_Response *);
    const char *(*lookup)(struct MHD_Connection *, enum MHD_ValueKind, const char *);
    const union MHD_DaemonInfo *(*info)(struct MHD_Daemon *, enum MHD_DaemonInfoType, ...);
} mhd_api;

struct flrt_monitor {
    flrt_job *j;
    mhd_api api;
    struct MHD_Daemon *d;
    char token[80];          /* "" : none required */
};

static int api_load(mhd_api *a, char *err, size_t n)
{
    const char *names[] = {"libmicrohttpd.so.12", "libmicrohttpd.so"};
    for (size_t i = 0; i < 2 && !a->lib; i++)
        a->lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!a->lib) {
        snprintf(err, n, "--monitor needs libmicrohttpd (Debian: apt-get install libmicrohttpd12): %s", dlerror());
        return -1;
    }
    *(void **)&a->start = dlsym(a->lib, "MHD_start_daemon");
    *(void **)&a->stop = dlsym(a->lib, "MHD_stop_daemon");
    *(void **)&a->response = dlsym(a->lib, "MHD_create_response_from_buffer");
    *(void **)&a->header = dlsym(a->lib, "MHD_add_response_header");
    *(void **)&a->queue = dlsym(a->lib, "MHD_queue_response");
    *(void **)&a->destroy = dlsym(a->lib, "MHD_destroy_response");
    *(void **)&a->lookup = dlsym(a->lib, "MHD_lookup_connection_value");
    *(void **)&a->info = dlsym(a->lib, "MHD_get_daemon_info");
    if (!a->start || !a->stop || !a->response || !a->header || !a->queue || !a->destroy || !a->lookup || !a->info) {
        snprintf(err, n, "--monitor: this libmicrohttpd lacks a function it needs");
        dlclose(a->lib);
        a->lib = NULL;
        return -1;
    }
    return 0;
}

/* ---- the API's answers ---- */

static fl_i64 *snap_new(flrt_job *j) { return flrt_xcalloc((size_t)flrt_stats_len(j), sizeof(fl_i64)); }

static const char *job_state(flrt_job *j)
{
    return atomic_load(&j->failed) ? "failed" : atomic_load(&j->ended) ? "done" : "running";
}

static void api_job(flrt_job *j, fl_buf *b)
{
    fl_i64 *s = snap_new(j);
    flrt_stats_total(j, s);
    fl_buf_put(b, "{\"job\": ", 8);
    flrt_json_str(b, j->def->name);
    fl_i64 done = s[FLRT_H_BYTES_DONE], total = s[FLRT_H_BYTES_TOTAL];
    flrt_json_printf(b, ", \"state\": \"%s\", \"elapsed_s\": %.3f, \"processes\": %d, \"threads\": %lld, "
                        "\"source_bytes_read\": %lld, \"source_bytes\": %lld, \"fraction\": %.4f, \"source_rows\": %lld, "
                        "\"late_dropped\": %lld, \"bytes_between_processes\": %lld}\n",
                     job_state(j), (double)s[FLRT_H_ELAPSED_MS] / 1e3, j->nprocs > 0 ? j->nprocs : 1,
                     (long long)s[FLRT_H_THREADS],
                     (long long)done, (long long)total, total > 0 ? (double)done / (double)total : 0.0,
                     (long long)flrt_stats_source_rows(j, s), (long long)s[FLRT_H_LATE], (long long)s[FLRT_H_SENT]);
    free(s);
}

static void api_stages(flrt_job *j, fl_buf *b)
{
    fl_i64 *s = snap_new(j);
    flrt_stats_total(j, s);
    flrt_stats_json(j, s, b, 1);
    free(s);
}

static void api_processes(flrt_job *j, fl_buf *b)
{
    fl_i64 *s = snap_new(j);
    int np = j->nprocs > 0 ? j->nprocs : 1;
    flrt_json_printf(b, "{\"state\": \"%s\", \"processes\": [", job_state(j));
    for (int p = 0; p < np; p++) {
        fl_i64 age = 0;
        int have = flrt_stats_proc(j, p, s, &age);
        int done = have && s[FLRT_H_DONE];
        char self[64] = "localhost";
        if (p == j->rank)
            gethostname(self, sizeof self - 1);
        const char *host = j->procs && j->procs[p].host[0] ? j->procs[p].host : p == j->rank ? self : "?";
        flrt_json_printf(b, "%s{\"rank\": %d, \"host\": ", p ? ", " : "", p);
        flrt_json_str(b, host);
        flrt_json_printf(b, ", \"port\": %d, \"threads\": %lld, \"alive\": %s, \"done\": %s, \"last_report_ms\": %lld, "
                            "\"source_bytes_read\": %lld, \"source_bytes\": %lld}",
                         j->procs ? j->procs[p].port : 0, (long long)(have ? s[FLRT_H_THREADS] : 0),
                         !atomic_load(&j->failed) && have && (done || age < 5000) ? "true" : "false",
                         done ? "true" : "false", (long long)age, (long long)(have ? s[FLRT_H_BYTES_DONE] : 0),
                         (long long)(have ? s[FLRT_H_BYTES_TOTAL] : 0));
    }
    fl_buf_put(b, "]}\n", 3);
    free(s);
}

/* ---- requests ---- */

/* (the same time whatever the first wrong byte) */
static int same_token(const flrt_monitor *m, const char *given)
{
    if (!given || strlen(given) != strlen(m->token))
        return 0;
    unsigned char diff = 0;
    for (size_t i = 0; m->token[i]; i++)
        diff |= (unsigned char)(given[i] ^ m->token[i]);
    return diff == 0;
}

static int token_ok(flrt_monitor *m, struct MHD_Connection *c)
{
    if (!m->token[0])
        return 1;
    const char *h = m->api.lookup(c, MHD_HEADER_KIND, "Authorization");
    return same_token(m, m->api.lookup(c, MHD_GET_ARGUMENT_KIND, "token")) ||
           same_token(m, h && !strncmp(h, "Bearer ", 7) ? h + 7 : NULL);
}

static enum MHD_Result answer(flrt_monitor *m, struct MHD_Connection *c, unsigned code, const char *type,
                              const char *body, size_t len)
{
    struct MHD_Response *r = m->api.response(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    m->api.header(r, "Content-Type", type);
    m->api.header(r, "Cache-Control", "no-store");
    if (code == MHD_HTTP_UNAUTHORIZED)
        m->api.header(r, "WWW-Authenticate", "Bearer realm=\"flowc\"");
    enum MHD_Result rc = m->api.queue(c, code, r);
    m->api.destroy(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    flrt_monitor *m = cls;
    (void)version, (void)upload, (void)con_cls;
    static const char json[] = "application/json";
    if (*upload_size)
        *upload_size = 0;
    if (!token_ok(m, c)) {
        static const char no[] = "{\"error\": \"a token is required (?token= or Authorization: Bearer)\"}\n";
        return answer(m, c, MHD_HTTP_UNAUTHORIZED, json, no, sizeof no - 1);
    }
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
        static const char no[] = "{\"error\": \"only GET\"}\n";
        return answer(m, c, MHD_HTTP_METHOD_NOT_ALLOWED, json, no, sizeof no - 1);
    }
    if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
        return answer(m, c, MHD_HTTP_OK, "text/html; charset=utf-8", flrt_monitor_page, strlen(flrt_monitor_page));
    fl_buf b = {0};
    flrt_job_set_current(m->j);
    if (!strcmp(url, "/api/job"))
        api_job(m->j, &b);
    else if (!strcmp(url, "/api/stages"))
        api_stages(m->j, &b);
    else if (!strcmp(url, "/api/processes"))
        api_processes(m->j, &b);
    else
        flrt_json_printf(&b, "{\"error\": \"no such page; the API is /api/job, /api/stages, /api/processes\"}\n");
    int found = !strncmp(b.p, "{\"error\"", 8) ? 0 : 1;
    enum MHD_Result rc = answer(m, c, found ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND, json, b.p, (size_t)b.len);
    fl_buf_free(&b);
    return rc;
}

/* ---- start and stop ---- */

/* where = [ADDR:]PORT into an IPv4 address; 0, or -1 with why. */
static int parse_where(const char *where, struct sockaddr_in *sa, int *local, char *err, size_t n)
{
    const char *colon = strrchr(where, ':');
    const char *port = colon ? colon + 1 : where;
    char host[256] = "127.0.0.1";
    if (colon && (size_t)(colon - where) < sizeof host && colon > where)
        snprintf(host, sizeof host, "%.*s", (int)(colon - where), where);
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535) {
        snprintf(err, n, "--monitor expects [ADDR:]PORT, not '%s'", where);
        return -1;
    }
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &ai);
    if (rc != 0 || !ai) {
        snprintf(err, n, "--monitor: cannot resolve '%s': %s", host, gai_strerror(rc));
        return -1;
    }
    *sa = *(struct sockaddr_in *)ai->ai_addr;
    sa->sin_port = htons((uint16_t)p);
    freeaddrinfo(ai);
    *local = (ntohl(sa->sin_addr.s_addr) >> 24) == 127;
    return 0;
}

static void make_token(char *out, size_t n)
{
    unsigned char r[16] = {0};
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)(rand() ^ (int)getpid());
    for (size_t i = 0; i < sizeof r && 2 * i + 2 < n; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
}

flrt_monitor *flrt_monitor_start(flrt_job *j, const char *where, const char *token)
{
    flrt_monitor *m = flrt_xcalloc(1, sizeof *m);
    m->j = j;
    char err[300];
    struct sockaddr_in sa;
    int local = 1;
    if (parse_where(where, &sa, &local, err, sizeof err) < 0 || api_load(&m->api, err, sizeof err) < 0) {
        fl_fail(NULL, "%s", err);
        free(m);
        return NULL;
    }
    if (token)
        snprintf(m->token, sizeof m->token, "%s", token);
    else if (!local)
        make_token(m->token, sizeof m->token);
    m->d = m->api.start(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL, NULL, on_request, m,
                        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
                        MHD_OPTION_END);
    if (!m->d) {
        fl_fail(NULL, "--monitor: cannot serve on %s (the port is taken, or the address is not this host's)", where);
        dlclose(m->api.lib);
        free(m);
        return NULL;
    }
    const union MHD_DaemonInfo *di = m->api.info(m->d, MHD_DAEMON_INFO_BIND_PORT);
    char ip[256];
    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
    if (sa.sin_addr.s_addr == htonl(INADDR_ANY) && gethostname(ip, sizeof ip - 1) != 0)   /* (every address: this host's name) */
        snprintf(ip, sizeof ip, "localhost");
    int port = di ? di->port : ntohs(sa.sin_port);
    if (m->token[0] && !token)
        flrt_say("monitor at http://%s:%d/?token=%s", ip, port, m->token);
    else
        flrt_say("monitor at http://%s:%d/%s", ip, port, token ? " (with the token given)" : "");
    return m;
}

void flrt_monitor_stop(flrt_monitor *m, fl_i64 linger_ms)
{
    if (!m)
        return;
    if (linger_ms > 0)
        usleep((useconds_t)(linger_ms * 1000));
    m->api.stop(m->d);
    dlclose(m->api.lib);
    free(m);
}
