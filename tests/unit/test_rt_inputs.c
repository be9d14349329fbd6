/* test_rt_inputs.c - what a file source's path names and the windows it
 * reads (runtime/inputs.c, through fl_lines and fl_csv): compressed files
 * read in blocks of 1 to 40 bytes give the lines of a single pass over the
 * plain text (lines cut by a block's end, \r\n cut between its bytes, a
 * last line without a line end, empty files); the lines a produce call got
 * keep their bytes until the call ends, however many blocks it used; CSV
 * records whose quotes hold line ends, "" and separators give the records
 * of the plain file when a window cuts them anywhere; header: true skips
 * the header of each file; a malformed record in a .gz names its file and
 * line. Directories (sorted, no hidden files nor subdirectories, empty),
 * glob patterns (a pattern that matches nothing fails), files spread over
 * the tasks i, i+n, ...; a truncated file in a list fails the job. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flrt_int.h"
#include "inputs.h"
#include "rt_helpers.h"

static char dir[64];

static void setup(void) { temp_dir(dir, "/tmp/flrt-in-XXXXXX"); }
static void teardown(void) { remove_dir(dir); }
static const char *at(const char *name) { return path_in(dir, name); }
static void put(const char *name, const char *data, size_t n) { put_file(at(name), data, n); }
static void pack(const char *tool, const char *name, const char *out) { pack_file(tool, at(name), at(out)); }

/* name holding text, packed by tool (through a plain file that goes again) */
static void put_packed(const char *name, const char *tool, const char *text)
{
    put("plain.tmp", text, strlen(text));
    pack(tool, "plain.tmp", name);
    unlink(at("plain.tmp"));
}

/* The lines of path for task `index` of n, `per` lines per produce call,
 * blocks of `block` bytes; each call's lines are checked again at its end
 * (their bytes must still be there). */
static char *read_lines(const char *path, int index, int n, fl_i64 block, int per)
{
    fl_task t = {.index = index, .ntasks = n};
    fl_lines r;
    cr_assert_eq(fl_lines_open(&t, &r, S(path)), 0, "open %s", path);
    if (r.in)
        flrt_in_set_block(r.in, block);
    size_t cap = 1 << 16, o = 0;
    char *out = calloc(1, cap);
    fl_str got[64];
    char *copy[64];
    for (int more = 1; more;) {
        r.calls++;
        int k = 0;
        for (; k < per && (more = fl_lines_next(&r, &got[k])); k++) {
            copy[k] = strndup(got[k].ptr, (size_t)got[k].len);
            cr_assert(o + (size_t)got[k].len + 2 < cap);
            memcpy(out + o, got[k].ptr, (size_t)got[k].len);
            o += (size_t)got[k].len;
            out[o++] = '\x01';
        }
        for (int i = 0; i < k; i++) {
            cr_assert(!memcmp(copy[i], got[i].ptr, (size_t)got[i].len), "line %d of a call changed under it", i);
            free(copy[i]);
        }
    }
    fl_lines_close(&r);
    return out;
}

/* text as name.gz and name.zst: their lines, whatever the block size and
 * the lines per call, are those of a single pass over text. */
static void lines_of(const char *text)
{
    size_t n = strlen(text);
    put("t", text, n);
    pack("gzip -c -n", "t", "t.gz");
    pack("zstd -q -c", "t", "t.zst");
    char *ref = lines_reference(text, n);
    static const char *files[] = {"t.gz", "t.zst"};
    static const int pers[] = {1, 3, 64};
    for (int f = 0; f < 2; f++)
        for (fl_i64 b = 1; b <= 40; b++)
            for (int p = 0; p < 3; p++) {
                char *got = read_lines(at(files[f]), 0, 1, b, pers[p]);
                cr_assert_str_eq(got, ref, "%s, blocks of %lld, %d lines a call, text \"%s\"", files[f], (long long)b,
                                 pers[p], text);
                free(got);
            }
    free(ref);
}

TestSuite(rt_inputs, .init = setup, .fini = teardown);

Test(rt_inputs, lines_across_blocks)
{
    lines_of("");
    lines_of("a");
    lines_of("a\n");
    lines_of("\n\n\n");
    lines_of("ab\r\ncd\r\n");
    lines_of("x\r\n\r\ny");
    lines_of("\r");
    lines_of("the last line has no line end\nit is this one");
    lines_of("short\na line longer than any block of these tests: forty bytes and more\nz\n");
    lines_of("a\nbb\nccc\ndddd\neeeee\nffffff\nggggggg\nhhhhhhhh\r\n");
}

Test(rt_inputs, random_texts)
{
    srand(5);
    const char alphabet[] = "ab\n\r\n";
    for (int f = 0; f < 40; f++) {
        char text[200];
        size_t n = (size_t)(rand() % 190);
        for (size_t i = 0; i < n; i++)
            text[i] = alphabet[rand() % 5];
        text[n] = 0;
        lines_of(text);
    }
}

/* A call reading many lines keeps them all while its blocks come and go. */
Test(rt_inputs, a_call_keeps_its_lines)
{
    char text[20000];
    size_t o = 0;
    for (int i = 0; o < sizeof text - 40; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "line %d %.*s\n", i, i % 23, "abcdefghijklmnopqrstuvwxyz");
    put("t", text, o);
    pack("gzip -c -n", "t", "t.gz");
    char *ref = lines_reference(text, o);
    for (fl_i64 b = 7; b <= 4096; b *= 3) {
        char *got = read_lines(at("t.gz"), 0, 1, b, 64);
        cr_assert_str_eq(got, ref, "blocks of %lld", (long long)b);
        free(got);
    }
    free(ref);
}

/* ---- CSV ---- */

/* Every record of path read by one task, "line:f1|f2|...\n" (header: skip each file's first). */
static char *read_csv(const char *path, fl_i64 block, int header)
{
    fl_task t = {.index = 0, .ntasks = 1};
    fl_csv c;
    cr_assert_eq(fl_csv_open(&t, &c, S(path), S(","), header, 0), 0);
    if (c.lines.in)
        flrt_in_set_block(c.lines.in, block);
    size_t cap = 1 << 16, o = 0;
    char *out = calloc(1, cap);
    fl_str f[8];
    fl_i64 stamp = 0;
    for (int nf; (c.lines.calls++, nf = fl_csv_next_fast(&c, f, 8)) >= 0;) {
        cr_assert_gt(c.line_base + c.record_line, stamp, "the test clock's time grows from file to file");
        stamp = c.line_base + c.record_line;
        o += (size_t)snprintf(out + o, cap - o, "%lld:", (long long)c.record_line);
        for (int k = 0; k < nf && k < 8; k++)
            o += (size_t)snprintf(out + o, cap - o, "%s%.*s", k ? "|" : "", (int)f[k].len, f[k].ptr);
        o += (size_t)snprintf(out + o, cap - o, "\n");
        cr_assert(o < cap - 100);
    }
    fl_csv_close(&c);
    return out;
}

static void records_of(const char *text)
{
    put("t.csv", text, strlen(text));
    pack("gzip -c -n", "t.csv", "t.csv.gz");
    char *ref = read_csv(at("t.csv"), 0, 1);
    for (fl_i64 b = 1; b <= 50; b++) {
        char *got = read_csv(at("t.csv.gz"), b, 1);
        cr_assert_str_eq(got, ref, "blocks of %lld: \"%s\"", (long long)b, text);
        free(got);
    }
    free(ref);
}

Test(rt_inputs, csv_quotes_across_blocks)
{
    records_of("h1,h2\na,b\n");
    records_of("h1,h2\n\"multi\nline\nfield\",2\n\"x\"\"y\",\"\"\"\"\nlast,\"no end\"");
    records_of("h\n\"a\r\nb\"\r\n\r\n\n\"c,d\"\n");
    records_of("h,i\n\"one \"\"quoted\"\" word, and\na line end\",\"\n\"\n3,4\n");
    records_of("h\n\"\"\n\"\"\"\"\n\"\n\n\"\n");
}

Test(rt_inputs, csv_random_quoted)
{
    srand(9);
    static const char *cells[] = {"a", "\"b,c\"", "\"d\ne\"", "\"f\"\"g\"", "", "\"\"", "hij"};
    for (int f = 0; f < 30; f++) {
        char text[400] = "h1,h2\n";
        for (int r = 0; r < 8; r++) {
            strcat(text, cells[rand() % 7]);
            strcat(text, ",");
            strcat(text, cells[rand() % 7]);
            strcat(text, rand() % 2 ? "\n" : "\r\n");
        }
        records_of(text);
    }
}

Test(rt_inputs, csv_header_of_each_file)
{
    mkdir(at("d"), 0755);
    put("d/1.csv", "id,n\n1,a\n2,b\n", 13);
    put_packed("d/2.csv.gz", "gzip -c -n", "id,n\n3,c\n");
    put_packed("d/3.csv.zst", "zstd -q -c", "id,n\n");
    put("d/4.csv", "id,n\n4,\"d\ne\"\n", 13);
    char *got = read_csv(at("d"), 3, 1);
    cr_assert_str_eq(got, "2:1|a\n3:2|b\n2:3|c\n2:4|d\ne\n");
    free(got);
    got = read_csv(at("d"), 3, 0);
    cr_assert_str_eq(got, "1:id|n\n2:1|a\n3:2|b\n1:id|n\n2:3|c\n1:id|n\n1:id|n\n2:4|d\ne\n");
    free(got);
}

Test(rt_inputs, csv_error_names_the_file, .init = cr_redirect_stderr)
{
    put("t.csv", "a,b\n1,2\n3,\"4\n", 13);
    pack("gzip -c -n", "t.csv", "t.csv.gz");
    char *got = read_csv(at("t.csv.gz"), 4, 1);
    fflush(stderr);
    char want[256];
    snprintf(want, sizeof want, "flowc job: %s:3: malformed CSV record: a quoted field has no closing quote\n",
             at("t.csv.gz"));
    cr_assert_stderr_eq_str(want);
    cr_assert_str_eq(got, "2:1|2\n");
    free(got);
}

/* ---- directories, patterns, and the tasks' files ---- */

static void make_folder(void)
{
    mkdir(at("d"), 0755);
    mkdir(at("d/sub"), 0755);
    put("d/sub/x", "never\n", 6);
    put("d/.hidden", "never\n", 6);
    put("d/b.txt", "b1\nb2\n", 6);
    put("d/a", "a1\r\na2", 6);
    put_packed("d/c.gz", "gzip -c -n", "c1\n");
    put_packed("d/e.zst", "zstd -q -c", "");
    put_packed("d/f.zst", "zstd -q -c", "f1\nf2\n");
    put("d/g.txt", "", 0);
}

Test(rt_inputs, folders)
{
    make_folder();
    /* sorted: a b.txt c.gz e.zst f.zst g.txt */
    char *got = read_lines(at("d"), 0, 1, 1 << 20, 64);
    cr_assert_str_eq(got, "a1\x01" "a2\x01" "b1\x01" "b2\x01" "c1\x01" "f1\x01" "f2\x01");
    free(got);
    got = read_lines(at("d/"), 0, 1, 5, 2);
    cr_assert_str_eq(got, "a1\x01" "a2\x01" "b1\x01" "b2\x01" "c1\x01" "f1\x01" "f2\x01", "with a slash");
    free(got);
    static const char *per_task[] = {"a1\x01" "a2\x01", "b1\x01" "b2\x01" "f1\x01" "f2\x01", "c1\x01"};
    for (int i = 0; i < 3; i++) {   /* task i: files i and i + 3 */
        got = read_lines(at("d"), i, 3, 4, 3);
        cr_assert_str_eq(got, per_task[i], "task %d of 3", i);
        free(got);
    }
    got = read_lines(at("d"), 7, 8, 4, 3);
    cr_assert_str_eq(got, "", "task 7 of 8 has no file");
    free(got);
    mkdir(at("empty"), 0755);
    got = read_lines(at("empty"), 0, 1, 4, 3);
    cr_assert_str_eq(got, "", "an empty folder: no lines");
    free(got);
}

Test(rt_inputs, patterns, .init = cr_redirect_stderr)
{
    make_folder();
    char *got = read_lines(at("d/*.*"), 0, 1, 16, 64);
    cr_assert_str_eq(got, "b1\x01" "b2\x01" "c1\x01" "f1\x01" "f2\x01");
    free(got);
    got = read_lines(at("d/[ab]*"), 0, 1, 16, 64);
    cr_assert_str_eq(got, "a1\x01" "a2\x01" "b1\x01" "b2\x01");
    free(got);
    got = read_lines(at("d/c.g?"), 0, 1, 2, 1);
    cr_assert_str_eq(got, "c1\x01", "one compressed file");
    free(got);
    fl_task t = {.index = 0, .ntasks = 1};
    fl_lines r;
    cr_assert_eq(fl_lines_open(&t, &r, S(at("d/*.csv"))), -1);
    fflush(stderr);
    char want[256];
    snprintf(want, sizeof want, "flowc job: no file matches %s\n", at("d/*.csv"));
    cr_assert_stderr_eq_str(want);
}

Test(rt_inputs, a_plain_file_alone_is_split)
{
    put("p.txt", "1\n2\n3\n4\n", 8);
    char *a = read_lines(at("p*"), 0, 2, 4, 64), *b = read_lines(at("p*"), 1, 2, 4, 64);
    cr_assert_str_eq(a, "1\x01" "2\x01");
    cr_assert_str_eq(b, "3\x01" "4\x01");
    free(a);
    free(b);
    pack("gzip -c -n", "p.txt", "p.gz");
    a = read_lines(at("p.gz"), 0, 2, 4, 64);
    b = read_lines(at("p.gz"), 1, 2, 4, 64);
    cr_assert_str_eq(a, "1\x01" "2\x01" "3\x01" "4\x01", "a compressed file goes whole to task 0");
    cr_assert_str_eq(b, "");
    free(a);
    free(b);
}

Test(rt_inputs, truncated_in_a_list, .init = cr_redirect_stderr)
{
    mkdir(at("d"), 0755);
    put("d/a", "a1\n", 3);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "seq 1 100000 | gzip -c | head -c 20000 > '%s'", at("d/b.gz"));
    cr_assert_eq(system(cmd), 0);
    fl_task t = {.index = 0, .ntasks = 1};
    fl_lines r;
    cr_assert_eq(fl_lines_open(&t, &r, S(at("d"))), 0);
    fl_str l;
    fl_i64 n = 0;
    while (fl_lines_next(&r, &l))
        n++;
    cr_assert(n >= 1 && n < 100001, "%lld lines", (long long)n);
    cr_assert(fl_stopping(), "the job failed");
    fl_lines_close(&r);
    fflush(stderr);
    char want[256];
    snprintf(want, sizeof want, "flowc job: %s: truncated gzip member: the file ends at byte 20000, inside the "
             "member that starts at byte 0\n", at("d/b.gz"));
    cr_assert_stderr_eq_str(want);
}
