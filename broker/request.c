/*  request.c - requests the broker holds: queued or in flight at a worker.

    A request keeps the client's address and body frames until a reply has
    been forwarded or the client has been answered with an error, so a
    worker's death never loses it. Spare request objects are kept on a
    bounded free list: under load the broker allocates no request structs. */

#include "broker_impl.h"
#include "msgpack_guard.h"

#include <string.h>

#define BROKER_REQUEST_POOL_MAX 1024  //  spare request objects kept

//  Pooled requests keep their body frames initialised (empty), so that
//  taking one from the pool costs nothing.
static broker_request_t *
s_request_alloc (void)
{
    broker_request_t *request = (broker_request_t *) zmalloc (sizeof (broker_request_t));
    if (request)
        for (size_t index = 0; index < BROKER_BODY_MAX; index++)
            zmq_msg_init (&request->body [index]);
    return request;
}

broker_request_t *
broker_request_new (zlb_broker_t *self, const void *client, size_t client_size,
                    broker_service_t *service)
{
    //  The free list is intrusive (linked by next): taking and returning a
    //  request allocates nothing, not even a list node.
    broker_request_t *request = self->spare_requests;
    if (request) {
        self->spare_requests = request->next;
        self->spare_count--;
    }
    else
        request = s_request_alloc ();
    if (!request)
        return NULL;
    //  ZMTP caps routing ids at 255 bytes; the clamp only guards the buffer.
    request->client_size = client_size < BROKER_ADDRESS_MAX ? client_size : BROKER_ADDRESS_MAX;
    memcpy (request->client, client, request->client_size);
    request->body_frames = 0;
    request->body_bytes = 0;
    request->service = service;
    request->received = broker_now (self);
    request->deadline = request->received + self->options.request_timeout_ms;
    request->deliveries = 0;
    request->handle = NULL;
    request->next = NULL;
    return request;
}

//  The memory budget (max_held_bytes) counts every body byte we hold.
static void
s_count_bytes (zlb_broker_t *self, broker_request_t *request, size_t bytes)
{
    request->body_bytes += bytes;
    self->stats.held_bytes += bytes;
}

void
broker_request_take (zlb_broker_t *self, broker_request_t *request, zmq_msg_t *frame)
{
    assert (request->body_frames < BROKER_BODY_MAX);
    s_count_bytes (self, request, zmq_msg_size (frame));
    zmq_msg_move (&request->body [request->body_frames++], frame);
}

//  Back to empty frames (what is shared with libzmq is released).
static void
s_body_clear (zlb_broker_t *self, broker_request_t *request)
{
    self->stats.held_bytes -= request->body_bytes;
    request->body_bytes = 0;
    for (size_t index = 0; index < request->body_frames; index++) {
        zmq_msg_close (&request->body [index]);
        zmq_msg_init (&request->body [index]);
    }
    request->body_frames = 0;
}

void
broker_request_destroy (zlb_broker_t *self, broker_request_t **request_p)
{
    broker_request_t *request = *request_p;
    if (!request)
        return;
    *request_p = NULL;
    assert (!request->handle);   //  callers take it out of its queue first
    s_body_clear (self, request);
    if (self->spare_count < BROKER_REQUEST_POOL_MAX) {
        request->next = self->spare_requests;
        self->spare_requests = request;
        self->spare_count++;
    }
    else
        free (request);
}

void
broker_request_pool_destroy (zlb_broker_t *self)
{
    while (self->spare_requests) {
        broker_request_t *spare = self->spare_requests;
        self->spare_requests = spare->next;
        free (spare);
    }
    self->spare_count = 0;
}

void
broker_client_error (zlb_broker_t *self, const void *client, size_t client_size,
                     broker_service_t *known, const void *service, size_t service_size,
                     const void *body, size_t body_size, int status, const char *text)
{
    switch (status) {
        case ZLB_STATUS_BAD_REQUEST: self->stats.bad_request++; break;
        case ZLB_STATUS_TOO_LARGE:   self->stats.too_large++;   break;
        case ZLB_STATUS_FAILED:      self->stats.failed++;      break;
        case ZLB_STATUS_BUSY:        self->stats.busy++;        break;
        case ZLB_STATUS_NO_WORKER:   self->stats.deadline++;    break;
        default: break;
    }
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
    mdp_bytes_t parts [BROKER_SEND_PARTS_MAX];
    size_t count = 0;
    for (zframe_t *frame = zmsg_first (reply); frame && count < BROKER_SEND_PARTS_MAX;
         frame = zmsg_next (reply))
        parts [count++] = mdp_bytes (zframe_data (frame), zframe_size (frame));
    broker_send_client (self, mdp_bytes (client, client_size),
                        mdp_bytes (service, service_size), parts, count);
    zmsg_destroy (&reply);
}

void
broker_request_enqueue (zlb_broker_t *self, broker_request_t *request, bool front)
{
    zlistx_t *queue = request->service->requests;
    request->handle = front ? zlistx_add_start (queue, request)
                            : zlistx_add_end (queue, request);
    self->stats.queued++;
}

void
broker_request_fail (zlb_broker_t *self, broker_request_t **request_p, int status,
                     const char *text)
{
    broker_request_t *request = *request_p;
    if (!request)
        return;
    broker_service_t *service = request->service;
    zmq_msg_t *body = request->body_frames ? &request->body [0] : NULL;
    broker_client_error (self, request->client, request->client_size, service,
                         service->name, service->name_size, body ? zmq_msg_data (body) : NULL,
                         body ? zmq_msg_size (body) : 0, status, text);
    broker_request_destroy (self, request_p);
}

void
broker_request_redeliver (zlb_broker_t *self, broker_request_t **request_p,
                          broker_worker_t *worker, const char *reason)
{
    broker_request_t *request = *request_p;
    *request_p = NULL;
    int64_t now = broker_now (self);
    char client [BROKER_WORKER_NAME_MAX];
    broker_address_str (request->client, request->client_size, client, sizeof (client));
    //  deliveries - 1 redeliveries have been made so far.
    if (request->deliveries > self->options.max_redeliveries) {
        broker_event (self, ZLB_LOG_WARNING, "request_failed", ZLB_STR ("client", client),
                    ZLB_STR ("service", request->service->name), ZLB_STR ("worker", worker->name),
                    ZLB_STR ("reason", reason), ZLB_INT ("attempts", request->deliveries),
                    ZLB_INT ("age_ms", now - request->received));
        broker_request_fail (self, &request, ZLB_STATUS_FAILED,
                             "workers failed while holding the request too many times");
        return;
    }
    self->stats.redeliveries++;
    request->service->stats.redeliveries++;
    broker_event (self, ZLB_LOG_WARNING, "request_redeliver", ZLB_STR ("client", client),
                ZLB_STR ("service", request->service->name), ZLB_STR ("worker", worker->name),
                ZLB_STR ("reason", reason), ZLB_INT ("attempt", request->deliveries + 1),
                ZLB_INT ("age_ms", now - request->received));
    //  A fresh deadline: the wait for the next worker starts now.
    request->deadline = now + self->options.request_timeout_ms;
    broker_request_enqueue (self, request, true);
}
