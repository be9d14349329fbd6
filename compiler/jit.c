/* jit.c - runs a job in memory with libtcc (0.9.27: not reentrant, C99
 * only; tcc_delete frees the code). The runtime is linked into flowc
 * itself, so the generated code is given the addresses of the runtime's
 * functions directly; libc comes from tcc's own default libraries. The
 * headers are compiled from the copies embedded in flowc. */
#define _GNU_SOURCE
#include "jit.h"

#include <libtcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cc.h"
#include "flowrt.h"
#include "tier.h"

#define SYM(f) {#f, (void *)f}

static const struct { const char *name; void *addr; } jit_syms[] = {
    SYM(fl_arena_grow), SYM(fl_arena_free), SYM(fl_arena_reset), SYM(fl_calloc), SYM(fl_table_alloc), SYM(fl_table_free), SYM(fl_out_flush), SYM(fl_out_room), SYM(fl_recv), SYM(fl_done), SYM(fl_ended),
    SYM(fl_stopping), SYM(fl_fail), SYM(fl_main), SYM(fl_hash_bytes), SYM(fl_str_cmp),
    SYM(fl_lines_open), SYM(fl_lines_close), SYM(fl_lines_more), SYM(fl_split_range), SYM(fl_csv_open), SYM(fl_csv_next),
    SYM(fl_csv_close), SYM(fl_parse_i64), SYM(fl_parse_f64), SYM(fl_parse_bool), SYM(fl_sink_open),
    SYM(fl_sink_write), SYM(fl_sink_close), SYM(fl_buf_reserve), SYM(fl_buf_i64), SYM(fl_buf_f64),
    SYM(fl_buf_csv_str), SYM(fl_buf_free), SYM(fl_lower), SYM(fl_upper), SYM(fl_trim), SYM(fl_concat),
    SYM(fl_substr), SYM(fl_starts_with), SYM(fl_ends_with), SYM(fl_contains), SYM(fl_split),
    SYM(fl_words), SYM(fl_words_lower), SYM(fl_i64_str), SYM(fl_f64_str), SYM(fl_parse_date), SYM(fl_format_date),
    SYM(fl_date_parts), SYM(fl_ser_toolong), SYM(fl_pipe_open), SYM(fl_pipe_put), SYM(fl_pipe_take),
    SYM(fl_pipe_end), SYM(fl_pipe_close),
    SYM(fl_json_blank), SYM(fl_json_parse), SYM(fl_json_free), SYM(fl_json_kind), SYM(fl_json_get), SYM(fl_json_len),
    SYM(fl_json_at), SYM(fl_json_int), SYM(fl_json_real), SYM(fl_json_str), SYM(fl_json_want), SYM(fl_json_in),
    SYM(fl_buf_json_str), SYM(fl_buf_json_f64), SYM(fl_host_next), SYM(fl_host_out), SYM(fl_host_arrow_open),
    SYM(fl_arrow_open), SYM(fl_arrow_i64), SYM(fl_arrow_f64), SYM(fl_arrow_bool), SYM(fl_arrow_str), SYM(fl_arrow_struct),
    SYM(fl_arrow_list), SYM(fl_arrow_null), SYM(fl_arrow_row_end), SYM(fl_arrow_close),
    SYM(fl_arrow_ropen), SYM(fl_arrow_rnext), SYM(fl_arrow_rnull), SYM(fl_arrow_rnull_error), SYM(fl_arrow_ri64),
    SYM(fl_arrow_rf64), SYM(fl_arrow_rbool), SYM(fl_arrow_rstr), SYM(fl_arrow_rlist), SYM(fl_arrow_rbad), SYM(fl_arrow_rclose),
};

static void jit_error(void *opaque, const char *msg)
{
    FILE *log = opaque;
    fprintf(log, "%s\n", msg);
}

/* The source with `#include "flowgen.h"` replaced by the embedded headers. */
static char *jit_source(const char *csrc)
{
    const char *inc = "#include \"flowgen.h\"\n";
    const char *at = strstr(csrc, inc);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    if (at)
        fwrite(csrc, 1, (size_t)(at - csrc), f);
    const char *rt = "#include \"flowrt.h\"";
    const char *gen = strstr(jit_flowgen_h, rt);
    if (gen)
        fwrite(jit_flowgen_h, 1, (size_t)(gen - jit_flowgen_h), f);
    fputs(jit_flowrt_h, f);
    fputs(gen ? gen + strlen(rt) : jit_flowgen_h, f);
    fputs(at ? at + strlen(inc) : csrc, f);
    fclose(f);
    return buf;
}

/* tcc rejected generated code: keep it and say where, as a flowc bug. */
static void jit_report(const char *src, const char *log)
{
    char path[] = "/tmp/flowc-jit-XXXXXX.c";
    int fd = mkstemps(path, 2);
    if (fd >= 0) {
        FILE *f = fdopen(fd, "w");
        if (f) {
            fputs(src, f);
            fclose(f);
        }
    }
    fprintf(stderr, "flowc: internal error: tcc rejected the generated code (a flowc bug; please report it "
                    "with %s):\n%s", fd >= 0 ? path : "the program", log);
}

static void *jit_look(void *s, const char *name) { return tcc_get_symbol(s, name); }

/* The user's C files (extern functions) into s, their headers found in the
 * .flow file's folder and the runtime's headers in staged: 0, or -1 with
 * tcc's messages printed as the user's errors. */
static int jit_user_files(TCCState *s, FILE *logf, char **log)
{
    for (int i = 0; i < cc_user_count(); i++)
        if (tcc_add_file(s, cc_user_file(i)) < 0) {
            fflush(logf);
            fprintf(stderr, "%sflowc: tcc cannot compile %s (above)\n", *log ? *log : "", cc_user_file(i));
            return -1;
        }
    return 0;
}

/* A tcc compiling into memory, its messages into logf (NULL when logf or tcc is missing). */
static TCCState *jit_state(FILE *logf)
{
    TCCState *s = logf ? tcc_new() : NULL;
    if (!s)
        return NULL;
    tcc_set_error_func(s, logf, jit_error);
    tcc_set_options(s, "-w");
    tcc_set_output_type(s, TCC_OUTPUT_MEMORY);
    return s;
}

int jit_check(const char *body, const char *incdir, char **msg)
{
    char *src = jit_source(body);
    size_t len = 0;
    *msg = NULL;
    FILE *logf = open_memstream(msg, &len);
    TCCState *s = jit_state(logf);
    int rc = -1;
    if (src && logf && s) {
        char staged[4096] = "";   /* (a header may include flowrt.h itself) */
        if (incdir)
            tcc_add_include_path(s, incdir);
        if (cc_stage(staged, sizeof staged, "") == 0)
            tcc_add_include_path(s, staged);
        rc = tcc_compile_string(s, src) < 0 ? -1 : 0;
        if (*staged)
            cc_unstage(staged);
    }
    if (s)
        tcc_delete(s);
    if (logf)
        fclose(logf);
    free(src);
    return rc;
}

int jit_run(const char *csrc, int argc, char **argv, const TierOpts *tier)
{
    char *src = jit_source(csrc);
    char *log = NULL;
    size_t loglen = 0;
    FILE *logf = open_memstream(&log, &loglen);
    TCCState *s = jit_state(logf);
    int status = -1;
    char staged[4096] = "";
    if (!src || !logf || !s)
        goto done;
    if (cc_user_include()) {   /* the .flow file's folder, and one with the runtime's headers */
        if (cc_stage(staged, sizeof staged, "") < 0)
            goto done;
        tcc_add_include_path(s, cc_user_include());
        tcc_add_include_path(s, staged);
    }
    if (tcc_compile_string(s, src) < 0)
        goto fail;
    if (jit_user_files(s, logf, &log) < 0) {
        status = 1;
        goto done;
    }
    for (size_t i = 0; i < sizeof jit_syms / sizeof jit_syms[0]; i++)
        tcc_add_symbol(s, jit_syms[i].name, jit_syms[i].addr);
    if (tcc_relocate(s, TCC_RELOCATE_AUTO) < 0)
        goto fail;
    if (*staged)
        cc_unstage(staged), *staged = 0;
    int (*job_main)(int, char **) = (int (*)(int, char **))tcc_get_symbol(s, "main");
    if (!job_main) {
        fputs("no main in the generated code\n", logf);
        goto fail;
    }
    tier_begin(csrc, jit_look, s, tier);
    status = job_main(argc, argv);
    tier_end();
    goto done;
fail:
    fflush(logf);
    jit_report(src, log ? log : "");
done:
    if (*staged)
        cc_unstage(staged);
    if (s)
        tcc_delete(s);
    if (logf)
        fclose(logf);
    free(log);
    free(src);
    return status;
}
