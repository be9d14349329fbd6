/* stage.c - cuts the plan into stages. A source starts a parallel stage; a
 * repartition by key (or an even shuffle) starts a parallel stage fed by a
 * hash edge; a gather starts a one-task stage; a merge starts a stage fed
 * by one edge per input; a join starts a stage fed by a hash edge per side. Every other operator joins the stage of its input,
 * so a chain of maps, filters and local aggregations is one loop. */
#include "stage.h"

#include <string.h>

typedef struct SB {
    Arena *a;
    PtrVec stages, edges;
} SB;

static Stage *sb_stage(SB *b, PlanNode *driver, int parallel)
{
    Stage *s = arena_alloc(b->a, sizeof *s);
    s->id = b->stages.len;
    s->driver = driver;
    s->parallel = parallel;
    ptrvec_push(b->a, &b->stages, s);
    return s;
}

static void sb_edge(SB *b, PlanNode *from, PlanNode *to, EdgeKind kind, int input)
{
    Edge *e = arena_alloc(b->a, sizeof *e);
    Stage *fs = b->stages.items[from->stage], *ts = b->stages.items[to->stage];
    e->id = b->edges.len;
    e->from = from;
    e->to = to;
    e->from_stage = fs->id;
    e->to_stage = ts->id;
    e->kind = kind;
    e->input = input;
    e->out = fs->outs.len;
    ptrvec_push(b->a, &fs->outs, e);
    ptrvec_push(b->a, &ts->ins, e);
    ptrvec_push(b->a, &b->edges, e);
}

static int sb_parallel(SB *b, PlanNode *n) { return ((Stage *)b->stages.items[n->stage])->parallel; }

static void sb_place(SB *b, PlanNode *n)
{
    Stage *s;
    switch (n->kind) {
    case PN_SOURCE:   /* an unbounded source reads on one task */
        s = sb_stage(b, n, strcmp(n->op, "stdin_lines") && strcmp(n->op, "tcp_lines") && strcmp(n->op, "host_rows"));
        break;
    case PN_SHUFFLE:
        s = sb_stage(b, n, 1);
        n->stage = s->id;
        sb_edge(b, n->in[0], n, EDGE_HASH, 0);
        break;
    case PN_BROADCAST:
        s = sb_stage(b, n, 1);
        n->stage = s->id;
        sb_edge(b, n->in[0], n, EDGE_BROADCAST, 0);
        break;
    case PN_GATHER:
        s = sb_stage(b, n, 0);
        n->stage = s->id;
        sb_edge(b, n->in[0], n, EDGE_SINGLE, 0);
        break;
    case PN_JOIN:  /* both inputs repartitioned by key into the join's stage */
    case PN_WJOIN:
    case PN_IJOIN:
        s = sb_stage(b, n, 1);
        n->stage = s->id;
        for (int i = 0; i < n->nin; i++)
            sb_edge(b, n->in[i], n, EDGE_HASH, i);
        break;
    case PN_TASKS: {   /* the stage before runs with n tasks; after it, the default again */
        Stage *before = b->stages.items[n->in[0]->stage];
        if (before->parallel)
            before->ntasks = n->u.ntasks;
        s = sb_stage(b, n, 1);
        n->stage = s->id;
        sb_edge(b, n->in[0], n, EDGE_FORWARD, 0);
        break;
    }
    case PN_ZIP:   /* both inputs to one task, each sender's rows in its order */
        s = sb_stage(b, n, 0);
        n->stage = s->id;
        for (int i = 0; i < n->nin; i++)
            sb_edge(b, n->in[i], n, EDGE_SINGLE, i);
        break;
    case PN_MERGE: {
        int par = 1;
        for (int i = 0; i < n->nin; i++)
            par &= sb_parallel(b, n->in[i]);
        s = sb_stage(b, n, par);
        n->stage = s->id;
        for (int i = 0; i < n->nin; i++)
            sb_edge(b, n->in[i], n, par ? EDGE_FORWARD : EDGE_SINGLE, i);
        break;
    }
    default:
        s = b->stages.items[n->in[0]->stage];
        break;
    }
    n->stage = s->id;
    ptrvec_push(b->a, &s->nodes, n);
}

Stages *stage_build(const Plan *p, Arena *a)
{
    SB b = {.a = a};
    for (int i = 0; i < p->n; i++)
        sb_place(&b, p->nodes[i]);
    Stages *s = arena_alloc(a, sizeof *s);
    s->v = (Stage **)b.stages.items;
    s->n = b.stages.len;
    s->edges = (Edge **)b.edges.items;
    s->nedges = b.edges.len;
    return s;
}

Edge *stage_edge(const Stages *s, const PlanNode *from, const PlanNode *to)
{
    for (int i = 0; i < s->nedges; i++)
        if (s->edges[i]->from == from && s->edges[i]->to == to)
            return s->edges[i];
    return NULL;
}

static const char *stage_edge_name(EdgeKind k)
{
    static const char *names[] = {"forward", "hash", "single", "broadcast"};
    return names[k];
}

void stage_print(FILE *out, const Plan *p, const Stages *s)
{
    fputs("plan:\n", out);
    plan_print(out, p);
    fputs("stages:\n", out);
    for (int i = 0; i < s->n; i++) {
        Stage *st = s->v[i];
        fprintf(out, "stage %d (%s):", st->id, st->ntasks ? "parallelism(n) tasks" : st->parallel ? "one task per thread" : "one task");
        for (int j = 0; j < st->nodes.len; j++)
            fprintf(out, " n%d", ((PlanNode *)st->nodes.items[j])->id);
        fputc('\n', out);
        for (int j = 0; j < st->outs.len; j++) {
            Edge *e = st->outs.items[j];
            fprintf(out, "  -> stage %d (%s edge, from n%d)\n", e->to_stage, stage_edge_name(e->kind), e->from->id);
        }
    }
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++)
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(out, "\\u%04x", (unsigned char)*s);
        else
            fputc(*s, out);
    fputc('"', out);
}

void stage_print_json(FILE *out, Diag *d, const Stages *s, int base, int phase, int comma)
{
    for (int i = 0; i < s->n; i++) {
        Stage *st = s->v[i];
        fprintf(out, "%s\n    {\"id\": %d, \"name\": ", comma || i ? "," : "", base + i);
        json_str(out, st->driver->op);
        fprintf(out, ", \"phase\": %d, \"parallel\": %s, \"operators\": [", phase, st->parallel ? "true" : "false");
        for (int j = 0; j < st->nodes.len; j++) {
            PlanNode *n = st->nodes.items[j];
            int line = 0, col = 0;
            if (diag_source(d, n->loc.file))
                diag_linecol(d, n->loc, &line, &col);
            fprintf(out, "%s{\"node\": %d, \"kind\": ", j ? ", " : "", n->id);
            json_str(out, plan_node_kind(n));
            fputs(", \"op\": ", out);
            json_str(out, n->op);
            fprintf(out, ", \"line\": %d, \"col\": %d}", line, col);
        }
        fputs("], \"edges\": [", out);
        for (int j = 0; j < st->outs.len; j++) {
            Edge *e = st->outs.items[j];
            fprintf(out, "%s{\"to\": %d, \"kind\": \"%s\", \"input\": %d}", j ? ", " : "", base + e->to_stage,
                    stage_edge_name(e->kind), e->input);
        }
        fputs("]}", out);
    }
}

void stage_dot_body(FILE *out, const Plan *p, const Stages *s, int phase)
{
    char pfx[16] = "", label[32] = "";
    if (phase >= 0) {
        snprintf(pfx, sizeof pfx, "p%d_", phase);
        snprintf(label, sizeof label, "phase %d, ", phase);
    }
    for (int i = 0; i < s->n; i++) {
        fprintf(out, "  subgraph cluster_%s%d {\n    label=\"%sstage %d%s\";\n", pfx, i, label, i,
                s->v[i]->parallel ? "" : " (one task)");
        for (int j = 0; j < s->v[i]->nodes.len; j++) {
            PlanNode *n = s->v[i]->nodes.items[j];
            fprintf(out, "    %sn%d [label=\"%s\\n%s\"];\n", pfx, n->id, plan_kind_name(n->kind), n->op);
        }
        fputs("  }\n", out);
    }
    for (int i = 0; i < p->n; i++)
        for (int j = 0; j < p->nodes[i]->nin; j++) {
            Edge *e = stage_edge(s, p->nodes[i]->in[j], p->nodes[i]);
            fprintf(out, "  %sn%d -> %sn%d", pfx, p->nodes[i]->in[j]->id, pfx, p->nodes[i]->id);
            if (e)
                fprintf(out, " [label=\"%s\", style=bold]", stage_edge_name(e->kind));
            fputs(";\n", out);
        }
}

void stage_print_dot(FILE *out, const Plan *p, const Stages *s)
{
    fputs(STAGE_DOT_HEAD, out);
    stage_dot_body(out, p, s, -1);
    fputs("}\n", out);
}
