/* hosts.c - `./job --hosts cluster.toml`: this process is rank 0 and runs
 * its share of the job here; each [[host]] of the cluster file runs one
 * more rank, started over ssh with the same binary.
 *
 *   1. The cluster file is read (a small TOML subset, below) and rank 0
 *      starts listening, so that a fixed leader_port fails at once.
 *   2. Each host is asked, in parallel, whether it has this binary: it is
 *      kept at ${XDG_CACHE_HOME:-$HOME/.cache}/flowc/HASH/NAME, HASH being
 *      the XXH3-128 of the file (content-addressed: a host that has it is
 *      not sent it again). When there, it runs `--version` at once; when
 *      missing, the binary goes over ssh's standard input (`cat >`, then an
 *      atomic rename) and then runs `--version`. A host that cannot run
 *      the job (no ssh, a missing shared library, an unsupported CPU,
 *      another build) is reported by name before anything starts.
 *   3. Each rank starts with `ssh HOST 'cd CWD; ... BIN ARGS --rank R
 *      --nprocs N --leader ADDR:PORT --threads T [--port P] --secret-file
 *      -'` (rank_cmd): the job's secret (fresh for each run) goes to ssh's
 *      standard input, never on a command line, and that input stays open
 *      while the job runs: when it closes (the launcher ended or killed
 *      ssh), the rank is stopped. ARGS are this run's arguments without
 *      the options the launcher sets (as launch.c's child_argv); CWD is
 *      the launcher's directory, where input paths are the same on every
 *      host (the rank runs in its home directory when CWD is missing).
 *   4. One relay thread copies what each ssh prints (stdout and stderr) to
 *      this process's stderr, each line prefixed `[HOST] `, until
 *      flrt_hosts_finish.
 * launch.c waits for the ssh clients after the job (flrt_dist_wait) and
 * kills them when the job failed; net.c notices a rank that dies or goes
 * silent. The remote shell is assumed to be POSIX sh-like.
 *
 * The cluster file: `# comments`, blank lines, `key = value` lines where a
 * value is a "basic string" (escapes \" \\ \t \n), a 'literal string' or
 * a decimal whole number; top-level keys first, then one `[[host]]` table
 * per host:
 *
 *   leader = "10.0.0.1"      optional: the address the hosts reach this
 *                            machine at (default: the local address of a
 *                            UDP socket connected towards the first host)
 *   leader_port = 7000       optional: the port rank 0 listens on (any)
 *   [[host]]
 *   address = "10.0.0.2"     required: a host name or an IPv4 address
 *   user = "flow"            optional: the ssh login
 *   ssh_port = 22            optional
 *   key = "~/.ssh/id_ed25519" optional: ssh's identity file (-i)
 *   cores = 2                optional: --threads there (default: this
 *                            run's --threads)
 *   port = 7100              optional: the port that rank listens on
 *
 * Rank 0 listens on every address (or --bind ADDR), on leader_port (or
 * --port P, or any port).
 *
 * Anything else (another key, a repeated key, a table other than
 * [[host]], a value of the wrong kind or out of range, no [[host]]) is an
 * error `FILE:LINE: message`, and the job does not start (exit status 2).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define XXH_INLINE_ALL   /* jobs link no libxxhash */
#include <xxhash.h>

#include "hosts.h"

enum {
    MAX_HOSTS = 4095,        /* job.c allows 4096 processes */
    MAX_PARALLEL = 32,       /* ssh clients at once while checking hosts */
    CHECK_MS = 60000,        /* for a host to answer the check */
    COPY_MS = 600000,        /* for the binary to be copied to a host */
    OUT_CAP = 4096,          /* what is kept of a check's output */
    LINE_CAP = 4096,         /* a relayed line longer than this is cut in pieces */
    RELAY_DRAIN_MS = 1000,   /* for the relay to empty its pipes once asked to stop */
};

typedef struct host {
    char *address, *user, *key;
    int ssh_port, cores, port;
    int line;                /* of its [[host]] */
    char label[300];         /* how messages and relayed lines name it */
} host;

typedef struct cluster {
    const char *file;
    char *leader;
    int leader_port;
    host *hosts;
    int nhosts;
} cluster;

/* What flrt_hosts_start leaves running for flrt_hosts_finish. */
static struct {
    cluster c;
    pthread_t relay;
    int relaying;
    _Atomic int stop;
    int nfds;
    int *fds;                /* per host: the read end of its ssh's output (-1: closed) */
    int *ins;                /* and the write end of its standard input (-1: closed) */
    char **buf;              /* its partial line */
    size_t *len;
} st;

static fl_i64 ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (fl_i64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- a growing string ---- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->s = flrt_xrealloc(b->s, b->cap);
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* s in single quotes for a POSIX shell: ' becomes '\''. */
static void sb_quote(sbuf *b, const char *s)
{
    sb_add(b, "'");
    for (const char *q; (q = strchr(s, '\'')); s = q + 1)
        sb_add(b, "%.*s'\\''", (int)(q - s), s);
    sb_add(b, "%s'", s);
}

/* ---- the cluster file ---- */

typedef struct value {
    int is_str;
    char *s;                 /* a string (owned) */
    long long n;             /* or a whole number */
} value;

typedef struct where {
    const char *file;
    int line;
} where;

static int bad(where w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(where w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: ", w.file, w.line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return -1;
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* basic_string := '"' ( char | '\' ( '"' | '\' | 't' | 'n' ) )* '"' */
static int parse_basic(where w, const char **pp, value *v)
{
    const char *p = *pp + 1;
    sbuf b = {0};
    sb_add(&b, "%s", "");
    for (; *p != '"'; p++) {
        char c = *p;
        if (!c || c == '\n' || c == '\r') {
            free(b.s);
            return bad(w, "the string has no closing '\"' on this line");
        }
        if (c == '\\') {
            c = *++p;
            c = c == '"' || c == '\\' ? c : c == 't' ? '\t' : c == 'n' ? '\n' : 0;
            if (!c) {
                free(b.s);
                return bad(w, "unsupported escape '\\%c' in a string (\\\" \\\\ \\t \\n are)", p[0] ? p[0] : ' ');
            }
        } else if ((unsigned char)c < 0x20 && c != '\t') {
            free(b.s);
            return bad(w, "a control character in a string");
        }
        sb_add(&b, "%c", c);
    }
    *pp = p + 1;
    v->is_str = 1;
    v->s = b.s;
    return 0;
}

/* literal_string := "'" char* "'" */
static int parse_literal(where w, const char **pp, value *v)
{
    const char *start = *pp + 1, *end = strchr(start, '\'');
    if (!end || memchr(start, '\n', (size_t)(end - start)))
        return bad(w, "the string has no closing \"'\" on this line");
    v->is_str = 1;
    v->s = flrt_strndup(start, (size_t)(end - start));
    *pp = end + 1;
    return 0;
}

/* integer := [+-]? digit ( '_'? digit )*   (no leading zero) */
static int parse_int(where w, const char **pp, value *v)
{
    const char *p = *pp;
    int neg = *p == '-';
    p += *p == '-' || *p == '+';
    if (*p == '0' && isdigit((unsigned char)p[1]))
        return bad(w, "a number with a leading zero");
    long long n = 0;
    for (int digits = 0;; p++) {
        if (isdigit((unsigned char)*p)) {
            if (n > LLONG_MAX / 10 - 10)
                return bad(w, "the number is too large");
            n = n * 10 + (*p - '0');
            digits++;
        } else if (*p != '_' || !digits || !isdigit((unsigned char)p[1])) {
            break;
        }
    }
    if (isalpha((unsigned char)*p) || *p == '.')
        return bad(w, "expected a string in quotes or a whole number");
    v->is_str = 0;
    v->n = neg ? -n : n;
    *pp = p;
    return 0;
}

/* value := basic_string | literal_string | integer */
static int parse_value(where w, const char **pp, value *v)
{
    const char *p = *pp;
    if (!strncmp(p, "\"\"\"", 3) || !strncmp(p, "'''", 3))
        return bad(w, "multi-line strings are not supported");
    if (*p == '"')
        return parse_basic(w, pp, v);
    if (*p == '\'')
        return parse_literal(w, pp, v);
    if (isdigit((unsigned char)*p) || ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1])))
        return parse_int(w, pp, v);
    if (!*p || *p == '#' || *p == '\n')
        return bad(w, "the key has no value");
    return bad(w, "expected a string in quotes or a whole number, not '%.*s'", (int)strcspn(p, " \t#\r\n"), p);
}

/* What each key takes. */
typedef struct keydef {
    const char *name;
    int in_host;             /* 0: top level, 1: in [[host]] */
    int is_str;
    int lo, hi;              /* range of a number */
    size_t off;              /* in cluster or host */
} keydef;

static const keydef keys[] = {
    {"leader", 0, 1, 0, 0, offsetof(cluster, leader)},
    {"leader_port", 0, 0, 1, 65535, offsetof(cluster, leader_port)},
    {"address", 1, 1, 0, 0, offsetof(host, address)},
    {"user", 1, 1, 0, 0, offsetof(host, user)},
    {"ssh_port", 1, 0, 1, 65535, offsetof(host, ssh_port)},
    {"key", 1, 1, 0, 0, offsetof(host, key)},
    {"cores", 1, 0, 1, 1024, offsetof(host, cores)},
    {"port", 1, 0, 1, 65535, offsetof(host, port)},
};
enum { NKEYS = sizeof keys / sizeof keys[0] };

/* A host name or address: letters, digits, . - _ :, not starting with '-'
 * (ssh would read it as an option). */
static int name_ok(const char *s, const char *extra)
{
    if (!*s || *s == '-' || strlen(s) > 255)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
            return 0;
    return 1;
}

/* The string value of key k, checked. */
static int check_str(where w, const keydef *k, const char *s)
{
    if (!strcmp(k->name, "user") && !name_ok(s, "._-"))
        return bad(w, "user: '%s' is not a login name (letters, digits, . _ -)", s);
    if ((!strcmp(k->name, "address") || !strcmp(k->name, "leader")) && !name_ok(s, ".-_:"))
        return bad(w, "%s: '%s' is not a host name or an IPv4 address", k->name, s);
    if (!strcmp(k->name, "key")) {
        if (!*s || strchr(s, '\n'))
            return bad(w, "key: expected the path of an ssh identity file");
        if (s[0] != '~' && access(s, R_OK) < 0)
            return bad(w, "key: cannot read %s: %s", s, strerror(errno));
    }
    return 0;
}

/* Sets key k of the table at base from v; seen: the keys already set there. */
static int set_key(where w, const keydef *k, char *base, value *v, unsigned *seen)
{
    unsigned bit = 1u << (k - keys);
    if (*seen & bit)
        return bad(w, "%s is given twice in the same table", k->name);
    *seen |= bit;
    if (k->is_str != v->is_str)
        return bad(w, "%s expects %s", k->name, k->is_str ? "a string in quotes" : "a whole number");
    if (k->is_str) {
        if (check_str(w, k, v->s) < 0)
            return -1;
        *(char **)(base + k->off) = v->s;
        v->s = NULL;
        return 0;
    }
    if (v->n < k->lo || v->n > k->hi)
        return bad(w, "%s must be between %d and %d, not %lld", k->name, k->lo, k->hi, v->n);
    *(int *)(base + k->off) = (int)v->n;
    return 0;
}

static const keydef *find_key(const char *name, size_t len, int in_host)
{
    for (int i = 0; i < NKEYS; i++)
        if (keys[i].in_host == in_host && strlen(keys[i].name) == len && !strncmp(keys[i].name, name, len))
            return &keys[i];
    return NULL;
}

static int unknown_key(where w, const char *name, size_t len, int in_host)
{
    const keydef *other = find_key(name, len, !in_host);
    if (other && in_host)
        return bad(w, "%s is a top-level key: put it before the first [[host]]", other->name);
    if (other)
        return bad(w, "%s belongs in a [[host]] table", other->name);
    sbuf b = {0};
    for (int i = 0; i < NKEYS; i++)
        if (keys[i].in_host == in_host)
            sb_add(&b, "%s%s", b.len ? ", " : "", keys[i].name);
    bad(w, "unknown key '%.*s' %s (known: %s)", (int)len, name, in_host ? "in [[host]]" : "at the top level",
        b.s);
    free(b.s);
    return -1;
}

/* The end of a line: blanks, then a comment or nothing. */
static int line_end(where w, const char *p)
{
    p = skip_ws(p);
    if (*p && *p != '#' && *p != '\n' && *p != '\r')
        return bad(w, "unexpected '%.*s' after the value", (int)strcspn(p, "\r\n"), p);
    return 0;
}

/* table := '[[' ws 'host' ws ']]' */
static int parse_table(cluster *c, where w, const char *p, unsigned *seen)
{
    if (p[1] != '[')
        return bad(w, "only [[host]] tables are allowed here");
    p = skip_ws(p + 2);
    size_t len = strcspn(p, " \t]");
    if (len != 4 || strncmp(p, "host", 4))
        return bad(w, "unknown table [[%.*s]]: the file has only [[host]] tables", (int)len, p);
    p = skip_ws(p + 4);
    if (strncmp(p, "]]", 2))
        return bad(w, "expected ']]' after [[host");
    if (c->nhosts == MAX_HOSTS)
        return bad(w, "more than %d hosts", MAX_HOSTS);
    c->hosts = flrt_xrealloc(c->hosts, (size_t)(c->nhosts + 1) * sizeof *c->hosts);
    c->hosts[c->nhosts++] = (host){.line = w.line};
    *seen = 0;
    return line_end(w, p + 2);
}

/* line := ws ( comment | table | key ws '=' ws value ws comment? )? */
static int parse_line(cluster *c, where w, const char *p, unsigned *seen)
{
    p = skip_ws(p);
    if (!*p || *p == '#' || *p == '\n' || *p == '\r')
        return 0;
    if (*p == '[')
        return parse_table(c, w, p, seen);
    size_t len = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");
    if (!len)
        return bad(w, "expected `key = value`, a [[host]] table or a comment");
    const char *name = p;
    int in_host = c->nhosts > 0;
    const keydef *k = find_key(name, len, in_host);
    if (!k)
        return unknown_key(w, name, len, in_host);
    p = skip_ws(p + len);
    if (*p != '=')
        return bad(w, "expected '=' after %s", k->name);
    value v = {0};
    p = skip_ws(p + 1);
    int rc = parse_value(w, &p, &v);
    if (rc == 0)
        rc = line_end(w, p);
    if (rc == 0)
        rc = set_key(w, k, in_host ? (char *)&c->hosts[c->nhosts - 1] : (char *)c, &v, seen);
    free(v.s);
    return rc;
}

static void cluster_free(cluster *c)
{
    for (int i = 0; i < c->nhosts; i++)
        free(c->hosts[i].address), free(c->hosts[i].user), free(c->hosts[i].key);
    free(c->hosts);
    free(c->leader);
    memset(c, 0, sizeof *c);
}

/* Every host has an address; labels for the messages. */
static int cluster_check(cluster *c, int lines)
{
    if (!c->nhosts)
        return bad((where){c->file, lines ? lines : 1},
                   "no hosts: add a [[host]] table with an address for each host");
    for (int i = 0; i < c->nhosts; i++) {
        host *h = &c->hosts[i];
        if (!h->address)
            return bad((where){c->file, h->line}, "this [[host]] has no address");
        int dup = 0;
        for (int k = 0; k < c->nhosts; k++)
            dup += c->hosts[k].address && !strcmp(c->hosts[k].address, h->address);
        if (dup > 1)
            snprintf(h->label, sizeof h->label, "%s#%d", h->address, i + 1);
        else
            snprintf(h->label, sizeof h->label, "%s", h->address);
    }
    return 0;
}

static int cluster_read(const char *file, cluster *c)
{
    memset(c, 0, sizeof *c);
    c->file = file;
    FILE *f = fopen(file, "r");
    if (!f) {
        flrt_say("cannot read the cluster file %s: %s", file, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int n = 0, rc = 0;
    unsigned seen = 0;
    ssize_t got;
    while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
        n++;
        if ((size_t)got != strlen(line))
            rc = bad((where){file, n}, "a NUL byte in the line");
        else
            rc = parse_line(c, (where){file, n}, line, &seen);
    }
    free(line);
    fclose(f);
    if (rc == 0)
        rc = cluster_check(c, n);
    if (rc < 0)
        cluster_free(c);
    return rc;
}

/* ---- this binary ---- */

typedef struct self {
    char hash[33];           /* XXH3-128 of the file, hex */
    char name[128];          /* its file name, shell-safe */
    char version[512];       /* what `--version` prints */
    long long size;
} self;

static int self_read(const fl_job_def *job, self *me)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    XXH3_state_t *s = XXH3_createState();
    if (n < 0 || fd < 0 || !s) {
        flrt_say("cannot read this job's binary (/proc/self/exe): %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        XXH3_freeState(s);
        return -1;
    }
    path[n] = 0;
    XXH3_128bits_reset(s);
    char buf[1 << 16];
    ssize_t got;
    me->size = 0;
    while ((got = read(fd, buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR))
        if (got > 0)
            XXH3_128bits_update(s, buf, (size_t)got), me->size += got;
    XXH128_hash_t h = XXH3_128bits_digest(s);
    XXH3_freeState(s);
    close(fd);
    if (got < 0) {
        flrt_say("cannot read this job's binary: %s", strerror(errno));
        return -1;
    }
    snprintf(me->hash, sizeof me->hash, "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    snprintf(me->name, sizeof me->name, "%.100s", *base && *base != '.' ? base : "job");
    for (char *p = me->name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
            *p = '_';
    snprintf(me->version, sizeof me->version, "%s: flowc %s, fingerprint %s", job->name,
             job->version ? job->version : "?", job->fingerprint ? job->fingerprint : "none");
    return 0;
}

/* ---- ssh ---- */

#define CACHE_DIR "\"${XDG_CACHE_HOME:-$HOME/.cache}/flowc/"
#define NO_SSH "flowc job: cannot run ssh: "

/* ssh's argv for running cmd on h. */
static char **ssh_argv(const host *h, const char *cmd, char *portbuf, size_t plen)
{
    static const char *opts[] = {"BatchMode=yes", "StrictHostKeyChecking=accept-new", "ConnectTimeout=10",
                                 "ServerAliveInterval=1", "ServerAliveCountMax=4", "LogLevel=ERROR"};
    enum { NOPTS = sizeof opts / sizeof opts[0] };
    char **v = flrt_xcalloc(2 * NOPTS + 16, sizeof *v);
    int n = 0;
    v[n++] = "ssh";
    v[n++] = "-T";
    v[n++] = "-x";
    v[n++] = "-a";
    for (int i = 0; i < NOPTS; i++)
        v[n++] = "-o", v[n++] = (char *)opts[i];
    if (h->ssh_port) {
        snprintf(portbuf, plen, "%d", h->ssh_port);
        v[n++] = "-p", v[n++] = portbuf;
    }
    if (h->key)
        v[n++] = "-i", v[n++] = h->key;
    if (h->user)
        v[n++] = "-l", v[n++] = h->user;
    v[n++] = "--";
    v[n++] = h->address;
    v[n++] = (char *)cmd;
    return v;
}

/* Starts ssh for cmd on h, reading in_fd and writing both its outputs to a
 * new pipe (*out: the read end, non-blocking). The pid, or -1. */
static pid_t ssh_spawn(const host *h, const char *cmd, int in_fd, int *out)
{
    char portbuf[16];
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    char **argv = ssh_argv(h, cmd, portbuf, sizeof portbuf);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (dup2(in_fd, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
            _exit(127);
        execvp("ssh", argv);
        /* no other thread runs yet (the relay starts after the last fork) */
        dprintf(2, NO_SSH "%s\n", strerror(errno));
        _exit(127);
    }
    int e = errno;
    free(argv);
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        errno = e;
        return -1;
    }
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    *out = p[0];
    return pid;
}

/* ---- checking the hosts: several ssh commands at once ---- */

typedef struct call {
    char *cmd;               /* NULL: nothing to run on this host */
    int in_fd;               /* its standard input (not closed here) */
    pid_t pid;
    int fd;
    fl_i64 deadline;         /* for it to end */
    char out[OUT_CAP];
    size_t len;
    int status;              /* wait status, or -1: could not start / no answer in time */
    int done;
} call;

/* Reads what call c printed so far (the first OUT_CAP - 1 bytes are kept). */
static void call_read(call *c)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        size_t keep = (size_t)n < OUT_CAP - 1 - c->len ? (size_t)n : OUT_CAP - 1 - c->len;
        memcpy(c->out + c->len, buf, keep);
        c->len += keep;
        c->out[c->len] = 0;
    }
}

static void call_end(call *c, int status)
{
    call_read(c);
    close(c->fd);
    c->status = status;
    c->done = 1;
}

/* Polls the running calls for up to 100 ms and reaps those that ended or
 * ran past their deadline. */
static void calls_step(cluster *cl, call *calls)
{
    struct pollfd pf[MAX_PARALLEL];
    int idx[MAX_PARALLEL], n = 0;
    for (int i = 0; i < cl->nhosts && n < MAX_PARALLEL; i++)
        if (calls[i].pid > 0 && !calls[i].done)
            pf[n] = (struct pollfd){.fd = calls[i].fd, .events = POLLIN}, idx[n++] = i;
    poll(pf, (nfds_t)n, 100);
    for (int k = 0; k < n; k++) {
        call *c = &calls[idx[k]];
        call_read(c);
        int status;
        pid_t r = waitpid(c->pid, &status, WNOHANG);
        if (r == c->pid || (r < 0 && errno != EINTR)) {
            call_end(c, r == c->pid ? status : -1);
        } else if (ms_now() > c->deadline) {
            kill(c->pid, SIGKILL);
            while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
                ;
            call_end(c, -1);
        }
    }
}

/* Runs each call's command on its host, MAX_PARALLEL at a time, each for
 * at most ms. */
static void calls_run(cluster *cl, call *calls, int ms)
{
    for (;;) {
        int running = 0, next = -1;
        for (int i = 0; i < cl->nhosts; i++) {
            running += calls[i].pid > 0 && !calls[i].done;
            if (next < 0 && calls[i].cmd && !calls[i].pid && !calls[i].done)
                next = i;
        }
        if (next >= 0 && running < MAX_PARALLEL) {
            call *c = &calls[next];
            c->pid = ssh_spawn(&cl->hosts[next], c->cmd, c->in_fd, &c->fd);
            c->deadline = ms_now() + ms;
            if (c->pid < 0) {
                snprintf(c->out, sizeof c->out, "cannot start ssh: %s", strerror(errno));
                c->status = -1;
                c->done = 1;
            }
            continue;
        }
        if (!running)
            return;
        calls_step(cl, calls);
    }
}

static void calls_free(cluster *cl, call *calls)
{
    for (int i = 0; i < cl->nhosts; i++)
        free(calls[i].cmd);
    free(calls);
}

/* The last line of what a host printed, for a message. */
static const char *last_words(call *c)
{
    while (c->len && (c->out[c->len - 1] == '\n' || c->out[c->len - 1] == '\r'))
        c->out[--c->len] = 0;
    for (char *p = c->out; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ';';
    return c->len ? c->out : "no message";
}

/* Does the output hold line `want` on a line of its own? */
static int has_line(const char *out, const char *want)
{
    size_t n = strlen(want);
    for (const char *p = out; (p = strstr(p, want)); p += n)
        if ((p == out || p[-1] == '\n') && (!p[n] || p[n] == '\n' || p[n] == '\r'))
            return 1;
    return 0;
}

/* Says what is wrong with host h after a check; 0 when it can run the job. */
static int call_verdict(const host *h, call *c, const self *me, int copied)
{
    int ws = c->status, ended = ws != -1 && WIFEXITED(ws), code = ended ? WEXITSTATUS(ws) : -1;
    if (code == 0 && has_line(c->out, me->version))
        return 0;
    if (ws == -1 && !c->len)
        flrt_say("host %s did not answer within %d s (%s)", h->label, (copied ? COPY_MS : CHECK_MS) / 1000,
            copied ? "copying the job" : "checking for the job");
    else if (code == 127 && !strncmp(c->out, NO_SSH, strlen(NO_SSH)))
        flrt_say("cannot run ssh for host %s: %s (install an ssh client: openssh-client)", h->label,
            last_words(c) + strlen(NO_SSH));
    else if (code == 255)
        flrt_say("cannot reach host %s over ssh: %s", h->label, last_words(c));
    else if (code == 70 && copied)
        flrt_say("cannot copy the job to host %s (into " CACHE_DIR "%s/\"): %s", h->label, me->hash, last_words(c));
    else if (code == 0)
        flrt_say("host %s has another program at " CACHE_DIR "%s/%s\": it printed '%s', not '%s'", h->label, me->hash,
            me->name, last_words(c), me->version);
    else if (ws != -1 && WIFSIGNALED(ws))
        flrt_say("host %s cannot run the job: %s (signal %d)", h->label, last_words(c), WTERMSIG(ws));
    else if (code > 128 && code < 128 + 65)
        flrt_say("host %s cannot run the job: %s (killed by signal %d: %s)", h->label, last_words(c), code - 128,
            strsignal(code - 128));
    else if (ended)
        flrt_say("host %s cannot run the job: %s (exit status %d)", h->label, last_words(c), code);
    else
        flrt_say("host %s cannot run the job: %s", h->label, last_words(c));
    return -1;
}

/* Did the host say it has no copy of the job? */
static int call_missing(const call *c)
{
    return c->status != -1 && WIFEXITED(c->status) && !WEXITSTATUS(c->status) && has_line(c->out, "FLOWC-MISSING");
}

/* Asks each host for the job: its `--version`, or FLOWC-MISSING. */
static void probe(cluster *cl, call *calls, const self *me, int null)
{
    for (int i = 0; i < cl->nhosts; i++) {
        sbuf b = {0};
        sb_add(&b, "f=" CACHE_DIR "%s/%s\"; if [ -x \"$f\" ]; then \"$f\" --version; else echo FLOWC-MISSING; fi",
               me->hash, me->name);
        calls[i] = (call){.cmd = b.s, .in_fd = null};
    }
    calls_run(cl, calls, CHECK_MS);
    for (int i = 0; i < cl->nhosts; i++) {
        free(calls[i].cmd);
        calls[i].cmd = NULL;
    }
}

/* Copies the job to the hosts that lack it (the calls with a command):
 * into a temporary file, its size checked, renamed into place, then run
 * with `--version`. */
static int copy(cluster *cl, call *calls, const self *me, int missing)
{
    flrt_say("copying the job (%lld KiB) to %d host%s", (me->size + 1023) / 1024, missing, missing > 1 ? "s" : "");
    int rc = 0;
    for (int i = 0; i < cl->nhosts; i++)
        if (calls[i].cmd && (calls[i].in_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)) < 0 && rc == 0) {
            flrt_say("cannot read this job's binary: %s", strerror(errno));
            rc = -1;
        }
    if (rc == 0)
        calls_run(cl, calls, COPY_MS);
    for (int i = 0; i < cl->nhosts; i++) {
        if (calls[i].cmd && calls[i].in_fd >= 0)
            close(calls[i].in_fd);
        if (calls[i].cmd && rc == 0)
            rc |= call_verdict(&cl->hosts[i], &calls[i], me, 1);
    }
    return rc;
}

/* Checks every host; copies the binary where it is missing. 0, or -1 when
 * some host cannot run the job (each one reported). */
static int hosts_check(cluster *cl, const self *me)
{
    call *calls = flrt_xcalloc((size_t)cl->nhosts, sizeof *calls);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC), rc = 0, missing = 0;
    probe(cl, calls, me, null);
    for (int i = 0; i < cl->nhosts; i++) {
        if (!call_missing(&calls[i])) {
            rc |= call_verdict(&cl->hosts[i], &calls[i], me, 0);
            continue;
        }
        sbuf b = {0};
        sb_add(&b,
               "d=" CACHE_DIR "%s\"; t=\"$d/.%s.$$\"; mkdir -p \"$d\" && cat >\"$t\" && "
               "[ \"$(wc -c <\"$t\")\" -eq %lld ] && chmod 755 \"$t\" && mv -f \"$t\" \"$d/%s\" || "
               "{ echo \"the copy failed or is incomplete\" >&2; rm -f \"$t\"; exit 70; }; \"$d/%s\" --version",
               me->hash, me->name, me->size, me->name, me->name);
        calls[i] = (call){.cmd = b.s, .in_fd = -1};
        missing++;
    }
    if (missing && rc == 0)
        rc = copy(cl, calls, me, missing);
    if (null >= 0)
        close(null);
    calls_free(cl, calls);
    return rc;
}

/* ---- the leader's address ---- */

/* The local address of a UDP socket connected towards h: the address h
 * reaches this machine at, as far as this machine's routes tell. */
static int leader_guess(const host *h, char *out, size_t len)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *ai;
    int rc = getaddrinfo(h->address, "9", &hints, &ai);
    if (rc) {
        flrt_say("cannot resolve host %s: %s", h->label, gai_strerror(rc));
        return -1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a;
    socklen_t sl = sizeof a;
    int ok = fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
             getsockname(fd, (struct sockaddr *)&a, &sl) == 0 && inet_ntop(AF_INET, &a.sin_addr, out, (socklen_t)len);
    int e = errno;
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    if (!ok)
        flrt_say("cannot find the address host %s reaches this machine at (%s): set leader = \"ADDRESS\" in the "
            "cluster file", h->label, strerror(e));
    return ok ? 0 : -1;
}

/* ---- starting the ranks ---- */

/* This run's arguments, quoted, without those the launcher sets for each
 * rank (as launch.c's child_argv); job.c took every argument as
 * --NAME=VALUE or --NAME VALUE. */
static void sb_user_args(sbuf *b, int argc, char **argv)
{
    static const char *drop[] = {"procs", "hosts", "rank", "nprocs", "leader", "secret-file", "bind", "port",
                                 "threads"};
    for (int k = 1; k < argc; k++) {
        const char *name = argv[k] + 2;
        size_t len = strcspn(name, "="), words = name[len] ? 1 : 2;
        int keep = 1;
        for (size_t x = 0; x < sizeof drop / sizeof drop[0]; x++)
            keep &= strlen(drop[x]) != len || strncmp(drop[x], name, len);
        for (size_t w = 0; w < words && k < argc; w++, k++)
            if (keep) {
                sb_add(b, " ");
                sb_quote(b, argv[k]);
            }
        k--;
    }
}

/* The remote command for the rank on host i (rank i + 1), for sh:
 *
 *   cd CWD || echo ... >&2           the launcher's directory, when there
 *   IFS= read -r s                   the secret, from ssh's standard input
 *   exec 3<&0
 *   printf '%s\n' "$s" | BIN ARGS ... --secret-file - 3<&- &
 *   p=$!; s=
 *   { cat <&3 >/dev/null; kill $p; } >/dev/null 2>&1 &
 *   w=$!; exec 3<&-
 *   wait $p 2>/dev/null; r=$?; kill $w; exit $r
 *
 * The launcher keeps ssh's standard input open while the job runs; when it
 * ends (the launcher exits or kills ssh; sshd then closes the session),
 * `cat` returns and the rank is stopped, instead of waiting out its
 * timeouts. printf is a shell builtin: the secret is on no command line. */
static char *rank_cmd(const cluster *cl, int i, const self *me, const flrt_dist *d, int threads, int argc,
                      char **argv)
{
    const host *h = &cl->hosts[i];
    sbuf b = {0};
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd)) {
        sb_add(&b, "cd ");
        sb_quote(&b, cwd);
        sb_add(&b, " 2>/dev/null || echo 'flowc job: no directory '");
        sb_quote(&b, cwd);
        sb_add(&b, "' here: running in '\"$(pwd)\" >&2\n");
    }
    sb_add(&b, "IFS= read -r s\nexec 3<&0\nprintf '%%s\\n' \"$s\" | " CACHE_DIR "%s/%s\"", me->hash, me->name);
    sb_user_args(&b, argc, argv);
    sb_add(&b, " --rank %d --nprocs %d --leader ", i + 1, cl->nhosts + 1);
    char leader[300];
    snprintf(leader, sizeof leader, "%s:%d", d->leader_host, d->net.leader_port);
    sb_quote(&b, leader);
    sb_add(&b, " --threads %d", h->cores ? h->cores : threads);
    if (h->port)
        sb_add(&b, " --port %d", h->port);
    sb_add(&b, " --secret-file - 3<&- &\np=$!; s=\n{ cat <&3 >/dev/null; kill $p; } >/dev/null 2>&1 &\n"
               "w=$!; exec 3<&-\nwait $p 2>/dev/null; r=$?; kill $w 2>/dev/null; exit $r\n");
    return b.s;
}

/* Starts ssh for the rank on host i, the secret on its standard input,
 * which stays open until flrt_hosts_finish (st.ins). */
static int rank_start(const cluster *cl, int i, const char *cmd, flrt_dist *d)
{
    int in[2];
    if (pipe2(in, O_CLOEXEC) < 0) {
        flrt_say("cannot start process %d on host %s: %s", i + 1, cl->hosts[i].label, strerror(errno));
        return -1;
    }
    /* 33 bytes fit in the pipe: written before ssh exists, no SIGPIPE */
    dprintf(in[1], "%s\n", d->secret);
    st.ins[i] = in[1];
    pid_t pid = ssh_spawn(&cl->hosts[i], cmd, in[0], &st.fds[i]);
    int e = errno;
    close(in[0]);
    if (pid < 0) {
        flrt_say("cannot start process %d on host %s: %s", i + 1, cl->hosts[i].label, strerror(e));
        return -1;
    }
    d->kids[d->nkids] = pid;
    d->kid_rank[d->nkids++] = i + 1;
    return 0;
}

/* net.c, while rank 0 waits for the others: has an ssh ended already? */
static int kids_check(void *arg, char *msg, size_t len)
{
    flrt_dist *d = arg;
    for (int i = 0; i < d->nkids; i++) {
        int s;
        if (d->kids[i] <= 0 || waitpid(d->kids[i], &s, WNOHANG) != d->kids[i])
            continue;
        d->kids[i] = -1;
        const host *h = &st.c.hosts[d->kid_rank[i] - 1];
        int code = WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
        snprintf(msg, len, "process %d on host %s ended before the job started (%s %d%s)", d->kid_rank[i],
                 h->label, WIFEXITED(s) ? "exit status" : "signal", WIFEXITED(s) ? code : WTERMSIG(s),
                 code == 255 ? ": ssh failed; see the lines marked [host]" : "");
        return -1;
    }
    return 0;
}

/* ---- the relay of the ssh clients' output ---- */

/* Writes the whole of buf to stderr. */
static void write_all(const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(2, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        buf += w;
        n -= (size_t)w;
    }
}

static void relay_line(int i, const char *s, size_t n)
{
    char out[LINE_CAP + 320];
    int k = snprintf(out, sizeof out, "[%s] ", st.c.hosts[i].label);
    memcpy(out + k, s, n);
    out[k + (int)n] = '\n';
    write_all(out, (size_t)k + n + 1);
}

/* Reads host i's pipe and relays its complete lines (all at the end). */
static void relay_read(int i)
{
    char *b = st.buf[i];
    for (;;) {
        ssize_t n = read(st.fds[i], b + st.len[i], LINE_CAP - st.len[i]);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            if (st.len[i])
                relay_line(i, b, st.len[i]);
            close(st.fds[i]);
            st.fds[i] = -1;
            return;
        }
        st.len[i] += (size_t)n;
        char *nl;
        size_t off = 0;
        while ((nl = memchr(b + off, '\n', st.len[i] - off))) {
            relay_line(i, b + off, (size_t)(nl - (b + off)));
            off = (size_t)(nl - b) + 1;
        }
        if (off == 0 && st.len[i] == LINE_CAP)
            off = LINE_CAP, relay_line(i, b, LINE_CAP);
        memmove(b, b + off, st.len[i] - off);
        st.len[i] -= off;
    }
}

/* Until every pipe has ended, or a while after flrt_hosts_finish asks. */
static void *relay_main(void *arg)
{
    (void)arg;
    struct pollfd *pf = flrt_xcalloc((size_t)st.nfds, sizeof *pf);
    fl_i64 stop_at = 0;
    for (;;) {
        int n = 0;
        for (int i = 0; i < st.nfds; i++)
            pf[i] = (struct pollfd){.fd = st.fds[i], .events = POLLIN}, n += st.fds[i] >= 0;
        if (!n)
            break;
        if (!stop_at && atomic_load(&st.stop))
            stop_at = ms_now() + RELAY_DRAIN_MS;
        int r = poll(pf, (nfds_t)st.nfds, 100);
        if (r == 0 && stop_at)
            break;
        if (stop_at && ms_now() > stop_at)
            break;
        for (int i = 0; i < st.nfds && r > 0; i++)
            if (pf[i].fd >= 0 && pf[i].revents)
                relay_read(i);
    }
    free(pf);
    return NULL;
}

static void relay_start(int n)
{
    st.nfds = n;
    st.fds = flrt_xcalloc((size_t)n, sizeof *st.fds);
    st.ins = flrt_xcalloc((size_t)n, sizeof *st.ins);
    st.buf = flrt_xcalloc((size_t)n, sizeof *st.buf);
    st.len = flrt_xcalloc((size_t)n, sizeof *st.len);
    for (int i = 0; i < n; i++) {
        st.fds[i] = st.ins[i] = -1;
        st.buf[i] = flrt_xmalloc(LINE_CAP);
    }
    atomic_store(&st.stop, 0);
}

/* ---- start and finish ---- */

/* Stops what a failed start left: the ssh clients, then the relay. */
static void start_failed(flrt_dist *d)
{
    for (int i = 0; i < d->nkids; i++)
        if (d->kids[i] > 0) {
            kill(d->kids[i], SIGTERM);
            while (waitpid(d->kids[i], NULL, 0) < 0 && errno == EINTR)
                ;
        }
    free(d->kids);
    free(d->kid_rank);
    d->kids = NULL;
    d->kid_rank = NULL;
    d->nkids = 0;
    if (d->net.listen_fd >= 0)
        close(d->net.listen_fd);
    d->net.listen_fd = -1;
    d->active = 0;
    flrt_hosts_finish(d);
}

/* Rank 0's listening socket and the address the hosts reach it at. */
static int leader_setup(const flrt_dist_args *a, flrt_dist *d)
{
    cluster *cl = &st.c;
    if (cl->leader)
        snprintf(d->leader_host, sizeof d->leader_host, "%s", cl->leader);
    else if (leader_guess(&cl->hosts[0], d->leader_host, sizeof d->leader_host) < 0)
        return -1;
    char err[256];
    int port;
    int lfd = flrt_net_listen(a->bind, a->port ? a->port : cl->leader_port, &port, err, sizeof err);
    if (lfd < 0) {
        flrt_say("%s", err);
        return -1;
    }
    d->net = (flrt_net_opts){.rank = 0, .nprocs = cl->nhosts + 1, .leader_port = port, .listen_fd = lfd,
                             .bind_host = a->bind, .check = kids_check, .check_arg = d};
    return 0;
}

int flrt_hosts_start(const fl_job_def *job, const flrt_dist_args *a, int *threads, int argc, char **argv,
                     flrt_dist *d)
{
    if (!job->native) {
        flrt_say("--hosts needs a native binary: build one with `flowc build` (flowc run runs in one process)");
        return 2;
    }
    if (a->procs > 0) {
        flrt_say("--procs and --hosts do not go together: the cluster file says where the processes run");
        return 2;
    }
    if (cluster_read(a->hosts, &st.c) < 0)
        return 2;
    self me;
    if (self_read(job, &me) < 0 || leader_setup(a, d) < 0) {
        cluster_free(&st.c);
        return 1;
    }
    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) != sizeof r) {
        flrt_say("no random numbers for the job's secret");
        start_failed(d);
        return 1;
    }
    for (int i = 0; i < 16; i++)
        snprintf(d->secret + 2 * i, 3, "%02x", r[i]);
    if (hosts_check(&st.c, &me) < 0) {
        start_failed(d);
        return 1;
    }
    d->kids = flrt_xcalloc((size_t)st.c.nhosts, sizeof *d->kids);
    d->kid_rank = flrt_xcalloc((size_t)st.c.nhosts, sizeof *d->kid_rank);
    relay_start(st.c.nhosts);
    for (int i = 0; i < st.c.nhosts; i++) {
        char *cmd = rank_cmd(&st.c, i, &me, d, *threads, argc, argv);
        int rc = rank_start(&st.c, i, cmd, d);
        free(cmd);
        if (rc < 0) {
            start_failed(d);
            return 1;
        }
    }
    st.relaying = pthread_create(&st.relay, NULL, relay_main, NULL) == 0;
    d->active = 1;
    return 0;
}

void flrt_hosts_finish(flrt_dist *d)
{
    (void)d;
    if (st.relaying) {
        atomic_store(&st.stop, 1);
        pthread_join(st.relay, NULL);
        st.relaying = 0;
    }
    for (int i = 0; i < st.nfds; i++) {
        if (st.fds[i] >= 0)
            close(st.fds[i]);
        if (st.ins[i] >= 0)
            close(st.ins[i]);
        free(st.buf[i]);
    }
    free(st.fds);
    free(st.ins);
    free(st.buf);
    free(st.len);
    st.fds = st.ins = NULL;
    st.buf = NULL;
    st.len = NULL;
    st.nfds = 0;
    cluster_free(&st.c);
}
