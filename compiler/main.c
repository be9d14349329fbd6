/* main.c - the flowc command line: a flat list of passes per command.
 * check: parse and type-check (--dump-ast, --dump-types show the passes);
 * plan: the logical plan and its stages (--dot for Graphviz); emit: the
 * generated C; run: compile in memory with libtcc and run; build: compile
 * with cc into a native binary. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ast.h"
#include "cc.h"
#include "emit.h"
#include "front.h"
#include "jit.h"
#include "ops.h"
#include "plan.h"
#include "sema.h"
#include "stage.h"

static void usage(FILE *out)
{
    fputs("usage: flowc COMMAND [OPTIONS] FILE...\n"
          "\n"
          "commands:\n"
          "  check FILE...       parse and type-check .flow files; report every error found\n"
          "      --dump-ast      print the syntax tree of each file\n"
          "      --dump-types    print the typed program (every expression with its type)\n"
          "  run FILE [--PARAM VALUE] [--threads N]\n"
          "                      compile in memory with libtcc and run the job; when it still\n"
          "                      runs after a while, move it to the same code compiled natively\n"
          "      --no-tier       stay on tcc's code (also FLOWC_TIER=off)\n"
          "      --tier-after MS compile with cc when the job still runs after MS ms (200)\n"
          "      --tier-at N     every task moves before its call N, waiting for cc (tests)\n"
          "      --tier-log      say on stderr when the job moves\n"
          "      --no-cache      do not keep nor reuse native code in $XDG_CACHE_HOME/flowc\n"
          "      --cc COMPILER   the C compiler of the native code (as for build)\n"
          "  build FILE -o OUT [-O3] [--cc COMPILER]\n"
          "                      compile with the C compiler (-O2; -O3 -march=native) into a\n"
          "                      native binary; the compiler: --cc, else $CC, else clang when\n"
          "                      it is installed, else cc\n"
          "  plan [--dot] FILE   print the logical plan and the stages (or a Graphviz graph)\n"
          "      --dump PASS     print the plan after PASS: build, prune, lower, scopes or stages\n"
          "  emit FILE [-o OUT]  print the generated C\n"
          "\n"
          "options:\n"
          "  --help              this text\n"
          "  --version           the version of flowc\n"
          "  --list-builtins     every builtin operator and function with its signature\n"
          "\n"
          "exit status: 0 when no error was found (warnings allowed), 1 on errors, 2 on bad usage;\n"
          "run: the job's status (0, 1 when it failed, 2 for a bad command line); 3: a flowc bug\n"
          "environment: FLOWC_STDLIB overrides the folder of the standard modules; NO_COLOR\n"
          "turns colours off\n",
          out);
}

static void list_builtins(void)
{
    int n;
    const OpDef *defs = ops_defs(&n);
    const char *group = "";
    for (int i = 0; i < n; i++) {
        if (strcmp(group, defs[i].group))
            printf("%s[%s]\n", i ? "\n" : "", group = defs[i].group);
        printf("  %s\n      %s\n", defs[i].sig, defs[i].doc);
    }
}

typedef struct CheckOpts {
    int dump_ast, dump_types;
} CheckOpts;

static int check_file(const char *path, CheckOpts *o)
{
    Front f;
    front_init(&f, stderr);
    front_parse(&f, path, NULL, 0);
    if (o->dump_ast && !f.diag.errors)  /* a tree with errors may be too deep to print */
        ast_dump(stdout, f.prog, 0);
    front_check(&f);
    if (o->dump_types && !f.diag.errors) {
        sema_dump(stdout, f.prog);
        ast_dump(stdout, f.prog, 1);
    }
    if (!f.diag.errors) {     /* what type-checks but the back end refuses: warnings */
        f.diag.downgrade = 1;
        Phases *ph = plan_phases(f.prog, &f.arena);
        for (int k = 0; k < ph->nphases; k++)
            plan_build(f.prog, ph, k, &f.arena, &f.diag);
        f.diag.downgrade = 0;
    }
    diag_summary(&f.diag);
    int errors = f.diag.errors;
    front_fini(&f);
    return errors;
}

static int cmd_check(int argc, char **argv)
{
    CheckOpts o = {0};
    int files = 0, errors = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--dump-ast"))
            o.dump_ast = 1;
        else if (!strcmp(argv[i], "--dump-types"))
            o.dump_types = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "flowc check: unknown option `%s`\n", argv[i]);
            return 2;
        }
    }
    for (int i = 0; i < argc; i++)
        if (!(argv[i][0] == '-' && argv[i][1])) {
            files++;
            errors += check_file(argv[i], &o);
        }
    if (!files) {
        fputs("flowc check: no input file\n", stderr);
        return 2;
    }
    return errors ? 1 : 0;
}

/* ---- the back end ---- */

typedef struct Job {
    Front f;
    Phases *ph;
    Plan **plans;            /* per phase */
    Stages **sts;
    char *c;
    size_t clen;
} Job;

static const char *job_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* The plan and stages of every phase; node ids made unique over the phases
 * (emission names state after them). 0, or -1 after errors. */
static int job_plan(Job *j)
{
    Arena *a = &j->f.arena;
    j->ph = plan_phases(j->f.prog, a);
    int n = j->ph->nphases, base = 0, bad = 0;
    j->plans = arena_alloc(a, sizeof *j->plans * (size_t)n);
    j->sts = arena_alloc(a, sizeof *j->sts * (size_t)n);
    for (int k = 0; k < n; k++) {
        j->plans[k] = plan_build(j->f.prog, j->ph, k, a, &j->f.diag);
        if (!j->plans[k]) {
            bad = 1;
            continue;
        }
        j->sts[k] = stage_build(j->plans[k], a);
        for (int i = 0; i < j->plans[k]->n; i++)
            j->plans[k]->nodes[i]->id += base;
        base += j->plans[k]->n;
    }
    return bad ? -1 : 0;
}

/* Front end, plan, stages and (when want_c) C; 0 on success, else the
 * diagnostics are printed and 1 is returned. */
static int job_compile(Job *j, const char *path, int want_c)
{
    memset(j, 0, sizeof *j);
    front_init(&j->f, stderr);
    front_parse(&j->f, path, NULL, 0);
    front_check(&j->f);
    if (!j->f.diag.errors && job_plan(j) == 0 && want_c) {
        FILE *out = open_memstream(&j->c, &j->clen);
        emit_program(out, j->f.prog, j->ph, j->plans, j->sts, &j->f.arena, &j->f.diag, job_name(path));
        fclose(out);
    }
    if (j->f.diag.errors || j->f.diag.warnings)
        diag_summary(&j->f.diag);
    return j->f.diag.errors ? 1 : 0;
}

static void job_free(Job *j)
{
    free(j->c);
    front_fini(&j->f);
}

/* flowc plan [--dot] [--dump PASS] FILE: the front end, then the plan passes
 * up to PASS (all of them by default), and the dump of the last one. */
/* flowc plan --svg: the graph drawn by Graphviz's dot into path; 0, or 1 with why. */
static int plan_svg(const char *path, const char *dot, size_t len)
{
    if (system("command -v dot >/dev/null 2>&1") != 0) {
        fputs("flowc plan: --svg needs Graphviz's `dot` (Debian: apt-get install graphviz); "
              "`flowc plan --dot FILE` prints the graph for it\n", stderr);
        return 1;
    }
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp-%d", path, (int)getpid()) < 0)
        return 1;
    char *cmd = NULL;
    int rc = 1;
    if (asprintf(&cmd, "dot -Tsvg -o '%s'", tmp) >= 0 && !strchr(tmp, '\'')) {
        FILE *p = popen(cmd, "w");
        if (p) {
            int written = fwrite(dot, 1, len, p) == len;
            if (pclose(p) == 0 && written && rename(tmp, path) == 0)
                rc = 0;
        }
    }
    if (rc) {
        fprintf(stderr, "flowc plan: cannot draw %s with dot\n", path);
        unlink(tmp);
    }
    free(cmd);
    free(tmp);
    return rc;
}

typedef struct PlanOut {
    int dot, json;
    const char *svg;
    FILE *g;                 /* --svg: the graph, in memory */
    char *gbuf;
    size_t glen;
    int base;                /* stages of the phases before */
} PlanOut;

static void plan_out_phase(PlanOut *o, Front *f, Phases *ph, int k, PlanJob *pj, const PlanPass *last)
{
    if (o->json) {
        stage_print_json(stdout, &f->diag, pj->st, o->base, k, o->base > 0);
        o->base += pj->st->n;
    } else if (o->svg) {
        stage_dot_body(o->g, pj->plan, pj->st, ph->nphases > 1 ? k : -1);
    } else {
        if (ph->nphases > 1)
            printf("%sphase %d: %s\n", k ? "\n" : "", k, plan_phase_label(ph, k));
        if (o->dot)
            stage_print_dot(stdout, pj->plan, pj->st);
        else
            last->dump(stdout, pj);
    }
}

static int cmd_plan(int argc, char **argv)
{
    const char *file = NULL, *dump = "stages";
    PlanOut o = {0};
    int bad = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--dot"))
            o.dot = 1;
        else if (!strcmp(argv[i], "--json"))
            o.json = 1;
        else if (!strcmp(argv[i], "--svg") && i + 1 < argc)
            o.svg = argv[++i];
        else if (!strcmp(argv[i], "--dump") && i + 1 < argc)
            dump = argv[++i];
        else if (!file && argv[i][0] != '-')
            file = argv[i];
        else
            bad = 1;
    }
    const PlanPass *last = plan_pass(dump);
    if (bad || !file || o.dot + o.json + (o.svg != NULL) > 1) {
        fputs("usage: flowc plan [--dot | --json | --svg OUT.svg] FILE, or flowc plan --dump PASS FILE\n", stderr);
        return 2;
    }
    if (!last) {
        fprintf(stderr, "flowc plan: unknown pass `%s`; the passes are %s\n", dump, plan_pass_names());
        return 2;
    }
    if ((o.dot || o.json || o.svg) && strcmp(dump, "stages")) {
        fprintf(stderr, "flowc plan: --dot, --json and --svg show the stages; they do not go with --dump %s\n", dump);
        return 2;
    }
    Front f;
    front_init(&f, stderr);
    front_parse(&f, file, NULL, 0);
    front_check(&f);
    Phases *ph = f.diag.errors ? NULL : plan_phases(f.prog, &f.arena);
    if (o.svg) {
        o.g = open_memstream(&o.gbuf, &o.glen);
        fputs(STAGE_DOT_HEAD, o.g);
    }
    if (o.json && ph)
        fputs("{\"stages\": [", stdout);
    for (int k = 0; ph && k < ph->nphases; k++) {
        PlanJob pj = {.prog = f.prog, .ph = ph, .phase = k, .a = &f.arena, .d = &f.diag};
        if (plan_run(&pj, last) == 0)
            plan_out_phase(&o, &f, ph, k, &pj, last);
    }
    if (o.json && ph)
        fputs("\n]}\n", stdout);
    if (f.diag.errors || f.diag.warnings)
        diag_summary(&f.diag);
    int rc = f.diag.errors ? 1 : 0;
    if (o.svg) {
        fputs("}\n", o.g);
        fclose(o.g);
        if (!rc)
            rc = plan_svg(o.svg, o.gbuf, o.glen);
        free(o.gbuf);
    }
    front_fini(&f);
    return rc;
}

static int cmd_emit(int argc, char **argv)
{
    const char *out = NULL, *file = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!file)
            file = argv[i];
        else {
            fputs("usage: flowc emit FILE [-o OUT.c]\n", stderr);
            return 2;
        }
    }
    if (!file) {
        fputs("usage: flowc emit FILE [-o OUT.c]\n", stderr);
        return 2;
    }
    Job j;
    int rc = job_compile(&j, file, 1);
    if (!rc) {
        FILE *f = out ? fopen(out, "w") : stdout;
        if (!f) {
            perror(out);
            rc = 1;
        } else {
            fwrite(j.c, 1, j.clen, f);
            if (out)
                fclose(f);
        }
    }
    job_free(&j);
    return rc;
}

/* Takes the tiered JIT's options out of argv, before or after the file
 * (the rest goes to the job); -1 on a bad value. */
static int run_tier_opts(int *argc, char **argv, TierOpts *o)
{
    const char *env = getenv("FLOWC_TIER");
    *o = (TierOpts){.off = env && !strcmp(env, "off"), .after_ms = 200, .at = -1, .cache = 1};
    int k = 0;
    for (int i = 0; i < *argc; i++) {
        char *end = NULL;
        if (!strcmp(argv[i], "--no-tier"))
            o->off = 1;
        else if (!strcmp(argv[i], "--tier-log"))
            o->log = 1;
        else if (!strcmp(argv[i], "--no-cache"))
            o->cache = 0;
        else if (!strcmp(argv[i], "--cc") && i + 1 < *argc)
            cc_set_compiler(argv[++i]);
        else if ((!strcmp(argv[i], "--tier-after") || !strcmp(argv[i], "--tier-at")) && i + 1 < *argc) {
            long v = strtol(argv[i + 1], &end, 10);
            if (!*argv[i + 1] || *end || v < 0) {
                fprintf(stderr, "flowc run: %s takes a number, not `%s`\n", argv[i], argv[i + 1]);
                return -1;
            }
            *(!strcmp(argv[i], "--tier-at") ? &o->at : &o->after_ms) = v;
            i++;
        } else
            argv[k++] = argv[i];
    }
    *argc = k;
    return 0;
}

/* Whether arg names a C file (flowc run/build FILE util.c...: the program's extern functions). */
static int is_c_file(const char *arg)
{
    size_t n = strlen(arg);
    return arg[0] != '-' && n > 2 && !strcmp(arg + n - 2, ".c");
}

/* The folder of the .flow file (its extern headers' and C files'), for the compilers. */
static void set_user_c(const char *flow, char **files, int n)
{
    static char dir[4096];
    const char *slash = strrchr(flow, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - flow) + (slash == flow) : 1, slash ? flow : ".");
    for (int i = 0; i < n; i++)
        if (access(files[i], R_OK) < 0) {
            fprintf(stderr, "flowc: cannot read %s: %s\n", files[i], strerror(errno));
            exit(1);
        }
    cc_set_user(files, n, dir);
}

static int cmd_run(int argc, char **argv)
{
    TierOpts tier;
    if (argc < 1) {
        fputs("usage: flowc run FILE [--PARAM VALUE...] [--threads N] [--no-tier]\n", stderr);
        return 2;
    }
    if (run_tier_opts(&argc, argv, &tier) < 0)
        return 2;
    if (argc < 1 || argv[0][0] == '-') {
        fputs("usage: flowc run FILE [--PARAM VALUE...] [--threads N] [--no-tier]\n", stderr);
        return 2;
    }
    int nc = 0;   /* the C files right after FILE (argv[nc] becomes the job's argv[0]) */
    while (1 + nc < argc && is_c_file(argv[1 + nc]))
        nc++;
    static char *cfiles[64];
    if (nc > 64) {
        fputs("flowc run: at most 64 C files\n", stderr);
        return 2;
    }
    memcpy(cfiles, argv + 1, (size_t)nc * sizeof *cfiles);
    set_user_c(argv[0], cfiles, nc);
    Job j;
    int rc = job_compile(&j, argv[0], 1);
    if (!rc) {
        argv[nc] = (char *)job_name(argv[0]);
        rc = jit_run(j.c, argc - nc, argv + nc, &tier);
        if (rc < 0)
            rc = 3;
    }
    job_free(&j);
    return rc;
}

/* The C API's prefix: the .flow file's name without .flow, as a C identifier. */
static char *lib_prefix(const char *file)
{
    const char *b = job_name(file);
    size_t n = strlen(b);
    if (n > 5 && !strcmp(b + n - 5, ".flow"))
        n -= 5;
    char *p = malloc(n + 2);
    size_t k = 0;
    if (!n || (b[0] >= '0' && b[0] <= '9'))
        p[k++] = 'j';
    for (size_t i = 0; i < n; i++)
        p[k++] = (b[i] >= 'a' && b[i] <= 'z') || (b[i] >= 'A' && b[i] <= 'Z') || (b[i] >= '0' && b[i] <= '9') ? b[i] : '_';
    p[k] = 0;
    return p;
}

/* flowc build --lib: the library (out: .so, or .a) and its header beside it (out's name, .h). */
static int build_lib(const char *file, char **cfiles, int nc, CcOpts *o)
{
    size_t n = strlen(o->out);
    o->lib = n > 2 && !strcmp(o->out + n - 2, ".a") ? 2 : 1;
    const char *dot = strrchr(o->out, '.'), *slash = strrchr(o->out, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - o->out) : n;
    char *hdr = malloc(stem + 3), *tmp = malloc(stem + 32);
    snprintf(hdr, stem + 3, "%.*s.h", (int)stem, o->out);
    snprintf(tmp, stem + 32, "%s.tmp-%d", hdr, (int)getpid());
    char *prefix = lib_prefix(file);
    o->prefix = prefix;
    int rc = 1, writable = cc_check_out(o->out) == 0;
    FILE *h = writable ? fopen(tmp, "w") : NULL;
    if (h) {
        set_user_c(file, cfiles, nc);
        emit_set_lib(prefix, h);
        Job j;
        rc = job_compile(&j, file, 1);
        emit_set_lib(NULL, NULL);
        if (!rc) {
            rc = cc_build(j.c, o);
            rc = rc < 0 ? 3 : rc;
        }
        job_free(&j);
        rc = fclose(h) != 0 && !rc ? 1 : rc;
        if (!rc && rename(tmp, hdr) < 0) {
            fprintf(stderr, "flowc: cannot write %s: %s\n", hdr, strerror(errno));
            rc = 1;
        }
        unlink(tmp);
    } else if (writable) {
        fprintf(stderr, "flowc: cannot write %s: %s\n", hdr, strerror(errno));
    }
    free(hdr);
    free(tmp);
    free(prefix);
    free(cfiles);
    return rc;
}

static int cmd_build(int argc, char **argv)
{
    CcOpts o = {0};
    const char *file = NULL;
    char **cfiles = calloc((size_t)argc + 1, sizeof *cfiles);
    int nc = 0;
    for (int i = 0; i < argc; i++) {
        if (is_c_file(argv[i]))
            cfiles[nc++] = argv[i];
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            o.out = argv[++i];
        else if (!strcmp(argv[i], "-O3"))
            o.opt3 = 1;
        else if (!strcmp(argv[i], "-O2"))
            o.opt3 = 0;
        else if (!strcmp(argv[i], "--cc") && i + 1 < argc)
            cc_set_compiler(argv[++i]);
        else if (!strcmp(argv[i], "--lib"))
            o.lib = 1;
        else if (!file && argv[i][0] != '-')
            file = argv[i];
        else
            file = NULL, i = argc;
    }
    if (!file || !o.out) {
        fputs("usage: flowc build FILE [C FILES...] -o OUT [-O3] [--cc COMPILER] [--lib]\n", stderr);
        free(cfiles);
        return 2;
    }
    if (o.lib)
        return build_lib(file, cfiles, nc, &o);
    if (cc_check_out(o.out) < 0) {
        free(cfiles);
        return 1;
    }
    set_user_c(file, cfiles, nc);
    Job j;
    int rc = job_compile(&j, file, 1);
    if (!rc) {
        rc = cc_build(j.c, &o);
        rc = rc < 0 ? 3 : rc;   /* 1: the user's to fix; -1: a flowc bug */
    }
    job_free(&j);
    free(cfiles);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("flowc %s\n", FLOWC_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "--list-builtins")) {
        list_builtins();
        return 0;
    }
    if (!strcmp(cmd, "check"))
        return cmd_check(argc - 2, argv + 2);
    if (!strcmp(cmd, "plan"))
        return cmd_plan(argc - 2, argv + 2);
    if (!strcmp(cmd, "emit"))
        return cmd_emit(argc - 2, argv + 2);
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "build"))
        return cmd_build(argc - 2, argv + 2);
    fprintf(stderr, "flowc: unknown command `%s` (see flowc --help)\n", cmd);
    return 2;
}
