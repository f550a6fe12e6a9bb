/*  zlb-stress - load generator for zlb / MDP 0.1 brokers (issue 3).

    Parses the command line (output paths are checked there, before any
    load), runs the load (runner.c), prints a progress line per second and
    the summary, and writes the JSON, CSV and SVG files asked for. Exit: 0
    ok; 1 when the run failed (verdict.c: nothing succeeded, lost or
    mismatched replies, too many errors), with a hint on stderr; 2 bad
    arguments, an unwritable output path, or a run that could not start. */

#include <czmq.h>
#include <inttypes.h>
#include <unistd.h>
#include "zlb/zlb.h"
#include "outputs.h"
#include "params.h"
#include "options.h"
#include "report.h"
#include "runner.h"
#include "verdict.h"

typedef struct {
    bool tty;                    //  stderr is a terminal: rewrite one line
    bool printed;                //  a progress line is on screen
    zlb_log_t *log;              //  the run log (may be NULL)
} s_progress_t;

static void
s_progress (void *arg, size_t second, bool drain, const zlb_stress_second_t *summary,
            uint64_t errors, uint64_t timeouts)
{
    s_progress_t *self = (s_progress_t *) arg;
    char line [160];
    zlb_stress_progress_line (line, sizeof (line), second, drain, summary, errors, timeouts);
    if (self->tty)
        fprintf (stderr, "\r%s\033[K", line);
    else
        fprintf (stderr, "%s\n", line);
    fflush (stderr);
    self->printed = true;
}

static void
s_log_params (zlb_log_t *log, const zlb_stress_params_t *p)
{
    zlb_log (log, ZLB_LOG_INFO, "params",
             "connect=%s service=%s mode=%s clients=%zu threads=%zu pipeline=%zu rate=%.1f"
             " duration_ms=%" PRId64 " requests=%" PRIu64 " warmup_ms=%" PRId64 " size=%zu"
             " timeout_ms=%d retries=%d drain_ms=%" PRId64,
             p->connect, p->service, p->rate > 0? "open": "closed", p->clients, p->threads,
             p->pipeline, p->rate, p->duration_ms, p->requests, p->warmup_ms, p->size,
             p->timeout_ms, p->retries, p->drain_ms);
}

static void
s_log_summary (zlb_log_t *log, const zlb_stress_result_t *r)
{
    const zlb_stress_stats_t *s = r->stats;
    zlb_log (log, ZLB_LOG_INFO, "summary",
             "sent=%" PRIu64 " ok=%" PRIu64 " errors=%" PRIu64 " timeouts=%" PRIu64
             " lost=%" PRIu64 " retries=%" PRIu64 " duplicates=%" PRIu64 " mismatched=%" PRIu64
             " throughput_rps=%.1f rtt_p50_us=%.1f rtt_p99_us=%.1f rtt_max_us=%.1f",
             s->sent, s->ok, s->errors, s->timeouts, s->lost, s->retries, s->duplicates,
             s->mismatched, r->throughput_rps,
             zlb_histogram_percentile (s->rtt, 50) / 1e3,
             zlb_histogram_percentile (s->rtt, 99) / 1e3, zlb_histogram_max (s->rtt) / 1e3);
}

//  Say where a file went, or that it could not be written. A failure is
//  reported but does not change the exit code's meaning (the run happened).
static void
s_wrote (FILE *people, const char *label, const char *path, int rc)
{
    if (rc)
        fprintf (stderr, "zlb-stress: cannot write %s: %s\n", path, strerror (errno));
    else
        fprintf (people, "  %-7s %s\n", label, streq (path, "-")? "(standard output)": path);
}

//  Write the files asked for; the lines for people go to `people`.
static void
s_write_outputs (FILE *people, const zlb_stress_params_t *params,
                 const zlb_stress_result_t *result)
{
    if (params->json_path)
        s_wrote (people, "json:", params->json_path,
                 zlb_stress_json_write (params->json_path, params, result));
    if (params->csv_path)
        s_wrote (people, "csv:", params->csv_path, zlb_stress_csv_write (params->csv_path, result));
    if (params->report_path)
        s_wrote (people, "report:", params->report_path,
                 zlb_stress_svg_write (params->report_path, params, result));
}

int
main (int argc, char **argv)
{
    zlb_stress_params_t params;
    int parsed = zlb_stress_params_parse (&params, argc, argv);
    if (parsed != ZLB_OPTIONS_RUN)
        return parsed == ZLB_OPTIONS_DONE ? 0 : 2;
    char err [256] = "";
    zsys_init ();
    zsys_set_linger (0);
    s_progress_t progress = { isatty (STDERR_FILENO) != 0, false, NULL };
    if (params.log_path) {
        progress.log = zlb_log_new (params.log_path, "stress", "main", params.log_level);
        if (!progress.log) {
            fprintf (stderr, "zlb-stress: cannot open log %s: %s\n", params.log_path, strerror (errno));
            return 2;
        }
    }
    s_log_params (progress.log, &params);
    zlb_stress_result_t result;
    if (zlb_stress_run (&params, progress.log, s_progress, &progress, &result, err, sizeof (err))) {
        fprintf (stderr, "zlb-stress: %s\n", err);
        zlb_log (progress.log, ZLB_LOG_ERROR, "run_failed", "reason=\"%s\"", err);
        zlb_log_destroy (&progress.log);
        return 2;
    }
    if (progress.printed && progress.tty)
        fputc ('\n', stderr);
    //  With --json - or --csv -, standard output carries only that data.
    FILE *people = zlb_stress_outputs_use_stdout (&params)? stderr: stdout;
    zlb_stress_summary_print (people, &params, &result);
    fprintf (people, "\n");
    s_write_outputs (people, &params, &result);
    s_log_summary (progress.log, &result);
    char hint [256];
    int code = zlb_stress_verdict (&params, &result, hint, sizeof (hint));
    if (code) {
        fprintf (stderr, "zlb-stress: %s\n", hint);
        zlb_log (progress.log, ZLB_LOG_WARNING, "run_failed", "reason=\"%s\"", hint);
    }
    zlb_stress_result_fini (&result);
    zlb_log_destroy (&progress.log);
    return code;
}
