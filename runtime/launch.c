/* launch.c - how a job's process takes part in the job.
 *
 *   ./job                       one process (the default)
 *   ./job --procs N             this process is rank 0 and starts ranks 1..N-1
 *                               on this machine (the same binary, over loopback)
 *   ./job --rank R --nprocs N --leader HOST:PORT
 *                               one rank, started by someone else
 *   mpirun -n N ./job, srun ./job
 *                               one rank: rank and size from Open MPI's
 *                               (OMPI_COMM_WORLD_*) or Slurm's (SLURM_*)
 *                               environment
 *
 * The ranks started by --procs get the job's secret in their environment
 * (FLOWC_SECRET), never on a command line. Ranks started apart read it
 * from FLOWC_SECRET or --secret-file and refuse to start without one. Rank
 * 0 listens at the leader address: --leader, or FLOWC_LEADER, or (only
 * when every rank runs on this host) 127.0.0.1 on a port derived from the
 * secret. Started processes end with their parent (PR_SET_PDEATHSIG) and
 * when their connection to the others breaks (net.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hosts.h"
#include "launch.h"

static pid_t *sig_kids;          /* for flrt_dist_signal */
static volatile int sig_nkids;

/* ---- the secret ---- */

static int secret_new(char *out, size_t len)
{
    unsigned char r[16];
    if (getrandom(r, sizeof r, 0) != sizeof r || len < 33)
        return -1;
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
    return 0;
}

/* The first line of path ("-": standard input). */
static int secret_read(const char *path, char *out, size_t len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) {
        flrt_say("cannot read the secret file %s: %s", path, strerror(errno));
        return -1;
    }
    int ok = fgets(out, (int)len, f) != NULL;
    if (f != stdin)
        fclose(f);
    out[strcspn(out, "\r\n")] = 0;
    if (!ok || strlen(out) < 8) {
        flrt_say("the secret in %s is missing or shorter than 8 characters", path);
        return -1;
    }
    return 0;
}

static int secret_get(const flrt_dist_args *a, flrt_dist *d)
{
    if (a->secret_file)
        return secret_read(a->secret_file, d->secret, sizeof d->secret);
    const char *env = getenv("FLOWC_SECRET");
    if (env && strlen(env) >= 8 && strlen(env) < sizeof d->secret) {
        snprintf(d->secret, sizeof d->secret, "%s", env);
        return 0;
    }
    flrt_say("processes started apart need a shared secret: set FLOWC_SECRET in every rank's environment "
        "(mpirun -x FLOWC_SECRET) or give --secret-file PATH (at least 8 characters)");
    return -1;
}

/* ---- rank, size and the leader from the command line or a launcher ---- */

static int env_int(const char *name, int *v)
{
    const char *s = getenv(name);
    char *end;
    if (!s || !*s)
        return 0;
    long x = strtol(s, &end, 10);
    if (*end || x < 0 || x > 1 << 20)
        return 0;
    *v = (int)x;
    return 1;
}

/* Rank and size from Open MPI or Slurm; *local: every rank is on this host. */
static int env_rank(int *rank, int *size, int *local)
{
    int ls = -1, nodes = -1;
    if (env_int("OMPI_COMM_WORLD_RANK", rank) && env_int("OMPI_COMM_WORLD_SIZE", size)) {
        *local = env_int("OMPI_COMM_WORLD_LOCAL_SIZE", &ls) && ls == *size;
        return 1;
    }
    if (env_int("SLURM_PROCID", rank) && (env_int("SLURM_NTASKS", size) || env_int("SLURM_NPROCS", size))) {
        *local = (env_int("SLURM_NNODES", &nodes) || env_int("SLURM_JOB_NUM_NODES", &nodes)) && nodes == 1;
        return 1;
    }
    return 0;
}

static int split_hostport(const char *s, char *host, size_t hlen, int *port)
{
    const char *colon = strrchr(s, ':');
    char *end;
    long p = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == s || *end || p < 1 || p > 65535 || (size_t)(colon - s) >= hlen) {
        flrt_say("--leader expects HOST:PORT, not '%s'", s);
        return -1;
    }
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    *port = (int)p;
    return 0;
}

/* Rank 0's port when every rank is local and none was given: from the
 * secret, in 10000..29999, below the ports the system picks for outgoing
 * connections (32768 and up on Linux), so no connection holds it. */
static int derived_port(const char *secret)
{
    fl_u64 h = fl_hash_bytes(secret, (fl_i64)strlen(secret));
    return 10000 + (int)(h % 20000);
}

/* One rank of a job started apart (--rank, mpirun, srun). */
static int rank_setup(const flrt_dist_args *a, flrt_dist *d, int rank, int size, int local)
{
    if (rank < 0 || rank >= size) {
        flrt_say("rank %d is out of range for %d processes", rank, size);
        return 2;
    }
    if (secret_get(a, d) < 0)
        return 2;
    const char *leader = a->leader ? a->leader : getenv("FLOWC_LEADER");
    if (leader) {
        if (split_hostport(leader, d->leader_host, sizeof d->leader_host, &d->net.leader_port) < 0)
            return 2;
    } else if (local) {
        snprintf(d->leader_host, sizeof d->leader_host, "127.0.0.1");
        d->net.leader_port = derived_port(d->secret);
    } else {
        flrt_say("the ranks run on several hosts: give rank 0's address with --leader HOST:PORT "
            "(or FLOWC_LEADER) to every rank");
        return 2;
    }
    d->net.rank = rank;
    d->net.nprocs = size;
    d->net.bind_host = a->bind ? a->bind : local ? "127.0.0.1" : NULL;
    d->net.port = a->port;
    d->active = 1;
    return 0;
}

/* ---- --procs N: ranks on this machine ---- */

/* Whether argv[i] is an option a launcher sets itself: 0 no, 1 with its
 * value after '=', 2 with its value in the next word. */
static int launcher_opt(const char *arg)
{
    static const char *drop[] = {"procs", "hosts", "rank", "nprocs", "leader", "secret-file", "bind", "port",
                                 "threads"};
    for (size_t k = 0; k < sizeof drop / sizeof drop[0]; k++) {
        size_t len = strlen(drop[k]);
        if (strncmp(arg, "--", 2) || strncmp(arg + 2, drop[k], len))
            continue;
        if (arg[2 + len] == '=')
            return 1;
        if (!arg[2 + len])
            return 2;
    }
    return 0;
}

/* argv without the options a launcher sets itself, then those. */
static char **child_argv(int argc, char **argv, char **extra, int nextra)
{
    char **v = flrt_xcalloc((size_t)(argc + nextra + 1), sizeof *v);
    int n = 0;
    for (int i = 0; i < argc; i++) {
        int skip = i > 0 ? launcher_opt(argv[i]) : 0;
        if (skip == 2)
            i++;
        else if (!skip)
            v[n++] = argv[i];
    }
    for (int i = 0; i < nextra; i++)
        v[n++] = extra[i];
    return v;
}

/* A hash of the job's own arguments (its params, --batch, ...; not the
 * program's path nor what launchers set): every process must have the same. */
static fl_u64 args_hash(int argc, char **argv)
{
    fl_u64 h = 0x666c6f77;
    for (int i = 1; i < argc; i++) {
        int skip = launcher_opt(argv[i]);
        if (skip) {
            i += skip == 2;
            continue;
        }
        h = fl_hash_combine(h, fl_hash_bytes(argv[i], (fl_i64)strlen(argv[i]) + 1));
    }
    return h;
}

static pid_t spawn(char **argv, const char *secret)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    setenv("FLOWC_SECRET", secret, 1);
    char pp[24];
    snprintf(pp, sizeof pp, "%ld", (long)parent);
    setenv("FLOWC_PARENT", pp, 1);   /* signals.c: an unbounded job's signals come from here */
    execv("/proc/self/exe", argv);
    fprintf(stderr, "flowc job: cannot start another process of the job: %s\n", strerror(errno));
    _exit(127);
}

static int kids_check(void *arg, char *msg, size_t len)
{
    flrt_dist *d = arg;
    for (int i = 0; i < d->nkids; i++) {
        int st;
        if (d->kids[i] > 0 && waitpid(d->kids[i], &st, WNOHANG) == d->kids[i]) {
            d->kids[i] = -1;
            snprintf(msg, len, "process %d ended before the job started (%s %d)", d->kid_rank[i],
                     WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            return -1;
        }
    }
    return 0;
}

static void kids_alloc(flrt_dist *d, int n)
{
    d->kids = flrt_xcalloc((size_t)(n ? n : 1), sizeof *d->kids);
    d->kid_rank = flrt_xcalloc((size_t)(n ? n : 1), sizeof *d->kid_rank);
    sig_kids = d->kids;
}

static int procs_setup(const fl_job_def *job, const flrt_dist_args *a, int *threads, int argc, char **argv,
                       flrt_dist *d)
{
    if (!job->native) {
        flrt_say("--procs needs a native binary: build one with `flowc build` (flowc run runs in one process)");
        return 2;
    }
    char err[256];
    int port;
    int lfd = flrt_net_listen("127.0.0.1", 0, &port, err, sizeof err);
    if (lfd < 0 || secret_new(d->secret, sizeof d->secret) < 0) {
        flrt_say("%s", lfd < 0 ? err : "no random numbers for the job's secret");
        return 1;
    }
    if (!a->threads_given) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        *threads = cores > a->procs ? (int)(cores / a->procs) : 1;
    }
    snprintf(d->leader_host, sizeof d->leader_host, "127.0.0.1");
    d->net = (flrt_net_opts){.rank = 0, .nprocs = a->procs, .leader_port = port, .listen_fd = lfd,
                             .bind_host = "127.0.0.1", .check = kids_check, .check_arg = d};
    d->active = 1;
    kids_alloc(d, a->procs - 1);
    char rank[16], np[16], leader[64], th[16];
    snprintf(np, sizeof np, "%d", a->procs);
    snprintf(leader, sizeof leader, "127.0.0.1:%d", port);
    snprintf(th, sizeof th, "%d", *threads);
    char *extra[] = {"--rank", rank, "--nprocs", np, "--leader", leader, "--bind", "127.0.0.1", "--threads", th};
    for (int r = 1; r < a->procs; r++) {
        snprintf(rank, sizeof rank, "%d", r);
        char **v = child_argv(argc, argv, extra, (int)(sizeof extra / sizeof extra[0]));
        d->kid_rank[d->nkids] = r;
        d->kids[d->nkids] = spawn(v, d->secret);
        free(v);
        if (d->kids[d->nkids] < 0) {
            flrt_say("cannot start process %d: %s", r, strerror(errno));
            return 1;
        }
        sig_nkids = ++d->nkids;
    }
    return 0;
}

/* ---- start and wait ---- */

int flrt_dist_start(const fl_job_def *job, const flrt_dist_args *a, int *threads, int argc, char **argv,
                    flrt_dist *d)
{
    memset(d, 0, sizeof *d);
    d->net.listen_fd = -1;
    int rc = 0, rank, size, local = 0;
    if (a->rank >= 0 || a->nprocs >= 0) {
        if (a->rank < 0 || a->nprocs < 1) {
            flrt_say("--rank and --nprocs go together");
            return 2;
        }
        rc = rank_setup(a, d, a->rank, a->nprocs, 0);
    } else if (a->hosts) {
        rc = flrt_hosts_start(job, a, threads, argc, argv, d);
        sig_kids = d->kids;           /* signals reach the ssh clients too */
        sig_nkids = rc == 0 ? d->nkids : 0;
    } else if (a->procs > 1) {
        rc = procs_setup(job, a, threads, argc, argv, d);
    } else if (env_rank(&rank, &size, &local) && size > 1) {
        rc = rank_setup(a, d, rank, size, local);
    }
    if (rc == 0 && d->active) {
        d->net.leader_host = d->leader_host;
        d->net.secret = d->secret;
        d->net.fingerprint = flrt_fingerprint_parse(job->fingerprint);
        d->net.args = args_hash(argc, argv);
        d->net.version = job->version;
    }
    return rc;
}

void flrt_dist_signal(int sig)
{
    for (int i = 0; i < sig_nkids; i++)
        if (sig_kids[i] > 0)
            kill(sig_kids[i], sig);
}

static fl_i64 ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (fl_i64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for kid i until the deadline: 1 ended well, 0 ended badly, -1 not yet. */
static int kid_wait(flrt_dist *d, int i, fl_i64 deadline)
{
    while (d->kids[i] > 0) {
        int st;
        pid_t r = waitpid(d->kids[i], &st, WNOHANG);
        if (r == d->kids[i]) {
            d->kids[i] = -1;
            return WIFEXITED(st) && WEXITSTATUS(st) == 0;
        }
        if (r < 0 && errno != EINTR) {
            d->kids[i] = -1;
            return 0;
        }
        if (ms_now() > deadline)
            return -1;
        usleep(10000);
    }
    return 0;
}

int flrt_dist_wait(flrt_dist *d, int ok)
{
    fl_i64 deadline = ms_now() + (ok ? 10000 : 1000);
    for (int i = 0; i < d->nkids; i++) {
        if (d->kids[i] <= 0)
            continue;
        int r = kid_wait(d, i, deadline);
        if (r < 0) {
            kill(d->kids[i], SIGKILL);
            kid_wait(d, i, ms_now() + 5000);
            r = 0;
        }
        ok &= r;
    }
    sig_nkids = 0;
    free(d->kids);
    free(d->kid_rank);
    flrt_hosts_finish(d);
    d->kids = NULL;
    d->nkids = 0;
    return ok;
}
