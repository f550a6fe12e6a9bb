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
#include "options.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_EXIT_USAGE 2

typedef struct {
    zlb_opt_list_t connect;        //  broker endpoints (--connect, repeatable)
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

#define S_HOUR_MS 3600000
#define S_DEFAULT_CONNECT "tcp://127.0.0.1:5555"

//  Returns 0 to run, 1 when --help/--version was served, -1 on bad usage.
static int
s_parse_args (int argc, char *argv [], s_args_t *args)
{
    zlb_worker_options_t *worker = &args->worker;
    const zlb_option_t table [] = {
        {"connect", 0, ZLB_OPT_ENDPOINT, "ENDPOINT", ZLB_OPT_INTO (args->connect),
         .repeatable = true, .distinct = true, .default_text = S_DEFAULT_CONNECT,
         .help = "broker endpoint; give several to register with every broker of a"
         " cluster and share this worker's capacity across them (docs/cluster.md)"},
        {"service", 0, ZLB_OPT_CUSTOM, "NAME", .target = &worker->service,
         .check = zlb_opt_worker_service, .default_text = "echo",
         .help = "service to offer (not mmi.*)"},
        {"id", 0, ZLB_OPT_CUSTOM, "ID", .target = &worker->id, .check = zlb_opt_worker_id,
         .default_text = "host-pid", .help = "worker id in confirmations and logs,"
         " 1-64 printable characters"},
        {"work-us", 0, ZLB_OPT_INT, "N", ZLB_OPT_INTO (args->work_us), .min = 0,
         .max = INT64_C (3600000000), .help = "simulated service time per request in"
         " microseconds; heartbeats continue"},
        {"heartbeat-ms", 0, ZLB_OPT_DURATION, "MS", ZLB_OPT_INTO (worker->heartbeat_ms),
         .min = 1, .max = S_HOUR_MS, .help = "heartbeat interval"},
        {"liveness", 0, ZLB_OPT_INT, "N", ZLB_OPT_INTO (worker->liveness), .min = 1,
         .max = 1000, .help = "silent intervals before reconnecting"},
        {"reconnect-max-ms", 0, ZLB_OPT_DURATION, "MS",
         ZLB_OPT_INTO (worker->reconnect_max_ms), .min = 1, .max = S_HOUR_MS,
         .default_text = "32 x heartbeat", .help = "reconnect backoff ceiling"},
        {"credit", 0, ZLB_OPT_INT, "N", ZLB_OPT_INTO (worker->credit), .min = 1,
         .max = ZLB_WORKER_CREDIT_MAX, .default_text = "adaptive",
         .help = "requests the broker may send ahead: 1 = strict MDP 0.1, N = a fixed"
         " window; by default as many as hide the round trip to the broker, up to"
         " --credit-max (the zlb credit extension, docs/protocol.md)"},
        {"credit-max", 0, ZLB_OPT_INT, "N", ZLB_OPT_INTO (worker->credit_max), .min = 1,
         .max = ZLB_WORKER_CREDIT_MAX, .default_text = "32",
         .help = "ceiling of the adaptive window (1 = strict MDP 0.1)"},
        {"max-body", 0, ZLB_OPT_SIZE, "BYTES", ZLB_OPT_INTO (worker->max_body), .min = 1,
         .max = 256 * 1024 * 1024, .default_text = "1m, as the broker",
         .help = "largest request body read; match the broker's --max-body"},
        {"log", 0, ZLB_OPT_PATH, "FILE", ZLB_OPT_INTO (args->log_path),
         .help = "log file, shared safely by several workers; - for stderr"},
        {"log-level", 0, ZLB_OPT_CUSTOM, "LEVEL", .target = &args->log_level,
         .check = zlb_opt_log_level, .default_text = "info",
         .help = "error, warning, notice, info, debug (debug shows heartbeats)"},
        {"log-format", 0, ZLB_OPT_CUSTOM, "FORMAT", .target = &args->log_format,
         .check = zlb_opt_log_format, .default_text = "text", .help = "text or json lines"},
        {"count", 0, ZLB_OPT_INT, "N", ZLB_OPT_INTO (args->count), .min = 1, .max = 1024,
         .default_text = "1", .help = "start N worker processes; with --id ID they are"
         " ID-1..ID-N; signals go to all"},
        {"fail-on", 0, ZLB_OPT_STRING, "TEXT", ZLB_OPT_INTO (args->fail_on),
         .help = "TESTING AID: abort() on any request whose payload contains TEXT (a"
         " \"poison request\" that crashes the worker mid-request, for reliability tests)"},
        ZLB_OPT_CURVE (args->broker_key, args->curve_secret, "a fresh key pair for this run"),
        ZLB_OPT_END
    };
    const zlb_options_t options = {
        .prog = "zlb-worker", .table = table, .max_args = 0,
        .usage = "Usage: zlb-worker [OPTIONS]\n"
            "Serve an MDP/0.1 service behind a zlb broker (the echo service answers\n"
            "each request with its own payload; a plain MDP request, whose body is\n"
            "not a zlb request, gets its own frames back).\n\n",
        .footer = "SIGINT/SIGTERM: finish the current request, reply, send DISCONNECT,"
            " exit 0.\nSIGHUP: reopen the log file (logrotate).\n"
    };
    int rc = zlb_options_parse (&options, argc, argv, NULL, NULL);
    //  The ceiling belongs to the adaptive window; with a fixed one it would
    //  silently mean nothing.
    if (rc == 0 && worker->credit > 0 && worker->credit_max > 0)
        return zlb_options_fail (&options, "--credit-max",
                                 "only for the adaptive window; drop it or --credit");
    return rc;
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

//  The endpoints as one printable list, "A,B,C" (for logs and the banner).
static const char *
s_endpoints_text (const s_args_t *args, char *buf, size_t size)
{
    size_t used = 0;
    buf [0] = 0;
    for (int index = 0; index < args->connect.count && used < size; index++) {
        int wrote = snprintf (buf + used, size - used, "%s%s", index ? "," : "",
                              args->connect.items [index]);
        used += wrote > 0 ? (size_t) wrote : 0;
    }
    return buf;
}

//  Which endpoint zmq refused, and why (each tried alone on a bare socket:
//  nothing is sent; a duplicate was refused while parsing).
static void
s_connect_failed (const s_args_t *args, int error)
{
    char why [300];
    for (int index = 0; index < args->connect.count; index++) {
        const char *endpoint = args->connect.items [index];
        zsock_t *probe = zsock_new (ZMQ_DEALER);
        int rc = probe ? zsock_connect (probe, "%s", endpoint) : -1;
        int saved = errno;
        zsock_destroy (&probe);
        if (rc == 0)
            continue;
        fprintf (stderr, "zlb-worker: cannot connect to '%s': %s\n", endpoint,
                 zlb_endpoint_why (endpoint, saved, why, sizeof (why)));
        return;
    }
    fprintf (stderr, "zlb-worker: cannot connect: %s\n", strerror (error));
}

int
main (int argc, char *argv [])
{
    s_args_t args = { .log_path = "server_log.log", .log_level = ZLB_LOG_INFO };
    zlb_worker_options_defaults (&args.worker);
    int rc = s_parse_args (argc, argv, &args);
    if (rc != ZLB_OPTIONS_RUN)
        return rc == ZLB_OPTIONS_DONE ? 0 : S_EXIT_USAGE;
    if (args.connect.count == 0)
        args.connect.items [args.connect.count++] = S_DEFAULT_CONNECT;
    char endpoints [ZLB_OPT_LIST_MAX * 256];
    s_endpoints_text (&args, endpoints, sizeof (endpoints));
    args.worker.raw = true;
    char child_id [ZLB_WORKER_ID_MAX + 1];
    if (args.count > 1) {
        fprintf (stderr, "zlb-worker %s: %d workers serve '%s' via %s; log %s\n",
                 ZLB_VERSION_STRING, args.count, args.worker.service, endpoints,
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
             " liveness=%d work_us=%" PRId64, endpoints, args.worker.service,
             args.worker.heartbeat_ms, args.worker.liveness, args.work_us);
    zlb_worker_t *worker = zlb_worker_new_multi (args.connect.items, (size_t) args.connect.count,
                                                 &args.worker);
    zcert_destroy (&args.worker.curve_cert);     //  the worker keeps its own copy
    if (!worker) {
        s_connect_failed (&args, errno);
        zlb_log_destroy (&log);
        return S_EXIT_USAGE;
    }
    if (args.count <= 1)
        fprintf (stderr, "zlb-worker %s: worker %s serves '%s' via %s; log %s\n",
                 ZLB_VERSION_STRING, args.worker.id, args.worker.service, endpoints,
                 s_log_name (args.log_path));
    uint64_t served = s_serve (worker, log, &args);
    zlb_worker_destroy (&worker);
    zlb_log (log, ZLB_LOG_INFO, "drained", "served=%" PRIu64, served);
    zlb_log_destroy (&log);
    return 0;
}
