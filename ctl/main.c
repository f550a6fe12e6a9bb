/*  zlb-ctl - look inside a running zlb broker.

    Asks the broker's introspection services (mmi.stats, mmi.services,
    mmi.workers: msgpack maps, docs/protocol.md) over the ordinary client
    API and prints them as tables, as JSON (--json, for scripts), or as a
    live view that refreshes like top (watch). Exit codes: 0 ok, 1 the
    broker did not answer, 2 bad usage.                                     */

#include "zlb/zlb.h"
#include "util.h"
#include "curve.h"
#include "escape.h"
#include "msgpack_guard.h"
#include "render.h"
#include "options.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

typedef struct {
    const char *endpoint;         //  broker to ask
    const char *command;          //  status, workers, services, stats, watch
    bool json;                    //  JSON instead of tables
    int timeout_ms;               //  wait per attempt
    int64_t interval_ms;          //  watch refresh period
    int64_t iterations;           //  watch: stop after this many frames (0 = never)
    const char *broker_key;       //  broker's public certificate: CURVE on
    const char *curve_secret;     //  our secret certificate (optional)
} s_args_t;

//  Largest reply we accept: 10000 capped entries of a few hundred bytes
//  each fit with room to spare; anything bigger is refused unread.
#define S_MAX_REPLY (16 * 1024 * 1024)

//  One decoded reply: the frame's bytes are copied, msgpack points into them.
typedef struct {
    msgpack_unpacked unpacked;    //  strings point into bytes (zero copy)
    char *bytes;                  //  our copy of the reply frame
    bool ok;
} s_reply_t;

//  0 to run, 1 after --help/--version, -1 on bad usage (message printed).
static int
s_parse (s_args_t *args, int argc, char *argv [])
{
    const zlb_option_t table [] = {
        {"connect", 'c', ZLB_OPT_ENDPOINT, "ENDPOINT", ZLB_OPT_INTO (args->endpoint),
         .help = "broker endpoint"},
        {"json", 'j', ZLB_OPT_FLAG, ZLB_OPT_INTO (args->json),
         .help = "print the replies as JSON (one object per line)"},
        {"timeout-ms", 't', ZLB_OPT_DURATION, "MS", ZLB_OPT_INTO (args->timeout_ms),
         .min = 1, .max = 600000, .help = "wait for an answer"},
        {"interval", 'i', ZLB_OPT_DURATION, "MS", ZLB_OPT_INTO (args->interval_ms),
         .min = 50, .max = 3600000, .help = "watch refresh period (1s, 500ms)"},
        {"iterations", 'n', ZLB_OPT_INT, "N", ZLB_OPT_INTO (args->iterations), .min = 1,
         .max = 1000000000, .default_text = "never", .help = "watch: stop after N refreshes"},
        ZLB_OPT_CURVE (args->broker_key, args->curve_secret, "a fresh key pair for this run"),
        ZLB_OPT_END
    };
    const zlb_options_t options = {
        .prog = "zlb-ctl", .table = table, .max_args = 1,
        .usage =
        "Usage: zlb-ctl [OPTIONS] COMMAND\n"
        "Look inside a running zlb broker (its mmi.* introspection services).\n"
        "\n"
        "Commands:\n"
        "  status      broker counters and the services table\n"
        "  services    per service: workers ready/busy, queue, counters, p50/p99\n"
        "  workers     per worker: state, last heard from, requests served\n"
        "  stats       broker-wide counters only\n"
        "  watch       status and workers, refreshed like top (q or Ctrl-C quits)\n"
        "\n"
        "Options:\n",
        .footer =
        "Exit status: 0 ok, 1 the broker did not answer (or answered nonsense),\n"
        "2 bad usage.\n"
    };
    char **commands;
    int count;
    int rc = zlb_options_parse (&options, argc, argv, &commands, &count);
    if (rc != ZLB_OPTIONS_RUN)
        return rc;
    if (count != 1)
        return zlb_options_fail (&options, NULL, "expected one command (status, services,"
                                 " workers, stats, watch)");
    args->command = commands [0];
    const char *known [] = {"status", "services", "workers", "stats", "watch"};
    for (size_t index = 0; index < sizeof (known) / sizeof (known [0]); index++)
        if (streq (args->command, known [index]))
            return 0;
    return zlb_options_fail (&options, NULL, "unknown command '%s'", args->command);
}

//  --------------------------------------------------------------------------
//  Asking the broker

//  Ask one mmi service; reply->ok tells whether a msgpack map came back.
static void
s_ask (zlb_client_t *client, const char *service, s_reply_t *reply)
{
    msgpack_unpacked_init (&reply->unpacked);
    reply->ok = false;
    reply->bytes = NULL;
    zlb_result_t result;
    if (zlb_client_request (client, service, "", 0, &result) != 0)
        return;
    if (result.status != ZLB_STATUS_OK) {
        char error [512];
        fprintf (stderr, "zlb-ctl: %s: status %d %s\n", service, result.status,
                 result.status == ZLB_STATUS_TIMEOUT ? "(no answer from the broker)"
                 : zlb_printable (result.error, strlen (result.error), error, sizeof error));
        return;
    }
    //  Counts that claim more than the reply holds would make msgpack-c
    //  allocate for them before it notices: refuse such a reply unread.
    if (!zlb_msgpack_bounded (result.payload, result.payload_size)) {
        fprintf (stderr, "zlb-ctl: %s: the broker's answer is malformed (%zu bytes that"
                 " are not one whole msgpack object)\n", service, result.payload_size);
        return;
    }
    //  The result is the client's until its next call: keep a copy.
    reply->bytes = result.payload ? malloc (result.payload_size) : NULL;
    if (reply->bytes)
        memcpy (reply->bytes, result.payload, result.payload_size);
    size_t offset = 0;
    if (reply->bytes
    &&  msgpack_unpack_next (&reply->unpacked, reply->bytes,
                             result.payload_size, &offset) == MSGPACK_UNPACK_SUCCESS
    &&  reply->unpacked.data.type == MSGPACK_OBJECT_MAP)
        reply->ok = true;
    else
        fprintf (stderr, "zlb-ctl: %s: the broker's answer is not a msgpack map"
                 " (an older broker?)\n", service);
}

static void
s_reply_done (s_reply_t *reply)
{
    msgpack_unpacked_destroy (&reply->unpacked);
    free (reply->bytes);
    reply->bytes = NULL;
}

//  --------------------------------------------------------------------------
//  Commands

//  One snapshot: stats, services, workers as the command needs them.
//  Prints to out; returns 0, or 1 when the broker did not answer.
static int
s_snapshot (zlb_client_t *client, const s_args_t *args, FILE *out, bool watching)
{
    const char *cmd = args->command;
    bool stats = streq (cmd, "status") || streq (cmd, "stats") || watching;
    bool services = streq (cmd, "status") || streq (cmd, "services") || watching;
    bool workers = streq (cmd, "workers") || watching;
    s_reply_t replies [3];
    const char *names [3] = {"mmi.stats", "mmi.services", "mmi.workers"};
    bool wanted [3] = {stats, services, workers};
    int rc = 0;
    for (int index = 0; index < 3; index++) {
        msgpack_unpacked_init (&replies [index].unpacked);
        replies [index].ok = false;
        replies [index].bytes = NULL;
        if (wanted [index] && rc == 0) {
            s_reply_done (&replies [index]);
            s_ask (client, names [index], &replies [index]);
            if (!replies [index].ok)
                rc = 1;
        }
    }
    for (int index = 0; index < 3 && rc == 0; index++) {
        if (!wanted [index])
            continue;
        const msgpack_object *data = &replies [index].unpacked.data;
        if (args->json) {
            fprintf (out, "{\"service\":\"%s\",\"reply\":", names [index]);
            ctl_json (out, data);
            fputs ("}\n", out);
        }
        else {
            if (index == 0)
                ctl_stats_table (out, data);
            else
            if (index == 1)
                ctl_services_table (out, data);
            else
                ctl_workers_table (out, data);
            if (index < 2 && (wanted [index + 1] || (index == 0 && wanted [2])))
                fputc ('\n', out);
        }
    }
    for (int index = 0; index < 3; index++)
        s_reply_done (&replies [index]);
    return rc;
}

//  Wait up to ms for a key on stdin; true if it was q/Q (quit).
static bool
s_wait_key (int64_t ms)
{
    struct pollfd item = {STDIN_FILENO, POLLIN, 0};
    if (poll (&item, 1, (int) ms) != 1 || !(item.revents & POLLIN))
        return false;
    char key;
    return read (STDIN_FILENO, &key, 1) == 1 && (key == 'q' || key == 'Q');
}

static int
s_watch (zlb_client_t *client, const s_args_t *args)
{
    struct termios saved, raw;
    bool terminal = isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0;
    if (terminal) {
        raw = saved;
        raw.c_lflag &= ~(tcflag_t) (ICANON | ECHO);
        raw.c_cc [VMIN] = 0;
        raw.c_cc [VTIME] = 0;
        tcsetattr (STDIN_FILENO, TCSANOW, &raw);
    }
    int rc = 0;
    for (int64_t frame = 1; !zsys_interrupted; frame++) {
        //  Build the whole frame first, then clear and print it at once:
        //  no flicker, and a slow broker leaves the last frame on screen.
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream (&text, &size);
        if (!out)
            break;
        fprintf (out, "zlb-ctl watch  %s  every %" PRId64 " ms  (q quits)\n\n",
                 args->endpoint, args->interval_ms);
        rc = s_snapshot (client, args, out, true);
        fclose (out);
        if (!args->json)
            fputs ("\033[H\033[2J", stdout);
        if (rc == 0)
            fwrite (text, 1, size, stdout);
        else
            printf ("zlb-ctl: no answer from %s; retrying\n", args->endpoint);
        fflush (stdout);
        free (text);
        if (args->iterations && frame >= args->iterations)
            break;
        if (s_wait_key (args->interval_ms))
            break;
    }
    if (terminal)
        tcsetattr (STDIN_FILENO, TCSANOW, &saved);
    return rc;
}

//  The client to ask with: no retries, replies up to S_MAX_REPLY, CURVE
//  from --broker-key/--curve-secret exactly as zlb-client does it.
static zlb_client_t *
s_client_new (const s_args_t *args)
{
    zlb_client_options_t options;
    zlb_client_options_defaults (&options);
    options.timeout_ms = args->timeout_ms;
    options.retries = 0;           //  a tool: say "no answer" quickly
    options.max_reply = S_MAX_REPLY;
    return zlb_curve_client_new ("zlb-ctl", &args->endpoint, 1, &options, args->broker_key,
                                 args->curve_secret);
}

int
main (int argc, char *argv [])
{
    s_args_t args = {.endpoint = "tcp://127.0.0.1:5555", .timeout_ms = 2000,
                     .interval_ms = 1000};
    int rc = s_parse (&args, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    zlb_client_t *client = s_client_new (&args);
    if (!client) {
        char why [300];
        fprintf (stderr, "zlb-ctl: cannot connect to '%s': %s\n", args.endpoint,
                 zlb_endpoint_why (args.endpoint, errno, why, sizeof why));
        return 2;
    }
    if (streq (args.command, "watch"))
        rc = s_watch (client, &args);
    else
        rc = s_snapshot (client, &args, stdout, false);
    if (rc == 1)
        zlb_endpoint_report ("zlb-ctl", args.endpoint);
    zlb_client_destroy (&client);
    return rc;
}
