/* test_rt_sink.c - sinks (runtime/sink.c) inside whole jobs: a file sink
 * writes PATH.tmp-PID and is renamed to PATH when the job succeeds (also
 * when the task forgot to close it); a failed job leaves neither the file
 * nor the temporary; errors name the path; "-" writes to standard output,
 * whole lines even from several tasks. Temporary folders under /tmp. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

TestSuite(rt_sink, .init = setup, .fini = teardown);

static int files_in_dir(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

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
    fl_stage_def st[] = {{"write", parallel, fn, 0, NULL}};
    fl_job_def j = {"sinkjob", 1, st, 0, NULL, NULL};
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
