/*  frontend.c - requests from clients ("MDPC01").

    A client REQUEST is: service, body... (parsed by lib/mdp.c, checked by
    broker.c). Anything we cannot route gets an error reply at once, so a
    client never waits for nothing; only a message without even a service
    frame is dropped (there is nothing to answer on).                       */

#include "broker_impl.h"

#include <string.h>

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
    //  Per-service error counts (a lookup, but this is the error path).
    broker_service_t *known = broker_service_lookup (self, service, service_size);
    broker_client_error (self, client, client_size, known, service, service_size, body,
                         body_size, status, text);
}

static void
s_reject (zlb_broker_t *self, const mdp_view_t *view, int status, const char *text)
{
    zmq_msg_t *body = view->body_count ? view->body : NULL;
    s_reject_bytes (self, view->peer.data, view->peer.size, view->service.data,
                    view->service.size, body ? zmq_msg_data (body) : NULL,
                    body ? zmq_msg_size (body) : 0, status, text);
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

//  A valid request for a real service: take its frames (moved, not
//  copied) and queue or hand it over.
static void
s_accept (zlb_broker_t *self, mdp_view_t *view, bool truncated)
{
    broker_service_t *service = broker_service_require (self, view->service.data,
                                                        view->service.size);
    const char *full = service ? s_no_room (self, service, view->body_bytes) : NULL;
    if (!service)
        s_reject (self, view, ZLB_STATUS_BUSY, "service table full");
    else
    if (full)
        s_reject (self, view, ZLB_STATUS_BUSY, full);
    else
    if (truncated || view->body_count > BROKER_BODY_MAX)
        s_reject (self, view, ZLB_STATUS_BAD_REQUEST, "request body has too many frames");
    else {
        broker_request_t *request = broker_request_new (self, view->peer.data,
                                                        view->peer.size, service);
        if (!request)
            return;              //  out of memory; the client will retry
        for (size_t index = 0; index < view->body_count; index++)
            broker_request_take (self, request, &view->body [index]);
        self->stats.requests++;
        service->stats.requests++;
        broker_service_submit (self, service, request);
    }
}

void
broker_client_message (zlb_broker_t *self, mdp_view_t *view, mdp_error_t error,
                       bool truncated)
{
    if (error == MDP_E_SERVICE)
        s_reject (self, view, ZLB_STATUS_BAD_REQUEST, "invalid service name");
    else
    if (error == MDP_E_BODY)
        s_reject (self, view, ZLB_STATUS_BAD_REQUEST, "request without body");
    else
    if (view->body_bytes > self->options.max_body)
        s_reject (self, view, ZLB_STATUS_TOO_LARGE, "request body too large");
    else
    if (mdp_service_is_mmi (view->service))
        broker_mmi_request (self, view);
    else
        s_accept (self, view, truncated);
}
