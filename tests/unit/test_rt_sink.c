/* test_rt_sink.c - sinks (runtime/sink.c) inside whole jobs: a file sink
 * writes PATH.tmp-PID and is renamed to PATH when the job succeeds (also
 * when the task forgot to close it); a failed job leaves neither the file
 * nor the temporary; errors name the path; "-" writes to standard output,
 * whole lines even from several tasks. A FIFO or a device is written
 * through, never replaced; a symbolic link is followed (the temporary goes
 * beside its target, the link stays); a folder is refused; stale
 * temporaries of dead processes are removed. Temporary folders under /tmp. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flowrt.h"
#include "rt_helpers.h"

static char dir[64];
static char out_path[128];

/* A hang ends the test: SIGALRM kills its process (criterion's .timeout
 * leaks in parallel runs). */
static void setup(void)
{
    alarm(20);
    strcpy(dir, "/tmp/flrt-sink-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(out_path, sizeof out_path, "%s/out.txt", dir);
}

/* Removes the files of folder at, and at/sub with its files. */
static void remove_tree(const char *at, int depth)
{
    DIR *d = opendir(at);
    for (struct dirent *e; d && (e = readdir(d));) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", at, e->d_name);
        if (e->d_name[0] != '.' && (unlink(p) < 0 && depth < 1))
            remove_tree(p, depth + 1);
    }
    if (d)
        closedir(d);
    rmdir(at);
}

static void teardown(void) { remove_tree(dir, 0); }

TestSuite(rt_sink, .init = setup, .fini = teardown);

static int files_in_dir(void) { return files_in(dir); }

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 22);
    buf[fread(buf, 1, (1 << 22) - 1, f)] = 0;
    fclose(f);
    return buf;
}

static int run_job(void (*fn)(fl_task *), int parallel, const char *threads)
{
    fl_stage_def st[] = {{"write", parallel, fn, 0, NULL, 0, 0, 0, 0, 0, 0}};
    fl_job_def j = {.name = "sinkjob", .nstages = 1, .stages = st};
    char *argv[] = {"job", "--threads", (char *)threads, NULL};
    return fl_main(&j, 3, argv);
}


/* 100000 numbered lines, about 600 KB: the buffer is written several times */
static void write_lines(fl_sink *s)
{
    fl_buf b = {0};
    for (int i = 0; i < 100000; i++) {
        b.len = 0;
        fl_buf_i64(&b, i);
        fl_buf_putc(&b, '\n');
        fl_sink_write(s, b.p, b.len);
    }
    fl_buf_free(&b);
}

static void check_lines(const char *text)
{
    const char *p = text;
    for (int i = 0; i < 100000; i++) {
        char *end;
        long v = strtol(p, &end, 10);
        cr_assert_eq(v, i);
        cr_assert_eq(*end, '\n');
        p = end + 1;
    }
    cr_assert_eq(*p, 0);
}

static void good_run(fl_task *t)
{
    fl_sink *s = fl_sink_open(t, S(out_path));
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", out_path, (long)getpid());
    cr_assert_eq(access(tmp, F_OK), 0, "the temporary file exists while the job runs");
    cr_assert_neq(access(out_path, F_OK), 0, "the file does not, yet");
    write_lines(s);
    fl_sink_close(s);
    cr_assert_neq(access(out_path, F_OK), 0, "not before the job has succeeded");
}

Test(rt_sink, renamed_on_success)
{
    cr_assert_eq(run_job(good_run, 0, "1"), 0);
    char *text = slurp(out_path);
    cr_assert_not_null(text);
    check_lines(text);
    free(text);
    cr_assert_eq(files_in_dir(), 1, "no temporary left");
}

static void unclosed_run(fl_task *t)
{
    fl_sink *s = fl_sink_open(t, S(out_path));
    fl_sink_write(s, "abc\n", 4);
}

Test(rt_sink, unclosed_sink_is_closed_by_the_job)
{
    cr_assert_eq(run_job(unclosed_run, 0, "1"), 0);
    char *text = slurp(out_path);
    cr_assert_str_eq(text, "abc\n");
    free(text);
}

static void failing_run(fl_task *t)
{
    fl_sink *s = fl_sink_open(t, S(out_path));
    write_lines(s);
    fl_sink_close(s);
    fl_fail(t, "late failure");
}

Test(rt_sink, removed_on_failure, .init = cr_redirect_stderr)
{
    cr_assert_eq(run_job(failing_run, 0, "1"), 1);
    cr_assert_neq(access(out_path, F_OK), 0);
    cr_assert_eq(files_in_dir(), 0, "the temporary file is removed");
}

static void failing_open_run(fl_task *t)
{
    fl_sink *s = fl_sink_open(t, S("/nonexistent-flrt/x/out.txt"));
    fl_sink_write(s, "x\n", 2);
    fl_sink_close(s);
}

Test(rt_sink, error_names_path, .init = cr_redirect_stderr)
{
    cr_assert_eq(run_job(failing_open_run, 0, "1"), 1);
    fflush(stderr);
    char expect[256], got[256] = {0};
    snprintf(expect, sizeof expect,
             "flowc job: cannot create /nonexistent-flrt/x/out.txt (as "
             "/nonexistent-flrt/x/out.txt.tmp-%ld): No such file or directory\n",
             (long)getpid());
    FILE *f = cr_get_redirected_stderr();
    got[fread(got, 1, sizeof got - 1, f)] = 0;
    cr_assert_str_eq(got, expect);
}

static void same_path_run(fl_task *t) { fl_sink_close(fl_sink_open(t, S(out_path))); }

Test(rt_sink, two_sinks_one_path, .init = cr_redirect_stderr)
{
    cr_assert_eq(run_job(same_path_run, 1, "2"), 1);
    cr_assert_eq(files_in_dir(), 0);
}

static void stdout_run(fl_task *t)
{
    fl_sink *s = fl_sink_open(t, S("-"));
    write_lines(s);
    fl_sink_close(s);
}

Test(rt_sink, standard_output)
{
    char cap[] = "/tmp/flrt-stdout-XXXXXX";
    int fd = mkstemp(cap);
    fflush(stdout);
    int saved = dup(1);
    dup2(fd, 1);
    close(fd);
    int rc = run_job(stdout_run, 1, "3");
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    cr_assert_eq(rc, 0);
    char *text = slurp(cap);
    unlink(cap);
    /* three tasks wrote the same lines: each line whole, each number 3 times */
    int *seen = calloc(100000, sizeof(int));
    int lines = 0;
    for (char *p = text; *p;) {
        char *end;
        long v = strtol(p, &end, 10);
        cr_assert(*end == '\n' && v >= 0 && v < 100000, "a broken line at %.20s", p);
        seen[v]++;
        lines++;
        p = end + 1;
    }
    cr_assert_eq(lines, 300000);
    for (int i = 0; i < 100000; i++)
        cr_assert_eq(seen[i], 3);
    free(seen);
    free(text);
}

/* ---- what is not a regular file ---- */

static char sink_path[160];

static void path_run(fl_task *t)
{
    fl_sink *s = fl_sink_open(t, S(sink_path));
    write_lines(s);
    fl_sink_close(s);
}

static void *fifo_reader(void *arg)
{
    int fd = open((const char *)arg, O_RDONLY);
    char *buf = calloc(1, 1 << 22);
    size_t n = 0;
    for (ssize_t r; fd >= 0 && (r = read(fd, buf + n, (1 << 22) - 1 - n)) > 0;)
        n += (size_t)r;
    if (fd >= 0)
        close(fd);
    return buf;
}

Test(rt_sink, fifo_written_through)
{
    snprintf(sink_path, sizeof sink_path, "%s/fifo", dir);
    cr_assert_eq(mkfifo(sink_path, 0600), 0);
    pthread_t th;
    pthread_create(&th, NULL, fifo_reader, sink_path);
    cr_assert_eq(run_job(path_run, 0, "1"), 0);
    char *text;
    pthread_join(th, (void **)&text);
    check_lines(text);
    free(text);
    struct stat st;
    cr_assert_eq(lstat(sink_path, &st), 0);
    cr_assert(S_ISFIFO(st.st_mode), "the FIFO is still a FIFO");
    cr_assert_eq(files_in_dir(), 1, "no temporary beside it");
}

Test(rt_sink, device_written_through)
{
    snprintf(sink_path, sizeof sink_path, "%s/null", dir);
    if (mknod(sink_path, S_IFCHR | 0666, makedev(1, 3)) < 0)
        cr_skip_test("cannot make a device node here (%s)", strerror(errno));
    cr_assert_eq(run_job(path_run, 0, "1"), 0);
    struct stat st;
    cr_assert_eq(lstat(sink_path, &st), 0);
    cr_assert(S_ISCHR(st.st_mode), "the device is still a device");
    cr_assert_eq(st.st_rdev, makedev(1, 3));
    cr_assert_eq(files_in_dir(), 1);
}

Test(rt_sink, folder_refused, .init = cr_redirect_stderr)
{
    cr_assert_eq(mkdir(out_path, 0700), 0);
    snprintf(sink_path, sizeof sink_path, "%s", out_path);
    cr_assert_eq(run_job(path_run, 0, "1"), 1);
    fflush(stderr);
    char expect[256];
    snprintf(expect, sizeof expect, "flowc job: cannot create %s: it is a folder\n", out_path);
    cr_assert_stderr_eq_str(expect);
    rmdir(out_path);
    cr_assert_eq(files_in_dir(), 0);
}

/* ---- symbolic links: followed, the temporary beside the target ---- */

static char link_tmp[200];

static void link_run(fl_task *t)
{
    fl_sink *s = fl_sink_open(t, S(sink_path));
    cr_assert_eq(access(link_tmp, F_OK), 0, "the temporary %s is beside the target", link_tmp);
    write_lines(s);
    fl_sink_close(s);
}

/* Writes through the link `name` (made to point at `to`); the target is
 * dir/sub/real.txt. */
static void check_link(const char *name, const char *to)
{
    char sub[96], real[128], old[128];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(real, sizeof real, "%s/real.txt", sub);
    snprintf(sink_path, sizeof sink_path, "%s/%s", dir, name);
    snprintf(link_tmp, sizeof link_tmp, "%s.tmp-%ld", real, (long)getpid());
    snprintf(old, sizeof old, "%s/%s", dir, to);
    cr_assert_eq(symlink(to, sink_path), 0);
    cr_assert_eq(run_job(link_run, 0, "1"), 0);
    struct stat st;
    cr_assert_eq(lstat(sink_path, &st), 0);
    cr_assert(S_ISLNK(st.st_mode), "%s is still a link", sink_path);
    char *text = slurp(real);
    cr_assert_not_null(text, "the target was written");
    check_lines(text);
    free(text);
    cr_assert_neq(access(link_tmp, F_OK), 0, "no temporary left");
    unlink(real);
}

Test(rt_sink, symlink_followed)
{
    char sub[96], real[128];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(real, sizeof real, "%s/real.txt", sub);
    cr_assert_eq(mkdir(sub, 0700), 0);
    check_link("dangling", "sub/real.txt");            /* the target does not exist yet */
    FILE *f = fopen(real, "w");
    fputs("old text\n", f);
    fclose(f);
    check_link("relative", "sub/real.txt");
    f = fopen(real, "w");
    fclose(f);
    check_link("absolute", real);
    f = fopen(real, "w");
    fclose(f);
    check_link("chain", "relative");                   /* chain -> relative -> sub/real.txt */
}

/* ---- stale temporaries ---- */

static void touch(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fclose(f);
}

static int exists(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

Test(rt_sink, stale_temporaries_removed)
{
    pid_t dead = fork();                   /* a process that no longer exists */
    if (dead == 0)
        _exit(0);
    cr_assert(dead > 0);
    waitpid(dead, NULL, 0);
    char gone[64], other[64];
    snprintf(gone, sizeof gone, "out.txt.tmp-%ld", (long)dead);
    snprintf(other, sizeof other, "other.txt.tmp-%ld", (long)dead);
    const char *kept[] = {"out.txt.tmp-1", "out.txt.tmp-0123", "out.txt.tmp-12x",
                          "out.txt.tmp-", "out.txt.tmp-99999999999", other};
    touch(gone);
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
        touch(kept[i]);
    snprintf(sink_path, sizeof sink_path, "%s", out_path);
    cr_assert_eq(run_job(path_run, 0, "1"), 0);
    cr_assert_not(exists(gone), "%s is removed", gone);
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
        cr_assert(exists(kept[i]), "%s is kept (a live process, or not that form)", kept[i]);
    cr_assert(exists("out.txt"));
}
