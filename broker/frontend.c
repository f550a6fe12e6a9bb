/*  frontend.c - requests from clients ("MDPC01").

    A client REQUEST is: service, body... (after the sender, "" and header,
    which broker.c has already taken off). Anything we cannot route gets an
    error reply at once, so a client never waits for nothing; only a message
    without even a service frame is dropped (there is nothing to answer on). */

#include "broker_impl.h"
#include "msgpack_guard.h"

#include <string.h>

void
broker_client_error (zlb_broker_t *self, const void *client, size_t client_size,
                     const void *service, size_t service_size, const void *body,
                     size_t body_size, int status, const char *text)
{
    switch (status) {
        case ZLB_STATUS_BAD_REQUEST: self->stats.bad_request++; break;
        case ZLB_STATUS_TOO_LARGE:   self->stats.too_large++;   break;
        case ZLB_STATUS_FAILED:      self->stats.failed++;      break;
        case ZLB_STATUS_BUSY:        self->stats.busy++;        break;
        case ZLB_STATUS_NO_WORKER:   self->stats.deadline++;    break;
        default: break;
    }
    //  Per-service error counts (a lookup, but this is the error path).
    broker_service_t *known = broker_service_lookup (self, service, service_size);
    int kind = broker_err_index (status);
    if (known && kind >= 0)
        known->stats.errors [kind]++;
    //  The id, from the body's first BROKER_ID_PREFIX bytes only: an answer
    //  must never cost more than the request (docs/protocol.md). 0: none.
    uint64_t id = 0;
    zlb_msgpack_peek_uint ((const uint8_t *) body, body_size, BROKER_ID_PREFIX, "id", &id);
    zmsg_t *reply = zlb_error_reply_new (id, status, "broker", text);
    if (!reply)
        return;
    broker_part_t parts [] = {
        {"", 0}, {MDP_CLIENT, strlen (MDP_CLIENT)}, {service, service_size}
    };
    broker_send_to (self, client, client_size, parts, 3, reply);
    zmsg_destroy (&reply);
}

//  Total bytes of the body frames.
static size_t
s_body_size (zmsg_t *body)
{
    size_t total = 0;
    for (zframe_t *frame = zmsg_first (body); frame; frame = zmsg_next (body))
        total += zframe_size (frame);
    return total;
}

//  Log (rate-limited) and answer a request we will not take; body is its
//  first body frame (NULL if none), read for the id only.
static void
s_reject_bytes (zlb_broker_t *self, const void *client, size_t client_size,
                const void *service, size_t service_size, const void *body,
                size_t body_size, int status, const char *text)
{
    char name [BROKER_WORKER_NAME_MAX];
    zlb_log_kv_limited (self->log, &self->limit, ZLB_LOG_WARNING, "request_rejected",
                        ZLB_STR ("client", broker_address_str (client, client_size, name,
                                                               sizeof (name))),
                        ZLB_INT ("status", status), ZLB_STR ("reason", text),
                        ZLB_UINT ("service_bytes", service_size));
    broker_client_error (self, client, client_size, service, service_size, body, body_size,
                         status, text);
}

static void
s_reject (zlb_broker_t *self, zframe_t *sender, zframe_t *service, zmsg_t *msg,
          int status, const char *text)
{
    zframe_t *body = zmsg_first (msg);
    s_reject_bytes (self, zframe_data (sender), zframe_size (sender), zframe_data (service),
                    zframe_size (service), body ? zframe_data (body) : NULL,
                    body ? zframe_size (body) : 0, status, text);
}

//  Why a request of this size cannot be held now, or NULL when it can.
//  Both limits answer 503 "busy" at once: the client may try again later.
static const char *
s_no_room (zlb_broker_t *self, broker_service_t *service, size_t body_bytes)
{
    if (zlistx_size (service->requests) >= self->options.max_queue)
        return "service queue full";
    if (self->stats.held_bytes + body_bytes > self->options.max_held_bytes)
        return "broker memory budget full";
    return NULL;
}

//  A valid request for a real service: queue it and dispatch.
static void
s_accept (zlb_broker_t *self, zframe_t **sender_p, zframe_t *service_frame,
          zmsg_t **msg_p)
{
    zframe_t *sender = *sender_p;
    zmsg_t *msg = *msg_p;
    broker_service_t *service = broker_service_require (
        self, zframe_data (service_frame), zframe_size (service_frame));
    if (!service) {
        s_reject (self, sender, service_frame, msg, ZLB_STATUS_BUSY, "service table full");
        return;
    }
    const char *full = s_no_room (self, service, s_body_size (msg));
    if (full) {
        s_reject (self, sender, service_frame, msg, ZLB_STATUS_BUSY, full);
        return;
    }
    if (zmsg_size (msg) > BROKER_BODY_MAX) {
        s_reject (self, sender, service_frame, msg, ZLB_STATUS_BAD_REQUEST,
                  "request body has too many frames");
        return;
    }
    //  The general path copies the body (it came as czmq frames); the fast
    //  path (broker_client_fast) moves it.
    broker_request_t *request = broker_request_new (self, zframe_data (sender),
                                                    zframe_size (sender), service);
    if (!request)
        return;                  //  out of memory; the client will retry
    for (zframe_t *frame = zmsg_first (msg); frame; frame = zmsg_next (msg))
        if (broker_request_copy (self, request, frame) != 0) {
            broker_request_destroy (self, &request);
            return;
        }
    self->stats.requests++;
    service->stats.requests++;
    broker_service_submit (self, service, request);
}

void
broker_client_message (zlb_broker_t *self, zframe_t **sender_p, zmsg_t **msg_p)
{
    zframe_t *sender = *sender_p;
    zmsg_t *msg = *msg_p;
    zframe_t *service = zmsg_pop (msg);
    if (!service) {
        self->stats.malformed++;
        char name [BROKER_WORKER_NAME_MAX];
        broker_warn (self, "malformed_message", "peer=%s reason=\"%s\" frames=3",
                     mdp_address_str (sender, name, sizeof (name)),
                     "client request without service frame");
        return;
    }
    if (!mdp_service_valid (zframe_data (service), zframe_size (service)))
        s_reject (self, sender, service, msg, ZLB_STATUS_BAD_REQUEST, "invalid service name");
    else
    if (zmsg_size (msg) == 0)
        s_reject (self, sender, service, msg, ZLB_STATUS_BAD_REQUEST, "request without body");
    else
    if (s_body_size (msg) > self->options.max_body)
        s_reject (self, sender, service, msg, ZLB_STATUS_TOO_LARGE, "request body too large");
    else
    if (zframe_size (service) >= 4 && memcmp (zframe_data (service), "mmi.", 4) == 0)
        broker_mmi_request (self, sender, service, msg);
    else
        s_accept (self, sender_p, service, msg_p);
    zframe_destroy (&service);
}

//  --------------------------------------------------------------------------
//  Fast path: [sender, "", MDPC01, service, body...] as zmq_msg_t

static size_t
s_parts_size (zmq_msg_t *parts, size_t count)
{
    size_t total = 0;
    for (size_t index = 0; index < count; index++)
        total += zmq_msg_size (&parts [index]);
    return total;
}

//  A client REQUEST with a service frame and at least one body frame?
static bool
s_fast_shape (broker_input_t *input)
{
    zmq_msg_t *part = input->part;
    return !input->overflow && input->count >= 5 && input->count - 4 <= BROKER_BODY_MAX
        && zmq_msg_size (&part [1]) == 0 && zmq_msg_size (&part [2]) == strlen (MDP_CLIENT)
        && memcmp (zmq_msg_data (&part [2]), MDP_CLIENT, strlen (MDP_CLIENT)) == 0;
}

//  Answer an invalid name or an oversized body straight from the received
//  frames, as the general path would, but without copying the body into
//  czmq frames first: an error must never cost more than the request did.
//  false: neither case.
static bool
s_fast_reject (zlb_broker_t *self, broker_input_t *input, size_t body_bytes)
{
    zmq_msg_t *part = input->part;
    const void *name = zmq_msg_data (&part [3]);
    size_t size = zmq_msg_size (&part [3]);
    bool invalid = !mdp_service_valid (name, size);
    if (!invalid && body_bytes <= self->options.max_body)
        return false;
    s_reject_bytes (self, zmq_msg_data (&part [0]), zmq_msg_size (&part [0]), name, size,
                    zmq_msg_data (&part [4]), zmq_msg_size (&part [4]),
                    invalid ? ZLB_STATUS_BAD_REQUEST : ZLB_STATUS_TOO_LARGE,
                    invalid ? "invalid service name" : "request body too large");
    return true;
}

//  The service, when this message is a request the general path would
//  accept as it is (so taking it here changes nothing but the cost).
static broker_service_t *
s_fast_service (zlb_broker_t *self, broker_input_t *input, size_t body_bytes)
{
    zmq_msg_t *part = input->part;
    const char *name = (const char *) zmq_msg_data (&part [3]);
    size_t size = zmq_msg_size (&part [3]);
    if (size >= 4 && memcmp (name, "mmi.", 4) == 0)
        return NULL;
    //  An unknown service is created on the general path.
    broker_service_t *service = broker_service_lookup (self, name, size);
    if (!service || s_no_room (self, service, body_bytes))
        return NULL;
    return service;
}

bool
broker_client_fast (zlb_broker_t *self, broker_input_t *input)
{
    if (!s_fast_shape (input))
        return false;
    size_t body_bytes = s_parts_size (input->part + 4, input->count - 4);
    if (s_fast_reject (self, input, body_bytes))
        return true;
    broker_service_t *service = s_fast_service (self, input, body_bytes);
    if (!service)
        return false;
    zmq_msg_t *sender = &input->part [0];
    broker_request_t *request = broker_request_new (self, zmq_msg_data (sender),
                                                    zmq_msg_size (sender), service);
    if (!request)
        return true;             //  out of memory; the client will retry
    for (size_t index = 4; index < input->count; index++)
        broker_request_take (self, request, &input->part [index]);
    self->stats.requests++;
    service->stats.requests++;
    broker_service_submit (self, service, request);
    return true;
}
