/* test_lexer.c - unit tests of the re2c scanner (grammar/lexer.re through
 * lex_init/lex_next): every token kind (keywords, identifiers vs type names,
 * `_`, integers with `_` separators, hex, floats with exponents, durations
 * converted to milliseconds, strings with every escape, punctuation and the
 * two-character operators), byte-offset locations, `t.0.1` lexed as
 * INT '.' INT '.' INT, comments (line, block, block comments not nested),
 * and the scanner's errors - bad character, unterminated string, unknown
 * escape, bad \x escape, unterminated comment, bad suffix, integer and
 * duration overflow - each with its location, and the scan going on. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <string.h>

#include "helpers.h"
#include "lex.h"

typedef struct Tok {
    int kind;
    Loc loc;
    PARSE_STYPE val;
} Tok;

enum { MAXTOK = 512 };

static Tok toks[MAXTOK];
static int ntok;   /* tokens before the end, which is toks[ntok] */
static int file;

FRONT_FIXTURE(lexer);

/* Scans src (len bytes) to the end; returns the number of tokens before it. */
static int lex_n(const char *src, int32_t len)
{
    file = diag_add_source(&D, "t.flow", src, len);
    Lexer lx;
    lex_init(&lx, &A, &D, file);
    ntok = 0;
    for (;;) {
        cr_assert_lt(ntok, MAXTOK - 1, "too many tokens");
        Tok *t = &toks[ntok];
        memset(t, 0, sizeof *t);
        t->kind = lex_next(&lx, &t->val, &t->loc);
        if (t->kind == 0)
            break;
        ntok++;
    }
    return ntok;
}

static int lex(const char *src) { return lex_n(src, (int32_t)strlen(src)); }

static const char *out(void) { return cap_text(&cap); }

static void expect_tok(int i, int kind, int start, int end)
{
    cr_assert_lt(i, ntok + 1, "token %d does not exist (%d tokens)", i, ntok);
    cr_expect_eq(toks[i].kind, kind, "token %d: kind %d, want %d", i, toks[i].kind, kind);
    cr_expect_eq(toks[i].loc.start, start, "token %d: start %d, want %d", i, toks[i].loc.start, start);
    cr_expect_eq(toks[i].loc.end, end, "token %d: end %d, want %d", i, toks[i].loc.end, end);
    cr_expect_eq(toks[i].loc.file, file);
}

static void expect_kinds(const int *kinds, int n)
{
    cr_assert_eq(ntok, n, "%d tokens, want %d", ntok, n);
    for (int i = 0; i < n; i++)
        cr_expect_eq(toks[i].kind, kinds[i], "token %d: kind %d, want %d", i, toks[i].kind, kinds[i]);
}

static void expect_int(int i, int kind, int64_t v)
{
    cr_assert_lt(i, ntok);
    cr_expect_eq(toks[i].kind, kind, "token %d: kind %d", i, toks[i].kind);
    cr_expect_eq(toks[i].val.ival, v, "token %d: %lld, want %lld", i, (long long)toks[i].val.ival, (long long)v);
}

static void expect_str(int i, const char *bytes, int64_t len)
{
    cr_assert_lt(i, ntok);
    cr_assert_eq(toks[i].kind, STRING);
    cr_assert_eq(toks[i].val.str.len, len, "length %lld, want %lld", (long long)toks[i].val.str.len, (long long)len);
    cr_expect_eq(memcmp(toks[i].val.str.ptr, bytes, (size_t)len), 0);
    cr_expect_eq(toks[i].val.str.ptr[len], 0, "NUL-terminated");
}

/* The one error printed: its location header and message. */
static void expect_error(const char *where_and_msg)
{
    cr_expect_eq(D.errors, 1, "%d errors:\n%s", D.errors, out());
    cr_expect(strstr(out(), where_and_msg) != NULL, "want `%s` in:\n%s", where_and_msg, out());
}

/* ---- empty input and white space ---- */

Test(lexer, empty_input)
{
    cr_expect_eq(lex(""), 0);
    expect_tok(0, 0, 0, 0);
    cr_expect_eq(D.errors, 0);
}

Test(lexer, white_space_only)
{
    cr_expect_eq(lex(" \t\r\n  \n"), 0);
    expect_tok(0, 0, 7, 7);  /* the end is at the end of the text */
}

/* ---- keywords, names ---- */

Test(lexer, keywords)
{
    lex("param type fn extern use let if else as true false _");
    int kinds[] = {PARAM, TYPE, FN, EXTERN, USE, LET, IF, ELSE, AS, TRUE, FALSE, UNDERSCORE};
    expect_kinds(kinds, 12);
    expect_tok(0, PARAM, 0, 5);
    expect_tok(1, TYPE, 6, 10);
    expect_tok(2, FN, 11, 13);
    expect_tok(3, EXTERN, 14, 20);
    expect_tok(11, UNDERSCORE, 51, 52);
    cr_expect_eq(toks[9].val.ival, 1, "true is 1");
    cr_expect_eq(toks[10].val.ival, 0, "false is 0");
    cr_expect_eq(D.errors, 0);
}

Test(lexer, keyword_prefixes_are_identifiers)
{
    lex("params types fn2 iffy asx letter _x __ use_ True Type");
    int kinds[] = {IDENT, IDENT, IDENT, IDENT, IDENT, IDENT, IDENT, IDENT, IDENT, UIDENT, UIDENT};
    expect_kinds(kinds, 11);
    cr_expect_str_eq(toks[0].val.name, "params");
    cr_expect_str_eq(toks[6].val.name, "_x");
    cr_expect_str_eq(toks[7].val.name, "__");
    cr_expect_str_eq(toks[9].val.name, "True");
}

Test(lexer, identifiers_and_type_names)
{
    lex("word_count x1 Point HTTPServer read_csv Window z");
    int kinds[] = {IDENT, IDENT, UIDENT, UIDENT, IDENT, UIDENT, IDENT};
    expect_kinds(kinds, 7);
    cr_expect_str_eq(toks[0].val.name, "word_count");
    cr_expect_str_eq(toks[1].val.name, "x1");
    cr_expect_str_eq(toks[2].val.name, "Point");
    cr_expect_str_eq(toks[3].val.name, "HTTPServer");
    cr_expect_str_eq(toks[6].val.name, "z");
    expect_tok(0, IDENT, 0, 10);
    expect_tok(2, UIDENT, 14, 19);
    expect_tok(6, IDENT, 47, 48);
}

/* ---- numbers ---- */

Test(lexer, integers)
{
    lex("0 42 1_000_000 007 9223372036854775807 1_ 3__4");
    int kinds[] = {INT, INT, INT, INT, INT, INT, INT};
    expect_kinds(kinds, 7);
    expect_int(0, INT, 0);
    expect_int(1, INT, 42);
    expect_int(2, INT, 1000000);
    expect_int(3, INT, 7);
    expect_int(4, INT, INT64_MAX);
    expect_int(5, INT, 1);
    expect_int(6, INT, 34);
    expect_tok(2, INT, 5, 14);
    cr_expect_eq(D.errors, 0);
}

Test(lexer, hex_integers)
{
    lex("0xff 0x0 0XAB 0xDead_Beef 0x7fffffffffffffff");
    /* 0XAB: only a lowercase x makes a hex literal */
    cr_expect_eq(toks[0].kind, INT);
    expect_int(0, INT, 255);
    expect_int(1, INT, 0);
    expect_tok(0, INT, 0, 4);
    cr_expect_eq(toks[2].kind, INT);
    cr_expect_eq(toks[2].loc.start, 9);
    cr_expect_eq(D.errors, 1);
    cr_expect(strstr(out(), "t.flow:1:11: error: unknown suffix `XAB`") != NULL, "%s", out());
    int last = ntok - 1;
    expect_int(last, INT, INT64_MAX);
    expect_int(last - 1, INT, 0xDEADBEEF);
}

Test(lexer, floats)
{
    lex("3.5 0.25 1e-9 2E3 1.5e+2 1_000.5 6.02e23 0.0");
    int kinds[] = {FLOAT, FLOAT, FLOAT, FLOAT, FLOAT, FLOAT, FLOAT, FLOAT};
    expect_kinds(kinds, 8);
    cr_expect_float_eq(toks[0].val.fval, 3.5, 1e-12);
    cr_expect_float_eq(toks[1].val.fval, 0.25, 1e-12);
    cr_expect_float_eq(toks[2].val.fval, 1e-9, 1e-20);
    cr_expect_float_eq(toks[3].val.fval, 2000.0, 1e-9);
    cr_expect_float_eq(toks[4].val.fval, 150.0, 1e-9);
    cr_expect_float_eq(toks[5].val.fval, 1000.5, 1e-9);
    cr_expect_float_eq(toks[6].val.fval, 6.02e23, 1e10);
    cr_expect_float_eq(toks[7].val.fval, 0.0, 1e-12);
    expect_tok(2, FLOAT, 9, 13);
    expect_tok(4, FLOAT, 18, 24);
    cr_expect_eq(D.errors, 0);
}

Test(lexer, dot_without_fraction_is_not_a_float)
{
    lex("1.x 2. 3");
    int kinds[] = {INT, '.', IDENT, INT, '.', INT};
    expect_kinds(kinds, 6);
    expect_int(0, INT, 1);
    expect_int(3, INT, 2);
}

Test(lexer, float_out_of_range)
{
    lex("1e999 2");
    expect_error("t.flow:1:1: error: float literal is out of range");
    cr_expect_eq(toks[0].kind, FLOAT);
    expect_int(1, INT, 2);
    cr_expect(strstr(out(), "      | ^~~~~\n") != NULL, "%s", out());
}

Test(lexer, durations_in_milliseconds)
{
    lex("250ms 10s 5m 1h 2d 1_000ms 0s");
    int kinds[] = {DURATION, DURATION, DURATION, DURATION, DURATION, DURATION, DURATION};
    expect_kinds(kinds, 7);
    expect_int(0, DURATION, 250);
    expect_int(1, DURATION, 10000);
    expect_int(2, DURATION, 300000);
    expect_int(3, DURATION, 3600000);
    expect_int(4, DURATION, 172800000);
    expect_int(5, DURATION, 1000);
    expect_int(6, DURATION, 0);
    expect_tok(0, DURATION, 0, 5);
    expect_tok(1, DURATION, 6, 9);
    cr_expect_eq(D.errors, 0);
}

Test(lexer, tuple_index_after_dot)
{
    lex("t.0.1");
    int kinds[] = {IDENT, '.', INT, '.', INT};
    expect_kinds(kinds, 5);
    expect_tok(0, IDENT, 0, 1);
    expect_tok(1, '.', 1, 2);
    expect_tok(2, INT, 2, 3);
    expect_tok(3, '.', 3, 4);
    expect_tok(4, INT, 4, 5);
    expect_int(2, INT, 0);
    expect_int(4, INT, 1);
    cr_expect_eq(D.errors, 0);
}

Test(lexer, tuple_index_chain_and_floats_elsewhere)
{
    lex("p.12.3 + 0.5");
    int kinds[] = {IDENT, '.', INT, '.', INT, '+', FLOAT};
    expect_kinds(kinds, 7);
    expect_int(2, INT, 12);
    expect_int(4, INT, 3);
    expect_tok(2, INT, 2, 4);
    cr_expect_float_eq(toks[6].val.fval, 0.5, 1e-12);
}

Test(lexer, integer_overflow)
{
    lex("9223372036854775808 7");
    expect_error("t.flow:1:1: error: integer literal is too large for i64");
    cr_expect(strstr(out(), "      | ^~~~~~~~~~~~~~~~~~~\n") != NULL, "19-byte underline:\n%s", out());
    expect_int(0, INT, 0);
    expect_tok(0, INT, 0, 19);
    expect_int(1, INT, 7);
}

Test(lexer, hex_overflow)
{
    lex("x = 0x1_0000_0000_0000_0000");
    expect_error("t.flow:1:5: error: integer literal is too large for i64");
    cr_expect_eq(ntok, 3);
    expect_int(2, INT, 0);
}

Test(lexer, duration_overflow)
{
    lex("9999999999999999d 1s");
    expect_error("t.flow:1:1: error: duration is too large");
    expect_int(0, DURATION, 0);
    expect_int(1, DURATION, 1000);
}

Test(lexer, bad_suffix)
{
    lex("let t = 10sec\nlet u = 2");
    expect_error("t.flow:1:11: error: unknown suffix `sec` on a number (durations take ms, s, m, h or d)");
    cr_expect(strstr(out(), "    1 | let t = 10sec\n      |           ^~~\n") != NULL, "%s", out());
    int kinds[] = {LET, IDENT, '=', INT, LET, IDENT, '=', INT};
    expect_kinds(kinds, 8);
    expect_tok(3, INT, 8, 13);
    expect_int(7, INT, 2);
}

Test(lexer, bad_suffixes_each_reported)
{
    lex("3x 4_ms 5MS 6min");
    /* `4_ms`: separators before the unit are digits */
    cr_expect_eq(D.errors, 3, "%s", out());
    cr_expect(strstr(out(), "unknown suffix `x`") != NULL);
    cr_expect(strstr(out(), "unknown suffix `MS`") != NULL);
    cr_expect(strstr(out(), "unknown suffix `min`") != NULL);
    cr_expect_eq(ntok, 4);
    expect_int(1, DURATION, 4);
}

/* ---- strings ---- */

Test(lexer, plain_string)
{
    lex("\"hello, world\" \"\"");
    cr_expect_eq(ntok, 2);
    expect_str(0, "hello, world", 12);
    expect_tok(0, STRING, 0, 14);
    expect_str(1, "", 0);
    expect_tok(1, STRING, 15, 17);
}

Test(lexer, string_escapes)
{
    lex("\"a\\nb\\tc\\rd\\0e\\\\f\\\"g\\'h\\x41\\x7e\\xFF\"");
    expect_str(0, "a\nb\tc\rd\0e\\f\"g'hA~\xff", 18);
    cr_expect_eq(D.errors, 0, "%s", out());
    cr_expect_eq(ntok, 1);
}

Test(lexer, string_keeps_comment_markers_and_non_ascii)
{
    lex("\"// not /* a comment\" \"caf\xc3\xa9\"");
    cr_expect_eq(ntok, 2);
    expect_str(0, "// not /* a comment", 19);
    expect_str(1, "caf\xc3\xa9", 5);
    cr_expect_eq(D.errors, 0);
}

Test(lexer, unterminated_string_at_newline)
{
    lex("let s = \"abc\nlet t = 1");
    expect_error("t.flow:1:9: error: unterminated string literal");
    cr_expect(strstr(out(), "      |         ^~~~\n") != NULL, "underline up to the line end:\n%s", out());
    int kinds[] = {LET, IDENT, '=', STRING, LET, IDENT, '=', INT};
    expect_kinds(kinds, 8);
    expect_str(3, "abc", 3);
    expect_tok(3, STRING, 8, 12);
    expect_tok(4, LET, 13, 16);
}

Test(lexer, unterminated_string_at_end)
{
    lex("x \"abc");
    expect_error("t.flow:1:3: error: unterminated string literal");
    cr_expect_eq(ntok, 2);
    expect_str(1, "abc", 3);
    expect_tok(1, STRING, 2, 6);
    expect_tok(2, 0, 6, 6);
}

Test(lexer, unknown_escape)
{
    lex("\"a\\qb\" 5");
    expect_error("t.flow:1:3: error: unknown escape sequence in string");
    cr_expect(strstr(out(), "      |   ^~\n") != NULL, "the backslash and the letter:\n%s", out());
    cr_expect_eq(ntok, 2);
    cr_expect_eq(toks[0].kind, STRING);
    cr_expect_eq(toks[0].val.str.len, 2, "the bad escape is dropped");
    cr_expect_eq(memcmp(toks[0].val.str.ptr, "ab", 2), 0);
    expect_tok(0, STRING, 0, 6);
    expect_int(1, INT, 5);
}

Test(lexer, bad_hex_escape)
{
    lex("\"\\x4g\" 1");
    expect_error("t.flow:1:2: error: `\\x` must be followed by two hex digits");
    cr_expect_eq(ntok, 2);
    cr_expect_eq(toks[0].kind, STRING);
    expect_int(1, INT, 1);
}

Test(lexer, several_string_errors_in_one_literal)
{
    lex("\"\\q\\z\"");
    cr_expect_eq(D.errors, 2, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:2: error: unknown escape") != NULL);
    cr_expect(strstr(out(), "t.flow:1:4: error: unknown escape") != NULL);
}

/* ---- punctuation ---- */

Test(lexer, punctuation)
{
    lex("- + * / % < > ! = | ( ) { } [ ] , : ; .");
    int kinds[] = {'-', '+', '*', '/', '%', '<', '>', '!', '=', '|', '(', ')', '{', '}', '[', ']',
                   ',', ':', ';', '.'};
    expect_kinds(kinds, 20);
    for (int i = 0; i < 20; i++)
        expect_tok(i, kinds[i], 2 * i, 2 * i + 1);
    cr_expect_eq(D.errors, 0);
}

Test(lexer, two_char_operators)
{
    lex("-> == != <= >= && ||");
    int kinds[] = {ARROW, EQ, NE, LE, GE, ANDAND, OROR};
    expect_kinds(kinds, 7);
    for (int i = 0; i < 7; i++)
        expect_tok(i, kinds[i], 3 * i, 3 * i + 2);
}

Test(lexer, operators_without_spaces)
{
    lex("a<=b==c->d||!e|x|-1");
    int kinds[] = {IDENT, LE, IDENT, EQ, IDENT, ARROW, IDENT, OROR, '!', IDENT, '|', IDENT, '|', '-', INT};
    expect_kinds(kinds, 15);
    expect_tok(7, OROR, 10, 12);
    expect_tok(13, '-', 17, 18);
}

Test(lexer, locations_across_lines)
{
    lex("let x = 1\n  foo(\"s\")\n");
    expect_tok(0, LET, 0, 3);
    expect_tok(1, IDENT, 4, 5);
    expect_tok(2, '=', 6, 7);
    expect_tok(3, INT, 8, 9);
    expect_tok(4, IDENT, 12, 15);
    expect_tok(5, '(', 15, 16);
    expect_tok(6, STRING, 16, 19);
    expect_tok(7, ')', 19, 20);
    expect_tok(8, 0, 21, 21);
}

/* ---- comments ---- */

Test(lexer, line_comments)
{
    lex("a // b c\nd//e\n// last");
    int kinds[] = {IDENT, IDENT};
    expect_kinds(kinds, 2);
    cr_expect_str_eq(toks[0].val.name, "a");
    cr_expect_str_eq(toks[1].val.name, "d");
    expect_tok(1, IDENT, 9, 10);
    expect_tok(2, 0, 21, 21);
}

Test(lexer, block_comments)
{
    lex("a /* b\n c */ d /**/ e /* * / ** */ f");
    int kinds[] = {IDENT, IDENT, IDENT, IDENT};
    expect_kinds(kinds, 4);
    cr_expect_str_eq(toks[1].val.name, "d");
    expect_tok(1, IDENT, 13, 14);
    cr_expect_str_eq(toks[3].val.name, "f");
    cr_expect_eq(D.errors, 0);
}

Test(lexer, block_comments_do_not_nest)
{
    lex("a /* b /* c */ d */ e");
    /* the comment ends at the first star-slash: d * / e follow */
    int kinds[] = {IDENT, IDENT, '*', '/', IDENT};
    expect_kinds(kinds, 5);
    cr_expect_str_eq(toks[1].val.name, "d");
    expect_tok(1, IDENT, 15, 16);
    expect_tok(2, '*', 17, 18);
    cr_expect_eq(D.errors, 0);
}

Test(lexer, unterminated_block_comment)
{
    lex("x\n  /* never closed\n y z");
    expect_error("t.flow:2:3: error: unterminated comment");
    cr_expect(strstr(out(), "    2 |   /* never closed\n      |   ^~\n") != NULL, "%s", out());
    cr_expect_eq(ntok, 1, "the rest of the file is the comment");
    expect_tok(1, 0, 24, 24);
}

Test(lexer, comment_star_slash_at_end)
{
    lex("a /* x */");
    cr_expect_eq(ntok, 1);
    cr_expect_eq(D.errors, 0);
    lex("b /* x *");
    cr_expect_eq(D.errors, 1, "a lone star is not a close");
}

/* ---- bad characters ---- */

Test(lexer, bad_character_reported_with_location)
{
    lex("let x = 1\nfoo @ 3");
    expect_error("t.flow:2:5: error: unexpected character `@`");
    cr_expect(strstr(out(), "    2 | foo @ 3\n      |     ^\n") != NULL, "%s", out());
}

Test(lexer, scan_continues_after_bad_character)
{
    lex("a @ b # c");
    cr_expect_eq(D.errors, 2, "%s", out());
    int kinds[] = {IDENT, IDENT, IDENT};
    expect_kinds(kinds, 3);
    cr_expect_str_eq(toks[1].val.name, "b");
    expect_tok(1, IDENT, 4, 5);
    expect_tok(2, IDENT, 8, 9);
}

Test(lexer, single_ampersand_and_others_are_bad)
{
    const char *bad[] = {"&", "#", "$", "?", "@", "^", "~", "`", "'", "\\"};
    for (int i = 0; i < 10; i++) {
        teardown();
        setup();
        lex(bad[i]);
        cr_expect_eq(D.errors, 1, "`%s`", bad[i]);
        char want[64];
        snprintf(want, sizeof want, "unexpected character `%s`", bad[i]);
        cr_expect(strstr(out(), want) != NULL, "%s", out());
    }
}

Test(lexer, fractional_duration)
{
    lex("let a = 1.5s 2");
    expect_error("t.flow:1:9: error: a duration is a whole number of a unit: write 1500ms, not 1.5s");
    cr_expect(strstr(out(), "      |         ^~~~\n") != NULL, "%s", out());
    expect_int(3, DURATION, 0);
    expect_int(4, INT, 2);
    lex("t.1.5s");
    cr_expect_eq(D.errors, 1, "after a dot, `1` is a tuple index: %s", out());
}

Test(lexer, unmatched_closing_brackets_are_dropped)
{
    lex("a ) ( b ] ) }");
    cr_expect_eq(D.errors, 3, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:3: error: unmatched `)`") != NULL, "%s", out());
    cr_expect(strstr(out(), "t.flow:1:13: error: unmatched `}`") != NULL, "%s", out());
    /* brackets are only counted here; the parser matches their kinds */
    cr_expect(strstr(out(), "t.flow:1:11: error: unmatched `)`") != NULL, "%s", out());
    int kinds[] = {IDENT, '(', IDENT, ']'};
    expect_kinds(kinds, 4);
}

Test(lexer, control_character)
{
    char src[] = "a \x01";
    lex(src);
    expect_error("t.flow:1:3: error: unexpected control character 0x01");
}

Test(lexer, utf8_outside_strings_reported_whole)
{
    lex("x = \xc3\xa9");
    expect_error("t.flow:1:5: error: unexpected character `\xc3\xa9` (flow source is ASCII outside strings and comments)");
    cr_expect(strstr(out(), "      |     ^~\n") != NULL, "both bytes underlined:\n%s", out());
}

Test(lexer, nul_byte_in_source)
{
    /* an embedded NUL before the end is a bad character, not the end */
    lex_n("a\0b", 3);
    cr_expect_eq(D.errors, 1, "%s", out());
    cr_expect(strstr(out(), "unexpected control character 0x00") != NULL, "%s", out());
}

/* ---- recovery mode ---- */

Test(lexer, recover_skips_to_line_start)
{
    file = diag_add_source(&D, "t.flow", "a b c\nd e\n  f\ng", 15);
    Lexer lx;
    lex_init(&lx, &A, &D, file);
    PARSE_STYPE v;
    Loc l;
    cr_assert_eq(lex_next(&lx, &v, &l), IDENT);  /* a */
    cr_assert_eq(lex_next(&lx, &v, &l), IDENT);  /* b */
    lex_recover(&lx, l);                          /* b does not start a line */
    cr_assert_eq(lex_next(&lx, &v, &l), IDENT);
    cr_expect_str_eq(v.name, "d", "c is skipped; d starts a line");
    cr_expect_eq(l.start, 6);
    cr_assert_eq(lex_next(&lx, &v, &l), IDENT);
    lex_recover(&lx, l);                          /* e: skip; `  f` is indented */
    cr_assert_eq(lex_next(&lx, &v, &l), IDENT);
    cr_expect_str_eq(v.name, "g");
    cr_expect_eq(lex_next(&lx, &v, &l), 0);
}

Test(lexer, recover_at_line_start_skips_nothing)
{
    file = diag_add_source(&D, "t.flow", "a\nb c", 5);
    Lexer lx;
    lex_init(&lx, &A, &D, file);
    PARSE_STYPE v;
    Loc l;
    lex_next(&lx, &v, &l);
    lex_next(&lx, &v, &l);    /* b, at a line start */
    lex_recover(&lx, l);
    cr_assert_eq(lex_next(&lx, &v, &l), IDENT);
    cr_expect_str_eq(v.name, "c");
}

Test(lexer, recover_does_not_stop_at_closing_brackets)
{
    file = diag_add_source(&D, "t.flow", "a b\n)\n.x\nc", 10);
    Lexer lx;
    lex_init(&lx, &A, &D, file);
    PARSE_STYPE v;
    Loc l;
    lex_next(&lx, &v, &l);
    lex_next(&lx, &v, &l);
    lex_recover(&lx, l);
    cr_assert_eq(lex_next(&lx, &v, &l), IDENT);
    cr_expect_str_eq(v.name, "c", "`)` and `.` at a line start continue the broken item");
}
