/* emit_extern.c - the program's extern functions: C functions the user
 * wrote, declared in a `.flow` file as `extern "header.h" { fn name(a: i64)
 * -> str }` and compiled with it (`flowc run/build job.flow util.c`). Their
 * types map to C as i64 -> fl_i64, f64 -> double, bool -> fl_bool, str ->
 * fl_str (the runtime's string slice, by value). The generated code
 * includes the header and calls them with their arguments only; a str one
 * returns is copied into the caller's arena at once (C may reuse its
 * buffer). Each declaration is checked against the header: first here,
 * with tcc on the header alone (an error at the declaration in the .flow
 * file, naming the C type it must have), then in the generated C by a
 * typedef that does not compile when the types differ. */
#define _GNU_SOURCE
#include "emit_int.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "jit.h"

static const char *ee_ctype(Type *t)
{
    switch (type_prune(t)->kind) {
    case TY_I64: return "fl_i64";
    case TY_F64: return "double";
    case TY_BOOL: return "fl_bool";
    default: return "fl_str";
    }
}

/* The C function type of f ("fl_i64 (fl_i64, fl_str)"), or its prototype with a name. */
static const char *ee_proto(Emit *e, FnDecl *f, const char *name)
{
    Type *ft = type_prune(f->type);
    const char *s = arena_printf(e->a, "%s %s(", ee_ctype(ft->u.fn.ret), name);
    for (int i = 0; i < ft->u.fn.n; i++)
        s = arena_printf(e->a, "%s%s%s", s, i ? ", " : "", ee_ctype(ft->u.fn.params[i]));
    return arena_printf(e->a, "%s%s)", s, ft->u.fn.n ? "" : "void");
}

static const char *ee_check_line(Emit *e, FnDecl *f)
{
    return arena_printf(e->a, "typedef char fl_extern_%s[__builtin_types_compatible_p(__typeof__(%s), %s) ? 1 : -1];\n",
                        f->name, f->name, ee_proto(e, f, ""));
}

/* The folder of the .flow file that declares the block (its header's). */
static const char *ee_dir(Emit *e, Item *it)
{
    Source *src = diag_source(e->d, it->u.ext.header_loc.file);
    char *copy = strdup(src ? src->path : ".");
    const char *dir = arena_printf(e->a, "%s", dirname(copy));
    free(copy);
    return dir;
}

/* tcc on the header with the checks of fns [from, to): 0, or -1 with its messages in *msg. */
static int ee_try(Emit *e, Item *it, int from, int to, char **msg)
{
    const char *src = arena_printf(e->a, "#include \"flowgen.h\"\n#include \"%s\"\n", it->u.ext.header);
    for (int i = from; i < to; i++)
        src = arena_printf(e->a, "%s%s", src, ee_check_line(e, it->u.ext.fns[i]));
    return jit_check(src, ee_dir(e, it), msg);
}

/* The first line of tcc's messages, without its "<string>:N: " prefix. */
static const char *ee_first_line(Emit *e, const char *msg)
{
    const char *p = msg ? msg : "";
    const char *err = strstr(p, "error: ");
    p = err ? err + 7 : p;
    const char *nl = strchr(p, '\n');
    return arena_printf(e->a, "%.*s", (int)(nl ? nl - p : (long)strlen(p)), p);
}

static void ee_check(Emit *e, Item *it)
{
    char *msg = NULL;
    if (ee_try(e, it, 0, it->u.ext.n, &msg) == 0) {
        free(msg);
        return;
    }
    free(msg);
    if (ee_try(e, it, 0, 0, &msg) < 0) {   /* the header itself */
        diag_error(e->d, it->u.ext.header_loc, "cannot use the C header \"%s\": %s", it->u.ext.header,
                   ee_first_line(e, msg));
        free(msg);
        e->errors++;
        return;
    }
    free(msg);
    for (int i = 0; i < it->u.ext.n; i++) {
        FnDecl *f = it->u.ext.fns[i];
        if (ee_try(e, it, i, i + 1, &msg) < 0) {
            diag_error(e->d, f->name_loc, "the C declaration of `%s` in \"%s\" does not match this one: C must "
                       "declare it as `%s`", f->name, it->u.ext.header, ee_proto(e, f, f->name));
            e->errors++;
        }
        free(msg);
    }
}

void em_externs(Emit *e, Item *it)
{
    ee_check(e, it);
    em_sect(e, S_PROTOS, "#include \"%s\"\n", it->u.ext.header);
    for (int i = 0; i < it->u.ext.n; i++) {
        ptrvec_push(e->a, &e->externs, it->u.ext.fns[i]);
        em_sect(e, S_PROTOS, "%s", ee_check_line(e, it->u.ext.fns[i]));
    }
}

static FnDecl *ee_find(Emit *e, const char *name)
{
    for (int i = 0; i < e->externs.len; i++)
        if (!strcmp(((FnDecl *)e->externs.items[i])->name, name))
            return e->externs.items[i];
    return NULL;
}

const char *em_fn_call(Emit *e, const char *name, const char *const *args, int nargs)
{
    FnDecl *ext = ee_find(e, name);
    const char *call = ext ? arena_printf(e->a, "%s(", name) : arena_printf(e->a, "%s(%s", name, e->arena);
    for (int i = 0; i < nargs; i++)
        call = arena_printf(e->a, "%s%s%s", call, ext && !i ? "" : ", ", args[i]);
    call = arena_printf(e->a, "%s)", call);
    if (ext && type_prune(type_prune(ext->type)->u.fn.ret)->kind == TY_STR)
        call = arena_printf(e->a, "fl_str_copy(%s, %s)", e->arena, call);
    return call;
}
