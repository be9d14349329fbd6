/* emit_count.c - the counters of a stage (--stats, progress, the monitor)
 * and its table of operators. A task's counters (fl_task.counts) are laid
 * out per stage as:
 *   [0, ninputs)            rows received per input edge (the runtime adds
 *                           each DATA batch's rows before the stage sees it)
 *   then one per operator   rows it handed on, for the operators whose
 *   that "owns" its output  output differs from their input (sources,
 *                           filters, flat_map, aggregations, joins,
 *                           windows...); the others (map, key, inspect...)
 *                           give on what they get, so their rows out are
 *                           their input's counter: no code per row
 *   then, from first_gauge, the peak state size of each stateful operator
 *                           (keys of a keyed aggregation or scan, rows a
 *                           join keeps, panes a window waits to fire),
 *                           set per call, not per row.
 * flat_map adds its vector's length once per input row, not once per
 * element; the other owners add one per row they hand on. */
#include "emit_int.h"

#include <string.h>

/* Whether n counts its own rows out (its output may differ from its input). */
static int ec_owns(const Stage *s, const PlanNode *n)
{
    if (n->kind == PN_SINK)
        return 0;
    if (n == s->driver && s->ins.len > 1)
        return 1;
    switch (n->kind) {
    case PN_MAP: case PN_INSPECT: case PN_KEY: case PN_UNKEY: case PN_SHUFFLE: case PN_GATHER: case PN_SCAN:
    case PN_BROADCAST: case PN_TASKS: case PN_KEYONLY:
        return 0;
    default:
        return 1;
    }
}

/* The C expression of n's state size, or NULL when it keeps none worth counting. */
static const char *ec_state_expr(SE *x, PlanNode *n)
{
    Arena *a = x->e->a;
    switch (n->kind) {
    case PN_AGG: case PN_SCAN:
        return n->key ? arena_printf(a, "S->h_n%d.n", n->id) : NULL;
    case PN_JOIN: return arena_printf(a, "S->jc1_n%d", n->id);
    case PN_WINDOW: case PN_IJOIN: return ew_state_size(x, n);
    default: return NULL;
    }
}

static int ec_first_owned(const Stage *s) { return s->driver->kind == PN_SOURCE ? 0 : s->ins.len; }

int ec_first_gauge(const Stage *s)
{
    int k = ec_first_owned(s);
    for (int i = 0; i < s->nodes.len; i++)
        k += ec_owns(s, s->nodes.items[i]);
    return k;
}

/* The counter of n's rows out (-1: a sink). */
static int ec_out(const Stage *s, const PlanNode *n)
{
    if (n->kind == PN_SINK)
        return -1;
    if (ec_owns(s, n)) {
        int k = ec_first_owned(s);
        for (int i = 0; i < s->nodes.len && s->nodes.items[i] != n; i++)
            k += ec_owns(s, s->nodes.items[i]);
        return k;
    }
    if (n == s->driver)
        return 0;
    return ec_out(s, n->in[0]);
}

/* The counters of n's rows in: [*in, *in + *nin). */
static void ec_in(const Stage *s, const PlanNode *n, int *in, int *nin)
{
    *in = 0;
    *nin = 0;
    if (n == s->driver) {
        *nin = n->kind == PN_SOURCE ? 0 : s->ins.len;
        return;
    }
    *nin = 1;
    /* late() gets what its event_time found late: not the rows it let on */
    *in = n->kind == PN_LATE || n->nin > 1 ? ec_out(s, n) : ec_out(s, n->in[0]);
}

/* The gauge of n's state (-1: none). */
static int ec_gauge(SE *x, const PlanNode *n)
{
    int k = ec_first_gauge(x->s);
    for (int i = 0; i < x->s->nodes.len; i++) {
        PlanNode *m = x->s->nodes.items[i];
        if (m == n)
            return ec_state_expr(x, m) ? k : -1;
        k += ec_state_expr(x, m) != NULL;
    }
    return -1;
}

int ec_ncounts(SE *x)
{
    int k = ec_first_gauge(x->s);
    for (int i = 0; i < x->s->nodes.len; i++)
        k += ec_state_expr(x, x->s->nodes.items[i]) != NULL;
    return k;
}

void ec_row(SE *x, PlanNode *n)
{
    if (ec_owns(x->s, n) && n->kind != PN_FLAT_MAP)
        em_line(x->e, "t->counts[%d]++;", ec_out(x->s, n));
}

void ec_rows(SE *x, PlanNode *n, const char *count)
{
    if (ec_owns(x->s, n))
        em_line(x->e, "t->counts[%d] += %s;", ec_out(x->s, n), count);
}

void ec_gauges(SE *x)
{
    for (int i = 0; i < x->s->nodes.len; i++) {
        PlanNode *n = x->s->nodes.items[i];
        const char *v = ec_state_expr(x, n);
        if (v)
            em_line(x->e, "if (%s > t->counts[%d]) t->counts[%d] = %s;", v, ec_gauge(x, n), ec_gauge(x, n), v);
    }
}

/* The operator of the same stage that feeds n, as an index in the stage's nodes (-1: none). */
static int ec_from(const Stage *s, const PlanNode *n)
{
    if (n == s->driver || n->nin < 1)
        return -1;
    for (int i = 0; i < s->nodes.len; i++)
        if (s->nodes.items[i] == n->in[0])
            return i;
    return -1;
}

void ec_ops_table(SE *x)
{
    Emit *e = x->e;
    const Stage *s = x->s;
    FILE *f = e->sect[S_STAGES].f;
    fprintf(f, "static const fl_op_def stage_%d_ops[] = {\n", x->base + s->id);
    for (int i = 0; i < s->nodes.len; i++) {
        PlanNode *n = s->nodes.items[i];
        int in, nin, line = 0, col = 0;
        ec_in(s, n, &in, &nin);
        if (diag_source(e->d, n->loc.file))
            diag_linecol(e->d, n->loc, &line, &col);
        fprintf(f, "    {%d, %s, %s, %d, %d, %d, %d, %d, %d, %d},\n", n->id, em_c_string(e, plan_node_kind(n)),
                em_c_string(e, n->op), line, col, in, nin, ec_out(s, n), ec_gauge(x, n), ec_from(s, n));
    }
    fputs("};\n", f);
    fprintf(f, "#define STAGE_%d_COUNTS %d, %d\n", x->base + s->id, ec_ncounts(x), ec_first_gauge(s));
}
