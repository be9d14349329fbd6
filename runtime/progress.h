/* progress.h - the progress line on standard error (progress.c). */
#ifndef FLRT_PROGRESS_H
#define FLRT_PROGRESS_H

#include "flrt_int.h"

typedef struct flrt_progress flrt_progress;

/* mode 1: --progress, 0: --no-progress, -1: when standard error is a
 * terminal; interval_ms 0: the default. NULL when there is none. */
flrt_progress *flrt_progress_start(flrt_job *j, int mode, fl_i64 interval_ms);
/* Stops it; ok: the job succeeded (a last line is drawn when one was). */
void flrt_progress_stop(flrt_progress *p, int ok);

#endif
