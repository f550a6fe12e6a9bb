/*  params.c - parse the zlb-stress command line.

    Every value is range-checked here so that the runner can trust params;
    a bad one ends the program with exit code 2 and a one-line reason.    */

#include "params.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util.h"
#include "curve.h"
#include "outputs.h"
#include "options.h"

//  Limits: wide enough for any sane run, narrow enough that products of
//  them (clients * pipeline slots, payload buffers) cannot overflow.
#define S_MAX_CLIENTS   100000
#define S_MAX_THREADS   1024
#define S_MAX_PIPELINE  100000
#define S_MAX_RATE      1e9
#define S_MAX_SIZE      (64 * 1024 * 1024)
#define S_MAX_DRAIN_MS  60000
#define S_DEFAULT_CONNECT "tcp://127.0.0.1:5555"

static const char s_usage [] =
"usage: zlb-stress [options]\n"
"Load generator for a zlb / MDP 0.1 broker. Checks every reply and reports\n"
"latency percentiles from a high-dynamic-range histogram.\n"
"\n";

static const char s_footer [] =
"Durations without a unit are seconds, except --timeout-ms.\n"
"Output paths are checked before any load is sent.\n"
"Exit: 0 ok; 1 when no request succeeded, replies were lost or mismatched,\n"
"or errors + timeouts exceed --max-error-rate (a hint on stderr says why);\n"
"2 bad arguments or an output path that cannot be written.\n";

static int
s_fail (char *err, size_t errsize, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (err, errsize, fmt, args);
    va_end (args);
    return -1;
}

static void
s_defaults (zlb_stress_params_t *self)
{
    memset (self, 0, sizeof (*self));
    self->service = "echo";
    self->clients = 16;
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    self->threads = cores > 0? (size_t) cores: 1;
    self->pipeline = 1;
    self->duration_ms = 10000;
    self->size = 64;
    self->timeout_ms = 3000;
    self->retries = 3;
    self->drain_ms = -1;
    self->log_level = ZLB_LOG_INFO;
}

//  --max-error-rate: a fraction 0..1, or a percentage 0..100 followed by %.
static const char *
s_fraction (const char *text, void *target)
{
    char *end = NULL;
    errno = 0;
    double value = strtod (text, &end);
    bool percent = end && *end == '%';
    if (percent) {
        value /= 100;
        end++;
    }
    if (errno || end == text || *end || !isfinite (value) || value < 0 || value > 1)
        return "expected a fraction 0..1 or a percentage 0..100%";
    *(double *) target = value;
    return NULL;
}

//  --rate: requests per second, over 0.
static const char *
s_rate (const char *text, void *target)
{
    char *end = NULL;
    errno = 0;
    double value = strtod (text, &end);
    if (errno || end == text || *end || !isfinite (value) || value <= 0 || value > S_MAX_RATE)
        return "expected a rate in requests/s, over 0 and at most 1e9";
    *(double *) target = value;
    return NULL;
}

//  The options, into table (S_OPTIONS entries and the end).
#define S_OPTIONS 21
static void
s_table (zlb_stress_params_t *self, zlb_option_t table [S_OPTIONS + 1])
{
    const zlb_option_t options [S_OPTIONS + 1] = {
        {"connect", 0, ZLB_OPT_ENDPOINT, "EP", ZLB_OPT_INTO (self->brokers),
         .repeatable = true, .distinct = true, .default_text = S_DEFAULT_CONNECT,
         .help = "broker endpoint; give several to spread requests over brokers"
         " and fail over (docs/cluster.md)"},
        {"service", 0, ZLB_OPT_SERVICE, "NAME", ZLB_OPT_INTO (self->service),
         .help = "service to call"},
        {"clients", 0, ZLB_OPT_INT, "N", ZLB_OPT_INTO (self->clients), .min = 1,
         .max = S_MAX_CLIENTS, .help = "request streams, one DEALER per broker each"},
        {"threads", 0, ZLB_OPT_INT, "T", ZLB_OPT_INTO (self->threads), .min = 1,
         .max = S_MAX_THREADS, .default_text = "number of cores",
         .help = "threads driving the streams"},
        {"pipeline", 0, ZLB_OPT_INT, "K", ZLB_OPT_INTO (self->pipeline), .min = 1,
         .max = S_MAX_PIPELINE, .given = &self->pipeline_set,
         .default_text = "1 closed loop, 64 open loop", .help = "requests in flight per stream"},
        {"rate", 0, ZLB_OPT_CUSTOM, "R", .target = &self->rate, .check = s_rate,
         .help = "open loop: R requests/s in total at a constant pace; latency counts"
         " from each request's intended send time"},
        {"duration", 0, ZLB_OPT_DURATION, "D", ZLB_OPT_INTO (self->duration_ms), .min = 1,
         .max = INT64_MAX, .unit_ms = 1000, .given = &self->duration_set,
         .help = "measured period, e.g. 10s, 500ms, 2m"},
        {"requests", 0, ZLB_OPT_INT, "N", ZLB_OPT_INTO (self->requests), .min = 1,
         .max = INT64_MAX, .default_text = "", .help = "stop after N measured requests instead"},
        {"warmup", 0, ZLB_OPT_DURATION, "D", ZLB_OPT_INTO (self->warmup_ms), .min = 0,
         .max = INT64_MAX, .unit_ms = 1000, .help = "unmeasured period before the measurement"},
        {"size", 0, ZLB_OPT_SIZE, "B", ZLB_OPT_INTO (self->size), .min = 0,
         .max = S_MAX_SIZE, .help = "payload bytes, e.g. 64, 4k"},
        {"timeout-ms", 0, ZLB_OPT_DURATION, "MS", ZLB_OPT_INTO (self->timeout_ms), .min = 1,
         .max = 3600000, .help = "per-attempt timeout before a retry"},
        {"retries", 0, ZLB_OPT_INT, "N", ZLB_OPT_INTO (self->retries), .min = 0, .max = 100,
         .help = "retries with the same id before a timeout"},
        {"drain", 0, ZLB_OPT_DURATION, "D", ZLB_OPT_INTO (self->drain_ms), .min = 0,
         .max = INT64_MAX, .unit_ms = 1000, .default_text = "(retries+1) x timeout + 1s,"
         " at most 60s", .help = "after the measured period, wait at most this long for the"
         " answers still in flight (progress lines say \"drain\")"},
        {"max-error-rate", 0, ZLB_OPT_CUSTOM, "X", .target = &self->max_error_rate,
         .check = s_fraction, .default_text = "0", .help = "errors + timeouts allowed, as a"
         " fraction of the requests sent (0.01) or a percentage (1%), before exit 1"},
        {"json", 0, ZLB_OPT_PATH, "FILE", ZLB_OPT_INTO (self->json_path),
         .help = "summary, per-second series and histograms as JSON (- for standard"
         " output; the summary then goes to stderr)"},
        {"csv", 0, ZLB_OPT_PATH, "FILE", ZLB_OPT_INTO (self->csv_path),
         .help = "per-second series as CSV (- for standard output)"},
        {"report", 0, ZLB_OPT_PATH, "FILE", ZLB_OPT_INTO (self->report_path),
         .help = "picture: FILE.svg, or FILE.html with the SVG inline"},
        {"log", 0, ZLB_OPT_PATH, "FILE", ZLB_OPT_INTO (self->log_path),
         .help = "run log (start, parameters, summary)"},
        {"log-level", 0, ZLB_OPT_CUSTOM, "L", .target = &self->log_level,
         .check = zlb_opt_log_level, .default_text = "info", .help = "error|warning|"
         "notice|info|debug (debug logs every request and slows the run)"},
        ZLB_OPT_CURVE (self->broker_key, self->curve_secret, "a fresh key pair per stream"),
        ZLB_OPT_END
    };
    memcpy (table, options, sizeof options);
}

//  Load --broker-key / --curve-secret now, so that a bad file stops the
//  run before any stream starts.
static int
s_curve_load (zlb_stress_params_t *self, char *err, size_t errsize)
{
    const char *reason = NULL;
    if (!self->broker_key)
        return self->curve_secret
             ? s_fail (err, errsize, "--curve-secret needs --broker-key") : 0;
    if (zlb_curve_public_key_load (self->broker_key, self->curve_server_key, &reason))
        return s_fail (err, errsize, "--broker-key '%s': %s", self->broker_key, reason);
    if (!self->curve_secret)
        return 0;
    zcert_t *cert = zlb_curve_cert_load (self->curve_secret, &reason);
    if (!cert)
        return s_fail (err, errsize, "--curve-secret '%s': %s", self->curve_secret, reason);
    memcpy (self->curve_public, zcert_public_key (cert), 32);
    memcpy (self->curve_secret_key, zcert_secret_key (cert), 32);
    self->curve_cert_set = true;
    zcert_destroy (&cert);
    return 0;
}

//  Defaults that depend on other options, and checks across options.
static int
s_finish (zlb_stress_params_t *self, char *err, size_t errsize)
{
    if (s_curve_load (self, err, errsize) || zlb_stress_outputs_check (self, err, errsize))
        return -1;
    if (self->brokers.count == 0)
        self->brokers.items [self->brokers.count++] = S_DEFAULT_CONNECT;
    self->connect = self->brokers.items [0];
    if (self->rate > 0 && !self->pipeline_set)
        self->pipeline = 64;
    if (self->threads > self->clients)
        self->threads = self->clients;
    if ((uint64_t) self->clients * self->pipeline > 10000000)
        return s_fail (err, errsize, "--clients x --pipeline is over 10 million in flight");
    if (self->drain_ms < 0) {
        int64_t drain = (int64_t) self->timeout_ms * (self->retries + 1) + 1000;
        self->drain_ms = drain < S_MAX_DRAIN_MS? drain: S_MAX_DRAIN_MS;
    }
    return 0;
}

int
zlb_stress_params_parse (zlb_stress_params_t *self, int argc, char **argv)
{
    s_defaults (self);
    zlb_option_t table [S_OPTIONS + 1];
    s_table (self, table);
    const zlb_options_t options = {
        .prog = "zlb-stress", .usage = s_usage, .footer = s_footer, .table = table,
        .max_args = 0
    };
    int rc = zlb_options_parse (&options, argc, argv, NULL, NULL);
    char err [256];
    if (rc == ZLB_OPTIONS_RUN && s_finish (self, err, sizeof err))
        return zlb_options_fail (&options, NULL, "%s", err);
    return rc;
}
