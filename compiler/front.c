/* front.c - the front-end driver: reads the main .flow file, resolves
 * `use` items (a stdlib module by name, or a file by path relative to the
 * file that uses it), parses each module once, puts the modules' items
 * before the items of the file that uses them, and runs sema. Sema runs
 * only when everything parsed: on a program with missing items, names and
 * types would mostly produce follow-on errors. */
#define _GNU_SOURCE
#include "front.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "sema.h"

typedef struct Loader {
    Front *f;
    PtrVec items;
    PtrVec loaded;      /* real paths of the modules read so far */
    int depth;
} Loader;

void front_init(Front *f, FILE *diag_out)
{
    memset(f, 0, sizeof *f);
    arena_init(&f->arena);
    diag_init(&f->diag, diag_out);
    f->main_file = -1;
}

void front_fini(Front *f)
{
    diag_fini(&f->diag);
    arena_fini(&f->arena);
}

const char *front_beside_exe(const char *const *rel, int n, const char *probe)
{
    static char dir[PATH_MAX];
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return NULL;
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    for (int i = 0; i < n; i++) {
        char path[2 * PATH_MAX];
        snprintf(dir, sizeof dir, "%.3900s%s", exe, rel[i]);
        snprintf(path, sizeof path, "%s/%s", dir, probe);
        if (access(path, R_OK) == 0)
            return dir;
    }
    return NULL;
}

const char *front_stdlib_dir(void)
{
    static const char *rel[] = {"/../stdlib", "/../../stdlib", "/../share/flowc/stdlib"};
    const char *env = getenv("FLOWC_STDLIB");
    if (env && *env)
        return env;
    const char *dir = front_beside_exe(rel, 3, ".");
    return dir ? dir : "stdlib";
}

static int loader_seen(Loader *l, const char *path)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return 0;
    for (int i = 0; i < l->loaded.len; i++)
        if (!strcmp(l->loaded.items[i], real))
            return 1;
    ptrvec_push(&l->f->arena, &l->loaded, arena_strdup(&l->f->arena, real));
    return 0;
}

static void loader_file(Loader *l, int file);

static const char *loader_module_path(Loader *l, Item *use, int from_file)
{
    Arena *a = &l->f->arena;
    const char *from = diag_source(&l->f->diag, from_file)->path;
    const char *slash = strrchr(from, '/');
    const char *dir = slash ? arena_strndup(a, from, (size_t)(slash - from)) : ".";
    if (use->u.use.is_path)
        return use->u.use.module[0] == '/' ? use->u.use.module
                                           : arena_printf(a, "%s/%s", dir, use->u.use.module);
    const char *local = arena_printf(a, "%s/%s.flow", dir, use->u.use.module);
    if (access(local, R_OK) == 0)
        return local;
    const char *std = arena_printf(a, "%s/%s.flow", front_stdlib_dir(), use->u.use.module);
    if (access(std, R_OK) == 0)
        return std;
    diag_error(&l->f->diag, use->u.use.name_loc, "no module `%s` (looked for %s.flow beside this file "
               "and in the standard library)", use->u.use.module, use->u.use.module);
    return NULL;
}

static void loader_use(Loader *l, Item *use, int from_file)
{
    const char *path = loader_module_path(l, use, from_file);
    if (!path || loader_seen(l, path))
        return;
    if (l->depth > 32) {
        diag_error(&l->f->diag, use->u.use.name_loc, "modules are nested too deeply");
        return;
    }
    int file = diag_load_file(&l->f->diag, path, use->u.use.name_loc);
    if (file < 0)
        return;
    l->depth++;
    loader_file(l, file);
    l->depth--;
}

enum { FRONT_MAX_DEPTH = 400 };  /* deeper expressions are refused: passes recurse */

static Expr *front_item_expr(Item *it)
{
    switch (it->kind) {
    case IT_PARAM: return it->u.param.value;
    case IT_FN: return it->u.fn.body;
    case IT_LET: return it->u.let.value;
    case IT_EXPR: return it->u.expr.expr;
    default: return NULL;
    }
}

static void loader_check_depth(Loader *l, Program *p)
{
    for (int i = 0; i < p->nitems; i++) {
        Expr *e = front_item_expr(p->items[i]);
        Expr *deep = e ? ast_too_deep(&l->f->arena, e, FRONT_MAX_DEPTH) : NULL;
        if (deep)
            diag_error(&l->f->diag, deep->loc, "expression is nested too deeply (more than %d levels)",
                       FRONT_MAX_DEPTH);
    }
}

static void loader_file(Loader *l, int file)
{
    Program *p = parse_program(&l->f->arena, &l->f->diag, file);
    loader_check_depth(l, p);
    for (int i = 0; i < p->nitems; i++)
        if (p->items[i]->kind == IT_USE)
            loader_use(l, p->items[i], file);
    for (int i = 0; i < p->nitems; i++)
        ptrvec_push(&l->f->arena, &l->items, p->items[i]);
}

int front_parse(Front *f, const char *path, const char *text, int32_t len)
{
    Loader l = {.f = f};
    Loc none = {-1, 0, 0};
    f->main_file = text ? diag_add_source(&f->diag, path, text, len) : diag_load_file(&f->diag, path, none);
    if (f->main_file >= 0) {
        loader_seen(&l, path);
        loader_file(&l, f->main_file);
    }
    f->prog = arena_alloc(&f->arena, sizeof *f->prog);
    f->prog->items = (Item **)l.items.items;
    f->prog->nitems = l.items.len;
    return f->diag.errors;
}

int front_check(Front *f)
{
    if (f->main_file < 0 || f->diag.errors)  /* types are checked once every file parses */
        return f->diag.errors;
    sema_check(f->prog, &f->arena, &f->diag, f->main_file);
    return f->diag.errors;
}
