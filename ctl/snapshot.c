/*  snapshot.c - zlb-ctl: ask one broker what the command needs, print it. */

#include "ctl.h"
#include "ask.h"
#include "render.h"
#include "util.h"
#include "escape.h"

#include <string.h>

const char *const ctl_names [CTL_ASKED] = {"mmi.stats", "mmi.services", "mmi.workers"};

void
ctl_wanted (const ctl_args_t *args, bool watching, bool wanted [CTL_ASKED])
{
    const char *cmd = args->command;
    wanted [CTL_STATS] = streq (cmd, "status") || streq (cmd, "stats") || watching;
    wanted [CTL_SERVICES] = streq (cmd, "status") || streq (cmd, "services") || watching;
    wanted [CTL_WORKERS] = streq (cmd, "workers") || watching;
}

static void
s_print_json (FILE *out, const msgpack_object *data, int index, ctl_block_t block,
              const char *broker)
{
    fputc ('{', out);
    if (block == CTL_MEMBER) {
        fputs ("\"broker\":", out);
        zlb_json_string_print (out, broker, strlen (broker));
        fputc (',', out);
    }
    else
    if (block == CTL_TOTAL)
        fputs ("\"total\":true,", out);
    fprintf (out, "\"service\":\"%s\",\"reply\":", ctl_names [index]);
    ctl_json (out, data);
    fputs ("}\n", out);
}

static void
s_print_table (FILE *out, const msgpack_object *data, int index, ctl_block_t block)
{
    if (index == CTL_STATS && block == CTL_TOTAL)
        ctl_stats_counters (out, data);
    else
    if (index == CTL_STATS)
        ctl_stats_table (out, data);
    else
    if (index == CTL_SERVICES)
        ctl_services_table (out, data);
    else
    if (block == CTL_TOTAL)
        ctl_cluster_workers_table (out, data);
    else
        ctl_workers_table (out, data);
}

void
ctl_print (FILE *out, const ctl_args_t *args, const msgpack_object *data [CTL_ASKED],
           ctl_block_t block, const char *broker)
{
    bool first = true;
    for (int index = 0; index < CTL_ASKED; index++) {
        if (!data [index])
            continue;
        if (args->json)
            s_print_json (out, data [index], index, block, broker);
        else {
            if (!first)
                fputc ('\n', out);
            s_print_table (out, data [index], index, block);
        }
        first = false;
    }
}

bool
ctl_ask_all (zlb_client_t *client, const char *broker, const bool wanted [CTL_ASKED],
           ctl_reply_t replies [CTL_ASKED])
{
    bool ok = true;
    for (int index = 0; index < CTL_ASKED; index++) {
        ctl_reply_init (&replies [index]);
        if (wanted [index] && ok) {
            ctl_ask (client, broker, ctl_names [index], &replies [index]);
            ok = replies [index].ok;
        }
    }
    return ok;
}

int
ctl_snapshot (zlb_client_t *client, const ctl_args_t *args, FILE *out, bool watching)
{
    bool wanted [CTL_ASKED];
    ctl_wanted (args, watching, wanted);
    ctl_reply_t replies [CTL_ASKED];
    bool ok = ctl_ask_all (client, NULL, wanted, replies);
    const msgpack_object *data [CTL_ASKED];
    for (int index = 0; index < CTL_ASKED; index++)
        data [index] = wanted [index] ? &replies [index].unpacked.data : NULL;
    if (ok)
        ctl_print (out, args, data, CTL_ALONE, NULL);
    for (int index = 0; index < CTL_ASKED; index++)
        ctl_reply_done (&replies [index]);
    return ok ? 0 : 1;
}
