/* parse.h - the parser's public surface: one source file in, one AST out. */
#ifndef FLOWC_PARSE_H
#define FLOWC_PARSE_H

#include "arena.h"
#include "ast.h"
#include "diag.h"

/* Parses source `file` of `d`. Syntax errors are reported to `d`; the
 * returned program holds every item that parsed (never NULL). */
Program *parse_program(Arena *a, Diag *d, int file);

#endif
