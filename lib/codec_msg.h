/*  codec_msg.h - the msgpack bodies (zlb/codec.h) on zmq_msg_t frames and
    plain bytes, for the client and worker libraries, which receive and send
    zmq_msg_t (lib/mdp.h) rather than czmq frames (internal). Same schemas,
    same checks, same zero copy as the zframe_t functions.                 */

#ifndef ZLB_CODEC_MSG_H_INCLUDED
#define ZLB_CODEC_MSG_H_INCLUDED

#include "zlb/codec.h"
#include <zmq.h>

//  Decoders on size bytes at data (NULL or 0: "empty body"); results point
//  into data. 0, or -1 with errno EINVAL and the reason in err.
int zlb_request_decode_mem (const void *data, size_t size, zlb_request_t *request,
                            const char **err);
int zlb_reply_decode_mem (const void *data, size_t size, zlb_reply_t *reply,
                          const char **err);
int zlb_confirm_decode_mem (const void *data, size_t size, zlb_confirm_t *confirm,
                            const char **err);

//  Encoders into frame (initialised here, owned by the caller after): 0,
//  or -1 (errno ENOMEM; EINVAL for a NULL body) with frame empty.
int zlb_request_encode_msg (zmq_msg_t *frame, const zlb_request_t *request);
int zlb_reply_encode_msg (zmq_msg_t *frame, const zlb_reply_t *reply);
int zlb_confirm_encode_msg (zmq_msg_t *frame, const zlb_confirm_t *confirm);

//  zlb_error_reply_new into two frames (an empty reply map, the
//  confirmation): 0, or -1 with both empty.
int zlb_error_reply_msg (zmq_msg_t frames [2], uint64_t id, int status, const char *worker,
                         const char *error);

#endif
