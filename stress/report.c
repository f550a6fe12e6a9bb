/*  report.c - progress line, summary table, JSON and CSV (see report.h).  */

#include "report.h"
#include "outputs.h"
#include "verdict.h"
#include "escape.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

//  The percentiles every table and JSON object carries, in this order.
static const struct {
    const char *key;             //  JSON name
    const char *label;           //  column heading
    double percentile;
} s_percentiles [] = {
    { "p50", "p50", 50 }, { "p90", "p90", 90 }, { "p99", "p99", 99 },
    { "p999", "p99.9", 99.9 }, { "p9999", "p99.99", 99.99 }
};
#define S_NPERCENTILES (sizeof (s_percentiles) / sizeof (s_percentiles [0]))

char *
zlb_stress_fmt_ns (double ns, char *buf, size_t size)
{
    if (ns < 1e6)
        snprintf (buf, size, "%.1fus", ns / 1e3);
    else
    if (ns < 1e9)
        snprintf (buf, size, "%.2fms", ns / 1e6);
    else
        snprintf (buf, size, "%.2fs", ns / 1e9);
    return buf;
}

void
zlb_stress_progress_line (char *buf, size_t size, size_t second, bool drain,
                          const zlb_stress_second_t *summary,
                          uint64_t errors, uint64_t timeouts)
{
    char p50 [24], p99 [24];
    snprintf (buf, size, "[%4zus%s] %9.0f req/s  p50 %9s  p99 %9s  errors %" PRIu64
              "  timeouts %" PRIu64, second + 1, drain? " drain": "", summary->rps,
              zlb_stress_fmt_ns ((double) summary->p50, p50, sizeof (p50)),
              zlb_stress_fmt_ns ((double) summary->p99, p99, sizeof (p99)),
              errors, timeouts);
}

//  --- summary ----------------------------------------------------------------

static void
s_table_row (FILE *out, const char *name, const zlb_histogram_t *hist)
{
    char cell [24];
    fprintf (out, "  %-14s", name);
    if (zlb_histogram_count (hist) == 0) {
        fprintf (out, "  (no values)\n");
        return;
    }
    for (size_t i = 0; i < S_NPERCENTILES; i++)
        fprintf (out, " %9s", zlb_stress_fmt_ns (
            (double) zlb_histogram_percentile (hist, s_percentiles [i].percentile),
            cell, sizeof (cell)));
    fprintf (out, " %9s", zlb_stress_fmt_ns ((double) zlb_histogram_max (hist), cell, sizeof (cell)));
    fprintf (out, " %9s", zlb_stress_fmt_ns (zlb_histogram_mean (hist), cell, sizeof (cell)));
    fprintf (out, " %9s\n", zlb_stress_fmt_ns (zlb_histogram_stddev (hist), cell, sizeof (cell)));
}

static const char *
s_status_name (int status, char *buf, size_t size)
{
    if (status == ZLB_STRESS_STATUS_MISMATCH)
        return "mismatch";
    if (status == ZLB_STRESS_STATUS_OTHER)
        return "other";
    snprintf (buf, size, "%d", status);
    return buf;
}

static void
s_print_counts (FILE *out, const zlb_stress_result_t *result)
{
    const zlb_stress_stats_t *s = result->stats;
    fprintf (out, "  throughput     %.1f req/s (ok replies over the measured %.2f s;"
             " then %.2f s of drain)\n", result->throughput_rps, result->measured_ns / 1e9,
             result->drain_ns / 1e9);
    fprintf (out, "  requests       sent %" PRIu64 " = ok %" PRIu64 " + errors %" PRIu64
             " + timeouts %" PRIu64 " + lost %" PRIu64 "\n",
             s->sent, s->ok, s->errors, s->timeouts, s->lost);
    fprintf (out, "  checks         retries %" PRIu64 "  duplicates %" PRIu64
             "  mismatched %" PRIu64, s->retries, s->duplicates, s->mismatched);
    if (s->unknown)
        fprintf (out, " (%" PRIu64 " with unknown ids)", s->unknown);
    if (s->send_failures)
        fprintf (out, "  refused sends %" PRIu64, s->send_failures);
    fprintf (out, "\n");
    if (s->unsent)
        fprintf (out, "  behind         %" PRIu64 " scheduled requests were never sent"
                 " (raise --pipeline or lower --rate)\n", s->unsent);
    if (s->nstatuses) {
        fprintf (out, "  errors by status:");
        for (size_t i = 0; i < s->nstatuses; i++) {
            char buf [16];
            int status = s->statuses [i].status;
            fprintf (out, "  %s", s_status_name (status, buf, sizeof (buf)));
            if (status > 0)
                fprintf (out, " (%s)", zlb_status_text (status));
            fprintf (out, " %" PRIu64, s->statuses [i].count);
        }
        fprintf (out, "\n");
    }
}

static void
s_print_workers (FILE *out, const zlb_stress_stats_t *s)
{
    if (s->nworkers == 0)
        return;
    fprintf (out, "\n  per worker (ok replies)\n");
    uint64_t most = 1;
    for (size_t i = 0; i < s->nworkers; i++)
        if (s->workers [i].count > most)
            most = s->workers [i].count;
    for (size_t i = 0; i < s->nworkers; i++) {
        uint64_t count = s->workers [i].count;
        int bar = (int) (30 * count / most);
        fprintf (out, "  %-24s %10" PRIu64 "  %5.1f%%  ", s->workers [i].id, count,
                 s->ok? 100.0 * (double) count / (double) s->ok: 0);
        for (int b = 0; b < bar; b++)
            fputc ('#', out);
        fputc ('\n', out);
    }
    if (s->workers_other)
        fprintf (out, "  %-24s %10" PRIu64 "\n", "(more workers)", s->workers_other);
}

//  With several --connect: what each broker was sent and sent back.
static void
s_print_brokers (FILE *out, const zlb_stress_params_t *params, const zlb_stress_stats_t *s)
{
    if (s->nbrokers < 2)
        return;
    fprintf (out, "\n  per broker (whole run)   %10s %10s\n", "attempts", "replies");
    for (size_t i = 0; i < s->nbrokers && i < (size_t) params->brokers.count; i++)
        fprintf (out, "  %-24s %10" PRIu64 " %10" PRIu64 "\n", params->brokers.items [i],
                 s->brokers [i].attempts, s->brokers [i].replies);
}

void
zlb_stress_summary_print (FILE *out, const zlb_stress_params_t *params,
                          const zlb_stress_result_t *result)
{
    const zlb_stress_stats_t *s = result->stats;
    bool open_loop = params->rate > 0;
    fprintf (out, "\nzlb-stress %s: %s loop", ZLB_VERSION_STRING, open_loop? "open": "closed");
    if (open_loop)
        fprintf (out, " at %.0f req/s", params->rate);
    fprintf (out, ", %zu clients on %zu threads, pipeline %zu, %zu-byte payloads, service %s%s\n",
             params->clients, params->threads, params->pipeline, params->size, params->service,
             result->interrupted? " (interrupted)": "");
    s_print_counts (out, result);
    fprintf (out, "\n  %-14s", "");
    for (size_t i = 0; i < S_NPERCENTILES; i++)
        fprintf (out, " %9s", s_percentiles [i].label);
    fprintf (out, " %9s %9s %9s\n", "max", "mean", "stddev");
    s_table_row (out, open_loop? "rtt corrected": "rtt", s->rtt);
    if (open_loop)
        s_table_row (out, "rtt as sent", s->rtt_raw);
    s_table_row (out, "latency est.", s->latency);
    s_table_row (out, "service", s->service);
    s_print_workers (out, s);
    s_print_brokers (out, params, s);
}

//  --- JSON -------------------------------------------------------------------

//  A JSON string; worker ids and paths come from outside, so escape all
//  (the one JSON escaper, escape.h: controls and invalid UTF-8 too).
static void
s_json_string (FILE *out, const char *text)
{
    zlb_json_string_print (out, text, strlen (text));
}

static void
s_json_hist_summary (FILE *out, const char *name, const zlb_histogram_t *hist)
{
    fprintf (out, "  \"%s\": {\"count\": %" PRIu64 ", \"min\": %.3f", name,
             zlb_histogram_count (hist), zlb_histogram_min (hist) / 1e3);
    for (size_t i = 0; i < S_NPERCENTILES; i++)
        fprintf (out, ", \"%s\": %.3f", s_percentiles [i].key,
                 zlb_histogram_percentile (hist, s_percentiles [i].percentile) / 1e3);
    fprintf (out, ", \"max\": %.3f, \"mean\": %.3f, \"stddev\": %.3f"
             ", \"clamped_low\": %" PRIu64 ", \"clamped_high\": %" PRIu64 "},\n",
             zlb_histogram_max (hist) / 1e3, zlb_histogram_mean (hist) / 1e3,
             zlb_histogram_stddev (hist) / 1e3, zlb_histogram_clamped_low (hist),
             zlb_histogram_clamped_high (hist));
}

static void
s_json_buckets (FILE *out, const char *name, const zlb_histogram_t *hist, bool last)
{
    fprintf (out, "    \"%s\": [", name);
    size_t index = 0;
    int64_t low, high;
    uint64_t count;
    bool first = true;
    while (zlb_histogram_next_bucket (hist, &index, &low, &high, &count)) {
        fprintf (out, "%s[%.3f, %.3f, %" PRIu64 "]", first? "": ", ",
                 low / 1e3, high / 1e3, count);
        first = false;
    }
    fprintf (out, "]%s\n", last? "": ",");
}

static void
s_json_series (FILE *out, const zlb_stress_result_t *result)
{
    fprintf (out, "  \"series\": [");
    for (size_t i = 0; i < result->seconds; i++) {
        zlb_stress_second_t s;
        if (!zlb_stress_series_get (result->series, i, &s))
            continue;
        fprintf (out, "%s\n    {\"second\": %zu, \"span_s\": %.3f, \"sent\": %" PRIu64
                 ", \"ok\": %" PRIu64 ", \"errors\": %" PRIu64 ", \"timeouts\": %" PRIu64
                 ", \"rps\": %.1f, \"p50_us\": %.3f, \"p90_us\": %.3f, \"p99_us\": %.3f"
                 ", \"p999_us\": %.3f, \"max_us\": %.3f, \"mean_us\": %.3f}",
                 i? ",": "", i + 1, s.span_s, s.sent, s.ok, s.errors, s.timeouts, s.rps,
                 s.p50 / 1e3, s.p90 / 1e3, s.p99 / 1e3, s.p999 / 1e3, s.max / 1e3, s.mean / 1e3);
    }
    fprintf (out, "\n  ],\n");
}

static void
s_json_tables (FILE *out, const zlb_stress_stats_t *s)
{
    fprintf (out, "  \"errors_by_status\": {");
    for (size_t i = 0; i < s->nstatuses; i++) {
        char buf [16];
        fprintf (out, "%s\"%s\": %" PRIu64, i? ", ": "",
                 s_status_name (s->statuses [i].status, buf, sizeof (buf)), s->statuses [i].count);
    }
    fprintf (out, "},\n  \"per_worker\": {");
    for (size_t i = 0; i < s->nworkers; i++) {
        fprintf (out, "%s", i? ", ": "");
        s_json_string (out, s->workers [i].id);
        fprintf (out, ": %" PRIu64, s->workers [i].count);
    }
    fprintf (out, "},\n  \"per_worker_other\": %" PRIu64 ",\n", s->workers_other);
}

//  "per_broker": [{endpoint, attempts, replies}], one per --connect.
static void
s_json_brokers (FILE *out, const zlb_stress_params_t *params, const zlb_stress_stats_t *s)
{
    fprintf (out, "  \"per_broker\": [");
    for (size_t i = 0; i < s->nbrokers && i < (size_t) params->brokers.count; i++) {
        fprintf (out, "%s{\"endpoint\": ", i? ", ": "");
        s_json_string (out, params->brokers.items [i]);
        fprintf (out, ", \"attempts\": %" PRIu64 ", \"replies\": %" PRIu64 "}",
                 s->brokers [i].attempts, s->brokers [i].replies);
    }
    fprintf (out, "],\n");
}

static void
s_json_opt_string (FILE *out, const char *name, const char *value, const char *end)
{
    fprintf (out, "\"%s\": ", name);
    if (value)
        s_json_string (out, value);
    else
        fprintf (out, "null");
    fprintf (out, "%s", end);
}

static void
s_json_params (FILE *out, const zlb_stress_params_t *p)
{
    fprintf (out, "  \"params\": {");
    s_json_opt_string (out, "connect", p->connect, ", ");
    s_json_opt_string (out, "service", p->service, ", ");
    fprintf (out, "\"mode\": \"%s\", \"clients\": %zu, \"threads\": %zu, \"pipeline\": %zu, "
             "\"rate\": %.3f, \"duration_ms\": %" PRId64 ", \"requests\": %" PRIu64
             ", \"warmup_ms\": %" PRId64 ", \"size\": %zu, \"timeout_ms\": %d, \"retries\": %d"
             ", \"drain_ms\": %" PRId64 ", ",
             p->rate > 0? "open": "closed", p->clients, p->threads, p->pipeline, p->rate,
             p->duration_ms, p->requests, p->warmup_ms, p->size, p->timeout_ms, p->retries,
             p->drain_ms);
    s_json_opt_string (out, "json", p->json_path, ", ");
    s_json_opt_string (out, "csv", p->csv_path, ", ");
    s_json_opt_string (out, "report", p->report_path, ", ");
    s_json_opt_string (out, "log", p->log_path, "},\n");
}

int
zlb_stress_json_write (const char *path, const zlb_stress_params_t *params,
                       const zlb_stress_result_t *result)
{
    FILE *out = zlb_stress_output_open (path);
    if (!out)
        return -1;
    const zlb_stress_stats_t *s = result->stats;
    char hint [256];
    fprintf (out, "{\n  \"tool\": \"zlb-stress\", \"version\": \"%s\", \"started_at\": \"%s\","
             " \"mode\": \"%s\", \"interrupted\": %s,\n",
             ZLB_VERSION_STRING, result->started_at, params->rate > 0? "open": "closed",
             result->interrupted? "true": "false");
    fprintf (out, "  \"measured_s\": %.3f, \"drain_s\": %.3f, \"elapsed_s\": %.3f,"
             " \"throughput_rps\": %.1f,\n", result->measured_ns / 1e9, result->drain_ns / 1e9,
             (result->measured_ns + result->drain_ns) / 1e9, result->throughput_rps);
    fprintf (out, "  \"sent\": %" PRIu64 ", \"ok\": %" PRIu64 ", \"errors\": %" PRIu64
             ", \"timeouts\": %" PRIu64 ", \"lost\": %" PRIu64 ",\n",
             s->sent, s->ok, s->errors, s->timeouts, s->lost);
    fprintf (out, "  \"retries\": %" PRIu64 ", \"duplicates\": %" PRIu64 ", \"mismatched\": %"
             PRIu64 ", \"unknown_ids\": %" PRIu64 ", \"send_failures\": %" PRIu64
             ", \"unsent\": %" PRIu64 ",\n",
             s->retries, s->duplicates, s->mismatched, s->unknown, s->send_failures, s->unsent);
    s_json_tables (out, s);
    s_json_brokers (out, params, s);
    s_json_hist_summary (out, "rtt_us", s->rtt);
    s_json_hist_summary (out, "rtt_uncorrected_us", s->rtt_raw);
    s_json_hist_summary (out, "latency_us", s->latency);
    s_json_hist_summary (out, "service_us", s->service);
    s_json_series (out, result);
    fprintf (out, "  \"histograms\": {\n");
    s_json_buckets (out, "rtt_us", s->rtt, false);
    s_json_buckets (out, "rtt_uncorrected_us", s->rtt_raw, false);
    s_json_buckets (out, "latency_us", s->latency, false);
    s_json_buckets (out, "service_us", s->service, true);
    fprintf (out, "  },\n");
    s_json_params (out, params);
    int code = zlb_stress_verdict (params, result, hint, sizeof (hint));
    fprintf (out, "  \"exit_code\": %d, ", code);
    s_json_opt_string (out, "hint", code? hint: NULL, "\n}\n");
    return zlb_stress_output_close (out);
}

//  --- CSV --------------------------------------------------------------------

int
zlb_stress_csv_write (const char *path, const zlb_stress_result_t *result)
{
    FILE *out = zlb_stress_output_open (path);
    if (!out)
        return -1;
    fprintf (out, "second,span_s,sent,ok,errors,timeouts,rps,p50_us,p90_us,p99_us,p999_us,max_us,mean_us\n");
    for (size_t i = 0; i < result->seconds; i++) {
        zlb_stress_second_t s;
        if (!zlb_stress_series_get (result->series, i, &s))
            continue;
        fprintf (out, "%zu,%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                 ",%.1f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f\n",
                 i + 1, s.span_s, s.sent, s.ok, s.errors, s.timeouts, s.rps,
                 s.p50 / 1e3, s.p90 / 1e3, s.p99 / 1e3, s.p999 / 1e3, s.max / 1e3, s.mean / 1e3);
    }
    return zlb_stress_output_close (out);
}
