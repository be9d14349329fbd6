/* parser.y - the grammar of the flow language (GNU Bison, pure, LALR(1)
 * with LAC). It builds the AST of compiler/ast.h; every node carries the
 * byte range it came from. On a syntax error it reports Bison's detailed
 * message (naming the expected tokens, or what is missing after the last
 * token of an unfinished line, and where an unclosed bracket opened), asks
 * the scanner to skip to the next item (a token that starts a line), and
 * goes on, so one run reports the errors of several items. A syntax error in
 * an item where the scanner already reported an error is not reported.
 *
 * Top-level items need no separator (an optional `;` is allowed). A line
 * that starts with `(` or `-` continues the expression before it. */
%define api.pure full
%define api.prefix {parse_}
%define api.location.type {Loc}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%parse-param {ParseCtx *ctx}
%lex-param {ParseCtx *ctx}

%code requires {
#include "ast.h"
typedef struct ParseCtx ParseCtx;
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                   \
    do {                                                              \
        if (N) {                                                      \
            (Cur) = YYRHSLOC(Rhs, 1);                                 \
            (Cur).end = YYRHSLOC(Rhs, N).end;                         \
        } else {                                                      \
            (Cur) = YYRHSLOC(Rhs, 0);                                 \
            (Cur).start = (Cur).end;                                  \
        }                                                             \
    } while (0)
}

%code {
#include <string.h>
#include "lex.h"
#include "parse.h"

#define YYMAXDEPTH 2000
#define A (ctx->arena)

static void parse_error(Loc *loc, ParseCtx *ctx, const char *msg);
static void *parse_list(PtrVec *v, int *n) { *n = v->len; return v->items; }
static Expr *parse_call(ParseCtx *ctx, Loc loc, Expr *recv, const char *name, Loc name_loc, PtrVec *args);
}

%union {
    int64_t ival;
    double fval;
    struct { const char *ptr; int64_t len; } str;
    const char *name;
    Expr *expr;
    Item *item;
    Pattern *pat;
    TypeExpr *texpr;
    Arg *arg;
    Param *param;
    FnDecl *fn;
    FieldInit *finit;
    Stmt *stmt;
    PtrVec list;
}

%token END 0 "end of file"
%token <name> IDENT "identifier" UIDENT "type name"
%token <ival> INT "integer" DURATION "duration" TRUE "true" FALSE "false"
%token <fval> FLOAT "float"
%token <str> STRING "string"
%token PARAM "param" TYPE "type" FN "fn" EXTERN "extern" USE "use" LET "let"
%token IF "if" ELSE "else" AS "as" UNDERSCORE "_"
%token ARROW "->" EQ "==" NE "!=" LE "<=" GE ">=" ANDAND "&&" OROR "||"

%type <item> item
%type <expr> expr postfix primary lambda ifexpr block fnbody
%type <pat> pattern lparam
%type <texpr> type opt_annot
%type <arg> arg
%type <param> param
%type <fn> fnsig
%type <finit> finit
%type <stmt> stmt
%type <list> args arglist exprs exprlist params paramlist types patterns lparams
%type <list> finits finitlist stmts externs

%precedence ITEM
%precedence LAMBDA
%left OROR
%left ANDAND
%nonassoc EQ NE '<' LE '>' GE
%left '+' '-'
%left '*' '/' '%'
%precedence AS
%precedence UNARY
%precedence NAME
%precedence '(' '{'

%%

program: %empty
       | program item        { if ($2) ptrvec_push(A, &ctx->items, $2); }
       | program ';'
       ;

/* item: param | type | fn | extern | use | let | pipeline */
item: PARAM IDENT ':' type '=' expr %prec ITEM {
          $$ = ast_item(A, IT_PARAM, @$);
          $$->u.param.name = $2; $$->u.param.name_loc = @2;
          $$->u.param.type = $4; $$->u.param.value = $6;
      }
    | TYPE UIDENT '=' '{' params '}' {
          $$ = ast_item(A, IT_TYPE, @$);
          $$->u.type.name = $2; $$->u.type.name_loc = @2;
          $$->u.type.fields = parse_list(&$5, &$$->u.type.n);
      }
    | fnsig fnbody {
          $$ = ast_item(A, IT_FN, @$);
          $$->u.fn = *$1; $$->u.fn.body = $2;
      }
    | EXTERN STRING '{' externs '}' {
          $$ = ast_item(A, IT_EXTERN, @$);
          $$->u.ext.header = $2.ptr; $$->u.ext.header_loc = @2;
          $$->u.ext.fns = parse_list(&$4, &$$->u.ext.n);
          for (int i = 0; i < $$->u.ext.n; i++) {
              $$->u.ext.fns[i]->is_extern = 1;
              $$->u.ext.fns[i]->header = $2.ptr;
          }
      }
    | USE IDENT   { $$ = ast_item(A, IT_USE, @$); $$->u.use.module = $2; $$->u.use.name_loc = @2; }
    | USE STRING  {
          $$ = ast_item(A, IT_USE, @$); $$->u.use.module = $2.ptr;
          $$->u.use.is_path = 1; $$->u.use.name_loc = @2;
      }
    | LET pattern opt_annot '=' expr %prec ITEM {
          $$ = ast_item(A, IT_LET, @$);
          $$->u.let.pat = $2; $$->u.let.annot = $3; $$->u.let.value = $5;
      }
    | expr %prec ITEM  { $$ = ast_item(A, IT_EXPR, @$); $$->u.expr.expr = $1; }
    | error            { $$ = NULL; if (ctx->lx.discard) { yyclearin; ctx->lx.discard = 0; } }
    ;

/* fnsig: fn NAME ( params ) -> type */
fnsig: FN IDENT '(' params ')' ARROW type {
          $$ = arena_alloc(A, sizeof *$$);
          $$->name = $2; $$->name_loc = @2; $$->ret = $7;
          $$->params = parse_list(&$4, &$$->nparams);
      }
    ;

fnbody: '=' expr %prec ITEM  { $$ = $2; }
      | block
      ;

externs: %empty          { $$ = (PtrVec){0}; }
       | externs fnsig   { $$ = $1; ptrvec_push(A, &$$, $2); }
       | externs ';'     { $$ = $1; }
       ;

params: %empty                { $$ = (PtrVec){0}; }
      | paramlist
      | paramlist ','
      ;
paramlist: param              { $$ = (PtrVec){0}; ptrvec_push(A, &$$, $1); }
         | paramlist ',' param { $$ = $1; ptrvec_push(A, &$$, $3); }
         ;
param: IDENT ':' type {
          $$ = arena_alloc(A, sizeof *$$);
          $$->name = $1; $$->loc = @1; $$->type = $3;
      }
    ;

/* type: NAME | NAME<types> | (types)   (generic: vec<T>, opt<T>, Window<T>) */
type: IDENT                 { $$ = ast_typeexpr(A, TX_NAME, @$, $1); }
    | UIDENT                { $$ = ast_typeexpr(A, TX_NAME, @$, $1); }
    | IDENT '<' types '>'   {
          $$ = ast_typeexpr(A, TX_GENERIC, @$, $1);
          $$->args = parse_list(&$3, &$$->nargs);
      }
    | UIDENT '<' types '>'  {
          $$ = ast_typeexpr(A, TX_GENERIC, @$, $1);
          $$->args = parse_list(&$3, &$$->nargs);
      }
    | '(' types ')'  {
          if ($2.len == 1) { $$ = $2.items[0]; }
          else {
              $$ = ast_typeexpr(A, TX_TUPLE, @$, NULL);
              $$->args = parse_list(&$2, &$$->nargs);
          }
      }
    ;
types: type            { $$ = (PtrVec){0}; ptrvec_push(A, &$$, $1); }
     | types ',' type  { $$ = $1; ptrvec_push(A, &$$, $3); }
     ;

opt_annot: %empty    { $$ = NULL; }
         | ':' type  { $$ = $2; }
         ;

/* pattern: NAME | _ | (patterns) */
pattern: IDENT             { $$ = ast_pattern(A, PAT_NAME, @$); $$->name = $1; }
       | UNDERSCORE        { $$ = ast_pattern(A, PAT_WILD, @$); }
       | '(' patterns ')'  {
             if ($2.len == 1) { $$ = $2.items[0]; }
             else {
                 $$ = ast_pattern(A, PAT_TUPLE, @$);
                 $$->elems = parse_list(&$2, &$$->nelems);
             }
         }
       ;
patterns: pattern               { $$ = (PtrVec){0}; ptrvec_push(A, &$$, $1); }
        | patterns ',' pattern  { $$ = $1; ptrvec_push(A, &$$, $3); }
        ;

/* expr: binary and unary operators, casts, lambdas */
expr: expr OROR expr    { $$ = ast_binary(A, @$, OP_OR, @2, $1, $3); }
    | expr ANDAND expr  { $$ = ast_binary(A, @$, OP_AND, @2, $1, $3); }
    | expr EQ expr      { $$ = ast_binary(A, @$, OP_EQ, @2, $1, $3); }
    | expr NE expr      { $$ = ast_binary(A, @$, OP_NE, @2, $1, $3); }
    | expr '<' expr     { $$ = ast_binary(A, @$, OP_LT, @2, $1, $3); }
    | expr LE expr      { $$ = ast_binary(A, @$, OP_LE, @2, $1, $3); }
    | expr '>' expr     { $$ = ast_binary(A, @$, OP_GT, @2, $1, $3); }
    | expr GE expr      { $$ = ast_binary(A, @$, OP_GE, @2, $1, $3); }
    | expr '+' expr     { $$ = ast_binary(A, @$, OP_ADD, @2, $1, $3); }
    | expr '-' expr     { $$ = ast_binary(A, @$, OP_SUB, @2, $1, $3); }
    | expr '*' expr     { $$ = ast_binary(A, @$, OP_MUL, @2, $1, $3); }
    | expr '/' expr     { $$ = ast_binary(A, @$, OP_DIV, @2, $1, $3); }
    | expr '%' expr     { $$ = ast_binary(A, @$, OP_MOD, @2, $1, $3); }
    | expr AS IDENT     {
          $$ = ast_expr(A, EX_CAST, @$);
          $$->u.cast.value = $1; $$->u.cast.to = $3; $$->u.cast.to_loc = @3;
      }
    | '-' expr %prec UNARY  { $$ = ast_unary(A, @$, OP_NEG, $2); }
    | '!' expr %prec UNARY  { $$ = ast_unary(A, @$, OP_NOT, $2); }
    | lambda
    | postfix
    ;

/* lambda: | lparams | expr */
lambda: '|' lparams '|' expr %prec LAMBDA {
          $$ = ast_expr(A, EX_LAMBDA, @$);
          $$->u.lambda.params = parse_list(&$2, &$$->u.lambda.n);
          $$->u.lambda.body = $4;
      }
    ;
lparams: lparam              { $$ = (PtrVec){0}; ptrvec_push(A, &$$, $1); }
       | lparams ',' lparam  { $$ = $1; ptrvec_push(A, &$$, $3); }
       ;
lparam: pattern opt_annot    { $$ = $1; $$->annot = $2; }
      ;

/* postfix: primary | postfix.NAME(args) | postfix.NAME | postfix.INT */
postfix: primary
       | postfix '.' IDENT '(' args ')' { $$ = parse_call(ctx, @$, $1, $3, @3, &$5); }
       | postfix '.' IDENT %prec NAME {
             $$ = ast_expr(A, EX_FIELD, @$);
             $$->u.field.recv = $1; $$->u.field.name = $3; $$->u.field.name_loc = @3;
         }
       | postfix '.' INT {
             $$ = ast_expr(A, EX_TINDEX, @$);
             $$->u.field.recv = $1; $$->u.field.name_loc = @3;
             $$->u.field.index = $3 > 1000000 ? 1000000 : (int)$3;
         }
       ;

primary: INT        { $$ = ast_expr(A, EX_INT, @$); $$->u.ival = $1; }
       | DURATION   { $$ = ast_expr(A, EX_DURATION, @$); $$->u.ival = $1; }
       | FLOAT      { $$ = ast_expr(A, EX_FLOAT, @$); $$->u.fval = $1; }
       | TRUE       { $$ = ast_expr(A, EX_BOOL, @$); $$->u.ival = 1; }
       | FALSE      { $$ = ast_expr(A, EX_BOOL, @$); $$->u.ival = 0; }
       | STRING     {
             $$ = ast_expr(A, EX_STR, @$);
             $$->u.str.ptr = $1.ptr; $$->u.str.len = $1.len;
         }
       | IDENT %prec NAME   { $$ = ast_name(A, @$, $1, 0); }
       | UIDENT %prec NAME  { $$ = ast_name(A, @$, $1, 1); }
       | IDENT '(' args ')' { $$ = parse_call(ctx, @$, NULL, $1, @1, &$3); }
       | UIDENT '{' finits '}' {
             $$ = ast_expr(A, EX_RECORD, @$);
             $$->u.rec.name = $1; $$->u.rec.name_loc = @1;
             $$->u.rec.fields = parse_list(&$3, &$$->u.rec.n);
         }
       | '(' expr ')'   { $$ = $2; }
       | '(' expr ',' exprs ')' {
             if ($4.len == 0)
                 diag_error(ctx->diag, @$, "a tuple has at least two elements; drop the comma");
             $$ = ast_expr(A, EX_TUPLE, @$);
             PtrVec v = {0};
             ptrvec_push(A, &v, $2);
             for (int i = 0; i < $4.len; i++)
                 ptrvec_push(A, &v, $4.items[i]);
             $$->u.list.elems = parse_list(&v, &$$->u.list.n);
         }
       | '[' exprs ']'  {
             $$ = ast_expr(A, EX_VEC, @$);
             $$->u.list.elems = parse_list(&$2, &$$->u.list.n);
         }
       | ifexpr
       | block
       ;

/* ifexpr: if expr block else (block | ifexpr) */
ifexpr: IF expr block ELSE block {
            $$ = ast_expr(A, EX_IF, @$);
            $$->u.ifx.cond = $2; $$->u.ifx.then = $3; $$->u.ifx.els = $5;
        }
      | IF expr block ELSE ifexpr {
            $$ = ast_expr(A, EX_IF, @$);
            $$->u.ifx.cond = $2; $$->u.ifx.then = $3; $$->u.ifx.els = $5;
        }
      ;

/* block: { (let pattern = expr ;)* expr } */
block: '{' stmts expr '}' {
          
           if ($2.len == 0) { $$ = $3; }
           else {
               $$ = ast_expr(A, EX_BLOCK, @$);
               $$->u.block.stmts = parse_list(&$2, &$$->u.block.n);
               $$->u.block.result = $3;
           }
       }
     ;
stmts: %empty      { $$ = (PtrVec){0}; }
     | stmts stmt  { $$ = $1; ptrvec_push(A, &$$, $2); }
     ;
stmt: LET pattern opt_annot '=' expr ';' { $$ = ast_stmt(A, @$, $2, $3, $5); }
    ;

finits: %empty           { $$ = (PtrVec){0}; }
      | finitlist
      | finitlist ','
      ;
finitlist: finit                { $$ = (PtrVec){0}; ptrvec_push(A, &$$, $1); }
         | finitlist ',' finit  { $$ = $1; ptrvec_push(A, &$$, $3); }
         ;
finit: IDENT ':' expr {
           $$ = arena_alloc(A, sizeof *$$);
           $$->name = $1; $$->name_loc = @1; $$->value = $3;
       }
     ;

exprs: %empty         { $$ = (PtrVec){0}; }
     | exprlist
     | exprlist ','
     ;
exprlist: expr               { $$ = (PtrVec){0}; ptrvec_push(A, &$$, $1); }
        | exprlist ',' expr  { $$ = $1; ptrvec_push(A, &$$, $3); }
        ;

args: %empty        { $$ = (PtrVec){0}; }
    | arglist
    | arglist ','
    ;
arglist: arg              { $$ = (PtrVec){0}; ptrvec_push(A, &$$, $1); }
       | arglist ',' arg  { $$ = $1; ptrvec_push(A, &$$, $3); }
       ;
arg: expr             { $$ = arena_alloc(A, sizeof *$$); $$->value = $1; }
   | IDENT ':' expr   {
         $$ = arena_alloc(A, sizeof *$$);
         $$->name = $1; $$->name_loc = @1; $$->value = $3;
     }
   ;

%%

static Expr *parse_call(ParseCtx *ctx, Loc loc, Expr *recv, const char *name, Loc name_loc, PtrVec *args)
{
    Expr *e = ast_expr(A, recv ? EX_METHOD : EX_CALL, loc);
    e->u.call.recv = recv;
    e->u.call.name = name;
    e->u.call.name_loc = name_loc;
    e->u.call.args = parse_list(args, &e->u.call.nargs);
    return e;
}

static void parse_error(Loc *loc, ParseCtx *ctx, const char *msg)
{
    if (!strcmp(msg, "memory exhausted"))
        diag_error(ctx->diag, *loc, "expression is nested too deeply");
    else
        diag_error(ctx->diag, *loc, "%s", msg);
    lex_recover(&ctx->lx, *loc);
}

/* A token's name for messages: `)`, `param`, or a word like "identifier". */
static const char *parse_token_name(ParseCtx *ctx, yysymbol_kind_t k)
{
    const char *n = yysymbol_name(k);
    size_t len = strlen(n);
    if (len == 3 && n[0] == '\'' && n[2] == '\'')
        return arena_printf(A, "`%c`", n[1]);
    if (k == YYSYMBOL_IDENT || k == YYSYMBOL_UIDENT || k == YYSYMBOL_INT || k == YYSYMBOL_FLOAT ||
        k == YYSYMBOL_STRING || k == YYSYMBOL_DURATION || k == YYSYMBOL_YYEOF)
        return n;
    return arena_printf(A, "`%s`", n);
}

static int parse_has(const yysymbol_kind_t *exp, int n, yysymbol_kind_t k)
{
    for (int i = 0; i < n; i++)
        if (exp[i] == k)
            return 1;
    return 0;
}

static int parse_has_char(const yysymbol_kind_t *exp, int n, char c)
{
    char name[4] = {'\'', c, '\'', 0};
    for (int i = 0; i < n; i++)
        if (!strcmp(yysymbol_name(exp[i]), name))
            return 1;
    return 0;
}

/* "an expression", "`)` or `,`", or NULL when there are too many. */
static const char *parse_expected(ParseCtx *ctx, const yysymbol_kind_t *exp, int n)
{
    if (parse_has(exp, n, YYSYMBOL_INT))
        return "an expression";
    if (n > 5 || n == 0)
        return NULL;
    const char *r = "";
    for (int i = 0; i < n; i++)
        r = arena_printf(A, "%s%s%s", r, i == 0 ? "" : i + 1 == n ? " or " : ", ",
                         parse_token_name(ctx, exp[i]));
    return r;
}

/* The bracket that closes the innermost open one, or 0. */
static char parse_closer(Lexer *lx)
{
    if (lx->depth <= 0 || lx->depth > LEX_MAX_OPEN)
        return 0;
    char c = lx->open_ch[lx->depth - 1];
    return c == '(' ? ')' : c == '[' ? ']' : c == '{' ? '}' : 0;
}

static void parse_unclosed_note(ParseCtx *ctx)
{
    Lexer *lx = &ctx->lx;
    if (lx->depth > 0 && lx->depth <= LEX_MAX_OPEN)
        diag_note(ctx->diag, lx->open[lx->depth - 1], "this `%c` is not closed", lx->open_ch[lx->depth - 1]);
}

static int yyreport_syntax_error(const yypcontext_t *pc, ParseCtx *ctx)
{
    Lexer *lx = &ctx->lx;
    Loc at = *yypcontext_location(pc);
    yysymbol_kind_t tok = yypcontext_token(pc), exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(pc, exp, YYNTOKENS);
    if (n < 0)
        n = 0;
    const char *want = parse_expected(ctx, exp, n);
    char closer = parse_closer(lx);
    int at_eol = (tok == YYSYMBOL_YYEOF || lex_starts_line(lx, at)) && lx->prev.file >= 0 &&
                 lx->prev.end <= at.start && !(lx->prev.start == 0 && lx->prev.end == 0);
    if (lx->item_errors || (at_eol && lx->prev_item_errors)) {  /* the scanner reported it already */
        lex_recover(lx, at);
        return 0;
    }
    if (n == 1 && exp[0] == YYSYMBOL_ELSE) {
        Loc p = at_eol ? lx->prev : at;
        diag_error(ctx->diag, p, "expected `else`: an `if` is an expression and needs both branches, "
                                 "as in if c { a } else { b }");
    } else if (parse_has_char(exp, n, ';') && !parse_has(exp, n, YYSYMBOL_FN) && closer == '}') {
        /* the value of a block's `let` is complete, and no `;` ends it */
        Loc p = {lx->prev.file, lx->prev.end, lx->prev.end};
        diag_error(ctx->diag, p, "missing `;` after the value of this `let`: each `let` of a block ends "
                                 "with `;`");
        if (tok == YYSYMBOL_LET)
            diag_note(ctx->diag, at, "the next `let` starts here");
    } else if (tok == YYSYMBOL_OROR && want && !strcmp(want, "an expression")) {
        diag_error(ctx->diag, at, "a lambda needs at least one parameter: write |_| e");
    } else if (tok == YYSYMBOL_IDENT && n == 1 && exp[0] == YYSYMBOL_UIDENT) {
        diag_error(ctx->diag, at, "a type name starts with an uppercase letter");
    } else if (at_eol && (want || (closer && parse_has_char(exp, n, closer)))) {
        const char *last = arena_strndup(A, diag_source(ctx->diag, lx->prev.file)->text + lx->prev.start,
                                         (size_t)(lx->prev.end - lx->prev.start));
        Loc p = {lx->prev.file, lx->prev.end, lx->prev.end};
        if (want)
            diag_error(ctx->diag, p, "expected %s after `%.40s`", want, last);
        else
            diag_error(ctx->diag, p, "missing `%c` at the end of this line", closer);
        parse_unclosed_note(ctx);
    } else if (want) {
        diag_error(ctx->diag, at, "unexpected %s; expected %s", parse_token_name(ctx, tok), want);
    } else {
        diag_error(ctx->diag, at, "unexpected %s", parse_token_name(ctx, tok));
        if (at_eol)
            parse_unclosed_note(ctx);
    }
    lex_recover(lx, at);
    return 0;
}

Program *parse_program(Arena *a, Diag *d, int file)
{
    ParseCtx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.arena = a;
    ctx.diag = d;
    lex_init(&ctx.lx, a, d, file);
    parse_parse(&ctx);
    Program *p = arena_alloc(a, sizeof *p);
    p->items = parse_list(&ctx.items, &p->nitems);
    return p;
}
