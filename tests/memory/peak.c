/* peak.c - runs a command and prints its peak resident memory in KB (ru_maxrss from wait4) on
 * standard error, as "peak_kb N". A child's peak includes the memory of the process it was
 * forked from, so tests/memory/run.sh starts its jobs through this small program rather than
 * from python3. With -a it also samples RssAnon of /proc/PID/status every millisecond and prints
 * its peak, "peakanon_kb N": the memory the command allocates, without the pages of the files
 * it maps (bench/run.sh's memory rows). Exit status: the command's, or 127 when it cannot be
 * started. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long rss_anon(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "RssAnon: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    int anon = argc > 1 && !strcmp(argv[1], "-a");
    if (argc < 2 + anon) {
        fprintf(stderr, "usage: peak [-a] COMMAND [ARG]...\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[1 + anon], argv + 1 + anon);
        perror(argv[1 + anon]);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    long peak = 0;
    struct timespec ms = {0, 1000000};
    pid_t r = 0;
    while (pid > 0) {
        long kb = anon ? rss_anon(pid) : -1;   /* (a zombie has no RssAnon: the last sample stands) */
        if (kb > peak)
            peak = kb;
        if ((r = wait4(pid, &status, anon ? WNOHANG : 0, &ru)) != 0)
            break;
        nanosleep(&ms, NULL);
    }
    if (pid < 0 || r < 0) {
        perror("peak");
        return 127;
    }
    fprintf(stderr, "peak_kb %ld\n", ru.ru_maxrss);
    if (anon)
        fprintf(stderr, "peakanon_kb %ld\n", peak);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
