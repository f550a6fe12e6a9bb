/*  zlb-stress - load generator for zlb / MDP 0.1 brokers (issue 3).

    Parses the command line, runs the load (runner.c), prints a progress
    line per second and the summary, and writes the JSON, CSV and SVG
    files asked for. Exit: 0 ok, 1 lost or mismatched replies, 2 bad
    arguments (or a run that could not start).                           */

#include <czmq.h>
#include <inttypes.h>
#include <unistd.h>
#include "zlb/zlb.h"
#include "params.h"
#include "report.h"
#include "runner.h"

typedef struct {
    bool tty;                    //  stderr is a terminal: rewrite one line
    bool printed;                //  a progress line is on screen
    zlb_log_t *log;              //  the run log (may be NULL)
} s_progress_t;

static void
s_progress (void *arg, size_t second, const zlb_stress_second_t *summary,
            uint64_t errors, uint64_t timeouts)
{
    s_progress_t *self = (s_progress_t *) arg;
    char line [160];
    zlb_stress_progress_line (line, sizeof (line), second, summary, errors, timeouts);
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

//  Write the files asked for; say where they went. Failures are reported
//  but do not change the exit code's meaning (the run itself happened).
static void
s_write_outputs (const zlb_stress_params_t *params, const zlb_stress_result_t *result)
{
    if (params->json_path) {
        if (zlb_stress_json_write (params->json_path, params, result))
            fprintf (stderr, "zlb-stress: cannot write %s: %s\n", params->json_path, strerror (errno));
        else
            printf ("  json:   %s\n", params->json_path);
    }
    if (params->csv_path) {
        if (zlb_stress_csv_write (params->csv_path, result))
            fprintf (stderr, "zlb-stress: cannot write %s: %s\n", params->csv_path, strerror (errno));
        else
            printf ("  csv:    %s\n", params->csv_path);
    }
    if (params->report_path) {
        if (zlb_stress_svg_write (params->report_path, params, result))
            fprintf (stderr, "zlb-stress: cannot write %s: %s\n", params->report_path, strerror (errno));
        else
            printf ("  report: %s\n", params->report_path);
    }
}

int
main (int argc, char **argv)
{
    zlb_stress_params_t params;
    char err [256] = "";
    if (zlb_stress_params_parse (&params, argc, argv, err, sizeof (err))) {
        fprintf (stderr, "zlb-stress: %s\nTry 'zlb-stress --help'.\n", err);
        return 2;
    }
    if (params.help) {
        zlb_stress_params_usage (stdout);
        return 0;
    }
    if (params.version) {
        printf ("zlb-stress %s\n", ZLB_VERSION_STRING);
        return 0;
    }
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
    zlb_stress_summary_print (stdout, &params, &result);
    printf ("\n");
    s_write_outputs (&params, &result);
    s_log_summary (progress.log, &result);
    int code = zlb_stress_exit_code (&result);
    if (code)
        fprintf (stderr, "zlb-stress: %" PRIu64 " lost, %" PRIu64 " mismatched replies\n",
                 result.stats->lost, result.stats->mismatched);
    zlb_stress_result_fini (&result);
    zlb_log_destroy (&progress.log);
    return code;
}
