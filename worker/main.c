/*  zlb-worker - serve one MDP service (echo) behind a zlb broker.

    The echo service answers zlb requests with their payload, and plain
    MDP requests (a body that is not a zlb request) with the same frames.

    A thin command line over zlb/worker.h: registration, heartbeats and
    reconnection all live in the library. SIGINT/SIGTERM let the request in
    hand finish, then the worker sends DISCONNECT and exits 0.             */

#define _GNU_SOURCE               //  memmem
#include "zlb/zlb.h"
#include "util.h"
#include "count.h"
#include "curve.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_EXIT_USAGE 2

typedef struct {
    const char *endpoint;          //  broker to connect to
    const char *log_path;          //  log file, "-" for stderr
    const char *fail_on;           //  test hook: abort on payloads holding this
    zlb_log_level_t log_level;     //  log threshold
    int64_t work_us;               //  simulated service time per request
    zlb_worker_options_t worker;   //  service, id, heartbeat, liveness
    int count;                     //  worker processes to start (--count)
    zlb_log_format_t log_format;   //  text or json lines
    const char *broker_key;        //  broker's public certificate: CURVE on
    const char *curve_secret;      //  our secret certificate (optional)
} s_args_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
        "Usage: zlb-worker [OPTIONS]\n"
        "Serve an MDP/0.1 service behind a zlb broker (the echo service answers\n"
        "each request with its own payload; a plain MDP request, whose body is\n"
        "not a zlb request, gets its own frames back).\n"
        "\n"
        "  --connect ENDPOINT     broker endpoint (default tcp://127.0.0.1:5555)\n"
        "  --service NAME         service to offer (default echo; not mmi.*)\n"
        "  --id ID                worker id in confirmations and logs, 1-64\n"
        "                         printable characters (default host-pid)\n"
        "  --work-us N            simulated service time per request in\n"
        "                         microseconds (default 0); heartbeats continue\n"
        "  --heartbeat-ms MS      heartbeat interval (default 2500)\n"
        "  --liveness N           silent intervals before reconnecting (default 3)\n"
        "  --reconnect-max-ms MS  reconnect backoff ceiling (default 32 x heartbeat)\n"
        "  --credit N             requests the broker may send ahead, 1-1000\n"
        "                         (default 1 = strict MDP 0.1; more needs a broker\n"
        "                         with the zlb credit extension, docs/protocol.md)\n"
        "  --log FILE             log file, shared safely by several workers\n"
        "                         (default server_log.log; - for stderr)\n"
        "  --log-level LEVEL      error, warning, notice, info, debug (default info;\n"
        "                         debug shows heartbeats)\n"
        "  --log-format FORMAT    text or json lines (default text)\n"
        "  --count N              start N worker processes (1-1024, default 1); with\n"
        "                         --id ID they are ID-1..ID-N; signals go to all\n"
        "  --fail-on TEXT         TESTING AID: abort() on any request whose payload\n"
        "                         contains TEXT (a \"poison request\" that crashes\n"
        "                         the worker mid-request, for reliability tests)\n"
        "  --broker-key FILE      broker's public certificate: encrypt with CURVE\n"
        "  --curve-secret FILE    our certificate (a _secret file from zlb-keygen;\n"
        "                         default: a fresh key pair for this run)\n"
        "  --help                 show this help and exit\n"
        "  --version              show the version and exit\n"
        "\n"
        "SIGINT/SIGTERM: finish the current request, reply, send DISCONNECT, exit 0.\n"
        "SIGHUP: reopen the log file (logrotate).\n");
}

static int
s_bad_value (const char *flag, const char *value, const char *expected)
{
    fprintf (stderr, "zlb-worker: invalid value '%s' for %s: expected %s\n",
             value, flag, expected);
    return -1;
}

static int
s_parse_duration (const char *flag, const char *value, int *ms)
{
    int64_t parsed;
    if (zlb_parse_duration_ms (value, 1, &parsed) != 0 || parsed < 1 || parsed > 3600000)
        return s_bad_value (flag, value, "a duration from 1 ms to 1 hour (e.g. 250, 250ms, 2s)");
    *ms = (int) parsed;
    return 0;
}

//  Parse one option; 0 on success, -1 after printing why not.
static int
s_parse_option (s_args_t *args, int option, const char *value)
{
    int64_t number;
    switch (option) {
        case 'c': args->endpoint = value; return 0;
        case 's': args->worker.service = value; return 0;
        case 'i': args->worker.id = value; return 0;
        case 'L': args->log_path = value; return 0;
        case 'F':
            if (!*value)
                return s_bad_value ("--fail-on", value, "non-empty text");
            args->fail_on = value;
            return 0;
        case 'w':
            if (zlb_parse_int64 (value, 0, INT64_C (3600000000), &args->work_us) != 0)
                return s_bad_value ("--work-us", value, "microseconds from 0 to 3600000000");
            return 0;
        case 'h': return s_parse_duration ("--heartbeat-ms", value, &args->worker.heartbeat_ms);
        case 'r': return s_parse_duration ("--reconnect-max-ms", value,
                                           &args->worker.reconnect_max_ms);
        case 'l':
            if (zlb_parse_int64 (value, 1, 1000, &number) != 0)
                return s_bad_value ("--liveness", value, "a whole number from 1 to 1000");
            args->worker.liveness = (int) number;
            return 0;
        case 'n':
            if (zlb_parse_int64 (value, 1, ZLB_WORKER_CREDIT_MAX, &number) != 0)
                return s_bad_value ("--credit", value, "a whole number from 1 to 1000");
            args->worker.credit = (int) number;
            return 0;
        case 'N':
            if (zlb_parse_int64 (value, 1, 1024, &number) != 0)
                return s_bad_value ("--count", value, "a whole number from 1 to 1024");
            args->count = (int) number;
            return 0;
        case 'f':
            if (zlb_log_format_parse (value, &args->log_format) != 0)
                return s_bad_value ("--log-format", value, "text or json");
            return 0;
        case 'K': args->broker_key = value; return 0;
        case 'C': args->curve_secret = value; return 0;
        case 'V':
            if (zlb_log_level_parse (value, &args->log_level) != 0)
                return s_bad_value ("--log-level", value, "error, warning, notice, info or debug");
            return 0;
        default:
            return -1;
    }
}

//  Check what getopt cannot: the service name and id.
static int
s_check_args (const s_args_t *args)
{
    const char *service = args->worker.service;
    if (!*service || strlen (service) > 255 || strncmp (service, "mmi.", 4) == 0)
        return s_bad_value ("--service", service,
                            "a name of 1-255 printable characters, not mmi.*");
    for (const char *c = service; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            return s_bad_value ("--service", service, "printable characters only");
    if (!strstr (args->endpoint, "://")) {
        char why [300];
        fprintf (stderr, "zlb-worker: cannot connect to '%s': %s\n", args->endpoint,
                 zlb_endpoint_why (args->endpoint, EINVAL, why, sizeof (why)));
        return -1;
    }
    const char *id = args->worker.id;
    if (id) {
        bool ok = *id && strlen (id) <= ZLB_WORKER_ID_MAX;
        for (const char *c = id; ok && *c; c++)
            ok = *c >= 0x21 && *c <= 0x7e;
        if (!ok)
            return s_bad_value ("--id", id, "1-64 printable characters without spaces");
    }
    return 0;
}

//  Returns 0 to run, 1 when --help/--version was served, -1 on bad usage.
static int
s_parse_args (int argc, char *argv [], s_args_t *args)
{
    static const struct option options [] = {
        { "connect",          required_argument, NULL, 'c' },
        { "credit",           required_argument, NULL, 'n' },
        { "service",          required_argument, NULL, 's' },
        { "id",               required_argument, NULL, 'i' },
        { "work-us",          required_argument, NULL, 'w' },
        { "heartbeat-ms",     required_argument, NULL, 'h' },
        { "liveness",         required_argument, NULL, 'l' },
        { "reconnect-max-ms", required_argument, NULL, 'r' },
        { "log",              required_argument, NULL, 'L' },
        { "log-level",        required_argument, NULL, 'V' },
        { "fail-on",          required_argument, NULL, 'F' },
        { "count",            required_argument, NULL, 'N' },
        { "log-format",       required_argument, NULL, 'f' },
        { "broker-key",       required_argument, NULL, 'K' },
        { "curve-secret",     required_argument, NULL, 'C' },
        { "help",             no_argument,       NULL, 'H' },
        { "version",          no_argument,       NULL, 'v' },
        { NULL, 0, NULL, 0 }
    };
    int option;
    opterr = 1;
    while ((option = getopt_long (argc, argv, "", options, NULL)) != -1) {
        if (option == 'H') {
            s_usage (stdout);
            return 1;
        }
        if (option == 'v') {
            printf ("zlb-worker %s\n", ZLB_VERSION_STRING);
            return 1;
        }
        if (option == '?' || s_parse_option (args, option, optarg) != 0)
            return -1;        //  getopt_long or s_bad_value said why
    }
    if (optind < argc) {
        fprintf (stderr, "zlb-worker: unexpected argument '%s'\n", argv [optind]);
        return -1;
    }
    return s_check_args (args);
}

//  The log's name for the banner.
static const char *
s_log_name (const char *path)
{
    return streq (path, "-") ? "on stderr" : path;
}

static bool
s_poisoned (const zlb_work_t *work, const char *text)
{
    return text && memmem (work->payload, work->payload_size, text, strlen (text));
}

//  Serve until interrupted: the echo service answers with the payload.
static uint64_t
s_serve (zlb_worker_t *worker, zlb_log_t *log, const s_args_t *args)
{
    zlb_work_t work;
    uint64_t served = 0;
    int rc;
    //  Wake up now and then to see whether SIGHUP asked for a log reopen.
    while ((rc = zlb_worker_recv (worker, &work, 500)) >= 0) {
        if (zlb_worker_hup) {
            zlb_worker_hup = 0;
            int reopened = zlb_log_reopen (log);
            zlb_log (log, reopened == 0 ? ZLB_LOG_INFO : ZLB_LOG_ERROR, "log_reopened",
                     "result=%s", reopened == 0 ? "ok" : strerror (errno));
        }
        if (rc == 0)
            continue;
        if (s_poisoned (&work, args->fail_on)) {
            zlb_log_kv (log, ZLB_LOG_ERROR, "poison_request", ZLB_UINT ("id", work.id),
                        ZLB_STR ("client", work.client), ZLB_STR ("action", "abort"));
            abort ();
        }
        if (args->work_us > 0)
            zlb_worker_idle (worker, args->work_us);
        //  A plain MDP request is echoed as it came: the same frames.
        zmsg_t *echo = work.frames ? zmsg_dup (work.frames) : NULL;
        if ((echo ? zlb_worker_reply_raw (worker, &work, &echo)
                  : zlb_worker_reply (worker, &work, ZLB_STATUS_OK,
                                      work.payload, work.payload_size, NULL)) == 0)
            served++;
    }
    return served;
}

int
main (int argc, char *argv [])
{
    s_args_t args = { .endpoint = "tcp://127.0.0.1:5555", .log_path = "server_log.log",
                      .log_level = ZLB_LOG_INFO };
    zlb_worker_options_defaults (&args.worker);
    int rc = s_parse_args (argc, argv, &args);
    if (rc != 0) {
        if (rc < 0)
            fprintf (stderr, "Try 'zlb-worker --help'.\n");
        return rc < 0 ? S_EXIT_USAGE : 0;
    }
    args.worker.raw = true;
    char child_id [ZLB_WORKER_ID_MAX + 1];
    if (args.count > 1) {
        fprintf (stderr, "zlb-worker %s: %d workers serve '%s' via %s; log %s\n",
                 ZLB_VERSION_STRING, args.count, args.worker.service, args.endpoint,
                 s_log_name (args.log_path));
        int index = zlb_worker_fork (args.count);    //  returns in the children only
        if (args.worker.id) {
            snprintf (child_id, sizeof (child_id), "%.*s-%d",
                      ZLB_WORKER_ID_MAX - 5, args.worker.id, index);
            args.worker.id = child_id;
        }
    }
    zlb_worker_hup_install ();
    char default_id [ZLB_WORKER_ID_MAX + 1];
    if (!args.worker.id)
        args.worker.id = zlb_default_id (default_id, sizeof (default_id));

    char key [ZLB_CURVE_KEY_TEXT + 1];
    if (zlb_curve_flags_load ("zlb-worker", args.broker_key, args.curve_secret, key,
                              &args.worker.curve_cert) != 0)
        return S_EXIT_USAGE;
    args.worker.curve_server_key = *key ? key : NULL;
    zlb_log_t *log = zlb_log_new (args.log_path, "worker", args.worker.id, args.log_level);
    if (!log) {
        fprintf (stderr, "zlb-worker: cannot open log '%s': %s\n", args.log_path,
                 strerror (errno));
        return 1;
    }
    zlb_log_set_format (log, args.log_format);
    args.worker.log = log;
    zlb_log (log, ZLB_LOG_INFO, "started", "endpoint=%s service=%s heartbeat_ms=%d"
             " liveness=%d work_us=%" PRId64, args.endpoint, args.worker.service,
             args.worker.heartbeat_ms, args.worker.liveness, args.work_us);
    zlb_worker_t *worker = zlb_worker_new (args.endpoint, &args.worker);
    zcert_destroy (&args.worker.curve_cert);     //  the worker keeps its own copy
    if (!worker) {
        char why [300];
        fprintf (stderr, "zlb-worker: cannot connect to '%s': %s\n", args.endpoint,
                 zlb_endpoint_why (args.endpoint, errno, why, sizeof (why)));
        zlb_log_destroy (&log);
        return S_EXIT_USAGE;
    }
    if (args.count <= 1)
        fprintf (stderr, "zlb-worker %s: worker %s serves '%s' via %s; log %s\n",
                 ZLB_VERSION_STRING, args.worker.id, args.worker.service, args.endpoint,
                 s_log_name (args.log_path));
    uint64_t served = s_serve (worker, log, &args);
    zlb_worker_destroy (&worker);
    zlb_log (log, ZLB_LOG_INFO, "drained", "served=%" PRIu64, served);
    zlb_log_destroy (&log);
    return 0;
}
