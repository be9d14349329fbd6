/* monitor.h - the monitor of a running job (monitor.c): a web page and a
 * JSON API served by process 0 with libmicrohttpd, loaded with dlopen only
 * when --monitor is given (a job binary links nothing for it). */
#ifndef FLRT_MONITOR_H
#define FLRT_MONITOR_H

#include "flrt_int.h"

typedef struct flrt_monitor flrt_monitor;

/* Serves on where ("[ADDR:]PORT"; localhost unless ADDR). Off localhost a
 * token is required: `token`, or one made and printed. Prints the address
 * it serves at on standard error. NULL (and the job failed, with why)
 * when it cannot. */
flrt_monitor *flrt_monitor_start(flrt_job *j, const char *where, const char *token);
/* After the job: serves linger_ms more (the final stats), then stops. */
void flrt_monitor_stop(flrt_monitor *m, fl_i64 linger_ms);

/* monitor_page.c: the page (HTML with its script; it draws the plan from /api/stages) */
extern const char flrt_monitor_page[];

#endif
