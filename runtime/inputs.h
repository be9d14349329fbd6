/* inputs.h - what the path of a file source (read_lines, read_csv) names
 * for one task, and the windows of whole lines it reads (inputs.c).
 *
 * One plain file is split by byte range among the tasks (lines.c, csv.c
 * take its mapping from flrt_in_single). Anything else is a list of whole
 * files, task i of n (global indexes, whatever the process) taking files
 * i, i+n, i+2n... of the sorted list: a compressed file (gzip or zstd, by
 * its magic number: zin.c), a directory (its regular files, not hidden
 * ones, not recursing) or a glob(3) pattern that names several. A plain
 * file of a list is mapped whole; a compressed one is decompressed into
 * blocks of about FLRT_IN_BLOCK bytes, each window ending after its last
 * line end (a line longer than that makes a block that holds it).
 *
 * Rows point into the windows until the end of the source's produce call
 * (fl_lines.calls, bumped by generated code at the start of each call):
 * a block or mapping left behind is only retired, and freed (unmapped) by
 * the first flrt_in_more of a later call. */
#ifndef FLRT_INPUTS_H
#define FLRT_INPUTS_H

#include "flrt_int.h"

enum { FLRT_IN_BLOCK = 1 << 20 };

typedef struct flrt_in flrt_in;

/* The inputs of task t for path (writable: plain files mapped copy-on-
 * write, what csv.c unescapes in place). NULL when the job failed (a file
 * that cannot be opened, a pattern that matches nothing: the message
 * names it). */
flrt_in *flrt_in_open(fl_task *t, fl_str path, int writable);
/* The one plain file to split by byte range, or NULL: a list of files. */
flrt_map *flrt_in_single(const flrt_in *in);
/* Blocks of this many bytes (at least 1) from now on: unit tests cut
 * windows at odd places with small ones. */
void flrt_in_set_block(flrt_in *in, fl_i64 bytes);
/* The path as given (a C string, valid until close). */
const char *flrt_in_path(const flrt_in *in);

/* The next window of the list into r->cur, r->end and r->path (the file's
 * name), keeping the bytes from keep on (a position in the current window
 * or at its end: its unread rest; a record cut by the window's end). 1: a
 * window of the same file; 2: the first window of the next file; 0: the
 * task's files are read; -1: the job failed (a corrupt or truncated file,
 * a file that went away). Never an empty window. */
int flrt_in_more(flrt_in *in, fl_lines *r, const char *keep);
/* Whether r->end is the end of the file's text (not just of a window). */
int flrt_in_final(const flrt_in *in);
void flrt_in_close(flrt_in *in);

#endif
