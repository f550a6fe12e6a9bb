/*  stream.c - one request stream: send on time, check every result.     */

#include "stream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "payload.h"

#define S_RESULTS_PER_TURN 256      //  results taken per call, for fairness across streams
#define S_SEND_BACKOFF_NS  1000000  //  wait after the client refused a send

typedef struct {
    uint64_t id;                 //  client id of the request (0: slot free)
    uint64_t seq;                //  our sequence number; payload is f(stream, seq)
    int64_t intended_ns;         //  when it should have been sent
    int64_t sent_ns;             //  when it was handed to the client
    bool counted;                //  sent in the measured period
} s_slot_t;

struct _zlb_stress_stream_t {
    zlb_client_t *client;        //  owns the DEALER socket
    size_t index;                //  stream number across the whole run
    uint64_t next_seq;           //  next request number (k in the schedule)
    uint64_t quota;              //  measured requests left to send
    uint64_t counted_sent;       //  measured requests sent
    s_slot_t *slots;             //  one per request that may be in flight
    size_t nslots;
    uint32_t *free;              //  stack of free slot indices
    size_t nfree;
    uint32_t *map;               //  id -> slot index + 1 (0 = empty), linear probing
    size_t map_mask;             //  map size - 1 (a power of two >= 2 * nslots)
    size_t pending;              //  measured requests in flight
    uint8_t *buf;                //  payload being sent
    int64_t retry_after_ns;      //  no send before this (after a refused send)
    zlb_client_stats_t base;     //  client counters when the measured period began
    bool base_taken;             //  base is set
};

//  --- id -> slot map -------------------------------------------------------

static inline size_t
s_hash (const zlb_stress_stream_t *self, uint64_t id)
{
    return (size_t) ((id * 0x9E3779B97F4A7C15ULL) >> 17) & self->map_mask;
}

static void
s_map_put (zlb_stress_stream_t *self, uint64_t id, uint32_t slot)
{
    size_t at = s_hash (self, id);
    while (self->map [at])
        at = (at + 1) & self->map_mask;
    self->map [at] = slot + 1;
}

//  Remove id; returns its slot index or -1 if it is not in flight.
static long
s_map_take (zlb_stress_stream_t *self, uint64_t id)
{
    size_t at = s_hash (self, id);
    while (self->map [at] && self->slots [self->map [at] - 1].id != id)
        at = (at + 1) & self->map_mask;
    if (!self->map [at])
        return -1;
    long slot = (long) self->map [at] - 1;
    //  Backward-shift deletion keeps probe chains unbroken without tombstones.
    size_t hole = at;
    size_t next = (at + 1) & self->map_mask;
    while (self->map [next]) {
        size_t home = s_hash (self, self->slots [self->map [next] - 1].id);
        //  Move the entry into the hole unless its home lies in (hole, next].
        bool stays = hole <= next? (home > hole && home <= next)
                                 : (home > hole || home <= next);
        if (!stays) {
            self->map [hole] = self->map [next];
            hole = next;
        }
        next = (next + 1) & self->map_mask;
    }
    self->map [hole] = 0;
    return slot;
}

//  --- life cycle -----------------------------------------------------------

zlb_stress_stream_t *
zlb_stress_stream_new (const zlb_stress_plan_t *plan, size_t index, uint64_t quota,
                       zlb_log_t *log)
{
    const zlb_stress_params_t *params = plan->params;
    zlb_stress_stream_t *self = (zlb_stress_stream_t *) calloc (1, sizeof (*self));
    if (!self)
        return NULL;
    self->index = index;
    self->quota = quota;
    self->nslots = params->pipeline;
    size_t map_size = 4;
    while (map_size < 2 * self->nslots)
        map_size *= 2;
    self->map_mask = map_size - 1;
    self->slots = (s_slot_t *) calloc (self->nslots, sizeof (s_slot_t));
    self->free = (uint32_t *) calloc (self->nslots, sizeof (uint32_t));
    self->map = (uint32_t *) calloc (map_size, sizeof (uint32_t));
    self->buf = (uint8_t *) malloc (params->size? params->size: 1);
    if (!self->slots || !self->free || !self->map || !self->buf) {
        zlb_stress_stream_destroy (&self);
        errno = ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < self->nslots; i++)
        self->free [self->nfree++] = (uint32_t) (self->nslots - 1 - i);

    zlb_client_options_t options;
    zlb_client_options_defaults (&options);
    options.timeout_ms = params->timeout_ms;
    options.retries = params->retries;
    options.max_inflight = self->nslots;
    if (options.max_payload < params->size)
        options.max_payload = params->size;
    options.log = log;
    if (*params->curve_server_key) {
        options.curve_server_key = params->curve_server_key;
        options.curve_cert = params->curve_cert_set
            ? zcert_new_from (params->curve_public, params->curve_secret_key) : NULL;
    }
    self->client = zlb_client_new_multi (params->brokers.items,
                                         (size_t) params->brokers.count, &options);
    zcert_destroy (&options.curve_cert);        //  applied to the socket already
    if (!self->client) {
        int saved = errno;
        zlb_stress_stream_destroy (&self);
        errno = saved;
    }
    return self;
}

void
zlb_stress_stream_destroy (zlb_stress_stream_t **self_p)
{
    if (self_p && *self_p) {
        zlb_stress_stream_t *self = *self_p;
        zlb_client_destroy (&self->client);
        free (self->slots);
        free (self->free);
        free (self->map);
        free (self->buf);
        free (self);
        *self_p = NULL;
    }
}

size_t
zlb_stress_stream_socks (const zlb_stress_stream_t *self)
{
    return zlb_client_brokers (self->client);
}

zsock_t *
zlb_stress_stream_sock (zlb_stress_stream_t *self, size_t index)
{
    return zlb_client_broker_sock (self->client, index);
}

//  The client's per-broker counters into stats.
static void
s_count_brokers (zlb_stress_stream_t *self, zlb_stress_stats_t *stats)
{
    zlb_client_broker_t info;
    size_t count = zlb_client_brokers (self->client);
    for (size_t index = 0; index < count; index++)
        if (zlb_client_broker_info (self->client, index, &info) == 0) {
            stats->brokers [index].attempts += info.attempts;
            stats->brokers [index].replies += info.replies;
        }
    if (count > stats->nbrokers)
        stats->nbrokers = count;
}

size_t
zlb_stress_stream_pending (const zlb_stress_stream_t *self)
{
    return self->pending;
}

void
zlb_stress_stream_measure_start (zlb_stress_stream_t *self)
{
    if (!self->base_taken) {
        zlb_client_stats (self->client, &self->base);
        self->base_taken = true;
    }
}

//  --- sending --------------------------------------------------------------

//  When the next request should go: its slot in the schedule (open loop)
//  or right now (closed loop).
static inline int64_t
s_intended (const zlb_stress_stream_t *self, const zlb_stress_plan_t *plan, int64_t now)
{
    return plan->open_loop? zlb_schedule_time_ns (&plan->schedule, self->index, self->next_seq)
                          : now;
}

bool
zlb_stress_stream_done (zlb_stress_stream_t *self, const zlb_stress_plan_t *plan, int64_t now)
{
    if (self->quota == 0)
        return true;
    return s_intended (self, plan, now) >= plan->end_ns;
}

//  Hand one request to the client. 0 on success.
static int
s_send_one (zlb_stress_stream_t *self, const zlb_stress_plan_t *plan,
            zlb_stress_sink_t *sink, int64_t intended, bool counted)
{
    const zlb_stress_params_t *params = plan->params;
    zlb_payload_fill (self->buf, params->size, self->index, self->next_seq);
    int64_t sent_ns = zlb_mono_ns ();
    uint64_t id = 0;
    if (zlb_client_send (self->client, params->service, self->buf, params->size, &id)) {
        sink->stats->send_failures++;
        self->retry_after_ns = sent_ns + S_SEND_BACKOFF_NS;
        int error = errno;
        zlb_log_kv_limited (sink->log, &sink->limit, ZLB_LOG_WARNING, "send_failed",
                            ZLB_UINT ("stream", self->index), ZLB_INT ("errno", error),
                            ZLB_STR ("reason", strerror (error)));
        return -1;
    }
    uint32_t slot = self->free [--self->nfree];
    self->slots [slot] = (s_slot_t) {
        .id = id, .seq = self->next_seq, .intended_ns = intended,
        .sent_ns = sent_ns, .counted = counted
    };
    s_map_put (self, id, slot);
    self->next_seq++;
    if (counted) {
        self->quota--;
        self->counted_sent++;
        self->pending++;
        sink->stats->sent++;
        sink->interval->sent++;
    }
    return 0;
}

size_t
zlb_stress_stream_send (zlb_stress_stream_t *self, const zlb_stress_plan_t *plan,
                        zlb_stress_sink_t *sink, int64_t now)
{
    size_t sent = 0;
    while (self->nfree > 0 && now >= self->retry_after_ns) {
        int64_t intended = s_intended (self, plan, now);
        if (intended > now)
            break;                  //  not due yet
        bool counted = intended >= plan->measure_ns;
        if (counted && (self->quota == 0 || intended >= plan->end_ns))
            break;                  //  this stream is done
        if (s_send_one (self, plan, sink, intended, counted))
            break;
        sent++;
    }
    return sent;
}

int64_t
zlb_stress_stream_next_wake (zlb_stress_stream_t *self, const zlb_stress_plan_t *plan,
                             int64_t now, bool sending)
{
    int64_t wake = INT64_MAX;
    if (sending && self->nfree > 0 && !zlb_stress_stream_done (self, plan, now)) {
        wake = s_intended (self, plan, now);
        if (wake < self->retry_after_ns)
            wake = self->retry_after_ns;
    }
    int timeout_ms = zlb_client_next_timeout_ms (self->client);
    if (timeout_ms >= 0) {
        int64_t timer = now + (int64_t) timeout_ms * 1000000;
        if (timer < wake)
            wake = timer;
    }
    return wake;
}

//  --- results --------------------------------------------------------------

static void
s_record_ok (zlb_stress_stream_t *self, zlb_stress_sink_t *sink, const zlb_result_t *r,
             int64_t rtt, int64_t corrected)
{
    zlb_stress_stats_t *stats = sink->stats;
    stats->ok++;
    sink->interval->ok++;
    zlb_histogram_record (stats->rtt, corrected);
    zlb_histogram_record (stats->rtt_raw, rtt);
    zlb_histogram_record (sink->interval->rtt, corrected);
    int64_t latency = r->latency_ns > 0? r->latency_ns: (rtt - r->service_ns) / 2;
    zlb_histogram_record (stats->latency, latency);
    if (r->service_ns > 0)
        zlb_histogram_record (stats->service, r->service_ns);
    zlb_stress_stats_worker (stats, r->worker);
    (void) self;
}

static void
s_record_error (zlb_stress_sink_t *sink, int status)
{
    sink->stats->errors++;
    sink->interval->errors++;
    zlb_stress_stats_error (sink->stats, status);
}

//  One debug line per result. The worker id is a peer's text: typed field.
static void
s_log_result (zlb_log_t *log, const zlb_stress_stream_t *self, const zlb_result_t *r,
              uint64_t seq, bool match, int64_t rtt, int64_t corrected)
{
    char rtt_us [32], corrected_us [32], service_us [32];
    snprintf (rtt_us, sizeof rtt_us, "%.1f", rtt / 1e3);
    snprintf (corrected_us, sizeof corrected_us, "%.1f", corrected / 1e3);
    snprintf (service_us, sizeof service_us, "%.1f", r->service_ns / 1e3);
    zlb_log_kv (log, ZLB_LOG_DEBUG, "result", ZLB_UINT ("stream", self->index),
                ZLB_UINT ("id", r->id), ZLB_UINT ("seq", seq), ZLB_INT ("status", r->status),
                ZLB_INT ("match", match), ZLB_STR ("worker", r->worker),
                ZLB_UINT ("attempts", r->attempts), ZLB_STR ("rtt_us", rtt_us),
                ZLB_STR ("corrected_us", corrected_us), ZLB_STR ("service_us", service_us));
}

static void
s_handle (zlb_stress_stream_t *self, const zlb_stress_plan_t *plan,
          zlb_stress_sink_t *sink, const zlb_result_t *r, int64_t now)
{
    long slot_index = s_map_take (self, r->id);
    if (slot_index < 0) {
        //  The client only hands us ids it issued, so this means a bug
        //  somewhere: count it as a mismatch, not as a request outcome.
        sink->stats->mismatched++;
        sink->stats->unknown++;
        zlb_log_kv_limited (sink->log, &sink->limit, ZLB_LOG_WARNING, "unknown_id",
                            ZLB_UINT ("stream", self->index), ZLB_UINT ("id", r->id));
        return;
    }
    s_slot_t slot = self->slots [slot_index];
    self->slots [slot_index].id = 0;
    self->free [self->nfree++] = (uint32_t) slot_index;
    if (!slot.counted)
        return;                     //  warmup request
    self->pending--;
    int64_t rtt = r->rtt_ns > 0? r->rtt_ns: now - slot.sent_ns;
    int64_t corrected = (slot.sent_ns - slot.intended_ns) + rtt;
    sink->stats->last_done_ns = now;
    bool match = false;
    if (r->status == ZLB_STATUS_OK) {
        match = zlb_payload_check (r->payload, r->payload_size, plan->params->size,
                                   self->index, slot.seq);
        if (match)
            s_record_ok (self, sink, r, rtt, corrected);
        else {
            sink->stats->mismatched++;
            s_record_error (sink, ZLB_STRESS_STATUS_MISMATCH);
            zlb_log_kv_limited (sink->log, &sink->limit, ZLB_LOG_WARNING, "payload_mismatch",
                                ZLB_UINT ("stream", self->index), ZLB_UINT ("id", r->id),
                                ZLB_UINT ("seq", slot.seq), ZLB_UINT ("size", r->payload_size),
                                ZLB_STR ("worker", r->worker));
        }
    }
    else
    if (r->status == ZLB_STATUS_TIMEOUT) {
        sink->stats->timeouts++;
        sink->interval->timeouts++;
    }
    else
        s_record_error (sink, r->status);
    if (zlb_log_enabled (sink->log, ZLB_LOG_DEBUG))
        s_log_result (sink->log, self, r, slot.seq, match, rtt, corrected);
}

int
zlb_stress_stream_receive (zlb_stress_stream_t *self, const zlb_stress_plan_t *plan,
                           zlb_stress_sink_t *sink, int64_t now)
{
    if (self->nfree == self->nslots)
        return 0;                   //  nothing in flight: nothing can arrive
    zlb_result_t result;
    for (int i = 0; i < S_RESULTS_PER_TURN; i++) {
        int rc = zlb_client_recv (self->client, &result, 0);
        if (rc == 0)
            break;
        if (rc < 0)
            return zsys_interrupted? -1: 0;
        s_handle (self, plan, sink, &result, now);
    }
    return 0;
}

void
zlb_stress_stream_finish (zlb_stress_stream_t *self, const zlb_stress_plan_t *plan,
                          zlb_stress_stats_t *stats)
{
    stats->lost += self->pending;
    s_count_brokers (self, stats);
    if (self->base_taken) {
        zlb_client_stats_t now;
        zlb_client_stats (self->client, &now);
        stats->retries += now.retries - self->base.retries;
        stats->duplicates += now.duplicates - self->base.duplicates;
    }
    if (plan->open_loop && plan->end_ns != INT64_MAX) {
        //  Scheduled inside [measure, end) but never sent: the generator (or
        //  the pipeline limit) fell behind the schedule.
        uint64_t first = zlb_schedule_due (&plan->schedule, self->index, plan->measure_ns - 1);
        uint64_t last = zlb_schedule_due (&plan->schedule, self->index, plan->end_ns - 1);
        uint64_t scheduled = last - first;
        if (scheduled > self->counted_sent + self->quota)
            scheduled = self->counted_sent + self->quota;
        if (scheduled > self->counted_sent)
            stats->unsent += scheduled - self->counted_sent;
    }
}
