/*  request.c - requests the broker holds: queued or in flight at a worker.

    A request keeps the client's address and body frames until a reply has
    been forwarded or the client has been answered with an error, so a
    worker's death never loses it. Spare request objects are kept on a
    bounded free list: under load the broker allocates no request structs. */

#include "broker_impl.h"

#include <string.h>

#define BROKER_REQUEST_POOL_MAX 1024  //  spare request objects kept

broker_request_t *
broker_request_new (zlb_broker_t *self, zframe_t **client_p, zmsg_t **body_p,
                    broker_service_t *service)
{
    broker_request_t *request = (broker_request_t *) zlistx_detach (self->request_pool, NULL);
    if (!request)
        request = (broker_request_t *) zmalloc (sizeof (broker_request_t));
    if (!request) {
        zframe_destroy (client_p);
        zmsg_destroy (body_p);
        return NULL;
    }
    request->client = *client_p;
    *client_p = NULL;
    request->body = *body_p;
    *body_p = NULL;
    request->service = service;
    request->received = broker_now (self);
    request->deadline = request->received + self->options.request_timeout_ms;
    request->deliveries = 0;
    request->handle = NULL;
    return request;
}

void
broker_request_destroy (zlb_broker_t *self, broker_request_t **request_p)
{
    broker_request_t *request = *request_p;
    if (!request)
        return;
    *request_p = NULL;
    assert (!request->handle);   //  callers take it out of its queue first
    zframe_destroy (&request->client);
    zmsg_destroy (&request->body);
    if (self->request_pool
    &&  zlistx_size (self->request_pool) < BROKER_REQUEST_POOL_MAX) {
        memset (request, 0, sizeof (*request));
        zlistx_add_end (self->request_pool, request);
    }
    else
        free (request);
}

void
broker_request_pool_destroy (zlb_broker_t *self)
{
    void *spare;
    while ((spare = zlistx_detach (self->request_pool, NULL)))
        free (spare);
    zlistx_destroy (&self->request_pool);
}

void
broker_request_fail (zlb_broker_t *self, broker_request_t **request_p, int status,
                     const char *text)
{
    broker_request_t *request = *request_p;
    if (!request)
        return;
    broker_service_t *service = request->service;
    broker_client_error (self, request->client, service->name, service->name_size,
                         zmsg_first (request->body), status, text);
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
    mdp_address_str (request->client, client, sizeof (client));
    //  deliveries - 1 redeliveries have been made so far.
    if (request->deliveries > self->options.max_redeliveries) {
        zlb_log (self->log, ZLB_LOG_WARNING, "request_failed",
                 "client=%s service=%s worker=%s reason=\"%s\" attempts=%d age_ms=%" PRId64,
                 client, request->service->name, worker->name, reason,
                 request->deliveries, now - request->received);
        broker_request_fail (self, &request, ZLB_STATUS_FAILED,
                             "workers failed while holding the request too many times");
        return;
    }
    self->stats.redeliveries++;
    request->service->stats.redeliveries++;
    zlb_log (self->log, ZLB_LOG_WARNING, "request_redeliver",
             "client=%s service=%s worker=%s reason=\"%s\" attempt=%d age_ms=%" PRId64,
             client, request->service->name, worker->name, reason,
             request->deliveries + 1, now - request->received);
    //  A fresh deadline: the wait for the next worker starts now.
    request->deadline = now + self->options.request_timeout_ms;
    broker_request_enqueue (self, request, true);
}
