/*  params.c - parse the zlb-stress command line.

    Every value is range-checked here so that the runner can trust params;
    a bad one ends the program with exit code 2 and a one-line reason.    */

#include "params.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util.h"
#include "curve.h"
#include "outputs.h"

enum {
    OPT_CONNECT = 1000, OPT_SERVICE, OPT_CLIENTS, OPT_THREADS, OPT_PIPELINE,
    OPT_RATE, OPT_DURATION, OPT_REQUESTS, OPT_WARMUP, OPT_SIZE, OPT_TIMEOUT,
    OPT_RETRIES, OPT_DRAIN, OPT_JSON, OPT_CSV, OPT_REPORT, OPT_LOG,
    OPT_LOG_LEVEL, OPT_HELP, OPT_VERSION, OPT_BROKER_KEY, OPT_CURVE_SECRET,
    OPT_MAX_ERROR_RATE
};

static const struct option s_options [] = {
    { "connect",    required_argument, NULL, OPT_CONNECT },
    { "service",    required_argument, NULL, OPT_SERVICE },
    { "clients",    required_argument, NULL, OPT_CLIENTS },
    { "threads",    required_argument, NULL, OPT_THREADS },
    { "pipeline",   required_argument, NULL, OPT_PIPELINE },
    { "rate",       required_argument, NULL, OPT_RATE },
    { "duration",   required_argument, NULL, OPT_DURATION },
    { "requests",   required_argument, NULL, OPT_REQUESTS },
    { "warmup",     required_argument, NULL, OPT_WARMUP },
    { "size",       required_argument, NULL, OPT_SIZE },
    { "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
    { "retries",    required_argument, NULL, OPT_RETRIES },
    { "drain",      required_argument, NULL, OPT_DRAIN },
    { "max-error-rate", required_argument, NULL, OPT_MAX_ERROR_RATE },
    { "json",       required_argument, NULL, OPT_JSON },
    { "csv",        required_argument, NULL, OPT_CSV },
    { "report",     required_argument, NULL, OPT_REPORT },
    { "log",        required_argument, NULL, OPT_LOG },
    { "log-level",  required_argument, NULL, OPT_LOG_LEVEL },
    { "broker-key", required_argument, NULL, OPT_BROKER_KEY },
    { "curve-secret", required_argument, NULL, OPT_CURVE_SECRET },
    { "help",       no_argument,       NULL, OPT_HELP },
    { "version",    no_argument,       NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 }
};

//  Limits: wide enough for any sane run, narrow enough that products of
//  them (clients * pipeline slots, payload buffers) cannot overflow.
#define S_MAX_CLIENTS   100000
#define S_MAX_THREADS   1024
#define S_MAX_PIPELINE  100000
#define S_MAX_RATE      1e9
#define S_MAX_SIZE      (64 * 1024 * 1024)
#define S_MAX_DRAIN_MS  60000

void
zlb_stress_params_usage (FILE *out)
{
    fprintf (out,
"usage: zlb-stress [options]\n"
"Load generator for a zlb / MDP 0.1 broker. Checks every reply and reports\n"
"latency percentiles from a high-dynamic-range histogram.\n"
"\n"
"  --connect EP       broker endpoint (tcp://127.0.0.1:5555)\n"
"  --service NAME     service to call (echo)\n"
"  --clients N        request streams, one DEALER each (16)\n"
"  --threads T        threads driving the streams (number of cores)\n"
"  --pipeline K       requests in flight per stream (1 closed loop, 64 open loop)\n"
"  --rate R           open loop: R requests/s in total at a constant pace;\n"
"                     latency counts from each request's intended send time\n"
"  --duration D       measured period, e.g. 10s, 500ms, 2m (10s)\n"
"  --requests N       stop after N measured requests instead\n"
"  --warmup D         unmeasured period before the measurement (0)\n"
"  --size B           payload bytes, e.g. 64, 4k (64)\n"
"  --timeout-ms MS    per-attempt timeout before a retry (3000)\n"
"  --retries N        retries with the same id before a timeout (3)\n"
"  --drain D          after the measured period, wait at most this long for\n"
"                     the answers still in flight (progress lines say\n"
"                     \"drain\"; default (retries+1) x timeout + 1s, at most 60s)\n"
"  --max-error-rate X errors + timeouts allowed, as a fraction of the requests\n"
"                     sent (0.01) or a percentage (1%%), before exit 1 (0)\n"
"  --json FILE        summary, per-second series and histograms as JSON\n"
"                     (- for standard output; the summary then goes to stderr)\n"
"  --csv FILE         per-second series as CSV (- for standard output)\n"
"  --report FILE      picture: FILE.svg, or FILE.html with the SVG inline\n"
"  --log FILE         run log (start, parameters, summary)\n"
"  --log-level L      error|warning|notice|info|debug (info; debug logs\n"
"                     every request and slows the run)\n"
"  --broker-key FILE  broker's public certificate: encrypt with CURVE\n"
"  --curve-secret FILE  our certificate (zlb-keygen _secret file; default:\n"
"                     a fresh key pair per stream)\n"
"  --help, --version\n"
"\n"
"Output paths are checked before any load is sent.\n"
"Exit: 0 ok; 1 when no request succeeded, replies were lost or mismatched,\n"
"or errors + timeouts exceed --max-error-rate (a hint on stderr says why);\n"
"2 bad arguments or an output path that cannot be written.\n");
}

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
    self->connect = "tcp://127.0.0.1:5555";
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

static int
s_int (const char *name, const char *text, int64_t min, int64_t max, int64_t *value,
       char *err, size_t errsize)
{
    if (zlb_parse_int64 (text, min, max, value))
        return s_fail (err, errsize, "--%s: '%s' is not a whole number in %lld..%lld",
                       name, text, (long long) min, (long long) max);
    return 0;
}

static int
s_duration (const char *name, const char *text, int64_t min, int64_t *ms,
            char *err, size_t errsize)
{
    if (zlb_parse_duration_ms (text, 1000, ms) || *ms < min)
        return s_fail (err, errsize, "--%s: '%s' is not a duration like 10s, 500ms, 2m",
                       name, text);
    return 0;
}

//  A fraction 0..1, or a percentage 0..100 followed by %.
static int
s_fraction (const char *name, const char *text, double *fraction, char *err, size_t errsize)
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
        return s_fail (err, errsize, "--%s: '%s' is not a fraction 0..1 or a percentage 0..100%%",
                       name, text);
    *fraction = value;
    return 0;
}

static int
s_rate (const char *text, double *rate, char *err, size_t errsize)
{
    char *end = NULL;
    errno = 0;
    double value = strtod (text, &end);
    if (errno || end == text || *end || !isfinite (value)
    ||  value <= 0 || value > S_MAX_RATE)
        return s_fail (err, errsize, "--rate: '%s' is not a rate in requests/s (> 0)", text);
    *rate = value;
    return 0;
}

//  Apply one option; -1 with err filled when its value is bad.
static int
s_apply (zlb_stress_params_t *self, int option, const char *arg, char *err, size_t errsize)
{
    int64_t value = 0;
    int rc = 0;
    switch (option) {
        case OPT_CONNECT:  self->connect = arg; break;
        case OPT_SERVICE:  self->service = arg; break;
        case OPT_CLIENTS:
            rc = s_int ("clients", arg, 1, S_MAX_CLIENTS, &value, err, errsize);
            self->clients = (size_t) value; break;
        case OPT_THREADS:
            rc = s_int ("threads", arg, 1, S_MAX_THREADS, &value, err, errsize);
            self->threads = (size_t) value; break;
        case OPT_PIPELINE:
            rc = s_int ("pipeline", arg, 1, S_MAX_PIPELINE, &value, err, errsize);
            self->pipeline = (size_t) value; self->pipeline_set = true; break;
        case OPT_RATE:     rc = s_rate (arg, &self->rate, err, errsize); break;
        case OPT_DURATION:
            rc = s_duration ("duration", arg, 1, &self->duration_ms, err, errsize);
            self->duration_set = true; break;
        case OPT_REQUESTS:
            rc = s_int ("requests", arg, 1, INT64_MAX, &value, err, errsize);
            self->requests = (uint64_t) value; break;
        case OPT_WARMUP:   rc = s_duration ("warmup", arg, 0, &self->warmup_ms, err, errsize); break;
        case OPT_SIZE:
            if (zlb_parse_size (arg, &value) || value < 0 || value > S_MAX_SIZE)
                rc = s_fail (err, errsize, "--size: '%s' is not a size in 0..64MiB", arg);
            self->size = (size_t) value; break;
        case OPT_TIMEOUT:
            rc = s_int ("timeout-ms", arg, 1, 3600000, &value, err, errsize);
            self->timeout_ms = (int) value; break;
        case OPT_RETRIES:
            rc = s_int ("retries", arg, 0, 100, &value, err, errsize);
            self->retries = (int) value; break;
        case OPT_DRAIN:
            rc = s_duration ("drain", arg, 0, &self->drain_ms, err, errsize); break;
        case OPT_MAX_ERROR_RATE:
            rc = s_fraction ("max-error-rate", arg, &self->max_error_rate, err, errsize); break;
        case OPT_JSON:     self->json_path = arg; break;
        case OPT_CSV:      self->csv_path = arg; break;
        case OPT_REPORT:   self->report_path = arg; break;
        case OPT_LOG:      self->log_path = arg; break;
        case OPT_LOG_LEVEL:
            if (zlb_log_level_parse (arg, &self->log_level))
                rc = s_fail (err, errsize, "--log-level: '%s' is not error|warning|notice|info|debug", arg);
            break;
        case OPT_BROKER_KEY:   self->broker_key = arg; break;
        case OPT_CURVE_SECRET: self->curve_secret = arg; break;
        case OPT_HELP:     self->help = true; break;
        case OPT_VERSION:  self->version = true; break;
        default:           rc = s_fail (err, errsize, "unknown option"); break;
    }
    return rc;
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
    if (!*self->connect)
        return s_fail (err, errsize, "--connect: endpoint is empty");
    size_t service_len = strlen (self->service);
    if (service_len == 0 || service_len > 255)
        return s_fail (err, errsize, "--service: name must be 1..255 bytes");
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
zlb_stress_params_parse (zlb_stress_params_t *self, int argc, char **argv,
                         char *err, size_t errsize)
{
    s_defaults (self);
    optind = 0;                 //  glibc: full re-initialisation (tests parse twice)
    opterr = 0;                 //  we word the errors ourselves
    while (true) {
        int option = getopt_long (argc, argv, "", s_options, NULL);
        if (option == -1)
            break;
        if (option == '?' || option == ':') {
            const char *what = optind > 0 && optind <= argc? argv [optind - 1]: "?";
            if (optopt)
                return s_fail (err, errsize, "option '%s' needs a value", what);
            return s_fail (err, errsize, "unknown option '%s'", what);
        }
        if (s_apply (self, option, optarg, err, errsize))
            return -1;
    }
    if (optind < argc)
        return s_fail (err, errsize, "unexpected argument '%s'", argv [optind]);
    return s_finish (self, err, errsize);
}
