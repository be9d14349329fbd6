/* latency.c - the end-to-end latency of a streaming job at a fixed input rate.
 *
 *   latency RATE SECONDS JOB [ARG]...
 *
 * Listens on a free loopback port, starts JOB with ARGs and `--addr 127.0.0.1:PORT`, its
 * standard output into a pipe. When the job connects, a sender writes RATE lines a second for
 * SECONDS seconds (a tick every millisecond: the lines due by then), each line "SEQ,NS" with
 * the CLOCK_MONOTONIC time it was written; then it closes the connection (the job ends at the
 * end of its input). A reader takes the job's output lines, which must start with "SEQ,NS",
 * and records now - NS for each. Prints the count received, p50, p99, p99.9 and max in ms
 * (the first second is left out: the warm-up). Exit status 1 when lines were lost. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

typedef struct {
    int lfd;
    long long rate, seconds, sent;
} sender_arg;

static void *sender(void *p)
{
    sender_arg *a = p;
    int fd = accept(a->lfd, NULL, NULL);
    if (fd < 0) {
        perror("latency: accept");
        exit(2);
    }
    int one = 1;   /* each tick's lines go at once (Nagle would hold them for the previous ACK) */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    long long start = now_ns(), total = a->rate * a->seconds;
    char buf[1 << 16];
    while (a->sent < total) {
        long long t = now_ns(), due = (t - start) * a->rate / 1000000000LL;
        if (due > total)
            due = total;
        size_t len = 0;
        while (a->sent < due && len < sizeof buf - 64)
            len += (size_t)snprintf(buf + len, 64, "%lld,%lld\n", a->sent++, now_ns());
        if (len && write(fd, buf, len) != (ssize_t)len) {
            perror("latency: write");
            exit(2);
        }
        struct timespec tick = {0, 1000000};
        nanosleep(&tick, NULL);
    }
    close(fd);
    return NULL;
}

static int cmp(const void *x, const void *y)
{
    long long a = *(const long long *)x, b = *(const long long *)y;
    return (a > b) - (a < b);
}

static double pct(long long *v, long long n, double p)
{
    long long i = (long long)(p * (double)(n - 1));
    return n ? (double)v[i] / 1e6 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: latency RATE SECONDS JOB [ARG]...\n");
        return 2;
    }
    sender_arg a = {.rate = atoll(argv[1]), .seconds = atoll(argv[2])};
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    a.lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (a.lfd < 0 || bind(a.lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(a.lfd, 1) < 0 ||
        getsockname(a.lfd, (struct sockaddr *)&sa, &sl) < 0) {
        perror("latency: listen");
        return 2;
    }
    char addr[64];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(sa.sin_port));
    int pfd[2];
    if (pipe(pfd) < 0)
        return 2;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        char **args = calloc((size_t)argc + 2, sizeof *args);
        int k = 0;
        for (int i = 3; i < argc; i++)
            args[k++] = argv[i];
        args[k++] = "--addr";
        args[k++] = addr;
        execvp(args[0], args);
        perror(args[0]);
        _exit(127);
    }
    close(pfd[1]);
    pthread_t th;
    pthread_create(&th, NULL, sender, &a);
    long long cap = a.rate * a.seconds + 16, n = 0, got = 0, warm = a.rate;
    long long *lat = malloc((size_t)cap * sizeof *lat);
    FILE *in = fdopen(pfd[0], "r");
    char line[256];
    while (fgets(line, sizeof line, in)) {
        long long seq, ns;
        if (sscanf(line, "%lld,%lld", &seq, &ns) != 2)
            continue;
        long long t = now_ns();
        got++;
        if (seq >= warm && n < cap)
            lat[n++] = t - ns;
    }
    pthread_join(th, NULL);
    int status;
    waitpid(pid, &status, 0);
    qsort(lat, (size_t)n, sizeof *lat, cmp);
    printf("rate %lld lines/s for %lld s: %lld of %lld lines back; latency p50 %.3f ms, p99 %.3f ms, "
           "p99.9 %.3f ms, max %.3f ms\n", a.rate, a.seconds, got, a.sent, pct(lat, n, 0.5), pct(lat, n, 0.99),
           pct(lat, n, 0.999), n ? (double)lat[n - 1] / 1e6 : 0);
    return got == a.sent ? 0 : 1;
}
