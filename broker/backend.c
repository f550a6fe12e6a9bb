/*  backend.c - commands from workers ("MDPW01").

    A worker message (parsed by lib/mdp.c) is: command byte, then the
    command's frames. Every message from a
    registered worker counts as a sign of life. A valid but unexpected
    command, or one we do not know, is answered with DISCONNECT (and the
    worker, if registered, is removed and its request redelivered): a worker
    that breaks the protocol is safer gone, and a well-behaved one simply
    reconnects and sends READY again.                                      */

#include "broker_impl.h"

#include <string.h>

int
broker_worker_command (zlb_broker_t *self, zframe_t *address, int command)
{
    mdp_view_t message = {.peer = mdp_bytes (zframe_data (address), zframe_size (address)),
                          .worker = true, .command = command};
    return broker_send (self, &message, false);
}

//  Answer a protocol error with DISCONNECT and forget the worker.
static void
s_protocol_error (zlb_broker_t *self, mdp_bytes_t sender, broker_worker_t *worker,
                  const char *reason)
{
    char name [BROKER_WORKER_NAME_MAX];
    broker_warn (self, "worker_protocol_error", "peer=%s reason=\"%s\" registered=%s",
                 broker_address_str (sender.data, sender.size, name, sizeof (name)), reason,
                 worker ? "yes" : "no");
    self->stats.disconnects++;
    if (worker)
        broker_worker_delete (self, &worker, true, reason);
    else {
        mdp_view_t message = {.peer = sender, .worker = true, .command = MDP_DISCONNECT};
        broker_send (self, &message, false);
    }
}

//  Why a READY cannot be taken, or NULL.
static const char *
s_ready_refusal (broker_worker_t *worker, const mdp_view_t *view, mdp_error_t error)
{
    if (worker)
        return "READY from a registered worker";
    switch (error) {
        case MDP_OK:        break;
        case MDP_E_SHORT:   return "READY without service";
        case MDP_E_EXTRA:   return "READY with extra frames";
        default:            return "READY with invalid service name";
    }
    if (mdp_service_is_mmi (view->service))
        return "READY for a reserved mmi.* service";
    return NULL;
}

//  READY: service [, "credit=N"]. Refused for mmi.*, invalid names, other
//  extra frames, and registered workers.
static void
s_ready (zlb_broker_t *self, broker_worker_t *worker, const mdp_view_t *view,
         mdp_error_t error)
{
    const char *refusal = s_ready_refusal (worker, view, error);
    broker_service_t *service = NULL;
    if (!refusal) {
        mdp_bytes_t name = view->service;
        service = broker_service_require (self, name.data, name.size);
        //  Requests alone never keep a worker out (docs/reliability.md).
        if (!service && broker_services_evict (self))
            service = broker_service_require (self, name.data, name.size);
        if (!service)
            refusal = "service table full";
    }
    if (refusal) {
        s_protocol_error (self, view->peer, worker, refusal);
        return;
    }
    worker = broker_worker_register (self, view->peer, service, view->credit,
                                     view->credit_max);
    if (!worker)
        return;
    if (self->security)
        broker_security_bind (self, worker, view->header);
    if (view->windowed) {
        //  Tell a credit worker its window was taken: it now knows we
        //  understand pausing and handing back (docs/protocol.md).
        mdp_view_t granted = {.peer = view->peer, .worker = true, .command = MDP_HEARTBEAT,
                              .credit = worker->credit, .windowed = true};
        broker_send (self, &granted, false);
    }
    if (worker->credit > 0)
        broker_worker_ready (self, worker);
}

//  A worker's reply to request: forward it (body frames moved out of the
//  view), count it, free the request, and put the worker back in line if
//  it was full.
static void
s_forward_reply (zlb_broker_t *self, broker_worker_t *worker, broker_request_t *request,
                 mdp_view_t *view)
{
    //  We route by what we remember, not by what the worker says.
    broker_service_t *service = worker->service;
    mdp_view_t reply = {.peer = mdp_bytes (request->client, request->client_size),
                        .client = true, .service = mdp_bytes (service->name, service->name_size),
                        .body = view->body, .body_count = view->body_count};
    broker_send (self, &reply, false);
    self->stats.replies++;
    worker->served++;
    service->stats.replies++;
    broker_timing_record (&service->stats.timing,
                          (zlb_mono_ns () - request->delivered_ns) / 1000);
    if (zlb_log_enabled (self->log, ZLB_LOG_DEBUG)) {
        char name [BROKER_WORKER_NAME_MAX];
        zlb_log_kv (self->log, ZLB_LOG_DEBUG, "reply", ZLB_STR ("worker", worker->name),
                    ZLB_STR ("client", broker_address_str (request->client, request->client_size,
                                                           name, sizeof (name))),
                    ZLB_STR ("service", service->name), ZLB_INT ("attempt", request->deliveries),
                    ZLB_INT ("age_ms", broker_now (self) - request->received));
    }
    broker_request_destroy (self, &request);
    //  One that was full is ready again; one with credit left moves up
    //  among the ready, having one request less in flight. One whose
    //  window shrank below what it holds stays out until it has room.
    if (worker->inflight >= worker->credit)
        return;
    if (!worker->ready_handle)
        broker_worker_ready (self, worker);
    else
        broker_service_place_ready (service, worker);
}

//  A strict worker's REPLY answers its one request whatever address it
//  echoes; a different one is worth a warning.
static void
s_check_echo (zlb_broker_t *self, broker_worker_t *worker, broker_request_t *request,
              mdp_bytes_t address)
{
    if (worker->credit_max == 1
    &&  (address.size != request->client_size
         || memcmp (address.data, request->client, address.size) != 0))
        broker_warn (self, "reply_address_mismatch", "worker=%s",  worker->name);
}

//  REPLY: client address, "", body... Only from a worker holding a request.
static void
s_reply (zlb_broker_t *self, broker_worker_t *worker, mdp_view_t *view, mdp_error_t error)
{
    broker_request_t *request = NULL;
    if (!worker || !worker->request)
        s_protocol_error (self, view->peer, worker, "REPLY from a worker holding no request");
    else
    if (error != MDP_OK)
        s_protocol_error (self, view->peer, worker, "malformed REPLY envelope");
    else
    if (!(request = broker_worker_release (worker, view->address.data, view->address.size)))
        s_protocol_error (self, view->peer, worker, "REPLY matching no request in flight");
    else {
        s_check_echo (self, worker, request, view->address);
        s_forward_reply (self, worker, request, view);
    }
}

//  HEARTBEAT "credit=N" address: the worker hands back, unserved, a request
//  it got from us while it was full with other brokers' requests. It goes
//  back to the head of its queue, not counted as a delivery, and on to
//  another worker at once.
static int
s_hand_back (zlb_broker_t *self, broker_worker_t *worker, const mdp_view_t *view)
{
    mdp_bytes_t address = view->address;
    broker_request_t *request = worker->request
                              ? broker_worker_release (worker, address.data, address.size)
                              : NULL;
    if (!request) {
        s_protocol_error (self, view->peer, worker, "HEARTBEAT handing back no request in flight");
        return -1;
    }
    request->deliveries--;
    request->deadline = broker_now (self) + self->options.request_timeout_ms;
    self->stats.handed_back++;
    broker_request_enqueue (self, request, true);
    broker_dispatch_later (self, worker->service);
    zlb_log_kv (self->log, ZLB_LOG_DEBUG, "request_handed_back", ZLB_STR ("worker", worker->name),
                ZLB_STR ("service", worker->service->name), ZLB_INT ("inflight", worker->inflight));
    return 0;
}

//  HEARTBEAT and DISCONNECT take no frames but the credit extension's: a
//  worker's new window ("credit=N" on HEARTBEAT), and a request handed
//  back after it. Other or malformed extra frames are ignored (as they
//  always were: the command is what counts).
static void
s_heartbeat (zlb_broker_t *self, broker_worker_t *worker, const mdp_view_t *view,
             mdp_error_t error)
{
    if (!worker) {
        //  Probably registered with a broker that restarted: make it re-register.
        s_protocol_error (self, view->peer, NULL, "HEARTBEAT from an unknown worker");
        return;
    }
    if (error == MDP_OK && view->windowed) {
        if (view->address.data && s_hand_back (self, worker, view) != 0)
            return;               //  a protocol error: the worker is gone
        broker_worker_set_window (self, worker, view->credit);
        return;                   //  a window update, not a heartbeat of its own
    }
    zlb_log_kv (self->log, ZLB_LOG_DEBUG, "heartbeat_recv", ZLB_STR ("worker", worker->name),
                ZLB_STR ("busy", worker->request ? "yes" : "no"));
}

void
broker_worker_message (zlb_broker_t *self, mdp_view_t *view, mdp_error_t error)
{
    broker_worker_t *worker = broker_worker_lookup_bytes (self, view->peer.data,
                                                          view->peer.size);
    if (worker)
        broker_worker_refresh (self, worker);
    switch (view->command) {
        case MDP_READY:      s_ready (self, worker, view, error); break;
        case MDP_REPLY:      s_reply (self, worker, view, error); break;
        case MDP_HEARTBEAT:  s_heartbeat (self, worker, view, error); break;
        case MDP_DISCONNECT:
            if (worker)
                broker_worker_delete (self, &worker, false, "disconnect");
            break;
        case MDP_REQUEST:
            s_protocol_error (self, view->peer, worker, "REQUEST from a worker");
            break;
        default:
            s_protocol_error (self, view->peer, worker, mdp_strerror (MDP_E_COMMAND));
            break;
    }
}
