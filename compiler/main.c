/* main.c - the flowc command line: a flat list of passes per command.
 * `flowc check` parses and type-checks .flow files and reports every error
 * it can find in GCC's format; --dump-ast and --dump-types show what the
 * parser and the type checker made of the program. */
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "front.h"
#include "ops.h"
#include "sema.h"

#define FLOWC_VERSION "0.1.0"

static void usage(FILE *out)
{
    fputs("usage: flowc COMMAND [OPTIONS] FILE...\n"
          "\n"
          "commands:\n"
          "  check FILE...       parse and type-check .flow files; report every error found\n"
          "      --dump-ast      print the syntax tree of each file\n"
          "      --dump-types    print the typed program (every expression with its type)\n"
          "\n"
          "options:\n"
          "  --help              this text\n"
          "  --version           the version of flowc\n"
          "  --list-builtins     every builtin operator and function with its signature\n"
          "\n"
          "exit status: 0 when no error was found (warnings allowed), 1 on errors, 2 on bad usage\n"
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
    fprintf(stderr, "flowc: unknown command `%s` (see flowc --help)\n", cmd);
    return 2;
}
