/* fuzz_front.c - libFuzzer target for the flowc front end.
 *
 * Each input is taken as the text of a .flow file named "fuzz.flow": it is
 * copied into a NUL-terminated buffer, parsed with front_parse (which also
 * reads the modules it `use`s, from the repository's stdlib/ through
 * FLOWC_STDLIB), and checked with front_check; a program without errors
 * then goes through the back end as far as C text: its phases and loops,
 * every pass of each phase's plan, the stages, and the emitted C (to
 * /dev/null; no C compiler runs). Diagnostics go to /dev/null;
 * the fuzzer looks only for crashes, sanitizer reports, leaks and hangs.
 * front_fini releases everything after each input, so LeakSanitizer sees
 * a leak as soon as one input leaks.
 *
 * Built and run by `make fuzz` (clang -fsanitize=fuzzer,address,undefined);
 * inputs that crashed it once are kept in tests/fuzz/regress/ and replayed
 * by tests/fuzz/regress.sh. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit.h"
#include "front.h"
#include "plan.h"
#include "stage.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* The repository's stdlib/: the binary is build-fuzz/fuzz_front, so
     * the root is one folder above the binary's; else ./stdlib (make fuzz
     * runs from the root). */
    static char stdlib_dir[4096];
    char exe[4000];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    stdlib_dir[0] = 0;
    if (n > 0) {
        exe[n] = 0;
        for (int up = 0; up < 2; up++) {
            char *slash = strrchr(exe, '/');
            if (slash)
                *slash = 0;
        }
        snprintf(stdlib_dir, sizeof stdlib_dir, "%s/stdlib", exe);
    }
    if (!stdlib_dir[0] || access(stdlib_dir, R_OK) != 0) {
        char cwd[4000];
        if (getcwd(cwd, sizeof cwd))
            snprintf(stdlib_dir, sizeof stdlib_dir, "%s/stdlib", cwd);
        else
            snprintf(stdlib_dir, sizeof stdlib_dir, "stdlib");
    }
    setenv("FLOWC_STDLIB", stdlib_dir, 1);
    setenv("NO_COLOR", "1", 1);
    devnull = fopen("/dev/null", "w");
    if (!devnull)
        abort();
    /* `use "/dev/stdin"` must not wait for a terminal. */
    if (!freopen("/dev/null", "r", stdin))
        abort();
    return 0;
}

/* What flowc run does before the C compiler: plans, stages, C text. */
static void back_end(Front *f)
{
    Phases *ph = plan_phases(f->prog, &f->arena);
    Plan **plans = arena_alloc(&f->arena, sizeof *plans * (size_t)ph->nphases);
    Stages **sts = arena_alloc(&f->arena, sizeof *sts * (size_t)ph->nphases);
    for (int k = 0; k < ph->nphases; k++) {
        plans[k] = plan_build(f->prog, ph, k, &f->arena, &f->diag);
        if (!plans[k])
            return;
        sts[k] = stage_build(plans[k], &f->arena);
    }
    emit_program(devnull, f->prog, ph, plans, sts, &f->arena, &f->diag, "fuzz");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 24)
        return -1;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;

    Front f;
    front_init(&f, devnull);
    front_parse(&f, "fuzz.flow", text, (int32_t)size);
    front_check(&f);
    if (!f.diag.errors)
        back_end(&f);
    diag_summary(&f.diag);
    front_fini(&f);

    free(text);
    return 0;
}
