/* net.h - the processes of a job talking over TCP (net.c): the rendezvous
 * that connects every pair of processes once, and the frames that carry
 * batches, END, credits, heartbeats, BYE and FAIL between them. */
#ifndef FLRT_NET_H
#define FLRT_NET_H

#include <stddef.h>

#include "flrt_int.h"

typedef struct flrt_net_opts {
    int rank, nprocs;
    const char *leader_host; /* where rank 0 listens */
    int leader_port;
    int listen_fd;           /* rank 0: its listening socket, or -1 to make one */
    const char *bind_host;   /* the others: where they listen (NULL: every address) */
    int port;                /* and on which port (0: any) */
    const char *secret;
    fl_u64 fingerprint;
    fl_u64 args;             /* a hash of the job's own arguments */
    const char *version;     /* flowc's, for messages */
    /* rank 0, while waiting for the others: -1 (with a message) when a
     * process it started has already ended */
    int (*check)(void *arg, char *msg, size_t len);
    void *check_arg;
} flrt_net_opts;

/* Connects this process with every other one (rank 0 waits for them all,
 * then tells each where the others listen). Fills j->procs, j->nprocs and
 * j->net, and takes rank 0's rows per batch. 0, or -1 with the job failed. */
int flrt_net_start(flrt_job *j, const flrt_net_opts *o);
/* Starts reading from the other processes (once this one's tasks exist). */
void flrt_net_go(flrt_job *j);
/* A socket listening on host:port (host NULL: every address; port 0: any);
 * the port it got in *bound. -1 with a message in err. */
int flrt_net_listen(const char *host, int port, int *bound, char *err, size_t errlen);

/* Serializes batch b of edge e and sends it to port p's task, waiting for
 * a credit first. */
void flrt_net_send_batch(flrt_task *t, flrt_edge *e, flrt_port *p, fl_batch *b);
void flrt_net_send_end(flrt_task *t, flrt_edge *e, flrt_port *p);
/* A watermark (or FL_WM_IDLE) for a remote task, after what was sent before it. */
void flrt_net_send_watermark(flrt_task *t, flrt_edge *e, flrt_port *p, fl_i64 wm);
/* Gives a credit back to task src (in process proc) for input `input` of dst. */
void flrt_net_credit(flrt_job *j, int proc, int src, int dst, int input);
/* Tells every other process that this one failed. */
void flrt_net_fail(flrt_job *j, const char *msg);
/* After the local tasks: BYE to every process and wait for theirs (or a
 * failure), then close. 0 when every process succeeded. */
int flrt_net_finish(flrt_job *j);
/* Phase run p's tasks are built here (runs are numbered in order, a loop's
 * phase once per round): tells the others, and waits until every process
 * has said the same (so no batch of run p reaches a process before its
 * tasks exist). */
void flrt_net_barrier(flrt_job *j, int p);
/* Process 0: the value of phase run p, to every other process. */
void flrt_net_send_values(flrt_job *j, int p, const char *bytes, fl_i64 len);
/* The others: waits for the value of phase run p; 0 with the bytes in
 * *out, or -1 when the job failed. */
int flrt_net_wait_values(flrt_job *j, int p, fl_buf *out);
/* Wakes what waits for the others (the job is failing). */
void flrt_net_wake(flrt_job *j);
/* Bytes sent and received in frames so far. */
void flrt_net_bytes(const flrt_job *j, fl_i64 *sent, fl_i64 *received);

#endif
