/* plan.c - from the checked program to the logical plan: every stream
 * expression becomes a node (a `let` stream is one node with several
 * consumers), and aggregations are lowered: an associative one becomes a
 * local part on each task, a repartition (by key, or to one task) and a
 * global part that merges the partial results; a non-associative one
 * gathers its input first. What the back end does not run yet is reported
 * at the operator, so `flowc run` never starts a job it cannot finish. */
#include "plan.h"

#include <string.h>

#include "sema.h"

typedef struct StreamBind {
    const char *name;       /* a top-level let (top-level names are unique) */
    PlanNode *node;
} StreamBind;

typedef struct PB {
    Arena *a;
    Diag *d;
    PtrVec nodes;
    PtrVec binds;
    int errors;
} PB;

static PlanNode *pb_node(PB *b, PlanKind kind, Expr *call, PlanNode *in, Type *elem, Type *key)
{
    PlanNode *n = arena_alloc(b->a, sizeof *n);
    n->kind = kind;
    n->id = b->nodes.len;
    n->call = call;
    n->loc = call ? (call->kind == EX_CALL || call->kind == EX_METHOD ? call->u.call.name_loc : call->loc)
                  : (in ? in->loc : (Loc){-1, 0, 0});
    n->op = call && (call->kind == EX_CALL || call->kind == EX_METHOD) ? call->u.call.name : plan_kind_name(kind);
    n->elem = elem;
    n->key = key;
    if (in) {
        n->in = arena_alloc(b->a, sizeof(PlanNode *));
        n->in[0] = in;
        n->nin = 1;
    }
    ptrvec_push(b->a, &b->nodes, n);
    return n;
}

static void pb_unsupported(PB *b, Expr *call, const char *what)
{
    diag_error(b->d, call->u.call.name_loc, "%s is not supported by the back end yet (flowc check "
               "accepts it; flowc run and build do not)", what);
    b->errors++;
}

static Expr *pb_arg(Expr *call, const char *name)
{
    const Op *op = call->u.call.op;
    for (int i = 0; i < op->nparams; i++)
        if (!strcmp(op->params[i].name, name))
            return sema_call_arg(call, op, i);
    return NULL;
}

static PlanNode *pb_stream(PB *b, Expr *e);

/* The stream a call applies to: its receiver (method form) or first argument. */
static PlanNode *pb_receiver(PB *b, Expr *call)
{
    Expr *r = call->kind == EX_METHOD ? call->u.call.recv : call->u.call.args[0]->value;
    return pb_stream(b, r);
}

static Type *pb_elem(Expr *e) { return type_prune(e->type)->u.stream.elem; }
static Type *pb_key(Expr *e) { return type_prune(e->type)->u.stream.key; }

static PlanNode *pb_agg(PB *b, Expr *call, PlanNode *in, AggKind k, AggPart part, Type *elem, Type *key)
{
    PlanNode *n = pb_node(b, PN_AGG, call, in, elem, key);
    n->agg = k;
    n->part = part;
    return n;
}

/* An associative aggregation: local part, repartition, global part. */
static PlanNode *pb_assoc(PB *b, Expr *call, PlanNode *in, AggKind k, Type *key)
{
    Type *elem = pb_elem(call);
    PlanNode *local = pb_agg(b, call, in, k, AGG_LOCAL, elem, key);
    PlanNode *move = pb_node(b, key ? PN_SHUFFLE : PN_GATHER, call, local, elem, key);
    return pb_agg(b, call, move, k, AGG_GLOBAL, elem, key);
}

static int pb_agg_kind(const char *name, AggKind *k)
{
    static const struct { const char *name; AggKind k; } kinds[] = {
        {"count", AGG_COUNT}, {"sum", AGG_SUM}, {"min", AGG_MIN}, {"max", AGG_MAX}, {"avg", AGG_AVG},
        {"fold_assoc", AGG_FOLD}, {"reduce_assoc", AGG_REDUCE}, {"fold", AGG_FOLD}, {"reduce", AGG_REDUCE},
        {"group_by_count", AGG_COUNT}, {"group_by_sum", AGG_SUM}, {"group_by_avg", AGG_AVG},
        {"group_by_reduce", AGG_REDUCE}, {"group_by_fold", AGG_FOLD}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(name, kinds[i].name)) {
            *k = kinds[i].k;
            return 1;
        }
    return 0;
}

/* The lambdas and init value of an aggregation, by the operator's names. */
static void pb_agg_args(PlanNode *n, Expr *call)
{
    const char *name = call->u.call.name;
    n->fn = pb_arg(call, !strcmp(name, "group_by_sum") || !strcmp(name, "group_by_avg") ? "value"
                   : !strcmp(name, "fold_assoc") ? "local" : "f");
    n->init = pb_arg(call, "init");
    n->merge = pb_arg(call, "merge");
}

static PlanNode *pb_keyed_agg(PB *b, Expr *call, PlanNode *in, AggKind k)
{
    const char *name = call->u.call.name;
    int assoc = strcmp(name, "fold") && strcmp(name, "reduce");
    Type *key = pb_key(call);
    PlanNode *g;
    Expr *recv = call->kind == EX_METHOD ? call->u.call.recv : call->u.call.args[0]->value;
    if (assoc && in->kind == PN_SHUFFLE && recv->kind != EX_NAME &&
        b->nodes.items[b->nodes.len - 1] == in) {
        /* pre-aggregate before the shuffle: KEY -> local -> SHUFFLE -> global */
        PlanNode *keyed = in->in[0];
        b->nodes.len--;  /* drop the shuffle node: it was the last one made */
        g = pb_assoc(b, call, keyed, k, key);
    } else {
        g = pb_agg(b, call, in, k, AGG_GLOBAL, pb_elem(call), key);
    }
    pb_agg_args(g, call);
    if (g->in[0]->kind == PN_SHUFFLE)
        pb_agg_args(g->in[0]->in[0], call);
    return g;
}

static PlanNode *pb_whole_agg(PB *b, Expr *call, PlanNode *in, AggKind k)
{
    const char *name = call->u.call.name;
    PlanNode *g;
    if (!strcmp(name, "fold") || !strcmp(name, "reduce"))
        g = pb_agg(b, call, pb_node(b, PN_GATHER, call, in, in->elem, NULL), k, AGG_WHOLE, pb_elem(call), NULL);
    else
        g = pb_assoc(b, call, in, k, NULL);
    pb_agg_args(g, call);
    if (g->part == AGG_GLOBAL)
        pb_agg_args(g->in[0]->in[0], call);
    return g;
}

static PlanNode *pb_group_by_short(PB *b, Expr *call, PlanNode *in, AggKind k)
{
    PlanNode *keyed = pb_node(b, PN_KEY, call, in, in->elem, pb_key(call));
    keyed->keyfn = pb_arg(call, "key");
    PlanNode *g = pb_assoc(b, call, keyed, k, pb_key(call));
    pb_agg_args(g, call);
    pb_agg_args(g->in[0]->in[0], call);
    return g;
}

static PlanNode *pb_sink(PB *b, Expr *call, PlanNode *in)
{
    const char *name = call->u.call.name;
    if (strcmp(name, "for_each"))  /* one writer */
        in = pb_node(b, PN_GATHER, call, in, in->elem, in->key);
    PlanNode *n = pb_node(b, PN_SINK, call, in, in->elem, in->key);
    return n;
}

static PlanNode *pb_elementwise(PB *b, Expr *call, PlanNode *in)
{
    static const struct { const char *name; PlanKind k; } kinds[] = {
        {"map", PN_MAP}, {"filter", PN_FILTER}, {"flat_map", PN_FLAT_MAP},
        {"filter_map", PN_FILTER_MAP}, {"inspect", PN_INSPECT}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(call->u.call.name, kinds[i].name)) {
            PlanNode *n = pb_node(b, kinds[i].k, call, in, pb_elem(call), pb_key(call));
            n->fn = pb_arg(call, "f");
            return n;
        }
    return NULL;
}

/* scan: per key on a keyed stream (each key lives on one task); on a plain
 * stream, one state over the whole stream, on one task. */
static PlanNode *pb_scan(PB *b, Expr *call, PlanNode *in)
{
    if (!in->key)
        in = pb_node(b, PN_GATHER, call, in, in->elem, NULL);
    PlanNode *n = pb_node(b, PN_SCAN, call, in, pb_elem(call), pb_key(call));
    n->fn = pb_arg(call, "f");
    n->init = pb_arg(call, "init");
    return n;
}

/* distinct: the keys of a count by the element itself, pre-aggregated. */
static PlanNode *pb_distinct(PB *b, Expr *call, PlanNode *in)
{
    PlanNode *keyed = pb_node(b, PN_KEY, call, in, in->elem, in->elem);  /* keyfn NULL: the element */
    PlanNode *local = pb_agg(b, call, keyed, AGG_COUNT, AGG_LOCAL, TYPE_I64, in->elem);
    PlanNode *move = pb_node(b, PN_SHUFFLE, call, local, TYPE_I64, in->elem);
    PlanNode *global = pb_agg(b, call, move, AGG_COUNT, AGG_GLOBAL, TYPE_I64, in->elem);
    return pb_node(b, PN_KEYONLY, call, global, in->elem, NULL);
}

/* join: both sides keyed, and repartitioned by the key into the join's stage. */
static PlanNode *pb_join(PB *b, Expr *call, PlanNode *in)
{
    PlanNode *other = pb_stream(b, pb_arg(call, "other"));
    if (!other)
        return NULL;
    Expr *how = pb_arg(call, "how");
    Type *kt = type_prune(pb_arg(call, "left_key")->type)->u.fn.ret;
    PlanNode *l = pb_node(b, PN_KEY, call, in, in->elem, kt), *r = pb_node(b, PN_KEY, call, other, other->elem, kt);
    l->keyfn = pb_arg(call, "left_key");
    r->keyfn = pb_arg(call, "right_key");
    PlanNode *j = pb_node(b, PN_JOIN, call, l, pb_elem(call), NULL);
    j->in = arena_alloc(b->a, 2 * sizeof(PlanNode *));
    j->in[0] = l;
    j->in[1] = r;
    j->nin = 2;
    j->how = how && how->type ? type_prune(how->type)->u.sym.chosen : 0;
    return j;
}

static PlanNode *pb_op(PB *b, Expr *call)
{
    const Op *op = call->u.call.op;
    const char *name = call->u.call.name;
    AggKind k;
    if (!op->recv)
        return pb_node(b, PN_SOURCE, call, NULL, pb_elem(call), NULL);
    PlanNode *in = pb_receiver(b, call);
    if (!in)
        return NULL;
    PlanNode *n = pb_elementwise(b, call, in);
    if (n)
        return n;
    StreamShape sh = op->recv->u.stream.shape;
    if (!strcmp(name, "group_by") || !strcmp(name, "key_by")) {
        n = pb_node(b, PN_KEY, call, in, in->elem, pb_key(call));
        n->keyfn = pb_arg(call, "key");
        return name[0] == 'g' ? pb_node(b, PN_SHUFFLE, call, n, n->elem, n->key) : n;
    }
    if (!strncmp(name, "group_by_", 9) && pb_agg_kind(name, &k))
        return pb_group_by_short(b, call, in, k);
    if (sh == SH_KEYED && pb_agg_kind(name, &k))
        return pb_keyed_agg(b, call, in, k);
    if (sh == SH_PLAIN && pb_agg_kind(name, &k))
        return pb_whole_agg(b, call, in, k);
    if (!strcmp(name, "unkey"))
        return pb_node(b, PN_UNKEY, call, in, pb_elem(call), NULL);
    if (!strcmp(name, "shuffle"))
        return pb_node(b, PN_SHUFFLE, call, in, in->elem, NULL);
    if (!strcmp(name, "broadcast"))
        return pb_node(b, PN_BROADCAST, call, in, in->elem, NULL);
    if (!strcmp(name, "distinct"))
        return pb_distinct(b, call, in);
    if (!strcmp(name, "join"))
        return pb_join(b, call, in);
    if (!strcmp(name, "scan"))
        return pb_scan(b, call, in);
    if (!strcmp(name, "limit")) {
        n = pb_node(b, PN_LIMIT, call, in, in->elem, NULL);
        n->local = 1;
        n = pb_node(b, PN_GATHER, call, n, in->elem, NULL);
        return pb_node(b, PN_LIMIT, call, n, in->elem, NULL);
    }
    if (!strcmp(op->def->group, "sink"))
        return pb_sink(b, call, in);
    if (!strcmp(name, "merge")) {
        PlanNode *other = pb_stream(b, pb_arg(call, "other"));
        if (!other)
            return NULL;
        n = pb_node(b, PN_MERGE, call, in, in->elem, NULL);
        n->in = arena_alloc(b->a, 2 * sizeof(PlanNode *));
        n->in[0] = in;
        n->in[1] = other;
        n->nin = 2;
        return n;
    }
    pb_unsupported(b, call, arena_printf(b->a, "`%s`", name));
    return NULL;
}

static PlanNode *pb_stream(PB *b, Expr *e)
{
    if (e->kind == EX_NAME) {
        for (int i = 0; i < b->binds.len; i++) {
            StreamBind *sb = b->binds.items[i];
            if (!strcmp(sb->name, e->u.name.name))
                return sb->node;  /* NULL: its let failed, and was reported */
        }
        diag_error(b->d, e->loc, "this stream is not supported by the back end yet");
        b->errors++;
        return NULL;
    }
    if (e->kind != EX_CALL && e->kind != EX_METHOD) {
        diag_error(b->d, e->loc, "this stream expression is not supported by the back end yet");
        b->errors++;
        return NULL;
    }
    const Op *op = e->u.call.op;
    if (!op || !op->def) {
        diag_error(b->d, e->u.call.name_loc, "this stream is not supported by the back end yet");
        b->errors++;
        return NULL;
    }
    return pb_op(b, e);
}

/* Links every node to its consumers. */
static void pb_link(PB *b)
{
    for (int i = 0; i < b->nodes.len; i++) {
        PlanNode *n = b->nodes.items[i];
        for (int j = 0; j < n->nin; j++) {
            PlanNode *in = n->in[j];
            if (in->nout == in->outcap) {
                int cap = in->outcap ? in->outcap * 2 : 2;
                PlanNode **o = arena_alloc(b->a, sizeof(PlanNode *) * (size_t)cap);
                if (in->nout)
                    memcpy(o, in->out, sizeof(PlanNode *) * (size_t)in->nout);
                in->out = o;
                in->outcap = cap;
            }
            in->out[in->nout++] = n;
        }
    }
}

/* The names of a let that failed: their uses are not reported again. */
static void pb_poison(PB *b, Pattern *p)
{
    if (p->kind == PAT_TUPLE) {
        for (int i = 0; i < p->nelems; i++)
            pb_poison(b, p->elems[i]);
        return;
    }
    if (p->kind != PAT_NAME)
        return;
    StreamBind *sb = arena_alloc(b->a, sizeof *sb);
    sb->name = p->name;  /* node NULL */
    ptrvec_push(b->a, &b->binds, sb);
}

static void pb_let(PB *b, Item *it)
{
    Pattern *p = it->u.let.pat;
    if (!type_has_stream(it->u.let.value->type))
        return;  /* a value: emitted as a constant of the job */
    if (p->kind != PAT_NAME && p->kind != PAT_WILD) {
        diag_error(b->d, it->u.let.value->loc, "taking a tuple of streams apart (iterate, replay) is not "
                                               "supported by the back end yet");
        b->errors++;
        pb_poison(b, p);
        return;
    }
    PlanNode *n = pb_stream(b, it->u.let.value);
    if (p->kind != PAT_NAME)
        return;
    StreamBind *sb = arena_alloc(b->a, sizeof *sb);
    sb->node = n;
    sb->name = p->name;
    ptrvec_push(b->a, &b->binds, sb);
}

Plan *plan_build(Program *p, Arena *a, Diag *d)
{
    PB b = {.a = a, .d = d};
    for (int i = 0; i < p->nitems; i++) {
        Item *it = p->items[i];
        if (it->kind == IT_LET)
            pb_let(&b, it);
        else if (it->kind == IT_EXPR)
            pb_stream(&b, it->u.expr.expr);
    }
    if (b.errors)
        return NULL;
    pb_link(&b);
    Plan *plan = arena_alloc(a, sizeof *plan);
    plan->nodes = (PlanNode **)b.nodes.items;
    plan->n = b.nodes.len;
    for (int i = 0; i < plan->n; i++)
        plan->nodes[i]->id = i;
    return plan;
}

const char *plan_kind_name(PlanKind k)
{
    static const char *names[] = {"source", "map", "filter", "flat_map", "filter_map", "inspect", "key",
                                  "unkey", "shuffle", "gather", "aggregate", "merge", "sink", "scan",
                                  "limit", "broadcast", "keys", "join"};
    return names[k];
}

void plan_print(FILE *out, const Plan *p)
{
    static const char *parts[] = {"", " (local)", " (global)"};
    for (int i = 0; i < p->n; i++) {
        PlanNode *n = p->nodes[i];
        fprintf(out, "n%d %s `%s`%s", n->id, plan_kind_name(n->kind), n->op,
                n->kind == PN_AGG ? parts[n->part] : "");
        for (int j = 0; j < n->nin; j++)
            fprintf(out, "%s n%d", j ? "," : " <-", n->in[j]->id);
        fputs(" : ", out);
        if (n->key) {
            fputs("keyed<", out);
            type_print(out, n->key);
            fputs(", ", out);
            type_print(out, n->elem);
            fputc('>', out);
        } else {
            fputs("stream<", out);
            type_print(out, n->elem);
            fputc('>', out);
        }
        fputc('\n', out);
    }
}
