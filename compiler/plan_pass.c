/* plan_pass.c - the list of plan passes, run in order, each with a dump
 * (flowc plan --dump PASS prints the plan as that pass left it):
 *   build -> prune -> lower -> scopes -> stages
 * plan_build runs the first four, for the commands that cut stages and
 * emit C themselves; flowc plan runs the list up to the pass it dumps. */
#include "plan.h"

#include <stdio.h>
#include <string.h>

#include "stage.h"

static int pass_build(PlanJob *j)
{
    j->plan = plan_from_program(j->prog, j->ph, j->phase, j->a, j->d);
    return j->plan ? 0 : -1;
}

static int pass_prune(PlanJob *j)
{
    plan_prune(j->plan, j->a);
    return 0;
}

static int pass_lower(PlanJob *j)
{
    plan_lower(j->plan, j->a);
    return 0;
}

static int pass_scopes(PlanJob *j)
{
    j->plan->loop = j->ph->round_of[j->phase];   /* (plan_phases made the phases and loops) */
    return 0;
}

static int pass_stages(PlanJob *j)
{
    j->st = stage_build(j->plan, j->a);
    return 0;
}

static void dump_plan(FILE *out, const PlanJob *j) { plan_print(out, j->plan); }
static void dump_stages(FILE *out, const PlanJob *j) { stage_print(out, j->plan, j->st); }

static void dump_scopes(FILE *out, const PlanJob *j)
{
    plan_print_scopes(out, j->ph, j->phase);
    plan_print(out, j->plan);
}

static const PlanPass passes[] = {
    {"build", pass_build, dump_plan},
    {"prune", pass_prune, dump_plan},
    {"lower", pass_lower, dump_plan},
    {"scopes", pass_scopes, dump_scopes},
    {"stages", pass_stages, dump_stages},
};
enum { NPASSES = sizeof passes / sizeof passes[0] };

const PlanPass *plan_pass(const char *name)
{
    for (int i = 0; i < NPASSES; i++)
        if (!strcmp(passes[i].name, name))
            return &passes[i];
    return NULL;
}

const char *plan_pass_names(void)
{
    static char names[128];
    if (!names[0])
        for (int i = 0; i < NPASSES; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "", passes[i].name);
    return names;
}

int plan_run(PlanJob *j, const PlanPass *last)
{
    for (const PlanPass *p = passes; p < passes + NPASSES; p++) {
        if (p->run(j) < 0)
            return -1;
        if (p == last)
            break;
    }
    return 0;
}

Plan *plan_build(Program *p, const Phases *ph, int phase, Arena *a, Diag *d)
{
    PlanJob j = {.prog = p, .ph = ph, .phase = phase, .a = a, .d = d};
    return plan_run(&j, plan_pass("scopes")) < 0 ? NULL : j.plan;
}
