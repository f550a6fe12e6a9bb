/*  ctl.h - zlb-ctl's command line and snapshots (one broker or several).  */

#ifndef ZLB_CTL_CTL_H_INCLUDED
#define ZLB_CTL_CTL_H_INCLUDED

#include "zlb/zlb.h"
#include "options.h"
#include "ask.h"

#include <msgpack.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct {
    zlb_opt_list_t connect;       //  brokers to ask (--connect, repeatable)
    const char *command;          //  status, workers, services, stats, watch
    bool json;                    //  JSON instead of tables
    int timeout_ms;               //  wait per attempt
    int64_t interval_ms;          //  watch refresh period
    int64_t iterations;           //  watch: stop after this many frames (0 = never)
    const char *broker_key;       //  broker's public certificate: CURVE on
    const char *curve_secret;     //  our secret certificate (optional)
} ctl_args_t;

//  The introspection services, in the order they are asked and printed.
#define CTL_STATS    0
#define CTL_SERVICES 1
#define CTL_WORKERS  2
#define CTL_ASKED    3
extern const char *const ctl_names [CTL_ASKED];

//  Which of them the command needs (watch: all three).
void ctl_wanted (const ctl_args_t *args, bool watching, bool wanted [CTL_ASKED]);

//  How a block of replies is printed: one broker alone (as before
//  clusters), one broker of several (JSON gets its endpoint), the total.
typedef enum { CTL_ALONE, CTL_MEMBER, CTL_TOTAL } ctl_block_t;

//  Print the replies (NULL: not wanted) as tables or JSON lines.
void ctl_print (FILE *out, const ctl_args_t *args, const msgpack_object *data [CTL_ASKED],
                ctl_block_t block, const char *broker);

//  Ask each wanted service (problems on stderr, prefixed by broker if not
//  NULL), stopping at the first that fails; the rest stay empty. True
//  when every wanted one answered. Each reply needs ctl_reply_done.
bool ctl_ask_all (zlb_client_t *client, const char *broker, const bool wanted [CTL_ASKED],
                  ctl_reply_t replies [CTL_ASKED]);

//  One snapshot of one broker; 0, or 1 when it did not answer.
int ctl_snapshot (zlb_client_t *client, const ctl_args_t *args, FILE *out, bool watching);

//  One snapshot of each broker (clients[i] asks args->connect.items[i]),
//  then the totals. Sets failed[i] for a broker that did not answer;
//  0, or 1 when any did not.
int ctl_cluster_snapshot (zlb_client_t **clients, const ctl_args_t *args, FILE *out,
                          bool watching, bool *failed);

#endif
