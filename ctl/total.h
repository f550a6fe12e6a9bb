/*  total.h - zlb-ctl over several brokers: their mmi.* replies summed.

    Each function takes one reply per broker (NULL for a broker that did
    not answer) and packs the cluster's total as a msgpack map in the same
    shape as the broker's own reply, so the same tables and JSON print it.
    What is summed and what is not is said at each function.              */

#ifndef ZLB_CTL_TOTAL_H_INCLUDED
#define ZLB_CTL_TOTAL_H_INCLUDED

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

//  mmi.stats: the counters and the gauges workers, queued, held_bytes
//  summed; plus brokers (how many asked) and answering (how many replied).
//  Not in the total: version, uptime_s, started_ns (per broker only), the
//  settings (heartbeat_ms, liveness, ...: each broker's own) and the
//  services gauge (a service on two brokers would count twice).
void ctl_total_stats (const msgpack_object *const *stats, size_t count,
                      msgpack_sbuffer *out);

//  mmi.services: one row per service name, whichever brokers have it:
//  workers, ready, busy, queued, requests, replies, redeliveries, errors
//  and service_time_count/_sum_s summed; oldest_s the largest; brokers the
//  number of brokers with the service. Not in the total: p50_s, p99_s
//  (quantiles do not add up) and errors_by_status.
void ctl_total_services (const msgpack_object *const *replies, size_t count,
                         msgpack_sbuffer *out);

//  mmi.workers: every broker's workers in one list, each with a broker
//  field (the endpoint it came from, from brokers[]).
void ctl_total_workers (const msgpack_object *const *replies, const char *const *brokers,
                        size_t count, msgpack_sbuffer *out);

//  Decode what one of the above packed; false if it is not a map.
bool ctl_total_unpack (const msgpack_sbuffer *packed, msgpack_unpacked *unpacked);

#endif
