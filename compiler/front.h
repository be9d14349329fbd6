/* front.h - the front end as one step: read a .flow file and the modules it
 * `use`s, parse them, and check the whole program. */
#ifndef FLOWC_FRONT_H
#define FLOWC_FRONT_H

#include "arena.h"
#include "ast.h"
#include "diag.h"

typedef struct Front {
    Arena arena;
    Diag diag;
    Program *prog;       /* the items of every module, then the main file's */
    int main_file;
} Front;

void front_init(Front *f, FILE *diag_out);
void front_fini(Front *f);
/* Parses `path` (or `text` when not NULL, named `path`) and its modules.
 * Returns the number of errors so far. */
int front_parse(Front *f, const char *path, const char *text, int32_t len);
/* Runs semantic analysis on what front_parse read, if it parsed without
 * errors; returns the errors. */
int front_check(Front *f);
/* The folder of the standard library's .flow modules. */
const char *front_stdlib_dir(void);
/* The first folder EXE_DIR + rel[i] holding `probe` (a static buffer), or NULL. */
const char *front_beside_exe(const char *const *rel, int n, const char *probe);

#endif
