/*  main.c - zlb-broker: command line, log, signals, run, summary.

    Everything the broker does is in the core (broker.c and friends); this
    file only turns flags into options. Exit codes: 0 after a clean stop
    (SIGINT/SIGTERM), 1 when the log or an endpoint cannot be opened, 2 on
    bad flags.                                                              */

#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "options.h"
#include "util.h"
#include "zlb/zlb.h"

#define S_DEFAULT_BIND "tcp://127.0.0.1:5555"

typedef struct {
    zlb_broker_options_t broker;  //  passed to the core
    zlb_opt_list_t binds;         //  endpoints to bind (--bind, --frontend)
    zlb_opt_list_t backends;      //  workers' endpoints (--backend)
    const char *curve_secret;     //  our CURVE secret file: encryption on
    const char *allow_clients;    //  directory of client public certs
    const char *allow_workers;    //  directory of worker public certs
    const char *log_path;         //  log file, "-" for stderr
    zlb_log_level_t log_level;    //  threshold
    zlb_log_format_t log_format;  //  text or json lines
    const char *metrics;          //  Prometheus endpoint, NULL for none
    const char *log_level_text;   //  --log-level as given, for the banner
} s_config_t;

//  Set by SIGHUP; the broker's loop reopens the log (logrotate).
static volatile sig_atomic_t s_reopen_log;

static void
s_on_hup (int signum)
{
    (void) signum;
    s_reopen_log = 1;
}

//  --log-level: the level, and its name as given for the banner.
static const char *
s_log_level (const char *value, void *target)
{
    s_config_t *config = (s_config_t *) target;
    const char *why = zlb_opt_log_level (value, &config->log_level);
    if (!why)
        config->log_level_text = value;
    return why;
}

#define S_DAY_MS 86400000

//  Parse argv into config. Returns -1 to go on, else an exit code.
static int
s_parse (s_config_t *config, int argc, char *argv [])
{
    zlb_broker_options_t *opts = &config->broker;
    const zlb_option_t table [] = {
        {"bind", 0, ZLB_OPT_ENDPOINT, "ENDPOINT", ZLB_OPT_INTO (config->binds),
         .repeatable = true, .default_text = S_DEFAULT_BIND, .help = "bind here"},
        {"heartbeat-ms", 0, ZLB_OPT_DURATION, "MS", ZLB_OPT_INTO (opts->heartbeat_ms),
         .min = 1, .max = S_DAY_MS, .help = "heartbeat interval"},
        {"liveness", 0, ZLB_OPT_INT, "N", ZLB_OPT_INTO (opts->liveness), .min = 1,
         .max = 1000, .help = "silent intervals before an idle worker is dead"},
        {"busy-timeout-ms", 0, ZLB_OPT_DURATION, "MS", ZLB_OPT_INTO (opts->busy_timeout_ms),
         .min = 0, .max = S_DAY_MS, .help = "longest a busy worker may stay silent"
         " (0 = no limit); a dead or frozen busy worker's connection is noticed sooner"},
        {"request-timeout-ms", 0, ZLB_OPT_DURATION, "MS",
         ZLB_OPT_INTO (opts->request_timeout_ms), .min = 1, .max = S_DAY_MS,
         .help = "longest a request waits for a worker"},
        {"max-queue", 0, ZLB_OPT_INT, "N", ZLB_OPT_INTO (opts->max_queue), .min = 1,
         .max = 10000000, .help = "waiting requests per service"},
        {"max-redeliveries", 0, ZLB_OPT_INT, "N", ZLB_OPT_INTO (opts->max_redeliveries),
         .min = 0, .max = 1000, .help = "redeliveries after worker deaths"},
        {"max-body", 0, ZLB_OPT_SIZE, "BYTES", ZLB_OPT_INTO (opts->max_body), .min = 1,
         .max = 256 * 1024 * 1024, .help = "largest request body, e.g. 1m"},
        {"max-services", 0, ZLB_OPT_INT, "N", ZLB_OPT_INTO (opts->max_services), .min = 1,
         .max = 1000000, .help = "services in the table"},
        {"max-held-bytes", 0, ZLB_OPT_SIZE, "BYTES", ZLB_OPT_INTO (opts->max_held_bytes),
         .min = 1, .max = INT64_MAX, .help = "request bodies held at once, queued or"
         " in flight, all services; beyond: 503 busy"},
        {"log", 0, ZLB_OPT_PATH, "FILE", ZLB_OPT_INTO (config->log_path),
         .help = "log file, - for stderr"},
        {"log-level", 0, ZLB_OPT_CUSTOM, "LEVEL", .target = config, .check = s_log_level,
         .default_text = "info", .help = "error|warning|notice|info|debug"},
        {"log-format", 0, ZLB_OPT_CUSTOM, "FORMAT", .target = &config->log_format,
         .check = zlb_opt_log_format, .default_text = "text", .help = "text|json lines"},
        {"metrics", 0, ZLB_OPT_STRING, "HOST:PORT", ZLB_OPT_INTO (config->metrics),
         .help = "serve Prometheus /metrics over HTTP here (e.g. 127.0.0.1:9550;"
         " also tcp://HOST:PORT)"},
        {"frontend", 0, ZLB_OPT_ENDPOINT, "ENDPOINT", ZLB_OPT_INTO (config->binds),
         .repeatable = true, .help = "clients' endpoint (like --bind)"},
        {"backend", 0, ZLB_OPT_ENDPOINT, "ENDPOINT", ZLB_OPT_INTO (config->backends),
         .repeatable = true, .help = "workers' endpoint: workers only here, clients"
         " only on --bind/--frontend"},
        {"curve-secret", 0, ZLB_OPT_PATH, "FILE", ZLB_OPT_INTO (config->curve_secret),
         .help = "encrypt with CURVE; our keys (zlb-keygen _secret)"},
        {"allow-clients", 0, ZLB_OPT_PATH, "DIR", ZLB_OPT_INTO (config->allow_clients),
         .default_text = "any", .help = "public certs of keys allowed as clients"},
        {"allow-workers", 0, ZLB_OPT_PATH, "DIR", ZLB_OPT_INTO (config->allow_workers),
         .default_text = "any", .help = "public certs of keys allowed as workers;"
         " a cert's services=\"a,b\" limits what it may offer"},
        ZLB_OPT_END
    };
    const zlb_options_t options = {
        .prog = "zlb-broker", .table = table, .max_args = 0,
        .usage = "Usage: zlb-broker [OPTIONS]\n"
                 "Majordomo 0.1 (RFC 7) load-balancing broker.\n\n",
        .footer = "SIGINT/SIGTERM stop the broker; SIGHUP reopens the log file (logrotate).\n"
    };
    int rc = zlb_options_parse (&options, argc, argv, NULL, NULL);
    return rc == ZLB_OPTIONS_RUN ? -1 : rc == ZLB_OPTIONS_DONE ? 0 : 2;
}

//  --metrics takes HOST:PORT or a tcp:// endpoint.
static int
s_metrics_bind (zlb_broker_t *broker, const char *address)
{
    char endpoint [256];
    snprintf (endpoint, sizeof (endpoint), "%s%s",
              strstr (address, "://") ? "" : "tcp://", address);
    if (zlb_broker_metrics_bind (broker, endpoint) == -1) {
        fprintf (stderr, "zlb-broker: cannot serve metrics on '%s': %s\n", address,
                 zmq_strerror (errno));
        return -1;
    }
    return 0;
}

//  CURVE before any bind (a socket is a CURVE server from its first bind).
static int
s_security_setup (zlb_broker_t *broker, const s_config_t *config)
{
    if ((config->allow_clients || config->allow_workers) && !config->curve_secret) {
        fprintf (stderr, "zlb-broker: --allow-clients/--allow-workers need --curve-secret\n");
        return 2;
    }
    if (config->curve_secret
    &&  zlb_broker_set_curve (broker, config->curve_secret, config->allow_clients,
                              config->allow_workers) == -1) {
        fprintf (stderr, "zlb-broker: cannot turn CURVE on (see the log for why)\n");
        return 1;
    }
    return 0;
}

//  Say which endpoint could not be bound, and why in words.
static int
s_bind_failed (const char *endpoint)
{
    char why [300];
    fprintf (stderr, "zlb-broker: cannot bind '%s': %s\n", endpoint,
             zlb_endpoint_why (endpoint, errno, why, sizeof (why)));
    return 1;
}

static int
s_bind_backends (zlb_broker_t *broker, const s_config_t *config)
{
    for (int index = 0; index < config->backends.count; index++)
        if (zlb_broker_bind_backend (broker, config->backends.items [index]) == -1)
            return s_bind_failed (config->backends.items [index]);
    zlb_broker_log_security (broker);
    return 0;
}

//  One line on the terminal: where we listen, where the log and metrics are.
static void
s_banner (const s_config_t *config)
{
    fprintf (stderr, "zlb-broker %s: listening on", ZLB_VERSION_STRING);
    for (int index = 0; index < config->binds.count; index++)
        fprintf (stderr, "%s %s", index ? "," : "", config->binds.items [index]);
    for (int index = 0; index < config->backends.count; index++)
        fprintf (stderr, "%s %s", index ? "," : "; workers on", config->backends.items [index]);
    fprintf (stderr, "; log %s (%s)", streq (config->log_path, "-") ? "on stderr"
             : config->log_path, config->log_level_text);
    if (config->metrics) {
        const char *scheme = strstr (config->metrics, "://");
        fprintf (stderr, "; metrics http://%s/metrics", scheme ? scheme + 3 : config->metrics);
    }
    fputc ('\n', stderr);
}

int
main (int argc, char *argv [])
{
    s_config_t config = {.log_path = "broker_log.log", .log_level = ZLB_LOG_INFO,
                         .log_level_text = "info"};
    zlb_broker_options_defaults (&config.broker);
    int rc = s_parse (&config, argc, argv);
    if (rc >= 0)
        return rc;
    if (config.binds.count == 0)
        config.binds.items [config.binds.count++] = S_DEFAULT_BIND;

    zlb_log_t *log = zlb_log_new (config.log_path, "broker", "main", config.log_level);
    if (!log) {
        fprintf (stderr, "zlb-broker: cannot open log '%s': %s\n", config.log_path,
                 strerror (errno));
        return 1;
    }
    zlb_log_set_format (log, config.log_format);
    zlb_broker_t *broker = zlb_broker_new (&config.broker, log);
    if (!broker) {
        fprintf (stderr, "zlb-broker: cannot create the broker\n");
        zlb_log_destroy (&log);
        return 1;
    }
    rc = s_security_setup (broker, &config);
    for (int index = 0; index < config.binds.count && rc == 0; index++)
        if (zlb_broker_bind (broker, config.binds.items [index]) == -1)
            rc = s_bind_failed (config.binds.items [index]);
    if (rc == 0)
        rc = s_bind_backends (broker, &config);
    if (rc == 0 && config.metrics && s_metrics_bind (broker, config.metrics) == -1)
        rc = 1;
    if (rc == 0) {
        struct sigaction action = {.sa_handler = s_on_hup};
        sigemptyset (&action.sa_mask);
        sigaction (SIGHUP, &action, NULL);
        zlb_broker_set_reopen_flag (broker, &s_reopen_log);
    }
    if (rc == 0) {
        s_banner (&config);
        zlb_broker_run (broker);    //  until SIGINT/SIGTERM (zsys_interrupted)
    }
    zlb_broker_destroy (&broker);
    zlb_log_destroy (&log);
    return rc;
}
