/* emit.h - C emission: the checked program, its plan and stages become one
 * C99 translation unit (a prelude, a struct per record/tuple/vector type,
 * one function per `fn`, one function per stage with its operators inlined
 * into one loop, and the job table handed to the runtime). */
#ifndef FLOWC_EMIT_H
#define FLOWC_EMIT_H

#include <stdio.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "plan.h"
#include "stage.h"

#ifndef FLOWC_VERSION
#define FLOWC_VERSION "0.1.0"
#endif

/* Writes the C of the job to out: its phases (ph; plans[k] and sts[k] for
 * k = 0..ph->ncalls) in one stage table. `file` names the .flow for #line
 * directives. The job table carries a fingerprint: a hash of the generated
 * code and of flowc's version, which the processes of a job compare.
 * Returns the number of errors (constructs not supported). */
/* The C API instead of main under FL_LIB (flowc build --lib, emit_lib.c):
 * its functions prefixed `prefix`_, and its header written into header
 * (NULL, NULL: none, the default). */
void emit_set_lib(const char *prefix, FILE *header);
int emit_program(FILE *out, Program *p, const Phases *ph, Plan **plans, Stages **sts, Arena *a, Diag *d,
                 const char *job_name);

#endif
