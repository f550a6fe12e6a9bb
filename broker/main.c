/*  main.c - zlb-broker: command line, log, signals, run, summary.

    Everything the broker does is in the core (broker.c and friends); this
    file only turns flags into options. Exit codes: 0 after a clean stop
    (SIGINT/SIGTERM), 1 when the log or an endpoint cannot be opened, 2 on
    bad flags.                                                              */

#include <czmq.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "util.h"
#include "zlb/zlb.h"

#define MAX_BINDS 16

typedef struct {
    zlb_broker_options_t broker;  //  passed to the core
    const char *binds [MAX_BINDS];  //  endpoints to bind
    int nbinds;                   //  how many
    const char *backends [MAX_BINDS];  //  workers' endpoints (--backend)
    int nbackends;                //  how many
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

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: zlb-broker [OPTIONS]\n"
        "Majordomo 0.1 (RFC 7) load-balancing broker.\n\n"
        "  --bind ENDPOINT           bind here (repeatable; default tcp://127.0.0.1:5555)\n"
        "  --heartbeat-ms MS         heartbeat interval (default 2500)\n"
        "  --liveness N              silent intervals before an idle worker is dead\n"
        "                            (default 3)\n"
        "  --busy-timeout-ms MS      longest a busy worker may stay silent (default\n"
        "                            300000 = 5 min; 0 = no limit); a dead or frozen\n"
        "                            busy worker's connection is noticed sooner\n"
        "  --request-timeout-ms MS   longest a request waits for a worker (default 10000)\n"
        "  --max-queue N             waiting requests per service (default 10000)\n"
        "  --max-redeliveries N      redeliveries after worker deaths (default 3)\n"
        "  --max-body BYTES          largest request body, e.g. 1m (default 1MiB)\n"
        "  --max-services N          services in the table (default 1024)\n"
        "  --max-held-bytes BYTES    request bodies held at once, queued or in flight,\n"
        "                            all services (default 256MiB); beyond: 503 busy\n"
        "  --log FILE                log file, - for stderr (default broker_log.log)\n"
        "  --log-level LEVEL         error|warning|notice|info|debug (default info)\n"
        "  --log-format FORMAT       text|json lines (default text)\n"
        "  --metrics HOST:PORT       serve Prometheus /metrics over HTTP here\n"
        "                            (e.g. 127.0.0.1:9550; also tcp://HOST:PORT)\n"
        "  --frontend ENDPOINT       clients' endpoint (repeatable; like --bind)\n"
        "  --backend ENDPOINT        workers' endpoint (repeatable): workers only\n"
        "                            here, clients only on --bind/--frontend\n"
        "  --curve-secret FILE       encrypt with CURVE; our keys (zlb-keygen _secret)\n"
        "  --allow-clients DIR       public certs of keys allowed as clients (default any)\n"
        "  --allow-workers DIR       public certs of keys allowed as workers (default any);\n"
        "                            a cert's services=\"a,b\" limits what it may offer\n"
        "  --help                    show this help\n"
        "  --version                 show the version\n\n"
        "SIGINT/SIGTERM stop the broker; SIGHUP reopens the log file (logrotate).\n");
}

static int
s_bad_value (const char *flag, const char *value)
{
    fprintf (stderr, "zlb-broker: invalid value for --%s: '%s'\nTry 'zlb-broker --help'.\n",
             flag, value);
    return 2;
}

//  Integer options: flag name, bounds, and where the value goes.
static int
s_apply_count (zlb_broker_options_t *opts, const char *flag, const char *value)
{
    static const struct {
        const char *name;
        int64_t min, max;
    } limits [] = {
        {"liveness", 1, 1000},
        {"max-queue", 1, 10000000},
        {"max-redeliveries", 0, 1000},
        {"max-services", 1, 1000000}
    };
    for (size_t index = 0; index < sizeof (limits) / sizeof (limits [0]); index++) {
        if (!streq (flag, limits [index].name))
            continue;
        int64_t number;
        if (zlb_parse_int64 (value, limits [index].min, limits [index].max, &number))
            return s_bad_value (flag, value);
        switch (index) {
            case 0: opts->liveness = (int) number; break;
            case 1: opts->max_queue = (size_t) number; break;
            case 2: opts->max_redeliveries = (int) number; break;
            default: opts->max_services = (size_t) number; break;
        }
        return 0;
    }
    return 0;
}

//  Apply one option; 0 on success, 2 on a bad value.
static int
s_apply_security (s_config_t *config, const char *flag, const char *value)
{
    if (streq (flag, "backend")) {
        if (config->nbackends == MAX_BINDS) {
            fprintf (stderr, "zlb-broker: at most %d --backend endpoints\n", MAX_BINDS);
            return 2;
        }
        config->backends [config->nbackends++] = value;
    }
    else
    if (streq (flag, "curve-secret"))
        config->curve_secret = value;
    else
    if (streq (flag, "allow-clients"))
        config->allow_clients = value;
    else
    if (streq (flag, "allow-workers"))
        config->allow_workers = value;
    else
        return -1;                //  not a security flag
    return 0;
}

static int
s_apply (s_config_t *config, const char *flag, const char *value)
{
    zlb_broker_options_t *opts = &config->broker;
    int64_t number;
    if (streq (flag, "frontend"))
        flag = "bind";            //  the same list: where clients connect
    int rc = s_apply_security (config, flag, value);
    if (rc >= 0)
        return rc;
    if (streq (flag, "bind")) {
        if (config->nbinds == MAX_BINDS) {
            fprintf (stderr, "zlb-broker: at most %d --bind endpoints\n", MAX_BINDS);
            return 2;
        }
        config->binds [config->nbinds++] = value;
    }
    else
    if (streq (flag, "log"))
        config->log_path = value;
    else
    if (streq (flag, "metrics"))
        config->metrics = value;
    else
    if (streq (flag, "log-format")) {
        if (zlb_log_format_parse (value, &config->log_format))
            return s_bad_value (flag, value);
    }
    else
    if (streq (flag, "log-level")) {
        if (zlb_log_level_parse (value, &config->log_level))
            return s_bad_value (flag, value);
        config->log_level_text = value;
    }
    else
    if (streq (flag, "max-body")) {
        if (zlb_parse_size (value, &number) || number < 1 || number > 256 * 1024 * 1024)
            return s_bad_value (flag, value);
        opts->max_body = (size_t) number;
    }
    else
    if (streq (flag, "max-held-bytes")) {
        if (zlb_parse_size (value, &number) || number < 1)
            return s_bad_value (flag, value);
        opts->max_held_bytes = (size_t) number;
    }
    else
    if (streq (flag, "busy-timeout-ms")) {
        if (zlb_parse_duration_ms (value, 1, &number) || number < 0 || number > 86400000)
            return s_bad_value (flag, value);
        opts->busy_timeout_ms = number;
    }
    else
    if (streq (flag, "heartbeat-ms") || streq (flag, "request-timeout-ms")) {
        if (zlb_parse_duration_ms (value, 1, &number) || number < 1 || number > 86400000)
            return s_bad_value (flag, value);
        if (streq (flag, "heartbeat-ms"))
            opts->heartbeat_ms = number;
        else
            opts->request_timeout_ms = number;
    }
    else
        return s_apply_count (opts, flag, value);
    return 0;
}

//  Parse argv into config. Returns -1 to go on, else an exit code.
static int
s_parse (s_config_t *config, int argc, char *argv [])
{
    static struct option longopts [] = {
        {"bind", required_argument, 0, 0},
        {"heartbeat-ms", required_argument, 0, 0},
        {"liveness", required_argument, 0, 0},
        {"busy-timeout-ms", required_argument, 0, 0},
        {"request-timeout-ms", required_argument, 0, 0},
        {"max-queue", required_argument, 0, 0},
        {"max-redeliveries", required_argument, 0, 0},
        {"max-body", required_argument, 0, 0},
        {"max-held-bytes", required_argument, 0, 0},
        {"max-services", required_argument, 0, 0},
        {"log", required_argument, 0, 0},
        {"log-level", required_argument, 0, 0},
        {"frontend", required_argument, 0, 0},
        {"backend", required_argument, 0, 0},
        {"curve-secret", required_argument, 0, 0},
        {"allow-clients", required_argument, 0, 0},
        {"allow-workers", required_argument, 0, 0},
        {"log-format", required_argument, 0, 0},
        {"metrics", required_argument, 0, 0},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0}
    };
    int index = 0;
    int option;
    opterr = 0;
    while ((option = getopt_long (argc, argv, "hV", longopts, &index)) != -1) {
        if (option == 'h') {
            s_usage (stdout);
            return 0;
        }
        if (option == 'V') {
            printf ("zlb-broker %s\n", ZLB_VERSION_STRING);
            return 0;
        }
        if (option == '?') {
            fprintf (stderr, "zlb-broker: unknown option or missing value: '%s'\n"
                     "Try 'zlb-broker --help'.\n", argv [optind - 1]);
            return 2;
        }
        int rc = s_apply (config, longopts [index].name, optarg);
        if (rc)
            return rc;
    }
    if (optind < argc) {
        fprintf (stderr, "zlb-broker: unexpected argument '%s'\nTry 'zlb-broker --help'.\n",
                 argv [optind]);
        return 2;
    }
    return -1;
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
    for (int index = 0; index < config->nbackends; index++)
        if (zlb_broker_bind_backend (broker, config->backends [index]) == -1)
            return s_bind_failed (config->backends [index]);
    zlb_broker_log_security (broker);
    return 0;
}

//  One line on the terminal: where we listen, where the log and metrics are.
static void
s_banner (const s_config_t *config)
{
    fprintf (stderr, "zlb-broker %s: listening on", ZLB_VERSION_STRING);
    for (int index = 0; index < config->nbinds; index++)
        fprintf (stderr, "%s %s", index ? "," : "", config->binds [index]);
    for (int index = 0; index < config->nbackends; index++)
        fprintf (stderr, "%s %s", index ? "," : "; workers on", config->backends [index]);
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
    if (config.nbinds == 0)
        config.binds [config.nbinds++] = "tcp://127.0.0.1:5555";

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
    for (int index = 0; index < config.nbinds && rc == 0; index++)
        if (zlb_broker_bind (broker, config.binds [index]) == -1)
            rc = s_bind_failed (config.binds [index]);
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
