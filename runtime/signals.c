/* signals.c - what a job does when a signal ends it. SIGINT and SIGTERM:
 * the fatal hook (fl_main sets one that forwards the signal to the job's
 * other processes), the open sinks' temporary files removed, then the
 * signal raised again with its default action, so the exit status says
 * "killed by signal". SIGBUS inside a mapped input file (lines.c, csv.c:
 * the file was truncated while it was read): "flowc job: FILE changed size
 * while it was being read", the hook (with SIGTERM), the temporaries
 * removed, exit 1. A SIGBUS anywhere else removes the temporaries and
 * crashes as before.
 *
 * An unbounded job (stdin_lines, tcp_lines) drains on its first SIGINT or
 * SIGTERM instead: the flag its sources poll is raised and the signal is
 * forwarded; the second one ends it as above.
 *
 * A handler runs at any moment in any thread, so it takes no lock and
 * calls no malloc: what it reads lives in fixed tables of slots (the
 * temporary files, registered by sink.c; the mappings, by lines.c). Each
 * slot is a seqlock: its writer makes `seq` odd while it changes the slot
 * and even again after; the handler uses a slot only when `seq` was even
 * and unchanged across its reading. A full table only costs the handler
 * its knowledge: an unlisted temporary is left for the next run to remove
 * (sink.c), an unlisted mapping's SIGBUS crashes. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "flrt_int.h"

enum { MAX_TEMPS = 64, MAX_MAPS = 4096 };

typedef struct temp_slot {
    atomic_uint seq;             /* odd while the path changes */
    char path[PATH_MAX];         /* "" when free */
} temp_slot;

typedef struct map_slot {
    atomic_uint seq;             /* odd while the slot changes */
    _Atomic(const char *) addr;  /* NULL when free */
    _Atomic(fl_i64) len;
    _Atomic(const char *) path;  /* the flrt_map's own: valid while mapped */
} map_slot;

static temp_slot temps[MAX_TEMPS];
static atomic_int temp_taken[MAX_TEMPS];
static atomic_int temps_hi;      /* one past the highest slot ever taken */
static map_slot maps[MAX_MAPS];
static atomic_int map_taken[MAX_MAPS];
static atomic_int maps_hi;
static void (*_Atomic fatal_hook)(int);
static atomic_flag bus_seen = ATOMIC_FLAG_INIT;  /* a thread is reporting a SIGBUS */
static atomic_int child_group;   /* a process group to kill before the temporaries go, or 0 */

/* ---- slots ---- */

/* Takes the first free flag of taken[0, n): its index, or -1. */
static int slot_take(atomic_int *taken, int n, atomic_int *hi)
{
    for (int i = 0; i < n; i++) {
        int want = 0;
        if (!atomic_compare_exchange_strong(&taken[i], &want, 1))
            continue;
        int h = atomic_load(hi);
        while (h <= i && !atomic_compare_exchange_weak(hi, &h, i + 1))
            ;
        return i;
    }
    return -1;
}

static void seq_begin(atomic_uint *seq)
{
    atomic_fetch_add_explicit(seq, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

static void seq_end(atomic_uint *seq) { atomic_fetch_add_explicit(seq, 1, memory_order_release); }

/* Whether what was read since seq was s is whole: s even and unchanged. */
static int seq_valid(atomic_uint *seq, unsigned s)
{
    atomic_thread_fence(memory_order_acquire);
    return !(s & 1) && atomic_load_explicit(seq, memory_order_relaxed) == s;
}

int flrt_signals_add_temp(const char *path)
{
    if (strlen(path) >= sizeof temps[0].path)
        return -1;
    int i = slot_take(temp_taken, MAX_TEMPS, &temps_hi);
    if (i < 0)
        return -1;
    seq_begin(&temps[i].seq);
    strcpy(temps[i].path, path);
    seq_end(&temps[i].seq);
    return i;
}

void flrt_signals_drop_temp(int slot)
{
    if (slot < 0 || slot >= MAX_TEMPS)
        return;
    seq_begin(&temps[slot].seq);
    temps[slot].path[0] = 0;
    seq_end(&temps[slot].seq);
    atomic_store(&temp_taken[slot], 0);
}

void flrt_signals_add_map(const void *addr, fl_i64 len, const char *path)
{
    int i = slot_take(map_taken, MAX_MAPS, &maps_hi);
    if (i < 0)
        return;
    seq_begin(&maps[i].seq);
    atomic_store_explicit(&maps[i].len, len, memory_order_relaxed);
    atomic_store_explicit(&maps[i].path, path, memory_order_relaxed);
    atomic_store_explicit(&maps[i].addr, (const char *)addr, memory_order_relaxed);
    seq_end(&maps[i].seq);
}

void flrt_signals_drop_map(const void *addr)
{
    int n = atomic_load(&maps_hi);
    for (int i = 0; i < n; i++) {
        if (atomic_load_explicit(&maps[i].addr, memory_order_relaxed) != addr)
            continue;
        seq_begin(&maps[i].seq);
        atomic_store_explicit(&maps[i].addr, NULL, memory_order_relaxed);
        seq_end(&maps[i].seq);
        atomic_store(&map_taken[i], 0);
        return;
    }
}

/* ---- in the handlers: async-signal-safe calls only ---- */

/* Removes the files in folder path (not its subfolders), then the folder:
 * with getdents64 and unlinkat, which a signal handler may call. */
static void folder_remove(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    _Alignas(8) char buf[4096];
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < n;) {
            struct dirent64_raw {
                unsigned long long ino;
                long long off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (struct dirent64_raw *)(buf + off);
            if (d->type != DT_DIR)
                unlinkat(fd, d->name, 0);
            off += d->reclen;
        }
    close(fd);
    rmdir(path);
}

/* Removes every listed temporary file and folder (after killing the listed
 * process group, which may be writing into one). */
static void temps_remove(void)
{
    int pg = atomic_load(&child_group);
    if (pg > 0)
        kill(-pg, SIGKILL);
    char path[PATH_MAX];
    int n = atomic_load(&temps_hi);
    for (int i = 0; i < n; i++) {
        unsigned s = atomic_load_explicit(&temps[i].seq, memory_order_acquire);
        memcpy(path, temps[i].path, sizeof path);
        path[sizeof path - 1] = 0;
        size_t len = strlen(path);
        if (!seq_valid(&temps[i].seq, s) || !len)
            continue;
        if (path[len - 1] == '/')
            folder_remove(path);
        else
            unlink(path);
    }
}

int fl_temp_folder(const char *path)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s/", path) >= (int)sizeof p)
        return -1;
    return flrt_signals_add_temp(p);
}

int fl_temp_file(const char *path) { return flrt_signals_add_temp(path); }

void fl_temp_group(int pgid) { atomic_store(&child_group, pgid); }

void fl_temp_drop(int slot) { flrt_signals_drop_temp(slot); }

void fl_signals_for_compiler(void) { flrt_signals_install(); }

/* The path of the listed mapping that holds address a, or NULL. */
static const char *map_path_of(const char *a)
{
    int n = atomic_load(&maps_hi);
    for (int i = 0; i < n; i++) {
        unsigned s = atomic_load_explicit(&maps[i].seq, memory_order_acquire);
        const char *addr = atomic_load_explicit(&maps[i].addr, memory_order_relaxed);
        fl_i64 len = atomic_load_explicit(&maps[i].len, memory_order_relaxed);
        const char *path = atomic_load_explicit(&maps[i].path, memory_order_relaxed);
        if (seq_valid(&maps[i].seq, s) && addr && a >= addr && a - addr < len)
            return path;
    }
    return NULL;
}

static void say(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(2, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void call_hook(int sig)
{
    void (*hook)(int) = atomic_load(&fatal_hook);
    if (hook)
        hook(sig);
}

/* Ends the process by sig with its default action. */
static void die_by(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);
}

static atomic_int drain_mode, draining;
static pid_t launcher;           /* a process the launcher started: its pid (FLOWC_PARENT) */

void flrt_signals_drain_mode(int on) { atomic_store(&drain_mode, on); }
int flrt_signals_draining(void) { return atomic_load_explicit(&draining, memory_order_relaxed); }

/* An unbounded job's first SIGINT or SIGTERM drains it (its sources end,
 * what is open is flushed and committed; the processes it started are
 * told); a second one, or any in a bounded job, ends it at once. A process
 * the launcher started takes such signals from the launcher only: a
 * terminal's ^C reaches every process of its group, and the launcher
 * forwards it too, which would count twice. */
static void on_stop(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    if (atomic_load(&drain_mode)) {
        if (launcher > 0 && si && si->si_pid != launcher)
            return;
        if (!atomic_exchange(&draining, 1)) {
            call_hook(sig);
            return;
        }
    }
    call_hook(sig);
    temps_remove();
    die_by(sig);
}

static void on_bus(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    const char *path = map_path_of((const char *)si->si_addr);
    if (!path) {
        temps_remove();
        die_by(sig);
    }
    if (atomic_flag_test_and_set(&bus_seen))
        for (;;)                     /* another thread reports it and exits */
            pause();
    say("flowc job: ");
    say(path);
    say(" changed size while it was being read\n");
    call_hook(SIGTERM);
    temps_remove();
    _exit(1);
}

/* ---- installing ---- */

/* Sets act for sig unless sig was ignored when the job started (a job run
 * in the background of a script, or under nohup, keeps ignoring it). */
static void install(int sig, const struct sigaction *act)
{
    struct sigaction old;
    if (sigaction(sig, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
        old.sa_handler == SIG_IGN)
        return;
    sigaction(sig, act, NULL);
}

void flrt_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    const char *parent = getenv("FLOWC_PARENT");
    launcher = parent ? (pid_t)atol(parent) : 0;
    sa.sa_sigaction = on_stop;
    sa.sa_flags = SA_SIGINFO;
    install(SIGINT, &sa);
    install(SIGTERM, &sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
}

void flrt_signals_on_fatal(void (*hook)(int sig)) { atomic_store(&fatal_hook, hook); }
