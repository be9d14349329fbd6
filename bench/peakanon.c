/* peakanon.c - runs a command and prints its peak anonymous memory (RssAnon of
 * /proc/PID/status, sampled every millisecond: the memory a job allocates, without the
 * pages of the files it maps) in KB on standard error, as "peakanon_kb N".
 * Exit status: the command's, or 127 when it cannot be started. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
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
    if (argc < 2) {
        fprintf(stderr, "usage: peakanon COMMAND [ARG]...\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    if (pid < 0) {
        perror("peakanon");
        return 127;
    }
    long peak = 0;
    int status = 0;
    struct timespec ms = {0, 1000000};
    for (;;) {
        long kb = rss_anon(pid);   /* (a zombie has no RssAnon: the last sample stands) */
        if (kb > peak)
            peak = kb;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || r < 0)
            break;
        nanosleep(&ms, NULL);
    }
    fprintf(stderr, "peakanon_kb %ld\n", peak);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
