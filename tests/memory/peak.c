/* peak.c - runs a command and prints its peak resident memory in KB (ru_maxrss from wait4) on
 * standard error, as "peak_kb N". A child's peak includes the memory of the process it was
 * forked from, so tests/memory/run.sh starts its jobs through this small program rather than
 * from python3. Exit status: the command's, or 127 when it cannot be started. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: peak COMMAND [ARG]...\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
        perror("peak");
        return 127;
    }
    fprintf(stderr, "peak_kb %ld\n", ru.ru_maxrss);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
