/* diag.h - source files, locations and diagnostics in GCC's format. */
#ifndef FLOWC_DIAG_H
#define FLOWC_DIAG_H

#include <stdint.h>
#include <stdio.h>

/* A range of bytes [start, end) in source file `file` (an index into the
 * Diag's table; -1 means "no location"). Line and column are computed only
 * when a message is printed. */
typedef struct Loc {
    int32_t file, start, end;
} Loc;

typedef struct Source {
    char *path;
    char *text;        /* NUL-terminated copy of the file */
    int32_t len;
    int32_t *lines;    /* byte offset of the start of each line */
    int32_t nlines;
} Source;

typedef struct Diag {
    Source **files;
    int nfiles, cap;
    int errors, warnings;
    int max_errors;    /* stop printing errors after this many (0: no limit) */
    int suppressed;    /* errors not printed because of max_errors */
    int downgrade;     /* report errors as warnings (flowc check asking the back end) */
    int color;
    FILE *out;
} Diag;

void diag_init(Diag *d, FILE *out);
void diag_fini(Diag *d);

/* Adds a source from memory (the text is copied); returns its file index. */
int diag_add_source(Diag *d, const char *path, const char *text, int32_t len);
/* Reads a file; on failure reports an error at `from` and returns -1. */
int diag_load_file(Diag *d, const char *path, Loc from);
Source *diag_source(Diag *d, int file);

void diag_linecol(Diag *d, Loc loc, int *line, int *col);
Loc loc_span(Loc a, Loc b);   /* from the start of a to the end of b */

void diag_error(Diag *d, Loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_warning(Diag *d, Loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_note(Diag *d, Loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints "flowc: N errors, M warnings" when there was any. */
void diag_summary(Diag *d);

/* Edit distance, for "did you mean" suggestions. */
int diag_edit_distance(const char *a, const char *b);
/* The candidate closest to `name`, or NULL when none is close enough. */
const char *diag_closest(const char *name, const char *const *cands, int n);

#endif
