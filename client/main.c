/*  zlb-client - send requests through a zlb (MDP/0.1) broker and print
    each reply, the worker that served it and how long it took.

    A thin command line over the client API in include/zlb/client.h: the
    library does the wire protocol, retries and duplicate suppression;
    this file parses flags, prints and logs.                                */

#include "zlb/zlb.h"
#include "util.h"
#include "curve.h"
#include "escape.h"
#include "options.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_EXIT_OK       0
#define S_EXIT_FAILED   1
#define S_EXIT_USAGE    2
#define S_EXIT_NOT_ZLB  3                //  a reply was not in zlb's format
#define S_MAX_SIZE      (256LL * 1024 * 1024)
#define S_PRINT_MAX     200              //  longest reply printed as text
#define S_DEFAULT_CONNECT "tcp://127.0.0.1:5555"

typedef struct {
    zlb_opt_list_t connect;       //  broker endpoints (--connect, repeatable)
    const char *service;          //  service to call
    const char *log_path;         //  log file, "-" for stderr
    zlb_log_level_t log_level;    //  log threshold
    zlb_log_format_t log_format;  //  text or json lines
    int64_t count;                //  generated requests (0: use MESSAGE args)
    int64_t size;                 //  generated payload bytes
    int64_t timeout_ms;           //  per attempt
    int64_t retries;              //  resends after the first attempt
    int64_t pipeline;             //  requests in flight at once
    bool quiet;                   //  summary only
    bool raw;                     //  --raw: MESSAGEs are the frames of one plain request
    char **messages;              //  MESSAGE arguments
    int message_count;
    const char *broker_key;       //  broker's public certificate: CURVE on
    const char *curve_secret;     //  our secret certificate (optional)
} s_args_t;

typedef struct {
    size_t total;                 //  requests to make
    size_t done;                  //  requests with a final result
    size_t ok;                    //  status 200
    size_t timeouts;              //  gave up after all retries
    size_t errors;                //  other failures (error status, send failed)
    size_t not_zlb;               //  of those, replies not in zlb's format
    bool probed;                  //  broker reachability checked after a timeout
    int64_t rtt_min, rtt_max;     //  ns, over ok replies
    int64_t rtt_sum;              //  ns, over ok replies
} s_tally_t;

//  Returns 0 to run, 1 after --help/--version, -1 on bad usage.
static int
s_parse_args (s_args_t *args, int argc, char *argv [])
{
    *args = (s_args_t) {
        .service = "echo", .log_path = "client_log.log",
        .log_level = ZLB_LOG_INFO, .size = 64, .timeout_ms = 3000, .retries = 3, .pipeline = 1
    };
    const zlb_option_t table [] = {
        {"connect", 'c', ZLB_OPT_ENDPOINT, "ENDPOINT", ZLB_OPT_INTO (args->connect),
         .repeatable = true, .distinct = true, .default_text = S_DEFAULT_CONNECT,
         .help = "broker endpoint; give several to spread requests over brokers"
         " and fail over (docs/cluster.md)"},
        {"service", 's', ZLB_OPT_SERVICE, "NAME", ZLB_OPT_INTO (args->service),
         .help = "service to call; mmi.* services print the broker's raw answer"
         " (200, 404, 501)"},
        {"count", 'n', ZLB_OPT_INT, "N", ZLB_OPT_INTO (args->count), .min = 1,
         .max = 1000000000, .default_text = "", .help = "send N generated payloads"
         " instead of MESSAGEs"},
        {"size", 'S', ZLB_OPT_SIZE, "B", ZLB_OPT_INTO (args->size), .min = 0,
         .max = S_MAX_SIZE, .help = "generated payload size, e.g. 64, 4k"},
        {"raw", 'R', ZLB_OPT_FLAG, ZLB_OPT_INTO (args->raw),
         .help = "one plain MDP request, FRAMEs as its body frames"},
        {"timeout-ms", 't', ZLB_OPT_DURATION, "MS", ZLB_OPT_INTO (args->timeout_ms),
         .min = 1, .max = 86400000, .help = "wait per attempt before resending"},
        {"retries", 'r', ZLB_OPT_INT, "N", ZLB_OPT_INTO (args->retries), .min = 0,
         .max = 1000, .help = "resends after the first attempt (0 = one attempt only)"},
        {"pipeline", 'p', ZLB_OPT_INT, "K", ZLB_OPT_INTO (args->pipeline), .min = 1,
         .max = 100000, .help = "requests in flight at once"},
        {"log", 'l', ZLB_OPT_PATH, "FILE", ZLB_OPT_INTO (args->log_path),
         .help = "log file; - for stderr"},
        {"log-level", 'L', ZLB_OPT_CUSTOM, "LEVEL", .target = &args->log_level,
         .check = zlb_opt_log_level, .default_text = "info",
         .help = "error, warning, notice, info, debug"},
        {"log-format", 0, ZLB_OPT_CUSTOM, "FORMAT", .target = &args->log_format,
         .check = zlb_opt_log_format, .default_text = "text", .help = "text or json lines"},
        {"quiet", 'q', ZLB_OPT_FLAG, ZLB_OPT_INTO (args->quiet),
         .help = "print only the summary"},
        ZLB_OPT_CURVE (args->broker_key, args->curve_secret, "a fresh key pair for this run"),
        ZLB_OPT_END
    };
    const zlb_options_t options = {
        .prog = "zlb-client", .table = table, .max_args = -1,
        .usage =
"Usage: zlb-client [options] MESSAGE...\n"
"       zlb-client [options] --count N [--size B]\n"
"       zlb-client [options] --raw FRAME...\n"
"Send each MESSAGE (or N generated payloads) to a service through a zlb\n"
"broker; print one line per request: id, status, worker, reply, round-trip\n"
"time, worker service time and latency estimate (microseconds).\n"
"With --raw, send one plain MDP request whose body frames are the FRAMEs\n"
"(no zlb map) and print the reply's frames as they come, for any MDP/0.1\n"
"service (non-printable bytes escaped as \\xHH).\n\n",
        .footer =
"Exit status: 0 every request got status 200; 1 a request failed (timeout\n"
"or error status); 2 bad options; 3 a reply was not in zlb's format (status\n"
"415: the service is a plain MDP worker, call it with --raw).\n"
    };
    int rc = zlb_options_parse (&options, argc, argv, &args->messages, &args->message_count);
    if (rc != ZLB_OPTIONS_RUN)
        return rc;
    if (args->raw && (args->count || !args->message_count))
        return zlb_options_fail (&options, "--raw", "sends the FRAME arguments, not --count");
    if ((args->message_count > 0) == (args->count > 0))
        return zlb_options_fail (&options, NULL, "give either MESSAGE arguments or"
                                 " --count N%s", args->message_count ? ", not both" : "");
    if (args->connect.count == 0)
        args->connect.items [args->connect.count++] = S_DEFAULT_CONNECT;
    return 0;
}

//  --------------------------------------------------------------------------
//  Printing and logging

static bool
s_printable (const uint8_t *data, size_t size)
{
    for (size_t index = 0; index < size; index++)
        if (data [index] < 0x20 || data [index] > 0x7e)
            return false;
    return true;
}

//  One frame in double quotes, escaped as all peer text is (escape.h);
//  a long one ends with "...(N bytes)".
static void
s_print_frame (const uint8_t *data, size_t size)
{
    char text [S_PRINT_MAX * 4];          //  worst case: every byte as \xNN
    zlb_buf_t buf = { text, 0, sizeof (text), false };
    zlb_escape_text (&buf, data, size < S_PRINT_MAX ? size : S_PRINT_MAX, true);
    printf ("\"%.*s\"", (int) buf.size, text);
    if (size > S_PRINT_MAX)
        printf ("...(%zu bytes)", size);
}

//  A reply as it came (raw requests, replies not in zlb's format).
static void
s_print_frames (zmsg_t *frames)
{
    printf ("frames=%zu reply=", zmsg_size (frames));
    for (zframe_t *frame = zmsg_first (frames); frame; frame = zmsg_next (frames)) {
        s_print_frame (zframe_data (frame), zframe_size (frame));
        putchar (' ');
    }
}

//  Peer-supplied text (worker id, error, mmi answer) made safe for a
//  terminal: control bytes and invalid UTF-8 escaped. text is S_TEXT_MAX.
#define S_TEXT_MAX 1024
static const char *
s_peer_text (const void *data, size_t size, char *text)
{
    return zlb_printable (data, size, text, S_TEXT_MAX);
}

static void
s_print_result (const s_args_t *args, const zlb_result_t *result)
{
    char text [S_TEXT_MAX];
    if (args->quiet)
        return;
    if (strncmp (args->service, "mmi.", 4) == 0 && result->status == ZLB_STATUS_OK
    &&  !args->raw) {
        //  RFC 8 answer ("200", "404", "501") as the broker sent it, escaped
        printf ("%s\n", s_peer_text (result->payload, result->payload_size, text));
        return;
    }
    printf ("id=%" PRIu64 " status=%d worker=%s ", result->id, result->status,
            *result->worker ? s_peer_text (result->worker, strlen (result->worker), text)
                            : "-");
    if (result->status != ZLB_STATUS_OK)
        printf ("error=\"%s\" ", s_peer_text (result->error, strlen (result->error), text));
    if (result->frames)
        s_print_frames (result->frames);
    else
    if (result->status == ZLB_STATUS_OK) {
        if (result->payload_size <= S_PRINT_MAX
        &&  s_printable (result->payload, result->payload_size)) {
            printf ("reply=");
            s_print_frame (result->payload, result->payload_size);
            putchar (' ');
        }
        else
            printf ("reply=<%zu bytes> ", result->payload_size);
    }
    printf ("rtt_us=%" PRId64 " service_us=%" PRId64 " latency_us=%" PRId64 "\n",
            result->rtt_ns / 1000, result->service_ns / 1000, result->latency_ns / 1000);
}

static void
s_log_result (zlb_log_t *log, const zlb_result_t *result)
{
    if (result->status == ZLB_STATUS_OK)
        zlb_log_kv (log, ZLB_LOG_INFO, "reply_received", ZLB_UINT ("id", result->id),
                    ZLB_INT ("status", result->status), ZLB_STR ("worker", result->worker),
                    ZLB_UINT ("size", result->payload_size),
                    ZLB_UINT ("attempts", result->attempts),
                    ZLB_INT ("rtt_us", result->rtt_ns / 1000),
                    ZLB_INT ("service_us", result->service_ns / 1000),
                    ZLB_INT ("latency_us", result->latency_ns / 1000));
    else
        zlb_log_kv (log, ZLB_LOG_WARNING, "request_failed", ZLB_UINT ("id", result->id),
                    ZLB_INT ("status", result->status),
                    ZLB_STR ("worker", *result->worker ? result->worker : "-"),
                    ZLB_UINT ("attempts", result->attempts),
                    ZLB_INT ("rtt_us", result->rtt_ns / 1000), ZLB_STR ("error", result->error));
}

static void
s_tally_result (s_tally_t *tally, const zlb_result_t *result)
{
    tally->done++;
    if (result->status == ZLB_STATUS_TIMEOUT)
        tally->timeouts++;
    else
    if (result->status == ZLB_STATUS_NOT_ZLB) {
        tally->not_zlb++;
        tally->errors++;
    }
    else
    if (result->status != ZLB_STATUS_OK)
        tally->errors++;
    else {
        if (tally->ok == 0 || result->rtt_ns < tally->rtt_min)
            tally->rtt_min = result->rtt_ns;
        if (result->rtt_ns > tally->rtt_max)
            tally->rtt_max = result->rtt_ns;
        tally->rtt_sum += result->rtt_ns;
        tally->ok++;
    }
    char text [S_TEXT_MAX];
    if (result->status != ZLB_STATUS_OK)
        fprintf (stderr, "zlb-client: request %" PRIu64 " failed: %d %s (%s) after %" PRIu32
                 " attempt%s\n", result->id, result->status, zlb_status_text (result->status),
                 s_peer_text (result->error, strlen (result->error), text), result->attempts,
                 result->attempts == 1 ? "" : "s");
}

static void
s_print_summary (const s_args_t *args, const s_tally_t *tally, zlb_client_t *client)
{
    zlb_client_stats_t stats;
    zlb_client_stats (client, &stats);
    bool mmi = strncmp (args->service, "mmi.", 4) == 0;
    if (mmi && !args->quiet)
        return;           //  the raw answers are the output
    int64_t avg = tally->ok ? tally->rtt_sum / (int64_t) tally->ok : 0;
    printf ("summary: requests=%zu ok=%zu errors=%zu timeouts=%zu retries=%" PRIu64
            " duplicates=%" PRIu64 " rtt_us min=%" PRId64 " avg=%" PRId64 " max=%" PRId64 "\n",
            tally->total, tally->ok, tally->errors, tally->timeouts, stats.retries,
            stats.duplicates, tally->rtt_min / 1000, avg / 1000, tally->rtt_max / 1000);
}

//  --------------------------------------------------------------------------
//  Running

//  Payload of request number index: the MESSAGE, or a generated one that
//  says which request it was and fills the rest with letters.
static const void *
s_payload (const s_args_t *args, size_t index, uint8_t *buffer, size_t *size)
{
    if (args->message_count) {
        *size = strlen (args->messages [index]);
        return args->messages [index];
    }
    *size = (size_t) args->size;
    char head [32];
    size_t head_len = (size_t) snprintf (head, sizeof head, "zlb-%zu-", index + 1);
    for (size_t at = 0; at < *size; at++)
        buffer [at] = at < head_len ? (uint8_t) head [at] : (uint8_t) ('a' + at % 26);
    return buffer;
}

static void
s_send_next (const s_args_t *args, zlb_client_t *client, zlb_log_t *log,
             s_tally_t *tally, size_t index, uint8_t *buffer)
{
    size_t size;
    const void *payload = s_payload (args, index, buffer, &size);
    uint64_t id;
    int rc;
    if (args->raw) {
        zmsg_t *body = zmsg_new ();
        for (int frame = 0; frame < args->message_count; frame++)
            zmsg_addstr (body, args->messages [frame]);
        size = zmsg_content_size (body);
        rc = zlb_client_send_raw (client, args->service, &body, &id);
    }
    else
        rc = zlb_client_send (client, args->service, payload, size, &id);
    if (rc == 0) {
        zlb_log (log, ZLB_LOG_INFO, "request_sent", "id=%" PRIu64 " service=%s size=%zu",
                 id, args->service, size);
        return;
    }
    fprintf (stderr, "zlb-client: could not send request %zu: %s\n", index + 1, strerror (errno));
    zlb_log (log, ZLB_LOG_ERROR, "send_failed", "request=%zu error=\"%s\"", index + 1,
             strerror (errno));
    tally->errors++;
    tally->done++;
}

//  Keep `pipeline` requests in flight until every one has a result.
//  -1 if interrupted.
static int
s_run (const s_args_t *args, zlb_client_t *client, zlb_log_t *log, s_tally_t *tally,
       uint8_t *buffer)
{
    size_t next = 0;
    while (tally->done < tally->total) {
        while (next < tally->total && zlb_client_inflight (client) < (size_t) args->pipeline)
            s_send_next (args, client, log, tally, next++, buffer);
        if (zlb_client_inflight (client) == 0)
            continue;
        zlb_result_t result;
        int rc = zlb_client_recv (client, &result, -1);
        if (rc == -1)
            return -1;
        if (rc == 1) {
            s_log_result (log, &result);
            s_print_result (args, &result);
            s_tally_result (tally, &result);
            if (result.status == ZLB_STATUS_TIMEOUT && !tally->probed) {
                tally->probed = true;
                for (int index = 0; index < args->connect.count; index++)
                    zlb_endpoint_report ("zlb-client", args->connect.items [index]);
            }
        }
    }
    return 0;
}

static zlb_client_t *
s_client_new (const s_args_t *args, zlb_log_t *log)
{
    zlb_client_options_t options;
    zlb_client_options_defaults (&options);
    options.timeout_ms = (int) args->timeout_ms;
    options.retries = (int) args->retries;
    options.max_inflight = (size_t) args->pipeline;
    options.log = log;
    size_t total = 0;
    for (int index = 0; index < args->message_count; index++) {
        size_t size = strlen (args->messages [index]);
        total += size;
        if ((args->raw ? total : size) > options.max_payload)
            options.max_payload = args->raw ? total : size;
    }
    if ((size_t) args->size > options.max_payload)
        options.max_payload = (size_t) args->size;
    return zlb_curve_client_new ("zlb-client", args->connect.items,
                                 (size_t) args->connect.count, &options, args->broker_key,
                                 args->curve_secret);
}

//  Why no client could be made: the endpoint that is wrong (each is
//  checked alone: a duplicate was refused while parsing).
static void
s_connect_failed (const s_args_t *args, int error)
{
    char why [256];
    for (int index = 0; index < args->connect.count; index++) {
        const char *endpoint = args->connect.items [index];
        zlb_client_t *probe = args->connect.count > 1 ? zlb_client_new (endpoint, NULL) : NULL;
        if (probe) {
            zlb_client_destroy (&probe);
            continue;
        }
        fprintf (stderr, "zlb-client: cannot connect to '%s': %s\n", endpoint,
                 zlb_endpoint_why (endpoint, errno, why, sizeof why));
        return;
    }
    fprintf (stderr, "zlb-client: cannot connect: %s\n", strerror (error));
}

static int
s_finish (const s_args_t *args, const s_tally_t *tally, bool interrupted)
{
    size_t failed = tally->timeouts + tally->errors;
    if (interrupted) {
        fprintf (stderr, "zlb-client: interrupted after %zu of %zu requests\n",
                 tally->done, tally->total);
        return S_EXIT_FAILED;
    }
    if (failed)
        fprintf (stderr, "zlb-client: %zu of %zu requests failed "
                         "(%zu timed out, %zu with an error)\n",
                 failed, tally->total, tally->timeouts, tally->errors);
    if (tally->not_zlb) {
        fprintf (stderr, "zlb-client: '%s' answered in plain MDP, not zlb's format;"
                 " call it with: zlb-client --raw --service %s FRAME...\n",
                 args->service, args->service);
        return S_EXIT_NOT_ZLB;
    }
    if (failed)
        return S_EXIT_FAILED;
    return S_EXIT_OK;
}

int
main (int argc, char *argv [])
{
    //  One line per request, flushed as it happens: scripts and tests read
    //  the output while the client is still running.
    setvbuf (stdout, NULL, _IOLBF, 0);
    s_args_t args;
    int rc = s_parse_args (&args, argc, argv);
    if (rc)
        return rc > 0 ? S_EXIT_OK : S_EXIT_USAGE;
    char id [128];
    zlb_log_t *log = zlb_log_new (args.log_path, "client", zlb_default_id (id, sizeof id),
                                  args.log_level);
    if (!log) {
        fprintf (stderr, "zlb-client: cannot open log %s: %s\n", args.log_path, strerror (errno));
        return S_EXIT_FAILED;
    }
    zlb_log_set_format (log, args.log_format);
    zlb_client_t *client = s_client_new (&args, log);
    if (!client) {
        s_connect_failed (&args, errno);
        zlb_log_destroy (&log);
        return S_EXIT_USAGE;
    }
    s_tally_t tally = { .total = args.raw ? 1 : args.message_count
                                              ? (size_t) args.message_count
                                              : (size_t) args.count };
    uint8_t *buffer = (uint8_t *) malloc (args.size ? (size_t) args.size : 1);
    zlb_log (log, ZLB_LOG_INFO, "client_start",
             "endpoint=%s brokers=%d service=%s requests=%zu pipeline=%" PRId64
             " timeout_ms=%" PRId64 " retries=%" PRId64, args.connect.items [0],
             args.connect.count, args.service, tally.total, args.pipeline,
             args.timeout_ms, args.retries);
    bool interrupted = !buffer || s_run (&args, client, log, &tally, buffer) == -1;
    s_print_summary (&args, &tally, client);
    zlb_log (log, ZLB_LOG_INFO, "client_done", "requests=%zu ok=%zu errors=%zu timeouts=%zu",
             tally.total, tally.ok, tally.errors, tally.timeouts);
    free (buffer);
    zlb_client_destroy (&client);
    zlb_log_destroy (&log);
    return s_finish (&args, &tally, interrupted);
}
