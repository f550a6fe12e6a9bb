/*  cluster.c - zlb-ctl over several brokers: each broker's block, headed
    by its endpoint, then the cluster's total (ctl/total.h says what is
    summed). Each broker is asked on its own client: each has its own
    mmi.* answers. A broker that does not answer costs one --timeout-ms
    and shows as "not answering"; the others are still printed.          */

#include "ctl.h"
#include "ask.h"
#include "render.h"
#include "total.h"
#include "escape.h"

#include <string.h>

//  The totals of the answering brokers' replies, printed as one block.
static void
s_print_total (FILE *out, const ctl_args_t *args, ctl_reply_t replies [][CTL_ASKED],
               const bool *failed, const bool wanted [CTL_ASKED])
{
    size_t count = (size_t) args->connect.count, answering = 0;
    const msgpack_object *each [CTL_ASKED][ZLB_OPT_LIST_MAX];
    for (size_t broker = 0; broker < count; broker++) {
        answering += !failed [broker];
        for (int index = 0; index < CTL_ASKED; index++)
            each [index][broker] = failed [broker] ? NULL : &replies [broker][index].unpacked.data;
    }
    msgpack_sbuffer packed [CTL_ASKED];
    msgpack_unpacked totals [CTL_ASKED];
    const msgpack_object *data [CTL_ASKED];
    for (int index = 0; index < CTL_ASKED; index++) {
        msgpack_sbuffer_init (&packed [index]);
        msgpack_unpacked_init (&totals [index]);
        data [index] = NULL;
        if (!wanted [index])
            continue;
        if (index == CTL_STATS)
            ctl_total_stats (each [index], count, &packed [index]);
        else
        if (index == CTL_SERVICES)
            ctl_total_services (each [index], count, &packed [index]);
        else
            ctl_total_workers (each [index], args->connect.items, count, &packed [index]);
        if (ctl_total_unpack (&packed [index], &totals [index]))
            data [index] = &totals [index].data;
    }
    if (!args->json)
        fprintf (out, "\n== total: %zu brokers, %zu answering ==\n", count, answering);
    ctl_rate_scope ((int) count);
    ctl_print (out, args, data, CTL_TOTAL, NULL);
    for (int index = 0; index < CTL_ASKED; index++) {
        msgpack_unpacked_destroy (&totals [index]);
        msgpack_sbuffer_destroy (&packed [index]);
    }
}

//  Ask one broker and print its block; false when it did not answer.
static bool
s_member (zlb_client_t *client, const ctl_args_t *args, int broker, FILE *out,
          const bool wanted [CTL_ASKED], ctl_reply_t replies [CTL_ASKED])
{
    const char *endpoint = args->connect.items [broker];
    bool ok = ctl_ask_all (client, endpoint, wanted, replies);
    if (!args->json)
        fprintf (out, "%s== %s ==\n", broker ? "\n" : "", endpoint);
    if (!ok && args->json) {
        fputs ("{\"broker\":", out);
        zlb_json_string_print (out, endpoint, strlen (endpoint));
        fputs (",\"error\":\"not answering\"}\n", out);
    }
    else
    if (!ok)
        fputs ("not answering\n", out);
    else {
        const msgpack_object *data [CTL_ASKED];
        for (int index = 0; index < CTL_ASKED; index++)
            data [index] = wanted [index] ? &replies [index].unpacked.data : NULL;
        ctl_rate_scope (broker);
        ctl_print (out, args, data, CTL_MEMBER, endpoint);
    }
    return ok;
}

int
ctl_cluster_snapshot (zlb_client_t **clients, const ctl_args_t *args, FILE *out,
                      bool watching, bool *failed)
{
    bool wanted [CTL_ASKED];
    ctl_wanted (args, watching, wanted);
    ctl_reply_t replies [ZLB_OPT_LIST_MAX][CTL_ASKED];
    int rc = 0;
    for (int broker = 0; broker < args->connect.count; broker++) {
        failed [broker] = !s_member (clients [broker], args, broker, out, wanted,
                                     replies [broker]);
        if (failed [broker])
            rc = 1;
    }
    s_print_total (out, args, replies, failed, wanted);
    for (int broker = 0; broker < args->connect.count; broker++)
        for (int index = 0; index < CTL_ASKED; index++)
            ctl_reply_done (&replies [broker][index]);
    return rc;
}
