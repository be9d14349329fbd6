/* cc.c - `flowc build`: writes the generated C and the runtime headers
 * into a temporary folder, runs `cc -O2` (or -O3 -march=native) on it with
 * libflowrt.a, and removes the folder. A compiler error on generated code
 * is a flowc bug: the folder is kept and named in the report. */
#define _GNU_SOURCE
#include "cc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "front.h"
#include "jit.h"

const char *cc_lib_dir(void)
{
    static const char *rel[] = {"", "/../lib/flowc"};
    const char *dir = front_beside_exe(rel, 2, "libflowrt.a");
    return dir ? dir : ".";
}

static int cc_write(const char *dir, const char *name, const char *text)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static int cc_run(char **argv)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        perror("flowc: cannot run cc");
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void cc_cleanup(const char *dir)
{
    static const char *files[] = {"job.c", "flowrt.h", "flowgen.h"};
    char path[PATH_MAX];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

int cc_build(const char *csrc, const CcOpts *o)
{
    char dir[] = "/tmp/flowc-build-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("flowc: cannot make a temporary folder");
        return -1;
    }
    if (cc_write(dir, "job.c", csrc) || cc_write(dir, "flowrt.h", jit_flowrt_h) ||
        cc_write(dir, "flowgen.h", jit_flowgen_h)) {
        fprintf(stderr, "flowc: cannot write into %s\n", dir);
        cc_cleanup(dir);
        return -1;
    }
    if (o->keep_c)
        cc_write(".", o->keep_c, csrc);
    char src[PATH_MAX], lib[PATH_MAX + 32];
    snprintf(src, sizeof src, "%s/job.c", dir);
    snprintf(lib, sizeof lib, "%s/libflowrt.a", cc_lib_dir());
    const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
#ifdef FLOWC_SANITIZE  /* a sanitized flowc links a sanitized runtime: so are its jobs */
    char *san = "-fsanitize=address,undefined";
#else
    char *san = "-w";
#endif
    char *argv[] = {(char *)cc, "-std=c99", "-DFL_NATIVE", (char *)(o->opt3 ? "-O3" : "-O2"), (char *)(o->opt3 ? "-march=native" : "-g0"),
                    "-w", san, "-o", (char *)o->out, src, lib, "-lxxhash", "-lpthread", "-lm", NULL};
    int rc = cc_run(argv);
    if (rc != 0) {
        fprintf(stderr, "flowc: internal error: %s failed on the generated code (a flowc bug; please report "
                        "it with %s)\n", cc, src);
        return -1;
    }
    cc_cleanup(dir);
    return 0;
}
