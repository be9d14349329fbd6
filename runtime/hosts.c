/* hosts.c - `./job --hosts FILE`: see hosts.h. (Being written.) */
#include <stdio.h>

#include "hosts.h"

int flrt_hosts_start(const fl_job_def *job, const flrt_dist_args *a, int *threads, int argc, char **argv,
                     flrt_dist *d)
{
    (void)job, (void)threads, (void)argc, (void)argv, (void)d;
    fprintf(stderr, "flowc job: --hosts %s: not available in this build yet\n", a->hosts);
    return 2;
}

void flrt_hosts_finish(flrt_dist *d) { (void)d; }
