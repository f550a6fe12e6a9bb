/*  svg.c - the zlb-stress picture: a hand-written SVG (see report.h).

    Top: the latency-by-percentile curve, HdrHistogram style: the x axis is
    log10 (1 / (1 - p)), so 90 %, 99 %, 99.9 % ... are evenly spaced and
    the tail gets as much room as the median; the y axis is logarithmic.
    Bottom: throughput per second (bars) with p50 and p99 per second
    (lines) on their own axis. A header repeats the figures that matter.  */

#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#define S_W 960                  //  picture width
#define S_H 790                  //  picture height
#define S_LEFT 80                //  plot area margins
#define S_RIGHT 80
#define S_TOP1 160               //  top plot
#define S_BOTTOM1 450
#define S_TOP2 530               //  bottom plot
#define S_BOTTOM2 730
#define S_CURVE_POINTS 240       //  samples along the percentile curve
#define S_MAX_NINES 6            //  x axis ends at 99.9999 %

static const char *s_font = "font-family=\"Helvetica,Arial,sans-serif\"";

typedef struct {
    double lo, hi;               //  axis range (log10 of ns for log axes)
    double top, bottom;          //  pixel range
} s_axis_t;

static double
s_y (const s_axis_t *axis, double value)
{
    double t = (value - axis->lo) / (axis->hi - axis->lo);
    return axis->bottom - t * (axis->bottom - axis->top);
}

static double
s_x_nines (double nines, double max_nines)
{
    return S_LEFT + nines / max_nines * (S_W - S_LEFT - S_RIGHT);
}

//  Label for a decade of nanoseconds: 1us, 10us, ... 10s.
static const char *
s_decade_label (int decade)
{
    static const char *labels [] = { "1ns", "10ns", "100ns", "1us", "10us", "100us",
                                     "1ms", "10ms", "100ms", "1s", "10s", "100s" };
    return decade >= 0 && decade < 12? labels [decade]: "?";
}

//  Text from the command line, escaped for XML.
static void
s_xml_text (FILE *out, const char *text)
{
    for (const char *c = text; *c; c++) {
        switch (*c) {
            case '&': fputs ("&amp;", out); break;
            case '<': fputs ("&lt;", out); break;
            case '>': fputs ("&gt;", out); break;
            case '"': fputs ("&quot;", out); break;
            default:
                if ((unsigned char) *c >= 0x20)
                    fputc (*c, out);
        }
    }
}

static void
s_header (FILE *out, const zlb_stress_params_t *params, const zlb_stress_result_t *result)
{
    const zlb_stress_stats_t *s = result->stats;
    char p50 [24], p99 [24], p999 [24], max [24];
    fprintf (out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", S_W, S_H);
    fprintf (out, "<text x=\"%d\" y=\"36\" %s font-size=\"22\" font-weight=\"bold\" fill=\"#0f172a\">"
             "zlb-stress: %s loop", S_LEFT - 50, s_font, params->rate > 0? "open": "closed");
    if (params->rate > 0)
        fprintf (out, " at %.0f req/s", params->rate);
    fprintf (out, "</text>\n");
    fprintf (out, "<text x=\"%d\" y=\"60\" %s font-size=\"13\" fill=\"#475569\">%s &#183; service ",
             S_LEFT - 50, s_font, result->started_at);
    s_xml_text (out, params->service);
    fprintf (out, " &#183; %zu clients, %zu threads, pipeline %zu, %zu B payloads &#183; ",
             params->clients, params->threads, params->pipeline, params->size);
    s_xml_text (out, params->connect);
    fprintf (out, "</text>\n");
    fprintf (out, "<text x=\"%d\" y=\"90\" %s font-size=\"15\" fill=\"#0f172a\">"
             "<tspan font-weight=\"bold\">%.0f req/s</tspan>"
             " &#183; sent %" PRIu64 " &#183; ok %" PRIu64 " &#183; errors %" PRIu64
             " &#183; timeouts %" PRIu64 " &#183; lost %" PRIu64 " &#183; mismatched %" PRIu64
             "</text>\n", S_LEFT - 50, s_font, result->throughput_rps, s->sent, s->ok,
             s->errors, s->timeouts, s->lost, s->mismatched);
    fprintf (out, "<text x=\"%d\" y=\"112\" %s font-size=\"15\" fill=\"#1d4ed8\">round trip"
             "%s: p50 %s &#183; p99 %s &#183; p99.9 %s &#183; max %s</text>\n",
             S_LEFT - 50, s_font, params->rate > 0? " (from intended send time)": "",
             zlb_stress_fmt_ns ((double) zlb_histogram_percentile (s->rtt, 50), p50, sizeof (p50)),
             zlb_stress_fmt_ns ((double) zlb_histogram_percentile (s->rtt, 99), p99, sizeof (p99)),
             zlb_stress_fmt_ns ((double) zlb_histogram_percentile (s->rtt, 99.9), p999, sizeof (p999)),
             zlb_stress_fmt_ns ((double) zlb_histogram_max (s->rtt), max, sizeof (max)));
}

//  The y axis of the percentile plot: whole decades around all values.
static s_axis_t
s_latency_axis (const zlb_histogram_t *const *hists, size_t n)
{
    double lo = 1e30, hi = 0;
    for (size_t i = 0; i < n; i++) {
        if (zlb_histogram_count (hists [i]) == 0)
            continue;
        double min = (double) zlb_histogram_min (hists [i]);
        double max = (double) zlb_histogram_max (hists [i]);
        if (min < lo) lo = min;
        if (max > hi) hi = max;
    }
    if (hi <= 0) { lo = 1e3; hi = 1e6; }
    s_axis_t axis = { floor (log10 (lo)), ceil (log10 (hi)), S_TOP1, S_BOTTOM1 };
    if (axis.hi - axis.lo < 2)
        axis.hi = axis.lo + 2;
    return axis;
}

static void
s_percentile_grid (FILE *out, const s_axis_t *axis, double max_nines)
{
    static const char *labels [] = { "0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%" };
    for (int n = 0; n <= (int) max_nines; n++) {
        double x = s_x_nines (n, max_nines);
        fprintf (out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e2e8f0\"/>\n",
                 x, S_TOP1, x, S_BOTTOM1);
        fprintf (out, "<text x=\"%.1f\" y=\"%d\" %s font-size=\"12\" fill=\"#475569\" "
                 "text-anchor=\"middle\">%s</text>\n", x, S_BOTTOM1 + 18, s_font, labels [n]);
    }
    for (int d = (int) axis->lo; d <= (int) axis->hi; d++) {
        double y = s_y (axis, d);
        fprintf (out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e2e8f0\"/>\n",
                 S_LEFT, y, S_W - S_RIGHT, y);
        fprintf (out, "<text x=\"%d\" y=\"%.1f\" %s font-size=\"12\" fill=\"#475569\" "
                 "text-anchor=\"end\">%s</text>\n", S_LEFT - 8, y + 4, s_font, s_decade_label (d));
    }
    fprintf (out, "<text x=\"%d\" y=\"%d\" %s font-size=\"14\" font-weight=\"bold\" fill=\"#0f172a\">"
             "Latency by percentile</text>\n", S_LEFT, S_TOP1 - 10, s_font);
    fprintf (out, "<text x=\"%d\" y=\"%d\" %s font-size=\"12\" fill=\"#475569\" text-anchor=\"middle\">"
             "percentile (log scale of 1/(1-p))</text>\n", (S_LEFT + S_W - S_RIGHT) / 2,
             S_BOTTOM1 + 36, s_font);
}

//  One curve: the histogram's percentiles sampled evenly along the x axis.
static void
s_curve (FILE *out, const zlb_histogram_t *hist, const s_axis_t *axis, double max_nines,
         const char *color, const char *dash)
{
    uint64_t count = zlb_histogram_count (hist);
    if (count == 0)
        return;
    //  Beyond log10(count) nines the data has nothing more to say.
    double nines_end = fmin (max_nines, log10 ((double) count));
    fprintf (out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\" "
             "stroke-linejoin=\"round\"%s points=\"", color, dash);
    for (int i = 0; i <= S_CURVE_POINTS; i++) {
        double nines = nines_end * i / S_CURVE_POINTS;
        double p = 100.0 * (1.0 - pow (10, -nines));
        double value = (double) zlb_histogram_percentile (hist, p);
        fprintf (out, "%.1f,%.1f ", s_x_nines (nines, max_nines), s_y (axis, log10 (value)));
    }
    fprintf (out, "\"/>\n");
}

static void
s_legend (FILE *out, int x, int y, const char *color, const char *dash, const char *text)
{
    fprintf (out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
             "stroke-width=\"3\"%s/>\n", x, y, x + 22, y, color, dash);
    fprintf (out, "<text x=\"%d\" y=\"%d\" %s font-size=\"12\" fill=\"#334155\">%s</text>\n",
             x + 28, y + 4, s_font, text);
}

static void
s_percentile_plot (FILE *out, const zlb_stress_params_t *params, const zlb_stress_stats_t *s)
{
    const zlb_histogram_t *hists [] = { s->rtt, s->rtt_raw, s->latency, s->service };
    s_axis_t axis = s_latency_axis (hists, 4);
    //  As many nines as the data supports (a 10 000-sample run says
    //  nothing about 99.999 %), at least 2, at most S_MAX_NINES.
    double max_nines = ceil (log10 ((double) zlb_histogram_count (s->rtt) + 1));
    max_nines = fmax (2, fmin (S_MAX_NINES, max_nines));
    s_percentile_grid (out, &axis, max_nines);
    const char *dashed = " stroke-dasharray=\"6 4\"";
    bool open_loop = params->rate > 0;
    s_curve (out, s->service, &axis, max_nines, "#f59e0b", "");
    s_curve (out, s->latency, &axis, max_nines, "#16a34a", "");
    if (open_loop)
        s_curve (out, s->rtt_raw, &axis, max_nines, "#60a5fa", dashed);
    s_curve (out, s->rtt, &axis, max_nines, "#1d4ed8", "");
    int lx = S_W - S_RIGHT - 320, ly = S_BOTTOM1 - 82;
    fprintf (out, "<rect x=\"%d\" y=\"%d\" width=\"308\" height=\"76\" rx=\"4\" "
             "fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#e2e8f0\"/>\n", lx - 10, ly - 12);
    if (!open_loop)
        ly += 9;
    s_legend (out, lx, ly, "#1d4ed8", "", open_loop? "round trip, from intended send (corrected)"
                                                     : "round trip");
    if (open_loop)
        s_legend (out, lx, ly += 18, "#60a5fa", dashed, "round trip, from actual send (uncorrected)");
    s_legend (out, lx, ly += 18, "#16a34a", "", "latency estimate (rtt - service) / 2");
    s_legend (out, lx, ly += 18, "#f59e0b", "", "worker service time");
    fprintf (out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
             "stroke=\"#94a3b8\"/>\n", S_LEFT, S_TOP1, S_W - S_LEFT - S_RIGHT, S_BOTTOM1 - S_TOP1);
}

//  A "nice" step (1, 2 or 5 x 10^k) giving about `ticks` ticks up to max.
static double
s_nice_step (double max, int ticks)
{
    if (max <= 0)
        return 1;
    double raw = max / ticks;
    double mag = pow (10, floor (log10 (raw)));
    double f = raw / mag;
    return (f <= 1? 1: f <= 2? 2: f <= 5? 5: 10) * mag;
}

//  Seconds worth drawing: full ones (the last may be a short drain tail).
static size_t
s_plot_seconds (const zlb_stress_result_t *result, zlb_stress_second_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < result->seconds && n < max; i++)
        if (zlb_stress_series_get (result->series, i, &out [n]) && out [n].span_s >= 0.5)
            n++;
    return n;
}

static void
s_time_axes (FILE *out, double rps_max, double rps_step, double ms_max, double ms_step,
             size_t n)
{
    s_axis_t left = { 0, rps_max, S_TOP2, S_BOTTOM2 };
    s_axis_t right = { 0, ms_max, S_TOP2, S_BOTTOM2 };
    for (double v = 0; v <= rps_max + 1e-9; v += rps_step) {
        double y = s_y (&left, v);
        fprintf (out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e2e8f0\"/>\n",
                 S_LEFT, y, S_W - S_RIGHT, y);
        fprintf (out, "<text x=\"%d\" y=\"%.1f\" %s font-size=\"12\" fill=\"#64748b\" "
                 "text-anchor=\"end\">%.0f</text>\n", S_LEFT - 8, y + 4, s_font, v);
    }
    for (double v = 0; v <= ms_max + 1e-9; v += ms_step)
        fprintf (out, "<text x=\"%d\" y=\"%.1f\" %s font-size=\"12\" fill=\"#dc2626\">%g ms</text>\n",
                 S_W - S_RIGHT + 8, s_y (&right, v) + 4, s_font, v);
    double width = (double) (S_W - S_LEFT - S_RIGHT) / (double) (n? n: 1);
    size_t every = n > 20? (n + 19) / 20: 1;
    for (size_t i = 0; i < n; i += every)
        fprintf (out, "<text x=\"%.1f\" y=\"%d\" %s font-size=\"12\" fill=\"#475569\" "
                 "text-anchor=\"middle\">%zu</text>\n", S_LEFT + width * (i + 0.5),
                 S_BOTTOM2 + 18, s_font, i + 1);
    fprintf (out, "<text x=\"%d\" y=\"%d\" %s font-size=\"14\" font-weight=\"bold\" fill=\"#0f172a\">"
             "Throughput and latency over time</text>\n", S_LEFT, S_TOP2 - 22, s_font);
    fprintf (out, "<text x=\"%d\" y=\"%d\" %s font-size=\"12\" fill=\"#64748b\">ok replies/s</text>\n",
             S_LEFT - 60, S_TOP2 - 6, s_font);
    fprintf (out, "<text x=\"%d\" y=\"%d\" %s font-size=\"12\" fill=\"#dc2626\" text-anchor=\"end\">"
             "round trip p99 (p50 dashed)</text>\n", S_W - 10, S_TOP2 - 6, s_font);
    fprintf (out, "<text x=\"%d\" y=\"%d\" %s font-size=\"12\" fill=\"#475569\" text-anchor=\"middle\">"
             "second of the measured period</text>\n", (S_LEFT + S_W - S_RIGHT) / 2,
             S_BOTTOM2 + 36, s_font);
}

static void
s_time_plot (FILE *out, const zlb_stress_result_t *result)
{
    enum { S_MAX_BARS = 3600 };
    static zlb_stress_second_t seconds [S_MAX_BARS];     //  only used by the main thread
    size_t n = s_plot_seconds (result, seconds, S_MAX_BARS);
    double rps_max = 1, ms_max = 0.001;
    for (size_t i = 0; i < n; i++) {
        rps_max = fmax (rps_max, seconds [i].rps);
        ms_max = fmax (ms_max, seconds [i].p99 / 1e6);
    }
    double rps_step = s_nice_step (rps_max, 4), ms_step = s_nice_step (ms_max, 4);
    rps_max = ceil (rps_max / rps_step) * rps_step;
    ms_max = ceil (ms_max / ms_step) * ms_step;
    s_time_axes (out, rps_max, rps_step, ms_max, ms_step, n);
    s_axis_t left = { 0, rps_max, S_TOP2, S_BOTTOM2 };
    s_axis_t right = { 0, ms_max, S_TOP2, S_BOTTOM2 };
    double width = (double) (S_W - S_LEFT - S_RIGHT) / (double) (n? n: 1);
    for (size_t i = 0; i < n; i++) {
        double y = s_y (&left, seconds [i].rps);
        fprintf (out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#cbd5e1\"/>\n",
                 S_LEFT + width * i + width * 0.1, y, width * 0.8, S_BOTTOM2 - y);
    }
    const char *lines [2] = { "#dc2626\" stroke-width=\"2.2", "#f87171\" stroke-width=\"1.5\" stroke-dasharray=\"5 4" };
    for (int l = 0; l < 2 && n > 0; l++) {
        fprintf (out, "<polyline fill=\"none\" stroke=\"%s\" points=\"", lines [l]);
        for (size_t i = 0; i < n; i++)
            fprintf (out, "%.1f,%.1f ", S_LEFT + width * (i + 0.5),
                     s_y (&right, (l? seconds [i].p50: seconds [i].p99) / 1e6));
        fprintf (out, "\"/>\n");
    }
    fprintf (out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
             "stroke=\"#94a3b8\"/>\n", S_LEFT, S_TOP2, S_W - S_LEFT - S_RIGHT, S_BOTTOM2 - S_TOP2);
}

static bool
s_ends_with (const char *text, const char *suffix)
{
    size_t n = strlen (text), m = strlen (suffix);
    return n >= m && strcasecmp (text + n - m, suffix) == 0;
}

int
zlb_stress_svg_write (const char *path, const zlb_stress_params_t *params,
                      const zlb_stress_result_t *result)
{
    FILE *out = fopen (path, "w");
    if (!out)
        return -1;
    bool html = s_ends_with (path, ".html") || s_ends_with (path, ".htm");
    if (html)
        fprintf (out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                 "<title>zlb-stress report</title></head>\n<body style=\"margin:0\">\n");
    else
        fprintf (out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf (out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
             "viewBox=\"0 0 %d %d\">\n", S_W, S_H, S_W, S_H);
    s_header (out, params, result);
    s_percentile_plot (out, params, result->stats);
    s_time_plot (out, result);
    fprintf (out, "</svg>\n");
    if (html)
        fprintf (out, "</body></html>\n");
    bool failed = ferror (out) != 0;
    if (fclose (out) || failed)
        return -1;
    return 0;
}
