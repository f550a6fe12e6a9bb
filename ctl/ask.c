/*  ask.c - zlb-ctl: one mmi.* request, its reply checked and decoded.     */

#include "ask.h"
#include "escape.h"
#include "msgpack_guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ctl_reply_init (ctl_reply_t *reply)
{
    msgpack_unpacked_init (&reply->unpacked);
    reply->ok = false;
    reply->bytes = NULL;
}

//  Keep a copy of the payload (the result is the client's until its next
//  call) and decode it; true when it is a msgpack map.
static bool
s_decode (ctl_reply_t *reply, const void *payload, size_t size)
{
    reply->bytes = payload ? malloc (size) : NULL;
    if (!reply->bytes)
        return false;
    memcpy (reply->bytes, payload, size);
    size_t offset = 0;
    return msgpack_unpack_next (&reply->unpacked, reply->bytes, size, &offset)
           == MSGPACK_UNPACK_SUCCESS
        && reply->unpacked.data.type == MSGPACK_OBJECT_MAP;
}

void
ctl_ask (zlb_client_t *client, const char *broker, const char *service, ctl_reply_t *reply)
{
    ctl_reply_init (reply);
    const char *prefix = broker ? broker : "";
    const char *colon = broker ? ": " : "";
    zlb_result_t result;
    if (zlb_client_request (client, service, "", 0, &result) != 0)
        return;
    if (result.status != ZLB_STATUS_OK) {
        char error [512];
        fprintf (stderr, "zlb-ctl: %s%s%s: status %d %s\n", prefix, colon, service,
                 result.status, result.status == ZLB_STATUS_TIMEOUT
                 ? "(no answer from the broker)"
                 : zlb_printable (result.error, strlen (result.error), error, sizeof error));
        return;
    }
    //  Counts that claim more than the reply holds would make msgpack-c
    //  allocate for them before it notices: refuse such a reply unread.
    if (!zlb_msgpack_bounded (result.payload, result.payload_size)) {
        fprintf (stderr, "zlb-ctl: %s%s%s: the broker's answer is malformed (%zu bytes that"
                 " are not one whole msgpack object)\n", prefix, colon, service,
                 result.payload_size);
        return;
    }
    reply->ok = s_decode (reply, result.payload, result.payload_size);
    if (!reply->ok)
        fprintf (stderr, "zlb-ctl: %s%s%s: the broker's answer is not a msgpack map"
                 " (an older broker?)\n", prefix, colon, service);
}

void
ctl_reply_done (ctl_reply_t *reply)
{
    msgpack_unpacked_destroy (&reply->unpacked);
    free (reply->bytes);
    reply->bytes = NULL;
    reply->ok = false;
}
