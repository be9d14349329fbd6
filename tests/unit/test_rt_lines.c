/* test_rt_lines.c - the line source (runtime/lines.c): every split of a
 * file into 1..8 task shares gives, task after task, exactly the lines of a
 * straightforward single pass (no line lost or doubled), for awkward files:
 * lines longer than a share, no final line end, \r\n, empty lines, an empty
 * file, and random files. Also fl_split_range, the open errors, and a file
 * truncated while a job reads it (SIGBUS: a message naming the file, exit
 * status 1, no output nor temporary left). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flrt_int.h"
#include "rt_helpers.h"

static char path[64];

static void write_file(const char *text, size_t n) { write_temp(path, "/tmp/flrt-lines-XXXXXX", text, n); }

/* The lines read by tasks 0..n-1 in order, joined the same way. */
static char *split(int ntasks, size_t size)
{
    char *out = calloc(1, 2 * size + 2);
    size_t o = 0;
    for (int i = 0; i < ntasks; i++) {
        fl_task t = {.index = i, .ntasks = ntasks};
        fl_lines r;
        cr_assert_eq(fl_lines_open(&t, &r, S(path)), 0);
        for (fl_str l; fl_lines_next(&r, &l);) {
            memcpy(out + o, l.ptr, (size_t)l.len);
            o += (size_t)l.len;
            out[o++] = '\x01';
        }
        fl_lines_close(&r);
    }
    return out;
}

static void check_text(const char *text, size_t n)
{
    write_file(text, n);
    char *ref = lines_reference(text, n);
    for (int k = 1; k <= 8; k++) {
        char *got = split(k, n);
        cr_assert_str_eq(got, ref, "%d tasks on \"%s\"", k, text);
        free(got);
    }
    free(ref);
    unlink(path);
}

static void check(const char *text) { check_text(text, strlen(text)); }

Test(rt_lines, awkward_files)
{
    check("");
    check("\n");
    check("\n\n\n");
    check("a");
    check("a\n");
    check("a\nb");
    check("a\nb\n");
    check("ab\r\ncd\r\n");
    check("x\r\n\r\ny");
    check("\r");
    check("a\r\n\r\n\r\n");
    check("one short\na line much longer than any share of this small file, by far\nz\n");
    check("a\nbb\nccc\ndddd\neeeee\nffffff\nggggggg\nhhhhhhhh");
    check("0123456789012345678901234567890123456789");
    check("\nx\n\ny\n\n");
}

Test(rt_lines, random_files)
{
    srand(7);
    const char alphabet[] = "ab\n\r\n";
    for (int f = 0; f < 300; f++) {
        size_t n = (size_t)(rand() % 60);
        char text[64];
        for (size_t i = 0; i < n; i++)
            text[i] = alphabet[rand() % 5];
        text[n] = 0;
        check_text(text, n);
    }
}

Test(rt_lines, missing_file, .init = cr_redirect_stderr)
{
    fl_task t = {.index = 0, .ntasks = 1};
    fl_lines r;
    cr_assert_eq(fl_lines_open(&t, &r, S("/tmp/flrt-no-such-file")), -1);
    fl_str l;
    cr_assert_eq(fl_lines_next(&r, &l), 0, "a failed open reads nothing");
    cr_assert(fl_stopping(), "and fails the job");
    fl_lines_close(&r);
    fflush(stderr);
    cr_assert_stderr_eq_str("flowc job: cannot open /tmp/flrt-no-such-file: No such file or "
                            "directory\n");
}

Test(rt_lines, not_a_regular_file, .init = cr_redirect_stderr)
{
    fl_task t = {.index = 0, .ntasks = 1};
    fl_lines r;
    cr_assert_eq(fl_lines_open(&t, &r, S("/dev/null")), -1);
    fflush(stderr);
    cr_assert_stderr_eq_str("flowc job: cannot open /dev/null: not a regular file\n");
}

Test(rt_lines, path_is_a_slice)
{
    write_file("x\ny\n", 4);
    char buf[80];
    snprintf(buf, sizeof buf, "%sGARBAGE", path);
    fl_task t = {.index = 0, .ntasks = 1};
    fl_lines r;
    cr_assert_eq(fl_lines_open(&t, &r, (fl_str){buf, (fl_i64)strlen(path)}), 0);
    cr_assert_str_eq(r.path, path);
    fl_lines_close(&r);
    unlink(path);
}

Test(rt_lines, split_range)
{
    for (int n = 1; n <= 9; n++)
        for (fl_i64 len = 0; len < 40; len++) {
            fl_i64 prev = 5;
            for (int i = 0; i < n; i++) {
                fl_task t = {.index = i, .ntasks = n};
                fl_i64 lo, hi;
                fl_split_range(&t, 5, 5 + len, &lo, &hi);
                cr_assert_eq(lo, prev, "shares are contiguous");
                cr_assert(hi >= lo);
                cr_assert(hi - lo <= len / n + 1, "and balanced");
                prev = hi;
            }
            cr_assert_eq(prev, 5 + len, "and cover the range");
        }
    fl_task t = {.index = 3, .ntasks = 4};
    fl_i64 lo, hi;
    fl_split_range(&t, INT64_MIN, INT64_MAX, &lo, &hi);
    cr_assert_eq(hi, INT64_MAX);
    cr_assert(lo > 0 && lo < INT64_MAX);
    fl_split_range(&t, 10, 3, &lo, &hi);
    cr_assert_eq(lo, hi, "an empty range gives empty shares");
    t.index = 0;
    fl_split_range(&t, -10, -2, &lo, &hi);
    cr_assert_eq(lo, -10);
    cr_assert_eq(hi, -8);
}

/* ---- a file truncated while a job reads it ---- */

static char trunc_dir[64], trunc_out[128];

/* Reads the first line, truncates the file, reads on: SIGBUS. */
static void truncating_run(fl_task *t)
{
    fl_sink *s = fl_sink_open(t, S(trunc_out));
    fl_lines r;
    if (fl_lines_open(t, &r, S(path)) < 0)
        _exit(5);
    fl_str l;
    if (!fl_lines_next(&r, &l))
        _exit(7);
    fl_sink_write(s, l.ptr, l.len);
    if (truncate(path, 0) < 0)
        _exit(6);
    while (fl_lines_next(&r, &l))
        fl_sink_write(s, l.ptr, l.len);
    fl_lines_close(&r);
    fl_sink_close(s);
}

/* The child: the job with the handlers installed, stderr into err. */
static void truncating_child(const char *err)
{
    int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    flrt_signals_install();
    fl_stage_def st[] = {{"read", 0, truncating_run, 0, NULL, 0, 0, 0, 0, 0, 0}};
    fl_job_def j = {.name = "truncjob", .nstages = 1, .stages = st};
    char *argv[] = {"job", "--threads", "1", NULL};
    _exit(fl_main(&j, 3, argv));
}

Test(rt_lines, truncated_while_read)
{
    alarm(20);
    size_t n = 1 << 20;
    char *text = malloc(n);
    for (size_t i = 0; i < n; i++)
        text[i] = i % 64 == 63 ? '\n' : 'a' + (char)(i % 26);
    write_file(text, n);
    free(text);
    strcpy(trunc_dir, "/tmp/flrt-trunc-XXXXXX");
    cr_assert_not_null(mkdtemp(trunc_dir));
    snprintf(trunc_out, sizeof trunc_out, "%s/out.txt", trunc_dir);
    char err[96], tmp[160];
    snprintf(err, sizeof err, "%s.err", trunc_dir);
    pid_t pid = fork();
    if (pid == 0)
        truncating_child(err);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", trunc_out, (long)pid);
    int out_left = access(trunc_out, F_OK) == 0, tmp_left = access(tmp, F_OK) == 0;
    unlink(tmp);
    unlink(trunc_out);
    rmdir(trunc_dir);
    unlink(path);
    FILE *f = fopen(err, "r");
    char msg[256] = {0}, expect[256];
    msg[fread(msg, 1, sizeof msg - 1, f)] = 0;
    fclose(f);
    unlink(err);
    cr_assert(WIFEXITED(st), "no crash (status %#x)", st);
    cr_assert_eq(WEXITSTATUS(st), 1);
    snprintf(expect, sizeof expect, "flowc job: %s changed size while it was being read\n", path);
    cr_assert_str_eq(msg, expect);
    cr_assert_not(out_left, "no output committed");
    cr_assert_not(tmp_left, "the temporary is removed");
}
