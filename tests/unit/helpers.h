/* helpers.h - small shared helpers of the unit tests: capturing what the
 * diagnostics print (an open_memstream FILE*), counting substrings, and
 * running the front end (parse + check) on an in-memory program.
 * Test files define _GNU_SOURCE before including anything. */
#ifndef FLOWC_TEST_HELPERS_H
#define FLOWC_TEST_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"
#include "sema.h"
#include "types.h"

/* ---- a FILE* whose output can be read back ---- */
typedef struct Capture {
    char *buf;
    size_t len;
    FILE *f;
} Capture;

static inline void cap_open(Capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
}

/* What was written so far (valid until the next write or cap_close). */
static inline const char *cap_text(Capture *c)
{
    fflush(c->f);
    return c->buf ? c->buf : "";
}

static inline void cap_close(Capture *c)
{
    if (c->f)
        fclose(c->f);
    free(c->buf);
    c->f = NULL;
    c->buf = NULL;
}

static inline int count_substr(const char *hay, const char *needle)
{
    int n = 0;
    size_t nl = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + nl, needle))
        n++;
    return n;
}

/* ---- the whole front end on a program held in memory ---- */
typedef struct Checked {
    Front f;
    Capture cap;
    int parse_errors;  /* errors after front_parse */
    int errors;        /* errors after front_check */
} Checked;

static inline int check_src(Checked *c, const char *src)
{
    cap_open(&c->cap);
    front_init(&c->f, c->cap.f);
    c->parse_errors = front_parse(&c->f, "t.flow", src, (int32_t)strlen(src));
    c->errors = front_check(&c->f);
    return c->errors;
}

static inline const char *checked_out(Checked *c) { return cap_text(&c->cap); }

static inline void checked_fini(Checked *c)
{
    front_fini(&c->f);
    cap_close(&c->cap);
}

/* sema_dump of the checked program, copied into the front's arena. */
static inline const char *checked_dump(Checked *c)
{
    Capture d;
    cap_open(&d);
    sema_dump(d.f, c->f.prog);
    const char *r = arena_strdup(&c->f.arena, cap_text(&d));
    cap_close(&d);
    return r;
}

/* The type of the top-level `let` that binds `name` (in any pattern), as text. */
static inline Pattern *find_pat(Pattern *p, const char *name)
{
    if (p->kind == PAT_NAME && !strcmp(p->name, name))
        return p;
    if (p->kind == PAT_TUPLE)
        for (int i = 0; i < p->nelems; i++) {
            Pattern *r = find_pat(p->elems[i], name);
            if (r)
                return r;
        }
    return NULL;
}

static inline const char *let_type(Checked *c, const char *name)
{
    Program *p = c->f.prog;
    for (int i = 0; i < p->nitems; i++) {
        Item *it = p->items[i];
        if (it->kind != IT_LET)
            continue;
        Pattern *pat = find_pat(it->u.let.pat, name);
        if (pat)
            return pat->type ? type_str(&c->f.arena, pat->type) : "(untyped)";
    }
    return "(no such let)";
}

/* The value expression of the top-level `let NAME = ...`. */
static inline Expr *let_value(Checked *c, const char *name)
{
    Program *p = c->f.prog;
    for (int i = 0; i < p->nitems; i++) {
        Item *it = p->items[i];
        if (it->kind == IT_LET && find_pat(it->u.let.pat, name))
            return it->u.let.value;
    }
    return NULL;
}

static inline const char *expr_type(Checked *c, Expr *e)
{
    return e && e->type ? type_str(&c->f.arena, e->type) : "(untyped)";
}

/* ---- the fixture of the lexer and parser tests: an arena A and a Diag D
 * printing into the capture `cap`, fresh for each test of SUITE ---- */
#define FRONT_FIXTURE(suite)                                                  \
    static Arena A;                                                           \
    static Diag D;                                                            \
    static Capture cap;                                                       \
    static void setup(void)                                                   \
    {                                                                         \
        arena_init(&A);                                                       \
        cap_open(&cap);                                                       \
        diag_init(&D, cap.f);                                                 \
    }                                                                         \
    static void teardown(void)                                                \
    {                                                                         \
        diag_fini(&D);                                                        \
        arena_fini(&A);                                                       \
        cap_close(&cap);                                                      \
    }                                                                         \
    TestSuite(suite, .init = setup, .fini = teardown)

#endif
