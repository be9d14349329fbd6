/* stats_out.c - a job's counts shown: as JSON (the monitor's /api/stages,
 * --stats=json) and as the table --stats prints at the end. Each stage
 * with its tasks' time split into busy, waiting for input and blocked on
 * output, and each operator fused into it with its rows in and out and
 * its state size (the counters of emit_count.c; stats.h has the layout). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"

static const char *const edge_names[] = {"forward", "hash", "single", "broadcast"};

void flrt_json_printf(fl_buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    fl_buf_put(b, tmp, n < (int)sizeof tmp ? n : (int)sizeof tmp - 1);
}

void flrt_json_str(fl_buf *b, const char *s)
{
    fl_buf_putc(b, '"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            fl_buf_putc(b, '\\');
            fl_buf_putc(b, (char)c);
        } else if (c < 0x20) {
            flrt_json_printf(b, "\\u%04x", c);
        } else {
            fl_buf_putc(b, (char)c);
        }
    }
    fl_buf_putc(b, '"');
}

static fl_i64 sum(const fl_i64 *c, int from, int n)
{
    fl_i64 v = 0;
    for (int i = 0; i < n; i++)
        v += c[from + i];
    return v;
}

fl_i64 flrt_stats_op_in(const flrt_job *j, const fl_i64 *snap, int s, int k)
{
    const fl_op_def *o = &j->def->stages[s].ops[k];
    return o->nin ? sum(snap + flrt_stats_stage_at(j, s), o->in, o->nin) : -1;
}

fl_i64 flrt_stats_op_out(const flrt_job *j, const fl_i64 *snap, int s, int k)
{
    const fl_op_def *o = &j->def->stages[s].ops[k];
    return o->out >= 0 ? snap[flrt_stats_stage_at(j, s) + o->out] : -1;
}

static fl_i64 op_state(const flrt_job *j, const fl_i64 *snap, int s, int k)
{
    const fl_op_def *o = &j->def->stages[s].ops[k];
    return o->state >= 0 ? snap[flrt_stats_stage_at(j, s) + o->state] : -1;
}

fl_i64 flrt_stats_source_rows(const flrt_job *j, const fl_i64 *snap)
{
    fl_i64 n = 0;
    for (int s = 0; s < j->def->nstages; s++) {
        const fl_stage_def *d = &j->def->stages[s];
        if (d->produce && d->nops > 0)
            n += flrt_stats_op_out(j, snap, s, 0);
    }
    return n;
}

static const fl_i64 *stage_times(const flrt_job *j, const fl_i64 *snap, int s)
{
    return snap + flrt_stats_stage_at(j, s) + j->def->stages[s].ncounts;
}

static void json_num(fl_buf *b, const char *name, fl_i64 v)
{
    if (v < 0)
        flrt_json_printf(b, "\"%s\": null", name);
    else
        flrt_json_printf(b, "\"%s\": %lld", name, (long long)v);
}

static void json_op(const flrt_job *j, const fl_i64 *snap, int s, int k, fl_buf *b)
{
    const fl_op_def *o = &j->def->stages[s].ops[k];
    flrt_json_printf(b, "{\"node\": %d, \"kind\": ", o->node);
    flrt_json_str(b, o->kind);
    fl_buf_put(b, ", \"op\": ", 8);
    flrt_json_str(b, o->op);
    flrt_json_printf(b, ", \"line\": %d, \"col\": %d, \"from\": %d, ", o->line, o->col, o->from);
    json_num(b, "rows_in", flrt_stats_op_in(j, snap, s, k));
    fl_buf_put(b, ", ", 2);
    json_num(b, "rows_out", flrt_stats_op_out(j, snap, s, k));
    fl_buf_put(b, ", ", 2);
    json_num(b, "state", op_state(j, snap, s, k));
    fl_buf_putc(b, '}');
}

static void json_stage(const flrt_job *j, const fl_i64 *snap, int s, fl_buf *b, int edges)
{
    const fl_stage_def *d = &j->def->stages[s];
    const fl_i64 *tm = stage_times(j, snap, s);
    flrt_json_printf(b, "{\"id\": %d, \"name\": ", s);
    flrt_json_str(b, d->name);
    flrt_json_printf(b, ", \"phase\": %d, \"parallel\": %s, \"tasks_ended\": %lld, \"tasks_running\": %lld, "
                        "\"busy_s\": %.6f, \"input_wait_s\": %.6f, \"output_wait_s\": %.6f, \"bytes_sent\": %lld",
                     d->phase, d->parallel ? "true" : "false", (long long)tm[FLRT_ST_ENDED], (long long)tm[FLRT_ST_LIVE],
                     (double)tm[FLRT_ST_BUSY_NS] / 1e9, (double)tm[FLRT_ST_IN_NS] / 1e9,
                     (double)tm[FLRT_ST_OUT_NS] / 1e9, (long long)tm[FLRT_ST_BYTES]);
    flrt_json_printf(b, ", \"queued\": %lld, \"queue_capacity\": %lld, \"rows_by_input\": [",
                     (long long)tm[FLRT_ST_QUEUED], (long long)tm[FLRT_ST_QCAP]);
    int nin = d->nops && !d->produce ? d->ops[0].nin : 0;
    for (int i = 0; i < nin; i++)
        flrt_json_printf(b, "%s%lld", i ? ", " : "", (long long)snap[flrt_stats_stage_at(j, s) + i]);
    fl_buf_putc(b, ']');
    fl_buf_put(b, ", \"operators\": [", 16);
    for (int k = 0; k < d->nops; k++) {
        if (k)
            fl_buf_put(b, ", ", 2);
        json_op(j, snap, s, k, b);
    }
    fl_buf_putc(b, ']');
    if (edges) {
        fl_buf_put(b, ", \"edges\": [", 12);
        for (int e = 0; e < d->nout; e++)
            flrt_json_printf(b, "%s{\"to\": %d, \"kind\": \"%s\", \"input\": %d}", e ? ", " : "", d->outs[e].to,
                             edge_names[d->outs[e].kind & 3], d->outs[e].input);
        fl_buf_putc(b, ']');
    }
    fl_buf_putc(b, '}');
}

void flrt_stats_json(const flrt_job *j, const fl_i64 *snap, fl_buf *b, int edges)
{
    fl_buf_put(b, "{\"job\": ", 8);
    flrt_json_str(b, j->def->name);
    flrt_json_printf(b, ", \"processes\": %d, \"threads\": %lld, \"elapsed_s\": %.3f, \"done\": %s, "
                        "\"late_dropped\": %lld, \"bytes_between_processes\": %lld, \"source_bytes_read\": %lld, "
                        "\"source_bytes\": %lld, \"source_rows\": %lld, \"stages\": [",
                     j->nprocs > 0 ? j->nprocs : 1, (long long)snap[FLRT_H_THREADS],
                     (double)snap[FLRT_H_ELAPSED_MS] / 1e3, snap[FLRT_H_DONE] ? "true" : "false",
                     (long long)snap[FLRT_H_LATE], (long long)snap[FLRT_H_SENT], (long long)snap[FLRT_H_BYTES_DONE],
                     (long long)snap[FLRT_H_BYTES_TOTAL], (long long)flrt_stats_source_rows(j, snap));
    for (int s = 0; s < j->def->nstages; s++) {
        if (s)
            fl_buf_put(b, ", ", 2);
        json_stage(j, snap, s, b, edges);
    }
    fl_buf_put(b, "]}\n", 3);
}

/* ---- the table ---- */

static void count_cell(char *out, size_t n, fl_i64 v)
{
    if (v < 0)
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%lld", (long long)v);
}

static void print_op(const flrt_job *j, const fl_i64 *snap, int s, int k, FILE *f)
{
    const fl_op_def *o = &j->def->stages[s].ops[k];
    char what[96], in[24], out[24], st[24];
    snprintf(what, sizeof what, "n%d %s %s", o->node, o->kind, o->op);
    count_cell(in, sizeof in, flrt_stats_op_in(j, snap, s, k));
    count_cell(out, sizeof out, flrt_stats_op_out(j, snap, s, k));
    count_cell(st, sizeof st, op_state(j, snap, s, k));
    fprintf(f, "  %-44s %5d:%-3d %14s %14s %10s\n", what, o->line, o->col, in, out, st);
}

void flrt_stats_print(const flrt_job *j, const fl_i64 *snap, FILE *f)
{
    int np = j->nprocs > 0 ? j->nprocs : 1;
    fprintf(f, "flowc job: stats: %d process%s, %lld thread%s in all, %.3f s", np, np == 1 ? "" : "es",
            (long long)snap[FLRT_H_THREADS], snap[FLRT_H_THREADS] == 1 ? "" : "s",
            (double)snap[FLRT_H_ELAPSED_MS] / 1e3);
    if (np > 1)
        fprintf(f, ", %lld bytes between processes", (long long)snap[FLRT_H_SENT]);
    if (snap[FLRT_H_LATE])
        fprintf(f, ", %lld late elements dropped", (long long)snap[FLRT_H_LATE]);
    fputc('\n', f);
    for (int s = 0; s < j->def->nstages; s++) {
        const fl_stage_def *d = &j->def->stages[s];
        const fl_i64 *tm = stage_times(j, snap, s);
        fprintf(f, "stage %d %s (%lld task run%s): busy %.3f s, waiting for input %.3f s, blocked on output %.3f s",
                s, d->name, (long long)tm[FLRT_ST_ENDED], tm[FLRT_ST_ENDED] == 1 ? "" : "s",
                (double)tm[FLRT_ST_BUSY_NS] / 1e9, (double)tm[FLRT_ST_IN_NS] / 1e9, (double)tm[FLRT_ST_OUT_NS] / 1e9);
        if (tm[FLRT_ST_BYTES])
            fprintf(f, ", sent %lld bytes", (long long)tm[FLRT_ST_BYTES]);
        fputc('\n', f);
        if (d->nops)
            fprintf(f, "  %-44s %9s %14s %14s %10s\n", "operator", "line:col", "rows in", "rows out", "state");
        for (int k = 0; k < d->nops; k++)
            print_op(j, snap, s, k, f);
    }
}

void flrt_stats_write_json(const flrt_job *j, const fl_i64 *snap, const char *path)
{
    fl_buf b = {0};
    flrt_stats_json(j, snap, &b, 0);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    int ok = f && fwrite(b.p, 1, (size_t)b.len, f) == (size_t)b.len;
    int err = errno;
    if (f && fclose(f) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    if (ok && rename(tmp, path) < 0) {
        ok = 0;
        err = errno;
    }
    if (!ok) {
        if (f)
            unlink(tmp);
        flrt_say("cannot write the stats to %s: %s", path, strerror(err));
    }
    fl_buf_free(&b);
}
