/*  zlb/codec.h - the msgpack bodies of zlb requests, replies and confirmations.

    The schemas are in docs/protocol.md. Decoders never trust their input:
    anything that is not the expected map with the expected types returns -1
    and leaves a short reason in `err` (when not NULL). Decoded strings and
    payloads point into the frame that was decoded (zero copy): they are
    valid as long as that frame lives and is not modified.                   */

#ifndef ZLB_CODEC_H_INCLUDED
#define ZLB_CODEC_H_INCLUDED

#include <czmq.h>
#include <stddef.h>
#include <stdint.h>

//  Request body: one frame, a map {id, ts, payload[, attempt]}.
typedef struct {
    uint64_t id;              //  unique per client, never 0
    uint64_t ts;              //  client send time, ns (zlb_time_ns)
    uint32_t attempt;         //  1 on the first send, +1 on each client retry
    const uint8_t *payload;   //  opaque bytes (borrowed)
    size_t payload_size;
} zlb_request_t;

//  Main reply: a map {id, payload}.
typedef struct {
    uint64_t id;
    const uint8_t *payload;   //  borrowed; NULL/0 for an empty reply
    size_t payload_size;
} zlb_reply_t;

//  Confirmation: a map {id, status, worker, t_recv, t_send, attempt[, error]}.
typedef struct {
    uint64_t id;
    int status;               //  ZLB_STATUS_*
    const char *worker;       //  worker id, NUL-terminated copy in worker_buf
    int64_t t_recv;           //  worker clock, ns, when the request arrived (0 if none)
    int64_t t_send;           //  worker clock, ns, when the reply left (0 if none)
    uint32_t attempt;         //  the request's attempt number
    const char *error;        //  NULL when status is 200; else text in error_buf
    char worker_buf[64 + 1];  //  storage for worker (filled by the decoder)
    char error_buf[256];      //  storage for error (filled by the decoder)
} zlb_confirm_t;

//  Encoders return a new frame owned by the caller, or NULL on out of memory
//  (or a NULL argument: errno EINVAL).
zframe_t *zlb_request_encode (const zlb_request_t *request);
zframe_t *zlb_reply_encode (const zlb_reply_t *reply);
zframe_t *zlb_confirm_encode (const zlb_confirm_t *confirm);

//  Decoders: 0 on success, -1 with errno EINVAL on malformed input, a NULL
//  frame or a NULL output structure (reason in err, which may be NULL).
int zlb_request_decode (zframe_t *frame, zlb_request_t *request, const char **err);
int zlb_reply_decode (zframe_t *frame, zlb_reply_t *reply, const char **err);
int zlb_confirm_decode (zframe_t *frame, zlb_confirm_t *confirm, const char **err);

//  Best-effort: read just the `id` of a request body; 0 if there is none
//  (or frame is NULL).
//  The broker uses this only when it must answer a request itself.
uint64_t zlb_request_peek_id (zframe_t *frame);

//  The two frames a broker (or anyone) sends when it answers a request itself:
//  an empty reply map and a confirmation with this status and error text.
//  worker names who answered ("broker"); worker and error may be NULL.
//  Returns a new 2-frame message.
zmsg_t *zlb_error_reply_new (uint64_t id, int status, const char *worker,
                             const char *error);

#endif
