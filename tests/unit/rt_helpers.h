/* rt_helpers.h - small shared helpers of the runtime's unit tests: a string
 * slice of a C string, and a temporary file holding given bytes (its path
 * in the test file's `path`). Static inline only. */
#ifndef FLOWC_RT_TEST_HELPERS_H
#define FLOWC_RT_TEST_HELPERS_H

#include <criterion/criterion.h>
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

#endif
