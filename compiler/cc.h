/* cc.h - native builds: the generated C compiled by the system C compiler
 * and linked with libflowrt.a into a standalone binary. */
#ifndef FLOWC_CC_H
#define FLOWC_CC_H

typedef struct CcOpts {
    const char *out;     /* the binary to write */
    int opt3;            /* -O3 -march=native instead of -O2 */
    const char *keep_c;  /* write the C here too (NULL: a temporary) */
} CcOpts;

/* Returns 0 on success; on a compiler error (a flowc bug) the generated
 * file is kept and its path reported. */
int cc_build(const char *csrc, const CcOpts *o);
/* The folder of libflowrt.a, beside flowc (build tree) or installed. */
const char *cc_lib_dir(void);

#endif
