/* sema.h - semantic analysis: names resolved, types inferred and checked,
 * streams told from values, before anything runs. */
#ifndef FLOWC_SEMA_H
#define FLOWC_SEMA_H

#include <stdio.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"

/* Checks the whole program (items of `use`d modules included), annotating
 * every expression with its type. `main_file` is the file whose items get
 * the unused-name warnings. Returns the number of errors reported. */
int sema_check(Program *p, Arena *a, Diag *d, int main_file);

/* The argument given for parameter `param` (an index into op's params) of
 * a checked call, or NULL when it was left to its default. For an operator
 * with a receiver, the receiver is not a parameter. */
struct Op;
Expr *sema_call_arg(const Expr *call, const struct Op *op, int param);
/* The argument of a checked call for its operator's parameter `param`
 * (by name), or NULL when none was given: what sema matched, kept on the
 * call node (plan and emission read arguments by parameter). */
Expr *sema_arg(const Expr *call, const char *param);

/* The typed program: every top-level name with its type (--dump-types). */
void sema_dump(FILE *out, const Program *p);

#endif
