/*  mmi.c - the Majordomo Management Interface (ZeroMQ RFC 8) and zlb's
    introspection services.

    Requests to "mmi.*" are answered by the broker itself with a one-frame
    body; the reply keeps the client envelope: "", "MDPC01", service, body.
    - mmi.service  -> "200" when the service named in the first body frame
                      has at least one worker, else "404" (RFC 8);
    - mmi.workers  -> msgpack map: every registered worker;
    - mmi.services -> msgpack map: every service with its queue and counters;
    - mmi.stats    -> msgpack map: broker-wide counters and uptime;
    - any other mmi.* -> "501".
    The msgpack schemas are in docs/protocol.md. The request body is ignored
    by all but mmi.service. These walk the tables, so they cost O(workers +
    services); that is fine for tools polling every second or so.            */

#include "broker_impl.h"
#include "msgpack_put.h"

#include <msgpack.h>
#include <string.h>

//  Cap on entries in one reply, so a huge table cannot make a huge frame.
#define BROKER_MMI_MAX_ENTRIES 10000

static const char *
s_service_code (zlb_broker_t *self, const mdp_view_t *view)
{
    if (!view->body_count)
        return "404";
    //  lookup validates the name, so any bytes are safe here
    zmq_msg_t *name = &view->body [0];
    broker_service_t *service = broker_service_lookup (self, zmq_msg_data (name),
                                                       zmq_msg_size (name));
    return service && service->workers > 0 ? "200" : "404";
}

double
broker_worker_silent_s (zlb_broker_t *self, broker_worker_t *worker, int64_t now)
{
    (void) self;
    int64_t heard = worker->heard;
    return now > heard ? (double) (now - heard) / 1000.0 : 0;
}

double
broker_service_oldest_s (broker_service_t *service, int64_t now)
{
    //  The queue stays ordered by arrival: new requests go to the back and
    //  a redelivered one (older than anything queued) to the front.
    broker_request_t *oldest = (broker_request_t *) zlistx_head (service->requests);
    return oldest && now > oldest->received
         ? (double) (now - oldest->received) / 1000.0 : 0;
}

//  --------------------------------------------------------------------------
//  A capped list, {NAME: [...], count, truncated}: how many entries of
//  total to pack (at most BROKER_MMI_MAX_ENTRIES), and the two closing
//  fields that say how many there were in all and whether it stopped short.

static size_t
s_pack_list_begin (msgpack_packer *pk, const char *name, size_t total)
{
    size_t count = total < BROKER_MMI_MAX_ENTRIES ? total : BROKER_MMI_MAX_ENTRIES;
    msgpack_pack_map (pk, 3);
    zlb_put_key (pk, name);
    msgpack_pack_array (pk, count);
    return count;
}

static void
s_pack_list_end (msgpack_packer *pk, size_t count, size_t total)
{
    zlb_put_uint (pk, "count", total);
    zlb_put_bool (pk, "truncated", count < total);
}

//  --------------------------------------------------------------------------
//  mmi.workers: {workers: [{id, service, state, inflight, credit,
//  last_seen_s, served, inflight_s, attempt, uptime_s}], count, truncated}

//  With CURVE on, a routing id is what a takeover needs, so only its part
//  before the first '.' is shown (zlb-worker ids are NAME#N.RANDOM), and
//  "-" for an id with no '.' (docs/security.md).
static const char *
s_worker_public_id (zlb_broker_t *self, broker_worker_t *worker, size_t *size)
{
    const char *dot = strchr (worker->name, '.');
    if (!broker_security_curve (self))
        *size = strlen (worker->name);
    else
    if (dot)
        *size = (size_t) (dot - worker->name);
    else {
        *size = 1;
        return "-";
    }
    return worker->name;
}

static void
s_pack_worker (zlb_broker_t *self, msgpack_packer *pk, broker_worker_t *worker, int64_t now)
{
    //  The oldest request it holds; busy means it can take no more now
    //  (for a strict MDP worker, credit 1: it holds one).
    broker_request_t *request = worker->request;
    bool busy = worker->ready_handle == NULL;
    msgpack_pack_map (pk, 11);
    size_t shown;
    const char *id = s_worker_public_id (self, worker, &shown);
    zlb_put_str (pk, "id", id, shown);
    zlb_put_str (pk, "service", worker->service->name, worker->service->name_size);
    //  paused: a worker on several brokers, full with the others' requests
    const char *state = worker->credit == 0 ? "paused" : busy ? "busy" : "ready";
    zlb_put_str (pk, "state", state, strlen (state));
    zlb_put_uint (pk, "inflight", (uint64_t) worker->inflight);
    zlb_put_uint (pk, "credit", (uint64_t) worker->credit);
    zlb_put_uint (pk, "credit_max", (uint64_t) worker->credit_max);
    zlb_put_double (pk, "last_seen_s", broker_worker_silent_s (self, worker, now));
    zlb_put_uint (pk, "served", worker->served);
    zlb_put_key (pk, "inflight_s");
    if (request)
        msgpack_pack_double (pk, (double) (now - request->received) / 1000.0);
    else
        msgpack_pack_nil (pk);
    zlb_put_uint (pk, "attempt", request ? (uint64_t) request->deliveries : 0);
    zlb_put_double (pk, "uptime_s", (double) (now - worker->joined) / 1000.0);
}

static void
s_pack_workers (zlb_broker_t *self, msgpack_packer *pk, int64_t now)
{
    size_t total = zlistx_size (self->by_expiry);
    size_t count = s_pack_list_begin (pk, "workers", total);
    size_t packed = 0;
    broker_worker_t *worker = (broker_worker_t *) zlistx_first (self->by_expiry);
    for (; worker && packed < count;
           worker = (broker_worker_t *) zlistx_next (self->by_expiry), packed++)
        s_pack_worker (self, pk, worker, now);
    s_pack_list_end (pk, count, total);
}

//  --------------------------------------------------------------------------
//  mmi.services: {services: [{service, workers, ready, busy, queued,
//  oldest_s, requests, replies, redeliveries, errors, errors_by_status,
//  p50_s, p99_s, service_time_count, service_time_sum_s}], count, truncated}

static void
s_pack_errors (msgpack_packer *pk, const broker_service_stats_t *stats)
{
    uint64_t total = 0;
    for (int kind = 0; kind < BROKER_ERR_KINDS; kind++)
        total += stats->errors [kind];
    zlb_put_uint (pk, "errors", total);
    zlb_put_key (pk, "errors_by_status");
    msgpack_pack_map (pk, BROKER_ERR_KINDS);
    for (int kind = 0; kind < BROKER_ERR_KINDS; kind++) {
        char code [8];
        snprintf (code, sizeof (code), "%d", broker_err_status [kind]);
        zlb_put_uint (pk, code, stats->errors [kind]);
    }
}

static void
s_pack_service (msgpack_packer *pk, broker_service_t *service, int64_t now)
{
    const broker_service_stats_t *stats = &service->stats;
    size_t ready = zlistx_size (service->ready);
    msgpack_pack_map (pk, 15);
    zlb_put_str (pk, "service", service->name, service->name_size);
    zlb_put_uint (pk, "workers", service->workers);
    zlb_put_uint (pk, "ready", ready);
    zlb_put_uint (pk, "busy", service->workers - ready);
    zlb_put_uint (pk, "queued", zlistx_size (service->requests));
    zlb_put_double (pk, "oldest_s", broker_service_oldest_s (service, now));
    zlb_put_uint (pk, "requests", stats->requests);
    zlb_put_uint (pk, "replies", stats->replies);
    zlb_put_uint (pk, "redeliveries", stats->redeliveries);
    s_pack_errors (pk, stats);
    zlb_put_double (pk, "p50_s", broker_timing_quantile (&stats->timing, 0.50));
    zlb_put_double (pk, "p99_s", broker_timing_quantile (&stats->timing, 0.99));
    zlb_put_uint (pk, "service_time_count", stats->timing.total);
    zlb_put_double (pk, "service_time_sum_s", (double) stats->timing.sum_us / 1e6);
}

static void
s_pack_services (zlb_broker_t *self, msgpack_packer *pk, int64_t now)
{
    size_t total = zhashx_size (self->services);
    size_t count = s_pack_list_begin (pk, "services", total);
    size_t packed = 0;
    broker_service_t *service = (broker_service_t *) zhashx_first (self->services);
    for (; service && packed < count;
           service = (broker_service_t *) zhashx_next (self->services), packed++)
        s_pack_service (pk, service, now);
    s_pack_list_end (pk, count, total);
}

//  --------------------------------------------------------------------------
//  mmi.stats: broker-wide counters, uptime and the main settings

static void
s_pack_stats (zlb_broker_t *self, msgpack_packer *pk, int64_t now)
{
    zlb_broker_stats_t s;
    zlb_broker_stats (self, &s);
    msgpack_pack_map (pk, 28);
    zlb_put_str (pk, "version", ZLB_VERSION_STRING, strlen (ZLB_VERSION_STRING));
    zlb_put_double (pk, "uptime_s", (double) (now - self->started) / 1000.0);
    zlb_put_uint (pk, "started_ns", (uint64_t) self->started_wall_ns);
    zlb_put_uint (pk, "requests", s.requests);
    zlb_put_uint (pk, "routed", s.routed);
    zlb_put_uint (pk, "replies", s.replies);
    zlb_put_uint (pk, "workers", s.workers);
    zlb_put_uint (pk, "workers_seen", s.workers_seen);
    zlb_put_uint (pk, "services", s.services);
    zlb_put_uint (pk, "queued", s.queued);
    zlb_put_uint (pk, "redeliveries", s.redeliveries);
    zlb_put_uint (pk, "handed_back", s.handed_back);
    zlb_put_uint (pk, "expired", s.expired);
    zlb_put_uint (pk, "busy", s.busy);
    zlb_put_uint (pk, "deadline", s.deadline);
    zlb_put_uint (pk, "failed", s.failed);
    zlb_put_uint (pk, "too_large", s.too_large);
    zlb_put_uint (pk, "bad_request", s.bad_request);
    zlb_put_uint (pk, "malformed", s.malformed);
    zlb_put_uint (pk, "disconnects", s.disconnects);
    zlb_put_uint (pk, "send_failures", s.send_failures);
    zlb_put_uint (pk, "refused", s.refused);
    zlb_put_uint (pk, "heartbeat_ms", (uint64_t) self->options.heartbeat_ms);
    zlb_put_uint (pk, "liveness", (uint64_t) self->options.liveness);
    zlb_put_uint (pk, "request_timeout_ms", (uint64_t) self->options.request_timeout_ms);
    zlb_put_uint (pk, "max_queue", self->options.max_queue);
    zlb_put_uint (pk, "held_bytes", s.held_bytes);
    zlb_put_uint (pk, "max_held_bytes", self->options.max_held_bytes);
}

//  --------------------------------------------------------------------------

typedef void (s_packer_fn) (zlb_broker_t *self, msgpack_packer *pk, int64_t now);

//  The packer for a msgpack-answered service, or NULL.
static s_packer_fn *
s_packer_for (mdp_bytes_t service)
{
    if (mdp_bytes_is (service, "mmi.workers"))
        return s_pack_workers;
    if (mdp_bytes_is (service, "mmi.services"))
        return s_pack_services;
    if (mdp_bytes_is (service, "mmi.stats"))
        return s_pack_stats;
    return NULL;
}

static void
s_reply (zlb_broker_t *self, const mdp_view_t *view, const void *data, size_t size,
         const char *code)
{
    if (zlb_log_enabled (self->log, ZLB_LOG_DEBUG)) {
        char name [BROKER_WORKER_NAME_MAX];
        zlb_log_kv (self->log, ZLB_LOG_DEBUG, "mmi",
                    ZLB_STR ("client", broker_address_str (view->peer.data, view->peer.size,
                                                           name, sizeof (name))),
                    ZLB_BYTES ("service", view->service.data, view->service.size),
                    ZLB_STR ("code", code), ZLB_UINT ("bytes", size));
    }
    mdp_bytes_t body = mdp_bytes (data, size);
    broker_send_client (self, view->peer, view->service, &body, 1);
}

void
broker_mmi_request (zlb_broker_t *self, const mdp_view_t *view)
{
    s_packer_fn *packer = s_packer_for (view->service);
    if (!packer) {
        const char *code = mdp_bytes_is (view->service, "mmi.service")
                         ? s_service_code (self, view) : "501";
        s_reply (self, view, code, strlen (code), code);
        return;
    }
    msgpack_sbuffer buffer;
    msgpack_sbuffer_init (&buffer);
    msgpack_packer pk;
    msgpack_packer_init (&pk, &buffer, msgpack_sbuffer_write);
    packer (self, &pk, broker_now (self));
    s_reply (self, view, buffer.data, buffer.size, "200");
    msgpack_sbuffer_destroy (&buffer);
}
