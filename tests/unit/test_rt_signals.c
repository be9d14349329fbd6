/* test_rt_signals.c - the signal handlers (runtime/signals.c) around a
 * job whose sink is open: SIGINT and SIGTERM call the fatal hook first,
 * remove the sink's temporary file and end the process by the same signal;
 * a signal ignored at the start stays ignored; a SIGBUS outside the input
 * mappings still crashes, after removing the temporaries. Each case runs
 * in a child process (fork) that installs the handlers itself. The SIGBUS
 * of an input truncated while it is read is in test_rt_lines.c. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flrt_int.h"
#include "rt_helpers.h"

static char dir[64];
static char out_path[128];
static int ready[2], hooked[2];   /* pipes: the sink is open; the hook's signal */
static void (*after_open)(void);  /* what the job does once its sink is open */

static void setup(void)
{
    alarm(20);
    strcpy(dir, "/tmp/flrt-sig-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(out_path, sizeof out_path, "%s/out.txt", dir);
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_name[0] != '.')
            unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

TestSuite(rt_signals, .init = setup, .fini = teardown);

static int files_in_dir(void) { return files_in(dir); }

/* ---- in the child ---- */

static void hook(int sig)
{
    char c = (char)sig;
    ssize_t w = write(hooked[1], &c, 1);
    (void)w;
}

static void hang(void)
{
    for (;;)
        pause();
}

static void raise_bus(void) { raise(SIGBUS); }

static void open_run(fl_task *t)
{
    fl_sink *s = fl_sink_open(t, S(out_path));
    fl_sink_write(s, "x\n", 2);
    flrt_signals_on_fatal(hook);     /* here: fl_main sets its own at the start */
    char c = 'r';
    ssize_t w = write(ready[1], &c, 1);
    (void)w;
    after_open();
}

static void child(void)
{
    signal(SIGINT, SIG_DFL);         /* as a job started from a terminal */
    signal(SIGTERM, SIG_DFL);
    flrt_signals_install();          /* as fl_main does */
    fl_stage_def st[] = {{"open", 0, open_run, 0, NULL, 0, 0, 0, 0, 0, 0}};
    fl_job_def j = {.name = "sigjob", .nstages = 1, .stages = st};
    char *argv[] = {"job", "--threads", "1", NULL};
    _exit(fl_main(&j, 3, argv));
}

/* ---- in the test ---- */

/* Starts the child; returns once its sink is open (its temporary made). */
static pid_t start(void (*then)(void))
{
    after_open = then;
    cr_assert_eq(pipe(ready), 0);
    cr_assert_eq(pipe(hooked), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0)
        child();
    close(ready[1]);
    close(hooked[1]);
    char c;
    cr_assert_eq(read(ready[0], &c, 1), 1, "the child opened its sink");
    return pid;
}

static void temp_of(char *tmp, size_t n, pid_t pid)
{
    snprintf(tmp, n, "%s.tmp-%ld", out_path, (long)pid);
}

static void stop_by(int sig)
{
    pid_t pid = start(hang);
    char tmp[160];
    temp_of(tmp, sizeof tmp, pid);
    cr_assert_eq(access(tmp, F_OK), 0, "the temporary exists while the job runs");
    kill(pid, sig);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == sig, "killed by signal %d (status %#x)", sig, st);
    char c = 0;
    cr_assert_eq(read(hooked[0], &c, 1), 1, "the hook was called");
    cr_assert_eq(c, sig);
    cr_assert_eq(files_in_dir(), 0, "the temporary %s is removed", tmp);
}

Test(rt_signals, sigint_removes_temporaries) { stop_by(SIGINT); }

Test(rt_signals, sigterm_removes_temporaries) { stop_by(SIGTERM); }

Test(rt_signals, other_sigbus_still_crashes)
{
    pid_t pid = start(raise_bus);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS, "status %#x", st);
    char c;
    cr_assert_eq(read(hooked[0], &c, 1), 0, "the hook is for SIGINT, SIGTERM, input SIGBUS");
    cr_assert_eq(files_in_dir(), 0, "the temporary is removed");
}

Test(rt_signals, ignored_signal_stays_ignored)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_IGN);     /* as a job run with & from a script */
        signal(SIGTERM, SIG_DFL);
        flrt_signals_install();
        struct sigaction in, term;
        sigaction(SIGINT, NULL, &in);
        sigaction(SIGTERM, NULL, &term);
        _exit(in.sa_handler != SIG_IGN ? 1 : term.sa_handler == SIG_DFL ? 2 : 0);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st));
    cr_assert_eq(WEXITSTATUS(st), 0, "1: SIGINT not ignored any more; 2: SIGTERM not handled");
}
