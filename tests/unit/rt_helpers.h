/* rt_helpers.h - small shared helpers of the runtime's unit tests: a string
 * slice of a C string, a temporary file holding given bytes (its path in
 * the test file's `path`), and the number of files in a folder. Static
 * inline only. */
#ifndef FLOWC_RT_TEST_HELPERS_H
#define FLOWC_RT_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <dirent.h>
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

#endif
