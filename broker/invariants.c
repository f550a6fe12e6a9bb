/*  invariants.c - the broker's bookkeeping rules, checked from outside.

    Called by the unit-test fixture and the broker fuzzer after every step
    (never by the broker itself: it costs a walk over every table). Each
    rule is one the counters and lists must keep between two steps; the
    first broken one is returned as text, so a failing test says which.   */

#include "broker_impl.h"

#include <stdio.h>

//  Body bytes a request really holds, from its frames.
static size_t
s_request_bytes (broker_request_t *request)
{
    size_t bytes = 0;
    for (size_t index = 0; index < request->body_frames; index++)
        bytes += zmq_msg_size (&request->body [index]);
    return bytes;
}

//  One service: its queue (counted into queued and held) and its ready list.
static const char *
s_check_service (broker_service_t *service, size_t *queued, size_t *held)
{
    broker_request_t *request = (broker_request_t *) zlistx_first (service->requests);
    for (; request; request = (broker_request_t *) zlistx_next (service->requests)) {
        if (request->service != service || !request->handle)
            return "a queued request does not point back at its service and queue";
        if (s_request_bytes (request) != request->body_bytes)
            return "a queued request's body_bytes is not the sum of its frames";
        *held += request->body_bytes;
    }
    *queued += zlistx_size (service->requests);
    if (zlistx_size (service->ready) && zlistx_size (service->requests))
        return "a service has both ready workers and queued requests";
    if (service->pending)
        return "a service is still waiting for its dispatch after the step";
    broker_worker_t *worker = (broker_worker_t *) zlistx_first (service->ready);
    broker_worker_t *before = NULL;
    for (; worker; before = worker, worker = (broker_worker_t *) zlistx_next (service->ready)) {
        if (worker->service != service || !worker->ready_handle)
            return "a ready worker is listed under another service";
        if (before && (before->inflight > worker->inflight
                   || (before->inflight == worker->inflight && before->ready_seq > worker->ready_seq)))
            return "the ready list is not fewest-in-flight first, least recently used among equals";
    }
    return NULL;
}

//  One worker: its in-flight list (counted into held) and its ready state.
static const char *
s_check_worker (broker_worker_t *worker, size_t *held)
{
    int length = 0;
    broker_request_t *last = NULL;
    for (broker_request_t *request = worker->request; request; request = request->next) {
        if (request->handle)
            return "an in-flight request is also in a queue";
        if (s_request_bytes (request) != request->body_bytes)
            return "an in-flight request's body_bytes is not the sum of its frames";
        *held += request->body_bytes;
        last = request;
        length++;
    }
    if (length != worker->inflight)
        return "a worker's inflight count is not the length of its in-flight list";
    if (last != worker->request_tail)
        return "a worker's request_tail is not the last of its in-flight list";
    if (worker->inflight > worker->credit_max)
        return "a worker holds more requests than its credit";
    if (worker->credit < 0 || worker->credit > worker->credit_max)
        return "a worker's window is outside 0..credit_max";
    if ((worker->ready_handle != NULL) != (worker->inflight < worker->credit))
        return "a worker is in the ready list but has no credit, or has credit but is not";
    if (worker->gone)
        return "a worker a send failed on is still registered after the step";
    return NULL;
}

//  The heartbeat round stops at the first worker not due: by_sent must
//  hold every worker, least recently sent to first.
static const char *
s_check_by_sent (zlb_broker_t *self)
{
    int64_t previous = INT64_MIN;
    broker_worker_t *worker = (broker_worker_t *) zlistx_first (self->by_sent);
    for (; worker; worker = (broker_worker_t *) zlistx_next (self->by_sent)) {
        if (worker->sent_at < previous)
            return "the by_sent list is out of order";
        previous = worker->sent_at;
    }
    if (zlistx_size (self->by_sent) != zhashx_size (self->workers))
        return "the worker table and the by_sent list differ";
    return NULL;
}

const char *
broker_check_invariants (zlb_broker_t *self)
{
    size_t queued = 0, held = 0, registered = 0;
    const char *broken = NULL;
    broker_service_t *service = (broker_service_t *) zhashx_first (self->services);
    for (; service && !broken; service = (broker_service_t *) zhashx_next (self->services))
        broken = s_check_service (service, &queued, &held);
    broker_worker_t *worker = (broker_worker_t *) zlistx_first (self->by_expiry);
    for (; worker && !broken; worker = (broker_worker_t *) zlistx_next (self->by_expiry)) {
        broken = s_check_worker (worker, &held);
        registered++;
    }
    if (broken)
        return broken;
    if (queued != self->stats.queued)
        return "stats.queued is not the sum of the service queues";
    if (held != self->stats.held_bytes)
        return "stats.held_bytes is not the sum of the bodies held";
    if (registered != zhashx_size (self->workers))
        return "the worker table and the expiry list differ";
    if (self->pending || self->gone)
        return "dispatch or removal left pending after the step";
    return s_check_by_sent (self);
}
