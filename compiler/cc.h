/* cc.h - native builds: the generated C compiled by the system C compiler
 * and linked with libflowrt.a into a standalone binary. */
#ifndef FLOWC_CC_H
#define FLOWC_CC_H

#include <stddef.h>

typedef struct CcOpts {
    const char *out;     /* the binary to write */
    int opt3;            /* -O3 -march=native instead of -O2 */
    const char *keep_c;  /* write the C here too (NULL: a temporary) */
    int lib;             /* the C API (--lib): 1 a shared library, 2 a static one (out ends in .a) */
    const char *prefix;  /* with lib: the API's prefix (the only symbols a shared one exports) */
} CcOpts;

/* Returns 0 on success; 1 on an error of the surroundings (the output
 * cannot be written, $CC cannot be run, no libflowrt.a, no temporary
 * folder): a message is printed and nothing is left behind; -1 when the C
 * compiler failed on the generated code (a flowc bug): the generated file
 * is kept and its path reported. */
int cc_build(const char *csrc, const CcOpts *o);
/* 0 when out can be written (its folder exists and is writable, and out
 * is not a folder); else prints "flowc: cannot write OUT: reason" and
 * returns -1. */
int cc_check_out(const char *out);
/* The C compiler: the one --cc named (cc_set_compiler), else $CC, else
 * clang when it is in $PATH, else cc. */
const char *cc_compiler(void);
void cc_set_compiler(const char *cc);
/* Makes a temporary folder ($TMPDIR or /tmp, flowc-build-XXXXXX, its path
 * into dir) holding job.c (csrc) and the runtime headers; 0, or -1 with a
 * message. cc_unstage removes it (what cc_stage wrote, job.so, the
 * objects of a library build). */
int cc_stage(char *dir, size_t size, const char *csrc);
void cc_unstage(const char *dir);
/* Staged folders are listed for the runtime's SIGINT and SIGTERM handlers
 * (which flowc installs at the first), so a signal that ends flowc removes
 * them. The environment for a compiler run in staging folder dir: flowc's
 * with TMPDIR=dir (its own temporaries go where flowc removes them); NULL
 * when out of memory; cc_env_free frees it. */
char **cc_env(const char *dir);
void cc_env_free(char **env);
/* The folder of libflowrt.a, beside flowc (build tree) or installed. */
const char *cc_lib_dir(void);

/* The user's C files (`flowc run/build FILE util.c...`, for the program's
 * extern functions) and the folder their headers are looked up in (the
 * .flow file's): given once, used by every compile of the job (cc_build,
 * the tiered JIT, the JIT). */
void cc_set_user(char *const *files, int n, const char *incdir);
int cc_user_count(void);
const char *cc_user_file(int i);
const char *cc_user_include(void);   /* NULL: none */
/* Appends -I (the .flow file's folder, then staged, where flowrt.h is) and
 * the user's files to argv from k; returns the new count (at most
 * 4 + cc_user_count() more). */
int cc_user_args(char **argv, int k, const char *staged);
/* The user's files' contents one after the other (a cache key's part;
 * malloc'd; "" when none or unreadable). */
char *cc_user_text(void);

#endif
