/*  stream.h - one request stream of zlb-stress: a zlb_client_t plus the
    bookkeeping to send on time and check every result.

    Each request in flight sits in one of `pipeline` slots, found by its id
    through a small open-addressing map, so the per-request path does not
    allocate. Payload bytes are regenerated from (stream, seq) to check an
    echo, never stored.                                                   */

#ifndef ZLB_STRESS_STREAM_H_INCLUDED
#define ZLB_STRESS_STREAM_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "zlb/zlb.h"
#include "params.h"
#include "schedule.h"
#include "series.h"
#include "stats.h"

//  What every thread knows about the run (read-only once threads start).
typedef struct {
    const zlb_stress_params_t *params;
    bool open_loop;              //  --rate given
    zlb_schedule_t schedule;     //  open loop only
    int64_t start_ns;            //  run (and warmup) start, monotonic
    int64_t measure_ns;          //  measured period starts
    int64_t end_ns;              //  no measured send at or after this (INT64_MAX: none)
} zlb_stress_plan_t;

//  Where a thread's streams count things (owned by the thread).
typedef struct {
    zlb_stress_stats_t *stats;          //  run totals
    zlb_stress_interval_t *interval;    //  the current second
    zlb_log_t *log;                     //  may be NULL
    zlb_ratelimit_t limit;              //  for warnings
} zlb_stress_sink_t;

typedef struct _zlb_stress_stream_t zlb_stress_stream_t;

//  Stream number `index` (0..clients-1) that may send `quota` measured
//  requests (UINT64_MAX: no limit). NULL with errno if the client could not
//  be created (bad endpoint) or out of memory.
zlb_stress_stream_t *zlb_stress_stream_new (const zlb_stress_plan_t *plan, size_t index,
                                            uint64_t quota, zlb_log_t *log);
void zlb_stress_stream_destroy (zlb_stress_stream_t **self_p);

//  The client's sockets, one per broker (index 0..count - 1), for polling.
size_t zlb_stress_stream_socks (const zlb_stress_stream_t *self);
zsock_t *zlb_stress_stream_sock (zlb_stress_stream_t *self, size_t index);

//  Send what is due at now. Returns how many were sent.
size_t zlb_stress_stream_send (zlb_stress_stream_t *self, const zlb_stress_plan_t *plan,
                               zlb_stress_sink_t *sink, int64_t now);

//  Take every result that is ready (and let the client retry). 0, or -1
//  when the client was interrupted by a signal.
int zlb_stress_stream_receive (zlb_stress_stream_t *self, const zlb_stress_plan_t *plan,
                               zlb_stress_sink_t *sink, int64_t now);

//  True when the stream will send no more measured requests.
bool zlb_stress_stream_done (zlb_stress_stream_t *self, const zlb_stress_plan_t *plan,
                             int64_t now);

//  Earliest time something needs doing (a send is due, a retry timer
//  runs out); INT64_MAX when nothing. sending false ignores sends.
int64_t zlb_stress_stream_next_wake (zlb_stress_stream_t *self, const zlb_stress_plan_t *plan,
                                     int64_t now, bool sending);

//  Measured requests still in flight.
size_t zlb_stress_stream_pending (const zlb_stress_stream_t *self);

//  Note the client's counters as the measured period starts (idempotent).
void zlb_stress_stream_measure_start (zlb_stress_stream_t *self);

//  At the end: count lost requests, the client's retries and duplicates in
//  the measured period, and (open loop) scheduled requests never sent.
void zlb_stress_stream_finish (zlb_stress_stream_t *self, const zlb_stress_plan_t *plan,
                               zlb_stress_stats_t *stats);

#endif
