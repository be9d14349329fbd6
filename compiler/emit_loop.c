/* emit_loop.c - the C of a job's loops (iterate, replay). Per loop K:
 *   ls_K      the state (type S), in one of two arenas lsa_K[lsw_K]
 *   ld_K      the round's delta (type D), in lda_K: computed by process 0's
 *             delta sink, and sent to the others as the round phase's value
 *   lr_K      rounds done; lmax_K the most rounds
 * The init of the loop's round phase (run once) evaluates max and the
 * initial state; loop_K_next, which the runtime calls after every round in
 * every process, steps the state with the delta into the other arena,
 * tests `until`, frees the old state and the delta, and says whether to
 * run another round. */
#include "emit_int.h"

#include <string.h>

Type *el_state_type(const Loop *l) { return type_prune(sema_arg(l->call, "state")->type); }

Type *el_delta_type(const Loop *l)
{
    return type_prune(type_prune(sema_arg(l->call, "step")->type)->u.fn.params[1]);
}

const char *el_value_global(Emit *e, const PlanNode *n)
{
    return n->u.sink.delta >= 0 ? arena_printf(e->a, "ld_%d", n->u.sink.delta) : arena_printf(e->a, "pv_%d", n->u.sink.value);
}

const char *el_value_arena(Emit *e, const PlanNode *n)
{
    return n->u.sink.delta >= 0 ? arena_printf(e->a, "(&lda_%d)", n->u.sink.delta) : arena_printf(e->a, "(&pva_%d)", n->u.sink.value);
}

Type *el_value_type(Emit *e, const PlanNode *n)
{
    return n->u.sink.delta >= 0 ? el_delta_type(&e->ph->loops[n->u.sink.delta]) : e->ph->calls[n->u.sink.value]->type;
}

void el_globals(Emit *e)
{
    for (int k = 0; k < e->ph->nloops; k++) {
        const Loop *l = &e->ph->loops[k];
        const char *st = et_name(e, el_state_type(l)), *dt = et_name(e, el_delta_type(l));
        em_global(e, st, arena_printf(e->a, "ls_%d", k), "", arena_printf(e->a, "loop %d: its state", k));
        em_global(e, "fl_arena", arena_printf(e->a, "lsa_%d", k), "[2]", "");
        em_global(e, "int", arena_printf(e->a, "lsw_%d", k), "", "");
        em_global(e, dt, arena_printf(e->a, "ld_%d", k), "", "and a round's delta");
        em_global(e, "fl_arena", arena_printf(e->a, "lda_%d", k), "", "");
        em_global(e, "fl_i64", arena_printf(e->a, "lr_%d", k), "", "");
        em_global(e, "fl_i64", arena_printf(e->a, "lmax_%d", k), "", "");
    }
}

/* The loops whose rounds phase `seg` runs: their max and initial state. */
void el_init(Emit *e, int seg)
{
    int k = e->ph->round_of[seg];
    if (k < 0)
        return;
    const Loop *l = &e->ph->loops[k];
    Expr *max = sema_arg(l->call, "max");
    int line, col;
    diag_linecol(e->d, max->loc, &line, &col);
    em_line(e, "lmax_%d = %s;", k, ex_expr(e, max));
    em_line(e, "if (lmax_%d < 1)", k);
    em_line(e, "    fl_fail(0, \"%%s:%d:%d: max must be at least 1; it is %%lld\", %s, lmax_%d);", line, col,
            em_c_string(e, diag_source(e->d, max->loc.file)->path), k);
    Type *st = el_state_type(l);
    em_line(e, "ls_%d = %s(&lsa_%d[0], %s);", k, et_helper(e, "copy", st), k, ex_expr(e, sema_arg(l->call, "state")));
    em_line(e, "lsw_%d = 0;", k);
    em_line(e, "lr_%d = 0;", k);
}

/* A lambda of two arguments, applied; its value's C expression. */
static const char *apply2(Emit *e, Expr *fn, const char *a, const char *b)
{
    const char *args[2] = {a, b};
    return ex_lambda(e, fn, args, 2);
}

static void el_next(Emit *e, int k)
{
    const Loop *l = &e->ph->loops[k];
    Type *st = el_state_type(l);
    Expr *until = sema_arg(l->call, "until");
    EScope *saved = e->scope;
    fprintf(e->f, "static int loop_%d_next(void)\n{\n", k);
    e->indent = 1;
    em_line(e, "fl_arena *_A = &lsa_%d[1 - lsw_%d];", k, k);
    e->arena = "_A";
    const char *step = apply2(e, sema_arg(l->call, "step"), arena_printf(e->a, "ls_%d", k), arena_printf(e->a, "ld_%d", k));
    em_line(e, "%s _new = %s(_A, %s);", et_name(e, st), et_helper(e, "copy", st), step);
    e->scope = saved;
    em_line(e, "int _stop = %s;", until ? apply2(e, until, arena_printf(e->a, "ls_%d", k), "_new") : "0");
    e->scope = saved;
    em_line(e, "fl_arena_free(&lsa_%d[lsw_%d]);", k, k);
    em_line(e, "lsw_%d = 1 - lsw_%d;", k, k);
    em_line(e, "ls_%d = _new;", k);
    em_line(e, "memset(&ld_%d, 0, sizeof ld_%d);", k, k);
    em_line(e, "fl_arena_free(&lda_%d);", k);
    em_line(e, "lr_%d++;", k);
    em_line(e, "return !_stop && lr_%d < lmax_%d;", k, k);
    e->indent = 0;
    fputs("}\n\n", e->f);
}

void el_next_fns(Emit *e)
{
    e->f = e->sect[S_FNS].f;
    for (int k = 0; k < e->ph->nloops; k++)
        el_next(e, k);
}

/* main's lines that free the loops' memory. */
const char *el_free(Emit *e)
{
    const char *r = "";
    for (int k = 0; k < e->ph->nloops; k++)
        r = arena_printf(e->a, "%s    fl_arena_free(&lsa_%d[0]);\n    fl_arena_free(&lsa_%d[1]);\n"
                               "    fl_arena_free(&lda_%d);\n", r, k, k, k);
    return r;
}
