/* hosts.h - `./job --hosts FILE` (hosts.c): the job's binary copied to the
 * hosts of a cluster file over ssh and started there, one rank per host,
 * with this process as rank 0. The cluster file's format is in hosts.c's
 * opening comment and docs/runtime.md. */
#ifndef FLRT_HOSTS_H
#define FLRT_HOSTS_H

#include "launch.h"

/* Reads the cluster file a->hosts, checks each host (`JOB --version` over
 * ssh), copies the binary where it is missing, and starts the ranks there;
 * fills d (d->net, d->leader_host, d->secret, d->kids). 0, or an exit
 * status (2: a bad cluster file, 1: a host cannot run the job). */
int flrt_hosts_start(const fl_job_def *job, const flrt_dist_args *a, int *threads, int argc, char **argv,
                     flrt_dist *d);
/* Ends what flrt_hosts_start left running (the relay of the ranks' output)
 * and closes the ranks' standard input, which stops any still running;
 * flrt_dist_wait calls it after waiting for the ssh clients. Does nothing
 * when --hosts was not used. */
void flrt_hosts_finish(flrt_dist *d);

#endif
