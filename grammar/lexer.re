/* lexer.re - the scanner of the flow language (re2c, free-form). It turns a
 * NUL-terminated source buffer into tokens with byte-offset locations:
 * keywords, identifiers (lowercase: values; Uppercase: types), integers
 * with `_` separators, floats, durations (`250ms 10s 5m 1h 2d`, i64
 * milliseconds), strings with escapes, punctuation. Comments are `// ...`
 * and block comments (slash-star ... star-slash) that do not nest. Errors (a bad character, an
 * unterminated string or comment, a bad number) are reported here and the
 * scan goes on, so the parser sees a usable token stream. */
#include "lex.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void lex_init(Lexer *lx, Arena *a, Diag *d, int file)
{
    Source *s = diag_source(d, file);
    memset(lx, 0, sizeof *lx);
    lx->src = lx->cur = s->text;
    lx->lim = s->text + s->len;
    lx->file = file;
    lx->arena = a;
    lx->diag = d;
}

static Loc lex_loc(Lexer *lx, const char *b, const char *e)
{
    Loc l = {lx->file, (int32_t)(b - lx->src), (int32_t)(e - lx->src)};
    return l;
}

/* Digits with `_` separators, in base 10 or 16, into *out; 0 on overflow. */
static int lex_digits(const char *b, const char *e, int base, int64_t *out)
{
    uint64_t v = 0;
    for (const char *p = b; p < e; p++) {
        int d;
        if (*p == '_')
            continue;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            break;
        if (v > (uint64_t)(INT64_MAX - d) / (uint64_t)base)
            return 0;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = (int64_t)v;
    return 1;
}

static int lex_int(Lexer *lx, PARSE_STYPE *val, int base)
{
    const char *b = base == 16 ? lx->tok + 2 : lx->tok;
    if (!lex_digits(b, lx->cur, base, &val->ival)) {
        diag_error(lx->diag, lex_loc(lx, lx->tok, lx->cur), "integer literal is too large for i64");
        val->ival = 0;
    }
    return INT;
}

static int lex_float(Lexer *lx, PARSE_STYPE *val)
{
    char buf[128];
    int n = 0;
    for (const char *p = lx->tok; p < lx->cur && n < 127; p++)
        if (*p != '_')
            buf[n++] = *p;
    buf[n] = 0;
    errno = 0;
    val->fval = strtod(buf, NULL);
    if (errno == ERANGE && isinf(val->fval))
        diag_error(lx->diag, lex_loc(lx, lx->tok, lx->cur), "float literal is out of range");
    return FLOAT;
}

/* A number followed by letters: a duration (ms s m h d) or an error. */
static int lex_suffixed(Lexer *lx, PARSE_STYPE *val)
{
    static const struct { const char *unit; int64_t ms; } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    const char *s = lx->tok;
    while (s < lx->cur && ((*s >= '0' && *s <= '9') || *s == '_'))
        s++;
    size_t n = (size_t)(lx->cur - s);
    int64_t v = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].unit) != n || memcmp(units[i].unit, s, n))
            continue;
        if (!lex_digits(lx->tok, s, 10, &v) || v > INT64_MAX / units[i].ms) {
            diag_error(lx->diag, lex_loc(lx, lx->tok, lx->cur), "duration is too large");
            v = 0;
        }
        val->ival = v * units[i].ms;
        return DURATION;
    }
    diag_error(lx->diag, lex_loc(lx, s, lx->cur),
               "unknown suffix `%.*s` on a number (durations take ms, s, m, h or d)", (int)n, s);
    val->ival = 0;
    return INT;
}

static int lex_hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One escape after a backslash at p; appends to out, returns the next p. */
static const char *lex_escape(Lexer *lx, const char *p, char *out, int64_t *n)
{
    const char *bs = p - 1;
    switch (*p) {
    case 'n': out[(*n)++] = '\n'; return p + 1;
    case 't': out[(*n)++] = '\t'; return p + 1;
    case 'r': out[(*n)++] = '\r'; return p + 1;
    case '0': out[(*n)++] = '\0'; return p + 1;
    case '\\': case '"': case '\'': out[(*n)++] = *p; return p + 1;
    case 'x':
        if (p + 2 <= lx->lim && lex_hex(p[1]) >= 0 && lex_hex(p[2]) >= 0) {
            out[(*n)++] = (char)(lex_hex(p[1]) * 16 + lex_hex(p[2]));
            return p + 3;
        }
        diag_error(lx->diag, lex_loc(lx, bs, p + 1), "`\\x` must be followed by two hex digits");
        return p + 1;
    default:
        diag_error(lx->diag, lex_loc(lx, bs, p < lx->lim ? p + 1 : p),
                   "unknown escape sequence in string");
        return p < lx->lim ? p + 1 : p;
    }
}

/* The body of a string literal; lx->cur is just past the opening quote. */
static int lex_string(Lexer *lx, PARSE_STYPE *val)
{
    const char *p = lx->cur;
    char *out = arena_alloc(lx->arena, (size_t)(lx->lim - p) + 1);
    int64_t n = 0;
    for (;;) {
        if (p >= lx->lim || *p == '\n') {
            diag_error(lx->diag, lex_loc(lx, lx->tok, p), "unterminated string literal");
            break;
        }
        if (*p == '"') {
            p++;
            break;
        }
        if (*p == '\\')
            p = lex_escape(lx, p + 1, out, &n);
        else
            out[n++] = *p++;
    }
    out[n] = 0;
    lx->cur = p;
    val->str.ptr = out;
    val->str.len = n;
    return STRING;
}

static int lex_block_comment(Lexer *lx)
{
    const char *p = lx->cur;
    while (p + 1 < lx->lim && !(p[0] == '*' && p[1] == '/'))
        p++;
    if (p + 1 >= lx->lim) {
        diag_error(lx->diag, lex_loc(lx, lx->tok, lx->tok + 2), "unterminated comment");
        lx->cur = lx->lim;
        return 0;
    }
    lx->cur = p + 2;
    return 1;
}

static int lex_bad_char(Lexer *lx)
{
    unsigned char c = (unsigned char)*lx->tok;
    const char *e = lx->cur;
    if (c >= 0xC0)  /* a UTF-8 sequence: report it whole */
        while (e < lx->lim && ((unsigned char)*e & 0xC0) == 0x80)
            e++;
    lx->cur = e;
    if (c >= 0x80)
        diag_error(lx->diag, lex_loc(lx, lx->tok, e), "unexpected character `%.*s` (flow source is ASCII outside strings and comments)",
                   (int)(e - lx->tok), lx->tok);
    else if (c < 32 || c == 127)
        diag_error(lx->diag, lex_loc(lx, lx->tok, e), "unexpected control character 0x%02x", c);
    else
        diag_error(lx->diag, lex_loc(lx, lx->tok, e), "unexpected character `%c`", c);
    return -1;
}

static int lex_ident(Lexer *lx, PARSE_STYPE *val, int tok)
{
    val->name = arena_strndup(lx->arena, lx->tok, (size_t)(lx->cur - lx->tok));
    return tok;
}

/* Scans one token; returns -1 for "nothing, scan again" (white space,
 * comments, a bad character) and 0 at the end of the input. */
static int lex_scan(Lexer *lx, PARSE_STYPE *val)
{
    lx->tok = lx->cur;
    int after_dot = lx->after_dot;
    lx->after_dot = 0;
    /*!re2c
        re2c:api:style = free-form;
        re2c:define:YYCTYPE = "unsigned char";
        re2c:define:YYCURSOR = "lx->cur";
        re2c:define:YYMARKER = "lx->marker";
        re2c:define:YYLIMIT = "lx->lim";
        re2c:yyfill:enable = 0;
        re2c:eof = 0;

        dec = [0-9] [0-9_]*;
        exp = [eE] [+-]? [0-9]+;
        id  = [a-zA-Z0-9_];

        $                       { return 0; }
        [ \t\r\n]+              { return -1; }
        "//" [^\n\x00]*         { return -1; }
        "/*"                    { return lex_block_comment(lx) ? -1 : 0; }
        "\""                    { return lex_string(lx, val); }

        "param"  { return PARAM; }
        "type"   { return TYPE; }
        "fn"     { return FN; }
        "extern" { return EXTERN; }
        "use"    { return USE; }
        "let"    { return LET; }
        "if"     { return IF; }
        "else"   { return ELSE; }
        "as"     { return AS; }
        "true"   { val->ival = 1; return TRUE; }
        "false"  { val->ival = 0; return FALSE; }
        "_"      { return UNDERSCORE; }

        [a-z_] id*   { return lex_ident(lx, val, IDENT); }
        [A-Z] id*    { return lex_ident(lx, val, UIDENT); }

        dec          { return lex_int(lx, val, 10); }
        "0x" [0-9a-fA-F_]+ { return lex_int(lx, val, 16); }
        dec "." [0-9] [0-9_]* exp? | dec exp {
            if (after_dot) {  /* t.0.1: only the leading digits */
                lx->cur = lx->tok;
                while (lx->cur < lx->lim && *lx->cur >= '0' && *lx->cur <= '9')
                    lx->cur++;
                return lex_int(lx, val, 10);
            }
            return lex_float(lx, val);
        }
        dec [a-zA-Z_] id* { return lex_suffixed(lx, val); }
        dec "." [0-9] [0-9_]* [a-zA-Z_] id* {
            if (after_dot) {
                lx->cur = lx->tok;
                while (lx->cur < lx->lim && *lx->cur >= '0' && *lx->cur <= '9')
                    lx->cur++;
                return lex_int(lx, val, 10);
            }
            diag_error(lx->diag, lex_loc(lx, lx->tok, lx->cur),
                       "a duration is a whole number of a unit: write 1500ms, not 1.5s");
            val->ival = 0;
            return DURATION;
        }

        "->" { return ARROW; }
        "==" { return EQ; }
        "!=" { return NE; }
        "<=" { return LE; }
        ">=" { return GE; }
        "&&" { return ANDAND; }
        "||" { return OROR; }
        "."  { lx->after_dot = 1; return '.'; }
        [-+*/%<>!=|(){}[\],:;] { return *lx->tok; }

        *    { return lex_bad_char(lx); }
    */
}

static int lex_at_line_start(Lexer *lx, const char *p)
{
    return p == lx->src || p[-1] == '\n';
}

int lex_starts_line(Lexer *lx, Loc at) { return lex_at_line_start(lx, lx->src + at.start); }

static void lex_error(Lexer *lx)
{
    lx->item_errors++;
}

/* Keeps the stack of open brackets; drops (and reports) a closing bracket
 * that closes nothing. Returns 0 when the token is to be dropped. */
static int lex_brackets(Lexer *lx, int t, Loc loc)
{
    if (t == '(' || t == '[' || t == '{') {
        if (lx->depth < LEX_MAX_OPEN) {
            lx->open[lx->depth] = loc;
            lx->open_ch[lx->depth] = (char)t;
        }
        lx->depth++;
    } else if (t == ')' || t == ']' || t == '}') {
        if (lx->depth == 0) {
            diag_error(lx->diag, loc, "unmatched `%c`", t);
            lex_error(lx);
            return 0;
        }
        lx->depth--;
    }
    return 1;
}

static int lex_item_start(Lexer *lx, int t)
{
    return t == 0 || (lex_at_line_start(lx, lx->tok) && t != '.' && t != ')' && t != ']' && t != '}');
}

int lex_next(Lexer *lx, PARSE_STYPE *val, Loc *loc)
{
    for (;;) {
        int errors = lx->diag->errors;
        int t = lex_scan(lx, val);
        if (lx->diag->errors != errors)
            lex_error(lx);
        if (t < 0)
            continue;
        *loc = lex_loc(lx, lx->tok, lx->cur);
        if (t == 0)
            loc->start = loc->end = (int32_t)(lx->lim - lx->src);
        if (lx->recovering) {
            if (!lex_item_start(lx, t))
                continue;
            lx->recovering = 0;
            lx->depth = 0;
        }
        if (t != 0 && lex_item_start(lx, t) && lx->depth == 0) {
            lx->prev_item_errors = lx->item_errors;
            lx->item_errors = 0;
        }
        if (!lex_brackets(lx, t, *loc))
            continue;
        lx->prev = lx->last;
        lx->last = *loc;
        lx->last_tok = t;
        return t;
    }
}

void lex_recover(Lexer *lx, Loc at)
{
    lx->discard = 0;
    if (at.start == at.end)  /* end of file */
        return;
    if (lex_starts_line(lx, at)) {  /* the offending token starts the next item */
        int opener = lx->last_tok == '(' || lx->last_tok == '[' || lx->last_tok == '{';
        lx->depth = opener ? 1 : 0;
        lx->open[0] = at;
        lx->open_ch[0] = (char)lx->last_tok;
        return;
    }
    lx->recovering = 1;
    lx->discard = 1;
}

int parse_lex(PARSE_STYPE *val, Loc *loc, ParseCtx *ctx)
{
    return lex_next(&ctx->lx, val, loc);
}
