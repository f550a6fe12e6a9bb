/*  service.c - services: a list of ready workers and a FIFO of requests.

    Invariant after every dispatch: a service has ready workers or queued
    requests, never both. The ready list holds every worker with spare
    credit, fewest requests in flight first and least recently used among
    equals, so a request goes to idle capacity before it queues behind
    another worker's work; the request list is oldest first except that
    redelivered requests go to its front.                                   */

#include "broker_impl.h"

#include <string.h>

//  The ready list's order: requests in flight, then when placed.
static int
s_ready_order (const void *item1, const void *item2)
{
    const broker_worker_t *one = (const broker_worker_t *) item1;
    const broker_worker_t *two = (const broker_worker_t *) item2;
    if (one->inflight != two->inflight)
        return one->inflight < two->inflight ? -1 : 1;
    return one->ready_seq < two->ready_seq ? -1 : one->ready_seq > two->ready_seq;
}

void
broker_service_place_ready (broker_service_t *service, broker_worker_t *worker)
{
    //  The newest stamp sorts after every equal, and the search runs from
    //  the back, where a worker with the fewest in flight usually belongs.
    worker->ready_seq = ++service->ready_stamp;
    if (worker->ready_handle)
        zlistx_reorder (service->ready, worker->ready_handle, false);
    else
        worker->ready_handle = zlistx_insert (service->ready, worker, false);
}

broker_service_t *
broker_service_lookup (zlb_broker_t *self, const void *name, size_t size)
{
    if (!mdp_service_valid (name, size))
        return NULL;
    char key [MDP_SERVICE_MAX + 1];
    memcpy (key, name, size);
    key [size] = 0;
    return (broker_service_t *) zhashx_lookup (self->services, key);
}

static void
s_service_destroy (zlb_broker_t *self, broker_service_t **service_p)
{
    broker_service_t *service = *service_p;
    if (!service)
        return;
    broker_request_t *request;
    while (service->requests
    &&    (request = (broker_request_t *) zlistx_detach (service->requests, NULL))) {
        request->handle = NULL;
        self->stats.queued--;
        broker_request_destroy (self, &request);
    }
    zlistx_destroy (&service->requests);
    zlistx_destroy (&service->ready);
    broker_pending_forget (self, service, NULL);
    free (service->name);
    free (service);
    *service_p = NULL;
}

broker_service_t *
broker_service_require (zlb_broker_t *self, const void *name, size_t size)
{
    broker_service_t *service = broker_service_lookup (self, name, size);
    if (service || !mdp_service_valid (name, size))
        return service;
    if (zhashx_size (self->services) >= self->options.max_services)
        return NULL;
    service = (broker_service_t *) zmalloc (sizeof (broker_service_t));
    if (!service)
        return NULL;
    service->name = strndup ((const char *) name, size);
    service->name_size = size;
    service->requests = zlistx_new ();
    service->ready = zlistx_new ();
    if (service->ready)
        zlistx_set_comparator (service->ready, s_ready_order);
    if (!service->name || !service->requests || !service->ready
    ||  zhashx_insert (self->services, service->name, service) != 0) {
        s_service_destroy (self, &service);
        return NULL;
    }
    zlb_log_kv (self->log, ZLB_LOG_DEBUG, "service_new", ZLB_STR ("service", service->name),
                ZLB_UINT ("services", zhashx_size (self->services)));
    return service;
}

bool
broker_services_evict (zlb_broker_t *self)
{
    broker_service_t *victim = (broker_service_t *) zhashx_first (self->services);
    while (victim && victim->workers > 0)
        victim = (broker_service_t *) zhashx_next (self->services);
    if (!victim)
        return false;
    broker_event (self, ZLB_LOG_WARNING, "service_evicted", ZLB_STR ("service", victim->name),
                  ZLB_UINT ("queued", zlistx_size (victim->requests)),
                  ZLB_STR ("reason", "service table full, a worker needs room"));
    broker_request_t *request;
    while ((request = (broker_request_t *) zlistx_detach (victim->requests, NULL))) {
        request->handle = NULL;
        self->stats.queued--;
        broker_request_fail (self, &request, ZLB_STATUS_BUSY,
                             "service table full: service without workers dropped");
    }
    zhashx_delete (self->services, victim->name);
    s_service_destroy (self, &victim);
    return true;
}

static broker_request_t *
s_dequeue (zlb_broker_t *self, broker_service_t *service)
{
    broker_request_t *request = (broker_request_t *) zlistx_detach (service->requests, NULL);
    if (request) {
        request->handle = NULL;
        self->stats.queued--;
    }
    return request;
}

//  The client address frame for a worker. A credit worker may hold several
//  requests from one client, so its copy carries a tag that its REPLY echoes
//  back (MDP workers echo that frame verbatim); a strict worker gets the
//  plain address, exactly as MDP 0.1 says.
static size_t
s_address_for (broker_worker_t *worker, broker_request_t *request, byte *buf)
{
    size_t size = request->client_size;
    memcpy (buf, request->client, size);
    if (worker->credit_max == 1)
        return size;
    request->tag = worker->next_tag++;
    buf [size] = (byte) (request->tag >> 24);
    buf [size + 1] = (byte) (request->tag >> 16);
    buf [size + 2] = (byte) (request->tag >> 8);
    buf [size + 3] = (byte) request->tag;
    return size + BROKER_TAG_SIZE;
}

//  Send a request to a worker: "", MDPW01, REQUEST, client, "", body...
static int
s_deliver (zlb_broker_t *self, broker_worker_t *worker, broker_request_t *request)
{
    byte address [BROKER_ADDRESS_MAX + BROKER_TAG_SIZE];
    size_t address_size = s_address_for (worker, request, address);
    mdp_view_t message = {.peer = mdp_bytes (worker->key.data, worker->key.size),
                          .worker = true, .command = MDP_REQUEST,
                          .address = mdp_bytes (address, address_size),
                          .body = request->body, .body_count = request->body_frames};
    //  The body goes as reference-counted copies: it stays ours for redelivery.
    if (broker_send (self, &message, true) == -1)
        return -1;
    request->deliveries++;
    request->delivered_ns = zlb_mono_ns ();
    broker_worker_sent (self, worker);
    self->stats.routed++;
    if (zlb_log_enabled (self->log, ZLB_LOG_DEBUG)) {
        char client [BROKER_WORKER_NAME_MAX];
        zlb_log_kv (self->log, ZLB_LOG_DEBUG, "request_routed",
                    ZLB_STR ("client", broker_address_str (request->client, request->client_size,
                                                           client, sizeof (client))),
                    ZLB_STR ("worker", worker->name), ZLB_STR ("service", request->service->name),
                    ZLB_INT ("attempt", request->deliveries),
                    ZLB_INT ("waited_ms", broker_now (self) - request->received));
    }
    return 0;
}

//  Give a request to the worker at the head of the ready queue. 0 when it
//  went; -1 when that worker could not be reached: then the worker is out
//  of the ready queue, marked gone (removed after this step), and the
//  request is still the caller's.
static int
s_hand_over (zlb_broker_t *self, broker_service_t *service, broker_request_t *request)
{
    broker_worker_t *worker = (broker_worker_t *) zlistx_first (service->ready);
    if (s_deliver (self, worker, request) == 0) {
        broker_worker_hold (worker, request);
        //  Credit left: behind the workers with less in flight (moved,
        //  not reallocated), so credit fills a worker only when all are busy.
        if (worker->inflight < worker->credit)
            broker_service_place_ready (service, worker);
        else {
            zlistx_delete (service->ready, worker->ready_handle);
            worker->ready_handle = NULL;
        }
        return 0;
    }
    broker_worker_gone (self, worker);
    return -1;
}

void
broker_service_submit (zlb_broker_t *self, broker_service_t *service,
                       broker_request_t *request)
{
    if (zlistx_size (service->requests) == 0 && zlistx_size (service->ready)
    &&  s_hand_over (self, service, request) == 0)
        return;
    broker_request_enqueue (self, request, false);
    if (zlistx_size (service->ready))
        broker_dispatch_later (self, service);
}

void
broker_service_dispatch (zlb_broker_t *self, broker_service_t *service)
{
    while (zlistx_size (service->ready) && zlistx_size (service->requests)) {
        broker_request_t *request = s_dequeue (self, service);
        //  If the worker cannot be reached it never got the request, so the
        //  request keeps its place and its delivery count.
        if (s_hand_over (self, service, request) != 0)
            broker_request_enqueue (self, request, true);
    }
}

void
broker_services_expire (zlb_broker_t *self, int64_t now)
{
    broker_service_t *service = (broker_service_t *) zhashx_first (self->services);
    for (; service; service = (broker_service_t *) zhashx_next (self->services)) {
        broker_request_t *request = (broker_request_t *) zlistx_first (service->requests);
        for (; request; request = (broker_request_t *) zlistx_next (service->requests)) {
            if (request->deadline > now)
                continue;
            zlistx_detach_cur (service->requests);
            request->handle = NULL;
            self->stats.queued--;
            char client [BROKER_WORKER_NAME_MAX];
            broker_event (self, ZLB_LOG_INFO, "request_expired",
                        ZLB_STR ("client", broker_address_str (request->client,
                                           request->client_size, client, sizeof (client))),
                        ZLB_STR ("service", service->name),
                        ZLB_INT ("age_ms", now - request->received),
                        ZLB_INT ("attempt", request->deliveries));
            broker_request_fail (self, &request, ZLB_STATUS_NO_WORKER,
                                 "no worker for the service within the deadline");
        }
    }
}

void
broker_services_reap (zlb_broker_t *self)
{
    zlistx_t *idle = NULL;
    broker_service_t *service = (broker_service_t *) zhashx_first (self->services);
    for (; service; service = (broker_service_t *) zhashx_next (self->services)) {
        if (service->workers == 0 && zlistx_size (service->requests) == 0) {
            if (!idle)
                idle = zlistx_new ();
            if (idle)
                zlistx_add_end (idle, service);
        }
    }
    service = idle ? (broker_service_t *) zlistx_first (idle) : NULL;
    for (; service; service = (broker_service_t *) zlistx_next (idle)) {
        zlb_log_kv (self->log, ZLB_LOG_DEBUG, "service_reaped", ZLB_STR ("service", service->name));
        zhashx_delete (self->services, service->name);
        s_service_destroy (self, &service);
    }
    zlistx_destroy (&idle);
}

void
broker_services_destroy_all (zlb_broker_t *self)
{
    broker_service_t *service;
    while ((service = (broker_service_t *) zhashx_first (self->services))) {
        zhashx_delete (self->services, service->name);
        s_service_destroy (self, &service);
    }
}
