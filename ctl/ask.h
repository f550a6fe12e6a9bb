/*  ask.h - zlb-ctl: ask one broker's mmi.* service, keep the decoded map.  */

#ifndef ZLB_CTL_ASK_H_INCLUDED
#define ZLB_CTL_ASK_H_INCLUDED

#include "zlb/zlb.h"

#include <msgpack.h>
#include <stdbool.h>

//  Largest reply we accept: 10000 capped entries of a few hundred bytes
//  each fit with room to spare; anything bigger is refused unread.
#define CTL_MAX_REPLY (16 * 1024 * 1024)

//  One decoded reply: the frame's bytes are copied, msgpack points into them.
typedef struct {
    msgpack_unpacked unpacked;    //  strings point into bytes (zero copy)
    char *bytes;                  //  our copy of the reply frame
    bool ok;
} ctl_reply_t;

//  An empty reply (ok false), safe to pass to ctl_reply_done.
void ctl_reply_init (ctl_reply_t *reply);

//  Ask one mmi service; reply->ok tells whether a msgpack map came back.
//  Problems go to stderr, prefixed with "broker: " when broker is not NULL.
void ctl_ask (zlb_client_t *client, const char *broker, const char *service,
              ctl_reply_t *reply);

void ctl_reply_done (ctl_reply_t *reply);

#endif
