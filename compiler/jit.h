/* jit.h - in-memory compilation with libtcc; the only module that touches
 * libtcc. The generated C sees the runtime of this very process. */
#ifndef FLOWC_JIT_H
#define FLOWC_JIT_H

#include "tier.h"

/* Compiles the C of a job and runs its main with argv (with the tiered
 * JIT as tier says); returns the job's
 * exit status, or -1 when tcc rejected the code (a flowc bug, reported with
 * the place of the generated file kept for the report). */
int jit_run(const char *csrc, int argc, char **argv, const TierOpts *tier);

/* Compiles body (C that starts with #include "flowgen.h": the embedded
 * headers) with tcc, headers looked up in incdir too: 0, or -1 with tcc's
 * messages in *msg (malloc'd; free it in both cases). */
int jit_check(const char *body, const char *incdir, char **msg);

/* The headers generated code includes (embedded at build time). */
extern const char jit_flowrt_h[], jit_flowgen_h[];

#endif
