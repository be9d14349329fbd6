/* stage.h - stages: the plan's operators fused into chains that run in one
 * loop with no data movement between them, cut where partitioning changes
 * (a repartition by key, a gather to one task, a merge). Each stage runs as
 * one task per thread (parallel) or as one task; edges carry batches. */
#ifndef FLOWC_STAGE_H
#define FLOWC_STAGE_H

#include <stdio.h>

#include "plan.h"

typedef enum { EDGE_FORWARD, EDGE_HASH, EDGE_SINGLE, EDGE_BROADCAST } EdgeKind;

typedef struct Edge {
    int id;
    int from_stage, to_stage;
    PlanNode *from;          /* the producing node, in from_stage */
    PlanNode *to;            /* the receiving node (driver of to_stage) */
    EdgeKind kind;
    int out;                 /* index among from_stage's output edges */
    int input;               /* index among to_stage's inputs */
} Edge;

typedef struct Stage {
    int id;
    int parallel;            /* one task per thread, or a single task */
    Expr *ntasks;            /* parallelism(n): its task count instead (a parallel stage); or NULL */
    PlanNode *driver;        /* a source, or the receiving node of the input edges */
    PtrVec nodes;            /* the stage's nodes, in plan order */
    PtrVec ins, outs;        /* Edge* */
} Stage;

typedef struct Stages {
    Stage **v;
    int n;
    Edge **edges;
    int nedges;
} Stages;

Stages *stage_build(const Plan *p, Arena *a);
/* The edge from node `from` to its consumer `to`, or NULL (same stage). */
Edge *stage_edge(const Stages *s, const PlanNode *from, const PlanNode *to);
void stage_print(FILE *out, const Plan *p, const Stages *s);
void stage_print_dot(FILE *out, const Plan *p, const Stages *s);
/* The clusters and edges of one phase's graph (phase >= 0: its names
 * prefixed pK_, so that several phases make one graph), between
 * STAGE_DOT_HEAD and "}\n". */
#define STAGE_DOT_HEAD "digraph plan {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n"
void stage_dot_body(FILE *out, const Plan *p, const Stages *s, int phase);
/* The stages of one phase as JSON objects, numbered from base as in the
 * job's stage table (what the monitor's /api/stages gives, without counts);
 * comma: one goes before the first. */
void stage_print_json(FILE *out, Diag *d, const Stages *s, int base, int phase, int comma);

#endif
