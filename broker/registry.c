/*  registry.c - the table of registered workers, their liveness and removal.

    Workers are found by routing id in O(1): the hash is keyed by the
    worker's own address frame (hashed and compared by content), so a
    lookup with the frame that just arrived allocates nothing. by_expiry
    lists workers least recently heard from first; any message moves its
    sender to the end, so expiry only ever looks at the head.               */

#include "broker_impl.h"

#include <errno.h>
#include <string.h>

//  FNV-1a over the frame's bytes.
static size_t
s_frame_hash (const void *key)
{
    zframe_t *frame = (zframe_t *) key;
    const unsigned char *bytes = zframe_data (frame);
    size_t size = zframe_size (frame);
    uint64_t hash = 1469598103934665603ULL;
    for (size_t index = 0; index < size; index++) {
        hash ^= bytes [index];
        hash *= 1099511628211ULL;
    }
    return (size_t) hash;
}

static int
s_frame_compare (const void *item1, const void *item2)
{
    zframe_t *frame1 = (zframe_t *) item1;
    zframe_t *frame2 = (zframe_t *) item2;
    size_t size1 = zframe_size (frame1);
    size_t size2 = zframe_size (frame2);
    if (size1 != size2)
        return size1 < size2 ? -1 : 1;
    return size1 ? memcmp (zframe_data (frame1), zframe_data (frame2), size1) : 0;
}

zhashx_t *
broker_workers_table_new (void)
{
    zhashx_t *table = zhashx_new ();
    if (!table)
        return NULL;
    zhashx_set_key_hasher (table, s_frame_hash);
    zhashx_set_key_comparator (table, s_frame_compare);
    //  The key is the worker's own address frame: the table neither copies
    //  nor frees it; broker_worker_delete removes the entry before the frame.
    zhashx_set_key_duplicator (table, NULL);
    zhashx_set_key_destructor (table, NULL);
    return table;
}

broker_worker_t *
broker_worker_lookup (zlb_broker_t *self, zframe_t *address)
{
    return (broker_worker_t *) zhashx_lookup (self->workers, address);
}

static int64_t
s_silence_ms (zlb_broker_t *self)
{
    return self->options.heartbeat_ms * self->options.liveness;
}

broker_worker_t *
broker_worker_register (zlb_broker_t *self, zframe_t *address, broker_service_t *service)
{
    broker_worker_t *worker = (broker_worker_t *) zmalloc (sizeof (broker_worker_t));
    if (!worker)
        return NULL;
    worker->address = zframe_dup (address);
    mdp_address_str (address, worker->name, sizeof (worker->name));
    worker->service = service;
    worker->joined = broker_now (self);
    worker->expiry = worker->joined + s_silence_ms (self);
    zhashx_insert (self->workers, worker->address, worker);
    worker->expiry_handle = zlistx_add_end (self->by_expiry, worker);
    service->workers++;
    self->stats.workers_seen++;
    zlb_log (self->log, ZLB_LOG_INFO, "worker_join",
             "worker=%s service=%s service_workers=%zu workers=%zu",
             worker->name, service->name, service->workers, zhashx_size (self->workers));
    return worker;
}

void
broker_worker_refresh (zlb_broker_t *self, broker_worker_t *worker)
{
    worker->expiry = broker_now (self) + s_silence_ms (self);
    zlistx_move_end (self->by_expiry, worker->expiry_handle);
}

void
broker_worker_ready (zlb_broker_t *self, broker_worker_t *worker)
{
    assert (!worker->request && !worker->ready_handle);
    worker->ready_handle = zlistx_add_end (worker->service->ready, worker);
    //  May hand it a request at once, or even delete it if the send fails:
    //  callers must not touch worker after this.
    broker_service_dispatch (self, worker->service);
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
    zhashx_delete (self->workers, worker->address);
    service->workers--;
    broker_request_t *request = worker->request;
    worker->request = NULL;
    zlb_log (self->log, ZLB_LOG_INFO, "worker_leave",
             "worker=%s service=%s reason=\"%s\" busy=%s service_workers=%zu workers=%zu",
             worker->name, service->name, reason, request ? "yes" : "no",
             service->workers, zhashx_size (self->workers));
    if (request)
        broker_request_redeliver (self, &request, worker, reason);
    zframe_destroy (&worker->address);
    free (worker);
}

void
broker_workers_expire (zlb_broker_t *self, int64_t now)
{
    broker_worker_t *worker;
    while ((worker = (broker_worker_t *) zlistx_first (self->by_expiry))
    &&     worker->expiry <= now) {
        self->stats.expired++;
        zlb_log (self->log, ZLB_LOG_INFO, "worker_expired", "worker=%s service=%s "
                 "silent_ms=%" PRId64, worker->name, worker->service->name,
                 now - (worker->expiry - s_silence_ms (self)));
        //  DISCONNECT too: a frozen worker that wakes up re-registers.
        broker_worker_delete (self, &worker, true, "expired");
    }
}

static void
s_address_destroy (void **item)
{
    zframe_destroy ((zframe_t **) item);
}

//  HEARTBEAT to every worker, idle or busy. Workers whose peer is gone are
//  removed after the round (removal may redeliver and send, so not during).
void
broker_workers_heartbeat (zlb_broker_t *self)
{
    zlistx_t *gone = NULL;
    broker_worker_t *worker = (broker_worker_t *) zlistx_first (self->by_expiry);
    for (; worker; worker = (broker_worker_t *) zlistx_next (self->by_expiry)) {
        zlb_log (self->log, ZLB_LOG_DEBUG, "heartbeat_send", "worker=%s busy=%s",
                 worker->name, worker->request ? "yes" : "no");
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
    for (; address; address = (zframe_t *) zlistx_next (gone)) {
        worker = broker_worker_lookup (self, address);
        broker_worker_delete (self, &worker, false, "peer gone");
    }
    zlistx_destroy (&gone);
}

//  At destruction: free everything without sending or redelivering.
void
broker_workers_destroy_all (zlb_broker_t *self)
{
    broker_worker_t *worker;
    while ((worker = (broker_worker_t *) zlistx_detach (self->by_expiry, NULL))) {
        zhashx_delete (self->workers, worker->address);
        if (worker->ready_handle)
            zlistx_delete (worker->service->ready, worker->ready_handle);
        worker->service->workers--;
        broker_request_destroy (self, &worker->request);
        zframe_destroy (&worker->address);
        free (worker);
    }
}
