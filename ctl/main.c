/*  zlb-ctl - look inside a running zlb broker, or several.

    Asks the broker's introspection services (mmi.stats, mmi.services,
    mmi.workers: msgpack maps, docs/protocol.md) over the ordinary client
    API and prints them as tables, as JSON (--json, for scripts), or as a
    live view that refreshes like top (watch). With several --connect,
    each broker in turn and then the totals (ctl/cluster.c). Exit codes:
    0 ok, 1 a broker did not answer, 2 bad usage.                          */

#include "zlb/zlb.h"
#include "util.h"
#include "curve.h"
#include "ctl.h"
#include "options.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define S_DEFAULT_CONNECT "tcp://127.0.0.1:5555"

//  The brokers asked: one client each, and which did not answer last.
typedef struct {
    zlb_client_t *clients [ZLB_OPT_LIST_MAX];
    bool failed [ZLB_OPT_LIST_MAX];
} s_brokers_t;

//  0 to run, 1 after --help/--version, -1 on bad usage (message printed).
static int
s_parse (ctl_args_t *args, int argc, char *argv [])
{
    const zlb_option_t table [] = {
        {"connect", 'c', ZLB_OPT_ENDPOINT, "ENDPOINT", ZLB_OPT_INTO (args->connect),
         .repeatable = true, .distinct = true, .default_text = S_DEFAULT_CONNECT,
         .help = "broker endpoint; give several to see each broker and the totals"
         " (docs/cluster.md)"},
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
        "Exit status: 0 ok, 1 the broker (or one of several) did not answer (or\n"
        "answered nonsense), 2 bad usage.\n"
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
    if (args->connect.count == 0)
        args->connect.items [args->connect.count++] = S_DEFAULT_CONNECT;
    const char *known [] = {"status", "services", "workers", "stats", "watch"};
    for (size_t index = 0; index < sizeof (known) / sizeof (known [0]); index++)
        if (streq (args->command, known [index]))
            return 0;
    return zlb_options_fail (&options, NULL, "unknown command '%s'", args->command);
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

//  One snapshot of every broker: as before clusters when there is one.
static int
s_snapshot (s_brokers_t *brokers, const ctl_args_t *args, FILE *out, bool watching)
{
    if (args->connect.count > 1)
        return ctl_cluster_snapshot (brokers->clients, args, out, watching, brokers->failed);
    int rc = ctl_snapshot (brokers->clients [0], args, out, watching);
    brokers->failed [0] = rc != 0;
    return rc;
}

//  The watch title: the endpoint, or every endpoint.
static void
s_title (FILE *out, const ctl_args_t *args)
{
    fputs ("zlb-ctl watch  ", out);
    for (int index = 0; index < args->connect.count; index++)
        fprintf (out, "%s%s", index ? " " : "", args->connect.items [index]);
    fprintf (out, "  every %" PRId64 " ms  (q quits)\n\n", args->interval_ms);
}

static int
s_watch (s_brokers_t *brokers, const ctl_args_t *args)
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
        s_title (out, args);
        rc = s_snapshot (brokers, args, out, true);
        fclose (out);
        if (!args->json)
            fputs ("\033[H\033[2J", stdout);
        //  Several brokers: the frame says which one is not answering.
        if (rc == 0 || args->connect.count > 1)
            fwrite (text, 1, size, stdout);
        else
            printf ("zlb-ctl: no answer from %s; retrying\n", args->connect.items [0]);
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

//  The client to ask a broker with: no retries, replies up to
//  CTL_MAX_REPLY, CURVE from --broker-key/--curve-secret exactly as
//  zlb-client does it.
static zlb_client_t *
s_client_new (const ctl_args_t *args, const char *endpoint)
{
    zlb_client_options_t options;
    zlb_client_options_defaults (&options);
    options.timeout_ms = args->timeout_ms;
    options.retries = 0;           //  a tool: say "no answer" quickly
    options.max_reply = CTL_MAX_REPLY;
    return zlb_curve_client_new ("zlb-ctl", &endpoint, 1, &options, args->broker_key,
                                 args->curve_secret);
}

static void
s_brokers_destroy (s_brokers_t *brokers, int count)
{
    for (int index = 0; index < count; index++)
        zlb_client_destroy (&brokers->clients [index]);
}

//  A client per broker; false (the reason printed) when one cannot be made.
static bool
s_brokers_new (s_brokers_t *brokers, const ctl_args_t *args)
{
    for (int index = 0; index < args->connect.count; index++) {
        const char *endpoint = args->connect.items [index];
        brokers->failed [index] = false;
        brokers->clients [index] = s_client_new (args, endpoint);
        if (!brokers->clients [index]) {
            char why [300];
            fprintf (stderr, "zlb-ctl: cannot connect to '%s': %s\n", endpoint,
                     zlb_endpoint_why (endpoint, errno, why, sizeof why));
            s_brokers_destroy (brokers, index);
            return false;
        }
    }
    return true;
}

int
main (int argc, char *argv [])
{
    ctl_args_t args = {.timeout_ms = 2000, .interval_ms = 1000};
    int rc = s_parse (&args, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    s_brokers_t brokers;
    if (!s_brokers_new (&brokers, &args))
        return 2;
    if (streq (args.command, "watch"))
        rc = s_watch (&brokers, &args);
    else
        rc = s_snapshot (&brokers, &args, stdout, false);
    for (int index = 0; index < args.connect.count; index++)
        if (brokers.failed [index])
            zlb_endpoint_report ("zlb-ctl", args.connect.items [index]);
    s_brokers_destroy (&brokers, args.connect.count);
    return rc;
}
