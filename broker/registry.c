/*  registry.c - the table of registered workers, their liveness and removal.

    Workers are found by routing id in O(1): the hash is keyed by the
    worker's own address frame (hashed and compared by content), so a
    lookup with the frame that just arrived allocates nothing. by_expiry
    lists workers least recently heard from first; any message moves its
    sender to the end, so expiry only ever looks at the head.               */

#include "broker_impl.h"

#include <errno.h>
#include <string.h>

//  FNV-1a over the routing id's bytes.
static size_t
s_key_hash (const void *item)
{
    const broker_key_t *key = (const broker_key_t *) item;
    const unsigned char *bytes = key->data;
    size_t size = key->size;
    uint64_t hash = 1469598103934665603ULL;
    for (size_t index = 0; index < size; index++) {
        hash ^= bytes [index];
        hash *= 1099511628211ULL;
    }
    return (size_t) hash;
}

static int
s_key_compare (const void *item1, const void *item2)
{
    const broker_key_t *key1 = (const broker_key_t *) item1;
    const broker_key_t *key2 = (const broker_key_t *) item2;
    if (key1->size != key2->size)
        return key1->size < key2->size ? -1 : 1;
    return key1->size ? memcmp (key1->data, key2->data, key1->size) : 0;
}

zhashx_t *
broker_workers_table_new (void)
{
    zhashx_t *table = zhashx_new ();
    if (!table)
        return NULL;
    zhashx_set_key_hasher (table, s_key_hash);
    zhashx_set_key_comparator (table, s_key_compare);
    //  The key is the worker's own key (pointing into its address frame):
    //  the table neither copies nor frees it; broker_worker_delete removes
    //  the entry before the frame.
    zhashx_set_key_duplicator (table, NULL);
    zhashx_set_key_destructor (table, NULL);
    return table;
}

broker_worker_t *
broker_worker_lookup_bytes (zlb_broker_t *self, const void *data, size_t size)
{
    broker_key_t key = { (const byte *) data, size };
    return (broker_worker_t *) zhashx_lookup (self->workers, &key);
}

broker_worker_t *
broker_worker_lookup (zlb_broker_t *self, zframe_t *address)
{
    return broker_worker_lookup_bytes (self, zframe_data (address), zframe_size (address));
}

static int64_t
s_silence_ms (zlb_broker_t *self)
{
    return self->options.heartbeat_ms * self->options.liveness;
}

broker_worker_t *
broker_worker_register (zlb_broker_t *self, mdp_bytes_t address, broker_service_t *service,
                        int credit, int credit_max)
{
    broker_worker_t *worker = (broker_worker_t *) zmalloc (sizeof (broker_worker_t));
    if (!worker)
        return NULL;
    worker->address = zframe_new (address.data, address.size);
    if (!worker->address) {
        free (worker);
        return NULL;
    }
    broker_address_str (address.data, address.size, worker->name, sizeof (worker->name));
    worker->service = service;
    worker->credit_max = credit_max < 1 ? 1 : credit_max > BROKER_CREDIT_MAX
                       ? BROKER_CREDIT_MAX : credit_max;
    //  0: it joined paused (it is full with other brokers' requests).
    worker->credit = credit < 0 ? 0 : credit > worker->credit_max ? worker->credit_max : credit;
    worker->joined = broker_now (self);
    worker->heard = worker->joined;
    worker->sent_at = INT64_MIN;  //  sent nothing yet: the next round heartbeats it
    worker->expiry = worker->joined + s_silence_ms (self);
    worker->key = (broker_key_t) { zframe_data (worker->address),
                                   zframe_size (worker->address) };
    zhashx_insert (self->workers, &worker->key, worker);
    worker->expiry_handle = zlistx_add_end (self->by_expiry, worker);
    worker->sent_handle = zlistx_add_start (self->by_sent, worker);
    service->workers++;
    self->stats.workers_seen++;
    broker_event (self, ZLB_LOG_INFO, "worker_join", ZLB_STR ("worker", worker->name),
                ZLB_STR ("service", service->name), ZLB_INT ("credit", worker->credit),
                ZLB_INT ("credit_max", worker->credit_max),
                ZLB_UINT ("service_workers", service->workers),
                ZLB_UINT ("workers", zhashx_size (self->workers)));
    return worker;
}

void
broker_worker_refresh (zlb_broker_t *self, broker_worker_t *worker)
{
    worker->heard = broker_now (self);
    worker->expiry = worker->heard + s_silence_ms (self);
    zlistx_move_end (self->by_expiry, worker->expiry_handle);
}

void
broker_worker_sent (zlb_broker_t *self, broker_worker_t *worker)
{
    worker->sent_at = broker_now (self);
    zlistx_move_end (self->by_sent, worker->sent_handle);
}

void
broker_worker_ready (zlb_broker_t *self, broker_worker_t *worker)
{
    assert (worker->inflight < worker->credit && !worker->ready_handle);
    if (worker->gone)
        return;                   //  a send to it failed: it is about to go
    broker_service_place_ready (worker->service, worker);
    if (zlistx_size (worker->service->requests))
        broker_dispatch_later (self, worker->service);
}

void
broker_worker_fit (zlb_broker_t *self, broker_worker_t *worker)
{
    if (worker->inflight >= worker->credit && worker->ready_handle) {
        zlistx_delete (worker->service->ready, worker->ready_handle);
        worker->ready_handle = NULL;
    }
    else
    if (worker->inflight < worker->credit && !worker->ready_handle)
        broker_worker_ready (self, worker);
}

void
broker_worker_set_window (zlb_broker_t *self, broker_worker_t *worker, int window)
{
    window = window < 0 ? 0 : window > worker->credit_max ? worker->credit_max : window;
    bool changed = window != worker->credit;
    worker->credit = window;
    broker_worker_fit (self, worker);   //  also after a hand-back, window or not
    if (changed)
        zlb_log_kv (self->log, ZLB_LOG_DEBUG, "credit_window", ZLB_STR ("worker", worker->name),
                ZLB_INT ("credit", window), ZLB_INT ("inflight", worker->inflight));
}

void
broker_worker_hold (broker_worker_t *worker, broker_request_t *request)
{
    request->next = NULL;
    if (worker->request_tail)
        worker->request_tail->next = request;
    else
        worker->request = request;
    worker->request_tail = request;
    worker->inflight++;
}

//  The in-flight request a credit worker's REPLY answers: its address frame
//  is the client address plus our tag. Workers mostly answer in order, so
//  the search almost always stops at the head: O(1) in practice, and
//  never more than credit steps.
static broker_request_t **
s_inflight_find (broker_worker_t *worker, const byte *bytes, size_t size)
{
    if (size <= BROKER_TAG_SIZE)
        return NULL;
    const byte *tag = bytes + size - BROKER_TAG_SIZE;
    uint32_t value = (uint32_t) tag [0] << 24 | (uint32_t) tag [1] << 16
                   | (uint32_t) tag [2] << 8 | tag [3];
    broker_request_t **link = &worker->request;
    for (; *link; link = &(*link)->next) {
        broker_request_t *request = *link;
        if (request->tag == value && request->client_size == size - BROKER_TAG_SIZE
        &&  memcmp (request->client, bytes, size - BROKER_TAG_SIZE) == 0)
            return link;
    }
    return NULL;
}

broker_request_t *
broker_worker_release (broker_worker_t *worker, const void *address, size_t size)
{
    //  A strict MDP worker holds one request: its REPLY answers that one
    //  (the caller warns if the address it echoed differs).
    broker_request_t **link = worker->credit_max > 1
                            ? s_inflight_find (worker, (const byte *) address, size)
                            : &worker->request;
    if (!link || !*link)
        return NULL;
    broker_request_t *request = *link;
    *link = request->next;
    if (worker->request_tail == request) {
        //  It was the youngest: the new tail is the one that pointed at it.
        worker->request_tail = NULL;
        for (broker_request_t *r = worker->request; r; r = r->next)
            worker->request_tail = r;
    }
    request->next = NULL;
    worker->inflight--;
    return request;
}

void
broker_worker_delete (zlb_broker_t *self, broker_worker_t **worker_p, bool disconnect,
                      const char *reason)
{
    broker_worker_t *worker = *worker_p;
    if (!worker)
        return;
    *worker_p = NULL;
    if (disconnect)
        broker_worker_command (self, worker->address, MDP_DISCONNECT);
    //  Out of every table first, so that redelivery cannot pick it again.
    broker_service_t *service = worker->service;
    if (worker->ready_handle)
        zlistx_delete (service->ready, worker->ready_handle);
    zlistx_delete (self->by_expiry, worker->expiry_handle);
    zlistx_delete (self->by_sent, worker->sent_handle);
    zhashx_delete (self->workers, &worker->key);
    broker_pending_forget (self, NULL, worker);
    service->workers--;
    broker_request_t *request = worker->request;
    worker->request = worker->request_tail = NULL;
    broker_event (self, ZLB_LOG_INFO, "worker_leave", ZLB_STR ("worker", worker->name),
                ZLB_STR ("service", service->name), ZLB_STR ("reason", reason),
                ZLB_STR ("busy", request ? "yes" : "no"), ZLB_INT ("inflight", worker->inflight),
                ZLB_UINT ("service_workers", service->workers),
                ZLB_UINT ("workers", zhashx_size (self->workers)));
    //  Every request it held goes back to the front of the queue, each
    //  exactly once: youngest first, so that the oldest ends up first in
    //  line. The dispatch after this step hands them out in that order.
    broker_request_t *reversed = NULL;
    while (request) {
        broker_request_t *next = request->next;
        request->next = reversed;
        reversed = request;
        request = next;
    }
    while (reversed) {
        broker_request_t *next = reversed->next;
        reversed->next = NULL;
        broker_request_redeliver (self, &reversed, worker, reason);
        reversed = next;
    }
    if (worker->inflight)
        broker_dispatch_later (self, service);
    zframe_destroy (&worker->address);
    free (worker);
}

//  Why a worker whose check is due counts as dead, or NULL when it does
//  not. Idle and silent for liveness x heartbeat: dead. Busy: most MDP
//  workers send nothing while they work, so silence proves nothing; its
//  connection is watched by ZMTP heartbeats instead (broker_workers_heartbeat
//  finds it gone). Only a silence past the busy limit means a hung process.
static const char *
s_dead_reason (zlb_broker_t *self, broker_worker_t *worker, int64_t now)
{
    if (!worker->request)
        return "silent";
    int64_t limit = self->options.busy_timeout_ms;
    return limit > 0 && now - worker->heard >= limit ? "busy too long" : NULL;
}

//  Declare a worker dead: count it, say why, remove it (its requests are
//  redelivered). disconnect when it may still hear us: a frozen worker
//  that wakes up then registers again.
static void
s_expire (zlb_broker_t *self, broker_worker_t **worker_p, int64_t now,
          const char *reason, bool disconnect)
{
    broker_worker_t *worker = *worker_p;
    self->stats.expired++;
    broker_event (self, ZLB_LOG_INFO, "worker_expired", ZLB_STR ("worker", worker->name),
                  ZLB_STR ("service", worker->service->name),
                  ZLB_INT ("silent_ms", now - worker->heard),
                  ZLB_STR ("busy", worker->request ? "yes" : "no"), ZLB_STR ("reason", reason));
    broker_worker_delete (self, worker_p, disconnect, reason);
}

void
broker_workers_expire (zlb_broker_t *self, int64_t now)
{
    broker_worker_t *worker;
    while ((worker = (broker_worker_t *) zlistx_first (self->by_expiry))
    &&     worker->expiry <= now) {
        const char *reason = s_dead_reason (self, worker, now);
        if (reason)
            s_expire (self, &worker, now, reason, true);
        else {
            //  Busy and silent: look again in a window. Every other check
            //  is due by now + window, so the list stays in order.
            worker->expiry = now + s_silence_ms (self);
            zlistx_move_end (self->by_expiry, worker->expiry_handle);
        }
    }
}

static void
s_address_destroy (void **item)
{
    zframe_destroy ((zframe_t **) item);
}

//  HEARTBEAT to every worker, idle or busy, that got no REQUEST or
//  HEARTBEAT within the last interval (RFC 7: peers should not send
//  HEARTBEAT while sending other commands; any message proves us alive, so
//  a worker hears from us at least every two intervals). by_sent keeps them
//  least recently sent to first, so the round visits only the workers that
//  are due. A send that fails with EHOSTUNREACH means libzmq dropped the
//  connection (the peer closed it, died, or
//  stopped answering ZMTP PINGs): that worker is dead, busy or not. A
//  REQUEST to it would have failed the same way. They are removed after
//  the round (removal may redeliver and send).
void
broker_workers_heartbeat (zlb_broker_t *self)
{
    zlistx_t *gone = NULL;
    int64_t quiet_since = broker_now (self) - self->options.heartbeat_ms;
    broker_worker_t *worker;
    while ((worker = (broker_worker_t *) zlistx_first (self->by_sent))
    &&     worker->sent_at <= quiet_since) {
        broker_worker_sent (self, worker);         //  to the back: the loop ends
        zlb_log_kv (self->log, ZLB_LOG_DEBUG, "heartbeat_send", ZLB_STR ("worker", worker->name),
                    ZLB_STR ("busy", worker->request ? "yes" : "no"));
        if (broker_worker_command (self, worker->address, MDP_HEARTBEAT) == -1
        &&  errno == EHOSTUNREACH) {
            if (!gone) {
                gone = zlistx_new ();
                zlistx_set_destructor (gone, s_address_destroy);
            }
            if (gone)
                zlistx_add_end (gone, zframe_dup (worker->address));
        }
    }
    zframe_t *address = gone ? (zframe_t *) zlistx_first (gone) : NULL;
    int64_t now = broker_now (self);
    for (; address; address = (zframe_t *) zlistx_next (gone)) {
        worker = broker_worker_lookup (self, address);
        if (worker)
            s_expire (self, &worker, now, "connection lost", false);
    }
    zlistx_destroy (&gone);
}

//  At destruction: free everything without sending or redelivering.
void
broker_workers_destroy_all (zlb_broker_t *self)
{
    broker_worker_t *worker;
    while ((worker = (broker_worker_t *) zlistx_detach (self->by_expiry, NULL))) {
        zhashx_delete (self->workers, &worker->key);
        if (worker->ready_handle)
            zlistx_delete (worker->service->ready, worker->ready_handle);
        worker->service->workers--;
        while (worker->request) {
            broker_request_t *request = worker->request;
            worker->request = request->next;
            broker_request_destroy (self, &request);
        }
        zframe_destroy (&worker->address);
        free (worker);
    }
    self->gone = NULL;
}
