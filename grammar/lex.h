/* lex.h - the re2c scanner's interface to the Bison parser. Tokens carry
 * byte-offset locations (Loc); the scanner reports bad characters, bad
 * numbers and unterminated strings or comments itself and keeps going. */
#ifndef FLOWC_LEX_H
#define FLOWC_LEX_H

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "parser.h"   /* generated: token numbers, PARSE_STYPE */

enum { LEX_MAX_OPEN = 64 };

typedef struct Lexer {
    const char *src, *cur, *lim, *tok, *marker;
    int file;
    int after_dot;    /* the last token was `.`: `t.0.1` lexes 0 and 1 as ints */
    int recovering;   /* after a syntax error: skip to the next item start */
    int discard;      /* the parser should drop its lookahead (it was mid-item) */
    Loc last, prev;   /* the last token returned and the one before it */
    int last_tok;
    int item_errors;  /* errors reported by the scanner in the current item */
    int prev_item_errors;  /* ... and in the item before it */
    int depth;        /* open brackets, and where the innermost ones opened */
    Loc open[LEX_MAX_OPEN];
    char open_ch[LEX_MAX_OPEN];
    Arena *arena;
    Diag *diag;
} Lexer;

struct ParseCtx {
    Lexer lx;
    Arena *arena;
    Diag *diag;
    PtrVec items;
    int depth;        /* nesting of brackets, to bound recursion */
};

void lex_init(Lexer *lx, Arena *a, Diag *d, int file);
/* The next token; its value in *val and its range in *loc. 0 at the end. */
int lex_next(Lexer *lx, PARSE_STYPE *val, Loc *loc);
/* Called by the parser on a syntax error at `at`: tokens are skipped up to
 * the next one that starts a line (an item boundary). */
void lex_recover(Lexer *lx, Loc at);
/* Whether `at` is the first token of its line. */
int lex_starts_line(Lexer *lx, Loc at);
/* Bison's entry point to the scanner. */
int parse_lex(PARSE_STYPE *val, Loc *loc, ParseCtx *ctx);

#endif
