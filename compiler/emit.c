/* emit.c - the C of a job, and the emitter's shared helpers: prelude,
 * params, the value lets of each phase's init (with the loops' own parts
 * from emit_loop.c), user functions (a self tail call becomes a jump), the
 * stages (emit_stage.c) and the job table for the runtime, with a
 * fingerprint of the generated code. Types and their helpers are
 * emit_type.c's; expressions emit_expr.c's and emit_call.c's. */
#define _GNU_SOURCE
#include "emit_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

/* ---- output helpers ---- */

void em_line(Emit *e, const char *fmt, ...)
{
    fprintf(e->f, "%*s", e->indent * 4, "");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(e->f, fmt, ap);
    va_end(ap);
    fputc('\n', e->f);
}

void em_sect(Emit *e, int sect, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(e->sect[sect].f, fmt, ap);
    va_end(ap);
}

void em_global(Emit *e, const char *type, const char *name, const char *dims, const char *comment)
{
    em_sect(e, S_GLOBALS, "FL_SHARED %s %s%s;%s%s%s\n", type, name, dims, *comment ? "   /* " : "", comment,
            *comment ? " */" : "");
    em_sect(e, S_REFS, "static %s (*%s_r_)%s;\n#define %s (*%s_r_)\n", type, name, dims, name, name);
    em_sect(e, S_BIND, "    if (!(%s_r_ = (%s (*)%s)look(cx, \"%s\")))\n        return -1;\n", name, type, dims, name);
}

const char *em_temp(Emit *e) { return arena_printf(e->a, "_t%d", e->ntemp++); }

void em_vec_push(Emit *e, const char *vec, const char *elem, const char *arena, const char *value)
{
    em_line(e, "if (%s.len == %s.cap) {", vec, vec);
    em_line(e, "    fl_i64 _c = %s.cap ? 2 * %s.cap : 8;", vec, vec);
    em_line(e, "    %s *_d = (%s *)fl_alloc(%s, _c * (fl_i64)sizeof(%s));", elem, elem, arena, elem);
    em_line(e, "    if (%s.len)", vec);
    em_line(e, "        memcpy(_d, %s.data, (fl_size)%s.len * sizeof(%s));", vec, vec, elem);
    em_line(e, "    %s.data = _d;", vec);
    em_line(e, "    %s.cap = _c;", vec);
    em_line(e, "}");
    em_line(e, "%s.data[%s.len++] = %s;", vec, vec, value);
}

void em_unsupported(Emit *e, Loc at, const char *what)
{
    diag_error(e->d, at, "%s is not supported by the back end yet", what);
    e->errors++;
}

void em_bind(Emit *e, const char *name, const char *c)
{
    EScope *s = arena_alloc(e->a, sizeof *s);
    s->name = name;
    s->c = c;
    s->next = e->scope;
    e->scope = s;
}

const char *em_lookup(Emit *e, const char *name)
{
    for (EScope *s = e->scope; s; s = s->next)
        if (!strcmp(s->name, name))
            return s->c;
    return NULL;
}

/* text as a C string literal */
const char *em_c_string(Emit *e, const char *text)
{
    char *out = arena_alloc(e->a, strlen(text) * 4 + 3), *o = out;
    *o++ = '"';
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        o += (*p == '"' || *p == '\\' || *p < 32 || *p >= 127 || *p == '?') ? sprintf(o, "\\%03o", *p)
                                                                          : sprintf(o, "%c", *p);
    *o++ = '"';
    *o = 0;
    return out;
}

void em_line_dir(Emit *e, Loc loc)
{
    int line, col;
    Source *src = diag_source(e->d, loc.file);
    if (!src)
        return;
    diag_linecol(e->d, loc, &line, &col);
    fprintf(e->f, "#line %d %s\n", line, em_c_string(e, src->path));
}

/* ---- params, constants, functions ---- */

static void em_params(Emit *e, Program *p, EScope **globals)
{
    static const char *kinds[] = {"FL_T_I64", "FL_T_F64", "FL_T_BOOL", "FL_T_STR"};
    for (int i = 0; i < p->nitems; i++) {
        Item *it = p->items[i];
        if (it->kind != IT_PARAM)
            continue;
        Type *t = type_prune(it->u.param.value->type);
        int k = t->kind == TY_I64 ? 0 : t->kind == TY_F64 ? 1 : t->kind == TY_BOOL ? 2 : 3;
        em_global(e, et_name(e, t), arena_printf(e->a, "p_%s", it->u.param.name), "", "");
        em_global(e, "int", arena_printf(e->a, "p_%s_set", it->u.param.name), "", "");
        Source *src = diag_source(e->d, it->u.param.value->loc.file);
        Loc v = it->u.param.value->loc;
        const char *def = src ? arena_strndup(e->a, src->text + v.start, (size_t)(v.end - v.start)) : "";
        em_sect(e, S_JOB, "    {\"%s\", %s, &p_%s, &p_%s_set, %s},\n", it->u.param.name, kinds[k],
                it->u.param.name, it->u.param.name, em_c_string(e, def));
        em_bind(e, it->u.param.name, arena_printf(e->a, "p_%s", it->u.param.name));
    }
    *globals = e->scope;
}

/* Binds the names of a top-level let's pattern to their parts of the
 * global g that holds its value. */
static void em_bind_global(Emit *e, Pattern *p, const char *g)
{
    if (p->kind == PAT_NAME)
        em_bind(e, p->name, g);
    else if (p->kind == PAT_TUPLE)
        for (int i = 0; i < p->nelems; i++)
            em_bind_global(e, p->elems[i], arena_printf(e->a, "%s._%d", g, i));
}

/* A top-level value let: its global, computed, and its names bound. */
static void em_value_let(Emit *e, Item *it, int i)
{
    Pattern *pat = it->u.let.pat;
    if (type_prune(it->u.let.value->type)->kind == TY_WINSPEC)
        return;   /* a window spec: the windows that name it take its arguments (plan_build.c) */
    const char *g = pat->kind == PAT_NAME ? arena_printf(e->a, "g_%s", pat->name) : arena_printf(e->a, "g_%d", i);
    em_global(e, et_name(e, it->u.let.value->type), g, "", "");
    em_line(e, "%s = %s;", g, ex_expr(e, it->u.let.value));
    em_bind_global(e, pat, g);  /* bound even when the value was refused: no follow-on errors */
}

/* The init function of segment `seg` (job_init for 0, then job_init_1..):
 * for segment 0 the defaults of params not given, then the top-level value
 * lets of that segment, in order (those that need the values of the phases
 * before it). */
static void em_init_segment(Emit *e, Program *p, int seg)
{
    fprintf(e->f, seg ? "static void job_init_%d(void)\n{\n" : "static void job_init(void)\n{\n", seg);
    e->indent = 1;
    e->arena = "(&g_arena)";
    for (int i = 0; i < p->nitems; i++) {
        Item *it = p->items[i];
        if (it->kind == IT_PARAM && seg == 0) {
            em_line(e, "if (!p_%s_set) {", it->u.param.name);
            e->indent++;
            em_line(e, "p_%s = %s;", it->u.param.name, ex_expr(e, it->u.param.value));
            e->indent--;
            em_line(e, "}");
        } else if (it->kind == IT_LET && !type_has_stream(it->u.let.value->type) && e->ph->seg[i] == seg) {
            em_value_let(e, it, i);
        }
    }
    el_init(e, seg);
    fputs("}\n\n", e->f);
    e->indent = 0;
}

/* The values of the phases (one global per value call), then the init
 * function of each segment. */
static void em_init(Emit *e, Program *p)
{
    e->f = e->sect[S_FNS].f;
    em_global(e, "fl_arena", "g_arena", "", "");
    for (int k = 0; k < e->ph->ncalls; k++) {   /* each in its own memory: the tasks of a phase run at once */
        em_global(e, et_name(e, e->ph->calls[k]->type), arena_printf(e->a, "pv_%d", k), "",
                  arena_printf(e->a, "value %d, computed by phase %d", k, e->ph->phase[k]));
        em_global(e, "fl_arena", arena_printf(e->a, "pva_%d", k), "", "");
    }
    el_globals(e);
    for (int seg = 0; seg < e->ph->nphases; seg++)
        em_init_segment(e, p, seg);
    el_next_fns(e);
}

static const char *em_fn_sig(Emit *e, FnDecl *f)
{
    const char *sig = arena_printf(e->a, "static %s %s(fl_arena *_A", et_name(e, f->type->u.fn.ret), f->name);
    for (int i = 0; i < f->nparams; i++)
        sig = arena_printf(e->a, "%s, %s a_%s", sig, et_name(e, f->type->u.fn.params[i]), f->params[i]->name);
    return arena_printf(e->a, "%s)", sig);
}

/* Emits x in tail position of function e->fn: a self call becomes a jump. */
static void em_tail(Emit *e, Expr *x)
{
    if (x->kind == EX_IF) {
        em_line(e, "if (%s) {", ex_expr(e, x->u.ifx.cond));
        e->indent++;
        int saved = ex_fact(e, x->u.ifx.cond, 1);
        em_tail(e, x->u.ifx.then);
        e->nnonneg = saved;
        e->indent--;
        em_line(e, "} else {");
        e->indent++;
        ex_fact(e, x->u.ifx.cond, 0);
        em_tail(e, x->u.ifx.els);
        e->nnonneg = saved;
        e->indent--;
        em_line(e, "}");
        return;
    }
    if (x->kind == EX_BLOCK) {
        EScope *saved = e->scope;
        for (int i = 0; i < x->u.block.n; i++)
            ex_bind_pattern(e, x->u.block.stmts[i]->pat, ex_expr(e, x->u.block.stmts[i]->value),
                            x->u.block.stmts[i]->value->type);
        em_tail(e, x->u.block.result);
        e->scope = saved;
        return;
    }
    const Op *op = x->kind == EX_CALL ? x->u.call.op : NULL;
    if (op && !op->def && !strcmp(op->name, e->fn->name)) {
        const char **v = arena_alloc(e->a, sizeof(char *) * (size_t)(op->nparams + 1));
        for (int i = 0; i < op->nparams; i++)
            v[i] = arena_printf(e->a, "%s", ex_expr(e, sema_call_arg(x, op, i)));
        const char **tmp = arena_alloc(e->a, sizeof(char *) * (size_t)(op->nparams + 1));
        for (int i = 0; i < op->nparams; i++) {
            tmp[i] = em_temp(e);
            em_line(e, "%s %s = %s;", et_name(e, e->fn->type->u.fn.params[i]), tmp[i], v[i]);
        }
        for (int i = 0; i < op->nparams; i++)
            em_line(e, "a_%s = %s;", e->fn->params[i]->name, tmp[i]);
        em_line(e, "goto top;");
        return;
    }
    em_line(e, "return %s;", ex_expr(e, x));
}

static void em_fn(Emit *e, FnDecl *f, EScope *globals)
{
    const char *sig = em_fn_sig(e, f);
    em_sect(e, S_PROTOS, "%s;\n", sig);
    e->f = e->sect[S_FNS].f;
    e->scope = globals;
    e->fn = f;
    e->arena = "_A";
    for (int i = 0; i < f->nparams; i++)
        em_bind(e, f->params[i]->name, arena_printf(e->a, "a_%s", f->params[i]->name));
    em_line_dir(e, f->name_loc);
    fprintf(e->f, "%s\n{\ntop:;\n", sig);
    e->indent = 1;
    em_tail(e, f->body);
    e->indent = 0;
    fputs("}\n\n", e->f);
    e->fn = NULL;
}

/* ---- the program ---- */

int emit_stages(Emit *e, Plan **plans, Stages **sts, EScope *globals);

/* For the job's flags: an unbounded source; a window on the real clock. */
static int em_unbounded(const PlanNode *n)
{
    return n->kind == PN_SOURCE && (!strcmp(n->op, "stdin_lines") || !strcmp(n->op, "tcp_lines"));
}
static int em_timed(const PlanNode *n) { return n->kind == PN_WINDOW && n->u.win.time == WT_PROC; }

static int em_has_node(Plan **plans, int n, int (*pred)(const PlanNode *))
{
    for (int k = 0; k < n; k++)
        for (int i = 0; plans[k] && i < plans[k]->n; i++)
            if (pred(plans[k]->nodes[i]))
                return 1;
    return 0;
}

/* main's lines that free the values' memory. */
static const char *em_free_values(Arena *a, const Phases *ph)
{
    const char *r = "";
    for (int k = 0; k < ph->ncalls; k++)
        r = arena_printf(a, "%s    fl_arena_free(&pva_%d);\n", r, k);
    return r;
}

static int em_nstages(Stages **sts, const Phases *ph)
{
    int n = 0;
    for (int k = 0; k < ph->nphases; k++)
        n += sts[k]->n;
    return n;
}

/* XXH3 of every section and of flowc's version. */
static unsigned long long em_fingerprint(const Emit *e)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    XXH3_64bits_update(&st, FLOWC_VERSION, strlen(FLOWC_VERSION));
    for (int i = 0; i < S_COUNT; i++)
        if (e->sect[i].buf)
            XXH3_64bits_update(&st, e->sect[i].buf, e->sect[i].len);
    return (unsigned long long)XXH3_64bits_digest(&st);
}

static void em_put(FILE *out, const Sect *s)
{
    if (s->len)
        fwrite(s->buf, 1, s->len, out);
}

static const char *em_prelude =
    "/* generated by flowc: plain C99 for tcc and cc; do not edit */\n"
    "#include \"flowgen.h\"\n\n";

static const char *em_lib_prefix;
static FILE *em_lib_header;

void emit_set_lib(const char *prefix, FILE *header)
{
    em_lib_prefix = prefix;
    em_lib_header = header;
}

int emit_program(FILE *out, Program *p, const Phases *ph, Plan **plans, Stages **sts, Arena *a, Diag *d,
                 const char *job_name)
{
    Emit e = {.a = a, .d = d, .ph = ph};
    for (int i = 0; i < S_COUNT; i++)
        e.sect[i].f = open_memstream(&e.sect[i].buf, &e.sect[i].len);
    e.helpers_out = e.sect[S_HELPERS].f;
    EScope *globals = NULL;
    em_params(&e, p, &globals);
    for (int i = 0; i < p->nitems; i++)
        if (p->items[i]->kind == IT_FN)
            em_fn(&e, &p->items[i]->u.fn, globals);
        else if (p->items[i]->kind == IT_EXTERN)
            em_externs(&e, p->items[i]);
    e.scope = globals;
    em_init(&e, p);
    globals = e.scope;
    e.unbounded = em_has_node(plans, ph->nphases, em_unbounded);
    emit_stages(&e, plans, sts, globals);
    fputs(em_prelude, out);
    for (int i = 0; i < S_COUNT; i++)
        fclose(e.sect[i].f);
    for (int i = 0; i < S_JOB; i++) {
        if (i == S_GLOBALS)
            fputs("#ifndef FL_TIER2\n", out);
        em_put(out, &e.sect[i]);
        if (i == S_GLOBALS) {
            fputs("#else   /* the tiered JIT's shared object: the JIT's globals, bound by fl_tier_bind */\n", out);
            em_put(out, &e.sect[S_REFS]);
            fputs("#endif\n", out);
        }
        fputc('\n', out);
    }
    fprintf(out, "#ifdef FL_TIER2\nint fl_tier_bind(void *(*look)(void *cx, const char *name), void *cx)\n{\n"
                 "%.*s    return 0;\n}\n\nconst fl_stage_def *fl_tier_stages(int *n)\n{\n    *n = %d;\n"
                 "    return job_stages;\n}\n#else\n\n", (int)e.sect[S_BIND].len, e.sect[S_BIND].buf ? e.sect[S_BIND].buf : "",
            em_nstages(sts, ph));
    fprintf(out, "static const fl_param_def job_params[] = {\n%.*s    {0, 0, 0, 0, 0}\n};\n\n",
            (int)e.sect[S_JOB].len, e.sect[S_JOB].buf ? e.sect[S_JOB].buf : "");
    int nparams = 0;
    for (int i = 0; i < p->nitems; i++)
        nparams += p->items[i]->kind == IT_PARAM;
    fprintf(out, "#ifdef FL_NATIVE\n#define FL_JOB_NATIVE 1\n#else\n#define FL_JOB_NATIVE 0\n#endif\n"
                 "static const fl_job_def job = {\"%s\", %d, job_stages, %d, job_params, job_init,\n"
                 "    \"%016llx\", \"%s\", FL_JOB_NATIVE, %d, job_phases, %d, %d, %d};\n\n",
            job_name, em_nstages(sts, ph), nparams, (unsigned long long)em_fingerprint(&e), FLOWC_VERSION, ph->nphases,
            ph->nslots, em_has_node(plans, ph->nphases, em_unbounded), em_has_node(plans, ph->nphases, em_timed));
    const char *freeing = arena_printf(a, "%s%s", em_free_values(a, ph), el_free(&e));
    if (em_lib_prefix)
        el_lib_api(&e, out, p, em_lib_prefix, freeing);
    fprintf(out, "int main(int argc, char **argv)\n{\n    int rc = fl_main(&job, argc, argv);\n"
                 "    fl_arena_free(&g_arena);\n%s    return rc;\n}\n#endif\n%s", freeing, em_lib_prefix ? "#endif\n" : "");
    if (em_lib_header)
        el_lib_header(&e, em_lib_header, p, em_lib_prefix);
    for (int i = 0; i < S_COUNT; i++)
        free(e.sect[i].buf);
    return e.errors;
}
