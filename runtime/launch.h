/* launch.h - how a job's process takes part in the job (launch.c): alone,
 * as the launcher and rank 0 of `--procs N` or `--hosts FILE`, or as one
 * rank started by a launcher (ours, mpirun, srun). */
#ifndef FLRT_LAUNCH_H
#define FLRT_LAUNCH_H

#include <sys/types.h>

#include "net.h"

typedef struct flrt_dist_args {   /* from the command line */
    int procs;               /* --procs N (0: not given) */
    const char *hosts;       /* --hosts FILE */
    int rank, nprocs;        /* --rank R --nprocs N (-1: not given) */
    const char *leader;      /* --leader HOST:PORT */
    const char *secret_file; /* --secret-file PATH ("-": standard input) */
    const char *bind;        /* --bind ADDR: where this process listens */
    int port;                /* --port P: and on which port */
    int threads_given;       /* --threads was given */
} flrt_dist_args;

typedef struct flrt_dist {
    int active;              /* the job runs in several processes */
    flrt_net_opts net;
    char leader_host[256];
    char secret[256];
    pid_t *kids;             /* processes this one started (local ranks, ssh) */
    int *kid_rank;
    int nkids;
} flrt_dist;

/* Decides how this process takes part and starts the others when it
 * launches them; *threads may be changed (--procs divides the cores).
 * Returns 0 to run the job, or an exit status (2: bad command line, 1:
 * could not start). */
int flrt_dist_start(const fl_job_def *job, const flrt_dist_args *a, int *threads, int argc, char **argv,
                    flrt_dist *d);
/* After the job: waits for the processes it started (stopping them when
 * the job failed, or when they outlive it by 10 s). ok: the job succeeded
 * here; returns whether it succeeded everywhere. */
int flrt_dist_wait(flrt_dist *d, int ok);
/* Forwards a signal to the processes started (async-signal-safe). */
void flrt_dist_signal(int sig);

#endif
