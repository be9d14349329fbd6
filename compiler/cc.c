/* cc.c - `flowc build`: writes the generated C and the runtime headers
 * into a temporary folder ($TMPDIR or /tmp, flowc-build-XXXXXX), runs
 * `$CC -O2` (or -O3 -march=native) on it with libflowrt.a, and removes the
 * folder.
 *
 * Errors of the surroundings are the user's to fix and leave nothing
 * behind: an output path that cannot be written (checked before anything
 * is compiled), a C compiler that cannot be run, a missing libflowrt.a, a
 * temporary folder that cannot be made or written; each gets a message and
 * cc_build returns 1. Only a compiler that ran and failed on the generated
 * code is a flowc bug: the folder is kept and named in the report. */
#define _GNU_SOURCE
#include "cc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flowrt.h"
#include "front.h"
#include "jit.h"

enum { RUN_OK = 0, RUN_FAILED = 1, RUN_NOEXEC = 2, RUN_ERROR = 3 };

const char *cc_lib_dir(void)
{
    static const char *rel[] = {"", "/../lib/flowc"};
    const char *dir = front_beside_exe(rel, 2, "libflowrt.a");
    return dir ? dir : ".";
}

int cc_check_out(const char *out)
{
    const char *slash = strrchr(out, '/');
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - out) + (slash == out) : 1,
             slash ? out : ".");
    struct stat st;
    const char *why = NULL;
    if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
        why = "it is a folder";
    else if (access(dir, W_OK | X_OK) < 0)
        why = strerror(errno);
    if (!why)
        return 0;
    fprintf(stderr, "flowc: cannot write %s: %s\n", out, why);
    return -1;
}

static const char *cc_chosen;

/* ---- the user's C files ---- */

static char *const *cc_ufiles;
static int cc_nufiles;
static const char *cc_uinc;

void cc_set_user(char *const *files, int n, const char *incdir)
{
    cc_ufiles = files;
    cc_nufiles = n;
    cc_uinc = incdir;
}

int cc_user_count(void) { return cc_nufiles; }
const char *cc_user_file(int i) { return cc_ufiles[i]; }
const char *cc_user_include(void) { return cc_uinc; }

int cc_user_args(char **argv, int k, const char *staged)
{
    if (cc_uinc) {
        argv[k++] = "-I";
        argv[k++] = (char *)cc_uinc;
    }
    if (staged) {
        argv[k++] = "-I";
        argv[k++] = (char *)staged;
    }
    for (int i = 0; i < cc_nufiles; i++)
        argv[k++] = cc_ufiles[i];
    return k;
}

char *cc_user_text(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    for (int i = 0; out && i < cc_nufiles; i++) {
        FILE *f = fopen(cc_ufiles[i], "rb");
        char chunk[4096];
        size_t n;
        while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
            fwrite(chunk, 1, n, out);
        if (f)
            fclose(f);
    }
    if (out)
        fclose(out);
    return buf ? buf : strdup("");
}

void cc_set_compiler(const char *cc) { cc_chosen = cc; }

#ifndef FLOWC_SANITIZE
/* Whether name is an executable in one of $PATH's folders. */
static int cc_in_path(const char *name)
{
    const char *path = getenv("PATH");
    char buf[PATH_MAX];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        if (n && snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, name) < (int)sizeof buf && access(buf, X_OK) == 0)
            return 1;
        path += n + (path[n] == ':');
    }
    return 0;
}
#endif

/* clang by default: it turns a select between two cheap values into a
 * cmov where gcc keeps a branch that mispredicts (collatz: 1.03x of the
 * C baseline against 1.45x; word count and group-by the same under both;
 * docs/benchmarks.md). A sanitized flowc keeps cc: its jobs link the
 * runtime gcc sanitized. */
const char *cc_compiler(void)
{
    if (cc_chosen)
        return cc_chosen;
    if (getenv("CC") && *getenv("CC"))
        return getenv("CC");
#ifndef FLOWC_SANITIZE
    static int clang = -1;
    if (clang < 0)
        clang = cc_in_path("clang");
    if (clang)
        return "clang";
#endif
    return "cc";
}

static int cc_write(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* Reads the errno a child that could not exec wrote into fd (0: it ran). */
static int exec_errno(int fd)
{
    int err = 0;
    ssize_t n;
    do
        n = read(fd, &err, sizeof err);
    while (n < 0 && errno == EINTR);
    close(fd);
    return n == (ssize_t)sizeof err ? err : 0;
}

/* Runs argv and waits: RUN_OK, RUN_FAILED (it ran and failed), RUN_NOEXEC
 * (it could not be started) or RUN_ERROR (no process, no wait); *err says
 * why for the last two. */
/* The environment for the C compiler run in staging folder dir: ours with
 * TMPDIR=dir, so that its own temporaries go where flowc removes them. */
char **cc_env(const char *dir)
{
    extern char **environ;
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    char *tmpdir = malloc(strlen(dir) + 8);
    if (!env || !tmpdir) {
        free(env);
        free(tmpdir);
        return NULL;
    }
    sprintf(tmpdir, "TMPDIR=%s", dir);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "TMPDIR=", 7))
            env[k++] = environ[i];
    env[k++] = tmpdir;
    env[k] = NULL;
    return env;
}

void cc_env_free(char **env)
{
    if (!env)
        return;
    for (size_t i = 0; env[i]; i++)
        if (!strncmp(env[i], "TMPDIR=", 7))
            free(env[i]);
    free(env);
}

/* Runs argv (its temporaries in dir, cc_env); RUN_* with errno in *err. */
static int cc_run(char **argv, const char *dir, int *err)
{
    char **env = cc_env(dir);
    if (!env) {
        *err = ENOMEM;
        return RUN_ERROR;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) {
        *err = errno;
        cc_env_free(env);
        return RUN_ERROR;
    }
    pid_t pid = fork();
    if (pid < 0) {
        *err = errno;
        close(fds[0]);
        close(fds[1]);
        cc_env_free(env);
        return RUN_ERROR;
    }
    if (pid == 0) {
        execvpe(argv[0], argv, env);
        int e = errno;
        ssize_t w = write(fds[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    close(fds[1]);
    cc_env_free(env);
    *err = exec_errno(fds[0]);
    int st, rc;
    while ((rc = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (rc < 0) {
        *err = errno;
        return RUN_ERROR;
    }
    if (*err)
        return RUN_NOEXEC;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? RUN_OK : RUN_FAILED;
}

/* The staged folders, listed for the runtime's SIGINT and SIGTERM handlers
 * (installed in flowc at the first one): a build or run that a signal ends
 * leaves none behind. */
enum { MAX_STAGED = 8 };
static pthread_mutex_t staged_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char dir[PATH_MAX];
    int slot;
} staged[MAX_STAGED];

static void cc_list(const char *dir)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fl_signals_for_compiler);
    int slot = fl_temp_folder(dir);
    pthread_mutex_lock(&staged_mu);
    for (int i = 0; i < MAX_STAGED; i++)
        if (!staged[i].dir[0]) {
            snprintf(staged[i].dir, sizeof staged[i].dir, "%s", dir);
            staged[i].slot = slot;
            slot = -1;
            break;
        }
    pthread_mutex_unlock(&staged_mu);
    fl_temp_drop(slot);   /* (no room to remember it: not listed) */
}

static void cc_unlist(const char *dir)
{
    pthread_mutex_lock(&staged_mu);
    for (int i = 0; i < MAX_STAGED; i++)
        if (staged[i].dir[0] && !strcmp(staged[i].dir, dir)) {
            fl_temp_drop(staged[i].slot);
            staged[i].dir[0] = 0;
        }
    pthread_mutex_unlock(&staged_mu);
}

void cc_unstage(const char *dir)
{
    static const char *files[] = {"job.c", "flowrt.h", "flowgen.h", "job.so", "flowc_job.o", "lib.map"};
    char path[PATH_MAX + 16];
    for (int i = 0; i < 6; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    cc_unlist(dir);
}

/* Makes the temporary folder and writes the sources into it; 0 or -1. */
int cc_stage(char *dir, size_t size, const char *csrc)
{
    const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    int n = snprintf(dir, size, "%s/flowc-build-XXXXXX", tmp);
    if (n >= (int)size || !mkdtemp(dir)) {
        fprintf(stderr, "flowc: cannot make a temporary folder in %s: %s\n", tmp,
                strerror(n >= (int)size ? ENAMETOOLONG : errno));
        return -1;
    }
    cc_list(dir);
    if (cc_write(dir, "job.c", csrc) || cc_write(dir, "flowrt.h", jit_flowrt_h) ||
        cc_write(dir, "flowgen.h", jit_flowgen_h)) {
        fprintf(stderr, "flowc: cannot write into %s: %s\n", dir, strerror(errno));
        cc_unstage(dir);
        return -1;
    }
    return 0;
}

/* What the run of the C compiler means: 0, 1 (the user's to fix: the
 * folder is removed) or -1 (a flowc bug: the folder is kept). */
static int cc_report(int run, int err, const char *cc, const char *dir, const char *src)
{
    switch (run) {
    case RUN_OK:
        cc_unstage(dir);
        return 0;
    case RUN_FAILED:
        fprintf(stderr, "flowc: internal error: %s failed on the generated code (a flowc bug; "
                        "please report it with %s)\n", cc, src);
        return -1;
    case RUN_NOEXEC:
        fprintf(stderr, "flowc: cannot run the C compiler `%s` (set $CC): %s\n", cc,
                strerror(err));
        break;
    default:
        fprintf(stderr, "flowc: cannot run the C compiler `%s`: %s\n", cc, strerror(err));
        break;
    }
    cc_unstage(dir);
    return 1;
}

/* The arguments of --lib: position-independent code and the API (FL_LIB);
 * a shared library exports only the API's functions (a version script in
 * the staging folder), so that two job libraries in one process each keep
 * their own runtime; a static one is compiled to an object (-c). */
static int cc_lib_args(char **argv, int k, const CcOpts *o, const char *dir, char *map, size_t len)
{
    argv[k++] = "-DFL_LIB";
    argv[k++] = "-fPIC";
    if (o->lib == 2) {
        argv[k++] = "-c";
        return k;
    }
    char text[512];
    snprintf(text, sizeof text, "{\n  global: %s_*;\n  local: *;\n};\n", o->prefix);
    snprintf(map, len, "-Wl,--version-script=%s/lib.map", dir);
    if (cc_write(dir, "lib.map", text) == 0) {
        argv[k++] = "-shared";
        argv[k++] = map;
    }
    return k;
}

/* A static job library: the runtime's archive with the job's object added (out, by rename). */
static int cc_archive(const char *rt, const char *obj, const char *out, const char *dir, int *err)
{
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", out, (int)getpid());
    char *cp[] = {"cp", (char *)rt, tmp, NULL}, *ar[] = {"ar", "rs", tmp, (char *)obj, NULL};
    int slot = fl_temp_file(tmp);   /* (a signal's end removes it) */
    int run = cc_run(cp, dir, err);
    if (run == RUN_OK)
        run = cc_run(ar, dir, err);
    if (run == RUN_OK && rename(tmp, out) < 0) {
        *err = errno;
        run = RUN_ERROR;
    }
    if (run != RUN_OK)
        unlink(tmp);
    fl_temp_drop(slot);
    return run;
}

int cc_build(const char *csrc, const CcOpts *o)
{
    char lib[PATH_MAX + 32];
    snprintf(lib, sizeof lib, "%s/libflowrt.a", cc_lib_dir());
    if (cc_check_out(o->out) < 0)
        return 1;
    if (access(lib, R_OK) < 0) {
        fprintf(stderr, "flowc: cannot find libflowrt.a beside flowc or in ../lib/flowc\n");
        return 1;
    }
    char dir[PATH_MAX], src[PATH_MAX + 8];
    if (cc_stage(dir, sizeof dir, csrc) < 0)
        return 1;
    if (o->keep_c)
        cc_write(".", o->keep_c, csrc);
    snprintf(src, sizeof src, "%s/job.c", dir);
    const char *cc = cc_compiler();
#ifdef FLOWC_SANITIZE  /* a sanitized flowc links a sanitized runtime: so are its jobs */
    char *san = "-fsanitize=address,undefined";
#else
    char *san = "-w";
#endif
    char obj[PATH_MAX + 16], map[PATH_MAX + 32];
    snprintf(obj, sizeof obj, "%s/flowc_job.o", dir);   /* (not job.o: the runtime's archive has one) */
    char *base[] = {(char *)cc, "-std=c99", "-DFL_NATIVE", (char *)(o->opt3 ? "-O3" : "-O2"), (char *)(o->opt3 ? "-march=native" : "-g0"),
                    "-ffp-contract=off", "-w", san, "-o", (char *)(o->lib == 2 ? obj : o->out), src};
    char **argv = calloc(sizeof base / sizeof base[0] + 16 + (size_t)cc_nufiles, sizeof *argv);
    if (!argv)
        return 1;
    int k = (int)(sizeof base / sizeof base[0]);
    memcpy(argv, base, sizeof base);
    k = cc_user_args(argv, k, dir);
    if (o->lib)
        k = cc_lib_args(argv, k, o, dir, map, sizeof map);
    if (o->lib != 2) {
        argv[k++] = lib;
        argv[k++] = "-lpthread";
        argv[k++] = "-lm";
    }
    int err = 0;
    int run = cc_run(argv, dir, &err);
    free(argv);
    if (run == RUN_OK && o->lib == 2)
        run = cc_archive(lib, obj, o->out, dir, &err);
    if (run == RUN_FAILED && cc_nufiles) {   /* (its messages are above: the user's C, most likely) */
        fprintf(stderr, "flowc: %s failed on the job with your C file%s (%s%s)\n", cc, cc_nufiles > 1 ? "s" : "",
                cc_ufiles[0], cc_nufiles > 1 ? "..." : "");
        cc_unstage(dir);
        return 1;
    }
    return cc_report(run, err, cc, dir, src);
}
