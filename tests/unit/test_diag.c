/* test_diag.c - unit tests of compiler/diag.c: source files held in memory
 * and read from disk, byte offset -> line:col, the exact GCC-style output
 * (header, `%5d | ` gutter, caret and `~` underline, clipping at the end of
 * the line, tabs, notes, warnings, messages without a location), the
 * summary line, max_errors suppression, and the "did you mean" helpers
 * diag_edit_distance and diag_closest. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "helpers.h"

static Diag d;
static Capture cap;

static void setup(void)
{
    cap_open(&cap);
    diag_init(&d, cap.f);
}

static void teardown(void)
{
    diag_fini(&d);
    cap_close(&cap);
}

static int add(const char *path, const char *text)
{
    return diag_add_source(&d, path, text, (int32_t)strlen(text));
}

static Loc L(int file, int start, int end) { return (Loc){file, start, end}; }

static void expect_linecol(int file, int off, int line, int col)
{
    int l = -1, c = -1;
    diag_linecol(&d, L(file, off, off), &l, &c);
    cr_expect_eq(l, line, "offset %d: line %d, want %d", off, l, line);
    cr_expect_eq(c, col, "offset %d: col %d, want %d", off, c, col);
}

TestSuite(diag, .init = setup, .fini = teardown);

/* ---- sources ---- */

Test(diag, init_defaults)
{
    cr_expect_eq(d.errors, 0);
    cr_expect_eq(d.warnings, 0);
    cr_expect_eq(d.max_errors, 50);
    cr_expect_eq(d.color, 0, "a memstream is not a terminal: no colour");
    cr_expect_eq(d.nfiles, 0);
}

Test(diag, add_source_copies_and_indexes_lines)
{
    char text[] = "a\nbb\nccc";
    int f0 = add("one.flow", text);
    int f1 = add("two.flow", "x");
    cr_expect_eq(f0, 0);
    cr_expect_eq(f1, 1);
    text[0] = 'Z';  /* the source keeps its own copy */
    Source *s = diag_source(&d, f0);
    cr_assert_not_null(s);
    cr_expect_str_eq(s->path, "one.flow");
    cr_expect_str_eq(s->text, "a\nbb\nccc");
    cr_expect_eq(s->len, 8);
    cr_expect_eq(s->nlines, 3);
    cr_expect_eq(s->lines[0], 0);
    cr_expect_eq(s->lines[1], 2);
    cr_expect_eq(s->lines[2], 5);
    cr_expect_null(diag_source(&d, 2));
    cr_expect_null(diag_source(&d, -1));
}

Test(diag, add_source_with_embedded_length)
{
    /* only len bytes are taken, and the copy is NUL-terminated */
    int f = diag_add_source(&d, "p.flow", "abcdef", 3);
    Source *s = diag_source(&d, f);
    cr_expect_eq(s->len, 3);
    cr_expect_str_eq(s->text, "abc");
}

Test(diag, many_sources_grow_the_table)
{
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%d.flow", i);
        cr_assert_eq(add(name, "x\n"), i);
    }
    cr_expect_str_eq(diag_source(&d, 17)->path, "f17.flow");
}

Test(diag, load_file_reads_from_disk)
{
    char dir[] = "/tmp/flowc_diag_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/m.flow", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("let a = 1\nlet b = 2\n", f);
    fclose(f);
    int id = diag_load_file(&d, path, L(-1, 0, 0));
    cr_assert_geq(id, 0);
    Source *s = diag_source(&d, id);
    cr_expect_str_eq(s->text, "let a = 1\nlet b = 2\n");
    cr_expect_eq(s->len, 20);
    cr_expect_eq(s->nlines, 3, "a final newline starts an empty last line");
    cr_expect_eq(d.errors, 0);
    unlink(path);
    rmdir(dir);
}

Test(diag, load_missing_file_reports_error)
{
    int from = add("main.flow", "use \"nothere.flow\"\n");
    int id = diag_load_file(&d, "/nonexistent/dir/nothere.flow", L(from, 4, 18));
    cr_expect_eq(id, -1);
    cr_expect_eq(d.errors, 1);
    cr_expect_str_eq(cap_text(&cap),
                     "main.flow:1:5: error: cannot open `/nonexistent/dir/nothere.flow`: "
                     "No such file or directory\n"
                     "    1 | use \"nothere.flow\"\n"
                     "      |     ^~~~~~~~~~~~~~\n");
}

/* ---- line and column ---- */

Test(diag, linecol_first_line)
{
    int f = add("t.flow", "abc\ndef\n");
    expect_linecol(f, 0, 1, 1);
    expect_linecol(f, 1, 1, 2);
    expect_linecol(f, 2, 1, 3);
}

Test(diag, linecol_at_line_ends)
{
    int f = add("t.flow", "ab\ncd\n\nef");
    expect_linecol(f, 2, 1, 3);   /* the '\n' belongs to the line it ends */
    expect_linecol(f, 3, 2, 1);
    expect_linecol(f, 5, 2, 3);
    expect_linecol(f, 6, 3, 1);   /* an empty line */
    expect_linecol(f, 7, 4, 1);
}

Test(diag, linecol_last_line_without_newline)
{
    int f = add("t.flow", "ab\ncd\n\nef");
    expect_linecol(f, 8, 4, 2);
    expect_linecol(f, 9, 4, 3);    /* the end of the file */
    expect_linecol(f, 500, 4, 3);  /* past the end: clamped */
    expect_linecol(f, -7, 1, 1);   /* before the start: clamped */
}

Test(diag, linecol_many_lines)
{
    char buf[2000];
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%d\n", i % 10);
    int f = add("t.flow", buf);
    /* line k (1-based) starts at 2*(k-1) */
    expect_linecol(f, 0, 1, 1);
    expect_linecol(f, 2 * 136, 137, 1);
    expect_linecol(f, 2 * 136 + 1, 137, 2);
    expect_linecol(f, 2 * 299, 300, 1);
    expect_linecol(f, 600, 301, 1);
}

Test(diag, linecol_without_file)
{
    int l = 9, c = 9;
    diag_linecol(&d, L(-1, 3, 4), &l, &c);
    cr_expect_eq(l, 0);
    cr_expect_eq(c, 0);
}

Test(diag, loc_span_joins_ranges)
{
    Loc a = L(2, 5, 8), b = L(2, 10, 14);
    Loc r = loc_span(a, b);
    cr_expect_eq(r.file, 2);
    cr_expect_eq(r.start, 5);
    cr_expect_eq(r.end, 14);
    Loc other = loc_span(a, L(3, 10, 40));  /* another file: unchanged */
    cr_expect_eq(other.start, 5);
    cr_expect_eq(other.end, 8);
    Loc inner = loc_span(L(2, 0, 20), b);   /* b inside a: a */
    cr_expect_eq(inner.end, 20);
}

/* ---- the printed format ---- */

Test(diag, error_format_with_underline)
{
    int f = add("t.flow", "let abc = 1\n");
    diag_error(&d, L(f, 4, 7), "bad %s %d", "name", 42);
    cr_expect_str_eq(cap_text(&cap),
                     "t.flow:1:5: error: bad name 42\n"
                     "    1 | let abc = 1\n"
                     "      |     ^~~\n");
    cr_expect_eq(d.errors, 1);
    cr_expect_eq(d.warnings, 0);
}

Test(diag, single_char_and_empty_ranges_get_a_caret)
{
    int f = add("t.flow", "x + y\n");
    diag_error(&d, L(f, 2, 3), "one");
    diag_error(&d, L(f, 4, 4), "empty");
    cr_expect_str_eq(cap_text(&cap),
                     "t.flow:1:3: error: one\n"
                     "    1 | x + y\n"
                     "      |   ^\n"
                     "t.flow:1:5: error: empty\n"
                     "    1 | x + y\n"
                     "      |     ^\n");
}

Test(diag, line_number_gutter_is_five_wide)
{
    char buf[40000];
    size_t n = 0;
    for (int i = 0; i < 12344; i++)
        buf[n++] = '\n';
    strcpy(buf + n, "bad here\n");
    int f = add("big.flow", buf);
    diag_error(&d, L(f, (int)n + 4, (int)n + 8), "far away");
    cr_expect_str_eq(cap_text(&cap),
                     "big.flow:12345:5: error: far away\n"
                     "12345 | bad here\n"
                     "      |     ^~~~\n");
}

Test(diag, range_clipped_at_end_of_line)
{
    int f = add("t.flow", "let x = (1,\n  2)\n");
    diag_error(&d, L(f, 8, 16), "spans two lines");
    cr_expect_str_eq(cap_text(&cap),
                     "t.flow:1:9: error: spans two lines\n"
                     "    1 | let x = (1,\n"
                     "      |         ^~~\n");
}

Test(diag, range_on_last_line_without_newline)
{
    int f = add("t.flow", "a\nfoo bar");
    diag_warning(&d, L(f, 6, 40), "to the end");
    cr_expect_str_eq(cap_text(&cap),
                     "t.flow:2:5: warning: to the end\n"
                     "    2 | foo bar\n"
                     "      |     ^~~\n");
    cr_expect_eq(d.warnings, 1);
    cr_expect_eq(d.errors, 0);
}

Test(diag, location_at_end_of_file)
{
    int f = add("t.flow", "let x =");
    diag_error(&d, L(f, 7, 7), "unexpected end");
    cr_expect_str_eq(cap_text(&cap),
                     "t.flow:1:8: error: unexpected end\n"
                     "    1 | let x =\n"
                     "      |        ^\n");
}

Test(diag, tabs_and_control_characters_print_as_spaces)
{
    int f = add("t.flow", "\tx =\x01 1\n");
    diag_error(&d, L(f, 1, 2), "after a tab");
    cr_expect_str_eq(cap_text(&cap),
                     "t.flow:1:2: error: after a tab\n"
                     "    1 |  x =  1\n"
                     "      |  ^\n");
}

/* Lines longer than 150 characters are shown cut around the range. */
static char *repeat(char *p, char c, int n)
{
    memset(p, c, (size_t)n);
    return p + n;
}

Test(diag, long_line_is_cut_around_the_range)
{
    char text[512], *p = text;
    p = repeat(p, 'a', 200);
    memcpy(p, "TARGET", 6);
    p = repeat(p + 6, 'b', 194);
    *p = 0;
    int f = add("t.flow", text);
    diag_error(&d, L(f, 200, 206), "cut");
    char want[1024], *w = want;
    w += sprintf(w, "t.flow:1:201: error: cut\n    1 | ...");
    w = repeat(w, 'a', 50);
    w += sprintf(w, "TARGET");
    w = repeat(w, 'b', 94);
    w += sprintf(w, "...\n      | ");
    w = repeat(w, ' ', 53);
    sprintf(w, "^~~~~~\n");
    cr_expect_str_eq(cap_text(&cap), want);
}

Test(diag, line_of_150_characters_is_not_cut)
{
    char text[200];
    memset(text, 'x', 150);
    text[150] = 0;
    int f = add("t.flow", text);
    diag_error(&d, L(f, 149, 150), "last");
    const char *out = cap_text(&cap);
    cr_expect(strstr(out, "...") == NULL, "%s", out);
    char want[400], *w = want;
    w += sprintf(w, "t.flow:1:150: error: last\n    1 | ");
    w = repeat(w, 'x', 150);
    w += sprintf(w, "\n      | ");
    w = repeat(w, ' ', 149);
    sprintf(w, "^\n");
    cr_expect_str_eq(out, want);
}

Test(diag, long_line_range_clipped_to_the_shown_part)
{
    char text[512];
    memset(text, 'z', 400);
    text[400] = 0;
    int f = add("t.flow", text);
    diag_error(&d, L(f, 10, 390), "wide");
    const char *out = cap_text(&cap);
    /* from the line start (10 - 50 < 0), 150 characters, then "..." */
    const char *caret = strstr(out, "      | ");
    cr_assert_not_null(caret);
    caret += 8;
    cr_expect_eq(strspn(caret, " "), 10);
    cr_expect_eq(strspn(caret + 10, "^"), 1);
    cr_expect_eq(strspn(caret + 11, "~"), 139, "underline up to the cut at 150");
    cr_expect(strncmp(out + strlen("t.flow:1:11: error: wide\n    1 | "), "zzz", 3) == 0, "no leading ...: %s", out);
}

Test(diag, notes_and_warnings)
{
    int f = add("t.flow", "let a = 1\nlet a = 2\n");
    diag_warning(&d, L(f, 14, 15), "careful");
    diag_note(&d, L(f, 4, 5), "`%s` was first defined here", "a");
    cr_expect_str_eq(cap_text(&cap),
                     "t.flow:2:5: warning: careful\n"
                     "    2 | let a = 2\n"
                     "      |     ^\n"
                     "t.flow:1:5: note: `a` was first defined here\n"
                     "    1 | let a = 1\n"
                     "      |     ^\n");
    cr_expect_eq(d.errors, 0, "notes and warnings are not errors");
    cr_expect_eq(d.warnings, 1, "a note is not a warning");
}

Test(diag, message_without_location)
{
    diag_error(&d, L(-1, 0, 0), "no input files");
    diag_note(&d, L(-1, 0, 0), "see --help");
    cr_expect_str_eq(cap_text(&cap), "flowc: error: no input files\nflowc: note: see --help\n");
    cr_expect_eq(d.errors, 1);
}

Test(diag, second_file_uses_its_own_path)
{
    add("a.flow", "aaa\n");
    int f = add("lib/b.flow", "x\nyy\n");
    diag_error(&d, L(f, 2, 4), "in b");
    cr_expect_str_eq(cap_text(&cap), "lib/b.flow:2:1: error: in b\n    2 | yy\n      | ^~\n");
}

Test(diag, colour_codes_when_enabled)
{
    int f = add("t.flow", "abc\n");
    d.color = 1;
    diag_error(&d, L(f, 0, 2), "red");
    const char *out = cap_text(&cap);
    cr_expect(strstr(out, "\033[1mt.flow:1:1:\033[0m ") != NULL, "bold location: %s", out);
    cr_expect(strstr(out, "\033[1;31merror:\033[0m red") != NULL, "red error: %s", out);
    cr_expect(strstr(out, "      | \033[1;31m^~\033[0m\n") != NULL, "red caret: %s", out);
}

/* ---- summary and max_errors ---- */

Test(diag, summary_silent_without_diagnostics)
{
    diag_summary(&d);
    cr_expect_str_eq(cap_text(&cap), "");
}

Test(diag, summary_singular_and_plural)
{
    diag_error(&d, L(-1, 0, 0), "e1");
    diag_warning(&d, L(-1, 0, 0), "w1");
    diag_summary(&d);
    cr_expect(strstr(cap_text(&cap), "flowc: 1 error, 1 warning\n") != NULL, "%s", cap_text(&cap));
}

Test(diag, summary_plural)
{
    diag_error(&d, L(-1, 0, 0), "e1");
    diag_error(&d, L(-1, 0, 0), "e2");
    diag_summary(&d);
    const char *out = cap_text(&cap);
    size_t n = strlen(out);
    const char *want = "flowc: 2 errors, 0 warnings\n";
    cr_assert_geq(n, strlen(want));
    cr_expect_str_eq(out + n - strlen(want), want);
}

Test(diag, summary_only_warnings)
{
    diag_warning(&d, L(-1, 0, 0), "w1");
    diag_warning(&d, L(-1, 0, 0), "w2");
    diag_warning(&d, L(-1, 0, 0), "w3");
    diag_summary(&d);
    cr_expect(strstr(cap_text(&cap), "flowc: 0 errors, 3 warnings\n") != NULL);
}

Test(diag, max_errors_suppresses_the_rest)
{
    int f = add("t.flow", "abc\n");
    d.max_errors = 2;
    for (int i = 1; i <= 5; i++)
        diag_error(&d, L(f, 0, 1), "error number %d", i);
    diag_warning(&d, L(f, 0, 1), "a warning after the limit");
    diag_note(&d, L(f, 0, 1), "a note after the limit");
    const char *out = cap_text(&cap);
    cr_expect_eq(count_substr(out, "error number"), 2);
    cr_expect(strstr(out, "error number 2") != NULL);
    cr_expect(strstr(out, "error number 3") == NULL);
    cr_expect(strstr(out, "after the limit") == NULL, "muted warnings and notes: %s", out);
    cr_expect_eq(d.errors, 5, "suppressed errors still count");
    cr_expect_eq(d.suppressed, 3);
    cr_expect_eq(d.warnings, 1);
    diag_summary(&d);
    out = cap_text(&cap);
    cr_expect(strstr(out, "flowc: 3 more errors not shown\nflowc: 5 errors, 1 warning\n") != NULL, "%s", out);
}

Test(diag, max_errors_zero_means_no_limit)
{
    d.max_errors = 0;
    for (int i = 0; i < 70; i++)
        diag_error(&d, L(-1, 0, 0), "e");
    cr_expect_eq(count_substr(cap_text(&cap), "flowc: error: e\n"), 70);
    cr_expect_eq(d.suppressed, 0);
}

Test(diag, default_limit_is_fifty)
{
    for (int i = 0; i < 60; i++)
        diag_error(&d, L(-1, 0, 0), "e");
    cr_expect_eq(count_substr(cap_text(&cap), "flowc: error: e\n"), 50);
    cr_expect_eq(d.suppressed, 10);
}

/* ---- did you mean ---- */

Test(diag, edit_distance)
{
    cr_expect_eq(diag_edit_distance("kitten", "sitting"), 3);
    cr_expect_eq(diag_edit_distance("flaw", "lawn"), 2);
    cr_expect_eq(diag_edit_distance("", "abc"), 3);
    cr_expect_eq(diag_edit_distance("abc", ""), 3);
    cr_expect_eq(diag_edit_distance("", ""), 0);
    cr_expect_eq(diag_edit_distance("map", "map"), 0);
    cr_expect_eq(diag_edit_distance("map", "mpa"), 2);
    cr_expect_eq(diag_edit_distance("filter", "filer"), 1);
    cr_expect_eq(diag_edit_distance("group_by", "group_by_count"), 6);
}

Test(diag, edit_distance_is_symmetric)
{
    const char *w[] = {"window", "window_all", "windowed", "wind", "", "x", "read_csv", "reduce"};
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            cr_expect_eq(diag_edit_distance(w[i], w[j]), diag_edit_distance(w[j], w[i]), "%s / %s", w[i], w[j]);
}

Test(diag, edit_distance_of_long_names_is_large)
{
    char a[100], b[100];
    memset(a, 'a', 80);
    a[80] = 0;
    memcpy(b, a, 81);
    cr_expect_geq(diag_edit_distance(a, b), 1000);
    a[64] = 0;
    b[64] = 0;
    cr_expect_eq(diag_edit_distance(a, b), 0, "64 characters are still compared");
}

Test(diag, closest_picks_nearest_candidate)
{
    const char *cands[] = {"filter", "map", "flat_map", "fold"};
    cr_expect_str_eq(diag_closest("mpa", cands, 4), "map");
    cr_expect_str_eq(diag_closest("filtr", cands, 4), "filter");
    cr_expect_str_eq(diag_closest("flatmap", cands, 4), "flat_map");
    cr_expect_str_eq(diag_closest("fodl", cands, 4), "fold");
}

Test(diag, closest_none_when_too_far)
{
    const char *cands[] = {"filter", "map"};
    cr_expect_null(diag_closest("xyz", cands, 2));
    cr_expect_null(diag_closest("window", cands, 2));
    cr_expect_null(diag_closest("q", cands, 0));
    /* the limit is strlen(name)/3 + 1: a 2-letter name allows 1 edit */
    const char *two[] = {"ab"};
    cr_expect_str_eq(diag_closest("ac", two, 1), "ab");
    cr_expect_null(diag_closest("cd", two, 1));
}

Test(diag, closest_skips_exact_match_and_null)
{
    const char *cands[] = {"map", NULL, "mop"};
    cr_expect_str_eq(diag_closest("map", cands, 3), "mop");
    const char *only[] = {"map"};
    cr_expect_null(diag_closest("map", only, 1));
}

Test(diag, closest_prefers_first_of_equals)
{
    const char *cands[] = {"xpos", "ypos"};
    cr_expect_str_eq(diag_closest("zpos", cands, 2), "xpos");
    const char *rev[] = {"ypos", "xpos"};
    cr_expect_str_eq(diag_closest("zpos", rev, 2), "ypos");
}
