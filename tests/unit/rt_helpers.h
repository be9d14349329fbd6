/* rt_helpers.h - small shared helpers of the runtime's unit tests: a string
 * slice of a C string, a temporary file holding given bytes (its path in
 * the test file's `path`), the number of files in a folder, a scratch
 * folder with files in it (compressed by the gzip and zstd tools), and the
 * lines of a text as a single pass reads them. Static inline only. */
#ifndef FLOWC_RT_TEST_HELPERS_H
#define FLOWC_RT_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowrt.h"

static inline fl_str S(const char *s) { return (fl_str){s, (fl_i64)strlen(s)}; }

/* Writes n bytes of text to a new file named from `pattern` (ending in
 * XXXXXX), whose path is left in path (at least strlen(pattern) + 1 bytes). */
static inline void write_temp(char *path, const char *pattern, const char *text, size_t n)
{
    strcpy(path, pattern);
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, n), (ssize_t)n);
    close(fd);
}

/* The entries of folder dir other than . and .. (and hidden ones). */
static inline int files_in(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    cr_assert(d != NULL, "cannot open %s", dir);
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* A fresh folder named from pattern (ending in XXXXXX) into dir, and its removal. */
static inline void temp_dir(char *dir, const char *pattern)
{
    strcpy(dir, pattern);
    cr_assert_not_null(mkdtemp(dir));
}

static inline void remove_dir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* dir/name, in one of four buffers used in turn (valid for the next three calls). */
static inline const char *path_in(const char *dir, const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static inline void put_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* dst made from src by tool ("gzip -c -n", "zstd -q -c": it reads standard input). */
static inline void pack_file(const char *tool, const char *src, const char *dst)
{
    char cmd[768];
    snprintf(cmd, sizeof cmd, "%s < '%s' > '%s'", tool, src, dst);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* The lines of text as a single pass reads them (without "\n" or "\r\n"),
 * each followed by "\x01". */
static inline char *lines_reference(const char *text, size_t n)
{
    char *out = calloc(1, 2 * n + 2);
    size_t o = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && text[i] != '\n')
            continue;
        if (i == n && start == n)
            break;
        size_t e = i > start && text[i - 1] == '\r' ? i - 1 : i;
        memcpy(out + o, text + start, e - start);
        o += e - start;
        out[o++] = '\x01';
        start = i + 1;
    }
    return out;
}

#endif
